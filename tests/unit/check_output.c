/*
 * check_output.c - the output log: offsets, streams, seeking, and reads
 * served from the in-memory tail and from the spool file alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "runneld.h"

static char	dir[64];
static char	path[128];

static void
setup(void)
{
	strcpy(dir, "/tmp/check_output.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/1.log", dir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* Read everything from a cursor, checking offsets are contiguous. */
static size_t
read_all(struct output *o, struct output_cursor *c, uint8_t *buf, size_t cap,
    int *streams)
{
	size_t		total = 0, i;
	ssize_t		n;
	int		stream;
	uint64_t	offset, expect = c->offset;
	int64_t		t;

	while ((n = output_read(o, c, buf + total, cap - total > 4093 ? 4093 :
	    cap - total, &stream, &offset, &t)) > 0) {
		ck_assert_uint_eq(offset, expect);
		for (i = 0; streams != NULL && i < (size_t)n; i++)
			streams[total + i] = stream;
		expect += n;
		total += n;
	}
	ck_assert_int_eq(n, 0);
	return total;
}

START_TEST(test_offsets_and_streams)
{
	struct output		*o;
	struct output_cursor	 c;
	char			*cause = NULL;
	uint8_t			 buf[64];
	ssize_t			 n;
	int			 stream;
	uint64_t		 offset;
	int64_t			 t;

	o = output_create(path, 4096, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_append(o, 0, "hello ", 6, 100), 0);
	ck_assert_int_eq(output_append(o, 1, "oops\n", 5, 200), 0);
	ck_assert_int_eq(output_append(o, 0, "world\n", 6, 300), 0);
	ck_assert_uint_eq(output_size(o), 17);

	ck_assert_int_eq(output_seek(o, &c, 8), 0);
	n = output_read(o, &c, buf, sizeof buf, &stream, &offset, &t);
	ck_assert_int_eq(n, 3);
	ck_assert(memcmp(buf, "ps\n", 3) == 0);
	ck_assert_int_eq(stream, 1);
	ck_assert_uint_eq(offset, 8);
	ck_assert_int_eq(t, 200);
	n = output_read(o, &c, buf, sizeof buf, &stream, &offset, &t);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(stream, 0);
	ck_assert_uint_eq(offset, 11);
	ck_assert_int_eq(output_read(o, &c, buf, sizeof buf, &stream, &offset,
	    &t), 0);
	/* Past the end: at the end, and new data arrives there. */
	ck_assert_int_eq(output_seek(o, &c, 1000), 0);
	ck_assert_uint_eq(c.offset, 17);
	output_append(o, 1, "more", 4, 400);
	n = output_read(o, &c, buf, sizeof buf, &stream, &offset, &t);
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(offset, 17);
	output_free(o);
}
END_TEST

START_TEST(test_spool_and_tail_agree)
{
	struct output		*o;
	struct output_cursor	 c;
	char			*cause = NULL;
	static uint8_t		 want[2 * 1024 * 1024], got[sizeof want];
	static int		 streams[sizeof want], wstreams[sizeof want];
	size_t			 len = 0, n, i, total;

	/* A small tail: most reads come from the spool file. */
	o = output_create(path, 1000, &cause);
	ck_assert_ptr_nonnull(o);
	srandom(7);
	while (len < sizeof want - 70000) {
		n = random() % 70000 + 1;
		for (i = 0; i < n; i++)
			want[len + i] = random();
		for (i = 0; i < n; i++)
			wstreams[len + i] = n % 2;
		ck_assert_int_eq(output_append(o, n % 2, want + len, n, 0), 0);
		len += n;
	}
	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	total = read_all(o, &c, got, sizeof got, streams);
	ck_assert_uint_eq(total, len);
	ck_assert(memcmp(want, got, len) == 0);
	ck_assert(memcmp(wstreams, streams, len * sizeof *streams) == 0);
	/* Seeking to arbitrary offsets lands exactly. */
	for (i = 0; i < 50; i++) {
		uint64_t	off = random() % len;

		ck_assert_int_eq(output_seek(o, &c, off), 0);
		total = read_all(o, &c, got, sizeof got, NULL);
		ck_assert_uint_eq(total, len - off);
		ck_assert(memcmp(want + off, got, total) == 0);
	}
	ck_assert_uint_le(output_tail_offset(o), len);
	output_free(o);
}
END_TEST

/* Descriptors the process has open. */
static int
count_fds(void)
{
	char	 fdpath[64];
	int	 fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
		if (access(fdpath, F_OK) == 0)
			n++;
	}
	return n;
}

START_TEST(test_ring_grows_and_reopens)
{
	struct output		*o;
	struct output_cursor	 c, live;
	char			*cause = NULL;
	static uint8_t		 want[1024 * 1024], got[sizeof want];
	size_t			 len = 0, n, i, total;
	int			 fds;

	/* A log holds no descriptor until it has output. */
	fds = count_fds();
	o = output_create(path, 256 * 1024, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(output_seek(o, &live, 0), 0);
	/* Chunks from a few bytes to 64 KiB: the ring starts small and
	 * doubles; a reader that follows the end reads each chunk right after
	 * it is appended, across every growth. */
	srandom(11);
	while (len < sizeof want - 65536) {
		n = len < 8192 ? (size_t)(random() % 100 + 1) :
		    (size_t)(random() % 65536 + 1);
		for (i = 0; i < n; i++)
			want[len + i] = random();
		ck_assert_int_eq(output_append(o, 0, want + len, n, 0), 0);
		total = read_all(o, &live, got + len, sizeof got - len, NULL);
		ck_assert_uint_eq(total, n);
		ck_assert(memcmp(want + len, got + len, n) == 0);
		len += n;
	}
	ck_assert_int_eq(count_fds(), fds + 1);
	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	ck_assert_uint_eq(read_all(o, &c, got, sizeof got, NULL), len);
	ck_assert(memcmp(want, got, len) == 0);
	output_free(o);
	ck_assert_int_eq(count_fds(), fds);

	/* Reopened (a restarted daemon): same bytes, from the start and from
	 * the tail, and again no descriptor until it is read. */
	o = output_open(path, 256 * 1024, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_uint_eq(output_size(o), len);
	ck_assert_int_eq(output_seek(o, &c, output_tail_offset(o)), 0);
	total = read_all(o, &c, got, sizeof got, NULL);
	ck_assert_uint_eq(total, 128 * 1024);
	ck_assert(memcmp(want + len - total, got, total) == 0);
	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	ck_assert_uint_eq(read_all(o, &c, got, sizeof got, NULL), len);
	ck_assert(memcmp(want, got, len) == 0);
	output_free(o);
}
END_TEST

START_TEST(test_create_fails_cleanly)
{
	char	*cause = NULL;

	ck_assert_ptr_null(output_create("/nonexistent/dir/1.log", 1024,
	    &cause));
	ck_assert_str_eq(cause,
	    "/nonexistent/dir/1.log: No such file or directory");
	free(cause);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("output");
	TCase	*tc = tcase_create("output");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_offsets_and_streams);
	tcase_add_test(tc, test_spool_and_tail_agree);
	tcase_add_test(tc, test_ring_grows_and_reopens);
	tcase_add_test(tc, test_create_fails_cleanly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
