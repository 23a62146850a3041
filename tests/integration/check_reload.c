/*
 * check_reload.c - SIGHUP: a new access map and server certificate applied
 * while a task runs and a watcher stays connected, bad configurations and
 * TLS files refused with the running ones kept, a CRL closing a revoked
 * client's live connection and refusing its handshakes, limits, queues and
 * log_level changed live, what needs a restart reported; a daemon started
 * before its TLS files exist that serves the unix socket and turns TLS on
 * at the reload after they appear.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common.h"
#include "harness.h"
#include "svc.h"

static struct harness	 h;

/* SIGHUP the daemon and wait for the outcome in its log. */
static void
reload_and_wait(const char *expect)
{
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_msg(harness_wait_log(&h, expect) == 0, "no '%s' in: %s",
	    expect, h.log);
}


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
	w.id = svc_submit_waiting(&h, alice, script, sizeof script);
	ck_assert_int_eq(pthread_create(&w.thread, NULL, watcher_main, &w), 0);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);

	/* bob loses his role; the server gets a new certificate. */
	before = served_cert();
	make_server_cert("server2");
	svc_edit_file(h.conf, "bob = user\n", "");
	svc_edit_file(h.conf, "cert = pki/server.crt", "cert = server2.crt");
	svc_edit_file(h.conf, "key = pki/server.key", "key = server2.key");
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
	char			 want[128];

	harness_start(&h, NULL);
	bob = harness_client(&h, "bob");
	before = served_cert();

	/* An unknown key: refused, with the file and line. */
	svc_edit_file(h.conf, "bob = user\n", "bob = user\nbogus\n");
	reload_and_wait("reload failed, keeping the running configuration: ");
	snprintf(want, sizeof want, "runneld.conf:%d: missing '=' after "
	    "'bogus'", svc_line_of(h.conf, "bogus"));
	ck_assert_msg(strstr(h.log, want) != NULL, "%s", h.log);
	/* Nothing changed: bob stays, the certificate too. */
	ck_assert_int_eq(runnel_status(bob, &st), 0);

	/* A good file naming a certificate that is not there. */
	svc_edit_file(h.conf, "bob = user\nbogus\n", "");
	svc_edit_file(h.conf, "cert = pki/server.crt", "cert = missing.crt");
	reload_and_wait("missing.crt is missing; make it with 'runnel pki "
	    "init ");
	ck_assert_int_eq(svc_log_count(&h, "reload failed"), 2);
	/* One that is there but is not a certificate. */
	svc_edit_file(h.conf, "cert = missing.crt", "cert = runneld.conf");
	reload_and_wait("cannot load certificate");
	ck_assert_int_eq(svc_log_count(&h, "reload failed"), 3);
	ck_assert_int_eq(svc_log_count(&h, "reloaded"), 0);
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

/* A fresh install: runneld starts before its server certificate exists,
 * serves the unix socket, refuses TLS and says how to make the PKI; the
 * reload after it appears turns TLS on.  A key owned by root may be 0640
 * (runnel pki init --group), one owned by another user may not. */
START_TEST(test_reload_pki_later)
{
	struct runnel_client	*c;
	struct runnel_status	 st;
	struct stat		 sb;
	char			 crt[200], saved[220], want[600];

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(crt, sizeof crt, "%s/server.crt", h.pki);
	snprintf(saved, sizeof saved, "%s.saved", crt);
	ck_assert_int_eq(rename(crt, saved), 0);
	harness_spawn(&h, NULL);
	snprintf(want, sizeof want, "runneld: %s:%d: tls: %s is missing; "
	    "make it with 'runnel pki init %s --name HOST", h.conf,
	    geteuid() == 0 ? 8 : 7, crt, h.pki);
	ck_assert_msg(strstr(h.log, want) != NULL, "%s", h.log);
	ck_assert_msg(strstr(h.log, "as root, then reload runneld (TLS "
	    "listener off until then)\n") != NULL, "%s", h.log);
	ck_assert_int_eq(svc_log_count(&h, "is missing; make it with"), 1);
	/* The unix socket serves; TLS is refused. */
	c = harness_client(&h, NULL);
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);
	c = NULL;
	ck_assert_int_ne(harness_connect(&h, "alice", &c), 0);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(harness_wait_log(&h, "TLS files missing, refusing "
	    "connections until a reload finds them"), 0);

	/* Still missing: the reload applies the rest and says so again. */
	reload_and_wait("reloaded ");
	ck_assert_int_eq(svc_log_count(&h, "(TLS listener still off)"), 1);

	ck_assert_int_eq(rename(saved, crt), 0);
	if (geteuid() == 0) {
		/* Group-readable, owned by root: taken. */
		snprintf(saved, sizeof saved, "%s/server.key", h.pki);
		ck_assert_int_eq(chmod(saved, 0640), 0);
		ck_assert_int_eq(stat(saved, &sb), 0);
		ck_assert_int_eq(sb.st_uid, 0);
	}
	reload_and_wait("reload: TLS files found: TLS listener on");
	ck_assert_int_eq(svc_log_count(&h, "reload failed"), 0);
	c = harness_client(&h, "alice");
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);

	if (geteuid() == 0) {
		/* Group-readable, owned by someone else: refused. */
		ck_assert_int_eq(chown(saved, 65534, (gid_t)-1), 0);
		reload_and_wait("reload failed");
		snprintf(want, sizeof want, "private key %s is readable by "
		    "group or others (mode 0640)", saved);
		ck_assert_msg(strstr(h.log, want) != NULL, "%s", h.log);
		ck_assert_int_eq(chown(saved, 0, (gid_t)-1), 0);
		ck_assert_int_eq(chmod(saved, 0600), 0);
	}
	harness_stop(&h);
}
END_TEST

