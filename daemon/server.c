/*
 * server.c - the daemon's state and its loop: start-up (state directory,
 * TLS context, listeners, signals), the clocks, and a clean shutdown that
 * cancels running tasks with their grace period.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lag.h"
#include "log.h"
#include "runneld.h"

struct server	 server;
/* Bench only: skip fdatasync in the journal (runneld --unsafe-no-fsync). */
int		 server_nosync;
/* -v: debug lines whatever log_level says. */
int		 server_verbose;

static struct event	*server_sig_term;
static struct event	*server_sig_int;
static struct event	*server_sig_hup;

/* Monotonic milliseconds, for intervals that must not move with the wall
 * clock (penalties, rate limits). */
int64_t
server_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock milliseconds, for what clients are shown. */
int64_t
server_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock microseconds, for output chunks. */
int64_t
server_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* mkdir that accepts an existing directory. */
static int
server_mkdir(const char *path, char **cause)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The state directory holds the journal and every task's output: no one
 * but runneld may enter it.  Make it 0700 if it is missing (not when only
 * checking); one that exists with group or other bits is tightened to 0700
 * (fix) if runneld's user owns it, else refused: runneld cannot be sure
 * of a directory someone else controls.  0 or -1 with *cause.
 */
static int
server_state_dir(const char *path, int fix, char **cause)
{
	struct stat	st;
	int		fd, saved;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !fix)
			return 0;
		if (errno == ENOENT && mkdir(path, 0700) == 0)
			return 0;
		*cause = xasprintf("state_dir %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0) {
		close(fd);
		return 0;
	}
	if (st.st_uid != geteuid()) {
		*cause = xasprintf("state_dir %s lets group or others in (mode "
		    "%04o) and is owned by uid %lu, not runneld's %lu: chown "
		    "it to runneld's user or chmod 700 it", path,
		    (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		close(fd);
		return -1;
	}
	if (fix) {
		if (fchmod(fd, 0700) == -1)
			goto fail;
		log_info("state_dir %s: mode %04o let group or others in; "
		    "now 0700", path, (unsigned)(st.st_mode & 07777));
	}
	close(fd);
	return 0;

fail:
	saved = errno;
	close(fd);
	*cause = xasprintf("state_dir %s: %s", path, strerror(saved));
	return -1;
}

/* SIGHUP: reload; SIGTERM, SIGINT: shut down per on_shutdown, and a second
 * one hurries it along. */
static void
server_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	(void)events;
	(void)arg;
	if (sig == SIGHUP) {
		if (server.shutting_down)
			log_info("SIGHUP: shutting down, not reloading");
		else
			reload();
		return;
	}
	if (server.shutting_down && !server.cancelling) {
		log_info("%s: cancelling the running tasks",
		    signal_name(sig));
		server_cancel_all();
		return;
	}
	if (server.shutting_down) {
		log_info("second signal: exiting now");
		event_base_loopbreak(server.base);
		return;
	}
	log_info("%s: shutting down", signal_name(sig));
	server_shutdown();
}

/* A private key others can read is a key others may have: refuse it.
 * As PostgreSQL does, a key owned by root may be readable by its group
 * (0640, `runnel pki init --group`): the daemon's group reads it, no one
 * else does. */
