/*
 * check_security.c - limits, deadlines, run_as and certificate validity,
 * against a real runneld: per-connection and per-identity limits answered
 * with their codes, silent and dribbling connections closed on time (and a
 * thousand of them not slowing a real client), tasks run as their owner's
 * run_as user, and expired or not-yet-valid client certificates refused.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "daemon/config.h"
#include "harness.h"
#include "rawc.h"

static struct harness	h;

/* Monotonic milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A plain TCP connection to the daemon's TLS port. */
static int
tcp_connect(void)
{
	struct sockaddr_in	 sin;
	char			 host[64], *colon;
	int			 fd;

	snprintf(host, sizeof host, "%s", h.host);
	colon = strrchr(host, ':');
	ck_assert_ptr_nonnull(colon);
	*colon = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	ck_assert_int_eq(inet_pton(AF_INET, host, &sin.sin_addr), 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
	    "connect: %s", strerror(errno));
	return fd;
}

/* Has the daemon closed fd (EOF or reset), waiting up to ms? */
static int
closed_within(int fd, int ms)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		buf[256];
	ssize_t		n;
	int64_t		end = now_ms() + ms;

	for (;;) {
		int left = (int)(end - now_ms());

		if (poll(&pfd, 1, left > 0 ? left : 0) != 1)
			return 0;
		n = read(fd, buf, sizeof buf);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 1;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return 1;
		if (left <= 0)
			return 0;
	}
}

/* A task's spec from argv. */
static struct runnel_spec
spec_of(const char *const *argv)
{
	struct runnel_spec	spec;

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	return spec;
}

/* ---- limits ------------------------------------------------------------ */

static void
setup_limits(void)
{
	harness_start(&h, "max_argv = 4k\nmax_queued_per_identity = 2\n"
	    "max_inflight = 2\n");
}

static void
teardown(void)
{
	harness_stop(&h);
}

START_TEST(test_max_argv)
{
	struct runnel_client	*c = harness_client(&h, "alice");
	struct runnel_spec	 spec;
	static char		 big[5000], fits[3000];
	const char		*argv[] = { "echo", big, NULL };
	const char		*env[] = { fits, NULL };
	const char		*argv2[] = { "true", NULL };
	uint64_t		 id;

	memset(big, 'a', sizeof big - 1);
	spec = spec_of(argv);
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EARG);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(c), "max_argv"));

	/* Under the limit, env included, is fine; over it with env is not. */
	memset(fits, 'b', sizeof fits - 1);
	fits[0] = 'X';
	fits[1] = '=';
	spec = spec_of(argv2);
	spec.env = env;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	big[1500] = '\0';
	spec = spec_of(argv);
	spec.env = env;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), RUNNEL_EARG);
	runnel_close(c);
}
END_TEST

START_TEST(test_max_queued_per_identity)
{
	struct runnel_client	*a = harness_client(&h, "alice");
	struct runnel_client	*b = harness_client(&h, "bob");
	const char		*argv[] = { "true", NULL };
	struct runnel_spec	 spec = spec_of(argv);
	uint64_t		 id, ids[2];

	/* Tasks that start in an hour stay queued. */
	spec.start_at_ms = (int64_t)time(NULL) * 1000 + 3600 * 1000;
	ck_assert_int_eq(runnel_submit(a, &spec, &ids[0]), 0);
	ck_assert_int_eq(runnel_submit(a, &spec, &ids[1]), 0);
	ck_assert_int_eq(runnel_submit(a, &spec, &id), RUNNEL_EEXHAUSTED);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(a),
	    "max_queued_per_identity"));
	/* bob is not alice. */
	ck_assert_int_eq(runnel_submit(b, &spec, &id), 0);
	/* Once one of alice's leaves the queue, she may queue again. */
	ck_assert_int_ge(runnel_cancel(a, &ids[0], 1, 0, 0), 0);
	ck_assert_int_eq(runnel_submit(a, &spec, &id), 0);
	ck_assert_int_eq(runnel_submit(a, &spec, &id), RUNNEL_EEXHAUSTED);
	runnel_close(a);
	runnel_close(b);
}
END_TEST

