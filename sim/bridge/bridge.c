/* bridge.c -- live mode: listening sockets, sessions that join a real socket
 * to a simulated TCP connection from "real-client", and the loop that keeps
 * simulated time on the wall clock (see bridge.h). */
#include "bridge/bridge.h"
#include "bridge/bridge_tls.h"

#include "core/evq.h"
#include "mail/world_live.h"
#include "net/net.h"
#include "net/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BRIDGE_CLIENT_NAME "real-client"
#define BRIDGE_LINGER_MS (10 * 1000) /* a closing session's last bytes: at most this */
#define BRIDGE_LINK_LATENCY_US 1000  /* real-client <-> server: 1 ms */
#define BRIDGE_LINK_BPS 100000000ull /* 100 Mbit/s */
#define BRIDGE_MSGIDS_MAX 20000      /* Message-IDs remembered (world_msgid_trim) */

/* A line the server's engine wrote and sent, on its way to the real
 * client: recorded as received once the bytes up to `end` have arrived. */
struct bridge_fact {
    uint64_t end;        /* the engine's output offset just past the line */
    unsigned flags;      /* TRACE_LF_* */
    unsigned line_flags; /* the engine's LINE_F_* (LINE_F_BAD: the trace has no bit for it) */
    unsigned code;
    char verb[LINE_VERB_MAX];
    char *bytes; /* owned copy of the engine's line */
    size_t len;
};

struct bridge_listener {
    int fd;        /* -1 while the simulated server is down or not listening */
    bool failed;   /* reopening failed (the port is taken): said once */
    size_t k;      /* mail server number */
    uint32_t host; /* its net host id */
    enum bridge_proto p;
    uint16_t port; /* bound real port */
};

struct bridge_sess {
    struct bridge *b;
    struct bridge_sess *next;
    uint32_t id; /* 1, 2, ... in accept order */
    int fd;      /* -1 once closed */
    enum bridge_proto p;
    uint32_t host;         /* the simulated server */
    struct tcp_conn *conn; /* NULL once the simulated connection is gone */
    uint32_t conn_id;
    struct sockaddr_storage peer; /* the client's address (per-address limit) */
    bool slot;                    /* counts against --max-conns and the address limit */
    int64_t pending_ms;           /* first client byte the server has not answered; 0 none */
    uint64_t pending_bytes;       /* client bytes since pending_ms */
    char in[BRIDGE_IN_MAX];       /* from the client, not yet given to the simulated TCP */
    size_t in_len;
    char *out; /* for the client, not yet written */
    size_t out_off, out_len, out_cap;
    bool client_eof;    /* the client closed its direction */
    bool fin_sent;      /* tcp_close() done */
    bool closing;       /* write what is left, then close the socket */
    bool reset;         /* the simulated connection failed: close with RST */
    unsigned errors;    /* consecutive error replies */
    bool got_data;      /* the simulated server has sent something */
    int64_t last_ms;    /* wall clock of the last progress */
    int64_t closing_ms; /* when closing began */
    struct ssl_st *ssl; /* TLS on the real socket (--tls), else NULL */
    bool tls_hs;        /* the TLS handshake is under way */
    int tls_want;       /* POLLIN / POLLOUT the TLS session waits for */
    bool stls_wait;     /* the client asked STARTTLS: hold its bytes until the reply */
    bool stls_go;       /* the server said yes: TLS starts once the reply is written */
    bool timing_out;    /* the server's engine was told to time the session out */
    bool turned_away;   /* over a connection cap: the engine greets it "busy" */
    /* The real client's side of the trace, from the server engine's lines
     * (bridge_tap): what it read is what the client sent; what it wrote is
     * received once its bytes arrive here. */
    struct bridge_fact *facts; /* written, not yet arrived: [fact_head, n_facts) */
    size_t fact_head, n_facts, cap_facts;
    uint64_t rx_total;       /* bytes from the simulated server so far */
    uint64_t sent_total;     /* client bytes given to the simulated TCP */
    uint64_t sent_lines_end; /* sent_total just past the last CRLF given */
    uint64_t seen_total;     /* client bytes the engine has read as lines */
    bool data_flow;          /* the engine reads message data (DATA, a literal) */
    bool sent_cr;            /* the last byte given was CR */
};

struct bridge {
    struct world *w;
    const struct scn_scenario *s;
    struct trace *tr;
    struct net *net;
    struct evq *q;
    struct bridge_cfg cfg;
    FILE *log;
    uint32_t client;
    struct bridge_listener *ls;
    size_t nls;
    struct bridge_sess *sessions;
    size_t nsess;
    uint32_t next_id;
    int64_t wall0_us;
    sim_us sim0;
    size_t logged;       /* trace records already printed */
    uint32_t *queue_len; /* per host: the last QUEUE_CHANGED length */
    size_t nhosts;
    struct bridge_stats st;
    struct pollfd *pfd;
    size_t pfd_cap;
    struct bridge_tls *tls; /* --tls, else NULL */
    bool shut;              /* bridge_shutdown() ran */
    size_t n_away;          /* turned-away sessions still open */
};

static int64_t bridge_wall_us(void);
static void bridge_advance(struct bridge *b);
static void bridge_sess_pump_in(struct bridge_sess *s);
static void bridge_sess_drop(struct bridge_sess *s, const char *why);
static void bridge_sess_close_fd(struct bridge_sess *s);
static void bridge_listen_sync(struct bridge *b);
static int bridge_listen_one(const struct bridge_addr *a, uint16_t port, uint16_t *bound,
                             struct ms_error *err);
static void bridge_out_append(struct bridge_sess *s, const char *data, size_t len);

static const char *const bridge_trace_proto[BRIDGE_PROTO_COUNT] = {
    "SMTP", "SMTP", "POP3", "IMAP", "HTTP", "SMTP", "POP3", "IMAP",
};
/* The real client has no engine in the simulation: its lines carry this
 * state; TRACE_LF_TLS says which of them only the two endpoints see. */
#define BRIDGE_STATE "real client"

/* ---- small helpers ---------------------------------------------------------- */

static int64_t bridge_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t bridge_wall_ms(void)
{
    return bridge_wall_us() / 1000;
}

static bool bridge_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return false;
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl >= 0) fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC);
    return true;
}

static const char *bridge_server_name(const struct bridge *b, uint32_t host)
{
    return host_name(b->net, host);
}

static struct bridge_sess *bridge_sess_of_conn(struct bridge *b, uint32_t conn)
{
    for (struct bridge_sess *s = b->sessions; s; s = s->next)
        if (s->conn_id == conn && s->conn) return s;
    return NULL;
}

