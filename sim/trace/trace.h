/* trace.h -- the append-only record of everything that happened.
 *
 * The simulation appends typed records stamped with simulated time; the window,
 * the exports and the tests only read them, through trace_get and the views
 * below. A record reads as a 16-byte header (time, kind, length), a
 * fixed-size body per kind (struct trace_seg, ...), then variable bytes
 * (payload, line, text). Stored, records are packed (trace_pack.c): blocks of
 * 256 KiB whose fields are kept as differences from the record before and
 * compressed, so a segment's hop records and a line's bytes on the wire cost
 * little more than once; a block is decoded when read. Record k is found in
 * O(log blocks), the records around a time by binary search. Strings that repeat (protocol
 * and state names, users, folders) are interned to small ids; host names and
 * links are registered in the trace header, so a reader needs no simulation
 * state. Timer notes and message copies lie beside the records; a copy's
 * header and MIME outline are kept as a delta over an earlier copy of the
 * same message and read back whole (trace_msg_copy_header,
 * trace_msg_copy_part). Invariants: times never decrease; a copy's base is
 * an earlier copy of the same message; same scenario and seed, same bytes
 * (trace_hash); every padding byte is zero. */
#ifndef MAILSIM_TRACE_TRACE_H
#define MAILSIM_TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/common.h"
#include "core/netev.h"

#define TRACE_NONE UINT32_MAX /* no host / link / string */

/* Record kinds, X-macro: name, family (body struct), short text. The order is
 * part of the trace format: append new kinds at the end of their group only
 * before a release. */
#define TRACE_KIND_MAP(X)                                                                          \
    /* network: hosts and links (struct trace_ref) */                                              \
    X(HOST_UP, REF, "host up")                                                                     \
    X(HOST_DOWN, REF, "host down")                                                                 \
    X(LINK_UP, REF, "link up")                                                                     \
    X(LINK_DOWN, REF, "link down")                                                                 \
    /* TCP segments, one hop each (struct trace_seg + payload) */                                  \
    X(SEG_SENT, SEG, "sent")                                                                       \
    X(SEG_RETRANS, SEG, "retransmitted")                                                           \
    X(SEG_FORWARD, SEG, "forwarded")                                                               \
    X(SEG_ARRIVED, SEG, "arrived")                                                                 \
    X(SEG_LOST, SEG, "lost")                                                                       \
    /* UDP datagrams, e.g. DNS (struct trace_seg + payload) */                                     \
    X(DGRAM_SENT, SEG, "sent")                                                                     \
    X(DGRAM_FORWARD, SEG, "forwarded")                                                             \
    X(DGRAM_ARRIVED, SEG, "arrived")                                                               \
    X(DGRAM_LOST, SEG, "lost")                                                                     \
    /* TCP connections (struct trace_conn) */                                                      \
    X(CONN_OPENED, CONN, "connection opened")                                                      \
    X(CONN_REFUSED, CONN, "connection refused")                                                    \
    X(CONN_TIMEOUT, CONN, "connection timed out")                                                  \
    X(CONN_CLOSED, CONN, "connection closed")                                                      \
    X(CONN_RESET, CONN, "connection reset")                                                        \
    X(TCP_STATE, STATE, "TCP state")                                                               \
    /* protocol lines (struct trace_line + the line's bytes, CRLF included) */                     \
    X(LINE_SENT, LINE, "line sent")                                                                \
    X(LINE_RECEIVED, LINE, "line received")                                                        \
    /* messages (struct trace_msg + reason text) */                                                \
    X(MSG_COMPOSED, MSG, "composed")                                                               \
    X(MSG_SUBMITTED, MSG, "submitted")                                                             \
    X(MSG_QUEUED, MSG, "queued")                                                                   \
    X(MSG_ATTEMPT, MSG, "delivery attempt")                                                        \
    X(MSG_DEFERRED, MSG, "deferred")                                                               \
    X(MSG_DELIVERED, MSG, "delivered")                                                             \
    X(MSG_BOUNCED, MSG, "bounced")                                                                 \
    X(MSG_DUPLICATE, MSG, "reply lost after the final dot")                                        \
    X(MSG_NOT_SENT, MSG, "not sent")                                                               \
    /* stores (struct trace_queue, struct trace_mailbox) */                                        \
    X(QUEUE_CHANGED, QUEUE, "queue")                                                               \
    X(MAILBOX_CHANGED, MAILBOX, "mailbox")                                                         \
    /* DNS (struct trace_dns + answer text) */                                                     \
    X(DNS_QUESTION, DNS, "DNS question")                                                           \
    X(DNS_ANSWER, DNS, "DNS answer")                                                               \
    /* words for the audience (struct trace_ref: host or TRACE_NONE + text) */                     \
    X(NARRATION, REF, "narration")                                                                 \
    /* timers (struct trace_timer), optional */                                                    \
    X(TIMER_SET, TIMER, "timer set")                                                               \
    X(TIMER_CANCELLED, TIMER, "timer cancelled")

