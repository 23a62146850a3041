/*
 * check_memory.c - what runneld holds for one connection is bounded: before
 * Hello a frame may have 16 KiB (a header announcing more closes the
 * connection at once, and a flood of such peers leaves the daemon's RSS
 * where it was), after Hello max_frame; and a client that sends requests
 * without reading the replies has its requests wait once 1 MiB of replies
 * is queued, then gets every reply, in order, once it reads.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "harness.h"
#include "rawc.h"

#define MEM_PREHELLO	16384		/* the frame limit before Hello */
#define MEM_FLOOD_CONNS	64		/* peers of the pre-Hello flood */
#define MEM_FLOOD_FRAME	(4U << 20)	/* each announces 4 MiB ... */
#define MEM_FLOOD_SEND	(1U << 20)	/* ... and tries to send 1 MiB of it */
#define MEM_TASKS	40		/* tasks each List describes */
#define MEM_ARG		8192		/* bytes of each task's argument */
#define MEM_LISTS	200		/* unread List requests */

static struct harness	h;

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

/* The daemon's resident set, in KiB. */
static long
mem_rss_kib(void)
{
	char	 path[64], line[256];
	FILE	*f;
	long	 kib = -1;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)h.pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kib, 0);
	return kib;
}

/* A 4-byte frame header for len. */
static void
mem_header(uint8_t hdr[4], uint32_t len)
{
	hdr[0] = len >> 24;
	hdr[1] = len >> 16;
	hdr[2] = len >> 8;
	hdr[3] = len;
}

/* Read all a closing connection sends (its last Error) until EOF or a
 * reset; return the message. */
static Runnel__V1__ServerMessage *
mem_read_last(int fd)
{
	struct rawc			 rc = { .fd = fd, .next_id = 0 };
	Runnel__V1__ServerMessage	*m;
	char				 b;
	ssize_t				 n;

	m = rawc_recv(&rc);
	ck_assert_ptr_nonnull(m);
	n = read(fd, &b, 1);
	ck_assert_msg(n == 0 || (n == -1 && errno == ECONNRESET),
	    "read after the error: %zd", n);
	return m;
}

/* Send a frame header and payload bytes (0xff) on a new unix connection
 * before Hello; expect an Error ERROR_PROTOCOL with this text, and the
 * close. */