static unsigned bridge_trace_flags(unsigned line_flags)
{
    unsigned t = 0;
    if (line_flags & LINE_F_DATA) t |= TRACE_LF_DATA;
    if (line_flags & LINE_F_OK) t |= TRACE_LF_OK;
    if (line_flags & LINE_F_ERR) t |= TRACE_LF_ERR;
    if (line_flags & LINE_F_DATA_END) t |= TRACE_LF_DATA_END;
    if (line_flags & LINE_F_CONT) t |= TRACE_LF_CONT;
    if (line_flags & LINE_F_TLS_START) t |= TRACE_LF_TLS_START;
    if (line_flags & LINE_F_TLS) t |= TRACE_LF_TLS;
    return t;
}

/* One line of the real client's side, with the engine's facts. */
static void bridge_trace_client(struct bridge_sess *s, enum trace_kind kind, const char *verb,
                                unsigned code, unsigned flags, const char *bytes, size_t len)
{
    struct bridge *b = s->b;
    struct trace_line_facts tf = {verb, code, flags, NULL};
    trace_add_line_facts(b->tr, evq_now(b->q), kind, s->conn_id, b->client, s->host,
                         kind == TR_LINE_SENT ? 'C' : 'S', bridge_trace_proto[s->p], BRIDGE_STATE,
                         BRIDGE_STATE, &tf, bytes, len);
}

static bool bridge_verb_is(const char *verb, const char *word)
{
    return strcmp(verb, word) == 0;
}

/* world_live_tap: the server's engine read or wrote (and sent) line f on
 * conn. A line it read is the line the real client sent: recorded now, just
 * before the engine's own record, with the engine's verb and flags. A line it
 * wrote waits in s->facts until its bytes reach the bridge. The engine's
 * STARTTLS verb and its TLS_START reply are what start TLS on the real socket
 * (RFC 3207 §4, RFC 2595 §4, RFC 3501 §6.2.1): nothing scans the bytes. */
static unsigned bridge_tap(void *ctx, uint32_t conn, const struct line_fact *f)
{
    struct bridge *b = ctx;
    struct bridge_sess *s = bridge_sess_of_conn(b, conn);
    if (!s) return 0;
    unsigned extra = bridge_proto_is_tls(s->p) ? TRACE_LF_TLS : 0; /* RFC 8314 */
    unsigned flags = bridge_trace_flags(f->flags) | extra;
    if (f->kind == LINE_FACT_IN) {
        bridge_trace_client(s, TR_LINE_SENT, f->verb, f->code, flags, f->bytes, f->len);
        /* The engine named the line an HTTP request (X8, L1): it refuses
         * it with its own reply and closes. */
        if (bridge_verb_is(f->verb, "HTTP")) b->st.closed_by[BRIDGE_WHY_HTTP]++;
        s->seen_total += f->len;
        s->data_flow = (f->flags & LINE_F_DATA) != 0;
        if (b->tls && !s->ssl && !(f->flags & LINE_F_TLS) &&
            (bridge_verb_is(f->verb, "STARTTLS") || bridge_verb_is(f->verb, "STLS")))
            s->stls_wait = true; /* hold what follows until the engine's verdict */
        return extra;
    }
    if (f->kind != LINE_FACT_OUT) return extra;
    if (s->stls_wait && !s->stls_go && (f->flags & (LINE_F_OK | LINE_F_ERR)) &&
        !(f->flags & LINE_F_CONT)) {
        if (f->flags & LINE_F_TLS_START) {
            /* RFC 3207 §4.2, RFC 2595 §4 (CVE-2011-0411): plaintext the
             * client sent after STARTTLS is dropped, never relayed. */
            s->in_len = 0;
        } else {
            s->stls_wait = false; /* refused: the session goes on in plaintext */
        }
    }
    if (s->n_facts == s->cap_facts) {
        if (s->fact_head > 0) {
            memmove(s->facts, s->facts + s->fact_head,
                    (s->n_facts - s->fact_head) * sizeof *s->facts);
            s->n_facts -= s->fact_head;
            s->fact_head = 0;
        }
        if (s->n_facts == s->cap_facts) {
            s->cap_facts = s->cap_facts ? 2 * s->cap_facts : 16;
            s->facts = ms_xrealloc(s->facts, s->cap_facts * sizeof *s->facts);
        }
    }
    struct bridge_fact *q = &s->facts[s->n_facts++];
    q->end = f->end;
    q->flags = flags;
    q->line_flags = f->flags;
    q->code = f->code;
    memcpy(q->verb, f->verb, sizeof q->verb);
    q->bytes = ms_xmalloc(f->len ? f->len : 1);
    memcpy(q->bytes, f->bytes, f->len);
    q->len = f->len;
    return extra;
}

/* The server's bytes up to s->rx_total have arrived: its lines among them
 * are received by the real client (when it is still there: gone, they are
 * only forgotten). */
static void bridge_facts_arrived(struct bridge_sess *s)
{
    struct bridge *b = s->b;
    while (s->fact_head < s->n_facts && s->facts[s->fact_head].end <= s->rx_total) {
        struct bridge_fact *q = &s->facts[s->fact_head++];
        if (s->fd < 0) {
            free(q->bytes);
            q->bytes = NULL;
            continue;
        }
        bridge_trace_client(s, TR_LINE_RECEIVED, q->verb, q->code, q->flags, q->bytes, q->len);
        if ((q->flags & TRACE_LF_TLS_START) && s->stls_wait && !s->stls_go) {
            s->stls_go = true; /* TLS starts once this reply is written */
            s->in_len = 0;
        }
        if (!s->closing && !(q->line_flags & LINE_F_CONT)) {
            /* The engines themselves close after BRIDGE_MAX_ERRORS bad
             * commands in a row (SMTP 421, IMAP * BYE, POP3 closes) and mark
             * each reply they count LINE_F_BAD; any other reply to a command
             * ends their streak. The bridge only counts for the summary. */
            if (q->line_flags & LINE_F_BAD) {
                if (++s->errors == BRIDGE_MAX_ERRORS) b->st.closed_by[BRIDGE_WHY_ERRORS]++;
            } else if (q->line_flags & (LINE_F_OK | LINE_F_ERR)) {
                s->errors = 0;
            }
        }
        free(q->bytes);
        q->bytes = NULL;
    }
    if (s->fact_head == s->n_facts) s->fact_head = s->n_facts = 0;
}

static void bridge_facts_free(struct bridge_sess *s)
{
    for (size_t i = s->fact_head; i < s->n_facts; i++) free(s->facts[i].bytes);
    free(s->facts);
    s->facts = NULL;
    s->fact_head = s->n_facts = s->cap_facts = 0;
}

/* ---- the simulated side ------------------------------------------------------ */

