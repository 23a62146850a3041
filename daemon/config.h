/*
 * config.h - runneld's configuration: an INI file read once at start-up.
 */
#ifndef RUNNELD_CONFIG_H
#define RUNNELD_CONFIG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "log.h"

#define CONFIG_DEFAULT_STATE_DIR	"/var/lib/runnel"
#define CONFIG_DEFAULT_MAX_CONNECTIONS	1024U
#define CONFIG_DEFAULT_MAX_RUNNING	256U
#define CONFIG_DEFAULT_IDLE_TIMEOUT_MS	300000U
#define CONFIG_DEFAULT_MAX_IDENTITY_CONNECTIONS	256U
#define CONFIG_DEFAULT_GRACE_MS		5000U
#define CONFIG_DEFAULT_LAG_WARN_MS	50U
#define CONFIG_QUEUE_NAME_MAX		64	/* of [A-Za-z0-9._-] */
#define CONFIG_DEFAULT_MAX_INFLIGHT	64U
#define CONFIG_DEFAULT_MAX_QUEUED_PER_IDENTITY	10000U
#define CONFIG_DEFAULT_MAX_STARTUPS	{ 10U, 30U, 100U }
#define CONFIG_DEFAULT_MAX_ARGV		(256U * 1024)
#define CONFIG_DEFAULT_HELLO_TIMEOUT_MS	10000U
/* Admission: per source, per uid, and the slots kept for admins. */
#define CONFIG_DEFAULT_MAX_STARTUPS_PER_SOURCE	10U
#define CONFIG_DEFAULT_SOURCE_PENALTY_MS	1000U
#define CONFIG_DEFAULT_MAX_CONNECTIONS_PER_UID	64U
#define CONFIG_DEFAULT_ADMIN_RESERVE		8U

/* [server] on_shutdown: what SIGTERM does to running tasks. */
enum config_on_shutdown {
	CONFIG_ON_SHUTDOWN_CANCEL = 0,	/* SIGTERM, SIGKILL after grace */
	CONFIG_ON_SHUTDOWN_WAIT		/* let them finish */
};

/* [limits] max_startups = START:RATE:FULL, as sshd's MaxStartups: past
 * START TLS connections before Hello, a new one is refused with RATE%
 * chance, rising linearly to 100% at FULL. */
struct config_startups {
	unsigned	 start;
	unsigned	 rate;
	unsigned	 full;
};

/* A [queue NAME] section; "default" configures the implicit default queue. */
struct config_queue {
	char		*name;
	unsigned	 max_running;	/* 0: no limit of its own */
	uint64_t	 timeout_ms;	/* default task timeout, 0: none */
};

struct config {
	char		 *path;
	char		**listen;	/* "host:port" for TLS */
	size_t		  nlisten;
	char		 *socket;	/* unix socket path, NULL: none */
	char		 *state_dir;
	char		 *tls_ca;
	char		 *tls_cert;
	char		 *tls_key;
	uint32_t	  max_frame;
	unsigned	  max_connections;
	unsigned	  max_running;
	uint64_t	  grace_ms;	/* default cancel grace period */
	uint64_t	  idle_timeout_ms; /* no request, no watch: closed */
	unsigned	  max_identity_connections;
	uint64_t	  lag_warn_ms;	/* log callbacks slower than this */
	struct access_entry *access;
	size_t		  naccess;
	/* [retention], 0: no limit */
	uint64_t	  max_output;		/* per task: head + tail kept */
	uint64_t	  max_age_ms;		/* finished tasks' output */
	uint64_t	  max_total_output;	/* all finished tasks' output */
	unsigned	  max_finished;		/* finished tasks kept */
	struct config_queue *queues;	/* in file order */
	size_t		  nqueues;
	/* Running as a service: [server] on_shutdown, pid_file, log,
	 * log_level; [tls] crl. */
	enum config_on_shutdown on_shutdown;
	char		 *pid_file;	/* NULL: none */
	enum log_target	  log;
	int		  log_level;	/* a syslog priority */
	int		  log_level_set; /* given in the file */
	char		 *tls_crl;	/* NULL: no CRL */
	/* Per-peer and per-identity limits. */
	unsigned	  max_inflight;		/* requests per connection */
	unsigned	  max_queued_per_identity;
	struct config_startups max_startups;
	uint32_t	  max_argv;		/* argv + env + cwd bytes */
	uint64_t	  hello_timeout_ms;	/* accept to Hello, absolute */
	/* Admission (listener.c, source.c); 0: no limit, no penalty. */
	unsigned	  max_startups_per_source;
	uint64_t	  source_penalty_ms;	/* a connection without Hello */
	unsigned	  max_connections_per_uid; /* unix, but admins */
	unsigned	  admin_reserve;	/* of max_connections */
	int		  run_as_root;		/* root may run tasks as root */
	/* The user names of root and of runneld's own uid, looked up when
	 * the file is read ("uid=N" if there is none). */
	char		 *root_name;
	uid_t		  self_uid;
	char		 *self_name;
	/* runneld's own user (its effective uid), and root: whom a task
	 * runs as when it runs as runneld or as root. */
	struct access_user self_user;
	struct access_user root_user;
	/* The line that set each [tls] file (0: not set), so that an error
	 * about the file can name it (config.c). */
	unsigned long	  tls_ca_line;
	unsigned long	  tls_cert_line;
	unsigned long	  tls_key_line;
	unsigned long	  tls_crl_line;
};

/* config.c */
/* Read and check FILE.  On error return NULL and set *cause to
 * "FILE:LINE: what is wrong" (allocated). */
struct config	*config_load(const char *path, char **cause);
void		 config_free(struct config *);
const char	*config_on_shutdown_name(enum config_on_shutdown);
const char	*config_log_level_name(int);
/* The [queue NAME] section for NAME, NULL if none. */
const struct config_queue *config_queue(const struct config *,
		    const char *name);

#endif
