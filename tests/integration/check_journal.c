/*
 * check_journal.c - durability: kill -9 and restart, torn and corrupt
 * journals, compaction, ids across restarts, one daemon per state dir,
 * restart-on-lost, and a full disk (what cannot be recorded is held).
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "harness.h"
#include "rawc.h"

static struct harness	h;
static char		journal[160];

static void
setup(void)
{
	harness_start(&h, "max_running = 1\n");
	snprintf(journal, sizeof journal, "%s/state/journal", h.dir);
}

static void
teardown(void)
{
	harness_stop(&h);
}

/* Submit argv over a fresh raw connection. */
static uint64_t
submit(const char *const *argv, int restart_on_lost)
{
	struct rawc		 rc;
	Runnel__V1__TaskSpec	*spec = rawc_spec(argv);
	uint64_t		 id;

	rawc_open(&rc, &h);
	spec->restart_on_lost = restart_on_lost;
	id = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	rawc_close(&rc);
	return id;
}

/* A task as the daemon describes it now. */
static Runnel__V1__ServerMessage *
show(uint64_t id)
{
	struct rawc			 rc;
	Runnel__V1__ServerMessage	*r;

	rawc_open(&rc, &h);
	r = rawc_show(&rc, id);
	rawc_close(&rc);
	return r;
}

/* Wait until a task has ended. */
static void
wait_task(uint64_t id)
{
	struct rawc	rc;

	rawc_open(&rc, &h);
	rawc_free(rawc_wait(&rc, &id, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0,
	    0));
	rawc_close(&rc);
}

/* Keep the first chunk, then stop the watch. */
static int
first_chunk_cb(void *arg, uint64_t id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	collect_output_cb(arg, id, stream, offset, data, len, time_us);
	return 1;
}

/* Wait until a task has written its first line (its pid). */
static int
first_line_pid(uint64_t id)
{
	struct runnel_client		*c = harness_client(&h, NULL);
	struct runnel_watch_opts	 wo;
	struct collect			 col;
	int				 pid;

	memset(&col, 0, sizeof col);
	memset(&wo, 0, sizeof wo);
	wo.ids = &id;
	wo.nids = 1;
	wo.on_output = first_chunk_cb;
	wo.arg = &col;
	ck_assert_int_eq(runnel_watch(c, &wo), 1);
	runnel_close(c);
	pid = atoi(col.out);
	collect_free(&col);
	return pid;
}

/* Run a second runneld on the same config; its exit status and stderr. */
static int
run_second(char **err)
{
	char	*argv[] = { getenv("RUNNELD"), (char *)(uintptr_t)"-f",
	    (char *)(uintptr_t)"-c", h.conf, NULL };
	char	*out;
	int	 status;

	status = harness_run(argv, &out, NULL, err);
	free(out);
	return status;
}

START_TEST(test_kill9_restart)
{
	const char			*ok[] = { "echo", "kept", NULL };
	const char			*slow[] = { "sh", "-c",
	    "echo $$; exec sleep 30", NULL };
	const char			*later[] = { "echo", "later", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 a, b, c, d;
	struct pollfd			 pfd;
	int				 pid;

	a = submit(ok, 0);
	wait_task(a);
	b = submit(slow, 0);
	c = submit(later, 0);		/* queued: max_running is 1 */
	pid = first_line_pid(b);
	ck_assert_int_gt(pid, 1);
	r = show(c);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_QUEUED);
	rawc_free(r);

	harness_crash(&h);
	harness_spawn(&h, NULL);

	r = show(a);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	ck_assert_uint_eq(r->task->task->output_bytes, 5);
	rawc_free(r);
	r = show(b);
	ck_assert_int_eq(r->task->task->state, RUNNEL__V1__TASK_STATE__TASK_LOST);
	ck_assert_str_eq(r->task->task->reason,
	    "runneld stopped while the task ran");
	rawc_free(r);
	/* Its leftover process was killed. */
	pfd.fd = pidfd_open(pid, 0);
	if (pfd.fd != -1) {
		pfd.events = POLLIN;
		ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
		close(pfd.fd);
	}
	ck_assert_int_eq(harness_wait_log(&h, "killing its leftover"), 0);
	/* The queued one runs now; ids continue. */
	wait_task(c);
	r = show(c);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	d = submit(ok, 0);
	ck_assert_uint_eq(d, c + 1);
	/* And the old output is still there to watch. */
	{
		struct runnel_client		*cl = harness_client(&h, NULL);
		struct runnel_watch_opts	 wo;
		struct collect			 col;

		memset(&col, 0, sizeof col);
		memset(&wo, 0, sizeof wo);
		wo.ids = &a;
		wo.nids = 1;
		wo.on_output = collect_output_cb;
		wo.arg = &col;
		ck_assert_int_eq(runnel_watch(cl, &wo), 0);
		ck_assert_str_eq(col.out, "kept\n");
		collect_free(&col);
		runnel_close(cl);
	}
}
END_TEST