static void bridge_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct bridge_sess *s = ctx;
    (void)c;
    s->rx_total += len;
    bridge_facts_arrived(s);
    if (s->fd < 0) return; /* the client is gone; the simulated side winds down */
    s->got_data = true;
    s->pending_ms = 0; /* the server answered: the client owes nothing now */
    s->pending_bytes = 0;
    if (s->out_len - s->out_off + len > BRIDGE_OUT_MAX) {
        bridge_sess_drop(s, "does not read what the server sends (buffer full)");
        return;
    }
    bridge_out_append(s, (const char *)data, len);
}

static void bridge_on_eof(void *ctx, struct tcp_conn *c)
{
    struct bridge_sess *s = ctx;
    /* The server closed (after QUIT, or on its own error): so do we, once the
     * client has everything. */
    if (!s->fin_sent) {
        s->fin_sent = true;
        tcp_close(c);
    }
    if (!s->closing) {
        s->closing = true;
        s->closing_ms = bridge_wall_ms();
    }
}

static void bridge_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    struct bridge_sess *s = ctx;
    (void)c;
    s->conn = NULL;
    if (err != TCP_ERR_OK && s->fd >= 0 && !s->got_data && !s->closing) {
        /* Nothing ever came: no server is there to say anything. A real
         * client of a host that is down or not listening sees its TCP
         * connection refused; this one was accepted already, so it is
         * reset (RST) and no line is written. */
        s->b->st.closed_by[BRIDGE_WHY_UNREACHABLE]++;
        trace_add_narration(s->b->tr, evq_now(s->b->q), s->host,
                            "Live connection %u from a real client to %s (%s) could not reach "
                            "the simulated server (%s): the real connection is reset, with no "
                            "reply.",
                            s->id, bridge_server_name(s->b, s->host), bridge_proto_name(s->p),
                            tcp_strerror(err));
        s->reset = true;
        s->closing = true;
        s->closing_ms = bridge_wall_ms();
        s->in_len = 0;
        bridge_sess_close_fd(s);
        return;
    }
    if (err != TCP_ERR_OK && s->fd >= 0) {
        /* The simulated connection failed (reset, timed out, host down):
         * the real one is reset too once what arrived is written. */
        s->reset = true;
        trace_add_narration(s->b->tr, evq_now(s->b->q), s->host,
                            "Live connection %u from a real client to %s (%s) ended: %s; the "
                            "real connection is reset.",
                            s->id, bridge_server_name(s->b, s->host), bridge_proto_name(s->p),
                            tcp_strerror(err));
    }
    if (!s->closing) {
        s->closing = true;
        s->closing_ms = bridge_wall_ms();
    }
}

static const struct tcp_app_ops bridge_tcp_ops = {
    .on_data = bridge_on_data,
    .on_eof = bridge_on_eof,
    .on_close = bridge_on_close,
};

/* ---- sessions -------------------------------------------------------------- */

static void bridge_out_append(struct bridge_sess *s, const char *data, size_t len)
{
    if (s->out_off && s->out_off == s->out_len) s->out_off = s->out_len = 0;
    if (s->out_len + len > s->out_cap) {
        if (s->out_off) { /* compact before growing */
            memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
            s->out_len -= s->out_off;
            s->out_off = 0;
        }
        size_t cap = s->out_cap ? s->out_cap : 4096;
        while (cap < s->out_len + len) cap *= 2;
        if (cap != s->out_cap) {
            s->out = ms_xrealloc(s->out, cap);
            s->out_cap = cap;
        }
    }
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
}

/* The session stops counting against the connection limits: its client
 * has closed, or the socket is closed. */
static void bridge_sess_release_slot(struct bridge_sess *s)
{
    if (!s->slot) return;
    s->slot = false;
    s->b->nsess--;
}

