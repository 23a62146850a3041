/*
 * runneld.h - the daemon's internal interfaces, indexed by file.
 */
#ifndef RUNNELD_H
#define RUNNELD_H

#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "common.h"
#include "config.h"

#include <journal.pb-c.h>

#define RUNNELD_VERSION		PACKAGE_VERSION

/* glibc's sys/queue.h lacks the _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

/* Bytes read from a task's pipe per wake-up (a quarter of its ring): a
 * flooding task shares the loop with everyone else. */
#define READ_BUDGET		(64 * 1024)
/* Bytes of each task's newest output kept in memory; also the most that
 * may wait to be written to its spool. */
#define OUTPUT_TAIL		(256 * 1024)
#define OUTPUT_FLOOD_TAIL	(1024 * 1024)
/* Event priorities: control traffic before bulk output. */
#define PRI_CONTROL		0
#define PRI_BULK		1
#define PRI_COUNT		2

enum task_state {
	TASK_QUEUED = RUNNEL__V1__TASK_STATE__TASK_QUEUED,
	TASK_RUNNING = RUNNEL__V1__TASK_STATE__TASK_RUNNING,
	TASK_SUCCEEDED = RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED,
	TASK_FAILED = RUNNEL__V1__TASK_STATE__TASK_FAILED,
	TASK_CANCELLED = RUNNEL__V1__TASK_STATE__TASK_CANCELLED,
	TASK_TIMED_OUT = RUNNEL__V1__TASK_STATE__TASK_TIMED_OUT,
	TASK_LOST = RUNNEL__V1__TASK_STATE__TASK_LOST,
	TASK_SKIPPED = RUNNEL__V1__TASK_STATE__TASK_SKIPPED
};

struct task;
struct session;
struct output;
struct watch;

/* A kind of task: how it starts, is cancelled and is freed.  start fails
 * at once (-1 and a cause) or later (task_start_failed), or succeeds later
 * (task_started, once t->pid is set). */
struct task_kind {
	const char	*name;
	int		(*start)(struct task *, char **cause);
	void		(*signal)(struct task *, int sig);
	void		(*input)(struct task *);	/* more stdin queued */
	void		(*free)(struct task *);
};

/* Streamed stdin buffered per task before its sender is slowed down. */
#define STDIN_HIWAT		(256 * 1024)

/* A position in a task's output log. */
struct output_cursor {
	uint64_t	 offset;	/* next data byte to send */
	uint64_t	 pos;		/* spool position of its record */
};

/* One watched task inside a watch. */
struct cursor {
	struct watch		*watch;
	struct task		*task;
	struct output_cursor	 oc;
	int			 done;	/* end event sent */
	TAILQ_ENTRY(cursor)	 task_entry;
};
TAILQ_HEAD(cursor_list, cursor);

/* One run of a task's process. */
struct attempt {
	enum task_state	 state;
	int		 exit_code;
	int		 signal;
	int64_t		 started_ms;
	int64_t		 ended_ms;
	uint64_t	 output_start;
	uint64_t	 output_end;
};

TAILQ_HEAD(task_queue, task);

/* A named queue with its own parallel limit. */
struct queue {
	char			*name;
	unsigned		 max_running;	/* 0: none of its own */
	uint64_t		 timeout_ms;	/* default task timeout */
	int			 state;		/* RUNNEL__V1__QUEUE_STATE__* */
	unsigned		 nrunning;
	unsigned		 nqueued;
	unsigned		 nqueued_deps;	/* of those, with dependencies */
	struct task_queue	 tasks;		/* QUEUED, by priority then id */
	struct task		*sched_next;	/* a pass's place in tasks */
	TAILQ_ENTRY(queue)	 entry;
};
TAILQ_HEAD(queue_list, queue);

/* While the journal is replayed: a task's output retention state, until
 * its output is opened. */
struct task_replay {
	uint64_t		 drop[4];
	uint64_t		 size;
	int			 removed;
};

/* Fields are ordered to pack: 100,000 queued tasks are 100,000 of these. */
struct task {
	uint64_t		 id;
	enum task_state		 state;
	int			 stdin_eof;	/* no more streamed stdin */
	const struct task_kind	*kind;
	void			*kind_data;
	/* The spec as submitted, less its stdin bytes: labels, limits, deps,
	 * and what restart copies.  One allocation that argv, env, cwd and
	 * name point into. */
	Runnel__V1__TaskSpec	*spec;

