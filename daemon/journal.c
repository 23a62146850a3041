/*
 * journal.c - every state change a client was told about, made durable.
 *
 * The journal is an append-only file of records (length, CRC-32C, one
 * protobuf Record).  Records are written on the loop (a write() into the
 * page cache, which survives the daemon being killed); a flush thread
 * makes them durable with fdatasync, one call covering every record
 * written meanwhile (group commit), and wakes the loop through an eventfd.
 * Whoever must not act before a record is durable (a submission's reply,
 * rpc-submit.c; a task's start) asks journal_sync_then for a callback.  A
 * record someone waits for is synced at once, the others (a task ending)
 * within JOURNAL_LAZY_MS or with the next one that is waited for,
 * so that a burst of short tasks costs a few syncs, not one per record.
 * The loop never waits for the disk except in compaction, which rewrites
 * only the live tasks and runs when the file outgrows a bound.
 *
 * A record that cannot be written (ENOSPC, EIO) is not acted on: a task
 * starts only once its start record is durable, and an end that cannot be
 * written is kept (the task still shows running) and written again by a
 * retry timer with backoff; while anything is unwritten the journal is
 * blocked: no task starts and no submission is accepted, so nothing is
 * acknowledged before the ends that came first.
 *
 * At start the journal is replayed (journal-replay.c).
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <journal.pb-c.h>

#include "journal.h"
#include "log.h"
#include "runneld.h"

/* Records no acknowledgement waits for are synced within this. */
#define JOURNAL_LAZY_MS		10
/* Compact when the file is this big and four times what is live. */
#define JOURNAL_COMPACT_MIN	(64ULL * 1024 * 1024)
/* Retrying records that could not be written: backoff bounds. */
#define JOURNAL_RETRY_MIN_MS	100
#define JOURNAL_RETRY_MAX_MS	5000

/* Someone waiting for everything written before it to be durable. */
struct journal_wait {
	journal_sync_cb		 cb;
	void			*arg;
	uint64_t		 seq;
	TAILQ_ENTRY(journal_wait) entry;
};
TAILQ_HEAD(journal_wait_list, journal_wait);

static struct {
	char			*path;
	char			*dir;
	int			 fd;
	int			 lock_fd;
	uint64_t		 size;
	uint64_t		 live;		/* bytes at the last compaction */
	int			 nosync;	/* bench only: no fdatasync */

	/* Shared with the flush thread, under mtx. */
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	uint64_t		 written;	/* records written */
	uint64_t		 wanted;	/* the newest an ack waits for */
	uint64_t		 synced;	/* records known durable */
	int			 sync_error;
	int			 syncing;	/* in fdatasync */
	int			 hold;		/* compaction: no new syncs */
	int			 stop;
	int			 started;

	int			 efd;
	struct event		*ev;
	struct journal_wait_list waits;

	/* Records that could not be written, retried by retry_ev. */
	int			 blocked;	/* errno of the last failure */
	int			 compact_due;	/* start-up compaction failed */
	int			 compacting;
	int			 queue_error;
	uint64_t		*pending;	/* task ids to record again */
	size_t			 npending;
	size_t			 pending_size;
	unsigned		 retry_ms;
	struct event		*retry_ev;
	struct log_rate		 fail_log;
} journal = { .fd = -1, .lock_fd = -1, .efd = -1 };

static void	journal_block(int);
static int	journal_meta(void);

/* Little-endian, for the record header. */
static void
journal_put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* Wait, up to JOURNAL_LAZY_MS, until a record is waited for (or the
 * journal stops or is held); called with the lock held. */
static void
journal_thread_linger(void)
{
	struct timespec	deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += JOURNAL_LAZY_MS * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	while (!journal.stop && !journal.hold &&
	    journal.wanted <= journal.synced)
		if (pthread_cond_timedwait(&journal.cond, &journal.mtx,
		    &deadline) == ETIMEDOUT)
			break;
}

/* The flush thread: fdatasync when records were written since the last
 * one (at once if an acknowledgement waits for one), then tell the loop. */
