/*
 * rpc-stdin.c - Stdin: bytes for a task submitted with stdin_stream, from
 * the connection that submitted it and no other (its stdin belongs to that
 * connection, as a terminal's to its ssh session).  The reply is the flow
 * control: task-stdin.c holds it until the task's buffer is below
 * STDIN_HIWAT, so a sender with one request in flight never makes the
 * daemon hold more than that per task.
 */
#include "runneld.h"

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
	task_stdin_write(t, sr->data.data, sr->data.len, sr->eof, req_id,
	    rpc_stdin_reply);
}

const struct rpc_entry rpc_stdin_entry = {
	.name = "stdin",
	.min_role = ROLE_USER,
	.handler = rpc_stdin,
};

