/*
 * check_cli_sched.c - the runnel command line's scheduling options against
 * a real runneld: queues, priorities, dependencies, timeouts, retries, keys,
 * delayed starts, streamed stdin, environment files, limits, labels and
 * selection, wait modes, restart and run --detach-on-interrupt.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"


static struct harness	h;
static char		unixhost[200];

/* A daemon per test, and the client's TLS settings (alice, a user) in the
 * environment; unixhost reaches it as an admin. */
static void
setup(void)
{
	harness_start(&h, NULL);
	snprintf(unixhost, sizeof unixhost, "unix:%s", h.sock);
	cli_env(&h, "alice");
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Run `runnel submit ARGS...` and return the id it printed. */
static uint64_t
submit(const char *a0, ...)
{
	va_list		 ap;
	char		*out, *err, *end;
	const char	*a;
	char		*argv[CLI_ARGS_MAX];
	uint64_t	 id;
	int		 n = 0, status;

	argv[n++] = getenv("RUNNEL");
	argv[n++] = (char *)(uintptr_t)"submit";
	va_start(ap, a0);
	for (a = a0; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, CLI_ARGS_MAX - 1);
		argv[n++] = (char *)(uintptr_t)a;
	}
	va_end(ap);
	argv[n] = NULL;
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(status == 0, "submit: status %d: %s", status, err);
	id = strtoull(out, &end, 10);
	ck_assert_msg(id > 0 && strcmp(end, "\n") == 0, "submit said '%s'",
	    out);
	free(out);
	free(err);
	return id;
}

/* Run sh -c SCRIPT; its exit status, stdout (length in outlen) and
 * stderr. */
static int
sh(const char *script, char **out, size_t *outlen, char **err)
{
	char	*argv[] = { (char *)(uintptr_t)"/bin/sh",
	    (char *)(uintptr_t)"-c", (char *)(uintptr_t)script, NULL };

	return harness_run(argv, out, outlen, err);
}

/* Format an id. */
static const char *
idstr(char *buf, size_t len, uint64_t id)
{
	snprintf(buf, len, "%" PRIu64, id);
	return buf;
}

/* The line of out that starts with "ID ", or NULL. */
static const char *
line_of(const char *out, uint64_t id)
{
	char		 prefix[32];
	const char	*p = out;
	size_t		 len;

	len = (size_t)snprintf(prefix, sizeof prefix, "%" PRIu64 " ", id);
	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, len) == 0)
			return p;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* A copy of a line of s with every run of spaces made one space. */
static char *
squash(const char *s)
{
	char	*copy = strdup(s), *p, *q;

	for (p = q = copy; *p != '\0' && *p != '\n'; p++) {
		if (*p == ' ' && q > copy && q[-1] == ' ')
			continue;
		*q++ = *p;
	}
	*q = '\0';
	return copy;
}

/* Does every line of out fit in width columns? */
static int
fits(const char *out, size_t width)
{
	const char	*p = out, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if ((size_t)(nl - p) > width)
			return 0;
		p = *nl == '\0' ? nl : nl + 1;
	}
	return 1;
}

