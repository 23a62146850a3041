/*
 * reload.c - SIGHUP: read the configuration and the TLS material (CA, CRL,
 * certificate, key) again and switch to them at once, or not at all: a bad
 * file keeps everything running as it was and the log says why.
 *
 * What can change live does: limits (read from server.conf at each use),
 * the access map, queues, TLS material, logging.  Connections whose
 * certificate the new CA or CRL rejects, or whose identity lost its role,
 * are closed; running tasks are never touched.  What cannot change without
 * a restart (listen addresses, the unix socket, state_dir, pid_file) is
 * reported and keeps its running value.
 *
 * Reading is done on a thread of its own: the files may be on a slow disk
 * and the config's user names go through NSS (LDAP, say), and the loop
 * must not wait for either.  config_load and server_tls_ctx touch nothing
 * but what they return.  The loop switches to the result when the thread
 * is done; a SIGHUP meanwhile starts one more read after it.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>

#include "log.h"
#include "runneld.h"

/* Two optional strings are the same. */
static int
reload_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The listen addresses are the same, in order. */
static int
reload_same_listen(const struct config *a, const struct config *b)
{
	size_t	i;

	if (a->nlisten != b->nlisten)
		return 0;
	for (i = 0; i < a->nlisten; i++) {
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return 0;
	}
	return 1;
}

/* Swap two string pointers. */
static void
reload_swap(char **a, char **b)
{
	char	*t = *a;

	*a = *b;
	*b = t;
}

/* Keep what needs a restart at its running value, saying so.  The old
 * strings move into the new configuration (others may hold them). */
static void
reload_keep_fixed(struct config *old, struct config *new)
{
	char	**tl;
	size_t	  tn;

	if (!reload_same_listen(old, new)) {
		if (!server.activated)
			log_warnx("reload: [server] listen changed: restart "
			    "runneld to apply");
		tl = old->listen;
		tn = old->nlisten;
		old->listen = new->listen;
		old->nlisten = new->nlisten;
		new->listen = tl;
		new->nlisten = tn;
	}
	if (!reload_same(old->socket, new->socket)) {
		if (!server.activated)
			log_warnx("reload: [server] socket changed: restart "
			    "runneld to apply");
		reload_swap(&old->socket, &new->socket);
	}
	if (!reload_same(old->state_dir, new->state_dir)) {
		log_warnx("reload: [server] state_dir changed: restart "
		    "runneld to apply");
		reload_swap(&old->state_dir, &new->state_dir);
	}
	if (!reload_same(old->pid_file, new->pid_file)) {
		log_warnx("reload: [server] pid_file changed: restart "
		    "runneld to apply");
		reload_swap(&old->pid_file, &new->pid_file);
	}
}

/* Apply queue settings that the file changed (a queue's limit changed at
 * run time through the Queue RPC stays unless its section changed). */
static void
reload_queues(const struct config *old, const struct config *new)
{
	const struct config_queue	*cq, *oq;
	struct queue			*q;
	size_t				 i;

	for (i = 0; i < new->nqueues; i++) {
		cq = &new->queues[i];
		oq = config_queue(old, cq->name);
		if ((q = queue_find(cq->name)) == NULL) {
			q = queue_add(cq->name, cq->max_running,
			    cq->timeout_ms);
			journal_queue(q);
			log_info("reload: queue %s added", cq->name);
			continue;
		}
		if (oq != NULL && oq->max_running == cq->max_running &&
		    oq->timeout_ms == cq->timeout_ms)
			continue;
		q->max_running = cq->max_running;
		q->timeout_ms = cq->timeout_ms;
		journal_queue(q);
		log_info("reload: queue %s: max_running %u", q->name,
		    q->max_running);
	}
	for (i = 0; i < old->nqueues; i++) {
		if (config_queue(new, old->queues[i].name) == NULL)
			log_info("reload: [queue %s] removed: the queue stays "
			    "with its settings until restart",
			    old->queues[i].name);
	}
}

/* A unix peer's role under the new map: root and our own user stay admin;
 * another keeps one only while the new table still names its uid as the
 * user it connected as (a user gone from the password database, or whose
 * entry went, loses it). */
