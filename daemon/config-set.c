/*
 * config-set.c - the keys runneld's configuration file may set, in one
 * table (config_keys[]), and the setters that parse and check each kind of
 * value: paths, sizes, counts, durations, addresses, choices.  config.c
 * reads the file and calls a key's setter; [access] lines go on to
 * access.c.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "common.h"
#include "daemon/config.h"
#include "daemon/config-int.h"

#define CONFIG_MIN_MAX_FRAME		1024U
#define CONFIG_MAX_MAX_FRAME		(64U * 1024 * 1024)
#define CONFIG_MAX_COUNT		1000000U
#define CONFIG_MIN_MAX_ARGV		4096U
#define CONFIG_MAX_MAX_ARGV		(16U * 1024 * 1024)
#define CONFIG_MIN_HELLO_TIMEOUT_MS	100U
#define CONFIG_MAX_HELLO_TIMEOUT_MS	600000U
#define CONFIG_MAX_SOURCE_PENALTY_MS	60000U
#define CONFIG_MIN_LAG_WARN_MS		1U
#define CONFIG_MAX_LAG_WARN_MS		60000U

/* The field a key sets, in the configuration or the current queue. */
static void *
config_field(struct config_parse *cp, const struct config_key *ck)
{
	return (char *)cp->base + ck->field;
}

/* Read a decimal number, no sign or spaces, saturating at UINT64_MAX; set
 * *end after it.  -1 if S does not start with a digit. */
static int
config_number(const char *s, const char **end, uint64_t *out)
{
	uint64_t	 n = 0;
	unsigned	 d;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*end = s;
	*out = n;
	return 0;
}

/* Multiply, saturating at UINT64_MAX. */
static uint64_t
config_multiply(uint64_t n, uint64_t by)
{
	if (by != 0 && n > UINT64_MAX / by)
		return UINT64_MAX;
	return n * by;
}

/* Check a "host:port" or "[v6]:port" address; NULL if good, else why. */
static const char *
config_check_listen(const char *s)
{
	char		 addr[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	const char	*port, *end, *p;
	size_t		 len;
	unsigned long	 n;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return "missing ']'";
		if (end == s + 1)
			return "missing host";
		if (end[1] != ':')
			return "expected ':' and a port after ']'";
		len = (size_t)(end - (s + 1));
		if ((p = memchr(s + 1, '%', len)) != NULL)
			len = (size_t)(p - (s + 1));	/* scope, as in fe80::1%eth0 */
		if (len == 0 || len >= sizeof addr)
			return "bad IPv6 address";
		memcpy(addr, s + 1, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1)
			return "bad IPv6 address";
		port = end + 2;
	} else {
		if ((port = strrchr(s, ':')) == NULL)
			return "missing port";
		if (port == s)
			return "missing host";
		if (memchr(s, ':', (size_t)(port - s)) != NULL)
			return "IPv6 address must be in brackets";
		port++;
	}

	if (*port == '\0')
		return "missing port";
	n = 0;
	for (p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return "port must be a number";
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 65535)
			return "port out of range (0-65535)";
	}
	return NULL;
}

/* [server] listen: one more TLS address. */
static int
config_set_listen(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	struct config	 *conf = cp->conf;
	const char	 *why;
	char		**addrs, *copy;
	size_t		  i;

	(void)ck;
	(void)key;
	(void)quoted;

	if ((why = config_check_listen(value)) != NULL)
		return config_error(cp, "bad listen address '%s': %s", value,
		    why);
	/* The same address twice could only fail at bind, with no line. */
	for (i = 0; i < conf->nlisten; i++) {
		if (strcmp(conf->listen[i], value) == 0 &&
		    strcmp(strrchr(value, ':'), ":0") != 0)
			return config_error(cp, "listen address '%s' is "
			    "given twice", value);
	}
	if ((copy = strdup(value)) == NULL)
		return config_oom(cp);
	addrs = realloc(conf->listen, (conf->nlisten + 1) * sizeof *addrs);
	if (addrs == NULL) {
		free(copy);
		return config_oom(cp);
	}
	addrs[conf->nlisten++] = copy;
	conf->listen = addrs;
	return 0;
}

