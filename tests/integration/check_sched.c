/*
 * check_sched.c - the scheduler against a real runneld: limits, priority,
 * dependencies, timeouts, retries, idempotent keys, delayed starts, stdin
 * streaming, environment and limits in the child, queues, cancel of queued
 * tasks, wait modes, labels and restart.
 */
#include <sys/pidfd.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "rawc.h"

static struct harness	h;
static struct rawc	rc;

#define S_QUEUED	RUNNEL__V1__TASK_STATE__TASK_QUEUED
#define S_RUNNING	RUNNEL__V1__TASK_STATE__TASK_RUNNING
#define S_SUCCEEDED	RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED
#define S_FAILED	RUNNEL__V1__TASK_STATE__TASK_FAILED
#define S_CANCELLED	RUNNEL__V1__TASK_STATE__TASK_CANCELLED
#define S_TIMED_OUT	RUNNEL__V1__TASK_STATE__TASK_TIMED_OUT
#define S_SKIPPED	RUNNEL__V1__TASK_STATE__TASK_SKIPPED

static void
setup_limit2(void)
{
	harness_start(&h, "max_running = 2\n");
	rawc_open(&rc, &h);
}

static void
setup_limit1(void)
{
	harness_start(&h, "max_running = 1\n");
	rawc_open(&rc, &h);
}

static void
setup(void)
{
	harness_start(&h, NULL);
	rawc_open(&rc, &h);
}

static void
teardown(void)
{
	rawc_close(&rc);
	harness_stop(&h);
}

/* Submit argv with no options. */
static uint64_t
submit_argv(const char *const *argv)
{
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id = rawc_submit(&rc, spec, NULL);

	rawc_spec_free(spec);
	return id;
}

/* Wait for all and return the reply. */
static Runnel__V1__ServerMessage *
wait_all(const uint64_t *ids, size_t n)
{
	return rawc_wait(&rc, ids, n, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
}

START_TEST(test_max_running_never_exceeded)
{
	const char			*argv[] = { "sleep", "0.2", NULL };
	uint64_t			 ids[6];
	Runnel__V1__ServerMessage	*r;
	int64_t				 t0, t1;
	size_t				 i, j;
	int				 most = 0, cover;

	for (i = 0; i < 6; i++)
		ids[i] = submit_argv(argv);
	r = wait_all(ids, 6);
	/* At the start of each attempt, count the attempts running then. */
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(r->wait->tasks[i]->state, S_SUCCEEDED);
		ck_assert_uint_eq(r->wait->tasks[i]->n_attempts, 1);
		t0 = r->wait->tasks[i]->attempts[0]->started_ms;
		cover = 0;
		for (j = 0; j < 6; j++) {
			t1 = r->wait->tasks[j]->attempts[0]->started_ms;
			if (t1 <= t0 &&
			    r->wait->tasks[j]->attempts[0]->ended_ms > t0)
				cover++;
		}
		if (cover > most)
			most = cover;
	}
	ck_assert_int_eq(most, 2);
	rawc_free(r);
}
END_TEST

START_TEST(test_priority_order)
{
	char			 secs[32];
	const char		*block[] = { "sleep", secs, NULL };
	const char		*argv[] = { "sleep", "0.05", NULL };
	int32_t			 prio[4] = { 0, 5, 1, 5 };
	uint64_t		 ids[5];
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	int64_t			 s[5];
	size_t			 i;

	/* Long enough for the four to queue behind it, even under valgrind. */
	snprintf(secs, sizeof secs, "%.3f", harness_ms(300) / 1000.0);
	ids[0] = submit_argv(block);
	for (i = 0; i < 4; i++) {
		spec = rawc_spec(argv);
		spec->priority = prio[i];
		ids[i + 1] = rawc_submit(&rc, spec, NULL);
		rawc_spec_free(spec);
	}
	/* Queued tasks say what they wait for. */
	r = rawc_show(&rc, ids[1]);
	ck_assert_int_eq(r->task->task->state, S_QUEUED);
	ck_assert_str_eq(r->task->task->waiting_for, "max_running (1/1 running)");
	rawc_free(r);
	r = wait_all(ids, 5);
	for (i = 0; i < 5; i++)
		s[i] = r->wait->tasks[i]->attempts[0]->started_ms;
	rawc_free(r);
	/* 5 (first), 5 (second), 1, 0. */
	ck_assert_int_le(s[2], s[4]);
	ck_assert_int_le(s[4], s[3]);
	ck_assert_int_le(s[3], s[1]);
	ck_assert_int_lt(s[2], s[1]);
}
END_TEST

