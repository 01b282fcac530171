/* mta.c -- a mail server: SMTP on port 25 (relay between servers) and 587
 * (submission by its own users, RFC 6409), local delivery into the mailbox
 * store with Return-Path and Received (RFC 5321 §4.4), the outgoing queue
 * with retries (mq.h) and bounces as delivery status notifications
 * (RFC 3464 multipart/report, sent from the null reverse path <>, §6.1).
 * Open relay refused: on port 25 only local domains are accepted. */
#include "mail/mta_int.h"
#include "mail/world_live.h"

#include "core/ascii.h"
#include "core/buf.h"
#include "core/dur.h"
#include "format/dsn.h"
#include "format/msg.h"
#include "mail/mq_check.h"
#include "proto/smtp_server.h"
#include "proto/smtp_syntax.h"

/* Received: fields at which a message counts as looping (RFC 5321 §6.3
 * suggests at least 100 as the limit). */
#define MTA_MAX_RECEIVED 100

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTA_PORT_SMTP 25
#define MTA_PORT_SUBMISSION 587
#define MTA_QUEUE_DELAY SIM_US_PER_S
#define MTA_IN_MAX (64u * 1024u * 1024u)

struct mta_sess {
    struct mta_sess *next;
    struct mta *m;
    struct tcp_conn *c;
    struct smtp_server *e;
    uint32_t conn, peer;
    uint16_t port;
    char helo[256];
    char *sender;
    char **rcpt;
    size_t nrcpt, caprcpt;
    struct buf in; /* bytes the engine has not consumed yet */
    bool authed;
    bool ehlo;       /* the client greeted with EHLO (Received: "with ESMTP") */
    bool chaos_drop; /* abort before the 250 after DATA goes out */
};

static void *mta_on_accept(void *listen_ctx, struct tcp_conn *c);
static void mta_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void mta_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err);
static void mta_sess_pump(struct mta_sess *ss);
static void mta_sess_free(struct mta_sess *ss);
static void mta_run(void *ctx, uint64_t arg);

static const struct tcp_app_ops mta_server_ops = {
    .on_accept = mta_on_accept,
    .on_data = mta_on_data,
    .on_close = mta_on_close,
};

/* ---- helpers -------------------------------------------------------------- */


/* The user of this server that addr names, or NULL (not our domain, or no
 * such user). *ours says whether the domain is ours. */
static const struct scn_user *mta_local_user(const struct mta *m, const char *addr, bool *ours)
{
    const char *at = strrchr(addr, '@');
    *ours = false;
    if (!at) return NULL;
    if (ascii_casecmp(at + 1, m->cfg->domain) != 0) return NULL;
    *ours = true;
    for (size_t i = 0; i < m->cfg->n_users; i++) {
        const char *u = m->cfg->users[i].name;
        if (strlen(u) == (size_t)(at - addr) && ascii_memcasecmp(u, addr, (size_t)(at - addr)) == 0)
            return &m->cfg->users[i];
    }
    return NULL;
}

struct mta_msg *mta_entry_msg(struct mta *m, uint32_t id)
{
    return id >= 1 && id <= m->nmsgs ? m->msgs[id - 1] : NULL;
}

void mta_msg_unref(struct mta_msg *msg)
{
    if (!msg || --msg->refs > 0) return;
    free(msg->sender);
    free(msg->data);
    free(msg);
}

void mta_trace_queue(struct mta *m)
{
    size_t n = mq_count(m->q, MQ_S_QUEUED) + mq_count(m->q, MQ_S_IN_FLIGHT);
    /* The next *retry*: a message waiting for its first attempt is not
     * retrying, so the window never says "retrying" before any attempt. */
    trace_add_queue(m->w->tr, evq_now(m->w->q), (uint32_t)m->h, (uint32_t)n, mq_next_retry(m->q));
}

/* ---- local delivery --------------------------------------------------------- */

/* Store data for user in INBOX with Return-Path on top (RFC 5321 §4.4: the
 * final delivery adds it). */
