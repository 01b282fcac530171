/* mq.c -- the outgoing queue (see mq.h). Entries live in one array in id
 * order; each destination keeps the ids of its queued entries, so handing
 * out a batch costs O(destinations + entries of that destination). Each
 * destination also remembers its earliest entry and its earliest retry, so
 * that asking for them after every change (the window's queue records) does
 * not scan a queue that holds the whole of a down server's mail. */
#include "mail/mq.h"

#include "core/ascii.h"
#include "core/dur.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mq_dest {
    char *domain;
    uint32_t *queued; /* ids of entries in MQ_S_QUEUED, ascending */
    size_t n, cap;
    bool min_valid; /* min_t/min_id hold the earliest queued entry */
    sim_us min_t;
    uint32_t min_id;
    bool retry_valid; /* retry_t holds the earliest next_try of a queued */
    sim_us retry_t;   /* entry tried before (attempts > 0); -1: none */
};

struct mq {
    struct mq_cfg cfg;
    struct mq_entry *e; /* e[id - 1] */
    size_t n, cap;
    struct mq_dest *dest;
    size_t ndest, capdest;
    size_t count[MQ_S_COUNT];
};

static const char *const mq_state_names[MQ_S_COUNT] = {
    "queued",
    "in-flight",
    "delivered",
    "bounced",
};

static struct mq_dest *mq_dest_find(struct mq *q, const char *domain, bool create);
static void mq_dest_push(struct mq *q, struct mq_dest *d, uint32_t id);
static void mq_enter_state(struct mq *q, struct mq_entry *e, enum mq_state st);
static struct mq_entry *mq_in_flight(struct mq *q, uint32_t id);

const char *mq_state_name(enum mq_state st)
{
    return (unsigned)st < MQ_S_COUNT ? mq_state_names[st] : "?";
}

struct mq *mq_new(const struct mq_cfg *cfg)
{
    struct mq *q = ms_xcalloc(1, sizeof *q);
    if (cfg) q->cfg = *cfg;
    if (q->cfg.retry_interval <= 0) q->cfg.retry_interval = MQ_DEFAULT_RETRY;
    if (q->cfg.give_up <= 0) q->cfg.give_up = MQ_DEFAULT_GIVE_UP;
    return q;
}

static char mq_no_reason[] = "";

static void mq_reason_clear(struct mq_entry *e)
{
    if (e->reason != mq_no_reason) free(e->reason);
    e->reason = mq_no_reason;
}

