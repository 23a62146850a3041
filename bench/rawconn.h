/*
 * rawconn.h - a blocking connection to runneld speaking the wire protocol
 * directly (frames of protobuf over TLS or a unix socket), for benchmarks
 * that pipeline requests, which librunnel's blocking calls cannot.
 */
#ifndef RAWCONN_H
#define RAWCONN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common.h"

struct rawconn {
	int		 fd;
	SSL		*ssl;		/* NULL on a unix socket */
	uint8_t		*buf;		/* unread input: [off, len) */
	size_t		 off, len, cap;
	uint64_t	 next_id;
	char		 error[256];
};

/* Connect to addr ("host:port" over TLS with ctx, or "unix:PATH"), do the
 * TLS handshake and, with hello, the Hello exchange; 0 or -1 (reason in
 * c->error). */
int	 rawconn_open(struct rawconn *, const char *addr, SSL_CTX *ctx,
	    int hello);
/* Give msg the next request id and send it; the id, or 0 on failure. */
uint64_t rawconn_send(struct rawconn *, Runnel__V1__ClientMessage *);
/* The next message (free with rawconn_free), or NULL on EOF or error. */
Runnel__V1__ServerMessage *rawconn_recv(struct rawconn *);
void	 rawconn_free(Runnel__V1__ServerMessage *);
/* Read raw bytes (after a handshake with a bare server): 0 or -1. */
int	 rawconn_read_byte(struct rawconn *);
void	 rawconn_close(struct rawconn *);

#endif
