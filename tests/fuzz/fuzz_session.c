/*
 * fuzz_session.c - libFuzzer target: whole sessions against the real
 * daemon, as OpenSSH's session harnesses drive sshd.  One daemon state for
 * the process (configuration, task table, queues, scheduler, journal and
 * spool in a temp dir); per input up to FUZZ_SESSION_CONNS connections,
 * each a real session (session.c) over a socketpair, of one of several
 * identities and roles.  Their frames go through the session's frame
 * decoder and rpc_dispatch; their replies are read back from the socket
 * and checked: each is a whole frame holding a ServerMessage, with valid
 * UTF-8 in every `string` field (FUZZ_SESSION_UTF8=0 in the environment
 * leaves that out), and the daemon's counters agree with its task table.
 *
 * The input is a list of steps, each [op][length: 2 bytes LE][bytes]:
 * a ClientMessage built from the bytes (Hello first when the session has
 * not said it; Submit, Watch, Stdin, Cancel, Wait, Clean, Restart, Queue,
 * List, Show, Status with task ids the daemon gave), the bytes as a raw
 * stream or as one frame, another connection or identity, the peer
 * closing or no longer reading (back-pressure), a turn of the loop, the default queue let run, or runneld
 * stopped and started again from its journal.
 *
 * No task runs what the fuzzer asks.  Frames are put into the session's
 * input and its read callback is triggered from here, never from the
 * loop, so that after each step, before the loop can start anything, every
 * new task's argv becomes true, false, echo (with its arguments) or cat
 * (for a task with stdin), after the name it asked for, and its
 * environment is dropped.  The default queue is paused but during a "run"
 * step.  At the end of each input every session is closed, every process
 * killed and reaped, every task and queue freed and the journal emptied;
 * no descriptor may stay open.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "fuzz_session.h"
#include "log.h"
#include "runneld.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_SESSION_CONNS	4
#define FUZZ_SESSION_STEPS	128	/* most steps of one input */
#define FUZZ_SESSION_IDS	64	/* task ids remembered from replies */
#define FUZZ_SESSION_RUN_MS	10	/* most a run step waits for tasks */

enum fuzz_session_op {
	FUZZ_SESSION_MESSAGE,	/* a ClientMessage built from the bytes */
	FUZZ_SESSION_RAW,	/* the bytes, as a part of the stream */
	FUZZ_SESSION_FRAME,	/* the bytes as one frame's payload */
	FUZZ_SESSION_SWITCH,	/* to another connection, opened if need be */
	FUZZ_SESSION_PEER,	/* the peer closes, shuts down, stalls */
	FUZZ_SESSION_LOOP,	/* a turn of the loop, a few ms of timers */
	FUZZ_SESSION_RUN,	/* the default queue runs its tasks */
	FUZZ_SESSION_RESTART,	/* runneld stops and starts again */
	FUZZ_SESSION_NOPS
};

/* A connection: the daemon's session and our end of its socketpair. */
struct fuzz_session_conn {
	struct session	*s;	/* NULL once the daemon let it go */
	int		 fd;	/* ours; -1: none */
	struct evbuffer	*in;	/* replies read, the last one maybe partial */
	uint64_t	 next_req;
	int		 stalled;	/* we read nothing: back-pressure */
	struct evbuffer	*held;	/* sent, not read by a paused session */
};

/* Who a connection may be. */
static const struct {
	const char	*name;
	enum role	 role;
} fuzz_session_who[] = {
	{ "fuzz", ROLE_USER },
	{ "other", ROLE_USER },
	{ "admin", ROLE_ADMIN },
	{ "view", ROLE_VIEWER },
	{ "nobody", ROLE_NONE },
};

/* What a tamed task runs instead of its argv. */
static char	fuzz_session_true[] = "/bin/true";
static char	fuzz_session_false[] = "/bin/false";
static char	fuzz_session_echo[] = "/bin/echo";
static char	fuzz_session_cat[] = "/bin/cat";

static struct {
	char			 dir[64];
	struct fuzz_session_conn conns[FUZZ_SESSION_CONNS];
	struct fuzz_session_conn *cur;
	uint64_t		 ids[FUZZ_SESSION_IDS];
	size_t			 nids;
	struct event		*tick;	/* ends a blocking turn of the loop */
	int			 utf8;	/* check the replies' strings */
	int			 nfds_grew; /* inputs after which more were open */
} fz;

