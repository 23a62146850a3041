/*
 * runnel.c - the runnel command line tool's main(): global options and
 * environment, the verb table and dispatch.  The helpers every verb shares
 * are cli.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
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
	&cmd_restart_entry,
	&cmd_logs_entry,
	&cmd_clean_entry,
	&cmd_queue_entry,
	&cmd_status_entry,
	&cmd_pki_entry,
	NULL
};

enum {
	OPT_CA = 256,
	OPT_CERT,
	OPT_KEY,
	OPT_CONFIG
};

static const struct option runnel_options[] = {
	{ .name = "host", .has_arg = required_argument, .val = 'H' },
	{ .name = "ca", .has_arg = required_argument, .val = OPT_CA },
	{ .name = "cert", .has_arg = required_argument, .val = OPT_CERT },
	{ .name = "key", .has_arg = required_argument, .val = OPT_KEY },
	{ .name = "config", .has_arg = required_argument, .val = OPT_CONFIG },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = "version", .has_arg = no_argument, .val = 'V' },
	{ .name = NULL }
};

/* Has stdout's reader gone away (a pipe or socket with no one at the
 * other end)? */
static int
runnel_stdout_gone(void)
{
	struct pollfd	pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) != 0;
}

/* Print the whole usage. */
static void
runnel_usage(FILE *f)
{
	const struct cmd_entry	**entry;
	const char		 *u;

	fputs("usage: runnel [-H HOST] [--ca FILE] [--cert FILE] "
	    "[--key FILE] [--config FILE]\n"
	    "              COMMAND [ARGS...]\n\ncommands:\n", f);
	for (entry = cmd_table; *entry != NULL; entry++) {
		u = (*entry)->usage;
		fprintf(f, "  %s%s%.*s\n", (*entry)->name,
		    *u == '\n' ? "" : " ", cli_synopsis_len(u), u);
	}
	fputs("\noptions:\n"
	    "  -H, --host HOST  HOST[:PORT] (TLS, port 7433 by default) or "
	    "unix:PATH\n"
	    "                   (default unix:" RUNNEL_DEFAULT_SOCKET ")\n"
	    "  --ca FILE        CA certificate that signed the daemon's (TLS)\n"
	    "  --cert FILE      client certificate (TLS)\n"
	    "  --key FILE       client private key (TLS)\n"
	    "  --config FILE    client config file (default "
	    "$XDG_CONFIG_HOME/runnel/config,\n"
	    "                   or ~/.config/runnel/config); it may set host, "
	    "ca, cert, key\n"
	    "  -h, --help       this help; runnel COMMAND --help for one\n"
	    "  -V, --version    the version\n"
	    "Each setting comes from the first of: its option, its environment "
	    "variable\n"
	    "(RUNNEL_HOST, RUNNEL_CA, RUNNEL_CERT, RUNNEL_KEY, RUNNEL_CONFIG), "
	    "the config\n"
	    "file, the default.  NO_COLOR turns colour off.\n"
	    "\ntask options (run, submit):\n" CLI_SPEC_HELP
	    "\ntask selection (list, wait, cancel, watch, clean):\n" CLI_SELECT_HELP
	    "\nexit status: run: the task's exit code, 128+N if signal N "
	    "killed it,\n"
	    "124 if it timed out, 1 if it ended otherwise, 130 if "
	    "--detach-on-interrupt\n"
	    "left it running; watch, wait: 0 if all tasks succeeded, else 1; "
	    "wait: 124\n"
	    "if its --timeout ended the wait; errors: 2 usage or bad config "
	    "file, 3 cannot\n"
	    "connect, TLS failure or connection lost, 4 permission denied or "
	    "unauthenticated,\n"
	    "5 task or queue not found, 6 invalid argument or other daemon "
	    "error;\n"
	    "watch, logs: 128+N if signal N (INT, TERM, HUP) stopped them; "
	    "141 if the\n"
	    "reader of stdout went away.\n"
	    "See runnel(1).\n", f);
}

/* An environment variable, or NULL if unset or empty. */
static const char *
runnel_getenv(const char *name)
{
	const char	*v = getenv(name);

	return v == NULL || *v == '\0' ? NULL : v;
}

