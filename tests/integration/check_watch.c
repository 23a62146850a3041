/*
 * check_watch.c - output is never lost: following watches, resuming from an
 * offset, the last N lines, stream filters, many watchers, a watcher that
 * stops reading, and cleaning finished tasks.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "harness.h"
#include "rawc.h"

static struct harness	h;
static struct rawc	rc;

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

static uint64_t
submit(const char *const *argv)
{
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id = rawc_submit(&rc, spec, NULL);

	rawc_spec_free(spec);
	return id;
}

static void
wait_ids(const uint64_t *ids, size_t n)
{
	rawc_free(rawc_wait(&rc, ids, n, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0));
}

/* What a watch delivered. */
struct got {
	char		*data;
	size_t		 len;
	uint64_t	 tasks[16];
	size_t		 ntasks;
	size_t		 ended;
	int		 bad_offset;
	uint64_t	 next[16];
};

/* Read one watch's messages into g until WatchEnd, or until `ends` task
 * ends when ends > 0. */
static void
collect(struct rawc *c, uint64_t wid, struct got *g, size_t ends)
{
	Runnel__V1__ServerMessage	*r;
	size_t				 i;

	for (;;) {
		r = rawc_recv(c);
		ck_assert_ptr_nonnull(r);
		if (r->id != wid) {
			rawc_free(r);
			continue;
		}
		if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT) {
			for (i = 0; i < g->ntasks; i++)
				if (g->tasks[i] == r->output->task_id)
					break;
			if (i == g->ntasks && g->ntasks < 16)
				g->tasks[g->ntasks++] = r->output->task_id;
			if (i < 16 && g->next[i] != 0 &&
			    g->next[i] != r->output->offset)
				g->bad_offset = 1;
			if (i < 16)
				g->next[i] = r->output->offset +
				    r->output->data.len;
			g->data = realloc(g->data, g->len +
			    r->output->data.len + 1);
			memcpy(g->data + g->len, r->output->data.data,
			    r->output->data.len);
			g->len += r->output->data.len;
			g->data[g->len] = '\0';
		} else if (r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK) {
			g->ended++;
			if (ends > 0 && g->ended == ends) {
				rawc_free(r);
				return;
			}
		} else if (r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			rawc_free(r);
			return;
		} else
			ck_abort_msg("unexpected reply %d", r->reply_case);
		rawc_free(r);
	}
}

/* Send a watch request. */
static uint64_t
watch(struct rawc *c, Runnel__V1__WatchRequest *wr)
{
	Runnel__V1__ClientMessage	m = RUNNEL__V1__CLIENT_MESSAGE__INIT;

	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = wr;
	return rawc_send(c, &m);
}

