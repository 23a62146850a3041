/*
 * check_cli_msgs.c - every message the runnel CLI prints for a bad
 * command line or a refused request has one "runnel:" prefix, names its
 * verb, says what is wrong (not a bare usage) and names its object once,
 * with the documented exit status: the options' own parser (getopt) as
 * much as runnel's checks and the daemon's refusals.  And its JSON is
 * valid UTF-8 whatever bytes a task's argv holds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"

static struct harness	h;

/* A daemon per test, and the client's TLS settings in the environment. */
static void
setup(void)
{
	harness_start(&h, NULL);
	cli_env(&h, "admin");
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Run the CLI with stdin closed, expecting exit status want and exactly
 * the first line first on stderr. */
static void
msgs_expect(int want, const char *first, const char *a0, ...)
{
	va_list	 ap;
	char	*out, *err;
	size_t	 len = strlen(first);
	int	 rc;

	va_start(ap, a0);
	rc = cli_v(&out, NULL, &err, a0, ap);
	va_end(ap);
	ck_assert_msg(rc == want, "%s: exit %d, not %d; stderr: %s", a0, rc,
	    want, err);
	ck_assert_msg(strncmp(err, first, len) == 0 &&
	    (err[len] == '\n' || err[len] == '\0'),
	    "%s: stderr starts '%s', not '%s'", a0, err, first);
	free(out);
	free(err);
}

START_TEST(test_getopt_messages_have_one_prefix)
{
	/* Whatever path the binary was started by, and whatever the verb. */
	msgs_expect(2, "runnel: option requires an argument -- 'H'", "-H",
	    NULL);
	msgs_expect(2, "runnel: unrecognized option '--frobnicate'",
	    "--frobnicate", NULL);
	msgs_expect(2, "runnel: show: invalid option -- '1'", "show", "-1",
	    NULL);
	msgs_expect(2, "runnel: submit: unrecognized option '--frobnicate'",
	    "submit", "--frobnicate", "--", "true", NULL);
	msgs_expect(2, "runnel: cancel: option '--grace' requires an argument",
	    "cancel", "1", "--grace", NULL);
}
END_TEST

START_TEST(test_usage_errors_say_why)
{
	msgs_expect(2, "runnel: submit: --detach-on-interrupt is for run only",
	    "submit", "--detach-on-interrupt", "--", "true", NULL);
	msgs_expect(2, "runnel: submit: the command is empty", "submit", "--",
	    "", NULL);
	msgs_expect(2, "runnel: run: the command is empty", "run", "", NULL);
	msgs_expect(2, "runnel: watch: give --from or --tail, not both",
	    "watch", "--from", "1", "--tail", "2", "1", NULL);
	msgs_expect(2, "runnel: run: --cwd wants a directory, not an empty "
	    "string", "run", "--cwd", "", "--", "pwd", NULL);
	msgs_expect(2, "runnel: pki issue: client name 'unix:bob': runneld "
	    "refuses a certificate whose CN starts with unix:", "pki", "issue",
	    "/nonexistent", "unix:bob", NULL);
	msgs_expect(2, "runnel: wait: --timeout 0ms: must be more than 0 "
	    "(without it, wait has no limit)", "wait", "--timeout", "0ms",
	    "1", NULL);
	msgs_expect(2, "runnel: pki: unknown operation: frob (init or issue)",
	    "pki", "frob", NULL);
	msgs_expect(2, "runnel: submit: --stdin /nonexistent/in: No such file "
	    "or directory", "submit", "--stdin", "/nonexistent/in", "--",
	    "cat", NULL);
}
END_TEST

START_TEST(test_queue_named_once)
{
	cli_ok(0, "queue", "add", "q1", NULL);
	msgs_expect(6, "runnel: queue 'q1' already exists", "queue", "add",
	    "q1", NULL);
	msgs_expect(5, "runnel: queue 'nope' does not exist", "queue", "pause",
	    "nope", NULL);
	msgs_expect(5, "runnel: queue 'nope' does not exist", "queue", "set",
	    "nope", "--max-running", "1", NULL);
	msgs_expect(6, "runnel: queue: bad queue name 'a b' (1-64 of A-Z a-z "
	    "0-9 . _ -)", "queue", "add", "a b", NULL);
	/* A refusal that does not name the queue still gets it in front. */
	cli_env(&h, "alice");
	msgs_expect(4, "runnel: queue q1: changing queues needs role admin; "
	    "alice is user", "queue", "drain", "q1", NULL);
}
END_TEST

START_TEST(test_control_characters_escaped)
{
	/* The daemon quotes the label back; the terminal gets no escape. */
	msgs_expect(6, "runnel: submit true: bad label 'k=a\\x1b[31mb'",
	    "submit", "--label", "k=a\033[31mb", "--", "true", NULL);
	msgs_expect(6, "runnel: submit true: queue 'q\\x0az' does not exist",
	    "submit", "--queue", "q\nz", "--", "true", NULL);
	msgs_expect(6, "runnel: submit true: name must be at most 256 bytes, "
	    "without control characters", "submit", "--name", "a\tb", "--",
	    "true", NULL);
	/* And runnel's own context, the command, is one line too. */
	msgs_expect(6, "runnel: submit a\\x0ab: queue 'nope' does not exist",
	    "submit", "--queue", "nope", "--", "a\nb", NULL);
}
END_TEST

START_TEST(test_default_socket_named_once)
{
	if (access("/run/runnel/runneld.sock", F_OK) == 0)
		return;		/* a real daemon is there: nothing to refuse */
	unsetenv("RUNNEL_HOST");
	setenv("RUNNEL_CONFIG", "/dev/null", 1);
	msgs_expect(3, "runnel: connect to unix:/run/runnel/runneld.sock: "
	    "No such file or directory", "status", NULL);
	unsetenv("RUNNEL_CONFIG");
}
END_TEST

/* A retry notice names the signal that ended the attempt, as every other
 * text does ("signal SIGTERM"), not its number. */
START_TEST(test_retry_notice_names_signal)
{
	char	*out, *err;

	ck_assert_int_eq(cli(&out, &err, "run", "--timeout", "100ms",
	    "--retries", "1", "--", "sleep", "100", NULL), 124);
	ck_assert_str_eq(err, "runnel: attempt 1 timed_out (signal SIGTERM); "
	    "retrying in 0 ms\nrunnel: task 1 timed out after 100ms\n");
	free(out);
	free(err);
}
END_TEST

/* argv and cwd are bytes: show --json and list --json give what is not
 * UTF-8 as \u00XX, as watch --json does, and the table and show as '?',
 * never the raw byte. */
START_TEST(test_json_bytes_escaped)
{
	char	*out, *err;

	cli_expect(0, "1\n", "submit", "--cwd", "/tmp", "--", "printf",
	    "a\xff\x7f\n", NULL);
	cli_expect(0, "1 succeeded exit 0\n", "wait", "1", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", "--json", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\"argv\":[\"printf\",\"a\\u00ff\\u007f\\n\"]")
	    != NULL, "show --json: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "list", "--json", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\"a\\u00ff\\u007f\\n\"") != NULL &&
	    strchr(out, 0xff) == NULL, "list --json: %s", out);
	free(out);
	free(err);
	/* And on a terminal, as a control character is: '?'. */
	ck_assert_int_eq(cli(&out, &err, "list", "1", NULL), 0);
	ck_assert_msg(strstr(out, " printf 'a?\?\?'\n") != NULL &&
	    strchr(out, 0xff) == NULL, "list: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\nargv: printf 'a?\?\?'\n") != NULL,
	    "show: %s", out);
	free(out);
	free(err);
}
END_TEST

