/* test_evq.c -- event order, ties, cancellation, snapshots, clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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
    assert_false(evq_cancel(l.q, (evq_handle){30, 0xdeadbeef})); /* never issued */
    assert_int_equal(evq_count(l.q), 2);
    assert_true(evq_step(l.q));
    assert_false(evq_cancel(l.q, a)); /* already fired */
    /* Handles are never reused: an old one does not cancel a new event. */
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

/* Scheduling, cancelling, stepping and running to a time, interleaved at
 * random (many events at the very time of the clock), against a model:
 * after every operation each handle is pending exactly when the model says
 * so, and events fire in (time, scheduling order). This is what lets the
 * queue tell a run event from a pending one by its key alone. */
struct model {
    struct evq *q;
    int fired[4000];
    size_t nfired;
};

static void model_fn(void *ctx, uint64_t arg)
{
    struct model *m = ctx;
    m->fired[m->nfired++] = (int)arg;
}

static void test_interleaved_against_model(void **state)
{
    (void)state;
    enum { N = 4000 };
    static struct model m;
    static evq_handle h[N];
    static sim_us when[N];
    static int st[N]; /* 0 pending, 1 fired, 2 cancelled */
    memset(&m, 0, sizeof m);
    m.q = evq_new();
    struct rng r = rng_stream(11, "evq-interleaved");
    int n = 0;
    size_t checked = 0;
    while (n < N) {
        /* Alternate build-up phases (schedule and cancel only, so that the
         * heap is purged with many live entries) with mixed ones. */
        uint64_t op = rng_below(&r, 10);
        if ((n / 250) % 2 == 0 && op >= 8) op = rng_below(&r, 8);
        if (op < 5) { /* schedule, often at the current time */
            sim_us d = rng_below(&r, 3) == 0 ? 0 : (sim_us)rng_below(&r, 40);
            when[n] = evq_now(m.q) + d;
            h[n] = evq_at(m.q, when[n], model_fn, &m, (uint64_t)n, "m");
            st[n++] = 0;
        } else if (op < 8 && n > 0) { /* cancel a handle, stale or not */
            /* Mostly recent ones, so that cancelled entries pile up and
             * the heap is purged many times in the run. */
            int j = rng_below(&r, 4) == 0 || n < 64 ? (int)rng_below(&r, (uint64_t)n)
                                                    : n - 1 - (int)rng_below(&r, 64);
            assert_int_equal(evq_cancel(m.q, h[j]), st[j] == 0);
            if (st[j] == 0) st[j] = 2;
        } else if (op < 9) { /* one step */
            size_t before = m.nfired;
            bool any = false;
            for (int i = 0; i < n; i++) any = any || st[i] == 0;
            assert_int_equal(evq_step(m.q), any);
            if (any) {
                assert_int_equal(m.nfired, before + 1);
                st[m.fired[before]] = 1;
            }
        } else { /* run to a time, maybe the current one */
            sim_us until = evq_now(m.q) + (sim_us)rng_below(&r, 30);
            size_t before = m.nfired;
            evq_run(m.q, until);
            for (size_t k = before; k < m.nfired; k++) st[m.fired[k]] = 1;
            for (int i = 0; i < n; i++) {
                if (st[i] == 0) assert_true(when[i] > until);
            }
            assert_int_equal(evq_now(m.q), until);
        }
        /* Fired in order: each no earlier than the one before it. */
        for (size_t k = 1; k < m.nfired; k++) {
            int a = m.fired[k - 1], b = m.fired[k];
            assert_true(when[a] < when[b] || (when[a] == when[b] && a < b));
        }
        for (int i = (n > 50 ? n - 50 : 0); i < n; i++) {
            assert_int_equal(evq_pending(m.q, h[i]), st[i] == 0);
            assert_int_equal(evq_when(m.q, h[i]), st[i] == 0 ? when[i] : -1);
            checked++;
        }
        size_t live = 0;
        for (int i = 0; i < n; i++) live += st[i] == 0;
        assert_int_equal(evq_count(m.q), live);
        assert_int_equal(evq_fired(m.q), m.nfired);
    }
    assert_true(checked > 100000);
    evq_free(m.q);
}

static void count_fn(void *ctx, const struct evq_info *ev)
{
    char *s = ctx;
    strcat(s, ev->label);
    strcat(s, ";");
}

static void snap_obs_fn(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev)
{
    (void)ctx;
    (void)kind;
    (void)ev;
}

/* Snapshots list pending events in run order; their labels are kept while
 * an observer is installed (a view installs one), never on the hot path. */
