/* smtp_dot.c -- dot-stuffing encoder and strict end-of-data decoder
 * (RFC 5321 §4.5.2; see smtp_dot.h). */
#include "proto/smtp_dot.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char smtp_dot_crlf[] = "\r\n";
static const char smtp_dot_term[] = ".\r\n";

/* ---- encoder ---------------------------------------------------------- */

void smtp_dot_enc_init(struct smtp_dot_enc *e, const char *body, size_t len)
{
    memset(e, 0, sizeof *e);
    e->body = body;
    e->len = len;
    e->bol = true;
}

static bool smtp_dot_ends_crlf(const char *body, size_t len)
{
    return len >= 2 && body[len - 2] == '\r' && body[len - 1] == '\n';
}

size_t smtp_dot_enc_run(struct smtp_dot_enc *e, char *out, size_t cap)
{
    size_t o = 0;
    while (o < cap && e->tail < 3) {
        if (e->tail == 0) {
            if (e->pos == e->len) {
                /* An empty body is just ".\r\n": the CRLF of DATA precedes it. */
                e->tail = (e->len > 0 && !smtp_dot_ends_crlf(e->body, e->len)) ? 1 : 2;
                e->tail_pos = 0;
                continue;
            }
            if (e->bol && e->body[e->pos] == '.') {
                out[o++] = '.'; /* §4.5.2: double a leading period */
                e->bol = false;
                continue;
            }
            /* Copy up to and including the next LF, as room allows. */
            size_t left = e->len - e->pos;
            const char *lf = memchr(e->body + e->pos, '\n', left);
            size_t run = lf ? (size_t)(lf - (e->body + e->pos)) + 1 : left;
            if (run > cap - o) run = cap - o;
            memcpy(out + o, e->body + e->pos, run);
            o += run;
            e->pos += run;
            /* Only CRLF starts a new line (§2.3.8): a bare LF does not. */
            e->bol = e->pos >= 2 && e->body[e->pos - 1] == '\n' && e->body[e->pos - 2] == '\r';
            continue;
        }
        const char *piece = e->tail == 1 ? smtp_dot_crlf : smtp_dot_term;
        size_t plen = e->tail == 1 ? 2 : 3;
        while (o < cap && e->tail_pos < plen) out[o++] = piece[e->tail_pos++];
        if (e->tail_pos == plen) {
            e->tail++;
            e->tail_pos = 0;
        }
    }
    return o;
}

bool smtp_dot_enc_done(const struct smtp_dot_enc *e)
{
    return e->tail == 3;
}

size_t smtp_dot_stuffed_len(const char *body, size_t len)
{
    size_t n = len + 3;
    bool bol = true;
    for (size_t i = 0; i < len; i++) {
        if (bol && body[i] == '.') n++;
        bol = body[i] == '\n' && i > 0 && body[i - 1] == '\r';
    }
    if (len > 0 && !smtp_dot_ends_crlf(body, len)) n += 2;
    return n;
}

/* ---- word-at-a-time scan ----------------------------------------------- */

#define SMTP_DOT_ONES 0x0101010101010101ull
#define SMTP_DOT_HIGH 0x8080808080808080ull

size_t smtp_dot_plain_len(const char *p, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    /* 16 bytes per step: as signed bytes, 8-bit octets are negative, so one
     * "less than 0x0e" compare flags them together with NUL, LF and CR. */
    const __m128i lim = _mm_set1_epi8(0x0e);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        int mask = _mm_movemask_epi8(_mm_cmplt_epi8(v, lim));
        if (mask == 0) {
            i += 16;
            continue;
        }
        size_t k = i + (size_t)__builtin_ctz((unsigned)mask);
        unsigned char c = (unsigned char)p[k];
        if (c == '\r' || c == '\n' || c == 0 || (c & 0x80)) return k;
        i = k + 1; /* another control byte (TAB...): ordinary data */
    }
#endif
    while (i < n) {
        if (i + 8 <= n) {
            /* A byte is flagged when its high bit is set or it is below
             * 0x0e (NUL, LF, CR and a few other controls); a borrow only
             * spreads upward from a byte that was flagged already. */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((((w - SMTP_DOT_ONES * 0x0e) | w) & SMTP_DOT_HIGH) == 0) {
                i += 8;
                continue;
            }
        }
        unsigned char c = (unsigned char)p[i];
        if (c == '\r' || c == '\n' || c == 0 || (c & 0x80)) break;
        i++;
    }
    return i;
}

/* ---- decoder ---------------------------------------------------------- */

void smtp_dot_dec_init(struct smtp_dot_dec *d, char *out, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->st = SMTP_DOT_BOL;
    d->out = out;
    d->cap = cap;
    d->line_no = 1;
}

void smtp_dot_dec_rebase(struct smtp_dot_dec *d, char *out, size_t cap)
{
    d->out = out;
    d->cap = cap;
}

