/* test_live_engine.c -- what live mode asks of the line engines: the
 * STARTTLS boundary as a typed fact (LINE_F_TLS_START on the go-ahead
 * reply, LINE_F_TLS on every later line; RFC 3207 §4, RFC 2595 §4, RFC 3501
 * §6.2.1), the "busy" greetings of POP3 and IMAP (RFC 2449 §8.1.2,
 * RFC 3501 §7.1.5, RFC 5530 §3), POP3's shutdown reply, the LINE_F_BAD mark
 * on the replies each engine counts toward its bad-command limit, and an
 * HTTP request line named "HTTP", refused and closed by the engine (X8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/http_server.h"
#include "proto/imap_server.h"
#include "proto/line.h"
#include "proto/pop3_server.h"
#include "proto/smtp_server.h"

/* Send all the engine's output, then take every fact; returns the flags of
 * the line whose bytes start with prefix (the last such), -1 if none. */
struct facts {
    char bytes[16][96];
    unsigned flags[16];
    char verb[16][LINE_VERB_MAX];
    int kind[16];
    size_t n;
};

static void take_facts(struct line_log *g, struct facts *fs)
{
    struct line_fact f;
    while (line_log_next(g, &f)) {
        if (f.kind == LINE_FACT_STATE || fs->n == 16) continue;
        size_t k = f.len < 95 ? f.len : 95;
        memcpy(fs->bytes[fs->n], f.bytes, k);
        fs->bytes[fs->n][k] = '\0';
        fs->flags[fs->n] = f.flags;
        memcpy(fs->verb[fs->n], f.verb, LINE_VERB_MAX);
        fs->kind[fs->n] = (int)f.kind;
        fs->n++;
    }
}

static size_t index_of(const struct facts *fs, const char *prefix)
{
    for (size_t i = fs->n; i-- > 0;)
        if (strncmp(fs->bytes[i], prefix, strlen(prefix)) == 0) return i;
    for (size_t i = 0; i < fs->n; i++) print_message("fact %zu: %s", i, fs->bytes[i]);
    fail_msg("no line starting with %s", prefix);
    return 0;
}

static unsigned flags_of(const struct facts *fs, const char *prefix)
{
    for (size_t i = fs->n; i-- > 0;)
        if (strncmp(fs->bytes[i], prefix, strlen(prefix)) == 0) return fs->flags[i];
    for (size_t i = 0; i < fs->n; i++) print_message("fact %zu: %s", i, fs->bytes[i]);
    fail_msg("no line starting with %s", prefix);
    return 0;
}

static void test_log_marks_the_border(void **state)
{
    (void)state;
    static const char *const names[] = {"a", "b"};
    struct line_log g;
    line_log_init(&g, names, 2, 0);
    line_log_enable(&g, "", 0);
    line_log_in(&g, "STARTTLS\r\n", 10);
    line_log_mark_out(&g, LINE_F_OK, 220, "STARTTLS");
    line_log_out(&g, "220 go\r\n", 8);
    line_log_tls_begins(&g);
    line_log_sent(&g, 8);
    line_log_in(&g, "EHLO x\r\n", 8);
    line_log_mark_out(&g, LINE_F_OK, 250, "EHLO");
    line_log_out(&g, "250 hi\r\n", 8);
    line_log_sent(&g, 8);
    line_log_settle(&g);
    struct facts fs = {0};
    take_facts(&g, &fs);
    assert_int_equal(fs.n, 4);
    assert_int_equal(flags_of(&fs, "STARTTLS") & (LINE_F_TLS | LINE_F_TLS_START), 0);
    assert_int_equal(flags_of(&fs, "220 go") & (LINE_F_TLS | LINE_F_TLS_START), LINE_F_TLS_START);
    assert_true(flags_of(&fs, "EHLO x") & LINE_F_TLS);
    assert_true(flags_of(&fs, "250 hi") & LINE_F_TLS);
    line_log_free(&g);
}

/* Feed in, send all output; the facts so far into fs. */
static void smtp_say(struct smtp_server *s, const char *in, struct facts *fs)
{
    const char *out;
    size_t n;
    while ((n = smtp_server_out(s, &out)) > 0) smtp_server_out_done(s, n); /* the greeting */
    size_t off = 0, len = strlen(in);
    struct smtp_event ev;
    for (int guard = 0; guard < 16; guard++) {
        off += smtp_server_recv(s, in + off, len - off);
        while (smtp_server_event(s, &ev)) {
        }
        if (off == len) break;
    }
    while ((n = smtp_server_out(s, &out)) > 0) smtp_server_out_done(s, n);
    take_facts(smtp_server_log(s), fs);
}

