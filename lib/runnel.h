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
 * Two ways to drive a client:
 * - Blocking: runnel_connect() and the calls without _async.  Each call
 *   waits in poll() until it is done.  A signal caught while a watch
 *   (runnel_watch, runnel_run) waits for data makes it invoke the watch's
 *   on_interrupt callback, or return RUNNEL_EINTR if there is none; any
 *   other wait simply goes on.  To miss no signal, block the signals of
 *   interest and give the watch a sigmask without them: it then waits in
 *   ppoll() with that mask, so they arrive only while it waits.
 * - Asynchronous: runnel_connect_async() on the caller's libevent
 *   event_base and the _async calls.  They never wait: they queue a request
 *   and return; the replies arrive through callbacks run by the caller's
 *   loop.  Many requests may be in flight on one client at once.  The
 *   library reads at most a budget per wake-up, so a flood of output never
 *   keeps the loop from the caller's other events.
 * Both are one code path: a blocking call is an asynchronous request whose
 * callback fills in the result, with the library driving the connection.
 *
 * Threading: a struct runnel_client, and the event_base of an asynchronous
 * one, are used by one thread at a time; the library keeps no global state
 * but the per-thread message of runnel_last_error(NULL).
 *
 * Ownership: whatever the caller passes in (specs, options, id arrays,
 * strings) is read during the call only and may be freed when it returns.
 * Whatever the library passes to a callback (data, tasks) is valid during
 * the callback only: copy what must outlive it.
 */
#ifndef RUNNEL_H
#define RUNNEL_H

#include <signal.h>
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
/* libevent's loop, for the asynchronous API (<event2/event.h>); the
 * blocking API needs no libevent header. */
struct event_base;

/* The bit of a stream in runnel_watch_opts.streams. */
#define RUNNEL_STREAM_BIT(s)	(1 << (s))

/* A position in a task's output log. */
struct runnel_offset {
	uint64_t task_id;
	uint64_t offset;
};

struct runnel_connect_opts {
	const char *host;	/* "host:port", "unix:PATH"; NULL: default socket */
	const char *ca;		/* CA certificate file (TLS) */
	const char *cert;	/* client certificate file (TLS) */
	const char *key;	/* client private key file (TLS) */
	const char *client_name; /* sent in Hello; NULL: "librunnel" */
};

/* A resource limit for the task's process (setrlimit).  name is one of
 * as, core, cpu, data, fsize, memlock, nofile, nproc, stack; a value of
 * UINT64_MAX is "unlimited"; hard 0 means the same as soft. */
struct runnel_rlimit {
	const char	*name;
	uint64_t	 soft, hard;
};

/*
 * What to run.  String arrays end with a NULL pointer; the other arrays
 * have a count.  The caller owns everything; the library only reads it
 * during the call.  A zeroed field means "not set": the daemon's default.
 */
struct runnel_spec {
	const char *const *argv;	/* required, argv[0] looked up in PATH */
	const char *const *env;		/* "K=V" entries, or NULL; added to the
					   daemon's own environment, never the
					   caller's */
	const char *cwd;		/* absolute, or NULL: the home of the
					   user the task runs as (the runnel
					   CLI sends its own over the unix
					   socket; the library never does) */
	const char *name;		/* or NULL */
	const void *stdin_data;		/* bytes for stdin, or NULL */
	size_t stdin_len;

	/* Scheduling (all optional). */
	const char *queue;		/* NULL or "": the queue "default" */
	int priority;			/* higher starts first; 0 default */
	const uint64_t *after;		/* start once all of these SUCCEEDED;
					   skipped if one did not */
	size_t nafter;
	const uint64_t *after_any;	/* start once all of these ended */
	size_t nafter_any;
	uint64_t timeout_ms;		/* 0: the queue's default (0: none) */
	unsigned retries;		/* extra attempts after a failure */
	uint64_t retry_delay_ms;	/* before the first retry */
	double retry_backoff;		/* delay factor per retry; 0 means 1 */
	const char *key;		/* idempotency key (per identity): a
					   second submit with it returns the
					   first task's id; NULL: none */
	int64_t start_at_ms;		/* unix ms; 0: as soon as possible */
	int clear_env;			/* start from an empty environment
					   instead of the daemon's */
	const struct runnel_rlimit *rlimits;
	size_t nrlimits;
	const char *const *labels;	/* "key=value" strings, NULL-terminated,
					   or NULL */
	int stdin_stream;		/* stdin comes in runnel_stdin() calls
					   (or runnel_run with send_stdin) on
					   the same client; exclusive with
					   stdin_data */
	int restart_on_lost;		/* if runneld dies while the task
					   runs, queue it again after its
					   restart instead of ending it LOST */
};

