/*
 * util.h - the small helpers every benchmark program in bench/ shares:
 * messages and exits, a monotonic clock, sizes as head -c takes them, a
 * time limit, and options that fall back to RUNNEL_* variables.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>

/* The program's name, the prefix of every message ("stream", ...). */
extern const char	*bench_name;

/* Print "NAME: message" and exit 1. */
void		 bench_die(const char *, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));
/* CPU time (user + system) in seconds of RUSAGE_SELF or RUSAGE_CHILDREN
 * (the children waited for, theirs included). */
double		 bench_cpu(int who);
/* CLOCK_MONOTONIC, in seconds. */
double		 bench_now(void);
/* A size: a number with an optional K, M, G or T (powers of 1024, as
 * head -c takes them); 0, or -1 if s is not one. */
int		 bench_parse_size(const char *s, uint64_t *out);
/* Exit 2 with "NAME: timed out" if the program still runs after secs
 * seconds (SIGALRM; alarm() again to move the limit). */
void		 bench_time_limit(unsigned secs);
/* value if given, else the environment variable env (or NULL). */
const char	*bench_opt(const char *value, const char *env);

#endif