enum trace_kind {
#define TRACE_KIND_ENUM(name, fam, text) TR_##name,
    TRACE_KIND_MAP(TRACE_KIND_ENUM)
#undef TRACE_KIND_ENUM
        TR_KIND_COUNT
};

/* Which body struct a kind carries. */
enum trace_family {
    TRF_REF,
    TRF_SEG,
    TRF_CONN,
    TRF_STATE,
    TRF_LINE,
    TRF_MSG,
    TRF_QUEUE,
    TRF_MAILBOX,
    TRF_DNS,
    TRF_TIMER,
    TRF_COUNT
};

/* Every record starts with this header, 8-byte aligned. len counts the
 * bytes after the header: the body, then the variable data, unpadded. */
struct trace_rec {
    sim_us t;
    uint32_t kind; /* enum trace_kind */
    uint32_t len;
};

/* HOST_UP/DOWN (id = host), LINK_UP/DOWN (id = link), NARRATION (id = host
 * the words are about, or TRACE_NONE; data = UTF-8 text). */
struct trace_ref {
    uint32_t id;
    uint32_t pad;
};

/* SEG_* and DGRAM_*: one packet over one hop; data = the payload. */
struct trace_seg {
    sim_us t_depart;   /* first bit leaves hop_from */
    sim_us t_arrive;   /* last bit reaches hop_to (for LOST: when it would have) */
    uint32_t conn;     /* connection id, 0 if none (datagrams, stray RST) */
    uint32_t src, dst; /* end hosts */
    uint32_t hop_from, hop_to;
    uint32_t link;     /* TRACE_NONE if none */
    uint32_t seq, ack; /* TCP */
    uint16_t sport, dport;
    uint16_t window; /* TCP */
    uint16_t mss;    /* TCP SYN option, 0 if absent */
    uint8_t flags;   /* NETEV_FIN | NETEV_SYN | ... */
    uint8_t reason;  /* enum netev_reason (LOST) */
    uint8_t attempt; /* 0 = first transmission */
    uint8_t pad;
    uint32_t len; /* payload bytes (== the record's data length) */
};

/* CONN_*: reason is enum netev_reason. */
struct trace_conn {
    uint32_t conn;
    uint32_t host; /* where it was observed */
    uint32_t client, server;
    uint16_t cport, sport;
    uint32_t reason;
};

/* TCP_STATE: an endpoint of conn on host moved from -> to (interned names). */
struct trace_state {
    uint32_t conn;
    uint32_t host;
    uint32_t from, to;
};

/* LINE_SENT / LINE_RECEIVED: one protocol line (command or reply line) as
 * the engine of `host` wrote or read it. data = the bytes, CRLF included.
 * The states are that engine's own, as it reported them: a change is on the
 * line that caused it (the command a server read, the reply a client read,
 * or the reply a server wrote once the caller's verdict came). */
struct trace_line {
    uint32_t conn;
    uint32_t host;         /* the host whose engine sent / received it */
    uint32_t peer;         /* the other end */
    uint32_t proto;        /* interned: "SMTP", "POP3", "IMAP", "HTTP" */
    uint32_t state_before; /* interned engine state names */
    uint32_t state_after;
    uint32_t verb; /* interned command verb the line is or answers ("MAIL"), or "" */
    uint16_t code; /* numeric reply code (SMTP 250, HTTP 200), 0 if none */
    uint8_t side;  /* 'C' client or 'S' server: who wrote the line */
    uint8_t flags; /* TRACE_LF_* */
    uint32_t len;
    uint32_t ext; /* interned ehlo-keyword of an EHLO reply's extension line
                   * ("PIPELINING", "SIZE": RFC 5321 §4.1.1.1) as the server's
                   * engine named it, or "" (every other line) */
};

