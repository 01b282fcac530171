/* test_tcp.c -- TCP over simulated links: a lossy 100 KB transfer, RST on a
 * closed port, connect timeout, resets when a host goes down, abort from a
 * callback, determinism of the whole trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/evq.h"
#include "net/net.h"
#include "net/tcp.h"
#include "trace/trace.h"

struct world {
    struct evq *q;
    struct net *n;
    struct trace *tr;
    uint32_t a, b;
};

static void world_init(struct world *w, uint64_t seed, double loss)
{
    w->q = evq_new();
    w->tr = trace_new();
    w->n = net_new(w->q, seed, NULL);
    net_set_observer(w->n, trace_on_netev, w->tr);
    w->a = host_add(w->n, "alice-pc", 0, false, NULL);
    w->b = host_add(w->n, "mail.example.org", 0, false, NULL);
    struct link_cfg cfg = {.latency_us = 10 * SIM_US_PER_MS,
                           .bandwidth_bps = 10000000,
                           .loss = loss};
    assert_int_not_equal(link_add(w->n, w->a, w->b, &cfg, NULL), NET_NONE);
}

static void world_free(struct world *w)
{
    net_free(w->n);
    evq_free(w->q);
    trace_free(w->tr);
}

static size_t count_kind(const struct trace *tr, enum trace_kind kind)
{
    size_t n = 0;
    for (size_t k = 0; k < trace_count(tr); k++) n += trace_get(tr, k)->kind == (uint32_t)kind;
    return n;
}

/* ---- applications --------------------------------------------------------- */

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + i / 251);
}

struct peer {
    size_t to_send;
    uint8_t *got;
    size_t ngot, cap;
    int connected, accepted, eof, closed;
    enum tcp_err err;
    sim_us closed_at;
    struct evq *q;
    int abort_on_data;
    struct tcp_conn *conn;
};

static void *peer_accept(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->accepted++;
    p->conn = c;
    return p;
}

static void peer_connected(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->connected++;
    uint8_t *buf = malloc(p->to_send ? p->to_send : 1);
    for (size_t i = 0; i < p->to_send; i++) buf[i] = pattern(i);
    assert_int_equal(tcp_send(c, buf, p->to_send), p->to_send);
    free(buf);
    tcp_close(c);
    assert_int_equal(tcp_send(c, "x", 1), 0); /* after close */
}

static void peer_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct peer *p = ctx;
    assert_true(len > 0);
    if (p->abort_on_data) {
        tcp_abort(c);
        p->closed = 1;
        return;
    }
    if (p->ngot + len > p->cap) {
        p->cap = (p->ngot + len) * 2;
        p->got = realloc(p->got, p->cap);
    }
    memcpy(p->got + p->ngot, data, len);
    p->ngot += len;
}

static void peer_eof(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->eof++;
    tcp_close(c);
}

static void peer_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct peer *p = ctx;
    p->closed++;
    p->err = err;
    p->closed_at = evq_now(p->q);
}

static const struct tcp_app_ops peer_ops = {
    .on_accept = peer_accept,
    .on_connected = peer_connected,
    .on_data = peer_data,
    .on_eof = peer_eof,
    .on_close = peer_close,
};

/* ---- tests ------------------------------------------------------------------ */

