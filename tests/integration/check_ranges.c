/*
 * check_ranges.c - every numeric field of every request, at its extremes,
 * against a real daemon: 0, 1, the type's maximum, the signed maximum (and
 * minimum), NaN and the infinities for doubles.  The fields come from the
 * descriptors, not a hand list: a valid request of each kind with every
 * repeated field and sub-message filled is walked (wire.c), and each
 * number in it takes each value in turn.  The reply must be the
 * documented one (range.c's row: INVALID_ARGUMENT naming the field and
 * the range, or the request's usual answer), and the daemon must still
 * answer a Status.  Then the regressions the ranges were made for.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "jrec.h"
#include "rawc.h"
#include "runneld.h"

#define OK		(-1)		/* any reply that is not an Error */
#define MAX_VALUES	64
#define MAX_FIELDS	128

/* The fields the sweeps tried, as "runnel.v1.TaskSpec.retries". */
static char		tried_fields[MAX_FIELDS][128];
static size_t		ntried_fields;

/* Note that a field was tried. */
static void
tried_add(const char *message, const char *field)
{
	char	name[128];
	size_t	i;

	snprintf(name, sizeof name, "%s.%s", message, field);
	for (i = 0; i < ntried_fields; i++)
		if (strcmp(tried_fields[i], name) == 0)
			return;
	ck_assert_uint_lt(ntried_fields, MAX_FIELDS);
	snprintf(tried_fields[ntried_fields++], sizeof *tried_fields, "%s",
	    name);
}

/* Was every numeric field of md and of the messages below it tried? */
static void
tried_all(const ProtobufCMessageDescriptor *md)
{
	const ProtobufCFieldDescriptor	*f;
	char				 name[128];
	size_t				 i, j;

	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			tried_all(f->descriptor);
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_BOOL ||
		    f->type == PROTOBUF_C_TYPE_STRING ||
		    f->type == PROTOBUF_C_TYPE_BYTES)
			continue;
		snprintf(name, sizeof name, "%s.%s", md->name, f->name);
		for (j = 0; j < ntried_fields; j++)
			if (strcmp(tried_fields[j], name) == 0)
				break;
		ck_assert_msg(j < ntried_fields, "%s was not tried: fill it "
		    "in the request the sweep starts from", name);
	}
}

static struct harness	h;
static struct rawc	rc;
static char		hold[] = "hold", spare[] = "spare", none[] = "none",
			nofile[] = "nofile";
static uint64_t		done_id;	/* a finished task (`true`) */
static uint64_t		held_id;	/* a task queued in a paused queue */
static uint64_t		stream_id;	/* the same, with streamed stdin */

/* Send m with its own id and read to its last reply: a watch's Error or
 * WatchEnd, the one answer of any other request. */
static Runnel__V1__ServerMessage *
call(Runnel__V1__ClientMessage *m)
{
	Runnel__V1__ServerMessage	*r;
	uint8_t				*f;
	size_t				 len;
	ssize_t				 n;

	f = frame_pack_client(m, &len);
	ck_assert_ptr_nonnull(f);
	n = write(rc.fd, f, len);
	ck_assert_int_eq(n, (ssize_t)len);
	free(f);
	for (;;) {
		r = rawc_recv(&rc);
		ck_assert_msg(r != NULL, "daemon closed the connection");
		if (r->id == m->id && (m->request_case !=
		    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH ||
		    r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR ||
		    r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END))
			return r;
		ck_assert_msg(r->id == m->id, "reply to %llu while waiting "
		    "for %llu", (unsigned long long)r->id,
		    (unsigned long long)m->id);
		rawc_free(r);
	}
}

/* The daemon still serves. */
static void
assert_serves(void)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__StatusRequest	 st = RUNNEL__V1__STATUS_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	m.id = ++rc.next_id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS;
	m.status = &st;
	r = call(&m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS);
	rawc_free(r);
}

/* One number of a base request, found by the walk. */
struct slot {
	const ProtobufCMessageDescriptor	*md;
	const ProtobufCFieldDescriptor		*f;
	void					*value;
	char					 path[WIRE_PATH_MAX];
};

