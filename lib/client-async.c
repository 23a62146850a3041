/*
 * client-async.c - librunnel on the caller's libevent loop: the socket's
 * events, and a zero timer for work that must not wait for the socket
 * (requests queued from outside the loop's callbacks, input left when a
 * read budget ran out).  Each wake-up runs client_io_service() once, which
 * reads a bounded amount, so other events of the loop get their turn
 * between two servings of a flooding connection.
 */

#include <poll.h>
#include <stdlib.h>

#include <event2/event.h>

#include "client.h"

/* The socket or the zero timer: serve the connection once. */
static void
client_async_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runnel_client	*c = arg;
	static const struct timeval zero;
	int			 more;

	(void)fd;
	(void)what;
	c->busy++;
	more = client_io_service(c);
	c->busy--;
	if (c->closing) {
		client_free(c);
		return;
	}
	if (more)
		event_add(c->ev_more, &zero);
	client_async_update(c);
}

/* (Re)create the socket's events when the fd changed (a TCP connect that
 * moved on to the next address). */
static int
client_async_events(struct runnel_client *c)
{
	if (c->ev_fd == c->fd && c->ev_read != NULL)
		return 0;
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	c->ev_fd = c->fd;
	if (c->fd == -1)
		return 0;
	if ((c->ev_read = event_new(c->base, c->fd, EV_READ | EV_PERSIST,
	    client_async_cb, c)) == NULL ||
	    (c->ev_write = event_new(c->base, c->fd, EV_WRITE | EV_PERSIST,
	    client_async_cb, c)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "cannot create events");
	return 0;
}

/* Watch the socket for what the transport now waits for. */
int
client_async_update(struct runnel_client *c)
{
	short	ev;
	int	r;

	if (c->base == NULL)
		return 0;
	if (c->ev_more == NULL && (c->ev_more = evtimer_new(c->base,
	    client_async_cb, c)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "cannot create events");
	if ((r = client_async_events(c)) != 0)
		return r;
	if (c->ev_read == NULL)
		return 0;
	ev = client_io_events(c);
	if (ev & POLLIN) {
		if (!event_pending(c->ev_read, EV_READ, NULL))
			event_add(c->ev_read, NULL);
	} else
		event_del(c->ev_read);
	if (ev & POLLOUT) {
		if (!event_pending(c->ev_write, EV_WRITE, NULL))
			event_add(c->ev_write, NULL);
	} else
		event_del(c->ev_write);
	return 0;
}

/* Something to send: serve the connection from the loop soon. */
void
client_async_kick(struct runnel_client *c)
{
	static const struct timeval zero;

	if (c->base != NULL && c->ev_more != NULL)
		event_add(c->ev_more, &zero);
}

/* Free the events of an async client. */
void
client_async_free(struct runnel_client *c)
{
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_more != NULL)
		event_free(c->ev_more);
	c->ev_read = c->ev_write = c->ev_more = NULL;
}

/* Start connecting on the caller's loop. */
int
runnel_connect_async(struct runnel_client **cp, struct event_base *base,
    const struct runnel_connect_opts *opts, runnel_done_cb on_connect,
    void *arg)
{
	int	r;

	if (base == NULL) {
		if (cp != NULL)
			*cp = NULL;
		return RUNNEL_EINVAL;
	}
	if ((r = client_start(cp, base, opts, on_connect, arg, NULL)) != 0)
		return r;
	client_async_kick(*cp);
	return 0;
}