/* One start of a task's process. */
struct runnel_attempt {
	unsigned		number;		/* 1, 2, ... */
	enum runnel_state	state;		/* RUNNING while it runs */
	int			exit_code;	/* if it exited */
	int			signal;		/* terminating signal, or 0 */
	int64_t			started_ms, ended_ms; /* unix ms; 0: not yet */
	uint64_t		output_start, output_end; /* its output is
					   [output_start, output_end) of the
					   task's log */
};

/* A task as the daemon describes it.  Everything it points to is owned by
 * the struct and freed by runnel_task_clear().  Optional strings are NULL
 * when the daemon sent nothing (no name, no key, not waiting...). */
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

	/* Scheduling. */
	char *queue;			/* its queue's name (never NULL) */
	int priority;
	char **labels;			/* "key=value", NULL-terminated (never
					   NULL; empty without labels) */
	struct runnel_attempt *attempts; /* oldest first, or NULL */
	size_t nattempts;
	char *waiting_for;		/* what a QUEUED task waits for, in
					   words; NULL otherwise */
	uint64_t *after;		/* its dependencies, or NULL */
	size_t nafter;
	uint64_t *after_any;
	size_t nafter_any;
	uint64_t timeout_ms;		/* in force: the spec's or the queue's;
					   0 none */
	unsigned retries;
	char *key;			/* idempotency key, or NULL */
	int64_t start_at_ms;		/* asked start time, 0 if none */
	int restart_on_lost;		/* queued again if runneld dies */
	uint64_t output_dropped;	/* bytes retention removed */
};

struct runnel_status {
	char version[64];
	int64_t uptime_ms;
	unsigned connections;
	unsigned tasks_queued, tasks_running, tasks_finished;
	unsigned max_running;
	int pid;
	/* How late the daemon's loop runs a periodic probe, in microseconds:
	 * the last probe, the worst since start, the 99th percentile of the
	 * last 1,000 probes. */
	uint64_t loop_lag_us, loop_lag_max_us, loop_lag_p99_us;
};

/*
 * Which tasks a call is about: the union of ids and of the tasks that carry
 * every one of labels and sit in queue (when either is given); all selects
 * every task the client may see.  Everything is read during the call only.
 * A selector with nothing set selects nothing.
 */
struct runnel_selector {
	const uint64_t *ids;
	size_t nids;
	const char *const *labels;	/* "key=value", NULL-terminated, or NULL */
	const char *queue;		/* NULL or "": any queue */
	int all;
};

/* Asynchronous completions.  result is 0 (or a count) on success, a
 * negative RUNNEL_E* code on failure (runnel_last_error() on the client then
 * has the details).  Each is called exactly once per call that accepted it,
 * always from the event loop, never from within the call that queued it. */
typedef void (*runnel_done_cb)(void *arg, int result);
/* A submit's end: the new task's id (0 on failure). */
typedef void (*runnel_submit_cb)(void *arg, int result, uint64_t task_id);
/* A wait's end: n tasks, in the order of the ids asked (NULL, 0 on
 * failure); they belong to the library and are freed after the call. */
typedef void (*runnel_tasks_cb)(void *arg, int result,
    const struct runnel_task *tasks, size_t n);

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
	const uint64_t *ids;		/* tasks to watch (runnel_watch) */
	size_t nids;
	uint64_t from_offset;
	int tail;
	runnel_output_cb on_output;
	runnel_event_cb on_end;		/* a task finished (all output sent) */
	runnel_interrupt_cb on_interrupt;
	void *arg;
	const struct runnel_selector *select; /* tasks in addition to ids, or
					   NULL */
	/* runnel_run only, for a spec with stdin_stream: while the task runs,
	 * read stdin_fd (0 is a valid fd: send_stdin says it is set) and send
	 * what it gives as the task's stdin, 64 KiB at a time with one request
	 * in flight, then end the task's stdin at end of file.  The fd is
	 * polled and read, never made non-blocking nor closed.  An error the
	 * daemon returns for the stdin ends the watch with that error. */
	int send_stdin;
	int stdin_fd;
	/* NULL, or the signal mask for the watch's waits for data (ppoll):
	 * a signal blocked by the caller but not in this mask can then only
	 * arrive during such a wait, never between a check and the wait.  */
	const sigset_t *sigmask;
	/* Keep watching: tasks the selector matches that are submitted later
	 * join the watch, which then ends only on an error or when a
	 * callback stops it.  Needs a select (the daemon says RUNNEL_EARG
	 * otherwise); on_output may then see ids it was not given. */
	int follow;
	/* Start each task this many lines before the end of its output
	 * (0: not used). */
	uint32_t tail_lines;
	/* Start these tasks at these offsets of their logs (to pick up a
	 * watch again after a lost connection: the offset after the last byte
	 * received); other tasks start as from_offset, tail or tail_lines
	 * say.  A task named here is watched whether or not ids names it. */
	const struct runnel_offset *resume;
	size_t nresume;
	/* Only these streams: RUNNEL_STREAM_BIT(RUNNEL_STDOUT) | ...;
	 * 0: all. */
	int streams;
};

