/* test_pop3_md5.c -- MD5 (RFC 1321 §A.5 test suite) and the RFC 1939 §7 APOP digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/md5.h"

static void check(const char *in, const char *want)
{
    char out[33];
    md5_hex(in, strlen(in), out);
    assert_string_equal(out, want);
}

static void test_rfc1321_suite(void **state)
{
    (void)state;
    check("", "d41d8cd98f00b204e9800998ecf8427e");
    check("a", "0cc175b9c0f1b6a831c399e269772661");
    check("abc", "900150983cd24fb0d6963f7d28e17f72");
    check("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    check("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    check("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
          "d174ab98d277d9f5a5611c2c9f419d9f");
    check("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
          "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_streaming_equals_oneshot(void **state)
{
    (void)state;
    const char *s =
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
    size_t n = strlen(s);
    static const unsigned char want[16] = {0x57, 0xed, 0xf4, 0xa2, 0x2b, 0xe3, 0xc9, 0x55,
                                           0xac, 0x49, 0xda, 0x2e, 0x21, 0x07, 0xb6, 0x7a};
    for (size_t cut = 0; cut <= n; cut++) {
        struct md5_ctx c;
        unsigned char d[16];
        md5_init(&c);
        md5_update(&c, s, cut);
        md5_update(&c, s + cut, n - cut);
        md5_final(&c, d);
        assert_memory_equal(d, want, 16);
    }
}

static void test_apop_example(void **state)
{
    (void)state;
    /* RFC 1939 §7: timestamp followed by the shared secret "tanstaaf". */
    check("<1896.697170952@dbc.mtview.ca.us>tanstaaf", "c4c9334bac560ecc979e58001b3e22fb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1321_suite),
        cmocka_unit_test(test_streaming_equals_oneshot),
        cmocka_unit_test(test_apop_example),
    };
    return cmocka_run_group_tests_name("md5", tests, NULL, NULL);
}
