/*
 * check_range.c - the range table (range.c): a row for every numeric field
 * of every message a client can send, range_check's answers at and past
 * each boundary, and the helpers that keep durations, retry delays and
 * tail line counts from wrapping without the table.
 */
#include <sys/time.h>

#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runneld.h"

/* Is a field a number the table must cover? */
static int
numeric(const ProtobufCFieldDescriptor *f)
{
	return f->type != PROTOBUF_C_TYPE_BOOL &&
	    f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_BYTES &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE;
}

/* The kind of row a field's type needs. */
static enum range_kind
kind_of(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return RANGE_SIGNED;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		return RANGE_DOUBLE;
	case PROTOBUF_C_TYPE_ENUM:
		return RANGE_ENUM;
	default:
		return RANGE_UNSIGNED;
	}
}

/* Check every numeric field of md and the messages below it; count them. */
static void
walk_descriptors(const ProtobufCMessageDescriptor *md, const char **seen,
    size_t *nseen, size_t *nfields)
{
	const ProtobufCFieldDescriptor	*f;
	const struct range		*r;
	size_t				 i;

	for (i = 0; i < *nseen; i++)
		if (seen[i] == md->name)
			return;
	ck_assert_uint_lt(*nseen, 64);
	seen[(*nseen)++] = md->name;
	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			walk_descriptors(f->descriptor, seen, nseen, nfields);
			continue;
		}
		if (!numeric(f))
			continue;
		r = range_find(md->name, f->name);
		ck_assert_msg(r != NULL, "%s.%s has no documented range",
		    md->name, f->name);
		ck_assert_msg(r->kind == kind_of(f), "%s.%s: row of the wrong "
		    "kind", md->name, f->name);
		if (r->kind == RANGE_SIGNED)
			ck_assert(r->min <= r->max);
		if (r->kind == RANGE_UNSIGNED)
			ck_assert(r->umin <= r->umax);
		(*nfields)++;
	}
}

/* Every numeric field reachable from ClientMessage has a row of its kind,
 * and every row is such a field (none left of a field that went). */
START_TEST(test_every_field_has_a_range)
{
	const char		*seen[64];
	const struct range	*rows;
	size_t			 nseen = 0, nfields = 0, nrows, i;

	walk_descriptors(&runnel__v1__client_message__descriptor, seen,
	    &nseen, &nfields);
	/* ClientMessage.id, Hello 1, TaskSpec 8, Rlimit 2, Selector 1,
	 * WatchRequest 4, TaskOffset 2, Cancel 3, Show 1, Wait 3, Queue 3,
	 * Restart 1, Stdin 1, Clean 1. */
	ck_assert_uint_eq(nfields, 32);
	ck_assert_ptr_null(range_find("runnel.v1.TaskSpec", "nonesuch"));
	/* As many rows as fields, each found by its own name: one a field. */
	rows = range_rows(&nrows);
	ck_assert_uint_eq(nrows, nfields);
	for (i = 0; i < nrows; i++)
		ck_assert_ptr_eq(range_find(rows[i].message, rows[i].field),
		    &rows[i]);
}
END_TEST

/* A submit with a spec for the checks below. */
struct req {
	Runnel__V1__ClientMessage	msg;
	Runnel__V1__SubmitRequest	sub;
	Runnel__V1__TaskSpec		spec;
};

static void
req_init(struct req *q)
{
	runnel__v1__client_message__init(&q->msg);
	runnel__v1__submit_request__init(&q->sub);
	runnel__v1__task_spec__init(&q->spec);
	q->sub.spec = &q->spec;
	q->msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	q->msg.submit = &q->sub;
}

/* range_check's cause for the request, or "ok". */
static char *
check(struct req *q)
{
	char	*cause = NULL;

	if (range_check(&q->msg.base, &cause) == 0) {
		ck_assert_ptr_null(cause);
		return xstrdup("ok");
	}
	ck_assert_ptr_nonnull(cause);
	return cause;
}

#define ck_check(q, want) do {						\
	char	*got_ = check(q);					\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

