/*
 * tls.c - TLS contexts for both ends of a runnel connection: TLS 1.3 only,
 * ALPN runnel/1, no session resumption, and on the server a client
 * certificate from the runnel CA carrying the clientAuth key usage.  Only
 * the configured CA is trusted: the system's default paths never are.
 */

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/tls1.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "runnel.h"

#define TLS_VERIFY_DEPTH	4
/* Key exchange groups, both ends, in order of preference. */
#define TLS_GROUPS		"X25519:P-256"

/* ALPN protocol list on the wire: a length byte, then the name. */
static const unsigned char tls_alpn[] = "\x08" RUNNEL_ALPN;

/* Drain the OpenSSL error queue into one allocated string. */
char *
tls_errors(void)
{
	const char	*data;
	unsigned long	 e;
	char		 buf[256], *s = NULL, *t;
	int		 flags;

	while ((e = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
		ERR_error_string_n(e, buf, sizeof buf);
		if ((flags & ERR_TXT_STRING) && data != NULL && *data != '\0') {
			t = str_printf("%s%s%s (%s)", s == NULL ? "" : s,
			    s == NULL ? "" : "; ", buf, data);
		} else {
			t = str_printf("%s%s%s", s == NULL ? "" : s,
			    s == NULL ? "" : "; ", buf);
		}
		free(s);
		if ((s = t) == NULL) {
			ERR_clear_error();
			return NULL;
		}
	}
	if (s == NULL)
		s = strdup("unknown error");
	return s;
}

/* Set *cause to "what PATH: openssl errors". */
static void
tls_set_cause(char **cause, const char *what, const char *path)
{
	char	*errs;

	if (cause == NULL) {
		ERR_clear_error();
		return;
	}
	errs = tls_errors();
	if (path != NULL)
		*cause = str_printf("%s %s: %s", what, path,
		    errs == NULL ? "unknown error" : errs);
	else
		*cause = str_printf("%s: %s", what,
		    errs == NULL ? "unknown error" : errs);
	free(errs);
}

/* Check a file can be read, for a clearer message than OpenSSL's. */
static int
tls_check_file(const char *what, const char *path, char **cause)
{
	FILE	*f;

	if (path == NULL) {
		if (cause != NULL)
			*cause = str_printf("no %s given", what);
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (cause != NULL)
			*cause = str_printf("cannot read %s %s: %s", what,
			    path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

/* Load the CA file as the only trust anchor of a context. */
static int
tls_load_ca(SSL_CTX *ctx, const char *ca, char **cause)
{
	if (tls_check_file("CA certificate", ca, cause) != 0)
		return -1;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		tls_set_cause(cause, "cannot load CA certificate", ca);
		return -1;
	}
	return 0;
}

/* Load a certificate chain and its private key into a context. */
static int
tls_load_cert(SSL_CTX *ctx, const char *cert, const char *key, char **cause)
{
	unsigned long	e;

	if (tls_check_file("certificate", cert, cause) != 0)
		return -1;
	if (tls_check_file("private key", key, cause) != 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_set_cause(cause, "cannot load certificate", cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
			tls_set_cause(cause,
			    "private key does not match certificate", key);
		} else
			tls_set_cause(cause, "cannot load private key", key);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_set_cause(cause, "private key does not match certificate",
		    key);
		return -1;
	}
	return 0;
}

/* Settings common to both ends: TLS 1.3 only, key exchange by X25519 or
 * P-256 (not the finite-field groups OpenSSL also offers), no tickets or
 * compression. */
static SSL_CTX *
tls_new_ctx(const SSL_METHOD *method, char **cause)
{
	SSL_CTX	*ctx;

	/* Whatever is queued is not about this context. */
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(method)) == NULL) {
		tls_set_cause(cause, "cannot create TLS context", NULL);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) != 1) {
		tls_set_cause(cause, "cannot configure TLS context", NULL);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	return ctx;
}

/*
 * Server verify callback: the chain must verify, and the peer's own
 * certificate must carry the clientAuth extended key usage.  The default
 * "ssl_client" purpose check lets a certificate with no EKU at all through.
 */
static int
tls_verify_client_cb(int ok, X509_STORE_CTX *store)
{
	X509	*cert;

	if (!ok || X509_STORE_CTX_get_error_depth(store) != 0)
		return ok;
	if ((cert = X509_STORE_CTX_get_current_cert(store)) == NULL) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT)) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_INVALID_PURPOSE);
		return 0;
	}
	return 1;
}

