/*
 * cmd-watch.c - `runnel watch`: stream the output of tasks.  Tasks named by
 * id are watched until all have ended; a selection by --label, --queue or
 * --all is followed: tasks that match later join, and the watch runs until
 * it is interrupted.  One task's output is copied as it is; with several
 * (or when following), every line is prefixed with "[NAME] " and lines of
 * different tasks never mix.  A lost connection is made again and the
 * output goes on where it stopped.  This file parses the options; the
 * watch engine, shared with `runnel logs`, is follow.c.
 */
#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "runnel-cli.h"

static int	cmd_watch_exec(struct cli *, int, char **);

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.usage = "[--from OFFSET | --tail N] [--stdout | --stderr] "
	    "[--timestamps]\n"
	    "       [--json] [--no-follow] SELECTION\n"
	    "Streams the selected tasks' output (lines prefixed with [NAME] "
	    "when there\nare several).  Tasks given by ID are watched until "
	    "all have ended; the\nwatch then exits 0 if all succeeded, else 1.  "
	    "With --label, --queue or --all\nthe selection is followed: tasks "
	    "that match later join, and the watch runs\nuntil interrupted "
	    "(Ctrl-C).  A lost connection is made again, and the\noutput goes "
	    "on where it stopped.\n"
	    "  --from OFFSET          start at this offset of each task's "
	    "output log\n"
	    "  --tail N               start N lines before the end of each "
	    "task's output\n"
	    "  --stdout, --stderr     only this stream\n"
	    "  --timestamps           prefix each line with the time it was "
	    "read (local,\n"
	    "                         ISO 8601 with milliseconds)\n"
	    "  --json                 one JSON object per chunk of output "
	    "(task, name,\n"
	    "                         stream, offset, time_us, data) and per "
	    "task end\n"
	    "                         (task, state, exit_code, signal)\n"
	    "  --no-follow            with --label, --queue or --all: end when "
	    "the tasks\n"
	    "                         selected now have ended\n"
	    "[NAME] is in colour when stdout is a terminal, unless NO_COLOR is "
	    "set.\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_watch_exec,
	.needs_connection = 1
};

enum {
	CMD_WATCH_OPT_STDOUT = 256,
	CMD_WATCH_OPT_STDERR,
	CMD_WATCH_OPT_TIMESTAMPS,
	CMD_WATCH_OPT_JSON,
	CMD_WATCH_OPT_NO_FOLLOW
};

static const struct option cmd_watch_options[] = {
	{ .name = "from", .has_arg = required_argument, .val = 'f' },
	{ .name = "tail", .has_arg = required_argument, .val = 't' },
	{ .name = "stdout", .has_arg = no_argument,
	    .val = CMD_WATCH_OPT_STDOUT },
	{ .name = "stderr", .has_arg = no_argument,
	    .val = CMD_WATCH_OPT_STDERR },
	{ .name = "timestamps", .has_arg = no_argument,
	    .val = CMD_WATCH_OPT_TIMESTAMPS },
	{ .name = "json", .has_arg = no_argument, .val = CMD_WATCH_OPT_JSON },
	{ .name = "no-follow", .has_arg = no_argument,
	    .val = CMD_WATCH_OPT_NO_FOLLOW },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* Parse a line count for --tail; 0 or -1. */
static int
cmd_watch_parse_lines(const char *arg, uint32_t *n)
{
	uint64_t	v;

	if (cli_parse_u64(arg, &v) != 0 || v == 0 || v > UINT32_MAX)
		return -1;
	*n = (uint32_t)v;
	return 0;
}

/* Watch tasks: parse the options into follow_args. */
static int
cmd_watch_exec(struct cli *cli, int argc, char **argv)
{
	struct follow_args	a;
	struct selector		sl;
	int			ch, rv, no_follow = 0, from = 0;

	memset(&a, 0, sizeof a);
	a.verb = "watch";
	a.reconnect = 1;
	a.outcome = 1;
	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_watch_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = 1;
			if (cli_parse_u64(optarg, &a.from_offset) != 0) {
				cli_warnx("watch: invalid offset: %s", optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			break;
		case 't':
			if (cmd_watch_parse_lines(optarg, &a.tail_lines) != 0) {
				cli_warnx("watch: invalid line count: %s",
				    optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			break;
		case CMD_WATCH_OPT_STDOUT:
			a.streams |= RUNNEL_STREAM_BIT(RUNNEL_STDOUT);
			break;
		case CMD_WATCH_OPT_STDERR:
			a.streams |= RUNNEL_STREAM_BIT(RUNNEL_STDERR);
			break;
		case CMD_WATCH_OPT_TIMESTAMPS:
			a.timestamps = 1;
			break;
		case CMD_WATCH_OPT_JSON:
			a.json = 1;
			break;
		case CMD_WATCH_OPT_NO_FOLLOW:
			no_follow = 1;
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
	if (a.tail_lines != 0 && from)
		cli_warnx("watch: give --from or --tail, not both");
	if (selector_empty(&sl) || (a.tail_lines != 0 && from)) {
		rv = cli_usage(cli, 0);
		goto out;
	}
	a.sl = &sl;
	a.follow = !no_follow && (sl.nlabels != 0 || sl.sel.all ||
	    (sl.sel.queue != NULL && *sl.sel.queue != '\0'));
	rv = follow_run(cli, &a);
out:
	selector_free(&sl);
	return rv;
}
