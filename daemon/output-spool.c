/*
 * output-spool.c - the spool writer thread of the output logs (output.c): it
 * writes every log's new records to its spool file, off the loop.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"
#include "output.h"

/* Microseconds a flood's backlog under half the ring waits for the writer
 * thread; a backlog under OUTPUT_WAKE_SMALL bytes does not wait. */
#define OUTPUT_KICK_US		1000
#define OUTPUT_WAKE_SMALL	4096
/* Seconds between tries to release an ended log's ring. */
#define OUTPUT_RELEASE_SECS	1

/*
 * The spool writer: one thread writes every log's new records to its file,
 * so that a disk that stalls (ext4 writeback can hold a write for tens of
 * milliseconds) never stalls the loop.  The ring is the write buffer: the
 * loop never lets a log's unwritten bytes grow past the ring, so the writer
 * reads them from the ring in place, and a task whose backlog is full stops
 * being read until the writer catches up: the child then blocks on its
 * pipe, the back-pressure a terminal gives.
 *
 * Waking a thread costs about as much as writing 64 KiB: under a flood the
 * writer is woken when a log's backlog reaches half its ring, or by a
 * timer a millisecond later, and it tells the loop of its progress only
 * while a reader waits for room.
 */
struct output_writer output_writer;

static void	output_writer_cb(evutil_socket_t, short, void *);

/* Hand the new bytes to the writer thread. */
void
output_publish(struct output *o)
{
	struct timeval	tv = { 0, OUTPUT_KICK_US };
	int		wake;

	if (!output_writer.started || o->failed)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	o->published = o->fsize;
	if (!o->queued && !o->busy && o->written < o->published) {
		TAILQ_INSERT_TAIL(&output_writer.dirty, o, dirty_entry);
		o->queued = 1;
	}
	/* A flood waits for half a ring or the timer; a line or two goes
	 * to disk at once. */
	wake = o->published - o->written >= o->cap / 2 ||
	    o->published - o->written < OUTPUT_WAKE_SMALL;
	if (wake)
		pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
	if (!wake && !evtimer_pending(output_writer.kick_ev, NULL))
		evtimer_add(output_writer.kick_ev, &tv);
}

/* Wake the writer for what small output is waiting. */
static void
output_kick_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	pthread_mutex_lock(&output_writer.mtx);
	if (!TAILQ_EMPTY(&output_writer.dirty))
		pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
}

/* Wait until the writer has written everything published (rare: only a
 * notice that finds the ring full of unwritten bytes). */
void
output_flush_wait(struct output *o)
{
	if (!output_writer.started)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	if (o->queued)
		pthread_cond_signal(&output_writer.cond);
	while (o->busy || o->queued)
		pthread_cond_wait(&output_writer.cond, &output_writer.mtx);
	pthread_mutex_unlock(&output_writer.mtx);
}

/* Note bytes written from the loop. */
void
output_mark_written(struct output *o, uint64_t end)
{
	if (output_writer.started)
		pthread_mutex_lock(&output_writer.mtx);
	o->written = o->published = end;
	if (output_writer.started)
		pthread_mutex_unlock(&output_writer.mtx);
}

/* Bytes that can be appended before the ring would overwrite bytes the
 * writer has not written yet. */
size_t
output_room(struct output *o)
{
	uint64_t	backlog;

	int		error;

	if (!output_writer.started || o->failed)
		return o->cap;
	pthread_mutex_lock(&output_writer.mtx);
	if ((error = o->error) != 0)
		o->written = o->published = o->fsize;
	o->error = 0;
	backlog = o->fsize - o->written;
	pthread_mutex_unlock(&output_writer.mtx);
	if (error != 0) {
		errno = error;
		log_warn("%s: spool write failed, keeping only the tail",
		    o->path);
		output_fail(o, error, server_now_us());
		return o->cap;
	}
	return backlog >= o->cap ? 0 : o->cap - backlog;
}

/* The most a pipe read may add to the log at once: a quarter of its ring. */
size_t
output_read_budget(const struct output *o)
{
	return o->cap / 4;
}

/* The room a paused reader waits for: a read and its record header. */
size_t
output_room_min(const struct output *o)
{
	return output_read_budget(o) + 64;
}

/* The task floods: let its ring grow to OUTPUT_FLOOD_TAIL. */
void
output_flood(struct output *o)
{
	if (o->cap < OUTPUT_FLOOD_TAIL)
		o->cap = OUTPUT_FLOOD_TAIL;
}

/* Free a log's ring and close its spool once the writer has written
 * everything (reads then go to the spool, opened again for them); a log
 * whose spool failed keeps its ring.  1 if done. */
