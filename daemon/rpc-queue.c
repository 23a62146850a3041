/*
 * rpc-queue.c - Queue: list, add, set, pause, resume and drain named
 * queues.  Listing needs the viewer role, changing a queue admin.
 */
#include <stdlib.h>

#include "log.h"
#include "runneld.h"

/* Answer with every queue. */
static void
rpc_queue_reply(struct session *s, uint64_t req_id)
{
	Runnel__V1__ServerMessage	  reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__QueueReply		  qr = RUNNEL__V1__QUEUE_REPLY__INIT;
	Runnel__V1__Queue		 *infos, **ptrs;
	struct queue			 *q;
	size_t				  n = 0, i;

	TAILQ_FOREACH(q, &server.queues, entry)
		n++;
	infos = xcalloc(n, sizeof *infos);
	ptrs = xcalloc(n, sizeof *ptrs);
	i = 0;
	TAILQ_FOREACH(q, &server.queues, entry) {
		queue_info_fill(q, &infos[i]);
		ptrs[i] = &infos[i];
		i++;
	}
	qr.queues = ptrs;
	qr.n_queues = n;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_QUEUE;
	reply.queue = &qr;
	session_send(s, &reply);
	free(ptrs);
	free(infos);
}

/* Carry out one queue operation. */
static void
rpc_queue(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	const Runnel__V1__QueueRequest	*qr = msg->queue;
	struct queue			*q = NULL;

	if (qr->op == RUNNEL__V1__QUEUE_OP__QUEUE_LIST) {
		rpc_queue_reply(s, req_id);
		return;
	}
	if (s->role < ROLE_ADMIN) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED,
		    "changing queues needs role admin; %s is %s", s->identity,
		    access_role_name(s->role));
		return;
	}
	if (qr->op == RUNNEL__V1__QUEUE_OP__QUEUE_ADD) {
		if (!queue_name_ok(qr->name)) {
			session_send_error(s, req_id,
			    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
			    "bad queue name '%s' (1-64 of A-Z a-z 0-9 . _ -)",
			    qr->name);
			return;
		}
		if (queue_find(qr->name) != NULL) {
			session_send_error(s, req_id,
			    RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION,
			    "queue '%s' already exists", qr->name);
			return;
		}
		journal_queue(queue_add(qr->name, qr->max_running,
		    qr->timeout_ms));
		log_info("queue %s: added by %s", qr->name, s->identity);
		rpc_queue_reply(s, req_id);
		return;
	}
	if ((q = queue_find(qr->name)) == NULL) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND,
		    "queue '%s' does not exist", qr->name);
		return;
	}
	switch (qr->op) {
	case RUNNEL__V1__QUEUE_OP__QUEUE_SET:
		if (qr->set_max_running)
			q->max_running = qr->max_running;
		if (qr->set_timeout)
			q->timeout_ms = qr->timeout_ms;
		log_info("queue %s: max_running %u, timeout %llu ms, set by %s",
		    q->name, q->max_running,
		    (unsigned long long)q->timeout_ms, s->identity);
		sched_request();
		break;
	case RUNNEL__V1__QUEUE_OP__QUEUE_PAUSE:
		queue_set_state(q, RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED);
		break;
	case RUNNEL__V1__QUEUE_OP__QUEUE_RESUME:
		queue_set_state(q, RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE);
		break;
	case RUNNEL__V1__QUEUE_OP__QUEUE_DRAIN:
		queue_set_state(q, RUNNEL__V1__QUEUE_STATE__QUEUE_DRAINING);
		break;
	default:
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "unknown queue operation %d", (int)qr->op);
		return;
	}
	journal_queue(q);
	rpc_queue_reply(s, req_id);
}

const struct rpc_entry rpc_queue_entry = {
	.name = "queue",
	.min_role = ROLE_VIEWER,
	.handler = rpc_queue,
};