enum runnel_wait_mode {
	RUNNEL_WAIT_ALL = 0,		/* until every task ended */
	RUNNEL_WAIT_FIRST_COMPLETED = 1, /* until one ended */
	RUNNEL_WAIT_FIRST_FAILURE = 2	/* until one did not succeed, or all
					   ended */
};

/* Queue operations, as on the wire. */
enum runnel_queue_op {
	RUNNEL_QUEUE_LIST = 0,
	RUNNEL_QUEUE_ADD = 1,		/* create; error if it exists */
	RUNNEL_QUEUE_SET = 2,		/* change max_running and/or timeout */
	RUNNEL_QUEUE_PAUSE = 3,		/* start nothing new */
	RUNNEL_QUEUE_RESUME = 4,
	RUNNEL_QUEUE_DRAIN = 5		/* start nothing new; running ones end */
};

/* Settings for RUNNEL_QUEUE_ADD (the set_ flags are ignored: both values
 * are used, 0 meaning none) and RUNNEL_QUEUE_SET (only the fields whose
 * set_ flag is non-zero change). */
struct runnel_queue_set {
	int		set_max_running;
	unsigned	max_running;	/* 0: no limit of its own */
	int		set_timeout;
	uint64_t	timeout_ms;	/* default task timeout; 0: none */
};

/* A queue as the daemon describes it; strings owned, freed by
 * runnel_queues_free(). */
struct runnel_queue {
	char		*name;
	unsigned	 max_running;	/* 0: no limit of its own */
	uint64_t	 timeout_ms;	/* 0: none */
	char		*state;		/* "active", "paused", "draining" */
	unsigned	 running, queued;
};

/* Connect to the daemon (opts may be NULL: the default unix socket) and
 * exchange Hello, blocking until done.  On success *cp is a new client, to
 * be freed with runnel_close(); on failure *cp is NULL and
 * runnel_last_error(NULL) tells why.  opts and its strings are read during
 * the call only. */
int	 runnel_connect(struct runnel_client **, const struct runnel_connect_opts *);
/* Close the connection and free the client (NULL is ignored).  Requests
 * still in flight are dropped: their callbacks never run.  From a callback
 * of an asynchronous client the client goes once the callback returns; a
 * callback of a blocking call must not close its client. */
void	 runnel_close(struct runnel_client *);
/* A static text naming an error code ("unknown error" for others). */
const char *runnel_strerror(int);
/* Details of the last failure on a client, with the daemon's own message.
 * runnel_last_error(NULL) returns the message of the last failed
 * runnel_connect() on this thread, which leaves no client to ask ("" if none
 * has failed). */
const char *runnel_last_error(const struct runnel_client *);
/* The identity and role ("admin", "user", "viewer") the daemon sees, and
 * its version: set once the Hello is answered (NULL before), owned by the
 * client and valid until runnel_close().  runnel_last_error()'s text is
 * owned by the client too, and changes with the next failure. */
const char *runnel_identity(const struct runnel_client *);
const char *runnel_role(const struct runnel_client *);
const char *runnel_server_version(const struct runnel_client *);

/* Submit a task; *id (may be NULL) is its id.  The spec is read during the
 * call only. */
int	 runnel_submit(struct runnel_client *, const struct runnel_spec *,
	    uint64_t *id);
/* Submit and watch the new task in one round trip.  *id is set before any
 * callback runs.  The watch options may be NULL: the call then waits until
 * the task has ended, discarding its output, and returns RUNNEL_EINTR if a
 * signal interrupts the wait.  The ids and select of the options are
 * ignored, as are follow, tail_lines, resume and streams; send_stdin
 * streams stdin_fd to the task (the spec must then ask for stdin_stream,
 * else RUNNEL_EINVAL). */
int	 runnel_run(struct runnel_client *, const struct runnel_spec *,
	    uint64_t *id, const struct runnel_watch_opts *);
