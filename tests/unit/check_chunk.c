/*
 * check_chunk.c - unit tests of the OutputChunk codec (lib/chunk.c).  The
 * in-place decoder librunnel uses: what it decodes must be what protobuf-c
 * decodes, the data must point into the frame, and anything it does not
 * expect (other replies, unknown or repeated fields, wrong wire types,
 * truncated input) must be left to protobuf-c.  The encoder runneld's
 * watch uses: its field numbers must be runnel.proto's, and what it packs
 * must be what protobuf-c packs.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "chunk.h"

/* Pack a ServerMessage into a new buffer. */
static uint8_t *
check_chunk_pack(const Runnel__V1__ServerMessage *m, size_t *len)
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
	Runnel__V1__ServerMessage	 m, *u;

	ck_assert_int_eq(chunk_decode(buf, len, &m, &o), 1);
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
	Runnel__V1__ServerMessage	 m = RUNNEL__V1__SERVER_MESSAGE__INIT;
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
	Runnel__V1__ServerMessage	m;
	size_t			i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(chunk_decode(cases[i].b, cases[i].len,
		    &m, &o) == 0, "%s: decoded", cases[i].what);
}
END_TEST

/* Every prefix of a valid chunk but the whole is refused or, where it is
 * itself a valid message, decoded the way protobuf-c decodes it. */
START_TEST(test_chunk_prefixes)
{
	Runnel__V1__OutputChunk	 o = RUNNEL__V1__OUTPUT_CHUNK__INIT, o2;
	Runnel__V1__ServerMessage	 m = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__ServerMessage	 m2, *u;
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
		if (chunk_decode(buf, n, &m2, &o2) == 0)
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

/* The encoder's field numbers are runnel.proto's, as protobuf-c has them. */
START_TEST(test_chunk_encode_field_numbers)
{
	static const struct {
		const ProtobufCMessageDescriptor	*d;
		const char				*name;
		unsigned				 id;
		ProtobufCType				 type;
	} cases[] = {
		{ &runnel__v1__server_message__descriptor, "id", CHUNK_MSG_ID,
		    PROTOBUF_C_TYPE_UINT64 },
		{ &runnel__v1__server_message__descriptor, "output",
		    CHUNK_MSG_OUTPUT, PROTOBUF_C_TYPE_MESSAGE },
		{ &runnel__v1__output_chunk__descriptor, "task_id",
		    CHUNK_TASK_ID, PROTOBUF_C_TYPE_UINT64 },
		{ &runnel__v1__output_chunk__descriptor, "stream",
		    CHUNK_STREAM, PROTOBUF_C_TYPE_ENUM },
		{ &runnel__v1__output_chunk__descriptor, "offset",
		    CHUNK_OFFSET, PROTOBUF_C_TYPE_UINT64 },
		{ &runnel__v1__output_chunk__descriptor, "data", CHUNK_DATA,
		    PROTOBUF_C_TYPE_BYTES },
		{ &runnel__v1__output_chunk__descriptor, "time_us",
		    CHUNK_TIME_US, PROTOBUF_C_TYPE_INT64 },
	};
	const ProtobufCFieldDescriptor	*f;
	size_t				 i;

	/* Every field of OutputChunk is one the codec knows. */
	ck_assert_uint_eq(runnel__v1__output_chunk__descriptor.n_fields, 5);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		f = protobuf_c_message_descriptor_get_field_by_name(cases[i].d,
		    cases[i].name);
		ck_assert_msg(f != NULL, "%s: no such field", cases[i].name);
		ck_assert_uint_eq(f->id, cases[i].id);
		ck_assert_int_eq(f->type, cases[i].type);
	}
}
END_TEST

/*
 * What chunk_encode_head() and the data behind it make is what protobuf-c
 * packs: the same size, the same fields when protobuf-c unpacks it, and
 * the same bytes when time_us is 0 (the encoder writes time_us before the
 * data, protobuf-c after it).  It also decodes in place.
 */