bool smtp_dot_dec_done(const struct smtp_dot_dec *d)
{
    return d->st == SMTP_DOT_END;
}

static void smtp_dot_put(struct smtp_dot_dec *d, char c)
{
    if (d->len < d->cap) {
        d->out[d->len++] = c;
    } else {
        d->overflow = true;
    }
    d->total++;
}

/* A byte of line content (not CR, not the LF of CRLF). */
static void smtp_dot_content(struct smtp_dot_dec *d, unsigned char c)
{
    if (c == '\n' && !d->bare_lf_line) d->bare_lf_line = d->line_no;
    if (c == '\0' && !d->nul_line) d->nul_line = d->line_no;
    if ((c & 0x80) && !d->eightbit_line) {
        d->eightbit_line = d->line_no;
        d->eightbit_byte = c;
    }
    d->line_len++;
    smtp_dot_put(d, (char)c);
}

static void smtp_dot_bare_cr(struct smtp_dot_dec *d)
{
    if (!d->bare_cr_line) d->bare_cr_line = d->line_no;
    d->line_len++;
    smtp_dot_put(d, '\r');
}

static void smtp_dot_line_end(struct smtp_dot_dec *d);

/* Lenient mode only: a bare LF ended a line (recorded, then a line end). */
static void smtp_dot_lenient_lf(struct smtp_dot_dec *d)
{
    if (!d->bare_lf_line) d->bare_lf_line = d->line_no;
    smtp_dot_line_end(d);
}

static void smtp_dot_line_end(struct smtp_dot_dec *d)
{
    /* §4.5.3.1.6: 1000 octets including CRLF, not counting a stuffed dot. */
    if (d->line_len + 2 > SMTP_TEXT_LINE_MAX && !d->long_line) {
        d->long_line = d->line_no;
        d->long_line_len = d->line_len + 2;
    }
    smtp_dot_put(d, '\r');
    smtp_dot_put(d, '\n');
    d->line_no++;
    d->line_len = 0;
    d->st = SMTP_DOT_BOL;
}

size_t smtp_dot_dec_run(struct smtp_dot_dec *d, const char *in, size_t len)
{
    size_t i = 0;
    while (i < len && d->st != SMTP_DOT_END) {
        unsigned char c = (unsigned char)in[i];
        switch (d->st) {
        case SMTP_DOT_BOL:
            i++;
            if (c == '.') {
                d->st = SMTP_DOT_BOL_DOT; /* stuffing or the terminator */
            } else if (c == '\r') {
                d->st = SMTP_DOT_CR;
            } else if (c == '\n' && d->lenient_lf) {
                smtp_dot_lenient_lf(d);
            } else {
                d->st = SMTP_DOT_MID;
                smtp_dot_content(d, c);
            }
            break;
        case SMTP_DOT_BOL_DOT:
            i++;
            if (c == '\r') {
                d->st = SMTP_DOT_BOL_DOT_CR;
            } else if (c == '\n' && d->lenient_lf) {
                if (!d->bare_lf_line) d->bare_lf_line = d->line_no;
                d->st = SMTP_DOT_END; /* LF "." LF: the unsafe legacy end */
            } else {
                /* ".x": the leading dot was stuffing (§4.5.2), drop it. A
                 * bare LF here (".\n") is data, never an end (smuggling). */
                d->st = SMTP_DOT_MID;
                smtp_dot_content(d, c);
            }
            break;
        case SMTP_DOT_BOL_DOT_CR:
            if (c == '\n') {
                i++;
                d->st = SMTP_DOT_END; /* CRLF "." CRLF */
                break;
            }
            /* ".\r" then not LF: the dot was stuffing and the CR is bare.
             * Reprocess c as line content (it may itself be a CR). */
            smtp_dot_bare_cr(d);
            d->st = SMTP_DOT_MID;
            break;
        case SMTP_DOT_CR:
            if (c == '\n') {
                i++;
                smtp_dot_line_end(d);
                break;
            }
            smtp_dot_bare_cr(d);
            d->st = SMTP_DOT_MID;
            break;
        case SMTP_DOT_MID: {
            /* Fast path: copy a run of ordinary bytes. */
            size_t start = i;
            i += smtp_dot_plain_len(in + i, len - i);
            size_t run = i - start;
            if (run > 0) {
                size_t room = d->len < d->cap ? d->cap - d->len : 0;
                size_t keep = run < room ? run : room;
                memcpy(d->out + d->len, in + start, keep);
                d->len += keep;
                if (keep < run) d->overflow = true;
                d->total += run;
                d->line_len += run;
                break;
            }
            i++;
            if (c == '\r') {
                d->st = SMTP_DOT_CR;
            } else if (c == '\n' && d->lenient_lf) {
                smtp_dot_lenient_lf(d);
            } else {
                smtp_dot_content(d, c); /* bare LF, NUL or an 8-bit byte */
            }
            break;
        }
        case SMTP_DOT_END:
            break;
        }
    }
    return i;
}
