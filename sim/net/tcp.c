/* tcp.c -- TCP endpoints (RFC 9293), RTO (RFC 6298), and the application API.
 *
 * Sequence arithmetic is modulo 2^32 (RFC 9293 §3.4): compare with tcp_lt().
 * The send buffer holds every byte from snd_una's first data byte on: the
 * unacknowledged ones, then the unsent ones. The receiver acknowledges every
 * segment at once (no delayed ACK) unless a data segment already carried the
 * ACK, and keeps out-of-order segments within its window. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_int.h"

struct tcp_listener {
    struct tcp_listener *next;
    uint32_t host;
    uint16_t port;
    const struct tcp_app_ops *ops;
    void *ctx;
};

struct tcp_ooo { /* an out-of-order segment waiting for the gap before it */
    struct tcp_ooo *next;
    uint32_t seq, len;
    uint8_t data[];
};

struct tcp_conn {
    struct tcp_conn *next, *prev;
    struct tcp_conn *hnext; /* the next in its 4-tuple chain */
    struct net *net;
    uint32_t id;
    uint32_t host, peer;
    uint16_t lport, rport;
    bool is_client;
    enum tcp_state state;
    /* application */
    const struct tcp_app_ops *ops;
    void *ctx;
    bool app_seen; /* the application knows this connection */
    bool app_gone; /* on_close delivered or aborted: no more callbacks */
    bool dead;     /* unlinked; freed when busy drops to 0 */
    int busy;      /* callbacks in progress */
    /* send side */
    uint32_t iss, snd_una, snd_nxt;
    uint32_t snd_wnd; /* the peer's advertised window */
    uint16_t mss;     /* ours, announced in our SYN */
    uint16_t peer_mss;
    uint8_t *sbuf; /* bytes from sbuf_seq on */
    size_t soff, slen, scap;
    uint32_t sbuf_seq; /* sequence number of sbuf[soff] */
    bool fin_queued, fin_sent;
    uint32_t fin_seq;
    /* receive side */
    uint32_t irs, rcv_nxt;
    bool fin_received, ooo_fin;
    uint32_t ooo_fin_seq;
    struct tcp_ooo *ooo;
    size_t ooo_bytes;
    bool ack_owed;
    /* timers */
    /* EVQ_NONE whenever not pending: cleared when they fire or stop, so
     * evq_is_set() is the cheap "armed?" test. */
    evq_handle rto_timer, tw_timer, fail_timer;
    sim_us rto, srtt, rttvar;
    bool rtt_valid, timing;
    uint32_t timed_seq;
    sim_us timed_at;
    uint32_t retries;
    enum tcp_err fail_err;
};

static const char *const tcp_state_names[TCP_S_COUNT] = {
    "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
};

static const char *const tcp_err_texts[TCP_ERR_COUNT] = {
#define TCP_ERR_TEXT(name, text) text,
    TCP_ERR_MAP(TCP_ERR_TEXT)
#undef TCP_ERR_TEXT
};

static void tcp_output(struct tcp_conn *c);
static void tcp_rto_fire(void *ctx, uint64_t arg);
static void tcp_send_seg(struct tcp_conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
                         uint32_t len, uint8_t attempt);

static inline bool tcp_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static inline bool tcp_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}

const char *tcp_state_name(enum tcp_state s)
{
    return (unsigned)s < TCP_S_COUNT ? tcp_state_names[s] : "?";
}

const char *tcp_strerror(enum tcp_err err)
{
    return (unsigned)err < TCP_ERR_COUNT ? tcp_err_texts[err] : "?";
}

struct tcp_cfg tcp_cfg_default(void)
{
    struct tcp_cfg c = {
        .mss = 1460,
        .window = 65535,
        .rto_initial_us = SIM_US_PER_S,
        .rto_min_us = SIM_US_PER_S,
        .rto_max_us = 60 * SIM_US_PER_S,
        .syn_retries = 5,
        .data_retries = 8,
        .time_wait_us = 2 * SIM_US_PER_S,
        .send_buffer_max = 16u << 20,
    };
    return c;
}

void tcp_net_init(struct net *n)
{
    n->next_conn_id = 1;
}

/* ---- finding connections --------------------------------------------------- */

/* Every packet finds its connection by its 4-tuple and every connect looks
 * for a free local port, so both are hash lookups, O(1) however many
 * connections a busy day holds open. The 4-tuple table chains connections
 * in creation order, so a lookup finds what a scan of the list in creation
 * order would. The port table counts, per (host, local port), the
 * connections using it. */
struct tcp_port_use {
    uint64_t key; /* (host << 16 | port) + 1; 0 marks an empty slot */
    uint32_t count;
};

static uint64_t tcp_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdu;
    x ^= x >> 33;
    return x;
}

static size_t tcp_tuple_slot(const struct net *n, uint32_t host, uint16_t lport, uint32_t peer,
                             uint16_t rport)
{
    uint64_t k = ((uint64_t)host << 32 | peer) * 0x9e3779b97f4a7c15u;
    k ^= (uint64_t)lport << 16 | rport;
    return (size_t)tcp_mix(k) & (n->conn_tab_cap - 1);
}

static void tcp_tab_append(struct net *n, struct tcp_conn *c)
{
    struct tcp_conn **pp = &n->conn_tab[tcp_tuple_slot(n, c->host, c->lport, c->peer, c->rport)];
    while (*pp) pp = &(*pp)->hnext;
    c->hnext = NULL;
    *pp = c;
}

