/*
 * check_pki.c - unit tests of the PKI (runnel_pki_init, runnel_pki_issue)
 * and of the TLS contexts: real in-process handshakes over a socketpair
 * between the certificates the PKI made, and the ways a handshake must fail.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "runnel.h"

#define CHECK_TLS_ROUNDS	200
#define CHECK_TLS_POLL_MS	2000

/* The temporary directory of the tests and the PKI made in it. */
static char	 check_dir[] = "/tmp/check_pki.XXXXXX";
static int	 check_dir_made;
static char	*check_pki;

/* One handshake between a server and a client context, and what came of
 * it: 1 done, -1 failed, 0 still waiting. */
struct check_tls {
	const char		*host;	   /* NULL: no host check */
	int			 set_alpn; /* replace the client's ALPN */
	const unsigned char	*alpn;
	unsigned int		 alpn_len;

	int			 client;   /* handshake result */
	int			 server;
	long			 client_verify;
	long			 server_verify;
	int			 client_got; /* read the server's "pong" */
	int			 server_got; /* read the client's "ping" */
	char			*cn;	   /* tls_peer_cn on the server */
	char			 client_alpn[32];
	char			 server_alpn[32];
	int			 version;
};

/* --- PKI -------------------------------------------------------------- */

/* Remove one entry of the test directory. */
static int
check_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

/* Make the shared PKI once, in the parent: the tests only read it. */
static void
check_pki_setup(void)
{
	static const char *const names[] = { "localhost", "127.0.0.1" };
	char			*cause = NULL;

	ck_assert_ptr_nonnull(mkdtemp(check_dir));
	check_dir_made = 1;
	check_pki = str_printf("%s/pki", check_dir);
	ck_assert_ptr_nonnull(check_pki);
	ck_assert_msg(runnel_pki_init(check_pki, names, 2, &cause) == 0,
	    "pki init: %s", cause);
	ck_assert_ptr_null(cause);
	ck_assert_msg(runnel_pki_issue(check_pki, "alice", &cause) == 0,
	    "pki issue: %s", cause);
	ck_assert_ptr_null(cause);
}

/* Remove the test directory and everything in it. */
static void
check_pki_teardown(void)
{
	if (check_dir_made)
		nftw(check_dir, check_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	check_dir_made = 0;
	free(check_pki);
	check_pki = NULL;
}

/* A path in the PKI directory, allocated. */
static char *
check_path(const char *name)
{
	char	*path;

	path = str_printf("%s/%s", check_pki, name);
	ck_assert_ptr_nonnull(path);
	return (path);
}

/* Read a whole file, NUL-terminated. */
static char *
check_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 size;

	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_gt(size, 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)size;
	return (buf);
}

/* Load a certificate from the PKI directory. */
static X509 *
check_load_cert(const char *name)
{
	FILE	*f;
	X509	*x;
	char	*path;

	path = check_path(name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(x);
	fclose(f);
	free(path);
	return (x);
}

/* Load a private key from the PKI directory. */
static EVP_PKEY *
check_load_key(const char *name)
{
	EVP_PKEY	*key;
	FILE		*f;
	char		*path;

	path = check_path(name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(key);
	fclose(f);
	free(path);
	return (key);
}

/* Check a key's type: ECDSA P-256 (EVP_PKEY_EC) or Ed25519. */
static void
check_key_type(EVP_PKEY *key, int type)
{
	char	group[64];
	size_t	len;

	ck_assert_int_eq(EVP_PKEY_get_base_id(key), type);
	if (type == EVP_PKEY_EC) {
		ck_assert_int_eq(EVP_PKEY_get_bits(key), 256);
		ck_assert_int_eq(EVP_PKEY_get_group_name(key, group,
		    sizeof group, &len), 1);
		ck_assert_str_eq(group, "prime256v1");
	}
}

/* The subject CN of a certificate. */
static void
check_cn(X509 *x, const char *cn)
{
	char	buf[128];

	ck_assert_int_eq(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, buf, sizeof buf), (int)strlen(cn));
	ck_assert_str_eq(buf, cn);
}

/* Verify a certificate against ca.crt for a purpose. */
static int
check_verify(X509 *x, int purpose)
{
	X509_STORE_CTX	*ctx;
	X509_STORE	*store;
	X509		*ca;
	int		 ok;

	ca = check_load_cert("ca.crt");
	store = X509_STORE_new();
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	ctx = X509_STORE_CTX_new();
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	ck_assert_int_eq(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(ca);
	return (ok);
}

/* Check the validity period is exactly days long. */
static void
check_validity(X509 *x, int days)
{
	int	pday = -1, psec = -1;

	ck_assert_int_eq(ASN1_TIME_diff(&pday, &psec, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(pday, days);
	ck_assert_int_eq(psec, 0);
	ck_assert_int_eq(X509_cmp_current_time(X509_get0_notBefore(x)), -1);
	ck_assert_int_eq(X509_cmp_current_time(X509_get0_notAfter(x)), 1);
}

/* Check the serial number is random-sized: more than 64, at most 128 bits. */
static void
check_serial(X509 *x)
{
	BIGNUM	*bn;

	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	ck_assert_ptr_nonnull(bn);
	ck_assert_int_eq(BN_is_negative(bn), 0);
	ck_assert_int_gt(BN_num_bits(bn), 64);
	ck_assert_int_le(BN_num_bits(bn), 128);
	BN_free(bn);
}

/* Is extension nid present and critical? */
static int
check_critical(X509 *x, int nid)
{
	int	idx;

	idx = X509_get_ext_by_NID(x, nid, -1);
	ck_assert_int_ge(idx, 0);
	return (X509_EXTENSION_get_critical(X509_get_ext(x, idx)));
}

/* Check a leaf was issued by the CA, its AKI naming the CA's SKI. */
static void
check_issued_by_ca(X509 *x)
{
	X509	*ca;

	ca = check_load_cert("ca.crt");
	ck_assert_int_eq(X509_check_issued(ca, x), X509_V_OK);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(x));
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
	    X509_get0_subject_key_id(ca)), 0);
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
	    X509_get0_serialNumber(ca)), 0);
	X509_free(ca);
}

