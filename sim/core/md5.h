/* md5.h -- the MD5 message digest (RFC 1321), for POP3 APOP (RFC 1939 §7).
 *
 * MD5 is broken for collision resistance (CVE-2007-1558 broke APOP with it);
 * mailsim uses it only because APOP is defined on it, to teach exactly that.
 * Streaming: md5_init, any number of md5_update calls, md5_final. */
#ifndef MAILSIM_CORE_MD5_H
#define MAILSIM_CORE_MD5_H

#include <stddef.h>
#include <stdint.h>

struct md5_ctx {
    uint32_t a, b, c, d; /* chaining state (RFC 1321 §3.3) */
    uint64_t total;      /* bytes fed so far */
    unsigned char block[64];
    size_t fill; /* bytes held in block */
};

/* Start a digest (RFC 1321 §3.3 initial words). Can't fail. */
void md5_init(struct md5_ctx *c);
/* Feed len bytes (may be 0). Can't fail. */
void md5_update(struct md5_ctx *c, const void *data, size_t len);
/* Pad, finish and write the 16-byte digest; c must be re-initialised to reuse. */
void md5_final(struct md5_ctx *c, unsigned char out[16]);
/* Digest of one buffer written as 32 lowercase hex digits plus NUL. Can't fail. */
void md5_hex(const void *data, size_t len, char out[33]);

#endif
