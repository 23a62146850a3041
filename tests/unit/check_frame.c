/*
 * check_frame.c - unit tests of the frame codec: headers split across
 * reads, coalesced frames, zero, oversized and exactly-maximum lengths, and
 * pack/parse/unpack round trips of both message directions.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "common.h"

/* A header followed by len payload bytes of 'x', in a new buffer. */
static uint8_t *
check_frame_make(uint32_t len, size_t *size)
{
	uint8_t	*buf;

	*size = FRAME_HEADER + len;
	buf = malloc(*size);
	ck_assert_ptr_nonnull(buf);
	frame_put_header(buf, len);
	memset(buf + FRAME_HEADER, 'x', len);
	return (buf);
}

START_TEST(test_put_header)
{
	uint8_t	hdr[FRAME_HEADER];

	frame_put_header(hdr, 0x01020304);
	ck_assert_uint_eq(hdr[0], 0x01);
	ck_assert_uint_eq(hdr[1], 0x02);
	ck_assert_uint_eq(hdr[2], 0x03);
	ck_assert_uint_eq(hdr[3], 0x04);
	frame_put_header(hdr, UINT32_MAX);
	ck_assert_uint_eq(hdr[0], 0xff);
	ck_assert_uint_eq(hdr[3], 0xff);
	frame_put_header(hdr, 5);
	ck_assert_int_eq(memcmp(hdr, "\0\0\0\5", 4), 0);
}
END_TEST

START_TEST(test_parse_empty)
{
	uint8_t		buf[1] = { 0 };
	uint32_t	len = 77;

	ck_assert_int_eq(frame_parse(buf, 0, FRAME_DEFAULT_MAX, &len),
	    FRAME_NEED_MORE);
	ck_assert_uint_eq(len, 77);
}
END_TEST

START_TEST(test_parse_split_header)
{
	uint8_t		*buf;
	uint32_t	 len = 0;
	size_t		 size, have;

	buf = check_frame_make(300, &size);
	/* The bytes arrive one at a time. */
	for (have = 0; have < size; have++) {
		ck_assert_int_eq(frame_parse(buf, have, FRAME_DEFAULT_MAX,
		    &len), FRAME_NEED_MORE);
	}
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_DEFAULT_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, 300);
	free(buf);
}
END_TEST

START_TEST(test_parse_partial_payload)
{
	uint8_t		buf[4 + 3] = { 0, 0, 0, 3, 'a', 'b', 'c' };
	uint32_t	len = 0;

	ck_assert_int_eq(frame_parse(buf, 4, 1024, &len), FRAME_NEED_MORE);
	ck_assert_int_eq(frame_parse(buf, 6, 1024, &len), FRAME_NEED_MORE);
	ck_assert_int_eq(frame_parse(buf, 7, 1024, &len), FRAME_OK);
	ck_assert_uint_eq(len, 3);
}
END_TEST

START_TEST(test_parse_coalesced)
{
	/* Two frames and the first byte of a third in one read. */
	uint8_t		buf[] = {
		0, 0, 0, 2, 'h', 'i', 0, 0, 0, 1, '!', 0
	};
	uint32_t	len = 0;
	size_t		off = 0;

	ck_assert_int_eq(frame_parse(buf, sizeof buf, 1024, &len), FRAME_OK);
	ck_assert_uint_eq(len, 2);
	ck_assert_int_eq(memcmp(buf + FRAME_HEADER, "hi", 2), 0);
	off += FRAME_HEADER + len;
	ck_assert_int_eq(frame_parse(buf + off, sizeof buf - off, 1024, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(buf[off + FRAME_HEADER], '!');
	off += FRAME_HEADER + len;
	ck_assert_uint_eq(sizeof buf - off, 1);
	ck_assert_int_eq(frame_parse(buf + off, sizeof buf - off, 1024, &len),
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_parse_zero)
{
	uint8_t		buf[8] = { 0, 0, 0, 0, 1, 2, 3, 4 };
	uint32_t	len = 99;

	ck_assert_int_eq(frame_parse(buf, 4, 1024, &len), FRAME_EZERO);
	ck_assert_int_eq(frame_parse(buf, 8, 1024, &len), FRAME_EZERO);
	ck_assert_uint_eq(len, 99);
}
END_TEST

START_TEST(test_parse_too_big)
{
	uint8_t		buf[4];
	uint32_t	len = 99;

	/* Refused from the header alone: no payload byte is there. */
	frame_put_header(buf, 1025);
	ck_assert_int_eq(frame_parse(buf, 4, 1024, &len), FRAME_ETOOBIG);
	frame_put_header(buf, UINT32_MAX);
	ck_assert_int_eq(frame_parse(buf, 4, FRAME_DEFAULT_MAX, &len),
	    FRAME_ETOOBIG);
	frame_put_header(buf, FRAME_DEFAULT_MAX + 1);
	ck_assert_int_eq(frame_parse(buf, 4, FRAME_DEFAULT_MAX, &len),
	    FRAME_ETOOBIG);
	ck_assert_uint_eq(len, 99);
}
END_TEST

START_TEST(test_parse_exactly_max)
{
	uint8_t		*buf;
	uint32_t	 len = 0;
	size_t		 size;

	buf = check_frame_make(FRAME_MIN_MAX, &size);
	ck_assert_int_eq(frame_parse(buf, 4, FRAME_MIN_MAX, &len),
	    FRAME_NEED_MORE);
	ck_assert_int_eq(frame_parse(buf, size - 1, FRAME_MIN_MAX, &len),
	    FRAME_NEED_MORE);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_MIN_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, FRAME_MIN_MAX);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_MIN_MAX - 1, &len),
	    FRAME_ETOOBIG);
	free(buf);

	buf = check_frame_make(FRAME_DEFAULT_MAX, &size);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_DEFAULT_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, FRAME_DEFAULT_MAX);
	free(buf);
}
END_TEST