struct slots {
	struct slot	s[64];
	size_t		n;
};

/* Collect every number of a request. */
static int
collect_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	struct slots	*sl = arg;

	if (f->type == PROTOBUF_C_TYPE_BOOL ||
	    f->type == PROTOBUF_C_TYPE_STRING ||
	    f->type == PROTOBUF_C_TYPE_BYTES)
		return 0;
	ck_assert_uint_lt(sl->n, 64);
	sl->s[sl->n].md = md;
	sl->s[sl->n].f = f;
	sl->s[sl->n].value = value;
	snprintf(sl->s[sl->n].path, sizeof sl->s[sl->n].path, "%s", path);
	sl->n++;
	return 0;
}

/* A test value, as each type holds it. */
struct value {
	int64_t		s;
	uint64_t	u;
	double		d;
};

/* The values to try for a field's type. */
static size_t
values_for(const ProtobufCFieldDescriptor *f, struct value *v)
{
	size_t	n = 0;

	memset(v, 0, MAX_VALUES * sizeof *v);
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		v[n++].u = 0;
		v[n++].u = 1;
		v[n++].u = UINT32_MAX;
		v[n++].u = INT32_MAX;
		break;
	case PROTOBUF_C_TYPE_UINT64:
		v[n++].u = 0;
		v[n++].u = 1;
		v[n++].u = UINT64_MAX;
		v[n++].u = INT64_MAX;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		v[n++].s = 0;
		v[n++].s = 1;
		v[n++].s = INT32_MAX;
		v[n++].s = INT32_MIN;
		v[n++].s = -1;
		if (f->type == PROTOBUF_C_TYPE_ENUM)	/* one past the last */
			v[n++].s = ((const ProtobufCEnumDescriptor *)
			    f->descriptor)->n_values;
		break;
	case PROTOBUF_C_TYPE_INT64:
		v[n++].s = 0;
		v[n++].s = 1;
		v[n++].s = INT64_MAX;
		v[n++].s = INT64_MIN;
		v[n++].s = -1;
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		v[n++].d = 0;
		v[n++].d = 1;
		v[n++].d = DBL_MAX;
		v[n++].d = NAN;
		v[n++].d = INFINITY;
		v[n++].d = -INFINITY;
		break;
	default:
		ck_abort_msg("%s: a type this test does not know", f->name);
	}
	return n;
}

/* Store a value into the field; its text for messages and whether the
 * table's row takes it. */
static int
poke(const struct range *r, const ProtobufCFieldDescriptor *f, void *p,
    const struct value *v, char *text, size_t size)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT32:
		*(uint32_t *)p = (uint32_t)v->u;
		snprintf(text, size, "%llu", (unsigned long long)v->u);
		return v->u >= r->umin && v->u <= r->umax;
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)p = v->u;
		snprintf(text, size, "%llu", (unsigned long long)v->u);
		return v->u >= r->umin && v->u <= r->umax;
	case PROTOBUF_C_TYPE_INT32:
		*(int32_t *)p = (int32_t)v->s;
		snprintf(text, size, "%lld", (long long)v->s);
		return v->s >= r->min && v->s <= r->max;
	case PROTOBUF_C_TYPE_ENUM:
		*(int32_t *)p = (int32_t)v->s;
		snprintf(text, size, "%lld", (long long)v->s);
		return protobuf_c_enum_descriptor_get_value(f->descriptor,
		    (int)v->s) != NULL;
	case PROTOBUF_C_TYPE_INT64:
		*(int64_t *)p = v->s;
		snprintf(text, size, "%lld", (long long)v->s);
		return v->s >= r->min && v->s <= r->max;
	case PROTOBUF_C_TYPE_DOUBLE:
		*(double *)p = v->d;
		snprintf(text, size, "%g", v->d);
		return v->d >= r->dmin && v->d <= r->dmax;
	default:
		return 0;
	}
}

