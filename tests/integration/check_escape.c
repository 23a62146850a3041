/*
 * check_escape.c - processes that escape a task's process group (setsid)
 * and keep its output pipes open, against a real runneld: a cancel, a
 * timeout and an orderly shutdown end the task after the grace whatever
 * they do, its end is recorded and says processes escaped, and an escaped
 * writer gets EPIPE once runneld has closed its ends; a task that exits by
 * itself runs on while an escapee holds its output, and ends at EOF.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"
#include "rawc.h"

#define S_RUNNING	RUNNEL__V1__TASK_STATE__TASK_RUNNING
#define S_SUCCEEDED	RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED
#define S_CANCELLED	RUNNEL__V1__TASK_STATE__TASK_CANCELLED
#define S_TIMED_OUT	RUNNEL__V1__TASK_STATE__TASK_TIMED_OUT

/* The harness's [limits] grace. */
#define GRACE_MS	2000
/* After the grace: the killed group's last members, the loop, the reply.
 * runneld gives the group at most a second; the rest is room for a loaded
 * machine.  What the bound tells apart is an end against none at all (the
 * old daemon never ended such a task), not a speed. */
#define MARGIN_MS	10000

static struct harness	h;
static struct rawc	rc;
static char		pidfile[128];

/* The escapees' pids go to one file for the whole run, kept outside the
 * tests' dirs: the parent kills them at the end even if a test failed. */
static void
setup_run(void)
{
	char	dir[96];

	snprintf(dir, sizeof dir, "%s/runnel-escape.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(pidfile, sizeof pidfile, "%s/escaped", dir);
}

static void
setup(void)
{
	harness_start(&h, NULL);
	rawc_open(&rc, &h);
}

/* Kill the escapees whose pids the tasks wrote (they outlive their tasks:
 * killing them is not runneld's job). */
static void
kill_escapees(void)
{
	FILE	*f;
	long	 pid;

	if ((f = fopen(pidfile, "r")) == NULL)
		return;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 1)
			(void)kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* Kill what escaped, and remove the pid file and its dir. */
static void
teardown_run(void)
{
	char	*slash;

	kill_escapees();
	unlink(pidfile);
	if ((slash = strrchr(pidfile, '/')) != NULL) {
		*slash = '\0';
		rmdir(pidfile);
	}
}

static void
teardown(void)
{
	kill_escapees();
	/* Killed: their pids must not be signalled again once reused. */
	unlink(pidfile);
	rawc_close(&rc);
	harness_stop(&h);
}

/* Milliseconds on the monotonic clock. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid of the last escapee in the pid file. */
static pid_t
escapee_pid(void)
{
	FILE	*f = fopen(pidfile, "r");
	long	 pid = 0, next;

	ck_assert_msg(f != NULL, "%s: %s", pidfile, strerror(errno));
	while (fscanf(f, "%ld", &next) == 1)
		pid = next;
	fclose(f);
	ck_assert_int_gt(pid, 1);
	return (pid_t)pid;
}

/* A shell line in which an escapee (setsid) writes its pid, says "ready"
 * on the task's stdout and then runs body, with the task's pipes as its
 * stdout and stderr; the task's own process then runs main. */
static void
escape_argv(char *line, size_t len, const char *body, const char *main,
    const char **argv)
{
	snprintf(line, len, "setsid sh -c 'echo $$ >>%s; echo ready; %s' & "
	    "%s", pidfile, body, main);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = line;
	argv[3] = NULL;
}

/* A watch's output so far, per stream (stdout, stderr, runneld's). */
static struct {
	char	buf[3][65536];
	size_t	len[3];
} cap;

/* Add a watch's output reply to cap. */
static void
capture_add(const Runnel__V1__ServerMessage *r)
{
	int	i;
	size_t	n;

	if (r->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT)
		return;
	i = r->output->stream == RUNNEL__V1__STREAM__STREAM_STDOUT ? 0 :
	    r->output->stream == RUNNEL__V1__STREAM__STREAM_STDERR ? 1 : 2;
	n = r->output->data.len;
	if (n > sizeof cap.buf[i] - 1 - cap.len[i])
		n = sizeof cap.buf[i] - 1 - cap.len[i];
	memcpy(cap.buf[i] + cap.len[i], r->output->data.data, n);
	cap.len[i] += n;
	cap.buf[i][cap.len[i]] = '\0';
}

/* Submit a spec and watch the task on a second connection until its
 * stdout holds text (the escapee is there and its pid is written). */
static uint64_t
submit_until(Runnel__V1__TaskSpec *spec, struct rawc *w, const char *text)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id;

	memset(&cap, 0, sizeof cap);
	id = rawc_submit(&rc, spec, NULL);
	ck_assert_uint_gt(id, 0);
	rawc_open(w, &h);
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	rawc_send(w, &m);
	while (strstr(cap.buf[0], text) == NULL) {
		r = rawc_recv(w);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_ne(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END);
		capture_add(r);
		rawc_free(r);
	}
	return id;
}

