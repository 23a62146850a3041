/*
 * check_access.c - unit tests for runneld's access map (daemon/access.c)
 * on its own, without the file reader: what access_add() takes and refuses
 * (with the exact cause, which config.c then places at its line), the
 * users it resolves, the lookups the loop uses, and access_clear().
 */

#include <sys/types.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

/* An empty configuration, as config_load starts from. */
static struct config *
conf_new(void)
{
	struct config	*conf;

	conf = calloc(1, sizeof *conf);
	ck_assert_ptr_nonnull(conf);
	conf->path = strdup("test.conf");
	ck_assert_ptr_nonnull(conf->path);
	return conf;
}

/* Free what conf_new() and the access functions made. */
static void
conf_free(struct config *conf)
{
	access_clear(conf);
	free(conf->path);
	free(conf);
}

/* Add IDENTITY = VALUE, which must be taken. */
static void
add_ok(struct config *conf, const char *identity, const char *value)
{
	char	*cause = (char *)1;

	ck_assert_int_eq(access_add(conf, conf->path, 1, identity, value,
	    &cause), 0);
	ck_assert_ptr_null(cause);
}

/* Add IDENTITY = VALUE, which must be refused with exactly WANT, leaving
 * the map as it was. */
static void
add_bad(struct config *conf, const char *identity, const char *value,
    const char *want)
{
	size_t	 before = conf->naccess;
	char	*cause = NULL;

	ck_assert_int_eq(access_add(conf, conf->path, 7, identity, value,
	    &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, want);
	ck_assert_uint_eq(conf->naccess, before);
	free(cause);
}

START_TEST(test_add_and_find)
{
	struct config			*conf = conf_new();
	const struct access_entry	*ca;

	add_ok(conf, "alice", "admin");
	add_ok(conf, "CN with spaces: and colons", "viewer");
	add_ok(conf, "bob", "user run_as=root");
	ck_assert_uint_eq(conf->naccess, 3);

	ck_assert_int_eq(access_role(conf, "alice"), ROLE_ADMIN);
	ck_assert_int_eq(access_role(conf, "CN with spaces: and colons"),
	    ROLE_VIEWER);
	ck_assert_int_eq(access_role(conf, "bob"), ROLE_USER);
	ck_assert_int_eq(access_role(conf, "Alice"), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, NULL), ROLE_NONE);

	ca = access_find(conf, "bob");
	ck_assert_ptr_eq(ca, &conf->access[2]);
	ck_assert_str_eq(ca->run_as, "root");
	ck_assert_uint_eq(ca->run_user.uid, 0);
	ck_assert_str_eq(ca->run_user.name, "root");
	ck_assert_ptr_null(access_find(conf, "alice")->run_as);
	ck_assert_ptr_null(access_find(conf, "carol"));
	ck_assert_ptr_null(access_find(NULL, "alice"));
	conf_free(conf);
}
END_TEST

START_TEST(test_add_refused)
{
	struct config	*conf = conf_new();

	add_ok(conf, "alice", "admin");
	/* The cause has no FILE:LINE: config.c puts it there. */
	add_bad(conf, "bob", "boss", "unknown role 'boss' (admin, user or "
	    "viewer)");
	add_bad(conf, "bob", "none", "unknown role 'none' (admin, user or "
	    "viewer)");
	add_bad(conf, "alice", "viewer", "duplicate access entry 'alice'");
	add_bad(conf, "bob", "user # x", "'# x' after role 'user': expected "
	    "run_as=USER (a comment must be on a line of its own)");
	add_bad(conf, "bob", "user run_as=", "empty user in run_as");
	add_bad(conf, "bob", "user run_as=root x", "unexpected text after "
	    "'run_as=root'");
	add_bad(conf, "bob", "user run_as=runnel-no-such-user",
	    "run_as user 'runnel-no-such-user' does not exist");
	add_bad(conf, "unix:", "user", "missing user name after 'unix:'");
	ck_assert_uint_eq(conf->naccess, 1);
	conf_free(conf);
}
END_TEST

START_TEST(test_unix_users)
{
	struct config	*conf = conf_new();

	/* An unknown user is kept, matching no one (a reload looks again). */
	add_ok(conf, "unix:runnel-no-such-user", "viewer");
	add_ok(conf, "unix:root", "user");
	ck_assert_uint_eq(conf->naccess, 2);
	ck_assert_int_eq(conf->access[0].unix_known, 0);
	ck_assert_int_eq(conf->access[1].unix_known, 1);
	ck_assert_uint_eq(conf->access[1].unix_uid, 0);
	ck_assert_str_eq(conf->access[1].unix_user.name, "root");

	ck_assert_int_eq(access_own_users(conf), 0);
	ck_assert_str_eq(conf->root_name, "root");
	ck_assert_uint_eq(conf->self_uid, getuid());
	ck_assert_uint_eq(conf->self_user.uid, geteuid());
	ck_assert_str_eq(access_unix_name(conf, 0), "root");
	ck_assert_str_eq(access_unix_name(conf, getuid()), conf->self_name);
	ck_assert_ptr_null(access_unix_name(conf, 4242424));
	ck_assert_ptr_eq(access_unix_user(conf, "unix:root"),
	    &conf->root_user);
	ck_assert_ptr_null(access_unix_user(conf,
	    "unix:runnel-no-such-user"));
	ck_assert_ptr_null(access_unix_user(conf, "root"));
	ck_assert_ptr_null(access_unix_user(conf, NULL));
	conf_free(conf);
}
END_TEST

START_TEST(test_clear)
{
	struct config	*conf = conf_new();

	add_ok(conf, "alice", "admin run_as=root");
	ck_assert_int_eq(access_own_users(conf), 0);
	access_clear(conf);
	ck_assert_uint_eq(conf->naccess, 0);
	ck_assert_ptr_null(conf->access);
	ck_assert_int_eq(access_role(conf, "alice"), ROLE_NONE);
	/* A cleared map takes entries again. */
	add_ok(conf, "alice", "viewer");
	ck_assert_int_eq(access_role(conf, "alice"), ROLE_VIEWER);
	conf_free(conf);
}
END_TEST

START_TEST(test_role_names)
{
	ck_assert_int_eq(access_role_parse("admin"), ROLE_ADMIN);
	ck_assert_int_eq(access_role_parse("viewer"), ROLE_VIEWER);
	ck_assert_int_eq(access_role_parse("none"), ROLE_NONE);
	ck_assert_str_eq(access_role_name(ROLE_USER), "user");
	ck_assert_str_eq(access_role_name((enum role)9), "unknown");
}
END_TEST

/* The suite. */
static Suite *
access_suite(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc = tcase_create("access");

	tcase_add_test(tc, test_add_and_find);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_unix_users);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_role_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(access_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
