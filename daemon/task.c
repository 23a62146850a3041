/*
 * task.c - the task table, the one state setter, the scheduler that starts
 * queued tasks within max_running, and cancellation with a grace period.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

#define TASK_MAX_ARGV_BYTES	(1024 * 1024)
#define TASK_MAX_NAME		256

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

/* Look a task up by id. */
struct task *
task_find(uint64_t id)
{
	if (id == 0 || id > server.ntasks)
		return NULL;
	return server.tasks[id - 1];
}

/* Check one bytes field: no NUL, within the remaining budget. */
static char *
task_take_bytes(const ProtobufCBinaryData *b, const char *what, size_t *budget,
    char **cause)
{
	if (memchr(b->data, '\0', b->len) != NULL) {
		*cause = xasprintf("%s contains a NUL byte", what);
		return NULL;
	}
	if (b->len > *budget) {
		*cause = xasprintf("argv, env and cwd exceed %u bytes",
		    TASK_MAX_ARGV_BYTES);
		return NULL;
	}
	*budget -= b->len;
	return xstrndup((const char *)b->data, b->len);
}

/* Validate a spec from the wire and make a QUEUED task of it. */
struct task *
task_create(const Runnel__V1__TaskSpec *spec, const char *owner, char **cause)
{
	struct task	*t;
	size_t		 i, budget = TASK_MAX_ARGV_BYTES;
	const char	*p;

	if (spec == NULL || spec->n_argv == 0) {
		*cause = xstrdup("argv is empty");
		return NULL;
	}
	if (spec->argv[0].len == 0) {
		*cause = xstrdup("argv[0] is empty");
		return NULL;
	}
	if (strlen(spec->name) > TASK_MAX_NAME) {
		*cause = xasprintf("name longer than %d bytes", TASK_MAX_NAME);
		return NULL;
	}
	for (p = spec->name; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*cause = xstrdup("name contains a control character");
			return NULL;
		}
	}

	t = xcalloc(1, sizeof *t);
	TAILQ_INIT(&t->cursors);
	t->kind = &task_exec_kind;
	t->argv = xcalloc(spec->n_argv + 1, sizeof *t->argv);
	for (i = 0; i < spec->n_argv; i++) {
		t->argv[i] = task_take_bytes(&spec->argv[i], "argument", &budget,
		    cause);
		if (t->argv[i] == NULL)
			goto fail;
		t->argc++;
	}
	t->env = xcalloc(spec->n_env + 1, sizeof *t->env);
	for (i = 0; i < spec->n_env; i++) {
		t->env[i] = task_take_bytes(&spec->env[i], "environment entry",
		    &budget, cause);
		if (t->env[i] == NULL)
			goto fail;
		t->nenv++;
		if ((p = strchr(t->env[i], '=')) == NULL || p == t->env[i]) {
			*cause = xasprintf("environment entry '%s' is not "
			    "NAME=VALUE", t->env[i]);
			goto fail;
		}
	}
	if (spec->cwd.len > 0) {
		t->cwd = task_take_bytes(&spec->cwd, "cwd", &budget, cause);
		if (t->cwd == NULL)
			goto fail;
		if (t->cwd[0] != '/') {
			*cause = xasprintf("cwd '%s' is not an absolute path",
			    t->cwd);
			goto fail;
		}
	}
	if (spec->stdin_data.len > 0) {
		t->stdin_data = xmalloc(spec->stdin_data.len);
		memcpy(t->stdin_data, spec->stdin_data.data,
		    spec->stdin_data.len);
		t->stdin_len = spec->stdin_data.len;
	}
	if (spec->name[0] != '\0')
		t->name = xstrdup(spec->name);
	t->owner = xstrdup(owner);
	t->grace_ms = server.conf->grace_ms;
	t->created_ms = server_now_ms();

	t->id = server.ntasks + 1;
	{
		char	*path;

		path = xasprintf("%s/%llu.log", server.spool_dir,
		    (unsigned long long)t->id);
		t->output = output_create(path, OUTPUT_TAIL, cause);
		free(path);
		if (t->output == NULL)
			goto fail;
	}
	server.tasks = xreallocarray(server.tasks, server.ntasks + 1,
	    sizeof *server.tasks);
	server.tasks[server.ntasks++] = t;

	t->state = TASK_QUEUED;
	TAILQ_INSERT_TAIL(&server.queue, t, queue_entry);
	server.nqueued++;
	log_info("task %llu: submitted by %s: %s", (unsigned long long)t->id,
	    t->owner, t->argv[0]);
	return t;

