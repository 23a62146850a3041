/*
 * sched.c - the scheduler: which queued task starts next.  Queued tasks are
 * kept in priority order, then submission order; a pass starts every task
 * whose dependencies succeeded, whose start time has come, and whose queue
 * and the global max_running have room, and skips those whose dependencies
 * failed.  A queued task costs one record: no process, no fd.  Passes run
 * from a deferred event, so any number of changes in one loop iteration
 * cost one pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "runneld.h"
#include "task-event.h"

enum sched_verdict {
	SCHED_START,
	SCHED_WAIT,
	SCHED_SKIP
};

/* Decide for one queued task; *why (if asked) says what it waits for or
 * why it is skipped. */
static enum sched_verdict
sched_check(const struct task *t, int64_t now, char **why)
{
	const Runnel__V1__TaskSpec	*spec = t->spec;
	const struct queue		*q = t->queue;
	const struct task		*d;
	unsigned			 max = server.conf->max_running;
	size_t				 i;
	time_t				 when;
	struct tm			 tm;
	char				 buf[32];

	/* Nothing starts or ends before what the journal could not record
	 * is written. */
	if (t->end_pending != 0 || journal_blocked() != 0) {
		if (why != NULL)
			*why = xasprintf("the journal cannot be written: %s",
			    strerror(journal_blocked() != 0 ? journal_blocked() :
			    EIO));
		return SCHED_WAIT;
	}
	for (i = 0; i < spec->n_after + spec->n_after_any; i++) {
		d = task_find(i < spec->n_after ? spec->after[i] :
		    spec->after_any[i - spec->n_after]);
		if (d == NULL) {
			if (why != NULL)
				*why = xstrdup("a dependency is gone");
			return SCHED_SKIP;
		}
		if (!task_is_final(d)) {
			if (why != NULL)
				*why = xasprintf("task %llu",
				    (unsigned long long)d->id);
			return SCHED_WAIT;
		}
		if (i < spec->n_after && d->state != TASK_SUCCEEDED) {
			if (why != NULL)
				*why = xasprintf("dependency %llu %s",
				    (unsigned long long)d->id,
				    task_state_name(d->state));
			return SCHED_SKIP;
		}
	}
	if (t->not_before_ms > now) {
		if (why != NULL) {
			when = t->not_before_ms / 1000;
			/* Beyond what struct tm holds: the number itself. */
			if (localtime_r(&when, &tm) == NULL ||
			    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S",
			    &tm) == 0)
				snprintf(buf, sizeof buf, "%lld ms",
				    (long long)t->not_before_ms);
			*why = xasprintf("%s %s", t->nattempts > 0 ? "retry at" :
			    "start at", buf);
		}
		return SCHED_WAIT;
	}
	if (q->state != RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE) {
		if (why != NULL)
			*why = xasprintf("queue %s %s", q->name,
			    q->state == RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED ?
			    "paused" : "draining");
		return SCHED_WAIT;
	}
	if (q->max_running != 0 && q->nrunning >= q->max_running) {
		if (why != NULL)
			*why = xasprintf("queue %s (%u/%u running)", q->name,
			    q->nrunning, q->max_running);
		return SCHED_WAIT;
	}
	if (max != 0 && server.nrunning >= max) {
		if (why != NULL)
			*why = xasprintf("max_running (%u/%u running)",
			    server.nrunning, max);
		return SCHED_WAIT;
	}
	if (server.shutting_down) {
		if (why != NULL)
			*why = xstrdup("daemon shutting down");
		return SCHED_WAIT;
	}
	return SCHED_START;
}

/* What a queued task waits for, allocated; NULL if it could start now. */
char *
sched_waiting_for(const struct task *t)
{
	char	*why = NULL;

	if (sched_check(t, server_now_ms(), &why) == SCHED_START)
		return NULL;
	return why;
}

/* Can nothing of a queue start now (a task of it may still be skipped)? */
static int
sched_queue_blocked(const struct queue *q)
{
	unsigned	max = server.conf->max_running;

	return journal_blocked() != 0 ||
	    q->state != RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE ||
	    (q->max_running != 0 && q->nrunning >= q->max_running) ||
	    (max != 0 && server.nrunning >= max) || server.shutting_down;
}

/* The next task a pass looks at: of the queues that are worth a look
 * (room to start, or tasks with dependencies that may be skipped), the
 * one at its place (sched_next) of the highest priority, then lowest id.
 * A full queue costs nothing however long it is. */
