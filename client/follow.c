/*
 * follow.c - the watch engine of `runnel watch` and `runnel logs`: stream
 * the output of a selection of tasks (follow_run(), as struct follow_args
 * says).  Tasks named by id are watched until all have ended; a followed
 * selection lets tasks that match later join, and runs until it is
 * interrupted.  One task's output is copied as it is; with several (or
 * when following), every line is prefixed with "[NAME] " and lines of
 * different tasks never mix.
 *
 * When the connection drops, the watch connects again, backing off from
 * 100 ms to 5 s and giving up after a minute without success, and asks for
 * every task from the byte after the last one it received: nothing is
 * missed or repeated.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runnel-cli.h"

/* A write failed: the watch stopped, errno is in write_errno. */
#define FOLLOW_STOP		1
/* `runnel logs` of a running task printed what there was. */
#define FOLLOW_DONE		2
/* SIGINT, SIGTERM or SIGHUP came: cli_signal says which. */
#define FOLLOW_SIGNAL		3

#define FOLLOW_RETRY_MIN_MS	100
#define FOLLOW_RETRY_MAX_MS	5000
#define FOLLOW_GIVE_UP_MS	60000

struct follow_task {
	uint64_t		 id;
	char			*name;		/* NULL: none */
	struct print_lines	*lines;		/* NULL: raw output */
	uint64_t		 next;		/* offset after the last byte */
	int			 got;		/* next is set */
	int			 ended;
	int			 succeeded;
};

struct follow_state {
	struct cli		*cli;
	const struct follow_args *args;
	struct follow_task	*tasks;
	size_t			 n, cap;
	int			 prefix;	/* "[NAME] " before lines */
	int			 colour;	/* labels in colour */
	struct runnel_client	*side;		/* names tasks that join */
	int			 side_failed;
	int			 write_errno;
	char			*json_buf;	/* the JSON line being made */
	size_t			 json_len;
	sigset_t		 waitmask;	/* for waits: signals allowed */
};

/* The names of streams in JSON. */
static const char *const follow_streams[] = {
	[RUNNEL_STDOUT] = "stdout",
	[RUNNEL_STDERR] = "stderr",
	[RUNNEL_SYSTEM] = "system"
};

/* A signal interrupted a wait: stop if it was one of ours. */
static int
follow_interrupt_cb(void *arg)
{
	(void)arg;
	return cli_signal != 0 ? FOLLOW_SIGNAL : 0;
}

/* Find a watched task by id. */
static struct follow_task *
follow_find(struct follow_state *ws, uint64_t id)
{
	size_t	i;

	for (i = 0; i < ws->n; i++) {
		if (ws->tasks[i].id == id)
			return &ws->tasks[i];
	}
	return NULL;
}

/* Add a task to the watch, with its line buffer if lines are prefixed or
 * timed. */
static struct follow_task *
follow_add(struct follow_state *ws, uint64_t id, const char *name)
{
	struct follow_task	*wt;
	char			 label[32];

	if (ws->n == ws->cap) {
		ws->cap = ws->cap == 0 ? 8 : ws->cap * 2;
		ws->tasks = cli_reallocarray(ws->tasks, ws->cap,
		    sizeof *ws->tasks);
	}
	wt = &ws->tasks[ws->n];
	memset(wt, 0, sizeof *wt);
	wt->id = id;
	if (name != NULL && (wt->name = strdup(name)) == NULL) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	snprintf(label, sizeof label, "%" PRIu64, id);
	if (ws->prefix || ws->args->timestamps) {
		wt->lines = print_lines_create(!ws->prefix ? NULL :
		    name != NULL ? name : label);
		print_lines_style(wt->lines, ws->colour ? (int)ws->n : -1,
		    ws->args->timestamps);
	}
	ws->n++;
	return wt;
}

/* A task joined a followed watch: learn its name on a second connection
 * (this one is in the middle of a read), and add it. */
static struct follow_task *
follow_join(struct follow_state *ws, uint64_t id)
{
	struct follow_task	*wt;
	struct runnel_task	 t;

	memset(&t, 0, sizeof t);
	/* The library waits here without a mask: a signal meanwhile ends
	 * runnel by its default action (see cli_release_signals). */
	cli_release_signals();
	if (ws->side == NULL && !ws->side_failed &&
	    runnel_connect(&ws->side, &ws->cli->opts) != 0) {
		ws->side = NULL;
		ws->side_failed = 1;
	}
	if (ws->side != NULL && runnel_show(ws->side, id, &t) == 0) {
		cli_catch_signals(&ws->waitmask, NULL);
		wt = follow_add(ws, id, t.name);
		runnel_task_clear(&t);
		return wt;
	}
	cli_catch_signals(&ws->waitmask, NULL);
	return follow_add(ws, id, NULL);
}

