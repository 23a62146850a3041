/*
 * cli.c - run the `runnel` CLI from a test (see cli.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <check.h>

#include "cli.h"
#include "harness.h"

void
cli_env(const struct harness *h, const char *who)
{
	char	path[512];

	setenv("RUNNEL_HOST", h->host, 1);
	snprintf(path, sizeof path, "%s/ca.crt", h->pki);
	setenv("RUNNEL_CA", path, 1);
	snprintf(path, sizeof path, "%s/%s.crt", h->pki, who);
	setenv("RUNNEL_CERT", path, 1);
	snprintf(path, sizeof path, "%s/%s.key", h->pki, who);
	setenv("RUNNEL_KEY", path, 1);
}

void
cli_argv(char **argv, const char *a0, va_list ap)
{
	const char	*a;
	int		 n = 0;

	argv[n++] = getenv("RUNNEL");
	ck_assert_ptr_nonnull(argv[0]);
	for (a = a0; a != NULL; a = va_arg(ap, const char *)) {
		ck_assert_int_lt(n, CLI_ARGS_MAX - 1);
		argv[n++] = (char *)(uintptr_t)a;
	}
	argv[n] = NULL;
}

int
cli_v(char **out, size_t *outlen, char **err, const char *a0, va_list ap)
{
	char	*argv[CLI_ARGS_MAX];

	cli_argv(argv, a0, ap);
	return harness_run(argv, out, outlen, err);
}

int
cli(char **out, char **err, const char *a0, ...)
{
	va_list	ap;
	int	status;

	va_start(ap, a0);
	status = cli_v(out, NULL, err, a0, ap);
	va_end(ap);
	return status;
}

/* Run the CLI, expecting status want and, unless expect is NULL, exactly
 * that stdout; free what it printed. */
static void
cli_check(int want, const char *expect, const char *a0, va_list ap)
{
	char	*out, *err;
	int	 status;

	status = cli_v(&out, NULL, &err, a0, ap);
	ck_assert_msg(status == want, "%s: status %d, not %d: %s%s", a0,
	    status, want, out, err);
	if (expect != NULL)
		ck_assert_str_eq(out, expect);
	free(out);
	free(err);
}

void
cli_ok(int want, const char *a0, ...)
{
	va_list	ap;

	va_start(ap, a0);
	cli_check(want, NULL, a0, ap);
	va_end(ap);
}

void
cli_expect(int want, const char *expect, const char *a0, ...)
{
	va_list	ap;

	va_start(ap, a0);
	cli_check(want, expect, a0, ap);
	va_end(ap);
}