START_TEST(test_pki_files)
{
	static const char *const keys[] = {
		"ca.key", "server.key", "alice.key"
	};
	/* P-256 for the CA and the server, Ed25519 for clients. */
	static const int types[] = {
		EVP_PKEY_EC, EVP_PKEY_EC, EVP_PKEY_ED25519
	};
	static const char *const certs[] = {
		"ca.crt", "server.crt", "alice.crt"
	};
	struct stat	 sb;
	EVP_PKEY	*key;
	X509		*x;
	char		*path, *text;
	size_t		 i;

	ck_assert_int_eq(stat(check_pki, &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_uint_eq(sb.st_mode & 07777, 0700);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		path = check_path(keys[i]);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert(S_ISREG(sb.st_mode));
		ck_assert_uint_eq(sb.st_mode & 07777, 0600);
		text = check_read_file(path, NULL);
		ck_assert_int_eq(strncmp(text,
		    "-----BEGIN PRIVATE KEY-----\n", 28), 0);
		free(text);
		free(path);

		key = check_load_key(keys[i]);
		check_key_type(key, types[i]);
		EVP_PKEY_free(key);
	}
	for (i = 0; i < sizeof certs / sizeof certs[0]; i++) {
		path = check_path(certs[i]);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert(S_ISREG(sb.st_mode));
		ck_assert_uint_eq(sb.st_mode & 07777, 0644);
		free(path);
		x = check_load_cert(certs[i]);
		check_key_type(X509_get0_pubkey(x), types[i]);
		/* Each signed by the CA's P-256 key. */
		ck_assert_int_eq(X509_get_signature_nid(x),
		    NID_ecdsa_with_SHA256);
		X509_free(x);
	}
}
END_TEST

START_TEST(test_pki_ca)
{
	EVP_PKEY	*key;
	X509		*ca;

	ca = check_load_cert("ca.crt");
	check_cn(ca, "runnel CA");
	ck_assert_int_eq(X509_check_ca(ca), 1);
	ck_assert_int_eq(X509_check_issued(ca, ca), X509_V_OK);
	ck_assert_int_eq(X509_get_signature_nid(ca), NID_ecdsa_with_SHA256);
	ck_assert_int_eq(X509_get_version(ca), X509_VERSION_3);
	ck_assert_uint_eq(X509_get_key_usage(ca), KU_KEY_CERT_SIGN |
	    KU_CRL_SIGN);
	ck_assert_int_eq(check_critical(ca, NID_basic_constraints), 1);
	ck_assert_int_eq(check_critical(ca, NID_key_usage), 1);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(ca));
	ck_assert_int_eq(X509_get_extension_flags(ca) & EXFLAG_XKUSAGE, 0);
	check_validity(ca, 3652);
	check_serial(ca);
	ck_assert_int_eq(check_verify(ca, X509_PURPOSE_ANY), 1);
	key = check_load_key("ca.key");
	ck_assert_int_eq(X509_check_private_key(ca, key), 1);
	EVP_PKEY_free(key);
	X509_free(ca);
}
END_TEST

