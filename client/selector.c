/*
 * selector.c - task selection for list, wait, cancel and watch: IDs as
 * arguments plus --label KEY=VALUE (repeatable), --queue Q and --all,
 * gathered into a struct runnel_selector (see CLI_SELECT_HELP).
 */
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

/* Start with nothing selected. */
void
selector_init(struct selector *sl)
{
	memset(sl, 0, sizeof *sl);
}

/* Take a selection option; 1 if ch was one, 0 if it is not. */
int
selector_option(struct selector *sl, int ch, char *arg)
{
	switch (ch) {
	case SELECTOR_OPT_LABEL:
		sl->labels = cli_reallocarray(sl->labels, sl->nlabels + 2,
		    sizeof *sl->labels);
		sl->labels[sl->nlabels++] = arg;
		sl->labels[sl->nlabels] = NULL;
		sl->sel.labels = sl->labels;
		return 1;
	case SELECTOR_OPT_QUEUE:
		sl->sel.queue = arg;
		return 1;
	case SELECTOR_OPT_ALL:
		sl->sel.all = 1;
		return 1;
	}
	return 0;
}

/* Check the labels and take the remaining arguments as ids; CLI_CONTINUE
 * or an exit status. */
int
selector_finish(struct cli *cli, struct selector *sl, int argc, char **argv)
{
	size_t	i;

	for (i = 0; i < sl->nlabels; i++) {
		if (strchr(sl->labels[i], '=') == NULL ||
		    *sl->labels[i] == '=') {
			cli_warnx("%s: --label wants KEY=VALUE, not %s",
			    cli->entry->name, sl->labels[i]);
			return cli_usage(cli, 0);
		}
	}
	if (argc > 0 && (sl->ids = cli_parse_ids(argc, argv)) == NULL)
		return CLI_EXIT_USAGE;
	sl->sel.ids = sl->ids;
	sl->sel.nids = (size_t)argc;
	return CLI_CONTINUE;
}

/* Was nothing selected? */
int
selector_empty(const struct selector *sl)
{
	return (sl->sel.nids == 0 && sl->nlabels == 0 &&
	    (sl->sel.queue == NULL || *sl->sel.queue == '\0') && !sl->sel.all);
}

/* Free what the selection allocated. */
void
selector_free(struct selector *sl)
{
	free(sl->ids);
	free(sl->labels);
	memset(sl, 0, sizeof *sl);
}
