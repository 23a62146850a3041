/*
 * check_config.c - unit tests for runneld's configuration reader
 * (daemon/config.c): every field, defaults, path resolution, and the exact
 * message of every error.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

#define nitems(a)	(sizeof (a) / sizeof (a)[0])

/* Scratch directory, made in the parent before the tests fork. */
static char	*tmpdir;

/* Format into a static buffer (tests are one per process). */
static const char * __attribute__((format(printf, 1, 2)))
fmt(const char *f, ...)
{
	static char	 buf[4][4096];
	static int	 n;
	char		*s = buf[n++ % 4];
	va_list		 ap;

	va_start(ap, f);
	vsnprintf(s, sizeof buf[0], f, ap);
	va_end(ap);
	return (s);
}

/* Write LEN bytes of TEXT to NAME under the scratch directory. */
static const char *
write_file_len(const char *name, const char *text, size_t len)
{
	const char	*path = fmt("%s/%s", tmpdir, name);
	FILE		*f;

	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	return (path);
}

/* Write TEXT to NAME under the scratch directory; return its path. */
static const char *
write_file(const char *name, const char *text)
{
	return (write_file_len(name, text, strlen(text)));
}

/* Load TEXT, which must parse. */
static struct config *
load_ok(const char *text)
{
	struct config	*conf;
	char		*cause = NULL;

	conf = config_load(write_file("ok.conf", text), &cause);
	ck_assert_msg(conf != NULL, "unexpected error: %s", cause);
	ck_assert_ptr_null(cause);
	return (conf);
}

/* Load TEXT, which must fail with "FILE:LINE: MSG" (or "FILE: MSG" for
 * line 0). */
static void
load_bad(const char *text, unsigned line, const char *msg)
{
	const char	*path = write_file("bad.conf", text);
	const char	*want;
	struct config	*conf;
	char		*cause = NULL;

	if (line != 0)
		want = fmt("%s:%u: %s", path, line, msg);
	else
		want = fmt("%s: %s", path, msg);
	conf = config_load(path, &cause);
	ck_assert_ptr_null(conf);
	ck_assert_ptr_nonnull(cause);
	ck_assert_str_eq(cause, want);
	free(cause);
}

/* Remove PATH and everything under it. */
static void
rm_rf(const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		 sub[4096];

	if (lstat(path, &sb) != 0)
		return;
	if (S_ISDIR(sb.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* Make the scratch directory (unchecked fixture: runs in the parent). */
static void
setup(void)
{
	const char	*base = getenv("TMPDIR");
	char		 tmpl[4096];

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(tmpl, sizeof tmpl, "%s/check_config.XXXXXX", base);
	if (mkdtemp(tmpl) == NULL) {
		perror(tmpl);
		abort();
	}
	tmpdir = strdup(tmpl);
}

/* Remove the scratch directory, whatever the tests left there. */
static void
teardown(void)
{
	rm_rf(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
}

START_TEST(test_full)
{
	struct config	*conf;

	conf = load_ok(
	    "# a full configuration\n"
	    "; with both kinds of comment\n"
	    "\n"
	    "[server]\n"
	    "listen = 127.0.0.1:7433\n"
	    "listen=[::1]:7434\n"
	    "\t  listen   =   localhost:0   \n"
	    "listen = [fe80::1%eth0]:65535\n"
	    "socket = run/runneld.sock\n"
	    "state_dir = \"my state \"\n"
	    "\n"
	    "[tls]\n"
	    "ca = /etc/runnel/ca.crt\n"
	    "cert = pki/server.crt\n"
	    "key = \"pki/odd = name #1.key\"\n"
	    "\n"
	    "[ limits ]\n"
	    "max_frame = 1m\n"
	    "max_connections = 10\n"
	    "max_running = 0\n"
	    "grace = 250ms\n"
	    "lag_warn = 2s\n"
	    "\n"
	    "[queue build]\n"
	    "max_running = 2\n"
	    "timeout = 1h\n"
	    "\n"
	    "[access]\n"
	    "alice = admin\n"
	    "unix:alice = user\n"
	    "CN with spaces: and colons = viewer\n"
	    "bob=\"viewer\"\n");

	ck_assert_str_eq(conf->path, fmt("%s/ok.conf", tmpdir));
	ck_assert_uint_eq(conf->nlisten, 4);
	ck_assert_str_eq(conf->listen[0], "127.0.0.1:7433");
	ck_assert_str_eq(conf->listen[1], "[::1]:7434");
	ck_assert_str_eq(conf->listen[2], "localhost:0");
	ck_assert_str_eq(conf->listen[3], "[fe80::1%eth0]:65535");
	ck_assert_str_eq(conf->socket, fmt("%s/run/runneld.sock", tmpdir));
	ck_assert_str_eq(conf->state_dir, fmt("%s/my state ", tmpdir));
	ck_assert_str_eq(conf->tls_ca, "/etc/runnel/ca.crt");
	ck_assert_str_eq(conf->tls_cert, fmt("%s/pki/server.crt", tmpdir));
	ck_assert_str_eq(conf->tls_key, fmt("%s/pki/odd = name #1.key",
	    tmpdir));
	ck_assert_uint_eq(conf->max_frame, 1048576);
	ck_assert_uint_eq(conf->max_connections, 10);
	ck_assert_uint_eq(conf->max_running, 0);
	ck_assert_uint_eq(conf->grace_ms, 250);
	ck_assert_uint_eq(conf->lag_warn_ms, 2000);
	ck_assert_uint_eq(conf->nqueues, 1);
	ck_assert_str_eq(conf->queues[0].name, "build");
	ck_assert_uint_eq(conf->queues[0].max_running, 2);
	ck_assert_uint_eq(conf->queues[0].timeout_ms, 3600000);

	ck_assert_uint_eq(conf->naccess, 4);
	ck_assert_str_eq(conf->access[0].name, "alice");
	ck_assert_int_eq(conf->access[0].role, ROLE_ADMIN);
	ck_assert_str_eq(conf->access[1].name, "unix:alice");
	ck_assert_int_eq(conf->access[1].role, ROLE_USER);
	ck_assert_str_eq(conf->access[2].name, "CN with spaces: and colons");
	ck_assert_int_eq(conf->access[2].role, ROLE_VIEWER);
	ck_assert_str_eq(conf->access[3].name, "bob");
	ck_assert_int_eq(conf->access[3].role, ROLE_VIEWER);
	config_free(conf);
}
END_TEST

START_TEST(test_access_colons)
{
	struct config	*conf;

	/* Exact lookup; NAME may hold ':' but not '=' (split at the first). */
	conf = load_ok(
	    "[access]\n"
	    "alice = admin\n"
	    "unix:alice = user\n"
	    "CN with spaces: and colons = viewer\n"
	    "bob=\"viewer\"\n");
	ck_assert_uint_eq(conf->naccess, 4);
	ck_assert_int_eq(access_role(conf, "alice"), ROLE_ADMIN);
	ck_assert_int_eq(access_role(conf, "unix:alice"), ROLE_USER);
	ck_assert_int_eq(access_role(conf, "CN with spaces: and colons"),
	    ROLE_VIEWER);
	ck_assert_int_eq(access_role(conf, "bob"), ROLE_VIEWER);
	ck_assert_int_eq(access_role(conf, "Alice"), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, "alic"), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, "alice "), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, "unix:bob"), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, ""), ROLE_NONE);
	ck_assert_int_eq(access_role(conf, NULL), ROLE_NONE);
	ck_assert_int_eq(access_role(NULL, "alice"), ROLE_NONE);
	config_free(conf);
}
END_TEST

