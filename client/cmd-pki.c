/*
 * cmd-pki.c - `runnel pki init` and `runnel pki issue`: make the CA, the
 * daemon's certificate and client certificates, without a connection, and
 * say which files were written.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "runnel-cli.h"

/* One file seen in the directory: written if it is new or changed. */
struct cmd_pki_file {
	char		*path;
	struct stat	 sb;
};

struct cmd_pki_files {
	struct cmd_pki_file	*v;
	size_t			 n;
	size_t			 size;
};

/* What to make: init (a CA and server certificate for names) or issue. */
struct cmd_pki_args {
	int			 init;
	const char		*dir;
	const char		*name;
	const char		**names;
	size_t			 n;
	const char		*group;		/* init: server.key's group */
	const char		*out;		/* issue: copy to this dir */
	const char		*owner;		/* issue: chown the copies */
	gid_t			 gid;		/* of group */
	uid_t			 uid;		/* of owner */
	gid_t			 owner_gid;
};

static int	cmd_pki_exec(struct cli *, int, char **);

const struct cmd_entry cmd_pki_entry = {
	.name = "pki",
	.usage = "init DIR --name DNS-OR-IP [--name ...] [--group GROUP] |\n"
	    "       issue DIR NAME [--out DIR] [--owner USER]\n"
	    "init makes a CA (ca.crt, ca.key) and a server certificate "
	    "(server.crt,\nserver.key) valid for each --name, a host name "
	    "or address, in DIR, creating\nDIR and its parents; with --group, "
	    "DIR (0750) and server.key (0640) belong\nto GROUP, so that a "
	    "daemon running as GROUP can read them.\n"
	    "issue adds NAME.crt and NAME.key, a client certificate whose "
	    "identity (CN)\nis NAME, signed by the CA in DIR; --out DIR also "
	    "copies them with ca.crt\nto DIR (made 0700 if missing), "
	    "--owner USER gives those copies to USER.\n"
	    "Keys are ECDSA P-256 (CA, server) and Ed25519 (clients), "
	    "written mode 0600.\nNeeds no daemon.",
	.exec = cmd_pki_exec,
	.needs_connection = 0
};

static const struct option cmd_pki_options[] = {
	{ .name = "name", .has_arg = required_argument, .val = 'n' },
	{ .name = "group", .has_arg = required_argument, .val = 'g' },
	{ .name = "out", .has_arg = required_argument, .val = 'o' },
	{ .name = "owner", .has_arg = required_argument, .val = 'u' },
	{ .name = "help", .has_arg = no_argument, .val = 'h' },
	{ .name = NULL }
};

/* Record the regular files under a directory, depth levels down. */
static void
cmd_pki_scan(struct cmd_pki_files *files, const char *dir, int depth)
{
	struct dirent	*de;
	struct stat	 sb;
	size_t		 len = strlen(dir);
	char		*path;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = str_printf("%s%s%s", dir,
		    len > 0 && dir[len - 1] == '/' ? "" : "/", de->d_name);
		if (path == NULL || lstat(path, &sb) == -1) {
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode) && depth > 0)
			cmd_pki_scan(files, path, depth - 1);
		if (!S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		if (files->n == files->size) {
			files->size = files->size == 0 ? 16 : files->size * 2;
			files->v = reallocarray(files->v, files->size,
			    sizeof *files->v);
			if (files->v == NULL) {
				cli_warnx("out of memory");
				exit(CLI_EXIT_ERROR);
			}
		}
		files->v[files->n].path = path;
		files->v[files->n++].sb = sb;
	}
	closedir(d);
}

/* Order files by path. */
static int
cmd_pki_cmp(const void *a, const void *b)
{
	const struct cmd_pki_file	*fa = a, *fb = b;

	return strcmp(fa->path, fb->path);
}

/* Was this file absent or different before? */
static int
cmd_pki_changed(const struct cmd_pki_files *before,
    const struct cmd_pki_file *f)
{
	const struct stat	*a = &f->sb, *b;
	size_t			 i;

	for (i = 0; i < before->n; i++) {
		if (strcmp(before->v[i].path, f->path) != 0)
			continue;
		b = &before->v[i].sb;
		return (a->st_ino != b->st_ino || a->st_size != b->st_size ||
		    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
		    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
		    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
		    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec);
	}
	return 1;
}

/* Free a list of files. */
static void
cmd_pki_free(struct cmd_pki_files *files)
{
	size_t	i;

	for (i = 0; i < files->n; i++)
		free(files->v[i].path);
	free(files->v);
}

/* Parse "init DIR --name N..." or "issue DIR NAME" (argv[0] is the
 * subcommand); CLI_CONTINUE or an exit status. */
