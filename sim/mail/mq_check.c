/* mq_check.c -- message-fate invariants (see mq_check.h). Pairs are kept in
 * first-seen order (reports are deterministic) with a hash index on top. */
#include "mail/mq_check.h"

#include "core/dur.h"
#include "core/hash.h"
#include "core/strpool.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mq_check_hostst {
    uint32_t host;
    bool in_queue;
    bool stored; /* queued or delivered here at some point (rule 3) */
    sim_us queued_since;
    sim_us last_attempt; /* -1: none yet */
};

struct mq_check_pair {
    uint32_t msg;
    const char *rcpt; /* kept by the checker's pool, as sender and bounces' rcpt */
    bool composed;
    const char *sender;
    uint64_t body_hash;
    bool rejected;
    bool cut; /* delivered cut short at a lenient host */
    unsigned delivered, bounced, lost_replies;
    struct mq_check_hostst *hs;
    size_t nhs;
};

struct mq_check_bounce {
    sim_us t;
    uint32_t msg, dsn;
    const char *rcpt;
};

struct mq_check_hostcfg {
    uint32_t host;
    sim_us retry, give_up;
    bool down;
    bool lenient;
};

struct mq_check {
    sim_us retry, give_up;
    struct mq_check_hostcfg *hcfg;
    size_t nhcfg;
    struct mq_check_pair *p;
    size_t np, capp;
    uint32_t *index; /* open addressing: pair index + 1, 0 = empty */
    size_t icap;
    struct mq_check_bounce *b;
    size_t nb, capb;
    sim_us last_t;
    /* report */
    char *rep;
    size_t repcap, replen, violations;
    struct mq_check_sum sum;
    struct strpool names; /* addresses, each once */
};

static const char *const mq_fate_names[MQ_F_COUNT] = {
    "composed", "rejected",   "queued",   "attempt",   "deferred",
    "acked",    "lost-reply", "dequeued", "delivered", "bounced",
};

const char *mq_fate_name(enum mq_fate f)
{
    return (unsigned)f < MQ_F_COUNT ? mq_fate_names[f] : "?";
}

uint64_t mq_check_hash(const void *data, size_t len)
{
    return hash_fnv1a(HASH_FNV1A_BASIS, data, len);
}

static uint64_t mq_check_key(uint32_t msg, const char *rcpt)
{
    uint64_t h = mq_check_hash(rcpt, strlen(rcpt));
    return h ^ ((uint64_t)msg * 0x9E3779B97F4A7C15ull);
}

struct mq_check *mq_check_new(sim_us retry_interval, sim_us give_up)
{
    struct mq_check *c = ms_xcalloc(1, sizeof *c);
    c->retry = retry_interval;
    c->give_up = give_up;
    c->icap = 64;
    c->index = ms_xcalloc(c->icap, sizeof *c->index);
    return c;
}

void mq_check_free(struct mq_check *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->np; i++) {
        free(c->p[i].hs);
    }
    strpool_free(&c->names);
    free(c->p);
    free(c->b);
    free(c->index);
    free(c->hcfg);
    free(c->rep);
    free(c);
}

static struct mq_check_hostcfg *mq_check_hcfg(struct mq_check *c, uint32_t host)
{
    for (size_t i = 0; i < c->nhcfg; i++)
        if (c->hcfg[i].host == host) return &c->hcfg[i];
    c->hcfg = ms_xrealloc(c->hcfg, (c->nhcfg + 1) * sizeof *c->hcfg);
    struct mq_check_hostcfg *h = &c->hcfg[c->nhcfg++];
    h->host = host;
    h->retry = c->retry;
    h->give_up = c->give_up;
    h->down = false;
    h->lenient = false;
    return h;
}

void mq_check_host_lenient(struct mq_check *c, uint32_t host)
{
    mq_check_hcfg(c, host)->lenient = true;
}

static bool mq_check_is_lenient(const struct mq_check *c, uint32_t host)
{
    for (size_t i = 0; i < c->nhcfg; i++)
        if (c->hcfg[i].host == host) return c->hcfg[i].lenient;
    return false;
}

