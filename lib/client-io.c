/*
 * client-io.c - librunnel's transport: the connection to runneld over a
 * unix socket or TCP and mutual TLS, and framed messages over it.  It never
 * waits on its own: client_io_service() moves what can move now (connect,
 * handshake, queued output, input) and hands each whole message to
 * client_dispatch(); the driver waits for the socket in between, either the
 * caller's event loop (client-async.c) or, for the blocking API,
 * client_io_wait() here.  That wait is a poll() (a watch's a ppoll() with
 * its sigmask, if it gives one), so a signal interrupts it cleanly: a watch
 * then asks its interrupt callback what to do, any other call simply waits
 * on.  A read that fails ends the connection and every request on it; a
 * write that fails stops writing, and reading goes on to find why (a TLS
 * alert, the daemon's Error) before the end.
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

#include "chunk.h"
#include "client.h"

/* Where an OutputChunk decoded in place lives while it is dispatched. */
struct client_borrow {
	server_msg		m;
	Runnel__V1__OutputChunk	o;
};

#define CLIENT_FRAME_MAX	(64U * 1024 * 1024)
#define CLIENT_BUF_MIN		(64U * 1024)
/* The input buffer kept: room for a 64 KiB chunk and, on a unix socket,
 * a few more, so that a partial frame is moved only now and then. */
#define CLIENT_IBUF		(256U * 1024)
/* The least room a read on a unix socket is given. */
#define CLIENT_READ_MIN		(16U * 1024)
/* What one service reads before letting the loop run others. */
#define CLIENT_READ_BUDGET	(256U * 1024)
#define CLIENT_MSG_BUDGET	256

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
	return code;
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
	return (int)n;
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
	return (int)n;
}

/* Answer OpenSSL's questions about the socket BIO. */
static long
client_io_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
	}
	return 0;
}

/* Mark a new socket BIO ready. */
static int
client_io_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* The poll events the transport waits for now. */
short
client_io_events(const struct runnel_client *c)
{
	if (c->dead)
		return 0;
	if (c->state == CLIENT_IO_CONNECTING)
		return POLLOUT;
	return (short)(POLLIN | (c->want_write ? POLLOUT : 0));
}

/*
 * Wait until the socket is ready (blocking clients); see the top of the
 * file for signals.  A watch's wait (w given) also waits for the fd of
 * the client's hook (the stdin pump) and serves it when that has input:
 * output is queued in whole frames, so a Stdin request never lands inside
 * another.
 */
int
client_io_wait(struct runnel_client *c, const struct runnel_watch_opts *w)
{
	struct pollfd	pfd[2];
	nfds_t		n;
	int		r;

	for (;;) {
		pfd[0].fd = c->fd;
		pfd[0].events = client_io_events(c);
		pfd[0].revents = 0;
		n = 1;
		if (w != NULL && c->hook != NULL &&
		    (pfd[1].fd = c->hook->fd(c)) != -1) {
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		if ((w != NULL && w->sigmask != NULL ?
		    ppoll(pfd, n, NULL, w->sigmask) : poll(pfd, n, -1)) != -1) {
			if (n == 2 && pfd[1].revents != 0 &&
			    (r = c->hook->ready(c)) != 0)
				return r;
			if (pfd[0].revents != 0 || n == 2)
				return 0;
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
			return r;
	}
}

/* Turn a failed OpenSSL call into an error code; the stream is over. */
static int
client_io_ssl_fail(struct runnel_client *c, int err, const char *what)
{
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0))
		return (client_fail(c, RUNNEL_EIO,
		    "connection closed by daemon"));
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return (client_fail(c, RUNNEL_EIO, "%s: %s", what,
		    strerror(errno)));
	return client_io_fail_tls(c, RUNNEL_ETLS, what);
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
			return 0;
		if ((err = SSL_get_error(c->ssl, 0)) == SSL_ERROR_WANT_READ)
			return POLLIN;
		if (err == SSL_ERROR_WANT_WRITE)
			return POLLOUT;
		return client_io_ssl_fail(c, err, what);
	}
	if (out)
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
	else
		n = recv(c->fd, buf, len, 0);
	if (n > 0) {
		*done = (size_t)n;
		return 0;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return out ? POLLOUT : POLLIN;
	if (n == 0)
		return (client_fail(c, RUNNEL_EIO,
		    "connection closed by daemon"));
	return client_fail(c, RUNNEL_EIO, "%s: %s", what, strerror(errno));
}

