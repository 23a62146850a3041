/*
 * session.c - one connection: its bufferevent, the frame decoder, the peer's
 * identity and role, and its watches.  A session that dies is torn down at
 * once but its memory is freed later, on a clean stack.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "lag.h"
#include "log.h"
#include "runneld.h"

/* A session stops producing output chunks above this many bytes queued to
 * the peer and resumes below half of it. */
#define SESSION_HIWAT		(1024 * 1024)
/* Bytes written to a peer per wake-up. */
#define SESSION_MAX_WRITE	(256 * 1024)
/* Bytes of output chunks all sessions together produce before the loop
 * reads its descriptors again (task pipes among them). */
#define SESSION_PASS_BUDGET	(256 * 1024)

/*
 * Sessions with output to pump wait on one list, served in turn by one
 * event at bulk priority.  A pass over it produces at most
 * SESSION_PASS_BUDGET bytes; what is left waits for the next turn of the
 * loop, after its descriptors have been looked at.  So 1,000 watchers of a
 * chatty task cost the loop a bounded slice between two reads of the
 * task's pipe: they fall behind and read from the log, the task never
 * blocks on them.
 */
static TAILQ_HEAD(, session)	 session_pumps =
    TAILQ_HEAD_INITIALIZER(session_pumps);
static struct event		*session_pump_ev;
static struct {
	int		 running;
	struct session	*cur;		/* the session being pumped */
	size_t		 used;		/* bytes produced by the pass */
	size_t		 base;		/* cur's output when its turn began */
} session_pass;

/* Before Hello a peer's frames are at most this long: a Hello is a few
 * dozen bytes, and 100 anonymous peers must not make runneld hold the
 * 4 MiB frame each authenticated client may send. */
#define SESSION_PREHELLO_FRAME	(16 * 1024)
/* A freed session that once buffered this much hands the allocator's free
 * memory back to the system, at most once a second (session_trim). */
#define SESSION_TRIM_MIN	(256 * 1024)

static struct event		*session_trim_ev;
static int64_t			 session_trim_last;	/* monotonic ms */
static struct log_rate		 session_pause_log;

static void	session_read_cb(struct bufferevent *, void *);
static void	session_write_cb(struct bufferevent *, void *);
static void	session_event_cb(struct bufferevent *, short, void *);

/* The peer took too long to finish TLS and Hello. */
static void
session_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;
	char		*why;

	(void)fd;
	(void)events;
	if (!s->hello_done) {
		s->hello_expired = 1;
		session_lost(s, "no hello in time");
		return;
	}
	/* Watching or waiting is not idleness. */
	if (!TAILQ_EMPTY(&s->watches) || !TAILQ_EMPTY(&s->waiters)) {
		session_touch(s);
		return;
	}
	why = xasprintf("idle for %llu ms",
	    (unsigned long long)server.conf->idle_timeout_ms);
	session_lost(s, why);
	free(why);
}

/* The peer did something: restart its idle timer. */
void
session_touch(struct session *s)
{
	struct timeval	tv;
	uint64_t	ms = server.conf->idle_timeout_ms;

	if (s->state == SESSION_DEAD || !s->hello_done)
		return;
	if (ms == 0) {
		evtimer_del(s->timeout_ev);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->timeout_ev, &tv);
}

/* A pass over the sessions waiting to send what their watches have. */
static void
session_pump_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval		 zero = { 0, 0 };
	struct session		*s;
	struct evbuffer		*out;
	struct lag_mark		 m;
	unsigned long long	 id;
	size_t			 n;
	int			 more;

	(void)fd;
	(void)events;
	(void)arg;
	session_pass.running = 1;
	session_pass.used = 0;
	while (session_pass.used < SESSION_PASS_BUDGET &&
	    (s = TAILQ_FIRST(&session_pumps)) != NULL) {
		TAILQ_REMOVE(&session_pumps, s, pump_entry);
		s->pump_queued = 0;
		if (s->state == SESSION_CLOSING)
			continue;
		out = bufferevent_get_output(s->bev);
		id = s->id;
		session_pass.cur = s;
		session_pass.base = evbuffer_get_length(out);
		lag_begin(&m);
		more = watch_pump(s);
		lag_end(&m, "conn %llu: pump", id);
		session_pass.cur = NULL;
		if (s->state == SESSION_DEAD)
			continue;
		n = evbuffer_get_length(out);
		if (n > session_pass.base)
			session_pass.used += n - session_pass.base;
		/* Stopped by the pass's budget, not by a full buffer (whose
		 * write callback asks again): its turn comes again. */
		if (more && n < SESSION_HIWAT)
			session_schedule_pump(s);
	}
	session_pass.running = 0;
	if (!TAILQ_EMPTY(&session_pumps))
		event_add(session_pump_ev, &zero);
}

