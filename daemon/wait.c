/*
 * wait.c - open Waits: each hangs off the session that asked, and each of
 * its tasks holds a reference back, so a task's end looks only at the
 * waiters that name it and a disconnect only at its own.  Answers when all
 * the tasks have ended (WAIT_ALL), when one has (FIRST_COMPLETED), when
 * one did not succeed (FIRST_FAILURE), or at the timeout; optionally
 * cancels the rest.  rpc-wait.c selects the tasks and hands them here.
 */
#include <signal.h>
#include <stdlib.h>

#include "log.h"
#include "runneld.h"
#include "task-event.h"

/* One task of a waiter: on the task's list of the waiters naming it. */
struct wait_ref {
	struct waiter		*waiter;
	struct task		*task;	/* held: not removed while named */
	LIST_ENTRY(wait_ref)	 entry;
};

/* A Wait in progress on a session. */
struct waiter {
	struct session		*session;
	uint64_t		 req_id;
	uint64_t		 seq;		/* order of creation */
	struct wait_ref		*refs;
	size_t			 nrefs;
	int			 mode;		/* RUNNEL__V1__WAIT_MODE__* */
	int			 cancel_rest;
	struct event		*timer;
	TAILQ_ENTRY(waiter)	 entry;		/* session->waiters */
};

static uint64_t	wait_next_seq;

/* Is the waiter's condition met? */
static int
wait_done(const struct waiter *w)
{
	const struct task	*t;
	size_t			 i, ended = 0;

	for (i = 0; i < w->nrefs; i++) {
		t = w->refs[i].task;
		if (!task_is_final(t))
			continue;
		ended++;
		if (w->mode == RUNNEL__V1__WAIT_MODE__WAIT_FIRST_COMPLETED)
			return 1;
		if (w->mode == RUNNEL__V1__WAIT_MODE__WAIT_FIRST_FAILURE &&
		    t->state != TASK_SUCCEEDED)
			return 1;
	}
	return ended == w->nrefs;
}

/* Take the waiter off its tasks' lists and its session's. */
static void
wait_unlink(struct waiter *w)
{
	size_t	i;

	for (i = 0; i < w->nrefs; i++)
		LIST_REMOVE(&w->refs[i], entry);
	TAILQ_REMOVE(&w->session->waiters, w, entry);
}

/* Free a waiter taken off its lists. */
static void
wait_free(struct waiter *w)
{
	if (w->timer != NULL)
		event_free(w->timer);
	free(w->refs);
	free(w);
}

/* Answer: cancel the rest if asked, then describe every task. */
static void
wait_finish(struct waiter *w, int timed_out)
{
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__WaitReply		  wr = RUNNEL__V1__WAIT_REPLY__INIT;
	Runnel__V1__TaskInfo		 *infos, **ptrs;
	struct session			 *s = w->session;
	struct task			 *t;
	size_t				  i;

	/* Off the lists first: cancelling below ends tasks, which looks at
	 * their waiters again. */
	wait_unlink(w);
	for (i = 0; w->cancel_rest && i < w->nrefs; i++) {
		t = w->refs[i].task;
		if (!task_is_final(t))
			task_cancel(t, SIGTERM, server.conf->grace_ms,
			    s->identity);
	}
	infos = xcalloc(w->nrefs, sizeof *infos);
	ptrs = xcalloc(w->nrefs, sizeof *ptrs);
	for (i = 0; i < w->nrefs; i++) {
		task_info_fill(w->refs[i].task, &infos[i]);
		ptrs[i] = &infos[i];
	}
	wr.tasks = ptrs;
	wr.n_tasks = w->nrefs;
	wr.timed_out = timed_out;
	reply.id = w->req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT;
	reply.wait = &wr;
	session_send(s, &reply);
	for (i = 0; i < w->nrefs; i++)
		task_info_clear(&infos[i]);
	free(ptrs);
	free(infos);
	wait_free(w);
}

/* The wait's timeout. */
static void
wait_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	wait_finish(arg, 1);
}

/* Wait for the tasks (at least one) on the session's behalf: answer now if
 * the condition is met, else when it is or at the timeout (0: none). */
void
wait_create(struct session *s, uint64_t req_id, struct task **tasks,
    size_t n, int mode, int cancel_rest, uint64_t timeout_ms)
{
	struct waiter	*w;
	struct timeval	 tv;
	size_t		 i;

	w = xcalloc(1, sizeof *w);
	w->session = s;
	w->req_id = req_id;
	w->seq = wait_next_seq++;
	w->mode = mode;
	w->cancel_rest = cancel_rest;
	w->nrefs = n;
	w->refs = xcalloc(n, sizeof *w->refs);
	for (i = 0; i < n; i++) {
		w->refs[i].waiter = w;
		w->refs[i].task = tasks[i];
		LIST_INSERT_HEAD(&tasks[i]->waits, &w->refs[i], entry);
	}
	TAILQ_INSERT_TAIL(&s->waiters, w, entry);
	if (wait_done(w)) {
		wait_finish(w, 0);
		return;
	}
	if (timeout_ms != 0) {
		w->timer = evtimer_new(server.base, wait_timeout_cb, w);
		range_timeval(timeout_ms, &tv);
		evtimer_add(w->timer, &tv);
	}
}

/* Waits the session holds open. */
int
wait_count(const struct session *s)
{
	const struct waiter	*w;
	int			 n = 0;

	TAILQ_FOREACH(w, &s->waiters, entry)
		n++;
	return n;
}

/* The session went away: forget its waits, unanswered. */
void
wait_session_lost(struct session *s)
{
	struct waiter	*w;

	while ((w = TAILQ_FIRST(&s->waiters)) != NULL) {
		wait_unlink(w);
		wait_free(w);
	}
}

/* A task ended: answer, oldest first, every waiter naming it whose
 * condition it completes.  Answering one may cancel and end others, which
 * answers waiters in turn: look again after each. */
static void
wait_task_ended(struct task *t)
{
	struct wait_ref	*r;
	struct waiter	*best;

	for (;;) {
		best = NULL;
		LIST_FOREACH(r, &t->waits, entry) {
			if ((best == NULL || r->waiter->seq < best->seq) &&
			    wait_done(r->waiter))
				best = r->waiter;
		}
		if (best == NULL)
			break;
		wait_finish(best, 0);
	}
}

/* Is anyone waiting for the task (it may not be removed)? */
static int
wait_holds(const struct task *t)
{
	return !LIST_EMPTY(&t->waits);
}

const struct task_listener wait_task_listener = {
	.name = "wait",
	.ended = wait_task_ended,
	.holds = wait_holds,
};