START_TEST(test_dependencies)
{
	const char		*ok[] = { "true", NULL };
	const char		*bad[] = { "false", NULL };
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	uint64_t		 a, b, c, d, e, ids[5];
	int			 code;

	a = submit_argv(ok);
	spec = rawc_spec(ok);
	spec->n_after = 1;
	spec->after = &a;
	b = rawc_submit(&rc, spec, NULL);
	spec->after = NULL;
	spec->n_after = 0;
	rawc_spec_free(spec);

	c = submit_argv(bad);
	spec = rawc_spec(ok);
	spec->n_after = 1;
	spec->after = &c;
	d = rawc_submit(&rc, spec, NULL);	/* skipped: c fails */
	spec->after = &d;
	e = rawc_submit(&rc, spec, NULL);	/* skipped: transitively */
	spec->after = NULL;
	spec->n_after = 0;
	rawc_spec_free(spec);

	ids[0] = a;
	ids[1] = b;
	ids[2] = c;
	ids[3] = d;
	ids[4] = e;
	r = wait_all(ids, 5);
	ck_assert_int_eq(r->wait->tasks[1]->state, S_SUCCEEDED);
	ck_assert_int_ge(r->wait->tasks[1]->attempts[0]->started_ms,
	    r->wait->tasks[0]->attempts[0]->ended_ms);
	ck_assert_int_eq(r->wait->tasks[3]->state, S_SKIPPED);
	ck_assert_str_eq(r->wait->tasks[3]->reason, "dependency 3 failed");
	ck_assert_uint_eq(r->wait->tasks[3]->n_attempts, 0);
	ck_assert_int_eq(r->wait->tasks[4]->state, S_SKIPPED);
	ck_assert_str_eq(r->wait->tasks[4]->reason, "dependency 4 skipped");
	rawc_free(r);

	/* after-any runs whatever the result. */
	spec = rawc_spec(ok);
	spec->n_after_any = 1;
	spec->after_any = &c;
	a = rawc_submit(&rc, spec, NULL);
	spec->after_any = NULL;
	spec->n_after_any = 0;
	rawc_spec_free(spec);
	r = wait_all(&a, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	rawc_free(r);

	/* Unknown ids are refused; ids only name tasks that exist, so no
	 * cycle can be made. */
	b = 999;
	spec = rawc_spec(ok);
	spec->n_after = 1;
	spec->after = &b;
	ck_assert_uint_eq(rawc_submit(&rc, spec, &code), 0);
	ck_assert_int_eq(code, RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND);
	spec->after = NULL;
	spec->n_after = 0;
	rawc_spec_free(spec);
}
END_TEST

START_TEST(test_timeout_kills_group)
{
	const char		*argv[] = { "sh", "-c",
	    "sleep 30 & echo $!; wait", NULL };
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	Runnel__V1__ServerMessage *r;
	Runnel__V1__ClientMessage m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	struct pollfd		 pfd;
	uint64_t		 id;
	pid_t			 gc = 0;

	spec->timeout_ms = 300;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	r = wait_all(&id, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_TIMED_OUT);
	ck_assert_int_eq(r->wait->tasks[0]->signal, 15);
	ck_assert_int_ge(r->wait->tasks[0]->ended_ms -
	    r->wait->tasks[0]->attempts[0]->started_ms, 290);
	rawc_free(r);
	/* The grandchild's pid is the task's output. */
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
	gc = atoi((char *)r->output->data.data);
	rawc_free(r);
	ck_assert_int_gt(gc, 1);
	pfd.fd = pidfd_open(gc, 0);
	if (pfd.fd != -1) {
		pfd.events = POLLIN;
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		close(pfd.fd);
	}
}
END_TEST

START_TEST(test_retries)
{
	const char		*fail[] = { "sh", "-c", "echo try; exit 3", NULL };
	char			 script[256];
	const char		*flaky[] = { "sh", "-c", script, NULL };
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	Runnel__V1__TaskInfo	*ti;
	uint64_t		 id;
	size_t			 i;

	spec = rawc_spec(fail);
	spec->retries = 2;
	spec->retry_delay_ms = 50;
	spec->retry_backoff = 2;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	r = wait_all(&id, 1);
	ti = r->wait->tasks[0];
	ck_assert_int_eq(ti->state, S_FAILED);
	ck_assert_uint_eq(ti->n_attempts, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ti->attempts[i]->state, S_FAILED);
		ck_assert_int_eq(ti->attempts[i]->exit_code, 3);
		ck_assert_uint_eq(ti->attempts[i]->number, i + 1);
	}
	/* Each attempt has its own output segment; backoff doubles. */
	ck_assert_uint_eq(ti->attempts[0]->output_start, 0);
	ck_assert_uint_eq(ti->attempts[0]->output_end, 4);
	ck_assert_uint_gt(ti->attempts[1]->output_start, 4);
	ck_assert_int_ge(ti->attempts[1]->started_ms -
	    ti->attempts[0]->ended_ms, 50);
	ck_assert_int_ge(ti->attempts[2]->started_ms -
	    ti->attempts[1]->ended_ms, 100);
	rawc_free(r);

	/* Fails once, then succeeds. */
	snprintf(script, sizeof script, "f=%s/count; n=$(cat $f 2>/dev/null "
	    "|| echo 0); n=$((n+1)); echo $n > $f; [ $n -ge 2 ]", h.dir);
	spec = rawc_spec(flaky);
	spec->retries = 5;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	r = wait_all(&id, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	ck_assert_uint_eq(r->wait->tasks[0]->n_attempts, 2);
	rawc_free(r);
}
END_TEST

/* A program that cannot be executed is not retried (the same spec would
 * fail the same way), though runneld learns it only when the child it
 * started exits 127; the reason says why. */
START_TEST(test_cannot_start_not_retried)
{
	const char			*missing[] = { "/nonexistent/cmd", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__TaskInfo		*ti;
	uint64_t			 id;

	/* Under valgrind, runneld's vfork child runs as a plain fork: its
	 * exec error never reaches the daemon, only the 127. */
	if (harness_wrapped())
		return;
	spec = rawc_spec(missing);
	spec->retries = 3;
	spec->retry_delay_ms = 10;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	r = wait_all(&id, 1);
	ti = r->wait->tasks[0];
	ck_assert_int_eq(ti->state, S_FAILED);
	ck_assert_uint_eq(ti->n_attempts, 1);
	ck_assert_int_eq(ti->exit_code, 127);
	ck_assert_msg(strstr(ti->reason, "cannot start '/nonexistent/cmd'") !=
	    NULL && strstr(ti->reason, strerror(ENOENT)) != NULL, "%s",
	    ti->reason);
	rawc_free(r);
}
END_TEST

START_TEST(test_cancel_stops_retrying)
{
	const char			*fail[] = { "false", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CancelRequest	 cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	uint64_t			 id;

	spec = rawc_spec(fail);
	spec->retries = 5;
	spec->retry_delay_ms = 60000;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	/* After the first attempt it waits a minute to retry. */
	r = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 300);
	ck_assert(r->wait->timed_out);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_QUEUED);
	ck_assert_uint_eq(r->wait->tasks[0]->n_attempts, 1);
	ck_assert_ptr_nonnull(strstr(r->wait->tasks[0]->waiting_for,
	    "retry at"));
	rawc_free(r);
	cr.task_ids = &id;
	cr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	m.cancel = &cr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL);
	rawc_free(r);
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state, S_CANCELLED);
	ck_assert_uint_eq(r->task->task->n_attempts, 1);
	ck_assert_str_ne(r->task->task->cancelled_by, "");
	rawc_free(r);
}
END_TEST