	char			*name;
	char			**argv;
	size_t			 argc;
	char			**env;
	size_t			 nenv;
	char			*cwd;
	uint8_t			*stdin_data;
	size_t			 stdin_len;
	struct evbuffer		*stdin_buf;	/* streamed stdin, not yet written */
	struct session		*stdin_session;	/* owes a StdinReply */
	uint64_t		 stdin_req;
	struct session		*stdin_owner;	/* submitted it: may send stdin */

	char			*owner;		/* shared: task_owner_get */
	char			*cancelled_by;
	char			*reason;
	struct queue		*queue;
	int64_t			 created_ms;
	int64_t			 started_ms;
	int64_t			 ended_ms;
	int64_t			 not_before_ms;	/* start at / retry time */
	uint64_t		 timeout_ms;
	uint64_t		 pid_start;	/* its start time, /proc stat 22 */
	pid_t			 pid;
	int			 exit_code;
	int			 signal;
	int			 core_dumped;

	int			 cancel_signal;	/* nonzero once cancelled */
	int			 timed_out;	/* this attempt hit its timeout */
	uint64_t		 grace_ms;
	struct event		*kill_timer;
	struct event		*timeout_timer;

	struct attempt		*attempts;
	size_t			 nattempts;
	struct task_replay	*replay;	/* while the journal is replayed */

	struct output		*output;
	struct cursor_list	 cursors;
	LIST_HEAD(wait_ref_list, wait_ref) waits;	/* wait.c: waiting */

	TAILQ_ENTRY(task)	 queue_entry;	/* queue->tasks while QUEUED */

	/* task.c: its start record is written, not yet durable (no process
	 * yet); its end could not be written (the state it ends in). */
	int			 starting;
	enum task_state		 end_pending;
};

/* A Watch (or Submit with watch) in progress on a session. */
struct watch {
	struct session		*session;
	uint64_t		 req_id;
	struct cursor		**cursors;
	size_t			 ncursors;
	size_t			 nalloc;
	size_t			 nfinished;
	size_t			 next;		/* round-robin start */
	int			 follow;	/* new matching tasks join */
	Runnel__V1__Selector	*select;	/* with follow: which */
	uint32_t		 streams;	/* bit per stream; 0: all */
	TAILQ_ENTRY(watch)	 entry;
};
TAILQ_HEAD(watch_list, watch);

/* wait.c: a Wait in progress on a session; one of its tasks. */
struct waiter;
struct wait_ref;
TAILQ_HEAD(waiter_list, waiter);

/* A session's life, in order: it only moves down the list (checked by
 * session_set_state).  A unix peer starts at SESSION_HELLO. */
enum session_state {
	SESSION_HANDSHAKE,		/* TLS handshake */
	SESSION_HELLO,			/* waiting for Hello */
	SESSION_READY,			/* said Hello: serving requests */
	SESSION_CLOSING,		/* flushing a last error */
	SESSION_DEAD			/* torn down; freed at its last unref */
};

struct session {
	uint64_t		 id;
	struct bufferevent	*bev;
	enum session_state	 state;
	int			 is_unix;
	/* Was READY (kept by session_set_state): still so once CLOSING. */
	int			 hello_done;
	int			 unauth;	/* counted in server.nunauth */
	int			 refs;		/* session_unref frees at 0 */
	char			*peer;		/* address, for logs */
	char			*identity;
	enum role		 role;
	int			 pump_queued;	/* on the pump list */
	TAILQ_ENTRY(session)	 pump_entry;
	/* session.c's flow control */
	int			 read_paused;	/* too much output unread */
	size_t			 buf_peak;	/* most bytes buffered */
	struct event		*timeout_ev;
	struct watch_list	 watches;
	struct waiter_list	 waiters;	/* wait.c */
	uint64_t		*stdin_tasks;	/* task-stdin.c: owns their */
	size_t			 nstdin_tasks;	/* stdin (ids) */
	TAILQ_ENTRY(session)	 entry;
	/* Admission (source.c, listener.c): a TLS peer's source while it
	 * is before Hello, a unix peer's uid. */
	struct source		*src;		/* NULL: none, or untracked */
	TAILQ_ENTRY(session)	 src_entry;
	int			 hello_expired;	/* hello_timeout ran out */
	uid_t			 uid;		/* unix peers */
};
TAILQ_HEAD(session_list, session);

