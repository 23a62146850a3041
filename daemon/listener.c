/*
 * listener.c - the listening sockets: TLS over TCP and the local unix
 * socket.  Accepting pauses (on a timer, never a spin) when descriptors run
 * out: libevent 2.1's evconnlistener otherwise calls its error callback in
 * a tight loop on EMFILE.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>

#include "log.h"
#include "runneld.h"

/* The kernel's accept queue, up to net.core.somaxconn (4096 by default
 * since Linux 5.4).  A source flooding with reconnects is refused here at
 * accept, but while the daemon is off the CPU its SYNs wait in that queue,
 * where no per-source accounting sees them: a full queue drops the next
 * client's SYN, which costs it a 1 s retransmit. */
#define LISTENER_BACKLOG	4096

struct listener {
	struct evconnlistener	*evl;
	char			*name;
	char			*path;		/* unix socket to unlink */
	int			 is_unix;
	struct event		*retry;
	/* Lines a peer can repeat at will: one a second, with a count. */
	struct log_rate		 accept_log, full_log, notls_log, drop_log;
	struct log_rate		 source_log, penalty_log, norole_log, uid_log;
	uint64_t		 drops;		/* by max_startups */
};

/* Resume accepting after descriptors ran out. */
static void
listener_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct listener	*l = arg;

	(void)fd;
	(void)events;
	evconnlistener_enable(l->evl);
}

/* accept() failed: pause for a second on resource errors. */
static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener	*l = arg;
	struct timeval	 tv = { 1, 0 };
	int		 err = EVUTIL_SOCKET_ERROR();
	unsigned long long skipped;

	(void)evl;
	if (err == EINTR || err == EAGAIN || err == ECONNABORTED)
		return;
	if (log_ratelimit(&l->accept_log, &skipped)) {
		errno = err;
		log_warn("%s: accept (%llu more failed since the last line)",
		    l->name, skipped);
	}
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		evconnlistener_disable(l->evl);
		evtimer_add(l->retry, &tv);
	}
}

/* Refuse a TLS connection before authentication, as sshd's MaxStartups
 * does: from START connections before Hello on with RATE% chance, rising
 * linearly to certainty at FULL.  Only a source that already holds a
 * connection before Hello meets the chance, and at FULL a source holding
 * fewer than the biggest holder takes one of its places
 * (source_evict): so one source, or a few, cannot hold the door shut for
 * the others.  Authenticated peers are unaffected.  Unix-socket peers are
 * known by their uid at once and meet the other limits. */
static int
listener_early_drop(const struct source *src)
{
	const struct config_startups	*ms = &server.conf->max_startups;
	unsigned			 n = server.nunauth, p;

	if (n >= ms->full)
		return source_evict(src) != 0;
	if (n < ms->start || source_count(src) == 0)
		return 0;
	p = ms->rate + (100 - ms->rate) * (n - ms->start) /
	    (ms->full - ms->start);
	return arc4random_uniform(100) < p;
}

/* The slots of max_connections a connection may take: all of them for
 * root and runneld's own user on the unix socket, all but admin_reserve
 * (at most max_connections - 1) for anyone else. */
static unsigned
listener_room(int admin)
{
	unsigned	max = server.conf->max_connections;
	unsigned	reserve = server.conf->admin_reserve;

	if (admin)
		return max;
	return max - (reserve < max ? reserve : max - 1);
}

/* Is the table full for this connection?  Log it (once a second). */
static int
listener_full(struct listener *l, int admin)
{
	unsigned long long	skipped;

	if (server.nsessions < listener_room(admin))
		return 0;
	if (log_ratelimit(&l->full_log, &skipped))
		log_warnx("%s: connection limit %u reached%s, refusing "
		    "(%llu more refused since the last line)", l->name,
		    server.conf->max_connections, admin ? "" :
		    " (but the admin_reserve)", skipped);
	return 1;
}

/* A unix-socket peer: its uid is known at accept (SO_PEERCRED).  A uid
 * with no role, or one over max_connections_per_uid, is refused here,
 * before it takes a slot or a buffer. */
