/*
 * harness.c - a real runneld per test: own CA, config on an ephemeral port
 * and a unix socket in a temp dir, log captured by a thread, the daemon
 * killed with the test process (PR_SET_PDEATHSIG) if a test fails.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"

/* Append the daemon's stderr to the log buffer until EOF. */
static void *
harness_log_thread(void *arg)
{
	struct harness	*h = arg;
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		n = read(h->log_fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		pthread_mutex_lock(&h->log_mtx);
		if (n <= 0) {
			h->log_eof = 1;
			pthread_cond_broadcast(&h->log_cond);
			pthread_mutex_unlock(&h->log_mtx);
			break;
		}
		h->log = realloc(h->log, h->loglen + n + 1);
		memcpy(h->log + h->loglen, buf, n);
		h->loglen += n;
		h->log[h->loglen] = '\0';
		if (getenv("HARNESS_VERBOSE") != NULL)
			fwrite(buf, 1, n, stderr);
		pthread_cond_broadcast(&h->log_cond);
		pthread_mutex_unlock(&h->log_mtx);
	}
	return NULL;
}

/* How much slower than usual the daemon is expected to be: check's own
 * CK_TIMEOUT_MULTIPLIER (an integer, 1 when unset), which `make
 * check-valgrind` sets, since every runneld then runs 20-50 times slower. */
unsigned
harness_slow(void)
{
	const char	*s = getenv("CK_TIMEOUT_MULTIPLIER");
	char		*end;
	unsigned long	 n;

	if (s == NULL || *s == '\0')
		return 1;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000)
		return 1;
	return (unsigned)n;
}

/* Does every daemon run under a wrapper (HARNESS_WRAPPER="valgrind ...")?
 * A few things valgrind emulates differently (RLIMIT_NOFILE, runneld's
 * vfork) cannot be checked there. */
int
harness_wrapped(void)
{
	const char	*s = getenv("HARNESS_WRAPPER");

	return s != NULL && *s != '\0';
}

/* A duration a test waits for (or gives the daemon), scaled by
 * harness_slow(). */
uint64_t
harness_ms(uint64_t ms)
{
	return ms * harness_slow();
}

/* Wait for text to appear in the daemon's log; 0 found, -1 not in 10 s
 * (times harness_slow()). */
