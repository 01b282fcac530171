/* test_smtp_server.c -- the SMTP server engine against a bad-input table
 * (bad-inputs.md a.1), the smuggling endings (S1/S2), limits, AUTH misuse
 * (S19), unauthorised pipelining (S16), timeouts and the event stream.
 * Every row is run one line per delivery and one byte at a time: the bytes
 * out must be identical (X1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/line.h"
#include "smtp_test_util.h"

#define GREET "220 mx.example.org ESMTP mailsim\r\n"
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

/* Run input on a server with cfg; compare everything after the greeting. */
static void expect_cfg(const struct smtp_server_cfg *cfg, const char *in, size_t in_len,
                       const char *want)
{
    struct srv_result a, b;
    srv_drive(cfg, in, in_len, TU_PER_LINE, &a);
    srv_drive(cfg, in, in_len, 1, &b);
    const char *greet_end = strstr(a.out.p, "\r\n");
    assert_non_null(greet_end);
    assert_string_equal(greet_end + 2, want);
    assert_int_equal(a.out.len, b.out.len);
    assert_memory_equal(a.out.p, b.out.p, a.out.len);
    assert_string_equal(a.log.p, b.log.p);
    srv_result_free(&a);
    srv_result_free(&b);
}

static void expect(const char *in, const char *want)
{
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    expect_cfg(&cfg, in, strlen(in), want);
}

