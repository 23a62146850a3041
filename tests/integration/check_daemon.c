/*
 * check_daemon.c - integration tests: a real runneld on 127.0.0.1 port 0
 * and a unix socket, driven through librunnel and raw frames.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>

#include "common.h"
#include "harness.h"

static struct harness	h;

/* Start a daemon for each test. */
static void
setup(void)
{
	harness_start(&h, NULL);
}

/* Stop it and check it exited cleanly. */
static void
teardown(void)
{
	harness_stop(&h);
}

START_TEST(test_exit_statuses)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct collect		 col;
	const char		*ok[] = { "true", NULL };
	const char		*three[] = { "sh", "-c", "exit 3", NULL };
	const char		*sig[] = { "sh", "-c", "kill -USR1 $$", NULL };
	const char		*missing[] = { "/nonexistent/cmd", NULL };

	ck_assert_int_eq(harness_run_task(c, ok, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_SUCCEEDED);
	ck_assert_int_eq(col.last_exit, 0);
	collect_free(&col);

	ck_assert_int_eq(harness_run_task(c, three, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_FAILED);
	ck_assert_int_eq(col.last_exit, 3);
	ck_assert_int_eq(col.last_signal, 0);
	collect_free(&col);

	ck_assert_int_eq(harness_run_task(c, sig, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_FAILED);
	ck_assert_int_eq(col.last_signal, SIGUSR1);
	ck_assert_int_eq(col.last_exit, 128 + SIGUSR1);
	collect_free(&col);

	ck_assert_int_eq(harness_run_task(c, missing, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_FAILED);
	ck_assert_int_eq(col.last_exit, 127);
	/* Under valgrind, runneld's vfork child runs as a plain fork: its
	 * exec error never reaches the daemon, only the 127. */
	if (!harness_wrapped()) {
		ck_assert_ptr_nonnull(col.err);
		ck_assert_ptr_nonnull(strstr(col.err,
		    "No such file or directory"));
	}
	collect_free(&col);
	runnel_close(c);
}
END_TEST

START_TEST(test_streams_apart)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct collect		 col;
	const char		*argv[] = { "sh", "-c",
	    "echo out1; echo err1 >&2; echo out2; echo err2 >&2", NULL };

	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "out1\nout2\n");
	ck_assert_str_eq(col.err, "err1\nerr2\n");
	ck_assert_int_eq(col.bad_offset, 0);
	ck_assert_uint_eq(col.next_offset, 20);
	collect_free(&col);
	runnel_close(c);
}
END_TEST

/* A task ends when its process has exited and its pipes are at EOF, in
 * either order, with the process's own status. */
START_TEST(test_exit_and_eof_apart)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct collect		 col;
	struct timespec		 t0, t1;
	/* The pipes close 300 ms before the process exits. */
	const char		*closes[] = { "sh", "-c",
	    "echo bye; exec >&- 2>&-; sleep 0.3; exit 7", NULL };
	/* A grandchild holds stdout 300 ms past the process's exit. */
	const char		*holds[] = { "sh", "-c",
	    "(sleep 0.3; echo late) & exit 5", NULL };
	double			 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(harness_run_task(c, closes, &col, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_str_eq(col.out, "bye\n");
	ck_assert_int_eq(col.last_exit, 7);
	ck_assert_int_eq(col.last_state, RUNNEL_FAILED);
	ck_assert_msg(ms >= 300, "ended after %.0f ms", ms);
	collect_free(&col);

	ck_assert_int_eq(harness_run_task(c, holds, &col, NULL), 0);
	ck_assert_str_eq(col.out, "late\n");
	ck_assert_int_eq(col.last_exit, 5);
	ck_assert_int_eq(col.last_state, RUNNEL_FAILED);
	collect_free(&col);
	runnel_close(c);
}
END_TEST

START_TEST(test_child_environment)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct collect		 col;
	/* ls's own directory fd is 3: nothing else was inherited. */
	const char		*fds[] = { "ls", "/proc/self/fd", NULL };
	/* No ignored or blocked signals (the task reads its own status: a
	 * shell's mask is briefly full while it forks). */
	const char		*sigs[] = { "grep", "-E", "^Sig(Ign|Blk)",
	    "/proc/self/status", NULL };
	/* Its own session, and SIGPIPE ends `yes` as in a terminal. */
	const char		*argv[] = { "sh", "-c",
	    "[ \"$(ps -o sid= -p $$ | tr -d ' ')\" = $$ ] && echo leader;"
	    "yes | head -n 1", NULL };

	ck_assert_int_eq(harness_run_task(c, fds, &col, NULL), 0);
	ck_assert_str_eq(col.out, "0\n1\n2\n3\n");
	collect_free(&col);
	ck_assert_int_eq(harness_run_task(c, sigs, &col, NULL), 0);
	/* Every signal at default, libc's two internal real-time ones (32,
	 * 33) too, even though runneld itself was started with them ignored
	 * (the harness starts it with glibc's posix_spawn, which leaves them
	 * so). */
	ck_assert_str_eq(col.out, "SigBlk:\t0000000000000000\n"
	    "SigIgn:\t0000000000000000\n");
	collect_free(&col);
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_SUCCEEDED);
	ck_assert_str_eq(col.out, "leader\ny\n");
	collect_free(&col);
	runnel_close(c);
}
END_TEST

