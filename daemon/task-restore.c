/*
 * task-restore.c - rebuilding the task table from the journal at start:
 * tasks come back with their spec, state, attempts and output; queued ones
 * queue again, and ones that were running when runneld died become LOST
 * (or queue again if their spec asks), their leftover process group
 * killed if it is still the same process (pid and start time).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"

/* A process's start time (clock ticks since boot), 0 if it is gone. */
uint64_t
task_pid_start(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long long	 start = 0;
	ssize_t			 n;
	int			 fd, field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* Fields after the command, which may hold spaces and parens. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

/* Ids continue after the highest ever given, removed tasks included. */
void
task_restore_next_id(uint64_t next)
{
	if (next > 0 && next - 1 > server.last_id)
		server.last_id = next - 1;
}

/* What task_restore_utf8 found in one record. */
struct task_restore_fix {
	size_t	n;
	char	first[WIRE_PATH_MAX];
};

/* A wire_walk callback: replace a `string` value that is not UTF-8 with
 * its escaped copy (both with the allocator free_unpacked frees with). */
static int
task_restore_utf8_cb(const ProtobufCMessageDescriptor *md,
    const ProtobufCFieldDescriptor *f, void *value, const char *path,
    void *arg)
{
	struct task_restore_fix	*fx = arg;
	char			**slot = value, *esc;

	(void)md;
	if ((esc = wire_string_escape(f, value)) == NULL)
		return 0;
	free(*slot);
	*slot = esc;
	if (fx->n++ == 0)
		snprintf(fx->first, sizeof fx->first, "%s", path);
	return 0;
}

/* A journal written before `string` fields were checked at the boundary
 * may hold texts that are not UTF-8: replay them escaped (\xHH), as the
 * daemon shows such bytes everywhere else, so that every reply about the
 * task decodes. */
void
task_restore_utf8(Runnel__Journal__V1__Record *r, uint64_t off)
{
	struct task_restore_fix	fx = { 0, "" };

	wire_walk(&r->base, task_restore_utf8_cb, &fx);
	if (fx.n > 0)
		log_warnx("journal: record at offset %llu: %zu text%s not "
		    "UTF-8 (%s%s), escaped", (unsigned long long)off, fx.n,
		    fx.n == 1 ? "" : "s", fx.first, fx.n == 1 ? "" : ", ...");
}

/* Apply one journal record: create the task from its first record, then
 * take the newest state of each later one. */
int
task_restore(const Runnel__Journal__V1__TaskRecord *tr, char **cause)
{
	struct task	*t;
	size_t		 i;

	if (tr->id == 0 || tr->id > TASK_ID_MAX) {
		*cause = xasprintf("journal: bad task id %llu (1 to %llu)",
		    (unsigned long long)tr->id,
		    (unsigned long long)TASK_ID_MAX);
		return -1;
	}
	/* The id was given, whatever becomes of its task. */
	if (tr->id > server.last_id)
		server.last_id = tr->id;
	t = task_find(tr->id);
	if (tr->removed) {
		if (t != NULL) {
			task_table_remove(t);
			task_free(t);
		}
		return 0;
	}
	if (t == NULL) {
		if (tr->spec == NULL) {
			*cause = xasprintf("journal: task %llu changes state "
			    "before its submission record",
			    (unsigned long long)tr->id);
			return -1;
		}
		t = xcalloc(1, sizeof *t);
		TAILQ_INIT(&t->cursors);
		LIST_INIT(&t->waits);
		t->kind = &task_exec_kind;
		t->id = tr->id;
		if (task_spec_take(t, tr->spec, cause) != 0) {
			task_free(t);
			return -1;
		}
		t->owner = task_owner_get(tr->owner);
		t->grace_ms = server.conf->grace_ms;
		/* The connection its streamed stdin came on is gone. */
		t->stdin_eof = t->spec->stdin_stream;
		task_table_add(t);
	}
	if ((t->queue = queue_find(tr->queue)) == NULL)
		t->queue = queue_find("default");
	t->state = (enum task_state)tr->state;
	t->created_ms = tr->created_ms;
	t->started_ms = tr->started_ms;
	t->ended_ms = tr->ended_ms;
	t->exit_code = tr->exit_code;
	t->signal = tr->signal;
	t->core_dumped = tr->core_dumped;
	free(t->reason);
	t->reason = tr->reason[0] != '\0' ? xstrdup(tr->reason) : NULL;
	free(t->cancelled_by);
	t->cancelled_by = tr->cancelled_by[0] != '\0' ?
	    xstrdup(tr->cancelled_by) : NULL;
	t->pid = tr->pid;
	t->pid_start = tr->pid_start;
	if (t->replay == NULL)
		t->replay = xcalloc(1, sizeof *t->replay);
	t->replay->drop[0] = tr->drop_offset;
	t->replay->drop[1] = tr->drop_end_offset;
	t->replay->drop[2] = tr->drop_pos;
	t->replay->drop[3] = tr->drop_end_pos;
	t->replay->removed = tr->output_removed;
	t->replay->size = tr->output_size;
	t->not_before_ms = tr->not_before_ms;
	t->timeout_ms = tr->timeout_ms;
	free(t->attempts);
	t->nattempts = tr->n_attempts;
	t->attempts = xcalloc(t->nattempts, sizeof *t->attempts);
	for (i = 0; i < t->nattempts; i++) {
		t->attempts[i].state = (enum task_state)tr->attempts[i]->state;
		t->attempts[i].exit_code = tr->attempts[i]->exit_code;
		t->attempts[i].signal = tr->attempts[i]->signal;
		t->attempts[i].started_ms = tr->attempts[i]->started_ms;
		t->attempts[i].ended_ms = tr->attempts[i]->ended_ms;
		t->attempts[i].output_start = tr->attempts[i]->output_start;
		t->attempts[i].output_end = tr->attempts[i]->output_end;
	}
	return 0;
}

/* A task was running when runneld died: kill what is left of it, if the
 * pid still names the same process, and end it LOST or queue it again. */
static void
task_restore_lost(struct task *t)
{
	struct attempt	*a;
	int		 requeue = t->spec->restart_on_lost;

	if (t->pid > 0 && t->pid_start != 0 &&
	    task_pid_start(t->pid) == t->pid_start) {
		log_info("task %llu: killing its leftover process group %ld",
		    (unsigned long long)t->id, (long)t->pid);
		kill(-t->pid, SIGKILL);
	}
	if (t->nattempts > 0) {
		a = &t->attempts[t->nattempts - 1];
		a->state = TASK_LOST;
		a->ended_ms = server_now_ms();
		a->output_end = output_size(t->output);
	}
	t->pid = 0;
	t->pid_start = 0;
	if (requeue) {
		log_info("task %llu: was running when runneld stopped; "
		    "queued again", (unsigned long long)t->id);
		t->state = TASK_QUEUED;
	} else {
		log_info("task %llu: lost: runneld stopped while it ran",
		    (unsigned long long)t->id);
		t->state = TASK_LOST;
		t->ended_ms = server_now_ms();
		free(t->reason);
		t->reason = xstrdup("runneld stopped while the task ran");
	}
	/* Recorded now, not only by the start-up compaction, which a full
	 * disk puts off; if this fails too, journal_retry writes it. */
	journal_task(t, 0);
}

/* Open a restored task's output, now that its retention state is known. */
static int
task_restore_output(struct task *t, char **cause)
{
	char	*path;

	path = xasprintf("%s/%llu.log", server.spool_dir,
	    (unsigned long long)t->id);
	t->output = output_open(path, OUTPUT_TAIL, t->replay->drop,
	    t->replay->removed, t->replay->size, cause);
	free(path);
	free(t->replay);
	t->replay = NULL;
	return t->output == NULL ? -1 : 0;
}

/* After replay: open outputs, count, queue, and settle the tasks that
 * were running. */
int
task_restore_done(char **cause)
{
	struct task	*t;
	size_t		 i;

	TASK_FOREACH(t, i) {
		if (task_restore_output(t, cause) != 0)
			return -1;
		if (t->state == TASK_RUNNING)
			task_restore_lost(t);
		if (t->state == TASK_QUEUED)
			task_count_queued(t, 1);
		else
			server.nfinished++;
	}
	if (server.ntasks > 0)
		log_info("restored %zu tasks: %u queued, %u finished",
		    server.ntasks, server.nqueued, server.nfinished);
	sched_request();
	return 0;
}