/* trace_line.flags */
#define TRACE_LF_DATA 1u       /* a line of message content (SMTP DATA, POP3 RETR, IMAP literal) */
#define TRACE_LF_OK 2u         /* a positive reply (+OK, IMAP OK, SMTP 2xx/3xx) */
#define TRACE_LF_ERR 4u        /* a negative reply (-ERR, IMAP NO/BAD, SMTP 4xx/5xx) */
#define TRACE_LF_DATA_END 8u   /* the reply that answers a whole message (after DATA's dot) */
#define TRACE_LF_CONT 16u      /* a further line of a multi-line reply (not its first line) */
#define TRACE_LF_TLS_START 32u /* the reply accepting STARTTLS: encrypted from the next byte */
#define TRACE_LF_TLS 64u       /* carried inside TLS: plaintext only the two endpoints see */

/* MSG_*: the life of one message. data = reason or detail text (may be empty),
 * e.g. "450 4.2.0 mailbox busy" or "connection timed out". */
struct trace_msg {
    sim_us next_retry;  /* DEFERRED: when the next attempt is due, else -1 */
    uint32_t msg;       /* simulation-wide message number, from 1 */
    uint32_t host;      /* where it happened */
    uint32_t peer;      /* the other host involved, or TRACE_NONE */
    uint32_t attempt;   /* ATTEMPT/DEFERRED: 1, 2, ...; else 0 */
    uint32_t code;      /* SMTP reply code that decided it, 0 if none */
    uint32_t sender;    /* interned envelope sender, or TRACE_NONE */
    uint32_t rcpt;      /* interned envelope recipient, or TRACE_NONE */
    uint32_t msgid;     /* interned Message-ID, or TRACE_NONE */
    uint32_t dsn;       /* BOUNCED: number of the bounce message sent, 0 if none */
    uint64_t body_hash; /* COMPOSED, DELIVERED into a mailbox: FNV-1a of the body, else 0 */
    uint32_t flags;     /* TRACE_MF_* */
    uint32_t pad;
};

/* trace_msg.flags */
#define TRACE_MF_GAVE_UP 1u /* BOUNCED: the queue gave up retrying (not a permanent reply) */

/* QUEUE_CHANGED: the outgoing queue of host now holds length messages. */
struct trace_queue {
    sim_us next_retry; /* earliest retry of a message tried before, -1 if none */
    uint32_t host;
    uint32_t length;
};

/* MAILBOX_CHANGED: user's folder on host now holds count messages. */
struct trace_mailbox {
    uint32_t host;
    uint32_t user;   /* interned */
    uint32_t folder; /* interned, e.g. "INBOX" */
    uint32_t count;
    uint32_t unseen;
    uint32_t pad;
};

/* DNS_QUESTION / DNS_ANSWER: data = the answer's resource records as
 * struct trace_dns_rr, recorded when the resolver read them (none for a
 * question); trace_dns_answer_text() renders them in zone-file style
 * ("mail.example.org. 300 IN MX 10 mx.example.org."). */
struct trace_dns {
    uint32_t host;   /* the resolver asking */
    uint32_t server; /* the name server, or TRACE_NONE */
    uint32_t qname;  /* interned */
    uint16_t qtype;  /* RFC 1035 type: 1 A, 15 MX, ... */
    uint16_t rcode;  /* RFC 1035 RCODE: 0 NOERROR, 3 NXDOMAIN */
    uint32_t id;     /* DNS message id */
    uint16_t port;   /* the resolver's UDP port: its datagrams carry it */
    uint16_t pad;
};

/* One resource record of a DNS answer (RFC 1035 §3.2.1; MX §3.3.9, A §3.4.1). */
struct trace_dns_rr {
    uint32_t name;     /* interned owner name */
    uint32_t ttl;      /* seconds */
    uint16_t type;     /* RFC 1035 type: 1 A, 5 CNAME, 15 MX */
    uint16_t pref;     /* MX: preference (lower is tried first), else 0 */
    uint32_t exchange; /* MX: interned exchange host name, else the empty string */
    uint8_t addr[4];   /* A: the IPv4 address, else zero */
    uint8_t section;   /* TRACE_DNS_ANSWER or TRACE_DNS_ADDITIONAL */
    uint8_t pad[3];
};
#define TRACE_DNS_ANSWER 0     /* the answer section */
#define TRACE_DNS_ADDITIONAL 1 /* the additional section (glue: the exchange's address) */

