/* mta_out.c -- the mail server's outgoing side: one batch of due queue
 * entries for one destination domain becomes an MX lookup, one TCP
 * connection to port 25 and one SMTP transaction per message (all its
 * recipients at that domain in one envelope), RFC 5321 §4.5.4.1 / §5.1. */
#include "mail/mta_int.h"
#include "mail/world_smtpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mta_out_txn {
    struct mta_out *o;
    struct mta_msg *msg; /* one reference held until the batch ends */
    uint32_t *ids;       /* queue entry per recipient */
    const char **rcpts;
    size_t nrcpt;
    bool *decided;
    struct smtp_client_txn t;
};

struct mta_out {
    struct mta_out *next;
    struct mta *m;
    char domain[256];
    struct mta_out_txn *tx;
    size_t ntx;
    uint32_t peer;
    struct world_smtpc *s;
};

static void mta_out_outcome(void *ctx, void *txn_user, size_t rcpt_index, enum smtp_outcome o,
                            int code, const char *text);
static void mta_out_done(void *ctx, enum tcp_err err);

static const struct world_smtpc_ops mta_out_ops = {
    .rcpt_outcome = mta_out_outcome,
    .done = mta_out_done,
};

void mta_out_free(struct mta_out *o)
{
    struct mta_out **pp = &o->m->outs;
    while (*pp && *pp != o) pp = &(*pp)->next;
    if (*pp) *pp = o->next;
    for (size_t i = 0; i < o->ntx; i++) {
        mta_msg_unref(o->tx[i].msg);
        free(o->tx[i].ids);
        free(o->tx[i].rcpts);
        free(o->tx[i].decided);
    }
    free(o->tx);
    world_smtpc_free(o->s);
    free(o);
}

/* Every entry not yet decided fails with reason (temporary unless permanent). */
static void mta_out_fail_all(struct mta_out *o, bool permanent, int code, const char *reason)
{
    for (size_t i = 0; i < o->ntx; i++) {
        struct mta_out_txn *t = &o->tx[i];
        for (size_t j = 0; j < t->nrcpt; j++) {
            if (t->decided[j]) continue;
            t->decided[j] = true;
            mta_entry_failed(o->m, t->ids[j], o->peer, permanent, code, reason);
        }
    }
}

static void mta_out_outcome(void *ctx, void *txn_user, size_t rcpt_index, enum smtp_outcome oc,
                            int code, const char *text)
{
    struct mta_out *o = ctx;
    struct mta_out_txn *t = txn_user;
    if (rcpt_index >= t->nrcpt || t->decided[rcpt_index]) return;
    t->decided[rcpt_index] = true;
    uint32_t id = t->ids[rcpt_index];
    struct mta *m = o->m;
    switch (oc) {
    case SMTP_OUT_DELIVERED:
        mta_entry_delivered(m, id, o->peer, code, text);
        break;
    case SMTP_OUT_PERMFAIL:
        mta_entry_failed(m, id, o->peer, true, code, text);
        break;
    case SMTP_OUT_UNKNOWN: {
        /* RFC 5321 §6.1: the reply to the final dot was lost; the message may
         * have arrived. Keep it queued: a duplicate is the lesser evil. */
        const struct mq_entry *e = mq_get(m->q, id);
        world_msg_trace(m->w, TR_MSG_DUPLICATE, t->msg->id, (uint32_t)m->h, o->peer, t->msg->sender,
                        e->rcpt, e->attempts, 0, -1, text);
        mta_entry_failed(m, id, o->peer, false, code, text);
        break;
    }
    default:
        mta_entry_failed(m, id, o->peer, false, code, text);
        break;
    }
}

static void mta_out_done(void *ctx, enum tcp_err err)
{
    struct mta_out *o = ctx;
    o->s = NULL; /* world_smtpc frees itself after done() */
    mta_out_fail_all(o, false, 0, tcp_strerror(err));
    mta_out_free(o);
}

