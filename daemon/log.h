/*
 * log.h - runneld's logging, after OpenBSD's log.h: stderr in the
 * foreground, journald under systemd, syslog otherwise.
 */
#ifndef RUNNELD_LOG_H
#define RUNNELD_LOG_H

#include <stdarg.h>
#include <stdint.h>

/* Where log lines go ([server] log). */
enum log_target {
	LOG_TO_AUTO = 0,	/* journal under systemd, stderr with -f, else syslog */
	LOG_TO_JOURNAL,
	LOG_TO_SYSLOG,
	LOG_TO_STDERR
};

void	log_init(int foreground, int verbose);
/* Send lines to a target, keeping those up to a syslog priority (LOG_ERR
 * .. LOG_DEBUG); foreground -1 keeps the last one.  Returns the target
 * actually chosen. */
enum log_target log_setup(enum log_target, int foreground, int level);
const char *log_target_name(enum log_target);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* The audit trail: one line per task start and end, with the task id,
 * identity and argv[0] as journal fields too.  duration_ms < 0: none. */
void	log_audit(uint64_t task_id, const char *identity, const char *argv0,
	    int64_t duration_ms, const char *status, const char *, ...)
	    __attribute__((format(printf, 6, 7)));
/* For a log line a peer can repeat at will (a refused connection): at
 * most one a second.  log_ratelimit() says whether this one is logged;
 * then *skipped is how many were not since the last one that was. */
struct log_rate {
	int64_t			last_ms;	/* monotonic; 0: never logged */
	unsigned long long	skipped;
};
int	log_ratelimit(struct log_rate *, unsigned long long *skipped);
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