static void *
journal_thread(void *arg)
{
	uint64_t	target, one = 1;
	int		error;

	(void)arg;
	pthread_mutex_lock(&journal.mtx);
	for (;;) {
		while (!journal.stop && (journal.hold ||
		    journal.synced == journal.written))
			pthread_cond_wait(&journal.cond, &journal.mtx);
		if (journal.stop)
			break;
		if (journal.wanted <= journal.synced) {
			journal_thread_linger();
			if (journal.stop || journal.hold)
				continue;
		}
		target = journal.written;
		journal.syncing = 1;
		pthread_mutex_unlock(&journal.mtx);
		error = journal.nosync ? 0 : fdatasync(journal.fd) == -1 ?
		    errno : 0;
		pthread_mutex_lock(&journal.mtx);
		journal.syncing = 0;
		pthread_cond_broadcast(&journal.cond);
		if (target > journal.synced)
			journal.synced = target;
		if (error != 0)
			journal.sync_error = error;
		if (write(journal.efd, &one, sizeof one) == -1) {
			/* The eventfd cannot fill up with 8-byte adds. */
		}
	}
	pthread_mutex_unlock(&journal.mtx);
	return NULL;
}

/* Call back those whose records are now durable (or failed to be). */
static void
journal_synced_cb(evutil_socket_t fd, short events, void *arg)
{
	struct journal_wait	*w;
	uint64_t		 n, synced;
	int			 error;

	(void)events;
	(void)arg;
	if (read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("journal: eventfd");
	pthread_mutex_lock(&journal.mtx);
	synced = journal.synced;
	error = journal.sync_error;
	journal.sync_error = 0;
	pthread_mutex_unlock(&journal.mtx);
	if (error != 0) {
		errno = error;
		log_warn("journal: fdatasync %s", journal.path);
		journal_block(error);
	}
	while ((w = TAILQ_FIRST(&journal.waits)) != NULL && w->seq <= synced) {
		TAILQ_REMOVE(&journal.waits, w, entry);
		w->cb(w->arg, error);
		free(w);
	}
}

/* Call cb(arg, error) once every record written so far is durable (error
 * 0) or its sync failed (an errno); cb(arg, ECANCELED) if the journal is
 * closed first.  Callbacks run in the order they were asked for. */
void
journal_sync_then(journal_sync_cb cb, void *arg)
{
	struct journal_wait	*w;
	uint64_t		 one = 1;
	int			 durable;

	w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	pthread_mutex_lock(&journal.mtx);
	w->seq = journal.written;
	durable = journal.synced >= w->seq;
	if (w->seq > journal.wanted)
		journal.wanted = w->seq;
	pthread_cond_broadcast(&journal.cond);
	pthread_mutex_unlock(&journal.mtx);
	TAILQ_INSERT_TAIL(&journal.waits, w, entry);
	/* Nothing new to sync (a key submitted again): answer on the next
	 * turn of the loop, not after someone else's record. */
	if (durable && journal.efd != -1 &&
	    write(journal.efd, &one, sizeof one) == -1)
		log_warn("journal: eventfd");
}

/* A task's start record is durable, or could not be made so. */
static void
journal_start_synced(void *arg, int error)
{
	uint64_t	*id = arg;
	struct task	*t;

	if (error != ECANCELED && (t = task_find(*id)) != NULL)
		task_start_durable(t, error);
	free(id);
}

/* Call task_start_durable once the task's start record (written last) is
 * durable; at once, if there is no flush thread (tests). */
void
journal_start_wait(struct task *t)
{
	uint64_t	*id;

	if (!journal.started) {
		task_start_durable(t, 0);
		return;
	}
	id = xmalloc(sizeof *id);
	*id = t->id;
	journal_sync_then(journal_start_synced, id);
}

/* Does anyone wait for records to be durable (tests, fuzzing)? */
int
journal_acks_pending(void)
{
	return !TAILQ_EMPTY(&journal.waits);
}

/* Frame a record: header and payload in one new buffer. */
static uint8_t *
journal_pack(const Runnel__Journal__V1__Record *r, size_t *len)
{
	uint8_t	*buf;
	size_t	 n;

	n = runnel__journal__v1__record__get_packed_size(r);
	buf = xmalloc(JOURNAL_HEADER + n);
	runnel__journal__v1__record__pack(r, buf + JOURNAL_HEADER);
	journal_put32(buf, n);
	journal_put32(buf + 4, journal_crc(buf + JOURNAL_HEADER, n));
	*len = JOURNAL_HEADER + n;
	return buf;
}

/* Write all of buf to fd at the end; on failure cut the file back so that
 * no partial record stays behind. */
static int
journal_append(int fd, uint64_t *size, const uint8_t *buf, size_t len)
{
	size_t	done = 0;
	ssize_t	n;
	int	saved;

	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			if (ftruncate(fd, *size) == -1)
				log_warn("journal: ftruncate");
			lseek(fd, *size, SEEK_SET);
			errno = saved;
			return -1;
		}
		done += n;
	}
	*size += len;
	return 0;
}

