/* mime_build.c -- building MIME bodies (RFC 2045, 2046, 2183, 2231, 2387)
 * and attachments made from a seed. See mime.h. */
#include "format/mime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "format/base64.h"
#include "format/qp.h"

static enum mime_error mime_bfail(struct ms_error *err, const char *fmt, ...) MS_PRINTF(2, 3);
static bool mime_is_token(const char *s);
static void mime_add_param(struct msg_buf *v, const char *name, const char *value);
static const char *mime_find(const char *h, size_t hn, const char *n, size_t nn);
static enum mime_error mime_emit(struct msg_buf *hdr, struct msg_buf *body,
                                 const struct mime_node *node, uint64_t seed, uint64_t path,
                                 int depth, struct ms_error *err);
static enum mime_error mime_emit_leaf(struct msg_buf *hdr, struct msg_buf *body,
                                      const struct mime_leaf *l, struct ms_error *err);
static void mime_encode_body(struct msg_buf *body, const unsigned char *p, size_t n,
                             enum mime_cte cte, bool is_text);

static enum mime_error mime_bfail(struct ms_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, MIME_E_BUILD, "mime", fmt, ap);
    va_end(ap);
    return MIME_E_BUILD;
}

/* RFC 2045 §5.1 token. */
static bool mime_is_token(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?=", c)) return false;
    }
    return true;
}

/* Append "; name=value": a token as it is, printable ASCII as a
 * quoted-string, anything else as an RFC 2231 §4 extended value
 * "name*=utf-8''%E2%82%AC". */
static void mime_add_param(struct msg_buf *v, const char *name, const char *value)
{
    bool ascii = true;
    for (const char *q = value; *q; q++)
        if ((unsigned char)*q < 32 || (unsigned char)*q >= 127) ascii = false;
    if (mime_is_token(value)) {
        msg_buf_addf(v, "; %s=%s", name, value);
    } else if (ascii) {
        msg_buf_addf(v, "; %s=\"", name);
        for (const char *q = value; *q; q++) {
            if (*q == '"' || *q == '\\') msg_buf_add(v, "\\", 1);
            msg_buf_add(v, q, 1);
        }
        msg_buf_add(v, "\"", 1);
    } else {
        msg_buf_addf(v, "; %s*=utf-8''", name);
        for (const unsigned char *q = (const unsigned char *)value; *q; q++) {
            if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                *q == '.' || *q == '-' || *q == '_')
                msg_buf_add(v, q, 1);
            else
                msg_buf_addf(v, "%%%02X", *q);
        }
    }
}

static const char *mime_find(const char *h, size_t hn, const char *n, size_t nn)
{
    if (nn == 0 || hn < nn) return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nn) == 0) return h + i;
    return NULL;
}

/* Transfer-encode p[0..n) onto body. */
static void mime_encode_body(struct msg_buf *body, const unsigned char *p, size_t n,
                             enum mime_cte cte, bool is_text)
{
    if (cte == MIME_CTE_BASE64) {
        size_t m = b64_encoded_len(n, 76);
        char *e = ms_xmalloc(m + 1);
        b64_encode(p, n, e, 76);
        msg_buf_add(body, e, m);
        free(e);
    } else if (cte == MIME_CTE_QP) {
        char *e = ms_xmalloc(qp_encoded_max(n) + 1);
        size_t m = qp_encode(p, n, e, !is_text);
        msg_buf_add(body, e, m);
        free(e);
    } else {
        msg_buf_add(body, p, n);
    }
}

