/*
 * access.h - the access map: each identity's role, whom its tasks run as,
 * and the local users behind unix-socket identities (access.c).
 */
#ifndef RUNNELD_ACCESS_H
#define RUNNELD_ACCESS_H

#include <sys/types.h>

#include <stddef.h>

struct config;

/* Roles, ordered: each includes the rights of those below it.  The values
 * are the wire's (Runnel__V1__Role). */
enum role {
	ROLE_NONE = 0,
	ROLE_VIEWER = 1,
	ROLE_USER = 2,
	ROLE_ADMIN = 3
};

/* A local user a task may run as, resolved when the file is read (NSS
 * may block; the loop must not). */
struct access_user {
	char		*name;
	uid_t		 uid;
	gid_t		 gid;
	gid_t		*groups;	/* supplementary, with gid */
	size_t		 ngroups;
	char		*home;		/* NULL: unknown */
	char		*shell;		/* NULL: unknown */
};

/* One [access] line. */
struct access_entry {
	char		*name;		/* certificate CN, or "unix:USER" */
	enum role	 role;
	/* run_as=USER, resolved when the file is read (NSS may block). */
	char		*run_as;	/* NULL: none */
	struct access_user run_user;
	/* "unix:USER": USER's uid, resolved when the file is read. */
	int		 unix_known;	/* 0: no such user (or not unix:) */
	uid_t		 unix_uid;
	struct access_user unix_user;	/* all of USER, when unix_known */
};

/* access.c */
/* Add an [access] line (IDENTITY = VALUE, at FILE:LINE) to the map; -1
 * with *cause what is wrong (allocated), NULL when out of memory. */
int		 access_add(struct config *, const char *file,
		    unsigned long line, const char *identity,
		    const char *value, char **cause);
/* Look up root and runneld's own user; -1 when out of memory. */
int		 access_own_users(struct config *);
/* Warn about the entries whose tasks runneld, not root, will refuse. */
void		 access_warn_users(const struct config *);
/* Free the map and the own users. */
void		 access_clear(struct config *);
/* The role configured for an identity, ROLE_NONE if none. */
enum role	 access_role(const struct config *, const char *identity);
/* The [access] entry of an identity, NULL if none. */
const struct access_entry *access_find(const struct config *,
		    const char *identity);
/* The name of a unix-socket peer's uid: root, runneld's own user, or a
 * resolved `unix:USER` entry; NULL for any other uid.  Never asks NSS. */
const char	*access_unix_name(const struct config *, uid_t);
/* The local user of a unix-socket identity ("unix:USER"): root, runneld's
 * own user or a resolved `unix:USER` entry; NULL for any other identity. */
const struct access_user *access_unix_user(const struct config *,
		    const char *identity);
enum role	 access_role_parse(const char *);
const char	*access_role_name(enum role);

#endif
