/*
 * journal.h - what journal.c (writing, syncing) and journal-replay.c
 * (reading back) share: the record format.  Private to those two.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

/* A record: length (4 bytes, little-endian), CRC-32C of the payload (4),
 * the payload (one protobuf Record). */
#define JOURNAL_HEADER		8
#define JOURNAL_MAX_RECORD	(64U * 1024 * 1024)

/* journal-replay.c */
uint32_t journal_crc(const uint8_t *, size_t);
int	 journal_replay(int fd, const char *path, uint64_t *size,
	    char **cause);

#endif
