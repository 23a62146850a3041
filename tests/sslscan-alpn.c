/*
 * sslscan-alpn.c - an LD_PRELOAD shim for the sslscan audit: sslscan cannot
 * offer ALPN, and runneld refuses a client that does not offer runnel/1.
 * Every SSL the scanner makes offers it; nothing else changes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stddef.h>

#include <openssl/ssl.h>

SSL	*SSL_new(SSL_CTX *);

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
