/*
 * config.c - read runneld's configuration file, once, at start-up.
 *
 * The format is a small INI dialect: "[section]" lines, "key = value" lines,
 * blank lines and full-line comments starting with '#' or ';'.  Keys and
 * values are trimmed of white space; a value wrapped in double quotes is
 * taken literally (no escapes).  A line is split at its first '=' only.
 *
 * This is our own reader rather than inih: inih also treats ':' as a
 * key/value separator, which breaks access keys such as "unix:alice = admin"
 * and certificate CNs containing ':', and it does not report which key was
 * wrong.  The file is read once before the loop starts, so plain stdio will
 * do.  Every error names the file and line, for the operator to fix.
 *
 * Relative paths are resolved against the directory of the configuration
 * file, so a self-contained configuration can say "state_dir = state".
 *
 * "[queue NAME]" sections, one per queue, set that queue's keys: their
 * config_key.field is in a struct config_queue rather than struct config.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#include "daemon/config.h"

#define CONFIG_DEFAULT_MAX_FRAME	(4U * 1024 * 1024)
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
#define CONFIG_QUEUE_NAME_CHARS		\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define CONFIG_SOCKET_NAME		"runneld.sock"
#define CONFIG_SUN_PATH_MAX		(sizeof ((struct sockaddr_un *)0)->sun_path)

#define config_nitems(a)		(sizeof (a) / sizeof (a)[0])

/* What config_load carries from line to line. */
struct config_parse {
	struct config	*conf;
	const char	*file;
	unsigned long	 line;		/* 0: not about one line */
	char		*dir;		/* absolute directory of the file */
	const char	*section;	/* NULL before the first header */
	char		 title[sizeof "queue " + CONFIG_QUEUE_NAME_MAX];
	void		*base;		/* struct config or config_queue */
	uint64_t	 seen;		/* bit i: config_keys[i] was given */
	int		 socket_set;	/* socket given, maybe as "none" */
	char		*cause;
};

struct config_key;
typedef int (*config_key_cb)(struct config_parse *, const struct config_key *,
    const char *, const char *, int);

struct config_key {
	const char	*section;
	const char	*name;		/* NULL: any key (in [access]) */
	int		 flags;
#define CONFIG_REPEAT	0x1		/* may be given more than once */
#define CONFIG_EMPTY	0x2		/* may be empty */
#define CONFIG_WIDE	0x4		/* a size in a uint64_t */
	config_key_cb	 set;
	size_t		 field;		/* offset in config_parse.base */
	uint64_t	 min;
	uint64_t	 max;
};

/* Format into a newly allocated string; NULL if out of memory. */
static char * __attribute__((format(printf, 1, 0)))
config_vprintf(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return (NULL);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return (s);
}

/* Format into a newly allocated string; NULL if out of memory. */
static char * __attribute__((format(printf, 1, 2)))
config_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = config_vprintf(fmt, ap);
	va_end(ap);
	return (s);
}

/* The field a key sets, in the configuration or the current queue. */
static void *
config_field(struct config_parse *cp, const struct config_key *ck)
{
	return ((char *)cp->base + ck->field);
}

/* Record running out of memory as the cause; returns -1. */
static int
config_oom(struct config_parse *cp)
{
	free(cp->cause);
	cp->cause = strdup("out of memory");
	return (-1);
}

/* Record an error as "FILE:LINE: message" (or "FILE: message" when it is
 * not about one line); returns -1. */
static int __attribute__((format(printf, 2, 3)))
config_error(struct config_parse *cp, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = config_vprintf(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return (config_oom(cp));

	free(cp->cause);
	if (cp->line != 0)
		cp->cause = config_printf("%s:%lu: %s", cp->file, cp->line, msg);
	else
		cp->cause = config_printf("%s: %s", cp->file, msg);
	free(msg);
	if (cp->cause == NULL)
		return (config_oom(cp));
	return (-1);
}

/* Strip white space from both ends of S, in place. */
static char *
config_trim(char *s)
{
	char	*end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return (s);
}

/* Join a directory and a name with one '/'; allocated or NULL. */
static char *
config_join(const char *dir, const char *name)
{
	size_t	 len = strlen(dir);

	if (len != 0 && dir[len - 1] == '/')
		return (config_printf("%s%s", dir, name));
	return (config_printf("%s/%s", dir, name));
}

/* Work out the absolute directory of the configuration file. */
static int
config_dir(struct config_parse *cp)
{
	const char	*slash, *rel;
	char		*dir = NULL, *cwd = NULL;

	slash = strrchr(cp->file, '/');
	if (slash == cp->file)
		dir = strdup("/");
	else if (slash != NULL)
		dir = strndup(cp->file, (size_t)(slash - cp->file));
	else
		dir = strdup(".");
	if (dir == NULL)
		goto oom;
	if (*dir == '/') {
		cp->dir = dir;
		return (0);
	}

	/* The daemon may change directory later: anchor it now. */
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		config_error(cp, "current directory: %s", strerror(errno));
		goto fail;
	}
	rel = dir;
	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
		while (*rel == '/')
			rel++;
	}
	if (*rel == '\0' || strcmp(rel, ".") == 0) {
		cp->dir = cwd;
		cwd = NULL;
	} else if ((cp->dir = config_join(cwd, rel)) == NULL)
		goto oom;
	free(cwd);
	free(dir);
	return (0);