/* The documented answer to a request whose numbers are all in range. */
static int
expect_in_range(int rcase, const struct slot *sl, const struct value *v)
{
	const char	*name = sl->f->name;
	uint64_t	 id = v->u;

	if (rcase == RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE &&
	    strcmp(name, "op") == 0 && v->s == RUNNEL__V1__QUEUE_OP__QUEUE_ADD)
		return RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION;
	/* Task ids (resume's too: a resumed task is watched): a known one
	 * gets the usual answer, any other NOT_FOUND (0 is never a task). */
	if (strcmp(name, "task_ids") == 0 || strcmp(name, "ids") == 0 ||
	    strcmp(name, "task_id") == 0 || strcmp(name, "after") == 0 ||
	    strcmp(name, "after_any") == 0) {
		if (id != done_id)
			return RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND;
		if (rcase == RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN)
			return RUNNEL__V1__ERROR_CODE__ERROR_FAILED_PRECONDITION;
	}
	return OK;
}

/* Every number of the request m (of kind rcase, valid as built) at each
 * value: the documented reply, then a daemon that still serves. */
static size_t
sweep(Runnel__V1__ClientMessage *m, int rcase)
{
	struct slots			 sl = { .n = 0 };
	struct value			 v[MAX_VALUES];
	Runnel__V1__ServerMessage	*r;
	const struct range		*row;
	const struct slot		*s;
	uint8_t				 saved[8];
	char				 text[64], rtext[256], want[512];
	size_t				 i, j, nv, size, tried = 0;
	int				 inside, code;

	m->request_case = rcase;
	/* The request as built is answered as documented. */
	m->id = ++rc.next_id;
	r = call(m);
	ck_assert_msg(r->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR,
	    "request %d as built: %s", rcase, r->reply_case ==
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR ? r->error->message : "");
	rawc_free(r);

	wire_walk(&m->base, collect_cb, &sl);
	for (i = 0; i < sl.n; i++) {
		s = &sl.s[i];
		/* The message id is tried once, on Status. */
		if (strcmp(s->path, "id") == 0 &&
		    rcase != RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS)
			continue;
		row = range_find(s->md->name, s->f->name);
		ck_assert_msg(row != NULL, "%s: no range", s->path);
		/* 4 bytes for 32-bit types and enums, else 8. */
		size = s->f->type == PROTOBUF_C_TYPE_UINT32 ||
		    s->f->type == PROTOBUF_C_TYPE_INT32 ||
		    s->f->type == PROTOBUF_C_TYPE_ENUM ? 4 : 8;
		memcpy(saved, s->value, size);
		nv = values_for(s->f, v);
		for (j = 0; j < nv; j++) {
			inside = poke(row, s->f, s->value, &v[j], text,
			    sizeof text);
			if (strcmp(s->path, "id") != 0)
				m->id = ++rc.next_id;
			r = call(m);
			if (strcmp(s->path, "id") == 0)
				ck_assert_uint_eq(r->id, v[j].u);
			if (inside) {
				code = expect_in_range(rcase, s, &v[j]);
				ck_assert_msg(code == OK ? r->reply_case !=
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR :
				    r->reply_case ==
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR &&
				    (int)r->error->code == code,
				    "%s = %s: want %d, got %s", s->path, text,
				    code, r->reply_case ==
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR ?
				    r->error->message : "a reply");
			} else {
				range_text(row, s->f, rtext, sizeof rtext);
				if (s->f->type == PROTOBUF_C_TYPE_DOUBLE &&
				    isnan(v[j].d))
					snprintf(want, sizeof want,
					    "%s: %s is not a number", s->path,
					    text);
				else if (s->f->type == PROTOBUF_C_TYPE_ENUM)
					snprintf(want, sizeof want, "%s: %s is "
					    "not a known %s (%s)", s->path, text,
					    ((const ProtobufCEnumDescriptor *)
					    s->f->descriptor)->short_name,
					    rtext);
				else
					snprintf(want, sizeof want, "%s: %s is "
					    "out of range %s", s->path, text,
					    rtext);
				ck_assert_msg(r->reply_case ==
				    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR,
				    "%s = %s accepted", s->path, text);
				ck_assert_int_eq(r->error->code,
				    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
				ck_assert_str_eq(r->error->message, want);
			}
			rawc_free(r);
			assert_serves();
			tried++;
		}
		memcpy(s->value, saved, size);
		tried_add(s->md->name, s->f->name);
	}
	return tried;
}

/* Count the numeric fields reachable from a message's descriptor. */
static size_t
count_numbers(const ProtobufCMessageDescriptor *md)
{
	const ProtobufCFieldDescriptor	*f;
	size_t				 i, n = 0;

	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			n += count_numbers(f->descriptor);
		else if (f->type != PROTOBUF_C_TYPE_BOOL &&
		    f->type != PROTOBUF_C_TYPE_STRING &&
		    f->type != PROTOBUF_C_TYPE_BYTES)
			n++;
	}
	return n;
}