/* Add c (already on the list, at its tail) to the 4-tuple table. */
static void tcp_tab_add(struct net *n, struct tcp_conn *c)
{
    if (n->nconns > n->conn_tab_cap) { /* load at most 1: rehash in creation order */
        free(n->conn_tab);
        n->conn_tab_cap = n->conn_tab_cap ? n->conn_tab_cap * 2 : 64;
        n->conn_tab = ms_xcalloc(n->conn_tab_cap, sizeof *n->conn_tab);
        for (struct tcp_conn *o = n->conns; o; o = o->next) tcp_tab_append(n, o);
        return;
    }
    tcp_tab_append(n, c);
}

static void tcp_tab_remove(struct net *n, struct tcp_conn *c)
{
    struct tcp_conn **pp = &n->conn_tab[tcp_tuple_slot(n, c->host, c->lport, c->peer, c->rport)];
    while (*pp != c) pp = &(*pp)->hnext;
    *pp = c->hnext;
}

static size_t tcp_port_home(const struct net *n, uint64_t key)
{
    return (size_t)tcp_mix(key) & (n->ports_cap - 1);
}

/* The slot holding key, or the empty one where it would go. */
static size_t tcp_port_find(const struct net *n, uint64_t key)
{
    size_t i = tcp_port_home(n, key);
    while (n->ports[i].key != 0 && n->ports[i].key != key) i = (i + 1) & (n->ports_cap - 1);
    return i;
}

static uint64_t tcp_port_key(uint32_t host, uint16_t port)
{
    return ((uint64_t)host << 16 | port) + 1;
}

static void tcp_port_take(struct net *n, uint32_t host, uint16_t port)
{
    if (2 * (n->nports + 1) > n->ports_cap) {
        struct tcp_port_use *old = n->ports;
        size_t oldcap = n->ports_cap;
        n->ports_cap = oldcap ? oldcap * 2 : 64;
        n->ports = ms_xcalloc(n->ports_cap, sizeof *n->ports);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].key) n->ports[tcp_port_find(n, old[i].key)] = old[i];
        free(old);
    }
    uint64_t key = tcp_port_key(host, port);
    size_t i = tcp_port_find(n, key);
    if (n->ports[i].key == 0) {
        n->ports[i].key = key;
        n->nports++;
    }
    n->ports[i].count++;
}

