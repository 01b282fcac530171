/* fuzz_msg.c -- RFC 5322 reader and writer.
 * Oracles: offsets stay inside the input; unfolding never grows a value;
 * address lists respect MSG_ADDR_MAX and point into their own storage;
 * unfold(fold(v)) == v without its outer whitespace; a UTF-8 value written
 * with encoded-words is pure ASCII and decodes back to itself; a bounce
 * of the input (as original message and as remote reply text) is 7-bit and
 * reads back with one recipient. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/dsn.h"
#include "format/mime.h"
#include "format/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(int ok)
{
    if (!ok) abort();
}

static size_t fuzz_trim(const char *v, size_t n, size_t *start)
{
    size_t s = 0;
    while (s < n && (v[s] == ' ' || v[s] == '\t')) s++;
    while (n > s && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    *start = s;
    return n - s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct msg_split sp;
    msg_split(in, size, &sp);
    fuzz_check(sp.hdr_len <= size && sp.body_off == sp.hdr_len &&
               sp.body_off + sp.body_len == size);

    struct msg_field_iter it;
    struct msg_field f;
    msg_fields_begin(&it, in, sp.hdr_len);
    size_t prev_end = 0, count = 0;
    while (msg_fields_next(&it, &f) && count++ < 10000) {
        fuzz_check(f.off >= prev_end && f.off + f.raw_len <= sp.hdr_len);
        fuzz_check(f.name_len > 0 && f.off + f.name_len < f.value_off);
        fuzz_check(f.value_off + f.value_len <= f.off + f.raw_len);
        prev_end = f.off + f.raw_len;
        char *v = malloc(f.value_len + 1);
        size_t vn = msg_unfold(in + f.value_off, f.value_len, v);
        fuzz_check(vn <= f.value_len);
        struct msg_addr_list l;
        msg_addr_parse(v, vn, &l);
        fuzz_check(l.n <= MSG_ADDR_MAX);
        for (size_t i = 0; i < l.n; i++) {
            const struct msg_addr *a = &l.v[i];
            fuzz_check(a->name_len <= 2 * vn + 2 && a->local_len <= 2 * vn + 2 &&
                       a->domain_len <= vn && a->route_len <= vn);
        }
        msg_addr_list_free(&l);
        size_t dn;
        char *d = msg_decode_words(v, vn, &dn);
        fuzz_check(dn <= 2 * vn); /* latin-1 at most doubles */
        free(d);
        free(v);
    }
    fuzz_check(it.pos <= sp.hdr_len);
    char *subj = msg_header_get(in, sp.hdr_len, "subject", NULL);
    free(subj);
    int64_t secs;
    if (msg_parse_date(in, size, &secs)) {
        /* a parsed date formats and parses back to the same second */
        char d[MSG_DATE_SIZE];
        size_t dl = msg_format_date(0, secs, d);
        int64_t again = -1;
        fuzz_check(secs < 0 || secs > INT64_C(253402300799) ||
                   (msg_parse_date(d, dl, &again) && again == secs));
    }

    /* Writer oracles on the whole input as one value. */
    struct msg_buf b = {0};
    if (msg_add_field(&b, "X-Fuzz", in, size, NULL) == MSG_OK) {
        fuzz_check(memchr(in, '\r', size) == NULL && memchr(in, '\n', size) == NULL);
        fuzz_check(msg_field_find(b.data, b.len, "x-fuzz", 6, 0, &f) && f.raw_len == b.len);
        char *u = malloc(f.value_len + 1);
        size_t un = msg_unfold(b.data + f.value_off, f.value_len, u);
        size_t s0, tn = fuzz_trim(in, size, &s0);
        fuzz_check(un == tn && memcmp(u, in + s0, tn) == 0);
        free(u);
    } else {
        fuzz_check(b.len == 0);
    }
    msg_buf_free(&b);
    if (msg_add_text_field(&b, "Subject", in, size, NULL) == MSG_OK) {
        for (size_t i = 0; i < b.len; i++)
            if ((unsigned char)b.data[i] >= 128) {
                /* only a value that needed no encoding may carry 8-bit */
                int ascii_path = 1;
                for (size_t k = 0; k + 1 < size; k++)
                    if (in[k] == '=' && in[k + 1] == '?') ascii_path = 0;
                for (size_t k = 0; k < size; k++)
                    if ((unsigned char)in[k] >= 128) ascii_path = 0;
                fuzz_check(ascii_path);
            }
        fuzz_check(msg_field_find(b.data, b.len, "subject", 7, 0, &f));
        char *u = malloc(f.value_len + 1);
        size_t un = msg_unfold(b.data + f.value_off, f.value_len, u);
        size_t dn;
        char *d = msg_decode_words(u, un, &dn);
        size_t s0, tn = fuzz_trim(in, size, &s0);
        fuzz_check(dn == tn && memcmp(d, in + s0, tn) == 0);
        free(d);
        free(u);
    }
    msg_buf_free(&b);

    char *reply = malloc(size + 1);
    memcpy(reply, in, size);
    reply[size] = '\0';
    struct dsn_recipient r = {
        "bob@example.net", DSN_FAILED, "5.1.1", "mx.example.net", reply, reply, 0};
    struct dsn_spec ds = {
        "mail.example.org", "example.org", "alice@example.org", &r, 1, in, size, 0, 0, 0, size, 1};
    fuzz_check(dsn_build(&b, &ds, NULL));
    struct mime_scan sc;
    mime_scan((const unsigned char *)b.data, b.len, &sc);
    fuzz_check(sc.is_7bit);
    struct dsn_report rep;
    fuzz_check(dsn_read(b.data, b.len, &rep) && rep.n_rcpts == 1 && rep.has_headers &&
               rep.rcpts[0].status && !strcmp(rep.rcpts[0].status, "5.1.1"));
    dsn_report_free(&rep);
    msg_buf_free(&b);
    free(reply);
    return 0;
}
