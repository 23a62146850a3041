/*
 * check_utf8.c - every reply decodes in a strict protobuf decoder: every
 * `string` field of every request, found from the descriptors (a field
 * added to runnel.proto is tried without a change here), is refused when
 * it is not UTF-8, naming the field; texts the daemon builds from bytes
 * fields (argv, env, cwd) show their bytes escaped; and a journal of an
 * older build with such texts replays, escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "jrec.h"
#include "rawc.h"
#include "runneld.h"

#define UTF8_MAX_DEPTH		8
#define UTF8_MAX_TARGETS	128

/* A `string` field reached from ClientMessage: the fields leading to it. */
struct target {
	const ProtobufCFieldDescriptor	*chain[UTF8_MAX_DEPTH];
	size_t				 depth;
	char				 path[WIRE_PATH_MAX];
};

static struct target	 targets[UTF8_MAX_TARGETS];
static size_t		 ntargets;

/* What a test allocated for a hand-built message, freed at its end. */
static void		*allocs[64];
static size_t		 nallocs;

static struct harness	 h;

static void
setup(void)
{
	harness_start(&h, NULL);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Zeroed memory, freed by utf8_free_all(). */
static void *
utf8_alloc(size_t n)
{
	void	*p = calloc(1, n);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(nallocs, sizeof allocs / sizeof *allocs);
	allocs[nallocs++] = p;
	return p;
}

static void
utf8_free_all(void)
{
	while (nallocs > 0)
		free(allocs[--nallocs]);
}

/* Find every string field under md, with the fields leading to it. */
static void
utf8_find(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor **chain, size_t depth)
{
	const ProtobufCFieldDescriptor	*f;
	struct target			*t;
	size_t				 i, k, len;

	ck_assert_uint_lt(depth, UTF8_MAX_DEPTH);
	for (i = 0; i < md->n_fields; i++) {
		f = &md->fields[i];
		chain[depth] = f;
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			utf8_find(f->descriptor, chain, depth + 1);
			continue;
		}
		if (f->type != PROTOBUF_C_TYPE_STRING)
			continue;
		ck_assert_uint_lt(ntargets, UTF8_MAX_TARGETS);
		t = &targets[ntargets++];
		t->depth = depth + 1;
		len = 0;
		for (k = 0; k < t->depth; k++) {
			t->chain[k] = chain[k];
			len += snprintf(t->path + len, sizeof t->path - len,
			    "%s%s%s", k > 0 ? "." : "", chain[k]->name,
			    chain[k]->label == PROTOBUF_C_LABEL_REPEATED ?
			    "[0]" : "");
		}
	}
}

/* Where field f's value goes in m: a repeated field gets one element, a
 * oneof member is made the set one. */
static void *
utf8_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t esz)
{
	uint8_t	*base = (uint8_t *)m;
	void	*arr;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		*(size_t *)(base + f->quantifier_offset) = 1;
		arr = utf8_alloc(esz);
		*(void **)(base + f->offset) = arr;
		return arr;
	}
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = f->id;
	return base + f->offset;
}

/* A new message of type md, with its defaults. */
static ProtobufCMessage *
utf8_new(const ProtobufCMessageDescriptor *md)
{
	ProtobufCMessage	*m = utf8_alloc(md->sizeof_message);

	protobuf_c_message_init(md, m);
	return m;
}

/* A request whose only bad field is the target's, set to "bad\xff"; the
 * rest is valid (a Hello says protocol 1, a spec has argv). */
