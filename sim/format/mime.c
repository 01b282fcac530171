/* mime.c -- MIME parse tree (RFC 2045, 2046, 2183) with bounded depth and
 * part count, and the 7-bit scan. Builders are in mime_build.c. */
#include "format/mime.h"
#include "core/ascii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/base64.h"
#include "format/qp.h"

static const char *const mime_error_texts[MIME_E_COUNT] = {
#define MIME_X_TEXT(name, text) text,
    MIME_ERRORS(MIME_X_TEXT)
#undef MIME_X_TEXT
};

static const char *const mime_cte_names[MIME_CTE_COUNT] = {
    "7bit", "8bit", "binary", "quoted-printable", "base64", "x-other",
};

const char *mime_strerror(enum mime_error e)
{
    if ((unsigned)e >= MIME_E_COUNT) return "unknown error";
    return mime_error_texts[e];
}

const char *mime_cte_name(enum mime_cte c)
{
    if ((unsigned)c >= MIME_CTE_COUNT) return "x-other";
    return mime_cte_names[c];
}

/* ------------------------------------------------------------------------
 * Arena: the tree's strings and parameter arrays.
 * ------------------------------------------------------------------------ */

struct mime_chunk {
    struct mime_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct mime_parser {
    struct mime_tree *t;
    size_t cap_parts;
};

static void *mime_alloc(struct mime_tree *t, size_t n);
static struct mime_str mime_store(struct mime_tree *t, const char *p, size_t n, bool lower);
static void mime_defect(struct mime_tree *t, int idx, enum mime_error e);
static int mime_parse_part(struct mime_parser *mp, size_t start, size_t end, int depth, int parent,
                           bool digest_child);
static bool mime_is_tspecial(unsigned char c);
static size_t mime_skip_cfws(const char *s, size_t n, size_t i);
static size_t mime_token(const char *s, size_t n, size_t i);
static bool mime_parse_ctype(struct mime_tree *t, const char *v, size_t n, bool with_subtype,
                             struct mime_str *type, struct mime_str *sub,
                             struct mime_param **params, size_t *n_params, bool *params_bad);
static bool mime_str_is(const struct mime_str *s, const char *lit);
static void mime_split_multipart(struct mime_parser *mp, int idx, const struct mime_str *b,
                                 size_t end);

static void *mime_alloc(struct mime_tree *t, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct mime_chunk *c = t->arena_;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        struct mime_chunk *nc = ms_xmalloc(sizeof *nc + cap);
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        t->arena_ = nc;
        c = nc;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static struct mime_str mime_store(struct mime_tree *t, const char *p, size_t n, bool lower)
{
    char *d = mime_alloc(t, n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        d[i] = lower ? (char)ascii_lower((unsigned char)c) : c;
    }
    d[n] = '\0';
    return (struct mime_str){d, n};
}

static void mime_defect(struct mime_tree *t, int idx, enum mime_error e)
{
    if (idx >= 0) t->parts[idx].defects |= 1u << e;
    t->defects |= 1u << e;
    if (t->error == MIME_OK) t->error = e;
}

static bool mime_str_is(const struct mime_str *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && memcmp(s->p, lit, n) == 0;
}

/* ------------------------------------------------------------------------
 * Content-Type / Content-Disposition (RFC 2045 §5.1, RFC 2183 §2)
 * ------------------------------------------------------------------------ */

static bool mime_is_tspecial(unsigned char c)
{
    return c && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* Skip whitespace and (nested) comments. */
static size_t mime_skip_cfws(const char *s, size_t n, size_t i)
{
    while (i < n) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
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

/* End of a token starting at i (== i when there is none). */
static size_t mime_token(const char *s, size_t n, size_t i)
{
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 32 || c >= 127 || mime_is_tspecial(c)) break;
        i++;
    }
    return i;
}

static bool mime_parse_ctype(struct mime_tree *t, const char *v, size_t n, bool with_subtype,
                             struct mime_str *type, struct mime_str *sub,
                             struct mime_param **params, size_t *n_params, bool *params_bad)
{
    size_t i = mime_skip_cfws(v, n, 0);
    size_t te = mime_token(v, n, i);
    if (te == i) return false;
    *type = mime_store(t, v + i, te - i, true);
    i = mime_skip_cfws(v, n, te);
    if (with_subtype) {
        if (i >= n || v[i] != '/') return false;
        i = mime_skip_cfws(v, n, i + 1);
        size_t se = mime_token(v, n, i);
        if (se == i) return false;
        *sub = mime_store(t, v + i, se - i, true);
        i = mime_skip_cfws(v, n, se);
    }
    struct mime_param tmp[MIME_MAX_PARAMS];
    size_t np = 0;
    *params_bad = false;
    while (i < n) {
        if (v[i] != ';') { /* junk: skip to the next ';' */
            *params_bad = true;
            while (i < n && v[i] != ';') i++;
            continue;
        }
        i = mime_skip_cfws(v, n, i + 1);
        if (i >= n) break; /* a trailing ';' is harmless */
        size_t ne = mime_token(v, n, i);
        size_t ns = i;
        i = mime_skip_cfws(v, n, ne);
        if (ne == ns || i >= n || v[i] != '=') {
            *params_bad = true;
            continue;
        }
        i = mime_skip_cfws(v, n, i + 1);
        struct mime_str val;
        if (i < n && v[i] == '"') {
            /* quoted-string with quoted-pairs (RFC 5322 §3.2.4) */
            char *d = mime_alloc(t, n - i + 1);
            size_t o = 0;
            i++;
            while (i < n && v[i] != '"') {
                if (v[i] == '\\' && i + 1 < n) i++;
                d[o++] = v[i++];
            }
            if (i < n)
                i++;
            else
                *params_bad = true;
            d[o] = '\0';
            val = (struct mime_str){d, o};
        } else {
            /* token; leniently also '=', '/', '?' and the like, which real
             * mailers leave unquoted in boundaries ("----=_Part_1"). */
            size_t ve = i;
            while (ve < n && v[ve] != ';' && v[ve] != '"' && (unsigned char)v[ve] > 32 &&
                   (unsigned char)v[ve] < 127 && v[ve] != '(')
                ve++;
            val = mime_store(t, v + i, ve - i, false);
            i = ve;
        }
        i = mime_skip_cfws(v, n, i);
        if (np < MIME_MAX_PARAMS) {
            tmp[np].name = mime_store(t, v + ns, ne - ns, true);
            tmp[np].value = val;
            np++;
        } else {
            *params_bad = true;
        }
    }
    *params = np ? mime_alloc(t, np * sizeof **params) : NULL;
    if (np) memcpy(*params, tmp, np * sizeof **params);
    *n_params = np;
    return true;
}

const struct mime_str *mime_param_get(const struct mime_part *p, const char *name)
{
    for (size_t i = 0; i < p->n_params; i++)
        if (mime_str_is(&p->params[i].name, name)) return &p->params[i].value;
    return NULL;
}

const struct mime_str *mime_disp_param_get(const struct mime_part *p, const char *name)
{
    for (size_t i = 0; i < p->n_disp_params; i++)
        if (mime_str_is(&p->disp_params[i].name, name)) return &p->disp_params[i].value;
    return NULL;
}

/* Append v (an RFC 2231 extended value without its charset'lang' prefix)
 * percent-decoded, converted from latin1 when asked. */
static void mime_add_pct(struct msg_buf *out, const char *v, size_t n, bool latin1);

static void mime_add_pct(struct msg_buf *out, const char *v, size_t n, bool latin1)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '%' && i + 2 < n) {
            const char *h1 = strchr(hex, v[i + 1] | 0x20); /* '\0' | 0x20 is ' ' */
            const char *h2 = strchr(hex, v[i + 2] | 0x20);
            if (h1 && h2) {
                c = (unsigned char)((h1 - hex) << 4 | (h2 - hex));
                i += 2;
            }
        }
        if (latin1 && c >= 128) {
            unsigned char u[2] = {(unsigned char)(0xC0 | c >> 6),
                                  (unsigned char)(0x80 | (c & 0x3F))};
            msg_buf_add(out, u, 2);
        } else {
            msg_buf_add(out, &c, 1);
        }
    }
}

