/*
 * check_cli_users.c - local users and restarts, through the runnel CLI: a
 * unix-socket peer's tasks run as that peer (its uid, groups, HOME, USER,
 * LOGNAME, SHELL) unless its [access] line says run_as, root's only with
 * run_as_root; the default directory (the client's over the unix socket,
 * the home of the task's user over TLS); an orderly stop keeps queued
 * tasks queued for the next start; and `runnel run` says why a task it
 * ran timed out (exit 124) or was skipped, one "runnel:" per message.
 * The tests of other users need root (connecting as another uid); they
 * say so and pass when not.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
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
static char		unixhost[200];

/* Reach the daemon over its unix socket, with no config file of ours. */
static void
unix_env(void)
{
	snprintf(unixhost, sizeof unixhost, "unix:%s", h.sock);
	setenv("RUNNEL_HOST", unixhost, 1);
	unsetenv("RUNNEL_CA");
	unsetenv("RUNNEL_CERT");
	unsetenv("RUNNEL_KEY");
	setenv("XDG_CONFIG_HOME", h.dir, 1);
}

/* A daemon per test, reached over the unix socket. */
static void
setup(void)
{
	harness_start(&h, NULL);
	unix_env();
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Skip (passing) a test that needs root and setpriv, saying so. */
static int
need_root(const char *test)
{
	if (geteuid() != 0) {
		fprintf(stderr, "check_cli_users: %s skipped: needs root (to "
		    "connect as another user)\n", test);
		return 1;
	}
	if (access("/usr/bin/setpriv", X_OK) != 0) {
		fprintf(stderr, "check_cli_users: %s skipped: needs "
		    "/usr/bin/setpriv (util-linux)\n", test);
		return 1;
	}
	return 0;
}

/* A local user by name, or NULL; each call has its own copy (getpwnam's
 * one static result would be overwritten by the next). */
static struct passwd *
user(const char *name)
{
	static struct passwd	 pws[8];
	static char		 bufs[8][1024];
	static int		 next;
	struct passwd		*res = NULL;
	int			 i = next++ % 8;

	if (getpwnam_r(name, &pws[i], bufs[i], sizeof bufs[i], &res) != 0)
		return NULL;
	return res;
}

/* Run the CLI as local user pw (through setpriv, with pw's groups) with
 * arguments a0...; its exit status, stdout and stderr. */
static int
cli_as(const struct passwd *pw, char **out, char **err, const char *a0, ...)
{
	char		*argv[CLI_ARGS_MAX + 8], uid[32], gid[32];
	const char	*a;
	va_list		 ap;
	int		 n = 0;

	snprintf(uid, sizeof uid, "--reuid=%lu", (unsigned long)pw->pw_uid);
	snprintf(gid, sizeof gid, "--regid=%lu", (unsigned long)pw->pw_gid);
	argv[n++] = (char *)(uintptr_t)"/usr/bin/setpriv";
	argv[n++] = uid;
	argv[n++] = gid;
	argv[n++] = (char *)(uintptr_t)"--init-groups";
	argv[n++] = (char *)(uintptr_t)"--";
	argv[n++] = getenv("RUNNEL");
	va_start(ap, a0);
	for (a = a0; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, CLI_ARGS_MAX + 7);
		argv[n++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[n] = NULL;
	return harness_run(argv, out, NULL, err);
}

/* Order gids (qsort). */
static int
gid_cmp(const void *a, const void *b)
{
	gid_t	x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

/* What `id -u; id -g; id -G` prints for pw. */
static void
ids_of(const struct passwd *pw, char *buf, size_t len)
{
	gid_t	groups[64];
	int	n = 64, i;
	size_t	off;

	ck_assert_int_ge(getgrouplist(pw->pw_name, pw->pw_gid, groups, &n), 0);
	qsort(groups, (size_t)n, sizeof *groups, gid_cmp);
	off = (size_t)snprintf(buf, len, "%lu\n%lu\n",
	    (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid);
	/* id -G: the gid first, then the others as the kernel keeps them,
	 * sorted. */
	off += (size_t)snprintf(buf + off, len - off, "%lu",
	    (unsigned long)pw->pw_gid);
	for (i = 0; i < n; i++)
		if (groups[i] != pw->pw_gid)
			off += (size_t)snprintf(buf + off, len - off, " %lu",
			    (unsigned long)groups[i]);
	snprintf(buf + off, len - off, "\n");
}

/* The script that prints who a task is, where, and its user variables. */
#define WHO_AM_I \
	"id -u; id -g; id -G; pwd; echo \"$HOME $USER $LOGNAME $SHELL\""

/* ---- who a local user's task runs as ----------------------------------- */

static void
setup_users(void)
{
	char	*cause = NULL;

	/* run_as_root = no: nothing may run as root by accident. */
	harness_start(&h, "[server]\nrun_as_root = no\n[access]\n"
	    "unix:nobody = user\nunix:daemon = user run_as=nobody\n"
	    "carol = user run_as=daemon\ndave = user run_as=nobody\n");
	ck_assert_int_eq(runnel_pki_issue(h.pki, "carol", &cause), 0);
	ck_assert_int_eq(runnel_pki_issue(h.pki, "dave", &cause), 0);
	/* The socket is 0666; its directory must let the users through. */
	ck_assert_int_eq(chmod(h.dir, 0711), 0);
	unix_env();
}

/* A local user's task runs as that user, with its groups, variables and,
 * by default, the client's directory; an explicit --cwd and --env win. */
START_TEST(test_local_user_runs_as_itself)
{
	struct passwd	*pw;
	char		*out, *err, want[1024], ids[512], dir[200];

	if (need_root("test_local_user_runs_as_itself"))
		return;
	pw = user("nobody");
	ck_assert_ptr_nonnull(pw);
	ids_of(pw, ids, sizeof ids);
	ck_assert_int_eq(chdir(h.dir), 0);

	ck_assert_msg(cli_as(pw, &out, &err, "run", "--", "sh", "-c",
	    WHO_AM_I, NULL) == 0, "run: %s%s", out, err);
	snprintf(want, sizeof want, "%s%s\n%s %s %s %s\n", ids, h.dir,
	    pw->pw_dir, pw->pw_name, pw->pw_name, pw->pw_shell);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
	free(out);
	free(err);

	/* The directory sent is the task's, as runnel show says. */
	ck_assert_int_eq(cli_as(pw, &out, &err, "show", "1", NULL), 0);
	snprintf(want, sizeof want, "\ncwd: %s\nowner: unix:nobody\n", h.dir);
	ck_assert_msg(strstr(out, want) != NULL, "show: %s", out);
	free(out);
	free(err);

	/* --cwd and --env override; the directory is entered as the user. */
	ck_assert_int_eq(cli_as(pw, &out, &err, "run", "--cwd", "/tmp",
	    "--env", "HOME=/h", "--", "sh", "-c", "pwd; echo $HOME", NULL), 0);
	ck_assert_str_eq(out, "/tmp\n/h\n");
	free(out);
	free(err);
	snprintf(dir, sizeof dir, "%s/private", h.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(cli_as(pw, &out, &err, "run", "--cwd", dir, "--",
	    "true", NULL), 127);
	snprintf(want, sizeof want, "runneld-exec: cannot start 'true' in %s: "
	    "Permission denied\n", dir);
	ck_assert_str_eq(err, want);
	free(out);
	free(err);
}
END_TEST

/* An [access] line's run_as wins over the peer's own uid; root's own
 * tasks are refused without run_as_root, clearly. */
START_TEST(test_run_as_overrides_and_root_refused)
{
	struct passwd	*pw, *nobody;
	char		*out, *err, want[1024], ids[512];

	if (need_root("test_run_as_overrides_and_root_refused"))
		return;
	pw = user("daemon");
	if (pw == NULL) {
		fprintf(stderr, "check_cli_users: no user 'daemon': run_as "
		    "override not tested\n");
		return;
	}
	nobody = user("nobody");
	ck_assert_ptr_nonnull(nobody);
	ids_of(nobody, ids, sizeof ids);

	ck_assert_int_eq(cli_as(pw, &out, &err, "run", "--cwd", "/", "--",
	    "sh", "-c", WHO_AM_I, NULL), 0);
	snprintf(want, sizeof want, "%s/\n%s %s %s %s\n", ids,
	    nobody->pw_dir, nobody->pw_name, nobody->pw_name,
	    nobody->pw_shell);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);

	/* root, over the unix socket, with run_as_root = no. */
	ck_assert_int_eq(cli(&out, &err, "run", "--", "id", "-u", NULL), 4);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, "runnel: run id: runneld runs as root and "
	    "unix:root has no run_as user in [access] (run_as_root = no)\n");
	free(out);
	free(err);
}
END_TEST

/* Over TLS a task without --cwd runs in the home of its user, or in / if
 * that does not exist (nobody's /nonexistent), with that user's HOME. */
START_TEST(test_tls_default_directory)
{
	struct passwd	*pw;
	char		 want[512], *out, *err;

	if (need_root("test_tls_default_directory"))
		return;
	if ((pw = user("daemon")) == NULL) {
		fprintf(stderr, "check_cli_users: no user 'daemon': "
		    "test_tls_default_directory skipped\n");
		return;
	}
	cli_env(&h, "carol");
	snprintf(want, sizeof want, "%s\n%s\n", pw->pw_dir, pw->pw_dir);
	cli_expect(0, want, "run", "--", "sh", "-c", "pwd; echo $HOME", NULL);
	/* The spec carries no directory: the daemon chose. */
	ck_assert_int_eq(cli(&out, &err, "show", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\ncwd: -\n") != NULL, "show: %s", out);
	free(out);
	free(err);

	pw = user("nobody");
	ck_assert_ptr_nonnull(pw);
	cli_env(&h, "dave");
	snprintf(want, sizeof want, "/\n%s\n", pw->pw_dir);
	cli_expect(0, want, "run", "--", "sh", "-c", "pwd; echo $HOME", NULL);
}
END_TEST

/* Remove the first line of the file at path that is exactly line. */
static void
drop_line(const char *path, const char *line)
{
	char	 buf[8192], *p;
	FILE	*f;
	size_t	 n, len = strlen(line);

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(p = strstr(buf, line));
	memmove(p, p + len, n - (size_t)(p - buf) - len + 1);
	harness_write_file(path, buf);
}

/* A queued task of a local user that a reload no longer knows does not
 * start as anyone else. */
START_TEST(test_forgotten_local_user)
{
	struct passwd	*pw;
	char		*out, *err;

	if (need_root("test_forgotten_local_user"))
		return;
	pw = user("nobody");
	ck_assert_ptr_nonnull(pw);
	cli_ok(0, "queue", "add", "held", NULL);
	cli_ok(0, "queue", "pause", "held", NULL);
	ck_assert_int_eq(cli_as(pw, &out, &err, "submit", "--queue", "held",
	    "--cwd", "/", "--", "id", "-u", NULL), 0);
	ck_assert_str_eq(out, "1\n");
	free(out);
	free(err);
	drop_line(h.conf, "unix:nobody = user\n");
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_int_eq(harness_wait_log(&h, "reloaded"), 0);
	cli_ok(0, "queue", "resume", "held", NULL);
	cli_expect(1, "1 failed exit 127\n", "wait", "1", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\nreason: cannot start: unix:nobody is not "
	    "a known local user\n") != NULL, "show: %s", out);
	free(out);
	free(err);
}
END_TEST

/* A certificate cannot claim a local user's identity: "unix:nobody"
 * would run its tasks as nobody. */
START_TEST(test_tls_cannot_claim_local_user)
{
	struct runnel_client	*c = NULL;
	char			*cause = NULL;

	ck_assert_int_eq(runnel_pki_issue(h.pki, "unix:nobody", &cause), 0);
	ck_assert_int_lt(harness_connect(&h, "unix:nobody", &c), 0);
	ck_assert_int_eq(harness_wait_log(&h, "client certificate CN starts "
	    "with 'unix:', which names local users"), 0);
}
END_TEST

/* ---- a daemon that is not root cannot change user ---------------------- */

/* Give a file to nobody (nftw callback). */
static int
chown_nobody(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	struct passwd	*pw = user("nobody");

	(void)st;
	(void)flag;
	(void)ftw;
	return pw == NULL ? -1 : lchown(path, pw->pw_uid, pw->pw_gid);
}

/* As root: the daemon started again as nobody, on its own files. */
static void
setup_unprivileged(void)
{
	static const char *const as_nobody[] = { "/usr/bin/setpriv",
	    "--reuid=nobody", "--regid=nogroup", "--init-groups", "--",
	    NULL };

	harness_start(&h, "[access]\nunix:daemon = user\n"
	    "unix:bin = user run_as=nobody\n");
	unix_env();
	if (geteuid() != 0 || access(as_nobody[0], X_OK) != 0 ||
	    user("daemon") == NULL || user("bin") == NULL)
		return;
	harness_shutdown(&h);
	ck_assert_int_eq(nftw(h.dir, chown_nobody, 16, FTW_PHYS), 0);
	ck_assert_int_eq(chmod(h.dir, 0711), 0);
	harness_spawn(&h, as_nobody);
}

/* Not root, runneld runs its own user's tasks and those whose [access]
 * line names it with run_as; a certificate identity's run as it too; any
 * other local user's, root's included, are refused, saying why. */
START_TEST(test_unprivileged_daemon)
{
	struct passwd	*nobody, *pw;
	char		*out, *err, want[1024], ids[512];

	if (need_root("test_unprivileged_daemon"))
		return;
	if (user("daemon") == NULL || (pw = user("bin")) == NULL) {
		fprintf(stderr, "check_cli_users: no users 'daemon' and 'bin': "
		    "test_unprivileged_daemon skipped\n");
		return;
	}
	nobody = user("nobody");
	ck_assert_ptr_nonnull(nobody);
	ids_of(nobody, ids, sizeof ids);
	ck_assert_int_eq(chdir(h.dir), 0);

	/* nobody is runneld's user: its tasks run, in its directory. */
	ck_assert_int_eq(cli_as(nobody, &out, &err, "run", "--", "sh", "-c",
	    WHO_AM_I, NULL), 0);
	snprintf(want, sizeof want, "%s%s\n%s %s %s %s\n", ids, h.dir,
	    nobody->pw_dir, nobody->pw_name, nobody->pw_name,
	    nobody->pw_shell);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);
	/* bin's line says run_as=nobody. */
	ck_assert_int_eq(cli_as(pw, &out, &err, "run", "--", "id", "-u",
	    NULL), 0);
	snprintf(want, sizeof want, "%lu\n", (unsigned long)nobody->pw_uid);
	ck_assert_str_eq(out, want);
	free(out);
	free(err);

	/* daemon's and root's tasks would need a change of user: said when
	 * the file is read, and at submit. */
	ck_assert_int_eq(harness_wait_log(&h, "runneld.conf: unix:daemon's "
	    "tasks run as daemon, but runneld runs as nobody, not root: they "
	    "will be refused (run_as=nobody would run them as nobody)"), 0);
	pw = user("daemon");
	ck_assert_int_eq(cli_as(pw, &out, &err, "run", "--", "id", "-u",
	    NULL), 4);
	ck_assert_str_eq(err, "runnel: run id: unix:daemon's tasks run as "
	    "daemon, but runneld runs as nobody, not root, and cannot change "
	    "user (run_as=nobody in [access] would run them as nobody)\n");
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "run", "--", "id", "-u", NULL), 4);
	ck_assert_str_eq(err, "runnel: run id: unix:root's tasks run as "
	    "root, but runneld runs as nobody, not root, and cannot change "
	    "user (run_as=nobody in [access] would run them as nobody)\n");
	free(out);
	free(err);

	/* alice (a certificate, no run_as) runs as nobody, in / as its
	 * home does not exist. */
	cli_env(&h, "alice");
	snprintf(want, sizeof want, "%lu\n/\n", (unsigned long)nobody->pw_uid);
	cli_expect(0, want, "run", "--", "sh", "-c", "id -u; pwd", NULL);
}
END_TEST

/* ---- an orderly stop keeps the queue ----------------------------------- */

/* SIGTERM cancels the running task (on_shutdown = cancel) and keeps the
 * queued ones queued, with their ids; after a start on the same state
 * directory they run. */
START_TEST(test_restart_keeps_queued)
{
	char	*out, *err;

	cli_ok(0, "queue", "add", "held", NULL);
	cli_ok(0, "queue", "pause", "held", NULL);
	cli_expect(0, "1\n", "submit", "--", "sleep", "1000", NULL);
	cli_expect(0, "2\n", "submit", "--queue", "held", "--", "echo", "a",
	    NULL);
	cli_expect(0, "3\n", "submit", "--queue", "held", "--delay", "1s",
	    "--", "echo", "b", NULL);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: started"), 0);

	harness_shutdown(&h);
	ck_assert_msg(strstr(h.log, "shutdown: cancelling 1 running tasks, "
	    "2 queued stay queued") != NULL, "log: %s", h.log);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "restored 3 tasks: 2 queued, "
	    "1 finished"), 0);

	cli_expect(1, "1 cancelled signal SIGTERM\n", "wait", "1", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\ncancelled_by: shutdown\n") != NULL, "%s",
	    out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", "2", NULL), 0);
	ck_assert_msg(strstr(out, "\nstate: queued\n") != NULL, "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", "3", NULL), 0);
	ck_assert_msg(strstr(out, "\nstate: queued\n") != NULL, "%s", out);
	free(out);
	free(err);

	cli_ok(0, "queue", "resume", "held", NULL);
	cli_expect(0, "2 succeeded exit 0\n3 succeeded exit 0\n", "wait", "2",
	    "3", NULL);
	cli_expect(0, "a\n", "logs", "2", NULL);
}
END_TEST