static void
mem_prehello_expect(uint32_t len, size_t payload, const char *text)
{
	Runnel__V1__ServerMessage	*m;
	uint8_t				 f[4 + MEM_PREHELLO];
	int				 fd = harness_raw_unix(&h);

	ck_assert_uint_le(payload, MEM_PREHELLO);
	mem_header(f, len);
	memset(f + 4, 0xff, payload);
	ck_assert_int_eq(send(fd, f, 4 + payload, MSG_NOSIGNAL),
	    (ssize_t)(4 + payload));
	m = mem_read_last(fd);
	ck_assert_int_eq(m->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_uint_eq(m->id, 0);
	ck_assert_int_eq(m->error->code, RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL);
	ck_assert_str_eq(m->error->message, text);
	rawc_free(m);
	close(fd);
}

START_TEST(test_prehello_limit)
{
	struct rawc		 rc;
	Runnel__V1__TaskSpec	*spec;
	char			*big;
	const char		*argv[] = { "true", NULL, NULL };
	uint64_t		 id;

	/* One byte over 16 KiB is refused from its header, 4 MiB (the
	 * limit after Hello) too; 16 KiB is a frame, here a bad one. */
	mem_prehello_expect(MEM_PREHELLO + 1, 8, "frame larger than the limit");
	mem_prehello_expect(MEM_FLOOD_FRAME, 8, "frame larger than the limit");
	mem_prehello_expect(MEM_PREHELLO, MEM_PREHELLO, "malformed message");

	/* After Hello, frames up to max_frame (4 MiB) are read: a 200 KiB
	 * argument (max_argv is 256 KiB) is submitted. */
	rawc_open(&rc, &h);
	big = malloc(200 << 10);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', (200 << 10) - 1);
	big[(200 << 10) - 1] = '\0';
	argv[1] = big;
	spec = rawc_spec(argv);
	id = rawc_submit(&rc, spec, NULL);
	ck_assert_uint_eq(id, 1);
	rawc_spec_free(spec);
	free(big);
	rawc_close(&rc);
}
END_TEST

START_TEST(test_prehello_flood)
{
	struct pollfd			 pfd[MEM_FLOOD_CONNS];
	size_t				 sent[MEM_FLOOD_CONNS];
	int				 done[MEM_FLOOD_CONNS];
	Runnel__V1__ServerMessage	*m;
	struct rawc			 rc;
	static uint8_t			 junk[64 * 1024];
	uint8_t				 hdr[4];
	long				 before, after;
	ssize_t				 n;
	int				 i, left = MEM_FLOOD_CONNS;

	/* Warm up: one connection through Hello and a reply. */
	rawc_open(&rc, &h);
	rawc_close(&rc);
	before = mem_rss_kib();

	/* Every peer announces a 4 MiB frame and pushes what it can of it,
	 * all at once. */
	memset(junk, 'x', sizeof junk);
	mem_header(hdr, MEM_FLOOD_FRAME);
	for (i = 0; i < MEM_FLOOD_CONNS; i++) {
		pfd[i].fd = harness_raw_unix(&h);
		ck_assert_int_eq(fcntl(pfd[i].fd, F_SETFL, O_NONBLOCK), 0);
		ck_assert_int_eq(send(pfd[i].fd, hdr, 4, MSG_NOSIGNAL), 4);
		pfd[i].events = POLLIN | POLLOUT;
		sent[i] = 0;
		done[i] = 0;
	}
	while (left > 0) {
		ck_assert_int_gt(poll(pfd, MEM_FLOOD_CONNS,
		    (int)harness_ms(10000)), 0);
		for (i = 0; i < MEM_FLOOD_CONNS; i++) {
			if (done[i])
				continue;
			if (pfd[i].revents & POLLOUT) {
				n = send(pfd[i].fd, junk, sizeof junk,
				    MSG_NOSIGNAL);
				if (n > 0)
					sent[i] += n;
				if ((n == -1 && errno != EAGAIN) ||
				    sent[i] >= MEM_FLOOD_SEND)
					pfd[i].events &= ~POLLOUT;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ck_assert_int_eq(fcntl(pfd[i].fd, F_SETFL, 0),
				    0);
				m = mem_read_last(pfd[i].fd);
				ck_assert_int_eq(m->reply_case,
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
				ck_assert_str_eq(m->error->message,
				    "frame larger than the limit");
				rawc_free(m);
				close(pfd[i].fd);
				pfd[i].fd = -1;
				done[i] = 1;
				left--;
			}
		}
	}
	/* Closed from the header: none got its megabyte through (what
	 * went out sits in the socket's buffers at most). */
	for (i = 0; i < MEM_FLOOD_CONNS; i++)
		ck_assert_uint_lt(sent[i], MEM_FLOOD_SEND);

	/* The daemon serves on; it did not buffer 64 MiB (valgrind's RSS
	 * says nothing of the daemon's). */
	rawc_open(&rc, &h);
	rawc_close(&rc);
	after = mem_rss_kib();
	if (!harness_wrapped())
		ck_assert_msg(after - before < 8 * 1024,
		    "RSS %ld KiB before the flood, %ld after", before, after);
}
END_TEST

/* Add a line to the [limits] of the daemon's config and reload it. */
static void
mem_reload_limit(const char *line)
{
	char	*conf, *at, *text;
	FILE	*f;
	long	 n;

	f = fopen(h.conf, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	conf = calloc(1, n + 1);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(fread(conf, 1, n, f), n);
	fclose(f);
	at = strstr(conf, "[limits]\n");
	ck_assert_ptr_nonnull(at);
	at += strlen("[limits]\n");
	ck_assert_int_ge(asprintf(&text, "%.*s%s\n%s", (int)(at - conf), conf,
	    line, at), 0);
	harness_write_file(h.conf, text);
	free(text);
	free(conf);
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_int_eq(harness_wait_log(&h, "reloaded"), 0);
}

START_TEST(test_reload_frame_limit)
{
	struct rawc			 rc;
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	char				*big;
	const char			*argv[] = { "true", NULL, NULL };
	const size_t			 len = 5U << 20;

	/* A connection past Hello under the default 4 MiB; then max_frame
	 * grows to 8 MiB: a 5 MiB frame on it is read whole (and its
	 * argument refused by max_argv, the connection going on). */
	rawc_open(&rc, &h);
	mem_reload_limit("max_frame = 8m");
	big = malloc(len);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', len - 1);
	big[len - 1] = '\0';
	argv[1] = big;
	spec = rawc_spec(argv);
	sr.spec = spec;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	m.submit = &sr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code,
	    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	rawc_free(r);
	rawc_spec_free(spec);
	free(big);
	argv[1] = "small";
	spec = rawc_spec(argv);
	ck_assert_uint_eq(rawc_submit(&rc, spec, NULL), 1);
	rawc_spec_free(spec);
	rawc_close(&rc);
}
END_TEST

/* A List of every task, as a frame. */
static uint8_t *
mem_list_frame(uint64_t id, size_t *len)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	uint8_t				*f;

	m.id = id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	f = frame_pack_client(&m, len);
	ck_assert_ptr_nonnull(f);
	return f;
}

/* Expect a List reply with this id describing every task. */
static void
mem_expect_list(Runnel__V1__ServerMessage *r, uint64_t id)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, id);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST);
	ck_assert_uint_eq(r->list->n_tasks, MEM_TASKS);
	ck_assert_uint_eq(r->list->tasks[0]->argv[1].len, MEM_ARG);
	rawc_free(r);
}

