/*
 * queue.c - named queues, each with its own parallel limit and default
 * timeout, declared in the config or at run time.  Pausing a queue stops
 * its running tasks (SIGSTOP to their groups) and starts nothing new;
 * draining starts nothing new and lets running tasks finish.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

/* Find a queue by name. */
struct queue *
queue_find(const char *name)
{
	struct queue	*q;

	TAILQ_FOREACH(q, &server.queues, entry)
		if (strcmp(q->name, name) == 0)
			return q;
	return NULL;
}

/* Check a queue name: 1-64 of [A-Za-z0-9._-]. */
int
queue_name_ok(const char *name)
{
	size_t	len = strlen(name);

	return len > 0 && len <= 64 &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == len;
}

/* Create a queue. */
struct queue *
queue_add(const char *name, unsigned max_running, uint64_t timeout_ms)
{
	struct queue	*q;

	q = xcalloc(1, sizeof *q);
	q->name = xstrdup(name);
	q->max_running = max_running;
	q->timeout_ms = timeout_ms;
	q->state = RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE;
	TAILQ_INIT(&q->tasks);
	TAILQ_INSERT_TAIL(&server.queues, q, entry);
	return q;
}

/* The default queue and those of the config. */
void
queue_init(void)
{
	const struct config_queue	*cq;
	size_t				 i;

	TAILQ_INIT(&server.queues);
	cq = config_queue(server.conf, "default");
	queue_add("default", cq != NULL ? cq->max_running : 0,
	    cq != NULL ? cq->timeout_ms : 0);
	for (i = 0; i < server.conf->nqueues; i++) {
		cq = &server.conf->queues[i];
		if (strcmp(cq->name, "default") != 0)
			queue_add(cq->name, cq->max_running, cq->timeout_ms);
	}
}

/* Free every queue. */
void
queue_free_all(void)
{
	struct queue	*q;

	while ((q = TAILQ_FIRST(&server.queues)) != NULL) {
		TAILQ_REMOVE(&server.queues, q, entry);
		free(q->name);
		free(q);
	}
}

static const char *queue_state_names[] = {
	[RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE] = "active",
	[RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED] = "paused",
	[RUNNEL__V1__QUEUE_STATE__QUEUE_DRAINING] = "draining",
};

/* Change a queue's state: stop or continue its running tasks, and let the
 * scheduler see the change. */
void
queue_set_state(struct queue *q, int state)
{
	struct task	*t;
	size_t		 i;
	int		 sig = 0;

	if (state == q->state)
		return;
	if (state == RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED)
		sig = SIGSTOP;
	else if (q->state == RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED)
		sig = SIGCONT;
	log_info("queue %s: %s -> %s", q->name, queue_state_names[q->state],
	    queue_state_names[state]);
	q->state = state;
	if (sig != 0) {
		TASK_FOREACH(t, i) {
			if (t->queue == q && t->state == TASK_RUNNING)
				t->kind->signal(t, sig);
		}
	}
	sched_request();
}

/* Describe a queue on the wire. */
void
queue_info_fill(const struct queue *q, Runnel__V1__Queue *info)
{
	runnel__v1__queue__init(info);
	info->name = q->name;
	info->max_running = q->max_running;
	info->timeout_ms = q->timeout_ms;
	info->state = (Runnel__V1__QueueState)q->state;
	info->running = q->nrunning;
	info->queued = q->nqueued;
}
