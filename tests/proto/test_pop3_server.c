/* test_pop3_server.c -- POP3 server engine: UPDATE only after QUIT, timeouts,
 * locks, line limits, bad bytes, events, bounded output (bad-inputs P1-P10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_pop3_harness.h"

static const char M1[] = "Subject: one\r\n\r\nbody one\r\n";
static const char M2[] = "Subject: two\r\n\r\nbody two\r\n";

static void login(struct h_server *h)
{
    h_server_init(h, "<1.2@test>");
    h_server_add(h, "u1", M1);
    h_server_add(h, "u2", M2);
    h_server_send(h, "USER mrose\r\nPASS tanstaaf\r\n");
    assert_int_equal(pop3_server_state(h->s), POP3_S_TRANSACTION);
    h_clear(h);
}

static void test_drop_after_dele_deletes_nothing(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    h_server_send(&h, "DELE 1\r\nDELE 2\r\n");
    assert_string_equal(h_out(&h), "+OK message 1 deleted\r\n+OK message 2 deleted\r\n");
    pop3_server_closed(h.s); /* RFC 1939 §6, bad-inputs P8 */
    h_server_pump(&h);
    assert_int_equal(h.updates, 0);
    assert_string_equal(h.deleted, "");
    assert_int_equal(h.closes, 1);
    assert_int_equal(pop3_server_state(h.s), POP3_S_CLOSED);
    assert_true(pop3_server_done(h.s));
    /* nothing more is read once closed */
    assert_int_equal(pop3_server_recv(h.s, "QUIT\r\n", 6), 0);
    h_server_fini(&h);
}

static void test_timeout_deletes_nothing(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    h_server_send(&h, "DELE 1\r\nQU");
    pop3_server_timeout(h.s);
    h_server_pump(&h);
    assert_int_equal(h.updates, 0);
    assert_int_equal(pop3_server_state(h.s), POP3_S_CLOSED);
    assert_string_equal(h_out(&h), "+OK message 1 deleted\r\n");
    h_server_fini(&h);
}

static void test_quit_in_authorization(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h_server_add(&h, "u1", M1);
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "USER mrose\r\nQUIT\r\n");
    assert_string_equal(h_out(&h), "+OK mrose, send PASS\r\n+OK dewey POP3 server signing off\r\n");
    assert_int_equal(h.updates, 0);
    assert_int_equal(h.auths, 0);
    assert_string_equal(h.events,
                        "USER:ok:AUTHORIZATION>AUTHORIZATION;QUIT:ok:AUTHORIZATION>CLOSED;");
    h_server_fini(&h);
}

static void test_state_events(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    h_server_send(&h, "DELE 2\r\nQUIT\r\n");
    assert_string_equal(h.events, "USER:ok:AUTHORIZATION>AUTHORIZATION;"
                                  "PASS:ok:AUTHORIZATION>TRANSACTION;"
                                  "DELE:ok:TRANSACTION>TRANSACTION;"
                                  "QUIT:ok:TRANSACTION>CLOSED;");
    assert_string_equal(h.deleted, "u2");
    assert_string_equal(h_out(&h), "+OK message 2 deleted\r\n"
                                   "+OK dewey POP3 server signing off (1 messages left)\r\n");
    h_server_fini(&h);
}

static void test_update_failure(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    h_server_send(&h, "DELE 1\r\n");
    h_server_pump(&h);
    h_clear(&h);
    assert_int_equal(pop3_server_recv(h.s, "QUIT\r\n", 6), 6);
    struct pop3_server_event ev;
    bool seen = false;
    while (pop3_server_event(h.s, &ev)) {
        if (ev.kind == POP3_EV_UPDATE) {
            seen = true;
            assert_int_equal(ev.n_uids, 1);
            assert_string_equal(ev.uids[0], "u1");
            assert_int_equal(ev.from, POP3_S_TRANSACTION);
            assert_int_equal(ev.to, POP3_S_UPDATE);
        }
    }
    assert_true(seen);
    assert_int_equal(pop3_server_state(h.s), POP3_S_UPDATE);
    pop3_server_update_done(h.s, false);
    h_server_pump(&h);
    assert_string_equal(h_out(&h), "-ERR some deleted messages not removed\r\n");
    h_server_fini(&h);
}

