/*
 * cmd-clean.c - `runnel clean`: remove finished tasks, their records and
 * their output, from the daemon.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "runnel-cli.h"

static int	cmd_clean_exec(struct cli *, int, char **);

const struct cmd_entry cmd_clean_entry = {
	.name = "clean",
	.usage = "[--older-than DURATION] [SELECTION]\n"
	    "Removes finished tasks (every one you may remove, or those "
	    "selected),\nwith their output, and prints \"removed N tasks\".  "
	    "Tasks still queued or\nrunning are left alone.\n"
	    "  --older-than DURATION  only tasks that ended at least this "
	    "long ago\n"
	    "                         (like 250ms, 5s, 2m, 1h or 7d; "
	    "a bare number is\n"
	    "                         seconds)\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_clean_exec,
	.needs_connection = 1
};

static const struct option cmd_clean_options[] = {
	{ .name = "older-than", .has_arg = required_argument, .val = 'o' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* Remove finished tasks. */
static int
cmd_clean_exec(struct cli *cli, int argc, char **argv)
{
	struct selector	sl;
	uint64_t	older = 0;
	size_t		n = 0;
	int		ch, rc, rv;

	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_clean_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			if (parse_duration(optarg, &older) != 0) {
				cli_warnx("clean: invalid duration: %s",
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
	rv = selector_finish(cli, &sl, argc - optind, argv + optind);
	if (rv != CLI_CONTINUE)
		goto out;
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	rc = runnel_clean(cli->client, selector_empty(&sl) ? NULL : &sl.sel,
	    older, NULL, &n);
	if (rc < 0) {
		rv = cli_error(cli, rc, "clean");
		goto out;
	}
	printf("removed %zu tasks\n", n);
	rv = CLI_EXIT_OK;
out:
	selector_free(&sl);
	return rv;
}
