/*
 * rpc-wait.c - Wait: answer when every listed task has ended.  The daemon
 * pushes the answer when the last one finishes; nobody polls.
 */
#include <stdlib.h>

#include "runneld.h"

#define RPC_WAIT_MAX	4096

/* Send the WaitReply with every task's final description. */
static void
rpc_wait_reply(struct waiter *w)
{
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__WaitReply		  wr = RUNNEL__V1__WAIT_REPLY__INIT;
	Runnel__V1__TaskInfo		 *infos, **ptrs;
	size_t				  i;

	infos = xcalloc(w->nids, sizeof *infos);
	ptrs = xcalloc(w->nids, sizeof *ptrs);
	for (i = 0; i < w->nids; i++) {
		task_info_fill(task_find(w->ids[i]), &infos[i]);
		ptrs[i] = &infos[i];
	}
	wr.tasks = ptrs;
	wr.n_tasks = w->nids;
	reply.id = w->req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT;
	reply.wait = &wr;
	session_send(w->session, &reply);
	for (i = 0; i < w->nids; i++)
		task_info_clear(&infos[i]);
	free(ptrs);
	free(infos);
}

/* Forget a waiter. */
void
rpc_wait_free(struct waiter *w)
{
	TAILQ_REMOVE(&server.waiters, w, entry);
	free(w->ids);
	free(w);
}

/* A task ended: answer the waiter if all of its tasks have. */
void
rpc_wait_check(struct waiter *w)
{
	size_t	i;

	for (i = 0; i < w->nids; i++) {
		if (!task_is_final(task_find(w->ids[i])))
			return;
	}
	rpc_wait_reply(w);
	rpc_wait_free(w);
}

/* Check the ids, then answer now or when the last task ends. */
static void
rpc_wait(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__WaitRequest	*wr = msg->wait;
	struct waiter			*w;
	size_t				 i;

	if (wr->n_task_ids == 0 || wr->n_task_ids > RPC_WAIT_MAX) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "wait needs 1 to %d task ids", RPC_WAIT_MAX);
		return;
	}
	for (i = 0; i < wr->n_task_ids; i++) {
		if (rpc_find_task(s, req_id, wr->task_ids[i], 0) == NULL)
			return;
	}
	w = xcalloc(1, sizeof *w);
	w->session = s;
	w->req_id = req_id;
	w->nids = wr->n_task_ids;
	w->ids = xcalloc(w->nids, sizeof *w->ids);
	for (i = 0; i < w->nids; i++)
		w->ids[i] = wr->task_ids[i];
	TAILQ_INSERT_TAIL(&server.waiters, w, entry);
	rpc_wait_check(w);
}

const struct rpc_entry rpc_wait_entry = {
	.name = "wait",
	.min_role = ROLE_VIEWER,
	.handler = rpc_wait,
};