/* Write a CRL revoking victim's certificate, signed with signer's key (the
 * CA's, or not), current or expired.  A client's key is Ed25519, which
 * signs with no separate digest. */
static void
make_crl(const char *path, const char *victim, const char *signer,
    int expired)
{
	X509_CRL	*crl;
	X509_REVOKED	*rev;
	ASN1_TIME	*now, *next;
	X509		*ca, *v;
	EVP_PKEY	*key;
	const EVP_MD	*md;
	char		 p[200];
	FILE		*f;

	snprintf(p, sizeof p, "%s/ca.crt", h.pki);
	ca = read_cert(p);
	snprintf(p, sizeof p, "%s/%s.crt", h.pki, victim);
	v = read_cert(p);
	snprintf(p, sizeof p, "%s/%s.key", h.pki, signer);
	key = read_key(p);
	md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256();

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
	ck_assert(X509_CRL_sign(crl, key, md) > 0);
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
	svc_edit_file(h.conf, "key = pki/server.key", line);
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
	svc_submit_waiting(&h, c, s1, sizeof s1);
	svc_submit_waiting(&h, c, s2, sizeof s2);
	ck_assert_int_eq(harness_wait_log(&h, "task 1: started for alice"),
	    0);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.queue = "fast";
	ck_assert_int_ne(runnel_submit(c, &spec, &id), 0);

	/* A higher limit starts the queued task; a new queue appears; the
	 * state directory cannot move while running. */
	svc_edit_file(h.conf, "max_running = 1\n",
	    "max_running = 2\n[queue fast]\nmax_running = 1\n");
	svc_edit_file(h.conf, "state_dir = state\n", "state_dir = state2\n");
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
	ck_assert_int_eq(svc_log_count(&h, "task 1: started for alice: true, pid "), 1);
	ck_assert_int_eq(svc_log_count(&h, "submitted by"), 0);
	ck_assert_int_eq(svc_log_count(&h, "-> running"), 0);

	svc_edit_file(h.conf, "log_level = notice", "log_level = debug");
	reload_and_wait("reloaded");
	ck_assert_int_eq(harness_run_task(c, argv, &col, NULL), 0);
	collect_free(&col);
	ck_assert_int_eq(harness_wait_log(&h, "task 2: ended for alice"), 0);
	ck_assert_int_eq(svc_log_count(&h, "task 2: submitted by alice"), 1);
	ck_assert_int_eq(svc_log_count(&h, "task 2: queued -> running"), 1);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

/* Connect over the unix socket as uid (in a child that drops to it); the
 * child exits 0 when the outcome is want_rc, with want_identity seen and
 * want_role given if want_rc is 0. */
static void
unix_connect_as(uid_t uid, gid_t gid, int want_rc, const char *want_identity,
    const char *want_role)
{
	struct runnel_client	*c = NULL;
	pid_t			 pid;
	int			 status, r;

	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1)
			_exit(10);
		r = harness_connect(&h, NULL, &c);
		if (r != want_rc)
			_exit(11);
		if (r == 0 && (strcmp(runnel_identity(c), want_identity) != 0 ||
		    strcmp(runnel_role(c), want_role) != 0))
			_exit(12);
		runnel_close(c);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "uid %lu: status %d (10 setuid, 11 connect, 12 identity)",
	    (unsigned long)uid, status);
}

/* A unix-socket peer is named through the table made when the config was
 * read: a uid with no entry is "unix:uid=N" and refused; a reload that adds
 * its user lets it in as "unix:USER"; a user that does not exist is a
 * warning with the file and line, and the daemon runs on. */