/* Hand a line to the reader of the FIFO at path (waiting for one). */
static void
feed_fifo(const char *path)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("go\n", f);
	fclose(f);
}

static void
setup_wait(void)
{
	harness_start(&h, "[server]\non_shutdown = wait\n");
	unix_env();
}

/* With on_shutdown = wait, an attempt that fails while runneld stops,
 * with retries left, is retried after the next start, not ended. */
START_TEST(test_stop_keeps_retry)
{
	char	 fifo[200], script[300], *out, *err;

	snprintf(fifo, sizeof fifo, "%s/fifo", h.dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof script, "read x < %s; exit 3", fifo);
	cli_expect(0, "1\n", "submit", "--retries", "1", "--", "sh", "-c",
	    script, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: started"), 0);
	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_int_eq(harness_wait_log(&h, "shutdown: waiting for 1 "
	    "running tasks, 0 queued stay queued"), 0);
	feed_fifo(fifo);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: attempt 1 failed, "
	    "retrying"), 0);
	harness_shutdown(&h);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "restored 1 tasks: 1 queued"),
	    0);
	feed_fifo(fifo);
	cli_expect(1, "1 failed exit 3\n", "wait", "1", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", "1", NULL), 0);
	ck_assert_msg(strstr(out, "\nattempts: 2\n") != NULL, "show: %s", out);
	free(out);
	free(err);
}
END_TEST

