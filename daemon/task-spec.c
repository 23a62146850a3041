/*
 * task-spec.c - what a task is made of: checking a spec from the wire
 * (protobuf-c neither stops at a NUL in bytes nor checks anything else),
 * taking its fields into a task, and describing a task back on the wire.
 */
#include <sys/resource.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

#define TASK_MAX_NAME		256
#define TASK_MAX_LABELS		64
#define TASK_MAX_LABEL		256
#define TASK_MAX_RETRIES	1000
#define TASK_MAX_DEPS		1024

static const struct {
	const char	*name;
	int		 resource;
} task_rlimits[] = {
	{ "as", RLIMIT_AS },
	{ "core", RLIMIT_CORE },
	{ "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA },
	{ "fsize", RLIMIT_FSIZE },
	{ "memlock", RLIMIT_MEMLOCK },
	{ "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },
	{ "stack", RLIMIT_STACK },
};

/* The RLIMIT_* of a name such as "nofile", or -1. */
int
task_rlimit_resource(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof task_rlimits / sizeof *task_rlimits; i++)
		if (strcmp(task_rlimits[i].name, name) == 0)
			return task_rlimits[i].resource;
	return -1;
}

/* Does a string hold a control character? */
static int
task_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Check what a spec asks for, before anything is allocated for it. */
int
task_spec_check(const Runnel__V1__TaskSpec *spec, const char *owner,
    struct queue **q, char **cause)
{
	size_t			 i;
	const Runnel__V1__Label	*l;
	const Runnel__V1__Rlimit *r;

	(void)owner;
	if (spec->n_argv == 0) {
		*cause = xstrdup("argv is empty");
		return -1;
	}
	if (spec->argv[0].len == 0) {
		*cause = xstrdup("argv[0] is empty");
		return -1;
	}
	if (strlen(spec->name) > TASK_MAX_NAME || task_has_control(spec->name)) {
		*cause = xasprintf("name must be at most %d printable bytes",
		    TASK_MAX_NAME);
		return -1;
	}
	*q = queue_find(spec->queue[0] != '\0' ? spec->queue : "default");
	if (*q == NULL) {
		*cause = xasprintf("queue '%s' does not exist", spec->queue);
		return -1;
	}
	if (spec->stdin_stream && spec->stdin_data.len > 0) {
		*cause = xstrdup("stdin bytes and streamed stdin are exclusive");
		return -1;
	}
	if (spec->retries > TASK_MAX_RETRIES) {
		*cause = xasprintf("at most %d retries", TASK_MAX_RETRIES);
		return -1;
	}
	if (spec->retry_backoff < 0 || spec->retry_backoff > 100) {
		*cause = xstrdup("retry backoff must be between 0 and 100");
		return -1;
	}
	if (spec->n_after + spec->n_after_any > TASK_MAX_DEPS) {
		*cause = xasprintf("at most %d dependencies", TASK_MAX_DEPS);
		return -1;
	}
	if (spec->n_labels > TASK_MAX_LABELS) {
		*cause = xasprintf("at most %d labels", TASK_MAX_LABELS);
		return -1;
	}
	for (i = 0; i < spec->n_labels; i++) {
		l = spec->labels[i];
		if (l->key[0] == '\0' || strlen(l->key) > TASK_MAX_LABEL ||
		    strlen(l->value) > TASK_MAX_LABEL ||
		    strchr(l->key, '=') != NULL || task_has_control(l->key) ||
		    task_has_control(l->value)) {
			*cause = xasprintf("bad label '%s=%s'", l->key,
			    l->value);
			return -1;
		}
	}
	for (i = 0; i < spec->n_rlimits; i++) {
		r = spec->rlimits[i];
		if (task_rlimit_resource(r->name) == -1) {
			*cause = xasprintf("unknown rlimit '%s'", r->name);
			return -1;
		}
		if (r->hard != 0 && r->hard < r->soft) {
			*cause = xasprintf("rlimit %s: soft limit above hard",
			    r->name);
			return -1;
		}
	}
	return 0;
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
		*cause = xasprintf("argv, env and cwd exceed %lu bytes "
		    "(max_argv)", (unsigned long)server.conf->max_argv);
		return NULL;
	}
	*budget -= b->len;
	return xstrndup((const char *)b->data, b->len);
}