static void tcp_port_release(struct net *n, uint32_t host, uint16_t port)
{
    size_t mask = n->ports_cap - 1, i = tcp_port_find(n, tcp_port_key(host, port));
    assert(n->ports[i].key != 0);
    if (--n->ports[i].count > 0) return;
    /* Delete by shifting later members of the cluster back over the hole
     * when their home does not lie cyclically in (hole, j]. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; n->ports[j].key != 0; j = (j + 1) & mask) {
        size_t home = tcp_port_home(n, n->ports[j].key);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            n->ports[hole] = n->ports[j];
            hole = j;
        }
    }
    n->ports[hole].key = 0;
    n->ports[hole].count = 0;
    n->nports--;
}

/* ---- connection objects -------------------------------------------------- */

static struct tcp_conn *tcp_conn_new(struct net *n, uint32_t host, uint32_t peer, uint16_t lport,
                                     uint16_t rport, bool client, uint32_t id)
{
    struct tcp_conn *c = ms_xcalloc(1, sizeof *c);
    c->net = n;
    c->id = id;
    c->host = host;
    c->peer = peer;
    c->lport = lport;
    c->rport = rport;
    c->is_client = client;
    c->state = TCP_S_CLOSED;
    c->iss = (uint32_t)rng_next(&n->isn_rng);
    c->snd_una = c->snd_nxt = c->iss;
    c->sbuf_seq = c->iss + 1;
    c->rto = n->tcp.rto_initial_us;
    /* Our MSS: the configured one, capped by the first hop's MTU. */
    c->mss = n->tcp.mss;
    uint32_t nh = net_next_hop(n, host, peer);
    uint32_t lid = nh == NET_NONE ? NET_NONE : link_find(n, host, nh);
    if (lid != NET_NONE && n->links[lid].cfg.mtu - NET_TCP_HDR < c->mss)
        c->mss = (uint16_t)(n->links[lid].cfg.mtu - NET_TCP_HDR);
    c->peer_mss = 536; /* RFC 9293 §3.7.1 default until the SYN says otherwise */
    c->prev = n->conns_tail;
    if (n->conns_tail)
        n->conns_tail->next = c;
    else
        n->conns = c;
    n->conns_tail = c;
    n->nconns++;
    tcp_tab_add(n, c);
    tcp_port_take(n, host, lport);
    return c;
}

static void tcp_conn_destroy(struct tcp_conn *c)
{
    while (c->ooo) {
        struct tcp_ooo *o = c->ooo;
        c->ooo = o->next;
        free(o);
    }
    free(c->sbuf);
    free(c);
}

/* Unlink c and cancel its timers; free it now or when its callbacks return. */
static void tcp_conn_kill(struct tcp_conn *c)
{
    if (c->dead) return;
    struct net *n = c->net;
    c->dead = true;
    c->app_gone = true;
    evq_cancel(n->q, c->rto_timer);
    evq_cancel(n->q, c->tw_timer);
    evq_cancel(n->q, c->fail_timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        n->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        n->conns_tail = c->prev;
    n->nconns--;
    tcp_tab_remove(n, c);
    tcp_port_release(n, c->host, c->lport);
    if (c->busy == 0) tcp_conn_destroy(c);
}

void tcp_net_free(struct net *n)
{
    while (n->conns) {
        struct tcp_conn *c = n->conns;
        n->conns = c->next;
        tcp_conn_destroy(c);
    }
    n->conns_tail = NULL;
    n->nconns = 0;
    free(n->conn_tab);
    n->conn_tab = NULL;
    n->conn_tab_cap = 0;
    free(n->ports);
    n->ports = NULL;
    n->ports_cap = n->nports = 0;
    while (n->listeners) {
        struct tcp_listener *l = n->listeners;
        n->listeners = l->next;
        free(l);
    }
}

static void tcp_enter_state(struct tcp_conn *c, enum tcp_state s)
{
    if (c->state == s) return;
    struct netev ev = {.kind = NETEV_TCP_STATE};
    ev.u.state =
        (struct netev_state){c->id, c->host, tcp_state_names[c->state], tcp_state_names[s]};
    c->state = s;
    net_emit(c->net, &ev);
}

static void tcp_emit_conn(struct tcp_conn *c, enum netev_kind kind, enum netev_reason reason)
{
    struct netev ev = {.kind = kind};
    ev.u.conn.conn = c->id;
    ev.u.conn.host = c->host;
    ev.u.conn.client = c->is_client ? c->host : c->peer;
    ev.u.conn.server = c->is_client ? c->peer : c->host;
    ev.u.conn.cport = c->is_client ? c->lport : c->rport;
    ev.u.conn.sport = c->is_client ? c->rport : c->lport;
    ev.u.conn.reason = reason;
    net_emit(c->net, &ev);
}

/* Tell the application (once) that c is gone, then kill c. */
static void tcp_finish(struct tcp_conn *c, enum tcp_err err)
{
    if (c->dead) return;
    if (c->app_seen && !c->app_gone && c->ops && c->ops->on_close) {
        c->app_gone = true;
        c->busy++;
        c->ops->on_close(c->ctx, c, err);
        c->busy--;
        if (c->dead) { /* the application called tcp_abort() in on_close */
            if (c->busy == 0) tcp_conn_destroy(c);
            return;
        }
    }
    c->app_gone = true;
    tcp_conn_kill(c);
}

/* ---- timers -------------------------------------------------------------- */

static void tcp_rto_arm(struct tcp_conn *c)
{
    evq_cancel(c->net->q, c->rto_timer);
    c->rto_timer = evq_after(c->net->q, c->rto, tcp_rto_fire, c, 0, "TCP retransmission timer");
}

static void tcp_rto_stop(struct tcp_conn *c)
{
    evq_cancel(c->net->q, c->rto_timer);
    c->rto_timer = EVQ_NONE;
}

static sim_us tcp_clamp_rto(const struct net *n, sim_us rto)
{
    if (rto < n->tcp.rto_min_us) rto = n->tcp.rto_min_us;
    if (rto > n->tcp.rto_max_us) rto = n->tcp.rto_max_us;
    return rto;
}

/* RFC 6298 §2.2-2.3: a new round-trip sample r. */
static void tcp_rtt_sample(struct tcp_conn *c, sim_us r)
{
    if (!c->rtt_valid) {
        c->srtt = r;
        c->rttvar = r / 2;
        c->rtt_valid = true;
    } else {
        sim_us d = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + d) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
    }
    sim_us k = 4 * c->rttvar;
    if (k < 1000) k = 1000; /* clock granularity G = 1 ms */
    c->rto = tcp_clamp_rto(c->net, c->srtt + k);
}

static void tcp_time_wait_fire(void *ctx, uint64_t arg)
{
    (void)arg;
    struct tcp_conn *c = ctx;
    c->tw_timer = EVQ_NONE;
    tcp_enter_state(c, TCP_S_CLOSED);
    tcp_conn_kill(c);
}

static void tcp_enter_time_wait(struct tcp_conn *c)
{
    tcp_rto_stop(c);
    tcp_enter_state(c, TCP_S_TIME_WAIT);
    tcp_emit_conn(c, NETEV_CONN_CLOSED, NETEV_R_NONE);
    evq_cancel(c->net->q, c->tw_timer);
    c->tw_timer = evq_after(c->net->q, c->net->tcp.time_wait_us, tcp_time_wait_fire, c, 0,
                            "TCP TIME-WAIT (2 MSL)");
    /* For the application the connection is over. */
    if (c->app_seen && !c->app_gone && c->ops && c->ops->on_close) {
        c->app_gone = true;
        c->busy++;
        c->ops->on_close(c->ctx, c, TCP_ERR_OK);
        c->busy--;
        if (c->dead && c->busy == 0) tcp_conn_destroy(c);
    }
    c->app_gone = true;
}

/* ---- output ---------------------------------------------------------------- */

static void tcp_send_seg(struct tcp_conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
                         uint32_t len, uint8_t attempt)
{
    struct net *n = c->net;
    struct net_pkt *p = net_pkt_get(n, len);
    p->proto = NET_PROTO_TCP;
    p->conn = c->id;
    p->src = c->host;
    p->dst = c->peer;
    p->sport = c->lport;
    p->dport = c->rport;
    p->seq = seq;
    p->flags = flags;
    if (flags & NETEV_ACK) p->ack = c->rcv_nxt;
    p->window = n->tcp.window;
    if (flags & NETEV_SYN) p->mss = c->mss;
    p->attempt = attempt;
    if (len) memcpy(p->data, data, len);
    p->len = len;
    if (flags & NETEV_ACK) c->ack_owed = false;
    net_pkt_send(n, p, c->host);
}

/* Bytes of data not yet sent. */
static size_t tcp_unsent(const struct tcp_conn *c)
{
    uint32_t sent = c->snd_nxt - c->sbuf_seq; /* data bytes in flight */
    if (tcp_lt(c->snd_nxt, c->sbuf_seq)) sent = 0;
    return c->slen > sent ? c->slen - sent : 0;
}

static uint16_t tcp_eff_mss(const struct tcp_conn *c)
{
    return c->mss < c->peer_mss ? c->mss : c->peer_mss;
}

static void tcp_output(struct tcp_conn *c)
{
    if (c->dead) return;
    enum tcp_state s = c->state;
    if (s != TCP_S_ESTABLISHED && s != TCP_S_CLOSE_WAIT) return;
    struct net *n = c->net;
    uint32_t wnd = c->snd_wnd < n->tcp.window ? c->snd_wnd : n->tcp.window;
    for (;;) {
        size_t unsent = tcp_unsent(c);
        uint32_t inflight = c->snd_nxt - c->snd_una;
        if (unsent == 0 || inflight >= wnd) break;
        size_t len = unsent;
        if (len > tcp_eff_mss(c)) len = tcp_eff_mss(c);
        if (len > wnd - inflight) len = wnd - inflight;
        size_t off = c->soff + (c->snd_nxt - c->sbuf_seq);
        uint8_t flags = NETEV_ACK | (len == unsent ? NETEV_PSH : 0);
        if (!evq_is_set(c->rto_timer)) tcp_rto_arm(c);
        if (!c->timing) {
            c->timing = true;
            c->timed_seq = c->snd_nxt + (uint32_t)len;
            c->timed_at = evq_now(n->q);
        }
        uint32_t seq = c->snd_nxt;
        c->snd_nxt += (uint32_t)len;
        tcp_send_seg(c, flags, seq, c->sbuf + off, (uint32_t)len, 0);
    }
    if (c->fin_queued && !c->fin_sent && tcp_unsent(c) == 0) {
        c->fin_sent = true;
        c->fin_seq = c->snd_nxt;
        c->snd_nxt++;
        tcp_enter_state(c, s == TCP_S_ESTABLISHED ? TCP_S_FIN_WAIT_1 : TCP_S_LAST_ACK);
        if (!evq_is_set(c->rto_timer)) tcp_rto_arm(c);
        tcp_send_seg(c, NETEV_FIN | NETEV_ACK, c->fin_seq, NULL, 0, 0);
    }
}

/* Retransmit the earliest unacknowledged segment (RFC 6298 §5.4). */
static void tcp_retransmit(struct tcp_conn *c)
{
    uint8_t attempt = c->retries > 255 ? 255 : (uint8_t)c->retries;
    switch (c->state) {
    case TCP_S_SYN_SENT:
        tcp_send_seg(c, NETEV_SYN, c->iss, NULL, 0, attempt);
        return;
    case TCP_S_SYN_RECEIVED:
        tcp_send_seg(c, NETEV_SYN | NETEV_ACK, c->iss, NULL, 0, attempt);
        return;
    default:
        break;
    }
    size_t outstanding = c->snd_nxt - c->snd_una;
    if (outstanding == 0) return;
    if (c->fin_sent && c->snd_una == c->fin_seq) {
        tcp_send_seg(c, NETEV_FIN | NETEV_ACK, c->fin_seq, NULL, 0, attempt);
        return;
    }
    size_t data_out = c->fin_sent ? c->fin_seq - c->snd_una : outstanding;
    size_t len = data_out < tcp_eff_mss(c) ? data_out : tcp_eff_mss(c);
    size_t off = c->soff + (c->snd_una - c->sbuf_seq);
    uint8_t flags = NETEV_ACK | NETEV_PSH;
    if (c->fin_sent && c->snd_una + len == c->fin_seq) flags |= NETEV_FIN;
    tcp_send_seg(c, flags, c->snd_una, c->sbuf + off, (uint32_t)len, attempt);
}

static void tcp_rto_fire(void *ctx, uint64_t arg)
{
    (void)arg;
    struct tcp_conn *c = ctx;
    struct net *n = c->net;
    c->rto_timer = EVQ_NONE;
    c->retries++;
    bool handshake = c->state == TCP_S_SYN_SENT || c->state == TCP_S_SYN_RECEIVED;
    uint32_t limit = handshake ? n->tcp.syn_retries : n->tcp.data_retries;
    if (c->retries > limit) {
        tcp_emit_conn(c, NETEV_CONN_TIMEOUT, NETEV_R_NONE);
        tcp_enter_state(c, TCP_S_CLOSED);
        tcp_finish(c, TCP_ERR_TIMEOUT);
        return;
    }
    c->timing = false; /* Karn: never time a retransmitted segment */
    c->rto = c->rto * 2 > n->tcp.rto_max_us ? n->tcp.rto_max_us : c->rto * 2;
    tcp_rto_arm(c);
    tcp_retransmit(c);
}

/* ---- the application API --------------------------------------------------- */

static struct tcp_listener *tcp_find_listener(const struct net *n, uint32_t host, uint16_t port)
{
    for (struct tcp_listener *l = n->listeners; l; l = l->next) {
        if (l->host == host && l->port == port) return l;
    }
    return NULL;
}

bool tcp_listen(struct net *n, uint32_t host, uint16_t port, const struct tcp_app_ops *ops,
                void *ctx)
{
    if (host >= n->nhosts || tcp_find_listener(n, host, port)) return false;
    struct tcp_listener *l = ms_xcalloc(1, sizeof *l);
    l->host = host;
    l->port = port;
    l->ops = ops;
    l->ctx = ctx;
    struct tcp_listener **pp = &n->listeners;
    while (*pp) pp = &(*pp)->next;
    *pp = l;
    return true;
}

bool tcp_listening(const struct net *n, uint32_t host, uint16_t port)
{
    return tcp_find_listener(n, host, port) != NULL;
}

void tcp_unlisten(struct net *n, uint32_t host, uint16_t port)
{
    for (struct tcp_listener **pp = &n->listeners; *pp; pp = &(*pp)->next) {
        if ((*pp)->host == host && (*pp)->port == port) {
            struct tcp_listener *l = *pp;
            *pp = l->next;
            free(l);
            return;
        }
    }
}

static struct tcp_conn *tcp_lookup(const struct net *n, uint32_t host, uint16_t lport,
                                   uint32_t peer, uint16_t rport)
{
    if (n->nconns == 0) return NULL;
    for (struct tcp_conn *c = n->conn_tab[tcp_tuple_slot(n, host, lport, peer, rport)]; c;
         c = c->hnext) {
        if (c->host == host && c->lport == lport && c->peer == peer && c->rport == rport) return c;
    }
    return NULL;
}

static bool tcp_port_used(const struct net *n, uint32_t host, uint16_t port)
{
    if (n->nports && n->ports[tcp_port_find(n, tcp_port_key(host, port))].key != 0) return true;
    return tcp_find_listener(n, host, port) != NULL;
}

static void tcp_fail_fire(void *ctx, uint64_t arg)
{
    (void)arg;
    struct tcp_conn *c = ctx;
    c->fail_timer = EVQ_NONE;
    tcp_finish(c, c->fail_err);
}

struct tcp_conn *tcp_connect(struct net *n, uint32_t host, uint32_t dst, uint16_t port,
                             const struct tcp_app_ops *ops, void *ctx)
{
    assert(host < n->nhosts && dst < n->nhosts);
    struct net_host *h = &n->hosts[host];
    uint16_t lport = h->next_port;
    for (int tries = 0; tries < 16384 && tcp_port_used(n, host, lport); tries++)
        lport = lport == 65535 ? 49152 : (uint16_t)(lport + 1);
    h->next_port = lport == 65535 ? 49152 : (uint16_t)(lport + 1);
    struct tcp_conn *c = tcp_conn_new(n, host, dst, lport, port, true, n->next_conn_id++);
    c->ops = ops;
    c->ctx = ctx;
    c->app_seen = true;
    if (!h->up || net_next_hop(n, host, dst) == NET_NONE) {
        /* As a local stack does: no SYN leaves, connect() fails at once. */
        c->fail_err = h->up ? TCP_ERR_UNREACHABLE : TCP_ERR_HOST_DOWN;
        c->fail_timer = evq_after(n->q, 0, tcp_fail_fire, c, 0, "TCP connect failure report");
        return c;
    }
    tcp_enter_state(c, TCP_S_SYN_SENT);
    c->snd_nxt = c->iss + 1;
    tcp_rto_arm(c);
    c->timing = true;
    c->timed_seq = c->iss + 1;
    c->timed_at = evq_now(n->q);
    tcp_send_seg(c, NETEV_SYN, c->iss, NULL, 0, 0);
    return c;
}

size_t tcp_send(struct tcp_conn *c, const void *data, size_t len)
{
    if (c->dead || c->fin_queued || len == 0) return 0;
    size_t max = c->net->tcp.send_buffer_max;
    size_t room = c->slen < max ? max - c->slen : 0;
    if (len > room) len = room;
    if (len == 0) return 0;
    if (c->soff + c->slen + len > c->scap) {
        if (c->soff > 0) { /* compact first */
            memmove(c->sbuf, c->sbuf + c->soff, c->slen);
            c->soff = 0;
        }
        if (c->slen + len > c->scap) {
            size_t nc = c->scap ? c->scap : 4096;
            while (nc < c->slen + len) nc *= 2;
            c->sbuf = ms_xrealloc(c->sbuf, nc);
            c->scap = nc;
        }
    }
    memcpy(c->sbuf + c->soff + c->slen, data, len);
    c->slen += len;
    tcp_output(c);
    return len;
}

void tcp_close(struct tcp_conn *c)
{
    if (c->dead || c->fin_queued) return;
    c->fin_queued = true;
    tcp_output(c);
}

void tcp_abort(struct tcp_conn *c)
{
    if (c->dead) return;
    c->app_gone = true;
    switch (c->state) {
    case TCP_S_SYN_RECEIVED:
    case TCP_S_ESTABLISHED:
    case TCP_S_FIN_WAIT_1:
    case TCP_S_FIN_WAIT_2:
    case TCP_S_CLOSE_WAIT:
        tcp_send_seg(c, NETEV_RST | NETEV_ACK, c->snd_nxt, NULL, 0, 0);
        break;
    default:
        break;
    }
    if (c->state != TCP_S_CLOSED && c->state != TCP_S_TIME_WAIT) {
        tcp_emit_conn(c, NETEV_CONN_RESET, NETEV_R_ABORT);
        tcp_enter_state(c, TCP_S_CLOSED);
    }
    tcp_conn_kill(c);
}

void tcp_set_app(struct tcp_conn *c, const struct tcp_app_ops *ops, void *ctx)
{
    c->ops = ops;
    c->ctx = ctx;
}

uint32_t tcp_conn_id(const struct tcp_conn *c)
{
    return c->id;
}
uint32_t tcp_local_host(const struct tcp_conn *c)
{
    return c->host;
}
uint32_t tcp_remote_host(const struct tcp_conn *c)
{
    return c->peer;
}

bool tcp_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != tcp_rto_fire && ev->fn != tcp_time_wait_fire && ev->fn != tcp_fail_fire)
        return false;
    *host = ((const struct tcp_conn *)ev->ctx)->host;
    return true;
}
uint16_t tcp_local_port(const struct tcp_conn *c)
{
    return c->lport;
}
uint16_t tcp_remote_port(const struct tcp_conn *c)
{
    return c->rport;
}
enum tcp_state tcp_state(const struct tcp_conn *c)
{
    return c->state;
}
struct net *tcp_net(const struct tcp_conn *c)
{
    return c->net;
}
size_t tcp_unacked(const struct tcp_conn *c)
{
    return c->slen;
}