/* Queue a whole frame for writing; the service sends it. */
int
client_io_queue(struct runnel_client *c, const uint8_t *frame, size_t len)
{
	uint8_t	*nbuf;
	size_t	 ncap;

	if (c->dead || c->write_error)
		return (client_fail(c, RUNNEL_EIO,
		    "connection to the daemon lost"));
	if (c->ocap - c->olen < len) {
		/* The pending bytes may move: SSL_MODE_ACCEPT_MOVING_WRITE_
		 * BUFFER lets a retried SSL_write find them elsewhere. */
		ncap = c->ocap < CLIENT_BUF_MIN ? CLIENT_BUF_MIN : c->ocap;
		while (ncap - c->olen < len)
			ncap *= 2;
		if ((nbuf = realloc(c->obuf, ncap)) == NULL)
			return client_fail(c, RUNNEL_ENOMEM, "out of memory");
		c->obuf = nbuf;
		c->ocap = ncap;
	}
	memcpy(c->obuf + c->olen, frame, len);
	c->olen += len;
	/* Before the connection is up, the handshake says what to wait for. */
	if (c->state == CLIENT_IO_OPEN)
		c->want_write = 1;
	return 0;
}

/* Write what is queued until done or the socket is full.  A failure stops
 * writing only: the reading that follows finds out why. */
static void
client_io_flush(struct runnel_client *c)
{
	size_t	n;
	int	r;

	c->want_write = 0;
	while (!c->write_error && c->ooff < c->olen) {
		r = client_io_try(c, 1, c->obuf + c->ooff, c->olen - c->ooff,
		    &n);
		if (r == 0) {
			c->ooff += n;
			continue;
		}
		if (r == POLLOUT)
			c->want_write = 1;
		else if (r < 0)
			c->write_error = r;
		/* POLLIN: OpenSSL needs to read first; reading comes next. */
		break;
	}
	if (c->ooff == c->olen) {
		c->ooff = c->olen = 0;
		if (c->ocap > CLIENT_BUF_MIN * 4) {
			free(c->obuf);
			c->obuf = NULL;
			c->ocap = 0;
		}
	}
}

/* Keep a buffer a callback may still be reading until it returns. */
static int
client_io_retire(struct runnel_client *c)
{
	uint8_t	**nr;

	if ((nr = realloc(c->retired, (c->nretired + 1) * sizeof *nr)) ==
	    NULL)
		return -1;
	c->retired = nr;
	c->retired[c->nretired++] = c->buf;
	return 0;
}

/* Free the buffers retired while callbacks ran (none run now). */
static void
client_io_unretire(struct runnel_client *c)
{
	while (c->nretired > 0)
		free(c->retired[--c->nretired]);
	free(c->retired);
	c->retired = NULL;
}

/*
 * Make room for the next read and say how much it asks for.  Under TLS it
 * asks for exactly the rest of the frame in progress (its header first):
 * OpenSSL keeps what follows, already decrypted, so every frame starts at
 * the front of the buffer and is never moved, and the buffer holds one
 * frame at a time.  On a unix socket every read is a system call: it asks
 * for all the room there is, at least CLIENT_READ_MIN, and the partial
 * frame left at the end is moved to the front only when it would not fit.
 * While a callback may see data in the buffer (c->pin: it made a nested
 * blocking call), the bytes are never moved in place: they go to a new
 * buffer and the old one is freed later.
 */
