/*
 * client.c - librunnel's core: the table of requests in flight on a
 * connection and the dispatch of the daemon's messages to them, the
 * connection's life (Hello, loss, close) and the driver of the blocking
 * API.  Every call, blocking or not, is a request in the table with a
 * handler; a blocking call is one whose handler fills a struct client_call
 * while client_run() drives the connection.  client-calls.c makes the
 * requests, client-io.c moves the bytes, client-async.c ties a client to
 * the caller's event loop.
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
	return code;
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
		return client_fail(c, RUNNEL_EPROTO, "empty error message");
	if ((unsigned)e->code < sizeof codes / sizeof codes[0] &&
	    codes[e->code] != 0)
		code = codes[e->code];
	if (e->message == NULL || *e->message == '\0')
		return client_fail(c, code, "%s", runnel_strerror(code));
	return client_fail(c, code, "%s", e->message);
}

/* A new request in the table; call: a blocking call's result. */
int
client_req_new(struct runnel_client *c, client_req_fn fn,
    struct client_call *call, struct client_req **out)
{
	struct client_req	*req, **pp;

	*out = NULL;
	if (call != NULL && c->base != NULL)
		return (client_fail(c, RUNNEL_EINVAL,
		    "blocking call on a client of an event loop"));
	if ((req = calloc(1, sizeof *req)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	req->fn = fn;
	req->call = call;
	for (pp = &c->reqs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = req;
	*out = req;
	return 0;
}

/* Take a request out of the table and free it. */
void
client_req_free(struct runnel_client *c, struct client_req *req)
{
	struct client_req	**pp;

	for (pp = &c->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == req) {
			*pp = req->next;
			break;
		}
	}
	free(req->ids);
	free(req);
}

/*
 * Send a request of the given kind with a fresh id: the frame is queued and
 * goes out when the connection takes it.  The members of the
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
		return RUNNEL_EIO;
	*id = m.id = c->next_id++;
	m.request_case = (Runnel__V1__ClientMessage__RequestCase)kind;
	m.hello = req;
	if ((frame = frame_pack_client(&m, &len)) == NULL)
		return (client_fail(c, RUNNEL_ENOMEM,
		    "cannot pack request: %s", strerror(errno)));
	r = client_io_queue(c, frame, len);
	free(frame);
	if (r == 0)
		client_async_kick(c);
	return r;
}

/* Send the request of a table entry; on failure the entry goes. */
int
client_req_send(struct runnel_client *c, struct client_req *req, int kind,
    void *msg)
{
	int	r;

	if ((r = client_send(c, kind, msg, &req->id)) != 0)
		client_req_free(c, req);
	return r;
}

/* Free a client and everything it holds, running no callback. */
void
client_free(struct runnel_client *c)
{
	while (c->reqs != NULL)
		client_req_free(c, c->reqs);
	client_async_free(c);
	client_io_close(c);
	free(c->identity);
	free(c->role);
	free(c->version);
	free(c);
}

/*
 * Hand a message to its request.  An Error with id 0 is the daemon's last
 * word on a connection it could not read: it answers every request.
 * Messages for no request in flight (an abandoned watch's) are skipped.
 */
void
client_dispatch(struct runnel_client *c, server_msg *m, int borrowed)
{
	struct client_req	*req;

	if (m->id == 0 && m->reply_case ==
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR) {
		client_lost(c, client_error(c, m->error));
		runnel__v1__server_message__free_unpacked(m, NULL);
		return;
	}
	for (req = c->reqs; req != NULL; req = req->next) {
		if (req->id == m->id)
			break;
	}
	if (req != NULL) {
		/* Only a blocking call's handler takes a message, and only
		 * the reply it waits for: never an OutputChunk, the one kind
		 * borrowed. */
		c->busy++;
		if (req->fn(c, req, &m, 0))
			client_req_free(c, req);
		c->busy--;
	}
	if (m != NULL && !borrowed)
		runnel__v1__server_message__free_unpacked(m, NULL);
}

/* The connection is over: every request in flight ends with error, oldest
 * first.  The stream stays dead: later requests fail at once. */
void
client_lost(struct runnel_client *c, int error)
{
	struct client_req	*req;
	char			 saved[CLIENT_ERROR_MAX];

	if (c->dead)
		return;
	c->dead = 1;
	c->state = CLIENT_IO_DEAD;
	memcpy(saved, c->error, sizeof saved);
	c->busy++;
	while ((req = c->reqs) != NULL && !c->closing) {
		/* Each callback sees the cause, whatever the last one did. */
		memcpy(c->error, saved, sizeof c->error);
		req->fn(c, req, NULL, error);
		client_req_free(c, req);
	}
	c->busy--;
	memcpy(c->error, saved, sizeof c->error);
}

/* A blocking call's handler: the first reply, or the error, is the result. */
static int
client_call_msg(struct runnel_client *c, struct client_req *req,
    server_msg **m, int error)
{
	struct client_call	*call = req->call;

	call->done = 1;
	if (m == NULL) {
		call->r = error;
		return 1;
	}
	if ((*m)->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR)
		call->r = client_error(c, (*m)->error);
	else if ((int)(*m)->reply_case != req->reply_kind)
		call->r = client_fail(c, RUNNEL_EPROTO,
		    "unexpected reply %d to request", (int)(*m)->reply_case);
	else {
		call->r = 0;
		call->m = *m;
		*m = NULL;
	}
	return 1;
}

/* The loop of client_run(). */
static int
client_run_loop(struct runnel_client *c, struct client_call *call,
    const struct runnel_watch_opts *w)
{
	int	r, more = 1;

	/* Serve before the first wait: what an earlier call left unread
	 * (in our buffer or OpenSSL's) would never wake poll(). */
	for (;;) {
		/* Under a flood of output the wait may never come: give the
		 * stdin pump its turn here too. */
		if (c->hook != NULL) {
			if (w != NULL && (r = c->hook->poll(c)) != 0)
				return r;
			if ((r = c->hook->error(c)) != 0)
				return r;
		}
		if (call->done)
			return call->r;
		if (c->dead)
			return (client_fail(c, RUNNEL_EIO,
			    "connection to the daemon lost"));
		if (!more && (r = client_io_wait(c, w)) != 0)
			return r;
		more = client_io_service(c);
	}
}

/*
 * Drive the connection of a blocking client until call is done: serve it,
 * and wait for the socket in between.  A watch's options (w) let a signal
 * in the wait stop it, and feed the stdin pump.
 */
int
client_run(struct runnel_client *c, struct client_call *call,
    const struct runnel_watch_opts *w)
{
	struct client_call	*outer = c->waiting;
	int			 r;

	c->waiting = call;
	r = client_run_loop(c, call, w);
	c->waiting = outer;
	return r;
}

/* Send a request and read its first reply, of the kind expected; a watch
 * (w) may be interrupted by a signal. */
int
client_call(struct runnel_client *c, int kind, void *msg, int reply_kind,
    server_msg **out, uint64_t *id, const struct runnel_watch_opts *w)
{
	struct client_call	 call = { 0 };
	struct client_req	*req;
	int			 r;

	*out = NULL;
	if ((r = client_req_new(c, client_call_msg, &call, &req)) != 0)
		return r;
	req->reply_kind = reply_kind;
	if ((r = client_req_send(c, req, kind, msg)) != 0)
		return r;
	if (id != NULL)
		*id = req->id;
	if ((r = client_run(c, &call, w)) != 0) {
		/* Stopped early: its answer will be skipped. */
		if (!call.done)
			client_req_free(c, req);
		return r;
	}
	*out = call.m;
	return 0;
}

/* Hello's answer: keep what the daemon says about us; the connection is
 * up (or failed) for the caller. */
static int
client_hello_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	static const char *const roles[] = {
		[RUNNEL__V1__ROLE__ROLE_VIEWER] = "viewer",
		[RUNNEL__V1__ROLE__ROLE_USER] = "user",
		[RUNNEL__V1__ROLE__ROLE_ADMIN] = "admin",
	};
	Runnel__V1__HelloReply	*hr;
	const char		*role = "none";
	int			 r = error;

	if (mp == NULL)
		goto done;
	if ((*mp)->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR) {
		r = client_error(c, (*mp)->error);
		goto done;
	}
	if ((*mp)->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO) {
		r = client_fail(c, RUNNEL_EPROTO, "unexpected reply %d to hello",
		    (int)(*mp)->reply_case);
		goto done;
	}
	hr = (*mp)->hello;
	if ((unsigned)hr->role < sizeof roles / sizeof roles[0] &&
	    roles[hr->role] != NULL)
		role = roles[hr->role];
	c->identity = strdup(hr->identity);
	c->version = strdup(hr->server_version);
	c->role = strdup(role);
	r = 0;
	if (c->identity == NULL || c->version == NULL || c->role == NULL)
		r = client_fail(c, RUNNEL_ENOMEM, "out of memory");

done:
	c->connected = r == 0;
	if (req->call != NULL) {
		req->call->done = 1;
		req->call->r = r;
	} else if (req->cb.done != NULL)
		req->cb.done(req->arg, r);
	return 1;
}

/*
 * Make a client, start connecting and queue the Hello, whose answer goes to
 * on_connect (async) or call (blocking).  On failure *cp is NULL and the
 * details are in runnel_last_error(NULL).
 */
int
client_start(struct runnel_client **cp, struct event_base *base,
    const struct runnel_connect_opts *opts, runnel_done_cb on_connect,
    void *arg, struct client_call *call)
{
	Runnel__V1__Hello	 hello;
	struct runnel_client	*c;
	struct client_req	*req;
	int			 r;

	if (cp == NULL) {
		snprintf(client_connect_error, sizeof client_connect_error,
		    "no client pointer given");
		return RUNNEL_EINVAL;
	}
	*cp = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		snprintf(client_connect_error, sizeof client_connect_error,
		    "out of memory");
		return RUNNEL_ENOMEM;
	}
	c->fd = -1;
	c->ev_fd = -1;
	c->pump_fd = -1;
	c->next_id = 1;
	c->base = base;
	if ((r = client_io_connect(c, opts)) != 0)
		goto fail;
	/* The INIT macros of string fields cast away const: clang warns. */
	runnel__v1__hello__init(&hello);
	hello.protocol_version = RUNNEL_PROTOCOL_VERSION;
	if (opts != NULL && opts->client_name != NULL)
		hello.client_name = CLIENT_UNCONST(opts->client_name);
	else
		hello.client_name = CLIENT_UNCONST("librunnel");
	/* Not a blocking call as client_req_new() sees it: base may be set. */
	if ((r = client_req_new(c, client_hello_msg, NULL, &req)) != 0)
		goto fail;
	req->call = call;
	req->cb.done = on_connect;
	req->arg = arg;
	if ((r = client_req_send(c, req, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO,
	    &hello)) != 0)
		goto fail;
	if ((r = client_async_update(c)) != 0)
		goto fail;
	*cp = c;
	return 0;

fail:
	snprintf(client_connect_error, sizeof client_connect_error, "%s",
	    c->error);
	client_free(c);
	return r;
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
	struct client_call	 call = { 0 };
	struct runnel_client	*c;
	int			 r;

