/*
 * task.c - the task table, the one state setter, attempts and retries,
 * cancellation and timeouts with a grace period, and the end of a task.
 * What starts when is sched.c's business.
 */
#include <sys/wait.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "runneld.h"
#include "task-event.h"

static const char *task_state_names[] = {
	[TASK_QUEUED] = "queued",
	[TASK_RUNNING] = "running",
	[TASK_SUCCEEDED] = "succeeded",
	[TASK_FAILED] = "failed",
	[TASK_CANCELLED] = "cancelled",
	[TASK_TIMED_OUT] = "timed_out",
	[TASK_LOST] = "lost",
	[TASK_SKIPPED] = "skipped",
};

/* The name of a state, for logs and messages. */
const char *
task_state_name(enum task_state state)
{
	if ((size_t)state >= sizeof task_state_names / sizeof *task_state_names ||
	    task_state_names[state] == NULL)
		return "unknown";
	return task_state_names[state];
}

/* Is the state one a task never leaves? */
int
task_is_final(const struct task *t)
{
	return t->state != TASK_QUEUED && t->state != TASK_RUNNING;
}

/* An identity that owns tasks: its name is shared by all of them, and it
 * counts its queued ones (max_queued_per_identity without a walk). */
struct owner {
	TAILQ_ENTRY(owner)	 entry;
	unsigned		 refs;
	unsigned		 nqueued;
	char			 name[];
};
static TAILQ_HEAD(, owner) task_owners = TAILQ_HEAD_INITIALIZER(task_owners);

/* The owner whose name a task's owner field points at. */
static struct owner *
task_owner_of(char *name)
{
	return (struct owner *)(void *)(name - offsetof(struct owner, name));
}

