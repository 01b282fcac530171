/* test_smtp_client.c -- the SMTP client engine against scripted server
 * replies: multi-line parsing and its protocol errors (C1, C2, C4), never
 * sending data after a failed DATA (C3), per-recipient outcomes including
 * "lost after the final dot" (RFC 5321 §6.1), timeouts (§4.5.3.2), 8BITMIME
 * and SIZE decisions, and refusing messages that cannot go on the wire (C6). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/line.h"
#include "smtp_test_util.h"

struct script {
    struct smtp_client *c;
    struct tbuf out; /* client bytes since the last take */
    struct tbuf log; /* client events since the last take */
    size_t outcomes[SMTP_OUT_COUNT];
};

static void sc_drain(struct script *s)
{
    for (;;) {
        struct smtp_cevent e;
        int any = 0;
        while (smtp_client_event(s->c, &e)) {
            any = 1;
            tu_log_client_event(&s->log, &e);
            if (e.kind == SMTP_CEV_RCPT_OUTCOME) s->outcomes[e.outcome]++;
        }
        const char *o;
        size_t n = smtp_client_out(s->c, &o);
        if (n) {
            tbuf_add(&s->out, o, n);
            smtp_client_out_done(s->c, n);
            any = 1;
        }
        if (!any) break;
    }
}

static void sc_start(struct script *s, const struct smtp_client_cfg *cfg)
{
    memset(s, 0, sizeof *s);
    struct smtp_client_cfg d;
    smtp_client_cfg_default(&d);
    s->c = smtp_client_new(cfg ? cfg : &d);
}

/* Feed server bytes, return the client's output (valid until next call). */
static const char *sc_feed(struct script *s, const char *in)
{
    s->out.len = 0;
    tbuf_add(&s->out, "", 0);
    size_t len = strlen(in), pos = 0;
    sc_drain(s);
    while (pos < len) {
        size_t n = smtp_client_recv(s->c, in + pos, len - pos);
        pos += n;
        sc_drain(s);
        if (n == 0 && smtp_client_done(s->c)) break;
    }
    return s->out.p;
}

static void sc_end(struct script *s)
{
    smtp_client_free(s->c);
    tbuf_free(&s->out);
    tbuf_free(&s->log);
}

static const char *const one_rcpt[] = {"bob@b.example"};
static const char *const two_rcpt[] = {"bob@b.example", "carol@b.example"};
static const char msg[] = "Subject: t\r\n\r\nhello\r\n";

#define EHLO_PIPE "250-mx Hello\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000\r\n"

static void add(struct script *s, const char *const *r, size_t n, const char *body)
{
    struct smtp_client_txn t = {"alice@a.example", r, n, body, strlen(body), NULL};
    struct ms_error err;
    if (!smtp_client_add(s->c, &t, &err)) fail_msg("add: %s", err.msg);
}

static void test_multiline_and_code_only(void **state)
{
    (void)state;
    struct script s;
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    smtp_client_quit(s.c);
    assert_string_equal(sc_feed(&s, "220-mx first\r\n220-second\r\n220\r\n"),
                        "EHLO client.example.org\r\n");
    /* a reply with only a code is accepted (§4.2) */
    assert_string_equal(sc_feed(&s, "250\r\n"), "MAIL FROM:<alice@a.example>\r\n");
    assert_string_equal(sc_feed(&s, "250 ok\r\n"), "RCPT TO:<bob@b.example>\r\n");
    assert_string_equal(sc_feed(&s, "250 ok\r\n"), "DATA\r\n");
    assert_string_equal(sc_feed(&s, "354 go\r\n"), "Subject: t\r\n\r\nhello\r\n.\r\n");
    assert_int_equal(smtp_client_timeout_us(s.c), 10 * SIM_US_PER_MIN);
    assert_string_equal(sc_feed(&s, "250 queued\r\n"), "QUIT\r\n");
    assert_string_equal(sc_feed(&s, "221 bye\r\n"), "");
    assert_true(smtp_client_done(s.c));
    assert_int_equal(s.outcomes[SMTP_OUT_DELIVERED], 1);
    assert_non_null(
        strstr(s.log.p, "REPLY GREETING->EHLO 220 220-mx first\r\n220-second\r\n220\n"));
    assert_non_null(
        strstr(s.log.p, "RCPT_OUTCOME DOT->QUIT 250 bob@b.example delivered 250 queued\n"));
    assert_non_null(strstr(s.log.p, "SESSION_DONE QUIT->DONE 221 221 bye\n"));
    sc_end(&s);
}

