/* net.c -- hosts, links, routes, packet forwarding and UDP. */
#include <assert.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"

static void net_pkt_arrive(void *ctx, uint64_t arg);
static void net_routes_invalidate(struct net *n);

struct net *net_new(struct evq *q, uint64_t seed, const struct tcp_cfg *tcp)
{
    struct net *n = ms_xcalloc(1, sizeof *n);
    n->q = q;
    n->seed = seed;
    n->tcp = tcp ? *tcp : tcp_cfg_default();
    n->isn_rng = rng_stream(seed, "tcp-isn");
    tcp_net_init(n);
    return n;
}

void net_free(struct net *n)
{
    if (!n) return;
    tcp_net_free(n);
    /* Packets in flight are referenced by pending events: free the net only
     * once its queue will not be run again (evq_free does not run events). */
    while (n->pkt_all) {
        struct net_pkt *p = n->pkt_all;
        n->pkt_all = p->all_next;
        free(p->data);
        free(p);
    }
    while (n->udp) {
        struct udp_binding *b = n->udp;
        n->udp = b->next;
        free(b);
    }
    free(n->hosts);
    free(n->links);
    free(n->route);
    free(n->route_lat);
    free(n->route_valid);
    free(n);
}

void net_set_observer(struct net *n, netev_fn *fn, void *ctx)
{
    n->obs = fn;
    n->obs_ctx = ctx;
}

struct evq *net_evq(const struct net *n)
{
    return n->q;
}

uint64_t net_seed(const struct net *n)
{
    return n->seed;
}

void net_emit(struct net *n, const struct netev *ev)
{
    if (n->obs) n->obs(n->obs_ctx, evq_now(n->q), ev);
}

/* ---- addresses ---------------------------------------------------------------- */

/* Dotted quad, written digit by digit (every SMTP session formats its
 * client's address); truncated to buflen - 1 bytes as snprintf would. */
char *net_ip_format(uint32_t ip, char *buf, size_t buflen)
{
    char tmp[16], *o = tmp;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned v = (ip >> shift) & 255u;
        if (v >= 100) *o++ = (char)('0' + v / 100);
        if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        if (shift) *o++ = '.';
    }
    size_t n = (size_t)(o - tmp);
    if (buflen == 0) return buf;
    if (n >= buflen) n = buflen - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return buf;
}

bool net_ip_parse(const char *text, size_t len, uint32_t *out)
{
    uint32_t ip = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || text[i] != '.') return false;
            i++;
        }
        size_t d0 = i;
        unsigned v = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9' && i - d0 < 3) {
            v = v * 10 + (unsigned)(text[i] - '0');
            i++;
        }
        if (i == d0 || v > 255 || (i - d0 > 1 && text[d0] == '0')) return false;
        ip = ip << 8 | v;
    }
    if (i != len) return false;
    *out = ip;
    return true;
}

/* ---- hosts ------------------------------------------------------------------- */

static uint32_t net_assign_ip(const struct net *n)
{
    static const uint32_t nets[] = {0xC0000200u, 0xC6336400u, 0xCB007100u}; /* RFC 5737 */
    for (size_t k = 0; k < MS_ARRAY_LEN(nets); k++) {
        for (uint32_t h = 1; h <= 254; h++) {
            if (host_find_ip(n, nets[k] | h) == NET_NONE) return nets[k] | h;
        }
    }
    return 0;
}

