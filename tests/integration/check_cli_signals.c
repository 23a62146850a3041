/*
 * check_cli_signals.c - every streaming verb of the runnel command line
 * (run, watch, watch --json, a followed watch, logs) stops promptly on
 * SIGTERM, SIGINT, or its reader going away, while its stdout is a pipe
 * that nobody reads and that is full; and a verb that only waits (wait),
 * or waits for a daemon that stopped answering, is ended by the signal;
 * any verb whose stdout has no reader exits 141, quietly.  Each exits with the status runnel(1) gives.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"

/* What the tasks write: far more than a pipe holds, then they wait. */
#define BIG_TASK	"head -c 4000000 /dev/zero; exec sleep 600"

/* What the test does to the blocked CLI. */
enum stop_how {
	STOP_TERM,
	STOP_INT,
	STOP_CLOSE
};

static struct harness	h;

/* A daemon per test; the CLI connects as alice, a user. */
static void
setup(void)
{
	harness_start(&h, NULL);
	cli_env(&h, "alice");
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Start the CLI with its stdout on a pipe (*outfd, its read end) and its
 * stderr on /dev/null. */
static pid_t
cli_spawn(int *outfd, const char *a0, ...)
{
	char		*argv[CLI_ARGS_MAX];
	va_list		 ap;
	sigset_t	 block, old;
	int		 o[2], null;
	pid_t		 pid;

	va_start(ap, a0);
	cli_argv(argv, a0, ap);
	va_end(ap);
	ck_assert(pipe2(o, O_CLOEXEC) == 0);
	/* check's handlers must not run in the child before the exec (its
	 * SIGTERM handler kills the whole group): a signal sent then waits
	 * until the child has the default action back, and ends it. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		null = open("/dev/null", O_WRONLY);
		dup2(o[1], 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(o[1]);
	*outfd = o[0];
	return pid;
}

/* Read the first bytes the CLI writes, then read no more: wait until the
 * pipe is full, but for less than a page (a writer waiting for a whole
 * free page may leave that). */
static void
wait_pipe_full(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		buf[16];
	uint64_t	waited = 0;
	int		size, queued = 0;

	ck_assert_int_eq(poll(&pfd, 1, (int)harness_ms(10000)), 1);
	ck_assert_int_gt(read(fd, buf, sizeof buf), 0);
	ck_assert((size = fcntl(fd, F_GETPIPE_SZ)) > 0);
	for (;;) {
		ck_assert(ioctl(fd, FIONREAD, &queued) == 0);
		if (queued >= size - 4096)
			break;
		ck_assert_msg(waited < harness_ms(10000),
		    "the pipe holds %d of %d bytes", queued, size);
		usleep(5000);
		waited += 5;
	}
}

/* Wait up to ms for the process to end; its wait status, or -1 (after
 * killing it) if it did not. */
static int
wait_exit(pid_t pid, uint64_t ms)
{
	struct pollfd	pfd;
	int		pidfd, status, r;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pidfd, 0);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	r = poll(&pfd, 1, (int)ms);
	close(pidfd);
	if (r != 1)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return r == 1 ? status : -1;
}

/* Stop the CLI as how says, its stdout full; it must be gone within 2 s
 * (scaled under a slow tool) with exit status want. */
static void
stop_blocked(pid_t pid, int outfd, enum stop_how how, int want)
{
	int	status;

	wait_pipe_full(outfd);
	switch (how) {
	case STOP_TERM:
		ck_assert_int_eq(kill(pid, SIGTERM), 0);
		break;
	case STOP_INT:
		ck_assert_int_eq(kill(pid, SIGINT), 0);
		break;
	case STOP_CLOSE:
		close(outfd);
		outfd = -1;
		break;
	}
	status = wait_exit(pid, harness_ms(2000));
	if (outfd != -1)
		close(outfd);
	ck_assert_msg(status != -1, "runnel did not stop within 2 s");
	ck_assert_msg(WIFEXITED(status), "runnel ended by signal %d",
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_int_eq(WEXITSTATUS(status), want);
}

/* Submit the big task; its id as text in buf. */
static void
submit_big(char *buf, size_t len)
{
	char	*out, *err, *end;
	uint64_t id;

	ck_assert_int_eq(cli(&out, &err, "submit", "--label", "big=1", "--",
	    "sh", "-c", BIG_TASK, NULL), 0);
	id = strtoull(out, &end, 10);
	ck_assert_msg(id > 0 && strcmp(end, "\n") == 0, "submit said %s", out);
	snprintf(buf, len, "%" PRIu64, id);
	free(out);
	free(err);
}

/* run: a signal cancels the task, which SIGTERM ends (128+15, whichever
 * signal we got); a reader gone cancels it with SIGPIPE (128+13). */
static void
check_run(enum stop_how how, int want)
{
	int	fd;
	pid_t	pid;

	pid = cli_spawn(&fd, "run", "--", "sh", "-c", BIG_TASK, NULL);
	stop_blocked(pid, fd, how, want);
}

START_TEST(test_run_sigterm)
{
	check_run(STOP_TERM, 128 + SIGTERM);
	ck_assert_int_eq(harness_wait_log(&h, "cancelled by alice"), 0);
}
END_TEST

START_TEST(test_run_sigint)
{
	check_run(STOP_INT, 128 + SIGTERM);
}
END_TEST

START_TEST(test_run_reader_gone)
{
	check_run(STOP_CLOSE, 128 + SIGPIPE);
}
END_TEST

/* watch ID, with or without --json: 128+N for signal N, 141 when the
 * reader went away. */
static void
check_watch(enum stop_how how, int want, int json)
{
	char	id[32];
	int	fd;
	pid_t	pid;

	submit_big(id, sizeof id);
	if (json)
		pid = cli_spawn(&fd, "watch", "--json", id, NULL);
	else
		pid = cli_spawn(&fd, "watch", id, NULL);
	stop_blocked(pid, fd, how, want);
}

START_TEST(test_watch_sigterm)
{
	check_watch(STOP_TERM, 128 + SIGTERM, 0);
}
END_TEST

START_TEST(test_watch_sigint)
{
	check_watch(STOP_INT, 128 + SIGINT, 0);
}
END_TEST

START_TEST(test_watch_reader_gone)
{
	check_watch(STOP_CLOSE, 128 + SIGPIPE, 0);
}
END_TEST

START_TEST(test_watch_json_sigterm)
{
	check_watch(STOP_TERM, 128 + SIGTERM, 1);
}
END_TEST

START_TEST(test_watch_json_reader_gone)
{
	check_watch(STOP_CLOSE, 128 + SIGPIPE, 1);
}
END_TEST

/* A followed watch (by label) prefixes lines: the same. */
START_TEST(test_watch_follow_sigint)
{
	char	id[32];
	int	fd;
	pid_t	pid;

	submit_big(id, sizeof id);
	pid = cli_spawn(&fd, "watch", "--label", "big=1", NULL);
	stop_blocked(pid, fd, STOP_INT, 128 + SIGINT);
}
END_TEST

/* logs of a task with more output than the pipe holds. */
static void
check_logs(enum stop_how how, int want)
{
	char	id[32];
	int	fd;
	pid_t	pid;

	submit_big(id, sizeof id);
	pid = cli_spawn(&fd, "logs", id, NULL);
	stop_blocked(pid, fd, how, want);
}

START_TEST(test_logs_sigterm)
{
	check_logs(STOP_TERM, 128 + SIGTERM);
}
END_TEST

START_TEST(test_logs_reader_gone)
{
	check_logs(STOP_CLOSE, 128 + SIGPIPE);
}
END_TEST

/* wait writes nothing while it waits: the signal itself ends it, at
 * once, as it ends any verb that has nothing to finish. */
START_TEST(test_wait_sigterm)
{
	char	id[32];
	int	fd, status;
	pid_t	pid;

	submit_big(id, sizeof id);
	pid = cli_spawn(&fd, "wait", id, NULL);
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	status = wait_exit(pid, harness_ms(2000));
	close(fd);
	ck_assert_int_ne(status, -1);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
}
END_TEST

/* Any verb whose stdout has no reader at all ends quietly with 141. */
START_TEST(test_no_reader)
{
	static const char *const verbs[][3] = {
		{ "list", "--all", NULL },
		{ "show", "1", NULL },
		{ "status", NULL, NULL },
		{ "logs", "1", NULL }
	};
	char	*argv[5], *out, *err, c;
	size_t	 i;
	int	 p[2], e[2], status;
	ssize_t	 n;
	pid_t	 pid;

	cli(&out, &err, "run", "--", "echo", "hello", NULL);
	free(out);
	free(err);
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		ck_assert(pipe2(p, O_CLOEXEC) == 0 && pipe2(e, O_CLOEXEC) == 0);
		close(p[0]);
		argv[0] = getenv("RUNNEL");
		argv[1] = (char *)(uintptr_t)verbs[i][0];
		argv[2] = (char *)(uintptr_t)verbs[i][1];
		argv[3] = (char *)(uintptr_t)verbs[i][2];
		argv[4] = NULL;
		pid = fork();
		ck_assert(pid != -1);
		if (pid == 0) {
			dup2(p[1], 1);
			dup2(e[1], 2);
			execv(argv[0], argv);
			_exit(127);
		}
		close(p[1]);
		close(e[1]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		n = read(e[0], &c, 1);
		close(e[0]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 141,
		    "%s: wait status %#x", verbs[i][0], status);
		ck_assert_msg(n == 0, "%s wrote on stderr", verbs[i][0]);
	}
}
END_TEST

/* Wait until the process has a socket open (it is connecting). */
static void
wait_socket(pid_t pid)
{
	char		 dir[64], path[400], link[64];
	struct dirent	*de;
	uint64_t	 waited = 0;
	ssize_t		 n;
	DIR		*d;
	int		 found = 0;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	while (!found) {
		ck_assert_msg(waited < harness_ms(10000), "no socket in %s",
		    dir);
		if ((d = opendir(dir)) == NULL)
			break;
		while (!found && (de = readdir(d)) != NULL) {
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			n = readlink(path, link, sizeof link - 1);
			found = n > 0 && strncmp(link, "socket:", 7) == 0;
		}
		closedir(d);
		if (!found) {
			usleep(5000);
			waited += 5;
		}
	}
}

/* A daemon that stopped answering (SIGSTOP) holds every verb in the
 * library's connect: SIGTERM ends each there, by its default action. */
START_TEST(test_daemon_stopped)
{
	static const char *const verbs[][3] = {
		{ "watch", "1", NULL },
		{ "logs", "1", NULL },
		{ "run", "true", NULL },
		{ "list", NULL, NULL }
	};
	size_t	i;
	int	fd, status;
	pid_t	pid;

	ck_assert_int_eq(kill(h.pid, SIGSTOP), 0);
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		pid = cli_spawn(&fd, verbs[i][0], verbs[i][1], verbs[i][2]);
		wait_socket(pid);
		ck_assert_int_eq(kill(pid, SIGTERM), 0);
		status = wait_exit(pid, harness_ms(2000));
		close(fd);
		ck_assert_msg(status != -1, "%s did not stop within 2 s",
		    verbs[i][0]);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) ==
		    SIGTERM, "%s: wait status %#x", verbs[i][0], status);
	}
	ck_assert_int_eq(kill(h.pid, SIGCONT), 0);
}
END_TEST

static Suite *
cli_signals_suite(void)
{
	Suite	*s = suite_create("cli_signals");
	TCase	*tc = tcase_create("cli_signals");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_sigterm);
	tcase_add_test(tc, test_run_sigint);
	tcase_add_test(tc, test_run_reader_gone);
	tcase_add_test(tc, test_watch_sigterm);
	tcase_add_test(tc, test_watch_sigint);
	tcase_add_test(tc, test_watch_reader_gone);
	tcase_add_test(tc, test_watch_json_sigterm);
	tcase_add_test(tc, test_watch_json_reader_gone);
	tcase_add_test(tc, test_watch_follow_sigint);
	tcase_add_test(tc, test_logs_sigterm);
	tcase_add_test(tc, test_logs_reader_gone);
	tcase_add_test(tc, test_wait_sigterm);
	tcase_add_test(tc, test_daemon_stopped);
	tcase_add_test(tc, test_no_reader);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(cli_signals_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
