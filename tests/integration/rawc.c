/*
 * rawc.c - a minimal wire-protocol client for tests (see rawc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "common.h"
#include "rawc.h"

/* Write all of a buffer. */
static void
rawc_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		ck_assert_int_gt(n, 0);
		p += n;
		len -= n;
	}
}

/* Read exactly len bytes; 0 on EOF. */
static int
rawc_read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n <= 0)
			return 0;
		p += n;
		len -= n;
	}
	return 1;
}

/* Send a message with a fresh id. */
uint64_t
rawc_send(struct rawc *rc, Runnel__V1__ClientMessage *m)
{
	uint8_t	*f;
	size_t	 len;

	m->id = ++rc->next_id;
	f = frame_pack_client(m, &len);
	ck_assert_ptr_nonnull(f);
	rawc_write_all(rc->fd, f, len);
	free(f);
	return m->id;
}

/* Read one message. */
Runnel__V1__ServerMessage *
rawc_recv(struct rawc *rc)
{
	uint8_t				 hdr[4], *buf;
	uint32_t			 n;
	Runnel__V1__ServerMessage	*m;

	if (!rawc_read_all(rc->fd, hdr, 4))
		return NULL;
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	buf = malloc(n);
	ck_assert(rawc_read_all(rc->fd, buf, n));
	m = runnel__v1__server_message__unpack(NULL, n, buf);
	free(buf);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* Send and wait for the reply with the same id. */
Runnel__V1__ServerMessage *
rawc_call(struct rawc *rc, Runnel__V1__ClientMessage *m)
{
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id = rawc_send(rc, m);

	for (;;) {
		r = rawc_recv(rc);
		ck_assert_ptr_nonnull(r);
		if (r->id == id)
			return r;
		rawc_free(r);
	}
}

void
rawc_free(Runnel__V1__ServerMessage *m)
{
	if (m != NULL)
		runnel__v1__server_message__free_unpacked(m, NULL);
}

/* Connect and say hello. */
void
rawc_open(struct rawc *rc, struct harness *h)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__Hello		 hello;
	Runnel__V1__ServerMessage	*r;

	rc->fd = harness_raw_unix(h);
	rc->next_id = 0;
	runnel__v1__hello__init(&hello);
	hello.protocol_version = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
	m.hello = &hello;
	r = rawc_call(rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO);
	rawc_free(r);
}

void
rawc_close(struct rawc *rc)
{
	close(rc->fd);
	rc->fd = -1;
}

/* Build a spec from argv. */
Runnel__V1__TaskSpec *
rawc_spec(const char *const *argv)
{
	Runnel__V1__TaskSpec	*spec = calloc(1, sizeof *spec);
	size_t			 n = 0, i;

	runnel__v1__task_spec__init(spec);
	while (argv[n] != NULL)
		n++;
	spec->n_argv = n;
	spec->argv = calloc(n, sizeof *spec->argv);
	for (i = 0; i < n; i++) {
		spec->argv[i].data = (uint8_t *)strdup(argv[i]);
		spec->argv[i].len = strlen(argv[i]);
	}
	return spec;
}

/* Add a label to a spec. */
void
rawc_spec_add_label(Runnel__V1__TaskSpec *spec, const char *k, const char *v)
{
	Runnel__V1__Label	*l = calloc(1, sizeof *l);

	runnel__v1__label__init(l);
	l->key = strdup(k);
	l->value = strdup(v);
	spec->labels = realloc(spec->labels, (spec->n_labels + 1) *
	    sizeof *spec->labels);
	spec->labels[spec->n_labels++] = l;
}

/* Free a spec built here (only what rawc_spec and add_label allocate). */
void
rawc_spec_free(Runnel__V1__TaskSpec *spec)
{
	size_t	i;

	for (i = 0; i < spec->n_argv; i++)
		free(spec->argv[i].data);
	free(spec->argv);
	for (i = 0; i < spec->n_labels; i++) {
		free(spec->labels[i]->key);
		free(spec->labels[i]->value);
		free(spec->labels[i]);
	}
	free(spec->labels);
	free(spec);
}

/* Submit a spec. */
uint64_t
rawc_submit(struct rawc *rc, Runnel__V1__TaskSpec *spec, int *code)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id = 0;

	sr.spec = spec;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	m.submit = &sr;
	r = rawc_call(rc, &m);
	if (code != NULL)
		*code = 0;
	if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT)
		id = r->submit->task_id;
	else {
		ck_assert_int_eq(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
		ck_assert_msg(code != NULL, "submit refused: %s",
		    r->error->message);
		*code = r->error->code;
	}
	rawc_free(r);
	return id;
}

/* Describe one task. */
Runnel__V1__ServerMessage *
rawc_show(struct rawc *rc, uint64_t id)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ShowRequest		 sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	sr.task_id = id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
	m.show = &sr;
	r = rawc_call(rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK);
	return r;
}

/* Wait for tasks. */
Runnel__V1__ServerMessage *
rawc_wait(struct rawc *rc, const uint64_t *ids, size_t n, int mode,
    int cancel_rest, uint64_t timeout_ms)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WaitRequest		 wr = RUNNEL__V1__WAIT_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	wr.task_ids = (uint64_t *)(uintptr_t)ids;
	wr.n_task_ids = n;
	wr.mode = mode;
	wr.cancel_rest = cancel_rest;
	wr.timeout_ms = timeout_ms;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT;
	m.wait = &wr;
	r = rawc_call(rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT);
	return r;
}

/* A queue operation; the reply (QueueReply or Error). */
Runnel__V1__ServerMessage *
rawc_queue(struct rawc *rc, int op, const char *name, int max_running)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__QueueRequest	 qr;
	char				 buf[80];

	runnel__v1__queue_request__init(&qr);
	snprintf(buf, sizeof buf, "%s", name);
	qr.op = op;
	qr.name = buf;
	if (max_running >= 0) {
		qr.max_running = max_running;
		qr.set_max_running = 1;
	}
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE;
	m.queue = &qr;
	return rawc_call(rc, &m);
}