/* Append a record and count it. */
static int
journal_write_record(const Runnel__Journal__V1__Record *r)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rc;

	buf = journal_pack(r, &len);
	rc = journal_append(journal.fd, &journal.size, buf, len);
	free(buf);
	if (rc == 0) {
		pthread_mutex_lock(&journal.mtx);
		journal.written++;
		pthread_cond_broadcast(&journal.cond);
		pthread_mutex_unlock(&journal.mtx);
	}
	return rc;
}

/* Fill a task record from a task (with its spec if asked). */
static void
journal_task_fill(const struct task *t, int with_spec,
    Runnel__Journal__V1__TaskRecord *tr, Runnel__V1__TaskInfo *info)
{
	uint64_t	drop[4];
	int		removed;

	runnel__journal__v1__task_record__init(tr);
	task_info_fill_ex(t, info, 0);
	tr->id = t->id;
	tr->spec = with_spec ? t->spec : NULL;
	tr->owner = info->owner;
	tr->state = info->state;
	tr->created_ms = t->created_ms;
	tr->started_ms = t->started_ms;
	tr->ended_ms = t->ended_ms;
	tr->exit_code = t->exit_code;
	tr->signal = t->signal;
	tr->core_dumped = t->core_dumped;
	tr->reason = info->reason;
	tr->cancelled_by = info->cancelled_by;
	tr->n_attempts = info->n_attempts;
	tr->attempts = info->attempts;
	tr->pid = t->state == TASK_RUNNING ? t->pid : 0;
	tr->pid_start = t->state == TASK_RUNNING ? t->pid_start : 0;
	tr->not_before_ms = t->not_before_ms;
	tr->queue = t->queue->name;
	tr->timeout_ms = t->timeout_ms;
	output_drop_range(t->output, drop, &removed);
	tr->drop_offset = drop[0];
	tr->drop_end_offset = drop[1];
	tr->drop_pos = drop[2];
	tr->drop_end_pos = drop[3];
	tr->output_removed = removed;
	tr->output_size = output_size(t->output);
}

/* Remember a task whose newest state could not be written. */
static void
journal_pending_add(uint64_t id)
{
	size_t	i;

	for (i = 0; i < journal.npending; i++)
		if (journal.pending[i] == id)
			return;
	if (journal.npending == journal.pending_size) {
		journal.pending_size = journal.pending_size == 0 ? 16 :
		    journal.pending_size * 2;
		journal.pending = xreallocarray(journal.pending,
		    journal.pending_size, sizeof *journal.pending);
	}
	journal.pending[journal.npending++] = id;
}

/* Write a task record; state, when not 0, is the state to record instead
 * of the task's (an end not yet acted on), with ended_ms. */
static int
journal_task_write(const struct task *t, int with_spec, int state,
    int64_t ended_ms)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr;
	Runnel__V1__TaskInfo		 info;
	Runnel__V1__TaskSpec		 spec;
	unsigned long long		 skipped;
	int				 rc, error;

	if (journal.fd == -1)
		return 0;
	/* Nothing is acknowledged before the records that failed first. */
	if (with_spec && !journal.compacting && journal.blocked != 0) {
		journal_retry();
		if (journal.blocked != 0) {
			errno = journal.blocked;
			return -1;
		}
	}
	journal_task_fill(t, with_spec, &tr, &info);
	if (state != 0) {
		tr.state = state;
		tr.ended_ms = ended_ms;
		tr.pid = tr.pid_start = 0;
	}
	if (with_spec) {
		/* The task holds its stdin bytes, not its copy of the spec. */
		spec = *t->spec;
		spec.stdin_data.data = t->stdin_data;
		spec.stdin_data.len = t->stdin_len;
		tr.spec = &spec;
	}
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	rc = journal_write_record(&r);
	task_info_clear(&info);
	/* (With the spec: a submission, or a compaction's new file, which
	 * is not the journal until it is renamed.) */
	if (rc == 0 && !with_spec)
		output_recorded(t->output);
	if (rc != 0 && !with_spec) {
		/* Retried for every pending task while the disk is full: one
		 * line a second. */
		error = errno;
		if (log_ratelimit(&journal.fail_log, &skipped))
			log_warnx("journal: task %llu: cannot record %s: %s "
			    "(%llu more records failed since the last line)",
			    (unsigned long long)t->id,
			    task_state_name(state != 0 ?
			    (enum task_state)state : t->state),
			    strerror(error), skipped);
		journal_pending_add(t->id);
		journal_block(error);
		errno = error;
	}
	return rc;
}

