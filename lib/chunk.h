/*
 * chunk.h - the one codec of a ServerMessage carrying an OutputChunk,
 * shared by runneld's watch (which packs it straight into a session's
 * output buffer, the data behind the head) and librunnel (which decodes it
 * in place, the data left in its input buffer).  See chunk.c.
 */
#ifndef RUNNEL_CHUNK_H
#define RUNNEL_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include <runnel.pb-c.h>

/* Field numbers (runnel.proto) and wire types the codec packs and reads. */
#define CHUNK_WIRE_VARINT	0
#define CHUNK_WIRE_LEN		2
#define CHUNK_MSG_ID		1	/* ServerMessage.id */
#define CHUNK_MSG_OUTPUT	13	/* ServerMessage.output */
#define CHUNK_TASK_ID		1	/* OutputChunk fields */
#define CHUNK_STREAM		2
#define CHUNK_OFFSET		3
#define CHUNK_DATA		4
#define CHUNK_TIME_US		5

/* What a ServerMessage carrying an OutputChunk says, but for the data. */
struct chunk_head {
	uint64_t	id;		/* ServerMessage.id */
	uint64_t	task_id;
	int		stream;
	uint64_t	offset;
	int64_t		time_us;
	size_t		len;		/* bytes of data */
};

/* Bytes of the whole message, head and len bytes of data. */
size_t	 chunk_encoded_len(const struct chunk_head *);
/* Pack the message's head at p (chunk_encoded_len() - len bytes); returns
 * where the len bytes of data go, which end the message. */
uint8_t	*chunk_encode_head(uint8_t *p, const struct chunk_head *);
/* Decode a ServerMessage carrying an OutputChunk without copying its data:
 * 1, or 0 if the payload is anything else (protobuf-c's to decode). */
int	 chunk_decode(const uint8_t *, size_t, Runnel__V1__ServerMessage *,
	    Runnel__V1__OutputChunk *);

#endif
