/*
 * task-event.c - a task's life-cycle events (created, started, output,
 * input drained, ended, removed) told to every module that listens, in the
 * table's order.  The task model calls these and nothing above it: a new
 * listener is one descriptor in its own file and one line here.
 */
#include <stddef.h>

#include "runneld.h"
#include "task-event.h"

/* The stdin reply goes out before watchers and waiters hear of an end;
 * the scheduler's pass is asked for before retention's sweep, so it runs
 * first.  Watchers are woken later, from the loop: retention has trimmed
 * new output by the time they read it. */
static const struct task_listener *task_event_table[] = {
	&task_stdin_listener,
	&watch_task_listener,
	&wait_task_listener,
	&sched_task_listener,
	&retention_task_listener,
};

#define TASK_EVENT_N	(sizeof task_event_table / sizeof *task_event_table)

/* Tell every listener with a hook at this offset of struct task_listener. */
#define TASK_EVENT_FIRE(hook, t) do {					\
	size_t	i_;							\
									\
	for (i_ = 0; i_ < TASK_EVENT_N; i_++)				\
		if (task_event_table[i_]->hook != NULL)			\
			task_event_table[i_]->hook(t);			\
} while (0)

/* A task was submitted. */
void
task_event_created(struct task *t)
{
	TASK_EVENT_FIRE(created, t);
}

/* A task's attempt has started its process. */
void
task_event_started(struct task *t)
{
	TASK_EVENT_FIRE(started, t);
}

/* A task's output log grew. */
void
task_event_output(struct task *t)
{
	TASK_EVENT_FIRE(output, t);
}

/* Some of a task's streamed stdin was written (or thrown away). */
void
task_event_input_drained(struct task *t)
{
	TASK_EVENT_FIRE(input_drained, t);
}

/* A task reached its final state. */
void
task_event_ended(struct task *t)
{
	TASK_EVENT_FIRE(ended, t);
}

/* A finished task is about to be removed and freed. */
void
task_event_removed(struct task *t)
{
	TASK_EVENT_FIRE(removed, t);
}

/* Does any listener still hold the task? */
int
task_event_held(const struct task *t)
{
	size_t	i;

	for (i = 0; i < TASK_EVENT_N; i++)
		if (task_event_table[i]->holds != NULL &&
		    task_event_table[i]->holds(t))
			return 1;
	return 0;
}
