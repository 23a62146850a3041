/*
 * fuzz_config.c - libFuzzer target: runneld's configuration reader on
 * arbitrary file contents (through a memfd, so no file is written).  A
 * file that loads is checked for the invariants the daemon relies on.
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 fd = -1;
	struct config	*conf;
	char		 path[64], *cause = NULL;
	size_t		 i;

	if (fd == -1 && (fd = memfd_create("runneld.conf", 0)) == -1)
		abort();
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	conf = config_load(path, &cause);
	if (conf == NULL) {
		/* Every error names the file. */
		if (cause == NULL || strncmp(cause, path, strlen(path)) != 0)
			abort();
		free(cause);
		return 0;
	}
	if (conf->state_dir == NULL || conf->state_dir[0] != '/' ||
	    conf->max_frame == 0 || conf->max_argv == 0 ||
	    conf->max_startups.start > conf->max_startups.full)
		abort();
	for (i = 0; i < conf->naccess; i++)
		if (access_role(conf, conf->access[i].name) == ROLE_NONE)
			abort();
	config_free(conf);
	return 0;
}
