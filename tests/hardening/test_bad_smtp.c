/* test_bad_smtp.c -- rows of the bad-input table (/work/shared/bad-inputs.md
 * a.0 and a.1) that tests/proto/test_smtp_server.c did not pin down yet. Each
 * test names its row; each row feeds exact bytes and expects the exact reply.
 * Every input is run twice, one line per delivery and one byte at a time, and
 * both runs must give the same bytes (X1). docs/testing.md maps every row of
 * the table to the test that covers it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/smtp_test_util.h"

#define EHLO_IN "EHLO c.example\r\n"
#define EHLO_OUT                                                                                   \
    "250-mx.example.org Hello c.example\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"                \
    "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
#define MAIL_IN "MAIL FROM:<a@a.example>\r\n"
#define MAIL_OK "250 2.1.0 Ok\r\n"
#define RCPT_IN "RCPT TO:<b@b.example>\r\n"
#define RCPT_OK "250 2.1.5 Ok\r\n"
#define DATA_OK "354 End data with <CR><LF>.<CR><LF>\r\n"
#define QUEUED "250 2.0.0 Ok: queued\r\n"
#define BYE "221 2.0.0 mx.example.org Service closing transmission channel\r\n"

/* Everything the server sent after its greeting, for two chunkings. */
static void expect_n(const char *in, size_t len, const char *want, struct srv_result *keep)
{
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct srv_result a, b;
    srv_drive(&cfg, in, len, TU_PER_LINE, &a);
    srv_drive(&cfg, in, len, 1, &b);
    const char *greet_end = strstr(a.out.p, "\r\n");
    assert_non_null(greet_end);
    assert_string_equal(greet_end + 2, want);
    assert_int_equal(a.out.len, b.out.len);
    assert_memory_equal(a.out.p, b.out.p, a.out.len);
    if (keep) {
        *keep = a;
    } else {
        srv_result_free(&a);
    }
    srv_result_free(&b);
}

static void expect(const char *in, const char *want)
{
    expect_n(in, strlen(in), want, NULL);
}

/* X2: a bare LF or bare CR never ends a command line as CRLF does. A line
 * ended by a bare LF (hand-typed with nc) is refused with 500 and a hint and
 * the next line is a command again; a bare CR stays inside one (bad) command,
 * and the session stays in sync at the next CRLF. */
static void test_x2_bare_lf_cr_in_commands(void **state)
{
    (void)state;
    expect(
        "EHLO c.example\nNOOP\r\nNOOP\r\n",
        "500 5.5.2 Error: bare <LF> received; end each line with <CRLF> (RFC 5321 2.3.8; with nc, use nc -C)\r\n"
        "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n");
    expect("NOOP\rNOOP\r\nNOOP\r\n", "500 5.5.2 Error: command not recognized\r\n250 2.0.0 Ok\r\n");
}

/* X8: another protocol's first line (POST, CONNECT): 502 5.7.0 and close. */
static void test_x8_http_verbs_close(void **state)
{
    (void)state;
    struct srv_result r;
    expect_n("POST / HTTP/1.1\r\nHost: x\r\n", 26,
             "502 5.7.0 Error: this is an SMTP server, not a web server; closing\r\n", &r);
    assert_true(r.closed);
    srv_result_free(&r);
    expect("CONNECT a:25 HTTP/1.1\r\n",
           "502 5.7.0 Error: this is an SMTP server, not a web server; closing\r\n");
}

/* X9: hostile numbers in SIZE= parse with overflow checks, then range. */
static void test_x9_hostile_size_numbers(void **state)
{
    (void)state;
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=0\r\n", EHLO_OUT MAIL_OK);
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=4294967296\r\n", EHLO_OUT
           "552 5.3.4 Message size exceeds fixed maximum message size (10485760 bytes)\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=1e3\r\n",
           EHLO_OUT "501 5.5.4 Bad SIZE= parameter\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=+5\r\n",
           EHLO_OUT "501 5.5.4 Bad SIZE= parameter\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=\r\n",
           EHLO_OUT "501 5.5.4 Syntax error in MAIL parameters\r\n");
}