static void mta_deliver_local(struct mta *m, uint32_t msg, const char *sender, const char *rcpt,
                              const char *user, const char *data, size_t len, uint32_t peer)
{
    struct world *w = m->w;
    struct msg_buf b = {0};
    msg_add_return_path(&b, sender, strlen(sender), NULL);
    msg_buf_add(&b, data, len);
    struct mbox_user *u = mbox_user_get(m->store, user, true);
    struct mbox_folder *f = u ? mbox_folder_find(u, "INBOX", 5) : NULL;
    if (f) mbox_append(f, b.data, b.len, 0, evq_now(w->q), NULL);
    struct msg_split sp;
    msg_split(data, len, &sp);
    char text[200];
    snprintf(text, sizeof text, "into %s's INBOX", user);
    struct world_msg_facts mf = {mq_check_hash(data + sp.body_off, sp.body_len), 0, false};
    (void)peer;
    /* The mailbox first, then the fate: at the step that says "delivered"
     * the mailbox already holds the message. */
    world_msg_copy(w, msg, (uint32_t)m->h, b.data, b.len);
    if (f) {
        trace_add_mailbox(w->tr, evq_now(w->q), (uint32_t)m->h, user, "INBOX",
                          (uint32_t)mbox_count(f), (uint32_t)mbox_unseen(f));
    }
    world_msg_trace_facts(w, TR_MSG_DELIVERED, msg, (uint32_t)m->h, TRACE_NONE, sender, rcpt, 0, 0,
                          -1, text, &mf);
    msg_buf_free(&b);
}

/* ---- the queue -------------------------------------------------------------- */

void mta_enqueue(struct mta *m, struct mta_msg *msg, const char *rcpt, uint32_t peer)
{
    uint32_t id = mq_add(m->q, msg->id, msg->sender, rcpt, evq_now(m->w->q));
    if (m->nmsgs == m->capmsgs) {
        m->capmsgs = m->capmsgs ? m->capmsgs * 2 : 16;
        m->msgs = ms_xrealloc(m->msgs, m->capmsgs * sizeof *m->msgs);
    }
    m->msgs[m->nmsgs++] = msg;
    assert(id == m->nmsgs);
    (void)id;
    msg->refs++;
    /* The queue first, then the fate: at the step that says "queued" the
     * queue already holds the message. */
    mta_trace_queue(m);
    world_msg_trace(m->w, TR_MSG_QUEUED, msg->id, (uint32_t)m->h, peer, msg->sender, rcpt, 0, 0, -1,
                    NULL);
    /* The queue manager looks a moment later, so that messages arriving
     * together leave together over one connection. */
    mta_schedule_run(m, evq_now(m->w->q) + MTA_QUEUE_DELAY);
}

void mta_schedule_run(struct mta *m, sim_us t)
{
    struct evq *q = m->w->q;
    if (t < evq_now(q)) t = evq_now(q);
    if (evq_is_set(m->run_timer)) { /* pending: mta_run() clears it */
        if (m->run_at <= t) return;
        evq_cancel(q, m->run_timer);
    }
    m->run_at = t;
    m->run_timer = evq_at(q, t, mta_run, m, 0, "SMTP queue run");
}

bool mta_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != mta_run) return mta_acc_event_host(ev, host);
    *host = (uint32_t)((const struct mta *)ev->ctx)->h;
    return true;
}

static void mta_run(void *ctx, uint64_t arg)
{
    (void)arg;
    struct mta *m = ctx;
    m->run_timer = EVQ_NONE;
    if (!m->up) return; /* mta_host_up() restarts the runner */
    sim_us now = evq_now(m->w->q);
    size_t cap = mq_count(m->q, MQ_S_QUEUED) + 1;
    uint32_t *ids = ms_xmalloc(cap * sizeof *ids);
    const char *domain;
    size_t n;
    while ((n = mq_take_due(m->q, now, &domain, ids, cap)) > 0) mta_out_start(m, domain, ids, n);
    free(ids);
    sim_us next = mq_next_wakeup(m->q);
    if (next >= 0) mta_schedule_run(m, next);
}

