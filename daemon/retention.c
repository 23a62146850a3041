/*
 * retention.c - how much output and how many finished tasks runneld keeps:
 * per task at most [retention] max_output bytes (the head and the newest
 * tail; the log records exactly which offsets went), finished tasks' output
 * for max_age and within max_total_output (their metadata and exit status
 * stay), and at most max_finished finished tasks.  Enforced as output
 * arrives and by a timer on the loop.
 */
#include <stdlib.h>

#include "log.h"
#include "runneld.h"
#include "task-event.h"

#define RETENTION_EVERY	10	/* seconds between sweeps */

static struct event	*retention_timer;

/* Make a task's new drop range durable (output_trim's callback). */
static int
retention_record(void *arg)
{
	return journal_task(arg, 0);
}

/* Output arrived: keep the task within max_output. */
static void
retention_task_output(struct task *t)
{
	uint64_t	max = server.conf->max_output;

	if (max != 0 && output_trim(t->output, max, retention_record, t))
		log_debug("task %llu: %llu bytes of output dropped so far",
		    (unsigned long long)t->id,
		    (unsigned long long)output_dropped(t->output));
}

/* Oldest ended first. */
static int
retention_cmp(const void *a, const void *b)
{
	const struct task	*ta = *(struct task *const *)a;
	const struct task	*tb = *(struct task *const *)b;

	if (ta->ended_ms != tb->ended_ms)
		return ta->ended_ms < tb->ended_ms ? -1 : 1;
	return ta->id < tb->id ? -1 : 1;
}

/* Remove a finished task's output, if nobody is reading it. */
static int
retention_remove_output(struct task *t, const char *why)
{
	if (!TAILQ_EMPTY(&t->cursors))
		return -1;
	output_remove(t->output);
	journal_task(t, 0);
	log_info("task %llu: output removed (%s)", (unsigned long long)t->id,
	    why);
	return 0;
}

/* One pass over the finished tasks. */
static void
retention_sweep(void)
{
	const struct config	 *conf = server.conf;
	struct task		**done, *t;
	size_t			  i, n = 0;
	uint64_t		  total = 0;
	int64_t			  now = server_now_ms();

	if (conf->max_age_ms == 0 && conf->max_total_output == 0 &&
	    conf->max_finished == 0)
		return;
	done = xcalloc(server.ntasks, sizeof *done);
	TASK_FOREACH(t, i) {
		if (task_is_final(t))
			done[n++] = t;
	}
	qsort(done, n, sizeof *done, retention_cmp);
	for (i = 0; i < n; i++) {
		t = done[i];
		if (conf->max_age_ms != 0 &&
		    now - t->ended_ms >= (int64_t)conf->max_age_ms &&
		    output_disk_bytes(t->output) > 0)
			retention_remove_output(t, "max_age");
		total += output_disk_bytes(t->output);
	}
	for (i = 0; conf->max_total_output != 0 && i < n &&
	    total > conf->max_total_output; i++) {
		uint64_t	bytes = output_disk_bytes(done[i]->output);

		if (bytes > 0 && retention_remove_output(done[i],
		    "max_total_output") == 0)
			total -= bytes;
	}
	for (i = 0; conf->max_finished != 0 && i < n &&
	    server.nfinished > conf->max_finished; i++) {
		if (task_remove(done[i]) == 0)
			log_info("removed a finished task (max_finished %u)",
			    conf->max_finished);
	}
	free(done);
}

/* The sweep's timer. */
static void
retention_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	retention_sweep();
}

/* Sweep now and every RETENTION_EVERY seconds. */
void
retention_start(void)
{
	struct timeval	tv = { RETENTION_EVERY, 0 };

	retention_timer = event_new(server.base, -1, EV_PERSIST, retention_cb,
	    NULL);
	/* A sweep asked for when a task ends runs before the next request
	 * is read: whoever saw the end sees the sweep too. */
	event_priority_set(retention_timer, PRI_CONTROL);
	event_add(retention_timer, &tv);
	retention_sweep();
}

/* A task ended: sweep soon (once per loop turn however many end). */
void
retention_request(void)
{
	const struct config	*conf = server.conf;

	if (retention_timer != NULL && (conf->max_age_ms != 0 ||
	    conf->max_total_output != 0 || conf->max_finished != 0))
		event_active(retention_timer, EV_TIMEOUT, 0);
}

/* Stop sweeping. */
void
retention_stop(void)
{
	if (retention_timer != NULL)
		event_free(retention_timer);
	retention_timer = NULL;
}

/* A task ended: sweep soon. */
static void
retention_task_ended(struct task *t)
{
	(void)t;
	retention_request();
}

const struct task_listener retention_task_listener = {
	.name = "retention",
	.output = retention_task_output,
	.ended = retention_task_ended,
};
