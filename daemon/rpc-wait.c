/*
 * rpc-wait.c - Wait: asyncio's gather/wait as an RPC.  Answers when all the
 * selected tasks have ended (WAIT_ALL), when one has (FIRST_COMPLETED), or
 * when one did not succeed (FIRST_FAILURE), or at the timeout; optionally
 * cancels the rest.  The daemon pushes the answer; nobody polls.  The
 * open waits themselves are wait.c's.
 */
#include <stdlib.h>

#include "log.h"
#include "runneld.h"

/* Select the tasks, then answer now or when the condition is met. */
static void
rpc_wait(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__WaitRequest	 *wr = msg->wait;
	struct task			**tasks;
	size_t				  n;

	/* The role first: selecting with cancel_rest checks each task. */
	if (wr->cancel_rest && s->role < ROLE_USER) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED,
		    "cancel needs role user; %s is %s", s->identity,
		    access_role_name(s->role));
		return;
	}
	if (rpc_select(s, req_id, wr->task_ids, wr->n_task_ids, wr->select,
	    wr->cancel_rest, &tasks, &n) != 0)
		return;
	if (n == 0) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "wait: no tasks selected");
		free(tasks);
		return;
	}
	wait_create(s, req_id, tasks, n, wr->mode, wr->cancel_rest,
	    wr->timeout_ms);
	free(tasks);
}

const struct rpc_entry rpc_wait_entry = {
	.name = "wait",
	.min_role = ROLE_VIEWER,
	.handler = rpc_wait,
};

