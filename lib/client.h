/*
 * client.h - librunnel's private interface between client.c (connection,
 * requests and replies, submit and watch), client-sched.c (the selector,
 * queue, restart, clean and stdin calls and the resume list and stream
 * filter of a watch), client-pump.c (the stdin pump of runnel_run, a hook
 * of the blocking driver), client-task.c (the conversions between the
 * API's structs and the wire's) and client-io.c (the transport:
 * connection, TLS and framed messages, output chunks decoded in place by
 * ../lib/chunk.c).  Not installed.
 */
#ifndef RUNNEL_CLIENT_H
#define RUNNEL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <netdb.h>

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

struct client_req;
struct event;
struct event_base;

/*
 * Handle a message for a request, or with m NULL the loss of the
 * connection (error is its code).  It may take *m (setting it to NULL);
 * the dispatcher frees what is left.  Returns 1 when the request is over
 * (the table then frees it), 0 while more messages are to come.
 */
typedef int (*client_req_fn)(struct runnel_client *, struct client_req *,
    server_msg **m, int error);

/* A request in flight, waiting for its replies: one table, both APIs. */
struct client_req {
	struct client_req	*next;
	uint64_t		 id;
	client_req_fn		 fn;
	int			 reply_kind;	/* the reply expected */
	void			*arg;		/* the caller's */
	union {
		runnel_done_cb	 done;
		runnel_submit_cb submit;
		runnel_tasks_cb	 tasks;
	} cb;
	runnel_done_cb		 on_done;	/* a watch's end */
	int			 submitted;	/* run: the submit answered */
	int			 pump_fd;	/* run: stdin to send, or -1 */
	runnel_output_cb	 on_output;
	runnel_event_cb		 on_end;
	uint64_t		*ids;		/* wait: the order asked */
	size_t			 nids;
	struct client_call	*call;		/* a blocking call's result */
};

/* Where a blocking call waits for its request's end. */
struct client_call {
	int		 done;
	int		 r;
	server_msg	*m;
	uint64_t	*idp;		/* run: the new task's id goes here */
};

enum client_io_state {
	CLIENT_IO_CONNECTING = 0,	/* TCP connect in progress */
	CLIENT_IO_HANDSHAKE,		/* TLS handshake in progress */
	CLIENT_IO_OPEN,
	CLIENT_IO_DEAD			/* stream unusable */
};

/* Everything about a client; client-io.c owns the transport. */
struct runnel_client {
	/* The transport: client-io.c. */
	int		 fd;
	enum client_io_state state;
	SSL_CTX		*ctx;
	SSL		*ssl;
	BIO_METHOD	*biom;
	int		 dead;		/* stream unusable */
	int		 want_write;	/* wait for the socket to take more */
	int		 write_error;	/* a write failed: only read now */
	char		*host;		/* TLS: the name checked, addresses */
	struct addrinfo	*ai0, *ai;	/* tried, the one being tried */
	char		*name;		/* the address as given */

	uint8_t		*buf;		/* unread input: [off, len) */
	size_t		 off, len, cap;
	int		 pin;		/* a callback sees data in buf */
	uint8_t		**retired;	/* old bufs, freed once unpinned */
	size_t		 nretired;
	uint8_t		*obuf;		/* unwritten output: [ooff, olen) */
	size_t		 ooff, olen, ocap;

	/* The caller's event loop (async clients), or NULL. */
	struct event_base *base;
	struct event	*ev_read, *ev_write, *ev_more;
	int		 ev_fd;		/* the fd the events watch */
	int		 busy;		/* inside a dispatch, nested */
	int		 closing;	/* runnel_close() called while busy */

	/* Requests and what the daemon said: client.c. */
	uint64_t	 next_id;
	struct client_req *reqs;	/* in flight, oldest first */
	struct client_call *waiting;	/* the blocking call being driven */
	runnel_done_cb	 on_connect;
	void		*connect_arg;
	int		 connected;	/* Hello answered */

	char		*identity;
	char		*role;
	char		*version;
	char		 error[CLIENT_ERROR_MAX]; /* runnel_last_error */

	/* Another input the blocking driver serves beside the socket during
	 * a watch, or NULL: the stdin pump registers itself here. */
	const struct client_hook *hook;

