/*
 * client.c - librunnel's blocking client: one connection to runneld over
 * mutual TLS or a unix socket, one request at a time.  This file makes the
 * requests and matches the replies; client-io.c moves the bytes.  Messages
 * for other request ids (an abandoned watch, a cancel sent without waiting)
 * are skipped as they come.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Where runnel_connect leaves its error: it has no client to keep it. */
static _Thread_local char client_connect_error[CLIENT_ERROR_MAX];

/* Record the details of a failure and return its code. */
int
client_fail(struct runnel_client *c, int code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	return (code);
}

/* Map a daemon Error to a code, keeping its message. */
int
client_error(struct runnel_client *c, const Runnel__V1__Error *e)
{
#define E(x) RUNNEL__V1__ERROR_CODE__ERROR_ ## x
	static const int	 codes[] = {
		[E(PROTOCOL)] = RUNNEL_EPROTO,
		[E(UNSUPPORTED)] = RUNNEL_EUNSUPPORTED,
		[E(UNAUTHENTICATED)] = RUNNEL_EUNAUTHENTICATED,
		[E(PERMISSION_DENIED)] = RUNNEL_EPERM,
		[E(NOT_FOUND)] = RUNNEL_ENOTFOUND,
		[E(INVALID_ARGUMENT)] = RUNNEL_EARG,
		[E(RESOURCE_EXHAUSTED)] = RUNNEL_EEXHAUSTED,
		[E(INTERNAL)] = RUNNEL_ESERVER,
		[E(FAILED_PRECONDITION)] = RUNNEL_EPRECONDITION,
	};
#undef E
	int	 code = RUNNEL_ESERVER;

	if (e == NULL)
		return (client_fail(c, RUNNEL_EPROTO, "empty error message"));
	if ((unsigned)e->code < sizeof codes / sizeof codes[0] &&
	    codes[e->code] != 0)
		code = codes[e->code];
	if (e->message == NULL || *e->message == '\0')
		return (client_fail(c, code, "%s", runnel_strerror(code)));
	return (client_fail(c, code, "%s", e->message));
}

/*
 * A message for another request: the stdin pump's reply (an Error there
 * ends the request in progress: 0 or its code), a failed cancel_nowait
 * (noted), or a leftover of an abandoned request (skipped).
 */
static int
client_stray(struct runnel_client *c, const server_msg *m)
{
	size_t	i;

	if (client_pump_reply(c, m))
		return (c->pump_error);
	for (i = 0; i < CLIENT_NOWAIT; i++) {
		if (m->id == 0 || c->nowait[i] != m->id)
			continue;
		c->nowait[i] = 0;
		if (m->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR)
			client_error(c, m->error);
		break;
	}
	return (0);
}

/*
 * Send a request of the given kind with a fresh id.  The members of the
 * ClientMessage's oneof are all message pointers: one stands for any.
 */
int
client_send(struct runnel_client *c, int kind, void *req, uint64_t *id)
{
	client_msg	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	uint8_t		*frame;
	size_t		 len;
	int		 r;

	*id = 0;
	if (c->dead)
		return (RUNNEL_EIO);
	*id = m.id = c->next_id++;
	m.request_case = (Runnel__V1__ClientMessage__RequestCase)kind;
	m.hello = req;
	if ((frame = frame_pack_client(&m, &len)) == NULL)
		return (client_fail(c, RUNNEL_ENOMEM,
		    "cannot pack request: %s", strerror(errno)));
	r = client_io_write(c, frame, len);
	free(frame);
	return (r);
}

/*
 * Wait for the next message for request id.  An Error ends the request; one
 * with id 0 is the daemon's last word on a connection it could not read,
 * so it answers the request in progress too.
 */
static int
client_reply(struct runnel_client *c, uint64_t id, server_msg **out,
    const struct runnel_watch_opts *w)
{
	server_msg	*m = NULL;
	int		 r;

	for (;;) {
		if ((r = client_io_read(c, &m, w)) != 0)
			return (r);
		if (m->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR &&
		    (m->id == id || m->id == 0)) {
			r = client_error(c, m->error);
			runnel__v1__server_message__free_unpacked(m, NULL);
			return (r);
		}
		if (m->id == id) {
			*out = m;
			return (0);
		}
		r = client_stray(c, m);
		runnel__v1__server_message__free_unpacked(m, NULL);
		if (r != 0)
			return (r);
	}
}