START_TEST(test_env_cwd_stdin)
{
	struct runnel_client		*c = harness_client(&h, "alice");
	struct runnel_spec		 spec;
	struct runnel_watch_opts	 wo;
	struct collect			 col;
	const char			*argv[] = { "sh", "-c",
	    "echo \"$FOO\"; pwd; cat", NULL };
	const char			*env[] = { "FOO=bar baz", NULL };
	static const char		 in[] = "line1\nbin\001\377\n";
	uint64_t			 id;

	memset(&spec, 0, sizeof spec);
	memset(&col, 0, sizeof col);
	spec.argv = argv;
	spec.env = env;
	spec.cwd = "/tmp";
	spec.stdin_data = in;
	spec.stdin_len = sizeof in - 1;
	memset(&wo, 0, sizeof wo);
	wo.on_output = collect_output_cb;
	wo.on_end = collect_end_cb;
	wo.arg = &col;
	ck_assert_int_eq(runnel_run(c, &spec, &id, &wo), 0);
	ck_assert_str_eq(col.out, "bar baz\n/tmp\nline1\nbin\001\377\n");
	collect_free(&col);
	runnel_close(c);
}
END_TEST

START_TEST(test_bad_specs)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct runnel_spec	 spec;
	const char		*argv[] = { "true", NULL };
	const char		*env[] = { "NOEQUALS", NULL };
	uint64_t		 id;

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.env = env;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EARG);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(c), "NOEQUALS"));
	spec.env = NULL;
	spec.cwd = "relative/dir";
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EARG);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(c), "absolute"));
	/* The connection is still good. */
	spec.cwd = NULL;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	ck_assert_int_eq(runnel_cancel(c, (uint64_t[]){ 999 }, 1, 0, 0),
	    RUNNEL_ENOTFOUND);
	ck_assert_str_eq(runnel_last_error(c), "task 999: not found");
	runnel_close(c);
}
END_TEST

/* Read lines of a watch until each of two tasks printed three. */
struct boobaa {
	uint64_t	ids[2];
	int		lines[2];
	char		*text;
	size_t		 len;
	int		 ended;
	int		 cancelled;
	struct runnel_client *killer;
};

static int
boobaa_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct boobaa	*b = arg;
	size_t		 i;

	(void)stream;
	(void)offset;
	(void)time_us;
	for (i = 0; i < len; i++)
		if (((const char *)data)[i] == '\n')
			b->lines[id == b->ids[0] ? 0 : 1]++;
	b->text = realloc(b->text, b->len + len + 1);
	memcpy(b->text + b->len, data, len);
	b->len += len;
	b->text[b->len] = '\0';
	if (!b->cancelled && b->lines[0] >= 3 && b->lines[1] >= 3) {
		b->cancelled = 1;
		ck_assert_int_eq(runnel_cancel(b->killer, b->ids, 2, 0, 0), 2);
	}
	return 0;
}