/* S3: a first data line of ".." is one dot; an empty message is empty. */
static void test_s3_dot_lines_at_start(void **state)
{
    (void)state;
    struct srv_result r;
    const char in[] = EHLO_IN MAIL_IN RCPT_IN "DATA\r\n..\r\n.\r\n" MAIL_IN RCPT_IN "DATA\r\n.\r\n";
    expect_n(in, sizeof in - 1,
             EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED MAIL_OK RCPT_OK DATA_OK QUEUED, &r);
    assert_string_equal(r.messages.p, ".\r\n\n--END--\n\n--END--\n");
    srv_result_free(&r);
}

/* S6: the reverse path is at most 256 octets (§4.5.3.1.3), a domain at most
 * 255 (§4.5.3.1.2): 501 and the same state (the next MAIL works). */
static void test_s6_path_and_domain_lengths(void **state)
{
    (void)state;
    char dom[300], in[800], want[800];
    /* four labels of 63 plus three dots: 255 octets; with "a@" and <> the
     * path is 259 octets */
    memset(dom, 0, sizeof dom);
    for (int i = 0; i < 4; i++) {
        memset(dom + i * 64, 'a', 63);
        if (i < 3) dom[i * 64 + 63] = '.';
    }
    assert_int_equal(strlen(dom), 255);
    snprintf(in, sizeof in, EHLO_IN "MAIL FROM:<a@%s>\r\n" MAIL_IN, dom);
    snprintf(want, sizeof want,
             EHLO_OUT
             "501 5.1.7 Bad sender address syntax: path longer than 256 octets\r\n" MAIL_OK);
    expect(in, want);
    /* 250-octet domain: path 254 octets, accepted */
    dom[250] = '\0';
    dom[249] = 'a';
    snprintf(in, sizeof in, EHLO_IN "MAIL FROM:<a@%s>\r\n", dom);
    expect(in, EHLO_OUT MAIL_OK);
    /* a 257-octet domain is refused as a domain */
    memset(dom, 0, sizeof dom);
    for (int i = 0; i < 4; i++) {
        memset(dom + i * 64, 'a', 63);
        dom[i * 64 + 63] = '.';
    }
    dom[256] = 'b';
    snprintf(in, sizeof in, EHLO_IN "RCPT TO:<x@%s>\r\n", dom);
    expect(in, EHLO_OUT "503 5.5.1 Error: need MAIL command\r\n");
    snprintf(in, sizeof in, EHLO_IN "MAIL FROM:<x@%s>\r\n", dom);
    expect(in, EHLO_OUT "501 5.1.7 Bad sender address syntax: domain longer than 255 octets\r\n");
}

/* S10: NOOP, RSET, VRFY, HELP and QUIT before EHLO work without 503. */
static void test_s10_commands_before_ehlo(void **state)
{
    (void)state;
    expect("NOOP\r\nRSET\r\nVRFY bob\r\nHELP\r\nQUIT\r\n",
           "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
           "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
           "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n" BYE);
}

/* S13 (issue list "CRLF injected into an address"): a real CRLF inside the
 * brackets splits the line; the tail is a command of its own and is refused;
 * nothing reaches the envelope. */
static void test_s13_crlf_injected_into_address(void **state)
{
    (void)state;
    struct srv_result r;
    const char in[] = EHLO_IN MAIL_IN "RCPT TO:<b@b.example\r\nBcc: x@y.example>\r\n";
    expect_n(
        in, sizeof in - 1,
        EHLO_OUT MAIL_OK
        "501 5.1.3 Bad recipient address syntax: path must be enclosed in <> with no space before it\r\n"
        "500 5.5.2 Error: command not recognized\r\n",
        &r);
    assert_null(strstr(r.log.p, "RCPT_ACCEPTED"));
    srv_result_free(&r);
}