/* Send a Wait for a task; returns the request id. */
static uint64_t
raw_wait_send(struct rawc *rc, uint64_t id)
{
	Runnel__V1__ClientMessage	m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__WaitRequest		w = RUNNEL__V1__WAIT_REQUEST__INIT;

	w.n_task_ids = 1;
	w.task_ids = &id;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_WAIT;
	m.wait = &w;
	return rawc_send(rc, &m);
}

START_TEST(test_max_inflight)
{
	struct rawc			 rc;
	Runnel__V1__TaskSpec		*spec;
	Runnel__V1__ServerMessage	*r;
	Runnel__V1__ClientMessage	 m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__StatusRequest	 st = RUNNEL__V1__STATUS_REQUEST__INIT;
	const char			*argv[] = { "sleep", "30", NULL };
	uint64_t			 id, req;
	int				 code;

	rawc_open(&rc, &h);
	spec = rawc_spec(argv);
	id = rawc_submit(&rc, spec, &code);
	ck_assert_uint_ne(id, 0);
	/* Two waits are held open; the third is refused at once. */
	raw_wait_send(&rc, id);
	raw_wait_send(&rc, id);
	req = raw_wait_send(&rc, id);
	r = rawc_recv(&rc);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->id, req);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR);
	ck_assert_int_eq(r->error->code,
	    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED);
	ck_assert_ptr_nonnull(strstr(r->error->message, "max_inflight"));
	rawc_free(r);
	/* Requests answered at once still are. */
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_STATUS;
	m.status = &st;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case,
	    RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS);
	rawc_free(r);
	rawc_spec_free(spec);
	rawc_close(&rc);
}
END_TEST

/* ---- connections before hello ------------------------------------------ */

static void
setup_startups(void)
{
	harness_start(&h, "max_startups = 2:100:2\nhello_timeout = 1s\n");
}

START_TEST(test_max_startups)
{
	struct runnel_client	*c;
	struct rawc		 rc;
	int			 a, b, d;

	/* Two silent connections fill the unauthenticated slots: a third is
	 * dropped at once. */
	a = tcp_connect();
	b = tcp_connect();
	d = tcp_connect();
	ck_assert_int_eq(closed_within(d, 2000), 1);
	ck_assert_int_eq(harness_wait_log(&h, "max_startups"), 0);
	close(d);
	/* The first two are still open until their deadline. */
	ck_assert_int_eq(closed_within(a, 0), 0);
	/* A unix-socket peer, known by its uid, is not held back. */
	rawc_open(&rc, &h);
	rawc_close(&rc);
	close(a);
	close(b);
	/* Their slots free up: an authenticated client gets in. */
	ck_assert_int_eq(harness_wait_log(&h, "conn 1: 127.0.0.1"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "conn 2: 127.0.0.1"), 0);
	c = harness_client(&h, "alice");
	runnel_close(c);
}
END_TEST

/* A ClientHello for the daemon, as bytes, to dribble. */
static uint8_t *
client_hello(size_t *len)
{
	SSL_CTX		*ctx;
	SSL		*ssl;
	BIO		*rb, *wb;
	char		*data;
	uint8_t		*copy;
	long		 n;

	ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(ctx);
	ssl = SSL_new(ctx);
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	SSL_set_bio(ssl, rb, wb);
	SSL_set_connect_state(ssl);
	ck_assert_int_le(SSL_do_handshake(ssl), 0);
	n = BIO_get_mem_data(wb, &data);
	ck_assert_int_gt(n, 0);
	copy = malloc((size_t)n);
	memcpy(copy, data, (size_t)n);
	*len = (size_t)n;
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return copy;
}

