/*
 * spawn.c - runnel's side of bench/run's spawn, latency and scale rows.
 *
 * usage: spawn MODE -H ADDR [--ca F --cert F --key F] [-n COUNT]
 *              [-j INFLIGHT] [-t SECONDS] [--queue Q] [-- ARGV...]
 * spawn:   COUNT (5000) tasks (ARGV, default `true`) submitted with a watch
 *          over one connection, INFLIGHT (64) at a time; a task counts when
 *          its watch has ended (its process reaped and its output sent).
 *          Prints "tasks=N secs=S rate=R failed=F".
 * submit:  COUNT tasks submitted, INFLIGHT at a time, without waiting for
 *          them to run (the scale rows: many running or queued tasks).
 *          Prints "submitted=N secs=S rate=R errors=E"; the first
 *          refusal stops it (the requests in flight are still counted).
 * latency: COUNT (2000) runs of `echo x` on one warm connection through
 *          librunnel's runnel_run; the time from the call to the first
 *          output byte.  Prints "runs=N p50_ms=A p99_ms=B".
 * Every mode stops at its time limit (120 s) with what it has done.
 * spawn and submit pipeline requests on the raw protocol (bench/rawconn.c):
 * librunnel's calls are blocking, one request at a time.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rawconn.h"
#include "runnel.h"
#include "util.h"

struct spawn_opts {
	const char	 *mode;
	const char	 *host, *ca, *cert, *key, *queue;
	long		  count;
	int		  inflight, limit;
	char		**argv;
};

/* Compare two doubles for qsort. */
static int
spawn_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Is this a state a task ends in? */
static int
spawn_ended(Runnel__V1__TaskState s)
{
	return s != RUNNEL__V1__TASK_STATE__TASK_STATE_UNKNOWN &&
	    s != RUNNEL__V1__TASK_STATE__TASK_QUEUED &&
	    s != RUNNEL__V1__TASK_STATE__TASK_RUNNING;
}