/* TIMER_SET / TIMER_CANCELLED: label interned ("SMTP retry"). */
struct trace_timer {
    sim_us due;
    uint32_t host;
    uint32_t label;
};

/* A host as registered in the header. */
struct trace_host {
    uint32_t ipv4;
    uint32_t router;
    const char *name; /* owned by the trace */
};

/* A link as registered in the header. */
struct trace_link {
    sim_us latency_us;
    uint64_t bandwidth_bps;
    double loss;
    uint32_t a, b;
    uint32_t mtu;
};

struct trace;

/* ---- life ------------------------------------------------------------------ */

/* A new empty trace. Aborts only when memory is exhausted. */
struct trace *trace_new(void);
/* Free it and everything it holds. NULL is a no-op. */
void trace_free(struct trace *tr);

/* ---- the header: hosts, links, strings ---------------------------------------- */

/* Register host id (ids must be registered in order 0, 1, 2...; a repeat of
 * an existing id is ignored). name is copied. */
void trace_host_add(struct trace *tr, uint32_t id, const char *name, uint32_t ipv4, bool router);
size_t trace_host_count(const struct trace *tr);
/* The host's name, or "?" for an unknown id (TRACE_NONE included). Borrowed. */
const char *trace_host_name(const struct trace *tr, uint32_t id);
/* The registered host, or NULL. Borrowed. */
const struct trace_host *trace_host_get(const struct trace *tr, uint32_t id);
/* Register link id (in order, as hosts). */
void trace_link_add(struct trace *tr, uint32_t id, const struct trace_link *l);
size_t trace_link_count(const struct trace *tr);
const struct trace_link *trace_link_get(const struct trace *tr, uint32_t id);

/* The id of string s (len bytes), adding it if new. Ids count from 0 in order
 * of first use, so they are deterministic. Aborts only if memory is exhausted. */
uint32_t trace_intern(struct trace *tr, const char *s);
uint32_t trace_intern_n(struct trace *tr, const char *s, size_t len);
/* The string of id (NUL-terminated, borrowed), or "" for TRACE_NONE/unknown. */
const char *trace_str(const struct trace *tr, uint32_t id);
size_t trace_str_count(const struct trace *tr);

/* ---- appending ------------------------------------------------------------- */

/* The netev_fn that records everything sim/net reports:
 *   net_set_observer(net, trace_on_netev, tr);
 * ctx is the struct trace. HOST_NEW and LINK_NEW fill the header. */
void trace_on_netev(void *ctx, sim_us t, const struct netev *ev);

/* Append a record of kind with body (exactly the size of the kind's body
 * struct, padding zeroed by the caller) followed by data[0..len). t must not
 * be earlier than the last record's. Returns the record's index. The typed
 * helpers below are easier to use. */
size_t trace_append(struct trace *tr, sim_us t, enum trace_kind kind, const void *body,
                    const void *data, size_t len);

/* LINE_SENT or LINE_RECEIVED; proto and states are interned here. */
size_t trace_add_line(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t conn,
                      uint32_t host, uint32_t peer, char side, const char *proto,
                      const char *state_before, const char *state_after, const void *line,
                      size_t len);
/* The typed facts of one protocol line, for trace_add_line_facts(). */
struct trace_line_facts {
    const char *verb; /* NULL or "" when none */
    unsigned code;
    unsigned flags;  /* TRACE_LF_* */
    const char *ext; /* the ehlo-keyword an extension line offers; NULL or "" when none */
};
/* As trace_add_line, with the line's verb, reply code, flags and ehlo-keyword. */
size_t trace_add_line_facts(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t conn,
                            uint32_t host, uint32_t peer, char side, const char *proto,
                            const char *state_before, const char *state_after,
                            const struct trace_line_facts *facts, const void *line, size_t len);
/* MSG_*: m is copied (pad bytes need not be zeroed); text may be NULL. */
size_t trace_add_msg(struct trace *tr, sim_us t, enum trace_kind kind, const struct trace_msg *m,
                     const char *text);