START_TEST(test_restart_on_lost)
{
	const char			*slow[] = { "sh", "-c",
	    "echo $$; exec sleep 30", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 b;

	b = submit(slow, 1);
	ck_assert_int_gt(first_line_pid(b), 1);
	harness_crash(&h);
	harness_spawn(&h, NULL);
	r = show(b);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_RUNNING);
	ck_assert_uint_eq(r->task->task->n_attempts, 2);
	ck_assert_int_eq(r->task->task->attempts[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_LOST);
	rawc_free(r);
}
END_TEST

START_TEST(test_torn_tail_cut)
{
	const char			*ok[] = { "true", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 a;
	int				 fd;
	/* A header announcing 100 bytes, and only 10 of them. */
	static const uint8_t		 torn[18] = { 100, 0, 0, 0, 1, 2, 3, 4 };

	a = submit(ok, 0);
	wait_task(a);
	harness_crash(&h);
	fd = open(journal, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, torn, sizeof torn), sizeof torn);
	close(fd);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "truncated record at offset"), 0);
	ck_assert_int_eq(harness_wait_log(&h, "cutting 18 bytes"), 0);
	r = show(a);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
}
END_TEST

START_TEST(test_corrupt_middle_refused)
{
	const char	*ok[] = { "true", NULL };
	uint64_t	 a, b;
	uint8_t		 byte;
	int		 fd;
	char		*err;

	a = submit(ok, 0);
	b = submit(ok, 0);
	wait_task(a);
	wait_task(b);
	harness_crash(&h);
	/* Flip a byte inside the first record's payload. */
	fd = open(journal, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &byte, 1, 12), 1);
	byte ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &byte, 1, 12), 1);
	close(fd);
	ck_assert_int_ne(run_second(&err), 0);
	ck_assert_ptr_nonnull(strstr(err,
	    "corrupt record at offset 0 (checksum mismatch)"));
	free(err);
	/* Put it back: the daemon starts and nothing was lost. */
	fd = open(journal, O_RDWR);
	byte ^= 0xff;
	ck_assert_int_eq(pwrite(fd, &byte, 1, 12), 1);
	close(fd);
	harness_spawn(&h, NULL);
	rawc_free(show(a));
	rawc_free(show(b));
}
END_TEST

