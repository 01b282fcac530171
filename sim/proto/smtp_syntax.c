/* smtp_syntax.c -- RFC 5321 §4.1.2 paths, domains and ESMTP parameters
 * (see smtp_syntax.h). */
#include "proto/smtp_syntax.h"
#include "core/ascii.h"

#include <string.h>

static bool smtp_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool smtp_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* atext of RFC 5322 §3.2.3, used by Dot-string (§4.1.2). */
static bool smtp_is_atext(unsigned char c)
{
    return smtp_is_alpha(c) || smtp_is_digit(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

const char *smtp_syntax_strerror(enum smtp_syntax_err e)
{
    static const char *const texts[] = {
#define SMTP_SYN_TEXT(name, text) text,
        SMTP_SYNTAX_ERRORS(SMTP_SYN_TEXT)
#undef SMTP_SYN_TEXT
    };
    if ((size_t)e >= sizeof texts / sizeof texts[0]) return "unknown syntax error";
    return texts[e];
}

bool smtp_word_eq(const char *s, size_t len, const char *word)
{
    return len == strlen(word) && ascii_memcasecmp(s, word, len) == 0;
}

/* Length of a Domain (not a literal) starting at s, or 0 if none. */
static size_t smtp_domain_span(const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        if (i >= len ||
            !(smtp_is_alpha((unsigned char)s[i]) || smtp_is_digit((unsigned char)s[i]))) {
            return 0; /* a label must start with a letter or digit */
        }
        while (i < len && (smtp_is_alpha((unsigned char)s[i]) ||
                           smtp_is_digit((unsigned char)s[i]) || s[i] == '-')) {
            i++;
        }
        if (s[i - 1] == '-' || i - start > 63) return 0;
        if (i < len && s[i] == '.') {
            i++;
            continue;
        }
        return i;
    }
}

/* Length of an address literal "[...]" at s, or 0 (§4.1.3, dcontent). */
static size_t smtp_literal_span(const char *s, size_t len)
{
    if (len < 3 || s[0] != '[') return 0;
    size_t i = 1;
    while (i < len && s[i] != ']') {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126 || c == '[' || c == '\\') return 0;
        i++;
    }
    if (i >= len || i == 1) return 0;
    return i + 1;
}

bool smtp_domain_valid(const char *s, size_t len)
{
    if (len == 0 || len > SMTP_DOMAIN_MAX) return false;
    if (s[0] == '[') return smtp_literal_span(s, len) == len;
    return smtp_domain_span(s, len) == len;
}

/* Length of a Local-part at s: Dot-string or Quoted-string; 0 if none. */
static size_t smtp_local_span(const char *s, size_t len)
{
    size_t i = 0;
    if (len > 0 && s[0] == '"') {
        i = 1;
        while (i < len && s[i] != '"') {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') { /* quoted-pairSMTP: backslash then %d32-126 */
                if (i + 1 >= len || (unsigned char)s[i + 1] < 32 || (unsigned char)s[i + 1] > 126) {
                    return 0;
                }
                i += 2;
                continue;
            }
            if (c < 32 || c > 126) return 0;
            i++;
        }
        return i < len ? i + 1 : 0;
    }
    for (;;) {
        size_t start = i;
        while (i < len && smtp_is_atext((unsigned char)s[i])) i++;
        if (i == start) return 0; /* empty atom: leading, trailing or double dot */
        if (i < len && s[i] == '.') {
            i++;
            continue;
        }
        return i;
    }
}