/* The pair was delivered at a lenient host. */
static bool mq_check_pair_lenient(const struct mq_check *c, const struct mq_check_pair *p)
{
    for (size_t i = 0; i < p->nhs; i++)
        if (p->hs[i].stored && mq_check_is_lenient(c, p->hs[i].host)) return true;
    return false;
}

void mq_check_host_down(struct mq_check *c, uint32_t host, bool down)
{
    mq_check_hcfg(c, host)->down = down;
}

static bool mq_check_is_down(const struct mq_check *c, uint32_t host)
{
    for (size_t i = 0; i < c->nhcfg; i++)
        if (c->hcfg[i].host == host) return c->hcfg[i].down;
    return false;
}

void mq_check_host_cfg(struct mq_check *c, uint32_t host, sim_us retry_interval, sim_us give_up)
{
    struct mq_check_hostcfg *h = mq_check_hcfg(c, host);
    h->retry = retry_interval;
    h->give_up = give_up;
}

static void mq_check_cfg(const struct mq_check *c, uint32_t host, sim_us *retry, sim_us *give_up)
{
    *retry = c->retry;
    *give_up = c->give_up;
    for (size_t i = 0; i < c->nhcfg; i++) {
        if (c->hcfg[i].host == host) {
            *retry = c->hcfg[i].retry;
            *give_up = c->hcfg[i].give_up;
        }
    }
}

static void mq_check_rehash(struct mq_check *c)
{
    free(c->index);
    c->icap *= 2;
    c->index = ms_xcalloc(c->icap, sizeof *c->index);
    for (size_t i = 0; i < c->np; i++) {
        size_t h = (size_t)(mq_check_key(c->p[i].msg, c->p[i].rcpt) & (c->icap - 1));
        while (c->index[h]) h = (h + 1) & (c->icap - 1);
        c->index[h] = (uint32_t)(i + 1);
    }
}

static struct mq_check_pair *mq_check_pair_get(struct mq_check *c, uint32_t msg, const char *rcpt)
{
    size_t h = (size_t)(mq_check_key(msg, rcpt) & (c->icap - 1));
    while (c->index[h]) {
        struct mq_check_pair *p = &c->p[c->index[h] - 1];
        if (p->msg == msg && strcmp(p->rcpt, rcpt) == 0) return p;
        h = (h + 1) & (c->icap - 1);
    }
    if (c->np == c->capp) {
        c->capp = c->capp ? c->capp * 2 : 64;
        c->p = ms_xrealloc(c->p, c->capp * sizeof *c->p);
    }
    struct mq_check_pair *p = &c->p[c->np++];
    memset(p, 0, sizeof *p);
    p->msg = msg;
    p->rcpt = strpool_get(&c->names, rcpt);
    c->index[h] = (uint32_t)c->np;
    if (c->np * 2 > c->icap) mq_check_rehash(c);
    return mq_check_pair_get(c, msg, rcpt);
}

static struct mq_check_hostst *mq_check_host(struct mq_check_pair *p, uint32_t host)
{
    for (size_t i = 0; i < p->nhs; i++)
        if (p->hs[i].host == host) return &p->hs[i];
    p->hs = ms_xrealloc(p->hs, (p->nhs + 1) * sizeof *p->hs);
    struct mq_check_hostst *h = &p->hs[p->nhs++];
    memset(h, 0, sizeof *h);
    h->host = host;
    h->last_attempt = -1;
    return h;
}