static void test_locked_maildrop(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h.locked = true;
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "USER mrose\r\nPASS tanstaaf\r\nSTAT\r\n");
    assert_string_equal(h_out(&h), "+OK mrose, send PASS\r\n"
                                   "-ERR [IN-USE] maildrop already locked\r\n"
                                   "-ERR command not valid in this state\r\n");
    assert_int_equal(pop3_server_state(h.s), POP3_S_AUTHORIZATION);
    h_server_fini(&h);
}

static void test_line_limits(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h_server_pump(&h);
    h_clear(&h);
    char line[600];
    /* 255 octets with CRLF is accepted as a line (RFC 2449 §4) ... */
    memset(line, 'a', sizeof line);
    memcpy(line, "USER ", 5);
    memcpy(line + 253, "\r\n", 3);
    h_server_send(&h, line);
    assert_string_equal(h_out(&h), "-ERR argument too long\r\n");
    h_server_pump(&h);
    h_clear(&h);
    /* ... 256 is not, and the engine resynchronises at the next CRLF. */
    memset(line, 'a', sizeof line);
    memcpy(line + 254, "\r\nNOOP\r\n", 9);
    h_server_send(&h, line);
    assert_string_equal(h_out(&h),
                        "-ERR line too long\r\n-ERR command not valid in this state\r\n");
    h_server_pump(&h);
    h_clear(&h);
    /* a 40-octet argument is fine */
    h_server_send(&h, "USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    assert_string_equal(h_out(&h), "+OK aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, send PASS\r\n");
    h_server_fini(&h);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    static const char in[] = "NO\0OP\r\nNOOP\nSTAT\r\nNOOP\rX\r\nNOOP \x80\r\nNOOP\r\n";
    h_server_send_step(&h, in, sizeof in - 1, 0);
    /* "NOOP\n" is a line of its own (a hand-typed nc line), refused with a
     * hint; STAT after it is a command again. */
    assert_string_equal(h_out(&h),
                        "-ERR invalid characters in command\r\n"
                        "-ERR bare LF received; end each command with CRLF (RFC 1939 3; with nc, "
                        "use nc -C)\r\n"
                        "+OK 2 52\r\n"
                        "-ERR invalid characters in command\r\n"
                        "-ERR invalid characters in command\r\n"
                        "+OK\r\n");
    h_server_fini(&h);
}

/* RFC 2595 §4: STLS only when offered (CAPA lists it), only in
 * AUTHORIZATION, once; a USER before it is forgotten; plaintext after it in
 * the same flight is dropped. */
static void test_stls(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, NULL);
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "STLS\r\n");
    assert_string_equal(h_out(&h), "-ERR unknown command\r\n");
    h_server_fini(&h);

    h_server_init(&h, NULL);
    pop3_server_free(h.s);
    struct pop3_server_cfg cfg = {.hostname = "dewey", .stls = true};
    h.s = pop3_server_new(&cfg);
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "CAPA\r\n");
    assert_non_null(strstr(h_out(&h), "\r\nSTLS\r\n"));
    h_clear(&h);
    static const char in[] = "USER mrose\r\nSTLS\r\nPASS injected\r\n";
    h_server_send_step(&h, in, sizeof in - 1, 0);
    assert_string_equal(h_out(&h), "+OK mrose, send PASS\r\n+OK Begin TLS negotiation\r\n");
    h_clear(&h);
    h_server_send(&h, "PASS tanstaaf\r\n");
    assert_string_equal(h_out(&h), "-ERR send USER first\r\n");
    h_clear(&h);
    h_server_send(&h, "STLS\r\nCAPA\r\n");
    assert_string_equal(h_out(&h), "-ERR TLS already active\r\n+OK Capability list follows\r\n"
                                   "TOP\r\nUSER\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n"
                                   "IMPLEMENTATION mailsim\r\n.\r\n");
    h_server_fini(&h);
}

