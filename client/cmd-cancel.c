/*
 * cmd-cancel.c - `runnel cancel`: signal the selected tasks to stop; the
 * daemon sends SIGKILL after the grace period.  Queued tasks end at once.
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

#include "common.h"
#include "runnel-cli.h"

static int	cmd_cancel_exec(struct cli *, int, char **);

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel",
	.usage = "[--signal SIGNAL] [--grace DURATION] SELECTION\n"
	    "SIGNAL is a name or number (TERM, SIGKILL, 9; default TERM); "
	    "DURATION\nlike 250ms, 5s or 2m is the wait before SIGKILL "
	    "(default: the daemon's).\nTasks that have ended are left alone.\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_cancel_exec,
	.needs_connection = 1
};

static const struct option cmd_cancel_options[] = {
	{ .name = "signal", .has_arg = required_argument, .val = 's' },
	{ .name = "grace", .has_arg = required_argument, .val = 'g' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* Cancel tasks; print nothing on success. */
static int
cmd_cancel_exec(struct cli *cli, int argc, char **argv)
{
	struct selector	sl;
	uint64_t	grace = 0;
	int		ch, rc, rv, sig = 0;

	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_cancel_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((sig = parse_signal(optarg)) == -1) {
				cli_warnx("cancel: unknown signal: %s", optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			break;
		case 'g':
			if (parse_duration(optarg, &grace) != 0) {
				cli_warnx("cancel: invalid duration: %s",
				    optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
			if (grace > UINT32_MAX) {
				cli_warnx("cancel: --grace %s is out of range: "
				    "at most 4294967295ms (49.7 days)", optarg);
				rv = cli_usage(cli, 0);
				goto out;
			}
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
	if (selector_empty(&sl)) {
		rv = cli_usage(cli, 0);
		goto out;
	}

	if ((rv = cli_connect(cli)) != 0)
		goto out;
	rc = runnel_cancel_select(cli->client, &sl.sel, sig, (unsigned)grace);
	if (rc < 0 && sl.sel.nids == 1 && sl.nlabels == 0 &&
	    sl.sel.queue == NULL && !sl.sel.all)
		rv = cli_error(cli, rc, "task %" PRIu64, sl.ids[0]);
	else if (rc < 0)
		rv = cli_error(cli, rc, "cancel");
	else
		rv = CLI_EXIT_OK;
out:
	selector_free(&sl);
	return rv;
}
