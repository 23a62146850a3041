/*
 * check_client_nested.c - librunnel hands an output callback a pointer into
 * its input buffer (no copy).  The API promises the data for the whole
 * callback, and a callback of a blocking watch may make a nested blocking
 * call, which reads more frames into that buffer meanwhile: the bytes the
 * callback holds must stay in place and intact.  Over TLS and the unix
 * socket, with a flood of known bytes running while each nested call waits.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "harness.h"

#define NESTED_SIZE	(8 * 1024 * 1024)
#define NESTED_CALLS	40

static struct harness	h;

static const char	pattern[] = "0123456789abcdef\n";

struct nested {
	struct runnel_client	*c;
	uint64_t		 bytes;
	int			 depth;
	int			 calls;
	int			 bad;		/* bytes not the pattern */
	int			 moved;		/* bytes changed under us */
	int			 show_err;
	enum runnel_state	 state;
};

/* Are these the pattern's bytes at that offset? */
static int
nested_ok(const uint8_t *p, size_t len, uint64_t offset)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)pattern[(offset + i) %
		    (sizeof pattern - 1)])
			return (0);
	return (1);
}

/* Check the chunk, then (not nested already) make a blocking call and
 * check the chunk did not change meanwhile. */
static int
nested_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct nested		*n = arg;
	struct runnel_task	 t;
	uint8_t			*copy;
	int			 r;

	(void)time_us;
	if (stream != RUNNEL_STDOUT)
		return (0);
	n->bytes += len;
	if (!nested_ok(data, len, offset))
		n->bad++;
	if (n->depth > 0 || n->calls >= NESTED_CALLS)
		return (0);
	ck_assert_ptr_nonnull(copy = malloc(len));
	memcpy(copy, data, len);
	n->depth++;
	n->calls++;
	/* More output arrives and is dispatched (to this callback, nested)
	 * while the call waits for its answer. */
	memset(&t, 0, sizeof t);
	if ((r = runnel_show(n->c, id, &t)) != 0)
		n->show_err = r;
	else
		runnel_task_clear(&t);
	n->depth--;
	if (memcmp(copy, data, len) != 0)
		n->moved++;
	free(copy);
	return (0);
}

static int
nested_end_cb(void *arg, const struct runnel_task *t)
{
	struct nested	*n = arg;

	n->state = t->state;
	return (0);
}

static void
nested_run(const char *name)
{
	static const char *const argv[] = { "sh", "-c",
	    "yes 0123456789abcdef | head -c 8388608", NULL };
	struct runnel_spec		spec = { 0 };
	struct runnel_watch_opts	w = { 0 };
	struct nested			n = { 0 };
	uint64_t			id;
	int				r;

	n.c = harness_client(&h, name);
	spec.argv = argv;
	w.on_output = nested_output_cb;
	w.on_end = nested_end_cb;
	w.arg = &n;
	r = runnel_run(n.c, &spec, &id, &w);
	ck_assert_msg(r == 0, "run: %s: %s", runnel_strerror(r),
	    runnel_last_error(n.c));
	ck_assert_int_eq(n.state, RUNNEL_SUCCEEDED);
	ck_assert_uint_eq(n.bytes, NESTED_SIZE);
	ck_assert_int_eq(n.show_err, 0);
	/* How many chunks arrive outside a nested call depends on timing. */
	ck_assert_int_ge(n.calls, 2);
	ck_assert_int_eq(n.bad, 0);
	ck_assert_int_eq(n.moved, 0);
	runnel_close(n.c);
}

static void
setup(void)
{
	harness_start(&h, NULL);
}

static void
teardown(void)
{
	harness_stop(&h);
}

START_TEST(test_nested_call_tls)
{
	nested_run("alice");
}
END_TEST

START_TEST(test_nested_call_unix)
{
	nested_run(NULL);
}
END_TEST

static Suite *
nested_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("client_nested");
	tc = tcase_create("nested");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_nested_call_tls);
	tcase_add_test(tc, test_nested_call_unix);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(nested_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