START_TEST(test_unread_replies)
{
	struct rawc			 rc, other;
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint8_t				*all, *f;
	char				*arg;
	const char			*argv[] = { "true", NULL, NULL };
	size_t				 len, off = 0;
	long				 before, during;
	ssize_t				 n;
	uint64_t			 first;
	int				 i;

	/* Tasks with 8 KiB arguments: each List reply is over 320 KiB. */
	rawc_open(&rc, &h);
	arg = malloc(MEM_ARG + 1);
	ck_assert_ptr_nonnull(arg);
	memset(arg, 'a', MEM_ARG);
	arg[MEM_ARG] = '\0';
	argv[1] = arg;
	spec = rawc_spec(argv);
	for (i = 0; i < MEM_TASKS; i++)
		ck_assert_uint_ne(rawc_submit(&rc, spec, NULL), 0);
	rawc_spec_free(spec);
	free(arg);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	r = rawc_call(&rc, &m);
	mem_expect_list(r, rc.next_id);
	before = mem_rss_kib();

	/* 200 Lists (64 MiB of replies) in one write, none read. */
	first = rc.next_id + 1;
	all = malloc(MEM_LISTS * 16);
	ck_assert_ptr_nonnull(all);
	for (i = 0; i < MEM_LISTS; i++) {
		f = mem_list_frame(++rc.next_id, &len);
		ck_assert_uint_le(len, 16);
		memcpy(all + off, f, len);
		off += len;
		free(f);
	}
	n = write(rc.fd, all, off);
	ck_assert_int_eq(n, (ssize_t)off);
	free(all);

	/* runneld stops reading them past 1 MiB of replies ... */
	ck_assert_int_eq(harness_wait_log(&h,
	    "bytes of replies unread: its requests wait until it reads"), 0);
	/* ... and serves others meanwhile. */
	rawc_open(&other, &h);
	r = rawc_call(&other, &m);
	mem_expect_list(r, other.next_id);
	rawc_close(&other);
	during = mem_rss_kib();
	if (!harness_wrapped())
		ck_assert_msg(during - before < 16 * 1024,
		    "RSS %ld KiB before the unread Lists, %ld with them",
		    before, during);

	/* Reading, the client gets every reply, in order, and the
	 * connection goes on. */
	for (i = 0; i < MEM_LISTS; i++)
		mem_expect_list(rawc_recv(&rc), first + i);
	r = rawc_call(&rc, &m);
	mem_expect_list(r, rc.next_id);
	rawc_close(&rc);
}
END_TEST

/* Build the suite. */
static Suite *
check_memory_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("memory");
	tc = tcase_create("connection");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_prehello_limit);
	tcase_add_test(tc, test_prehello_flood);
	tcase_add_test(tc, test_unread_replies);
	tcase_add_test(tc, test_reload_frame_limit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_memory_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