/*
 * A request could not be written: the daemon has gone.  What it sent
 * before (a TLS alert refusing our certificate, an Error) is still to be
 * read and says why better than the broken pipe.  Never from a callback
 * within a read: it reads.
 */
int
client_send_failed(struct runnel_client *c, uint64_t id, int r)
{
	server_msg	*m;

	if (r != RUNNEL_EIO || id == 0)
		return (r);
	if ((r = client_reply(c, id, &m, NULL)) == 0) {
		runnel__v1__server_message__free_unpacked(m, NULL);
		r = client_fail(c, RUNNEL_EIO, "connection closed by daemon");
	}
	return (r);
}

/* Send a request and read its first reply, of the kind expected. */
int
client_call(struct runnel_client *c, int kind, void *req, int reply_kind,
    server_msg **out, uint64_t *id, const struct runnel_watch_opts *w)
{
	uint64_t	req_id;
	int		r;

	if ((r = client_send(c, kind, req, &req_id)) != 0)
		return (client_send_failed(c, req_id, r));
	if ((r = client_reply(c, req_id, out, w)) != 0)
		return (r);
	if ((int)(*out)->reply_case != reply_kind) {
		r = client_fail(c, RUNNEL_EPROTO,
		    "unexpected reply %d to request %d",
		    (int)(*out)->reply_case, kind);
		runnel__v1__server_message__free_unpacked(*out, NULL);
		*out = NULL;
	}
	if (id != NULL)
		*id = req_id;
	return (r);
}

/* Exchange Hello and keep what the daemon says about us. */
static int
client_hello(struct runnel_client *c, const struct runnel_connect_opts *opts)
{
	static const char *const roles[] = {
		[RUNNEL__V1__ROLE__ROLE_VIEWER] = "viewer",
		[RUNNEL__V1__ROLE__ROLE_USER] = "user",
		[RUNNEL__V1__ROLE__ROLE_ADMIN] = "admin",
	};
	Runnel__V1__Hello	 hello;
	Runnel__V1__HelloReply	*hr;
	server_msg		*reply;
	const char		*role = "none";
	int			 r;

	/* The INIT macros of string fields cast away const: clang warns. */
	runnel__v1__hello__init(&hello);
	hello.protocol_version = RUNNEL_PROTOCOL_VERSION;
	if (opts != NULL && opts->client_name != NULL)
		hello.client_name = CLIENT_UNCONST(opts->client_name);
	else
		hello.client_name = CLIENT_UNCONST("librunnel");
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO,
	    &hello, RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO, &reply, NULL,
	    NULL)) != 0)
		return (r);
	hr = reply->hello;
	if ((unsigned)hr->role < sizeof roles / sizeof roles[0] &&
	    roles[hr->role] != NULL)
		role = roles[hr->role];
	c->identity = strdup(hr->identity);
	c->version = strdup(hr->server_version);
	c->role = strdup(role);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	if (c->identity == NULL || c->version == NULL || c->role == NULL)
		return (client_fail(c, RUNNEL_ENOMEM, "out of memory"));
	return (0);
}

/*
 * Connect to the daemon and say Hello.  On failure *cp is NULL and, as
 * there is no client to ask, runnel_last_error(NULL) gives the details
 * (kept per thread until its next failed connect).
 */
int
runnel_connect(struct runnel_client **cp,
    const struct runnel_connect_opts *opts)
{
	struct runnel_client	*c;
	int			 r;

	if (cp == NULL) {
		snprintf(client_connect_error, sizeof client_connect_error,
		    "no client pointer given");
		return (RUNNEL_EINVAL);
	}
	*cp = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		snprintf(client_connect_error, sizeof client_connect_error,
		    "out of memory");
		return (RUNNEL_ENOMEM);
	}
	c->fd = -1;
	c->pump_fd = -1;
	c->next_id = 1;
	if ((r = client_io_connect(c, opts)) != 0)
		goto fail;
	if ((r = client_hello(c, opts)) != 0)
		goto fail;
	*cp = c;
	return (0);

fail:
	snprintf(client_connect_error, sizeof client_connect_error, "%s",
	    c->error);
	runnel_close(c);
	return (r);
}

/* Close the connection and free the client. */
void
runnel_close(struct runnel_client *c)
{
	if (c == NULL)
		return;
	client_io_close(c);
	free(c->identity);
	free(c->role);
	free(c->version);
	free(c);
}

