/*
 * privdrop.c - which user a task runs as.  The rule, in order:
 *
 *  1. an owner whose [access] entry says run_as=USER: as USER;
 *  2. a local user on the unix socket ("unix:USER"): as that user, as
 *     sudo -u or systemd-run --uid would run it (its uid, gid and groups);
 *  3. anyone else (a certificate identity without run_as): as runneld's
 *     own user.
 *
 * Never as root by accident: running as root, runneld runs a task as root
 * by 2 or 3 (root's own tasks, a certificate without run_as) only with
 * run_as_root = yes; an explicit run_as=root is allowed.  Not running as
 * root, runneld cannot change users: a task whose user by 1 or 2 is not
 * runneld's own is refused, so a local user's tasks never run as the
 * daemon's user unless its [access] line says run_as=THAT_USER.
 *
 * Another user's task runs through the runneld-exec helper: runneld's
 * child (spawn.c) shares its memory and makes only raw system calls, and
 * changing users takes libc's setgroups/setgid/setuid, which act on every
 * thread of the process libc believes it is in (the helper also sets a
 * task's own limits, and enters its directory only once it is the user,
 * so that a directory the user may not enter stays closed to it).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "runneld.h"

#ifndef PKGLIBEXECDIR
#define PKGLIBEXECDIR	"/usr/libexec/runnel"
#endif
#define PRIVDROP_HELPER	"runneld-exec"

static char	*privdrop_helper_path;

/* The helper: beside runneld (a build tree), else where it is installed. */
static const char *
privdrop_helper(void)
{
	char		 self[PATH_MAX], *slash, *path;
	struct stat	 sb;
	ssize_t		 n;

	if (privdrop_helper_path != NULL)
		return privdrop_helper_path;
	path = NULL;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			path = xasprintf("%s/%s", self, PRIVDROP_HELPER);
			if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
				free(path);
				path = NULL;
			}
		}
	}
	if (path == NULL)
		path = xstrdup(PKGLIBEXECDIR "/" PRIVDROP_HELPER);
	privdrop_helper_path = path;
	return path;
}

/* A user's name for a message: its name, or "uid N". */
static const char *
privdrop_name(const struct access_user *u, char *buf, size_t len)
{
	if (u->name != NULL)
		return u->name;
	snprintf(buf, len, "uid %lu", (unsigned long)u->uid);
	return buf;
}

/* May OWNER's tasks run, and as whom?  *user is the user runneld must
 * become (by the rule above), or NULL to run them as runneld's own user
 * without a change. */
int
privdrop_check(const char *owner, const struct access_user **user,
    char **cause)
{
	const struct config		*conf = server.conf;
	const struct access_entry	*entry;
	const struct access_user	*want;
	const char			*as, *me;
	char				 b1[32], b2[32];
	int				 given = 0;

	*user = NULL;
	entry = access_find(conf, owner);
	if (entry != NULL && entry->run_as != NULL) {
		want = &entry->run_user;
		given = 1;
	} else if ((want = access_unix_user(conf, owner)) == NULL) {
		/* A local user no longer known (a reload dropped it) is
		 * not anyone else. */
		if (strncmp(owner, "unix:", 5) == 0) {
			*cause = xasprintf("%s is not a known local user",
			    owner);
			return -1;
		}
		want = &conf->self_user;
	}
	if (want->uid == 0 && !given && !conf->run_as_root &&
	    server.euid == 0) {
		*cause = xasprintf("runneld runs as root and %s has no run_as "
		    "user in [access] (run_as_root = no)", owner);
		return -1;
	}
	if (want->uid != server.euid) {
		if (server.euid != 0) {
			as = privdrop_name(want, b1, sizeof b1);
			me = privdrop_name(&conf->self_user, b2, sizeof b2);
			*cause = xasprintf("%s's tasks run as %s, but runneld "
			    "runs as %s, not root, and cannot change user "
			    "(run_as=%s in [access] would run them as %s)",
			    owner, as, me, me, me);
			return -1;
		}
		*user = want;
	} else if (given && server.euid == 0)
		*user = want;	/* run_as=root: its groups, no new privileges */
	return 0;
}

/* The user a task that privdrop_check gave USER runs as: USER, or
 * runneld's own. */
const struct access_user *
privdrop_user(const struct access_user *user)
{
	return user != NULL ? user : &server.conf->self_user;
}

/* The argv that runs a task's argv through the helper, with its limits
 * set and as USER (NULL: runneld's own user, no change), in the task's
 * directory or USER's home; NULL when neither is needed.  Free with
 * privdrop_argv_free. */
char **
privdrop_argv(const struct access_user *user, const struct task *t)
{
	const Runnel__V1__Rlimit	*r;
	char				**hv, *groups, *tmp;
	size_t				  n = 0, i, k = 0;

	if (user == NULL && t->spec->n_rlimits == 0)
		return NULL;
	while (t->argv[n] != NULL)
		n++;
	hv = xcalloc(n + t->spec->n_rlimits + 6, sizeof *hv);
	hv[k++] = xstrdup(privdrop_helper());
	for (i = 0; i < t->spec->n_rlimits; i++) {
		r = t->spec->rlimits[i];
		hv[k++] = xasprintf("-l%d:%llu:%llu",
		    task_rlimit_resource(r->name),
		    (unsigned long long)r->soft,
		    (unsigned long long)(r->hard != 0 ? r->hard : r->soft));
	}
	if (user != NULL) {
		groups = xasprintf("%lu", (unsigned long)user->gid);
		for (i = 0; i < user->ngroups; i++) {
			if (user->groups[i] == user->gid)
				continue;
			tmp = xasprintf("%s,%lu", groups,
			    (unsigned long)user->groups[i]);
			free(groups);
			groups = tmp;
		}
		hv[k++] = xasprintf("-u%lu:%lu:%s", (unsigned long)user->uid,
		    (unsigned long)user->gid, groups);
		free(groups);
		if (t->cwd != NULL)
			hv[k++] = xasprintf("-c%s", t->cwd);
		else
			hv[k++] = xasprintf("-h%s", user->home != NULL ?
			    user->home : "/");
	}
	hv[k++] = xstrdup("--");
	for (i = 0; i < n; i++)
		hv[k + i] = t->argv[i];
	return hv;
}

/* Free what privdrop_argv made (not the task's own strings, which follow
 * the "--"). */
void
privdrop_argv_free(char **hv)
{
	size_t	i;
	int	last;

	if (hv == NULL)
		return;
	for (i = 0; hv[i] != NULL; i++) {
		last = strcmp(hv[i], "--") == 0;
		free(hv[i]);
		if (last)
			break;
	}
	free(hv);
}

/* Forget the helper's path (at exit). */
void
privdrop_free(void)
{
	free(privdrop_helper_path);
	privdrop_helper_path = NULL;
}