/* Durations: in at the boundary, out one past it and at the type's end. */
START_TEST(test_durations)
{
	struct req	q;

	req_init(&q);
	ck_check(&q, "ok");
	q.spec.retry_delay_ms = 315360000000ULL;
	ck_check(&q, "ok");
	q.spec.retry_delay_ms = 315360000001ULL;
	ck_check(&q, "submit.spec.retry_delay_ms: 315360000001 is out of "
	    "range 0..315360000000");
	q.spec.retry_delay_ms = UINT64_MAX;
	ck_check(&q, "submit.spec.retry_delay_ms: 18446744073709551615 is "
	    "out of range 0..315360000000");
	q.spec.retry_delay_ms = 0;
	q.spec.timeout_ms = (uint64_t)INT64_MAX;
	ck_check(&q, "submit.spec.timeout_ms: 9223372036854775807 is out of "
	    "range 0..315360000000");
	q.spec.timeout_ms = 0;
	q.spec.start_at_ms = -1;
	ck_check(&q, "submit.spec.start_at_ms: -1 is out of range "
	    "0..253402300799999");
	q.spec.start_at_ms = 253402300799999LL;
	ck_check(&q, "ok");
	q.spec.start_at_ms = INT64_MAX;
	ck_check(&q, "submit.spec.start_at_ms: 9223372036854775807 is out "
	    "of range 0..253402300799999");
	q.spec.start_at_ms = 0;
	q.spec.retries = 1000;
	ck_check(&q, "ok");
	q.spec.retries = 1001;
	ck_check(&q, "submit.spec.retries: 1001 is out of range 0..1000");
	q.spec.retries = 0;
	q.spec.priority = INT32_MIN;
	ck_check(&q, "ok");
}
END_TEST

/* Doubles: NaN and the infinities never pass. */
START_TEST(test_backoff)
{
	struct req	q;

	req_init(&q);
	q.spec.retry_backoff = 100;
	ck_check(&q, "ok");
	q.spec.retry_backoff = 100.000001;
	ck_check(&q, "submit.spec.retry_backoff: 100 is out of range 0..100");
	q.spec.retry_backoff = NAN;
	ck_check(&q, "submit.spec.retry_backoff: nan is not a number");
	q.spec.retry_backoff = -NAN;
	ck_check(&q, "submit.spec.retry_backoff: -nan is not a number");
	q.spec.retry_backoff = INFINITY;
	ck_check(&q, "submit.spec.retry_backoff: inf is out of range 0..100");
	q.spec.retry_backoff = -INFINITY;
	ck_check(&q, "submit.spec.retry_backoff: -inf is out of range 0..100");
	q.spec.retry_backoff = -0.5;
	ck_check(&q, "submit.spec.retry_backoff: -0.5 is out of range 0..100");
}
END_TEST

/* Enums, signals, and numbers inside repeated sub-messages. */
START_TEST(test_enums_and_nested)
{
	Runnel__V1__ClientMessage	msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	w = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__CancelRequest	c = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__Stream		streams[2] = { 1, 7 };
	char				*cause;

	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	msg.watch = &w;
	w.tail_lines = UINT32_MAX;
	w.from_offset = UINT64_MAX;
	w.n_streams = 1;
	w.streams = streams;
	ck_assert_int_eq(range_check(&msg.base, &cause), 0);
	w.n_streams = 2;
	ck_assert_int_eq(range_check(&msg.base, &cause), -1);
	ck_assert_str_eq(cause, "watch.streams[1]: 7 is not a known Stream "
	    "(one of 0, 1, 2)");
	free(cause);

	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	msg.cancel = &c;
	c.signal = NSIG - 1;
	c.grace_ms = UINT32_MAX;
	ck_assert_int_eq(range_check(&msg.base, &cause), 0);
	c.signal = -1;
	ck_assert_int_eq(range_check(&msg.base, &cause), -1);
	ck_assert_str_eq(cause, "cancel.signal: -1 is out of range 0..64");
	free(cause);
	c.signal = NSIG;
	ck_assert_int_eq(range_check(&msg.base, &cause), -1);
	ck_assert_str_eq(cause, "cancel.signal: 65 is out of range 0..64");
	free(cause);
}
END_TEST

