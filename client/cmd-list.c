/*
 * cmd-list.c - `runnel list` (every visible task, as a table or JSON) and
 * `runnel show` (one task, every field).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runnel-cli.h"

/* The table fits this many columns; COMMAND gets what the others leave. */
#define CMD_LIST_COLUMNS	100
#define CMD_LIST_NAME_MAX	20
#define CMD_LIST_OWNER_MAX	16
#define CMD_LIST_COMMAND_MIN	10

static int	cmd_list_exec(struct cli *, int, char **);
static int	cmd_show_exec(struct cli *, int, char **);

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "[--json]\n"
	    "Lists the tasks you can see: ID, NAME, STATE, EXIT, OWNER, "
	    "COMMAND.",
	.exec = cmd_list_exec,
	.needs_connection = 1
};

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "[--json] ID\n"
	    "Prints every field of a task, one \"key: value\" line each.",
	.exec = cmd_show_exec,
	.needs_connection = 1
};

static const struct option cmd_list_options[] = {
	{ .name = "json", .has_arg = no_argument, .val = 'j' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Parse --json and --help; CLI_CONTINUE or an exit status. */
static int
cmd_list_options_parse(struct cli *cli, int argc, char **argv, int *json)
{
	int	ch;

	*json = 0;
	while ((ch = getopt_long(argc, argv, "h", cmd_list_options,
	    NULL)) != -1) {
		if (ch != 'j')
			return (cli_usage(cli, ch == 'h'));
		*json = 1;
	}
	return (CLI_CONTINUE);
}

/* The larger of a width and a string's length, capped at max (0: none). */
static size_t
cmd_list_width(size_t w, const char *s, size_t max)
{
	size_t	len = s == NULL ? 0 : strlen(s);

	if (len > w)
		w = len;
	return (max != 0 && w > max ? max : w);
}

/* Print tasks as a table no wider than CMD_LIST_COLUMNS. */
static void
cmd_list_table(const struct runnel_task *tasks, size_t n)
{
	char		(*exits)[32], idbuf[24], *cmd;
	size_t		 i, wid = 2, wname = 4, wstate = 5, wexit = 4;
	size_t		 wowner = 5, wcmd, used;

	exits = cli_calloc(n, sizeof *exits);
	for (i = 0; i < n; i++) {
		snprintf(idbuf, sizeof idbuf, "%" PRIu64, tasks[i].id);
		print_task_exit(&tasks[i], exits[i], sizeof exits[i], 0);
		wid = cmd_list_width(wid, idbuf, 0);
		wname = cmd_list_width(wname, tasks[i].name, CMD_LIST_NAME_MAX);
		wstate = cmd_list_width(wstate,
		    runnel_state_name(tasks[i].state), 0);
		wexit = cmd_list_width(wexit, exits[i], 0);
		wowner = cmd_list_width(wowner, tasks[i].owner,
		    CMD_LIST_OWNER_MAX);
	}
	used = wid + wname + wstate + wexit + wowner + 5 * 2;
	wcmd = CMD_LIST_COLUMNS > used + CMD_LIST_COMMAND_MIN ?
	    CMD_LIST_COLUMNS - used : CMD_LIST_COMMAND_MIN;

	printf("%-*s  %-*s  %-*s  %-*s  %-*s  COMMAND\n", (int)wid, "ID",
	    (int)wname, "NAME", (int)wstate, "STATE", (int)wexit, "EXIT",
	    (int)wowner, "OWNER");
	for (i = 0; i < n; i++) {
		printf("%-*" PRIu64 "  ", (int)wid, tasks[i].id);
		print_field(stdout, tasks[i].name, wname, 1);
		printf("  %-*s  %-*s  ", (int)wstate,
		    runnel_state_name(tasks[i].state), (int)wexit, exits[i]);
		print_field(stdout, tasks[i].owner, wowner, 1);
		fputs("  ", stdout);
		cmd = print_argv(tasks[i].argv);
		print_field(stdout, cmd, wcmd, 0);
		free(cmd);
		fputc('\n', stdout);
	}
	free(exits);
}

/* List every task the daemon shows us. */
static int
cmd_list_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	*tasks = NULL;
	size_t			 i, n = 0;
	int			 json, rc, rv;

	rv = cmd_list_options_parse(cli, argc, argv, &json);
	if (rv != CLI_CONTINUE)
		return (rv);
	if (optind != argc)
		return (cli_usage(cli, 0));
	if ((rv = cli_connect(cli)) != 0)
		return (rv);
	if ((rc = runnel_list(cli->client, &tasks, &n)) < 0)
		return (cli_error(cli, rc, "list"));
	if (json) {
		fputs(n == 0 ? "[" : "[\n", stdout);
		for (i = 0; i < n; i++) {
			print_task_json(stdout, &tasks[i]);
			fputs(i + 1 < n ? ",\n" : "\n", stdout);
		}
		fputs("]\n", stdout);
	} else
		cmd_list_table(tasks, n);
	runnel_tasks_free(tasks, n);
	return (CLI_EXIT_OK);
}

/* Print "key: " and a time given in unix milliseconds, or "-" for 0. */
static void
cmd_show_time(const char *key, int64_t ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		buf[64];

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		printf("%s: -\n", key);
		return;
	}
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

/* Print every field of a task as "key: value" lines. */
static void
cmd_show_print(const struct runnel_task *t)
{
	char	how[64], *cmd;

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
}

/* Show one task. */
static int
cmd_show_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	 t;
	uint64_t		*ids;
	int			 json, rc, rv;

	rv = cmd_list_options_parse(cli, argc, argv, &json);
	if (rv != CLI_CONTINUE)
		return (rv);
	if (argc - optind != 1)
		return (cli_usage(cli, 0));
	if ((ids = cli_parse_ids(1, argv + optind)) == NULL)
		return (CLI_EXIT_USAGE);
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
	return (rv);
}
