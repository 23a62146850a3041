/*
 * rpc-wait.c - Wait: asyncio's gather/wait as an RPC.  Answers when all the
 * selected tasks have ended (WAIT_ALL), when one has (FIRST_COMPLETED), or
 * when one did not succeed (FIRST_FAILURE), or at the timeout; optionally
 * cancels the rest.  The daemon pushes the answer; nobody polls.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "runneld.h"

/* Is the waiter's condition met? */
static int
rpc_wait_done(const struct waiter *w)
{
	const struct task	*t;
	size_t			 i, ended = 0;

	for (i = 0; i < w->nids; i++) {
		t = task_find(w->ids[i]);
		if (t == NULL || !task_is_final(t))
			continue;
		ended++;
		if (w->mode == RUNNEL__V1__WAIT_MODE__WAIT_FIRST_COMPLETED)
			return 1;
		if (w->mode == RUNNEL__V1__WAIT_MODE__WAIT_FIRST_FAILURE &&
		    t->state != TASK_SUCCEEDED)
			return 1;
	}
	return ended == w->nids;
}

/* Forget a waiter. */
void
rpc_wait_free(struct waiter *w)
{
	TAILQ_REMOVE(&server.waiters, w, entry);
	if (w->timer != NULL)
		event_free(w->timer);
	free(w->ids);
	free(w);
}

/* Answer: cancel the rest if asked, then describe every task. */
static void
rpc_wait_finish(struct waiter *w, int timed_out)
{
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__WaitReply		  wr = RUNNEL__V1__WAIT_REPLY__INIT;
	Runnel__V1__TaskInfo		 *infos, **ptrs;
	struct session			 *s = w->session;
	struct task			 *t;
	size_t				  i;

	/* Off the list first: cancelling below ends tasks, which looks at
	 * the waiters again. */
	TAILQ_REMOVE(&server.waiters, w, entry);
	for (i = 0; w->cancel_rest && i < w->nids; i++) {
		t = task_find(w->ids[i]);
		if (t != NULL && !task_is_final(t))
			task_cancel(t, SIGTERM, server.conf->grace_ms,
			    s->identity);
	}
	infos = xcalloc(w->nids, sizeof *infos);
	ptrs = xcalloc(w->nids, sizeof *ptrs);
	for (i = 0; i < w->nids; i++) {
		task_info_fill(task_find(w->ids[i]), &infos[i]);
		ptrs[i] = &infos[i];
	}
	wr.tasks = ptrs;
	wr.n_tasks = w->nids;
	wr.timed_out = timed_out;
	reply.id = w->req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT;
	reply.wait = &wr;
	session_send(s, &reply);
	for (i = 0; i < w->nids; i++)
		task_info_clear(&infos[i]);
	free(ptrs);
	free(infos);
	if (w->timer != NULL)
		event_free(w->timer);
	free(w->ids);
	free(w);
}

/* A task ended: answer every waiter whose condition it completes. */
void
rpc_wait_task_ended(struct task *t)
{
	struct waiter	*w;
	size_t		 i;

again:
	TAILQ_FOREACH(w, &server.waiters, entry) {
		for (i = 0; i < w->nids; i++)
			if (w->ids[i] == t->id)
				break;
		if (i < w->nids && rpc_wait_done(w)) {
			rpc_wait_finish(w, 0);
			goto again;
		}
	}
}

/* The wait's timeout. */
static void
rpc_wait_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	rpc_wait_finish(arg, 1);
}

/* Select the tasks, then answer now or when the condition is met. */
static void
rpc_wait(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__WaitRequest	 *wr = msg->wait;
	struct waiter			 *w;
	struct task			**tasks;
	struct timeval			  tv;
	size_t				  i, n;

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
	w = xcalloc(1, sizeof *w);
	w->session = s;
	w->req_id = req_id;
	w->mode = wr->mode;
	w->cancel_rest = wr->cancel_rest;
	w->nids = n;
	w->ids = xcalloc(n, sizeof *w->ids);
	for (i = 0; i < n; i++)
		w->ids[i] = tasks[i]->id;
	free(tasks);
	TAILQ_INSERT_TAIL(&server.waiters, w, entry);
	if (rpc_wait_done(w)) {
		rpc_wait_finish(w, 0);
		return;
	}
	if (wr->timeout_ms != 0) {
		w->timer = evtimer_new(server.base, rpc_wait_timeout_cb, w);
		range_timeval(wr->timeout_ms, &tv);
		evtimer_add(w->timer, &tv);
	}
}

const struct rpc_entry rpc_wait_entry = {
	.name = "wait",
	.min_role = ROLE_VIEWER,
	.handler = rpc_wait,
};