START_TEST(test_idempotent_key)
{
	const char		*argv[] = { "true", NULL };
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	struct runnel_client	*alice = harness_client(&h, "alice");
	struct runnel_spec	 ls;
	uint64_t		 a, b, other;

	spec->key = (char *)(uintptr_t)"nightly-2026-11-24";
	a = rawc_submit(&rc, spec, NULL);
	b = rawc_submit(&rc, spec, NULL);
	ck_assert_uint_eq(a, b);
	spec->key = (char *)(uintptr_t)"";
	rawc_spec_free(spec);
	/* Keys are per identity: alice's plain submit is another task. */
	memset(&ls, 0, sizeof ls);
	ls.argv = argv;
	ck_assert_int_eq(runnel_submit(alice, &ls, &other), 0);
	ck_assert_uint_ne(other, a);
	runnel_close(alice);
}
END_TEST

START_TEST(test_delayed_start)
{
	const char		*argv[] = { "true", NULL };
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	Runnel__V1__ServerMessage *r;
	struct timespec		 ts;
	int64_t			 at;
	uint64_t		 id;

	clock_gettime(CLOCK_REALTIME, &ts);
	at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 400;
	spec->start_at_ms = at;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state, S_QUEUED);
	ck_assert_ptr_nonnull(strstr(r->task->task->waiting_for, "start at"));
	rawc_free(r);
	r = wait_all(&id, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	ck_assert_int_ge(r->wait->tasks[0]->attempts[0]->started_ms, at);
	rawc_free(r);
}
END_TEST

