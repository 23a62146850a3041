/*
 * output-fd.c - when an output log's spool file is open.  A task's spool
 * is opened with its first output and stays open while the task writes
 * (the writer thread needs it); it is closed once the task has ended and
 * the writer has written all of it (output-spool.c's output_end).  Spools
 * no task writes are opened only to be read, and kept open for the next
 * read among the OUTPUT_READ_FDS most recently read: the least recently
 * read is closed past that.  Finished tasks thus cost no descriptor however many
 * there are and however many of them are read (every finished task that
 * wrote output used to keep its spool open: 300 tasks, 300 descriptors),
 * and a reader that comes back after its log was closed opens it again.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"
#include "output.h"

#define OUTPUT_READ_FDS		32

/* The spools kept open for readers, the most recently read first. */
static struct output_list	output_fd_readers =
				    TAILQ_HEAD_INITIALIZER(output_fd_readers);
static size_t			output_fd_nreaders;

/* Take a log off the readers' list; its fd stays open. */
static void
output_fd_unlist(struct output *o)
{
	TAILQ_REMOVE(&output_fd_readers, o, reader_entry);
	output_fd_nreaders--;
	o->reading = 0;
}

/* Close every spool kept open for readers; 1 if there was one. */
static int
output_fd_shed(void)
{
	struct output	*o;
	int		 shed = 0;

	while ((o = TAILQ_FIRST(&output_fd_readers)) != NULL) {
		output_fd_close(o);
		shed = 1;
	}
	return shed;
}

/* Open a spool; out of descriptors, give back those kept for readers and
 * try once more.  -1 with errno set if it cannot be opened. */
static int
output_fd_open(const char *path, int flags)
{
	int	fd;

	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EMFILE || errno == ENFILE) &&
	    output_fd_shed())
		fd = open(path, flags | O_CLOEXEC, 0600);
	return fd;
}

/* The spool's fd for writing, opened on first use: a queued task, or a
 * finished one nobody reads, holds no descriptor (100,000 queued tasks
 * would otherwise need as many).  A new log's file is made (or an old one
 * of the same name emptied) only then: a task that prints nothing costs no
 * file.  The fd stays open until the task ends. */
int
output_fd_write(struct output *o)
{
	if (o->fd == -1) {
		o->fd = output_fd_open(o->path, O_RDWR | O_CREAT |
		    (o->fresh ? O_TRUNC : 0));
		if (o->fd == -1) {
			log_warn("%s: open", o->path);
			return -1;
		}
		o->fresh = 0;
	}
	/* Read before it was written again (a retry): the writer's now. */
	if (o->reading)
		output_fd_unlist(o);
	o->live = 1;
	return o->fd;
}

/* The spool's fd for reading (or punching): the writer's while a task
 * writes the log, else opened on demand and kept among the most recently
 * read.  -1 with errno set if the file cannot be opened (removed from
 * under runneld, out of descriptors): a read never makes it again. */
int
output_fd_read(struct output *o)
{
	if (o->live)
		return o->fd;
	if (o->fd != -1) {
		if (TAILQ_FIRST(&output_fd_readers) != o) {
			TAILQ_REMOVE(&output_fd_readers, o, reader_entry);
			TAILQ_INSERT_HEAD(&output_fd_readers, o, reader_entry);
		}
		return o->fd;
	}
	if (o->fresh) {
		errno = ENOENT;		/* nothing was ever written */
		return -1;
	}
	if ((o->fd = output_fd_open(o->path, O_RDWR)) == -1)
		return -1;
	TAILQ_INSERT_HEAD(&output_fd_readers, o, reader_entry);
	o->reading = 1;
	if (++output_fd_nreaders > OUTPUT_READ_FDS)
		output_fd_close(TAILQ_LAST(&output_fd_readers, output_list));
	return o->fd;
}

/* Close the log's spool, whoever opened it (the writer is done with it):
 * opened again when it is read or written. */
void
output_fd_close(struct output *o)
{
	if (o->reading)
		output_fd_unlist(o);
	if (o->fd != -1) {
		close(o->fd);
		o->fd = -1;
	}
	o->live = 0;
}

/* Spools kept open for readers of logs no task writes. */
size_t
output_fd_count(void)
{
	return output_fd_nreaders;
}
