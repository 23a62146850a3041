/*
 * jrec.h - write journal records by hand, for tests that start a daemon
 * (or replay) on a journal it never wrote: big ids, holes, odd orders.
 */
#ifndef JREC_H
#define JREC_H

#include <stdint.h>

#include <journal.pb-c.h>

/* Append one record to a journal file: length, CRC-32C, payload. */
void	jrec_append(const char *path, const Runnel__Journal__V1__Record *);
/* Append a task's first record: `true`, owned by owner, finished
 * (succeeded, exit 0, no output). */
void	jrec_task(const char *path, uint64_t id, const char *owner);
/* Append a record that a task was removed (cleaned). */
void	jrec_removed(const char *path, uint64_t id);
/* Append a next-id record, as compaction writes first. */
void	jrec_meta(const char *path, uint64_t next_id);

#endif
