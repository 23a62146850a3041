/*
 * check_table.c - the task table: lookups, walks and removals with holes
 * and ids up to the largest, and journal replay of big, odd and bad ids
 * (memory follows the live tasks, not the ids ever given).
 */
#include <sys/stat.h>

#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "log.h"
#include "runneld.h"
#include "jrec.h"

#define BIG_ID		(1ULL << 63)

static char		 dir[64];
static char		 journal[128];

/* Bytes the heap holds now. */
#if defined(__SANITIZE_ADDRESS__)
size_t	__sanitizer_get_current_allocated_bytes(void);

static size_t
heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
static size_t
heap_in_use(void)
{
	struct mallinfo2	mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}
#endif

/* A bare task with an id, as the table sees it. */
static struct task *
bare_task(uint64_t id)
{
	struct task	*t = xcalloc(1, sizeof *t);

	t->id = id;
	return t;
}

/* The ids a walk of the table yields, in order; returns how many. */
static size_t
walk_ids(uint64_t *ids, size_t max)
{
	struct task	*t;
	size_t		 i, n = 0;

	TASK_FOREACH(t, i) {
		ck_assert_uint_lt(n, max);
		ids[n++] = t->id;
	}
	ck_assert_uint_eq(n, server.ntasks);
	return n;
}

/* Take a bare task out and free it. */
static void
bare_remove(uint64_t id)
{
	struct task	*t = task_find(id);

	ck_assert_msg(t != NULL, "task %llu", (unsigned long long)id);
	task_table_remove(t);
	free(t);
	ck_assert_ptr_null(task_find(id));
}

START_TEST(test_order_and_find)
{
	static const uint64_t	add[] = { 5, 1, BIG_ID, 3, TASK_ID_MAX, 2,
	    BIG_ID - 1, 4 };
	static const uint64_t	want[] = { 1, 2, 3, 4, 5, BIG_ID - 1, BIG_ID,
	    TASK_ID_MAX };
	uint64_t		ids[16];
	size_t			i;

	for (i = 0; i < sizeof add / sizeof *add; i++)
		task_table_add(bare_task(add[i]));
	ck_assert_uint_eq(server.ntasks, 8);
	ck_assert_uint_eq(server.last_id, TASK_ID_MAX);
	ck_assert_uint_eq(walk_ids(ids, 16), 8);
	for (i = 0; i < 8; i++) {
		ck_assert_uint_eq(ids[i], want[i]);
		ck_assert_uint_eq(task_find(want[i])->id, want[i]);
	}
	ck_assert_ptr_null(task_find(0));
	ck_assert_ptr_null(task_find(6));
	ck_assert_ptr_null(task_find(BIG_ID + 1));
	ck_assert_ptr_null(task_find(UINT64_MAX));
	/* Removing the highest does not give its id back. */
	bare_remove(TASK_ID_MAX);
	bare_remove(BIG_ID);
	ck_assert_uint_eq(server.last_id, TASK_ID_MAX);
	ck_assert_uint_eq(walk_ids(ids, 16), 6);
	ck_assert_uint_eq(ids[5], BIG_ID - 1);
	for (i = 0; i < 6; i++)
		bare_remove(want[i]);
	ck_assert_uint_eq(server.ntasks, 0);
	ck_assert_uint_eq(walk_ids(ids, 16), 0);
	task_free_all();
}
END_TEST

START_TEST(test_holes_and_compaction)
{
	uint64_t	ids[1000], id;
	size_t		n, i;

	for (id = 1; id <= 1000; id++)
		task_table_add(bare_task(id));
	/* Odd ids first, then the even ones not a multiple of 10: holes
	 * come to outnumber the live tasks on the way, and are closed. */
	for (id = 1; id <= 1000; id += 2)
		bare_remove(id);
	for (id = 1; id <= 1000; id++) {
		if (id % 2 == 1)
			ck_assert_ptr_null(task_find(id));
		else
			ck_assert_uint_eq(task_find(id)->id, id);
	}
	for (id = 2; id <= 1000; id += 2)
		if (id % 10 != 0)
			bare_remove(id);
	n = walk_ids(ids, 1000);
	ck_assert_uint_eq(n, 100);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(ids[i], 10 * (i + 1));
	for (id = 1; id <= 1000; id++)
		ck_assert_int_eq(task_find(id) != NULL, id % 10 == 0);
	/* New ids go on after the highest ever given. */
	ck_assert_uint_eq(server.last_id, 1000);
	task_table_add(bare_task(server.last_id + 1));
	ck_assert_uint_eq(task_find(1001)->id, 1001);
	/* A hole's id taken again (replay of a removed task's id). */
	bare_remove(500);
	task_table_add(bare_task(500));
	ck_assert_uint_eq(task_find(500)->id, 500);
	n = walk_ids(ids, 1000);
	ck_assert_uint_eq(n, 101);
	ck_assert_uint_eq(ids[49], 500);
	ck_assert_uint_eq(ids[100], 1001);
	for (id = 10; id <= 1000; id += 10)
		bare_remove(id);
	bare_remove(1001);
	ck_assert_uint_eq(walk_ids(ids, 1000), 0);
	ck_assert_uint_eq(server.last_id, 1001);
}
END_TEST

