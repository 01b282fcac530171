/* test_net.c -- hosts, addresses, links, routes, serialization delay, UDP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/evq.h"
#include "net/net.h"
#include "trace/trace.h"

static void test_hosts_and_addresses(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct net *n = net_new(q, 1, NULL);
    struct ms_error err;
    char ip[16];
    uint32_t a = host_add(n, "alice-pc", 0, false, &err);
    uint32_t b = host_add(n, "mail.example.org", 0, false, &err);
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_string_equal(net_ip_format(host_ip(n, a), ip, sizeof ip), "192.0.2.1");
    assert_string_equal(net_ip_format(host_ip(n, b), ip, sizeof ip), "192.0.2.2");
    uint32_t given;
    assert_true(net_ip_parse("192.0.2.3", 9, &given));
    uint32_t c = host_add(n, "fixed", given, false, &err);
    assert_int_equal(host_ip(n, c), 0xC0000203u);
    /* The next automatic address skips the one taken by hand. */
    uint32_t d = host_add(n, "auto", 0, false, &err);
    assert_string_equal(net_ip_format(host_ip(n, d), ip, sizeof ip), "192.0.2.4");
    /* every digit count; a short buffer truncates as snprintf does */
    assert_string_equal(net_ip_format(0xFF0A6400u, ip, sizeof ip), "255.10.100.0");
    assert_string_equal(net_ip_format(0x09636300u, ip, sizeof ip), "9.99.99.0");
    assert_string_equal(net_ip_format(0xFFFFFFFFu, ip, sizeof ip), "255.255.255.255");
    assert_string_equal(net_ip_format(0xC0000201u, ip, 6), "192.0");
    assert_int_equal(host_add(n, "alice-pc", 0, false, &err), NET_NONE);
    assert_string_equal(err.msg, "duplicate host name \"alice-pc\"");
    assert_int_equal(host_add(n, "dup-ip", given, false, &err), NET_NONE);
    assert_string_equal(err.msg, "address 192.0.2.3 of \"dup-ip\" is already used by \"fixed\"");
    assert_int_equal(host_add(n, "bad name", 0, false, &err), NET_NONE);
    assert_string_equal(err.msg,
                        "host name \"bad name\" may contain only letters, digits, '-' and '.'");
    assert_int_equal(host_add(n, "", 0, false, NULL), NET_NONE);
    assert_int_equal(host_find(n, "auto"), d);
    assert_int_equal(host_find(n, "nope"), NET_NONE);
    assert_string_equal(host_name(n, 99), "?");
    /* Dotted quads, strictly. */
    uint32_t v;
    const char *bad[] = {"1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.x", "", "1..2.3"};
    for (size_t i = 0; i < MS_ARRAY_LEN(bad); i++)
        assert_false(net_ip_parse(bad[i], strlen(bad[i]), &v));
    assert_true(net_ip_parse("0.0.0.0", 7, &v));
    /* 762 automatic addresses, then a clear error. */
    char name[32];
    size_t made = host_count(n);
    for (int i = 0; i < 800; i++) {
        snprintf(name, sizeof name, "h%d", i);
        if (host_add(n, name, 0, false, &err) == NET_NONE) break;
        made++;
    }
    assert_int_equal(made, 762); /* 3 x 254, "fixed" included */
    assert_string_equal(err.msg, "no free address left in the documentation ranges for \"h758\"");
    net_free(n);
    evq_free(q);
}

static void test_link_errors(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct net *n = net_new(q, 1, NULL);
    struct ms_error err;
    uint32_t a = host_add(n, "a", 0, false, NULL), b = host_add(n, "b", 0, false, NULL);
    struct link_cfg cfg = {.loss = 1.5};
    assert_int_equal(link_add(n, a, b, &cfg, &err), NET_NONE);
    assert_string_equal(err.msg, "loss 1.5 of link a--b is not between 0 and 1");
    cfg.loss = 0;
    cfg.mtu = 40;
    assert_int_equal(link_add(n, a, b, &cfg, &err), NET_NONE);
    assert_string_equal(err.msg, "MTU 40 of link a--b is not between 68 and 65535");
    cfg.mtu = 0;
    assert_int_equal(link_add(n, a, a, &cfg, &err), NET_NONE);
    assert_string_equal(err.msg, "link from \"a\" to itself");
    uint32_t l = link_add(n, a, b, &cfg, &err);
    assert_int_equal(l, 0);
    assert_int_equal(link_get(n, l)->mtu, 1500);
    assert_int_equal(link_add(n, b, a, &cfg, &err), NET_NONE);
    assert_string_equal(err.msg, "duplicate link b--a");
    assert_int_equal(link_find(n, b, a), l);
    net_free(n);
    evq_free(q);
}

