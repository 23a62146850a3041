/*
 * handshake.c - bench/run's handshake and idle-connection rows.
 *
 * usage: handshake server --ca F --cert F --key F [-t SECONDS]
 *        handshake client -H HOST:PORT --ca F --cert F --key F [--bare]
 *                  [-n MAX] [-c THREADS] [-t SECONDS]
 *        handshake hold -H ADDR [--ca F --cert F --key F] [-n COUNT]
 *                  [-t SECONDS]
 * server: the anchor: a bare OpenSSL server on 127.0.0.1 port 0 with
 *         runneld's own TLS context (lib/tls.c: TLS 1.3, client certificate
 *         required and checked), one connection at a time: handshake, one
 *         byte, close.  Prints "port=N", serves until killed or the limit.
 * client: THREADS (2) threads each doing full mutual-TLS handshakes (no
 *         resumption) in a loop, up to MAX in all (20000) or the time limit
 *         (5 s): against runneld a Hello and its reply follow; with --bare
 *         the server's byte does (the server has then verified the client
 *         too).  Prints "handshakes=N secs=S rate=R failed=F".
 * hold:   COUNT (2000) connections opened with runnel_connect (handshake +
 *         Hello) and kept open; prints "held=N" and waits for standard
 *         input to close (or the limit, 300 s), then closes them.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "rawconn.h"
#include "runnel.h"
#include "util.h"

struct handshake_opts {
	const char	*host, *ca, *cert, *key;
	long		 count;
	int		 threads, limit, bare;
	SSL_CTX		*ctx;
	double		 deadline;
};

static atomic_long	handshake_done;
static atomic_long	handshake_failed;

/* The bare server: accept, handshake, one byte, close, until the limit. */
static int
handshake_server(const struct handshake_opts *o)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	SSL_CTX			*ctx;
	SSL			*ssl;
	char			*cause = NULL;
	int			 s, fd, one = 1;

	if ((ctx = tls_server_ctx(o->ca, o->cert, o->key, &cause)) == NULL) {
		fprintf(stderr, "handshake: %s\n", cause);
		return 1;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s, 128) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &sl) == -1) {
		fprintf(stderr, "handshake: listen: %s\n", strerror(errno));
		return 1;
	}
	printf("port=%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	alarm((unsigned)o->limit);	/* ends the server */
	for (;;) {
		if ((fd = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "handshake: accept: %s\n",
			    strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if ((ssl = SSL_new(ctx)) != NULL && SSL_set_fd(ssl, fd) == 1 &&
		    SSL_accept(ssl) == 1 && SSL_write(ssl, "k", 1) == 1)
			SSL_shutdown(ssl);
		ERR_clear_error();
		SSL_free(ssl);
		close(fd);
	}
}

/* One client thread: handshakes until the count or the deadline. */
static void *
handshake_client(void *arg)
{
	const struct handshake_opts	*o = arg;
	struct rawconn			 c;
	int				 ok;

	while (bench_now() < o->deadline) {
		if (atomic_fetch_add(&handshake_done, 1) >= o->count) {
			atomic_fetch_sub(&handshake_done, 1);
			break;
		}
		/* Against runneld the Hello exchange proves the handshake
		 * was accepted; against the bare server its byte does. */
		ok = rawconn_open(&c, o->host, o->ctx, !o->bare) == 0 &&
		    (!o->bare || rawconn_read_byte(&c) == 0);
		if (!ok && atomic_fetch_add(&handshake_failed, 1) == 0)
			fprintf(stderr, "handshake: %s\n", c.error);
		rawconn_close(&c);
	}
	return NULL;
}

/* client: THREADS threads of handshakes. */
static int
handshake_clients(struct handshake_opts *o)
{
	pthread_t	 tids[64];
	char		*cause = NULL;
	double		 t0, secs;
	long		 done, failed;
	int		 i;

	if ((o->ctx = tls_client_ctx(o->ca, o->cert, o->key, &cause)) ==
	    NULL) {
		fprintf(stderr, "handshake: %s\n", cause);
		return 1;
	}
	/* A fresh, full handshake every time, as a new client would do. */
	SSL_CTX_set_session_cache_mode(o->ctx, SSL_SESS_CACHE_OFF);
	t0 = bench_now();
	o->deadline = t0 + o->limit;
	for (i = 0; i < o->threads; i++)
		pthread_create(&tids[i], NULL, handshake_client, o);
	for (i = 0; i < o->threads; i++)
		pthread_join(tids[i], NULL);
	secs = bench_now() - t0;
	done = atomic_load(&handshake_done);
	failed = atomic_load(&handshake_failed);
	printf("handshakes=%ld secs=%.3f rate=%.0f failed=%ld\n",
	    done - failed, secs, (done - failed) / secs, failed);
	SSL_CTX_free(o->ctx);
	return failed == 0 ? 0 : 1;
}

/* hold: open count connections and keep them until stdin closes. */
static int
handshake_hold(const struct handshake_opts *o)
{
	struct runnel_connect_opts	  co;
	struct runnel_client		**cs;
	struct rlimit			  rl;
	double				  deadline;
	char				  buf[64];
	long				  n = 0, i;

	/* Each connection is a descriptor. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)o->count + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((cs = calloc((size_t)o->count, sizeof *cs)) == NULL)
		return 1;
	memset(&co, 0, sizeof co);
	co.host = o->host;
	co.ca = o->ca;
	co.cert = o->cert;
	co.key = o->key;
	co.client_name = "bench-hold";
	deadline = bench_now() + o->limit;
	for (n = 0; n < o->count && bench_now() < deadline; n++) {
		if (runnel_connect(&cs[n], &co) != 0) {
			fprintf(stderr, "handshake: connection %ld: %s\n",
			    n + 1, runnel_last_error(NULL));
			break;
		}
	}
	printf("held=%ld\n", n);
	fflush(stdout);
	alarm((unsigned)o->limit);
	while (read(STDIN_FILENO, buf, sizeof buf) > 0)
		;
	for (i = 0; i < n; i++)
		runnel_close(cs[i]);
	free(cs);
	return n == o->count ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "ca", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "bare", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct handshake_opts		 o;
	const char			*mode;
	int				 c;

	memset(&o, 0, sizeof o);
	o.count = -1;
	o.threads = 2;
	o.limit = -1;
	if (argc < 2) {
		fprintf(stderr, "usage: handshake server|client|hold "
		    "[-H ADDR] --ca F --cert F --key F [--bare] [-n N] "
		    "[-c THREADS] [-t SECS]\n");
		return 2;
	}
	mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "H:n:c:t:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'H': o.host = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'b': o.bare = 1; break;
		case 'n': o.count = atol(optarg); break;
		case 'c': o.threads = atoi(optarg); break;
		case 't': o.limit = atoi(optarg); break;
		default: return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "server") == 0) {
		if (o.limit < 0)
			o.limit = 60;
		if (o.ca == NULL || o.cert == NULL || o.key == NULL ||
		    o.limit < 1) {
			fprintf(stderr, "handshake: server needs --ca, --cert "
			    "and --key\n");
			return 2;
		}
		return handshake_server(&o);
	}
	if (o.host == NULL) {
		fprintf(stderr, "handshake: -H is required\n");
		return 2;
	}
	if (strcmp(mode, "client") == 0) {
		if (o.count < 0)
			o.count = 20000;
		if (o.limit < 0)
			o.limit = 5;
		if (o.ca == NULL || o.threads < 1 || o.threads > 64 ||
		    o.count < 1 || o.limit < 1) {
			fprintf(stderr, "handshake: client needs --ca, "
			    "--cert, --key; -c 1 to 64\n");
			return 2;
		}
		return handshake_clients(&o);
	}
	if (strcmp(mode, "hold") == 0) {
		if (o.count < 0)
			o.count = 2000;
		if (o.limit < 0)
			o.limit = 300;
		if (o.count < 1 || o.limit < 1)
			return 2;
		return handshake_hold(&o);
	}
	fprintf(stderr, "handshake: unknown mode %s\n", mode);
	return 2;
}