/* ---- bounces (RFC 3464) ----------------------------------------------------- */

/* The RFC 3463 status of a failure: the enhanced code of a 5xx reply when
 * it has one, 5.1.1 for a plain 550, 5.4.7 (delivery time expired) when we
 * gave up, 5.0.0 otherwise. */
static void mta_dsn_status(int code, const char *reply, bool gave_up, char *out, size_t cap)
{
    unsigned c = 0, sub = 0, det = 0;
    const char *sp = strchr(reply, ' ');
    if (sp && sscanf(sp + 1, "%1u.%3u.%3u", &c, &sub, &det) == 3 && c == 5) {
        snprintf(out, cap, "5.%u.%u", sub, det);
        return;
    }
    snprintf(out, cap, "%s", gave_up ? "5.4.7" : code == 550 ? "5.1.1" : "5.0.0");
}

/* Compose a DSN (format/dsn.h, RFC 3464) for (orig, rcpt) to orig's sender,
 * from <>: stored at once when the sender is ours, queued otherwise. */
static void mta_bounce(struct mta *m, struct mta_msg *orig, const char *rcpt, int code,
                       const char *reason, bool gave_up, uint32_t peer, sim_us arrival,
                       uint32_t dsn_id)
{
    struct world *w = m->w;
    const struct scn_scenario *s = w->s;
    sim_us now = evq_now(w->q);
    char status[16];
    mta_dsn_status(code, reason, gave_up, status, sizeof status);
    struct dsn_recipient r;
    memset(&r, 0, sizeof r);
    r.addr = rcpt;
    r.action = DSN_FAILED;
    r.status = status;
    r.remote_mta = peer != TRACE_NONE ? host_name(w->net, peer) : NULL;
    r.diagnostic = reason;
    r.reason = gave_up ? "the recipient's mail server could not be reached before the give-up time"
               : code == 550 ? "the recipient's mail server says this mailbox does not exist"
                             : "the recipient's mail server refused the message";
    r.last_attempt = now;
    struct dsn_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.reporting_mta = m->sh->name;
    sp.domain = m->cfg->domain;
    sp.to = orig->sender;
    sp.rcpts = &r;
    sp.n_rcpts = 1;
    sp.original = orig->data;
    sp.original_len = orig->len;
    sp.arrival = arrival;
    sp.now = now;
    sp.epoch_unix = s->epoch;
    sp.seed = s->seed;
    sp.serial = dsn_id;
    struct msg_buf b = {0};
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (!dsn_build(&b, &sp, &err)) {
        trace_add_narration(w->tr, now, (uint32_t)m->h, "%s could not write a bounce: %s",
                            m->sh->name, err.msg);
        msg_buf_free(&b);
        return;
    }
    struct msg_split dsp;
    msg_split(b.data, b.len, &dsp);
    struct world_msg_facts mf = {mq_check_hash(b.data + dsp.body_off, dsp.body_len), 0, false};
    world_msgid_register(w, b.data, b.len, dsn_id);
    world_msg_copy(w, dsn_id, (uint32_t)m->h, b.data, b.len);
    world_msg_trace_facts(w, TR_MSG_COMPOSED, dsn_id, (uint32_t)m->h, TRACE_NONE, "", orig->sender,
                          0, 0, -1, "delivery status notification", &mf);
    bool ours;
    const struct scn_user *u = mta_local_user(m, orig->sender, &ours);
    if (u) {
        mta_deliver_local(m, dsn_id, "", orig->sender, u->name, b.data, b.len, TRACE_NONE);
        msg_buf_free(&b);
        return;
    }
    struct mta_msg *dm = ms_xcalloc(1, sizeof *dm);
    dm->id = dsn_id;
    dm->sender = ms_xstrdup("");
    dm->data = msg_buf_take(&b, &dm->len);
    dm->refs = 1; /* held while enqueuing */
    mta_enqueue(m, dm, orig->sender, TRACE_NONE);
    mta_msg_unref(dm);
}

