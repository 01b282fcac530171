/* net.h -- the simulated network: hosts, links, routes, UDP.
 *
 * A struct net owns hosts (name, IPv4 address, up/down, router or not) and
 * point-to-point links (latency, bandwidth giving a serialization delay,
 * loss probability drawn from the link's own RNG stream, MTU, up/down).
 * Packets travel hop by hop along the shortest path by total latency (ties:
 * fewer hops, then lower next-hop host id), through hosts marked router;
 * routes are recomputed whenever a host or link changes state. Everything
 * that happens is reported to one observer as a struct netev (core/netev.h);
 * sim/trace records it. TCP lives in net/tcp.h on top of this.
 * Determinism: no machine clock, no unseeded randomness, no hash-order walks.
 * Ids: host and link ids count from 0 in creation order; NET_NONE is "none". */
#ifndef MAILSIM_NET_NET_H
#define MAILSIM_NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "core/evq.h"
#include "core/netev.h"

#define NET_NONE NETEV_NONE
#define NET_NAME_MAX 63      /* longest host name */
#define NET_MTU_DEFAULT 1500 /* bytes, Ethernet */
#define NET_MTU_MIN 68       /* RFC 791 minimum */

struct net;
struct tcp_cfg;

/* Parameters of a link. Zero-initialise, then set what you need:
 * latency 0 and bandwidth 0 (unlimited) are legal; mtu 0 means 1500. */
struct link_cfg {
    sim_us latency_us;      /* one-way propagation delay */
    uint64_t bandwidth_bps; /* 0 = no serialization delay */
    double loss;            /* 0.0 .. 1.0 */
    uint32_t mtu;           /* 0 = NET_MTU_DEFAULT; else NET_MTU_MIN .. 65535 */
    bool down;              /* starts down */
};

/* A new empty network scheduling on q (borrowed; must outlive the net).
 * seed selects every random stream (TCP initial sequence numbers "tcp-isn",
 * link loss "link-loss:<a>|<b>"). tcp may be NULL for tcp_cfg_default().
 * Aborts only if memory is exhausted. */
struct net *net_new(struct evq *q, uint64_t seed, const struct tcp_cfg *tcp);
/* Free the network, every host, link and connection, without callbacks.
 * Pending events of the net are cancelled. NULL is a no-op. */
void net_free(struct net *n);
/* Report every netev to fn(ctx, ...) from now on (NULL to stop). Events for
 * hosts and links created earlier are not replayed: set it first. */
void net_set_observer(struct net *n, netev_fn *fn, void *ctx);
/* The queue the net schedules on; applications use it for their timers. */
struct evq *net_evq(const struct net *n);
/* The seed given to net_new(). */
uint64_t net_seed(const struct net *n);

/* ---- hosts ---------------------------------------------------------------- */

/* Add a host. name: 1..NET_NAME_MAX of [A-Za-z0-9.-], unique. ipv4 (host
 * byte order) 0 means "assign one": the next free address of 192.0.2.0/24,
 * then 198.51.100.0/24, then 203.0.113.0/24 (RFC 5737), .1 to .254.
 * A router forwards packets that are not for itself. The host starts up.
 * Returns the host id, or NET_NONE with err filled (bad or duplicate name,
 * duplicate address, addresses exhausted); err may be NULL. */
uint32_t host_add(struct net *n, const char *name, uint32_t ipv4, bool router,
                  struct ms_error *err);
/* The id of the host called name, or NET_NONE. */
uint32_t host_find(const struct net *n, const char *name);
/* The id of the host with this address, or NET_NONE. */
uint32_t host_find_ip(const struct net *n, uint32_t ipv4);
/* Number of hosts. */
size_t host_count(const struct net *n);
/* Name (borrowed, lives as long as the net) of host id; "?" if no such host. */
const char *host_name(const struct net *n, uint32_t id);
/* Address of host id, 0 if no such host. */
uint32_t host_ip(const struct net *n, uint32_t id);
bool host_is_up(const struct net *n, uint32_t id);
bool host_is_router(const struct net *n, uint32_t id);
/* Bring a host up or down now. Going down resets every TCP connection on it
 * (their applications get on_close with TCP_ERR_HOST_DOWN), unbinds nothing
 * (listeners and UDP bindings stay, as the services restart with the host),
 * and drops packets that arrive while down. Peers notice only by silence.
 * No-op if already in that state. */
