/*
 * fairness.c - does a flooding task starve the others?  A ticker task prints
 * its scheduled time every 10 ms; one connection watches it and measures,
 * for each line, how late it arrives (receive time - scheduled time).
 * Phase 1 runs the ticker alone; phase 2 runs it again while a second task
 * floods stdout with zeros, watched as fast as possible by a second
 * connection on its own thread.  Prints a markdown table: ticker lateness
 * p50/p99/max per phase; the p99 of its three parts: the ticker waking late
 * (the machine's scheduler), the daemon reading the ticker's pipe late (the
 * loop), the line reaching the client late (the loop's output path and the
 * client); and the flood's throughput.
 *
 * The ticker is this program: `fairness --ticker N` prints N lines
 * "SCHEDULED_NS WOKE_NS" (CLOCK_REALTIME) on absolute 10 ms deadlines.
 * A benchmark, not a test: run it through bench/fairness.sh, which starts a
 * daemon of its own.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runnel.h"
#include "util.h"

#define FAIRNESS_INTERVAL_NS	(10LL * 1000 * 1000)
#define FAIRNESS_TIMEOUT	50	/* seconds for the whole run */

/* Lateness samples of one ticker run, in nanoseconds. */
struct fairness_samples {
	int64_t		*v;
	size_t		 n;
	size_t		 cap;
};

/* One ticker run being watched. */
struct fairness_ticker {
	struct fairness_samples	 late;		/* receive - scheduled */
	struct fairness_samples	 wake;		/* ticker woke - scheduled */
	struct fairness_samples	 read;		/* daemon read - ticker woke */
	struct fairness_samples	 deliver;	/* receive - daemon read */
	char			 line[128];
	size_t			 len;
	unsigned		 bad;		/* unparsable lines */
};

/* The flood and its watcher thread. */
struct fairness_flood {
	struct runnel_connect_opts	*opts;
	const char			*size;
	uint64_t			 id;
	_Atomic uint64_t		 bytes;		/* received so far */
	atomic_int			 done;		/* the thread ended */
	atomic_int			 stop;
	int				 rc;
	char				 error[256];
};

/* Figures of one phase. */
struct fairness_result {
	const char	*phase;
	size_t		 ticks;		/* lines received */
	double		 p50, p99, max;	/* lateness, ms */
	double		 wake_p99;	/* the ticker waking late */
	double		 read_p99;	/* the daemon reading its pipe late */
	double		 deliver_p99;	/* the line reaching the client late */
	double		 mbps;		/* flood received by its watcher */
	double		 ingest_mbps;	/* flood read by the daemon */
};

static const char	*fairness_argv0;

/* A clock in nanoseconds. */
static int64_t
fairness_now(clockid_t clock)
{
	struct timespec	ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The ticker: N lines on absolute deadlines, each with its scheduled time
 * and the time it woke, written unbuffered. */
static int
fairness_ticker(long n)
{
	struct timespec	next;
	char		buf[64];
	int64_t		sched;
	long		i;
	int		len, r;

	clock_gettime(CLOCK_REALTIME, &next);
	for (i = 0; i < n; i++) {
		next.tv_nsec += FAIRNESS_INTERVAL_NS;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while ((r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME,
		    &next, NULL)) == EINTR)
			;
		if (r != 0)
			return 1;
		sched = (int64_t)next.tv_sec * 1000000000 + next.tv_nsec;
		len = snprintf(buf, sizeof buf, "%" PRId64 " %" PRId64 "\n",
		    sched, fairness_now(CLOCK_REALTIME));
		if (write(STDOUT_FILENO, buf, len) != len)
			return 1;
	}
	return 0;
}

/* Keep one sample. */
static void
fairness_add(struct fairness_samples *s, int64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap == 0 ? 1024 : s->cap * 2;
		if ((s->v = realloc(s->v, s->cap * sizeof *s->v)) == NULL)
			bench_die("out of memory");
	}
	s->v[s->n++] = v;
}