/* S16 (issue list "pipelined commands after DATA"): with PIPELINING, commands
 * after the end of data in one flight are answered in order. */
static void test_s16_commands_after_end_of_data(void **state)
{
    (void)state;
    expect(EHLO_IN MAIL_IN RCPT_IN "DATA\r\nhi\r\n.\r\nNOOP\r\nQUIT\r\n",
           EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED "250 2.0.0 Ok\r\n" BYE);
    /* a transaction after the first one needs a new MAIL */
    expect(EHLO_IN MAIL_IN RCPT_IN "DATA\r\nok\r\n.\r\n" RCPT_IN,
           EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED "503 5.5.1 Error: need MAIL command\r\n");
}

/* S17: 300 RCPT in one write: one reply per command, in order; with the
 * default limit of 100, exactly 100 accepted and 200 times 452. */
static void test_s17_deep_pipelined_group(void **state)
{
    (void)state;
    struct tbuf b = {0}, want = {0};
    tbuf_str(&b, MAIL_IN);
    tbuf_str(&want, MAIL_OK);
    for (int i = 0; i < 300; i++) {
        char l[64];
        snprintf(l, sizeof l, "RCPT TO:<u%d@b.example>\r\n", i);
        tbuf_str(&b, l);
        tbuf_str(&want, i < 100 ? RCPT_OK : "452 4.5.3 Error: too many recipients\r\n");
    }
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct smtp_server *s = smtp_server_new(&cfg);
    struct srv_result r;
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    smtp_server_recv(s, EHLO_IN, strlen(EHLO_IN));
    tu_server_drain(s, &r);
    size_t pos = 0;
    for (int guard = 0; pos < b.len && guard < 100000; guard++) {
        pos += smtp_server_recv(s, b.p + pos, b.len - pos);
        tu_server_drain(s, &r);
    }
    assert_int_equal(pos, b.len);
    assert_false(smtp_server_closed(s));
    const char *after_ehlo = strstr(r.out.p, "250 8BITMIME\r\n");
    assert_non_null(after_ehlo);
    assert_string_equal(after_ehlo + strlen("250 8BITMIME\r\n"), want.p);
    smtp_server_free(s);
    srv_result_free(&r);
    tbuf_free(&b);
    tbuf_free(&want);
}

/* S18: STARTTLS is not offered: 502, and nothing buffered after it is
 * treated differently (there is no TLS switch to smuggle across). */
static void test_s18_starttls_not_offered(void **state)
{
    (void)state;
    expect(EHLO_IN "STARTTLS\r\n", EHLO_OUT "502 5.5.1 Error: command not implemented\r\n");
}

/* S23/S12: <postmaster> without a domain is accepted; an empty quoted local
 * part is valid syntax (RFC 5321 Quoted-string) and must not crash
 * (Dovecot CVE-2020-10967). */
static void test_s23_postmaster_and_empty_quoted(void **state)
{
    (void)state;
    expect(EHLO_IN MAIL_IN "RCPT TO:<postmaster>\r\n", EHLO_OUT MAIL_OK RCPT_OK);
    expect(EHLO_IN "MAIL FROM:<\"\"@a.example>\r\n", EHLO_OUT MAIL_OK);
}

/* X7: the connection drops mid-DATA: the open transaction is cancelled, the
 * completed one before it stays (one MESSAGE event, then TXN_RESET). */
