/*
 * rawconn.c - a blocking wire-protocol connection for the benchmarks: TCP
 * or unix socket, TLS through lib/tls.c's client context, frames through
 * lib/frame.c.  A benchmark, not a library: it waits in plain blocking
 * reads and writes.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "rawconn.h"

/* Record why the connection failed; returns -1. */
static int __attribute__((format(printf, 2, 3)))
rawconn_fail(struct rawconn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	return -1;
}

/* Connect the socket of c to a unix path or a TCP host and port. */
static int
rawconn_connect(struct rawconn *c, const char *host, const char *port,
    int is_unix)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res, *ai;
	int			 one = 1, error;

	if (is_unix) {
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(host) >= sizeof sun.sun_path)
			return rawconn_fail(c, "socket path too long");
		memcpy(sun.sun_path, host, strlen(host));
		c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c->fd == -1 || connect(c->fd, (struct sockaddr *)&sun,
		    sizeof sun) == -1)
			return rawconn_fail(c, "connect %s: %s", host,
			    strerror(errno));
		return 0;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0)
		return rawconn_fail(c, "%s: %s", host, gai_strerror(error));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (c->fd == -1)
			continue;
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	if (c->fd == -1)
		return rawconn_fail(c, "connect %s:%s: %s", host, port,
		    strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

/* Write all of buf. */
static int
rawconn_write(struct rawconn *c, const uint8_t *buf, size_t len)
{
	ssize_t	n;
	int	r;

	while (len > 0) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, buf, len > INT32_MAX ?
			    INT32_MAX : (int)len);
			if (r <= 0) {
				ERR_clear_error();
				return rawconn_fail(c, "tls write failed");
			}
			n = r;
		} else if ((n = write(c->fd, buf, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return rawconn_fail(c, "write: %s", strerror(errno));
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read more input into the buffer: 0, or -1 at EOF or on an error. */
static int
rawconn_fill(struct rawconn *c)
{
	ssize_t	 n;
	uint8_t	*p;
	int	 r;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->cap - c->len < 65536) {
		if ((p = realloc(c->buf, c->cap + 65536)) == NULL)
			return rawconn_fail(c, "out of memory");
		c->buf = p;
		c->cap += 65536;
	}
	if (c->ssl != NULL) {
		r = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
		if (r <= 0) {
			ERR_clear_error();
			return rawconn_fail(c, "tls read: connection closed");
		}
		n = r;
	} else {
		while ((n = read(c->fd, c->buf + c->len, c->cap - c->len)) ==
		    -1 && errno == EINTR)
			;
		if (n <= 0)
			return rawconn_fail(c, "read: %s", n == 0 ? "EOF" :
			    strerror(errno));
	}
	c->len += (size_t)n;
	return 0;
}

/* Connect, handshake and optionally say Hello. */
int
rawconn_open(struct rawconn *c, const char *addr, SSL_CTX *ctx, int hello)
{
	Runnel__V1__ClientMessage	 msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__Hello		 h = RUNNEL__V1__HELLO__INIT;
	Runnel__V1__ServerMessage	*reply;
	char				*host = NULL, *port = NULL;
	int				 is_unix, r = -1;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->next_id = 1;
	if (parse_hostport(addr, &host, &port, &is_unix) != 0)
		return rawconn_fail(c, "bad address %s", addr);
	if (rawconn_connect(c, host, port, is_unix) != 0)
		goto out;
	if (!is_unix) {
		if (ctx == NULL) {
			rawconn_fail(c, "TLS needs --ca, --cert and --key");
			goto out;
		}
		if ((c->ssl = SSL_new(ctx)) == NULL ||
		    tls_client_set_host(c->ssl, host) != 0 ||
		    SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1) {
			ERR_clear_error();
			rawconn_fail(c, "tls handshake with %s failed", addr);
			goto out;
		}
	}
	if (hello) {
		h.protocol_version = 1;
		h.client_name = (char *)(uintptr_t)"bench";
		msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_HELLO;
		msg.hello = &h;
		if (rawconn_send(c, &msg) == 0 ||
		    (reply = rawconn_recv(c)) == NULL)
			goto out;
		if (reply->reply_case !=
		    RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO) {
			rawconn_fail(c, "hello refused%s%s",
			    reply->error != NULL ? ": " : "",
			    reply->error != NULL ? reply->error->message : "");
			rawconn_free(reply);
			goto out;
		}
		rawconn_free(reply);
	}
	r = 0;

out:
	free(host);
	free(port);
	return r;
}

/* Send one request with a fresh id. */
uint64_t
rawconn_send(struct rawconn *c, Runnel__V1__ClientMessage *msg)
{
	uint8_t	*frame;
	size_t	 len;
	int	 r;

	msg->id = c->next_id++;
	if ((frame = frame_pack_client(msg, &len)) == NULL) {
		rawconn_fail(c, "cannot pack a request");
		return 0;
	}
	r = rawconn_write(c, frame, len);
	free(frame);
	return r == 0 ? msg->id : 0;
}

/* Read the next message. */
Runnel__V1__ServerMessage *
rawconn_recv(struct rawconn *c)
{
	Runnel__V1__ServerMessage	*msg;
	enum frame_result		 fr;
	uint32_t			 len;

	for (;;) {
		fr = frame_parse(c->buf + c->off, c->len - c->off,
		    FRAME_DEFAULT_MAX, &len);
		if (fr == FRAME_OK)
			break;
		if (fr != FRAME_NEED_MORE) {
			rawconn_fail(c, "bad frame: %s", frame_strerror(fr));
			return NULL;
		}
		if (rawconn_fill(c) != 0)
			return NULL;
	}
	msg = runnel__v1__server_message__unpack(NULL, len,
	    c->buf + c->off + FRAME_HEADER);
	c->off += FRAME_HEADER + len;
	if (msg == NULL)
		rawconn_fail(c, "cannot unpack a message");
	return msg;
}

/* Free a message from rawconn_recv. */
void
rawconn_free(Runnel__V1__ServerMessage *msg)
{
	if (msg != NULL)
		runnel__v1__server_message__free_unpacked(msg, NULL);
}

/* Read one byte of application data. */
int
rawconn_read_byte(struct rawconn *c)
{
	if (c->off == c->len && rawconn_fill(c) != 0)
		return -1;
	c->off++;
	return 0;
}

/* Close the connection and free what it holds. */
void
rawconn_close(struct rawconn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}
