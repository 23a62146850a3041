/*
 * submit.c - the smallest blocking librunnel program: connect, run a
 * command, print its output and its exit status.
 *
 *	cc submit.c $(pkg-config --cflags --libs runnel) -o submit
 *	RUNNEL_HOST=host:7433 RUNNEL_CA=ca.crt RUNNEL_CERT=me.crt \
 *	    RUNNEL_KEY=me.key ./submit uname -a
 *
 * Without RUNNEL_HOST it uses the daemon's local unix socket.  The program
 * exits with the task's exit status (128+N if a signal N ended it).
 */

#include <stdio.h>
#include <stdlib.h>

#include <runnel.h>

/* Copy each chunk of output to our own stdout or stderr. */
static int
output_cb(void *arg, uint64_t task_id, enum runnel_stream stream,
    uint64_t offset, const void *data, size_t len, int64_t time_us)
{
	(void)arg;
	(void)task_id;
	(void)offset;
	(void)time_us;
	fwrite(data, 1, len, stream == RUNNEL_STDOUT ? stdout : stderr);
	return (0);
}

/* Keep the task as it ended: the library frees it after the call. */
static int
end_cb(void *arg, const struct runnel_task *task)
{
	struct runnel_task	*ended = arg;

	ended->id = task->id;
	ended->state = task->state;
	ended->exit_code = task->exit_code;
	ended->signal = task->signal;
	return (0);
}

int
main(int argc, char *argv[])
{
	struct runnel_connect_opts	 opts = { 0 };
	struct runnel_watch_opts	 watch = { 0 };
	struct runnel_spec		 spec = { 0 };
	struct runnel_task		 ended = { 0 };
	struct runnel_client		*c;
	uint64_t			 id;
	int				 r;

	if (argc < 2) {
		fprintf(stderr, "usage: submit COMMAND [ARG...]\n");
		return (2);
	}
	opts.host = getenv("RUNNEL_HOST");
	opts.ca = getenv("RUNNEL_CA");
	opts.cert = getenv("RUNNEL_CERT");
	opts.key = getenv("RUNNEL_KEY");
	opts.client_name = "submit example";
	if ((r = runnel_connect(&c, &opts)) != 0) {
		fprintf(stderr, "submit: %s: %s\n", runnel_strerror(r),
		    runnel_last_error(NULL));
		return (3);
	}

	spec.argv = (const char *const *)(argv + 1);
	watch.on_output = output_cb;
	watch.on_end = end_cb;
	watch.arg = &ended;
	if ((r = runnel_run(c, &spec, &id, &watch)) != 0) {
		fprintf(stderr, "submit: %s: %s\n", runnel_strerror(r),
		    runnel_last_error(c));
		runnel_close(c);
		return (3);
	}
	fflush(stdout);
	fprintf(stderr, "task %llu: %s, exit status %d\n",
	    (unsigned long long)id, runnel_state_name(ended.state),
	    ended.signal != 0 ? 128 + ended.signal : ended.exit_code);
	runnel_close(c);
	if (ended.signal != 0)
		return (128 + ended.signal);
	return (ended.exit_code);
}
