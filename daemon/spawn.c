/*
 * spawn.c - start a task's process: what posix_spawn does, with a child of
 * our own that does not make the loop wait for it.
 *
 * The child needs a lower soft RLIMIT_NOFILE than runneld's (programs that
 * use select() break above 1,024), which posix_spawn cannot set, and glibc's
 * posix_spawn leaves its two internal signals ignored in the child.  Here
 * the child resets every signal disposition, sets its session, descriptors,
 * directory and descriptor limit, and executes the program.
 *
 * posix_spawn and vfork suspend the caller until the child has executed
 * (or failed to): for `true` on these machines 0.46 ms on average, most of
 * it waiting for a CPU, and the loop did nothing else meanwhile: it was
 * two thirds of the loop's time per task in bench/spawn.  So the child is
 * a clone(CLONE_VM) without CLONE_VFORK: it shares runneld's memory, runs
 * on a stack of its own in a block that also holds a copy of everything it
 * reads, and the loop goes on at once.  The kernel clears the block's
 * `running` word when the child executes or exits (CLONE_CHILD_CLEARTID);
 * only then is the block freed.  A program that could not be executed is
 * known late: the child exits 127 with its errno in the block, and the
 * task asks spawn_reaped() once it has reaped it.  bench/spawn, 5 x 4,000
 * `true` interleaved with the vfork build: 1,682-2,190 tasks/s against
 * 1,284-1,634 (the C ceiling's posix_spawn loop: 1,349-2,268), and
 * runneld's CPU 82-109 ticks per 4,000 tasks against 106-137.
 *
 * While it shares runneld's memory the child must write nothing but its
 * stack and its block: it makes its system calls by spawn_sys(), which
 * returns -errno instead of setting errno (errno is the loop thread's: the
 * child runs with its thread pointer), and calls no other libc function
 * that keeps state.  Every signal is blocked across the clone, so the
 * child starts with them blocked and unblocks them only after setting every
 * disposition back to the default.
 *
 * On architectures without spawn_sys() in assembly, and with RUNNELD_VFORK
 * set in the environment (valgrind cannot run a clone that shares memory
 * without being a thread), the child is a vfork and the loop waits as it
 * did with posix_spawn.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runneld.h"

#if defined(__x86_64__)
#define SPAWN_SHARED	1
/* A system call that leaves errno alone: -errno on failure. */
static inline long
spawn_sys(long nr, long a, long b, long c, long d)
{
	register long	r10 __asm__("r10") = d;
	long		ret;

	__asm__ volatile ("syscall" : "=a" (ret) : "a" (nr), "D" (a),
	    "S" (b), "d" (c), "r" (r10) : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
#define SPAWN_SHARED	1
static inline long
spawn_sys(long nr, long a, long b, long c, long d)
{
	register long	x8 __asm__("x8") = nr;
	register long	x0 __asm__("x0") = a;
	register long	x1 __asm__("x1") = b;
	register long	x2 __asm__("x2") = c;
	register long	x3 __asm__("x3") = d;

	__asm__ volatile ("svc 0" : "+r" (x0) : "r" (x8), "r" (x1), "r" (x2),
	    "r" (x3) : "memory");
	return x0;
}
#else
#define SPAWN_SHARED	0
/* Only ever in a vfork child: the parent waits, so errno is free. */
static long
spawn_sys(long nr, long a, long b, long c, long d)
{
	long	ret = syscall(nr, a, b, c, d);

	return ret == -1 ? -errno : ret;
}
#endif

/* The child's functions are not instrumented by AddressSanitizer: its
 * run-time would take the child for the loop thread (same thread pointer),
 * warn about a stack it does not know and keep state in shared memory. */
#define SPAWN_CHILD	__attribute__((no_sanitize_address))

/* The child's stack: spawn_exec's path buffer and a few small frames. */
#define SPAWN_STACK	(32 * 1024)

/* A shared-memory child's block: its request, with every pointer pointing
 * into the block, then the strings, then its stack. */
struct spawn_child {
	struct spawn_child	*next;
	pid_t			 pid;
	_Atomic pid_t		 running;	/* 0 once executed or exited */
	struct rlimit		 nofile;
	struct spawn		 sp;
	char			*vec[];		/* argv, NULL, envp, NULL */
};

static struct spawn_child	*spawn_children;
int				 spawn_vfork = -1;

/* strchr and strlen for the child, which calls nothing of libc's. */
static SPAWN_CHILD const char *
spawn_end(const char *s, int c)
{
	while (*s != '\0' && *s != c)
		s++;
	return s;
}

/* Execute file, searching PATH when it has no '/', as execvp does but
 * without its fallback of handing a file the kernel will not execute (no
 * #! line) to /bin/sh, which posix_spawnp does not do either.  Returns
 * the errno (as a negative number) why not. */
static SPAWN_CHILD long
spawn_exec(const struct spawn *sp)
{
	char		 path[PATH_MAX];
	const char	*p, *end;
	size_t		 dlen, flen, i;
	long		 error;
	int		 eacces = 0;

	if (*spawn_end(sp->file, '/') == '/')
		return spawn_sys(SYS_execve, (long)sp->file, (long)sp->argv,
		    (long)sp->envp, 0);
	flen = spawn_end(sp->file, '\0') - sp->file;
	for (p = sp->path; p != NULL; p = *end == ':' ? end + 1 : NULL) {
		end = spawn_end(p, ':');
		dlen = end - p;
		if (dlen + flen + 2 > sizeof path)
			continue;
		/* An empty element is the current directory. */
		for (i = 0; i < dlen; i++)
			path[i] = p[i];
		if (dlen != 0)
			path[dlen++] = '/';
		for (i = 0; i <= flen; i++)
			path[dlen + i] = sp->file[i];
		error = spawn_sys(SYS_execve, (long)path, (long)sp->argv,
		    (long)sp->envp, 0);
		switch (-error) {
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
			return error;
		}
	}
	return eacces ? -EACCES : -ENOENT;
}

/* In the child: set up and execute, or record why not and exit. */
static SPAWN_CHILD void __attribute__((noreturn))
spawn_child(struct spawn *sp, const struct rlimit *nofile)
{
	/* The kernel's struct sigaction, all zeros: SIG_DFL, no flags, an
	 * empty mask, whatever its layout on this architecture.  The system
	 * call, not sigaction(3), which refuses libc's internal signals (32
	 * and 33; runneld may have been started with them ignored). */
	static const unsigned long	dfl[8];
	static const unsigned long	none[8];
	long				error;
	int				sig, fd;

	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP)
			spawn_sys(SYS_rt_sigaction, sig, (long)dfl, 0,
			    (NSIG - 1) / 8);
	}
	if ((error = spawn_sys(SYS_setsid, 0, 0, 0, 0)) < 0)
		goto fail;
	for (fd = 0; fd < 3; fd++) {
		if (sp->fd[fd] == fd)
			error = spawn_sys(SYS_fcntl, fd, F_SETFD, 0, 0);
		else
			error = spawn_sys(SYS_dup3, sp->fd[fd], fd, 0, 0);
		if (error < 0)
			goto fail;
	}
	/* A default directory (a home) that cannot be entered is /, as
	 * login(1) does. */
	if (sp->cwd != NULL &&
	    (error = spawn_sys(SYS_chdir, (long)sp->cwd, 0, 0, 0)) < 0 &&
	    (!sp->cwd_home ||
	    (error = spawn_sys(SYS_chdir, (long)"/", 0, 0, 0)) < 0))
		goto fail;
	if (nofile != NULL && (error = spawn_sys(SYS_prlimit64, 0,
	    RLIMIT_NOFILE, (long)nofile, 0)) < 0)
		goto fail;
	spawn_sys(SYS_close_range, 3, ~0U, 0, 0);
	spawn_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)none, 0,
	    (NSIG - 1) / 8);
	error = spawn_exec(sp);
