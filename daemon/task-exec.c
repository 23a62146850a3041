/*
 * task-exec.c - the "exec" task kind: a child process started (spawn.c)
 * in its own session and process group, with non-blocking pipes for stdout
 * and stderr and optional stdin bytes.  The task finishes only when the
 * process has been reaped and both pipes are at EOF, whichever comes last,
 * so the exit status never overtakes the last bytes of output.  So its exit
 * is looked for only at EOF (waitpid, WNOHANG: most processes have exited
 * by then), and watched through a pidfd only if it has not: most tasks then
 * cost the loop no pidfd, no epoll changes for it and no wake-up.
 *
 * A process that leaves the group (setsid) and keeps the pipes open keeps
 * a task that exits by itself running, its output being the task's.  But
 * once the group has had SIGKILL (cancel, timeout or shutdown, after the
 * grace) the task ends whatever the escapees do: its process is reaped,
 * the killed group's last members get a moment to exit, then our read
 * ends are drained and closed (escaped writers get EPIPE) and the task's
 * reason says processes escaped.  Killing the escapees is not ours to do.
 */
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "lag.h"
#include "log.h"
#include "runneld.h"
#include "task-event.h"

/* A task whose read fills a default pipe (64 KiB) floods: that pipe grows
 * to FLOOD_PIPE (for at most FLOOD_PIPES pipes at once, well inside the
 * kernel's pipe-user-pages-soft) and its ring to OUTPUT_FLOOD_TAIL, so
 * that each wake-up moves four times as much. */
#define FLOOD_READ		(64 * 1024)
#define FLOOD_PIPE		(1024 * 1024)
#define FLOOD_PIPES		16

extern char **environ;

struct task_exec {
	struct task	*task;
	int		 out_fd;
	int		 err_fd;
	int		 in_fd;
	int		 pidfd;
	size_t		 in_off;
	struct event	*out_ev;
	struct event	*err_ev;
	struct event	*in_ev;
	struct event	*pid_ev;
	struct event	*linger_ev;	/* killed and reaped, pipes open */
	unsigned	 lingered;	/* polls of the killed group */
	int		 reaped;
	int		 killed;	/* its group had SIGKILL */
	int		 paused;	/* waiting for room in its log */
	int		 flood;		/* its output floods */
	int		 wide;		/* its pipe was widened (FLOOD_PIPE) */
};

/* After the group's SIGKILL and its process's reaping, how long the pipes
 * may stay open while the killed group's last members exit, and how often
 * the group is looked at meanwhile. */
#define TASK_EXEC_LINGER_MS	1000
#define TASK_EXEC_LINGER_POLL_MS 10

/* The reason of a task whose escaped processes held its output open. */
#define TASK_EXEC_ESCAPED	"processes escaped the task's process group " \
	"and held its output open after SIGKILL: its pipes were closed"

/* Pipes widened to FLOOD_PIPE, all tasks together. */
static int	task_exec_wide;

static void	task_exec_check_done(struct task_exec *);
static void	task_exec_sigchld_start(void);
static void	task_exec_resume(void *);