/* cfg.max_bad -ERR replies in a row: the server closes after the last. */
static void test_bad_command_limit(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, NULL);
    pop3_server_free(h.s);
    struct pop3_server_cfg cfg = {.hostname = "dewey", .max_bad = POP3_MAX_BAD};
    h.s = pop3_server_new(&cfg);
    h_server_pump(&h);
    h_clear(&h);
    for (int i = 0; i < POP3_MAX_BAD - 1; i++) h_server_send(&h, "XYZZY\r\n");
    h_server_send(&h, "CAPA\r\n"); /* a good one: the count starts again */
    assert_int_equal(pop3_server_state(h.s), POP3_S_AUTHORIZATION);
    for (int i = 0; i < POP3_MAX_BAD; i++) h_server_send(&h, "XYZZY\r\n");
    assert_int_equal(pop3_server_state(h.s), POP3_S_CLOSED);
    h_server_fini(&h);
}

static void test_pass_with_spaces(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, NULL);
    h.pass = "two words";
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(
        &h, "USER mrose\r\nPASS two words\r\nAPOP mrose 0123456789abcdef0123456789abcdef\r\n");
    assert_string_equal(h_out(&h), "+OK mrose, send PASS\r\n"
                                   "+OK mrose's maildrop has 0 messages (0 octets)\r\n"
                                   "-ERR command not valid in this state\r\n");
    h_server_fini(&h);
    /* no timestamp: the greeting offers none and APOP is refused */
    h_server_init(&h, NULL);
    h_server_pump(&h);
    assert_string_equal(h_out(&h), "+OK POP3 server ready\r\n");
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "APOP mrose 0123456789abcdef0123456789abcdef\r\n");
    assert_string_equal(h_out(&h), "-ERR APOP not available\r\n");
    h_server_fini(&h);
}

/* A reply flood: the client never reads; the engine stops reading (X5). */
static void test_backpressure(void **state)
{
    (void)state;
    struct h_server h;
    login(&h);
    static char flood[60000];
    for (size_t i = 0; i + 6 <= sizeof flood; i += 6) memcpy(flood + i, "NOOP\r\n", 6);
    size_t k = pop3_server_recv(h.s, flood, sizeof flood);
    assert_true(k > 0 && k < 3000);
    const char *p;
    size_t n = pop3_server_out(h.s, &p);
    assert_true(n <= 8192);
    assert_int_equal(n, k / 6 * 5); /* one "+OK\r\n" per "NOOP\r\n" */
    h_server_fini(&h);
}

static char *big_message(size_t lines, size_t *len)
{
    char *m = malloc(lines * 12 + 64);
    size_t o = (size_t)sprintf(m, "Subject: big\r\n\r\n");
    for (size_t i = 0; i < lines; i++) {
        o +=
            (size_t)sprintf(m + o,
                            i % 3 == 0 ? ".%07zu\r\n" : (i % 3 == 1 ? "x%07zu\r\n" : "..%06zu\r\n"),
                            i);
    }
    *len = o;
    return m;
}

/* RETR of a large message is produced piece by piece, never whole. */
static void test_retr_streams_bounded(void **state)
{
    (void)state;
    size_t len;
    char *m = big_message(100000, &len);
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h_server_add(&h, "big", m);
    h_server_send(&h, "USER mrose\r\nPASS tanstaaf\r\n");
    assert_int_equal(pop3_server_recv(h.s, "RETR 1\r\n", 8), 8);
    size_t total = 0, biggest = 0, dots = 0;
    const char *p;
    size_t n;
    char last[5] = {0};
    while ((n = pop3_server_out(h.s, &p)) > 0) {
        if (n > biggest) biggest = n;
        for (size_t i = 0; i + 2 < n; i++)
            dots += p[i] == '\n' && p[i + 1] == '.' && p[i + 2] == '.';
        memcpy(last, n >= 5 ? p + n - 5 : last, n >= 5 ? 5 : 0);
        total += n;
        pop3_server_out_done(h.s, n);
    }
    assert_true(biggest <= 4200);
    assert_memory_equal(last, "\r\n.\r\n", 5);
    /* every '.'-initial line gained one dot: 2 of every 3 lines */
    assert_int_equal(total, strlen("+OK 1300016 octets\r\n") + len + 66667 + 3);
    assert_true(dots > 60000);
    h_server_fini(&h);
    free(m);
}

/* bad-inputs X8: a web browser at the POP3 port gets an error and a close. */
static void test_http_client_at_pop3_port(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_string_equal(h_out(&h), "-ERR this is a POP3 server, not an HTTP server\r\n");
    assert_int_equal(pop3_server_state(h.s), POP3_S_CLOSED);
    assert_string_equal(h.events, "HTTP:err:AUTHORIZATION>CLOSED;"); /* the engine names it */
    assert_int_equal(h.closes, 1);
    h_server_fini(&h);
}

