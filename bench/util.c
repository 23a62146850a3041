/*
 * util.c - helpers shared by the benchmark programs (see util.h).
 */
#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

const char	*bench_name = "bench";

void
bench_die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", bench_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

double
bench_cpu(int who)
{
	struct rusage	ru;

	if (getrusage(who, &ru) == -1)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
bench_parse_size(const char *s, uint64_t *out)
{
	char		*end;
	uint64_t	 v, mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'K':
		mul = 1ULL << 10;
		break;
	case 'M':
		mul = 1ULL << 20;
		break;
	case 'G':
		mul = 1ULL << 30;
		break;
	case 'T':
		mul = 1ULL << 40;
		break;
	default:
		return -1;
	}
	if ((*end != '\0' && end[1] != '\0') || v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

/* SIGALRM: only what is async-signal-safe. */
static void
bench_alarm(int sig)
{
	char	msg[64];
	size_t	len;

	(void)sig;
	len = strlen(bench_name);
	if (len > sizeof msg - 12)
		len = sizeof msg - 12;
	memcpy(msg, bench_name, len);
	memcpy(msg + len, ": timed out\n", 12);
	if (write(STDERR_FILENO, msg, len + 12) == -1)
		_exit(2);
	_exit(2);
}

void
bench_time_limit(unsigned secs)
{
	signal(SIGALRM, bench_alarm);
	alarm(secs);
}

const char *
bench_opt(const char *value, const char *env)
{
	return value != NULL ? value : getenv(env);
}
