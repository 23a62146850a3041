/*
 * watch.c - watches: a watch is a set of cursors, one per watched task, each
 * just a position in that task's output log.  Live data and replay are the
 * same path: a session sends chunks while its output buffer is under the
 * high-water mark and continues from the cursors when it drains, so a slow
 * client costs a cursor, never a queue, and never slows a task.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

/* One buffer for building chunks; the loop is single-threaded. */
static uint8_t	watch_buf[SESSION_CHUNK];

/* Start watching tasks on a session, from an offset or from the tail. */
struct watch *
watch_create(struct session *s, uint64_t req_id, struct task **tasks,
    size_t n, uint64_t from, int tail)
{
	struct watch	*w;
	struct cursor	*c;
	size_t		 i;
	uint64_t	 start;

	w = xcalloc(1, sizeof *w);
	w->session = s;
	w->req_id = req_id;
	w->cursors = xcalloc(n, sizeof *w->cursors);
	w->ncursors = n;
	for (i = 0; i < n; i++) {
		c = &w->cursors[i];
		c->watch = w;
		c->task = tasks[i];
		start = tail ? output_tail_offset(tasks[i]->output) : from;
		if (output_seek(tasks[i]->output, &c->oc, start) == -1)
			output_seek(tasks[i]->output, &c->oc, UINT64_MAX);
		TAILQ_INSERT_TAIL(&tasks[i]->cursors, c, task_entry);
	}
	TAILQ_INSERT_TAIL(&s->watches, w, entry);
	session_schedule_pump(s);
	return w;
}

/* Stop a watch and forget its cursors. */
void
watch_free(struct watch *w)
{
	size_t	i;

	for (i = 0; i < w->ncursors; i++)
		TAILQ_REMOVE(&w->cursors[i].task->cursors, &w->cursors[i],
		    task_entry);
	TAILQ_REMOVE(&w->session->watches, w, entry);
	free(w->cursors);
	free(w);
}

/* A task has new output or has ended: wake the sessions watching it. */
void
watch_notify(struct task *t)
{
	struct cursor	*c;

	TAILQ_FOREACH(c, &t->cursors, task_entry)
		session_schedule_pump(c->watch->session);
}

/* Send the next chunk of one cursor; 1 if something was sent. */
static int
watch_send_chunk(struct watch *w, struct cursor *c)
{
	Runnel__V1__ServerMessage	msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__OutputChunk		chunk = RUNNEL__V1__OUTPUT_CHUNK__INIT;
	Runnel__V1__TaskEvent		ev = RUNNEL__V1__TASK_EVENT__INIT;
	Runnel__V1__TaskInfo		info;
	ssize_t				n;
	int				stream;
	uint64_t			offset;
	int64_t				time_us;

	if (c->done)
		return 0;
	msg.id = w->req_id;
	n = output_read(c->task->output, &c->oc, watch_buf, sizeof watch_buf,
	    &stream, &offset, &time_us);
	if (n == -1) {
		log_warnx("task %llu: output at offset %llu is gone",
		    (unsigned long long)c->task->id,
		    (unsigned long long)c->oc.offset);
		output_seek(c->task->output, &c->oc, UINT64_MAX);
		n = 0;
	}
	if (n > 0) {
		chunk.task_id = c->task->id;
		chunk.stream = (Runnel__V1__Stream)stream;
		chunk.offset = offset;
		chunk.data.data = watch_buf;
		chunk.data.len = n;
		chunk.time_us = time_us;
		msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
		msg.output = &chunk;
		session_send(w->session, &msg);
		return 1;
	}
	if (!task_is_final(c->task))
		return 0;
	/* All output sent and the task is over: say how it ended. */
	task_info_fill(c->task, &info);
	ev.task = &info;
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
				sent |= watch_send_chunk(w, &w->cursors[i]);
			}
			w->next = (w->next + 1) % w->ncursors;
			if (w->nfinished == w->ncursors) {
				msg.id = w->req_id;
				msg.reply_case =
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END;
				msg.watch_end = &end;
				session_send(s, &msg);
				watch_free(w);
			}
		}
	} while (sent && !s->dead);
	return 0;
}