size_t tcp_send_space(const struct tcp_conn *c)
{
    if (c->dead || c->fin_queued) return 0;
    size_t max = c->net->tcp.send_buffer_max;
    return c->slen < max ? max - c->slen : 0;
}

size_t tcp_conn_count(const struct net *n)
{
    return n->nconns;
}

/* ---- input ------------------------------------------------------------------ */

/* Answer a segment for which no connection exists (RFC 9293 §3.10.7.1). */
static void tcp_send_reset_for(struct net *n, const struct net_pkt *p)
{
    struct net_pkt *r = net_pkt_get(n, 0);
    r->proto = NET_PROTO_TCP;
    r->conn = p->conn;
    r->src = p->dst;
    r->dst = p->src;
    r->sport = p->dport;
    r->dport = p->sport;
    if (p->flags & NETEV_ACK) {
        r->seq = p->ack;
        r->flags = NETEV_RST;
    } else {
        r->seq = 0;
        r->ack =
            p->seq + p->len + ((p->flags & NETEV_SYN) ? 1 : 0) + ((p->flags & NETEV_FIN) ? 1 : 0);
        r->flags = NETEV_RST | NETEV_ACK;
    }
    net_pkt_send(n, r, r->src);
}

static void tcp_host_reset_all(struct net *n, uint32_t host, enum tcp_err err,
                               enum netev_reason reason)
{
    struct tcp_conn *c = n->conns;
    while (c) {
        struct tcp_conn *next = c->next;
        if (c->host == host && !c->dead) {
            if (c->state != TCP_S_TIME_WAIT && c->state != TCP_S_CLOSED)
                tcp_emit_conn(c, NETEV_CONN_RESET, reason);
            tcp_enter_state(c, TCP_S_CLOSED);
            c->busy++; /* keep next valid if the callback aborts others */
            tcp_finish(c, err);
            c->busy--;
            if (c->dead && c->busy == 0) tcp_conn_destroy(c);
            /* next may have died in the callback; restart from the head. */
            next = n->conns;
        }
        c = next;
    }
}