START_TEST(test_compaction_keeps_everything)
{
	const char			*argv[] = { "echo", "x", NULL };
	Runnel__V1__ServerMessage	*r;
	uint64_t			 ids[20];
	struct stat			 st1, st2;
	size_t				 i;
	int				 round;

	for (i = 0; i < 20; i++)
		ids[i] = submit(argv, 0);
	for (i = 0; i < 20; i++)
		wait_task(ids[i]);
	ck_assert_int_eq(stat(journal, &st1), 0);
	/* Each restart compacts: one record per task, however many state
	 * changes it had. */
	for (round = 0; round < 2; round++) {
		harness_shutdown(&h);
		harness_spawn(&h, NULL);
	}
	ck_assert_int_eq(stat(journal, &st2), 0);
	ck_assert_int_lt(st2.st_size, st1.st_size);
	for (i = 0; i < 20; i++) {
		r = show(ids[i]);
		ck_assert_int_eq(r->task->task->state,
		    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
		ck_assert_uint_eq(r->task->task->output_bytes, 2);
		ck_assert_uint_eq(r->task->task->n_attempts, 1);
		rawc_free(r);
	}
	ck_assert_uint_eq(submit(argv, 0), 21);
}
END_TEST

START_TEST(test_one_daemon_per_state_dir)
{
	char	*err, want[64];

	ck_assert_int_ne(run_second(&err), 0);
	snprintf(want, sizeof want, "is in use by runneld pid %ld",
	    (long)h.pid);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	free(err);
	/* The first one is unharmed. */
	rawc_free(show(submit((const char *[]){ "true", NULL }, 0)));
}
END_TEST

/* A child that takes the state directory's lock, as a process a killed
 * runneld was starting holds it until its exec: the lock file still names
 * the dead runneld.  With release_on_open, it lets the lock go 200 ms
 * after the next runneld opens the lock file (so that runneld found it
 * held, however slowly it started, e.g. under valgrind); else it holds it
 * until killed. */
static pid_t
hold_lock(int release_on_open)
{
	char			 path[200], c, ev[4096];
	int			 p[2], fd, in;
	pid_t			 pid;

	snprintf(path, sizeof path, "%s/state/lock", h.dir);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		fd = open(path, O_RDWR);
		if (fd == -1 || flock(fd, LOCK_EX) == -1)
			_exit(1);
		in = inotify_init1(IN_CLOEXEC);
		if (in == -1 || inotify_add_watch(in, path, IN_OPEN) == -1)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		if (!release_on_open) {
			pause();
			_exit(0);
		}
		if (read(in, ev, sizeof ev) <= 0)
			_exit(1);
		usleep(200 * 1000);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* A restart right after kill -9 waits for a lock a dead runneld's child
 * still holds (and says so), instead of refusing; a live holder past the
 * wait is named for what it is. */
START_TEST(test_lock_left_by_child)
{
	char	*err;
	pid_t	 holder;
	int	 status;

	harness_crash(&h);
	holder = hold_lock(1);
	harness_spawn(&h, NULL);
	ck_assert_int_eq(harness_wait_log(&h, "for the lock a runneld that "
	    "exited left"), 0);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	rawc_free(show(submit((const char *[]){ "true", NULL }, 0)));

	harness_crash(&h);
	holder = hold_lock(0);
	ck_assert_int_ne(run_second(&err), 0);
	ck_assert_msg(strstr(err, "has exited, but a process it started "
	    "still holds its lock") != NULL, "%s", err);
	free(err);
	kill(holder, SIGKILL);
	ck_assert_int_eq(waitpid(holder, &status, 0), holder);
	harness_spawn(&h, NULL);
	rawc_free(show(submit((const char *[]){ "true", NULL }, 0)));
}
END_TEST

START_TEST(test_full_disk)
{
	char			 state[200], spool[300], script[400];
	char			*probe[] = { (char *)(uintptr_t)"/usr/bin/unshare",
	    (char *)(uintptr_t)"-rm", (char *)(uintptr_t)"true", NULL };
	const char		*wrap[] = { "unshare", "-rm", "sh", "-c", script,
	    NULL };
	const char		*flood[] = { "head", "-c", "1048576",
	    "/dev/zero", NULL };
	const char		*ok[] = { "true", NULL };
	struct rawc		 rc;
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	char			*out, *err;
	uint64_t		 a, b, last = 0;
	int			 code, n;

	/* A 256 KiB tmpfs as the state dir, in a user and mount namespace
	 * of the daemon's own. */
	if (harness_run(probe, &out, NULL, &err) != 0) {
		fprintf(stderr, "test_full_disk: no user namespaces here (%s); "
		    "not run\n", err);
		free(out);
		free(err);
		return;
	}
	free(out);
	free(err);
	harness_shutdown(&h);
	snprintf(state, sizeof state, "%s/state", h.dir);
	snprintf(script, sizeof script, "mount -t tmpfs -o size=256k tmpfs "
	    "%s && exec \"$@\"", state);
	{
		/* sh -c SCRIPT NAME ARGS: "$@" is runneld's argv. */
		const char	*w[] = { wrap[0], wrap[1], wrap[2], wrap[3],
		    wrap[4], "sh", NULL };

		harness_spawn(&h, w);
	}
	rawc_open(&rc, &h);
	spec = rawc_spec(flood);
	a = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	rawc_free(rawc_wait(&rc, &a, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0));
	ck_assert_int_eq(harness_wait_log(&h, "spool write failed"), 0);

	/* Full (the journal's last page may still take a few records):
	 * submissions are refused, clearly, and nothing of them stays. */
	spec = rawc_spec(ok);
	for (n = 0; n < 1000; n++) {
		if ((last = rawc_submit(&rc, spec, &code)) == 0)
			break;
		ck_assert_uint_eq(last, a + 1 + n);
	}
	ck_assert_uint_eq(last, 0);
	ck_assert_int_eq(code, RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(harness_wait_log(&h, "No space left on device"), 0);
	r = rawc_show(&rc, a);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);

	/* Space comes back: submissions are accepted again. */
	snprintf(spool, sizeof spool, "/proc/%ld/root%s/tasks/%llu.log",
	    (long)h.pid, state, (unsigned long long)a);
	ck_assert_msg(truncate(spool, 0) == 0, "%s", spool);
	b = rawc_submit(&rc, spec, NULL);
	ck_assert_uint_eq(b, a + 1 + n);
	rawc_free(rawc_wait(&rc, &b, 1, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0));
	r = rawc_show(&rc, b);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	rawc_spec_free(spec);
	rawc_close(&rc);
}
END_TEST

/* Fill the filesystem a path is on, with a file at path, to the last
 * page. */
static void
fill_fs(const char *path)
{
	static char	zero[4096];
	int		fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd != -1, "%s", path);
	while (write(fd, zero, sizeof zero) > 0)
		continue;
	close(fd);
}

/* On a full disk nothing the journal cannot record is acted on: a start
 * waits (queued, saying why), an end is held (still running, no one told)
 * and a submission is refused; once space is back the end is written and
 * told and the queued task starts.  (A tmpfs in a user and mount
 * namespace of the daemon's own, filled from outside by the test.) */
START_TEST(test_full_disk_holds)
{
	char			 state[200], script[400], fill[300], text[80];
	char			*probe[] = { (char *)(uintptr_t)"/usr/bin/unshare",
	    (char *)(uintptr_t)"-rm", (char *)(uintptr_t)"true", NULL };
	const char		*w[] = { "unshare", "-rm", "sh", "-c", script,
	    "sh", NULL };
	const char		*sleeper[] = { "sleep", "600", NULL };
	const char		*ok[] = { "true", NULL };
	Runnel__V1__ClientMessage m = RUNNEL__V1__CLIENT_MESSAGE__INIT;
	Runnel__V1__CancelRequest cr = RUNNEL__V1__CANCEL_REQUEST__INIT;
	struct rawc		 rc;
	Runnel__V1__TaskSpec	*spec;
	Runnel__V1__ServerMessage *r;
	char			*out, *err;
	uint64_t		 a, b, ids[2];
	int			 code, i;

	if (harness_run(probe, &out, NULL, &err) != 0) {
		fprintf(stderr, "test_full_disk_holds: no user namespaces here "
		    "(%s); not run\n", err);
		free(out);
		free(err);
		return;
	}
	free(out);
	free(err);
	harness_shutdown(&h);
	snprintf(state, sizeof state, "%s/state", h.dir);
	snprintf(script, sizeof script, "mount -t tmpfs -o size=256k tmpfs "
	    "%s && exec \"$@\"", state);
	harness_spawn(&h, w);
	rawc_open(&rc, &h);
	spec = rawc_spec(sleeper);
	a = rawc_submit(&rc, spec, NULL);
	rawc_spec_free(spec);
	snprintf(text, sizeof text, "task %llu: started", (unsigned long long)a);
	ck_assert_int_eq(harness_wait_log(&h, text), 0);
	spec = rawc_spec(ok);
	b = rawc_submit(&rc, spec, NULL);	/* queued: max_running 1 */

	/* Fill the disk, then the journal's last page with the smallest
	 * records there are (a queue's). */
	snprintf(fill, sizeof fill, "/proc/%ld/root%s/fill", (long)h.pid,
	    state);
	fill_fs(fill);
	for (i = 0; i < 400; i++)
		rawc_free(rawc_queue(&rc, RUNNEL__V1__QUEUE_OP__QUEUE_SET,
		    "default", 1));
	ck_assert_int_eq(harness_wait_log(&h, "journal: queue default"), 0);
	ck_assert_uint_eq(rawc_submit(&rc, spec, &code), 0);
	ck_assert_int_eq(code, RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED);

	/* The sleeper is killed: its end cannot be recorded, so it is held
	 * and the task still shows running; the queued one does not start
	 * and says why. */
	cr.n_task_ids = 1;
	cr.task_ids = &a;
	cr.signal = 9;
	m.request_case = RUNNEL__V1__CLIENT_MESSAGE__REQUEST_CANCEL;
	m.cancel = &cr;
	r = rawc_call(&rc, &m);
	ck_assert_int_eq(r->reply_case, RUNNEL__V1__SERVER_MESSAGE__REPLY_CANCEL);
	rawc_free(r);
	snprintf(text, sizeof text, "task %llu: cancelled, not told until",
	    (unsigned long long)a);
	ck_assert_int_eq(harness_wait_log(&h, text), 0);
	r = rawc_show(&rc, a);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_RUNNING);
	rawc_free(r);
	r = rawc_show(&rc, b);
	ck_assert_int_eq(r->task->task->state,
	    RUNNEL__V1__TASK_STATE__TASK_QUEUED);
	ck_assert_str_eq(r->task->task->waiting_for,
	    "the journal cannot be written: No space left on device");
	rawc_free(r);
	ck_assert_uint_eq(rawc_submit(&rc, spec, &code), 0);
	ck_assert_int_eq(code, RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED);

	/* Space comes back: the end is written and told, then the queued
	 * task runs, and submissions are accepted. */
	ck_assert_msg(unlink(fill) == 0, "%s", fill);
	ids[0] = a;
	ids[1] = b;
	r = rawc_wait(&rc, ids, 2, RUNNEL__V1__WAIT_MODE__WAIT_ALL, 0, 0);
	ck_assert_uint_eq(r->wait->n_tasks, 2);
	ck_assert_int_eq(r->wait->tasks[0]->state,
	    RUNNEL__V1__TASK_STATE__TASK_CANCELLED);
	ck_assert_int_eq(r->wait->tasks[0]->signal, 9);
	ck_assert_int_eq(r->wait->tasks[1]->state,
	    RUNNEL__V1__TASK_STATE__TASK_SUCCEEDED);
	rawc_free(r);
	ck_assert_int_eq(harness_wait_log(&h, "can be written again"), 0);
	ck_assert_uint_ne(rawc_submit(&rc, spec, NULL), 0);
	rawc_spec_free(spec);
	rawc_close(&rc);
}
END_TEST

