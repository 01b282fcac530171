/* msg.c -- RFC 5322 header fields: reading, folding, encoded-words, trace
 * fields. See msg.h for the contract. */
#include "format/msg.h"
#include "core/ascii.h"
#include "core/buf.h"
#include "core/hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/base64.h"
#include "format/qp.h"

static const char *const msg_error_texts[MSG_E_COUNT] = {
#define MSG_X_TEXT(name, text) text,
    MSG_ERRORS(MSG_X_TEXT)
#undef MSG_X_TEXT
};

static bool msg_is_wsp(unsigned char c);
static size_t msg_line_end(const char *p, size_t len, size_t pos, size_t *next);
static enum msg_error msg_fail(struct ms_error *err, enum msg_error code, const char *field,
                               const char *fmt, ...) MS_PRINTF(4, 5);
static enum msg_error msg_check_name(const char *name, struct ms_error *err);
static enum msg_error msg_fold_append(struct msg_buf *out, const char *name, const char *v,
                                      size_t n, struct ms_error *err);
static bool msg_utf8_valid(const unsigned char *p, size_t n);
static size_t msg_utf8_seq_len(unsigned char c);
static void msg_encode_words(struct msg_buf *out, const unsigned char *p, size_t n);
static bool msg_word_needs_encoding(const unsigned char *p, size_t n);
static void msg_encode_text(struct msg_buf *out, const unsigned char *p, size_t n);
static enum msg_error msg_format_mailbox(struct msg_buf *out, const char *field,
                                         const struct msg_mailbox *m, struct ms_error *err);
static bool msg_check_token(const char *s, const char *extra);

/* ------------------------------------------------------------------------
 * Buffer
 * ------------------------------------------------------------------------ */

/* msg_buf is core's buffer (core/buf.h) without a ceiling, under format's
 * names: each call works on a struct buf view of the three fields. */
static struct buf msg_buf_view(const struct msg_buf *b)
{
    return (struct buf){b->data, b->len, b->cap, 0};
}

static void msg_buf_keep(struct msg_buf *b, const struct buf *t)
{
    b->data = t->data;
    b->len = t->len;
    b->cap = t->cap;
}

void msg_buf_add(struct msg_buf *b, const void *p, size_t n)
{
    struct buf t = msg_buf_view(b);
    buf_add(&t, p, n);
    msg_buf_keep(b, &t);
}

void msg_buf_adds(struct msg_buf *b, const char *s)
{
    msg_buf_add(b, s, strlen(s));
}

void msg_buf_addf(struct msg_buf *b, const char *fmt, ...)
{
    struct buf t = msg_buf_view(b);
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&t, fmt, ap);
    va_end(ap);
    msg_buf_keep(b, &t);
}

char *msg_buf_take(struct msg_buf *b, size_t *len)
{
    struct buf t = msg_buf_view(b);
    char *p = buf_take(&t, len);
    msg_buf_keep(b, &t);
    return p;
}

void msg_buf_free(struct msg_buf *b)
{
    struct buf t = msg_buf_view(b);
    buf_free(&t);
    msg_buf_keep(b, &t);
}

const char *msg_strerror(enum msg_error e)
{
    if ((unsigned)e >= MSG_E_COUNT) return "unknown error";
    return msg_error_texts[e];
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static bool msg_is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* End of the line starting at pos: returns the index of its CR (of a CRLF)
 * or LF, or len; *next is the start of the following line. */
static size_t msg_line_end(const char *p, size_t len, size_t pos, size_t *next)
{
    const char *lf = memchr(p + pos, '\n', len - pos);
    if (!lf) {
        *next = len;
        return len;
    }
    size_t e = (size_t)(lf - p);
    *next = e + 1;
    if (e > pos && p[e - 1] == '\r') e--;
    return e;
}

void msg_split(const char *msg, size_t len, struct msg_split *out)
{
    size_t pos = 0;
    while (pos < len) {
        size_t next;
        size_t e = msg_line_end(msg, len, pos, &next);
        if (e == pos && next > pos) { /* an empty line, with its line end */
            out->hdr_len = next;
            out->body_off = next;
            out->body_len = len - next;
            return;
        }
        pos = next;
    }
    out->hdr_len = len;
    out->body_off = len;
    out->body_len = 0;
}

void msg_fields_begin(struct msg_field_iter *it, const char *hdr, size_t len)
{
    it->hdr = hdr;
    it->len = len;
    it->pos = 0;
    it->bad_lines = 0;
}

bool msg_fields_next(struct msg_field_iter *it, struct msg_field *f)
{
    const char *p = it->hdr;
    while (it->pos < it->len) {
        size_t start = it->pos, next;
        size_t e = msg_line_end(p, it->len, start, &next);
        if (e == start && next > start) return false; /* empty line: header ends */
        /* The field runs over every following line that starts with WSP. */
        size_t last_e = e, end = next;
        while (end < it->len && msg_is_wsp((unsigned char)p[end])) {
            size_t n2;
            last_e = msg_line_end(p, it->len, end, &n2);
            end = n2;
        }
        it->pos = end;
        if (msg_is_wsp((unsigned char)p[start])) {
            it->bad_lines++; /* continuation with no field before it */
            continue;
        }
        const char *colon = memchr(p + start, ':', e - start);
        if (!colon) {
            it->bad_lines++;
            continue;
        }
        size_t name_end = (size_t)(colon - p);
        size_t ne = name_end;
        while (ne > start && msg_is_wsp((unsigned char)p[ne - 1])) ne--; /* obs-optional */
        bool ok = ne > start;
        for (size_t i = start; i < ne && ok; i++) {
            unsigned char c = (unsigned char)p[i];
            ok = c >= 33 && c <= 126; /* ftext (RFC 5322 §3.6.8), ':' excluded by memchr */
        }
        if (!ok) {
            it->bad_lines++;
            continue;
        }
        f->off = start;
        f->raw_len = end - start;
        f->name_len = ne - start;
        f->value_off = name_end + 1;
        f->value_len = last_e - (name_end + 1);
        return true;
    }
    return false;
}

bool msg_field_is(const char *hdr, const struct msg_field *f, const char *name, size_t n)
{
    return f->name_len == n && ascii_memcasecmp(hdr + f->off, name, n) == 0;
}

bool msg_field_find(const char *hdr, size_t len, const char *name, size_t name_len, size_t idx,
                    struct msg_field *f)
{
    struct msg_field_iter it;
    msg_fields_begin(&it, hdr, len);
    while (msg_fields_next(&it, f))
        if (msg_field_is(hdr, f, name, name_len) && idx-- == 0) return true;
    return false;
}

size_t msg_unfold(const char *v, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '\n') continue;
        if (c == '\r' && i + 1 < n && v[i + 1] == '\n') continue;
        out[o++] = c;
    }
    size_t s = 0;
    while (s < o && msg_is_wsp((unsigned char)out[s])) s++;
    while (o > s && msg_is_wsp((unsigned char)out[o - 1])) o--;
    if (s) memmove(out, out + s, o - s);
    return o - s;
}

