/*
 * cmd-queue.c - `runnel queue`: list the daemon's queues, or add, change,
 * pause, resume or drain one (which needs the admin role).
 */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "runnel-cli.h"

#define CMD_QUEUE_NAME_MAX	32

static int	cmd_queue_exec(struct cli *, int, char **);

const struct cmd_entry cmd_queue_entry = {
	.name = "queue",
	.usage = "list | add|set NAME [--max-running N] [--timeout DURATION] |"
	    "\n           pause|resume|drain NAME\n"
	    "list prints every queue: NAME STATE RUNNING QUEUED MAX TIMEOUT.  "
	    "The others\nneed the admin role and print nothing:\n"
	    "  add NAME     create queue NAME (1-64 of A-Z a-z 0-9 . _ -)\n"
	    "  set NAME     change the settings given\n"
	    "  pause NAME   start no new task from it, stop its running ones "
	    "(SIGSTOP)\n"
	    "  resume NAME  start its tasks again, continue the stopped ones\n"
	    "  drain NAME   start no new task; the running ones finish\n"
	    "  --max-running N  most of its tasks running at once (0: no limit "
	    "of its own)\n"
	    "  --timeout D      time limit of its tasks that set none, like 30s "
	    "or 2h\n"
	    "                   (0: none)",
	.exec = cmd_queue_exec,
	.needs_connection = 1
};

/* The operations, with whether they name a queue and take settings. */
static const struct {
	const char		*name;
	enum runnel_queue_op	 op;
	int			 named;
	int			 settings;
} cmd_queue_ops[] = {
	{ .name = "list", .op = RUNNEL_QUEUE_LIST },
	{ .name = "add", .op = RUNNEL_QUEUE_ADD, .named = 1, .settings = 1 },
	{ .name = "set", .op = RUNNEL_QUEUE_SET, .named = 1, .settings = 1 },
	{ .name = "pause", .op = RUNNEL_QUEUE_PAUSE, .named = 1 },
	{ .name = "resume", .op = RUNNEL_QUEUE_RESUME, .named = 1 },
	{ .name = "drain", .op = RUNNEL_QUEUE_DRAIN, .named = 1 },
};

static const struct option cmd_queue_options[] = {
	{ .name = "max-running", .has_arg = required_argument, .val = 'm' },
	{ .name = "timeout", .has_arg = required_argument, .val = 't' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Print the queues as a table. */
static void
cmd_queue_table(const struct runnel_queue *queues, size_t n)
{
	char	max[16], timeout[64];
	size_t	i, wname = 4;

	for (i = 0; i < n; i++) {
		if (strlen(queues[i].name) > wname)
			wname = strlen(queues[i].name);
	}
	if (wname > CMD_QUEUE_NAME_MAX)
		wname = CMD_QUEUE_NAME_MAX;
	print_field(stdout, "NAME", wname, 1);
	printf("  %-8s  %7s  %6s  %5s  %s\n", "STATE", "RUNNING", "QUEUED",
	    "MAX", "TIMEOUT");
	for (i = 0; i < n; i++) {
		snprintf(max, sizeof max, "%u", queues[i].max_running);
		if (queues[i].timeout_ms != 0)
			print_duration(timeout, sizeof timeout,
			    queues[i].timeout_ms);
		print_field(stdout, queues[i].name, wname, 1);
		printf("  %-8s  %7u  %6u  %5s  %s\n", queues[i].state,
		    queues[i].running, queues[i].queued,
		    queues[i].max_running == 0 ? "-" : max,
		    queues[i].timeout_ms == 0 ? "-" : timeout);
	}
}

/* Parse the settings of add and set; CLI_CONTINUE or an exit status. */
static int
cmd_queue_parse(struct cli *cli, int argc, char **argv,
    struct runnel_queue_set *set)
{
	uint64_t	v;
	int		ch;

	memset(set, 0, sizeof *set);
	while ((ch = getopt_long(argc, argv, "h", cmd_queue_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (cli_parse_u64(optarg, &v) != 0 || v > UINT_MAX) {
				cli_warnx("queue: invalid number: %s", optarg);
				return cli_usage(cli, 0);
			}
			set->set_max_running = 1;
			set->max_running = (unsigned)v;
			break;
		case 't':
			if (cli_parse_duration("queue", "timeout", optarg,
			    &set->timeout_ms) != 0)
				return cli_usage(cli, 0);
			set->set_timeout = 1;
			break;
		default:
			return cli_usage(cli, ch == 'h');
		}
	}
	return CLI_CONTINUE;
}

/* Whether the daemon's error text names queue name already ("queue 'q'
 * already exists"), so the message does not say it twice. */
static int
cmd_queue_named(struct cli *cli, const char *name)
{
	const char	*text = runnel_last_error(cli->client);
	char		 quoted[80];

	snprintf(quoted, sizeof quoted, "'%s'", name);
	return text != NULL && strstr(text, quoted) != NULL;
}

/* Carry out one queue operation. */
static int
cmd_queue_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_queue	*queues = NULL;
	struct runnel_queue_set	 set;
	const char		*name = NULL;
	size_t			 i, n = 0;
	int			 rc, rv;

	if ((rv = cmd_queue_parse(cli, argc, argv, &set)) != CLI_CONTINUE)
		return rv;
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return cli_usage(cli, 0);
	for (i = 0; i < sizeof cmd_queue_ops / sizeof cmd_queue_ops[0]; i++) {
		if (strcmp(argv[0], cmd_queue_ops[i].name) == 0)
			break;
	}
	if (i == sizeof cmd_queue_ops / sizeof cmd_queue_ops[0]) {
		cli_warnx("queue: unknown operation: %s", argv[0]);
		return cli_usage(cli, 0);
	}
	if (argc != 1 + cmd_queue_ops[i].named ||
	    (!cmd_queue_ops[i].settings && (set.set_max_running ||
	    set.set_timeout)))
		return cli_usage(cli, 0);
	if (cmd_queue_ops[i].named)
		name = argv[1];

	if ((rv = cli_connect(cli)) != 0)
		return rv;
	rc = runnel_queue(cli->client, cmd_queue_ops[i].op, name,
	    cmd_queue_ops[i].settings ? &set : NULL, &queues, &n);
	if (rc < 0) {
		if (name != NULL && !cmd_queue_named(cli, name))
			return cli_error(cli, rc, "queue %s", name);
		return cli_error(cli, rc, "queue");
	}
	if (cmd_queue_ops[i].op == RUNNEL_QUEUE_LIST)
		cmd_queue_table(queues, n);
	runnel_queues_free(queues, n);
	return CLI_EXIT_OK;
}