START_TEST(test_key_mode_refused)
{
	char	path[200], *err;

	harness_shutdown(&h);
	snprintf(path, sizeof path, "%s/server.key", h.pki);
	/* Others may read it: refused whoever owns it. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_ne(run_second(&err), 0);
	ck_assert_msg(strstr(err, "is readable by group or others (mode 0644)")
	    != NULL, "%s", err);
	free(err);
	/* Its group may read it: refused unless root owns it (runnel pki
	 * init --group). */
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path, 65534, (gid_t)-1), 0);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_ne(run_second(&err), 0);
	ck_assert_msg(strstr(err, "is readable by group or others (mode 0640)")
	    != NULL, "%s", err);
	free(err);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path, 0, (gid_t)-1), 0);
	ck_assert_int_eq(chmod(path, 0600), 0);
	harness_spawn(&h, NULL);
}
END_TEST

/* CPU ticks the daemon has used. */
static long
daemon_ticks(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut = 0, st = 0;
	int		 fd, field;
	ssize_t		 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (field = 2; p != NULL && field < 14; field++)
		p = strchr(p + 1, ' ');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 1, "%lu %lu", &ut, &st), 2);
	return (long)(ut + st);
}

START_TEST(test_emfile_backs_off)
{
	const char		*wrap[] = { "prlimit", "--nofile=48", NULL };
	struct runnel_client	*c;
	struct runnel_status	 st;
	struct timespec		 t0, t1;
	int			 fds[80], i;
	long			 ticks;

	harness_shutdown(&h);
	harness_spawn(&h, wrap);
	for (i = 0; i < 80; i++)
		fds[i] = harness_raw_unix(&h);
	ck_assert_int_eq(harness_wait_log(&h, "Too many open files"), 0);
	/* Out of descriptors, it does not spin: under 5% of a CPU. */
	ticks = daemon_ticks(h.pid);
	poll(NULL, 0, 1000);
	ck_assert_int_le(daemon_ticks(h.pid) - ticks,
	    sysconf(_SC_CLK_TCK) / 20);
	/* Descriptors come back: it accepts again within a second or so. */
	for (i = 0; i < 80; i++)
		close(fds[i]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c = harness_client(&h, NULL);
	ck_assert_int_eq(runnel_status(c, &st), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000, 2500);
	runnel_close(c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("journal");
	TCase	*tc = tcase_create("journal");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_kill9_restart);
	tcase_add_test(tc, test_restart_on_lost);
	tcase_add_test(tc, test_torn_tail_cut);
	tcase_add_test(tc, test_corrupt_middle_refused);
	tcase_add_test(tc, test_compaction_keeps_everything);
	tcase_add_test(tc, test_one_daemon_per_state_dir);
	tcase_add_test(tc, test_lock_left_by_child);
	tcase_add_test(tc, test_full_disk);
	tcase_add_test(tc, test_full_disk_holds);
	tcase_add_test(tc, test_key_mode_refused);
	tcase_add_test(tc, test_emfile_backs_off);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