START_TEST(test_chunk_encode_packing)
{
	static const struct chunk_head cases[] = {
		{ 1, 1, RUNNEL__V1__STREAM__STREAM_STDOUT, 0, 1, 1 },
		{ 7, 42, RUNNEL__V1__STREAM__STREAM_STDERR, 123456789,
		    1700000000000000LL, 65536 },
		{ UINT64_MAX, UINT64_MAX, RUNNEL__V1__STREAM__STREAM_SYSTEM,
		    UINT64_MAX, -1, 300 },
		{ 0, 0, 0, 0, 0, 0 },			/* all defaults */
		{ 3, 9, RUNNEL__V1__STREAM__STREAM_STDERR, 1ULL << 40, 0,
		    127 },
		{ 5, 6, -1, 128, INT64_MIN, 128 },	/* an enum below 0 */
		{ 300, 16384, RUNNEL__V1__STREAM__STREAM_STDOUT, 0, 0, 16384 },
	};
	Runnel__V1__OutputChunk		 o = RUNNEL__V1__OUTPUT_CHUNK__INIT;
	Runnel__V1__OutputChunk		 o2;
	Runnel__V1__ServerMessage	 m = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__ServerMessage	 m2, *u;
	uint8_t				*buf, *ref, *data, *p;
	size_t				 i, j, len, reflen;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		data = malloc(cases[i].len + 1);
		ck_assert_ptr_nonnull(data);
		for (j = 0; j < cases[i].len; j++)
			data[j] = (uint8_t)(j * 13 + i);
		m.id = cases[i].id;
		m.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
		m.output = &o;
		o.task_id = cases[i].task_id;
		o.stream = (Runnel__V1__Stream)cases[i].stream;
		o.offset = cases[i].offset;
		o.time_us = cases[i].time_us;
		o.data.data = data;
		o.data.len = cases[i].len;
		ref = check_chunk_pack(&m, &reflen);

		len = chunk_encoded_len(&cases[i]);
		ck_assert_uint_eq(len, reflen);
		buf = malloc(len + 1);
		ck_assert_ptr_nonnull(buf);
		p = chunk_encode_head(buf, &cases[i]);
		ck_assert_uint_eq((size_t)(p - buf), len - cases[i].len);
		memcpy(p, data, cases[i].len);
		if (cases[i].time_us == 0)
			ck_assert_mem_eq(buf, ref, len);

		u = runnel__v1__server_message__unpack(NULL, len, buf);
		ck_assert_ptr_nonnull(u);
		ck_assert_int_eq(u->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
		ck_assert_uint_eq(u->id, cases[i].id);
		ck_assert_uint_eq(u->output->task_id, cases[i].task_id);
		ck_assert_int_eq((int)u->output->stream, cases[i].stream);
		ck_assert_uint_eq(u->output->offset, cases[i].offset);
		ck_assert_int_eq(u->output->time_us, cases[i].time_us);
		ck_assert_uint_eq(u->output->data.len, cases[i].len);
		if (cases[i].len > 0)
			ck_assert_mem_eq(u->output->data.data, data,
			    cases[i].len);
		runnel__v1__server_message__free_unpacked(u, NULL);

		ck_assert_int_eq(chunk_decode(buf, len, &m2, &o2), 1);
		ck_assert_uint_eq(m2.id, cases[i].id);
		ck_assert_uint_eq(o2.task_id, cases[i].task_id);
		ck_assert_int_eq((int)o2.stream, cases[i].stream);
		ck_assert_uint_eq(o2.offset, cases[i].offset);
		ck_assert_int_eq(o2.time_us, cases[i].time_us);
		ck_assert_uint_eq(o2.data.len, cases[i].len);
		if (cases[i].len > 0)
			ck_assert_ptr_eq(o2.data.data, p);
		free(buf);
		free(ref);
		free(data);
	}
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
	tc = tcase_create("encode");
	tcase_add_test(tc, test_chunk_encode_field_numbers);
	tcase_add_test(tc, test_chunk_encode_packing);
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