char *msg_header_get(const char *hdr, size_t len, const char *name, size_t *out_len)
{
    struct msg_field f;
    if (!msg_field_find(hdr, len, name, strlen(name), 0, &f)) return NULL;
    char *v = ms_xmalloc(f.value_len + 1);
    size_t n = msg_unfold(hdr + f.value_off, f.value_len, v);
    v[n] = '\0';
    if (out_len) *out_len = n;
    return v;
}

/* ------------------------------------------------------------------------
 * Addresses (RFC 5322 §3.4), tokenised then parsed.
 * ------------------------------------------------------------------------ */

enum msg_tok_kind { MT_ATOM, MT_QUOTED, MT_LITERAL, MT_SPECIAL };

struct msg_tok {
    enum msg_tok_kind kind;
    char c;     /* MT_SPECIAL */
    size_t off; /* into the unfolded text (MT_QUOTED: after the quote) */
    size_t len;
};

struct msg_addr_parser {
    const char *s;
    struct msg_tok *tok;
    size_t n_tok, i;
    struct msg_addr_list *out;
    size_t store_len, store_cap;
};

static void msg_addr_tokenise(struct msg_addr_parser *ap, size_t n);
static const char *msg_addr_store(struct msg_addr_parser *ap, size_t *len, size_t from, size_t to,
                                  bool spaced, bool unquote);
static void msg_addr_emit(struct msg_addr_parser *ap, const struct msg_addr *a);
static bool msg_tok_is(const struct msg_addr_parser *ap, size_t i, char c);

static bool msg_tok_is(const struct msg_addr_parser *ap, size_t i, char c)
{
    return i < ap->n_tok && ap->tok[i].kind == MT_SPECIAL && ap->tok[i].c == c;
}

static void msg_addr_tokenise(struct msg_addr_parser *ap, size_t n)
{
    const char *s = ap->s;
    size_t cap = 16;
    ap->tok = ms_xmalloc(cap * sizeof *ap->tok);
    ap->n_tok = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (msg_is_wsp(c) || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c == '(') { /* comment, nested, with quoted-pairs (§3.2.2) */
            int depth = 0;
            while (i < n) {
                if (s[i] == '\\' && i + 1 < n) {
                    i += 2;
                    continue;
                }
                if (s[i] == '(') depth++;
                if (s[i] == ')' && --depth == 0) {
                    i++;
                    break;
                }
                i++;
            }
            continue;
        }
        if (ap->n_tok == cap) {
            cap *= 2;
            ap->tok = ms_xrealloc(ap->tok, cap * sizeof *ap->tok);
        }
        struct msg_tok *t = &ap->tok[ap->n_tok++];
        if (c == '"') {
            size_t j = i + 1;
            while (j < n && s[j] != '"') j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
            t->kind = MT_QUOTED;
            t->off = i + 1;
            t->len = (j < n ? j : n) - (i + 1);
            i = j < n ? j + 1 : n;
        } else if (c == '[') {
            size_t j = i + 1;
            while (j < n && s[j] != ']') j += (s[j] == '\\' && j + 1 < n) ? 2 : 1;
            t->kind = MT_LITERAL;
            t->off = i;
            t->len = (j < n ? j + 1 : n) - i;
            i = j < n ? j + 1 : n;
        } else if (strchr("<>:;@,.", c) && c) {
            t->kind = MT_SPECIAL;
            t->c = (char)c;
            t->off = i;
            t->len = 1;
            i++;
        } else {
            size_t j = i;
            while (j < n) {
                unsigned char d = (unsigned char)s[j];
                if (msg_is_wsp(d) || d == '\r' || d == '\n' || (d && strchr("()<>:;@,.\"[]", d)))
                    break;
                j++;
            }
            if (j == i) j++; /* a stray ')' or ']' becomes a one-byte atom */
            t->kind = MT_ATOM;
            t->off = i;
            t->len = j - i;
            i = j;
        }
    }
}

/* Copy tokens [from, to) into the list's storage: joined by single spaces
 * (phrases) or directly (local parts, domains). */
