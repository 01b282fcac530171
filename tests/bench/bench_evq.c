/* bench_evq.c -- events per second of the bare event queue, beside a plain
 * binary heap built in the same run (no cancellation), and memory per
 * pending event. Prints "bench <name> <value> <unit>" lines.
 *
 *   chain:    10M events, each scheduling the next (one pending).
 *   hold1000: 10M events with 1,000 always pending at random future times
 *             (each fired event schedules one at now + uniform[1, 1000000] us).
 *   cancel:   as hold1000, but every event also arms a timeout and cancels the
 *             previous one, like a TCP retransmission timer (evq only).
 * Timing uses the process CPU clock (the benchmark, never the simulation), so
 * other load on a shared machine inflates the figures less than wall time. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/evq.h"
#include "core/rng.h"

#ifndef N_EVENTS
#define N_EVENTS 10000000ULL
#endif
#define HOLD 1000

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the baseline: a plain binary heap of (time, seq, fn, ctx) ---------- */

typedef void base_fn(void *ctx);
struct base_ent {
    sim_us t;
    uint64_t seq;
    base_fn *fn;
    void *ctx;
};
struct base_heap {
    struct base_ent *h;
    size_t n, cap;
    uint64_t seq;
    sim_us now;
};

static int base_less(const struct base_ent *a, const struct base_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void base_push(struct base_heap *b, sim_us t, base_fn *fn, void *ctx)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->h = realloc(b->h, b->cap * sizeof *b->h);
        if (!b->h) abort();
    }
    struct base_ent e = {t, b->seq++, fn, ctx};
    size_t i = b->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!base_less(&e, &b->h[p])) break;
        b->h[i] = b->h[p];
        i = p;
    }
    b->h[i] = e;
}

static int base_step(struct base_heap *b)
{
    if (b->n == 0) return 0;
    struct base_ent top = b->h[0];
    struct base_ent last = b->h[--b->n];
    size_t i = 0, n = b->n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && base_less(&b->h[c + 1], &b->h[c])) c++;
        if (!base_less(&b->h[c], &last)) break;
        b->h[i] = b->h[c];
        i = c;
    }
    if (n > 0) b->h[i] = last;
    b->now = top.t;
    top.fn(top.ctx);
    return 1;
}

/* ---- workloads -------------------------------------------------------------- */

struct work {
    struct evq *q;
    struct base_heap *b;
    struct rng r;
    uint64_t left;
    evq_handle timer;
};

static void base_chain_fn(void *ctx)
{
    struct work *w = ctx;
    if (w->left > 0 && w->left--)
        base_push(w->b, w->b->now + 1 + (sim_us)(w->left & 7), base_chain_fn, w);
}

static void evq_chain_fn(void *ctx, uint64_t arg)
{
    (void)arg;
    struct work *w = ctx;
    if (w->left > 0 && w->left--)
        evq_at(w->q, evq_now(w->q) + 1 + (sim_us)(w->left & 7), evq_chain_fn, w, 0, "chain");
}

static void base_hold_fn(void *ctx)
{
    struct work *w = ctx;
    if (w->left > 0 && w->left--)
        base_push(w->b, w->b->now + 1 + (sim_us)rng_below(&w->r, 1000000), base_hold_fn, w);
}

static void evq_hold_fn(void *ctx, uint64_t arg)
{
    (void)arg;
    struct work *w = ctx;
    if (w->left > 0 && w->left--)
        evq_at(w->q, evq_now(w->q) + 1 + (sim_us)rng_below(&w->r, 1000000), evq_hold_fn, w, 0,
               "hold");
}

static void evq_timeout_fn(void *ctx, uint64_t arg)
{
    (void)ctx;
    (void)arg;
}

static void evq_cancel_fn(void *ctx, uint64_t arg)
{
    (void)arg;
    struct work *w = ctx;
    if (w->left > 0 && w->left--) {
        evq_cancel(w->q, w->timer);
        w->timer = evq_after(w->q, 3000000, evq_timeout_fn, w, 0, "timeout");
        evq_at(w->q, evq_now(w->q) + 1 + (sim_us)rng_below(&w->r, 1000000), evq_cancel_fn, w, 0,
               "hold");
    }
}

static void report(const char *name, uint64_t events, double secs)
{
    printf("bench %s %.1f Mevents/s\n", name, (double)events / secs / 1e6);
    fflush(stdout);
}

static double run_base(base_fn *fn, size_t pending)
{
    struct base_heap b = {0};
    struct work w = {.b = &b, .r = rng_stream(1, "bench"), .left = N_EVENTS - pending};
    for (size_t i = 0; i < pending; i++) base_push(&b, (sim_us)rng_below(&w.r, 1000000), fn, &w);
    double t0 = bench_now();
    while (base_step(&b)) {
    }
    double secs = bench_now() - t0;
    free(b.h);
    return secs;
}

static double run_evq(evq_fn *fn, size_t pending, size_t *peak_mem)
{
    struct evq *q = evq_new();
    struct work w = {.q = q, .r = rng_stream(1, "bench"), .left = N_EVENTS - pending};
    for (size_t i = 0; i < pending; i++)
        evq_at(q, (sim_us)rng_below(&w.r, 1000000), fn, &w, 0, "x");
    if (peak_mem) *peak_mem = evq_memory(q);
    double t0 = bench_now();
    uint64_t ran = evq_run(q, SIM_US_MAX);
    double secs = bench_now() - t0;
    if (ran < N_EVENTS) { /* the cancel workload also runs its last timeout */
        fprintf(stderr, "bench_evq: ran %llu events, expected %llu\n", (unsigned long long)ran,
                (unsigned long long)N_EVENTS);
        exit(1);
    }
    evq_free(q);
    return secs;
}

/* Rounds alternate baseline and evq, and each reports its best round:
 * load from other processes on a shared machine drifts over seconds, and
 * alternating exposes both queues to the same drift. */
#define ROUNDS 5

static void compare(const char *name, base_fn *bfn, evq_fn *efn, size_t pending)
{
    double best_b = 1e30, best_e = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        double sb = run_base(bfn, pending);
        double se = run_evq(efn, pending, NULL);
        if (sb < best_b) best_b = sb;
        if (se < best_e) best_e = se;
    }
    char label[64];
    snprintf(label, sizeof label, "%s_baseline_binheap", name);
    report(label, N_EVENTS, best_b);
    report(name, N_EVENTS, best_e);
    printf("bench %s_vs_baseline %.2f x\n", name, best_b / best_e);
}

static double best_evq(evq_fn *fn, size_t pending)
{
    double best = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        double s = run_evq(fn, pending, NULL);
        if (s < best) best = s;
    }
    return best;
}

int main(void)
{
    compare("evq_chain", base_chain_fn, evq_chain_fn, 1);
    compare("evq_hold1000", base_hold_fn, evq_hold_fn, HOLD);
    report("evq_hold1000_cancel", N_EVENTS, best_evq(evq_cancel_fn, HOLD));

    /* Memory per pending event: a million pending, bytes held by the queue. */
    struct evq *q = evq_new();
    size_t peak = 0;
    for (uint64_t i = 0; i < 1000000; i++) {
        evq_at(q, (sim_us)(i * 7919 % 1000003), evq_timeout_fn, NULL, 0, "x");
        size_t m = evq_memory(q);
        if (m > peak) peak = m;
    }
    printf("bench evq_mem_per_pending %.1f bytes\n", (double)peak / 1e6);
    evq_free(q);
    return 0;
}
