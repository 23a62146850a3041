/*
 * watch.c - watches: a watch is a set of cursors, one per watched task, each
 * just a position in that task's output log.  Live data and replay are the
 * same path: a session sends chunks while its output buffer is under the
 * high-water mark and continues from the cursors when it drains, so a slow
 * client costs a cursor, never a queue, and never slows a task.  A watch
 * that follows a selector takes in tasks submitted after it began.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "chunk.h"
#include "log.h"
#include "runneld.h"

/* The most output bytes one chunk to a watcher carries. */
#define WATCH_CHUNK		(64 * 1024)
#include "task-event.h"

/* One buffer for building chunks; the loop is single-threaded. */
static uint8_t	watch_buf[WATCH_CHUNK];

/* A request's resume entries, sorted by task id and then by their place
 * in the request (the last entry for a task counts). */
struct watch_resume {
	uint64_t	task_id;
	uint64_t	offset;
	size_t		order;
};

/* Order resume entries, for qsort. */
static int
watch_resume_cmp(const void *a, const void *b)
{
	const struct watch_resume	*ra = a, *rb = b;

	if (ra->task_id != rb->task_id)
		return ra->task_id < rb->task_id ? -1 : 1;
	return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/* Has the request a resume offset for the task?  1 and *offset if so. */
static int
watch_resume_find(const struct watch_resume *r, size_t n, uint64_t id,
    uint64_t *offset)
{
	size_t	lo = 0, hi = n, mid;

	/* The first entry past the task's last one. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r[mid].task_id <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || r[lo - 1].task_id != id)
		return 0;
	*offset = r[lo - 1].offset;
	return 1;
}

/* Add a task to a watch, starting where the request says. */
static void
watch_add_task(struct watch *w, struct task *t,
    const Runnel__V1__WatchRequest *wr, const struct watch_resume *resume,
    size_t nresume)
{
	struct cursor	*c;
	uint64_t	 start = 0;

	if (wr != NULL && !watch_resume_find(resume, nresume, t->id, &start)) {
		if (wr->tail_lines > 0)
			start = output_tail_lines(t->output, wr->tail_lines);
		else if (wr->tail)
			start = output_tail_offset(t->output);
		else
			start = wr->from_offset;
	}
	c = xcalloc(1, sizeof *c);
	c->watch = w;
	c->task = t;
	/* A log that cannot be read stays at its start, where the first
	 * read fails again and tells the watcher why. */
	if (output_seek(t->output, &c->oc, start) == -1)
		memset(&c->oc, 0, sizeof c->oc);
	TAILQ_INSERT_TAIL(&t->cursors, c, task_entry);
	if (w->ncursors == w->nalloc) {
		w->nalloc = w->nalloc == 0 ? 4 : w->nalloc * 2;
		w->cursors = xreallocarray(w->cursors, w->nalloc,
		    sizeof *w->cursors);
	}
	w->cursors[w->ncursors++] = c;
}

/* Start watching tasks on a session; wr (NULL: from the start) says from
 * where, which streams, and whether to follow new tasks. */
struct watch *
watch_create(struct session *s, uint64_t req_id, struct task **tasks,
    size_t n, const Runnel__V1__WatchRequest *wr)
{
	struct watch		*w;
	struct watch_resume	*resume = NULL;
	size_t			 i, len, nresume = 0;
	uint8_t			*buf;

	w = xcalloc(1, sizeof *w);
	w->session = s;
	w->req_id = req_id;
	for (i = 0; wr != NULL && i < wr->n_streams; i++)
		w->streams |= 1U << (wr->streams[i] & 31);
	if (wr != NULL && wr->follow && wr->select != NULL) {
		w->follow = 1;
		len = runnel__v1__selector__get_packed_size(wr->select);
		buf = xmalloc(len);
		runnel__v1__selector__pack(wr->select, buf);
		w->select = runnel__v1__selector__unpack(NULL, len, buf);
		free(buf);
	}
	if (wr != NULL && wr->n_resume > 0) {
		nresume = wr->n_resume;
		resume = xreallocarray(NULL, nresume, sizeof *resume);
		for (i = 0; i < nresume; i++) {
			resume[i].task_id = wr->resume[i]->task_id;
			resume[i].offset = wr->resume[i]->offset;
			resume[i].order = i;
		}
		qsort(resume, nresume, sizeof *resume, watch_resume_cmp);
	}
	for (i = 0; i < n; i++)
		watch_add_task(w, tasks[i], wr, resume, nresume);
	free(resume);
	TAILQ_INSERT_TAIL(&s->watches, w, entry);
	session_schedule_pump(s);
	return w;
}

/* Stop a watch and forget its cursors. */
void
watch_free(struct watch *w)
{
	size_t	i;

	for (i = 0; i < w->ncursors; i++) {
		TAILQ_REMOVE(&w->cursors[i]->task->cursors, w->cursors[i],
		    task_entry);
		free(w->cursors[i]);
	}
	TAILQ_REMOVE(&w->session->watches, w, entry);
	if (w->select != NULL)
		runnel__v1__selector__free_unpacked(w->select, NULL);
	free(w->cursors);
	free(w);
}

/* A task has new output or has ended: wake the sessions watching it. */
static void
watch_notify(struct task *t)
{
	struct cursor	*c;

	TAILQ_FOREACH(c, &t->cursors, task_entry)
		session_schedule_pump(c->watch->session);
}

/* A task was submitted: following watches whose selector it matches take
 * it in, from its start. */
static void
watch_task_created(struct task *t)
{
	struct session	*s;
	struct watch	*w;

	TAILQ_FOREACH(s, &server.sessions, entry) {
		TAILQ_FOREACH(w, &s->watches, entry) {
			if (!w->follow || !select_may_see(s, t) ||
			    !select_match(t, w->select))
				continue;
			watch_add_task(w, t, NULL, NULL, 0);
			session_schedule_pump(s);
		}
	}
}

/* Send the output chunk just read. */
static void
watch_send_output(struct watch *w, struct cursor *c, size_t n, int stream,
    uint64_t offset, int64_t time_us)
{
	Runnel__V1__ServerMessage	msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__OutputChunk		chunk = RUNNEL__V1__OUTPUT_CHUNK__INIT;

	msg.id = w->req_id;
	chunk.task_id = c->task->id;
	chunk.stream = (Runnel__V1__Stream)stream;
	chunk.offset = offset;
	chunk.data.data = watch_buf;
	chunk.data.len = n;
	chunk.time_us = time_us;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
	msg.output = &chunk;
	session_send(w->session, &msg);
}

/*
 * Send the next n bytes at the cursor as an OutputChunk: the frame header
 * and the message's head (packed by lib/chunk.c) go into the session's
 * output buffer and the bytes read from the log straight behind them, one
 * copy instead of three (log to buffer, buffer to message, message to
 * frame).  Returns -1 if the bytes are gone.
 */
static int
watch_send_data(struct watch *w, struct cursor *c, size_t n, int stream,
    uint64_t offset, int64_t time_us)
{
	const struct chunk_head	 h = {
		.id = w->req_id,
		.task_id = c->task->id,
		.stream = stream,
		.offset = offset,
		.time_us = time_us,
		.len = n,
	};
	struct evbuffer_iovec	 v;
	size_t			 msg_len;
	uint8_t			*p, *start;
	ssize_t			 got;
	int			 s1;
	uint64_t		 o1;
	int64_t			 t1;

	msg_len = chunk_encoded_len(&h);
	if ((start = session_reserve(w->session, FRAME_HEADER + msg_len,
	    &v)) == NULL)
		return 0;
	frame_put_header(start, msg_len);
	p = chunk_encode_head(start + FRAME_HEADER, &h);
	got = output_read(c->task->output, &c->oc, p, n, &s1, &o1, &t1);
	if (got != (ssize_t)n)
		return -1;	/* never committed */
	session_commit(w->session, &v, FRAME_HEADER + msg_len);
	return 0;
}

/* Say that retention removed output from where the cursor was; the
 * notice carries the offset at which the log goes on. */
static void
watch_send_dropped(struct watch *w, struct cursor *c, uint64_t from)
{
	int	n;

	n = snprintf((char *)watch_buf, sizeof watch_buf, "runnel: %llu bytes "
	    "of output from offset %llu were removed by retention\n",
	    (unsigned long long)(c->oc.offset - from),
	    (unsigned long long)from);
	watch_send_output(w, c, n, RUNNEL__V1__STREAM__STREAM_SYSTEM,
	    c->oc.offset, server_now_us());
}

/* The log's bytes at the cursor cannot be read (its spool was removed
 * from under runneld, or no descriptor is left to open it): say so to the
 * watcher, with the offset at which the log goes on, and skip to there
 * (the end, for now) rather than stop or try again for ever. */
static void
watch_send_unreadable(struct watch *w, struct cursor *c, int error)
{
	static struct log_rate	 rate;
	unsigned long long	 skipped;
	uint64_t		 from = c->oc.offset;
	int			 n;

	output_seek(c->task->output, &c->oc, UINT64_MAX);
	if (log_ratelimit(&rate, &skipped))
		log_warnx("task %llu: cannot read output at offset %llu: %s "
		    "(%llu more since the last line)",
		    (unsigned long long)c->task->id,
		    (unsigned long long)from, strerror(error), skipped);
	n = snprintf((char *)watch_buf, sizeof watch_buf, "runnel: cannot "
	    "read output from offset %llu to %llu (%s); it is skipped\n",
	    (unsigned long long)from, (unsigned long long)c->oc.offset,
	    strerror(error));
	watch_send_output(w, c, n, RUNNEL__V1__STREAM__STREAM_SYSTEM,
	    c->oc.offset, server_now_us());
}

/* Send the next chunk of one cursor; 1 if something was sent. */
static int
watch_send_chunk(struct watch *w, struct cursor *c)
{
	Runnel__V1__ServerMessage	msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__TaskEvent		ev = RUNNEL__V1__TASK_EVENT__INIT;
	Runnel__V1__TaskInfo		info;
	ssize_t				n;
	int				stream, skipped = 0;
	uint64_t			offset;
	int64_t				time_us;

	if (c->done)
		return 0;
	/* Records of streams the watch does not want are skipped, a few
	 * at a time so that one wake-up stays short. */
	do {
		n = output_peek(c->task->output, &c->oc, WATCH_CHUNK, &stream,
		    &offset, &time_us);
		if (n > 0 && (w->streams == 0 ||
		    (w->streams & (1U << (stream & 31))) != 0) &&
		    watch_send_data(w, c, n, stream, offset, time_us) == 0)
			return 1;
		n = output_read(c->task->output, &c->oc, watch_buf,
		    sizeof watch_buf, &stream, &offset, &time_us);
		if (n == OUTPUT_DROPPED) {
			watch_send_dropped(w, c, offset);
			return 1;
		}
		if (n == -1) {
			watch_send_unreadable(w, c, errno);
			return 1;
		}
		if (n > 0 && (w->streams == 0 ||
		    (w->streams & (1U << (stream & 31))) != 0)) {
			watch_send_output(w, c, n, stream, offset, time_us);
			return 1;
		}
	} while (n > 0 && ++skipped < 64);
	if (n > 0)
		return 1;
	if (!task_is_final(c->task))
		return 0;
	/* All output sent and the task is over: say how it ended. */
	task_info_fill(c->task, &info);
	ev.task = &info;
	msg.id = w->req_id;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK;
	msg.task = &ev;
	session_send(w->session, &msg);
	task_info_clear(&info);
	c->done = 1;
	w->nfinished++;
	return 1;
}

/* Send what a session's watches have, round-robin over cursors, until the
 * peer's buffer is full; returns 1 if more is waiting. */
int
watch_pump(struct session *s)
{
	Runnel__V1__ServerMessage	 msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__WatchEnd		 end = RUNNEL__V1__WATCH_END__INIT;
	struct watch			*w, *w1;
	size_t				 i, k;
	int				 sent;

	do {
		sent = 0;
		TAILQ_FOREACH_SAFE(w, &s->watches, entry, w1) {
			for (k = 0; k < w->ncursors; k++) {
				if (!session_writable(s))
					return 1;
				i = (w->next + k) % w->ncursors;
				sent |= watch_send_chunk(w, w->cursors[i]);
			}
			if (w->ncursors > 0)
				w->next = (w->next + 1) % w->ncursors;
			if (!w->follow && w->nfinished == w->ncursors) {
				msg.id = w->req_id;
				msg.reply_case =
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END;
				msg.watch_end = &end;
				session_send(s, &msg);
				watch_free(w);
			}
		}
	} while (sent && s->state != SESSION_DEAD);
	return 0;
}

/* Is the task being read by a watch (it may not be removed)? */
static int
watch_holds(const struct task *t)
{
	return !TAILQ_EMPTY(&t->cursors);
}

const struct task_listener watch_task_listener = {
	.name = "watch",
	.created = watch_task_created,
	.output = watch_notify,
	.ended = watch_notify,
	.holds = watch_holds,
};
