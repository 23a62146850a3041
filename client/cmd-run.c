/*
 * cmd-run.c - `runnel run`: submit a task and stream its output to our own
 * stdout and stderr as it comes (and, with --stdin, a file or our stdin to
 * its stdin), then exit with the task's exit status.  The first SIGINT,
 * SIGTERM or SIGHUP cancels the task and the next one kills it; either way
 * the output is streamed to its end, as far as its reader takes it without
 * waiting (print_write), and the exit status follows the task (124 if it
 * timed out, as timeout(1) exits).  With --detach-on-interrupt,
 * SIGINT leaves the task running instead.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "runnel-cli.h"

/* A callback stopped the watch because of the library error in error. */
#define CMD_RUN_STOP	1
/* A callback stopped the watch to leave the task running. */
#define CMD_RUN_DETACH	2

struct cmd_run_state {
	struct cli	*cli;
	uint64_t	 id;
	int		 interrupts;
	int		 dead[2];	/* writing stdout, stderr failed */
	int		 ended;
	int		 status;	/* the task's, once ended */
	int		 error;
	int		 detach;	/* SIGINT leaves the task running */
};

static int	cmd_run_exec(struct cli *, int, char **);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "[TASK OPTIONS] [--detach-on-interrupt] [--] COMMAND "
	    "[ARGS...]\n"
	    "Runs COMMAND on the daemon with its output here; exits with its "
	    "status\n(124 if it timed out).  Ctrl-C cancels the task, a second "
	    "one kills it.\n"
	    "  --detach-on-interrupt  Ctrl-C leaves the task running instead: "
	    "prints\n"
	    "                         \"runnel: task N left running\" and exits "
	    "130\n"
	    "task options:\n" CLI_SPEC_HELP,
	.exec = cmd_run_exec,
	.needs_connection = 1
};

/* Cancel the task with a signal (0: the daemon's default, SIGTERM). */
static int
cmd_run_cancel(struct cmd_run_state *rs, int sig)
{
	int	rc;

	rc = runnel_cancel_nowait(rs->cli->client, &rs->id, 1, sig, 0);
	if (rc < 0) {
		rs->error = rc;
		return CMD_RUN_STOP;
	}
	return 0;
}

/* Act on a caught signal: cancel the task on the first, kill it after
 * (or, with --detach-on-interrupt, leave it running on SIGINT). */
static int
cmd_run_interrupt_cb(void *arg)
{
	struct cmd_run_state	*rs = arg;

	/* Before the task has an id, keep the signal for later. */
	if (cli_signal == 0 || rs->id == 0)
		return 0;
	if (rs->detach && cli_signal == SIGINT)
		return CMD_RUN_DETACH;
	cli_signal = 0;
	cli_stopping = 1;
	rs->interrupts++;
	return cmd_run_cancel(rs, rs->interrupts == 1 ? 0 : SIGKILL);
}

/* Copy a chunk of output to our stdout or stderr. */
static int
cmd_run_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct cmd_run_state	*rs = arg;
	int			 i = stream == RUNNEL_STDOUT ? 0 : 1;

	(void)id;
	(void)offset;
	(void)time_us;
	if (!rs->dead[i] && print_output(stream, data, len) != 0) {
		rs->dead[i] = 1;
		/* Like a local pipeline: a reader that went away ends the
		 * writer with SIGPIPE.  A signal that came while a reader
		 * did not read drops the rest of that stream: we are
		 * stopping, and must not wait for that reader. */
		if (errno == EPIPE) {
			if (cmd_run_cancel(rs, SIGPIPE) != 0)
				return CMD_RUN_STOP;
		} else if (errno != EINTR)
			cli_warnx("%s: %s", i == 0 ? "stdout" : "stderr",
			    strerror(errno));
	}
	/* A signal may have come while we were not waiting in the library. */
	return cmd_run_interrupt_cb(rs);
}

/* Remember how the task ended, and say why when its exit status alone
 * does not: a timeout (exit 124, as timeout(1) does), a skip, a loss, or
 * a cancel that was not ours.  After its output, so the line is last. */
static int
cmd_run_end_cb(void *arg, const struct runnel_task *t)
{
	struct cmd_run_state	*rs = arg;
	const char		*me = runnel_identity(rs->cli->client);
	char			 d[64];

	rs->ended = 1;
	rs->status = print_task_status(t);
	switch (t->state) {
	case RUNNEL_TIMED_OUT:
		print_duration(d, sizeof d, t->timeout_ms);
		cli_warnx("task %" PRIu64 " timed out after %s", t->id, d);
		rs->status = CLI_EXIT_TIMEOUT;
		break;
	case RUNNEL_SKIPPED:
	case RUNNEL_LOST:
		cli_warnx("task %" PRIu64 " %s: %s", t->id,
		    runnel_state_name(t->state),
		    t->reason != NULL ? t->reason : "no reason given");
		break;
	case RUNNEL_CANCELLED:
		if (rs->interrupts == 0 && t->cancelled_by != NULL &&
		    (me == NULL || strcmp(t->cancelled_by, me) != 0))
			cli_warnx("task %" PRIu64 " cancelled by %s", t->id,
			    t->cancelled_by);
		break;
	default:
		break;
	}
	return 0;
}

/* Run a task and mirror it: output, then exit status. */
static int
cmd_run_exec(struct cli *cli, int argc, char **argv)
{
	struct cmd_run_state		rs;
	struct runnel_watch_opts	wo;
	struct cli_spec			cs;
	sigset_t			waitmask, oldmask;
	int				rc, rv;

	memset(&rs, 0, sizeof rs);
	rs.cli = cli;
	if ((rv = spec_parse(cli, argc, argv, &cs, 1)) != CLI_CONTINUE)
		goto out;
	rs.detach = cs.detach;
	if ((rv = cli_connect(cli)) != 0)
		goto out;

	memset(&wo, 0, sizeof wo);
	wo.on_output = cmd_run_output_cb;
	wo.on_end = cmd_run_end_cb;
	wo.on_interrupt = cmd_run_interrupt_cb;
	wo.arg = &rs;
	if (cs.stdin_fd != -1) {
		wo.send_stdin = 1;
		wo.stdin_fd = cs.stdin_fd;
	}
	cli_catch_signals(&waitmask, &oldmask);
	wo.sigmask = &waitmask;
	rc = runnel_run(cli->client, &cs.spec, &rs.id, &wo);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (rc == CMD_RUN_STOP)
		rc = rs.error;
	if (rc == CMD_RUN_DETACH) {
		cli_warnx("task %" PRIu64 " left running", rs.id);
		rv = 128 + SIGINT;
	} else if (rc < 0 && rs.id == 0)
		rv = cli_error(cli, rc, "run %s", cs.spec.argv[0]);
	else if (rc < 0)
		rv = cli_error(cli, rc, "task %" PRIu64, rs.id);
	else if (!rs.ended) {
		cli_warnx("task %" PRIu64 ": watch ended before the task did",
		    rs.id);
		rv = CLI_EXIT_CONNECT;
	} else
		rv = rs.status;
out:
	spec_free(&cs);
	return rv;
}
