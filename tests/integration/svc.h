/*
 * svc.h - helpers shared by the service tests (check_service, check_reload).
 */
#ifndef SVC_H
#define SVC_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* Drop const for execv's argv. */
#define UNCONST(s)	((char *)(uintptr_t)(s))

/* Replace the first occurrence of from by to in a file. */
void	 svc_edit_file(const char *path, const char *from, const char *to);
/* The number of the first line of a file that is exactly LINE. */
int	 svc_line_of(const char *path, const char *line);
/* Count occurrences of text in the daemon's log. */
int	 svc_log_count(struct harness *, const char *text);
/* Submit a task that prints "begin", waits for the file DIR/go, prints
 * "end"; script is where its command line is kept. */
uint64_t svc_submit_waiting(struct harness *, struct runnel_client *,
	    char *script, size_t len);
/* Wait for a daemon shutting down by itself to exit with status 0. */
void	 svc_wait_exit(struct harness *);

#endif