static const char *msg_addr_store(struct msg_addr_parser *ap, size_t *len, size_t from, size_t to,
                                  bool spaced, bool unquote)
{
    char *base = ap->out->store + ap->store_len;
    size_t o = 0;
    for (size_t k = from; k < to; k++) {
        const struct msg_tok *t = &ap->tok[k];
        if (spaced && o > 0 && !(t->kind == MT_SPECIAL && t->c == '.')) base[o++] = ' ';
        if (t->kind == MT_QUOTED && unquote) {
            for (size_t j = 0; j < t->len; j++) {
                char c = ap->s[t->off + j];
                if (c == '\\' && j + 1 < t->len) c = ap->s[t->off + ++j];
                base[o++] = c;
            }
        } else if (t->kind == MT_QUOTED) {
            base[o++] = '"';
            memcpy(base + o, ap->s + t->off, t->len);
            o += t->len;
            base[o++] = '"';
        } else {
            memcpy(base + o, ap->s + t->off, t->len);
            o += t->len;
        }
    }
    base[o] = '\0';
    ap->store_len += o + 1;
    *len = o;
    return base;
}

static void msg_addr_emit(struct msg_addr_parser *ap, const struct msg_addr *a)
{
    struct msg_addr_list *l = ap->out;
    if (l->n >= MSG_ADDR_MAX) {
        l->dropped++;
        return;
    }
    l->v[l->n++] = *a;
}

void msg_addr_parse(const char *s, size_t n, struct msg_addr_list *out)
{
    memset(out, 0, sizeof *out);
    struct msg_addr_parser ap = {.s = s, .out = out};
    msg_addr_tokenise(&ap, n);
    /* Each token is stored at most once, with at most a space and two
     * quotes; at most four strings (four NULs) per loop turn. */
    ap.store_cap = n + 8 * ap.n_tok + 16;
    out->store = ms_xmalloc(ap.store_cap);
    out->v = ms_xcalloc(MSG_ADDR_MAX, sizeof *out->v);
    static const char empty[] = "";
    bool in_group = false;
    size_t i = 0;
    while (i < ap.n_tok) {
        /* A phrase: words and dots up to a special that decides what it is. */
        size_t ph = i;
        while (i < ap.n_tok && !(ap.tok[i].kind == MT_SPECIAL && ap.tok[i].c != '.')) i++;
        struct msg_addr a = {empty, 0, empty, 0, empty, 0, empty, 0, false, false};
        char c = i < ap.n_tok ? ap.tok[i].c : ',';
        if (c == ':' && !in_group) { /* group: display-name ":" (§3.4) */
            a.name = msg_addr_store(&ap, &a.name_len, ph, i, true, true);
            a.is_group_start = true;
            msg_addr_emit(&ap, &a);
            in_group = true;
            i++;
            continue;
        }
        if (c == '<') { /* name-addr */
            a.name = msg_addr_store(&ap, &a.name_len, ph, i, true, true);
            size_t j = i + 1;
            size_t r0 = j;
            if (msg_tok_is(&ap, j, '@')) { /* obs-route "@a,@b:" */
                while (j < ap.n_tok && !msg_tok_is(&ap, j, ':') && !msg_tok_is(&ap, j, '>')) j++;
                if (msg_tok_is(&ap, j, ':')) {
                    a.route = msg_addr_store(&ap, &a.route_len, r0, j, false, false);
                    j++;
                } else {
                    j = r0;
                }
            }
            size_t l0 = j;
            while (j < ap.n_tok && !msg_tok_is(&ap, j, '@') && !msg_tok_is(&ap, j, '>')) j++;
            size_t l1 = j;
            size_t d0 = j, d1 = j;
            if (msg_tok_is(&ap, j, '@')) {
                d0 = ++j;
                while (j < ap.n_tok && !msg_tok_is(&ap, j, '>')) j++;
                d1 = j;
            }
            if (!msg_tok_is(&ap, j, '>') && j < ap.n_tok) {
                out->bad++;
            } else if (l1 == l0 && d1 == d0) {
                /* "<>": the null path, kept as an empty address */
                msg_addr_emit(&ap, &a);
            } else {
                a.local = msg_addr_store(&ap, &a.local_len, l0, l1, false, false);
                a.domain = msg_addr_store(&ap, &a.domain_len, d0, d1, false, false);
                msg_addr_emit(&ap, &a);
            }
            i = j < ap.n_tok ? j + 1 : j;
        } else if (c == '@') { /* addr-spec */
            size_t d0 = i + 1, j = d0;
            while (j < ap.n_tok && !msg_tok_is(&ap, j, ',') && !msg_tok_is(&ap, j, ';')) {
                if (ap.tok[j].kind == MT_SPECIAL && ap.tok[j].c != '.') break;
                j++;
            }
            if (ph == i || d0 == j) {
                out->bad++;
            } else {
                a.local = msg_addr_store(&ap, &a.local_len, ph, i, false, false);
                a.domain = msg_addr_store(&ap, &a.domain_len, d0, j, false, false);
                msg_addr_emit(&ap, &a);
            }
            i = j;
        } else if (ph < i) { /* a bare word: "undisclosed-recipients" */
            if (c == ',' || c == ';' || i == ap.n_tok) {
                a.local = msg_addr_store(&ap, &a.local_len, ph, i, false, false);
                msg_addr_emit(&ap, &a);
            } else {
                out->bad++;
                i++;
            }
        }
        /* Separator, end of group, or junk up to the next comma. */
        if (msg_tok_is(&ap, i, ';')) {
            if (in_group) {
                struct msg_addr g = {empty, 0, empty, 0, empty, 0, empty, 0, false, true};
                msg_addr_emit(&ap, &g);
                in_group = false;
            }
            i++;
        } else if (msg_tok_is(&ap, i, ',')) {
            i++;
        } else if (i < ap.n_tok && !msg_tok_is(&ap, i, '<')) {
            out->bad++; /* junk: a stray special, or words after "<...>" */
            i++;
        }
    }
    if (in_group) {
        struct msg_addr g = {empty, 0, empty, 0, empty, 0, empty, 0, false, true};
        msg_addr_emit(&ap, &g);
    }
    free(ap.tok);
}

