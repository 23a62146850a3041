/*
 * client-task.c - librunnel's conversions between the API's structs and the
 * wire's: a runnel_spec into a TaskSpec, a runnel_selector into a Selector,
 * a TaskInfo into a runnel_task, and freeing what they allocate.  Requests
 * point into the caller's memory where they can: packing only reads them.
 */

#include <stdlib.h>
#include <string.h>

#include "client.h"

/* Point a bytes array at a NULL-terminated string array. */
int
client_strv(const char *const *v, ProtobufCBinaryData **out, size_t *n)
{
	size_t	i;

	*out = NULL;
	for (*n = 0; v != NULL && v[*n] != NULL; (*n)++)
		;
	if (*n == 0)
		return 0;
	if ((*out = calloc(*n, sizeof **out)) == NULL)
		return -1;
	for (i = 0; i < *n; i++) {
		(*out)[i].data = CLIENT_UNCONST(v[i]);
		(*out)[i].len = strlen(v[i]);
	}
	return 0;
}

/* Free labels made by client_labels(). */
void
client_labels_free(Runnel__V1__Label **labels, size_t n)
{
	size_t	i;

	for (i = 0; labels != NULL && i < n; i++)
		free(labels[i]);
	free(labels);
}

/* Make labels from "key=value" strings: each Label and its copy of the
 * string, split at the first '=', in one allocation. */
int
client_labels(struct runnel_client *c, const char *const *v,
    Runnel__V1__Label ***out, size_t *n)
{
	Runnel__V1__Label	*l;
	size_t			 i, count, len;
	char			*copy, *eq;

	*out = NULL;
	*n = 0;
	for (count = 0; v != NULL && v[count] != NULL; count++) {
		if (strchr(v[count], '=') == NULL || *v[count] == '=')
			return (client_fail(c, RUNNEL_EINVAL,
			    "bad label '%s': not key=value", v[count]));
	}
	if (count == 0)
		return 0;
	if ((*out = calloc(count, sizeof **out)) == NULL)
		goto nomem;
	for (i = 0; i < count; i++) {
		len = strlen(v[i]);
		if ((l = malloc(sizeof *l + len + 1)) == NULL)
			goto nomem;
		runnel__v1__label__init(l);
		copy = (char *)(l + 1);
		memcpy(copy, v[i], len + 1);
		eq = strchr(copy, '=');
		*eq = '\0';
		l->key = copy;
		l->value = eq + 1;
		(*out)[(*n)++] = l;
	}
	return 0;

nomem:
	client_labels_free(*out, *n);
	*out = NULL;
	*n = 0;
	return client_fail(c, RUNNEL_ENOMEM, "out of memory");
}

/* Free what client_spec_build() allocated. */
void
client_spec_free(struct client_spec *cs)
{
	free(cs->ts.argv);
	free(cs->ts.env);
	client_labels_free(cs->ts.labels, cs->ts.n_labels);
	free(cs->prlimits);
	free(cs->rlimits);
	memset(cs, 0, sizeof *cs);
}

/* Check a spec and fill a TaskSpec from it. */
int
client_spec_build(struct runnel_client *c, const struct runnel_spec *spec,
    struct client_spec *cs)
{
	Runnel__V1__TaskSpec	*ts = &cs->ts;
	size_t			 i;
	int			 r;

	memset(cs, 0, sizeof *cs);
	runnel__v1__task_spec__init(ts);
	if (spec == NULL || spec->argv == NULL || spec->argv[0] == NULL)
		return client_fail(c, RUNNEL_EINVAL, "submit: empty argv");
	if (spec->stdin_data == NULL && spec->stdin_len != 0)
		return client_fail(c, RUNNEL_EINVAL, "submit: no stdin data");
	if ((spec->after == NULL && spec->nafter != 0) ||
	    (spec->after_any == NULL && spec->nafter_any != 0) ||
	    (spec->rlimits == NULL && spec->nrlimits != 0))
		return (client_fail(c, RUNNEL_EINVAL,
		    "submit: an array is NULL but its count is not"));
	for (i = 0; i < spec->nrlimits; i++) {
		if (spec->rlimits[i].name == NULL)
			return (client_fail(c, RUNNEL_EINVAL,
			    "submit: rlimit without a name"));
	}
	if (client_strv(spec->argv, &ts->argv, &ts->n_argv) != 0 ||
	    client_strv(spec->env, &ts->env, &ts->n_env) != 0)
		goto nomem;
	if ((r = client_labels(c, spec->labels, &ts->labels,
	    &ts->n_labels)) != 0) {
		client_spec_free(cs);
		return r;
	}
	if (spec->nrlimits > 0) {
		cs->rlimits = calloc(spec->nrlimits, sizeof *cs->rlimits);
		cs->prlimits = calloc(spec->nrlimits, sizeof *cs->prlimits);
		if (cs->rlimits == NULL || cs->prlimits == NULL)
			goto nomem;
		for (i = 0; i < spec->nrlimits; i++) {
			runnel__v1__rlimit__init(&cs->rlimits[i]);
			cs->rlimits[i].name =
			    CLIENT_UNCONST(spec->rlimits[i].name);
			cs->rlimits[i].soft = spec->rlimits[i].soft;
			cs->rlimits[i].hard = spec->rlimits[i].hard;
			cs->prlimits[i] = &cs->rlimits[i];
		}
		ts->rlimits = cs->prlimits;
		ts->n_rlimits = spec->nrlimits;
	}
	if (spec->cwd != NULL) {
		ts->cwd.data = CLIENT_UNCONST(spec->cwd);
		ts->cwd.len = strlen(spec->cwd);
	}
	if (spec->name != NULL)
		ts->name = CLIENT_UNCONST(spec->name);
	ts->stdin_data.data = CLIENT_UNCONST(spec->stdin_data);
	ts->stdin_data.len = spec->stdin_len;
	if (spec->queue != NULL)
		ts->queue = CLIENT_UNCONST(spec->queue);
	ts->priority = spec->priority;
	ts->after = CLIENT_UNCONST(spec->after);
	ts->n_after = spec->nafter;
	ts->after_any = CLIENT_UNCONST(spec->after_any);
	ts->n_after_any = spec->nafter_any;
	ts->timeout_ms = spec->timeout_ms;
	ts->retries = spec->retries;
	ts->retry_delay_ms = spec->retry_delay_ms;
	ts->retry_backoff = spec->retry_backoff;
	if (spec->key != NULL)
		ts->key = CLIENT_UNCONST(spec->key);
	ts->start_at_ms = spec->start_at_ms;
	ts->clear_env = spec->clear_env != 0;
	ts->stdin_stream = spec->stdin_stream != 0;
	ts->restart_on_lost = spec->restart_on_lost != 0;
	return 0;

nomem:
	client_spec_free(cs);
	return client_fail(c, RUNNEL_ENOMEM, "out of memory");
}