/* Send a Stdin request and expect its reply. */
static void
send_stdin(uint64_t id, const void *data, size_t len, int eof)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__StdinRequest	 sr = RUNNEL__V1__STDIN_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	sr.task_id = id;
	sr.data.data = (uint8_t *)(uintptr_t)data;
	sr.data.len = len;
	sr.eof = eof;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN;
	m.stdin = &sr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_STDIN);
	rawc_free(r);
}

START_TEST(test_stdin_stream_exact)
{
	const char			*argv[] = { "cat", NULL };
	Runnel__V1__TaskSpec		*spec = rawc_spec(argv);
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	static uint8_t			 big[1024 * 1024], got[sizeof big];
	size_t				 i, have = 0;
	uint64_t			 id, wid;

	for (i = 0; i < sizeof big; i++)
		big[i] = (i * 7 + i / 251) & 0xff;
	spec->stdin_stream = 1;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	for (i = 0; i < sizeof big; i += 65536)
		send_stdin(id, big + i, 65536, i + 65536 == sizeof big);
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	wid = rawc_send(&rc, &m);
	for (;;) {
		r = rawc_recv(&rc);
		ck_assert_ptr_nonnull(r);
		if (r->id != wid) {
			rawc_free(r);
			continue;
		}
		if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT) {
			ck_assert_uint_le(have + r->output->data.len, sizeof got);
			memcpy(got + have, r->output->data.data,
			    r->output->data.len);
			have += r->output->data.len;
		} else if (r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			rawc_free(r);
			break;
		}
		rawc_free(r);
	}
	ck_assert_uint_eq(have, sizeof big);
	ck_assert(memcmp(big, got, sizeof big) == 0);
}
END_TEST

