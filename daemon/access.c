/*
 * access.c - the access map of runneld's configuration: the role of each
 * identity ([access] NAME = ROLE), whom its tasks run as (run_as=USER),
 * and the local users behind unix-socket identities ("unix:USER", root,
 * runneld's own user).
 *
 * Every user is looked up here, when the file is read: NSS may block and
 * the loop must not, so the loop only ever reads this table.  config.c
 * hands each [access] line to access_add() and nothing here calls back
 * into the file reader.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/log.h"

#define access_nitems(a)	(sizeof (a) / sizeof (a)[0])

/* The [access] line being added, and why it was refused. */
struct access_parse {
	struct config	*conf;
	const char	*file;
	unsigned long	 line;
	char		*cause;		/* NULL after -1: out of memory */
};

/* Role names, by role. */
static const char *access_role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_VIEWER] = "viewer",
	[ROLE_USER] = "user",
	[ROLE_ADMIN] = "admin",
};

/* Record why the line is refused (without its place: the caller adds
 * it); returns -1.  Out of memory leaves the cause NULL. */
static int __attribute__((format(printf, 2, 3)))
access_error(struct access_parse *ap, const char *fmt, ...)
{
	va_list	 ap2;
	char	*msg = NULL;
	int	 n;

	va_start(ap2, fmt);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n >= 0 && (msg = malloc((size_t)n + 1)) != NULL) {
		va_start(ap2, fmt);
		vsnprintf(msg, (size_t)n + 1, fmt, ap2);
		va_end(ap2);
	}
	free(ap->cause);
	ap->cause = msg;
	return -1;
}

/* Record running out of memory (a NULL cause); returns -1. */
static int
access_oom(struct access_parse *ap)
{
	free(ap->cause);
	ap->cause = NULL;
	return -1;
}

/* Look a user up by name (or by uid when name is NULL) into pw, whose
 * strings live in *bufp (allocated; free it).  0 found, ENOENT none, else
 * an errno. */
static int
access_getpw(const char *name, uid_t uid, struct passwd *pw, char **bufp)
{
	struct passwd	*res = NULL;
	char		*buf = NULL;
	size_t		 size = 4096;
	int		 error;

	*bufp = NULL;
	for (;;) {
		if ((buf = malloc(size)) == NULL)
			return ENOMEM;
		if (name != NULL)
			error = getpwnam_r(name, pw, buf, size, &res);
		else
			error = getpwuid_r(uid, pw, buf, size, &res);
		if (error != ERANGE || size > 1024 * 1024)
			break;
		free(buf);
		size *= 2;
	}
	if (res == NULL) {
		free(buf);
		return error != 0 ? error : ENOENT;
	}
	*bufp = buf;
	return 0;
}

/* Fill u from pw: name, uid, gid, home, shell and, with groups, the
 * supplementary groups as initgroups(3) would set them.  0, ENOMEM, or
 * E2BIG for too many groups. */
static int
access_user_fill(struct access_user *u, const struct passwd *pw, int groups)
{
	gid_t	*list = NULL, *tmp;
	int	 n = 16;

	memset(u, 0, sizeof *u);
	while (groups) {
		if ((tmp = realloc(list, (size_t)n * sizeof *list)) == NULL)
			goto oom;
		list = tmp;
		if (getgrouplist(pw->pw_name, pw->pw_gid, list, &n) != -1)
			break;
		if (n > 65536) {
			free(list);
			return E2BIG;
		}
	}
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->groups = list;
	u->ngroups = list != NULL ? (size_t)n : 0;
	if ((u->name = strdup(pw->pw_name)) == NULL ||
	    (pw->pw_dir != NULL && *pw->pw_dir != '\0' &&
	    (u->home = strdup(pw->pw_dir)) == NULL) ||
	    (u->shell = strdup(pw->pw_shell != NULL && *pw->pw_shell != '\0' ?
	    pw->pw_shell : "/bin/sh")) == NULL)
		goto oom;
	return 0;

oom:
	free(list);
	free(u->name);
	free(u->home);
	memset(u, 0, sizeof *u);
	return ENOMEM;
}