/* Free a Selector made by client_selector(). */
void
client_selector_free(Runnel__V1__Selector *sel)
{
	if (sel == NULL)
		return;
	client_labels_free(sel->labels, sel->n_labels);
	free(sel);
}

/* Make a Selector from a selector; NULL gives NULL. */
int
client_selector(struct runnel_client *c, const struct runnel_selector *s,
    Runnel__V1__Selector **out)
{
	Runnel__V1__Selector	*sel;
	int			 r;

	*out = NULL;
	if (s == NULL)
		return 0;
	if (s->ids == NULL && s->nids != 0)
		return (client_fail(c, RUNNEL_EINVAL,
		    "selector: no ids but a count"));
	if ((sel = malloc(sizeof *sel)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	runnel__v1__selector__init(sel);
	if ((r = client_labels(c, s->labels, &sel->labels,
	    &sel->n_labels)) != 0) {
		free(sel);
		return r;
	}
	sel->ids = CLIENT_UNCONST(s->ids);
	sel->n_ids = s->nids;
	if (s->queue != NULL)
		sel->queue = CLIENT_UNCONST(s->queue);
	sel->all = s->all != 0;
	*out = sel;
	return 0;
}

/* Copy bytes into a new NUL-terminated string; if asked, "" gives NULL. */
static int
client_copy(char **out, const void *data, size_t len, int empty_null)
{
	*out = NULL;
	if (len == 0 && empty_null)
		return 0;
	if ((*out = malloc(len + 1)) == NULL)
		return -1;
	if (len != 0)
		memcpy(*out, data, len);
	(*out)[len] = '\0';
	return 0;
}

/* Copy an array of ids; none gives NULL. */
static int
client_copy_ids(uint64_t **out, size_t *nout, const uint64_t *ids, size_t n)
{
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof **out)) == NULL)
		return -1;
	memcpy(*out, ids, n * sizeof **out);
	*nout = n;
	return 0;
}

/* Fill the scheduling fields of a task from a TaskInfo. */
static int
client_task_sched(struct runnel_task *t, const Runnel__V1__TaskInfo *ti)
{
	const Runnel__V1__Attempt	*a;
	size_t				 i, klen, vlen;

	t->priority = ti->priority;
	t->timeout_ms = ti->timeout_ms;
	t->retries = ti->retries;
	t->start_at_ms = ti->start_at_ms;
	t->restart_on_lost = ti->restart_on_lost;
	t->output_dropped = ti->output_dropped;
	if (client_copy(&t->queue, ti->queue, strlen(ti->queue), 0) != 0 ||
	    client_copy(&t->key, ti->key, strlen(ti->key), 1) != 0 ||
	    client_copy(&t->waiting_for, ti->waiting_for,
	    strlen(ti->waiting_for), 1) != 0 ||
	    client_copy_ids(&t->after, &t->nafter, ti->after,
	    ti->n_after) != 0 ||
	    client_copy_ids(&t->after_any, &t->nafter_any, ti->after_any,
	    ti->n_after_any) != 0 ||
	    (t->labels = calloc(ti->n_labels + 1, sizeof *t->labels)) == NULL)
		return -1;
	for (i = 0; i < ti->n_labels; i++) {
		klen = strlen(ti->labels[i]->key);
		vlen = strlen(ti->labels[i]->value);
		if ((t->labels[i] = malloc(klen + vlen + 2)) == NULL)
			return -1;
		memcpy(t->labels[i], ti->labels[i]->key, klen);
		t->labels[i][klen] = '=';
		memcpy(t->labels[i] + klen + 1, ti->labels[i]->value,
		    vlen + 1);
	}
	if (ti->n_attempts == 0)
		return 0;
	if ((t->attempts = calloc(ti->n_attempts, sizeof *t->attempts)) == NULL)
		return -1;
	t->nattempts = ti->n_attempts;
	for (i = 0; i < ti->n_attempts; i++) {
		a = ti->attempts[i];
		t->attempts[i].number = a->number;
		t->attempts[i].state = (enum runnel_state)a->state;
		t->attempts[i].exit_code = a->exit_code;
		t->attempts[i].signal = a->signal;
		t->attempts[i].started_ms = a->started_ms;
		t->attempts[i].ended_ms = a->ended_ms;
		t->attempts[i].output_start = a->output_start;
		t->attempts[i].output_end = a->output_end;
	}
	return 0;
}

