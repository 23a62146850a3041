/*
 * range.c - the documented range of every number a client can send: one
 * row per numeric field of every message reachable from ClientMessage,
 * checked for a whole request by one walk (wire.c) before any handler
 * sees it.  A field added to runnel.proto without a row here fails the
 * unit suite (and, if it got that far, every request that carries it).
 * The helpers below keep the code right on their own too, so nothing
 * wraps even if a value got past the table (a journal of an older build).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runneld.h"

#define RUNNEL_PKG	"runnel.v1."

/* Shorthands for the rows. */
#define RANGE_ANY_U32	.kind = RANGE_UNSIGNED, .umin = 0, .umax = UINT32_MAX
#define RANGE_ANY_U64	.kind = RANGE_UNSIGNED, .umin = 0, .umax = UINT64_MAX
#define RANGE_MS	.kind = RANGE_UNSIGNED, .umin = 0, .umax = RANGE_MS_MAX
#define RANGE_KNOWN	.kind = RANGE_ENUM

static const struct range range_table[] = {
	/* Request ids are the client's to choose. */
	{ .message = RUNNEL_PKG "ClientMessage", .field = "id", RANGE_ANY_U64 },
	/* Any version: the daemon answers UNSUPPORTED unless it speaks it. */
	{ .message = RUNNEL_PKG "Hello", .field = "protocol_version",
	  RANGE_ANY_U32 },

	{ .message = RUNNEL_PKG "TaskSpec", .field = "priority",
	  .kind = RANGE_SIGNED, .min = INT32_MIN, .max = INT32_MAX },
	/* Ids: an unknown one is NOT_FOUND, never a range error. */
	{ .message = RUNNEL_PKG "TaskSpec", .field = "after", RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "TaskSpec", .field = "after_any",
	  RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "TaskSpec", .field = "timeout_ms", RANGE_MS },
	{ .message = RUNNEL_PKG "TaskSpec", .field = "retries",
	  .kind = RANGE_UNSIGNED, .umin = 0, .umax = RANGE_RETRIES_MAX },
	{ .message = RUNNEL_PKG "TaskSpec", .field = "retry_delay_ms",
	  RANGE_MS },
	{ .message = RUNNEL_PKG "TaskSpec", .field = "retry_backoff",
	  .kind = RANGE_DOUBLE, .dmin = 0, .dmax = RANGE_BACKOFF_MAX },
	/* Unix ms up to the end of year 9999; 0 is "as soon as possible". */
	{ .message = RUNNEL_PKG "TaskSpec", .field = "start_at_ms",
	  .kind = RANGE_SIGNED, .min = 0, .max = RANGE_UNIX_MS_MAX },
	/* 18446744073709551615 is RLIM_INFINITY (unlimited). */
	{ .message = RUNNEL_PKG "Rlimit", .field = "soft", RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "Rlimit", .field = "hard", RANGE_ANY_U64 },

	{ .message = RUNNEL_PKG "Selector", .field = "ids", RANGE_ANY_U64 },

	{ .message = RUNNEL_PKG "WatchRequest", .field = "task_ids",
	  RANGE_ANY_U64 },
	/* Past the end of a log: its end. */
	{ .message = RUNNEL_PKG "WatchRequest", .field = "from_offset",
	  RANGE_ANY_U64 },
	/* More lines than a log holds: all of it. */
	{ .message = RUNNEL_PKG "WatchRequest", .field = "tail_lines",
	  RANGE_ANY_U32 },
	{ .message = RUNNEL_PKG "WatchRequest", .field = "streams",
	  RANGE_KNOWN },
	{ .message = RUNNEL_PKG "TaskOffset", .field = "task_id",
	  RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "TaskOffset", .field = "offset",
	  RANGE_ANY_U64 },

	{ .message = RUNNEL_PKG "CancelRequest", .field = "task_ids",
	  RANGE_ANY_U64 },
	/* 0 is SIGTERM; real-time signals included. */
	{ .message = RUNNEL_PKG "CancelRequest", .field = "signal",
	  .kind = RANGE_SIGNED, .min = 0, .max = NSIG - 1 },
	/* At most 49.7 days by its type. */
	{ .message = RUNNEL_PKG "CancelRequest", .field = "grace_ms",
	  RANGE_ANY_U32 },

	{ .message = RUNNEL_PKG "ShowRequest", .field = "task_id",
	  RANGE_ANY_U64 },

	{ .message = RUNNEL_PKG "WaitRequest", .field = "task_ids",
	  RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "WaitRequest", .field = "mode", RANGE_KNOWN },
	{ .message = RUNNEL_PKG "WaitRequest", .field = "timeout_ms",
	  RANGE_MS },

	{ .message = RUNNEL_PKG "QueueRequest", .field = "op", RANGE_KNOWN },
	{ .message = RUNNEL_PKG "QueueRequest", .field = "max_running",
	  RANGE_ANY_U32 },
	{ .message = RUNNEL_PKG "QueueRequest", .field = "timeout_ms",
	  RANGE_MS },

	{ .message = RUNNEL_PKG "RestartRequest", .field = "task_id",
	  RANGE_ANY_U64 },
	{ .message = RUNNEL_PKG "StdinRequest", .field = "task_id",
	  RANGE_ANY_U64 },

	/* Longer than any task has been over: nothing is that old. */
	{ .message = RUNNEL_PKG "CleanRequest", .field = "older_than_ms",
	  RANGE_ANY_U64 },
};

