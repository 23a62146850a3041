/*
 * spawn.c - start a task's process: what posix_spawn does, with a child of
 * our own.
 *
 * The child needs a lower soft RLIMIT_NOFILE than runneld's (programs that
 * use select() break above 1,024), which posix_spawn cannot set: the loop
 * used to lower runneld's own limit around the call and raise it again,
 * four prlimit calls per task in which no other thread could open more than
 * 1,024 descriptors.  glibc's posix_spawn also maps and unmaps a stack for
 * each child (the unmap flushes the TLBs of every CPU the daemon's threads
 * ran on) and leaves its two internal signals ignored in the child.  Here
 * the loop vforks on its own stack and the child sets its session,
 * descriptors, directory and descriptor limit and executes the program.
 * bench/spawn, 4 x 4,000 `true` interleaved, twice: runneld's own CPU
 * 106 and 127 ticks per 4,000 tasks against 117 and 139 with posix_spawn.
 *
 * The child only makes system calls and writes its errno into the request.
 * Every signal is blocked across the vfork, so the child starts with them
 * blocked and unblocks them only after setting every disposition back to the
 * default (the handlers are runneld's, in memory the child shares).
 *
 * The loop waits while the child sets up and the kernel loads the program
 * (vfork returns then), as it did in posix_spawn: 0.4 ms for `true` here.
 * A thread that spawned instead (tried: 129 ticks) costs more CPU in the
 * switches between it and the loop than it saves, and on these two CPUs
 * the CPU per task is what bounds tasks per second.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runneld.h"

/* Execute file, searching PATH when it has no '/', as execvp does but
 * without its fallback of handing a file the kernel will not execute (no
 * #! line) to /bin/sh, which posix_spawnp does not do either.  Returns only
 * on failure. */
static void
spawn_exec(const struct spawn *sp)
{
	char		 path[PATH_MAX];
	const char	*p, *end;
	size_t		 dlen, flen;
	int		 eacces = 0;

	if (strchr(sp->file, '/') != NULL) {
		execve(sp->file, sp->argv, sp->envp);
		return;
	}
	flen = strlen(sp->file);
	for (p = sp->path; p != NULL; p = *end == ':' ? end + 1 : NULL) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		dlen = end - p;
		if (dlen + flen + 2 > sizeof path)
			continue;
		/* An empty element is the current directory. */
		if (dlen == 0)
			memcpy(path, sp->file, flen + 1);
		else {
			memcpy(path, p, dlen);
			path[dlen] = '/';
			memcpy(path + dlen + 1, sp->file, flen + 1);
		}
		execve(path, sp->argv, sp->envp);
		switch (errno) {
		case EACCES:
			eacces = 1;
			break;
		case ENOENT:
		case ENOTDIR:
		case ESTALE:
		case ENODEV:
		case ETIMEDOUT:
			break;
		default:
			return;
		}
	}
	errno = eacces ? EACCES : ENOENT;
}

/* In the vforked child: set up and execute, or record why not and exit. */
static void __attribute__((noreturn))
spawn_child(struct spawn *sp)
{
	/* The kernel's struct sigaction, all zeros: SIG_DFL, no flags, an
	 * empty mask, whatever its layout on this architecture.  The system
	 * call, not sigaction(3), which refuses libc's internal signals (32
	 * and 33; runneld may have been started with them ignored). */
	static const unsigned long	dfl[8];
	struct rlimit			rl;
	sigset_t			none;
	int				sig, fd;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, dfl, NULL,
			    (NSIG - 1) / 8);
	}
	if (setsid() == -1)
		goto fail;
	for (fd = 0; fd < 3; fd++) {
		if (sp->fd[fd] == fd) {
			if (fcntl(fd, F_SETFD, 0) == -1)
				goto fail;
		} else if (dup2(sp->fd[fd], fd) == -1)
			goto fail;
	}
	if (sp->cwd != NULL && chdir(sp->cwd) == -1)
		goto fail;
	if (sp->nofile != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = sp->nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			goto fail;
	}
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	spawn_exec(sp);
fail:
	sp->error = errno;
	_exit(127);
}

/* Start sp's process: sp->pid, or the errno in sp->error. */
void
spawn_run(struct spawn *sp)
{
	volatile struct spawn	*vsp = sp;
	sigset_t		 all, old;
	pid_t			 pid;
	int			 status;

	sp->pid = 0;
	sp->error = 0;
	if (sp->path == NULL && (sp->path = getenv("PATH")) == NULL)
		sp->path = "/bin:/usr/bin";
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		spawn_child(sp);
	if (pid == -1)
		sp->error = errno;
	else if (vsp->error != 0) {
		/* It has exited: vfork returned at its _exit. */
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
	} else
		sp->pid = pid;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