static int
output_release(struct output *o)
{
	int	idle = 1;

	/* A write error the writer met fails the log (with its notice)
	 * rather than keep it waiting for bytes that never go to disk. */
	(void)output_room(o);
	if (output_writer.started) {
		pthread_mutex_lock(&output_writer.mtx);
		idle = !o->busy && !o->queued &&
		    (o->failed || o->written == o->fsize);
		pthread_mutex_unlock(&output_writer.mtx);
	}
	if (!idle)
		return 0;
	output_punch(o);	/* what the hole still has on disk */
	if (!o->failed) {
		free(o->ring);
		o->ring = NULL;
		o->alloc = o->ringlen = 0;
		o->cap = OUTPUT_TAIL;
	}
	output_fd_close(o);
	return 1;
}

/* Count one more (or one fewer) on the loop that the writer must tell of
 * its progress: a paused reader, or an ended log still being written. */
static void
output_waiting_add(int n)
{
	pthread_mutex_lock(&output_writer.mtx);
	output_writer.nwaiting += n;
	pthread_mutex_unlock(&output_writer.mtx);
}

/* Retry the releases that waited for the writer: when it tells of its
 * progress, and every OUTPUT_RELEASE_SECS in case it did not. */
static void
output_release_retry(void)
{
	size_t	i = 0;

	while (i < output_writer.nreleasing) {
		if (output_release(output_writer.releasing[i])) {
			output_writer.releasing[i] = output_writer.releasing[
			    --output_writer.nreleasing];
			output_waiting_add(-1);
		} else
			i++;
	}
}

/* The release timer. */
static void
output_release_cb(evutil_socket_t fd, short events, void *arg)
{
	struct timeval	tv = { OUTPUT_RELEASE_SECS, 0 };

	(void)fd;
	(void)events;
	(void)arg;
	output_release_retry();
	if (output_writer.nreleasing > 0)
		evtimer_add(output_writer.release_ev, &tv);
}

/*
 * The task will write no more (for now: a retry writes again): its log
 * keeps no ring (up to OUTPUT_FLOOD_TAIL bytes) and no descriptor once
 * the spool has everything, so that a finished task costs no output
 * memory however much it wrote, and no descriptor: 300 finished tasks
 * held 300 spools open, and a few hundred more would have left runneld
 * none to start tasks with.
 */
void
output_end(struct output *o)
{
	struct timeval	tv = { OUTPUT_RELEASE_SECS, 0 };
	size_t		i;

	output_punch(o);
	for (i = 0; i < output_writer.nreleasing; i++)
		if (output_writer.releasing[i] == o)
			return;
	/* Counted before the try, so that a write the writer ends after
	 * it still wakes the loop (the descriptor is closed then, not a
	 * second later). */
	if (output_writer.started)
		output_waiting_add(1);
	if (output_release(o)) {
		if (output_writer.started)
			output_waiting_add(-1);
		return;
	}
	output_writer.releasing = xreallocarray(output_writer.releasing,
	    output_writer.nreleasing + 1, sizeof *output_writer.releasing);
	output_writer.releasing[output_writer.nreleasing++] = o;
	if (!evtimer_pending(output_writer.release_ev, NULL))
		evtimer_add(output_writer.release_ev, &tv);
}

/* A log being freed leaves the list of rings to release. */
void
output_release_forget(struct output *o)
{
	size_t	i;

	for (i = 0; i < output_writer.nreleasing; i++)
		if (output_writer.releasing[i] == o) {
			output_writer.releasing[i] = output_writer.releasing[
			    --output_writer.nreleasing];
			output_waiting_add(-1);
			return;
		}
}

/* Call resume(arg) on the loop once the log has room again. */
void
output_wait_room(struct output *o, void (*resume)(void *), void *arg)
{
	if (output_room(o) >= output_room_min(o)) {
		resume(arg);
		return;
	}
	if (o->waiter == NULL) {
		o->waiter = xcalloc(1, sizeof *o->waiter);
		o->waiter->output = o;
		TAILQ_INSERT_TAIL(&output_writer.waiting, o->waiter, entry);
		/* The backlog is over half the ring: the writer is awake. */
		output_waiting_add(1);
	}
	o->waiter->resume = resume;
	o->waiter->arg = arg;
	/* The writer may have finished before it could see the waiter. */
	if (output_room(o) >= output_room_min(o))
		output_writer_cb(-1, 0, NULL);
}

/* Forget the paused reader that waits with arg, if it does (its reader is
 * going away). */
void
output_wait_cancel(struct output *o, void *arg)
{
	if (o->waiter != NULL && o->waiter->arg == arg)
		output_waiter_remove(o->waiter);
}

