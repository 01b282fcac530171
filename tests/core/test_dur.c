/* test_dur.c -- lecture-style durations: good texts, bad texts with exact
 * messages, overflow, and formatting round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/dur.h"

static sim_us parse_ok(const char *s)
{
    sim_us d = -1;
    char err[256] = "";
    if (!dur_parse(s, strlen(s), &d, err, sizeof err)) fail_msg("%s: %s", s, err);
    return d;
}

static void expect_bad(const char *s, size_t len, const char *msg)
{
    sim_us d = 12345;
    char err[256] = "";
    assert_false(dur_parse(s, len, &d, err, sizeof err));
    assert_int_equal(d, 12345); /* untouched */
    assert_string_equal(err, msg);
}

static void test_good(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("250ms"), 250 * SIM_US_PER_MS);
    assert_int_equal(parse_ok("20s"), 20 * SIM_US_PER_S);
    assert_int_equal(parse_ok("30m"), 30 * SIM_US_PER_MIN);
    assert_int_equal(parse_ok("1h30m"), 90 * SIM_US_PER_MIN);
    assert_int_equal(parse_ok("5d"), 5 * SIM_US_PER_DAY);
    assert_int_equal(parse_ok("0s"), 0);
    assert_int_equal(parse_ok("1d2h3m4s5ms6us"), SIM_US_PER_DAY + 2 * SIM_US_PER_H +
                                                     3 * SIM_US_PER_MIN + 4 * SIM_US_PER_S +
                                                     5 * SIM_US_PER_MS + 6);
    assert_int_equal(parse_ok("1m500ms"), SIM_US_PER_MIN + 500 * SIM_US_PER_MS);
    assert_int_equal(parse_ok("90m"), 90 * SIM_US_PER_MIN); /* no carry required */
    assert_int_equal(parse_ok("007s"), 7 * SIM_US_PER_S);
}

static void test_bad(void **state)
{
    (void)state;
    const char *acc = "(e.g. 250ms, 20s, 30m, 1h30m, 5d)";
    char msg[256];
    expect_bad("30 min", 6, "\"30 min\" is not a duration (try \"30m\")");
    expect_bad("2 hours", 7, "\"2 hours\" is not a duration (try \"2h\")");
    expect_bad("45", 2, "\"45\" is not a duration (try \"45s\")");
    expect_bad("5 days", 6, "\"5 days\" is not a duration (try \"5d\")");
#define BAD(text)                                                                                  \
    do {                                                                                           \
        snprintf(msg, sizeof msg, "\"%s\" is not a duration %s", text, acc);                       \
        expect_bad(text, strlen(text), msg);                                                       \
    } while (0)
    BAD("");
    BAD("m");
    BAD("-5s");
    BAD("1.5h");
    BAD("30m1h"); /* units out of order */
    BAD("1h1h");  /* unit twice */
    BAD("5sms");
    BAD("10x");
    BAD("1h 30m");
    BAD("s5");
#undef BAD
    /* Non-printable bytes are escaped in the quote. */
    expect_bad("5\x01s", 3, "\"5\\x01s\" is not a duration (e.g. 250ms, 20s, 30m, 1h30m, 5d)");
    /* Embedded NUL: the length decides, not the terminator. */
    expect_bad("5s\0", 3, "\"5s\\x00\" is not a duration (e.g. 250ms, 20s, 30m, 1h30m, 5d)");
    /* A NULL err is allowed. */
    sim_us d;
    assert_false(dur_parse("x", 1, &d, NULL, 0));
}

/* Canonical form: every unit after the first is below its carry, which is
 * what scenario files require (so the schema can state the same ranges). */
static void test_canonical(void **state)
{
    (void)state;
    static const char *const yes[] = {"0s",     "90m",  "1h30m",   "1d23h59m59s999ms999us",
                                      "8784h",  "1h5s", "1m500ms", "007s",
                                      "61540ms"};
    static const char *const no[] = {"1h90m", "1d24h", "1m60s", "1s1000ms", "1ms1000us", "1d0h60m"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(dur_is_canonical(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(dur_is_canonical(no[i], strlen(no[i])));
    /* "40 ms" and "5 m" suggest the unit written next to the digits. */
    expect_bad("40 ms", 5, "\"40 ms\" is not a duration (try \"40ms\")");
    expect_bad("5 m", 3, "\"5 m\" is not a duration (try \"5m\")");
}

static void test_overflow(void **state)
{
    (void)state;
    char msg[256];
    /* 106751991167d is the largest whole number of days in int64 us. */
    assert_int_equal(parse_ok("106751991d"), 106751991LL * SIM_US_PER_DAY);
    const char *texts[] = {"106751992d", "99999999999999999999s", "9223372036854775807us1us",
                           "106751991d23h59m59s999ms999us"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(msg, sizeof msg, "\"%s\" is not a duration (e.g. 250ms, 20s, 30m, 1h30m, 5d)",
                 texts[i]);
        expect_bad(texts[i], strlen(texts[i]), msg);
    }
    assert_int_equal(parse_ok("9223372036854775807us"), INT64_MAX);
    /* A long text is shortened in the message. */
    char long_text[100];
    memset(long_text, '9', sizeof long_text);
    sim_us d;
    char err[256];
    assert_false(dur_parse(long_text, sizeof long_text, &d, err, sizeof err));
    assert_non_null(strstr(err, "...\" is not a duration"));
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(dur_format(0, buf, sizeof buf), "0s");
    assert_string_equal(dur_format(90 * SIM_US_PER_MIN, buf, sizeof buf), "1h30m");
    assert_string_equal(dur_format(250 * SIM_US_PER_MS, buf, sizeof buf), "250ms");
    assert_string_equal(dur_format(5 * SIM_US_PER_DAY + 1, buf, sizeof buf), "5d1us");
    assert_string_equal(dur_format(-SIM_US_PER_S, buf, sizeof buf), "-1s");
    /* Round trip. */
    const sim_us vals[] = {1, 999, 1000, 61 * SIM_US_PER_S, 25 * SIM_US_PER_H, INT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        dur_format(vals[i], buf, sizeof buf);
        assert_int_equal(parse_ok(buf), vals[i]);
    }
    /* Truncation never overflows the buffer. */
    char small[4];
    dur_format(90 * SIM_US_PER_MIN + 5, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),      cmocka_unit_test(test_bad),
        cmocka_unit_test(test_canonical), cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("dur", tests, NULL, NULL);
}