/* Read the rest of a watch into cap, until it ends. */
static void
watch_rest(struct rawc *w)
{
	Runnel__V1__ServerMessage	*r;

	while ((r = rawc_recv(w)) != NULL) {
		if (r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			rawc_free(r);
			break;
		}
		capture_add(r);
		rawc_free(r);
	}
}

/* Cancel a task with a grace period. */
static void
cancel(uint64_t id, uint32_t grace_ms)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CancelRequest	 cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	cr.task_ids = &id;
	cr.n_task_ids = 1;
	cr.grace_ms = grace_ms;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	m.cancel = &cr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL);
	rawc_free(r);
}

/* Wait (up to timeout_ms) for a process we are not the parent of to
 * exit; 1 if it did. */
static int
exits_within(pid_t pid, int timeout_ms)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = pidfd_open(pid, 0);
	if (pfd.fd == -1)
		return errno == ESRCH;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, timeout_ms);
	close(pfd.fd);
	return n == 1;
}

/* The end a task reached, checked: state, one attempt, the reason saying
 * processes escaped. */
static void
assert_escaped_end(const Runnel__V1__TaskInfo *t, int state)
{
	ck_assert_int_eq(t->state, state);
	ck_assert_uint_eq(t->n_attempts, 1);
	ck_assert_int_eq(t->attempts[0]->state, state);
	ck_assert_int_gt(t->ended_ms, 0);
	ck_assert_int_eq(t->pid, 0);
	ck_assert_msg(strstr(t->reason, "processes escaped") != NULL,
	    "reason: '%s'", t->reason);
}

START_TEST(test_cancel_escaped_silent)
{
	char				 line[512];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 w;
	uint64_t			 id;
	int64_t				 t0, took;
	pid_t				 esc;
	char				 idstr[32], *cout, *cerr;

	/* The escapee sleeps with the pipes open; the task's own process
	 * sleeps too, and goes on SIGTERM. */
	escape_argv(line, sizeof line, "exec sleep 120", "exec sleep 120",
	    argv);
	spec = rawc_spec(argv);
	id = submit_until(spec, &w, "ready");
	rawc_spec_free(spec);
	esc = escapee_pid();

	t0 = now_ms();
	cancel(id, 500);
	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    harness_ms(10000));
	took = now_ms() - t0;
	ck_assert_uint_eq(r->wait->n_tasks, 1);
	assert_escaped_end(r->wait->tasks[0], S_CANCELLED);
	/* Its own process ended on SIGTERM; the end came after the grace
	 * (SIGKILL), and within a small margin of it. */
	ck_assert_int_eq(r->wait->tasks[0]->signal, SIGTERM);
	ck_assert_int_ge(took, 500);
	ck_assert_int_lt(took, 500 + (int64_t)harness_ms(MARGIN_MS));
	rawc_free(r);

	/* Show says so too (runnel show as well), and the watch ended with
	 * runneld's notice. */
	r = rawc_show(&rc, id);
	assert_escaped_end(r->task->task, S_CANCELLED);
	rawc_free(r);
	snprintf(idstr, sizeof idstr, "%llu", (unsigned long long)id);
	cli_env(&h, "admin");
	ck_assert_int_eq(cli(&cout, &cerr, "show", idstr, NULL), 0);
	ck_assert_msg(strstr(cout, "\nstate: cancelled\n") != NULL &&
	    strstr(cout, "\nreason: processes escaped the task's process "
	    "group and held its output open after SIGKILL: its pipes were "
	    "closed\n") != NULL, "runnel show: %s", cout);
	free(cout);
	free(cerr);
	watch_rest(&w);
	rawc_close(&w);
	ck_assert_str_eq(cap.buf[0], "ready\n");
	ck_assert_msg(strstr(cap.buf[2], "runnel: processes escaped") != NULL,
	    "system stream: '%s'", cap.buf[2]);
	/* runneld leaves the escapee alone (a cgroup would not). */
	ck_assert_int_eq(kill(esc, 0), 0);
	ck_assert_int_eq(harness_wait_log(&h, "grace period over"), 0);
}
END_TEST