/* spawn and submit: keep inflight requests going on one connection. */
static int
spawn_pipeline(const struct spawn_opts *o, int watch)
{
	Runnel__V1__ClientMessage	 msg = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__SubmitRequest	 sub = RUNNEL__V1__SUBMIT_REQUEST__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	Runnel__V1__ServerMessage	*m;
	ProtobufCBinaryData		*argv;
	struct rawconn			 c;
	SSL_CTX				*ctx = NULL;
	char				*cause = NULL;
	long				 sent = 0, done = 0, failed = 0;
	size_t				 n, i;
	int				 stop = 0;
	double				 t0, deadline;

	if (o->ca != NULL && (ctx = tls_client_ctx(o->ca, o->cert, o->key,
	    &cause)) == NULL) {
		fprintf(stderr, "spawn: %s\n", cause);
		return 1;
	}
	if (rawconn_open(&c, o->host, ctx, 1) != 0) {
		fprintf(stderr, "spawn: %s\n", c.error);
		return 1;
	}
	for (n = 0; o->argv[n] != NULL; n++)
		;
	if ((argv = calloc(n, sizeof *argv)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		argv[i].data = (uint8_t *)o->argv[i];
		argv[i].len = strlen(o->argv[i]);
	}
	spec.argv = argv;
	spec.n_argv = n;
	spec.queue = (char *)(uintptr_t)(o->queue != NULL ? o->queue : "");
	sub.spec = &spec;
	sub.watch = watch;
	msg.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_SUBMIT;
	msg.submit = &sub;

	t0 = bench_now();
	deadline = t0 + o->limit;
	while (sent < o->count && sent < o->inflight) {
		if (rawconn_send(&c, &msg) == 0)
			goto lost;
		sent++;
	}
	while (done < sent) {
		if (bench_now() > deadline) {
			fprintf(stderr, "spawn: time limit: %ld of %ld done\n",
			    done, o->count);
			break;
		}
		if ((m = rawconn_recv(&c)) == NULL)
			goto lost;
		switch (m->reply_case) {
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_SUBMIT:
			if (!watch)
				done++;
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_TASK:
			if (m->task->task != NULL &&
			    spawn_ended(m->task->task->state) &&
			    m->task->task->state !=
			    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED)
				failed++;
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_WATCH_END:
			done++;
			break;
		case RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR:
			if (failed++ == 0)
				fprintf(stderr, "spawn: daemon: %s\n",
				    m->error->message);
			done++;
			/* A refused submission (a limit): send no more. */
			if (!watch)
				stop = 1;
			break;
		default:
			break;
		}
		rawconn_free(m);
		if (!stop && done + o->inflight > sent && sent < o->count &&
		    bench_now() < deadline) {
			if (rawconn_send(&c, &msg) == 0)
				goto lost;
			sent++;
		}
	}
	if (watch)
		printf("tasks=%ld secs=%.3f rate=%.0f failed=%ld\n", done,
		    bench_now() - t0, done / (bench_now() - t0), failed);
	else
		printf("submitted=%ld secs=%.3f rate=%.0f errors=%ld\n",
		    done - failed, bench_now() - t0,
		    (done - failed) / (bench_now() - t0), failed);
	rawconn_close(&c);
	free(argv);
	SSL_CTX_free(ctx);
	return done == o->count && failed == 0 ? 0 : 1;

lost:
	fprintf(stderr, "spawn: %s (%ld of %ld done)\n", c.error, done,
	    o->count);
	return 1;
}

/* The first output byte of a latency run. */
static int
spawn_first_cb(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	double	*first = arg;

	(void)task_id; (void)offset; (void)data; (void)time_us;
	if (stream == RUNNEL_STDOUT && len > 0 && *first == 0)
		*first = bench_now();
	return 0;
}

/* latency: runnel_run of `echo x`, count times, on one connection. */
static int
spawn_latency(const struct spawn_opts *o)
{
	struct runnel_connect_opts	 co;
	struct runnel_watch_opts	 w;
	struct runnel_spec		 spec;
	struct runnel_client		*c;
	const char			*argv[] = { "echo", "x", NULL };
	double				*lat, t0, first, deadline;
	uint64_t			 id;
	long				 done = 0;
	int				 r;

	memset(&co, 0, sizeof co);
	co.host = o->host;
	co.ca = o->ca;
	co.cert = o->cert;
	co.key = o->key;
	co.client_name = "bench-latency";
	if (runnel_connect(&c, &co) != 0) {
		fprintf(stderr, "spawn: %s\n", runnel_last_error(NULL));
		return 1;
	}
	if ((lat = calloc((size_t)o->count, sizeof *lat)) == NULL)
		return 1;
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	memset(&w, 0, sizeof w);
	w.on_output = spawn_first_cb;
	w.arg = &first;
	deadline = bench_now() + o->limit;
	while (done < o->count && bench_now() < deadline) {
		first = 0;
		t0 = bench_now();
		if ((r = runnel_run(c, &spec, &id, &w)) != 0) {
			fprintf(stderr, "spawn: run: %s\n",
			    runnel_last_error(c));
			break;
		}
		if (first == 0) {
			fprintf(stderr, "spawn: task %llu: no output\n",
			    (unsigned long long)id);
			break;
		}
		lat[done++] = first - t0;
	}
	runnel_close(c);
	if (done == 0)
		return 1;
	qsort(lat, (size_t)done, sizeof *lat, spawn_cmp);
	printf("runs=%ld p50_ms=%.3f p99_ms=%.3f\n", done,
	    lat[(done - 1) / 2] * 1e3, lat[(done * 99 - 1) / 100] * 1e3);
	free(lat);
	return done == o->count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "queue", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 }
	};
	static char			 s_true[] = "true";
	static char			*true_argv[] = { s_true, NULL };
	struct spawn_opts		 o;
	int				 c;

	memset(&o, 0, sizeof o);
	o.count = -1;
	o.inflight = 64;
	o.limit = 120;
	o.argv = true_argv;
	if (argc < 2) {
		fprintf(stderr, "usage: spawn spawn|submit|latency -H ADDR "
		    "[--ca F --cert F --key F] [-n N] [-j N] [-t SECS] "
		    "[--queue Q] [-- ARGV...]\n");
		return 2;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "H:n:j:t:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'H': o.host = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'q': o.queue = optarg; break;
		case 'n': o.count = atol(optarg); break;
		case 'j': o.inflight = atoi(optarg); break;
		case 't': o.limit = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind < argc)
		o.argv = argv + optind;
	if (o.count < 0)
		o.count = strcmp(o.mode, "latency") == 0 ? 2000 : 5000;
	if (o.host == NULL || o.count < 1 || o.inflight < 1 || o.limit < 1) {
		fprintf(stderr, "spawn: -H is required; -n, -j, -t > 0\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.mode, "spawn") == 0)
		return spawn_pipeline(&o, 1);
	if (strcmp(o.mode, "submit") == 0)
		return spawn_pipeline(&o, 0);
	if (strcmp(o.mode, "latency") == 0)
		return spawn_latency(&o);
	fprintf(stderr, "spawn: unknown mode %s\n", o.mode);
	return 2;
}