bool mime_param_decoded(const struct mime_part *p, bool disposition, const char *name,
                        struct msg_buf *out)
{
    const struct mime_param *ps = disposition ? p->disp_params : p->params;
    size_t np = disposition ? p->n_disp_params : p->n_params;
    size_t nl = strlen(name);
    /* 1. A plain value, with encoded-words decoded. */
    for (size_t i = 0; i < np; i++) {
        if (mime_str_is(&ps[i].name, name)) {
            size_t dl;
            char *d = msg_decode_words(ps[i].value.p, ps[i].value.len, &dl);
            msg_buf_add(out, d, dl);
            free(d);
            return true;
        }
    }
    /* 2. name* or name*0, name*1, ... each with or without a trailing '*'. */
    bool latin1 = false, any = false;
    for (size_t k = 0; k <= MIME_MAX_PARAMS; k++) {
        const struct mime_param *hit = NULL;
        bool ext = false;
        for (size_t i = 0; i < np && !hit; i++) {
            const struct mime_str *pn = &ps[i].name;
            if (pn->len <= nl || memcmp(pn->p, name, nl) != 0 || pn->p[nl] != '*') continue;
            const char *rest = pn->p + nl + 1;
            size_t rl = pn->len - nl - 1;
            if (k == 0 && rl == 0) { /* name* : one extended value */
                hit = &ps[i];
                ext = true;
                continue;
            }
            char num[8];
            int w = snprintf(num, sizeof num, "%zu", k);
            if (rl >= (size_t)w && memcmp(rest, num, (size_t)w) == 0 &&
                (rl == (size_t)w || (rl == (size_t)w + 1 && rest[w] == '*'))) {
                hit = &ps[i];
                ext = rl == (size_t)w + 1;
            }
        }
        if (!hit) break;
        const char *v = hit->value.p;
        size_t vl = hit->value.len;
        if (ext && k == 0) { /* charset'language'value (§4) */
            const char *q1 = memchr(v, '\'', vl);
            const char *q2 = q1 ? memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)) : NULL;
            if (q1 && q2) {
                size_t cl = (size_t)(q1 - v);
                latin1 = (cl == 10 && !strncmp(v, "iso-8859-1", 10)) ||
                         (cl == 10 && !strncmp(v, "ISO-8859-1", 10));
                vl -= (size_t)(q2 + 1 - v);
                v = q2 + 1;
            }
        }
        if (ext)
            mime_add_pct(out, v, vl, latin1);
        else
            msg_buf_add(out, v, vl);
        any = true;
        if (ext && k == 0 && hit->name.len == nl + 1) break; /* plain name* has no parts */
    }
    return any;
}

