/*
 * check_cli.c - the runnel command line against a real runneld: exit
 * statuses, streams, submit/watch/cancel/list/wait/status, Ctrl-C, pki.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
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
	cli_env(&h, "alice");
}

static void
teardown(void)
{
	harness_stop(&h);
}

START_TEST(test_run_streams_and_status)
{
	char	*out, *err;

	ck_assert_int_eq(cli(&out, &err, "run", "--", "sh", "-c",
	    "echo to-out; echo to-err >&2; exit 7", NULL), 7);
	ck_assert_str_eq(out, "to-out\n");
	ck_assert_str_eq(err, "to-err\n");
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "run", "sh", "-c", "kill -KILL $$",
	    NULL), 128 + 9);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "run", "true", NULL), 0);
	ck_assert_str_eq(out, "");
	free(out);
	free(err);
}
END_TEST

START_TEST(test_submit_watch_list_wait)
{
	char	*out, *err, id[32], id2[32];

	ck_assert_int_eq(cli(&out, &err, "submit", "--name", "greet", "--env",
	    "WHO=world", "--cwd", "/tmp", "--", "sh", "-c",
	    "echo hello $WHO from $(pwd)", NULL), 0);
	/* Only the id, so scripts can capture it. */
	ck_assert_int_eq(strspn(out, "0123456789"), strlen(out) - 1);
	snprintf(id, sizeof id, "%.*s", (int)strlen(out) - 1, out);
	free(out);
	free(err);

	ck_assert_int_eq(cli(&out, &err, "wait", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "succeeded"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "watch", id, NULL), 0);
	ck_assert_str_eq(out, "hello world from /tmp\n");
	free(out);
	free(err);

	ck_assert_int_eq(cli(&out, &err, "submit", "--", "false", NULL), 0);
	snprintf(id2, sizeof id2, "%.*s", (int)strlen(out) - 1, out);
	free(out);
	free(err);
	/* wait is non-zero when one did not succeed. */
	ck_assert_int_eq(cli(&out, &err, "wait", id, id2, NULL), 1);
	free(out);
	free(err);

	ck_assert_int_eq(cli(&out, &err, "list", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "greet"));
	ck_assert_ptr_nonnull(strstr(out, "failed"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "list", "--json", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"name\":\"greet\""));
	ck_assert_ptr_nonnull(strstr(out, "\"state\":\"succeeded\""));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "alice"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "status", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "0.1.0"));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_watch_two_prefixed_then_cancel)
{
	char	*out, *err, a[32], b[32];

	ck_assert_int_eq(cli(&out, &err, "submit", "--name", "boo", "--", "sh",
	    "-c", "echo ...boo 0; echo ...boo 1", NULL), 0);
	snprintf(a, sizeof a, "%.*s", (int)strlen(out) - 1, out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "submit", "--", "sh", "-c",
	    "echo ...baa 0; sleep 30", NULL), 0);
	snprintf(b, sizeof b, "%.*s", (int)strlen(out) - 1, out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "cancel", "--signal", "KILL", b, NULL),
	    0);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "watch", a, b, NULL), 1);
	ck_assert_ptr_nonnull(strstr(out, "[boo] ...boo 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "[boo] ...boo 1\n"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "list", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "cancelled"));
	free(out);
	free(err);
	/* Unknown ids are errors with their own exit status. */
	ck_assert_int_eq(cli(&out, &err, "cancel", "999", NULL), 5);
	ck_assert_ptr_nonnull(strstr(err, "not found"));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_ctrl_c_cancels)
{
	static char	 run[] = "run", dash[] = "--", sh[] = "sh", c[] = "-c";
	static char	 script[] = "echo ready; exec sleep 30";
	char		*argv[] = { getenv("RUNNEL"), run, dash, sh, c, script,
	    NULL };
	char	 buf[64];
	int	 p[2], status;
	ssize_t	 n;
	pid_t	 pid;

	ck_assert(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof buf);
	ck_assert_int_eq(n, 6);
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
	close(p[0]);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 128 + SIGTERM);
	ck_assert_int_eq(harness_wait_log(&h, "cancelled by alice"), 0);
}
END_TEST

START_TEST(test_unix_default_and_errors)
{
	char	*out, *err, host[160];

	snprintf(host, sizeof host, "unix:%s", h.sock);
	ck_assert_int_eq(cli(&out, &err, "-H", host, "run", "echo", "via unix",
	    NULL), 0);
	ck_assert_str_eq(out, "via unix\n");
	free(out);
	free(err);
	/* Nothing listens there. */
	ck_assert_int_eq(cli(&out, &err, "-H", "unix:/nonexistent/sock",
	    "list", NULL), 3);
	ck_assert_ptr_nonnull(strstr(err, "runnel: "));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "submit", "--env", "NOEQUALS", "--",
	    "true", NULL), 2);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "frobnicate", NULL), 2);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_pki_commands)
{
	char		*out, *err, dir[160], path[200];
	struct stat	 st;

	snprintf(dir, sizeof dir, "%s/newpki", h.dir);
	ck_assert_int_eq(cli(&out, &err, "pki", "init", dir, "--name",
	    "localhost", "--name", "127.0.0.1", NULL), 0);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "carol", NULL), 0);
	free(out);
	free(err);
	snprintf(path, sizeof path, "%s/carol.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s/ca.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Never over an existing CA. */
	ck_assert_int_ne(cli(&out, &err, "pki", "init", dir, "--name",
	    "localhost", NULL), 0);
	ck_assert_ptr_nonnull(strstr(err, "runnel: "));
	free(out);
	free(err);
}
END_TEST

