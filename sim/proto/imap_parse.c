/* imap_parse.c -- IMAP syntax: cursor, sequence sets, quoting (see imap_parse.h). */
#include "proto/imap_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool imap_cur_quoted(struct imap_cur *c, const char **s, size_t *n);
static bool imap_cur_literal(struct imap_cur *c, const char **s, size_t *n);
static bool imap_seq_number(struct imap_cur *c, uint32_t *v);

/* ATOM-CHAR = any CHAR except atom-specials: "(" ")" "{" SP CTL "%" "*"
 * DQUOTE "\" "]" (RFC 3501 §9). */
bool imap_is_atom_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f) return false;
    return !strchr("(){%*\"\\]", c);
}

static bool imap_is_astring_char(unsigned char c)
{
    return imap_is_atom_char(c) || c == ']';
}

void imap_cur_init(struct imap_cur *c, char *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->pos = 0;
    c->depth = 0;
    c->max_depth = 0;
    c->err = NULL;
}

bool imap_cur_fail(struct imap_cur *c, const char *why)
{
    if (!c->err) c->err = why;
    return false;
}

bool imap_cur_eol(const struct imap_cur *c)
{
    return c->pos >= c->len;
}

bool imap_cur_peek(const struct imap_cur *c, char ch)
{
    return c->pos < c->len && c->p[c->pos] == ch;
}

bool imap_cur_accept(struct imap_cur *c, char ch)
{
    if (!imap_cur_peek(c, ch)) return false;
    c->pos++;
    return true;
}

bool imap_cur_sp(struct imap_cur *c)
{
    if (imap_cur_accept(c, ' ')) return true;
    return imap_cur_fail(c, imap_cur_eol(c) ? "Missing argument" : "Expected a space");
}

bool imap_cur_tag(struct imap_cur *c, const char **s, size_t *n)
{
    size_t st = c->pos;
    while (c->pos < c->len && imap_is_astring_char((unsigned char)c->p[c->pos]) &&
           c->p[c->pos] != '+')
        c->pos++;
    if (c->pos == st) return imap_cur_fail(c, "Missing or invalid tag");
    if (c->pos - st > IMAP_TAG_MAX) return imap_cur_fail(c, "Tag too long");
    *s = c->p + st;
    *n = c->pos - st;
    return true;
}

bool imap_cur_atom(struct imap_cur *c, const char **s, size_t *n)
{
    size_t st = c->pos;
    while (c->pos < c->len && imap_is_atom_char((unsigned char)c->p[c->pos])) c->pos++;
    if (c->pos == st) return imap_cur_fail(c, "Expected an atom");
    *s = c->p + st;
    *n = c->pos - st;
    return true;
}

bool imap_cur_word(struct imap_cur *c, const char **s, size_t *n)
{
    size_t st = c->pos;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->p[c->pos];
        if (!imap_is_atom_char(ch) || ch == '[' || ch == '<') break;
        c->pos++;
    }
    if (c->pos == st) return imap_cur_fail(c, "Expected a name");
    *s = c->p + st;
    *n = c->pos - st;
    return true;
}

/* quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR is 7-bit TEXT-CHAR
 * (no CR, LF, NUL) except quoted-specials, or "\" quoted-special. The value
 * is unescaped in place (it only shrinks). RFC 3501 §4.3, Dovecot
 * CVE-2019-11500 (NUL in a quoted string). */
static bool imap_cur_quoted(struct imap_cur *c, const char **s, size_t *n)
{
    c->pos++; /* DQUOTE */
    size_t st = c->pos;
    size_t out = st;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->p[c->pos++];
        if (ch == '"') {
            *s = c->p + st;
            *n = out - st;
            return true;
        }
        if (ch == '\\') {
            if (c->pos >= c->len) break;
            ch = (unsigned char)c->p[c->pos++];
            if (ch != '"' && ch != '\\') return imap_cur_fail(c, "Invalid escape in quoted string");
        } else if (ch == 0 || ch == '\r' || ch == '\n' || ch >= 0x80) {
            return imap_cur_fail(c, "Invalid character in quoted string");
        }
        c->p[out++] = (char)ch;
    }
    return imap_cur_fail(c, "Unterminated quoted string");
}

/* literal = "{" number ["+"] "}" CRLF *CHAR8 (RFC 3501 §4.3, RFC 7888). The
 * framing layer placed exactly n octets after the CRLF. */