static void
listener_accept_unix(struct listener *l, int fd)
{
	struct ucred		 cred;
	socklen_t		 len = sizeof cred;
	char			*identity = NULL;
	enum role		 role;
	unsigned		 max = server.conf->max_connections_per_uid;
	unsigned long long	 skipped;
	int			 admin;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		if (log_ratelimit(&l->accept_log, &skipped))
			log_warn("%s: SO_PEERCRED (%llu more failed since "
			    "the last line)", l->name, skipped);
		close(fd);
		return;
	}
	admin = cred.uid == 0 || cred.uid == server.uid;
	if (listener_full(l, admin)) {
		session_refuse(fd,
		    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
		    "connection limit %u reached",
		    server.conf->max_connections);
		return;
	}
	role = session_unix_role(cred.uid, &identity);
	if (role == ROLE_NONE) {
		if (log_ratelimit(&l->norole_log, &skipped))
			log_warnx("%s: identity %s has no role, refused at "
			    "accept (%llu more refused since the last line)",
			    l->name, identity, skipped);
		session_refuse(fd,
		    RUNNEL__V1__ERROR_CODE__ERROR_UNAUTHENTICATED,
		    "identity %s has no role", identity);
		goto out;
	}
	if (!admin && max != 0 && session_count_uid(cred.uid) >= max) {
		if (log_ratelimit(&l->uid_log, &skipped))
			log_warnx("%s: %s has %u connections, refusing more "
			    "(max_connections_per_uid; %llu more refused since "
			    "the last line)", l->name, identity, max, skipped);
		session_refuse(fd,
		    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
		    "%s has %u connections already (max_connections_per_uid)",
		    identity, max);
		goto out;
	}
	session_create(fd, NULL, "unix");
out:
	free(identity);
}

/* A TLS peer: refused at accept, before TLS, when its source is
 * penalised or holds max_startups_per_source connections before Hello,
 * or by max_startups. */
static void
listener_accept_tcp(struct listener *l, int fd, struct sockaddr *sa,
    int salen)
{
	char			 host[NI_MAXHOST], serv[NI_MAXSERV], *peer;
	struct source		*src;
	struct session		*s;
	SSL			*ssl = NULL;
	unsigned		 per = server.conf->max_startups_per_source;
	int			 one = 1;
	int64_t			 left;
	unsigned long long	 skipped;

	if (listener_full(l, 0)) {
		close(fd);
		return;
	}
	src = source_get(sa);
	if ((left = source_penalized(src)) != 0) {
		if (log_ratelimit(&l->penalty_log, &skipped))
			log_warnx("%s: source %s penalised for %lld ms more, "
			    "refusing (source_penalty; %llu more refused since "
			    "the last line)", l->name, source_name(src),
			    (long long)left, skipped);
		close(fd);
		return;
	}
	if (per != 0 && source_count(src) >= per) {
		if (log_ratelimit(&l->source_log, &skipped))
			log_warnx("%s: source %s has %u connections before "
			    "hello, refusing (max_startups_per_source; %llu "
			    "more refused since the last line)", l->name,
			    source_name(src), per, skipped);
		close(fd);
		return;
	}
	if (listener_early_drop(src)) {
		l->drops++;
		if (log_ratelimit(&l->drop_log, &skipped))
			log_warnx("%s: %u connections before hello, dropping "
			    "new ones (max_startups; %llu so far)", l->name,
			    server.nunauth, (unsigned long long)l->drops);
		close(fd);
		return;
	}
	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strcpy(host, "?");
		strcpy(serv, "?");
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((ssl = SSL_new(server.ssl_ctx)) == NULL) {
		log_warnx("%s: SSL_new failed", l->name);
		close(fd);
		return;
	}
	peer = xasprintf("%s:%s", host, serv);
	s = session_create(fd, ssl, peer);
	source_add(src, s);
	free(peer);
}

/* A new connection: refuse it over a limit, else start a session. */
static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener	*l = arg;
	unsigned long long skipped;

	(void)evl;
	if (server.shutting_down) {
		close(fd);
		return;
	}
	if (l->is_unix) {
		listener_accept_unix(l, fd);
		return;
	}
	if (server.ssl_ctx == NULL) {
		/* [tls] files missing at start: refused until a reload. */
		if (log_ratelimit(&l->notls_log, &skipped))
			log_warnx("%s: TLS files missing, refusing "
			    "connections until a reload finds them (%llu more "
			    "refused since the last line)", l->name, skipped);
		close(fd);
		return;
	}
	listener_accept_tcp(l, fd, sa, salen);
}

/* Wrap a bound socket in a listener. */
static struct listener *
listener_wrap(evutil_socket_t fd, const char *name, char **cause)
{
	struct listener	*l;

	l = xcalloc(1, sizeof *l);
	l->evl = evconnlistener_new(server.base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, LISTENER_BACKLOG,
	    fd);
	if (l->evl == NULL) {
		*cause = xasprintf("%s: listen: %s", name, strerror(errno));
		close(fd);
		free(l);
		return NULL;
	}
	evconnlistener_set_error_cb(l->evl, listener_error_cb);
	l->retry = evtimer_new(server.base, listener_retry_cb, l);
	l->name = xstrdup(name);
	return l;
}

