/* smtp_syntax.h -- RFC 5321 §4.1.2 grammar shared by the SMTP engines:
 * paths (<local@domain>, <>, source routes), domains and address literals,
 * ESMTP parameters (keyword[=value]), hostile-number-proof decimal parsing,
 * and a Received: counter for the loop guard (§6.3).
 * Everything works on (pointer, length); nothing allocates. Control
 * characters and 8-bit octets are never valid in an envelope (§4.1.2, §2.4). */
#ifndef MAILSIM_PROTO_SMTP_SYNTAX_H
#define MAILSIM_PROTO_SMTP_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of RFC 5321 §4.5.3.1. */
#define SMTP_LOCAL_PART_MAX 64
#define SMTP_DOMAIN_MAX 255
#define SMTP_PATH_MAX 256       /* including the angle brackets */
#define SMTP_CMD_LINE_MAX 512   /* including CRLF (§4.5.3.1.4) */
#define SMTP_REPLY_LINE_MAX 512 /* including CRLF (§4.5.3.1.5) */

#define SMTP_SYNTAX_ERRORS(X)                                                                      \
    X(SMTP_SYN_OK, "ok")                                                                           \
    X(SMTP_SYN_NO_BRACKET, "path must be enclosed in <> with no space before it")                  \
    X(SMTP_SYN_CONTROL, "control character in address")                                            \
    X(SMTP_SYN_EIGHTBIT, "8-bit octet in address (SMTPUTF8 is not offered)")                       \
    X(SMTP_SYN_LOCAL, "bad local part")                                                            \
    X(SMTP_SYN_LOCAL_LONG, "local part longer than 64 octets")                                     \
    X(SMTP_SYN_DOMAIN, "bad domain name")                                                          \
    X(SMTP_SYN_DOMAIN_LONG, "domain longer than 255 octets")                                       \
    X(SMTP_SYN_PATH_LONG, "path longer than 256 octets")                                           \
    X(SMTP_SYN_NO_AT, "address has no @domain")                                                    \
    X(SMTP_SYN_NULL, "null path <> not allowed here")                                              \
    X(SMTP_SYN_ROUTE, "bad source route")

enum smtp_syntax_err {
#define SMTP_SYN_ENUM(name, text) name,
    SMTP_SYNTAX_ERRORS(SMTP_SYN_ENUM)
#undef SMTP_SYN_ENUM
};

/* Printable reason for e. Can't fail. */
const char *smtp_syntax_strerror(enum smtp_syntax_err e);

/* A parsed path; pointers borrow from the parsed text. */
struct smtp_path {
    const char *mailbox; /* "local@domain" without brackets or source route; "" for <> */
    size_t mailbox_len;
    const char *domain; /* points inside mailbox; NULL for <> and <postmaster> */
    size_t domain_len;
    bool null_path;  /* "<>" */
    bool postmaster; /* "<postmaster>" with no domain (RCPT only, §4.5.1) */
};

/* Parse a path at the start of s[0..len): "<" [A-d-l ":"] Mailbox ">".
 * allow_null accepts "<>" (MAIL), allow_postmaster accepts "<postmaster>"
 * (RCPT). *used is the length of the path text including the brackets.
 * Returns SMTP_SYN_OK or the first problem. */
enum smtp_syntax_err smtp_parse_path(const char *s, size_t len, bool allow_null,
                                     bool allow_postmaster, struct smtp_path *p, size_t *used);

/* True when s[0..len) is a Domain (§4.1.2: labels of letters, digits and
 * hyphens, not starting or ending with a hyphen) or an address literal. */
bool smtp_domain_valid(const char *s, size_t len);

/* Iterate ESMTP parameters "kw[=value] kw[=value]" (§4.1.2): each call takes
 * the next one from (*s, *len). Returns 1 with the pieces filled, 0 at the end,
 * -1 on a syntax error (empty parameter, bad keyword or value character). */
int smtp_param_next(const char **s, size_t *len, const char **kw, size_t *kw_len, const char **val,
                    size_t *val_len);

/* Parse a decimal number of 1..20 digits with overflow checks (no sign, no
 * spaces, no exponent: bad-inputs X9). Returns false on any other text. */
bool smtp_parse_u64(const char *s, size_t len, uint64_t *out);

/* Case-insensitive comparison of s[0..len) with the NUL-terminated word. */
bool smtp_word_eq(const char *s, size_t len, const char *word);

/* Number of "Received:" header fields in the header of msg[0..len) (up to
 * the first empty line), for the loop guard of RFC 5321 §6.3. Can't fail. */
unsigned smtp_count_received(const char *msg, size_t len);

#endif
