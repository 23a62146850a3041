/*
 * watchers.c - many watchers of one chatty task (bench/watchers.sh runs it).
 *
 * watchers --chatty SIZE RATE: the task itself: SIZE bytes of numbered
 *	lines to stdout, 4 KiB per write, paced to RATE bytes per second on
 *	absolute deadlines (so a task that is slowed down shows it).
 * watchers [-H HOST] [--ca F --cert F --key F] --count N [--size SIZE]
 *	[--rate RATE] [--time-limit SECONDS]: first the task runs with no
 *	watcher but its submitter (how long it takes alone); then N clients,
 *	each on its own connection and thread, watch a second run from its
 *	start, at four paces (no delay, and 0.3, 1.2 or 2.7 ms per chunk
 *	received).  Every watcher checks offsets and stream and takes a
 *	FNV-1a checksum of what it got; all must equal the bytes the task
 *	writes.  Prints one line of key=value figures; exits 1 if a watcher
 *	got other bytes or failed, 2 on bad usage or time limit.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runnel.h"
#include "util.h"

#define WATCHERS_WRITE		4096
#define WATCHERS_STACK		(256 * 1024)

struct watchers_client {
	pthread_t		 thread;
	unsigned		 index;
	unsigned		 delay_us;	/* per chunk received */
	uint64_t		 bytes;
	uint64_t		 sum;		/* FNV-1a of the bytes */
	int			 bad;		/* a gap, overlap or wrong stream */
	int			 rc;
	enum runnel_state	 state;
	double			 done;		/* when its watch ended */
	char			 error[200];
};

static struct runnel_connect_opts	 watchers_opts;
static pthread_barrier_t		 watchers_ready;
static pthread_barrier_t		 watchers_go;
static uint64_t				 watchers_task;

/* Print a message and exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
watchers_die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "watchers: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* Fold bytes into a FNV-1a checksum. */
static uint64_t
watchers_fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The task's bytes [off, off + n): numbered lines of 64 bytes. */
static void
watchers_content(uint64_t off, uint8_t *buf, size_t n)
{
	char		line[65];
	uint64_t	i;
	size_t		at;

	for (i = 0; i < n; i += 64 - at) {
		at = (off + i) % 64;
		snprintf(line, sizeof line, "%020" PRIu64 " runnel watchers "
		    "bench: same bytes for all.\n", (off + i) / 64);
		memcpy(buf + i, line + at, n - i < 64 - at ? n - i : 64 - at);
	}
}

/* Parse a byte count with an optional K, M or G suffix. */
static uint64_t
watchers_size(const char *s)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		watchers_die("bad size '%s'", s);
	switch (*end) {
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end != '\0' || v == 0)
		watchers_die("bad size '%s'", s);
	return v;
}

/* The task: SIZE bytes at RATE bytes/s to stdout. */
static int
watchers_chatty(uint64_t size, uint64_t rate)
{
	static uint8_t	buf[WATCHERS_WRITE];
	struct timespec	start, at;
	uint64_t	off = 0, ns;
	size_t		n;
	ssize_t		w;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (off < size) {
		n = size - off < sizeof buf ? size - off : sizeof buf;
		watchers_content(off, buf, n);
		/* The deadline of this write: off bytes into the run. */
		ns = off * 1000000000ULL / rate;
		at.tv_sec = start.tv_sec + (start.tv_nsec + ns) / 1000000000;
		at.tv_nsec = (start.tv_nsec + ns) % 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
		    NULL) == EINTR)
			;
		for (size_t done = 0; done < n; done += w) {
			w = write(1, buf + done, n - done);
			if (w == -1)
				return 1;
		}
		off += n;
	}
	return 0;
}