START_TEST(test_parse_max_length)
{
	uint8_t		buf[8];
	uint32_t	len = 0;

	/* 4 + UINT32_MAX must not wrap around in the comparison. */
	frame_put_header(buf, UINT32_MAX);
	ck_assert_int_eq(frame_parse(buf, sizeof buf, UINT32_MAX, &len),
	    FRAME_NEED_MORE);
}
END_TEST

START_TEST(test_strerror)
{
	ck_assert_str_eq(frame_strerror(FRAME_EZERO), "frame length is zero");
	ck_assert_str_eq(frame_strerror(FRAME_ETOOBIG),
	    "frame larger than the limit");
	ck_assert_str_eq(frame_strerror(FRAME_NEED_MORE), "frame incomplete");
	ck_assert_str_eq(frame_strerror(FRAME_OK), "frame complete");
	ck_assert_str_eq(frame_strerror((enum frame_result)-42),
	    "unknown frame error");
}
END_TEST

START_TEST(test_pack_client)
{
	Runnel__V1__ClientMessage msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ClientMessage *out;
	Runnel__V1__Hello	 hello = RUNNEL__V1__HELLO__INIT;
	static char		 name[] = "check_frame";
	uint8_t			*buf;
	uint32_t		 len = 0;
	size_t			 size = 0;

	hello.protocol_version = 1;
	hello.client_name = name;
	msg.id = 0x123456789aULL;
	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
	msg.hello = &hello;

	buf = frame_pack_client(&msg, &size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(size, FRAME_HEADER +
	    runnel__v1__client_message__get_packed_size(&msg));
	ck_assert_int_eq(frame_parse(buf, size, FRAME_MIN_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, size - FRAME_HEADER);
	ck_assert_int_eq(frame_parse(buf, size - 1, FRAME_MIN_MAX, &len),
	    FRAME_NEED_MORE);

	out = runnel__v1__client_message__unpack(NULL, len,
	    buf + FRAME_HEADER);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->id, 0x123456789aULL);
	ck_assert_int_eq(out->request_case,
	    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO);
	ck_assert_ptr_nonnull(out->hello);
	ck_assert_uint_eq(out->hello->protocol_version, 1);
	ck_assert_str_eq(out->hello->client_name, "check_frame");
	runnel__v1__client_message__free_unpacked(out, NULL);
	free(buf);
}
END_TEST

START_TEST(test_pack_server)
{
	Runnel__V1__ServerMessage msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__ServerMessage *out;
	Runnel__V1__OutputChunk	 chunk = RUNNEL__V1__OUTPUT_CHUNK__INIT;
	static uint8_t		 data[] = { 'a', 0, 'b', 0xff, '\n' };
	uint8_t			*buf;
	uint32_t		 len = 0;
	size_t			 size = 0;

	chunk.task_id = 42;
	chunk.stream = RUNNEL__V1__STREAM__STREAM_STDERR;
	chunk.offset = 1ULL << 40;
	chunk.data.data = data;
	chunk.data.len = sizeof data;
	chunk.time_us = -1;
	msg.id = 7;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
	msg.output = &chunk;

	buf = frame_pack_server(&msg, &size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_DEFAULT_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(FRAME_HEADER + len, size);

	out = runnel__v1__server_message__unpack(NULL, len,
	    buf + FRAME_HEADER);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out->id, 7);
	ck_assert_int_eq(out->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
	ck_assert_uint_eq(out->output->task_id, 42);
	ck_assert_int_eq(out->output->stream,
	    RUNNEL__V1__STREAM__STREAM_STDERR);
	ck_assert_uint_eq(out->output->offset, 1ULL << 40);
	ck_assert_int_eq(out->output->time_us, -1);
	ck_assert_uint_eq(out->output->data.len, sizeof data);
	ck_assert_int_eq(memcmp(out->output->data.data, data, sizeof data),
	    0);
	runnel__v1__server_message__free_unpacked(out, NULL);
	free(buf);
}
END_TEST

START_TEST(test_pack_empty)
{
	Runnel__V1__ServerMessage msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__WatchEnd	 end = RUNNEL__V1__WATCH_END__INIT;
	uint8_t			*buf;
	uint32_t		 len = 0;
	size_t			 size = 0;

	/* Nothing set packs to zero bytes: no valid frame can carry it. */
	ck_assert_ptr_null(frame_pack_server(&msg, &size));

	/* An empty message in the oneof still has its tag. */
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END;
	msg.watch_end = &end;
	buf = frame_pack_server(&msg, &size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(size, FRAME_HEADER + 2);
	ck_assert_int_eq(frame_parse(buf, size, FRAME_MIN_MAX, &len),
	    FRAME_OK);
	ck_assert_uint_eq(len, 2);
	free(buf);
}
END_TEST

/* Build the suite. */
static Suite *
check_frame_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("frame");
	tc = tcase_create("parse");
	tcase_add_test(tc, test_put_header);
	tcase_add_test(tc, test_parse_empty);
	tcase_add_test(tc, test_parse_split_header);
	tcase_add_test(tc, test_parse_partial_payload);
	tcase_add_test(tc, test_parse_coalesced);
	tcase_add_test(tc, test_parse_zero);
	tcase_add_test(tc, test_parse_too_big);
	tcase_add_test(tc, test_parse_exactly_max);
	tcase_add_test(tc, test_parse_max_length);
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tc = tcase_create("pack");
	tcase_add_test(tc, test_pack_client);
	tcase_add_test(tc, test_pack_server);
	tcase_add_test(tc, test_pack_empty);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite in check's default fork mode (CK_FORK=no to debug). */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_frame_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