static void bridge_sess_close_fd(struct bridge_sess *s)
{
    if (s->ssl) {
        bridge_tls_end(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        if (s->reset) { /* RST, not FIN: SO_LINGER with a zero timeout */
            struct linger lg = {1, 0};
            setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(s->fd);
    }
    s->fd = -1;
    bridge_sess_release_slot(s);
}

/* The client was idle too long, or too slow: the simulated server's own
 * engine times the session out with its own reply (SMTP 421 4.4.2, IMAP
 * "* BYE"; POP3 closes without one, RFC 1939 §3), which reaches the client
 * like any reply; the bridge writes nothing of its own. When no engine
 * session exists on the connection (webmail, or one still connecting), the
 * socket is closed without a line. */
static void bridge_sess_timeout(struct bridge_sess *s, enum bridge_close_why why)
{
    struct bridge *b = s->b;
    if (s->closing || s->timing_out || s->fd < 0) return;
    b->st.closed_by[why]++;
    s->timing_out = true;
    trace_add_narration(b->tr, evq_now(b->q), s->host,
                        "Live connection %u from a real client to %s (%s): %s; the server's "
                        "inactivity timer ends the session.",
                        s->id, bridge_server_name(b, s->host), bridge_proto_name(s->p),
                        why == BRIDGE_WHY_SLOW
                            ? "what the client sent arrived too slowly (a trickle)"
                            : "idle for too long");
    s->closing_ms = bridge_wall_ms(); /* the linger bound applies from now */
    s->in_len = 0;
    /* Not "closing" yet: the engine's reply is still on its way; the
     * session closes when the server does. */
    if (s->conn && world_live_timeout(b->w, s->host, s->conn_id)) return;
    s->closing = true;
    if (s->conn && !s->fin_sent) {
        s->fin_sent = true;
        tcp_close(s->conn);
    }
    s->out_off = s->out_len = 0;
    bridge_sess_close_fd(s);
}

/* The client misbehaved at the socket level (reset, slow reader): close the
 * socket now and reset the simulated connection. */
static void bridge_sess_drop(struct bridge_sess *s, const char *why)
{
    struct bridge *b = s->b;
    b->st.client_errors++;
    trace_add_narration(b->tr, evq_now(b->q), s->host,
                        "Live connection %u from a real client to %s (%s) dropped: the client %s.",
                        s->id, bridge_server_name(b, s->host), bridge_proto_name(s->p), why);
    if (s->fd >= 0) bridge_sess_close_fd(s);
    s->in_len = 0;
    s->out_off = s->out_len = 0;
    s->closing = true;
    if (s->conn) {
        struct tcp_conn *c = s->conn;
        s->conn = NULL;
        tcp_abort(c);
    }
}

/* Give what the client sent to the simulated TCP, as far as it has room. */
static void bridge_sess_pump_in(struct bridge_sess *s)
{
    if (s->fd < 0 || s->closing || s->timing_out) return;
    if (s->turned_away && s->p != BRIDGE_HTTP) { /* the greeting says it all */
        if (s->client_eof && s->conn && !s->fin_sent) {
            s->fin_sent = true;
            tcp_close(s->conn);
        }
        return;
    }
    if (!s->conn) return;
    /* Before TLS (with --tls), a command line goes only once the engine has
     * read the one before (its own line facts say so), so nothing the client
     * sends after STARTTLS reaches the server before its verdict; message
     * data (DATA, literals: the engine marks it) flows freely. */
    bool gated = s->b->tls && !s->ssl && bridge_proto_plain(s->p) != BRIDGE_HTTP;
    size_t off = 0; /* sent so far; the rest moves to the front once */
    while (off < s->in_len && !s->stls_wait) {
        if (gated && !s->data_flow && s->seen_total < s->sent_lines_end) break;
        size_t unacked = tcp_unacked(s->conn);
        if (unacked >= BRIDGE_SIM_INFLIGHT_MAX) break;
        size_t room = tcp_send_space(s->conn);
        if (room > BRIDGE_SIM_INFLIGHT_MAX - unacked) room = BRIDGE_SIM_INFLIGHT_MAX - unacked;
        const char *p = s->in + off;
        size_t n = s->in_len - off < room ? s->in_len - off : room;
        const char *lf = gated && !s->data_flow ? memchr(p, '\n', n) : NULL;
        if (lf) n = (size_t)(lf - p) + 1;
        if (n == 0) break;
        n = tcp_send(s->conn, p, n);
        if (n == 0) break;
        s->sent_total += n;
        /* CRLF ends a line (RFC 5321 §2.3.8): the engine's log frames the same */
        if (gated && p[n - 1] == '\n' && (n >= 2 ? p[n - 2] == '\r' : s->sent_cr))
            s->sent_lines_end = s->sent_total;
        s->sent_cr = p[n - 1] == '\r';
        off += n;
    }
    if (off) {
        memmove(s->in, s->in + off, s->in_len - off);
        s->in_len -= off;
    }
    if (s->client_eof && s->in_len == 0 && s->conn && !s->fin_sent) {
        s->fin_sent = true;
        tcp_close(s->conn);
    }
}

/* The client closed: its slot is free at once, whatever the dialogue's
 * state; its last bytes still reach the server and the server's last
 * replies are still written, for at most BRIDGE_LINGER_MS. */
static void bridge_sess_client_closed(struct bridge_sess *s)
{
    s->client_eof = true;
    s->closing_ms = bridge_wall_ms();
    bridge_sess_release_slot(s);
}

static void bridge_sess_got(struct bridge_sess *s, size_t n)
{
    s->in_len += n;
    s->b->st.bytes_in += (uint64_t)n;
    s->last_ms = bridge_wall_ms();
    if (!s->pending_ms) s->pending_ms = s->last_ms;
    s->pending_bytes += (uint64_t)n;
}

/* The TLS handshake moved on; true when the session may go on. */
static bool bridge_sess_handshake(struct bridge_sess *s)
{
    struct bridge *b = s->b;
    enum bridge_tls_rc rc = bridge_tls_handshake(s->ssl);
    s->tls_want = rc == BRIDGE_TLS_WANT_READ ? POLLIN : rc == BRIDGE_TLS_WANT_WRITE ? POLLOUT : 0;
    if (rc == BRIDGE_TLS_WANT_READ || rc == BRIDGE_TLS_WANT_WRITE) return true;
    if (rc != BRIDGE_TLS_OK) {
        char why[300];
        snprintf(why, sizeof why, "failed the TLS handshake (%s)", bridge_tls_last_error());
        bridge_sess_drop(s, why);
        return false;
    }
    s->tls_hs = false;
    s->last_ms = bridge_wall_ms();
    char what[96];
    bridge_tls_describe(s->ssl, what, sizeof what);
    trace_add_narration(b->tr, evq_now(b->q), s->host,
                        "%s the connection is encrypted (live connection %u, %s, %s). On the "
                        "wire between the real client and the bridge there are only TLS records "
                        "now; the lines that follow are the plaintext only the two endpoints see.",
                        bridge_proto_is_tls(s->p) ? "Implicit TLS - from the first byte"
                                                  : "STARTTLS - from here",
                        s->id, bridge_proto_name(s->p), what);
    return true;
}

static void bridge_sess_read_tls(struct bridge_sess *s)
{
    if (s->tls_hs && !bridge_sess_handshake(s)) return;
    while (!s->tls_hs && s->fd >= 0 && !s->client_eof && !s->closing && s->in_len < BRIDGE_IN_MAX) {
        size_t got = 0;
        enum bridge_tls_rc rc =
            bridge_tls_read(s->ssl, s->in + s->in_len, BRIDGE_IN_MAX - s->in_len, &got);
        s->tls_want = 0;
        if (rc == BRIDGE_TLS_OK) {
            bridge_sess_got(s, got);
        } else if (rc == BRIDGE_TLS_WANT_READ) {
            break;
        } else if (rc == BRIDGE_TLS_WANT_WRITE) {
            s->tls_want = POLLOUT;
            break;
        } else if (rc == BRIDGE_TLS_CLOSED) {
            bridge_sess_client_closed(s);
        } else {
            char why[300];
            snprintf(why, sizeof why, "sent a bad TLS record (%s)", bridge_tls_last_error());
            bridge_sess_drop(s, why);
            return;
        }
    }
    bridge_sess_pump_in(s);
}

static void bridge_sess_read(struct bridge_sess *s)
{
    /* Between STARTTLS and the handshake the socket is not read as
     * plaintext: the next bytes are the client's TLS ClientHello. */
    if (s->stls_wait || s->stls_go) return;
    if (s->ssl) {
        bridge_sess_read_tls(s);
        return;
    }
    while (s->fd >= 0 && !s->client_eof && !s->closing && s->in_len < BRIDGE_IN_MAX) {
        ssize_t n = recv(s->fd, s->in + s->in_len, BRIDGE_IN_MAX - s->in_len, 0);
        if (n > 0 && s->turned_away && s->p != BRIDGE_HTTP) {
            continue; /* only the busy greeting is due: what it sends is not read */
        } else if (n > 0) {
            bridge_sess_got(s, (size_t)n);
        } else if (n == 0) {
            bridge_sess_client_closed(s);
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            bridge_sess_drop(s, "reset the connection");
            return;
        }
    }
    bridge_sess_pump_in(s);
}

static void bridge_sess_write(struct bridge_sess *s)
{
    if (s->ssl && s->tls_hs) {
        bridge_sess_handshake(s);
        return;
    }
    while (s->ssl && s->fd >= 0 && s->out_off < s->out_len) {
        size_t put = 0;
        enum bridge_tls_rc rc =
            bridge_tls_write(s->ssl, s->out + s->out_off, s->out_len - s->out_off, &put);
        s->tls_want = 0;
        if (rc == BRIDGE_TLS_OK) {
            s->out_off += put;
            s->b->st.bytes_out += (uint64_t)put;
            s->last_ms = bridge_wall_ms();
        } else if (rc == BRIDGE_TLS_WANT_WRITE || rc == BRIDGE_TLS_WANT_READ) {
            s->tls_want = rc == BRIDGE_TLS_WANT_READ ? POLLIN : POLLOUT;
            return;
        } else {
            bridge_sess_drop(s, "went away");
            return;
        }
    }
    while (!s->ssl && s->fd >= 0 && s->out_off < s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            s->out_off += (size_t)n;
            s->b->st.bytes_out += (uint64_t)n;
            s->last_ms = bridge_wall_ms();
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            bridge_sess_drop(s, "went away");
            return;
        }
    }
    if (s->out_off == s->out_len) s->out_off = s->out_len = 0;
    if (s->stls_go && s->out_len == 0 && s->fd >= 0 && !s->closing) {
        /* The server's "go ahead" is on its way: TLS starts now (RFC 3207
         * §4, RFC 2595 §4, RFC 3501 §6.2.1). */
        s->stls_go = s->stls_wait = false;
        s->ssl = bridge_tls_session(s->b->tls, s->fd);
        s->tls_hs = true;
        s->tls_want = POLLIN;
    }
    /* Everything written: a closing session (server closed, bridge ended
     * it, or the client closed and the server finished) lets the socket go. */
    if (s->fd >= 0 && s->out_len == 0 && (s->closing || (s->client_eof && !s->conn)))
        bridge_sess_close_fd(s);
}

/* Same client address (port ignored). */
static bool bridge_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family) return false;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
    return false;
}

