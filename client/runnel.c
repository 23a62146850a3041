/*
 * runnel.c - the runnel command line tool: global options and environment,
 * the verb table and dispatch, and the helpers every verb shares (connect,
 * error reporting, usage, id parsing).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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

/* The last SIGINT, SIGTERM or SIGHUP caught (0: none, or acted on), and
 * the mask that lets them in, once cli_catch_signals() was called. */
volatile sig_atomic_t	 cli_signal;
int			 cli_stopping;	/* a signal came: output never waits */
static sigset_t		 cli_waitmask;
static int		 cli_catching;

/* Remember a caught signal; the verb acts on it. */
static void
cli_signal_handler(int sig)
{
	cli_signal = sig;
}

/*
 * Catch SIGINT, SIGTERM and SIGHUP for a verb that must act on them (run
 * cancels its task, watch flushes partial lines), and block them but in
 * waits: the library's wait for the daemon (with *waitmask) and
 * print_write()'s wait for its output to drain, so a reader that stopped
 * reading never keeps the signal out.  No SA_RESTART: a write the signal
 * interrupts returns.  The mask before goes to *oldmask if not NULL.
 */
void
cli_catch_signals(sigset_t *waitmask, sigset_t *oldmask)
{
	static const int	sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction	sa;
	sigset_t		block, old;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cli_signal_handler;
	sigfillset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &old);
	if (oldmask != NULL)
		*oldmask = old;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigdelset(&old, sigs[i]);
	*waitmask = cli_waitmask = old;
	cli_catching = 1;
}

/* Give SIGINT, SIGTERM and SIGHUP their default action again, around a
 * library call that waits without a mask (connect, show): one that comes
 * then, or came blocked, ends runnel at once. */
void
cli_release_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cli_catching = 0;
	sigprocmask(SIG_SETMASK, &cli_waitmask, NULL);
}

/* The mask to wait with if signals are caught (else NULL). */
const sigset_t *
cli_signal_mask(void)
{
	return (cli_catching ? &cli_waitmask : NULL);
}

/* Has stdout's reader gone away (a pipe or socket with no one at the
 * other end)? */
static int
cli_stdout_gone(void)
{
	struct pollfd	pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };

	return (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR) != 0);
}

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
		/* A refusal of who we are has a status of its own, and so
		 * has a bad address or a missing CA: a usage error. */
		if (rc == RUNNEL_EINVAL)
			return (CLI_EXIT_USAGE);
		return (status == CLI_EXIT_DENIED ? status : CLI_EXIT_CONNECT);
	}
	return (0);
}

/* Print "runnel: CONTEXT: ERROR" for a library code; return the matching
 * exit status.  The daemon's texts often name their object already ("task
 * 9: not found", "task 9 is still running"): when the text starts with the
 * context's first part (up to its first ':'), as a whole word, it is
 * printed alone, so no message says "task 9: task 9 ...".  With no
 * connection the library's connect error is used. */
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
	len = strcspn(ctx, ":");
	text = runnel_last_error(cli->client);
	if (text == NULL || *text == '\0')
		text = runnel_strerror(code);
	if (strncmp(text, ctx, len) == 0 &&
	    (text[len] == ':' || text[len] == ' '))
		cli_warnx("%s", text);
	else
		cli_warnx("%s: %s", ctx, text);
	return (print_error_status(code));
}

/* Print "runnel: MESSAGE" to stderr, on one line.  A message may quote
 * what a user or a task chose (a label, a command, a daemon's error about
 * them): its control characters show as \xHH, so none reaches the
 * terminal as an escape sequence or breaks the line. */
void
cli_warnx(const char *fmt, ...)
{
	va_list		 ap;
	char		*msg;
	const char	*p;
	int		 n;

	fflush(stdout);
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	fputs("runnel: ", stderr);
	if (n == -1) {
		fputs("out of memory\n", stderr);
		return;
	}
	for (p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned char)*p);
		else
			fputc(*p, stderr);
	}
	fputc('\n', stderr);
	free(msg);
}

/* The length of a usage's synopsis: its first line and the lines after
 * it that are indented by four spaces or more, without the last newline. */
static int
cli_synopsis_len(const char *u)
{
	size_t	len = strcspn(u, "\n");

	while (u[len] == '\n' && strncmp(u + len + 1, "    ", 4) == 0)
		len += 1 + strcspn(u + len + 1, "\n");
	return ((int)len);
}

/* Print the verb's usage: all of it on stdout for --help (status 0), else
 * its synopsis on stderr (status 2). */
int
cli_usage(const struct cli *cli, int help)
{
	FILE		*f = help ? stdout : stderr;
	const char	*u = cli->entry->usage;

	fprintf(f, "usage: runnel %s%s%.*s\n", cli->entry->name,
	    *u == '\n' ? "" : " ", help ? (int)strlen(u) :
	    cli_synopsis_len(u), u);
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

/* reallocarray, or exit. */
void *
cli_reallocarray(void *p, size_t n, size_t size)
{
	if (n == 0)
		n = 1;
	if (size == 0)
		size = 1;
	if (n > SIZE_MAX / size || (p = realloc(p, n * size)) == NULL) {
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

/* Parse the duration of option opt of verb, at most DURATION_MAX_MS (the
 * daemon's range); 0, or -1 after saying what is wrong. */
int
cli_parse_duration(const char *verb, const char *opt, const char *arg,
    uint64_t *ms)
{
	if (parse_duration(arg, ms) != 0) {
		cli_warnx("%s: invalid duration: %s", verb, arg);
		return (-1);
	}
	if (*ms > DURATION_MAX_MS) {
		cli_warnx("%s: --%s %s is out of range: at most 3650d (10 "
		    "years)", verb, opt, arg);
		return (-1);
	}
	return (0);
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

/* One setting: the option's value, else the environment variable's, else
 * the config file's (NULL when none sets it: the library's default). */
static const char *
runnel_setting(const char *flag, const char *env, const char *file)
{
	if (flag != NULL)
		return (flag);
	if ((env = runnel_getenv(env)) != NULL)
		return (env);
	return (file);
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
		return (CLI_EXIT_USAGE);
	}
settle:
	cli->opts.host = runnel_setting(flags->host, "RUNNEL_HOST", cf->host);
	cli->opts.ca = runnel_setting(flags->ca, "RUNNEL_CA", cf->ca);
	cli->opts.cert = runnel_setting(flags->cert, "RUNNEL_CERT", cf->cert);
	cli->opts.key = runnel_setting(flags->key, "RUNNEL_KEY", cf->key);
	return (0);
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

	if ((status = runnel_settings(&cli, &cf, &flags, config)) != 0) {
		cli_config_free(&cf);
		return (status);
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
		if (cli_stdout_gone()) {
			if (status == CLI_EXIT_OK)
				status = CLI_EXIT_PIPE;
		} else {
			cli_warnx("stdout: %s", errno != 0 ? strerror(errno) :
			    "write error");
			if (status == CLI_EXIT_OK)
				status = CLI_EXIT_FAILED;
		}
	}
	return (status);
}