/* The COMMAND event of QUIT comes before the CLOSE event; bad cfg strings
 * never reach the wire. */
static void test_event_order_and_cfg(void **state)
{
    (void)state;
    struct pop3_server_cfg cfg = {.hostname = "evil\r\n+OK", .timestamp = "<a\r\nb>"};
    struct pop3_server *s = pop3_server_new(&cfg);
    const char *p;
    size_t n = pop3_server_out(s, &p);
    assert_int_equal(n, strlen("+OK POP3 server ready\r\n"));
    assert_memory_equal(p, "+OK POP3 server ready\r\n", n);
    pop3_server_out_done(s, n);
    assert_int_equal(pop3_server_recv(s, "QUIT\r\n", 6), 6);
    n = pop3_server_out(s, &p);
    assert_memory_equal(p, "+OK localhost POP3 server signing off\r\n", n);
    struct pop3_server_event ev;
    assert_true(pop3_server_event(s, &ev));
    assert_int_equal(ev.kind, POP3_EV_COMMAND);
    assert_string_equal(ev.verb, "QUIT");
    assert_string_equal(ev.reason, "localhost POP3 server signing off");
    assert_true(pop3_server_event(s, &ev));
    assert_int_equal(ev.kind, POP3_EV_CLOSE);
    assert_int_equal(ev.from, POP3_S_AUTHORIZATION);
    assert_int_equal(ev.to, POP3_S_CLOSED);
    assert_string_equal(ev.reason, "QUIT");
    assert_false(pop3_server_event(s, &ev));
    pop3_server_free(s);
}

/* Three failed logins close the session (password guessing). */
static void test_failed_logins_close(void **state)
{
    (void)state;
    struct h_server h;
    h_server_init(&h, "<1.2@test>");
    h_server_pump(&h);
    h_clear(&h);
    h_server_send(&h, "USER mrose\r\nPASS a\r\nUSER mrose\r\nPASS b\r\n"
                      "APOP mrose 0123456789abcdef0123456789abcdef\r\nUSER mrose\r\n");
    assert_string_equal(h_out(&h), "+OK mrose, send PASS\r\n"
                                   "-ERR [AUTH] invalid user name or password\r\n"
                                   "+OK mrose, send PASS\r\n"
                                   "-ERR [AUTH] invalid user name or password\r\n"
                                   "-ERR [AUTH] invalid user name or password, closing\r\n");
    assert_int_equal(pop3_server_state(h.s), POP3_S_CLOSED);
    assert_int_equal(h.auths, 3);
    h_server_fini(&h);
}

static void test_timestamp_helper(void **state)
{
    (void)state;
    char ts[64];
    assert_true(pop3_timestamp(ts, sizeof ts, 1896, 697170952, "dbc.mtview.ca.us"));
    assert_string_equal(ts, "<1896.697170952@dbc.mtview.ca.us>");
    assert_false(pop3_timestamp(ts, sizeof ts, 1, 2, "a b"));
    assert_string_equal(ts, "");
    assert_false(pop3_timestamp(ts, sizeof ts, 1, 2, "x>\r\n"));
    assert_false(pop3_timestamp(ts, 10, 1896, 697170952, "host"));
    assert_string_equal(ts, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_after_dele_deletes_nothing),
        cmocka_unit_test(test_timeout_deletes_nothing),
        cmocka_unit_test(test_quit_in_authorization),
        cmocka_unit_test(test_state_events),
        cmocka_unit_test(test_update_failure),
        cmocka_unit_test(test_locked_maildrop),
        cmocka_unit_test(test_line_limits),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_pass_with_spaces),
        cmocka_unit_test(test_stls),
        cmocka_unit_test(test_bad_command_limit),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_retr_streams_bounded),
        cmocka_unit_test(test_http_client_at_pop3_port),
        cmocka_unit_test(test_event_order_and_cfg),
        cmocka_unit_test(test_failed_logins_close),
        cmocka_unit_test(test_timestamp_helper),
    };
    return cmocka_run_group_tests_name("pop3 server", tests, NULL, NULL);
}
