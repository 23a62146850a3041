/*
 * cmd-submit.c - `runnel submit`: queue a task and print its id, without
 * waiting for it; with --stdin, then send the whole input as the task's
 * stdin before exiting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runnel-cli.h"

/* The most one Stdin request carries. */
#define CMD_SUBMIT_CHUNK	(64 * 1024)

static int	cmd_submit_exec(struct cli *, int, char **);

const struct cmd_entry cmd_submit_entry = {
	.name = "submit",
	.usage = "[TASK OPTIONS] [--] COMMAND [ARGS...]\n"
	    "Queues COMMAND on the daemon and prints the new task's id.  With "
	    "--stdin,\nit then sends the whole input to the task and exits once "
	    "the daemon has\ntaken it all.\n"
	    "task options:\n" CLI_SPEC_HELP,
	.exec = cmd_submit_exec,
	.needs_connection = 1
};

/* Send everything fd gives as task id's stdin, then end it. */
static int
cmd_submit_stdin(struct cli *cli, uint64_t id, int fd)
{
	char	*buf;
	ssize_t	 n;
	int	 rc, rv = CLI_EXIT_OK;

	buf = cli_calloc(1, CMD_SUBMIT_CHUNK);
	for (;;) {
		if ((n = read(fd, buf, CMD_SUBMIT_CHUNK)) == -1) {
			if (errno == EINTR)
				continue;
			cli_warnx("read stdin: %s", strerror(errno));
			rv = CLI_EXIT_ERROR;
			n = 0;	/* still end the task's stdin */
		}
		rc = runnel_stdin(cli->client, id, buf, (size_t)n, n == 0);
		if (rc < 0) {
			rv = cli_error(cli, rc, "task %" PRIu64 ": stdin", id);
			break;
		}
		if (n == 0)
			break;
	}
	free(buf);
	return rv;
}

/* Submit a task; print only its id. */
static int
cmd_submit_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_spec	cs;
	uint64_t	id;
	int		rc, rv;

	if ((rv = spec_parse(cli, argc, argv, &cs, 0)) != CLI_CONTINUE)
		goto out;
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_submit(cli->client, &cs.spec, &id)) < 0) {
		rv = cli_error(cli, rc, "submit %s", cs.spec.argv[0]);
		goto out;
	}
	/* The id first, so a script can read it while stdin streams. */
	printf("%" PRIu64 "\n", id);
	fflush(stdout);
	rv = CLI_EXIT_OK;
	if (cs.stdin_fd != -1)
		rv = cmd_submit_stdin(cli, id, cs.stdin_fd);
out:
	spec_free(&cs);
	return rv;
}