/* Start the daemon with a finished task, a paused queue holding one
 * task, and a spare queue. */
static void
setup(void)
{
	static const char *const argv[] = { "true", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;

	harness_start(&h, NULL);
	rawc_open(&rc, &h);
	spec = rawc_spec(argv);
	done_id = rawc_submit(&rc, spec, NULL);
	ck_assert_uint_eq(done_id, 1);
	r = rawc_wait(&rc, &done_id, 1, 0, 0, 0);
	ck_assert_int_eq(r->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	rawc_free(rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "hold", -1));
	rawc_free(rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_PAUSE, "hold",
	    -1));
	rawc_free(rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_ADD, "spare",
	    -1));
	spec->queue = hold;
	held_id = rawc_submit(&rc, spec, NULL);
	spec->stdin_stream = 1;
	stream_id = rawc_submit(&rc, spec, NULL);
	spec->queue = NULL;
	rawc_spec_free(spec);
}

static void
teardown(void)
{
	rawc_close(&rc);
	harness_stop(&h);
}

/* Hello's one number, on a fresh connection each: version 1 is spoken,
 * any other is UNSUPPORTED, and the daemon serves on. */
static size_t
sweep_hello(void)
{
	static const uint32_t		 versions[] = { 0, 1, UINT32_MAX,
					    INT32_MAX };
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__Hello		 hello = RUNNEL__V1__HELLO__INIT;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 c;
	size_t				 i;

	/* The one field is the one this sweep knows. */
	ck_assert_uint_eq(count_numbers(&runnel__v1__hello__descriptor), 1);
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
	m.hello = &hello;
	for (i = 0; i < sizeof versions / sizeof *versions; i++) {
		c.fd = harness_raw_unix(&h);
		c.next_id = 0;
		hello.protocol_version = versions[i];
		r = rawc_call(&c, &m);
		if (versions[i] == 1)
			ck_assert_int_eq(r->reply_case,
			    RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO);
		else {
			ck_assert_int_eq(r->reply_case,
			    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
			ck_assert_int_eq(r->error->code,
			    RUNNEL__V1__ERROR_CODE__ERROR_UNSUPPORTED);
		}
		rawc_free(r);
		rawc_close(&c);
		assert_serves();
	}
	tried_add(runnel__v1__hello__descriptor.name, "protocol_version");
	return i;
}

/* Every numeric field of every request, each at its extremes. */
START_TEST(test_every_number_of_every_request)
{
	Runnel__V1__ClientMessage	m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	sub = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__Rlimit		rl = RUNNEL__V1__RLIMIT__INIT;
	Runnel__V1__Rlimit		*rls[] = { &rl };
	Runnel__V1__Selector		sel = RUNNEL__V1__SELECTOR__INIT;
	Runnel__V1__Selector		csel = RUNNEL__V1__SELECTOR__INIT;
	Runnel__V1__WatchRequest	w = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__TaskOffset		to = RUNNEL__V1__TASK_OFFSET__INIT;
	Runnel__V1__TaskOffset		*tos[] = { &to };
	Runnel__V1__Stream		streams[] = { 0 };
	Runnel__V1__CancelRequest	cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	Runnel__V1__ListRequest		lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__ShowRequest		sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	Runnel__V1__WaitRequest		wr = RUNNEL__V1__WAIT_REQUEST__INIT;
	Runnel__V1__StatusRequest	st = RUNNEL__V1__STATUS_REQUEST__INIT;
	Runnel__V1__QueueRequest	qr = RUNNEL__V1__QUEUE_REQUEST__INIT;
	Runnel__V1__RestartRequest	rr = RUNNEL__V1__RESTART_REQUEST__INIT;
	Runnel__V1__StdinRequest	in = RUNNEL__V1__STDIN_REQUEST__INIT;
	Runnel__V1__CleanRequest	cl = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__Label		lbl = RUNNEL__V1__LABEL__INIT;
	Runnel__V1__Label		*lbls[] = { &lbl };
	static const char *const	argv[] = { "true", NULL };
	uint64_t			ids[] = { 0 }, ids2[] = { 0 };
	uint64_t			sids[] = { 0 }, cids[] = { 0 };
	size_t				tried = 0, fields;

	ids[0] = ids2[0] = sids[0] = done_id;
	cids[0] = held_id;
	sel.ids = sids;
	sel.n_ids = 1;

	/* Submit into the paused queue: accepted ones never run. */
	spec = rawc_spec(argv);
	spec->queue = hold;
	spec->after = ids;
	spec->n_after = 1;
	spec->after_any = ids2;
	spec->n_after_any = 1;
	rl.name = nofile;
	spec->rlimits = rls;
	spec->n_rlimits = 1;
	sub.spec = spec;
	m.submit = &sub;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT);
	spec->queue = NULL;
	spec->after = spec->after_any = NULL;
	spec->n_after = spec->n_after_any = spec->n_rlimits = 0;
	spec->rlimits = NULL;
	rawc_spec_free(spec);

	w.task_ids = ids;
	w.n_task_ids = 1;
	w.select = &sel;
	to.task_id = done_id;
	w.resume = tos;
	w.n_resume = 1;
	w.streams = streams;
	w.n_streams = 1;
	m.watch = &w;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH);

	cr.task_ids = ids;
	cr.n_task_ids = 1;
	cr.select = &sel;
	m.cancel = &cr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL);

	lr.select = &sel;
	m.list = &lr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST);

	sr.task_id = done_id;
	m.show = &sr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW);

	wr.task_ids = ids;
	wr.n_task_ids = 1;
	wr.select = &sel;
	m.wait = &wr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT);

	m.status = &st;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS);

	/* Set on the spare queue, which holds no task. */
	qr.op = RUNNEL__V1__QUEUE_OP__QUEUE_SET;
	qr.name = spare;
	qr.set_max_running = qr.set_timeout = 1;
	m.queue = &qr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE);

	rr.task_id = done_id;
	m.restart = &rr;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART);

	/* No bytes, no EOF, to the held task that streams its stdin. */
	in.task_id = stream_id;
	m.stdin = &in;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN);

	/* Last: a selected id of a finished task is removed for good.  The
	 * held task is queued, so cleaning it removes nothing. */
	lbl.key = none;
	lbl.value = none;
	csel.ids = cids;
	csel.n_ids = 1;
	csel.labels = lbls;
	csel.n_labels = 1;
	cl.select = &csel;
	m.clean = &cl;
	tried += sweep(&m, RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN);

	tried += sweep_hello();

	/* Each field of the descriptors was tried, 4 to 6 values each. */
	tried_all(&runnel__v1__client_message__descriptor);
	fields = count_numbers(&runnel__v1__client_message__descriptor);
	ck_assert_uint_ge(tried, 4 * fields);
}
END_TEST

