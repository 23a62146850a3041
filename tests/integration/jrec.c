/*
 * jrec.c - write journal records by hand (see jrec.h), in the format
 * journal.c reads: 4-byte little-endian length, 4-byte CRC-32C, payload.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "jrec.h"
#include "../jframe.h"

/* Append one record to a journal file. */
void
jrec_append(const char *path, const Runnel__Journal__V1__Record *r)
{
	size_t	 len = runnel__journal__v1__record__get_packed_size(r);
	uint8_t	*buf = malloc(8 + len);
	int	 fd;

	ck_assert_ptr_nonnull(buf);
	runnel__journal__v1__record__pack(r, buf + 8);
	jframe_header(buf, buf + 8, len);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s", path);
	ck_assert_int_eq(write(fd, buf, 8 + len), (ssize_t)(8 + len));
	close(fd);
	free(buf);
}

/* Append a finished task's first record. */
void
jrec_task(const char *path, uint64_t id, const char *owner)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr =
	    RUNNEL__JOURNAL__V1__TASK_RECORD__INIT;
	Runnel__V1__TaskSpec		 spec = RUNNEL__V1__TASK_SPEC__INIT;
	ProtobufCBinaryData		 argv[1];

	argv[0].data = (uint8_t *)(uintptr_t)"true";
	argv[0].len = 4;
	spec.argv = argv;
	spec.n_argv = 1;
	tr.id = id;
	tr.spec = &spec;
	tr.owner = (char *)(uintptr_t)owner;
	tr.queue = (char *)(uintptr_t)"default";
	tr.state = RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED;
	tr.created_ms = tr.started_ms = tr.ended_ms = 1;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	jrec_append(path, &r);
}

/* Append a record that a task was removed. */
void
jrec_removed(const char *path, uint64_t id)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__TaskRecord	 tr =
	    RUNNEL__JOURNAL__V1__TASK_RECORD__INIT;

	tr.id = id;
	tr.removed = 1;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_TASK;
	r.task = &tr;
	jrec_append(path, &r);
}

/* Append a next-id record. */
void
jrec_meta(const char *path, uint64_t next_id)
{
	Runnel__Journal__V1__Record	 r = RUNNEL__JOURNAL__V1__RECORD__INIT;
	Runnel__Journal__V1__MetaRecord	 mr =
	    RUNNEL__JOURNAL__V1__META_RECORD__INIT;

	mr.next_id = next_id;
	r.record_case = RUNNEL__JOURNAL__V1__RECORD__RECORD_META;
	r.meta = &mr;
	jrec_append(path, &r);
}
