/* test_pop3_client.c -- POP3 client engine against the server engine (RFC 1939
 * example maildrop), through a pipe cut at every byte position, plus malformed
 * server output (bad-inputs PC1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_pop3_harness.h"

static const char M1[] = "From: a@example.org\r\nSubject: one\r\n\r\nhello\r\n";
static const char M2[] = "From: c@example.org\r\nSubject: dots\r\n\r\n.\r\n..\r\n.x\r\nend";

static void rfc_server(struct h_server *h)
{
    h_server_init(h, "<1896.697170952@dbc.mtview.ca.us>");
    h_server_add(h, "uid-1", M1);
    h_server_add(h, "uid-2", M2);
}

static struct pop3_client *client(bool apop, enum pop3_client_mode mode, const char *const *known,
                                  size_t nk)
{
    struct pop3_client_cfg cfg = {.user = "mrose",
                                  .pass = "tanstaaf",
                                  .apop = apop,
                                  .mode = mode,
                                  .known_uids = known,
                                  .n_known = nk};
    struct pop3_client *c = pop3_client_new(&cfg);
    assert_non_null(c);
    return c;
}

static void test_apop_download_and_delete(void **state)
{
    (void)state;
    struct h_server h;
    rfc_server(&h);
    struct pop3_client *c = client(true, POP3_MODE_DELETE, NULL, 0);
    struct h_pipe_result r;
    h_pipe_run(&h, c, 0, &r);
    assert_string_equal(r.errors, "");
    assert_true(r.done_ok);
    assert_string_equal(r.got, "uid-1=44;uid-2=54;");
    /* unstuffed, and the missing final CRLF of M2 restored */
    assert_string_equal(r.bodies,
                        "From: a@example.org\r\nSubject: one\r\n\r\nhello\r\n|"
                        "From: c@example.org\r\nSubject: dots\r\n\r\n.\r\n..\r\n.x\r\nend\r\n|");
    assert_string_equal(h.deleted, "uid-1 uid-2");
    assert_int_equal(pop3_client_retrieved(c), 2);
    assert_int_equal(pop3_client_deleted(c), 2);
    assert_int_equal(pop3_client_state(c), POP3_C_DONE);
    pop3_client_free(c);
    h_server_fini(&h);
}

static void test_keep_mode_skips_known(void **state)
{
    (void)state;
    static const char *const known[] = {"uid-1"};
    struct h_server h;
    rfc_server(&h);
    struct pop3_client *c = client(false, POP3_MODE_KEEP, known, 1);
    struct h_pipe_result r;
    h_pipe_run(&h, c, 0, &r);
    assert_true(r.done_ok);
    assert_string_equal(r.got, "uid-2=54;");
    assert_string_equal(h.deleted, ""); /* keep mode deletes nothing */
    assert_int_equal(h.updates, 1);
    pop3_client_free(c);
    h_server_fini(&h);
}

static void test_every_split_same_result(void **state)
{
    (void)state;
    struct h_pipe_result ref, got;
    for (size_t step = 0; step < 700; step++) { /* 700 > the session's bytes */
        struct h_server h;
        rfc_server(&h);
        struct pop3_client *c = client(step % 2 == 0, POP3_MODE_DELETE, NULL, 0);
        h_pipe_run(&h, c, step, step == 0 ? &ref : &got);
        if (step > 0) {
            assert_string_equal(got.got, ref.got);
            assert_string_equal(got.bodies, ref.bodies);
            assert_string_equal(got.errors, "");
            assert_true(got.done_ok);
        }
        assert_string_equal(h.deleted, "uid-1 uid-2");
        pop3_client_free(c);
        h_server_fini(&h);
    }
}

static void test_bad_password(void **state)
{
    (void)state;
    struct h_server h;
    rfc_server(&h);
    h.pass = "other";
    struct pop3_client *c = client(false, POP3_MODE_DELETE, NULL, 0);
    struct h_pipe_result r;
    h_pipe_run(&h, c, 0, &r);
    assert_false(r.done_ok);
    assert_string_equal(r.errors, "login refused: [AUTH] invalid user name or password;");
    assert_int_equal(pop3_client_state(c), POP3_C_DONE);
    assert_int_equal(h.updates, 0);
    pop3_client_free(c);
    h_server_fini(&h);
}

/* RFC 1939 §5 (DELE): a message marked as deleted cannot be referred to
 * again in the session; the teaching switch asks for it once, gets -ERR,
 * and the session goes on to the next message and QUIT. */