void tcp_host_down(struct net *n, uint32_t host)
{
    tcp_host_reset_all(n, host, TCP_ERR_HOST_DOWN, NETEV_R_HOST_DOWN);
}

/* Deliver in-order bytes to the application. */
static void tcp_deliver(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    c->rcv_nxt += (uint32_t)len;
    c->ack_owed = true;
    if (!c->app_gone && c->app_seen && c->ops && c->ops->on_data) {
        c->ops->on_data(c->ctx, c, data, len);
    }
}

/* Keep an out-of-order segment (sorted by seq, overlaps allowed). */
static void tcp_ooo_store(struct tcp_conn *c, uint32_t seq, const uint8_t *data, uint32_t len)
{
    if (c->ooo_bytes + len > c->net->tcp.window) return;
    struct tcp_ooo **pp = &c->ooo;
    while (*pp && tcp_lt((*pp)->seq, seq)) pp = &(*pp)->next;
    if (*pp && (*pp)->seq == seq && (*pp)->len >= len) return; /* duplicate */
    struct tcp_ooo *o = ms_xmalloc(sizeof *o + len);
    o->seq = seq;
    o->len = len;
    memcpy(o->data, data, len);
    o->next = *pp;
    *pp = o;
    c->ooo_bytes += len;
}

/* Deliver stored segments that are now in order. */
static void tcp_ooo_drain(struct tcp_conn *c)
{
    while (c->ooo && !c->dead && tcp_le(c->ooo->seq, c->rcv_nxt)) {
        struct tcp_ooo *o = c->ooo;
        c->ooo = o->next;
        c->ooo_bytes -= o->len;
        uint32_t skip = c->rcv_nxt - o->seq;
        if (skip < o->len) tcp_deliver(c, o->data + skip, o->len - skip);
        free(o);
    }
}

