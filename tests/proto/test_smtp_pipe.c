/* test_smtp_pipe.c -- the SMTP client engine and server engine talking
 * through an in-memory byte pipe: every split position, one byte at a time
 * and random chunks give the same bytes, events and outcomes (X1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/rng.h"
#include "smtp_test_util.h"

static const char body1[] = "From: Alice <alice@a.example>\r\n"
                            "To: Bob <bob@b.example>\r\n"
                            "Subject: dots\r\n"
                            "\r\n"
                            ".first line starts with a dot\r\n"
                            "..two dots\r\n"
                            ".\r\n"
                            "middle\r\n"
                            "last line without CRLF";

static const char *const rcpts1[] = {"bob@b.example", "unknown@b.example", "carol@b.example"};
static const char *const rcpts2[] = {"temp@b.example", "relay@c.example"};
static const char *const rcpts3[] = {"dave@b.example"};

static struct smtp_client_txn txns[3];

static void setup_txns(void)
{
    txns[0] = (struct smtp_client_txn){"alice@a.example", rcpts1, 3, body1, sizeof body1 - 1, NULL};
    txns[1] = (struct smtp_client_txn){"alice@a.example", rcpts2, 2, body1, sizeof body1 - 1, NULL};
    txns[2] = (struct smtp_client_txn){"", rcpts3, 1, "", 0, NULL};
}

struct fixed_chunk {
    size_t n;
};
static size_t chunk_fixed(void *st, size_t avail)
{
    (void)avail;
    return ((struct fixed_chunk *)st)->n;
}

/* Split the first delivery at position `at`, then deliver the rest whole. */
struct split_at {
    size_t at;
    size_t seen;
};
static size_t chunk_split(void *st, size_t avail)
{
    struct split_at *sp = st;
    size_t k = avail;
    if (sp->seen < sp->at && sp->seen + avail > sp->at) k = sp->at - sp->seen;
    sp->seen += k;
    return k;
}

struct rnd_chunk {
    struct rng r;
};
static size_t chunk_rand(void *st, size_t avail)
{
    struct rnd_chunk *rc = st;
    (void)avail;
    return 1 + (size_t)rng_below(&rc->r, 64);
}

static void expect_same(const struct pipe_result *a, const struct pipe_result *b)
{
    assert_int_equal(a->c2s.len, b->c2s.len);
    assert_memory_equal(a->c2s.p, b->c2s.p, a->c2s.len);
    assert_int_equal(a->s2c.len, b->s2c.len);
    assert_memory_equal(a->s2c.p, b->s2c.p, a->s2c.len);
    assert_string_equal(a->slog.p, b->slog.p);
    assert_string_equal(a->clog.p, b->clog.p);
    assert_string_equal(a->messages.p, b->messages.p);
}

static void run_variants(const struct smtp_server_cfg *scfg, const struct smtp_client_cfg *ccfg)
{
    struct pipe_result ref;
    pipe_run(scfg, ccfg, txns, 3, NULL, NULL, &ref);
    assert_true(ref.client_done);
    assert_true(ref.server_closed);
    /* one byte at a time */
    struct fixed_chunk one = {1};
    struct pipe_result r;
    pipe_run(scfg, ccfg, txns, 3, chunk_fixed, &one, &r);
    expect_same(&ref, &r);
    pipe_result_free(&r);
    /* every split position of the client's stream and the server's stream */
    size_t total = ref.c2s.len > ref.s2c.len ? ref.c2s.len : ref.s2c.len;
    for (size_t at = 1; at < total; at++) {
        struct split_at sp = {at, 0};
        pipe_run(scfg, ccfg, txns, 3, chunk_split, &sp, &r);
        expect_same(&ref, &r);
        pipe_result_free(&r);
    }
    /* random chunks, several seeds */
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct rnd_chunk rc;
        rng_seed(&rc.r, seed);
        pipe_run(scfg, ccfg, txns, 3, chunk_rand, &rc, &r);
        expect_same(&ref, &r);
        pipe_result_free(&r);
    }
    pipe_result_free(&ref);
}

