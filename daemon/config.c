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
 *
 * This file reads lines and sections; the key table and the value setters
 * are in config-set.c, the access map ([access], users) in access.c.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

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
#include "daemon/config-int.h"

#define CONFIG_DEFAULT_MAX_FRAME	(4U * 1024 * 1024)
#define CONFIG_QUEUE_NAME_CHARS		\
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define CONFIG_SOCKET_NAME		"runneld.sock"

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
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
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
	return s;
}

/* Record running out of memory as the cause; returns -1. */
int
config_oom(struct config_parse *cp)
{
	free(cp->cause);
	cp->cause = strdup("out of memory");
	return -1;
}

/* Record an error as "FILE:LINE: message" (or "FILE: message" when it is
 * not about one line); returns -1. */
int __attribute__((format(printf, 2, 3)))
config_error(struct config_parse *cp, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = config_vprintf(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return config_oom(cp);

	free(cp->cause);
	if (cp->line != 0)
		cp->cause = config_printf("%s:%lu: %s", cp->file, cp->line, msg);
	else
		cp->cause = config_printf("%s: %s", cp->file, msg);
	free(msg);
	if (cp->cause == NULL)
		return config_oom(cp);
	return -1;
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
	return s;
}

/* Join a directory and a name with one '/'; allocated or NULL. */
static char *
config_join(const char *dir, const char *name)
{
	size_t	 len = strlen(dir);

	if (len != 0 && dir[len - 1] == '/')
		return config_printf("%s%s", dir, name);
	return config_printf("%s/%s", dir, name);
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
		return 0;
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
	return 0;

oom:
	config_oom(cp);
fail:
	free(cwd);
	free(dir);
	return -1;
}

/* Resolve PATH against the configuration file's directory; allocated. */
char *
config_resolve(struct config_parse *cp, const char *path)
{
	if (*path == '/')
		return strdup(path);
	return config_join(cp->dir, path);
}

/* A "[queue NAME]" header: add the queue, whose keys follow. */
static int
config_section_queue(struct config_parse *cp, const char *name)
{
	struct config		*conf = cp->conf;
	struct config_queue	*queues, *cq;
	size_t			 i, len = strlen(name);
	char			*copy;

	if (len == 0)
		return config_error(cp, "missing queue name in [queue]");
	if (len > CONFIG_QUEUE_NAME_MAX ||
	    strspn(name, CONFIG_QUEUE_NAME_CHARS) != len)
		return config_error(cp, "bad queue name '%s' (1-%d of A-Z a-z "
		    "0-9 . _ -)", name, CONFIG_QUEUE_NAME_MAX);
	if (config_queue(conf, name) != NULL)
		return config_error(cp, "duplicate section [queue %s]", name);

	if ((copy = strdup(name)) == NULL)
		return config_oom(cp);
	queues = realloc(conf->queues, (conf->nqueues + 1) * sizeof *queues);
	if (queues == NULL) {
		free(copy);
		return config_oom(cp);
	}
	conf->queues = queues;
	cq = &queues[conf->nqueues++];
	*cq = (struct config_queue){ .name = copy };

	/* A new queue: none of its keys has been given yet. */
	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, "queue") == 0)
			cp->seen &= ~((uint64_t)1 << i);
	}
	cp->section = "queue";
	cp->base = cq;
	snprintf(cp->title, sizeof cp->title, "queue %s", name);
	return 0;
}

/* A "[section]" line. */
static int
config_section(struct config_parse *cp, char *line)
{
	char	*end, *name;
	size_t	 i;

	if ((end = strchr(line, ']')) == NULL)
		return config_error(cp, "unterminated section header '%s'",
		    line);
	if (end[1] != '\0')
		return config_error(cp, "text after ']' in section header");
	*end = '\0';
	name = config_trim(line + 1);
	if (strncmp(name, "queue", 5) == 0 &&
	    (name[5] == '\0' || isspace((unsigned char)name[5])))
		return config_section_queue(cp, config_trim(name + 5));
	for (i = 0; i < config_nkeys; i++) {
		if (strcmp(config_keys[i].section, name) == 0) {
			cp->section = config_keys[i].section;
			cp->base = cp->conf;
			snprintf(cp->title, sizeof cp->title, "%s", name);
			return 0;
		}
	}
	return config_error(cp, "unknown section [%s]", name);
}

/* A "key = value" line, already split and trimmed. */
static int
config_value(struct config_parse *cp, const char *key, char *value)
{
	const struct config_key	*ck = NULL;
	size_t			 i;
	char			*end;
	int			 quoted = 0;

	for (i = 0; i < config_nkeys; i++) {
		ck = &config_keys[i];
		if (strcmp(ck->section, cp->section) != 0)
			continue;
		if (ck->name == NULL || strcmp(ck->name, key) == 0)
			break;
	}
	if (i == config_nkeys)
		return config_error(cp, "unknown key '%s' in [%s]", key,
		    cp->title);
	if ((cp->seen & ((uint64_t)1 << i)) && !(ck->flags & CONFIG_REPEAT))
		return config_error(cp, "duplicate key '%s' in [%s]", key,
		    cp->title);

	if (*value == '"') {
		if ((end = strchr(value + 1, '"')) == NULL)
			return config_error(cp, "unterminated quote in value "
			    "for '%s'", key);
		if (end[1] != '\0')
			return config_error(cp, "text after closing quote in "
			    "value for '%s'", key);
		*end = '\0';
		value++;
		quoted = 1;
	}
	if (*value == '\0' && !(ck->flags & CONFIG_EMPTY))
		return config_error(cp, "empty value for '%s'", key);

	if (ck->set(cp, ck, key, value, quoted) != 0)
		return -1;
	cp->seen |= (uint64_t)1 << i;
	return 0;
}

/* Parse one line of the file (LEN bytes, with its newline if any). */
static int
config_line(struct config_parse *cp, char *line, size_t len)
{
	char	*eq, *key;

	if (strlen(line) != len)
		return config_error(cp, "nul byte in line");
	if (cp->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;	/* UTF-8 byte order mark */
	line = config_trim(line);

	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return config_section(cp, line);

	if ((eq = strchr(line, '=')) == NULL)
		return config_error(cp, "missing '=' after '%s'", line);
	*eq = '\0';
	key = config_trim(line);
	if (*key == '\0')
		return config_error(cp, "missing key before '='");
	if (cp->section == NULL)
		return config_error(cp, "key outside any section");
	return config_value(cp, key, config_trim(eq + 1));
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
			return config_oom(cp);
		if ((len = strlen(conf->socket)) >= CONFIG_SUN_PATH_MAX)
			return config_error(cp, "default socket path too long "
			    "(%zu bytes, at most %zu): set [server] socket", len,
			    CONFIG_SUN_PATH_MAX - 1);
	}
	if (conf->nlisten != 0 &&
	    (conf->tls_ca == NULL || conf->tls_cert == NULL ||
	    conf->tls_key == NULL))
		return config_error(cp, "[tls] ca, cert and key are required "
		    "when listen is set");
	return 0;
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
	return cp.conf;

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
	return NULL;
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
		return NULL;
	for (i = 0; i < conf->nqueues; i++) {
		if (strcmp(conf->queues[i].name, name) == 0)
			return &conf->queues[i];
	}
	return NULL;
}
