/*
 * check_contract.c - the daemon does what docs/PROTOCOL.md and runnel.proto
 * say: a Watch given only `resume`, a task's stdin owned by the connection
 * that submitted it (and ended when that connection goes), max_output as a
 * bound with the exact offsets that went, and what id 0 gets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "rawc.h"

#define UNCONST(s)	((char *)(uintptr_t)(s))

static struct harness	h;
static struct rawc	rc;

static void
setup(void)
{
	harness_start(&h, NULL);
	rawc_open(&rc, &h);
}

static void
setup_retention(void)
{
	harness_start(&h, "[retention]\nmax_output = 100k\n");
	rawc_open(&rc, &h);
}

static void
teardown(void)
{
	rawc_close(&rc);
	harness_stop(&h);
}

/* Submit argv on c; the id. */
static uint64_t
submit_on(struct rawc *c, const char *const *argv, int stdin_stream)
{
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id;

	spec->stdin_stream = stdin_stream;
	id = rawc_submit(c, spec, NULL);
	rawc_spec_free(spec);
	return id;
}

/* Wait for one task on c; its final state. */
static int
wait_one(struct rawc *c, uint64_t id)
{
	Runnel__V1__ServerMessage	*r;
	int				 state;

	r = rawc_wait(c, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT);
	ck_assert_uint_eq(r->wait->n_tasks, 1);
	state = r->wait->tasks[0]->state;
	rawc_free(r);
	return state;
}

/* What a watch delivered: the data of each task in order, the system
 * notices, and the ends. */
struct got {
	uint64_t	 ids[4];
	char		*data[4];
	size_t		 len[4];
	uint64_t	 first[4];	/* offset of the first chunk */
	char		 notice[256];
	uint64_t	 notice_offset;
	size_t		 ends;
	int		 error;		/* an Error's code instead */
	char		 message[256];
};

/* The slot of task id in g. */
static size_t
got_slot(struct got *g, uint64_t id)
{
	size_t	i;

	for (i = 0; i < 4 && g->ids[i] != 0; i++)
		if (g->ids[i] == id)
			return i;
	ck_assert_uint_lt(i, 4);
	g->ids[i] = id;
	return i;
}

/* Send a watch and read it to its WatchEnd (or Error). */
static void
watch_collect(struct rawc *c, Runnel__V1__WatchRequest *wr, struct got *g)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__OutputChunk		*o;
	uint64_t			 wid;
	size_t				 i;

	memset(g, 0, sizeof *g);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = wr;
	wid = rawc_send(c, &m);
	for (;;) {
		r = rawc_recv(c);
		ck_assert_ptr_nonnull(r);
		if (r->id != wid) {
			rawc_free(r);
			continue;
		}
		switch (r->reply_case) {
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT:
			o = r->output;
			i = got_slot(g, o->task_id);
			if (o->stream == RUNNEL__V1__STREAM__STREAM_SYSTEM) {
				snprintf(g->notice, sizeof g->notice, "%.*s",
				    (int)o->data.len, (char *)o->data.data);
				g->notice_offset = o->offset;
				break;
			}
			if (g->len[i] == 0)
				g->first[i] = o->offset;
			g->data[i] = realloc(g->data[i], g->len[i] +
			    o->data.len + 1);
			memcpy(g->data[i] + g->len[i], o->data.data,
			    o->data.len);
			g->len[i] += o->data.len;
			g->data[i][g->len[i]] = '\0';
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK:
			got_slot(g, r->task->task->id);
			g->ends++;
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR:
			g->error = r->error->code;
			snprintf(g->message, sizeof g->message, "%s",
			    r->error->message);
			rawc_free(r);
			return;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END:
			rawc_free(r);
			return;
		default:
			break;
		}
		rawc_free(r);
	}
}

static void
got_free(struct got *g)
{
	size_t	i;

	for (i = 0; i < 4; i++)
		free(g->data[i]);
}

/* A TaskOffset. */
static Runnel__V1__TaskOffset *
task_offset(uint64_t id, uint64_t offset)
{
	Runnel__V1__TaskOffset	*to = calloc(1, sizeof *to);

	runnel__v1__task_offset__init(to);
	to->task_id = id;
	to->offset = offset;
	return to;
}

