/* demo.c -- the two-host, one-transfer default world. */
#include "net/demo.h"

#include <stdlib.h>

#include "net/tcp.h"

struct net_demo {
    struct net *net;
    size_t bytes, received;
    int in_order;
};

/* The byte at offset i of the demo stream: readable text lines. */
static uint8_t demo_byte(size_t i)
{
    static const char line[] = "The quick brown fox jumps over the lazy dog.\r\n";
    return (uint8_t)line[i % (sizeof line - 1)];
}

static void demo_client_connected(void *ctx, struct tcp_conn *c)
{
    struct net_demo *d = ctx;
    uint8_t chunk[4096];
    for (size_t off = 0; off < d->bytes;) {
        size_t n = d->bytes - off < sizeof chunk ? d->bytes - off : sizeof chunk;
        for (size_t i = 0; i < n; i++) chunk[i] = demo_byte(off + i);
        off += tcp_send(c, chunk, n);
    }
    tcp_close(c);
}

static void demo_sink_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct net_demo *d = ctx;
    for (size_t i = 0; i < len; i++) {
        if (data[i] != demo_byte(d->received + i)) d->in_order = 0;
    }
    d->received += len;
}

static const struct tcp_app_ops demo_client_ops = {
    .on_connected = demo_client_connected,
};

static const struct tcp_app_ops demo_sink_ops = {
    .on_data = demo_sink_data, /* on_eof NULL: close our side when the client does */
};

struct net_demo *net_demo_new(struct net *n, size_t bytes)
{
    struct net_demo *d = ms_xcalloc(1, sizeof *d);
    d->net = n;
    d->bytes = bytes;
    d->in_order = 1;
    uint32_t a = host_add(n, "alice-pc", 0, false, NULL);
    uint32_t m = host_add(n, "mail.example.org", 0, false, NULL);
    struct link_cfg cfg = {.latency_us = 20 * SIM_US_PER_MS, .bandwidth_bps = 10000000};
    link_add(n, a, m, &cfg, NULL);
    tcp_listen(n, m, 25, &demo_sink_ops, d);
    tcp_connect(n, a, m, 25, &demo_client_ops, d);
    return d;
}

size_t net_demo_received(const struct net_demo *d, int *in_order)
{
    if (in_order) *in_order = d->in_order;
    return d->received;
}

void net_demo_free(struct net_demo *d)
{
    free(d);
}