static int
boobaa_end_cb(void *arg, const struct runnel_task *t)
{
	struct boobaa	*b = arg;

	ck_assert_int_eq(t->state, RUNNEL_CANCELLED);
	ck_assert_int_eq(t->signal, SIGTERM);
	ck_assert_str_eq(t->cancelled_by, "alice");
	b->ended++;
	return 0;
}

START_TEST(test_boo_baa_interleave_cancel)
{
	struct runnel_client		*c = harness_client(&h, "alice");
	struct runnel_spec		 spec;
	struct runnel_watch_opts	 wo;
	struct boobaa			 b;
	struct runnel_task		*tasks;
	size_t				 n, i;
	const char			*boo[] = { "sh", "-c", "i=0; while [ $i -lt 300 ];"
	    " do echo ...boo $i; i=$((i+1)); sleep 0.05; done", NULL };
	const char			*baa[] = { "sh", "-c", "i=0; while [ $i -lt 300 ];"
	    " do echo ...baa $i; i=$((i+1)); sleep 0.05; done", NULL };

	memset(&b, 0, sizeof b);
	b.killer = harness_client(&h, "alice");
	memset(&spec, 0, sizeof spec);
	spec.argv = boo;
	ck_assert_int_eq(runnel_submit(c, &spec, &b.ids[0]), 0);
	spec.argv = baa;
	ck_assert_int_eq(runnel_submit(c, &spec, &b.ids[1]), 0);
	memset(&wo, 0, sizeof wo);
	wo.ids = b.ids;
	wo.nids = 2;
	wo.on_output = boobaa_output_cb;
	wo.on_end = boobaa_end_cb;
	wo.arg = &b;
	ck_assert_int_eq(runnel_watch(c, &wo), 0);
	ck_assert_int_eq(b.ended, 2);
	ck_assert_ptr_nonnull(strstr(b.text, "...boo 2\n"));
	ck_assert_ptr_nonnull(strstr(b.text, "...baa 2\n"));
	ck_assert_int_eq(runnel_list(c, &tasks, &n), 0);
	ck_assert_uint_eq(n, 2);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(tasks[i].state, RUNNEL_CANCELLED);
	runnel_tasks_free(tasks, n);
	free(b.text);
	runnel_close(b.killer);
	runnel_close(c);
}
END_TEST

/* Cancel (300 ms grace) once the first line has arrived. */
struct grandchild {
	struct runnel_client	*c;
	uint64_t		 id;
	char			 line[64];
	size_t			 len;
	int			 cancelled;
	struct runnel_task	 end;
};

static int
grandchild_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct grandchild	*g = arg;

	(void)id;
	(void)stream;
	(void)offset;
	(void)time_us;
	if (g->len + len < sizeof g->line) {
		memcpy(g->line + g->len, data, len);
		g->len += len;
	}
	if (!g->cancelled && memchr(g->line, '\n', g->len) != NULL) {
		g->cancelled = 1;
		ck_assert_int_eq(runnel_cancel_nowait(g->c, &g->id, 1, 0, 300),
		    0);
	}
	return 0;
}

static int
grandchild_end_cb(void *arg, const struct runnel_task *t)
{
	struct grandchild	*g = arg;

	g->end.state = t->state;
	g->end.signal = t->signal;
	return 0;
}