/* ------------------------------------------------------------------------
 * Parts
 * ------------------------------------------------------------------------ */

/* Boundary delimiter lines of part idx's body (RFC 2046 §5.1.1): "--"
 * boundary, then "--" for the close delimiter, then optional whitespace
 * (transport padding) and the line end. The line end before a delimiter
 * belongs to it, so a part's body ends before that CRLF. */
static void mime_split_multipart(struct mime_parser *mp, int idx, const struct mime_str *b,
                                 size_t end)
{
    struct mime_tree *t = mp->t;
    const char *m = t->msg;
    const size_t body_off = t->parts[idx].body_off;
    const int depth = t->parts[idx].depth;
    const bool digest = mime_str_is(&t->parts[idx].subtype, "digest");
    size_t pos = body_off, part_start = SIZE_MAX;
    bool closed = false;
    int last = -1;
    while (pos < end) {
        const char *lf = memchr(m + pos, '\n', end - pos);
        size_t next = lf ? (size_t)(lf - m) + 1 : end;
        size_t le = lf ? (size_t)(lf - m) : end; /* line end, LF position */
        if (le > pos && m[le - 1] == '\r') le--;
        bool delim = false, is_close = false;
        if (le - pos >= 2 + b->len && m[pos] == '-' && m[pos + 1] == '-' &&
            memcmp(m + pos + 2, b->p, b->len) == 0) {
            size_t a = pos + 2 + b->len;
            if (a + 2 <= le && m[a] == '-' && m[a + 1] == '-') {
                delim = is_close = true;
            } else {
                while (a < le && (m[a] == ' ' || m[a] == '\t')) a++;
                delim = a == le;
            }
        }
        if (delim) {
            if (part_start != SIZE_MAX) {
                size_t pe = pos; /* drop the CRLF (or LF) before the delimiter */
                if (pe > body_off && m[pe - 1] == '\n') pe--;
                if (pe > body_off && m[pe - 1] == '\r') pe--;
                if (pe < part_start) pe = part_start;
                if (t->n_parts >= MIME_MAX_PARTS) {
                    mime_defect(t, idx, MIME_E_TOO_MANY_PARTS);
                    return;
                }
                int c = mime_parse_part(mp, part_start, pe, depth + 1, idx, digest);
                if (last < 0)
                    t->parts[idx].first_child = c;
                else
                    t->parts[last].next_sibling = c;
                t->parts[idx].n_children++;
                last = c;
            }
            if (is_close) {
                closed = true;
                break;
            }
            part_start = next;
        }
        pos = next;
    }
    if (!closed && part_start != SIZE_MAX) {
        mime_defect(t, idx, MIME_E_NO_CLOSE);
        if (t->n_parts >= MIME_MAX_PARTS) {
            mime_defect(t, idx, MIME_E_TOO_MANY_PARTS);
        } else {
            int c = mime_parse_part(mp, part_start < end ? part_start : end, end, depth + 1, idx,
                                    digest);
            if (last < 0)
                t->parts[idx].first_child = c;
            else
                t->parts[last].next_sibling = c;
            t->parts[idx].n_children++;
        }
    }
}