oom:
	config_oom(cp);
fail:
	free(cwd);
	free(dir);
	return (-1);
}

/* Resolve PATH against the configuration file's directory; allocated. */
static char *
config_resolve(struct config_parse *cp, const char *path)
{
	if (*path == '/')
		return (strdup(path));
	return (config_join(cp->dir, path));
}

/* Read a decimal number, no sign or spaces, saturating at UINT64_MAX; set
 * *end after it.  -1 if S does not start with a digit. */
static int
config_number(const char *s, const char **end, uint64_t *out)
{
	uint64_t	 n = 0;
	unsigned	 d;

	if (!isdigit((unsigned char)*s))
		return (-1);
	for (; isdigit((unsigned char)*s); s++) {
		d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*end = s;
	*out = n;
	return (0);
}

/* Multiply, saturating at UINT64_MAX. */
static uint64_t
config_multiply(uint64_t n, uint64_t by)
{
	if (by != 0 && n > UINT64_MAX / by)
		return (UINT64_MAX);
	return (n * by);
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
			return ("missing ']'");
		if (end == s + 1)
			return ("missing host");
		if (end[1] != ':')
			return ("expected ':' and a port after ']'");
		len = (size_t)(end - (s + 1));
		if ((p = memchr(s + 1, '%', len)) != NULL)
			len = (size_t)(p - (s + 1));	/* scope, as in fe80::1%eth0 */
		if (len == 0 || len >= sizeof addr)
			return ("bad IPv6 address");
		memcpy(addr, s + 1, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1)
			return ("bad IPv6 address");
		port = end + 2;
	} else {
		if ((port = strrchr(s, ':')) == NULL)
			return ("missing port");
		if (port == s)
			return ("missing host");
		if (memchr(s, ':', (size_t)(port - s)) != NULL)
			return ("IPv6 address must be in brackets");
		port++;
	}

	if (*port == '\0')
		return ("missing port");
	n = 0;
	for (p = port; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return ("port must be a number");
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 65535)
			return ("port out of range (0-65535)");
	}
	return (NULL);
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
		return (config_error(cp, "bad listen address '%s': %s", value,
		    why));
	/* The same address twice could only fail at bind, with no line. */
	for (i = 0; i < conf->nlisten; i++) {
		if (strcmp(conf->listen[i], value) == 0 &&
		    strcmp(strrchr(value, ':'), ":0") != 0)
			return (config_error(cp, "listen address '%s' is "
			    "given twice", value));
	}
	if ((copy = strdup(value)) == NULL)
		return (config_oom(cp));
	addrs = realloc(conf->listen, (conf->nlisten + 1) * sizeof *addrs);
	if (addrs == NULL) {
		free(copy);
		return (config_oom(cp));
	}
	addrs[conf->nlisten++] = copy;
	conf->listen = addrs;
	return (0);
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
			return (config_oom(cp));
		if ((len = strlen(path)) >= CONFIG_SUN_PATH_MAX) {
			free(path);
			return (config_error(cp, "socket path too long (%zu "
			    "bytes, at most %zu)", len,
			    CONFIG_SUN_PATH_MAX - 1));
		}
	}
	free(conf->socket);
	conf->socket = path;
	cp->socket_set = 1;
	return (0);
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
		return (config_oom(cp));
	free(*field);
	*field = path;
	if (strcmp(ck->section, "tls") == 0)
		config_tls_line(cp, ck);
	return (0);
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
		return (config_error(cp, "%s must be between %llu and %llu", key,
		    (unsigned long long)ck->min, (unsigned long long)ck->max));
	if (ck->flags & CONFIG_WIDE)
		*(uint64_t *)config_field(cp, ck) = n;
	else
		*(uint32_t *)config_field(cp, ck) = (uint32_t)n;
	return (0);