void msg_addr_list_free(struct msg_addr_list *l)
{
    free(l->v);
    free(l->store);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------------
 * Encoded-words (RFC 2047)
 * ------------------------------------------------------------------------ */

/* Try to decode one encoded-word at s[0..n): "=?charset?E?text?=". On
 * success appends the UTF-8 text and returns the word's length, else 0. */
static size_t msg_decode_one(struct msg_buf *out, const char *s, size_t n);

static size_t msg_decode_one(struct msg_buf *out, const char *s, size_t n)
{
    if (n < 8 || s[0] != '=' || s[1] != '?') return 0;
    size_t q1 = 2;
    while (q1 < n && s[q1] != '?' && !msg_is_wsp((unsigned char)s[q1])) q1++;
    if (q1 == 2 || q1 + 3 >= n || s[q1] != '?' || s[q1 + 2] != '?') return 0;
    char enc = (char)ascii_lower((unsigned char)s[q1 + 1]);
    size_t t0 = q1 + 3, t1 = t0;
    /* An encoded-word is at most 75 characters (§2); we accept up to a line
     * (998), and never scan further, so decoding stays linear. */
    size_t lim = n < t0 + MSG_LINE_HARD ? n : t0 + MSG_LINE_HARD;
    while (t1 + 1 < lim && !(s[t1] == '?' && s[t1 + 1] == '=')) {
        if (msg_is_wsp((unsigned char)s[t1]) || s[t1] == '\r' || s[t1] == '\n') return 0;
        t1++;
    }
    if (t1 + 1 >= lim) return 0;
    /* Charset, without an RFC 2231 "*language" suffix. */
    char cs[32];
    size_t cl = 0;
    for (size_t i = 2; i < q1 && s[i] != '*'; i++) {
        if (cl + 1 >= sizeof cs) return 0;
        cs[cl++] = (char)ascii_lower((unsigned char)s[i]);
    }
    cs[cl] = '\0';
    bool latin1 = !strcmp(cs, "iso-8859-1") || !strcmp(cs, "latin1");
    if (strcmp(cs, "utf-8") && strcmp(cs, "us-ascii") && !latin1) return 0;
    unsigned char *tmp = ms_xmalloc(t1 - t0 + 4);
    size_t dl = 0;
    bool ok;
    if (enc == 'b')
        ok = b64_decode(s + t0, t1 - t0, tmp, &dl, false);
    else if (enc == 'q')
        ok = qp_q_decode(s + t0, t1 - t0, tmp, &dl);
    else
        ok = false;
    if (ok) {
        if (latin1) {
            for (size_t i = 0; i < dl; i++) {
                unsigned char c = tmp[i];
                if (c < 128) {
                    msg_buf_add(out, &c, 1);
                } else {
                    unsigned char u[2] = {(unsigned char)(0xC0 | c >> 6),
                                          (unsigned char)(0x80 | (c & 0x3F))};
                    msg_buf_add(out, u, 2);
                }
            }
        } else {
            msg_buf_add(out, tmp, dl);
        }
    }
    free(tmp);
    return ok ? t1 + 2 : 0;
}

char *msg_decode_words(const char *s, size_t n, size_t *out_len)
{
    struct msg_buf out = {0};
    size_t i = 0;
    bool after_word = false;
    while (i < n) {
        /* Whitespace between two encoded-words is dropped (§6.2). */
        size_t ws = i;
        while (ws < n && (msg_is_wsp((unsigned char)s[ws]) || s[ws] == '\r' || s[ws] == '\n')) ws++;
        if (ws > i) {
            size_t k = after_word ? msg_decode_one(&out, s + ws, n - ws) : 0;
            if (k) {
                i = ws + k;
                continue;
            }
            msg_buf_add(&out, s + i, ws - i);
            i = ws;
            after_word = false;
            continue;
        }
        size_t k = msg_decode_one(&out, s + i, n - i);
        if (k) {
            i += k;
            after_word = true;
            continue;
        }
        msg_buf_add(&out, s + i, 1);
        i++;
        after_word = false;
    }
    return msg_buf_take(&out, out_len);
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

static enum msg_error msg_fail(struct ms_error *err, enum msg_error code, const char *field,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, (int)code, field, fmt, ap);
    va_end(ap);
    return code;
}

static const char msg_months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char msg_days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* v (0 <= v < 10^n) as n decimal digits, leading zeros kept. */
static char *msg_put_digits(char *o, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

size_t msg_format_date(sim_us t, int64_t epoch_unix, char out[MSG_DATE_SIZE])
{
    int64_t secs = t >= 0 ? t / SIM_US_PER_S : -((-t + SIM_US_PER_S - 1) / SIM_US_PER_S);
    secs += epoch_unix;
    if (secs < 0) secs = 0;
    if (secs > INT64_C(253402300799)) secs = INT64_C(253402300799); /* 9999-12-31 */
    int64_t days = secs / 86400, rem = secs % 86400;
    int wday = (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
    /* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    /* "Www, DD Mmm YYYY hh:mm:ss +0000", written digit by digit: every
     * message gets several of these, and snprintf cost 3,000 instructions. */
    char *o = out;
    memcpy(o, msg_days[wday], 3);
    o += 3;
    *o++ = ',';
    *o++ = ' ';
    o = msg_put_digits(o, d, 2);
    *o++ = ' ';
    memcpy(o, msg_months[m - 1], 3);
    o += 3;
    *o++ = ' ';
    o = msg_put_digits(o, y, 4);
    *o++ = ' ';
    o = msg_put_digits(o, rem / 3600, 2);
    *o++ = ':';
    o = msg_put_digits(o, rem / 60 % 60, 2);
    *o++ = ':';
    o = msg_put_digits(o, rem % 60, 2);
    memcpy(o, " +0000", 7); /* with the NUL */
    return (size_t)(o + 6 - out);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t msg_days_from_civil(int64_t y, int64_t m, int64_t d);

static int64_t msg_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Skip whitespace, line ends and (nested) comments. */
static size_t msg_skip_cfws(const char *s, size_t n, size_t i);

static size_t msg_skip_cfws(const char *s, size_t n, size_t i)
{
    while (i < n) {
        if (msg_is_wsp((unsigned char)s[i]) || s[i] == '\r' || s[i] == '\n') {
            i++;
        } else if (s[i] == '(') {
            size_t depth = 0;
            while (i < n) {
                if (s[i] == '\\' && i + 1 < n) {
                    i += 2;
                    continue;
                }
                if (s[i] == '(') depth++;
                if (s[i] == ')' && --depth == 0) {
                    i++;
                    break;
                }
                i++;
            }
        } else {
            break;
        }
    }
    return i;
}

/* Up to max digits at s[*i]; false when there are fewer than min. */
static bool msg_digits(const char *s, size_t n, size_t *i, int min, int max, int *val, int *count);

static bool msg_digits(const char *s, size_t n, size_t *i, int min, int max, int *val, int *count)
{
    int v = 0, c = 0;
    while (*i < n && c < max && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        c++;
    }
    if (c < min) return false;
    if (*i < n && s[*i] >= '0' && s[*i] <= '9') return false; /* too many digits */
    *val = v;
    if (count) *count = c;
    return true;
}

bool msg_parse_date(const char *s, size_t n, int64_t *unix_secs)
{
    size_t i = msg_skip_cfws(s, n, 0);
    /* Optional day-of-week "," (its name is not checked against the date). */
    if (i + 3 <= n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) {
        bool found = false;
        for (int k = 0; k < 7 && !found; k++) {
            found = true;
            for (int j = 0; j < 3; j++)
                if (ascii_lower((unsigned char)s[i + j]) !=
                    ascii_lower((unsigned char)msg_days[k][j]))
                    found = false;
        }
        if (!found) return false;
        i = msg_skip_cfws(s, n, i + 3);
        if (i >= n || s[i] != ',') return false;
        i = msg_skip_cfws(s, n, i + 1);
    }
    int day, year, ydigits, hh, mm, ss = 0, month = -1;
    if (!msg_digits(s, n, &i, 1, 2, &day, NULL)) return false;
    i = msg_skip_cfws(s, n, i);
    if (i + 3 > n) return false;
    for (int k = 0; k < 12 && month < 0; k++) {
        bool eq = true;
        for (int j = 0; j < 3; j++)
            if (ascii_lower((unsigned char)s[i + j]) !=
                ascii_lower((unsigned char)msg_months[k][j]))
                eq = false;
        if (eq) month = k + 1;
    }
    if (month < 0) return false;
    i = msg_skip_cfws(s, n, i + 3);
    if (!msg_digits(s, n, &i, 2, 4, &year, &ydigits)) return false;
    if (ydigits == 2)
        year += year < 50 ? 2000 : 1900; /* RFC 5322 §4.3 */
    else if (ydigits == 3)
        year += 1900;
    i = msg_skip_cfws(s, n, i);
    if (!msg_digits(s, n, &i, 2, 2, &hh, NULL)) return false;
    i = msg_skip_cfws(s, n, i);
    if (i >= n || s[i] != ':') return false;
    i = msg_skip_cfws(s, n, i + 1);
    if (!msg_digits(s, n, &i, 2, 2, &mm, NULL)) return false;
    size_t j = msg_skip_cfws(s, n, i);
    if (j < n && s[j] == ':') {
        i = msg_skip_cfws(s, n, j + 1);
        if (!msg_digits(s, n, &i, 2, 2, &ss, NULL)) return false;
    }
    i = msg_skip_cfws(s, n, i);
    int zone_min = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int z;
        size_t z0 = i + 1;
        i = z0;
        if (!msg_digits(s, n, &i, 4, 4, &z, NULL)) return false;
        if (z / 100 > 23 || z % 100 > 59) return false;
        zone_min = (z / 100 * 60 + z % 100) * (s[z0 - 1] == '-' ? -1 : 1);
    } else {
        static const struct {
            const char *name;
            int hours;
        } zones[] = {{"UT", 0},   {"GMT", 0},  {"EST", -5}, {"EDT", -4}, {"CST", -6},
                     {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
        size_t z0 = i;
        while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) i++;
        size_t zl = i - z0;
        bool found = zl == 1; /* military zones: "SHOULD be considered equivalent to -0000" */
        for (size_t k = 0; k < MS_ARRAY_LEN(zones) && !found; k++) {
            if (strlen(zones[k].name) != zl) continue;
            bool eq = true;
            for (size_t c = 0; c < zl; c++)
                if (ascii_lower((unsigned char)s[z0 + c]) !=
                    ascii_lower((unsigned char)zones[k].name[c]))
                    eq = false;
            if (eq) {
                found = true;
                zone_min = zones[k].hours * 60;
            }
        }
        if (!found) return false;
    }
    if (msg_skip_cfws(s, n, i) != n) return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (day < 1 || day > mdays[month - 1] || (month == 2 && day == 29 && !leap)) return false;
    if (year < 1900 || hh > 23 || mm > 59 || ss > 60) return false;
    int64_t days = msg_days_from_civil(year, month, day);
    *unix_secs = days * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)zone_min * 60;
    return true;
}

enum msg_error msg_make_message_id(struct msg_buf *out, uint64_t seed, uint64_t serial,
                                   const char *sender, size_t sender_len, const char *domain,
                                   size_t domain_len)
{
    if (domain_len == 0 || domain_len > 255) return MSG_E_ADDRESS;
    for (size_t i = 0; i < domain_len; i++) {
        unsigned char c = (unsigned char)domain[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return MSG_E_ADDRESS;
    }
    uint64_t h = HASH_FNV1A_BASIS;
    h = hash_fnv1a(h, &seed, sizeof seed);
    h = hash_fnv1a(h, &serial, sizeof serial);
    h = hash_fnv1a(h, sender, sender_len);
    msg_buf_addf(out, "<%016llx.%08llx@", (unsigned long long)h, (unsigned long long)serial);
    msg_buf_add(out, domain, domain_len);
    msg_buf_add(out, ">", 1);
    return MSG_OK;
}

enum msg_error msg_check_value(const char *field, const char *v, size_t n, struct ms_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (c == '\r' || c == '\n')
            return msg_fail(err, MSG_E_INJECTION, field,
                            "header \"%s\": value contains %s at offset %zu (would start a new "
                            "header line)",
                            field, c == '\r' ? "CR" : "LF", i);
        if (c == '\0')
            return msg_fail(err, MSG_E_INJECTION, field,
                            "header \"%s\": value contains NUL at offset %zu", field, i);
    }
    return MSG_OK;
}

static enum msg_error msg_check_name(const char *name, struct ms_error *err)
{
    size_t n = strlen(name);
    bool ok = n >= 1 && n <= 76;
    for (size_t i = 0; i < n && ok; i++) {
        unsigned char c = (unsigned char)name[i];
        ok = c >= 33 && c <= 126 && c != ':';
    }
    if (!ok)
        return msg_fail(err, MSG_E_FIELD_NAME, name,
                        "header \"%s\": bad field name (1 to 76 printable ASCII characters, "
                        "no colon)",
                        name);
    return MSG_OK;
}

/* Append "name: v" CRLF, folding before whitespace so no line passes 78
 * characters when a fold point exists (RFC 5322 §2.2.3, §2.1.1). */
static enum msg_error msg_fold_append(struct msg_buf *out, const char *name, const char *v,
                                      size_t n, struct ms_error *err)
{
    struct msg_buf line = {0};
    msg_buf_adds(&line, name);
    msg_buf_add(&line, ": ", 2);
    size_t line_start = 0;
    size_t cand = 0;   /* offset of a WSP where a fold may go, 0 = none */
    bool text = false; /* non-WSP seen on this line (of the value) */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (msg_is_wsp(c) && text) cand = line.len;
        if (!msg_is_wsp(c)) text = true;
        msg_buf_add(&line, &c, 1);
        if (line.len - line_start > MSG_LINE_SOFT && cand > line_start) {
            /* Insert CRLF before the WSP at cand. */
            msg_buf_add(&line, "\r\n", 2);
            memmove(line.data + cand + 2, line.data + cand, line.len - 2 - cand);
            line.data[cand] = '\r';
            line.data[cand + 1] = '\n';
            line_start = cand + 2;
            cand = 0;
            /* A later WSP in the moved tail, after some text, may fold. */
            text = false;
            for (size_t k = line_start; k < line.len; k++) {
                unsigned char d = (unsigned char)line.data[k];
                if (msg_is_wsp(d) && text) cand = k;
                if (!msg_is_wsp(d)) text = true;
            }
        }
        if (line.len - line_start > MSG_LINE_HARD) {
            msg_buf_free(&line);
            return msg_fail(err, MSG_E_TOO_LONG, name,
                            "header \"%s\": a line longer than 998 characters with no place to "
                            "fold",
                            name);
        }
    }
    if (line.len > MSG_FIELD_MAX) {
        msg_buf_free(&line);
        return msg_fail(err, MSG_E_TOO_LONG, name, "header \"%s\": longer than %d bytes", name,
                        MSG_FIELD_MAX);
    }
    msg_buf_add(&line, "\r\n", 2);
    msg_buf_add(out, line.data, line.len);
    msg_buf_free(&line);
    return MSG_OK;
}

enum msg_error msg_add_field(struct msg_buf *out, const char *name, const char *v, size_t n,
                             struct ms_error *err)
{
    enum msg_error e = msg_check_name(name, err);
    if (e == MSG_OK) e = msg_check_value(name, v, n, err);
    if (e == MSG_OK) e = msg_fold_append(out, name, v, n, err);
    return e;
}

static size_t msg_utf8_seq_len(unsigned char c)
{
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}

static bool msg_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = msg_utf8_seq_len(p[i]);
        if (k == 0 || i + k > n) return false;
        for (size_t j = 1; j < k; j++)
            if ((p[i + j] & 0xC0) != 0x80) return false;
        if (k == 3 && p[i] == 0xE0 && p[i + 1] < 0xA0) return false;  /* overlong */
        if (k == 3 && p[i] == 0xED && p[i + 1] >= 0xA0) return false; /* surrogates */
        if (k == 4 && p[i] == 0xF0 && p[i + 1] < 0x90) return false;
        if (k == 4 && p[i] == 0xF4 && p[i + 1] >= 0x90) return false;
        i += k;
    }
    return true;
}