/* A client that offers no ALPN at all is refused, like a wrong one. */
static int
tls_client_hello_cb(SSL *ssl, int *al, void *arg)
{
	const unsigned char	*ext;
	size_t			 extlen;

	(void)arg;
	if (!SSL_client_hello_get0_ext(ssl,
	    TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
	    &extlen)) {
		*al = SSL_AD_NO_APPLICATION_PROTOCOL;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* Select runnel/1 among the client's protocols, or fail the handshake. */
static int
tls_alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned int	i, n;

	(void)ssl;
	(void)arg;
	for (i = 0; i < inlen; i += 1 + n) {
		n = in[i];
		if (n > inlen - i - 1)
			break;
		if (n == sizeof tls_alpn - 2 &&
		    memcmp(in + i + 1, tls_alpn + 1, n) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Create the server context. */
SSL_CTX *
tls_server_ctx(const char *ca, const char *cert, const char *key,
    char **cause)
{
	STACK_OF(X509_NAME)	*names;
	SSL_CTX			*ctx;

	if ((ctx = tls_new_ctx(TLS_server_method(), cause)) == NULL)
		return NULL;
	if (tls_load_cert(ctx, cert, key, cause) != 0)
		goto fail;
	if (tls_load_ca(ctx, ca, cause) != 0)
		goto fail;
	/* Name the CA in the certificate request. */
	if ((names = SSL_load_client_CA_file(ca)) == NULL) {
		tls_set_cause(cause, "cannot load CA certificate", ca);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify_client_cb);
	SSL_CTX_set_client_hello_cb(ctx, tls_client_hello_cb, NULL);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select_cb, NULL);
	return ctx;

fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Read every certificate of a PEM file. */
static STACK_OF(X509) *
tls_read_certs(const char *path, char **cause)
{
	STACK_OF(X509)	*certs;
	X509		*x;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		if (cause != NULL)
			*cause = str_printf("cannot read CA certificate %s: %s",
			    path, strerror(errno));
		return NULL;
	}
	if ((certs = sk_X509_new_null()) == NULL) {
		fclose(f);
		tls_set_cause(cause, "out of memory", NULL);
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(certs, x) == 0) {
			X509_free(x);
			break;
		}
	}
	ERR_clear_error();	/* the end of the file */
	fclose(f);
	return certs;
}

/* Check one CRL: signed by a certificate of the CA file, and current (an
 * expired CRL would lock every client out). */
static int
tls_check_crl(X509_CRL *crl, STACK_OF(X509) *cas, const char *path,
    char **cause)
{
	const ASN1_TIME	*next;
	X509		*ca;
	int		 i, signed_ok = 0;

	for (i = 0; i < sk_X509_num(cas) && !signed_ok; i++) {
		ca = sk_X509_value(cas, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca),
		    X509_CRL_get_issuer(crl)) == 0 &&
		    X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
			signed_ok = 1;
	}
	ERR_clear_error();
	if (!signed_ok) {
		if (cause != NULL)
			*cause = str_printf("CRL %s is not signed by the CA",
			    path);
		return -1;
	}
	next = X509_CRL_get0_nextUpdate(crl);
	if (next != NULL && X509_cmp_current_time(next) <= 0) {
		if (cause != NULL)
			*cause = str_printf("CRL %s has expired: renew it",
			    path);
		return -1;
	}
	return 0;
}

/* Load the CRLs of a PEM file into ctx and check the client's certificate
 * against them (its issuer's CRL must be there). */
int
tls_server_crl(SSL_CTX *ctx, const char *ca, const char *crl, char **cause)
{
	STACK_OF(X509)	*cas = NULL;
	X509_STORE	*store = SSL_CTX_get_cert_store(ctx);
	X509_CRL	*x;
	FILE		*f = NULL;
	int		 n = 0, rc = -1;

	if (tls_check_file("CRL", crl, cause) != 0)
		return -1;
	if ((cas = tls_read_certs(ca, cause)) == NULL)
		return -1;
	ERR_clear_error();
	if ((f = fopen(crl, "r")) == NULL) {
		if (cause != NULL)
			*cause = str_printf("cannot read CRL %s: %s", crl,
			    strerror(errno));
		goto out;
	}
	while ((x = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL) {
		n++;
		if (tls_check_crl(x, cas, crl, cause) != 0) {
			X509_CRL_free(x);
			goto out;
		}
		if (X509_STORE_add_crl(store, x) != 1) {
			tls_set_cause(cause, "cannot load CRL", crl);
			X509_CRL_free(x);
			goto out;
		}
		X509_CRL_free(x);
	}
	if (n == 0) {
		tls_set_cause(cause, "no CRL in", crl);
		goto out;
	}
	ERR_clear_error();	/* the end of the file */
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
	    X509_V_FLAG_CRL_CHECK);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	sk_X509_pop_free(cas, X509_free);
	return rc;
}

/* Verify the certificate a connected client presented against ctx (the CA
 * and CRL after a reload): the caller closes the connection on failure. */
int
tls_peer_recheck(SSL_CTX *ctx, SSL *ssl, char **cause)
{
	X509_STORE_CTX	*sctx;
	X509		*cert;
	int		 rc = -1;

	if ((cert = SSL_get0_peer_certificate(ssl)) == NULL) {
		if (cause != NULL)
			*cause = strdup("no client certificate");
		return -1;
	}
	if ((sctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ctx), cert,
	    SSL_get_peer_cert_chain(ssl)) != 1) {
		tls_set_cause(cause, "cannot verify certificate", NULL);
		goto out;
	}
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(sctx),
	    SSL_CTX_get0_param(ctx));
	X509_STORE_CTX_set_verify_cb(sctx, tls_verify_client_cb);
	if (X509_verify_cert(sctx) != 1) {
		if (cause != NULL)
			*cause = strdup(X509_verify_cert_error_string(
			    X509_STORE_CTX_get_error(sctx)));
		ERR_clear_error();
		goto out;
	}
	rc = 0;
