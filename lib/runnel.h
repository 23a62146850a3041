/*
 * runnel.h - the public API of librunnel.
 *
 * librunnel talks to runneld over mutual TLS (host:port) or a unix socket
 * (unix:PATH).  Every call returns 0 (or a non-negative count) on success
 * and a negative RUNNEL_E* code on failure; runnel_strerror() names a code
 * and runnel_last_error() gives the details of the last failure on a client,
 * including the daemon's own message.  The library never exits, prints or
 * logs.
 *
 * Threading: a struct runnel_client is used by one thread at a time.  The
 * calls are blocking and wait in poll().  A signal caught while a watch
 * (runnel_watch, runnel_run) waits for data makes it invoke the watch's
 * on_interrupt callback, or return RUNNEL_EINTR if there is none; any other
 * wait simply goes on.
 */
#ifndef RUNNEL_H
#define RUNNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUNNEL_PROTOCOL_VERSION 1
#define RUNNEL_DEFAULT_SOCKET "/run/runnel/runneld.sock"
#define RUNNEL_DEFAULT_PORT "7433"
#define RUNNEL_ALPN "runnel/1"

/* Error codes: all negative. */
enum {
	RUNNEL_OK = 0,
	RUNNEL_EINVAL = -1,		/* bad argument to a library call */
	RUNNEL_ENOMEM = -2,
	RUNNEL_ECONNECT = -3,		/* could not reach the daemon */
	RUNNEL_ETLS = -4,		/* TLS setup or handshake failed */
	RUNNEL_EIO = -5,		/* connection lost */
	RUNNEL_EPROTO = -6,		/* malformed or unexpected message */
	RUNNEL_EINTR = -7,		/* interrupted by a signal */
	/* Errors reported by the daemon. */
	RUNNEL_EUNSUPPORTED = -20,
	RUNNEL_EUNAUTHENTICATED = -21,
	RUNNEL_EPERM = -22,
	RUNNEL_ENOTFOUND = -23,
	RUNNEL_EARG = -24,
	RUNNEL_EEXHAUSTED = -25,
	RUNNEL_ESERVER = -26,
	RUNNEL_EPRECONDITION = -27,
	RUNNEL_EPKI = -40		/* certificate creation failed */
};

/* Task states, as on the wire. */
enum runnel_state {
	RUNNEL_UNKNOWN = 0,
	RUNNEL_QUEUED = 1,
	RUNNEL_RUNNING = 2,
	RUNNEL_SUCCEEDED = 3,
	RUNNEL_FAILED = 4,
	RUNNEL_CANCELLED = 5,
	RUNNEL_TIMED_OUT = 6,
	RUNNEL_LOST = 7,
	RUNNEL_SKIPPED = 8
};

enum runnel_stream {
	RUNNEL_STDOUT = 0,
	RUNNEL_STDERR = 1,
	RUNNEL_SYSTEM = 2
};

struct runnel_client;

struct runnel_connect_opts {
	const char *host;	/* "host:port", "unix:PATH"; NULL: default socket */
	const char *ca;		/* CA certificate file (TLS) */
	const char *cert;	/* client certificate file (TLS) */
	const char *key;	/* client private key file (TLS) */
	const char *client_name; /* sent in Hello; NULL: "librunnel" */
};

/* What to run.  Arrays end with a NULL pointer. */
struct runnel_spec {
	const char *const *argv;	/* required, argv[0] looked up in PATH */
	const char *const *env;		/* "K=V" entries, or NULL */
	const char *cwd;		/* or NULL */
	const char *name;		/* or NULL */
	const void *stdin_data;		/* bytes for stdin, or NULL */
	size_t stdin_len;
};

/* A task as the daemon describes it.  Strings are owned by the struct and
 * freed by runnel_task_clear(). */
struct runnel_task {
	uint64_t id;
	char *name;
	enum runnel_state state;
	char **argv;			/* NULL-terminated */
	char *owner;
	int exit_code;
	int signal;
	int core_dumped;
	int64_t created_ms, started_ms, ended_ms;
	int pid;
	uint64_t output_bytes;
	char *cancelled_by;
	char *reason;
	char *cwd;
};

