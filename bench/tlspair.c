/*
 * tlspair.c - the anchor for bench/stream: how fast can plain OpenSSL move
 * bytes over TLS 1.3 on loopback?  One process listens on 127.0.0.1 port 0
 * and forks: the child is the server, which accepts one connection, asks for
 * a client certificate (mutual TLS, as runneld does), sends SIZE bytes of
 * zeros in SSL_write calls of CHUNK bytes (64 KiB) and closes; the parent is
 * the client, which verifies the server, SSL_reads everything into one
 * 64 KiB buffer and counts.  Both use the same settings as librunnel and
 * runneld (TLS 1.3 only, no tickets, no compression) and certificates from
 * `runnel pki`.  Prints one line, the same as bench/stream:
 *
 *	tlspair: bytes=N seconds=S gbps=G cipher=NAME cpu=C server_cpu=D
 *
 * timed on the client from the end of the handshake to the server's
 * close_notify; C and D are the client's and the server's CPU seconds
 * (user + system, the server's child included).  A benchmark, not a test: bench/stream.sh runs it.
 *
 * With --relay the server does the least a task daemon must do to deliver
 * a task's output: it runs `head -c SIZE /dev/zero` (the task bench/stream
 * submits) with stdout on a pipe and SSL_writes what each read(2) of the
 * pipe returns; with --spool FILE it also write(2)s every read to FILE
 * first, as runneld's spool keeps the output.  These measure the ceiling
 * for relaying a child's output on this machine, child included.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util.h"

#define TLSPAIR_BUF		(64 * 1024)
#define TLSPAIR_TIMEOUT		120	/* seconds for the whole run */

/* What to run. */
struct tlspair_opts {
	const char	*ca;
	const char	*server_cert, *server_key;
	const char	*cert, *key;
	const char	*ciphersuites;	/* NULL: OpenSSL's default */
	uint64_t	 size;
	size_t		 chunk;
	int		 relay;		/* read a child's stdout pipe */
	const char	*spool;		/* and write it here too */
};

static const char	*tlspair_role = "tlspair";

/* Print a message, with OpenSSL's queued errors if any, and exit. */
static void __attribute__((noreturn, format(printf, 1, 2)))
tlspair_die(const char *fmt, ...)
{
	va_list		ap;
	unsigned long	e;
	char		buf[256];

	fprintf(stderr, "%s: ", tlspair_role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		fprintf(stderr, ": %s", buf);
	}
	fputc('\n', stderr);
	exit(1);
}

/* A context with runnel's settings: TLS 1.3 only, no tickets, the peer
 * verified against the CA, our own certificate and key. */