START_TEST(test_pki_server)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*gen;
	const ASN1_STRING	*s;
	EVP_PKEY		*key;
	X509			*x;

	x = check_load_cert("server.crt");
	check_cn(x, "localhost");
	check_issued_by_ca(x);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_int_eq(check_critical(x, NID_basic_constraints), 1);
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	ck_assert(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	ck_assert_uint_eq(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	ck_assert_int_eq(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	check_validity(x, 825);
	check_serial(x);

	/* Exactly DNS:localhost, IP:127.0.0.1, in that order. */
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(gens);
	ck_assert_int_eq(sk_GENERAL_NAME_num(gens), 2);
	gen = sk_GENERAL_NAME_value(gens, 0);
	ck_assert_int_eq(gen->type, GEN_DNS);
	s = gen->d.dNSName;
	ck_assert_int_eq(ASN1_STRING_length(s), 9);
	ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(s), "localhost", 9), 0);
	gen = sk_GENERAL_NAME_value(gens, 1);
	ck_assert_int_eq(gen->type, GEN_IPADD);
	s = gen->d.iPAddress;
	ck_assert_int_eq(ASN1_STRING_length(s), 4);
	ck_assert_int_eq(memcmp(ASN1_STRING_get0_data(s), "\177\0\0\1", 4),
	    0);
	GENERAL_NAMES_free(gens);

	ck_assert_int_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	ck_assert_int_eq(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
	ck_assert_int_eq(X509_check_host(x, "wronghost", 0, 0, NULL), 0);
	ck_assert_int_eq(check_verify(x, X509_PURPOSE_SSL_SERVER), 1);
	ck_assert_int_eq(check_verify(x, X509_PURPOSE_SSL_CLIENT), 0);
	key = check_load_key("server.key");
	ck_assert_int_eq(X509_check_private_key(x, key), 1);
	EVP_PKEY_free(key);
	X509_free(x);
}
END_TEST

START_TEST(test_pki_client)
{
	EVP_PKEY	*key;
	X509		*x, *server;

	x = check_load_cert("alice.crt");
	check_cn(x, "alice");
	check_issued_by_ca(x);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	ck_assert(X509_get_extension_flags(x) & EXFLAG_XKUSAGE);
	ck_assert_uint_eq(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	ck_assert_int_lt(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), 0);
	check_validity(x, 825);
	check_serial(x);
	ck_assert_int_eq(check_verify(x, X509_PURPOSE_SSL_CLIENT), 1);
	ck_assert_int_eq(check_verify(x, X509_PURPOSE_SSL_SERVER), 0);
	key = check_load_key("alice.key");
	ck_assert_int_eq(X509_check_private_key(x, key), 1);
	server = check_load_cert("server.crt");
	ck_assert_int_ne(ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
	    X509_get0_serialNumber(server)), 0);
	X509_free(server);
	EVP_PKEY_free(key);
	X509_free(x);
}
END_TEST

START_TEST(test_pki_no_overwrite)
{
	static const char *const names[] = { "otherhost" };
	char	*cause = NULL, *path, *before, *after;
	size_t	 blen, alen;

	path = check_path("ca.key");
	before = check_read_file(path, &blen);
	ck_assert_int_eq(runnel_pki_init(check_pki, names, 1, &cause),
	    RUNNEL_EPKI);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "ca.key exists"));
	after = check_read_file(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(before, after, blen), 0);
	free(after);
	free(before);
	free(path);
	free(cause);

	path = check_path("alice.key");
	before = check_read_file(path, &blen);
	ck_assert_int_eq(runnel_pki_issue(check_pki, "alice", &cause),
	    RUNNEL_EPKI);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_nonnull(strstr(cause, "alice.key exists"));
	after = check_read_file(path, &alen);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(before, after, blen), 0);
	free(after);
	free(before);
	free(path);
	free(cause);

	/* A NULL cause is allowed. */
	ck_assert_int_eq(runnel_pki_issue(check_pki, "alice", NULL),
	    RUNNEL_EPKI);
}
END_TEST

