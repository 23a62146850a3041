/*
 * cmd-show.c - `runnel show`: every field of one task, as "key: value"
 * lines and a table of its attempts, or as JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

static int	cmd_show_exec(struct cli *, int, char **);

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "[--json] ID\n"
	    "Prints every field of a task, one \"key: value\" line each, then "
	    "a table of\nits attempts (number, state, exit code or signal, "
	    "start, duration, output\nbytes); with --json, one JSON object.",
	.exec = cmd_show_exec,
	.needs_connection = 1
};

static const struct option cmd_show_options[] = {
	{ .name = "json", .has_arg = no_argument, .val = 'j' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Print "key: " and a time given in unix milliseconds, or "-" for 0. */
static void
cmd_show_time(const char *key, int64_t ms)
{
	char	buf[64];

	print_time(buf, sizeof buf, ms);
	if (ms <= 0 || strcmp(buf, "-") == 0)
		printf("%s: -\n", key);
	else
		printf("%s: %s.%03d\n", key, buf, (int)(ms % 1000));
}

/* Print "key: value" with the value made safe for a terminal. */
static void
cmd_show_string(const char *key, const char *value)
{
	printf("%s: ", key);
	print_field(stdout, value == NULL || *value == '\0' ? "-" : value,
	    0, 0);
	fputc('\n', stdout);
}

/* Print "key: 1, 2, 3", or "-" for none. */
static void
cmd_show_ids(const char *key, const uint64_t *ids, size_t n)
{
	size_t	i;

	printf("%s: ", key);
	if (n == 0)
		fputc('-', stdout);
	for (i = 0; i < n; i++)
		printf("%s%" PRIu64, i == 0 ? "" : ", ", ids[i]);
	fputc('\n', stdout);
}

/* Print the attempts as a table. */
static void
cmd_show_attempts(const struct runnel_task *t)
{
	const struct runnel_attempt	*a;
	struct runnel_task		 at;
	char				 how[64], start[64], dur[64];
	size_t				 i;

	printf("attempts: %zu\n", t->nattempts);
	if (t->nattempts == 0)
		return;
	printf("  %-3s  %-9s  %-16s  %-19s  %-12s  %s\n", "#", "STATE",
	    "EXIT", "STARTED", "DURATION", "OUTPUT");
	for (i = 0; i < t->nattempts; i++) {
		a = &t->attempts[i];
		memset(&at, 0, sizeof at);
		at.state = a->state;
		at.exit_code = a->exit_code;
		at.signal = a->signal;
		at.started_ms = a->started_ms;
		print_task_exit(&at, how, sizeof how, 1);
		print_time(start, sizeof start, a->started_ms);
		if (a->ended_ms > 0 && a->ended_ms >= a->started_ms)
			print_duration(dur, sizeof dur,
			    (uint64_t)(a->ended_ms - a->started_ms));
		else
			snprintf(dur, sizeof dur, "-");
		printf("  %-3u  %-9s  %-16s  %-19s  %-12s  %" PRIu64 "\n",
		    a->number, runnel_state_name(a->state),
		    *how == '\0' ? "-" : how, start, dur,
		    a->output_end - a->output_start);
	}
}

/* Print every field of a task as "key: value" lines. */
static void
cmd_show_print(const struct runnel_task *t)
{
	char	how[64], *cmd, buf[64];
	size_t	i;

	print_task_exit(t, how, sizeof how, 0);
	printf("id: %" PRIu64 "\n", t->id);
	cmd_show_string("name", t->name);
	printf("state: %s\n", runnel_state_name(t->state));
	cmd = print_argv(t->argv);
	cmd_show_string("argv", cmd);
	free(cmd);
	cmd_show_string("cwd", t->cwd);
	cmd_show_string("owner", t->owner);
	printf("exit_code: %s\n", t->signal == 0 ? how : "-");
	printf("signal: %s\n", t->signal != 0 ? how : "-");
	printf("core_dumped: %s\n", t->core_dumped ? "yes" : "no");
	cmd_show_time("created", t->created_ms);
	cmd_show_time("started", t->started_ms);
	cmd_show_time("ended", t->ended_ms);
	if (t->pid > 0)
		printf("pid: %d\n", t->pid);
	else
		printf("pid: -\n");
	printf("output_bytes: %" PRIu64 "\n", t->output_bytes);
	cmd_show_string("cancelled_by", t->cancelled_by);
	cmd_show_string("reason", t->reason);
	cmd_show_string("queue", t->queue);
	printf("priority: %d\n", t->priority);
	fputs("labels:", stdout);
	for (i = 0; t->labels != NULL && t->labels[i] != NULL; i++) {
		fputc(' ', stdout);
		print_field(stdout, t->labels[i], 0, 0);
	}
	fputs(i == 0 ? " -\n" : "\n", stdout);
	cmd_show_ids("after", t->after, t->nafter);
	cmd_show_ids("after_any", t->after_any, t->nafter_any);
	if (t->timeout_ms != 0)
		print_duration(buf, sizeof buf, t->timeout_ms);
	cmd_show_string("timeout", t->timeout_ms != 0 ? buf : NULL);
	printf("retries: %u\n", t->retries);
	cmd_show_string("key", t->key);
	cmd_show_time("start_at", t->start_at_ms);
	printf("restart_on_lost: %s\n", t->restart_on_lost ? "yes" : "no");
	printf("output_dropped: %" PRIu64 "\n", t->output_dropped);
	cmd_show_string("waiting_for", t->waiting_for);
	cmd_show_attempts(t);
}

/* Show one task. */
static int
cmd_show_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	 t;
	uint64_t		*ids;
	int			 ch, json = 0, rc, rv;

	while ((ch = getopt_long(argc, argv, "h", cmd_show_options,
	    NULL)) != -1) {
		if (ch != 'j')
			return cli_usage(cli, ch == 'h');
		json = 1;
	}
	if (argc - optind != 1)
		return cli_usage(cli, 0);
	if ((ids = cli_parse_ids(1, argv + optind)) == NULL)
		return CLI_EXIT_USAGE;
	memset(&t, 0, sizeof t);
	if ((rv = cli_connect(cli)) != 0)
		goto out;
	if ((rc = runnel_show(cli->client, ids[0], &t)) < 0) {
		rv = cli_error(cli, rc, "task %" PRIu64, ids[0]);
		goto out;
	}
	if (json) {
		print_task_json(stdout, &t);
		fputc('\n', stdout);
	} else
		cmd_show_print(&t);
	runnel_task_clear(&t);
	rv = CLI_EXIT_OK;
out:
	free(ids);
	return rv;
}
