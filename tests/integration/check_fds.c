/*
 * check_fds.c - finished tasks hold no descriptors: runneld under a hard
 * RLIMIT_NOFILE of 64 runs thousands of tasks that write output, two
 * viewers read every log back (from the start, and the last line), and
 * task starts still work; its open descriptors stay within a bound
 * throughout.  A spool removed from under runneld is reported to the
 * watcher, and a task waiting for its retry holds no spool open.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "rawc.h"

#define NOFILE		64
#define MAX_RUNNING	4
/* OUTPUT_READ_FDS in daemon/output-fd.c: spools kept open for readers. */
#define READ_FDS	32

static struct harness	h;
static struct rawc	rc;
/* Under valgrind (which keeps descriptors of its own under the limit)
 * the same paths run, fewer times, without the limit or the counts. */
static int		wrapped;

/* Descriptors runneld has open, from /proc. */
static int
daemon_fds(void)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	snprintf(path, sizeof path, "/proc/%ld/fd", (long)h.pid);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* A daemon with a hard (so also soft: runneld raises its soft limit to
 * the hard one) NOFILE of 64, set in this forked test before it starts. */
static void
setup(void)
{
	struct rlimit	rl;

	if (!(wrapped = harness_wrapped())) {
		ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
		if (rl.rlim_max > NOFILE)
			rl.rlim_max = NOFILE;
		rl.rlim_cur = rl.rlim_max;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	harness_start(&h, "max_running = 4\n");
	rawc_open(&rc, &h);
}

static void
teardown(void)
{
	rawc_close(&rc);
	harness_stop(&h);
}

/* Submit argv; its id. */
static uint64_t
submit(const char *const *argv)
{
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id;
	int			 code = 0;

	id = rawc_submit(&rc, spec, &code);
	rawc_spec_free(spec);
	ck_assert_msg(id != 0, "submit refused: %d", code);
	return id;
}

/* Submit n tasks that each print "<tag> <i>\n", wait for all, and check
 * every one succeeded. */
static void
run_tasks(uint64_t *ids, size_t n, const char *tag)
{
	Runnel__V1__ServerMessage	*r;
	char				 word[32];
	const char			*argv[] = { "echo", tag, word, NULL };
	size_t				 i;

	for (i = 0; i < n; i++) {
		snprintf(word, sizeof word, "%zu", i);
		ids[i] = submit(argv);
	}
	r = rawc_wait(&rc, ids, n, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_uint_eq(r->wait->n_tasks, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(r->wait->tasks[i]->id, ids[i]);
		ck_assert_int_eq(r->wait->tasks[i]->state,
		    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	}
	rawc_free(r);
}

/* Send a watch request for ids. */
static uint64_t
watch(struct rawc *c, uint64_t *ids, size_t n, uint32_t tail_lines)
{
	Runnel__V1__ClientMessage	m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	wr = RUNNEL__V1__WATCH_REQUEST__INIT;

	wr.task_ids = ids;
	wr.n_task_ids = n;
	wr.tail_lines = tail_lines;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	return rawc_send(c, &m);
}

/* One viewer reading a watch of all the tasks. */
struct viewer {
	struct rawc	 c;
	uint64_t	 wid;
	uint64_t	*got;		/* bytes of each task's line */
	size_t		 ended;		/* task events */
	int		 done;		/* WatchEnd */
};

/* Take the viewer's next message: each task's line must come whole and
 * exact ("out <i>\n" for the task at index i), then its successful end. */
static void
viewer_step(struct viewer *v, const uint64_t *ids, size_t n)
{
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__OutputChunk		*oc;
	char				 want[32];
	size_t				 i, len;

	ck_assert_ptr_nonnull(r = rawc_recv(&v->c));
	ck_assert_uint_eq(r->id, v->wid);
	switch (r->reply_case) {
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT:
		oc = r->output;
		ck_assert_uint_ge(oc->task_id, ids[0]);
		i = oc->task_id - ids[0];
		ck_assert_uint_lt(i, n);
		ck_assert_int_eq(oc->stream, RUNNEL__V1__STREAM__STREAM_STDOUT);
		len = snprintf(want, sizeof want, "out %zu\n", i);
		ck_assert_uint_eq(oc->offset, v->got[i]);
		ck_assert_uint_le(oc->offset + oc->data.len, len);
		ck_assert(memcmp(oc->data.data, want + oc->offset,
		    oc->data.len) == 0);
		v->got[i] += oc->data.len;
		break;
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK:
		i = r->task->task->id - ids[0];
		ck_assert_uint_lt(i, n);
		len = snprintf(want, sizeof want, "out %zu\n", i);
		ck_assert_uint_eq(v->got[i], len);
		ck_assert_int_eq(r->task->task->state,
		    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
		v->ended++;
		break;
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END:
		ck_assert_uint_eq(v->ended, n);
		v->done = 1;
		break;
	default:
		ck_abort_msg("unexpected reply %d", r->reply_case);
	}
	rawc_free(r);
}

/*
 * 2,000 finished tasks that each wrote a line, read back whole by two
 * viewers at once: from the start, and their last line (as `runnel logs
 * -n 1`).  Before the fix each finished task kept its spool open and, at
 * 64 descriptors, task starts failed after some 40 tasks.  The bound:
 * the descriptors runneld had before the first task (listeners, journal,
 * connections...), plus the 32 spools kept open for readers, plus the
 * spools of at most max_running tasks the writer thread may still be
 * writing the last bytes of (each closed as soon as it has).
 */
START_TEST(test_finished_tasks_hold_no_fds)
{
	static uint64_t	 ids[2000];
	uint64_t	 late[20];
	struct viewer	 v[2];
	size_t		 n, i, steps = 0;
	int		 base, fds, most = 0, late_done = 0;

	n = wrapped ? 100 : sizeof ids / sizeof ids[0];
	memset(v, 0, sizeof v);
	for (i = 0; i < 2; i++) {
		rawc_open(&v[i].c, &h);
		v[i].got = calloc(n, sizeof *v[i].got);
		ck_assert_ptr_nonnull(v[i].got);
	}
	/* One task first: what every task shares (/dev/null for stdin)
	 * is then open, and only spools can come on top. */
	run_tasks(late, 1, "warm");
	base = daemon_fds();
	ck_assert_int_lt(base + READ_FDS + MAX_RUNNING, NOFILE);

	run_tasks(ids, n, "out");
	fds = daemon_fds();
	ck_assert(wrapped || fds <= base + MAX_RUNNING);

	v[0].wid = watch(&v[0].c, ids, n, 0);
	v[1].wid = watch(&v[1].c, ids, n, 1);
	while (!v[0].done || !v[1].done) {
		for (i = 0; i < 2; i++)
			if (!v[i].done)
				viewer_step(&v[i], ids, n);
		if (++steps % 50 == 0) {
			fds = daemon_fds();
			if (fds > most)
				most = fds;
		}
		/* Half-way, with the readers' spools all open: tasks still
		 * start, and their output is whole. */
		if (!late_done && v[0].ended >= n / 2) {
			run_tasks(late, sizeof late / sizeof late[0], "late");
			late_done = 1;
		}
	}
	ck_assert_int_eq(late_done, 1);
	fds = daemon_fds();
	if (fds > most)
		most = fds;
	ck_assert_msg(wrapped || most <= base + READ_FDS + MAX_RUNNING,
	    "%d descriptors, base %d", most, base);
	/* The readers did keep spools open: the bound is not vacuous. */
	ck_assert(wrapped || most > base);
	for (i = 0; i < 2; i++) {
		rawc_close(&v[i].c);
		free(v[i].got);
	}
}
END_TEST

/* A spool removed from under runneld (runneld restarted, so that no
 * descriptor of it is left open): the watcher is told which bytes cannot
 * be read and why, then gets the task's end; no empty file is made. */
START_TEST(test_removed_spool_reported)
{
	const char			*argv[] = { "echo", "gone", NULL };
	const char			*want = "runnel: cannot read output "
	    "from offset 0 to 5 (No such file or directory); it is skipped\n";
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__ServerMessage	*w;
	char				 path[256];
	uint64_t			 id, wid;

	id = submit(argv);
	w = rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(w->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(w);
	rawc_close(&rc);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);
	snprintf(path, sizeof path, "%s/state/tasks/%llu.log", h.dir,
	    (unsigned long long)id);
	ck_assert_int_eq(unlink(path), 0);

	wid = watch(&rc, &id, 1, 0);
	ck_assert_ptr_nonnull(r = rawc_recv(&rc));
	ck_assert_uint_eq(r->id, wid);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
	ck_assert_int_eq(r->output->stream, RUNNEL__V1__STREAM__STREAM_SYSTEM);
	ck_assert_uint_eq(r->output->offset, 5);
	ck_assert_uint_eq(r->output->data.len, strlen(want));
	ck_assert(memcmp(r->output->data.data, want, strlen(want)) == 0);
	rawc_free(r);
	ck_assert_ptr_nonnull(r = rawc_recv(&rc));
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	ck_assert_ptr_nonnull(r = rawc_recv(&rc));
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END);
	rawc_free(r);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(harness_wait_log(&h, "cannot read output at offset 0: "
	    "No such file or directory"), 0);
}
END_TEST

/* Tasks waiting an hour for their retry hold no spool open: each has
 * printed its line and the daemon's retry notice (which a watch sees only
 * after the attempt's end is done with the log).  The watch reading them
 * keeps up to 32 open, as any reader: 100 tasks are well past that. */
START_TEST(test_retry_wait_holds_no_fds)
{
	const char			*argv[] = { "sh", "-c", "echo try; exit 3",
					    NULL };
	const char			*warm[] = { "true", NULL };
	uint64_t			 id1;
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 ids[100], wid;
	size_t				 n = sizeof ids / sizeof ids[0], i;
	size_t				 notices = 0;
	int				 base, fds, code;

	/* A task first, as above. */
	id1 = submit(warm);
	rawc_free(rawc_wait(&rc, &id1, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    0));
	base = daemon_fds();
	spec = rawc_spec(argv);
	spec->retries = 1;
	spec->retry_delay_ms = 3600 * 1000;
	for (i = 0; i < n; i++) {
		ids[i] = rawc_submit(&rc, spec, &code);
		ck_assert_uint_ne(ids[i], 0);
	}
	rawc_spec_free(spec);
	wid = watch(&rc, ids, n, 0);
	while (notices < n) {
		ck_assert_ptr_nonnull(r = rawc_recv(&rc));
		ck_assert_uint_eq(r->id, wid);
		ck_assert_int_eq(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
		if (r->output->stream == RUNNEL__V1__STREAM__STREAM_SYSTEM) {
			ck_assert(memmem(r->output->data.data,
			    r->output->data.len, "retrying in", 11) != NULL);
			notices++;
		}
		rawc_free(r);
	}
	fds = daemon_fds();
	ck_assert_msg(wrapped || fds <= base + READ_FDS + MAX_RUNNING,
	    "%d descriptors, base %d", fds, base);
}
END_TEST

static Suite *
fds_suite(void)
{
	Suite	*s = suite_create("fds");
	TCase	*tc;

	tc = tcase_create("fds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);	/* times CK_TIMEOUT_MULTIPLIER */
	tcase_add_test(tc, test_finished_tasks_hold_no_fds);
	tcase_add_test(tc, test_removed_spool_reported);
	tcase_add_test(tc, test_retry_wait_holds_no_fds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(fds_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