START_TEST(test_pki_bad_names)
{
	static const char *const bad[] = {
		"", "a/b", "/abs", ".hidden", "..", "new\nline",
		"not\xffutf8",
		("a-name-that-is-much-too-long-for-the-"
		    "common-name-of-a-certificate"),		/* 65 */
	};
	static const char *const badhost[] = { "bad host" };
	struct stat	 sb;
	char		*cause, *path;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		ck_assert_msg(runnel_pki_issue(check_pki, bad[i], &cause) ==
		    RUNNEL_EPKI, "\"%s\" accepted", bad[i]);
		ck_assert_ptr_nonnull(cause);
		ck_assert_ptr_nonnull(strstr(cause, "invalid client name"));
		free(cause);
	}
	ck_assert_int_eq(runnel_pki_issue(check_pki, NULL, &cause),
	    RUNNEL_EPKI);
	free(cause);
	path = check_path(".hidden.key");
	ck_assert_int_eq(stat(path, &sb), -1);
	free(path);

	path = str_printf("%s/badhost", check_dir);
	ck_assert_int_eq(runnel_pki_init(path, badhost, 1, &cause),
	    RUNNEL_EPKI);
	ck_assert_str_eq(cause, "invalid server name: bad host");
	ck_assert_int_eq(stat(path, &sb), -1);
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_pki_no_parent)
{
	static const char *const names[] = { "localhost" };
	struct stat	 sb;
	char		*cause = NULL, *path, *parent, *want;
	FILE		*f;

	/* Missing parents are made 0755, the directory itself 0700. */
	parent = str_printf("%s/missing/deeper", check_dir);
	path = str_printf("%s/pki", parent);
	ck_assert_msg(runnel_pki_init(path, names, 1, &cause) == 0, "%s",
	    cause);
	ck_assert_int_eq(stat(parent, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0755);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 07777, 0700);
	free(path);
	free(parent);

	/* A parent that is a file: said, nothing made. */
	parent = str_printf("%s/file", check_dir);
	ck_assert_ptr_nonnull(f = fopen(parent, "w"));
	fclose(f);
	path = str_printf("%s/sub/pki", parent);
	ck_assert_int_eq(runnel_pki_init(path, names, 1, &cause),
	    RUNNEL_EPKI);
	want = str_printf("cannot create directory %s/sub: %s", parent,
	    strerror(ENOTDIR));
	ck_assert_str_eq(cause, want);
	ck_assert_int_eq(stat(path, &sb), -1);
	free(want);
	free(cause);
	free(path);
	free(parent);
}
END_TEST

