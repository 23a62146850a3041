/*
 * client-calls.c - librunnel's requests for tasks: submit, run, watch,
 * cancel, wait, list, show and status, each once for both APIs.  A request
 * is an entry of the client's table with a handler for its messages; the
 * asynchronous call gives the result to the caller's callback, the
 * blocking one to a struct client_call it waits on in client_run().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* The common start of a handler: the error that ends the request, or 0 if
 * the message is the reply of the kind expected. */
static int
client_reply_check(struct runnel_client *c, server_msg **mp, int error,
    int kind)
{
	if (mp == NULL)
		return error;
	if ((*mp)->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR)
		return client_error(c, (*mp)->error);
	if ((int)(*mp)->reply_case != kind)
		return (client_fail(c, RUNNEL_EPROTO,
		    "unexpected reply %d to request", (int)(*mp)->reply_case));
	return 0;
}

/* The end of a watch (or run): to the blocking call or on_done. */
static int
client_watch_end(struct runnel_client *c, struct client_req *req, int r)
{
	if (req->pump_fd != -1)
		client_pump_stop(c);
	if (req->call != NULL) {
		req->call->done = 1;
		req->call->r = r;
	} else if (req->on_done != NULL)
		req->on_done(req->arg, r);
	return 1;
}

/* A run's first message: the submit's answer; the watch follows. */
static int
client_run_submitted(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	uint64_t	task;
	int		r;

	if ((r = client_reply_check(c, mp, error,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT)) != 0)
		return client_watch_end(c, req, r);
	task = (*mp)->submit->task_id;
	req->submitted = 1;
	if (req->call != NULL && req->call->idp != NULL)
		*req->call->idp = task;
	if (req->pump_fd != -1)
		client_pump_start(c, req->pump_fd, task);
	if (req->cb.submit != NULL)
		req->cb.submit(req->arg, 0, task);
	return 0;
}

/* A watch's messages: chunks and task events to the callbacks, until its
 * end, an error, or a callback that says stop. */
static int
client_watch_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	Runnel__V1__OutputChunk	*o;
	struct runnel_task	 t;
	server_msg		*m;
	int			 r = 0;

	if (mp == NULL)
		return client_watch_end(c, req, error);
	if (!req->submitted)
		return client_run_submitted(c, req, mp, error);
	m = *mp;
	switch (m->reply_case) {
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT:
		o = m->output;
		if (req->on_output != NULL)
			r = req->on_output(req->arg, o->task_id,
			    (enum runnel_stream)o->stream, o->offset,
			    o->data.data, o->data.len, o->time_us);
		break;
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK:
		if (req->on_end == NULL ||
		    (r = client_task(c, &t, m->task->task)) != 0)
			break;
		r = req->on_end(req->arg, &t);
		runnel_task_clear(&t);
		break;
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END:
		return client_watch_end(c, req, 0);
	case RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR:
		return client_watch_end(c, req, client_error(c, m->error));
	default:
		r = client_fail(c, RUNNEL_EPROTO,
		    "unexpected message %d in a watch", (int)m->reply_case);
		break;
	}
	if (r != 0)
		return client_watch_end(c, req, r);
	return 0;
}

/* Queue a watch request (submitted: a plain watch; else a run) with the
 * callbacks of w. */
static int
client_watch_new(struct runnel_client *c, const struct runnel_watch_opts *w,
    struct client_call *call, int submitted, struct client_req **out)
{
	struct client_req	*req;
	int			 r;

	if ((r = client_req_new(c, client_watch_msg, call, &req)) != 0)
		return r;
	req->submitted = submitted;
	req->pump_fd = -1;
	req->on_output = w->on_output;
	req->on_end = w->on_end;
	req->arg = w->arg;
	*out = req;
	return 0;
}

/* Submit spec with watch options (run), or without (submit). */
static int
client_submit_send(struct runnel_client *c, struct client_req *req,
    const struct runnel_spec *spec, int watch)
{
	Runnel__V1__SubmitRequest sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	struct client_spec	 cs;
	int			 r;

	if ((r = client_spec_build(c, spec, &cs)) != 0) {
		client_req_free(c, req);
		return r;
	}
	sr.spec = &cs.ts;
	sr.watch = watch;
	r = client_req_send(c, req, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT,
	    &sr);
	client_spec_free(&cs);
	return r;
}

/* A submit's answer to the caller's callback. */
static int
client_submit_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	int	r;

	r = client_reply_check(c, mp, error,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT);
	if (req->cb.submit != NULL)
		req->cb.submit(req->arg, r, r == 0 ? (*mp)->submit->task_id : 0);
	return 1;
}