static void test_retr_after_dele(void **state)
{
    (void)state;
    struct h_server h;
    rfc_server(&h);
    struct pop3_client_cfg cfg = {.user = "mrose",
                                  .pass = "tanstaaf",
                                  .mode = POP3_MODE_DELETE,
                                  .retr_after_dele = true};
    struct pop3_client *c = pop3_client_new(&cfg);
    assert_non_null(c);
    struct h_pipe_result r;
    h_pipe_run(&h, c, 0, &r);
    assert_string_equal(r.got, "uid-1=44;uid-2=54;");
    assert_string_equal(h.deleted, "uid-1 uid-2");
    assert_int_equal(pop3_client_retrieved(c), 2);
    assert_int_equal(pop3_client_state(c), POP3_C_DONE);
    pop3_client_free(c);
    h_server_fini(&h);
}

/* cfg.hold: after the download the client waits in READY (TRANSACTION on
 * the server), sends NOOP when told (RFC 1939 §5: +OK, nothing changes) and
 * QUIT when told; only QUIT's UPDATE removes the marked messages (§6). */
static void test_hold_noop_then_quit(void **state)
{
    (void)state;
    struct h_server h;
    rfc_server(&h);
    struct pop3_client_cfg cfg = {.user = "mrose",
                                  .pass = "tanstaaf",
                                  .mode = POP3_MODE_DELETE,
                                  .hold = true};
    struct pop3_client *c = pop3_client_new(&cfg);
    assert_non_null(c);
    assert_false(pop3_client_noop(c)); /* not logged in yet */
    struct h_pipe_result r;
    h_pipe_run(&h, c, 0, &r);
    assert_string_equal(r.got, "uid-1=44;uid-2=54;");
    assert_int_equal(pop3_client_state(c), POP3_C_READY);
    assert_int_equal(pop3_server_state(h.s), POP3_S_TRANSACTION);
    assert_int_equal(h.updates, 0);
    assert_true(pop3_client_noop(c));
    const char *out;
    size_t n = pop3_client_out(c, &out);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "NOOP\r\n", 6);
    assert_false(pop3_client_quit(c)); /* NOOP not answered yet */
    h_pipe_run(&h, c, 0, &r);
    assert_string_equal(r.errors, "");
    assert_int_equal(pop3_client_state(c), POP3_C_READY);
    assert_string_equal(h.deleted, "");
    assert_true(pop3_client_quit(c));
    h_pipe_run(&h, c, 0, &r);
    assert_true(r.done_ok);
    assert_int_equal(pop3_client_state(c), POP3_C_DONE);
    assert_int_equal(h.updates, 1);
    assert_string_equal(h.deleted, "uid-1 uid-2");
    pop3_client_free(c);
    h_server_fini(&h);
}

/* A held session the server times out (autologout, RFC 1939 §3): the
 * server closes without a reply and without UPDATE, the client reports the
 * close in state READY, and nothing is deleted. An empty maildrop holds
 * too. */
static void test_hold_autologout_deletes_nothing(void **state)
{
    (void)state;
    for (int empty = 0; empty < 2; empty++) {
        struct h_server h;
        if (empty)
            h_server_init(&h, "<1896.697170952@dbc.mtview.ca.us>");
        else
            rfc_server(&h);
        struct pop3_client_cfg cfg = {.user = "mrose",
                                      .pass = "tanstaaf",
                                      .mode = POP3_MODE_DELETE,
                                      .hold = true};
        struct pop3_client *c = pop3_client_new(&cfg);
        struct h_pipe_result r;
        h_pipe_run(&h, c, 0, &r);
        assert_int_equal(pop3_client_state(c), POP3_C_READY);
        assert_int_equal(pop3_client_deleted(c), empty ? 0 : 2);
        pop3_server_timeout(h.s);
        const char *out;
        assert_int_equal(pop3_server_out(h.s, &out), 0); /* no reply */
        pop3_client_closed(c);
        struct pop3_client_event ev;
        bool err = false, done = false;
        while (pop3_client_event(c, &ev)) {
            if (ev.kind == POP3_CEV_ERROR) {
                err = true;
                assert_string_equal(ev.text, "connection closed by the server in state READY");
            }
            if (ev.kind == POP3_CEV_DONE) done = !ev.ok;
        }
        assert_true(err && done);
        assert_int_equal(pop3_client_state(c), POP3_C_FAILED);
        assert_false(pop3_client_noop(c));
        assert_int_equal(h.updates, 0);
        assert_string_equal(h.deleted, "");
        pop3_client_free(c);
        h_server_fini(&h);
    }
}

/* Byte-stuffing round trip: a message whose every line starts with dots. */
static void test_stuffing_round_trip(void **state)
{
    (void)state;
    static char m[200000];
    size_t o = 0;
    for (int i = 0; o < sizeof m - 100; i++) {
        o += (size_t)sprintf(m + o, "%.*s%d\r\n", i % 5, ".....", i);
    }
    struct h_server h;
    h_server_init(&h, "<9@x>");
    h_server_add(&h, "dots", m);
    struct pop3_client *c = client(true, POP3_MODE_KEEP, NULL, 0);
    struct h_pipe_result r;
    h_pipe_run(&h, c, 1000, &r);
    assert_true(r.done_ok);
    char want[64];
    snprintf(want, sizeof want, "dots=%zu;", o);
    assert_string_equal(r.got, want);
    pop3_client_free(c);
    h_server_fini(&h);
}