static enum role
reload_unix_role(struct session *s)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	const char	*user;

	if (getsockopt(bufferevent_getfd(s->bev), SOL_SOCKET, SO_PEERCRED,
	    &cred, &len) == -1)
		return ROLE_NONE;
	if (cred.uid == 0 || cred.uid == server.uid)
		return ROLE_ADMIN;
	if ((user = access_unix_name(server.conf, cred.uid)) == NULL ||
	    strncmp(s->identity, "unix:", 5) != 0 ||
	    strcmp(s->identity + 5, user) != 0)
		return ROLE_NONE;
	return access_role(server.conf, s->identity);
}

/* Check every connection against the new CA, CRL and access map. */
static void
reload_sessions(void)
{
	struct session	*s, *s1;
	enum role	 role;
	SSL		*ssl;
	char		*why = NULL, *msg;

	TAILQ_FOREACH_SAFE(s, &server.sessions, entry, s1) {
		if (s->state == SESSION_DEAD)
			continue;
		if (!s->is_unix && s->state == SESSION_HANDSHAKE &&
		    server.ssl_ctx != NULL &&
		    (ssl = bufferevent_openssl_get_ssl(s->bev)) != NULL &&
		    tls_server_reverify(ssl, server.ssl_ctx) != 0) {
			session_lost(s, "closed on reload: cannot switch its "
			    "handshake to the new CA and CRL");
			continue;
		}
		if (s->identity == NULL)
			continue;
		if (!s->is_unix && server.ssl_ctx != NULL &&
		    (ssl = bufferevent_openssl_get_ssl(s->bev)) != NULL &&
		    tls_peer_recheck(server.ssl_ctx, ssl, &why) != 0) {
			msg = xasprintf("closed on reload: %s",
			    why != NULL ? why : "certificate rejected");
			free(why);
			why = NULL;
			session_lost(s, msg);
			free(msg);
			continue;
		}
		role = s->is_unix ? reload_unix_role(s) :
		    access_role(server.conf, s->identity);
		if (role == ROLE_NONE) {
			session_lost(s, "closed on reload: identity lost its "
			    "role");
			continue;
		}
		if (role != s->role) {
			log_info("conn %llu: %s: role %s -> %s",
			    (unsigned long long)s->id, s->identity,
			    access_role_name(s->role), access_role_name(role));
			s->role = role;
		}
	}
}

/* Set logging from a configuration. */
static void
reload_log(const struct config *conf)
{
	int	level = server_verbose ? LOG_DEBUG : conf->log_level;

	log_setup(conf->log, -1, level);
}

/* Seconds runneld's exit waits for a reload still reading. */
#define RELOAD_EXIT_WAIT	2

/* The read under way, if any. */
static struct {
	pthread_t	 thread;
	int		 running;
	int		 again;		/* a SIGHUP came meanwhile */
	int		 efd;
	struct event	*ev;
	char		*path;
	struct config	*conf;
	SSL_CTX		*ctx;
	char		*cause;
} reload_job = { .efd = -1 };

/* On the thread: read the configuration and the TLS material. */
static void *
reload_main(void *arg)
{
	uint64_t	one = 1;

	(void)arg;
	reload_job.conf = config_load(reload_job.path, &reload_job.cause);
	/* TLS files still missing (1): the configuration applies, TLS
	 * stays off, and the cause says how to make them. */
	if (reload_job.conf != NULL &&
	    server_tls_ctx(reload_job.conf, &reload_job.ctx,
	    &reload_job.cause) == -1) {
		config_free(reload_job.conf);
		reload_job.conf = NULL;
	}
	if (write(reload_job.efd, &one, sizeof one) == -1) {
		/* An eventfd counter does not fill up. */
	}
	return NULL;
}