/* The longest frame the session's peer may send now: a few KiB before
 * Hello, max_frame after. */
static uint32_t
session_frame_limit(const struct session *s)
{
	if (s->hello_done || server.conf->max_frame < SESSION_PREHELLO_FRAME)
		return server.conf->max_frame;
	return SESSION_PREHELLO_FRAME;
}

/* Move a session on in its life, which only goes one way. */
void
session_set_state(struct session *s, enum session_state state)
{
	static const char	*names[] = {
		[SESSION_HANDSHAKE] = "handshake",
		[SESSION_HELLO] = "hello",
		[SESSION_READY] = "ready",
		[SESSION_CLOSING] = "closing",
		[SESSION_DEAD] = "dead",
	};
	static const unsigned	 next[] = {
		[SESSION_HANDSHAKE] = 1U << SESSION_HELLO |
		    1U << SESSION_CLOSING | 1U << SESSION_DEAD,
		[SESSION_HELLO] = 1U << SESSION_READY | 1U << SESSION_CLOSING |
		    1U << SESSION_DEAD,
		[SESSION_READY] = 1U << SESSION_CLOSING | 1U << SESSION_DEAD,
		[SESSION_CLOSING] = 1U << SESSION_DEAD,
		[SESSION_DEAD] = 0,
	};

	if ((next[s->state] & 1U << state) == 0)
		fatalx("conn %llu: %s -> %s", (unsigned long long)s->id,
		    names[s->state], names[state]);
	log_debug("conn %llu: %s -> %s", (unsigned long long)s->id,
	    names[s->state], names[state]);
	s->state = state;
	if (state == SESSION_READY)
		s->hello_done = 1;
}

/* Take over an accepted connection (ssl NULL: unix socket). */
struct session *
session_create(int fd, SSL *ssl, const char *peer)
{
	struct session	*s;
	uint64_t	 ms = server.conf->hello_timeout_ms;
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	s = xcalloc(1, sizeof *s);
	s->id = ++server.next_session_id;
	s->peer = xstrdup(peer);
	s->refs = 1;		/* the connection's, dropped by session_lost */
	TAILQ_INIT(&s->watches);
	TAILQ_INIT(&s->waiters);
	if (ssl != NULL) {
		s->bev = bufferevent_openssl_socket_new(server.base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	} else {
		s->is_unix = 1;
		s->bev = bufferevent_socket_new(server.base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	}
	if (s->bev == NULL)
		fatalx("bufferevent_socket_new failed");
	TAILQ_INSERT_TAIL(&server.sessions, s, entry);
	server.nsessions++;
	/* A unix-socket peer is known by its uid from the start; a TLS peer
	 * is anonymous until Hello (max_startups). */
	if (ssl != NULL) {
		s->unauth = 1;
		server.nunauth++;
	}

	if (session_pump_ev == NULL) {
		session_pump_ev = event_new(server.base, -1, 0,
		    session_pump_cb, NULL);
		event_priority_set(session_pump_ev, PRI_BULK);
	}
	/* The deadline for TLS and Hello runs from accept and is not moved
	 * by anything the peer sends: a byte a second does not keep a
	 * connection alive (session_touch ignores sessions before Hello). */
	s->timeout_ev = evtimer_new(server.base, session_timeout_cb, s);
	/* From now, not from the start of this loop pass: a burst of
	 * accepts would otherwise cut the last ones' deadlines short. */
	event_base_update_cache_time(server.base);
	evtimer_add(s->timeout_ev, &tv);

	bufferevent_priority_set(s->bev, PRI_CONTROL);
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb,
	    session_event_cb, s);
	/* Never buffer more than one frame's worth from the peer (a small
	 * one before Hello; session_read follows the limit). */
	bufferevent_setwatermark(s->bev, EV_READ, 0,
	    session_frame_limit(s) + FRAME_HEADER);
	bufferevent_setwatermark(s->bev, EV_WRITE, SESSION_HIWAT / 2, 0);
	/* libevent writes at most 16 KiB per wake-up unless told otherwise:
	 * one TLS record per trip through the loop.  A bigger bite sends a
	 * flood in a quarter of the wake-ups and still takes well under a
	 * millisecond to encrypt. */
	bufferevent_set_max_single_write(s->bev, SESSION_MAX_WRITE);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);

	log_debug("conn %llu: from %s", (unsigned long long)s->id, peer);
	if (s->is_unix) {
		session_set_state(s, SESSION_HELLO);
		if (session_identify_unix(s, fd) == -1)
			session_lost(s, "cannot identify peer");
	}
	return s;
}