static Runnel__V1__ClientMessage *
utf8_request(const struct target *t)
{
	static char		 bad[] = "bad\xff", prog[] = "true";
	ProtobufCMessage	*m, *root;
	Runnel__V1__ClientMessage *cm;
	ProtobufCBinaryData	*argv;
	void			*slot;
	size_t			 k;

	root = m = utf8_new(&runnel__v1__client_message__descriptor);
	for (k = 0; k < t->depth; k++) {
		if (k + 1 == t->depth) {
			slot = utf8_slot(m, t->chain[k], sizeof(char *));
			*(char **)slot = bad;
			break;
		}
		slot = utf8_slot(m, t->chain[k], sizeof(ProtobufCMessage *));
		*(ProtobufCMessage **)slot = utf8_new(t->chain[k]->descriptor);
		m = *(ProtobufCMessage **)slot;
	}
	cm = (Runnel__V1__ClientMessage *)root;
	if (cm->request_case == RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO)
		cm->hello->protocol_version = 1;
	if (cm->request_case == RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT) {
		if (cm->submit->spec == NULL)
			cm->submit->spec = (Runnel__V1__TaskSpec *)utf8_new(
			    &runnel__v1__task_spec__descriptor);
		argv = utf8_alloc(sizeof *argv);
		argv->data = (uint8_t *)prog;
		argv->len = strlen(prog);
		cm->submit->spec->argv = argv;
		cm->submit->spec->n_argv = 1;
	}
	return cm;
}

/* The daemon still answers Status on this connection. */
static void
utf8_status(struct rawc *rc)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__StatusRequest	 sr = RUNNEL__V1__STATUS_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS;
	m.status = &sr;
	r = rawc_call(rc, &m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS);
	rawc_free(r);
}

/* A wire_walk callback: fail at a string that is not UTF-8. */
static int
utf8_valid_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	const char	*s;

	(void)md;
	(void)arg;
	if (f->type != PROTOBUF_C_TYPE_STRING)
		return 0;
	s = *(char **)value;
	ck_assert_msg(utf8_valid(s, strlen(s)), "reply field %s is not UTF-8",
	    path);
	return 0;
}

/* Every string of a reply is UTF-8. */
static void
utf8_assert_reply(Runnel__V1__ServerMessage *r)
{
	wire_walk(&r->base, utf8_valid_cb, NULL);
}

/* No reply needed the last-resort escape in session_send(): every text
 * was escaped where it was made. */
static void
utf8_assert_no_net(void)
{
	pthread_mutex_lock(&h.log_mtx);
	ck_assert_msg(h.log == NULL || strstr(h.log, "sent escaped") == NULL,
	    "a reply needed the escape of the last resort: %s", h.log);
	pthread_mutex_unlock(&h.log_mtx);
}

/* The descriptors lead to every string field, nested ones too. */
START_TEST(test_fields_found)
{
	const ProtobufCFieldDescriptor	*chain[UTF8_MAX_DEPTH];
	static const char *const	 expect[] = {
		"hello.client_name", "submit.spec.name", "submit.spec.queue",
		"submit.spec.key", "submit.spec.labels[0].key",
		"submit.spec.labels[0].value", "submit.spec.rlimits[0].name",
		"watch.select.labels[0].key", "watch.select.labels[0].value",
		"watch.select.queue", "list.select.queue", "queue.name",
	};
	size_t				 i, k;

	ntargets = 0;
	utf8_find(&runnel__v1__client_message__descriptor, chain, 0);
	for (i = 0; i < sizeof expect / sizeof *expect; i++) {
		for (k = 0; k < ntargets; k++)
			if (strcmp(targets[k].path, expect[i]) == 0)
				break;
		ck_assert_msg(k < ntargets, "%s not found", expect[i]);
	}
}
END_TEST

/* Each string field of each request, set to "bad\xff", is refused with
 * INVALID_ARGUMENT naming it, and the daemon goes on serving. */