void mta_entry_delivered(struct mta *m, uint32_t id, uint32_t peer, int code, const char *reply)
{
    struct mta_msg *msg = mta_entry_msg(m, id);
    const struct mq_entry *e = mq_get(m->q, id);
    mq_delivered(m->q, id, evq_now(m->w->q));
    world_msg_trace(m->w, TR_MSG_DELIVERED, msg->id, (uint32_t)m->h, peer, msg->sender, e->rcpt,
                    e->attempts, (uint32_t)code, -1, reply);
    m->msgs[id - 1] = NULL;
    mta_msg_unref(msg);
    mta_trace_queue(m);
}

void mta_entry_failed(struct mta *m, uint32_t id, uint32_t peer, bool permanent, int code,
                      const char *reason)
{
    struct world *w = m->w;
    struct mta_msg *msg = mta_entry_msg(m, id);
    sim_us now = evq_now(w->q);
    struct mq_verdict v =
        permanent ? mq_bounced(m->q, id, now, reason) : mq_deferred(m->q, id, now, reason);
    const struct mq_entry *e = mq_get(m->q, id);
    if (v.state == MQ_S_QUEUED) {
        world_msg_trace(w, TR_MSG_DEFERRED, msg->id, (uint32_t)m->h, peer, msg->sender, e->rcpt,
                        e->attempts, (uint32_t)code, v.next_try, reason);
        mta_schedule_run(m, v.next_try);
        mta_trace_queue(m);
        return;
    }
    uint32_t dsn = v.send_dsn ? world_msg_new(w) : 0;
    struct world_msg_facts mf = {0, dsn, v.gave_up};
    world_msg_trace_facts(w, TR_MSG_BOUNCED, msg->id, (uint32_t)m->h, peer, msg->sender, e->rcpt,
                          e->attempts, (uint32_t)code, -1, e->reason, &mf);
    if (dsn) mta_bounce(m, msg, e->rcpt, code, e->reason, v.gave_up, peer, e->first_queued, dsn);
    m->msgs[id - 1] = NULL;
    mta_msg_unref(msg);
    mta_trace_queue(m);
}

/* ---- taking custody ---------------------------------------------------------- */

void mta_accept_rcpts(struct mta *m, uint32_t id, const char *sender, const char *const *rcpts,
                      size_t n, const char *data, size_t len, uint32_t peer)
{
    struct mta_msg *msg = NULL;
    for (size_t i = 0; i < n; i++) {
        bool ours;
        const struct scn_user *u = mta_local_user(m, rcpts[i], &ours);
        if (u) {
            mta_deliver_local(m, id, sender, rcpts[i], u->name, data, len, peer);
            continue;
        }
        if (!msg) {
            msg = ms_xcalloc(1, sizeof *msg);
            msg->id = id;
            msg->sender = ms_xstrdup(sender);
            msg->data = ms_xmemdup(data, len);
            msg->len = len;
            msg->refs = 1; /* held while enqueuing */
        }
        mta_enqueue(m, msg, rcpts[i], peer);
    }
    mta_msg_unref(msg);
}

void mta_accept_message(struct mta *m, uint32_t id, const char *sender, const char *rcpt,
                        const char *data, size_t len, uint32_t peer)
{
    mta_accept_rcpts(m, id, sender, &rcpt, 1, data, len, peer);
}

/* ---- receiving ---------------------------------------------------------------- */