START_TEST(test_follow_sees_new_tasks)
{
	const char			*a[] = { "echo", "first", NULL };
	const char			*b[] = { "echo", "second", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__Selector		 sel = RUNNEL__V1__SELECTOR__INIT;
	struct rawc			 w;
	struct got			 g;
	uint64_t			 wid, ids[2];

	memset(&g, 0, sizeof g);
	ids[0] = submit(a);
	wait_ids(ids, 1);
	rawc_open(&w, &h);
	sel.all = 1;
	wr.select = &sel;
	wr.follow = 1;
	wid = watch(&w, &wr);
	collect(&w, wid, &g, 1);
	ck_assert_str_eq(g.data, "first\n");
	/* A task submitted after the watch began joins it. */
	ids[1] = submit(b);
	collect(&w, wid, &g, 2);
	ck_assert_str_eq(g.data, "first\nsecond\n");
	ck_assert_uint_eq(g.ntasks, 2);
	ck_assert_uint_eq(g.tasks[1], ids[1]);
	free(g.data);
	rawc_close(&w);
}
END_TEST

START_TEST(test_resume_tail_lines_streams)
{
	const char			*argv[] = { "sh", "-c",
	    "for i in 1 2 3 4 5; do echo line$i; done; printf partial", NULL };
	const char			*both[] = { "sh", "-c",
	    "echo out1; echo err1 >&2; echo out2; echo err2 >&2", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__TaskOffset		 to = RUNNEL__V1__TASK_OFFSET__INIT;
	Runnel__V1__TaskOffset		*tos[1] = { &to };
	Runnel__V1__Stream		 only_err = RUNNEL__V1__STREAM__STREAM_STDERR;
	struct got			 g;
	uint64_t			 id, id2, wid;

	id = submit(argv);
	id2 = submit(both);
	wait_ids((uint64_t[]){ id, id2 }, 2);
	wr.task_ids = &id;
	wr.n_task_ids = 1;

	/* The last 3 lines, counting the unterminated one. */
	memset(&g, 0, sizeof g);
	wr.tail_lines = 3;
	wid = watch(&rc, &wr);
	collect(&rc, wid, &g, 0);
	ck_assert_str_eq(g.data, "line4\nline5\npartial");
	free(g.data);

	/* Resume exactly where a client stopped: no byte missing or
	 * repeated. */
	memset(&g, 0, sizeof g);
	wr.tail_lines = 0;
	to.task_id = id;
	to.offset = 14;		/* "line1\nline2\nli" */
	wr.resume = tos;
	wr.n_resume = 1;
	wid = watch(&rc, &wr);
	collect(&rc, wid, &g, 0);
	ck_assert_str_eq(g.data, "ne3\nline4\nline5\npartial");
	free(g.data);

	/* Only stderr. */
	memset(&g, 0, sizeof g);
	wr.resume = NULL;
	wr.n_resume = 0;
	wr.task_ids = &id2;
	wr.streams = &only_err;
	wr.n_streams = 1;
	wid = watch(&rc, &wr);
	collect(&rc, wid, &g, 0);
	ck_assert_str_eq(g.data, "err1\nerr2\n");
	free(g.data);
}
END_TEST

/* Hash all of a watch's stdout. */
static void
hash_watch(struct rawc *c, uint64_t wid, unsigned char *md, uint64_t *bytes)
{
	Runnel__V1__ServerMessage	*r;
	EVP_MD_CTX			*ctx = EVP_MD_CTX_new();
	unsigned			 len;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	*bytes = 0;
	for (;;) {
		r = rawc_recv(c);
		ck_assert_ptr_nonnull(r);
		if (r->id == wid && r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT) {
			EVP_DigestUpdate(ctx, r->output->data.data,
			    r->output->data.len);
			*bytes += r->output->data.len;
		} else if (r->id == wid && r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			rawc_free(r);
			break;
		}
		rawc_free(r);
	}
	EVP_DigestFinal_ex(ctx, md, &len);
	EVP_MD_CTX_free(ctx);
}

START_TEST(test_many_watchers_and_a_stalled_one)
{
	const char			*argv[] = { "sh", "-c",
	    "head -c 8388608 /dev/urandom | od -An -x", NULL };
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	enum { N = 50 };
	static struct rawc		 w[N];
	uint64_t			 wid[N], id, bytes[N], sbytes;
	unsigned char			 md[N][EVP_MAX_MD_SIZE], smd[EVP_MAX_MD_SIZE];
	struct rawc			 stalled;
	uint64_t			 swid;
	size_t				 i;

	/* One watcher connects and stops reading while the task runs. */
	id = submit(argv);
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	rawc_open(&stalled, &h);
	swid = watch(&stalled, &wr);
	for (i = 0; i < N; i++) {
		rawc_open(&w[i], &h);
		wid[i] = watch(&w[i], &wr);
	}
	/* The task is not slowed by a stalled reader: it ends. */
	wait_ids(&id, 1);
	for (i = 0; i < N; i++) {
		hash_watch(&w[i], wid[i], md[i], &bytes[i]);
		rawc_close(&w[i]);
	}
	for (i = 1; i < N; i++) {
		ck_assert_uint_eq(bytes[i], bytes[0]);
		ck_assert(memcmp(md[i], md[0], 32) == 0);
	}
	ck_assert_uint_gt(bytes[0], 8388608);
	/* The stalled one resumes reading and gets every byte too. */
	hash_watch(&stalled, swid, smd, &sbytes);
	ck_assert_uint_eq(sbytes, bytes[0]);
	ck_assert(memcmp(smd, md[0], 32) == 0);
	rawc_close(&stalled);
}
END_TEST

START_TEST(test_clean_removes_for_good)
{
	const char			*argv[] = { "echo", "x", NULL };
	const char			*slow[] = { "sleep", "30", NULL };
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CleanRequest	 cr = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__ShowRequest		 sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 a, b, c;

	a = submit(argv);
	b = submit(argv);
	c = submit(slow);
	wait_ids((uint64_t[]){ a, b }, 2);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
	m.clean = &cr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_CLEAN);
	/* The running one stays. */
	ck_assert_uint_eq(r->clean->n_task_ids, 2);
	rawc_free(r);
	sr.task_id = a;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
	m.show = &sr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code, RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND);
	rawc_free(r);
	rawc_free(rawc_show(&rc, c));

	/* After a restart they are still gone, and ids do not repeat even
	 * though the newest tasks were removed. */
	rawc_close(&rc);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
	m.clean = &cr;
	r = rawc_call(&rc, &m);
	/* c ended (cancelled at shutdown) and goes now. */
	ck_assert_uint_eq(r->clean->n_task_ids, 1);
	rawc_free(r);
	rawc_close(&rc);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);
	ck_assert_uint_eq(submit(argv), c + 1);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
	m.show = &sr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	rawc_free(r);
}
END_TEST

