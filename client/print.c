/*
 * print.c - the runnel CLI's shared output: exit statuses for errors and
 * task outcomes, raw and line-prefixed task output, table fields and JSON.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "runnel-cli.h"

/* A partial line longer than this is written out with a newline added, so
 * a task that never ends its line cannot grow the CLI without bound. */
#define PRINT_LINE_MAX	(64 * 1024)

struct print_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* The partial stdout and stderr lines of one task, and its "[label] ". */
struct print_lines {
	char		*label;
	struct print_buf line[2];
	int		 timestamps;	/* prefix lines with their time */
	int64_t		 now_us;	/* time of the chunk being added */
	int64_t		 start_us[2];	/* time of each partial line */
};

/* The ANSI colours of labels, one per task in turn. */
static const char *const print_colours[] = {
	"\033[31m", "\033[32m", "\033[33m", "\033[34m", "\033[35m",
	"\033[36m"
};

/* States in which a task that was started reports a real exit code. */
static const int print_exit_states[] = {
	[RUNNEL_SUCCEEDED] = 1,
	[RUNNEL_FAILED] = 1,
	[RUNNEL_CANCELLED] = 1,
	[RUNNEL_TIMED_OUT] = 1
};

/* Map a library error code to the CLI's exit status. */
int
print_error_status(int code)
{
	switch (code) {
	case RUNNEL_OK:
		return CLI_EXIT_OK;
	case RUNNEL_ECONNECT:
	case RUNNEL_ETLS:
	case RUNNEL_EIO:
	case RUNNEL_EPROTO:
		return CLI_EXIT_CONNECT;
	case RUNNEL_EUNAUTHENTICATED:
	case RUNNEL_EPERM:
		return CLI_EXIT_DENIED;
	case RUNNEL_ENOTFOUND:
		return CLI_EXIT_NOTFOUND;
	default:
		return CLI_EXIT_ERROR;
	}
}

/* Did the task end by exiting, so that its exit_code means something? */
static int
print_has_exit(const struct runnel_task *t)
{
	size_t	n = sizeof print_exit_states / sizeof print_exit_states[0];

	if (t->signal != 0 || t->started_ms == 0)
		return 0;
	return (size_t)t->state < n && print_exit_states[t->state];
}

/* The exit status that mirrors a finished task: its exit code, 128+N if
 * signal N killed it, 1 if it did not succeed and has neither. */
int
print_task_status(const struct runnel_task *t)
{
	if (t->signal > 0 && t->signal < 128)
		return 128 + t->signal;
	if (t->state == RUNNEL_SUCCEEDED)
		return CLI_EXIT_OK;
	if (print_has_exit(t) && t->exit_code > 0 && t->exit_code < 256)
		return t->exit_code;
	return CLI_EXIT_FAILED;
}

/* How a task ended: "exit 3", "signal SIGSEGV (core dumped)" or "" when
 * verbose, else "3", "SIGSEGV" or "-". */
void
print_task_exit(const struct runnel_task *t, char *buf, size_t len,
    int verbose)
{
	const char	*name, *core = "";

	if (verbose && t->core_dumped)
		core = " (core dumped)";
	if (t->signal != 0) {
		name = signal_name(t->signal);
		if (strcmp(name, "SIG?") == 0)
			snprintf(buf, len, "%s%d%s", verbose ? "signal " : "",
			    t->signal, core);
		else
			snprintf(buf, len, "%s%s%s", verbose ? "signal " : "",
			    name, core);
	} else if (print_has_exit(t))
		snprintf(buf, len, "%s%d", verbose ? "exit " : "", t->exit_code);
	else
		snprintf(buf, len, "%s", verbose ? "" : "-");
}

/*
 * Wait until fd takes a write, letting the caught signals in meanwhile
 * (mask); once one came (cli_signal, or cli_stopping once acted on), do
 * not wait at all.  0, or -1 with errno EINTR
 * when a signal stopped the wait (or fd is full after one came).
 */
