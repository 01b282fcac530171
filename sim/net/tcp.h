/* tcp.h -- TCP as the textbook draws it, with a callback API for applications.
 *
 * RFC 9293: three-way handshake with random initial sequence numbers (the
 * "tcp-isn" RNG stream), the MSS option and segmentation to it, cumulative
 * ACKs, a fixed receive window, retransmission on timeout with RFC 6298
 * RTT estimation and exponential back-off (Karn's rule), RST when nothing
 * listens, a connect timeout after the SYN retries, FIN close in both
 * directions with TIME-WAIT, and connections reset when their host goes down.
 * Not modelled: congestion control, fast retransmit, SACK, window scaling,
 * zero windows, urgent data. Out-of-order segments inside the window are
 * kept and delivered in order once the gap is filled.
 *
 * How an application (an SMTP server, a mail client) plugs in:
 *   static const struct tcp_app_ops smtpd_ops = { .on_accept = ..., ... };
 *   tcp_listen(net, host, 25, &smtpd_ops, server);
 *   struct tcp_conn *c = tcp_connect(net, host, dst, 25, &client_ops, client);
 * Callbacks run from event handlers; inside them the application may call any
 * tcp_ function, including tcp_close() and tcp_abort() on the same conn.
 * Lifetime: a struct tcp_conn * is valid from tcp_connect() (or on_accept)
 * until the application's on_close() returns, or until it calls
 * tcp_abort(). Each connection the application saw gets exactly one
 * on_close(), unless it aborted it. */
#ifndef MAILSIM_NET_TCP_H
#define MAILSIM_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "net/net.h"

/* Why a connection ended, X-macro: name, text. */
#define TCP_ERR_MAP(X)                                                                             \
    X(OK, "closed")                                                                                \
    X(REFUSED, "connection refused")                                                               \
    X(TIMEOUT, "connection timed out")                                                             \
    X(RESET, "connection reset by peer")                                                           \
    X(HOST_DOWN, "host went down")                                                                 \
    X(UNREACHABLE, "no route to host")

enum tcp_err {
#define TCP_ERR_ENUM(name, text) TCP_ERR_##name,
    TCP_ERR_MAP(TCP_ERR_ENUM)
#undef TCP_ERR_ENUM
        TCP_ERR_COUNT
};

/* RFC 9293 §3.3.2 states; tcp_state_name() gives the RFC's spelling. */
enum tcp_state {
    TCP_S_CLOSED,
    TCP_S_LISTEN,
    TCP_S_SYN_SENT,
    TCP_S_SYN_RECEIVED,
    TCP_S_ESTABLISHED,
    TCP_S_FIN_WAIT_1,
    TCP_S_FIN_WAIT_2,
    TCP_S_CLOSE_WAIT,
    TCP_S_CLOSING,
    TCP_S_LAST_ACK,
    TCP_S_TIME_WAIT,
    TCP_S_COUNT
};

/* Connection parameters, shared by every connection of a net. */
struct tcp_cfg {
    uint16_t mss;           /* largest payload we send and announce; capped by MTU - 40 */
    uint16_t window;        /* fixed receive window advertised, and the most in flight */
    sim_us rto_initial_us;  /* RFC 6298 §2.1: 1 s */
    sim_us rto_min_us;      /* RFC 6298 §2.4: 1 s (Linux uses 200 ms) */
    sim_us rto_max_us;      /* back-off ceiling: 60 s */
    uint32_t syn_retries;   /* SYN retransmissions before TCP_ERR_TIMEOUT */
    uint32_t data_retries;  /* retransmissions of one segment before TIMEOUT */
    sim_us time_wait_us;    /* 2 MSL, shortened so lessons do not wait 4 minutes */
    size_t send_buffer_max; /* ceiling of unsent + unacked bytes per connection */
};

/* The defaults: mss 1460, window 65535, rto 1 s / min 1 s / max 60 s,
 * 5 SYN retries (timeout after 1+2+4+8+16+32 = 63 s), 8 data retries,
 * TIME-WAIT 2 s, send buffer 16 MiB. Can't fail. */
struct tcp_cfg tcp_cfg_default(void);

struct tcp_conn;

/* What an application supplies. Every member may be NULL except as noted.
 * ctx is the application's pointer for this connection. */
