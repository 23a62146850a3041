/*
 * cmd-list.c - `runnel list`: the tasks you can see, or those selected, as
 * a table or JSON.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

/* The table fits this many columns; COMMAND gets what the others leave,
 * after WAITING FOR has had what it needs up to its maximum. */
#define CMD_LIST_COLUMNS	100
#define CMD_LIST_NAME_MAX	16
#define CMD_LIST_QUEUE_MAX	12
#define CMD_LIST_OWNER_MAX	12
#define CMD_LIST_WAITING_MAX	28
#define CMD_LIST_COMMAND_MIN	10
#define CMD_LIST_NCOLUMNS	8

enum cmd_list_column {
	CMD_LIST_ID,
	CMD_LIST_NAME,
	CMD_LIST_STATE,
	CMD_LIST_EXIT,
	CMD_LIST_QUEUE,
	CMD_LIST_OWNER,
	CMD_LIST_WAITING,
	CMD_LIST_COMMAND
};

/* Each column's title and widest width (0: no limit of its own). */
static const struct {
	const char	*title;
	size_t		 max;
} cmd_list_columns[CMD_LIST_NCOLUMNS] = {
	[CMD_LIST_ID] = { .title = "ID" },
	[CMD_LIST_NAME] = { .title = "NAME", .max = CMD_LIST_NAME_MAX },
	[CMD_LIST_STATE] = { .title = "STATE" },
	[CMD_LIST_EXIT] = { .title = "EXIT" },
	[CMD_LIST_QUEUE] = { .title = "QUEUE", .max = CMD_LIST_QUEUE_MAX },
	[CMD_LIST_OWNER] = { .title = "OWNER", .max = CMD_LIST_OWNER_MAX },
	[CMD_LIST_WAITING] = { .title = "WAITING FOR",
	    .max = CMD_LIST_WAITING_MAX },
	[CMD_LIST_COMMAND] = { .title = "COMMAND" },
};

static int	cmd_list_exec(struct cli *, int, char **);

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.usage = "[--json] [SELECTION]\n"
	    "Lists the tasks you can see (with a selection: those selected) as "
	    "a table:\nID, NAME, STATE, EXIT, QUEUE, OWNER, WAITING FOR (what a "
	    "queued task waits\nfor), COMMAND; or, with --json, as a JSON "
	    "array of every field.\n"
	    "task selection:\n" CLI_SELECT_HELP,
	.exec = cmd_list_exec,
	.needs_connection = 1
};

static const struct option cmd_list_options[] = {
	{ .name = "json", .has_arg = no_argument, .val = 'j' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	SELECTOR_OPTIONS,
	{ .name = NULL }
};

/* The larger of a width and a string's length, capped at max (0: none). */
static size_t
cmd_list_width(size_t w, const char *s, size_t max)
{
	size_t	len = s == NULL ? 0 : strlen(s);

	if (len > w)
		w = len;
	return max != 0 && w > max ? max : w;
}

/* The cells of one task's row, COMMAND allocated. */
static void
cmd_list_cells(const struct runnel_task *t, const char **cell,
    char *id, size_t idlen, char *exit, size_t exitlen)
{
	snprintf(id, idlen, "%" PRIu64, t->id);
	print_task_exit(t, exit, exitlen, 0);
	cell[CMD_LIST_ID] = id;
	cell[CMD_LIST_NAME] = t->name;
	cell[CMD_LIST_STATE] = runnel_state_name(t->state);
	cell[CMD_LIST_EXIT] = exit;
	cell[CMD_LIST_QUEUE] = t->queue;
	cell[CMD_LIST_OWNER] = t->owner;
	cell[CMD_LIST_WAITING] = t->state == RUNNEL_QUEUED &&
	    t->waiting_for != NULL ? t->waiting_for : "-";
	cell[CMD_LIST_COMMAND] = print_argv(t->argv);
}

/* Print tasks as a table no wider than CMD_LIST_COLUMNS. */
static void
cmd_list_table(const struct runnel_task *tasks, size_t n)
{
	const char	*(*cells)[CMD_LIST_NCOLUMNS];
	char		(*ids)[24], (*exits)[32];
	size_t		 i, c, w[CMD_LIST_NCOLUMNS], used = 0, room;

	cells = cli_calloc(n, sizeof *cells);
	ids = cli_calloc(n, sizeof *ids);
	exits = cli_calloc(n, sizeof *exits);
	for (c = 0; c < CMD_LIST_NCOLUMNS; c++)
		w[c] = strlen(cmd_list_columns[c].title);
	for (i = 0; i < n; i++) {
		cmd_list_cells(&tasks[i], cells[i], ids[i], sizeof ids[i],
		    exits[i], sizeof exits[i]);
		for (c = 0; c < CMD_LIST_COMMAND; c++)
			w[c] = cmd_list_width(w[c], cells[i][c],
			    cmd_list_columns[c].max);
	}
	/* Two spaces between columns. */
	for (c = 0; c < CMD_LIST_WAITING; c++)
		used += w[c] + 2;
	room = CMD_LIST_COLUMNS > used + CMD_LIST_COMMAND_MIN + 2 ?
	    CMD_LIST_COLUMNS - used - CMD_LIST_COMMAND_MIN - 2 : 0;
	if (w[CMD_LIST_WAITING] > room)
		w[CMD_LIST_WAITING] = room > 11 ? room : 11;
	used += w[CMD_LIST_WAITING] + 2;
	w[CMD_LIST_COMMAND] = CMD_LIST_COLUMNS > used + CMD_LIST_COMMAND_MIN ?
	    CMD_LIST_COLUMNS - used : CMD_LIST_COMMAND_MIN;

	for (c = 0; c < CMD_LIST_NCOLUMNS; c++) {
		print_field(stdout, cmd_list_columns[c].title, w[c],
		    c != CMD_LIST_COMMAND);
		fputs(c != CMD_LIST_COMMAND ? "  " : "\n", stdout);
	}
	for (i = 0; i < n; i++) {
		for (c = 0; c < CMD_LIST_NCOLUMNS; c++) {
			print_field(stdout, cells[i][c], w[c],
			    c != CMD_LIST_COMMAND);
			fputs(c != CMD_LIST_COMMAND ? "  " : "\n", stdout);
		}
		free((char *)(uintptr_t)cells[i][CMD_LIST_COMMAND]);
	}
	free(exits);
	free(ids);
	free(cells);
}

/* List the tasks the daemon shows us, or the selected ones. */
static int
cmd_list_exec(struct cli *cli, int argc, char **argv)
{
	struct runnel_task	*tasks = NULL;
	struct selector		 sl;
	size_t			 i, n = 0;
	int			 ch, json = 0, rc, rv;

	selector_init(&sl);
	while ((ch = getopt_long(argc, argv, "h", cmd_list_options,
	    NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (!selector_option(&sl, ch, optarg)) {
			rv = cli_usage(cli, ch == 'h');
			goto out;
		}
	}
	rv = selector_finish(cli, &sl, argc - optind, argv + optind);
	if (rv != CLI_CONTINUE || (rv = cli_connect(cli)) != 0)
		goto out;
	rc = runnel_list_select(cli->client, selector_empty(&sl) ? NULL :
	    &sl.sel, &tasks, &n);
	if (rc < 0) {
		rv = cli_error(cli, rc, "list");
		goto out;
	}
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
	rv = CLI_EXIT_OK;
out:
	selector_free(&sl);
	return rv;
}
