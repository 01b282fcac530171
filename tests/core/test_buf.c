/* test_buf.c -- the growable buffer: empty, appends across growth, the
 * ceiling (exact fit, one past, printf past), size overflow, embedded NULs,
 * drop, reset, take and free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static void test_empty(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_true(buf_add(&b, NULL, 0));
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
    buf_free(&b); /* twice is fine */
    struct buf z = {0};
    buf_free(&z);
    size_t n = 99;
    char *p = buf_take(&z, &n); /* never NULL */
    assert_string_equal(p, "");
    assert_int_equal(n, 0);
    free(p);
}

static void test_grow(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++) assert_true(buf_addf(&b, "%03d,", i));
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.data, "000,001,", 8);
    assert_memory_equal(b.data + 3996, "999,", 4);
    assert_int_equal(b.data[b.len], '\0');
    assert_true(b.cap > b.len);
    /* A long printf (past the 256-byte fast path). */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_true(buf_addf(&b, "<%s>", big));
    assert_int_equal(b.len, 4000 + 601);
    assert_int_equal(b.data[4000], '<');
    assert_int_equal(b.data[4600], '>');
    buf_free(&b);
}

static void test_ceiling(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_true(buf_adds(&b, "12345"));
    assert_false(buf_adds(&b, "6789")); /* 9 > 8: nothing appended */
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_true(buf_adds(&b, "678")); /* exactly 8 */
    assert_string_equal(b.data, "12345678");
    assert_false(buf_add(&b, "9", 1));
    assert_true(buf_add(&b, NULL, 0)); /* nothing more is still fine */
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.max, 8); /* reset keeps the ceiling */
    assert_false(buf_addf(&b, "%s", "123456789"));
    assert_false(buf_addf(&b, "%300s", "x")); /* past it on the slow path */
    assert_int_equal(b.len, 0);
    assert_true(buf_addf(&b, "%d", 12345678));
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void test_overflow(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_true(buf_adds(&b, "ab"));
    /* len + n would wrap around: refused before anything is read or allocated. */
    assert_false(buf_add(&b, "x", SIZE_MAX));
    assert_false(buf_add(&b, "x", SIZE_MAX - 1));
    assert_false(buf_add(&b, "x", SIZE_MAX - 2)); /* 2 + that = SIZE_MAX: no room for the NUL */
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    buf_free(&b);
}

static void test_drop(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    buf_drop(&b, 3); /* on an empty, unallocated buffer */
    assert_int_equal(b.len, 0);
    assert_true(buf_adds(&b, "EHLO x\r\nQUIT"));
    buf_drop(&b, 0);
    assert_string_equal(b.data, "EHLO x\r\nQUIT");
    buf_drop(&b, 8);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "QUIT");
    buf_drop(&b, 99); /* more than it holds */
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_embedded_nul(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_true(buf_add(&b, "a\0b", 3));
    assert_true(buf_adds(&b, "c"));
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "a\0bc", 5); /* and the trailing NUL */
    size_t n = 0;
    char *p = buf_take(&b, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(p, "a\0bc", 4);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),   cmocka_unit_test(test_grow),
        cmocka_unit_test(test_ceiling), cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_drop),    cmocka_unit_test(test_embedded_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