static void expect_protocol_error(const char *greeting_then, const char *why)
{
    struct script s;
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, greeting_then);
    assert_true(smtp_client_done(s.c));
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 1);
    char want[300];
    snprintf(want, sizeof want, "SESSION_DONE EHLO->DONE 0 protocol error: %s\n", why);
    assert_non_null(strstr(s.log.p, want));
    sc_end(&s);
}

static void test_reply_protocol_errors(void **state)
{
    (void)state;
    expect_protocol_error("250-mx\r\n550 no\r\n",
                          "mixed reply codes 250 and 550 in one reply (RFC 5321 4.2.1)");
    expect_protocol_error("250 ok\nMAIL\r\n", "reply line holds a bare CR or LF (RFC 5321 2.3.8)");
    expect_protocol_error("hello\r\n", "malformed reply line (expected a 3-digit code)");
    expect_protocol_error("25\r\n", "malformed reply line (expected a 3-digit code)");
    expect_protocol_error("250x\r\n", "malformed reply line (expected a 3-digit code)");
    expect_protocol_error("199 x\r\n", "malformed reply line (expected a 3-digit code)");
    char longl[700];
    memcpy(longl, "250 ", 4);
    memset(longl + 4, 'x', 600);
    memcpy(longl + 604, "\r\n", 3);
    expect_protocol_error(longl, "reply line longer than 512 octets (RFC 5321 4.5.3.1.5)");
    struct tbuf endless = {0};
    for (int i = 0; i < 70; i++) tbuf_str(&endless, "250-more\r\n");
    expect_protocol_error(endless.p, "reply longer than 64 lines or 4096 octets");
    tbuf_free(&endless);
}

static void test_unsolicited(void **state)
{
    (void)state;
    struct script s;
    sc_start(&s, NULL);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, "250 mx\r\n"); /* EHLO done, nothing queued: READY */
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_READY);
    assert_int_equal(smtp_client_timeout_us(s.c), 0);
    sc_feed(&s, "250 surprise\r\n");
    assert_true(smtp_client_done(s.c));
    assert_non_null(strstr(s.log.p, "protocol error: unsolicited reply"));
    sc_end(&s);
}

static void test_data_refused_sends_no_data(void **state)
{
    (void)state;
    for (int code = 4; code <= 5; code++) {
        struct script s;
        sc_start(&s, NULL);
        add(&s, two_rcpt, 2, msg);
        sc_feed(&s, "220 mx\r\n");
        assert_string_equal(sc_feed(&s, EHLO_PIPE),
                            "MAIL FROM:<alice@a.example> SIZE=21\r\nRCPT TO:<bob@b.example>\r\n"
                            "RCPT TO:<carol@b.example>\r\nDATA\r\n");
        const char *out =
            sc_feed(&s, code == 5 ? "250 ok\r\n250 ok\r\n550 no carol\r\n554 no data\r\n"
                                  : "250 ok\r\n250 ok\r\n550 no carol\r\n451 later\r\n");
        /* C3: no message bytes after a failed DATA, only RSET */
        assert_string_equal(out, "RSET\r\n");
        assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], code == 5 ? 2 : 1);
        assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], code == 5 ? 0 : 1);
        sc_end(&s);
    }
}

static void test_all_refused_pipelined_dummy_dot(void **state)
{
    (void)state;
    struct script s;
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, EHLO_PIPE);
    /* RFC 2920 §3.1: the server wrongly says 354: end with an empty message */
    assert_string_equal(sc_feed(&s, "250 ok\r\n550 no\r\n354 go\r\n"), ".\r\n");
    sc_feed(&s, "554 no valid recipients\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], 1);
    assert_int_equal(s.outcomes[SMTP_OUT_DELIVERED], 0);
    sc_end(&s);
}