START_TEST(test_cancel_kills_grandchild)
{
	struct grandchild	 g;
	struct runnel_spec	 spec;
	struct runnel_watch_opts wo;
	/* Everything ignores SIGTERM: only the SIGKILL after the grace
	 * period ends them, grandchild included. */
	const char		*argv[] = { "sh", "-c",
	    "trap '' TERM; sleep 30 & echo $!; i=0;"
	    " while [ $i -lt 60 ]; do sleep 1; i=$((i+1)); done", NULL };
	char			 path[64];
	struct pollfd		 pfd;
	pid_t			 gc;

	memset(&g, 0, sizeof g);
	g.c = harness_client(&h, "alice");
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	memset(&wo, 0, sizeof wo);
	wo.on_output = grandchild_output_cb;
	wo.on_end = grandchild_end_cb;
	wo.arg = &g;
	ck_assert_int_eq(runnel_submit(g.c, &spec, &g.id), 0);
	wo.ids = &g.id;
	wo.nids = 1;
	ck_assert_int_eq(runnel_watch(g.c, &wo), 0);
	ck_assert_int_eq(g.end.state, RUNNEL_CANCELLED);
	ck_assert_int_eq(g.end.signal, SIGKILL);
	gc = atoi(g.line);
	ck_assert_int_gt(gc, 1);
	/* Wait for it to exit: its pipe closed before it was gone. */
	pfd.fd = pidfd_open(gc, 0);
	if (pfd.fd != -1) {
		pfd.events = POLLIN;
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		close(pfd.fd);
	}
	snprintf(path, sizeof path, "/proc/%d/stat", (int)gc);
	/* Gone, or a zombie waiting for its new parent to reap it. */
	if (access(path, F_OK) == 0) {
		char	buf[256] = "";
		FILE	*f = fopen(path, "r");

		if (f != NULL) {
			if (fread(buf, 1, sizeof buf - 1, f) == 0)
				buf[0] = '\0';
			fclose(f);
			ck_assert_msg(strstr(buf, ") Z ") != NULL,
			    "grandchild %d alive: %s", (int)gc, buf);
		}
	}
	runnel_close(g.c);
}
END_TEST

START_TEST(test_replay_after_finish)
{
	struct runnel_client		*c = harness_client(&h, "alice");
	struct runnel_watch_opts	 wo;
	struct collect			 col, col2;
	const char			*argv[] = { "seq", "1", "20000", NULL };
	uint64_t			 id;

	ck_assert_int_eq(harness_run_task(c, argv, &col, &id), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_SUCCEEDED);
	memset(&col2, 0, sizeof col2);
	memset(&wo, 0, sizeof wo);
	wo.ids = &id;
	wo.nids = 1;
	wo.on_output = collect_output_cb;
	wo.on_end = collect_end_cb;
	wo.arg = &col2;
	ck_assert_int_eq(runnel_watch(c, &wo), 0);
	ck_assert_uint_eq(col2.outlen, col.outlen);
	ck_assert(memcmp(col.out, col2.out, col.outlen) == 0);
	ck_assert_int_eq(col2.ended, 1);
	/* From an offset in the middle. */
	collect_free(&col2);
	col2.next_offset = 1000;
	wo.from_offset = 1000;
	ck_assert_int_eq(runnel_watch(c, &wo), 0);
	ck_assert_int_eq(col2.bad_offset, 0);
	ck_assert_uint_eq(col2.outlen, col.outlen - 1000);
	ck_assert(memcmp(col.out + 1000, col2.out, col2.outlen) == 0);
	collect_free(&col);
	collect_free(&col2);
	runnel_close(c);
}
END_TEST

/* Hash a watch's stdout as it streams. */
struct hashing {
	EVP_MD_CTX	*md;
	uint64_t	 bytes;
	uint64_t	 next;
	int		 bad;
};

static int
hash_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct hashing	*hs = arg;

	(void)id;
	(void)time_us;
	if (stream != RUNNEL_STDOUT || offset != hs->next)
		hs->bad = 1;
	hs->next = offset + len;
	EVP_DigestUpdate(hs->md, data, len);
	hs->bytes += len;
	return 0;
}

