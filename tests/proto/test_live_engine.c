/* test_live_engine.c -- what live mode asks of the line engines: the
 * STARTTLS boundary as a typed fact (LINE_F_TLS_START on the go-ahead
 * reply, LINE_F_TLS on every later line; RFC 3207 §4, RFC 2595 §4, RFC 3501
 * §6.2.1), and the "busy" greetings of POP3 and IMAP (RFC 2449 §8.1.2,
 * RFC 3501 §7.1.5, RFC 5530 §3). */
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
        fs->kind[fs->n] = (int)f.kind;
        fs->n++;
    }
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
    };
    return cmocka_run_group_tests_name("live_engine", tests, NULL, NULL);
}
