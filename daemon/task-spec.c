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
		*cause = xasprintf("name must be at most %d bytes, without "
		    "control characters", TASK_MAX_NAME);
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
	/* Written so that NaN fails too. */
	if (!(spec->retry_backoff >= 0 && spec->retry_backoff <= 100)) {
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
static int
task_check_bytes(const ProtobufCBinaryData *b, const char *what,
    size_t *budget, char **cause)
{
	/* An empty field may come with no data pointer at all. */
	if (b->len > 0 && memchr(b->data, '\0', b->len) != NULL) {
		*cause = xasprintf("%s contains a NUL byte", what);
		return -1;
	}
	if (b->len > *budget) {
		*cause = xasprintf("argv, env and cwd exceed %lu bytes "
		    "(max_argv)", (unsigned long)server.conf->max_argv);
		return -1;
	}
	*budget -= b->len;
	return 0;
}

/* The bytes of a task's one allocation: the spec, the argv and env arrays
 * of the task, the spec's arrays, then every string with its NUL.  All
 * but the strings are multiples of 8 bytes, so all stay aligned. */
static size_t
task_block_size(const Runnel__V1__TaskSpec *spec)
{
	size_t	i, size;

	size = sizeof *spec +
	    (spec->n_argv + 1 + spec->n_env + 1) * sizeof (char *) +
	    (spec->n_argv + spec->n_env) * sizeof *spec->argv +
	    (spec->n_after + spec->n_after_any) * sizeof *spec->after +
	    spec->n_labels * (sizeof *spec->labels +
	    sizeof (Runnel__V1__Label)) +
	    spec->n_rlimits * (sizeof *spec->rlimits +
	    sizeof (Runnel__V1__Rlimit));
	for (i = 0; i < spec->n_argv; i++)
		size += spec->argv[i].len + 1;
	for (i = 0; i < spec->n_env; i++)
		size += spec->env[i].len + 1;
	size += spec->cwd.len + 1 + strlen(spec->name) + 1 +
	    strlen(spec->queue) + 1 + strlen(spec->key) + 1;
	for (i = 0; i < spec->n_labels; i++)
		size += strlen(spec->labels[i]->key) + 1 +
		    strlen(spec->labels[i]->value) + 1;
	for (i = 0; i < spec->n_rlimits; i++)
		size += strlen(spec->rlimits[i]->name) + 1;
	return size;
}

/* Take n bytes of the block. */
static void *
task_block_take(char **p, size_t n)
{
	void	*q = *p;

	*p += n;
	return q;
}

/* Copy bytes into the block as a string. */
static char *
task_block_str(char **p, const void *data, size_t len)
{
	char	*q = *p;

	if (len > 0)
		memcpy(q, data, len);
	q[len] = '\0';
	*p += len + 1;
	return q;
}

/* Lay the spec out in a block of task_block_size bytes, without the stdin
 * bytes (the task holds those); argv and env arrays for the task point at
 * the same strings. */
static Runnel__V1__TaskSpec *
task_block_fill(char *p, const Runnel__V1__TaskSpec *spec, char ***argv,
    char ***env)
{
	Runnel__V1__TaskSpec	*c;
	Runnel__V1__Label	*l;
	Runnel__V1__Rlimit	*r;
	size_t			 i;

	c = task_block_take(&p, sizeof *c);
	*c = *spec;
	c->base.unknown_fields = NULL;
	c->base.n_unknown_fields = 0;
	c->stdin_data.data = NULL;
	c->stdin_data.len = 0;
	*argv = task_block_take(&p, (spec->n_argv + 1) * sizeof **argv);
	*env = task_block_take(&p, (spec->n_env + 1) * sizeof **env);
	c->argv = task_block_take(&p, spec->n_argv * sizeof *c->argv);
	c->env = task_block_take(&p, spec->n_env * sizeof *c->env);
	c->after = task_block_take(&p, spec->n_after * sizeof *c->after);
	c->after_any = task_block_take(&p,
	    spec->n_after_any * sizeof *c->after_any);
	c->labels = task_block_take(&p, spec->n_labels * sizeof *c->labels);
	l = task_block_take(&p, spec->n_labels * sizeof *l);
	c->rlimits = task_block_take(&p, spec->n_rlimits * sizeof *c->rlimits);
	r = task_block_take(&p, spec->n_rlimits * sizeof *r);

	if (spec->n_after > 0)
		memcpy(c->after, spec->after, spec->n_after * sizeof *c->after);
	if (spec->n_after_any > 0)
		memcpy(c->after_any, spec->after_any,
		    spec->n_after_any * sizeof *c->after_any);
	for (i = 0; i < spec->n_argv; i++) {
		(*argv)[i] = task_block_str(&p, spec->argv[i].data,
		    spec->argv[i].len);
		c->argv[i].data = (uint8_t *)(*argv)[i];
		c->argv[i].len = spec->argv[i].len;
	}
	(*argv)[spec->n_argv] = NULL;
	for (i = 0; i < spec->n_env; i++) {
		(*env)[i] = task_block_str(&p, spec->env[i].data,
		    spec->env[i].len);
		c->env[i].data = (uint8_t *)(*env)[i];
		c->env[i].len = spec->env[i].len;
	}
	(*env)[spec->n_env] = NULL;
	c->cwd.data = (uint8_t *)task_block_str(&p, spec->cwd.data,
	    spec->cwd.len);
	c->name = task_block_str(&p, spec->name, strlen(spec->name));
	c->queue = task_block_str(&p, spec->queue, strlen(spec->queue));
	c->key = task_block_str(&p, spec->key, strlen(spec->key));
	for (i = 0; i < spec->n_labels; i++) {
		runnel__v1__label__init(&l[i]);
		l[i].key = task_block_str(&p, spec->labels[i]->key,
		    strlen(spec->labels[i]->key));
		l[i].value = task_block_str(&p, spec->labels[i]->value,
		    strlen(spec->labels[i]->value));
		c->labels[i] = &l[i];
	}
	for (i = 0; i < spec->n_rlimits; i++) {
		runnel__v1__rlimit__init(&r[i]);
		r[i].name = task_block_str(&p, spec->rlimits[i]->name,
		    strlen(spec->rlimits[i]->name));
		r[i].soft = spec->rlimits[i]->soft;
		r[i].hard = spec->rlimits[i]->hard;
		c->rlimits[i] = &r[i];
	}
	return c;
}

/* Check argv, env and cwd, then take the spec into the task as one
 * allocation (t->spec, which task_free frees): the task's argv, env, cwd
 * and name point into it.  Stdin bytes are copied apart. */
int
task_spec_take(struct task *t, const Runnel__V1__TaskSpec *spec, char **cause)
{
	size_t			 i, budget = server.conf->max_argv;
	const ProtobufCBinaryData *e;
	const uint8_t		*eq;

	for (i = 0; i < spec->n_argv; i++)
		if (task_check_bytes(&spec->argv[i], "argument", &budget,
		    cause) != 0)
			return -1;
	for (i = 0; i < spec->n_env; i++) {
		e = &spec->env[i];
		if (task_check_bytes(e, "environment entry", &budget,
		    cause) != 0)
			return -1;
		eq = e->len > 0 ? memchr(e->data, '=', e->len) : NULL;
		if (eq == NULL || eq == e->data) {
			*cause = xasprintf("environment entry '%.*s' is not "
			    "NAME=VALUE", (int)e->len, (const char *)e->data);
			return -1;
		}
	}
	if (spec->cwd.len > 0) {
		if (task_check_bytes(&spec->cwd, "cwd", &budget, cause) != 0)
			return -1;
		if (spec->cwd.data[0] != '/') {
			*cause = xasprintf("cwd '%.*s' is not an absolute path",
			    (int)spec->cwd.len, (const char *)spec->cwd.data);
			return -1;
		}
	}

	t->spec = task_block_fill(xmalloc(task_block_size(spec)), spec,
	    &t->argv, &t->env);
	t->argc = spec->n_argv;
	t->nenv = spec->n_env;
	if (spec->cwd.len > 0)
		t->cwd = (char *)t->spec->cwd.data;
	if (spec->name[0] != '\0')
		t->name = t->spec->name;
	if (spec->stdin_data.len > 0) {
		t->stdin_data = xmalloc(spec->stdin_data.len);
		memcpy(t->stdin_data, spec->stdin_data.data,
		    spec->stdin_data.len);
		t->stdin_len = spec->stdin_data.len;
	}
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