START_TEST(test_watch_resume_only)
{
	const char			*argv1[] = { "printf", "0123456789",
	    NULL };
	const char			*argv2[] = { "printf", "abcdef", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__TaskOffset		*res[5000];
	struct got			 g;
	uint64_t			 a, b;
	size_t				 i;

	a = submit_on(&rc, argv1, 0);
	b = submit_on(&rc, argv2, 0);
	ck_assert_int_eq(wait_one(&rc, a), RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	ck_assert_int_eq(wait_one(&rc, b), RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);

	/* Only resume, as section 7 says to resume: the task, from there. */
	res[0] = task_offset(a, 4);
	wr.resume = res;
	wr.n_resume = 1;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, 0);
	ck_assert_uint_eq(g.ids[0], a);
	ck_assert_uint_eq(g.first[0], 4);
	ck_assert_str_eq(g.data[0], "456789");
	ck_assert_uint_eq(g.ends, 1);
	got_free(&g);

	/* task_ids and resume together: the union, resume sets a start. */
	wr.task_ids = &a;
	wr.n_task_ids = 1;
	free(res[0]);
	res[0] = task_offset(b, 2);
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, 0);
	ck_assert_uint_eq(g.ends, 2);
	i = got_slot(&g, a);
	ck_assert_str_eq(g.data[i], "0123456789");
	i = got_slot(&g, b);
	ck_assert_str_eq(g.data[i], "cdef");
	got_free(&g);

	/* A task in both: its resume offset counts. */
	free(res[0]);
	res[0] = task_offset(a, 7);
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, 0);
	ck_assert_uint_eq(g.ends, 1);
	ck_assert_str_eq(g.data[0], "789");
	got_free(&g);

	/* The same task many times: one task, the last offset given. */
	free(res[0]);
	wr.task_ids = NULL;
	wr.n_task_ids = 0;
	for (i = 0; i < 5000; i++)
		res[i] = task_offset(a, i == 4999 ? 8 : i % 10);
	wr.n_resume = 5000;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, 0);
	ck_assert_uint_eq(g.ends, 1);
	ck_assert_str_eq(g.data[0], "89");
	got_free(&g);
	for (i = 0; i < 5000; i++)
		free(res[i]);

	/* An unknown task in resume: NOT_FOUND, as in task_ids. */
	res[0] = task_offset(a, 0);
	res[1] = task_offset(999999, 0);
	wr.n_resume = 2;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND);
	ck_assert_str_eq(g.message, "task 999999: not found");
	got_free(&g);
	free(res[0]);
	free(res[1]);
}
END_TEST

START_TEST(test_follow_needs_a_match)
{
	const char			*argv[] = { "true", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__Selector		 sel = RUNNEL__V1__SELECTOR__INIT;
	struct got			 g;
	uint64_t			 a;

	a = submit_on(&rc, argv, 0);
	ck_assert_int_eq(wait_one(&rc, a),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	/* Ids alone would match every task to come: refused. */
	sel.ids = &a;
	sel.n_ids = 1;
	wr.select = &sel;
	wr.follow = 1;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error,
	    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	ck_assert_str_eq(g.message,
	    "follow needs a selector (all, labels or a queue)");
	got_free(&g);
	wr.select = NULL;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error,
	    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	got_free(&g);
}
END_TEST

/* Send a Stdin request on c; the reply (Error or StdinReply). */
static Runnel__V1__ServerMessage *
send_stdin(struct rawc *c, uint64_t id, const char *data, int eof)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__StdinRequest	 sr = RUNNEL__V1__STDIN_REQUEST__INIT;

	sr.task_id = id;
	sr.data.data = (uint8_t *)(uintptr_t)data;
	sr.data.len = strlen(data);
	sr.eof = eof;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN;
	m.stdin = &sr;
	return rawc_call(c, &m);
}

/* The reply is an Error of code with message. */
static void
assert_error(Runnel__V1__ServerMessage *r, int code, const char *message)
{
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code, code);
	ck_assert_str_eq(r->error->message, message);
	rawc_free(r);
}