static bool imap_cur_literal(struct imap_cur *c, const char **s, size_t *n)
{
    c->pos++; /* { */
    uint64_t v = 0;
    size_t digits = 0;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        if (v > (UINT64_MAX - 9) / 10) return imap_cur_fail(c, "Literal size too large");
        v = v * 10 + (uint64_t)(c->p[c->pos++] - '0');
        digits++;
    }
    if (!digits) return imap_cur_fail(c, "Invalid literal");
    (void)imap_cur_accept(c, '+');
    if (!imap_cur_accept(c, '}') || !imap_cur_accept(c, '\r') || !imap_cur_accept(c, '\n'))
        return imap_cur_fail(c, "Invalid literal");
    if (v > c->len - c->pos) return imap_cur_fail(c, "Literal longer than the data");
    *s = c->p + c->pos;
    *n = (size_t)v;
    c->pos += (size_t)v;
    return true;
}

bool imap_cur_string(struct imap_cur *c, const char **s, size_t *n)
{
    if (imap_cur_peek(c, '"')) return imap_cur_quoted(c, s, n);
    if (imap_cur_peek(c, '{')) return imap_cur_literal(c, s, n);
    return imap_cur_fail(c, "Expected a string");
}

bool imap_cur_astring(struct imap_cur *c, const char **s, size_t *n)
{
    if (imap_cur_peek(c, '"') || imap_cur_peek(c, '{')) return imap_cur_string(c, s, n);
    size_t st = c->pos;
    while (c->pos < c->len && imap_is_astring_char((unsigned char)c->p[c->pos])) c->pos++;
    if (c->pos == st)
        return imap_cur_fail(c, imap_cur_eol(c) ? "Missing argument" : "Expected a string");
    *s = c->p + st;
    *n = c->pos - st;
    return true;
}

bool imap_cur_nstring(struct imap_cur *c, const char **s, size_t *n)
{
    if (c->len - c->pos >= 3 && (c->p[c->pos] | 32) == 'n' && (c->p[c->pos + 1] | 32) == 'i' &&
        (c->p[c->pos + 2] | 32) == 'l' &&
        (c->pos + 3 == c->len || !imap_is_atom_char((unsigned char)c->p[c->pos + 3]))) {
        c->pos += 3;
        *s = NULL;
        *n = 0;
        return true;
    }
    return imap_cur_string(c, s, n);
}

bool imap_cur_list_mailbox(struct imap_cur *c, const char **s, size_t *n)
{
    if (imap_cur_peek(c, '"') || imap_cur_peek(c, '{')) return imap_cur_string(c, s, n);
    size_t st = c->pos;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->p[c->pos];
        if (!(imap_is_astring_char(ch) || ch == '%' || ch == '*')) break;
        c->pos++;
    }
    if (c->pos == st) return imap_cur_fail(c, "Expected a mailbox pattern");
    *s = c->p + st;
    *n = c->pos - st;
    return true;
}

bool imap_cur_number64(struct imap_cur *c, uint64_t *v)
{
    uint64_t x = 0;
    size_t st = c->pos;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        uint64_t d = (uint64_t)(c->p[c->pos++] - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10) return imap_cur_fail(c, "Number too large");
        x = x * 10 + d;
    }
    if (c->pos == st) return imap_cur_fail(c, "Expected a number");
    *v = x;
    return true;
}

bool imap_cur_number(struct imap_cur *c, uint32_t *v)
{
    uint64_t x = 0;
    size_t st = c->pos;
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        x = x * 10 + (uint64_t)(c->p[c->pos++] - '0');
        if (x > UINT32_MAX) return imap_cur_fail(c, "Number out of range");
    }
    if (c->pos == st) return imap_cur_fail(c, "Expected a number");
    *v = (uint32_t)x;
    return true;
}

bool imap_cur_nz_number(struct imap_cur *c, uint32_t *v)
{
    if (!imap_cur_number(c, v)) return false;
    if (*v == 0) return imap_cur_fail(c, "Number must not be zero");
    return true;
}

bool imap_cur_open(struct imap_cur *c)
{
    if (!imap_cur_accept(c, '(')) return imap_cur_fail(c, "Expected (");
    if (++c->depth > (c->max_depth ? c->max_depth : IMAP_DEPTH_MAX))
        return imap_cur_fail(c, "Too deeply nested");
    return true;
}

