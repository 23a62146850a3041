/*
 * client-io.c - librunnel's transport: the connection to runneld over a
 * unix socket or TCP and mutual TLS, and framed messages over it.  The
 * socket is non-blocking and every wait is a poll() (a watch's a ppoll()
 * with its sigmask, if it gives one), so a signal interrupts a wait
 * cleanly: a watch then asks its interrupt callback what to do, any other
 * call simply waits on.  A read or write that fails marks the
 * connection dead; later requests then fail at once.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "client.h"

#define CLIENT_FRAME_MAX	(64U * 1024 * 1024)
#define CLIENT_BUF_MIN		(64U * 1024)

/* Fail with the OpenSSL error queue as the details. */
static int
client_io_fail_tls(struct runnel_client *c, int code, const char *what)
{
	long	 vr;
	char	*errs;

	errs = tls_errors();
	vr = c->ssl == NULL ? X509_V_OK : SSL_get_verify_result(c->ssl);
	if (vr != X509_V_OK)
		client_fail(c, code, "%s: %s (%s)", what,
		    errs == NULL ? "unknown error" : errs,
		    X509_verify_cert_error_string(vr));
	else
		client_fail(c, code, "%s: %s", what,
		    errs == NULL ? "unknown error" : errs);
	free(errs);
	return (code);
}

/*
 * The socket BIO under TLS: OpenSSL's own writes with write(2), and a
 * daemon gone away would then kill the caller with SIGPIPE.  A library must
 * not, so this one sends with MSG_NOSIGNAL.
 */
static int
client_io_bio_write(BIO *b, const char *data, int len)
{
	struct runnel_client	*c = BIO_get_data(b);
	ssize_t			 n;

	BIO_clear_retry_flags(b);
	n = send(c->fd, data, (size_t)len, MSG_NOSIGNAL);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_write(b);
	return ((int)n);
}

/* Read from the socket for OpenSSL, noting end of file. */
static int
client_io_bio_read(BIO *b, char *data, int len)
{
	struct runnel_client	*c = BIO_get_data(b);
	ssize_t			 n;

	BIO_clear_retry_flags(b);
	n = recv(c->fd, data, (size_t)len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_read(b);
	else if (n == 0)
		BIO_set_flags(b, BIO_FLAGS_IN_EOF);
	return ((int)n);
}

/* Answer OpenSSL's questions about the socket BIO. */
static long
client_io_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return (1);
	case BIO_CTRL_EOF:
		return (BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0);
	}
	return (0);
}

/* Mark a new socket BIO ready. */
static int
client_io_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return (1);
}

/*
 * Wait until the socket is ready; see the top of the file for signals.
 * A watch's wait for data (w given, POLLIN) also waits for the stdin pump's
 * fd and feeds the pump when that has input: never a write's wait, which
 * must not start another frame in the middle of its own.
 */
static int
client_io_wait(struct runnel_client *c, short events,
    const struct runnel_watch_opts *w)
{
	struct pollfd	pfd[2];
	nfds_t		n;
	int		r;

	for (;;) {
		pfd[0].fd = c->fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		n = 1;
		if (w != NULL && events == POLLIN && client_pump_wants(c)) {
			pfd[1].fd = c->pump_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		if ((w != NULL && w->sigmask != NULL ?
		    ppoll(pfd, n, NULL, w->sigmask) : poll(pfd, n, -1)) != -1) {
			if (n == 2 && pfd[1].revents != 0 &&
			    (r = client_pump_read(c)) != 0)
				return (r);
			if (pfd[0].revents != 0)
				return (0);
			continue;
		}
		if (errno != EINTR)
			return (client_fail(c, RUNNEL_EIO, "poll: %s",
			    strerror(errno)));
		if (w == NULL)
			continue;
		if (w->on_interrupt == NULL)
			return (client_fail(c, RUNNEL_EINTR,
			    "interrupted by a signal"));
		if ((r = w->on_interrupt(w->arg)) != 0)
			return (r);
	}
}

/* Turn a failed OpenSSL call into an error code; the stream is over. */
static int
client_io_ssl_fail(struct runnel_client *c, int err, const char *what)
{
	c->dead = 1;
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0))
		return (client_fail(c, RUNNEL_EIO,
		    "connection closed by daemon"));
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return (client_fail(c, RUNNEL_EIO, "%s: %s", what,
		    strerror(errno)));
	return (client_io_fail_tls(c, RUNNEL_ETLS, what));
}

/*
 * Move bytes once without waiting: 0 with *done set, the poll events to
 * wait for before trying again, or a negative error code.
 */
