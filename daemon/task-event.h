/*
 * task-event.h - a task's life-cycle events and the modules listening to
 * them.  The task model fires events; it names none of the listeners.
 */
#ifndef TASK_EVENT_H
#define TASK_EVENT_H

struct task;

/* What one module does on each event; NULL: nothing.  Filled with
 * designated initializers and listed once, in task-event.c's table. */
struct task_listener {
	const char	*name;
	void		(*created)(struct task *);	/* submitted */
	void		(*started)(struct task *);	/* its process runs */
	void		(*output)(struct task *);	/* new output logged */
	void		(*input_drained)(struct task *); /* stdin written */
	void		(*ended)(struct task *);	/* final state set */
	void		(*removed)(struct task *);	/* about to be freed */
	/* Does the module still hold the task (it may not be removed)? */
	int		(*holds)(const struct task *);
};

void	 task_event_created(struct task *);
void	 task_event_started(struct task *);
void	 task_event_output(struct task *);
void	 task_event_input_drained(struct task *);
void	 task_event_ended(struct task *);
void	 task_event_removed(struct task *);
int	 task_event_held(const struct task *);

/* The listeners, in the order they are told. */
extern const struct task_listener task_stdin_listener;
extern const struct task_listener watch_task_listener;
extern const struct task_listener wait_task_listener;
extern const struct task_listener sched_task_listener;
extern const struct task_listener retention_task_listener;

#endif
