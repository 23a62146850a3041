/*
 * runneld.c - the daemon's entry point: options, configuration, and the
 * loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "runneld.h"

/* Print usage and exit. */
static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: runneld [-fv] [-c FILE] [--check-config]\n"
	    "       runneld --version | --help\n"
	    "  -c, --config FILE   configuration (default %s/runnel/runneld.conf)\n"
	    "  -f, --foreground    stay in the foreground, log to stderr\n"
	    "  -v, --verbose       log debug lines too\n"
	    "      --check-config  check the configuration and TLS files, then exit\n"
	    "      --version       print the version and exit\n"
	    "  -h, --help          print this and exit\n"
	    "      --unsafe-no-fsync  never fdatasync the journal (benchmarks "
	    "only)\n", SYSCONFDIR);
	exit(status);
}

/* Write our pid to the pid file, replacing it atomically. */
static int
runneld_write_pid(const char *path, char **cause)
{
	char	*tmp, buf[32];
	int	 fd, n, rc = -1;

	tmp = xasprintf("%s.tmp", path);
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, buf, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		*cause = xasprintf("pid file %s: %s", path, strerror(errno));
		unlink(tmp);
	} else
		rc = 0;
	free(tmp);
	return rc;
}

/* For --check-config: is the pid file's directory there to write it in?
 * 0, or -1 with *cause. */
static int
runneld_check_pid_dir(const char *path, char **cause)
{
	const char	*slash = strrchr(path, '/');
	struct stat	 st;
	char		*dir;
	int		 rc = 0;

	if (slash == NULL || slash == path)
		return 0;
	dir = xstrndup(path, (size_t)(slash - path));
	if (stat(dir, &st) == -1) {
		*cause = xasprintf("[server] pid_file %s: its directory %s: %s",
		    path, dir, strerror(errno));
		rc = -1;
	} else if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("[server] pid_file %s: %s is not a "
		    "directory", path, dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

/*
 * Go into the background.  The parent waits until the child says it is
 * ready (listening, journal replayed, pid file written) and exits 0, or 1
 * if the child died first: "runneld && echo started" means it.  Returns the
 * fd to write that word to.
 */
static int
runneld_daemonize(void)
{
	char	c;
	int	fds[2], fd;
	ssize_t	n;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	switch (fork()) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(fds[1]);
		while ((n = read(fds[0], &c, 1)) == -1 && errno == EINTR)
			;
		if (n != 1)
			fprintf(stderr, "runneld: start-up failed: see the log "
			    "(syslog or journal)\n");
		_exit(n == 1 ? 0 : 1);
	}
	close(fds[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	return fds[1];
}

/* Tell the waiting parent we are up, and let go of its stderr. */
static void
runneld_detached(int fd)
{
	int	null;

	if (write(fd, "r", 1) != 1)
		log_warn("telling the parent process we are ready");
	close(fd);
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

/* Raise the soft descriptor limit to the hard one: each running task
 * holds a few (10,000 tasks need ~30,000).  Tasks get the original back
 * (task_exec_nofile): some use select(). */
static void
runneld_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		old;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	old = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("raising RLIMIT_NOFILE");
		return;
	}
	task_exec_nofile = old;
	log_debug("RLIMIT_NOFILE raised from %llu to %llu; tasks get %llu",
	    (unsigned long long)old, (unsigned long long)rl.rlim_cur,
	    (unsigned long long)old);
}

int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "unsafe-no-fsync", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct config	*conf;
	const char	*path = NULL;
	char		*cause = NULL, *real = NULL;
	int		 ch, foreground = 0, verbose = 0, check = 0;
	int		 ready_fd = -1;
	char		 progname[] = "runneld";

	/* getopt's messages start with argv[0]: "runneld", not its path. */
	argv[0] = progname;
	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'v':
			verbose = 1;
			server_verbose = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 'U':
			server_nosync = 1;
			break;
		case 'V':
			printf("runneld %s\n", RUNNELD_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "runneld: unexpected argument '%s'\n",
		    argv[optind]);
		usage(2);
	}
	if (path == NULL)
		path = SYSCONFDIR "/runnel/runneld.conf";

	log_init(1, verbose);
	/* Relative paths in the file are relative to it: make it absolute so
	 * that they stay right after daemonizing changes directory. */
	if ((real = realpath(path, NULL)) != NULL)
		path = real;
	if ((conf = config_load(path, &cause)) == NULL)
		fatalx("%s", cause);
	if (check) {
		if (server_init(conf, 1, &cause) != 0 ||
		    (conf->pid_file != NULL &&
		    runneld_check_pid_dir(conf->pid_file, &cause) != 0))
			fatalx("%s", cause);
		printf("%s: configuration OK\n", path);
		server_free();
		config_free(conf);
		free(real);
		return 0;
	}
	if (!foreground)
		ready_fd = runneld_daemonize();
	if (log_setup(conf->log, foreground, verbose ? LOG_DEBUG :
	    conf->log_level) == LOG_TO_JOURNAL)
		log_debug("logging to the journal");
	runneld_raise_nofile();
	if (server_init(conf, 0, &cause) != 0)
		fatalx("%s", cause);
	if (!foreground && conf->pid_file != NULL &&
	    runneld_write_pid(conf->pid_file, &cause) != 0)
		fatalx("%s", cause);
	if (ready_fd != -1)
		runneld_detached(ready_fd);
	server_run();
	log_notice("exiting");
	/* A reload may have replaced the configuration. */
	conf = server.conf;
	server_free();
	/* Last, once the state directory's lock is released: whoever starts
	 * runneld again when the pid file goes must find the lock free. */
	if (!foreground && conf->pid_file != NULL)
		unlink(conf->pid_file);
	config_free(conf);
	free(real);
	return 0;
}