/* Forget a paused reader. */
void
output_waiter_remove(struct output_waiter *w)
{
	TAILQ_REMOVE(&output_writer.waiting, w, entry);
	w->output->waiter = NULL;
	output_waiting_add(-1);
	free(w);
}

/* The writer thread. */
static void *
output_writer_main(void *arg)
{
	struct output	*o;
	struct iovec	 iov[2];
	uint64_t	 start, end, one = 1;
	size_t		 at, n, first, alloc;
	uint8_t		*ring;
	int		 error;

	(void)arg;
	pthread_mutex_lock(&output_writer.mtx);
	for (;;) {
		while (!output_writer.stop && TAILQ_EMPTY(&output_writer.dirty))
			pthread_cond_wait(&output_writer.cond,
			    &output_writer.mtx);
		if ((o = TAILQ_FIRST(&output_writer.dirty)) == NULL)
			break;	/* stopping, and everything is written */
		TAILQ_REMOVE(&output_writer.dirty, o, dirty_entry);
		o->queued = 0;
		o->busy = 1;
		start = o->written;
		end = o->published;
		ring = o->writer_ring = o->ring;
		alloc = o->alloc;
		pthread_mutex_unlock(&output_writer.mtx);

		/* [start, end) is in the ring and the loop does not touch
		 * it until written moves past it (a ring that grows is
		 * copied, and the old one kept until this write is done). */
		n = end - start;
		at = start % alloc;
		first = alloc - at < n ? alloc - at : n;
		iov[0].iov_base = ring + at;
		iov[0].iov_len = first;
		iov[1].iov_base = ring;
		iov[1].iov_len = n - first;
		error = output_write_spool(o->fd, start, iov, 2) == -1 ?
		    errno : 0;

		pthread_mutex_lock(&output_writer.mtx);
		o->busy = 0;
		o->writer_ring = NULL;
		free(o->stale);
		o->stale = NULL;
		if (error != 0)
			o->error = error;
		else
			o->written = end;
		if (error == 0 && o->written < o->published && !o->queued) {
			TAILQ_INSERT_TAIL(&output_writer.dirty, o, dirty_entry);
			o->queued = 1;
		}
		pthread_cond_broadcast(&output_writer.cond);
		if (output_writer.nwaiting > 0 &&
		    write(output_writer.efd, &one, sizeof one) == -1) {
			/* An eventfd counter does not fill up. */
		}
	}
	pthread_mutex_unlock(&output_writer.mtx);
	return NULL;
}

/* The writer made progress: take its errors, resume paused readers. */
static void
output_writer_cb(evutil_socket_t fd, short events, void *arg)
{
	struct output_waiter	*w, *w1;
	void			(*resume)(void *);
	void			*resume_arg;
	uint64_t		 n;

	(void)events;
	(void)arg;
	if (fd != -1 && read(fd, &n, sizeof n) == -1 && errno != EAGAIN)
		log_warn("output: eventfd");
	TAILQ_FOREACH_SAFE(w, &output_writer.waiting, entry, w1) {
		if (output_room(w->output) >= output_room_min(w->output)) {
			resume = w->resume;
			resume_arg = w->arg;
			output_waiter_remove(w);
			resume(resume_arg);
		}
	}
	output_release_retry();
}

/* Start the writer thread. */
void
output_writer_start(void)
{
	TAILQ_INIT(&output_writer.dirty);
	TAILQ_INIT(&output_writer.waiting);
	pthread_mutex_init(&output_writer.mtx, NULL);
	pthread_cond_init(&output_writer.cond, NULL);
	output_writer.ev = server_wakeup_new(&output_writer.efd,
	    output_writer_cb);
	output_writer.kick_ev = evtimer_new(server.base, output_kick_cb, NULL);
	output_writer.release_ev = evtimer_new(server.base, output_release_cb,
	    NULL);
	if (pthread_create(&output_writer.thread, NULL, output_writer_main,
	    NULL) != 0)
		fatalx("pthread_create failed");
	output_writer.started = 1;
}

/* Write out what is left and stop the thread. */
void
output_writer_stop(void)
{
	if (!output_writer.started)
		return;
	pthread_mutex_lock(&output_writer.mtx);
	output_writer.stop = 1;
	pthread_cond_signal(&output_writer.cond);
	pthread_mutex_unlock(&output_writer.mtx);
	pthread_join(output_writer.thread, NULL);
	output_writer.started = 0;
	event_free(output_writer.ev);
	event_free(output_writer.kick_ev);
	event_free(output_writer.release_ev);
	free(output_writer.releasing);
	output_writer.releasing = NULL;
	output_writer.nwaiting -= output_writer.nreleasing;
	output_writer.nreleasing = 0;
	close(output_writer.efd);
}