/* Submit a spec; the error message, or NULL with *id set. */
static char *
submit_error(Runnel__V1__TaskSpec *spec, uint64_t *id)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sub = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	char				*msg = NULL;

	sub.spec = spec;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	m.submit = &sub;
	m.id = ++rc.next_id;
	r = call(&m);
	*id = 0;
	if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR) {
		ck_assert_int_eq(r->error->code,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
		msg = strdup(r->error->message);
	} else {
		ck_assert_int_eq(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT);
		*id = r->submit->task_id;
	}
	rawc_free(r);
	return msg;
}

/* Clean one task with older_than_ms; how many tasks went. */
static size_t
clean_older(uint64_t id, uint64_t older)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CleanRequest	 cl = RUNNEL__V1__CLEAN_REQUEST__INIT;
	Runnel__V1__Selector		 sel = RUNNEL__V1__SELECTOR__INIT;
	Runnel__V1__ServerMessage	*r;
	size_t				 n;

	sel.ids = &id;
	sel.n_ids = 1;
	cl.select = &sel;
	cl.older_than_ms = older;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
	m.clean = &cl;
	m.id = ++rc.next_id;
	r = call(&m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_CLEAN);
	n = r->clean->n_task_ids;
	rawc_free(r);
	return n;
}

/* Clean's older_than_ms at and above 2^63 went negative through a signed
 * cast and removed every finished task; now nothing is that old. */
