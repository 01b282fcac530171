/* test_bad_imap.c -- the IMAP rows of docs/bad-inputs.md that the engine's own
 * tests did not spell out: 4000 nested parentheses before login (I6, Dovecot
 * CVE-2026-27857), mailbox names with "..", "/", "*", "%", quotes, CTL and
 * 8-bit octets (I11), SELECT of a traversal path. Exact replies; each input
 * run whole and one byte at a time (X1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_test_util.h"
#include "store/mbox.h"

#define GREETING "* OK IMAP4rev1 Service Ready\r\n"
#define LOGIN "a0 LOGIN bob secret\r\n"
#define LOGIN_OK "a0 OK LOGIN completed\r\n"

static void expect(const char *in, const char *want)
{
    for (int pass = 0; pass < 2; pass++) {
        struct mbox_store *st = mbox_store_new(1);
        imap_t_fixture_bob(st);
        char *got = imap_t_session(st, in, pass ? 1 : 1000000);
        assert_string_equal(got, want);
        free(got);
        mbox_store_free(st);
    }
}

/* I6: 4000 open parentheses before login: BAD, bounded, and the next command
 * is answered; past the 8192-octet line limit (I14): BAD [TOOBIG]. */
static void test_i6_deep_nesting_preauth(void **state)
{
    (void)state;
    static char in[12000];
    strcpy(in, "p1 NOOP ");
    size_t n = strlen(in);
    memset(in + n, '(', 4000);
    strcpy(in + n + 4000, "\r\np2 NOOP\r\n");
    expect(in, GREETING "p1 BAD Unexpected arguments\r\np2 OK NOOP completed\r\n");
    memset(in + n, '(', 10000);
    strcpy(in + n + 10000, "\r\np2 NOOP\r\n");
    expect(in, GREETING "* BAD [TOOBIG] Command line too long\r\np2 OK NOOP completed\r\n");
}

/* I11: names are keys, never paths; wildcards, quotes, CTL and (IMAP4rev1)
 * 8-bit octets are refused; the session goes on. */
static void test_i11_mailbox_names(void **state)
{
    (void)state;
    expect(
        LOGIN
        "a1 CREATE ..\r\na2 CREATE /\r\na3 CREATE \"a%b\"\r\na4 CREATE \"x*\"\r\na5 SELECT ../INBOX\r\n"
        "a6 CREATE \"a\\\"b\"\r\na7 CREATE {2}\r\n\x01\x02\r\na8 CREATE \"caf\xc3\xa9\"\r\n"
        "a9 CREATE \"\xff\"\r\nb1 LIST \"\" *\r\n",
        GREETING LOGIN_OK
        "a1 NO [CANNOT] Invalid mailbox name\r\na2 NO [CANNOT] Invalid mailbox name\r\n"
        "a3 NO [CANNOT] Invalid mailbox name\r\na4 NO [CANNOT] Invalid mailbox name\r\n"
        "a5 NO [NONEXISTENT] Mailbox does not exist\r\n"
        "a6 NO [CANNOT] Invalid mailbox name\r\n+ Ready for literal data\r\n"
        "a7 NO [CANNOT] Invalid mailbox name\r\n"
        "a8 BAD Invalid character in quoted string\r\n"
        "a9 BAD Invalid character in quoted string\r\n"
        "* LIST (\\HasNoChildren) \"/\" INBOX\r\nb1 OK LIST completed\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i6_deep_nesting_preauth),
        cmocka_unit_test(test_i11_mailbox_names),
    };
    return cmocka_run_group_tests_name("bad_imap", tests, NULL, NULL);
}
