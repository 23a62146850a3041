/*
 * cmd-wait.c - `runnel wait`: block until tasks have ended and print how
 * each one ended.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "runnel-cli.h"

static int	cmd_wait_exec(struct cli *, int, char **);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "ID...\n"
	    "Waits for the tasks to end and prints \"ID STATE [exit N|signal "
	    "SIG]\"\nfor each; exits 0 if all succeeded, else 1.",
	.exec = cmd_wait_exec,
	.needs_connection = 1
};

static const struct option cmd_wait_options[] = {
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Wait for tasks; one line per task. */
static int
cmd_wait_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	*tasks = NULL;
	uint64_t		*ids;
	char			 how[64];
	size_t			 i, n;
	int			 ch, rc, rv;

	if ((ch = getopt_long(argc, argv, "h", cmd_wait_options,
	    NULL)) != -1)
		return (cli_usage(cli, ch == 'h'));
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return (cli_usage(cli, 0));
	if ((ids = cli_parse_ids(argc, argv)) == NULL)
		return (CLI_EXIT_USAGE);
	n = (size_t)argc;

	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_wait(cli->client, ids, n, &tasks)) < 0) {
		if (n == 1)
			rv = cli_error(cli, rc, "task %" PRIu64, ids[0]);
		else
			rv = cli_error(cli, rc, "wait");
		goto out;
	}
	rv = CLI_EXIT_OK;
	for (i = 0; i < n; i++) {
		print_task_exit(&tasks[i], how, sizeof how, 1);
		printf("%" PRIu64 " %s%s%s\n", tasks[i].id,
		    runnel_state_name(tasks[i].state), *how != '\0' ? " " : "",
		    how);
		if (tasks[i].state != RUNNEL_SUCCEEDED)
			rv = CLI_EXIT_FAILED;
	}
	runnel_tasks_free(tasks, n);
out:
	free(ids);
	return (rv);
}