/* Free what access_user_fill made. */
static void
access_user_free(struct access_user *u)
{
	free(u->name);
	free(u->groups);
	free(u->home);
	free(u->shell);
}

/* Resolve run_as=USER into an access entry's user (uid, gid, groups, home,
 * shell), now: NSS lookups can block, which the loop must never do. */
static int
access_run_as(struct access_parse *ap, struct access_entry *ca,
    const char *user)
{
	struct passwd	 pw;
	char		*buf = NULL;
	int		 error;

	if (*user == '\0')
		return access_error(ap, "empty user in run_as");
	if ((error = access_getpw(user, 0, &pw, &buf)) == ENOMEM)
		return access_oom(ap);
	if (error == ENOENT)
		return access_error(ap, "run_as user '%s' does not exist",
		    user);
	if (error != 0)
		return access_error(ap, "run_as user '%s': %s", user,
		    strerror(error));
	error = access_user_fill(&ca->run_user, &pw, 1);
	free(buf);
	if (error == E2BIG)
		return access_error(ap, "run_as user '%s': too many groups",
		    user);
	if (error != 0 || (ca->run_as = strdup(ca->run_user.name)) == NULL)
		return access_oom(ap);
	return 0;
}

/* Resolve an `unix:USER` entry's user to its uid (and all a task run as
 * it needs), now: a unix-socket peer is then known by its uid through this
 * table, without asking NSS on the loop.  A user that does not exist (or
 * that NSS cannot find now) is warned about and the entry matches no one,
 * as a name in sshd's AllowUsers or doas.conf does; a reload looks again. */
static int
access_unix_resolve(struct access_parse *ap, struct access_entry *ca)
{
	const struct config	*conf = ap->conf;
	const char		*user = ca->name + 5;
	struct passwd		 pw;
	char			*buf;
	size_t			 i;
	int			 error;

	if (*user == '\0')
		return access_error(ap, "missing user name after 'unix:'");
	if ((error = access_getpw(user, 0, &pw, &buf)) == ENOMEM)
		return access_oom(ap);
	else if (error != 0) {
		log_warnx("%s:%lu: unix user '%s' %s: entry ignored", ap->file,
		    ap->line, user, error == ENOENT ? "does not exist" :
		    strerror(error));
		return 0;
	}
	ca->unix_uid = pw.pw_uid;
	for (i = 0; i < conf->naccess; i++) {
		if (conf->access[i].unix_known &&
		    conf->access[i].unix_uid == ca->unix_uid) {
			log_warnx("%s:%lu: unix user '%s' is uid %lu, as '%s' "
			    "above: entry ignored", ap->file, ap->line, user,
			    (unsigned long)ca->unix_uid,
			    conf->access[i].name + 5);
			free(buf);
			return 0;
		}
	}
	error = access_user_fill(&ca->unix_user, &pw, 1);
	free(buf);
	if (error == ENOMEM)
		return access_oom(ap);
	if (error != 0) {
		log_warnx("%s:%lu: unix user '%s': too many groups: entry "
		    "ignored", ap->file, ap->line, user);
		return 0;
	}
	ca->unix_known = 1;
	return 0;
}