static void test_lost_after_dot(void **state)
{
    (void)state;
    struct script s;
    sc_start(&s, NULL);
    add(&s, two_rcpt, 2, msg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, EHLO_PIPE);
    sc_feed(&s, "250 ok\r\n250 ok\r\n452 full\r\n354 go\r\n");
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_DOT);
    smtp_client_closed(s.c);
    sc_drain(&s);
    /* §6.1: bob may have the message; carol got 452 (retry); txn 2 retries */
    assert_int_equal(s.outcomes[SMTP_OUT_UNKNOWN], 1);
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 2);
    assert_non_null(
        strstr(s.log.p,
               "bob@b.example unknown (lost after the final dot) connection lost after the "
               "final dot, before the reply: the message may have arrived (RFC 5321 6.1)\n"));
    assert_non_null(strstr(s.log.p, "carol@b.example temporary failure 452 full\n"));
    sc_end(&s);
    /* lost before the final dot: a plain temporary failure */
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, EHLO_PIPE);
    sc_feed(&s, "250 ok\r\n250 ok\r\n");
    smtp_client_closed(s.c);
    sc_drain(&s);
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 1);
    assert_non_null(
        strstr(s.log.p, "temporary failure connection lost before the transaction completed\n"));
    sc_end(&s);
    /* the dot was queued but never sent: the server cannot have it */
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, EHLO_PIPE);
    struct smtp_cevent e;
    while (smtp_client_event(s.c, &e)) {
    }
    smtp_client_out_done(s.c, smtp_client_out(s.c, &(const char *){NULL}));
    static const char replies[] = "250 ok\r\n250 ok\r\n354 go\r\n";
    size_t n = smtp_client_recv(s.c, replies, 24);
    while (n < 24) {
        while (smtp_client_event(s.c, &e)) {
        }
        n += smtp_client_recv(s.c, &replies[n], 24 - n);
    }
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_DOT);
    while (smtp_client_event(s.c, &e)) {
    }
    smtp_client_timeout(s.c); /* the dot still sits in the output buffer */
    while (smtp_client_event(s.c, &e)) {
        if (e.kind == SMTP_CEV_RCPT_OUTCOME) assert_int_equal(e.outcome, SMTP_OUT_TEMPFAIL);
    }
    sc_end(&s);
}

static void test_timeouts(void **state)
{
    (void)state;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.to.data_init = 7 * SIM_US_PER_S;
    struct script s;
    sc_start(&s, &cfg);
    assert_int_equal(smtp_client_timeout_us(s.c), 5 * SIM_US_PER_MIN);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_int_equal(smtp_client_timeout_us(s.c), 5 * SIM_US_PER_MIN);
    sc_feed(&s, "250 mx\r\n"); /* no PIPELINING: one command per reply */
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_MAIL);
    sc_feed(&s, "250 ok\r\n");
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_RCPT);
    sc_feed(&s, "250 ok\r\n");
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_DATA);
    assert_int_equal(smtp_client_timeout_us(s.c), 7 * SIM_US_PER_S);
    sc_feed(&s, "354 go\r\n");
    smtp_client_timeout(s.c); /* §4.5.3.2.6: no reply to the dot */
    sc_drain(&s);
    assert_int_equal(s.outcomes[SMTP_OUT_UNKNOWN], 1);
    assert_non_null(strstr(
        s.log.p,
        "SESSION_DONE DOT->DONE 0 timeout in state DOT waiting for the server (RFC 5321 4.5.3.2)\n"));
    sc_end(&s);
}

static void test_421_and_554_greeting(void **state)
{
    (void)state;
    struct script s;
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    add(&s, two_rcpt, 2, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, "250 mx\r\n");
    assert_string_equal(sc_feed(&s, "421 4.3.2 shutting down\r\n"), ""); /* no QUIT after 421 */
    assert_true(smtp_client_done(s.c));
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 3);
    sc_end(&s);
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    assert_string_equal(sc_feed(&s, "554 go away\r\n"), "QUIT\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], 1);
    sc_feed(&s, "221 bye\r\n");
    assert_true(smtp_client_done(s.c));
    sc_end(&s);
}

