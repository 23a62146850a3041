/*
 * output.h - what the files of the output module share: output.c (a
 * task's output log), output-spool.c (the thread that writes every log's
 * spool) and output-fd.c (when a spool file is open).  Private to them.
 */
#ifndef RUNNELD_OUTPUT_H
#define RUNNELD_OUTPUT_H

#include <sys/uio.h>

#include <pthread.h>

#include "runneld.h"

struct output_index {
	uint64_t	offset;
	uint64_t	pos;
};

/* A reader paused until its log has room (few at a time: allocated). */
struct output_waiter {
	struct output		*output;
	void			(*resume)(void *);
	void			*arg;
	TAILQ_ENTRY(output_waiter) entry;
};
TAILQ_HEAD(output_waiter_list, output_waiter);

/* Every task has one, queued tasks too: kept small (see task_add). */
struct output {
	int			 fd;		/* -1 until needed */
	uint8_t			 failed;	/* the spool could not be written */
	uint8_t			 removed;	/* retention removed the spool */
	uint8_t			 fresh;		/* no spool file made yet */
	uint8_t			 live;		/* a task writes it: fd stays */
	uint8_t			 reading;	/* fd on the readers' list */
	uint32_t		 alloc;		/* the ring's size, grows to cap */
	uint32_t		 cap;
	uint32_t		 ringlen;
	uint64_t		 size;		/* data bytes */
	uint64_t		 fsize;		/* spool bytes */
	uint8_t			*ring;		/* spool bytes [fsize - ringlen, fsize) */
	struct output_index	*index;
	size_t			 nindex;
	/* Retention: offsets [drop_off, drop_end_off) are a hole in the
	 * spool at [drop_pos, drop_end_pos); removed: no spool at all. */
	uint64_t		 drop_off;
	uint64_t		 drop_end_off;
	uint64_t		 drop_pos;
	uint64_t		 drop_end_pos;
	/* Of the hole, what the journal has (only that may be punched) and
	 * where the punched part of the spool ends. */
	uint64_t		 durable_end_off;
	uint64_t		 durable_end_pos;
	uint64_t		 punch_pos;

	/* With the writer thread, under output_writer.mtx: */
	uint64_t		 written;	/* spool bytes on disk */
	uint64_t		 published;	/* fsize as the writer may see it */
	int			 error;		/* the writer's errno */
	uint8_t			 queued;	/* on the dirty list */
	uint8_t			 busy;		/* being written */
	uint8_t			*writer_ring;	/* the ring being written from */
	uint8_t			*stale;		/* a replaced ring it still uses */
	TAILQ_ENTRY(output)	 dirty_entry;

	struct output_waiter	*waiter;	/* loop only: a paused reader */
	TAILQ_ENTRY(output)	 reader_entry;	/* loop only: see output_fd_read */
	char			 path[];
};
TAILQ_HEAD(output_list, output);

/* The spool writer thread's state: see output-spool.c. */
struct output_writer {
	int			 started;
	int			 stop;
	pthread_t		 thread;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct output_list	 dirty;
	int			 efd;
	int			 nwaiting;	/* readers waiting for room, and
						 * logs waiting to be released */
	struct event		*ev;
	struct event		*kick_ev;	/* wakes it for small output */
	struct event		*release_ev;	/* retries output_end's release */
	struct output		**releasing;	/* ended logs still being written */
	size_t			 nreleasing;
	struct output_waiter_list waiting;	/* loop only */
};
extern struct output_writer output_writer;

/* output.c */
/* Write the whole iovec to the spool at pos, retrying short writes. */
int	 output_write_spool(int, uint64_t, struct iovec *, int);
/* The spool cannot be written any more: the ring alone keeps output. */
void	 output_fail(struct output *, int, int64_t);

/* output-spool.c */
/* Hand the new bytes to the writer thread. */
void	 output_publish(struct output *);
/* Wait until the writer has written everything published. */
void	 output_flush_wait(struct output *);
/* Note bytes written from the loop. */
void	 output_mark_written(struct output *, uint64_t);
/* Forget a paused reader. */
void	 output_waiter_remove(struct output_waiter *);
/* A log being freed leaves the list of rings to release. */
void	 output_release_forget(struct output *);

/* output-fd.c */
/* The spool's fd for writing, opened (made) on first use; kept open. */
int	 output_fd_write(struct output *);
/* The spool's fd for reading: opened on demand, among the few kept. */
int	 output_fd_read(struct output *);
/* Close the log's spool, whoever opened it (the writer is done with it). */
void	 output_fd_close(struct output *);
/* Spools kept open for readers of logs no task writes (tests). */
size_t	 output_fd_count(void);

/* output.c, retention */
/* Punch what of the hole the journal has and the writer has written. */
void	 output_punch(struct output *);

#endif