START_TEST(test_every_string_field)
{
	const ProtobufCFieldDescriptor	*chain[UTF8_MAX_DEPTH];
	Runnel__V1__ClientMessage	*m;
	Runnel__V1__ServerMessage	*r;
	struct rawc			 rc;
	char				 want[WIRE_PATH_MAX + 32];
	size_t				 i;

	ntargets = 0;
	utf8_find(&runnel__v1__client_message__descriptor, chain, 0);
	for (i = 0; i < ntargets; i++) {
		m = utf8_request(&targets[i]);
		snprintf(want, sizeof want, "%s: not valid UTF-8",
		    targets[i].path);
		if (m->request_case ==
		    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO) {
			/* A bad Hello closes the session, as every refused
			 * Hello does. */
			rc.fd = harness_raw_unix(&h);
			rc.next_id = 0;
		} else
			rawc_open(&rc, &h);
		r = rawc_call(&rc, m);
		ck_assert_msg(r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR,
		    "%s: reply %d, not an error", targets[i].path,
		    (int)r->reply_case);
		ck_assert_int_eq(r->error->code,
		    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
		ck_assert_str_eq(r->error->message, want);
		rawc_free(r);
		if (m->request_case ==
		    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO) {
			ck_assert_ptr_null(rawc_recv(&rc));
			rawc_close(&rc);
			rawc_open(&rc, &h);
		}
		utf8_status(&rc);
		rawc_close(&rc);
		utf8_free_all();
	}
	ck_assert_uint_ge(ntargets, 12);
}
END_TEST

/* The role is checked before anything is validated: a viewer's Submit
 * with a bad name is refused for the role, not for the name. */
START_TEST(test_role_first)
{
	struct runnel_client	*c = harness_client(&h, "victor");
	struct runnel_spec	 spec;
	const char		*argv[] = { "true", NULL };
	uint64_t		 id;

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.name = "bad\xff";
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EPERM);
	runnel_close(c);
}
END_TEST

/* Submit a spec; return the Error reply (the caller frees it), or NULL
 * with *id set when it was accepted. */
static Runnel__V1__ServerMessage *
utf8_submit(struct rawc *rc, Runnel__V1__TaskSpec *spec, uint64_t *id)
{
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sr = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;

	sr.spec = spec;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	m.submit = &sr;
	r = rawc_call(rc, &m);
	utf8_assert_reply(r);
	*id = 0;
	if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT) {
		*id = r->submit->task_id;
		rawc_free(r);
		return NULL;
	}
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	return r;
}

/* Refused bytes are quoted escaped in the Error. */
START_TEST(test_bytes_in_errors)
{
	const char			*argv[] = { "true", NULL };
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	ProtobufCBinaryData		 env;
	struct rawc			 rc;
	uint64_t			 id;

	rawc_open(&rc, &h);
	spec = rawc_spec(argv);
	spec->cwd.data = (uint8_t *)(uintptr_t)"rel\xff";
	spec->cwd.len = 4;
	r = utf8_submit(&rc, spec, &id);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->error->code,
	    RUNNEL__V1__ERROR_CODE__ERROR_INVALID_ARGUMENT);
	ck_assert_str_eq(r->error->message,
	    "cwd 'rel\\xff' is not an absolute path");
	rawc_free(r);

	spec->cwd.data = NULL;
	spec->cwd.len = 0;
	env.data = (uint8_t *)(uintptr_t)"\xff\xfe";
	env.len = 2;
	spec->env = &env;
	spec->n_env = 1;
	r = utf8_submit(&rc, spec, &id);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->error->message,
	    "environment entry '\\xff\\xfe' is not NAME=VALUE");
	rawc_free(r);
	spec->env = NULL;
	spec->n_env = 0;
	utf8_status(&rc);
	rawc_spec_free(spec);
	rawc_close(&rc);
	utf8_assert_no_net();
}
END_TEST

/* Look for a string in a reason.  Under valgrind, runneld's vfork child
 * runs as a plain fork: an exec or chdir error never reaches the daemon,
 * only the 127, and there is no reason to look in. */
static void
utf8_assert_reason(const Runnel__V1__TaskInfo *t, const char *want)
{
	if (harness_wrapped())
		return;
	ck_assert_msg(strstr(t->reason, want) != NULL, "task %llu: reason "
	    "'%s' lacks '%s'", (unsigned long long)t->id, t->reason, want);
}

