/* bench_mime.c -- MIME build and parse, base64 and QP encode speed. Prints
 * "bench <name> <value> <unit>" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/base64.h"
#include "format/mime.h"
#include "format/qp.h"

static double bench_now(void);

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    /* A 100 KB photo in multipart/mixed with a text part. */
    size_t n = 100 * 1024;
    unsigned char *photo = malloc(n);
    mime_fake_content(photo, n, 1, "image/jpeg");
    const char text[] = "Hello Bob,\nhere is the photo.\n";
    struct mime_node kids[2] = {
        {.leaf = {.type = "text",
                  .subtype = "plain",
                  .cte = MIME_CTE_OTHER,
                  .content = (const unsigned char *)text,
                  .len = sizeof text - 1}},
        {.leaf = {.type = "image",
                  .subtype = "jpeg",
                  .filename = "photo.jpg",
                  .cte = MIME_CTE_OTHER,
                  .content = photo,
                  .len = n}},
    };
    struct mime_node root = {.is_multipart = true,
                             .subtype = "mixed",
                             .children = kids,
                             .n_children = 2};
    struct msg_buf f = {0}, b = {0};
    double t0 = bench_now(), dt;
    int k = 0;
    while ((dt = bench_now() - t0) < 0.5) {
        msg_buf_free(&f);
        msg_buf_free(&b);
        mime_build(&f, &b, &root, 1, NULL);
        k++;
    }
    printf("bench mime_build_100k %.1f MB/s\n", k * (double)n / dt / 1e6);
    msg_buf_add(&f, "\r\n", 2);
    msg_buf_add(&f, b.data, b.len);
    t0 = bench_now();
    k = 0;
    while ((dt = bench_now() - t0) < 0.5) {
        struct mime_tree t;
        mime_parse(&t, f.data, f.len);
        mime_tree_free(&t);
        k++;
    }
    printf("bench mime_parse_100k %.1f MB/s\n", k * (double)f.len / dt / 1e6);
    char *enc = malloc(qp_encoded_max(n) + b64_encoded_len(n, 76));
    t0 = bench_now();
    k = 0;
    while ((dt = bench_now() - t0) < 0.5) {
        b64_encode(photo, n, enc, 76);
        k++;
    }
    printf("bench b64_encode %.1f MB/s\n", k * (double)n / dt / 1e6);
    t0 = bench_now();
    k = 0;
    while ((dt = bench_now() - t0) < 0.5) {
        qp_encode(photo, n, enc, true);
        k++;
    }
    printf("bench qp_encode_binary %.1f MB/s\n", k * (double)n / dt / 1e6);
    free(enc);
    free(photo);
    msg_buf_free(&f);
    msg_buf_free(&b);
    return 0;
}