static enum mime_error mime_emit_leaf(struct msg_buf *hdr, struct msg_buf *body,
                                      const struct mime_leaf *l, struct ms_error *err)
{
    if (!mime_is_token(l->type) || !mime_is_token(l->subtype))
        return mime_bfail(err, "bad media type \"%s/%s\" (expected two tokens like text/plain)",
                          l->type ? l->type : "", l->subtype ? l->subtype : "");
    bool is_text = !strcmp(l->type, "text");
    const unsigned char *src = l->content;
    size_t n = l->len;
    unsigned char *norm = NULL;
    if (is_text && n) {
        /* Text has CRLF line ends on the wire (RFC 2046 §4.1.1). */
        norm = ms_xmalloc(2 * n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (src[i] == '\r') {
                norm[o++] = '\r';
                norm[o++] = '\n';
                if (i + 1 < n && src[i + 1] == '\n') i++;
            } else if (src[i] == '\n') {
                norm[o++] = '\r';
                norm[o++] = '\n';
            } else {
                norm[o++] = src[i];
            }
        }
        src = norm;
        n = o;
    }
    struct mime_scan sc;
    mime_scan(src, n, &sc);
    enum mime_cte cte = l->cte;
    if (cte == MIME_CTE_OTHER) cte = mime_choose_cte(src, n, is_text, false);
    if ((cte == MIME_CTE_7BIT && !sc.is_7bit) || (cte == MIME_CTE_8BIT && !sc.is_8bit)) {
        free(norm);
        return mime_bfail(err,
                          "content of %s/%s is not %s (%zu octets >= 128, %zu NUL, longest "
                          "line %zu)",
                          l->type, l->subtype, mime_cte_name(cte), sc.high_bytes, sc.nuls,
                          sc.longest_line);
    }
    struct msg_buf v = {0};
    msg_buf_addf(&v, "%s/%s", l->type, l->subtype);
    if (is_text) {
        const char *cs = l->charset ? l->charset : sc.high_bytes ? "utf-8" : "us-ascii";
        if (!mime_is_token(cs)) {
            msg_buf_free(&v);
            free(norm);
            return mime_bfail(err, "bad charset \"%s\"", cs);
        }
        mime_add_param(&v, "charset", cs);
    }
    enum mime_error e = MIME_OK;
    if (l->filename) {
        if (!*l->filename ||
            msg_check_value("Content-Type", l->filename, strlen(l->filename), err) != MSG_OK)
            e = mime_bfail(err, "bad file name \"%.60s\" (empty, or holds CR, LF or NUL)",
                           l->filename);
        else
            mime_add_param(&v, "name", l->filename);
    }
    if (e == MIME_OK && msg_add_field(hdr, "Content-Type", v.data, v.len, err) != MSG_OK)
        e = MIME_E_BUILD;
    msg_buf_free(&v);
    if (e == MIME_OK) {
        const char *c = mime_cte_name(cte);
        msg_add_field(hdr, "Content-Transfer-Encoding", c, strlen(c), NULL);
    }
    if (e == MIME_OK && l->content_id) {
        bool ok = l->content_id[0] == '<' && strlen(l->content_id) > 2 &&
                  l->content_id[strlen(l->content_id) - 1] == '>';
        for (const char *q = l->content_id; *q && ok; q++) ok = *q > 32 && *q < 127;
        if (!ok)
            e = mime_bfail(err, "bad Content-ID \"%.60s\" (expected <id@host>)", l->content_id);
        else
            msg_add_field(hdr, "Content-ID", l->content_id, strlen(l->content_id), NULL);
    }
    if (e == MIME_OK && l->description &&
        msg_add_text_field(hdr, "Content-Description", l->description, strlen(l->description),
                           err) != MSG_OK)
        e = MIME_E_BUILD;
    if (e == MIME_OK && (l->filename || l->inline_disp)) {
        struct msg_buf d = {0};
        msg_buf_adds(&d, l->inline_disp ? "inline" : "attachment");
        if (l->filename) mime_add_param(&d, "filename", l->filename);
        msg_add_field(hdr, "Content-Disposition", d.data, d.len, NULL);
        msg_buf_free(&d);
    }
    if (e == MIME_OK) mime_encode_body(body, src, n, cte, is_text);
    free(norm);
    return e;
}