static int
client_io_room(struct runnel_client *c, size_t *want)
{
	const uint8_t	*p;
	uint8_t		*nbuf;
	size_t		 have, frame, need, ncap;

	have = c->len - c->off;
	if (have == 0 && c->pin == 0) {
		c->off = c->len = 0;
		/* Let go of the room a big frame needed. */
		if (c->cap > CLIENT_IBUF) {
			free(c->buf);
			c->buf = NULL;
			c->cap = 0;
		}
	}
	frame = FRAME_HEADER;
	if (have >= FRAME_HEADER) {
		/* client_io_next() checked the length against the limit. */
		p = c->buf + c->off;
		frame += (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		    (size_t)p[2] << 8 | (size_t)p[3];
	}
	need = frame;
	if (c->ssl == NULL && need < have + CLIENT_READ_MIN)
		need = have + CLIENT_READ_MIN;
	if (c->cap - c->off < need) {
		ncap = c->cap < CLIENT_IBUF ? CLIENT_IBUF : c->cap;
		while (ncap < need)
			ncap *= 2;
		/* No more than the largest frame (and a read) needs. */
		if (ncap > FRAME_HEADER + CLIENT_FRAME_MAX + CLIENT_READ_MIN)
			ncap = need;
		if (c->pin == 0) {
			if (have > 0)
				memmove(c->buf, c->buf + c->off, have);
			c->off = 0;
			c->len = have;
			if (ncap > c->cap) {
				if ((nbuf = realloc(c->buf, ncap)) == NULL)
					return (client_fail(c, RUNNEL_ENOMEM,
					    "out of memory"));
				c->buf = nbuf;
				c->cap = ncap;
			}
		} else {
			if ((nbuf = malloc(ncap)) == NULL)
				return (client_fail(c, RUNNEL_ENOMEM,
				    "out of memory"));
			if (have > 0)
				memcpy(nbuf, c->buf + c->off, have);
			if (client_io_retire(c) != 0) {
				free(nbuf);
				return (client_fail(c, RUNNEL_ENOMEM,
				    "out of memory"));
			}
			c->buf = nbuf;
			c->cap = ncap;
			c->off = 0;
			c->len = have;
		}
	}
	*want = c->ssl != NULL ? frame - have : c->cap - c->len;
	return 0;
}

/* Read once what is there into the input buffer: the bytes read, 0 if
 * none are there now, or an error code. */
static int
client_io_fill(struct runnel_client *c)
{
	size_t	 n, want = 0;
	int	 r;

	if ((r = client_io_room(c, &want)) != 0)
		return r;
	r = client_io_try(c, 0, c->buf + c->len, want, &n);
	if (r < 0)
		return r;
	if (r == POLLOUT)
		c->want_write = 1;
	if (r != 0)
		return 0;
	c->len += n;
	return (int)n;
}

/*
 * Take the next whole message from the input buffer: 1 and *msg, 0 if
 * more bytes are needed, or an error code.  An OutputChunk is decoded into
 * *b, its data left in the buffer (*borrowed set: nothing to free, valid
 * until the buffer moves); anything else is unpacked by protobuf-c.
 */
static int
client_io_next(struct runnel_client *c, server_msg **msg,
    struct client_borrow *b, int *borrowed)
{
	enum frame_result	 fr;
	const uint8_t		*p;
	uint32_t		 len;

	fr = frame_parse(c->buf + c->off, c->len - c->off, CLIENT_FRAME_MAX,
	    &len);
	if (fr == FRAME_NEED_MORE)
		return 0;
	if (fr != FRAME_OK)
		return (client_fail(c, RUNNEL_EPROTO,
		    "bad frame from daemon: %s", frame_strerror(fr)));
	p = c->buf + c->off + FRAME_HEADER;
	c->off += FRAME_HEADER + (size_t)len;
	if ((*borrowed = chunk_decode(p, len, &b->m, &b->o))) {
		*msg = &b->m;
		return 1;
	}
	*msg = runnel__v1__server_message__unpack(NULL, len, p);
	if (*msg == NULL)
		return (client_fail(c, RUNNEL_EPROTO,
		    "malformed message from daemon"));
	return 1;
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
		    "connect to %s: socket path too long", name));
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
	return 0;

fail:
	return (client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s", name,
	    strerror(errno)));
}

/* Start connecting to the next address of the list (c->ai), skipping
 * those that fail at once: 0 with the connect under way or done (state
 * set), or the error of the last one. */
static int
client_io_next_addr(struct runnel_client *c, int err)
{
	struct addrinfo	*ai;
	int		 one = 1;

	for (; (ai = c->ai) != NULL; c->ai = ai->ai_next) {
		if (c->fd != -1)
			close(c->fd);
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (c->fd == -1) {
			err = errno;
			continue;
		}
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			c->state = CLIENT_IO_CONNECTING;
			return 0;
		}
		err = errno;
	}
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	return (client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s", c->name,
	    strerror(err)));
}