/* Order samples. */
static int
fairness_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* A percentile (nearest rank) of the samples, in ms. */
static double
fairness_pct(struct fairness_samples *s, unsigned pct)
{
	size_t	rank;

	if (s->n == 0)
		return 0;
	qsort(s->v, s->n, sizeof *s->v, fairness_cmp);
	rank = (pct * s->n + 99) / 100;
	if (rank == 0)
		rank = 1;
	return s->v[rank - 1] / 1e6;
}

/* Ticker output: split it into lines, each timed as it completes. */
static int
fairness_ticker_output(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct fairness_ticker	*tk = arg;
	const char		*p = data;
	int64_t			 now = fairness_now(CLOCK_REALTIME);
	long long		 sched, woke;
	size_t			 i;

	(void)task_id;
	(void)offset;
	if (stream != RUNNEL_STDOUT) {
		fprintf(stderr, "ticker: %.*s", (int)len, p);
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (p[i] != '\n') {
			if (tk->len < sizeof tk->line - 1)
				tk->line[tk->len++] = p[i];
			continue;
		}
		tk->line[tk->len] = '\0';
		tk->len = 0;
		if (sscanf(tk->line, "%lld %lld", &sched, &woke) != 2) {
			tk->bad++;
			continue;
		}
		fairness_add(&tk->late, now - sched);
		fairness_add(&tk->wake, woke - sched);
		fairness_add(&tk->read, time_us * 1000 - woke);
		fairness_add(&tk->deliver, now - time_us * 1000);
	}
	return 0;
}

/* A watched task ended: complain unless it succeeded. */
static int
fairness_ticker_end(void *arg, const struct runnel_task *t)
{
	(void)arg;
	if (t->state != RUNNEL_SUCCEEDED)
		fprintf(stderr, "fairness: ticker %" PRIu64 " %s%s%s\n", t->id,
		    runnel_state_name(t->state), t->reason != NULL ? ": " : "",
		    t->reason != NULL ? t->reason : "");
	return 0;
}

/* Run a ticker of n lines through runnel_run and measure it. */
static void
fairness_run_ticker(struct runnel_client *c, long n, struct fairness_ticker *tk)
{
	struct runnel_watch_opts	 w;
	struct runnel_spec		 spec;
	char				 count[32];
	const char			*argv[] = { fairness_argv0, "--ticker", count,
					    NULL };
	uint64_t			 id;
	int				 rc;

	snprintf(count, sizeof count, "%ld", n);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.name = "fairness-ticker";
	memset(&w, 0, sizeof w);
	w.on_output = fairness_ticker_output;
	w.on_end = fairness_ticker_end;
	w.arg = tk;
	if ((rc = runnel_run(c, &spec, &id, &w)) != 0)
		bench_die("ticker: %s: %s", runnel_strerror(rc),
		    runnel_last_error(c));
}

/* Count the flood's bytes; stop when told. */
static int
fairness_flood_output(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct fairness_flood	*f = arg;

	(void)task_id;
	(void)stream;
	(void)offset;
	(void)data;
	(void)time_us;
	atomic_fetch_add(&f->bytes, len);
	return atomic_load(&f->stop) ? 1 : 0;
}

/* The flood's end (or a stop): let the thread finish. */
static int
fairness_flood_end(void *arg, const struct runnel_task *t)
{
	(void)arg;
	(void)t;
	return 0;
}

/* The flood thread: its own connection, submit `head -c SIZE /dev/zero`
 * and watch it as fast as possible. */