/* A state directory, a configuration and a loop to replay into. */
static void
replay_setup(void)
{
	char	 path[128], *cause = NULL;
	FILE	*f;

	strcpy(dir, "/tmp/check_table.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(journal, sizeof journal, "%s/journal", dir);
	snprintf(path, sizeof path, "%s/runneld.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "[server]\nstate_dir = %s\nsocket = none\n", dir);
	fclose(f);
	log_init(1, 0);
	memset(&server, 0, sizeof server);
	server.conf = config_load(path, &cause);
	ck_assert_msg(server.conf != NULL, "%s", cause);
	server.spool_dir = xasprintf("%s/tasks", dir);
	ck_assert_int_eq(mkdir(server.spool_dir, 0700), 0);
	server.base = event_base_new();
	ck_assert_ptr_nonnull(server.base);
	event_base_priority_init(server.base, PRI_COUNT);
	TAILQ_INIT(&server.sessions);
	output_writer_start();
}

/* Remove one file of the state directory. */
static int
replay_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
replay_teardown(void)
{
	nftw(dir, replay_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* Replay the journal into an empty table: 0, or -1 with the cause. */
static int
replay_open(char **cause)
{
	*cause = NULL;
	queue_init();
	sched_init();
	return journal_open(dir, 1, cause);
}

/* Forget everything replay built. */
static void
replay_close(void)
{
	journal_close();
	task_free_all();
	sched_free();
	queue_free_all();
	server.nqueued = server.nqueued_deps = server.nrunning = 0;
	server.nfinished = 0;
}

/* Heap bytes that replaying a journal of one task with this id costs
 * (the table, the task, the journal's own state). */
static size_t
replay_one_cost(uint64_t id)
{
	char	*cause;
	size_t	 before, after;

	unlink(journal);
	jrec_task(journal, id, "alice");
	before = heap_in_use();
	ck_assert_msg(replay_open(&cause) == 0, "%s", cause);
	after = heap_in_use();
	ck_assert_uint_eq(task_find(id)->state, TASK_SUCCEEDED);
	ck_assert_uint_eq(server.ntasks, 1);
	ck_assert_uint_eq(server.last_id, id);
	replay_close();
	return after > before ? after - before : 0;
}

START_TEST(test_replay_big_id_is_small)
{
	size_t	small, big;
	char	*cause;

	/* Once for the one-time costs (thread, buffers), then compare. */
	replay_one_cost(1);
	small = replay_one_cost(1);
	big = replay_one_cost(BIG_ID);
	fprintf(stderr, "replay of one task: id 1 %zu bytes, id 2^63 %zu "
	    "bytes\n", small, big);
	ck_assert_uint_le(big, small + 256);
	ck_assert_uint_lt(big, 4096);
	/* Compaction recorded the next id: it survives another restart. */
	ck_assert_msg(replay_open(&cause) == 0, "%s", cause);
	ck_assert_uint_eq(server.last_id, BIG_ID);
	ck_assert_ptr_nonnull(task_find(BIG_ID));
	replay_close();
}
END_TEST

START_TEST(test_replay_bad_ids)
{
	char	*cause;

	jrec_task(journal, 0, "alice");
	ck_assert_int_eq(replay_open(&cause), -1);
	ck_assert_str_eq(cause, "journal: bad task id 0 "
	    "(1 to 18446744073709551614)");
	free(cause);
	replay_close();
	/* UINT64_MAX would leave no next id for the journal to record. */
	unlink(journal);
	jrec_task(journal, UINT64_MAX, "alice");
	ck_assert_int_eq(replay_open(&cause), -1);
	ck_assert_str_eq(cause, "journal: bad task id 18446744073709551615 "
	    "(1 to 18446744073709551614)");
	free(cause);
	replay_close();
	unlink(journal);
	jrec_task(journal, TASK_ID_MAX, "alice");
	ck_assert_msg(replay_open(&cause) == 0, "%s", cause);
	ck_assert_ptr_nonnull(task_find(TASK_ID_MAX));
	ck_assert_uint_eq(server.last_id, TASK_ID_MAX);
	replay_close();
}
END_TEST

START_TEST(test_replay_order_and_removed)
{
	uint64_t	 ids[8];
	char		*cause;
	int		 round;

	/* Out of order, a removal of the highest, and a next id below the
	 * ids seen (a stale meta record must not lower it). */
	jrec_task(journal, 10, "alice");
	jrec_task(journal, 3, "alice");
	jrec_meta(journal, 5);
	jrec_task(journal, BIG_ID, "bob");
	jrec_task(journal, 7, "bob");
	jrec_removed(journal, BIG_ID);
	jrec_removed(journal, 10);
	for (round = 0; round < 2; round++) {
		/* The second round replays what compaction wrote. */
		ck_assert_msg(replay_open(&cause) == 0, "%s", cause);
		ck_assert_uint_eq(walk_ids(ids, 8), 2);
		ck_assert_uint_eq(ids[0], 3);
		ck_assert_uint_eq(ids[1], 7);
		ck_assert_ptr_null(task_find(10));
		ck_assert_ptr_null(task_find(BIG_ID));
		ck_assert_uint_eq(server.last_id, BIG_ID);
		ck_assert_uint_eq(server.nfinished, 2);
		replay_close();
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("table");
	TCase	*tc = tcase_create("table");
	TCase	*tr = tcase_create("replay");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_order_and_find);
	tcase_add_test(tc, test_holes_and_compaction);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tr, replay_setup, replay_teardown);
	tcase_add_test(tr, test_replay_big_id_is_small);
	tcase_add_test(tr, test_replay_bad_ids);
	tcase_add_test(tr, test_replay_order_and_removed);
	suite_add_tcase(s, tr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
