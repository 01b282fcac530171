/* mq_check.h -- the "nothing is lost" invariant checker over message fates.
 *
 * Fed the message-fate records of a run in trace order, it checks the rules
 * of bad-inputs.md d.2: 1 conservation (every composed (message, recipient)
 * ends delivered, still queued, bounced or rejected at submission), 2 custody
 * (a duplicate only after a connection lost between the end of DATA and the
 * reply, RFC 5321 §4.5.3.2.6 / §6.1), 3 ack after commit (a server's 250
 * after DATA only once the message is in its queue or a mailbox), 4 bounces
 * (every bounce of a non-null reverse path names a DSN composed from <> to
 * that path; none for <>), 5 retry schedule (attempts at least the retry
 * interval apart; a give-up bounce not before the give-up time; nothing
 * queued longer than give-up + one interval), 6 integrity (the body hash at
 * delivery equals the hash at composition). Records are copied. */
#ifndef MAILSIM_MAIL_MQ_CHECK_H
#define MAILSIM_MAIL_MQ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

enum mq_fate {
    MQ_F_COMPOSED,   /* a UA (or a server, for a DSN) made message msg for rcpt */
    MQ_F_REJECTED,   /* submission refused with a 5xx: the UA told its user */
    MQ_F_QUEUED,     /* host took custody into its outgoing queue */
    MQ_F_ATTEMPT,    /* host tries to pass (msg, rcpt) on; attempt n */
    MQ_F_DEFERRED,   /* that attempt failed temporarily; still queued */
    MQ_F_ACKED,      /* host (receiver) replied 250 to the final dot */
    MQ_F_LOST_REPLY, /* connection lost after the final dot, before the reply */
    MQ_F_DEQUEUED,   /* host read the 250 and dropped its copy */
    MQ_F_DELIVERED,  /* host stored (msg, rcpt) in rcpt's mailbox */
    MQ_F_BOUNCED,    /* host failed (msg, rcpt) for good; dsn names the DSN */
    MQ_F_COUNT
};

struct mq_fate_rec {
    sim_us t;
    enum mq_fate kind;
    uint32_t host;      /* host index where it happened */
    uint32_t msg;       /* message id, unique per run, > 0 */
    const char *rcpt;   /* envelope recipient */
    const char *sender; /* COMPOSED: reverse path, "" for <> */
    uint64_t body_hash; /* COMPOSED, DELIVERED */
    uint32_t dsn;       /* BOUNCED: message id of the DSN, 0 for none */
    bool gave_up;       /* BOUNCED: because of the give-up time */
};

struct mq_check;

/* A checker assuming retry_interval and give_up for every host unless
 * mq_check_host_cfg says otherwise. Free with mq_check_free(). */
struct mq_check *mq_check_new(sim_us retry_interval, sim_us give_up);
void mq_check_free(struct mq_check *c);
/* Per-host queue settings. */
void mq_check_host_cfg(struct mq_check *c, uint32_t host, sim_us retry_interval, sim_us give_up);
/* Whether host is down at the end of the run: a stopped server cannot
 * retry or bounce, so the "queued too long" part of rule 5 skips it. */
void mq_check_host_down(struct mq_check *c, uint32_t host, bool down);
/* A server replied 250 to the end of DATA at time t while nothing had been
 * stored or queued since its previous such reply: a rule 3 violation. */
void mq_check_empty_ack(struct mq_check *c, sim_us t, uint32_t host);
/* The scenario runs host with the UNSAFE lenient_data switch of the SMTP
 * smuggling lesson: a delivery there that no user agent composed is counted
 * as forged, and a composed message whose body arrives cut short as cut,
 * instead of as rule 1 and rule 6 violations. That is the lesson's point,
 * and the summary says so. */
void mq_check_host_lenient(struct mq_check *c, uint32_t host);
/* Feed one record (copied). Records must come in time order (asserted). */
void mq_check_feed(struct mq_check *c, const struct mq_fate_rec *r);
/* End of run at time end: check everything. Returns the number of
 * violations; writes one line per violation (at most cap bytes) to report,
 * e.g. "rule 1 (conservation): message 3 to bob@example.net: lost". */
size_t mq_check_finish(struct mq_check *c, sim_us end, char *report, size_t cap);

/* Counters after mq_check_finish, for summaries. */
struct mq_check_sum {
    size_t pairs, delivered, queued, bounced, rejected, duplicates;
    /* At a host marked lenient (mq_check_host_lenient): messages that no
     * user agent composed (smuggled in) and composed ones cut short there. */
    size_t forged, cut;
    /* Pairs delivered more than once (the extra copies are duplicates), and
     * pairs both delivered and bounced: the sender was told it failed. */
    size_t delivered_and_bounced;
};
struct mq_check_sum mq_check_summary(const struct mq_check *c);

/* A 64-bit FNV-1a hash of a body, for MQ_F_COMPOSED/DELIVERED. Can't fail. */
uint64_t mq_check_hash(const void *data, size_t len);

/* Printable fate name ("composed", "lost-reply", ...). */
const char *mq_fate_name(enum mq_fate f);

#endif