fail:
	for (i = 0; i < t->argc; i++)
		free(t->argv[i]);
	free(t->argv);
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	free(t->env);
	free(t->cwd);
	free(t->stdin_data);
	free(t->name);
	free(t->owner);
	free(t);
	return NULL;
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
		    to == TASK_LOST;
	default:
		return 0;
	}
}

/* The one place a task's state changes; keeps the counters right. */
void
task_set_state(struct task *t, enum task_state state)
{
	if (!task_transition_ok(t->state, state))
		fatalx("task %llu: illegal transition %s -> %s",
		    (unsigned long long)t->id, task_state_name(t->state),
		    task_state_name(state));
	log_debug("task %llu: %s -> %s", (unsigned long long)t->id,
	    task_state_name(t->state), task_state_name(state));

	if (t->state == TASK_QUEUED) {
		TAILQ_REMOVE(&server.queue, t, queue_entry);
		server.nqueued--;
	} else if (t->state == TASK_RUNNING)
		server.nrunning--;

	t->state = state;
	if (state == TASK_RUNNING) {
		server.nrunning++;
		t->started_ms = server_now_ms();
	} else {
		server.nfinished++;
		t->ended_ms = server_now_ms();
	}
}

/* Start queued tasks while the running limit allows. */
void
task_schedule(void)
{
	struct task	*t;
	char		*cause = NULL;
	unsigned	 max = server.conf->max_running;

	if (server.shutting_down)
		return;
	while ((t = TAILQ_FIRST(&server.queue)) != NULL) {
		if (max != 0 && server.nrunning >= max)
			break;
		task_set_state(t, TASK_RUNNING);
		if (t->kind->start(t, &cause) != 0) {
			log_warnx("task %llu: %s", (unsigned long long)t->id,
			    cause);
			output_append(t->output, RUNNEL__V1__STREAM__STREAM_SYSTEM,
			    cause, strlen(cause), server_now_us());
			t->reason = cause;
			cause = NULL;
			t->exit_code = 127;
			task_finished(t);
		}
	}
}

/* SIGKILL the task's group when the grace period is over. */
static void
task_kill_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task	*t = arg;

	(void)fd;
	(void)events;
	if (task_is_final(t))
		return;
	log_info("task %llu: grace period over, sending SIGKILL",
	    (unsigned long long)t->id);
	t->kind->signal(t, SIGKILL);
}

/* Cancel a task: a queued one never starts; a running one gets sig, then
 * SIGKILL after the grace period. */