/* Switch to what the thread read, or say why not. */
static void
reload_apply(struct config *conf, SSL_CTX *ctx, char *cause)
{
	struct config	*old = server.conf;

	if (conf == NULL)
		goto fail;
	if (server.shutting_down) {
		free(cause);
		cause = xstrdup("shutting down");
		goto fail;
	}
	if (ctx == NULL && server.ssl_ctx != NULL) {
		if (cause == NULL)
			cause = xstrdup("[tls] is needed by the TLS listeners");
		goto fail;
	}
	if (cause != NULL) {
		log_warnx("reload: %s (TLS listener still off)", cause);
		free(cause);
	}

	reload_keep_fixed(old, conf);
	server.conf = conf;
	if (ctx != NULL) {
		/* Connections hold a reference to the context they began
		 * with; new ones get the new one. */
		if (server.ssl_ctx != NULL)
			SSL_CTX_free(server.ssl_ctx);
		else
			log_notice("reload: TLS files found: TLS listener on");
		server.ssl_ctx = ctx;
	}
	reload_log(conf);
	reload_queues(old, conf);
	config_free(old);
	reload_sessions();
	sched_request();
	retention_request();
	log_notice("reloaded %s", conf->path);
	return;

fail:
	log_warnx("reload failed, keeping the running configuration: %s",
	    cause);
	free(cause);
	if (ctx != NULL)
		SSL_CTX_free(ctx);
	config_free(conf);
}

/* Take what the joined thread read. */
static void
reload_take(struct config **conf, SSL_CTX **ctx, char **cause)
{
	reload_job.running = 0;
	*conf = reload_job.conf;
	*ctx = reload_job.ctx;
	*cause = reload_job.cause;
	reload_job.conf = NULL;
	reload_job.ctx = NULL;
	reload_job.cause = NULL;
	free(reload_job.path);
	reload_job.path = NULL;
}

static void	reload_begin(void);

/* The thread is done: switch, then read again if a SIGHUP came meanwhile. */
static void
reload_done_cb(evutil_socket_t fd, short events, void *arg)
{
	struct config	*conf;
	SSL_CTX		*ctx;
	char		*cause;
	uint64_t	 n;

	(void)events;
	(void)arg;
	if (read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("reload: eventfd");
	if (!reload_job.running)
		return;
	pthread_join(reload_job.thread, NULL);
	reload_take(&conf, &ctx, &cause);
	reload_apply(conf, ctx, cause);
	if (reload_job.again && !server.shutting_down) {
		reload_job.again = 0;
		reload_begin();
		return;
	}
	reload_job.again = 0;
	notify_ready();
}

/* Start reading on the thread (every signal blocked there: they are the
 * loop's). */
static void
reload_begin(void)
{
	sigset_t	all, old;

	if (reload_job.ev == NULL)
		reload_job.ev = server_wakeup_new(&reload_job.efd,
		    reload_done_cb);
	log_info("SIGHUP: reloading %s", server.conf->path);
	reload_job.path = xstrdup(server.conf->path);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&reload_job.thread, NULL, reload_main, NULL) != 0)
		fatalx("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	reload_job.running = 1;
}

/* SIGHUP: reload everything, atomically, without stopping the loop. */
void
reload(void)
{
	if (reload_job.running) {
		log_info("SIGHUP: a reload is under way; reloading again "
		    "after it");
		reload_job.again = 1;
		return;
	}
	notify_reloading();
	reload_begin();
}

/* At exit: wait a little for a read under way and drop it; one stuck (a
 * hung file system) is left to end with the process, its eventfd open. */
void
reload_stop(void)
{
	struct config	*conf;
	SSL_CTX		*ctx;
	char		*cause;
	struct timespec	 ts;

	if (reload_job.running) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += RELOAD_EXIT_WAIT;
		if (pthread_timedjoin_np(reload_job.thread, NULL, &ts) != 0) {
			log_warnx("reload: still reading %s; not waiting for "
			    "it", reload_job.path);
			pthread_detach(reload_job.thread);
			reload_job.running = 0;
			event_free(reload_job.ev);
			reload_job.ev = NULL;
			return;
		}
		reload_take(&conf, &ctx, &cause);
		if (ctx != NULL)
			SSL_CTX_free(ctx);
		config_free(conf);
		free(cause);
	}
	if (reload_job.ev != NULL) {
		event_free(reload_job.ev);
		reload_job.ev = NULL;
		close(reload_job.efd);
		reload_job.efd = -1;
	}
}