/* Find an owner by name. */
static struct owner *
task_owner_find(const char *name)
{
	struct owner	*o;

	TAILQ_FOREACH(o, &task_owners, entry)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* A reference to an owner's shared name; release with task_owner_put. */
char *
task_owner_get(const char *name)
{
	struct owner	*o;
	size_t		 len = strlen(name);

	if ((o = task_owner_find(name)) == NULL) {
		o = xmalloc(sizeof *o + len + 1);
		o->refs = o->nqueued = 0;
		memcpy(o->name, name, len + 1);
		TAILQ_INSERT_HEAD(&task_owners, o, entry);
	}
	o->refs++;
	return o->name;
}

/* Drop a reference taken with task_owner_get. */
void
task_owner_put(char *name)
{
	struct owner	*o;

	if (name == NULL)
		return;
	o = task_owner_of(name);
	if (--o->refs == 0) {
		TAILQ_REMOVE(&task_owners, o, entry);
		free(o);
	}
}

/* How many queued tasks an identity has. */
unsigned
task_owner_queued(const char *name)
{
	struct owner	*o;

	return (o = task_owner_find(name)) != NULL ? o->nqueued : 0;
}

/* Count a task into (add) or out of the queued ones, and put it into or
 * take it out of its queue's run list. */
void
task_count_queued(struct task *t, int add)
{
	int	deps = task_has_deps(t);

	if (add) {
		server.nqueued++;
		t->queue->nqueued++;
		task_owner_of(t->owner)->nqueued++;
		if (deps) {
			server.nqueued_deps++;
			t->queue->nqueued_deps++;
		}
		sched_enqueue(t);
	} else {
		TAILQ_REMOVE(&t->queue->tasks, t, queue_entry);
		server.nqueued--;
		t->queue->nqueued--;
		task_owner_of(t->owner)->nqueued--;
		if (deps) {
			server.nqueued_deps--;
			t->queue->nqueued_deps--;
		}
	}
}

/* The task table: the live tasks in id order, one slot each.  A removed
 * task leaves a hole that keeps its id, so the binary search still works,
 * until the holes outnumber the live tasks; then one pass closes them all
 * (removing stays O(1) amortized, even when a clean removes thousands).
 * A new task's id is the largest ever given, so it appends.  Memory and
 * walks scale with the live tasks, never with the ids ever given. */
struct task_slot {
	uint64_t	 id;
	struct task	*task;		/* NULL: a hole */
};
static struct task_slot	*task_slots;
static size_t		 task_nslots;	/* in use, holes included */
static size_t		 task_slots_size; /* allocated */

/* The first slot whose id is at least id. */
static size_t
task_table_search(uint64_t id)
{
	size_t	lo = 0, hi = task_nslots, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (task_slots[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Look a task up by id. */
struct task *
task_find(uint64_t id)
{
	size_t	i = task_table_search(id);

	if (i == task_nslots || task_slots[i].id != id)
		return NULL;
	return task_slots[i].task;
}

/* Find the task an identity submitted with an idempotency key. */
struct task *
task_find_key(const char *owner, const char *key)
{
	size_t		 i;
	struct task	*t;

	for (i = task_nslots; i > 0; i--) {
		t = task_slots[i - 1].task;
		if (t != NULL && t->spec->key[0] != '\0' &&
		    strcmp(t->spec->key, key) == 0 &&
		    strcmp(t->owner, owner) == 0)
			return t;
	}
	return NULL;
}

/* The live task at or after slot *pos, for TASK_FOREACH; 0 at the end. */
int
task_table_next(size_t *pos, struct task **t)
{
	while (*pos < task_nslots && task_slots[*pos].task == NULL)
		(*pos)++;
	if (*pos >= task_nslots)
		return 0;
	*t = task_slots[*pos].task;
	return 1;
}

/* Put a task into the table at its id's place: at the end for a new
 * task, anywhere when the journal's records come out of order. */
void
task_table_add(struct task *t)
{
	size_t	i = task_table_search(t->id);

	if (i < task_nslots && task_slots[i].id == t->id) {
		/* The hole of a removed task with this id (replay only). */
		if (task_slots[i].task != NULL)
			fatalx("task %llu: twice in the table",
			    (unsigned long long)t->id);
	} else {
		if (task_nslots == task_slots_size) {
			task_slots_size = task_slots_size == 0 ? 16 :
			    task_slots_size * 2;
			task_slots = xreallocarray(task_slots,
			    task_slots_size, sizeof *task_slots);
		}
		memmove(&task_slots[i + 1], &task_slots[i],
		    (task_nslots - i) * sizeof *task_slots);
		task_nslots++;
		task_slots[i].id = t->id;
	}
	task_slots[i].task = t;
	server.ntasks++;
	if (t->id > server.last_id)
		server.last_id = t->id;
}

/* Close the holes, and give back memory the table no longer needs. */
static void
task_table_compact(void)
{
	size_t	i, n = 0;

	for (i = 0; i < task_nslots; i++)
		if (task_slots[i].task != NULL)
			task_slots[n++] = task_slots[i];
	task_nslots = n;
	if (n >= task_slots_size / 4)
		return;
	task_slots_size = n * 2;
	if (n == 0) {
		free(task_slots);
		task_slots = NULL;
	} else
		task_slots = xreallocarray(task_slots, task_slots_size,
		    sizeof *task_slots);
}

/* Take a task out of the table; the caller frees it.  Its id is never
 * given again (server.last_id stays). */
void
task_table_remove(struct task *t)
{
	size_t	i = task_table_search(t->id);

	if (i == task_nslots || task_slots[i].task != t)
		fatalx("task %llu: not in the table",
		    (unsigned long long)t->id);
	task_slots[i].task = NULL;
	server.ntasks--;
	if (task_nslots - server.ntasks > server.ntasks)
		task_table_compact();
}

/* Open the task's output log, record the task in the journal, and add it
 * to the table; if it cannot be made to exist, nothing of it stays. */
static int
task_add(struct task *t, char **cause)
{
	char	*path;

	if (server.last_id >= TASK_ID_MAX) {
		*cause = xstrdup("no task ids left");
		return -1;
	}
	t->id = server.last_id + 1;
	path = xasprintf("%s/%llu.log", server.spool_dir,
	    (unsigned long long)t->id);
	t->output = output_create(path, OUTPUT_TAIL, cause);
	if (t->output != NULL && journal_task(t, 1) != 0) {
		*cause = xasprintf("the journal cannot be written (%s): no "
		    "task is accepted until it can", strerror(errno));
		output_free(t->output);
		t->output = NULL;
		unlink(path);
	}
	free(path);
	if (t->output == NULL)
		return -1;
	task_table_add(t);
	return 0;
}

/* Validate a spec from the wire and make a QUEUED task of it. */
struct task *
task_create(const Runnel__V1__TaskSpec *spec, const char *owner,
    Runnel__V1__ErrorCode *code, char **cause)
{
	struct task	*t;
	struct queue	*q;

	*code = RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT;
	if (spec == NULL) {
		*cause = xstrdup("no task spec");
		return NULL;
	}
	if (task_spec_check(spec, owner, &q, cause) != 0)
		return NULL;
	t = xcalloc(1, sizeof *t);
	TAILQ_INIT(&t->cursors);
	LIST_INIT(&t->waits);
	t->kind = &task_exec_kind;
	if (task_spec_take(t, spec, cause) != 0)
		goto fail;
	t->owner = task_owner_get(owner);
	t->queue = q;
	t->grace_ms = server.conf->grace_ms;
	t->timeout_ms = spec->timeout_ms != 0 ? spec->timeout_ms :
	    q->timeout_ms;
	t->created_ms = server_now_ms();
	t->not_before_ms = spec->start_at_ms;
	if (spec->stdin_stream)
		t->stdin_buf = evbuffer_new();
	t->state = TASK_QUEUED;
	if (task_add(t, cause) != 0) {
		*code = RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED;
		goto fail;
	}
	task_count_queued(t, 1);
	log_info("task %llu: submitted by %s: %s", (unsigned long long)t->id,
	    t->owner, t->argv[0]);
	task_event_created(t);
	return t;

fail:
	task_free(t);
	return NULL;
}

/* Does the task wait for others? */
int
task_has_deps(const struct task *t)
{
	return t->spec->n_after + t->spec->n_after_any > 0;
}

/* Is from -> to a legal transition? */
static int
task_transition_ok(enum task_state from, enum task_state to)
{
	switch (from) {
	case TASK_QUEUED:
		return to == TASK_RUNNING || to == TASK_CANCELLED ||
		    to == TASK_FAILED || to == TASK_SKIPPED;
	case TASK_RUNNING:
		return to == TASK_SUCCEEDED || to == TASK_FAILED ||
		    to == TASK_CANCELLED || to == TASK_TIMED_OUT ||
		    to == TASK_LOST || to == TASK_QUEUED;
	default:
		return 0;
	}
}

/* The one place a task's state changes; keeps the counters and the run
 * queue right. */
void
task_set_state(struct task *t, enum task_state state)
{
	if (!task_transition_ok(t->state, state))
		fatalx("task %llu: illegal transition %s -> %s",
		    (unsigned long long)t->id, task_state_name(t->state),
		    task_state_name(state));
	log_debug("task %llu: %s -> %s", (unsigned long long)t->id,
	    task_state_name(t->state), task_state_name(state));

	if (t->state == TASK_QUEUED)
		task_count_queued(t, 0);
	else if (t->state == TASK_RUNNING) {
		server.nrunning--;
		t->queue->nrunning--;
	}

	t->state = state;
	switch (state) {
	case TASK_QUEUED:
		task_count_queued(t, 1);
		break;
	case TASK_RUNNING:
		server.nrunning++;
		t->queue->nrunning++;
		t->started_ms = server_now_ms();
		break;
	default:
		server.nfinished++;
		t->ended_ms = server_now_ms();
		break;
	}
}

/* SIGKILL the task's group when the grace period is over. */
static void
task_kill_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task	*t = arg;

	(void)fd;
	(void)events;
	if (t->state != TASK_RUNNING)
		return;
	log_info("task %llu: grace period over, sending SIGKILL",
	    (unsigned long long)t->id);
	t->kind->signal(t, SIGKILL);
}

/* Signal a running task's group, then SIGKILL after the grace period. */
static void
task_stop(struct task *t, int sig, uint64_t grace_ms)
{
	struct timeval	tv;

	t->kind->signal(t, sig);
	/* A stopped (paused) group acts on the signal only once continued. */
	if (sig != SIGKILL && sig != SIGCONT)
		t->kind->signal(t, SIGCONT);
	if (sig == SIGKILL)
		return;
	if (t->kill_timer == NULL)
		t->kill_timer = evtimer_new(server.base, task_kill_cb, t);
	range_timeval(grace_ms, &tv);
	evtimer_add(t->kill_timer, &tv);
}

/* Cancel a task: a queued one never starts; a running one gets sig, then
 * SIGKILL after the grace period; no retry follows. */
void
task_cancel(struct task *t, int sig, uint64_t grace_ms, const char *by)
{
	/* An end waiting for the journal has happened: nothing to stop. */
	if (task_is_final(t) || t->end_pending != 0)
		return;
	if (t->cancelled_by == NULL)
		t->cancelled_by = xstrdup(by);
	t->cancel_signal = sig;
	if (t->starting) {
		/* Running as far as anyone was told, its process started
		 * once its start record is durable: it gets the signal then
		 * (task_start_durable), as any running task would. */
		log_info("task %llu: cancelled by %s, sending %s once "
		    "started", (unsigned long long)t->id, by, signal_name(sig));
		t->grace_ms = grace_ms;
		return;
	}
	if (t->state == TASK_QUEUED) {
		log_info("task %llu: cancelled by %s before it started",
		    (unsigned long long)t->id, by);
		task_end(t, TASK_CANCELLED, NULL);
		return;
	}
	log_info("task %llu: cancelled by %s, sending %s",
	    (unsigned long long)t->id, by, signal_name(sig));
	task_stop(t, sig, grace_ms);
}

/* The attempt ran out of time: stop it like a cancel, end TIMED_OUT. */
static void
task_timeout_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task	*t = arg;

	(void)fd;
	(void)events;
	if (t->state != TASK_RUNNING || t->cancel_signal != 0)
		return;
	log_info("task %llu: timed out after %llu ms, sending SIGTERM",
	    (unsigned long long)t->id, (unsigned long long)t->timeout_ms);
	t->timed_out = 1;
	task_stop(t, SIGTERM, t->grace_ms);
}

/* The task's program could not be started (cause is taken): said in the
 * log, in the task's output and as the reason of its end, which keeps it
 * from being retried (the same spec would fail the same way).  The cause
 * may quote argv or cwd, whose bytes need not be UTF-8: escaped. */
void
task_cannot_start(struct task *t, char *cause)
{
	char	*esc;

	if (!utf8_valid(cause, strlen(cause))) {
		if ((esc = utf8_escape(cause, strlen(cause))) == NULL)
			fatal("utf8_escape");
		free(cause);
		cause = esc;
	}
	log_warnx("task %llu: %s", (unsigned long long)t->id, cause);
	output_append(t->output, RUNNEL__V1__STREAM__STREAM_SYSTEM, cause,
	    strlen(cause), server_now_us());
	task_event_output(t);
	free(t->reason);
	t->reason = cause;
}

/* Start the task's next attempt (the scheduler decided it may): its start
 * record is written first, and its process started only once that record
 * is durable (task_start_durable), so that a task runs at most once per
 * start record a restart finds.  A start the journal cannot record does
 * not happen: the task stays queued, and the scheduler waits for the
 * journal. */
void
task_start(struct task *t)
{
	struct attempt	*a;
	int64_t		 started_ms = t->started_ms;

	task_set_state(t, TASK_RUNNING);
	t->attempts = xreallocarray(t->attempts, t->nattempts + 1,
	    sizeof *t->attempts);
	a = &t->attempts[t->nattempts++];
	memset(a, 0, sizeof *a);
	a->state = TASK_RUNNING;
	a->started_ms = t->started_ms;
	a->output_start = output_size(t->output);
	t->timed_out = 0;
	t->exit_code = t->signal = t->core_dumped = 0;
	free(t->reason);
	t->reason = NULL;
	t->pid = 0;
	t->pid_start = 0;

	if (journal_task(t, 0) != 0) {
		log_warnx("task %llu: not started: its start cannot be "
		    "recorded", (unsigned long long)t->id);
		t->nattempts--;
		task_set_state(t, TASK_QUEUED);
		t->started_ms = started_ms;
		return;
	}
	t->starting = 1;
	journal_start_wait(t);
}

/* The task's start record is durable (error 0): start its process.  If
 * the sync failed, the record may be lost: the task does not start, and
 * queues again. */
void
task_start_durable(struct task *t, int error)
{
	struct attempt	*a;
	struct timeval	 tv;
	char		*cause = NULL;

	if (!t->starting)
		return;
	t->starting = 0;
	if (error != 0 && t->cancel_signal != 0) {
		/* Cancelled meanwhile: it never runs. */
		a = &t->attempts[t->nattempts - 1];
		a->state = TASK_CANCELLED;
		a->ended_ms = server_now_ms();
		a->output_end = output_size(t->output);
		task_end(t, TASK_CANCELLED, NULL);
		return;
	}
	if (error != 0) {
		log_warnx("task %llu: not started: its start record may not "
		    "be durable: %s", (unsigned long long)t->id,
		    strerror(error));
		t->nattempts--;
		task_set_state(t, TASK_QUEUED);
		journal_task(t, 0);
		sched_request();
		return;
	}
	if (t->kind->start(t, &cause) != 0) {
		task_cannot_start(t, cause);
		t->exit_code = 127;
		t->cancel_signal = 0;
		task_attempt_ended(t);
		return;
	}
	t->pid_start = task_pid_start(t->pid);
	log_audit(t->id, t->owner, t->argv[0], -1, "started", "task %llu: "
	    "started for %s: %s, pid %ld, attempt %zu",
	    (unsigned long long)t->id, t->owner, t->argv[0], (long)t->pid,
	    t->nattempts);
	journal_task(t, 0);
	task_event_started(t);
	/* Its queue was paused while the start record was synced. */
	if (t->queue->state == RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED)
		t->kind->signal(t, SIGSTOP);
	if (t->timeout_ms != 0) {
		/* The loop's cached time may be from before the spawn. */
		event_base_update_cache_time(server.base);
		if (t->timeout_timer == NULL)
			t->timeout_timer = evtimer_new(server.base,
			    task_timeout_cb, t);
		range_timeval(t->timeout_ms, &tv);
		evtimer_add(t->timeout_timer, &tv);
	}
	/* Cancelled while its start record was synced. */
	if (t->cancel_signal != 0)
		task_stop(t, t->cancel_signal, t->grace_ms);
}

/* Record how the task's process ended (not yet finished: pipes may be open). */
void
task_exited(struct task *t, int wstatus)
{
	if (WIFEXITED(wstatus)) {
		t->exit_code = WEXITSTATUS(wstatus);
		t->signal = 0;
	} else if (WIFSIGNALED(wstatus)) {
		t->exit_code = 128 + WTERMSIG(wstatus);
		t->signal = WTERMSIG(wstatus);
		t->core_dumped = WCOREDUMP(wstatus) ? 1 : 0;
	}
}

/* Add a line from the daemon to the task's output, for its watchers. */
static void __attribute__((format(printf, 2, 3)))
task_notice(struct task *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	output_append(t->output, RUNNEL__V1__STREAM__STREAM_SYSTEM, text,
	    strlen(text), server_now_us());
	free(text);
	task_event_output(t);
}

/* The attempt's process is reaped and its pipes are at EOF: end the task,
 * or queue it again if it has retries left. */
void
task_attempt_ended(struct task *t)
{
	struct attempt	*a = &t->attempts[t->nattempts - 1];
	enum task_state	 state;
	uint64_t	 delay;

	if (t->timeout_timer != NULL)
		evtimer_del(t->timeout_timer);
	if (t->kill_timer != NULL)
		evtimer_del(t->kill_timer);
	if (t->kind_data != NULL)
		t->kind->free(t);

	if (t->cancel_signal != 0)
		state = TASK_CANCELLED;
	else if (t->timed_out)
		state = TASK_TIMED_OUT;
	else if (t->signal == 0 && t->exit_code == 0 && t->reason == NULL)
		state = TASK_SUCCEEDED;
	else
		state = TASK_FAILED;
	a->state = state;
	a->exit_code = t->exit_code;
	a->signal = t->signal;
	a->ended_ms = server_now_ms();
	a->output_end = output_size(t->output);

	/* Shutting down, the retry stays queued for the next start. */
	if ((state == TASK_FAILED || state == TASK_TIMED_OUT) &&
	    t->reason == NULL && t->nattempts <= t->spec->retries) {
		delay = range_retry_ms(t->spec->retry_delay_ms,
		    t->spec->retry_backoff, t->nattempts);
		t->not_before_ms = server_now_ms() + delay;
		log_info("task %llu: attempt %zu %s, retrying in %llu ms",
		    (unsigned long long)t->id, t->nattempts,
		    task_state_name(state), (unsigned long long)delay);
		if (t->signal != 0)
			task_notice(t, "runnel: attempt %zu %s (signal %s); "
			    "retrying in %llu ms\n", t->nattempts,
			    task_state_name(state), signal_name(t->signal),
			    (unsigned long long)delay);
		else
			task_notice(t, "runnel: attempt %zu %s (exit %d); "
			    "retrying in %llu ms\n", t->nattempts,
			    task_state_name(state), t->exit_code,
			    (unsigned long long)delay);
		/* Until the retry writes again, its spool is closed. */
		output_end(t->output);
		task_set_state(t, TASK_QUEUED);
		journal_task(t, 0);
		sched_request();
		server_maybe_exit();
		return;
	}
	task_end(t, state, NULL);
}

/* The audit line of a task's end: identity, argv[0], duration, status. */
static void
task_audit_end(const struct task *t)
{
	char	status[128];
	int64_t	ms = -1;

	if (t->signal != 0)
		snprintf(status, sizeof status, "%s, signal %s%s",
		    task_state_name(t->state), signal_name(t->signal),
		    t->core_dumped ? " (core dumped)" : "");
	else if (t->reason != NULL)
		snprintf(status, sizeof status, "%s: %s",
		    task_state_name(t->state), t->reason);
	else if (t->nattempts > 0 && t->state != TASK_SKIPPED)
		snprintf(status, sizeof status, "%s, exit %d",
		    task_state_name(t->state), t->exit_code);
	else
		snprintf(status, sizeof status, "%s",
		    task_state_name(t->state));
	if (t->started_ms != 0 && t->ended_ms >= t->started_ms)
		ms = t->ended_ms - t->started_ms;
	log_audit(t->id, t->owner, t->argv[0], ms, status, "task %llu: ended "
	    "for %s: %s, %s, duration %lld.%03llds",
	    (unsigned long long)t->id, t->owner, t->argv[0], status,
	    ms < 0 ? 0LL : (long long)(ms / 1000),
	    ms < 0 ? 0LL : (long long)(ms % 1000));
}

/* The task has ended for good: record its end, then set its final state,
 * tell watchers and waiters, and let the scheduler use the room.  An end
 * the journal cannot record is not acted on yet: the task stays as it was
 * (its process is gone) until journal_retry records the end and calls
 * this again, so no one is told of an end a restart would not find. */
void
task_end(struct task *t, enum task_state state, const char *reason)
{
	int64_t	now = server_now_ms();

	if (reason != NULL && t->reason == NULL)
		t->reason = xstrdup(reason);
	if (journal_task_end(t, state, now) != 0) {
		if (t->end_pending == 0)
			log_warnx("task %llu: %s, not told until the journal "
			    "records it", (unsigned long long)t->id,
			    task_state_name(state));
		t->end_pending = state;
		t->pid = 0;	/* reaped: the pid may be another's soon */
		return;
	}
	t->end_pending = 0;
	task_set_state(t, state);
	t->ended_ms = now;
	output_end(t->output);
	if (t->kill_timer != NULL) {
		event_free(t->kill_timer);
		t->kill_timer = NULL;
	}
	if (t->timeout_timer != NULL) {
		event_free(t->timeout_timer);
		t->timeout_timer = NULL;
	}
	if (t->stdin_buf != NULL) {
		evbuffer_free(t->stdin_buf);
		t->stdin_buf = NULL;
	}
	/* One line per end, the audit line (a line a task costs the log is
	 * a write, or a message to journald, on every start). */
	task_audit_end(t);
	task_event_ended(t);
	journal_maybe_compact();
	server_maybe_exit();
}

/* Remove a finished task for good, unless a listener still holds it (it
 * is watched or waited for): its removal record, its spool, its place in
 * the table.  0 if removed (and freed). */
int
task_remove(struct task *t)
{
	char	*path;

	if (!task_is_final(t) || task_event_held(t))
		return -1;
	if (journal_task_removed(t->id) != 0) {
		log_warn("task %llu: cannot record its removal",
		    (unsigned long long)t->id);
		return -1;
	}
	path = xasprintf("%s/%llu.log", server.spool_dir,
	    (unsigned long long)t->id);
	unlink(path);
	free(path);
	task_event_removed(t);
	task_table_remove(t);
	server.nfinished--;
	task_free(t);
	return 0;
}

/* Free one task and everything it owns. */
void
task_free(struct task *t)
{
	if (t->kind_data != NULL)
		t->kind->free(t);
	if (t->kill_timer != NULL)
		event_free(t->kill_timer);
	if (t->timeout_timer != NULL)
		event_free(t->timeout_timer);
	if (t->stdin_buf != NULL)
		evbuffer_free(t->stdin_buf);
	/* argv, env, cwd and name are parts of the spec's allocation. */
	free(t->spec);
	output_free(t->output);
	free(t->stdin_data);
	task_owner_put(t->owner);
	free(t->cancelled_by);
	free(t->reason);
	free(t->attempts);
	free(t->replay);
	free(t);
}

/* Free the whole table (at exit), as if no task had ever been. */
void
task_free_all(void)
{
	struct task	*t;
	size_t		 i;

	TASK_FOREACH(t, i)
		task_free(t);
	free(task_slots);
	task_slots = NULL;
	task_nslots = task_slots_size = 0;
	server.ntasks = 0;
	server.last_id = 0;
}
