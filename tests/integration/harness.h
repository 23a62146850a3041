/*
 * harness.h - start a real runneld for a test: a temp dir with its own CA
 * and certificates, a config listening on 127.0.0.1 port 0 and a unix
 * socket, the daemon's log captured, and clients for each identity.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <sys/types.h>

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "runnel.h"

struct harness {
	char		 dir[80];
	char		 pki[100];
	char		 conf[100];
	char		 sock[100];
	char		 host[64];	/* 127.0.0.1:PORT, the real port */
	pid_t		 pid;
	int		 log_fd;
	pthread_t	 log_thread;
	pthread_mutex_t	 log_mtx;
	pthread_cond_t	 log_cond;
	char		*log;
	size_t		 loglen;
	int		 log_eof;
};

/* Identities the harness's config knows: admin (admin), alice and bob
 * (user), victor (viewer); mallory has a certificate but no role. */
void	 harness_start(struct harness *, const char *extra_conf);
void	 harness_stop(struct harness *);
/* Start (again) on the same dir, optionally under a wrapper command. */
void	 harness_spawn(struct harness *, const char *const *wrapper);
/* SIGTERM the daemon, keeping its dir. */
void	 harness_shutdown(struct harness *);
/* SIGKILL the daemon. */
void	 harness_crash(struct harness *);
/* Connect as a certificate name, or over the unix socket when name is
 * NULL.  Returns the library's code. */
int	 harness_connect(struct harness *, const char *name,
	    struct runnel_client **);
struct runnel_client *harness_client(struct harness *, const char *name);
/* How many times slower than usual the daemon runs (CK_TIMEOUT_MULTIPLIER,
 * which `make check-valgrind` sets; 1 if unset), and a duration in ms
 * scaled by it: for waits, and for timeouts a test gives the daemon. */
unsigned harness_slow(void);
/* 1 when HARNESS_WRAPPER runs every daemon under a tool (valgrind). */
int	 harness_wrapped(void);
uint64_t harness_ms(uint64_t);
/* Wait (on the daemon's log, up to 10 s times harness_slow()) for a line
 * containing text. */
int	 harness_wait_log(struct harness *, const char *text);
/* Raw connection to the unix socket, for hostile frames. */
int	 harness_raw_unix(struct harness *);
/* Write a file, creating it. */
void	 harness_write_file(const char *path, const char *text);
/* Run a command line (argv), capturing stdout; returns exit status. */
int	 harness_run(char *const argv[], char **out, size_t *outlen,
	    char **err);

/* Collects a watch's output per stream. */
struct collect {
	char		*out;
	size_t		 outlen;
	char		*err;
	size_t		 errlen;
	uint64_t	 next_offset;
	int		 bad_offset;
	size_t		 ended;
	enum runnel_state last_state;
	int		 last_exit;
	int		 last_signal;
};
int	 collect_output_cb(void *, uint64_t, enum runnel_stream, uint64_t,
	    const void *, size_t, int64_t);
int	 collect_end_cb(void *, const struct runnel_task *);
void	 collect_free(struct collect *);
/* Run argv to the end through runnel_run, collecting everything. */
int	 harness_run_task(struct runnel_client *, const char *const *argv,
	    struct collect *, uint64_t *id);

#endif
