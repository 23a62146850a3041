/*
 * output.c - a task's output log: an append-only sequence of records (one
 * per chunk read from a pipe, with its stream, offset and time) written to a
 * spool file, the newest bytes of which are mirrored in a ring in memory.
 *
 * Offsets count data bytes across both streams; positions count spool
 * bytes.  A sparse index maps offsets to positions so that a watcher can
 * start anywhere without reading the spool from the beginning.
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"

/* One record's header in the spool, host byte order (the spool is local). */
struct output_record {
	uint32_t	len;
	uint8_t		stream;
	uint8_t		pad[3];
	uint64_t	offset;
	int64_t		time_us;
};

#define OUTPUT_INDEX_EVERY	(256 * 1024)
/* The smallest ring, allocated with a task's first output. */
#define OUTPUT_RING_MIN		4096
/* Microseconds small output waits for the writer thread. */
#define OUTPUT_KICK_US		1000

struct output_index {
	uint64_t	offset;
	uint64_t	pos;
};

/* A reader paused until its log has room (few at a time: allocated). */
struct output_waiter {
	struct output		*output;
	void			(*resume)(void *);
	void			*arg;
	TAILQ_ENTRY(output_waiter) entry;
};
TAILQ_HEAD(output_waiter_list, output_waiter);

/* Every task has one, queued tasks too: kept small (see task_add). */
struct output {
	int			 fd;		/* -1 until needed */
	uint8_t			 failed;	/* the spool could not be written */
	uint8_t			 removed;	/* retention removed the spool */
	uint32_t		 alloc;		/* the ring's size, grows to cap */
	uint32_t		 cap;
	uint32_t		 ringlen;
	uint64_t		 size;		/* data bytes */
	uint64_t		 fsize;		/* spool bytes */
	uint8_t			*ring;		/* spool bytes [fsize - ringlen, fsize) */
	struct output_index	*index;
	size_t			 nindex;
	/* Retention: offsets [drop_off, drop_end_off) are a hole in the
	 * spool at [drop_pos, drop_end_pos); removed: no spool at all. */
	uint64_t		 drop_off;
	uint64_t		 drop_end_off;
	uint64_t		 drop_pos;
	uint64_t		 drop_end_pos;

	/* With the writer thread, under output_writer.mtx: */
	uint64_t		 written;	/* spool bytes on disk */
	uint64_t		 published;	/* fsize as the writer may see it */
	int			 error;		/* the writer's errno */
	uint8_t			 queued;	/* on the dirty list */
	uint8_t			 busy;		/* being written */
	uint8_t			*writer_ring;	/* the ring being written from */
	uint8_t			*stale;		/* a replaced ring it still uses */
	TAILQ_ENTRY(output)	 dirty_entry;

	struct output_waiter	*waiter;	/* loop only: a paused reader */
	char			 path[];
};
TAILQ_HEAD(output_list, output);

/*
 * The spool writer: one thread writes every log's new records to its file,
 * so that a disk that stalls (ext4 writeback can hold a write for tens of
 * milliseconds) never stalls the loop.  The ring is the write buffer: the
 * loop never lets a log's unwritten bytes grow past the ring, so the writer
 * reads them from the ring in place, and a task whose backlog is full stops
 * being read until the writer catches up: the child then blocks on its
 * pipe, the back-pressure a terminal gives.
 *
 * Waking a thread costs about as much as writing 64 KiB: the writer is
 * woken when a log's backlog reaches half its ring, or by a timer a
 * millisecond after smaller output, and it tells the loop of its progress
 * only while a reader waits for room.
 */
static struct {
	int			 started;
	int			 stop;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct output_list	 dirty;
	int			 efd;
	int			 nwaiting;	/* readers waiting for room */
	struct event		*ev;
	struct event		*kick_ev;	/* wakes it for small output */
	struct output_waiter_list waiting;	/* loop only */
} output_writer;

static void	output_ring_grow(struct output *, size_t);
static void	output_ring_add_at(struct output *, uint64_t, const uint8_t *,
		    size_t);
static void	output_publish(struct output *);
static void	output_waiter_remove(struct output_waiter *);
static void	output_writer_cb(evutil_socket_t, short, void *);
static void	output_flush_wait(struct output *);
static void	output_mark_written(struct output *, uint64_t);
static void	output_fail(struct output *, int, int64_t);

/* Note that the record at spool position pos starts at offset. */
static void
output_index_add(struct output *o, uint64_t offset, uint64_t pos)
{
	o->index = xreallocarray(o->index, o->nindex + 1, sizeof *o->index);
	o->index[o->nindex].offset = offset;
	o->index[o->nindex].pos = pos;
	o->nindex++;
}