static int mime_parse_part(struct mime_parser *mp, size_t start, size_t end, int depth, int parent,
                           bool digest_child)
{
    struct mime_tree *t = mp->t;
    if (t->n_parts == mp->cap_parts) {
        mp->cap_parts = mp->cap_parts ? mp->cap_parts * 2 : 8;
        t->parts = ms_xrealloc(t->parts, mp->cap_parts * sizeof *t->parts);
    }
    int idx = (int)t->n_parts++;
    struct mime_part *p = &t->parts[idx];
    memset(p, 0, sizeof *p);
    p->parent = parent;
    p->first_child = p->next_sibling = p->message = -1;
    p->depth = depth;

    const char *m = t->msg;
    struct msg_split sp;
    msg_split(m + start, end - start, &sp);
    p->start = start;
    p->hdr_len = sp.hdr_len;
    p->body_off = start + sp.body_off;
    p->body_len = sp.body_len;

    struct msg_field_iter it;
    struct msg_field f;
    bool have_cte = false, have_cd = false;
    msg_fields_begin(&it, m + start, sp.hdr_len);
    while (msg_fields_next(&it, &f)) {
        const char *h = m + start;
        if (f.name_len < 8 ||
            !msg_field_is(h, &(struct msg_field){f.off, 0, 8, 0, 0}, "content-", 8))
            continue;
        char *v = ms_xmalloc(f.value_len + 1);
        size_t vn = msg_unfold(h + f.value_off, f.value_len, v);
        if (msg_field_is(h, &f, "content-type", 12) && !p->has_content_type) {
            bool bad_params;
            if (mime_parse_ctype(t, v, vn, true, &p->type, &p->subtype, &p->params, &p->n_params,
                                 &bad_params)) {
                p->has_content_type = true;
                if (bad_params) mime_defect(t, idx, MIME_E_BAD_CONTENT_TYPE);
            } else {
                p->type = p->subtype = (struct mime_str){NULL, 0};
                mime_defect(t, idx, MIME_E_BAD_CONTENT_TYPE);
            }
        } else if (msg_field_is(h, &f, "content-transfer-encoding", 25) && !have_cte) {
            size_t a = mime_skip_cfws(v, vn, 0);
            size_t e = mime_token(v, vn, a);
            p->cte_raw = mime_store(t, v + a, e - a, true);
            have_cte = true;
        } else if (msg_field_is(h, &f, "content-id", 10) && !p->id.p) {
            p->id = mime_store(t, v, vn, false);
        } else if (msg_field_is(h, &f, "content-description", 19) && !p->description.p) {
            p->description = mime_store(t, v, vn, false);
        } else if (msg_field_is(h, &f, "content-md5", 11) && !p->md5.p) {
            p->md5 = mime_store(t, v, vn, false);
        } else if (msg_field_is(h, &f, "content-language", 16) && !p->language.p) {
            p->language = mime_store(t, v, vn, false);
        } else if (msg_field_is(h, &f, "content-location", 16) && !p->location.p) {
            p->location = mime_store(t, v, vn, false);
        } else if (msg_field_is(h, &f, "content-disposition", 19) && !have_cd) {
            bool bad_params;
            struct mime_str none;
            have_cd = mime_parse_ctype(t, v, vn, false, &p->disposition, &none, &p->disp_params,
                                       &p->n_disp_params, &bad_params);
        }
        free(v);
    }
    if (it.bad_lines) mime_defect(t, idx, MIME_E_BAD_HEADER);

    /* Defaults: RFC 2045 §5.2 text/plain; charset=us-ascii, except in a
     * multipart/digest where it is message/rfc822 (RFC 2046 §5.1.5). */
    if (!p->has_content_type) {
        if (digest_child) {
            p->type = mime_store(t, "message", 7, false);
            p->subtype = mime_store(t, "rfc822", 6, false);
        } else {
            p->type = mime_store(t, "text", 4, false);
            p->subtype = mime_store(t, "plain", 5, false);
            p->params = mime_alloc(t, sizeof *p->params);
            p->params[0].name = mime_store(t, "charset", 7, false);
            p->params[0].value = mime_store(t, "us-ascii", 8, false);
            p->n_params = 1;
        }
    }
    if (!p->cte_raw.p || p->cte_raw.len == 0) p->cte_raw = mime_store(t, "7bit", 4, false);
    p->cte = MIME_CTE_OTHER;
    for (int c = 0; c < MIME_CTE_OTHER; c++)
        if (mime_str_is(&p->cte_raw, mime_cte_names[c])) p->cte = (enum mime_cte)c;

    /* body-fld-lines: LF count plus an unterminated last line. */
    const char *body = m + p->body_off;
    for (size_t i = 0; i < p->body_len; i++) p->body_lines += body[i] == '\n';
    if (p->body_len && body[p->body_len - 1] != '\n') p->body_lines++;

    if (mime_str_is(&p->type, "multipart")) {
        const struct mime_str *b = mime_param_get(p, "boundary");
        if (!b) {
            mime_defect(t, idx, MIME_E_NO_BOUNDARY);
        } else if (b->len == 0 || b->len > MIME_BOUNDARY_MAX) {
            mime_defect(t, idx, MIME_E_BAD_BOUNDARY);
        } else if (depth >= MIME_MAX_DEPTH) {
            mime_defect(t, idx, MIME_E_TOO_DEEP);
        } else {
            struct mime_str bc = *b; /* p may move while children are added */
            mime_split_multipart(mp, idx, &bc, end);
            p = &t->parts[idx];
            if (p->n_children == 0) mime_defect(t, idx, MIME_E_NO_PARTS);
            p->is_multipart = p->n_children > 0;
        }
    } else if (mime_str_is(&p->type, "message") && mime_str_is(&p->subtype, "rfc822")) {
        /* RFC 2046 §5.2.1: only 7bit, 8bit or binary; anything else is
         * opaque to us. */
        if (p->cte != MIME_CTE_7BIT && p->cte != MIME_CTE_8BIT && p->cte != MIME_CTE_BINARY) {
            mime_defect(t, idx, MIME_E_ENCODED_MESSAGE);
        } else if (depth >= MIME_MAX_DEPTH) {
            mime_defect(t, idx, MIME_E_TOO_DEEP);
        } else if (t->n_parts >= MIME_MAX_PARTS) {
            mime_defect(t, idx, MIME_E_TOO_MANY_PARTS);
        } else {
            size_t bo = p->body_off, be = p->body_off + p->body_len;
            int c = mime_parse_part(mp, bo, be, depth + 1, idx, false);
            p = &t->parts[idx];
            p->message = p->first_child = c;
            p->n_children = 1;
            p->is_message = true;
        }
    }
    return idx;
}

