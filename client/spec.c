/*
 * spec.c - the task options of `runnel run` and `runnel submit`: parse
 * them into a struct runnel_spec (see CLI_SPEC_HELP), reading --env-file
 * files and opening --stdin on the way, so that every mistake is reported
 * before the daemon is contacted.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "runnel-cli.h"

/* The daemon's ranges of these (docs/PROTOCOL.md, Ranges). */
#define SPEC_RETRIES_MAX	1000
#define SPEC_BACKOFF_MAX	100

enum {
	SPEC_OPT_NAME = 256,
	SPEC_OPT_ENV,
	SPEC_OPT_ENV_FILE,
	SPEC_OPT_CLEAR_ENV,
	SPEC_OPT_CWD,
	SPEC_OPT_QUEUE,
	SPEC_OPT_PRIORITY,
	SPEC_OPT_AFTER,
	SPEC_OPT_AFTER_ANY,
	SPEC_OPT_TIMEOUT,
	SPEC_OPT_RETRIES,
	SPEC_OPT_RETRY_DELAY,
	SPEC_OPT_RETRY_BACKOFF,
	SPEC_OPT_KEY,
	SPEC_OPT_AT,
	SPEC_OPT_DELAY,
	SPEC_OPT_STDIN,
	SPEC_OPT_RLIMIT,
	SPEC_OPT_LABEL,
	SPEC_OPT_DETACH,
	SPEC_OPT_RESTART_ON_LOST
};