void host_set_up(struct net *n, uint32_t id, bool up);

/* Write "192.0.2.1" into buf (at least 16 bytes); returns buf. Can't fail. */
char *net_ip_format(uint32_t ipv4, char *buf, size_t buflen);
/* Parse dotted-quad text[0..len) into *out. Returns false on anything else. */
bool net_ip_parse(const char *text, size_t len, uint32_t *out);

/* ---- links ---------------------------------------------------------------- */

/* Join hosts a and b (a != b) with a full-duplex link. Each direction has its
 * own transmitter: a packet waits for the previous one to finish
 * serializing (size * 8 / bandwidth), then takes latency_us to arrive.
 * Returns the link id, or NET_NONE with err filled (unknown host, a == b,
 * loss outside 0..1, negative latency, bad MTU). */
uint32_t link_add(struct net *n, uint32_t a, uint32_t b, const struct link_cfg *cfg,
                  struct ms_error *err);
/* Number of links. */
size_t link_count(const struct net *n);
/* The link joining a and b (either order), or NET_NONE. */
uint32_t link_find(const struct net *n, uint32_t a, uint32_t b);
/* The configuration of link id (NULL if no such link). Borrowed. */
const struct link_cfg *link_get(const struct net *n, uint32_t id);
/* Ends of link id; false if no such link. */
bool link_ends(const struct net *n, uint32_t id, uint32_t *a, uint32_t *b);
bool link_is_up(const struct net *n, uint32_t id);
/* Bring a link up or down now. Packets on the wire when it goes down are lost
 * (reason link down) on arrival. No-op if already in that state. */
void link_set_up(struct net *n, uint32_t id, bool up);
/* Change a link's latency, bandwidth and loss from now on (the window's
 * sliders). Packets already on the wire keep the timing they were sent with;
 * routes are recomputed with the new latency. Returns false, with err filled
 * when not NULL, for an unknown link, a negative latency or a loss outside
 * 0..1; the link is then unchanged. */
bool link_change(struct net *n, uint32_t id, sim_us latency_us, uint64_t bandwidth_bps, double loss,
                 struct ms_error *err);

/* The next host on the current route from host `from` to host `to`, or
 * NET_NONE if unreachable (from == to returns to). For views and tests. */
uint32_t net_next_hop(struct net *n, uint32_t from, uint32_t to);
/* Sum of link latencies along the current route, or -1 if unreachable. */
sim_us net_path_latency(struct net *n, uint32_t from, uint32_t to);

/* ---- UDP (RFC 768), for DNS ------------------------------------------------ */

/* A datagram arrived at host `host` port `port` from (src, sport). data is
 * borrowed for the call. */
typedef void udp_recv_fn(void *ctx, struct net *n, uint32_t host, uint16_t port, uint32_t src,
                         uint16_t sport, const uint8_t *data, size_t len);

/* Deliver datagrams to host:port to fn(ctx, ...). Returns false (and does
 * nothing) if the port is already bound on that host or the host is unknown. */
bool udp_bind(struct net *n, uint32_t host, uint16_t port, udp_recv_fn *fn, void *ctx);
/* Stop delivering host:port; later datagrams are dropped (NETEV_R_NO_PORT). */
void udp_unbind(struct net *n, uint32_t host, uint16_t port);
/* Send len bytes (len <= 65507) from host:sport to dst:dport. Delivery is
 * best effort: loss, down hosts or links, no route, a link MTU smaller than
 * len + 28 (no fragmentation) and unbound ports drop it silently (the
 * observer sees why). Returns false only for bad arguments (unknown host,
 * len > 65507). Copies data. */
bool udp_send(struct net *n, uint32_t host, uint16_t sport, uint32_t dst, uint16_t dport,
              const void *data, size_t len);

/* If ev is a packet's arrival at the end of a link, the host it arrives at
 * (the link's far end) into *host; else false. For the future-event view.
 * Can't fail. */
bool net_event_host(const struct evq_info *ev, uint32_t *host);

#endif
