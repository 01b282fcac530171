/* bridge_tls.c -- OpenSSL for live mode's real sockets (see bridge_tls.h). */
#include "bridge/bridge_tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BRIDGE_TLS_DAYS 30

struct bridge_tls {
    SSL_CTX *ctx;
    char cert_path[512];
    bool owns_file; /* generated: removed at the end */
    char fingerprint[3 * 32];
};

static char bridge_tls_err_text[256];

const char *bridge_tls_last_error(void)
{
    return bridge_tls_err_text[0] ? bridge_tls_err_text : "unknown TLS error";
}

/* Keep OpenSSL's first queued reason for the trace; clear the queue. */
static void bridge_tls_take_error(const char *what)
{
    unsigned long e = ERR_get_error();
    char reason[200];
    if (e)
        ERR_error_string_n(e, reason, sizeof reason);
    else
        snprintf(reason, sizeof reason, "no detail");
    snprintf(bridge_tls_err_text, sizeof bridge_tls_err_text, "%s: %s", what, reason);
    ERR_clear_error();
}

static bool bridge_tls_fail(struct ms_error *err, const char *what)
{
    bridge_tls_take_error(what);
    return ms_error_set(err, 1, "--tls", "%s", bridge_tls_err_text);
}

static bool bridge_tls_add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext) return false;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1;
}

/* A certificate for key: a CA when issuer is NULL (self-signed), else a
 * server certificate for the names in san, signed by issuer / issuer_key.
 * NULL on failure. */
static X509 *bridge_tls_make_cert(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *cn,
                                  const char *san)
{
    X509 *x = X509_new();
    bool ok = x != NULL;
    unsigned char serial[16];
    if (ok) ok = RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f; /* a positive INTEGER */
        BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
        BN_free(bn);
    }
    if (ok)
        ok = X509_set_version(x, 2) == 1 && X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(x), (long)BRIDGE_TLS_DAYS * 86400) &&
             X509_set_pubkey(x, key) == 1;
    if (ok) {
        X509_NAME *n = X509_get_subject_name(x);
        ok = X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                        (const unsigned char *)"mailsim live mode", -1, -1,
                                        0) == 1 &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                        0) == 1 &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n) == 1;
    }
    X509 *iss = issuer ? issuer : x;
    if (ok && !issuer)
        ok = bridge_tls_add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
             bridge_tls_add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             bridge_tls_add_ext(x, iss, NID_subject_key_identifier, "hash");
    if (ok && issuer)
        ok = bridge_tls_add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             bridge_tls_add_ext(x, iss, NID_key_usage, "critical,digitalSignature") &&
             bridge_tls_add_ext(x, iss, NID_ext_key_usage, "serverAuth") &&
             bridge_tls_add_ext(x, iss, NID_subject_key_identifier, "hash") &&
             bridge_tls_add_ext(x, iss, NID_authority_key_identifier, "keyid:always") &&
             bridge_tls_add_ext(x, iss, NID_subject_alt_name, san);
    if (ok) ok = X509_sign(x, issuer ? issuer_key : key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* P-256 keys, a CA made now and a server certificate it signs for the
 * names a loopback (or --listen) client uses. The CA is what the file
 * holds: `curl --cacert FILE`, Python's ssl.create_default_context(cafile=
 * FILE) and Thunderbird (NSS, which refuses a CA certificate as a server's
 * own: MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY) all trust it as an
 * authority; its key is forgotten once the server certificate is signed. */
static bool bridge_tls_generate(struct bridge_tls *t, const struct bridge_addr *listen,
                                struct ms_error *err)
{
    char san[160];
    snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1%s%s",
             listen && !listen->loopback ? ",IP:" : "",
             listen && !listen->loopback ? listen->text : "");
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *ca =
        ca_key ? bridge_tls_make_cert(ca_key, NULL, NULL, "mailsim live mode CA", NULL) : NULL;
    X509 *x = ca && key ? bridge_tls_make_cert(key, ca, ca_key, "localhost", san) : NULL;
    EVP_PKEY_free(ca_key);
    bool ok = x != NULL;
    if (ok)
        ok = SSL_CTX_use_certificate(t->ctx, x) == 1 && SSL_CTX_use_PrivateKey(t->ctx, key) == 1;
    if (ok) { /* the chain the server sends: its certificate, then the CA */
        X509_up_ref(ca);
        ok = SSL_CTX_add1_chain_cert(t->ctx, ca) == 1;
        X509_free(ca);
    }
    if (!ok) {
        EVP_PKEY_free(key);
        X509_free(x);
        X509_free(ca);
        return bridge_tls_fail(err, "cannot make a certificate");
    }
    EVP_PKEY_free(key);
    key = NULL;
    X509_free(x);
    x = ca; /* what the file holds */
    /* The certificate (public) goes where clients can be pointed at it. */
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(t->cert_path, sizeof t->cert_path, "%s/mailsim-live-%ld-cert.pem", dir,
             (long)getpid());
    int fd = open(t->cert_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        EVP_PKEY_free(key);
        X509_free(x);
        return ms_error_set(err, 1, "--tls", "cannot write the certificate to %.150s",
                            t->cert_path);
    }
    ok = PEM_write_X509(f, x) == 1;
    ok = fclose(f) == 0 && ok;
    t->owns_file = true;
    EVP_PKEY_free(key);
    X509_free(x);
    if (!ok) return bridge_tls_fail(err, "cannot write the certificate");
    return true;
}