/* Nothing: the tick only makes a blocking turn of the loop return. */
static void
fuzz_session_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
}

/* Milliseconds of a monotonic clock. */
static int64_t
fuzz_session_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One turn of the loop that waits at most ms for something to happen. */
static void
fuzz_session_turn(int ms)
{
	struct timeval	tv = { 0, ms * 1000 };

	evtimer_add(fz.tick, &tv);
	event_base_loop(server.base, EVLOOP_ONCE);
	evtimer_del(fz.tick);
}

/* Is the daemon still holding this session (not freed by the loop)? */
static int
fuzz_session_alive(const struct session *s)
{
	const struct session	*x;

	TAILQ_FOREACH(x, &server.sessions, entry)
		if (x == s)
			return x->state != SESSION_DEAD;
	return 0;
}

/* Remember a task id the daemon named. */
static void
fuzz_session_remember(uint64_t id)
{
	size_t	i;

	for (i = 0; i < fz.nids; i++)
		if (fz.ids[i] == id)
			return;
	if (fz.nids < FUZZ_SESSION_IDS)
		fz.ids[fz.nids++] = id;
	else
		fz.ids[id % FUZZ_SESSION_IDS] = id;
}

/* Check one field of a reply: strings are UTF-8; task ids are kept. */
static int
fuzz_session_field_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	const char	*s;

	(void)arg;
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		s = *(char **)value;
		if (fz.utf8 && !utf8_valid(s, strlen(s))) {
			fprintf(stderr, "fuzz_session: reply field %s is not "
			    "UTF-8\n", path);
			abort();
		}
	} else if (f->type == PROTOBUF_C_TYPE_UINT64 &&
	    (strcmp(f->name, "task_id") == 0 ||
	    strcmp(f->name, "task_ids") == 0 ||
	    (md == &runnel__v1__task_info__descriptor &&
	    strcmp(f->name, "id") == 0)))
		fuzz_session_remember(*(uint64_t *)value);
	return 0;
}

/* Read what the daemon sent a connection; every whole frame must hold a
 * ServerMessage that passes the checks. */
static void
fuzz_session_read(struct fuzz_session_conn *c)
{
	Runnel__V1__ServerMessage	*msg;
	uint8_t				 hdr[FRAME_HEADER], *p;
	uint32_t			 len;
	enum frame_result		 r;

	if (c->fd == -1 || c->stalled)
		return;
	/* What is left when the daemon drops a connection may be a cut
	 * frame (a peer that closed, a session that timed out). */
	while (evbuffer_read(c->in, c->fd, 256 * 1024) > 0)
		;
	while (evbuffer_copyout(c->in, hdr, sizeof hdr) == sizeof hdr) {
		r = frame_parse(hdr, evbuffer_get_length(c->in), UINT32_MAX,
		    &len);
		if (r < 0) {
			fprintf(stderr, "fuzz_session: reply frame: %s\n",
			    frame_strerror(r));
			abort();
		}
		if (r == FRAME_NEED_MORE)
			break;
		p = evbuffer_pullup(c->in, FRAME_HEADER + len);
		msg = runnel__v1__server_message__unpack(NULL, len,
		    p + FRAME_HEADER);
		if (msg == NULL) {
			fprintf(stderr, "fuzz_session: a reply of %u bytes "
			    "does not decode\n", len);
			abort();
		}
		wire_walk(&msg->base, fuzz_session_field_cb, NULL);
		runnel__v1__server_message__free_unpacked(msg, NULL);
		evbuffer_drain(c->in, FRAME_HEADER + len);
	}
}

/* Forget the sessions the daemon let go; read every connection. */
static void
fuzz_session_read_all(void)
{
	struct fuzz_session_conn	*c;
	size_t				 i;

	for (i = 0; i < FUZZ_SESSION_CONNS; i++) {
		c = &fz.conns[i];
		if (c->s != NULL && !fuzz_session_alive(c->s))
			c->s = NULL;
		fuzz_session_read(c);
	}
}

/* Does the task run one of the harmless programs already? */
static int
fuzz_session_tamed(const struct task *t)
{
	return t->argv[0] == fuzz_session_true ||
	    t->argv[0] == fuzz_session_false ||
	    t->argv[0] == fuzz_session_echo || t->argv[0] == fuzz_session_cat;
}

