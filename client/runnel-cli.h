/*
 * runnel-cli.h - the runnel command line tool's internal interfaces: the
 * verb descriptors listed in cmd_table[], the state shared by all verbs and
 * the helpers of runnel.c and print.c, indexed by file.
 */
#ifndef RUNNEL_CLI_H
#define RUNNEL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runnel.h"

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

/* What every verb gets: how to connect, and the connection once made. */
struct cli {
	const struct cmd_entry		*entry;
	struct runnel_connect_opts	 opts;
	struct runnel_client		*client;
};

/* One verb: exec parses the verb's arguments (argv[0] is the verb) and
 * calls cli_connect() itself once they are known to be valid. */
struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, after the verb's name */
	int		(*exec)(struct cli *, int argc, char **argv);
	int		 needs_connection;
};

/* A task spec parsed from --name, --env, --cwd and the command. */
struct cli_spec {
	struct runnel_spec	 spec;
	const char		**env;	/* owned, NULL-terminated */
};

/* An opaque per-task line buffer for prefixed, multi-task output. */
struct print_lines;

extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_submit_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_cancel_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_pki_entry;

/* runnel.c */
int	 cli_connect(struct cli *);
int	 cli_error(struct cli *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 cli_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
int	 cli_usage(const struct cli *, int);
void	*cli_calloc(size_t, size_t);
int	 cli_parse_u64(const char *, uint64_t *);
uint64_t *cli_parse_ids(int, char **);
int	 cli_parse_spec(struct cli *, int, char **, struct cli_spec *);
void	 cli_spec_free(struct cli_spec *);

/* print.c */
int	 print_error_status(int);
int	 print_task_status(const struct runnel_task *);
void	 print_task_exit(const struct runnel_task *, char *, size_t, int);
int	 print_write(int, const void *, size_t);
int	 print_output(enum runnel_stream, const void *, size_t);
struct print_lines *print_lines_create(const char *);
int	 print_lines_add(struct print_lines *, enum runnel_stream,
	    const void *, size_t);
int	 print_lines_flush(struct print_lines *);
void	 print_lines_free(struct print_lines *);
char	*print_argv(char *const *);
void	 print_field(FILE *, const char *, size_t, int);
void	 print_json_string(FILE *, const char *);
void	 print_task_json(FILE *, const struct runnel_task *);

#endif
