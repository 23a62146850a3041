/*
 * output.c - a task's output log: an append-only sequence of records (one
 * per chunk read from a pipe, with its stream, offset and time) written to a
 * spool file, the newest bytes of which are mirrored in a ring in memory.
 *
 * Offsets count data bytes across both streams; positions count spool
 * bytes.  A sparse index maps offsets to positions so that a watcher can
 * start anywhere without reading the spool from the beginning.
 *
 * One module in three files sharing output.h: this one, output-spool.c
 * (the spool writer thread, and the room a paused reader waits for) and
 * output-fd.c (when a spool file is open).
 */
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
#include "output.h"

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

static void	output_ring_grow(struct output *, size_t);
static void	output_ring_add_at(struct output *, uint64_t, const uint8_t *,
		    size_t);

/* Note that the record at spool position pos starts at offset. */
static void
output_index_add(struct output *o, uint64_t offset, uint64_t pos)
{
	o->index = xreallocarray(o->index, o->nindex + 1, sizeof *o->index);
	o->index[o->nindex].offset = offset;
	o->index[o->nindex].pos = pos;
	o->nindex++;
}

/* Has retention removed a range from the middle of the log?  Offsets
 * [drop_off, drop_end_off) are gone; drop_pos is the first record wholly
 * in them, drop_end_pos the record drop_end_off is in (both ends may fall
 * inside a record). */
static int
output_has_hole(const struct output *o)
{
	return o->drop_end_off > o->drop_off;
}

/* Create an empty log spooled to path.  The file is made with the first
 * output (ext4 spends more on creating and removing a file than runneld
 * spends on starting a task); a spool that cannot be written then fails
 * the log with a SYSTEM notice, as a full disk does later. */
struct output *
output_create(const char *path, size_t tail, char **cause)
{
	struct output	*o;

	(void)cause;
	o = xcalloc(1, sizeof *o + strlen(path) + 1);
	o->fd = -1;
	o->fresh = 1;
	strcpy(o->path, path);
	o->cap = tail < sizeof(struct output_record) * 4 ?
	    sizeof(struct output_record) * 4 : tail;
	return o;
}

/* Reopen the spool of a task from an earlier run: rebuild the offsets and
 * the index from its records, cutting a torn last record.  Nothing of it
 * is kept in memory: reads go to the file. */
