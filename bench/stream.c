/*
 * stream.c - how fast does one watcher receive one task's output?  Runs
 * `head -c SIZE /dev/zero` through runnel_run (submit and watch in one
 * round trip), counts the bytes in the output callback without copying them
 * and prints one line, the same as bench/tlspair:
 *
 *	stream: bytes=N seconds=S gbps=G cpu=C
 *
 * timed from the submission to the end of the watch; C is the process's
 * own CPU time (user + system, the whole run) in seconds.  The other modes serve
 * the memory test of bench/stream.sh:
 *
 *	stream --submit        submit the flood, print its id, exit
 *	stream --watch ID      watch task ID from offset 0 as fast as possible
 *	stream --stalled ID    watch task ID, take the first chunk, then never
 *	                       read again: sleep until killed
 *
 * A benchmark, not a test: run it through bench/stream.sh, which starts a
 * daemon of its own.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runnel.h"
#include "util.h"

#define STREAM_TIMEOUT	240	/* seconds, for the counting modes */
#define STREAM_STALL_MAX 600	/* seconds a stalled watcher lives at most */

enum stream_mode {
	STREAM_RUN,
	STREAM_SUBMIT,
	STREAM_WATCH,
	STREAM_STALLED
};

/* What the output callback counts. */
struct stream_count {
	uint64_t		bytes;		/* stdout bytes received */
	uint64_t		next;		/* the offset expected next */
	unsigned		gaps;		/* chunks not at that offset */
	enum runnel_state	state;		/* how the task ended */
	int			stalled;	/* never return from the callback */
};

/* Count a chunk (its data is never touched); a stalled watcher stops here
 * for good, so the library never reads from the connection again. */
static int
stream_output(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct stream_count	*sc = arg;

	(void)data;
	(void)time_us;
	if (sc->stalled) {
		printf("stalled on task %" PRIu64 "\n", task_id);
		fflush(stdout);
		alarm(STREAM_STALL_MAX);
		for (;;)
			pause();
	}
	if (stream != RUNNEL_STDOUT) {
		fprintf(stderr, "stream: task %" PRIu64 " %s: %.*s",
		    task_id, stream == RUNNEL_STDERR ? "stderr" : "system",
		    (int)(len > 200 ? 200 : len), (const char *)data);
		return 0;
	}
	if (offset != sc->next)
		sc->gaps++;
	sc->next = offset + len;
	sc->bytes += len;
	return 0;
}

/* The task ended: keep its state. */
static int
stream_end(void *arg, const struct runnel_task *t)
{
	struct stream_count	*sc = arg;

	sc->state = t->state;
	if (t->state != RUNNEL_SUCCEEDED)
		fprintf(stderr, "stream: task %" PRIu64 " %s%s%s\n", t->id,
		    runnel_state_name(t->state), t->reason != NULL ? ": " : "",
		    t->reason != NULL ? t->reason : "");
	return 0;
}

static void __attribute__((noreturn))
stream_usage(void)
{
	fprintf(stderr, "usage: stream [-H host] [--ca FILE] [--cert FILE] "
	    "[--key FILE] [--size SIZE]\n"
	    "       stream [connection options] --submit [--size SIZE]\n"
	    "       stream [connection options] --watch ID [--size SIZE]\n"
	    "       stream [connection options] --stalled ID\n");
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
		{ "size", required_argument, NULL, 's' },
		{ "submit", no_argument, NULL, 'S' },
		{ "watch", required_argument, NULL, 'w' },
		{ "stalled", required_argument, NULL, 'z' },
		{ NULL, 0, NULL, 0 }
	};
	struct runnel_connect_opts	 opts;
	struct runnel_watch_opts	 w;
	struct runnel_spec		 spec;
	struct stream_count		 sc;
	struct runnel_client		*c;
	enum stream_mode		 mode = STREAM_RUN;
	const char			*host = NULL, *ca = NULL, *cert = NULL;
	const char			*key = NULL, *size = "2147483648";
	const char			*argv_task[] = { "head", "-c", NULL,
					    "/dev/zero", NULL };
	char				*end;
	uint64_t			 id = 0, expect;
	double				 t0, t1;
	int				 ch, rc;

	bench_name = "stream";
	while ((ch = getopt_long(argc, argv, "H:", longopts, NULL)) != -1) {
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
		case 's':
			size = optarg;
			break;
		case 'S':
			mode = STREAM_SUBMIT;
			break;
		case 'w':
		case 'z':
			mode = ch == 'w' ? STREAM_WATCH : STREAM_STALLED;
			errno = 0;
			id = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || id == 0)
				stream_usage();
			break;
		default:
			stream_usage();
		}
	}
	if (optind != argc)
		stream_usage();
	if (bench_parse_size(size, &expect) == -1)
		bench_die("bad size %s", size);
	argv_task[2] = size;

	memset(&opts, 0, sizeof opts);
	opts.host = bench_opt(host, "RUNNEL_HOST");
	opts.ca = bench_opt(ca, "RUNNEL_CA");
	opts.cert = bench_opt(cert, "RUNNEL_CERT");
	opts.key = bench_opt(key, "RUNNEL_KEY");
	opts.client_name = "stream";
	bench_time_limit(STREAM_TIMEOUT);

	if ((rc = runnel_connect(&c, &opts)) != 0)
		bench_die("connect: %s: %s", runnel_strerror(rc),
		    runnel_last_error(NULL));

	memset(&spec, 0, sizeof spec);
	spec.argv = argv_task;
	spec.name = "stream-flood";
	memset(&sc, 0, sizeof sc);
	sc.stalled = mode == STREAM_STALLED;
	memset(&w, 0, sizeof w);
	w.on_output = stream_output;
	w.on_end = stream_end;
	w.arg = &sc;

	t0 = bench_now();
	switch (mode) {
	case STREAM_SUBMIT:
		if ((rc = runnel_submit(c, &spec, &id)) != 0)
			bench_die("submit: %s: %s", runnel_strerror(rc),
			    runnel_last_error(c));
		printf("%" PRIu64 "\n", id);
		runnel_close(c);
		return 0;
	case STREAM_RUN:
		rc = runnel_run(c, &spec, &id, &w);
		break;
	case STREAM_WATCH:
	case STREAM_STALLED:
		w.ids = &id;
		w.nids = 1;
		rc = runnel_watch(c, &w);
		break;
	}
	t1 = bench_now();
	if (rc < 0)
		bench_die("task %" PRIu64 ": %s: %s", id, runnel_strerror(rc),
		    runnel_last_error(c));
	runnel_close(c);
	if (sc.state != RUNNEL_SUCCEEDED)
		bench_die("task %" PRIu64 " did not succeed", id);
	if (sc.bytes != expect || sc.gaps != 0)
		bench_die("task %" PRIu64 ": received %" PRIu64 " bytes of %"
		    PRIu64 ", %u gaps", id, sc.bytes, expect, sc.gaps);
	printf("stream: bytes=%" PRIu64 " seconds=%.3f gbps=%.3f cpu=%.3f\n",
	    sc.bytes, t1 - t0, sc.bytes / (t1 - t0) / 1e9, bench_cpu(RUSAGE_SELF));
	return 0;
}