START_TEST(test_hello_deadline)
{
	uint8_t		*hello;
	size_t		 len, off = 0;
	int		 silent, tls, unix_fd;
	int64_t		 start, closed = 0;
	static const uint8_t hdr[] = { 0, 0, 0, 40 };

	hello = client_hello(&len);
	start = now_ms();
	silent = tcp_connect();
	tls = tcp_connect();
	unix_fd = harness_raw_unix(&h);
	/* A byte every 200 ms on each: the deadline is from accept, not
	 * from the last byte. */
	while (now_ms() - start < 3000) {
		if (off < len)
			send(tls, hello + off, 1, MSG_NOSIGNAL);
		if (off < sizeof hdr)
			send(unix_fd, hdr + off, 1, MSG_NOSIGNAL);
		else
			send(unix_fd, "x", 1, MSG_NOSIGNAL);
		off++;
		if (closed_within(tls, 200) && closed_within(unix_fd, 0) &&
		    closed_within(silent, 0)) {
			closed = now_ms();
			break;
		}
	}
	ck_assert_msg(closed != 0, "connections still open after 3 s");
	ck_assert_int_ge(closed - start, 900);
	ck_assert_int_le(closed - start, 2000);
	ck_assert_int_eq(harness_wait_log(&h, "no hello in time"), 0);
	close(silent);
	close(tls);
	close(unix_fd);
	free(hello);
}
END_TEST

/* ---- a thousand stalled connections ------------------------------------ */

#define STALL_CONNS		1000
#define STALL_DEADLINE_MS	2000