/* Make every new task run true, false, echo or cat, with no environment
 * of its own: before the loop may start it. */
static void
fuzz_session_tame(void)
{
	struct task	*t;
	size_t		 i;

	TASK_FOREACH(t, i) {
		if (fuzz_session_tamed(t))
			continue;
		if (t->state == TASK_RUNNING)
			abort();	/* started before it was tamed */
		if (t->stdin_buf != NULL || t->stdin_len > 0)
			t->argv[0] = fuzz_session_cat;
		else if (strcmp(t->argv[0], "false") == 0)
			t->argv[0] = fuzz_session_false;
		else if (strcmp(t->argv[0], "echo") == 0)
			t->argv[0] = fuzz_session_echo;
		else if (strcmp(t->argv[0], "true") == 0)
			t->argv[0] = fuzz_session_true;
		else
			t->argv[0] = (unsigned char)t->argv[0][0] % 2 ?
			    fuzz_session_echo : fuzz_session_false;
		if (t->argv[0] != fuzz_session_echo) {
			t->argv[1] = NULL;
			t->argc = 1;
		}
		t->env[0] = NULL;
		t->nenv = 0;
	}
}

/* The daemon's counters agree with its table, queues and sessions. */
static void
fuzz_session_check(void)
{
	struct task	*t, *qt;
	struct queue	*q;
	struct session	*s;
	size_t		 i;
	unsigned	 nq = 0, nr = 0, nf = 0, qq, qr, ql, ns = 0;

	TASK_FOREACH(t, i) {
		if (t->state == TASK_QUEUED)
			nq++;
		else if (t->state == TASK_RUNNING)
			nr++;
		else
			nf++;
	}
	if (nq != server.nqueued || nr != server.nrunning ||
	    nf != server.nfinished) {
		fprintf(stderr, "fuzz_session: %u queued, %u running, %u "
		    "finished; counted %u, %u, %u\n", nq, nr, nf,
		    server.nqueued, server.nrunning, server.nfinished);
		abort();
	}
	TAILQ_FOREACH(q, &server.queues, entry) {
		qq = qr = ql = 0;
		TASK_FOREACH(t, i) {
			qq += t->queue == q && t->state == TASK_QUEUED;
			qr += t->queue == q && t->state == TASK_RUNNING;
		}
		TAILQ_FOREACH(qt, &q->tasks, queue_entry)
			ql++;
		if (qq != q->nqueued || qr != q->nrunning || ql != qq) {
			fprintf(stderr, "fuzz_session: queue %s: %u queued "
			    "(%u listed), %u running; counted %u, %u\n",
			    q->name, qq, ql, qr, q->nqueued, q->nrunning);
			abort();
		}
	}
	TAILQ_FOREACH(s, &server.sessions, entry)
		ns++;
	if (ns != server.nsessions)
		abort();
}

/* Run the loop until the submissions in flight are answered; read. */
static void
fuzz_session_settle(void)
{
	int	i;

	event_base_loop(server.base, EVLOOP_NONBLOCK);
	for (i = 0; i < 100 && journal_acks_pending(); i++)
		fuzz_session_turn(10);
	fuzz_session_read_all();
	fuzz_session_check();
}

/* Put bytes into a session's input and let it read them, as if they had
 * come from the peer; tame what they submitted; settle. */
static void
fuzz_session_inject(struct fuzz_session_conn *c, const void *p, size_t n)
{
	struct evbuffer	*in;

	if (c->s == NULL || c->s->state >= SESSION_CLOSING ||
	    n == 0)
		return;
	/* A session whose replies wait unread reads no requests: the bytes
	 * wait behind those it left, as in a socket. */
	if (c->s->read_paused) {
		evbuffer_add(c->held, p, n);
		return;
	}
	/* A socket bufferevent's input takes bytes only from its socket:
	 * its end is frozen but while it reads. */
	in = bufferevent_get_input(c->s->bev);
	evbuffer_unfreeze(in, 0);
	evbuffer_add(in, p, n);
	evbuffer_freeze(in, 0);
	bufferevent_trigger(c->s->bev, EV_READ, 0);
	/* What it left when it paused comes back here, to be injected
	 * again once it reads on (fuzz_session_release): resuming from
	 * the loop, it would dispatch requests before they are tamed. */
	if (c->s->state != SESSION_DEAD && c->s->read_paused)
		evbuffer_add_buffer(c->held, in);
	fuzz_session_tame();
	fuzz_session_settle();
}