START_TEST(test_100mib_exact)
{
	struct runnel_client		*c = harness_client(&h, "alice");
	struct runnel_spec		 spec;
	struct runnel_watch_opts	 wo;
	struct hashing			 hs;
	unsigned char			 want[EVP_MAX_MD_SIZE], got[EVP_MAX_MD_SIZE];
	unsigned			 wl, gl;
	char				 file[PATH_MAX + 16], buf[65536];
	const char			*argv[] = { "cat", file, NULL };
	EVP_MD_CTX			*md = EVP_MD_CTX_new();
	int				 fd, rfd, i;
	uint64_t			 id;

	/* 100 MiB of random bytes in a file; its hash is the reference. */
	snprintf(file, sizeof file, "%s/big", h.dir);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rfd = open("/dev/urandom", O_RDONLY);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < 1600; i++) {
		ck_assert_int_eq(read(rfd, buf, sizeof buf), sizeof buf);
		ck_assert_int_eq(write(fd, buf, sizeof buf), sizeof buf);
		EVP_DigestUpdate(md, buf, sizeof buf);
	}
	close(rfd);
	close(fd);
	EVP_DigestFinal_ex(md, want, &wl);

	memset(&hs, 0, sizeof hs);
	hs.md = md;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	memset(&wo, 0, sizeof wo);
	wo.on_output = hash_output_cb;
	wo.arg = &hs;
	ck_assert_int_eq(runnel_run(c, &spec, &id, &wo), 0);
	EVP_DigestFinal_ex(md, got, &gl);
	ck_assert_uint_eq(hs.bytes, 100ULL * 1024 * 1024);
	ck_assert_int_eq(hs.bad, 0);
	ck_assert(memcmp(want, got, wl) == 0);

	/* And again from the spool, after the task ended. */
	memset(&hs, 0, sizeof hs);
	hs.md = md;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	wo.ids = &id;
	wo.nids = 1;
	ck_assert_int_eq(runnel_watch(c, &wo), 0);
	EVP_DigestFinal_ex(md, got, &gl);
	ck_assert_uint_eq(hs.bytes, 100ULL * 1024 * 1024);
	ck_assert(memcmp(want, got, wl) == 0);
	EVP_MD_CTX_free(md);
	runnel_close(c);
}
END_TEST

START_TEST(test_refused_clients)
{
	struct runnel_client		*c = NULL;
	struct runnel_connect_opts	 opts;
	char				 ca[200], cert[200];
	char				 key[200], other[120];
	char				*cause = NULL;
	const char			*names[] = { "localhost" };

	snprintf(ca, sizeof ca, "%s/ca.crt", h.pki);
	memset(&opts, 0, sizeof opts);
	opts.host = h.host;
	opts.ca = ca;

	/* No certificate. */
	ck_assert_int_lt(runnel_connect(&c, &opts), 0);
	ck_assert_ptr_null(c);

	/* A server-only certificate (no clientAuth). */
	snprintf(cert, sizeof cert, "%s/server.crt", h.pki);
	snprintf(key, sizeof key, "%s/server.key", h.pki);
	opts.cert = cert;
	opts.key = key;
	ck_assert_int_lt(runnel_connect(&c, &opts), 0);

	/* A certificate from another CA. */
	snprintf(other, sizeof other, "%s/other", h.dir);
	ck_assert_int_eq(runnel_pki_init(other, names, 1, &cause), 0);
	ck_assert_int_eq(runnel_pki_issue(other, "alice", &cause), 0);
	snprintf(cert, sizeof cert, "%s/alice.crt", other);
	snprintf(key, sizeof key, "%s/alice.key", other);
	ck_assert_int_lt(runnel_connect(&c, &opts), 0);

	/* A daemon certificate from another CA: the client refuses it. */
	snprintf(ca, sizeof ca, "%s/ca.crt", other);
	snprintf(cert, sizeof cert, "%s/alice.crt", h.pki);
	snprintf(key, sizeof key, "%s/alice.key", h.pki);
	ck_assert_int_eq(runnel_connect(&c, &opts), RUNNEL_ETLS);

	/* A valid certificate without a role. */
	ck_assert_int_eq(harness_connect(&h, "mallory", &c),
	    RUNNEL_EUNAUTHENTICATED);
	ck_assert_int_eq(harness_wait_log(&h, "has no role"), 0);

	/* And the daemon still serves everyone else. */
	c = harness_client(&h, "alice");
	runnel_close(c);
	ck_assert_int_eq(harness_wait_log(&h, "tls handshake failed"), 0);
}
END_TEST

/* Send raw bytes and read one answer frame; returns the unpacked message
 * or NULL if the daemon closed without one. */
