/* test_smtp_dot.c -- dot-stuffing codec (RFC 5321 §4.5.2) and the shared
 * RFC 5321 syntax helpers: vectors, round trips at every split, strict end
 * of data, bytes after the terminator left alone, hostile numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/rng.h"
#include "proto/smtp_dot.h"
#include "proto/smtp_syntax.h"

static size_t stuff(const char *in, size_t n, char *out, size_t step)
{
    struct smtp_dot_enc e;
    smtp_dot_enc_init(&e, in, n);
    size_t o = 0;
    while (!smtp_dot_enc_done(&e)) o += smtp_dot_enc_run(&e, out + o, step);
    return o;
}

static void expect_stuff(const char *in, const char *want)
{
    char out[256];
    for (size_t step = 1; step <= 8; step++) {
        size_t n = stuff(in, strlen(in), out, step);
        out[n] = '\0';
        assert_string_equal(out, want);
    }
    assert_int_equal(smtp_dot_stuffed_len(in, strlen(in)), strlen(want));
}

static void test_encoder_vectors(void **state)
{
    (void)state;
    expect_stuff("", ".\r\n");
    expect_stuff("a", "a\r\n.\r\n");
    expect_stuff("a\r\n", "a\r\n.\r\n");
    expect_stuff(".", "..\r\n.\r\n");
    expect_stuff(".a\r\n", "..a\r\n.\r\n");
    expect_stuff("a\r\n.", "a\r\n..\r\n.\r\n");
    expect_stuff(".\r\n", "..\r\n.\r\n");
    expect_stuff("..\r\n", "...\r\n.\r\n");
    expect_stuff("a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n");
    expect_stuff("a.\r\nb. .\r\n", "a.\r\nb. .\r\n.\r\n");
    expect_stuff("a\r", "a\r\r\n.\r\n");     /* a trailing CR is not a CRLF */
    expect_stuff("x\n.y", "x\n.y\r\n.\r\n"); /* a bare LF starts no line */
}

static size_t unstuff(const char *in, size_t n, char *out, size_t cap, size_t step,
                      struct smtp_dot_dec *d, size_t *consumed)
{
    smtp_dot_dec_init(d, out, cap);
    size_t pos = 0;
    while (pos < n && !smtp_dot_dec_done(d)) {
        size_t k = n - pos < step ? n - pos : step;
        pos += smtp_dot_dec_run(d, in + pos, k);
    }
    *consumed = pos;
    return d->len;
}

static void test_decoder_end_and_rest(void **state)
{
    (void)state;
    const char in[] = "..a\r\n.\r\nMAIL FROM:<x@y>\r\n";
    char out[64];
    struct smtp_dot_dec d;
    for (size_t step = 1; step <= sizeof in; step++) {
        size_t used;
        size_t n = unstuff(in, sizeof in - 1, out, sizeof out, step, &d, &used);
        assert_true(smtp_dot_dec_done(&d));
        assert_int_equal(used, 8); /* nothing after the terminator is taken */
        assert_int_equal(n, 4);
        assert_memory_equal(out, ".a\r\n", 4);
    }
    /* empty message: the terminator right after 354 */
    size_t used;
    assert_int_equal(unstuff(".\r\n", 3, out, sizeof out, 1, &d, &used), 0);
    assert_true(smtp_dot_dec_done(&d));
}

static void test_decoder_flags(void **state)
{
    (void)state;
    char out[2100];
    struct smtp_dot_dec d;
    size_t used;
    unstuff("a\nb\r\n.\r\n", 8, out, sizeof out, 1, &d, &used);
    assert_int_equal(d.bare_lf_line, 1);
    assert_int_equal(d.bare_cr_line, 0);
    unstuff("ok\r\na\rb\r\n.\r\n", 12, out, sizeof out, 3, &d, &used);
    assert_int_equal(d.bare_cr_line, 2);
    unstuff("a\0b\r\n.\r\n", 8, out, sizeof out, 2, &d, &used);
    assert_int_equal(d.nul_line, 1);
    assert_int_equal(d.len, 5); /* the NUL is kept, never truncates */
    unstuff("\xe9t\xe9\r\n.\r\n", 8, out, sizeof out, 1, &d, &used);
    assert_int_equal(d.eightbit_line, 1);
    assert_int_equal(d.eightbit_byte, 0xe9);
    /* overflow: bytes past the cap are counted, framing stays strict (S2) */
    unstuff("0123456789\r\n\n.\nmore\r\n.\r\nX", 25, out, 8, 4, &d, &used);
    assert_true(smtp_dot_dec_done(&d));
    assert_true(d.overflow);
    assert_int_equal(d.len, 8);
    assert_int_equal(d.total, 21); /* the dot after a bare LF is data */
    assert_int_equal(used, 24);
    /* 998 + CRLF = 1000 fits; 999 + CRLF does not */
    char big[2100];
    memset(big, 'x', 999);
    memcpy(big + 998, "\r\n.\r\n", 5);
    unstuff(big, 1003, out, sizeof out, 100, &d, &used);
    assert_int_equal(d.long_line, 0);
    memset(big, 'x', 999);
    memcpy(big + 999, "\r\n.\r\n", 5);
    unstuff(big, 1004, out, sizeof out, 100, &d, &used);
    assert_int_equal(d.long_line, 1);
    assert_int_equal(d.long_line_len, 1001);
}