/* [server] socket: a path, or empty or "none" for no unix socket. */
static int
config_set_socket(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	struct config	*conf = cp->conf;
	char		*path = NULL;
	size_t		 len;

	(void)ck;
	(void)key;

	/* A quoted "none" is a file called none. */
	if (*value != '\0' && (quoted || strcmp(value, "none") != 0)) {
		if ((path = config_resolve(cp, value)) == NULL)
			return config_oom(cp);
		if ((len = strlen(path)) >= CONFIG_SUN_PATH_MAX) {
			free(path);
			return config_error(cp, "socket path too long (%zu "
			    "bytes, at most %zu)", len,
			    CONFIG_SUN_PATH_MAX - 1);
		}
	}
	free(conf->socket);
	conf->socket = path;
	cp->socket_set = 1;
	return 0;
}

/* Remember the line of a [tls] file key, for errors about its file. */
static void
config_tls_line(struct config_parse *cp, const struct config_key *ck)
{
	struct config	*conf = cp->conf;

	if (ck->field == offsetof(struct config, tls_ca))
		conf->tls_ca_line = cp->line;
	else if (ck->field == offsetof(struct config, tls_cert))
		conf->tls_cert_line = cp->line;
	else if (ck->field == offsetof(struct config, tls_key))
		conf->tls_key_line = cp->line;
	else if (ck->field == offsetof(struct config, tls_crl))
		conf->tls_crl_line = cp->line;
}

/* A path (state_dir, ca, cert, key, crl), resolved against the file's
 * directory. */
static int
config_set_path(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	char	**field = config_field(cp, ck);
	char	 *path;

	(void)key;
	(void)quoted;

	if ((path = config_resolve(cp, value)) == NULL)
		return config_oom(cp);
	free(*field);
	*field = path;
	if (strcmp(ck->section, "tls") == 0)
		config_tls_line(cp, ck);
	return 0;
}

/* A size in bytes, with an optional k or m suffix (max_frame). */
static int
config_set_size(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	const char	*end;
	uint64_t	 n;

	(void)quoted;

	if (config_number(value, &end, &n) != 0)
		goto bad;
	if (*end == 'k' || *end == 'K') {
		n = config_multiply(n, 1024);
		end++;
	} else if (*end == 'm' || *end == 'M') {
		n = config_multiply(n, 1024 * 1024);
		end++;
	} else if ((*end == 'g' || *end == 'G') && (ck->flags & CONFIG_WIDE)) {
		n = config_multiply(n, 1024 * 1024 * 1024);
		end++;
	}
	if (*end != '\0')
		goto bad;
	if (n < ck->min || n > ck->max)
		return config_error(cp, "%s must be between %llu and %llu", key,
		    (unsigned long long)ck->min, (unsigned long long)ck->max);
	if (ck->flags & CONFIG_WIDE)
		*(uint64_t *)config_field(cp, ck) = n;
	else
		*(uint32_t *)config_field(cp, ck) = (uint32_t)n;
	return 0;

bad:
	return config_error(cp, "bad size '%s' for '%s' (bytes, or with a %s "
	    "suffix)", value, key, ck->flags & CONFIG_WIDE ? "k, m or g" :
	    "k or m");
}

/* A count (max_connections, max_running). */
static int
config_set_count(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	const char	*end;
	uint64_t	 n;

	(void)quoted;

	if (config_number(value, &end, &n) != 0 || *end != '\0')
		return config_error(cp, "bad number '%s' for '%s'", value,
		    key);
	if (n < ck->min || n > ck->max)
		return config_error(cp, "%s must be between %llu%s and %llu",
		    key, (unsigned long long)ck->min,
		    ck->min == 0 ? " (unlimited)" : "",
		    (unsigned long long)ck->max);
	*(unsigned *)config_field(cp, ck) = (unsigned)n;
	return 0;
}