/* The row of a field, by its message's full name ("runnel.v1.TaskSpec"),
 * or NULL. */
const struct range *
range_find(const char *message, const char *field)
{
	size_t	i;

	for (i = 0; i < sizeof range_table / sizeof *range_table; i++)
		if (strcmp(range_table[i].message, message) == 0 &&
		    strcmp(range_table[i].field, field) == 0)
			return &range_table[i];
	return NULL;
}

/* The table's rows and their number. */
const struct range *
range_rows(size_t *n)
{
	*n = sizeof range_table / sizeof *range_table;
	return range_table;
}

/* Write the range of a row as users read it ("0..315360000000"). */
void
range_text(const struct range *r, const ProtobufCFieldDescriptor *f,
    char *buf, size_t size)
{
	const ProtobufCEnumDescriptor	*ed;
	size_t				 i, len = 0;

	switch (r->kind) {
	case RANGE_SIGNED:
		snprintf(buf, size, "%lld..%lld", (long long)r->min,
		    (long long)r->max);
		break;
	case RANGE_UNSIGNED:
		snprintf(buf, size, "%llu..%llu", (unsigned long long)r->umin,
		    (unsigned long long)r->umax);
		break;
	case RANGE_DOUBLE:
		snprintf(buf, size, "%g..%g", r->dmin, r->dmax);
		break;
	case RANGE_ENUM:
		buf[0] = '\0';
		ed = f != NULL ? f->descriptor : NULL;
		for (i = 0; ed != NULL && i < ed->n_values && len < size;
		    i++)
			len += (size_t)snprintf(buf + len, size - len, "%s%d",
			    i > 0 ? ", " : "one of ", ed->values[i].value);
		break;
	}
}