enum smtp_syntax_err smtp_parse_path(const char *s, size_t len, bool allow_null,
                                     bool allow_postmaster, struct smtp_path *p, size_t *used)
{
    memset(p, 0, sizeof *p);
    *used = 0;
    /* §4.1.2: no control characters in MAIL or RCPT (CRLF injection, S13). */
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 32 || c == 127) return SMTP_SYN_CONTROL;
        if (c >= 128) return SMTP_SYN_EIGHTBIT;
    }
    if (len == 0 || s[0] != '<') return SMTP_SYN_NO_BRACKET;
    size_t i = 1;
    if (i < len && s[i] == '>') {
        if (!allow_null) return SMTP_SYN_NULL;
        p->null_path = true;
        p->mailbox = s + 1;
        *used = 2;
        return SMTP_SYN_OK;
    }
    if (i < len && s[i] == '@') {
        /* A-d-l: accepted and ignored (§4.1.2, §C). */
        for (;;) {
            i++; /* the '@' */
            size_t d = smtp_domain_span(s + i, len - i);
            if (d == 0) return SMTP_SYN_ROUTE;
            i += d;
            if (i < len && s[i] == ',') {
                i++;
                if (i >= len || s[i] != '@') return SMTP_SYN_ROUTE;
                continue;
            }
            if (i < len && s[i] == ':') {
                i++;
                break;
            }
            return SMTP_SYN_ROUTE;
        }
    }
    size_t mb = i;
    size_t lp = smtp_local_span(s + i, len - i);
    if (lp == 0) return SMTP_SYN_LOCAL;
    if (lp > SMTP_LOCAL_PART_MAX) return SMTP_SYN_LOCAL_LONG;
    i += lp;
    if (i < len && s[i] == '>' && allow_postmaster && smtp_word_eq(s + mb, lp, "postmaster")) {
        p->postmaster = true;
        p->mailbox = s + mb;
        p->mailbox_len = lp;
        *used = i + 1;
        return SMTP_SYN_OK;
    }
    if (i >= len || s[i] != '@') return SMTP_SYN_NO_AT;
    i++;
    size_t dom = i;
    size_t dl = (i < len && s[i] == '[') ? smtp_literal_span(s + i, len - i)
                                         : smtp_domain_span(s + i, len - i);
    if (dl == 0) return SMTP_SYN_DOMAIN;
    if (dl > SMTP_DOMAIN_MAX) return SMTP_SYN_DOMAIN_LONG;
    i += dl;
    if (i >= len || s[i] != '>')
        return (i < len && s[i] != ' ') ? SMTP_SYN_DOMAIN : SMTP_SYN_NO_BRACKET;
    if (i + 1 > SMTP_PATH_MAX) return SMTP_SYN_PATH_LONG;
    p->mailbox = s + mb;
    p->mailbox_len = i - mb;
    p->domain = s + dom;
    p->domain_len = dl;
    *used = i + 1;
    return SMTP_SYN_OK;
}

int smtp_param_next(const char **s, size_t *len, const char **kw, size_t *kw_len, const char **val,
                    size_t *val_len)
{
    const char *p = *s;
    size_t n = *len;
    if (n == 0) return 0;
    if (p[0] != ' ') return -1;
    p++;
    n--;
    size_t i = 0;
    /* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
    if (n == 0 || !(smtp_is_alpha((unsigned char)p[0]) || smtp_is_digit((unsigned char)p[0])))
        return -1;
    while (i < n && (smtp_is_alpha((unsigned char)p[i]) || smtp_is_digit((unsigned char)p[i]) ||
                     p[i] == '-')) {
        i++;
    }
    *kw = p;
    *kw_len = i;
    *val = NULL;
    *val_len = 0;
    if (i < n && p[i] == '=') {
        size_t v = ++i;
        /* esmtp-value = 1*(%d33-60 / %d62-126) */
        while (i < n && (unsigned char)p[i] >= 33 && (unsigned char)p[i] <= 126 && p[i] != '=') i++;
        if (i == v) return -1;
        *val = p + v;
        *val_len = i - v;
    }
    if (i < n && p[i] != ' ') return -1;
    *s = p + i;
    *len = n - i;
    return 1;
}

bool smtp_parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!smtp_is_digit((unsigned char)s[i])) return false;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

unsigned smtp_count_received(const char *msg, size_t len)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len) {
        const char *lf = memchr(msg + i, '\n', len - i);
        size_t end = lf ? (size_t)(lf - msg) : len;
        size_t ll = end - i;
        if (ll > 0 && msg[end - 1] == '\r') ll--;
        if (ll == 0) break; /* the empty line ends the header */
        if (ll >= 9 && smtp_word_eq(msg + i, 9, "received:")) n++;
        i = end + 1;
    }
    return n;
}
