/*
 * cmd-wait.c - `runnel wait`: block until the selected tasks have ended
 * (all of them, the first one, or the first failure), optionally cancel
 * the rest, and print how each one stands.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "runnel-cli.h"

enum {
	CMD_WAIT_OPT_FIRST_COMPLETED = 256,
	CMD_WAIT_OPT_FIRST_FAILURE,
	CMD_WAIT_OPT_CANCEL_REST,
	CMD_WAIT_OPT_TIMEOUT
};

static int	cmd_wait_exec(struct cli *, int, char **);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "[--all | --first-completed | --first-failure] [--cancel-rest]"
	    "\n          [--timeout DURATION] SELECTION\n"
	    "Waits for the selected tasks and prints a line for each: \"ID STATE"
	    "\" and\n\"exit N\" or \"signal SIG\" if it ran, \"skipped: REASON\" "
	    "if it was skipped.\n"
	    "  --all                  until all have ended (the default); with "
	    "no ID,\n"
	    "                         --label or --queue: every task you can "
	    "see\n"
	    "  --first-completed      until one has ended\n"
	    "  --first-failure        until one did not succeed, or all have "
	    "ended\n"
	    "  --cancel-rest          then cancel those still queued or "
	    "running\n"
	    "  --timeout DURATION     stop waiting after DURATION (250ms, 5s, "
	    "2m, 1h)\n"
	    "Exits 0 if every selected task succeeded (--first-completed, "
	    "--first-failure:\nif no task that ended failed; with --cancel-rest "
	    "the tasks it cancelled do\nnot count), 1 otherwise, 124 if the "
	    "timeout ended the wait.\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_wait_exec,
	.needs_connection = 1
};

static const struct option cmd_wait_options[] = {
	{ .name = "first-completed", .has_arg = no_argument,
	    .val = CMD_WAIT_OPT_FIRST_COMPLETED },
	{ .name = "first-failure", .has_arg = no_argument,
	    .val = CMD_WAIT_OPT_FIRST_FAILURE },
	{ .name = "cancel-rest", .has_arg = no_argument,
	    .val = CMD_WAIT_OPT_CANCEL_REST },
	{ .name = "timeout", .has_arg = required_argument,
	    .val = CMD_WAIT_OPT_TIMEOUT },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* Print how a task stands: "ID STATE [exit N|signal SIG|: REASON]". */
static void
cmd_wait_print(const struct runnel_task *t)
{
	char	how[64];

	printf("%" PRIu64 " %s", t->id, runnel_state_name(t->state));
	if (t->state == RUNNEL_SKIPPED) {
		fputs(": ", stdout);
		print_field(stdout, t->reason != NULL ? t->reason : "-", 0, 0);
	} else {
		print_task_exit(t, how, sizeof how, 1);
		if (*how != '\0')
			printf(" %s", how);
	}
	fputc('\n', stdout);
}

/* Did the task end without success, not counting our own cancel of the
 * rest? */
static int
cmd_wait_failed(struct cli *cli, const struct runnel_task *t, int cancel_rest)
{
	const char	*me = runnel_identity(cli->client);

	if (t->state == RUNNEL_QUEUED || t->state == RUNNEL_RUNNING ||
	    t->state == RUNNEL_SUCCEEDED)
		return 0;
	if (cancel_rest && t->state == RUNNEL_CANCELLED && me != NULL &&
	    t->cancelled_by != NULL && strcmp(t->cancelled_by, me) == 0)
		return 0;
	return 1;
}

/* Wait for tasks; one line per task. */
static int
cmd_wait_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	*tasks = NULL;
	struct selector		 sl;
	enum runnel_wait_mode	 mode = RUNNEL_WAIT_ALL;
	uint64_t		 timeout = 0;
	size_t			 i, n = 0;
	int			 ch, rc, rv, modes = 0, all = 0;
	int			 cancel_rest = 0, timed_out = 0;

	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_wait_options,
	    NULL)) != -1) {
		switch (ch) {
		case SELECTOR_OPT_ALL:
			all = 1;
			modes++;
			break;
		case CMD_WAIT_OPT_FIRST_COMPLETED:
			mode = RUNNEL_WAIT_FIRST_COMPLETED;
			modes++;
			break;
		case CMD_WAIT_OPT_FIRST_FAILURE:
			mode = RUNNEL_WAIT_FIRST_FAILURE;
			modes++;
			break;
		case CMD_WAIT_OPT_CANCEL_REST:
			cancel_rest = 1;
			break;
		case CMD_WAIT_OPT_TIMEOUT:
			if (cli_parse_duration("wait", "timeout", optarg,
			    &timeout) != 0) {
				rv = cli_usage(cli, 0);
				goto out;
			}
			if (timeout == 0) {
				cli_warnx("wait: --timeout %s: must be more "
				    "than 0 (without it, wait has no limit)",
				    optarg);
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
	if (modes > 1) {
		cli_warnx("wait: give one of --all, --first-completed and "
		    "--first-failure");
		rv = cli_usage(cli, 0);
		goto out;
	}
	rv = selector_finish(cli, &sl, argc - optind, argv + optind);
	if (rv != CLI_CONTINUE)
		goto out;
	/* --all alone selects every task; otherwise it only names the mode. */
	if (all && selector_empty(&sl))
		sl.sel.all = 1;
	if (selector_empty(&sl)) {
		rv = cli_usage(cli, 0);
		goto out;
	}

	if ((rv = cli_connect(cli)) != 0)
		goto out;
	rc = runnel_wait_select(cli->client, &sl.sel, mode, cancel_rest,
	    timeout, &tasks, &n, &timed_out);
	if (rc < 0) {
		if (sl.sel.nids == 1 && sl.nlabels == 0 &&
		    sl.sel.queue == NULL && !sl.sel.all)
			rv = cli_error(cli, rc, "task %" PRIu64, sl.ids[0]);
		else
			rv = cli_error(cli, rc, "wait");
		goto out;
	}
	rv = CLI_EXIT_OK;
	for (i = 0; i < n; i++) {
		cmd_wait_print(&tasks[i]);
		if (mode == RUNNEL_WAIT_ALL ?
		    tasks[i].state != RUNNEL_SUCCEEDED :
		    cmd_wait_failed(cli, &tasks[i], cancel_rest))
			rv = CLI_EXIT_FAILED;
	}
	if (timed_out)
		rv = CLI_EXIT_TIMEOUT;
	runnel_tasks_free(tasks, n);
out:
	selector_free(&sl);
	return rv;
}