/* One chunk of output for one watcher. */
static int
watchers_output(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct watchers_client	*wc = arg;
	struct timespec		 ts;

	(void)time_us;
	if (task_id != watchers_task || stream != RUNNEL_STDOUT ||
	    offset != wc->bytes) {
		wc->bad = 1;
		return 1;
	}
	wc->sum = watchers_fnv(wc->sum, data, len);
	wc->bytes += len;
	if (wc->delay_us > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = wc->delay_us * 1000L;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* The watched task ended. */
static int
watchers_end(void *arg, const struct runnel_task *t)
{
	struct watchers_client	*wc = arg;

	wc->state = t->state;
	return 0;
}

/* One watcher: connect, wait for the task, watch it to its end. */
static void *
watchers_client_main(void *arg)
{
	struct watchers_client		*wc = arg;
	struct runnel_client		*c = NULL;
	struct runnel_watch_opts	 w;
	uint64_t			 id;

	wc->sum = 0xcbf29ce484222325ULL;
	wc->rc = runnel_connect(&c, &watchers_opts);
	if (wc->rc != 0)
		snprintf(wc->error, sizeof wc->error, "connect: %s",
		    runnel_last_error(NULL));
	pthread_barrier_wait(&watchers_ready);
	pthread_barrier_wait(&watchers_go);
	if (wc->rc != 0)
		return NULL;
	id = watchers_task;
	memset(&w, 0, sizeof w);
	w.ids = &id;
	w.nids = 1;
	w.on_output = watchers_output;
	w.on_end = watchers_end;
	w.arg = wc;
	wc->rc = runnel_watch(c, &w);
	wc->done = bench_now();
	if (wc->rc != 0 && !wc->bad)
		snprintf(wc->error, sizeof wc->error, "watch: %s: %s",
		    runnel_strerror(wc->rc), runnel_last_error(c));
	runnel_close(c);
	return NULL;
}

/* Submit the chatty task; its id. */
static uint64_t
watchers_submit(struct runnel_client *c, const char *self, const char *size,
    const char *rate)
{
	struct runnel_spec	 spec;
	const char		*argv[] = { self, "--chatty", size, rate, NULL };
	uint64_t		 id;
	int			 rc;

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.name = "watchers-chatty";
	if ((rc = runnel_submit(c, &spec, &id)) != 0)
		watchers_die("submit: %s: %s", runnel_strerror(rc),
		    runnel_last_error(c));
	return id;
}

/* Wait for a task; how long it ran, in seconds. */
static double
watchers_wait(struct runnel_client *c, uint64_t id)
{
	struct runnel_task	*t;
	double			 secs;
	int			 rc;

	if ((rc = runnel_wait(c, &id, 1, &t)) != 0)
		watchers_die("wait: %s: %s", runnel_strerror(rc),
		    runnel_last_error(c));
	if (t[0].state != RUNNEL_SUCCEEDED)
		watchers_die("task %" PRIu64 ": %s", id,
		    runnel_state_name(t[0].state));
	secs = (t[0].ended_ms - t[0].started_ms) / 1000.0;
	runnel_tasks_free(t, 1);
	return secs;
}

/* Sort doubles. */
static int
watchers_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void __attribute__((noreturn))
watchers_usage(void)
{
	fprintf(stderr, "usage: watchers [-H HOST] [--ca FILE --cert FILE "
	    "--key FILE] --count N [--size SIZE] [--rate BYTES/S] "
	    "[--time-limit SECONDS]\n"
	    "       watchers --chatty SIZE RATE\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "time-limit", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct watchers_client	*wcs;
	struct runnel_client	*c;
	pthread_attr_t		 attr;
	const char		*size_s = "4M", *rate_s = "1M";
	char			 self[4096];
	uint8_t			 buf[65536];
	uint64_t		 size, sum, off;
	unsigned		 count = 0, limit = 300, i, ok = 0;
	double			 alone, with, t0, *done;
	ssize_t			 n;
	int			 ch, rc;

	bench_name = "watchers";
	if (argc == 4 && strcmp(argv[1], "--chatty") == 0)
		return watchers_chatty(watchers_size(argv[2]),
		    watchers_size(argv[3]));
	while ((ch = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			watchers_opts.host = optarg;
			break;
		case 'a':
			watchers_opts.ca = optarg;
			break;
		case 'c':
			watchers_opts.cert = optarg;
			break;
		case 'k':
			watchers_opts.key = optarg;
			break;
		case 'n':
			count = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			size_s = optarg;
			break;
		case 'r':
			rate_s = optarg;
			break;
		case 't':
			limit = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			watchers_usage();
		}
	}
	if (optind != argc || count == 0 || count > 100000 || limit == 0)
		watchers_usage();
	size = watchers_size(size_s);
	(void)watchers_size(rate_s);
	watchers_opts.client_name = "watchers";
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		watchers_die("readlink /proc/self/exe failed");
	self[n] = '\0';
	bench_time_limit(limit);

	/* The bytes every watcher must see. */
	sum = 0xcbf29ce484222325ULL;
	for (off = 0; off < size; off += sizeof buf) {
		size_t	len = size - off < sizeof buf ? size - off : sizeof buf;

		watchers_content(off, buf, len);
		sum = watchers_fnv(sum, buf, len);
	}

	if ((rc = runnel_connect(&c, &watchers_opts)) != 0)
		watchers_die("connect: %s: %s", runnel_strerror(rc),
		    runnel_last_error(NULL));
	/* The task alone, watched by nobody. */
	alone = watchers_wait(c, watchers_submit(c, self, size_s, rate_s));

	/* The task again, under count watchers. */
	wcs = calloc(count, sizeof *wcs);
	done = calloc(count, sizeof *done);
	if (wcs == NULL || done == NULL)
		watchers_die("out of memory");
	pthread_barrier_init(&watchers_ready, NULL, count + 1);
	pthread_barrier_init(&watchers_go, NULL, count + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WATCHERS_STACK);
	for (i = 0; i < count; i++) {
		wcs[i].index = i;
		wcs[i].delay_us = (i % 4) * (i % 4) * 300;
		if (pthread_create(&wcs[i].thread, &attr, watchers_client_main,
		    &wcs[i]) != 0)
			watchers_die("pthread_create %u failed", i);
	}
	pthread_barrier_wait(&watchers_ready);
	t0 = bench_now();
	watchers_task = watchers_submit(c, self, size_s, rate_s);
	pthread_barrier_wait(&watchers_go);
	with = watchers_wait(c, watchers_task);
	for (i = 0; i < count; i++) {
		pthread_join(wcs[i].thread, NULL);
		done[i] = wcs[i].done - t0;
		if (wcs[i].rc == 0 && !wcs[i].bad && wcs[i].bytes == size &&
		    wcs[i].sum == sum && wcs[i].state == RUNNEL_SUCCEEDED)
			ok++;
		else if (count - ok <= 5 || i < 5)
			fprintf(stderr, "watchers: watcher %u: %s%s bytes=%"
			    PRIu64 " sum %s\n", i, wcs[i].error,
			    wcs[i].bad ? "gap or wrong stream" : "",
			    wcs[i].bytes, wcs[i].sum == sum ? "ok" : "differs");
	}
	runnel_close(c);
	qsort(done, count, sizeof *done, watchers_cmp);
	printf("watchers=%u identical=%u size=%" PRIu64 " task_alone=%.3f "
	    "task_watched=%.3f slowdown=%.2f done_first=%.3f "
	    "done_median=%.3f done_last=%.3f delivered_mb=%.1f\n", count, ok,
	    size, alone, with, alone > 0 ? with / alone : 0, done[0],
	    done[count / 2], done[count - 1], (double)size * ok / 1e6);
	free(done);
	free(wcs);
	return ok == count ? 0 : 1;
}