size_t trace_add_queue(struct trace *tr, sim_us t, uint32_t host, uint32_t length,
                       sim_us next_retry);
size_t trace_add_mailbox(struct trace *tr, sim_us t, uint32_t host, const char *user,
                         const char *folder, uint32_t count, uint32_t unseen);
/* One record for trace_add_dns_port(): names are copied (interned). */
struct trace_dns_rr_in {
    const char *name;
    uint32_t ttl;
    uint16_t type, pref;
    const char *exchange; /* MX, else NULL */
    uint8_t addr[4];      /* A */
    uint8_t section;      /* TRACE_DNS_ANSWER or TRACE_DNS_ADDITIONAL */
};
/* DNS_QUESTION / DNS_ANSWER with the answer's n records (none for a
 * question). port is the resolver's UDP port (0 when the lookup sent no
 * datagram), so a reader can tell which datagrams carry this question
 * without decoding them. */
size_t trace_add_dns_port(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                          uint16_t port, uint32_t server, const char *qname, uint16_t qtype,
                          uint16_t rcode, uint32_t id, const struct trace_dns_rr_in *rrs, size_t n);
/* DNS_QUESTION / DNS_ANSWER without a port. */
size_t trace_add_dns(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                     uint32_t server, const char *qname, uint16_t qtype, uint16_t rcode,
                     uint32_t id, const struct trace_dns_rr_in *rrs, size_t n);
/* The records of a DNS_ANSWER: copies up to max into out, returns how many
 * the record holds (0 for any other record). */
size_t trace_dns_rrs(const struct trace_rec *r, struct trace_dns_rr *out, size_t max);
/* The records of a DNS_ANSWER in zone-file style, "; " between records
 * ("example.net. 3600 IN MX 10 mx.example.net."), or the RCODE's name
 * ("NXDOMAIN") when there are none. Writes at most cap bytes with a NUL,
 * returns the full length (snprintf's contract). */
#define TRACE_DNS_TEXT_MAX 600 /* the readable forms show at most this much of an answer */
size_t trace_dns_answer_text(const struct trace *tr, const struct trace_rec *r, char *buf,
                             size_t cap);
