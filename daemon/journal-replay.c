/*
 * journal-replay.c - reading the journal back at start: the newest record
 * of each task wins.  A torn or corrupt record at the end is cut off and
 * reported; a corrupt record followed by good data stops the daemon with
 * a clear error rather than inventing state.  Also the records' checksum,
 * which journal.c writes.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <journal.pb-c.h>

#include "journal.h"
#include "log.h"
#include "runneld.h"

static uint32_t	journal_crc_table[256];

/* CRC-32C (Castagnoli), bitwise table. */
uint32_t
journal_crc(const uint8_t *p, size_t len)
{
	uint32_t	c = 0xffffffff;
	size_t		i;
	int		k;

	if (journal_crc_table[1] == 0) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			journal_crc_table[i] = c;
		}
		c = 0xffffffff;
	}
	for (i = 0; i < len; i++)
		c = journal_crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffff;
}

/* A little-endian 32-bit number of a record header. */
static uint32_t
journal_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Replay one record into the task table. */
static int
journal_apply(const Runnel__Journal__V1__Record *r, char **cause)
{
	struct queue	*q;

	if (r->record_case == RUNNEL__JOURNAL__V1__RECORD__RECORD_QUEUE) {
		if ((q = queue_find(r->queue->name)) == NULL)
			q = queue_add(r->queue->name, 0, 0);
		q->max_running = r->queue->max_running;
		q->timeout_ms = r->queue->timeout_ms;
		q->state = r->queue->state;
		return 0;
	}
	if (r->record_case == RUNNEL__JOURNAL__V1__RECORD__RECORD_META) {
		task_restore_next_id(r->meta->next_id);
		return 0;
	}
	if (r->record_case != RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK)
		return 0;
	return task_restore(r->task, cause);
}

/* Read the journal at path (open as fd) and rebuild the task table; cut
 * a torn tail.  *size is where the next record goes. */
int
journal_replay(int fd, const char *path, uint64_t *size, char **cause)
{
	Runnel__Journal__V1__Record	*r;
	struct stat			 st;
	uint8_t				 hdr[JOURNAL_HEADER], *buf = NULL;
	uint64_t			 off = 0, count = 0;
	uint32_t			 len;
	ssize_t				 n;
	const char			*bad = NULL;

	if (fstat(fd, &st) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while (off < (uint64_t)st.st_size) {
		n = pread(fd, hdr, sizeof hdr, off);
		if (n != sizeof hdr) {
			bad = "truncated header";
			break;
		}
		len = journal_get32(hdr);
		if (len == 0 || len > JOURNAL_MAX_RECORD) {
			bad = "bad length";
			break;
		}
		if (off + JOURNAL_HEADER + len > (uint64_t)st.st_size) {
			bad = "truncated record";
			break;
		}
		buf = xreallocarray(buf, len, 1);
		if (pread(fd, buf, len, off + JOURNAL_HEADER) != (ssize_t)len) {
			*cause = xasprintf("%s: read: %s", path,
			    strerror(errno));
			free(buf);
			return -1;
		}
		if (journal_crc(buf, len) != journal_get32(hdr + 4)) {
			bad = "checksum mismatch";
			break;
		}
		if ((r = runnel__journal__v1__record__unpack(NULL, len,
		    buf)) == NULL) {
			bad = "undecodable record";
			break;
		}
		task_restore_utf8(r, off);
		if (journal_apply(r, cause) != 0) {
			runnel__journal__v1__record__free_unpacked(r, NULL);
			free(buf);
			return -1;
		}
		runnel__journal__v1__record__free_unpacked(r, NULL);
		off += JOURNAL_HEADER + len;
		count++;
	}
	free(buf);
	if (bad != NULL) {
		/* A crash can only tear the last record: one whose end
		 * would be at or past the end of the file.  Anything else
		 * is damage we must not paper over. */
		len = (uint64_t)st.st_size - off >= JOURNAL_HEADER ?
		    journal_get32(hdr) : 0;
		if (strcmp(bad, "checksum mismatch") != 0 &&
		    strcmp(bad, "undecodable record") != 0) {
			/* Torn: the header or the record runs off the end. */
		} else if (off + JOURNAL_HEADER + len < (uint64_t)st.st_size) {
			*cause = xasprintf("%s: corrupt record at offset %llu "
			    "(%s) with %llu bytes after it; refusing to guess."
			    " Move the journal aside to start empty, or keep "
			    "the %llu good records by truncating it: "
			    "truncate -s %llu %s", path,
			    (unsigned long long)off, bad,
			    (unsigned long long)(st.st_size - off),
			    (unsigned long long)count,
			    (unsigned long long)off, path);
			return -1;
		}
		log_warnx("journal: %s: %s at offset %llu: cutting %llu bytes "
		    "off the end (%llu records kept)", path, bad,
		    (unsigned long long)off,
		    (unsigned long long)(st.st_size - off),
		    (unsigned long long)count);
		if (ftruncate(fd, off) == -1) {
			*cause = xasprintf("%s: truncate: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	*size = off;
	log_info("journal: %llu records replayed", (unsigned long long)count);
	return 0;
}
