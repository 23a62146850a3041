/*
 * check_async.c - librunnel's asynchronous API on the test's own libevent
 * loop against a real runneld: connect, run, watch, cancel and gather;
 * errors (found at once, from the daemon, a lost connection); closing from
 * a callback; that the library never holds up its caller's loop while a
 * large output streams; and the examples (examples/gather, examples/submit)
 * run as programs.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <event2/event.h>

#include "harness.h"

/* Output of the lag test: enough to stream for many timer periods. */
#define LAG_BYTES	(64U * 1024 * 1024)
#define LAG_PERIOD_MS	10
/* How late the timer may be; a loaded machine may need more. */
#define LAG_MAX_MS	20

static struct harness	h;
static char		ca[200], cert[200], key[200], unixhost[200];

static void
setup(void)
{
	harness_start(&h, NULL);
	snprintf(ca, sizeof ca, "%s/ca.crt", h.pki);
	snprintf(cert, sizeof cert, "%s/alice.crt", h.pki);
	snprintf(key, sizeof key, "%s/alice.key", h.pki);
	snprintf(unixhost, sizeof unixhost, "unix:%s", h.sock);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Options to connect as alice over TLS. */
static struct runnel_connect_opts
tls_opts(void)
{
	struct runnel_connect_opts	o = { 0 };

	o.host = h.host;
	o.ca = ca;
	o.cert = cert;
	o.key = key;
	o.client_name = "check_async";
	return o;
}

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* What the callbacks of a test saw. */
struct seen {
	struct event_base	*base;
	struct runnel_client	*c;
	int			 connected;	/* 1: 0, -N: error */
	int			 connect_r;
	uint64_t		 ids[8];
	int			 nids;
	int			 submit_before_output;
	size_t			 bytes;
	char			 out[4096];
	size_t			 outlen;
	int			 ends;
	enum runnel_state	 end_state;
	int			 done;
	int			 done_r;
	int			 cancel_r;
	int			 cancelled;
	int			 waits;
	int			 wait_r[8];
	uint64_t		 wait_order[8];
	int			 calls_after_close;
	int			 stop_after;	/* end the loop after N waits */
};

static void
connect_cb(void *arg, int r)
{
	struct seen	*s = arg;

	s->connected = 1;
	s->connect_r = r;
	if (r != 0)
		event_base_loopexit(s->base, NULL);
}

static void
submit_cb(void *arg, int r, uint64_t id)
{
	struct seen	*s = arg;

	ck_assert_int_eq(r, 0);
	ck_assert_int_lt(s->nids, 8);
	if (s->nids == 0 && s->bytes == 0)
		s->submit_before_output = 1;
	s->ids[s->nids++] = id;
}

static int
output_cb(void *arg, uint64_t id, enum runnel_stream stream, uint64_t off,
    const void *data, size_t len, int64_t time_us)
{
	struct seen	*s = arg;

	(void)id;
	(void)stream;
	(void)time_us;
	ck_assert_uint_eq(off, s->bytes);
	s->bytes += len;
	if (s->outlen + len < sizeof s->out) {
		memcpy(s->out + s->outlen, data, len);
		s->outlen += len;
	}
	return 0;
}

static int
end_cb(void *arg, const struct runnel_task *t)
{
	struct seen	*s = arg;

	s->ends++;
	s->end_state = t->state;
	return 0;
}

static void
done_cb(void *arg, int r)
{
	struct seen	*s = arg;

	s->done++;
	s->done_r = r;
	event_base_loopexit(s->base, NULL);
}

static void
cancel_cb(void *arg, int r)
{
	struct seen	*s = arg;

	s->cancelled = 1;
	s->cancel_r = r;
}

static void
wait_cb(void *arg, int r, const struct runnel_task *t, size_t n)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->waits, 8);
	if (s->calls_after_close)
		s->calls_after_close++;
	s->wait_r[s->waits] = r;
	if (r == 0) {
		ck_assert_uint_eq(n, 1);
		s->wait_order[s->waits] = t[0].id;
	} else
		ck_assert_ptr_null(t);
	s->waits++;
	if (s->stop_after != 0 && s->waits == s->stop_after)
		event_base_loopexit(s->base, NULL);
}

/* Run the loop until a callback ends it, failing after 30 s. */
static void
run_loop(struct seen *s)
{
	struct timeval	limit = { 30, 0 };

	ck_assert_int_eq(event_base_loopexit(s->base, &limit), 0);
	ck_assert_int_eq(event_base_dispatch(s->base), 0);
	ck_assert_msg(!event_base_got_exit(s->base) || s->done || s->waits ||
	    s->connected, "the loop timed out");
}