static uint64_t lossy_transfer(uint64_t seed, size_t *lost, size_t *retrans)
{
    struct world w;
    world_init(&w, seed, 0.10);
    struct peer srv = {.q = w.q}, cli = {.q = w.q, .to_send = 100 * 1024};
    assert_true(tcp_listen(w.n, w.b, 25, &peer_ops, &srv));
    assert_false(tcp_listen(w.n, w.b, 25, &peer_ops, &srv)); /* already listening */
    tcp_connect(w.n, w.a, w.b, 25, &peer_ops, &cli);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(cli.connected, 1);
    assert_int_equal(srv.accepted, 1);
    assert_int_equal(srv.ngot, 100 * 1024);
    for (size_t i = 0; i < srv.ngot; i++) {
        if (srv.got[i] != pattern(i)) fail_msg("byte %zu differs", i);
    }
    assert_int_equal(srv.eof, 1);
    assert_int_equal(cli.closed, 1);
    assert_int_equal(cli.err, TCP_ERR_OK);
    assert_int_equal(srv.closed, 1);
    assert_int_equal(srv.err, TCP_ERR_OK);
    assert_int_equal(tcp_conn_count(w.n), 0);
    assert_int_equal(evq_count(w.q), 0);
    *lost = count_kind(w.tr, TR_SEG_LOST);
    *retrans = count_kind(w.tr, TR_SEG_RETRANS);
    uint64_t h = trace_hash(w.tr);
    free(srv.got);
    world_free(&w);
    return h;
}

static void test_lossy_100k(void **state)
{
    (void)state;
    size_t lost, retrans;
    lossy_transfer(1, &lost, &retrans);
    assert_true(lost > 5); /* about 10% of ~150 packets */
    assert_true(retrans >= lost / 2);
}

static void test_determinism(void **state)
{
    (void)state;
    size_t l1, r1, l2, r2, l3, r3;
    uint64_t h1 = lossy_transfer(42, &l1, &r1);
    uint64_t h2 = lossy_transfer(42, &l2, &r2);
    uint64_t h3 = lossy_transfer(43, &l3, &r3);
    assert_int_equal(h1, h2);
    assert_int_equal(l1, l2);
    assert_int_not_equal(h1, h3);
}

static void test_rst_on_closed_port(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    struct peer cli = {.q = w.q};
    struct tcp_conn *c = tcp_connect(w.n, w.a, w.b, 26, &peer_ops, &cli);
    assert_non_null(c);
    assert_int_equal(tcp_state(c), TCP_S_SYN_SENT);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(cli.connected, 0);
    assert_int_equal(cli.closed, 1);
    assert_int_equal(cli.err, TCP_ERR_REFUSED);
    assert_string_equal(tcp_strerror(cli.err), "connection refused");
    /* SYN 10 ms + 0.032 ms serialization each way. */
    assert_true(cli.closed_at > 20 * SIM_US_PER_MS && cli.closed_at < 21 * SIM_US_PER_MS);
    assert_int_equal(count_kind(w.tr, TR_CONN_REFUSED), 1);
    int rst = 0;
    for (size_t k = 0; k < trace_count(w.tr); k++) {
        const struct trace_seg *s = trace_as_seg(trace_get(w.tr, k));
        if (s && (s->flags & NETEV_RST) && trace_get(w.tr, k)->kind == TR_SEG_SENT) {
            rst++;
            assert_int_equal(s->hop_from, w.b);
            assert_int_equal(s->flags, NETEV_RST | NETEV_ACK);
        }
    }
    assert_int_equal(rst, 1);
    assert_int_equal(tcp_conn_count(w.n), 0);
    world_free(&w);
}

static void test_connect_timeout_down_host(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    host_set_up(w.n, w.b, false);
    assert_false(host_is_up(w.n, w.b));
    struct peer cli = {.q = w.q};
    tcp_connect(w.n, w.a, w.b, 25, &peer_ops, &cli);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(cli.closed, 1);
    assert_int_equal(cli.err, TCP_ERR_TIMEOUT);
    /* SYN at 0, retries at 1, 3, 7, 15, 31 s; gives up at 63 s. */
    assert_int_equal(cli.closed_at, 63 * SIM_US_PER_S);
    assert_int_equal(count_kind(w.tr, TR_SEG_SENT), 1);
    assert_int_equal(count_kind(w.tr, TR_SEG_RETRANS), 5);
    assert_int_equal(count_kind(w.tr, TR_SEG_LOST), 6);
    assert_int_equal(count_kind(w.tr, TR_CONN_TIMEOUT), 1);
    for (size_t k = 0; k < trace_count(w.tr); k++) {
        const struct trace_seg *s = trace_as_seg(trace_get(w.tr, k));
        if (s && trace_get(w.tr, k)->kind == TR_SEG_LOST)
            assert_int_equal(s->reason, NETEV_R_HOST_DOWN);
    }
    world_free(&w);
}

