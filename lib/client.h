/*
 * client.h - librunnel's private interface between client.c (connection,
 * requests and replies, submit and watch), client-sched.c (the selector,
 * queue, restart, clean and stdin calls, the stdin pump of runnel_run and
 * the resume list and stream filter of a watch), client-task.c (the
 * conversions between the API's structs and the wire's) and client-io.c
 * (the transport: connection, TLS and framed messages).  Not installed.
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

/* The most a Stdin request of the stdin pump carries. */
#define CLIENT_STDIN_CHUNK	(64U * 1024)

typedef Runnel__V1__ServerMessage	server_msg;
typedef Runnel__V1__ClientMessage	client_msg;

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

	/* The stdin pump of runnel_run with send_stdin: client-sched.c. */
	int		 pump_fd;	/* -1: not pumping */
	uint64_t	 pump_task;
	uint64_t	 pump_req;	/* Stdin request in flight, or 0 */
	int		 pump_eof;	/* end of file was sent */
	int		 pump_error;	/* the daemon refused the stdin */
};

/* A TaskSpec or Selector built from the API's structs, with what was
 * allocated for it. */
struct client_spec {
	Runnel__V1__TaskSpec	  ts;
	Runnel__V1__Rlimit	 *rlimits;
	Runnel__V1__Rlimit	**prlimits;
};

/* client.c */
/* Record the details of a failure and return its code. */
int	 client_fail(struct runnel_client *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* Map a daemon Error to a code, keeping its message. */
int	 client_error(struct runnel_client *, const Runnel__V1__Error *);
/* Send a request (kind: its oneof case) with a fresh id in *id. */
int	 client_send(struct runnel_client *, int kind, void *req, uint64_t *id);
/* The failure of a request that could not be sent, with the reason. */
int	 client_send_failed(struct runnel_client *, uint64_t id, int);
/* Send a request and read its reply, of the kind expected. */
int	 client_call(struct runnel_client *, int kind, void *req,
	    int reply_kind, server_msg **, uint64_t *id,
	    const struct runnel_watch_opts *);
/* Deliver the messages of a watch on request id until it ends. */
int	 client_watch_loop(struct runnel_client *, uint64_t id,
	    const struct runnel_watch_opts *);

/* client-sched.c */
/* Start sending fd as the stdin of task id during a watch. */
void	 client_pump_start(struct runnel_client *, int fd, uint64_t id);
void	 client_pump_stop(struct runnel_client *);
/* Is the pump ready for more input from its fd? */
int	 client_pump_wants(const struct runnel_client *);
/* Read once from the pump's fd and send it on; 0 or an error code. */
int	 client_pump_read(struct runnel_client *);
/* Read from the pump's fd if it has input now, without waiting. */
int	 client_pump_poll(struct runnel_client *);
/* A message for another request: the pump's reply?  1 if it was. */
int	 client_pump_reply(struct runnel_client *, const server_msg *);

/* Fill the resume list and streams of a WatchRequest; free with
 * client_watch_extra_free(). */
int	 client_watch_extra(struct runnel_client *,
	    const struct runnel_watch_opts *, Runnel__V1__WatchRequest *);
void	 client_watch_extra_free(Runnel__V1__WatchRequest *);

/* client-task.c */
/* Fill a TaskSpec from a spec; free with client_spec_free(). */
int	 client_spec_build(struct runnel_client *, const struct runnel_spec *,
	    struct client_spec *);
void	 client_spec_free(struct client_spec *);
/* Point a bytes array at a NULL-terminated string array. */
int	 client_strv(const char *const *, ProtobufCBinaryData **, size_t *);
/* Labels from "k=v" strings; free with client_labels_free(). */
int	 client_labels(struct runnel_client *, const char *const *,
	    Runnel__V1__Label ***, size_t *);
void	 client_labels_free(Runnel__V1__Label **, size_t);
/* A Selector from a selector (NULL: none); free with
 * client_selector_free(). */
int	 client_selector(struct runnel_client *,
	    const struct runnel_selector *, Runnel__V1__Selector **);
void	 client_selector_free(Runnel__V1__Selector *);
/* Fill a task, or a new array of n tasks, from TaskInfos. */
int	 client_task(struct runnel_client *, struct runnel_task *,
	    const Runnel__V1__TaskInfo *);
int	 client_tasks(struct runnel_client *, struct runnel_task **,
	    Runnel__V1__TaskInfo *const *, size_t);

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