START_TEST(test_queue_priority_after_list)
{
	char		 a[32], b[32], exp[256], *out, *err, *line;
	uint64_t	 ia, ib, ic, id;

	cli_ok(0, "-H", unixhost, "queue", "add", "build", NULL);
	ia = submit("--", "sleep", "30", NULL);
	idstr(a, sizeof a, ia);
	ib = submit("--queue", "build", "--priority", "3", "--after", a,
	    "--label", "job=web", "--name", "dependent", "--", "true", NULL);
	idstr(b, sizeof b, ib);

	/* Queued, in its queue, and says it waits for the dependency. */
	ck_assert_int_eq(cli(&out, &err, "list", NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "QUEUE"));
	ck_assert_ptr_nonnull(strstr(out, "WAITING FOR"));
	ck_assert_ptr_nonnull(line_of(out, ib));
	line = squash(line_of(out, ib));
	snprintf(exp, sizeof exp, "%s dependent queued - build alice task %s "
	    "true", b, a);
	ck_assert_str_eq(line, exp);
	free(line);
	ck_assert(fits(out, 100));
	free(out);
	free(err);

	/* Only build's task; the JSON has every new field. */
	ck_assert_int_eq(cli(&out, &err, "list", "--queue", "build", NULL), 0);
	ck_assert_ptr_nonnull(line_of(out, ib));
	ck_assert_ptr_null(line_of(out, ia));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "list", "--json", b, NULL), 0);
	snprintf(exp, sizeof exp, "\"queue\":\"build\",\"priority\":3,"
	    "\"labels\":{\"job\":\"web\"},\"attempts\":[],\"waiting_for\":"
	    "\"task %s\",\"after\":[%s],\"after_any\":[]", a, a);
	ck_assert_msg(strstr(out, exp) != NULL, "json: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", b, NULL), 0);
	snprintf(exp, sizeof exp, "queue: build\npriority: 3\nlabels: job=web\n"
	    "after: %s\nafter_any: -\ntimeout: -\nretries: 0\nkey: -\n"
	    "start_at: -\nrestart_on_lost: no\noutput_dropped: 0\n"
	    "waiting_for: task %s\nattempts: 0\n", a, a);
	ck_assert_msg(strstr(out, exp) != NULL, "show: %s", out);
	free(out);
	free(err);

	/* A dependency that does not succeed skips the dependent. */
	cli_ok(0, "cancel", a, NULL);
	snprintf(exp, sizeof exp, "%s skipped: dependency %s cancelled\n", b,
	    a);
	cli_expect(1, exp, "wait", b, NULL);
	ic = submit("false", NULL);
	idstr(a, sizeof a, ic);
	id = submit("--after", a, "--", "true", NULL);
	snprintf(exp, sizeof exp, "%" PRIu64 " skipped: dependency %s "
	    "failed\n", id, a);
	cli_expect(1, exp, "wait", idstr(b, sizeof b, id), NULL);
	/* --after-any runs whatever the outcome. */
	id = submit("--after-any", a, "--", "true", NULL);
	snprintf(exp, sizeof exp, "%" PRIu64 " succeeded exit 0\n", id);
	cli_expect(0, exp, "wait", idstr(b, sizeof b, id), NULL);

	/* Bad ids are refused before the daemon is asked. */
	cli_ok(2, "submit", "--after", "1,x", "--", "true", NULL);
	cli_ok(5, "submit", "--after", "999", "--", "true", NULL);
	cli_ok(6, "submit", "--queue", "nope", "--", "true", NULL);
}
END_TEST

START_TEST(test_timeout_and_retries)
{
	char		 id[32], exp[256], *out, *err;
	const char	*p;
	uint64_t	 t;

	t = submit("--timeout", "300ms", "--", "sleep", "30", NULL);
	snprintf(exp, sizeof exp, "%" PRIu64 " timed_out signal SIGTERM\n", t);
	cli_expect(1, exp, "wait", idstr(id, sizeof id, t), NULL);
	ck_assert_int_eq(cli(&out, &err, "show", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "timeout: 300ms\n"));
	free(out);
	free(err);

	t = submit("--retries", "2", "--retry-delay", "50ms",
	    "--retry-backoff", "2", "--", "sh", "-c", "echo try; exit 3", NULL);
	snprintf(exp, sizeof exp, "%" PRIu64 " failed exit 3\n", t);
	cli_expect(1, exp, "wait", idstr(id, sizeof id, t), NULL);
	ck_assert_int_eq(cli(&out, &err, "show", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "retries: 2\n"));
	p = strstr(out, "attempts: 3\n  #    STATE      EXIT              "
	    "STARTED              DURATION      OUTPUT\n");
	ck_assert_msg(p != NULL, "show: %s", out);
	ck_assert_ptr_nonnull(strstr(p, "\n  1    failed     exit 3  "));
	ck_assert_ptr_nonnull(strstr(p, "\n  2    failed     exit 3  "));
	ck_assert_ptr_nonnull(strstr(p, "\n  3    failed     exit 3  "));
	/* Each attempt wrote "try\n". */
	ck_assert_ptr_nonnull(strstr(p, "  4\n  2"));
	free(out);
	free(err);
	ck_assert_int_eq(cli(&out, &err, "show", "--json", id, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"attempts\":[{\"number\":1,"
	    "\"state\":\"failed\",\"exit_code\":3,"));
	free(out);
	free(err);
	cli_ok(2, "submit", "--retry-backoff", "-1", "--", "true", NULL);
	cli_ok(2, "submit", "--timeout", "soon", "--", "true", NULL);
}
END_TEST

