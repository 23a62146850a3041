/*
 * runneld-exec.c - the helper runneld starts (with posix_spawn, which cannot
 * change users) for a task that runs as another user: it drops to that
 * user's uid, gid and groups, forbids gaining privileges again, checks the
 * drop took, and executes the task.  It is given numbers only, resolved by
 * runneld when its configuration was read, so nothing here looks up names.
 *
 *	runneld-exec UID GID GROUP,GROUP,... PROGRAM ARG...
 *
 * Any failure is reported on stderr (the task's) with exit status 127.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXEC_MAX_GROUPS		65536

/* Say why the task cannot start, and end with 127 as a shell would. */
static void __attribute__((noreturn, format(printf, 1, 2)))
exec_fail(const char *fmt, ...)
{
	va_list	ap;

	fputs("runneld-exec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(127);
}

/* A decimal id, whole string, below the -1 that means "unchanged". */
static unsigned long
exec_id(const char *s, const char *what)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n >= UINT_MAX)
		exec_fail("bad %s '%s'", what, s);
	return n;
}

int
main(int argc, char **argv)
{
	uid_t	 uid;
	gid_t	 gid, *groups;
	size_t	 n = 0;
	char	*list, *p;

	if (argc < 5)
		exec_fail("usage: runneld-exec UID GID GROUPS PROGRAM [ARG...]");
	uid = (uid_t)exec_id(argv[1], "uid");
	gid = (gid_t)exec_id(argv[2], "gid");
	if ((groups = calloc(EXEC_MAX_GROUPS, sizeof *groups)) == NULL ||
	    (list = strdup(argv[3])) == NULL)
		exec_fail("out of memory");
	for (p = strtok(list, ","); p != NULL; p = strtok(NULL, ",")) {
		if (n == EXEC_MAX_GROUPS)
			exec_fail("too many groups");
		groups[n++] = (gid_t)exec_id(p, "group");
	}
	/* Groups first, then gid, then uid: after setuid there is no right
	 * left to change the others. */
	if (setgroups(n, groups) == -1)
		exec_fail("setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) == -1)
		exec_fail("setgid %lu: %s", (unsigned long)gid,
		    strerror(errno));
	if (setresuid(uid, uid, uid) == -1)
		exec_fail("setuid %lu: %s", (unsigned long)uid,
		    strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		exec_fail("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		exec_fail("privileges were not dropped");
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		exec_fail("privileges could be regained");
	free(groups);
	free(list);
	execvp(argv[4], argv + 4);
	exec_fail("cannot start '%s': %s", argv[4], strerror(errno));
}