/* Take argv, env, cwd, stdin and name from the spec into the task. */
int
task_spec_take(struct task *t, const Runnel__V1__TaskSpec *spec, char **cause)
{
	size_t		 i, budget = server.conf->max_argv;
	const char	*p;

	t->argv = xcalloc(spec->n_argv + 1, sizeof *t->argv);
	for (i = 0; i < spec->n_argv; i++) {
		t->argv[i] = task_take_bytes(&spec->argv[i], "argument",
		    &budget, cause);
		if (t->argv[i] == NULL)
			return -1;
		t->argc++;
	}
	t->env = xcalloc(spec->n_env + 1, sizeof *t->env);
	for (i = 0; i < spec->n_env; i++) {
		t->env[i] = task_take_bytes(&spec->env[i], "environment entry",
		    &budget, cause);
		if (t->env[i] == NULL)
			return -1;
		t->nenv++;
		if ((p = strchr(t->env[i], '=')) == NULL || p == t->env[i]) {
			*cause = xasprintf("environment entry '%s' is not "
			    "NAME=VALUE", t->env[i]);
			return -1;
		}
	}
	if (spec->cwd.len > 0) {
		t->cwd = task_take_bytes(&spec->cwd, "cwd", &budget, cause);
		if (t->cwd == NULL)
			return -1;
		if (t->cwd[0] != '/') {
			*cause = xasprintf("cwd '%s' is not an absolute path",
			    t->cwd);
			return -1;
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
	return 0;
}

static char	task_empty[] = "";

/* Describe a task on the wire, pointing at its fields where it can. */
void
task_info_fill(const struct task *t, Runnel__V1__TaskInfo *info)
{
	task_info_fill_ex(t, info, 1);
}

/* The same, saying what a queued task waits for only if asked (the
 * journal does not keep that). */
void
task_info_fill_ex(const struct task *t, Runnel__V1__TaskInfo *info,
    int with_waiting)
{
	Runnel__V1__Attempt	*a;
	size_t			 i;

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
	info->output_dropped = output_dropped(t->output);
	info->cancelled_by = t->cancelled_by != NULL ? t->cancelled_by :
	    task_empty;
	info->reason = t->reason != NULL ? t->reason : task_empty;
	if (t->cwd != NULL) {
		info->cwd.data = (uint8_t *)t->cwd;
		info->cwd.len = strlen(t->cwd);
	}
	info->queue = t->queue->name;
	info->priority = t->spec->priority;
	info->n_labels = t->spec->n_labels;
	info->labels = t->spec->labels;
	info->n_after = t->spec->n_after;
	info->after = t->spec->after;
	info->n_after_any = t->spec->n_after_any;
	info->after_any = t->spec->after_any;
	info->timeout_ms = t->timeout_ms;
	info->retries = t->spec->retries;
	info->key = t->spec->key;
	info->start_at_ms = t->spec->start_at_ms;
	info->restart_on_lost = t->spec->restart_on_lost;
	info->waiting_for = with_waiting && t->state == TASK_QUEUED ?
	    sched_waiting_for(t) : NULL;
	if (info->waiting_for == NULL)
		info->waiting_for = task_empty;

	info->n_attempts = t->nattempts;
	if (t->nattempts == 0)
		return;
	info->attempts = xcalloc(t->nattempts, sizeof *info->attempts);
	a = xcalloc(t->nattempts, sizeof *a);
	for (i = 0; i < t->nattempts; i++) {
		runnel__v1__attempt__init(&a[i]);
		a[i].number = i + 1;
		a[i].state = (Runnel__V1__TaskState)t->attempts[i].state;
		a[i].exit_code = t->attempts[i].exit_code;
		a[i].signal = t->attempts[i].signal;
		a[i].started_ms = t->attempts[i].started_ms;
		a[i].ended_ms = t->attempts[i].ended_ms;
		a[i].output_start = t->attempts[i].output_start;
		a[i].output_end = t->attempts[i].state == TASK_RUNNING ?
		    output_size(t->output) : t->attempts[i].output_end;
		info->attempts[i] = &a[i];
	}
}

/* Free what task_info_fill allocated. */
void
task_info_clear(Runnel__V1__TaskInfo *info)
{
	free(info->argv);
	if (info->n_attempts > 0)
		free(info->attempts[0]);
	free(info->attempts);
	if (info->waiting_for != task_empty)
		free(info->waiting_for);
	info->argv = NULL;
	info->n_argv = 0;
	info->attempts = NULL;
	info->n_attempts = 0;
	info->waiting_for = NULL;
}