/* The session said Hello: it no longer counts against max_startups. */
void
session_authenticated(struct session *s)
{
	if (!s->unauth)
		return;
	source_remove(s, SOURCE_END_HELLO);
	s->unauth = 0;
	server.nunauth--;
}

/* Requests the session holds open: watches, waits. */
int
session_inflight(const struct session *s)
{
	const struct watch	*w;
	int			 n = 0;

	TAILQ_FOREACH(w, &s->watches, entry)
		n++;
	return n + wait_count(s);
}

/* Hand the allocator's free memory back to the system. */
static void
session_trim_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	session_trim_last = server_mono_ms();
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/*
 * A session that buffered big frames is gone.  glibc keeps what it freed
 * for the next allocations of the heap or arena it came from, and a flood
 * of connections leaves those full of holes: without a trim the daemon's
 * RSS stays at the flood's peak.  A trim walks the heaps (a few ms for a
 * big one): at most one a second, the last one of a burst included.
 */
static void
session_trim(void)
{
	struct timeval	tv = { 0, 0 };
	int64_t		now, wait = 0;

	if (session_trim_ev == NULL) {
		session_trim_ev = evtimer_new(server.base, session_trim_cb,
		    NULL);
		event_priority_set(session_trim_ev, PRI_BULK);
	}
	if (evtimer_pending(session_trim_ev, NULL))
		return;
	now = server_mono_ms();
	if (session_trim_last != 0 && now - session_trim_last < 1000)
		wait = 1000 - (now - session_trim_last);
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(session_trim_ev, &tv);
}

/* Note how much the session buffers now, for session_trim. */
static void
session_note_buffered(struct session *s, size_t len)
{
	if (len > s->buf_peak)
		s->buf_peak = len;
}

/* Free a dead session's memory, from a fresh stack. */
static void
session_free_cb(evutil_socket_t fd, short events, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)events;
	if (s->buf_peak >= SESSION_TRIM_MIN)
		session_trim();
	free(s->peer);
	free(s->identity);
	free(s);
}

/* Keep a session's memory past session_lost: whoever answers it later
 * (rpc-submit.c's durable replies) checks for SESSION_DEAD, then unrefs. */
void
session_ref(struct session *s)
{
	s->refs++;
}

/* Drop a reference: the last one frees the session, from a fresh stack. */
void
session_unref(struct session *s)
{
	if (--s->refs == 0)
		event_base_once(server.base, -1, EV_TIMEOUT, session_free_cb, s,
		    NULL);
}

/* The connection is over: tear it down now, free it later. */
void
session_lost(struct session *s, const char *why)
{
	struct watch	*w;

	if (s->state == SESSION_DEAD)
		return;
	session_set_state(s, SESSION_DEAD);
	/* Ended before Hello: its source pays a penalty. */
	source_remove(s, s->hello_expired ? SOURCE_END_TIMEOUT :
	    SOURCE_END_FAILED);
	session_authenticated(s);
	if (why != NULL)
		log_info("conn %llu: %s%s%s: %s", (unsigned long long)s->id,
		    s->peer, s->identity != NULL ? " " : "",
		    s->identity != NULL ? s->identity : "", why);
	while ((w = TAILQ_FIRST(&s->watches)) != NULL)
		watch_free(w);
	wait_session_lost(s);
	task_stdin_lost(s);
	TAILQ_REMOVE(&server.sessions, s, entry);
	server.nsessions--;
	bufferevent_free(s->bev);
	s->bev = NULL;
	if (s->pump_queued) {
		TAILQ_REMOVE(&session_pumps, s, pump_entry);
		s->pump_queued = 0;
	}
	event_free(s->timeout_ev);
	session_unref(s);
	server_maybe_exit();
}

