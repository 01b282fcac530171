/* base64.h -- RFC 4648 §4 base64, with the 76-character lines of MIME
 * (RFC 2045 §6.8) when asked. Decoding is strict: it refuses characters
 * outside the alphabet (except CRLF between groups when lenient_eol is set)
 * and bad padding, and never writes past the output length it returns. */
#ifndef MAILSIM_FORMAT_BASE64_H
#define MAILSIM_FORMAT_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes b64_encode will write for n input bytes, with CRLF every line_len
 * output characters (0 = one line). Does not count a NUL. */
size_t b64_encoded_len(size_t n, size_t line_len);
/* Encode in[0..n) into out (room for b64_encoded_len(n, line_len) bytes).
 * With line_len > 0, a CRLF follows every line_len characters, but none is
 * added after the last line. Returns the bytes written. Can't fail. */
size_t b64_encode(const unsigned char *in, size_t n, char *out, size_t line_len);
/* Most bytes b64_decode can produce from n input characters. */
size_t b64_decoded_max(size_t n);
/* Decode in[0..n) into out (room for b64_decoded_max(n) bytes). With
 * allow_crlf, CR and LF are skipped (MIME bodies); otherwise they are errors
 * (SASL). Returns false on any other character, misplaced '=' or a dangling
 * group; *out_len is the decoded length on success. */
bool b64_decode(const char *in, size_t n, unsigned char *out, size_t *out_len, bool allow_crlf);

#endif