/* unix:USER entries are resolved to uids when the file is read; root and
 * runneld's own user are named then too.  A user that does not exist names
 * no uid (the entry is only warned about). */
START_TEST(test_access_unix_uids)
{
	struct config	*conf;
	struct passwd	*pw;
	uid_t		 nobody;

	pw = getpwnam("nobody");
	ck_assert_ptr_nonnull(pw);
	nobody = pw->pw_uid;
	conf = load_ok(
	    "[access]\n"
	    "unix:nobody = viewer\n"
	    "unix:runnel-no-such-user = user\n");
	ck_assert_str_eq(access_unix_name(conf, 0), "root");
	ck_assert_ptr_nonnull(access_unix_name(conf, getuid()));
	if (getuid() != nobody)
		ck_assert_str_eq(access_unix_name(conf, nobody), "nobody");
	ck_assert_int_eq(conf->access[1].unix_known, 0);
	ck_assert_ptr_null(access_unix_name(conf, 4242424));
	ck_assert_int_eq(access_role(conf, "unix:nobody"), ROLE_VIEWER);
	config_free(conf);
}
END_TEST

/* Check every default of a configuration. */
static void
check_defaults(struct config *conf)
{
	ck_assert_uint_eq(conf->nlisten, 0);
	ck_assert_ptr_null(conf->listen);
	ck_assert_str_eq(conf->state_dir, "/var/lib/runnel");
	ck_assert_str_eq(conf->socket, "/var/lib/runnel/runneld.sock");
	ck_assert_ptr_null(conf->tls_ca);
	ck_assert_ptr_null(conf->tls_cert);
	ck_assert_ptr_null(conf->tls_key);
	ck_assert_uint_eq(conf->max_frame, 4194304);
	ck_assert_uint_eq(conf->max_connections, 1024);
	ck_assert_uint_eq(conf->max_running, 256);
	ck_assert_uint_eq(conf->grace_ms, 5000);
	ck_assert_uint_eq(conf->lag_warn_ms, 50);
	ck_assert_uint_eq(conf->naccess, 0);
	ck_assert_int_eq(access_role(conf, "alice"), ROLE_NONE);
	ck_assert_uint_eq(conf->nqueues, 0);
	ck_assert_ptr_null(conf->queues);
	ck_assert_ptr_null(config_queue(conf, "default"));
}

START_TEST(test_defaults)
{
	struct config	*conf;

	conf = load_ok("[server]\n[tls]\n[limits]\n[access]\n");
	check_defaults(conf);
	config_free(conf);

	conf = load_ok("");
	check_defaults(conf);
	config_free(conf);

	conf = load_ok("# only a comment, no newline at the end");
	check_defaults(conf);
	config_free(conf);
}
END_TEST