/* Encode p[0..n) (valid UTF-8) as "Q" encoded-words separated by a space,
 * each at most 52 characters, never splitting a UTF-8 sequence. */
static void msg_encode_words(struct msg_buf *out, const unsigned char *p, size_t n)
{
    size_t i = 0;
    bool first = true;
    while (i < n) {
        char enc[64];
        size_t el = 0;
        while (i < n) {
            size_t k = msg_utf8_seq_len(p[i]);
            if (k == 0) k = 1;
            char tmp[16];
            size_t tl = qp_q_encode(p + i, k, tmp);
            if (el + tl > 40 && el > 0) break;
            memcpy(enc + el, tmp, tl);
            el += tl;
            i += k;
        }
        if (!first) msg_buf_add(out, " ", 1);
        msg_buf_adds(out, "=?UTF-8?Q?");
        msg_buf_add(out, enc, el);
        msg_buf_adds(out, "?=");
        first = false;
    }
}

static bool msg_word_needs_encoding(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 128) return true;
        if (p[i] == '=' && i + 1 < n && p[i + 1] == '?') return true; /* looks like one */
    }
    return false;
}

/* Unstructured text: ASCII words as they are, runs of words that need
 * encoding as encoded-words (the whitespace inside a run is encoded with it,
 * since whitespace between encoded-words is dropped on decoding, §6.2).
 * Words are separated by spaces and tabs. */