static void test_routes(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct net *n = net_new(q, 1, NULL);
    uint32_t a = host_add(n, "a", 0, false, NULL);
    uint32_t b = host_add(n, "b", 0, false, NULL);
    uint32_t r2 = host_add(n, "r2", 0, true, NULL);
    uint32_t r1 = host_add(n, "r1", 0, true, NULL);
    uint32_t h = host_add(n, "plain", 0, false, NULL); /* not a router */
    struct link_cfg slow = {.latency_us = 100000}, fast = {.latency_us = 10000};
    link_add(n, a, b, &slow, NULL);
    link_add(n, a, r1, &fast, NULL);
    link_add(n, r1, b, &fast, NULL);
    link_add(n, a, r2, &fast, NULL);
    link_add(n, r2, b, &fast, NULL);
    link_add(n, a, h, &fast, NULL);
    link_add(n, h, b, &fast, NULL);
    /* Two equal routers: the lower host id (r2 was added first) wins; the
     * plain host never forwards. */
    assert_int_equal(net_next_hop(n, a, b), r2);
    assert_int_equal(net_path_latency(n, a, b), 20000);
    host_set_up(n, r2, false);
    assert_int_equal(net_next_hop(n, a, b), r1);
    uint32_t l = link_find(n, r1, b);
    link_set_up(n, l, false);
    assert_int_equal(net_next_hop(n, a, b), b); /* the slow direct link */
    assert_int_equal(net_path_latency(n, a, b), 100000);
    link_set_up(n, link_find(n, a, b), false);
    assert_int_equal(net_next_hop(n, a, b), NET_NONE);
    assert_int_equal(net_path_latency(n, a, b), -1);
    assert_int_equal(net_next_hop(n, a, a), a);
    net_free(n);
    evq_free(q);
}

struct got {
    int n;
    uint32_t src;
    uint16_t sport;
    char data[64];
    sim_us at;
    struct evq *q;
};

static void on_dgram(void *ctx, struct net *n, uint32_t host, uint16_t port, uint32_t src,
                     uint16_t sport, const uint8_t *data, size_t len)
{
    (void)n;
    (void)host;
    (void)port;
    struct got *g = ctx;
    g->n++;
    g->src = src;
    g->sport = sport;
    memcpy(g->data, data, len < 63 ? len : 63);
    g->data[len < 63 ? len : 63] = '\0';
    g->at = evq_now(g->q);
}

static void test_udp_and_serialization_through_router(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct trace *tr = trace_new();
    struct net *n = net_new(q, 1, NULL);
    net_set_observer(n, trace_on_netev, tr);
    uint32_t a = host_add(n, "alice-pc", 0, false, NULL);
    uint32_t r = host_add(n, "internet", 0, true, NULL);
    uint32_t d = host_add(n, "dns", 0, false, NULL);
    /* 1 Mbit/s: a 100-byte payload + 28 header bytes takes 1024 us to send. */
    struct link_cfg cfg = {.latency_us = 5000, .bandwidth_bps = 1000000};
    link_add(n, a, r, &cfg, NULL);
    link_add(n, r, d, &cfg, NULL);
    struct got g = {.q = q};
    assert_true(udp_bind(n, d, 53, on_dgram, &g));
    assert_false(udp_bind(n, d, 53, on_dgram, &g));
    char payload[100];
    memset(payload, 'q', sizeof payload);
    assert_true(udp_send(n, a, 5353, d, 53, payload, sizeof payload));
    assert_true(udp_send(n, a, 5353, d, 54, "x", 1)); /* nothing bound */
    evq_run(q, SIM_US_MAX);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.src, a);
    assert_int_equal(g.sport, 5353);
    /* Two hops of 1024 us serialization + 5 ms latency. */
    assert_int_equal(g.at, 2 * (1024 + 5000));
    /* The second datagram waited for the first on the first link. */
    size_t lost = 0, fwd = 0;
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *rec = trace_get(tr, k);
        const struct trace_seg *s = trace_as_seg(rec);
        if (rec->kind == TR_DGRAM_LOST) {
            lost++;
            assert_int_equal(s->reason, NETEV_R_NO_PORT);
        }
        if (rec->kind == TR_DGRAM_FORWARD) fwd++;
        if (rec->kind == TR_DGRAM_SENT && s->dport == 54) assert_int_equal(s->t_depart, 1024);
    }
    assert_int_equal(lost, 1);
    assert_int_equal(fwd, 2);
    char line[256];
    trace_format_line(tr, 0, line, sizeof line);
    assert_string_equal(
        line, "00:00:00.000  alice-pc -> internet  UDP 5353 -> 53 len=100 [alice-pc -> dns]");
    /* The window's latency slider: later datagrams take the new latency. */
    struct ms_error err;
    assert_false(link_change(n, 0, -1, 0, 0.0, &err));
    assert_string_equal(err.msg, "link 0: latency is negative");
    assert_false(link_change(n, 0, 1000, 0, 1.5, &err));
    assert_string_equal(err.msg, "link 0: loss is not between 0 and 1");
    assert_false(link_change(n, 9, 1000, 0, 0.0, &err));
    assert_string_equal(err.msg, "link 9: no such link");
    sim_us t0 = evq_now(q);
    assert_true(link_change(n, 0, 45000, 1000000, 0.0, NULL));
    assert_int_equal(link_get(n, 0)->latency_us, 45000);
    assert_true(udp_send(n, a, 5353, d, 53, payload, sizeof payload));
    evq_run(q, SIM_US_MAX);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.at - t0, 2 * 1024 + 45000 + 5000);
    /* Too big for the MTU: refused when sending is impossible at all. */
    assert_false(udp_send(n, a, 1, d, 53, payload, 70000));
    net_free(n);
    evq_free(q);
    trace_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hosts_and_addresses),
        cmocka_unit_test(test_link_errors),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_udp_and_serialization_through_router),
    };
    return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
