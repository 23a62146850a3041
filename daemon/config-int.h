/*
 * config-int.h - what config.c (the file reader) and config-set.c (the key
 * table and its setters) share; nothing outside the two includes it.
 */
#ifndef RUNNELD_CONFIG_INT_H
#define RUNNELD_CONFIG_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

#define CONFIG_SUN_PATH_MAX		(sizeof ((struct sockaddr_un *)0)->sun_path)

#define config_nitems(a)		(sizeof (a) / sizeof (a)[0])

/* What config_load carries from line to line. */
struct config_parse {
	struct config	*conf;
	const char	*file;
	unsigned long	 line;		/* 0: not about one line */
	char		*dir;		/* absolute directory of the file */
	const char	*section;	/* NULL before the first header */
	char		 title[sizeof "queue " + CONFIG_QUEUE_NAME_MAX];
	void		*base;		/* struct config or config_queue */
	uint64_t	 seen;		/* bit i: config_keys[i] was given */
	int		 socket_set;	/* socket given, maybe as "none" */
	char		*cause;
};

struct config_key;
typedef int (*config_key_cb)(struct config_parse *, const struct config_key *,
    const char *, const char *, int);

struct config_key {
	const char	*section;
	const char	*name;		/* NULL: any key (in [access]) */
	int		 flags;
#define CONFIG_REPEAT	0x1		/* may be given more than once */
#define CONFIG_EMPTY	0x2		/* may be empty */
#define CONFIG_WIDE	0x4		/* a size in a uint64_t */
	config_key_cb	 set;
	size_t		 field;		/* offset in config_parse.base */
	uint64_t	 min;
	uint64_t	 max;
};

/* config-set.c */
extern const struct config_key config_keys[];	/* every key, by section */
extern const size_t config_nkeys;

/* config.c */
int		 config_oom(struct config_parse *);
int		 config_error(struct config_parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*config_resolve(struct config_parse *, const char *);

#endif
