/* netev.h -- what happened on the simulated network, as plain data.
 *
 * sim/net produces these events and sim/trace records them; neither layer may
 * include the other, so the vocabulary they share lives here in core. Wire
 * it with one line: net_set_observer(net, trace_on_netev, trace).
 * Every pointer in an event is borrowed for the duration of the callback.
 * Host and link ids are small integers assigned in creation order from 0;
 * connection ids count from 1 (0 = no connection, e.g. an RST to a closed
 * port). Sequence numbers and flags are those of the TCP header (RFC 9293
 * §3.1), so a pcap can be written from a recorded segment. */
#ifndef MAILSIM_CORE_NETEV_H
#define MAILSIM_CORE_NETEV_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

#define NETEV_NONE UINT32_MAX /* "no host" / "no link" */

/* TCP header flag bits (RFC 9293 §3.1). */
#define NETEV_FIN 0x01u
#define NETEV_SYN 0x02u
#define NETEV_RST 0x04u
#define NETEV_PSH 0x08u
#define NETEV_ACK 0x10u

enum netev_kind {
    NETEV_HOST_NEW,    /* host: a host was created (name, ip, router) */
    NETEV_LINK_NEW,    /* link: a link was created (ends and parameters) */
    NETEV_HOST_UP,     /* host */
    NETEV_HOST_DOWN,   /* host */
    NETEV_LINK_UP,     /* link */
    NETEV_LINK_DOWN,   /* link */
    NETEV_SEG_SENT,    /* seg: first transmission leaves its source host */
    NETEV_SEG_RETRANS, /* seg: a retransmission leaves its source host */
    NETEV_SEG_FORWARD, /* seg: a router sends it on over its next link */
    NETEV_SEG_ARRIVED, /* seg: reached hop_to (== dst: delivered to TCP) */
    NETEV_SEG_LOST,    /* seg: dropped; reason says why (at t_arrive for loss) */
    NETEV_DGRAM_SENT,  /* dgram: UDP datagram leaves its source */
    NETEV_DGRAM_FORWARD,
    NETEV_DGRAM_ARRIVED,
    NETEV_DGRAM_LOST,
    NETEV_CONN_OPENED,  /* conn: handshake complete (client side view) */
    NETEV_CONN_REFUSED, /* conn: RST answered the SYN (nothing listening) */
    NETEV_CONN_TIMEOUT, /* conn: SYN or data retries exhausted */
    NETEV_CONN_CLOSED,  /* conn: orderly close finished at host */
    NETEV_CONN_RESET,   /* conn: RST received, or host went down (reason) */
    NETEV_TCP_STATE,    /* state: an endpoint changed TCP state */
    NETEV_KIND_COUNT
};

/* Why a packet was dropped or a connection ended. */
enum netev_reason {
    NETEV_R_NONE,
    NETEV_R_LOSS,      /* the link's loss probability struck */
    NETEV_R_LINK_DOWN, /* the link was down when it was sent or arrived */
    NETEV_R_HOST_DOWN, /* the next hop or destination host is down */
    NETEV_R_NO_ROUTE,  /* no path to the destination */
    NETEV_R_NO_PORT,   /* UDP: nothing bound to the port */
    NETEV_R_TOO_BIG,   /* larger than the link's MTU */
    NETEV_R_RST,       /* the peer sent RST */
    NETEV_R_ABORT,     /* the local application aborted */
    NETEV_R_COUNT
};

struct netev_host {
    uint32_t host;
    uint32_t ipv4;    /* host order: 192.0.2.1 is 0xC0000201 */
    uint32_t router;  /* 1 if it forwards packets */
    const char *name; /* borrowed */
};

struct netev_link {
    uint32_t link;
    uint32_t a, b;          /* host ids of its two ends */
    sim_us latency_us;      /* one-way propagation delay */
    uint64_t bandwidth_bps; /* bits per second, 0 = unlimited */
    double loss;            /* probability a packet is lost, 0..1 */
    uint32_t mtu;           /* bytes of IP packet */
};

/* One TCP segment or UDP datagram crossing one link (one hop). */
struct netev_seg {
    uint32_t conn;                   /* connection id, 0 when none */
    uint32_t src, dst;               /* end hosts of the whole path */
    uint32_t hop_from, hop_to, link; /* this hop (link may be NETEV_NONE) */
    uint16_t sport, dport;
    uint32_t seq, ack;   /* TCP only */
    uint16_t window;     /* TCP only: advertised receive window */
    uint16_t mss;        /* TCP SYN option, 0 when absent */
    uint8_t flags;       /* NETEV_SYN | ... (TCP only) */
    uint8_t reason;      /* enum netev_reason, for *_LOST */
    uint8_t attempt;     /* 0 first send, n for the n-th retransmission */
    sim_us t_depart;     /* first bit leaves hop_from */
    sim_us t_arrive;     /* last bit reaches hop_to */
    const uint8_t *data; /* payload (borrowed), len bytes */
    uint32_t len;
};

/* A connection-level event. */
struct netev_conn {
    uint32_t conn;
    uint32_t host;           /* where it was observed */
    uint32_t client, server; /* host ids */
    uint16_t cport, sport;
    uint32_t reason; /* enum netev_reason */
};

/* A TCP endpoint moved between states (RFC 9293 §3.3.2 names). */
struct netev_state {
    uint32_t conn;
    uint32_t host;
    const char *from, *to; /* static names: "SYN-SENT", "ESTABLISHED" */
};

struct netev {
    enum netev_kind kind;
    union {
        struct netev_host host;   /* HOST_NEW, HOST_UP, HOST_DOWN */
        struct netev_link link;   /* LINK_NEW, LINK_UP, LINK_DOWN */
        struct netev_seg seg;     /* SEG_*, DGRAM_* */
        struct netev_conn conn;   /* CONN_* */
        struct netev_state state; /* TCP_STATE */
    } u;
};

/* The observer sim/net calls for every event, at simulated time t. */
typedef void netev_fn(void *ctx, sim_us t, const struct netev *ev);

#endif
