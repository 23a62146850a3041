/*
 * runnel-cli.h - the runnel command line tool's internal interfaces: the
 * verb descriptors listed in cmd_table[] (runnel.c), what the verbs share
 * and the helpers of the files they use, indexed by file; cli.h has
 * cli.c's.
 */
#ifndef RUNNEL_CLI_H
#define RUNNEL_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runnel.h"
#include "cli.h"

/* The settings of runnel's config file (cli-config.c): allocated, NULL
 * when not set. */
struct cli_config {
	char	*host;
	char	*ca;
	char	*cert;
	char	*key;
};

/* One verb: exec parses the verb's arguments (argv[0] is the verb) and
 * calls cli_connect() itself once they are known to be valid. */
struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments, after the verb's name */
	int		(*exec)(struct cli *, int argc, char **argv);
	int		 needs_connection;
};

/* The options of a task spec, for run and submit: their --help and
 * `runnel --help` print this. */
#define CLI_SPEC_HELP \
	"  --name NAME            display name\n" \
	"  --env NAME=VALUE       add to the task's environment (repeatable)\n" \
	"  --env-file FILE        add the NAME=VALUE lines of FILE (blank lines " \
	"and\n" \
	"                         # comments skipped; no quotes, no expansion)\n" \
	"  --clear-env            start from an empty environment instead of " \
	"the\n" \
	"                         daemon's\n" \
	"  --cwd DIR              working directory (an absolute path; " \
	"default: this\n" \
	"                         directory over the unix socket, else the " \
	"home of\n" \
	"                         the user the task runs as)\n" \
	"  --queue Q              queue to run in (default: default)\n" \
	"  --priority N           higher starts first (default 0, may be " \
	"negative)\n" \
	"  --after ID[,ID...]     start once these succeeded; skipped if one " \
	"did not\n" \
	"  --after-any ID[,ID...] start once these ended, however they ended\n" \
	"  --timeout DURATION     kill the task after this long (default: its " \
	"queue's)\n" \
	"  --retries N            attempts after a failure or timeout " \
	"(default 0)\n" \
	"  --retry-delay DURATION wait before the first retry (default 0)\n" \
	"  --retry-backoff FACTOR multiply the delay by this at each retry " \
	"(default 1)\n" \
	"  --key KEY              idempotency key: submitting the same KEY " \
	"again gives\n" \
	"                         the first task's id\n" \
	"  --at TIME              start at TIME, local: \"YYYY-MM-DD " \
	"HH:MM[:SS]\",\n" \
	"                         \"HH:MM[:SS]\" (today, or tomorrow if past) " \
	"or\n" \
	"                         \"@UNIXSECONDS\"\n" \
	"  --delay DURATION       start DURATION from now\n" \
	"  --stdin FILE|-         stream FILE (- for this stdin) to the task's " \
	"stdin\n" \
	"  --rlimit NAME=SOFT[:HARD][,NAME=...]\n" \
	"                         resource limits (as core cpu data fsize " \
	"memlock\n" \
	"                         nofile nproc stack); a value may be " \
	"\"unlimited\"\n" \
	"  --label KEY=VALUE      label the task (repeatable)\n" \
	"  --restart-on-lost      if runneld dies while the task runs, queue " \
	"it again\n" \
	"                         after restart instead of ending it lost\n" \
	"DURATION is like 250ms, 5s, 2m, 1h or 7d; a bare number is seconds.  " \
	"This\n" \
	"client's own environment is never copied: the task gets the daemon's " \
	"base\n" \
	"environment (or nothing with --clear-env), then HOME, USER, LOGNAME " \
	"and SHELL\n" \
	"of the user it runs as, then the --env and --env-file entries, in " \
	"order, a\n" \
	"later one replacing an earlier one of the same NAME.\n"