uint32_t host_add(struct net *n, const char *name, uint32_t ipv4, bool router, struct ms_error *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > NET_NAME_MAX) {
        ms_error_set(err, 1, "host", "host name \"%.64s\" must be 1 to %d characters",
                     name ? name : "", NET_NAME_MAX);
        return NET_NONE;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.')) {
            ms_error_set(err, 1, name,
                         "host name \"%s\" may contain only letters, digits, '-' and '.'", name);
            return NET_NONE;
        }
    }
    if (host_find(n, name) != NET_NONE) {
        ms_error_set(err, 2, name, "duplicate host name \"%s\"", name);
        return NET_NONE;
    }
    if (ipv4 == 0) {
        ipv4 = net_assign_ip(n);
        if (ipv4 == 0) {
            ms_error_set(err, 3, name,
                         "no free address left in the documentation ranges for \"%s\"", name);
            return NET_NONE;
        }
    } else if (host_find_ip(n, ipv4) != NET_NONE) {
        char ip[16];
        ms_error_set(err, 2, name, "address %s of \"%s\" is already used by \"%s\"",
                     net_ip_format(ipv4, ip, sizeof ip), name, host_name(n, host_find_ip(n, ipv4)));
        return NET_NONE;
    }
    if (n->nhosts == n->hostcap) {
        n->hostcap = n->hostcap ? n->hostcap * 2 : 8;
        n->hosts = ms_xrealloc(n->hosts, n->hostcap * sizeof *n->hosts);
    }
    uint32_t id = (uint32_t)n->nhosts++;
    struct net_host *h = &n->hosts[id];
    memset(h, 0, sizeof *h);
    memcpy(h->name, name, len + 1);
    h->ipv4 = ipv4;
    h->router = router;
    h->up = true;
    h->next_port = 49152;
    net_routes_invalidate(n);
    struct netev ev = {.kind = NETEV_HOST_NEW};
    ev.u.host = (struct netev_host){id, ipv4, router ? 1u : 0u, h->name};
    net_emit(n, &ev);
    return id;
}

uint32_t host_find(const struct net *n, const char *name)
{
    for (size_t i = 0; i < n->nhosts; i++) {
        if (strcmp(n->hosts[i].name, name) == 0) return (uint32_t)i;
    }
    return NET_NONE;
}

uint32_t host_find_ip(const struct net *n, uint32_t ipv4)
{
    for (size_t i = 0; i < n->nhosts; i++) {
        if (n->hosts[i].ipv4 == ipv4) return (uint32_t)i;
    }
    return NET_NONE;
}

size_t host_count(const struct net *n)
{
    return n->nhosts;
}

const char *host_name(const struct net *n, uint32_t id)
{
    return id < n->nhosts ? n->hosts[id].name : "?";
}

uint32_t host_ip(const struct net *n, uint32_t id)
{
    return id < n->nhosts ? n->hosts[id].ipv4 : 0;
}

bool host_is_up(const struct net *n, uint32_t id)
{
    return id < n->nhosts && n->hosts[id].up;
}

bool host_is_router(const struct net *n, uint32_t id)
{
    return id < n->nhosts && n->hosts[id].router;
}

void host_set_up(struct net *n, uint32_t id, bool up)
{
    if (id >= n->nhosts || n->hosts[id].up == up) return;
    n->hosts[id].up = up;
    net_routes_invalidate(n);
    struct netev ev = {.kind = up ? NETEV_HOST_UP : NETEV_HOST_DOWN};
    ev.u.host = (struct netev_host){id, n->hosts[id].ipv4, n->hosts[id].router, n->hosts[id].name};
    net_emit(n, &ev);
    if (!up) tcp_host_down(n, id);
}

/* ---- links ------------------------------------------------------------------- */

