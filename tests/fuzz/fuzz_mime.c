/* fuzz_mime.c -- MIME parser, body decoders, codecs and builder.
 * Oracles: depth and part caps hold; every offset lies inside the input and
 * tree links are consistent; section lookup returns a valid index or -1;
 * decode(encode(x)) == x for base64, quoted-printable (text and binary)
 * and RFC 2047 Q on the input bytes; a body built from the input parses
 * back to the same bytes, in a leaf and in a two-part multipart. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/base64.h"
#include "format/dsn.h"
#include "format/mime.h"
#include "format/qp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
    if (!ok) abort();
}

static void fuzz_tree(const char *in, size_t size)
{
    struct mime_tree t;
    mime_parse(&t, in, size);
    fuzz_check(t.n_parts >= 1 && t.n_parts <= MIME_MAX_PARTS);
    for (size_t i = 0; i < t.n_parts; i++) {
        const struct mime_part *p = &t.parts[i];
        fuzz_check(p->start <= size && p->body_off == p->start + p->hdr_len);
        fuzz_check(p->body_off + p->body_len <= size);
        fuzz_check(p->depth >= 0 && p->depth <= MIME_MAX_DEPTH + 1);
        fuzz_check(p->type.p && p->subtype.p && p->cte_raw.p);
        int n = 0;
        for (int c = p->first_child; c >= 0; c = t.parts[c].next_sibling) {
            fuzz_check(c > (int)i && (size_t)c < t.n_parts && t.parts[c].parent == (int)i);
            fuzz_check(t.parts[c].start >= p->body_off &&
                       t.parts[c].body_off + t.parts[c].body_len <= p->body_off + p->body_len);
            n++;
        }
        fuzz_check(n == p->n_children && (!p->is_multipart || n > 0));
        struct msg_buf pb = {0};
        mime_param_decoded(p, true, "filename", &pb);
        mime_param_decoded(p, false, "name", &pb);
        msg_buf_free(&pb);
        size_t dl;
        unsigned char *d = mime_decode_body(&t, p, &dl);
        if (d) fuzz_check(dl <= p->body_len);
        free(d);
    }
    static const char *const paths[] = {"1", "2", "1.1", "1.2", "2.1", "1.1.1", "3.2.1"};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        int r = mime_find_section(&t, paths[k], strlen(paths[k]));
        fuzz_check(r >= -1 && r < (int)t.n_parts);
    }
    if (size < 40) {
        int r = mime_find_section(&t, in, size);
        fuzz_check(r >= -1 && r < (int)t.n_parts);
    }
    mime_tree_free(&t);
    struct dsn_report r;
    if (dsn_read(in, size, &r)) fuzz_check(r.n_rcpts <= DSN_MAX_RECIPIENTS);
    dsn_report_free(&r);
}

static void fuzz_codecs(const unsigned char *in, size_t size)
{
    size_t el = b64_encoded_len(size, 76);
    char *e = malloc(el + 1);
    fuzz_check(b64_encode(in, size, e, 76) == el);
    unsigned char *d = malloc(b64_decoded_max(el) + 1);
    size_t dl = 0;
    fuzz_check(b64_decode(e, el, d, &dl, true) && dl == size && memcmp(d, in, size) == 0);
    free(e);
    free(d);
    for (int binary = 0; binary < 2; binary++) {
        e = malloc(qp_encoded_max(size) + 1);
        el = qp_encode(in, size, e, binary);
        fuzz_check(el <= qp_encoded_max(size));
        d = malloc(el + 1);
        fuzz_check(qp_decode(e, el, d, &dl, true) && dl == size && memcmp(d, in, size) == 0);
        free(e);
        free(d);
    }
    e = malloc(qp_q_encoded_max(size) + 1);
    el = qp_q_encode(in, size, e);
    d = malloc(el + 1);
    fuzz_check(qp_q_decode(e, el, d, &dl) && dl == size && memcmp(d, in, size) == 0);
    free(e);
    free(d);
    /* Decoders on raw input: never write past their bound. */
    d = malloc(b64_decoded_max(size) + 1);
    if (b64_decode((const char *)in, size, d, &dl, true)) fuzz_check(dl <= b64_decoded_max(size));
    free(d);
    d = malloc(size + 1);
    if (qp_decode((const char *)in, size, d, &dl, false)) fuzz_check(dl <= size);
    free(d);
    struct mime_scan sc;
    mime_scan(in, size, &sc);
    fuzz_check(sc.len == size && (!sc.is_7bit || sc.is_8bit));
}

static void fuzz_build(const unsigned char *in, size_t size)
{
    size_t half = size / 2;
    struct mime_node kids[2] = {
        {.leaf = {.type = "application",
                  .subtype = "octet-stream",
                  .cte = MIME_CTE_OTHER,
                  .content = in,
                  .len = half}},
        {.leaf = {.type = "application",
                  .subtype = "x-raw",
                  .cte = MIME_CTE_QP,
                  .content = in + half,
                  .len = size - half}},
    };
    struct mime_node root = {.is_multipart = true,
                             .subtype = "mixed",
                             .children = kids,
                             .n_children = 2};
    struct msg_buf f = {0}, b = {0};
    fuzz_check(mime_build(&f, &b, &root, size, NULL) == MIME_OK);
    msg_buf_add(&f, "\r\n", 2);
    msg_buf_add(&f, b.data, b.len);
    struct mime_tree t;
    mime_parse(&t, f.data, f.len);
    fuzz_check(t.error == MIME_OK && t.n_parts == 3);
    for (int i = 1; i <= 2; i++) {
        size_t dl;
        unsigned char *d = mime_decode_body(&t, &t.parts[i], &dl);
        const unsigned char *want = i == 1 ? in : in + half;
        size_t wl = i == 1 ? half : size - half;
        fuzz_check(d && dl == wl && memcmp(d, want, wl) == 0);
        free(d);
    }
    mime_tree_free(&t);
    msg_buf_free(&f);
    msg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_tree((const char *)data, size);
    fuzz_codecs(data, size);
    if (size < 65536) fuzz_build(data, size);
    return 0;
}
