/* test_mq_check.c -- the message-fate invariants: each rule has a run that
 * passes and a run that breaks it, with the exact report line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mail/mq_check.h"

#define MIN SIM_US_PER_MIN
#define ALICE "alice@example.org"
#define BOB "bob@example.net"

static void feed(struct mq_check *c, sim_us t, enum mq_fate k, uint32_t host, uint32_t msg,
                 const char *rcpt)
{
    struct mq_fate_rec r = {t, k, host, msg, rcpt, NULL, 0, 0, false};
    if (k == MQ_F_COMPOSED) r.sender = ALICE;
    mq_check_feed(c, &r);
}

static void compose(struct mq_check *c, sim_us t, uint32_t msg, const char *from, const char *rcpt,
                    uint64_t hash)
{
    struct mq_fate_rec r = {t, MQ_F_COMPOSED, 0, msg, rcpt, from, hash, 0, false};
    mq_check_feed(c, &r);
}

static void deliver(struct mq_check *c, sim_us t, uint32_t host, uint32_t msg, const char *rcpt,
                    uint64_t hash)
{
    struct mq_fate_rec r = {t, MQ_F_DELIVERED, host, msg, rcpt, NULL, hash, 0, false};
    mq_check_feed(c, &r);
}

static void bounce(struct mq_check *c, sim_us t, uint32_t host, uint32_t msg, const char *rcpt,
                   uint32_t dsn, bool gave_up)
{
    struct mq_fate_rec r = {t, MQ_F_BOUNCED, host, msg, rcpt, NULL, 0, dsn, gave_up};
    mq_check_feed(c, &r);
}

/* Alice to Bob through two servers: delivered once, all rules hold. */
static void test_clean_relay(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[1024];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 1, MQ_F_QUEUED, 1, 1, BOB);
    feed(c, 1, MQ_F_ACKED, 1, 1, BOB);
    feed(c, 2, MQ_F_ATTEMPT, 1, 1, BOB);
    deliver(c, 3, 2, 1, BOB, 42);
    feed(c, 3, MQ_F_ACKED, 2, 1, BOB);
    feed(c, 4, MQ_F_DEQUEUED, 1, 1, BOB);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 0);
    assert_string_equal(rep, "");
    struct mq_check_sum s = mq_check_summary(c);
    assert_int_equal(s.pairs, 1);
    assert_int_equal(s.delivered, 1);
    assert_int_equal(s.duplicates, 0);
    mq_check_free(c);
}

/* Rule 1: a message that vanished. */
static void test_lost(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[1024];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 1, MQ_F_QUEUED, 1, 1, BOB);
    feed(c, 4, MQ_F_DEQUEUED, 1, 1, BOB);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 1);
    assert_string_equal(rep, "rule 1 (conservation): message 1 to bob@example.net: lost "
                             "(neither delivered, queued, bounced nor rejected)\n");
    mq_check_free(c);
}

/* Rule 2: a duplicate is fine only after a lost reply. */
static void test_duplicates(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[1024];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 1, MQ_F_QUEUED, 1, 1, BOB);
    feed(c, 2, MQ_F_ATTEMPT, 1, 1, BOB);
    deliver(c, 3, 2, 1, BOB, 42);
    feed(c, 3, MQ_F_LOST_REPLY, 1, 1, BOB);
    feed(c, 3 + 30 * MIN, MQ_F_ATTEMPT, 1, 1, BOB);
    deliver(c, 4 + 30 * MIN, 2, 1, BOB, 42);
    feed(c, 5 + 30 * MIN, MQ_F_DEQUEUED, 1, 1, BOB);
    assert_int_equal(mq_check_finish(c, 100 * MIN, rep, sizeof rep), 0);
    assert_int_equal(mq_check_summary(c).duplicates, 1);
    mq_check_free(c);

    c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    compose(c, 0, 1, ALICE, BOB, 42);
    deliver(c, 3, 2, 1, BOB, 42);
    deliver(c, 4, 2, 1, BOB, 42);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 1);
    assert_string_equal(rep, "rule 2 (custody): message 1 to bob@example.net: 2 fates "
                             "(delivered 2, bounced 0, rejected 0, queued 0) with 0 lost "
                             "replies\n");
    mq_check_free(c);
}

/* Rule 3: 250 before the message was stored. */
static void test_ack_before_commit(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[1024];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 1, MQ_F_ACKED, 2, 1, BOB);
    deliver(c, 2, 2, 1, BOB, 42);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 1);
    assert_string_equal(rep, "rule 3 (ack after commit): message 1 to bob@example.net: host 2 "
                             "replied 250 before storing it\n");
    mq_check_free(c);
}