static void *mta_on_accept(void *listen_ctx, struct tcp_conn *c)
{
    struct mta *m = listen_ctx;
    /* Chaos "connect": reset the connection at once. */
    if (rng_chance(&m->chaos, m->cfg->chaos.connect)) {
        tcp_abort(c);
        return NULL;
    }
    struct mta_sess *ss = ms_xcalloc(1, sizeof *ss);
    buf_init(&ss->in, MTA_IN_MAX);
    ss->m = m;
    ss->c = c;
    ss->conn = tcp_conn_id(c);
    ss->peer = tcp_remote_host(c);
    ss->port = tcp_local_port(c);
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.hostname = m->sh->name;
    cfg.banner = "ESMTP";
    cfg.ext = 0;
    if (m->cfg->pipelining) cfg.ext |= SMTP_EXT_PIPELINING;
    if (m->cfg->eightbitmime) cfg.ext |= SMTP_EXT_8BITMIME;
    if (m->cfg->size_limit) cfg.ext |= SMTP_EXT_SIZE;
    cfg.ext |= SMTP_EXT_ENHANCEDSTATUSCODES;
    unsigned live = world_live_take(m->w, ss->conn); /* live mode's marks, else 0 */
    if (world_live_tls_for(m->w, ss->peer) && !(live & WORLD_LIVE_TLS))
        cfg.ext |= SMTP_EXT_STARTTLS;
    /* The scenario's STARTTLS (RFC 3207), for simulated clients only: a live
     * client is offered it when the bridge can encrypt (--tls, above). The
     * simulation has no cryptography; the lines after the 220 travel as
     * plaintext, marked as inside TLS by both engines' session logs. */
    bool live_client = m->w->live_tap && ss->peer == m->w->live_peer;
    if (m->cfg->tls.offer && !live_client) {
        cfg.ext |= SMTP_EXT_STARTTLS;
        cfg.auth_needs_tls = m->cfg->tls.auth_needs;
    }
    if (ss->port == MTA_PORT_SUBMISSION && m->cfg->auth_required) {
        cfg.ext |= SMTP_EXT_AUTH;
        cfg.auth_required = true;
    }
    cfg.max_message_bytes = m->cfg->size_limit;
    cfg.max_recipients = m->cfg->max_recipients;
    /* Chaos "greeting": a busy server, 421 instead of 220 and the connection
     * closed (RFC 5321 §3.8): the client tries again later. Chaos "refuse":
     * 554 instead of 220 (§3.1), then only QUIT: no service for this client,
     * a permanent refusal. */
    if (rng_chance(&m->chaos, m->cfg->chaos.greeting)) cfg.busy = true;
    if (rng_chance(&m->chaos, m->cfg->chaos.refuse)) cfg.refuse = true;
    if (live & WORLD_LIVE_BUSY) cfg.busy = true; /* live mode's caps */
    const struct scn_smtp_texts *tx = &m->cfg->texts;
    cfg.texts = (struct smtp_server_texts){tx->greeting, tx->helo,   tx->mail, tx->rcpt,
                                           tx->data,     tx->queued, tx->quit};
    /* The UNSAFE legacy switches of the SMTP smuggling lesson. A lenient
     * server also predates RFC 2920's checks on pipelining. */
    cfg.unsafe_accept_bare_lf = m->cfg->accept_bare_lf;
    if (m->cfg->lenient_data) {
        cfg.unsafe_lenient_data_end = true;
        cfg.forbid_unauth_pipelining = false;
    }
    ss->e = smtp_server_new(&cfg);
    ss->next = m->sessions;
    m->sessions = ss;
    mta_sess_pump(ss);
    return ss;
}

static void mta_sess_rcpt_add(struct mta_sess *ss, const char *r, size_t n)
{
    /* RCPT twice for one address: one copy (the second is accepted, as
     * servers do, but adds nothing). */
    for (size_t i = 0; i < ss->nrcpt; i++)
        if (strlen(ss->rcpt[i]) == n && ascii_memcasecmp(ss->rcpt[i], r, n) == 0) return;
    if (ss->nrcpt == ss->caprcpt) {
        ss->caprcpt = ss->caprcpt ? ss->caprcpt * 2 : 4;
        ss->rcpt = ms_xrealloc(ss->rcpt, ss->caprcpt * sizeof *ss->rcpt);
    }
    ss->rcpt[ss->nrcpt++] = ms_xmemdup(r, n);
}

static void mta_sess_txn_clear(struct mta_sess *ss)
{
    for (size_t i = 0; i < ss->nrcpt; i++) free(ss->rcpt[i]);
    ss->nrcpt = 0;
    free(ss->sender);
    ss->sender = NULL;
}

