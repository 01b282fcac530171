/* qp.h -- quoted-printable (RFC 2045 §6.7) and the Q encoding of RFC 2047 §4.2.
 *
 * Encoding follows §6.7 rules 1-5: "=XX" with uppercase hex for '=' and for
 * octets outside 33..126 (except SPACE and TAB in the middle of a line),
 * SPACE/TAB at the end of a line encoded, soft line breaks "=" CRLF so that no
 * encoded line passes 76 characters, and CRLF of the input kept as a hard line
 * break when binary is false. Decoding accepts lowercase hex, removes
 * trailing whitespace before a line end (rule 3) and undoes soft breaks;
 * a malformed "=" is an error in strict mode, kept as it is otherwise (§6.7
 * note 1). (pointer, length) throughout. */
#ifndef MAILSIM_FORMAT_QP_H
#define MAILSIM_FORMAT_QP_H

#include <stdbool.h>
#include <stddef.h>

/* Most bytes qp_encode can write for n input bytes (a safe upper bound). */
size_t qp_encoded_max(size_t n);
/* Encode in[0..n) into out (room for qp_encoded_max(n)). With binary, every
 * CR and LF is encoded (=0D =0A) so any byte string survives the round trip;
 * without it, CRLF in the input is a line break and a bare CR or LF is
 * encoded. Returns bytes written. Can't fail. */
size_t qp_encode(const unsigned char *in, size_t n, char *out, bool binary);
/* Decode in[0..n) into out (room for n bytes). Returns false in strict mode
 * on '=' not followed by two hex digits or a line end; otherwise such bytes
 * are copied literally. *out_len is the decoded length. A line end in the
 * input (CRLF, or bare LF) is written as CRLF. */
bool qp_decode(const char *in, size_t n, unsigned char *out, size_t *out_len, bool strict);

/* Most bytes qp_q_encode can write for n input bytes. */
size_t qp_q_encoded_max(size_t n);
/* RFC 2047 §4.2 "Q" encoding for an encoded-word in a phrase or text: SPACE
 * as '_', letters, digits and "!*+-/" as themselves, everything else =XX.
 * Returns bytes written. Can't fail. */
size_t qp_q_encode(const unsigned char *in, size_t n, char *out);
/* Decode "Q" text ('_' is SPACE). False on a malformed "=". */
bool qp_q_decode(const char *in, size_t n, unsigned char *out, size_t *out_len);

#endif
