/*
 * log.c - log lines to stderr (foreground) or syslog, OpenBSD style:
 * log_warn appends strerror(errno), log_warnx does not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int	log_foreground = 1;
static int	log_verbose;

/* Set where log lines go and whether debug lines are kept. */
void
log_init(int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog("runneld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Write one line at a priority, with an optional strerror suffix. */
static void __attribute__((format(printf, 3, 0)))
log_vwrite(int pri, int errnum, const char *fmt, va_list ap)
{
	char	msg[1024];

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_foreground) {
		if (errnum != 0)
			fprintf(stderr, "runneld: %s: %s\n", msg,
			    strerror(errnum));
		else
			fprintf(stderr, "runneld: %s\n", msg);
	} else {
		if (errnum != 0)
			syslog(pri, "%s: %s", msg, strerror(errnum));
		else
			syslog(pri, "%s", msg);
	}
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

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Log a debug line (only with -v). */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
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
