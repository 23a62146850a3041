/*
 * rpc-clean.c - Clean: remove finished tasks for good: their output spool,
 * their place in the table, and (through a record) from the journal
 * (task_remove).  Tasks still being watched or waited for stay until they
 * are not.
 */
#include <stdlib.h>

#include "log.h"
#include "runneld.h"

/* Remove the selected finished tasks. */
static void
rpc_clean(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__CleanRequest	 *cr = msg->clean;
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__CleanReply		  rr = RUNNEL__V1__CLEAN_REPLY__INIT;
	Runnel__V1__Selector		  all;
	struct task			**tasks;
	uint64_t			 *done;
	int64_t				  now = server_now_ms();
	size_t				  i, n, ndone = 0;
	uint64_t			  id;

	runnel__v1__selector__init(&all);
	all.all = 1;
	if (rpc_select(s, req_id, NULL, 0, cr->select != NULL ? cr->select :
	    &all, 1, &tasks, &n) != 0)
		return;
	done = xcalloc(n, sizeof *done);
	for (i = 0; i < n; i++) {
		/* Unsigned: an age beyond INT64_MAX is no negative one. */
		if (!task_is_final(tasks[i]) || tasks[i]->ended_ms > now ||
		    (uint64_t)(now - tasks[i]->ended_ms) < cr->older_than_ms)
			continue;
		id = tasks[i]->id;
		if (task_remove(tasks[i]) == 0)
			done[ndone++] = id;
	}
	if (ndone > 0)
		log_info("%s removed %zu finished tasks", s->identity, ndone);
	rr.task_ids = done;
	rr.n_task_ids = ndone;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_CLEAN;
	reply.clean = &rr;
	session_send(s, &reply);
	free(done);
	free(tasks);
}

const struct rpc_entry rpc_clean_entry = {
	.name = "clean",
	.min_role = ROLE_USER,
	.handler = rpc_clean,
};