static void
setup_stall(void)
{
	struct rlimit	rl;

	/* The test and the daemon (which inherits it) need the fds. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	harness_start(&h, "hello_timeout = 2s\nmax_startups = 3000\n"
	    "max_startups_per_source = 0\nsource_penalty = 0\n"
	    "max_connections = 3000\n");
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(test_thousand_stalled)
{
	struct rlimit		 rl;
	int			*fds;
	int64_t			*started, *opened, *closed, lat[20], t0;
	uint8_t			*hello;
	size_t			 hlen, i, k, off = 0, nclosed = 0, nconns;
	struct runnel_client	*c;
	const char		*argv[] = { "true", NULL };
	struct runnel_spec	 spec = spec_of(argv);
	uint64_t		 id;
	struct pollfd		*pfd;
	char			 buf[64];

	/* A tenth under valgrind (CK_TIMEOUT_MULTIPLIER=10), whose daemon
	 * cannot serve a thousand dribbling peers in time. */
	nconns = STALL_CONNS / harness_slow();
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < nconns + 200) {
		fprintf(stderr, "check_security: skipped: RLIMIT_NOFILE %lu "
		    "is too low for %zu connections\n",
		    (unsigned long)rl.rlim_cur, nconns);
		return;
	}
	hello = client_hello(&hlen);
	fds = calloc(nconns, sizeof *fds);
	started = calloc(nconns, sizeof *started);
	opened = calloc(nconns, sizeof *opened);
	closed = calloc(nconns, sizeof *closed);
	pfd = calloc(nconns, sizeof *pfd);
	/* A third silent on TLS, a third dribbling a ClientHello, a third
	 * dribbling a frame on the unix socket. */
	for (i = 0; i < nconns; i++) {
		/* The daemon may accept before connect returns here: the
		 * time before it bounds the deadline from below. */
		started[i] = now_ms();
		fds[i] = i % 3 == 2 ? harness_raw_unix(&h) : tcp_connect();
		opened[i] = now_ms();
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}

	/* A real client meanwhile: 20 submits, each answered quickly. */
	c = harness_client(&h, "alice");
	for (k = 0; k < 20; k++) {
		t0 = now_ms();
		ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
		lat[k] = now_ms() - t0;
	}
	runnel_close(c);
	qsort(lat, 20, sizeof *lat, cmp_i64);
	ck_assert_msg(lat[19] < (int64_t)harness_ms(2000),
	    "submit took %lld ms (max of 20)", (long long)lat[19]);

	/* Dribble a byte every 500 ms until all are closed. */
	t0 = now_ms();
	while (nclosed < nconns &&
	    now_ms() - opened[nconns - 1] < STALL_DEADLINE_MS +
	    (int64_t)harness_ms(3000)) {
		for (i = 0; i < nconns; i++) {
			pfd[i].fd = closed[i] != 0 ? -1 : fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (now_ms() - t0 >= 500) {
			for (i = 0; i < nconns; i++) {
				if (closed[i] != 0 || i % 3 == 0)
					continue;
				if (i % 3 == 1 && off < hlen)
					send(fds[i], hello + off, 1,
					    MSG_NOSIGNAL);
				else if (i % 3 == 2)
					send(fds[i], off < 3 ? "\0" : "x", 1,
					    MSG_NOSIGNAL);
			}
			off++;
			t0 = now_ms();
		}
		if (poll(pfd, nconns, 100) <= 0)
			continue;
		for (i = 0; i < nconns; i++) {
			ssize_t	n;

			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(fds[i], buf, sizeof buf);
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				closed[i] = now_ms();
				nclosed++;
			}
		}
	}
	ck_assert_msg(nclosed == nconns, "%zu of %zu closed", nclosed,
	    nconns);
	for (i = 0, t0 = 0; i < nconns; i++)
		if (closed[i] - opened[i] > t0)
			t0 = closed[i] - opened[i];
	fprintf(stderr, "check_security: %zu stalled connections: submit "
	    "max %lld ms of 20, median %lld ms; last closed %lld ms after "
	    "its connect (deadline %d ms)\n", nconns, (long long)lat[19],
	    (long long)lat[10], (long long)t0, STALL_DEADLINE_MS);
	for (i = 0; i < nconns; i++) {
		/* A slow (valgrind) daemon takes longer to close them. */
		ck_assert_msg(closed[i] - opened[i] <= STALL_DEADLINE_MS +
		    (int64_t)harness_ms(1000),
		    "connection %zu closed after %lld ms", i,
		    (long long)(closed[i] - opened[i]));
		ck_assert_msg(closed[i] - started[i] >= STALL_DEADLINE_MS - 20,
		    "connection %zu closed early, after %lld ms", i,
		    (long long)(closed[i] - started[i]));
		close(fds[i]);
	}
	/* And the daemon still answers. */
	c = harness_client(&h, "alice");
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	runnel_close(c);
	free(fds);
	free(started);
	free(opened);
	free(closed);
	free(pfd);
	free(hello);
}
END_TEST

/* ---- run_as ------------------------------------------------------------ */

static void
setup_run_as(void)
{
	harness_start(&h, "[server]\nrun_as_root = no\n"
	    "[access]\ncarol = user run_as=nobody\n");
}

/* The value of a "Key:" line of /proc/PID/status output, tabs as spaces. */
static char *
status_field(const char *text, const char *key)
{
	const char	*p = strstr(text, key);
	char		*v, *q;
	size_t		 n;

	ck_assert_msg(p != NULL, "no %s in %s", key, text);
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	n = strcspn(p, "\n");
	v = strndup(p, n);
	for (q = v; *q != '\0'; q++)
		if (*q == '\t')
			*q = ' ';
	while (n > 0 && v[n - 1] == ' ')
		v[--n] = '\0';
	return v;
}