MS_PRINTF(2, 3)
static void mq_reason_set(struct mq_entry *e, const char *fmt, ...)
{
    char buf[MQ_REASON_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    mq_reason_clear(e);
    e->reason = ms_xstrdup(buf);
}

void mq_free(struct mq *q)
{
    if (!q) return;
    for (size_t i = 0; i < q->n; i++) {
        free(q->e[i].sender);
        free(q->e[i].rcpt);
        mq_reason_clear(&q->e[i]);
    }
    for (size_t i = 0; i < q->ndest; i++) {
        free(q->dest[i].domain);
        free(q->dest[i].queued);
    }
    free(q->dest);
    free(q->e);
    free(q);
}

void mq_set_cfg(struct mq *q, sim_us retry_interval, sim_us give_up)
{
    if (retry_interval > 0) q->cfg.retry_interval = retry_interval;
    if (give_up > 0) q->cfg.give_up = give_up;
}

sim_us mq_retry_interval(const struct mq *q)
{
    return q->cfg.retry_interval;
}
sim_us mq_give_up(const struct mq *q)
{
    return q->cfg.give_up;
}

/* Destinations compare without regard to ASCII case (RFC 5321 §2.4). */
static bool mq_domain_eq(const char *a, const char *b)
{
    return ascii_casecmp(a, b) == 0;
}

static struct mq_dest *mq_dest_find(struct mq *q, const char *domain, bool create)
{
    for (size_t i = 0; i < q->ndest; i++)
        if (mq_domain_eq(q->dest[i].domain, domain)) return &q->dest[i];
    if (!create) return NULL;
    if (q->ndest == q->capdest) {
        q->capdest = q->capdest ? q->capdest * 2 : 8;
        q->dest = ms_xrealloc(q->dest, q->capdest * sizeof *q->dest);
    }
    struct mq_dest *d = &q->dest[q->ndest++];
    memset(d, 0, sizeof *d);
    d->domain = ms_xstrdup(domain);
    return d;
}

/* The earliest queued entry of d (time, then lowest id); false if none. */
static bool mq_dest_min(const struct mq *q, struct mq_dest *d, sim_us *t, uint32_t *id)
{
    if (d->n == 0) return false;
    if (!d->min_valid) {
        d->min_t = q->e[d->queued[0] - 1].next_try;
        d->min_id = d->queued[0];
        for (size_t j = 1; j < d->n; j++) {
            sim_us tj = q->e[d->queued[j] - 1].next_try;
            if (tj < d->min_t) {
                d->min_t = tj;
                d->min_id = d->queued[j];
            }
        }
        d->min_valid = true;
    }
    *t = d->min_t;
    *id = d->min_id;
    return true;
}

/* Insert keeping ascending order (requeued ids are usually the largest
 * or near the end, so this scans from the back); keep the cached minimum. */
static void mq_dest_push(struct mq *q, struct mq_dest *d, uint32_t id)
{
    sim_us t = q->e[id - 1].next_try;
    bool retry = q->e[id - 1].attempts > 0;
    if (d->n == 0) {
        d->min_valid = true;
        d->min_t = t;
        d->min_id = id;
        d->retry_valid = true;
        d->retry_t = retry ? t : -1;
    } else {
        if (d->min_valid && (t < d->min_t || (t == d->min_t && id < d->min_id))) {
            d->min_t = t;
            d->min_id = id;
        }
        if (d->retry_valid && retry && (d->retry_t < 0 || t < d->retry_t)) d->retry_t = t;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->queued = ms_xrealloc(d->queued, d->cap * sizeof *d->queued);
    }
    size_t i = d->n;
    while (i > 0 && d->queued[i - 1] > id) {
        d->queued[i] = d->queued[i - 1];
        i--;
    }
    d->queued[i] = id;
    d->n++;
}

/* The only way an entry changes state. */
static void mq_enter_state(struct mq *q, struct mq_entry *e, enum mq_state st)
{
    q->count[e->state]--;
    e->state = st;
    q->count[st]++;
    if (st == MQ_S_QUEUED) mq_dest_push(q, mq_dest_find(q, e->domain, true), e->id);
}

uint32_t mq_add(struct mq *q, uint32_t msg_id, const char *sender, const char *rcpt, sim_us now)
{
    const char *at = strrchr(rcpt, '@');
    assert(at && at[1]);
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->e = ms_xrealloc(q->e, q->cap * sizeof *q->e);
    }
    struct mq_entry *e = &q->e[q->n++];
    memset(e, 0, sizeof *e);
    e->id = (uint32_t)q->n;
    e->msg_id = msg_id;
    e->sender = ms_xstrdup(sender ? sender : "");
    e->rcpt = ms_xstrdup(rcpt);
    e->reason = mq_no_reason;
    e->domain = e->rcpt + (at - rcpt) + 1;
    e->first_queued = now;
    e->next_try = now;
    e->last_try = -1;
    e->state = MQ_S_QUEUED;
    q->count[MQ_S_QUEUED]++;
    mq_dest_push(q, mq_dest_find(q, e->domain, true), e->id);
    return e->id;
}

const struct mq_entry *mq_get(const struct mq *q, uint32_t id)
{
    if (id == 0 || id > q->n) return NULL;
    return &q->e[id - 1];
}

size_t mq_count(const struct mq *q, enum mq_state st)
{
    return (unsigned)st < MQ_S_COUNT ? q->count[st] : 0;
}

size_t mq_size(const struct mq *q)
{
    return q->n;
}

sim_us mq_next_wakeup(const struct mq *q)
{
    sim_us best = -1;
    for (size_t i = 0; i < q->ndest; i++) {
        sim_us t;
        uint32_t id;
        /* The cache is logically const: it only remembers a scan. */
        if (mq_dest_min(q, (struct mq_dest *)&q->dest[i], &t, &id) && (best < 0 || t < best))
            best = t;
    }
    return best;
}

/* The earliest next_try of d's queued entries tried before; -1 if none. */
static sim_us mq_dest_retry(const struct mq *q, struct mq_dest *d)
{
    if (!d->retry_valid) {
        d->retry_t = -1;
        for (size_t j = 0; j < d->n; j++) {
            const struct mq_entry *e = &q->e[d->queued[j] - 1];
            if (e->attempts > 0 && (d->retry_t < 0 || e->next_try < d->retry_t))
                d->retry_t = e->next_try;
        }
        d->retry_valid = true;
    }
    return d->retry_t;
}

