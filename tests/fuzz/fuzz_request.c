/*
 * fuzz_request.c - libFuzzer target: requests from a peer, as session.c
 * takes them: frames decoded against the limit, ClientMessages unpacked,
 * then validated and dispatched by rpc_dispatch on a throw-away daemon
 * state (its journal in a temp dir, its only queue paused so that no
 * process is ever started).  The first input byte picks the peer: a user
 * or an admin (queue operations), after Hello or before it.  Each run ends
 * with the session lost and every task freed.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "log.h"
#include "runneld.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

static char	fuzz_dir[64];

/* A daemon with a paused default queue and an open journal, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char		 path[128], *cause = NULL;
	struct config	*conf;
	FILE		*f;

	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fuzz_request.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/runneld.conf", fuzz_dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[server]\nstate_dir = %s\nsocket = none\nrun_as_root = yes\n"
	    "[limits]\nmax_frame = 64k\nmax_queued_per_identity = 100\n"
	    "[access]\nfuzz = user\n", fuzz_dir);
	fclose(f);
	if ((conf = config_load(path, &cause)) == NULL)
		abort();
	log_init(1, 0);
	memset(&server, 0, sizeof server);
	server.conf = conf;
	TAILQ_INIT(&server.sessions);
	queue_init();
	queue_find("default")->state = RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED;
	server.uid = getuid();
	server.euid = geteuid();
	server.spool_dir = xasprintf("%s/tasks", fuzz_dir);
	mkdir(server.spool_dir, 0700);
	if ((server.base = event_base_new()) == NULL)
		abort();
	event_base_priority_init(server.base, PRI_COUNT);
	sched_init();
	output_writer_start();
	if (journal_open(fuzz_dir, 1, &cause) != 0)
		abort();
	return 0;
}

/* Pause every queue. */
static void
fuzz_pause_all(void)
{
	struct queue	*q;

	TAILQ_FOREACH(q, &server.queues, entry)
		q->state = RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED;
}

/* Forget every task, as if the daemon had never seen one. */
static void
fuzz_reset(void)
{
	struct queue	*q;
	struct task	*t;
	size_t		 i;

	TASK_FOREACH(t, i)
		output_remove(t->output);
	task_free_all();
	server.nqueued = server.nqueued_deps = server.nfinished = 0;
	TAILQ_FOREACH(q, &server.queues, entry) {
		q->nqueued = q->nrunning = q->nqueued_deps = 0;
		TAILQ_INIT(&q->tasks);
		q->sched_next = NULL;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Runnel__V1__ClientMessage	*msg;
	struct session			*s;
	enum frame_result		 r;
	uint32_t			 len;
	int				 sv[2];

	if (size < 1)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		abort();
	session_create(sv[0], NULL, "fuzz");
	s = TAILQ_LAST(&server.sessions, session_list);
	free(s->identity);
	s->identity = xstrdup(data[0] & 2 ? "admin" : "fuzz");
	s->role = data[0] & 2 ? ROLE_ADMIN : ROLE_USER;
	if ((data[0] & 1) && s->state == SESSION_HELLO)
		session_set_state(s, SESSION_READY);
	data++;
	size--;

	while (s->state < SESSION_CLOSING && size >= FRAME_HEADER) {
		r = frame_parse(data, size, server.conf->max_frame, &len);
		if (r != FRAME_OK)
			break;
		msg = runnel__v1__client_message__unpack(NULL, len,
		    data + FRAME_HEADER);
		data += FRAME_HEADER + len;
		size -= FRAME_HEADER + len;
		if (msg == NULL)
			break;
		rpc_dispatch(s, msg);
		runnel__v1__client_message__free_unpacked(msg, NULL);
	}
	/* A queue the fuzzer made or resumed must not start a task when the
	 * loop runs. */
	fuzz_pause_all();
	session_lost(s, NULL);
	close(sv[1]);
	/* The session's memory is freed from the loop. */
	event_base_loop(server.base, EVLOOP_NONBLOCK);
	fuzz_reset();
	return 0;
}