START_TEST(test_run_as)
{
	struct runnel_client	*c;
	struct collect		 col;
	const char		*argv[] = { "cat", "/proc/self/status", NULL };
	struct passwd		*pw;
	gid_t			 groups[64];
	int			 ngroups = 64, i;
	char			*cause = NULL, *v, want[256];
	size_t			 len;

	if (geteuid() != 0) {
		fprintf(stderr, "check_security: test_run_as skipped: needs "
		    "root\n");
		return;
	}
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	ck_assert_int_ge(getgrouplist("nobody", pw->pw_gid, groups, &ngroups),
	    0);
	ck_assert_int_eq(runnel_pki_issue(h.pki, "carol", &cause), 0);

	/* carol's task runs as nobody, its groups only, no new privileges. */
	c = harness_client(&h, "carol");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_int_eq(col.last_state, RUNNEL_SUCCEEDED);
	snprintf(want, sizeof want, "%lu %lu %lu %lu",
	    (unsigned long)pw->pw_uid, (unsigned long)pw->pw_uid,
	    (unsigned long)pw->pw_uid, (unsigned long)pw->pw_uid);
	v = status_field(col.out, "Uid:");
	ck_assert_str_eq(v, want);
	free(v);
	snprintf(want, sizeof want, "%lu %lu %lu %lu",
	    (unsigned long)pw->pw_gid, (unsigned long)pw->pw_gid,
	    (unsigned long)pw->pw_gid, (unsigned long)pw->pw_gid);
	v = status_field(col.out, "Gid:");
	ck_assert_str_eq(v, want);
	free(v);
	v = status_field(col.out, "Groups:");
	for (i = 0, len = 0, want[0] = '\0'; i < ngroups; i++)
		len += snprintf(want + len, sizeof want - len, "%s%lu",
		    len != 0 ? " " : "", (unsigned long)groups[i]);
	ck_assert_str_eq(v, want);
	free(v);
	v = status_field(col.out, "NoNewPrivs:");
	ck_assert_str_eq(v, "1");
	free(v);
	v = status_field(col.out, "CapEff:");
	ck_assert_str_eq(v, "0000000000000000");
	free(v);
	collect_free(&col);
	runnel_close(c);

	/* alice has no run_as: her tasks are refused, clearly. */
	c = harness_client(&h, "alice");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), RUNNEL_EPERM);
	ck_assert_ptr_nonnull(strstr(runnel_last_error(c),
	    "alice has no run_as user"));
	collect_free(&col);
	runnel_close(c);
	ck_assert_int_eq(harness_wait_log(&h, "submit refused"), 0);
}
END_TEST

/* ---- certificate validity ---------------------------------------------- */

static void
setup_plain(void)
{
	harness_start(&h, NULL);
}

/* Issue alice's certificate from the harness CA, valid from `from` to `to`
 * seconds from now, into dir/NAME.{crt,key}.  Its key is P-256, not the
 * Ed25519 runnel_pki_issue makes: runneld must take both. */
static void
issue_dated(const char *name, long from, long to)
{
	char		 path[256];
	FILE		*f;
	X509		*ca, *x;
	EVP_PKEY	*cakey, *key;
	X509_NAME	*subj;
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	snprintf(path, sizeof path, "%s/ca.crt", h.pki);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof path, "%s/ca.key", h.pki);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(cakey);

	key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(key);
	x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)now_ms() & 0xffffff);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	subj = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)"alice", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "clientAuth");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, cakey, EVP_sha256()), 0);

	snprintf(path, sizeof path, "%s/%s.crt", h.pki, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s.key", h.pki, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
}

/* Connect with pki/NAME.{crt,key}. */
static int
connect_as_file(const char *name, struct runnel_client **c)
{
	struct runnel_connect_opts	opts;
	char				ca[200], cert[200], key[200];

	snprintf(ca, sizeof ca, "%s/ca.crt", h.pki);
	snprintf(cert, sizeof cert, "%s/%s.crt", h.pki, name);
	snprintf(key, sizeof key, "%s/%s.key", h.pki, name);
	memset(&opts, 0, sizeof opts);
	opts.host = h.host;
	opts.ca = ca;
	opts.cert = cert;
	opts.key = key;
	*c = NULL;
	return runnel_connect(c, &opts);
}