/* The spool's fd, opened on first use: a queued task, or a finished one
 * nobody reads, holds no descriptor (100,000 queued tasks would otherwise
 * need as many). */
static int
output_fd(struct output *o)
{
	if (o->fd == -1) {
		o->fd = open(o->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (o->fd == -1)
			log_warn("%s: open", o->path);
	}
	return o->fd;
}

/* Create an empty log spooled to path (the file is made now, so that a
 * task whose spool cannot exist is refused at once). */
struct output *
output_create(const char *path, size_t tail, char **cause)
{
	struct output	*o;
	int		 fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	close(fd);
	o = xcalloc(1, sizeof *o + strlen(path) + 1);
	o->fd = -1;
	strcpy(o->path, path);
	o->cap = tail < sizeof(struct output_record) * 4 ?
	    sizeof(struct output_record) * 4 : tail;
	return o;
}

/* Reopen the spool of a task from an earlier run: rebuild the offsets,
 * the index and the tail from its records, cutting a torn last record. */
struct output *
output_open(const char *path, size_t tail, const uint64_t *drop, int removed,
    uint64_t size, char **cause)
{
	struct output		*o;
	struct output_record	 r;
	struct stat		 st;
	uint64_t		 pos = 0, start;
	int			 fd;
	ssize_t			 n;

	if (removed) {
		if ((o = output_create(path, tail, cause)) != NULL)
			output_set_dropped(o, drop, 1, size);
		return o;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return output_create(path, tail, cause);
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	o = xcalloc(1, sizeof *o + strlen(path) + 1);
	o->fd = fd;
	strcpy(o->path, path);
	o->cap = tail < sizeof r * 4 ? sizeof r * 4 : tail;
	while (pos + sizeof r <= (uint64_t)st.st_size) {
		if (drop != NULL && drop[3] > drop[2] && pos == drop[2]) {
			/* Step over the hole retention made. */
			output_index_add(o, o->size, pos);
			o->size = drop[1];
			pos = drop[3];
			output_index_add(o, o->size, pos);
			output_set_dropped(o, drop, 0, 0);
			continue;
		}
		if (pread(fd, &r, sizeof r, pos) != sizeof r ||
		    r.offset != o->size ||
		    pos + sizeof r + r.len > (uint64_t)st.st_size)
			break;
		if (o->nindex == 0 ||
		    pos - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY)
			output_index_add(o, o->size, pos);
		o->size += r.len;
		pos += sizeof r + r.len;
	}
	if (pos < (uint64_t)st.st_size && ftruncate(fd, pos) == -1)
		log_warn("%s: cannot cut torn record", path);
	o->fsize = o->written = o->published = pos;
	output_ring_grow(o, pos);
	start = pos > o->alloc ? pos - o->alloc : 0;
	o->ringlen = pos - start;
	while (start < pos) {
		uint8_t	buf[8192];
		size_t	want = pos - start < sizeof buf ? pos - start : sizeof buf;

		n = pread(fd, buf, want, start);
		if (n <= 0)
			break;
		output_ring_add_at(o, start, buf, n);
		start += n;
	}
	o->ringlen = o->fsize > o->alloc ? o->alloc : o->fsize;
	/* Reopened when it is read or written again. */
	close(o->fd);
	o->fd = -1;
	return o;
}

/* Close and free a log; the spool file stays. */
void
output_free(struct output *o)
{
	if (o == NULL)
		return;
	if (output_writer.started) {
		pthread_mutex_lock(&output_writer.mtx);
		while (o->busy)
			pthread_cond_wait(&output_writer.cond,
			    &output_writer.mtx);
		if (o->queued)
			TAILQ_REMOVE(&output_writer.dirty, o, dirty_entry);
		pthread_mutex_unlock(&output_writer.mtx);
	}
	free(o->stale);
	if (o->waiter != NULL)
		output_waiter_remove(o->waiter);
	if (o->fd != -1)
		close(o->fd);
	free(o->ring);
	free(o->index);
	free(o);
}

/* Copy bytes into the ring at the end of the spool. */
static void
output_ring_add(struct output *o, uint64_t pos, const uint8_t *p, size_t n)
{
	size_t	at, first;

	if (n > o->alloc) {
		p += n - o->alloc;
		pos += n - o->alloc;
		n = o->alloc;
	}
	at = pos % o->alloc;
	first = o->alloc - at < n ? o->alloc - at : n;
	memcpy(o->ring + at, p, first);
	memcpy(o->ring, p + first, n - first);
	o->ringlen = o->ringlen + n > o->alloc ? o->alloc : o->ringlen + n;
}

/* Copy spool bytes at pos into their place in a ring of size alloc. */
static void
output_ring_add_at_size(uint8_t *ring, size_t alloc, uint64_t pos,
    const uint8_t *p, size_t n)
{
	size_t	at, first;

	at = pos % alloc;
	first = alloc - at < n ? alloc - at : n;
	memcpy(ring + at, p, first);
	memcpy(ring, p + first, n - first);
}

/* Copy spool bytes into the ring at their place, for a reopened spool. */
static void
output_ring_add_at(struct output *o, uint64_t pos, const uint8_t *p, size_t n)
{
	output_ring_add_at_size(o->ring, o->alloc, pos, p, n);
}

/*
 * Make the ring hold at least need bytes (at most cap).  Most tasks print
 * little or nothing, so a ring starts empty and doubles as output comes;
 * only a chatty task's reaches the full tail.  The bytes it holds move to
 * their places in the bigger ring; the writer thread may still be reading
 * the old one, which it then frees itself.
 */
static void
output_ring_grow(struct output *o, size_t need)
{
	uint8_t	*ring, *old = o->ring;
	size_t	 alloc, at, first;
	uint64_t start;

	if (need <= o->alloc || o->alloc == o->cap)
		return;
	for (alloc = OUTPUT_RING_MIN; alloc < need; alloc *= 2)
		;
	if (alloc > o->cap)
		alloc = o->cap;
	ring = xmalloc(alloc);
	start = o->fsize - o->ringlen;
	if (o->ringlen > 0) {
		/* The old ring's bytes, in spool order, to the new places. */
		at = start % o->alloc;
		first = o->alloc - at < o->ringlen ? o->alloc - at :
		    o->ringlen;
		output_ring_add_at_size(ring, alloc, start, old + at, first);
		output_ring_add_at_size(ring, alloc, start + first, old,
		    o->ringlen - first);
	}
	if (output_writer.started)
		pthread_mutex_lock(&output_writer.mtx);
	o->ring = ring;
	o->alloc = alloc;
	if (old != NULL && o->busy && o->writer_ring == old)
		o->stale = old;
	else
		free(old);
	if (output_writer.started)
		pthread_mutex_unlock(&output_writer.mtx);
}

/* Write the whole iovec to the spool at pos, retrying short writes. */
static int
output_write_spool(int fd, uint64_t pos, struct iovec *iov, int iovcnt)
{
	ssize_t	n;

	while (iovcnt > 0) {
		n = pwritev(fd, iov, iovcnt, pos);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		pos += n;
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* The spool cannot be written: say so in the log itself, where watchers
 * see it; from now on only the in-memory tail keeps output. */
static void
output_notice_failed(struct output *o, int error, int64_t time_us)
{
	struct output_record	 r;
	char			 text[200];
	int			 len;

	len = snprintf(text, sizeof text, "runnel: cannot write this task's "
	    "output to disk (%s); only the newest %zu bytes are kept from "
	    "here on\n", strerror(error), (size_t)o->cap / 2);
	memset(&r, 0, sizeof r);
	r.len = len;
	r.stream = RUNNEL__V1__STREAM__STREAM_SYSTEM;
	r.offset = o->size;
	r.time_us = time_us;
	output_ring_grow(o, o->ringlen + sizeof r + len);
	output_ring_add(o, o->fsize, (const uint8_t *)&r, sizeof r);
	output_ring_add(o, o->fsize + sizeof r, (const uint8_t *)text, len);
	o->fsize += sizeof r + len;
	o->size += len;
}

/* Append one chunk of a stream to the log. */
int
output_append(struct output *o, int stream, const void *data, size_t len,
    int64_t time_us)
{
	struct output_record	 r;
	struct iovec		 iov[2];

	if (len == 0)
		return 0;
	if (len > UINT32_MAX)
		return -1;
	if (!o->failed && output_fd(o) == -1)
		output_fail(o, errno, time_us);
	memset(&r, 0, sizeof r);
	r.len = len;
	r.stream = stream;
	r.offset = o->size;
	r.time_us = time_us;

	if (o->nindex == 0 ||
	    o->fsize - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY)
		output_index_add(o, o->size, o->fsize);

	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof r;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	/* Without the writer thread (or with no room left for it in the
	 * ring, which only small notices can meet), write here. */
	if (!o->failed && (!output_writer.started ||
	    output_room(o) < sizeof r + len)) {
		output_flush_wait(o);
		if (output_write_spool(o->fd, o->fsize, iov, 2) == -1) {
			log_warn("%s: spool write failed, keeping only the "
			    "tail", o->path);
			output_fail(o, errno, time_us);
			r.offset = o->size;
		} else
			output_mark_written(o, o->fsize + sizeof r + len);
	}
	output_ring_grow(o, o->ringlen + sizeof r + len);
	output_ring_add(o, o->fsize, (const uint8_t *)&r, sizeof r);
	output_ring_add(o, o->fsize + sizeof r, data, len);
	o->fsize += sizeof r + len;
	o->size += len;
	output_publish(o);
	return 0;
}

/*
 * Read up to max bytes from a task's pipe into the log as one record of
 * stream: straight into the ring, behind a header written after the read
 * (max: at most what output_room() gives, less 64).  Returns what read(2)
 * returned.
 */
ssize_t
output_append_fd(struct output *o, int stream, int fd, size_t max,
    int64_t time_us)
{
	static uint8_t		 buf[READ_BUDGET];
	struct output_record	 r;
	struct iovec		 iov[2];
	uint64_t		 pos;
	size_t			 at, first, need;
	ssize_t			 n;

	if (!output_writer.started || o->failed || output_fd(o) == -1 ||
	    sizeof r + max > o->cap) {
		/* The plain way: through a buffer. */
		n = read(fd, buf, max < sizeof buf ? max : sizeof buf);
		if (n > 0)
			output_append(o, stream, buf, n, time_us);
		return n;
	}
	need = sizeof r + max;
	output_ring_grow(o, o->ringlen + need);
	/* The bytes the read may overwrite leave the ring first (they are
	 * on disk: the room the caller checked says so). */
	if (o->ringlen > o->alloc - need)
		o->ringlen = o->alloc - need;
	pos = o->fsize + sizeof r;
	at = pos % o->alloc;
	first = o->alloc - at < max ? o->alloc - at : max;
	iov[0].iov_base = o->ring + at;
	iov[0].iov_len = first;
	iov[1].iov_base = o->ring;
	iov[1].iov_len = max - first;
	n = readv(fd, iov, iov[1].iov_len > 0 ? 2 : 1);
	if (n <= 0)
		return n;

	if (o->nindex == 0 ||
	    o->fsize - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY)
		output_index_add(o, o->size, o->fsize);
	memset(&r, 0, sizeof r);
	r.len = n;
	r.stream = stream;
	r.offset = o->size;
	r.time_us = time_us;
	output_ring_add_at(o, o->fsize, (const uint8_t *)&r, sizeof r);
	o->ringlen = o->ringlen + sizeof r + n > o->alloc ? o->alloc :
	    o->ringlen + sizeof r + n;
	o->fsize += sizeof r + n;
	o->size += n;
	output_publish(o);
	return n;
}

/* Hand the new bytes to the writer thread. */
static void
output_publish(struct output *o)
{
	struct timeval	tv = { 0, OUTPUT_KICK_US };
	int		wake;

	if (!output_writer.started || o->failed)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	o->published = o->fsize;
	if (!o->queued && !o->busy && o->written < o->published) {
		TAILQ_INSERT_TAIL(&output_writer.dirty, o, dirty_entry);
		o->queued = 1;
	}
	wake = o->published - o->written >= o->cap / 2;
	if (wake)
		pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
	if (!wake && !evtimer_pending(output_writer.kick_ev, NULL))
		evtimer_add(output_writer.kick_ev, &tv);
}

/* Wake the writer for what small output is waiting. */
static void
output_kick_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	pthread_mutex_lock(&output_writer.mtx);
	if (!TAILQ_EMPTY(&output_writer.dirty))
		pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
}

/* Wait until the writer has written everything published (rare: only a
 * notice that finds the ring full of unwritten bytes). */
static void
output_flush_wait(struct output *o)
{
	if (!output_writer.started)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	if (o->queued)
		pthread_cond_signal(&output_writer.cond);
	while (o->busy || o->queued)
		pthread_cond_wait(&output_writer.cond, &output_writer.mtx);
	pthread_mutex_unlock(&output_writer.mtx);
}

/* Note bytes written from the loop. */
static void
output_mark_written(struct output *o, uint64_t end)
{
	if (output_writer.started)
		pthread_mutex_lock(&output_writer.mtx);
	o->written = o->published = end;
	if (output_writer.started)
		pthread_mutex_unlock(&output_writer.mtx);
}

/* The spool cannot be written any more: the ring alone keeps output. */
static void
output_fail(struct output *o, int error, int64_t time_us)
{
	o->failed = 1;
	output_ring_grow(o, o->cap);
	output_notice_failed(o, error, time_us);
}

/* Bytes that can be appended before the ring would overwrite bytes the
 * writer has not written yet. */
size_t
output_room(struct output *o)
{
	uint64_t	backlog;

	int		error;

	if (!output_writer.started || o->failed)
		return o->cap;
	pthread_mutex_lock(&output_writer.mtx);
	if ((error = o->error) != 0)
		o->written = o->published = o->fsize;
	o->error = 0;
	backlog = o->fsize - o->written;
	pthread_mutex_unlock(&output_writer.mtx);
	if (error != 0) {
		errno = error;
		log_warn("%s: spool write failed, keeping only the tail",
		    o->path);
		output_fail(o, error, server_now_us());
		return o->cap;
	}
	return backlog >= o->cap ? 0 : o->cap - backlog;
}

/* Call resume(arg) on the loop once the log has room again. */
void
output_wait_room(struct output *o, void (*resume)(void *), void *arg)
{
	if (output_room(o) >= OUTPUT_ROOM_MIN) {
		resume(arg);
		return;
	}
	if (o->waiter == NULL) {
		o->waiter = xcalloc(1, sizeof *o->waiter);
		o->waiter->output = o;
		TAILQ_INSERT_TAIL(&output_writer.waiting, o->waiter, entry);
		pthread_mutex_lock(&output_writer.mtx);
		output_writer.nwaiting++;
		/* The backlog is over half the ring: the writer is awake. */
		pthread_mutex_unlock(&output_writer.mtx);
	}
	o->waiter->resume = resume;
	o->waiter->arg = arg;
	/* The writer may have finished before it could see the waiter. */
	if (output_room(o) >= OUTPUT_ROOM_MIN)
		output_writer_cb(-1, 0, NULL);
}

/* Forget a paused reader. */
static void
output_waiter_remove(struct output_waiter *w)
{
	TAILQ_REMOVE(&output_writer.waiting, w, entry);
	w->output->waiter = NULL;
	pthread_mutex_lock(&output_writer.mtx);
	output_writer.nwaiting--;
	pthread_mutex_unlock(&output_writer.mtx);
	free(w);
}

/* The writer thread. */
static void *
output_writer_main(void *arg)
{
	struct output	*o;
	struct iovec	 iov[2];
	uint64_t	 start, end, one = 1;
	size_t		 at, n, first, alloc;
	uint8_t		*ring;
	int		 error;

	(void)arg;
	pthread_mutex_lock(&output_writer.mtx);
	for (;;) {
		while (!output_writer.stop && TAILQ_EMPTY(&output_writer.dirty))
			pthread_cond_wait(&output_writer.cond,
			    &output_writer.mtx);
		if ((o = TAILQ_FIRST(&output_writer.dirty)) == NULL)
			break;	/* stopping, and everything is written */
		TAILQ_REMOVE(&output_writer.dirty, o, dirty_entry);
		o->queued = 0;
		o->busy = 1;
		start = o->written;
		end = o->published;
		ring = o->writer_ring = o->ring;
		alloc = o->alloc;
		pthread_mutex_unlock(&output_writer.mtx);

		/* [start, end) is in the ring and the loop does not touch
		 * it until written moves past it (a ring that grows is
		 * copied, and the old one kept until this write is done). */
		n = end - start;
		at = start % alloc;
		first = alloc - at < n ? alloc - at : n;
		iov[0].iov_base = ring + at;
		iov[0].iov_len = first;
		iov[1].iov_base = ring;
		iov[1].iov_len = n - first;
		error = output_write_spool(o->fd, start, iov, 2) == -1 ?
		    errno : 0;

		pthread_mutex_lock(&output_writer.mtx);
		o->busy = 0;
		o->writer_ring = NULL;
		free(o->stale);
		o->stale = NULL;
		if (error != 0)
			o->error = error;
		else
			o->written = end;
		if (error == 0 && o->written < o->published && !o->queued) {
			TAILQ_INSERT_TAIL(&output_writer.dirty, o, dirty_entry);
			o->queued = 1;
		}
		pthread_cond_broadcast(&output_writer.cond);
		if (output_writer.nwaiting > 0 &&
		    write(output_writer.efd, &one, sizeof one) == -1) {
			/* An eventfd counter does not fill up. */
		}
	}
	pthread_mutex_unlock(&output_writer.mtx);
	return NULL;
}

/* The writer made progress: take its errors, resume paused readers. */
static void
output_writer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct output_waiter	*w, *w1;
	void			(*resume)(void *);
	void			*resume_arg;
	uint64_t		 n;

	(void)events;
	(void)arg;
	if (fd != -1 && read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("output: eventfd");
	TAILQ_FOREACH_SAFE(w, &output_writer.waiting, entry, w1) {
		if (output_room(w->output) >= OUTPUT_ROOM_MIN) {
			resume = w->resume;
			resume_arg = w->arg;
			output_waiter_remove(w);
			resume(resume_arg);
		}
	}
}

/* Start the writer thread. */
void
output_writer_start(void)
{
	TAILQ_INIT(&output_writer.dirty);
	TAILQ_INIT(&output_writer.waiting);
	pthread_mutex_init(&output_writer.mtx, NULL);
	pthread_cond_init(&output_writer.cond, NULL);
	output_writer.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (output_writer.efd == -1)
		fatal("eventfd");
	output_writer.ev = event_new(server.base, output_writer.efd,
	    EV_READ | EV_PERSIST, output_writer_cb, NULL);
	event_priority_set(output_writer.ev, PRI_CONTROL);
	event_add(output_writer.ev, NULL);
	output_writer.kick_ev = evtimer_new(server.base, output_kick_cb, NULL);
	if (pthread_create(&output_writer.thread, NULL, output_writer_main,
	    NULL) != 0)
		fatalx("pthread_create failed");
	output_writer.started = 1;
}

/* Write out what is left and stop the thread. */
void
output_writer_stop(void)
{
	if (!output_writer.started)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	output_writer.stop = 1;
	pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
	pthread_join(output_writer.thread, NULL);
	output_writer.started = 0;
	event_free(output_writer.ev);
	event_free(output_writer.kick_ev);
	close(output_writer.efd);
}

/* Bytes of data in the log. */
uint64_t
output_size(const struct output *o)
{
	return o->size;
}

/* The offset a watcher asking for the tail starts at. */
uint64_t
output_tail_offset(const struct output *o)
{
	uint64_t	keep = o->cap / 2;

	return o->size > keep ? o->size - keep : 0;
}

/* Read spool bytes [pos, pos + n) from the ring or the file. */
static int
output_get(struct output *o, uint64_t pos, void *buf, size_t n)
{
	uint64_t	 start = o->fsize - o->ringlen;
	size_t		 at, first;
	ssize_t		 r;
	uint8_t		*p = buf;

	if (pos + n > o->fsize)
		return -1;
	if (n == 0)
		return 0;
	/* A range that starts before the ring and ends in it: the file
	 * has the first part (the ring start is never past written). */
	if (pos < start && pos + n > start) {
		if (output_get(o, pos, p, start - pos) == -1)
			return -1;
		return output_get(o, start, p + (start - pos),
		    n - (start - pos));
	}
	if (pos >= start) {
		at = pos % o->alloc;
		first = o->alloc - at < n ? o->alloc - at : n;
		memcpy(p, o->ring + at, first);
		memcpy(p + first, o->ring, n - first);
		return 0;
	}
	if (o->failed || output_fd(o) == -1)
		return -1;
	while (n > 0) {
		r = pread(o->fd, p, n, pos);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		pos += r;
		n -= r;
	}
	return 0;
}

/* Read the record header at pos. */
static int
output_header(struct output *o, uint64_t pos, struct output_record *r)
{
	return output_get(o, pos, r, sizeof *r);
}

/* Move a cursor to a data offset (or the end if beyond it). */
int
output_seek(struct output *o, struct output_cursor *c, uint64_t offset)
{
	struct output_record	r;
	size_t			lo, hi, mid;
	uint64_t		pos;

	if (offset >= o->size || o->removed) {
		c->offset = offset < o->size ? offset : o->size;
		c->pos = offset < o->size ? 0 : o->fsize;
		return 0;
	}
	if (o->drop_end_pos != 0 && offset >= o->drop_off &&
	    offset < o->drop_end_off)
		offset = o->drop_end_off;
	lo = 0;
	hi = o->nindex;
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (o->index[mid].offset <= offset)
			lo = mid;
		else
			hi = mid;
	}
	pos = o->nindex > 0 ? o->index[lo].pos : 0;
	for (;;) {
		if (output_header(o, pos, &r) == -1)
			return -1;
		if (r.offset + r.len > offset)
			break;
		pos += sizeof r + r.len;
	}
	c->pos = pos;
	c->offset = offset;
	return 0;
}

/* What output_read would return (OUTPUT_DROPPED without the offset), but
 * nothing is copied and the cursor stays: a watcher packs the frame header
 * first and then reads the bytes straight into the frame. */
ssize_t
output_peek(struct output *o, const struct output_cursor *c, size_t max,
    int *stream, uint64_t *offset, int64_t *time_us)
{
	struct output_record	r;
	uint64_t		skip;

	if (o->removed && c->offset < o->size)
		return OUTPUT_DROPPED;
	if (c->pos >= o->fsize)
		return 0;
	if (o->drop_end_pos != 0 && c->pos >= o->drop_pos &&
	    c->pos < o->drop_end_pos)
		return OUTPUT_DROPPED;
	if (output_header(o, c->pos, &r) == -1)
		return -1;
	if (c->offset < r.offset || c->offset >= r.offset + r.len)
		return -1;
	skip = c->offset - r.offset;
	*stream = r.stream;
	*offset = c->offset;
	*time_us = r.time_us;
	return r.len - skip < max ? r.len - skip : max;
}

/* Read up to max bytes of the record at the cursor and advance it; 0 at the
 * end of the log, -1 if the bytes are gone. */
ssize_t
output_read(struct output *o, struct output_cursor *c, void *buf, size_t max,
    int *stream, uint64_t *offset, int64_t *time_us)
{
	struct output_record	r;
	uint64_t		skip;
	size_t			n;

	if (o->removed && c->offset < o->size) {
		*offset = c->offset;
		c->offset = c->pos = o->size;
		return OUTPUT_DROPPED;
	}
	if (c->pos >= o->fsize)
		return 0;
	if (o->drop_end_pos != 0 && c->pos >= o->drop_pos &&
	    c->pos < o->drop_end_pos) {
		*offset = c->offset;
		c->offset = o->drop_end_off;
		c->pos = o->drop_end_pos;
		return OUTPUT_DROPPED;
	}
	if (output_header(o, c->pos, &r) == -1)
		return -1;
	if (c->offset < r.offset || c->offset >= r.offset + r.len)
		return -1;
	skip = c->offset - r.offset;
	n = r.len - skip < max ? r.len - skip : max;
	if (output_get(o, c->pos + sizeof r + skip, buf, n) == -1)
		return -1;
	*stream = r.stream;
	*offset = c->offset;
	*time_us = r.time_us;
	c->offset += n;
	if (skip + n == r.len)
		c->pos += sizeof r + r.len;
	return n;
}

/* The offset at which the last `lines` lines start (both streams count),
 * found by reading the log backwards one index segment at a time. */
uint64_t
output_tail_lines(struct output *o, uint32_t lines)
{
	struct output_cursor	 c;
	uint8_t			*buf;
	uint64_t		*nl = NULL, seg_start, seg_end, off, result = 0;
	size_t			 nnl, i, k, cap = 0;
	ssize_t			 n;
	int			 stream;
	int64_t			 t;
	uint32_t		 need;
	uint8_t			 last;

	if (o->size == 0 || lines == 0)
		return o->size;
	/* A last line without its newline counts as a line too. */
	c.offset = o->size - 1;
	if (output_seek(o, &c, o->size - 1) == -1 ||
	    output_read(o, &c, &last, 1, &stream, &off, &t) != 1)
		return 0;
	need = lines + (last == '\n' ? 1 : 0);
	buf = xmalloc(READ_BUDGET);
	for (k = o->nindex; k > 0; k--) {
		seg_start = o->index[k - 1].offset;
		seg_end = k < o->nindex ? o->index[k].offset : o->size;
		/* The newlines of this segment, in order. */
		nnl = 0;
		if (output_seek(o, &c, seg_start) == -1)
			break;
		while (c.offset < seg_end) {
			n = output_read(o, &c, buf, READ_BUDGET, &stream, &off,
			    &t);
			if (n <= 0)
				break;
			for (i = 0; i < (size_t)n; i++) {
				if (buf[i] != '\n')
					continue;
				if (nnl == cap) {
					cap = cap == 0 ? 256 : cap * 2;
					nl = xreallocarray(nl, cap, sizeof *nl);
				}
				nl[nnl++] = off + i;
			}
		}
		if (nnl >= need) {
			result = nl[nnl - need] + 1;
			goto out;
		}
		need -= nnl;
	}
	result = 0;
out:
	free(nl);
	free(buf);
	return result;
}

/* Bytes retention removed from the log. */
uint64_t
output_dropped(const struct output *o)
{
	if (o->removed)
		return o->size;
	return o->drop_end_off - o->drop_off;
}

/* The dropped range, for the journal. */
void
output_drop_range(const struct output *o, uint64_t r[4], int *removed)
{
	r[0] = o->drop_off;
	r[1] = o->drop_end_off;
	r[2] = o->drop_pos;
	r[3] = o->drop_end_pos;
	*removed = o->removed;
}

/* Keep at most max bytes of output: the first half and the newest half.
 * Whole index segments in between become a hole in the spool; the range
 * moves only in steps of an eighth of max, and record(arg) makes it
 * durable before the bytes go.  Returns 1 if something was dropped. */
int
output_trim(struct output *o, uint64_t max, int (*record)(void *), void *arg)
{
	uint64_t	written, keep_tail, start_off, start_pos, end_off, end_pos;
	uint64_t	step = max / 8;
	size_t		i, k, first = 0, last = 0;
	int		found = 0;

	if (max == 0 || o->removed || o->failed ||
	    o->size - output_dropped(o) <= max || o->nindex < 3)
		return 0;
	keep_tail = max / 2 > o->cap * 2 ? max / 2 : o->cap * 2;
	if (o->size < keep_tail)
		return 0;
	pthread_mutex_lock(&output_writer.mtx);
	written = output_writer.started ? o->written : o->fsize;
	pthread_mutex_unlock(&output_writer.mtx);
	/* The hole starts at the first segment past the head... */
	if (o->drop_end_pos != 0) {
		start_off = o->drop_off;
		start_pos = o->drop_pos;
	} else {
		for (i = 0; i < o->nindex && o->index[i].offset < max / 2; i++)
			;
		if (i == o->nindex)
			return 0;
		first = i;
		start_off = o->index[i].offset;
		start_pos = o->index[i].pos;
	}
	/* ...and ends at the last segment start before the tail that the
	 * writer has already written. */
	for (i = o->nindex; i > 0; i--) {
		if (o->index[i - 1].offset <= o->size - keep_tail &&
		    o->index[i - 1].pos <= written) {
			found = 1;
			break;
		}
	}
	if (!found)
		return 0;
	last = i - 1;
	end_off = o->index[last].offset;
	end_pos = o->index[last].pos;
	if (end_off <= start_off || end_off - (o->drop_end_pos != 0 ?
	    o->drop_end_off : start_off) < step)
		return 0;
	o->drop_off = start_off;
	o->drop_pos = start_pos;
	o->drop_end_off = end_off;
	o->drop_end_pos = end_pos;
	if (record(arg) != 0)
		return 0;	/* not durable: keep the bytes (a hole only ever
				 * follows its record) */
	if (output_fd(o) == -1 || fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	    start_pos, end_pos - start_pos) == -1)
		log_warn("%s: punch hole", o->path);
	/* Forget the index entries inside the hole. */
	for (i = 0, k = 0; i < o->nindex; i++) {
		if (o->index[i].pos > start_pos && o->index[i].pos < end_pos)
			continue;
		o->index[k++] = o->index[i];
	}
	o->nindex = k;
	(void)first;
	return 1;
}

/* Remove all of a finished task's output (retention by age or total
 * size): the spool goes, the offsets stay so the log says what it was. */
void
output_remove(struct output *o)
{
	if (o->removed)
		return;
	output_flush_wait(o);
	if (unlink(o->path) == -1 && errno != ENOENT)
		log_warn("%s: unlink", o->path);
	if (o->fd != -1 && ftruncate(o->fd, 0) == -1) {
		/* unlinked: its blocks go with the last fd */
	}
	o->removed = 1;
	free(o->ring);
	o->ring = NULL;
	o->alloc = 0;
	o->fsize = o->ringlen = 0;
	o->nindex = 0;
	o->drop_end_pos = 0;
}

/* Spool bytes on disk, for retention by total size. */
uint64_t
output_disk_bytes(const struct output *o)
{
	if (o->removed)
		return 0;
	return o->fsize - (o->drop_end_pos - o->drop_pos);
}

/* Restore the retention state of a reopened log (before it is read). */
void
output_set_dropped(struct output *o, const uint64_t r[4], int removed,
    uint64_t size)
{
	o->drop_off = r[0];
	o->drop_end_off = r[1];
	o->drop_pos = r[2];
	o->drop_end_pos = r[3];
	if (removed) {
		o->removed = 1;
		o->size = size;
	}
}
