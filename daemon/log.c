/*
 * log.c - log lines to stderr (foreground), journald (under systemd, with
 * structured fields) or syslog, OpenBSD style: log_warn appends
 * strerror(errno), log_warnx does not.  Lines above the configured level
 * are dropped before they are formatted.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
/* CODE_FILE and CODE_LINE would always name log.c. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>
#endif

#include "log.h"

static enum log_target	log_target = LOG_TO_STDERR;
static int		log_level = LOG_INFO;
static int		log_syslog_open;
static int		log_foreground = 1;

static const char *log_target_names[] = {
	[LOG_TO_AUTO] = "auto",
	[LOG_TO_JOURNAL] = "journal",
	[LOG_TO_SYSLOG] = "syslog",
	[LOG_TO_STDERR] = "stderr",
};

/* The name of a log target. */
const char *
log_target_name(enum log_target target)
{
	return log_target_names[target];
}

/* Before the configuration is read: stderr in the foreground, syslog
 * otherwise; debug lines with verbose. */
void
log_init(int foreground, int verbose)
{
	log_setup(foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG, foreground,
	    verbose ? LOG_DEBUG : LOG_INFO);
}

/* Is stderr the journal stream systemd gave us (JOURNAL_STREAM=dev:ino)? */
static int
log_stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;

	if (env == NULL || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/* Choose where lines go.  auto picks the journal when systemd started us:
 * stderr connected to the journal, or (daemonizing) INVOCATION_ID set. */
enum log_target
log_setup(enum log_target target, int foreground, int level)
{
	if (foreground < 0)
		foreground = log_foreground;
	log_foreground = foreground;
	if (target == LOG_TO_AUTO) {
		if (log_stderr_is_journal() ||
		    (!foreground && getenv("INVOCATION_ID") != NULL))
			target = LOG_TO_JOURNAL;
		else
			target = foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG;
	}
#ifndef HAVE_LIBSYSTEMD
	if (target == LOG_TO_JOURNAL)
		target = foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG;
#endif
	if (target == LOG_TO_SYSLOG && !log_syslog_open) {
		openlog("runneld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog_open = 1;
	}
	log_target = target;
	log_level = level;
	return target;
}

/* Send one line to the journal with its fields (NULL-terminated
 * "FIELD=value" strings).  "task 42: ..." and "conn 7: ..." lines get
 * TASK_ID or CONN_ID, so journalctl TASK_ID=42 finds a task's lines. */
static void
log_journal(int pri, const char *msg, const char *const *fields)
{
#ifdef HAVE_LIBSYSTEMD
	static char		 ident[] = "SYSLOG_IDENTIFIER=runneld";
	struct iovec		 iov[12];
	char			 m[1100], p[16], obj[48];
	unsigned long long	 id;
	size_t			 n = 0, i;

	snprintf(m, sizeof m, "MESSAGE=%s", msg);
	snprintf(p, sizeof p, "PRIORITY=%d", pri);
	iov[n].iov_base = m;
	iov[n++].iov_len = strlen(m);
	iov[n].iov_base = p;
	iov[n++].iov_len = strlen(p);
	iov[n].iov_base = ident;
	iov[n++].iov_len = sizeof ident - 1;
	if (fields == NULL && (sscanf(msg, "task %llu:", &id) == 1 ||
	    sscanf(msg, "conn %llu:", &id) == 1)) {
		snprintf(obj, sizeof obj, "%s=%llu", *msg == 't' ? "TASK_ID" :
		    "CONN_ID", id);
		iov[n].iov_base = obj;
		iov[n++].iov_len = strlen(obj);
	}
	for (i = 0; fields != NULL && fields[i] != NULL &&
	    n < sizeof iov / sizeof *iov; i++) {
		iov[n].iov_base = (void *)(uintptr_t)fields[i];
		iov[n++].iov_len = strlen(fields[i]);
	}
	sd_journal_sendv(iov, (int)n);
#else
	(void)pri;
	(void)msg;
	(void)fields;
#endif
}

/* Write one formatted line where lines go. */
static void
log_emit(int pri, const char *msg, const char *const *fields)
{
	switch (log_target) {
	case LOG_TO_JOURNAL:
		log_journal(pri, msg, fields);
		break;
	case LOG_TO_SYSLOG:
		syslog(pri, "%s", msg);
		break;
	default:
		fprintf(stderr, "runneld: %s\n", msg);
		break;
	}
}

/* Write one line at a priority, with an optional strerror suffix. */
static void __attribute__((format(printf, 3, 0)))
log_vwrite(int pri, int errnum, const char *fmt, va_list ap)
{
	char	msg[1024];
	size_t	len;

	if (pri > log_level && pri > LOG_CRIT)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (errnum != 0) {
		len = strlen(msg);
		snprintf(msg + len, sizeof msg - len, ": %s",
		    strerror(errnum));
	}
	log_emit(pri, msg, NULL);
	/* Going into the background, stderr is the terminal's until the
	 * daemon is up (then /dev/null): a fatal start-up error shows there
	 * too. */
	if (pri <= LOG_CRIT && log_target == LOG_TO_SYSLOG)
		fprintf(stderr, "runneld: %s\n", msg);
}

/* Warn with errno's text appended. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Warn without errno. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

/* Log a significant normal event. */
void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_NOTICE, 0, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Log a debug line (log_level = debug, or -v). */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* One audit line, at notice so that log_level = notice keeps the trail. */
void
log_audit(uint64_t task_id, const char *identity, const char *argv0,
    int64_t duration_ms, const char *status, const char *fmt, ...)
{
	const char	*fields[7];
	char		 msg[1024], f_id[48], f_ms[48];
	char		*f_who = NULL, *f_argv0 = NULL, *f_status = NULL;
	size_t		 n = 0;
	va_list		 ap;

	if (LOG_NOTICE > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(f_id, sizeof f_id, "TASK_ID=%" PRIu64, task_id);
	fields[n++] = f_id;
	if (asprintf(&f_who, "IDENTITY=%s", identity) != -1)
		fields[n++] = f_who;
	else
		f_who = NULL;
	if (asprintf(&f_argv0, "ARGV0=%s", argv0) != -1)
		fields[n++] = f_argv0;
	else
		f_argv0 = NULL;
	if (duration_ms >= 0) {
		snprintf(f_ms, sizeof f_ms, "DURATION_MS=%" PRId64,
		    duration_ms);
		fields[n++] = f_ms;
	}
	if (status != NULL) {
		if (asprintf(&f_status, "TASK_STATUS=%s", status) != -1)
			fields[n++] = f_status;
		else
			f_status = NULL;
	}
	fields[n] = NULL;
	log_emit(LOG_NOTICE, msg, fields);
	free(f_who);
	free(f_argv0);
	free(f_status);
}

/* Log with errno and exit: start-up failures and broken invariants only. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Is a line of this kind due (none in the last second)?  Counts those
 * that are not, and hands the count over with the next that is. */
int
log_ratelimit(struct log_rate *r, unsigned long long *skipped)
{
	struct timespec	ts;
	int64_t		now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1;
	if (r->last_ms != 0 && now - r->last_ms < 1000) {
		r->skipped++;
		return 0;
	}
	r->last_ms = now;
	*skipped = r->skipped;
	r->skipped = 0;
	return 1;
}