static struct task *
sched_next(void)
{
	struct queue	*q;
	struct task	*t, *best = NULL;

	TAILQ_FOREACH(q, &server.queues, entry) {
		t = q->sched_next;
		if (t == NULL || (q->nqueued_deps == 0 && sched_queue_blocked(q)))
			continue;
		if (best == NULL || t->spec->priority > best->spec->priority ||
		    (t->spec->priority == best->spec->priority &&
		    t->id < best->id))
			best = t;
	}
	return best;
}

/* One pass over the queued tasks, in priority then submission order
 * across all queues. */
static void
sched_pass(void)
{
	struct queue	*q;
	struct task	*t;
	int64_t		 now = server_now_ms(), earliest = INT64_MAX;
	char		*why = NULL;
	struct timeval	 tv;

	/* The journal cannot record a start: journal_retry asks again. */
	if (journal_blocked() != 0)
		return;
	/* Nothing can start and nothing waits on a dependency: a queue of
	 * any length costs nothing. */
	if (server.conf->max_running != 0 &&
	    server.nrunning >= server.conf->max_running &&
	    server.nqueued_deps == 0)
		return;
	TAILQ_FOREACH(q, &server.queues, entry)
		q->sched_next = TAILQ_FIRST(&q->tasks);
	while ((t = sched_next()) != NULL) {
		t->queue->sched_next = TAILQ_NEXT(t, queue_entry);
		switch (sched_check(t, now, NULL)) {
		case SCHED_START:
			task_start(t);
			break;
		case SCHED_SKIP:
			sched_check(t, now, &why);
			log_info("task %llu: skipped: %s",
			    (unsigned long long)t->id, why);
			task_end(t, TASK_SKIPPED, why);
			break;
		case SCHED_WAIT:
			if (t->not_before_ms > now && t->not_before_ms < earliest)
				earliest = t->not_before_ms;
			break;
		}
		free(why);
		why = NULL;
		/* Ending a task can end others (wait --cancel-rest): a queue
		 * whose next task left it meanwhile starts over. */
		TAILQ_FOREACH(q, &server.queues, entry)
			if (q->sched_next != NULL &&
			    q->sched_next->state != TASK_QUEUED)
				q->sched_next = TAILQ_FIRST(&q->tasks);
	}
	if (earliest != INT64_MAX) {
		tv.tv_sec = (earliest - now) / 1000;
		tv.tv_usec = ((earliest - now) % 1000) * 1000;
		evtimer_add(server.sched_timer, &tv);
	}
}

/* The deferred pass, or the timer of the earliest start time. */
static void
sched_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	sched_pass();
}

/* Create the scheduler's events. */
void
sched_init(void)
{
	server.sched_ev = event_new(server.base, -1, 0, sched_cb, NULL);
	event_priority_set(server.sched_ev, PRI_CONTROL);
	server.sched_timer = evtimer_new(server.base, sched_cb, NULL);
}

/* Free the scheduler's events. */
void
sched_free(void)
{
	if (server.sched_ev != NULL)
		event_free(server.sched_ev);
	if (server.sched_timer != NULL)
		event_free(server.sched_timer);
	server.sched_ev = server.sched_timer = NULL;
}

/* Ask for a pass in this loop iteration; many asks make one pass. */
void
sched_request(void)
{
	if (server.sched_ev != NULL)
		event_active(server.sched_ev, EV_TIMEOUT, 0);
}

/* Put a task into its queue's list: by priority (highest first), then id;
 * a new task of the usual priority goes to the end at once. */
void
sched_enqueue(struct task *t)
{
	struct task_queue	*list = &t->queue->tasks;
	struct task		*p;
	int32_t			 prio = t->spec->priority;

	p = TAILQ_LAST(list, task_queue);
	while (p != NULL && (p->spec->priority < prio ||
	    (p->spec->priority == prio && p->id > t->id)))
		p = TAILQ_PREV(p, task_queue, queue_entry);
	if (p == NULL)
		TAILQ_INSERT_HEAD(list, t, queue_entry);
	else
		TAILQ_INSERT_AFTER(list, p, t, queue_entry);
}

/* A task was submitted or ended: a pass may start one. */
static void
sched_task_changed(struct task *t)
{
	(void)t;
	sched_request();
}

const struct task_listener sched_task_listener = {
	.name = "sched",
	.created = sched_task_changed,
	.ended = sched_task_changed,
};