struct listener;

/* Everything the daemon knows; one per process. */
struct server {
	struct event_base	*base;
	struct config		*conf;
	SSL_CTX			*ssl_ctx;
	struct listener		**listeners;
	size_t			 nlisteners;
	char			*spool_dir;
	int64_t			 start_ms;
	uid_t			 uid;
	uid_t			 euid;	/* 0: tasks may run as others */

	struct session_list	 sessions;
	unsigned		 nsessions;
	unsigned		 nunauth;	/* TLS sessions before Hello */
	uint64_t		 next_session_id;

	size_t			 ntasks;	/* live, in task.c's table */
	uint64_t		 last_id;	/* the highest task id given */
	unsigned		 nqueued;
	unsigned		 nqueued_deps;	/* of those, with dependencies */
	struct queue_list	 queues;
	struct event		*sched_ev;
	struct event		*sched_timer;
	unsigned		 nrunning;
	unsigned		 nfinished;

	int			 shutting_down;
	int			 cancelling;	/* shutdown cancels tasks */
	int			 activated;	/* listeners passed by systemd */
	struct event		*shutdown_timer;
};

extern struct server server;
extern int server_nosync;
extern int server_verbose;

/* wire.c */
#define WIRE_PATH_MAX		256
/* Called by wire_walk() for one value of a field of message md: value
 * points at it (a char * for strings, a ProtobufCBinaryData for bytes, the
 * number itself for numbers); path names it ("submit.spec.labels[2].key").
 * A non-zero return stops the walk. */
typedef int (*wire_field_cb)(const ProtobufCMessageDescriptor *md,
	    const ProtobufCFieldDescriptor *f, void *value, const char *path,
	    void *arg);
int	 wire_walk(ProtobufCMessage *, wire_field_cb, void *);
/* An escaped copy of a `string` value that is not UTF-8, else NULL. */
char	*wire_string_escape(const ProtobufCFieldDescriptor *, const void *);

/* range.c */
/* Durations (ms) from the wire: at most ten years of 365 days, so none
 * wraps through a signed type or a timeval. */
#define RANGE_MS_MAX		DURATION_MAX_MS
/* start_at_ms: unix ms up to 9999-12-31 23:59:59.999 UTC. */
#define RANGE_UNIX_MS_MAX	START_AT_MAX_MS
#define RANGE_RETRIES_MAX	1000
#define RANGE_BACKOFF_MAX	100.0
enum range_kind {
	RANGE_SIGNED,			/* min..max */
	RANGE_UNSIGNED,			/* umin..umax */
	RANGE_DOUBLE,			/* a number (not NaN) in dmin..dmax */
	RANGE_ENUM,			/* a value runnel.proto names */
};
/* The documented range of one numeric field of a request. */
struct range {
	const char	*message;	/* full name: "runnel.v1.TaskSpec" */
	const char	*field;
	enum range_kind	 kind;
	int64_t		 min, max;
	uint64_t	 umin, umax;
	double		 dmin, dmax;
};
const struct range *range_find(const char *message, const char *field);
const struct range *range_rows(size_t *);
void	 range_text(const struct range *, const ProtobufCFieldDescriptor *,
	    char *, size_t);
int	 range_check(const ProtobufCMessage *, char **cause);
uint64_t range_ms(uint64_t);
void	 range_timeval(uint64_t, struct timeval *);
uint64_t range_retry_ms(uint64_t delay_ms, double backoff, size_t attempt);

/* xmalloc.c */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* server.c */
int	 server_init(struct config *, int check_only, char **cause);
void	 server_run(void);
void	 server_free(void);
int64_t	 server_mono_ms(void);
int64_t	 server_now_ms(void);
int64_t	 server_now_us(void);
void	 server_shutdown(void);
void	 server_cancel_all(void);
void	 server_maybe_exit(void);
struct event *server_wakeup_new(int *, event_callback_fn);
void	 server_add_listener(struct listener *);
int	 server_tls_ctx(const struct config *, SSL_CTX **, char **cause);

/* notify.c */
void	 notify_init(void);
void	 notify_ready(void);
void	 notify_reloading(void);
void	 notify_stopping(void);
void	 notify_free(void);

