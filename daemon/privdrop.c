/*
 * privdrop.c - which user a task runs as.  Running as root, runneld runs a
 * task as the local user its owner's [access] entry names (run_as=USER),
 * through the runneld-exec helper: runneld's child (spawn.c) shares its
 * memory and makes only raw system calls, and changing users takes
 * libc's setgroups/setgid/setuid, which act on every thread of the process
 * libc believes it is in (the helper also sets a task's own limits);
 * an owner without run_as is refused unless run_as_root = yes says root may
 * run tasks as root.  Running unprivileged, tasks run as the daemon's user.
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

/* May OWNER's tasks run, and as whom?  *ca is the entry with run_as, or
 * NULL to run as the daemon's own user. */
int
privdrop_check(const char *owner, const struct config_access **ca,
    char **cause)
{
	const struct config_access	*entry;

	*ca = NULL;
	if (server.euid != 0)
		return 0;
	entry = config_access(server.conf, owner);
	if (entry != NULL && entry->run_as != NULL) {
		*ca = entry;
		return 0;
	}
	if (server.conf->run_as_root)
		return 0;
	*cause = xasprintf("runneld runs as root and %s has no run_as user "
	    "in [access] (run_as_root = no)", owner);
	return -1;
}

/* The argv that runs a task's argv through the helper, with its limits
 * set and as CA's user (CA may be NULL: the daemon's user); NULL when
 * neither is needed.  Free with privdrop_argv_free. */
char **
privdrop_argv(const struct config_access *ca, const struct task *t)
{
	const Runnel__V1__Rlimit	*r;
	char				**hv, *groups, *tmp;
	size_t				  n = 0, i, k = 0;

	if (ca == NULL && t->spec->n_rlimits == 0)
		return NULL;
	while (t->argv[n] != NULL)
		n++;
	hv = xcalloc(n + t->spec->n_rlimits + 5, sizeof *hv);
	hv[k++] = xstrdup(privdrop_helper());
	for (i = 0; i < t->spec->n_rlimits; i++) {
		r = t->spec->rlimits[i];
		hv[k++] = xasprintf("-l%d:%llu:%llu",
		    task_rlimit_resource(r->name),
		    (unsigned long long)r->soft,
		    (unsigned long long)(r->hard != 0 ? r->hard : r->soft));
	}
	if (ca != NULL) {
		groups = xasprintf("%lu", (unsigned long)ca->run_gid);
		for (i = 0; i < ca->run_ngroups; i++) {
			if (ca->run_groups[i] == ca->run_gid)
				continue;
			tmp = xasprintf("%s,%lu", groups,
			    (unsigned long)ca->run_groups[i]);
			free(groups);
			groups = tmp;
		}
		hv[k++] = xasprintf("-u%lu:%lu:%s", (unsigned long)ca->run_uid,
		    (unsigned long)ca->run_gid, groups);
		free(groups);
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