/* Make an fd non-blocking. */
static int
task_exec_nonblock(int fd)
{
	/* A pipe of ours: no other status flag is set. */
	return fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* Close one of the exec's fds and free its event. */
static void
task_exec_close(int *fd, struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* A read filled a default pipe: the task floods.  Its log gets the bigger
 * ring, and the pipe that flooded a bigger buffer (while few are widened),
 * so that one wake-up reads and sends up to a quarter of that ring. */
static void
task_exec_flood(struct task_exec *te, int fd)
{
	te->flood = 1;
	output_flood(te->task->output);
	if (task_exec_wide < FLOOD_PIPES &&
	    fcntl(fd, F_SETPIPE_SZ, FLOOD_PIPE) != -1) {
		te->wide = 1;
		task_exec_wide++;
	}
}

/* Read a task's pipe, at most a quarter of its ring per wake-up. */
static void
task_exec_read(evutil_socket_t fd, short events, void *arg)
{
	struct task_exec	*te = arg;
	struct task		*t = te->task;
	int			 stream;
	ssize_t			 n;
	size_t			 room, budget;

	(void)events;
	stream = fd == te->out_fd ? RUNNEL__V1__STREAM__STREAM_STDOUT :
	    RUNNEL__V1__STREAM__STREAM_STDERR;
	/* The spool writer is behind: stop reading until it catches up. */
	room = output_room(t->output);
	budget = output_read_budget(t->output);
	if (room < output_room_min(t->output)) {
		if (te->out_ev != NULL)
			event_del(te->out_ev);
		if (te->err_ev != NULL)
			event_del(te->err_ev);
		te->paused = 1;
		output_wait_room(t->output, task_exec_resume, te);
		return;
	}
	room -= 64;
	n = output_append_fd(t->output, stream, fd, room < budget ? room :
	    budget, server_now_us());
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		log_warn("task %llu: read", (unsigned long long)t->id);
	}
	if (n <= 0) {
		if (stream == RUNNEL__V1__STREAM__STREAM_STDOUT)
			task_exec_close(&te->out_fd, &te->out_ev);
		else
			task_exec_close(&te->err_fd, &te->err_ev);
		task_exec_check_done(te);
		return;
	}
	if (n >= FLOOD_READ && !te->flood)
		task_exec_flood(te, fd);
	task_event_output(t);
}

/* The task's log has room again: read its pipes. */
static void
task_exec_resume(void *arg)
{
	struct task_exec	*te = arg;

	te->paused = 0;
	if (te->out_ev != NULL)
		event_add(te->out_ev, NULL);
	if (te->err_ev != NULL)
		event_add(te->err_ev, NULL);
}

/* Time each pipe read: a slow one is logged with its task. */
static void
task_exec_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task_exec	*te = arg;
	unsigned long long	 id = te->task->id;	/* te may be freed */
	struct lag_mark		 m;

	lag_begin(&m);
	task_exec_read(fd, events, arg);
	lag_end(&m, "task %llu: read", id);
}

/* Feed stdin: the spec's bytes, or what Stdin requests queued; close the
 * pipe after the last byte. */
static void
task_exec_write_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task_exec	*te = arg;
	struct task		*t = te->task;
	ssize_t			 n;

	(void)events;
	if (t->stdin_buf != NULL && evbuffer_get_length(t->stdin_buf) == 0) {
		/* evbuffer_write fails on an empty buffer. */
		if (t->stdin_eof)
			task_exec_close(&te->in_fd, &te->in_ev);
		else
			event_del(te->in_ev);
		return;
	}
	if (t->stdin_buf != NULL)
		n = evbuffer_write(t->stdin_buf, fd);
	else
		n = write(fd, t->stdin_data + te->in_off,
		    t->stdin_len - te->in_off);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno != EPIPE)
			log_warn("task %llu: write stdin",
			    (unsigned long long)t->id);
		task_exec_close(&te->in_fd, &te->in_ev);
		if (t->stdin_buf != NULL)
			evbuffer_drain(t->stdin_buf,
			    evbuffer_get_length(t->stdin_buf));
		task_event_input_drained(t);
		return;
	}
	if (t->stdin_buf != NULL) {
		if (evbuffer_get_length(t->stdin_buf) == 0) {
			if (t->stdin_eof)
				task_exec_close(&te->in_fd, &te->in_ev);
			else
				event_del(te->in_ev);
		}
		task_event_input_drained(t);
		return;
	}
	te->in_off += n;
	if (te->in_off == t->stdin_len)
		task_exec_close(&te->in_fd, &te->in_ev);
}

/* Stdin requests queued more bytes: write them when the pipe takes them. */
static void
task_exec_input(struct task *t)
{
	struct task_exec	*te = t->kind_data;

	if (te != NULL && te->in_ev != NULL)
		event_add(te->in_ev, NULL);
}

/* Why the task's program could not be started. */
static char *
task_exec_start_error(const struct task *t, int error)
{
	return xasprintf("cannot start '%s'%s%s: %s", t->argv[0],
	    t->cwd != NULL ? " in " : "", t->cwd != NULL ? t->cwd : "",
	    strerror(error));
}