static void *
fairness_flood_thread(void *arg)
{
	struct fairness_flood		*f = arg;
	struct runnel_client		*c = NULL;
	struct runnel_watch_opts	 w;
	struct runnel_spec		 spec;
	const char			*argv[] = { "head", "-c", f->size,
					    "/dev/zero", NULL };
	int				 rc;

	if ((rc = runnel_connect(&c, f->opts)) != 0) {
		snprintf(f->error, sizeof f->error, "connect: %s: %s",
		    runnel_strerror(rc), runnel_last_error(NULL));
		goto out;
	}
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.name = "fairness-flood";
	memset(&w, 0, sizeof w);
	w.on_output = fairness_flood_output;
	w.on_end = fairness_flood_end;
	w.arg = f;
	/* runnel_run sets the id before the first callback, which
	 * publishes it with the first count. */
	rc = runnel_run(c, &spec, &f->id, &w);
	if (rc < 0)
		snprintf(f->error, sizeof f->error, "flood: %s: %s",
		    runnel_strerror(rc), runnel_last_error(c));
out:
	f->rc = rc;
	atomic_store(&f->done, 1);
	if (c != NULL)
		runnel_close(c);
	return NULL;
}

/* The flood's bytes read by the daemon so far, or 0. */
static uint64_t
fairness_flood_ingested(struct runnel_client *c, uint64_t id)
{
	struct runnel_task	t;
	uint64_t		n;

	if (runnel_show(c, id, &t) != 0)
		return 0;
	n = t.output_bytes;
	runnel_task_clear(&t);
	return n;
}

/* Fill a result from a ticker's samples. */
static void
fairness_result(struct fairness_result *r, const char *phase,
    struct fairness_ticker *tk)
{
	memset(r, 0, sizeof *r);
	r->phase = phase;
	r->ticks = tk->late.n;
	r->p50 = fairness_pct(&tk->late, 50);
	r->p99 = fairness_pct(&tk->late, 99);
	r->max = fairness_pct(&tk->late, 100);
	r->wake_p99 = fairness_pct(&tk->wake, 99);
	r->read_p99 = fairness_pct(&tk->read, 99);
	r->deliver_p99 = fairness_pct(&tk->deliver, 99);
}

/* Free a ticker's samples. */
static void
fairness_ticker_free(struct fairness_ticker *tk)
{
	free(tk->late.v);
	free(tk->wake.v);
	free(tk->read.v);
	free(tk->deliver.v);
}

