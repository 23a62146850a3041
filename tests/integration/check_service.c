/*
 * check_service.c - runneld as a system service: sd_notify messages to a
 * fake NOTIFY_SOCKET, socket activation with passed fds, reload (SIGHUP)
 * of the access map, certificate and CRL while tasks run and watchers stay
 * connected, a bad configuration refused on reload, the on_shutdown policy,
 * and daemonizing with a pid file.
 *
 * The test binary doubles as the wrapper that sets up socket activation:
 * "check_service --wrap [-e K=V] [-l FD:NAME] -- PROG ARGS" moves the
 * listed fds to 3, 4, ..., sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID
 * to its own pid, and execs PROG, which keeps that pid.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common.h"
#include "config.h"
#include "harness.h"

/* Drop const for execv's argv. */
#define UNCONST(s)	((char *)(uintptr_t)(s))

static char		 self[PATH_MAX];	/* this binary, as the wrapper */
static struct harness	 h;

/* The wrapper: move fds, set the environment, exec the daemon. */
static int
wrap_main(int argc, char **argv)
{
	char	names[256] = "", buf[32];
	int	fds[8], nfds = 0, i, fd;
	char	*colon;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
			putenv(argv[++i]);
		else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc &&
		    nfds < 8) {
			i++;
			fd = (int)strtol(argv[i], &colon, 10);
			/* Out of the way of 3, 4...; not close-on-exec. */
			fds[nfds++] = fcntl(fd, F_DUPFD, 64);
			close(fd);
			if (*names != '\0')
				strcat(names, ":");
			strncat(names, colon + 1, sizeof names -
			    strlen(names) - 1);
		}
	}
	if (i + 1 >= argc)
		return 2;
	for (fd = 0; fd < nfds; fd++) {
		dup2(fds[fd], 3 + fd);
		close(fds[fd]);
	}
	if (nfds > 0) {
		snprintf(buf, sizeof buf, "%d", nfds);
		setenv("LISTEN_FDS", buf, 1);
		setenv("LISTEN_FDNAMES", names, 1);
		snprintf(buf, sizeof buf, "%ld", (long)getpid());
		setenv("LISTEN_PID", buf, 1);
	}
	execv(argv[i + 1], argv + i + 1);
	return 127;
}

/* Replace the first occurrence of from by to in a file. */
static void
edit_file(const char *path, const char *from, const char *to)
{
	char	*text = NULL, *p, *out;
	size_t	 len = 0;
	FILE	*f;

	f = fopen(path, "r");
	ck_assert(f != NULL);
	ck_assert(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	p = strstr(text, from);
	ck_assert_msg(p != NULL, "%s not in %s", from, path);
	out = malloc(strlen(text) + strlen(to) + 1);
	memcpy(out, text, (size_t)(p - text));
	strcpy(out + (p - text), to);
	strcat(out, p + strlen(from));
	harness_write_file(path, out);
	free(out);
	free(text);
}

/* SIGHUP the daemon and wait for the outcome in its log. */
static void
reload_and_wait(const char *expect)
{
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_msg(harness_wait_log(&h, expect) == 0, "no '%s' in: %s",
	    expect, h.log);
}

/* Count occurrences of text in the daemon's log. */
static int
log_count(const char *text)
{
	const char	*p;
	int		 n = 0;

	pthread_mutex_lock(&h.log_mtx);
	for (p = h.log; p != NULL && (p = strstr(p, text)) != NULL; p++)
		n++;
	pthread_mutex_unlock(&h.log_mtx);
	return n;
}

/* ---- sd_notify --------------------------------------------------------- */

/* Read datagrams until one contains text (10 s); all seen so far go to
 * *seen. */
static int
notify_expect(int fd, const char *text, char *seen, size_t seenlen)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		msg[1024];
	ssize_t		n;
	int		i;

	for (i = 0; i < 100; i++) {
		if (poll(&pfd, 1, 100) == 1) {
			n = recv(fd, msg, sizeof msg - 1, 0);
			ck_assert(n > 0);
			msg[n] = '\0';
			if (seen != NULL) {
				strncat(seen, msg, seenlen - strlen(seen) - 2);
				strcat(seen, "|");
			}
			if (strstr(msg, text) != NULL)
				return 0;
			i = 0;
		}
	}
	return -1;
}