void mime_parse(struct mime_tree *t, const char *msg, size_t len)
{
    memset(t, 0, sizeof *t);
    t->msg = msg;
    t->len = len;
    struct mime_parser mp = {t, 0};
    mime_parse_part(&mp, 0, len, 0, -1, false);
}

void mime_tree_free(struct mime_tree *t)
{
    struct mime_chunk *c = t->arena_;
    while (c) {
        struct mime_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(t->parts);
    memset(t, 0, sizeof *t);
}

int mime_next(const struct mime_tree *t, int i)
{
    return i >= 0 && (size_t)i + 1 < t->n_parts ? i + 1 : -1;
}

int mime_find_section(const struct mime_tree *t, const char *s, size_t n)
{
    if (!t->n_parts || n == 0) return -1;
    int cur = 0;
    size_t i = 0;
    for (;;) {
        uint32_t num = 0;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            num = num * 10 + (uint32_t)(s[i] - '0');
            if (num > MIME_MAX_PARTS) return -1; /* no part has a larger number */
            i++;
        }
        if (i == d || num == 0) return -1;
        bool more = i < n;
        if (more && (s[i] != '.' || i + 1 == n)) return -1;
        const struct mime_part *m = &t->parts[cur];
        int sel;
        if (m->is_multipart) {
            sel = m->first_child;
            for (uint32_t k = 1; k < num && sel >= 0; k++) sel = t->parts[sel].next_sibling;
            if (sel < 0) return -1;
        } else {
            if (num != 1) return -1;
            sel = cur;
        }
        if (!more) return sel;
        i++; /* the '.' */
        const struct mime_part *p = &t->parts[sel];
        if (p->is_message)
            cur = p->message;
        else if (p->is_multipart && sel != cur)
            cur = sel;
        else
            return -1;
    }
}