int
harness_wait_log(struct harness *h, const char *text)
{
	struct timespec	deadline;
	int		found = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)harness_ms(10000) / 1000;
	pthread_mutex_lock(&h->log_mtx);
	for (;;) {
		if (h->log != NULL && strstr(h->log, text) != NULL) {
			found = 1;
			break;
		}
		if (h->log_eof || pthread_cond_timedwait(&h->log_cond,
		    &h->log_mtx, &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&h->log_mtx);
	return found ? 0 : -1;
}

/* Write a file. */
void
harness_write_file(const char *path, const char *text)
{
	FILE	*f;

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* Make the test's PKI, config, and start the daemon. */
void
harness_start(struct harness *h, const char *extra_conf)
{
	static const char *const names[] = { "localhost", "127.0.0.1" };
	static const char *const users[] = { "admin", "alice", "bob",
	    "victor", "mallory" };
	char		*cause = NULL;
	size_t		 i;
	FILE		*f;

	memset(h, 0, sizeof *h);
	ck_assert_msg(getenv("RUNNELD") != NULL, "RUNNELD is not set");
	snprintf(h->dir, sizeof h->dir, "%s/runnel-test.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert(mkdtemp(h->dir) != NULL);
	snprintf(h->pki, sizeof h->pki, "%s/pki", h->dir);
	ck_assert_msg(runnel_pki_init(h->pki, names, 2, &cause) == 0, "%s",
	    cause);
	for (i = 0; i < sizeof users / sizeof *users; i++)
		ck_assert_msg(runnel_pki_issue(h->pki, users[i], &cause) == 0,
		    "%s", cause);
	snprintf(h->conf, sizeof h->conf, "%s/runneld.conf", h->dir);
	snprintf(h->sock, sizeof h->sock, "%s/runneld.sock", h->dir);
	f = fopen(h->conf, "w");
	ck_assert(f != NULL);
	/* Run as root, runneld refuses to run tasks as root unless told. */
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nsocket = %s\n%s"
	    "state_dir = state\n[tls]\nca = pki/ca.crt\ncert = pki/server.crt\n"
	    "key = pki/server.key\n[limits]\ngrace = 2s\n%s\n"
	    "[access]\nadmin = admin\nalice = user\nbob = user\n"
	    "victor = viewer\n", h->sock,
	    geteuid() == 0 && (extra_conf == NULL ||
	    strstr(extra_conf, "run_as_root") == NULL) ?
	    "run_as_root = yes\n" : "",
	    extra_conf != NULL ? extra_conf : "");
	fclose(f);

	harness_spawn(h, NULL);
}

/* Start runneld on the harness's config, optionally under a wrapper
 * command (argv ending in NULL, runneld's argv follows), and wait until
 * it is ready. */
void
harness_spawn(struct harness *h, const char *const *wrapper)
{
	const char	*runneld = getenv("RUNNELD");
	const char	*argv[32];
	char		*p, *env = NULL, *save = NULL;
	int		 fds[2], n = 0;

	while (wrapper != NULL && wrapper[n] != NULL && n < 24) {
		argv[n] = wrapper[n];
		n++;
	}
	/* HARNESS_WRAPPER="valgrind ...": every daemon under a tool. */
	if (wrapper == NULL && getenv("HARNESS_WRAPPER") != NULL &&
	    *getenv("HARNESS_WRAPPER") != '\0') {
		env = strdup(getenv("HARNESS_WRAPPER"));
		ck_assert(env != NULL);
		for (p = strtok_r(env, " ", &save); p != NULL && n < 24;
		    p = strtok_r(NULL, " ", &save))
			argv[n++] = p;
	}
	argv[n++] = runneld;
	argv[n++] = "-f";
	argv[n++] = "-c";
	argv[n++] = h->conf;
	argv[n] = NULL;
	free(h->log);
	h->log = NULL;
	h->loglen = 0;
	h->log_eof = 0;
	pthread_mutex_init(&h->log_mtx, NULL);
	pthread_cond_init(&h->log_cond, NULL);
	ck_assert(pipe2(fds, O_CLOEXEC) == 0);
	h->pid = fork();
	ck_assert(h->pid != -1);
	if (h->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 2);
		execvp(argv[0], (char **)(uintptr_t)argv);
		_exit(127);
	}
	free(env);
	close(fds[1]);
	h->log_fd = fds[0];
	pthread_create(&h->log_thread, NULL, harness_log_thread, h);
	ck_assert_msg(harness_wait_log(h, "ready") == 0,
	    "runneld did not start: %s", h->log != NULL ? h->log : "");
	pthread_mutex_lock(&h->log_mtx);
	p = strstr(h->log, "listening on 127.0.0.1:");
	ck_assert(p != NULL);
	p += strlen("listening on ");
	snprintf(h->host, sizeof h->host, "%.*s", (int)strcspn(p, "\n"), p);
	pthread_mutex_unlock(&h->log_mtx);
}

/* Kill the daemon with SIGKILL, as a crash would. */
void
harness_crash(struct harness *h)
{
	int	status;

	kill(h->pid, SIGKILL);
	waitpid(h->pid, &status, 0);
	h->pid = 0;
	pthread_join(h->log_thread, NULL);
	close(h->log_fd);
}

/* Remove a file tree entry (nftw callback). */
static int
harness_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Stop the daemon with SIGTERM and check it shut down cleanly. */
void
harness_shutdown(struct harness *h)
{
	int	status;

	if (h->pid <= 0)
		return;
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &status, 0);
	h->pid = 0;
	pthread_join(h->log_thread, NULL);
	close(h->log_fd);
	/* The log's end says why (a sanitizer report, say). */
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "runneld did not exit cleanly: status %d: %s", status,
	    h->log == NULL ? "" : h->loglen > 3000 ? h->log + h->loglen - 3000 :
	    h->log);
}

/* Stop the daemon and remove the temp dir. */
void
harness_stop(struct harness *h)
{
	harness_shutdown(h);
	if (getenv("HARNESS_KEEP") == NULL)
		nftw(h->dir, harness_rm, 16, FTW_DEPTH | FTW_PHYS);
	free(h->log);
	h->log = NULL;
}