START_TEST(test_idempotent_key)
{
	uint64_t	a, b;

	a = submit("--key", "nightly-1", "--", "true", NULL);
	b = submit("--key", "nightly-1", "--", "true", NULL);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_ne(submit("--key", "nightly-2", "--", "true", NULL), a);
}
END_TEST

START_TEST(test_delayed_start)
{
	char		 id[32], exp[256], at[64], *out, *err;
	struct timespec	 ts;
	char		 delay[32];
	uint64_t	 a;

	/* Still queued when shown, even with a slow (valgrind) daemon. */
	snprintf(delay, sizeof delay, "%llums",
	    (unsigned long long)harness_ms(1000));
	a = submit("--delay", delay, "--", "true", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", idstr(id, sizeof id, a),
	    NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "state: queued\n"));
	ck_assert_ptr_nonnull(strstr(out, "waiting_for: start at "));
	ck_assert_ptr_null(strstr(out, "start_at: -"));
	free(out);
	free(err);
	snprintf(exp, sizeof exp, "%" PRIu64 " succeeded exit 0\n", a);
	cli_expect(0, exp, "wait", id, NULL);

	/* --at @SECONDS lands on the second. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(at, sizeof at, "@%lld", (long long)ts.tv_sec + 3600);
	a = submit("--at", at, "--", "true", NULL);
	ck_assert_int_eq(cli(&out, &err, "list", "--json",
	    idstr(id, sizeof id, a), NULL), 0);
	snprintf(exp, sizeof exp, "\"start_at_ms\":%lld000,",
	    (long long)ts.tv_sec + 3600);
	ck_assert_msg(strstr(out, exp) != NULL, "json: %s", out);
	free(out);
	free(err);
	cli_ok(0, "cancel", id, NULL);
	cli_ok(2, "submit", "--at", "25:00", "--", "true", NULL);
	cli_ok(2, "submit", "--at", "2025-02-30 10:00", "--", "true", NULL);
	cli_ok(2, "submit", "--at", "10:00", "--delay", "1s", "--", "true",
	    NULL);
	/* A time of day runs within the next 24 hours. */
	a = submit("--at", "00:00", "--", "true", NULL);
	ck_assert_int_eq(cli(&out, &err, "show", idstr(id, sizeof id, a),
	    NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, " 00:00:00.000\n"));
	free(out);
	free(err);
	cli_ok(0, "cancel", id, NULL);
}
END_TEST