/* Write a duration as whole days, whole seconds or milliseconds. */
static const char *
config_ms(char *buf, size_t len, uint64_t ms)
{
	if (ms == 0)
		snprintf(buf, len, "0");
	else if (ms % 86400000 == 0)
		snprintf(buf, len, "%llud", (unsigned long long)(ms / 86400000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
	return buf;
}

/* A duration (grace, lag_warn, timeout): ms, s, m or h suffix, a bare
 * number is seconds.  Checked against min and max unless max is 0. */
static int
config_set_duration(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	static const struct {
		const char	*suffix;
		uint64_t	 ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 }, { "d", 24 * 60 * 60 * 1000 },
	};
	const char	*end;
	char		 lo[32], hi[32];
	uint64_t	 n;
	size_t		 i;

	(void)quoted;

	if (config_number(value, &end, &n) != 0)
		goto bad;
	for (i = 0; i < config_nitems(units); i++) {
		if (strcmp(end, units[i].suffix) == 0)
			break;
	}
	if (i == config_nitems(units))
		goto bad;
	n = config_multiply(n, units[i].ms);
	if (n == UINT64_MAX)
		goto bad;
	if (ck->max != 0 && (n < ck->min || n > ck->max))
		return config_error(cp, "%s must be between %s and %s", key,
		    config_ms(lo, sizeof lo, ck->min),
		    config_ms(hi, sizeof hi, ck->max));
	*(uint64_t *)config_field(cp, ck) = n;
	return 0;

bad:
	return config_error(cp, "bad duration '%s' for '%s' (such as 5s, "
	    "250ms, 2m, 1h or 7d)", value, key);
}

/* [access] NAME = ROLE [run_as=USER]: an entry of the access map. */
static int
config_set_access(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	char	*msg;

	(void)ck;
	(void)quoted;
	if (access_add(cp->conf, cp->file, cp->line, key, value, &msg) == 0)
		return 0;
	if (msg == NULL)
		return config_oom(cp);
	config_error(cp, "%s", msg);
	free(msg);
	return -1;
}

/* [limits] max_startups = START:RATE:FULL (or just FULL). */
static int
config_set_startups(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	struct config_startups	*ms = config_field(cp, ck);
	uint64_t		 v[3];
	const char		*p = value, *end;
	int			 n = 0;

	(void)quoted;

	for (;;) {
		if (n == 3 || config_number(p, &end, &v[n]) != 0)
			goto bad;
		n++;
		if (*end == '\0')
			break;
		if (*end != ':')
			goto bad;
		p = end + 1;
	}
	if (n == 2)
		goto bad;
	if (n == 1) {
		v[2] = v[0];
		v[1] = 100;
	}
	if (v[0] < 1 || v[2] > CONFIG_MAX_COUNT || v[1] > 100 || v[0] > v[2])
		return config_error(cp, "%s: need 1 <= START <= FULL <= %u "
		    "and RATE <= 100", key, CONFIG_MAX_COUNT);
	ms->start = (unsigned)v[0];
	ms->rate = (unsigned)v[1];
	ms->full = (unsigned)v[2];
	return 0;

bad:
	return config_error(cp, "bad value '%s' for '%s' (START:RATE:FULL, "
	    "such as 10:30:100)", value, key);
}

/* A yes or no (run_as_root). */
static int
config_set_bool(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	int	*field = config_field(cp, ck);

	(void)quoted;

	if (strcmp(value, "yes") == 0)
		*field = 1;
	else if (strcmp(value, "no") == 0)
		*field = 0;
	else
		return config_error(cp, "bad value '%s' for '%s' (yes or no)",
		    value, key);
	return 0;
}

/* [server] on_shutdown names. */
static const char *config_on_shutdown_names[] = {
	[CONFIG_ON_SHUTDOWN_CANCEL] = "cancel",
	[CONFIG_ON_SHUTDOWN_WAIT] = "wait",
};

/* [server] log_level names, by syslog priority. */
static const char *config_log_level_names[] = {
	[LOG_ERR] = "error",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

/* [server] log names. */
static const char *config_log_names[] = {
	[LOG_TO_AUTO] = "auto",
	[LOG_TO_JOURNAL] = "journal",
	[LOG_TO_SYSLOG] = "syslog",
	[LOG_TO_STDERR] = "stderr",
};

/* Find VALUE among n names (NULL entries skipped); its index, or -1 with
 * an error listing the choices. */
static int
config_choice(struct config_parse *cp, const char *key, const char *value,
    const char *const *names, size_t n)
{
	char	 list[128] = "";
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], value) == 0)
			return (int)i;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if (*list != '\0')
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, names[i], sizeof list - strlen(list) - 1);
	}
	return config_error(cp, "bad value '%s' for '%s' (%s)", value, key,
	    list);
}