/* Task selection, for list, wait, cancel and watch. */
#define CLI_SELECT_HELP \
	"SELECTION is [--label KEY=VALUE]... [--queue Q] [--all] [ID...]:\n" \
	"  ID...                  these tasks\n" \
	"  --label KEY=VALUE      the tasks with this label (repeatable: with " \
	"all of\n" \
	"                         them)\n" \
	"  --queue Q              the tasks of queue Q (and of the labels, if " \
	"given)\n" \
	"  --all                  every task you can see\n" \
	"IDs add to the tasks that --label and --queue match.\n"

/* A task spec parsed from the options of run and submit (spec.c). */
struct cli_spec {
	struct runnel_spec	 spec;
	const char		**env;		/* NULL-terminated */
	size_t			 nenv;
	char			**owned;	/* lines of --env-file files */
	size_t			 nowned;
	const char		**labels;	/* NULL-terminated */
	size_t			 nlabels;
	uint64_t		*after, *after_any;
	struct runnel_rlimit	*rlimits;
	const char		*stdin_path;	/* --stdin, or NULL */
	int			 stdin_fd;	/* opened --stdin, or -1 */
	int			 detach;	/* run --detach-on-interrupt */
};

/* Task selection parsed from IDs, --label, --queue and --all
 * (selector.c); each verb's option table lists SELECTOR_OPTIONS. */
enum {
	SELECTOR_OPT_LABEL = 512,
	SELECTOR_OPT_QUEUE,
	SELECTOR_OPT_ALL
};
#define SELECTOR_OPTIONS \
	{ .name = "label", .has_arg = required_argument, \
	    .val = SELECTOR_OPT_LABEL }, \
	{ .name = "queue", .has_arg = required_argument, \
	    .val = SELECTOR_OPT_QUEUE }, \
	{ .name = "all", .has_arg = no_argument, .val = SELECTOR_OPT_ALL }

struct selector {
	struct runnel_selector	 sel;
	uint64_t		*ids;
	const char		**labels;	/* NULL-terminated */
	size_t			 nlabels;
};

/* How `runnel watch` and `runnel logs` stream output (follow.c). */
struct follow_args {
	const char		*verb;		/* for messages */
	const struct selector	*sl;
	int			 follow;	/* new matching tasks join */
	uint64_t		 from_offset;
	uint32_t		 tail_lines;
	int			 streams;	/* RUNNEL_STREAM_BIT()s; 0 all */
	int			 timestamps;
	int			 json;
	int			 reconnect;	/* when the connection drops */
	int			 outcome;	/* exit 1 unless all succeeded */
	uint64_t		 limit;		/* stop at this offset (logs of
						   a running task); 0 none */
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
extern const struct cmd_entry cmd_queue_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_clean_entry;

/* cli-config.c */
char	*cli_config_default_path(void);
int	 cli_config_load(struct cli_config *, const char *, int, char **);
void	 cli_config_free(struct cli_config *);

/* follow.c */
int	 follow_run(struct cli *, const struct follow_args *);

/* spec.c */
int	 spec_parse(struct cli *, int, char **, struct cli_spec *, int);
int	 spec_parse_at(const char *, int64_t, int64_t *);
void	 spec_free(struct cli_spec *);

/* selector.c */
void	 selector_init(struct selector *);
int	 selector_option(struct selector *, int, char *);
int	 selector_finish(struct cli *, struct selector *, int, char **);
int	 selector_empty(const struct selector *);
void	 selector_free(struct selector *);

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
void	 print_lines_style(struct print_lines *, int, int);
void	 print_lines_time(struct print_lines *, int64_t);
void	 print_lines_free(struct print_lines *);
char	*print_argv(char *const *);
void	 print_field(FILE *, const char *, size_t, int);
void	 print_json_string(FILE *, const char *);
void	 print_task_json(FILE *, const struct runnel_task *);
void	 print_duration(char *, size_t, uint64_t);
void	 print_time(char *, size_t, int64_t);
void	 print_time_iso(char *, size_t, int64_t);
void	 print_json_bytes(FILE *, const void *, size_t);

#endif