uint32_t link_add(struct net *n, uint32_t a, uint32_t b, const struct link_cfg *cfg,
                  struct ms_error *err)
{
    if (a >= n->nhosts || b >= n->nhosts) {
        ms_error_set(err, 1, "link", "link between unknown hosts (%u, %u)", a, b);
        return NET_NONE;
    }
    if (a == b) {
        ms_error_set(err, 1, "link", "link from \"%s\" to itself", host_name(n, a));
        return NET_NONE;
    }
    if (!(cfg->loss >= 0.0 && cfg->loss <= 1.0)) {
        ms_error_set(err, 1, "link", "loss %g of link %s--%s is not between 0 and 1", cfg->loss,
                     host_name(n, a), host_name(n, b));
        return NET_NONE;
    }
    if (cfg->latency_us < 0) {
        ms_error_set(err, 1, "link", "negative latency on link %s--%s", host_name(n, a),
                     host_name(n, b));
        return NET_NONE;
    }
    uint32_t mtu = cfg->mtu ? cfg->mtu : NET_MTU_DEFAULT;
    if (mtu < NET_MTU_MIN || mtu > 65535) {
        ms_error_set(err, 1, "link", "MTU %u of link %s--%s is not between %d and 65535", mtu,
                     host_name(n, a), host_name(n, b), NET_MTU_MIN);
        return NET_NONE;
    }
    if (link_find(n, a, b) != NET_NONE) {
        ms_error_set(err, 2, "link", "duplicate link %s--%s", host_name(n, a), host_name(n, b));
        return NET_NONE;
    }
    if (n->nlinks == n->linkcap) {
        n->linkcap = n->linkcap ? n->linkcap * 2 : 8;
        n->links = ms_xrealloc(n->links, n->linkcap * sizeof *n->links);
    }
    uint32_t id = (uint32_t)n->nlinks++;
    struct net_link *l = &n->links[id];
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->cfg.mtu = mtu;
    l->a = a;
    l->b = b;
    l->up = !cfg->down;
    char key[2 * NET_NAME_MAX + 16];
    snprintf(key, sizeof key, "link-loss:%s|%s", host_name(n, a), host_name(n, b));
    l->loss_rng = rng_stream(n->seed, key);
    net_routes_invalidate(n);
    struct netev ev = {.kind = NETEV_LINK_NEW};
    ev.u.link = (struct netev_link){id, a, b, cfg->latency_us, cfg->bandwidth_bps, cfg->loss, mtu};
    net_emit(n, &ev);
    if (!l->up) {
        ev.kind = NETEV_LINK_DOWN;
        net_emit(n, &ev);
    }
    return id;
}

size_t link_count(const struct net *n)
{
    return n->nlinks;
}

uint32_t link_find(const struct net *n, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < n->nlinks; i++) {
        const struct net_link *l = &n->links[i];
        if ((l->a == a && l->b == b) || (l->a == b && l->b == a)) return (uint32_t)i;
    }
    return NET_NONE;
}

const struct link_cfg *link_get(const struct net *n, uint32_t id)
{
    return id < n->nlinks ? &n->links[id].cfg : NULL;
}

bool link_ends(const struct net *n, uint32_t id, uint32_t *a, uint32_t *b)
{
    if (id >= n->nlinks) return false;
    *a = n->links[id].a;
    *b = n->links[id].b;
    return true;
}

bool link_is_up(const struct net *n, uint32_t id)
{
    return id < n->nlinks && n->links[id].up;
}

void link_set_up(struct net *n, uint32_t id, bool up)
{
    if (id >= n->nlinks || n->links[id].up == up) return;
    struct net_link *l = &n->links[id];
    l->up = up;
    l->cfg.down = !up;
    if (!up) l->epoch++;
    net_routes_invalidate(n);
    struct netev ev = {.kind = up ? NETEV_LINK_UP : NETEV_LINK_DOWN};
    ev.u.link =
        (struct netev_link){id,          l->a,      l->b, l->cfg.latency_us, l->cfg.bandwidth_bps,
                            l->cfg.loss, l->cfg.mtu};
    net_emit(n, &ev);
}

bool link_change(struct net *n, uint32_t id, sim_us latency_us, uint64_t bandwidth_bps, double loss,
                 struct ms_error *err)
{
    const char *why = NULL;
    if (id >= n->nlinks)
        why = "no such link";
    else if (latency_us < 0)
        why = "latency is negative";
    else if (!(loss >= 0.0 && loss <= 1.0))
        why = "loss is not between 0 and 1";
    if (why) {
        char where[24];
        snprintf(where, sizeof where, "link %" PRIu32, id);
        return ms_error_set(err, 1, where, "link %" PRIu32 ": %s", id, why);
    }
    struct net_link *l = &n->links[id];
    l->cfg.latency_us = latency_us;
    l->cfg.bandwidth_bps = bandwidth_bps;
    l->cfg.loss = loss;
    net_routes_invalidate(n);
    return true;
}

/* ---- routes: Dijkstra by (latency, hops, first hop id), per source --------- */