static Runnel__V1__ServerMessage *
raw_exchange(int fd, const void *data, size_t len)
{
	uint8_t		 hdr[4], *buf;
	uint32_t	 n;
	ssize_t		 r;
	size_t		 got = 0;
	Runnel__V1__ServerMessage *m;

	if (len > 0)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	while (got < 4) {
		r = read(fd, hdr + got, 4 - got);
		if (r <= 0)
			return NULL;
		got += r;
	}
	n = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
	buf = malloc(n);
	for (got = 0; got < n; got += r) {
		r = read(fd, buf + got, n - got);
		ck_assert_int_gt(r, 0);
	}
	m = runnel__v1__server_message__unpack(NULL, n, buf);
	free(buf);
	return m;
}

/* Expect an Error with code, then EOF. */
static void
raw_expect_error_close(int fd, const void *data, size_t len, int code)
{
	Runnel__V1__ServerMessage	*m;
	char				 b;

	m = raw_exchange(fd, data, len);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(m->error->code, code);
	runnel__v1__server_message__free_unpacked(m, NULL);
	ck_assert_int_eq(read(fd, &b, 1), 0);
	close(fd);
}

/* Frame a ClientMessage. */
static uint8_t *
raw_frame(Runnel__V1__ClientMessage *m, size_t *len)
{
	uint8_t	*f = frame_pack_client(m, len);

	ck_assert_ptr_nonnull(f);
	return f;
}

/* Say hello on a raw connection and check the answer. */
static void
raw_hello(int fd)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__Hello		 hello = RUNNEL__V1__HELLO__INIT;
	Runnel__V1__ServerMessage	*r;
	uint8_t				*f;
	size_t				 len;

	hello.protocol_version = 1;
	m.id = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
	m.hello = &hello;
	f = raw_frame(&m, &len);
	r = raw_exchange(fd, f, len);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO);
	runnel__v1__server_message__free_unpacked(r, NULL);
	free(f);
}

START_TEST(test_hostile_frames)
{
	static const uint8_t		 huge[] = { 0xff, 0xff, 0xff, 0xff };
	static const uint8_t		 zero[] = { 0, 0, 0, 0 };
	static const uint8_t		 junk[] = { 0, 0, 0, 5, 0xff, 0xff, 0xff,
	    0xff, 0xff };
	/* id = 7 and an unknown field 99 (varint 1): no request set. */
	static const uint8_t		 unknown[] = { 0, 0, 0, 5, 0x08, 7, 0x98,
	    0x06, 1 };
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__SubmitRequest	 sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	static uint8_t			 nul[] = "echo\0; rm -rf";
	ProtobufCBinaryData		 arg = { 14, nul };
	Runnel__V1__ServerMessage	*r;
	struct runnel_client		*good = harness_client(&h, "alice");
	struct runnel_status		 st;
	uint8_t				*f;
	size_t				 len;
	int				 fd;

	raw_expect_error_close(harness_raw_unix(&h), huge, sizeof huge,
	    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL);
	raw_expect_error_close(harness_raw_unix(&h), zero, sizeof zero,
	    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL);
	raw_expect_error_close(harness_raw_unix(&h), junk, sizeof junk,
	    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL);

	/* A request before Hello. */
	m.id = 3;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	f = raw_frame(&m, &len);
	raw_expect_error_close(harness_raw_unix(&h), f, len,
	    RUNNEL__V1__ERROR_CODE__ERROR_UNAUTHENTICATED);
	free(f);

	/* An unknown request type after Hello. */
	fd = harness_raw_unix(&h);
	raw_hello(fd);
	raw_expect_error_close(fd, unknown, sizeof unknown,
	    RUNNEL__V1__ERROR_CODE__ERROR_UNSUPPORTED);

	/* A NUL inside an argument is refused, and the connection lives. */
	fd = harness_raw_unix(&h);
	raw_hello(fd);
	spec.n_argv = 1;
	spec.argv = &arg;
	sr.spec = &spec;
	m.id = 4;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	m.submit = &sr;
	f = raw_frame(&m, &len);
	r = raw_exchange(fd, f, len);
	free(f);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->id, 4);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code,
	    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	ck_assert_str_eq(r->error->message, "argument contains a NUL byte");
	runnel__v1__server_message__free_unpacked(r, NULL);
	m.id = 5;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	f = raw_frame(&m, &len);
	r = raw_exchange(fd, f, len);
	free(f);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST);
	ck_assert_uint_eq(r->list->n_tasks, 0);
	runnel__v1__server_message__free_unpacked(r, NULL);
	close(fd);

	/* The client that was connected all along still works. */
	ck_assert_int_eq(runnel_status(good, &st), 0);
	ck_assert_uint_eq(st.tasks_running + st.tasks_finished, 0);
	runnel_close(good);
}
END_TEST