/* Stream output of the tasks (ids and select) until all have ended.
 * send_stdin is ignored here. */
int	 runnel_watch(struct runnel_client *, const struct runnel_watch_opts *);
/* Cancel: signal 0 means SIGTERM, grace_ms 0 the daemon's default. */
int	 runnel_cancel(struct runnel_client *, const uint64_t *ids, size_t n,
	    int signal, unsigned grace_ms);
/* Send a cancel without waiting for its answer (from a watch callback). */
int	 runnel_cancel_nowait(struct runnel_client *, const uint64_t *ids,
	    size_t n, int signal, unsigned grace_ms);
/* List all visible tasks; free with runnel_tasks_free(). */
int	 runnel_list(struct runnel_client *, struct runnel_task **, size_t *n);
/* Describe one task into *task (the caller's struct, whose contents are
 * then freed with runnel_task_clear()). */
int	 runnel_show(struct runnel_client *, uint64_t id, struct runnel_task *);
/* Wait until all tasks have ended; fills tasks (n entries, in the order of
 * ids; a repeated id is described each time). */
int	 runnel_wait(struct runnel_client *, const uint64_t *ids, size_t n,
	    struct runnel_task **tasks);
/* The daemon's version, counters and loop lag, into the caller's struct. */
int	 runnel_status(struct runnel_client *, struct runnel_status *);

/* List the tasks a selector names (NULL: every visible task), in id order;
 * free with runnel_tasks_free().  An unknown id is RUNNEL_ENOTFOUND. */
int	 runnel_list_select(struct runnel_client *,
	    const struct runnel_selector *, struct runnel_task **, size_t *n);
/* Cancel the selected tasks (see runnel_cancel for signal and grace_ms);
 * returns how many were still going and got the cancel, maybe 0. */
int	 runnel_cancel_select(struct runnel_client *,
	    const struct runnel_selector *, int signal, unsigned grace_ms);
/* Wait for the selected tasks as mode says, or until timeout_ms (0: no
 * timeout), then describe every selected task as it is then, in id order
 * (free with runnel_tasks_free()).  With cancel_rest, the daemon cancels
 * those still queued or running when the wait ends.  *timed_out (may be
 * NULL) is set if the timeout ended the wait.  Selecting no task is
 * RUNNEL_EARG. */
int	 runnel_wait_select(struct runnel_client *,
	    const struct runnel_selector *, enum runnel_wait_mode,
	    int cancel_rest, uint64_t timeout_ms, struct runnel_task **,
	    size_t *n, int *timed_out);
/* Send bytes for the stdin of a task this client submitted with
 * stdin_stream, and wait for the daemon to accept them: it answers once
 * the task's input buffer has room, which is the flow control.  eof ends
 * the task's stdin (len may be 0 then).  Keep len well under the daemon's
 * frame limit (64 KiB is a good size).  Bytes sent after the task ended
 * are accepted and dropped. */
int	 runnel_stdin(struct runnel_client *, uint64_t id, const void *data,
	    size_t len, int eof);
/* Submit a copy of a finished task's spec (without its key and start
 * time); *new_id (may be NULL) is the new task. */
int	 runnel_restart(struct runnel_client *, uint64_t id, uint64_t *new_id);
/* Carry out a queue operation on the queue name (ignored by LIST; set is
 * used by ADD and SET, NULL there meaning no limit and no timeout for ADD,
 * no change for SET) and return every queue afterwards in *queues, *n
 * (both may be NULL if the list is not wanted; free with
 * runnel_queues_free()).  Changing queues needs the admin role. */
int	 runnel_queue(struct runnel_client *, enum runnel_queue_op,
	    const char *name, const struct runnel_queue_set *set,
	    struct runnel_queue **queues, size_t *n);
/* Free the n queues runnel_queue() returned (NULL is ignored). */
void	 runnel_queues_free(struct runnel_queue *, size_t n);
/* Remove finished tasks (their record and output) among those the
 * selector names (NULL: every finished task the caller may remove) that
 * ended at least older_than_ms ago; the removed ids go to *ids, *n (both
 * may be NULL; free *ids with free()).  Returns how many were removed. */
int	 runnel_clean(struct runnel_client *, const struct runnel_selector *,
	    uint64_t older_than_ms, uint64_t **ids, size_t *n);

/* Free what a task points to and zero it (the struct itself stays). */
void	 runnel_task_clear(struct runnel_task *);
/* Free an array of n tasks from runnel_list() and friends (NULL is
 * ignored). */