START_TEST(test_clear_env_and_rlimit)
{
	const char			*envp[] = { "env", NULL };
	const char			*ul[] = { "sh", "-c", "ulimit -n", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__Rlimit		 rl = RUNNEL__V1__RLIMIT__INIT;
	Runnel__V1__Rlimit		*rls[1] = { &rl };
	ProtobufCBinaryData		 env = { 5, (uint8_t *)(uintptr_t)"FOO=1" };
	struct runnel_client		*c = harness_client(&h, NULL);
	struct collect			 col;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id;
	struct passwd			*pw;
	char				 want[512];

	spec = rawc_spec(envp);
	spec->clear_env = 1;
	spec->n_env = 1;
	spec->env = &env;
	id = rawc_submit(&rc, spec, NULL);
	spec->n_env = 0;
	spec->env = NULL;
	rawc_spec_free(spec);
	r = wait_all(&id, 1);
	rawc_free(r);
	memset(&col, 0, sizeof col);
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
	/* The task's user's HOME, USER, LOGNAME and SHELL, then its own. */
	pw = getpwuid(geteuid());
	ck_assert_ptr_nonnull(pw);
	snprintf(want, sizeof want, "HOME=%s\nUSER=%s\nLOGNAME=%s\nSHELL=%s\n"
	    "FOO=1\n", pw->pw_dir, pw->pw_name, pw->pw_name,
	    *pw->pw_shell != '\0' ? pw->pw_shell : "/bin/sh");
	ck_assert_uint_eq(r->output->data.len, strlen(want));
	ck_assert(memcmp(r->output->data.data, want, strlen(want)) == 0);
	rawc_free(r);

	spec = rawc_spec(ul);
	rl.name = (char *)(uintptr_t)"nofile";
	rl.soft = 100;
	spec->n_rlimits = 1;
	spec->rlimits = rls;
	id = rawc_submit(&rc, spec, NULL);
	spec->n_rlimits = 0;
	spec->rlimits = NULL;
	rawc_spec_free(spec);
	runnel_close(c);
	r = wait_all(&id, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	rawc_free(r);
	c = harness_client(&h, NULL);
	{
		struct runnel_watch_opts	wo;

		memset(&wo, 0, sizeof wo);
		wo.ids = &id;
		wo.nids = 1;
		wo.on_output = collect_output_cb;
		wo.arg = &col;
		ck_assert_int_eq(runnel_watch(c, &wo), 0);
	}
	ck_assert_str_eq(col.out, "100\n");
	collect_free(&col);
	runnel_close(c);
}
END_TEST

START_TEST(test_queues)
{
	const char		*argv[] = { "sleep", "0.2", NULL };
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	uint64_t		 ids[3];
	int			 code;
	size_t			 i;

	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "build", 1);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_QUEUE);
	rawc_free(r);
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "build", 1);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	rawc_free(r);
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_PAUSE, "build", -1);
	rawc_free(r);
	spec = rawc_spec(argv);
	spec->queue = (char *)(uintptr_t)"build";
	for (i = 0; i < 3; i++)
		ids[i] = rawc_submit(&rc, spec, NULL);
	r = rawc_show(&rc, ids[0]);
	ck_assert_int_eq(r->task->task->state, S_QUEUED);
	ck_assert_str_eq(r->task->task->waiting_for, "queue build paused");
	ck_assert_str_eq(r->task->task->queue, "build");
	rawc_free(r);
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_RESUME, "build", -1);
	rawc_free(r);
	r = rawc_show(&rc, ids[1]);
	ck_assert_int_eq(r->task->task->state, S_QUEUED);
	ck_assert_str_eq(r->task->task->waiting_for, "queue build (1/1 running)");
	rawc_free(r);
	/* Drain: the running one finishes, nothing new starts. */
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_DRAIN, "build", -1);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_QUEUE);
	rawc_free(r);
	r = rawc_wait(&rc, ids, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	rawc_free(r);
	r = rawc_wait(&rc, ids + 1, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 300);
	ck_assert(r->wait->timed_out);
	ck_assert_str_eq(r->wait->tasks[0]->waiting_for,
	    "queue build draining");
	rawc_free(r);
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_RESUME, "build", -1);
	rawc_free(r);
	r = wait_all(ids, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(r->wait->tasks[i]->state, S_SUCCEEDED);
	rawc_free(r);
	/* An unknown queue is refused. */
	spec->queue = (char *)(uintptr_t)"nope";
	ck_assert_uint_eq(rawc_submit(&rc, spec, &code), 0);
	ck_assert_int_eq(code, RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	spec->queue = (char *)(uintptr_t)"";
	rawc_spec_free(spec);
}
END_TEST

START_TEST(test_wait_modes_and_cancel_queued)
{
	const char		*slow[] = { "sleep", "30", NULL };
	const char		*bad[] = { "sh", "-c", "sleep 0.1; exit 1", NULL };
	const char		*quick[] = { "true", NULL };
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	uint64_t		 ids[3];
	struct timespec		 ts;

	ids[0] = submit_argv(slow);
	ids[1] = submit_argv(bad);
	/* A task that waits far in the future: cancelled while queued. */
	clock_gettime(CLOCK_REALTIME, &ts);
	spec = rawc_spec(quick);
	spec->start_at_ms = (int64_t)ts.tv_sec * 1000 + 3600 * 1000;
	ids[2] = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);

	r = rawc_wait(&rc, ids, 3, RUNNEL__V1__WAIT_MODE__WAIT_FIRST_COMPLETED,
	    0, 0);
	ck_assert_int_eq(r->wait->tasks[1]->state, S_FAILED);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_RUNNING);
	rawc_free(r);
	r = rawc_wait(&rc, ids, 3, RUNNEL__V1__WAIT_MODE__WAIT_FIRST_FAILURE,
	    1, 0);
	ck_assert(!r->wait->timed_out);
	ck_assert_int_eq(r->wait->tasks[1]->state, S_FAILED);
	/* The queued one was cancelled at once, before it ever started. */
	ck_assert_int_eq(r->wait->tasks[2]->state, S_CANCELLED);
	ck_assert_uint_eq(r->wait->tasks[2]->n_attempts, 0);
	ck_assert_str_ne(r->wait->tasks[2]->cancelled_by, "");
	rawc_free(r);
	r = wait_all(ids, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_CANCELLED);
	rawc_free(r);
}
END_TEST

