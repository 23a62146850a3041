/*
 * cmd-cancel.c - `runnel cancel`: signal tasks to stop; the daemon sends
 * SIGKILL after the grace period.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

#include "common.h"
#include "runnel-cli.h"

static int	cmd_cancel_exec(struct cli *, int, char **);

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel",
	.usage = "[--signal SIGNAL] [--grace DURATION] ID...\n"
	    "SIGNAL is a name or number (TERM, SIGKILL, 9; default TERM); "
	    "DURATION\nlike 250ms, 5s or 2m is the wait before SIGKILL "
	    "(default: the daemon's).",
	.exec = cmd_cancel_exec,
	.needs_connection = 1
};

static const struct option cmd_cancel_options[] = {
	{ .name = "signal", .has_arg = required_argument, .val = 's' },
	{ .name = "grace", .has_arg = required_argument, .val = 'g' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Cancel tasks; print nothing on success. */
static int
cmd_cancel_exec(struct cli *cli, int argc, char **argv)
{
	uint64_t	*ids, grace = 0;
	int		 ch, rc, rv, sig = 0;

	while ((ch = getopt_long(argc, argv, "h", cmd_cancel_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((sig = parse_signal(optarg)) == -1) {
				cli_warnx("cancel: unknown signal: %s", optarg);
				return (cli_usage(cli, 0));
			}
			break;
		case 'g':
			if (parse_duration(optarg, &grace) != 0 ||
			    grace > UINT_MAX) {
				cli_warnx("cancel: invalid duration: %s",
				    optarg);
				return (cli_usage(cli, 0));
			}
			break;
		case 'h':
			return (cli_usage(cli, 1));
		default:
			return (cli_usage(cli, 0));
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return (cli_usage(cli, 0));
	if ((ids = cli_parse_ids(argc, argv)) == NULL)
		return (CLI_EXIT_USAGE);

	if ((rv = cli_connect(cli)) != 0)
		goto out;
	rc = runnel_cancel(cli->client, ids, (size_t)argc, sig,
	    (unsigned)grace);
	if (rc < 0 && argc == 1)
		rv = cli_error(cli, rc, "task %" PRIu64, ids[0]);
	else if (rc < 0)
		rv = cli_error(cli, rc, "cancel");
	else
		rv = CLI_EXIT_OK;
out:
	free(ids);
	return (rv);
}