START_TEST(test_cancel_escaped_writer)
{
	char				 line[512];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 w;
	uint64_t			 id;
	int64_t				 t0, took;
	pid_t				 esc;

	/* The escapee writes to both pipes until a write fails; the task's
	 * own process ignores SIGTERM, so it needs the SIGKILL. */
	escape_argv(line, sizeof line, "while :; do echo tick; "
	    "echo tock >&2; sleep 0.02; done",
	    "trap \"\" TERM; sleep 120 & wait", argv);
	spec = rawc_spec(argv);
	id = submit_until(spec, &w, "tick");
	rawc_spec_free(spec);
	esc = escapee_pid();

	t0 = now_ms();
	cancel(id, 300);
	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    harness_ms(10000));
	took = now_ms() - t0;
	assert_escaped_end(r->wait->tasks[0], S_CANCELLED);
	ck_assert_int_eq(r->wait->tasks[0]->signal, SIGKILL);
	ck_assert_int_ge(took, 300);
	ck_assert_int_lt(took, 300 + (int64_t)harness_ms(MARGIN_MS));
	rawc_free(r);

	/* Once runneld closed its ends, the escaped writer's next write
	 * fails (SIGPIPE ends the shell). */
	ck_assert_msg(exits_within(esc, (int)harness_ms(5000)),
	    "the escaped writer still runs");
	watch_rest(&w);
	rawc_close(&w);
	ck_assert_ptr_nonnull(strstr(cap.buf[0], "ready\ntick\n"));
	ck_assert_ptr_nonnull(strstr(cap.buf[1], "tock\n"));
	ck_assert_msg(strstr(cap.buf[2], "runnel: processes escaped") != NULL,
	    "system stream: '%s'", cap.buf[2]);
}
END_TEST

START_TEST(test_cancel_escaped_flood)
{
	char				 line[512];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 w;
	uint64_t			 id;
	int64_t				 t0, took;
	pid_t				 esc;

	/* The escapee writes as fast as it can (the log's writer may fall
	 * behind and pause the reader); no one watches. */
	escape_argv(line, sizeof line, "exec yes", "exec sleep 120", argv);
	spec = rawc_spec(argv);
	id = submit_until(spec, &w, "ready");
	rawc_spec_free(spec);
	rawc_close(&w);
	esc = escapee_pid();

	t0 = now_ms();
	cancel(id, 100);
	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    harness_ms(10000));
	took = now_ms() - t0;
	assert_escaped_end(r->wait->tasks[0], S_CANCELLED);
	ck_assert_int_ge(took, 100);
	ck_assert_int_lt(took, 100 + (int64_t)harness_ms(MARGIN_MS));
	ck_assert_uint_gt(r->wait->tasks[0]->output_bytes, 0);
	rawc_free(r);
	ck_assert_msg(exits_within(esc, (int)harness_ms(5000)),
	    "the escaped writer still runs");
	/* The daemon goes on serving. */
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state, S_CANCELLED);
	rawc_free(r);
}
END_TEST

