/*
 * rpc-watch.c - Watch: stream the output of one or more tasks, then an end
 * event for each, then WatchEnd.
 */
#include <stdlib.h>

#include "runneld.h"

#define RPC_WATCH_MAX	4096

/* Check every id, then start the watch.  The tasks are task_ids, those
 * named in resume (each from its offset) and those select gives. */
static void
rpc_watch(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__WatchRequest	 *wr = msg->watch;
	struct task			**tasks;
	uint64_t			 *ids;
	size_t				  n, i;
	int				  rc;

	ids = xreallocarray(NULL, wr->n_task_ids + wr->n_resume + 1,
	    sizeof *ids);
	for (i = 0; i < wr->n_task_ids; i++)
		ids[i] = wr->task_ids[i];
	for (i = 0; i < wr->n_resume; i++)
		ids[wr->n_task_ids + i] = wr->resume[i]->task_id;
	rc = rpc_select(s, req_id, ids, wr->n_task_ids + wr->n_resume,
	    wr->select, 0, &tasks, &n);
	free(ids);
	if (rc != 0)
		return;
	if ((n == 0 && !wr->follow) || n > RPC_WATCH_MAX) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "watch needs 1 to %d tasks", RPC_WATCH_MAX);
		free(tasks);
		return;
	}
	/* (A selector of ids alone would match every task to come.) */
	if (wr->follow && (wr->select == NULL || (!wr->select->all &&
	    wr->select->n_labels == 0 && wr->select->queue[0] == '\0'))) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "follow needs a selector (all, labels or a queue)");
		free(tasks);
		return;
	}
	watch_create(s, req_id, tasks, n, wr);
	free(tasks);
}

const struct rpc_entry rpc_watch_entry = {
	.name = "watch",
	.min_role = ROLE_VIEWER,
	.handler = rpc_watch,
};