static size_t bridge_addr_slots(const struct bridge *b, const struct sockaddr_storage *a)
{
    size_t n = 0;
    for (const struct bridge_sess *s = b->sessions; s; s = s->next)
        if (s->slot && bridge_same_addr(&s->peer, a)) n++;
    return n;
}

static struct bridge_sess *bridge_sess_new(struct bridge *b, struct bridge_listener *l, int fd,
                                           const struct sockaddr_storage *peer);

/* Over a connection cap. The client gets the simulated server's own "busy"
 * reply (world_live_mark: SMTP 421, POP3 -ERR [SYS/TEMP], IMAP * BYE
 * [UNAVAILABLE] as the greeting; webmail 503 to its request), over a
 * simulated connection that does not count against the caps, traced like
 * any other. An implicit-TLS port, or a flood beyond max_conns such
 * sessions at once, is just closed. */
static void bridge_turn_away(struct bridge *b, struct bridge_listener *l, int fd,
                             const struct sockaddr_storage *peer, enum bridge_close_why why,
                             size_t open)
{
    if (!bridge_proto_is_tls(l->p) && b->n_away < b->cfg.max_conns) {
        struct bridge_sess *s = bridge_sess_new(b, l, fd, peer);
        s->turned_away = true;
        b->n_away++;
        world_live_mark(b->w, s->conn_id, WORLD_LIVE_BUSY);
    } else {
        close(fd);
    }
    b->st.closed_by[why]++;
    trace_add_narration(b->tr, evq_now(b->q), l->host,
                        why == BRIDGE_WHY_BUSY
                            ? "A real client was turned away from %s (%s): %zu live connections "
                              "are open, the most allowed."
                            : "A real client was turned away from %s (%s): %zu live connections "
                              "are open from its address, the most allowed.",
                        bridge_server_name(b, l->host), bridge_proto_name(l->p), open);
}

static void bridge_accept(struct bridge *b, struct bridge_listener *l)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        memset(&peer, 0, sizeof peer);
        int fd = accept(l->fd, (struct sockaddr *)&peer, &pl);
        if (fd < 0) return; /* EAGAIN, or a connection that died in the backlog */
        bridge_set_nonblock(fd);
        bridge_advance(b);
        if (b->nsess >= b->cfg.max_conns || bridge_addr_slots(b, &peer) >= b->cfg.max_per_addr) {
            /* Full: first collect clients that closed since the last poll
             * (one that connects and closes at once is still in the accept
             * queue ahead of the clients behind it). */
            for (struct bridge_sess *s = b->sessions; s; s = s->next)
                if (s->slot && !s->client_eof && !s->closing) bridge_sess_read(s);
        }
        if (b->nsess >= b->cfg.max_conns) {
            bridge_turn_away(b, l, fd, &peer, BRIDGE_WHY_BUSY, b->nsess);
            continue;
        }
        size_t from_addr = bridge_addr_slots(b, &peer);
        if (from_addr >= b->cfg.max_per_addr) {
            bridge_turn_away(b, l, fd, &peer, BRIDGE_WHY_PER_ADDR, from_addr);
            continue;
        }
        struct bridge_sess *s = bridge_sess_new(b, l, fd, &peer);
        if (bridge_proto_is_tls(l->p)) { /* RFC 8314: TLS from the first byte */
            s->ssl = bridge_tls_session(b->tls, fd);
            s->tls_hs = true;
            s->tls_want = POLLIN;
            world_live_mark(b->w, s->conn_id, WORLD_LIVE_TLS); /* no STARTTLS offered */
        }
        s->slot = true;
        b->nsess++;
        b->st.accepted++;
    }
}

/* A session joining socket fd to a new simulated connection. */
static struct bridge_sess *bridge_sess_new(struct bridge *b, struct bridge_listener *l, int fd,
                                           const struct sockaddr_storage *peer)
{
    struct bridge_sess *s = ms_xcalloc(1, sizeof *s);
    s->b = b;
    s->id = ++b->next_id;
    s->fd = fd;
    s->p = l->p;
    s->host = l->host;
    s->last_ms = bridge_wall_ms();
    s->peer = *peer;
    s->next = b->sessions;
    b->sessions = s;
    s->conn = tcp_connect(b->net, b->client, l->host, bridge_sim_port(l->p), &bridge_tcp_ops, s);
    s->conn_id = tcp_conn_id(s->conn);
    return s;
}

/* Free the sessions that are over on both sides. */
static void bridge_reap(struct bridge *b)
{
    struct bridge_sess **pp = &b->sessions;
    while (*pp) {
        struct bridge_sess *s = *pp;
        if (s->fd < 0 && !s->conn) {
            *pp = s->next;
            if (s->turned_away) b->n_away--;
            world_live_take(b->w, s->conn_id); /* its marks, when never accepted */
            bridge_facts_free(s);
            free(s->out);
            free(s);
        } else {
            pp = &s->next;
        }
    }
}

/* ---- the loop ---------------------------------------------------------------- */