static void test_8bit_and_size(void **state)
{
    (void)state;
    const char eight[] = "Subject: x\r\n\r\nJ\xc3\xb6rg\r\n";
    struct script s;
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, eight);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    /* no 8BITMIME offered: the 8-bit message is not sent at all */
    assert_string_equal(sc_feed(&s, "250 mx\r\n"), "MAIL FROM:<alice@a.example>\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], 1);
    assert_non_null(strstr(
        s.log.p,
        "permanent failure the message has 8-bit octets but the server does not offer 8BITMIME"));
    sc_end(&s);
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, eight);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 8BITMIME\r\n"),
                        "MAIL FROM:<alice@a.example> BODY=8BITMIME\r\n");
    sc_end(&s);
    /* RFC 1870: the server's SIZE is smaller than the message */
    sc_start(&s, NULL);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, "250-mx\r\n250 SIZE 10\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], 1);
    assert_non_null(
        strstr(s.log.p, "message of 21 octets exceeds the server's SIZE 10 (RFC 1870)"));
    sc_end(&s);
}

static void test_add_refuses(void **state)
{
    (void)state;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    struct smtp_client *c = smtp_client_new(&cfg);
    struct ms_error err;
    const char *bad_rcpt[] = {"bob@b.example\r\nRCPT TO:<x@y.example>"};
    struct smtp_client_txn t = {"alice@a.example", bad_rcpt, 1, msg, strlen(msg), NULL};
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(
        err.msg,
        "recipient \"bob@b.example\r\nRCPT TO:<x@y.example>\": control character in address");
    t.rcpts = one_rcpt;
    t.reverse_path = "alice";
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "reverse path \"alice\": address has no @domain");
    t.reverse_path = "alice@a.example";
    t.body = "a\nb\r\n";
    t.body_len = 5;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "message line 1 has a bare LF; only CRLF may end a line");
    t.body = "ab\r\nc\rd\r\n";
    t.body_len = 9;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "message line 2 has a bare CR; only CRLF may end a line");
    t.body = "a\0b";
    t.body_len = 3;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "message line 1 has a NUL byte");
    char longb[1100];
    memset(longb, 'x', 999);
    memcpy(longb + 999, "\r\n", 2);
    t.body = longb;
    t.body_len = 1001;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "message line 1 is 1001 octets; the limit is 1000 with CRLF");
    t.body_len = 999; /* 999 octets without CRLF: 1001 with the CRLF we add */
    assert_false(smtp_client_add(c, &t, &err));
    t.body_len = 998;
    assert_true(smtp_client_add(c, &t, &err));
    t.nrcpt = 0;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "a transaction needs at least one recipient");
    smtp_client_free(c);
}

/* The UNSAFE switch of the smuggling lesson: a bare LF goes out as it is,
 * and dot-stuffing still happens only after CRLF (RFC 5321 §4.5.2), so
 * LF "." CRLF reaches the server unstuffed: the outbound half of the
 * CVE-2023-51764 class. Without the switch the same body is refused. */
static void test_unsafe_bare_lf(void **state)
{
    (void)state;
    static const char body[] = "Hi\r\n\n.\r\nMAIL FROM:<x@y.example>\r\n";
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.unsafe_allow_bare_lf = true;
    struct script s;
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, body);
    smtp_client_quit(s.c);
    sc_feed(&s, "220 mx\r\n");
    sc_feed(&s, EHLO_PIPE);
    sc_feed(&s, "250 ok\r\n250 ok\r\n");
    const char *out = sc_feed(&s, "354 go\r\n");
    assert_string_equal(out, "Hi\r\n\n.\r\nMAIL FROM:<x@y.example>\r\n.\r\n");
    sc_end(&s);
    smtp_client_cfg_default(&cfg);
    struct smtp_client *c = smtp_client_new(&cfg);
    struct smtp_client_txn t = {"alice@a.example", one_rcpt, 1, body, strlen(body), NULL};
    struct ms_error err;
    assert_false(smtp_client_add(c, &t, &err));
    assert_string_equal(err.msg, "message line 2 has a bare LF; only CRLF may end a line");
    smtp_client_free(c);
}

static void test_auth_not_offered(void **state)
{
    (void)state;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.auth = SMTP_AUTH_PLAIN;
    cfg.auth_user = "alice";
    cfg.auth_pass = "secret";
    struct script s;
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 AUTH LOGIN\r\n"), "QUIT\r\n");
    assert_non_null(strstr(s.log.p, "temporary failure the server does not offer AUTH PLAIN\n"));
    sc_end(&s);
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n"),
                        "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert_string_equal(sc_feed(&s, "535 5.7.8 no\r\n"), "QUIT\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_PERMFAIL], 1);
    sc_end(&s);
}

