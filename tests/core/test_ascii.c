/* test_ascii.c -- locale-free case-insensitive compares: equal and ordered
 * texts, empty strings, bytes above 127, prefixes and embedded NULs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <string.h>

#include "core/ascii.h"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void test_lower(void **state)
{
    (void)state;
    assert_int_equal(ascii_lower('A'), 'a');
    assert_int_equal(ascii_lower('Z'), 'z');
    assert_int_equal(ascii_lower('@'), '@'); /* 'A' - 1 */
    assert_int_equal(ascii_lower('['), '['); /* 'Z' + 1 */
    assert_int_equal(ascii_lower('a'), 'a');
    assert_int_equal(ascii_lower(0xC4), 0xC4); /* Latin-1 A-umlaut: not ASCII */
    assert_int_equal(ascii_lower(0), 0);
}

static void test_casecmp(void **state)
{
    (void)state;
    assert_int_equal(ascii_casecmp("", ""), 0);
    assert_int_equal(ascii_casecmp("EHLO", "ehlo"), 0);
    assert_int_equal(ascii_casecmp("Mail.Example.NET", "mail.example.net"), 0);
    assert_int_equal(sign(ascii_casecmp("", "a")), -1);
    assert_int_equal(sign(ascii_casecmp("a", "")), 1);
    assert_int_equal(sign(ascii_casecmp("HELO", "ehlo")), 1);
    assert_int_equal(sign(ascii_casecmp("abc", "ABCD")), -1);
    /* Ordered by the lowered bytes: '_' (0x5F) is above 'Z' but below 'z'. */
    assert_int_equal(sign(ascii_casecmp("_", "Z")), -1);
    /* Bytes above 127 compare as unsigned and are never folded. */
    assert_int_equal(sign(ascii_casecmp("\xC4", "\xE4")), -1);
    assert_int_equal(sign(ascii_casecmp("\xE4", "a")), 1);
}

static void test_ncasecmp(void **state)
{
    (void)state;
    assert_int_equal(ascii_ncasecmp("", "", 0), 0);
    assert_int_equal(ascii_ncasecmp("abc", "xyz", 0), 0);
    assert_int_equal(ascii_ncasecmp("", "", 5), 0);
    assert_int_equal(ascii_ncasecmp("LITERAL+ IDLE", "literal+", 8), 0);
    assert_int_equal(sign(ascii_ncasecmp("LITERAL", "literal+", 8)), -1); /* shorter */
    assert_int_equal(ascii_ncasecmp("INBOX/x", "inbox", 5), 0);
    assert_int_equal(sign(ascii_ncasecmp("INBOy", "inbox", 5)), 1);
    /* A NUL ends the compare: bytes after it are never read or compared. */
    const char a[] = {'D', 'A', '\0', 'X'};
    const char b[] = {'d', 'a', '\0', 'Y'};
    assert_int_equal(ascii_ncasecmp(a, b, sizeof a), 0);
    /* An embedded NUL on one side only is a difference, not an end. */
    const char c[] = {'D', '\0', 'T', 'A'};
    assert_int_equal(sign(ascii_ncasecmp(c, "DATA", 4)), -1);
    assert_int_equal(sign(ascii_ncasecmp("DATA", c, 4)), 1);
}

static void test_memcasecmp(void **state)
{
    (void)state;
    assert_int_equal(ascii_memcasecmp("", "", 0), 0);
    assert_int_equal(ascii_memcasecmp(NULL, NULL, 0), 0);
    assert_int_equal(ascii_memcasecmp("STARTTLS", "starttls", 8), 0);
    assert_int_equal(sign(ascii_memcasecmp("STARTTLs", "starttlt", 8)), -1);
    /* A NUL is a byte like any other: the bytes after it still count. */
    assert_int_equal(ascii_memcasecmp("A\0B", "a\0b", 3), 0);
    assert_int_equal(sign(ascii_memcasecmp("A\0B", "a\0c", 3)), -1);
    assert_int_equal(sign(ascii_memcasecmp("A\0", "a@", 2)), -1);
}

/* The answer does not depend on the locale (strcasecmp's does). */
static void test_locale_free(void **state)
{
    (void)state;
    const char *before = setlocale(LC_CTYPE, NULL);
    char saved[64];
    strncpy(saved, before ? before : "C", sizeof saved - 1);
    saved[sizeof saved - 1] = '\0';
    if (setlocale(LC_CTYPE, "tr_TR.UTF-8") || setlocale(LC_CTYPE, "C.UTF-8")) {
        assert_int_equal(ascii_casecmp("I", "i"), 0);
        assert_true(ascii_casecmp("\xC4", "\xE4") != 0);
    }
    setlocale(LC_CTYPE, saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lower),       cmocka_unit_test(test_casecmp),
        cmocka_unit_test(test_ncasecmp),    cmocka_unit_test(test_memcasecmp),
        cmocka_unit_test(test_locale_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
