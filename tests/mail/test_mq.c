/* test_mq.c -- the outgoing queue: grouping by destination, retry interval,
 * give-up, bounces, and no DSN for the null reverse path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "mail/mq.h"

#define MIN SIM_US_PER_MIN

static void test_defaults(void **state)
{
    (void)state;
    struct mq *q = mq_new(NULL);
    assert_int_equal(mq_retry_interval(q), 30 * MIN);
    assert_int_equal(mq_give_up(q), 5 * SIM_US_PER_DAY);
    assert_int_equal(mq_next_wakeup(q), -1);
    const char *dom = NULL;
    uint32_t ids[8];
    assert_int_equal(mq_take_due(q, 0, &dom, ids, 8), 0);
    mq_free(q);
    mq_free(NULL);
}

/* All mail for one destination goes out in one batch, in id order. */
static void test_grouping(void **state)
{
    (void)state;
    struct mq *q = mq_new(NULL);
    uint32_t a = mq_add(q, 1, "alice@example.org", "bob@example.net", 100);
    uint32_t b = mq_add(q, 2, "alice@example.org", "carol@example.com", 100);
    uint32_t c = mq_add(q, 3, "alice@example.org", "dave@EXAMPLE.NET", 100);
    uint32_t d = mq_add(q, 3, "alice@example.org", "erin@example.net", 200);
    assert_int_equal(a, 1);
    assert_int_equal(d, 4);
    assert_int_equal(mq_next_wakeup(q), 100);
    const char *dom = NULL;
    uint32_t ids[8];
    /* At 150 entry 4 is not yet due: it waits for the next batch. */
    size_t n = mq_take_due(q, 150, &dom, ids, 8);
    assert_int_equal(n, 2);
    assert_string_equal(dom, "example.net");
    assert_int_equal(ids[0], a);
    assert_int_equal(ids[1], c);
    assert_int_equal(mq_get(q, a)->state, MQ_S_IN_FLIGHT);
    assert_int_equal(mq_get(q, a)->attempts, 1);
    n = mq_take_due(q, 150, &dom, ids, 8);
    assert_int_equal(n, 1);
    assert_string_equal(dom, "example.com");
    assert_int_equal(ids[0], b);
    assert_int_equal(mq_take_due(q, 150, &dom, ids, 8), 0);
    assert_int_equal(mq_count(q, MQ_S_IN_FLIGHT), 3);
    assert_int_equal(mq_count(q, MQ_S_QUEUED), 1);
    /* max limits the batch; the rest stays queued. */
    mq_delivered(q, a, 160);
    mq_delivered(q, b, 160);
    mq_delivered(q, c, 160);
    uint32_t e = mq_add(q, 5, "", "frank@example.net", 300);
    n = mq_take_due(q, 300, &dom, ids, 1);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], d);
    assert_int_equal(mq_get(q, e)->state, MQ_S_QUEUED);
    assert_int_equal(mq_count(q, MQ_S_DELIVERED), 3);
    mq_free(q);
}

/* 4xx or refused: retried every interval; after the give-up time, bounced. */
static void test_retry_and_give_up(void **state)
{
    (void)state;
    struct mq_cfg cfg = {30 * MIN, 2 * SIM_US_PER_H};
    struct mq *q = mq_new(&cfg);
    uint32_t id = mq_add(q, 7, "alice@example.org", "bob@example.net", 0);
    const char *dom;
    uint32_t ids[4];
    sim_us t = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(mq_take_due(q, t, &dom, ids, 4), 1);
        struct mq_verdict v = mq_deferred(q, id, t, "connection refused");
        assert_int_equal(v.state, MQ_S_QUEUED);
        assert_int_equal(v.next_try, t + 30 * MIN);
        assert_int_equal(mq_next_wakeup(q), t + 30 * MIN);
        /* Not due a minute early. */
        assert_int_equal(mq_take_due(q, t + 29 * MIN, &dom, ids, 4), 0);
        t += 30 * MIN;
    }
    assert_int_equal(t, 2 * SIM_US_PER_H);
    assert_int_equal(mq_take_due(q, t, &dom, ids, 4), 1);
    struct mq_verdict v = mq_deferred(q, id, t, "connection refused");
    assert_int_equal(v.state, MQ_S_BOUNCED);
    assert_true(v.gave_up);
    assert_true(v.send_dsn);
    assert_string_equal(mq_get(q, id)->reason, "gave up after 2h: connection refused");
    assert_int_equal(mq_get(q, id)->attempts, 5);
    assert_int_equal(mq_next_wakeup(q), -1);
    mq_free(q);
}

/* 5xx bounces at once; a bounce of a bounce (<>) asks for no DSN. */
static void test_bounce_and_null_sender(void **state)
{
    (void)state;
    struct mq *q = mq_new(NULL);
    uint32_t a = mq_add(q, 1, "alice@example.org", "nobody@example.net", 0);
    uint32_t b = mq_add(q, 2, "", "alice@example.net", 0);
    const char *dom;
    uint32_t ids[4];
    assert_int_equal(mq_take_due(q, 0, &dom, ids, 4), 2);
    struct mq_verdict v = mq_bounced(q, a, 5, "550 5.1.1 <nobody@example.net>: no such user");
    assert_int_equal(v.state, MQ_S_BOUNCED);
    assert_true(v.send_dsn);
    assert_false(v.gave_up);
    assert_string_equal(mq_get(q, a)->reason, "550 5.1.1 <nobody@example.net>: no such user");
    v = mq_bounced(q, b, 5, "550 no");
    assert_false(v.send_dsn);
    assert_int_equal(mq_count(q, MQ_S_BOUNCED), 2);
    /* Give-up of a null-sender entry also sends nothing. */
    struct mq_cfg cfg = {MIN, MIN};
    struct mq *q2 = mq_new(&cfg);
    uint32_t c = mq_add(q2, 3, "", "x@example.net", 0);
    assert_int_equal(mq_take_due(q2, MIN, &dom, ids, 4), 1);
    v = mq_deferred(q2, c, MIN, "421 busy");
    assert_int_equal(v.state, MQ_S_BOUNCED);
    assert_false(v.send_dsn);
    mq_free(q2);
    mq_free(q);
}