/* Watch one task to its end: stdout bytes, system notices, end info. */
static void
watch_all(uint64_t id, uint64_t *out, char *notice, size_t len)
{
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 wid;

	*out = 0;
	notice[0] = '\0';
	wr.task_ids = &id;
	wr.n_task_ids = 1;
	wid = watch(&rc, &wr);
	for (;;) {
		r = rawc_recv(&rc);
		ck_assert_ptr_nonnull(r);
		if (r->id == wid && r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT) {
			if (r->output->stream ==
			    RUNNEL__V1__STREAM__STREAM_SYSTEM)
				snprintf(notice, len, "%.*s",
				    (int)r->output->data.len,
				    (char *)r->output->data.data);
			else
				*out += r->output->data.len;
		} else if (r->id == wid && r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			rawc_free(r);
			return;
		}
		rawc_free(r);
	}
}

START_TEST(test_retention_head_and_tail)
{
	const char			*argv[] = { "head", "-c", "8388608",
	    "/dev/zero", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id, dropped, got;
	char				 notice[200], path[200];
	struct stat			 st;
	int				 round;

	id = submit(argv);
	wait_ids(&id, 1);
	for (round = 0; round < 2; round++) {
		r = rawc_show(&rc, id);
		ck_assert_uint_eq(r->task->task->output_bytes, 8388608);
		dropped = r->task->task->output_dropped;
		rawc_free(r);
		/* Kept: the first half of 1 MiB and the newest half,
		 * exactly. */
		ck_assert_uint_eq(dropped, 8388608 - 1048576);
		watch_all(id, &got, notice, sizeof notice);
		ck_assert_uint_eq(got, 8388608 - dropped);
		ck_assert_ptr_nonnull(strstr(notice, "removed by retention"));
		/* And after a restart, the same. */
		rawc_close(&rc);
		harness_shutdown(&h);
		harness_spawn(&h, NULL);
		rawc_open(&rc, &h);
	}
	snprintf(path, sizeof path, "%s/state/tasks/%llu.log", h.dir,
	    (unsigned long long)id);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt((long long)st.st_blocks * 512, 4 * 1048576);
}
END_TEST

START_TEST(test_retention_max_finished)
{
	const char			*argv[] = { "true", NULL };
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 ids[4];
	size_t				 i;

	for (i = 0; i < 4; i++) {
		ids[i] = submit(argv);
		wait_ids(&ids[i], 1);
	}
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	r = rawc_call(&rc, &m);
	/* Only the newest two are kept. */
	ck_assert_uint_eq(r->list->n_tasks, 2);
	ck_assert_uint_eq(r->list->tasks[0]->id, ids[2]);
	ck_assert_uint_eq(r->list->tasks[1]->id, ids[3]);
	rawc_free(r);
}
END_TEST

static void
setup_retention(void)
{
	harness_start(&h, "[retention]\nmax_output = 1m\nmax_finished = 2\n");
	rawc_open(&rc, &h);
}

int
main(void)
{
	Suite	*s = suite_create("watch");
	TCase	*tc = tcase_create("watch");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_follow_sees_new_tasks);
	tcase_add_test(tc, test_resume_tail_lines_streams);
	tcase_add_test(tc, test_many_watchers_and_a_stalled_one);
	tcase_add_test(tc, test_clean_removes_for_good);
	suite_add_tcase(s, tc);
	{
		TCase	*tr = tcase_create("retention");

		tcase_add_checked_fixture(tr, setup_retention, teardown);
		tcase_set_timeout(tr, 60);
		tcase_add_test(tr, test_retention_head_and_tail);
		tcase_add_test(tr, test_retention_max_finished);
		suite_add_tcase(s, tr);
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