static sim_us bridge_sim_target(const struct bridge *b)
{
    return b->sim0 + (bridge_wall_us() - b->wall0_us);
}

static void bridge_advance(struct bridge *b)
{
    sim_us target = bridge_sim_target(b);
    if (target > evq_now(b->q)) evq_run(b->q, target);
}

static bool bridge_log_kind(const struct bridge *b, enum trace_kind k)
{
    if (b->cfg.log_all) return true;
    switch (k) {
    case TR_SEG_SENT:
    case TR_SEG_RETRANS:
    case TR_SEG_FORWARD:
    case TR_SEG_ARRIVED:
    case TR_DGRAM_SENT:
    case TR_DGRAM_FORWARD:
    case TR_DGRAM_ARRIVED:
    case TR_TCP_STATE:
    case TR_LINE_RECEIVED:
    case TR_TIMER_SET:
    case TR_TIMER_CANCELLED:
        return false;
    default:
        return true;
    }
}

/* Count the message fates of record r, as the trace goes by (older records
 * are forgotten, so the summary cannot read them back). */
static void bridge_count_fate(struct bridge *b, const struct trace_rec *r)
{
    if (r->kind == TR_QUEUE_CHANGED) {
        const struct trace_queue *q = trace_body(r);
        if (q->host < b->nhosts) b->queue_len[q->host] = q->length;
        return;
    }
    const struct trace_msg *m = trace_as_msg(r);
    if (!m) return;
    if (r->kind == TR_MSG_DELIVERED && m->peer == TRACE_NONE) b->st.delivered++;
    if (r->kind == TR_MSG_BOUNCED) b->st.bounced++;
}

static void bridge_log_new(struct bridge *b)
{
    size_t n = trace_count(b->tr);
    char line[1024];
    for (; b->logged < n; b->logged++) {
        const struct trace_rec *r = trace_get(b->tr, b->logged);
        bridge_count_fate(b, r);
        if (!b->log || !bridge_log_kind(b, (enum trace_kind)r->kind)) continue;
        trace_format_line(b->tr, b->logged, line, sizeof line);
        fprintf(b->log, "%s\n", line);
    }
    if (b->log) fflush(b->log);
    /* Bounded memory: what has been printed and counted may go, beyond
     * the most recent cfg.trace_keep bytes of records. */
    if (b->cfg.trace_keep) {
        trace_forget(b->tr, b->logged, b->cfg.trace_keep);
        world_msgid_trim(b->w, BRIDGE_MSGIDS_MAX);
    }
}

static void bridge_pump_all(struct bridge *b)
{
    int64_t now = bridge_wall_ms();
    for (struct bridge_sess *s = b->sessions; s; s = s->next) {
        if (s->fd < 0) continue;
        if (s->ssl && !s->tls_hs && bridge_tls_pending(s->ssl) && s->in_len < BRIDGE_IN_MAX)
            bridge_sess_read(s); /* decrypted bytes wait inside the TLS session */
        if (s->fd < 0) continue;
        bridge_sess_pump_in(s);
        if (!s->closing && !s->timing_out && !s->client_eof &&
            now - s->last_ms >= bridge_idle_ms(&b->cfg, s->p))
            bridge_sess_timeout(s, BRIDGE_WHY_IDLE);
        /* A trickle cannot keep a session: what the server has not answered
         * must come at BRIDGE_MIN_RATE once it is BRIDGE_PENDING_MS old. */
        if (!s->closing && !s->timing_out && !s->client_eof && s->pending_ms &&
            now - s->pending_ms >= b->cfg.pending_ms &&
            s->pending_bytes * 1000 < (uint64_t)BRIDGE_MIN_RATE * (uint64_t)(now - s->pending_ms))
            bridge_sess_timeout(s, BRIDGE_WHY_SLOW);
        if ((s->closing || s->client_eof || s->timing_out) && s->fd >= 0 &&
            now - s->closing_ms >= BRIDGE_LINGER_MS)
            bridge_sess_close_fd(s);
        bridge_sess_write(s);
    }
}

sim_us bridge_step(struct bridge *b, int max_wait_ms)
{
    bridge_advance(b);
    bridge_listen_sync(b);
    bridge_pump_all(b);
    bridge_reap(b);

    size_t want = b->nls + 1;
    for (const struct bridge_sess *s = b->sessions; s; s = s->next) want += s->fd >= 0;
    if (want > b->pfd_cap) {
        b->pfd_cap = want * 2;
        b->pfd = ms_xrealloc(b->pfd, b->pfd_cap * sizeof *b->pfd);
    }
    size_t np = 0;
    for (size_t i = 0; i < b->nls; i++) b->pfd[np++] = (struct pollfd){b->ls[i].fd, POLLIN, 0};
    for (struct bridge_sess *s = b->sessions; s; s = s->next) {
        if (s->fd < 0) continue;
        short ev = 0;
        if (!s->client_eof && !s->closing && !s->timing_out && s->in_len < BRIDGE_IN_MAX &&
            !s->stls_wait && !s->stls_go)
            ev |= POLLIN;
        if (s->out_off < s->out_len) ev |= POLLOUT;
        if (s->ssl) ev |= (short)(s->tls_want | (s->tls_hs ? POLLIN : 0));
        b->pfd[np++] = (struct pollfd){s->fd, ev, 0};
    }
    int timeout = max_wait_ms < 0 ? 0 : max_wait_ms;
    sim_us next = evq_next_time(b->q);
    if (next >= 0) {
        sim_us gap = next - bridge_sim_target(b);
        int ms = gap <= 0 ? 0 : (int)((gap + 999) / 1000 > 3600000 ? 3600000 : (gap + 999) / 1000);
        if (ms < timeout) timeout = ms;
    }
    if (b->sessions && timeout > 1000) timeout = 1000; /* idle, deadline and linger checks */
    int rc = poll(b->pfd, (nfds_t)np, timeout);
    bridge_advance(b);
    if (rc > 0) {
        /* Sessions first: a client that closed frees its slot before the
         * connections waiting in the same turn are counted against it. */
        for (size_t i = b->nls; i < np; i++) {
            if (!b->pfd[i].revents) continue;
            for (struct bridge_sess *s = b->sessions; s; s = s->next) {
                if (s->fd != b->pfd[i].fd) continue;
                if (s->ssl) { /* TLS may need a read to write or a write to read */
                    bridge_sess_read(s);
                    if (s->fd >= 0) bridge_sess_write(s);
                    break;
                }
                if (b->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) bridge_sess_read(s);
                if (s->fd >= 0 && (b->pfd[i].revents & POLLOUT)) bridge_sess_write(s);
                break;
            }
        }
        for (size_t i = 0; i < b->nls; i++)
            if (b->pfd[i].revents & POLLIN) bridge_accept(b, &b->ls[i]);
    }
    bridge_advance(b);
    bridge_listen_sync(b);
    bridge_pump_all(b);
    bridge_reap(b);
    bridge_log_new(b);
    return evq_now(b->q);
}