/* NARRATION about host (or TRACE_NONE), printf-style. */
size_t trace_add_narration(struct trace *tr, sim_us t, uint32_t host, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* TIMER_SET / TIMER_CANCELLED about host (or TRACE_NONE). A record, or a
 * note when trace_timers_aside() is on; returns the record's index, or, for a
 * note, the number of records so far. */
size_t trace_add_timer(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host, sim_us due,
                       const char *label);

/* ---- timer notes: the event queue's future beside the records ------ */

/* A timer set or cancelled between records: it came after records
 * [0, before) and before record `before`. */
struct trace_timer_note {
    size_t before;
    sim_us t;             /* when it was set or cancelled */
    enum trace_kind kind; /* TR_TIMER_SET or TR_TIMER_CANCELLED */
    struct trace_timer timer;
};

/* With on, trace_add_timer() keeps timers as notes beside the records
 * instead of as records, so that a view which steps through records (the
 * window) can show the queue's future without every timer becoming a step.
 * Set it before anything is recorded. Can't fail. */
void trace_timers_aside(struct trace *tr, bool on);
/* Number of timer notes, and note i (i < count; valid until the next add,
 * or until notes of 4 other blocks of 4,096 have been read). */
size_t trace_timer_note_count(const struct trace *tr);
const struct trace_timer_note *trace_timer_note_get(const struct trace *tr, size_t i);

/* ---- message copies: the MIME outline of each copy a host holds ------------ */

/* One MIME part of a copy, in depth-first order (part 0 is the message).
 * Strings are interned; offsets are into the copy's bytes. Read a copy's
 * parts with trace_msg_copy_part(). */
struct trace_mime_part {
    uint64_t off;         /* first byte of the part's header in the copy */
    uint64_t hdr_len;     /* the header block, its empty line included */
    uint64_t body_len;    /* the body as it travels (still encoded) */
    uint64_t decoded_len; /* the body after transfer decoding; UINT64_MAX: undecodable */
    uint32_t path;        /* IMAP section path: "" for the message, "1", "2.1" */
    uint32_t type;        /* "multipart/mixed", "image/png" (lowercase) */
    uint32_t filename;    /* decoded filename or name parameter, or TRACE_NONE */
    uint32_t cte;         /* "7bit", "base64", "quoted-printable", ... */
    uint32_t preview;     /* the first decoded bytes (at most TRACE_MIME_PREVIEW) */
    uint32_t raw;         /* the first bytes of the body as it travels (TRACE_MIME_RAW) */
    uint32_t depth;       /* 0 for the message */
    uint32_t preview_len; /* bytes in preview: 0 for a multipart or an undecodable body */
};
#define TRACE_MIME_RAW 64
#define TRACE_MIME_PREVIEW 48

/* A copy's header is kept up to this many bytes: the first of a longer
 * header block (the message view shows no more). */
#define TRACE_COPY_HEADER_MAX 4096

/* A host holds a copy of message msg from this point on (composed, queued,
 * stored in a mailbox, fetched): recorded beside the records, like timer
 * notes, so that it adds no step. Each hop only puts a field or two
 * (Received, Return-Path) in front of the header it was given, so a copy's
 * header is kept as a delta: `head`, the bytes in front (packed and
 * compressed like the records), then the whole header of copy `base`, an
 * earlier copy of the same message. A copy whose
 * header extends none of that message's earlier copies (the first copy, a
 * rewritten header, one cut at TRACE_COPY_HEADER_MAX) has base TRACE_NONE
 * and its whole header in head. Read the whole header with
 * trace_msg_copy_header(), never from head alone. In the same way a copy
 * whose body is its base's shares its base's MIME outline: the parts lie
 * parts_shift bytes further on. Read them with trace_msg_copy_part(). */
struct trace_msg_copy {
    size_t before; /* recorded after records [0, before) */
    sim_us t;
    uint32_t msg;
    uint32_t host;
    uint32_t msgid;      /* interned Message-ID, or TRACE_NONE */
    uint32_t head;       /* the header's first bytes, all of it when base is TRACE_NONE, kept
                          * packed (number in the trace's store of heads); TRACE_NONE: none */
    uint64_t size;       /* bytes of the copy */
    uint32_t first_part; /* its parts in the part table, maybe an earlier copy's */
    uint32_t n_parts;
    uint32_t base;        /* the copy (number, < this copy's) whose whole header follows
                           * head, or TRACE_NONE */
    uint32_t parts_shift; /* bytes the header is longer than that of the copy that recorded
                           * the parts at first_part; 0 for its own */
};

/* Record that host holds a copy of msg: the header (its first
 * TRACE_COPY_HEADER_MAX bytes of header_len) and the MIME outline
 * (parts[0..n), strings already interned) are copied. The header is kept as
 * a delta over the latest copy of msg or one of its bases when it ends with
 * that copy's whole header; an identical header costs no bytes. When the
 * parts are that copy's, each after the header moved on by the bytes in
 * front, none are stored. Returns the number of records so far (the
 * copy's `before`). */
size_t trace_add_msg_copy(struct trace *tr, sim_us t, uint32_t msg, uint32_t host, uint32_t msgid,
                          const char *header, size_t header_len, uint64_t size,
                          const struct trace_mime_part *parts, size_t n);
/* With on, every copy's header is kept whole (base is always TRACE_NONE):
 * the header bytes exactly as the host held them, against which the tests
 * check the deltas. Set it before any copy is recorded. Can't fail. */
void trace_copy_headers_whole(struct trace *tr, bool on);
/* Number of copies, and copy i (in order of recording). Borrowed: valid
 * until the next add. */
size_t trace_msg_copy_count(const struct trace *tr);
const struct trace_msg_copy *trace_msg_copy_get(const struct trace *tr, size_t i);
/* Part i (< c->n_parts, depth-first) of copy c, with its offsets in c's
 * bytes, copied to *out. Can't fail. */
void trace_msg_copy_part(const struct trace *tr, const struct trace_msg_copy *c, size_t i,
                         struct trace_mime_part *out);
/* The whole header block of copy c (head, then its base's whole header, and
 * so on down the bases, at most TRACE_COPY_HEADER_MAX bytes). Writes at most
 * cap - 1 bytes of it and a NUL into buf (when cap > 0; a buffer of
 * TRACE_COPY_HEADER_MAX + 1 always holds it whole), returns its length. The
 * bytes may hold a NUL of the message's own. Can't fail. */
size_t trace_msg_copy_header(const struct trace *tr, const struct trace_msg_copy *c, char *buf,
                             size_t cap);

/* ---- reading --------------------------------------------------------------- */

/* Number of records. */
size_t trace_count(const struct trace *tr);
/* Record k (trace_first <= k < trace_count), borrowed. Valid until records
 * of 32 other storage blocks (of 256 KiB, about 3,000 records) have been
 * read, or trace_forget drops it: a lesson's whole trace stays valid; a
 * reader of a long trace keeps record numbers, not pointers. */
const struct trace_rec *trace_get(const struct trace *tr, size_t k);
/* The oldest record still held: 0 unless trace_forget dropped some. Record
 * numbers never change; searches and serialization start here. */
size_t trace_first(const struct trace *tr);
/* Bounded memory for a trace that never ends (live mode): free the oldest
 * records, whole storage chunks at a time, while the chunks hold more than
 * keep_bytes, dropping only records numbered below `before` (those the
 * caller has finished with). Interned strings, hosts and links stay.
 * Returns the new trace_first. Can't fail. */
size_t trace_forget(struct trace *tr, size_t before, size_t keep_bytes);
/* Index of the first record with time >= t (trace_count if none). O(log n). */
size_t trace_lower_bound(const struct trace *tr, sim_us t);
/* Index of the first record with time > t (trace_count if none). O(log n). */
size_t trace_upper_bound(const struct trace *tr, sim_us t);
/* Time of the last record, 0 when empty. */
sim_us trace_end_time(const struct trace *tr);

/* The body of r (cast by its family), and the variable data after it. */
const void *trace_body(const struct trace_rec *r);
const uint8_t *trace_data(const struct trace_rec *r, size_t *len);
/* Typed views: NULL when r is not of that family. */
const struct trace_seg *trace_as_seg(const struct trace_rec *r);
const struct trace_conn *trace_as_conn(const struct trace_rec *r);
const struct trace_line *trace_as_line(const struct trace_rec *r);
const struct trace_msg *trace_as_msg(const struct trace_rec *r);

/* "SEG_SENT", ... for a kind; "?" if out of range. */
const char *trace_kind_name(enum trace_kind kind);
/* The kind's short text for people: "arrived", "queued"; "?" if out of range. */
const char *trace_kind_text(enum trace_kind kind);
/* The family of a kind (TRF_COUNT if out of range), and its body size. */
enum trace_family trace_kind_family(enum trace_kind kind);
size_t trace_family_size(enum trace_family fam);

/* Write "HH:MM:SS.mmm" (with "Nd " in front past a day) for t into buf.
 * Returns buf. Can't fail. */
char *trace_format_time(sim_us t, char *buf, size_t buflen);
/* The readable one-line form of record k, without newline, e.g.
 *   00:00:00.040  alice-pc -> mail.example.org  TCP SYN seq=2596996162 win=65535 mss=1460
 * Truncated to fit buflen (NUL always written when buflen > 0). Returns the
 * length the full line would have (like snprintf). */
size_t trace_format_line(const struct trace *tr, size_t k, char *buf, size_t buflen);
/* Every record's line, one per line, to f. Returns 0, or -1 on write error. */
int trace_write_text(const struct trace *tr, FILE *f);

/* Serialize the whole trace (header and records) in the canonical byte form,
 * handing it to fn in pieces. The form is: "MAILSIM-TRACE 5\n", then hosts,
 * links, strings and records, little-endian as in memory, then message
 * copies (each with its whole header) and timer notes when there are any. */
void trace_serialize(const struct trace *tr, void (*fn)(void *ctx, const void *p, size_t n),
                     void *ctx);
/* 64-bit FNV-1a of trace_serialize's bytes: equal traces, equal hashes. */
uint64_t trace_hash(const struct trace *tr);
/* Use storage blocks of about block_bytes raw bytes and keep cache_blocks
 * decoded (defaults 256 KiB and 32), e.g. small ones to test a long trace's
 * storage on a short one. Set it before anything is recorded. Can't fail. */
void trace_set_storage(struct trace *tr, size_t block_bytes, size_t cache_blocks);

/* Bytes of memory held (packed and decoded blocks, header, strings, notes). */
size_t trace_memory(const struct trace *tr);

#endif