START_TEST(test_stdin_belongs_to_its_connection)
{
	const char			*argv[] = { "cat", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 other, owner;
	struct got			 g;
	char				 want[128];
	uint64_t			 id;

	rawc_open(&owner, &h);
	rawc_open(&other, &h);
	id = submit_on(&owner, argv, 1);
	/* Another connection of the same identity, an admin too. */
	snprintf(want, sizeof want, "task %llu: its stdin belongs to the "
	    "connection that submitted it", (unsigned long long)id);
	assert_error(send_stdin(&other, id, "intruder\n", 0),
	    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED, want);
	assert_error(send_stdin(&rc, id, "", 1),
	    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED, want);
	/* The owner's bytes go in. */
	r = send_stdin(&owner, id, "hello\n", 0);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_STDIN);
	rawc_free(r);
	/* The owner goes away: the task reads EOF and cat ends. */
	rawc_close(&owner);
	ck_assert_int_eq(wait_one(&other, id),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	watch_collect(&other, &wr, &g);
	ck_assert_str_eq(g.data[0], "hello\n");
	got_free(&g);
	snprintf(want, sizeof want, "task %llu: stdin already closed",
	    (unsigned long long)id);
	assert_error(send_stdin(&other, id, "late\n", 0),
	    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION, want);
	rawc_close(&other);
}
END_TEST

START_TEST(test_stdin_of_a_user_task)
{
	const char		*argv[] = { "cat", NULL };
	struct runnel_spec	 spec = { .argv = argv, .stdin_stream = 1 };
	struct runnel_client	*c1 = harness_client(&h, "alice");
	struct runnel_client	*c2 = harness_client(&h, "alice");
	struct runnel_client	*bob = harness_client(&h, "bob");
	char			 want[128];
	uint64_t		 id;

	ck_assert_int_eq(runnel_submit(c1, &spec, &id), 0);
	/* alice on another connection, bob, and an admin: refused. */
	ck_assert_int_eq(runnel_stdin(c2, id, "x", 1, 0), RUNNEL_EPERM);
	snprintf(want, sizeof want, "task %llu: its stdin belongs to the "
	    "connection that submitted it", (unsigned long long)id);
	ck_assert_str_eq(runnel_last_error(c2), want);
	ck_assert_int_eq(runnel_stdin(bob, id, "x", 1, 0), RUNNEL_ENOTFOUND);
	assert_error(send_stdin(&rc, id, "x", 0),
	    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED, want);
	/* The submitting connection: its bytes, then EOF. */
	ck_assert_int_eq(runnel_stdin(c1, id, "hi\n", 3, 1), 0);
	ck_assert_int_eq(wait_one(&rc, id),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	runnel_close(bob);
	runnel_close(c2);
	runnel_close(c1);
}
END_TEST

/* The output of seq 1 200000. */
static char *
seq_output(size_t *len)
{
	char	*buf = malloc(200000 * 7 + 1);
	size_t	 n = 0;
	int	 i;

	for (i = 1; i <= 200000; i++)
		n += sprintf(buf + n, "%d\n", i);
	*len = n;
	return buf;
}

/* What retention kept of seq's output: exactly the first 50k and the
 * newest 50k, the notice naming the offsets between. */
static void
assert_kept(uint64_t id, const char *want, size_t total)
{
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	struct got			 g;
	char				 notice[200];
	const size_t			 half = 51200;

	r = rawc_show(&rc, id);
	ck_assert_uint_eq(r->task->task->output_bytes, total);
	ck_assert_uint_eq(r->task->task->output_dropped, total - 2 * half);
	rawc_free(r);
	/* From the start: the head, the notice, the tail. */
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	watch_collect(&rc, &wr, &g);
	ck_assert_int_eq(g.error, 0);
	ck_assert_uint_eq(g.len[0], 2 * half);
	ck_assert(memcmp(g.data[0], want, half) == 0);
	ck_assert(memcmp(g.data[0] + half, want + total - half, half) == 0);
	snprintf(notice, sizeof notice, "runnel: %zu bytes of output from "
	    "offset %zu were removed by retention\n", total - 2 * half, half);
	ck_assert_str_eq(g.notice, notice);
	ck_assert_uint_eq(g.notice_offset, total - half);
	got_free(&g);
	/* From inside the hole: at its end, without the notice. */
	wr.from_offset = 60000;
	watch_collect(&rc, &wr, &g);
	ck_assert_uint_eq(g.first[0], total - half);
	ck_assert_uint_eq(g.len[0], half);
	ck_assert_str_eq(g.notice, "");
	got_free(&g);
	/* The last line is there. */
	wr.from_offset = 0;
	wr.tail_lines = 1;
	watch_collect(&rc, &wr, &g);
	ck_assert_str_eq(g.data[0], "200000\n");
	got_free(&g);
}

START_TEST(test_max_output_is_a_bound)
{
	const char	*argv[] = { "seq", "1", "200000", NULL };
	char		*want;
	size_t		 total;
	uint64_t	 id;

	want = seq_output(&total);
	id = submit_on(&rc, argv, 0);
	ck_assert_int_eq(wait_one(&rc, id),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	assert_kept(id, want, total);
	/* The journal has the same range: after a restart, the same. */
	rawc_close(&rc);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);
	assert_kept(id, want, total);
	free(want);
}
END_TEST

START_TEST(test_refused_certificate)
{
	const char			*names[] = { "127.0.0.1" };
	struct runnel_connect_opts	 opts;
	struct runnel_client		*c = NULL;
	char				 dir[160], ca[200], cert[200], key[200];
	char				*cause = NULL, *out = NULL, *err = NULL;
	char				 want[200];
	char				*argv[] = { getenv("RUNNEL"), UNCONST("-H"),
	    h.host, UNCONST("--ca"), ca, UNCONST("--cert"), cert,
	    UNCONST("--key"), key, UNCONST("status"), NULL };

	/* alice, but from another CA. */
	snprintf(dir, sizeof dir, "%s/other-pki", h.dir);
	ck_assert_int_eq(runnel_pki_init(dir, names, 1, &cause), 0);
	ck_assert_int_eq(runnel_pki_issue(dir, "alice", &cause), 0);
	snprintf(ca, sizeof ca, "%s/ca.crt", h.pki);
	snprintf(cert, sizeof cert, "%s/alice.crt", dir);
	snprintf(key, sizeof key, "%s/alice.key", dir);
	memset(&opts, 0, sizeof opts);
	opts.host = h.host;
	opts.ca = ca;
	opts.cert = cert;
	opts.key = key;
	ck_assert_int_eq(runnel_connect(&c, &opts), RUNNEL_ETLS);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(NULL),
	    "alert unknown ca"));
	/* The daemon's log says why, in OpenSSL's words and no others. */
	ck_assert_int_eq(harness_wait_log(&h, "tls handshake failed: "
	    "error:0A000086:SSL routines::certificate verify failed "
	    "(client certificate: unable to get local issuer certificate)"), 0);
	pthread_mutex_lock(&h.log_mtx);
	ck_assert_ptr_null(strstr(h.log, "lib(0)"));
	pthread_mutex_unlock(&h.log_mtx);
	/* runnel: cannot connect (3), and the alert. */
	snprintf(want, sizeof want, "runnel: connect to %s: read from daemon: ",
	    h.host);
	ck_assert_int_eq(harness_run(argv, &out, NULL, &err), 3);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(out, "");
	ck_assert(strncmp(err, want, strlen(want)) == 0);
	ck_assert_ptr_nonnull(strstr(err, "alert unknown ca"));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_task_id_zero)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ShowRequest		 show = RUNNEL__V1__SHOW_REQUEST__INIT;
	Runnel__V1__CancelRequest	 cancel = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__WaitRequest		 wait = RUNNEL__V1__WAIT_REQUEST__INIT;
	Runnel__V1__WatchRequest	 watch = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__RestartRequest	 restart =
	    RUNNEL__V1__RESTART_REQUEST__INIT;
	Runnel__V1__StdinRequest	 in = RUNNEL__V1__STDIN_REQUEST__INIT;
	Runnel__V1__CleanRequest	 clean = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__Selector		 sel = RUNNEL__V1__SELECTOR__INIT;
	uint64_t			 zero = 0;
	size_t				 i;

	cancel.task_ids = &zero;
	cancel.n_task_ids = 1;
	wait.task_ids = &zero;
	wait.n_task_ids = 1;
	watch.task_ids = &zero;
	watch.n_task_ids = 1;
	sel.ids = &zero;
	sel.n_ids = 1;
	clean.select = &sel;
	for (i = 0; i < 7; i++) {
		switch (i) {
		case 0:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
			m.show = &show;
			break;
		case 1:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
			m.cancel = &cancel;
			break;
		case 2:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT;
			m.wait = &wait;
			break;
		case 3:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
			m.watch = &watch;
			break;
		case 4:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART;
			m.restart = &restart;
			break;
		case 5:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN;
			m.stdin = &in;
			break;
		case 6:
			m.request_case =
			    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
			m.clean = &clean;
			break;
		}
		/* Ids start at 1: 0 names no task. */
		assert_error(rawc_call(&rc, &m),
		    RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND,
		    "task 0: not found");
	}
}
END_TEST