/* Record a task's state; with_spec for its first record.  Fails (ENOSPC,
 * EIO) with errno set; the journal is then as it was, and a state change
 * is written again once it can be (journal_retry). */
int
journal_task(const struct task *t, int with_spec)
{
	return journal_task_write(t, with_spec, 0, 0);
}

/* Record a task's end before it is acted on: its state is still RUNNING
 * or QUEUED, state is the one it ends in. */
int
journal_task_end(const struct task *t, enum task_state state,
    int64_t ended_ms)
{
	return journal_task_write(t, 0, state, ended_ms);
}

/* Is the journal blocked: the errno of the write that failed, or 0. */
int
journal_blocked(void)
{
	return journal.blocked;
}

/* A write failed: block, and retry with backoff. */
static void
journal_block(int error)
{
	struct timeval	tv;

	if (journal.compacting)
		return;
	if (journal.blocked == 0) {
		log_warnx("journal: %s: %s: no task starts and no submission "
		    "is accepted until it can be written", journal.path,
		    strerror(error));
		journal.retry_ms = JOURNAL_RETRY_MIN_MS;
	}
	journal.blocked = error != 0 ? error : EIO;
	if (journal.retry_ev != NULL && !evtimer_pending(journal.retry_ev,
	    NULL)) {
		tv.tv_sec = journal.retry_ms / 1000;
		tv.tv_usec = (journal.retry_ms % 1000) * 1000;
		evtimer_add(journal.retry_ev, &tv);
	}
}

/* Write again what could not be written: a probe first, then the newest
 * state of each task left unrecorded (an end also acted on now). */
void
journal_retry(void)
{
	uint64_t	*ids;
	size_t		 i, n;
	struct task	*t;

	if (journal.blocked == 0 || journal.fd == -1)
		return;
	if (journal_meta() != 0)
		return;
	ids = journal.pending;
	n = journal.npending;
	journal.pending = NULL;
	journal.npending = journal.pending_size = 0;
	for (i = 0; i < n; i++) {
		if ((t = task_find(ids[i])) == NULL)
			continue;
		if (t->end_pending != 0)
			task_end(t, t->end_pending, NULL);
		else
			journal_task(t, 0);
	}
	free(ids);
	if (journal.npending > 0)
		return;
	log_info("journal: %s can be written again", journal.path);
	journal.blocked = 0;
	journal.retry_ms = JOURNAL_RETRY_MIN_MS;
	sched_request();
}

/* The retry timer: write what is pending, compact if start-up could not;
 * back off while it fails. */
static void
journal_retry_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	 tv;
	char		*cause = NULL;

	(void)fd;
	(void)events;
	(void)arg;
	journal_retry();
	if (journal.blocked == 0 && journal.compact_due) {
		if (journal_compact(&cause) == 0) {
			log_info("journal: compacted (put off at start-up)");
			journal.compact_due = 0;
		} else {
			log_debug("journal: compaction put off: %s", cause);
			free(cause);
		}
	}
	if (journal.blocked == 0 && !journal.compact_due)
		return;
	journal.retry_ms = journal.retry_ms * 2 > JOURNAL_RETRY_MAX_MS ?
	    JOURNAL_RETRY_MAX_MS : journal.retry_ms * 2;
	tv.tv_sec = journal.retry_ms / 1000;
	tv.tv_usec = (journal.retry_ms % 1000) * 1000;
	evtimer_add(journal.retry_ev, &tv);
}

/* Record that a task was removed. */
int
journal_task_removed(uint64_t id)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr;

	if (journal.fd == -1)
		return 0;
	runnel__journal__v1__task_record__init(&tr);
	tr.id = id;
	tr.removed = 1;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	return journal_write_record(&r);
}

/* Record the next task id (compaction). */
static int
journal_meta(void)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__MetaRecord	 mr;

	runnel__journal__v1__meta_record__init(&mr);
	mr.next_id = server.last_id + 1;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_META;
	r.meta = &mr;
	return journal_write_record(&r);
}

/* Record a queue's settings. */
void
journal_queue(const struct queue *q)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__QueueRecord qr;

	if (journal.fd == -1)
		return;
	runnel__journal__v1__queue_record__init(&qr);
	qr.name = q->name;
	qr.max_running = q->max_running;
	qr.timeout_ms = q->timeout_ms;
	qr.state = q->state;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_QUEUE;
	r.queue = &qr;
	if (journal_write_record(&r) == -1) {
		log_warn("journal: queue %s", q->name);
		journal.queue_error = errno;
	}
}