/* Listen for TLS on host:port (port 0: any free port). */
struct listener *
listener_create_tcp(const char *addr, char **cause)
{
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	char			*host = NULL, *port = NULL, *name = NULL;
	char			 h[NI_MAXHOST], p[NI_MAXSERV];
	struct listener		*l = NULL;
	int			 fd = -1, is_unix, one = 1, error;

	if (parse_hostport(addr, &host, &port, &is_unix) != 0 || is_unix) {
		*cause = xasprintf("bad listen address '%s'", addr);
		goto out;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		*cause = xasprintf("listen %s: %s", addr, gai_strerror(error));
		goto out;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, res->ai_protocol);
	if (fd == -1) {
		*cause = xasprintf("listen %s: socket: %s", addr,
		    strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTENER_BACKLOG) == -1) {
		*cause = xasprintf("listen %s: %s", addr, strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, h, sizeof h, p,
	    sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		name = xasprintf(strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s",
		    h, p);
	else
		name = xstrdup(addr);
	l = listener_wrap(fd, name, cause);
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	free(name);
	free(host);
	free(port);
	return l;
}

/* Create the unix socket's directory if it is missing (0755, owned by the
 * daemon's user), as sshd and tmux create their runtime directories; its
 * own parent must exist.  0, or -1 with *cause. */
static int
listener_mkdir(const char *path, char **cause)
{
	const char	*slash = strrchr(path, '/');
	char		*dir;
	int		 rc = 0;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	/* chmod: the umask (the unit's is 0027) must not keep local users
	 * from the socket. */
	if (mkdir(dir, 0755) == 0 && chmod(dir, 0755) == 0)
		log_info("created %s for the unix socket", dir);
	else if (errno != EEXIST) {
		*cause = xasprintf("cannot create the unix socket's "
		    "directory %s: %s", dir, strerror(errno));
		rc = -1;
	}
	free(dir);
	return rc;
}

/* Is this the local unix socket (else a TLS port)? */
int
listener_is_unix(const struct listener *l)
{
	return l->is_unix;
}

/* For --check-config: can the unix socket's directory be there at start
 * (it is, or its parent is, for runneld to create it)?  0, or -1 with
 * *cause. */
int
listener_check_unix(const char *path, char **cause)
{
	const char	*slash = strrchr(path, '/');
	struct stat	 st;
	char		*dir, *up;
	int		 rc = 0;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	if (stat(dir, &st) == 0 || errno != ENOENT) {
		free(dir);
		return 0;
	}
	slash = strrchr(dir, '/');
	up = xstrndup(dir, slash == NULL ? 1 : slash == dir ? 1 :
	    (size_t)(slash - dir));
	if (slash == NULL || stat(up, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("[server] socket %s: its directory %s is "
		    "missing, and so is %s", path, dir, up);
		rc = -1;
	}
	free(up);
	free(dir);
	return rc;
}

/* Listen on a unix socket; a stale socket file is replaced, a live one is
 * an error.  A missing directory is created. */
struct listener *
listener_create_unix(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	struct listener		*l;
	char			*name;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = xasprintf("socket path too long: %s", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (listener_mkdir(path, cause) != 0)
		return NULL;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("%s: socket: %s", path, strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
		*cause = xasprintf("%s: another daemon is listening there",
		    path);
		close(fd);
		return NULL;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(path, 0666) == -1 || listen(fd, LISTENER_BACKLOG) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	name = xasprintf("unix:%s", path);
	l = listener_wrap(fd, name, cause);
	free(name);
	if (l != NULL) {
		l->path = xstrdup(path);
		l->is_unix = 1;
	}
	return l;
}

/* Listen on a socket the service manager passed (socket activation): it
 * is already bound and listening, and its file is not ours to remove. */
struct listener *
listener_create_fd(int fd, int is_unix, char **cause)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	socklen_t		 sslen = sizeof ss;
	struct listener		*l;
	char			 h[NI_MAXHOST], p[NI_MAXSERV], *name;

	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    evutil_make_socket_closeonexec(fd) == -1) {
		*cause = xasprintf("passed fd %d: %s", fd, strerror(errno));
		return NULL;
	}
	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		name = xasprintf("fd %d", fd);
	else if (is_unix)
		name = xasprintf("unix:%s", sun->sun_path[0] != '\0' ?
		    sun->sun_path : "(abstract)");
	else if (getnameinfo((struct sockaddr *)&ss, sslen, h, sizeof h, p,
	    sizeof p, NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		name = xasprintf(strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s",
		    h, p);
	else
		name = xasprintf("fd %d", fd);
	l = listener_wrap(fd, name, cause);
	free(name);
	if (l != NULL)
		l->is_unix = is_unix;
	return l;
}

/* Stop listening and remove a unix socket file. */
void
listener_free(struct listener *l)
{
	if (l == NULL)
		return;
	evconnlistener_free(l->evl);
	event_free(l->retry);
	if (l->path != NULL) {
		unlink(l->path);
		free(l->path);
	}
	free(l->name);
	free(l);
}

/* The address a listener is bound to, e.g. "127.0.0.1:7433". */
const char *
listener_name(const struct listener *l)
{
	return l->name;
}