static enum mime_error mime_emit(struct msg_buf *hdr, struct msg_buf *body,
                                 const struct mime_node *node, uint64_t seed, uint64_t path,
                                 int depth, struct ms_error *err)
{
    if (depth > MIME_MAX_DEPTH)
        return mime_bfail(err, "MIME structure deeper than %d levels", MIME_MAX_DEPTH);
    if (!node->is_multipart) return mime_emit_leaf(hdr, body, &node->leaf, err);
    if (!mime_is_token(node->subtype))
        return mime_bfail(err, "bad multipart subtype \"%s\"", node->subtype ? node->subtype : "");
    if (node->n_children == 0)
        return mime_bfail(err, "multipart/%s with no parts (RFC 2046 §5.1.1 needs one)",
                          node->subtype);
    /* Children first, so the boundary can be checked against them. */
    size_t nc = node->n_children;
    struct msg_buf *ch = ms_xcalloc(2 * nc, sizeof *ch); /* header, body pairs */
    enum mime_error e = MIME_OK;
    for (size_t i = 0; i < nc && e == MIME_OK; i++)
        e = mime_emit(&ch[2 * i], &ch[2 * i + 1], &node->children[i], seed, path * 31 + i + 1,
                      depth + 1, err);
    /* A boundary that occurs nowhere in the parts (RFC 2046 §5.1.1). "=_"
     * never appears in base64 or quoted-printable text; for 7bit/8bit text
     * the boundary is lengthened until it is absent. */
    uint64_t st = seed ^ (path * UINT64_C(0x9E3779B97F4A7C15));
    char b[MIME_BOUNDARY_MAX + 1];
    int bl = snprintf(b, sizeof b, "=_mailsim_%d_%016llx", depth,
                      (unsigned long long)rng_splitmix64(&st));
    for (bool clash = true; e == MIME_OK && clash;) {
        clash = false;
        for (size_t i = 0; i < 2 * nc && !clash; i++)
            clash = mime_find(ch[i].data, ch[i].len, b, (size_t)bl) != NULL;
        if (clash && bl + 8 > MIME_BOUNDARY_MAX)
            e = mime_bfail(err, "no boundary found that is absent from the content");
        else if (clash)
            bl += snprintf(b + bl, sizeof b - (size_t)bl, "%08x",
                           (unsigned)(rng_splitmix64(&st) & 0xFFFFFFFFu));
    }
    struct msg_buf v = {0};
    msg_buf_addf(&v, "multipart/%s; boundary=\"%s\"", node->subtype, b);
    if (e == MIME_OK && node->related_type) {
        bool ok = strchr(node->related_type, '/') && !strpbrk(node->related_type, "\"\\\r\n");
        if (!ok)
            e = mime_bfail(err, "bad related type \"%.60s\"", node->related_type);
        else
            msg_buf_addf(&v, "; type=\"%s\"", node->related_type);
    }
    if (e == MIME_OK && node->report_type) {
        if (!mime_is_token(node->report_type))
            e = mime_bfail(err, "bad report type \"%.60s\"", node->report_type);
        else
            msg_buf_addf(&v, "; report-type=%s", node->report_type);
    }
    const char *pre =
        node->preamble ? node->preamble : "This is a multi-part message in MIME format.";
    if (e == MIME_OK && depth == 0 &&
        (strpbrk(pre, "\r\n") || mime_find(pre, strlen(pre), b, (size_t)bl)))
        e = mime_bfail(err, "preamble must be one line without the boundary");
    if (e == MIME_OK) {
        msg_add_field(hdr, "Content-Type", v.data, v.len, NULL);
        if (depth == 0) {
            msg_buf_adds(body, pre);
            msg_buf_add(body, "\r\n", 2);
        }
        for (size_t i = 0; i < nc; i++) {
            msg_buf_addf(body, "--%s\r\n", b);
            msg_buf_add(body, ch[2 * i].data, ch[2 * i].len);
            msg_buf_add(body, "\r\n", 2);
            msg_buf_add(body, ch[2 * i + 1].data, ch[2 * i + 1].len);
            msg_buf_add(body, "\r\n", 2); /* belongs to the next delimiter */
        }
        msg_buf_addf(body, "--%s--\r\n", b);
    }
    msg_buf_free(&v);
    for (size_t i = 0; i < 2 * nc; i++) msg_buf_free(&ch[i]);
    free(ch);
    return e;
}

enum mime_error mime_build(struct msg_buf *fields, struct msg_buf *body,
                           const struct mime_node *node, uint64_t seed, struct ms_error *err)
{
    struct msg_buf h = {0}, b = {0};
    msg_buf_adds(&h, "MIME-Version: 1.0\r\n");
    enum mime_error e = mime_emit(&h, &b, node, seed, 1, 0, err);
    if (e == MIME_OK) {
        /* A top-level leaf ends with CRLF like every line of a message. */
        if (!node->is_multipart && (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2) != 0))
            msg_buf_add(&b, "\r\n", 2);
        msg_buf_add(fields, h.data, h.len);
        msg_buf_add(body, b.data, b.len);
    }
    msg_buf_free(&h);
    msg_buf_free(&b);
    return e;
}

enum mime_error mime_build_message(struct msg_buf *out, const struct msg_header_spec *h,
                                   const struct mime_node *node, uint64_t seed,
                                   struct ms_error *err)
{
    if (h->extra_fields || h->extra_len)
        return mime_bfail(err, "mime_build_message writes the MIME fields itself "
                               "(extra_fields must be NULL)");
    struct msg_buf f = {0}, b = {0}, m = {0};
    enum mime_error e = mime_build(&f, &b, node, seed, err);
    if (e == MIME_OK) {
        struct msg_header_spec hh = *h;
        hh.extra_fields = f.data;
        hh.extra_len = f.len;
        if (msg_build_header(&m, &hh, err) != MSG_OK) e = MIME_E_BUILD;
    }
    if (e == MIME_OK) {
        msg_buf_add(out, m.data, m.len);
        msg_buf_add(out, b.data, b.len);
    }
    msg_buf_free(&f);
    msg_buf_free(&b);
    msg_buf_free(&m);
    return e;
}

/* ------------------------------------------------------------------------
 * Attachments
 * ------------------------------------------------------------------------ */

/* The smallest fake JPEG that is well formed: SOI, APP0, an empty COM, EOI. */
#define MIME_FAKE_JPEG_MIN (2 + 18 + 4 + 2)