static void tcp_on_fin(struct tcp_conn *c)
{
    c->rcv_nxt++;
    c->fin_received = true;
    c->ack_owed = true;
    switch (c->state) {
    case TCP_S_SYN_RECEIVED:
    case TCP_S_ESTABLISHED:
        tcp_enter_state(c, TCP_S_CLOSE_WAIT);
        if (!c->app_gone && c->app_seen && c->ops && c->ops->on_eof) {
            c->ops->on_eof(c->ctx, c);
        } else if (!c->dead) {
            tcp_close(c);
        }
        break;
    case TCP_S_FIN_WAIT_1:
        tcp_enter_state(c, TCP_S_CLOSING);
        break;
    case TCP_S_FIN_WAIT_2:
        tcp_enter_time_wait(c);
        break;
    default:
        break;
    }
}

static void tcp_accept(struct tcp_conn *c)
{
    struct tcp_listener *l = tcp_find_listener(c->net, c->host, c->lport);
    tcp_emit_conn(c, NETEV_CONN_OPENED, NETEV_R_NONE);
    if (!l) { /* the listener went away during the handshake */
        tcp_abort(c);
        return;
    }
    c->ops = l->ops;
    c->ctx = l->ctx;
    c->app_seen = true;
    if (l->ops && l->ops->on_accept) {
        void *ctx = l->ops->on_accept(l->ctx, c);
        if (!c->dead && ctx) c->ctx = ctx;
    }
}