/* ---- opening and closing ------------------------------------------------------ */

static int bridge_listen_one(const struct bridge_addr *a, uint16_t port, uint16_t *bound,
                             struct ms_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    if (a->family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, a->a, 16);
        sl = sizeof *s6;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        memcpy(&s4->sin_addr, a->a, 4);
        sl = sizeof *s4;
    }
    int fd = socket(a->family, SOCK_STREAM, 0);
    if (fd < 0) goto fail;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (!bridge_set_nonblock(fd) || bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0)
        goto fail;
    sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) goto fail;
    *bound = ntohs(a->family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                         : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
fail:
    err->code = errno ? errno : 1;
    snprintf(err->where, sizeof err->where, "port %u", (unsigned)port);
    snprintf(err->msg, sizeof err->msg, "cannot listen on %s port %u: %s", a->text, (unsigned)port,
             strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
}

/* A real port listens exactly while its simulated server could accept the
 * connection: the host is up and listening on the simulated port. While it
 * cannot, the socket is closed, so a real client's connect is refused (RST
 * to its SYN), as it would be by a host that is down or has no server on
 * that port; nothing answers for the server. The port is bound again when
 * the server comes back. One narration per server and change lists its
 * ports; the log has a line per port. */
static void bridge_listen_sync(struct bridge *b)
{
    size_t i = 0;
    while (i < b->nls) {
        uint32_t host = b->ls[i].host; /* a server's listeners are next to each other */
        const char *name = bridge_server_name(b, host);
        bool host_up = host_is_up(b->net, host);
        char closed[256] = "", opened[256] = "";
        size_t nc = 0, no = 0;
        for (; i < b->nls && b->ls[i].host == host; i++) {
            struct bridge_listener *l = &b->ls[i];
            bool up = !b->shut && host_up && tcp_listening(b->net, host, bridge_sim_port(l->p));
            if (up == (l->fd >= 0)) continue;
            char *list = up ? opened : closed;
            size_t len = strlen(list);
            snprintf(list + len, sizeof closed - len, "%s%u (%s)", len ? ", " : "",
                     (unsigned)l->port, bridge_proto_name(l->p));
            if (!up) {
                close(l->fd);
                l->fd = -1;
                nc++;
                if (b->log)
                    fprintf(b->log, "live: %s %s port %u closed: the simulated server is %s\n",
                            name, bridge_proto_name(l->p), (unsigned)l->port,
                            host_up ? "not listening" : "down");
                continue;
            }
            struct ms_error err;
            uint16_t bound = 0;
            errno = 0;
            int fd = bridge_listen_one(&b->cfg.listen, l->port, &bound, &err);
            if (fd < 0) { /* the port was taken meanwhile: tried again each turn */
                list[len] = '\0';
                if (!l->failed && b->log)
                    fprintf(b->log, "live: %s %s: %s (trying again)\n", name,
                            bridge_proto_name(l->p), err.msg);
                l->failed = true;
                continue;
            }
            l->fd = fd;
            l->failed = false;
            no++;
            if (b->log)
                fprintf(b->log, "live: %s %s port %u listens again\n", name,
                        bridge_proto_name(l->p), (unsigned)l->port);
        }
        if (nc && !b->shut)
            trace_add_narration(b->tr, evq_now(b->q), host,
                                "%s is %s: its live port%s %s stop%s listening, so a real "
                                "client's connection is refused.",
                                name, host_up ? "not listening" : "down", nc > 1 ? "s" : "", closed,
                                nc > 1 ? "" : "s");
        if (no)
            trace_add_narration(b->tr, evq_now(b->q), host,
                                "%s can be reached again: its live port%s %s listen%s again.", name,
                                no > 1 ? "s" : "", opened, no > 1 ? "" : "s");
    }
}

struct bridge *bridge_new(struct world *w, const struct scn_scenario *s, struct trace *tr,
                          const struct bridge_cfg *cfg, FILE *log, struct ms_error *err)
{
    struct ms_error dummy;
    if (!err) err = &dummy;
    memset(err, 0, sizeof *err);
    struct bridge *b = ms_xcalloc(1, sizeof *b);
    b->w = w;
    b->s = s;
    b->tr = tr;
    b->net = world_net(w);
    b->q = world_evq(w);
    b->cfg = *cfg;
    if (b->cfg.max_conns == 0) b->cfg.max_conns = 1;
    b->log = log;
    b->client = host_add(b->net, BRIDGE_CLIENT_NAME, 0, false, err);
    if (b->client == NET_NONE) {
        free(b);
        return NULL;
    }
    b->nhosts = (size_t)b->client + 1;
    b->queue_len = ms_xcalloc(b->nhosts, sizeof *b->queue_len);
    if (b->cfg.tls) {
        b->tls = bridge_tls_new(b->cfg.tls_cert, b->cfg.tls_key, &b->cfg.listen, err);
        if (!b->tls) goto fail;
        world_live_tls(w, b->client); /* the servers offer STARTTLS to real clients */
    }
    world_live_tap(w, b->client, bridge_tap, b); /* the real clients' side of the trace */
    size_t k = 0, cap = 0;
    for (size_t h = 0; h < s->n_hosts; h++) {
        const struct scn_host *sh = &s->hosts[h];
        if (sh->kind != SCN_HOST_MAIL_SERVER) continue;
        struct link_cfg lc;
        memset(&lc, 0, sizeof lc);
        lc.latency_us = BRIDGE_LINK_LATENCY_US;
        lc.bandwidth_bps = BRIDGE_LINK_BPS;
        if (link_add(b->net, b->client, (uint32_t)h, &lc, err) == NET_NONE) goto fail;
        for (int p = 0; p < BRIDGE_PROTO_COUNT; p++) {
            if (bridge_proto_is_tls((enum bridge_proto)p) && !b->cfg.tls) continue;
            if ((p == BRIDGE_SUBMISSION || p == BRIDGE_SUBMISSIONS) && !sh->mail.submission)
                continue;
            if (p == BRIDGE_HTTP && !sh->mail.webmail) continue;
            int32_t port = bridge_port(b->cfg.port_base, b->cfg.port_step, k, (enum bridge_proto)p);
            if (port < 0) {
                ms_error_set(err, 1, "--port-base",
                             "the %s port of mail server %s (number %zu) would fall outside "
                             "1024..65535 with --port-base %u --port-step %u",
                             bridge_proto_name((enum bridge_proto)p), sh->name, k + 1,
                             (unsigned)b->cfg.port_base, (unsigned)b->cfg.port_step);
                goto fail;
            }
            if (b->nls == cap) {
                cap = cap ? cap * 2 : 8;
                b->ls = ms_xrealloc(b->ls, cap * sizeof *b->ls);
            }
            struct bridge_listener *l = &b->ls[b->nls];
            l->k = k;
            l->host = (uint32_t)h;
            l->p = (enum bridge_proto)p;
            errno = 0;
            l->fd = bridge_listen_one(&b->cfg.listen, (uint16_t)port, &l->port, err);
            if (l->fd < 0) goto fail;
            b->nls++;
        }
        k++;
    }
    if (log && b->tls)
        fprintf(log,
                "live: TLS: STARTTLS offered on smtp, submission, pop3 and imap; implicit TLS on "
                "submissions, pop3s and imaps; certificate %s (%s), SHA-256 %s\n",
                bridge_tls_cert_path(b->tls),
                b->cfg.tls_cert ? "given" : "self-signed, made now: trust this file",
                bridge_tls_fingerprint(b->tls));
    if (log) {
        for (size_t i = 0; i < b->nls; i++) {
            const struct bridge_listener *l = &b->ls[i];
            bool v6 = b->cfg.listen.family == AF_INET6;
            char where[96];
            snprintf(where, sizeof where, "%s%s%s:%u", v6 ? "[" : "", b->cfg.listen.text,
                     v6 ? "]" : "", (unsigned)l->port);
            fprintf(log, "live: %s %s %s -> simulated port %u\n", s->hosts[l->host].name,
                    bridge_proto_name(l->p), where, (unsigned)bridge_sim_port(l->p));
        }
        fflush(log);
    }
    /* Webmail's form tokens keyed with random bytes, not the public seed,
     * so a web page elsewhere cannot compute them. */
    unsigned char secret[32];
    size_t got = 0;
    int rfd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
        ssize_t r = read(rfd, secret, sizeof secret);
        got = r > 0 ? (size_t)r : 0;
        close(rfd);
    }
    if (got < sizeof secret) { /* no urandom: the clock still beats the seed */
        int64_t t = bridge_wall_us() ^ (int64_t)getpid() << 20;
        memcpy(secret, &t, sizeof t);
        got = sizeof t;
    }
    world_live_web_secret(w, secret, got);
    b->wall0_us = bridge_wall_us();
    b->sim0 = evq_now(b->q);
    bridge_listen_sync(b); /* a server that starts down: its ports refuse */
    if (log) fflush(log);
    return b;
fail:
    for (size_t i = 0; i < b->nls; i++) close(b->ls[i].fd);
    free(b->ls);
    free(b->queue_len);
    bridge_tls_free(b->tls);
    free(b);
    return NULL;
}