/* Without the table, the spec check alone refuses a backoff that is not
 * a number in 0..100 (NaN passed its "< 0 || > 100"). */
START_TEST(test_spec_check_backoff)
{
	static const double	 bad[] = { NAN, -NAN, INFINITY, -INFINITY,
				    -0.5, 100.5 };
	Runnel__V1__TaskSpec	 spec = RUNNEL__V1__TASK_SPEC__INIT;
	ProtobufCBinaryData	 argv[] = { { .len = 4,
				    .data = (uint8_t *)(uintptr_t)"true" } };
	struct queue		*q;
	char			*cause = NULL, empty[] = "";
	size_t			 i;

	TAILQ_INIT(&server.queues);
	queue_add("default", 0, 0);
	spec.argv = argv;
	spec.n_argv = 1;
	spec.name = spec.queue = spec.key = empty;
	spec.retry_backoff = 100;
	ck_assert_int_eq(task_spec_check(&spec, "alice", &q, &cause), 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		spec.retry_backoff = bad[i];
		ck_assert_int_eq(task_spec_check(&spec, "alice", &q, &cause),
		    -1);
		ck_assert_str_eq(cause, "retry backoff must be between 0 and "
		    "100");
		free(cause);
		cause = NULL;
	}
}
END_TEST

/* Timers never get more than ten years, whatever they are given. */
START_TEST(test_timeval_clamps)
{
	struct timeval	tv;

	range_timeval(1500, &tv);
	ck_assert_int_eq(tv.tv_sec, 1);
	ck_assert_int_eq(tv.tv_usec, 500000);
	range_timeval(UINT64_MAX, &tv);
	ck_assert_int_eq(tv.tv_sec, 315360000);
	ck_assert_int_eq(tv.tv_usec, 0);
	ck_assert_uint_eq(range_ms(UINT64_MAX), 315360000000ULL);
}
END_TEST

/* The retry delay: never wraps to "at once", NaN is a factor of 1. */
START_TEST(test_retry_delay)
{
	ck_assert_uint_eq(range_retry_ms(1000, 0, 1), 1000);
	ck_assert_uint_eq(range_retry_ms(1000, 2, 3), 4000);
	ck_assert_uint_eq(range_retry_ms(1000, NAN, 3), 1000);
	ck_assert_uint_eq(range_retry_ms(1000, -2, 3), 1000);
	ck_assert_uint_eq(range_retry_ms(UINT64_MAX, 1, 1), 315360000000ULL);
	ck_assert_uint_eq(range_retry_ms(1000, 100, 1000), 315360000000ULL);
	ck_assert_uint_eq(range_retry_ms(1000, INFINITY, 2), 100000);
	ck_assert_uint_eq(range_retry_ms(0, INFINITY, 1000), 0);
}
END_TEST

/* tail_lines at the top of uint32 asks for the whole log, reading no
 * further than its newlines. */
START_TEST(test_tail_lines_max)
{
	char		 dir[] = "/tmp/check_range.XXXXXX", path[64];
	struct output	*o;
	char		*cause = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/1.log", dir);
	o = output_create(path, 4096, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_append(o, 0, "a\nb\nc\n", 6, 100), 0);
	ck_assert_uint_eq(output_tail_lines(o, 2), 2);
	ck_assert_uint_eq(output_tail_lines(o, UINT32_MAX), 0);
	ck_assert_uint_eq(output_tail_lines(o, UINT32_MAX - 1), 0);
	output_free(o);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Build the suite. */
static Suite *
check_range_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("range");
	tc = tcase_create("range");
	tcase_add_test(tc, test_every_field_has_a_range);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_enums_and_nested);
	tcase_add_test(tc, test_spec_check_backoff);
	tcase_add_test(tc, test_timeval_clamps);
	tcase_add_test(tc, test_retry_delay);
	tcase_add_test(tc, test_tail_lines_max);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite in check's default fork mode (CK_FORK=no to debug). */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_range_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
