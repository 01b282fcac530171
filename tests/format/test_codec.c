/* test_codec.c -- base64 and quoted-printable: every byte value round trips,
 * RFC 2045 §6.7 rules, 76-character lines, strict decoding, the 7-bit scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "format/base64.h"
#include "format/mime.h"
#include "format/qp.h"

static void b64_round(const unsigned char *in, size_t n, size_t line_len)
{
    size_t el = b64_encoded_len(n, line_len);
    char *enc = malloc(el + 1);
    assert_int_equal(b64_encode(in, n, enc, line_len), el);
    for (size_t i = 0, col = 0; i < el; i++) { /* no line over line_len */
        if (enc[i] == '\r') {
            assert_int_equal(enc[i + 1], '\n');
            assert_int_equal(col, line_len);
            col = 0;
            i++;
        } else {
            col++;
            if (line_len) assert_true(col <= line_len);
        }
    }
    unsigned char *dec = malloc(b64_decoded_max(el) + 1);
    size_t dl = 0;
    assert_true(b64_decode(enc, el, dec, &dl, line_len != 0));
    assert_int_equal(dl, n);
    assert_memory_equal(dec, in, n);
    free(enc);
    free(dec);
}

static void test_b64_every_byte(void **state)
{
    (void)state;
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    b64_round(all, 256, 76);
    b64_round(all, 256, 0);
    /* every byte alone, and in each position of a 3-byte group */
    for (int i = 0; i < 256; i++) {
        unsigned char g[3] = {(unsigned char)i, (unsigned char)(255 - i), (unsigned char)(i * 7)};
        b64_round(g, 1, 76);
        b64_round(g, 2, 76);
        b64_round(g, 3, 76);
    }
    for (size_t n = 0; n < 200; n++) b64_round(all, n, 76);
}

static void test_b64_lines_76(void **state)
{
    (void)state;
    unsigned char z[114] = {0}; /* 114 bytes -> 152 chars -> exactly two lines */
    char out[200];
    size_t n = b64_encode(z, sizeof z, out, 76);
    assert_int_equal(n, 154);
    assert_int_equal(out[76], '\r');
    assert_int_equal(out[77], '\n');
    assert_int_equal(b64_encoded_len(57, 76), 76); /* one full line, no CRLF after */
}

static void test_b64_strict(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n;
    assert_false(b64_decode("QUJD\r\nRA==", 10, out, &n, false));
    assert_true(b64_decode("QUJD\r\nRA==", 10, out, &n, true));
    assert_int_equal(n, 4);
    assert_memory_equal(out, "ABCD", 4);
    assert_false(b64_decode("QU=D", 4, out, &n, true)); /* data after '=' */
    assert_false(b64_decode("QUJ", 3, out, &n, true));  /* dangling group */
    assert_false(b64_decode("Q!JD", 4, out, &n, true)); /* outside the alphabet */
    assert_false(b64_decode("=AAA", 4, out, &n, true)); /* padding first */
}

static void qp_round(const unsigned char *in, size_t n, bool binary)
{
    char *enc = malloc(qp_encoded_max(n) + 1);
    size_t el = qp_encode(in, n, enc, binary);
    assert_true(el <= qp_encoded_max(n));
    /* Every encoded line is at most 76 characters, all printable ASCII. */
    size_t col = 0;
    for (size_t i = 0; i < el; i++) {
        unsigned char c = (unsigned char)enc[i];
        if (c == '\r') {
            assert_true(i + 1 < el && enc[i + 1] == '\n');
            assert_true(i == 0 || (enc[i - 1] != ' ' && enc[i - 1] != '\t')); /* rule 3 */
            col = 0;
            i++;
            continue;
        }
        assert_true((c >= 33 && c <= 126) || c == ' ' || c == '\t');
        col++;
        assert_true(col <= 76);
    }
    if (el) assert_true(enc[el - 1] != ' ' && enc[el - 1] != '\t');
    unsigned char *dec = malloc(el + 1);
    size_t dl = 0;
    assert_true(qp_decode(enc, el, dec, &dl, true));
    assert_int_equal(dl, n);
    assert_memory_equal(dec, in, n);
    free(enc);
    free(dec);
}

static void test_qp_every_byte(void **state)
{
    (void)state;
    unsigned char all[256];
    for (int i = 0; i < 256; i++) all[i] = (unsigned char)i;
    qp_round(all, 256, true);
    qp_round(all, 256, false);
    for (int i = 0; i < 256; i++) {
        unsigned char one[3] = {(unsigned char)i, ' ', (unsigned char)i};
        qp_round(one, 1, true);
        qp_round(one, 1, false);
        qp_round(one, 3, false);
    }
    for (size_t n = 0; n < 256; n++) {
        qp_round(all + (256 - n), n, false);
        qp_round(all, n, true);
    }
}

