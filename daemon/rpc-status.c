/*
 * rpc-status.c - Status: the daemon's version, uptime, counters and loop lag.
 */
#include <unistd.h>

#include "lag.h"
#include "runneld.h"

/* Answer with the daemon's figures. */
static void
rpc_status(struct session *s, uint64_t req_id,
    const Runnel__V1__ClientMessage *msg)
{
	Runnel__V1__ServerMessage	reply = RUNNEL__V1__SERVER_MESSAGE__INIT;
	Runnel__V1__StatusReply		st;
	static char			version[] = RUNNELD_VERSION;

	(void)msg;
	runnel__v1__status_reply__init(&st);
	st.version = version;
	st.uptime_ms = server_now_ms() - server.start_ms;
	st.connections = server.nsessions;
	st.tasks_queued = server.nqueued;
	st.tasks_running = server.nrunning;
	st.tasks_finished = server.nfinished;
	st.max_running = server.conf->max_running;
	st.pid = getpid();
	lag_stats(&st.loop_lag_us, &st.loop_lag_max_us, &st.loop_lag_p99_us);
	reply.id = req_id;
	reply.reply_case = RUNNEL__V1__SERVER_MESSAGE__REPLY_STATUS;
	reply.status = &st;
	session_send(s, &reply);
}

const struct rpc_entry rpc_status_entry = {
	.name = "status",
	.min_role = ROLE_VIEWER,
	.handler = rpc_status,
};