/* A limit the kernel refuses is named as --rlimit names it. */
START_TEST(test_rlimit_refusal_named)
{
	char	*out, *err;

	/* RLIMIT_NOFILE is at most fs.nr_open, for root too. */
	ck_assert_int_eq(cli(&out, &err, "run", "--rlimit", "nofile=unlimited",
	    "--", "true", NULL), 127);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "runneld-exec: rlimit nofile=unlimited:unlimited: "
	    "Operation not permitted\n");
	free(out);
	free(err);
}
END_TEST

/* A daemon address runnel cannot use is a usage error, said once. */
START_TEST(test_bad_address_is_usage)
{
	msgs_expect(2, "runnel: connect to localhost:abc: bad daemon address "
	    "(HOST[:PORT], [IPV6][:PORT] or unix:PATH)", "-H", "localhost:abc",
	    "status", NULL);
	msgs_expect(2, "runnel: connect to [::1: bad daemon address "
	    "(HOST[:PORT], [IPV6][:PORT] or unix:PATH)", "-H", "[::1",
	    "status", NULL);
	unsetenv("RUNNEL_CA");
	msgs_expect(2, "runnel: connect to 127.0.0.1:1: a CA certificate is "
	    "required for TLS", "-H", "127.0.0.1:1", "status", NULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cli_msgs");
	TCase	*tc = tcase_create("cli_msgs");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_getopt_messages_have_one_prefix);
	tcase_add_test(tc, test_usage_errors_say_why);
	tcase_add_test(tc, test_queue_named_once);
	tcase_add_test(tc, test_control_characters_escaped);
	tcase_add_test(tc, test_default_socket_named_once);
	tcase_add_test(tc, test_retry_notice_names_signal);
	tcase_add_test(tc, test_json_bytes_escaped);
	tcase_add_test(tc, test_rlimit_refusal_named);
	tcase_add_test(tc, test_bad_address_is_usage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