/* ---- STARTTLS (RFC 3207) ---------------------------------------------------- */

static struct smtp_client_cfg tls_cfg(enum smtp_tls_mode m, bool auth)
{
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.tls = m;
    if (auth) {
        cfg.auth = SMTP_AUTH_PLAIN;
        cfg.auth_user = "alice";
        cfg.auth_pass = "secret";
    }
    return cfg;
}

/* The client's session log as "I|O flags line" rows, TLS flags only. */
static void log_rows(struct smtp_client *c, struct tbuf *b)
{
    struct line_fact f;
    while (line_log_next(smtp_client_log(c), &f)) {
        if (f.kind == LINE_FACT_STATE) continue;
        tbuf_str(b, f.kind == LINE_FACT_IN ? "I" : "O");
        tbuf_str(b, (f.flags & LINE_F_TLS_START) ? "S" : "-");
        tbuf_str(b, (f.flags & LINE_F_TLS) ? "T " : "- ");
        tbuf_add(b, f.bytes, f.len);
    }
}

static void test_starttls_offered(void **state)
{
    (void)state;
    struct smtp_client_cfg cfg = tls_cfg(SMTP_TLS_REQUIRED, true);
    struct script s;
    sc_start(&s, &cfg);
    (void)smtp_client_log(s.c);
    add(&s, one_rcpt, 1, msg);
    smtp_client_quit(s.c);
    sc_feed(&s, "220 mx\r\n");
    /* AUTH only after STARTTLS (RFC 4954 4): STARTTLS first, nothing else */
    assert_string_equal(sc_feed(&s, "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
                        "STARTTLS\r\n");
    assert_int_equal(smtp_client_state(s.c), SMTP_CS_STARTTLS);
    assert_false(smtp_client_tls_active(s.c));
    /* §4.2: after 220, EHLO again and the old extension list is forgotten */
    assert_string_equal(sc_feed(&s, "220 2.0.0 Ready to start TLS\r\n"),
                        "EHLO client.example.org\r\n");
    assert_true(smtp_client_tls_active(s.c));
    /* offered again inside TLS (a server bug): not started twice; no
     * PIPELINING any more, so MAIL goes alone */
    assert_string_equal(sc_feed(&s, "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
                        "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    assert_string_equal(sc_feed(&s, "235 2.7.0 ok\r\n"), "MAIL FROM:<alice@a.example>\r\n");
    assert_string_equal(sc_feed(&s, "250 ok\r\n"), "RCPT TO:<bob@b.example>\r\n");
    assert_string_equal(sc_feed(&s, "250 ok\r\n"), "DATA\r\n");
    sc_feed(&s, "354 go\r\n");
    assert_string_equal(sc_feed(&s, "250 queued\r\n"), "QUIT\r\n");
    sc_feed(&s, "221 bye\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_DELIVERED], 1);
    struct tbuf rows = {0};
    log_rows(s.c, &rows);
    assert_non_null(strstr(rows.p, "I-- 250 STARTTLS\r\nO-- STARTTLS\r\n"
                                   "IS- 220 2.0.0 Ready to start TLS\r\n"
                                   "O-T EHLO client.example.org\r\n"));
    assert_non_null(strstr(rows.p, "O-T QUIT\r\nI-T 221 bye\r\n"));
    /* nothing before the 220 is inside TLS, everything after it is */
    const char *border = strstr(rows.p, "IS-");
    for (const char *p = rows.p; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!*p) break;
        if (p < border) assert_true(p[1] == '-' && p[2] == '-');
        if (p > border) assert_true(p[1] == '-' && p[2] == 'T');
    }
    tbuf_free(&rows);
    sc_end(&s);
}

static void test_starttls_not_offered(void **state)
{
    (void)state;
    /* opportunistic: in clear */
    struct smtp_client_cfg cfg = tls_cfg(SMTP_TLS_OPPORTUNISTIC, false);
    struct script s;
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 8BITMIME\r\n"),
                        "MAIL FROM:<alice@a.example>\r\n");
    assert_false(smtp_client_tls_active(s.c));
    sc_end(&s);
    /* required: no mail in clear; a temporary failure, then QUIT */
    cfg = tls_cfg(SMTP_TLS_REQUIRED, true);
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 AUTH PLAIN\r\n"), "QUIT\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 1);
    assert_non_null(strstr(s.log.p, "temporary failure the server does not offer STARTTLS and "
                                    "TLS is required: the message is not sent in clear"));
    sc_end(&s);
    /* required and a HELO-only server: nothing is offered */
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "502 no EHLO\r\n"), "HELO client.example.org\r\n");
    assert_string_equal(sc_feed(&s, "250 mx\r\n"), "QUIT\r\n");
    assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 1);
    sc_end(&s);
    /* off: STARTTLS offered but never used */
    cfg = tls_cfg(SMTP_TLS_OFF, false);
    sc_start(&s, &cfg);
    add(&s, one_rcpt, 1, msg);
    sc_feed(&s, "220 mx\r\n");
    assert_string_equal(sc_feed(&s, "250-mx\r\n250 STARTTLS\r\n"),
                        "MAIL FROM:<alice@a.example>\r\n");
    sc_end(&s);
}

