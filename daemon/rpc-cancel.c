/*
 * rpc-cancel.c - Cancel: signal tasks' process groups, SIGKILL after the
 * grace period.  All ids are checked before any task is touched.
 */
#include <signal.h>
#include <stdlib.h>

#include "runneld.h"

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
	size_t				  i, n, ndone = 0;
	int				  sig = cr->signal;
	uint64_t			  grace = cr->grace_ms;

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
	if (rpc_select(s, req_id, cr->task_ids, cr->n_task_ids, cr->select, 1,
	    &tasks, &n) != 0)
		return;
	if (n == 0 && cr->select == NULL) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "cancel: no tasks given");
		free(tasks);
		return;
	}
	done = xcalloc(n, sizeof *done);
	for (i = 0; i < n; i++) {
		if (task_is_final(tasks[i]))
			continue;
		task_cancel(tasks[i], sig, grace, s->identity);
		done[ndone++] = tasks[i]->id;
	}
	crr.task_ids = done;
	crr.n_task_ids = ndone;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL;
	reply.cancel = &crr;
	session_send(s, &reply);
	free(done);
	free(tasks);
}

const struct rpc_entry rpc_cancel_entry = {
	.name = "cancel",
	.min_role = ROLE_USER,
	.handler = rpc_cancel,
};