void
task_cancel(struct task *t, int sig, uint64_t grace_ms, const char *by)
{
	struct timeval	tv;

	if (task_is_final(t))
		return;
	if (t->cancelled_by == NULL)
		t->cancelled_by = xstrdup(by);
	if (t->state == TASK_QUEUED) {
		log_info("task %llu: cancelled by %s before it started",
		    (unsigned long long)t->id, by);
		t->cancel_signal = sig;
		task_set_state(t, TASK_CANCELLED);
		task_finished(t);
		return;
	}
	log_info("task %llu: cancelled by %s, sending %s",
	    (unsigned long long)t->id, by, signal_name(sig));
	t->cancel_signal = sig;
	t->kind->signal(t, sig);
	if (sig == SIGKILL)
		return;
	if (t->kill_timer == NULL)
		t->kill_timer = evtimer_new(server.base, task_kill_cb, t);
	tv.tv_sec = grace_ms / 1000;
	tv.tv_usec = (grace_ms % 1000) * 1000;
	evtimer_add(t->kill_timer, &tv);
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

/* The task has ended for good: set its final state, tell watchers and
 * waiters, and start what it made room for. */
void
task_finished(struct task *t)
{
	struct waiter	*w, *w1;

	if (t->state == TASK_RUNNING) {
		if (t->cancel_signal != 0)
			task_set_state(t, TASK_CANCELLED);
		else if (t->signal == 0 && t->exit_code == 0 &&
		    t->reason == NULL)
			task_set_state(t, TASK_SUCCEEDED);
		else
			task_set_state(t, TASK_FAILED);
	}
	if (t->kill_timer != NULL) {
		event_free(t->kill_timer);
		t->kill_timer = NULL;
	}
	if (t->signal != 0)
		log_info("task %llu: %s by %s%s after %lld ms",
		    (unsigned long long)t->id, task_state_name(t->state),
		    signal_name(t->signal), t->core_dumped ? " (core dumped)" :
		    "", (long long)(t->ended_ms - t->started_ms));
	else
		log_info("task %llu: %s, exit %d", (unsigned long long)t->id,
		    task_state_name(t->state), t->exit_code);
	if (t->kind_data != NULL) {
		t->kind->free(t);
		t->kind_data = NULL;
	}

	watch_notify(t);
	TAILQ_FOREACH_SAFE(w, &server.waiters, entry, w1)
		rpc_wait_check(w);
	task_schedule();
	server_maybe_exit();
}

static char	task_empty[] = "";

/* Point a wire TaskInfo at a task's fields (no copies but the argv array). */
void
task_info_fill(const struct task *t, Runnel__V1__TaskInfo *info)
{
	size_t	i;

	runnel__v1__task_info__init(info);
	info->id = t->id;
	info->name = t->name != NULL ? t->name : task_empty;
	info->state = (Runnel__V1__TaskState)t->state;
	info->n_argv = t->argc;
	info->argv = xcalloc(t->argc, sizeof *info->argv);
	for (i = 0; i < t->argc; i++) {
		info->argv[i].data = (uint8_t *)t->argv[i];
		info->argv[i].len = strlen(t->argv[i]);
	}
	info->owner = t->owner;
	info->exit_code = t->exit_code;
	info->signal = t->signal;
	info->core_dumped = t->core_dumped;
	info->created_ms = t->created_ms;
	info->started_ms = t->started_ms;
	info->ended_ms = t->ended_ms;
	info->pid = t->state == TASK_RUNNING ? t->pid : 0;
	info->output_bytes = output_size(t->output);
	info->cancelled_by = t->cancelled_by != NULL ? t->cancelled_by :
	    task_empty;
	info->reason = t->reason != NULL ? t->reason : task_empty;
	if (t->cwd != NULL) {
		info->cwd.data = (uint8_t *)t->cwd;
		info->cwd.len = strlen(t->cwd);
	}
}

/* Free what task_info_fill allocated. */
void
task_info_clear(Runnel__V1__TaskInfo *info)
{
	free(info->argv);
	info->argv = NULL;
	info->n_argv = 0;
}

/* Free one task and everything it owns. */
static void
task_free(struct task *t)
{
	size_t	i;

	if (t->kind_data != NULL)
		t->kind->free(t);
	if (t->kill_timer != NULL)
		event_free(t->kill_timer);
	output_free(t->output);
	for (i = 0; i < t->argc; i++)
		free(t->argv[i]);
	free(t->argv);
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	free(t->env);
	free(t->cwd);
	free(t->stdin_data);
	free(t->name);
	free(t->owner);
	free(t->cancelled_by);
	free(t->reason);
	free(t);
}

/* Free the whole table at exit. */
void
task_free_all(void)
{
	size_t	i;

	for (i = 0; i < server.ntasks; i++)
		if (server.tasks[i] != NULL)
			task_free(server.tasks[i]);
	free(server.tasks);
	server.tasks = NULL;
	server.ntasks = 0;
}