START_TEST(test_crlf_bom)
{
	struct config	*conf;

	conf = load_ok("\xef\xbb\xbf[server]\r\nstate_dir = /srv/r\r\n"
	    "[access]\r\nalice = user\r\n");
	ck_assert_str_eq(conf->state_dir, "/srv/r");
	ck_assert_str_eq(conf->socket, "/srv/r/runneld.sock");
	ck_assert_uint_eq(conf->naccess, 1);
	ck_assert_str_eq(conf->access[0].name, "alice");
	ck_assert_int_eq(conf->access[0].role, ROLE_USER);
	config_free(conf);
}
END_TEST

START_TEST(test_repeated_section)
{
	struct config	*conf;

	conf = load_ok("[server]\nlisten = a:1\n[tls]\nca = /c\n"
	    "[server]\nlisten = b:2\n[tls]\ncert = /d\nkey = /e\n");
	ck_assert_uint_eq(conf->nlisten, 2);
	ck_assert_str_eq(conf->listen[0], "a:1");
	ck_assert_str_eq(conf->listen[1], "b:2");
	ck_assert_str_eq(conf->tls_ca, "/c");
	ck_assert_str_eq(conf->tls_cert, "/d");
	ck_assert_str_eq(conf->tls_key, "/e");
	config_free(conf);
}
END_TEST

START_TEST(test_state_dir_socket)
{
	struct config	*conf;

	/* The default socket follows the final, resolved state_dir. */
	conf = load_ok("[server]\nstate_dir = state\n");
	ck_assert_str_eq(conf->state_dir, fmt("%s/state", tmpdir));
	ck_assert_str_eq(conf->socket, fmt("%s/state/runneld.sock", tmpdir));
	config_free(conf);

	conf = load_ok("[server]\nstate_dir = /srv/runnel/\n");
	ck_assert_str_eq(conf->state_dir, "/srv/runnel/");
	ck_assert_str_eq(conf->socket, "/srv/runnel/runneld.sock");
	config_free(conf);

	conf = load_ok("[server]\nsocket = /run/r.sock\nstate_dir = /srv\n");
	ck_assert_str_eq(conf->socket, "/run/r.sock");
	config_free(conf);
}
END_TEST

START_TEST(test_socket_disabled)
{
	struct config	*conf;

	conf = load_ok("[server]\nsocket =\n");
	ck_assert_ptr_null(conf->socket);
	config_free(conf);

	conf = load_ok("[server]\nsocket = none\n");
	ck_assert_ptr_null(conf->socket);
	config_free(conf);

	conf = load_ok("[server]\nsocket = \"\"\n");
	ck_assert_ptr_null(conf->socket);
	config_free(conf);

	/* Quoted, "none" is a file name. */
	conf = load_ok("[server]\nsocket = \"none\"\n");
	ck_assert_str_eq(conf->socket, fmt("%s/none", tmpdir));
	config_free(conf);
}
END_TEST