/* Connect on a new loop; the caller checks the result. */
static void
open_async(struct seen *s, const struct runnel_connect_opts *o)
{
	memset(s, 0, sizeof *s);
	s->base = event_base_new();
	ck_assert_ptr_nonnull(s->base);
	ck_assert_int_eq(runnel_connect_async(&s->c, s->base, o, connect_cb,
	    s), 0);
	ck_assert_ptr_nonnull(s->c);
}

static void
close_async(struct seen *s)
{
	runnel_close(s->c);
	event_base_free(s->base);
}

/* Submit, output and end of a run on one request, over TLS; the submit's
 * id comes before any output. */
START_TEST(test_run_async)
{
	static const char *const argv[] = { "sh", "-c",
	    "echo one; echo two >&2; exit 4", NULL };
	struct runnel_connect_opts	o = tls_opts();
	struct runnel_spec		spec = { 0 };
	struct runnel_watch_opts	w = { 0 };
	struct seen			s;

	open_async(&s, &o);
	/* Queued before the connection is up: sent after the Hello. */
	spec.argv = argv;
	w.on_output = output_cb;
	w.on_end = end_cb;
	w.arg = &s;
	ck_assert_int_eq(runnel_run_async(s.c, &spec, &w, submit_cb, done_cb),
	    0);
	run_loop(&s);
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_eq(s.connect_r, 0);
	ck_assert_str_eq(runnel_identity(s.c), "alice");
	ck_assert_str_eq(runnel_role(s.c), "user");
	ck_assert_int_eq(s.done, 1);
	ck_assert_int_eq(s.done_r, 0);
	ck_assert_int_eq(s.nids, 1);
	ck_assert(s.submit_before_output);
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.end_state, RUNNEL_FAILED);
	s.out[s.outlen] = '\0';
	ck_assert_ptr_nonnull(strstr(s.out, "one\n"));
	ck_assert_ptr_nonnull(strstr(s.out, "two\n"));
	close_async(&s);
}
END_TEST

/* A cancel from the loop reaches a looping task, whose watch (started on
 * its own, by id) then ends with it cancelled. */