	/* The stdin pump of runnel_run with send_stdin: client-pump.c. */
	int		 pump_fd;	/* -1: not pumping */
	uint64_t	 pump_task;
	uint64_t	 pump_req;	/* Stdin request in flight, or 0 */
	int		 pump_eof;	/* end of file was sent */
	int		 pump_error;	/* the daemon refused the stdin */
};

/*
 * A driver hook: an input other than the socket that a blocking client's
 * driver serves while it drives a watch (the stdin pump, client-pump.c).
 * The transport's wait (client-io.c) and the driver's loop (client.c) know
 * it only through these calls.
 */
struct client_hook {
	/* The fd to wait for beside the socket now, or -1. */
	int	(*fd)(const struct runnel_client *);
	/* The fd was found readable: serve it; 0 or an error code. */
	int	(*ready)(struct runnel_client *);
	/* Serve it if it has input now, without waiting; 0 or an error. */
	int	(*poll)(struct runnel_client *);
	/* The error that ends the call being driven, or 0. */
	int	(*error)(const struct runnel_client *);
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
/* A new request in the table, its handler fn; call: a blocking call's. */
int	 client_req_new(struct runnel_client *, client_req_fn,
	    struct client_call *, struct client_req **);
/* Take a request out of the table and free it. */
void	 client_req_free(struct runnel_client *, struct client_req *);
/* Send a request (kind: its oneof case) with a fresh id in *id. */
int	 client_send(struct runnel_client *, int kind, void *req, uint64_t *id);
/* Send a request for an entry of the table (freed if the send fails). */
int	 client_req_send(struct runnel_client *, struct client_req *, int kind,
	    void *req);
/* Send a request and read its reply, of the kind expected. */
int	 client_call(struct runnel_client *, int kind, void *req,
	    int reply_kind, server_msg **, uint64_t *id,
	    const struct runnel_watch_opts *);
/* Run the connection until call is done (blocking clients only). */
int	 client_run(struct runnel_client *, struct client_call *,
	    const struct runnel_watch_opts *);
/* Hand a message to its request; unknown ids are skipped.  A borrowed
 * message (an OutputChunk from chunk_decode()) is not freed. */
void	 client_dispatch(struct runnel_client *, server_msg *, int borrowed);
/* The connection is over: every request ends with error. */
void	 client_lost(struct runnel_client *, int error);
/* Free the client (no callback runs). */
void	 client_free(struct runnel_client *);
/* Start connecting and queue the Hello (async or blocking). */
int	 client_start(struct runnel_client **, struct event_base *,
	    const struct runnel_connect_opts *, runnel_done_cb, void *,
	    struct client_call *);

/* client-calls.c: the requests, blocking and asynchronous. */

/* client-async.c */
/* Something to do for an async client: run it from the loop soon. */
void	 client_async_kick(struct runnel_client *);
/* Free the events of an async client. */
void	 client_async_free(struct runnel_client *);
/* Watch the socket for what the transport now waits for. */
int	 client_async_update(struct runnel_client *);

/* client-sched.c */
/* Fill a StdinRequest. */
void	 client_stdin_request(Runnel__V1__StdinRequest *, uint64_t id,
	    const void *data, size_t len, int eof);

/* Fill the resume list and streams of a WatchRequest; free with
 * client_watch_extra_free(). */
int	 client_watch_extra(struct runnel_client *,
	    const struct runnel_watch_opts *, Runnel__V1__WatchRequest *);
void	 client_watch_extra_free(Runnel__V1__WatchRequest *);

/* client-pump.c: registers itself as the client's hook while it runs. */
/* Start sending fd as the stdin of task id during a watch. */
void	 client_pump_start(struct runnel_client *, int fd, uint64_t id);
void	 client_pump_stop(struct runnel_client *);

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
/* Start connecting to opts->host (NULL: the default socket). */
int	 client_io_connect(struct runnel_client *,
	    const struct runnel_connect_opts *);
/* Close the connection and free the buffers. */
void	 client_io_close(struct runnel_client *);
/* Queue a whole frame for writing. */
int	 client_io_queue(struct runnel_client *, const uint8_t *, size_t);
/* Move what can move now: connect, handshake, write, read and dispatch
 * messages.  1 if there is more to do at once (a budget ran out). */
int	 client_io_service(struct runnel_client *);
/* The poll events the transport waits for. */
short	 client_io_events(const struct runnel_client *);
/* Wait for the socket (blocking clients); see client-io.c for signals. */
int	 client_io_wait(struct runnel_client *,
	    const struct runnel_watch_opts *);

#endif