static void net_routes_invalidate(struct net *n)
{
    if (n->route_valid) memset(n->route_valid, 0, n->route_dim);
}

static void net_routes_compute(struct net *n, uint32_t src)
{
    size_t h = n->nhosts;
    if (n->route_dim != h) {
        free(n->route);
        free(n->route_lat);
        free(n->route_valid);
        n->route = ms_xcalloc(h * h, sizeof *n->route);
        n->route_lat = ms_xcalloc(h * h, sizeof *n->route_lat);
        n->route_valid = ms_xcalloc(h, 1);
        n->route_dim = h;
    }
    sim_us *dist = n->route_lat + (size_t)src * h;
    uint32_t *first = n->route + (size_t)src * h;
    uint32_t *hops = ms_xcalloc(h, sizeof *hops);
    uint8_t *done = ms_xcalloc(h, 1);
    for (size_t i = 0; i < h; i++) {
        dist[i] = -1;
        first[i] = NET_NONE;
    }
    dist[src] = 0;
    first[src] = src;
    for (;;) {
        /* The unfinished host with the least (dist, hops, first, id). */
        size_t u = h;
        for (size_t i = 0; i < h; i++) {
            if (done[i] || dist[i] < 0) continue;
            if (u == h || dist[i] < dist[u] || (dist[i] == dist[u] && hops[i] < hops[u]) ||
                (dist[i] == dist[u] && hops[i] == hops[u] && first[i] < first[u])) {
                u = i;
            }
        }
        if (u == h) break;
        done[u] = 1;
        /* Only the source and up routers pass packets on. */
        if (u != src && !(n->hosts[u].router && n->hosts[u].up)) continue;
        for (size_t k = 0; k < n->nlinks; k++) {
            const struct net_link *l = &n->links[k];
            if (!l->up || (l->a != u && l->b != u)) continue;
            uint32_t v = l->a == u ? l->b : l->a;
            if (done[v]) continue;
            sim_us d = dist[u] + l->cfg.latency_us;
            uint32_t f = u == src ? v : first[u];
            uint32_t hp = hops[u] + 1;
            if (dist[v] < 0 || d < dist[v] || (d == dist[v] && hp < hops[v]) ||
                (d == dist[v] && hp == hops[v] && f < first[v])) {
                dist[v] = d;
                hops[v] = hp;
                first[v] = f;
            }
        }
    }
    free(hops);
    free(done);
    n->route_valid[src] = 1;
}

uint32_t net_next_hop(struct net *n, uint32_t from, uint32_t to)
{
    if (from >= n->nhosts || to >= n->nhosts) return NET_NONE;
    if (from == to) return to;
    if (n->route_dim != n->nhosts || !n->route_valid[from]) net_routes_compute(n, from);
    return n->route[(size_t)from * n->nhosts + to];
}

sim_us net_path_latency(struct net *n, uint32_t from, uint32_t to)
{
    if (net_next_hop(n, from, to) == NET_NONE) return -1;
    if (from == to) return 0;
    return n->route_lat[(size_t)from * n->nhosts + to];
}

/* ---- packets ---------------------------------------------------------------- */

struct net_pkt *net_pkt_get(struct net *n, size_t cap)
{
    struct net_pkt *p = n->pkt_free;
    if (p) {
        n->pkt_free = p->next_free;
    } else {
        p = ms_xcalloc(1, sizeof *p);
        p->all_next = n->pkt_all;
        n->pkt_all = p;
    }
    uint8_t *data = p->data;
    uint32_t pcap = p->cap;
    struct net_pkt *all_next = p->all_next;
    memset(p, 0, sizeof *p);
    p->data = data;
    p->cap = pcap;
    p->all_next = all_next;
    if (p->cap < cap) {
        p->data = ms_xrealloc(p->data, cap);
        p->cap = (uint32_t)cap;
    }
    p->net = n;
    return p;
}

void net_pkt_put(struct net *n, struct net_pkt *p)
{
    p->next_free = n->pkt_free;
    n->pkt_free = p;
}

