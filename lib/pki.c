/*
 * pki.c - the runnel certificate authority: runnel_pki_init() makes a CA and
 * a server certificate in a directory, runnel_pki_issue() a client
 * certificate signed by that CA.  The CA and server keys are ECDSA P-256,
 * client keys Ed25519: a daemon keeps each client's parsed certificate for
 * the life of its connection, and an Ed25519 key is a fraction of the size
 * of an EC key with its group.  Every certificate is signed by the CA's
 * P-256 key with SHA-256.  Keys are written once, mode 0600, as
 * unencrypted PKCS#8; nothing existing is ever overwritten.
 */

#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common.h"
#include "runnel.h"

#define PKI_CA_DAYS		3652	/* ten years */
#define PKI_LEAF_DAYS		825
#define PKI_BACKDATE		300	/* seconds, for clock skew */
#define PKI_SERIAL_BYTES	16
#define PKI_CN_MAX		64	/* ub-common-name */
#define PKI_DNS_MAX		253
#define PKI_MAX_FILES		4

struct pki_ext {
	int		 nid;
	const char	*value;
};

enum pki_key {
	PKI_KEY_P256,
	PKI_KEY_ED25519
};

/* What one kind of certificate is: its key, lifetime and extensions. */
struct pki_profile {
	enum pki_key		 key;
	long			 days;
	const struct pki_ext	*exts;
	size_t			 nexts;
};

/* The files made by one call, removed again if the call fails. */
struct pki_files {
	char		*path[PKI_MAX_FILES];
	size_t		 n;
};

static const struct pki_ext pki_ca_exts[] = {
	{ .nid = NID_basic_constraints, .value = "critical,CA:TRUE" },
	{ .nid = NID_key_usage, .value = "critical,keyCertSign,cRLSign" },
	{ .nid = NID_subject_key_identifier, .value = "hash" },
};

static const struct pki_ext pki_server_exts[] = {
	{ .nid = NID_basic_constraints, .value = "critical,CA:FALSE" },
	{ .nid = NID_key_usage, .value = "critical,digitalSignature" },
	{ .nid = NID_ext_key_usage, .value = "serverAuth" },
	{ .nid = NID_subject_key_identifier, .value = "hash" },
	{ .nid = NID_authority_key_identifier, .value = "keyid:always" },
};

static const struct pki_ext pki_client_exts[] = {
	{ .nid = NID_basic_constraints, .value = "critical,CA:FALSE" },
	{ .nid = NID_key_usage, .value = "critical,digitalSignature" },
	{ .nid = NID_ext_key_usage, .value = "clientAuth" },
	{ .nid = NID_subject_key_identifier, .value = "hash" },
	{ .nid = NID_authority_key_identifier, .value = "keyid:always" },
};

#define PKI_NEXTS(a)	(sizeof (a) / sizeof (a)[0])

static const struct pki_profile pki_ca = {
	.key = PKI_KEY_P256,
	.days = PKI_CA_DAYS,
	.exts = pki_ca_exts,
	.nexts = PKI_NEXTS(pki_ca_exts)
};

static const struct pki_profile pki_server = {
	.key = PKI_KEY_P256,
	.days = PKI_LEAF_DAYS,
	.exts = pki_server_exts,
	.nexts = PKI_NEXTS(pki_server_exts)
};

static const struct pki_profile pki_client = {
	.key = PKI_KEY_ED25519,
	.days = PKI_LEAF_DAYS,
	.exts = pki_client_exts,
	.nexts = PKI_NEXTS(pki_client_exts)
};

/* Set *why to "what: openssl errors". */
static void
pki_ssl_cause(char **why, const char *what)
{
	char	*errs;

	errs = tls_errors();
	free(*why);
	*why = str_printf("%s: %s", what, errs == NULL ? "unknown error" :
	    errs);
	free(errs);
}

/* Hand a failure's text to the caller, or drop it. */
static int
pki_fail(char *why, char **cause)
{
	ERR_clear_error();
	if (cause != NULL)
		*cause = why != NULL ? why : strdup("out of memory");
	else
		free(why);
	return RUNNEL_EPKI;
}

/* Is this an IPv4 or IPv6 address literal? */
static int
pki_is_ip(const char *name)
{
	struct in6_addr	in6;
	struct in_addr	in4;

	return (inet_pton(AF_INET, name, &in4) == 1 ||
	    inet_pton(AF_INET6, name, &in6) == 1);
}

