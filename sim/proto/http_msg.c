/* http_msg.c -- HTTP/1.1 header fields and small grammar helpers (see http_msg.h). */
#include "proto/http_msg.h"
#include "core/ascii.h"

#include <string.h>

bool http_is_tchar(unsigned char c)
{
    /* RFC 9110 §5.6.2: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
     * / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool http_is_token(const char *s, size_t len)
{
    if (len == 0) return false;
    for (size_t i = 0; i < len; i++) {
        if (!http_is_tchar((unsigned char)s[i])) return false;
    }
    return true;
}

bool http_value_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

void http_fields_reset(struct http_fields *h)
{
    h->used = 0;
    h->n = 0;
}

enum http_field_err http_fields_add(struct http_fields *h, const char *line, size_t len)
{
    if (len > 0 && (line[0] == ' ' || line[0] == '\t')) return HTTP_FIELD_OBS_FOLD;
    const char *colon = memchr(line, ':', len);
    if (!colon) return HTTP_FIELD_SYNTAX;
    size_t nlen = (size_t)(colon - line);
    /* RFC 9112 §5.1: no whitespace between name and colon; a server MUST
     * reject it with 400. The name is a token. */
    if (!http_is_token(line, nlen)) return HTTP_FIELD_SYNTAX;
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t vlen = (size_t)(end - v);
    if (!http_value_ok(v, vlen)) return HTTP_FIELD_SYNTAX;
    if (h->n == HTTP_HEADERS_MAX || h->used + nlen + vlen + 2 > sizeof h->store) {
        return HTTP_FIELD_TOO_MANY;
    }
    char *name = h->store + h->used;
    memcpy(name, line, nlen);
    name[nlen] = '\0';
    char *val = name + nlen + 1;
    memcpy(val, v, vlen);
    val[vlen] = '\0';
    h->used += nlen + vlen + 2;
    h->f[h->n].name = name;
    h->f[h->n].value = val;
    h->n++;
    return HTTP_FIELD_OK;
}

bool http_ieq(const char *a, const char *b)
{
    return ascii_casecmp(a, b) == 0;
}

const char *http_fields_get(const struct http_fields *h, const char *name, size_t *count)
{
    const char *first = NULL;
    size_t c = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (http_ieq(h->f[i].name, name)) {
            if (!first) first = h->f[i].value;
            c++;
        }
    }
    if (count) *count = c;
    return first;
}

bool http_list_has(const char *value, const char *token)
{
    size_t tl = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *s = p;
        while (*p && *p != ',') p++;
        const char *e = p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if ((size_t)(e - s) == tl && ascii_memcasecmp(s, token, tl) == 0) return true;
    }
    return false;
}

bool http_parse_length(const char *value, uint64_t *out)
{
    if (!*value) return false;
    uint64_t x = 0;
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10) return false;
        x = x * 10 + d;
    }
    *out = x;
    return true;
}

const char *http_status_reason(int code)
{
    /* RFC 9110 §15 (and RFC 6585 §5 for 431). */
    static const struct {
        int code;
        const char *text;
    } t[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {414, "URI Too Long"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].code == code) return t[i].text;
    }
    return "Unknown";
}