/* Writing failed: a signal stopped it, or the watch stops on the error
 * (errno). */
static int
follow_write_failed(struct follow_state *ws)
{
	if (errno == EINTR && cli_signal != 0)
		return FOLLOW_SIGNAL;
	ws->write_errno = errno;
	return FOLLOW_STOP;
}

/* Start a JSON line in memory: stdio's own writes could block out the
 * signals (see print_write). */
static FILE *
follow_json_start(struct follow_state *ws)
{
	FILE	*f;

	ws->json_len = 0;
	if ((f = open_memstream(&ws->json_buf, &ws->json_len)) == NULL) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	return f;
}

/* End a JSON line and write it out; 0, or the watch stops if writing
 * failed. */
static int
follow_json_end(struct follow_state *ws, FILE *f)
{
	int	rv = 0;

	fputs("}\n", f);
	if (fclose(f) != 0) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	if (print_write(STDOUT_FILENO, ws->json_buf, ws->json_len) != 0)
		rv = follow_write_failed(ws);
	free(ws->json_buf);
	ws->json_buf = NULL;
	return rv;
}

/* Print a chunk of output as a JSON object. */
static int
follow_json_chunk(struct follow_state *ws, struct follow_task *wt,
    enum runnel_stream stream, uint64_t offset, const void *data, size_t len,
    int64_t time_us)
{
	FILE	*f = follow_json_start(ws);

	fprintf(f, "{\"task\":%" PRIu64 ",\"name\":", wt->id);
	if (wt->name != NULL)
		print_json_string(f, wt->name);
	else
		fputs("null", f);
	fprintf(f, ",\"stream\":\"%s\",\"offset\":%" PRIu64 ",\"time_us\":%"
	    PRId64 ",\"data\":", (unsigned)stream < 3 ?
	    follow_streams[stream] : "system", offset, time_us);
	print_json_bytes(f, data, len);
	return follow_json_end(ws, f);
}

/* Copy a chunk of output: raw, as prefixed lines or as JSON. */
static int
follow_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct follow_state	*ws = arg;
	struct follow_task	*wt;
	int			 rv;

	if (cli_signal != 0)
		return FOLLOW_SIGNAL;
	if ((wt = follow_find(ws, id)) == NULL)
		wt = follow_join(ws, id);
	wt->next = offset + len;
	wt->got = 1;
	/* The stream filter of logs is applied here (see follow_run). */
	if (ws->args->streams != 0 && (stream > RUNNEL_SYSTEM ||
	    (ws->args->streams & RUNNEL_STREAM_BIT(stream)) == 0))
		rv = 0;
	else if (ws->args->json)
		return (follow_json_chunk(ws, wt, stream, offset, data,
		    len, time_us));
	else if (wt->lines == NULL)
		rv = print_output(stream, data, len);
	else {
		print_lines_time(wt->lines, time_us);
		rv = print_lines_add(wt->lines, stream, data, len);
	}
	if (rv != 0)
		return follow_write_failed(ws);
	if (ws->args->limit != 0 && wt->next >= ws->args->limit)
		return FOLLOW_DONE;
	/* One that came during the write is no longer pending: act now. */
	return cli_signal != 0 ? FOLLOW_SIGNAL : 0;
}

/* A task ended: flush its partial lines, note whether it succeeded.  After
 * a reconnect a followed task may end twice: once is said. */
static int
follow_end_cb(void *arg, const struct runnel_task *t)
{
	struct follow_state	*ws = arg;
	struct follow_task	*wt;
	FILE			*f;

	if (cli_signal != 0)
		return FOLLOW_SIGNAL;
	if ((wt = follow_find(ws, t->id)) == NULL)
		wt = follow_add(ws, t->id, t->name);
	if (wt->ended)
		return 0;
	wt->ended = 1;
	wt->succeeded = t->state == RUNNEL_SUCCEEDED;
	if (ws->args->json) {
		f = follow_json_start(ws);
		fprintf(f, "{\"task\":%" PRIu64 ",\"state\":", t->id);
		print_json_string(f, runnel_state_name(t->state));
		fprintf(f, ",\"exit_code\":%d,\"signal\":%d", t->exit_code,
		    t->signal);
		return follow_json_end(ws, f);
	}
	if (wt->lines != NULL && print_lines_flush(wt->lines) != 0)
		return follow_write_failed(ws);
	return cli_signal != 0 ? FOLLOW_SIGNAL : 0;
}

