/*
 * fuzz_session.h - what the session fuzzer's two files share.
 */
#ifndef FUZZ_SESSION_H
#define FUZZ_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* The message types fuzz_session_msg_build makes, by a step's first
 * byte; type 0 is Hello. */
#define FUZZ_SESSION_MSG_TYPES	12

/* fuzz_session_msg.c */
int	fuzz_session_msg_build(const uint8_t *, size_t, const uint64_t *ids,
	    size_t nids, uint64_t *next_req, Runnel__V1__ClientMessage *);

#endif