/* The segment p arrived for established-or-later connection c. */
static void tcp_input_conn(struct tcp_conn *c, const struct net_pkt *p)
{
    struct net *n = c->net;
    uint8_t f = p->flags;
    if (f & NETEV_RST) {
        /* RFC 9293 §3.10.7.4 (simplified): accept a RST inside the window. */
        uint32_t wnd = n->tcp.window;
        if (c->state == TCP_S_SYN_RECEIVED ||
            (tcp_le(c->rcv_nxt, p->seq) && tcp_lt(p->seq, c->rcv_nxt + wnd))) {
            bool silent = c->state == TCP_S_TIME_WAIT;
            if (!silent) tcp_emit_conn(c, NETEV_CONN_RESET, NETEV_R_RST);
            tcp_enter_state(c, TCP_S_CLOSED);
            tcp_finish(c, TCP_ERR_RESET);
        }
        return;
    }
    if (f & NETEV_SYN) {
        /* A retransmitted SYN (our SYN-ACK was lost) or SYN-ACK (our ACK was lost). */
        if (c->state == TCP_S_SYN_RECEIVED && !(f & NETEV_ACK))
            tcp_send_seg(c, NETEV_SYN | NETEV_ACK, c->iss, NULL, 0, 0);
        else
            tcp_send_seg(c, NETEV_ACK, c->snd_nxt, NULL, 0, 0);
        return;
    }
    if (!(f & NETEV_ACK)) return;
    /* ACK processing. */
    if (c->state == TCP_S_SYN_RECEIVED) {
        if (p->ack != c->iss + 1) {
            tcp_send_reset_for(n, p);
            return;
        }
        c->snd_una = p->ack;
        c->snd_wnd = p->window;
        c->retries = 0;
        tcp_rto_stop(c);
        if (c->timing && tcp_le(c->timed_seq, p->ack)) {
            tcp_rtt_sample(c, evq_now(n->q) - c->timed_at);
            c->timing = false;
        }
        tcp_enter_state(c, TCP_S_ESTABLISHED);
        tcp_accept(c);
        if (c->dead) return;
    }
    if (tcp_lt(c->snd_una, p->ack) && tcp_le(p->ack, c->snd_nxt)) {
        uint32_t acked = p->ack - c->snd_una;
        /* Drop acknowledged data bytes from the send buffer. */
        uint32_t data_acked = acked;
        if (c->fin_sent && tcp_le(c->fin_seq + 1, p->ack)) data_acked--;
        if (data_acked > c->slen) data_acked = (uint32_t)c->slen;
        c->soff += data_acked;
        c->slen -= data_acked;
        c->sbuf_seq += data_acked;
        if (c->slen == 0) c->soff = 0;
        c->snd_una = p->ack;
        c->retries = 0;
        if (c->timing && tcp_le(c->timed_seq, p->ack)) {
            tcp_rtt_sample(c, evq_now(n->q) - c->timed_at);
            c->timing = false;
        } else if (c->rtt_valid) {
            sim_us k = 4 * c->rttvar < 1000 ? 1000 : 4 * c->rttvar;
            c->rto = tcp_clamp_rto(n, c->srtt + k); /* undo back-off (RFC 6298 §5.7) */
        }
        if (c->snd_una == c->snd_nxt)
            tcp_rto_stop(c);
        else
            tcp_rto_arm(c);
        bool fin_acked = c->fin_sent && c->snd_una == c->fin_seq + 1;
        if (fin_acked) {
            switch (c->state) {
            case TCP_S_FIN_WAIT_1:
                tcp_enter_state(c, TCP_S_FIN_WAIT_2);
                break;
            case TCP_S_CLOSING:
                tcp_enter_time_wait(c);
                break;
            case TCP_S_LAST_ACK:
                tcp_emit_conn(c, NETEV_CONN_CLOSED, NETEV_R_NONE);
                tcp_enter_state(c, TCP_S_CLOSED);
                tcp_finish(c, TCP_ERR_OK);
                return;
            default:
                break;
            }
        }
    }
    c->snd_wnd = p->window;
    if (c->dead) return;
    /* Data. */
    bool can_recv = c->state == TCP_S_ESTABLISHED || c->state == TCP_S_FIN_WAIT_1 ||
                    c->state == TCP_S_FIN_WAIT_2;
    if (p->len > 0) {
        if (!can_recv) {
            c->ack_owed = true;
        } else if (tcp_le(p->seq, c->rcv_nxt)) {
            uint32_t skip = c->rcv_nxt - p->seq;
            if (skip < p->len) {
                tcp_deliver(c, p->data + skip, p->len - skip);
                tcp_ooo_drain(c);
            } else {
                c->ack_owed = true; /* a duplicate: acknowledge again */
            }
        } else if (tcp_lt(p->seq, c->rcv_nxt + n->tcp.window)) {
            tcp_ooo_store(c, p->seq, p->data, p->len);
            c->ack_owed = true; /* duplicate ACK for the gap */
        }
    }
    if (c->dead) return;
    if (f & NETEV_FIN) {
        uint32_t fin_seq = p->seq + p->len;
        if (fin_seq == c->rcv_nxt && !c->fin_received) {
            tcp_on_fin(c);
        } else if (tcp_lt(c->rcv_nxt, fin_seq)) {
            c->ooo_fin = true;
            c->ooo_fin_seq = fin_seq;
        } else if (c->fin_received) {
            c->ack_owed = true; /* retransmitted FIN: our ACK was lost */
            if (c->state == TCP_S_TIME_WAIT) {
                evq_cancel(n->q, c->tw_timer);
                c->tw_timer = evq_after(n->q, n->tcp.time_wait_us, tcp_time_wait_fire, c, 0,
                                        "TCP TIME-WAIT (2 MSL)");
            }
        }
    }
    if (!c->dead && c->ooo_fin && !c->fin_received && c->ooo_fin_seq == c->rcv_nxt) tcp_on_fin(c);
    if (c->dead) return;
    tcp_output(c);
    if (!c->dead && c->ack_owed) tcp_send_seg(c, NETEV_ACK, c->snd_nxt, NULL, 0, 0);
}