	if ((r = client_start(cp, NULL, opts, NULL, NULL, &call)) != 0)
		return r;
	c = *cp;
	if ((r = client_run(c, &call, NULL)) != 0) {
		snprintf(client_connect_error, sizeof client_connect_error,
		    "%s", c->error);
		*cp = NULL;
		client_free(c);
	}
	return r;
}

/* Close the connection and free the client; from a callback, once it
 * returns. */
void
runnel_close(struct runnel_client *c)
{
	if (c == NULL)
		return;
	if (c->busy > 0) {
		c->closing = 1;
		return;
	}
	client_free(c);
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
		return "unknown error";
	return texts[-code];
}

/* Details of the last failure; NULL: of the last failed runnel_connect. */
const char *
runnel_last_error(const struct runnel_client *c)
{
	if (c == NULL)
		return client_connect_error;
	return c->error;
}

/* The identity the daemon sees. */
const char *
runnel_identity(const struct runnel_client *c)
{
	return c == NULL ? NULL : c->identity;
}

/* The role the daemon gives us. */
const char *
runnel_role(const struct runnel_client *c)
{
	return c == NULL ? NULL : c->role;
}

/* The daemon's version. */
const char *
runnel_server_version(const struct runnel_client *c)
{
	return c == NULL ? NULL : c->version;
}

