/*
 * activation.c - sockets passed by the service manager (runneld.socket):
 * sd_listen_fds_with_names() gives the unix socket, named "unix", and TLS
 * ports, named "tls"; when any are passed they replace [server] socket and
 * listen.  Without names (LISTEN_FDNAMES unset) a socket's family says
 * which it is.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "runneld.h"

#ifdef HAVE_LIBSYSTEMD
/* Which kind a passed fd is: 1 unix, 0 tls, -1 neither (with *cause). */
static int
activation_kind(int fd, const char *name, char **cause)
{
	int	unix_ok, inet_ok;

	unix_ok = sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0;
	inet_ok = sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
	if (strcmp(name, "unix") == 0 && unix_ok)
		return 1;
	if (strcmp(name, "tls") == 0 && inet_ok)
		return 0;
	if (strcmp(name, "unix") == 0 || strcmp(name, "tls") == 0) {
		*cause = xasprintf("passed socket '%s' (fd %d) is not a "
		    "listening %s stream socket", name, fd,
		    strcmp(name, "unix") == 0 ? "unix" : "TCP");
		return -1;
	}
	if (strcmp(name, "unknown") == 0 && (unix_ok || inet_ok))
		return unix_ok;
	*cause = xasprintf("passed socket '%s' (fd %d): expected "
	    "FileDescriptorName=unix or tls", name, fd);
	return -1;
}
#endif

/* Take the passed sockets as listeners; the number taken (0: none passed,
 * bind as configured), or -1 with *cause. */
int
activation_listen(char **cause)
{
#ifdef HAVE_LIBSYSTEMD
	struct listener	 *l;
	char		**names = NULL;
	int		  n, i, kind, fd, rc = -1;

	if ((n = sd_listen_fds_with_names(1, &names)) < 0) {
		*cause = xasprintf("socket activation: %s", strerror(-n));
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if ((kind = activation_kind(fd, names[i], cause)) == -1)
			goto out;
		/* With [tls] set but its files missing yet, the socket is
		 * taken and refuses connections until a reload. */
		if (kind == 0 && server.ssl_ctx == NULL &&
		    server.conf->tls_cert == NULL) {
			*cause = xasprintf("passed socket '%s' (fd %d) is for "
			    "TLS, but [tls] ca, cert and key are not set",
			    names[i], fd);
			goto out;
		}
		if ((l = listener_create_fd(fd, kind, cause)) == NULL)
			goto out;
		server_add_listener(l);
		log_debug("socket activation: fd %d '%s' is %s", fd,
		    names[i], listener_name(l));
	}
	rc = n;
out:
	/* On error runneld exits: the manager gets its sockets back. */
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
#else
	if (getenv("LISTEN_FDS") != NULL)
		log_warnx("LISTEN_FDS is set, but runneld was built without "
		    "libsystemd: binding as configured");
	(void)cause;
	return 0;
#endif
}
