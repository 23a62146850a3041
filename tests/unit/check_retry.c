/*
 * check_retry.c - the wait before a retry (task_retry_delay) over the
 * whole range of retry_delay_ms, retry_backoff and attempts: exact for
 * ordinary values, never past TASK_RETRY_DELAY_MAX, and no conversion of
 * an out-of-range double (UBSan fails the run on one).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "runneld.h"

/* Ordinary delays: delay_ms times backoff to the attempt's power. */
START_TEST(test_ordinary)
{
	ck_assert_uint_eq(task_retry_delay(0, 100, 50), 0);
	ck_assert_uint_eq(task_retry_delay(1000, 0, 1), 1000);
	ck_assert_uint_eq(task_retry_delay(1000, 0, 5), 1000);
	ck_assert_uint_eq(task_retry_delay(1000, 1, 9), 1000);
	ck_assert_uint_eq(task_retry_delay(1000, 2, 1), 1000);
	ck_assert_uint_eq(task_retry_delay(1000, 2, 4), 8000);
	ck_assert_uint_eq(task_retry_delay(1000, 0.5, 2), 500);
	ck_assert_uint_eq(task_retry_delay(5000, 100, 3), 50000000);
}
END_TEST

/* A product past the cap waits the cap: a day's delay with backoff 100
 * passes 2^64 ms at the seventh attempt (it used to wrap, or retry at
 * once). */
START_TEST(test_capped)
{
	ck_assert_uint_eq(task_retry_delay(86400000, 100, 6),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay(86400000, 100, 7),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay(1, 100, SIZE_MAX),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay(UINT64_MAX, 0, 1),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay((uint64_t)INT64_MAX + 1, 1, 1),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay(TASK_RETRY_DELAY_MAX, 1, 1),
	    TASK_RETRY_DELAY_MAX);
	ck_assert_uint_eq(task_retry_delay(TASK_RETRY_DELAY_MAX - 1, 1, 1),
	    TASK_RETRY_DELAY_MAX - 1);
	ck_assert_uint_eq(task_retry_delay(1000, INFINITY, 2),
	    TASK_RETRY_DELAY_MAX);
	/* Added to the clock, the cap is far from INT64_MAX. */
	ck_assert(TASK_RETRY_DELAY_MAX < (uint64_t)INT64_MAX / 2);
}
END_TEST

/* A backoff that is not a number counts as 1. */
START_TEST(test_nan)
{
	ck_assert_uint_eq(task_retry_delay(1000, NAN, 3), 1000);
	ck_assert_uint_eq(task_retry_delay(1000, -INFINITY, 3), 1000);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("retry");
	TCase	*tc = tcase_create("delay");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_ordinary);
	tcase_add_test(tc, test_capped);
	tcase_add_test(tc, test_nan);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
