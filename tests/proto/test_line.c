/* test_line.c -- the shared CRLF line framer: limits, bare CR/LF, NUL, splits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/line.h"

/* Feed all of in, one chunk of size step at a time; collect lines joined by '|'
 * and too-long markers as '#'. */
static void frame_all(const char *in, size_t len, size_t max, size_t step, char *out, size_t outcap)
{
    struct line_reader r;
    line_init(&r, max);
    size_t o = 0, pos = 0;
    out[0] = '\0';
    while (pos < len) {
        size_t chunk = len - pos < step ? len - pos : step;
        size_t off = 0;
        while (off < chunk) {
            enum line_status st;
            off += line_feed(&r, in + pos + off, chunk - off, &st);
            if (st == LINE_OK) {
                size_t l;
                const char *s = line_get(&r, &l);
                assert_true(o + l + 2 < outcap);
                memcpy(out + o, s, l);
                o += l;
                out[o++] = '|';
            } else if (st == LINE_TOO_LONG) {
                out[o++] = '#';
            }
            out[o] = '\0';
        }
        pos += chunk;
    }
    line_free(&r);
}

static void test_crlf_only(void **state)
{
    (void)state;
    char out[256];
    const char in[] = "HELO a\r\nb\nc\rd\r\n\r\n";
    frame_all(in, sizeof in - 1, 64, 64, out, sizeof out);
    assert_string_equal(out, "HELO a|b\nc\rd||");
}

static void test_every_split_same(void **state)
{
    (void)state;
    const char in[] = "A1 NOOP\r\nA2 LOGIN x y\r\nZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\r\n.\r\n\r\r\n";
    char ref[512], got[512];
    frame_all(in, sizeof in - 1, 16, sizeof in, ref, sizeof ref);
    assert_string_equal(ref, "A1 NOOP|A2 LOGIN x y|#.|\r|");
    for (size_t step = 1; step < sizeof in; step++) {
        frame_all(in, sizeof in - 1, 16, step, got, sizeof got);
        assert_string_equal(got, ref);
    }
}

static void test_limit_boundary(void **state)
{
    (void)state;
    char out[64];
    /* max 6: four octets plus CRLF fit, five do not. */
    frame_all("abcd\r\n", 6, 6, 1, out, sizeof out);
    assert_string_equal(out, "abcd|");
    frame_all("abcde\r\n", 7, 6, 1, out, sizeof out);
    assert_string_equal(out, "#");
    frame_all("abcde\r\nok\r\n", 11, 6, 3, out, sizeof out);
    assert_string_equal(out, "#ok|");
}

static void test_flags(void **state)
{
    (void)state;
    struct line_reader r;
    line_init(&r, 32);
    enum line_status st;
    const char in[] = "a\0b\nc\r\n";
    size_t n = line_feed(&r, in, sizeof in - 1, &st);
    assert_int_equal(n, sizeof in - 1);
    assert_int_equal(st, LINE_OK);
    size_t l;
    const char *s = line_get(&r, &l);
    assert_int_equal(l, 5);
    assert_memory_equal(s, "a\0b\nc", 5);
    assert_true(line_has_nul(&r));
    assert_true(line_has_bare_eol(&r));
    n = line_feed(&r, "x\r\n", 3, &st);
    assert_int_equal(st, LINE_OK);
    assert_false(line_has_nul(&r));
    assert_false(line_has_bare_eol(&r));
    line_free(&r);
}

/* With line_set_lf_ends, a bare LF ends a (hand-typed) line and marks it;
 * CRLF lines are framed as before, and an over-long line ends at a bare LF. */
static void test_lf_ends(void **state)
{
    (void)state;
    static const char in[] = "NOOP\nQUIT\r\nA\rB\nxxxxxxxxxx\nOK\r\n";
    struct line_reader r;
    line_init(&r, 8);
    line_set_lf_ends(&r, true);
    const char *want[] = {"NOOP", "QUIT", "A\rB", NULL, "OK"};
    const bool lf[] = {true, false, true, false, false};
    size_t off = 0, k = 0;
    while (off < sizeof in - 1) {
        enum line_status st;
        off += line_feed(&r, in + off, sizeof in - 1 - off, &st);
        if (st == LINE_NONE) continue;
        assert_true(k < 5);
        if (!want[k]) {
            assert_int_equal(st, LINE_TOO_LONG);
        } else {
            assert_int_equal(st, LINE_OK);
            size_t l;
            const char *p = line_get(&r, &l);
            assert_int_equal(l, strlen(want[k]));
            assert_memory_equal(p, want[k], l);
            assert_int_equal(line_ended_by_lf(&r), lf[k]);
            assert_int_equal(line_has_bare_eol(&r), lf[k] || k == 2);
        }
        k++;
    }
    assert_int_equal(k, 5);
    line_free(&r);
}

static void test_stops_after_line(void **state)
{
    (void)state;
    struct line_reader r;
    line_init(&r, 32);
    enum line_status st;
    const char in[] = "A1 LOGIN {5}\r\nhello";
    size_t n = line_feed(&r, in, sizeof in - 1, &st);
    assert_int_equal(st, LINE_OK);
    assert_int_equal(n, 14); /* the literal's bytes are left for the caller */
    line_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crlf_only),
        cmocka_unit_test(test_every_split_same),
        cmocka_unit_test(test_limit_boundary),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_lf_ends),
        cmocka_unit_test(test_stops_after_line),
    };
    return cmocka_run_group_tests_name("line", tests, NULL, NULL);
}