unsigned char *mime_decode_body(const struct mime_tree *t, const struct mime_part *p,
                                size_t *out_len)
{
    const char *b = t->msg + p->body_off;
    size_t n = p->body_len;
    unsigned char *out = NULL;
    switch (p->cte) {
    case MIME_CTE_7BIT:
    case MIME_CTE_8BIT:
    case MIME_CTE_BINARY:
        out = ms_xmalloc(n + 1);
        if (n) memcpy(out, b, n);
        *out_len = n;
        break;
    case MIME_CTE_QP:
        out = ms_xmalloc(n + 1);
        qp_decode(b, n, out, out_len, false);
        break;
    case MIME_CTE_BASE64: {
        char *clean = ms_xmalloc(n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n') clean[k++] = b[i];
        out = ms_xmalloc(b64_decoded_max(k) + 1);
        bool ok = b64_decode(clean, k, out, out_len, false);
        free(clean);
        if (!ok) {
            free(out);
            return NULL;
        }
        break;
    }
    default:
        return NULL;
    }
    out[*out_len] = '\0';
    return out;
}

/* ------------------------------------------------------------------------
 * 7-bit / 8-bit scan (RFC 2045 §2.7, §2.8; RFC 5322 §2.1.1)
 * ------------------------------------------------------------------------ */

void mime_scan(const unsigned char *p, size_t n, struct mime_scan *o)
{
    memset(o, 0, sizeof *o);
    o->len = n;
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\n') {
            if (i == 0 || p[i - 1] != '\r') o->bare_lf++;
            size_t l = col > 0 && p[i - 1] == '\r' ? col - 1 : col;
            if (l > o->longest_line) o->longest_line = l;
            if (i > 0 && p[i - 1] == '\r' && i > 1 && (p[i - 2] == ' ' || p[i - 2] == '\t'))
                o->trailing_ws = true;
            else if (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t'))
                o->trailing_ws = true;
            o->lines++;
            col = 0;
            continue;
        }
        if (c == '\r' && (i + 1 >= n || p[i + 1] != '\n')) o->bare_cr++;
        if (c == 0)
            o->nuls++;
        else if (c >= 128)
            o->high_bytes++;
        else if ((c < 32 && c != '\t' && c != '\r') || c == 127)
            o->ctl++;
        col++;
    }
    if (col > 0) {
        o->lines++;
        if (col > o->longest_line) o->longest_line = col;
        if (p[n - 1] == ' ' || p[n - 1] == '\t') o->trailing_ws = true;
    }
    bool lines_ok =
        o->nuls == 0 && o->bare_cr == 0 && o->bare_lf == 0 && o->longest_line <= MSG_LINE_HARD;
    o->is_8bit = lines_ok;
    o->is_7bit = lines_ok && o->high_bytes == 0;
}

enum mime_cte mime_choose_cte(const unsigned char *p, size_t n, bool is_text, bool allow_8bit)
{
    struct mime_scan s;
    mime_scan(p, n, &s);
    if (s.is_7bit) return MIME_CTE_7BIT;
    if (allow_8bit && is_text && s.is_8bit) return MIME_CTE_8BIT;
    if (is_text) {
        size_t esc = s.high_bytes + s.nuls + s.ctl + s.bare_cr + s.bare_lf;
        for (size_t i = 0; i < n; i++) esc += p[i] == '=';
        if (esc * 6 < n) return MIME_CTE_QP;
    }
    return MIME_CTE_BASE64;
}