START_TEST(test_restart_owner)
{
	const char			*argv[] = { "true", NULL };
	struct runnel_spec		 spec = { .argv = argv };
	struct runnel_client		*alice = harness_client(&h, "alice");
	struct runnel_client		*bob = harness_client(&h, "bob");
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__RestartRequest	 rr = RUNNEL__V1__RESTART_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id, mine, admins;
	char				 admin[64];

	ck_assert_int_eq(runnel_submit(alice, &spec, &id), 0);
	ck_assert_int_eq(wait_one(&rc, id),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	/* bob may not see it; alice restarts her own, and owns the copy. */
	ck_assert_int_eq(runnel_restart(bob, id, &mine), RUNNEL_ENOTFOUND);
	ck_assert_int_eq(runnel_restart(alice, id, &mine), 0);
	r = rawc_show(&rc, mine);
	ck_assert_str_eq(r->task->task->owner, "alice");
	rawc_free(r);
	/* An admin restarts it: the admin owns that copy. */
	rr.task_id = id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART;
	m.restart = &rr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT);
	admins = r->submit->task_id;
	rawc_free(r);
	r = rawc_show(&rc, id);
	ck_assert_str_eq(r->task->task->owner, "alice");
	rawc_free(r);
	r = rawc_show(&rc, admins);
	snprintf(admin, sizeof admin, "%s", r->task->task->owner);
	rawc_free(r);
	ck_assert(strncmp(admin, "unix:", 5) == 0);
	/* So alice cannot see it. */
	ck_assert_int_eq(runnel_restart(alice, admins, NULL),
	    RUNNEL_ENOTFOUND);
	ck_assert_int_eq(wait_one(&rc, mine),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	ck_assert_int_eq(wait_one(&rc, admins),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	runnel_close(bob);
	runnel_close(alice);
}
END_TEST

START_TEST(test_wait_cancel_rest_needs_user)
{
	const char			*argv[] = { "sleep", "100", NULL };
	struct runnel_client		*victor = harness_client(&h, "victor");
	struct runnel_selector		 byid = { 0 }, all = { .all = 1 };
	struct runnel_task		*tasks = NULL;
	size_t				 n = 0;
	uint64_t			 id;
	const char			*want = "cancel needs role user; "
					    "victor is viewer";

	id = submit_on(&rc, argv, 0);
	byid.ids = &id;
	byid.nids = 1;
	/* A viewer's wait with cancel_rest is refused for its role, by id
	 * or by selector, before any task is looked at. */
	ck_assert_int_eq(runnel_wait_select(victor, &byid, RUNNEL_WAIT_ALL, 1,
	    0, &tasks, &n, NULL), RUNNEL_EPERM);
	ck_assert_str_eq(runnel_last_error(victor), want);
	ck_assert_int_eq(runnel_wait_select(victor, &all, RUNNEL_WAIT_ALL, 1,
	    0, &tasks, &n, NULL), RUNNEL_EPERM);
	ck_assert_str_eq(runnel_last_error(victor), want);
	/* Without cancel_rest it may wait. */
	ck_assert_int_eq(runnel_wait_select(victor, &byid, RUNNEL_WAIT_ALL, 0,
	    1, &tasks, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(tasks[0].state, RUNNEL_RUNNING);
	runnel_tasks_free(tasks, n);
	ck_assert_int_eq(runnel_cancel(victor, &id, 1, 0, 0), RUNNEL_EPERM);
	runnel_close(victor);
	/* The fixture's SIGTERM ends the sleep. */
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("contract");
	TCase	*tc = tcase_create("contract");
	TCase	*tr = tcase_create("retention");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_watch_resume_only);
	tcase_add_test(tc, test_follow_needs_a_match);
	tcase_add_test(tc, test_stdin_belongs_to_its_connection);
	tcase_add_test(tc, test_stdin_of_a_user_task);
	tcase_add_test(tc, test_refused_certificate);
	tcase_add_test(tc, test_task_id_zero);
	tcase_add_test(tc, test_restart_owner);
	tcase_add_test(tc, test_wait_cancel_rest_needs_user);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tr, setup_retention, teardown);
	tcase_set_timeout(tr, 60);
	tcase_add_test(tr, test_max_output_is_a_bound);
	suite_add_tcase(s, tr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