START_TEST(test_stdin_byte_exact)
{
	char		 in[300], outp[300], script[1200], *out, *err;
	char		*data, *got, id[32];
	size_t		 i, len = 300 * 1024 + 17, glen;
	uint64_t	 t;
	int		 fd;

	data = malloc(len);
	for (i = 0; i < len; i++)
		data[i] = (char)((i * 7 + i / 251) & 0xff);
	snprintf(in, sizeof in, "%s/in.bin", h.dir);
	snprintf(outp, sizeof outp, "%s/out.bin", h.dir);
	fd = open(in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);

	/* run: our stdin streamed to the task, its stdout back. */
	snprintf(script, sizeof script, "\"$RUNNEL\" run --stdin - -- cat "
	    "< '%s' > '%s'", in, outp);
	ck_assert_int_eq(sh(script, &out, NULL, &err), 0);
	free(out);
	free(err);
	snprintf(script, sizeof script, "cat '%s'", outp);
	ck_assert_int_eq(sh(script, &got, &glen, &err), 0);
	ck_assert_uint_eq(glen, len);
	ck_assert(memcmp(got, data, len) == 0);
	free(got);
	free(err);

	/* submit: the id first, then the whole file; watch gets it back. */
	t = submit("--stdin", in, "--", "cat", NULL);
	snprintf(script, sizeof script, "\"$RUNNEL\" watch %" PRIu64, t);
	ck_assert_int_eq(sh(script, &got, &glen, &err), 0);
	ck_assert_uint_eq(glen, len);
	ck_assert(memcmp(got, data, len) == 0);
	free(got);
	free(err);

	/* Empty input is an immediate end of file. */
	snprintf(script, sizeof script, "\"$RUNNEL\" run --stdin - -- wc -c "
	    "< /dev/null");
	ck_assert_int_eq(sh(script, &out, NULL, &err), 0);
	ck_assert_str_eq(out, "0\n");
	free(out);
	free(err);
	/* A task that never reads its stdin still ends. */
	snprintf(script, sizeof script, "\"$RUNNEL\" run --stdin '%s' -- "
	    "echo done", in);
	ck_assert_int_eq(sh(script, &out, NULL, &err), 0);
	ck_assert_str_eq(out, "done\n");
	free(out);
	free(err);
	cli_ok(2, "run", "--stdin", "/nonexistent/file", "--", "cat", NULL);
	(void)id;
	free(data);
}
END_TEST

START_TEST(test_env_file_and_clear_env)
{
	char		 path[300], exp[400], *out, *err;
	struct passwd	*pw;

	snprintf(path, sizeof path, "%s/task.env", h.dir);
	harness_write_file(path, "# settings\n\nFOO=bar baz\n  # indented "
	    "comment\nEMPTY=\nQUOTED=\"kept\"\r\n");
	ck_assert_int_eq(cli(&out, &err, "run", "--clear-env", "--env-file",
	    path, "--env", "X=1", "--", "env", NULL), 0);
	/* Even with --clear-env, the task's user's HOME, USER, LOGNAME and
	 * SHELL come first (the daemon's user, the test's). */
	pw = getpwuid(geteuid());
	ck_assert_ptr_nonnull(pw);
	snprintf(exp, sizeof exp, "HOME=%s\nUSER=%s\nLOGNAME=%s\nSHELL=%s\n"
	    "FOO=bar baz\nEMPTY=\nQUOTED=\"kept\"\nX=1\n", pw->pw_dir,
	    pw->pw_name, pw->pw_name, *pw->pw_shell != '\0' ? pw->pw_shell :
	    "/bin/sh");
	ck_assert_str_eq(out, exp);
	free(out);
	free(err);

	/* The client's own environment never reaches the task. */
	setenv("RUNNEL_TEST_SECRET", "leaked", 1);
	cli_expect(0, "unset\n", "run", "--env-file", path, "--", "sh", "-c",
	    "echo ${RUNNEL_TEST_SECRET:-unset}", NULL);
	/* Later entries replace earlier ones. */
	cli_expect(0, "two\n", "run", "--env-file", path, "--env",
	    "FOO=two", "--", "sh", "-c", "echo $FOO", NULL);

	harness_write_file(path, "A=1\n# fine\nnot a pair\n");
	ck_assert_int_eq(cli(&out, &err, "run", "--env-file", path, "--",
	    "true", NULL), 2);
	snprintf(exp, sizeof exp, "runnel: %s:3: not NAME=VALUE\n", path);
	ck_assert_str_eq(err, exp);
	free(out);
	free(err);
	cli_ok(2, "run", "--env-file", "/nonexistent/env", "--", "true", NULL);
}
END_TEST

