/* world_int.h -- what the mail applications of one world share (private to
 * sim/mail: world.c, world_dns.c, mta.c, ua.c). Not an API for other layers. */
#ifndef MAILSIM_MAIL_WORLD_INT_H
#define MAILSIM_MAIL_WORLD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "core/evq.h"
#include "mail/world.h"
#include "mail/world_live.h"
#include "net/net.h"
#include "net/tcp.h"
#include "proto/dns_wire.h"
#include "proto/line.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct mta;
struct ua;
struct world_dns_lookup;
struct world_idmap;
struct mbox_store;
struct world_web;

struct world {
    const struct scn_scenario *s;
    struct trace *tr;
    struct evq *q;
    struct net *net;
    struct world_opts opts;
    struct mta **mta; /* per host index; NULL unless a mail server */
    struct ua **ua;   /* per host index; NULL unless a device */
    struct dns_zone *zone;
    size_t dns_host;                  /* the name server's host index, or SCN_NONE */
    uint32_t next_msg;                /* message numbers, from 1 */
    uint32_t next_dns_id;             /* DNS ids and resolver ports */
    struct world_dns_lookup *lookups; /* pending, singly linked */
    sim_us horizon;                   /* world_run's default limit */
    struct world_idmap *ids;          /* Message-ID -> message number */
    struct world_web *webs;           /* web servers' listeners and connections (world_web.c) */
    /* The timeline enters the event queue one action at a time, in time
     * order: the next when the one before it runs (world_action). */
    uint64_t act_seq;      /* action i's reserved queue sequence: act_seq + i */
    size_t *act_order;     /* action indices in time order, or NULL when the
                              * timeline already is (the loader's order) */
    size_t act_next;       /* how many actions, in that order, are queued */
    const char **msgid_of; /* message number -> Message-ID (world_copy.c), kept
                            * by the Message-ID map (world_msgid_keep) */
    uint32_t *msgid_tr;    /* ... its trace string id + 1, 0 until asked */
    size_t n_msgid_of;
    char web_secret[33];    /* webmail's form-token key: from the seed, or random live */
    bool live_tls;          /* live mode with --tls: servers offer STARTTLS ... */
    uint32_t live_tls_peer; /* ... to this host (the real clients) */
    /* live mode: the lines of sessions with live_peer go to live_tap too */
    world_live_tap_fn *live_tap;
    void *live_ctx;
    uint32_t live_peer;
    struct world_live_marks {
        uint32_t conn;
        unsigned marks;
    } * live_marks; /* world_live_mark */
    size_t n_live_marks, cap_live_marks;
};


/* Record what an engine's session log holds so far: each line it read or
 * wrote (and sent) becomes a LINE_RECEIVED / LINE_SENT record with the
 * engine's states and the line's facts. side is the engine's: 'C' or 'S'. */
void world_trace_log(struct world *w, struct line_log *g, uint32_t conn, uint32_t host,
                     uint32_t peer, char side, const char *proto);

/* Message numbers follow a message from hop to hop through its Message-ID:
 * register binds the Message-ID field of data to msg; lookup returns the
 * number bound to data's Message-ID, or binds a new number. */
void world_msgid_register(struct world *w, const char *data, size_t len, uint32_t msg);
/* The number bound to data's Message-ID, or 0 (binds nothing). */
uint32_t world_msgid_find(struct world *w, const char *data, size_t len);
/* The map's own copy of Message-ID id (added, bound to nothing, when new):
 * valid until the world is freed, world_msgid_trim included. */
const char *world_msgid_keep(struct world *w, const char *id);

/* Host takes a copy of message msg (data[0..len), as the host holds it):
 * remembers the message's Message-ID for its MSG_* records and records the
 * copy's header and MIME outline in the trace (world_copy.c). Call it
 * before the record that tells of the copy (composed, queued, delivered,
 * fetched). */
void world_msg_copy(struct world *w, uint32_t msg, uint32_t host, const char *data, size_t len);
/* The Message-ID of msg as its first copy had it, or NULL. Borrowed. */
const char *world_msgid_of(const struct world *w, uint32_t msg);
/* trace_intern of world_msgid_of(w, msg), or TRACE_NONE when it has none. */
uint32_t world_msgid_trace(struct world *w, uint32_t msg);
void world_msgid_free_all(struct world *w);
uint32_t world_msgid_lookup(struct world *w, const char *data, size_t len);

