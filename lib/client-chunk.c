/*
 * client-chunk.c - the fast path for the bulk of a watch: a ServerMessage
 * that is an OutputChunk is decoded here by hand, its data left where it is
 * in the input buffer, instead of by protobuf-c, which allocates the
 * message, the chunk and a copy of the data for every frame.  Output
 * callbacks see data only during the callback, so a pointer into the frame
 * is enough.  Anything this decoder does not expect (another reply, an
 * unknown or repeated field, a wire type it does not know) is left to
 * protobuf-c, which then decides what is valid.
 */

#include <stdint.h>
#include <string.h>

#include "client.h"

/* Field numbers and wire types of the messages decoded here. */
#define CHUNK_WIRE_VARINT	0
#define CHUNK_WIRE_LEN		2
#define CHUNK_MSG_ID		1	/* ServerMessage.id */
#define CHUNK_MSG_OUTPUT	13	/* ServerMessage.output */
#define CHUNK_TASK_ID		1	/* OutputChunk fields */
#define CHUNK_STREAM		2
#define CHUNK_OFFSET		3
#define CHUNK_DATA		4
#define CHUNK_TIME_US		5

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
			return (0);
		}
	}
	return (-1);
}

/* Read a length-delimited field's length and check it is all there. */
static int
chunk_len(const uint8_t **p, const uint8_t *end, size_t *len)
{
	uint64_t	n;

	if (chunk_varint(p, end, &n) != 0 || n > (uint64_t)(end - *p))
		return (-1);
	*len = (size_t)n;
	return (0);
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
			return (0);
		field = (unsigned)(key >> 3);
		if (field < CHUNK_TASK_ID || field > CHUNK_TIME_US ||
		    (seen & 1U << field) != 0)
			return (0);
		seen |= 1U << field;
		if (field == CHUNK_DATA) {
			if ((key & 7) != CHUNK_WIRE_LEN ||
			    chunk_len(&p, end, &len) != 0)
				return (0);
			o->data.data = CLIENT_UNCONST(p);
			o->data.len = len;
			p += len;
			continue;
		}
		if ((key & 7) != CHUNK_WIRE_VARINT ||
		    chunk_varint(&p, end, &v) != 0)
			return (0);
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
	return (1);
}

/*
 * Decode the frame payload [buf, buf + len) into m and o if it is a
 * ServerMessage carrying an OutputChunk: 1, with m->output pointing at o and
 * o->data into buf (both valid while buf is); 0 to use protobuf-c instead.
 */
int
client_chunk_decode(const uint8_t *buf, size_t len, server_msg *m,
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
			return (0);
		field = (unsigned)(key >> 3);
		if (field == CHUNK_MSG_ID && (key & 7) == CHUNK_WIRE_VARINT &&
		    (seen & 1) == 0) {
			if (chunk_varint(&p, end, &v) != 0)
				return (0);
			m->id = v;
			seen |= 1;
		} else if (field == CHUNK_MSG_OUTPUT &&
		    (key & 7) == CHUNK_WIRE_LEN && (seen & 2) == 0) {
			if (chunk_len(&p, end, &n) != 0 ||
			    !chunk_fields(p, p + n, o))
				return (0);
			p += n;
			seen |= 2;
		} else
			return (0);
	}
	if ((seen & 2) == 0)
		return (0);
	m->reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_OUTPUT;
	m->output = o;
	return (1);
}