/* A JPEG whose marker structure is valid (ITU T.81 Annex B): SOI, a JFIF
 * APP0 segment, comment (COM) segments holding the random bytes, EOI. It
 * shows no picture, but Wireshark and file(1) read it as a JPEG rather than
 * as a malformed one, so a capture of a lesson raises no false alarm. */
static void mime_fake_jpeg(unsigned char *out, size_t n, uint64_t *st)
{
    static const unsigned char head[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',
                                         'F',  'I',  'F',  0x00, 0x01, 0x01, 0x00,
                                         0x00, 0x01, 0x00, 0x01, 0x00, 0x00};
    memcpy(out, head, sizeof head);
    size_t i = sizeof head, left = n - sizeof head - 2; /* bytes for COM segments */
    while (left > 0) {
        size_t seg = left < 65535 + 2 ? left : 65535 + 2; /* marker + length + payload */
        if (left - seg > 0 && left - seg < 4) seg -= 4;   /* leave room for a last segment */
        size_t len = seg - 2;                             /* the length field counts itself */
        out[i++] = 0xFF;
        out[i++] = 0xFE;
        out[i++] = (unsigned char)(len >> 8);
        out[i++] = (unsigned char)len;
        uint64_t r = 0;
        for (size_t k = 0; k < len - 2; k++) {
            if (k % 8 == 0) r = rng_splitmix64(st);
            out[i++] = (unsigned char)(r >> (8 * (k % 8)));
        }
        left -= seg;
    }
    out[i++] = 0xFF;
    out[i++] = 0xD9;
}

void mime_fake_content(unsigned char *out, size_t n, uint64_t seed, const char *type)
{
    uint64_t st = seed;
    if (type && !strncmp(type, "text/", 5)) {
        static const char *const words[] = {
            "mail", "server",  "queue", "relay",   "inbox",   "header", "body",  "line",
            "SMTP", "message", "hop",   "bounce",  "retry",   "packet", "lorem", "ipsum",
            "the",  "a",       "of",    "student", "lecture", "Bob",    "Alice", "MIME",
        };
        size_t i = 0, col = 0;
        while (i < n) {
            if (col >= 60) {
                if (i + 1 < n) { /* CRLF; never a bare CR or LF at the end */
                    out[i++] = '\r';
                    out[i++] = '\n';
                } else {
                    out[i++] = '.';
                }
                col = 0;
                continue;
            }
            const char *w = words[rng_splitmix64(&st) % MS_ARRAY_LEN(words)];
            if (col) {
                out[i++] = ' ';
                col++;
            }
            for (; *w && i < n; w++, col++) out[i++] = (unsigned char)*w;
        }
        return;
    }
    if (type && !strcmp(type, "image/jpeg") && n >= MIME_FAKE_JPEG_MIN) {
        mime_fake_jpeg(out, n, &st);
        return;
    }
    static const unsigned char jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0};
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    static const unsigned char pdf[] = {'%', 'P', 'D', 'F', '-', '1', '.', '4', '\n'};
    const unsigned char *magic = NULL;
    size_t ml = 0;
    if (type && !strcmp(type, "image/jpeg"))
        magic = jpeg, ml = sizeof jpeg;
    else if (type && !strcmp(type, "image/png"))
        magic = png, ml = sizeof png;
    else if (type && !strcmp(type, "application/pdf"))
        magic = pdf, ml = sizeof pdf;
    size_t i = 0;
    for (; i < ml && i < n; i++) out[i] = magic[i];
    while (i < n) {
        uint64_t r = rng_splitmix64(&st);
        for (int k = 0; k < 8 && i < n; k++) out[i++] = (unsigned char)(r >> (8 * k));
    }
}

void mime_attachment_view(struct mime_attachment_view *v, const unsigned char *raw, size_t n,
                          enum mime_cte cte)
{
    memset(v, 0, sizeof *v);
    if (cte != MIME_CTE_QP) cte = MIME_CTE_BASE64;
    v->cte = cte;
    v->raw = ms_xmalloc(n + 1);
    if (n) memcpy(v->raw, raw, n);
    v->raw_len = n;
    struct msg_buf b = {0};
    mime_encode_body(&b, raw, n, cte, false);
    v->encoded = msg_buf_take(&b, &v->encoded_len);
    v->lines = 0;
    for (size_t i = 0; i < v->encoded_len; i++) v->lines += v->encoded[i] == '\n';
    if (v->encoded_len) v->lines++;
    v->growth = n ? (double)v->encoded_len / (double)n : 0.0;
}

void mime_attachment_view_free(struct mime_attachment_view *v)
{
    free(v->raw);
    free(v->encoded);
    memset(v, 0, sizeof *v);
}