/* RCPT: ours (known user or 550), or relay only for submission clients. */
static void mta_sess_rcpt(struct mta_sess *ss, const struct smtp_event *ev)
{
    struct mta *m = ss->m;
    /* Chaos (scenario "chaos.rcpt"): a temporary failure, 451. */
    if (rng_chance(&m->chaos, m->cfg->chaos.rcpt)) {
        smtp_server_verdict(ss->e, SMTP_V_TEMPFAIL, NULL);
        return;
    }
    char *r = ms_xmemdup(ev->arg, ev->arg_len);
    bool ours;
    const struct scn_user *u = mta_local_user(m, r, &ours);
    if (ours) {
        if (u) {
            mta_sess_rcpt_add(ss, ev->arg, ev->arg_len);
            smtp_server_verdict(ss->e, SMTP_V_ACCEPT, NULL);
        } else {
            smtp_server_verdict(ss->e, SMTP_V_UNKNOWN_USER,
                                "Recipient address rejected: User unknown");
        }
    } else if (ss->port == MTA_PORT_SUBMISSION && (ss->authed || !m->cfg->auth_required)) {
        mta_sess_rcpt_add(ss, ev->arg, ev->arg_len);
        smtp_server_verdict(ss->e, SMTP_V_ACCEPT, NULL);
    } else {
        smtp_server_verdict(ss->e, SMTP_V_RELAY_DENIED, "Relay access denied");
    }
    free(r);
}

static void mta_sess_auth(struct mta_sess *ss, const struct smtp_event *ev)
{
    struct mta *m = ss->m;
    for (size_t i = 0; i < m->cfg->n_users; i++) {
        const struct scn_user *u = &m->cfg->users[i];
        size_t ul = strlen(u->name);
        const char *user = ev->user;
        size_t user_len = ev->user_len;
        /* Accept "bob" and "bob@example.net" as the user name. */
        const char *at = memchr(user, '@', user_len);
        if (at) user_len = (size_t)(at - user);
        if (user_len == ul && ascii_memcasecmp(u->name, user, ul) == 0 &&
            ev->pass_len == strlen(u->password) &&
            memcmp(ev->pass, u->password, ev->pass_len) == 0) {
            ss->authed = true;
            smtp_server_verdict(ss->e, SMTP_V_ACCEPT, NULL);
            return;
        }
    }
    smtp_server_verdict(ss->e, SMTP_V_AUTH_FAILED, NULL);
}

/* The end of DATA: take custody of each recipient, then answer 250. */
static void mta_sess_message(struct mta_sess *ss, const struct smtp_event *ev)
{
    struct mta *m = ss->m;
    struct world *w = m->w;
    /* Chaos "data": refuse the message for now, 451, nothing kept. */
    if (rng_chance(&m->chaos, m->cfg->chaos.data)) {
        smtp_server_verdict(ss->e, SMTP_V_TEMPFAIL, NULL);
        return;
    }
    /* RFC 5321 §6.3: a message that has passed through this many relays is
     * looping; refuse it (554 5.4.6) rather than pass it on for ever. */
    if (smtp_count_received(ev->arg, ev->arg_len) >= MTA_MAX_RECEIVED) {
        smtp_server_verdict(ss->e, SMTP_V_LOOP, NULL);
        return;
    }
    uint32_t id = world_msgid_lookup(w, ev->arg, ev->arg_len);
    char qid[32];
    snprintf(qid, sizeof qid, "M%u", (unsigned)id);
    char ip[16];
    net_ip_format(host_ip(w->net, ss->peer), ip, sizeof ip);
    struct msg_received rc = {
        .helo = ss->helo[0] ? ss->helo : host_name(w->net, ss->peer),
        .client_host = host_name(w->net, ss->peer),
        .client_ip = ip,
        .by_host = m->sh->name,
        /* RFC 3848 §2 (the "with" protocol of RFC 5321 §4.4): SMTP after
         * HELO, ESMTP after EHLO, ESMTPA when the client authenticated;
         * an S after ESMTP when the session ran inside STARTTLS. */
        .with = smtp_server_tls_active(ss->e) ? (ss->authed ? "ESMTPSA" : "ESMTPS")
                : ss->authed                  ? "ESMTPA"
                : ss->ehlo                    ? "ESMTP"
                                              : "SMTP",
        .id = qid,
        .for_addr = ss->nrcpt == 1 ? ss->rcpt[0] : NULL,
        .t = evq_now(w->q),
        .epoch_unix = w->s->epoch,
    };
    struct msg_buf b = {0};
    if (msg_add_received(&b, &rc, NULL) != MSG_OK) {
        rc.helo = host_name(w->net, ss->peer); /* never copy a bad EHLO name (S13) */
        msg_add_received(&b, &rc, NULL);
    }
    msg_buf_add(&b, ev->arg, ev->arg_len);
    world_msg_copy(w, id, (uint32_t)m->h, b.data, b.len);
    const char *sender = ss->sender ? ss->sender : "";
    mta_accept_rcpts(m, id, sender, (const char *const *)ss->rcpt, ss->nrcpt, b.data, b.len,
                     ss->peer);
    msg_buf_free(&b);
    /* Chaos "after_dot": the message is stored, then the connection dies
     * before the 250 goes out. The sender cannot know: it will send again
     * and the recipient gets it twice (RFC 5321 §6.1, the lesson of custody). */
    if (rng_chance(&m->chaos, m->cfg->chaos.after_dot)) {
        ss->chaos_drop = true;
        smtp_server_verdict(ss->e, SMTP_V_ACCEPT, NULL);
        return;
    }
    smtp_server_verdict(ss->e, SMTP_V_ACCEPT, NULL);
}

