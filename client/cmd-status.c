/*
 * cmd-status.c - `runnel status`: the daemon's version, uptime and load, and
 * who it thinks we are.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "runnel-cli.h"

static int	cmd_status_exec(struct cli *, int, char **);

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "\n"
	    "Prints the daemon's version, pid, uptime, connections, task "
	    "counts and\nlimit, its loop lag (how late it runs a periodic "
	    "probe: the last one, the\n99th percentile of the last 1,000 and "
	    "the worst since start, in ms), and the\nidentity and role it "
	    "gives this client.",
	.exec = cmd_status_exec,
	.needs_connection = 1
};

static const struct option cmd_status_options[] = {
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Format a duration as "1d2h3m4s", from its largest unit down. */
static void
cmd_status_duration(char *buf, size_t len, int64_t ms)
{
	static const struct {
		char		 suffix;
		int64_t		 seconds;
	} units[] = {
		{ .suffix = 'd', .seconds = 86400 },
		{ .suffix = 'h', .seconds = 3600 },
		{ .suffix = 'm', .seconds = 60 },
		{ .suffix = 's', .seconds = 1 }
	};
	int64_t	 s = ms < 0 ? 0 : ms / 1000;
	size_t	 i, off = 0;
	int	 n;

	buf[0] = '\0';
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (off == 0 && s < units[i].seconds && units[i].seconds > 1)
			continue;
		n = snprintf(buf + off, len - off, "%" PRId64 "%c",
		    s / units[i].seconds, units[i].suffix);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
		s %= units[i].seconds;
	}
}

/* Print the daemon's status. */
static int
cmd_status_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_status	st;
	const char		*identity, *role;
	char			 uptime[64];
	int			 ch, rc, rv;

	if ((ch = getopt_long(argc, argv, "h", cmd_status_options,
	    NULL)) != -1 || optind != argc)
		return cli_usage(cli, ch == 'h');
	if ((rv = cli_connect(cli)) != 0)
		return rv;
	if ((rc = runnel_status(cli->client, &st)) < 0)
		return cli_error(cli, rc, "status");
	identity = runnel_identity(cli->client);
	role = runnel_role(cli->client);

	cmd_status_duration(uptime, sizeof uptime, st.uptime_ms);
	printf("version: %s\n", st.version);
	printf("pid: %d\n", st.pid);
	printf("uptime: %s\n", uptime);
	printf("connections: %u\n", st.connections);
	printf("tasks: %u queued, %u running, %u finished\n", st.tasks_queued,
	    st.tasks_running, st.tasks_finished);
	printf("max_running: %u\n", st.max_running);
	printf("loop_lag: current %.1f ms, p99 %.1f ms, max %.1f ms\n",
	    (double)st.loop_lag_us / 1000, (double)st.loop_lag_p99_us / 1000,
	    (double)st.loop_lag_max_us / 1000);
	fputs("identity: ", stdout);
	print_field(stdout, identity == NULL ? "-" : identity, 0, 0);
	printf("\nrole: %s\n", role == NULL || *role == '\0' ? "-" : role);
	return CLI_EXIT_OK;
}
