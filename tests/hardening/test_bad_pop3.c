/* test_bad_pop3.c -- POP3 rows of the bad-input table (bad-inputs.md a.0,
 * a.3) that the transcripts and tests/proto/test_pop3_server.c did not pin
 * down: every transaction command before authentication (P1), a bare LF or
 * CR as a terminator (X2), and the rest of the POP3 list. Exact
 * replies; each input is also fed one byte at a time with the same result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/test_pop3_harness.h"

#define TS "<7.42@mail.example>"
#define GREET "+OK POP3 server ready " TS "\r\n"

/* Everything after the greeting for input in, fed whole and byte by byte. */
static void expect(const char *in, const char *want)
{
    for (int pass = 0; pass < 2; pass++) {
        struct h_server h;
        h_server_init(&h, TS);
        h_server_add(&h, "uid-one", "Subject: one\r\n\r\nbody one\r\n");
        h_server_add(&h, "uid-two", "Subject: two\r\n\r\nbody two\r\n");
        h_server_send_step(&h, in, strlen(in), pass ? 1 : 0);
        const char *out = h_out(&h);
        assert_true(strncmp(out, GREET, strlen(GREET)) == 0);
        assert_string_equal(out + strlen(GREET), want);
        h_server_fini(&h);
    }
}

#define NOT_NOW "-ERR command not valid in this state\r\n"

/* P1: every TRANSACTION command before authentication gets -ERR, and the
 * session can still log in afterwards (state unchanged). */
static void test_p1_transaction_commands_before_auth(void **state)
{
    (void)state;
    expect(
        "STAT\r\nLIST\r\nRETR 1\r\nDELE 1\r\nRSET\r\nTOP 1 0\r\nUIDL\r\n"
        "USER mrose\r\nPASS tanstaaf\r\nSTAT\r\n",
        NOT_NOW NOT_NOW NOT_NOW NOT_NOW NOT_NOW NOT_NOW NOT_NOW
        "+OK mrose, send PASS\r\n+OK mrose's maildrop has 2 messages (52 octets)\r\n+OK 2 52\r\n");
}

/* P3 (issue list "RETR of a deleted or absent message"). */
static void test_p3_retr_deleted_or_absent(void **state)
{
    (void)state;
    expect("USER mrose\r\nPASS tanstaaf\r\nDELE 2\r\nRETR 2\r\nRETR 3\r\nRSET\r\nRETR 2\r\n",
           "+OK mrose, send PASS\r\n+OK mrose's maildrop has 2 messages (52 octets)\r\n"
           "+OK message 2 deleted\r\n-ERR message 2 already deleted\r\n"
           "-ERR no such message, only 2 messages in maildrop\r\n"
           "+OK maildrop has 2 messages (52 octets)\r\n"
           "+OK 26 octets\r\nSubject: two\r\n\r\nbody two\r\n.\r\n");
}

/* P4/X9 (issue list "numbers of 20 digits"): 2^64 and 20 nines. */
static void test_p4_twenty_digit_numbers(void **state)
{
    (void)state;
    expect(
        "USER mrose\r\nPASS tanstaaf\r\nRETR 18446744073709551616\r\nDELE 99999999999999999999\r\n"
        "TOP 1 99999999999999999999\r\n",
        "+OK mrose, send PASS\r\n+OK mrose's maildrop has 2 messages (52 octets)\r\n"
        "-ERR no such message, only 2 messages in maildrop\r\n"
        "-ERR no such message, only 2 messages in maildrop\r\n"
        "+OK top of message follows\r\nSubject: one\r\n\r\nbody one\r\n.\r\n");
}

/* X2: a bare LF or CR never ends a command as CRLF does. A line ended by a
 * bare LF (hand-typed with nc) gets -ERR with a hint and the next line is a
 * command again; a bare CR stays inside one malformed command. */
static void test_x2_bare_lf_cr(void **state)
{
    (void)state;
    expect("NOOP\nNOOP\r\nQUIT\r\n",
           "-ERR bare LF received; end each command with CRLF (RFC 1939 3; with nc, use nc -C)\r\n"
           "-ERR command not valid in this state\r\n+OK dewey POP3 server signing off\r\n");
    expect("NO\rOP\r\nQUIT\r\n",
           "-ERR invalid characters in command\r\n+OK dewey POP3 server signing off\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p1_transaction_commands_before_auth),
        cmocka_unit_test(test_p3_retr_deleted_or_absent),
        cmocka_unit_test(test_p4_twenty_digit_numbers),
        cmocka_unit_test(test_x2_bare_lf_cr),
    };
    return cmocka_run_group_tests_name("bad_pop3", tests, NULL, NULL);
}