START_TEST(test_notify)
{
	struct sockaddr_un	 sun;
	struct runnel_client	*c;
	struct runnel_spec	 spec;
	const char		*argv[] = { "sleep", "30", NULL };
	const char		*wrapper[6];
	char			 env[200], seen[4096] = "";
	uint64_t		 id;
	int			 fd;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s/notify", h.dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert(fd != -1);
	ck_assert(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	snprintf(env, sizeof env, "NOTIFY_SOCKET=%s", sun.sun_path);
	wrapper[0] = self;
	wrapper[1] = "--wrap";
	wrapper[2] = "-e";
	wrapper[3] = env;
	wrapper[4] = "--";
	wrapper[5] = NULL;
	harness_spawn(&h, wrapper);

	/* READY=1 comes with a status and the main pid. */
	ck_assert_msg(notify_expect(fd, "READY=1", seen, sizeof seen) == 0,
	    "no READY=1: %s", seen);
	ck_assert_msg(strstr(seen, "STATUS=0 running, 0 queued") != NULL,
	    "%s", seen);
	ck_assert(strstr(seen, "MAINPID=") != NULL);

	/* STATUS= follows the task counts. */
	c = harness_client(&h, "alice");
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	ck_assert_msg(notify_expect(fd, "STATUS=1 running", seen,
	    sizeof seen) == 0, "no status update: %s", seen);

	/* SIGHUP: RELOADING=1, then READY=1 again. */
	seen[0] = '\0';
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_msg(notify_expect(fd, "RELOADING=1", seen, sizeof seen) == 0,
	    "%s", seen);
	ck_assert(strstr(seen, "MONOTONIC_USEC=") != NULL);
	ck_assert_msg(notify_expect(fd, "READY=1", seen, sizeof seen) == 0,
	    "%s", seen);

	/* SIGTERM: STOPPING=1. */
	seen[0] = '\0';
	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_msg(notify_expect(fd, "STOPPING=1", seen, sizeof seen) == 0,
	    "%s", seen);
	ck_assert_int_eq(harness_wait_log(&h, "exiting"), 0);
	runnel_close(c);
	close(fd);
	harness_stop(&h);
}
END_TEST

/* A task started by the daemon does not see NOTIFY_SOCKET. */
START_TEST(test_notify_not_inherited)
{
	struct runnel_client	*c;
	struct collect		 col;
	const char		*argv[] = { "sh", "-c",
	    "echo \"[${NOTIFY_SOCKET-unset}]\"", NULL };
	const char		*wrapper[8];
	char			 env[200];

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(env, sizeof env, "NOTIFY_SOCKET=%s/nobody", h.dir);
	wrapper[0] = self;
	wrapper[1] = "--wrap";
	wrapper[2] = "-e";
	wrapper[3] = env;
	wrapper[4] = "--";
	wrapper[5] = NULL;
	harness_spawn(&h, wrapper);
	c = harness_client(&h, "alice");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "[unset]\n");
	collect_free(&col);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

#ifdef HAVE_LIBSYSTEMD
/* ---- socket activation -------------------------------------------------- */

/* A listening TCP socket on 127.0.0.1, inherited by children. */
static int
tcp_listener(int *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof sin;
	int			fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(fd != -1);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	ck_assert(listen(fd, 16) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A listening unix socket at path, inherited by children. */
static int
unix_listener(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert(strlen(path) < sizeof sun.sun_path);
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert(fd != -1);
	ck_assert(bind(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	ck_assert(listen(fd, 16) == 0);
	return fd;
}

START_TEST(test_activation)
{
	struct runnel_client	*c;
	struct collect		 col;
	const char		*argv[] = { "sh", "-c", "echo activated "
	    "${LISTEN_FDS-unset} ${LISTEN_PID-unset} ${LISTEN_FDNAMES-unset}",
	    NULL };
	const char		*wrapper[8];
	char			 ufd[32], tfd[32], path[100], conf_sock[200];
	char			 want[64];
	struct stat		 st;
	int			 u, t, port;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(conf_sock, sizeof conf_sock, "%s", h.sock);
	unlink(conf_sock);
	snprintf(path, sizeof path, "%s/passed.sock", h.dir);
	u = unix_listener(path);
	t = tcp_listener(&port);
	snprintf(ufd, sizeof ufd, "%d:unix", u);
	snprintf(tfd, sizeof tfd, "%d:tls", t);
	wrapper[0] = self;
	wrapper[1] = "--wrap";
	wrapper[2] = "-l";
	wrapper[3] = ufd;
	wrapper[4] = "-l";
	wrapper[5] = tfd;
	wrapper[6] = "--";
	wrapper[7] = NULL;
	harness_spawn(&h, wrapper);
	close(u);
	close(t);

	ck_assert_int_eq(harness_wait_log(&h,
	    "socket activation: 2 sockets passed"), 0);
	/* The TLS port is the one passed, not the config's port 0. */
	snprintf(want, sizeof want, "127.0.0.1:%d", port);
	ck_assert_str_eq(h.host, want);
	/* The configured unix socket was not bound. */
	ck_assert_int_eq(stat(conf_sock, &st), -1);

	c = harness_client(&h, "alice");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	/* Tasks do not inherit the activation variables. */
	ck_assert_str_eq(col.out, "activated unset unset unset\n");
	collect_free(&col);
	runnel_close(c);

	snprintf(h.sock, sizeof h.sock, "%s", path);
	c = harness_client(&h, NULL);
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "activated unset unset unset\n");
	ck_assert_str_eq(runnel_role(c), "admin");
	collect_free(&col);
	runnel_close(c);
	harness_shutdown(&h);
	/* The passed unix socket is systemd's: it stays. */
	ck_assert_int_eq(stat(path, &st), 0);
	harness_stop(&h);
}
END_TEST

/* A passed socket with a name runneld does not know is refused. */
START_TEST(test_activation_bad_name)
{
	char	*argv[10], lfd[32], *out, *err;
	int	 t, port, status;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	t = tcp_listener(&port);
	snprintf(lfd, sizeof lfd, "%d:metrics", t);
	argv[0] = self;
	argv[1] = UNCONST("--wrap");
	argv[2] = UNCONST("-l");
	argv[3] = lfd;
	argv[4] = UNCONST("--");
	argv[5] = getenv("RUNNELD");
	argv[6] = UNCONST("-f");
	argv[7] = UNCONST("-c");
	argv[8] = h.conf;
	argv[9] = NULL;
	status = harness_run(argv, &out, NULL, &err);
	close(t);
	ck_assert_int_eq(status, 1);
	ck_assert_msg(strstr(err, "passed socket 'metrics'") != NULL &&
	    strstr(err, "expected FileDescriptorName=unix or tls") != NULL,
	    "%s", err);
	free(out);
	free(err);
	harness_stop(&h);
}
END_TEST

#endif

/* ---- reload --------------------------------------------------------------- */

/* Run a command line through sh, failing the test if it fails. */
static void
run_sh(const char *cmd)
{
	char	*argv[] = { UNCONST("/bin/sh"), UNCONST("-c"), UNCONST(cmd),
	    NULL };
	char	*out, *err;
	int	 status;

	status = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(status == 0, "%s: %s", cmd, err);
	free(out);
	free(err);
}

/* A new server certificate from the test's CA, as name.crt/name.key. */
static void
make_server_cert(const char *name)
{
	char	cmd[2048];

	snprintf(cmd, sizeof cmd,
	    "cd %s && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n"
	    "extendedKeyUsage=serverAuth\\nbasicConstraints=CA:FALSE\\n"
	    "keyUsage=digitalSignature\\n' > %s.ext && "
	    "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout %s.key -subj /CN=localhost -out %s.csr "
	    "2>/dev/null && chmod 600 %s.key && "
	    "openssl x509 -req -in %s.csr -CA pki/ca.crt -CAkey pki/ca.key "
	    "-set_serial 4242 -days 2 -extfile %s.ext -out %s.crt 2>/dev/null",
	    h.dir, name, name, name, name, name, name, name);
	run_sh(cmd);
}

/* A TCP connection to the daemon's TLS port. */
static int
tcp_connect(void)
{
	struct sockaddr_in	 sin;
	int			 fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)atoi(strchr(h.host, ':') + 1));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(fd != -1);
	ck_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	return fd;
}

/* Start TLS on fd as a client certificate name; 1 if SSL_connect did. */
static int
tls_start(int fd, const char *name, SSL_CTX **ctx, SSL **ssl)
{
	char	ca[200], cert[200], key[200], *cause = NULL;

	snprintf(ca, sizeof ca, "%s/ca.crt", h.pki);
	snprintf(cert, sizeof cert, "%s/%s.crt", h.pki, name);
	snprintf(key, sizeof key, "%s/%s.key", h.pki, name);
	*ctx = tls_client_ctx(ca, cert, key, &cause);
	ck_assert_msg(*ctx != NULL, "%s", cause);
	*ssl = SSL_new(*ctx);
	ck_assert(tls_client_set_host(*ssl, "127.0.0.1") == 0);
	SSL_set_fd(*ssl, fd);
	return SSL_connect(*ssl);
}

/* The certificate the daemon's TLS port presents now. */
static X509 *
served_cert(void)
{
	SSL_CTX	*ctx;
	SSL	*ssl;
	X509	*x;
	int	 fd = tcp_connect();

	ck_assert_int_eq(tls_start(fd, "alice", &ctx, &ssl), 1);
	x = SSL_get1_peer_certificate(ssl);
	ck_assert_ptr_nonnull(x);
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return x;
}

/* Read a certificate file. */
static X509 *
read_cert(const char *path)
{
	X509	*x;
	FILE	*f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* Read a private key file. */
static EVP_PKEY *
read_key(const char *path)
{
	EVP_PKEY	*k;
	FILE		*f = fopen(path, "r");

	ck_assert_msg(f != NULL, "%s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* A watch running in a thread while the main thread reloads. */
struct watcher {
	struct runnel_client	*c;
	uint64_t		 id;
	struct collect		 col;
	int			 rc;
	pthread_t		 thread;
};

/* Watch one task to its end. */
static void *
watcher_main(void *arg)
{
	struct watcher			*w = arg;
	struct runnel_watch_opts	 wo;

	memset(&wo, 0, sizeof wo);
	wo.ids = &w->id;
	wo.nids = 1;
	wo.on_output = collect_output_cb;
	wo.on_end = collect_end_cb;
	wo.arg = &w->col;
	w->rc = runnel_watch(w->c, &wo);
	return NULL;
}

/* A task that prints, waits for DIR/go, prints again. */
static uint64_t
submit_waiting_task(struct runnel_client *c, char *script, size_t len)
{
	struct runnel_spec	 spec;
	const char		*argv[4];
	uint64_t		 id;

	snprintf(script, len, "echo begin; while [ ! -e %s/go ]; do "
	    "sleep 0.02; done; echo end", h.dir);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	return id;
}

START_TEST(test_reload_access_and_cert)
{
	struct runnel_client	*alice, *bob, *c;
	struct runnel_status	 st;
	struct watcher		 w;
	char			 script[300], path[200];
	X509			*before, *after, *want;

	harness_start(&h, NULL);
	alice = harness_client(&h, "alice");
	bob = harness_client(&h, "bob");
	memset(&w, 0, sizeof w);
	w.c = harness_client(&h, "victor");
	w.id = submit_waiting_task(alice, script, sizeof script);
	ck_assert_int_eq(pthread_create(&w.thread, NULL, watcher_main, &w), 0);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);

	/* bob loses his role; the server gets a new certificate. */
	before = served_cert();
	make_server_cert("server2");
	edit_file(h.conf, "bob = user\n", "");
	edit_file(h.conf, "cert = pki/server.crt", "cert = server2.crt");
	edit_file(h.conf, "key = pki/server.key", "key = server2.key");
	reload_and_wait("reloaded");
	ck_assert_int_eq(harness_wait_log(&h,
	    "bob: closed on reload: identity lost its role"), 0);

	/* bob's live connection is gone, and he cannot come back. */
	ck_assert_int_ne(runnel_status(bob, &st), 0);
	ck_assert_int_ne(harness_connect(&h, "bob", &c), 0);

	/* New connections see the new certificate. */
	after = served_cert();
	snprintf(path, sizeof path, "%s/server2.crt", h.dir);
	want = read_cert(path);
	ck_assert_int_ne(X509_cmp(before, after), 0);
	ck_assert_int_eq(X509_cmp(after, want), 0);

	/* alice's connection, her task and victor's watch went on. */
	ck_assert_int_eq(runnel_status(alice, &st), 0);
	ck_assert_uint_eq(st.tasks_running, 1);
	snprintf(path, sizeof path, "%s/go", h.dir);
	harness_write_file(path, "");
	pthread_join(w.thread, NULL);
	ck_assert_int_eq(w.rc, 0);
	ck_assert_str_eq(w.col.out, "begin\nend\n");
	ck_assert_int_eq(w.col.last_state, RUNNEL_SUCCEEDED);
	ck_assert_int_eq(harness_wait_log(&h, "ended for alice: sh, "
	    "succeeded, exit 0, duration"), 0);

	X509_free(before);
	X509_free(after);
	X509_free(want);
	collect_free(&w.col);
	runnel_close(w.c);
	runnel_close(bob);
	runnel_close(alice);
	harness_stop(&h);
}
END_TEST

START_TEST(test_reload_bad_config)
{
	struct runnel_client	*bob, *c;
	struct runnel_status	 st;
	X509			*before, *after;

	harness_start(&h, NULL);
	bob = harness_client(&h, "bob");
	before = served_cert();

	/* An unknown key: refused, with the file and line. */
	edit_file(h.conf, "bob = user\n", "bob = user\nbogus\n");
	reload_and_wait("reload failed, keeping the running configuration: ");
	ck_assert_msg(strstr(h.log, "runneld.conf:16: missing '=' after "
	    "'bogus'") != NULL, "%s", h.log);
	/* Nothing changed: bob stays, the certificate too. */
	ck_assert_int_eq(runnel_status(bob, &st), 0);

	/* A good file naming a certificate that is not there. */
	edit_file(h.conf, "bob = user\nbogus\n", "");
	edit_file(h.conf, "cert = pki/server.crt", "cert = missing.crt");
	reload_and_wait("cannot read certificate");
	ck_assert_int_eq(log_count("reload failed"), 2);
	ck_assert_int_eq(log_count("reloaded"), 0);
	ck_assert_int_eq(runnel_status(bob, &st), 0);
	c = harness_client(&h, "bob");
	runnel_close(c);
	after = served_cert();
	ck_assert_int_eq(X509_cmp(before, after), 0);

	X509_free(before);
	X509_free(after);
	runnel_close(bob);
	harness_stop(&h);
}
END_TEST

/* Write a CRL revoking victim's certificate, signed with signer's key (the
 * CA's, or not), current or expired. */
static void
make_crl(const char *path, const char *victim, const char *signer,
    int expired)
{
	X509_CRL	*crl;
	X509_REVOKED	*rev;
	ASN1_TIME	*now, *next;
	X509		*ca, *v;
	EVP_PKEY	*key;
	char		 p[200];
	FILE		*f;

	snprintf(p, sizeof p, "%s/ca.crt", h.pki);
	ca = read_cert(p);
	snprintf(p, sizeof p, "%s/%s.crt", h.pki, victim);
	v = read_cert(p);
	snprintf(p, sizeof p, "%s/%s.key", h.pki, signer);
	key = read_key(p);

	crl = X509_CRL_new();
	ck_assert(X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1);
	ck_assert(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca)) == 1);
	now = X509_gmtime_adj(NULL, expired ? -7200 : -60);
	next = X509_gmtime_adj(NULL, expired ? -3600 : 86400);
	X509_CRL_set1_lastUpdate(crl, now);
	X509_CRL_set1_nextUpdate(crl, next);
	rev = X509_REVOKED_new();
	X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(v));
	X509_REVOKED_set_revocationDate(rev, now);
	X509_CRL_add0_revoked(crl, rev);
	X509_CRL_sort(crl);
	ck_assert(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	ck_assert(PEM_write_X509_CRL(f, crl) == 1);
	fclose(f);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	X509_CRL_free(crl);
	EVP_PKEY_free(key);
	X509_free(v);
	X509_free(ca);
}

START_TEST(test_reload_crl)
{
	struct runnel_client	*alice, *bob, *c;
	struct runnel_status	 st;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;
	SSL_CTX			*ctx;
	SSL			*ssl;
	char			 crl[200], line[300], buf[16];
	char			*check[5], *out, *err;
	int			 fd;

	harness_start(&h, "[server]\nlog_level = debug\n");
	alice = harness_client(&h, "alice");
	bob = harness_client(&h, "bob");
	snprintf(crl, sizeof crl, "%s/crl.pem", h.dir);
	snprintf(line, sizeof line, "key = pki/server.key\ncrl = %s", crl);

	/* A CRL not signed by the CA is refused, and nothing changes. */
	make_crl(crl, "alice", "mallory", 0);
	edit_file(h.conf, "key = pki/server.key", line);
	reload_and_wait("is not signed by the CA");
	ck_assert_int_eq(runnel_status(alice, &st), 0);
	/* So is an expired one (it would lock everyone out), also by
	 * --check-config. */
	make_crl(crl, "alice", "ca", 1);
	reload_and_wait("has expired: renew it");
	ck_assert_int_eq(runnel_status(alice, &st), 0);
	check[0] = getenv("RUNNELD");
	check[1] = UNCONST("--check-config");
	check[2] = UNCONST("-c");
	check[3] = h.conf;
	check[4] = NULL;
	ck_assert_int_eq(harness_run(check, &out, NULL, &err), 1);
	ck_assert_msg(strstr(err, "crl.pem has expired") != NULL, "%s", err);
	free(out);
	free(err);

	/* A connection accepted before the reload, its handshake not begun. */
	fd = tcp_connect();
	ck_assert(getsockname(fd, (struct sockaddr *)&sin, &slen) == 0);
	snprintf(line, sizeof line, "from 127.0.0.1:%d\n",
	    ntohs(sin.sin_port));
	ck_assert_int_eq(harness_wait_log(&h, line), 0);

	/* The CA's CRL revokes alice: her live connection is closed, and she
	 * cannot connect again; bob goes on. */
	make_crl(crl, "alice", "ca", 0);
	reload_and_wait("reloaded");
	ck_assert_int_eq(harness_wait_log(&h,
	    "alice: closed on reload: certificate revoked"), 0);
	ck_assert_int_ne(runnel_status(alice, &st), 0);
	ck_assert_int_ne(harness_connect(&h, "alice", &c), 0);
	ck_assert_int_eq(runnel_status(bob, &st), 0);
	c = harness_client(&h, "bob");
	runnel_close(c);

	/* The handshake begun before the reload is checked against the new
	 * CRL too: TLS 1.3 tells the client on its first read. */
	tls_start(fd, "alice", &ctx, &ssl);
	ck_assert_int_le(SSL_read(ssl, buf, sizeof buf), 0);
	snprintf(line, sizeof line, "127.0.0.1:%d: tls handshake failed: "
	    "error:0A000086:SSL routines::certificate verify failed",
	    ntohs(sin.sin_port));
	ck_assert_int_eq(harness_wait_log(&h, line), 0);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);

	runnel_close(bob);
	runnel_close(alice);
	harness_stop(&h);
}
END_TEST

START_TEST(test_reload_limits_queues)
{
	struct runnel_client	*c;
	struct runnel_spec	 spec;
	const char		*argv[] = { "echo", "fast", NULL };
	char			 s1[300], s2[300], path[200];
	struct stat		 st;
	uint64_t		 id;

	harness_start(&h, "max_running = 1\n");
	c = harness_client(&h, "alice");
	submit_waiting_task(c, s1, sizeof s1);
	submit_waiting_task(c, s2, sizeof s2);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: started for alice"),
	    0);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.queue = "fast";
	ck_assert_int_ne(runnel_submit(c, &spec, &id), 0);

	/* A higher limit starts the queued task; a new queue appears; the
	 * state directory cannot move while running. */
	edit_file(h.conf, "max_running = 1\n",
	    "max_running = 2\n[queue fast]\nmax_running = 1\n");
	edit_file(h.conf, "state_dir = state\n", "state_dir = state2\n");
	reload_and_wait("reloaded");
	ck_assert_int_eq(harness_wait_log(&h, "task 2: started for alice"),
	    0);
	ck_assert_int_eq(harness_wait_log(&h, "reload: [server] state_dir "
	    "changed: restart runneld to apply"), 0);
	snprintf(path, sizeof path, "%s/state2", h.dir);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	ck_assert_uint_eq(id, 3);

	snprintf(path, sizeof path, "%s/go", h.dir);
	harness_write_file(path, "");
	ck_assert_int_eq(harness_wait_log(&h, "task 3: ended for alice: echo, "
	    "succeeded"), 0);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

/* log_level drops lines below it, and a reload changes it live. */
START_TEST(test_log_level)
{
	struct runnel_client	*c;
	struct collect		 col;
	const char		*argv[] = { "true", NULL };

	harness_start(&h, "[server]\nlog_level = notice\n");
	c = harness_client(&h, "alice");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	collect_free(&col);
	/* The audit trail is kept at notice; info lines are not. */
	ck_assert_int_eq(harness_wait_log(&h, "task 1: ended for alice: true, "
	    "succeeded, exit 0, duration "), 0);
	ck_assert_int_eq(log_count("task 1: started for alice: true, pid "), 1);
	ck_assert_int_eq(log_count("submitted by"), 0);
	ck_assert_int_eq(log_count("-> running"), 0);

	edit_file(h.conf, "log_level = notice", "log_level = debug");
	reload_and_wait("reloaded");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	collect_free(&col);
	ck_assert_int_eq(harness_wait_log(&h, "task 2: ended for alice"), 0);
	ck_assert_int_eq(log_count("task 2: submitted by alice"), 1);
	ck_assert_int_eq(log_count("task 2: queued -> running"), 1);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

/* ---- shutdown policy and daemonizing -------------------------------------- */

START_TEST(test_shutdown_wait)
{
	struct runnel_client	*c;
	struct runnel_spec	 spec;
	const char		*later[] = { "echo", "later", NULL };
	char			 script[300], path[200];
	uint64_t		 first, second;
	int			 status;

	harness_start(&h, "max_running = 1\n[server]\non_shutdown = wait\n");
	c = harness_client(&h, "alice");
	first = submit_waiting_task(c, script, sizeof script);
	memset(&spec, 0, sizeof spec);
	spec.argv = later;
	ck_assert_int_eq(runnel_submit(c, &spec, &second), 0);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);

	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_int_eq(harness_wait_log(&h,
	    "shutdown: waiting for 1 running tasks, 1 queued stay queued"), 0);
	/* Still there, the task still running. */
	ck_assert_int_eq(waitpid(h.pid, &status, WNOHANG), 0);
	ck_assert_int_eq(log_count("ended for alice"), 0);

	snprintf(path, sizeof path, "%s/go", h.dir);
	harness_write_file(path, "");
	ck_assert_int_eq(harness_wait_log(&h, "exiting"), 0);
	ck_assert_int_eq(log_count("ended for alice: sh, succeeded, exit 0"),
	    1);
	/* The queued task never started. */
	ck_assert_int_eq(log_count("started for alice"), 1);
	runnel_close(c);
	harness_shutdown(&h);

	/* It is still queued: the next daemon runs it. */
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "ended for alice: echo, "
	    "succeeded, exit 0"), 0);
	(void)first;
	harness_stop(&h);
}
END_TEST