START_TEST(test_clean_older_than_max)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ShowRequest		 sr = RUNNEL__V1__SHOW_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	ck_assert_uint_eq(clean_older(done_id, UINT64_MAX), 0);
	ck_assert_uint_eq(clean_older(done_id, (uint64_t)INT64_MAX + 1), 0);
	ck_assert_uint_eq(clean_older(done_id, RANGE_MS_MAX), 0);
	rawc_free(rawc_show(&rc, done_id));
	/* What does go, goes. */
	ck_assert_uint_eq(clean_older(done_id, 0), 1);
	sr.task_id = done_id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
	m.show = &sr;
	m.id = ++rc.next_id;
	r = call(&m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code, RUNNEL__V1__ERROR_CODE__ERROR_NOT_FOUND);
	rawc_free(r);
}
END_TEST

/* A NaN backoff passed "< 0 || > 100"; the infinities and a huge retry
 * delay are refused naming the field and the range. */
START_TEST(test_backoff_and_delay_refused)
{
	static const char *const	 argv[] = { "true", NULL };
	Runnel__V1__TaskSpec		*spec = rawc_spec(argv);
	uint64_t			 id;
	char				*msg;

	spec->retry_backoff = NAN;
	msg = submit_error(spec, &id);
	ck_assert_str_eq(msg, "submit.spec.retry_backoff: nan is not a "
	    "number");
	free(msg);
	spec->retry_backoff = INFINITY;
	msg = submit_error(spec, &id);
	ck_assert_str_eq(msg, "submit.spec.retry_backoff: inf is out of "
	    "range 0..100");
	free(msg);
	spec->retry_backoff = 2;
	spec->retry_delay_ms = UINT64_MAX;
	msg = submit_error(spec, &id);
	ck_assert_str_eq(msg, "submit.spec.retry_delay_ms: "
	    "18446744073709551615 is out of range 0..315360000000");
	free(msg);
	spec->retry_delay_ms = RANGE_MS_MAX + 1;
	msg = submit_error(spec, &id);
	ck_assert_str_eq(msg, "submit.spec.retry_delay_ms: 315360000001 is "
	    "out of range 0..315360000000");
	free(msg);
	rawc_spec_free(spec);
	assert_serves();
}
END_TEST

/* Watch task id until its log holds exactly the notice of a first
 * attempt that failed and retries in the longest delay (the task does not
 * end: the watch stays open). */
static void
expect_retry_notice(uint64_t id)
{
	static const char		 want[] = "runnel: attempt 1 failed "
					    "(exit 1); retrying in "
					    "315360000000 ms\n";
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	 w = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	char				 got[256] = "";
	size_t				 len = 0;

	w.task_ids = &id;
	w.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &w;
	rawc_send(&rc, &m);
	while (len < sizeof want - 1) {
		r = rawc_recv(&rc);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->reply_case,
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT);
		ck_assert_uint_lt(len + r->output->data.len, sizeof got);
		memcpy(got + len, r->output->data.data, r->output->data.len);
		len += r->output->data.len;
		rawc_free(r);
	}
	ck_assert_str_eq(got, want);
}