/* Resolve the selection into tasks (validating the ids) and decide how
 * lines look; 0 or an exit status. */
static int
follow_prepare(struct cli *cli, struct follow_state *ws)
{
	const struct selector	*sl = ws->args->sl;
	struct runnel_task	*tasks = NULL;
	const char		*nc;
	size_t			 i, n = 0;
	int			 rc;

	rc = runnel_list_select(cli->client, &sl->sel, &tasks, &n);
	if (rc < 0 && sl->sel.nids == 1 && sl->nlabels == 0 &&
	    sl->sel.queue == NULL && !sl->sel.all)
		return cli_error(cli, rc, "task %" PRIu64, sl->ids[0]);
	if (rc < 0)
		return cli_error(cli, rc, "%s", ws->args->verb);
	if (n == 0 && !ws->args->follow) {
		cli_warnx("%s: no tasks selected", ws->args->verb);
		return CLI_EXIT_ERROR;
	}
	nc = getenv("NO_COLOR");
	ws->prefix = ws->args->follow || n > 1;
	ws->colour = ws->prefix && !ws->args->json &&
	    isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
	for (i = 0; i < n; i++)
		follow_add(ws, tasks[i].id, tasks[i].name);
	runnel_tasks_free(tasks, n);
	return 0;
}

/* Sleep for ms milliseconds, or until one of our signals comes. */
static void
follow_sleep(const struct follow_state *ws, unsigned ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	ppoll(NULL, 0, &ts, &ws->waitmask);
}

/* Milliseconds on the monotonic clock. */
static uint64_t
follow_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The connection dropped: connect again, backing off; 0, the last error
 * once a minute has passed without success, or FOLLOW_SIGNAL. */
static int
follow_reconnect(struct cli *cli, struct follow_state *ws)
{
	uint64_t	start = follow_now_ms();
	unsigned	delay = FOLLOW_RETRY_MIN_MS;
	int		rc;

	runnel_close(cli->client);
	cli->client = NULL;
	runnel_close(ws->side);
	ws->side = NULL;
	ws->side_failed = 0;
	for (;;) {
		fprintf(stderr, "runnel: connection lost, reconnecting\n");
		follow_sleep(ws, delay);
		if (cli_signal != 0)
			return FOLLOW_SIGNAL;
		/* The library's connect lets no signal in: while it
		 * waits, one ends runnel by its default action. */
		cli_release_signals();
		rc = runnel_connect(&cli->client, &cli->opts);
		cli_catch_signals(&ws->waitmask, NULL);
		if (rc == 0)
			return 0;
		cli->client = NULL;
		/* Only a connection that fails is worth trying again. */
		if (rc != RUNNEL_ECONNECT && rc != RUNNEL_ETLS &&
		    rc != RUNNEL_EIO)
			return rc;
		if (follow_now_ms() - start >= FOLLOW_GIVE_UP_MS)
			return rc;
		delay = delay * 2 > FOLLOW_RETRY_MAX_MS ?
		    FOLLOW_RETRY_MAX_MS : delay * 2;
	}
}