/* Rule 4: a bounce needs a DSN from <> to the sender; a <> bounce none. */
static void test_bounces(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[2048];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 1, MQ_F_QUEUED, 1, 1, BOB);
    bounce(c, 2, 1, 1, BOB, 2, false);
    compose(c, 2, 2, "", ALICE, 7);
    deliver(c, 2, 1, 2, ALICE, 7);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 0);
    assert_int_equal(mq_check_summary(c).bounced, 1);
    mq_check_free(c);

    c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    compose(c, 0, 1, ALICE, BOB, 42);
    bounce(c, 2, 1, 1, BOB, 0, false); /* no DSN */
    compose(c, 3, 3, "", "carol@example.com", 1);
    bounce(c, 4, 1, 3, "carol@example.com", 4, false); /* DSN for a DSN */
    compose(c, 4, 4, "", "", 1);
    compose(c, 5, 5, ALICE, "dave@example.com", 1);
    bounce(c, 6, 1, 5, "dave@example.com", 6, false);
    compose(c, 6, 6, "postmaster@example.org", ALICE, 1); /* DSN not from <> */
    deliver(c, 6, 1, 6, ALICE, 1);
    deliver(c, 6, 1, 4, "", 1);
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 3);
    assert_string_equal(rep, "rule 4 (bounces): message 1 to bob@example.net: no DSN composed for "
                             "the sender alice@example.org\n"
                             "rule 4 (bounces): message 3 to carol@example.com: a bounce of a <> "
                             "message sent DSN 4\n"
                             "rule 4 (bounces): message 5 to dave@example.com: DSN 6 is from "
                             "<postmaster@example.org>, not <>\n");
    mq_check_free(c);
}

/* Rule 5: too-early retry, too-early give-up, queued for too long. */
static void test_retry_schedule(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    mq_check_host_cfg(c, 1, 30 * MIN, 2 * SIM_US_PER_H);
    char rep[2048];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 0, MQ_F_QUEUED, 1, 1, BOB);
    feed(c, 0, MQ_F_ATTEMPT, 1, 1, BOB);
    feed(c, 29 * MIN, MQ_F_ATTEMPT, 1, 1, BOB);
    compose(c, 30 * MIN, 2, ALICE, "x@example.net", 1);
    feed(c, 30 * MIN, MQ_F_QUEUED, 1, 2, "x@example.net");
    compose(c, 30 * MIN, 3, ALICE, "y@example.net", 1);
    feed(c, 30 * MIN, MQ_F_QUEUED, 1, 3, "y@example.net");
    bounce(c, 60 * MIN, 1, 3, "y@example.net", 9, true);
    compose(c, 60 * MIN, 9, "", ALICE, 1);
    deliver(c, 60 * MIN, 1, 9, ALICE, 1);
    mq_check_host_down(c, 9, true); /* another host: no effect on host 1 */
    assert_int_equal(mq_check_finish(c, 5 * SIM_US_PER_H, rep, sizeof rep), 4);
    assert_string_equal(rep, "rule 5 (retry schedule): message 1 to bob@example.net: host 1 tried "
                             "again after 29m, less than the retry interval 30m\n"
                             "rule 5 (retry schedule): message 3 to y@example.net: host 1 gave up "
                             "after 30m, before the give-up time 2h\n"
                             "rule 5 (retry schedule): message 1 to bob@example.net: still queued "
                             "on host 1 after 5h\n"
                             "rule 5 (retry schedule): message 2 to x@example.net: still queued on "
                             "host 1 after 4h30m\n");
    mq_check_free(c);
}

/* A server that is down at the end cannot retry or bounce: not flagged. */
static void test_down_at_end(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, SIM_US_PER_H);
    char rep[512];
    compose(c, 0, 1, ALICE, BOB, 42);
    feed(c, 0, MQ_F_QUEUED, 1, 1, BOB);
    mq_check_host_down(c, 1, true);
    assert_int_equal(mq_check_finish(c, 10 * SIM_US_PER_H, rep, sizeof rep), 0);
    assert_int_equal(mq_check_summary(c).queued, 1);
    mq_check_free(c);
}

/* Rule 6: the body changed on the way. */
static void test_integrity(void **state)
{
    (void)state;
    struct mq_check *c = mq_check_new(30 * MIN, 5 * SIM_US_PER_DAY);
    char rep[1024];
    assert_int_not_equal(mq_check_hash("a.", 2), mq_check_hash("a", 1));
    compose(c, 0, 1, ALICE, BOB, mq_check_hash("..x", 3));
    deliver(c, 1, 2, 1, BOB, mq_check_hash(".x", 2));
    assert_int_equal(mq_check_finish(c, 10, rep, sizeof rep), 1);
    assert_string_equal(rep, "rule 6 (integrity): message 1 to bob@example.net: body at "
                             "delivery differs from the body composed\n");
    assert_string_equal(mq_fate_name(MQ_F_LOST_REPLY), "lost-reply");
    mq_check_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_relay), cmocka_unit_test(test_lost),
        cmocka_unit_test(test_duplicates),  cmocka_unit_test(test_ack_before_commit),
        cmocka_unit_test(test_bounces),     cmocka_unit_test(test_retry_schedule),
        cmocka_unit_test(test_down_at_end), cmocka_unit_test(test_integrity),
    };
    return cmocka_run_group_tests_name("mq_check", tests, NULL, NULL);
}