/* The longest retry delay waits that long (it wrapped to "at once"):
 * the first attempt fails, the task says when it retries, and is queued
 * again rather than started. */
START_TEST(test_longest_retry_delay_waits)
{
	static const char *const	 argv[] = { "false", NULL };
	Runnel__V1__TaskSpec		*spec = rawc_spec(argv);
	Runnel__V1__ServerMessage	*r;
	uint64_t			 id;

	spec->retries = 1000;
	spec->retry_backoff = 100;
	spec->retry_delay_ms = RANGE_MS_MAX;
	ck_assert_ptr_null(submit_error(spec, &id));
	rawc_spec_free(spec);
	expect_retry_notice(id);
	r = rawc_show(&rc, id);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_QUEUED);
	ck_assert_uint_eq(r->task->task->n_attempts, 1);
	ck_assert_ptr_nonnull(strstr(r->task->task->waiting_for, "retry at "));
	rawc_free(r);
}
END_TEST

/* tail_lines = 2^32-1 wrapped a 32-bit count to 0 and read before the
 * newlines found; now it is the whole log, and 2 is its last two lines. */
START_TEST(test_tail_lines_max)
{
	static const char *const	 argv[] = { "printf", "a\nb\nc\n",
					    NULL };
	Runnel__V1__TaskSpec		*spec = rawc_spec(argv);
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WatchRequest	 w = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	static const uint32_t		 lines[] = { UINT32_MAX, 2 };
	static const char *const	 want[] = { "a\nb\nc\n", "b\nc\n" };
	uint64_t			 id;
	char				 got[64];
	size_t				 i, len;

	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	rawc_free(rawc_wait(&rc, &id, 1, 0, 0, 0));
	w.task_ids = &id;
	w.n_task_ids = 1;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &w;
	for (i = 0; i < 2; i++) {
		w.tail_lines = lines[i];
		m.id = rawc_send(&rc, &m);
		len = 0;
		while ((r = rawc_recv(&rc)) != NULL && r->reply_case !=
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END) {
			ck_assert_int_ne(r->reply_case,
			    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
			if (r->reply_case ==
			    RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT) {
				ck_assert_uint_lt(len + r->output->data.len,
				    sizeof got);
				memcpy(got + len, r->output->data.data,
				    r->output->data.len);
				len += r->output->data.len;
			}
			rawc_free(r);
		}
		ck_assert_ptr_nonnull(r);
		rawc_free(r);
		got[len] = '\0';
		ck_assert_str_eq(got, want[i]);
	}
	assert_serves();
}
END_TEST

/* The CLI refuses what the daemon would, saying the range, before it
 * connects (no daemon runs here: a connection would fail otherwise). */
START_TEST(test_cli_refuses)
{
	static const char *const cases[][3] = {
		{ "--timeout", "999999999999h", "runnel: submit: --timeout "
		  "999999999999h is out of range: at most 3650d (10 years)\n" },
		{ "--retry-delay", "3651d", "runnel: submit: --retry-delay "
		  "3651d is out of range: at most 3650d (10 years)\n" },
		{ "--delay", "18446744073709551615ms", "runnel: submit: "
		  "--delay 18446744073709551615ms is out of range: at most "
		  "3650d (10 years)\n" },
		{ "--retries", "4294967296", "runnel: submit: --retries "
		  "4294967296 is out of range 0..1000\n" },
		{ "--retry-backoff", "100.5", "runnel: submit: "
		  "--retry-backoff 100.5 is out of range 0..100\n" },
	};
	char	 submit[] = "submit", sock[] = "--host=unix:/nonexistent",
		 dash[] = "--", tru[] = "true", opt[32], val[64];
	char	*argv[] = { getenv("RUNNEL"), sock, submit, opt, val, dash, tru,
		    NULL };
	char	 cancel[] = "cancel", grace[] = "--grace", days[] = "50d",
		 one[] = "1";
	char	*cargv[] = { argv[0], sock, cancel, grace, days, one, NULL };
	char	*out = NULL, *err = NULL, *nl;
	size_t	 i, len;

	ck_assert_ptr_nonnull(argv[0]);
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(opt, sizeof opt, "%s", cases[i][0]);
		snprintf(val, sizeof val, "%s", cases[i][1]);
		ck_assert_int_eq(harness_run(argv, &out, &len, &err), 2);
		/* The first line; the usage follows. */
		ck_assert_ptr_nonnull(err);
		if ((nl = strchr(err, '\n')) != NULL)
			nl[1] = '\0';
		ck_assert_str_eq(err, cases[i][2]);
		free(out);
		free(err);
	}
	ck_assert_int_eq(harness_run(cargv, &out, &len, &err), 2);
	if ((nl = strchr(err, '\n')) != NULL)
		nl[1] = '\0';
	ck_assert_str_eq(err, "runnel: cancel: --grace 50d is out of range: "
	    "at most 4294967295ms (49.7 days)\n");
	free(out);
	free(err);
}
END_TEST