out:
	X509_STORE_CTX_free(sctx);
	return rc;
}

/* A connection whose handshake is under way checks its client against
 * ctx's CA and CRL (the ones a reload just loaded) instead of those of the
 * context it was accepted with. */
int
tls_server_reverify(SSL *ssl, SSL_CTX *ctx)
{
	X509_VERIFY_PARAM	*param = SSL_get0_param(ssl);

	if (SSL_set1_verify_cert_store(ssl, SSL_CTX_get_cert_store(ctx)) != 1)
		return -1;
	X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK);
	X509_VERIFY_PARAM_set_flags(param,
	    X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(ctx)) &
	    X509_V_FLAG_CRL_CHECK);
	return 0;
}

/* Create a client context; cert and key may both be NULL. */
SSL_CTX *
tls_client_ctx(const char *ca, const char *cert, const char *key,
    char **cause)
{
	SSL_CTX	*ctx;

	if ((ctx = tls_new_ctx(TLS_client_method(), cause)) == NULL)
		return NULL;
	if (tls_load_ca(ctx, ca, cause) != 0)
		goto fail;
	if ((cert != NULL || key != NULL) &&
	    tls_load_cert(ctx, cert, key, cause) != 0)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* Unlike every other SSL_CTX call, this one returns 0 on success. */
	if (SSL_CTX_set_alpn_protos(ctx, tls_alpn, sizeof tls_alpn - 1) != 0) {
		tls_set_cause(cause, "cannot set ALPN", NULL);
		goto fail;
	}
	return ctx;

fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Set SNI and the expected host name (DNS name or IP) on a client SSL. */
int
tls_client_set_host(SSL *ssl, const char *host)
{
	struct in6_addr	 in6;
	struct in_addr	 in4;
	char		*sni;
	long		 r;

	if (host == NULL || *host == '\0')
		return -1;
	if (inet_pton(AF_INET, host, &in4) == 1 ||
	    inet_pton(AF_INET6, host, &in6) == 1) {
		/* SNI carries no IP literal (RFC 6066). */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    host) != 1)
			return -1;
		return 0;
	}
	/* The macro casts its argument to void *: give it a copy it owns. */
	if ((sni = strdup(host)) == NULL)
		return -1;
	r = SSL_set_tlsext_host_name(ssl, sni);
	free(sni);
	if (r != 1)
		return -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(ssl, host) != 1)
		return -1;
	return 0;
}

/* The subject CN of the peer's verified certificate, allocated; or NULL. */
char *
tls_peer_cn(SSL *ssl)
{
	X509_NAME	*name;
	X509		*cert;
	ASN1_STRING	*data;
	unsigned char	*utf8 = NULL;
	char		*cn = NULL;
	int		 idx, len;

	if ((cert = SSL_get0_peer_certificate(ssl)) == NULL)
		return NULL;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		return NULL;
	if ((name = X509_get_subject_name(cert)) == NULL)
		return NULL;
	/* Exactly one CN: two would make the identity ambiguous. */
	if ((idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return NULL;
	if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
		return NULL;
	data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	if ((len = ASN1_STRING_to_UTF8(&utf8, data)) <= 0)
		return NULL;
	/* An embedded NUL would let "alice\0x" pass for "alice". */
	if (memchr(utf8, '\0', (size_t)len) == NULL)
		cn = strndup((char *)utf8, (size_t)len);
	OPENSSL_free(utf8);
	return cn;
}
