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
    const char in[] =
        "A1 NOOP\r\nA2 LOGIN x y\r\nZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\r\n.\r\n\r\r\n";
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

/* ---- the session log ----------------------------------------------------- */

static const char *const lg_names[] = {"A", "B", "C"};

static void lg_expect(struct line_log *g, enum line_fact_kind k, const char *bytes,
                      const char *from, const char *to)
{
    struct line_fact f;
    assert_true(line_log_next(g, &f));
    assert_int_equal(f.kind, k);
    if (bytes) {
        assert_int_equal(f.len, strlen(bytes));
        assert_memory_equal(f.bytes, bytes, f.len);
    }
    assert_string_equal(f.from, from);
    assert_string_equal(f.to, to);
}

/* A line read causes the changes made while it is handled; lines written
 * meanwhile show their own state; a written line is out only once sent. */
static void test_log_states_at_cause(void **state)
{
    (void)state;
    struct line_log g;
    line_log_init(&g, lg_names, 3, 0);
    line_log_enable(&g, "hi\r\n", 4); /* a greeting written before */
    line_log_in(&g, "QUIT\r\n", 6);
    line_log_state(&g, 1, "QUIT read");
    line_log_mark_out(&g, LINE_F_OK, 0, "QUIT");
    line_log_out(&g, "+OK bye\r\n+more\r\n", 16);
    line_log_settle(&g);
    struct line_fact f;
    assert_false(line_log_next(&g, &f)); /* the greeting is not sent yet */
    line_log_sent(&g, 4);
    lg_expect(&g, LINE_FACT_OUT, "hi\r\n", "A", "A");
    lg_expect(&g, LINE_FACT_IN, "QUIT\r\n", "A", "B");
    lg_expect(&g, LINE_FACT_STATE, NULL, "A", "B");
    assert_false(line_log_next(&g, &f));
    line_log_sent(&g, 16);
    assert_true(line_log_next(&g, &f));
    assert_string_equal(f.from, "B");
    assert_string_equal(f.verb, "QUIT");
    assert_true(f.flags & LINE_F_OK);
    assert_false(f.flags & LINE_F_CONT);
    assert_true(line_log_next(&g, &f));
    assert_true(f.flags & LINE_F_CONT); /* the reply's second line */
    /* A reply written with a verdict, no line being handled: it carries the change. */
    line_log_state(&g, 2, "verdict");
    line_log_out(&g, "+OK in\r\n", 8);
    line_log_sent(&g, 8);
    line_log_settle(&g);
    lg_expect(&g, LINE_FACT_STATE, NULL, "B", "C");
    lg_expect(&g, LINE_FACT_OUT, "+OK in\r\n", "B", "C");
    line_log_free(&g);
}

/* A body without a last line end is cut; a binary body is one note; unsent
 * output that is dropped never appears. */
static void test_log_cut_opaque_drop(void **state)
{
    (void)state;
    struct line_log g;
    line_log_init(&g, lg_names, 3, 0);
    line_log_enable(&g, NULL, 0);
    line_log_in(&g, "a=1", 3);
    line_log_cut(&g, 0);
    line_log_opaque(&g, 0, 5, "[5 bytes of image/png]");
    line_log_in(&g, "\x89PNG\r", 5);
    line_log_out(&g, "never sent\r\n", 12);
    line_log_drop_unsent(&g);
    line_log_settle(&g);
    lg_expect(&g, LINE_FACT_IN, "a=1", "A", "A");
    lg_expect(&g, LINE_FACT_IN, "[5 bytes of image/png]", "A", "A");
    struct line_fact f;
    assert_false(line_log_next(&g, &f));
    line_log_free(&g);
}

/* Off, the log keeps nothing. */
static void test_log_off(void **state)
{
    (void)state;
    struct line_log g;
    line_log_init(&g, lg_names, 3, 0);
    line_log_in(&g, "QUIT\r\n", 6);
    line_log_out(&g, "x\r\n", 3);
    line_log_sent(&g, 3);
    line_log_settle(&g);
    struct line_fact f;
    assert_false(line_log_next(&g, &f));
    line_log_free(&g);
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
        cmocka_unit_test(test_log_states_at_cause),
        cmocka_unit_test(test_log_cut_opaque_drop),
        cmocka_unit_test(test_log_off),
    };
    return cmocka_run_group_tests_name("line", tests, NULL, NULL);
}