START_TEST(test_pki_issue_no_ca)
{
	struct stat	 sb;
	char		*cause = NULL, *path, *want, *key;

	path = str_printf("%s/empty", check_dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(runnel_pki_issue(path, "bob", &cause), RUNNEL_EPKI);
	want = str_printf("cannot read %s/ca.crt: %s", path,
	    strerror(ENOENT));
	ck_assert_str_eq(cause, want);
	key = str_printf("%s/bob.key", path);
	ck_assert_int_eq(stat(key, &sb), -1);
	free(key);
	free(want);
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_pki_defaults)
{
	struct stat	 sb;
	FILE		*f;
	X509		*x;
	char		*cause = NULL, *dir, *path;

	/* No names: CN runneld, and an existing empty directory is fine. */
	dir = str_printf("%s/defaults", check_dir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(runnel_pki_init(dir, NULL, 0, &cause), 0);
	ck_assert_ptr_null(cause);
	path = str_printf("%s/server.crt", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(x);
	fclose(f);
	check_cn(x, "runneld");
	ck_assert_uint_eq(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
	X509_free(x);
	free(path);
	path = str_printf("%s/ca.key", dir);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	free(path);
	free(dir);
}
END_TEST

/* --- TLS -------------------------------------------------------------- */

/* Step one side's handshake: 1 done, -1 failed, 0 wants more I/O. */
static int
check_tls_step(SSL *ssl, int fd)
{
	int	r, e;

	ERR_clear_error();
	if ((r = SSL_do_handshake(ssl)) == 1)
		return (1);
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return (0);
	/* Let the other side see the end after any alert. */
	shutdown(fd, SHUT_WR);
	return (-1);
}

/* Read a 4-byte message: 1 got it, -1 error or other bytes, 0 wait. */
static int
check_tls_read(SSL *ssl, const char *want)
{
	char	buf[16];
	int	r, e;

	ERR_clear_error();
	if ((r = SSL_read(ssl, buf, sizeof buf)) > 0)
		return (r == 4 && memcmp(buf, want, 4) == 0 ? 1 : -1);
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return (0);
	return (-1);
}

/* Wait until one of the two ends has something to read. */
static int
check_tls_wait(int fd[2])
{
	struct pollfd	pfd[2];

	pfd[0].fd = fd[0];
	pfd[1].fd = fd[1];
	pfd[0].events = pfd[1].events = POLLIN;
	return (poll(pfd, 2, CHECK_TLS_POLL_MS));
}

/* Copy the selected ALPN protocol of an SSL. */
static void
check_tls_alpn(SSL *ssl, char *buf, size_t size)
{
	const unsigned char	*p;
	unsigned int		 len;

	SSL_get0_alpn_selected(ssl, &p, &len);
	ck_assert_uint_lt(len, size);
	memcpy(buf, p, len);
	buf[len] = '\0';
}

/*
 * Run a handshake between the two contexts over a socketpair, driving both
 * non-blocking ends in turn, then send "ping" and answer "pong".  In TLS 1.3
 * the client finishes first: a refused client certificate only shows when
 * the client reads.
 */
static void
check_tls_run(SSL_CTX *sctx, SSL_CTX *cctx, struct check_tls *t)
{
	SSL	*s, *c;
	int	 fd[2], i;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, fd), 0);
	s = SSL_new(sctx);
	c = SSL_new(cctx);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(SSL_set_fd(s, fd[0]), 1);
	ck_assert_int_eq(SSL_set_fd(c, fd[1]), 1);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (t->host != NULL)
		ck_assert_int_eq(tls_client_set_host(c, t->host), 0);
	if (t->set_alpn)
		ck_assert_int_eq(SSL_set_alpn_protos(c, t->alpn,
		    t->alpn_len), 0);

	t->client = t->server = 0;
	for (i = 0; i < CHECK_TLS_ROUNDS; i++) {
		if (t->client == 0)
			t->client = check_tls_step(c, fd[1]);
		if (t->server == 0)
			t->server = check_tls_step(s, fd[0]);
		if (t->client != 0 && t->server != 0)
			break;
		ck_assert_int_gt(check_tls_wait(fd), 0);
	}
	ck_assert_int_lt(i, CHECK_TLS_ROUNDS);
	t->client_verify = SSL_get_verify_result(c);
	t->server_verify = SSL_get_verify_result(s);
	if (t->server == 1) {
		t->cn = tls_peer_cn(s);
		check_tls_alpn(s, t->server_alpn, sizeof t->server_alpn);
		t->version = SSL_version(s);
		ck_assert_int_eq(SSL_session_reused(s), 0);
	}
	if (t->client == 1) {
		check_tls_alpn(c, t->client_alpn, sizeof t->client_alpn);
		ck_assert_int_eq(SSL_write(c, "ping", 4), 4);
	}

	t->client_got = t->client == 1 ? 0 : -1;
	t->server_got = t->server == 1 ? 0 : -1;
	for (i = 0; i < CHECK_TLS_ROUNDS; i++) {
		if (t->server_got == 0 &&
		    (t->server_got = check_tls_read(s, "ping")) == 1)
			ck_assert_int_eq(SSL_write(s, "pong", 4), 4);
		if (t->client_got == 0)
			t->client_got = check_tls_read(c, "pong");
		if (t->client_got != 0 && t->server_got != 0)
			break;
		ck_assert_int_gt(check_tls_wait(fd), 0);
	}
	ck_assert_int_lt(i, CHECK_TLS_ROUNDS);

	SSL_free(c);
	SSL_free(s);
	close(fd[0]);
	close(fd[1]);
	ERR_clear_error();
}

/* The server context on the shared PKI. */
static SSL_CTX *
check_server_ctx(void)
{
	SSL_CTX	*ctx;
	char	*ca, *crt, *key, *cause = NULL;

	ca = check_path("ca.crt");
	crt = check_path("server.crt");
	key = check_path("server.key");
	ctx = tls_server_ctx(ca, crt, key, &cause);
	ck_assert_msg(ctx != NULL, "server ctx: %s", cause);
	free(key);
	free(crt);
	free(ca);
	return (ctx);
}

/* A client context trusting ca, with the client certificate base.crt. */
static SSL_CTX *
check_client_ctx(const char *ca, const char *base)
{
	SSL_CTX	*ctx;
	char	*crt = NULL, *key = NULL, *cause = NULL;

	if (base != NULL) {
		crt = str_printf("%s.crt", base);
		key = str_printf("%s.key", base);
	}
	ctx = tls_client_ctx(ca, crt, key, &cause);
	ck_assert_msg(ctx != NULL, "client ctx: %s", cause);
	free(key);
	free(crt);
	return (ctx);
}

/* Run one handshake: client with certificate base against our server. */
static void
check_tls_try(const char *base, struct check_tls *t)
{
	SSL_CTX	*sctx, *cctx;
	char	*ca;

	ca = check_path("ca.crt");
	sctx = check_server_ctx();
	cctx = check_client_ctx(ca, base);
	check_tls_run(sctx, cctx, t);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	free(ca);
}

/* Check that the server refused the client after the client finished. */
static void
check_tls_refused(const struct check_tls *t, long verify)
{
	ck_assert_int_eq(t->server, -1);
	ck_assert_int_eq(t->server_verify, verify);
	ck_assert_ptr_null(t->cn);
	/* TLS 1.3: the client saw success; its first read gets no data. */
	ck_assert_int_eq(t->client, 1);
	ck_assert_int_eq(t->client_got, -1);
}

START_TEST(test_tls_ok)
{
	struct check_tls	 t = { .host = "localhost" };
	char			*base;

	base = check_path("alice");
	check_tls_try(base, &t);
	ck_assert_int_eq(t.client, 1);
	ck_assert_int_eq(t.server, 1);
	ck_assert_int_eq(t.client_verify, X509_V_OK);
	ck_assert_int_eq(t.server_verify, X509_V_OK);
	ck_assert_int_eq(t.version, TLS1_3_VERSION);
	ck_assert_str_eq(t.client_alpn, "runnel/1");
	ck_assert_str_eq(t.server_alpn, "runnel/1");
	ck_assert_ptr_nonnull(t.cn);
	ck_assert_str_eq(t.cn, "alice");
	ck_assert_int_eq(t.server_got, 1);
	ck_assert_int_eq(t.client_got, 1);
	free(t.cn);
	free(base);
}
END_TEST

START_TEST(test_tls_ip_host)
{
	struct check_tls	 t = { .host = "127.0.0.1" };
	struct check_tls	 t6 = { .host = "::1" };
	char			*base;

	base = check_path("alice");
	check_tls_try(base, &t);
	ck_assert_int_eq(t.client, 1);
	ck_assert_int_eq(t.server, 1);
	ck_assert_int_eq(t.client_got, 1);
	ck_assert_str_eq(t.cn, "alice");
	free(t.cn);

	/* ::1 is not among the server's names. */
	check_tls_try(base, &t6);
	ck_assert_int_eq(t6.client, -1);
	ck_assert_int_eq(t6.client_verify, X509_V_ERR_IP_ADDRESS_MISMATCH);
	ck_assert_int_eq(t6.server, -1);
	free(base);
}
END_TEST

START_TEST(test_tls_wrong_host)
{
	struct check_tls	 t = { .host = "wronghost" };
	char			*base;

	base = check_path("alice");
	check_tls_try(base, &t);
	ck_assert_int_eq(t.client, -1);
	ck_assert_int_eq(t.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);
	ck_assert_int_eq(t.server, -1);
	ck_assert_ptr_null(t.cn);
	free(base);
}
END_TEST

START_TEST(test_tls_server_cert_as_client)
{
	struct check_tls	 t = { .host = "localhost" };
	char			*base;

	/* server.crt has serverAuth only. */
	base = check_path("server");
	check_tls_try(base, &t);
	check_tls_refused(&t, X509_V_ERR_INVALID_PURPOSE);
	free(base);
}
END_TEST

/* Add an extension to a certificate our CA issues. */
static void
check_add_ext(X509 *x, X509 *ca, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * Write a client certificate for key (which it takes) as base.crt and
 * base.key, from our CA but made here rather than by runnel_pki_issue:
 * with the clientAuth extended key usage if eku, else with none.
 */
static void
check_make_client(const char *base, const char *cn, EVP_PKEY *key, int eku)
{
	EVP_PKEY	*cakey;
	X509		*ca, *x;
	FILE		*f;
	char		*path;

	ca = check_load_cert("ca.crt");
	cakey = check_load_key("ca.key");
	ck_assert_ptr_nonnull(key);
	x = X509_new();
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 4242), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(ca)),
	    1);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	check_add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
	if (eku)
		check_add_ext(x, ca, NID_ext_key_usage, "clientAuth");
	ck_assert_int_gt(X509_sign(x, cakey, EVP_sha256()), 0);

	path = str_printf("%s.crt", base);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	free(path);
	path = str_printf("%s.key", base);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
	free(path);

	/* Without an EKU, the trap: the ssl_client purpose alone takes it. */
	ck_assert_int_eq(!!(X509_get_extension_flags(x) & EXFLAG_XKUSAGE),
	    !!eku);
	ck_assert_int_eq(check_verify(x, X509_PURPOSE_SSL_CLIENT), 1);

	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	X509_free(ca);
}