static int
server_check_key(const char *path, char **cause)
{
	struct stat	st;
	mode_t		bad = S_IRWXG | S_IRWXO;

	if (stat(path, &st) == -1)
		return 0;	/* tls_server_ctx says what is wrong */
	if (st.st_uid == 0)
		bad = S_IWGRP | S_IXGRP | S_IRWXO;
	if (st.st_mode & bad) {
		*cause = xasprintf("private key %s is readable by group or "
		    "others (mode %04o): chmod 600 it (or 640 owned by root)",
		    path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The first of the TLS files that does not exist or that runneld may not
 * read (*err says which), or NULL. */
static const char *
server_tls_missing(const struct config *conf, int *err)
{
	const char	*files[] = { conf->tls_cert, conf->tls_key,
			    conf->tls_ca };
	size_t		 i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (files[i] != NULL && access(files[i], R_OK) == -1 &&
		    (errno == ENOENT || errno == EACCES)) {
			*err = errno;
			return files[i];
		}
	}
	return NULL;
}

/* How to make the PKI whose file path is missing (err ENOENT), or how to
 * let runneld read it (EACCES): one line. */
static char *
server_tls_hint(const char *path, int err)
{
	const char	*slash = strrchr(path, '/');
	struct group	*gr;
	int		 dirlen;

	dirlen = slash != NULL && slash != path ? (int)(slash - path) : 1;
	gr = geteuid() != 0 ? getgrgid(getegid()) : NULL;
	if (err == EACCES)
		return xasprintf("tls: cannot read %s: %s; as root, give its "
		    "directory (mode 0750) and key (0640) to runneld's group "
		    "%s with chgrp, then reload runneld", path, strerror(err),
		    gr != NULL ? gr->gr_name : "");
	return xasprintf("tls: %s is missing; make it with 'runnel pki init "
	    "%.*s --name HOST%s%s' as root, then reload runneld", path,
	    dirlen, slash != NULL ? path : ".", gr != NULL ? " --group " : "",
	    gr != NULL ? gr->gr_name : "");
}

/* Prefix *cause with "FILE:LINE: ", the place of the [tls] key that named
 * the file it is about: of the configured files, the longest path it
 * names (every text of tls.c and of this file names its file; the
 * longest, so that "k" never wins over "k.pem"). */
static void
server_tls_where(const struct config *conf, char **cause)
{
	const struct {
		const char	*path;
		unsigned long	 line;
	} keys[] = {
		{ .path = conf->tls_cert, .line = conf->tls_cert_line },
		{ .path = conf->tls_key, .line = conf->tls_key_line },
		{ .path = conf->tls_ca, .line = conf->tls_ca_line },
		{ .path = conf->tls_crl, .line = conf->tls_crl_line }
	};
	size_t		 i, len, best = 0;
	unsigned long	 line = 0;
	char		*s;

	if (*cause == NULL)
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].path == NULL || keys[i].line == 0 ||
		    (len = strlen(keys[i].path)) <= best ||
		    strstr(*cause, keys[i].path) == NULL)
			continue;
		best = len;
		line = keys[i].line;
	}
	if (line == 0)
		return;
	s = xasprintf("%s:%lu: %s", conf->path, line, *cause);
	free(*cause);
	*cause = s;
}

/* The server's TLS context for a configuration, CRL included; *ctx is
 * NULL when the configuration has no TLS.  1 (with *ctx NULL and *cause
 * saying how to make them) when the configured TLS files do not exist
 * yet, as on a fresh install, or runneld may not read them: the TLS
 * listeners refuse connections until a reload finds them. */
int
server_tls_ctx(const struct config *conf, SSL_CTX **ctx, char **cause)
{
	const char	*missing;
	int		 err;

	*ctx = NULL;
	if (conf->nlisten == 0 && conf->tls_cert == NULL)
		return 0;
	if ((missing = server_tls_missing(conf, &err)) != NULL) {
		*cause = server_tls_hint(missing, err);
		server_tls_where(conf, cause);
		return 1;
	}
	if (server_check_key(conf->tls_key, cause) != 0)
		goto fail;
	*ctx = tls_server_ctx(conf->tls_ca, conf->tls_cert, conf->tls_key,
	    cause);
	if (*ctx == NULL)
		goto fail;
	if (conf->tls_crl != NULL &&
	    tls_server_crl(*ctx, conf->tls_ca, conf->tls_crl, cause) != 0) {
		SSL_CTX_free(*ctx);
		*ctx = NULL;
		goto fail;
	}
	return 0;

fail:
	server_tls_where(conf, cause);
	return -1;
}

/* An eventfd through which a thread wakes the loop, and the event (control
 * priority, added) that runs cb when it does. */
