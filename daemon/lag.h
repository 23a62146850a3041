/*
 * lag.h - the loop measuring itself: how late a periodic probe runs (loop
 * lag, reported by Status), and the callbacks that run too long (logged with
 * the task or connection they served).
 */
#ifndef RUNNELD_LAG_H
#define RUNNELD_LAG_H

#include <stdint.h>
#include <time.h>

/* When a timed callback began. */
struct lag_mark {
	struct timespec	t;
};

/* lag.c */
void	lag_start(void);
void	lag_stop(void);
void	lag_stats(uint64_t *cur_us, uint64_t *max_us, uint64_t *p99_us);
void	lag_begin(struct lag_mark *);
void	lag_end(const struct lag_mark *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