/* ---- why a run ended, once ---------------------------------------------- */

/* Run the CLI expecting status want, exactly stdout expect_out and stderr
 * expect_err. */
static void
cli_both(int want, const char *expect_out, const char *expect_err,
    const char *a0, ...)
{
	va_list	 ap;
	char	*out, *err;
	int	 status;

	va_start(ap, a0);
	status = cli_v(&out, NULL, &err, a0, ap);
	va_end(ap);
	ck_assert_msg(status == want, "%s: status %d, not %d: %s%s", a0,
	    status, want, out, err);
	ck_assert_str_eq(out, expect_out);
	ck_assert_str_eq(err, expect_err);
	free(out);
	free(err);
}

/* A timeout exits 124, as timeout(1), and says so after the output. */
START_TEST(test_run_timeout_124)
{
	cli_both(124, "x\n", "runnel: task 1 timed out after 1s\n", "run",
	    "--timeout", "1s", "--", "sh", "-c", "echo x; exec sleep 100",
	    NULL);
	cli_expect(1, "1 timed_out signal SIGTERM\n", "wait", "1", NULL);
}
END_TEST

/* A skipped task says which dependency; a retry notice has one prefix. */
START_TEST(test_run_skipped_and_retry_notice)
{
	cli_expect(0, "1\n", "submit", "--", "false", NULL);
	cli_expect(1, "1 failed exit 1\n", "wait", "1", NULL);
	cli_both(1, "", "runnel: task 2 skipped: dependency 1 failed\n",
	    "run", "--after", "1", "--", "true", NULL);
	cli_both(1, "", "runnel: attempt 1 failed (exit 1); retrying in 0 ms\n",
	    "run", "--retries", "1", "--", "false", NULL);
}
END_TEST