/* Name an error code. */
const char *
runnel_strerror(int code)
{
	static const char *const texts[] = {
		[-RUNNEL_OK] = "success",
		[-RUNNEL_EINVAL] = "invalid argument",
		[-RUNNEL_ENOMEM] = "out of memory",
		[-RUNNEL_ECONNECT] = "cannot connect to the daemon",
		[-RUNNEL_ETLS] = "TLS failure",
		[-RUNNEL_EIO] = "connection to the daemon lost",
		[-RUNNEL_EPROTO] = "protocol error",
		[-RUNNEL_EINTR] = "interrupted",
		[-RUNNEL_EUNSUPPORTED] = "not supported by the daemon",
		[-RUNNEL_EUNAUTHENTICATED] = "not authenticated",
		[-RUNNEL_EPERM] = "permission denied",
		[-RUNNEL_ENOTFOUND] = "no such task",
		[-RUNNEL_EARG] = "invalid argument to the daemon",
		[-RUNNEL_EEXHAUSTED] = "daemon limit reached",
		[-RUNNEL_ESERVER] = "internal daemon error",
		[-RUNNEL_EPRECONDITION] = "failed precondition",
		[-RUNNEL_EPKI] = "certificate creation failed",
	};

	if (code > 0 || code <= -(int)(sizeof texts / sizeof texts[0]) ||
	    texts[-code] == NULL)
		return ("unknown error");
	return (texts[-code]);
}

/* Details of the last failure; NULL: of the last failed runnel_connect. */
const char *
runnel_last_error(const struct runnel_client *c)
{
	if (c == NULL)
		return (client_connect_error);
	return (c->error);
}

/* The identity the daemon sees. */
const char *
runnel_identity(const struct runnel_client *c)
{
	return (c == NULL ? NULL : c->identity);
}

/* The role the daemon gives us. */
const char *
runnel_role(const struct runnel_client *c)
{
	return (c == NULL ? NULL : c->role);
}

/* The daemon's version. */
const char *
runnel_server_version(const struct runnel_client *c)
{
	return (c == NULL ? NULL : c->version);
}

/* Deliver the messages of a watch on request id until it ends. */
int
client_watch_loop(struct runnel_client *c, uint64_t id,
    const struct runnel_watch_opts *w)
{
	Runnel__V1__OutputChunk	*o;
	struct runnel_task	 t;
	server_msg		*m;
	int			 r;

	for (;;) {
		/* Under a flood of output the wait for data below may never
		 * poll: give stdin its turn here too. */
		if ((r = client_pump_poll(c)) != 0 ||
		    (r = client_reply(c, id, &m, w)) != 0)
			return (r);
		switch (m->reply_case) {
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT:
			o = m->output;
			if (w->on_output != NULL)
				r = w->on_output(w->arg, o->task_id,
				    (enum runnel_stream)o->stream, o->offset,
				    o->data.data, o->data.len, o->time_us);
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK:
			if (w->on_end == NULL ||
			    (r = client_task(c, &t, m->task->task)) != 0)
				break;
			r = w->on_end(w->arg, &t);
			runnel_task_clear(&t);
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END:
			runnel__v1__server_message__free_unpacked(m, NULL);
			return (0);
		default:
			r = client_fail(c, RUNNEL_EPROTO,
			    "unexpected message %d in a watch",
			    (int)m->reply_case);
			break;
		}
		runnel__v1__server_message__free_unpacked(m, NULL);
		if (r != 0)
			return (r);
	}
}

/* Submit spec; with watch options, watch the task on the same request,
 * sending stdin along if asked. */
static int
client_submit(struct runnel_client *c, const struct runnel_spec *spec,
    uint64_t *id, const struct runnel_watch_opts *w)
{
	Runnel__V1__SubmitRequest sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	struct client_spec	 cs;
	server_msg		*reply;
	uint64_t		 req, task;
	int			 r;

	if (w != NULL && w->send_stdin && (spec == NULL ||
	    !spec->stdin_stream || w->stdin_fd < 0))
		return (client_fail(c, RUNNEL_EINVAL, "run: send_stdin needs "
		    "a spec with stdin_stream and a stdin_fd"));
	if ((r = client_spec_build(c, spec, &cs)) != 0)
		return (r);
	sr.spec = &cs.ts;
	sr.watch = w != NULL;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT,
	    &sr, RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT, &reply, &req,
	    w)) != 0)
		goto out;
	task = reply->submit->task_id;
	if (id != NULL)
		*id = task;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	if (w != NULL) {
		if (w->send_stdin)
			client_pump_start(c, w->stdin_fd, task);
		r = client_watch_loop(c, req, w);
		client_pump_stop(c);
	}