bool imap_cur_close(struct imap_cur *c)
{
    if (!imap_cur_accept(c, ')')) return imap_cur_fail(c, "Expected )");
    c->depth--;
    return true;
}

bool imap_cur_skip_value(struct imap_cur *c)
{
    const char *s;
    size_t n;
    if (imap_cur_peek(c, '(')) {
        if (!imap_cur_open(c)) return false;
        if (imap_cur_peek(c, ')')) return imap_cur_close(c);
        for (;;) {
            if (!imap_cur_skip_value(c)) return false;
            if (imap_cur_peek(c, ')')) return imap_cur_close(c);
            if (!imap_cur_sp(c)) return false;
        }
    }
    if (imap_cur_peek(c, '"') || imap_cur_peek(c, '{')) return imap_cur_string(c, &s, &n);
    if (imap_cur_accept(c, '\\')) {
        if (imap_cur_accept(c, '*')) return true;
        return imap_cur_atom(c, &s, &n);
    }
    /* atoms, with the list-wildcards and "]" that LIST and BODY[] allow */
    size_t st = c->pos;
    while (c->pos < c->len) {
        unsigned char ch = (unsigned char)c->p[c->pos];
        if (!(imap_is_astring_char(ch) || ch == '%' || ch == '*' || ch == '[')) break;
        c->pos++;
    }
    if (c->pos == st) return imap_cur_fail(c, "Unexpected character");
    return true;
}

bool imap_literal_at_end(const char *line, size_t len, uint64_t *n, bool *plus)
{
    if (len < 3 || line[len - 1] != '}') return false;
    size_t i = len - 1;
    *plus = false;
    if (line[i - 1] == '+') {
        *plus = true;
        i--;
    }
    size_t end = i;
    while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') i--;
    if (i == end || i == 0 || line[i - 1] != '{') return false;
    uint64_t v = 0;
    for (size_t k = i; k < end; k++) {
        if (v > (UINT64_MAX - 9) / 10) {
            v = UINT64_MAX;
            break;
        }
        v = v * 10 + (uint64_t)(line[k] - '0');
    }
    *n = v;
    return true;
}

/* ---- sequence sets ------------------------------------------------------- */

/* seq-number = nz-number / "*" (0 stands for "*"). */
static bool imap_seq_number(struct imap_cur *c, uint32_t *v)
{
    if (imap_cur_accept(c, '*')) {
        *v = 0;
        return true;
    }
    if (!(c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9'))
        return imap_cur_fail(c, "Invalid sequence set");
    if (!imap_cur_number(c, v)) return imap_cur_fail(c, "Invalid sequence set");
    if (*v == 0) return imap_cur_fail(c, "Invalid sequence set");
    return true;
}

bool imap_cur_seqset(struct imap_cur *c, struct imap_seqset *set)
{
    set->n = 0;
    for (;;) {
        struct imap_range r;
        if (!imap_seq_number(c, &r.lo)) return false;
        r.hi = r.lo;
        if (imap_cur_accept(c, ':') && !imap_seq_number(c, &r.hi)) return false;
        if (set->n == IMAP_SEQSET_MAX) return imap_cur_fail(c, "Too many ranges in sequence set");
        set->r[set->n++] = r;
        if (!imap_cur_accept(c, ',')) break;
    }
    if (c->pos < c->len && c->p[c->pos] != ' ' && c->p[c->pos] != ')')
        return imap_cur_fail(c, "Invalid sequence set");
    return true;
}

bool imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set)
{
    struct imap_cur c;
    imap_cur_init(&c, (char *)(uintptr_t)s, len); /* seqsets are never rewritten */
    return imap_cur_seqset(&c, set) && imap_cur_eol(&c);
}

size_t imap_seqset_print(const struct imap_seqset *set, char *out, size_t cap)
{
    size_t need = 0;
    char tmp[32];
    for (size_t i = 0; i < set->n; i++) {
        int k;
        const struct imap_range *r = &set->r[i];
        char a[12], b[12];
        if (r->lo)
            snprintf(a, sizeof a, "%u", (unsigned)r->lo);
        else
            strcpy(a, "*");
        if (r->hi)
            snprintf(b, sizeof b, "%u", (unsigned)r->hi);
        else
            strcpy(b, "*");
        if (r->lo == r->hi)
            k = snprintf(tmp, sizeof tmp, "%s%s", i ? "," : "", a);
        else
            k = snprintf(tmp, sizeof tmp, "%s%s:%s", i ? "," : "", a, b);
        for (int j = 0; j < k; j++, need++)
            if (need + 1 < cap) out[need] = tmp[j];
    }
    if (cap) out[need < cap ? need : cap - 1] = '\0';
    return need;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
    uint32_t m = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->r[i].lo > m) m = set->r[i].lo;
        if (set->r[i].hi > m) m = set->r[i].hi;
    }
    return m;
}

