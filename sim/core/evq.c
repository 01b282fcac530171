/* evq.c -- 4-ary min-heap of (time, sequence) with a node pool and lazy cancel.
 *
 * The heap holds 24-byte entries (time, sequence, node index, generation) so
 * sifting touches only the heap array. A node holds what the hot path does
 * not compare: callback, context, argument, label. A node's generation is odd
 * while it is scheduled; firing or cancelling makes it even and returns the
 * node to the free list at once. A heap entry whose generation no longer
 * matches its node's is stale (cancelled) and is dropped when it reaches the
 * top; when stale entries outnumber live ones the heap is rebuilt without
 * them (O(n), amortised O(1) per cancel). */
#include "core/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define EVQ_HOT static inline __attribute__((always_inline))
#define EVQ_COLD static __attribute__((noinline, cold))
#else
#define EVQ_HOT static inline
#define EVQ_COLD static
#endif

#define EVQ_ARITY 4
#define EVQ_PURGE_MIN 64 /* don't rebuild tiny heaps */

struct evq_ent {
    sim_us t;
    uint64_t seq;
    uint32_t node;
    uint32_t gen;
};

struct evq_node {
    evq_fn *fn;
    void *ctx;
    uint64_t arg;
    const char *label;
    sim_us t;
    uint32_t gen;       /* odd while scheduled */
    uint32_t next_free; /* free-list link, UINT32_MAX at the end */
};

struct evq {
    struct evq_ent *heap;
    size_t n, cap;          /* heap entries, live and stale */
    struct evq_node *nodes;
    uint32_t nnodes, nodecap;
    uint32_t free_head;
    size_t live, stale;
    sim_us now;
    uint64_t seq;
    uint64_t fired;
    int stopped;
};