static int
cmd_pki_parse(struct cli *cli, int argc, char **argv, struct cmd_pki_args *pa)
{
	struct passwd	*pw;
	struct group	*gr;
	int		 ch;

	pa->init = strcmp(argv[0], "init") == 0;
	pa->names = cli_calloc((size_t)argc, sizeof *pa->names);
	while ((ch = getopt_long(argc, argv, "h", cmd_pki_options,
	    NULL)) != -1) {
		if (ch == 'n' && pa->init)
			pa->names[pa->n++] = optarg;
		else if (ch == 'g' && pa->init)
			pa->group = optarg;
		else if (ch == 'o' && !pa->init)
			pa->out = optarg;
		else if (ch == 'u' && !pa->init)
			pa->owner = optarg;
		else
			return cli_usage(cli, ch == 'h');
	}
	if (pa->owner != NULL && pa->out == NULL) {
		cli_warnx("pki issue: --owner needs --out");
		return cli_usage(cli, 0);
	}
	/* Names are looked up before anything is made. */
	if (pa->group != NULL) {
		if ((gr = getgrnam(pa->group)) == NULL) {
			cli_warnx("pki init: no group %s", pa->group);
			return CLI_EXIT_ERROR;
		}
		pa->gid = gr->gr_gid;
	}
	if (pa->owner != NULL) {
		if ((pw = getpwnam(pa->owner)) == NULL) {
			cli_warnx("pki issue: no user %s", pa->owner);
			return CLI_EXIT_ERROR;
		}
		pa->uid = pw->pw_uid;
		pa->owner_gid = pw->pw_gid;
	}
	if (argc - optind != (pa->init ? 1 : 2))
		return cli_usage(cli, 0);
	if (pa->init && pa->n == 0) {
		cli_warnx("pki init: at least one --name is required");
		return cli_usage(cli, 0);
	}
	pa->dir = argv[optind];
	pa->name = pa->init ? NULL : argv[optind + 1];
	/* runneld refuses such a CN: only a socket peer is a local user. */
	if (!pa->init && strncmp(pa->name, "unix:", 5) == 0) {
		cli_warnx("pki issue: client name '%s': runneld refuses a "
		    "certificate whose CN starts with unix:", pa->name);
		return CLI_EXIT_USAGE;
	}
	return CLI_CONTINUE;
}

/* Give dir (0750) and its server.key (0640) to a group, and the
 * certificates too: a daemon of that group reads them, no one else the
 * key.  0, or -1 with *cause. */
static int
cmd_pki_group(const char *dir, gid_t gid, char **cause)
{
	const char	*names[] = { "", "server.key", "server.crt", "ca.crt" };
	const mode_t	 modes[] = { 0750, 0640, 0644, 0644 };
	char		*path;
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		path = str_printf("%s/%s", dir, names[i]);
		if (path == NULL || chown(path, (uid_t)-1, gid) != 0 ||
		    chmod(path, modes[i]) != 0) {
			*cause = str_printf("%s: %s", path != NULL ? path :
			    dir, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
	}
	return 0;
}

/* Create dir (0700) and its missing parents (0755), as mkdir -p; those
 * it creates belong to --owner if given.  0, or -1 with *cause. */
static int
cmd_pki_mkdirs(const char *dir, const struct cmd_pki_args *pa, char **cause)
{
	char	*p, *slash;

	if ((p = str_printf("%s", dir)) == NULL)
		goto fail;
	for (slash = strchr(p + 1, '/'); ; slash = strchr(slash + 1, '/')) {
		if (slash != NULL && slash[1] == '\0')
			slash = NULL;
		if (slash != NULL)
			*slash = '\0';
		if (mkdir(p, slash != NULL ? 0755 : 0700) == 0) {
			if (pa->owner != NULL &&
			    chown(p, pa->uid, pa->owner_gid) != 0)
				goto fail;
		} else if (errno != EEXIST)
			goto fail;
		if (slash == NULL)
			break;
		*slash = '/';
	}
	free(p);
	return 0;
fail:
	*cause = str_printf("cannot create directory %s: %s", p != NULL ? p :
	    dir, strerror(errno));
	free(p);
	return -1;
}

/* Copy src/name to dst/name with mode; an identical dst is kept, a
 * different one refused.  1 when written, 0 when kept, -1 with *cause. */
static int
cmd_pki_copy(const char *src, const char *dst, const char *name, mode_t mode,
    const struct cmd_pki_args *pa, char **cause)
{
	char	 buf[16384], old[16384], *from, *to;
	ssize_t	 n, m = -1;
	int	 in = -1, out = -1, rc = -1;

	from = str_printf("%s/%s", src, name);
	to = str_printf("%s/%s", dst, name);
	if (from == NULL || to == NULL) {
		*cause = str_printf("%s", strerror(ENOMEM));
		goto out;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (n = read(in, buf, sizeof buf)) == -1) {
		*cause = str_printf("cannot read %s: %s", from,
		    strerror(errno));
		goto out;
	}
	/* A key or a certificate is a few hundred bytes. */
	if ((size_t)n == sizeof buf) {
		*cause = str_printf("%s: too large", from);
		goto out;
	}
	if ((out = open(to, O_RDONLY | O_CLOEXEC)) != -1) {
		m = read(out, old, sizeof old);
		if (m != n || memcmp(buf, old, (size_t)n) != 0) {
			*cause = str_printf("%s exists and differs from %s: "
			    "refusing to overwrite it", to, from);
			goto out;
		}
		rc = 0;
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out == -1 || fchmod(out, mode) != 0 ||
	    (pa->owner != NULL && fchown(out, pa->uid, pa->owner_gid) != 0) ||
	    write(out, buf, (size_t)n) != n || fsync(out) != 0) {
		*cause = str_printf("cannot write %s: %s", to,
		    strerror(errno));
		if (out != -1)
			unlink(to);
		goto out;
	}
	printf("wrote %s\n", to);
	rc = 1;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) != 0 && rc == 1) {
		*cause = str_printf("cannot write %s: %s", to,
		    strerror(errno));
		rc = -1;
	}
	free(from);
	free(to);
	return rc;
}