/* Inject what a paused session left, once it reads again. */
static void
fuzz_session_release(struct fuzz_session_conn *c)
{
	struct evbuffer	*b;
	size_t		 n;

	if (c->held == NULL || (n = evbuffer_get_length(c->held)) == 0 ||
	    c->s == NULL || !fuzz_session_alive(c->s) || c->s->read_paused)
		return;
	b = c->held;
	if ((c->held = evbuffer_new()) == NULL)
		abort();
	fuzz_session_inject(c, evbuffer_pullup(b, -1), n);
	evbuffer_free(b);
}

/* Close our end of a connection and forget it. */
static void
fuzz_session_close(struct fuzz_session_conn *c)
{
	if (c->s != NULL && fuzz_session_alive(c->s))
		session_lost(c->s, NULL);
	c->s = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	if (c->in != NULL)
		evbuffer_free(c->in);
	c->in = NULL;
	if (c->held != NULL)
		evbuffer_free(c->held);
	c->held = NULL;
}

/* Pack a message as one frame and send it on the connection. */
static void
fuzz_session_send(struct fuzz_session_conn *c,
    const Runnel__V1__ClientMessage *msg)
{
	uint8_t	*buf;
	size_t	 len;

	len = runnel__v1__client_message__get_packed_size(msg);
	if ((buf = malloc(FRAME_HEADER + len)) == NULL)
		abort();
	frame_put_header(buf, len);
	runnel__v1__client_message__pack(msg, buf + FRAME_HEADER);
	fuzz_session_inject(c, buf, FRAME_HEADER + len);
	free(buf);
}

/* Open a connection of identity who in a free slot. */
static void
fuzz_session_open(struct fuzz_session_conn *c, size_t who)
{
	struct session	*s;
	unsigned	 before = server.nsessions;
	int		 sv[2];

	fuzz_session_close(c);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1)
		abort();
	session_create(sv[0], NULL, "fuzz");
	if (server.nsessions == before) {
		close(sv[1]);
		return;
	}
	s = TAILQ_LAST(&server.sessions, session_list);
	who %= sizeof fuzz_session_who / sizeof *fuzz_session_who;
	free(s->identity);
	s->identity = xstrdup(fuzz_session_who[who].name);
	s->role = fuzz_session_who[who].role;
	c->s = s;
	c->fd = sv[1];
	c->in = evbuffer_new();
	if ((c->held = evbuffer_new()) == NULL)
		abort();
	c->next_req = 0;
	c->stalled = 0;
}

/* Send the request the bytes describe, after a Hello if the session has
 * not said one. */
static void
fuzz_session_message(struct fuzz_session_conn *c, const uint8_t *p,
    size_t n)
{
	Runnel__V1__ClientMessage	msg;
	Runnel__V1__Hello		hello;
	static char			name[] = "fuzz_session";

	if (c->s == NULL)
		return;
	if (!c->s->hello_done && n > 0 && p[0] % FUZZ_SESSION_MSG_TYPES != 0) {
		runnel__v1__client_message__init(&msg);
		runnel__v1__hello__init(&hello);
		hello.protocol_version = 1;
		hello.client_name = name;
		msg.id = ++c->next_req;
		msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
		msg.hello = &hello;
		fuzz_session_send(c, &msg);
		if (c->s == NULL || !fuzz_session_alive(c->s))
			return;
	}
	if (fuzz_session_msg_build(p, n, fz.ids, fz.nids, &c->next_req,
	    &msg) == 0)
		fuzz_session_send(c, &msg);
}

/* Let the default queue run its tasks until none runs (or for at most
 * FUZZ_SESSION_RUN_MS); then put its state back. */