/* Submit a task. */
int
runnel_submit(struct runnel_client *c, const struct runnel_spec *spec,
    uint64_t *id)
{
	Runnel__V1__SubmitRequest sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	struct client_spec	 cs;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if ((r = client_spec_build(c, spec, &cs)) != 0)
		return r;
	sr.spec = &cs.ts;
	r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT, &sr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT, &reply, NULL, NULL);
	client_spec_free(&cs);
	if (r != 0)
		return r;
	if (id != NULL)
		*id = reply->submit->task_id;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return 0;
}

/* Submit a task; its id to on_submit. */
int
runnel_submit_async(struct runnel_client *c, const struct runnel_spec *spec,
    runnel_submit_cb on_submit, void *arg)
{
	struct client_req	*req;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if ((r = client_req_new(c, client_submit_msg, NULL, &req)) != 0)
		return r;
	req->cb.submit = on_submit;
	req->arg = arg;
	return client_submit_send(c, req, spec, 0);
}

/* Submit a task and watch it on the same request; w may be NULL. */
int
runnel_run(struct runnel_client *c, const struct runnel_spec *spec,
    uint64_t *id, const struct runnel_watch_opts *w)
{
	static const struct runnel_watch_opts	none;
	struct client_call			call = { 0 };
	struct client_req			*req;
	int					r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (w == NULL)
		w = &none;
	if (w->send_stdin && (spec == NULL || !spec->stdin_stream ||
	    w->stdin_fd < 0))
		return (client_fail(c, RUNNEL_EINVAL, "run: send_stdin needs "
		    "a spec with stdin_stream and a stdin_fd"));
	call.idp = id;
	if ((r = client_watch_new(c, w, &call, 0, &req)) != 0)
		return r;
	if (w->send_stdin)
		req->pump_fd = w->stdin_fd;
	if ((r = client_submit_send(c, req, spec, 1)) != 0)
		return r;
	if ((r = client_run(c, &call, w)) != 0 && !call.done) {
		/* Stopped in a wait: the rest of the watch is skipped. */
		client_pump_stop(c);
		client_req_free(c, req);
	}
	return r;
}

/* Submit a task and watch it, through callbacks. */
int
runnel_run_async(struct runnel_client *c, const struct runnel_spec *spec,
    const struct runnel_watch_opts *w, runnel_submit_cb on_submit,
    runnel_done_cb on_done)
{
	static const struct runnel_watch_opts	none;
	struct client_req			*req;
	int					r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if ((r = client_watch_new(c, w == NULL ? &none : w, NULL, 0,
	    &req)) != 0)
		return r;
	req->cb.submit = on_submit;
	req->on_done = on_done;
	return client_submit_send(c, req, spec, 1);
}

/* Build the WatchRequest of watch options. */
static int
client_watch_request(struct runnel_client *c,
    const struct runnel_watch_opts *w, Runnel__V1__WatchRequest *wr)
{
	int	r;

	runnel__v1__watch_request__init(wr);
	if (w == NULL || (w->ids == NULL && w->nids != 0))
		return client_fail(c, RUNNEL_EINVAL, "watch: no task ids");
	if ((r = client_selector(c, w->select, &wr->select)) != 0)
		return r;
	wr->task_ids = CLIENT_UNCONST(w->ids);
	wr->n_task_ids = w->nids;
	wr->from_offset = w->from_offset;
	wr->tail = w->tail != 0;
	wr->follow = w->follow != 0;
	wr->tail_lines = w->tail_lines;
	if ((r = client_watch_extra(c, w, wr)) != 0) {
		client_selector_free(wr->select);
		wr->select = NULL;
	}
	return r;
}

/* Queue a watch with w's callbacks; call: a blocking one's. */
static int
client_watch_start(struct runnel_client *c, const struct runnel_watch_opts *w,
    struct client_call *call, runnel_done_cb on_done)
{
	Runnel__V1__WatchRequest	 wr;
	struct client_req		*req;
	int				 r;

	if ((r = client_watch_request(c, w, &wr)) != 0)
		return r;
	if ((r = client_watch_new(c, w, call, 1, &req)) == 0) {
		req->on_done = on_done;
		r = client_req_send(c, req,
		    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH, &wr);
	}
	client_watch_extra_free(&wr);
	client_selector_free(wr.select);
	return r;
}

/* Stream the output of tasks until all have ended. */
int
runnel_watch(struct runnel_client *c, const struct runnel_watch_opts *w)
{
	struct client_call	call = { 0 };
	struct client_req	*req;
	int			r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if ((r = client_watch_start(c, w, &call, NULL)) != 0)
		return r;
	if ((r = client_run(c, &call, w)) != 0 && !call.done) {
		/* Stopped in a wait: the rest of the watch is skipped. */
		for (req = c->reqs; req != NULL; req = req->next) {
			if (req->call == &call) {
				client_req_free(c, req);
				break;
			}
		}
	}
	return r;
}