sim_us mq_next_retry(const struct mq *q)
{
    sim_us best = -1;
    for (size_t i = 0; i < q->ndest; i++) {
        /* The cache is logically const: it only remembers a scan. */
        sim_us t = mq_dest_retry(q, (struct mq_dest *)&q->dest[i]);
        if (t >= 0 && (best < 0 || t < best)) best = t;
    }
    return best;
}

size_t mq_take_due(struct mq *q, sim_us now, const char **domain, uint32_t *ids, size_t max)
{
    struct mq_dest *pick = NULL;
    sim_us pick_t = 0;
    uint32_t pick_id = 0;
    for (size_t i = 0; i < q->ndest; i++) {
        struct mq_dest *d = &q->dest[i];
        sim_us t;
        uint32_t id;
        if (!mq_dest_min(q, d, &t, &id) || t > now) continue;
        if (!pick || t < pick_t || (t == pick_t && id < pick_id)) {
            pick = d;
            pick_t = t;
            pick_id = id;
        }
    }
    if (!pick || max == 0) return 0;
    size_t got = 0, keep = 0;
    for (size_t j = 0; j < pick->n; j++) {
        uint32_t id = pick->queued[j];
        struct mq_entry *e = &q->e[id - 1];
        if (e->next_try <= now && got < max) {
            ids[got++] = id;
            mq_enter_state(q, e, MQ_S_IN_FLIGHT);
            e->attempts++;
            e->last_try = now;
        } else {
            pick->queued[keep++] = id;
        }
    }
    pick->n = keep;
    pick->min_valid = false;
    /* The batch took only entries due by now: a later earliest retry stands. */
    if (pick->retry_valid && pick->retry_t >= 0 && pick->retry_t <= now) pick->retry_valid = false;
    *domain = pick->domain;
    return got;
}

static struct mq_entry *mq_in_flight(struct mq *q, uint32_t id)
{
    assert(id >= 1 && id <= q->n);
    struct mq_entry *e = &q->e[id - 1];
    assert(e->state == MQ_S_IN_FLIGHT);
    return e;
}

struct mq_verdict mq_delivered(struct mq *q, uint32_t id, sim_us now)
{
    (void)now;
    struct mq_entry *e = mq_in_flight(q, id);
    mq_enter_state(q, e, MQ_S_DELIVERED);
    mq_reason_clear(e);
    struct mq_verdict v = {MQ_S_DELIVERED, false, false, -1};
    return v;
}

struct mq_verdict mq_deferred(struct mq *q, uint32_t id, sim_us now, const char *reason)
{
    struct mq_entry *e = mq_in_flight(q, id);
    struct mq_verdict v = {MQ_S_QUEUED, false, false, -1};
    if (now - e->first_queued >= q->cfg.give_up) {
        char d[32];
        sim_us held = now - e->first_queued;
        held -= held % SIM_US_PER_MIN; /* "5d1m", not "5d1m4s60ms244us" */
        mq_reason_set(e, "gave up after %s: %s", dur_format(held, d, sizeof d), reason);
        mq_enter_state(q, e, MQ_S_BOUNCED);
        v.state = MQ_S_BOUNCED;
        v.gave_up = true;
        v.send_dsn = e->sender[0] != '\0';
        return v;
    }
    mq_reason_set(e, "%s", reason);
    /* The interval runs from the start of the attempt (RFC 5321 §4.5.4.1
     * "retry interval" between attempts), so a 63-second connect timeout
     * does not push every later attempt back. */
    e->next_try = (e->last_try >= 0 ? e->last_try : now) + q->cfg.retry_interval;
    if (e->next_try < now) e->next_try = now;
    mq_enter_state(q, e, MQ_S_QUEUED);
    v.next_try = e->next_try;
    return v;
}

struct mq_verdict mq_bounced(struct mq *q, uint32_t id, sim_us now, const char *reply)
{
    (void)now;
    struct mq_entry *e = mq_in_flight(q, id);
    mq_reason_set(e, "%s", reply);
    mq_enter_state(q, e, MQ_S_BOUNCED);
    /* Never bounce a bounce: RFC 5321 §4.5.5 / §6.1. */
    struct mq_verdict v = {MQ_S_BOUNCED, e->sender[0] != '\0', false, -1};
    return v;
}