/* Can the session take more output without passing its high-water mark
 * (or the budget of the pump pass it is in)? */
int
session_writable(struct session *s)
{
	size_t	len;

	if (s->state >= SESSION_CLOSING)
		return 0;
	len = evbuffer_get_length(bufferevent_get_output(s->bev));
	if (len >= SESSION_HIWAT)
		return 0;
	if (s == session_pass.cur && len > session_pass.base &&
	    session_pass.used + (len - session_pass.base) >=
	    SESSION_PASS_BUDGET)
		return 0;
	return 1;
}

/* Ask for a pump of the session's watches: it joins the pump list. */
void
session_schedule_pump(struct session *s)
{
	if (s->state >= SESSION_CLOSING || s->pump_queued)
		return;
	TAILQ_INSERT_TAIL(&session_pumps, s, pump_entry);
	s->pump_queued = 1;
	/* Within a pass the list is served on; a pass ends by arming the
	 * event for the next turn of the loop. */
	if (!session_pass.running)
		event_active(session_pump_ev, EV_TIMEOUT, 0);
}

/* Replies that needed session_fix_cb. */
static unsigned long long	session_fix_count;

/* The strings session_send escaped for one packing, to put back. */
struct session_fix {
	struct {
		char	**slot;
		char	 *orig;
	}		*v;
	size_t		 n;
	size_t		 size;
};

/* A wire_walk callback: give a `string` value that is not UTF-8 an
 * escaped copy, keeping the original to put back, and say so in the log
 * (a text built from user bytes that missed its escape). */
static int
session_fix_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	struct session_fix	*fx = arg;
	char			**slot = value, *esc;

	(void)md;
	if ((esc = wire_string_escape(f, value)) == NULL)
		return 0;
	/* A missed escape repeats with every reply that carries the text:
	 * the 1st, 2nd, 4th, 8th ... such replies are logged. */
	if (fx->n == 0)
		session_fix_count++;
	if (fx->n == 0 && (session_fix_count & (session_fix_count - 1)) == 0)
		log_warnx("reply field %s is not UTF-8: sent escaped "
		    "(replies escaped so far: %llu)", path, session_fix_count);
	if (fx->n == fx->size) {
		fx->size = fx->size == 0 ? 4 : fx->size * 2;
		fx->v = xreallocarray(fx->v, fx->size, sizeof *fx->v);
	}
	fx->v[fx->n].slot = slot;
	fx->v[fx->n].orig = *slot;
	fx->n++;
	*slot = esc;
	return 0;
}

/* Put back what session_fix_cb replaced (many replies borrow their
 * strings from tasks), newest first. */
static void
session_fix_undo(struct session_fix *fx)
{
	while (fx->n > 0) {
		fx->n--;
		free(*fx->v[fx->n].slot);
		*fx->v[fx->n].slot = fx->v[fx->n].orig;
	}
	free(fx->v);
}

/* Pack a message straight into the session's output buffer as one frame.
 * Every `string` field goes out UTF-8: the texts runneld builds from
 * user bytes are escaped where they are made, and any that is not is
 * escaped here for this packing (an OutputChunk has no strings). */
void
session_send(struct session *s, const Runnel__V1__ServerMessage *msg)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 v;
	size_t			 len;
	struct session_fix	 fx = { NULL, 0, 0 };

	if (s->state == SESSION_DEAD)
		return;
	if (msg->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT)
		wire_walk((ProtobufCMessage *)(uintptr_t)&msg->base,
		    session_fix_cb, &fx);
	out = bufferevent_get_output(s->bev);
	len = runnel__v1__server_message__get_packed_size(msg);
	if (evbuffer_reserve_space(out, FRAME_HEADER + len, &v, 1) != 1)
		fatalx("evbuffer_reserve_space failed");
	frame_put_header(v.iov_base, len);
	runnel__v1__server_message__pack(msg, (uint8_t *)v.iov_base +
	    FRAME_HEADER);
	v.iov_len = FRAME_HEADER + len;
	evbuffer_commit_space(out, &v, 1);
	session_note_buffered(s, evbuffer_get_length(out));
	session_fix_undo(&fx);
}

/* Room for a frame of len bytes at the end of the session's output, for a
 * caller that packs it in place (NULL on a dead session); then
 * session_commit. */