/* Stream the output of tasks to callbacks until all have ended. */
int
runnel_watch_async(struct runnel_client *c, const struct runnel_watch_opts *w,
    runnel_done_cb on_done)
{
	if (c == NULL)
		return RUNNEL_EINVAL;
	return client_watch_start(c, w, NULL, on_done);
}

/* Send a CancelRequest for ids and, if given, a selector; the entry of the
 * table req (freed on failure). */
static int
client_cancel_send(struct runnel_client *c, const uint64_t *ids, size_t n,
    const struct runnel_selector *sel, int signal, unsigned grace_ms,
    struct client_req *req)
{
	Runnel__V1__CancelRequest	cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	int				r;

	if ((ids == NULL && n != 0) || (n == 0 && sel == NULL))
		r = client_fail(c, RUNNEL_EINVAL, "cancel: no task ids");
	else if (signal < 0)
		r = client_fail(c, RUNNEL_EINVAL, "cancel: bad signal %d",
		    signal);
	else
		r = client_selector(c, sel, &cr.select);
	if (r != 0) {
		client_req_free(c, req);
		return r;
	}
	cr.task_ids = CLIENT_UNCONST(ids);
	cr.n_task_ids = n;
	cr.signal = signal;
	cr.grace_ms = grace_ms;
	r = client_req_send(c, req, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL,
	    &cr);
	client_selector_free(cr.select);
	return r;
}

/* A cancel's answer: how many tasks it reached, to the callback (if any:
 * runnel_cancel_nowait's errors only land in runnel_last_error). */
static int
client_cancel_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	int	r;

	if ((r = client_reply_check(c, mp, error,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL)) == 0)
		r = (int)(*mp)->cancel->n_task_ids;
	if (req->call != NULL) {
		req->call->done = 1;
		req->call->r = r;
	} else if (req->cb.done != NULL)
		req->cb.done(req->arg, r);
	return 1;
}

/* Cancel tasks: a blocking call (call), or one with a callback. */
static int
client_cancel(struct runnel_client *c, const uint64_t *ids, size_t n,
    const struct runnel_selector *sel, int signal, unsigned grace_ms,
    struct client_call *call, runnel_done_cb on_done, void *arg)
{
	struct client_req	*req;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if ((r = client_req_new(c, client_cancel_msg, call, &req)) != 0)
		return r;
	req->cb.done = on_done;
	req->arg = arg;
	if ((r = client_cancel_send(c, ids, n, sel, signal, grace_ms,
	    req)) != 0 || call == NULL)
		return r;
	return client_run(c, call, NULL);
}

/* Cancel tasks; returns how many the cancel reached. */
int
runnel_cancel(struct runnel_client *c, const uint64_t *ids, size_t n,
    int signal, unsigned grace_ms)
{
	struct client_call	call = { 0 };

	return (client_cancel(c, ids, n, NULL, signal, grace_ms, &call, NULL,
	    NULL));
}

/* Cancel the tasks a selector names; returns how many it reached. */
int
runnel_cancel_select(struct runnel_client *c,
    const struct runnel_selector *sel, int signal, unsigned grace_ms)
{
	struct client_call	call = { 0 };

	if (c != NULL && sel == NULL)
		return client_fail(c, RUNNEL_EINVAL, "cancel: no selector");
	return (client_cancel(c, NULL, 0, sel, signal, grace_ms, &call, NULL,
	    NULL));
}

/* Send a cancel without waiting: an Error for it lands in last_error. */
int
runnel_cancel_nowait(struct runnel_client *c, const uint64_t *ids, size_t n,
    int signal, unsigned grace_ms)
{
	return (client_cancel(c, ids, n, NULL, signal, grace_ms, NULL, NULL,
	    NULL));
}

/* Cancel tasks; how many it reached to on_done. */
int
runnel_cancel_async(struct runnel_client *c, const uint64_t *ids, size_t n,
    int signal, unsigned grace_ms, runnel_done_cb on_done, void *arg)
{
	return (client_cancel(c, ids, n, NULL, signal, grace_ms, NULL,
	    on_done, arg));
}

/* List the tasks the daemon lets us see. */
int
runnel_list(struct runnel_client *c, struct runnel_task **tasks, size_t *n)
{
	return runnel_list_select(c, NULL, tasks, n);
}

/* Describe one task. */
int
runnel_show(struct runnel_client *c, uint64_t id, struct runnel_task *task)
{
	Runnel__V1__ShowRequest	 sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (task == NULL)
		return client_fail(c, RUNNEL_EINVAL, "show: no result");
	memset(task, 0, sizeof *task);
	sr.task_id = id;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW, &sr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK, &reply, NULL, NULL)) != 0)
		return r;
	r = client_task(c, task, reply->task->task);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}

/* Describe the tasks of a WaitReply in the order of ids (the daemon
 * answers in id order, each task once). */