START_TEST(test_rlimit)
{
	int	i;

	cli_expect(0, "100\n", "run", "--rlimit", "nofile=100", "--", "sh",
	    "-c", "ulimit -n", NULL);
	/* In place before the program's first instruction, hard limits and
	 * memory limits too (they were once set just after the spawn, and a
	 * quick task could read the old ones). */
	for (i = 0; i < 10; i++)
		cli_expect(0, "64 128 1048576\n", "run", "--rlimit",
		    "nofile=64:128,core=0,stack=1073741824:1073741824", "--",
		    "sh", "-c", "echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Hs)",
		    NULL);
	cli_expect(0, "unlimited\n", "run", "--rlimit", "fsize=unlimited",
	    "--", "sh", "-c", "ulimit -f", NULL);
	cli_ok(2, "run", "--rlimit", "files=10", "--", "true", NULL);
	cli_ok(2, "run", "--rlimit", "nofile=lots", "--", "true", NULL);
}
END_TEST

START_TEST(test_label_selection)
{
	char		 exp[256], ids[3][32], *out, *err;
	uint64_t	 a, b, c;

	a = submit("--label", "job=web", "--label", "tier=1", "--", "sleep",
	    "30", NULL);
	b = submit("--label", "job=web", "--", "sleep", "30", NULL);
	c = submit("--label", "job=db", "--", "echo", "hi", NULL);
	idstr(ids[0], sizeof ids[0], a);
	idstr(ids[1], sizeof ids[1], b);
	idstr(ids[2], sizeof ids[2], c);

	ck_assert_int_eq(cli(&out, &err, "list", "--label", "job=web", NULL),
	    0);
	ck_assert_ptr_nonnull(line_of(out, a));
	ck_assert_ptr_nonnull(line_of(out, b));
	ck_assert_ptr_null(line_of(out, c));
	free(out);
	free(err);
	/* Every label must match; ids add to the match. */
	ck_assert_int_eq(cli(&out, &err, "list", "--label", "job=web",
	    "--label", "tier=1", ids[2], NULL), 0);
	ck_assert_ptr_nonnull(line_of(out, a));
	ck_assert_ptr_null(line_of(out, b));
	ck_assert_ptr_nonnull(line_of(out, c));
	free(out);
	free(err);

	snprintf(exp, sizeof exp, "%s succeeded exit 0\n", ids[2]);
	cli_expect(0, exp, "wait", "--label", "job=db", NULL);
	cli_ok(0, "cancel", "--label", "job=web", NULL);
	snprintf(exp, sizeof exp, "%s cancelled signal SIGTERM\n"
	    "%s cancelled signal SIGTERM\n", ids[0], ids[1]);
	cli_expect(1, exp, "wait", "--label", "job=web", NULL);
	/* Watch by label: one task's output, as it is. */
	cli_expect(0, "hi\n", "watch", "--no-follow", "--label", "job=db",
	    NULL);
	cli_expect(1, exp, "wait", "--queue", "default", "--label", "job=web",
	    NULL);
	/* Nothing selected. */
	cli_ok(6, "wait", "--label", "job=none", NULL);
	cli_ok(2, "wait", NULL);
	cli_ok(2, "cancel", "--label", "novalue", NULL);
	/* --all alone waits for every task. */
	ck_assert_int_eq(cli(&out, &err, "wait", "--all", NULL), 1);
	ck_assert_ptr_nonnull(line_of(out, a));
	ck_assert_ptr_nonnull(line_of(out, c));
	free(out);
	free(err);
}
END_TEST

