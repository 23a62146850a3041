/*
 * lag.c - the loop measuring itself.  A probe due every 10 ms runs at control
 * priority and notes how late the loop got to it: Status reports the last
 * figure, the worst since start and the 99th percentile over the last 1,000
 * probes (10 s).  lag_begin/lag_end time one callback and log it, naming the
 * task or connection it served, when it ran longer than lag_warn_ms.
 *
 * The probe is a timerfd watched by the loop, not an evtimer: libevent 2.1
 * keeps time with CLOCK_MONOTONIC_COARSE (4 ms ticks on these machines), so
 * its timers fire up to a tick early or late, noise as large as the lag we
 * want to see.  The kernel makes the timerfd readable on time, so what is
 * measured is only how long the loop took to notice.
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lag.h"
#include "log.h"
#include "runneld.h"

#define LAG_INTERVAL_NS		(10ULL * 1000 * 1000)
#define LAG_SAMPLES		1000
/* Kinds of slow callback (told apart by their format) rate-limited apart;
 * more share the last slot. */
#define LAG_KINDS		8
#define LAG_LOG_INTERVAL_NS	(1000ULL * 1000 * 1000)

static int		 lag_fd = -1;
static struct event	*lag_ev;
static int		 lag_running;	/* the loop has run the probe once */
static uint64_t		 lag_due_ns;	/* the oldest expiry not yet seen */
static uint64_t		 lag_ring[LAG_SAMPLES];	/* lateness, us */
static size_t		 lag_nsamples;
static size_t		 lag_head;
static uint64_t		 lag_cur_us;
static uint64_t		 lag_max_us;

/* When each kind of slow-callback line was last logged. */
static struct lag_kind {
	const char	*fmt;
	uint64_t	 last_ns;
	unsigned	 suppressed;
} lag_kinds[LAG_KINDS];

/* A timespec in nanoseconds. */
static uint64_t
lag_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000 + (uint64_t)ts->tv_nsec;
}

/* The monotonic clock in nanoseconds. */
static uint64_t
lag_now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return lag_ns(&ts);
}

/* Keep one probe's lateness. */
static void
lag_add(uint64_t late_us)
{
	lag_ring[lag_head] = late_us;
	lag_head = (lag_head + 1) % LAG_SAMPLES;
	if (lag_nsamples < LAG_SAMPLES)
		lag_nsamples++;
	if (late_us > lag_max_us)
		lag_max_us = late_us;
}

/* Set the probe to expire every LAG_INTERVAL_NS from now. */
static void
lag_arm(uint64_t now)
{
	struct itimerspec	its;

	lag_due_ns = now + LAG_INTERVAL_NS;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = lag_due_ns / 1000000000;
	its.it_value.tv_nsec = lag_due_ns % 1000000000;
	its.it_interval.tv_nsec = LAG_INTERVAL_NS;
	if (timerfd_settime(lag_fd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		fatal("timerfd_settime");
}

/* The probe is due: every expiry since the last run was late by the time
 * from that expiry to now, so a 100 ms stall counts as ten late probes (100,
 * 90 ... 10 ms), not one.  The first run only starts the clock: before it,
 * the loop was not running yet. */
static void
lag_probe_cb(evutil_socket_t fd, short events, void *arg)
{
	uint64_t	now, n, i, due;

	(void)events;
	(void)arg;
	if (read(fd, &n, sizeof n) != (ssize_t)sizeof n || n == 0)
		return;		/* EAGAIN: nothing expired after all */
	now = lag_now_ns();
	if (!lag_running) {
		lag_running = 1;
		lag_arm(now);
		return;
	}
	lag_cur_us = now > lag_due_ns ? (now - lag_due_ns) / 1000 : 0;
	if (n > LAG_SAMPLES) {
		lag_due_ns += (n - LAG_SAMPLES) * LAG_INTERVAL_NS;
		n = LAG_SAMPLES;
	}
	for (i = 0; i < n; i++) {
		due = lag_due_ns + i * LAG_INTERVAL_NS;
		lag_add(now > due ? (now - due) / 1000 : 0);
	}
	lag_due_ns += n * LAG_INTERVAL_NS;
	if (lag_cur_us > lag_max_us)
		lag_max_us = lag_cur_us;
}

/* Start probing the loop on server.base. */
void
lag_start(void)
{
	lag_running = 0;
	lag_nsamples = lag_head = 0;
	lag_cur_us = lag_max_us = 0;
	memset(lag_kinds, 0, sizeof lag_kinds);

	lag_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lag_fd == -1)
		fatal("timerfd_create");
	lag_arm(lag_now_ns());

	lag_ev = event_new(server.base, lag_fd, EV_READ | EV_PERSIST,
	    lag_probe_cb, NULL);
	if (lag_ev == NULL)
		fatalx("event_new failed");
	event_priority_set(lag_ev, PRI_CONTROL);
	event_add(lag_ev, NULL);
}

/* Stop probing. */
void
lag_stop(void)
{
	if (lag_ev != NULL) {
		event_free(lag_ev);
		lag_ev = NULL;
	}
	if (lag_fd != -1) {
		close(lag_fd);
		lag_fd = -1;
	}
}

/* Order lateness samples. */
static int
lag_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The last probe's lateness, the worst since start and the 99th percentile
 * (nearest rank) of the last LAG_SAMPLES, in microseconds. */
void
lag_stats(uint64_t *cur_us, uint64_t *max_us, uint64_t *p99_us)
{
	uint64_t	sorted[LAG_SAMPLES];
	size_t		n = lag_nsamples;

	*cur_us = lag_cur_us;
	*max_us = lag_max_us;
	*p99_us = 0;
	if (n == 0)
		return;
	memcpy(sorted, lag_ring, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, lag_cmp);
	*p99_us = sorted[(99 * n + 99) / 100 - 1];
}

/* Note when a callback begins. */
void
lag_begin(struct lag_mark *m)
{
	clock_gettime(CLOCK_MONOTONIC, &m->t);
}

/* The rate-limit slot of a kind of slow-callback line. */
static struct lag_kind *
lag_kind(const char *fmt)
{
	size_t	i;

	for (i = 0; i < LAG_KINDS - 1; i++) {
		if (lag_kinds[i].fmt == fmt)
			return &lag_kinds[i];
		if (lag_kinds[i].fmt == NULL) {
			lag_kinds[i].fmt = fmt;
			return &lag_kinds[i];
		}
	}
	return &lag_kinds[LAG_KINDS - 1];
}

/* A callback ends: log it, named by fmt, if it ran longer than lag_warn_ms;
 * at most one line per second for each kind. */
void
lag_end(const struct lag_mark *m, const char *fmt, ...)
{
	struct timespec	 ts;
	struct lag_kind	*k;
	uint64_t	 now, took;
	char		 what[256];
	va_list		 ap;

	if (server.conf == NULL || server.conf->lag_warn_ms == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = lag_ns(&ts);
	took = now - lag_ns(&m->t);
	if (took <= server.conf->lag_warn_ms * 1000000)
		return;

	k = lag_kind(fmt);
	if (k->last_ns != 0 && now - k->last_ns < LAG_LOG_INTERVAL_NS) {
		k->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (k->suppressed > 0)
		log_warnx("slow callback: %s took %lld ms (%u more not logged)",
		    what, (long long)(took / 1000000), k->suppressed);
	else
		log_warnx("slow callback: %s took %lld ms", what,
		    (long long)(took / 1000000));
	k->last_ns = now;
	k->suppressed = 0;
}