START_TEST(test_reload_unix_user)
{
	struct passwd	*pw;
	char		 line[200];
	uid_t		 uid;
	gid_t		 gid;
	FILE		*f;
	int		 ch, nlines = 0, go[2], ready[2], status;
	char		 byte;
	pid_t		 pid;
	struct runnel_client *c = NULL;
	struct runnel_status st;

	if (geteuid() != 0)
		return;		/* cannot connect as another user */
	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	harness_start(&h, NULL);
	/* The socket is 0666; its directory must let the user through. */
	ck_assert_int_eq(chmod(h.dir, 0711), 0);

	snprintf(line, sizeof line, "identity unix:uid=%lu has no role",
	    (unsigned long)uid);
	unix_connect_as(uid, gid, RUNNEL_EUNAUTHENTICATED, NULL, NULL);
	ck_assert_int_eq(harness_wait_log(&h, line), 0);
	/* root is still admin, by name. */
	unix_connect_as(0, 0, 0, "unix:root", "admin");

	/* [access] is the file's last section. */
	f = fopen(h.conf, "a+");
	ck_assert_ptr_nonnull(f);
	rewind(f);
	while ((ch = fgetc(f)) != EOF)
		nlines += ch == '\n';
	fprintf(f, "unix:%s = viewer\nunix:runnel-no-such-user = user\n",
	    pw->pw_name);
	fclose(f);
	reload_and_wait("reloaded");
	snprintf(line, sizeof line, "runneld.conf:%d: unix user "
	    "'runnel-no-such-user' does not exist: entry ignored", nlines + 2);
	ck_assert_msg(harness_wait_log(&h, line) == 0, "no '%s' in %s", line,
	    h.log);
	snprintf(line, sizeof line, "unix:%s", pw->pw_name);
	unix_connect_as(uid, gid, 0, line, "viewer");

	/* A reload that drops the entry closes its live connection. */
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1 || harness_connect(&h, NULL, &c) != 0)
			_exit(10);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 0)
			_exit(11);
		_exit(runnel_status(c, &st) == 0 ? 12 : 0);
	}
	close(go[0]);
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	snprintf(line, sizeof line, "unix:%s = viewer\n", pw->pw_name);
	svc_edit_file(h.conf, line, "");
	reload_and_wait("closed on reload: identity lost its role");
	close(go[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d (10 connect, 11 pipe, 12 still served)", status);
	harness_stop(&h);
}
END_TEST

/* The whole of a small file, NUL-terminated. */
static char *
read_file(const char *path)
{
	static char	 buf[8192];
	FILE		*f;
	size_t		 n;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Hand text to the reader of the FIFO at path (waiting for one). */
static void
feed_fifo(const char *path, const char *text)
{
	int	fd;

	ck_assert_int_ne(fd = open(path, O_WRONLY | O_CLOEXEC), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Wait until the log holds text n times (10 s at most). */
static void
wait_log_count(const char *text, int n)
{
	int	i;

	for (i = 0; i < 1000 && svc_log_count(&h, text) < n; i++)
		usleep(10000);
	ck_assert_msg(svc_log_count(&h, text) == n, "not %d '%s' in: %s", n,
	    text, h.log);
}

/* A reload that cannot read its file (a FIFO nobody writes, as a config on
 * a hung file system or a user lookup on a dead LDAP server would) leaves
 * the loop serving; a SIGHUP meanwhile is one more reload after it; a
 * reload still stuck does not hold up runneld's exit. */
START_TEST(test_reload_off_the_loop)
{
	struct runnel_client	*c;
	struct runnel_status	 st;
	struct collect		 col;
	const char		*echo[] = { "echo", "served", NULL };
	char			*text;
	struct timespec		 t0, t1;

	harness_start(&h, NULL);
	c = harness_client(&h, "alice");
	text = read_file(h.conf);
	ck_assert_int_eq(unlink(h.conf), 0);
	ck_assert_int_eq(mkfifo(h.conf, 0600), 0);

	reload_and_wait("SIGHUP: reloading");
	ck_assert_int_eq(runnel_status(c, &st), 0);
	ck_assert_int_eq(harness_run_task(c, echo, &col, NULL), 0);
	ck_assert_str_eq(col.out, "served\n");
	collect_free(&col);
	reload_and_wait("a reload is under way; reloading again after it");
	ck_assert_int_eq(svc_log_count(&h, "reloaded"), 0);

	feed_fifo(h.conf, text);
	wait_log_count("reloaded", 1);
	/* The second reload now waits on the FIFO in turn: the loop still
	 * serves, and SIGTERM waits for it only briefly. */
	wait_log_count("SIGHUP: reloading", 2);
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	harness_shutdown(&h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(strstr(h.log, "reload: still reading") != NULL, "%s",
	    h.log);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 10);
	harness_stop(&h);
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc;

	tc = tcase_create("reload");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reload_access_and_cert);
	tcase_add_test(tc, test_reload_bad_config);
	tcase_add_test(tc, test_reload_crl);
	tcase_add_test(tc, test_reload_limits_queues);
	tcase_add_test(tc, test_log_level);
	tcase_add_test(tc, test_reload_unix_user);
	tcase_add_test(tc, test_reload_off_the_loop);
	tcase_add_test(tc, test_reload_pki_later);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(reload_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