bad:
	return (config_error(cp, "bad size '%s' for '%s' (bytes, or with a %s "
	    "suffix)", value, key, ck->flags & CONFIG_WIDE ? "k, m or g" :
	    "k or m"));
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
		return (config_error(cp, "bad number '%s' for '%s'", value,
		    key));
	if (n < ck->min || n > ck->max)
		return (config_error(cp, "%s must be between %llu%s and %llu",
		    key, (unsigned long long)ck->min,
		    ck->min == 0 ? " (unlimited)" : "",
		    (unsigned long long)ck->max));
	*(unsigned *)config_field(cp, ck) = (unsigned)n;
	return (0);
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
	return (buf);
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
		return (config_error(cp, "%s must be between %s and %s", key,
		    config_ms(lo, sizeof lo, ck->min),
		    config_ms(hi, sizeof hi, ck->max)));
	*(uint64_t *)config_field(cp, ck) = n;
	return (0);

bad:
	return (config_error(cp, "bad duration '%s' for '%s' (such as 5s, "
	    "250ms, 2m, 1h or 7d)", value, key));
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
		return (0);
	if (msg == NULL)
		return (config_oom(cp));
	config_error(cp, "%s", msg);
	free(msg);
	return (-1);
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
		return (config_error(cp, "%s: need 1 <= START <= FULL <= %u "
		    "and RATE <= 100", key, CONFIG_MAX_COUNT));
	ms->start = (unsigned)v[0];
	ms->rate = (unsigned)v[1];
	ms->full = (unsigned)v[2];
	return (0);

bad:
	return (config_error(cp, "bad value '%s' for '%s' (START:RATE:FULL, "
	    "such as 10:30:100)", value, key));
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
		return (config_error(cp, "bad value '%s' for '%s' (yes or no)",
		    value, key));
	return (0);
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
			return ((int)i);
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			continue;
		if (*list != '\0')
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, names[i], sizeof list - strlen(list) - 1);
	}
	return (config_error(cp, "bad value '%s' for '%s' (%s)", value, key,
	    list));
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
		return (-1);
	cp->conf->on_shutdown = (enum config_on_shutdown)i;
	return (0);
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
		return (-1);
	cp->conf->log = (enum log_target)i;
	return (0);
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
		return (-1);
	cp->conf->log_level = i;
	cp->conf->log_level_set = 1;
	return (0);
}

/* The name of an on_shutdown policy. */
const char *
config_on_shutdown_name(enum config_on_shutdown v)
{
	return (config_on_shutdown_names[v]);
}

/* The name of a log level (a syslog priority). */
const char *
config_log_level_name(int level)
{
	if (level < 0 || (size_t)level >= config_nitems(config_log_level_names) ||
	    config_log_level_names[level] == NULL)
		return ("unknown");
	return (config_log_level_names[level]);
}

