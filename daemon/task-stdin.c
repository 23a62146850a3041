/*
 * task-stdin.c - a task's streamed stdin and its flow control.  Its stdin
 * belongs to the session that submitted it (as a terminal's to its ssh
 * session), which keeps the list of the tasks it owns: a disconnect ends
 * the stdin of those, and no other.  A Stdin request is answered once the
 * task's buffer is below STDIN_HIWAT, so a sender with one request in
 * flight never makes the daemon hold more than that per task; the answer
 * itself is the request handler's (a callback).
 */
#include <stdlib.h>

#include <event2/buffer.h>

#include "runneld.h"
#include "task-event.h"

/* How a held Stdin request is answered (rpc-stdin.c's reply). */
static task_stdin_reply_cb	task_stdin_reply;

/* The task was submitted with streamed stdin on the session: it alone may
 * send it. */
void
task_stdin_own(struct task *t, struct session *s)
{
	t->stdin_owner = s;
	s->stdin_tasks = xreallocarray(s->stdin_tasks, s->nstdin_tasks + 1,
	    sizeof *s->stdin_tasks);
	s->stdin_tasks[s->nstdin_tasks++] = t->id;
}

/* Queue the owner's bytes (the last ones if eof) for the running task's
 * stdin, and hold the answer to its request until the buffer drains below
 * STDIN_HIWAT (perhaps at once). */
void
task_stdin_write(struct task *t, const void *data, size_t len, int eof,
    uint64_t req_id, task_stdin_reply_cb cb)
{
	evbuffer_add(t->stdin_buf, data, len);
	if (eof)
		t->stdin_eof = 1;
	task_stdin_reply = cb;
	t->stdin_session = t->stdin_owner;
	t->stdin_req = req_id;
	if (t->state == TASK_RUNNING && t->kind->input != NULL)
		t->kind->input(t);
	task_stdin_drained(t);
}

/* The task's stdin buffer drained (or the task ended): answer the request
 * that was held back. */
void
task_stdin_drained(struct task *t)
{
	struct session	*s = t->stdin_session;

	if (s == NULL)
		return;
	if (t->stdin_buf != NULL && !task_is_final(t) &&
	    evbuffer_get_length(t->stdin_buf) >= STDIN_HIWAT)
		return;
	t->stdin_session = NULL;
	task_stdin_reply(s, t->stdin_req);
}

/* A session went away: it is owed nothing any more, and the stdin of the
 * tasks it submitted with stdin_stream ends (the task reads EOF once it has
 * read what was sent), as a terminal's does when its connection goes. */
void
task_stdin_lost(struct session *s)
{
	struct task	*t;
	size_t		 i;

	for (i = 0; i < s->nstdin_tasks; i++) {
		if ((t = task_find(s->stdin_tasks[i])) == NULL ||
		    t->stdin_owner != s)
			continue;
		t->stdin_session = NULL;
		t->stdin_owner = NULL;
		if (t->stdin_eof)
			continue;
		t->stdin_eof = 1;
		if (t->state == TASK_RUNNING && t->kind->input != NULL)
			t->kind->input(t);
	}
	free(s->stdin_tasks);
	s->stdin_tasks = NULL;
	s->nstdin_tasks = 0;
}

const struct task_listener task_stdin_listener = {
	.name = "stdin",
	.input_drained = task_stdin_drained,
	.ended = task_stdin_drained,
};