uint8_t *
session_reserve(struct session *s, size_t len, struct evbuffer_iovec *v)
{
	if (s->state == SESSION_DEAD)
		return NULL;
	if (evbuffer_reserve_space(bufferevent_get_output(s->bev), len, v,
	    1) != 1)
		fatalx("evbuffer_reserve_space failed");
	return v->iov_base;
}

/* Send the first len bytes of what session_reserve gave. */
void
session_commit(struct session *s, struct evbuffer_iovec *v, size_t len)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);

	v->iov_len = len;
	evbuffer_commit_space(out, v, 1);
	session_note_buffered(s, evbuffer_get_length(out));
}

/* Send an Error reply to a request. */
static void __attribute__((format(printf, 4, 0)))
session_verror(struct session *s, uint64_t req_id, Runnel__V1__ErrorCode code,
    const char *fmt, va_list ap)
{
	Runnel__V1__ServerMessage	 msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__Error		 err;
	char				*text, *esc;

	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	/* The text may quote user bytes (argv, cwd, env). */
	if (!utf8_valid(text, strlen(text))) {
		esc = utf8_escape(text, strlen(text));
		if (esc == NULL)
			fatal("utf8_escape");
		free(text);
		text = esc;
	}
	runnel__v1__error__init(&err);
	err.code = code;
	err.message = text;
	msg.id = req_id;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR;
	msg.error = &err;
	session_send(s, &msg);
	free(text);
}

/* Answer a request with an error; the connection goes on. */
void
session_send_error(struct session *s, uint64_t req_id,
    Runnel__V1__ErrorCode code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	session_verror(s, req_id, code, fmt, ap);
	va_end(ap);
}

/* Answer with an error, log it, and close once it is flushed. */
void
session_close_with_error(struct session *s, uint64_t req_id,
    Runnel__V1__ErrorCode code, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	if (s->state >= SESSION_CLOSING)
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_info("conn %llu: %s%s%s: closing: %s", (unsigned long long)s->id,
	    s->peer, s->identity != NULL ? " " : "",
	    s->identity != NULL ? s->identity : "", text);
	session_send_error(s, req_id, code, "%s", text);
	free(text);
	session_set_state(s, SESSION_CLOSING);
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_lost(s, NULL);
}

/*
 * The peer does not read its replies: read none of its requests until its
 * output has drained below the low mark (session_write_cb), so that what
 * runneld holds for it stays under SESSION_HIWAT plus one reply.  TCP
 * holds the peer back meanwhile, as it holds back a peer that sends faster
 * than runneld reads.
 */
static void
session_pause(struct session *s, size_t queued)
{
	unsigned long long	skipped;

	if (s->read_paused)
		return;
	s->read_paused = 1;
	bufferevent_disable(s->bev, EV_READ);
	if (log_ratelimit(&session_pause_log, &skipped))
		log_info("conn %llu: %zu bytes of replies unread: its requests "
		    "wait until it reads (%llu more paused since the last "
		    "line)", (unsigned long long)s->id, queued, skipped);
}

/* Decode and dispatch every whole frame in the input buffer, while the
 * peer's output queue has room. */
static void
session_read(struct bufferevent *bev, void *arg)
{
	struct session			*s = arg;
	struct evbuffer			*in = bufferevent_get_input(bev);
	struct evbuffer			*out = bufferevent_get_output(bev);
	Runnel__V1__ClientMessage	*msg;
	uint8_t				 hdr[FRAME_HEADER];
	uint8_t				*p;
	uint32_t			 len;
	enum frame_result		 r;

	while (s->state < SESSION_CLOSING) {
		if (evbuffer_copyout(in, hdr, sizeof hdr) != sizeof hdr)
			return;
		if (evbuffer_get_length(out) >= SESSION_HIWAT) {
			session_pause(s, evbuffer_get_length(out));
			return;
		}
		session_note_buffered(s, evbuffer_get_length(in));
		/* Only the header is looked at; the length says how much of
		 * the buffer is there. */
		r = frame_parse(hdr, evbuffer_get_length(in),
		    session_frame_limit(s), &len);
		if (r < 0) {
			session_close_with_error(s, 0,
			    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL, "%s",
			    frame_strerror(r));
			return;
		}
		/* Room for the whole frame, no more: the limit grows at
		 * Hello, and a reload may change max_frame. */
		if (r == FRAME_NEED_MORE) {
			bufferevent_setwatermark(bev, EV_READ, 0,
			    session_frame_limit(s) + FRAME_HEADER);
			return;
		}
		p = evbuffer_pullup(in, FRAME_HEADER + len);
		msg = runnel__v1__client_message__unpack(NULL, len,
		    p + FRAME_HEADER);
		evbuffer_drain(in, FRAME_HEADER + len);
		if (msg == NULL) {
			session_close_with_error(s, 0,
			    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL,
			    "malformed message");
			return;
		}
		rpc_dispatch(s, msg);
		runnel__v1__client_message__free_unpacked(msg, NULL);
		session_touch(s);
	}
}

