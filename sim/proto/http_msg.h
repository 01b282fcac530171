/* http_msg.h -- HTTP/1.1 message pieces shared by the server and client
 * engines: header fields (RFC 9112 §5, RFC 9110 §5), Content-Length (RFC 9112
 * §6.3, RFC 9110 §8.6), Connection tokens (RFC 9112 §9.3), status reasons
 * (RFC 9110 §15) and the fixed limits both sides enforce.
 * Everything works on (pointer, length); nothing here allocates. */
#ifndef MAILSIM_PROTO_HTTP_MSG_H
#define MAILSIM_PROTO_HTTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_LINE_MAX 8192          /* request/status line or one field line, CRLF incl. */
#define HTTP_HEADER_BYTES_MAX 16384 /* the whole header section */
#define HTTP_HEADERS_MAX 64         /* field lines per message */

/* One header field. name and value are borrowed and NUL-terminated. */
struct http_header {
    const char *name;
    const char *value;
};

/* A header section under construction: fields copied into fixed storage. */
struct http_fields {
    char store[HTTP_HEADER_BYTES_MAX];
    size_t used;
    struct http_header f[HTTP_HEADERS_MAX];
    size_t n;
};

/* Results of http_fields_add(). */
enum http_field_err {
    HTTP_FIELD_OK,
    HTTP_FIELD_SYNTAX,   /* 400: bad name, space before ':', CTL in value */
    HTTP_FIELD_OBS_FOLD, /* 400: a line starting with SP/HTAB (RFC 9112 §5.2) */
    HTTP_FIELD_TOO_MANY, /* 431: over HTTP_HEADERS_MAX or HTTP_HEADER_BYTES_MAX */
};

/* Empty the section. Can't fail. */
void http_fields_reset(struct http_fields *h);
/* Parse one field line (no CRLF) "name: OWS value OWS" and append it.
 * The value may hold SP, HTAB, VCHAR and obs-text; never NUL, CR or LF. */
enum http_field_err http_fields_add(struct http_fields *h, const char *line, size_t len);
/* First field named name (case-insensitive), or NULL; *count gets how many
 * fields have that name when count is not NULL. */
const char *http_fields_get(const struct http_fields *h, const char *name, size_t *count);

/* Case-insensitive comparison of two NUL-terminated ASCII strings. */
bool http_ieq(const char *a, const char *b);
/* True when the comma-separated list value holds token (case-insensitive). */
bool http_list_has(const char *value, const char *token);
/* Content-Length = 1*DIGIT (RFC 9110 §8.6), no sign, no spaces, no list;
 * false when malformed or above UINT64 range. */
bool http_parse_length(const char *value, uint64_t *out);
/* tchar of RFC 9110 §5.6.2. */
bool http_is_tchar(unsigned char c);
/* True when s is a non-empty token. */
bool http_is_token(const char *s, size_t len);
/* True when s (len bytes) can go on the wire as a field value: no CR, LF, NUL
 * or other CTL except HTAB. */
bool http_value_ok(const char *s, size_t len);
/* The reason phrase of a status code ("Not Found"), "Unknown" otherwise. */
const char *http_status_reason(int code);

#endif
