/*
 * chunk.c - the codec of a ServerMessage carrying an OutputChunk, the bulk
 * of a watch, written once for both sides.  runneld packs the message's
 * head straight into a session's output buffer and reads the log's bytes
 * in behind it (one copy instead of three); librunnel decodes it here by
 * hand, its data left where it is in the input buffer, instead of by
 * protobuf-c, which allocates the message, the chunk and a copy of the
 * data for every frame.  Output callbacks see data only during the
 * callback, so a pointer into the frame is enough.  Anything the decoder
 * does not expect (another reply, an unknown or repeated field, a wire
 * type it does not know) is left to protobuf-c, which then decides what
 * is valid.  The head is packed as protobuf-c would (a field at its
 * default, empty data included, is left out), but for time_us, which goes
 * before the data so that the data ends the message (a field order any
 * decoder accepts).
 */

#include <stdint.h>
#include <string.h>

#include "chunk.h"

/* A const pointer the generated structs hold as non-const. */
#define CHUNK_UNCONST(p)	((void *)(uintptr_t)(const void *)(p))

/* The key of a field: its number and wire type. */
#define CHUNK_KEY(field, wire)	((uint8_t)((field) << 3 | (wire)))

/* Bytes of a varint. */
static size_t
chunk_varint_len(uint64_t v)
{
	size_t	n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Put a varint at p; returns the byte after it. */
static uint8_t *
chunk_varint_put(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Bytes of a varint field (omitted when zero, as protobuf-c does). */
static size_t
chunk_field_len(uint64_t v)
{
	return v == 0 ? 0 : 1 + chunk_varint_len(v);
}

/* Put a varint field (omitted when zero); returns the byte after it. */
static uint8_t *
chunk_field_put(uint8_t *p, unsigned field, uint64_t v)
{
	if (v == 0)
		return p;
	*p++ = CHUNK_KEY(field, CHUNK_WIRE_VARINT);
	return chunk_varint_put(p, v);
}

/* Bytes of the OutputChunk, its data included. */
static size_t
chunk_inner_len(const struct chunk_head *h)
{
	/* An enum is an int32 on the wire: a negative one takes 10 bytes. */
	return (chunk_field_len(h->task_id) +
	    chunk_field_len((uint64_t)(int64_t)h->stream) +
	    chunk_field_len(h->offset) +
	    chunk_field_len((uint64_t)h->time_us) +
	    (h->len == 0 ? 0 : 1 + chunk_varint_len(h->len) + h->len));
}

/* Bytes of the whole ServerMessage, head and data. */
size_t
chunk_encoded_len(const struct chunk_head *h)
{
	size_t	inner = chunk_inner_len(h);

	return chunk_field_len(h->id) + 1 + chunk_varint_len(inner) + inner;
}

/* Pack the ServerMessage's head at p; returns where the data goes. */
uint8_t *
chunk_encode_head(uint8_t *p, const struct chunk_head *h)
{
	p = chunk_field_put(p, CHUNK_MSG_ID, h->id);
	*p++ = CHUNK_KEY(CHUNK_MSG_OUTPUT, CHUNK_WIRE_LEN);
	p = chunk_varint_put(p, chunk_inner_len(h));
	p = chunk_field_put(p, CHUNK_TASK_ID, h->task_id);
	p = chunk_field_put(p, CHUNK_STREAM, (uint64_t)(int64_t)h->stream);
	p = chunk_field_put(p, CHUNK_OFFSET, h->offset);
	p = chunk_field_put(p, CHUNK_TIME_US, (uint64_t)h->time_us);
	if (h->len == 0)
		return p;
	*p++ = CHUNK_KEY(CHUNK_DATA, CHUNK_WIRE_LEN);
	return chunk_varint_put(p, h->len);
}

/* Read a varint at *p (below end): 0 and *v, or -1 (truncated, too long). */
static int
chunk_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t	x = 0;
	unsigned	shift;

	for (shift = 0; shift < 64 && *p < end; shift += 7) {
		x |= (uint64_t)(**p & 0x7f) << shift;
		if ((*(*p)++ & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Read a length-delimited field's length and check it is all there. */
static int
chunk_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	uint64_t	n;

	if (chunk_varint(p, end, &n) != 0 || n > (uint64_t)(end - *p))
		return -1;
	*len = (size_t)n;
	return 0;
}

/* Decode an OutputChunk's fields from [p, end) into o; 1 or 0 (fall back). */
static int
chunk_fields(const uint8_t *p, const uint8_t *end, Runnel__V1__OutputChunk *o)
{
	unsigned	seen = 0, field;
	uint64_t	key, v;
	size_t		len;

	while (p < end) {
		if (chunk_varint(&p, end, &key) != 0 || key > UINT32_MAX)
			return 0;
		field = (unsigned)(key >> 3);
		if (field < CHUNK_TASK_ID || field > CHUNK_TIME_US ||
		    (seen & 1U << field) != 0)
			return 0;
		seen |= 1U << field;
		if (field == CHUNK_DATA) {
			if ((key & 7) != CHUNK_WIRE_LEN ||
			    chunk_len(&p, end, &len) != 0)
				return 0;
			o->data.data = CHUNK_UNCONST(p);
			o->data.len = len;
			p += len;
			continue;
		}
		if ((key & 7) != CHUNK_WIRE_VARINT ||
		    chunk_varint(&p, end, &v) != 0)
			return 0;
		switch (field) {
		case CHUNK_TASK_ID:
			o->task_id = v;
			break;
		case CHUNK_STREAM:
			/* An enum is an int32 on the wire, as protobuf-c
			 * reads it. */
			o->stream = (Runnel__V1__Stream)(int32_t)(uint32_t)v;
			break;
		case CHUNK_OFFSET:
			o->offset = v;
			break;
		case CHUNK_TIME_US:
			o->time_us = (int64_t)v;
			break;
		}
	}
	return 1;
}

/*
 * Decode the frame payload [buf, buf + len) into m and o if it is a
 * ServerMessage carrying an OutputChunk: 1, with m->output pointing at o and
 * o->data into buf (both valid while buf is); 0 to use protobuf-c instead.
 */
int
chunk_decode(const uint8_t *buf, size_t len, Runnel__V1__ServerMessage *m,
    Runnel__V1__OutputChunk *o)
{
	const uint8_t	*p = buf, *end = buf + len;
	unsigned	 seen = 0, field;
	uint64_t	 key, v;
	size_t		 n;

	runnel__v1__server_message__init(m);
	runnel__v1__output_chunk__init(o);
	while (p < end) {
		if (chunk_varint(&p, end, &key) != 0 || key > UINT32_MAX)
			return 0;
		field = (unsigned)(key >> 3);
		if (field == CHUNK_MSG_ID && (key & 7) == CHUNK_WIRE_VARINT &&
		    (seen & 1) == 0) {
			if (chunk_varint(&p, end, &v) != 0)
				return 0;
			m->id = v;
			seen |= 1;
		} else if (field == CHUNK_MSG_OUTPUT &&
		    (key & 7) == CHUNK_WIRE_LEN && (seen & 2) == 0) {
			if (chunk_len(&p, end, &n) != 0 ||
			    !chunk_fields(p, p + n, o))
				return 0;
			p += n;
			seen |= 2;
		} else
			return 0;
	}
	if ((seen & 2) == 0)
		return 0;
	m->reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
	m->output = o;
	return 1;
}