/* Every key, by section: [access] takes any NAME; "queue" is [queue NAME]. */
static const struct config_key config_keys[] = {
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

/* config_parse.seen has one bit per key. */
_Static_assert(config_nitems(config_keys) <= 64, "too many keys for seen");

/* A "[queue NAME]" header: add the queue, whose keys follow. */
static int
config_section_queue(struct config_parse *cp, const char *name)
{
	struct config		*conf = cp->conf;
	struct config_queue	*queues, *cq;
	size_t			 i, len = strlen(name);
	char			*copy;

	if (len == 0)
		return (config_error(cp, "missing queue name in [queue]"));
	if (len > CONFIG_QUEUE_NAME_MAX ||
	    strspn(name, CONFIG_QUEUE_NAME_CHARS) != len)
		return (config_error(cp, "bad queue name '%s' (1-%d of A-Z a-z "
		    "0-9 . _ -)", name, CONFIG_QUEUE_NAME_MAX));
	if (config_queue(conf, name) != NULL)
		return (config_error(cp, "duplicate section [queue %s]", name));

	if ((copy = strdup(name)) == NULL)
		return (config_oom(cp));
	queues = realloc(conf->queues, (conf->nqueues + 1) * sizeof *queues);
	if (queues == NULL) {
		free(copy);
		return (config_oom(cp));
	}
	conf->queues = queues;
	cq = &queues[conf->nqueues++];
	*cq = (struct config_queue){ .name = copy };

	/* A new queue: none of its keys has been given yet. */
	for (i = 0; i < config_nitems(config_keys); i++) {
		if (strcmp(config_keys[i].section, "queue") == 0)
			cp->seen &= ~((uint64_t)1 << i);
	}
	cp->section = "queue";
	cp->base = cq;
	snprintf(cp->title, sizeof cp->title, "queue %s", name);
	return (0);
}

/* A "[section]" line. */
static int
config_section(struct config_parse *cp, char *line)
{
	char	*end, *name;
	size_t	 i;

	if ((end = strchr(line, ']')) == NULL)
		return (config_error(cp, "unterminated section header '%s'",
		    line));
	if (end[1] != '\0')
		return (config_error(cp, "text after ']' in section header"));
	*end = '\0';
	name = config_trim(line + 1);
	if (strncmp(name, "queue", 5) == 0 &&
	    (name[5] == '\0' || isspace((unsigned char)name[5])))
		return (config_section_queue(cp, config_trim(name + 5)));
	for (i = 0; i < config_nitems(config_keys); i++) {
		if (strcmp(config_keys[i].section, name) == 0) {
			cp->section = config_keys[i].section;
			cp->base = cp->conf;
			snprintf(cp->title, sizeof cp->title, "%s", name);
			return (0);
		}
	}
	return (config_error(cp, "unknown section [%s]", name));
}

/* A "key = value" line, already split and trimmed. */
static int
config_value(struct config_parse *cp, const char *key, char *value)
{
	const struct config_key	*ck = NULL;
	size_t			 i;
	char			*end;
	int			 quoted = 0;

	for (i = 0; i < config_nitems(config_keys); i++) {
		ck = &config_keys[i];
		if (strcmp(ck->section, cp->section) != 0)
			continue;
		if (ck->name == NULL || strcmp(ck->name, key) == 0)
			break;
	}
	if (i == config_nitems(config_keys))
		return (config_error(cp, "unknown key '%s' in [%s]", key,
		    cp->title));
	if ((cp->seen & ((uint64_t)1 << i)) && !(ck->flags & CONFIG_REPEAT))
		return (config_error(cp, "duplicate key '%s' in [%s]", key,
		    cp->title));

	if (*value == '"') {
		if ((end = strchr(value + 1, '"')) == NULL)
			return (config_error(cp, "unterminated quote in value "
			    "for '%s'", key));
		if (end[1] != '\0')
			return (config_error(cp, "text after closing quote in "
			    "value for '%s'", key));
		*end = '\0';
		value++;
		quoted = 1;
	}
	if (*value == '\0' && !(ck->flags & CONFIG_EMPTY))
		return (config_error(cp, "empty value for '%s'", key));

	if (ck->set(cp, ck, key, value, quoted) != 0)
		return (-1);
	cp->seen |= (uint64_t)1 << i;
	return (0);
}

/* Parse one line of the file (LEN bytes, with its newline if any). */
static int
config_line(struct config_parse *cp, char *line, size_t len)
{
	char	*eq, *key;

	if (strlen(line) != len)
		return (config_error(cp, "nul byte in line"));
	if (cp->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;	/* UTF-8 byte order mark */
	line = config_trim(line);

	if (*line == '\0' || *line == '#' || *line == ';')
		return (0);
	if (*line == '[')
		return (config_section(cp, line));

	if ((eq = strchr(line, '=')) == NULL)
		return (config_error(cp, "missing '=' after '%s'", line));
	*eq = '\0';
	key = config_trim(line);
	if (*key == '\0')
		return (config_error(cp, "missing key before '='"));
	if (cp->section == NULL)
		return (config_error(cp, "key outside any section"));
	return (config_value(cp, key, config_trim(eq + 1)));
}

/* Checks and defaults that need the whole file. */
static int
config_finish(struct config_parse *cp)
{
	struct config	*conf = cp->conf;
	size_t		 len;

	cp->line = 0;
	if (!cp->socket_set) {
		conf->socket = config_join(conf->state_dir, CONFIG_SOCKET_NAME);
		if (conf->socket == NULL)
			return (config_oom(cp));
		if ((len = strlen(conf->socket)) >= CONFIG_SUN_PATH_MAX)
			return (config_error(cp, "default socket path too long "
			    "(%zu bytes, at most %zu): set [server] socket", len,
			    CONFIG_SUN_PATH_MAX - 1));
	}
	if (conf->nlisten != 0 &&
	    (conf->tls_ca == NULL || conf->tls_cert == NULL ||
	    conf->tls_key == NULL))
		return (config_error(cp, "[tls] ca, cert and key are required "
		    "when listen is set"));
	return (0);
}

/* Read and check the configuration file PATH. */
struct config *
config_load(const char *path, char **cause)
{
	struct config_parse	 cp;
	FILE			*f = NULL;
	char			*buf = NULL;
	size_t			 size = 0;
	ssize_t			 len;
	int			 saved;

	memset(&cp, 0, sizeof cp);
	cp.file = path;
	if ((cp.conf = calloc(1, sizeof *cp.conf)) == NULL)
		goto oom;
	cp.conf->max_frame = CONFIG_DEFAULT_MAX_FRAME;
	cp.conf->max_connections = CONFIG_DEFAULT_MAX_CONNECTIONS;
	cp.conf->max_running = CONFIG_DEFAULT_MAX_RUNNING;
	cp.conf->grace_ms = CONFIG_DEFAULT_GRACE_MS;
	cp.conf->idle_timeout_ms = CONFIG_DEFAULT_IDLE_TIMEOUT_MS;
	cp.conf->max_identity_connections =
	    CONFIG_DEFAULT_MAX_IDENTITY_CONNECTIONS;
	cp.conf->lag_warn_ms = CONFIG_DEFAULT_LAG_WARN_MS;
	cp.conf->log_level = LOG_INFO;
	cp.conf->max_inflight = CONFIG_DEFAULT_MAX_INFLIGHT;
	cp.conf->max_queued_per_identity =
	    CONFIG_DEFAULT_MAX_QUEUED_PER_IDENTITY;
	cp.conf->max_startups =
	    (struct config_startups)CONFIG_DEFAULT_MAX_STARTUPS;
	cp.conf->max_argv = CONFIG_DEFAULT_MAX_ARGV;
	cp.conf->hello_timeout_ms = CONFIG_DEFAULT_HELLO_TIMEOUT_MS;
	cp.conf->max_startups_per_source =
	    CONFIG_DEFAULT_MAX_STARTUPS_PER_SOURCE;
	cp.conf->source_penalty_ms = CONFIG_DEFAULT_SOURCE_PENALTY_MS;
	cp.conf->max_connections_per_uid =
	    CONFIG_DEFAULT_MAX_CONNECTIONS_PER_UID;
	cp.conf->admin_reserve = CONFIG_DEFAULT_ADMIN_RESERVE;
	if ((cp.conf->path = strdup(path)) == NULL ||
	    (cp.conf->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR)) == NULL)
		goto oom;

	if ((f = fopen(path, "re")) == NULL) {
		config_error(&cp, "%s", strerror(errno));
		goto fail;
	}
	if (config_dir(&cp) != 0)
		goto fail;

	errno = 0;
	while ((len = getline(&buf, &size, f)) != -1) {
		cp.line++;
		if (config_line(&cp, buf, (size_t)len) != 0)
			goto fail;
	}
	if (ferror(f) || !feof(f)) {
		saved = errno != 0 ? errno : EIO;
		cp.line = 0;
		config_error(&cp, "%s", strerror(saved));
		goto fail;
	}
	if (config_finish(&cp) != 0)
		goto fail;
	if (access_own_users(cp.conf) != 0)
		goto oom;
	access_warn_users(cp.conf);

	free(buf);
	fclose(f);
	free(cp.dir);
	return (cp.conf);

oom:
	config_oom(&cp);
fail:
	free(buf);
	if (f != NULL)
		fclose(f);
	free(cp.dir);
	config_free(cp.conf);
	if (cause != NULL)
		*cause = cp.cause;
	else
		free(cp.cause);
	return (NULL);
}

/* Free a configuration; NULL is fine. */
void
config_free(struct config *conf)
{
	size_t	 i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->nlisten; i++)
		free(conf->listen[i]);
	free(conf->listen);
	access_clear(conf);
	for (i = 0; i < conf->nqueues; i++)
		free(conf->queues[i].name);
	free(conf->queues);
	free(conf->path);
	free(conf->socket);
	free(conf->state_dir);
	free(conf->tls_ca);
	free(conf->tls_cert);
	free(conf->tls_key);
	free(conf->tls_crl);
	free(conf->pid_file);
	free(conf);
}

/* The [queue NAME] section for NAME, NULL if none. */
const struct config_queue *
config_queue(const struct config *conf, const char *name)
{
	size_t	 i;

	if (conf == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < conf->nqueues; i++) {
		if (strcmp(conf->queues[i].name, name) == 0)
			return (&conf->queues[i]);
	}
	return (NULL);
}