static inline int evq_less(const struct evq_ent *a, const struct evq_ent *b)
{
    /* Ties in time are rare: the first test predicts well. */
    return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

EVQ_HOT void evq_sift_up(struct evq_ent *h, size_t i, struct evq_ent e)
{
    while (i > 0) {
        size_t p = (i - 1) / EVQ_ARITY;
        if (!evq_less(&e, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

/* Put e at hole i and sift it down in a heap of n entries. */
static void evq_sift_down(struct evq_ent *h, size_t n, size_t i, struct evq_ent e)
{
    for (;;) {
        size_t c = i * EVQ_ARITY + 1;
        if (c >= n) break;
        size_t best = c;
        size_t end = c + EVQ_ARITY < n ? c + EVQ_ARITY : n;
        for (size_t j = c + 1; j < end; j++) {
            if (evq_less(&h[j], &h[best])) best = j;
        }
        if (!evq_less(&h[best], &e)) break;
        h[i] = h[best];
        i = best;
    }
    h[i] = e;
}

/* Remove the top. Floyd's bottom-up variant: walk the hole down to a leaf
 * along the smaller children (no comparison with the moved entry, which is
 * usually large), then sift the last entry up from there. */
EVQ_HOT void evq_pop_top(struct evq *q)
{
    size_t n = --q->n;
    if (n == 0) return;
    struct evq_ent *h = q->heap;
    struct evq_ent e = h[n];
    size_t i = 0;
    for (;;) {
        size_t c = i * EVQ_ARITY + 1;
        if (c + EVQ_ARITY <= n) { /* all four children exist */
            size_t b01 = c + evq_less(&h[c + 1], &h[c]);
            size_t b23 = c + 2 + evq_less(&h[c + 3], &h[c + 2]);
            size_t best = evq_less(&h[b23], &h[b01]) ? b23 : b01;
            h[i] = h[best];
            i = best;
        } else if (c < n) {
            size_t best = c;
            for (size_t j = c + 1; j < n; j++) {
                if (evq_less(&h[j], &h[best])) best = j;
            }
            h[i] = h[best];
            i = best;
        } else {
            break;
        }
    }
    evq_sift_up(h, i, e);
}

struct evq *evq_new(void)
{
    struct evq *q = ms_xcalloc(1, sizeof *q);
    q->free_head = UINT32_MAX;
    return q;
}

void evq_free(struct evq *q)
{
    if (!q) return;
    free(q->heap);
    free(q->nodes);
    free(q);
}

sim_us evq_now(const struct evq *q)
{
    return q->now;
}

/* A node from the end of the pool, growing it (the cold path). */
EVQ_COLD uint32_t evq_node_new(struct evq *q)
{
    if (q->nnodes == q->nodecap) {
        if (q->nodecap >= UINT32_MAX / 2) ms_fatal("event queue: too many pending events");
        uint32_t nc = q->nodecap ? q->nodecap * 2 : 64;
        q->nodes = ms_xrealloc(q->nodes, (size_t)nc * sizeof *q->nodes);
        q->nodecap = nc;
    }
    uint32_t i = q->nnodes++;
    q->nodes[i].gen = 0;
    return i;
}

EVQ_COLD void evq_heap_grow(struct evq *q)
{
    size_t nc = q->cap ? q->cap * 2 : 64;
    q->heap = ms_xrealloc(q->heap, nc * sizeof *q->heap);
    q->cap = nc;
}

EVQ_HOT uint32_t evq_node_alloc(struct evq *q)
{
    uint32_t i = q->free_head;
    if (i != UINT32_MAX) {
        q->free_head = q->nodes[i].next_free;
        return i;
    }
    return evq_node_new(q);
}

EVQ_HOT void evq_node_release(struct evq *q, uint32_t i)
{
    q->nodes[i].gen++; /* even: no longer scheduled; stale handles now fail */
    q->nodes[i].next_free = q->free_head;
    q->free_head = i;
}

evq_handle evq_at(struct evq *q, sim_us t, evq_fn *fn, void *ctx, uint64_t arg,
                  const char *label)
{
    assert(t >= q->now && "event scheduled in the past");
    assert(fn != NULL);
    if (t < q->now) t = q->now;
    uint32_t i = evq_node_alloc(q);
    struct evq_node *nd = &q->nodes[i];
    nd->gen++; /* odd: scheduled */
    nd->fn = fn;
    nd->ctx = ctx;
    nd->arg = arg;
    nd->label = label;
    nd->t = t;
    if (q->n == q->cap) evq_heap_grow(q);
    /* Sift up by fields, storing the entry's fields in place at the end:
     * building it on the stack and copying it whole stalls store
     * forwarding (measured: 70% of the chain benchmark's time). */
    uint64_t seq = q->seq++;
    struct evq_ent *h = q->heap;
    size_t pos = q->n++;
    while (pos > 0) {
        size_t p = (pos - 1) / EVQ_ARITY;
        if (!(t != h[p].t ? t < h[p].t : seq < h[p].seq)) break;
        h[pos] = h[p];
        pos = p;
    }
    h[pos].t = t;
    h[pos].seq = seq;
    h[pos].node = i;
    h[pos].gen = nd->gen;
    q->live++;
    return ((uint64_t)nd->gen << 32) | ((uint64_t)i + 1);
}

evq_handle evq_after(struct evq *q, sim_us delay_us, evq_fn *fn, void *ctx, uint64_t arg,
                     const char *label)
{
    assert(delay_us >= 0);
    if (delay_us < 0) delay_us = 0;
    sim_us t = q->now > SIM_US_MAX - delay_us ? SIM_US_MAX : q->now + delay_us;
    return evq_at(q, t, fn, ctx, arg, label);
}

/* The node of a pending handle, or NULL. */
static struct evq_node *evq_lookup(const struct evq *q, evq_handle h)
{
    uint64_t lo = h & 0xffffffffu;
    if (lo == 0 || lo > q->nnodes) return NULL;
    struct evq_node *nd = &q->nodes[lo - 1];
    uint32_t gen = (uint32_t)(h >> 32);
    if (nd->gen != gen || (gen & 1u) == 0) return NULL;
    return nd;
}

/* Rebuild the heap without stale entries (Floyd's heapify). */
static void evq_purge(struct evq *q)
{
    size_t w = 0;
    for (size_t r = 0; r < q->n; r++) {
        struct evq_ent e = q->heap[r];
        if (q->nodes[e.node].gen == e.gen) q->heap[w++] = e;
    }
    q->n = w;
    q->stale = 0;
    if (w < 2) return;
    for (size_t i = (w - 2) / EVQ_ARITY + 1; i-- > 0;) {
        evq_sift_down(q->heap, w, i, q->heap[i]);
    }
}

bool evq_cancel(struct evq *q, evq_handle h)
{
    struct evq_node *nd = evq_lookup(q, h);
    if (!nd) return false;
    evq_node_release(q, (uint32_t)((h & 0xffffffffu) - 1));
    q->live--;
    q->stale++;
    if (q->stale > EVQ_PURGE_MIN && q->stale > q->live) evq_purge(q);
    return true;
}

bool evq_pending(const struct evq *q, evq_handle h)
{
    return evq_lookup(q, h) != NULL;
}

sim_us evq_when(const struct evq *q, evq_handle h)
{
    const struct evq_node *nd = evq_lookup(q, h);
    return nd ? nd->t : -1;
}

size_t evq_count(const struct evq *q)
{
    return q->live;
}

/* Drop stale entries from the top; true if a live one is there. */
static bool evq_settle(struct evq *q)
{
    while (q->n > 0) {
        const struct evq_ent *top = &q->heap[0];
        if (q->nodes[top->node].gen == top->gen) return true;
        evq_pop_top(q);
        q->stale--;
    }
    return false;
}

sim_us evq_next_time(struct evq *q)
{
    return evq_settle(q) ? q->heap[0].t : -1;
}

/* Pop the (live) top and run it. */
EVQ_HOT void evq_fire_top(struct evq *q)
{
    /* Field by field: the entry may have just been stored that way. */
    sim_us t = q->heap[0].t;
    uint32_t node = q->heap[0].node;
    evq_pop_top(q);
    struct evq_node *nd = &q->nodes[node];
    evq_fn *fn = nd->fn;
    void *ctx = nd->ctx;
    uint64_t arg = nd->arg;
    evq_node_release(q, node);
    q->live--;
    q->now = t;
    q->fired++;
    fn(ctx, arg);
}

bool evq_step(struct evq *q)
{
    if (!evq_settle(q)) return false;
    evq_fire_top(q);
    return true;
}

uint64_t evq_run(struct evq *q, sim_us until)
{
    uint64_t ran = 0;
    q->stopped = 0;
    while (!q->stopped && q->n > 0) {
        /* Stale entries exist only after a cancel: skip the check otherwise. */
        if (q->stale && !evq_settle(q)) break;
        if (q->heap[0].t > until) break;
        evq_fire_top(q);
        ran++;
    }
    if (!q->stopped && until != SIM_US_MAX && until > q->now) q->now = until;
    q->stopped = 0;
    return ran;
}

void evq_stop(struct evq *q)
{
    q->stopped = 1;
}

uint64_t evq_fired(const struct evq *q)
{
    return q->fired;
}

static int evq_info_cmp(const void *pa, const void *pb)
{
    const struct evq_info *a = pa, *b = pb;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* All live entries, sorted; caller frees. */
static struct evq_info *evq_sorted(const struct evq *q, size_t *count)
{
    struct evq_info *all = ms_xmalloc((q->live ? q->live : 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < q->n; i++) {
        const struct evq_ent *e = &q->heap[i];
        const struct evq_node *nd = &q->nodes[e->node];
        if (nd->gen != e->gen) continue;
        all[k].t = e->t;
        all[k].seq = e->seq;
        all[k].handle = ((uint64_t)e->gen << 32) | ((uint64_t)e->node + 1);
        all[k].label = nd->label;
        all[k].ctx = nd->ctx;
        all[k].arg = nd->arg;
        k++;
    }
    assert(k == q->live);
    qsort(all, k, sizeof *all, evq_info_cmp);
    *count = k;
    return all;
}

size_t evq_snapshot(const struct evq *q, struct evq_info *out, size_t max)
{
    size_t k;
    struct evq_info *all = evq_sorted(q, &k);
    if (k > max) k = max;
    if (k) memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

void evq_foreach_pending(const struct evq *q, void (*fn)(void *ctx, const struct evq_info *ev),
                         void *ctx)
{
    size_t k;
    struct evq_info *all = evq_sorted(q, &k);
    for (size_t i = 0; i < k; i++) fn(ctx, &all[i]);
    free(all);
}

size_t evq_memory(const struct evq *q)
{
    return sizeof *q + q->cap * sizeof *q->heap + (size_t)q->nodecap * sizeof *q->nodes;
}