struct runnel_status {
	char version[64];
	int64_t uptime_ms;
	unsigned connections;
	unsigned tasks_queued, tasks_running, tasks_finished;
	unsigned max_running;
	int pid;
};

/* Callbacks of a watch.  Each returns 0 to go on, non-zero to stop the watch
 * (runnel_watch then returns that value).  The data and task passed are only
 * valid during the call. */
typedef int (*runnel_output_cb)(void *arg, uint64_t task_id,
    enum runnel_stream stream, uint64_t offset, const void *data, size_t len,
    int64_t time_us);
typedef int (*runnel_event_cb)(void *arg, const struct runnel_task *task);
/* Called when a signal interrupted the wait for data; it may call
 * runnel_cancel_nowait() on the same client.  It runs only when the signal
 * interrupts a wait in poll(): one that arrives while the library handles
 * data already received or runs a callback (as under a flood of output) does
 * not call it.  A program that sets a flag in its signal handler should also
 * check that flag in its output and end callbacks. */
typedef int (*runnel_interrupt_cb)(void *arg);

struct runnel_watch_opts {
	const uint64_t *ids;
	size_t nids;
	uint64_t from_offset;
	int tail;
	runnel_output_cb on_output;
	runnel_event_cb on_end;		/* a task finished (all output sent) */
	runnel_interrupt_cb on_interrupt;
	void *arg;
};

int	 runnel_connect(struct runnel_client **, const struct runnel_connect_opts *);
void	 runnel_close(struct runnel_client *);
const char *runnel_strerror(int);
/* Details of the last failure on a client, with the daemon's own message.
 * runnel_last_error(NULL) returns the message of the last failed
 * runnel_connect() on this thread, which leaves no client to ask ("" if none
 * has failed). */
const char *runnel_last_error(const struct runnel_client *);
/* The identity and role ("admin", "user", "viewer") the daemon sees. */
const char *runnel_identity(const struct runnel_client *);
const char *runnel_role(const struct runnel_client *);
const char *runnel_server_version(const struct runnel_client *);

int	 runnel_submit(struct runnel_client *, const struct runnel_spec *,
	    uint64_t *id);
/* Submit and watch the new task in one round trip.  *id is set before any
 * callback runs.  The watch options may be NULL: the call then waits until
 * the task has ended, discarding its output, and returns RUNNEL_EINTR if a
 * signal interrupts the wait. */
int	 runnel_run(struct runnel_client *, const struct runnel_spec *,
	    uint64_t *id, const struct runnel_watch_opts *);
/* Stream output of the tasks until all have ended. */
int	 runnel_watch(struct runnel_client *, const struct runnel_watch_opts *);
/* Cancel: signal 0 means SIGTERM, grace_ms 0 the daemon's default. */
int	 runnel_cancel(struct runnel_client *, const uint64_t *ids, size_t n,
	    int signal, unsigned grace_ms);
/* Send a cancel without waiting for its answer (from a watch callback). */
int	 runnel_cancel_nowait(struct runnel_client *, const uint64_t *ids,
	    size_t n, int signal, unsigned grace_ms);
/* List all visible tasks; free with runnel_tasks_free(). */
int	 runnel_list(struct runnel_client *, struct runnel_task **, size_t *n);
int	 runnel_show(struct runnel_client *, uint64_t id, struct runnel_task *);
/* Wait until all tasks have ended; fills tasks (n entries, in order). */
int	 runnel_wait(struct runnel_client *, const uint64_t *ids, size_t n,
	    struct runnel_task **tasks);
int	 runnel_status(struct runnel_client *, struct runnel_status *);

void	 runnel_task_clear(struct runnel_task *);
void	 runnel_tasks_free(struct runnel_task *, size_t n);
const char *runnel_state_name(enum runnel_state);

/* PKI: ECDSA P-256 keys, written mode 0600.  On failure *cause (if given)
 * is set to an allocated message the caller frees. */
int	 runnel_pki_init(const char *dir, const char *const *names, size_t n,
	    char **cause);
int	 runnel_pki_issue(const char *dir, const char *name, char **cause);

#ifdef __cplusplus
}
#endif

#endif