fail:
	sp->error = -error;
	for (;;)
		spawn_sys(SYS_exit_group, 127, 0, 0, 0);
}

/* The shared-memory child's start (clone's function). */
static SPAWN_CHILD int
spawn_child_start(void *arg)
{
	struct spawn_child	*c = arg;

	spawn_child(&c->sp, c->sp.nofile != 0 ? &c->nofile : NULL);
}

/* Free the blocks of children that have executed; those that failed wait
 * for spawn_reaped(). */
static void
spawn_collect(void)
{
	struct spawn_child	**cp, *c;

	for (cp = &spawn_children; (c = *cp) != NULL;) {
		if (atomic_load(&c->running) == 0 && c->sp.error == 0) {
			*cp = c->next;
			free(c);
		} else
			cp = &c->next;
	}
}

/* Copy s to *p, advancing it; returns the copy. */
static char *
spawn_copy(char **p, const char *s)
{
	size_t	 len = strlen(s) + 1;
	char	*d = *p;

	memcpy(d, s, len);
	*p += len;
	return d;
}

/* Start sp's process in a child sharing our memory (see above). */
static void
spawn_shared(struct spawn *sp)
{
	struct spawn_child	*c;
	sigset_t		 all, old;
	size_t			 argc, envc, i, size, strings;
	char			*p, *top;
	pid_t			 pid;

	spawn_collect();
	strings = strlen(sp->file) + strlen(sp->path) + 2;
	if (sp->cwd != NULL)
		strings += strlen(sp->cwd) + 1;
	for (argc = 0; sp->argv[argc] != NULL; argc++)
		strings += strlen(sp->argv[argc]) + 1;
	for (envc = 0; sp->envp[envc] != NULL; envc++)
		strings += strlen(sp->envp[envc]) + 1;
	size = sizeof *c + (argc + envc + 2) * sizeof c->vec[0];
	if ((c = malloc(size + strings + SPAWN_STACK)) == NULL) {
		sp->error = errno;
		return;
	}
	c->sp = *sp;
	p = (char *)c + size;
	for (i = 0; i < argc; i++)
		c->vec[i] = spawn_copy(&p, sp->argv[i]);
	c->vec[argc] = NULL;
	for (i = 0; i < envc; i++)
		c->vec[argc + 1 + i] = spawn_copy(&p, sp->envp[i]);
	c->vec[argc + 1 + envc] = NULL;
	c->sp.argv = c->vec;
	c->sp.envp = c->vec + argc + 1;
	c->sp.file = spawn_copy(&p, sp->file);
	c->sp.path = spawn_copy(&p, sp->path);
	if (sp->cwd != NULL)
		c->sp.cwd = spawn_copy(&p, sp->cwd);
	getrlimit(RLIMIT_NOFILE, &c->nofile);
	c->nofile.rlim_cur = sp->nofile;
	atomic_store(&c->running, 1);
	top = (char *)((uintptr_t)(p + SPAWN_STACK) & ~(uintptr_t)15);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(spawn_child_start, top, CLONE_VM | CLONE_CHILD_CLEARTID |
	    SIGCHLD, c, NULL, NULL, &c->running);
	if (pid == -1)
		sp->error = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		free(c);
		return;
	}
	c->pid = sp->pid = pid;
	c->next = spawn_children;
	spawn_children = c;
}