static int
print_wait_writable(int fd, const sigset_t *mask)
{
	static const struct timespec	 zero;
	struct pollfd			 pfd;
	int				 r;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		r = ppoll(&pfd, 1, cli_signal != 0 || cli_stopping ? &zero :
		    NULL, mask);
		if (r == 1)
			return 0;
		if (r == 0 || (r == -1 && errno == EINTR && cli_signal != 0)) {
			errno = EINTR;
			return -1;
		}
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

/* How print_write() writes to an fd, by what it is. */
enum print_fd_kind {
	PRINT_FD_UNKNOWN = 0,
	PRINT_FD_PLAIN,		/* a file, /dev/null: never waits for a reader */
	PRINT_FD_PIPE,		/* takes PIPE_BUF without blocking once ready */
	PRINT_FD_OTHER		/* a terminal, a socket: may block even so */
};

/* What fd is (learnt once for stdout and stderr). */
static enum print_fd_kind
print_fd_kind(int fd)
{
	static enum print_fd_kind	 kinds[3];
	enum print_fd_kind		 kind;
	struct stat			 st;

	if (fd >= 0 && fd < 3 && kinds[fd] != PRINT_FD_UNKNOWN)
		return kinds[fd];
	if (fstat(fd, &st) == -1)
		kind = PRINT_FD_OTHER;
	else if (S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(fd)))
		kind = PRINT_FD_PLAIN;
	else if (S_ISFIFO(st.st_mode))
		kind = PRINT_FD_PIPE;
	else
		kind = PRINT_FD_OTHER;
	if (fd >= 0 && fd < 3)
		kinds[fd] = kind;
	return kind;
}

/*
 * Write all of a buffer, across partial writes; 0 or -1 with errno.  When
 * the verb catches signals (run, watch, logs), a reader that does not read
 * must not keep them out: wait for room with them let in, and write at
 * most PIPE_BUF at a time, which a pipe with room takes without blocking;
 * for a terminal (held by ^S) or a socket, the write itself lets them in
 * too, without SA_RESTART.  A signal ends the write with EINTR, but for
 * what goes out without waiting: partial lines are still flushed to a
 * reader that reads.  A file never waits for a reader: written at once.
 */