START_TEST(test_watch_cancel_async)
{
	static const char *const argv[] = { "sh", "-c",
	    "while :; do echo tick; sleep 0.1; done", NULL };
	struct runnel_connect_opts	o = tls_opts();
	struct runnel_spec		spec = { 0 };
	struct runnel_watch_opts	w = { 0 };
	struct timeval			tv = { 0, 50000 };
	struct seen			s;

	open_async(&s, &o);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit_async(s.c, &spec, submit_cb, &s), 0);
	/* Until the submit is answered. */
	while (s.nids == 0)
		ck_assert_int_ge(event_base_loop(s.base, EVLOOP_ONCE), 0);
	w.ids = s.ids;
	w.nids = 1;
	w.on_output = output_cb;
	w.on_end = end_cb;
	w.arg = &s;
	ck_assert_int_eq(runnel_watch_async(s.c, &w, done_cb), 0);
	while (s.bytes == 0)
		ck_assert_int_ge(event_base_loop(s.base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(runnel_cancel_async(s.c, s.ids, 1, 0, 0, cancel_cb,
	    &s), 0);
	(void)tv;
	run_loop(&s);
	ck_assert_int_eq(s.cancelled, 1);
	ck_assert_int_eq(s.cancel_r, 1);
	ck_assert_int_eq(s.done, 1);
	ck_assert_int_eq(s.done_r, 0);
	ck_assert_int_eq(s.ends, 1);
	ck_assert_int_eq(s.end_state, RUNNEL_CANCELLED);
	close_async(&s);
}
END_TEST

static void
gather_submit_cb(void *arg, int r, uint64_t id)
{
	struct seen	*s = arg;

	submit_cb(arg, r, id);
	ck_assert_int_eq(runnel_wait_async(s->c, &s->ids[s->nids - 1], 1,
	    wait_cb, s), 0);
}

/* Three waits in flight at once on the unix socket: each ends when its
 * task does, in the order they complete, not the order asked. */
START_TEST(test_gather_async)
{
	static const char *const slow[] = { "sleep", "1.5", NULL };
	static const char *const fast[] = { "true", NULL };
	static const char *const mid[] = { "sleep", "0.7", NULL };
	const char *const		*argvs[] = { slow, fast, mid };
	struct runnel_connect_opts	o = { 0 };
	struct runnel_spec		spec = { 0 };
	struct seen			s;
	int				i;

	o.host = unixhost;
	open_async(&s, &o);
	for (i = 0; i < 3; i++) {
		spec.argv = argvs[i];
		ck_assert_int_eq(runnel_submit_async(s.c, &spec,
		    gather_submit_cb, &s), 0);
	}
	s.stop_after = 3;
	run_loop(&s);
	ck_assert_int_eq(s.waits, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(s.wait_r[i], 0);
	ck_assert_uint_eq(s.wait_order[0], s.ids[1]);
	ck_assert_uint_eq(s.wait_order[1], s.ids[2]);
	ck_assert_uint_eq(s.wait_order[2], s.ids[0]);
	close_async(&s);
}
END_TEST

/* Errors: bad arguments fail at once with no callback; the daemon's
 * errors come to the callback with its message; blocking calls are
 * refused on an async client; an identity without a role is refused. */
START_TEST(test_async_errors)
{
	static const char *const none[] = { NULL };
	struct runnel_connect_opts	o = tls_opts();
	struct runnel_spec		spec = { 0 };
	struct runnel_task		*tasks;
	char				mcert[200], mkey[200];
	uint64_t			unknown = 999999, id;
	struct seen			s;

	open_async(&s, &o);
	spec.argv = none;
	ck_assert_int_eq(runnel_submit_async(s.c, &spec, submit_cb, &s),
	    RUNNEL_EINVAL);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(s.c), "empty argv"));
	ck_assert_int_eq(runnel_wait_async(s.c, NULL, 0, wait_cb, &s),
	    RUNNEL_EINVAL);
	ck_assert_int_eq(runnel_submit(s.c, &spec, &id), RUNNEL_EINVAL);
	ck_assert_int_eq(runnel_wait(s.c, &unknown, 1, &tasks), RUNNEL_EINVAL);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(s.c), "event loop"));
	ck_assert_int_eq(runnel_wait_async(s.c, &unknown, 1, wait_cb, &s), 0);
	s.stop_after = 1;
	run_loop(&s);
	ck_assert_int_eq(s.nids, 0);
	ck_assert_int_eq(s.waits, 1);
	ck_assert_int_eq(s.wait_r[0], RUNNEL_ENOTFOUND);
	ck_assert_str_ne(runnel_last_error(s.c), "");
	close_async(&s);

	/* No role: the connect itself fails, through the callback. */
	snprintf(mcert, sizeof mcert, "%s/mallory.crt", h.pki);
	snprintf(mkey, sizeof mkey, "%s/mallory.key", h.pki);
	o.cert = mcert;
	o.key = mkey;
	open_async(&s, &o);
	run_loop(&s);
	ck_assert_int_eq(s.connected, 1);
	ck_assert_int_lt(s.connect_r, 0);
	ck_assert_str_ne(runnel_last_error(s.c), "");
	close_async(&s);

	/* Nothing listens there: found at once, no client. */
	o = tls_opts();
	o.host = "unix:/nonexistent/runneld.sock";
	memset(&s, 0, sizeof s);
	s.base = event_base_new();
	ck_assert_int_eq(runnel_connect_async(&s.c, s.base, &o, connect_cb,
	    &s), RUNNEL_ECONNECT);
	ck_assert_ptr_null(s.c);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(NULL), "nonexistent"));
	event_base_free(s.base);
}
END_TEST

/* The daemon dies: every pending request hears of it, later ones fail
 * at once. */