static void test_smtp_starttls_fact(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.ext |= SMTP_EXT_STARTTLS;
    struct smtp_server *s = smtp_server_new(&cfg);
    struct facts fs = {0};
    take_facts(smtp_server_log(s), &fs); /* the log from the start */
    smtp_say(s, "EHLO a.example\r\n", &fs);
    smtp_say(s, "STARTTLS\r\n", &fs);
    smtp_say(s, "EHLO a.example\r\n", &fs);
    assert_int_equal(flags_of(&fs, "220 2.0.0 Ready to start TLS") & LINE_F_TLS_START,
                     LINE_F_TLS_START);
    assert_false(flags_of(&fs, "220 2.0.0") & LINE_F_TLS);
    assert_false(flags_of(&fs, "STARTTLS") & LINE_F_TLS);
    assert_true(flags_of(&fs, "EHLO a.example") & LINE_F_TLS); /* the second one */
    smtp_server_free(s);
}

static void test_smtp_refused_starttls_no_fact(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg); /* not offered */
    struct smtp_server *s = smtp_server_new(&cfg);
    struct facts fs = {0};
    take_facts(smtp_server_log(s), &fs);
    smtp_say(s, "EHLO a.example\r\n", &fs);
    smtp_say(s, "STARTTLS\r\n", &fs);
    smtp_say(s, "NOOP\r\n", &fs);
    assert_true(flags_of(&fs, "502 ") & LINE_F_ERR); /* not offered, not known */
    assert_true(flags_of(&fs, "250 2.0.0 Ok") & LINE_F_OK);
    for (size_t i = 0; i < fs.n; i++)
        assert_int_equal(fs.flags[i] & (LINE_F_TLS | LINE_F_TLS_START), 0);
    smtp_server_free(s);
}

static void pop3_send_all(struct pop3_server *s)
{
    const char *out;
    size_t n;
    while ((n = pop3_server_out(s, &out)) > 0) pop3_server_out_done(s, n);
}

static void test_pop3_stls_fact(void **state)
{
    (void)state;
    struct pop3_server_cfg cfg = {"pop.example", "<1.2@pop.example>", true, 10};
    struct pop3_server *s = pop3_server_new(&cfg);
    struct line_log *g = pop3_server_log(s);
    pop3_send_all(s);
    pop3_server_recv(s, "STLS\r\n", 6);
    pop3_send_all(s);
    pop3_server_recv(s, "CAPA\r\n", 6);
    pop3_send_all(s);
    struct facts fs = {0};
    take_facts(g, &fs);
    assert_int_equal(flags_of(&fs, "+OK Begin TLS") & (LINE_F_TLS | LINE_F_TLS_START),
                     LINE_F_TLS_START);
    assert_true(flags_of(&fs, "CAPA") & LINE_F_TLS);
    pop3_server_free(s);
}

static void test_pop3_busy(void **state)
{
    (void)state;
    struct pop3_server_cfg cfg = {"pop.example", "<1.2@pop.example>", false, 10};
    struct pop3_server *s = pop3_server_new(&cfg);
    pop3_server_busy(s);
    const char *out;
    size_t n = pop3_server_out(s, &out);
    const char *want = "-ERR [SYS/TEMP] pop.example has too many connections, try again later\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    assert_int_equal(pop3_server_state(s), POP3_S_CLOSED);
    pop3_server_free(s);
}

static void test_imap_busy(void **state)
{
    (void)state;
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = "imap.example";
    struct imap_server *s = imap_server_new(&cfg);
    imap_server_busy(s);
    const char *out;
    size_t n = imap_server_out(s, &out);
    const char *want = "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    assert_true(imap_server_done(s));
    /* Too late once the greeting was sent: nothing changes. */
    struct imap_server *t = imap_server_new(&cfg);
    n = imap_server_out(t, &out);
    imap_server_out_done(t, n);
    imap_server_busy(t);
    assert_false(imap_server_done(t));
    imap_server_free(t);
    imap_server_free(s);
}

static void test_http_busy(void **state)
{
    (void)state;
    struct http_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    struct http_server *s = http_server_new(&cfg);
    http_server_busy(s);
    const char *req = "GET / HTTP/1.1\r\nHost: mail.example\r\n\r\n";
    http_server_recv(s, req, strlen(req));
    struct http_server_event ev;
    bool request = false, closed = false;
    while (http_server_event(s, &ev)) {
        request |= ev.kind == HTTP_EV_REQUEST;
        closed |= ev.kind == HTTP_EV_CLOSE;
    }
    assert_false(request); /* the handler never sees it */
    assert_true(closed);
    const char *out;
    size_t n = http_server_out(s, &out);
    const char *want = "HTTP/1.1 503 Service Unavailable\r\n";
    assert_true(n > strlen(want));
    assert_memory_equal(out, want, strlen(want));
    http_server_free(s);
}