START_TEST(test_wait_modes)
{
	char		 a[32], b[32], c[32], exp[256], *out, *err;
	const char	*line;
	uint64_t	 ia, ib, ic;

	ia = submit("--", "sleep", "30", NULL);
	ib = submit("--", "sh", "-c", "sleep 0.2; exit 1", NULL);
	ic = submit("--delay", "1h", "--", "true", NULL);
	idstr(a, sizeof a, ia);
	idstr(b, sizeof b, ib);
	idstr(c, sizeof c, ic);

	ck_assert_int_eq(cli(&out, &err, "wait", "--first-failure",
	    "--cancel-rest", a, b, c, NULL), 1);
	line = line_of(out, ib);
	ck_assert_ptr_nonnull(line);
	snprintf(exp, sizeof exp, "%s failed exit 1\n", b);
	ck_assert(strncmp(line, exp, strlen(exp)) == 0);
	free(out);
	free(err);
	/* The rest were cancelled: the queued one at once, the running one
	 * by SIGTERM. */
	snprintf(exp, sizeof exp, "%s cancelled signal SIGTERM\n%s cancelled\n",
	    a, c);
	cli_expect(1, exp, "wait", a, c, NULL);

	/* First completed, a success: what --cancel-rest cancels does not
	 * count against it. */
	ia = submit("--", "true", NULL);
	ib = submit("--", "sleep", "30", NULL);
	idstr(a, sizeof a, ia);
	idstr(b, sizeof b, ib);
	ck_assert_int_eq(cli(&out, &err, "wait", "--first-completed",
	    "--cancel-rest", a, b, NULL), 0);
	snprintf(exp, sizeof exp, "%s succeeded exit 0\n", a);
	ck_assert(strncmp(out, exp, strlen(exp)) == 0);
	free(out);
	free(err);
	snprintf(exp, sizeof exp, "%s cancelled signal SIGTERM\n", b);
	cli_expect(1, exp, "wait", b, NULL);

	/* The timeout. */
	ia = submit("--", "sleep", "30", NULL);
	idstr(a, sizeof a, ia);
	snprintf(exp, sizeof exp, "%s running\n", a);
	cli_expect(124, exp, "wait", "--timeout", "200ms", a, NULL);
	cli_ok(0, "cancel", "--signal", "KILL", a, NULL);
	cli_ok(2, "wait", "--all", "--first-failure", a, NULL);
	cli_ok(2, "wait", "--timeout", "never", a, NULL);
	cli_ok(5, "wait", "999", NULL);
}
END_TEST

START_TEST(test_queue_verbs)
{
	char	*out, *err, id[32], exp[256];
	uint64_t t;

	cli_ok(0, "-H", unixhost, "queue", "add", "build", "--max-running",
	    "1", "--timeout", "90s", NULL);
	cli_expect(0,
	    "NAME     STATE     RUNNING  QUEUED    MAX  TIMEOUT\n"
	    "default  active          0       0      -  -\n"
	    "build    active          0       0      1  1m30s\n",
	    "queue", "list", NULL);
	/* Users may look, not change. */
	cli_ok(4, "queue", "pause", "build", NULL);
	cli_ok(5, "-H", unixhost, "queue", "pause", "nope", NULL);
	cli_ok(6, "-H", unixhost, "queue", "add", "build", NULL);
	cli_ok(2, "queue", "pause", NULL);
	cli_ok(2, "queue", "pause", "build", "--max-running", "2", NULL);
	cli_ok(2, "queue", "frob", NULL);

	cli_ok(0, "-H", unixhost, "queue", "pause", "build", NULL);
	t = submit("--queue", "build", "--", "true", NULL);
	idstr(id, sizeof id, t);
	ck_assert_int_eq(cli(&out, &err, "list", id, NULL), 0);
	ck_assert_msg(strstr(out, "queue build paused") != NULL, "%s", out);
	free(out);
	free(err);
	cli_expect(0,
	    "NAME     STATE     RUNNING  QUEUED    MAX  TIMEOUT\n"
	    "default  active          0       0      -  -\n"
	    "build    paused          0       1      1  1m30s\n",
	    "queue", "list", NULL);
	cli_ok(0, "-H", unixhost, "queue", "resume", "build", NULL);
	snprintf(exp, sizeof exp, "%s succeeded exit 0\n", id);
	cli_expect(0, exp, "wait", id, NULL);

	cli_ok(0, "-H", unixhost, "queue", "drain", "build", NULL);
	cli_ok(0, "-H", unixhost, "queue", "set", "build", "--max-running",
	    "3", "--timeout", "0", NULL);
	cli_expect(0,
	    "NAME     STATE     RUNNING  QUEUED    MAX  TIMEOUT\n"
	    "default  active          0       0      -  -\n"
	    "build    draining        0       0      3  -\n",
	    "queue", "list", NULL);
}
END_TEST

