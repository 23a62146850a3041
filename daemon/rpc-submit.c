/*
 * rpc-submit.c - Submit: check the spec and its dependencies, answer an
 * idempotent resubmission with the first task's id, queue the task, and
 * with `watch` stream its output on the same request id.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

/* Are the dependencies known to, and visible by, the submitter?  They can
 * only name tasks that exist already, so no cycle can form. */
static int
rpc_submit_check_deps(struct session *s, uint64_t req_id,
    const Runnel__V1__TaskSpec *spec)
{
	size_t	i;

	for (i = 0; i < spec->n_after; i++)
		if (rpc_find_task(s, req_id, spec->after[i], 0) == NULL)
			return -1;
	for (i = 0; i < spec->n_after_any; i++)
		if (rpc_find_task(s, req_id, spec->after_any[i], 0) == NULL)
			return -1;
	return 0;
}

/* Has the identity as many queued tasks as it may have?  Answers so. */
int
rpc_submit_queue_full(struct session *s, uint64_t req_id)
{
	unsigned	max = server.conf->max_queued_per_identity;

	if (max == 0 || task_owner_queued(s->identity) < max)
		return 0;
	session_send_error(s, req_id,
	    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
	    "%s has %u tasks queued already (max_queued_per_identity)",
	    s->identity, max);
	return 1;
}

/* May the session make a task now (Submit, Restart)?  Answers if not:
 * not while the daemon shuts down, nor for an identity whose tasks could
 * not run as anyone. */
int
rpc_submit_refused(struct session *s, uint64_t req_id, const char *what)
{
	const struct access_user	*run_as;
	char				*cause = NULL;

	if (server.shutting_down) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
		    "daemon is shutting down");
		return 1;
	}
	if (privdrop_check(s->identity, &run_as, &cause) != 0) {
		log_info("conn %llu: %s refused: %s",
		    (unsigned long long)s->id, what, cause);
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED, "%s",
		    cause);
		free(cause);
		return 1;
	}
	return 0;
}

/* Create a task from the spec and answer with its id. */
static void
rpc_submit(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__TaskSpec	*spec = msg->submit->spec;
	struct task			*t = NULL;
	char				*cause = NULL;
	Runnel__V1__ErrorCode		 code;

	if (rpc_submit_refused(s, req_id, "submit"))
		return;
	if (spec == NULL) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "no task spec");
		return;
	}
	if (rpc_submit_check_deps(s, req_id, spec) != 0)
		return;
	if (spec->key[0] != '\0')
		t = task_find_key(s->identity, spec->key);
	if (t != NULL)
		log_info("task %llu: key '%s' submitted again by %s",
		    (unsigned long long)t->id, spec->key, s->identity);
	else if (rpc_submit_queue_full(s, req_id))
		return;
	else if ((t = task_create(spec, s->identity, &code, &cause)) == NULL) {
		session_send_error(s, req_id, code, "%s", cause);
		free(cause);
		return;
	} else if (spec->stdin_stream)
		task_stdin_own(t, s);	/* its stdin comes on this connection */
	/* The answer (and the watch) once the task's record is durable. */
	journal_ack(s, req_id, t->id, msg->submit->watch);
}

const struct rpc_entry rpc_submit_entry = {
	.name = "submit",
	.min_role = ROLE_USER,
	.handler = rpc_submit,
};
