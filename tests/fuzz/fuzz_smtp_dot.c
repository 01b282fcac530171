/* fuzz_smtp_dot.c -- the SMTP dot-stuffing encoder and the strict decoder
 * (bad-inputs d.1 "fuzz_dot_codec", S1-S3). Byte 0 picks the chunk size, the
 * rest is a message body x. Oracles beyond "no crash, no leak, no UB":
 *  - the encoder's output E has exactly smtp_dot_stuffed_len(x) bytes, in
 *    any chunking, and ends with CRLF "." CRLF;
 *  - the decoder fed E followed by more bytes stops exactly at the end of E
 *    (bytes after the terminator are never consumed) and gives back x, plus
 *    a CRLF when x did not end with one: unstuff(stuff(x)) == x;
 *  - the decoder fed x itself (raw client bytes) consumes the same bytes,
 *    ends or not, and decodes the same bytes and problem lines whether fed
 *    at once or in chunks (X1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_dot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failed: say which, then crash so libFuzzer keeps the input. */
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_smtp_dot: check failed at line %d: %s\n", __LINE__, #c);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char *encode(const char *x, size_t n, size_t chunk, size_t *elen)
{
    size_t want = smtp_dot_stuffed_len(x, n);
    char *e = malloc(want + 64);
    CHECK(e != NULL);
    struct smtp_dot_enc enc;
    smtp_dot_enc_init(&enc, x, n);
    size_t len = 0;
    for (size_t guard = 0; !smtp_dot_enc_done(&enc); guard++) {
        CHECK(guard <= want + 16); /* progress */
        size_t room = want + 64 - len;
        len += smtp_dot_enc_run(&enc, e + len, room < chunk ? room : chunk);
        CHECK(len <= want);
    }
    CHECK(len == want);
    /* an empty body is just "." CRLF */
    if (n == 0) {
        CHECK(len == 3 && memcmp(e, ".\r\n", 3) == 0);
    } else {
        CHECK(len >= 5 && memcmp(e + len - 5, "\r\n.\r\n", 5) == 0);
    }
    *elen = len;
    return e;
}

struct dec_result {
    size_t used;
    int done;
    size_t len;
    uint64_t total, bare_lf, bare_cr, nul, longl, eightbit;
};

static void decode(const char *in, size_t n, size_t chunk, char *out, size_t cap,
                   struct dec_result *r)
{
    struct smtp_dot_dec d;
    smtp_dot_dec_init(&d, out, cap);
    size_t pos = 0;
    while (pos < n && !smtp_dot_dec_done(&d)) {
        size_t k = n - pos < chunk ? n - pos : chunk;
        size_t u = smtp_dot_dec_run(&d, in + pos, k);
        CHECK(u <= k);
        pos += u;
        CHECK(u == k || smtp_dot_dec_done(&d)); /* stops early only at the end */
    }
    r->used = pos;
    r->done = smtp_dot_dec_done(&d);
    r->len = d.len;
    r->total = d.total;
    r->bare_lf = d.bare_lf_line;
    r->bare_cr = d.bare_cr_line;
    r->nul = d.nul_line;
    r->longl = d.long_line;
    r->eightbit = d.eightbit_line;
    CHECK(d.len <= cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t chunk = (size_t)(data[0] % 17) + 1;
    const char *x = (const char *)data + 1;
    size_t n = size - 1;

    /* stuff, then unstuff with trailing bytes that must stay unread */
    size_t elen, elen1;
    char *e = encode(x, n, chunk, &elen);
    char *e1 = encode(x, n, (size_t)-1, &elen1);
    CHECK(elen == elen1 && memcmp(e, e1, elen) == 0);
    free(e1);
    static const char after[] = "MAIL FROM:<evil@x.example>\r\n";
    char *wire = malloc(elen + sizeof after);
    CHECK(wire != NULL);
    memcpy(wire, e, elen);
    memcpy(wire + elen, after, sizeof after - 1);
    size_t cap = n + 2;
    char *out = malloc(cap + 1);
    CHECK(out != NULL);
    struct dec_result r;
    decode(wire, elen + sizeof after - 1, chunk, out, cap, &r);
    CHECK(r.done && r.used == elen);
    int ends_crlf = n >= 2 && x[n - 2] == '\r' && x[n - 1] == '\n';
    size_t expect = n + ((n > 0 && !ends_crlf) ? 2 : 0);
    CHECK(r.len == expect && memcmp(out, x, n) == 0);
    CHECK(expect == n || memcmp(out + n, "\r\n", 2) == 0);
    free(wire);
    free(e);

    /* raw client bytes: the same result for any chunking (X1) */
    struct dec_result a, b;
    decode(x, n, (size_t)-1, out, cap, &a);
    char *out2 = malloc(cap + 1);
    CHECK(out2 != NULL);
    decode(x, n, chunk, out2, cap, &b);
    CHECK(a.used == b.used && a.done == b.done && a.len == b.len && a.total == b.total);
    CHECK(a.bare_lf == b.bare_lf && a.bare_cr == b.bare_cr && a.nul == b.nul &&
          a.longl == b.longl && a.eightbit == b.eightbit);
    CHECK(memcmp(out, out2, a.len) == 0);
    /* only CRLF "." CRLF (or "." CRLF at the very start) ends the data */
    if (a.done) {
        int start = a.used == 3 && memcmp(x, ".\r\n", 3) == 0;
        CHECK(start || (a.used >= 5 && memcmp(x + a.used - 5, "\r\n.\r\n", 5) == 0));
    }
    free(out2);
    free(out);
    return 0;
}