/* Append a queued task of `false` to a journal, as an older build could
 * have written it with no range checked. */
static void
journal_queued(const char *path, uint64_t id, int64_t not_before_ms,
    uint64_t timeout_ms, uint64_t retry_delay_ms, double backoff)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr =
	    RUNNEL__JOURNAL__V1__TASK_RECORD__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	ProtobufCBinaryData		 argv[1];
	char				 owner[] = "admin", queue[] = "default";

	argv[0].data = (uint8_t *)(uintptr_t)"false";
	argv[0].len = 5;
	spec.argv = argv;
	spec.n_argv = 1;
	spec.retries = UINT32_MAX;
	spec.retry_delay_ms = retry_delay_ms;
	spec.retry_backoff = backoff;
	spec.timeout_ms = timeout_ms;
	spec.start_at_ms = not_before_ms;
	tr.id = id;
	tr.spec = &spec;
	tr.owner = owner;
	tr.queue = queue;
	tr.state = RUNNEL__V1__TASK_STATE__TASK_QUEUED;
	tr.created_ms = 1;
	tr.not_before_ms = not_before_ms;
	tr.timeout_ms = timeout_ms;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	jrec_append(path, &r);
}

/* A journal of an older build may hold any number: replayed, a start
 * time near INT64_MAX waits (and says when), and the longest timeout,
 * retry delay and a NaN backoff wrap nowhere (the retry waits ten years,
 * not none). */
START_TEST(test_replayed_extremes)
{
	Runnel__V1__ServerMessage	*r;
	char				 journal[160];
	uint64_t			 id = 3;

	rawc_close(&rc);
	harness_shutdown(&h);
	snprintf(journal, sizeof journal, "%s/state/journal", h.dir);
	ck_assert_int_eq(unlink(journal), 0);
	journal_queued(journal, 2, INT64_MAX - 1, UINT64_MAX, UINT64_MAX,
	    NAN);
	journal_queued(journal, 3, 0, UINT64_MAX, UINT64_MAX, NAN);
	harness_spawn(&h, NULL);
	rawc_open(&rc, &h);

	r = rawc_show(&rc, 2);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_QUEUED);
	/* Local time, in the year 292278994 whatever the zone. */
	ck_assert_msg(strncmp(r->task->task->waiting_for,
	    "start at 292278994-", 19) == 0, "%s",
	    r->task->task->waiting_for);
	rawc_free(r);

	expect_retry_notice(id);
	r = rawc_show(&rc, 3);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_QUEUED);
	ck_assert_uint_eq(r->task->task->n_attempts, 1);
	rawc_free(r);
	assert_serves();
}
END_TEST

/* Build the suite. */
static Suite *
check_ranges_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ranges");
	tc = tcase_create("sweep");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_number_of_every_request);
	tcase_add_test(tc, test_clean_older_than_max);
	tcase_add_test(tc, test_backoff_and_delay_refused);
	tcase_add_test(tc, test_longest_retry_delay_waits);
	tcase_add_test(tc, test_tail_lines_max);
	tcase_add_test(tc, test_replayed_extremes);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_add_test(tc, test_cli_refuses);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite in check's default fork mode (CK_FORK=no to debug). */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_ranges_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
