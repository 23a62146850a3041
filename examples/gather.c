/*
 * gather.c - librunnel on a program's own libevent loop, without threads.
 *
 * Two looping tasks print "...boo N" and "...baa N"; their output comes
 * interleaved on our stdout while the loop also runs a timer, which after
 * a few seconds cancels both.  Then three short tasks are submitted at once
 * and gathered: each result is printed as its task completes, whatever the
 * order they were submitted in.
 *
 *	cc gather.c $(pkg-config --cflags --libs runnel) -o gather
 *	RUNNEL_HOST=host:7433 RUNNEL_CA=ca.crt RUNNEL_CERT=me.crt \
 *	    RUNNEL_KEY=me.key ./gather [SECONDS]
 *
 * Without RUNNEL_HOST it uses the daemon's local unix socket.  SECONDS
 * (default 3) is how long the looping tasks run before the cancel.
 */

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <runnel.h>

#define NSHORT	3

struct gather {
	struct event_base	*base;
	struct runnel_client	*client;
	struct event		*timer;
	struct timeval		 loop_for;
	uint64_t		 loops[2];	/* boo, baa */
	int			 nloops;	/* submitted */
	int			 loops_done;
	int			 gathered;
	int			 status;	/* the exit status */
};

/* One of the short tasks, and its slot for the result. */
struct short_task {
	struct gather		*g;
	const char		*name;
	const char		*script;
	uint64_t		 id;
};

static struct short_task shorts[NSHORT] = {
	{ .name = "slow", .script = "sleep 1.2; echo slow done" },
	{ .name = "fast", .script = "sleep 0.2; exit 3" },
	{ .name = "medium", .script = "sleep 0.7" },
};

/* Give up: say why, and end the loop. */
static void
gather_fail(struct gather *g, const char *what, int r)
{
	fprintf(stderr, "gather: %s: %s: %s\n", what, runnel_strerror(r),
	    runnel_last_error(g->client));
	g->status = 1;
	event_base_loopexit(g->base, NULL);
}

/* A short task ended: print its result now, as it completes.  The task
 * belongs to the library and is freed after the call. */
static void
short_done_cb(void *arg, int r, const struct runnel_task *tasks, size_t n)
{
	struct short_task	*st = arg;
	struct gather		*g = st->g;

	if (r != 0 || n != 1) {
		gather_fail(g, "wait", r);
		return;
	}
	printf("gathered %s (task %llu): %s, exit status %d\n", st->name,
	    (unsigned long long)tasks[0].id, runnel_state_name(tasks[0].state),
	    tasks[0].exit_code);
	fflush(stdout);
	if (++g->gathered == NSHORT) {
		/* Closing from a callback: freed once it returns. */
		runnel_close(g->client);
		g->client = NULL;
		event_base_loopexit(g->base, NULL);
	}
}

/* A short task was accepted: wait for it on its own, so that each wait
 * ends when its task does. */
static void
short_submitted_cb(void *arg, int r, uint64_t id)
{
	struct short_task	*st = arg;

	if (r != 0) {
		gather_fail(st->g, "submit", r);
		return;
	}
	st->id = id;
	if ((r = runnel_wait_async(st->g->client, &st->id, 1, short_done_cb,
	    st)) != 0)
		gather_fail(st->g, "wait", r);
}

/* Submit the short tasks all at once. */
static void
gather_start_shorts(struct gather *g)
{
	struct runnel_spec	 spec = { 0 };
	const char		*argv[4] = { "sh", "-c", NULL, NULL };
	int			 i, r;

	printf("gathering %d short tasks\n", NSHORT);
	for (i = 0; i < NSHORT; i++) {
		shorts[i].g = g;
		argv[2] = shorts[i].script;
		spec.argv = argv;
		spec.name = shorts[i].name;
		/* The spec is read during the call only. */
		if ((r = runnel_submit_async(g->client, &spec,
		    short_submitted_cb, &shorts[i])) != 0) {
			gather_fail(g, "submit", r);
			return;
		}
	}
}

/* Output of a looping task: straight to our stdout, interleaved. */
static int
loop_output_cb(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	(void)arg;
	(void)task_id;
	(void)stream;
	(void)offset;
	(void)time_us;
	fwrite(data, 1, len, stdout);
	fflush(stdout);
	return (0);
}

