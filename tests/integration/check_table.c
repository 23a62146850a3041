/*
 * check_table.c - the task table seen from a real daemon: ids near 2^63
 * from a journal, holes that clean and retention leave, lists and
 * selections across them, and ids that stay monotonic across clean and
 * restart (clean, SIGTERM or kill -9) and run out cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "jrec.h"

#define BIG_ID		(1ULL << 63)

static struct harness	 h;
static char		 journal[160];

static void
setup(void)
{
	harness_start(&h, NULL);
	snprintf(journal, sizeof journal, "%s/state/journal", h.dir);
}

static void
setup_retention(void)
{
	harness_start(&h, "[retention]\nmax_finished = 3\n");
	snprintf(journal, sizeof journal, "%s/state/journal", h.dir);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Submit `true` as admin, wait for its end, and return its id. */
static uint64_t
run_true(void)
{
	const char		*argv[] = { "true", NULL };
	struct runnel_client	*c = harness_client(&h, "admin");
	struct runnel_spec	 spec;
	struct runnel_task	*t;
	uint64_t		 id = 0;

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	ck_assert_int_eq(runnel_wait(c, &id, 1, &t), 0);
	ck_assert_int_eq(t->state, RUNNEL_SUCCEEDED);
	runnel_tasks_free(t, 1);
	runnel_close(c);
	return id;
}

/* The ids of every task, in the order the daemon lists them. */
static size_t
list_ids(uint64_t *ids, size_t max)
{
	struct runnel_client	*c = harness_client(&h, "admin");
	struct runnel_task	*t;
	size_t			 n, i;

	ck_assert_int_eq(runnel_list(c, &t, &n), 0);
	ck_assert_uint_le(n, max);
	for (i = 0; i < n; i++)
		ids[i] = t[i].id;
	runnel_tasks_free(t, n);
	runnel_close(c);
	return n;
}

/* Clean the given ids; returns how many went. */
static int
clean_ids(const uint64_t *ids, size_t nids)
{
	struct runnel_client	*c = harness_client(&h, "admin");
	struct runnel_selector	 sel;
	int			 n;

	memset(&sel, 0, sizeof sel);
	sel.ids = ids;
	sel.nids = nids;
	n = runnel_clean(c, &sel, 0, NULL, NULL);
	runnel_close(c);
	return n;
}

/* runnel_show's result code for an id. */
static int
show_code(uint64_t id)
{
	struct runnel_client	*c = harness_client(&h, "admin");
	struct runnel_task	 t;
	int			 rc;

	memset(&t, 0, sizeof t);
	rc = runnel_show(c, id, &t);
	if (rc == 0) {
		ck_assert_uint_eq(t.id, id);
		runnel_task_clear(&t);
	}
	runnel_close(c);
	return rc;
}

/* Replace the daemon's journal with one written by hand. */
static void
restart_with_journal(uint64_t task_id, uint64_t next_id)
{
	harness_shutdown(&h);
	ck_assert_int_eq(unlink(journal), 0);
	if (next_id != 0)
		jrec_meta(journal, next_id);
	if (task_id != 0)
		jrec_task(journal, task_id, "admin");
	harness_spawn(&h, NULL);
}

START_TEST(test_big_ids)
{
	char		*argv[] = { getenv("RUNNEL"), (char *)(uintptr_t)"list",
	    NULL };
	char		*out, *err, want[32], path[200];
	uint64_t	 ids[4], a, b;

	restart_with_journal(BIG_ID - 1, 0);
	ck_assert_int_eq(harness_wait_log(&h, "restored 1 tasks"), 0);
	ck_assert_int_eq(show_code(BIG_ID - 1), 0);
	a = run_true();
	ck_assert_uint_eq(a, BIG_ID);
	b = run_true();
	ck_assert_uint_eq(b, BIG_ID + 1);
	ck_assert_uint_eq(list_ids(ids, 4), 3);
	ck_assert_uint_eq(ids[0], BIG_ID - 1);
	ck_assert_uint_eq(ids[1], BIG_ID);
	ck_assert_uint_eq(ids[2], BIG_ID + 1);
	/* The CLI prints them whole. */
	snprintf(path, sizeof path, "%s/ca.crt", h.pki);
	setenv("RUNNEL_CA", path, 1);
	snprintf(path, sizeof path, "%s/admin.crt", h.pki);
	setenv("RUNNEL_CERT", path, 1);
	snprintf(path, sizeof path, "%s/admin.key", h.pki);
	setenv("RUNNEL_KEY", path, 1);
	setenv("RUNNEL_HOST", h.host, 1);
	ck_assert_int_eq(harness_run(argv, &out, NULL, &err), 0);
	snprintf(want, sizeof want, "%llu", (unsigned long long)(BIG_ID + 1));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	free(out);
	free(err);

	/* Clean the newest: its id is never given again, whether the
	 * daemon stops cleanly (compaction) or is killed (replay). */
	ck_assert_int_eq(clean_ids(&b, 1), 1);
	ck_assert_int_eq(show_code(b), RUNNEL_ENOTFOUND);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(show_code(b), RUNNEL_ENOTFOUND);
	ck_assert_uint_eq(run_true(), BIG_ID + 2);
	ck_assert_int_eq(clean_ids((uint64_t []){ BIG_ID + 2 }, 1), 1);
	harness_crash(&h);
	harness_spawn(&h, NULL);
	ck_assert_uint_eq(run_true(), BIG_ID + 3);
	ck_assert_uint_eq(list_ids(ids, 4), 3);
	ck_assert_uint_eq(ids[0], BIG_ID - 1);
	ck_assert_uint_eq(ids[1], BIG_ID);
	ck_assert_uint_eq(ids[2], BIG_ID + 3);
}
END_TEST

