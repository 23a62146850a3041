/*
 * rpc-submit.c - Submit: validate a spec, queue the task, and with `watch`
 * stream its output on the same request id.
 */
#include <stdlib.h>

#include "log.h"
#include "runneld.h"

/* Create a task from the spec and answer with its id. */
static void
rpc_submit(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	Runnel__V1__ServerMessage	 reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__SubmitReply		 sr = RUNNEL__V1__SUBMIT_REPLY__INIT;
	struct task			*t;
	char				*cause = NULL;

	if (server.shutting_down) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
		    "daemon is shutting down");
		return;
	}
	t = task_create(msg->submit->spec, s->identity, &cause);
	if (t == NULL) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT, "%s", cause);
		free(cause);
		return;
	}
	sr.task_id = t->id;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT;
	reply.submit = &sr;
	session_send(s, &reply);
	if (msg->submit->watch)
		watch_create(s, req_id, &t, 1, 0, 0);
	task_schedule();
}

const struct rpc_entry rpc_submit_entry = {
	.name = "submit",
	.min_role = ROLE_USER,
	.handler = rpc_submit,
};