/* Reap the process if it has exited; returns 1 once it is reaped. */
static int
task_exec_reap(struct task_exec *te)
{
	struct task	*t = te->task;
	int		 status, error;
	pid_t		 pid;

	pid = waitpid(t->pid, &status, WNOHANG);
	if (pid == 0)
		return 0;
	if (pid == -1) {
		if (errno == EINTR)
			return 0;
		log_warn("task %llu: waitpid %ld", (unsigned long long)t->id,
		    (long)t->pid);
		t->reason = xstrdup("lost track of the process");
	} else
		task_exited(t, status);
	te->reaped = 1;
	/* A child sharing runneld's memory reports only now that its program
	 * could not be executed (spawn.c): the task ends as task_start() ends
	 * it when spawn_run() fails. */
	if ((error = spawn_reaped(t->pid)) != 0)
		task_cannot_start(t, task_exec_start_error(t, error));
	task_exec_close(&te->pidfd, &te->pid_ev);
	return 1;
}

/* The pidfd is readable (or SIGCHLD came): the child has exited. */
static void
task_exec_pid_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task_exec	*te = arg;

	(void)fd;
	(void)events;
	if (task_exec_reap(te))
		task_exec_check_done(te);
}

/*
 * Without pidfd_open (kernels before 5.3, valgrind 3.19): SIGCHLD, as a
 * libevent signal event, and waitpid(WNOHANG) on each running exec task.
 * The event is also made active at once after each spawn, for a child
 * that ended before the event was there.
 */
static struct event	*task_exec_sigchld_ev;

/* Reap every exec task that has exited, when there is no pidfd. */
static void
task_exec_sigchld_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task		*t;
	struct task_exec	*te;
	size_t			 i;

	(void)arg;
	TASK_FOREACH(t, i) {
		if (t->state != TASK_RUNNING ||
		    t->kind != &task_exec_kind ||
		    (te = t->kind_data) == NULL || te->reaped ||
		    te->pidfd != -1)
			continue;
		task_exec_pid_cb(fd, events, te);
	}
}

/* Watch SIGCHLD instead of a pidfd; check now too. */
static void
task_exec_sigchld_start(void)
{
	if (task_exec_sigchld_ev == NULL) {
		log_warnx("pidfd_open: not supported: watching SIGCHLD");
		task_exec_sigchld_ev = evsignal_new(server.base, SIGCHLD,
		    task_exec_sigchld_cb, NULL);
		event_priority_set(task_exec_sigchld_ev, PRI_CONTROL);
		evsignal_add(task_exec_sigchld_ev, NULL);
	}
	event_active(task_exec_sigchld_ev, EV_SIGNAL, 1);
}

/* The pipes are at EOF but the process runs on: learn of its exit through
 * a pidfd, or SIGCHLD without one. */
static void
task_exec_watch_exit(struct task_exec *te)
{
	struct task	*t = te->task;

	if (te->pid_ev != NULL)
		return;
	if ((te->pidfd = pidfd_open(t->pid, 0)) == -1) {
		if (errno != ENOSYS)
			log_warn("task %llu: pidfd_open %ld",
			    (unsigned long long)t->id, (long)t->pid);
		task_exec_sigchld_start();
		return;
	}
	te->pid_ev = event_new(server.base, te->pidfd, EV_READ | EV_PERSIST,
	    task_exec_pid_cb, te);
	event_priority_set(te->pid_ev, PRI_CONTROL);
	event_add(te->pid_ev, NULL);
}

/* Read what a pipe holds, as far as the log has room, before it is
 * closed; at most a pipe's worth, for a writer may be at the other end. */
static void
task_exec_drain(struct task_exec *te, int fd, int stream)
{
	struct output	*o = te->task->output;
	ssize_t		 n;
	int		 left;

	if (fd == -1 || te->paused)
		return;
	if ((left = fcntl(fd, F_GETPIPE_SZ)) == -1)
		left = FLOOD_PIPE;
	while (left > 0 && output_room(o) >= output_room_min(o)) {
		n = output_append_fd(o, stream, fd, output_read_budget(o),
		    server_now_us());
		if (n <= 0)
			break;
		left -= n;
	}
}