struct script {
    struct world *w;
    struct tcp_conn *c;
};

static void down_b(void *ctx, uint64_t arg)
{
    struct script *s = ctx;
    host_set_up(s->w->n, s->w->b, arg != 0);
}

static void send_more(void *ctx, uint64_t arg)
{
    (void)arg;
    struct script *s = ctx;
    assert_int_equal(tcp_send(s->c, "hello\r\n", 7), 7);
}

static void *idle_accept(void *ctx, struct tcp_conn *c)
{
    (void)c;
    return ctx;
}

static void idle_connected(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->connected++;
    p->conn = c;
}

static const struct tcp_app_ops idle_ops = {
    .on_accept = idle_accept,
    .on_connected = idle_connected,
    .on_data = peer_data,
    .on_close = peer_close,
};

static void test_reset_when_host_goes_down(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    struct peer srv = {.q = w.q}, cli = {.q = w.q};
    tcp_listen(w.n, w.b, 25, &idle_ops, &srv);
    struct tcp_conn *c = tcp_connect(w.n, w.a, w.b, 25, &idle_ops, &cli);
    struct script s = {&w, c};
    evq_at(w.q, 1 * SIM_US_PER_S, down_b, &s, 0, "b down");
    evq_at(w.q, 2 * SIM_US_PER_S, send_more, &s, 0, "send");
    evq_at(w.q, 5 * SIM_US_PER_S, down_b, &s, 1, "b up");
    evq_run(w.q, SIM_US_MAX);
    /* The server's connection died with its host. */
    assert_int_equal(srv.closed, 1);
    assert_int_equal(srv.err, TCP_ERR_HOST_DOWN);
    assert_int_equal(srv.closed_at, 1 * SIM_US_PER_S);
    /* The client retransmits until the rebooted host answers with RST:
     * sends at 2 and 3 s (lost: host down), then at 5 s, just after the host
     * came back up (that event was scheduled first), which answers RST. */
    assert_int_equal(cli.connected, 1);
    assert_int_equal(cli.closed, 1);
    assert_int_equal(cli.err, TCP_ERR_RESET);
    assert_true(cli.closed_at > 5020 * SIM_US_PER_MS && cli.closed_at < 5021 * SIM_US_PER_MS);
    assert_int_equal(count_kind(w.tr, TR_SEG_RETRANS), 2);
    assert_int_equal(count_kind(w.tr, TR_HOST_DOWN), 1);
    assert_int_equal(count_kind(w.tr, TR_HOST_UP), 1);
    assert_int_equal(count_kind(w.tr, TR_CONN_RESET), 2);
    assert_int_equal(tcp_conn_count(w.n), 0);
    world_free(&w);
}

static void test_abort_in_callback(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    struct peer srv = {.q = w.q, .abort_on_data = 1}, cli = {.q = w.q, .to_send = 5000};
    tcp_listen(w.n, w.b, 25, &peer_ops, &srv);
    tcp_connect(w.n, w.a, w.b, 25, &peer_ops, &cli);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(srv.closed, 1); /* set by the test app, no on_close after abort */
    assert_int_equal(cli.closed, 1);
    assert_int_equal(cli.err, TCP_ERR_RESET);
    assert_int_equal(tcp_conn_count(w.n), 0);
    world_free(&w);
}

static void abort_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    peer_close(ctx, c, err);
    tcp_abort(c); /* harmless: the connection is already gone */
    tcp_close(c);
}

static const struct tcp_app_ops abort_on_close_ops = {
    .on_close = abort_on_close,
};