START_TEST(test_tls_no_eku)
{
	struct check_tls	 t = { .host = "localhost" };
	char			*base;

	base = str_printf("%s/noeku", check_dir);
	check_make_client(base, "noeku", EVP_EC_gen("P-256"), 0);
	check_tls_try(base, &t);
	check_tls_refused(&t, X509_V_ERR_INVALID_PURPOSE);
	free(base);
}
END_TEST

/*
 * runnel_pki_issue makes Ed25519 client keys, but a client certificate
 * from our CA with a P-256 or an RSA key, made by other tools or by an
 * older runnel, is accepted all the same.
 */
START_TEST(test_tls_other_client_keys)
{
	static const char *const names[] = { "p256", "rsa" };
	struct check_tls	 t;
	EVP_PKEY		*key;
	char			*base;
	size_t			 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		base = str_printf("%s/%s", check_dir, names[i]);
		if (i == 0)
			key = EVP_EC_gen("P-256");
		else
			key = EVP_RSA_gen(2048);
		check_make_client(base, names[i], key, 1);
		memset(&t, 0, sizeof t);
		t.host = "localhost";
		check_tls_try(base, &t);
		ck_assert_int_eq(t.client, 1);
		ck_assert_int_eq(t.server, 1);
		ck_assert_int_eq(t.server_verify, X509_V_OK);
		ck_assert_ptr_nonnull(t.cn);
		ck_assert_str_eq(t.cn, names[i]);
		ck_assert_int_eq(t.client_got, 1);
		free(t.cn);
		free(base);
	}
}
END_TEST