/* An [access] line, NAME = ROLE [run_as=USER], into the map. */
static int
access_parse_line(struct access_parse *ap, const char *key, const char *value)
{
	struct config		*conf = ap->conf;
	struct access_entry	*entries, entry;
	enum role		 role;
	size_t			 i, len;
	char			 word[16];
	const char		*opt;

	len = strcspn(value, " \t");
	opt = value + len;
	while (isspace((unsigned char)*opt))
		opt++;
	if (len >= sizeof word)
		len = sizeof word - 1;	/* too long for any role */
	memcpy(word, value, len);
	word[len] = '\0';
	if ((role = access_role_parse(word)) == ROLE_NONE)
		return access_error(ap, "unknown role '%s' (admin, user or "
		    "viewer)", value);
	if (*opt != '\0' && strncmp(opt, "run_as=", 7) != 0)
		return access_error(ap, "'%s' after role '%s': expected "
		    "run_as=USER (a comment must be on a line of its own)", opt,
		    word);
	for (i = 0; i < conf->naccess; i++) {
		if (strcmp(conf->access[i].name, key) == 0)
			return access_error(ap, "duplicate access entry '%s'",
			    key);
	}
	memset(&entry, 0, sizeof entry);
	entry.role = role;
	if (*opt != '\0') {
		if (opt[7 + strcspn(opt + 7, " \t")] != '\0')
			return access_error(ap, "unexpected text after "
			    "'%.*s'", (int)(7 + strcspn(opt + 7, " \t")),
			    opt);
		if (access_run_as(ap, &entry, opt + 7) != 0)
			goto fail;
	}
	if ((entry.name = strdup(key)) == NULL)
		goto oom;
	if (strncmp(key, "unix:", 5) == 0 &&
	    access_unix_resolve(ap, &entry) != 0)
		goto fail;
	entries = realloc(conf->access, (conf->naccess + 1) * sizeof *entries);
	if (entries == NULL)
		goto oom;
	entries[conf->naccess] = entry;
	conf->naccess++;
	conf->access = entries;
	return 0;

oom:
	access_oom(ap);
fail:
	free(entry.name);
	free(entry.run_as);
	access_user_free(&entry.run_user);
	access_user_free(&entry.unix_user);
	return -1;
}

/* Add the [access] line IDENTITY = VALUE (FILE:LINE) to CONF's map.  -1
 * with *cause set to what is wrong (allocated), or NULL when out of
 * memory. */
int
access_add(struct config *conf, const char *file, unsigned long line,
    const char *identity, const char *value, char **cause)
{
	struct access_parse	 ap = {
		.conf = conf,
		.file = file,
		.line = line,
	};

	*cause = NULL;
	if (access_parse_line(&ap, identity, value) == 0)
		return 0;
	*cause = ap.cause;
	return -1;
}

/* The name of a uid, allocated: its user's, or "uid=N". */
static char *
access_uid_name(uid_t uid)
{
	struct passwd	 pw;
	char		*buf, *name;
	char		 num[32];

	if (access_getpw(NULL, uid, &pw, &buf) != 0) {
		snprintf(num, sizeof num, "uid=%lu", (unsigned long)uid);
		return strdup(num);
	}
	name = strdup(pw.pw_name);
	free(buf);
	return name;
}

/* A uid's user as access_user_fill makes it, without groups (no task
 * changes to it); a uid with no user gets only its uid and gid. */
static int
access_uid_user(uid_t uid, gid_t gid, struct access_user *u)
{
	struct passwd	 pw;
	char		*buf;
	int		 error;

	if ((error = access_getpw(NULL, uid, &pw, &buf)) == ENOMEM)
		return -1;
	if (error != 0) {
		memset(u, 0, sizeof *u);
		u->uid = uid;
		u->gid = gid;
		return 0;
	}
	error = access_user_fill(u, &pw, 0);
	free(buf);
	return error != 0 ? -1 : 0;
}

/* Name root and our own user now, for unix-socket peers, and learn what
 * a task that runs as either gets (home, shell).  -1: out of memory. */
int
access_own_users(struct config *conf)
{
	conf->self_uid = getuid();
	if ((conf->root_name = access_uid_name(0)) == NULL ||
	    (conf->self_name = access_uid_name(conf->self_uid)) == NULL ||
	    access_uid_user(geteuid(), getegid(), &conf->self_user) != 0 ||
	    access_uid_user(0, 0, &conf->root_user) != 0)
		return -1;
	return 0;
}

/* Not root, runneld cannot change user: warn now about the [access]
 * lines whose tasks it will refuse (privdrop.c has the rule). */
