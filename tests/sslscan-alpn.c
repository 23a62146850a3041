/*
 * sslscan-alpn.c - an LD_PRELOAD shim for the sslscan audit.  runneld
 * refuses a client that does not offer ALPN runnel/1, and sslscan cannot
 * offer it: its full handshakes go through OpenSSL (SSL_new here adds
 * runnel/1), its protocol and cipher probes are ClientHellos it writes
 * itself (send/write here add the ALPN extension to a ClientHello that
 * has none).  Nothing else is changed, so what sslscan reports is what
 * runneld accepts from a client that speaks its protocol.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/socket.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

SSL	*SSL_new(SSL_CTX *);
ssize_t	 send(int, const void *, size_t, int);
ssize_t	 write(int, const void *, size_t);

/* The extension: type 16, length 11, list length 9, "runnel/1". */
static const uint8_t alpn_ext[] = {
	0x00, 0x10, 0x00, 0x0b, 0x00, 0x09, 0x08,
	'r', 'u', 'n', 'n', 'e', 'l', '/', '1'
};

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Set the record's and the handshake's lengths for a body grown by n. */
static void
alpn_grow(uint8_t *out, size_t n)
{
	size_t	hslen;

	put16(out + 3, get16(out + 3) + n);
	hslen = ((size_t)out[6] << 16 | (size_t)out[7] << 8 | out[8]) + n;
	out[6] = (uint8_t)(hslen >> 16);
	out[7] = (uint8_t)(hslen >> 8);
	out[8] = (uint8_t)hslen;
}

/* A ClientHello without extensions (an SSLv3 probe): add the block. */
static uint8_t *
alpn_add_block(const uint8_t *buf, size_t len, size_t *newlen)
{
	uint8_t	*out;

	if ((out = malloc(len + 2 + sizeof alpn_ext)) == NULL)
		return NULL;
	memcpy(out, buf, len);
	put16(out + len, sizeof alpn_ext);
	memcpy(out + len + 2, alpn_ext, sizeof alpn_ext);
	alpn_grow(out, 2 + sizeof alpn_ext);
	*newlen = len + 2 + sizeof alpn_ext;
	return out;
}

/* A copy of buf with the ALPN extension added, if buf is exactly one
 * ClientHello record with extensions and without ALPN; else NULL. */
static uint8_t *
alpn_add(const uint8_t *buf, size_t len, size_t *newlen)
{
	size_t		 off, end, ext, extend, hslen;
	uint8_t		*out;

	if (len < 5 + 4 + 2 + 32 + 1 || buf[0] != 0x16 || buf[1] != 0x03 ||
	    5 + get16(buf + 3) != len || buf[5] != 0x01)
		return NULL;
	hslen = (size_t)buf[6] << 16 | (size_t)buf[7] << 8 | buf[8];
	if (9 + hslen != len)
		return NULL;
	end = len;
	off = 9 + 2 + 32;
	off += 1 + buf[off];				/* session id */
	if (off + 2 > end)
		return NULL;
	off += 2 + get16(buf + off);			/* cipher suites */
	if (off + 1 > end)
		return NULL;
	off += 1 + buf[off];				/* compression */
	if (off == end)
		return alpn_add_block(buf, len, newlen);
	if (off + 2 > end)
		return NULL;
	ext = off;
	extend = ext + 2 + get16(buf + ext);
	if (extend != end)
		return NULL;
	for (off = ext + 2; off + 4 <= extend; off += 4 + get16(buf + off + 2))
		if (get16(buf + off) == 0x0010)
			return NULL;			/* has ALPN */
	if ((out = malloc(len + sizeof alpn_ext)) == NULL)
		return NULL;
	memcpy(out, buf, len);
	memcpy(out + len, alpn_ext, sizeof alpn_ext);
	alpn_grow(out, sizeof alpn_ext);
	put16(out + ext, get16(buf + ext) + sizeof alpn_ext);
	*newlen = len + sizeof alpn_ext;
	return out;
}

/* Send a probe ClientHello with ALPN added. */
ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t	(*real)(int, const void *, size_t, int);
	uint8_t		*hello;
	size_t		 n;
	ssize_t		 r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "send");
	if ((hello = alpn_add(buf, len, &n)) == NULL)
		return real(fd, buf, len, flags);
	r = real(fd, hello, n, flags);
	free(hello);
	return r == (ssize_t)n ? (ssize_t)len : (r < 0 ? r : 0);
}

/* The same for write. */
ssize_t
write(int fd, const void *buf, size_t len)
{
	static ssize_t	(*real)(int, const void *, size_t);
	uint8_t		*hello;
	size_t		 n;
	ssize_t		 r;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	if ((hello = alpn_add(buf, len, &n)) == NULL)
		return real(fd, buf, len);
	r = real(fd, hello, n);
	free(hello);
	return r == (ssize_t)n ? (ssize_t)len : (r < 0 ? r : 0);
}

/* Make the SSL as libssl does, then offer runnel/1. */
SSL *
SSL_new(SSL_CTX *ctx)
{
	static SSL	*(*real)(SSL_CTX *);
	static const unsigned char alpn[] = "\x08runnel/1";
	SSL		*ssl;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "SSL_new");
	if (real == NULL || (ssl = real(ctx)) == NULL)
		return NULL;
	SSL_set_alpn_protos(ssl, alpn, sizeof alpn - 1);
	return ssl;
}
