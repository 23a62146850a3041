/*
 * client-pump.c - the stdin pump of runnel_run with send_stdin: it sends
 * what a file descriptor gives as Stdin requests during the run's watch,
 * one in flight at a time; the daemon answers each once the task's input
 * buffer has room, and the answers come to client_pump_msg() among the
 * watch's own messages.  The pump plugs into the blocking driver as a
 * hook (struct client_hook): the transport's wait polls the pump's fd
 * through it and the driver's loop gives it its turn, without either
 * knowing what a pump is.
 */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static int	client_pump_wants(const struct runnel_client *);
static int	client_pump_fd(const struct runnel_client *);
static int	client_pump_read(struct runnel_client *);
static int	client_pump_poll(struct runnel_client *);
static int	client_pump_error(const struct runnel_client *);

/* The pump as the blocking driver sees it. */
static const struct client_hook client_pump_hook = {
	.fd = client_pump_fd,
	.ready = client_pump_read,
	.poll = client_pump_poll,
	.error = client_pump_error,
};

/* Start sending fd as the stdin of task id during the watch. */
void
client_pump_start(struct runnel_client *c, int fd, uint64_t id)
{
	c->pump_fd = fd;
	c->pump_task = id;
	c->pump_req = 0;
	c->pump_eof = 0;
	c->pump_error = 0;
	c->hook = fd == -1 ? NULL : &client_pump_hook;
}

/* Stop the pump; a reply still to come is then skipped like any other. */
void
client_pump_stop(struct runnel_client *c)
{
	client_pump_start(c, -1, 0);
}

/* Is the pump ready for more input from its fd? */
static int
client_pump_wants(const struct runnel_client *c)
{
	return (c->pump_fd != -1 && c->pump_req == 0 && !c->pump_eof &&
	    c->pump_error == 0);
}

/* The fd the driver waits for beside the socket: the pump's while it
 * wants input, else -1. */
static int
client_pump_fd(const struct runnel_client *c)
{
	return client_pump_wants(c) ? c->pump_fd : -1;
}

/* The error the daemon's answer left, which ends the watch; or 0. */
static int
client_pump_error(const struct runnel_client *c)
{
	return c->pump_error;
}

/* The daemon's answer to the pump's request in flight (if the pump still
 * runs: a late one is skipped).  An Error ends the pump and, through
 * pump_error, the watch. */
static int
client_pump_msg(struct runnel_client *c, struct client_req *req,
    server_msg **mp, int error)
{
	if (c->pump_fd == -1 || c->pump_req != req->id)
		return 1;
	c->pump_req = 0;
	if (mp == NULL)
		c->pump_error = error;
	else if ((*mp)->reply_case == RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR)
		c->pump_error = client_error(c, (*mp)->error);
	else if ((*mp)->reply_case != RUNNEL__V1__SERVER_MESSAGE__REPLY_STDIN)
		c->pump_error = client_fail(c, RUNNEL_EPROTO,
		    "unexpected reply %d to stdin", (int)(*mp)->reply_case);
	return 1;
}

/* Read once from the pump's fd (it was found readable) and send what it
 * gave, or the end of file. */
static int
client_pump_read(struct runnel_client *c)
{
	Runnel__V1__StdinRequest	 sr;
	struct client_req		*req;
	uint8_t				*buf;
	ssize_t				 n;
	int				 r;

	if (!client_pump_wants(c))
		return 0;
	if ((buf = malloc(CLIENT_STDIN_CHUNK)) == NULL)
		return client_fail(c, RUNNEL_ENOMEM, "out of memory");
	n = read(c->pump_fd, buf, CLIENT_STDIN_CHUNK);
	if (n == -1) {
		r = 0;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			r = client_fail(c, RUNNEL_EIO, "read stdin: %s",
			    strerror(errno));
		free(buf);
		return r;
	}
	client_stdin_request(&sr, c->pump_task, buf, (size_t)n, n == 0);
	if ((r = client_req_new(c, client_pump_msg, NULL, &req)) == 0)
		r = client_req_send(c, req,
		    RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STDIN, &sr);
	free(buf);
	if (r != 0)
		return r;
	c->pump_req = req->id;
	c->pump_eof = n == 0;
	return 0;
}

/* Read from the pump's fd if it has input now, without waiting. */
static int
client_pump_poll(struct runnel_client *c)
{
	struct pollfd	pfd;

	if (!client_pump_wants(c))
		return 0;
	pfd.fd = c->pump_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0 || pfd.revents == 0)
		return 0;
	return client_pump_read(c);
}