/* Feed scripted server output to a client; return its errors and its output. */
static void scripted(const char *server, bool close_after, char *errors, size_t ecap, char *sent,
                     size_t scap)
{
    struct pop3_client *c = client(false, POP3_MODE_DELETE, NULL, 0);
    size_t pos = 0, len = strlen(server), so = 0;
    errors[0] = sent[0] = '\0';
    for (int i = 0; i < 10000; i++) {
        size_t k = pop3_client_recv(c, server + pos, len - pos);
        pos += k;
        struct pop3_client_event ev;
        while (pop3_client_event(c, &ev)) {
            if (ev.kind == POP3_CEV_ERROR) {
                size_t l = strlen(errors);
                snprintf(errors + l, ecap - l, "%s@%zu;", ev.text, ev.offset);
            }
        }
        const char *p;
        size_t n = pop3_client_out(c, &p);
        if (so + n < scap) {
            memcpy(sent + so, p, n);
            so += n;
            sent[so] = '\0';
        }
        pop3_client_out_done(c, n);
        if (pos == len && k == 0) break;
    }
    if (close_after) {
        pop3_client_closed(c);
        struct pop3_client_event ev;
        while (pop3_client_event(c, &ev)) {
            if (ev.kind == POP3_CEV_ERROR) {
                size_t l = strlen(errors);
                snprintf(errors + l, ecap - l, "%s;", ev.text);
            }
        }
    }
    pop3_client_free(c);
}

#define LOGIN "+OK hi\r\n+OK\r\n+OK in\r\n"

static void test_malformed_server_output(void **state)
{
    (void)state;
    static const struct {
        const char *server;
        bool close;
        const char *errors;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\n", false, "malformed status line in state GREETING@0;"},
        {"+OKAY\r\n", false, "malformed status line in state GREETING@0;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n1 \r\n.\r\n", false,
         "unique-id of 0 octets in UIDL (1..70 allowed)@36;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n1\r\n.\r\n", false, "malformed UIDL line@36;"},
        {LOGIN
         "+OK 1 10\r\n+OK\r\n1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n.\r\n",
         false, "unique-id of 71 octets in UIDL (1..70 allowed)@36;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n2 x\r\n.\r\n", false, "malformed UIDL line@36;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n1 x\r\n.\r\n+OK\r\n1 99999999999999999999\r\n.\r\n", false,
         "message size in LIST too large or malformed@49;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n1 x\r\n.\r\n+OK\r\n1 10000000000\r\n.\r\n", false,
         "message size in LIST too large or malformed@49;"},
        {LOGIN "+OK 99999999999999999999 1\r\n", false, "malformed STAT reply@21;"},
        {LOGIN "+OK 100001 1\r\n", false, "STAT count 100001 over the limit of 100000@21;"},
        {LOGIN "+OK 1 10\r\n+OK\r\n1 x\r\n.\r\n+OK\r\n1 10\r\n.\r\n+OK\r\nline\r\n", true,
         "connection closed before the end of the multi-line response;"},
    };
    for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
        char errors[512], sent[1024];
        scripted(cases[i].server, cases[i].close, errors, sizeof errors, sent, sizeof sent);
        if (strcmp(errors, cases[i].errors) != 0) fail_msg("case %zu: got '%s'", i, errors);
        /* never QUIT after a protocol error: the server must delete nothing */
        assert_null(strstr(sent, "QUIT"));
        assert_null(strstr(sent, "DELE"));
    }
}

static void test_bad_config(void **state)
{
    (void)state;
    struct pop3_client_cfg cfg = {.user = "mrose\r\nDELE 1", .pass = "x"};
    assert_null(pop3_client_new(&cfg));
    cfg.user = "";
    assert_null(pop3_client_new(&cfg));
    cfg.user = "a b";
    assert_null(pop3_client_new(&cfg));
    cfg.user = "mrose";
    cfg.pass = "x\ry";
    assert_null(pop3_client_new(&cfg));
    cfg.pass = "ok pass";
    struct pop3_client *c = pop3_client_new(&cfg);
    assert_non_null(c);
    assert_string_equal(pop3_client_state_name(pop3_client_state(c)), "GREETING");
    pop3_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apop_download_and_delete),
        cmocka_unit_test(test_keep_mode_skips_known),
        cmocka_unit_test(test_every_split_same_result),
        cmocka_unit_test(test_bad_password),
        cmocka_unit_test(test_retr_after_dele),
        cmocka_unit_test(test_hold_noop_then_quit),
        cmocka_unit_test(test_hold_autologout_deletes_nothing),
        cmocka_unit_test(test_stuffing_round_trip),
        cmocka_unit_test(test_malformed_server_output),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests_name("pop3 client", tests, NULL, NULL);
}
