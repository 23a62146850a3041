/*
 * session-admit.c - who a peer is before it is served: a unix-socket
 * peer's identity and role from its uid, how many sessions a uid has, and
 * refusing a connection that gets no session.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "runneld.h"

/* The identity and role of a unix-socket peer's uid: root and the
 * daemon's own user are admin; others need an `unix:USER` entry in
 * [access].  The uid is named through the table made when the
 * configuration was read, never by NSS here (which may block on LDAP or
 * sssd): a uid it does not name is "unix:uid=N", which no entry gives a
 * role. */
enum role
session_unix_role(uid_t uid, char **identity)
{
	const char	*user;

	if ((user = access_unix_name(server.conf, uid)) != NULL)
		*identity = xasprintf("unix:%s", user);
	else
		*identity = xasprintf("unix:uid=%lu", (unsigned long)uid);
	if (uid == 0 || uid == server.uid)
		return ROLE_ADMIN;
	return access_role(server.conf, *identity);
}

/* Identify a unix-socket peer by its uid (session_unix_role). */
int
session_identify_unix(struct session *s, int fd)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("conn %llu: SO_PEERCRED", (unsigned long long)s->id);
		return -1;
	}
	s->uid = cred.uid;
	s->role = session_unix_role(cred.uid, &s->identity);
	return 0;
}

/* Unix-socket sessions of a uid. */
unsigned
session_count_uid(uid_t uid)
{
	struct session	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &server.sessions, entry)
		if (s->is_unix && s->state != SESSION_DEAD && s->uid == uid)
			n++;
	return n;
}

/* Refuse an accepted connection before it has a session: one Error (id
 * 0, the daemon's last word) if the socket takes it at once, then close.
 * Costs no buffer: the frame is packed on the stack. */
void
session_refuse(int fd, Runnel__V1__ErrorCode code, const char *fmt, ...)
{
	Runnel__V1__ServerMessage	 msg = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__Error		 err = RUNNEL__V1__ERROR__INIT;
	uint8_t				 buf[512];
	char				 text[256];
	size_t				 len;
	va_list				 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	err.code = code;
	err.message = text;
	msg.id = 0;
	msg.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_ERROR;
	msg.error = &err;
	len = runnel__v1__server_message__get_packed_size(&msg);
	if (len + FRAME_HEADER <= sizeof buf) {
		frame_put_header(buf, len);
		runnel__v1__server_message__pack(&msg, buf + FRAME_HEADER);
		(void)send(fd, buf, FRAME_HEADER + len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	close(fd);
}
