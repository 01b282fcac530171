/* test_hash.c -- 64-bit FNV-1a against the published test vectors, chained
 * calls, the empty input and bytes after a NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/hash.h"

static void test_vectors(void **state)
{
    (void)state;
    /* draft-eastlake-fnv, FNV-1a 64-bit test vectors. */
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, NULL, 0) == HASH_FNV1A_BASIS);
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, "foobar", 6) == UINT64_C(0x85944171f73967e8));
}

static void test_chained(void **state)
{
    (void)state;
    uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, "foo", 3);
    assert_true(hash_fnv1a(h, "bar", 3) == hash_fnv1a(HASH_FNV1A_BASIS, "foobar", 6));
}

static void test_embedded_nul(void **state)
{
    (void)state;
    /* Bytes after a NUL count: the hash takes a length, not a C string. */
    const char a[] = {'a', '\0', 'b'};
    const char b[] = {'a', '\0', 'c'};
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, a, 3) != hash_fnv1a(HASH_FNV1A_BASIS, b, 3));
    assert_true(hash_fnv1a(HASH_FNV1A_BASIS, a, 2) != hash_fnv1a(HASH_FNV1A_BASIS, a, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_chained),
        cmocka_unit_test(test_embedded_nul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
