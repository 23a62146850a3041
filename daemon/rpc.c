/*
 * rpc.c - request dispatch: one handler per request type, in a table keyed
 * by the request's oneof case, each with the least role it needs.  Role and
 * ownership are checked before anything is validated or executed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "runneld.h"

static const struct rpc_entry *rpc_table[] = {
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO] = &rpc_hello_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT] = &rpc_submit_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH] = &rpc_watch_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL] = &rpc_cancel_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST] = &rpc_list_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW] = &rpc_show_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT] = &rpc_wait_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS] = &rpc_status_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE] = &rpc_queue_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART] = &rpc_restart_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN] = &rpc_stdin_entry,
	[RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN] = &rpc_clean_entry,
};

/* Does the request stay open after its first answer (a watch, a wait)? */
static int
rpc_holds(const Runnel__V1__ClientMessage *msg)
{
	switch (msg->request_case) {
	case RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH:
	case RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT:
		return 1;
	case RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT:
		return msg->submit->watch;
	default:
		return 0;
	}
}

/* A wire_walk callback: stop at a `string` value that is not UTF-8, its
 * path copied to arg. */
static int
rpc_utf8_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	const char	*str;

	(void)md;
	if (f->type != PROTOBUF_C_TYPE_STRING)
		return 0;
	str = *(char **)value;
	if (str == NULL || utf8_valid(str, strlen(str)))
		return 0;
	snprintf(arg, WIRE_PATH_MAX, "%s", path);
	return 1;
}

/* Is every `string` field of the request UTF-8, as proto3 requires?  If
 * not, refuse it naming the field (a bad Hello closes the session, as
 * every refused Hello does) and return -1. */
static int
rpc_check_utf8(struct session *s, const Runnel__V1__ClientMessage *msg)
{
	char	path[WIRE_PATH_MAX];

	if (wire_walk((ProtobufCMessage *)(uintptr_t)&msg->base, rpc_utf8_cb,
	    path) == 0)
		return 0;
	if (msg->request_case == RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO)
		session_close_with_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "%s: not valid UTF-8", path);
	else
		session_send_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT,
		    "%s: not valid UTF-8", path);
	return -1;
}

/* Hand a request to its handler after the protocol and role checks. */
void
rpc_dispatch(struct session *s, const Runnel__V1__ClientMessage *msg)
{
	const struct rpc_entry	*e = NULL;
	size_t			 n = sizeof rpc_table / sizeof *rpc_table;
	char			*cause;

	if ((size_t)msg->request_case < n)
		e = rpc_table[msg->request_case];
	if (e == NULL) {
		session_close_with_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_UNSUPPORTED,
		    "unknown request type %d", (int)msg->request_case);
		return;
	}
	if (!s->hello_done && e != &rpc_hello_entry) {
		session_close_with_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_UNAUTHENTICATED,
		    "%s before hello", e->name);
		return;
	}
	if (s->hello_done && e == &rpc_hello_entry) {
		session_close_with_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PROTOCOL, "second hello");
		return;
	}
	if (s->role < e->min_role) {
		log_info("conn %llu: %s (%s) may not %s",
		    (unsigned long long)s->id, s->identity,
		    access_role_name(s->role), e->name);
		session_send_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED,
		    "%s needs role %s; %s is %s", e->name,
		    access_role_name(e->min_role), s->identity,
		    access_role_name(s->role));
		return;
	}
	if (rpc_check_utf8(s, msg) != 0)
		return;
	/* Every number within its documented range (range.c). */
	if (range_check(&msg->base, &cause) != 0) {
		session_send_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT, "%s",
		    cause);
		free(cause);
		return;
	}
	if (rpc_holds(msg) && session_inflight(s) >=
	    (int)server.conf->max_inflight) {
		session_send_error(s, msg->id,
		    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
		    "%u requests in flight on this connection (max_inflight)",
		    server.conf->max_inflight);
		return;
	}
	e->handler(s, msg->id, msg);
	if (s->hello_done)
		session_authenticated(s);
}

/* Find a task the session may see (or control); answer with an error and
 * return NULL if it cannot. */
struct task *
rpc_find_task(struct session *s, uint64_t req_id, uint64_t id, int control)
{
	struct task	*t;

	t = task_find(id);
	if (t == NULL || !select_may_see(s, t)) {
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND,
		    "task %llu: not found", (unsigned long long)id);
		return NULL;
	}
	if (control && !select_may_control(s, t)) {
		log_info("conn %llu: %s may not control task %llu of %s",
		    (unsigned long long)s->id, s->identity,
		    (unsigned long long)id, t->owner);
		session_send_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_PERMISSION_DENIED,
		    "task %llu belongs to %s; %s (%s) may not control it",
		    (unsigned long long)id, t->owner, s->identity,
		    access_role_name(s->role));
		return NULL;
	}
	return t;
}

/* Order tasks by id, for qsort. */
static int
rpc_select_cmp(const void *a, const void *b)
{
	const struct task	*ta = *(struct task *const *)a;
	const struct task	*tb = *(struct task *const *)b;

	return ta->id < tb->id ? -1 : ta->id > tb->id;
}

/* Resolve ids and a selector into the tasks they name, in id order. */
int
rpc_select(struct session *s, uint64_t req_id, const uint64_t *ids,
    size_t nids, const Runnel__V1__Selector *sel, int control,
    struct task ***tasks, size_t *n)
{
	struct task	*t, **list;
	size_t		 i, k, nlist = 0, nsel = sel != NULL ? sel->n_ids : 0;
	int		 by_match;

	*tasks = NULL;
	*n = 0;
	by_match = sel != NULL && (sel->all || sel->n_labels > 0 ||
	    sel->queue[0] != '\0');
	list = xcalloc(nids + nsel + (by_match ? server.ntasks : 0),
	    sizeof *list);
	for (i = 0; i < nids + nsel; i++) {
		if ((t = rpc_find_task(s, req_id, i < nids ? ids[i] :
		    sel->ids[i - nids], control)) == NULL) {
			free(list);
			return -1;
		}
		list[nlist++] = t;
	}
	if (by_match) {
		TASK_FOREACH(t, i) {
			if (select_may_see(s, t) &&
			    (!control || select_may_control(s, t)) &&
			    select_match(t, sel))
				list[nlist++] = t;
		}
	}
	/* Named ones may repeat, or be matched too: one of each. */
	if (nids + nsel > 0) {
		qsort(list, nlist, sizeof *list, rpc_select_cmp);
		for (i = 0, k = 0; i < nlist; i++)
			if (k == 0 || list[k - 1] != list[i])
				list[k++] = list[i];
		nlist = k;
	}
	*tasks = list;
	*n = nlist;
	return 0;
}
