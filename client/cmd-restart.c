/*
 * cmd-restart.c - `runnel restart`: submit a copy of a finished task and
 * print the new task's id.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "runnel-cli.h"

static int	cmd_restart_exec(struct cli *, int, char **);

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.usage = "ID\n"
	    "Submits a copy of finished task ID (same command, environment, "
	    "queue, labels\nand limits; no key, no start time) and prints the "
	    "new task's id.",
	.exec = cmd_restart_exec,
	.needs_connection = 1
};

static const struct option cmd_restart_options[] = {
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Restart a task; print the new id. */
static int
cmd_restart_exec(struct cli *cli, int argc, char **argv)
{
	uint64_t	*ids, id;
	int		 ch, rc, rv;

	if ((ch = getopt_long(argc, argv, "h", cmd_restart_options,
	    NULL)) != -1)
		return cli_usage(cli, ch == 'h');
	if (argc - optind != 1)
		return cli_usage(cli, 0);
	if ((ids = cli_parse_ids(1, argv + optind)) == NULL)
		return CLI_EXIT_USAGE;
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_restart(cli->client, ids[0], &id)) < 0) {
		rv = cli_error(cli, rc, "task %" PRIu64, ids[0]);
		goto out;
	}
	printf("%" PRIu64 "\n", id);
	rv = CLI_EXIT_OK;
out:
	free(ids);
	return rv;
}