static void test_qp_rules(void **state)
{
    (void)state;
    char out[512];
    size_t n;
    /* Rule 1 and 2: '=' and 8-bit octets escaped with uppercase hex. */
    n = qp_encode((const unsigned char *)"a=b\xC3\xA9", 5, out, false);
    assert_int_equal(n, 11);
    assert_memory_equal(out, "a=3Db=C3=A9", 11);
    /* Rule 3: whitespace before a line break and at the end is encoded. */
    n = qp_encode((const unsigned char *)"x \r\ny\t", 6, out, false);
    assert_int_equal(n, 10);
    assert_memory_equal(out, "x=20\r\ny=09", 10);
    /* Rule 5: a 100-character line gets a soft break after 75 characters. */
    unsigned char line[100];
    memset(line, 'a', sizeof line);
    n = qp_encode(line, sizeof line, out, false);
    assert_int_equal(n, 103);
    assert_memory_equal(out + 75, "=\r\n", 3);
    /* Decoding: soft breaks, lowercase hex, transport whitespace removed. */
    unsigned char dec[64];
    size_t dl;
    const char *in = "ab=\r\ncd=c3=a9  \r\nx";
    assert_true(qp_decode(in, strlen(in), dec, &dl, true));
    assert_int_equal(dl, 9);
    assert_memory_equal(dec, "abcd\xC3\xA9\r\nx", 9);
    assert_false(qp_decode("a=ZZ", 4, dec, &dl, true));
    assert_true(qp_decode("a=ZZ", 4, dec, &dl, false));
    assert_int_equal(dl, 4);
    assert_memory_equal(dec, "a=ZZ", 4);
    assert_false(qp_decode("a=4", 3, dec, &dl, true)); /* "=" then one hex digit at end */
}

static void test_q_encoding(void **state)
{
    (void)state;
    char out[64];
    size_t n = qp_q_encode((const unsigned char *)"Zo\xC3\xAB a_b?", 9, out);
    assert_int_equal(n, 17);
    assert_memory_equal(out, "Zo=C3=AB_a=5Fb=3F", 17);
    unsigned char dec[64];
    size_t dl;
    assert_true(qp_q_decode(out, n, dec, &dl));
    assert_int_equal(dl, 9);
    assert_memory_equal(dec, "Zo\xC3\xAB a_b?", 9);
    assert_false(qp_q_decode("=G0", 3, dec, &dl));
    assert_false(qp_q_decode("ab=", 3, dec, &dl));
}

static void test_scan(void **state)
{
    (void)state;
    struct mime_scan s;
    mime_scan((const unsigned char *)"Hello\r\nworld\r\n", 14, &s);
    assert_true(s.is_7bit);
    assert_int_equal(s.lines, 2);
    assert_int_equal(s.longest_line, 5);
    mime_scan((const unsigned char *)"caf\xC3\xA9\r\n", 7, &s);
    assert_false(s.is_7bit);
    assert_true(s.is_8bit);
    assert_int_equal(s.high_bytes, 2);
    mime_scan((const unsigned char *)"a\nb\rc\0 \r\n", 9, &s);
    assert_false(s.is_8bit);
    assert_int_equal(s.bare_lf, 1);
    assert_int_equal(s.bare_cr, 1);
    assert_int_equal(s.nuls, 1);
    assert_true(s.trailing_ws);
    /* 998 characters is the last legal length (RFC 5322 §2.1.1). */
    unsigned char big[1001];
    memset(big, 'x', sizeof big);
    mime_scan(big, 998, &s);
    assert_true(s.is_7bit);
    mime_scan(big, 999, &s);
    assert_false(s.is_7bit);
    assert_int_equal(s.longest_line, 999);
    assert_int_equal(mime_choose_cte((const unsigned char *)"hi\r\n", 4, true, false),
                     MIME_CTE_7BIT);
    assert_int_equal(mime_choose_cte((const unsigned char *)"caf\xC3\xA9 au lait\r\n", 15, true,
                                     false),
                     MIME_CTE_QP);
    assert_int_equal(mime_choose_cte((const unsigned char *)"caf\xC3\xA9 au lait\r\n", 15, true,
                                     true),
                     MIME_CTE_8BIT);
    assert_int_equal(mime_choose_cte((const unsigned char *)"\xFF\xD8\xFF\xE0", 4, false, true),
                     MIME_CTE_BASE64);
}

static void test_attachment_view(void **state)
{
    (void)state;
    unsigned char a[3000], b[3000];
    mime_fake_content(a, sizeof a, 99, "image/jpeg");
    mime_fake_content(b, sizeof b, 99, "image/jpeg");
    assert_memory_equal(a, b, sizeof a); /* same seed, same bytes */
    assert_memory_equal(a, "\xFF\xD8\xFF\xE0", 4);
    mime_fake_content(b, sizeof b, 100, "image/jpeg");
    assert_memory_not_equal(a + 16, b + 16, 64);
    struct mime_attachment_view v;
    mime_attachment_view(&v, a, sizeof a, MIME_CTE_BASE64);
    assert_int_equal(v.raw_len, 3000);
    assert_int_equal(v.encoded_len, 4000 + 52 * 2); /* 4000 chars in 53 lines of 76 */
    assert_int_equal(v.lines, 53);
    assert_true(v.growth > 1.36 && v.growth < 1.37);
    assert_memory_equal(v.raw, a, sizeof a);
    mime_attachment_view_free(&v);
    mime_attachment_view_free(&v); /* twice is safe */
    unsigned char t[500];
    struct mime_scan s;
    for (size_t len = 0; len <= sizeof t; len++) { /* text is 7bit at every length */
        mime_fake_content(t, len, 5, "text/plain");
        mime_scan(t, len, &s);
        assert_true(s.is_7bit);
        assert_true(s.longest_line <= 76);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_every_byte), cmocka_unit_test(test_b64_lines_76),
        cmocka_unit_test(test_b64_strict),     cmocka_unit_test(test_qp_every_byte),
        cmocka_unit_test(test_qp_rules),       cmocka_unit_test(test_q_encoding),
        cmocka_unit_test(test_scan),           cmocka_unit_test(test_attachment_view),
    };
    return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
