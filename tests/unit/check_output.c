/*
 * check_output.c - the output log: offsets, streams, seeking, and reads
 * served from the in-memory tail and from the spool file alike.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "runneld.h"
#include "output.h"

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

/* The whole log, read from its start, is want's len bytes. */
static void
assert_reads_back(struct output *o, const uint8_t *want, uint8_t *got,
    size_t cap, size_t len)
{
	struct output_cursor	c;

	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	ck_assert_uint_eq(read_all(o, &c, got, cap, NULL), len);
	ck_assert(memcmp(want, got, len) == 0);
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

/* Descriptors the process has open: one directory read, not a probe per
 * possible descriptor (300 calls of 1,024 probes each outlasted check's
 * timeout on a loaded machine). */
static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own */
}

/* A spool file left by an earlier task of the same id is emptied when
 * the new log first writes, not appended to. */
START_TEST(test_leftover_spool_emptied)
{
	struct output	*o;
	char		*cause = NULL;
	FILE		*f;

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("stale bytes of an earlier run, longer than a record", f);
	fclose(f);
	o = output_create(path, 4096, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_append(o, 0, "hi", 2, 0), 0);
	output_free(o);
	o = output_open(path, 4096, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(output_size(o), 2);
	output_free(o);
}
END_TEST

START_TEST(test_ring_grows_and_reopens)
{
	struct output		*o;
	struct output_cursor	 c, live;
	char			*cause = NULL;
	static uint8_t		 want[1024 * 1024], got[sizeof want];
	size_t			 len = 0, n, i, total;
	int			 fds;

	/* A log holds no descriptor, and has no file, until it has output;
	 * then a leftover file of the same name is emptied. */
	unlink(path);
	fds = count_fds();
	o = output_create(path, 256 * 1024, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(count_fds(), fds);
	ck_assert_int_eq(access(path, F_OK), -1);
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
		if (len == 0)
			ck_assert_int_eq(access(path, F_OK), 0);
		total = read_all(o, &live, got + len, sizeof got - len, NULL);
		ck_assert_uint_eq(total, n);
		ck_assert(memcmp(want + len, got + len, n) == 0);
		len += n;
	}
	ck_assert_int_eq(count_fds(), fds + 1);
	assert_reads_back(o, want, got, sizeof got, len);
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
	assert_reads_back(o, want, got, sizeof got, len);
	/* A retry appends to it: the new bytes follow the old ones. */
	memcpy(want + len, "retry\n", 6);
	ck_assert_int_eq(output_append(o, 1, want + len, 6, 0), 0);
	len += 6;
	assert_reads_back(o, want, got, sizeof got, len);
	output_free(o);
}
END_TEST

static int	resumed;

/* The log has room again. */
static void
resume_cb(void *arg)
{
	(void)arg;
	resumed = 1;
}

/* Room for a read, as runneld's pipe reader waits for it: run the loop
 * until the writer has made room.  Returns the room. */
static size_t
wait_room(struct output *o)
{
	if (output_room(o) < output_room_min(o)) {
		resumed = 0;
		output_wait_room(o, resume_cb, NULL);
		while (!resumed)
			event_base_loop(server.base, EVLOOP_ONCE);
	}
	return output_room(o);
}

START_TEST(test_pipe_into_ring_with_writer)
{
	struct output		*o;
	struct output_cursor	 live;
	char			*cause = NULL;
	static uint8_t		 want[4 * 1024 * 1024], got[sizeof want];
	size_t			 len = 0, n, i, room, total, max;
	ssize_t			 r;
	int			 p[2];

	/* As runneld runs it: the spool writer thread, a pipe read straight
	 * into the ring, and a reader that waits for room when the writer
	 * is behind. */
	server.base = event_base_new();
	ck_assert_ptr_nonnull(server.base);
	ck_assert_int_eq(event_base_priority_init(server.base, PRI_COUNT), 0);
	output_writer_start();
	o = output_create(path, OUTPUT_TAIL, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_seek(o, &live, 0), 0);
	ck_assert_int_eq(pipe(p), 0);
	srandom(13);
	while (len < sizeof want - READ_BUDGET) {
		n = random() % 3 == 0 ? (size_t)(random() % 200 + 1) :
		    (size_t)(random() % READ_BUDGET + 1);
		for (i = 0; i < n; i++)
			want[len + i] = random();
		ck_assert_int_eq(write(p[1], want + len, n), (ssize_t)n);
		room = wait_room(o);
		max = room - 64 < READ_BUDGET ? room - 64 : READ_BUDGET;
		r = output_append_fd(o, (int)(n % 2), p[0], max, 0);
		ck_assert_int_eq(r, (ssize_t)n);
		/* Every other chunk is read at once, from the ring. */
		if (len % 2 == 0) {
			total = read_all(o, &live, got + live.offset,
			    sizeof got - live.offset, NULL);
			ck_assert(memcmp(want + live.offset - total,
			    got + live.offset - total, total) == 0);
		}
		len += n;
	}
	ck_assert_uint_eq(output_size(o), len);
	/* From the start: most of it from the spool the writer wrote. */
	assert_reads_back(o, want, got, sizeof got, len);
	/* As at exit: the writer writes out what is left, then stops. */
	output_writer_stop();
	output_free(o);
	close(p[0]);
	close(p[1]);

	/* What the writer wrote is what a restarted daemon reads. */
	o = output_open(path, OUTPUT_TAIL, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(output_size(o), len);
	assert_reads_back(o, want, got, sizeof got, len);
	output_free(o);
	event_base_free(server.base);
	server.base = NULL;
}
END_TEST

/* A flooding task's log reads a quarter of a bigger ring at a time; once
 * the task has ended and the writer has caught up, the ring is given back
 * and every byte still reads back, from the spool.  A log whose spool
 * failed keeps its ring: it is all there is. */
START_TEST(test_flood_then_release)
{
	struct output		*o;
	char			*cause = NULL;
	static uint8_t		 want[3 * 1024 * 1024], got[sizeof want];
	size_t			 len = 0, n, i, budget;
	int			 p[2], turns;

	server.base = event_base_new();
	ck_assert_ptr_nonnull(server.base);
	ck_assert_int_eq(event_base_priority_init(server.base, PRI_COUNT), 0);
	output_writer_start();
	o = output_create(path, OUTPUT_TAIL, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(output_read_budget(o), OUTPUT_TAIL / 4);
	output_flood(o);
	budget = output_read_budget(o);
	ck_assert_uint_eq(budget, OUTPUT_FLOOD_TAIL / 4);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETPIPE_SZ, (int)budget) >= (int)budget,
	    1);
	srandom(17);
	while (len < sizeof want) {
		n = sizeof want - len < budget ? sizeof want - len : budget;
		for (i = 0; i < n; i++)
			want[len + i] = random();
		ck_assert_int_eq(write(p[1], want + len, n), (ssize_t)n);
		(void)wait_room(o);
		ck_assert_int_eq(output_append_fd(o, 0, p[0], n, 0),
		    (ssize_t)n);
		len += n;
	}
	ck_assert_uint_ge(o->alloc, budget * 2);
	output_end(o);
	for (turns = 0; o->ring != NULL && turns < 50; turns++)
		event_base_loop(server.base, EVLOOP_ONCE);
	ck_assert_ptr_null(o->ring);
	ck_assert_uint_eq(output_read_budget(o), OUTPUT_TAIL / 4);
	assert_reads_back(o, want, got, sizeof got, len);
	output_writer_stop();
	output_free(o);
	close(p[0]);
	close(p[1]);

	o = output_create("/nonexistent/dir/1.log", 1024, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_append(o, 0, "kept", 4, 0), 0);
	output_end(o);
	ck_assert_ptr_nonnull(o->ring);
	output_free(o);
	event_base_free(server.base);
	server.base = NULL;
}
END_TEST

/* A spool that cannot be made fails the log at its first output: a
 * SYSTEM notice says why, and the bytes stay in the in-memory tail. */
START_TEST(test_create_fails_cleanly)
{
	struct output		*o;
	struct output_cursor	 c;
	char			*cause = NULL;
	uint8_t			 got[1024];
	int			 streams[sizeof got];
	size_t			 n;
	const char		*want = "runnel: cannot write this task's "
	    "output to disk (No such file or directory)";

	o = output_create("/nonexistent/dir/1.log", 1024, &cause);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(output_append(o, 0, "hello", 5, 0), 0);
	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	n = read_all(o, &c, got, sizeof got - 1, streams);
	got[n] = '\0';
	ck_assert_msg(strncmp((char *)got, want, strlen(want)) == 0, "%s", got);
	ck_assert_int_eq(streams[0], RUNNEL__V1__STREAM__STREAM_SYSTEM);
	ck_assert_str_eq((char *)got + n - 5, "hello");
	ck_assert_int_eq(streams[n - 1], 0);
	output_free(o);
}
END_TEST

static int	records;

/* The trim's journal record: always written. */
static int
record_cb(void *arg)
{
	(void)arg;
	records++;
	return 0;
}

/* Read the whole log from offset 0: what is kept must be want's first
 * head bytes, one drop at offset head that ends at len - tail, and want's
 * last tail bytes. */
static void
assert_trimmed(struct output *o, const uint8_t *want, size_t len,
    size_t head, size_t tail)
{
	struct output_cursor	 c;
	static uint8_t		 got[1024 * 1024];
	size_t			 total = 0, drops = 0;
	ssize_t			 n;
	int			 stream;
	uint64_t		 offset, expect = 0;
	int64_t			 t;

	ck_assert_uint_eq(output_size(o), len);
	ck_assert_uint_eq(output_dropped(o), len - head - tail);
	ck_assert_int_eq(output_seek(o, &c, 0), 0);
	for (;;) {
		n = output_read(o, &c, got + total, 4093, &stream, &offset,
		    &t);
		if (n == 0)
			break;
		if (n == OUTPUT_DROPPED) {
			ck_assert_uint_eq(offset, head);
			ck_assert_uint_eq(c.offset, len - tail);
			expect = c.offset;
			drops++;
			continue;
		}
		ck_assert_int_gt(n, 0);
		ck_assert_uint_eq(offset, expect);
		expect += n;
		total += n;
	}
	ck_assert_uint_eq(drops, head + tail < len ? 1 : 0);
	ck_assert_uint_eq(total, head + tail);
	ck_assert(memcmp(got, want, head) == 0);
	ck_assert(memcmp(got + head, want + len - tail, tail) == 0);
	/* Into the hole: at its end. */
	if (head + tail < len) {
		ck_assert_int_eq(output_seek(o, &c, head + 1), 0);
		ck_assert_uint_eq(c.offset, len - tail);
	}
}

START_TEST(test_trim_is_a_bound)
{
	struct output	*o;
	char		*cause = NULL;
	static uint8_t	 want[1024 * 1024];
	uint64_t	 drop[4];
	size_t		 len = 0, i, n;
	int		 removed;

	for (i = 0; i < sizeof want; i++)
		want[i] = (uint8_t)(i % 251);
	o = output_create(path, 256 * 1024, &cause);
	ck_assert_ptr_nonnull(o);
	/* One write of 1000 bytes under max 400: both cuts inside it. */
	ck_assert_int_eq(output_append(o, 0, want, 1000, 0), 0);
	len = 1000;
	records = 0;
	ck_assert_int_eq(output_trim(o, 400, record_cb, NULL), 1);
	assert_trimmed(o, want, len, 200, 200);
	ck_assert_int_eq(output_trim(o, 400, record_cb, NULL), 0);
	/* Reopened with the range the journal has: the same. */
	output_drop_range(o, drop, &removed);
	output_free(o);
	o = output_open(path, 256 * 1024, drop, removed, 0, &cause);
	ck_assert_ptr_nonnull(o);
	assert_trimmed(o, want, len, 200, 200);
	/* More writes of every size: the hole grows at its end, the kept
	 * bytes stay exactly 400. */
	srandom(5);
	while (len < 600 * 1024) {
		n = (size_t)(random() % 20000 + 1);
		ck_assert_int_eq(output_append(o, 1, want + len, n, 0), 0);
		len += n;
		output_trim(o, 400, record_cb, NULL);
		assert_trimmed(o, want, len, 200, 200);
	}
	/* The journal was asked for the range in steps, not every time. */
	ck_assert_int_ge(records, 1);
	ck_assert_int_le(records, 600 * 1024 / (256 * 1024) + 1);
	output_drop_range(o, drop, &removed);
	output_free(o);
	o = output_open(path, 256 * 1024, drop, removed, 0, &cause);
	ck_assert_ptr_nonnull(o);
	assert_trimmed(o, want, len, 200, 200);
	output_free(o);
}
END_TEST

/* Read a whole log into buf (up to cap bytes); its length, or -1 with
 * errno if a read failed. */
static ssize_t
read_log(struct output *o, uint8_t *buf, size_t cap)
{
	struct output_cursor	c;
	size_t			total = 0;
	ssize_t			n;
	int			stream;
	uint64_t		offset;
	int64_t			t;

	if (output_seek(o, &c, 0) == -1)
		return -1;
	while ((n = output_read(o, &c, buf + total, cap - total, &stream,
	    &offset, &t)) > 0)
		total += n;
	return n == 0 ? (ssize_t)total : -1;
}

#define NLOGS	100

/*
 * Finished tasks hold no descriptor: a log's spool is closed when its task
 * ends, and one read again is kept open only among the 32 most recently
 * read.  Every log still reads back whole, an evicted one too; out of
 * descriptors, those kept for readers are given back; a spool removed
 * from under runneld fails the read with ENOENT instead of being made
 * again empty.
 */
START_TEST(test_finished_logs_hold_no_fds)
{
	static struct output	*logs[NLOGS];
	struct rlimit		 rl;
	char			 lpath[NLOGS][128], want[64];
	uint8_t			 got[64];
	char			*cause = NULL;
	int			 fds, i, len, fill[64], nfill;

	fds = count_fds();
	for (i = 0; i < NLOGS; i++) {
		snprintf(lpath[i], sizeof lpath[i], "%s/%d.log", dir, i + 2);
		logs[i] = output_create(lpath[i], 4096, &cause);
		ck_assert_ptr_nonnull(logs[i]);
		len = snprintf(want, sizeof want, "task %d says hello\n", i);
		ck_assert_int_eq(output_append(logs[i], 0, want, len, 0), 0);
		ck_assert_int_eq(count_fds(), fds + 1);	/* the writer's */
		output_end(logs[i]);
		ck_assert_ptr_null(logs[i]->ring);
		ck_assert_int_eq(count_fds(), fds);
	}
	/* Read twice over, in order: at most 32 stay open. */
	for (i = 0; i < 2 * NLOGS; i++) {
		len = snprintf(want, sizeof want, "task %d says hello\n",
		    i % NLOGS);
		ck_assert_int_eq(read_log(logs[i % NLOGS], got, sizeof got),
		    len);
		ck_assert(memcmp(got, want, len) == 0);
		ck_assert_int_eq(count_fds(), fds + (i < 32 ? i + 1 : 32));
		ck_assert_uint_eq(output_fd_count(), i < 32 ? i + 1 : 32);
	}
	/* The most recently read stays open; reading it costs nothing. */
	ck_assert_int_eq(logs[NLOGS - 1]->reading, 1);
	ck_assert_int_eq(logs[0]->fd, -1);

	/* No descriptor left: the 32 kept for readers are given back. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = fds + 32 + 16;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (nfill = 0; nfill < (int)(sizeof fill / sizeof fill[0]); nfill++)
		if ((fill[nfill] = open("/dev/null", O_RDONLY |
		    O_CLOEXEC)) == -1)
			break;
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_int_ge(nfill, 1);
	len = snprintf(want, sizeof want, "task 0 says hello\n");
	ck_assert_int_eq(read_log(logs[0], got, sizeof got), len);
	ck_assert(memcmp(got, want, len) == 0);
	ck_assert_uint_eq(output_fd_count(), 1);
	while (nfill > 0)
		close(fill[--nfill]);

	/* Removed from under runneld: the read says so, no file is made. */
	ck_assert_int_eq(unlink(lpath[1]), 0);
	errno = 0;
	ck_assert_int_eq(read_log(logs[1], got, sizeof got), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(access(lpath[1], F_OK), -1);

	for (i = 0; i < NLOGS; i++) {
		output_free(logs[i]);
		unlink(lpath[i]);
	}
	ck_assert_uint_eq(output_fd_count(), 0);
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
	tcase_add_test(tc, test_leftover_spool_emptied);
	tcase_add_test(tc, test_pipe_into_ring_with_writer);
	tcase_add_test(tc, test_create_fails_cleanly);
	tcase_add_test(tc, test_flood_then_release);
	tcase_add_test(tc, test_trim_is_a_bound);
	tcase_add_test(tc, test_finished_logs_hold_no_fds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