/* Time each read of the peer's frames: a slow one is logged with its
 * connection (freed later, never during the call). */
static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct lag_mark	 m;

	lag_begin(&m);
	session_read(bev, arg);
	lag_end(&m, "conn %llu: read", (unsigned long long)s->id);
}

/* The output buffer drained below the low mark: read the requests that
 * waited for it, continue the watches, or finish closing. */
static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;

	if (s->state == SESSION_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			session_lost(s, NULL);
		return;
	}
	/* Requests before more watch output (the pump runs at bulk
	 * priority, after this). */
	if (s->read_paused) {
		s->read_paused = 0;
		bufferevent_enable(bev, EV_READ);
		session_read_cb(bev, s);
		if (s->state >= SESSION_CLOSING)
			return;
	}
	if (!TAILQ_EMPTY(&s->watches))
		session_schedule_pump(s);
}

/* Collect the OpenSSL errors of a TLS bufferevent into one string. */
static char *
session_tls_errors(struct bufferevent *bev)
{
	unsigned long	 e;
	char		 buf[256], *all = NULL, *tmp;

	while ((e = bufferevent_get_openssl_error(bev)) != 0) {
		/* libevent queues SSL_get_error() codes among the errors:
		 * they name no library and are no error string. */
		if (ERR_GET_LIB(e) == 0)
			continue;
		ERR_error_string_n(e, buf, sizeof buf);
		tmp = xasprintf("%s%s%s", all != NULL ? all : "",
		    all != NULL ? "; " : "", buf);
		free(all);
		all = tmp;
	}
	return all;
}

/* Handshake done, EOF or error. */
static void
session_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct session	*s = arg;
	SSL		*ssl;
	char		*why;

	if (events & BEV_EVENT_CONNECTED) {
		session_set_state(s, SESSION_HELLO);
		ssl = bufferevent_openssl_get_ssl(bev);
		if ((s->identity = tls_peer_cn(ssl)) == NULL) {
			session_lost(s, "client certificate has no CN");
			return;
		}
		/* "unix:USER" names a local user, whose tasks run as USER:
		 * only the unix socket's peer credentials say who that is. */
		if (strncmp(s->identity, "unix:", 5) == 0) {
			session_lost(s, "client certificate CN starts with "
			    "'unix:', which names local users");
			return;
		}
		s->role = access_role(server.conf, s->identity);
		log_debug("conn %llu: tls identity %s",
		    (unsigned long long)s->id, s->identity);
		return;
	}
	if (events & BEV_EVENT_EOF) {
		session_lost(s, s->hello_done ? "closed" : "closed before hello");
		return;
	}
	if (events & BEV_EVENT_ERROR) {
		why = s->is_unix ? NULL : session_tls_errors(bev);
		if (why == NULL)
			why = xasprintf("%s%s",
			    s->state != SESSION_HANDSHAKE ? "" :
			    "tls handshake failed: ",
			    EVUTIL_SOCKET_ERROR() != 0 ?
			    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()) :
			    "connection error");
		else if (s->state == SESSION_HANDSHAKE) {
			char	*tmp;
			long	 vr = X509_V_OK;

			/* Say why the client's certificate was refused
			 * (expired, not yet valid, ...): the error queue
			 * only says that it was. */
			if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
				vr = SSL_get_verify_result(ssl);
			tmp = xasprintf("tls handshake failed: %s%s%s%s", why,
			    vr != X509_V_OK ? " (client certificate: " : "",
			    vr != X509_V_OK ?
			    X509_verify_cert_error_string(vr) : "",
			    vr != X509_V_OK ? ")" : "");
			free(why);
			why = tmp;
		}
		session_lost(s, why);
		free(why);
	}
}
