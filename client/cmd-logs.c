/*
 * cmd-logs.c - `runnel logs`: print what a task has written so far, in
 * any state, and exit: a watch of the one task that does not follow it
 * past the output it has now.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

static int	cmd_logs_exec(struct cli *, int, char **);

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "[--tail N] [--stdout | --stderr] [--timestamps] [--json] ID\n"
	    "Prints the output the task has so far, whatever its state, and "
	    "exits 0\n(5 if there is no such task).\n"
	    "  --tail N               only the last N lines\n"
	    "  --stdout, --stderr     only this stream\n"
	    "  --timestamps           prefix each line with the time it was "
	    "read\n"
	    "  --json                 one JSON object per chunk, as watch "
	    "--json\n",
	.exec = cmd_logs_exec,
	.needs_connection = 1
};

enum {
	CMD_LOGS_OPT_STDOUT = 256,
	CMD_LOGS_OPT_STDERR,
	CMD_LOGS_OPT_TIMESTAMPS,
	CMD_LOGS_OPT_JSON
};

static const struct option cmd_logs_options[] = {
	{ .name = "tail", .has_arg = required_argument, .val = 't' },
	{ .name = "stdout", .has_arg = no_argument,
	    .val = CMD_LOGS_OPT_STDOUT },
	{ .name = "stderr", .has_arg = no_argument,
	    .val = CMD_LOGS_OPT_STDERR },
	{ .name = "timestamps", .has_arg = no_argument,
	    .val = CMD_LOGS_OPT_TIMESTAMPS },
	{ .name = "json", .has_arg = no_argument, .val = CMD_LOGS_OPT_JSON },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Print a task's output so far. */
static int
cmd_logs_exec(struct cli *cli, int argc, char **argv)
{
	struct follow_args	a;
	struct selector		sl;
	struct runnel_task	t;
	uint64_t		v;
	int			ch, rc, rv;

	memset(&a, 0, sizeof a);
	memset(&t, 0, sizeof t);
	a.verb = "logs";
	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_logs_options,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
			if (cli_parse_u64(optarg, &v) != 0 || v == 0 ||
			    v > UINT32_MAX) {
				cli_warnx("logs: invalid line count: %s",
				    optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			a.tail_lines = (uint32_t)v;
			break;
		case CMD_LOGS_OPT_STDOUT:
			a.streams |= RUNNEL_STREAM_BIT(RUNNEL_STDOUT);
			break;
		case CMD_LOGS_OPT_STDERR:
			a.streams |= RUNNEL_STREAM_BIT(RUNNEL_STDERR);
			break;
		case CMD_LOGS_OPT_TIMESTAMPS:
			a.timestamps = 1;
			break;
		case CMD_LOGS_OPT_JSON:
			a.json = 1;
			break;
		default:
			rv = cli_usage(cli, ch == 'h');
			goto out;
		}
	}
	if (argc - optind != 1) {
		rv = cli_usage(cli, 0);
		goto out;
	}
	rv = selector_finish(cli, &sl, argc - optind, argv + optind);
	if (rv != CLI_CONTINUE)
		goto out;
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_show(cli->client, sl.ids[0], &t)) != 0) {
		rv = cli_error(cli, rc, "task %" PRIu64, sl.ids[0]);
		goto out;
	}
	/* A task that has not ended is followed only as far as its output
	 * is now; an ended one to its end event. */
	rv = CLI_EXIT_OK;
	switch (t.state) {
	case RUNNEL_QUEUED:
	case RUNNEL_RUNNING:
	case RUNNEL_UNKNOWN:
		if (t.output_bytes == 0)
			goto out;
		a.limit = t.output_bytes;
		break;
	default:
		break;
	}
	a.sl = &sl;
	rv = follow_run(cli, &a);
out:
	runnel_task_clear(&t);
	selector_free(&sl);
	return rv;
}