/* The pid a state directory's lock file names, or 0. */
static long
journal_lock_pid(int fd)
{
	char	 buf[32];
	ssize_t	 n;

	n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Take the state directory's lock, or say who holds it.  A runneld killed
 * with -9 can leave its lock held for a moment after it died: a child it
 * was starting holds a copy of the descriptor until its exec closes it.
 * While the pid the lock names is gone, wait for that (up to
 * JOURNAL_LOCK_WAIT_MS, before the loop runs) instead of refusing a
 * restart that came too soon.
 */
#define JOURNAL_LOCK_WAIT_MS	3000
#define JOURNAL_LOCK_STEP_MS	20
static int
journal_lock(const char *dir, char **cause)
{
	struct timespec	 step = { 0, JOURNAL_LOCK_STEP_MS * 1000000L };
	char		*path, buf[32];
	ssize_t		 n;
	long		 pid;
	int		 fd, waited = 0;

	path = xasprintf("%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		pid = journal_lock_pid(fd);
		if (pid > 0 && kill(pid, 0) == -1 && errno == ESRCH &&
		    waited < JOURNAL_LOCK_WAIT_MS) {
			nanosleep(&step, NULL);
			waited += JOURNAL_LOCK_STEP_MS;
			continue;
		}
		if (pid > 0 && waited >= JOURNAL_LOCK_WAIT_MS)
			*cause = xasprintf("state directory %s is in use: "
			    "runneld pid %ld has exited, but a process it "
			    "started still holds its lock", dir, pid);
		else if (pid > 0)
			*cause = xasprintf("state directory %s is in use by "
			    "runneld pid %ld", dir, pid);
		else
			*cause = xasprintf("state directory %s is in use by "
			    "runneld pid ?", dir);
		close(fd);
		free(path);
		return -1;
	}
	if (waited > 0)
		log_info("%s: waited %d ms for the lock a runneld that exited "
		    "left to a process it was starting", path, waited);
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, n, 0) != n)
		log_warn("%s", path);
	free(path);
	journal.lock_fd = fd;
	return 0;
}

/* Write every live task's newest state to a new journal and put it in
 * place: temp file, fdatasync, rename, fsync of the directory. */