/* LINE_F_BAD marks exactly what each engine counts toward its limit of
 * bad commands in a row: SMTP 500-504, POP3 -ERR, IMAP BAD (not NO). */
static void test_bad_mark(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct smtp_server *s = smtp_server_new(&cfg);
    struct facts fs = {0};
    take_facts(smtp_server_log(s), &fs);
    smtp_say(s, "XYZZY\r\n", &fs);
    smtp_say(s, "MAIL FROM:<a@b.example>\r\n", &fs); /* 503: no HELO yet */
    smtp_say(s, "EHLO a.example\r\n", &fs);
    assert_int_equal(flags_of(&fs, "500 5.5.2") & (LINE_F_BAD | LINE_F_ERR),
                     LINE_F_BAD | LINE_F_ERR);
    assert_true(flags_of(&fs, "503 5.5.1") & LINE_F_BAD);
    assert_false(flags_of(&fs, "250 ") & LINE_F_BAD);
    assert_false(flags_of(&fs, "XYZZY") & LINE_F_BAD); /* a command, not a reply */
    smtp_server_free(s);

    struct pop3_server_cfg pcfg = {"pop.example", "<1.2@pop.example>", false, 10};
    struct pop3_server *p = pop3_server_new(&pcfg);
    pop3_server_log(p); /* facts from the start */
    pop3_send_all(p);
    pop3_server_recv(p, "XYZZY\r\n", 7);
    pop3_send_all(p);
    pop3_server_recv(p, "CAPA\r\n", 6);
    pop3_send_all(p);
    memset(&fs, 0, sizeof fs);
    take_facts(pop3_server_log(p), &fs);
    assert_true(flags_of(&fs, "-ERR") & LINE_F_BAD);
    assert_false(flags_of(&fs, "+OK Capability") & LINE_F_BAD);
    assert_false(flags_of(&fs, "+OK POP3") & LINE_F_BAD);
    pop3_server_free(p);

    struct imap_server_cfg icfg;
    memset(&icfg, 0, sizeof icfg);
    icfg.host = "imap.example";
    struct imap_server *m = imap_server_new(&icfg);
    imap_server_log(m); /* facts from the start */
    const char *out;
    size_t n;
    static const char *const cmds[] = {"a1 XYZZY\r\n", "a2 SELECT INBOX\r\n", "a3 NOOP\r\n",
                                       "a4 LOGIN x y\r\n"};
    for (size_t i = 0; i < 4; i++) {
        while ((n = imap_server_out(m, &out)) > 0) imap_server_out_done(m, n);
        imap_server_recv(m, cmds[i], strlen(cmds[i]));
        struct imap_event ev;
        while (imap_server_event(m, &ev)) {
            if (ev.kind == IMAP_EV_LOGIN) imap_server_verdict(m, false);
        }
    }
    while ((n = imap_server_out(m, &out)) > 0) imap_server_out_done(m, n);
    memset(&fs, 0, sizeof fs);
    take_facts(imap_server_log(m), &fs);
    assert_true(flags_of(&fs, "a1 BAD") & LINE_F_BAD);
    assert_true(flags_of(&fs, "a2 BAD") & LINE_F_BAD); /* not in this state */
    assert_false(flags_of(&fs, "a3 OK") & LINE_F_BAD);
    assert_int_equal(flags_of(&fs, "a4 NO") & (LINE_F_BAD | LINE_F_ERR), LINE_F_ERR);
    imap_server_free(m);
}

/* An HTTP request line on a mail port (X8, bad-inputs L1): the engine
 * names the line "HTTP", answers it and closes; the body never runs as
 * commands. Any method with an HTTP version counts, not only GET/POST. */