/* Connect as a certificate name, or over the unix socket. */
int
harness_connect(struct harness *h, const char *name, struct runnel_client **c)
{
	struct runnel_connect_opts	opts;
	char				ca[PATH_MAX + 16], cert[PATH_MAX + 80];
	char				key[PATH_MAX + 80], unixhost[PATH_MAX + 8];

	memset(&opts, 0, sizeof opts);
	if (name == NULL) {
		snprintf(unixhost, sizeof unixhost, "unix:%s", h->sock);
		opts.host = unixhost;
	} else {
		snprintf(ca, sizeof ca, "%s/ca.crt", h->pki);
		snprintf(cert, sizeof cert, "%s/%s.crt", h->pki, name);
		snprintf(key, sizeof key, "%s/%s.key", h->pki, name);
		opts.host = h->host;
		opts.ca = ca;
		opts.cert = cert;
		opts.key = key;
	}
	opts.client_name = "harness";
	return runnel_connect(c, &opts);
}

/* Connect or fail the test. */
struct runnel_client *
harness_client(struct harness *h, const char *name)
{
	struct runnel_client	*c = NULL;
	int			 r;

	r = harness_connect(h, name, &c);
	ck_assert_msg(r == 0, "connect as %s: %s", name ? name : "unix",
	    runnel_last_error(NULL));
	return c;
}

/* A raw connection to the daemon's unix socket. */
int
harness_raw_unix(struct harness *h)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", h->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert(fd != -1);
	ck_assert(connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0);
	return fd;
}

/* Append bytes to a growing buffer. */
static void
harness_append(char **buf, size_t *len, const void *p, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Run a program, capturing stdout and stderr; its exit status, or 128+sig. */
int
harness_run(char *const argv[], char **out, size_t *outlen, char **err)
{
	struct pollfd	 pfd[2];
	int		 o[2], e[2], status, open_fds = 2;
	size_t		 errlen = 0, olen = 0;
	char		 buf[65536];
	ssize_t		 n;
	pid_t		 pid;
	int		 i;

	*out = NULL;
	*err = NULL;
	ck_assert(pipe2(o, O_CLOEXEC) == 0 && pipe2(e, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert(pid != -1);
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	pfd[0].fd = o[0];
	pfd[1].fd = e[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) == -1)
			continue;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			} else if (i == 0)
				harness_append(out, &olen, buf, n);
			else
				harness_append(err, &errlen, buf, n);
		}
	}
	waitpid(pid, &status, 0);
	if (*out == NULL)
		*out = strdup("");
	if (*err == NULL)
		*err = strdup("");
	if (outlen != NULL)
		*outlen = olen;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Collect output, checking offsets are contiguous per task. */
int
collect_output_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	struct collect	*c = arg;

	(void)id;
	(void)time_us;
	if (offset != c->next_offset)
		c->bad_offset = 1;
	c->next_offset = offset + len;
	if (stream == RUNNEL_STDOUT)
		harness_append(&c->out, &c->outlen, data, len);
	else
		harness_append(&c->err, &c->errlen, data, len);
	return 0;
}

/* Record a task's end. */
int
collect_end_cb(void *arg, const struct runnel_task *t)
{
	struct collect	*c = arg;

	c->ended++;
	c->last_state = t->state;
	c->last_exit = t->exit_code;
	c->last_signal = t->signal;
	return 0;
}

/* Free collected output. */
void
collect_free(struct collect *c)
{
	free(c->out);
	free(c->err);
	memset(c, 0, sizeof *c);
}

/* Run a task to its end, collecting its output. */
int
harness_run_task(struct runnel_client *cl, const char *const *argv,
    struct collect *c, uint64_t *id)
{
	struct runnel_spec		spec;
	struct runnel_watch_opts	wo;
	uint64_t			tid;

	memset(c, 0, sizeof *c);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	memset(&wo, 0, sizeof wo);
	wo.on_output = collect_output_cb;
	wo.on_end = collect_end_cb;
	wo.arg = c;
	return runnel_run(cl, &spec, id != NULL ? id : &tid, &wo);
}
