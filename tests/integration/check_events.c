/*
 * check_events.c - what the task-event listeners do, seen from the wire:
 * open Waits on one task are answered in the order they were asked, a
 * task named by an open Wait is not removed until the Wait is answered,
 * and a connection that goes ends the stdin of its own tasks only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

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

/* Submit argv on c; the id. */
static uint64_t
submit_on(struct rawc *c, const char *const *argv, int stdin_stream)
{
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id;

	spec->stdin_stream = stdin_stream;
	id = rawc_submit(c, spec, NULL);
	ck_assert_uint_ne(id, 0);
	rawc_spec_free(spec);
	return id;
}

/* Send a Wait for ids (WAIT_ALL, no timeout) without reading; its id. */
static uint64_t
send_wait(struct rawc *c, uint64_t *ids, size_t n)
{
	Runnel__V1__ClientMessage	m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WaitRequest		wr = RUNNEL__V1__WAIT_REQUEST__INIT;

	wr.task_ids = ids;
	wr.n_task_ids = n;
	wr.mode = RUNNEL__V1__WAIT_MODE__WAIT_ALL;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT;
	m.wait = &wr;
	return rawc_send(c, &m);
}

/* Cancel a task; the reply is read. */
static void
cancel(struct rawc *c, uint64_t id)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CancelRequest	 cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	cr.task_ids = &id;
	cr.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	m.cancel = &cr;
	r = rawc_call(c, &m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL);
	rawc_free(r);
}

/* Clean every finished task; how many were removed. */
static size_t
clean_all(struct rawc *c)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CleanRequest	 cr = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	size_t				 n;

	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
	m.clean = &cr;
	r = rawc_call(c, &m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_CLEAN);
	n = r->clean->n_task_ids;
	rawc_free(r);
	return n;
}

/* A task's state, by Show. */
static int
state_of(struct rawc *c, uint64_t id)
{
	Runnel__V1__ServerMessage	*r;
	int				 state;

	r = rawc_show(c, id);
	state = r->task->task->state;
	rawc_free(r);
	return state;
}

/* Three Waits on one task, on one connection: one end answers all three,
 * in the order they were asked. */
START_TEST(test_waits_answered_in_order)
{
	static const char *const	 argv[] = { "sleep", "1000", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id, w[3];
	size_t				 i, seen = 0;

	id = submit_on(&rc, argv, 0);
	for (i = 0; i < 3; i++)
		w[i] = send_wait(&rc, &id, 1);
	cancel(&rc, id);
	while (seen < 3) {
		r = rawc_recv(&rc);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT);
		ck_assert_uint_eq(r->id, w[seen]);
		ck_assert_uint_eq(r->wait->n_tasks, 1);
		ck_assert_uint_eq(r->wait->tasks[0]->id, id);
		ck_assert_int_eq(r->wait->tasks[0]->state,
		    RUNNEL__V1__TASK_STATE__TASK_CANCELLED);
		rawc_free(r);
		seen++;
	}
}
END_TEST

/* A finished task named by an open Wait stays through Clean; once the
 * Wait is answered, Clean removes it. */
START_TEST(test_wait_holds_task)
{
	static const char *const	 quick[] = { "true", NULL };
	static const char *const	 slow[] = { "sleep", "1000", NULL };
	Runnel__V1__ServerMessage	*r;
	struct rawc			 other;
	uint64_t			 ids[2], wid;

	rawc_open(&other, &h);
	ids[0] = submit_on(&rc, quick, 0);
	r = rawc_wait(&rc, &ids[0], 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(r->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	ids[1] = submit_on(&rc, slow, 0);
	wid = send_wait(&other, ids, 2);
	/* Show on the same connection: the Wait is open by now. */
	ck_assert_int_eq(state_of(&other, ids[0]),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	ck_assert_uint_eq(clean_all(&rc), 0);
	ck_assert_int_eq(state_of(&rc, ids[0]),
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	cancel(&rc, ids[1]);
	r = rawc_recv(&other);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, wid);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT);
	ck_assert_uint_eq(r->wait->n_tasks, 2);
	rawc_free(r);
	ck_assert_uint_eq(clean_all(&rc), 2);
	rawc_close(&other);
}
END_TEST

/* Two connections each submit a task reading its streamed stdin: the one
 * that goes ends its own task's stdin (cat exits 0), not the other's. */
START_TEST(test_stdin_lost_own_tasks_only)
{
	static const char *const	 argv[] = { "cat", NULL };
	Runnel__V1__ServerMessage	*r;
	struct rawc			 gone;
	uint64_t			 mine, theirs;

	rawc_open(&gone, &h);
	theirs = submit_on(&gone, argv, 1);
	mine = submit_on(&rc, argv, 1);
	rawc_close(&gone);
	r = rawc_wait(&rc, &theirs, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT);
	ck_assert_int_eq(r->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	ck_assert_int_eq(state_of(&rc, mine),
	    RUNNEL__V1__TASK_STATE__TASK_RUNNING);
	cancel(&rc, mine);
	r = rawc_wait(&rc, &mine, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_int_eq(r->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_CANCELLED);
	rawc_free(r);
}
END_TEST

static Suite *
events_suite(void)
{
	Suite	*s = suite_create("events");
	TCase	*tc = tcase_create("listeners");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_waits_answered_in_order);
	tcase_add_test(tc, test_wait_holds_task);
	tcase_add_test(tc, test_stdin_lost_own_tasks_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(events_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