static void test_pipe_pipelining(void **state)
{
    (void)state;
    setup_txns();
    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);
    struct pipe_result ref;
    pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &ref);
    /* outcomes: bob, carol, dave delivered; unknown perm; temp temp; relay perm */
    assert_int_equal(ref.outcomes[SMTP_OUT_DELIVERED], 3);
    assert_int_equal(ref.outcomes[SMTP_OUT_PERMFAIL], 2);
    assert_int_equal(ref.outcomes[SMTP_OUT_TEMPFAIL], 1);
    /* The message arrived unstuffed, with a CRLF added to the last line. */
    assert_non_null(strstr(ref.messages.p,
                           ".first line starts with a dot\r\n..two dots\r\n.\r\nmiddle\r\n"
                           "last line without CRLF\r\n\n--END--\n"));
    /* and the wire shows the stuffing */
    assert_non_null(strstr(ref.c2s.p,
                           "\r\n..first line starts with a dot\r\n...two dots\r\n..\r\nmiddle\r\n"
                           "last line without CRLF\r\n.\r\n"));
    /* pipelined group */
    assert_non_null(strstr(ref.c2s.p,
                           "MAIL FROM:<alice@a.example> SIZE=151\r\nRCPT TO:<bob@b.example>\r\n"
                           "RCPT TO:<unknown@b.example>\r\nRCPT TO:<carol@b.example>\r\nDATA\r\n"));
    /* bounce-style null sender with an empty body */
    assert_non_null(
        strstr(ref.c2s.p, "MAIL FROM:<> SIZE=0\r\nRCPT TO:<dave@b.example>\r\nDATA\r\n"));
    pipe_result_free(&ref);
    run_variants(&scfg, &ccfg);
}

static void test_pipe_no_pipelining_helo(void **state)
{
    (void)state;
    setup_txns();
    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);
    ccfg.start_with_helo = true;
    struct pipe_result ref;
    pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &ref);
    assert_int_equal(ref.outcomes[SMTP_OUT_DELIVERED], 3);
    assert_int_equal(ref.outcomes[SMTP_OUT_PERMFAIL], 2);
    assert_int_equal(ref.outcomes[SMTP_OUT_TEMPFAIL], 1);
    assert_null(strstr(ref.s2c.p, "pipelining"));
    /* all recipients of txn 2 refused: RSET, no DATA */
    assert_non_null(strstr(ref.c2s.p, "RCPT TO:<relay@c.example>\r\nRSET\r\n"));
    pipe_result_free(&ref);
    run_variants(&scfg, &ccfg);
}

static void test_pipe_auth(void **state)
{
    (void)state;
    setup_txns();
    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    scfg.ext |= SMTP_EXT_AUTH;
    scfg.auth_required = true;
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);
    for (int mech = SMTP_AUTH_PLAIN; mech <= SMTP_AUTH_LOGIN; mech++) {
        ccfg.auth = (enum smtp_auth_mech)mech;
        ccfg.auth_user = "alice";
        ccfg.auth_pass = "secret";
        struct pipe_result ref;
        pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &ref);
        assert_int_equal(ref.outcomes[SMTP_OUT_DELIVERED], 3);
        assert_non_null(strstr(ref.s2c.p, "235 2.7.0 Authentication successful\r\n"));
        pipe_result_free(&ref);
        run_variants(&scfg, &ccfg);
        ccfg.auth_pass = "wrong";
        pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &ref);
        assert_int_equal(ref.outcomes[SMTP_OUT_DELIVERED], 0);
        assert_int_equal(ref.outcomes[SMTP_OUT_PERMFAIL], 6);
        assert_non_null(strstr(ref.s2c.p, "535 5.7.8 Error: authentication failed\r\n"));
        pipe_result_free(&ref);
    }
}

/* STARTTLS against the server engine (RFC 3207): a submission server that
 * offers AUTH only inside TLS (RFC 4954 4). The client starts TLS, says EHLO
 * again, then authenticates; without STARTTLS it cannot. */