START_TEST(test_tls_foreign_ca)
{
	static const char *const names[] = { "localhost" };
	struct check_tls	 t = { .host = "localhost" };
	SSL_CTX			*sctx, *cctx;
	char			*dir, *base, *ca, *cause = NULL;

	dir = str_printf("%s/foreign", check_dir);
	ck_assert_int_eq(runnel_pki_init(dir, names, 1, &cause), 0);
	ck_assert_int_eq(runnel_pki_issue(dir, "mallory", &cause), 0);

	/* A client certificate from another CA. */
	base = str_printf("%s/mallory", dir);
	check_tls_try(base, &t);
	check_tls_refused(&t, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

	/* A client trusting another CA refuses our server. */
	memset(&t, 0, sizeof t);
	t.host = "localhost";
	ca = str_printf("%s/ca.crt", dir);
	sctx = check_server_ctx();
	cctx = check_client_ctx(ca, base);
	check_tls_run(sctx, cctx, &t);
	ck_assert_int_eq(t.client, -1);
	/* The server sends the root too: it is just not the client's. */
	ck_assert_int_eq(t.client_verify,
	    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
	ck_assert_int_eq(t.server, -1);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	free(ca);
	free(base);
	free(dir);
}
END_TEST

START_TEST(test_tls_no_client_cert)
{
	struct check_tls	t = { .host = "localhost" };

	check_tls_try(NULL, &t);
	ck_assert_int_eq(t.server, -1);
	ck_assert_ptr_null(t.cn);
	ck_assert_int_eq(t.client, 1);
	ck_assert_int_eq(t.client_got, -1);
}
END_TEST

START_TEST(test_tls_alpn)
{
	static const unsigned char	 http[] = "\x08http/1.1";
	struct check_tls		 t = { .host = "localhost" };
	char				*base;

	base = check_path("alice");
	/* Another protocol. */
	t.set_alpn = 1;
	t.alpn = http;
	t.alpn_len = sizeof http - 1;
	check_tls_try(base, &t);
	ck_assert_int_eq(t.client, -1);
	ck_assert_int_eq(t.server, -1);

	/* No ALPN at all. */
	memset(&t, 0, sizeof t);
	t.host = "localhost";
	t.set_alpn = 1;
	check_tls_try(base, &t);
	ck_assert_int_eq(t.client, -1);
	ck_assert_int_eq(t.server, -1);
	free(base);
}
END_TEST

START_TEST(test_tls_ctx_errors)
{
	SSL_CTX	*ctx;
	FILE	*f;
	char	*ca, *crt, *key, *akey, *junk, *cause = NULL, *want;

	ca = check_path("ca.crt");
	crt = check_path("server.crt");
	key = check_path("server.key");
	akey = check_path("alice.key");
	junk = str_printf("%s/junk.crt", check_dir);

	ctx = tls_server_ctx(ca, "/nonexistent/server.crt", key, &cause);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(cause, "cannot read certificate "
	    "/nonexistent/server.crt: No such file or directory");
	free(cause);

	ctx = tls_server_ctx(ca, crt, "/nonexistent/server.key", &cause);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(cause, "cannot read private key "
	    "/nonexistent/server.key: No such file or directory");
	free(cause);

	ctx = tls_server_ctx("/nonexistent/ca.crt", crt, key, &cause);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(cause, "cannot read CA certificate "
	    "/nonexistent/ca.crt: No such file or directory");
	free(cause);

	ctx = tls_client_ctx("/nonexistent/ca.crt", NULL, NULL, &cause);
	ck_assert_ptr_null(ctx);
	ck_assert_str_eq(cause, "cannot read CA certificate "
	    "/nonexistent/ca.crt: No such file or directory");
	free(cause);

	ctx = tls_server_ctx(ca, crt, akey, &cause);
	ck_assert_ptr_null(ctx);
	want = str_printf("private key does not match certificate %s: ",
	    akey);
	ck_assert_msg(strncmp(cause, want, strlen(want)) == 0, "%s", cause);
	free(want);
	free(cause);

	f = fopen(junk, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a certificate\n", f);
	fclose(f);
	ctx = tls_server_ctx(ca, junk, key, &cause);
	ck_assert_ptr_null(ctx);
	want = str_printf("cannot load certificate %s: ", junk);
	ck_assert_int_eq(strncmp(cause, want, strlen(want)), 0);
	ck_assert_uint_gt(strlen(cause), strlen(want));
	free(want);
	free(cause);

	ctx = tls_client_ctx(junk, NULL, NULL, &cause);
	ck_assert_ptr_null(ctx);
	want = str_printf("cannot load CA certificate %s: ", junk);
	ck_assert_int_eq(strncmp(cause, want, strlen(want)), 0);
	free(want);
	free(cause);
	ck_assert_uint_eq(ERR_peek_error(), 0);

	free(junk);
	free(akey);
	free(key);
	free(crt);
	free(ca);
}
END_TEST

START_TEST(test_tls_errors)
{
	SSL_CTX	*ctx;
	char	*s;

	ERR_clear_error();
	s = tls_errors();
	ck_assert_str_eq(s, "unknown error");
	free(s);

	ctx = SSL_CTX_new(TLS_method());
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(SSL_CTX_use_certificate_file(ctx,
	    "/nonexistent/x.crt", SSL_FILETYPE_PEM), 0);
	ck_assert_uint_ne(ERR_peek_error(), 0);
	s = tls_errors();
	ck_assert_ptr_nonnull(s);
	ck_assert_str_ne(s, "unknown error");
	ck_assert_ptr_nonnull(strstr(s, "error:"));
	ck_assert_uint_eq(ERR_peek_error(), 0);
	free(s);
	SSL_CTX_free(ctx);
}
END_TEST

/* Build the suite. */
static Suite *
check_pki_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("pki");
	tc = tcase_create("pki");
	tcase_add_unchecked_fixture(tc, check_pki_setup, check_pki_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pki_files);
	tcase_add_test(tc, test_pki_ca);
	tcase_add_test(tc, test_pki_server);
	tcase_add_test(tc, test_pki_client);
	tcase_add_test(tc, test_pki_no_overwrite);
	tcase_add_test(tc, test_pki_bad_names);
	tcase_add_test(tc, test_pki_no_parent);
	tcase_add_test(tc, test_pki_issue_no_ca);
	tcase_add_test(tc, test_pki_defaults);
	tcase_add_test(tc, test_tls_ok);
	tcase_add_test(tc, test_tls_ip_host);
	tcase_add_test(tc, test_tls_wrong_host);
	tcase_add_test(tc, test_tls_server_cert_as_client);
	tcase_add_test(tc, test_tls_no_eku);
	tcase_add_test(tc, test_tls_other_client_keys);
	tcase_add_test(tc, test_tls_foreign_ca);
	tcase_add_test(tc, test_tls_no_client_cert);
	tcase_add_test(tc, test_tls_alpn);
	tcase_add_test(tc, test_tls_ctx_errors);
	tcase_add_test(tc, test_tls_errors);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite in check's default fork mode (CK_FORK=no to debug). */
int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* A TLS peer that went away must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(check_pki_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
