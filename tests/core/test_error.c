/* test_error.c -- ms_error_set: fields filled, long texts cut with a NUL,
 * an earlier error wiped, a NULL err ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/common.h"

static void test_set(void **state)
{
    (void)state;
    struct ms_error e;
    memset(&e, 'z', sizeof e);
    assert_false(ms_error_set(&e, 7, "--seed", "bad value \"%s\"", "x1"));
    assert_int_equal(e.code, 7);
    assert_string_equal(e.where, "--seed");
    assert_string_equal(e.msg, "bad value \"x1\"");
    /* Nothing of the earlier contents is left after the NULs. */
    for (size_t i = strlen(e.msg); i < sizeof e.msg; i++) assert_int_equal(e.msg[i], 0);
    assert_false(ms_error_set(&e, 0, NULL, "%s", ""));
    assert_string_equal(e.where, "");
    assert_string_equal(e.msg, "");
}

static void test_cut(void **state)
{
    (void)state;
    struct ms_error e;
    char longer[400];
    memset(longer, 'w', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    ms_error_set(&e, 1, longer, "%s", longer);
    assert_int_equal(strlen(e.where), sizeof e.where - 1);
    assert_int_equal(strlen(e.msg), sizeof e.msg - 1);
}

static void test_null(void **state)
{
    (void)state;
    assert_false(ms_error_set(NULL, 1, "x", "y"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