static void test_starttls_refused(void **state)
{
    (void)state;
    static const char *const refusals[] = {
        "454 4.7.0 TLS not available due to temporary reason\r\n",
        "501 5.5.4 Syntax error (no parameters allowed)\r\n",
    };
    for (size_t i = 0; i < 2; i++) {
        /* opportunistic: §4 leaves it to the client: go on in clear, with
         * what the EHLO before STARTTLS offered */
        struct smtp_client_cfg cfg = tls_cfg(SMTP_TLS_OPPORTUNISTIC, true);
        struct script s;
        sc_start(&s, &cfg);
        add(&s, one_rcpt, 1, msg);
        sc_feed(&s, "220 mx\r\n");
        assert_string_equal(sc_feed(&s, "250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
                            "STARTTLS\r\n");
        assert_string_equal(sc_feed(&s, refusals[i]), "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
        assert_false(smtp_client_tls_active(s.c));
        assert_string_equal(sc_feed(&s, "235 ok\r\n"), "MAIL FROM:<alice@a.example>\r\n");
        sc_end(&s);
        /* required: the message is not sent; it waits to be tried again */
        cfg = tls_cfg(SMTP_TLS_REQUIRED, false);
        sc_start(&s, &cfg);
        add(&s, one_rcpt, 1, msg);
        sc_feed(&s, "220 mx\r\n");
        sc_feed(&s, "250-mx\r\n250 STARTTLS\r\n");
        assert_string_equal(sc_feed(&s, refusals[i]), "QUIT\r\n");
        assert_int_equal(s.outcomes[SMTP_OUT_TEMPFAIL], 1);
        assert_non_null(strstr(s.log.p, "and TLS is required: the message is not sent in clear"));
        sc_end(&s);
    }
}

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < SMTP_CS_COUNT; i++)
        assert_string_not_equal(smtp_client_state_name((enum smtp_client_state)i), "?");
    for (int i = 0; i < SMTP_CEV_COUNT; i++)
        assert_string_not_equal(smtp_cevent_kind_name((enum smtp_cevent_kind)i), "?");
    for (int i = 0; i < SMTP_OUT_COUNT; i++)
        assert_string_not_equal(smtp_outcome_name((enum smtp_outcome)i), "?");
    assert_string_equal(smtp_client_state_name(SMTP_CS_DOT), "DOT");
    for (int i = 0; i < SMTP_TLS_MODE_COUNT; i++)
        assert_string_not_equal(smtp_tls_mode_name((enum smtp_tls_mode)i), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multiline_and_code_only),
        cmocka_unit_test(test_reply_protocol_errors),
        cmocka_unit_test(test_unsolicited),
        cmocka_unit_test(test_data_refused_sends_no_data),
        cmocka_unit_test(test_all_refused_pipelined_dummy_dot),
        cmocka_unit_test(test_lost_after_dot),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_421_and_554_greeting),
        cmocka_unit_test(test_8bit_and_size),
        cmocka_unit_test(test_add_refuses),
        cmocka_unit_test(test_unsafe_bare_lf),
        cmocka_unit_test(test_auth_not_offered),
        cmocka_unit_test(test_starttls_offered),
        cmocka_unit_test(test_starttls_not_offered),
        cmocka_unit_test(test_starttls_refused),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("smtp_client", tests, NULL, NULL);
}