START_TEST(test_relative_config_path)
{
	struct config	*conf;
	char		*cause = NULL, cwd[4096];

	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(mkdir("sub", 0700), 0);
	write_file("rel.conf", "[server]\nstate_dir = state\n");
	write_file("sub/rel.conf", "[tls]\nca = ca.crt\n");

	conf = config_load("rel.conf", &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_str_eq(conf->path, "rel.conf");
	ck_assert_str_eq(conf->state_dir, fmt("%s/state", cwd));
	ck_assert_str_eq(conf->socket, fmt("%s/state/runneld.sock", cwd));
	config_free(conf);

	conf = config_load("./rel.conf", &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_str_eq(conf->state_dir, fmt("%s/state", cwd));
	config_free(conf);

	conf = config_load("sub/rel.conf", &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_str_eq(conf->tls_ca, fmt("%s/sub/ca.crt", cwd));
	config_free(conf);

	conf = config_load("./sub/rel.conf", &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_str_eq(conf->tls_ca, fmt("%s/sub/ca.crt", cwd));
	config_free(conf);
}
END_TEST

static const struct {
	const char	*value;
	uint32_t	 bytes;
} good_frames[] = {
	{ "1024", 1024 },
	{ "1k", 1024 },
	{ "1K", 1024 },
	{ "4m", 4194304 },
	{ "64M", 67108864 },
	{ "67108864", 67108864 },
	{ "0002048", 2048 },
};

START_TEST(test_max_frame_good)
{
	struct config	*conf;

	conf = load_ok(fmt("[limits]\nmax_frame = %s\n",
	    good_frames[_i].value));
	ck_assert_uint_eq(conf->max_frame, good_frames[_i].bytes);
	config_free(conf);
}
END_TEST

static const struct {
	const char	*value;
	uint64_t	 ms;
} good_graces[] = {
	{ "0", 0 },
	{ "7", 7000 },
	{ "5s", 5000 },
	{ "250ms", 250 },
	{ "0ms", 0 },
	{ "2m", 120000 },
	{ "1h", 3600000 },
	{ "\"10s\"", 10000 },
};

START_TEST(test_grace_good)
{
	struct config	*conf;

	conf = load_ok(fmt("[limits]\ngrace = %s\n", good_graces[_i].value));
	ck_assert_uint_eq(conf->grace_ms, good_graces[_i].ms);
	config_free(conf);
}
END_TEST

START_TEST(test_counts_good)
{
	struct config	*conf;

	conf = load_ok("[limits]\nmax_connections = 1\nmax_running = 1\n");
	ck_assert_uint_eq(conf->max_connections, 1);
	ck_assert_uint_eq(conf->max_running, 1);
	config_free(conf);

	conf = load_ok("[limits]\nmax_connections = 1000000\n"
	    "max_running = 1000000\n");
	ck_assert_uint_eq(conf->max_connections, 1000000);
	ck_assert_uint_eq(conf->max_running, 1000000);
	config_free(conf);
}
END_TEST

/* Queue names of 64 characters, the longest, and of 65. */
#define NAME64	"0123456789abcdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ._"
#define NAME65	NAME64 "-"

static const struct {
	const char	*value;
	uint64_t	 ms;
} good_lag_warns[] = {
	{ "1ms", 1 },
	{ "50ms", 50 },
	{ "1", 1000 },
	{ "1s", 1000 },
	{ "60s", 60000 },
	{ "60000ms", 60000 },
	{ "1m", 60000 },
	{ "\"250ms\"", 250 },
};

START_TEST(test_lag_warn_good)
{
	struct config	*conf;

	conf = load_ok(fmt("[limits]\nlag_warn = %s\n",
	    good_lag_warns[_i].value));
	ck_assert_uint_eq(conf->lag_warn_ms, good_lag_warns[_i].ms);
	config_free(conf);
}
END_TEST

START_TEST(test_retention)
{
	struct config	*conf;

	conf = load_ok(
	    "[retention]\n"
	    "max_output = 2g\n"
	    "max_age = 7d\n"
	    "max_total_output = 512m\n"
	    "max_finished = 1000\n");
	ck_assert_uint_eq(conf->max_output, 2ULL << 30);
	ck_assert_uint_eq(conf->max_age_ms, 7ULL * 86400000);
	ck_assert_uint_eq(conf->max_total_output, 512ULL << 20);
	ck_assert_uint_eq(conf->max_finished, 1000);
	config_free(conf);
	conf = load_ok("[retention]\n");
	ck_assert_uint_eq(conf->max_output, 0);
	ck_assert_uint_eq(conf->max_finished, 0);
	config_free(conf);
}
END_TEST

START_TEST(test_queues)
{
	const struct config_queue	*cq;
	struct config			*conf;

	conf = load_ok(
	    "[limits]\n"
	    "max_running = 8\n"
	    "[queue build]\n"
	    "max_running = 2\n"
	    "timeout = 1h\n"
	    "[ queue   deploy.prod-1_x ]\n"
	    "timeout = 250ms\n"
	    "[queue default]\n"
	    "max_running = 1000000\n"
	    "timeout = 2d\n"
	    "[queue\tidle]\n"
	    "[queue Build]\n"
	    "timeout = 0\n"
	    "max_running = 0\n"
	    "[limits]\n"
	    "grace = 1s\n");
	ck_assert_uint_eq(conf->max_running, 8);
	ck_assert_uint_eq(conf->grace_ms, 1000);
	ck_assert_uint_eq(conf->nqueues, 5);

	/* In file order; unset keys are 0. */
	ck_assert_str_eq(conf->queues[0].name, "build");
	ck_assert_uint_eq(conf->queues[0].max_running, 2);
	ck_assert_uint_eq(conf->queues[0].timeout_ms, 3600000);
	ck_assert_str_eq(conf->queues[1].name, "deploy.prod-1_x");
	ck_assert_uint_eq(conf->queues[1].max_running, 0);
	ck_assert_uint_eq(conf->queues[1].timeout_ms, 250);
	ck_assert_str_eq(conf->queues[2].name, "default");
	ck_assert_uint_eq(conf->queues[2].max_running, 1000000);
	ck_assert_uint_eq(conf->queues[2].timeout_ms, 2ULL * 86400000);
	ck_assert_str_eq(conf->queues[3].name, "idle");
	ck_assert_uint_eq(conf->queues[3].max_running, 0);
	ck_assert_uint_eq(conf->queues[3].timeout_ms, 0);
	ck_assert_str_eq(conf->queues[4].name, "Build");
	ck_assert_uint_eq(conf->queues[4].max_running, 0);
	ck_assert_uint_eq(conf->queues[4].timeout_ms, 0);

	/* Lookup: exact, case-sensitive. */
	ck_assert_ptr_eq(config_queue(conf, "build"), &conf->queues[0]);
	ck_assert_ptr_eq(config_queue(conf, "Build"), &conf->queues[4]);
	cq = config_queue(conf, "default");
	ck_assert_ptr_eq(cq, &conf->queues[2]);
	ck_assert_uint_eq(cq->max_running, 1000000);
	ck_assert_ptr_null(config_queue(conf, "BUILD"));
	ck_assert_ptr_null(config_queue(conf, "buil"));
	ck_assert_ptr_null(config_queue(conf, "build "));
	ck_assert_ptr_null(config_queue(conf, ""));
	ck_assert_ptr_null(config_queue(conf, NULL));
	ck_assert_ptr_null(config_queue(NULL, "build"));
	config_free(conf);

	/* A name of 64 characters, the longest; the same keys in two queues. */
	conf = load_ok("[queue " NAME64 "]\nmax_running = 1\n"
	    "[queue b]\nmax_running = 3\n");
	ck_assert_uint_eq(conf->nqueues, 2);
	ck_assert_str_eq(conf->queues[0].name, NAME64);
	ck_assert_uint_eq(conf->queues[0].max_running, 1);
	ck_assert_uint_eq(conf->queues[1].max_running, 3);
	config_free(conf);
}
END_TEST

#define TLS	"[tls]\nca = /ca\ncert = /cert\nkey = /key\n"

static const struct {
	const char	*text;
	unsigned	 line;		/* 0: the error has no line */
	const char	*msg;
} bad[] = {
	/* Structure. */
	{ "# comment\n\n[foo]\n", 3, "unknown section [foo]" },
	{ "[]\n", 1, "unknown section []" },
	{ "[Server]\n", 1, "unknown section [Server]" },
	{ "[server\n", 1, "unterminated section header '[server'" },
	{ "[server] # comment\n", 1, "text after ']' in section header" },
	{ "; comment\nstate_dir = /x\n", 2, "key outside any section" },
	{ "[server]\nfoo\n", 2, "missing '=' after 'foo'" },
	{ "[server]\n\n  foo bar  \n", 3, "missing '=' after 'foo bar'" },
	{ "[server]\n = x\n", 2, "missing key before '='" },
	{ "[server]\nbar = 1\n", 2, "unknown key 'bar' in [server]" },
	{ "[tls]\nca = /a\ncertificate = /b\n", 3,
	  "unknown key 'certificate' in [tls]" },
	{ "[limits]\nlisten = a:1\n", 2, "unknown key 'listen' in [limits]" },
	{ "[server]\nState_dir = /x\n", 2,
	  "unknown key 'State_dir' in [server]" },
	{ "[server]\nstate_dir = /a\n\nstate_dir = /b\n", 4,
	  "duplicate key 'state_dir' in [server]" },
	{ "[limits]\ngrace = 1s\n[limits]\ngrace = 2s\n", 4,
	  "duplicate key 'grace' in [limits]" },

	/* Values. */
	{ "[server]\nstate_dir =\n", 2, "empty value for 'state_dir'" },
	{ "[server]\nstate_dir = \"\"\n", 2, "empty value for 'state_dir'" },
	{ "[tls]\nkey =   \n", 2, "empty value for 'key'" },
	{ "[server]\nstate_dir = \"/x\n", 2,
	  "unterminated quote in value for 'state_dir'" },
	{ "[server]\nstate_dir = \"\n", 2,
	  "unterminated quote in value for 'state_dir'" },
	{ "[server]\nstate_dir = \"/x\" y\n", 2,
	  "text after closing quote in value for 'state_dir'" },
	{ "[server]\nsocket = \"/x\"\"\n", 2,
	  "text after closing quote in value for 'socket'" },

	/* listen. */
	{ "[server]\nlisten =\n", 2, "empty value for 'listen'" },
	{ "[server]\nlisten = x\n", 2, "bad listen address 'x': missing port" },
	{ "[server]\nlisten = host:\n", 2,
	  "bad listen address 'host:': missing port" },
	{ "[server]\nlisten = :7433\n", 2,
	  "bad listen address ':7433': missing host" },
	{ "[server]\nlisten = host:http\n", 2,
	  "bad listen address 'host:http': port must be a number" },
	{ "[server]\nlisten = host:-1\n", 2,
	  "bad listen address 'host:-1': port must be a number" },
	{ "[server]\nlisten = host:74 33\n", 2,
	  "bad listen address 'host:74 33': port must be a number" },
	{ "[server]\nlisten = host:65536\n", 2,
	  "bad listen address 'host:65536': port out of range (0-65535)" },
	{ "[server]\nlisten = host:99999999999999999999999\n", 2,
	  "bad listen address 'host:99999999999999999999999': "
	  "port out of range (0-65535)" },
	{ "[server]\nlisten = 127.0.0.1:7433 # local\n", 2,
	  "bad listen address '127.0.0.1:7433 # local': "
	  "port must be a number" },
	{ "[server]\nlisten = ::1:7433\n", 2,
	  "bad listen address '::1:7433': IPv6 address must be in brackets" },
	{ "[server]\nlisten = [::1]\n", 2,
	  "bad listen address '[::1]': expected ':' and a port after ']'" },
	{ "[server]\nlisten = [::1]7433\n", 2,
	  "bad listen address '[::1]7433': expected ':' and a port after ']'" },
	{ "[server]\nlisten = [::1]:\n", 2,
	  "bad listen address '[::1]:': missing port" },
	{ "[server]\nlisten = [::1:7433\n", 2,
	  "bad listen address '[::1:7433': missing ']'" },
	{ "[server]\nlisten = []:7433\n", 2,
	  "bad listen address '[]:7433': missing host" },
	{ "[server]\nlisten = [localhost]:7433\n", 2,
	  "bad listen address '[localhost]:7433': bad IPv6 address" },
	{ "[server]\nlisten = [%eth0]:7433\n", 2,
	  "bad listen address '[%eth0]:7433': bad IPv6 address" },
	{ "[server]\nlisten = unix:/run/x.sock\n", 2,
	  "bad listen address 'unix:/run/x.sock': port must be a number" },

	/* max_frame. */
	{ "[limits]\nmax_frame = 1023\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 0\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 67108865\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 65m\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 99999999999999999999999k\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 18014398509481984k\n", 2,
	  "max_frame must be between 1024 and 67108864" },
	{ "[limits]\nmax_frame = 4MB\n", 2,
	  "bad size '4MB' for 'max_frame' (bytes, or with a k or m suffix)" },
	{ "[limits]\nmax_frame = 4 m\n", 2,
	  "bad size '4 m' for 'max_frame' (bytes, or with a k or m suffix)" },
	{ "[limits]\nmax_frame = -1\n", 2,
	  "bad size '-1' for 'max_frame' (bytes, or with a k or m suffix)" },
	{ "[limits]\nmax_frame = k\n", 2,
	  "bad size 'k' for 'max_frame' (bytes, or with a k or m suffix)" },
	{ "[limits]\nmax_frame = 4g\n", 2,
	  "bad size '4g' for 'max_frame' (bytes, or with a k or m suffix)" },

	/* max_connections, max_running. */
	{ "[limits]\nmax_connections = 0\n", 2,
	  "max_connections must be between 1 and 1000000" },
	{ "[limits]\nmax_connections = 1000001\n", 2,
	  "max_connections must be between 1 and 1000000" },
	{ "[limits]\nmax_connections = 1k\n", 2,
	  "bad number '1k' for 'max_connections'" },
	{ "[limits]\nmax_connections = +5\n", 2,
	  "bad number '+5' for 'max_connections'" },
	{ "[limits]\nmax_running = 1000001\n", 2,
	  "max_running must be between 0 (unlimited) and 1000000" },
	{ "[limits]\nmax_running = 99999999999999999999999\n", 2,
	  "max_running must be between 0 (unlimited) and 1000000" },
	{ "[limits]\nmax_running = -1\n", 2,
	  "bad number '-1' for 'max_running'" },
	{ "[limits]\nmax_running = unlimited\n", 2,
	  "bad number 'unlimited' for 'max_running'" },

	/* grace. */
	{ "[limits]\ngrace = 5x\n", 2,
	  "bad duration '5x' for 'grace' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ngrace = s\n", 2,
	  "bad duration 's' for 'grace' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ngrace = 5 s\n", 2,
	  "bad duration '5 s' for 'grace' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ngrace = 1.5s\n", 2,
	  "bad duration '1.5s' for 'grace' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ngrace = 99999999999999999999h\n", 2,
	  "bad duration '99999999999999999999h' for 'grace' "
	  "(such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ngrace =\n", 2, "empty value for 'grace'" },

	/* lag_warn. */
	{ "[limits]\nlag_warn = 0\n", 2,
	  "lag_warn must be between 1ms and 60s" },
	{ "[limits]\nlag_warn = 0ms\n", 2,
	  "lag_warn must be between 1ms and 60s" },
	{ "[limits]\nlag_warn = 60001ms\n", 2,
	  "lag_warn must be between 1ms and 60s" },
	{ "[limits]\nlag_warn = 61\n", 2,
	  "lag_warn must be between 1ms and 60s" },
	{ "[limits]\nlag_warn = 1h\n", 2,
	  "lag_warn must be between 1ms and 60s" },
	{ "[limits]\nlag_warn = 50us\n", 2,
	  "bad duration '50us' for 'lag_warn' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\nlag_warn = -1ms\n", 2,
	  "bad duration '-1ms' for 'lag_warn' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\nlag_warn =\n", 2, "empty value for 'lag_warn'" },
	{ "[limits]\nlag_warn = 1s\nlag_warn = 2s\n", 3,
	  "duplicate key 'lag_warn' in [limits]" },
	{ "[server]\nlag_warn = 1s\n", 2,
	  "unknown key 'lag_warn' in [server]" },

	/* [queue NAME]. */
	{ "[queue build]\n[server]\n\n[queue build]\n", 4,
	  "duplicate section [queue build]" },
	{ "[queue default]\n[queue default]\n", 2,
	  "duplicate section [queue default]" },
	{ "[queue a]\n[queue b]\n[queue  a ]\n", 3,
	  "duplicate section [queue a]" },
	{ "[queue]\n", 1, "missing queue name in [queue]" },
	{ "[ queue ]\n", 1, "missing queue name in [queue]" },
	{ "[queue build x]\n", 1,
	  "bad queue name 'build x' (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "[queue bu/ild]\n", 1,
	  "bad queue name 'bu/ild' (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "[queue b\xc3\xa9]\n", 1,
	  "bad queue name 'b\xc3\xa9' (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "[queue \"build\"]\n", 1,
	  "bad queue name '\"build\"' (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "[queue " NAME65 "]\n", 1,
	  "bad queue name '" NAME65 "' (1-64 of A-Z a-z 0-9 . _ -)" },
	{ "[queues]\n", 1, "unknown section [queues]" },
	{ "[Queue build]\n", 1, "unknown section [Queue build]" },
	{ "[queue build]\nmax_connections = 1\n", 2,
	  "unknown key 'max_connections' in [queue build]" },
	{ "[queue build]\ngrace = 1s\n", 2,
	  "unknown key 'grace' in [queue build]" },
	{ "[queue build]\nmax_running = 1\n\nmax_running = 2\n", 4,
	  "duplicate key 'max_running' in [queue build]" },
	{ "[queue a]\ntimeout = 1s\n[queue b]\ntimeout = 1s\ntimeout = 2s\n",
	  5, "duplicate key 'timeout' in [queue b]" },
	{ "[queue build]\nmax_running = 1000001\n", 2,
	  "max_running must be between 0 (unlimited) and 1000000" },
	{ "[queue build]\nmax_running = -1\n", 2,
	  "bad number '-1' for 'max_running'" },
	{ "[queue build]\nmax_running =\n", 2,
	  "empty value for 'max_running'" },
	{ "[queue build]\ntimeout = 1w\n", 2,
	  "bad duration '1w' for 'timeout' (such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[queue build]\ntimeout = 99999999999999999999h\n", 2,
	  "bad duration '99999999999999999999h' for 'timeout' "
	  "(such as 5s, 250ms, 2m, 1h or 7d)" },
	{ "[limits]\ntimeout = 1s\n", 2, "unknown key 'timeout' in [limits]" },
	/* After a queue section, keys are the new section's again. */
	{ "[queue build]\n[limits]\ntimeout = 1s\n", 3,
	  "unknown key 'timeout' in [limits]" },

	/* access. */
	{ "[access]\nalice = boss\n", 2,
	  "unknown role 'boss' (admin, user or viewer)" },
	{ "[access]\nalice = Admin\n", 2,
	  "unknown role 'Admin' (admin, user or viewer)" },
	{ "[access]\nalice = none\n", 2,
	  "unknown role 'none' (admin, user or viewer)" },
	{ "[access]\nalice = user # comment\n", 2,
	  "'# comment' after role 'user': expected run_as=USER (a comment "
	  "must be on a line of its own)" },
	{ "[access]\nalice = user run-as=build\n", 2,
	  "'run-as=build' after role 'user': expected run_as=USER (a comment "
	  "must be on a line of its own)" },
	{ "[access]\nalice =\n", 2, "empty value for 'alice'" },
	{ "[access]\nCN=a = viewer\n", 2,
	  "unknown role 'a = viewer' (admin, user or viewer)" },
	{ "[access]\nalice = user\nbob = viewer\nalice = admin\n", 4,
	  "duplicate access entry 'alice'" },
	{ "[access]\nunix:bob = user\n  unix:bob=user\n", 3,
	  "duplicate access entry 'unix:bob'" },

	/* Whole-file checks: no line. */
	{ "[server]\nlisten = 127.0.0.1:7433\n", 0,
	  "[tls] ca, cert and key are required when listen is set" },
	{ "[server]\nlisten = 127.0.0.1:7433\n[tls]\nca = /ca\ncert = /c\n", 0,
	  "[tls] ca, cert and key are required when listen is set" },
	{ "[tls]\ncert = /c\nkey = /k\n[server]\nlisten = [::]:0\n", 0,
	  "[tls] ca, cert and key are required when listen is set" },

	/* A bad line after good ones, with TLS set: the line still counts. */
	{ TLS "[server]\nlisten = a:1\nlisten = b\n", 7,
	  "bad listen address 'b': missing port" },
};

START_TEST(test_bad)
{
	load_bad(bad[_i].text, bad[_i].line, bad[_i].msg);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char	 text[] = "[server]\nstate_dir = /a\0b\n";

	write_file_len("nul.conf", text, sizeof text - 1);
	{
		char		*cause = NULL;
		const char	*path = fmt("%s/nul.conf", tmpdir);

		ck_assert_ptr_null(config_load(path, &cause));
		ck_assert_str_eq(cause, fmt("%s:2: nul byte in line", path));
		free(cause);
	}
}
END_TEST

START_TEST(test_socket_too_long)
{
	char	 name[200];

	memset(name, 'x', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	load_bad(fmt("[server]\nsocket = /%s\n", name), 2,
	    "socket path too long (200 bytes, at most 107)");
	/* Just fits: 107 bytes. */
	name[106] = '\0';
	{
		struct config	*conf;

		conf = load_ok(fmt("[server]\nsocket = /%s\n", name));
		ck_assert_uint_eq(strlen(conf->socket), 107);
		config_free(conf);
	}
	/* The default one, from state_dir: 1 + 99 + 13 bytes. */
	name[99] = '\0';
	load_bad(fmt("[server]\nstate_dir = /%s\n", name), 0,
	    "default socket path too long (113 bytes, at most 107): "
	    "set [server] socket");
	{
		struct config	*conf;

		conf = load_ok(fmt("[server]\nstate_dir = /%s\nsocket = none\n",
		    name));
		ck_assert_ptr_null(conf->socket);
		config_free(conf);
	}
}
END_TEST

START_TEST(test_open_errors)
{
	const char	*path;
	char		*cause = NULL;

	path = fmt("%s/does-not-exist.conf", tmpdir);
	ck_assert_ptr_null(config_load(path, &cause));
	ck_assert_str_eq(cause, fmt("%s: No such file or directory", path));
	free(cause);
	cause = NULL;

	ck_assert_ptr_null(config_load(tmpdir, &cause));
	ck_assert_str_eq(cause, fmt("%s: Is a directory", tmpdir));
	free(cause);

	/* A NULL cause is allowed. */
	ck_assert_ptr_null(config_load(path, NULL));
	ck_assert_ptr_null(config_load(write_file("b.conf", "[x]\n"), NULL));
}
END_TEST

/* The admission keys of [limits]: their defaults, and values read. */
START_TEST(test_admission)
{
	struct config	*conf;

	conf = load_ok("[limits]\n");
	ck_assert_uint_eq(conf->max_startups_per_source, 10);
	ck_assert_uint_eq(conf->source_penalty_ms, 1000);
	ck_assert_uint_eq(conf->max_connections_per_uid, 64);
	ck_assert_uint_eq(conf->admin_reserve, 8);
	config_free(conf);
	conf = load_ok("[limits]\nmax_startups_per_source = 0\n"
	    "source_penalty = 250ms\nmax_connections_per_uid = 0\n"
	    "admin_reserve = 0\n");
	ck_assert_uint_eq(conf->max_startups_per_source, 0);
	ck_assert_uint_eq(conf->source_penalty_ms, 250);
	ck_assert_uint_eq(conf->max_connections_per_uid, 0);
	ck_assert_uint_eq(conf->admin_reserve, 0);
	config_free(conf);
}
END_TEST

START_TEST(test_roles)
{
	ck_assert_int_eq(access_role_parse("admin"), ROLE_ADMIN);
	ck_assert_int_eq(access_role_parse("user"), ROLE_USER);
	ck_assert_int_eq(access_role_parse("viewer"), ROLE_VIEWER);
	ck_assert_int_eq(access_role_parse("none"), ROLE_NONE);
	ck_assert_int_eq(access_role_parse("Admin"), ROLE_NONE);
	ck_assert_int_eq(access_role_parse("admin "), ROLE_NONE);
	ck_assert_int_eq(access_role_parse(""), ROLE_NONE);
	ck_assert_int_eq(access_role_parse(NULL), ROLE_NONE);

	ck_assert_str_eq(access_role_name(ROLE_NONE), "none");
	ck_assert_str_eq(access_role_name(ROLE_VIEWER), "viewer");
	ck_assert_str_eq(access_role_name(ROLE_USER), "user");
	ck_assert_str_eq(access_role_name(ROLE_ADMIN), "admin");
	ck_assert_str_eq(access_role_name((enum role)4), "unknown");
	ck_assert_str_eq(access_role_name((enum role)-1), "unknown");

	/* Ordered: each role includes those below it. */
	ck_assert_int_lt(ROLE_NONE, ROLE_VIEWER);
	ck_assert_int_lt(ROLE_VIEWER, ROLE_USER);
	ck_assert_int_lt(ROLE_USER, ROLE_ADMIN);

	config_free(NULL);
}
END_TEST

START_TEST(test_shipped_conf)
{
	const char	*srcdir = getenv("srcdir");
	const char	*path;
	struct config	*conf;
	char		*cause = NULL;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	path = fmt("%s/conf/runneld.conf", srcdir);
	conf = config_load(path, &cause);
	ck_assert_msg(conf != NULL, "%s", cause);
	ck_assert_uint_eq(conf->nlisten, 1);
	ck_assert_str_eq(conf->listen[0], "127.0.0.1:7433");
	ck_assert_str_eq(conf->state_dir, "/var/lib/runnel");
	ck_assert_str_eq(conf->socket, "/run/runnel/runneld.sock");
	ck_assert_str_eq(conf->tls_ca, "/var/lib/runnel/pki/ca.crt");
	ck_assert_str_eq(conf->tls_cert, "/var/lib/runnel/pki/server.crt");
	ck_assert_str_eq(conf->tls_key, "/var/lib/runnel/pki/server.key");
	ck_assert_uint_eq(conf->max_frame, 4194304);
	ck_assert_uint_eq(conf->max_connections, CONFIG_DEFAULT_MAX_CONNECTIONS);
	ck_assert_uint_eq(conf->max_running, CONFIG_DEFAULT_MAX_RUNNING);
	ck_assert_uint_eq(conf->grace_ms, CONFIG_DEFAULT_GRACE_MS);
	ck_assert_uint_eq(conf->lag_warn_ms, CONFIG_DEFAULT_LAG_WARN_MS);
	ck_assert_uint_eq(conf->naccess, 0);
	ck_assert_uint_eq(conf->nqueues, 0);
	config_free(conf);
}
END_TEST

/* All the configuration tests. */
static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_access_colons);
	tcase_add_test(tc, test_access_unix_uids);
	tcase_add_test(tc, test_access_unix_uids);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_crlf_bom);
	tcase_add_test(tc, test_repeated_section);
	tcase_add_test(tc, test_state_dir_socket);
	tcase_add_test(tc, test_socket_disabled);
	tcase_add_test(tc, test_relative_config_path);
	tcase_add_loop_test(tc, test_max_frame_good, 0, nitems(good_frames));
	tcase_add_loop_test(tc, test_grace_good, 0, nitems(good_graces));
	tcase_add_test(tc, test_counts_good);
	tcase_add_loop_test(tc, test_lag_warn_good, 0, nitems(good_lag_warns));
	tcase_add_test(tc, test_queues);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_shipped_conf);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_admission);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_bad, 0, nitems(bad));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_socket_too_long);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(config_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
