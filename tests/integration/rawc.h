/*
 * rawc.h - a minimal client speaking the wire protocol directly, for tests
 * of daemon behaviour that must not depend on librunnel.
 */
#ifndef RAWC_H
#define RAWC_H

#include <stddef.h>
#include <stdint.h>

#include <runnel.pb-c.h>

#include "harness.h"

struct rawc {
	int		fd;
	uint64_t	next_id;
};

/* Connect to the harness daemon's unix socket and say hello. */
void	 rawc_open(struct rawc *, struct harness *);
void	 rawc_close(struct rawc *);
/* Send a message (its id is set); returns the id. */
uint64_t rawc_send(struct rawc *, Runnel__V1__ClientMessage *);
/* Read the next message (any id); NULL at EOF. */
Runnel__V1__ServerMessage *rawc_recv(struct rawc *);
/* Send and read replies until one has the same id. */
Runnel__V1__ServerMessage *rawc_call(struct rawc *, Runnel__V1__ClientMessage *);
void	 rawc_free(Runnel__V1__ServerMessage *);

/* A spec for argv (NULL-terminated); free with rawc_spec_free. */
Runnel__V1__TaskSpec *rawc_spec(const char *const *argv);
void	 rawc_spec_add_label(Runnel__V1__TaskSpec *, const char *, const char *);
void	 rawc_spec_free(Runnel__V1__TaskSpec *);
/* Submit: the id, or 0 with *code set to the error. */
uint64_t rawc_submit(struct rawc *, Runnel__V1__TaskSpec *, int *code);
/* A task's description (the message owns it). */
Runnel__V1__ServerMessage *rawc_show(struct rawc *, uint64_t id);
/* Wait for ids with a mode; the WaitReply message. */
Runnel__V1__ServerMessage *rawc_wait(struct rawc *, const uint64_t *, size_t,
	    int mode, int cancel_rest, uint64_t timeout_ms);
/* Queue operation. */
Runnel__V1__ServerMessage *rawc_queue(struct rawc *, int op, const char *name,
	    int max_running);

#endif