/* activation.c */
int	 activation_listen(char **cause);

/* reload.c */
void	 reload(void);
void	 reload_stop(void);

/* listener.c */
struct listener *listener_create_tcp(const char *addr, char **cause);
struct listener *listener_create_unix(const char *path, char **cause);
struct listener *listener_create_fd(int fd, int is_unix, char **cause);
void	 listener_free(struct listener *);
const char *listener_name(const struct listener *);

/* listener.c: --check-config of the unix socket's directory, and which
 * kind a passed socket is */
int	 listener_check_unix(const char *path, char **cause);
int	 listener_is_unix(const struct listener *);

/* session.c */
struct session *session_create(int fd, SSL *ssl, const char *peer);
void	 session_set_state(struct session *, enum session_state);
void	 session_lost(struct session *, const char *why);
void	 session_send(struct session *, const Runnel__V1__ServerMessage *);
struct evbuffer_iovec;
uint8_t	*session_reserve(struct session *, size_t, struct evbuffer_iovec *);
void	 session_commit(struct session *, struct evbuffer_iovec *, size_t);
void	 session_send_error(struct session *, uint64_t req_id,
	    Runnel__V1__ErrorCode, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 session_close_with_error(struct session *, uint64_t req_id,
	    Runnel__V1__ErrorCode, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 session_schedule_pump(struct session *);
int	 session_writable(struct session *);
void	 session_touch(struct session *);
void	 session_authenticated(struct session *);
int	 session_inflight(const struct session *);
void	 session_ref(struct session *);
void	 session_unref(struct session *);
/* session-admit.c: admission of unix peers */
enum role session_unix_role(uid_t, char **identity);
int	 session_identify_unix(struct session *, int fd);
void	 session_refuse(int fd, Runnel__V1__ErrorCode, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
unsigned session_count_uid(uid_t);

/* source.c: per-source accounting of TLS peers before Hello */
struct source;
enum source_end {
	SOURCE_END_HELLO,		/* authenticated: no penalty */
	SOURCE_END_FAILED,		/* closed or refused before Hello */
	SOURCE_END_TIMEOUT		/* hello_timeout ran out */
};
struct sockaddr;
/* The entry of a peer's source; one without sessions may be reused by
 * the next source_get. */
struct source *source_get(const struct sockaddr *);
unsigned source_count(const struct source *);
int64_t	 source_penalized(const struct source *);
int	 source_evict(const struct source *);
void	 source_add(struct source *, struct session *);
void	 source_remove(struct session *, enum source_end);
const char *source_name(const struct source *);
size_t	 source_entries(void);

/* rpc.c */
struct rpc_entry {
	const char	*name;
	enum role	 min_role;
	void		(*handler)(struct session *, uint64_t req_id,
			    const Runnel__V1__ClientMessage *);
};
void	 rpc_dispatch(struct session *, const Runnel__V1__ClientMessage *);
struct task *rpc_find_task(struct session *, uint64_t req_id, uint64_t id,
	    int control);
extern const struct rpc_entry rpc_hello_entry;
extern const struct rpc_entry rpc_submit_entry;
extern const struct rpc_entry rpc_watch_entry;
extern const struct rpc_entry rpc_cancel_entry;
extern const struct rpc_entry rpc_list_entry;
extern const struct rpc_entry rpc_show_entry;
extern const struct rpc_entry rpc_wait_entry;
extern const struct rpc_entry rpc_status_entry;

extern const struct rpc_entry rpc_queue_entry;
extern const struct rpc_entry rpc_restart_entry;
extern const struct rpc_entry rpc_stdin_entry;
extern const struct rpc_entry rpc_clean_entry;
/* Resolve task_ids plus a selector into the visible tasks (no duplicates,
 * id order); answers with an error and returns -1 on an unknown id. */
int	 rpc_select(struct session *, uint64_t req_id, const uint64_t *ids,
	    size_t nids, const Runnel__V1__Selector *, int control,
	    struct task ***tasks, size_t *n);

/* select.c */
int	 select_may_see(const struct session *, const struct task *);
int	 select_may_control(const struct session *, const struct task *);
int	 select_match(const struct task *, const Runnel__V1__Selector *);

/* wait.c */
void	 wait_create(struct session *, uint64_t req_id, struct task **,
	    size_t n, int mode, int cancel_rest, uint64_t timeout_ms);
int	 wait_count(const struct session *);
void	 wait_session_lost(struct session *);

/* task-stdin.c */
typedef void (*task_stdin_reply_cb)(struct session *, uint64_t req_id);
void	 task_stdin_own(struct task *, struct session *);
void	 task_stdin_write(struct task *, const void *, size_t, int eof,
	    uint64_t req_id, task_stdin_reply_cb);
void	 task_stdin_drained(struct task *);
void	 task_stdin_lost(struct session *);

/* rpc-submit.c (also for Restart) */
int	 rpc_submit_refused(struct session *, uint64_t, const char *);
int	 rpc_submit_queue_full(struct session *, uint64_t);
void	 rpc_submit_reply_durable(struct session *, uint64_t req_id,
	    uint64_t task_id, int watch);

/* task.c */
/* Ids run from 1; the highest leaves room for the next id (the journal
 * records it) to be a uint64 too. */
#define TASK_ID_MAX	(UINT64_MAX - 1)
/* Walk the task table in id order.  The body must not remove tasks (a
 * removal may move the table's slots): collect them, then remove. */
#define TASK_FOREACH(t, pos)						\
	for ((pos) = 0; task_table_next(&(pos), &(t)); (pos)++)
struct task *task_create(const Runnel__V1__TaskSpec *, const char *owner,
	    Runnel__V1__ErrorCode *, char **cause);
struct task *task_find(uint64_t id);
struct task *task_find_key(const char *owner, const char *key);
int	 task_table_next(size_t *, struct task **);
void	 task_table_add(struct task *);
void	 task_table_remove(struct task *);
void	 task_set_state(struct task *, enum task_state);
void	 task_count_queued(struct task *, int add);
char	*task_owner_get(const char *);
void	 task_owner_put(char *);
unsigned task_owner_queued(const char *);
void	 task_start(struct task *);
void	 task_start_failed(struct task *, char *);
void	 task_started(struct task *);
void	 task_cancel(struct task *, int sig, uint64_t grace_ms,
	    const char *by);
void	 task_cannot_start(struct task *, char *);
void	 task_exited(struct task *, int wstatus);
void	 task_attempt_ended(struct task *);
void	 task_end(struct task *, enum task_state, const char *reason);
int	 task_is_final(const struct task *);
int	 task_has_deps(const struct task *);
const char *task_state_name(enum task_state);
int	 task_remove(struct task *);
void	 task_free(struct task *);
void	 task_free_all(void);

/* retention.c */
void	 retention_start(void);
void	 retention_stop(void);
void	 retention_request(void);

/* task-restore.c */
int	 task_restore(const Runnel__Journal__V1__TaskRecord *, char **cause);
int	 task_restore_done(char **cause);
void	 task_restore_next_id(uint64_t);
void	 task_restore_utf8(Runnel__Journal__V1__Record *, uint64_t off);
uint64_t task_pid_start(pid_t);

/* journal.c */
int	 journal_open(const char *dir, int nosync, char **cause);
void	 journal_close(void);
int	 journal_task(const struct task *, int with_spec);
int	 journal_task_removed(uint64_t);
void	 journal_queue(const struct queue *);
/* Called once what was written before is durable (error 0), cannot be
 * (an errno), or the journal closed first (ECANCELED: only free arg). */
typedef void (*journal_sync_cb)(void *arg, int error);
void	 journal_sync_then(journal_sync_cb, void *arg);
void	 journal_maybe_compact(void);
int	 journal_compact(char **cause);

/* journal.c: records that cannot be written are not acted on */
int	 journal_task_end(const struct task *, enum task_state,
	    int64_t ended_ms);
int	 journal_blocked(void);
void	 journal_retry(void);
void	 journal_start_wait(struct task *);
/* task.c */
void	 task_start_durable(struct task *, int error);

/* journal.c: for tests and fuzzing */
int	 journal_acks_pending(void);

/* task-spec.c */
int	 task_spec_check(const Runnel__V1__TaskSpec *, const char *owner,
	    struct queue **, char **cause);
int	 task_spec_take(struct task *, const Runnel__V1__TaskSpec *,
	    char **cause);
int	 task_rlimit_resource(const char *);
void	 task_info_fill(const struct task *, Runnel__V1__TaskInfo *);
void	 task_info_fill_ex(const struct task *, Runnel__V1__TaskInfo *,
	    int with_waiting);
void	 task_info_clear(Runnel__V1__TaskInfo *);

/* sched.c */
void	 sched_init(void);
void	 sched_free(void);
void	 sched_request(void);
void	 sched_enqueue(struct task *);
char	*sched_waiting_for(const struct task *);

/* queue.c */
void	 queue_init(void);
void	 queue_free_all(void);
struct queue *queue_find(const char *);
int	 queue_name_ok(const char *);
struct queue *queue_add(const char *, unsigned max_running,
	    uint64_t timeout_ms);
void	 queue_set_state(struct queue *, int state);
void	 queue_info_fill(const struct queue *, Runnel__V1__Queue *);

/* privdrop.c */
int	 privdrop_check(const char *owner, const struct access_user **,
	    char **);
const struct access_user *privdrop_user(const struct access_user *);
char	**privdrop_argv(const struct access_user *, const struct task *);
void	 privdrop_argv_free(char **);
void	 privdrop_free(void);

/* spawn.c: a process to start, and how it went. */
struct spawn {
	const char		*file;	/* PATH searched when it has no '/' */
	char *const		*argv;
	char *const		*envp;
	const char		*cwd;	/* or NULL */
	int			 cwd_home; /* cwd is a default: / if it
					    cannot be entered */
	const char		*path;	/* PATH to search; NULL: runneld's */
	int			 fd[3];	/* the child's stdin, stdout, stderr */
	rlim_t			 nofile; /* its soft RLIMIT_NOFILE; 0: ours */

	pid_t			 pid;	/* started, or 0 */
	int			 error;	/* why not: an errno */
};
/* 1: the loop waits in vfork for each child to execute (RUNNELD_VFORK set,
 * or no shared-memory child on this architecture); -1 until decided. */
extern int spawn_vfork;
void	 spawn_run(struct spawn *);
int	 spawn_reaped(pid_t);

/* task-exec.c */
extern const struct task_kind task_exec_kind;
/* The soft RLIMIT_NOFILE runneld started with, when it raised its own:
 * what a task gets unless it asks for another; 0 if not raised. */
extern rlim_t task_exec_nofile;

/* output.c */
struct output *output_create(const char *path, size_t tail, char **cause);
struct output *output_open(const char *path, size_t tail,
	    const uint64_t *drop, int removed, uint64_t size, char **cause);
#define OUTPUT_DROPPED		(-2)	/* output_read: bytes gone */
uint64_t output_dropped(const struct output *);
void	 output_drop_range(const struct output *, uint64_t[4], int *);
int	 output_trim(struct output *, uint64_t, int (*)(void *), void *);
void	 output_recorded(struct output *);
void	 output_remove(struct output *);
uint64_t output_disk_bytes(const struct output *);
void	 output_set_dropped(struct output *, const uint64_t[4], int, uint64_t);
void	 output_writer_start(void);
void	 output_writer_stop(void);
size_t	 output_room(struct output *);
size_t	 output_read_budget(const struct output *);
size_t	 output_room_min(const struct output *);
void	 output_flood(struct output *);
void	 output_end(struct output *);
void	 output_wait_room(struct output *, void (*)(void *), void *);
void	 output_free(struct output *);
int	 output_append(struct output *, int stream, const void *, size_t,
	    int64_t time_us);
uint64_t output_size(const struct output *);
/* Read the rest of the record at the cursor, at most max bytes. */
ssize_t	 output_peek(struct output *, const struct output_cursor *,
	    size_t, int *, uint64_t *, int64_t *);
ssize_t	 output_append_fd(struct output *, int, int, size_t, int64_t);
ssize_t	 output_read(struct output *, struct output_cursor *, void *buf,
	    size_t max, int *stream, uint64_t *offset, int64_t *time_us);
int	 output_seek(struct output *, struct output_cursor *, uint64_t offset);
uint64_t output_tail_lines(struct output *, uint32_t lines);
uint64_t output_tail_offset(const struct output *);

/* output-spool.c: a task's reader that goes away while paused */
void	 output_wait_cancel(struct output *, void *);

/* watch.c */
struct watch *watch_create(struct session *, uint64_t req_id,
	    struct task **, size_t n, const Runnel__V1__WatchRequest *);
void	 watch_free(struct watch *);
int	 watch_pump(struct session *);

#endif
