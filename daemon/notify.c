/*
 * notify.c - tell the service manager how runneld is doing: READY=1 once
 * the listeners are up and the journal is replayed, RELOADING=1 during a
 * SIGHUP, STOPPING=1 at shutdown, and STATUS= with the task counts while
 * they change.
 *
 * This is sd_notify's datagram protocol, spoken directly: the socket is
 * taken from NOTIFY_SOCKET once at start-up and the variable is removed,
 * so tasks do not inherit it (a task could otherwise claim to be us), and
 * every send is non-blocking: a busy manager loses a STATUS, never stalls
 * the loop.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"

/* Seconds between checks whether STATUS= needs sending again. */
#define NOTIFY_STATUS_INTERVAL	1

static int			 notify_fd = -1;
static struct sockaddr_un	 notify_sun;
static socklen_t		 notify_sunlen;
static struct event		*notify_timer;
static char			 notify_last[256];

/* Take NOTIFY_SOCKET from the environment (and out of it). */
void
notify_init(void)
{
	const char	*env = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (env == NULL || (*env != '/' && *env != '@'))
		goto out;
	len = strlen(env);
	if (len >= sizeof notify_sun.sun_path) {
		log_warnx("NOTIFY_SOCKET too long, not notifying");
		goto out;
	}
	memset(&notify_sun, 0, sizeof notify_sun);
	notify_sun.sun_family = AF_UNIX;
	memcpy(notify_sun.sun_path, env, len);
	if (*env == '@')
		notify_sun.sun_path[0] = '\0';	/* abstract namespace */
	notify_sunlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len + (*env == '@' ? 0 : 1));
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (notify_fd == -1)
		log_warn("notify socket");
out:
	unsetenv("NOTIFY_SOCKET");
}

/* Send one message of NAME=value lines; quietly nothing without a
 * manager. */
static void __attribute__((format(printf, 1, 2)))
notify_send(const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;
	int	n;

	if (notify_fd == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	if (sendto(notify_fd, msg, (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_sun, notify_sunlen) == -1 &&
	    errno != EAGAIN)
		log_debug("notify: %s", strerror(errno));
}

/* The current STATUS= text. */
static void
notify_status_text(char *buf, size_t len)
{
	snprintf(buf, len, "%s%u running, %u queued, %u finished, %u "
	    "connections", server.shutting_down ? "shutting down: " : "",
	    server.nrunning, server.nqueued, server.nfinished,
	    server.nsessions);
}

/* Send STATUS= if it changed since the last one. */
static void
notify_status(void)
{
	char	text[sizeof notify_last];

	notify_status_text(text, sizeof text);
	if (strcmp(text, notify_last) == 0)
		return;
	memcpy(notify_last, text, sizeof notify_last);
	notify_send("STATUS=%s", text);
}

/* The periodic STATUS= refresh. */
static void
notify_timer_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	notify_status();
}

/* Ready: listeners up, journal replayed (also the end of a reload). */
void
notify_ready(void)
{
	struct timeval	tv = { NOTIFY_STATUS_INTERVAL, 0 };

	notify_status_text(notify_last, sizeof notify_last);
	notify_send("READY=1\nSTATUS=%s\nMAINPID=%ld", notify_last,
	    (long)getpid());
	if (notify_fd != -1 && notify_timer == NULL) {
		notify_timer = event_new(server.base, -1, EV_PERSIST,
		    notify_timer_cb, NULL);
		evtimer_add(notify_timer, &tv);
	}
}

/* A reload (SIGHUP) begins; notify_ready ends it. */
void
notify_reloading(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
}

/* Shutdown begins. */
void
notify_stopping(void)
{
	notify_status_text(notify_last, sizeof notify_last);
	notify_send("STOPPING=1\nSTATUS=%s", notify_last);
}

/* Close the socket and stop the timer. */
void
notify_free(void)
{
	if (notify_timer != NULL) {
		event_free(notify_timer);
		notify_timer = NULL;
	}
	if (notify_fd != -1) {
		close(notify_fd);
		notify_fd = -1;
	}
}