static int
client_wait_order(struct runnel_client *c, struct runnel_task **tasks,
    const uint64_t *ids, size_t n, const Runnel__V1__WaitReply *wr)
{
	Runnel__V1__TaskInfo	**order;
	size_t			  i, j;
	int			  r;

	if ((order = calloc(n, sizeof *order)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		for (j = 0; j < wr->n_tasks; j++) {
			if (wr->tasks[j]->id == ids[i])
				break;
		}
		if (j == wr->n_tasks) {
			free(order);
			return (client_fail(c, RUNNEL_EPROTO, "wait: task %llu "
			    "missing from the reply",
			    (unsigned long long)ids[i]));
		}
		order[i] = wr->tasks[j];
	}
	r = client_tasks(c, tasks, order, n);
	free(order);
	return r;
}

/* A wait's answer: the tasks, in the order asked, to the blocking call
 * (call->r, and the tasks through call->m's owner) or the callback. */
static int
client_wait_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	struct runnel_task	*tasks = NULL;
	int			 r;

	if ((r = client_reply_check(c, mp, error,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT)) == 0)
		r = client_wait_order(c, &tasks, req->ids, req->nids,
		    (*mp)->wait);
	if (req->cb.tasks != NULL)
		req->cb.tasks(req->arg, r, r == 0 ? tasks : NULL,
		    r == 0 ? req->nids : 0);
	if (r == 0)
		runnel_tasks_free(tasks, req->nids);
	return 1;
}

/* Send a wait for ids, its answer to req. */
static int
client_wait_send(struct runnel_client *c, struct client_req *req,
    const uint64_t *ids, size_t n)
{
	Runnel__V1__WaitRequest	 wr = RUNNEL__V1__WAIT_REQUEST__INIT;

	if ((req->ids = calloc(n, sizeof *req->ids)) == NULL) {
		client_req_free(c, req);
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	}
	memcpy(req->ids, ids, n * sizeof *ids);
	req->nids = n;
	wr.task_ids = CLIENT_UNCONST(ids);
	wr.n_task_ids = n;
	return (client_req_send(c, req, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT,
	    &wr));
}

/* Wait until the tasks have ended and describe them, in request order. */
int
runnel_wait(struct runnel_client *c, const uint64_t *ids, size_t n,
    struct runnel_task **tasks)
{
	Runnel__V1__WaitRequest	 wr = RUNNEL__V1__WAIT_REQUEST__INIT;
	server_msg		*reply;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (tasks == NULL || ids == NULL || n == 0)
		return client_fail(c, RUNNEL_EINVAL, "wait: no task ids");
	*tasks = NULL;
	wr.task_ids = CLIENT_UNCONST(ids);
	wr.n_task_ids = n;
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT, &wr,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_WAIT, &reply, NULL, NULL)) != 0)
		return r;
	r = client_wait_order(c, tasks, ids, n, reply->wait);
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return r;
}

/* Wait until the tasks have ended; them, described, to on_tasks. */
int
runnel_wait_async(struct runnel_client *c, const uint64_t *ids, size_t n,
    runnel_tasks_cb on_tasks, void *arg)
{
	struct client_req	*req;
	int			 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (ids == NULL || n == 0)
		return client_fail(c, RUNNEL_EINVAL, "wait: no task ids");
	if ((r = client_req_new(c, client_wait_msg, NULL, &req)) != 0)
		return r;
	req->cb.tasks = on_tasks;
	req->arg = arg;
	return client_wait_send(c, req, ids, n);
}

/* Ask the daemon how it is doing. */
int
runnel_status(struct runnel_client *c, struct runnel_status *st)
{
	Runnel__V1__StatusRequest	 sr = RUNNEL__V1__STATUS_REQUEST__INIT;
	Runnel__V1__StatusReply		*s;
	server_msg			*reply;
	int				 r;

	if (c == NULL)
		return RUNNEL_EINVAL;
	if (st == NULL)
		return client_fail(c, RUNNEL_EINVAL, "status: no result");
	memset(st, 0, sizeof *st);
	if ((r = client_call(c, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS,
	    &sr, RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS, &reply, NULL,
	    NULL)) != 0)
		return r;
	s = reply->status;
	snprintf(st->version, sizeof st->version, "%s", s->version);
	st->uptime_ms = s->uptime_ms;
	st->connections = s->connections;
	st->tasks_queued = s->tasks_queued;
	st->tasks_running = s->tasks_running;
	st->tasks_finished = s->tasks_finished;
	st->max_running = s->max_running;
	st->pid = s->pid;
	st->loop_lag_us = s->loop_lag_us;
	st->loop_lag_max_us = s->loop_lag_max_us;
	st->loop_lag_p99_us = s->loop_lag_p99_us;
	runnel__v1__server_message__free_unpacked(reply, NULL);
	return 0;
}