/* Tasks whose argv, env and cwd hold bytes that are not UTF-8: Show,
 * List, Wait and Watch all send only UTF-8, the bytes escaped. */
START_TEST(test_bytes_in_replies)
{
	const char			*bad_prog[] = { "\xff", NULL };
	const char			*ok_prog[] = { "true", NULL };
	Runnel__V1__TaskSpec		*s1, *s2;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__WatchRequest	 wr = RUNNEL__V1__WATCH_REQUEST__INIT;
	Runnel__V1__ServerMessage	*r;
	ProtobufCBinaryData		 env;
	struct rawc			 rc;
	uint64_t			 ids[2], wid;
	size_t				 i, events = 0;
	int				 end = 0;

	rawc_open(&rc, &h);
	s1 = rawc_spec(bad_prog);
	ck_assert_ptr_null(utf8_submit(&rc, s1, &ids[0]));
	s2 = rawc_spec(ok_prog);
	env.data = (uint8_t *)(uintptr_t)"K=\xff";
	env.len = 3;
	s2->env = &env;
	s2->n_env = 1;
	s2->cwd.data = (uint8_t *)(uintptr_t)"/nonexistent/\xff";
	s2->cwd.len = 14;
	ck_assert_ptr_null(utf8_submit(&rc, s2, &ids[1]));
	s2->env = NULL;
	s2->n_env = 0;
	s2->cwd.data = NULL;
	s2->cwd.len = 0;

	r = rawc_wait(&rc, ids, 2, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	utf8_assert_reply(r);
	ck_assert_uint_eq(r->wait->n_tasks, 2);
	utf8_assert_reason(r->wait->tasks[0], "cannot start '\\xff'");
	utf8_assert_reason(r->wait->tasks[1],
	    "cannot start 'true' in /nonexistent/\\xff");
	rawc_free(r);

	for (i = 0; i < 2; i++) {
		r = rawc_show(&rc, ids[i]);
		utf8_assert_reply(r);
		ck_assert_int_eq(r->task->task->state,
		    RUNNEL__V1__TASK_STATE__TASK_FAILED);
		utf8_assert_reason(r->task->task, i == 0 ?
		    "cannot start '\\xff'" : "in /nonexistent/\\xff");
		rawc_free(r);
	}

	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST);
	ck_assert_uint_eq(r->list->n_tasks, 2);
	utf8_assert_reply(r);
	rawc_free(r);

	wr.task_ids = ids;
	wr.n_task_ids = 2;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WATCH;
	m.watch = &wr;
	wid = rawc_send(&rc, &m);
	while (!end && (r = rawc_recv(&rc)) != NULL) {
		ck_assert_uint_eq(r->id, wid);
		utf8_assert_reply(r);
		if (r->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK) {
			utf8_assert_reason(r->task->task, "\\xff");
			events++;
		}
		end = r->reply_case ==
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END;
		rawc_free(r);
	}
	ck_assert(end);
	ck_assert_uint_eq(events, 2);
	utf8_status(&rc);
	rawc_spec_free(s1);
	rawc_spec_free(s2);
	rawc_close(&rc);
	utf8_assert_no_net();
}
END_TEST

/* A journal of an older build, whose texts are not UTF-8, replays: the
 * task is there, and every text about it comes escaped. */