int
journal_compact(char **cause)
{
	char		*tmp;
	int		 fd, dfd;
	size_t		 i;
	uint64_t	 size = 0;
	struct task	*t;
	struct queue	*q;
	int		 saved_fd = journal.fd;
	uint64_t	 saved_size = journal.size, one = 1;

	tmp = xasprintf("%s.tmp", journal.path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	/* Keep the flush thread off the old file while it is replaced, then
	 * write through the normal path into the new file. */
	pthread_mutex_lock(&journal.mtx);
	journal.hold = 1;
	while (journal.syncing)
		pthread_cond_wait(&journal.cond, &journal.mtx);
	pthread_mutex_unlock(&journal.mtx);
	journal.fd = fd;
	journal.size = 0;
	journal.compacting = 1;
	journal.queue_error = 0;
	if (journal_meta() == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	TAILQ_FOREACH(q, &server.queues, entry)
		journal_queue(q);
	if (journal.queue_error != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(journal.queue_error));
		goto fail;
	}
	TASK_FOREACH(t, i) {
		if (journal_task(t, 1) == -1) {
			*cause = xasprintf("%s: %s", tmp, strerror(errno));
			goto fail;
		}
	}
	size = journal.size;
	if (fdatasync(fd) == -1 || rename(tmp, journal.path) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto fail;
	}
	if ((dfd = open(journal.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	if (saved_fd != -1)
		close(saved_fd);
	journal.compacting = 0;
	journal.size = journal.live = size;
	/* Everything written so far is in the new, synced file. */
	pthread_mutex_lock(&journal.mtx);
	journal.synced = journal.written;
	journal.hold = 0;
	pthread_cond_broadcast(&journal.cond);
	pthread_mutex_unlock(&journal.mtx);
	if (journal.efd != -1 && write(journal.efd, &one, sizeof one) == -1)
		log_warn("journal: eventfd");
	free(tmp);
	return 0;

fail:
	close(fd);
	unlink(tmp);
	journal.compacting = 0;
	journal.fd = saved_fd;
	journal.size = saved_size;
	pthread_mutex_lock(&journal.mtx);
	journal.hold = 0;
	pthread_cond_broadcast(&journal.cond);
	pthread_mutex_unlock(&journal.mtx);
	free(tmp);
	return -1;
}

/* Compact if the file has grown past its bound. */
void
journal_maybe_compact(void)
{
	char	*cause = NULL;

	if (journal.fd == -1 || journal.blocked != 0 || journal.compacting ||
	    journal.size < JOURNAL_COMPACT_MIN || journal.size < 4 * journal.live)
		return;
	log_info("journal: compacting %llu bytes",
	    (unsigned long long)journal.size);
	if (journal_compact(&cause) != 0) {
		log_warnx("journal: compaction failed: %s", cause);
		free(cause);
		journal.live = journal.size;	/* try again much later */
	}
}

/* Lock the state directory, replay the journal, start the flush thread. */
int
journal_open(const char *dir, int nosync, char **cause)
{
	pthread_condattr_t	 ca;
	struct timeval		 tv;
	char			*why = NULL;
	int			 fd;

	TAILQ_INIT(&journal.waits);
	pthread_mutex_init(&journal.mtx, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&journal.cond, &ca);
	pthread_condattr_destroy(&ca);
	journal.nosync = nosync;
	/* Opened again after journal_close (tests): a new flush thread. */
	journal.stop = journal.hold = 0;
	journal.dir = xstrdup(dir);
	journal.path = xasprintf("%s/journal", dir);
	if (journal_lock(dir, cause) != 0)
		return -1;
	fd = open(journal.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", journal.path, strerror(errno));
		return -1;
	}
	if (journal_replay(fd, journal.path, &journal.size, cause) != 0) {
		close(fd);
		return -1;
	}
	journal.fd = fd;
	journal.live = journal.size;
	journal.retry_ev = evtimer_new(server.base, journal_retry_cb, NULL);
	if (task_restore_done(cause) != 0) {
		journal.fd = -1;
		close(fd);
		return -1;
	}
	/* Start from a compact journal: start-up time stays bounded by the
	 * live tasks, not by history.  On a full disk, start without: serve
	 * what can be served, and compact once there is room. */
	if (journal.size > 0 && journal_compact(&why) != 0) {
		log_warnx("journal: cannot compact at start-up: %s; starting "
		    "without, compaction retried later", why);
		free(why);
		journal.compact_due = 1;
		journal.retry_ms = JOURNAL_RETRY_MIN_MS;
		tv.tv_sec = 0;
		tv.tv_usec = JOURNAL_RETRY_MIN_MS * 1000;
		evtimer_add(journal.retry_ev, &tv);
	}
	journal.ev = server_wakeup_new(&journal.efd, journal_synced_cb);
	if (pthread_create(&journal.thread, NULL, journal_thread, NULL) != 0)
		fatalx("pthread_create failed");
	journal.started = 1;
	return 0;
}

/* Flush, stop the thread, close. */
void
journal_close(void)
{
	struct journal_wait	*w;

	if (journal.started) {
		pthread_mutex_lock(&journal.mtx);
		journal.stop = 1;
		pthread_cond_broadcast(&journal.cond);
		pthread_mutex_unlock(&journal.mtx);
		pthread_join(journal.thread, NULL);
		journal.started = 0;
	}
	if (journal.fd != -1) {
		if (!journal.nosync && fdatasync(journal.fd) == -1)
			log_warn("journal: fdatasync");
		close(journal.fd);
		journal.fd = -1;
	}
	/* Nothing more becomes durable: let the waiters free their args. */
	while ((w = TAILQ_FIRST(&journal.waits)) != NULL) {
		TAILQ_REMOVE(&journal.waits, w, entry);
		w->cb(w->arg, ECANCELED);
		free(w);
	}
	if (journal.ev != NULL)
		event_free(journal.ev);
	if (journal.retry_ev != NULL)
		event_free(journal.retry_ev);
	journal.retry_ev = NULL;
	free(journal.pending);
	journal.pending = NULL;
	journal.npending = journal.pending_size = 0;
	journal.blocked = journal.compact_due = 0;
	if (journal.efd != -1)
		close(journal.efd);
	if (journal.lock_fd != -1)
		close(journal.lock_fd);
	journal.ev = NULL;
	journal.efd = journal.lock_fd = -1;
	free(journal.path);
	free(journal.dir);
	journal.path = journal.dir = NULL;
}
