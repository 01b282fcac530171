/* net_int.h -- internals shared by net.c, tcp.c (not for other layers).
 *
 * A packet (struct net_pkt) is one IP datagram carrying a TCP segment or a
 * UDP datagram; it travels hop by hop, one evq event per hop. Packets come
 * from a free list, so steady traffic allocates nothing. */
#ifndef MAILSIM_NET_NET_INT_H
#define MAILSIM_NET_NET_INT_H

#include "core/rng.h"
#include "net/net.h"
#include "net/tcp.h"

#define NET_PROTO_TCP 6
#define NET_PROTO_UDP 17
#define NET_TCP_HDR 40 /* IPv4 + TCP headers, no options */
#define NET_UDP_HDR 28 /* IPv4 + UDP headers */

struct net_pkt {
    struct net_pkt *next_free;
    struct net_pkt *all_next; /* every packet the net allocated */
    struct net *net;
    uint8_t proto;
    uint8_t flags, attempt, lost; /* lost: enum netev_reason decided at departure */
    uint32_t conn, src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t window, mss;
    uint32_t hop_from, hop_to, link;
    uint64_t link_epoch; /* the link's down-count when it left */
    sim_us t_depart, t_arrive;
    uint8_t *data;
    uint32_t len, cap;
};

struct net_host {
    char name[NET_NAME_MAX + 1];
    uint32_t ipv4;
    bool router, up;
    uint16_t next_port; /* next ephemeral port to try */
};

struct net_link {
    struct link_cfg cfg;
    uint32_t a, b;
    bool up;
    uint64_t epoch;       /* bumped each time it goes down */
    sim_us busy_until[2]; /* per direction: 0 = a->b, 1 = b->a */
    struct rng loss_rng;
};

struct udp_binding {
    struct udp_binding *next;
    uint32_t host;
    uint16_t port;
    udp_recv_fn *fn;
    void *ctx;
};

struct tcp_listener;
struct tcp_port_use;

struct net {
    struct evq *q;
    uint64_t seed;
    struct tcp_cfg tcp;
    netev_fn *obs;
    void *obs_ctx;
    struct net_host *hosts;
    size_t nhosts, hostcap;
    struct net_link *links;
    size_t nlinks, linkcap;
    uint32_t *route;      /* nhosts x nhosts next hops, NET_NONE = none */
    sim_us *route_lat;    /* total latency along the route */
    uint8_t *route_valid; /* per source */
    size_t route_dim;
    struct net_pkt *pkt_free;
    struct net_pkt *pkt_all;
    struct udp_binding *udp;
    /* TCP */
    struct tcp_listener *listeners;
    struct tcp_conn *conns; /* doubly linked, in creation order */
    struct tcp_conn *conns_tail;
    size_t nconns;
    struct tcp_conn **conn_tab; /* by 4-tuple: chained, each chain in creation order */
    size_t conn_tab_cap;        /* a power of two, or 0 */
    struct tcp_port_use *ports; /* (host, local port) -> connections using it */
    size_t ports_cap, nports;   /* open addressing, a power of two, or 0 */
    uint32_t next_conn_id;
    struct rng isn_rng;
};

/* Report ev to the observer at the current time. */
void net_emit(struct net *n, const struct netev *ev);
/* A packet from the free list (len 0, room for cap bytes of payload). */
struct net_pkt *net_pkt_get(struct net *n, size_t cap);
/* Return a packet to the free list. */
void net_pkt_put(struct net *n, struct net_pkt *p);
/* Send p from host `from` (its source, or a router forwarding it). Takes
 * ownership of p. retrans: report the first hop as a retransmission. */
void net_pkt_send(struct net *n, struct net_pkt *p, uint32_t from);
/* Fill a netev_seg from a packet. */
void net_pkt_describe(const struct net_pkt *p, struct netev_seg *s);

/* TCP hooks called by net.c. */
void tcp_input(struct net *n, struct net_pkt *p); /* p borrowed */
void tcp_host_down(struct net *n, uint32_t host);
void tcp_net_free(struct net *n);
void tcp_net_init(struct net *n);

#endif