START_TEST(test_oversized_over_tls)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct runnel_spec	 spec;
	char			*big;
	const char		*argv[] = { "echo", NULL, NULL };
	uint64_t		 id;
	int			 r;

	/* An argument larger than the frame limit (4 MiB by default). */
	big = malloc(5 * 1024 * 1024);
	memset(big, 'x', 5 * 1024 * 1024 - 1);
	big[5 * 1024 * 1024 - 1] = '\0';
	argv[1] = big;
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	/* The daemon answers with an error and closes; the client may see
	 * the error or, still writing, only the closed connection. */
	r = runnel_submit(c, &spec, &id);
	ck_assert_msg(r == RUNNEL_EPROTO || r == RUNNEL_EIO, "%d", r);
	ck_assert_int_eq(harness_wait_log(&h, "frame larger than"), 0);
	free(big);
	runnel_close(c);
	c = harness_client(&h, "alice");
	runnel_close(c);
}
END_TEST

START_TEST(test_roles)
{
	struct runnel_client	*alice = harness_client(&h, "alice");
	struct runnel_client	*bob = harness_client(&h, "bob");
	struct runnel_client	*victor = harness_client(&h, "victor");
	struct runnel_client	*admin = harness_client(&h, "admin");
	struct runnel_spec	 spec;
	struct runnel_task	*tasks, t;
	const char		*argv[] = { "sleep", "20", NULL };
	uint64_t		 id, id2;
	size_t			 n;

	ck_assert_str_eq(runnel_role(alice), "user");
	ck_assert_str_eq(runnel_identity(alice), "alice");
	ck_assert_str_eq(runnel_role(victor), "viewer");
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(alice, &spec, &id), 0);
	/* Bob neither sees nor cancels Alice's task. */
	ck_assert_int_eq(runnel_cancel(bob, &id, 1, 0, 0), RUNNEL_ENOTFOUND);
	ck_assert_int_eq(runnel_list(bob, &tasks, &n), 0);
	ck_assert_uint_eq(n, 0);
	runnel_tasks_free(tasks, n);
	/* Victor sees it but may not cancel or submit. */
	ck_assert_int_eq(runnel_show(victor, id, &t), 0);
	ck_assert_str_eq(t.owner, "alice");
	runnel_task_clear(&t);
	ck_assert_int_eq(runnel_cancel(victor, &id, 1, 0, 0), RUNNEL_EPERM);
	ck_assert_int_eq(runnel_submit(victor, &spec, &id2), RUNNEL_EPERM);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(victor), "viewer"));
	ck_assert_int_eq(runnel_show(alice, id, &t), 0);
	ck_assert_int_eq(t.state, RUNNEL_RUNNING);
	runnel_task_clear(&t);
	/* The admin may. */
	ck_assert_int_eq(runnel_cancel(admin, &id, 1, 9, 0), 1);
	ck_assert_int_eq(runnel_wait(alice, &id, 1, &tasks), 0);
	ck_assert_int_eq(tasks[0].state, RUNNEL_CANCELLED);
	ck_assert_int_eq(tasks[0].signal, 9);
	ck_assert_str_eq(tasks[0].cancelled_by, "admin");
	runnel_tasks_free(tasks, 1);
	runnel_close(alice);
	runnel_close(bob);
	runnel_close(victor);
	runnel_close(admin);
}
END_TEST