void bridge_shutdown(struct bridge *b, int max_wait_ms)
{
    if (!b || b->shut) return;
    b->shut = true;
    for (size_t i = 0; i < b->nls; i++) /* no new clients */
        if (b->ls[i].fd >= 0) close(b->ls[i].fd);
    b->nls = 0;
    for (struct bridge_sess *s = b->sessions; s; s = s->next) {
        if (s->fd < 0 || s->closing || s->timing_out) continue;
        b->st.closed_by[BRIDGE_WHY_SHUTDOWN]++;
        s->timing_out = true;
        s->closing_ms = bridge_wall_ms();
        s->in_len = 0;
        if (!(s->conn && world_live_shutdown(b->w, s->host, s->conn_id))) {
            s->closing = true; /* no engine session to say goodbye: just close */
            if (s->conn && !s->fin_sent) {
                s->fin_sent = true;
                tcp_close(s->conn);
            }
        }
    }
    /* The engines' goodbyes cross the simulated links (a few ms) and are
     * written; then each server closes and so does its socket. */
    int64_t until = bridge_wall_ms() + max_wait_ms;
    for (;;) {
        bool open = false;
        for (struct bridge_sess *s = b->sessions; s && !open; s = s->next) open = s->fd >= 0;
        if (!open || bridge_wall_ms() >= until) break;
        bridge_step(b, 10);
    }
}

void bridge_free(struct bridge *b)
{
    if (!b) return;
    bridge_shutdown(b, 1000);
    for (struct bridge_sess *s = b->sessions; s; s = s->next) {
        if (s->fd >= 0) {
            bridge_sess_write(s); /* best effort: the socket is non-blocking */
            if (s->fd >= 0) bridge_sess_close_fd(s);
        }
        if (s->conn) {
            struct tcp_conn *c = s->conn;
            s->conn = NULL;
            tcp_abort(c);
        }
    }
    bridge_reap(b);
    for (size_t i = 0; i < b->nls; i++)
        if (b->ls[i].fd >= 0) close(b->ls[i].fd);
    free(b->ls);
    free(b->pfd);
    free(b->queue_len);
    bridge_tls_free(b->tls);
    free(b);
}

size_t bridge_session_count(const struct bridge *b)
{
    return b->nsess;
}

uint16_t bridge_bound_port(const struct bridge *b, size_t k, enum bridge_proto p)
{
    for (size_t i = 0; i < b->nls; i++)
        if (b->ls[i].k == k && b->ls[i].p == p) return b->ls[i].port;
    return 0;
}

uint32_t bridge_client_host(const struct bridge *b)
{
    return b->client;
}

void bridge_stats_get(const struct bridge *b, struct bridge_stats *out)
{
    *out = b->st;
    out->queued = 0;
    for (size_t i = 0; i < b->nhosts; i++) out->queued += b->queue_len[i];
}

void bridge_summary(const struct bridge *b, FILE *f)
{
    const struct bridge_stats *st = &b->st;
    fprintf(f,
            "live: %zu connection(s) from real clients; turned away busy %zu; HTTP refused %zu; "
            "idle timeouts %zu; closed for bad commands %zu; ended at shutdown %zu; client "
            "errors %zu; server unreachable %zu; too slow %zu; too many from one address %zu; "
            "%llu byte(s) in, %llu byte(s) out\n",
            st->accepted, st->closed_by[BRIDGE_WHY_BUSY], st->closed_by[BRIDGE_WHY_HTTP],
            st->closed_by[BRIDGE_WHY_IDLE], st->closed_by[BRIDGE_WHY_ERRORS],
            st->closed_by[BRIDGE_WHY_SHUTDOWN], st->client_errors,
            st->closed_by[BRIDGE_WHY_UNREACHABLE], st->closed_by[BRIDGE_WHY_SLOW],
            st->closed_by[BRIDGE_WHY_PER_ADDR], (unsigned long long)st->bytes_in,
            (unsigned long long)st->bytes_out);
}