static void test_x7_hangup_mid_data(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.forbid_unauth_pipelining = false;
    struct smtp_server *s = smtp_server_new(&cfg);
    struct srv_result r;
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    const char in[] =
        EHLO_IN MAIL_IN RCPT_IN "DATA\r\none\r\n.\r\n" MAIL_IN RCPT_IN "DATA\r\nhalf a mess";
    size_t pos = 0;
    for (int guard = 0; pos < sizeof in - 1 && guard < 1000; guard++) {
        pos += smtp_server_recv(s, in + pos, sizeof in - 1 - pos);
        tu_server_drain(s, &r);
    }
    smtp_server_hangup(s);
    tu_server_drain(s, &r);
    assert_true(smtp_server_closed(s));
    assert_string_equal(r.messages.p, "one\r\n\n--END--\n");
    const char *reset = strstr(r.log.p, "TXN_RESET DATA->");
    assert_non_null(reset);
    smtp_server_free(s);
    srv_result_free(&r);
}

/* C5: SASL challenges. The client's LOGIN mechanism never decodes the
 * server's prompts, so garbage is harmless; an oversized challenge is a
 * protocol error and the message stays queued (temporary failure). */
static void client_feed(struct smtp_client *c, struct tbuf *out, struct tbuf *log, const char *in)
{
    size_t pos = 0, len = strlen(in);
    for (int guard = 0; guard < 100; guard++) {
        size_t n = pos < len ? smtp_client_recv(c, in + pos, len - pos) : 0;
        pos += n;
        struct smtp_cevent e;
        while (smtp_client_event(c, &e)) tu_log_client_event(log, &e);
        const char *o;
        size_t k = smtp_client_out(c, &o);
        if (k) {
            tbuf_add(out, o, k);
            smtp_client_out_done(c, k);
        }
        while (smtp_client_event(c, &e)) tu_log_client_event(log, &e);
        if (pos == len && !k) break;
    }
}

static void test_c5_sasl_challenges(void **state)
{
    (void)state;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.auth = SMTP_AUTH_LOGIN;
    cfg.auth_user = "alice";
    cfg.auth_pass = "secret";
    static const char *const r[] = {"b@b.example"};
    struct smtp_client_txn t = {"a@a.example", r, 1, "Subject: x\r\n\r\nhi\r\n", 18, NULL};
    struct smtp_client *c = smtp_client_new(&cfg);
    assert_true(smtp_client_add(c, &t, NULL));
    struct tbuf out = {0}, log = {0};
    client_feed(c, &out, &log, "220 mx\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n334 !!not base64\r\n");
    assert_string_equal(out.p, "EHLO client.example.org\r\nAUTH LOGIN\r\nYWxpY2U=\r\n");
    char big[700];
    memcpy(big, "334 ", 4);
    memset(big + 4, 'A', 600);
    memcpy(big + 604, "\r\n", 3);
    client_feed(c, &out, &log, big);
    assert_true(smtp_client_done(c));
    assert_non_null(
        strstr(log.p,
               "RCPT_OUTCOME AUTH->DONE 0 b@b.example temporary failure protocol error: reply "
               "line longer than 512 octets (RFC 5321 4.5.3.1.5)\n"));
    smtp_client_free(c);
    tbuf_free(&out);
    tbuf_free(&log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x2_bare_lf_cr_in_commands),
        cmocka_unit_test(test_x8_http_verbs_close),
        cmocka_unit_test(test_x9_hostile_size_numbers),
        cmocka_unit_test(test_s3_dot_lines_at_start),
        cmocka_unit_test(test_s6_path_and_domain_lengths),
        cmocka_unit_test(test_s10_commands_before_ehlo),
        cmocka_unit_test(test_s13_crlf_injected_into_address),
        cmocka_unit_test(test_s16_commands_after_end_of_data),
        cmocka_unit_test(test_s17_deep_pipelined_group),
        cmocka_unit_test(test_s18_starttls_not_offered),
        cmocka_unit_test(test_s23_postmaster_and_empty_quoted),
        cmocka_unit_test(test_x7_hangup_mid_data),
        cmocka_unit_test(test_c5_sasl_challenges),
    };
    return cmocka_run_group_tests_name("bad_smtp", tests, NULL, NULL);
}