static const struct option spec_options[] = {
	{ .name = "name", .has_arg = required_argument, .val = SPEC_OPT_NAME },
	{ .name = "env", .has_arg = required_argument, .val = SPEC_OPT_ENV },
	{ .name = "env-file", .has_arg = required_argument,
	    .val = SPEC_OPT_ENV_FILE },
	{ .name = "clear-env", .has_arg = no_argument,
	    .val = SPEC_OPT_CLEAR_ENV },
	{ .name = "cwd", .has_arg = required_argument, .val = SPEC_OPT_CWD },
	{ .name = "queue", .has_arg = required_argument,
	    .val = SPEC_OPT_QUEUE },
	{ .name = "priority", .has_arg = required_argument,
	    .val = SPEC_OPT_PRIORITY },
	{ .name = "after", .has_arg = required_argument,
	    .val = SPEC_OPT_AFTER },
	{ .name = "after-any", .has_arg = required_argument,
	    .val = SPEC_OPT_AFTER_ANY },
	{ .name = "timeout", .has_arg = required_argument,
	    .val = SPEC_OPT_TIMEOUT },
	{ .name = "retries", .has_arg = required_argument,
	    .val = SPEC_OPT_RETRIES },
	{ .name = "retry-delay", .has_arg = required_argument,
	    .val = SPEC_OPT_RETRY_DELAY },
	{ .name = "retry-backoff", .has_arg = required_argument,
	    .val = SPEC_OPT_RETRY_BACKOFF },
	{ .name = "key", .has_arg = required_argument, .val = SPEC_OPT_KEY },
	{ .name = "at", .has_arg = required_argument, .val = SPEC_OPT_AT },
	{ .name = "delay", .has_arg = required_argument,
	    .val = SPEC_OPT_DELAY },
	{ .name = "stdin", .has_arg = required_argument,
	    .val = SPEC_OPT_STDIN },
	{ .name = "rlimit", .has_arg = required_argument,
	    .val = SPEC_OPT_RLIMIT },
	{ .name = "label", .has_arg = required_argument,
	    .val = SPEC_OPT_LABEL },
	{ .name = "detach-on-interrupt", .has_arg = no_argument,
	    .val = SPEC_OPT_DETACH },
	{ .name = "restart-on-lost", .has_arg = no_argument,
	    .val = SPEC_OPT_RESTART_ON_LOST },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* The resource names the daemon knows. */
static const char *const spec_rlimit_names[] = {
	"as", "core", "cpu", "data", "fsize", "memlock", "nofile", "nproc",
	"stack"
};

/* Add an environment entry. */
static void
spec_add_env(struct cli_spec *cs, const char *entry)
{
	cs->env = cli_reallocarray(cs->env, cs->nenv + 2, sizeof *cs->env);
	cs->env[cs->nenv++] = entry;
	cs->env[cs->nenv] = NULL;
}

/* Is s a NAME=VALUE with a NAME fit for an environment? */
static int
spec_env_ok(const char *s)
{
	const char	*p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

/* Read NAME=VALUE lines of an env file; 0, or -1 after saying which line
 * is wrong. */
static int
spec_env_file(struct cli_spec *cs, const char *path)
{
	FILE	*f;
	char	*line = NULL, *p;
	size_t	 size = 0, len, lineno = 0;
	ssize_t	 n;
	int	 rv = 0;

	if ((f = fopen(path, "re")) == NULL) {
		cli_warnx("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &size, f)) != -1) {
		lineno++;
		len = (size_t)n;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (strlen(p) != (size_t)(line + len - p) || !spec_env_ok(p)) {
			cli_warnx("%s:%zu: not NAME=VALUE", path, lineno);
			rv = -1;
			break;
		}
		cs->owned = cli_reallocarray(cs->owned, cs->nowned + 1,
		    sizeof *cs->owned);
		if ((cs->owned[cs->nowned] = strdup(p)) == NULL) {
			cli_warnx("out of memory");
			exit(CLI_EXIT_ERROR);
		}
		spec_add_env(cs, cs->owned[cs->nowned++]);
	}
	if (rv == 0 && ferror(f)) {
		cli_warnx("%s: %s", path, strerror(errno));
		rv = -1;
	}
	free(line);
	fclose(f);
	return rv;
}

/* Parse "ID[,ID...]" into an allocated array; -1 if an id is bad. */
static int
spec_ids(const char *s, uint64_t **out, size_t *n)
{
	char		 word[32];
	const char	*p = s, *end;
	size_t		 len;
	uint64_t	 id;

	*out = NULL;
	*n = 0;
	for (;;) {
		end = strchr(p, ',');
		len = end == NULL ? strlen(p) : (size_t)(end - p);
		if (len == 0 || len >= sizeof word)
			goto fail;
		memcpy(word, p, len);
		word[len] = '\0';
		if (cli_parse_u64(word, &id) != 0 || id == 0)
			goto fail;
		*out = cli_reallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = id;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

/* Parse a limit value: digits or "unlimited". */
static int
spec_rlimit_value(const char *s, size_t len, uint64_t *v)
{
	char	word[32];

	if (len == 0 || len >= sizeof word)
		return -1;
	memcpy(word, s, len);
	word[len] = '\0';
	if (strcmp(word, "unlimited") == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	return cli_parse_u64(word, v);
}

/* Parse one "NAME=SOFT[:HARD]" into a new limit of the spec. */
static int
spec_rlimit(struct cli_spec *cs, char *item)
{
	struct runnel_rlimit	*rl;
	char			*eq, *colon;
	size_t			 i, n;

	if ((eq = strchr(item, '=')) == NULL)
		return -1;
	*eq = '\0';
	n = sizeof spec_rlimit_names / sizeof spec_rlimit_names[0];
	for (i = 0; i < n; i++) {
		if (strcmp(item, spec_rlimit_names[i]) == 0)
			break;
	}
	if (i == n)
		return -1;
	cs->rlimits = cli_reallocarray(cs->rlimits, cs->spec.nrlimits + 1,
	    sizeof *cs->rlimits);
	rl = &cs->rlimits[cs->spec.nrlimits++];
	rl->name = spec_rlimit_names[i];
	rl->hard = 0;
	colon = strchr(eq + 1, ':');
	if (spec_rlimit_value(eq + 1, colon == NULL ? strlen(eq + 1) :
	    (size_t)(colon - eq - 1), &rl->soft) != 0)
		return -1;
	if (colon != NULL && spec_rlimit_value(colon + 1, strlen(colon + 1),
	    &rl->hard) != 0)
		return -1;
	cs->spec.rlimits = cs->rlimits;
	return 0;
}

/* Parse "NAME=SOFT[:HARD][,NAME=...]" into the spec's limits. */
static int
spec_rlimits(struct cli_spec *cs, const char *arg)
{
	char	*copy, *item, *save = NULL;
	int	 rv = 0, any = 0;

	if ((copy = strdup(arg)) == NULL) {
		cli_warnx("out of memory");
		exit(CLI_EXIT_ERROR);
	}
	for (item = strtok_r(copy, ",", &save); item != NULL && rv == 0;
	    item = strtok_r(NULL, ",", &save)) {
		rv = spec_rlimit(cs, item);
		any = 1;
	}
	free(copy);
	return any ? rv : -1;
}

/* Parse "YYYY-MM-DD HH:MM[:SS]", "HH:MM[:SS]" (the next such time from now)
 * or "@UNIXSECONDS", local time, into unix ms; 0 or -1. */
int
spec_parse_at(const char *s, int64_t now_ms, int64_t *ms)
{
	struct tm	tm, want;
	time_t		now = (time_t)(now_ms / 1000), t;
	uint64_t	secs;
	int		n = 0, y, mo, d, hh, mm, ss = 0, full;

	if (*s == '@') {
		if (cli_parse_u64(s + 1, &secs) != 0 ||
		    secs > START_AT_MAX_MS / 1000)
			return -1;
		*ms = (int64_t)secs * 1000;
		return 0;
	}
	if (localtime_r(&now, &tm) == NULL)
		return -1;
	full = strchr(s, '-') != NULL;
	if (full) {
		if (sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &hh, &mm,
		    &n) != 5)
			return -1;
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
	} else if (sscanf(s, "%2d:%2d%n", &hh, &mm, &n) != 2)
		return -1;
	if (s[n] == ':') {
		s += n + 1;
		n = 0;
		if (!isdigit((unsigned char)*s) ||
		    sscanf(s, "%2d%n", &ss, &n) != 1)
			return -1;
	}
	if (s[n] != '\0' || hh > 23 || mm > 59 || ss > 59 || hh < 0 ||
	    mm < 0 || ss < 0)
		return -1;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	tm.tm_isdst = -1;
	want = tm;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	/* mktime normalises 2025-02-30: refuse what is not a real date. */
	if (full && (tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon))
		return -1;
	if (!full && t <= now) {
		want.tm_mday++;
		tm = want;
		if ((t = mktime(&tm)) == (time_t)-1)
			return -1;
	}
	*ms = (int64_t)t * 1000;
	return 0;
}

/* The time now in unix ms. */
static int64_t
spec_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse a signed 32-bit number. */
static int
spec_int(const char *s, int *v)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || l < INT32_MIN ||
	    l > INT32_MAX)
		return -1;
	*v = (int)l;
	return 0;
}

/* Say what is wrong with an option's argument; the usage status. */
static int
spec_bad(struct cli *cli, const char *what, const char *arg)
{
	cli_warnx("%s: invalid %s: %s", cli->entry->name, what, arg);
	return cli_usage(cli, 0);
}

/* A second --at or --delay; the usage status. */
static int
spec_twice(struct cli *cli)
{
	cli_warnx("%s: give one of --at and --delay, once", cli->entry->name);
	return cli_usage(cli, 0);
}

/* Handle one option; CLI_CONTINUE or an exit status. */
static int
spec_option(struct cli *cli, struct cli_spec *cs, int ch, char *arg,
    int run, uint64_t *delay, int *timed)
{
	struct runnel_spec	*sp = &cs->spec;
	uint64_t		 v;
	double			 d;
	char			*end;

	switch (ch) {
	case SPEC_OPT_NAME:
		sp->name = arg;
		break;
	case SPEC_OPT_ENV:
		if (strchr(arg, '=') == NULL || *arg == '=') {
			cli_warnx("%s: --env wants NAME=VALUE, not %s",
			    cli->entry->name, arg);
			return cli_usage(cli, 0);
		}
		spec_add_env(cs, arg);
		break;
	case SPEC_OPT_ENV_FILE:
		if (spec_env_file(cs, arg) != 0)
			return CLI_EXIT_USAGE;
		break;
	case SPEC_OPT_CLEAR_ENV:
		sp->clear_env = 1;
		break;
	case SPEC_OPT_RESTART_ON_LOST:
		sp->restart_on_lost = 1;
		break;
	case SPEC_OPT_CWD:
		/* Empty would mean "none given": the home directory, not
		 * this one, for a --cwd "$DIR" whose DIR is unset. */
		if (*arg == '\0') {
			cli_warnx("%s: --cwd wants a directory, not an empty "
			    "string", cli->entry->name);
			return cli_usage(cli, 0);
		}
		sp->cwd = arg;
		break;
	case SPEC_OPT_QUEUE:
		sp->queue = arg;
		break;
	case SPEC_OPT_PRIORITY:
		if (spec_int(arg, &sp->priority) != 0)
			return spec_bad(cli, "priority", arg);
		break;
	case SPEC_OPT_AFTER:
	case SPEC_OPT_AFTER_ANY:
		if (ch == SPEC_OPT_AFTER ? sp->after != NULL :
		    sp->after_any != NULL) {
			cli_warnx("%s: give the ids of --after or --after-any "
			    "in one list", cli->entry->name);
			return cli_usage(cli, 0);
		}
		if (ch == SPEC_OPT_AFTER ?
		    spec_ids(arg, &cs->after, &sp->nafter) != 0 :
		    spec_ids(arg, &cs->after_any, &sp->nafter_any) != 0)
			return spec_bad(cli, "task id list", arg);
		sp->after = cs->after;
		sp->after_any = cs->after_any;
		break;
	case SPEC_OPT_TIMEOUT:
		if (cli_parse_duration(cli->entry->name, "timeout", arg,
		    &sp->timeout_ms) != 0)
			return cli_usage(cli, 0);
		break;
	case SPEC_OPT_RETRIES:
		if (cli_parse_u64(arg, &v) != 0)
			return spec_bad(cli, "number of retries", arg);
		if (v > SPEC_RETRIES_MAX) {
			cli_warnx("%s: --retries %s is out of range 0..%d",
			    cli->entry->name, arg, SPEC_RETRIES_MAX);
			return cli_usage(cli, 0);
		}
		sp->retries = (unsigned)v;
		break;
	case SPEC_OPT_RETRY_DELAY:
		if (cli_parse_duration(cli->entry->name, "retry-delay", arg,
		    &sp->retry_delay_ms) != 0)
			return cli_usage(cli, 0);
		break;
	case SPEC_OPT_RETRY_BACKOFF:
		errno = 0;
		d = strtod(arg, &end);
		if (*arg == '\0' || *end != '\0' || errno != 0 ||
		    !isfinite(d))
			return spec_bad(cli, "backoff factor", arg);
		if (!(d >= 0 && d <= SPEC_BACKOFF_MAX)) {
			cli_warnx("%s: --retry-backoff %s is out of range "
			    "0..%d", cli->entry->name, arg, SPEC_BACKOFF_MAX);
			return cli_usage(cli, 0);
		}
		sp->retry_backoff = d;
		break;
	case SPEC_OPT_KEY:
		sp->key = arg;
		break;
	case SPEC_OPT_AT:
		if (*timed)
			return spec_twice(cli);
		if (spec_parse_at(arg, spec_now_ms(), &sp->start_at_ms) != 0)
			return spec_bad(cli, "time", arg);
		*timed = 1;
		break;
	case SPEC_OPT_DELAY:
		if (*timed)
			return spec_twice(cli);
		if (cli_parse_duration(cli->entry->name, "delay", arg,
		    delay) != 0)
			return cli_usage(cli, 0);
		*timed = 2;
		break;
	case SPEC_OPT_STDIN:
		cs->stdin_path = arg;
		sp->stdin_stream = 1;
		break;
	case SPEC_OPT_RLIMIT:
		if (spec_rlimits(cs, arg) != 0)
			return spec_bad(cli, "rlimit", arg);
		break;
	case SPEC_OPT_LABEL:
		if (strchr(arg, '=') == NULL || *arg == '=')
			return spec_bad(cli, "label (not KEY=VALUE)", arg);
		cs->labels = cli_reallocarray(cs->labels, cs->nlabels + 2,
		    sizeof *cs->labels);
		cs->labels[cs->nlabels++] = arg;
		cs->labels[cs->nlabels] = NULL;
		sp->labels = cs->labels;
		break;
	case SPEC_OPT_DETACH:
		if (!run) {
			cli_warnx("%s: --detach-on-interrupt is for run only",
			    cli->entry->name);
			return cli_usage(cli, 0);
		}
		cs->detach = 1;
		break;
	case 'h':
		return cli_usage(cli, 1);
	default:
		return cli_usage(cli, 0);
	}
	return CLI_CONTINUE;
}

/* A task without --cwd sent over the unix socket runs in our own current
 * directory, as a local command would: send it (runnel show shows it).
 * Over TLS the daemon picks (the home of the user the task runs as). */
static int
spec_local_cwd(struct cli *cli, struct cli_spec *cs)
{
	const char	*host = cli->opts.host;
	char		*cwd;

	if (cs->spec.cwd != NULL ||
	    (host != NULL && strncmp(host, "unix:", 5) != 0))
		return CLI_CONTINUE;
	if ((cwd = getcwd(NULL, 0)) == NULL) {
		cli_warnx("%s: current directory: %s (give --cwd DIR)",
		    cli->entry->name, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	cs->owned = cli_reallocarray(cs->owned, cs->nowned + 1,
	    sizeof *cs->owned);
	cs->owned[cs->nowned++] = cwd;
	cs->spec.cwd = cwd;
	return CLI_CONTINUE;
}

/* Parse [OPTIONS] [--] CMD ARGS... for run (run set) and submit;
 * CLI_CONTINUE or an exit status.  Free with spec_free(), either way. */
int
spec_parse(struct cli *cli, int argc, char **argv, struct cli_spec *cs,
    int run)
{
	uint64_t	delay = 0;
	int		ch, rv, timed = 0;

	memset(cs, 0, sizeof *cs);
	cs->stdin_fd = -1;
	while ((ch = getopt_long(argc, argv, "+h", spec_options,
	    NULL)) != -1) {
		rv = spec_option(cli, cs, ch, optarg, run, &delay, &timed);
		if (rv != CLI_CONTINUE)
			return rv;
	}
	if (optind >= argc) {
		cli_warnx("%s: a command is required", cli->entry->name);
		return cli_usage(cli, 0);
	}
	if (*argv[optind] == '\0') {
		cli_warnx("%s: the command is empty", cli->entry->name);
		return cli_usage(cli, 0);
	}
	cs->spec.argv = (const char *const *)(argv + optind);
	cs->spec.env = cs->env;
	if (timed == 2)
		cs->spec.start_at_ms = spec_now_ms() + (int64_t)delay;
	if (cs->stdin_path != NULL) {
		if (strcmp(cs->stdin_path, "-") == 0)
			cs->stdin_fd = STDIN_FILENO;
		else if ((cs->stdin_fd = open(cs->stdin_path,
		    O_RDONLY | O_CLOEXEC)) == -1) {
			cli_warnx("%s: --stdin %s: %s", cli->entry->name,
			    cs->stdin_path, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	return spec_local_cwd(cli, cs);
}

/* Free what spec_parse() allocated and close what it opened. */
void
spec_free(struct cli_spec *cs)
{
	size_t	i;

	if (cs->stdin_fd > STDIN_FILENO)
		close(cs->stdin_fd);
	for (i = 0; i < cs->nowned; i++)
		free(cs->owned[i]);
	free(cs->owned);
	free(cs->env);
	free(cs->labels);
	free(cs->after);
	free(cs->after_any);
	free(cs->rlimits);
	memset(cs, 0, sizeof *cs);
	cs->stdin_fd = -1;
}
