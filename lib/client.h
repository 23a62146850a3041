/*
 * client.h - librunnel's private interface between client.c (the runnel_*
 * calls, requests and replies) and client-io.c (the transport: connection,
 * TLS and framed messages).  Not installed.
 */
#ifndef RUNNEL_CLIENT_H
#define RUNNEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common.h"
#include "runnel.h"

#define CLIENT_ERROR_MAX	1024
#define CLIENT_NOWAIT		8

/* protobuf-c's message structs have no const members; packing only reads. */
#define CLIENT_UNCONST(p)	((void *)(uintptr_t)(const void *)(p))

typedef Runnel__V1__ServerMessage	server_msg;

/* Both files need it: client-io.c owns the transport, client.c the rest. */
struct runnel_client {
	/* The transport: client-io.c. */
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	BIO_METHOD	*biom;
	int		 dead;		/* stream unusable */

	uint8_t		*buf;		/* unread input: [off, len) */
	size_t		 off, len, cap;

	/* Requests and what the daemon said: client.c. */
	uint64_t	 next_id;
	uint64_t	 nowait[CLIENT_NOWAIT]; /* cancel_nowait ids */
	size_t		 nowait_next;

	char		*identity;
	char		*role;
	char		*version;
	char		 error[CLIENT_ERROR_MAX]; /* runnel_last_error */
};

/* client.c */
/* Record the details of a failure and return its code. */
int	 client_fail(struct runnel_client *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* client-io.c */
/* Connect to opts->host (NULL: the default socket), TLS handshake done. */
int	 client_io_connect(struct runnel_client *,
	    const struct runnel_connect_opts *);
/* Close the connection and free the input buffer. */
void	 client_io_close(struct runnel_client *);
/* Write a whole frame; a failed write marks the connection dead. */
int	 client_io_write(struct runnel_client *, const uint8_t *, size_t);
/* Read the next message; a signal in the wait goes to w (see client-io.c). */
int	 client_io_read(struct runnel_client *, server_msg **,
	    const struct runnel_watch_opts *);

#endif
