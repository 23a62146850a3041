/*
 * cli.h - the runnel command line tool's shared helpers (cli.c): the
 * state every verb gets, exit statuses, signals, connecting, errors,
 * usage, allocation and parsing.
 */
#ifndef RUNNEL_CLI_CLI_H
#define RUNNEL_CLI_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "runnel.h"

struct cmd_entry;

/* A parse helper returns this when the verb should go on; anything else is
 * the exit status to return at once (0 after --help). */
#define CLI_CONTINUE	(-1)

/* Exit statuses for errors; task outcomes use their own (see print.c). */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILED = 1,		/* a task did not succeed */
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_CONNECT = 3,		/* cannot connect, TLS, connection lost */
	CLI_EXIT_DENIED = 4,		/* permission denied, unauthenticated */
	CLI_EXIT_NOTFOUND = 5,
	CLI_EXIT_ERROR = 6		/* invalid argument, other daemon error */
};

/* The exit status of `runnel wait` when its --timeout ended the wait. */
#define CLI_EXIT_TIMEOUT	124

/* The exit status when stdout's reader went away: 128 + SIGPIPE, as a
 * shell reports a command of a pipeline that SIGPIPE ended. */
#define CLI_EXIT_PIPE		(128 + SIGPIPE)

/* What every verb gets: how to connect, and the connection once made. */
struct cli {
	const struct cmd_entry		*entry;
	struct runnel_connect_opts	 opts;
	struct runnel_client		*client;
};

/* cli.c */
extern volatile sig_atomic_t cli_signal;
extern int cli_stopping;
void	 cli_catch_signals(sigset_t *, sigset_t *);
void	 cli_release_signals(void);
const sigset_t *cli_signal_mask(void);
int	 cli_connect(struct cli *);
int	 cli_error(struct cli *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 cli_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 cli_usage(const struct cli *, int);
int	 cli_synopsis_len(const char *);
void	*cli_calloc(size_t, size_t);
void	*cli_reallocarray(void *, size_t, size_t);
int	 cli_parse_u64(const char *, uint64_t *);
int	 cli_parse_duration(const char *, const char *, const char *,
	    uint64_t *);
uint64_t *cli_parse_ids(int, char **);

#endif