/* Watch once, from where each task got to; the library's result. */
static int
follow_once(struct cli *cli, struct follow_state *ws, int *none_left)
{
	const struct follow_args		*a = ws->args;
	struct runnel_watch_opts	 wo;
	struct runnel_offset		*resume;
	uint64_t			*ids;
	size_t				 i, nids = 0, nresume = 0;
	int				 rc;

	memset(&wo, 0, sizeof wo);
	ids = cli_calloc(ws->n + 1, sizeof *ids);
	resume = cli_calloc(ws->n + 1, sizeof *resume);
	for (i = 0; i < ws->n; i++) {
		/* A task named in resume is watched: only those not over. */
		if (ws->tasks[i].got && !ws->tasks[i].ended) {
			resume[nresume].task_id = ws->tasks[i].id;
			resume[nresume++].offset = ws->tasks[i].next;
		}
		if (!ws->tasks[i].ended)
			ids[nids++] = ws->tasks[i].id;
	}
	*none_left = !a->follow && nids == 0;
	rc = 0;
	if (*none_left)
		goto out;
	if (a->follow)
		wo.select = &a->sl->sel;
	else {
		wo.ids = ids;
		wo.nids = nids;
	}
	wo.from_offset = a->from_offset;
	wo.tail_lines = a->tail_lines;
	wo.follow = a->follow;
	wo.resume = resume;
	wo.nresume = nresume;
	/* Logs of a running task stop at an offset: see every stream. */
	wo.streams = a->limit != 0 ? 0 : a->streams;
	wo.on_output = follow_output_cb;
	wo.on_end = follow_end_cb;
	wo.on_interrupt = follow_interrupt_cb;
	wo.sigmask = &ws->waitmask;
	wo.arg = ws;
	rc = runnel_watch(cli->client, &wo);
out:
	free(resume);
	free(ids);
	return rc;
}

/* A watch made again after a lost connection named a task that is gone
 * (it ended and was cleaned meanwhile): count those as ended without
 * success, saying so; 1 if one was, so the watch can be made again. */
static int
follow_forget_gone(struct cli *cli, struct follow_state *ws)
{
	struct runnel_task	t;
	size_t			i;
	int			gone = 0;

	for (i = 0; i < ws->n; i++) {
		if (ws->tasks[i].ended)
			continue;
		memset(&t, 0, sizeof t);
		if (runnel_show(cli->client, ws->tasks[i].id, &t) ==
		    RUNNEL_ENOTFOUND) {
			cli_warnx("task %" PRIu64 " was removed while the "
			    "connection was lost", ws->tasks[i].id);
			ws->tasks[i].ended = 1;
			gone = 1;
		}
		runnel_task_clear(&t);
	}
	return gone;
}

/* follow_forget_gone(), with the signals' default action (see
 * cli_release_signals) while it asks the daemon. */
static int
follow_forget_gone_released(struct cli *cli, struct follow_state *ws)
{
	int	gone;

	cli_release_signals();
	gone = follow_forget_gone(cli, ws);
	cli_catch_signals(&ws->waitmask, NULL);
	return gone;
}

/* Stream the tasks of a selection as args say; the exit status. */
int
follow_run(struct cli *cli, const struct follow_args *args)
{
	struct follow_state	ws;
	size_t			i;
	int			rc, rv, none_left, again;

	memset(&ws, 0, sizeof ws);
	ws.cli = cli;
	ws.args = args;
	/* Until the watch streams, a signal ends runnel by its default
	 * action: the library's other waits do not let it in. */
	if ((rv = cli_connect(cli)) != 0 ||
	    (rv = follow_prepare(cli, &ws)) != 0)
		goto out;
	cli_catch_signals(&ws.waitmask, NULL);
	for (again = 0;; again = 1) {
		rc = follow_once(cli, &ws, &none_left);
		if (rc == RUNNEL_ENOTFOUND && again &&
		    follow_forget_gone_released(cli, &ws))
			continue;
		if ((rc != RUNNEL_EIO && rc != RUNNEL_ETLS) || !args->reconnect)
			break;
		if ((rc = follow_reconnect(cli, &ws)) != 0)
			break;
	}

	rv = CLI_EXIT_OK;
	for (i = 0; i < ws.n; i++) {
		if (ws.tasks[i].lines != NULL)
			print_lines_flush(ws.tasks[i].lines);
		if (!ws.tasks[i].succeeded && args->limit == 0 &&
		    args->outcome)
			rv = CLI_EXIT_FAILED;
	}
	if (rc == FOLLOW_STOP && ws.write_errno == EPIPE)
		rv = CLI_EXIT_PIPE;
	else if (rc == FOLLOW_STOP) {
		cli_warnx("%s: %s", args->verb, strerror(ws.write_errno));
		rv = CLI_EXIT_FAILED;
	} else if (rc == FOLLOW_SIGNAL) {
		rv = 128 + cli_signal;
	} else if (rc < 0)
		rv = cli_error(cli, rc, "%s", args->verb);
out:
	for (i = 0; i < ws.n; i++) {
		print_lines_free(ws.tasks[i].lines);
		free(ws.tasks[i].name);
	}
	free(ws.tasks);
	runnel_close(ws.side);
	return rv;
}