/* Find a verb by its exact name. */
static const struct cmd_entry *
runnel_find(const char *name)
{
	const struct cmd_entry	**entry;

	for (entry = cmd_table; *entry != NULL; entry++) {
		if (strcmp((*entry)->name, name) == 0)
			return *entry;
	}
	return NULL;
}

/* One setting: the option's value, else the environment variable's, else
 * the config file's (NULL when none sets it: the library's default). */
static const char *
runnel_setting(const char *flag, const char *env, const char *file)
{
	if (flag != NULL)
		return flag;
	if ((env = runnel_getenv(env)) != NULL)
		return env;
	return file;
}

/* Fill cli->opts from the options given, then the environment, then the
 * config file; 0, or the exit status after saying what is wrong. */
static int
runnel_settings(struct cli *cli, struct cli_config *cf,
    const struct runnel_connect_opts *flags, const char *config)
{
	char	*path = NULL, *cause = NULL;
	int	 required = 1, rc;

	if (config == NULL)
		config = runnel_getenv("RUNNEL_CONFIG");
	if (config == NULL) {
		/* The default file is optional; a named one must exist. */
		if ((config = path = cli_config_default_path()) == NULL)
			goto settle;
		required = 0;
	}
	rc = cli_config_load(cf, config, required, &cause);
	free(path);
	if (rc != 0) {
		cli_warnx("%s", cause);
		free(cause);
		return CLI_EXIT_USAGE;
	}
settle:
	cli->opts.host = runnel_setting(flags->host, "RUNNEL_HOST", cf->host);
	cli->opts.ca = runnel_setting(flags->ca, "RUNNEL_CA", cf->ca);
	cli->opts.cert = runnel_setting(flags->cert, "RUNNEL_CERT", cf->cert);
	cli->opts.key = runnel_setting(flags->key, "RUNNEL_KEY", cf->key);
	return 0;
}

/* Parse the global options, run one verb, close the connection. */
int
main(int argc, char **argv)
{
	struct cli			 cli;
	struct cli_config		 cf;
	struct runnel_connect_opts	 flags;
	struct sigaction		 sa;
	const char			*config = NULL;
	char				 verb[64], progname[] = "runnel";
	int				 ch, status;

	/* A closed stdout or daemon socket must be an error we can report
	 * (and, for run, cancel the task on), not a silent death. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	memset(&cli, 0, sizeof cli);
	memset(&cf, 0, sizeof cf);
	memset(&flags, 0, sizeof flags);
	cli.opts.client_name = "runnel/" PACKAGE_VERSION;

	/* getopt's messages start with argv[0]: "runnel", not its path. */
	argv[0] = progname;
	while ((ch = getopt_long(argc, argv, "+H:hV", runnel_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			flags.host = optarg;
			break;
		case OPT_CA:
			flags.ca = optarg;
			break;
		case OPT_CERT:
			flags.cert = optarg;
			break;
		case OPT_KEY:
			flags.key = optarg;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case 'h':
			runnel_usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("runnel %s\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		default:
			runnel_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		runnel_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((cli.entry = runnel_find(argv[0])) == NULL) {
		cli_warnx("unknown command: %s (see runnel --help)", argv[0]);
		return CLI_EXIT_USAGE;
	}

	if ((status = runnel_settings(&cli, &cf, &flags, config)) != 0) {
		cli_config_free(&cf);
		return status;
	}

	/* getopt names the program in its messages: make it "runnel: verb",
	 * so they read as every other one ("runnel: show: invalid option"). */
	snprintf(verb, sizeof verb, "runnel: %s", cli.entry->name);
	argv[0] = verb;
	optind = 0;
	status = cli.entry->exec(&cli, argc, argv);

	if (cli.client != NULL)
		runnel_close(cli.client);
	cli_config_free(&cf);
	/* A reader that went away ends us quietly, as SIGPIPE would end a
	 * command of a pipeline, with the status a shell gives that. */
	errno = 0;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (runnel_stdout_gone()) {
			if (status == CLI_EXIT_OK)
				status = CLI_EXIT_PIPE;
		} else {
			cli_warnx("stdout: %s", errno != 0 ? strerror(errno) :
			    "write error");
			if (status == CLI_EXIT_OK)
				status = CLI_EXIT_FAILED;
		}
	}
	return status;
}
