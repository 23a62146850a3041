/*
 * util.c - small parsers shared by runneld, the runnel CLI and librunnel:
 * durations, signal names, host:port addresses, and an asprintf wrapper.
 */

#include <arpa/inet.h>

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "runnel.h"

#define UTIL_SIGNAL_MAX	64

struct util_signal {
	int		 number;
	const char	*name;		/* with the SIG prefix */
};

/* Signals known by name; parse_signal accepts them with or without "SIG". */
static const struct util_signal util_signals[] = {
	{ .number = SIGHUP, .name = "SIGHUP" },
	{ .number = SIGINT, .name = "SIGINT" },
	{ .number = SIGQUIT, .name = "SIGQUIT" },
	{ .number = SIGILL, .name = "SIGILL" },
	{ .number = SIGTRAP, .name = "SIGTRAP" },
	{ .number = SIGABRT, .name = "SIGABRT" },
	{ .number = SIGBUS, .name = "SIGBUS" },
	{ .number = SIGFPE, .name = "SIGFPE" },
	{ .number = SIGKILL, .name = "SIGKILL" },
	{ .number = SIGUSR1, .name = "SIGUSR1" },
	{ .number = SIGSEGV, .name = "SIGSEGV" },
	{ .number = SIGUSR2, .name = "SIGUSR2" },
	{ .number = SIGPIPE, .name = "SIGPIPE" },
	{ .number = SIGALRM, .name = "SIGALRM" },
	{ .number = SIGTERM, .name = "SIGTERM" },
	{ .number = SIGCHLD, .name = "SIGCHLD" },
	{ .number = SIGCONT, .name = "SIGCONT" },
	{ .number = SIGSTOP, .name = "SIGSTOP" },
	{ .number = SIGTSTP, .name = "SIGTSTP" },
	{ .number = SIGTTIN, .name = "SIGTTIN" },
	{ .number = SIGTTOU, .name = "SIGTTOU" },
	{ .number = SIGURG, .name = "SIGURG" },
	{ .number = SIGXCPU, .name = "SIGXCPU" },
	{ .number = SIGXFSZ, .name = "SIGXFSZ" },
	{ .number = SIGVTALRM, .name = "SIGVTALRM" },
	{ .number = SIGPROF, .name = "SIGPROF" },
	{ .number = SIGWINCH, .name = "SIGWINCH" },
	{ .number = SIGIO, .name = "SIGIO" },
	{ .number = SIGSYS, .name = "SIGSYS" },
};

struct util_unit {
	const char	*suffix;
	uint64_t	 ms;
};

/* Duration suffixes; a bare number is seconds. */
static const struct util_unit util_units[] = {
	{ .suffix = "ms", .ms = 1 },
	{ .suffix = "s", .ms = 1000 },
	{ .suffix = "m", .ms = 60 * 1000 },
	{ .suffix = "h", .ms = 60 * 60 * 1000 },
	{ .suffix = "d", .ms = 24 * 60 * 60 * 1000 },
	{ .suffix = "", .ms = 1000 },
};

/* Parse a duration: digits, an optional fraction, an optional unit. */
int
parse_duration(const char *s, uint64_t *ms)
{
	const char	*p = s;
	uint64_t	 whole = 0, frac = 0, scale = 1, unit = 0, total;
	size_t		 i;
	int		 ndigits = 0;

	if (s == NULL)
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
		ndigits++;
	}
	if (ndigits == 0)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		/* Nine places are below a millisecond for every unit. */
		for (; isdigit((unsigned char)*p); p++) {
			if (scale < 1000000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		}
	}
	for (i = 0; i < sizeof util_units / sizeof util_units[0]; i++) {
		if (strcmp(p, util_units[i].suffix) == 0) {
			unit = util_units[i].ms;
			break;
		}
	}
	if (unit == 0)
		return -1;
	if (whole > UINT64_MAX / unit)
		return -1;
	total = whole * unit;
	/* frac < scale <= 1e9 and unit <= 8.64e7: no overflow here. */
	if (total > UINT64_MAX - frac * unit / scale)
		return -1;
	*ms = total + frac * unit / scale;
	return 0;
}

/* Parse a signal given by name ("TERM", "SIGTERM") or number ("15"). */
int
parse_signal(const char *s)
{
	const char	*name;
	size_t		 i;
	int		 n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		for (; *s != '\0'; s++) {
			if (!isdigit((unsigned char)*s))
				return -1;
			n = n * 10 + (*s - '0');
			if (n > UTIL_SIGNAL_MAX)
				return -1;
		}
		if (n < 1)
			return -1;
		return n;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof util_signals / sizeof util_signals[0]; i++) {
		name = util_signals[i].name + 3;
		if (strcasecmp(s, name) == 0)
			return util_signals[i].number;
	}
	return -1;
}

/* The name of a signal, "SIGRT" for real-time ones, "SIG?" if unknown. */
const char *
signal_name(int sig)
{
	size_t	i;

	for (i = 0; i < sizeof util_signals / sizeof util_signals[0]; i++) {
		if (util_signals[i].number == sig)
			return util_signals[i].name;
	}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		return "SIGRT";
	return "SIG?";
}

/* Check a port: decimal digits, 0 to 65535. */
static int
util_check_port(const char *port)
{
	unsigned long	n = 0;
	const char	*p;

	if (*port == '\0' || strlen(port) > 5)
		return -1;
	for (p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n > 65535 ? -1 : 0;
}

/*
 * Split an address: "host:port", "[v6]:port", "host" or "[v6]" (default
 * port), a bare IPv6 literal, or "unix:PATH".
 */
int
parse_hostport(const char *s, char **host, char **port, int *is_unix)
{
	struct in6_addr	 in6;
	const char	*colon, *end, *p;
	char		*h = NULL, *pt = NULL;

	*host = *port = NULL;
	*is_unix = 0;
	if (s == NULL || *s == '\0')
		return -1;

	if (strncmp(s, "unix:", 5) == 0) {
		if (s[5] == '\0' || (h = strdup(s + 5)) == NULL)
			return -1;
		*host = h;
		*is_unix = 1;
		return 0;
	}

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end == s + 1)
			goto fail;
		if ((h = strndup(s + 1, (size_t)(end - s - 1))) == NULL)
			goto fail;
		if (inet_pton(AF_INET6, h, &in6) != 1)
			goto fail;
		if (end[1] == '\0')
			p = RUNNEL_DEFAULT_PORT;
		else if (end[1] == ':')
			p = end + 2;
		else
			goto fail;
	} else if ((colon = strchr(s, ':')) == NULL) {
		if ((h = strdup(s)) == NULL)
			goto fail;
		p = RUNNEL_DEFAULT_PORT;
	} else if (strchr(colon + 1, ':') != NULL) {
		/* Several colons: only a bare IPv6 address, default port. */
		if (inet_pton(AF_INET6, s, &in6) != 1)
			goto fail;
		if ((h = strdup(s)) == NULL)
			goto fail;
		p = RUNNEL_DEFAULT_PORT;
	} else {
		if (colon == s)
			goto fail;
		if ((h = strndup(s, (size_t)(colon - s))) == NULL)
			goto fail;
		p = colon + 1;
	}
	if (util_check_port(p) != 0 || (pt = strdup(p)) == NULL)
		goto fail;
	*host = h;
	*port = pt;
	return 0;

fail:
	free(h);
	return -1;
}

/* Format into a newly allocated string; NULL on failure. */
char *
str_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	return s;
}