/* The earliest destination goes first, whatever the order of the ids; the
 * wakeup follows deferrals and new arrivals. */
static void test_earliest_first(void **state)
{
    (void)state;
    struct mq *q = mq_new(NULL);
    uint32_t a = mq_add(q, 1, "a@x.org", "p@one.example", 0);
    uint32_t b = mq_add(q, 2, "a@x.org", "q@two.example", 0);
    const char *dom;
    uint32_t ids[4];
    assert_int_equal(mq_take_due(q, 0, &dom, ids, 4), 1);
    assert_string_equal(dom, "one.example");
    mq_deferred(q, a, 0, "421 busy"); /* one.example: due at 30m */
    assert_int_equal(mq_take_due(q, 10 * MIN, &dom, ids, 4), 1);
    assert_string_equal(dom, "two.example");
    mq_deferred(q, b, 10 * MIN, "421 busy"); /* two.example: due at 40m */
    assert_int_equal(mq_next_wakeup(q), 30 * MIN);
    uint32_t c = mq_add(q, 3, "a@x.org", "r@two.example", 20 * MIN);
    assert_int_equal(mq_next_wakeup(q), 20 * MIN);
    /* At 45m everything is due: one.example (30m) before two.example (20m
     * for c, 40m for b): two.example's earliest entry is c at 20m. */
    assert_int_equal(mq_take_due(q, 45 * MIN, &dom, ids, 4), 2);
    assert_string_equal(dom, "two.example");
    assert_int_equal(ids[0], b);
    assert_int_equal(ids[1], c);
    assert_int_equal(mq_take_due(q, 45 * MIN, &dom, ids, 4), 1);
    assert_string_equal(dom, "one.example");
    assert_int_equal(mq_next_wakeup(q), -1);
    mq_free(q);
}

/* The earliest retry and wakeup the queue remembers per destination agree
 * with a scan of every entry after each of a long random run of arrivals,
 * partial and whole batches, deferrals, deliveries and bounces. */
static void mq_scan(const struct mq *q, sim_us *wake, sim_us *retry)
{
    *wake = *retry = -1;
    for (uint32_t id = 1; id <= mq_size(q); id++) {
        const struct mq_entry *e = mq_get(q, id);
        if (e->state != MQ_S_QUEUED) continue;
        if (*wake < 0 || e->next_try < *wake) *wake = e->next_try;
        if (e->attempts > 0 && (*retry < 0 || e->next_try < *retry)) *retry = e->next_try;
    }
}

static void test_cached_minima(void **state)
{
    (void)state;
    static const char *const rcpt[] = {"a@one.example", "b@two.example", "c@three.example"};
    struct mq *q = mq_new(NULL);
    uint32_t flying[64];
    size_t nfly = 0, checks = 0, retries = 0;
    uint64_t x = 0x9e3779b97f4a7c15u;
    sim_us now = 0;
    for (int step = 0; step < 4000; step++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        unsigned r = (unsigned)(x >> 33);
        now += (sim_us)(r % 7) * MIN;
        switch (r % 5) {
        case 0:
        case 1:
            mq_add(q, (uint32_t)step, "s@x.org", rcpt[(r >> 3) % 3], now);
            break;
        case 2: { /* a batch, sometimes cut short so that due entries stay */
            const char *dom;
            size_t room = sizeof flying / sizeof *flying - nfly;
            size_t max = (r >> 4) % 2 ? room : ((r >> 5) % 3 < room ? (r >> 5) % 3 : room);
            nfly += mq_take_due(q, now, &dom, flying + nfly, max);
            break;
        }
        default: /* an outcome for one batch entry */
            if (nfly == 0) break;
            size_t i = (r >> 3) % nfly;
            uint32_t id = flying[i];
            flying[i] = flying[--nfly];
            if ((r >> 6) % 4 == 0)
                mq_delivered(q, id, now);
            else if ((r >> 6) % 8 == 1)
                mq_bounced(q, id, now, "550 no");
            else
                mq_deferred(q, id, now, "421 busy");
        }
        sim_us wake, retry;
        mq_scan(q, &wake, &retry);
        assert_int_equal(mq_next_wakeup(q), wake);
        assert_int_equal(mq_next_retry(q), retry);
        checks++;
        retries += retry >= 0;
    }
    assert_int_equal(checks, 4000);
    assert_true(retries > 1000); /* the run did exercise retries */
    mq_free(q);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(mq_state_name(MQ_S_QUEUED), "queued");
    assert_string_equal(mq_state_name(MQ_S_IN_FLIGHT), "in-flight");
    assert_string_equal(mq_state_name(MQ_S_BOUNCED), "bounced");
    assert_string_equal(mq_state_name(MQ_S_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),          cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_retry_and_give_up), cmocka_unit_test(test_bounce_and_null_sender),
        cmocka_unit_test(test_earliest_first),    cmocka_unit_test(test_cached_minima),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests_name("mq", tests, NULL, NULL);
}
