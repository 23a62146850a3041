/*
 * check_service.c - runneld as a system service: sd_notify messages to a
 * fake NOTIFY_SOCKET, socket activation with passed fds, the on_shutdown
 * policy, daemonizing with a pid file, and the service's config keys.
 * Reload is in check_reload.c.
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
#include "svc.h"

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
	svc_wait_exit(&h);
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

/* A fresh install with runneld-tls.socket enabled: the TLS socket is
 * passed before the PKI exists.  runneld starts, refuses TLS and says how
 * to make the PKI; the reload after it appears serves TLS on that
 * socket. */
START_TEST(test_activation_pki_later)
{
	struct runnel_client	*c = NULL;
	struct runnel_status	 st;
	const char		*wrapper[6];
	char			 tfd[32], crt[200], saved[220], want[64];
	int			 t, port;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(crt, sizeof crt, "%s/server.crt", h.pki);
	snprintf(saved, sizeof saved, "%s.saved", crt);
	ck_assert_int_eq(rename(crt, saved), 0);
	t = tcp_listener(&port);
	snprintf(tfd, sizeof tfd, "%d:tls", t);
	wrapper[0] = self;
	wrapper[1] = "--wrap";
	wrapper[2] = "-l";
	wrapper[3] = tfd;
	wrapper[4] = "--";
	wrapper[5] = NULL;
	harness_spawn(&h, wrapper);
	close(t);
	snprintf(want, sizeof want, "127.0.0.1:%d", port);
	ck_assert_str_eq(h.host, want);
	ck_assert_msg(strstr(h.log, "server.crt is missing; make it with "
	    "'runnel pki init ") != NULL, "%s", h.log);
	ck_assert_int_ne(harness_connect(&h, "alice", &c), 0);
	ck_assert_ptr_null(c);

	ck_assert_int_eq(rename(saved, crt), 0);
	ck_assert_int_eq(kill(h.pid, SIGHUP), 0);
	ck_assert_int_eq(harness_wait_log(&h,
	    "reload: TLS files found: TLS listener on"), 0);
	c = harness_client(&h, "alice");
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);
	harness_stop(&h);
}
END_TEST

/* runneld.socket alone, as the README enables it: the passed unix socket
 * replaces [server] socket, and [server] listen is still bound. */
START_TEST(test_activation_unix_only)
{
	struct runnel_client	*c;
	struct runnel_status	 st;
	const char		*wrapper[6];
	char			 ufd[32], path[100], conf_sock[200];
	struct stat		 sb;
	int			 u;

	harness_start(&h, NULL);
	harness_shutdown(&h);
	snprintf(conf_sock, sizeof conf_sock, "%s", h.sock);
	unlink(conf_sock);
	snprintf(path, sizeof path, "%s/passed.sock", h.dir);
	u = unix_listener(path);
	snprintf(ufd, sizeof ufd, "%d:unix", u);
	wrapper[0] = self;
	wrapper[1] = "--wrap";
	wrapper[2] = "-l";
	wrapper[3] = ufd;
	wrapper[4] = "--";
	wrapper[5] = NULL;
	harness_spawn(&h, wrapper);
	close(u);
	ck_assert_int_eq(harness_wait_log(&h, "socket activation: 1 sockets "
	    "passed, in place of [server] socket\n"), 0);
	ck_assert_int_eq(stat(conf_sock, &sb), -1);
	/* TLS on the configured address (harness_spawn read its port). */
	c = harness_client(&h, "alice");
	ck_assert_int_eq(runnel_status(c, &st), 0);
	runnel_close(c);
	snprintf(h.sock, sizeof h.sock, "%s", path);
	c = harness_client(&h, NULL);
	ck_assert_str_eq(runnel_role(c), "admin");
	runnel_close(c);
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
	first = svc_submit_waiting(&h, c, script, sizeof script);
	memset(&spec, 0, sizeof spec);
	spec.argv = later;
	ck_assert_int_eq(runnel_submit(c, &spec, &second), 0);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);

	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_int_eq(harness_wait_log(&h,
	    "shutdown: waiting for 1 running tasks, 1 queued stay queued"), 0);
	/* Still there, the task still running. */
	ck_assert_int_eq(waitpid(h.pid, &status, WNOHANG), 0);
	ck_assert_int_eq(svc_log_count(&h, "ended for alice"), 0);

	snprintf(path, sizeof path, "%s/go", h.dir);
	harness_write_file(path, "");
	svc_wait_exit(&h);
	ck_assert_int_eq(svc_log_count(&h, "ended for alice: sh, succeeded, "
	    "exit 0"), 1);
	/* The queued task never started. */
	ck_assert_int_eq(svc_log_count(&h, "started for alice"), 1);
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
	svc_submit_waiting(&h, c, script, sizeof script);
	ck_assert_int_eq(harness_wait_log(&h, "started for alice"), 0);
	ck_assert_int_eq(kill(h.pid, SIGTERM), 0);
	ck_assert_int_eq(harness_wait_log(&h, "shutdown: waiting for 1 "
	    "running tasks"), 0);
	ck_assert_int_eq(kill(h.pid, SIGINT), 0);
	ck_assert_int_eq(harness_wait_log(&h, "SIGINT: cancelling the "
	    "running tasks"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "ended for alice: sh, "
	    "cancelled"), 0);
	svc_wait_exit(&h);
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
	svc_submit_waiting(&h, c, script, sizeof script);
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
	svc_edit_file(h.conf, "[access]", extra);
	svc_edit_file(h.conf, "runneld.pid\n", "runneld.pid\n[access]");
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
	svc_edit_file(h.conf, "socket = ", "socket = /nonexistent/dir/");
	ck_assert_int_eq(harness_run(run, &out, NULL, &err), 1);
	ck_assert_msg(strstr(err, "start-up failed") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "runneld: cannot create the unix socket's "
	    "directory /nonexistent/dir/") != NULL &&
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
	tcase_add_test(tc, test_activation_pki_later);
	tcase_add_test(tc, test_activation_unix_only);
	suite_add_tcase(s, tc);
#endif

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