/* The typed facts of a message record (trace_msg's body_hash, dsn, flags). */
struct world_msg_facts {
    uint64_t body_hash;
    uint32_t dsn;
    bool gave_up;
};
/* world_msg_trace with typed facts (NULL: none). */
void world_msg_trace_facts(struct world *w, enum trace_kind kind, uint32_t msg, uint32_t host,
                           uint32_t peer, const char *sender, const char *rcpt, uint32_t attempt,
                           uint32_t code, sim_us next_retry, const char *text,
                           const struct world_msg_facts *facts);

/* A new simulation-wide message number. Can't fail. */
uint32_t world_msg_new(struct world *w);

/* Record a message-fate record (trace MSG_*). rcpt/sender may be NULL;
 * text may be NULL. */
void world_msg_trace(struct world *w, enum trace_kind kind, uint32_t msg, uint32_t host,
                     uint32_t peer, const char *sender, const char *rcpt, uint32_t attempt,
                     uint32_t code, sim_us next_retry, const char *text);

/* Record one protocol line written by `host` to `peer` on conn (LINE_SENT)
 * and, at the peer, when read (LINE_RECEIVED). No-op with opts.no_lines. */
void world_line_trace(struct world *w, enum trace_kind kind, uint32_t conn, uint32_t host,
                      uint32_t peer, char side, const char *proto, const char *before,
                      const char *after, const char *line, size_t len);

/* Result of an MX lookup: ok with the chosen exchange's name and host id, or
 * not ok with a reason ("DNS server not responding", "NXDOMAIN: no such
 * domain example.invalid"). permanent: the domain does not exist (bounce)
 * rather than a temporary failure (retry). */
struct world_mx_result {
    bool ok;
    bool permanent;
    uint32_t host; /* net host id of the exchange */
    char exchange[DNS_NAME_TEXT_MAX];
    char reason[160];
};
typedef void world_mx_fn(void *ctx, const struct world_mx_result *r);

/* Resolve domain's mail exchanger for `host`, over UDP to the scenario's DNS
 * host (MX, then A when the answer has no address). Without a DNS host the
 * answer comes from the zone at once (still traced). The callback runs
 * later, from an event, exactly once, unless world_dns_cancel(ctx) is
 * called first. */
void world_dns_resolve_mx(struct world *w, uint32_t host, const char *domain, world_mx_fn *cb,
                          void *ctx);
/* Forget every pending lookup whose callback ctx is ctx. */
void world_dns_cancel(struct world *w, void *ctx);
/* Start the name server on the DNS host and fill w->zone. */
void world_dns_start(struct world *w);
/* Free pending lookups. */
void world_dns_free(struct world *w);

/* ---- mail server (mta.c) ---- */

/* Start a mail server on host index h (listens on 25 and 587). */
struct mta *mta_new(struct world *w, size_t h);
void mta_free(struct mta *m);
/* Apply a SERVER_SET action. */
void mta_set_queue(struct mta *m, sim_us retry_interval, sim_us give_up);
/* The host went down (queue kept: a durable queue) or came up again (the
 * queue runner restarts). */
void mta_host_up(struct mta *m, bool up);
/* The server's mailbox store (for POP3, IMAP and webmail). */
struct mbox_store *mta_store(struct mta *m);

/* ---- user agent (ua.c) ---- */

struct ua *ua_new(struct world *w, size_t h);
void ua_free(struct ua *u);
/* Timeline actions for this device. */
void ua_send(struct ua *u, const struct scn_send *send, size_t action_index);
void ua_check_mail(struct ua *u, const struct scn_check_mail *check);
void ua_webmail(struct ua *u, const struct scn_webmail *wm);
/* A browser fetches a page, then each object it refers to, one request at a
 * time on one persistent connection (ua_page.c). */
void ua_web_get(struct ua *u, const struct scn_web_get *g);

/* world_timers.c: with opts.timers, record the event queue's
 * labelled schedules and cancels in the trace. */
void world_timers_attach(struct world *w);
/* For the future-event view: if ev is a mail server's queue run, its host
 * (mta.c); if it is a scenario action, its description, or false for a
 * narration, which the view leaves out (world.c). */
bool mta_event_host(const struct evq_info *ev, uint32_t *host);
/* ... and a DNS lookup's timer, the resolving host (world_dns.c). */
bool world_dns_event_host(const struct evq_info *ev, uint32_t *host);
bool world_action_event(const struct world *w, const struct evq_info *ev, bool *shown, char *label,
                        size_t n);

#endif