static void bridge_tls_fill_fingerprint(struct bridge_tls *t)
{
    X509 *x = SSL_CTX_get0_certificate(t->ctx);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    t->fingerprint[0] = '\0';
    if (!x || X509_digest(x, EVP_sha256(), md, &n) != 1) return;
    size_t o = 0;
    for (unsigned i = 0; i < n && o + 4 <= sizeof t->fingerprint; i++)
        o += (size_t)snprintf(t->fingerprint + o, sizeof t->fingerprint - o, "%s%02X", i ? ":" : "",
                              md[i]);
}

struct bridge_tls *bridge_tls_new(const char *cert_file, const char *key_file,
                                  const struct bridge_addr *listen, struct ms_error *err)
{
    struct bridge_tls *t = ms_xcalloc(1, sizeof *t);
    t->ctx = SSL_CTX_new(TLS_server_method());
    bool ok = t->ctx != NULL;
    if (!ok) bridge_tls_fail(err, "cannot make a TLS context");
    if (ok) {
        SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
        SSL_CTX_set_mode(t->ctx,
                         SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
        /* Clients (Thunderbird, curl) often close without close_notify: a
         * close, not a bad record. SMTP, POP3 and IMAP frame their own ends,
         * so a truncation cannot pass for a whole command (RFC 8446 §6.1). */
        SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    }
    if (ok && cert_file) {
        snprintf(t->cert_path, sizeof t->cert_path, "%s", cert_file);
        if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1)
            ok = bridge_tls_fail(err, cert_file);
        else if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1)
            ok = bridge_tls_fail(err, key_file);
        else if (SSL_CTX_check_private_key(t->ctx) != 1)
            ok = bridge_tls_fail(err, "the key does not match the certificate");
    } else if (ok) {
        ok = bridge_tls_generate(t, listen, err);
    }
    if (!ok) {
        bridge_tls_free(t);
        return NULL;
    }
    bridge_tls_fill_fingerprint(t);
    return t;
}

void bridge_tls_free(struct bridge_tls *t)
{
    if (!t) return;
    if (t->owns_file) unlink(t->cert_path);
    SSL_CTX_free(t->ctx);
    free(t);
}

const char *bridge_tls_cert_path(const struct bridge_tls *t)
{
    return t->cert_path;
}

const char *bridge_tls_fingerprint(const struct bridge_tls *t)
{
    return t->fingerprint;
}

SSL *bridge_tls_session(struct bridge_tls *t, int fd)
{
    SSL *ssl = SSL_new(t->ctx);
    if (!ssl) {
        fprintf(stderr, "mailsim: out of memory (SSL_new)\n");
        abort();
    }
    SSL_set_fd(ssl, fd);
    SSL_set_accept_state(ssl);
    return ssl;
}

/* Map an OpenSSL result; what is "closed" and what an error. */
static enum bridge_tls_rc bridge_tls_rc_of(SSL *ssl, int r, const char *what)
{
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
        return BRIDGE_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return BRIDGE_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return BRIDGE_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            snprintf(bridge_tls_err_text, sizeof bridge_tls_err_text, "%s: the client went away",
                     what);
            return BRIDGE_TLS_CLOSED;
        }
        bridge_tls_take_error(what);
        return BRIDGE_TLS_ERROR;
    default:
        bridge_tls_take_error(what);
        return BRIDGE_TLS_ERROR;
    }
}

enum bridge_tls_rc bridge_tls_handshake(SSL *ssl)
{
    ERR_clear_error();
    int r = SSL_do_handshake(ssl);
    return r == 1 ? BRIDGE_TLS_OK : bridge_tls_rc_of(ssl, r, "TLS handshake");
}

enum bridge_tls_rc bridge_tls_read(SSL *ssl, char *buf, size_t cap, size_t *got)
{
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_read_ex(ssl, buf, cap, &n);
    *got = n;
    return r == 1 ? BRIDGE_TLS_OK : bridge_tls_rc_of(ssl, r, "TLS read");
}

enum bridge_tls_rc bridge_tls_write(SSL *ssl, const char *buf, size_t len, size_t *put)
{
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_write_ex(ssl, buf, len, &n);
    *put = n;
    return r == 1 ? BRIDGE_TLS_OK : bridge_tls_rc_of(ssl, r, "TLS write");
}

size_t bridge_tls_pending(SSL *ssl)
{
    int n = SSL_pending(ssl);
    return n > 0 ? (size_t)n : 0;
}

void bridge_tls_describe(SSL *ssl, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s %s", SSL_get_version(ssl), SSL_get_cipher_name(ssl));
}

void bridge_tls_end(SSL *ssl)
{
    if (!ssl) return;
    if (SSL_is_init_finished(ssl)) (void)SSL_shutdown(ssl); /* best effort: non-blocking */
    ERR_clear_error();
    SSL_free(ssl);
}