/* Set up TLS on the connected socket. */
static int
client_io_tls_start(struct runnel_client *c)
{
	BIO	*bio;

	if ((c->ssl = SSL_new(c->ctx)) == NULL ||
	    (c->biom = BIO_meth_new(BIO_TYPE_SOURCE_SINK,
	    "runnel socket")) == NULL ||
	    BIO_meth_set_write(c->biom, client_io_bio_write) != 1 ||
	    BIO_meth_set_read(c->biom, client_io_bio_read) != 1 ||
	    BIO_meth_set_ctrl(c->biom, client_io_bio_ctrl) != 1 ||
	    BIO_meth_set_create(c->biom, client_io_bio_create) != 1 ||
	    (bio = BIO_new(c->biom)) == NULL)
		return client_io_fail_tls(c, RUNNEL_ETLS, "tls setup");
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	/* Frames delimit themselves and streams end with WatchEnd. */
	SSL_set_options(c->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Output is queued behind a pending write: let it move and grow. */
	SSL_set_mode(c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	    SSL_MODE_ENABLE_PARTIAL_WRITE);
	/*
	 * Read ahead: a recv() takes what is there into OpenSSL's buffer (a
	 * record and the start of the next), not a record's 5-byte header
	 * and then its body in two calls.  The buffer stays at its default,
	 * one record: OpenSSL moves the bytes left in it to the front for
	 * each record, which a bigger buffer makes cost more than the calls
	 * it saves.  Nothing waits there unseen: the service reads until
	 * OpenSSL wants the socket.
	 */
	SSL_set_read_ahead(c->ssl, 1);
	/* Read many records per recv(): output comes in floods. */
	if (tls_client_set_host(c->ssl, c->host) != 0)
		return client_io_fail_tls(c, RUNNEL_ETLS, "tls setup");
	c->state = CLIENT_IO_HANDSHAKE;
	return 0;
}

/* Has the TCP connect finished?  0 (state moved on, or not yet), or the
 * error of the last address. */
static int
client_io_connecting(struct runnel_client *c)
{
	struct pollfd	pfd;
	socklen_t	sl;
	int		err;

	/* The loop may run us for something else: ask the socket. */
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	sl = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
		err = errno;
	if (err != 0) {
		c->ai = c->ai->ai_next;
		return client_io_next_addr(c, err);
	}
	freeaddrinfo(c->ai0);
	c->ai0 = c->ai = NULL;
	return client_io_tls_start(c);
}

/* Go on with the TLS handshake; at its end check the daemon speaks
 * runnel/1. */
static int
client_io_handshake(struct runnel_client *c)
{
	const unsigned char	*alpn;
	unsigned int		 alpnlen;
	int			 err;

	c->want_write = 0;
	ERR_clear_error();
	errno = 0;
	if (SSL_connect(c->ssl) != 1) {
		err = SSL_get_error(c->ssl, 0);
		if (err == SSL_ERROR_WANT_READ)
			return 0;
		if (err == SSL_ERROR_WANT_WRITE) {
			c->want_write = 1;
			return 0;
		}
		if (err == SSL_ERROR_SSL || ERR_peek_error() != 0)
			return (client_io_fail_tls(c, RUNNEL_ETLS,
			    "tls handshake"));
		return (client_fail(c, RUNNEL_ETLS, "tls handshake: %s",
		    errno == 0 ? "connection closed by daemon" :
		    strerror(errno)));
	}
	SSL_get0_alpn_selected(c->ssl, &alpn, &alpnlen);
	if (alpnlen != strlen(RUNNEL_ALPN) ||
	    memcmp(alpn, RUNNEL_ALPN, alpnlen) != 0)
		return (client_fail(c, RUNNEL_ETLS,
		    "daemon did not agree on ALPN %s", RUNNEL_ALPN));
	c->state = CLIENT_IO_OPEN;
	c->want_write = c->olen > c->ooff;
	return 0;
}

/* Start connecting over TCP and TLS to "host:port": the name is resolved
 * and the first connect started here, the rest happens in the service. */
static int
client_io_connect_tls(struct runnel_client *c, const char *name,
    const struct runnel_connect_opts *opts)
{
	struct addrinfo	 hints;
	char		*port = NULL, *cause = NULL;
	int		 is_unix, error, r;

	if (opts->ca == NULL)
		return (client_fail(c, RUNNEL_EINVAL,
		    "connect to %s: a CA certificate is required for TLS",
		    name));
	if (parse_hostport(name, &c->host, &port, &is_unix) != 0 || is_unix) {
		r = client_fail(c, RUNNEL_EINVAL, "connect to %s: bad daemon "
		    "address (HOST[:PORT], [IPV6][:PORT] or unix:PATH)", name);
		goto out;
	}
	/* Bad files fail before the network is touched. */
	if ((c->ctx = tls_client_ctx(opts->ca, opts->cert, opts->key,
	    &cause)) == NULL) {
		r = client_fail(c, RUNNEL_ETLS, "%s",
		    cause == NULL ? "cannot create TLS context" : cause);
		goto out;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(c->host, port, &hints, &c->ai0)) != 0) {
		c->ai0 = NULL;
		r = client_fail(c, RUNNEL_ECONNECT, "connect to %s: %s",
		    name, error == EAI_SYSTEM ? strerror(errno) :
		    gai_strerror(error));
		goto out;
	}
	c->ai = c->ai0;
	r = client_io_next_addr(c, ECONNREFUSED);

out:
	free(cause);
	free(port);
	return r;
}