static void
fuzz_session_run(void)
{
	struct queue	*q = queue_find("default");
	int		 state = q->state;
	int64_t		 end = fuzz_session_now() + FUZZ_SESSION_RUN_MS;

	queue_set_state(q, RUNNEL__V1__QUEUE_STATE__QUEUE_ACTIVE);
	do {
		fuzz_session_turn(1);
		fuzz_session_read_all();
	} while ((server.nrunning > 0 || journal_acks_pending()) &&
	    fuzz_session_now() < end);
	queue_set_state(q, state);
	fuzz_session_settle();
}

/* Kill and reap every process the daemon has not reaped. */
static void
fuzz_session_reap(void)
{
	struct task	*t;
	size_t		 i;
	int		 status;
	pid_t		 r;

	TASK_FOREACH(t, i) {
		if (t->state != TASK_RUNNING || t->pid <= 0)
			continue;
		/* Not ours any more if the daemon has reaped it. */
		if ((r = waitpid(t->pid, &status, WNOHANG)) == -1)
			continue;
		if (r == 0) {
			kill(-t->pid, SIGKILL);
			kill(t->pid, SIGKILL);
			while (waitpid(t->pid, &status, 0) == -1 &&
			    errno == EINTR)
				;
		}
		(void)spawn_reaped(t->pid);
	}
}

/* Stop as runneld stops: every session closed, every process killed and
 * reaped, every task and queue freed (with remove, their output too), the
 * journal closed. */
static void
fuzz_session_stop(int remove)
{
	struct task	*t;
	size_t		 i;

	for (i = 0; i < FUZZ_SESSION_CONNS; i++)
		fuzz_session_close(&fz.conns[i]);
	fuzz_session_reap();
	TASK_FOREACH(t, i) {
		if (remove)
			output_remove(t->output);
	}
	task_free_all();
	server.nqueued = server.nqueued_deps = server.nfinished = 0;
	server.nrunning = 0;
	queue_free_all();
	/* A reply still waiting for the journal holds its session: closing
	 * the journal lets go of it before the loop frees the sessions. */
	journal_close();
	/* The sessions' memory is freed from the loop. */
	event_base_loop(server.base, EVLOOP_NONBLOCK);
	fz.nids = 0;
	fz.cur = NULL;
}

/* Start as runneld starts, from the journal (emptied first with fresh)
 * and the spool; then pause the default queue and tame what came back.
 * A journal this daemon wrote and cannot replay is a bug. */
static void
fuzz_session_start(int fresh)
{
	char	path[128], *cause = NULL;

	if (fresh) {
		snprintf(path, sizeof path, "%s/journal", fz.dir);
		unlink(path);
	}
	queue_init();
	if (journal_open(fz.dir, 1, &cause) != 0) {
		fprintf(stderr, "fuzz_session: restart: %s\n", cause);
		abort();
	}
	queue_find("default")->state = RUNNEL__V1__QUEUE_STATE__QUEUE_PAUSED;
	fuzz_session_tame();
}

/* How many descriptors the process has open. */
static int
fuzz_session_nfds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Carry out one step. */
static void
fuzz_session_step(uint8_t op, const uint8_t *p, size_t n)
{
	struct fuzz_session_conn	*c;
	uint8_t				*frame;
	size_t				 i;

	for (i = 0; i < FUZZ_SESSION_CONNS; i++)
		fuzz_session_release(&fz.conns[i]);
	if (fz.cur == NULL || (fz.cur->s == NULL && fz.cur->fd == -1)) {
		fz.cur = &fz.conns[0];
		if (fz.cur->fd == -1)
			fuzz_session_open(fz.cur, 0);
	}
	c = fz.cur;
	switch (op % FUZZ_SESSION_NOPS) {
	case FUZZ_SESSION_MESSAGE:
		fuzz_session_message(c, p, n);
		break;
	case FUZZ_SESSION_RAW:
		fuzz_session_inject(c, p, n);
		break;
	case FUZZ_SESSION_FRAME:
		if ((frame = malloc(FRAME_HEADER + n)) == NULL)
			abort();
		frame_put_header(frame, n);
		memcpy(frame + FRAME_HEADER, p, n);
		fuzz_session_inject(c, frame, FRAME_HEADER + n);
		free(frame);
		break;
	case FUZZ_SESSION_SWITCH:
		fz.cur = &fz.conns[(n > 0 ? p[0] : 0) % FUZZ_SESSION_CONNS];
		if (fz.cur->fd == -1)
			fuzz_session_open(fz.cur, n > 1 ? p[1] : 0);
		break;
	case FUZZ_SESSION_PEER:
		if (c->fd == -1)
			break;
		if (n > 0 && (p[0] & 3) != 0) {
			/* Shut down writing, or stop or go on reading. */
			if ((p[0] & 3) == 1)
				shutdown(c->fd, SHUT_WR);
			else
				c->stalled = (p[0] & 3) == 2;
			fuzz_session_settle();
			break;
		}
		close(c->fd);
		c->fd = -1;
		fuzz_session_settle();
		fuzz_session_close(c);
		break;
	case FUZZ_SESSION_LOOP:
		event_base_loop(server.base, EVLOOP_NONBLOCK);
		if (n > 0 && (p[0] & 3) != 0)
			fuzz_session_turn(p[0] & 3);
		fuzz_session_settle();
		break;
	case FUZZ_SESSION_RUN:
		fuzz_session_run();
		break;
	case FUZZ_SESSION_RESTART:
		fuzz_session_stop(0);
		fuzz_session_start(0);
		fuzz_session_settle();
		break;
	}
}

