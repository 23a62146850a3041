/*
 * rpc-stdin.c - Stdin: bytes for a task submitted with stdin_stream, from
 * the connection that submitted it and no other (its stdin belongs to that
 * connection, as a terminal's to its ssh session).  The reply is the flow
 * control: it is sent once the task's buffer is below
 * STDIN_HIWAT, so a sender with one request in flight never makes the
 * daemon hold more than that per task.
 */
#include <event2/buffer.h>

#include "runneld.h"
#include "task-event.h"

/* Answer a Stdin request. */
static void
rpc_stdin_reply(struct session *s, uint64_t req_id)
{
	Runnel__V1__ServerMessage	reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__StdinReply		sr = RUNNEL__V1__STDIN_REPLY__INIT;

	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_STDIN;
	reply.stdin = &sr;
	session_send(s, &reply);
}

/* The task's stdin buffer drained (or the task ended): answer the request
 * that was held back. */
void
rpc_stdin_drained(struct task *t)
{
	struct session	*s = t->stdin_session;

	if (s == NULL)
		return;
	if (t->stdin_buf != NULL && !task_is_final(t) &&
	    evbuffer_get_length(t->stdin_buf) >= STDIN_HIWAT)
		return;
	t->stdin_session = NULL;
	rpc_stdin_reply(s, t->stdin_req);
}

/* A session went away: it is owed nothing any more, and the stdin of the
 * tasks it submitted with stdin_stream ends (the task reads EOF once it has
 * read what was sent), as a terminal's does when its connection goes. */
void
rpc_stdin_lost(struct session *s)
{
	struct task	*t;
	size_t		 i;

	TASK_FOREACH(t, i) {
		if (t->stdin_session == s)
			t->stdin_session = NULL;
		if (t->stdin_owner != s)
			continue;
		t->stdin_owner = NULL;
		if (t->stdin_eof)
			continue;
		t->stdin_eof = 1;
		if (t->state == TASK_RUNNING && t->kind->input != NULL)
			t->kind->input(t);
	}
}

/* Queue the bytes for the task's stdin. */
static void
rpc_stdin(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__StdinRequest	*sr = msg->stdin;
	struct task			*t;

	if ((t = rpc_find_task(s, req_id, sr->task_id, 1)) == NULL)
		return;
	if (!t->spec->stdin_stream || t->stdin_eof) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
		    "task %llu: %s", (unsigned long long)t->id,
		    t->stdin_eof ? "stdin already closed" :
		    "not submitted with streamed stdin");
		return;
	}
	if (t->stdin_owner != s) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED,
		    "task %llu: its stdin belongs to the connection that "
		    "submitted it", (unsigned long long)t->id);
		return;
	}
	if (t->stdin_session != NULL) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
		    "task %llu: a stdin request is already waiting",
		    (unsigned long long)t->id);
		return;
	}
	if (task_is_final(t) || t->stdin_buf == NULL) {
		/* Nobody will read it: accept and drop. */
		rpc_stdin_reply(s, req_id);
		return;
	}
	evbuffer_add(t->stdin_buf, sr->data.data, sr->data.len);
	if (sr->eof)
		t->stdin_eof = 1;
	t->stdin_session = s;
	t->stdin_req = req_id;
	if (t->state == TASK_RUNNING && t->kind->input != NULL)
		t->kind->input(t);
	rpc_stdin_drained(t);
}

const struct rpc_entry rpc_stdin_entry = {
	.name = "stdin",
	.min_role = ROLE_USER,
	.handler = rpc_stdin,
};

const struct task_listener task_stdin_listener = {
	.name = "stdin",
	.input_drained = rpc_stdin_drained,
	.ended = rpc_stdin_drained,
};