void	 runnel_tasks_free(struct runnel_task *, size_t n);
/* A static name for a state ("running", "succeeded"...; "unknown"). */
const char *runnel_state_name(enum runnel_state);

/*
 * The asynchronous API.  The client runs on base, which the caller owns and
 * runs (event_base_dispatch() or its own loop); it must outlive the client.
 * These calls return 0 when the request is queued (its callback will run
 * exactly once, from the loop) or a negative code when it could not be (no
 * callback will run).  Requests may be queued at once after
 * runnel_connect_async(): they are sent after the connection is up, and
 * fail with the connection's error if it does not come up.  When the
 * connection is lost every pending request's callback runs with RUNNEL_EIO
 * (or the daemon's own error), oldest first; later calls fail at once.
 *
 * Any callback may queue more requests on the client, call
 * runnel_last_error() and friends, and call runnel_close(): the client is
 * then freed once the callback returns, and no further callback of it runs
 * (those pending are dropped without being called).  runnel_close() outside
 * a callback does the same at once.  The blocking calls above fail with
 * RUNNEL_EINVAL on an asynchronous client (runnel_cancel_nowait excepted);
 * the _async calls work on a blocking client too, their callbacks then
 * running during the blocking calls that follow.
 */

/* Start connecting to the daemon on base; *cp is the new client, usable at
 * once.  on_connect (may be NULL) runs when the daemon answered Hello (0:
 * runnel_identity() and friends are then set) or the connection failed; the
 * caller frees the client with runnel_close() either way.  A failure found
 * at once (a bad address or certificate file, a refused unix socket) is
 * returned instead, with *cp NULL and runnel_last_error(NULL) telling why.
 * Host names are resolved with getaddrinfo() during this call: give an
 * address or a name in /etc/hosts when the loop must not wait for DNS.  A
 * unix socket is connected during this call too, which takes no time
 * unless the daemon's listen backlog is full. */
int	 runnel_connect_async(struct runnel_client **cp, struct event_base *base,
	    const struct runnel_connect_opts *, runnel_done_cb on_connect,
	    void *arg);
/* Submit a task; on_submit gets its id. */
int	 runnel_submit_async(struct runnel_client *, const struct runnel_spec *,
	    runnel_submit_cb on_submit, void *arg);
/* Submit a task and watch it on the same request (runnel_run without
 * stdin): on_submit (may be NULL) gets the id before any output, then
 * w->on_output and w->on_end (either may be NULL) see its output and its
 * end, then on_done gets 0, or the non-zero value an output or end
 * callback returned to stop the watch, or a negative code (on_submit may
 * then not have run).  All get w->arg.  The ids, select, follow, tail_lines,
 * resume, streams, on_interrupt, send_stdin and sigmask of w are ignored. */
int	 runnel_run_async(struct runnel_client *, const struct runnel_spec *,
	    const struct runnel_watch_opts *w, runnel_submit_cb on_submit,
	    runnel_done_cb on_done);
/* Watch tasks as runnel_watch() does; on_done (with w->arg) as for
 * runnel_run_async().  on_interrupt, send_stdin and sigmask are ignored.
 * A callback that stops the watch stops only the callbacks: the daemon
 * goes on sending until its end, and the library drops what comes. */
int	 runnel_watch_async(struct runnel_client *,
	    const struct runnel_watch_opts *w, runnel_done_cb on_done);
/* Wait until all the tasks have ended; on_tasks gets them described, in
 * the order of ids.  Several waits may be in flight: each ends on its own,
 * which gathers results as they complete. */
int	 runnel_wait_async(struct runnel_client *, const uint64_t *ids,
	    size_t n, runnel_tasks_cb on_tasks, void *arg);
/* Cancel tasks (see runnel_cancel); on_done gets how many the cancel
 * reached, or an error. */
int	 runnel_cancel_async(struct runnel_client *, const uint64_t *ids,
	    size_t n, int signal, unsigned grace_ms, runnel_done_cb on_done,
	    void *arg);

/* PKI: ECDSA P-256 keys for the CA and the server, Ed25519 keys for
 * clients, written mode 0600.  On failure *cause (if given) is set to an
 * allocated message the caller frees.  runnel_pki_init() makes a CA and a
 * server certificate for the names in dir, creating dir (0700) and its
 * missing parents (0755); runnel_pki_issue() a client
 * certificate name.crt and key name.key signed by that CA.  Neither needs
 * a client or a daemon. */
int	 runnel_pki_init(const char *dir, const char *const *names, size_t n,
	    char **cause);
int	 runnel_pki_issue(const char *dir, const char *name, char **cause);

#ifdef __cplusplus
}
#endif

#endif