/* Is a value of field f inside row r?  Writes the value as text. */
static int
range_inside(const struct range *r, const ProtobufCFieldDescriptor *f,
    const void *value, char *buf, size_t size)
{
	int64_t		 s = 0;
	uint64_t	 u = 0;
	double		 d;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		s = *(const int32_t *)value;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		s = *(const int64_t *)value;
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		u = *(const uint32_t *)value;
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		u = *(const uint64_t *)value;
		break;
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		d = f->type == PROTOBUF_C_TYPE_FLOAT ?
		    *(const float *)value : *(const double *)value;
		snprintf(buf, size, "%g", d);
		/* NaN compares false: only a number inside passes. */
		return r->kind == RANGE_DOUBLE && d >= r->dmin &&
		    d <= r->dmax;
	default:
		return 1;
	}
	/* The unit suite checks that each row's kind fits its field. */
	switch (r->kind) {
	case RANGE_SIGNED:
		snprintf(buf, size, "%lld", (long long)s);
		return s >= r->min && s <= r->max;
	case RANGE_UNSIGNED:
		snprintf(buf, size, "%llu", (unsigned long long)u);
		return u >= r->umin && u <= r->umax;
	case RANGE_ENUM:
		snprintf(buf, size, "%lld", (long long)s);
		return f->type == PROTOBUF_C_TYPE_ENUM &&
		    protobuf_c_enum_descriptor_get_value(f->descriptor,
		    (int)s) != NULL;
	default:
		return 0;
	}
}

/* Check one value against its row; stop the walk at the first that is
 * outside, with the cause. */
static int
range_check_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	char			**cause = arg;
	const struct range	 *r;
	char			  v[64], text[256];
	double			  d;

	switch (f->type) {
	case PROTOBUF_C_TYPE_BOOL:
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 0;
	default:
		break;
	}
	if ((r = range_find(md->name, f->name)) == NULL) {
		*cause = xasprintf("%s: no documented range", path);
		return 1;
	}
	if (range_inside(r, f, value, v, sizeof v))
		return 0;
	if (f->type == PROTOBUF_C_TYPE_DOUBLE ||
	    f->type == PROTOBUF_C_TYPE_FLOAT) {
		d = f->type == PROTOBUF_C_TYPE_FLOAT ?
		    *(const float *)value : *(const double *)value;
		if (isnan(d)) {
			*cause = xasprintf("%s: %s is not a number", path, v);
			return 1;
		}
	}
	range_text(r, f, text, sizeof text);
	if (r->kind == RANGE_ENUM)
		*cause = xasprintf("%s: %s is not a known %s (%s)", path, v,
		    f->descriptor != NULL ? ((const ProtobufCEnumDescriptor *)
		    f->descriptor)->short_name : "value", text);
	else
		*cause = xasprintf("%s: %s is out of range %s", path, v, text);
	return 1;
}

/* Check every number of a request against its documented range: 0, or
 * -1 with the first violation in *cause ("submit.spec.retry_delay_ms:
 * 18446744073709551615 is out of range 0..315360000000"). */
int
range_check(const ProtobufCMessage *msg, char **cause)
{
	*cause = NULL;
	/* The walk only reads. */
	return wire_walk((ProtobufCMessage *)(uintptr_t)msg, range_check_cb,
	    cause) == 0 ? 0 : -1;
}

/* A duration from the wire or the journal, at most RANGE_MS_MAX. */
uint64_t
range_ms(uint64_t ms)
{
	return ms < RANGE_MS_MAX ? ms : RANGE_MS_MAX;
}

/* A duration in ms as a timeval for a timer, at most RANGE_MS_MAX. */
void
range_timeval(uint64_t ms, struct timeval *tv)
{
	ms = range_ms(ms);
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

/* The delay before retry `attempt` (1 for the first): delay_ms times
 * backoff^(attempt-1), a backoff that is not a positive number taken as
 * 1, and the product at most RANGE_MS_MAX (a double that large converts
 * to no integer). */
uint64_t
range_retry_ms(uint64_t delay_ms, double backoff, size_t attempt)
{
	double	d;

	if (!(backoff > 0))
		backoff = 1;
	if (backoff > RANGE_BACKOFF_MAX)
		backoff = RANGE_BACKOFF_MAX;
	if ((delay_ms = range_ms(delay_ms)) == 0)
		return 0;
	d = (double)delay_ms * pow(backoff, attempt > 0 ?
	    (double)(attempt - 1) : 0);
	if (!(d < (double)RANGE_MS_MAX))
		return RANGE_MS_MAX;
	return (uint64_t)d;
}