static void test_pipe_starttls(void **state)
{
    (void)state;
    setup_txns();
    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    scfg.ext |= SMTP_EXT_AUTH | SMTP_EXT_STARTTLS;
    scfg.auth_required = true;
    scfg.auth_needs_tls = true;
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);
    ccfg.auth = SMTP_AUTH_PLAIN;
    ccfg.auth_user = "alice";
    ccfg.auth_pass = "secret";
    for (int mode = SMTP_TLS_OPPORTUNISTIC; mode <= SMTP_TLS_REQUIRED; mode++) {
        ccfg.tls = (enum smtp_tls_mode)mode;
        struct pipe_result ref;
        pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &ref);
        assert_int_equal(ref.outcomes[SMTP_OUT_DELIVERED], 3);
        assert_non_null(strstr(ref.c2s.p, "EHLO client.example.org\r\nSTARTTLS\r\n"
                                          "EHLO client.example.org\r\nAUTH PLAIN "));
        assert_non_null(strstr(ref.s2c.p, "250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"));
        /* the EHLO reply inside TLS offers AUTH and not STARTTLS (§4.2) */
        const char *in_tls = strstr(ref.s2c.p, "Ready to start TLS");
        assert_non_null(strstr(in_tls, "AUTH PLAIN LOGIN"));
        assert_null(strstr(in_tls, "STARTTLS"));
        assert_true(strstr(ref.s2c.p, "AUTH") > in_tls); /* no AUTH in clear */
        pipe_result_free(&ref);
        run_variants(&scfg, &ccfg);
    }
    /* a client that does not use STARTTLS is never offered AUTH */
    ccfg.tls = SMTP_TLS_OFF;
    struct pipe_result r;
    pipe_run(&scfg, &ccfg, txns, 3, NULL, NULL, &r);
    assert_int_equal(r.outcomes[SMTP_OUT_DELIVERED], 0);
    assert_null(strstr(r.c2s.p, "AUTH"));
    assert_non_null(strstr(r.clog.p, "the server does not offer AUTH PLAIN"));
    pipe_result_free(&r);
}

/* A 60 KB message through a 2 KB client buffer: the body streams across
 * many out_done calls; then the same message against a 10 KB size limit. */
static void test_pipe_big_message_small_buffers(void **state)
{
    (void)state;
    static char big[60 * 1024];
    size_t n = 0;
    while (n + 64 <= sizeof big) {
        memcpy(big + n,
               n % 128 ? "..........stuffed line of sixty-four octets with a dot........\r\n"
                       : "plain line of sixty-four octets, no dot at its start..........\r\n",
               64);
        n += 64;
    }
    static const char *const r[] = {"bob@b.example"};
    struct smtp_client_txn t = {"alice@a.example", r, 1, big, n, NULL};
    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    scfg.out_max = 2048;
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);
    ccfg.out_max = 2048;
    struct pipe_result a, b;
    pipe_run(&scfg, &ccfg, &t, 1, NULL, NULL, &a);
    assert_int_equal(a.outcomes[SMTP_OUT_DELIVERED], 1);
    assert_int_equal(a.messages.len, n + strlen("\n--END--\n"));
    assert_memory_equal(a.messages.p, big, n);
    struct rnd_chunk rc;
    rng_seed(&rc.r, 7);
    pipe_run(&scfg, &ccfg, &t, 1, chunk_rand, &rc, &b);
    expect_same(&a, &b);
    pipe_result_free(&a);
    pipe_result_free(&b);
    /* RFC 1870: the client sees SIZE 10240 and does not even try */
    scfg.max_message_bytes = 10240;
    pipe_run(&scfg, &ccfg, &t, 1, NULL, NULL, &a);
    assert_int_equal(a.outcomes[SMTP_OUT_PERMFAIL], 1);
    assert_null(strstr(a.c2s.p, "MAIL FROM"));
    pipe_result_free(&a);
    /* without SIZE advertised the server reads it all, then 552 */
    scfg.ext &= ~(unsigned)SMTP_EXT_SIZE;
    pipe_run(&scfg, &ccfg, &t, 1, NULL, NULL, &a);
    assert_int_equal(a.outcomes[SMTP_OUT_PERMFAIL], 1);
    assert_non_null(
        strstr(a.s2c.p,
               "552 5.3.4 Message size exceeds fixed maximum message size (10240 bytes)\r\n"));
    assert_non_null(strstr(a.clog.p, "bob@b.example permanent failure 552 5.3.4"));
    pipe_result_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_pipelining),
        cmocka_unit_test(test_pipe_no_pipelining_helo),
        cmocka_unit_test(test_pipe_auth),
        cmocka_unit_test(test_pipe_starttls),
        cmocka_unit_test(test_pipe_big_message_small_buffers),
    };
    return cmocka_run_group_tests_name("smtp_pipe", tests, NULL, NULL);
}
