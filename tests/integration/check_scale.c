/*
 * check_scale.c - what lets runneld hold many tasks: its raised descriptor
 * limit (while each task gets the one runneld started with), and the
 * scheduler's per-queue lists (order across queues, a full queue
 * skipped, per-identity queued counts).
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "harness.h"
#include "rawc.h"

static struct harness	h;
static struct rawc	rc;
static struct rlimit	saved_nofile;


/* The soft (which 0) or hard (1) NOFILE of a process, from /proc. */
static unsigned long long
proc_nofile(pid_t pid, int which)
{
	char			 path[64], line[256];
	FILE			*f;
	unsigned long long	 soft = 0, hard = 0;

	snprintf(path, sizeof path, "/proc/%ld/limits", (long)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Max open files %llu %llu", &soft,
		    &hard) == 2)
			break;
	fclose(f);
	ck_assert_uint_ne(hard, 0);
	return which ? hard : soft;
}

/* A daemon started with a soft NOFILE of 200, below the hard one. */
static void
setup_low_nofile(void)
{
	struct rlimit	rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
	rl = saved_nofile;
	if (rl.rlim_max <= 200)
		return;
	rl.rlim_cur = 200;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	harness_start(&h, NULL);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &saved_nofile), 0);
}

static void
teardown_low_nofile(void)
{
	if (h.pid > 0)
		harness_stop(&h);
}

START_TEST(test_child_gets_original_nofile)
{
	const char		*argv[] = { "sh", "-c", "ulimit -Sn; ulimit -Hn",
				    NULL };
	struct runnel_client	*c;
	struct collect		 col;
	uint64_t		 id;
	char			 want[64];

	if (saved_nofile.rlim_max <= 200)
		return;		/* no room to raise anything */
	/* valgrind keeps its own RLIMIT_NOFILE for the program it runs. */
	if (harness_wrapped())
		return;
	/* runneld raised its own soft limit to the hard one ... */
	ck_assert_uint_eq(proc_nofile(h.pid, 0), saved_nofile.rlim_max);
	ck_assert_uint_eq(proc_nofile(h.pid, 1), saved_nofile.rlim_max);
	/* ... and its task starts with the soft limit runneld started with. */
	c = harness_client(&h, NULL);
	memset(&col, 0, sizeof col);
	ck_assert_int_eq(harness_run_task(c, argv, &col, &id), 0);
	snprintf(want, sizeof want, "200\n%llu\n",
	    (unsigned long long)saved_nofile.rlim_max);
	ck_assert_str_eq(col.out, want);
	collect_free(&col);
	runnel_close(c);
}
END_TEST

static void
setup_limit1(void)
{
	harness_start(&h, "max_running = 1\n");
	rawc_open(&rc, &h);
}

static void
teardown_limit1(void)
{
	rawc_close(&rc);
	harness_stop(&h);
}

/* Where a log line is (an offset into the log), or -1. */
static long
log_at(const char *text)
{
	const char	*p;
	long		 at;

	pthread_mutex_lock(&h.log_mtx);
	p = h.log != NULL ? strstr(h.log, text) : NULL;
	at = p != NULL ? p - h.log : -1;
	pthread_mutex_unlock(&h.log_mtx);
	return at;
}

START_TEST(test_order_across_queues)
{
	char			 secs[32];
	const char		*block[] = { "sleep", secs, NULL };
	const char		*quick[] = { "true", NULL };
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	uint64_t		 ids[4];
	int			 code;

	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "a", 0);
	rawc_free(r);
	r = rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "b", 0);
	rawc_free(r);
	/* One runs (max_running = 1); the others wait in two queues, for
	 * long enough even under valgrind. */
	snprintf(secs, sizeof secs, "%.3f", harness_ms(500) / 1000.0);
	spec = rawc_spec(block);
	ids[0] = rawc_submit(&rc, spec, &code);
	rawc_spec_free(spec);
	ck_assert_uint_ne(ids[0], 0);
	spec = rawc_spec(quick);
	spec->queue = (char *)(uintptr_t)"a";
	ids[1] = rawc_submit(&rc, spec, &code);		/* a, priority 0 */
	spec->queue = (char *)(uintptr_t)"b";
	spec->priority = 5;
	ids[2] = rawc_submit(&rc, spec, &code);		/* b, priority 5 */
	spec->queue = (char *)(uintptr_t)"a";
	spec->priority = 5;
	ids[3] = rawc_submit(&rc, spec, &code);		/* a, priority 5 */
	rawc_spec_free(spec);
	ck_assert_uint_ne(ids[1], 0);
	ck_assert_uint_ne(ids[2], 0);
	ck_assert_uint_ne(ids[3], 0);
	r = rawc_wait(&rc, ids, 4, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	rawc_free(r);
	/* Priority first, whatever the queue, then submission order.  The
	 * log is read by a thread: the lines may come after the reply. */
	ck_assert_int_eq(harness_wait_log(&h, "task 2: started"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "task 3: started"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "task 4: started"), 0);
	ck_assert_int_lt(log_at("task 3: started"), log_at("task 4: started"));
	ck_assert_int_lt(log_at("task 4: started"), log_at("task 2: started"));
}
END_TEST

static Suite *
scale_suite(void)
{
	Suite	*s = suite_create("scale");
	TCase	*tc;

	tc = tcase_create("nofile");
	tcase_add_checked_fixture(tc, setup_low_nofile, teardown_low_nofile);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_child_gets_original_nofile);
	suite_add_tcase(s, tc);

	tc = tcase_create("sched");
	tcase_add_checked_fixture(tc, setup_limit1, teardown_limit1);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_order_across_queues);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(scale_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
