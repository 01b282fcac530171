/* test_imap_parse.c -- IMAP syntax: sequence sets (bad-inputs I7), quoted
 * strings (I5, X3), literals, nesting cap (I6), numbers (X9), quoting (IC2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_parse.h"

static void test_seqset_good(void **state)
{
    (void)state;
    static const char *const good[] = {"1",          "*",  "1:*", "*:1", "1,3:5,7", "1:4294967295",
                                       "4294967295", "2:1"};
    struct imap_seqset s;
    char out[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(imap_seqset_parse(good[i], strlen(good[i]), &s));
        imap_seqset_print(&s, out, sizeof out);
        assert_string_equal(out, good[i]); /* parse -> print is the identity */
    }
}

static void test_seqset_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {"0",  "4294967296", "1:9999999999", "1,,2", "1,", ",1",
                                      "1:", ":5",         "1:2:3",        "",     "a",  "1 2",
                                      "-1", "+1",         "1e3",          "0:5",  "**"};
    struct imap_seqset s;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(imap_seqset_parse(bad[i], strlen(bad[i]), &s));
}

static void test_seqset_resolve(void **state)
{
    (void)state;
    struct imap_seqset s;
    struct imap_range r[IMAP_SEQSET_MAX];
    /* "1:*" and "*:1" are the same set; ranges merge; nothing is expanded */
    assert_true(imap_seqset_parse("*:3,1,2,10:4294967295", 21, &s));
    size_t n = imap_seqset_resolve(&s, 7, r);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].lo, 1);
    assert_int_equal(r[0].hi, 7);
    assert_int_equal(r[1].lo, 10);
    assert_int_equal(r[1].hi, 4294967295u);
    assert_true(imap_seqset_contains(&s, 4000000000u, 7));
    assert_false(imap_seqset_contains(&s, 8, 7));
    assert_int_equal(imap_seqset_max(&s), 4294967295u);
    /* "*" of an empty mailbox matches nothing */
    assert_true(imap_seqset_parse("*", 1, &s));
    assert_int_equal(imap_seqset_resolve(&s, 0, r), 0);
    /* too many ranges */
    char big[IMAP_SEQSET_MAX * 2 + 8];
    size_t k = 0;
    for (int i = 0; i <= IMAP_SEQSET_MAX; i++) k += (size_t)sprintf(big + k, "%s1", i ? "," : "");
    assert_false(imap_seqset_parse(big, k, &s));
}