/* unstuff(stuff(x)) == x (+ CRLF when x lacks one) for random CRLF bodies
 * full of dots, at every chunk size. */
static void test_round_trip(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 42);
    static const char alphabet[] = ".\r\n.a.b";
    for (int iter = 0; iter < 300; iter++) {
        char body[200], wire[600], back[600];
        size_t n = (size_t)rng_below(&r, 60);
        for (size_t i = 0; i < n; i++) {
            char ch = alphabet[rng_below(&r, 7)];
            if (ch == '\r' || ch == '\n') {
                if (n - i < 2) {
                    ch = 'z';
                } else {
                    body[i++] = '\r';
                    body[i] = '\n';
                    continue;
                }
            }
            body[i] = ch;
        }
        size_t w = stuff(body, n, wire, 7);
        assert_int_equal(w, smtp_dot_stuffed_len(body, n));
        for (size_t step = 1; step <= 9; step += 4) {
            struct smtp_dot_dec d;
            size_t used;
            size_t m = unstuff(wire, w, back, sizeof back, step, &d, &used);
            assert_true(smtp_dot_dec_done(&d));
            assert_int_equal(used, w);
            assert_int_equal(d.bare_cr_line + d.bare_lf_line, 0);
            int crlf = n >= 2 && body[n - 2] == '\r' && body[n - 1] == '\n';
            size_t want = n + (n > 0 && !crlf ? 2 : 0);
            assert_int_equal(m, want);
            assert_memory_equal(back, body, n);
        }
    }
}

static void test_syntax_helpers(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(smtp_parse_u64("18446744073709551615", 20, &v));
    assert_true(v == UINT64_MAX);
    assert_false(smtp_parse_u64("18446744073709551616", 20, &v));
    assert_false(smtp_parse_u64("99999999999999999999", 20, &v));
    assert_false(smtp_parse_u64("-1", 2, &v));
    assert_false(smtp_parse_u64("+1", 2, &v));
    assert_false(smtp_parse_u64("1e3", 3, &v));
    assert_false(smtp_parse_u64("", 0, &v));
    assert_true(smtp_parse_u64("0", 1, &v) && v == 0);
    assert_true(smtp_domain_valid("a.example", 9));
    assert_true(smtp_domain_valid("[IPv6:2001:db8::1]", 18));
    assert_false(smtp_domain_valid("a..example", 10));
    assert_false(smtp_domain_valid("a-.example", 10));
    assert_false(smtp_domain_valid("", 0));
    const char msg[] = "Received: a\r\nreceived: b\r\n c\r\nSubject: x\r\n\r\nReceived: body\r\n";
    assert_int_equal(smtp_count_received(msg, sizeof msg - 1), 2);
    struct smtp_path p;
    size_t used;
    assert_int_equal(smtp_parse_path("<a@b.example> SIZE=1", 20, false, false, &p, &used),
                     SMTP_SYN_OK);
    assert_int_equal(used, 13);
    assert_int_equal(p.domain_len, 9);
    const char *s = " SIZE=1 BODY=8BITMIME", *kw, *val;
    size_t len = strlen(s), kl, vl;
    assert_int_equal(smtp_param_next(&s, &len, &kw, &kl, &val, &vl), 1);
    assert_true(kl == 4 && vl == 1);
    assert_int_equal(smtp_param_next(&s, &len, &kw, &kl, &val, &vl), 1);
    assert_true(kl == 4 && vl == 8);
    assert_int_equal(smtp_param_next(&s, &len, &kw, &kl, &val, &vl), 0);
    assert_string_equal(smtp_syntax_strerror(SMTP_SYN_CONTROL), "control character in address");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoder_vectors), cmocka_unit_test(test_decoder_end_and_rest),
        cmocka_unit_test(test_decoder_flags),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_syntax_helpers),
    };
    return cmocka_run_group_tests_name("smtp_dot", tests, NULL, NULL);
}
