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
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void evq_sift_up(struct evq_ent *h, size_t i, struct evq_ent e)
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

static void evq_pop_top(struct evq *q)
{
    q->n--;
    if (q->n > 0) evq_sift_down(q->heap, q->n, 0, q->heap[q->n]);
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

static uint32_t evq_node_alloc(struct evq *q)
{
    uint32_t i = q->free_head;
    if (i != UINT32_MAX) {
        q->free_head = q->nodes[i].next_free;
        return i;
    }
    if (q->nnodes == q->nodecap) {
        if (q->nodecap >= UINT32_MAX / 2) ms_fatal("event queue: too many pending events");
        uint32_t nc = q->nodecap ? q->nodecap * 2 : 64;
        q->nodes = ms_xrealloc(q->nodes, (size_t)nc * sizeof *q->nodes);
        q->nodecap = nc;
    }
    i = q->nnodes++;
    q->nodes[i].gen = 0;
    return i;
}

static void evq_node_release(struct evq *q, uint32_t i)
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
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 64;
        q->heap = ms_xrealloc(q->heap, nc * sizeof *q->heap);
        q->cap = nc;
    }
    struct evq_ent e = {t, q->seq++, i, nd->gen};
    evq_sift_up(q->heap, q->n++, e);
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
static void evq_fire_top(struct evq *q)
{
    struct evq_ent top = q->heap[0];
    evq_pop_top(q);
    struct evq_node *nd = &q->nodes[top.node];
    evq_fn *fn = nd->fn;
    void *ctx = nd->ctx;
    uint64_t arg = nd->arg;
    evq_node_release(q, top.node);
    q->live--;
    q->now = top.t;
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
    while (!q->stopped && evq_settle(q) && q->heap[0].t <= until) {
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