START_TEST(test_async_lost)
{
	static const char *const argv[] = { "sleep", "30", NULL };
	struct runnel_connect_opts	o = tls_opts();
	struct runnel_spec		spec = { 0 };
	struct seen			s;

	open_async(&s, &o);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit_async(s.c, &spec, submit_cb, &s), 0);
	while (s.nids == 0)
		ck_assert_int_ge(event_base_loop(s.base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(runnel_wait_async(s.c, s.ids, 1, wait_cb, &s), 0);
	ck_assert_int_eq(runnel_wait_async(s.c, s.ids, 1, wait_cb, &s), 0);
	/* Both waits are with the daemon before it goes. */
	event_base_loop(s.base, EVLOOP_NONBLOCK);
	harness_crash(&h);
	s.stop_after = 2;
	run_loop(&s);
	ck_assert_int_eq(s.waits, 2);
	ck_assert_int_eq(s.wait_r[0], RUNNEL_EIO);
	ck_assert_int_eq(s.wait_r[1], RUNNEL_EIO);
	ck_assert_int_eq(runnel_wait_async(s.c, s.ids, 1, wait_cb, &s),
	    RUNNEL_EIO);
	close_async(&s);
}
END_TEST

static void
close_wait_cb(void *arg, int r, const struct runnel_task *t, size_t n)
{
	struct seen	*s = arg;

	(void)r;
	(void)t;
	(void)n;
	s->waits++;
	runnel_close(s->c);
	s->c = NULL;
}

/* runnel_close() in a callback: the client goes once the callback
 * returns, no other callback runs, and the loop is left with no event of
 * it (dispatch returns on its own). */
START_TEST(test_close_in_callback)
{
	static const char *const argv[] = { "true", NULL };
	struct runnel_connect_opts	o = { 0 };
	struct runnel_spec		spec = { 0 };
	struct seen			s;

	o.host = unixhost;
	open_async(&s, &o);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit_async(s.c, &spec, submit_cb, &s), 0);
	while (s.nids == 0)
		ck_assert_int_ge(event_base_loop(s.base, EVLOOP_ONCE), 0);
	ck_assert_int_eq(runnel_wait_async(s.c, s.ids, 1, close_wait_cb, &s),
	    0);
	ck_assert_int_eq(runnel_wait_async(s.c, s.ids, 1, close_wait_cb, &s),
	    0);
	/* 1: no events left. */
	ck_assert_int_eq(event_base_dispatch(s.base), 1);
	ck_assert(!event_base_got_exit(s.base));
	ck_assert_int_eq(s.waits, 1);
	event_base_free(s.base);
}
END_TEST

/* The timer of the lag test. */
struct lag {
	struct seen	*s;
	struct event	*ev;
	int64_t		 last_us;
	int64_t		 max_late_us;
	unsigned	 ticks;		/* while the output streamed */
};

static void
lag_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct lag	*l = arg;
	int64_t		 now = now_us(), late;

	(void)fd;
	(void)what;
	if (l->s->bytes > 0 && l->s->done == 0) {
		late = now - l->last_us - LAG_PERIOD_MS * 1000;
		if (late > l->max_late_us)
			l->max_late_us = late;
		l->ticks++;
	}
	l->last_us = now;
}

/* The library never holds up its caller's loop: a 10 ms timer on the same
 * loop stays on time while 64 MiB of output stream in over TLS. */
START_TEST(test_async_lag)
{
	static const char *const argv[] = { "head", "-c", "67108864",
	    "/dev/zero", NULL };
	struct runnel_connect_opts	o = tls_opts();
	struct runnel_spec		spec = { 0 };
	struct runnel_watch_opts	w = { 0 };
	struct timeval			period = { 0, LAG_PERIOD_MS * 1000 };
	struct lag			l = { 0 };
	struct seen			s;
	int64_t				start, limit = LAG_MAX_MS;

	if (getenv("RUNNEL_TEST_LAG_MAX_MS") != NULL)
		limit = atoll(getenv("RUNNEL_TEST_LAG_MAX_MS"));
	open_async(&s, &o);
	l.s = &s;
	l.ev = event_new(s.base, -1, EV_PERSIST, lag_timer_cb, &l);
	ck_assert_ptr_nonnull(l.ev);
	l.last_us = now_us();
	ck_assert_int_eq(event_add(l.ev, &period), 0);
	spec.argv = argv;
	w.on_output = output_cb;
	w.arg = &s;
	start = now_us();
	ck_assert_int_eq(runnel_run_async(s.c, &spec, &w, NULL, done_cb), 0);
	run_loop(&s);
	ck_assert_int_eq(s.done, 1);
	ck_assert_int_eq(s.done_r, 0);
	ck_assert_uint_eq(s.bytes, LAG_BYTES);
	fprintf(stderr, "async lag: %u MiB in %.0f ms, %u ticks while "
	    "streaming, timer late by %.1f ms at most (limit %lld)\n",
	    LAG_BYTES >> 20, (double)(now_us() - start) / 1000, l.ticks,
	    (double)l.max_late_us / 1000, (long long)limit);
	ck_assert_uint_ge(l.ticks, 3);
	ck_assert_int_le(l.max_late_us, limit * 1000);
	event_free(l.ev);
	close_async(&s);
}
END_TEST

/* The path of an example program, beside the CLI's build dir. */
static void
example_path(char *buf, size_t len, const char *name)
{
	char	runnel[PATH_MAX];

	ck_assert_ptr_nonnull(getenv("RUNNEL"));
	snprintf(runnel, sizeof runnel, "%s", getenv("RUNNEL"));
	/* .../client/runnel -> .../examples/NAME */
	snprintf(buf, len, "%s/../examples/%s", dirname(runnel), name);
}