static void msg_encode_text(struct msg_buf *out, const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t ws = i;
        while (ws < n && msg_is_wsp(p[ws])) ws++;
        size_t we = ws;
        while (we < n && !msg_is_wsp(p[we])) we++;
        if (!msg_word_needs_encoding(p + ws, we - ws)) {
            msg_buf_add(out, p + i, we - i);
            i = we;
            continue;
        }
        /* Extend the run over following words that need encoding too. */
        size_t re = we;
        for (;;) {
            size_t a = re;
            while (a < n && msg_is_wsp(p[a])) a++;
            size_t b = a;
            while (b < n && !msg_is_wsp(p[b])) b++;
            if (b == a || !msg_word_needs_encoding(p + a, b - a)) break;
            re = b;
        }
        msg_buf_add(out, p + i, ws - i); /* the plain spaces before the run */
        msg_encode_words(out, p + ws, re - ws);
        i = re;
    }
}

enum msg_error msg_add_text_field(struct msg_buf *out, const char *name, const char *v, size_t n,
                                  struct ms_error *err)
{
    enum msg_error e = msg_check_name(name, err);
    if (e == MSG_OK) e = msg_check_value(name, v, n, err);
    if (e != MSG_OK) return e;
    while (n && msg_is_wsp((unsigned char)*v)) v++, n--; /* unfolding drops them anyway */
    while (n && msg_is_wsp((unsigned char)v[n - 1])) n--;
    const unsigned char *u = (const unsigned char *)v;
    if (!msg_word_needs_encoding(u, n)) return msg_fold_append(out, name, v, n, err);
    if (!msg_utf8_valid(u, n))
        return msg_fail(err, MSG_E_UTF8, name, "header \"%s\": value is not valid UTF-8", name);
    struct msg_buf enc = {0};
    msg_encode_text(&enc, u, n);
    e = msg_fold_append(out, name, enc.data, enc.len, err);
    msg_buf_free(&enc);
    return e;
}