/* The daemon's texts that name their task are not prefixed with it
 * again: never "task N: task N ...". */
START_TEST(test_no_doubled_prefix)
{
	char	*out, *err;

	cli_both(5, "", "runnel: task 999: not found\n", "show", "999", NULL);
	cli_both(5, "", "runnel: task 999: not found\n", "wait", "999", NULL);
	cli_both(5, "", "runnel: task 999: not found\n", "cancel", "999",
	    NULL);
	cli_expect(0, "1\n", "submit", "--", "sleep", "1000", NULL);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: started"), 0);
	ck_assert_int_ne(cli(&out, &err, "restart", "1", NULL), 0);
	ck_assert_msg(strncmp(err, "runnel: task 1 ", 15) == 0 &&
	    strstr(err + 8, "runnel:") == NULL &&
	    strstr(err + 14, "task 1") == NULL, "stderr: %s", err);
	free(out);
	free(err);
	cli_ok(0, "cancel", "1", NULL);
}
END_TEST

static Suite *
cli_users_suite(void)
{
	Suite	*s = suite_create("cli_users");
	TCase	*tc;

	tc = tcase_create("users");
	tcase_add_checked_fixture(tc, setup_users, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_local_user_runs_as_itself);
	tcase_add_test(tc, test_run_as_overrides_and_root_refused);
	tcase_add_test(tc, test_tls_default_directory);
	tcase_add_test(tc, test_tls_cannot_claim_local_user);
	tcase_add_test(tc, test_forgotten_local_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("unprivileged");
	tcase_add_checked_fixture(tc, setup_unprivileged, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_unprivileged_daemon);
	suite_add_tcase(s, tc);

	tc = tcase_create("restart");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_restart_keeps_queued);
	suite_add_tcase(s, tc);

	tc = tcase_create("restart_wait");
	tcase_add_checked_fixture(tc, setup_wait, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stop_keeps_retry);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_timeout_124);
	tcase_add_test(tc, test_run_skipped_and_retry_notice);
	tcase_add_test(tc, test_no_doubled_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(cli_users_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
