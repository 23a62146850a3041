/*
 * ceiling.c - the anchor of bench/run's spawn and latency rows: what plain C
 * on this machine does without a daemon.  It starts processes the way
 * runneld does (posix_spawnp in a session of their own, default signal
 * dispositions, stdin /dev/null, stdout and stderr on pipes) and learns of
 * their end on one epoll: a pidfd for the exit, the pipes read to EOF.
 *
 * usage: ceiling spawn [-n COUNT] [-j INFLIGHT] [-t SECONDS]
 *        ceiling latency [-n COUNT] [-t SECONDS]
 * spawn: COUNT (5000) runs of `true`, INFLIGHT (64) at a time; prints
 *        "tasks=N secs=S rate=R".
 * latency: COUNT (2000) runs of `echo x` one after the other; the time from
 *        posix_spawnp to the first byte read from stdout; prints
 *        "runs=N p50_ms=A p99_ms=B".
 * Both stop at the time limit (60 s) and report what was done by then.
 */
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CEILING_MAX_INFLIGHT	1024

extern char	**environ;

/* One running process: its pidfd and the read ends of its pipes. */
struct ceiling_proc {
	pid_t		 pid;
	int		 pidfd;
	int		 fd[2];		/* stdout, stderr; -1 once at EOF */
	int		 exited;
	int		 busy;
	double		 started;
	double		 first;		/* first stdout byte, 0: none yet */
};

static int			 ceiling_epfd = -1;
static int			 ceiling_devnull = -1;
static struct ceiling_proc	 ceiling_procs[CEILING_MAX_INFLIGHT];

/* Print a message and exit. */
static void __attribute__((noreturn))
ceiling_fatal(const char *what)
{
	fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Watch fd on the epoll, tagged with slot and what it is (0, 1: pipes,
 * 2: pidfd). */
static void
ceiling_watch(int fd, size_t slot, int what)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)slot << 2 | (uint64_t)what;
	if (epoll_ctl(ceiling_epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		ceiling_fatal("epoll_ctl");
}

/* Start argv in slot: pipes, posix_spawnp, pidfd, all on the epoll. */
static void
ceiling_start(size_t slot, char *const argv[])
{
	struct ceiling_proc		*p = &ceiling_procs[slot];
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 all, none;
	int				 out[2], err[2], i, error;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1)
		ceiling_fatal("pipe2");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ceiling_devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	p->started = bench_now();
	p->first = 0;
	error = posix_spawnp(&p->pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (error != 0) {
		errno = error;
		ceiling_fatal("posix_spawnp");
	}
	close(out[1]);
	close(err[1]);
	p->fd[0] = out[0];
	p->fd[1] = err[0];
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd == -1)
		ceiling_fatal("pidfd_open");
	p->exited = 0;
	p->busy = 1;
	for (i = 0; i < 2; i++) {
		fcntl(p->fd[i], F_SETFL, O_NONBLOCK);
		ceiling_watch(p->fd[i], slot, i);
	}
	ceiling_watch(p->pidfd, slot, 2);
}

/* Handle one epoll event; returns 1 if it finished its process. */
static int
ceiling_event(const struct epoll_event *ev)
{
	struct ceiling_proc	*p = &ceiling_procs[ev->data.u64 >> 2];
	int			 what = (int)(ev->data.u64 & 3), status;
	char			 buf[4096];
	ssize_t			 n;

	/* An event fetched in the same batch may be for a descriptor that
	 * was closed since. */
	if (!p->busy || (what == 2 ? p->exited : p->fd[what] == -1))
		return 0;
	if (what == 2) {
		if (waitpid(p->pid, &status, WNOHANG) != p->pid)
			return 0;
		close(p->pidfd);
		p->exited = 1;
	} else {
		n = read(p->fd[what], buf, sizeof buf);
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n > 0) {
			if (what == 0 && p->first == 0)
				p->first = bench_now();
			return 0;
		}
		close(p->fd[what]);	/* also leaves the epoll */
		p->fd[what] = -1;
	}
	if (!p->exited || p->fd[0] != -1 || p->fd[1] != -1)
		return 0;
	p->busy = 0;
	return 1;
}

/* Compare two doubles for qsort. */
static int
ceiling_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	static char		 s_true[] = "true", s_echo[] = "echo",
				 s_x[] = "x";
	char *const		 true_argv[] = { s_true, NULL };
	char *const		 echo_argv[] = { s_echo, s_x, NULL };
	struct epoll_event	 evs[256];
	const char		*mode;
	double			 t0, deadline, *lat = NULL;
	long			 count = -1, started = 0, done = 0, i;
	int			 inflight = 64, limit = 60, n, c, latency;
	size_t			 slot;

	if (argc < 2) {
		fprintf(stderr, "usage: ceiling spawn|latency [-n COUNT] "
		    "[-j INFLIGHT] [-t SECONDS]\n");
		return 2;
	}
	mode = argv[1];
	latency = strcmp(mode, "latency") == 0;
	if (!latency && strcmp(mode, "spawn") != 0) {
		fprintf(stderr, "ceiling: unknown mode %s\n", mode);
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "n:j:t:")) != -1) {
		switch (c) {
		case 'n': count = atol(optarg); break;
		case 'j': inflight = atoi(optarg); break;
		case 't': limit = atoi(optarg); break;
		default: return 2;
		}
	}
	if (count < 0)
		count = latency ? 2000 : 5000;
	if (latency)
		inflight = 1;
	if (count < 1 || inflight < 1 || inflight > CEILING_MAX_INFLIGHT ||
	    limit < 1) {
		fprintf(stderr, "ceiling: bad -n, -j or -t\n");
		return 2;
	}
	if ((ceiling_devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		ceiling_fatal("/dev/null");
	if ((ceiling_epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		ceiling_fatal("epoll_create1");
	signal(SIGPIPE, SIG_IGN);
	if (latency && (lat = calloc((size_t)count, sizeof *lat)) == NULL)
		ceiling_fatal("calloc");

	t0 = bench_now();
	deadline = t0 + limit;
	for (slot = 0; slot < (size_t)inflight && started < count; slot++) {
		ceiling_start(slot, latency ? echo_argv : true_argv);
		started++;
	}
	while (done < count && bench_now() < deadline) {
		if ((n = epoll_wait(ceiling_epfd, evs, 256, 1000)) == -1) {
			if (errno == EINTR)
				continue;
			ceiling_fatal("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			slot = evs[i].data.u64 >> 2;
			if (!ceiling_event(&evs[i]))
				continue;
			if (latency)
				lat[done] = ceiling_procs[slot].first -
				    ceiling_procs[slot].started;
			done++;
			if (started < count && bench_now() < deadline) {
				ceiling_start(slot, latency ? echo_argv :
				    true_argv);
				started++;
			}
		}
	}
	if (latency) {
		if (done == 0) {
			fprintf(stderr, "ceiling: no run finished\n");
			return 1;
		}
		qsort(lat, (size_t)done, sizeof *lat, ceiling_cmp);
		printf("runs=%ld p50_ms=%.3f p99_ms=%.3f\n", done,
		    lat[(done - 1) / 2] * 1e3, lat[(done * 99 - 1) / 100] * 1e3);
		free(lat);
	} else
		printf("tasks=%ld secs=%.3f rate=%.0f\n", done,
		    bench_now() - t0, done / (bench_now() - t0));
	return done == count ? 0 : 1;
}
