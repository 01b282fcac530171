/* bridge_tls.h -- TLS for live mode's real sockets (OpenSSL): a server
 * context with a certificate generated at start (self-signed, for
 * localhost, 127.0.0.1, ::1 and the --listen address) or loaded from files,
 * and non-blocking handshake, read and write on one socket. The simulated
 * servers never see TLS: the bridge encrypts the real client's side only,
 * after STARTTLS (RFC 3207, RFC 2595 §4, RFC 3501 §6.2.1) or from the
 * first byte on the implicit-TLS ports (RFC 8314). Internal to sim/bridge. */
#ifndef MAILSIM_BRIDGE_BRIDGE_TLS_H
#define MAILSIM_BRIDGE_BRIDGE_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/bridge.h"
#include "core/common.h"

struct bridge_tls;
struct ssl_st; /* OpenSSL's SSL */

/* A server context. With cert_file and key_file (PEM) both set, they are
 * loaded; with both NULL a P-256 key and a self-signed certificate valid
 * for 30 days are made and written (PEM) to a new file in $TMPDIR (or
 * /tmp) that clients can be told to trust; it is removed by
 * bridge_tls_free. Returns NULL with err filled when a file cannot be read
 * or does not match, or OpenSSL fails. */
struct bridge_tls *bridge_tls_new(const char *cert_file, const char *key_file,
                                  const struct bridge_addr *listen, struct ms_error *err);
/* Free the context (sessions must be ended first). NULL is a no-op. */
void bridge_tls_free(struct bridge_tls *t);
/* The certificate file clients should trust, and its SHA-256 fingerprint
 * ("AB:CD:..."). Can't fail. */
const char *bridge_tls_cert_path(const struct bridge_tls *t);
const char *bridge_tls_fingerprint(const struct bridge_tls *t);

enum bridge_tls_rc {
    BRIDGE_TLS_OK,         /* done, or some bytes moved */
    BRIDGE_TLS_WANT_READ,  /* call again when the socket is readable */
    BRIDGE_TLS_WANT_WRITE, /* call again when the socket is writable */
    BRIDGE_TLS_CLOSED,     /* the client closed (close_notify or EOF) */
    BRIDGE_TLS_ERROR,      /* the handshake or a record failed: drop the client */
};

/* A server session on the non-blocking socket fd. Aborts only if memory is
 * exhausted. */
struct ssl_st *bridge_tls_session(struct bridge_tls *t, int fd);
/* Advance the handshake. */
enum bridge_tls_rc bridge_tls_handshake(struct ssl_st *ssl);
/* Read up to cap plaintext bytes; *got tells how many (OK only). */
enum bridge_tls_rc bridge_tls_read(struct ssl_st *ssl, char *buf, size_t cap, size_t *got);
/* Write up to len plaintext bytes; *put tells how many (OK only). */
enum bridge_tls_rc bridge_tls_write(struct ssl_st *ssl, const char *buf, size_t len, size_t *put);
/* Plaintext bytes already decrypted and waiting inside the session. */
size_t bridge_tls_pending(struct ssl_st *ssl);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384": what the handshake agreed. */
void bridge_tls_describe(struct ssl_st *ssl, char *buf, size_t cap);
/* The reason of the last failure, for the trace ("wrong version number").
 * Can't fail. */
const char *bridge_tls_last_error(void);
/* Send close_notify (best effort) and free the session. NULL is a no-op. */
void bridge_tls_end(struct ssl_st *ssl);

#endif