out:
	client_spec_free(&cs);
	return (r);
}

/* Submit a task. */
int
runnel_submit(struct runnel_client *c, const struct runnel_spec *spec,
    uint64_t *id)
{
	if (c == NULL)
		return (RUNNEL_EINVAL);
	return (client_submit(c, spec, id, NULL));
}

/* Submit a task and watch it on the same request; w may be NULL. */
int
runnel_run(struct runnel_client *c, const struct runnel_spec *spec,
    uint64_t *id, const struct runnel_watch_opts *w)
{
	static const struct runnel_watch_opts	none;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	return (client_submit(c, spec, id, w == NULL ? &none : w));
}

/* Stream the output of tasks until all have ended. */
int
runnel_watch(struct runnel_client *c, const struct runnel_watch_opts *w)
{
	Runnel__V1__WatchRequest	wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	uint64_t			req;
	int				r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if (w == NULL || (w->ids == NULL && w->nids != 0))
		return (client_fail(c, RUNNEL_EINVAL, "watch: no task ids"));
	if ((r = client_selector(c, w->select, &wr.select)) != 0)
		return (r);
	wr.task_ids = CLIENT_UNCONST(w->ids);
	wr.n_task_ids = w->nids;
	wr.from_offset = w->from_offset;
	wr.tail = w->tail != 0;
	wr.follow = w->follow != 0;
	wr.tail_lines = w->tail_lines;
	if ((r = client_watch_extra(c, w, &wr)) != 0) {
		client_selector_free(wr.select);
		return (r);
	}
	r = client_send(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH, &wr,
	    &req);
	client_watch_extra_free(&wr);
	client_selector_free(wr.select);
	if (r != 0)
		return (client_send_failed(c, req, r));
	return (client_watch_loop(c, req, w));
}

/* Send a CancelRequest for ids and, if given, a selector; its request id
 * goes to *req. */
static int
client_cancel_send(struct runnel_client *c, const uint64_t *ids, size_t n,
    const struct runnel_selector *sel, int signal, unsigned grace_ms,
    uint64_t *req)
{
	Runnel__V1__CancelRequest	cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	int				r;

	*req = 0;
	if (ids == NULL && n != 0)
		return (client_fail(c, RUNNEL_EINVAL, "cancel: no task ids"));
	if (n == 0 && sel == NULL)
		return (client_fail(c, RUNNEL_EINVAL, "cancel: no task ids"));
	if (signal < 0)
		return (client_fail(c, RUNNEL_EINVAL, "cancel: bad signal %d",
		    signal));
	if ((r = client_selector(c, sel, &cr.select)) != 0)
		return (r);
	cr.task_ids = CLIENT_UNCONST(ids);
	cr.n_task_ids = n;
	cr.signal = signal;
	cr.grace_ms = grace_ms;
	r = client_send(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL, &cr,
	    req);
	client_selector_free(cr.select);
	return (r);
}

/* Cancel tasks and read the answer: how many the cancel reached. */
static int
client_cancel(struct runnel_client *c, const uint64_t *ids, size_t n,
    const struct runnel_selector *sel, int signal, unsigned grace_ms)
{
	server_msg	*reply;
	uint64_t	 req;
	int		 r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if ((r = client_cancel_send(c, ids, n, sel, signal, grace_ms,
	    &req)) != 0)
		return (client_send_failed(c, req, r));
	if ((r = client_reply(c, req, &reply, NULL)) != 0)
		return (r);
	if (reply->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL)
		r = client_fail(c, RUNNEL_EPROTO, "unexpected reply %d to "
		    "cancel", (int)reply->reply_case);
	else
		r = (int)reply->cancel->n_task_ids;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return (r);
}

/* Cancel tasks; returns how many the cancel reached. */
int
runnel_cancel(struct runnel_client *c, const uint64_t *ids, size_t n,
    int signal, unsigned grace_ms)
{
	return (client_cancel(c, ids, n, NULL, signal, grace_ms));
}