/* A looping task ended (its state event). */
static int
loop_end_cb(void *arg, const struct runnel_task *task)
{
	(void)arg;
	printf("task %llu (%s) ended: %s\n", (unsigned long long)task->id,
	    task->name != NULL ? task->name : "?",
	    runnel_state_name(task->state));
	return (0);
}

/* A looping task's watch is over; after both, the gathering. */
static void
loop_done_cb(void *arg, int r)
{
	struct gather	*g = arg;

	if (r != 0) {
		gather_fail(g, "watch", r);
		return;
	}
	if (++g->loops_done == 2)
		gather_start_shorts(g);
}

/* A looping task was accepted. */
static void
loop_submitted_cb(void *arg, int r, uint64_t id)
{
	struct gather	*g = arg;

	if (r != 0)
		return;		/* loop_done_cb hears of it too */
	g->loops[g->nloops++] = id;
}

/* How many tasks the cancel reached. */
static void
cancel_done_cb(void *arg, int r)
{
	struct gather	*g = arg;

	if (r < 0)
		gather_fail(g, "cancel", r);
	else
		printf("cancel reached %d tasks\n", r);
}

/* Time is up for the looping tasks: cancel both. */
static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gather	*g = arg;
	int		 r;

	(void)fd;
	(void)what;
	if ((r = runnel_cancel_async(g->client, g->loops, (size_t)g->nloops,
	    0, 0, cancel_done_cb, g)) != 0)
		gather_fail(g, "cancel", r);
}

/* Connected: start the looping tasks, each watched on its submit. */
static void
connect_cb(void *arg, int r)
{
	static const char *const boo[] = { "sh", "-c",
	    "i=0; while :; do echo \"...boo $i\"; i=$((i+1)); sleep 0.3; done",
	    NULL };
	static const char *const baa[] = { "sh", "-c",
	    "i=0; while :; do echo \"...baa $i\"; i=$((i+1)); sleep 0.4; done",
	    NULL };
	struct gather			*g = arg;
	struct runnel_spec		 spec = { 0 };
	struct runnel_watch_opts	 w = { 0 };

	if (r != 0) {
		gather_fail(g, "connect", r);
		return;
	}
	printf("connected as %s (%s)\n", runnel_identity(g->client),
	    runnel_role(g->client));
	w.on_output = loop_output_cb;
	w.on_end = loop_end_cb;
	w.arg = g;
	spec.argv = boo;
	spec.name = "boo";
	if ((r = runnel_run_async(g->client, &spec, &w, loop_submitted_cb,
	    loop_done_cb)) != 0) {
		gather_fail(g, "run", r);
		return;
	}
	spec.argv = baa;
	spec.name = "baa";
	if ((r = runnel_run_async(g->client, &spec, &w, loop_submitted_cb,
	    loop_done_cb)) != 0) {
		gather_fail(g, "run", r);
		return;
	}
	evtimer_add(g->timer, &g->loop_for);
}

int
main(int argc, char *argv[])
{
	struct runnel_connect_opts	 opts = { 0 };
	struct gather			 g = { 0 };
	double				 secs = 3;
	int				 r;

	if (argc > 1 && (secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: gather [SECONDS]\n");
		return (2);
	}
	g.loop_for.tv_sec = (time_t)secs;
	g.loop_for.tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 1e6);
	if ((g.base = event_base_new()) == NULL ||
	    (g.timer = evtimer_new(g.base, timer_cb, &g)) == NULL) {
		fprintf(stderr, "gather: cannot set up the event loop\n");
		return (1);
	}
	opts.host = getenv("RUNNEL_HOST");
	opts.ca = getenv("RUNNEL_CA");
	opts.cert = getenv("RUNNEL_CERT");
	opts.key = getenv("RUNNEL_KEY");
	opts.client_name = "gather example";
	if ((r = runnel_connect_async(&g.client, g.base, &opts, connect_cb,
	    &g)) != 0) {
		fprintf(stderr, "gather: connect: %s: %s\n", runnel_strerror(r),
		    runnel_last_error(NULL));
		return (1);
	}
	event_base_dispatch(g.base);
	runnel_close(g.client);
	event_free(g.timer);
	event_base_free(g.base);
	return (g.status);
}