/* True when s is 1+ bytes of atext (RFC 5322 §3.2.3) or of extra. */
static bool msg_check_token(const char *s, const char *extra)
{
    if (!*s) return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr(extra, c);
        if (!ok) return false;
    }
    return true;
}

static enum msg_error msg_format_mailbox(struct msg_buf *out, const char *field,
                                         const struct msg_mailbox *m, struct ms_error *err)
{
    const char *addr = m->addr ? m->addr : "";
    const char *at = strchr(addr, '@');
    bool ok = at && at > addr && at[1] && !strchr(at + 1, '@');
    for (const char *q = addr; *q && ok; q++) {
        unsigned char c = (unsigned char)*q;
        ok = c > 32 && c < 127 && !strchr("<>()[]\\,;:\"", c);
    }
    if (!ok)
        return msg_fail(err, MSG_E_ADDRESS, field,
                        "header \"%s\": bad address \"%.80s\" (expected local@domain in "
                        "printable ASCII)",
                        field, addr);
    const char *name = m->name ? m->name : "";
    size_t nl = strlen(name);
    enum msg_error e = msg_check_value(field, name, nl, err);
    if (e != MSG_OK) return e;
    if (nl == 0) {
        msg_buf_adds(out, addr);
        return MSG_OK;
    }
    const unsigned char *u = (const unsigned char *)name;
    if (msg_word_needs_encoding(u, nl)) {
        if (!msg_utf8_valid(u, nl))
            return msg_fail(err, MSG_E_UTF8, field,
                            "header \"%s\": display name is not valid UTF-8", field);
        msg_encode_words(out, u, nl); /* RFC 2047 §5 (3): whole phrase encoded */
    } else {
        bool plain = true;
        for (size_t i = 0; i < nl && plain; i++)
            plain = name[i] == ' ' || msg_check_token((char[]){name[i], 0}, "!#$%&'*+-/=?^_`{|}~");
        if (plain && name[0] != ' ' && name[nl - 1] != ' ') {
            msg_buf_add(out, name, nl);
        } else { /* quoted-string (§3.2.4) */
            msg_buf_add(out, "\"", 1);
            for (size_t i = 0; i < nl; i++) {
                if (name[i] == '"' || name[i] == '\\') msg_buf_add(out, "\\", 1);
                msg_buf_add(out, name + i, 1);
            }
            msg_buf_add(out, "\"", 1);
        }
    }
    msg_buf_addf(out, " <%s>", addr);
    return MSG_OK;
}

enum msg_error msg_add_address_field(struct msg_buf *out, const char *name,
                                     const struct msg_mailbox *list, size_t n, struct ms_error *err)
{
    enum msg_error e = msg_check_name(name, err);
    if (e != MSG_OK) return e;
    if (n == 0) return msg_fail(err, MSG_E_ADDRESS, name, "header \"%s\": no address given", name);
    struct msg_buf v = {0};
    for (size_t i = 0; i < n && e == MSG_OK; i++) {
        if (i) msg_buf_add(&v, ", ", 2);
        e = msg_format_mailbox(&v, name, &list[i], err);
    }
    if (e == MSG_OK) e = msg_fold_append(out, name, v.data, v.len, err);
    msg_buf_free(&v);
    return e;
}

