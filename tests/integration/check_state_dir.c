/*
 * check_state_dir.c - runneld's state directory is its own: one that group
 * or others may enter is made 0700 at start, with a log line, when
 * runneld's user owns it, and runneld refuses to start when someone else
 * owns it (root only: it takes a chown).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

static struct harness	h;
static char		state[200];

/* A daemon per test, stopped again: its state directory is made. */
static void
setup(void)
{
	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(state, sizeof state, "%s/state", h.dir);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* The mode bits of a path. */
static unsigned
mode_of(const char *path)
{
	struct stat	st;

	ck_assert_int_eq(stat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

/* runneld made it 0700; made 0755 since, it is 0700 again after a start,
 * which says so, and serves. */
START_TEST(test_loose_tightened)
{
	struct runnel_client	*c;
	struct runnel_status	 st;
	char			 want[300];

	ck_assert_uint_eq(mode_of(state), 0700);
	ck_assert_int_eq(chmod(state, 0755), 0);
	harness_spawn(&h, NULL);
	ck_assert_uint_eq(mode_of(state), 0700);
	snprintf(want, sizeof want, "state_dir %s: mode 0755 let group or "
	    "others in; now 0700", state);
	ck_assert_msg(harness_wait_log(&h, want) == 0, "%s", h.log);
	c = harness_client(&h, "alice");
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);
}
END_TEST

/* Another user's loose state directory: runneld does not start, says
 * why, and leaves the directory as it was. */
START_TEST(test_loose_foreign_refused)
{
	char	*argv[6], *out, *err, want[400];
	int	 status;

	if (geteuid() != 0) {
		printf("skipped: test_loose_foreign_refused: needs root\n");
		return;
	}
	ck_assert_int_eq(chown(state, 65534, (gid_t)-1), 0);
	ck_assert_int_eq(chmod(state, 0750), 0);
	argv[0] = getenv("RUNNELD");
	argv[1] = (char *)(uintptr_t)"-f";
	argv[2] = (char *)(uintptr_t)"-c";
	argv[3] = h.conf;
	argv[4] = NULL;
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_int_ne(status, 0);
	snprintf(want, sizeof want, "runneld: state_dir %s lets group or "
	    "others in (mode 0750) and is owned by uid 65534, not runneld's 0: "
	    "chown it to runneld's user or chmod 700 it\n", state);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	ck_assert_uint_eq(mode_of(state), 0750);
	free(out);
	free(err);
}
END_TEST

static Suite *
state_dir_suite(void)
{
	Suite	*s = suite_create("state_dir");
	TCase	*tc = tcase_create("state_dir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_loose_tightened);
	tcase_add_test(tc, test_loose_foreign_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(state_dir_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
