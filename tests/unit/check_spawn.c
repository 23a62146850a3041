/*
 * check_spawn.c - spawn.c, runneld's posix_spawn: processes started with
 * the descriptors, directory, descriptor limit and signal state asked for;
 * PATH searched as posix_spawnp does; errors reported with the child's
 * errno (by spawn_run() for a vfork child, by spawn_reaped() for one that
 * shares runneld's memory) and no child left behind.  Every test runs
 * with both children (the loop's _i: 0 shared, 1 vfork).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "log.h"
#include "runneld.h"

static char	dir[64];
static char	lc_all[] = "LC_ALL=C";
static char	*envp[] = { lc_all, NULL };

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_spawn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A spawn of argv whose stdout and stderr go to one pipe; *out is its
 * read end.  stdin is /dev/null. */
static void
prepare(struct spawn *sp, char *const *argv, int *out)
{
	int	p[2];

	memset(sp, 0, sizeof *sp);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sp->fd[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ne(sp->fd[0], -1);
	sp->fd[1] = sp->fd[2] = p[1];
	sp->file = argv[0];
	sp->argv = argv;
	sp->envp = envp;
	*out = p[0];
}

/* What finish() returns for a program that could not be executed: a
 * vfork child has exited before spawn_run() returns, a shared one exits
 * 127 after. */
static int
not_executed(void)
{
	return spawn_vfork ? -1 : 127;
}

/* Close the child's ends; read what it wrote, reap it, return its exit
 * code (or -1 when it never started); *error: why its program could not
 * be executed, or 0. */
static int
finish(struct spawn *sp, int out, char *buf, size_t len, int *error)
{
	ssize_t	n;
	size_t	have = 0;
	int	status;

	close(sp->fd[0]);
	close(sp->fd[1]);
	while ((n = read(out, buf + have, len - 1 - have)) > 0)
		have += n;
	buf[have] = '\0';
	close(out);
	*error = sp->error;
	if (sp->pid <= 0) {
		/* A failed spawn left no child to reap. */
		ck_assert_int_eq(waitpid(-1, &status, WNOHANG), -1);
		ck_assert_int_eq(errno, ECHILD);
		return -1;
	}
	ck_assert_int_eq(waitpid(sp->pid, &status, 0), sp->pid);
	ck_assert(WIFEXITED(status));
	*error = spawn_reaped(sp->pid);
	/* Asked once: the record is gone. */
	ck_assert_int_eq(spawn_reaped(sp->pid), 0);
	if (spawn_vfork)
		ck_assert_int_eq(*error, 0);
	return WEXITSTATUS(status);
}

START_TEST(test_child_state)
{
	struct spawn	 sp;
	char		 buf[512], want[128];
	char		 sh[] = "sh", c[] = "-c", script[] = "pwd; ulimit -n; "
	    "grep -E '^Sig(Ign|Blk)' /proc/self/status; "
	    "[ \"$(ps -o sid= -p $$ | tr -d ' ')\" = $$ ] && echo leader; "
	    "ls /proc/self/fd";
	char *const	 argv[] = { sh, c, script, NULL };
	int		 out, error;

	spawn_vfork = _i;
	prepare(&sp, argv, &out);
	sp.cwd = dir;
	sp.nofile = 123;
	spawn_run(&sp);
	ck_assert_int_eq(sp.error, 0);
	ck_assert_int_gt(sp.pid, 0);
	ck_assert_int_eq(finish(&sp, out, buf, sizeof buf, &error), 0);
	ck_assert_int_eq(error, 0);
	/* ls's own directory fd is 3: nothing else was inherited. */
	snprintf(want, sizeof want, "%s\n123\n", dir);
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "%s", buf);
	ck_assert_str_eq(buf + strlen(want), "SigBlk:\t0000000000000000\n"
	    "SigIgn:\t0000000000000000\nleader\n0\n1\n2\n3\n");
}
END_TEST