struct event *
server_wakeup_new(int *efd, event_callback_fn cb)
{
	struct event	*ev;

	if ((*efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("eventfd");
	ev = event_new(server.base, *efd, EV_READ | EV_PERSIST, cb, NULL);
	event_priority_set(ev, PRI_CONTROL);
	event_add(ev, NULL);
	return ev;
}

/* Add a listener to the server's. */
void
server_add_listener(struct listener *l)
{
	server.listeners = xreallocarray(server.listeners,
	    server.nlisteners + 1, sizeof *server.listeners);
	server.listeners[server.nlisteners++] = l;
}

/* Bind the configured listen addresses (tcp) and unix socket (unixsock). */
static int
server_bind(struct config *conf, int tcp, int unixsock, char **cause)
{
	struct listener	*l;
	size_t		 i;

	for (i = 0; tcp && i < conf->nlisten; i++) {
		if ((l = listener_create_tcp(conf->listen[i], cause)) == NULL)
			return -1;
		server_add_listener(l);
	}
	if (unixsock && conf->socket != NULL) {
		if ((l = listener_create_unix(conf->socket, cause)) == NULL)
			return -1;
		server_add_listener(l);
	}
	return 0;
}

/* Set everything up; with check_only, just check the TLS material. */
int
server_init(struct config *conf, int check_only, char **cause)
{
	size_t		 i;
	int		 passed, rc, have_unix = 0, have_tls = 0;

	memset(&server, 0, sizeof server);
	server.conf = conf;
	TAILQ_INIT(&server.sessions);
	queue_init();
	server.uid = getuid();
	server.euid = geteuid();
	server.start_ms = server_now_ms();

	if ((rc = server_tls_ctx(conf, &server.ssl_ctx, cause)) == -1 ||
	    (rc == 1 && check_only))
		return -1;
	if (server_state_dir(conf->state_dir, !check_only, cause) == -1)
		return -1;
	if (check_only)
		return conf->socket != NULL ?
		    listener_check_unix(conf->socket, cause) : 0;
	if (rc == 1) {
		log_warnx("%s (TLS listener off until then)", *cause);
		free(*cause);
		*cause = NULL;
	}

	server.spool_dir = xasprintf("%s/tasks", conf->state_dir);
	if (server_mkdir(server.spool_dir, cause) == -1)
		return -1;

	signal(SIGPIPE, SIG_IGN);
	notify_init();
	if ((server.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	event_base_priority_init(server.base, PRI_COUNT);
	lag_start();
	sched_init();
	output_writer_start();
	if (journal_open(conf->state_dir, server_nosync, cause) != 0)
		return -1;
	retention_start();
	server_sig_term = evsignal_new(server.base, SIGTERM, server_signal_cb,
	    NULL);
	server_sig_int = evsignal_new(server.base, SIGINT, server_signal_cb,
	    NULL);
	server_sig_hup = evsignal_new(server.base, SIGHUP, server_signal_cb,
	    NULL);
	evsignal_add(server_sig_term, NULL);
	evsignal_add(server_sig_int, NULL);
	evsignal_add(server_sig_hup, NULL);

	/* Passed sockets replace their kind only: with runneld.socket alone
	 * (the unix socket), [server] listen is still bound. */
	if ((passed = activation_listen(cause)) == -1)
		return -1;
	for (i = 0; i < server.nlisteners; i++) {
		if (listener_is_unix(server.listeners[i]))
			have_unix = 1;
		else
			have_tls = 1;
	}
	if (passed > 0) {
		server.activated = 1;
		log_info("socket activation: %d sockets passed, in place of "
		    "[server] %s", passed, have_tls && have_unix ?
		    "listen and socket" : have_tls ? "listen" : "socket");
	}
	if (server_bind(conf, !have_tls, !have_unix, cause) != 0)
		return -1;
	if (server.nlisteners == 0) {
		*cause = xstrdup("nothing to listen on: [server] socket is "
		    "none, listen is unset and systemd passed no socket");
		return -1;
	}
	for (i = 0; i < server.nlisteners; i++)
		log_notice("listening on %s", listener_name(server.listeners[i]));
	return 0;
}

/* Run the loop until shutdown completes. */
void
server_run(void)
{
	log_notice("ready, pid %ld", (long)getpid());
	notify_ready();
	event_base_dispatch(server.base);
}

/* Leave the loop once the last task is gone, after a moment for the last
 * messages to reach their watchers. */
void
server_maybe_exit(void)
{
	struct timeval	tv = { 0, 200 * 1000 };

	if (!server.shutting_down || server.nrunning > 0)
		return;
	event_base_loopexit(server.base, &tv);
}

/* The grace period is over and tasks are still there: stop anyway. */
static void
server_shutdown_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	log_warnx("shutdown: %u tasks still running, exiting", server.nrunning);
	event_base_loopexit(server.base, NULL);
}

/* Cancel every running task with the grace period; exit when all have
 * ended or a little after the grace period.  Queued tasks (and those
 * waiting for a retry or their start time) stay queued in the journal for
 * the next start: an orderly stop or restart never empties the queue. */
void
server_cancel_all(void)
{
	struct timeval	 tv;
	size_t		 i;
	struct task	*t;

	server.cancelling = 1;
	TASK_FOREACH(t, i) {
		if (t->state == TASK_RUNNING)
			task_cancel(t, SIGTERM, server.conf->grace_ms,
			    "shutdown");
	}
	tv.tv_sec = server.conf->grace_ms / 1000 + 2;
	tv.tv_usec = (server.conf->grace_ms % 1000) * 1000;
	if (server.shutdown_timer == NULL)
		server.shutdown_timer = evtimer_new(server.base,
		    server_shutdown_timer_cb, NULL);
	evtimer_add(server.shutdown_timer, &tv);
	server_maybe_exit();
}

/* Stop accepting; then per on_shutdown, cancel the running tasks (cancel)
 * or let them finish (wait); either way the queued ones stay queued in the
 * journal.  Exit when none runs. */
void
server_shutdown(void)
{
	size_t		 i;

	server.shutting_down = 1;
	notify_stopping();
	for (i = 0; i < server.nlisteners; i++)
		listener_free(server.listeners[i]);
	free(server.listeners);
	server.listeners = NULL;
	server.nlisteners = 0;

	if (server.conf->on_shutdown == CONFIG_ON_SHUTDOWN_WAIT) {
		log_info("shutdown: waiting for %u running tasks, %u queued "
		    "stay queued", server.nrunning, server.nqueued);
		server_maybe_exit();
		return;
	}
	log_info("shutdown: cancelling %u running tasks, %u queued stay "
	    "queued", server.nrunning, server.nqueued);
	server_cancel_all();
}

/* Free everything (so leak checkers see a clean exit). */
void
server_free(void)
{
	struct session	*s;
	struct task	*t;
	size_t		 i;

	while ((s = TAILQ_FIRST(&server.sessions)) != NULL)
		session_lost(s, NULL);
	TASK_FOREACH(t, i) {
		if (!task_is_final(t))
			t->kind->signal(t, SIGKILL);
	}
	for (i = 0; i < server.nlisteners; i++)
		listener_free(server.listeners[i]);
	free(server.listeners);
	retention_stop();
	reload_stop();
	journal_close();
	output_writer_stop();
	task_free_all();
	queue_free_all();
	sched_free();
	if (server.base != NULL) {
		/* Run the deferred frees queued by session_lost. */
		event_base_loop(server.base, EVLOOP_NONBLOCK);
		if (server.shutdown_timer != NULL)
			event_free(server.shutdown_timer);
		event_free(server_sig_term);
		event_free(server_sig_int);
		event_free(server_sig_hup);
		/* Exiting already: a late signal must not cut the clean-up
		 * short with its default action. */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		lag_stop();
		notify_free();
		event_base_free(server.base);
	}
	if (server.ssl_ctx != NULL)
		SSL_CTX_free(server.ssl_ctx);
	free(server.spool_dir);
}