/* Cancel the tasks a selector names; returns how many it reached. */
int
runnel_cancel_select(struct runnel_client *c,
    const struct runnel_selector *sel, int signal, unsigned grace_ms)
{
	if (c != NULL && sel == NULL)
		return (client_fail(c, RUNNEL_EINVAL, "cancel: no selector"));
	return (client_cancel(c, NULL, 0, sel, signal, grace_ms));
}

/* Send a cancel and remember its id: an Error for it lands in last_error. */
int
runnel_cancel_nowait(struct runnel_client *c, const uint64_t *ids, size_t n,
    int signal, unsigned grace_ms)
{
	uint64_t	req;
	int		r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if ((r = client_cancel_send(c, ids, n, NULL, signal, grace_ms,
	    &req)) != 0)
		return (r);
	c->nowait[c->nowait_next] = req;
	c->nowait_next = (c->nowait_next + 1) % CLIENT_NOWAIT;
	return (0);
}

/* List the tasks the daemon lets us see. */
int
runnel_list(struct runnel_client *c, struct runnel_task **tasks, size_t *n)
{
	return (runnel_list_select(c, NULL, tasks, n));
}

/* Describe one task. */
int
runnel_show(struct runnel_client *c, uint64_t id, struct runnel_task *task)
{
	Runnel__V1__ShowRequest	 sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if (task == NULL)
		return (client_fail(c, RUNNEL_EINVAL, "show: no result"));
	memset(task, 0, sizeof *task);
	sr.task_id = id;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW, &sr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK, &reply, NULL, NULL)) != 0)
		return (r);
	r = client_task(c, task, reply->task->task);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return (r);
}

/* Describe the tasks of a WaitReply in the order of ids (the daemon
 * answers in id order, each task once). */
static int
client_wait_order(struct runnel_client *c, struct runnel_task **tasks,
    const uint64_t *ids, size_t n, const Runnel__V1__WaitReply *wr)
{
	Runnel__V1__TaskInfo	**order;
	size_t			  i, j;
	int			  r;

	if ((order = calloc(n, sizeof *order)) == NULL)
		return (client_fail(c, RUNNEL_ENOMEM, "out of memory"));
	for (i = 0; i < n; i++) {
		for (j = 0; j < wr->n_tasks; j++) {
			if (wr->tasks[j]->id == ids[i])
				break;
		}
		if (j == wr->n_tasks) {
			free(order);
			return (client_fail(c, RUNNEL_EPROTO, "wait: task %llu "
			    "missing from the reply",
			    (unsigned long long)ids[i]));
		}
		order[i] = wr->tasks[j];
	}
	r = client_tasks(c, tasks, order, n);
	free(order);
	return (r);
}

/* Wait until the tasks have ended and describe them, in request order. */
int
runnel_wait(struct runnel_client *c, const uint64_t *ids, size_t n,
    struct runnel_task **tasks)
{
	Runnel__V1__WaitRequest	 wr = RUNNEL__V1__WAIT_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if (tasks == NULL || ids == NULL || n == 0)
		return (client_fail(c, RUNNEL_EINVAL, "wait: no task ids"));
	*tasks = NULL;
	wr.task_ids = CLIENT_UNCONST(ids);
	wr.n_task_ids = n;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT, &wr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT, &reply, NULL, NULL)) != 0)
		return (r);
	r = client_wait_order(c, tasks, ids, n, reply->wait);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return (r);
}

/* Ask the daemon how it is doing. */
int
runnel_status(struct runnel_client *c, struct runnel_status *st)
{
	Runnel__V1__StatusRequest	 sr = RUNNEL__V1__STATUS_REQUEST__INIT;
	Runnel__V1__StatusReply		*s;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return (RUNNEL_EINVAL);
	if (st == NULL)
		return (client_fail(c, RUNNEL_EINVAL, "status: no result"));
	memset(st, 0, sizeof *st);
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS,
	    &sr, RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS, &reply, NULL,
	    NULL)) != 0)
		return (r);
	s = reply->status;
	snprintf(st->version, sizeof st->version, "%s", s->version);
	st->uptime_ms = s->uptime_ms;
	st->connections = s->connections;
	st->tasks_queued = s->tasks_queued;
	st->tasks_running = s->tasks_running;
	st->tasks_finished = s->tasks_finished;
	st->max_running = s->max_running;
	st->pid = s->pid;
	st->loop_lag_us = s->loop_lag_us;
	st->loop_lag_max_us = s->loop_lag_max_us;
	st->loop_lag_p99_us = s->loop_lag_p99_us;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return (0);
}
