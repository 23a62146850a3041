/*
 * fuzz_session_msg.c - the session fuzzer's requests: a ClientMessage of
 * any type built from a step's bytes, field by field, each drawn from the
 * values that matter (task ids the daemon gave, queue and limit names,
 * the edges of every number, NaN, bytes that are not UTF-8) or taken raw
 * from the input.  Bytes read past the end are zeros, and zeros make the
 * plainest request of each type (a Submit of `true`, a List of all).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_session.h"

#define FUZZ_SESSION_MSG_ARENA	(64 * 1024)

/* The bytes of a step, read front to back. */
struct fuzz_session_msg_in {
	const uint8_t	*p;
	size_t		 n;
};

/* The message being built lives in the arena, freed all at once. */
static struct {
	_Alignas(max_align_t) uint8_t arena[FUZZ_SESSION_MSG_ARENA];
	size_t			 used;
	const uint64_t		*ids;	/* task ids the daemon gave */
	size_t			 nids;
} fm;

/* The next byte, 0 when there is none. */
static uint8_t
fuzz_session_msg_u8(struct fuzz_session_msg_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

/* A number: small, at an edge of its type, or any. */
static uint64_t
fuzz_session_msg_uint(struct fuzz_session_msg_in *in)
{
	static const uint64_t	 edge[] = {
		0, 1, 2, 100, 1000, INT32_MAX, (uint64_t)INT32_MAX + 1,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, INT64_MAX,
		(uint64_t)INT64_MAX + 1, UINT64_MAX, UINT64_MAX - 1,
		(uint64_t)1 << 53, 1000ULL * 86400 * 365 * 100,
	};
	uint64_t		 v = 0;
	uint8_t			 k = fuzz_session_msg_u8(in);
	int			 i;

	if (k < 0x80)
		return k % 16;
	if (k < 0xc0)
		return edge[k % (sizeof edge / sizeof *edge)];
	for (i = 0; i < 8; i++)
		v |= (uint64_t)fuzz_session_msg_u8(in) << (8 * i);
	return v;
}

/* A double: 0, ordinary, huge, tiny, NaN or an infinity. */
static double
fuzz_session_msg_double(struct fuzz_session_msg_in *in)
{
	static const double	 edge[] = {
		0, 0.5, 1, 2, 100, -1, 1e308, 5e-324, -0.0,
	};
	uint8_t			 k = fuzz_session_msg_u8(in);

	if (k == 0xfd)
		return NAN;
	if (k == 0xfe)
		return INFINITY;
	if (k == 0xff)
		return -INFINITY;
	return edge[k % (sizeof edge / sizeof *edge)];
}

/* Room in the arena, zeroed; NULL when it is used up. */
static void *
fuzz_session_msg_alloc(size_t size)
{
	void	*p;

	size = (size + 15) & ~(size_t)15;
	if (size > sizeof fm.arena - fm.used)
		return NULL;
	p = fm.arena + fm.used;
	fm.used += size;
	memset(p, 0, size);
	return p;
}

/* A NUL-terminated copy of n bytes in the arena; "" and *n = 0 when it
 * is full. */
static char *
fuzz_session_msg_copy(const void *p, size_t *n)
{
	static char	 none[1];
	char		*s;

	if ((s = fuzz_session_msg_alloc(*n + 1)) == NULL) {
		*n = 0;
		return none;
	}
	memcpy(s, p, *n);
	return s;
}

/* Bytes: a word a client would send, a bulk of lines, or the next bytes
 * of the input. */
static ProtobufCBinaryData
fuzz_session_msg_bytes(struct fuzz_session_msg_in *in)
{
	static const char	*word[] = {
		"true", "echo", "false", "cat", "x", "/", "/tmp", "A=b",
		"rel", "\xff\xfe", "/nonexistent", "caf\xc3\xa9", "K=",
		"=v", "-n", "",
	};
	static uint8_t		 lines[256], text[60000];
	const size_t		 nword = sizeof word / sizeof *word;
	ProtobufCBinaryData	 b;
	const char		*w;
	uint8_t			 k = fuzz_session_msg_u8(in);
	size_t			 len, i;

	if (k < 0x20 && k % (nword + 2) >= nword) {
		/* Bulk: a ring's worth of newlines, or lines of text just
		 * under the frame limit, for output, watches and tails. */
		if (lines[0] == 0) {
			memset(lines, '\n', sizeof lines);
			for (i = 0; i < sizeof text; i++)
				text[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
		}
		b.data = k % (nword + 2) == nword ? lines : text;
		b.len = b.data == lines ? sizeof lines : sizeof text;
		return b;
	}
	if (k < 0x20) {
		w = word[k % (nword + 2)];
		b.len = strlen(w);
		b.data = (uint8_t *)fuzz_session_msg_copy(w, &b.len);
		return b;
	}
	len = (size_t)(k - 0x20) % 64;
	if (len > in->n)
		len = in->n;
	in->p += len;
	in->n -= len;
	b.len = len;
	b.data = (uint8_t *)fuzz_session_msg_copy(in->p - len, &b.len);
	return b;
}

/* A string: a word (names of queues, labels, limits), or raw bytes up to
 * a NUL, which need not be UTF-8. */
static char *
fuzz_session_msg_str(struct fuzz_session_msg_in *in)
{
	static const char	*word[] = {
		"", "default", "q1", "fuzz", "k", "v", "nofile", "core",
		"cpu", "nproc", "bogus", "\xff", "caf\xc3\xa9", "a.b-c_d",
		"\xed\xa0\x80", "other",
	};
	const char		*w;
	uint8_t			 k;
	size_t			 len;

	k = fuzz_session_msg_u8(in);
	if (k < 0x80) {
		w = word[k % (sizeof word / sizeof *word)];
		len = strlen(w);
		return fuzz_session_msg_copy(w, &len);
	}
	in->p--;
	in->n++;
	return (char *)fuzz_session_msg_bytes(in).data;
}

/* A task id: one the daemon gave, a small one (ids start at 1 on each
 * input), or any number. */
static uint64_t
fuzz_session_msg_id(struct fuzz_session_msg_in *in)
{
	uint8_t	k = fuzz_session_msg_u8(in);

	if (k < 0xa0 && fm.nids > 0)
		return fm.ids[k % fm.nids];
	if (k < 0xe0)
		return k % 8;
	return fuzz_session_msg_uint(in);
}

/* A list of up to max task ids. */
static uint64_t *
fuzz_session_msg_ids(struct fuzz_session_msg_in *in, size_t max, size_t *n)
{
	uint64_t	*ids;
	size_t		 i;

	*n = fuzz_session_msg_u8(in) % (max + 1);
	if (*n == 0 || (ids = fuzz_session_msg_alloc(*n * sizeof *ids)) == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++)
		ids[i] = fuzz_session_msg_id(in);
	return ids;
}

/* Up to max labels. */
static Runnel__V1__Label **
fuzz_session_msg_labels(struct fuzz_session_msg_in *in, size_t max, size_t *n)
{
	Runnel__V1__Label	**l;
	size_t			  i;

	*n = fuzz_session_msg_u8(in) % (max + 1);
	if (*n == 0 || (l = fuzz_session_msg_alloc(*n * sizeof *l)) == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++) {
		if ((l[i] = fuzz_session_msg_alloc(sizeof **l)) == NULL) {
			*n = i;
			break;
		}
		runnel__v1__label__init(l[i]);
		l[i]->key = fuzz_session_msg_str(in);
		l[i]->value = fuzz_session_msg_str(in);
	}
	return l;
}

/* A selector, or none. */
static Runnel__V1__Selector *
fuzz_session_msg_selector(struct fuzz_session_msg_in *in)
{
	Runnel__V1__Selector	*sel;
	uint8_t			 k = fuzz_session_msg_u8(in);

	if ((k & 3) == 0 || (sel = fuzz_session_msg_alloc(sizeof *sel)) == NULL)
		return NULL;
	runnel__v1__selector__init(sel);
	sel->all = (k & 4) != 0;
	if (k & 8)
		sel->ids = fuzz_session_msg_ids(in, 3, &sel->n_ids);
	if (k & 16)
		sel->labels = fuzz_session_msg_labels(in, 2, &sel->n_labels);
	if (k & 32)
		sel->queue = fuzz_session_msg_str(in);
	return sel;
}

/* A list of up to max byte strings. */
static ProtobufCBinaryData *
fuzz_session_msg_byteses(struct fuzz_session_msg_in *in, size_t min, size_t max,
    size_t *n)
{
	ProtobufCBinaryData	*b;
	size_t			 i;

	*n = min + fuzz_session_msg_u8(in) % (max - min + 1);
	if (*n == 0 || (b = fuzz_session_msg_alloc(*n * sizeof *b)) == NULL) {
		*n = 0;
		return NULL;
	}
	for (i = 0; i < *n; i++)
		b[i] = fuzz_session_msg_bytes(in);
	return b;
}

/* A task spec; which optional parts it has is the first byte's bits. */
static Runnel__V1__TaskSpec *
fuzz_session_msg_spec(struct fuzz_session_msg_in *in)
{
	Runnel__V1__TaskSpec	 *spec;
	Runnel__V1__Rlimit	**rl;
	uint8_t			  k = fuzz_session_msg_u8(in);
	uint8_t			  b = fuzz_session_msg_u8(in);
	size_t			  i;

	if ((spec = fuzz_session_msg_alloc(sizeof *spec)) == NULL)
		return NULL;
	runnel__v1__task_spec__init(spec);
	spec->argv = fuzz_session_msg_byteses(in, 1, 3, &spec->n_argv);
	if (k & 1)
		spec->env = fuzz_session_msg_byteses(in, 0, 2, &spec->n_env);
	if (k & 2)
		spec->cwd = fuzz_session_msg_bytes(in);
	if (k & 4)
		spec->name = fuzz_session_msg_str(in);
	if (k & 8)
		spec->stdin_data = fuzz_session_msg_bytes(in);
	if (k & 16)
		spec->queue = fuzz_session_msg_str(in);
	if (k & 32) {
		spec->priority = (int32_t)fuzz_session_msg_uint(in);
		spec->after = fuzz_session_msg_ids(in, 2, &spec->n_after);
		spec->after_any = fuzz_session_msg_ids(in, 2, &spec->n_after_any);
	}
	if (k & 64) {
		spec->timeout_ms = fuzz_session_msg_uint(in);
		spec->retries = (uint32_t)fuzz_session_msg_uint(in);
		spec->retry_delay_ms = fuzz_session_msg_uint(in);
		spec->retry_backoff = fuzz_session_msg_double(in);
		spec->start_at_ms = (int64_t)fuzz_session_msg_uint(in);
	}
	if (k & 128) {
		spec->key = fuzz_session_msg_str(in);
		spec->labels = fuzz_session_msg_labels(in, 3, &spec->n_labels);
		spec->n_rlimits = fuzz_session_msg_u8(in) % 3;
		rl = fuzz_session_msg_alloc(spec->n_rlimits * sizeof *rl);
		for (i = 0; rl != NULL && i < spec->n_rlimits; i++) {
			if ((rl[i] = fuzz_session_msg_alloc(sizeof **rl)) == NULL)
				break;
			runnel__v1__rlimit__init(rl[i]);
			rl[i]->name = fuzz_session_msg_str(in);
			rl[i]->soft = fuzz_session_msg_uint(in);
			rl[i]->hard = fuzz_session_msg_uint(in);
		}
		spec->n_rlimits = rl != NULL ? i : 0;
		spec->rlimits = rl;
	}
	spec->clear_env = (b & 1) != 0;
	spec->stdin_stream = (b & 2) != 0;
	spec->restart_on_lost = (b & 4) != 0;
	return spec;
}

/* Fill msg with the request the bytes describe (its type is the first
 * byte); 0, or -1 when the arena ran out. */
static int
fuzz_session_msg_request(struct fuzz_session_msg_in *in, Runnel__V1__ClientMessage *msg)
{
	static Runnel__V1__Hello	hello;
	static Runnel__V1__SubmitRequest submit;
	static Runnel__V1__WatchRequest	watch;
	static Runnel__V1__CancelRequest cancel;
	static Runnel__V1__ListRequest	list;
	static Runnel__V1__ShowRequest	show;
	static Runnel__V1__WaitRequest	wait;
	static Runnel__V1__StatusRequest status;
	static Runnel__V1__QueueRequest	queue;
	static Runnel__V1__RestartRequest restart;
	static Runnel__V1__StdinRequest	stdin_;
	static Runnel__V1__CleanRequest	clean;
	Runnel__V1__TaskOffset		**off;
	Runnel__V1__Stream		 *streams;
	uint8_t				  k = fuzz_session_msg_u8(in), f;
	size_t				  i;

	switch (k % FUZZ_SESSION_MSG_TYPES) {
	case 0:
		runnel__v1__hello__init(&hello);
		f = fuzz_session_msg_u8(in);
		hello.protocol_version = f < 0xf0 ? 1 : fuzz_session_msg_uint(in);
		hello.client_name = fuzz_session_msg_str(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
		msg->hello = &hello;
		break;
	case 1:
		runnel__v1__submit_request__init(&submit);
		submit.watch = fuzz_session_msg_u8(in) & 1;
		if ((submit.spec = fuzz_session_msg_spec(in)) == NULL)
			return -1;
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
		msg->submit = &submit;
		break;
	case 2:
		runnel__v1__watch_request__init(&watch);
		f = fuzz_session_msg_u8(in);
		watch.task_ids = fuzz_session_msg_ids(in, 3, &watch.n_task_ids);
		watch.select = fuzz_session_msg_selector(in);
		watch.follow = (f & 1) != 0;
		watch.tail = (f & 2) != 0;
		if (f & 4)
			watch.from_offset = fuzz_session_msg_uint(in);
		if (f & 8)
			watch.tail_lines = (uint32_t)fuzz_session_msg_uint(in);
		if (f & 16) {
			watch.n_resume = fuzz_session_msg_u8(in) % 3;
			off = fuzz_session_msg_alloc(watch.n_resume * sizeof *off);
			for (i = 0; off != NULL && i < watch.n_resume; i++) {
				if ((off[i] = fuzz_session_msg_alloc(sizeof **off)) ==
				    NULL)
					break;
				runnel__v1__task_offset__init(off[i]);
				off[i]->task_id = fuzz_session_msg_id(in);
				off[i]->offset = fuzz_session_msg_uint(in);
			}
			watch.n_resume = off != NULL ? i : 0;
			watch.resume = off;
		}
		if (f & 32) {
			watch.n_streams = fuzz_session_msg_u8(in) % 3;
			streams = fuzz_session_msg_alloc(watch.n_streams *
			    sizeof *streams);
			for (i = 0; streams != NULL && i < watch.n_streams; i++)
				streams[i] = fuzz_session_msg_u8(in) % 4;
			watch.n_streams = streams != NULL ? watch.n_streams : 0;
			watch.streams = streams;
		}
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
		msg->watch = &watch;
		break;
	case 3:
		runnel__v1__cancel_request__init(&cancel);
		cancel.task_ids = fuzz_session_msg_ids(in, 3, &cancel.n_task_ids);
		cancel.select = fuzz_session_msg_selector(in);
		cancel.signal = (int32_t)fuzz_session_msg_uint(in);
		cancel.grace_ms = (uint32_t)fuzz_session_msg_uint(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
		msg->cancel = &cancel;
		break;
	case 4:
		runnel__v1__list_request__init(&list);
		list.select = fuzz_session_msg_selector(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
		msg->list = &list;
		break;
	case 5:
		runnel__v1__show_request__init(&show);
		show.task_id = fuzz_session_msg_id(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SHOW;
		msg->show = &show;
		break;
	case 6:
		runnel__v1__wait_request__init(&wait);
		wait.task_ids = fuzz_session_msg_ids(in, 3, &wait.n_task_ids);
		wait.select = fuzz_session_msg_selector(in);
		f = fuzz_session_msg_u8(in);
		wait.mode = f % 4;
		wait.cancel_rest = (f & 4) != 0;
		wait.timeout_ms = fuzz_session_msg_uint(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT;
		msg->wait = &wait;
		break;
	case 7:
		runnel__v1__status_request__init(&status);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS;
		msg->status = &status;
		break;
	case 8:
		runnel__v1__queue_request__init(&queue);
		f = fuzz_session_msg_u8(in);
		queue.op = f % 7;
		queue.name = fuzz_session_msg_str(in);
		queue.set_max_running = (f & 8) != 0;
		queue.set_timeout = (f & 16) != 0;
		queue.max_running = (uint32_t)fuzz_session_msg_uint(in);
		queue.timeout_ms = fuzz_session_msg_uint(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_QUEUE;
		msg->queue = &queue;
		break;
	case 9:
		runnel__v1__restart_request__init(&restart);
		restart.task_id = fuzz_session_msg_id(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_RESTART;
		msg->restart = &restart;
		break;
	case 10:
		runnel__v1__stdin_request__init(&stdin_);
		stdin_.task_id = fuzz_session_msg_id(in);
		stdin_.eof = fuzz_session_msg_u8(in) & 1;
		stdin_.data = fuzz_session_msg_bytes(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN;
		msg->stdin = &stdin_;
		break;
	default:
		runnel__v1__clean_request__init(&clean);
		clean.select = fuzz_session_msg_selector(in);
		clean.older_than_ms = fuzz_session_msg_uint(in);
		msg->request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CLEAN;
		msg->clean = &clean;
		break;
	}
	return 0;
}

/* Build the request the bytes describe into msg (its parts are valid
 * until the next call); its id is the connection's next one, or any.
 * Returns -1 when there is nothing to send. */
int
fuzz_session_msg_build(const uint8_t *p, size_t n, const uint64_t *ids,
    size_t nids, uint64_t *next_req, Runnel__V1__ClientMessage *msg)
{
	struct fuzz_session_msg_in	in = { p, n };

	fm.used = 0;
	fm.ids = ids;
	fm.nids = nids;
	runnel__v1__client_message__init(msg);
	if (fuzz_session_msg_request(&in, msg) != 0)
		return -1;
	msg->id = fuzz_session_msg_u8(&in) < 0xf0 ? ++*next_req :
	    fuzz_session_msg_uint(&in);
	return 0;
}