static int
client_io_try(struct runnel_client *c, int out, void *buf, size_t len,
    size_t *done)
{
	const char	*what = out ? "write to daemon" : "read from daemon";
	ssize_t		 n;
	int		 err;

	if (c->ssl != NULL) {
		/* OpenSSL first, always: it may hold decrypted bytes. */
		ERR_clear_error();
		errno = 0;
		if ((out ? SSL_write_ex(c->ssl, buf, len, done) :
		    SSL_read_ex(c->ssl, buf, len, done)) == 1)
			return (0);
		if ((err = SSL_get_error(c->ssl, 0)) == SSL_ERROR_WANT_READ)
			return (POLLIN);
		if (err == SSL_ERROR_WANT_WRITE)
			return (POLLOUT);
		return (client_io_ssl_fail(c, err, what));
	}
	if (out)
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	else
		n = recv(c->fd, buf, len, 0);
	if (n > 0) {
		*done = (size_t)n;
		return (0);
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return (out ? POLLOUT : POLLIN);
	c->dead = 1;
	if (n == 0)
		return (client_fail(c, RUNNEL_EIO,
		    "connection closed by daemon"));
	return (client_fail(c, RUNNEL_EIO, "%s: %s", what, strerror(errno)));
}

/* Write a whole frame, waiting for the socket as needed. */
int
client_io_write(struct runnel_client *c, const uint8_t *buf, size_t len)
{
	size_t	off = 0, n;
	int	r;

	while (off < len) {
		/* SSL_write is retried with the same arguments, as it must. */
		r = client_io_try(c, 1, CLIENT_UNCONST(buf + off), len - off,
		    &n);
		if (r == 0)
			off += n;
		else if (r < 0 || (r = client_io_wait(c, (short)r, NULL)) != 0)
			return (r);
	}
	return (0);
}

/* Read more bytes into the input buffer, waiting for them. */
static int
client_io_fill(struct runnel_client *c, const struct runnel_watch_opts *w)
{
	uint8_t	*nbuf;
	size_t	 ncap, n;
	int	 r;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == c->cap) {
		/* A frame in progress is never above the limit: progress. */
		ncap = c->cap < CLIENT_BUF_MIN ? CLIENT_BUF_MIN : c->cap * 2;
		if (ncap > FRAME_HEADER + CLIENT_FRAME_MAX)
			ncap = FRAME_HEADER + CLIENT_FRAME_MAX;
		if ((nbuf = realloc(c->buf, ncap)) == NULL)
			return (client_fail(c, RUNNEL_ENOMEM,
			    "out of memory"));
		c->buf = nbuf;
		c->cap = ncap;
	}
	for (;;) {
		r = client_io_try(c, 0, c->buf + c->len, c->cap - c->len, &n);
		if (r == 0) {
			c->len += n;
			return (0);
		}
		if (r < 0 || (r = client_io_wait(c, (short)r, w)) != 0)
			return (r);
	}
}

/* Read the next message: 0 and *msg, or what stopped the wait. */
int
client_io_read(struct runnel_client *c, server_msg **msg,
    const struct runnel_watch_opts *w)
{
	enum frame_result	fr;
	uint32_t		len;
	int			r;

	for (;;) {
		fr = frame_parse(c->buf + c->off, c->len - c->off,
		    CLIENT_FRAME_MAX, &len);
		if (fr == FRAME_OK)
			break;
		if (fr != FRAME_NEED_MORE) {
			c->dead = 1;
			return (client_fail(c, RUNNEL_EPROTO,
			    "bad frame from daemon: %s", frame_strerror(fr)));
		}
		if ((r = client_io_fill(c, w)) != 0)
			return (r);
	}
	*msg = runnel__v1__server_message__unpack(NULL, len,
	    c->buf + c->off + FRAME_HEADER);
	c->off += FRAME_HEADER + (size_t)len;
	if (c->off == c->len) {
		c->off = c->len = 0;
		/* Let go of the room a big frame needed. */
		if (c->cap > CLIENT_BUF_MIN * 4) {
			free(c->buf);
			c->buf = NULL;
			c->cap = 0;
		}
	}
	if (*msg == NULL)
		return (client_fail(c, RUNNEL_EPROTO,
		    "malformed message from daemon"));
	return (0);
}

/* Connect to the daemon's unix socket. */
static int
client_io_connect_unix(struct runnel_client *c, const char *path,
    const char *name)
{
	struct sockaddr_un	sun;
	int			flags;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (client_fail(c, RUNNEL_EINVAL,
		    "socket path too long: %s", path));
	memcpy(sun.sun_path, path, strlen(path));
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/*
	 * Blocking: a full backlog makes a non-blocking connect fail with
	 * EAGAIN, with nothing to poll for.  An interrupted one may be retried.
	 */
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno != EINTR)
			goto fail;
	}
	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	return (0);

fail:
	return (client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s", name,
	    strerror(errno)));
}