START_TEST(test_restart_and_status)
{
	char		 id[32], nid[32], exp[256], *out, *err;
	uint64_t	 t, n;

	t = submit("--label", "job=db", "--", "echo", "again", NULL);
	idstr(id, sizeof id, t);
	snprintf(exp, sizeof exp, "%s succeeded exit 0\n", id);
	cli_expect(0, exp, "wait", id, NULL);
	ck_assert_int_eq(cli(&out, &err, "restart", id, NULL), 0);
	n = strtoull(out, NULL, 10);
	ck_assert_uint_gt(n, t);
	snprintf(exp, sizeof exp, "%" PRIu64 "\n", n);
	ck_assert_str_eq(out, exp);
	free(out);
	free(err);
	idstr(nid, sizeof nid, n);
	cli_expect(0, "again\n", "watch", nid, NULL);
	ck_assert_int_eq(cli(&out, &err, "show", nid, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "argv: echo again\n"));
	ck_assert_ptr_nonnull(strstr(out, "labels: job=db\n"));
	free(out);
	free(err);
	/* Only a finished task may be restarted. */
	t = submit("--", "sleep", "30", NULL);
	idstr(id, sizeof id, t);
	cli_ok(6, "restart", id, NULL);
	cli_ok(0, "cancel", id, NULL);
	cli_ok(5, "restart", "999", NULL);
	cli_ok(2, "restart", NULL);

	ck_assert_int_eq(cli(&out, &err, "status", NULL), 0);
	ck_assert_msg(strstr(out, "\nloop_lag: current ") != NULL &&
	    strstr(out, " ms, p99 ") != NULL && strstr(out, " ms, max ") !=
	    NULL, "status: %s", out);
	free(out);
	free(err);
}
END_TEST

START_TEST(test_detach_on_interrupt)
{
	static char	 run[] = "run", det[] = "--detach-on-interrupt",
			 dash[] = "--", shp[] = "sh", c[] = "-c",
			 script[] = "echo ready; exec sleep 30";
	char		*argv[] = { getenv("RUNNEL"), run, det, dash, shp, c,
	    script, NULL };
	char		 buf[64], errbuf[256], *out, *err, id[32];
	struct pollfd	 pfd;
	int		 o[2], e[2], status;
	ssize_t		 n, elen = 0;
	uint64_t	 t;
	pid_t		 pid;

	ck_assert(pipe(o) == 0 && pipe(e) == 0);
	pid = fork();
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	n = read(o[0], buf, sizeof buf);
	ck_assert_int_eq(n, 6);
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 130);
	pfd.fd = e[0];
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 1000) == 1 && (n = read(e[0], errbuf + elen,
	    sizeof errbuf - 1 - elen)) > 0)
		elen += n;
	errbuf[elen] = '\0';
	close(o[0]);
	close(e[0]);
	ck_assert_int_eq(sscanf(errbuf, "runnel: task %" SCNu64 " left "
	    "running\n", &t), 1);

	/* Still running after the client left; then cancel it. */
	idstr(id, sizeof id, t);
	ck_assert_int_eq(cli(&out, &err, "list", id, NULL), 0);
	ck_assert_msg(strstr(out, " running ") != NULL, "%s", out);
	free(out);
	free(err);
	cli_ok(0, "cancel", id, NULL);
	cli_ok(1, "wait", id, NULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("cli_sched");
	TCase	*tc = tcase_create("cli_sched");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_queue_priority_after_list);
	tcase_add_test(tc, test_timeout_and_retries);
	tcase_add_test(tc, test_idempotent_key);
	tcase_add_test(tc, test_delayed_start);
	tcase_add_test(tc, test_stdin_byte_exact);
	tcase_add_test(tc, test_env_file_and_clear_env);
	tcase_add_test(tc, test_rlimit);
	tcase_add_test(tc, test_label_selection);
	tcase_add_test(tc, test_wait_modes);
	tcase_add_test(tc, test_queue_verbs);
	tcase_add_test(tc, test_restart_and_status);
	tcase_add_test(tc, test_detach_on_interrupt);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