/* At exit: remove the state directory (a crash leaves it to look at). */
static void
fuzz_session_cleanup(void)
{
	static const char	*file[] = {
		"runneld.conf", "journal", "journal.tmp", "lock",
	};
	char			 path[128];
	size_t			 i;

	for (i = 0; i < sizeof file / sizeof *file; i++) {
		snprintf(path, sizeof path, "%s/%s", fz.dir, file[i]);
		unlink(path);
	}
	rmdir(server.spool_dir);
	rmdir(fz.dir);
}

/* A daemon with a paused default queue and an open journal, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char		 path[128], *cause = NULL;
	const char	*env;
	struct config	*conf;
	FILE		*f;
	size_t		 i;

	(void)argc;
	(void)argv;
	snprintf(fz.dir, sizeof fz.dir, "%s/fuzz_session.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fz.dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/runneld.conf", fz.dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[server]\nstate_dir = %s\nsocket = none\nrun_as_root = yes\n"
	    "[limits]\nmax_frame = 64k\nmax_queued_per_identity = 50\n"
	    "max_running = 4\ngrace = 2ms\nmax_inflight = 8\n"
	    "max_identity_connections = 3\n"
	    "[access]\nfuzz = user\nother = user\nadmin = admin\n"
	    "view = viewer\n", fz.dir);
	fclose(f);
	if ((conf = config_load(path, &cause)) == NULL) {
		fprintf(stderr, "fuzz_session: %s\n", cause);
		abort();
	}
	log_init(1, 0);
	signal(SIGPIPE, SIG_IGN);
	memset(&server, 0, sizeof server);
	server.conf = conf;
	TAILQ_INIT(&server.sessions);
	server.uid = getuid();
	server.euid = geteuid();
	server.start_ms = server_now_ms();
	server.spool_dir = xasprintf("%s/tasks", fz.dir);
	mkdir(server.spool_dir, 0700);
	if ((server.base = event_base_new()) == NULL)
		abort();
	event_base_priority_init(server.base, PRI_COUNT);
	sched_init();
	output_writer_start();
	fuzz_session_start(1);
	fz.tick = evtimer_new(server.base, fuzz_session_tick_cb, NULL);
	for (i = 0; i < FUZZ_SESSION_CONNS; i++)
		fz.conns[i].fd = -1;
	env = getenv("FUZZ_SESSION_UTF8");
	fz.utf8 = env == NULL || strcmp(env, "0") != 0;
	atexit(fuzz_session_cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	len, steps = 0;
	int	nfds = fuzz_session_nfds();
	uint8_t	op;

	while (size >= 3 && steps++ < FUZZ_SESSION_STEPS) {
		op = data[0];
		len = data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fuzz_session_step(op, data, len);
		data += len;
		size -= len;
	}
	fuzz_session_settle();
	fuzz_session_stop(1);
	fuzz_session_start(1);
	/* The daemon opens /dev/null once, for every task without stdin. */
	if (fuzz_session_nfds() > nfds && ++fz.nfds_grew > 1) {
		fprintf(stderr, "fuzz_session: %d descriptors open after the "
		    "input, %d before\n", fuzz_session_nfds(), nfds);
		abort();
	}
	return 0;
}
