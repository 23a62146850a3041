/*
 * durability.c - a submit storm: C clients (threads, one connection each)
 * submit N tasks in all as fast as the daemon acknowledges them, and the
 * rate is printed.  With --ids FILE every acknowledged id is appended to
 * FILE with the task's name the moment the acknowledgement arrives, so a
 * crash test can check afterwards that none of them was lost.
 *
 * usage: durability -H unix:PATH [-n TOTAL] [-c CLIENTS] [--ids FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runnel.h"
#include "util.h"

static const char	*durability_host;
static long		 durability_total = 10000;
static int		 durability_clients = 8;
static FILE		*durability_ids;
static pthread_mutex_t	 durability_mtx = PTHREAD_MUTEX_INITIALIZER;
static long		 durability_next;
static long		 durability_acked;
static int		 durability_errors;

/* One client: take the next number, submit, record the acknowledgement. */
static void *
durability_client(void *arg)
{
	struct runnel_connect_opts	 opts;
	struct runnel_client		*c;
	struct runnel_spec		 spec;
	const char			*argv[] = { "sleep", "3600", NULL };
	char				 name[64];
	uint64_t			 id;
	long				 n;
	int				 r;

	(void)arg;
	memset(&opts, 0, sizeof opts);
	opts.host = durability_host;
	opts.client_name = "durability";
	if (runnel_connect(&c, &opts) != 0) {
		fprintf(stderr, "durability: connect: %s\n",
		    runnel_last_error(NULL));
		pthread_mutex_lock(&durability_mtx);
		durability_errors++;
		pthread_mutex_unlock(&durability_mtx);
		return NULL;
	}
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.name = name;
	for (;;) {
		pthread_mutex_lock(&durability_mtx);
		n = durability_next < durability_total ? durability_next++ : -1;
		pthread_mutex_unlock(&durability_mtx);
		if (n < 0)
			break;
		snprintf(name, sizeof name, "storm-%ld", n);
		if ((r = runnel_submit(c, &spec, &id)) != 0) {
			/* The daemon went away (a crash test) or refused. */
			pthread_mutex_lock(&durability_mtx);
			durability_errors++;
			pthread_mutex_unlock(&durability_mtx);
			break;
		}
		pthread_mutex_lock(&durability_mtx);
		durability_acked++;
		if (durability_ids != NULL) {
			fprintf(durability_ids, "%llu %s\n",
			    (unsigned long long)id, name);
			fflush(durability_ids);
		}
		pthread_mutex_unlock(&durability_mtx);
	}
	runnel_close(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "ids", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	pthread_t	*threads;
	double		 t0, t1;
	int		 ch, i;

	while ((ch = getopt_long(argc, argv, "H:n:c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			durability_host = optarg;
			break;
		case 'n':
			durability_total = atol(optarg);
			break;
		case 'c':
			durability_clients = atoi(optarg);
			break;
		case 'i':
			if ((durability_ids = fopen(optarg, "a")) == NULL) {
				fprintf(stderr, "durability: %s: %s\n", optarg,
				    strerror(errno));
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: durability -H unix:PATH [-n "
			    "TOTAL] [-c CLIENTS] [--ids FILE]\n");
			return 2;
		}
	}
	if (durability_host == NULL || durability_total <= 0 ||
	    durability_clients <= 0 || durability_clients > 256) {
		fprintf(stderr, "durability: -H is required\n");
		return 2;
	}
	threads = calloc(durability_clients, sizeof *threads);
	t0 = bench_now();
	for (i = 0; i < durability_clients; i++)
		pthread_create(&threads[i], NULL, durability_client, NULL);
	for (i = 0; i < durability_clients; i++)
		pthread_join(threads[i], NULL);
	t1 = bench_now();
	printf("%ld %.3f %.0f\n", durability_acked, t1 - t0,
	    durability_acked / (t1 - t0));
	free(threads);
	if (durability_ids != NULL)
		fclose(durability_ids);
	return durability_errors > 0 && durability_ids == NULL ? 1 : 0;
}