START_TEST(test_labels_and_restart)
{
	const char			*argv[] = { "sleep", "30", NULL };
	const char			*echo[] = { "echo", "again", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CancelRequest	 cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__RestartRequest	 rr = RUNNEL__V1__RESTART_REQUEST__INIT;
	Runnel__V1__Selector		 sel = RUNNEL__V1__SELECTOR__INIT;
	Runnel__V1__Label		 lab = RUNNEL__V1__LABEL__INIT;
	Runnel__V1__Label		*labs[1] = { &lab };
	uint64_t			 a, b, c, d;

	spec = rawc_spec(argv);
	rawc_spec_add_label(spec, "job", "web");
	a = rawc_submit(&rc, spec, NULL);
	b = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	spec = rawc_spec(echo);
	rawc_spec_add_label(spec, "job", "db");
	c = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);

	lab.key = (char *)(uintptr_t)"job";
	lab.value = (char *)(uintptr_t)"web";
	sel.n_labels = 1;
	sel.labels = labs;
	lr.select = &sel;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	r = rawc_call(&rc, &m);
	ck_assert_uint_eq(r->list->n_tasks, 2);
	ck_assert_uint_eq(r->list->tasks[0]->id, a);
	ck_assert_uint_eq(r->list->tasks[1]->id, b);
	ck_assert_str_eq(r->list->tasks[0]->labels[0]->value, "web");
	rawc_free(r);

	cr.select = &sel;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	m.cancel = &cr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL);
	ck_assert_uint_eq(r->cancel->n_task_ids, 2);
	rawc_free(r);

	r = wait_all((uint64_t[]){ a, b, c }, 3);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_CANCELLED);
	ck_assert_int_eq(r->wait->tasks[1]->state, S_CANCELLED);
	ck_assert_int_eq(r->wait->tasks[2]->state, S_SUCCEEDED);
	rawc_free(r);

	rr.task_id = c;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART;
	m.restart = &rr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT);
	d = r->submit->task_id;
	rawc_free(r);
	ck_assert_uint_gt(d, c);
	r = wait_all(&d, 1);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_SUCCEEDED);
	ck_assert_uint_eq(r->wait->tasks[0]->output_bytes, 6);
	ck_assert_str_eq(r->wait->tasks[0]->labels[0]->value, "db");
	rawc_free(r);
}
END_TEST

