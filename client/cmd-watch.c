/*
 * cmd-watch.c - `runnel watch`: stream the output of one or more tasks
 * until all have ended.  One task's output is copied as it is; with several,
 * every line is prefixed with "[NAME] " and lines of different tasks never
 * mix.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

/* A write failed: the watch stopped, errno is in write_errno. */
#define CMD_WATCH_STOP	1

struct cmd_watch_task {
	uint64_t		 id;
	struct print_lines	*lines;		/* NULL with a single task */
	int			 ended;
	int			 succeeded;
};

struct cmd_watch_state {
	struct cmd_watch_task	*tasks;
	size_t			 n;
	int			 write_errno;
};

static int	cmd_watch_exec(struct cli *, int, char **);

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.usage = "[--from OFFSET | --tail] SELECTION\n"
	    "Streams the selected tasks' output until all have ended (lines "
	    "prefixed\nwith [NAME] when there are several); exits 0 if all "
	    "succeeded, else 1.\n"
	    "  --from OFFSET          start at this offset of each task's "
	    "output log\n"
	    "  --tail                 start at the end of what the daemon keeps "
	    "in memory\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_watch_exec,
	.needs_connection = 1
};

static const struct option cmd_watch_options[] = {
	{ .name = "from", .has_arg = required_argument, .val = 'f' },
	{ .name = "tail", .has_arg = no_argument, .val = 't' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* Find a watched task by id. */
static struct cmd_watch_task *
cmd_watch_find(struct cmd_watch_state *ws, uint64_t id)
{
	size_t	i;

	for (i = 0; i < ws->n; i++) {
		if (ws->tasks[i].id == id)
			return (&ws->tasks[i]);
	}
	return (NULL);
}

/* Copy a chunk of output, raw or as prefixed lines. */
static int
cmd_watch_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct cmd_watch_state	*ws = arg;
	struct cmd_watch_task	*wt;
	int			 rv;

	(void)offset;
	(void)time_us;
	if ((wt = cmd_watch_find(ws, id)) == NULL)
		return (0);
	if (wt->lines == NULL)
		rv = print_output(stream, data, len);
	else
		rv = print_lines_add(wt->lines, stream, data, len);
	if (rv != 0) {
		ws->write_errno = errno;
		return (CMD_WATCH_STOP);
	}
	return (0);
}

/* A task ended: flush its partial lines, note whether it succeeded. */
static int
cmd_watch_end_cb(void *arg, const struct runnel_task *t)
{
	struct cmd_watch_state	*ws = arg;
	struct cmd_watch_task	*wt;

	if ((wt = cmd_watch_find(ws, t->id)) == NULL)
		return (0);
	wt->ended = 1;
	wt->succeeded = t->state == RUNNEL_SUCCEEDED;
	if (wt->lines != NULL && print_lines_flush(wt->lines) != 0) {
		ws->write_errno = errno;
		return (CMD_WATCH_STOP);
	}
	return (0);
}

/* Resolve the selection into tasks (validating the ids) and prepare
 * their labels; 0 or an exit status.  The ids to watch go to *idsp. */
static int
cmd_watch_prepare(struct cli *cli, struct cmd_watch_state *ws,
    const struct selector *sl, uint64_t **idsp)
{
	struct runnel_task	*tasks = NULL;
	struct cmd_watch_task	*wt;
	char			 label[32];
	size_t			 i, n = 0;
	int			 rc;

	rc = runnel_list_select(cli->client, &sl->sel, &tasks, &n);
	if (rc < 0 && sl->sel.nids == 1 && sl->nlabels == 0 &&
	    sl->sel.queue == NULL && !sl->sel.all)
		return (cli_error(cli, rc, "task %" PRIu64, sl->ids[0]));
	if (rc < 0)
		return (cli_error(cli, rc, "watch"));
	if (n == 0) {
		cli_warnx("watch: no tasks selected");
		return (CLI_EXIT_ERROR);
	}
	ws->tasks = cli_calloc(n, sizeof *ws->tasks);
	*idsp = cli_calloc(n, sizeof **idsp);
	ws->n = n;
	for (i = 0; i < n; i++) {
		wt = &ws->tasks[i];
		wt->id = (*idsp)[i] = tasks[i].id;
		snprintf(label, sizeof label, "%" PRIu64, wt->id);
		if (n > 1)
			wt->lines = print_lines_create(tasks[i].name != NULL ?
			    tasks[i].name : label);
	}
	runnel_tasks_free(tasks, n);
	return (0);
}

/* Watch tasks to their end. */
static int
cmd_watch_exec(struct cli *cli, int argc, char **argv)
{
	struct cmd_watch_state		ws;
	struct runnel_watch_opts	wo;
	struct selector			sl;
	uint64_t			*ids = NULL;
	size_t				 i;
	int				 ch, rc, rv;

	memset(&ws, 0, sizeof ws);
	memset(&wo, 0, sizeof wo);
	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_watch_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (cli_parse_u64(optarg, &wo.from_offset) != 0) {
				cli_warnx("watch: invalid offset: %s", optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			break;
		case 't':
			wo.tail = 1;
			break;
		default:
			if (!selector_option(&sl, ch, optarg)) {
				rv = cli_usage(cli, ch == 'h');
				goto out;
			}
		}
	}
	rv = selector_finish(cli, &sl, argc - optind, argv + optind);
	if (rv != CLI_CONTINUE)
		goto out;
	if (selector_empty(&sl) || (wo.tail && wo.from_offset != 0)) {
		rv = cli_usage(cli, 0);
		goto out;
	}

	if ((rv = cli_connect(cli)) != 0 ||
	    (rv = cmd_watch_prepare(cli, &ws, &sl, &ids)) != 0)
		goto out;
	wo.ids = ids;
	wo.nids = ws.n;
	wo.on_output = cmd_watch_output_cb;
	wo.on_end = cmd_watch_end_cb;
	wo.arg = &ws;
	rc = runnel_watch(cli->client, &wo);

	rv = CLI_EXIT_OK;
	for (i = 0; i < ws.n; i++) {
		if (ws.tasks[i].lines != NULL)
			print_lines_flush(ws.tasks[i].lines);
		if (!ws.tasks[i].succeeded)
			rv = CLI_EXIT_FAILED;
	}
	if (rc == CMD_WATCH_STOP) {
		if (ws.write_errno != EPIPE)
			cli_warnx("watch: %s", strerror(ws.write_errno));
		rv = CLI_EXIT_FAILED;
	} else if (rc < 0)
		rv = cli_error(cli, rc, "watch");
out:
	for (i = 0; i < ws.n; i++)
		print_lines_free(ws.tasks[i].lines);
	free(ws.tasks);
	free(ids);
	selector_free(&sl);
	return (rv);
}