void net_pkt_describe(const struct net_pkt *p, struct netev_seg *s)
{
    memset(s, 0, sizeof *s);
    s->conn = p->conn;
    s->src = p->src;
    s->dst = p->dst;
    s->hop_from = p->hop_from;
    s->hop_to = p->hop_to;
    s->link = p->link;
    s->sport = p->sport;
    s->dport = p->dport;
    s->seq = p->seq;
    s->ack = p->ack;
    s->window = p->window;
    s->mss = p->mss;
    s->flags = p->flags;
    s->reason = p->lost;
    s->attempt = p->attempt;
    s->t_depart = p->t_depart;
    s->t_arrive = p->t_arrive;
    s->data = p->data;
    s->len = p->len;
}

static void net_pkt_report(struct net *n, const struct net_pkt *p, enum netev_kind tcp_kind)
{
    struct netev ev;
    memset(&ev, 0, sizeof ev);
    enum netev_kind k = tcp_kind;
    if (p->proto == NET_PROTO_UDP) {
        switch (tcp_kind) {
        case NETEV_SEG_SENT:
        case NETEV_SEG_RETRANS:
            k = NETEV_DGRAM_SENT;
            break;
        case NETEV_SEG_FORWARD:
            k = NETEV_DGRAM_FORWARD;
            break;
        case NETEV_SEG_ARRIVED:
            k = NETEV_DGRAM_ARRIVED;
            break;
        default:
            k = NETEV_DGRAM_LOST;
            break;
        }
    }
    ev.kind = k;
    net_pkt_describe(p, &ev.u.seg);
    net_emit(n, &ev);
}

/* Drop p now, at hop from -> to, for reason. */
static void net_pkt_drop(struct net *n, struct net_pkt *p, uint32_t from, uint32_t to,
                         enum netev_reason reason)
{
    p->hop_from = from;
    p->hop_to = to;
    p->lost = (uint8_t)reason;
    p->t_depart = p->t_arrive = evq_now(n->q);
    net_pkt_report(n, p, NETEV_SEG_LOST);
    net_pkt_put(n, p);
}

void net_pkt_send(struct net *n, struct net_pkt *p, uint32_t from)
{
    bool origin = from == p->src;
    p->link = NET_NONE;
    p->lost = NETEV_R_NONE;
    if (!n->hosts[from].up) {
        net_pkt_drop(n, p, from, p->dst, NETEV_R_HOST_DOWN);
        return;
    }
    uint32_t next = net_next_hop(n, from, p->dst);
    if (next == NET_NONE || next == from) {
        net_pkt_drop(n, p, from, p->dst, NETEV_R_NO_ROUTE);
        return;
    }
    uint32_t lid = link_find(n, from, next);
    assert(lid != NET_NONE);
    struct net_link *l = &n->links[lid];
    p->link = lid;
    size_t bytes = (size_t)p->len + (p->proto == NET_PROTO_TCP ? NET_TCP_HDR : NET_UDP_HDR);
    if (bytes > l->cfg.mtu) {
        net_pkt_drop(n, p, from, next, NETEV_R_TOO_BIG);
        return;
    }
    sim_us now = evq_now(n->q);
    int dir = l->a == from ? 0 : 1;
    sim_us start = l->busy_until[dir] > now ? l->busy_until[dir] : now;
    sim_us tx = 0;
    if (l->cfg.bandwidth_bps) {
        /* ceil(bits * 1e6 / bps) microseconds */
        uint64_t bits = (uint64_t)bytes * 8;
        tx = (sim_us)((bits * 1000000 + l->cfg.bandwidth_bps - 1) / l->cfg.bandwidth_bps);
    }
    l->busy_until[dir] = start + tx;
    p->hop_from = from;
    p->hop_to = next;
    p->t_depart = start;
    p->t_arrive = start + tx + l->cfg.latency_us;
    p->link_epoch = l->epoch;
    if (l->cfg.loss > 0 && rng_chance(&l->loss_rng, l->cfg.loss)) p->lost = NETEV_R_LOSS;
    enum netev_kind k =
        !origin ? NETEV_SEG_FORWARD : (p->attempt > 0 ? NETEV_SEG_RETRANS : NETEV_SEG_SENT);
    uint8_t lost = p->lost;
    p->lost = NETEV_R_NONE; /* the sender does not know yet */
    net_pkt_report(n, p, k);
    p->lost = lost;
    evq_at(n->q, p->t_arrive, net_pkt_arrive, p, 0,
           p->proto == NET_PROTO_TCP ? "TCP segment arriving" : "UDP datagram arriving");
}