/* Processes outside the killed group hold the pipes open: drain and close
 * our ends, and end the attempt with the reason. */
static void
task_exec_escaped(struct task_exec *te)
{
	struct task	*t = te->task;
	static const char notice[] = "runnel: " TASK_EXEC_ESCAPED "\n";

	log_info("task %llu: processes escaped its group and hold its "
	    "output open: closing its pipes", (unsigned long long)t->id);
	task_exec_drain(te, te->out_fd, RUNNEL__V1__STREAM__STREAM_STDOUT);
	task_exec_drain(te, te->err_fd, RUNNEL__V1__STREAM__STREAM_STDERR);
	task_exec_close(&te->out_fd, &te->out_ev);
	task_exec_close(&te->err_fd, &te->err_ev);
	output_append(t->output, RUNNEL__V1__STREAM__STREAM_SYSTEM, notice,
	    sizeof notice - 1, server_now_us());
	task_event_output(t);
	if (t->reason == NULL)
		t->reason = xstrdup(TASK_EXEC_ESCAPED);
	task_attempt_ended(t);
}

/* While a member of the killed group is left (it is exiting), look again
 * soon; when none is, or after TASK_EXEC_LINGER_MS, whoever holds the pipes
 * escaped. */
static void
task_exec_linger_cb(evutil_socket_t fd, short events, void *arg)
{
	struct task_exec	*te = arg;
	struct timeval		 tv = { 0, TASK_EXEC_LINGER_POLL_MS * 1000 };

	(void)fd;
	(void)events;
	if (++te->lingered < TASK_EXEC_LINGER_MS / TASK_EXEC_LINGER_POLL_MS &&
	    (kill(-te->task->pid, 0) == 0 || errno == EPERM)) {
		evtimer_add(te->linger_ev, &tv);
		return;
	}
	task_exec_escaped(te);
}

/* The group was killed and the process reaped, but the pipes are open:
 * start looking at the group. */
static void
task_exec_linger(struct task_exec *te)
{
	struct timeval	tv = { 0, TASK_EXEC_LINGER_POLL_MS * 1000 };

	if (te->linger_ev != NULL)
		return;
	te->linger_ev = evtimer_new(server.base, task_exec_linger_cb, te);
	event_priority_set(te->linger_ev, PRI_CONTROL);
	evtimer_add(te->linger_ev, &tv);
}

/* Finish the task once its pipes are at EOF and it is reaped; once its
 * group was killed, being reaped is enough after a linger. */
static void
task_exec_check_done(struct task_exec *te)
{
	if (te->out_fd != -1 || te->err_fd != -1) {
		if (te->killed && te->reaped)
			task_exec_linger(te);
		return;
	}
	if (!te->reaped && !task_exec_reap(te)) {
		task_exec_watch_exit(te);
		return;
	}
	task_attempt_ended(te->task);
}

/* Set one NAME=VALUE entry of envp (n entries), replacing one of the same
 * NAME. */
static void
task_exec_setenv(char **envp, size_t *n, char *entry)
{
	size_t	i, klen = strcspn(entry, "=") + 1;

	for (i = 0; i < *n; i++) {
		if (strncmp(envp[i], entry, klen) == 0)
			break;
	}
	envp[i] = entry;
	if (i == *n)
		(*n)++;
}

/* Build the child's environment: the daemon's (unless the spec clears
 * it), then HOME, USER, LOGNAME and SHELL of USER, whom the task runs as
 * (allocated into uenv, NULL-terminated), then the task's own entries,
 * each replacing an earlier one of the same name. */
static char **
task_exec_envp(struct task *t, const struct access_user *user, char **uenv)
{
	char	**envp;
	size_t	  n = 0, i, j, k = 0;

	if (user->home != NULL)
		uenv[k++] = xasprintf("HOME=%s", user->home);
	if (user->name != NULL) {
		uenv[k++] = xasprintf("USER=%s", user->name);
		uenv[k++] = xasprintf("LOGNAME=%s", user->name);
	}
	if (user->shell != NULL)
		uenv[k++] = xasprintf("SHELL=%s", user->shell);
	uenv[k] = NULL;
	while (!t->spec->clear_env && environ[n] != NULL)
		n++;
	envp = xcalloc(n + k + t->nenv + 1, sizeof *envp);
	for (i = 0; i < n; i++)
		envp[i] = environ[i];
	for (i = 0; i < k; i++)
		task_exec_setenv(envp, &n, uenv[i]);
	for (j = 0; j < t->nenv; j++)
		task_exec_setenv(envp, &n, t->env[j]);
	envp[n] = NULL;
	return envp;
}