START_TEST(test_timeout_escaped_not_retried)
{
	char				 line[512];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__TaskInfo		*t;
	struct rawc			 w;
	uint64_t			 id;
	int64_t				 took;

	escape_argv(line, sizeof line, "exec sleep 120", "exec sleep 120",
	    argv);
	spec = rawc_spec(argv);
	spec->timeout_ms = 300;
	spec->retries = 2;
	id = submit_until(spec, &w, "ready");
	rawc_spec_free(spec);
	rawc_close(&w);
	(void)escapee_pid();

	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    harness_ms(20000));
	t = r->wait->tasks[0];
	/* Timed out, SIGTERM ended its process, and after the grace the
	 * escapee's pipes were closed; not retried, for the escapee may
	 * still run. */
	assert_escaped_end(t, S_TIMED_OUT);
	ck_assert_int_eq(t->signal, SIGTERM);
	took = t->ended_ms - t->attempts[0]->started_ms;
	ck_assert_int_ge(took, 300 + GRACE_MS);
	ck_assert_int_lt(took, 300 + GRACE_MS + (int64_t)harness_ms(MARGIN_MS));
	rawc_free(r);
}
END_TEST

START_TEST(test_shutdown_escaped_recorded)
{
	char				 line[512];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 w;
	uint64_t			 id;
	int64_t				 t0, took;

	escape_argv(line, sizeof line, "exec sleep 120", "exec sleep 120",
	    argv);
	spec = rawc_spec(argv);
	id = submit_until(spec, &w, "ready");
	rawc_spec_free(spec);
	rawc_close(&w);
	rawc_close(&rc);
	(void)escapee_pid();

	/* SIGTERM: the task is cancelled with the grace, ends, and runneld
	 * exits then, not at its shutdown deadline (grace + 2 s), where it
	 * would log that tasks were still running. */
	t0 = now_ms();
	harness_shutdown(&h);
	took = now_ms() - t0;
	ck_assert_int_ge(took, GRACE_MS);
	ck_assert_ptr_null(strstr(h.log, "still running"));
	ck_assert_ptr_nonnull(strstr(h.log, "processes escaped"));

	/* The end was recorded: after a restart the task is cancelled (by
	 * the shutdown), not lost. */
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);
	r = rawc_show(&rc, id);
	assert_escaped_end(r->task->task, S_CANCELLED);
	ck_assert_str_eq(r->task->task->cancelled_by, "shutdown");
	rawc_free(r);
}
END_TEST

START_TEST(test_exit_escapee_keeps_output)
{
	char				 line[512], fifo[160];
	const char			*argv[4];
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 w;
	uint64_t			 id;
	pid_t				 pid;
	int				 fd;

	/* The task's process exits 0 at once; the escapee holds its stdout
	 * until the test writes to a fifo, then says "bye" and exits. */
	snprintf(fifo, sizeof fifo, "%s/go", h.dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(line, sizeof line, "setsid sh -c 'echo $$ >>%s; echo ready; "
	    "read x <%s; echo bye' & exit 0", pidfile, fifo);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = line;
	argv[3] = NULL;
	spec = rawc_spec(argv);
	id = submit_until(spec, &w, "ready");
	rawc_spec_free(spec);

	/* Its process has exited, yet the task runs: its output is open. */
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state, S_RUNNING);
	pid = r->task->task->pid;
	rawc_free(r);
	ck_assert_int_gt(pid, 1);
	ck_assert(exits_within(pid, (int)harness_ms(5000)));
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state, S_RUNNING);
	rawc_free(r);

	/* The escapee finishes: EOF, and the task succeeds with all of its
	 * output and no word of escape. */
	fd = open(fifo, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "go\n", 3), 3);
	close(fd);
	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    harness_ms(10000));
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	ck_assert_int_eq(r->wait->tasks[0]->exit_code, 0);
	ck_assert_str_eq(r->wait->tasks[0]->reason, "");
	rawc_free(r);
	watch_rest(&w);
	rawc_close(&w);
	ck_assert_str_eq(cap.buf[0], "ready\nbye\n");
	ck_assert_ptr_null(strstr(cap.buf[2], "escaped"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("escape");
	TCase	*tc = tcase_create("escape");
	SRunner	*sr;
	int	 failed;

	tcase_add_unchecked_fixture(tc, setup_run, teardown_run);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cancel_escaped_silent);
	tcase_add_test(tc, test_cancel_escaped_writer);
	tcase_add_test(tc, test_cancel_escaped_flood);
	tcase_add_test(tc, test_timeout_escaped_not_retried);
	tcase_add_test(tc, test_shutdown_escaped_recorded);
	tcase_add_test(tc, test_exit_escapee_keeps_output);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