/* Trace the lines the engine read and sent so far, with its states. */
static void mta_sess_log(struct mta_sess *ss)
{
    if (ss->m->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(ss->m->w, smtp_server_log(ss->e), ss->conn, (uint32_t)ss->m->h, ss->peer, 'S',
                    "SMTP");
}

/* Send the engine's output, tracing each line. */
static void mta_sess_flush(struct mta_sess *ss)
{
    const char *out;
    size_t n = smtp_server_out(ss->e, &out);
    if (n == 0) return;
    if (ss->c) tcp_send(ss->c, out, n);
    smtp_server_out_done(ss->e, n);
    mta_sess_log(ss);
}

static void mta_sess_events(struct mta_sess *ss)
{
    struct smtp_event ev;
    while (smtp_server_event(ss->e, &ev)) {
        switch (ev.kind) {
        case SMTP_EV_HELO:
            snprintf(ss->helo, sizeof ss->helo, "%.*s", (int)ev.arg_len, ev.arg);
            ss->ehlo = ev.ehlo;
            break;
        case SMTP_EV_TXN_STARTED:
            mta_sess_txn_clear(ss);
            ss->sender = ms_xmemdup(ev.arg, ev.arg_len);
            break;
        case SMTP_EV_RCPT_ASKED:
            mta_sess_rcpt(ss, &ev);
            break;
        case SMTP_EV_AUTH_ASKED:
            mta_sess_auth(ss, &ev);
            break;
        case SMTP_EV_MESSAGE:
            mta_sess_message(ss, &ev);
            mta_sess_txn_clear(ss);
            break;
        case SMTP_EV_TXN_RESET:
            mta_sess_txn_clear(ss);
            break;
        default:
            break;
        }
    }
}

/* Feed what we hold to the engine until it stops consuming. */
static void mta_sess_pump(struct mta_sess *ss)
{
    for (;;) {
        size_t used = ss->in.len ? smtp_server_recv(ss->e, ss->in.data, ss->in.len) : 0;
        if (used) {
            buf_drop(&ss->in, used);
        }
        mta_sess_log(ss);
        mta_sess_events(ss);
        if (ss->chaos_drop && ss->c) {
            struct tcp_conn *c = ss->c;
            ss->c = NULL;
            tcp_abort(c); /* no callback: free the session ourselves */
            smtp_server_hangup(ss->e);
            mta_sess_free(ss);
            return;
        }
        mta_sess_flush(ss);
        if (smtp_server_closed(ss->e)) {
            if (ss->c) tcp_close(ss->c);
            return;
        }
        if (used == 0) return;
    }
}

static void mta_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct mta_sess *ss = ctx;
    if (!buf_add(&ss->in, data, len)) { /* over MTA_IN_MAX */
        smtp_server_hangup(ss->e);
        tcp_close(ss->c);
        return;
    }
    mta_sess_pump(ss);
}