static void udp_input(struct net *n, struct net_pkt *p);

static void net_pkt_arrive(void *ctx, uint64_t arg)
{
    (void)arg;
    struct net_pkt *p = ctx;
    struct net *n = p->net;
    struct net_link *l = &n->links[p->link];
    if (p->lost == NETEV_R_NONE && (!l->up || l->epoch != p->link_epoch))
        p->lost = NETEV_R_LINK_DOWN;
    if (p->lost == NETEV_R_NONE && !n->hosts[p->hop_to].up) p->lost = NETEV_R_HOST_DOWN;
    if (p->lost != NETEV_R_NONE) {
        net_pkt_report(n, p, NETEV_SEG_LOST);
        net_pkt_put(n, p);
        return;
    }
    net_pkt_report(n, p, NETEV_SEG_ARRIVED);
    if (p->hop_to == p->dst) {
        if (p->proto == NET_PROTO_TCP)
            tcp_input(n, p);
        else
            udp_input(n, p);
        net_pkt_put(n, p);
        return;
    }
    if (!n->hosts[p->hop_to].router) {
        net_pkt_drop(n, p, p->hop_to, p->dst, NETEV_R_NO_ROUTE);
        return;
    }
    net_pkt_send(n, p, p->hop_to);
}

bool net_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != net_pkt_arrive) return false;
    *host = ((const struct net_pkt *)ev->ctx)->hop_to;
    return true;
}

/* ---- UDP --------------------------------------------------------------------- */

static struct udp_binding *udp_find(const struct net *n, uint32_t host, uint16_t port)
{
    for (struct udp_binding *b = n->udp; b; b = b->next) {
        if (b->host == host && b->port == port) return b;
    }
    return NULL;
}

bool udp_bind(struct net *n, uint32_t host, uint16_t port, udp_recv_fn *fn, void *ctx)
{
    if (host >= n->nhosts || udp_find(n, host, port)) return false;
    struct udp_binding *b = ms_xcalloc(1, sizeof *b);
    b->host = host;
    b->port = port;
    b->fn = fn;
    b->ctx = ctx;
    /* Append, so iteration order is creation order. */
    struct udp_binding **pp = &n->udp;
    while (*pp) pp = &(*pp)->next;
    *pp = b;
    return true;
}

void udp_unbind(struct net *n, uint32_t host, uint16_t port)
{
    for (struct udp_binding **pp = &n->udp; *pp; pp = &(*pp)->next) {
        if ((*pp)->host == host && (*pp)->port == port) {
            struct udp_binding *b = *pp;
            *pp = b->next;
            free(b);
            return;
        }
    }
}

bool udp_send(struct net *n, uint32_t host, uint16_t sport, uint32_t dst, uint16_t dport,
              const void *data, size_t len)
{
    if (host >= n->nhosts || dst >= n->nhosts || len > 65507) return false;
    struct net_pkt *p = net_pkt_get(n, len);
    p->proto = NET_PROTO_UDP;
    p->src = host;
    p->dst = dst;
    p->sport = sport;
    p->dport = dport;
    if (len) memcpy(p->data, data, len);
    p->len = (uint32_t)len;
    net_pkt_send(n, p, host);
    return true;
}

static void udp_input(struct net *n, struct net_pkt *p)
{
    struct udp_binding *b = udp_find(n, p->dst, p->dport);
    if (!b) {
        p->lost = NETEV_R_NO_PORT;
        p->t_depart = p->t_arrive = evq_now(n->q);
        p->hop_from = p->hop_to;
        net_pkt_report(n, p, NETEV_SEG_LOST);
        return;
    }
    b->fn(b->ctx, n, p->dst, p->dport, p->src, p->sport, p->data, p->len);
}