static void test_greeting_and_ehlo(void **state)
{
    (void)state;
    struct srv_result r;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    srv_drive(&cfg, EHLO_IN, strlen(EHLO_IN), 0, &r);
    assert_string_equal(r.out.p, GREET EHLO_OUT);
    assert_string_equal(r.log.p, "SESSION_STARTED INIT->INIT 220 \n"
                                 "REPLY INIT->INIT 220 \n"
                                 "HELO INIT->READY 0 c.example\n"
                                 "REPLY INIT->READY 250 \n");
    srv_result_free(&r);
    expect("HELO c.example\r\n", "250 mx.example.org\r\n");
    expect("EHLO\r\n", "501 5.5.4 Syntax: EHLO hostname\r\n");
    expect("EHLO bad_name.example\r\n",
           "501 5.5.2 Invalid EHLO argument: expected a domain name or address literal\r\n");
    expect("EHLO [192.0.2.1]\r\n",
           "250-mx.example.org Hello [192.0.2.1]\r\n250-PIPELINING\r\n"
           "250-SIZE 10485760\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
    /* configurable extension list, AUTH included */
    smtp_server_cfg_default(&cfg);
    cfg.ext = SMTP_EXT_SIZE | SMTP_EXT_AUTH;
    cfg.max_message_bytes = 5000;
    const char in[] = EHLO_IN "MAIL FROM:<a@a.example> BODY=8BITMIME\r\n";
    expect_cfg(&cfg, in, sizeof in - 1,
               "250-mx.example.org Hello c.example\r\n250-SIZE 5000\r\n250 AUTH PLAIN LOGIN\r\n"
               "555 Unsupported MAIL parameter BODY\r\n");
}

/* Run in on a server with cfg and its session log on from the start; each
 * line written, as "ext|line" (ext "" when the log names none). */
static void ehlo_ext_lines(const struct smtp_server_cfg *cfg, const char *in, struct tbuf *out)
{
    struct srv_result r;
    memset(&r, 0, sizeof r);
    struct smtp_server *s = smtp_server_new(cfg);
    struct line_log *g = smtp_server_log(s);
    size_t len = strlen(in), pos = 0;
    tu_server_drain(s, &r);
    for (int guard = 0; pos < len && guard < 100; guard++) { /* a line at a time */
        const char *lf = memchr(in + pos, '\n', len - pos);
        size_t end = lf ? (size_t)(lf - in) + 1 : len;
        pos += smtp_server_recv(s, in + pos, end - pos);
        tu_server_drain(s, &r);
    }
    assert_int_equal(pos, len);
    struct line_fact f;
    while (line_log_next(g, &f)) {
        if (f.kind != LINE_FACT_OUT) {
            assert_string_equal(f.ext, ""); /* only written lines are named */
            continue;
        }
        tbuf_str(out, f.ext);
        tbuf_str(out, "|");
        tbuf_add(out, f.bytes, f.len);
    }
    smtp_server_free(s);
    srv_result_free(&r);
}

static void test_ehlo_lines_name_extensions(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct tbuf t = {0};
    /* RFC 5321 §4.1.1.1: the first line names the server; each later line
     * is one ehlo-keyword and its params. The greeting, NOOP's and HELO's
     * replies carry none. */
    ehlo_ext_lines(&cfg, EHLO_IN "NOOP\r\nHELO c.example\r\n", &t);
    assert_string_equal(t.p, "|" GREET "|250-mx.example.org Hello c.example\r\n"
                             "PIPELINING|250-PIPELINING\r\n"
                             "SIZE|250-SIZE 10485760\r\n"
                             "ENHANCEDSTATUSCODES|250-ENHANCEDSTATUSCODES\r\n"
                             "8BITMIME|250 8BITMIME\r\n"
                             "|250 2.0.0 Ok\r\n"
                             "|250 mx.example.org\r\n");
    tbuf_free(&t);
    /* The keyword, not the line: "SIZE 5000" is SIZE, "AUTH PLAIN LOGIN"
     * is AUTH; a second EHLO names its lines again, a failed one none. */
    cfg.ext = SMTP_EXT_SIZE | SMTP_EXT_AUTH;
    cfg.max_message_bytes = 5000;
    ehlo_ext_lines(&cfg, "EHLO\r\n" EHLO_IN EHLO_IN, &t);
    const char *one = "|250-mx.example.org Hello c.example\r\n"
                      "SIZE|250-SIZE 5000\r\n"
                      "AUTH|250 AUTH PLAIN LOGIN\r\n";
    struct tbuf want = {0};
    tbuf_str(&want, "|" GREET "|501 Syntax: EHLO hostname\r\n");
    tbuf_str(&want, one);
    tbuf_str(&want, one);
    assert_string_equal(t.p, want.p);
    tbuf_free(&want);
    tbuf_free(&t);
}

/* RFC 4954 §4 / RFC 3207 §4: with auth_needs_tls, AUTH is neither offered
 * nor accepted before STARTTLS, and MAIL says why it cannot go on. */
static void test_auth_needs_tls(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.ext = SMTP_EXT_AUTH | SMTP_EXT_STARTTLS;
    cfg.auth_required = true;
    cfg.auth_needs_tls = true;
    const char in[] = "EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"
                      "MAIL FROM:<a@c.example>\r\n";
    expect_cfg(&cfg, in, sizeof in - 1,
               "250-mx.example.org Hello c.example\r\n250 STARTTLS\r\n"
               "530 Must issue a STARTTLS command first\r\n"
               "530 Must issue a STARTTLS command first\r\n");
    const char in2[] = "EHLO c.example\r\nSTARTTLS\r\nEHLO c.example\r\n";
    expect_cfg(&cfg, in2, sizeof in2 - 1,
               "250-mx.example.org Hello c.example\r\n250 STARTTLS\r\n"
               "220 Ready to start TLS\r\n"
               "250-mx.example.org Hello c.example\r\n250 AUTH PLAIN LOGIN\r\n");
}

static void test_simple_commands(void **state)
{
    (void)state;
    expect("NOOP\r\n", "250 2.0.0 Ok\r\n");
    expect("NOOP anything at all\r\n", "250 2.0.0 Ok\r\n");
    expect("RSET\r\n", "250 2.0.0 Ok\r\n");
    expect("RSET now\r\n", "501 5.5.4 Syntax: RSET (no arguments)\r\n");
    expect("VRFY bob\r\n",
           "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
    expect("VRFY\r\n", "501 5.5.4 Syntax: VRFY address\r\n");
    expect("EXPN staff\r\n", "502 5.5.1 Error: EXPN is not offered (RFC 5321 7.3)\r\n");
    expect("HELP\r\n", "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n");
    expect("QUIT\r\n", "221 2.0.0 mx.example.org Service closing transmission channel\r\n");
    expect("QUIT\r\nNOOP\r\n", "221 2.0.0 mx.example.org Service closing transmission channel\r\n");
    expect("FOO\r\n", "500 5.5.2 Error: command not recognized\r\n");
    expect("STARTTLS\r\n", "502 5.5.1 Error: command not implemented\r\n");
    expect("AUTH PLAIN\r\n", "502 5.5.1 Error: authentication not enabled\r\n");
    expect("noop\r\n", "250 2.0.0 Ok\r\n"); /* verbs are case-insensitive */
    expect("GET / HTTP/1.1\r\n",
           "502 5.7.0 Error: this is an SMTP server, not a web server; closing\r\n");
}

static void test_line_limits(void **state)
{
    (void)state;
    /* §4.5.3.1.4: 512 octets with CRLF is the longest command line. */
    char in[1200];
    memcpy(in, "NOOP ", 5);
    memset(in + 5, 'a', 505);
    memcpy(in + 510, "\r\n", 2); /* 512 octets */
    memcpy(in + 512, "NOOP ", 5);
    memset(in + 517, 'a', 506);
    memcpy(in + 1023, "\r\nNOOP\r\n", 8); /* 513 octets, then a good line */
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    expect_cfg(
        &cfg, in, 1031,
        "250 2.0.0 Ok\r\n"
        "500 5.5.2 Error: line too long (the limit is 512 octets with CRLF, RFC 5321 4.5.3.1.4)\r\n"
        "250 2.0.0 Ok\r\n");
    /* NUL bytes never truncate a command; they are refused (X3). */
    const char nul[] = "NO\0OP\r\nMAIL FROM:<a@a.example>\0\r\n";
    expect_cfg(
        &cfg, nul, sizeof nul - 1,
        "500 5.5.2 Error: NUL byte in command line\r\n500 5.5.2 Error: NUL byte in command line\r\n");
}

static void test_sequence_errors(void **state)
{
    (void)state;
    /* §4.1.4: 503 and the state stays the same. */
    expect(MAIL_IN, "503 5.5.1 Error: send HELO/EHLO first\r\n");
    expect(EHLO_IN RCPT_IN, EHLO_OUT "503 5.5.1 Error: need MAIL command\r\n");
    expect(EHLO_IN "DATA\r\n", EHLO_OUT "503 5.5.1 Error: need MAIL command\r\n");
    expect(EHLO_IN MAIL_IN "DATA\r\n", EHLO_OUT MAIL_OK "554 5.5.1 Error: no valid recipients\r\n");
    expect(EHLO_IN MAIL_IN MAIL_IN, EHLO_OUT MAIL_OK "503 5.5.1 Error: nested MAIL command\r\n");
    expect(EHLO_IN MAIL_IN RCPT_IN "DATA now\r\n",
           EHLO_OUT MAIL_OK RCPT_OK "501 5.5.4 Syntax: DATA (no arguments)\r\n");
    /* after RSET a new transaction starts; a second EHLO resets too */
    expect(EHLO_IN MAIL_IN "RSET\r\n" MAIL_IN, EHLO_OUT MAIL_OK "250 2.0.0 Ok\r\n" MAIL_OK);
    expect(EHLO_IN MAIL_IN EHLO_IN MAIL_IN, EHLO_OUT MAIL_OK EHLO_OUT MAIL_OK);
    /* §3.1: after a 554 greeting only QUIT works */
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.refuse = true;
    struct srv_result r;
    const char in[] = EHLO_IN "QUIT\r\n";
    srv_drive(&cfg, in, sizeof in - 1, TU_PER_LINE, &r);
    assert_string_equal(r.out.p,
                        "554 mx.example.org ESMTP service not available\r\n"
                        "503 5.5.1 Error: no SMTP service here; send QUIT\r\n"
                        "221 2.0.0 mx.example.org Service closing transmission channel\r\n");
    assert_true(r.closed);
    srv_result_free(&r);
}

static void test_mail_syntax(void **state)
{
    (void)state;
    expect(
        EHLO_IN "MAIL FROM: <a@a.example>\r\n", EHLO_OUT
        "501 5.1.7 Bad sender address syntax: path must be enclosed in <> with no space before it\r\n");
    expect(EHLO_IN "MAIL TO:<a@a.example>\r\n",
           EHLO_OUT "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
    expect(EHLO_IN "MAIL FROM:<>\r\n", EHLO_OUT MAIL_OK);
    expect(EHLO_IN "MAIL FROM:<@relay.example,@r2.example:a@a.example>\r\n", EHLO_OUT MAIL_OK);
    expect(EHLO_IN "MAIL FROM:<\"john doe\"@a.example>\r\n", EHLO_OUT MAIL_OK);
    expect(EHLO_IN "MAIL FROM:<a..b@a.example>\r\n",
           EHLO_OUT "501 5.1.7 Bad sender address syntax: bad local part\r\n");
    expect(EHLO_IN "MAIL FROM:<a@-a.example>\r\n",
           EHLO_OUT "501 5.1.7 Bad sender address syntax: bad domain name\r\n");
    expect(EHLO_IN "MAIL FROM:<a>\r\n",
           EHLO_OUT "501 5.1.7 Bad sender address syntax: address has no @domain\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> FOO=bar\r\n",
           EHLO_OUT "555 5.5.4 Unsupported MAIL parameter FOO\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=1000 BODY=8BITMIME\r\n", EHLO_OUT MAIL_OK);
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=99999999999\r\n", EHLO_OUT
           "552 5.3.4 Message size exceeds fixed maximum message size (10485760 bytes)\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=99999999999999999999999\r\n",
           EHLO_OUT "501 5.5.4 Bad SIZE= parameter\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=-1\r\n",
           EHLO_OUT "501 5.5.4 Bad SIZE= parameter\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> SIZE=1 SIZE=2\r\n",
           EHLO_OUT "501 5.5.4 Bad SIZE= parameter\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example> BODY=9BIT\r\n",
           EHLO_OUT "501 5.5.4 Bad BODY= parameter (7BIT or 8BITMIME)\r\n");
    expect(EHLO_IN "MAIL FROM:<a@a.example>  SIZE=1\r\n",
           EHLO_OUT "501 5.5.4 Syntax error in MAIL parameters\r\n");
    /* 64-octet local part is fine, 65 is not (§4.5.3.1.1) */
    char in[400], want[400];
    snprintf(in, sizeof in, EHLO_IN "MAIL FROM:<%s@a.example>\r\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    expect(in, EHLO_OUT MAIL_OK);
    snprintf(in, sizeof in, EHLO_IN "MAIL FROM:<%s@a.example>\r\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    snprintf(want, sizeof want,
             EHLO_OUT "501 5.1.7 Bad sender address syntax: local part longer than 64 octets\r\n");
    expect(in, want);
}

static void test_rcpt(void **state)
{
    (void)state;
    expect(EHLO_IN MAIL_IN "RCPT TO:<unknown@b.example>\r\n", EHLO_OUT MAIL_OK
           "550 5.1.1 <unknown@b.example>: Recipient address rejected: User unknown\r\n");
    expect(EHLO_IN MAIL_IN "RCPT TO:<relay@elsewhere.example>\r\n",
           EHLO_OUT MAIL_OK "554 5.7.1 <relay@elsewhere.example>: Relay access denied\r\n");
    expect(EHLO_IN MAIL_IN "RCPT TO:<temp@b.example>\r\n",
           EHLO_OUT MAIL_OK "451 4.3.0 <temp@b.example>: Temporary failure, try again later\r\n");
    expect(EHLO_IN MAIL_IN "RCPT TO:<full@b.example>\r\n",
           EHLO_OUT MAIL_OK "452 4.3.1 Insufficient system storage\r\n");
    expect(EHLO_IN MAIL_IN "RCPT TO:<b@b.example> NOTIFY=NEVER\r\n", EHLO_OUT MAIL_OK
           "555 5.5.4 Unsupported RCPT parameter (no RCPT parameters are offered)\r\n");
    expect(EHLO_IN MAIL_IN "RCPT TO:<>\r\n", EHLO_OUT MAIL_OK
           "501 5.1.3 Bad recipient address syntax: null path <> not allowed here\r\n");
    /* S23: <postmaster> is accepted without asking the caller */
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct srv_result r;
    const char in[] = EHLO_IN MAIL_IN "RCPT TO:<Postmaster>\r\n";
    srv_drive(&cfg, in, sizeof in - 1, TU_PER_LINE, &r);
    assert_non_null(strstr(r.out.p, MAIL_OK RCPT_OK));
    assert_non_null(strstr(r.log.p, "RCPT_ACCEPTED MAIL->RCPT 250 Postmaster\n"));
    assert_null(strstr(r.log.p, "RCPT_ASKED"));
    srv_result_free(&r);
}

static void test_injection(void **state)
{
    (void)state;
    /* S13: control characters in envelopes -> 501 (a bare LF -> 500), never
     * copied anywhere */
    const char lf[] = EHLO_IN MAIL_IN "RCPT TO:<b@b.example\nDATA>\r\n";
    const char cr[] = EHLO_IN "MAIL FROM:<a@a.example>\rRCPT TO:<x@y.example>\r\n";
    const char tab[] = EHLO_IN "MAIL FROM:<a\t@a.example>\r\n";
    const char hi[] = EHLO_IN "MAIL FROM:<j\xc3\xb6rg@a.example>\r\n";
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    /* A bare LF ends the command as typed by hand (nc without -C): 500 with
     * a hint, and the rest is a line of its own (RFC 5321 2.3.8). */
    expect_cfg(&cfg, lf, sizeof lf - 1,
               EHLO_OUT MAIL_OK
               "500 5.5.2 Error: bare <LF> received; end each line with <CRLF> (RFC 5321 2.3.8; "
               "with nc, use nc -C)\r\n"
               "500 5.5.2 Error: command not recognized\r\n");
    expect_cfg(&cfg, cr, sizeof cr - 1,
               EHLO_OUT "501 5.1.7 Bad sender address syntax: control character in address\r\n");
    expect_cfg(&cfg, tab, sizeof tab - 1,
               EHLO_OUT "501 5.1.7 Bad sender address syntax: control character in address\r\n");
    expect_cfg(
        &cfg, hi, sizeof hi - 1,
        EHLO_OUT
        "501 5.1.7 Bad sender address syntax: 8-bit octet in address (SMTPUTF8 is not offered)\r\n");
    /* A real CRLF splits the line: the rest is a command of its own. */
    expect(
        EHLO_IN MAIL_IN "RCPT TO:<b@b.example\r\nDATA>\r\n", EHLO_OUT MAIL_OK
        "501 5.1.3 Bad recipient address syntax: path must be enclosed in <> with no space before it\r\n"
        "500 5.5.2 Error: command not recognized\r\n");
}

/* RFC 3207: STARTTLS is offered only when the caller can encrypt; 220,
 * then the session starts afresh (EHLO again, no STARTTLS in it, AUTH
 * forgotten); a second STARTTLS, arguments, or one inside a transaction are
 * refused; plaintext after STARTTLS in the same flight is dropped (§4.2). */
static void test_starttls(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    expect_cfg(&cfg, "STARTTLS\r\n", 10, "502 5.5.1 Error: command not implemented\r\n");
    cfg.ext |= SMTP_EXT_STARTTLS;
    static const char again[] = EHLO_IN "STARTTLS\r\n" EHLO_IN "STARTTLS\r\nSTARTTLS x\r\n";
    expect_cfg(&cfg, again, sizeof again - 1,
               "250-mx.example.org Hello c.example\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
               "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
               "220 2.0.0 Ready to start TLS\r\n" EHLO_OUT "503 5.5.1 Error: TLS already active\r\n"
               "501 5.5.4 Syntax: STARTTLS (no arguments)\r\n");
    expect_cfg(&cfg, "STARTTLS\r\nMAIL FROM:<a@a.example>\r\n",
               sizeof "STARTTLS\r\nMAIL FROM:<a@a.example>\r\n" - 1,
               "220 2.0.0 Ready to start TLS\r\n503 5.5.1 Error: send HELO/EHLO first\r\n");
    /* one write: the MAIL after STARTTLS is injected plaintext, never run */
    cfg.forbid_unauth_pipelining = false;
    struct srv_result r;
    static const char inj[] = "STARTTLS\r\nMAIL FROM:<evil@x.example>\r\n";
    srv_drive(&cfg, inj, sizeof inj - 1, 0, &r);
    assert_non_null(strstr(r.out.p, "220 2.0.0 Ready to start TLS\r\n"));
    assert_null(strstr(r.out.p, "503"));
    assert_null(strstr(r.out.p, "250 2.1.0"));
    srv_result_free(&r);
}

/* SMTP_SERVER_MAX_BAD syntax errors in a row: 421 and close (as Postfix);
 * a good command in between starts the count again. */
static void test_bad_command_limit(void **state)
{
    (void)state;
    struct tbuf in = {0}, want = {0};
    tbuf_str(&in, EHLO_IN);
    tbuf_str(&want, EHLO_OUT);
    for (int i = 0; i < 9; i++) {
        tbuf_str(&in, "XYZZY\r\n");
        tbuf_str(&want, "500 5.5.2 Error: command not recognized\r\n");
    }
    tbuf_str(&in, "NOOP\r\n");
    tbuf_str(&want, "250 2.0.0 Ok\r\n");
    for (int i = 0; i < 10; i++) {
        tbuf_str(&in, "XYZZY\r\n");
        tbuf_str(&want, "500 5.5.2 Error: command not recognized\r\n");
    }
    tbuf_str(&in, "NOOP\r\n");
    tbuf_str(&want, "421 4.7.0 mx.example.org Error: too many bad commands, closing\r\n");
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    expect_cfg(&cfg, in.p, in.len, want.p);
    free(in.p);
    free(want.p);
}

static void test_too_many_recipients(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.max_recipients = 2;
    const char in[] = EHLO_IN MAIL_IN RCPT_IN
        "RCPT TO:<c@b.example>\r\nRCPT TO:<d@b.example>\r\nDATA\r\nhi\r\n.\r\n";
    expect_cfg(&cfg, in, sizeof in - 1,
               EHLO_OUT MAIL_OK RCPT_OK RCPT_OK
               "452 4.5.3 Error: too many recipients\r\n" DATA_OK QUEUED);
    /* the default limit is 100 (§4.5.3.1.8) */
    struct tbuf b = {0};
    tbuf_str(&b, EHLO_IN MAIL_IN);
    for (int i = 0; i < 101; i++) {
        char l[64];
        snprintf(l, sizeof l, "RCPT TO:<u%d@b.example>\r\n", i);
        tbuf_str(&b, l);
    }
    smtp_server_cfg_default(&cfg);
    cfg.forbid_unauth_pipelining = false; /* EHLO and the group in one write */
    struct srv_result r;
    srv_drive(&cfg, b.p, b.len, 0, &r);
    const char *last = strstr(r.out.p, "452 4.5.3 Error: too many recipients\r\n");
    assert_non_null(last);
    assert_string_equal(last, "452 4.5.3 Error: too many recipients\r\n");
    srv_result_free(&r);
    tbuf_free(&b);
}

static void test_data_ok_and_unstuffing(void **state)
{
    (void)state;
    const char in[] = EHLO_IN MAIL_IN RCPT_IN "DATA\r\n"
                                              "..leading\r\n...\r\n..\r\n.x\r\nlast\r\n.\r\n"
                                              "DATA\r\n" MAIL_IN RCPT_IN "DATA\r\n.\r\n";
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct srv_result r;
    srv_drive(&cfg, in, sizeof in - 1, TU_PER_LINE, &r);
    assert_string_equal(r.out.p, GREET EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED
                        "503 5.5.1 Error: need MAIL command\r\n" MAIL_OK RCPT_OK DATA_OK QUEUED);
    /* §4.5.2: one leading dot removed; the empty message is empty */
    assert_string_equal(r.messages.p, ".leading\r\n..\r\n.\r\nx\r\nlast\r\n\n--END--\n\n--END--\n");
    assert_non_null(strstr(r.log.p, "MESSAGE DATA->DATA 0 [26 bytes]\nREPLY DATA->READY 250 \n"));
    srv_result_free(&r);
    /* caller refuses (S20 loop guard is a caller verdict) */
    expect(EHLO_IN MAIL_IN RCPT_IN "DATA\r\nLOOP-ME\r\n.\r\n", EHLO_OUT MAIL_OK RCPT_OK DATA_OK
           "554 5.4.6 Too many Received: header fields: mail loop (RFC 5321 6.3)\r\n");
    expect(EHLO_IN MAIL_IN RCPT_IN "DATA\r\nREJECT-ME\r\n.\r\n",
           EHLO_OUT MAIL_OK RCPT_OK DATA_OK "554 5.7.1 Transaction failed\r\n");
}

static void test_data_limits(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct tbuf b = {0};
    /* 1000 octets with CRLF pass; 1001 fail after the end of data (S5) */
    char line[1100];
    memset(line, 'x', sizeof line);
    tbuf_str(&b, EHLO_IN MAIL_IN RCPT_IN "DATA\r\n");
    tbuf_add(&b, line, 998);
    tbuf_str(&b, "\r\n.\r\n" MAIL_IN RCPT_IN "DATA\r\nok\r\n");
    tbuf_add(&b, line, 999);
    tbuf_str(&b, "\r\n.\r\nNOOP\r\n");
    expect_cfg(
        &cfg, b.p, b.len,
        EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED MAIL_OK RCPT_OK DATA_OK
        "554 5.6.0 Message refused: line 2 is 1001 octets long; the limit is 1000 with CRLF (RFC 5321 4.5.3.1.6)\r\n"
        "250 2.0.0 Ok\r\n");
    tbuf_free(&b);
    /* a stuffed dot does not count */
    tbuf_str(&b, EHLO_IN MAIL_IN RCPT_IN "DATA\r\n.");
    tbuf_add(&b, line, 998);
    tbuf_str(&b, "\r\n.\r\n");
    expect_cfg(&cfg, b.p, b.len, EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED);
    tbuf_free(&b);
    /* too big: read to the end, then 552; a bad ending while discarding
     * does not end the data (S2) */
    cfg.max_message_bytes = 50;
    tbuf_str(&b, EHLO_IN MAIL_IN RCPT_IN "DATA\r\n");
    for (int i = 0; i < 10; i++) tbuf_str(&b, "0123456789\r\n");
    tbuf_str(&b, "\n.\nQUIT\r\n.\r\nNOOP\r\n");
    expect_cfg(
        &cfg, b.p, b.len,
        "250-mx.example.org Hello c.example\r\n250-PIPELINING\r\n250-SIZE 50\r\n"
        "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n" MAIL_OK RCPT_OK DATA_OK
        "552 5.3.4 Message size exceeds fixed maximum message size (50 bytes)\r\n250 2.0.0 Ok\r\n");
    tbuf_free(&b);
}

static void test_data_8bit_and_nul(void **state)
{
    (void)state;
    const char eight[] = EHLO_IN MAIL_IN RCPT_IN "DATA\r\nSubject: x\r\n\r\nJ\xc3\xb6rg\r\n.\r\n";
    const char eight_ok[] = EHLO_IN "MAIL FROM:<a@a.example> BODY=8BITMIME\r\n" RCPT_IN
                                    "DATA\r\nSubject: x\r\n\r\nJ\xc3\xb6rg\r\n.\r\n";
    const char nul[] = EHLO_IN MAIL_IN RCPT_IN "DATA\r\nab\0cd\r\n.\r\n";
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    expect_cfg(
        &cfg, eight, sizeof eight - 1,
        EHLO_OUT MAIL_OK RCPT_OK DATA_OK
        "554 5.6.1 Message refused: 8-bit octet 0xC3 in line 3 without BODY=8BITMIME; SMTP carries "
        "7-bit ASCII (RFC 5321 2.4, RFC 6152)\r\n");
    expect_cfg(&cfg, eight_ok, sizeof eight_ok - 1, EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED);
    expect_cfg(&cfg, nul, sizeof nul - 1,
               EHLO_OUT MAIL_OK RCPT_OK DATA_OK
               "554 5.6.0 Message refused: NUL byte in line 1 of the data\r\n");
}

/* S1: none of these ends the data; the smuggled commands stay data and the
 * message is refused after the real end. The first nine are bad-inputs S1;
 * the last two are variants of our own. */
static void test_smuggling(void **state)
{
    (void)state;
    static const struct {
        const char *e;
        size_t n;
        const char *reply;
    } ends[] = {
#define BARE_LF                                                                                    \
    "550 5.5.2 Message refused: bare <LF> in line 1 of the data; only <CRLF> ends a line (RFC 5321 2.3.8)\r\n"
#define BARE_LF2                                                                                   \
    "550 5.5.2 Message refused: bare <LF> in line 2 of the data; only <CRLF> ends a line (RFC 5321 2.3.8)\r\n"
#define BARE_CR                                                                                    \
    "550 5.5.2 Message refused: bare <CR> in line 1 of the data; only <CRLF> ends a line (RFC 5321 2.3.8)\r\n"
#define BARE_CR2                                                                                   \
    "550 5.5.2 Message refused: bare <CR> in line 2 of the data; only <CRLF> ends a line (RFC 5321 2.3.8)\r\n"
        {"\n.\n", 3, BARE_LF},
        {"\n.\r\n", 4, BARE_LF},
        {"\r\n.\n", 4, BARE_LF2},
        {"\r.\r", 3, BARE_CR},
        {"\r.\n", 3, BARE_LF},
        {"\n.\r", 3, BARE_LF},
        {"\r.\r\n", 4, BARE_CR},
        {"\r\n.\r", 4, BARE_CR2},
        {"\r\n\0.\r\n", 6, "554 5.6.0 Message refused: NUL byte in line 2 of the data\r\n"},
        {"\r\n.\r\r\n", 6, BARE_CR2},
        {"\n.\r\r\n", 5, BARE_LF},
    };
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    for (size_t i = 0; i < MS_ARRAY_LEN(ends); i++) {
        struct tbuf b = {0};
        tbuf_str(&b, EHLO_IN MAIL_IN RCPT_IN "DATA\r\nhello");
        tbuf_add(&b, ends[i].e, ends[i].n);
        tbuf_str(
            &b,
            "MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@b.example>\r\nDATA\r\nsmuggled\r\n.\r\nNOOP\r\n");
        char want[600];
        snprintf(want, sizeof want, EHLO_OUT MAIL_OK RCPT_OK DATA_OK "%s250 2.0.0 Ok\r\n",
                 ends[i].reply);
        /* The NUL variant ends the data early: line 3 ("MAIL..") follows. */
        if (i == 8) {
            struct srv_result r;
            srv_drive(&cfg, b.p, b.len, 1, &r);
            assert_null(strstr(r.out.p, QUEUED));
            assert_string_equal(r.messages.p ? r.messages.p : "", "");
            srv_result_free(&r);
        }
        expect_cfg(&cfg, b.p, b.len, want);
        tbuf_free(&b);
    }
}

static void test_unauthorised_pipelining(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct srv_result r;
    /* (c) body in the same flight as DATA */
    const char c[] = EHLO_IN MAIL_IN RCPT_IN "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n";
    srv_drive(&cfg, c, sizeof c - 1, TU_PER_LINE, &r);
    srv_result_free(&r);
    struct tbuf flight = {0};
    tbuf_str(&flight, EHLO_IN);
    struct smtp_server *s = smtp_server_new(&cfg);
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    assert_int_equal(smtp_server_recv(s, EHLO_IN, strlen(EHLO_IN)), strlen(EHLO_IN));
    tu_server_drain(s, &r);
    const char group[] = MAIL_IN RCPT_IN "DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n";
    size_t pos = 0;
    for (int i = 0; i < 20 && pos < sizeof group - 1; i++) {
        pos += smtp_server_recv(s, group + pos, sizeof group - 1 - pos);
        tu_server_drain(s, &r);
    }
    assert_true(smtp_server_closed(s));
    assert_string_equal(
        r.out.p, GREET EHLO_OUT MAIL_OK RCPT_OK
        "554 5.5.0 Error: unauthorised pipelining: message data sent before the 354 reply to DATA "
        "(RFC 2920 3.1); closing\r\n");
    assert_null(strstr(r.log.p, "MESSAGE"));
    assert_non_null(strstr(r.log.p, "PROTOCOL_ERROR RCPT->CLOSED 554"));
    smtp_server_free(s);
    srv_result_free(&r);
    tbuf_free(&flight);
    /* (b) pipelining after HELO */
    const char b[] = "HELO c.example\r\n";
    s = smtp_server_new(&cfg);
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    smtp_server_recv(s, b, strlen(b));
    tu_server_drain(s, &r);
    const char two[] = MAIL_IN RCPT_IN;
    smtp_server_recv(s, two, strlen(two));
    tu_server_drain(s, &r);
    assert_string_equal(
        r.out.p, GREET
        "250 mx.example.org\r\n"
        "554 Error: unauthorised pipelining: commands sent before the reply, but PIPELINING is "
        "not in use (RFC 2920 3.1); closing\r\n");
    smtp_server_free(s);
    srv_result_free(&r);
    /* (a) talking before the greeting was sent */
    s = smtp_server_new(&cfg);
    struct smtp_event ev;
    while (smtp_server_event(s, &ev)) {
    }
    assert_int_equal(smtp_server_recv(s, EHLO_IN, strlen(EHLO_IN)), strlen(EHLO_IN));
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    assert_string_equal(r.out.p, GREET
                        "554 5.5.0 Error: unauthorised pipelining: client sent data before the "
                        "greeting (RFC 2920 3.1); closing\r\n");
    smtp_server_free(s);
    srv_result_free(&r);
    /* EHLO must end a group even with PIPELINING */
    s = smtp_server_new(&cfg);
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    smtp_server_recv(s, EHLO_IN, strlen(EHLO_IN));
    tu_server_drain(s, &r);
    smtp_server_recv(s, EHLO_IN MAIL_IN, strlen(EHLO_IN MAIL_IN));
    tu_server_drain(s, &r);
    assert_non_null(strstr(
        r.out.p,
        "554 5.5.0 Error: unauthorised pipelining: EHLO must be the last command of a group"));
    smtp_server_free(s);
    srv_result_free(&r);
    /* switched off: the same flight is served (the lenient, RFC-allowed way) */
    cfg.forbid_unauth_pipelining = false;
    srv_drive(&cfg, c, sizeof c - 1, 0, &r);
    assert_string_equal(r.out.p, GREET EHLO_OUT MAIL_OK RCPT_OK DATA_OK QUEUED);
    srv_result_free(&r);
}

static void test_auth(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.ext |= SMTP_EXT_AUTH;
    cfg.auth_required = true;
#define EHLO_AUTH                                                                                           \
    "250-mx.example.org Hello c.example\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-AUTH PLAIN LOGIN\r\n" \
    "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"
#define PLAIN_OK "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n" /* \0alice\0secret */
    const char *rows[][2] = {
        {EHLO_IN MAIL_IN, EHLO_AUTH "530 5.7.0 Authentication required\r\n"},
        {EHLO_IN PLAIN_OK MAIL_IN, EHLO_AUTH "235 2.7.0 Authentication successful\r\n" MAIL_OK},
        {EHLO_IN PLAIN_OK PLAIN_OK, EHLO_AUTH
         "235 2.7.0 Authentication successful\r\n503 5.5.1 Error: already authenticated\r\n"},
        {EHLO_IN "AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n",
         EHLO_AUTH "334 \r\n235 2.7.0 Authentication successful\r\n"},
        {EHLO_IN "AUTH PLAIN AGFsaWNlAHdyb25n\r\n",
         EHLO_AUTH "535 5.7.8 Error: authentication failed\r\n"},
        {EHLO_IN "AUTH PLAIN not*base64\r\n",
         EHLO_AUTH "501 5.5.2 Cannot decode the base64 response\r\n"},
        {EHLO_IN "AUTH PLAIN YWxpY2U=\r\n",
         EHLO_AUTH "501 5.5.2 Malformed PLAIN response (authzid NUL user NUL password)\r\n"},
        {EHLO_IN "AUTH PLAIN\r\n*\r\n", EHLO_AUTH "334 \r\n501 5.7.0 Authentication cancelled\r\n"},
        {EHLO_IN "AUTH CRAM-MD5\r\n", EHLO_AUTH "504 5.5.4 Unrecognized authentication type\r\n"},
        {EHLO_IN "AUTH\r\n", EHLO_AUTH "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n"},
        {"HELO c.example\r\n" PLAIN_OK, "250 mx.example.org\r\n503 Error: send EHLO first\r\n"},
        {EHLO_IN "AUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n", EHLO_AUTH
         "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 Authentication successful\r\n"},
        /* S19: a failed LOGIN then PLAIN starts from a fresh state */
        {EHLO_IN "AUTH LOGIN\r\nYWxpY2U=\r\nd3Jvbmc=\r\n" PLAIN_OK, EHLO_AUTH
         "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n535 5.7.8 Error: authentication failed\r\n"
         "235 2.7.0 Authentication successful\r\n"},
        {EHLO_IN "AUTH LOGIN YWxpY2U=\r\n*\r\n" MAIL_IN, EHLO_AUTH
         "334 UGFzc3dvcmQ6\r\n501 5.7.0 Authentication cancelled\r\n530 5.7.0 Authentication required\r\n"},
    };
    for (size_t i = 0; i < MS_ARRAY_LEN(rows); i++) {
        expect_cfg(&cfg, rows[i][0], strlen(rows[i][0]), rows[i][1]);
    }
    /* AUTH inside a transaction */
    cfg.auth_required = false;
    expect_cfg(&cfg, EHLO_IN MAIL_IN PLAIN_OK, strlen(EHLO_IN MAIL_IN PLAIN_OK),
               EHLO_AUTH MAIL_OK "503 5.5.1 Error: MAIL transaction in progress\r\n");
}

static void test_timeout_and_hangup(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct srv_result r;
    memset(&r, 0, sizeof r);
    struct smtp_server *s = smtp_server_new(&cfg);
    tu_server_drain(s, &r);
    const char in[] = EHLO_IN;
    smtp_server_recv(s, in, strlen(in));
    tu_server_drain(s, &r);
    smtp_server_recv(s, MAIL_IN, strlen(MAIL_IN));
    tu_server_drain(s, &r);
    smtp_server_timeout(s);
    tu_server_drain(s, &r);
    assert_string_equal(r.out.p, GREET EHLO_OUT MAIL_OK
                        "421 4.4.2 mx.example.org Error: timeout exceeded\r\n");
    assert_non_null(strstr(
        r.log.p,
        "TXN_RESET MAIL->CLOSED 0 \nREPLY MAIL->CLOSED 421 \nSESSION_CLOSED MAIL->CLOSED 0 \n"));
    assert_true(smtp_server_closed(s));
    assert_int_equal(smtp_server_recv(s, "NOOP\r\n", 6), 6); /* ignored */
    smtp_server_free(s);
    srv_result_free(&r);
    /* hang-up during DATA drops the transaction; no reply */
    s = smtp_server_new(&cfg);
    memset(&r, 0, sizeof r);
    tu_server_drain(s, &r);
    const char *steps[] = {EHLO_IN, MAIL_IN, RCPT_IN, "DATA\r\n", "partial body"};
    for (size_t i = 0; i < 5; i++) {
        smtp_server_recv(s, steps[i], strlen(steps[i]));
        tu_server_drain(s, &r);
    }
    smtp_server_hangup(s);
    tu_server_drain(s, &r);
    assert_non_null(strstr(r.log.p, "TXN_RESET DATA->CLOSED 0 \nSESSION_CLOSED DATA->CLOSED 0 \n"));
    assert_string_equal(r.out.p, GREET EHLO_OUT MAIL_OK RCPT_OK DATA_OK);
    smtp_server_free(s);
    srv_result_free(&r);
}

static void test_backpressure(void **state)
{
    (void)state;
    /* X5: a client that never reads: output stays under out_max and the
     * server stops consuming input. */
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.out_max = 4096;
    struct smtp_server *s = smtp_server_new(&cfg);
    const char *o;
    smtp_server_out_done(s, smtp_server_out(s, &o));
    struct smtp_event ev;
    size_t consumed = 0;
    for (int i = 0; i < 1000; i++) {
        size_t n = smtp_server_recv(s, "NOOP\r\n", 6);
        consumed += n;
        while (smtp_server_event(s, &ev)) {
        }
        if (n == 0) break;
    }
    assert_true(smtp_server_out(s, &o) <= 4096);
    assert_true(consumed < 6000);
    smtp_server_free(s);
}

/* Custom verdicts: explicit codes, caller texts, enhanced codes kept. */
static void test_custom_verdicts(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct smtp_server *s = smtp_server_new(&cfg);
    struct srv_result r;
    memset(&r, 0, sizeof r);
    struct smtp_event ev;
    const char *o;
    while (smtp_server_event(s, &ev)) {
    }
    smtp_server_out_done(s, smtp_server_out(s, &o));
    const char *steps[] = {EHLO_IN,    MAIL_IN,      RCPT_IN, "RCPT TO:<c@b.example>\r\n",
                           "DATA\r\n", "hi\r\n.\r\n"};
    for (size_t i = 0; i < MS_ARRAY_LEN(steps); i++) {
        assert_int_equal(smtp_server_recv(s, steps[i], strlen(steps[i])), strlen(steps[i]));
        while (smtp_server_event(s, &ev)) {
            tu_log_server_event(&r.log, &ev);
            if (ev.kind == SMTP_EV_RCPT_ASKED && ev.arg[0] == 'b') {
                assert_true(smtp_server_wants_verdict(s));
                smtp_server_verdict(s, SMTP_V_ACCEPT, "Ok, Bob lives here\r\nInjected: no");
            } else if (ev.kind == SMTP_EV_RCPT_ASKED) {
                smtp_server_verdict_code(s, 550, "5.7.26 Policy says no");
            } else if (ev.kind == SMTP_EV_MESSAGE) {
                smtp_server_verdict(s, SMTP_V_ACCEPT, "2.0.0 Ok: queued as 1A2B");
            }
        }
        size_t n = smtp_server_out(s, &o);
        tbuf_add(&r.out, o, n);
        smtp_server_out_done(s, n);
    }
    assert_string_equal(r.out.p, EHLO_OUT MAIL_OK
                        "250 2.1.5 <b@b.example>: Ok, Bob lives here  Injected: no\r\n"
                        "550 5.7.26 Policy says no\r\n" DATA_OK "250 2.0.0 Ok: queued as 1A2B\r\n");
    assert_non_null(strstr(r.log.p, "RCPT_REFUSED RCPT->RCPT 550 c@b.example\n"));
    assert_false(smtp_server_wants_verdict(s));
    smtp_server_free(s);
    srv_result_free(&r);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(smtp_server_state_name(SMTP_SS_RCPT), "RCPT");
    assert_string_equal(smtp_server_state_name(SMTP_SS_COUNT), "?");
    for (int i = 0; i < SMTP_SS_COUNT; i++)
        assert_non_null(smtp_server_state_name((enum smtp_server_state)i));
    for (int i = 0; i < SMTP_EV_COUNT; i++)
        assert_string_not_equal(smtp_event_kind_name((enum smtp_event_kind)i), "?");
}

/* RFC 5321 §4.1.1.1 and §2.2.1: a client that greets with HELO uses no
 * extension, so the reply is one line and no reply carries an enhanced
 * status code (RFC 2034 codes are an extension); MAIL parameters, which only
 * extensions define (§4.1.1.11), are refused. The scenario's own wording
 * replaces the text after each positive code. */
static void test_helo_session_and_texts(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.hostname = "hamburger.edu";
    cfg.texts.greeting = "{host}";
    cfg.texts.helo = "Hello {client}, pleased to meet you";
    cfg.texts.mail = "{sender} ... Sender ok";
    cfg.texts.rcpt = "{rcpt} ... Recipient ok";
    cfg.texts.data = "Enter mail, end with \".\" on a line by itself";
    cfg.texts.queued = "Message accepted for delivery";
    cfg.texts.quit = "{host} closing connection";
    const char in[] =
        "HELO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\nRCPT TO:<bob@hamburger.edu>\r\n"
        "DATA\r\nDo you like ketchup?\r\n..How about pickles?\r\n.\r\nQUIT\r\n";
    struct srv_result r;
    srv_drive(&cfg, in, strlen(in), TU_PER_LINE, &r);
    assert_string_equal(r.out.p, "220 hamburger.edu\r\n"
                                 "250 Hello crepes.fr, pleased to meet you\r\n"
                                 "250 alice@crepes.fr ... Sender ok\r\n"
                                 "250 bob@hamburger.edu ... Recipient ok\r\n"
                                 "354 Enter mail, end with \".\" on a line by itself\r\n"
                                 "250 Message accepted for delivery\r\n"
                                 "221 hamburger.edu closing connection\r\n");
    assert_string_equal(r.messages.p, "Do you like ketchup?\r\n.How about pickles?\r\n\n--END--\n");
    srv_result_free(&r);
    /* The same server after EHLO: extensions and enhanced codes, same wording. */
    const char in2[] = "EHLO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\r\n";
    srv_drive(&cfg, in2, strlen(in2), TU_PER_LINE, &r);
    assert_non_null(
        strstr(r.out.p, "250-Hello crepes.fr, pleased to meet you\r\n250-PIPELINING\r\n"));
    assert_non_null(strstr(r.out.p, "250 2.1.0 alice@crepes.fr ... Sender ok\r\n"));
    srv_result_free(&r);
    /* After HELO, SIZE= is not a parameter the client may use. */
    smtp_server_cfg_default(&cfg);
    expect("HELO c.example\r\nMAIL FROM:<a@a.example> SIZE=10\r\n",
           "250 mx.example.org\r\n555 Unsupported MAIL parameter SIZE\r\n");
}

/* RFC 5321 §3.8 and §4.2.2: a busy server greets with 421 and closes. */
static void test_busy_greeting(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.busy = true;
    struct smtp_server *s = smtp_server_new(&cfg);
    const char *out;
    size_t n = smtp_server_out(s, &out);
    assert_int_equal(
        n, strlen("421 mx.example.org Service not available, closing transmission channel\r\n"));
    assert_memory_equal(
        out, "421 mx.example.org Service not available, closing transmission channel\r\n", n);
    assert_true(smtp_server_closed(s));
    smtp_server_free(s);
}

/* The UNSAFE switches of the smuggling lesson (CVE-2023-51764 class). With
 * unsafe_lenient_data_end, LF "." CRLF ends the data, so the bytes after it
 * become a second, forged transaction; with unsafe_accept_bare_lf alone the
 * same bytes are one message holding a bare LF; by default (RFC 5321 §2.3.8)
 * the message is refused. */
static void test_unsafe_bare_lf_switches(void **state)
{
    (void)state;
    struct tbuf b = {0};
    tbuf_str(
        &b, EHLO_IN MAIL_IN RCPT_IN
        "DATA\r\nhello\r\n\n.\r\n"
        "MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\nforged\r\n.\r\nQUIT\r\n");
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.unsafe_lenient_data_end = true;
    cfg.forbid_unauth_pipelining = false;
    struct srv_result r;
    srv_drive(&cfg, b.p, b.len, TU_PER_LINE, &r);
    assert_string_equal(r.messages.p, "hello\r\n\r\n\n--END--\nforged\r\n\n--END--\n");
    assert_non_null(strstr(r.out.p, QUEUED MAIL_OK RCPT_OK DATA_OK QUEUED));
    srv_result_free(&r);
    smtp_server_cfg_default(&cfg);
    cfg.unsafe_accept_bare_lf = true;
    srv_drive(&cfg, b.p, b.len, TU_PER_LINE, &r);
    assert_string_equal(r.messages.p,
                        "hello\r\n\n.\r\nMAIL FROM:<ceo@bank.example>\r\nRCPT TO:<b@b.example>\r\n"
                        "DATA\r\nforged\r\n\n--END--\n");
    srv_result_free(&r);
    smtp_server_cfg_default(&cfg);
    srv_drive(&cfg, b.p, b.len, TU_PER_LINE, &r);
    assert_string_equal(r.messages.p ? r.messages.p : "", "");
    assert_non_null(strstr(r.out.p, "550 5.5.2 Message refused: bare <LF> in line 2"));
    srv_result_free(&r);
    tbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_and_ehlo),
        cmocka_unit_test(test_ehlo_lines_name_extensions),
        cmocka_unit_test(test_simple_commands),
        cmocka_unit_test(test_auth_needs_tls),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_sequence_errors),
        cmocka_unit_test(test_mail_syntax),
        cmocka_unit_test(test_rcpt),
        cmocka_unit_test(test_injection),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_bad_command_limit),
        cmocka_unit_test(test_too_many_recipients),
        cmocka_unit_test(test_data_ok_and_unstuffing),
        cmocka_unit_test(test_data_limits),
        cmocka_unit_test(test_data_8bit_and_nul),
        cmocka_unit_test(test_smuggling),
        cmocka_unit_test(test_unauthorised_pipelining),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_timeout_and_hangup),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_custom_verdicts),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_helo_session_and_texts),
        cmocka_unit_test(test_busy_greeting),
        cmocka_unit_test(test_unsafe_bare_lf_switches),
    };
    return cmocka_run_group_tests_name("smtp_server", tests, NULL, NULL);
}