/* Is this usable as a DNS name in a certificate? */
static int
pki_is_dns(const char *name)
{
	const char	*p;
	size_t		 len = strlen(name);

	if (len == 0 || len > PKI_DNS_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr("-._*", *p) == NULL)
			return 0;
	}
	return 1;
}

/* Is this usable as a client name: a file name and a CN (UTF8String)? */
static int
pki_is_client_name(const char *name)
{
	const char	*p;

	if (name == NULL || *name == '\0' || *name == '.' ||
	    strlen(name) > PKI_CN_MAX || !utf8_valid(name, strlen(name)))
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '/' || iscntrl((unsigned char)*p))
			return 0;
	}
	return 1;
}

/* Make "dir/name". */
static char *
pki_path(const char *dir, const char *name, const char *suffix)
{
	return str_printf("%s/%s%s", dir, name, suffix);
}

/* Fail if a file already exists: nothing is ever overwritten. */
static int
pki_check_absent(const char *path, char **why)
{
	struct stat	sb;

	if (lstat(path, &sb) == 0) {
		*why = str_printf("%s exists: refusing to overwrite it", path);
		return -1;
	}
	if (errno != ENOENT) {
		*why = str_printf("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Create the directory if it is missing (mode 0700), and its missing
 * parents (0755, as mkdir -p); *made says the directory itself was new. */
static int
pki_mkdir(const char *dir, int *made, char **why)
{
	struct stat	 sb;
	char		*p, *slash;

	if ((p = strdup(dir)) == NULL) {
		*why = str_printf("%s", strerror(ENOMEM));
		return -1;
	}
	for (slash = strchr(p + 1, '/'); slash != NULL && slash[1] != '\0';
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			*why = str_printf("cannot create directory %s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		*slash = '/';
	}
	free(p);
	if (mkdir(dir, 0700) == 0) {
		*made = 1;
		return 0;
	}
	if (errno != EEXIST) {
		*why = str_printf("cannot create directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		*why = str_printf("%s: not a directory", dir);
		return -1;
	}
	return 0;
}

/* Generate an ECDSA P-256 or an Ed25519 key. */
static EVP_PKEY *
pki_keygen(enum pki_key type, char **why)
{
	EVP_PKEY	*key;

	if (type == PKI_KEY_ED25519)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		key = EVP_EC_gen("P-256");
	if (key == NULL)
		pki_ssl_cause(why, "cannot generate key");
	return key;
}

/* Give a certificate a random 128-bit serial number. */
static int
pki_serial(X509 *x)
{
	unsigned char	 buf[PKI_SERIAL_BYTES];
	BIGNUM		*bn;
	int		 ok;

	if (RAND_bytes(buf, sizeof buf) != 1)
		return -1;
	buf[0] |= 0x01;		/* never zero */
	if ((bn = BN_bin2bn(buf, sizeof buf, NULL)) == NULL)
		return -1;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Add a subjectAltName with each name as IP or DNS entry. */
static int
pki_add_san(X509 *x, const char *const *names, size_t n)
{
	GENERAL_NAMES		*gens;
	GENERAL_NAME		*gen = NULL;
	ASN1_OCTET_STRING	*ip;
	ASN1_IA5STRING		*dns;
	size_t			 i;
	int			 rc = -1;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((gen = GENERAL_NAME_new()) == NULL)
			goto fail;
		if (pki_is_ip(names[i])) {
			if ((ip = a2i_IPADDRESS(names[i])) == NULL)
				goto fail;
			GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
		} else {
			if ((dns = ASN1_IA5STRING_new()) == NULL)
				goto fail;
			if (ASN1_STRING_set(dns, names[i], -1) != 1) {
				ASN1_IA5STRING_free(dns);
				goto fail;
			}
			GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
		}
		if (sk_GENERAL_NAME_push(gens, gen) <= 0)
			goto fail;
		gen = NULL;
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) == 1)
		rc = 0;

fail:
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

/*
 * Make a certificate of profile p for key with the given CN, signed by
 * issuer's key, or self-signed if issuer is NULL.  The signer is the CA's
 * key, P-256 when runnel_pki_init made it, hence SHA-256 whatever the
 * subject's key is (an Ed25519 signer would want no digest at all).
 */
static X509 *
pki_cert(const struct pki_profile *p, const char *cn, EVP_PKEY *key,
    X509 *issuer, EVP_PKEY *signkey, const char *const *names,
    size_t nnames, char **why)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	X509_NAME	*subject;
	X509		*x;
	time_t		 now = time(NULL);
	size_t		 i;

	if ((x = X509_new()) == NULL)
		goto fail;
	if (X509_set_version(x, X509_VERSION_3) != 1 || pki_serial(x) != 0)
		goto fail;
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -PKI_BACKDATE,
	    &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), p->days, -PKI_BACKDATE,
	    &now) == NULL)
		goto fail;
	subject = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		goto fail;
	if (X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : subject) != 1)
		goto fail;
	if (X509_set_pubkey(x, key) != 1)
		goto fail;

	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	for (i = 0; i < p->nexts; i++) {
		ext = X509V3_EXT_conf_nid(NULL, &v3, p->exts[i].nid,
		    p->exts[i].value);
		if (ext == NULL)
			goto fail;
		if (X509_add_ext(x, ext, -1) != 1) {
			X509_EXTENSION_free(ext);
			goto fail;
		}
		X509_EXTENSION_free(ext);
	}
	if (nnames > 0 && pki_add_san(x, names, nnames) != 0)
		goto fail;

	if (X509_sign(x, signkey, EVP_sha256()) <= 0)
		goto fail;
	return x;

fail:
	pki_ssl_cause(why, "cannot make certificate");
	X509_free(x);
	return NULL;
}