static void mta_out_resolved(void *ctx, const struct world_mx_result *r)
{
    struct mta_out *o = ctx;
    struct mta *m = o->m;
    struct world *w = m->w;
    if (!r->ok) {
        mta_out_fail_all(o, r->permanent, 0, r->reason);
        mta_out_free(o);
        return;
    }
    o->peer = r->host;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.helo_name = m->sh->name;
    /* RFC 5321 §4.1.1.1: a HELO client uses no extension, so it sends each
     * command after the reply to the previous one (no PIPELINING, SIZE=). */
    cfg.start_with_helo = m->cfg->helo_client;
    cfg.no_pipelining = m->cfg->helo_client;
    /* RFC 3207: STARTTLS when relaying, if the scenario says so. Required:
     * a server that does not offer it keeps the message in the queue. */
    static const enum smtp_tls_mode tls_of[SCN_TLS_USE_COUNT] = {
        [SCN_TLS_OFF] = SMTP_TLS_OFF,
        [SCN_TLS_OPPORTUNISTIC] = SMTP_TLS_OPPORTUNISTIC,
        [SCN_TLS_REQUIRED] = SMTP_TLS_REQUIRED,
    };
    cfg.tls = tls_of[m->cfg->tls.relay];
    /* UNSAFE: a legacy relay passes a bare LF on as it came (smuggling lesson). */
    cfg.unsafe_allow_bare_lf = m->cfg->accept_bare_lf;
    o->s = world_smtpc_new(w, (uint32_t)m->h, r->host, 25, &cfg, &mta_out_ops, o);
    for (size_t i = 0; i < o->ntx; i++) {
        struct mta_out_txn *t = &o->tx[i];
        struct ms_error err;
        if (!world_smtpc_add(o->s, &t->t, &err)) {
            for (size_t j = 0; j < t->nrcpt; j++) {
                if (t->decided[j]) continue;
                t->decided[j] = true;
                mta_entry_failed(m, t->ids[j], o->peer, true, 554, err.msg);
            }
        }
    }
    world_smtpc_quit(o->s);
}

void mta_out_start(struct mta *m, const char *domain, const uint32_t *ids, size_t n)
{
    struct mta_out *o = ms_xcalloc(1, sizeof *o);
    o->m = m;
    o->peer = TRACE_NONE;
    snprintf(o->domain, sizeof o->domain, "%s", domain);
    o->tx = ms_xcalloc(n, sizeof *o->tx);
    /* One transaction per message: its recipients are adjacent or not, so
     * collect them by message. */
    for (size_t i = 0; i < n; i++) {
        struct mta_msg *msg = mta_entry_msg(m, ids[i]);
        struct mta_out_txn *t = NULL;
        for (size_t k = 0; k < o->ntx; k++)
            if (o->tx[k].msg == msg) t = &o->tx[k];
        if (!t) {
            t = &o->tx[o->ntx++];
            t->o = o;
            t->msg = msg;
            msg->refs++;
            t->ids = ms_xcalloc(n, sizeof *t->ids);
            t->rcpts = ms_xcalloc(n, sizeof *t->rcpts);
            t->decided = ms_xcalloc(n, sizeof *t->decided);
        }
        const struct mq_entry *e = mq_get(m->q, ids[i]);
        t->ids[t->nrcpt] = ids[i];
        t->rcpts[t->nrcpt] = e->rcpt;
        t->nrcpt++;
        world_msg_trace(m->w, TR_MSG_ATTEMPT, msg->id, (uint32_t)m->h, TRACE_NONE, msg->sender,
                        e->rcpt, e->attempts, 0, -1, domain);
    }
    for (size_t k = 0; k < o->ntx; k++) {
        struct mta_out_txn *t = &o->tx[k];
        t->t.reverse_path = t->msg->sender;
        t->t.rcpts = t->rcpts;
        t->t.nrcpt = t->nrcpt;
        t->t.body = t->msg->data;
        t->t.body_len = t->msg->len;
        t->t.user = t;
    }
    o->next = m->outs;
    m->outs = o;
    world_dns_resolve_mx(m->w, (uint32_t)m->h, domain, mta_out_resolved, o);
}

void mta_out_abort_all(struct mta *m)
{
    while (m->outs) {
        struct mta_out *o = m->outs;
        if (o->s) {
            world_smtpc_abort(o->s); /* frees o through mta_out_done */
        } else {
            world_dns_cancel(m->w, o);
            mta_out_fail_all(o, false, 0, "host went down");
            mta_out_free(o);
        }
    }
}
