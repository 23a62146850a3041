/*
 * client-sched.c - librunnel's calls for scheduling: listing and waiting
 * by selector, restart, clean, queues, a watch's resume list and stream
 * filter, and runnel_stdin() (the stdin pump of runnel_run is
 * client-pump.c).
 */

#include <stdlib.h>
#include <string.h>

#include "client.h"

/* List the tasks a selector names; NULL: every visible task. */
int
runnel_list_select(struct runnel_client *c, const struct runnel_selector *s,
    struct runnel_task **tasks, size_t *n)
{
	Runnel__V1__ListRequest	 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (tasks == NULL || n == NULL)
		return client_fail(c, RUNNEL_EINVAL, "list: no result");
	*tasks = NULL;
	*n = 0;
	if ((r = client_selector(c, s, &lr.select)) != 0)
		return r;
	r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST, &lr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST, &reply, NULL, NULL);
	client_selector_free(lr.select);
	if (r != 0)
		return r;
	r = client_tasks(c, tasks, reply->list->tasks, reply->list->n_tasks);
	if (r == 0)
		*n = reply->list->n_tasks;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}

/* Wait for the selected tasks as mode says, or until the timeout. */
int
runnel_wait_select(struct runnel_client *c, const struct runnel_selector *s,
    enum runnel_wait_mode mode, int cancel_rest, uint64_t timeout_ms,
    struct runnel_task **tasks, size_t *n, int *timed_out)
{
	Runnel__V1__WaitRequest	 wr = RUNNEL__V1__WAIT_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (tasks == NULL || n == NULL || s == NULL)
		return (client_fail(c, RUNNEL_EINVAL,
		    "wait: no selector or no result"));
	if (mode != RUNNEL_WAIT_ALL && mode != RUNNEL_WAIT_FIRST_COMPLETED &&
	    mode != RUNNEL_WAIT_FIRST_FAILURE)
		return (client_fail(c, RUNNEL_EINVAL, "wait: bad mode %d",
		    (int)mode));
	*tasks = NULL;
	*n = 0;
	if (timed_out != NULL)
		*timed_out = 0;
	if ((r = client_selector(c, s, &wr.select)) != 0)
		return r;
	wr.mode = (Runnel__V1__WaitMode)mode;
	wr.cancel_rest = cancel_rest != 0;
	wr.timeout_ms = timeout_ms;
	r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT, &wr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT, &reply, NULL, NULL);
	client_selector_free(wr.select);
	if (r != 0)
		return r;
	r = client_tasks(c, tasks, reply->wait->tasks, reply->wait->n_tasks);
	if (r == 0) {
		*n = reply->wait->n_tasks;
		if (timed_out != NULL)
			*timed_out = reply->wait->timed_out != 0;
	}
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}

/* Fill a StdinRequest (runnel_stdin and the stdin pump). */
void
client_stdin_request(Runnel__V1__StdinRequest *sr, uint64_t id,
    const void *data, size_t len, int eof)
{
	runnel__v1__stdin_request__init(sr);
	sr->task_id = id;
	sr->data.data = CLIENT_UNCONST(data);
	sr->data.len = len;
	sr->eof = eof != 0;
}

/* Send bytes for a task's stdin and wait until the daemon took them. */
int
runnel_stdin(struct runnel_client *c, uint64_t id, const void *data,
    size_t len, int eof)
{
	Runnel__V1__StdinRequest	 sr;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (data == NULL && len != 0)
		return client_fail(c, RUNNEL_EINVAL, "stdin: no data");
	client_stdin_request(&sr, id, data, len, eof);
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN,
	    &sr, RUNNEL__V1__SERVER_MESSAGE__REPLY_STDIN, &reply, NULL,
	    NULL)) != 0)
		return r;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return 0;
}

/* Submit a copy of a finished task. */
int
runnel_restart(struct runnel_client *c, uint64_t id, uint64_t *new_id)
{
	Runnel__V1__RestartRequest	 rr = RUNNEL__V1__RESTART_REQUEST__INIT;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	rr.task_id = id;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART,
	    &rr, RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT, &reply, NULL,
	    NULL)) != 0)
		return r;
	if (new_id != NULL)
		*new_id = reply->submit->task_id;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return 0;
}

/* Free queues returned by runnel_queue(). */
void
runnel_queues_free(struct runnel_queue *queues, size_t n)
{
	size_t	i;

	if (queues == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(queues[i].name);
		free(queues[i].state);
	}
	free(queues);
}

/* Copy the queues of a QueueReply. */
static int
client_queues(struct runnel_client *c, const Runnel__V1__QueueReply *qr,
    struct runnel_queue **out, size_t *nout)
{
	static const char *const states[] = {
		[RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE] = "active",
		[RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED] = "paused",
		[RUNNEL__V1__QUEUE_STATE__QUEUE_DRAINING] = "draining",
	};
	const Runnel__V1__Queue	*q;
	struct runnel_queue	*queues;
	const char		*state;
	size_t			 i;

