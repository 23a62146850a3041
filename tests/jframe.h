/*
 * jframe.h - a journal record's frame as tests write it by hand: 4-byte
 * little-endian length, 4-byte CRC-32C of the payload.  Written apart from
 * daemon/journal.c on purpose: a test must not check the daemon's framing
 * with the daemon's own code.  Shared by tests/integration/jrec.c and
 * tests/fuzz/fuzz_journal.c.
 */
#ifndef JFRAME_H
#define JFRAME_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli), bit by bit: slow and plainly right. */
static inline uint32_t
jframe_crc(const uint8_t *p, size_t len)
{
	uint32_t	c = 0xffffffff;
	size_t		i;
	int		k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
	}
	return c ^ 0xffffffff;
}

/* Store v little-endian. */
static inline void
jframe_put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* The 8-byte frame header of a payload of len bytes. */
static inline void
jframe_header(uint8_t hdr[8], const uint8_t *payload, size_t len)
{
	jframe_put32(hdr, (uint32_t)len);
	jframe_put32(hdr + 4, jframe_crc(payload, len));
}

#endif