/* Start sp's process in a vfork child: back when it has executed. */
static void
spawn_vforked(struct spawn *sp)
{
	volatile struct spawn	*vsp = sp;
	struct rlimit		 nofile;
	sigset_t		 all, old;
	pid_t			 pid;
	int			 status;

	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = sp->nofile;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		spawn_child(sp, sp->nofile != 0 ? &nofile : NULL);
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

/* Start sp's process: sp->pid, or the errno in sp->error.  With a shared-
 * memory child, a program that cannot be executed still gives a pid: its
 * errno comes from spawn_reaped(). */
void
spawn_run(struct spawn *sp)
{
	sp->pid = 0;
	sp->error = 0;
	if (sp->path == NULL && (sp->path = getenv("PATH")) == NULL)
		sp->path = "/bin:/usr/bin";
	if (spawn_vfork == -1)
		spawn_vfork = !SPAWN_SHARED || getenv("RUNNELD_VFORK") != NULL;
	if (spawn_vfork)
		spawn_vforked(sp);
	else
		spawn_shared(sp);
}

/* The child pid, started by spawn_run, has been reaped: why its program
 * could not be executed (an errno), or 0. */
int
spawn_reaped(pid_t pid)
{
	struct spawn_child	**cp, *c;
	int			  error;

	for (cp = &spawn_children; (c = *cp) != NULL; cp = &c->next) {
		if (c->pid == pid) {
			error = c->sp.error;
			*cp = c->next;
			free(c);
			return error;
		}
	}
	return 0;
}
