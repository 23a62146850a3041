/*
 * fuzz_frame.c - libFuzzer target: the frame decoder and ClientMessage
 * unpacking, as session.c runs them on a peer's bytes: every whole frame in
 * the input is parsed against the limit, unpacked, packed back and freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The default and the smallest frame limits both get the input. */
static void
fuzz_frames(const uint8_t *data, size_t size, uint32_t max)
{
	Runnel__V1__ClientMessage	*msg;
	enum frame_result		 r;
	uint32_t			 len;
	uint8_t				*out;
	size_t				 outlen;

	while (size >= FRAME_HEADER) {
		r = frame_parse(data, size, max, &len);
		if (r < 0) {
			if (frame_strerror(r) == NULL)
				abort();
			return;
		}
		if (r == FRAME_NEED_MORE)
			return;
		if (len == 0 || len > max || FRAME_HEADER + (size_t)len > size)
			abort();	/* frame_parse lied */
		msg = runnel__v1__client_message__unpack(NULL, len,
		    data + FRAME_HEADER);
		/* A message with every field at its default packs to
		 * nothing, which cannot be framed. */
		if (msg != NULL &&
		    runnel__v1__client_message__get_packed_size(msg) > 0) {
			out = frame_pack_client(msg, &outlen);
			if (out == NULL || outlen < FRAME_HEADER)
				abort();
			free(out);
		}
		if (msg != NULL) {
			runnel__v1__client_message__free_unpacked(msg, NULL);
		}
		data += FRAME_HEADER + len;
		size -= FRAME_HEADER + len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_frames(data, size, FRAME_DEFAULT_MAX);
	fuzz_frames(data, size, FRAME_MIN_MAX);
	return 0;
}