static void test_calls_inside_on_close(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    struct peer refused = {.q = w.q}, timed_out = {.q = w.q}, down = {.q = w.q};
    tcp_connect(w.n, w.a, w.b, 99, &abort_on_close_ops, &refused);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(refused.err, TCP_ERR_REFUSED);
    uint32_t c = host_add(w.n, "off", 0, false, NULL);
    struct link_cfg cfg = {.latency_us = 1000};
    link_add(w.n, w.a, c, &cfg, NULL);
    host_set_up(w.n, c, false);
    tcp_connect(w.n, w.a, c, 25, &abort_on_close_ops, &timed_out);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(timed_out.err, TCP_ERR_TIMEOUT);
    tcp_connect(w.n, w.a, w.b, 25, &abort_on_close_ops, &down);
    host_set_up(w.n, w.a, false); /* the host of a connecting client goes down */
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(refused.closed + timed_out.closed + down.closed, 3);
    assert_int_equal(down.err, TCP_ERR_HOST_DOWN);
    /* No route at all: fails at once, no SYN sent. */
    host_set_up(w.n, w.a, true);
    uint32_t island = host_add(w.n, "island", 0, false, NULL);
    struct peer unreach = {.q = w.q};
    size_t before = count_kind(w.tr, TR_SEG_SENT);
    tcp_connect(w.n, w.a, island, 25, &abort_on_close_ops, &unreach);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(unreach.err, TCP_ERR_UNREACHABLE);
    assert_string_equal(tcp_strerror(unreach.err), "no route to host");
    assert_int_equal(count_kind(w.tr, TR_SEG_SENT), before);
    assert_int_equal(tcp_conn_count(w.n), 0);
    world_free(&w);
}

static void *greet_close_accept(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->accepted++;
    assert_int_equal(tcp_send(c, "220 hi\r\n", 8), 8);
    tcp_close(c);
    return p;
}

static void close_at_once(void *ctx, struct tcp_conn *c)
{
    struct peer *p = ctx;
    p->connected++;
    assert_int_equal(tcp_send(c, "QUIT\r\n", 6), 6);
    tcp_close(c);
}

static const struct tcp_app_ops simul_ops = {
    .on_accept = greet_close_accept,
    .on_connected = close_at_once,
    .on_data = peer_data,
    .on_eof = peer_eof,
    .on_close = peer_close,
};

/* Both ends send and close at once: FINs cross (CLOSING on both sides). */
static void test_simultaneous_close(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1, 0);
    struct peer srv = {.q = w.q}, cli = {.q = w.q};
    tcp_listen(w.n, w.b, 25, &simul_ops, &srv);
    /* The client closes before the server's greeting arrives. */
    tcp_connect(w.n, w.a, w.b, 25, &simul_ops, &cli);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(srv.ngot, 6);
    assert_memory_equal(srv.got, "QUIT\r\n", 6);
    assert_int_equal(cli.ngot, 8);
    assert_memory_equal(cli.got, "220 hi\r\n", 8);
    assert_int_equal(cli.err, TCP_ERR_OK);
    assert_int_equal(srv.err, TCP_ERR_OK);
    assert_int_equal(cli.closed + srv.closed, 2);
    int closing = 0;
    char line[256];
    for (size_t k = 0; k < trace_count(w.tr); k++) {
        trace_format_line(w.tr, k, line, sizeof line);
        if (strstr(line, "TCP FIN-WAIT-1 -> CLOSING")) closing++;
    }
    assert_true(closing >= 1);
    assert_int_equal(tcp_conn_count(w.n), 0);
    free(srv.got);
    free(cli.got);
    world_free(&w);
}

