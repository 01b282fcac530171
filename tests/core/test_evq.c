/* test_evq.c -- event order, ties, cancellation, snapshots, clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/evq.h"
#include "core/rng.h"

struct log {
    struct evq *q;
    char buf[256];
    size_t n;
    sim_us times[64];
    evq_handle other; /* cancelled from inside a callback */
};

static void log_fn(void *ctx, uint64_t arg)
{
    struct log *l = ctx;
    l->times[l->n] = evq_now(l->q);
    l->buf[l->n++] = (char)arg;
    l->buf[l->n] = '\0';
}

static void test_order_by_time(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_at(l.q, 30, log_fn, &l, 'c', "c");
    evq_at(l.q, 10, log_fn, &l, 'a', "a");
    evq_at(l.q, 20, log_fn, &l, 'b', "b");
    assert_int_equal(evq_count(l.q), 3);
    assert_int_equal(evq_next_time(l.q), 10);
    assert_int_equal(evq_run(l.q, SIM_US_MAX), 3);
    assert_string_equal(l.buf, "abc");
    assert_int_equal(l.times[0], 10);
    assert_int_equal(l.times[2], 30);
    assert_int_equal(evq_now(l.q), 30);
    assert_int_equal(evq_count(l.q), 0);
    assert_false(evq_step(l.q));
    evq_free(l.q);
}

static void test_ties_in_insertion_order(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    const char *order = "qwertyuiopasdfghjklzxcvbnm";
    for (const char *p = order; *p; p++) evq_at(l.q, 5, log_fn, &l, (uint64_t)*p, "tie");
    evq_at(l.q, 4, log_fn, &l, '0', "early");
    evq_run(l.q, SIM_US_MAX);
    assert_string_equal(l.buf, "0qwertyuiopasdfghjklzxcvbnm");
    evq_free(l.q);
}

static void test_cancel(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_handle a = evq_at(l.q, 10, log_fn, &l, 'a', "a");
    evq_handle b = evq_at(l.q, 20, log_fn, &l, 'b', "b");
    evq_handle c = evq_at(l.q, 30, log_fn, &l, 'c', "c");
    assert_true(evq_pending(l.q, b));
    assert_int_equal(evq_when(l.q, b), 20);
    assert_true(evq_cancel(l.q, b));
    assert_false(evq_pending(l.q, b));
    assert_int_equal(evq_when(l.q, b), -1);
    assert_false(evq_cancel(l.q, b)); /* double cancel */
    assert_false(evq_cancel(l.q, EVQ_NONE));
    assert_false(evq_cancel(l.q, 0xdeadbeef00000007ULL)); /* never issued */
    assert_int_equal(evq_count(l.q), 2);
    assert_true(evq_step(l.q));
    assert_false(evq_cancel(l.q, a)); /* already fired */
    /* The freed node is reused; the old handle must not cancel the new event. */
    evq_handle d = evq_at(l.q, 40, log_fn, &l, 'd', "d");
    assert_false(evq_cancel(l.q, a));
    assert_false(evq_cancel(l.q, b));
    assert_true(evq_pending(l.q, d));
    evq_run(l.q, SIM_US_MAX);
    assert_string_equal(l.buf, "acd");
    assert_false(evq_pending(l.q, c));
    evq_free(l.q);
}

static void cancel_other_fn(void *ctx, uint64_t arg)
{
    struct log *l = ctx;
    log_fn(ctx, arg);
    assert_true(evq_cancel(l->q, l->other));
}

static void test_cancel_from_callback(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_at(l.q, 10, cancel_other_fn, &l, 'x', "x");
    l.other = evq_at(l.q, 10, log_fn, &l, 'y', "y"); /* same time, later seq */
    evq_at(l.q, 11, log_fn, &l, 'z', "z");
    evq_run(l.q, SIM_US_MAX);
    assert_string_equal(l.buf, "xz");
    evq_free(l.q);
}

static void test_run_until_and_stop(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_at(l.q, 10, log_fn, &l, 'a', "a");
    evq_at(l.q, 20, log_fn, &l, 'b', "b");
    assert_int_equal(evq_run(l.q, 15), 1);
    assert_int_equal(evq_now(l.q), 15);
    assert_int_equal(evq_run(l.q, 20), 1); /* inclusive */
    assert_string_equal(l.buf, "ab");
    evq_handle h = evq_after(l.q, 5, log_fn, &l, 'c', "c");
    assert_int_equal(evq_when(l.q, h), 25);
    assert_int_equal(evq_fired(l.q), 2);
    evq_free(l.q);
}