static void __attribute__((noreturn))
fairness_usage(void)
{
	fprintf(stderr, "usage: fairness [-H host] [--ca FILE] [--cert FILE] "
	    "[--key FILE] [-n ticks] [--flood-size SIZE] [--label TEXT]\n"
	    "       fairness --ticker N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "ca", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "ticks", required_argument, NULL, 'n' },
		{ "flood-size", required_argument, NULL, 'f' },
		{ "label", required_argument, NULL, 'l' },
		{ "ticker", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct runnel_connect_opts	 opts;
	struct runnel_client		*c;
	struct fairness_ticker		 tk1, tk2;
	struct fairness_flood		 flood;
	struct fairness_result		 res[2];
	const char			*host = NULL, *ca = NULL, *cert = NULL;
	const char			*key = NULL, *label = NULL;
	char				 self[PATH_MAX], *end;
	pthread_t			 thread;
	uint64_t			 b0, b1, in0, in1;
	int64_t				 t0, t1, wait_until;
	long				 ticks = 500;
	ssize_t				 len;
	size_t				 i;
	int				 ch, rc;

	bench_name = "fairness";
	memset(&flood, 0, sizeof flood);
	flood.size = "20G";
	while ((ch = getopt_long(argc, argv, "H:n:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			host = optarg;
			break;
		case 'a':
			ca = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			ticks = strtol(optarg, &end, 10);
			if (*end != '\0' || ticks < 10 || ticks > 2000)
				bench_die("ticks: 10 to 2000");
			break;
		case 'f':
			flood.size = optarg;
			break;
		case 'l':
			label = optarg;
			break;
		case 't':
			ticks = strtol(optarg, &end, 10);
			if (*end != '\0' || ticks < 1)
				fairness_usage();
			return fairness_ticker(ticks);
		default:
			fairness_usage();
		}
	}
	if (optind != argc)
		fairness_usage();

	/* The ticker is this very program. */
	if ((len = readlink("/proc/self/exe", self, sizeof self - 1)) == -1)
		bench_die("/proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	fairness_argv0 = self;

	memset(&opts, 0, sizeof opts);
	opts.host = bench_opt(host, "RUNNEL_HOST");
	opts.ca = bench_opt(ca, "RUNNEL_CA");
	opts.cert = bench_opt(cert, "RUNNEL_CERT");
	opts.key = bench_opt(key, "RUNNEL_KEY");
	opts.client_name = "fairness";
	bench_time_limit(FAIRNESS_TIMEOUT);

	if ((rc = runnel_connect(&c, &opts)) != 0)
		bench_die("connect: %s: %s", runnel_strerror(rc),
		    runnel_last_error(NULL));

	/* Phase 1: the ticker alone. */
	memset(&tk1, 0, sizeof tk1);
	fairness_run_ticker(c, ticks, &tk1);
	fairness_result(&res[0], "ticker alone", &tk1);

	/* Phase 2: the flood first, on its own connection and thread, until
	 * its bytes flow; then the ticker again. */
	flood.opts = &opts;
	if (pthread_create(&thread, NULL, fairness_flood_thread, &flood) != 0)
		bench_die("pthread_create failed");
	wait_until = fairness_now(CLOCK_MONOTONIC) + 5000000000LL;
	while (atomic_load(&flood.bytes) < 16 * 1024 * 1024 &&
	    !atomic_load(&flood.done) &&
	    fairness_now(CLOCK_MONOTONIC) < wait_until)
		usleep(10000);
	if (atomic_load(&flood.bytes) == 0)
		bench_die("the flood did not start: %s", flood.error);

	memset(&tk2, 0, sizeof tk2);
	in0 = fairness_flood_ingested(c, flood.id);
	b0 = atomic_load(&flood.bytes);
	t0 = fairness_now(CLOCK_MONOTONIC);
	fairness_run_ticker(c, ticks, &tk2);
	t1 = fairness_now(CLOCK_MONOTONIC);
	b1 = atomic_load(&flood.bytes);
	in1 = fairness_flood_ingested(c, flood.id);

	/* Stop the flood: cancel the task, let its watcher go. */
	atomic_store(&flood.stop, 1);
	if ((rc = runnel_cancel(c, &flood.id, 1, SIGKILL, 0)) < 0)
		fprintf(stderr, "fairness: cancel flood: %s: %s\n",
		    runnel_strerror(rc), runnel_last_error(c));
	pthread_join(thread, NULL);
	if (flood.error[0] != '\0')
		fprintf(stderr, "fairness: %s\n", flood.error);
	runnel_close(c);

	fairness_result(&res[1], "ticker + flood", &tk2);
	res[1].mbps = (b1 - b0) / ((t1 - t0) / 1e9) / 1e6;
	if (in1 > in0)
		res[1].ingest_mbps = (in1 - in0) / ((t1 - t0) / 1e9) / 1e6;

	printf("\n%s%s%ld ticks of 10 ms per phase, flood `head -c %s "
	    "/dev/zero`\n\n", label != NULL ? label : "",
	    label != NULL ? ": " : "", ticks, flood.size);
	printf("| phase | lines | p50 ms | p99 ms | max ms "
	    "| p99 wake ms | p99 read ms | p99 deliver ms "
	    "| flood watched MB/s | flood read MB/s |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < 2; i++) {
		printf("| %s | %zu | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |",
		    res[i].phase, res[i].ticks, res[i].p50, res[i].p99,
		    res[i].max, res[i].wake_p99, res[i].read_p99,
		    res[i].deliver_p99);
		if (i == 0)
			printf(" - | - |\n");
		else
			printf(" %.0f | %.0f |\n", res[i].mbps,
			    res[i].ingest_mbps);
	}
	if (tk1.bad + tk2.bad > 0)
		printf("\n%u unparsable ticker lines\n", tk1.bad + tk2.bad);
	printf("\ntarget: p99 with the flood under 5 ms: %s\n",
	    res[1].p99 < 5 ? "met" : "NOT met");
	fairness_ticker_free(&tk1);
	fairness_ticker_free(&tk2);
	return res[1].p99 < 5 ? 0 : 3;
}