void
access_warn_users(const struct config *conf)
{
	const struct access_entry	*ca;
	const struct access_user	*u;
	size_t				 i;

	if (conf->self_user.uid == 0)
		return;
	for (i = 0; i < conf->naccess; i++) {
		ca = &conf->access[i];
		if (ca->role < ROLE_USER)
			continue;
		u = ca->run_as != NULL ? &ca->run_user : ca->unix_known ?
		    &ca->unix_user : NULL;
		if (u == NULL || u->uid == conf->self_user.uid)
			continue;
		log_warnx("%s: %s's tasks run as %s, but runneld runs as %s, "
		    "not root: they will be refused (run_as=%s would run them "
		    "as %s)", conf->path, ca->name, u->name, conf->self_name,
		    conf->self_name, conf->self_name);
	}
}

/* Free CONF's access map and its own users (access_add() and
 * access_own_users() made them), leaving both empty. */
void
access_clear(struct config *conf)
{
	size_t	 i;

	for (i = 0; i < conf->naccess; i++) {
		free(conf->access[i].name);
		free(conf->access[i].run_as);
		access_user_free(&conf->access[i].run_user);
		access_user_free(&conf->access[i].unix_user);
	}
	free(conf->access);
	conf->access = NULL;
	conf->naccess = 0;
	free(conf->root_name);
	free(conf->self_name);
	conf->root_name = conf->self_name = NULL;
	access_user_free(&conf->self_user);
	access_user_free(&conf->root_user);
	memset(&conf->self_user, 0, sizeof conf->self_user);
	memset(&conf->root_user, 0, sizeof conf->root_user);
}

/* The [access] entry of IDENTITY (exact match), NULL if none. */
const struct access_entry *
access_find(const struct config *conf, const char *identity)
{
	size_t	 i;

	if (conf == NULL || identity == NULL)
		return NULL;
	for (i = 0; i < conf->naccess; i++) {
		if (strcmp(conf->access[i].name, identity) == 0)
			return &conf->access[i];
	}
	return NULL;
}

/* The user name of a unix-socket peer's uid, from the table made when the
 * file was read; NULL for a uid it does not name. */
const char *
access_unix_name(const struct config *conf, uid_t uid)
{
	size_t	 i;

	if (uid == 0)
		return conf->root_name;
	if (uid == conf->self_uid)
		return conf->self_name;
	for (i = 0; i < conf->naccess; i++) {
		if (conf->access[i].unix_known &&
		    conf->access[i].unix_uid == uid)
			return conf->access[i].name + 5;
	}
	return NULL;
}

/* The local user of a unix-socket IDENTITY, from the table made when the
 * file was read; NULL if it names none. */
const struct access_user *
access_unix_user(const struct config *conf, const char *identity)
{
	const struct access_entry	*ca;
	const char			*name;

	if (conf == NULL || identity == NULL ||
	    strncmp(identity, "unix:", 5) != 0)
		return NULL;
	name = identity + 5;
	if (conf->root_name != NULL && strcmp(name, conf->root_name) == 0)
		return &conf->root_user;
	if (conf->self_name != NULL && strcmp(name, conf->self_name) == 0)
		return conf->self_uid == conf->self_user.uid ?
		    &conf->self_user : NULL;
	if ((ca = access_find(conf, identity)) != NULL && ca->unix_known)
		return &ca->unix_user;
	return NULL;
}

/* The role configured for IDENTITY (exact match), ROLE_NONE if none. */
enum role
access_role(const struct config *conf, const char *identity)
{
	const struct access_entry	*ca;

	if ((ca = access_find(conf, identity)) == NULL)
		return ROLE_NONE;
	return ca->role;
}

/* A role from its name ("admin", "user", "viewer"), ROLE_NONE if unknown. */
enum role
access_role_parse(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return ROLE_NONE;
	for (i = 0; i < access_nitems(access_role_names); i++) {
		if (i == ROLE_NONE || access_role_names[i] == NULL)
			continue;
		if (strcmp(access_role_names[i], name) == 0)
			return (enum role)i;
	}
	return ROLE_NONE;
}

/* The name of a role. */
const char *
access_role_name(enum role role)
{
	if ((size_t)role >= access_nitems(access_role_names) ||
	    access_role_names[role] == NULL)
		return "unknown";
	return access_role_names[role];
}
