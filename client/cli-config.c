/*
 * cli-config.c - runnel's own configuration file: where the daemon is and
 * which certificate to show it.  $XDG_CONFIG_HOME/runnel/config (or
 * ~/.config/runnel/config), or the file --config or RUNNEL_CONFIG names.
 * Its settings are the weakest: the environment and the command line
 * override them, one setting at a time.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runnel-cli.h"

/* The keys a client config may set, and where each goes. */
static const struct {
	const char	*name;
	size_t		 field;
} cli_config_keys[] = {
	{ .name = "host", .field = offsetof(struct cli_config, host) },
	{ .name = "ca", .field = offsetof(struct cli_config, ca) },
	{ .name = "cert", .field = offsetof(struct cli_config, cert) },
	{ .name = "key", .field = offsetof(struct cli_config, key) }
};
#define CLI_CONFIG_NKEYS	(sizeof cli_config_keys / sizeof cli_config_keys[0])

/* Format an allocated "FILE:LINE: MESSAGE" into *cause. */
static void __attribute__((format(printf, 4, 5)))
cli_config_error(char **cause, const char *path, unsigned line,
    const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;
	size_t	 len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	len = strlen(path) + strlen(msg) + 32;
	*cause = cli_calloc(len, 1);
	if (line == 0)
		snprintf(*cause, len, "%s: %s", path, msg);
	else
		snprintf(*cause, len, "%s:%u: %s", path, line, msg);
}

/* The default file: $XDG_CONFIG_HOME/runnel/config, or
 * $HOME/.config/runnel/config; NULL when neither variable is usable (an
 * XDG_CONFIG_HOME that is not absolute is ignored, as the spec says). */
char *
cli_config_default_path(void)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	const char	*home = getenv("HOME");
	const char	*sub;
	char		*path;
	size_t		 len;

	if (xdg != NULL && xdg[0] == '/')
		sub = "/runnel/config";
	else if (home != NULL && home[0] == '/') {
		xdg = home;
		sub = "/.config/runnel/config";
	} else
		return NULL;
	len = strlen(xdg) + strlen(sub) + 1;
	path = cli_calloc(len, 1);
	snprintf(path, len, "%s%s", xdg, sub);
	return path;
}

/* A path value made usable: "~/" is $HOME, a relative path is relative
 * to the config file's directory; returns an allocated string. */
static char *
cli_config_path_value(const char *path, const char *value)
{
	const char	*home, *slash;
	char		*out;
	size_t		 len;
	int		 dirlen;

	if (strncmp(value, "~/", 2) == 0 && (home = getenv("HOME")) != NULL) {
		len = strlen(home) + strlen(value);
		out = cli_calloc(len, 1);
		snprintf(out, len, "%s%s", home, value + 1);
		return out;
	}
	if (value[0] == '/' || (slash = strrchr(path, '/')) == NULL)
		return strdup(value);
	dirlen = (int)(slash - path);
	len = (size_t)dirlen + strlen(value) + 2;
	out = cli_calloc(len, 1);
	snprintf(out, len, "%.*s/%s", dirlen, path, value);
	return out;
}

/* Set one "key = value" line; 0, or -1 with *cause. */
static int
cli_config_set(struct cli_config *cf, const char *path, unsigned line,
    const char *key, const char *value, char **cause)
{
	char	**field;
	size_t	  i;

	for (i = 0; i < CLI_CONFIG_NKEYS; i++) {
		if (strcmp(cli_config_keys[i].name, key) == 0)
			break;
	}
	if (i == CLI_CONFIG_NKEYS) {
		cli_config_error(cause, path, line, "unknown key \"%s\" (host, "
		    "ca, cert and key are known)", key);
		return -1;
	}
	field = (char **)(void *)((char *)cf + cli_config_keys[i].field);
	if (*field != NULL) {
		cli_config_error(cause, path, line, "%s set twice", key);
		return -1;
	}
	if (*value == '\0') {
		cli_config_error(cause, path, line, "%s: empty value", key);
		return -1;
	}
	/* A host is not a path, even when it is unix:PATH: keep it as is. */
	if (strcmp(key, "host") == 0)
		*field = strdup(value);
	else
		*field = cli_config_path_value(path, value);
	if (*field == NULL) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	return 0;
}

/* Parse one line, already stripped of its newline; 0, or -1 with
 * *cause. */
static int
cli_config_line(struct cli_config *cf, const char *path, unsigned line,
    char *s, char **cause)
{
	char	*key, *value, *end;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	key = s;
	if ((value = strchr(s, '=')) == NULL) {
		cli_config_error(cause, path, line, "expected \"key = value\"");
		return -1;
	}
	*value++ = '\0';
	end = key + strlen(key);
	while (end > key && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*value))
		value++;
	end = value + strlen(value);
	while (end > value && isspace((unsigned char)end[-1]))
		*--end = '\0';
	/* "..." keeps its content literally, spaces included. */
	if (*value == '"') {
		if (end - value < 2 || end[-1] != '"') {
			cli_config_error(cause, path, line,
			    "unterminated quote");
			return -1;
		}
		end[-1] = '\0';
		value++;
	}
	if (*key == '\0') {
		cli_config_error(cause, path, line, "missing key before '='");
		return -1;
	}
	return cli_config_set(cf, path, line, key, value, cause);
}

/* Read the client config at path into cf (zeroed by the caller).  A
 * missing file is no error unless required.  0, or -1 with an allocated
 * *cause ("FILE:LINE: ..."). */
int
cli_config_load(struct cli_config *cf, const char *path, int required,
    char **cause)
{
	FILE		*f;
	char		 buf[4096];
	unsigned	 line = 0;
	size_t		 len;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		cli_config_error(cause, path, 0, "%s", strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof buf, f) != NULL) {
		line++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		else if (!feof(f)) {
			cli_config_error(cause, path, line, "line too long");
			goto out;
		}
		if (cli_config_line(cf, path, line, buf, cause) != 0)
			goto out;
	}
	if (ferror(f)) {
		cli_config_error(cause, path, 0, "%s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* Free what cli_config_load() set. */
void
cli_config_free(struct cli_config *cf)
{
	free(cf->host);
	free(cf->ca);
	free(cf->cert);
	free(cf->key);
	memset(cf, 0, sizeof *cf);
}