static void test_http_request_refused(void **state)
{
    (void)state;
    static const char *const reqs[] = {
        "POST / HTTP/1.1\r\nHost: x\r\n\r\nQUIT\r\n",
        "OPTIONS /x HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < 2; i++) {
        struct smtp_server_cfg cfg;
        smtp_server_cfg_default(&cfg);
        struct smtp_server *s = smtp_server_new(&cfg);
        struct facts fs = {0};
        take_facts(smtp_server_log(s), &fs);
        smtp_say(s, reqs[i], &fs);
        size_t k = index_of(&fs, reqs[i][0] == 'P' ? "POST" : "OPTIONS");
        assert_string_equal(fs.verb[k], "HTTP");
        k = index_of(&fs, "502 5.7.0 Error: this is an SMTP server, not a web server; closing");
        assert_string_equal(fs.verb[k], "HTTP");
        assert_true(smtp_server_closed(s));
        assert_int_equal(index_of(&fs, "502"), fs.n - 1); /* nothing after it */
        smtp_server_free(s);

        struct pop3_server_cfg pcfg = {"pop.example", "<1.2@pop.example>", false, 10};
        struct pop3_server *p = pop3_server_new(&pcfg);
        pop3_server_log(p); /* facts from the start */
        pop3_send_all(p);
        pop3_server_recv(p, reqs[i], strlen(reqs[i]));
        pop3_send_all(p);
        memset(&fs, 0, sizeof fs);
        take_facts(pop3_server_log(p), &fs);
        k = index_of(&fs, reqs[i][0] == 'P' ? "POST" : "OPTIONS");
        assert_string_equal(fs.verb[k], "HTTP");
        assert_int_equal(index_of(&fs, "-ERR this is a POP3 server"), fs.n - 1);
        assert_int_equal(pop3_server_state(p), POP3_S_CLOSED);
        pop3_server_free(p);

        struct imap_server_cfg icfg;
        memset(&icfg, 0, sizeof icfg);
        icfg.host = "imap.example";
        struct imap_server *m = imap_server_new(&icfg);
        imap_server_log(m); /* facts from the start */
        const char *out;
        size_t n;
        while ((n = imap_server_out(m, &out)) > 0) imap_server_out_done(m, n);
        imap_server_recv(m, reqs[i], strlen(reqs[i]));
        struct imap_event ev;
        while (imap_server_event(m, &ev)) {
        }
        while ((n = imap_server_out(m, &out)) > 0) imap_server_out_done(m, n);
        memset(&fs, 0, sizeof fs);
        take_facts(imap_server_log(m), &fs);
        k = index_of(&fs, reqs[i][0] == 'P' ? "POST" : "OPTIONS");
        assert_string_equal(fs.verb[k], "HTTP");
        assert_int_equal(index_of(&fs, "* BYE This is an IMAP server, not a web server"), fs.n - 1);
        assert_true(imap_server_done(m));
        imap_server_free(m);
    }
}

/* A tag that spells an HTTP method is still an IMAP command. */
static void test_imap_tag_get(void **state)
{
    (void)state;
    struct imap_server_cfg icfg;
    memset(&icfg, 0, sizeof icfg);
    icfg.host = "imap.example";
    struct imap_server *m = imap_server_new(&icfg);
    const char *out;
    size_t n;
    while ((n = imap_server_out(m, &out)) > 0) imap_server_out_done(m, n);
    imap_server_recv(m, "GET CAPABILITY\r\n", 16);
    struct imap_event ev;
    while (imap_server_event(m, &ev)) {
    }
    n = imap_server_out(m, &out);
    const char *want = "GET OK CAPABILITY completed\r\n";
    assert_true(n >= strlen(want));
    assert_memory_equal(out + n - strlen(want), want, strlen(want));
    assert_false(imap_server_done(m));
    imap_server_free(m);
}

/* Live mode stops: POP3 says so between commands (RFC 2449 §8.1.2's
 * [SYS/TEMP], as Dovecot does) and closes without UPDATE. */
static void test_pop3_shutdown(void **state)
{
    (void)state;
    struct pop3_server_cfg cfg = {"pop.example", "<1.2@pop.example>", false, 10};
    struct pop3_server *s = pop3_server_new(&cfg);
    pop3_server_log(s); /* facts from the start */
    pop3_send_all(s);
    pop3_server_shutdown(s);
    const char *out;
    size_t n = pop3_server_out(s, &out);
    const char *want = "-ERR [SYS/TEMP] pop.example server shutting down\r\n";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    pop3_server_out_done(s, n);
    assert_int_equal(pop3_server_state(s), POP3_S_CLOSED);
    struct facts fs = {0};
    take_facts(pop3_server_log(s), &fs);
    assert_true(flags_of(&fs, "-ERR [SYS/TEMP]") & LINE_F_ERR);
    pop3_server_shutdown(s); /* a second call does nothing */
    assert_int_equal(pop3_server_out(s, &out), 0);
    pop3_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_marks_the_border),
        cmocka_unit_test(test_smtp_starttls_fact),
        cmocka_unit_test(test_smtp_refused_starttls_no_fact),
        cmocka_unit_test(test_pop3_stls_fact),
        cmocka_unit_test(test_pop3_busy),
        cmocka_unit_test(test_imap_busy),
        cmocka_unit_test(test_http_busy),
        cmocka_unit_test(test_bad_mark),
        cmocka_unit_test(test_http_request_refused),
        cmocka_unit_test(test_pop3_shutdown),
        cmocka_unit_test(test_imap_tag_get),
    };
    return cmocka_run_group_tests_name("live_engine", tests, NULL, NULL);
}