/* Many random schedules and cancels against a simple model. */
static void nop_fn(void *ctx, uint64_t arg)
{
    (void)ctx;
    (void)arg;
}

static void test_random_against_model(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct rng r = rng_stream(7, "evq-test");
    enum { N = 3000 };
    static evq_handle h[N];
    static sim_us when[N];
    static int live[N];
    for (int i = 0; i < N; i++) {
        when[i] = (sim_us)rng_below(&r, 500);
        h[i] = evq_at(q, when[i], nop_fn, NULL, 0, "r");
        live[i] = 1;
        if (i % 3 == 0) {
            int j = (int)rng_below(&r, (uint64_t)i + 1);
            assert_int_equal(evq_cancel(q, h[j]), live[j]);
            live[j] = 0;
        }
    }
    size_t expect = 0;
    for (int i = 0; i < N; i++) expect += (size_t)live[i];
    assert_int_equal(evq_count(q), expect);
    struct evq_info *snap = test_malloc(expect * sizeof *snap);
    assert_int_equal(evq_snapshot(q, snap, expect), expect);
    for (size_t k = 1; k < expect; k++) {
        assert_true(snap[k - 1].t < snap[k].t ||
                    (snap[k - 1].t == snap[k].t && snap[k - 1].seq < snap[k].seq));
    }
    /* Events come out in snapshot order. */
    for (size_t k = 0; k < expect; k++) {
        assert_int_equal(evq_next_time(q), snap[k].t);
        assert_true(evq_pending(q, snap[k].handle));
        assert_true(evq_step(q));
        assert_false(evq_pending(q, snap[k].handle));
    }
    assert_false(evq_step(q));
    test_free(snap);
    evq_free(q);
}

static void count_fn(void *ctx, const struct evq_info *ev)
{
    char *s = ctx;
    strcat(s, ev->label);
    strcat(s, ";");
}

static void test_snapshot_labels(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_at(l.q, 300, log_fn, &l, 0, "SMTP retry");
    evq_handle c = evq_at(l.q, 100, log_fn, &l, 0, "cancelled");
    evq_at(l.q, 200, log_fn, &l, 0, "TCP retransmit");
    evq_cancel(l.q, c);
    struct evq_info snap[4];
    assert_int_equal(evq_snapshot(l.q, snap, 1), 1);
    assert_string_equal(snap[0].label, "TCP retransmit");
    assert_int_equal(snap[0].t, 200);
    char s[128] = "";
    evq_foreach_pending(l.q, count_fn, s);
    assert_string_equal(s, "TCP retransmit;SMTP retry;");
    evq_free(l.q);
    evq_free(NULL);
}

static void rearm_fn(void *ctx, uint64_t arg)
{
    struct evq *q = ctx;
    (void)arg;
    evq_after(q, 10, rearm_fn, q, 0, "again");
}

/* Steady state allocates nothing, and cancelled entries do not pile up. */
static void test_memory_bounded(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    for (int i = 0; i < 100; i++) evq_at(q, i, rearm_fn, q, 0, "hold");
    evq_run(q, 1000);
    size_t mem = evq_memory(q);
    evq_run(q, 1000000);
    assert_int_equal(evq_memory(q), mem);
    assert_int_equal(evq_count(q), 100);
    /* A retransmission timer re-armed a million times, far in the future. */
    evq_handle h = EVQ_NONE;
    for (int i = 0; i < 1000000; i++) {
        evq_cancel(q, h);
        h = evq_after(q, 3 * SIM_US_PER_S, nop_fn, NULL, 0, "timeout");
    }
    assert_int_equal(evq_count(q), 101);
    assert_true(evq_memory(q) < 4 * mem + 16384);
    evq_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_by_time),
        cmocka_unit_test(test_ties_in_insertion_order),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_from_callback),
        cmocka_unit_test(test_run_until_and_stop),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_snapshot_labels),
        cmocka_unit_test(test_memory_bounded),
    };
    return cmocka_run_group_tests_name("evq", tests, NULL, NULL);
}