rlim_t	task_exec_nofile;

/* A limit above the daemon's own hard one can only be given by root. */
static int
task_exec_rlimits_check(struct task *t, char **cause)
{
	const Runnel__V1__Rlimit	*r;
	struct rlimit			 rl;
	size_t				 i;
	uint64_t			 hard;

	if (server.euid == 0)
		return 0;
	for (i = 0; i < t->spec->n_rlimits; i++) {
		r = t->spec->rlimits[i];
		hard = r->hard != 0 ? r->hard : r->soft;
		if (getrlimit(task_rlimit_resource(r->name), &rl) == 0 &&
		    rl.rlim_max != RLIM_INFINITY && hard > rl.rlim_max) {
			*cause = xasprintf("cannot start: rlimit %s %llu is "
			    "above the daemon's hard limit %llu", r->name,
			    (unsigned long long)hard,
			    (unsigned long long)rl.rlim_max);
			return -1;
		}
	}
	return 0;
}

/* Spawn the task's process. */
static int
task_exec_start(struct task *t, char **cause)
{
	struct task_exec		*te;
	struct spawn			 sp;
	int				 out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int				 in[2] = { -1, -1 };
	static int			 null = -1;
	char				**envp = NULL;
	int				 has_stdin;
	const struct access_user	*run_as = NULL, *user;
	char				**helper_argv = NULL, *uenv[5];
	size_t				  i;

	te = xcalloc(1, sizeof *te);
	te->task = t;
	te->out_fd = te->err_fd = te->in_fd = te->pidfd = -1;
	t->kind_data = te;

	/* run_as: the helper drops to the user, then executes argv. */
	if (privdrop_check(t->owner, &run_as, cause) != 0) {
		char	*why = xasprintf("cannot start: %s", *cause);

		free(*cause);
		*cause = why;
		goto fail;
	}
	/* run_as and limits: the helper sets them in the child, before the
	 * task's program runs (spawn.c's child sets only the descriptor
	 * limit every task gets). */
	if (task_exec_rlimits_check(t, cause) != 0)
		goto fail;
	helper_argv = privdrop_argv(run_as, t);

	has_stdin = t->stdin_len > 0 || t->stdin_buf != NULL;
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1 ||
	    (has_stdin && pipe2(in, O_CLOEXEC) == -1)) {
		*cause = xasprintf("cannot start: pipe: %s", strerror(errno));
		goto fail;
	}
	/* Opened here, not in the child (under the child's lower descriptor
	 * limit no new descriptor may be free), and once: every task without
	 * stdin shares it. */
	if (!has_stdin && null == -1 &&
	    (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot start: /dev/null: %s",
		    strerror(errno));
		goto fail;
	}

	/* Another user's environment and home; its directory is entered
	 * by the helper, as that user. */
	user = privdrop_user(run_as);
	envp = task_exec_envp(t, user, uenv);
	memset(&sp, 0, sizeof sp);
	sp.file = helper_argv != NULL ? helper_argv[0] : t->argv[0];
	sp.argv = helper_argv != NULL ? helper_argv : t->argv;
	sp.envp = envp;
	if (run_as == NULL) {
		sp.cwd = t->cwd;
		if (sp.cwd == NULL) {
			sp.cwd = user->home != NULL ? user->home : "/";
			sp.cwd_home = 1;
		}
	}
	sp.fd[0] = has_stdin ? in[0] : null;
	sp.fd[1] = out[1];
	sp.fd[2] = err[1];
	sp.nofile = task_exec_nofile;
	spawn_run(&sp);
	t->pid = sp.pid;
	privdrop_argv_free(helper_argv);
	helper_argv = NULL;
	free(envp);
	for (i = 0; uenv[i] != NULL; i++)
		free(uenv[i]);
	if (sp.error != 0) {
		*cause = task_exec_start_error(t, sp.error);
		goto fail;
	}
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (in[0] != -1) {
		close(in[0]);
		in[0] = -1;
	}

	te->out_fd = out[0];
	te->err_fd = err[0];
	te->in_fd = in[1];
	if (task_exec_nonblock(te->out_fd) == -1 ||
	    task_exec_nonblock(te->err_fd) == -1 ||
	    (te->in_fd != -1 && task_exec_nonblock(te->in_fd) == -1))
		fatal("fcntl O_NONBLOCK");
	te->out_ev = event_new(server.base, te->out_fd, EV_READ | EV_PERSIST,
	    task_exec_read_cb, te);
	te->err_ev = event_new(server.base, te->err_fd, EV_READ | EV_PERSIST,
	    task_exec_read_cb, te);
	event_priority_set(te->out_ev, PRI_BULK);
	event_priority_set(te->err_ev, PRI_BULK);
	event_add(te->out_ev, NULL);
	event_add(te->err_ev, NULL);
	if (te->in_fd != -1) {
		te->in_ev = event_new(server.base, te->in_fd,
		    EV_WRITE | EV_PERSIST, task_exec_write_cb, te);
		event_add(te->in_ev, NULL);
	}

	log_debug("task %llu: started pid %ld: %s", (unsigned long long)t->id,
	    (long)t->pid, t->argv[0]);
	return 0;

