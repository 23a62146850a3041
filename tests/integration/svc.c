/*
 * svc.c - helpers shared by the service tests (check_service, check_reload).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "svc.h"

/* Replace the first occurrence of from by to in a file. */
void
svc_edit_file(const char *path, const char *from, const char *to)
{
	char	*text = NULL, *p, *out;
	size_t	 len = 0;
	FILE	*f;

	f = fopen(path, "r");
	ck_assert(f != NULL);
	ck_assert(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	p = strstr(text, from);
	ck_assert_msg(p != NULL, "%s not in %s", from, path);
	out = malloc(strlen(text) + strlen(to) + 1);
	memcpy(out, text, (size_t)(p - text));
	strcpy(out + (p - text), to);
	strcat(out, p + strlen(from));
	harness_write_file(path, out);
	free(out);
	free(text);
}

/* The number of the first line of a file that is exactly LINE. */
int
svc_line_of(const char *path, const char *line)
{
	char	 buf[512];
	int	 n = 0;
	FILE	*f;

	f = fopen(path, "r");
	ck_assert(f != NULL);
	while (fgets(buf, sizeof buf, f) != NULL) {
		n++;
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, line) == 0) {
			fclose(f);
			return n;
		}
	}
	fclose(f);
	ck_abort_msg("no line '%s' in %s", line, path);
	return -1;
}

/* Count occurrences of text in the daemon's log. */
int
svc_log_count(struct harness *h, const char *text)
{
	const char	*p;
	int		 n = 0;

	pthread_mutex_lock(&h->log_mtx);
	for (p = h->log; p != NULL && (p = strstr(p, text)) != NULL; p++)
		n++;
	pthread_mutex_unlock(&h->log_mtx);
	return n;
}

/* Submit a task that prints, waits for DIR/go, prints again. */
uint64_t
svc_submit_waiting(struct harness *h, struct runnel_client *c, char *script,
    size_t len)
{
	struct runnel_spec	 spec;
	const char		*argv[4];
	uint64_t		 id;

	snprintf(script, len, "echo begin; while [ ! -e %s/go ]; do "
	    "sleep 0.02; done; echo end", h->dir);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	ck_assert_int_eq(runnel_submit(c, &spec, &id), 0);
	return id;
}

/* Wait for a daemon that is shutting down by itself to exit, cleanly (a
 * second SIGTERM from harness_shutdown could hit it after its handlers are
 * gone). */
void
svc_wait_exit(struct harness *h)
{
	int	status;

	ck_assert(waitpid(h->pid, &status, 0) == h->pid);
	h->pid = 0;
	pthread_join(h->log_thread, NULL);
	close(h->log_fd);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "runneld did not exit cleanly: status %d: %s", status,
	    h->log == NULL ? "" : h->log);
}