START_TEST(test_ids_run_out)
{
	const char		*argv[] = { "true", NULL };
	struct runnel_client	*c;
	struct runnel_spec	 spec;
	uint64_t		 id = 0;

	/* The last id there is, then nothing more. */
	restart_with_journal(0, UINT64_MAX - 1);
	ck_assert_uint_eq(run_true(), UINT64_MAX - 1);
	c = harness_client(&h, "admin");
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EEXHAUSTED);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(c),
	    "no task ids left"));
	runnel_close(c);
	/* Still true after a restart. */
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	c = harness_client(&h, "admin");
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EEXHAUSTED);
	runnel_close(c);
	ck_assert_int_eq(show_code(UINT64_MAX - 1), 0);
}
END_TEST

START_TEST(test_holes)
{
	static const uint64_t	gone[] = { 2, 3, 5, 7 };
	static const uint64_t	left[] = { 1, 4, 6, 8, 9, 10 };
	struct runnel_client	*c;
	struct runnel_selector	 sel;
	struct runnel_task	*t;
	uint64_t		 ids[16], i, n;
	int			 round;

	for (i = 1; i <= 10; i++)
		ck_assert_uint_eq(run_true(), i);
	ck_assert_int_eq(clean_ids(gone, 4), 4);
	for (round = 0; round < 3; round++) {
		ck_assert_uint_eq(list_ids(ids, 16), 6);
		for (i = 0; i < 6; i++)
			ck_assert_uint_eq(ids[i], left[i]);
		for (i = 0; i < 4; i++)
			ck_assert_int_eq(show_code(gone[i]), RUNNEL_ENOTFOUND);
		/* Named ids come back once each, in id order, with the
		 * ones all matches. */
		c = harness_client(&h, "admin");
		memset(&sel, 0, sizeof sel);
		sel.ids = (const uint64_t []){ 9, 4, 9 };
		sel.nids = 3;
		ck_assert_int_eq(runnel_list_select(c, &sel, &t, &n), 0);
		ck_assert_uint_eq(n, 2);
		ck_assert_uint_eq(t[0].id, 4);
		ck_assert_uint_eq(t[1].id, 9);
		runnel_tasks_free(t, n);
		sel.all = 1;
		ck_assert_int_eq(runnel_list_select(c, &sel, &t, &n), 0);
		ck_assert_uint_eq(n, 6);
		ck_assert_uint_eq(t[5].id, 10);
		runnel_tasks_free(t, n);
		/* A hole is not found, even among others. */
		sel.all = 0;
		sel.ids = (const uint64_t []){ 4, 5 };
		sel.nids = 2;
		ck_assert_int_eq(runnel_list_select(c, &sel, &t, &n),
		    RUNNEL_ENOTFOUND);
		runnel_close(c);
		/* Then the same after a clean stop, and after kill -9. */
		if (round == 0) {
			harness_shutdown(&h);
			harness_spawn(&h, NULL);
		} else if (round == 1) {
			harness_crash(&h);
			harness_spawn(&h, NULL);
		}
	}
	ck_assert_uint_eq(run_true(), 11);
	/* Everything cleaned: the table is empty, the ids go on. */
	c = harness_client(&h, "admin");
	ck_assert_int_eq(runnel_clean(c, NULL, 0, NULL, NULL), 7);
	runnel_close(c);
	ck_assert_uint_eq(list_ids(ids, 16), 0);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	ck_assert_uint_eq(list_ids(ids, 16), 0);
	ck_assert_uint_eq(run_true(), 12);
}
END_TEST

START_TEST(test_retention_holes)
{
	uint64_t	ids[16], i, n;

	for (i = 1; i <= 8; i++)
		ck_assert_uint_eq(run_true(), i);
	/* Only the newest three stay: the sweep runs as a task ends,
	 * before the daemon reads the next request. */
	n = list_ids(ids, 16);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(ids[0], 6);
	ck_assert_uint_eq(ids[2], 8);
	ck_assert_int_eq(show_code(5), RUNNEL_ENOTFOUND);
	harness_crash(&h);
	harness_spawn(&h, NULL);
	ck_assert_uint_eq(list_ids(ids, 16), 3);
	ck_assert_uint_eq(ids[0], 6);
	ck_assert_uint_eq(run_true(), 9);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("table");
	TCase	*tc = tcase_create("table");
	TCase	*tr = tcase_create("retention");
	SRunner	*sr;
	int	 failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_big_ids);
	tcase_add_test(tc, test_ids_run_out);
	tcase_add_test(tc, test_holes);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tr, 60);
	tcase_add_checked_fixture(tr, setup_retention, teardown);
	tcase_add_test(tr, test_retention_holes);
	suite_add_tcase(s, tr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