static void test_quoted(void **state)
{
    (void)state;
    char buf[64];
    struct imap_cur c;
    const char *s;
    size_t n;
    strcpy(buf, "\"a\\\"b\\\\c\" x");
    imap_cur_init(&c, buf, strlen(buf));
    assert_true(imap_cur_astring(&c, &s, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(s, "a\"b\\c", 5);
    static const char *const bad[] = {"\"a\\x\"", "\"abc", "\"a\rb\"",
                                      "\"a\nb\"", "\"a\\", "\"\xc3\xa9\""};
    static const char *const why[] = {"Invalid escape in quoted string",
                                      "Unterminated quoted string",
                                      "Invalid character in quoted string",
                                      "Invalid character in quoted string",
                                      "Unterminated quoted string",
                                      "Invalid character in quoted string"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(buf, bad[i]);
        imap_cur_init(&c, buf, strlen(buf));
        assert_false(imap_cur_astring(&c, &s, &n));
        assert_string_equal(c.err, why[i]);
    }
    /* NUL inside a quoted string (Dovecot CVE-2019-11500) */
    memcpy(buf, "\"a\0b\"", 5);
    imap_cur_init(&c, buf, 5);
    assert_false(imap_cur_astring(&c, &s, &n));
}

static void test_literal(void **state)
{
    (void)state;
    char buf[64];
    struct imap_cur c;
    const char *s;
    size_t n;
    memcpy(buf, "{3}\r\nabc {0+}\r\n {9}\r\nab", 24);
    imap_cur_init(&c, buf, 24);
    assert_true(imap_cur_string(&c, &s, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(s, "abc", 3);
    assert_true(imap_cur_sp(&c));
    assert_true(imap_cur_string(&c, &s, &n)); /* {0} is valid (I4) */
    assert_int_equal(n, 0);
    assert_true(imap_cur_sp(&c));
    assert_false(imap_cur_string(&c, &s, &n));
    assert_string_equal(c.err, "Literal longer than the data");
    uint64_t v;
    bool plus;
    assert_true(imap_literal_at_end("A1 LOGIN {4294967296}", 21, &v, &plus));
    assert_int_equal(v, 4294967296ull);
    assert_false(plus);
    assert_true(imap_literal_at_end("x {99999999999999999999999+}", 28, &v, &plus));
    assert_true(v == UINT64_MAX && plus);
    assert_false(imap_literal_at_end("x {}", 4, &v, &plus));
    assert_false(imap_literal_at_end("x 5}", 4, &v, &plus));
    assert_false(imap_literal_at_end("x {5", 4, &v, &plus));
}

static void test_nesting(void **state)
{
    (void)state;
    char buf[128];
    struct imap_cur c;
    strcpy(buf, "((((((((x))))))))");
    imap_cur_init(&c, buf, strlen(buf));
    assert_true(imap_cur_skip_value(&c)); /* 8 levels: the cap */
    strcpy(buf, "(((((((((x)))))))))");
    imap_cur_init(&c, buf, strlen(buf));
    assert_false(imap_cur_skip_value(&c));
    assert_string_equal(c.err, "Too deeply nested");
    strcpy(buf, "(a (b \\Seen {1}\r\nx) NIL \"q\")");
    imap_cur_init(&c, buf, strlen(buf));
    assert_true(imap_cur_skip_value(&c));
    assert_true(imap_cur_eol(&c));
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[64];
    struct imap_cur c;
    uint32_t v;
    uint64_t w;
    strcpy(buf, "4294967295");
    imap_cur_init(&c, buf, strlen(buf));
    assert_true(imap_cur_number(&c, &v));
    assert_int_equal(v, 4294967295u);
    strcpy(buf, "4294967296");
    imap_cur_init(&c, buf, strlen(buf));
    assert_false(imap_cur_number(&c, &v));
    assert_string_equal(c.err, "Number out of range");
    strcpy(buf, "0");
    imap_cur_init(&c, buf, 1);
    assert_false(imap_cur_nz_number(&c, &v));
    strcpy(buf, "9223372036854775807");
    imap_cur_init(&c, buf, strlen(buf));
    assert_true(imap_cur_number64(&c, &w));
    strcpy(buf, "9223372036854775808");
    imap_cur_init(&c, buf, strlen(buf));
    assert_false(imap_cur_number64(&c, &w));
}

static void test_quote_out(void **state)
{
    (void)state;
    struct imap_buf b = {0};
    imap_buf_astring(&b, "\"user", 5, false); /* curl test 800 */
    imap_buf_add(&b, " ", 1);
    imap_buf_astring(&b, "sec\"ret{", 8, false);
    imap_buf_add(&b, " ", 1);
    imap_buf_astring(&b, "plain", 5, false);
    imap_buf_add(&b, " ", 1);
    imap_buf_astring(&b, "NIL", 3, false);
    imap_buf_add(&b, " ", 1);
    imap_buf_astring(&b, "", 0, false);
    imap_buf_add(&b, " ", 1);
    imap_buf_astring(&b, "a\r\nb", 4, true);
    imap_buf_add(&b, "", 1);
    assert_string_equal(b.p, "\"\\\"user\" \"sec\\\"ret{\" plain \"NIL\" \"\" {4+}\r\na\r\nb");
    imap_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seqset_good),    cmocka_unit_test(test_seqset_bad),
        cmocka_unit_test(test_seqset_resolve), cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_literal),        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_numbers),        cmocka_unit_test(test_quote_out),
    };
    return cmocka_run_group_tests_name("imap_parse", tests, NULL, NULL);
}