struct output *
output_open(const char *path, size_t tail, const uint64_t *drop, int removed,
    uint64_t size, char **cause)
{
	struct output		*o;
	struct output_record	 r;
	struct stat		 st;
	uint64_t		 pos = 0;
	int			 fd, hole, stepped = 0;

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
	hole = drop != NULL && drop[1] > drop[0];
	while (pos + sizeof r <= (uint64_t)st.st_size) {
		if (hole && !stepped && drop[3] > drop[2] && pos == drop[2]) {
			/* Step over the hole retention made, to the record
			 * its end is in (a hole that ends at the end of the
			 * log has none yet). */
			stepped = 1;
			output_index_add(o, o->size, pos);
			pos = drop[3];
			if (pread(fd, &r, sizeof r, pos) == sizeof r &&
			    r.offset <= drop[1] && drop[1] < r.offset + r.len)
				o->size = r.offset;
			else
				o->size = drop[1];
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
	/* A hole with no whole record in it leaves the spool as it was. */
	if (hole && !stepped && drop[3] <= drop[2] && o->size >= drop[1])
		output_set_dropped(o, drop, 0, 0);
	/* No ring: all of it is on disk, and a task from an earlier run
	 * writes no more (a retry starts a new ring). */
	o->fsize = o->written = o->published = pos;
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
	output_release_forget(o);
	output_fd_close(o);
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
int
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
	if (o->nindex == 0 ||
	    o->fsize - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY)
		output_index_add(o, o->size, o->fsize);
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
	if (!o->failed && output_fd_write(o) == -1)
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
	static uint8_t		 buf[OUTPUT_FLOOD_TAIL / 4];
	struct output_record	 r;
	struct iovec		 iov[2];
	uint64_t		 pos;
	size_t			 at, first, need;
	ssize_t			 n;

	if (!output_writer.started || o->failed || !o->live ||
	    sizeof r + max > o->cap) {
		/* The plain way: through a buffer (also the first read, so
		 * that a pipe at EOF makes no spool file, and the first of
		 * a log written again, which opens its spool to write). */
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

/* The spool cannot be written any more: the ring alone keeps output. */
void
output_fail(struct output *o, int error, int64_t time_us)
{
	o->failed = 1;
	output_ring_grow(o, o->cap);
	output_notice_failed(o, error, time_us);
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
	uint64_t	keep = OUTPUT_TAIL / 2;	/* as documented: 128 KiB,
						 * whatever the ring is now */

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

	if (pos + n > o->fsize) {
		errno = ERANGE;
		return -1;
	}
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
	if (o->failed) {
		errno = ENODATA;	/* only the ring was kept */
		return -1;
	}
	if (output_fd_read(o) == -1)
		return -1;
	while (n > 0) {
		r = pread(o->fd, p, n, pos);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			errno = ENODATA;	/* the file was cut */
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

/* Find the record that holds data offset off (below the log's size, and
 * not in the hole): its spool position and header.  The walk starts at the
 * index entry at or before off, which is never inside the hole. */
static int
output_find(struct output *o, uint64_t off, uint64_t *pos,
    struct output_record *r)
{
	size_t	lo = 0, hi = o->nindex, mid;

	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (o->index[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	*pos = o->nindex > 0 ? o->index[lo].pos : 0;
	for (;;) {
		if (output_header(o, *pos, r) == -1)
			return -1;
		if (r->offset + r->len > off)
			return 0;
		*pos += sizeof *r + r->len;
	}
}

/* Move a cursor to a data offset (or the end if beyond it); one inside
 * the hole retention made moves to the hole's end. */
int
output_seek(struct output *o, struct output_cursor *c, uint64_t offset)
{
	struct output_record	r;
	uint64_t		pos;

	if (output_has_hole(o) && offset >= o->drop_off &&
	    offset < o->drop_end_off)
		offset = o->drop_end_off;
	if (offset >= o->size || o->removed) {
		c->offset = offset < o->size ? offset : o->size;
		c->pos = offset < o->size ? 0 : o->fsize;
		return 0;
	}
	if (output_find(o, offset, &pos, &r) == -1)
		return -1;
	c->pos = pos;
	c->offset = offset;
	return 0;
}

/* Is the cursor at bytes retention removed? */
static int
output_in_hole(const struct output *o, const struct output_cursor *c)
{
	return output_has_hole(o) && c->offset >= o->drop_off &&
	    c->offset < o->drop_end_off;
}

/* Stop a read of n bytes at the cursor where the hole starts. */
static size_t
output_clip(const struct output *o, const struct output_cursor *c, size_t n)
{
	if (output_has_hole(o) && c->offset < o->drop_off &&
	    o->drop_off - c->offset < n)
		return o->drop_off - c->offset;
	return n;
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
	if (output_in_hole(o, c))
		return OUTPUT_DROPPED;
	if (output_header(o, c->pos, &r) == -1)
		return -1;
	if (c->offset < r.offset || c->offset >= r.offset + r.len) {
		errno = EBADMSG;	/* not the record the index said */
		return -1;
	}
	skip = c->offset - r.offset;
	*stream = r.stream;
	*offset = c->offset;
	*time_us = r.time_us;
	return output_clip(o, c, r.len - skip < max ? r.len - skip : max);
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
	if (output_in_hole(o, c)) {
		*offset = c->offset;
		c->offset = o->drop_end_off;
		c->pos = o->drop_end_pos;
		return OUTPUT_DROPPED;
	}
	if (output_header(o, c->pos, &r) == -1)
		return -1;
	if (c->offset < r.offset || c->offset >= r.offset + r.len) {
		errno = EBADMSG;	/* not the record the index said */
		return -1;
	}
	skip = c->offset - r.offset;
	n = output_clip(o, c, r.len - skip < max ? r.len - skip : max);
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
	uint64_t		 need;	/* lines + 1 must not wrap */
	uint8_t			 last;

	if (o->size == 0 || lines == 0)
		return o->size;
	/* A last line without its newline counts as a line too. */
	c.offset = o->size - 1;
	if (output_seek(o, &c, o->size - 1) == -1 ||
	    output_read(o, &c, &last, 1, &stream, &off, &t) != 1)
		return 0;
	need = (uint64_t)lines + (last == '\n' ? 1 : 0);
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

/* Make the hole end at the record at pos (whose header is r): the index
 * forgets the entries inside the hole and gets one at its end, so that no
 * walk from an index entry ever reads the punched part. */
static void
output_hole_index(struct output *o, uint64_t pos,
    const struct output_record *r)
{
	size_t	i, k;

	for (i = 0, k = 0; i < o->nindex; i++) {
		if (o->index[i].pos >= o->drop_pos && o->index[i].pos < pos)
			continue;
		o->index[k++] = o->index[i];
	}
	o->nindex = k;
	for (i = 0; i < o->nindex && o->index[i].pos < pos; i++)
		;
	if (i < o->nindex && o->index[i].pos == pos)
		return;
	o->index = xreallocarray(o->index, o->nindex + 1, sizeof *o->index);
	memmove(o->index + i + 1, o->index + i,
	    (o->nindex - i) * sizeof *o->index);
	o->index[i].offset = r->offset;
	o->index[i].pos = pos;
	o->nindex++;
}

/*
 * Keep at most max bytes of output: the first max/2 and the newest bytes
 * (max less what the head keeps), cut at those exact offsets, even inside
 * a record.  What lies between is one hole that only grows at its end.
 * Readers skip it at once; its bytes leave the spool later, in steps of
 * max/8 (at least OUTPUT_INDEX_EVERY), once record(arg) has put the range
 * in the journal (a hole in the spool only ever follows its record) and
 * the writer has written them.  Returns 1 if the hole grew.
 */
int
output_trim(struct output *o, uint64_t max, int (*record)(void *), void *arg)
{
	struct output_record	r;
	uint64_t		head, keep, end, pos, step;

	if (max == 0 || o->removed || o->failed ||
	    o->size - output_dropped(o) <= max)
		return 0;
	if (!output_has_hole(o)) {
		head = max / 2;
		if (output_find(o, head, &pos, &r) == -1)
			return 0;
		o->drop_off = o->drop_end_off = o->durable_end_off = head;
		o->drop_pos = head == r.offset ? pos : pos + sizeof r + r.len;
		o->drop_end_pos = o->durable_end_pos = o->punch_pos =
		    o->drop_pos;
	}
	/* (A head kept under a bigger max_output than today's keeps it.) */
	keep = max > o->drop_off ? max - o->drop_off : max - max / 2;
	end = o->size - keep;
	if (end <= o->drop_end_off || output_find(o, end, &pos, &r) == -1)
		return 0;
	o->drop_end_off = end;
	o->drop_end_pos = pos;
	if (pos > o->drop_pos)
		output_hole_index(o, pos, &r);
	step = max / 8 > OUTPUT_INDEX_EVERY ? max / 8 : OUTPUT_INDEX_EVERY;
	if (o->drop_end_off - o->durable_end_off >= step && record(arg) == 0)
		output_recorded(o);
	return 1;
}

/* The journal has the hole as it is now: its bytes may leave the spool. */
void
output_recorded(struct output *o)
{
	if (!output_has_hole(o))
		return;
	o->durable_end_off = o->drop_end_off;
	o->durable_end_pos = o->drop_end_pos;
	output_punch(o);
}

/* Punch the part of the hole that the journal has and the writer has
 * written (bytes it writes later would fill a punched range again). */
void
output_punch(struct output *o)
{
	uint64_t	written, end;

	if (!output_has_hole(o) || o->removed || o->failed)
		return;
	if (output_writer.started)
		pthread_mutex_lock(&output_writer.mtx);
	written = output_writer.started ? o->written : o->fsize;
	if (output_writer.started)
		pthread_mutex_unlock(&output_writer.mtx);
	end = o->durable_end_pos < written ? o->durable_end_pos : written;
	if (end <= o->punch_pos)
		return;
	if (output_fd_read(o) == -1 || fallocate(o->fd, FALLOC_FL_PUNCH_HOLE |
	    FALLOC_FL_KEEP_SIZE, o->punch_pos, end - o->punch_pos) == -1)
		log_warn("%s: punch hole", o->path);
	o->punch_pos = end;
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
	/* Unlinked: its blocks go with the fd, which no read needs now. */
	output_fd_close(o);
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
	return o->fsize - (o->punch_pos > o->drop_pos ?
	    o->punch_pos - o->drop_pos : 0);
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
	/* What the journal said is durable, and taken as punched. */
	o->durable_end_off = r[1];
	o->durable_end_pos = r[3];
	o->punch_pos = r[3] > r[2] ? r[3] : r[2];
	if (removed) {
		o->removed = 1;
		o->size = size;
	}
}
