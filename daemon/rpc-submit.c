/*
 * rpc-submit.c - Submit: check the spec and its dependencies, answer an
 * idempotent resubmission with the first task's id, queue the task, and
 * with `watch` stream its output on the same request id.
 */
#include <errno.h>
#include <signal.h>
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

/* A reply that waits for the new task's record to be durable. */
struct rpc_submit_ack {
	struct session	*session;	/* referenced: may die meanwhile */
	uint64_t	 req_id;
	uint64_t	 task_id;
	int		 watch;
};

/* The task's record is durable (error 0) or is not: answer, unless the
 * session went away meanwhile; a task that cannot be made durable is
 * killed. */
static void
rpc_submit_synced(void *arg, int error)
{
	Runnel__V1__ServerMessage	 reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__SubmitReply		 sr = RUNNEL__V1__SUBMIT_REPLY__INIT;
	struct rpc_submit_ack		*a = arg;
	struct session			*s = a->session;
	struct task			*t;

	if (error == ECANCELED || s->state == SESSION_DEAD)
		goto done;
	t = task_find(a->task_id);
	if (error != 0) {
		session_send_error(s, a->req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
		    "journal: cannot make the task durable: %s",
		    strerror(error));
		if (t != NULL)
			task_cancel(t, SIGKILL, 0, "journal");
	} else if (t != NULL) {
		sr.task_id = a->task_id;
		reply.id = a->req_id;
		reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT;
		reply.submit = &sr;
		session_send(s, &reply);
		if (a->watch)
			watch_create(s, a->req_id, &t, 1, NULL);
	}
done:
	session_unref(s);
	free(a);
}

/* Answer a Submit (or Restart) with the task's id, and start its watch,
 * once everything the journal has written so far is durable. */
void
rpc_submit_reply_durable(struct session *s, uint64_t req_id,
    uint64_t task_id, int watch)
{
	struct rpc_submit_ack	*a;

	a = xcalloc(1, sizeof *a);
	a->session = s;
	a->req_id = req_id;
	a->task_id = task_id;
	a->watch = watch;
	session_ref(s);
	journal_sync_then(rpc_submit_synced, a);
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
	rpc_submit_reply_durable(s, req_id, t->id, msg->submit->watch);
}

const struct rpc_entry rpc_submit_entry = {
	.name = "submit",
	.min_role = ROLE_USER,
	.handler = rpc_submit,
};