START_TEST(test_cert_validity)
{
	struct runnel_client	*c;

	/* A certificate that ended an hour ago. */
	issue_dated("expired", -86400, -3600);
	ck_assert_int_lt(connect_as_file("expired", &c), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(harness_wait_log(&h, "certificate has expired"), 0);

	/* One that starts in an hour. */
	issue_dated("future", 3600, 86400);
	ck_assert_int_lt(connect_as_file("future", &c), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(harness_wait_log(&h, "certificate is not yet valid"),
	    0);

	/* The same CA and name, currently valid: accepted, P-256 key and
	 * all. */
	issue_dated("current", -60, 3600);
	ck_assert_int_eq(connect_as_file("current", &c), 0);
	ck_assert_str_eq(runnel_identity(c), "alice");
	runnel_close(c);
}
END_TEST

/* ---- configuration keys ------------------------------------------------ */

/* Load a [limits]/[server]/[access] snippet; the cause on error. */
static struct config *
load(const char *text, char **cause)
{
	char		 path[] = "/tmp/check_security.XXXXXX";
	int		 fd = mkstemp(path);
	struct config	*conf;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	*cause = NULL;
	conf = config_load(path, cause);
	unlink(path);
	return conf;
}

START_TEST(test_config_keys)
{
	struct config			*conf;
	const struct access_entry	*ca;
	char				*cause;

	conf = load("[server]\nstate_dir = /tmp\n", &cause);
	ck_assert_ptr_nonnull(conf);
	ck_assert_uint_eq(conf->max_inflight, 64);
	ck_assert_uint_eq(conf->max_queued_per_identity, 10000);
	ck_assert_uint_eq(conf->max_startups.start, 10);
	ck_assert_uint_eq(conf->max_startups.rate, 30);
	ck_assert_uint_eq(conf->max_startups.full, 100);
	ck_assert_uint_eq(conf->max_argv, 256 * 1024);
	ck_assert_uint_eq(conf->hello_timeout_ms, 10000);
	ck_assert_int_eq(conf->run_as_root, 0);
	config_free(conf);

	conf = load("[server]\nrun_as_root = yes\n[limits]\nmax_inflight = 3\n"
	    "max_queued_per_identity = 0\nmax_startups = 5:50:20\n"
	    "max_argv = 1m\nhello_timeout = 250ms\n[access]\n"
	    "x = user run_as=root\ny = admin\n", &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_int_eq(conf->run_as_root, 1);
	ck_assert_uint_eq(conf->max_inflight, 3);
	ck_assert_uint_eq(conf->max_queued_per_identity, 0);
	ck_assert_uint_eq(conf->max_startups.start, 5);
	ck_assert_uint_eq(conf->max_startups.rate, 50);
	ck_assert_uint_eq(conf->max_startups.full, 20);
	ck_assert_uint_eq(conf->max_argv, 1024 * 1024);
	ck_assert_uint_eq(conf->hello_timeout_ms, 250);
	ca = access_find(conf, "x");
	ck_assert_ptr_nonnull(ca);
	ck_assert_int_eq(ca->role, ROLE_USER);
	ck_assert_str_eq(ca->run_as, "root");
	ck_assert_uint_eq(ca->run_user.uid, 0);
	ck_assert_uint_eq(ca->run_user.gid, 0);
	ck_assert_uint_ge(ca->run_user.ngroups, 1);
	ck_assert_ptr_null(access_find(conf, "y")->run_as);
	config_free(conf);

	/* Errors name the line. */
	ck_assert_ptr_null(load("[access]\nx = user run_as=no-such-user-here\n",
	    &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: run_as user "
	    "'no-such-user-here' does not exist"));
	free(cause);
	ck_assert_ptr_null(load("[access]\nx = user run_as=root extra\n",
	    &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: unexpected text after "
	    "'run_as=root'"));
	free(cause);
	ck_assert_ptr_null(load("[limits]\nmax_startups = 10:30\n", &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: bad value '10:30'"));
	free(cause);
	ck_assert_ptr_null(load("[limits]\nmax_startups = 50:30:10\n", &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: max_startups: need"));
	free(cause);
	ck_assert_ptr_null(load("[server]\nrun_as_root = maybe\n", &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: bad value 'maybe' for "
	    "'run_as_root' (yes or no)"));
	free(cause);
	ck_assert_ptr_null(load("[limits]\nmax_inflight = 0\n", &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: max_inflight must be"));
	free(cause);
	ck_assert_ptr_null(load("[limits]\nmax_argv = 100\n", &cause));
	ck_assert_ptr_nonnull(strstr(cause, ":2: max_argv must be"));
	free(cause);
}
END_TEST

/* ---- a full table ------------------------------------------------------ */

static void
setup_full(void)
{
	harness_start(&h, "max_connections = 1\n");
}

/* How many lines of the daemon's log hold text. */
static size_t
log_count(const char *text)
{
	const char	*p;
	size_t		 n = 0;

	pthread_mutex_lock(&h.log_mtx);
	for (p = h.log; p != NULL && (p = strstr(p, text)) != NULL; p++)
		n++;
	pthread_mutex_unlock(&h.log_mtx);
	return n;
}

/* A peer that reconnects as fast as it is refused writes one log line a
 * second, not one per refusal (44,654 lines in 30 s before), and the next
 * line counts those it stood for. */
START_TEST(test_refusals_logged_once_a_second)
{
	static const char	 line[] = "connection limit 1 reached";
	struct rawc		 rc;
	int64_t			 start;
	size_t			 i, lines;
	int			 fd;

	rawc_open(&rc, &h);
	start = now_ms();
	for (i = 0; i < 200; i++) {
		fd = tcp_connect();
		ck_assert_int_eq(closed_within(fd, (int)harness_ms(2000)), 1);
		close(fd);
	}
	ck_assert_int_eq(harness_wait_log(&h, line), 0);
	lines = log_count(line);
	ck_assert_msg(lines >= 1 && (int64_t)lines <= 2 +
	    (now_ms() - start) / 1000, "%zu lines for 200 refusals in "
	    "%lld ms", lines, (long long)(now_ms() - start));
	/* Refused again a second later: the count of the skipped. */
	while (log_count(line) == lines) {
		ck_assert_int_lt(now_ms() - start, (int64_t)harness_ms(10000));
		fd = tcp_connect();
		ck_assert_int_eq(closed_within(fd, (int)harness_ms(2000)), 1);
		close(fd);
	}
	ck_assert_int_eq(harness_wait_log(&h, "more refused since the last "
	    "line"), 0);
	ck_assert_int_eq(log_count("(0 more refused"), 1);
	rawc_close(&rc);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite	*s = suite_create("security");
	TCase	*tc;

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_keys);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup_limits, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_max_argv);
	tcase_add_test(tc, test_max_queued_per_identity);
	tcase_add_test(tc, test_max_inflight);
	suite_add_tcase(s, tc);

	tc = tcase_create("full");
	tcase_add_checked_fixture(tc, setup_full, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refusals_logged_once_a_second);
	suite_add_tcase(s, tc);

	tc = tcase_create("startups");
	tcase_add_checked_fixture(tc, setup_startups, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_max_startups);
	tcase_add_test(tc, test_hello_deadline);
	suite_add_tcase(s, tc);

	tc = tcase_create("stall");
	tcase_add_checked_fixture(tc, setup_stall, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_thousand_stalled);
	suite_add_tcase(s, tc);

	tc = tcase_create("run_as");
	tcase_add_checked_fixture(tc, setup_run_as, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_run_as);
	suite_add_tcase(s, tc);

	tc = tcase_create("certs");
	tcase_add_checked_fixture(tc, setup_plain, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cert_validity);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(security_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