/* The first occurrence of a string, as an offset; -1 if none. */
static long
where(const char *hay, const char *needle)
{
	const char	*p = strstr(hay, needle);

	return p == NULL ? -1 : p - hay;
}

/* The last occurrence of a string, as an offset; -1 if none. */
static long
where_last(const char *hay, const char *needle)
{
	const char	*p, *last = NULL;

	for (p = hay; (p = strstr(p, needle)) != NULL; p++)
		last = p;
	return last == NULL ? -1 : last - hay;
}

/* examples/gather over TLS: boo and baa interleaved, both cancelled, then
 * the three short tasks gathered in the order they completed. */
START_TEST(test_example_gather)
{
	char	 path[PATH_MAX], *out, *err;
	char	*argv[] = { path, (char *)(uintptr_t)"1.5", NULL };
	int	 status;

	example_path(path, sizeof path, "gather");
	setenv("RUNNEL_HOST", h.host, 1);
	setenv("RUNNEL_CA", ca, 1);
	setenv("RUNNEL_CERT", cert, 1);
	setenv("RUNNEL_KEY", key, 1);
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(status == 0, "gather: status %d: %s%s", status, out, err);
	ck_assert_ptr_nonnull(strstr(out, "connected as alice (user)"));
	ck_assert_int_ge(where(out, "...boo 0\n"), 0);
	ck_assert_int_ge(where(out, "...baa 0\n"), 0);
	ck_assert_int_ge(where(out, "...boo 2\n"), 0);
	ck_assert_int_ge(where(out, "...baa 1\n"), 0);
	/* Interleaved: each starts before the other's last line. */
	ck_assert_int_lt(where(out, "...boo"), where_last(out, "...baa"));
	ck_assert_int_lt(where(out, "...baa"), where_last(out, "...boo"));
	ck_assert_ptr_nonnull(strstr(out, "cancel reached 2 tasks"));
	ck_assert_ptr_nonnull(strstr(out, "(boo) ended: cancelled"));
	ck_assert_ptr_nonnull(strstr(out, "(baa) ended: cancelled"));
	/* The looping tasks are over before the gathering starts. */
	ck_assert_int_gt(where(out, "gathering 3 short tasks"),
	    where_last(out, "...b"));
	ck_assert_int_ge(where(out, "gathered fast"), 0);
	ck_assert_int_lt(where(out, "gathered fast"),
	    where(out, "gathered medium"));
	ck_assert_int_lt(where(out, "gathered medium"),
	    where(out, "gathered slow"));
	ck_assert_ptr_nonnull(strstr(out, "): failed, exit status 3\n"));
	ck_assert_ptr_nonnull(strstr(out, "): succeeded, exit status 0\n"));
	free(out);
	free(err);
}
END_TEST

/* examples/submit over the unix socket: the output, the status line, and
 * the task's exit status as its own. */
START_TEST(test_example_submit)
{
	char	 path[PATH_MAX], *out, *err;
	char	*argv[] = { path, (char *)(uintptr_t)"sh",
	    (char *)(uintptr_t)"-c",
	    (char *)(uintptr_t)"echo hello; echo oops >&2; exit 7", NULL };
	int	 status;

	example_path(path, sizeof path, "submit");
	setenv("RUNNEL_HOST", unixhost, 1);
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(status == 7, "submit: status %d: %s%s", status, out,
	    err);
	ck_assert_str_eq(out, "hello\n");
	ck_assert_ptr_nonnull(strstr(err, "oops\n"));
	ck_assert_ptr_nonnull(strstr(err, ": failed, exit status 7\n"));
	free(out);
	free(err);

	/* No daemon there: a clear error and status 3. */
	setenv("RUNNEL_HOST", "unix:/nonexistent/runneld.sock", 1);
	status = harness_run(argv, &out, NULL, &err);
	ck_assert_int_eq(status, 3);
	ck_assert_ptr_nonnull(strstr(err, "nonexistent"));
	free(out);
	free(err);
}
END_TEST

static Suite *
async_suite(void)
{
	Suite	*s = suite_create("async");
	TCase	*tc = tcase_create("async");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_async);
	tcase_add_test(tc, test_watch_cancel_async);
	tcase_add_test(tc, test_gather_async);
	tcase_add_test(tc, test_async_errors);
	tcase_add_test(tc, test_async_lost);
	tcase_add_test(tc, test_close_in_callback);
	tcase_add_test(tc, test_async_lag);
	tcase_add_test(tc, test_example_gather);
	tcase_add_test(tc, test_example_submit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(async_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
