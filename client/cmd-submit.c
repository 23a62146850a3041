/*
 * cmd-submit.c - `runnel submit`: queue a task and print its id, without
 * waiting for it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <inttypes.h>
#include <stdio.h>

#include "runnel-cli.h"

static int	cmd_submit_exec(struct cli *, int, char **);

const struct cmd_entry cmd_submit_entry = {
	.name = "submit",
	.usage = "[--name NAME] [--env NAME=VALUE]... [--cwd DIR] [--] "
	    "COMMAND [ARGS...]\n"
	    "Queues COMMAND on the daemon and prints the new task's id.",
	.exec = cmd_submit_exec,
	.needs_connection = 1
};

/* Submit a task; print only its id. */
static int
cmd_submit_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_spec	cs;
	uint64_t	id;
	int		rc, rv;

	if ((rv = cli_parse_spec(cli, argc, argv, &cs)) != CLI_CONTINUE)
		goto out;
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_submit(cli->client, &cs.spec, &id)) < 0) {
		rv = cli_error(cli, rc, "submit %s", cs.spec.argv[0]);
		goto out;
	}
	printf("%" PRIu64 "\n", id);
	rv = CLI_EXIT_OK;
out:
	cli_spec_free(&cs);
	return (rv);
}