/* Write a key (mode 0600) or a certificate (0644) to a new file. */
static int
pki_write(struct pki_files *files, const char *path, EVP_PKEY *key,
    X509 *x, char **why)
{
	FILE	*f;
	mode_t	 mode = key != NULL ? 0600 : 0644;
	int	 fd, ok, saved;

	if (files->n == PKI_MAX_FILES) {
		*why = str_printf("%s: too many files", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		*why = str_printf("cannot create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if ((files->path[files->n] = strdup(path)) == NULL) {
		saved = errno;
		close(fd);
		unlink(path);
		*why = str_printf("%s: %s", path, strerror(saved));
		return -1;
	}
	files->n++;
	/* The umask may have taken bits away: set exactly what we mean. */
	if (fchmod(fd, mode) != 0 || (f = fdopen(fd, "w")) == NULL) {
		*why = str_printf("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (key != NULL)
		ok = PEM_write_PKCS8PrivateKey(f, key, NULL, NULL, 0, NULL,
		    NULL) == 1;
	else
		ok = PEM_write_X509(f, x) == 1;
	if (!ok) {
		fclose(f);
		pki_ssl_cause(why, path);
		return -1;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		*why = str_printf("cannot write %s: %s", path,
		    strerror(errno));
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		*why = str_printf("cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Forget the files of a call; remove them first if it failed. */
static void
pki_files_done(struct pki_files *files, int failed)
{
	size_t	i;

	for (i = 0; i < files->n; i++) {
		if (failed)
			unlink(files->path[i]);
		free(files->path[i]);
	}
	files->n = 0;
}

/* Make a key and a certificate of profile p for it, and write both. */
static int
pki_make_pair(struct pki_files *files, const struct pki_profile *p,
    const char *dir, const char *base, const char *cn, X509 *issuer,
    EVP_PKEY *signkey, const char *const *names, size_t nnames, X509 **xp,
    EVP_PKEY **keyp, char **why)
{
	EVP_PKEY	*key;
	X509		*x = NULL;
	char		*keypath = NULL, *crtpath = NULL;
	int		 rc = -1;

	if ((key = pki_keygen(p->key, why)) == NULL)
		return -1;
	if (signkey == NULL)
		signkey = key;
	x = pki_cert(p, cn, key, issuer, signkey, names, nnames, why);
	if (x == NULL)
		goto fail;
	keypath = pki_path(dir, base, ".key");
	crtpath = pki_path(dir, base, ".crt");
	if (keypath == NULL || crtpath == NULL) {
		*why = str_printf("%s", strerror(ENOMEM));
		goto fail;
	}
	if (pki_write(files, keypath, key, NULL, why) != 0)
		goto fail;
	if (pki_write(files, crtpath, NULL, x, why) != 0)
		goto fail;
	rc = 0;
	if (xp != NULL) {
		*xp = x;
		x = NULL;
	}
	if (keyp != NULL) {
		*keyp = key;
		key = NULL;
	}

fail:
	free(crtpath);
	free(keypath);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* Check that none of base.key and base.crt exists in dir. */
static int
pki_check_pair_absent(const char *dir, const char *base, char **why)
{
	const char	*suffix[] = { ".key", ".crt" };
	char		*path;
	size_t		 i;
	int		 rc;

	for (i = 0; i < 2; i++) {
		if ((path = pki_path(dir, base, suffix[i])) == NULL) {
			*why = str_printf("%s", strerror(ENOMEM));
			return -1;
		}
		rc = pki_check_absent(path, why);
		free(path);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Read a PEM certificate or private key from dir/name. */
static int
pki_read(const char *dir, const char *name, X509 **x, EVP_PKEY **key,
    char **why)
{
	FILE	*f;
	char	*path;
	int	 rc = -1;

	if ((path = pki_path(dir, name, "")) == NULL) {
		*why = str_printf("%s", strerror(ENOMEM));
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		*why = str_printf("cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	if (x != NULL)
		*x = PEM_read_X509(f, NULL, NULL, NULL);
	else
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if ((x != NULL && *x == NULL) || (x == NULL && *key == NULL)) {
		pki_ssl_cause(why, path);
		goto fail;
	}
	rc = 0;

fail:
	free(path);
	return rc;
}

/* Create the CA and the server certificate for names in dir. */
int
runnel_pki_init(const char *dir, const char *const *names, size_t n,
    char **cause)
{
	struct pki_files	 files = { .n = 0 };
	EVP_PKEY		*cakey = NULL;
	X509			*ca = NULL;
	const char		*cn;
	char			*why = NULL;
	size_t			 i;
	int			 made = 0;

	if (cause != NULL)
		*cause = NULL;
	if (dir == NULL || *dir == '\0' || (n > 0 && names == NULL)) {
		why = strdup("no directory or names given");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (names[i] == NULL ||
		    (!pki_is_ip(names[i]) && !pki_is_dns(names[i]))) {
			why = str_printf("invalid server name: %s",
			    names[i] == NULL ? "(null)" : names[i]);
			goto fail;
		}
	}
	cn = n > 0 ? names[0] : "runneld";
	if (strlen(cn) > PKI_CN_MAX) {
		why = str_printf("server name too long for a certificate: %s",
		    cn);
		goto fail;
	}

	if (pki_mkdir(dir, &made, &why) != 0)
		goto fail;
	if (pki_check_pair_absent(dir, "ca", &why) != 0 ||
	    pki_check_pair_absent(dir, "server", &why) != 0)
		goto fail;

	if (pki_make_pair(&files, &pki_ca, dir, "ca", "runnel CA", NULL, NULL,
	    NULL, 0, &ca, &cakey, &why) != 0)
		goto fail;
	if (pki_make_pair(&files, &pki_server, dir, "server", cn, ca, cakey,
	    names, n, NULL, NULL, &why) != 0)
		goto fail;

	pki_files_done(&files, 0);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return 0;

fail:
	pki_files_done(&files, 1);
	if (made)
		rmdir(dir);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return pki_fail(why, cause);
}

/* Issue a client certificate NAME.crt, NAME.key from the CA in dir. */
int
runnel_pki_issue(const char *dir, const char *name, char **cause)
{
	struct pki_files	 files = { .n = 0 };
	EVP_PKEY		*cakey = NULL;
	X509			*ca = NULL;
	char			*why = NULL;

	if (cause != NULL)
		*cause = NULL;
	if (dir == NULL || *dir == '\0') {
		why = strdup("no directory given");
		goto fail;
	}
	if (!pki_is_client_name(name)) {
		why = str_printf("invalid client name: \"%s\" (1 to %d bytes "
		    "of UTF-8, no '/' or control characters, not starting "
		    "with '.')", name == NULL ? "" : name, PKI_CN_MAX);
		goto fail;
	}
	if (pki_read(dir, "ca.crt", &ca, NULL, &why) != 0 ||
	    pki_read(dir, "ca.key", NULL, &cakey, &why) != 0)
		goto fail;
	if (X509_check_private_key(ca, cakey) != 1) {
		pki_ssl_cause(&why, "ca.key does not match ca.crt");
		goto fail;
	}
	if (pki_check_pair_absent(dir, name, &why) != 0)
		goto fail;
	if (pki_make_pair(&files, &pki_client, dir, name, name, ca, cakey,
	    NULL, 0, NULL, NULL, &why) != 0)
		goto fail;

	pki_files_done(&files, 0);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return 0;

fail:
	pki_files_done(&files, 1);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return pki_fail(why, cause);
}