static void mta_sess_free(struct mta_sess *ss)
{
    struct mta_sess **pp = &ss->m->sessions;
    while (*pp && *pp != ss) pp = &(*pp)->next;
    if (*pp) *pp = ss->next;
    mta_sess_txn_clear(ss);
    smtp_server_free(ss->e);
    free(ss->rcpt);
    buf_free(&ss->in);
    free(ss);
}

static void mta_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    (void)err;
    struct mta_sess *ss = ctx;
    if (!ss) return;
    ss->c = NULL;
    smtp_server_hangup(ss->e);
    mta_sess_events(ss);
    mta_sess_free(ss);
}

/* ---- life ------------------------------------------------------------------- */

struct mta *mta_new(struct world *w, size_t h)
{
    struct mta *m = ms_xcalloc(1, sizeof *m);
    m->w = w;
    m->h = h;
    m->sh = &w->s->hosts[h];
    m->cfg = &m->sh->mail;
    m->up = m->sh->up;
    m->store = mbox_store_new(1);
    char key[96];
    snprintf(key, sizeof key, "chaos:%s", m->sh->name);
    m->chaos = rng_stream(w->s->seed, key);
    for (size_t i = 0; i < m->cfg->n_users; i++)
        mbox_user_get(m->store, m->cfg->users[i].name, true);
    struct mq_cfg qc = {m->cfg->retry_interval, m->cfg->give_up};
    m->q = mq_new(&qc);
    tcp_listen(w->net, (uint32_t)h, MTA_PORT_SMTP, &mta_server_ops, m);
    if (m->cfg->submission)
        tcp_listen(w->net, (uint32_t)h, MTA_PORT_SUBMISSION, &mta_server_ops, m);
    mta_access_listen(m);
    mta_web_listen(m);
    return m;
}

void mta_free(struct mta *m)
{
    if (!m) return;
    /* The network is gone (no callbacks): drop what is still open. */
    while (m->sessions) mta_sess_free(m->sessions);
    while (m->accs) mta_acc_free(m->accs);
    while (m->webs) mta_web_free(m->webs);
    while (m->outs) mta_out_free(m->outs);
    for (size_t i = 0; i < m->nmsgs; i++) {
        if (!m->msgs[i]) continue;
        struct mta_msg *msg = m->msgs[i];
        /* Drop each remaining reference once. */
        for (size_t j = i; j < m->nmsgs; j++)
            if (m->msgs[j] == msg) m->msgs[j] = NULL;
        free(msg->sender);
        free(msg->data);
        free(msg);
    }
    free(m->msgs);
    mq_free(m->q);
    mbox_store_free(m->store);
    free(m);
}

void mta_set_queue(struct mta *m, sim_us retry_interval, sim_us give_up)
{
    /* Entries already deferred keep their next try; later ones use these. */
    mq_set_cfg(m->q, retry_interval, give_up);
}

void mta_host_up(struct mta *m, bool up)
{
    m->up = up;
    if (up) mta_schedule_run(m, evq_now(m->w->q));
}

struct mbox_store *mta_store(struct mta *m)
{
    return m->store;
}

bool mta_timeout_conn(struct mta *m, uint32_t conn, bool shutdown)
{
    for (struct mta_sess *ss = m->sessions; ss; ss = ss->next) {
        if (ss->conn != conn || !ss->c) continue;
        /* RFC 5321 §4.5.3.2.7: the engine's own 421, then it closes. */
        if (shutdown)
            smtp_server_shutdown(ss->e);
        else
            smtp_server_timeout(ss->e);
        mta_sess_pump(ss);
        return true;
    }
    return mta_acc_timeout_conn(m, conn, shutdown);
}