	if ((queues = calloc(qr->n_queues + 1, sizeof *queues)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	for (i = 0; i < qr->n_queues; i++) {
		q = qr->queues[i];
		state = "unknown";
		if ((unsigned)q->state < sizeof states / sizeof states[0] &&
		    states[q->state] != NULL)
			state = states[q->state];
		queues[i].max_running = q->max_running;
		queues[i].timeout_ms = q->timeout_ms;
		queues[i].running = q->running;
		queues[i].queued = q->queued;
		if ((queues[i].name = strdup(q->name)) == NULL ||
		    (queues[i].state = strdup(state)) == NULL) {
			runnel_queues_free(queues, i + 1);
			return client_fail(c, RUNNEL_ENOMEM, "out of memory");
		}
	}
	*out = queues;
	*nout = qr->n_queues;
	return 0;
}

/* Carry out a queue operation; every queue afterwards in *queues. */
int
runnel_queue(struct runnel_client *c, enum runnel_queue_op op,
    const char *name, const struct runnel_queue_set *set,
    struct runnel_queue **queues, size_t *n)
{
	Runnel__V1__QueueRequest	 qr;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	/* The INIT macros of string fields cast away const: clang warns. */
	runnel__v1__queue_request__init(&qr);
	if (queues != NULL)
		*queues = NULL;
	if (n != NULL)
		*n = 0;
	if ((unsigned)op > RUNNEL_QUEUE_DRAIN)
		return (client_fail(c, RUNNEL_EINVAL, "queue: bad operation %d",
		    (int)op));
	if (op != RUNNEL_QUEUE_LIST && (name == NULL || *name == '\0'))
		return client_fail(c, RUNNEL_EINVAL, "queue: no name");
	qr.op = (Runnel__V1__QueueOp)op;
	if (name != NULL)
		qr.name = CLIENT_UNCONST(name);
	if (set != NULL) {
		qr.max_running = set->max_running;
		qr.timeout_ms = set->timeout_ms;
		qr.set_max_running = set->set_max_running != 0;
		qr.set_timeout = set->set_timeout != 0;
	}
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE,
	    &qr, RUNNEL__V1__SERVER_MESSAGE__REPLY_QUEUE, &reply, NULL,
	    NULL)) != 0)
		return r;
	if (queues != NULL && n != NULL)
		r = client_queues(c, reply->queue, queues, n);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}

/* Fill the resume list and stream filter of a watch request. */
int
client_watch_extra(struct runnel_client *c, const struct runnel_watch_opts *w,
    Runnel__V1__WatchRequest *wr)
{
	Runnel__V1__TaskOffset	 *offs = NULL;
	size_t			  i, n = 0;
	int			  s;

	wr->resume = NULL;
	wr->n_resume = 0;
	wr->streams = NULL;
	wr->n_streams = 0;
	if (w->resume == NULL && w->nresume != 0)
		return client_fail(c, RUNNEL_EINVAL, "watch: no resume list");
	if (w->streams & ~(RUNNEL_STREAM_BIT(RUNNEL_STDOUT) |
	    RUNNEL_STREAM_BIT(RUNNEL_STDERR) | RUNNEL_STREAM_BIT(RUNNEL_SYSTEM)))
		return (client_fail(c, RUNNEL_EINVAL, "watch: bad streams %#x",
		    (unsigned)w->streams));
	if (w->nresume != 0) {
		if ((offs = calloc(w->nresume, sizeof *offs)) == NULL ||
		    (wr->resume = calloc(w->nresume,
		    sizeof *wr->resume)) == NULL)
			goto nomem;
		for (i = 0; i < w->nresume; i++) {
			runnel__v1__task_offset__init(&offs[i]);
			offs[i].task_id = w->resume[i].task_id;
			offs[i].offset = w->resume[i].offset;
			wr->resume[i] = &offs[i];
		}
		wr->n_resume = w->nresume;
	}
	if (w->streams != 0) {
		if ((wr->streams = calloc(3, sizeof *wr->streams)) == NULL)
			goto nomem;
		for (s = RUNNEL_STDOUT; s <= RUNNEL_SYSTEM; s++) {
			if (w->streams & RUNNEL_STREAM_BIT(s))
				wr->streams[n++] = (Runnel__V1__Stream)s;
		}
		wr->n_streams = n;
	}
	return 0;

nomem:
	if (wr->n_resume == 0) {
		/* The resume list was not made: its parts are here. */
		free(offs);
		free(wr->resume);
		wr->resume = NULL;
	}
	client_watch_extra_free(wr);
	return client_fail(c, RUNNEL_ENOMEM, "out of memory");
}

/* Free what client_watch_extra() allocated. */
void
client_watch_extra_free(Runnel__V1__WatchRequest *wr)
{
	if (wr->n_resume != 0)
		free(wr->resume[0]);
	free(wr->resume);
	free(wr->streams);
	wr->resume = NULL;
	wr->n_resume = 0;
	wr->streams = NULL;
	wr->n_streams = 0;
}

/* Remove finished tasks; how many were removed. */
int
runnel_clean(struct runnel_client *c, const struct runnel_selector *s,
    uint64_t older_than_ms, uint64_t **ids, size_t *n)
{
	Runnel__V1__CleanRequest	 cr = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__CleanReply		*rep;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (ids != NULL)
		*ids = NULL;
	if (n != NULL)
		*n = 0;
	if ((r = client_selector(c, s, &cr.select)) != 0)
		return r;
	cr.older_than_ms = older_than_ms;
	r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN, &cr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_CLEAN, &reply, NULL, NULL);
	client_selector_free(cr.select);
	if (r != 0)
		return r;
	rep = reply->clean;
	if (ids != NULL && rep->n_task_ids != 0) {
		if ((*ids = calloc(rep->n_task_ids, sizeof **ids)) == NULL) {
			runnel__v1__server_message__free_unpacked(reply, NULL);
			return client_fail(c, RUNNEL_ENOMEM, "out of memory");
		}
		memcpy(*ids, rep->task_ids, rep->n_task_ids * sizeof **ids);
	}
	if (n != NULL)
		*n = rep->n_task_ids;
	r = rep->n_task_ids > INT32_MAX ? INT32_MAX : (int)rep->n_task_ids;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}