static void test_headless_lines(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 7, 0);
    struct peer srv = {.q = w.q}, cli = {.q = w.q, .to_send = 10};
    tcp_listen(w.n, w.b, 25, &peer_ops, &srv);
    tcp_connect(w.n, w.a, w.b, 25, &peer_ops, &cli);
    evq_run(w.q, SIM_US_MAX);
    char line[256];
    trace_format_line(w.tr, 1, line, sizeof line);
    /* The first segment: a SYN from alice-pc with the MSS option. */
    assert_non_null(
        strstr(line, "00:00:00.000  alice-pc -> mail.example.org  TCP SYN 49152 -> 25 seq="));
    assert_non_null(strstr(line, " win=65535 len=0 mss=1460"));
    int fins = 0;
    for (size_t k = 0; k < trace_count(w.tr); k++) {
        const struct trace_seg *s = trace_as_seg(trace_get(w.tr, k));
        if (s && (s->flags & NETEV_FIN) && trace_get(w.tr, k)->kind == TR_SEG_SENT) fins++;
    }
    assert_int_equal(fins, 2); /* one close in each direction */
    free(srv.got);
    world_free(&w);
}

/* Thousands of connections open at once between the same two hosts: every
 * segment finds its own connection (by its 4-tuple), every client gets its
 * own local port, and all close cleanly. */
#define MANY 3000
struct many {
    struct peer cli[MANY], srv[MANY];
    size_t nsrv;
};

static void *many_accept(void *ctx, struct tcp_conn *c)
{
    struct many *m = ctx;
    assert_true(m->nsrv < MANY);
    struct peer *p = &m->srv[m->nsrv++];
    p->q = m->cli[0].q;
    p->conn = c;
    return p;
}

static const struct tcp_app_ops many_srv_ops = {
    .on_accept = many_accept,
    .on_data = peer_data,
    .on_eof = peer_eof,
    .on_close = peer_close,
};

static int size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void test_many_connections(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 5, 0.0);
    struct many *m = calloc(1, sizeof *m);
    for (size_t i = 0; i < MANY; i++) {
        m->cli[i].q = w.q;
        m->cli[i].to_send = 1 + (i * 37) % 2000;
    }
    assert_true(tcp_listen(w.n, w.b, 25, &many_srv_ops, m));
    uint8_t *port_seen = calloc(65536, 1);
    for (size_t i = 0; i < MANY; i++) {
        struct tcp_conn *c = tcp_connect(w.n, w.a, w.b, 25, &peer_ops, &m->cli[i]);
        uint16_t lp = tcp_local_port(c);
        assert_int_equal(port_seen[lp], 0);
        port_seen[lp] = 1;
    }
    assert_int_equal(tcp_conn_count(w.n), MANY);
    evq_run(w.q, SIM_US_MAX);
    assert_int_equal(m->nsrv, MANY);
    size_t *want = calloc(MANY, sizeof *want), *got = calloc(MANY, sizeof *got);
    for (size_t i = 0; i < MANY; i++) {
        assert_int_equal(m->cli[i].connected, 1);
        assert_int_equal(m->cli[i].closed, 1);
        assert_int_equal(m->cli[i].err, TCP_ERR_OK);
        assert_int_equal(m->srv[i].closed, 1);
        assert_int_equal(m->srv[i].err, TCP_ERR_OK);
        for (size_t k = 0; k < m->srv[i].ngot; k++)
            if (m->srv[i].got[k] != pattern(k)) fail_msg("server conn %zu byte %zu differs", i, k);
        want[i] = m->cli[i].to_send;
        got[i] = m->srv[i].ngot;
        free(m->srv[i].got);
    }
    qsort(want, MANY, sizeof *want, size_cmp);
    qsort(got, MANY, sizeof *got, size_cmp);
    assert_memory_equal(want, got, MANY * sizeof *want);
    assert_int_equal(tcp_conn_count(w.n), 0);
    assert_int_equal(count_kind(w.tr, TR_CONN_RESET), 0);
    free(want);
    free(got);
    free(port_seen);
    free(m);
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossy_100k),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_rst_on_closed_port),
        cmocka_unit_test(test_connect_timeout_down_host),
        cmocka_unit_test(test_reset_when_host_goes_down),
        cmocka_unit_test(test_abort_in_callback),
        cmocka_unit_test(test_calls_inside_on_close),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_headless_lines),
        cmocka_unit_test(test_many_connections),
    };
    return cmocka_run_group_tests_name("tcp", tests, NULL, NULL);
}
