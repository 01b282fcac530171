/* test_strpool.c -- strings kept once: the same text gives the same pointer,
 * different texts different ones; pointers and bytes stay valid as the
 * table grows and chunks fill; a string longer than a chunk; the empty
 * string; a freed pool is empty and usable again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strpool.h"

static void test_same_text_same_pointer(void **state)
{
    (void)state;
    struct strpool p = {0};
    char buf[32];
    snprintf(buf, sizeof buf, "bob@example.net");
    const char *a = strpool_get(&p, "bob@example.net");
    const char *b = strpool_get(&p, buf);
    assert_ptr_equal(a, b);
    assert_ptr_not_equal(a, buf);
    assert_string_equal(a, "bob@example.net");
    const char *c = strpool_get(&p, "Bob@example.net"); /* bytes, not case-folded */
    assert_ptr_not_equal(a, c);
    const char *e = strpool_get(&p, "");
    assert_string_equal(e, "");
    assert_ptr_equal(e, strpool_get(&p, ""));
    strpool_free(&p);
}

static void test_many_stay_valid(void **state)
{
    (void)state;
    struct strpool p = {0};
    enum { N = 20000 }; /* many table growths, several 64 KiB chunks */
    const char **got = calloc(N, sizeof *got);
    assert_non_null(got);
    char buf[64];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "user%d@domain%d.example", i, i % 10);
        got[i] = strpool_get(&p, buf);
    }
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "user%d@domain%d.example", i, i % 10);
        assert_string_equal(got[i], buf);
        assert_ptr_equal(strpool_get(&p, buf), got[i]);
    }
    char *big = malloc(200000); /* longer than a chunk */
    assert_non_null(big);
    memset(big, 'x', 199999);
    big[199999] = '\0';
    const char *bp = strpool_get(&p, big);
    assert_int_equal(strlen(bp), 199999);
    assert_ptr_equal(strpool_get(&p, big), bp);
    assert_string_equal(got[N - 1], "user19999@domain9.example");
    free(big);
    free(got);
    strpool_free(&p);
    assert_int_equal(p.n, 0);
    assert_string_equal(strpool_get(&p, "again"), "again");
    strpool_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_text_same_pointer),
        cmocka_unit_test(test_many_stay_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