MS_PRINTF(2, 3)
static void mq_check_fail(struct mq_check *c, const char *fmt, ...)
{
    c->violations++;
    if (c->replen + 1 >= c->repcap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->rep + c->replen, c->repcap - c->replen, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    c->replen += (size_t)n;
    if (c->replen + 1 >= c->repcap) {
        c->replen = c->repcap - 1;
        return;
    }
    c->rep[c->replen++] = '\n';
    c->rep[c->replen] = '\0';
}

/* Violations found while feeding are kept until finish. */
static void mq_check_early(struct mq_check *c)
{
    if (!c->rep) {
        c->repcap = 16384;
        c->rep = ms_xcalloc(1, c->repcap);
    }
}

void mq_check_empty_ack(struct mq_check *c, sim_us t, uint32_t host)
{
    mq_check_early(c);
    char tb[32];
    mq_check_fail(c,
                  "rule 3 (ack after commit): host %u replied 250 to the end of DATA at %s "
                  "with nothing stored",
                  host, dur_format(t, tb, sizeof tb));
}

void mq_check_feed(struct mq_check *c, const struct mq_fate_rec *r)
{
    assert(r->t >= c->last_t);
    c->last_t = r->t;
    mq_check_early(c);
    struct mq_check_pair *p = mq_check_pair_get(c, r->msg, r->rcpt ? r->rcpt : "");
    struct mq_check_hostst *h = NULL;
    sim_us retry, give_up;
    mq_check_cfg(c, r->host, &retry, &give_up);
    char d1[32], d2[32];
    switch (r->kind) {
    case MQ_F_COMPOSED:
        p->composed = true;
        p->sender = strpool_get(&c->names, r->sender ? r->sender : "");
        p->body_hash = r->body_hash;
        break;
    case MQ_F_REJECTED:
        p->rejected = true;
        break;
    case MQ_F_QUEUED:
        h = mq_check_host(p, r->host);
        if (!h->in_queue) h->queued_since = r->t;
        h->in_queue = true;
        h->stored = true;
        break;
    case MQ_F_ATTEMPT:
        h = mq_check_host(p, r->host);
        if (h->last_attempt >= 0 && r->t - h->last_attempt < retry)
            mq_check_fail(c,
                          "rule 5 (retry schedule): message %u to %s: host %u tried again "
                          "after %s, less than the retry interval %s",
                          r->msg, p->rcpt, r->host,
                          dur_format(r->t - h->last_attempt, d1, sizeof d1),
                          dur_format(retry, d2, sizeof d2));
        h->last_attempt = r->t;
        break;
    case MQ_F_DEFERRED:
        break;
    case MQ_F_ACKED:
        h = mq_check_host(p, r->host);
        if (!h->stored)
            mq_check_fail(c,
                          "rule 3 (ack after commit): message %u to %s: host %u replied 250 "
                          "before storing it",
                          r->msg, p->rcpt, r->host);
        break;
    case MQ_F_LOST_REPLY:
        p->lost_replies++;
        break;
    case MQ_F_DEQUEUED:
        h = mq_check_host(p, r->host);
        h->in_queue = false;
        break;
    case MQ_F_DELIVERED:
        h = mq_check_host(p, r->host);
        h->stored = true;
        p->delivered++;
        if (p->composed && r->body_hash != p->body_hash && mq_check_is_lenient(c, r->host))
            p->cut = true;
        else if (p->composed && r->body_hash != p->body_hash)
            mq_check_fail(c,
                          "rule 6 (integrity): message %u to %s: body at delivery differs "
                          "from the body composed",
                          r->msg, p->rcpt);
        break;
    case MQ_F_BOUNCED:
        h = mq_check_host(p, r->host);
        if (r->gave_up && h->in_queue && r->t - h->queued_since < give_up)
            mq_check_fail(c,
                          "rule 5 (retry schedule): message %u to %s: host %u gave up after "
                          "%s, before the give-up time %s",
                          r->msg, p->rcpt, r->host,
                          dur_format(r->t - h->queued_since, d1, sizeof d1),
                          dur_format(give_up, d2, sizeof d2));
        h->in_queue = false;
        p->bounced++;
        if (c->nb == c->capb) {
            c->capb = c->capb ? c->capb * 2 : 16;
            c->b = ms_xrealloc(c->b, c->capb * sizeof *c->b);
        }
        c->b[c->nb].t = r->t;
        c->b[c->nb].msg = r->msg;
        c->b[c->nb].dsn = r->dsn;
        c->b[c->nb].rcpt = p->rcpt;
        c->nb++;
        break;
    case MQ_F_COUNT:
        assert(0);
    }
}

/* The first pair of message msg, or NULL. Linear: only for bounces. */
static const struct mq_check_pair *mq_check_msg(const struct mq_check *c, uint32_t msg,
                                                const char *rcpt)
{
    for (size_t i = 0; i < c->np; i++)
        if (c->p[i].msg == msg && (!rcpt || strcmp(c->p[i].rcpt, rcpt) == 0)) return &c->p[i];
    return NULL;
}

size_t mq_check_finish(struct mq_check *c, sim_us end, char *report, size_t cap)
{
    mq_check_early(c);
    char d1[32];
    memset(&c->sum, 0, sizeof c->sum);
    for (size_t i = 0; i < c->np; i++) {
        const struct mq_check_pair *p = &c->p[i];
        bool queued = false;
        for (size_t j = 0; j < p->nhs; j++) {
            const struct mq_check_hostst *h = &p->hs[j];
            if (!h->in_queue) continue;
            queued = true;
            sim_us retry, give_up;
            mq_check_cfg(c, h->host, &retry, &give_up);
            if (end - h->queued_since > give_up + retry && !mq_check_is_down(c, h->host))
                mq_check_fail(c,
                              "rule 5 (retry schedule): message %u to %s: still queued on "
                              "host %u after %s",
                              p->msg, p->rcpt, h->host,
                              dur_format(end - h->queued_since, d1, sizeof d1));
        }
        unsigned fates = p->delivered + p->bounced + (p->rejected ? 1u : 0u) + (queued ? 1u : 0u);
        c->sum.pairs++;
        c->sum.delivered += p->delivered ? 1 : 0;
        c->sum.bounced += p->bounced ? 1 : 0;
        c->sum.rejected += p->rejected ? 1 : 0;
        c->sum.queued += queued ? 1 : 0;
        if (p->cut) c->sum.cut++;
        if (!p->composed && p->delivered && mq_check_pair_lenient(c, p))
            c->sum.forged++;
        else if (!p->composed)
            mq_check_fail(c, "rule 1 (conservation): message %u to %s: never composed", p->msg,
                          p->rcpt);
        if (fates == 0)
            mq_check_fail(c,
                          "rule 1 (conservation): message %u to %s: lost (neither "
                          "delivered, queued, bounced nor rejected)",
                          p->msg, p->rcpt);
        if (p->delivered > 1) c->sum.duplicates += p->delivered - 1;
        if (p->delivered && (p->bounced || p->rejected)) c->sum.delivered_and_bounced++;
        if (fates > 1) {
            if (fates - 1 > p->lost_replies)
                mq_check_fail(c,
                              "rule 2 (custody): message %u to %s: %u fates (delivered %u, "
                              "bounced %u, rejected %d, queued %d) with %u lost replies",
                              p->msg, p->rcpt, fates, p->delivered, p->bounced, p->rejected, queued,
                              p->lost_replies);
        }
    }
    for (size_t i = 0; i < c->nb; i++) {
        const struct mq_check_bounce *b = &c->b[i];
        const struct mq_check_pair *orig = mq_check_msg(c, b->msg, b->rcpt);
        const char *sender = orig && orig->sender ? orig->sender : "";
        if (sender[0] == '\0') {
            if (b->dsn != 0)
                mq_check_fail(c,
                              "rule 4 (bounces): message %u to %s: a bounce of a <> "
                              "message sent DSN %u",
                              b->msg, b->rcpt, b->dsn);
            continue;
        }
        const struct mq_check_pair *dsn = b->dsn ? mq_check_msg(c, b->dsn, sender) : NULL;
        if (!dsn || !dsn->composed)
            mq_check_fail(c,
                          "rule 4 (bounces): message %u to %s: no DSN composed for the "
                          "sender %s",
                          b->msg, b->rcpt, sender);
        else if (dsn->sender && dsn->sender[0] != '\0')
            mq_check_fail(c, "rule 4 (bounces): message %u to %s: DSN %u is from <%s>, not <>",
                          b->msg, b->rcpt, b->dsn, dsn->sender);
    }
    if (report && cap) snprintf(report, cap, "%s", c->rep ? c->rep : "");
    return c->violations;
}

struct mq_check_sum mq_check_summary(const struct mq_check *c)
{
    return c->sum;
}
