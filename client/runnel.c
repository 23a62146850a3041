/*
 * runnel.c - the runnel command line tool: global options and environment,
 * the verb table and dispatch, and the helpers every verb shares (connect,
 * error reporting, usage, id and task spec parsing).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Every verb, in the order `runnel --help` lists them. */
static const struct cmd_entry *cmd_table[] = {
	&cmd_run_entry,
	&cmd_submit_entry,
	&cmd_watch_entry,
	&cmd_cancel_entry,
	&cmd_wait_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_status_entry,
	&cmd_pki_entry,
	NULL
};

enum {
	OPT_CA = 256,
	OPT_CERT,
	OPT_KEY
};

static const struct option runnel_options[] = {
	{ .name = "host", .has_arg = required_argument, .val = 'H' },
	{ .name = "ca", .has_arg = required_argument, .val = OPT_CA },
	{ .name = "cert", .has_arg = required_argument, .val = OPT_CERT },
	{ .name = "key", .has_arg = required_argument, .val = OPT_KEY },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = "version", .has_arg = no_argument, .val = 'V' },
	{ .name = NULL }
};

static const struct option cli_spec_options[] = {
	{ .name = "name", .has_arg = required_argument, .val = 'n' },
	{ .name = "env", .has_arg = required_argument, .val = 'e' },
	{ .name = "cwd", .has_arg = required_argument, .val = 'C' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Connect to the daemon; 0, or the exit status after printing why not. */
int
cli_connect(struct cli *cli)
{
	const char	*host;
	int		 rc, status;

	if (!cli->entry->needs_connection) {
		cli_warnx("%s: connect without needs_connection",
		    cli->entry->name);
		abort();
	}
	if (cli->client != NULL)
		return (0);
	if ((rc = runnel_connect(&cli->client, &cli->opts)) < 0) {
		cli->client = NULL;
		host = cli->opts.host;
		if (host == NULL)
			host = "unix:" RUNNEL_DEFAULT_SOCKET;
		status = cli_error(cli, rc, "connect to %s", host);
		/* Only a refusal of who we are has a status of its own. */
		return (status == CLI_EXIT_DENIED ? status : CLI_EXIT_CONNECT);
	}
	return (0);
}

/* Print "runnel: CONTEXT: ERROR" for a library code (once, if the error
 * text already starts with the context); return the matching exit status.
 * With no connection the library's connect error is used. */
int
cli_error(struct cli *cli, int code, const char *fmt, ...)
{
	const char	*text;
	char		 ctx[256];
	size_t		 len;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof ctx, fmt, ap);
	va_end(ap);
	len = strlen(ctx);
	text = runnel_last_error(cli->client);
	if (text == NULL || *text == '\0')
		text = runnel_strerror(code);
	if (strncmp(text, ctx, len) == 0 && text[len] == ':')
		cli_warnx("%s", text);
	else
		cli_warnx("%s: %s", ctx, text);
	return (print_error_status(code));
}

/* Print "runnel: MESSAGE" to stderr. */
void
cli_warnx(const char *fmt, ...)
{
	va_list	ap;

	fflush(stdout);
	fputs("runnel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Print the verb's usage: all of it on stdout for --help (status 0), else
 * its first line on stderr (status 2). */
int
cli_usage(const struct cli *cli, int help)
{
	FILE		*f = help ? stdout : stderr;
	const char	*u = cli->entry->usage;

	fprintf(f, "usage: runnel %s%s%.*s\n", cli->entry->name,
	    *u == '\n' ? "" : " ", help ? (int)strlen(u) :
	    (int)strcspn(u, "\n"), u);
	return (help ? CLI_EXIT_OK : CLI_EXIT_USAGE);
}

/* calloc, or exit: running out of memory is fatal in the CLI. */
void *
cli_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	return (p);
}

/* Parse an unsigned decimal number, digits only; 0 or -1. */
int
cli_parse_u64(const char *s, uint64_t *v)
{
	char	*end;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

/* Parse task ids into an allocated array, or say which one is bad. */
uint64_t *
cli_parse_ids(int argc, char **argv)
{
	uint64_t	*ids;
	int		 i;

	ids = cli_calloc((size_t)argc, sizeof *ids);
	for (i = 0; i < argc; i++) {
		if (cli_parse_u64(argv[i], &ids[i]) != 0 || ids[i] == 0) {
			cli_warnx("invalid task id: %s", argv[i]);
			free(ids);
			return (NULL);
		}
	}
	return (ids);
}

/* Parse [--name N] [--env K=V]... [--cwd DIR] [--] CMD ARGS... for run and
 * submit; CLI_CONTINUE or an exit status.  Free with cli_spec_free(). */
int
cli_parse_spec(struct cli *cli, int argc, char **argv, struct cli_spec *cs)
{
	const char	*eq;
	size_t		 nenv = 0;
	int		 ch;

	memset(cs, 0, sizeof *cs);
	cs->env = cli_calloc((size_t)argc + 1, sizeof *cs->env);
	while ((ch = getopt_long(argc, argv, "+h", cli_spec_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'n':
			cs->spec.name = optarg;
			break;
		case 'e':
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg) {
				cli_warnx("%s: --env wants NAME=VALUE, not %s",
				    cli->entry->name, optarg);
				return (cli_usage(cli, 0));
			}
			cs->env[nenv++] = optarg;
			break;
		case 'C':
			cs->spec.cwd = optarg;
			break;
		case 'h':
			return (cli_usage(cli, 1));
		default:
			return (cli_usage(cli, 0));
		}
	}
	if (optind >= argc) {
		cli_warnx("%s: a command is required", cli->entry->name);
		return (cli_usage(cli, 0));
	}
	cs->spec.argv = (const char *const *)(argv + optind);
	if (nenv > 0)
		cs->spec.env = cs->env;
	return (CLI_CONTINUE);
}

/* Free what cli_parse_spec() allocated. */
void
cli_spec_free(struct cli_spec *cs)
{
	free(cs->env);
	cs->env = NULL;
}

/* Print the whole usage. */
static void
runnel_usage(FILE *f)
{
	const struct cmd_entry	**entry;
	const char		 *u;

	fputs("usage: runnel [-H HOST] [--ca FILE] [--cert FILE] "
	    "[--key FILE] COMMAND [ARGS...]\n\ncommands:\n", f);
	for (entry = cmd_table; *entry != NULL; entry++) {
		u = (*entry)->usage;
		fprintf(f, "  %s%s%.*s\n", (*entry)->name,
		    *u == '\n' ? "" : " ", (int)strcspn(u, "\n"), u);
	}
	fputs("\noptions (defaults from RUNNEL_HOST, RUNNEL_CA, RUNNEL_CERT, "
	    "RUNNEL_KEY):\n"
	    "  -H, --host HOST  HOST:PORT (TLS) or unix:PATH; default unix:"
	    RUNNEL_DEFAULT_SOCKET "\n"
	    "  --ca FILE        CA certificate that signed the daemon's (TLS)\n"
	    "  --cert FILE      client certificate (TLS)\n"
	    "  --key FILE       client private key (TLS)\n"
	    "  -h, --help       this help; runnel COMMAND --help for one\n"
	    "  -V, --version    the version\n"
	    "\nexit status: run: the task's exit code, 128+N if signal N "
	    "killed it,\n"
	    "1 if it ended otherwise; watch, wait: 0 if all tasks succeeded, "
	    "else 1;\n"
	    "errors: 2 usage, 3 cannot connect, TLS failure or connection "
	    "lost,\n"
	    "4 permission denied or unauthenticated, 5 task not found,\n"
	    "6 invalid argument or other daemon error.\n", f);
}

/* An environment variable, or NULL if unset or empty. */
static const char *
runnel_getenv(const char *name)
{
	const char	*v = getenv(name);

	return (v == NULL || *v == '\0' ? NULL : v);
}

/* Find a verb by its exact name. */
static const struct cmd_entry *
runnel_find(const char *name)
{
	const struct cmd_entry	**entry;

	for (entry = cmd_table; *entry != NULL; entry++) {
		if (strcmp((*entry)->name, name) == 0)
			return (*entry);
	}
	return (NULL);
}

/* Parse the global options, run one verb, close the connection. */
int
main(int argc, char **argv)
{
	struct cli		 cli;
	struct sigaction	 sa;
	char			 verb[64];
	int			 ch, status;

	/* A closed stdout or daemon socket must be an error we can report
	 * (and, for run, cancel the task on), not a silent death. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	memset(&cli, 0, sizeof cli);
	cli.opts.host = runnel_getenv("RUNNEL_HOST");
	cli.opts.ca = runnel_getenv("RUNNEL_CA");
	cli.opts.cert = runnel_getenv("RUNNEL_CERT");
	cli.opts.key = runnel_getenv("RUNNEL_KEY");
	cli.opts.client_name = "runnel/" PACKAGE_VERSION;

	while ((ch = getopt_long(argc, argv, "+H:hV", runnel_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			cli.opts.host = optarg;
			break;
		case OPT_CA:
			cli.opts.ca = optarg;
			break;
		case OPT_CERT:
			cli.opts.cert = optarg;
			break;
		case OPT_KEY:
			cli.opts.key = optarg;
			break;
		case 'h':
			runnel_usage(stdout);
			return (CLI_EXIT_OK);
		case 'V':
			printf("runnel %s\n", PACKAGE_VERSION);
			return (CLI_EXIT_OK);
		default:
			runnel_usage(stderr);
			return (CLI_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		runnel_usage(stderr);
		return (CLI_EXIT_USAGE);
	}
	if ((cli.entry = runnel_find(argv[0])) == NULL) {
		cli_warnx("unknown command: %s (see runnel --help)", argv[0]);
		return (CLI_EXIT_USAGE);
	}

	/* getopt names the program in its messages: make it the verb. */
	snprintf(verb, sizeof verb, "runnel %s", cli.entry->name);
	argv[0] = verb;
	optind = 0;
	status = cli.entry->exec(&cli, argc, argv);

	if (cli.client != NULL)
		runnel_close(cli.client);
	if (fflush(stdout) == EOF && errno != EPIPE) {
		cli_warnx("stdout: %s", strerror(errno));
		if (status == CLI_EXIT_OK)
			status = CLI_EXIT_FAILED;
	}
	return (status);
}