/* init makes missing parents and, with --group, a server key that group
 * reads; issue --out copies a certificate, its key and the CA to a new
 * directory, --owner gives them away; names are checked before anything
 * is made. */
START_TEST(test_pki_group_out)
{
	char		*out, *err, dir[160], home[160], cfg[200], path[260];
	char		 want[2048];
	struct group	*gr;
	struct stat	 st;

	ck_assert_ptr_nonnull(gr = getgrgid(getegid()));
	snprintf(dir, sizeof dir, "%s/a/b/pki", h.dir);
	ck_assert_int_eq(cli(&out, &err, "pki", "init", dir, "--name",
	    "localhost", "--group", gr->gr_name, NULL), 0);
	snprintf(want, sizeof want, "wrote %s/ca.crt\nwrote %s/ca.key\n"
	    "wrote %s/server.crt\nwrote %s/server.key\n", dir, dir, dir, dir);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	snprintf(path, sizeof path, "%s/a/b", h.dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	ck_assert_int_eq(st.st_gid, gr->gr_gid);
	snprintf(path, sizeof path, "%s/server.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_gid, gr->gr_gid);
	snprintf(path, sizeof path, "%s/ca.key", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);

	/* An unknown group: nothing made. */
	snprintf(path, sizeof path, "%s/other", h.dir);
	ck_assert_int_eq(cli(&out, &err, "pki", "init", path, "--name",
	    "localhost", "--group", "no-such-group-here", NULL), 6);
	ck_assert_str_eq(err, "runnel: pki init: no group no-such-group-here\n");
	ck_assert_int_eq(stat(path, &st), -1);
	free(out);
	free(err);

	snprintf(home, sizeof home, "%s/home", h.dir);
	snprintf(cfg, sizeof cfg, "%s/.config/runnel", home);
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "carol", "--out",
	    cfg, NULL), 0);
	snprintf(want, sizeof want, "wrote %s/carol.crt\nwrote %s/carol.key\n"
	    "wrote %s/ca.crt\nwrote %s/carol.crt\nwrote %s/carol.key\n", dir,
	    dir, cfg, cfg, cfg);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	ck_assert_int_eq(stat(home, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(stat(cfg, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	snprintf(path, sizeof path, "%s/carol.key", cfg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* The same CA again is kept; a second client joins it. */
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "dave", "--out",
	    cfg, NULL), 0);
	snprintf(want, sizeof want, "wrote %s/dave.crt\nwrote %s/dave.key\n"
	    "wrote %s/dave.crt\nwrote %s/dave.key\n", dir, dir, cfg, cfg);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	/* A different ca.crt there is not overwritten. */
	snprintf(path, sizeof path, "%s/ca.crt", cfg);
	harness_write_file(path, "another CA\n");
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "erin", "--out",
	    cfg, NULL), 6);
	snprintf(want, sizeof want, "runnel: pki issue: %s exists and differs "
	    "from %s/ca.crt: refusing to overwrite it\n", path, dir);
	ck_assert_str_eq(err, want);
	free(out);
	free(err);

	/* --owner needs --out; an unknown user makes nothing. */
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "frank",
	    "--owner", "root", NULL), 2);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "frank", "--out",
	    cfg, "--owner", "no-such-user-here", NULL), 6);
	ck_assert_str_eq(err, "runnel: pki issue: no user no-such-user-here\n");
	free(out);
	free(err);
	snprintf(path, sizeof path, "%s/frank.key", dir);
	ck_assert_int_eq(stat(path, &st), -1);

	if (geteuid() == 0) {
		/* As root, the copies and the directories made for them
		 * go to the owner. */
		snprintf(cfg, sizeof cfg, "%s/home2/.config/runnel", h.dir);
		ck_assert_int_eq(cli(&out, &err, "pki", "issue", dir, "gina",
		    "--out", cfg, "--owner", "nobody", NULL), 0);
		free(out);
		free(err);
		snprintf(path, sizeof path, "%s/home2", h.dir);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_uid, 65534);
		snprintf(path, sizeof path, "%s/gina.key", cfg);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_uid, 65534);
		ck_assert_int_eq(st.st_mode & 07777, 0600);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cli");
	TCase	*tc = tcase_create("cli");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_streams_and_status);
	tcase_add_test(tc, test_submit_watch_list_wait);
	tcase_add_test(tc, test_watch_two_prefixed_then_cancel);
	tcase_add_test(tc, test_ctrl_c_cancels);
	tcase_add_test(tc, test_unix_default_and_errors);
	tcase_add_test(tc, test_pki_commands);
	tcase_add_test(tc, test_pki_group_out);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