/* With on_shutdown = wait, a second signal cancels the running tasks. */
START_TEST(test_shutdown_wait_second_signal)
{
	struct runnel_client	*c;
	char			 script[300];

	harness_start(&h, "[server]\non_shutdown = wait\n");
	c = harness_client(&h, "alice");
	submit_waiting_task(c, script, sizeof script);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);
	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_int_eq(harness_wait_log(&h, "shutdown: waiting for 1 "
	    "running tasks"), 0);
	ck_assert_int_eq(kill(h.pid, SIGINT), 0);
	ck_assert_int_eq(harness_wait_log(&h, "SIGINT: cancelling the "
	    "running tasks"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "ended for alice: sh, "
	    "cancelled"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "exiting"), 0);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

START_TEST(test_shutdown_cancel_default)
{
	struct runnel_client	*c;
	char			 script[300];

	harness_start(&h, NULL);
	c = harness_client(&h, "alice");
	submit_waiting_task(c, script, sizeof script);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);
	runnel_close(c);
	harness_shutdown(&h);
	ck_assert_msg(strstr(h.log, "ended for alice: sh, cancelled") != NULL,
	    "%s", h.log);
	harness_stop(&h);
}
END_TEST

START_TEST(test_daemonize_pid_file)
{
	struct runnel_client	*c;
	struct collect		 col;
	const char		*argv[] = { "echo", "bg", NULL };
	char			*run[5], extra[300], pidf[200], *out, *err;
	char			 buf[32];
	struct stat		 st;
	FILE			*f;
	long			 pid = 0;
	int			 i;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(pidf, sizeof pidf, "%s/runneld.pid", h.dir);
	snprintf(extra, sizeof extra, "[server]\npid_file = %s\n", pidf);
	edit_file(h.conf, "[access]", extra);
	edit_file(h.conf, "runneld.pid\n", "runneld.pid\n[access]");
	run[0] = getenv("RUNNELD");
	run[1] = UNCONST("-c");
	run[2] = h.conf;
	run[3] = NULL;
	/* The parent returns once the daemon is up, pid file written. */
	ck_assert_int_eq(harness_run(run, &out, NULL, &err), 0);
	free(out);
	free(err);
	f = fopen(pidf, "r");
	ck_assert_msg(f != NULL, "no pid file");
	ck_assert(fgets(buf, sizeof buf, f) != NULL);
	fclose(f);
	pid = strtol(buf, NULL, 10);
	ck_assert(pid > 1);
	ck_assert_int_eq(kill((pid_t)pid, 0), 0);

	c = harness_client(&h, NULL);
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	ck_assert_str_eq(col.out, "bg\n");
	collect_free(&col);
	runnel_close(c);

	/* SIGTERM: it exits and removes the pid file. */
	ck_assert_int_eq(kill((pid_t)pid, SIGTERM), 0);
	for (i = 0; i < 1000 && stat(pidf, &st) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(stat(pidf, &st), -1);

	/* A failure after going into the background still fails the start. */
	edit_file(h.conf, "socket = ", "socket = /nonexistent/dir/");
	ck_assert_int_eq(harness_run(run, &out, NULL, &err), 1);
	ck_assert_msg(strstr(err, "start-up failed") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "runneld: /nonexistent/dir/") != NULL &&
	    strstr(err, "No such file or directory") != NULL, "%s", err);
	ck_assert_int_eq(stat(pidf, &st), -1);
	free(out);
	free(err);
	harness_stop(&h);
}
END_TEST