int
print_write(int fd, const void *data, size_t len)
{
	const sigset_t		*mask = cli_signal_mask();
	const char		*p = data;
	enum print_fd_kind	 kind = PRINT_FD_PLAIN;
	sigset_t		 old;
	size_t			 chunk;
	ssize_t			 n;
	int			 saved;

	if (mask != NULL)
		kind = print_fd_kind(fd);
	while (len > 0) {
		chunk = len;
		if (kind != PRINT_FD_PLAIN) {
			if (print_wait_writable(fd, mask) != 0)
				return -1;
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		if (kind == PRINT_FD_OTHER)
			sigprocmask(SIG_SETMASK, mask, &old);
		n = write(fd, p, chunk);
		saved = errno;
		if (kind == PRINT_FD_OTHER)
			sigprocmask(SIG_SETMASK, &old, NULL);
		if (n == -1) {
			/* Interrupted: with signals caught, the wait
			 * before the next write decides whether to go on. */
			if (saved == EINTR)
				continue;
			errno = saved;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Append bytes to a growing buffer. */
static void
print_buf_add(struct print_buf *b, const void *data, size_t len)
{
	size_t	 size;
	char	*p;

	if (len == 0)
		return;
	if (b->len + len > b->size) {
		size = b->size == 0 ? 256 : b->size;
		while (size < b->len + len)
			size *= 2;
		if ((p = realloc(b->data, size)) == NULL) {
			cli_warnx("out of memory");
			exit(CLI_EXIT_ERROR);
		}
		b->data = p;
		b->size = size;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

/* Write a daemon message to stderr, each line as "[label] runnel: ...";
 * a line that already starts with "runnel: " (runneld's retry and
 * retention notes do) gets no second one. */
static int
print_system(const char *label, const char *data, size_t len)
{
	struct print_buf	 out = { 0 };
	const char		*nl, *end = data + len;
	int			 rv;

	while (data < end) {
		if ((nl = memchr(data, '\n', (size_t)(end - data))) == NULL)
			nl = end;
		if (label != NULL)
			print_buf_add(&out, label, strlen(label));
		if ((size_t)(nl - data) < 8 || memcmp(data, "runnel: ", 8) != 0)
			print_buf_add(&out, "runnel: ", 8);
		print_buf_add(&out, data, (size_t)(nl - data));
		print_buf_add(&out, "\n", 1);
		data = nl + 1;
	}
	rv = print_write(STDERR_FILENO, out.data, out.len);
	free(out.data);
	return rv;
}

/* Write a chunk of one task's output as it is: stdout and stderr raw,
 * daemon messages prefixed. */
int
print_output(enum runnel_stream stream, const void *data, size_t len)
{
	switch (stream) {
	case RUNNEL_STDOUT:
		return print_write(STDOUT_FILENO, data, len);
	case RUNNEL_STDERR:
		return print_write(STDERR_FILENO, data, len);
	default:
		return print_system(NULL, data, len);
	}
}

/* Start buffering lines of a task shown as "[label] ", with control
 * characters in the label made '?'. */
struct print_lines *
print_lines_create(const char *label)
{
	struct print_lines	*pl;
	size_t			 len;
	char			*p;

	pl = cli_calloc(1, sizeof *pl);
	if (label == NULL) {
		pl->label = cli_calloc(1, 1);
		return pl;
	}
	len = strlen(label) + 4;
	pl->label = cli_calloc(1, len);
	snprintf(pl->label, len, "[%s] ", label);
	for (p = pl->label; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return pl;
}

/* Colour the label with colour number colour (-1: none, else taken
 * modulo the 6 colours) and prefix lines with their time if timestamps
 * is set. */
void
print_lines_style(struct print_lines *pl, int colour, int timestamps)
{
	const char	*c;
	char		*label;
	size_t		 len;

	pl->timestamps = timestamps;
	if (colour < 0 || *pl->label == '\0')
		return;
	c = print_colours[colour % (int)(sizeof print_colours /
	    sizeof print_colours[0])];
	/* "[name] " becomes COLOUR "[name]" RESET " ". */
	len = strlen(pl->label);
	label = cli_calloc(1, len + strlen(c) + 5);
	snprintf(label, len + strlen(c) + 5, "%s%.*s\033[0m ", c,
	    (int)(len - 1), pl->label);
	free(pl->label);
	pl->label = label;
}

/* Set the time of the chunk the next print_lines_add() adds. */
void
print_lines_time(struct print_lines *pl, int64_t time_us)
{
	pl->now_us = time_us;
}

/* Add the start of a line: its time if asked, then the label. */
static void
print_lines_head(struct print_lines *pl, struct print_buf *out,
    int64_t time_us)
{
	char	 buf[64];

	if (pl->timestamps) {
		print_time_iso(buf, sizeof buf, time_us);
		print_buf_add(out, buf, strlen(buf));
		print_buf_add(out, " ", 1);
	}
	print_buf_add(out, pl->label, strlen(pl->label));
}

/* Add a chunk of output: write each completed line with the task's label,
 * keep the partial one; 0 or -1 if writing failed. */
int
print_lines_add(struct print_lines *pl, enum runnel_stream stream,
    const void *data, size_t len)
{
	struct print_buf	 out = { 0 }, *line;
	const char		*p = data, *nl, *end = p + len;
	int64_t			*start;
	int			 rv;

	if (len == 0)
		return 0;
	if (stream != RUNNEL_STDOUT && stream != RUNNEL_STDERR)
		return print_system(pl->label, data, len);
	line = &pl->line[stream];
	start = &pl->start_us[stream];
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		print_lines_head(pl, &out, line->len > 0 ? *start : pl->now_us);
		print_buf_add(&out, line->data, line->len);
		print_buf_add(&out, p, (size_t)(nl + 1 - p));
		line->len = 0;
		p = nl + 1;
	}
	if (line->len == 0)
		*start = pl->now_us;
	print_buf_add(line, p, (size_t)(end - p));
	if (line->len >= PRINT_LINE_MAX) {
		print_lines_head(pl, &out, *start);
		print_buf_add(&out, line->data, line->len);
		print_buf_add(&out, "\n", 1);
		line->len = 0;
	}
	rv = 0;
	if (out.len > 0)
		rv = print_write(stream == RUNNEL_STDOUT ? STDOUT_FILENO :
		    STDERR_FILENO, out.data, out.len);
	free(out.data);
	return rv;
}

/* Write out a task's partial lines, ended with a newline; 0 or -1. */
int
print_lines_flush(struct print_lines *pl)
{
	size_t	i;
	int	rv = 0;

	for (i = 0; i < 2; i++) {
		if (pl->line[i].len == 0)
			continue;
		if (print_lines_add(pl, (enum runnel_stream)i, "\n", 1) != 0)
			rv = -1;
	}
	return rv;
}

/* Free a task's line buffers. */
void
print_lines_free(struct print_lines *pl)
{
	if (pl == NULL)
		return;
	free(pl->line[0].data);
	free(pl->line[1].data);
	free(pl->label);
	free(pl);
}

/* Join argv with spaces, quoting words the way a shell would need. */
char *
print_argv(char *const *argv)
{
	static const char	 safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
	struct print_buf	 b = { 0 };
	const char		*a;

	for (; argv != NULL && *argv != NULL; argv++) {
		a = *argv;
		if (b.len > 0)
			print_buf_add(&b, " ", 1);
		if (*a != '\0' && a[strspn(a, safe)] == '\0') {
			print_buf_add(&b, a, strlen(a));
			continue;
		}
		print_buf_add(&b, "'", 1);
		for (; *a != '\0'; a++) {
			if (*a == '\'')
				print_buf_add(&b, "'\\''", 4);
			else
				print_buf_add(&b, a, 1);
		}
		print_buf_add(&b, "'", 1);
	}
	print_buf_add(&b, "", 1);
	return b.data;
}

static size_t	print_utf8_len(const unsigned char *, size_t);

/* The length of the character at p (len bytes left) as print_field()
 * shows it: a control character or a byte that starts no valid UTF-8
 * sequence is one byte shown as '?'. */
static size_t
print_char_len(const unsigned char *p, size_t len, int *bad)
{
	size_t	n;

	*bad = *p < 0x20 || *p == 0x7f;
	if (*p < 0x80)
		return 1;
	if ((n = print_utf8_len(p, len)) == 0) {
		*bad = 1;
		return 1;
	}
	return n;
}

/* Print a field for a terminal: control characters, and bytes that are
 * not UTF-8, as '?', at most width columns (0: no limit; one per
 * character) with "..." when cut, padded with spaces to width if pad. */
void
print_field(FILE *f, const char *s, size_t width, int pad)
{
	const unsigned char	*p, *end;
	size_t			 cols = 0, limit, col = 0, n;
	int			 cut, bad;

	if (s == NULL)
		s = "";
	end = (const unsigned char *)s + strlen(s);
	for (p = (const unsigned char *)s; p < end; p += n, cols++)
		n = print_char_len(p, (size_t)(end - p), &bad);
	cut = width != 0 && cols > width;
	limit = cut && width > 3 ? width - 3 : (cut ? width : cols);
	for (p = (const unsigned char *)s; p < end && col < limit; p += n,
	    col++) {
		n = print_char_len(p, (size_t)(end - p), &bad);
		if (bad)
			fputc('?', f);
		else
			fwrite(p, 1, n, f);
	}
	col = limit;
	if (cut && width > 3) {
		fputs("...", f);
		col = width;
	}
	for (; pad && col < width; col++)
		fputc(' ', f);
}

/* Print a JSON string as print_json_bytes() does: an argv or cwd (bytes
 * on the wire) that is not UTF-8 still makes valid JSON. */
void
print_json_string(FILE *f, const char *s)
{
	if (s == NULL)
		s = "";
	print_json_bytes(f, s, strlen(s));
}

/* Print an array of ids as JSON. */
static void
print_json_ids(FILE *f, const uint64_t *ids, size_t n)
{
	size_t	i;

	fputc('[', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%" PRIu64, i == 0 ? "" : ",", ids[i]);
	fputc(']', f);
}

/* Print "key=value" labels as a JSON object. */
static void
print_json_labels(FILE *f, char *const *labels)
{
	const char	*eq;
	char		*key;
	size_t		 i;

	fputc('{', f);
	for (i = 0; labels != NULL && labels[i] != NULL; i++) {
		if (i > 0)
			fputc(',', f);
		eq = strchr(labels[i], '=');
		if (eq == NULL)
			eq = labels[i] + strlen(labels[i]);
		key = cli_calloc(1, (size_t)(eq - labels[i]) + 1);
		memcpy(key, labels[i], (size_t)(eq - labels[i]));
		print_json_string(f, key);
		free(key);
		fputc(':', f);
		print_json_string(f, *eq == '=' ? eq + 1 : "");
	}
	fputc('}', f);
}

/* Print a task's attempts as a JSON array. */
static void
print_json_attempts(FILE *f, const struct runnel_task *t)
{
	const struct runnel_attempt	*a;
	size_t				 i;

	fputc('[', f);
	for (i = 0; i < t->nattempts; i++) {
		a = &t->attempts[i];
		fprintf(f, "%s{\"number\":%u,\"state\":", i == 0 ? "" : ",",
		    a->number);
		print_json_string(f, runnel_state_name(a->state));
		fprintf(f, ",\"exit_code\":%d,\"signal\":%d,\"started_ms\":%"
		    PRId64 ",\"ended_ms\":%" PRId64 ",\"output_start\":%" PRIu64
		    ",\"output_end\":%" PRIu64 "}", a->exit_code, a->signal,
		    a->started_ms, a->ended_ms, a->output_start, a->output_end);
	}
	fputc(']', f);
}

/* Print a task as one JSON object. */
void
print_task_json(FILE *f, const struct runnel_task *t)
{
	char *const	*a;

	fprintf(f, "{\"id\":%" PRIu64 ",\"name\":", t->id);
	print_json_string(f, t->name);
	fputs(",\"state\":", f);
	print_json_string(f, runnel_state_name(t->state));
	fprintf(f, ",\"exit_code\":%d,\"signal\":%d,\"core_dumped\":%s,"
	    "\"owner\":", t->exit_code, t->signal,
	    t->core_dumped ? "true" : "false");
	print_json_string(f, t->owner);
	fputs(",\"argv\":[", f);
	for (a = t->argv; a != NULL && *a != NULL; a++) {
		if (a != t->argv)
			fputc(',', f);
		print_json_string(f, *a);
	}
	fprintf(f, "],\"created_ms\":%" PRId64 ",\"started_ms\":%" PRId64
	    ",\"ended_ms\":%" PRId64 ",\"pid\":%d,\"output_bytes\":%" PRIu64
	    ",\"cancelled_by\":", t->created_ms, t->started_ms, t->ended_ms,
	    t->pid, t->output_bytes);
	print_json_string(f, t->cancelled_by);
	fputs(",\"reason\":", f);
	print_json_string(f, t->reason);
	fputs(",\"cwd\":", f);
	print_json_string(f, t->cwd);
	fputs(",\"queue\":", f);
	print_json_string(f, t->queue);
	fprintf(f, ",\"priority\":%d,\"labels\":", t->priority);
	print_json_labels(f, t->labels);
	fputs(",\"attempts\":", f);
	print_json_attempts(f, t);
	fputs(",\"waiting_for\":", f);
	print_json_string(f, t->waiting_for);
	fputs(",\"after\":", f);
	print_json_ids(f, t->after, t->nafter);
	fputs(",\"after_any\":", f);
	print_json_ids(f, t->after_any, t->nafter_any);
	fprintf(f, ",\"timeout_ms\":%" PRIu64 ",\"retries\":%u,\"key\":",
	    t->timeout_ms, t->retries);
	print_json_string(f, t->key);
	fprintf(f, ",\"start_at_ms\":%" PRId64 ",\"restart_on_lost\":%s"
	    ",\"output_dropped\":%" PRIu64 "}", t->start_at_ms,
	    t->restart_on_lost ? "true" : "false", t->output_dropped);
}

/* Format milliseconds as "1h2m3s", "1s250ms", "300ms" or "0s". */
void
print_duration(char *buf, size_t len, uint64_t ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 ms;
	} units[] = {
		{ .suffix = "h", .ms = 3600 * 1000 },
		{ .suffix = "m", .ms = 60 * 1000 },
		{ .suffix = "s", .ms = 1000 },
		{ .suffix = "ms", .ms = 1 }
	};
	size_t	i, off = 0;
	int	n;

	snprintf(buf, len, "0s");
	for (i = 0; i < sizeof units / sizeof units[0] && ms > 0; i++) {
		if (ms < units[i].ms)
			continue;
		n = snprintf(buf + off, len - off, "%" PRIu64 "%s",
		    ms / units[i].ms, units[i].suffix);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
		ms %= units[i].ms;
	}
}

/* Format a unix time in ms as local "YYYY-MM-DD HH:MM:SS", or "-" for 0. */
void
print_time(char *buf, size_t len, int64_t ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);

	if (ms <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
}

/* Format unix microseconds as local ISO 8601 time with milliseconds. */
void
print_time_iso(char *buf, size_t len, int64_t us)
{
	struct tm	tm;
	time_t		t = (time_t)(us / 1000000);
	char		date[32], zone[16];

	if (us <= 0 || localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
	    strftime(zone, sizeof zone, "%z", &tm) == 0) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%s.%03d%s", date, (int)(us / 1000 % 1000), zone);
}

/* The length of the valid UTF-8 sequence at p (up to len bytes), or 0. */
static size_t
print_utf8_len(const unsigned char *p, size_t len)
{
	size_t		n, i;
	uint32_t	cp;

	if (*p >= 0xc2 && *p <= 0xdf) {
		n = 2;
		cp = *p & 0x1f;
	} else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		cp = *p & 0x0f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		cp = *p & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Print bytes as a JSON string: valid UTF-8 as it is, other bytes as
 * \u00XX (their Latin-1 reading), controls escaped. */
void
print_json_bytes(FILE *f, const void *data, size_t len)
{
	const unsigned char	*p = data, *end = p + len;
	size_t			 n, i;

	fputc('"', f);
	while (p < end) {
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
			continue;
		}
		if (*p == '\n' || *p == '\t') {
			fputs(*p++ == '\n' ? "\\n" : "\\t", f);
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		if (*p < 0x80) {
			fputc(*p++, f);
			continue;
		}
		n = print_utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		for (i = 0; i < n; i++)
			fputc(*p++, f);
	}
	fputc('"', f);
}