/* [server] on_shutdown = cancel | wait. */
static int
config_set_on_shutdown(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	int	i;

	(void)ck;
	(void)quoted;
	if ((i = config_choice(cp, key, value, config_on_shutdown_names,
	    config_nitems(config_on_shutdown_names))) == -1)
		return -1;
	cp->conf->on_shutdown = (enum config_on_shutdown)i;
	return 0;
}

/* [server] log = auto | journal | syslog | stderr. */
static int
config_set_log(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	int	i;

	(void)ck;
	(void)quoted;
	if ((i = config_choice(cp, key, value, config_log_names,
	    config_nitems(config_log_names))) == -1)
		return -1;
	cp->conf->log = (enum log_target)i;
	return 0;
}

/* [server] log_level = error | warning | notice | info | debug. */
static int
config_set_log_level(struct config_parse *cp, const struct config_key *ck,
    const char *key, const char *value, int quoted)
{
	int	i;

	(void)ck;
	(void)quoted;
	if ((i = config_choice(cp, key, value, config_log_level_names,
	    config_nitems(config_log_level_names))) == -1)
		return -1;
	cp->conf->log_level = i;
	cp->conf->log_level_set = 1;
	return 0;
}

/* The name of an on_shutdown policy. */
const char *
config_on_shutdown_name(enum config_on_shutdown v)
{
	return config_on_shutdown_names[v];
}

/* The name of a log level (a syslog priority). */
const char *
config_log_level_name(int level)
{
	if (level < 0 || (size_t)level >= config_nitems(config_log_level_names) ||
	    config_log_level_names[level] == NULL)
		return "unknown";
	return config_log_level_names[level];
}