START_TEST(test_old_journal)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr =
	    RUNNEL__JOURNAL__V1__TASK_RECORD__INIT;
	Runnel__Journal__V1__QueueRecord qr =
	    RUNNEL__JOURNAL__V1__QUEUE_RECORD__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	Runnel__V1__Label		 l = RUNNEL__V1__LABEL__INIT;
	Runnel__V1__Label		*lp = &l;
	Runnel__V1__Rlimit		 rl = RUNNEL__V1__RLIMIT__INIT;
	Runnel__V1__Rlimit		*rlp = &rl;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__ListRequest		 lr = RUNNEL__V1__LIST_REQUEST__INIT;
	Runnel__V1__ServerMessage	*reply;
	Runnel__V1__TaskInfo		*t;
	ProtobufCBinaryData		 argv;
	struct rawc			 rc;
	char				 journal[160];

	snprintf(journal, sizeof journal, "%s/state/journal", h.dir);
	harness_shutdown(&h);
	ck_assert_int_eq(unlink(journal), 0);

	qr.name = (char *)(uintptr_t)"q\xff";
	qr.state = RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_QUEUE;
	r.queue = &qr;
	jrec_append(journal, &r);

	argv.data = (uint8_t *)(uintptr_t)"true";
	argv.len = 4;
	spec.argv = &argv;
	spec.n_argv = 1;
	spec.name = (char *)(uintptr_t)"n\xff";
	spec.queue = (char *)(uintptr_t)"q\xff";
	spec.key = (char *)(uintptr_t)"k\xc3";
	l.key = (char *)(uintptr_t)"lk\xff";
	l.value = (char *)(uintptr_t)"lv\xed\xa0\x80";
	spec.labels = &lp;
	spec.n_labels = 1;
	rl.name = (char *)(uintptr_t)"nofile\xff";
	rl.soft = 64;
	spec.rlimits = &rlp;
	spec.n_rlimits = 1;
	tr.id = 7;
	tr.spec = &spec;
	tr.owner = (char *)(uintptr_t)"own\xff";
	tr.queue = (char *)(uintptr_t)"q\xff";
	tr.reason = (char *)(uintptr_t)"why\xff";
	tr.cancelled_by = (char *)(uintptr_t)"by\xff";
	tr.state = RUNNEL__V1__TASK_STATE__TASK_CANCELLED;
	tr.created_ms = tr.ended_ms = 1;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	jrec_append(journal, &r);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "journal: record at offset 0: "
	    "1 text not UTF-8 (queue.name), escaped"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "10 texts not UTF-8 "
	    "(task.spec.name, ...), escaped"), 0);

	rawc_open(&rc, &h);
	reply = rawc_show(&rc, 7);
	utf8_assert_reply(reply);
	t = reply->task->task;
	ck_assert_str_eq(t->name, "n\\xff");
	ck_assert_str_eq(t->owner, "own\\xff");
	ck_assert_str_eq(t->queue, "q\\xff");
	ck_assert_str_eq(t->key, "k\\xc3");
	ck_assert_str_eq(t->reason, "why\\xff");
	ck_assert_str_eq(t->cancelled_by, "by\\xff");
	ck_assert_uint_eq(t->n_labels, 1);
	ck_assert_str_eq(t->labels[0]->key, "lk\\xff");
	ck_assert_str_eq(t->labels[0]->value, "lv\\xed\\xa0\\x80");
	ck_assert_int_eq(t->state, RUNNEL__V1__TASK_STATE__TASK_CANCELLED);
	rawc_free(reply);

	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_LIST;
	m.list = &lr;
	reply = rawc_call(&rc, &m);
	ck_assert_int_eq(reply->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_LIST);
	ck_assert_uint_eq(reply->list->n_tasks, 1);
	ck_assert_uint_eq(reply->list->tasks[0]->id, 7);
	utf8_assert_reply(reply);
	rawc_free(reply);
	rawc_close(&rc);
	utf8_assert_no_net();
}
END_TEST

/* Build the suite. */
static Suite *
check_utf8_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("utf8");
	tc = tcase_create("fields");
	tcase_add_test(tc, test_fields_found);
	suite_add_tcase(s, tc);
	tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_every_string_field);
	tcase_add_test(tc, test_role_first);
	tcase_add_test(tc, test_bytes_in_errors);
	tcase_add_test(tc, test_bytes_in_replies);
	tcase_add_test(tc, test_old_journal);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(check_utf8_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
