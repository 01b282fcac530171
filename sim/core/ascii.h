/* ascii.h -- case-insensitive comparison of ASCII text, the same in every
 * locale: protocol verbs, header field names, domains (RFC 5321 §2.4, RFC
 * 5322 §1.2.2, RFC 9051 §9: case-insensitive means ASCII letters only). Bytes
 * outside A-Z are compared as they are; no locale is consulted. */
#ifndef MAILSIM_CORE_ASCII_H
#define MAILSIM_CORE_ASCII_H

#include <stddef.h>

/* c with A-Z mapped to a-z; every other byte unchanged. This function can't fail. */
static inline unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Compare NUL-terminated a and b ignoring ASCII case: <0, 0 or >0, ordered
 * by the lower-cased bytes as unsigned char (like strcasecmp in the "C"
 * locale). This function can't fail. */
int ascii_casecmp(const char *a, const char *b);

/* As ascii_casecmp, but at most n bytes; stops early at a NUL in either
 * string. ascii_ncasecmp(a, b, 0) is 0. This function can't fail. */
int ascii_ncasecmp(const char *a, const char *b, size_t n);

/* Compare exactly n bytes ignoring ASCII case; a NUL is an ordinary byte
 * (for counted protocol text, which may hold one). This function can't fail. */
int ascii_memcasecmp(const void *a, const void *b, size_t n);

#endif
