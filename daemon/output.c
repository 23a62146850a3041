/*
 * output.c - a task's output log: an append-only sequence of records (one
 * per chunk read from a pipe, with its stream, offset and time) written to a
 * spool file, the newest bytes of which are mirrored in a ring in memory.
 *
 * Offsets count data bytes across both streams; positions count spool
 * bytes.  A sparse index maps offsets to positions so that a watcher can
 * start anywhere without reading the spool from the beginning.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
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

struct output_index {
	uint64_t	offset;
	uint64_t	pos;
};

struct output {
	int			 fd;
	char			*path;
	uint64_t		 size;		/* data bytes */
	uint64_t		 fsize;		/* spool bytes */
	uint8_t			*ring;		/* spool bytes [fsize - ringlen, fsize) */
	size_t			 cap;
	size_t			 ringlen;
	struct output_index	*index;
	size_t			 nindex;
	int			 failed;	/* the spool could not be written */
};

static void	output_ring_add_at(struct output *, uint64_t, const uint8_t *,
		    size_t);

/* Create an empty log spooled to path. */
struct output *
output_create(const char *path, size_t tail, char **cause)
{
	struct output	*o;
	int		 fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	o = xcalloc(1, sizeof *o);
	o->fd = fd;
	o->path = xstrdup(path);
	o->cap = tail < sizeof(struct output_record) * 4 ?
	    sizeof(struct output_record) * 4 : tail;
	o->ring = xmalloc(o->cap);
	return o;
}

/* Reopen the spool of a task from an earlier run: rebuild the offsets,
 * the index and the tail from its records, cutting a torn last record. */
struct output *
output_open(const char *path, size_t tail, char **cause)
{
	struct output		*o;
	struct output_record	 r;
	struct stat		 st;
	uint64_t		 pos = 0, start;
	int			 fd;
	ssize_t			 n;

	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
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
	o = xcalloc(1, sizeof *o);
	o->fd = fd;
	o->path = xstrdup(path);
	o->cap = tail < sizeof r * 4 ? sizeof r * 4 : tail;
	o->ring = xmalloc(o->cap);
	while (pos + sizeof r <= (uint64_t)st.st_size) {
		if (pread(fd, &r, sizeof r, pos) != sizeof r ||
		    r.offset != o->size ||
		    pos + sizeof r + r.len > (uint64_t)st.st_size)
			break;
		if (o->nindex == 0 ||
		    pos - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY) {
			o->index = xreallocarray(o->index, o->nindex + 1,
			    sizeof *o->index);
			o->index[o->nindex].offset = o->size;
			o->index[o->nindex].pos = pos;
			o->nindex++;
		}
		o->size += r.len;
		pos += sizeof r + r.len;
	}
	if (pos < (uint64_t)st.st_size && ftruncate(fd, pos) == -1)
		log_warn("%s: cannot cut torn record", path);
	o->fsize = pos;
	start = pos > o->cap ? pos - o->cap : 0;
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
	o->ringlen = o->fsize > o->cap ? o->cap : o->fsize;
	return o;
}

/* Close and free a log; the spool file stays. */
void
output_free(struct output *o)
{
	if (o == NULL)
		return;
	close(o->fd);
	free(o->path);
	free(o->ring);
	free(o->index);
	free(o);
}

/* Copy bytes into the ring at the end of the spool. */
static void
output_ring_add(struct output *o, uint64_t pos, const uint8_t *p, size_t n)
{
	size_t	at, first;

	if (n > o->cap) {
		p += n - o->cap;
		pos += n - o->cap;
		n = o->cap;
	}
	at = pos % o->cap;
	first = o->cap - at < n ? o->cap - at : n;
	memcpy(o->ring + at, p, first);
	memcpy(o->ring, p + first, n - first);
	o->ringlen = o->ringlen + n > o->cap ? o->cap : o->ringlen + n;
}

/* Copy spool bytes into the ring at their place, for a reopened spool. */
static void
output_ring_add_at(struct output *o, uint64_t pos, const uint8_t *p, size_t n)
{
	size_t	at, first;

	at = pos % o->cap;
	first = o->cap - at < n ? o->cap - at : n;
	memcpy(o->ring + at, p, first);
	memcpy(o->ring, p + first, n - first);
}

/* Write the whole iovec to the spool, retrying short writes. */
static int
output_write_spool(struct output *o, struct iovec *iov, int iovcnt)
{
	ssize_t	n;

	while (iovcnt > 0) {
		n = writev(o->fd, iov, iovcnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
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
	    "here on\n", strerror(error), o->cap / 2);
	memset(&r, 0, sizeof r);
	r.len = len;
	r.stream = RUNNEL__V1__STREAM__STREAM_SYSTEM;
	r.offset = o->size;
	r.time_us = time_us;
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
	memset(&r, 0, sizeof r);
	r.len = len;
	r.stream = stream;
	r.offset = o->size;
	r.time_us = time_us;

	if (o->nindex == 0 ||
	    o->fsize - o->index[o->nindex - 1].pos >= OUTPUT_INDEX_EVERY) {
		o->index = xreallocarray(o->index, o->nindex + 1,
		    sizeof *o->index);
		o->index[o->nindex].offset = o->size;
		o->index[o->nindex].pos = o->fsize;
		o->nindex++;
	}

	iov[0].iov_base = &r;
	iov[0].iov_len = sizeof r;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	if (!o->failed && output_write_spool(o, iov, 2) == -1) {
		log_warn("%s: spool write failed, keeping only the tail",
		    o->path);
		o->failed = 1;
		output_notice_failed(o, errno, time_us);
		r.offset = o->size;
	}
	output_ring_add(o, o->fsize, (const uint8_t *)&r, sizeof r);
	output_ring_add(o, o->fsize + sizeof r, data, len);
	o->fsize += sizeof r + len;
	o->size += len;
	return 0;
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
	if (pos >= start) {
		at = pos % o->cap;
		first = o->cap - at < n ? o->cap - at : n;
		memcpy(p, o->ring + at, first);
		memcpy(p + first, o->ring, n - first);
		return 0;
	}
	if (o->failed)
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

	if (offset >= o->size) {
		c->offset = o->size;
		c->pos = o->fsize;
		return 0;
	}
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

/* Read up to max bytes of the record at the cursor and advance it; 0 at the
 * end of the log, -1 if the bytes are gone. */
ssize_t
output_read(struct output *o, struct output_cursor *c, void *buf, size_t max,
    int *stream, uint64_t *offset, int64_t *time_us)
{
	struct output_record	r;
	uint64_t		skip;
	size_t			n;

	if (c->pos >= o->fsize)
		return 0;
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
