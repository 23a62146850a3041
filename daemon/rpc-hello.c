/*
 * rpc-hello.c - Hello: the first exchange; checks the protocol version and
 * tells the client who the daemon thinks it is.
 */
#include <string.h>

#include "log.h"
#include "runneld.h"

/* Connections past Hello of an identity. */
static unsigned
rpc_hello_count(const char *identity)
{
	struct session	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &server.sessions, entry)
		if (s->hello_done && s->state != SESSION_DEAD &&
		    strcmp(s->identity, identity) == 0)
			n++;
	return n;
}

/* Answer Hello, or refuse a peer without a role. */
static void
rpc_hello(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	Runnel__V1__ServerMessage	reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__HelloReply		hello;
	static char			version[] = RUNNELD_VERSION;

	if (msg->hello->protocol_version != 1) {
		session_close_with_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_UNSUPPORTED,
		    "protocol version %u not supported (this daemon speaks 1)",
		    msg->hello->protocol_version);
		return;
	}
	if (s->role == ROLE_NONE) {
		session_close_with_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_UNAUTHENTICATED,
		    "identity %s has no role", s->identity);
		return;
	}
	runnel__v1__hello_reply__init(&hello);
	if (server.conf->max_identity_connections != 0 &&
	    rpc_hello_count(s->identity) >=
	    server.conf->max_identity_connections) {
		session_close_with_error(s, req_id,
		    RUNNEL__V1__ERROR_CODE__ERROR_RESOURCE_EXHAUSTED,
		    "%s has %u connections already (max_identity_connections)",
		    s->identity, server.conf->max_identity_connections);
		return;
	}
	session_set_state(s, SESSION_READY);
	session_touch(s);
	log_debug("conn %llu: hello from %s as %s (%s)",
	    (unsigned long long)s->id, msg->hello->client_name, s->identity,
	    access_role_name(s->role));

	hello.protocol_version = 1;
	hello.server_version = version;
	hello.identity = s->identity;
	hello.role = (Runnel__V1__Role)s->role;
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_HELLO;
	reply.hello = &hello;
	session_send(s, &reply);
}

const struct rpc_entry rpc_hello_entry = {
	.name = "hello",
	.min_role = ROLE_NONE,
	.handler = rpc_hello,
};
