/*
 * rpc-list.c - List and Show: describe the tasks a session may see.
 */
#include <stdlib.h>

#include "runneld.h"

/* Answer with every task the session may see, in id order. */
static void
rpc_list(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__ListRequest	 *lq = msg->list;
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__ListReply		  lr = RUNNEL__V1__LIST_REPLY__INIT;
	Runnel__V1__TaskInfo		 *infos, **ptrs;
	Runnel__V1__Selector		  all;
	struct task			**tasks;
	size_t				  i, n;

	runnel__v1__selector__init(&all);
	all.all = 1;
	if (rpc_select(s, req_id, NULL, 0, lq->select != NULL ? lq->select :
	    &all, 0, &tasks, &n) != 0)
		return;
	infos = xcalloc(n, sizeof *infos);
	ptrs = xcalloc(n, sizeof *ptrs);
	for (i = 0; i < n; i++) {
		task_info_fill(tasks[i], &infos[i]);
		ptrs[i] = &infos[i];
	}
	lr.tasks = ptrs;
	lr.n_tasks = n;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST;
	reply.list = &lr;
	session_send(s, &reply);
	for (i = 0; i < n; i++)
		task_info_clear(&infos[i]);
	free(ptrs);
	free(infos);
	free(tasks);
}

/* Answer with one task. */
static void
rpc_show(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	Runnel__V1__ServerMessage	 reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__TaskEvent		 ev = RUNNEL__V1__TASK_EVENT__INIT;
	Runnel__V1__TaskInfo		 info;
	struct task			*t;

	if ((t = rpc_find_task(s, req_id, msg->show->task_id, 0)) == NULL)
		return;
	task_info_fill(t, &info);
	ev.task = &info;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK;
	reply.task = &ev;
	session_send(s, &reply);
	task_info_clear(&info);
}

const struct rpc_entry rpc_list_entry = {
	.name = "list",
	.min_role = ROLE_VIEWER,
	.handler = rpc_list,
};

const struct rpc_entry rpc_show_entry = {
	.name = "show",
	.min_role = ROLE_VIEWER,
	.handler = rpc_show,
};