/* issue --out: copy NAME.crt, NAME.key and ca.crt to pa->out, owned by
 * pa->owner if given.  0, or -1 with *cause. */
static int
cmd_pki_export(const struct cmd_pki_args *pa, char **cause)
{
	char		*key = NULL, *crt = NULL;
	int		 rc = -1;

	if (cmd_pki_mkdirs(pa->out, pa, cause) != 0)
		return -1;
	key = str_printf("%s.key", pa->name);
	crt = str_printf("%s.crt", pa->name);
	if (key == NULL || crt == NULL) {
		*cause = str_printf("%s", strerror(ENOMEM));
		goto out;
	}
	if (cmd_pki_copy(pa->dir, pa->out, "ca.crt", 0644, pa, cause) < 0 ||
	    cmd_pki_copy(pa->dir, pa->out, crt, 0644, pa, cause) < 0 ||
	    cmd_pki_copy(pa->dir, pa->out, key, 0600, pa, cause) < 0)
		goto out;
	rc = 0;
out:
	free(key);
	free(crt);
	return rc;
}

/* Make certificates; print each file written. */
static int
cmd_pki_exec(struct cli *cli, int argc, char **argv)
{
	struct cmd_pki_files	 before, after;
	struct cmd_pki_args	 pa;
	char			*cause = NULL;
	size_t			 i;
	int			 rc, rv;

	memset(&before, 0, sizeof before);
	memset(&after, 0, sizeof after);
	memset(&pa, 0, sizeof pa);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return cli_usage(cli, 1);
	if (argc < 2 || (strcmp(argv[1], "init") != 0 &&
	    strcmp(argv[1], "issue") != 0)) {
		if (argc >= 2)
			cli_warnx("pki: unknown operation: %s (init or issue)",
			    argv[1]);
		return cli_usage(cli, 0);
	}
	if ((rv = cmd_pki_parse(cli, argc - 1, argv + 1, &pa)) != CLI_CONTINUE)
		goto out;

	cmd_pki_scan(&before, pa.dir, 1);
	if (pa.init)
		rc = runnel_pki_init(pa.dir, pa.names, pa.n, &cause);
	else
		rc = runnel_pki_issue(pa.dir, pa.name, &cause);
	if (rc < 0) {
		cli_warnx("pki %s %s: %s", argv[1], pa.dir, cause != NULL ?
		    cause : runnel_strerror(rc));
		rv = print_error_status(rc);
		goto out;
	}
	if (pa.group != NULL && cmd_pki_group(pa.dir, pa.gid, &cause) != 0)
		goto fail;
	cmd_pki_scan(&after, pa.dir, 1);
	qsort(after.v, after.n, sizeof *after.v, cmd_pki_cmp);
	for (i = 0; i < after.n; i++) {
		if (cmd_pki_changed(&before, &after.v[i]))
			printf("wrote %s\n", after.v[i].path);
	}
	if (pa.out != NULL && cmd_pki_export(&pa, &cause) != 0)
		goto fail;
	rv = CLI_EXIT_OK;
	goto out;
fail:
	cli_warnx("pki %s: %s", argv[1], cause);
	rv = CLI_EXIT_ERROR;
out:
	free(cause);
	free(pa.names);
	cmd_pki_free(&before);
	cmd_pki_free(&after);
	return rv;
}
