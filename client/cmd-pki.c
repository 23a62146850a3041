/*
 * cmd-pki.c - `runnel pki init` and `runnel pki issue`: make the CA, the
 * daemon's certificate and client certificates, without a connection, and
 * say which files were written.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <dirent.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

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
};

static int	cmd_pki_exec(struct cli *, int, char **);

const struct cmd_entry cmd_pki_entry = {
	.name = "pki",
	.usage = "init DIR --name DNS-OR-IP [--name ...] | issue DIR NAME\n"
	    "init makes a CA (ca.crt, ca.key) and a server certificate "
	    "(server.crt,\nserver.key) valid for each --name, a host name "
	    "or address, in DIR;\nissue adds NAME.crt and NAME.key, a client "
	    "certificate whose identity (CN)\nis NAME, signed by the CA in DIR.\n"
	    "Keys are ECDSA P-256 (CA, server) and Ed25519 (clients), "
	    "written mode 0600.\nNeeds no daemon.",
	.exec = cmd_pki_exec,
	.needs_connection = 0
};

static const struct option cmd_pki_options[] = {
	{ .name = "name", .has_arg = required_argument, .val = 'n' },
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

	return (strcmp(fa->path, fb->path));
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
	return (1);
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
	int	ch;

	pa->init = strcmp(argv[0], "init") == 0;
	pa->names = cli_calloc((size_t)argc, sizeof *pa->names);
	while ((ch = getopt_long(argc, argv, "h", cmd_pki_options,
	    NULL)) != -1) {
		if (ch != 'n' || !pa->init)
			return (cli_usage(cli, ch == 'h'));
		pa->names[pa->n++] = optarg;
	}
	if (argc - optind != (pa->init ? 1 : 2))
		return (cli_usage(cli, 0));
	if (pa->init && pa->n == 0) {
		cli_warnx("pki init: at least one --name is required");
		return (cli_usage(cli, 0));
	}
	pa->dir = argv[optind];
	pa->name = pa->init ? NULL : argv[optind + 1];
	return (CLI_CONTINUE);
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
	if (argc < 2 || (strcmp(argv[1], "init") != 0 &&
	    strcmp(argv[1], "issue") != 0)) {
		return (cli_usage(cli, argc >= 2 &&
		    (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0)));
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
	cmd_pki_scan(&after, pa.dir, 1);
	qsort(after.v, after.n, sizeof *after.v, cmd_pki_cmp);
	for (i = 0; i < after.n; i++) {
		if (cmd_pki_changed(&before, &after.v[i]))
			printf("wrote %s\n", after.v[i].path);
	}
	rv = CLI_EXIT_OK;
out:
	free(cause);
	free(pa.names);
	cmd_pki_free(&before);
	cmd_pki_free(&after);
	return (rv);
}
