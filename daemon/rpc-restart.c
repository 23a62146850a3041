/*
 * rpc-restart.c - Restart: submit a copy of a finished task's spec.  The
 * identity that asks owns the new task (its role lets it control the old
 * one: a user restarts only its own), under the rules of a Submit.
 */
#include <stdlib.h>

#include "runneld.h"

static char	rpc_restart_nokey[] = "";

/* Make a new task from an old one's spec. */
static void
rpc_restart(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	Runnel__V1__TaskSpec		 spec;
	struct task			*old, *t;
	char				*cause = NULL;
	Runnel__V1__ErrorCode		 code;

	if ((old = rpc_find_task(s, req_id, msg->restart->task_id, 1)) == NULL)
		return;
	if (!task_is_final(old)) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
		    "task %llu is still %s", (unsigned long long)old->id,
		    task_state_name(old->state));
		return;
	}
	if (rpc_submit_refused(s, req_id, "restart") ||
	    rpc_submit_queue_full(s, req_id))
		return;
	/* The same spec but for what made the old one unique in time. */
	spec = *old->spec;
	spec.key = rpc_restart_nokey;
	spec.start_at_ms = 0;
	spec.stdin_stream = 0;
	spec.stdin_data.data = old->stdin_data;
	spec.stdin_data.len = old->stdin_len;
	if (old->queue != NULL)
		spec.queue = old->queue->name;
	t = task_create(&spec, s->identity, &code, &cause);
	if (t == NULL) {
		session_send_error(s, req_id, code, "%s", cause);
		free(cause);
		return;
	}
	/* The answer once the task's record is durable. */
	rpc_submit_reply_durable(s, req_id, t->id, 0);
}

const struct rpc_entry rpc_restart_entry = {
	.name = "restart",
	.min_role = ROLE_USER,
	.handler = rpc_restart,
};
