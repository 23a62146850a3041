/*
 * frame.c - the wire's framing: a 4-byte big-endian length, then that many
 * bytes of one protobuf message.  The length is checked against the limit
 * from the header alone, before anything is buffered for the payload.
 */

#include <errno.h>
#include <stdlib.h>

#include "common.h"

/* Look at the first bytes of a stream: is a whole frame there? */
enum frame_result
frame_parse(const uint8_t *buf, size_t have, uint32_t max, uint32_t *len)
{
	uint32_t	n;

	if (have < FRAME_HEADER)
		return FRAME_NEED_MORE;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	if (n == 0)
		return FRAME_EZERO;
	if (n > max)
		return FRAME_ETOOBIG;
	/* Compare without adding: 4 + n may not fit in a 32-bit size_t. */
	if (have - FRAME_HEADER < n)
		return FRAME_NEED_MORE;
	*len = n;
	return FRAME_OK;
}

/* Write a frame header for a payload of len bytes. */
void
frame_put_header(uint8_t hdr[FRAME_HEADER], uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/* Pack any message into a new frame; an empty message cannot be framed. */
static uint8_t *
frame_pack(const ProtobufCMessage *msg, size_t *len)
{
	uint8_t	*buf;
	size_t	 size;

	size = protobuf_c_message_get_packed_size(msg);
	if (size == 0 || size > UINT32_MAX - FRAME_HEADER) {
		errno = EINVAL;
		return NULL;
	}
	if ((buf = malloc(FRAME_HEADER + size)) == NULL)
		return NULL;
	if (protobuf_c_message_pack(msg, buf + FRAME_HEADER) != size) {
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	frame_put_header(buf, (uint32_t)size);
	*len = FRAME_HEADER + size;
	return buf;
}

/* Pack a ClientMessage into a newly allocated frame. */
uint8_t *
frame_pack_client(const Runnel__V1__ClientMessage *msg, size_t *len)
{
	return frame_pack(&msg->base, len);
}

/* Pack a ServerMessage into a newly allocated frame. */
uint8_t *
frame_pack_server(const Runnel__V1__ServerMessage *msg, size_t *len)
{
	return frame_pack(&msg->base, len);
}

/* Describe a frame_parse result. */
const char *
frame_strerror(enum frame_result r)
{
	switch (r) {
	case FRAME_NEED_MORE:
		return "frame incomplete";
	case FRAME_OK:
		return "frame complete";
	case FRAME_EZERO:
		return "frame length is zero";
	case FRAME_ETOOBIG:
		return "frame larger than the limit";
	}
	return "unknown frame error";
}
