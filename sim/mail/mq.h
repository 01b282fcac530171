/* mq.h -- a mail server's outgoing queue, as pure logic (no clock, no I/O).
 *
 * One entry per (message, envelope recipient), RFC 5321 §4.5.4.1: a failed
 * attempt leaves the entry queued until now + retry interval (default 30
 * minutes); once the entry has been queued for the give-up time (default 5
 * days) a further failure bounces it. Due entries are handed out grouped by
 * destination domain, so one connection carries all mail for a destination
 * (§4.5.4.1 "a single connection ... for multiple recipients/messages").
 * Invariants: an entry is in exactly one state; a bounce of a message whose
 * reverse path is null (<>) never asks for a DSN (§6.1, §4.5.5). */
#ifndef MAILSIM_MAIL_MQ_H
#define MAILSIM_MAIL_MQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

#define MQ_DEFAULT_RETRY (30 * SIM_US_PER_MIN)
#define MQ_DEFAULT_GIVE_UP (5 * SIM_US_PER_DAY)
#define MQ_REASON_MAX 200

enum mq_state {
    MQ_S_QUEUED,    /* waiting for next_try */
    MQ_S_IN_FLIGHT, /* handed out in a batch, outcome pending */
    MQ_S_DELIVERED, /* the next hop answered 250 after DATA */
    MQ_S_BOUNCED,   /* failed for good (5xx or give-up) */
    MQ_S_COUNT
};

struct mq_cfg {
    sim_us retry_interval; /* 0 means MQ_DEFAULT_RETRY */
    sim_us give_up;        /* 0 means MQ_DEFAULT_GIVE_UP */
};

/* One queue entry. Borrowed from the queue; valid until the next mq_add. */
struct mq_entry {
    uint32_t id;        /* 1, 2, ... in order of mq_add */
    uint32_t msg_id;    /* the caller's message id */
    char *sender;       /* reverse path without <>; "" for the null path */
    char *rcpt;         /* forward path without <> */
    const char *domain; /* the part of rcpt after '@' (points into rcpt) */
    enum mq_state state;
    unsigned attempts; /* batches this entry was handed out in */
    sim_us first_queued;
    sim_us next_try;
    sim_us last_try;
    char *reason; /* last deferral or bounce reason (at most MQ_REASON_MAX - 1
                         * bytes), "" when none: kept only when there is one,
                         * so a day of delivered mail holds no reason buffers */
};

/* What an outcome did to the entry, and what the caller must do next. */
struct mq_verdict {
    enum mq_state state; /* QUEUED (retry at next_try), DELIVERED or BOUNCED */
    bool send_dsn;       /* bounced and the reverse path is not null */
    bool gave_up;        /* bounced because the give-up time passed */
    sim_us next_try;     /* for QUEUED */
};

struct mq;

/* New empty queue; cfg may be NULL for the defaults. Free with mq_free(). */
struct mq *mq_new(const struct mq_cfg *cfg);
/* Free q and its entries; NULL is a no-op. */
void mq_free(struct mq *q);
/* The effective retry interval and give-up time. Can't fail. */
sim_us mq_retry_interval(const struct mq *q);
sim_us mq_give_up(const struct mq *q);

/* Change the retry interval and give-up time (values <= 0 keep the old
 * one). Entries already deferred keep their next_try. Can't fail. */
void mq_set_cfg(struct mq *q, sim_us retry_interval, sim_us give_up);

/* Queue (msg_id, rcpt) from sender ("" for <>), due at once. The strings are
 * copied. rcpt must contain '@' (asserted: callers validate addresses).
 * Returns the new entry's id. */
uint32_t mq_add(struct mq *q, uint32_t msg_id, const char *sender, const char *rcpt, sim_us now);

/* The entry with this id, or NULL. */
const struct mq_entry *mq_get(const struct mq *q, uint32_t id);
/* Number of entries in state st. Can't fail. */
size_t mq_count(const struct mq *q, enum mq_state st);
/* Total entries ever added. */
size_t mq_size(const struct mq *q);

/* Earliest next_try of a queued entry that was tried before (a retry), or
 * -1 when none: a message waiting for its first attempt is not retrying.
 * Linear in the queued entries. */
sim_us mq_next_retry(const struct mq *q);
/* Earliest next_try of any queued entry, or -1 when nothing is queued. */
sim_us mq_next_wakeup(const struct mq *q);

/* Hand out the next batch: the destination whose earliest queued entry is
 * due soonest (ties: lowest entry id) if that entry is due at now, and every
 * queued entry for that destination that is due. Writes up to max ids into
 * ids (in id order), marks them in flight, counts an attempt, and returns
 * how many; *domain points at the destination (borrowed). Returns 0 when
 * nothing is due. */
size_t mq_take_due(struct mq *q, sim_us now, const char **domain, uint32_t *ids, size_t max);

/* Outcomes for an in-flight entry (asserted). reason/reply is copied
 * (truncated to MQ_REASON_MAX-1 bytes). */
struct mq_verdict mq_delivered(struct mq *q, uint32_t id, sim_us now);
/* A temporary failure: refused, timed out, 4xx. Requeued for the start of
 * this attempt + retry interval (never before now), unless the entry has been queued for the give-up time, then
 * bounced with "gave up after <dur>: <reason>". */
struct mq_verdict mq_deferred(struct mq *q, uint32_t id, sim_us now, const char *reason);
/* A permanent failure (5xx): bounced at once. */
struct mq_verdict mq_bounced(struct mq *q, uint32_t id, sim_us now, const char *reply);

/* Printable state name ("queued", "in-flight", "delivered", "bounced"). */
const char *mq_state_name(enum mq_state st);

#endif