START_TEST(test_unix_and_status)
{
	struct runnel_client	*c = harness_client(&h, NULL);
	struct runnel_status	 st;
	struct collect		 col;
	const char		*argv[] = { "echo", "hi", NULL };

	/* The test runs as the daemon's own user: admin on the socket. */
	ck_assert_str_eq(runnel_role(c), "admin");
	ck_assert_int_eq(strncmp(runnel_identity(c), "unix:", 5), 0);
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "hi\n");
	collect_free(&col);
	ck_assert_int_eq(runnel_status(c, &st), 0);
	ck_assert_uint_eq(st.tasks_finished, 1);
	ck_assert_uint_eq(st.connections, 1);
	ck_assert_int_eq(st.pid, h.pid);
	runnel_close(c);
}
END_TEST

/* The idle timeout of the limits tests: 300 ms, scaled with the daemon's
 * speed (under valgrind a handshake alone can take longer). */
static uint64_t	idle_ms;

static void
setup_limits(void)
{
	char	conf[128];

	idle_ms = harness_ms(300);
	snprintf(conf, sizeof conf, "idle_timeout = %llums\n"
	    "max_identity_connections = 2\n", (unsigned long long)idle_ms);
	harness_start(&h, conf);
}

START_TEST(test_idle_and_identity_limits)
{
	struct runnel_client		*a = harness_client(&h, "alice");
	struct runnel_client		*b = harness_client(&h, "alice");
	struct runnel_client		*c = NULL, *bob;
	struct collect			 col;
	struct pollfd			 pfd;
	char				 sleep_echo[64], line[64];
	const char			*argv[] = { "sh", "-c", sleep_echo,
	    NULL };
	char				 byte;
	int				 fd;

	/* Longer than the idle timeout. */
	snprintf(sleep_echo, sizeof sleep_echo, "sleep %llu; echo x",
	    (unsigned long long)(idle_ms * 3 + 999) / 1000);

	/* A third connection of alice is refused; bob is not alice. */
	ck_assert_int_eq(harness_connect(&h, "alice", &c), RUNNEL_EEXHAUSTED);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(NULL),
	    "max_identity_connections"));
	bob = harness_client(&h, "bob");
	runnel_close(b);

	/* A connection that says hello and nothing more is closed. */
	fd = harness_raw_unix(&h);
	raw_hello(fd);
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, (int)harness_ms(5000)), 1);
	ck_assert_int_eq(read(fd, &byte, 1), 0);
	close(fd);
	snprintf(line, sizeof line, "idle for %llu ms",
	    (unsigned long long)idle_ms);
	ck_assert_int_eq(harness_wait_log(&h, line), 0);

	/* bob sat idle meanwhile and was closed too; a new connection that
	 * watches for longer than the timeout is not idle. */
	ck_assert_int_eq(harness_run_task(bob, argv, &col, NULL), RUNNEL_EIO);
	collect_free(&col);
	runnel_close(bob);
	bob = harness_client(&h, "bob");
	ck_assert_int_eq(harness_run_task(bob, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "x\n");
	collect_free(&col);
	runnel_close(bob);
	runnel_close(a);
}
END_TEST

/* The suite. */
static Suite *
daemon_suite(void)
{
	Suite	*s = suite_create("daemon");
	TCase	*tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exit_statuses);
	tcase_add_test(tc, test_streams_apart);
	tcase_add_test(tc, test_exit_and_eof_apart);
	tcase_add_test(tc, test_child_environment);
	tcase_add_test(tc, test_env_cwd_stdin);
	tcase_add_test(tc, test_bad_specs);
	tcase_add_test(tc, test_boo_baa_interleave_cancel);
	tcase_add_test(tc, test_cancel_kills_grandchild);
	tcase_add_test(tc, test_replay_after_finish);
	tcase_add_test(tc, test_100mib_exact);
	tcase_add_test(tc, test_refused_clients);
	tcase_add_test(tc, test_hostile_frames);
	tcase_add_test(tc, test_oversized_over_tls);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_unix_and_status);
	suite_add_tcase(s, tc);
	{
		TCase	*tl = tcase_create("limits");

		tcase_add_checked_fixture(tl, setup_limits, teardown);
		tcase_set_timeout(tl, 60);
		tcase_add_test(tl, test_idle_and_identity_limits);
		suite_add_tcase(s, tl);
	}
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(daemon_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