void tcp_input(struct net *n, struct net_pkt *p)
{
    struct tcp_conn *c = tcp_lookup(n, p->dst, p->dport, p->src, p->sport);
    if (!c) {
        if (p->flags & NETEV_RST) return;
        struct tcp_listener *l = tcp_find_listener(n, p->dst, p->dport);
        if ((p->flags & (NETEV_SYN | NETEV_ACK)) == NETEV_SYN && l) {
            c = tcp_conn_new(n, p->dst, p->src, p->dport, p->sport, false, p->conn);
            c->irs = p->seq;
            c->rcv_nxt = p->seq + 1;
            c->snd_wnd = p->window;
            if (p->mss) c->peer_mss = p->mss;
            tcp_enter_state(c, TCP_S_LISTEN);
            tcp_enter_state(c, TCP_S_SYN_RECEIVED);
            c->snd_nxt = c->iss + 1;
            tcp_rto_arm(c);
            c->timing = true;
            c->timed_seq = c->iss + 1;
            c->timed_at = evq_now(n->q);
            tcp_send_seg(c, NETEV_SYN | NETEV_ACK, c->iss, NULL, 0, 0);
            return;
        }
        tcp_send_reset_for(n, p);
        return;
    }
    c->busy++;
    if (c->state == TCP_S_SYN_SENT) {
        uint8_t f = p->flags;
        bool ack_ok = (f & NETEV_ACK) && p->ack == c->iss + 1;
        if ((f & NETEV_ACK) && !ack_ok) {
            if (!(f & NETEV_RST)) tcp_send_reset_for(n, p);
        } else if (f & NETEV_RST) {
            if (ack_ok) {
                tcp_emit_conn(c, NETEV_CONN_REFUSED, NETEV_R_RST);
                tcp_enter_state(c, TCP_S_CLOSED);
                tcp_finish(c, TCP_ERR_REFUSED);
            }
        } else if ((f & NETEV_SYN) && ack_ok) {
            c->irs = p->seq;
            c->rcv_nxt = p->seq + 1;
            c->snd_una = p->ack;
            c->snd_wnd = p->window;
            if (p->mss) c->peer_mss = p->mss;
            c->retries = 0;
            tcp_rto_stop(c);
            if (c->timing) {
                tcp_rtt_sample(c, evq_now(n->q) - c->timed_at);
                c->timing = false;
            }
            tcp_enter_state(c, TCP_S_ESTABLISHED);
            tcp_emit_conn(c, NETEV_CONN_OPENED, NETEV_R_NONE);
            c->ack_owed = true;
            if (c->ops && c->ops->on_connected && !c->app_gone) c->ops->on_connected(c->ctx, c);
            if (!c->dead) tcp_output(c);
            if (!c->dead && c->ack_owed) tcp_send_seg(c, NETEV_ACK, c->snd_nxt, NULL, 0, 0);
        }
    } else {
        tcp_input_conn(c, p);
    }
    c->busy--;
    if (c->dead && c->busy == 0) tcp_conn_destroy(c);
}