static void test_snapshot_labels(void **state)
{
    (void)state;
    struct log l = {.q = evq_new()};
    evq_at(l.q, 50, log_fn, &l, 0, "unobserved");
    evq_set_observer(l.q, snap_obs_fn, NULL);
    evq_at(l.q, 300, log_fn, &l, 0, "SMTP retry");
    evq_handle c = evq_at(l.q, 100, log_fn, &l, 0, "cancelled");
    evq_at(l.q, 200, log_fn, &l, 0, "TCP retransmit");
    evq_cancel(l.q, c);
    struct evq_info snap[4];
    assert_int_equal(evq_snapshot(l.q, snap, 2), 2);
    assert_null(snap[0].label); /* scheduled before the observer */
    assert_int_equal(snap[0].t, 50);
    assert_string_equal(snap[1].label, "TCP retransmit");
    assert_int_equal(snap[1].t, 200);
    assert_ptr_equal(snap[1].fn, log_fn);
    char s[128] = "";
    evq_step(l.q);
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

struct obs_log {
    char buf[512];
    size_t len;
};

static void obs_fn(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev)
{
    struct obs_log *o = ctx;
    /* The event is reported whole: whose it is (fn, ctx, arg) and its key. */
    assert_ptr_equal(ev->fn, nop_fn);
    assert_int_equal(ev->handle.t, ev->t);
    assert_int_equal(ev->handle.seq, ev->seq);
    int n = snprintf(o->buf + o->len, sizeof o->buf - o->len, "%s %lld %s %llu;",
                     kind == EVQ_OBS_SET ? "set" : "cancel", (long long)ev->t,
                     ev->label ? ev->label : "-", (unsigned long long)ev->arg);
    if (n > 0) o->len += (size_t)n;
}
static void test_observer(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct obs_log o = {{0}, 0};
    evq_at(q, 5, nop_fn, NULL, 0, "before");
    evq_set_observer(q, obs_fn, &o);
    evq_handle a = evq_at(q, 10, nop_fn, NULL, 7, "SMTP retry");
    evq_handle b = evq_after(q, 20, nop_fn, NULL, 0, NULL);
    assert_true(evq_cancel(q, a));
    assert_false(evq_cancel(q, a)); /* stale: not reported */
    evq_run(q, SIM_US_MAX);         /* firing: not reported */
    assert_false(evq_cancel(q, b));
    assert_string_equal(o.buf, "set 10 SMTP retry 7;set 20 - 0;cancel 10 SMTP retry 7;");
    evq_set_observer(q, NULL, &o);
    evq_after(q, 1, nop_fn, NULL, 0, "after");
    assert_int_equal(o.len, strlen("set 10 SMTP retry 7;set 20 - 0;cancel 10 SMTP retry 7;"));
    evq_free(q);
}

/* An observer is told every cancel with the whole event, whether it was
 * scheduled before the observer came or after, and what the queue keeps
 * for it goes when the events run: a long observed run of re-armed timers
 * ends with the queue as small as it started. */
struct obs_check {
    uint64_t cancels, bad, unlabelled;
};

static void obs_check_fn(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev)
{
    struct obs_check *o = ctx;
    if (kind != EVQ_OBS_CANCEL) return;
    o->cancels++;
    /* Each timer's arg is its due time; its label says it is a timer (the
     * queue keeps labels only while observed). */
    if (ev->fn != nop_fn || (sim_us)ev->arg != ev->t ||
        (ev->label && strcmp(ev->label, "timer") != 0))
        o->bad++;
    if (!ev->label) o->unlabelled++;
}

static void rearm_obs_fn(void *ctx, uint64_t arg)
{
    struct evq *q = ctx;
    (void)arg;
    static evq_handle timer;
    evq_cancel(q, timer);
    sim_us due = evq_now(q) + 3 * SIM_US_PER_S;
    timer = evq_at(q, due, nop_fn, NULL, (uint64_t)due, "timer");
    if (evq_now(q) < 200000) evq_after(q, 10, rearm_obs_fn, q, 0, "tick");
}

static void test_observer_cancel_whole_event(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    evq_handle early = evq_at(q, 50, nop_fn, NULL, 50, "timer"); /* before the observer */
    struct obs_check o = {0, 0, 0};
    evq_set_observer(q, obs_check_fn, &o);
    size_t base = evq_memory(q);
    assert_true(evq_cancel(q, early));
    assert_int_equal(o.cancels, 1);
    assert_int_equal(o.unlabelled, 1); /* scheduled unobserved: no label kept */
    evq_at(q, 0, rearm_obs_fn, q, 0, "tick");
    evq_run(q, SIM_US_MAX);
    assert_true(o.cancels > 19000);
    assert_int_equal(o.bad, 0);
    assert_int_equal(o.unlabelled, 1);
    assert_int_equal(evq_count(q), 0);
    /* Everything it was told of has run or been cancelled: nothing kept but
     * the arrays' capacity (which a purge may have grown a little). */
    assert_true(evq_memory(q) < base + 64 * 1024);
    evq_free(q);
}

/* A list entering the queue one entry at a time, on reserved sequences. */
struct chain {
    struct log l;
    uint64_t base;
    sim_us at[3];
    size_t next;
};

static void chain_fn(void *ctx, uint64_t arg)
{
    struct chain *c = ctx;
    if (c->next < 3) { /* the next entry, before this one's work */
        evq_at_seq(c->l.q, c->at[c->next], c->base + c->next, chain_fn, c, 'a' + c->next, "chain");
        c->next++;
    }
    log_fn(&c->l, arg);
}

static void test_reserved_sequences_keep_order(void **state)
{
    (void)state;
    struct chain c = {.l = {.q = evq_new()}, .at = {5, 5, 7}};
    c.base = evq_reserve(c.l.q, 3);
    evq_at(c.l.q, 5, log_fn, &c.l, 'x', "x");
    evq_at(c.l.q, 5, log_fn, &c.l, 'y', "y");
    evq_at(c.l.q, 7, log_fn, &c.l, 'w', "w");
    evq_at_seq(c.l.q, c.at[0], c.base, chain_fn, &c, 'a', "chain");
    c.next = 1;
    assert_int_equal(evq_count(c.l.q), 4);
    assert_int_equal(evq_fired(c.l.q), 0); /* reserved, unscheduled: not fired */
    evq_run(c.l.q, SIM_US_MAX);
    /* As if all three had been scheduled before x, y and w. */
    assert_string_equal(c.l.buf, "abxycw");
    assert_int_equal(evq_fired(c.l.q), 6);
    evq_free(c.l.q);
}

static void test_reserved_after_purge(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    uint64_t base = evq_reserve(q, 2);
    evq_handle h[400];
    for (int i = 0; i < 400; i++) h[i] = evq_at(q, 100 + i, nop_fn, NULL, 0, "t");
    for (int i = 0; i < 300; i++) assert_true(evq_cancel(q, h[i])); /* purges */
    evq_handle r = evq_at_seq(q, 50, base, nop_fn, NULL, 0, "r");
    assert_true(evq_pending(q, r));
    assert_int_equal(evq_when(q, r), 50);
    assert_int_equal(evq_count(q), 101);
    assert_true(evq_cancel(q, r));
    assert_false(evq_pending(q, r));
    evq_handle r2 = evq_at_seq(q, 60, base + 1, nop_fn, NULL, 0, "r2");
    assert_int_equal(evq_run(q, SIM_US_MAX), 101);
    assert_false(evq_pending(q, r2));
    assert_int_equal(evq_fired(q), 101);
    evq_free(q);
}

struct told {
    int sets, cancels;
    sim_us last_t;
};

static void told_fn(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev)
{
    struct told *t = ctx;
    if (kind == EVQ_OBS_SET)
        t->sets++;
    else
        t->cancels++;
    t->last_t = ev->t;
}

static void test_announce_tells_once(void **state)
{
    (void)state;
    struct evq *q = evq_new();
    struct told t = {0, 0, 0};
    evq_set_observer(q, told_fn, &t);
    uint64_t base = evq_reserve(q, 2);
    evq_announce(q, 30, base, nop_fn, NULL, 0, "later");
    evq_announce(q, 40, base + 1, nop_fn, NULL, 1, "later still");
    assert_int_equal(t.sets, 2);
    assert_int_equal(t.last_t, 40);
    evq_at_seq(q, 30, base, nop_fn, NULL, 0, "later"); /* already told */
    assert_int_equal(t.sets, 2);
    struct evq_info snap[2];
    assert_int_equal(evq_snapshot(q, snap, 2), 1);
    assert_string_equal(snap[0].label, "later");
    evq_run(q, SIM_US_MAX);
    evq_at_seq(q, 40, base + 1, nop_fn, NULL, 1, "later still");
    assert_int_equal(t.sets, 2);
    assert_int_equal(evq_run(q, SIM_US_MAX), 1);
    /* Without an announcement, scheduling tells the observer. */
    uint64_t b2 = evq_reserve(q, 1);
    evq_at_seq(q, 50, b2, nop_fn, NULL, 0, "unannounced");
    assert_int_equal(t.sets, 3);
    assert_int_equal(t.cancels, 0);
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
        cmocka_unit_test(test_interleaved_against_model),
        cmocka_unit_test(test_snapshot_labels),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_observer),
        cmocka_unit_test(test_observer_cancel_whole_event),
        cmocka_unit_test(test_reserved_sequences_keep_order),
        cmocka_unit_test(test_reserved_after_purge),
        cmocka_unit_test(test_announce_tells_once),
    };
    return cmocka_run_group_tests_name("evq", tests, NULL, NULL);
}