/* Every key, by section: [access] takes any NAME; "queue" is [queue NAME]. */
const struct config_key config_keys[] = {
	{ .section = "server", .name = "listen", .flags = CONFIG_REPEAT,
	  .set = config_set_listen },
	{ .section = "server", .name = "socket", .flags = CONFIG_EMPTY,
	  .set = config_set_socket },
	{ .section = "server", .name = "state_dir", .set = config_set_path,
	  .field = offsetof(struct config, state_dir) },
	{ .section = "tls", .name = "ca", .set = config_set_path,
	  .field = offsetof(struct config, tls_ca) },
	{ .section = "tls", .name = "cert", .set = config_set_path,
	  .field = offsetof(struct config, tls_cert) },
	{ .section = "tls", .name = "key", .set = config_set_path,
	  .field = offsetof(struct config, tls_key) },
	{ .section = "limits", .name = "max_frame", .set = config_set_size,
	  .field = offsetof(struct config, max_frame),
	  .min = CONFIG_MIN_MAX_FRAME, .max = CONFIG_MAX_MAX_FRAME },
	{ .section = "limits", .name = "max_connections",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_connections),
	  .min = 1, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "max_running", .set = config_set_count,
	  .field = offsetof(struct config, max_running),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	/* As a CancelRequest's grace_ms, and the ten years of any other. */
	{ .section = "limits", .name = "grace", .set = config_set_duration,
	  .field = offsetof(struct config, grace_ms),
	  .min = 0, .max = UINT32_MAX },
	{ .section = "limits", .name = "idle_timeout",
	  .set = config_set_duration,
	  .field = offsetof(struct config, idle_timeout_ms),
	  .min = 0, .max = DURATION_MAX_MS },
	{ .section = "limits", .name = "max_identity_connections",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_identity_connections),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "lag_warn", .set = config_set_duration,
	  .field = offsetof(struct config, lag_warn_ms),
	  .min = CONFIG_MIN_LAG_WARN_MS, .max = CONFIG_MAX_LAG_WARN_MS },
	{ .section = "limits", .name = "max_inflight", .set = config_set_count,
	  .field = offsetof(struct config, max_inflight),
	  .min = 1, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "max_queued_per_identity",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_queued_per_identity),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "max_startups",
	  .set = config_set_startups,
	  .field = offsetof(struct config, max_startups) },
	{ .section = "limits", .name = "max_argv", .set = config_set_size,
	  .field = offsetof(struct config, max_argv),
	  .min = CONFIG_MIN_MAX_ARGV, .max = CONFIG_MAX_MAX_ARGV },
	{ .section = "limits", .name = "hello_timeout",
	  .set = config_set_duration,
	  .field = offsetof(struct config, hello_timeout_ms),
	  .min = CONFIG_MIN_HELLO_TIMEOUT_MS,
	  .max = CONFIG_MAX_HELLO_TIMEOUT_MS },
	{ .section = "limits", .name = "max_startups_per_source",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_startups_per_source),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "source_penalty",
	  .set = config_set_duration,
	  .field = offsetof(struct config, source_penalty_ms),
	  .min = 0, .max = CONFIG_MAX_SOURCE_PENALTY_MS },
	{ .section = "limits", .name = "max_connections_per_uid",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_connections_per_uid),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "limits", .name = "admin_reserve",
	  .set = config_set_count,
	  .field = offsetof(struct config, admin_reserve),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "server", .name = "run_as_root", .set = config_set_bool,
	  .field = offsetof(struct config, run_as_root) },
	{ .section = "queue", .name = "max_running", .set = config_set_count,
	  .field = offsetof(struct config_queue, max_running),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "queue", .name = "timeout", .set = config_set_duration,
	  .field = offsetof(struct config_queue, timeout_ms),
	  .min = 0, .max = DURATION_MAX_MS },
	{ .section = "access", .name = NULL, .flags = CONFIG_REPEAT,
	  .set = config_set_access },
	{ .section = "retention", .name = "max_output", .flags = CONFIG_WIDE,
	  .set = config_set_size, .field = offsetof(struct config, max_output),
	  .min = 0, .max = 1ULL << 50 },
	{ .section = "retention", .name = "max_age",
	  .set = config_set_duration,
	  .field = offsetof(struct config, max_age_ms),
	  .min = 0, .max = DURATION_MAX_MS },
	{ .section = "retention", .name = "max_total_output",
	  .flags = CONFIG_WIDE, .set = config_set_size,
	  .field = offsetof(struct config, max_total_output),
	  .min = 0, .max = 1ULL << 50 },
	{ .section = "retention", .name = "max_finished",
	  .set = config_set_count,
	  .field = offsetof(struct config, max_finished),
	  .min = 0, .max = CONFIG_MAX_COUNT },
	{ .section = "server", .name = "on_shutdown",
	  .set = config_set_on_shutdown },
	{ .section = "server", .name = "pid_file", .set = config_set_path,
	  .field = offsetof(struct config, pid_file) },
	{ .section = "server", .name = "log", .set = config_set_log },
	{ .section = "server", .name = "log_level",
	  .set = config_set_log_level },
	{ .section = "tls", .name = "crl", .set = config_set_path,
	  .field = offsetof(struct config, tls_crl) },
};

const size_t config_nkeys = config_nitems(config_keys);

/* config_parse.seen has one bit per key. */
_Static_assert(config_nitems(config_keys) <= 64, "too many keys for seen");
