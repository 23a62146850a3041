/*
 * rpc-cancel.c - Cancel: signal tasks' process groups, SIGKILL after the
 * grace period.  All ids are checked before any task is touched.
 */
#include <signal.h>
#include <stdlib.h>

#include "runneld.h"

#define RPC_CANCEL_MAX	4096

/* Check the ids and rights, then cancel each task still going. */
static void
rpc_cancel(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__CancelRequest	 *cr = msg->cancel;
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__CancelReply		  crr = RUNNEL__V1__CANCEL_REPLY__INIT;
	struct task			**tasks;
	uint64_t			 *done;
	size_t				  i, n = 0;
	int				  sig = cr->signal;
	uint64_t			  grace = cr->grace_ms;

	if (cr->n_task_ids == 0 || cr->n_task_ids > RPC_CANCEL_MAX) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "cancel needs 1 to %d task ids", RPC_CANCEL_MAX);
		return;
	}
	if (sig == 0)
		sig = SIGTERM;
	if (sig < 1 || sig >= NSIG) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "bad signal %d", cr->signal);
		return;
	}
	if (grace == 0)
		grace = server.conf->grace_ms;
	tasks = xcalloc(cr->n_task_ids, sizeof *tasks);
	done = xcalloc(cr->n_task_ids, sizeof *done);
	for (i = 0; i < cr->n_task_ids; i++) {
		tasks[i] = rpc_find_task(s, req_id, cr->task_ids[i], 1);
		if (tasks[i] == NULL)
			goto out;
	}
	for (i = 0; i < cr->n_task_ids; i++) {
		if (task_is_final(tasks[i]))
			continue;
		task_cancel(tasks[i], sig, grace, s->identity);
		done[n++] = tasks[i]->id;
	}
	crr.task_ids = done;
	crr.n_task_ids = n;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL;
	reply.cancel = &crr;
	session_send(s, &reply);
out:
	free(done);
	free(tasks);
}

const struct rpc_entry rpc_cancel_entry = {
	.name = "cancel",
	.min_role = ROLE_USER,
	.handler = rpc_cancel,
};