/* Try each address of host:port in turn; c->fd is the connected socket. */
static int
client_io_connect_tcp(struct runnel_client *c, const char *name,
    const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	struct pollfd	 pfd;
	socklen_t	 sl;
	int		 error, err = ECONNREFUSED, one = 1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0)
		return (client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s",
		    name, error == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(error)));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (c->fd == -1) {
			err = errno;
			continue;
		}
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if ((err = errno) == EINPROGRESS) {
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			while (poll(&pfd, 1, -1) == -1 && errno == EINTR)
				;
			sl = sizeof err;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &sl) == -1)
				err = errno;
			if (err == 0)
				break;
		}
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd == -1)
		return (client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s",
		    name, strerror(err)));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return (0);
}

/* Shake hands over TLS and check the daemon speaks runnel/1. */
static int
client_io_handshake(struct runnel_client *c, const char *host)
{
	const unsigned char	*alpn;
	unsigned int		 alpnlen;
	BIO			*bio;
	short			 events;
	int			 err, r;

	if ((c->ssl = SSL_new(c->ctx)) == NULL ||
	    (c->biom = BIO_meth_new(BIO_TYPE_SOURCE_SINK,
	    "runnel socket")) == NULL ||
	    BIO_meth_set_write(c->biom, client_io_bio_write) != 1 ||
	    BIO_meth_set_read(c->biom, client_io_bio_read) != 1 ||
	    BIO_meth_set_ctrl(c->biom, client_io_bio_ctrl) != 1 ||
	    BIO_meth_set_create(c->biom, client_io_bio_create) != 1 ||
	    (bio = BIO_new(c->biom)) == NULL)
		return (client_io_fail_tls(c, RUNNEL_ETLS, "tls setup"));
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	/* Frames delimit themselves and streams end with WatchEnd. */
	SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (tls_client_set_host(c->ssl, host) != 0)
		return (client_io_fail_tls(c, RUNNEL_ETLS, "tls setup"));
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if (SSL_connect(c->ssl) == 1)
			break;
		err = SSL_get_error(c->ssl, 0);
		if (err == SSL_ERROR_WANT_READ)
			events = POLLIN;
		else if (err == SSL_ERROR_WANT_WRITE)
			events = POLLOUT;
		else if (err == SSL_ERROR_SSL || ERR_peek_error() != 0)
			return (client_io_fail_tls(c, RUNNEL_ETLS,
			    "tls handshake"));
		else
			return (client_fail(c, RUNNEL_ETLS, "tls handshake: %s",
			    errno == 0 ? "connection closed by daemon" :
			    strerror(errno)));
		if ((r = client_io_wait(c, events, NULL)) != 0)
			return (r);
	}
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpnlen);
	if (alpnlen != strlen(RUNNEL_ALPN) ||
	    memcmp(alpn, RUNNEL_ALPN, alpnlen) != 0)
		return (client_fail(c, RUNNEL_ETLS,
		    "daemon did not agree on ALPN %s", RUNNEL_ALPN));
	return (0);
}

/* Connect over TCP and TLS to "host:port". */
static int
client_io_connect_tls(struct runnel_client *c, const char *name,
    const struct runnel_connect_opts *opts)
{
	char	*host = NULL, *port = NULL, *cause = NULL;
	int	 is_unix, r;

	if (opts->ca == NULL)
		return (client_fail(c, RUNNEL_EINVAL,
		    "connect to %s: a CA certificate is required for TLS",
		    name));
	if (parse_hostport(name, &host, &port, &is_unix) != 0 || is_unix) {
		r = client_fail(c, RUNNEL_EINVAL, "bad daemon address: %s",
		    name);
		goto out;
	}
	/* Bad files fail before the network is touched. */
	if ((c->ctx = tls_client_ctx(opts->ca, opts->cert, opts->key,
	    &cause)) == NULL) {
		r = client_fail(c, RUNNEL_ETLS, "%s",
		    cause == NULL ? "cannot create TLS context" : cause);
		goto out;
	}
	if ((r = client_io_connect_tcp(c, name, host, port)) != 0)
		goto out;
	r = client_io_handshake(c, host);

out:
	free(cause);
	free(port);
	free(host);
	return (r);
}

/* Connect to opts->host, or to the default socket without one. */
int
client_io_connect(struct runnel_client *c,
    const struct runnel_connect_opts *opts)
{
	const char	*host;

	host = opts == NULL ? NULL : opts->host;
	if (host == NULL)
		return (client_io_connect_unix(c, RUNNEL_DEFAULT_SOCKET,
		    RUNNEL_DEFAULT_SOCKET));
	if (strncmp(host, "unix:", 5) == 0)
		return (client_io_connect_unix(c, host + 5, host));
	return (client_io_connect_tls(c, host, opts));
}

/* Close the connection and free its buffers; c itself stays. */
void
client_io_close(struct runnel_client *c)
{
	if (c->ssl != NULL) {
		/* One try at close_notify: never wait for the daemon. */
		if (!c->dead && SSL_is_init_finished(c->ssl))
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	BIO_meth_free(c->biom);
	c->biom = NULL;
	SSL_CTX_free(c->ctx);
	c->ctx = NULL;
	ERR_clear_error();
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->off = c->len = c->cap = 0;
}