START_TEST(test_config_queue)
{
	const char		*argv[] = { "sleep", "30", NULL };
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	Runnel__V1__ServerMessage *r;
	uint64_t		 ids[2];

	/* [queue ci] from the config: one at a time, 300 ms timeout. */
	spec->queue = (char *)(uintptr_t)"ci";
	ids[0] = rawc_submit(&rc, spec, NULL);
	ids[1] = rawc_submit(&rc, spec, NULL);
	spec->queue = (char *)(uintptr_t)"";
	rawc_spec_free(spec);
	r = rawc_show(&rc, ids[1]);
	ck_assert_str_eq(r->task->task->waiting_for, "queue ci (1/1 running)");
	ck_assert_uint_eq(r->task->task->timeout_ms, 300);
	rawc_free(r);
	r = wait_all(ids, 2);
	ck_assert_int_eq(r->wait->tasks[0]->state, S_TIMED_OUT);
	ck_assert_int_eq(r->wait->tasks[1]->state, S_TIMED_OUT);
	ck_assert_int_ge(r->wait->tasks[1]->attempts[0]->started_ms,
	    r->wait->tasks[0]->ended_ms);
	rawc_free(r);
}
END_TEST

static void
setup_queue(void)
{
	harness_start(&h, "[queue ci]\nmax_running = 1\ntimeout = 300ms\n");
	rawc_open(&rc, &h);
}

int
main(void)
{
	Suite	*s = suite_create("sched");
	TCase	*tc = tcase_create("sched");
	TCase	*t2 = tcase_create("limit2");
	TCase	*t1 = tcase_create("limit1");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(t2, setup_limit2, teardown);
	tcase_add_test(t2, test_max_running_never_exceeded);
	suite_add_tcase(s, t2);
	{
		TCase	*tq = tcase_create("config-queue");

		tcase_add_checked_fixture(tq, setup_queue, teardown);
		tcase_add_test(tq, test_config_queue);
		suite_add_tcase(s, tq);
	}
	tcase_add_checked_fixture(t1, setup_limit1, teardown);
	tcase_add_test(t1, test_priority_order);
	suite_add_tcase(s, t1);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dependencies);
	tcase_add_test(tc, test_timeout_kills_group);
	tcase_add_test(tc, test_retries);
	tcase_add_test(tc, test_cannot_start_not_retried);
	tcase_add_test(tc, test_cancel_stops_retrying);
	tcase_add_test(tc, test_idempotent_key);
	tcase_add_test(tc, test_delayed_start);
	tcase_add_test(tc, test_stdin_stream_exact);
	tcase_add_test(tc, test_clear_env_and_rlimit);
	tcase_add_test(tc, test_queues);
	tcase_add_test(tc, test_wait_modes_and_cancel_queued);
	tcase_add_test(tc, test_labels_and_restart);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
