/*
 * check_chunk.c - unit tests of librunnel's in-place OutputChunk decoder
 * (lib/client-chunk.c): what it decodes must be what protobuf-c decodes,
 * the data must point into the frame, and anything it does not expect
 * (other replies, unknown or repeated fields, wrong wire types, truncated
 * input) must be left to protobuf-c.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "client.h"

/* Pack a ServerMessage into a new buffer. */
static uint8_t *
check_chunk_pack(const server_msg *m, size_t *len)
{
	uint8_t	*buf;

	*len = protobuf_c_message_get_packed_size(&m->base);
	buf = malloc(*len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(protobuf_c_message_pack(&m->base, buf), *len);
	return (buf);
}

/* Decode buf both ways and check the decoder agrees with protobuf-c. */
static void
check_chunk_same(const uint8_t *buf, size_t len)
{
	Runnel__V1__OutputChunk	 o;
	server_msg		 m, *u;

	ck_assert_int_eq(client_chunk_decode(buf, len, &m, &o), 1);
	u = runnel__v1__server_message__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(u->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
	ck_assert_int_eq(m.reply_case, u->reply_case);
	ck_assert_ptr_eq(m.output, &o);
	ck_assert_uint_eq(m.id, u->id);
	ck_assert_uint_eq(o.task_id, u->output->task_id);
	ck_assert_int_eq(o.stream, u->output->stream);
	ck_assert_uint_eq(o.offset, u->output->offset);
	ck_assert_int_eq(o.time_us, u->output->time_us);
	ck_assert_uint_eq(o.data.len, u->output->data.len);
	if (o.data.len > 0) {
		/* In place: a pointer into the frame, not a copy. */
		ck_assert(o.data.data > buf && o.data.data < buf + len);
		ck_assert_mem_eq(o.data.data, u->output->data.data,
		    o.data.len);
	}
	runnel__v1__server_message__free_unpacked(u, NULL);
}

START_TEST(test_chunk_round_trip)
{
	static const struct {
		uint64_t	id, task, offset;
		int		stream;
		int64_t		time_us;
		size_t		len;
	} cases[] = {
		{ 1, 1, 0, RUNNEL__V1__STREAM__STREAM_STDOUT, 1, 1 },
		{ 7, 42, 123456789, RUNNEL__V1__STREAM__STREAM_STDERR,
		    1700000000000000LL, 65536 },
		{ UINT64_MAX, UINT64_MAX, UINT64_MAX,
		    RUNNEL__V1__STREAM__STREAM_STDOUT, -1, 300 },
		{ 0, 0, 0, 0, 0, 0 },			/* all defaults */
		{ 3, 9, 1ULL << 40, RUNNEL__V1__STREAM__STREAM_STDERR, INT64_MIN,
		    127 },
	};
	Runnel__V1__OutputChunk	 o = RUNNEL__V1__OUTPUT_CHUNK__INIT;
	server_msg		 m = RUNNEL__V1__SERVER_MESSAGE__INIT;
	uint8_t			*buf, *data;
	size_t			 i, j, len;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		data = malloc(cases[i].len + 1);
		ck_assert_ptr_nonnull(data);
		for (j = 0; j < cases[i].len; j++)
			data[j] = (uint8_t)(j * 7 + i);
		m.id = cases[i].id;
		m.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
		m.output = &o;
		o.task_id = cases[i].task;
		o.stream = cases[i].stream;
		o.offset = cases[i].offset;
		o.time_us = cases[i].time_us;
		o.data.data = data;
		o.data.len = cases[i].len;
		buf = check_chunk_pack(&m, &len);
		check_chunk_same(buf, len);
		free(buf);
		free(data);
	}
}
END_TEST

/* Fields in another order than protobuf-c writes them are still a chunk. */
START_TEST(test_chunk_field_order)
{
	/* output first (time_us 5, data "hi", stream 2, task 9), then id 4 */
	static const uint8_t frame[] = {
		0x6a, 0x0a, 0x28, 0x05, 0x22, 0x02, 'h', 'i', 0x10, 0x02,
		0x08, 0x09,
		0x08, 0x04,
	};

	check_chunk_same(frame, sizeof frame);
}
END_TEST

/* What the decoder leaves to protobuf-c: it must say 0. */
START_TEST(test_chunk_fall_back)
{
	static const struct {
		const char	*what;
		uint8_t		 b[16];
		size_t		 len;
	} cases[] = {
		{ "no output field", { 0x08, 0x01 }, 2 },
		{ "another reply (watch_end)", { 0x08, 0x01, 0x7a, 0x00 }, 4 },
		{ "output twice", { 0x6a, 0x00, 0x6a, 0x00 }, 4 },
		{ "id twice", { 0x08, 0x01, 0x08, 0x02, 0x6a, 0x00 }, 6 },
		{ "unknown chunk field", { 0x6a, 0x02, 0x30, 0x01 }, 4 },
		{ "repeated chunk field", { 0x6a, 0x04, 0x08, 0x01, 0x08,
		    0x02 }, 6 },
		{ "data as a varint", { 0x6a, 0x02, 0x20, 0x01 }, 4 },
		{ "task_id as bytes", { 0x6a, 0x03, 0x0a, 0x01, 'x' }, 5 },
		{ "data longer than the chunk", { 0x6a, 0x03, 0x22, 0x05,
		    'x', 'y', 'z' }, 7 },
		{ "chunk longer than the frame", { 0x6a, 0x09, 0x08, 0x01 },
		    4 },
		{ "truncated varint", { 0x08, 0x81 }, 2 },
		{ "varint over ten bytes", { 0x08, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x6a, 0x00 },
		    14 },
		{ "empty payload", { 0 }, 0 },
	};
	Runnel__V1__OutputChunk	o;
	server_msg		m;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(client_chunk_decode(cases[i].b, cases[i].len,
		    &m, &o) == 0, "%s: decoded", cases[i].what);
}
END_TEST

/* Every prefix of a valid chunk but the whole is refused or, where it is
 * itself a valid message, decoded the way protobuf-c decodes it. */
START_TEST(test_chunk_prefixes)
{
	Runnel__V1__OutputChunk	 o = RUNNEL__V1__OUTPUT_CHUNK__INIT, o2;
	server_msg		 m = RUNNEL__V1__SERVER_MESSAGE__INIT, m2, *u;
	uint8_t			*buf, data[40];
	size_t			 len, n;

	memset(data, 'z', sizeof data);
	m.id = 300;
	m.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
	m.output = &o;
	o.task_id = 77777;
	o.stream = RUNNEL__V1__STREAM__STREAM_STDERR;
	o.offset = 1ULL << 33;
	o.time_us = -5;
	o.data.data = data;
	o.data.len = sizeof data;
	buf = check_chunk_pack(&m, &len);
	for (n = 0; n < len; n++) {
		if (client_chunk_decode(buf, n, &m2, &o2) == 0)
			continue;
		u = runnel__v1__server_message__unpack(NULL, n, buf);
		ck_assert_msg(u != NULL, "prefix %zu decoded, not by "
		    "protobuf-c", n);
		runnel__v1__server_message__free_unpacked(u, NULL);
		check_chunk_same(buf, n);
	}
	check_chunk_same(buf, len);
	free(buf);
}
END_TEST

static Suite *
check_chunk_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("chunk");
	tc = tcase_create("decode");
	tcase_add_test(tc, test_chunk_round_trip);
	tcase_add_test(tc, test_chunk_field_order);
	tcase_add_test(tc, test_chunk_fall_back);
	tcase_add_test(tc, test_chunk_prefixes);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_chunk_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
