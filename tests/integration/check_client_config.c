/*
 * check_client_config.c - where runnel takes its settings from, against a
 * real runneld: the option beats the RUNNEL_* variable, which beats the
 * config file ($XDG_CONFIG_HOME/runnel/config, --config, RUNNEL_CONFIG),
 * which beats the default; and a bad config file is an error at its line.
 * Which certificate runnel used shows in `runnel status`'s identity.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "cli.h"
#include "harness.h"

static struct harness	h;
static char		xdg[200], conffile[240];

/* A daemon per test and an empty environment for the client's settings:
 * XDG_CONFIG_HOME is a dir of the test's own. */
static void
setup(void)
{
	harness_start(&h, NULL);
	unsetenv("RUNNEL_HOST");
	unsetenv("RUNNEL_CA");
	unsetenv("RUNNEL_CERT");
	unsetenv("RUNNEL_KEY");
	unsetenv("RUNNEL_CONFIG");
	snprintf(xdg, sizeof xdg, "%s/xdg", h.dir);
	ck_assert_int_eq(mkdir(xdg, 0700), 0);
	snprintf(conffile, sizeof conffile, "%s/runnel", xdg);
	ck_assert_int_eq(mkdir(conffile, 0700), 0);
	snprintf(conffile, sizeof conffile, "%s/runnel/config", xdg);
	setenv("XDG_CONFIG_HOME", xdg, 1);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Write FILE from a format. */
static void __attribute__((format(printf, 2, 3)))
write_conf(const char *path, const char *fmt, ...)
{
	char	 text[2048];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	harness_write_file(path, text);
}

/* `runnel [OPT VAL]... status` succeeds and reports identity NAME; the
 * options are pairs, NULL when absent. */
static void
assert_identity(const char *name, const char *opt1, const char *val1,
    const char *opt2, const char *val2)
{
	char	*argv[8], *out, *err, want[64];
	int	 n = 0, rc;

	argv[n++] = getenv("RUNNEL");
	ck_assert_ptr_nonnull(argv[0]);
	if (opt1 != NULL) {
		argv[n++] = (char *)(uintptr_t)opt1;
		argv[n++] = (char *)(uintptr_t)val1;
	}
	if (opt2 != NULL) {
		argv[n++] = (char *)(uintptr_t)opt2;
		argv[n++] = (char *)(uintptr_t)val2;
	}
	argv[n++] = (char *)(uintptr_t)"status";
	argv[n] = NULL;
	rc = harness_run(argv, &out, NULL, &err);
	ck_assert_msg(rc == 0, "status: %d: %s", rc, err);
	snprintf(want, sizeof want, "identity: %s\n", name);
	ck_assert_msg(strstr(out, want) != NULL, "want %s in:\n%s", want, out);
	free(out);
	free(err);
}

/* The config file alone: host and all three paths, the paths relative to
 * the file's directory. */
START_TEST(test_config_file_alone)
{
	char	 pki[200];

	snprintf(pki, sizeof pki, "%s/xdg/runnel/pki", h.dir);
	ck_assert_int_eq(symlink(h.pki, pki), 0);
	write_conf(conffile, "# runnel's settings\n\n"
	    "host = %s\nca = pki/ca.crt\n  cert  =  \"pki/alice.crt\"  \n"
	    "; a comment\nkey = pki/alice.key\n", h.host);
	assert_identity("alice", NULL, NULL, NULL, NULL);
}
END_TEST

/* The README's file, as `runnel pki issue --out ~/.config/runnel` fills
 * it: "~/" is $HOME, whatever the current directory. */
START_TEST(test_config_tilde)
{
	char	 home[200], link[240], *saved;

	snprintf(home, sizeof home, "%s/home", h.dir);
	ck_assert_int_eq(mkdir(home, 0700), 0);
	snprintf(link, sizeof link, "%s/creds", home);
	ck_assert_int_eq(symlink(h.pki, link), 0);
	saved = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	write_conf(conffile, "host = %s\nca = ~/creds/ca.crt\n"
	    "cert = ~/creds/bob.crt\nkey = ~/creds/bob.key\n", h.host);
	ck_assert_int_eq(chdir("/"), 0);
	assert_identity("bob", NULL, NULL, NULL, NULL);
	if (saved != NULL)
		setenv("HOME", saved, 1);
	free(saved);
}
END_TEST

/* Each setting on its own: flag > environment > file, and a setting the
 * stronger places leave out comes from the weaker. */
START_TEST(test_precedence)
{
	char	 cert[200], key[200];

	/* The file says alice; the host and CA come only from it. */
	write_conf(conffile, "host = %s\nca = %s/ca.crt\ncert = %s/alice.crt\n"
	    "key = %s/alice.key\n", h.host, h.pki, h.pki, h.pki);
	assert_identity("alice", NULL, NULL, NULL, NULL);

	/* The environment says bob: it wins over the file. */
	snprintf(cert, sizeof cert, "%s/bob.crt", h.pki);
	snprintf(key, sizeof key, "%s/bob.key", h.pki);
	setenv("RUNNEL_CERT", cert, 1);
	setenv("RUNNEL_KEY", key, 1);
	assert_identity("bob", NULL, NULL, NULL, NULL);

	/* The options say victor: they win over both. */
	snprintf(cert, sizeof cert, "%s/victor.crt", h.pki);
	snprintf(key, sizeof key, "%s/victor.key", h.pki);
	assert_identity("victor", "--cert", cert, "--key", key);
}
END_TEST

/* The host: a flag beats a bad environment value, which beats a bad
 * config value; each failure names the host it tried. */
START_TEST(test_host_precedence)
{
	char	*out, *err, env_host[200], conf_host[200];

	snprintf(conf_host, sizeof conf_host, "unix:%s/conf.sock", h.dir);
	snprintf(env_host, sizeof env_host, "unix:%s/env.sock", h.dir);
	write_conf(conffile, "host = %s\n", conf_host);
	ck_assert_int_eq(cli(&out, &err, "status", NULL), 3);
	ck_assert_msg(strstr(err, conf_host) != NULL, "%s", err);
	free(out);
	free(err);

	setenv("RUNNEL_HOST", env_host, 1);
	ck_assert_int_eq(cli(&out, &err, "status", NULL), 3);
	ck_assert_msg(strstr(err, env_host) != NULL, "%s", err);
	ck_assert_msg(strstr(err, conf_host) == NULL, "%s", err);
	free(out);
	free(err);

	/* The daemon's real socket, given as an option: root (who runs the
	 * test) or the daemon's own user is admin there. */
	snprintf(env_host, sizeof env_host, "unix:%s", h.sock);
	ck_assert_int_eq(cli(&out, &err, "-H", env_host, "status", NULL), 0);
	ck_assert_msg(strstr(out, "role: admin") != NULL, "%s", out);
	free(out);
	free(err);
}
END_TEST

/* --config and RUNNEL_CONFIG name another file (--config first); a named
 * file must exist, the default one need not. */
START_TEST(test_config_option_and_variable)
{
	char	*out, *err, other[200], third[200];

	/* No file at the default place (none was written): no error. */
	snprintf(other, sizeof other, "%s/other.conf", h.dir);
	write_conf(other, "host = %s\nca = %s/ca.crt\ncert = %s/bob.crt\n"
	    "key = %s/bob.key\n", h.host, h.pki, h.pki, h.pki);
	setenv("RUNNEL_CONFIG", other, 1);
	assert_identity("bob", NULL, NULL, NULL, NULL);

	snprintf(third, sizeof third, "%s/third.conf", h.dir);
	write_conf(third, "host = %s\nca = %s/ca.crt\ncert = %s/victor.crt\n"
	    "key = %s/victor.key\n", h.host, h.pki, h.pki, h.pki);
	assert_identity("victor", "--config", third, NULL, NULL);

	/* A named file that is missing is an error. */
	snprintf(third, sizeof third, "%s/missing.conf", h.dir);
	ck_assert_int_eq(cli(&out, &err, "--config", third, "status", NULL),
	    2);
	ck_assert_msg(strstr(err, "missing.conf: No such file") != NULL, "%s",
	    err);
	free(out);
	free(err);
}
END_TEST

/* Mistakes in the file are reported as FILE:LINE and stop runnel. */
START_TEST(test_config_errors)
{
	static const struct {
		const char	*text;
		const char	*error;
	} cases[] = {
		{ "host = a:1\n\nhots = b:2\n", ":3: unknown key \"hots\"" },
		{ "# c\nhost = a:1\nhost = b:2\n", ":3: host set twice" },
		{ "cert\n", ":1: expected \"key = value\"" },
		{ "ca =\n", ":1: ca: empty value" },
		{ "key = \"x\n", ":1: unterminated quote" },
		{ " = x\n", ":1: missing key before '='" }
	};
	char	*out, *err, want[300];
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		harness_write_file(conffile, cases[i].text);
		ck_assert_int_eq(cli(&out, &err, "status", NULL), 2);
		snprintf(want, sizeof want, "runnel: %s%s", conffile,
		    cases[i].error);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		    "case %zu: want %s, got %s", i, want, err);
		free(out);
		free(err);
	}
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("client_config");
	TCase	*tc = tcase_create("client_config");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config_file_alone);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_host_precedence);
	tcase_add_test(tc, test_config_option_and_variable);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_config_tilde);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
