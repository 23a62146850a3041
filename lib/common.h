/*
 * common.h - internal pieces shared by librunnel, runneld and the runnel CLI:
 * the frame codec, TLS contexts and small parsers.  Not installed.
 */
#ifndef RUNNEL_COMMON_H
#define RUNNEL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* Generated; found through -isystem so its macros raise no warnings. */
#include <runnel.pb-c.h>

/* Frames: 4-byte big-endian length, then that many bytes of one message. */
#define FRAME_HEADER		4
#define FRAME_DEFAULT_MAX	(4U * 1024 * 1024)
#define FRAME_MIN_MAX		1024U

enum frame_result {
	FRAME_NEED_MORE = 0,	/* not enough bytes yet */
	FRAME_OK = 1,		/* *len is the payload length */
	FRAME_EZERO = -1,	/* length 0: protocol error */
	FRAME_ETOOBIG = -2	/* length above the limit: protocol error */
};

/* frame.c */
/* Look at the first bytes of a stream: is a whole frame there? */
enum frame_result frame_parse(const uint8_t *buf, size_t have, uint32_t max,
	    uint32_t *len);
void	 frame_put_header(uint8_t hdr[FRAME_HEADER], uint32_t len);
/* Pack a message into a newly allocated frame (header + payload). */
uint8_t	*frame_pack_client(const Runnel__V1__ClientMessage *, size_t *len);
uint8_t	*frame_pack_server(const Runnel__V1__ServerMessage *, size_t *len);
const char *frame_strerror(enum frame_result);

/* tls.c */
/* Server context: TLS 1.3 only, ALPN runnel/1, no tickets or resumption,
 * client certificates required from the CA and checked for clientAuth. */
SSL_CTX	*tls_server_ctx(const char *ca, const char *cert, const char *key,
	    char **cause);
/* Check client certificates against a CRL (PEM, signed by a CA in ca). */
int	 tls_server_crl(SSL_CTX *, const char *ca, const char *crl,
	    char **cause);
/* A handshake under way verifies its client against ctx's CA and CRL. */
int	 tls_server_reverify(SSL *, SSL_CTX *);
/* Verify a connected peer's certificate again, against ctx's CA and CRL. */
int	 tls_peer_recheck(SSL_CTX *, SSL *, char **cause);
/* Client context: TLS 1.3, ALPN runnel/1, verifies the server against ca. */
SSL_CTX	*tls_client_ctx(const char *ca, const char *cert, const char *key,
	    char **cause);
/* Set SNI and the expected host name (DNS name or IP) on a client SSL. */
int	 tls_client_set_host(SSL *, const char *host);
/* The subject CN of the peer's verified certificate, allocated; or NULL. */
char	*tls_peer_cn(SSL *);
/* Drain the OpenSSL error queue into one allocated string. */
char	*tls_errors(void);

/* utf8.c */
/* Are these bytes valid UTF-8 (RFC 3629)? */
int	 utf8_valid(const void *, size_t);
/* An allocated, NUL-terminated copy with each byte that is not valid UTF-8
 * (and each NUL) written as \xHH; NULL if out of memory. */
char	*utf8_escape(const void *, size_t);

/* util.c */
/* The longest duration a request carries: ten years of 365 days (3650d). */
#define DURATION_MAX_MS		315360000000ULL
/* The latest start time: 9999-12-31 23:59:59.999 UTC, in unix ms. */
#define START_AT_MAX_MS		253402300799999LL
/* "250ms", "5s", "2m", "1h", plain number = seconds; 0 ok, -1 bad. */
int	 parse_duration(const char *, uint64_t *ms);
/* "TERM", "SIGTERM", "15"; returns the number or -1. */
int	 parse_signal(const char *);
const char *signal_name(int);
/* Split "host:port", "[v6]:port"; "unix:PATH" sets *is_unix. Allocated. */
int	 parse_hostport(const char *, char **host, char **port, int *is_unix);
/* asprintf that returns NULL on failure. */
char	*str_printf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
