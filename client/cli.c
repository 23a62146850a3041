/*
 * cli.c - the helpers every verb of the runnel command line tool shares:
 * signals, connecting, error reporting, usage, allocation and parsing of
 * numbers, durations and task ids.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "runnel-cli.h"

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
	return cli_catching ? &cli_waitmask : NULL;
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
		return 0;
	if ((rc = runnel_connect(&cli->client, &cli->opts)) < 0) {
		cli->client = NULL;
		host = cli->opts.host;
		if (host == NULL)
			host = "unix:" RUNNEL_DEFAULT_SOCKET;
		status = cli_error(cli, rc, "connect to %s", host);
		/* A refusal of who we are has a status of its own, and so
		 * has a bad address or a missing CA: a usage error. */
		if (rc == RUNNEL_EINVAL)
			return CLI_EXIT_USAGE;
		return status == CLI_EXIT_DENIED ? status : CLI_EXIT_CONNECT;
	}
	return 0;
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
	return print_error_status(code);
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
int
cli_synopsis_len(const char *u)
{
	size_t	len = strcspn(u, "\n");

	while (u[len] == '\n' && strncmp(u + len + 1, "    ", 4) == 0)
		len += 1 + strcspn(u + len + 1, "\n");
	return (int)len;
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
	return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
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
	return p;
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
	return p;
}

/* Parse an unsigned decimal number, digits only; 0 or -1. */
int
cli_parse_u64(const char *s, uint64_t *v)
{
	char	*end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* Parse the duration of option opt of verb, at most DURATION_MAX_MS (the
 * daemon's range); 0, or -1 after saying what is wrong. */
int
cli_parse_duration(const char *verb, const char *opt, const char *arg,
    uint64_t *ms)
{
	if (parse_duration(arg, ms) != 0) {
		cli_warnx("%s: invalid duration: %s", verb, arg);
		return -1;
	}
	if (*ms > DURATION_MAX_MS) {
		cli_warnx("%s: --%s %s is out of range: at most 3650d (10 "
		    "years)", verb, opt, arg);
		return -1;
	}
	return 0;
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
			return NULL;
		}
	}
	return ids;
}