/* ---- configuration keys --------------------------------------------------- */

/* Load a configuration text; the cause on error. */
static struct config *
load_text(const char *text, char **cause)
{
	char		 dir[] = "/tmp/runnel-conf.XXXXXX", path[64];
	struct config	*conf;

	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/runneld.conf", dir);
	harness_write_file(path, text);
	*cause = NULL;
	conf = config_load(path, cause);
	unlink(path);
	rmdir(dir);
	return conf;
}

START_TEST(test_config_keys)
{
	struct config	*conf;
	char		*cause;

	conf = load_text("[server]\non_shutdown = wait\npid_file = run/r.pid\n"
	    "log = journal\nlog_level = warning\n[tls]\ncrl = crl.pem\n",
	    &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_int_eq(conf->on_shutdown, CONFIG_ON_SHUTDOWN_WAIT);
	ck_assert_int_eq(conf->log, LOG_TO_JOURNAL);
	ck_assert_str_eq(config_log_level_name(conf->log_level), "warning");
	ck_assert_ptr_nonnull(strstr(conf->pid_file, "/run/r.pid"));
	ck_assert(conf->pid_file[0] == '/');
	ck_assert(conf->tls_crl[0] == '/');
	config_free(conf);

	conf = load_text("[server]\n", &cause);
	ck_assert_ptr_nonnull(conf);
	ck_assert_int_eq(conf->on_shutdown, CONFIG_ON_SHUTDOWN_CANCEL);
	ck_assert_int_eq(conf->log, LOG_TO_AUTO);
	ck_assert_str_eq(config_log_level_name(conf->log_level), "info");
	ck_assert_ptr_null(conf->pid_file);
	ck_assert_ptr_null(conf->tls_crl);
	config_free(conf);

	ck_assert_ptr_null(load_text("[server]\n\non_shutdown = later\n",
	    &cause));
	ck_assert_msg(strstr(cause, "runneld.conf:3: bad value 'later' for "
	    "'on_shutdown' (cancel, wait)") != NULL, "%s", cause);
	free(cause);
	ck_assert_ptr_null(load_text("[server]\nlog = file\n", &cause));
	ck_assert_msg(strstr(cause, ":2: bad value 'file' for 'log' (auto, "
	    "journal, syslog, stderr)") != NULL, "%s", cause);
	free(cause);
	ck_assert_ptr_null(load_text("[server]\nlog_level = loud\n", &cause));
	ck_assert_msg(strstr(cause, ":2: bad value 'loud' for 'log_level' "
	    "(error, warning, notice, info, debug)") != NULL, "%s", cause);
	free(cause);
	ck_assert_ptr_null(load_text("[tls]\ncrl =\n", &cause));
	ck_assert_msg(strstr(cause, ":2: empty value for 'crl'") != NULL,
	    "%s", cause);
	free(cause);
}
END_TEST

static Suite *
service_suite(void)
{
	Suite	*s = suite_create("service");
	TCase	*tc;

	tc = tcase_create("notify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_notify);
	tcase_add_test(tc, test_notify_not_inherited);
	suite_add_tcase(s, tc);

#ifdef HAVE_LIBSYSTEMD
	/* Without libsystemd runneld binds as configured. */
	tc = tcase_create("activation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_activation);
	tcase_add_test(tc, test_activation_bad_name);
	suite_add_tcase(s, tc);
#endif

	tc = tcase_create("reload");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reload_access_and_cert);
	tcase_add_test(tc, test_reload_bad_config);
	tcase_add_test(tc, test_reload_crl);
	tcase_add_test(tc, test_reload_limits_queues);
	tcase_add_test(tc, test_log_level);
	suite_add_tcase(s, tc);

	tc = tcase_create("shutdown");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shutdown_wait);
	tcase_add_test(tc, test_shutdown_wait_second_signal);
	tcase_add_test(tc, test_shutdown_cancel_default);
	tcase_add_test(tc, test_daemonize_pid_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	SRunner	*sr;
	ssize_t	 n;
	int	 failed;

	if (argc > 1 && strcmp(argv[1], "--wrap") == 0)
		return wrap_main(argc, argv);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	sr = srunner_create(service_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
