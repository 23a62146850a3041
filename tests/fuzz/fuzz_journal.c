/*
 * fuzz_journal.c - libFuzzer target: journal replay on a throw-away daemon
 * state.  The input is either a raw journal file (first byte even) or,
 * so that the fuzzer reaches record decoding and task restoring rather than
 * stopping at the checksum, a list of records (2-byte big-endian length,
 * bytes) that the target frames with the right length and CRC-32C.  The
 * journal is opened (replayed, restored, compacted) and closed, and the
 * task table and queues are freed, each run.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"
#include "../jframe.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* tmpfs when there is one: replay fsyncs what it compacts. */
static char		 fuzz_dir[64];
static char		*fuzz_journal;
static struct config	*fuzz_conf;

/* A state directory and a configuration, once. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 path[128], *cause = NULL;
	FILE	*f;

	(void)argc;
	(void)argv;
	snprintf(fuzz_dir, sizeof fuzz_dir, "%s/fuzz_journal.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/runneld.conf", fuzz_dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "[server]\nstate_dir = %s\nsocket = none\n", fuzz_dir);
	fclose(f);
	if ((fuzz_conf = config_load(path, &cause)) == NULL)
		abort();
	fuzz_journal = xasprintf("%s/journal", fuzz_dir);
	log_init(1, 0);
	memset(&server, 0, sizeof server);
	server.conf = fuzz_conf;
	server.spool_dir = xasprintf("%s/tasks", fuzz_dir);
	mkdir(server.spool_dir, 0700);
	if ((server.base = event_base_new()) == NULL)
		abort();
	event_base_priority_init(server.base, PRI_COUNT);
	output_writer_start();
	return 0;
}

/* Write the input as the journal file. */
static void
fuzz_write(const uint8_t *data, size_t size)
{
	uint8_t	 hdr[8];
	size_t	 len;
	int	 fd;

	fd = open(fuzz_journal, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		abort();
	if (size > 0 && (data[0] & 1) == 0) {
		if (write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
			abort();
		close(fd);
		return;
	}
	if (size > 0) {
		data++;
		size--;
	}
	while (size >= 2) {
		len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		jframe_header(hdr, data, len);
		if (write(fd, hdr, sizeof hdr) != sizeof hdr ||
		    write(fd, data, len) != (ssize_t)len)
			abort();
		data += len;
		size -= len;
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*cause = NULL;

	fuzz_write(data, size);
	TAILQ_INIT(&server.sessions);
	queue_init();
	sched_init();
	if (journal_open(fuzz_dir, 1, &cause) != 0) {
		if (cause == NULL)
			abort();	/* a failure must say why */
		free(cause);
	}
	journal_close();
	task_free_all();
	sched_free();
	queue_free_all();
	server.nqueued = server.nqueued_deps = server.nrunning = 0;
	server.nfinished = 0;
	return 0;
}