fail:
	privdrop_argv_free(helper_argv);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	if (err[0] != -1)
		close(err[0]);
	if (err[1] != -1)
		close(err[1]);
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	free(te);
	t->kind_data = NULL;
	return -1;
}

/* The group had SIGKILL: from now on the task ends once its process is
 * reaped, pipes open or not.  Watch for its exit (on the loop, never
 * ending the task on the caller's stack). */
static void
task_exec_killed(struct task_exec *te, int sig)
{
	if (te == NULL || sig != SIGKILL || te->killed)
		return;
	te->killed = 1;
	if (te->out_fd == -1 && te->err_fd == -1)
		return;		/* at EOF: the exit is watched already */
	if (te->reaped)
		task_exec_linger(te);
	else
		task_exec_watch_exit(te);
}

/* Signal the task's whole process group. */
static void
task_exec_signal(struct task *t, int sig)
{
	struct task_exec	*te = t->kind_data;

	if (t->pid <= 0)
		return;
	/* No group yet: the child has not reached setsid() (spawn.c's child
	 * runs beside the loop).  It is not reaped, so the pid is still its;
	 * the signal waits, blocked, until it has reset its handlers. */
	if (kill(-t->pid, sig) == 0) {
		task_exec_killed(te, sig);
		return;
	}
	if (errno == ESRCH && te != NULL && !te->reaped)
		(void)kill(t->pid, sig);
	else if (errno != ESRCH)
		log_warn("task %llu: kill %s", (unsigned long long)t->id,
		    signal_name(sig));
	task_exec_killed(te, sig);
}

/* Release the exec's fds and events; the process is gone by now, except at
 * daemon exit where it is killed. */
static void
task_exec_free(struct task *t)
{
	struct task_exec	*te = t->kind_data;

	if (te == NULL)
		return;
	task_exec_close(&te->out_fd, &te->out_ev);
	task_exec_close(&te->err_fd, &te->err_ev);
	task_exec_close(&te->in_fd, &te->in_ev);
	task_exec_close(&te->pidfd, &te->pid_ev);
	if (te->linger_ev != NULL)
		event_free(te->linger_ev);
	/* The log's paused reader must not call back into freed memory. */
	if (te->paused)
		output_wait_cancel(t->output, te);
	task_exec_wide -= te->wide;
	free(te);
	t->kind_data = NULL;
}

const struct task_kind task_exec_kind = {
	.name = "exec",
	.start = task_exec_start,
	.signal = task_exec_signal,
	.input = task_exec_input,
	.free = task_exec_free,
};
