/*
 * check_cli_watch.c - the runnel command line's output verbs against a real
 * runneld: submit --restart-on-lost, watch --tail/--stdout/--stderr/--json,
 * watch that follows a selection, watch across a daemon restart, logs and
 * clean.
 */
#include <sys/types.h>
#include <sys/wait.h>

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
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"

static struct harness	h;
static char		unixhost[200];

/* Point the client's environment at the daemon (again after a restart,
 * which gives it a new port). */
static void
set_env(void)
{
	setenv("RUNNEL_HOST", h.host, 1);
}

/* A daemon per test; the CLI connects as alice, a user. */
static void
setup(void)
{
	harness_start(&h, NULL);
	snprintf(unixhost, sizeof unixhost, "unix:%s", h.sock);
	cli_env(&h, "alice");
	unsetenv("NO_COLOR");
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Start the CLI in the background, its stdout and stderr on pipes. */
static pid_t
cli_bg(int *outfd, int *errfd, const char *a0, ...)
{
	char	*argv[CLI_ARGS_MAX];
	va_list	 ap;
	int	 o[2], e[2];
	pid_t	 pid;

	va_start(ap, a0);
	cli_argv(argv, a0, ap);
	va_end(ap);
	ck_assert(pipe2(o, O_CLOEXEC) == 0 && pipe2(e, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	*outfd = o[0];
	*errfd = e[0];
	return pid;
}

/* Read fd into *buf (len *len) until it holds text, end of file or 10 s
 * pass; does it hold text? */
static int
read_until(int fd, char **buf, size_t *len, const char *text)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		chunk[65536];
	ssize_t		n;
	int		waited = 0;

	for (;;) {
		if (*buf != NULL && text != NULL && strstr(*buf, text) != NULL)
			return 1;
		if (waited >= 10000 || poll(&pfd, 1, 100) == -1)
			return 0;
		if (pfd.revents == 0) {
			waited += 100;
			continue;
		}
		if ((n = read(fd, chunk, sizeof chunk)) <= 0)
			return text == NULL;
		*buf = realloc(*buf, *len + (size_t)n + 1);
		ck_assert_ptr_nonnull(*buf);
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
}

/* Run `runnel submit ARGS...` and return the id it printed, as text in
 * buf too. */
static uint64_t
submit(char *buf, size_t len, const char *a0, ...)
{
	char		*argv[CLI_ARGS_MAX], *out, *err, *end;
	const char	*a;
	va_list		 ap;
	uint64_t	 id;
	int		 n = 0, status;

	argv[n++] = getenv("RUNNEL");
	argv[n++] = (char *)(uintptr_t)"submit";
	va_start(ap, a0);
	for (a = a0; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, CLI_ARGS_MAX - 1);
		argv[n++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[n] = NULL;
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(status == 0, "submit: status %d: %s", status, err);
	id = strtoull(out, &end, 10);
	ck_assert_msg(id > 0 && strcmp(end, "\n") == 0, "submit said '%s'",
	    out);
	snprintf(buf, len, "%" PRIu64, id);
	free(out);
	free(err);
	return id;
}

/* Stop a watch at its first output. */
static int
first_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	(void)arg;
	(void)id;
	(void)stream;
	(void)offset;
	(void)data;
	(void)len;
	(void)time_us;
	return 1;
}

/* Wait until a task has written something. */
static void
wait_output(uint64_t id)
{
	struct runnel_watch_opts	 wo;
	struct runnel_client		*cl;

	cl = harness_client(&h, "alice");
	memset(&wo, 0, sizeof wo);
	wo.ids = &id;
	wo.nids = 1;
	wo.on_output = first_output_cb;
	ck_assert_int_eq(runnel_watch(cl, &wo), 1);
	runnel_close(cl);
}

/* Wait for a task to end. */
static void
wait_end(const char *id)
{
	char	*out, *err;

	cli(&out, &err, "wait", id, NULL);
	free(out);
	free(err);
}

START_TEST(test_restart_on_lost)
{
	char	 a[32], b[32], *out, *err;

	submit(a, sizeof a, "--restart-on-lost", "--", "sh", "-c",
	    "echo up; exec sleep 30", NULL);
	submit(b, sizeof b, "--", "sh", "-c", "echo up; exec sleep 30",
	    NULL);
	wait_output(strtoull(a, NULL, 10));
	wait_output(strtoull(b, NULL, 10));
	harness_crash(&h);
	harness_spawn(&h, NULL);
	set_env();
	/* The one that asked runs again, in its second attempt. */
	ck_assert_int_eq(cli(&out, &err, "show", "--json", a, NULL), 0);
	ck_assert_msg(strstr(out, "\"state\":\"running\"") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"number\":2"));
	ck_assert_ptr_nonnull(strstr(out, "\"restart_on_lost\":true"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", a, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "restart_on_lost: yes\n"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", "--json", b, NULL), 0);
	ck_assert_msg(strstr(out, "\"state\":\"lost\"") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\"restart_on_lost\":false"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "submit", "--help", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "--restart-on-lost"));
	free(out);
	free(err);
	cli_expect(0, "", "cancel", a, NULL);
}
END_TEST

START_TEST(test_watch_tail_streams_json)
{
	char	 a[32], b[32], *out, *err;

	submit(a, sizeof a, "--", "printf", "a\\nb\\nc\\nd\\n", NULL);
	submit(b, sizeof b, "--name", "two", "--", "sh", "-c",
	    "echo out; echo err >&2", NULL);
	wait_end(a);
	wait_end(b);
	cli_expect(0, "c\nd\n", "watch", "--tail", "2", a, NULL);
	cli_expect(0, "d\n", "logs", "--tail", "1", a, NULL);
	/* --from and --tail exclude each other. */
	cli_expect(2, "", "watch", "--tail", "2", "--from", "1", a, NULL);

	ck_assert_int_eq(cli(&out, &err, "watch", "--stderr", b, NULL), 0);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "err\n");
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "watch", "--stdout", b, NULL), 0);
	ck_assert_str_eq(out, "out\n");
	ck_assert_str_eq(err, "");
	free(out);
	free(err);

	ck_assert_int_eq(cli(&out, &err, "watch", "--json", "--stdout", b,
	    NULL), 0);
	ck_assert_msg(strstr(out, "\"name\":\"two\",\"stream\":\"stdout\","
	    "\"offset\":") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "\"data\":\"out\\n\"}\n") != NULL, "%s",
	    out);
	ck_assert_msg(strstr(out, "\"state\":\"succeeded\",\"exit_code\":0,"
	    "\"signal\":0}\n") != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, "err"));
	free(out);
	free(err);

	/* Timestamps: ISO 8601 with milliseconds before each line. */
	ck_assert_int_eq(cli(&out, &err, "watch", "--timestamps", a, NULL), 0);
	ck_assert_msg(strlen(out) > 30 && out[4] == '-' && out[10] == 'T' &&
	    out[19] == '.' && strstr(out, " a\n") != NULL &&
	    strstr(out, " d\n") != NULL, "%s", out);
	free(out);
	free(err);

	/* Two tasks, not a terminal: prefixed, never coloured. */
	ck_assert_int_eq(cli(&out, &err, "watch", "--stdout", a, b, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "[two] out\n"));
	ck_assert_ptr_null(strchr(out, '\033'));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_watch_colour)
{
	char	 a[32], b[32], cmd[600], *out, *err;
	char	*argv[] = { (char *)(uintptr_t)"/usr/bin/script",
	    (char *)(uintptr_t)"-qec", cmd, (char *)(uintptr_t)"/dev/null",
	    NULL };
	int	 status;

	/* script(1) gives the CLI a terminal; without it, nothing to do. */
	if (access(argv[0], X_OK) != 0)
		return;
	submit(a, sizeof a, "--name", "one", "--", "echo", "x", NULL);
	submit(b, sizeof b, "--name", "two", "--", "echo", "y", NULL);
	wait_end(a);
	wait_end(b);
	/* On a terminal, each task's [NAME] in its own colour... */
	snprintf(cmd, sizeof cmd, "%s watch %s %s", getenv("RUNNEL"), a, b);
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_int_eq(status, 0);
	ck_assert_msg(strstr(out, "\033[31m[one]\033[0m x") != NULL &&
	    strstr(out, "\033[32m[two]\033[0m y") != NULL, "got '%s'", out);
	free(out);
	free(err);
	/* ...but never with NO_COLOR. */
	snprintf(cmd, sizeof cmd, "NO_COLOR=1 %s watch %s %s",
	    getenv("RUNNEL"), a, b);
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_int_eq(status, 0);
	ck_assert_msg(strstr(out, "[one] x") != NULL &&
	    strchr(out, '\033') == NULL, "got '%s'", out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_logs)
{
	char	 a[32], b[32], *out, *err;

	submit(a, sizeof a, "--", "sh", "-c", "echo one; echo two >&2; "
	    "exit 3", NULL);
	wait_end(a);
	/* Any state, and exit 0 even for a failed task. */
	ck_assert_int_eq(cli(&out, &err, "logs", a, NULL), 0);
	ck_assert_str_eq(out, "one\n");
	ck_assert_str_eq(err, "two\n");
	free(out);
	free(err);
	cli_expect(0, "", "logs", "--stderr", a, NULL);
	cli_expect(5, "", "logs", "999999", NULL);

	/* A running task: what it has so far, without waiting for more. */
	submit(b, sizeof b, "--", "sh", "-c", "echo so-far; exec sleep 30",
	    NULL);
	wait_output(strtoull(b, NULL, 10));
	cli_expect(0, "so-far\n", "logs", b, NULL);
	cli_expect(0, "", "cancel", b, NULL);
}
END_TEST

START_TEST(test_clean)
{
	char	 a[32], b[32], *out, *err;

	submit(a, sizeof a, "--label", "c=1", "--", "true", NULL);
	submit(b, sizeof b, "--label", "c=1", "--", "sleep", "30", NULL);
	wait_end(a);
	/* Too recent for --older-than 1h. */
	cli_expect(0, "removed 0 tasks\n", "clean", "--older-than", "1h",
	    "--label", "c=1", NULL);
	/* The running one stays. */
	cli_expect(0, "removed 1 tasks\n", "clean", "--label", "c=1", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", a, NULL), 5);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", b, NULL), 0);
	free(out);
	free(err);
	cli_expect(0, "", "cancel", b, NULL);
	wait_end(b);
	cli_expect(0, "removed 1 tasks\n", "clean", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", b, NULL), 5);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_watch_follows_label)
{
	char		 a[32], *buf = NULL, *ebuf = NULL;
	size_t		 len = 0, elen = 0;
	uint64_t	 b;
	int		 ofd, efd, status;
	pid_t		 pid;

	pid = cli_bg(&ofd, &efd, "watch", "--label", "grp=f", NULL);
	/* A task submitted after the watch began joins it; one without
	 * the label does not. */
	submit(a, sizeof a, "--", "echo", "other", NULL);
	wait_end(a);
	submit(a, sizeof a, "--name", "late", "--label", "grp=f", "--",
	    "echo", "hi", NULL);
	ck_assert_msg(read_until(ofd, &buf, &len, "[late] hi\n"), "got '%s'",
	    buf == NULL ? "" : buf);
	ck_assert_ptr_null(strstr(buf, "other"));
	/* It goes on until interrupted. */
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	/* Ctrl-C ends it, with its partial lines printed. */
	b = submit(a, sizeof a, "--name", "part", "--label", "grp=f", "--",
	    "sh", "-c", "printf partial; exec sleep 30", NULL);
	wait_output(b);
	submit(a, sizeof a, "--label", "grp=f", "--", "echo", "marker", NULL);
	ck_assert_msg(read_until(ofd, &buf, &len, "marker\n"), "got '%s'",
	    buf);
	ck_assert_ptr_null(strstr(buf, "partial"));
	kill(pid, SIGINT);
	ck_assert(read_until(ofd, &buf, &len, NULL));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 130,
	    "status %d", status);
	ck_assert_msg(strstr(buf, "[part] partial\n") != NULL, "got '%s'",
	    buf);
	snprintf(a, sizeof a, "%" PRIu64, b);
	cli_expect(0, "", "cancel", a, NULL);
	read_until(efd, &ebuf, &elen, NULL);
	close(ofd);
	close(efd);
	free(buf);
	free(ebuf);
}
END_TEST

START_TEST(test_watch_reconnects)
{
	char	 a[32], *buf = NULL, *ebuf = NULL, *exp, *err;
	size_t	 len = 0, elen = 0, explen;
	int	 ofd, efd, status;
	char	*argv[] = { (char *)(uintptr_t)"/bin/sh",
	    (char *)(uintptr_t)"-c", (char *)(uintptr_t)"seq 1 300000", NULL };
	pid_t	 pid;

	ck_assert_int_eq(harness_run(argv, &exp, &explen, &err), 0);
	free(err);
	submit(a, sizeof a, "--", "seq", "1", "300000", NULL);
	wait_end(a);
	/* Over the unix socket: the restarted daemon's TCP port differs. */
	pid = cli_bg(&ofd, &efd, "-H", unixhost, "watch", a, NULL);
	/* Take a little, then let the pipe and the socket fill while the
	 * daemon restarts. */
	ck_assert(read_until(ofd, &buf, &len, "\n1000\n"));
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	set_env();
	ck_assert(read_until(ofd, &buf, &len, NULL));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	read_until(efd, &ebuf, &elen, NULL);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d: %s", status, ebuf == NULL ? "" : ebuf);
	ck_assert_msg(ebuf != NULL &&
	    strstr(ebuf, "runnel: connection lost, reconnecting\n") != NULL,
	    "stderr: %s", ebuf == NULL ? "" : ebuf);
	ck_assert_uint_eq(len, explen);
	ck_assert(memcmp(buf, exp, explen) == 0);
	close(ofd);
	close(efd);
	free(buf);
	free(ebuf);
	free(exp);
}
END_TEST

/* A daemon that keeps one finished task. */
static void
setup_keep_one(void)
{
	harness_start(&h, "[retention]\nmax_finished = 1\n");
	snprintf(unixhost, sizeof unixhost, "unix:%s", h.sock);
	cli_env(&h, "alice");
	unsetenv("NO_COLOR");
}

START_TEST(test_watch_reconnects_task_removed)
{
	char	 a[32], b[32], want[128], *buf = NULL, *ebuf = NULL;
	size_t	 len = 0, elen = 0;
	int	 ofd, efd, status;
	pid_t	 pid;

	submit(a, sizeof a, "--", "sh", "-c", "echo one; exec sleep 600",
	    NULL);
	submit(b, sizeof b, "--", "sh", "-c", "echo two; exec sleep 600",
	    NULL);
	pid = cli_bg(&ofd, &efd, "-H", unixhost, "watch", a, b, NULL);
	ck_assert(read_until(ofd, &buf, &len, "one\n"));
	ck_assert(read_until(ofd, &buf, &len, "two\n"));
	/* Killed: both end lost at the restart, and max_finished removes
	 * the first before anyone can connect. */
	harness_crash(&h);
	harness_spawn(&h, NULL);
	set_env();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	read_until(efd, &ebuf, &elen, NULL);
	snprintf(want, sizeof want, "runnel: task %s was removed while the "
	    "connection was lost\n", a);
	ck_assert_msg(ebuf != NULL && strstr(ebuf, want) != NULL,
	    "stderr: %s", ebuf == NULL ? "" : ebuf);
	/* The other was followed to its end: lost, so 1. */
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d: %s", status, ebuf);
	close(ofd);
	close(efd);
	free(buf);
	free(ebuf);
}
END_TEST

static Suite *
cli_watch_suite(void)
{
	Suite	*s = suite_create("cli_watch");
	TCase	*tc = tcase_create("cli_watch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_restart_on_lost);
	tcase_add_test(tc, test_watch_tail_streams_json);
	tcase_add_test(tc, test_watch_colour);
	tcase_add_test(tc, test_logs);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_watch_follows_label);
	tcase_add_test(tc, test_watch_reconnects);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli_watch_removed");
	tcase_add_checked_fixture(tc, setup_keep_one, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watch_reconnects_task_removed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(cli_watch_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