static SSL_CTX *
tlspair_ctx(const struct tlspair_opts *o, int server)
{
	SSL_CTX		*ctx;
	const char	*cert = server ? o->server_cert : o->cert;
	const char	*key = server ? o->server_key : o->key;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		tlspair_die("SSL_CTX_new failed");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		tlspair_die("cannot require TLS 1.3");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	if (o->ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, o->ciphersuites) != 1)
		tlspair_die("ciphersuites %s", o->ciphersuites);
	if (SSL_CTX_load_verify_locations(ctx, o->ca, NULL) != 1)
		tlspair_die("%s", o->ca);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		tlspair_die("%s", cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		tlspair_die("%s", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		tlspair_die("%s does not match %s", key, cert);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	return ctx;
}

/* --relay: send what `head -c SIZE /dev/zero` writes to its stdout pipe,
 * each read(2) as it comes (and into the spool file first, if any). */
static void
tlspair_relay(const struct tlspair_opts *o, SSL *ssl, char *buf)
{
	char		 count[32];
	size_t		 done;
	ssize_t		 n, w;
	pid_t		 pid;
	int		 p[2], sfd = -1, status;

	if (o->spool != NULL && (sfd = open(o->spool, O_WRONLY | O_CREAT |
	    O_TRUNC | O_CLOEXEC, 0600)) == -1)
		tlspair_die("%s: %s", o->spool, strerror(errno));
	snprintf(count, sizeof count, "%" PRIu64, o->size);
	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		tlspair_die("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1)
			_exit(127);
		execlp("head", "head", "-c", count, "/dev/zero", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, o->chunk)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			tlspair_die("read: %s", strerror(errno));
		if (sfd != -1 && (w = write(sfd, buf, n)) != n)
			tlspair_die("%s: short write", o->spool);
		if (SSL_write_ex(ssl, buf, n, &done) != 1)
			tlspair_die("SSL_write failed");
	}
	close(p[0]);
	if (sfd != -1)
		close(sfd);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		tlspair_die("head failed");
}

/* The server: accept one connection and send o->size bytes of zeros. */
static int
tlspair_server(const struct tlspair_opts *o, int lfd)
{
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*buf;
	uint64_t	 left = o->size;
	size_t		 n, done;
	int		 fd;

	tlspair_role = "tlspair server";
	ctx = tlspair_ctx(o, 1);
	if ((buf = calloc(1, o->chunk)) == NULL)
		tlspair_die("out of memory");
	while ((fd = accept(lfd, NULL, NULL)) == -1 && errno == EINTR)
		;
	if (fd == -1)
		tlspair_die("accept: %s", strerror(errno));
	close(lfd);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		tlspair_die("SSL_new failed");
	if (SSL_accept(ssl) != 1)
		tlspair_die("handshake failed");
	if (o->relay)
		tlspair_relay(o, ssl, buf);
	else while (left > 0) {
		n = left < o->chunk ? (size_t)left : o->chunk;
		if (SSL_write_ex(ssl, buf, n, &done) != 1)
			tlspair_die("SSL_write failed");
		left -= done;
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	free(buf);
	return 0;
}

/* The client: connect, read to the end, count and time it. */
static int
tlspair_client(const struct tlspair_opts *o, const struct sockaddr_in *sin,
    pid_t server)
{
	SSL_CTX		*ctx;
	SSL		*ssl;
	char		*buf;
	uint64_t	 total = 0;
	size_t		 done;
	double		 t0, t1;
	int		 fd, err, status;

	tlspair_role = "tlspair client";
	ctx = tlspair_ctx(o, 0);
	if ((buf = malloc(TLSPAIR_BUF)) == NULL)
		tlspair_die("out of memory");
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		tlspair_die("socket: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)sin, sizeof *sin) == -1)
		tlspair_die("connect: %s", strerror(errno));
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1)
		tlspair_die("SSL_new failed");
	/* runnel pki puts 127.0.0.1 in the server certificate. */
	if (SSL_set1_host(ssl, "127.0.0.1") != 1)
		tlspair_die("SSL_set1_host failed");
	if (SSL_connect(ssl) != 1)
		tlspair_die("handshake failed");
	t0 = bench_now();
	for (;;) {
		if (SSL_read_ex(ssl, buf, TLSPAIR_BUF, &done) == 1) {
			total += done;
			continue;
		}
		err = SSL_get_error(ssl, 0);
		if (err == SSL_ERROR_ZERO_RETURN)
			break;
		tlspair_die("SSL_read failed after %" PRIu64 " bytes (%d)",
		    total, err);
	}
	t1 = bench_now();
	if (waitpid(server, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		tlspair_die("the server failed");
	if (total != o->size)
		tlspair_die("received %" PRIu64 " bytes of %" PRIu64, total,
		    o->size);
	printf("tlspair: bytes=%" PRIu64 " seconds=%.3f gbps=%.3f cipher=%s "
	    "cpu=%.3f server_cpu=%.3f\n", total, t1 - t0,
	    total / (t1 - t0) / 1e9, SSL_get_cipher(ssl),
	    bench_cpu(RUSAGE_SELF), bench_cpu(RUSAGE_CHILDREN));
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	free(buf);
	return 0;
}

static void __attribute__((noreturn))
tlspair_usage(void)
{
	fprintf(stderr, "usage: tlspair --ca FILE --server-cert FILE "
	    "--server-key FILE --cert FILE --key FILE\n"
	    "               [--size SIZE] [--chunk BYTES] "
	    "[--ciphersuites LIST]\n"
	    "               [--relay] [--spool FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "ca", required_argument, NULL, 'a' },
		{ "server-cert", required_argument, NULL, 'C' },
		{ "server-key", required_argument, NULL, 'K' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'b' },
		{ "ciphersuites", required_argument, NULL, 'x' },
		{ "relay", no_argument, NULL, 'r' },
		{ "spool", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct tlspair_opts	 o;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	uint64_t		 v;
	pid_t			 pid;
	int			 ch, lfd, rc;

	memset(&o, 0, sizeof o);
	o.size = 2ULL << 30;
	o.chunk = 64 * 1024;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.ca = optarg;
			break;
		case 'C':
			o.server_cert = optarg;
			break;
		case 'K':
			o.server_key = optarg;
			break;
		case 'c':
			o.cert = optarg;
			break;
		case 'k':
			o.key = optarg;
			break;
		case 's':
			if (bench_parse_size(optarg, &o.size) == -1)
				tlspair_die("bad size %s", optarg);
			break;
		case 'b':
			if (bench_parse_size(optarg, &v) == -1 || v == 0 ||
			    v > 16 * 1024 * 1024)
				tlspair_die("bad chunk %s", optarg);
			o.chunk = (size_t)v;
			break;
		case 'x':
			o.ciphersuites = optarg;
			break;
		case 'r':
			o.relay = 1;
			break;
		case 'S':
			o.relay = 1;
			o.spool = optarg;
			break;
		default:
			tlspair_usage();
		}
	}
	if (optind != argc || o.ca == NULL || o.server_cert == NULL ||
	    o.server_key == NULL || o.cert == NULL || o.key == NULL)
		tlspair_usage();

	signal(SIGPIPE, SIG_IGN);
	bench_name = "tlspair";
	bench_time_limit(TLSPAIR_TIMEOUT);

	/* Loopback only, port 0: read the real port back. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
		tlspair_die("listen on 127.0.0.1: %s", strerror(errno));

	fflush(stdout);
	if ((pid = fork()) == -1)
		tlspair_die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The alarm is not inherited: the server gets its own. */
		alarm(TLSPAIR_TIMEOUT);
		rc = tlspair_server(&o, lfd);
		_exit(rc);
	}
	close(lfd);
	rc = tlspair_client(&o, &sin, pid);
	return rc;
}