struct tcp_app_ops {
    /* Listener only: the handshake of a new connection c completed. Return
     * the ctx for c's later callbacks (the listener's ops are used for them).
     * To refuse, call tcp_abort(c) and return NULL. If NULL the connection
     * is accepted with the listener's ctx. */
    void *(*on_accept)(void *listen_ctx, struct tcp_conn *c);
    /* Client only: the SYN-ACK arrived; c is ESTABLISHED. */
    void (*on_connected)(void *ctx, struct tcp_conn *c);
    /* In-order bytes from the peer (borrowed for the call; copy what you
     * keep). Never called with len 0. */
    void (*on_data)(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
    /* The peer closed its direction (FIN): no more on_data. If NULL, the
     * connection closes our direction too, as tcp_close(). */
    void (*on_eof)(void *ctx, struct tcp_conn *c);
    /* Final: the connection is gone (err TCP_ERR_OK after an orderly close in
     * both directions; otherwise refused, timed out, reset, host down,
     * unreachable). c is invalid once this returns. */
    void (*on_close)(void *ctx, struct tcp_conn *c, enum tcp_err err);
};

/* Accept connections to host:port. ops (static storage) and ctx are
 * borrowed. Returns false if the host is unknown or the port is already
 * listening. Listeners survive the host going down and up. */
bool tcp_listen(struct net *n, uint32_t host, uint16_t port, const struct tcp_app_ops *ops,
                void *ctx);
/* Stop accepting; established connections carry on. SYNs to the port are
 * then answered with RST. */
void tcp_unlisten(struct net *n, uint32_t host, uint16_t port);
/* True if host:port accepts connections (tcp_listen, not unlistened); the
 * host may still be down (host_is_up). Can't fail. */
bool tcp_listening(const struct net *n, uint32_t host, uint16_t port);

/* Open a connection from host (an ephemeral port 49152..65535) to dst:port.
 * Sends the SYN now. Never returns NULL: every failure arrives later through
 * ops->on_close with the reason: TCP_ERR_HOST_DOWN (our host is down) or
 * TCP_ERR_UNREACHABLE (no route now) at once, without a SYN; TCP_ERR_REFUSED
 * when RST answers; TCP_ERR_TIMEOUT after the SYN retries (peer down, link
 * down, route lost on the way).
 * ops (static storage) and ctx are borrowed. */
struct tcp_conn *tcp_connect(struct net *n, uint32_t host, uint32_t dst, uint16_t port,
                             const struct tcp_app_ops *ops, void *ctx);

/* Queue len bytes for sending (copied). Returns how many were accepted:
 * fewer than len only when the send buffer ceiling is reached. Bytes sent
 * before the connection is established wait for it. Sending after
 * tcp_close() returns 0. */
size_t tcp_send(struct tcp_conn *c, const void *data, size_t len);
/* Close our direction once every queued byte is sent (FIN). Further on_data
 * may still arrive until the peer closes; on_close follows. Idempotent. */
void tcp_close(struct tcp_conn *c);
/* Reset now: send RST (if synchronized), free the connection, and make no
 * further callbacks for it. c is invalid on return. */
void tcp_abort(struct tcp_conn *c);

/* Change the callbacks and ctx of c (e.g. to hand it to another object). */
void tcp_set_app(struct tcp_conn *c, const struct tcp_app_ops *ops, void *ctx);

/* Accessors. None can fail. */
uint32_t tcp_conn_id(const struct tcp_conn *c); /* the trace's connection id */
uint32_t tcp_local_host(const struct tcp_conn *c);
uint32_t tcp_remote_host(const struct tcp_conn *c);
/* If ev is one of TCP's own timers (retransmission, TIME-WAIT, connect
 * failure report), the host whose connection it serves, into *host; else
 * false. For the future-event view. Can't fail. */
bool tcp_event_host(const struct evq_info *ev, uint32_t *host);
uint16_t tcp_local_port(const struct tcp_conn *c);
uint16_t tcp_remote_port(const struct tcp_conn *c);
enum tcp_state tcp_state(const struct tcp_conn *c);
struct net *tcp_net(const struct tcp_conn *c);
/* Bytes queued but not yet acknowledged by the peer. */
size_t tcp_unacked(const struct tcp_conn *c);
/* How many more bytes tcp_send() would accept now. */
size_t tcp_send_space(const struct tcp_conn *c);

/* "ESTABLISHED", "SYN-SENT", ... (RFC 9293 spelling); "?" if out of range. */
const char *tcp_state_name(enum tcp_state s);
/* "connection refused", ...; "?" if out of range. */
const char *tcp_strerror(enum tcp_err err);

/* Number of connection endpoints alive in n (including TIME-WAIT). For tests. */
size_t tcp_conn_count(const struct net *n);

#endif
