/*
 * cli.h - run the `runnel` CLI ($RUNNEL) from a test and check what it
 * printed.  Arguments end with NULL; out and err are allocated (free
 * them).
 */
#ifndef CLI_H
#define CLI_H

#include <stdarg.h>
#include <stddef.h>

struct harness;

#define CLI_ARGS_MAX	40

/* Point the CLI's RUNNEL_HOST, RUNNEL_CA, RUNNEL_CERT and RUNNEL_KEY at
 * the harness's daemon, as the client certificate `who` ("alice"). */
void	cli_env(const struct harness *, const char *who);
/* Fill argv (CLI_ARGS_MAX entries) with the CLI and the arguments. */
void	cli_argv(char **argv, const char *a0, va_list);
/* Run the CLI: its exit status; outlen (may be NULL) gets out's length. */
int	cli_v(char **out, size_t *outlen, char **err, const char *a0,
	    va_list);
int	cli(char **out, char **err, const char *a0, ...);
/* Run the CLI, expecting exit status want; free what it printed. */
void	cli_ok(int want, const char *a0, ...);
/* The same, and expecting exactly this stdout. */
void	cli_expect(int want, const char *expect, const char *a0, ...);

#endif