/* Start connecting to opts->host, or to the default socket without one. */
int
client_io_connect(struct runnel_client *c,
    const struct runnel_connect_opts *opts)
{
	const char	*host;
	int		 r;

	/* The default is named as if given, in errors as everywhere. */
	host = opts == NULL ? NULL : opts->host;
	if (host == NULL)
		host = "unix:" RUNNEL_DEFAULT_SOCKET;
	if ((c->name = strdup(host)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	if (strncmp(host, "unix:", 5) == 0)
		r = client_io_connect_unix(c, host + 5, host);
	else
		return client_io_connect_tls(c, host, opts);
	if (r == 0)
		c->state = CLIENT_IO_OPEN;
	return r;
}

/* Get the connection up as far as it goes now. */
static int
client_io_progress(struct runnel_client *c)
{
	int	r;

	if (c->state == CLIENT_IO_CONNECTING &&
	    (r = client_io_connecting(c)) != 0)
		return r;
	if (c->state == CLIENT_IO_HANDSHAKE &&
	    (r = client_io_handshake(c)) != 0)
		return r;
	return 0;
}

/*
 * Move what can move now and hand each whole message to its request.
 * Returns 1 when a budget ran out with more to read (the driver comes back
 * at once, after the caller's other events), else 0.  Never touches c
 * after a callback closed it: client_dispatch() only marks it closing.
 */
int
client_io_service(struct runnel_client *c)
{
	struct client_borrow	 b;
	server_msg		*m = NULL;
	size_t			 bytes = 0;
	int			 r, msgs = 0, borrowed = 0;

	if (c->dead)
		return 0;
	if ((r = client_io_progress(c)) != 0)
		goto lost;
	if (c->state != CLIENT_IO_OPEN)
		return 0;
	client_io_flush(c);
	for (;;) {
		while ((r = client_io_next(c, &m, &b, &borrowed)) == 1) {
			c->pin += borrowed;
			client_dispatch(c, m, borrowed);
			if ((c->pin -= borrowed) == 0 && c->nretired > 0)
				client_io_unretire(c);
			if (c->closing || c->dead)
				return 0;
			/* A blocking call returns with what came so far: its
			 * error message stays the one its reply gave. */
			if (c->waiting != NULL && c->waiting->done)
				return 1;
			if (++msgs >= CLIENT_MSG_BUDGET)
				return 1;
		}
		if (r < 0)
			goto lost;
		if (bytes >= CLIENT_READ_BUDGET)
			return 1;
		if ((r = client_io_fill(c)) < 0)
			goto lost;
		if (r == 0)
			break;
		bytes += (size_t)r;
	}
	/* Callbacks may have queued requests. */
	if (c->olen > c->ooff && !c->want_write)
		client_io_flush(c);
	return 0;

lost:
	client_lost(c, r);
	return 0;
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
	client_io_unretire(c);
	free(c->obuf);
	c->obuf = NULL;
	c->ooff = c->olen = c->ocap = 0;
	if (c->ai0 != NULL)
		freeaddrinfo(c->ai0);
	c->ai0 = c->ai = NULL;
	free(c->host);
	c->host = NULL;
	free(c->name);
	c->name = NULL;
}
