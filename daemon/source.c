/*
 * source.c - per-source accounting of TLS peers before Hello, as OpenSSH
 * 9.8's PerSourceMaxStartups and PerSourcePenalties on top of MaxStartups.
 * A source is an IPv4 address or an IPv6 /64.  Each source counts its
 * connections before Hello and carries a penalty: every connection of it
 * that ends without Hello adds source_penalty (ten times that when it ran
 * out of hello_timeout), the penalty runs down in real time, and while
 * more than 15 penalties are left the source's new connections are closed
 * at accept, before TLS.  The table is a hash of at most SOURCE_MAX
 * entries; an entry with no connection and no penalty left is reused.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "runneld.h"

#define SOURCE_BUCKETS		4096	/* a power of two */
#define SOURCE_MAX		16384	/* entries of 152 bytes: 2.7 MiB at most */
/* While more than this many penalties are left, a source is refused;
 * the penalty never grows past SOURCE_PENALTY_CAP of them (sshd: 15 s
 * and 600 s of 1 s noauth penalties). */
#define SOURCE_PENALTY_MIN	15
#define SOURCE_PENALTY_CAP	600
#define SOURCE_TIMEOUT_FACTOR	10

struct source {
	uint8_t			 key[17];	/* family, then address */
	unsigned		 nunauth;	/* its sessions before Hello */
	int64_t			 until;		/* monotonic ms: penalty end */
	TAILQ_HEAD(, session)	 sessions;	/* before Hello, oldest first */
	LIST_ENTRY(source)	 hash_entry;
	TAILQ_ENTRY(source)	 lru_entry;	/* least recently seen first */
	TAILQ_ENTRY(source)	 active_entry;	/* when nunauth > 0 */
	char			 name[INET6_ADDRSTRLEN + 4];
};

static LIST_HEAD(, source)	 source_hash[SOURCE_BUCKETS];
static TAILQ_HEAD(, source)	 source_lru =
    TAILQ_HEAD_INITIALIZER(source_lru);
static TAILQ_HEAD(, source)	 source_active =
    TAILQ_HEAD_INITIALIZER(source_active);
static size_t			 source_n;
static uint32_t			 source_seed;
static struct log_rate		 source_penalty_log;

/* The key of an address: IPv4 (also v4-mapped IPv6) whole, IPv6 by /64.
 * 0, or -1 for another family. */
static int
source_key(const struct sockaddr *sa, uint8_t key[17])
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(key, 0, 17);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		key[0] = 4;
		memcpy(key + 1, sin6->sin6_addr.s6_addr + 12, 4);
		return 0;
	}
	key[0] = 6;
	memcpy(key + 1, sin6->sin6_addr.s6_addr, 8);
	return 0;
}

/* FNV-1a over the key, seeded at random: a peer cannot aim at a bucket. */
static uint32_t
source_hash_key(const uint8_t key[17])
{
	uint32_t	h = 2166136261U ^ source_seed;
	size_t		i;

	for (i = 0; i < 17; i++) {
		h ^= key[i];
		h *= 16777619U;
	}
	return h & (SOURCE_BUCKETS - 1);
}

/* Is an entry neither holding connections nor penalised any more? */
static int
source_idle(const struct source *src, int64_t now)
{
	return src->nunauth == 0 && src->until <= now;
}

/* Drop an entry from the table. */
static void
source_free(struct source *src)
{
	LIST_REMOVE(src, hash_entry);
	TAILQ_REMOVE(&source_lru, src, lru_entry);
	source_n--;
	free(src);
}

/* Forget the idle among the coldest entries; at the cap, also the
 * coldest one without connections even if penalised (as sshd's
 * overflow=permissive).  0 if there is room for one more. */
static int
source_reap(int64_t now)
{
	struct source	*src, *next;
	int		 i;

	src = TAILQ_FIRST(&source_lru);
	for (i = 0; i < 8 && src != NULL; i++, src = next) {
		next = TAILQ_NEXT(src, lru_entry);
		if (source_idle(src, now))
			source_free(src);
	}
	if (source_n < SOURCE_MAX)
		return 0;
	TAILQ_FOREACH(src, &source_lru, lru_entry) {
		if (src->nunauth == 0) {
			source_free(src);
			return 0;
		}
	}
	return -1;
}

/* The entry of a peer's source, made if new; NULL when the address is
 * no IP address or the table is full of sources with connections. */