bool imap_seqset_has_star(const struct imap_seqset *set)
{
    for (size_t i = 0; i < set->n; i++)
        if (!set->r[i].lo || !set->r[i].hi) return true;
    return false;
}

static int imap_range_cmp(const void *a, const void *b)
{
    const struct imap_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

size_t imap_seqset_resolve(const struct imap_seqset *set, uint32_t star, struct imap_range *out)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++) {
        uint32_t a = set->r[i].lo ? set->r[i].lo : star;
        uint32_t b = set->r[i].hi ? set->r[i].hi : star;
        if (a == 0 || b == 0) continue; /* "*" of an empty mailbox */
        /* RFC 3501 §9: "1:*" and "*:1" are the same set */
        out[n].lo = a < b ? a : b;
        out[n].hi = a < b ? b : a;
        n++;
    }
    if (n == 0) return 0;
    qsort(out, n, sizeof *out, imap_range_cmp);
    size_t m = 0;
    for (size_t i = 1; i < n; i++) {
        if (out[i].lo <= out[m].hi || (out[m].hi != UINT32_MAX && out[i].lo == out[m].hi + 1)) {
            if (out[i].hi > out[m].hi) out[m].hi = out[i].hi;
        } else {
            out[++m] = out[i];
        }
    }
    return m + 1;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star)
{
    for (size_t i = 0; i < set->n; i++) {
        uint32_t a = set->r[i].lo ? set->r[i].lo : star;
        uint32_t b = set->r[i].hi ? set->r[i].hi : star;
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        if (a && v >= a && v <= b) return true;
    }
    return false;
}

/* ---- output buffer -------------------------------------------------------- */

void imap_buf_free(struct imap_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void imap_buf_add(struct imap_buf *b, const void *s, size_t n)
{
    if (n == 0) return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n) nc *= 2;
        b->p = ms_xrealloc(b->p, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void imap_buf_adds(struct imap_buf *b, const char *s)
{
    imap_buf_add(b, s, strlen(s));
}

void imap_buf_printf(struct imap_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if ((size_t)k < sizeof tmp) {
        imap_buf_add(b, tmp, (size_t)k);
        return;
    }
    char *big = ms_xmalloc((size_t)k + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)k + 1, fmt, ap);
    va_end(ap);
    imap_buf_add(b, big, (size_t)k);
    free(big);
}

void imap_buf_consume(struct imap_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

void imap_buf_string(struct imap_buf *b, const char *s, size_t n, bool plus)
{
    if (!s) {
        imap_buf_adds(b, "NIL");
        return;
    }
    bool quotable = n <= 1024;
    for (size_t i = 0; i < n && quotable; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0 || ch == '\r' || ch == '\n' || ch >= 0x80) quotable = false;
    }
    if (!quotable) {
        imap_buf_printf(b, plus ? "{%zu+}\r\n" : "{%zu}\r\n", n);
        imap_buf_add(b, s, n);
        return;
    }
    imap_buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') imap_buf_add(b, "\\", 1);
        imap_buf_add(b, s + i, 1);
    }
    imap_buf_add(b, "\"", 1);
}

void imap_buf_astring(struct imap_buf *b, const char *s, size_t n, bool plus)
{
    bool atom = s && n > 0;
    for (size_t i = 0; atom && i < n; i++) atom = imap_is_atom_char((unsigned char)s[i]);
    /* "NIL" as an atom would read back as NIL where an nstring is allowed */
    if (atom && n == 3 && (s[0] | 32) == 'n' && (s[1] | 32) == 'i' && (s[2] | 32) == 'l')
        atom = false;
    if (atom)
        imap_buf_add(b, s, n);
    else
        imap_buf_string(b, s ? s : "", s ? n : 0, plus);
}