/* An executable file of this name in the test's directory. */
static void
make_file(const char *name, const char *text, mode_t mode)
{
	char	path[128];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Spawn file with PATH set to path; returns the exit code or -1, and the
 * errno in *error. */
static int
run_path(const char *file, const char *path, int *error, char *buf,
    size_t len)
{
	struct spawn	 sp;
	char		 name[256];
	char *const	 argv[] = { name, NULL };
	int		 out, code;

	snprintf(name, sizeof name, "%s", file);
	prepare(&sp, argv, &out);
	sp.path = path;
	spawn_run(&sp);
	code = finish(&sp, out, buf, len, error);
	return code;
}

START_TEST(test_path_search)
{
	char	path[256], buf[256];
	int	error;

	spawn_vfork = _i;
	make_file("hello", "#!/bin/sh\necho hello from $0\n", 0755);
	make_file("noexec", "#!/bin/sh\necho ran\n", 0644);
	make_file("nosheb", "echo ran by a shell\n", 0755);

	/* The first directory that has it; missing and empty ones skipped. */
	snprintf(path, sizeof path, "/nonexistent::%s:/bin", dir);
	ck_assert_int_eq(run_path("hello", path, &error, buf, sizeof buf), 0);
	ck_assert_int_eq(error, 0);
	ck_assert_msg(strstr(buf, "hello from") != NULL, "%s", buf);

	ck_assert_int_eq(run_path("nothere", path, &error, buf, sizeof buf),
	    not_executed());
	ck_assert_int_eq(error, ENOENT);
	/* Found but not executable anywhere: EACCES, not ENOENT. */
	ck_assert_int_eq(run_path("noexec", path, &error, buf, sizeof buf),
	    not_executed());
	ck_assert_int_eq(error, EACCES);
	/* No #!: not run by /bin/sh (execvp would; posix_spawnp does not). */
	ck_assert_int_eq(run_path("nosheb", path, &error, buf, sizeof buf),
	    not_executed());
	ck_assert_int_eq(error, ENOEXEC);
	ck_assert_str_eq(buf, "");
	/* A name with a slash is not searched for. */
	snprintf(path, sizeof path, "%s/hello", dir);
	ck_assert_int_eq(run_path(path, "/nonexistent", &error, buf,
	    sizeof buf), 0);
	ck_assert_int_eq(run_path("./hello", dir, &error, buf, sizeof buf),
	    not_executed());
	ck_assert_int_eq(error, ENOENT);
}
END_TEST

START_TEST(test_bad_cwd)
{
	struct spawn	 sp;
	char		 buf[64], cwd[128];
	char		 tru[] = "true";
	char *const	 argv[] = { tru, NULL };
	int		 out, error;

	spawn_vfork = _i;
	prepare(&sp, argv, &out);
	snprintf(cwd, sizeof cwd, "%s/missing", dir);
	sp.cwd = cwd;
	spawn_run(&sp);
	ck_assert_int_eq(finish(&sp, out, buf, sizeof buf, &error),
	    not_executed());
	ck_assert_int_eq(error, ENOENT);
	if (spawn_vfork)
		ck_assert_int_eq(sp.pid, 0);
}
END_TEST

/* A shared child writes nothing of runneld's: its failing system calls
 * (here every PATH entry but none has the file) leave the loop's errno
 * alone, and the caller's request can go the moment spawn_run returns. */
START_TEST(test_shared_child_writes_nothing)
{
	struct spawn	 sp;
	char		 buf[64], path[64 * 20] = "", name[] = "nothere";
	char		*argv[] = { name, NULL };
	int		 out, error, i;

	spawn_vfork = 0;
	for (i = 0; i < 60; i++)
		strcat(path, "/nonexistent:");
	strcat(path, "/nonexistent");
	prepare(&sp, argv, &out);
	sp.path = path;
	spawn_run(&sp);
	ck_assert_int_gt(sp.pid, 0);
	/* The request's strings are the caller's to reuse at once. */
	memset(path, 'x', sizeof path - 1);
	name[0] = 'X';
	errno = 0;
	ck_assert_int_eq(finish(&sp, out, buf, sizeof buf, &error), 127);
	ck_assert_int_eq(error, ENOENT);
	ck_assert_int_eq(errno, 0);
}
END_TEST

static volatile sig_atomic_t	handled;

static void
on_term(int sig)
{
	(void)sig;
	handled = 1;
}

/* A signal sent the moment spawn_run returns (the child may not have its
 * own session yet, as task-exec's kill(pid) covers) kills it: it never runs
 * the handler it inherited from runneld, and never runs the program. */
START_TEST(test_signal_before_exec)
{
	struct spawn	 sp;
	char		 buf[64], sleep_[] = "sleep", ten[] = "10";
	char *const	 argv[] = { sleep_, ten, NULL };
	int		 out, status, i;

	spawn_vfork = _i;
	ck_assert_ptr_ne(signal(SIGTERM, on_term), SIG_ERR);
	prepare(&sp, argv, &out);
	spawn_run(&sp);
	ck_assert_int_gt(sp.pid, 0);
	ck_assert_int_eq(kill(sp.pid, SIGTERM), 0);
	close(sp.fd[0]);
	close(sp.fd[1]);
	for (i = 0; read(out, buf, sizeof buf) > 0 && i < 100; i++)
		;
	close(out);
	ck_assert_int_eq(waitpid(sp.pid, &status, 0), sp.pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
	ck_assert_int_eq(spawn_reaped(sp.pid), 0);
	ck_assert_int_eq(handled, 0);
}
END_TEST

/* Many children at once, none reaped until all have started: each runs
 * its own program with its own arguments (their blocks are not mixed up),
 * and the failures among them report their own errno. */
START_TEST(test_many_in_flight)
{
	enum { N = 200 };
	struct spawn	 sp[N];
	char		 arg[N][16], buf[64], want[16], sh[] = "sh", c[] = "-c";
	char		 missing[] = "/nonexistent/x";
	char		*argv[N][4];
	int		 out[N], i, error;

	spawn_vfork = 0;
	for (i = 0; i < N; i++) {
		snprintf(arg[i], sizeof arg[i], "echo %d", i);
		argv[i][0] = i % 10 == 9 ? missing : sh;
		argv[i][1] = c;
		argv[i][2] = arg[i];
		argv[i][3] = NULL;
		prepare(&sp[i], argv[i], &out[i]);
		spawn_run(&sp[i]);
		ck_assert_int_eq(sp[i].error, 0);
		/* The next request reuses the caller's memory. */
		memset(arg[i], 0, sizeof arg[i]);
	}
	for (i = 0; i < N; i++) {
		if (i % 10 == 9) {
			ck_assert_int_eq(finish(&sp[i], out[i], buf,
			    sizeof buf, &error), 127);
			ck_assert_int_eq(error, ENOENT);
			continue;
		}
		ck_assert_int_eq(finish(&sp[i], out[i], buf, sizeof buf,
		    &error), 0);
		ck_assert_int_eq(error, 0);
		snprintf(want, sizeof want, "%d\n", i);
		ck_assert_str_eq(buf, want);
	}
}
END_TEST

static Suite *
spawn_suite(void)
{
	Suite	*s = suite_create("spawn");
	TCase	*tc = tcase_create("spawn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_child_state, 0, 2);
	tcase_add_loop_test(tc, test_path_search, 0, 2);
	tcase_add_loop_test(tc, test_bad_cwd, 0, 2);
	tcase_add_test(tc, test_shared_child_writes_nothing);
	tcase_add_loop_test(tc, test_signal_before_exec, 0, 2);
	tcase_add_test(tc, test_many_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(spawn_suite());
	int	 failed;

	log_init(1, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