struct source *
source_get(const struct sockaddr *sa)
{
	struct source	*src;
	uint8_t		 key[17];
	uint32_t	 h;
	int64_t		 now = server_mono_ms();
	char		 buf[INET6_ADDRSTRLEN];

	if (source_key(sa, key) != 0)
		return NULL;
	if (source_seed == 0)
		source_seed = arc4random() | 1;
	h = source_hash_key(key);
	LIST_FOREACH(src, &source_hash[h], hash_entry) {
		if (memcmp(src->key, key, sizeof key) == 0) {
			TAILQ_REMOVE(&source_lru, src, lru_entry);
			TAILQ_INSERT_TAIL(&source_lru, src, lru_entry);
			return src;
		}
	}
	if (source_reap(now) != 0)
		return NULL;
	src = xcalloc(1, sizeof *src);
	memcpy(src->key, key, sizeof key);
	TAILQ_INIT(&src->sessions);
	inet_ntop(key[0] == 4 ? AF_INET : AF_INET6, key + 1, buf, sizeof buf);
	snprintf(src->name, sizeof src->name, "%s%s", buf,
	    key[0] == 6 ? "/64" : "");
	LIST_INSERT_HEAD(&source_hash[h], src, hash_entry);
	TAILQ_INSERT_TAIL(&source_lru, src, lru_entry);
	source_n++;
	return src;
}

/* Connections the source has before Hello (0 for NULL: untracked). */
unsigned
source_count(const struct source *src)
{
	return src == NULL ? 0 : src->nunauth;
}

/* The milliseconds of penalty left when the source is refused for it,
 * else 0. */
int64_t
source_penalized(const struct source *src)
{
	uint64_t	p = server.conf->source_penalty_ms;
	int64_t		left;

	if (src == NULL || p == 0)
		return 0;
	left = src->until - server_mono_ms();
	return left > (int64_t)(SOURCE_PENALTY_MIN * p) ? left : 0;
}

/* The table is full (max_startups' FULL): make room for a connection of
 * src by closing the oldest connection of the source holding the most,
 * if that source holds at least two more than src.  So no source, nor a
 * few, can keep the others out by filling the table.  0 if room was
 * made, -1 if src must be refused. */
int
source_evict(const struct source *src)
{
	static struct log_rate	 rate;
	struct source		*it, *top = NULL;
	struct session		*victim;
	unsigned long long	 skipped;

	TAILQ_FOREACH(it, &source_active, active_entry) {
		if (top == NULL || it->nunauth > top->nunauth)
			top = it;
	}
	if (top == NULL || top->nunauth < source_count(src) + 2)
		return -1;
	victim = TAILQ_FIRST(&top->sessions);
	/* Sources that take turns would log a line each time. */
	if (log_ratelimit(&rate, &skipped))
		log_info("conn %llu: %s: closed before hello: max_startups "
		    "reached and source %s holds %u connections before hello "
		    "(%llu more closed so since the last line)",
		    (unsigned long long)victim->id, victim->peer, top->name,
		    top->nunauth, skipped);
	session_lost(victim, NULL);
	return 0;
}

/* A new session before Hello from src (NULL: untracked). */
void
source_add(struct source *src, struct session *s)
{
	if (src == NULL)
		return;
	s->src = src;
	if (src->nunauth++ == 0)
		TAILQ_INSERT_TAIL(&source_active, src, active_entry);
	TAILQ_INSERT_TAIL(&src->sessions, s, src_entry);
}

/* A session before Hello ends its time there: it said Hello, or it was
 * closed before, which costs its source a penalty. */
void
source_remove(struct session *s, enum source_end end)
{
	struct source		*src = s->src;
	uint64_t		 p = server.conf->source_penalty_ms;
	int64_t			 now, was;
	unsigned long long	 skipped;

	if (src == NULL)
		return;
	s->src = NULL;
	TAILQ_REMOVE(&src->sessions, s, src_entry);
	if (--src->nunauth == 0)
		TAILQ_REMOVE(&source_active, src, active_entry);
	if (end == SOURCE_END_HELLO || p == 0)
		return;
	now = server_mono_ms();
	was = source_penalized(src);
	if (src->until < now)
		src->until = now;
	src->until += (int64_t)(end == SOURCE_END_TIMEOUT ?
	    SOURCE_TIMEOUT_FACTOR * p : p);
	if (src->until - now > (int64_t)(SOURCE_PENALTY_CAP * p))
		src->until = now + (int64_t)(SOURCE_PENALTY_CAP * p);
	if (was == 0 && source_penalized(src) != 0 &&
	    log_ratelimit(&source_penalty_log, &skipped))
		log_warnx("source %s: connections keep ending before hello: "
		    "refused for %lld ms (source_penalty; %llu more sources "
		    "penalised since the last line)", src->name,
		    (long long)(src->until - now), skipped);
}

/* The source's address, e.g. "192.0.2.1" or "2001:db8::/64". */
const char *
source_name(const struct source *src)
{
	return src == NULL ? "?" : src->name;
}

/* Entries in the table (for tests and status). */
size_t
source_entries(void)
{
	return source_n;
}
