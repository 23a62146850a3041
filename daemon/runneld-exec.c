/*
 * runneld-exec.c - the helper runneld starts (spawn.c's child makes only
 * raw system calls: no change of user, no limit but the descriptor
 * one) for a task that runs as another user or has limits of its own: it
 * sets the limits, drops to the user's uid, gid and groups, forbids gaining
 * privileges again, checks the drop took, enters the task's directory as
 * that user (-c DIR; -h HOME: the user's home, or / if it cannot be
 * entered, as login(1) does), and executes the task, so that the task's
 * first instruction already runs under all of them.  It is given numbers
 * only, resolved by runneld, so nothing here looks up names.
 *
 *	runneld-exec [-l RESOURCE:SOFT:HARD]... [-u UID:GID:GROUP,...]
 *	    [-c DIR | -h HOME] -- PROGRAM [ARG...]
 *
 * Any failure is reported on stderr (the task's) with exit status 127.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* The names runnel gives the limits, as in --rlimit. */
static const char *const exec_rlimits[] = {
	[RLIMIT_AS] = "as", [RLIMIT_CORE] = "core", [RLIMIT_CPU] = "cpu",
	[RLIMIT_DATA] = "data", [RLIMIT_FSIZE] = "fsize",
	[RLIMIT_MEMLOCK] = "memlock", [RLIMIT_NOFILE] = "nofile",
	[RLIMIT_NPROC] = "nproc", [RLIMIT_STACK] = "stack",
};

/* A limit's value as runnel takes it: a number or "unlimited". */
static const char *
exec_limit_value(char *buf, size_t len, rlim_t v)
{
	if (v == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

/* -l RESOURCE:SOFT:HARD: set one limit. */
static void
exec_limit(const char *arg)
{
	struct rlimit		 rl;
	unsigned long long	 v[3];
	const char		*p = arg;
	char			*end, soft[32], hard[32];
	int			 i;

	for (i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (end == p || errno != 0 || *end != (i < 2 ? ':' : '\0'))
			exec_fail("bad limit '%s'", arg);
		p = end + 1;
	}
	rl.rlim_cur = (rlim_t)v[1];
	rl.rlim_max = (rlim_t)v[2];
	if (setrlimit((int)v[0], &rl) == -1)
		exec_fail("rlimit %s=%s:%s: %s", v[0] < sizeof exec_rlimits /
		    sizeof *exec_rlimits && exec_rlimits[v[0]] != NULL ?
		    exec_rlimits[v[0]] : "?",
		    exec_limit_value(soft, sizeof soft, rl.rlim_cur),
		    exec_limit_value(hard, sizeof hard, rl.rlim_max),
		    strerror(errno));
}

/* -u UID:GID:GROUP,...: become that user for good. */
static void
exec_user(const char *arg)
{
	uid_t	 uid;
	gid_t	 gid, *groups;
	size_t	 n = 0;
	char	*list, *p, *g, *gs;

	if ((list = strdup(arg)) == NULL ||
	    (groups = calloc(EXEC_MAX_GROUPS, sizeof *groups)) == NULL)
		exec_fail("out of memory");
	if ((p = strchr(list, ':')) == NULL ||
	    (gs = strchr(p + 1, ':')) == NULL)
		exec_fail("bad user '%s'", arg);
	*p++ = '\0';
	*gs++ = '\0';
	uid = (uid_t)exec_id(list, "uid");
	gid = (gid_t)exec_id(p, "gid");
	for (g = strtok(gs, ","); g != NULL; g = strtok(NULL, ",")) {
		if (n == EXEC_MAX_GROUPS)
			exec_fail("too many groups");
		groups[n++] = (gid_t)exec_id(g, "group");
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
}

int
main(int argc, char **argv)
{
	const char	*user = NULL, *dir = NULL;
	int		 ch, home = 0;

	/* Limits first: raising one may need the privileges the user drop
	 * gives away. */
	while ((ch = getopt(argc, argv, "+c:h:l:u:")) != -1) {
		switch (ch) {
		case 'c':
		case 'h':
			dir = optarg;
			home = ch == 'h';
			break;
		case 'l':
			exec_limit(optarg);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			exec_fail("usage: runneld-exec [-l RESOURCE:SOFT:HARD]"
			    "... [-u UID:GID:GROUPS] [-c DIR | -h HOME] -- "
			    "PROGRAM [ARG...]");
		}
	}
	if (optind >= argc)
		exec_fail("no program");
	if (user != NULL)
		exec_user(user);
	/* As the user: a directory it may not enter stays closed. */
	if (dir != NULL && chdir(dir) == -1 && (!home || chdir("/") == -1))
		exec_fail("cannot start '%s' in %s: %s", argv[optind], dir,
		    strerror(errno));
	execvp(argv[optind], argv + optind);
	exec_fail("cannot start '%s': %s", argv[optind], strerror(errno));
}