enum msg_error msg_add_received(struct msg_buf *out, const struct msg_received *r,
                                struct ms_error *err)
{
    static const char host_chars[] = "-.[]:";
    const char *what = NULL, *val = NULL;
    if (!r->helo || !msg_check_token(r->helo, host_chars))
        what = "helo", val = r->helo;
    else if (!r->client_host || !msg_check_token(r->client_host, host_chars))
        what = "client host", val = r->client_host;
    else if (!r->client_ip || !msg_check_token(r->client_ip, ".:"))
        what = "client address", val = r->client_ip;
    else if (!r->by_host || !msg_check_token(r->by_host, "-."))
        what = "receiving host", val = r->by_host;
    else if (!r->with || !msg_check_token(r->with, ""))
        what = "protocol", val = r->with;
    else if (!r->id || !msg_check_token(r->id, ""))
        what = "id", val = r->id;
    else if (r->for_addr && !msg_check_token(r->for_addr, "!#$%&'*+-/=?^_`{|}~.@"))
        what = "for address", val = r->for_addr;
    if (what)
        return msg_fail(err, MSG_E_ADDRESS, "Received",
                        "header \"Received\": bad %s \"%.60s\" (never copied into a header)", what,
                        val ? val : "(null)");
    char date[MSG_DATE_SIZE];
    msg_format_date(r->t, r->epoch_unix, date);
    /* Folded the way real servers fold it, one clause per line. The ";"
     * before the date is mandatory (RFC 5322 §3.6.7: received =
     * "Received:" [1*received-token / CFWS] ";" date-time), also when no
     * "for" clause names a single recipient. */
    /* Piece by piece: every hop of every message writes one, and a printf
     * of eight strings cost 1,700 instructions. */
    const char *const part[] = {"Received: from ",
                                r->helo,
                                " (",
                                r->client_host,
                                " [",
                                r->client_ip,
                                "])\r\n\tby ",
                                r->by_host,
                                " with ",
                                r->with,
                                " id ",
                                r->id,
                                r->for_addr ? "\r\n\tfor <" : ";\r\n\t",
                                r->for_addr ? r->for_addr : "",
                                r->for_addr ? ">; " : "",
                                date,
                                "\r\n"};
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) msg_buf_adds(out, part[i]);
    return MSG_OK;
}

enum msg_error msg_add_return_path(struct msg_buf *out, const char *reverse_path, size_t n,
                                   struct ms_error *err)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)reverse_path[i];
        if (c <= 32 || c >= 127 || c == '<' || c == '>')
            return msg_fail(err, MSG_E_ADDRESS, "Return-Path",
                            "header \"Return-Path\": bad character 0x%02X at offset %zu in the "
                            "reverse path",
                            c, i);
    }
    msg_buf_adds(out, "Return-Path: <");
    msg_buf_add(out, reverse_path, n);
    msg_buf_adds(out, ">\r\n");
    return MSG_OK;
}

enum msg_error msg_build_header(struct msg_buf *out, const struct msg_header_spec *h,
                                struct ms_error *err)
{
    struct msg_buf b = {0};
    enum msg_error e = msg_add_address_field(&b, "From", &h->from, 1, err);
    if (e == MSG_OK && h->n_to) e = msg_add_address_field(&b, "To", h->to, h->n_to, err);
    if (e == MSG_OK && h->n_cc) e = msg_add_address_field(&b, "Cc", h->cc, h->n_cc, err);
    if (e == MSG_OK && !h->n_to && !h->n_cc)
        e = msg_fail(err, MSG_E_ADDRESS, "To", "header \"To\": no recipient given");
    if (e == MSG_OK && h->subject)
        e = msg_add_text_field(&b, "Subject", h->subject, strlen(h->subject), err);
    if (e == MSG_OK) {
        char date[MSG_DATE_SIZE];
        size_t dl = msg_format_date(h->date_t, h->epoch_unix, date);
        e = msg_add_field(&b, "Date", date, dl, err);
    }
    if (e == MSG_OK && h->message_id)
        e = msg_add_field(&b, "Message-ID", h->message_id, strlen(h->message_id), err);
    if (e == MSG_OK && h->extra_len) {
        /* Extra fields: complete CRLF-ended fields or continuations. */
        const char *x = h->extra_fields;
        size_t pos = 0;
        while (pos < h->extra_len && e == MSG_OK) {
            const char *lf = memchr(x + pos, '\n', h->extra_len - pos);
            size_t end = lf ? (size_t)(lf - x) : h->extra_len;
            bool crlf = lf && end > pos && x[end - 1] == '\r';
            size_t le = crlf ? end - 1 : end;
            bool ok = crlf && le > pos && !memchr(x + pos, '\r', le - pos) &&
                      !memchr(x + pos, '\0', le - pos);
            if (ok && !msg_is_wsp((unsigned char)x[pos])) {
                const char *colon = memchr(x + pos, ':', le - pos);
                ok = colon && colon > x + pos;
            }
            if (!ok)
                e = msg_fail(err, MSG_E_INJECTION, "extra",
                             "extra header fields: line at offset %zu is not a CRLF-ended "
                             "field",
                             pos);
            pos = end + 1;
        }
        if (e == MSG_OK) msg_buf_add(&b, h->extra_fields, h->extra_len);
    }
    if (e == MSG_OK) {
        msg_buf_add(&b, "\r\n", 2);
        msg_buf_add(out, b.data, b.len);
    }
    msg_buf_free(&b);
    return e;
}