/* Fill a runnel_task from a TaskInfo. */
int
client_task(struct runnel_client *c, struct runnel_task *t,
    const Runnel__V1__TaskInfo *ti)
{
	size_t	i;

	memset(t, 0, sizeof *t);
	if (ti == NULL)
		return client_fail(c, RUNNEL_EPROTO, "empty task from daemon");
	t->id = ti->id;
	t->state = (enum runnel_state)ti->state;
	t->exit_code = ti->exit_code;
	t->signal = ti->signal;
	t->core_dumped = ti->core_dumped != 0;
	t->created_ms = ti->created_ms;
	t->started_ms = ti->started_ms;
	t->ended_ms = ti->ended_ms;
	t->pid = ti->pid;
	t->output_bytes = ti->output_bytes;
	/* Unpacked strings are never NULL: absent ones are "". */
	if (client_copy(&t->name, ti->name, strlen(ti->name), 1) != 0 ||
	    client_copy(&t->owner, ti->owner, strlen(ti->owner), 0) != 0 ||
	    client_copy(&t->cancelled_by, ti->cancelled_by,
	    strlen(ti->cancelled_by), 1) != 0 ||
	    client_copy(&t->reason, ti->reason, strlen(ti->reason), 1) != 0 ||
	    client_copy(&t->cwd, ti->cwd.data, ti->cwd.len, 1) != 0 ||
	    (t->argv = calloc(ti->n_argv + 1, sizeof *t->argv)) == NULL)
		goto fail;
	for (i = 0; i < ti->n_argv; i++) {
		if (client_copy(&t->argv[i], ti->argv[i].data,
		    ti->argv[i].len, 0) != 0)
			goto fail;
	}
	if (client_task_sched(t, ti) != 0)
		goto fail;
	return 0;

fail:
	runnel_task_clear(t);
	return client_fail(c, RUNNEL_ENOMEM, "out of memory");
}

/* Fill a new array from TaskInfos. */
int
client_tasks(struct runnel_client *c, struct runnel_task **out,
    Runnel__V1__TaskInfo *const *tis, size_t n)
{
	struct runnel_task	*tasks;
	size_t			 i;
	int			 r;

	if ((tasks = calloc(n == 0 ? 1 : n, sizeof *tasks)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if ((r = client_task(c, &tasks[i], tis[i])) != 0) {
			runnel_tasks_free(tasks, i);
			return r;
		}
	}
	*out = tasks;
	return 0;
}

/* Free everything a task points to and zero it. */
void
runnel_task_clear(struct runnel_task *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; t->argv != NULL && t->argv[i] != NULL; i++)
		free(t->argv[i]);
	free(t->argv);
	for (i = 0; t->labels != NULL && t->labels[i] != NULL; i++)
		free(t->labels[i]);
	free(t->labels);
	free(t->name);
	free(t->owner);
	free(t->cancelled_by);
	free(t->reason);
	free(t->cwd);
	free(t->queue);
	free(t->attempts);
	free(t->waiting_for);
	free(t->after);
	free(t->after_any);
	free(t->key);
	memset(t, 0, sizeof *t);
}

/* Free an array of tasks. */
void
runnel_tasks_free(struct runnel_task *tasks, size_t n)
{
	size_t	i;

	if (tasks == NULL)
		return;
	for (i = 0; i < n; i++)
		runnel_task_clear(&tasks[i]);
	free(tasks);
}

/* Name a task state. */
const char *
runnel_state_name(enum runnel_state s)
{
	static const char *const names[] = {
		[RUNNEL_QUEUED] = "queued",
		[RUNNEL_RUNNING] = "running",
		[RUNNEL_SUCCEEDED] = "succeeded",
		[RUNNEL_FAILED] = "failed",
		[RUNNEL_CANCELLED] = "cancelled",
		[RUNNEL_TIMED_OUT] = "timed_out",
		[RUNNEL_LOST] = "lost",
		[RUNNEL_SKIPPED] = "skipped",
	};

	if ((unsigned)s >= sizeof names / sizeof names[0] || names[s] == NULL)
		return "unknown";
	return names[s];
}
