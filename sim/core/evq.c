/* evq.c -- a 4-ary min-heap of (time, sequence), with cancellation by key.
 *
 * Each heap entry is the whole event (time, sequence, callback, context,
 * argument), as in a plain binary heap: firing an event reads only
 * the top entry, and scheduling writes only the new one. There is no node
 * pool and no generation counter. A handle is the event's key (t, seq);
 * sequences start at 1 and never repeat, so a handle names one event for
 * the life of the queue. Whether it is still pending follows from three
 * facts, none of which costs the firing path more than one branch:
 *
 * 1. Events run in key order and the clock never goes back, so an event
 *    due before now has run or was cancelled, and one due after now has not
 *    run. Events due at now itself run in sequence order, so the heap's top
 *    bounds them: one still queued is at or after the top. Knowing this
 *    costs the firing path nothing, not even a store.
 * 2. The set `gone` of sequences cancelled since the last purge. A cancelled
 *    entry stays in the heap until it surfaces (then it is dropped; its
 *    member stays, because the clock may not yet be past its key).
 * 3. When the set outnumbers the live events, the heap is rebuilt without
 *    the cancelled entries (O(n), amortised O(1) per cancel) and the set is
 *    emptied. The set `alive` then records which sequences issued before
 *    the purge were still pending: an older handle not in it was cancelled.
 *
 * So memory stays proportional to the largest number of pending events,
 * however many timers are re-armed, and with nothing cancelled the hot
 * path never touches either set. */
#include "core/evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define EVQ_HOT static inline __attribute__((always_inline))
#define EVQ_COLD static __attribute__((noinline, cold))
#define EVQ_NOINLINE static __attribute__((noinline))
#else
#define EVQ_NOINLINE static
#define EVQ_HOT static inline
#define EVQ_COLD static
#endif

#define EVQ_ARITY 4
#define EVQ_PURGE_MIN 64 /* don't rebuild tiny heaps */

struct evq_ent {
    sim_us t;
    uint64_t seq;
    evq_fn *fn;
    void *ctx;
    uint64_t arg;
};

/* A set of sequences: open addressing with linear probing, 0 marking an
 * empty slot (sequences start at 1). Members are only added, and the set is
 * emptied whole, so there is no deletion and no tombstone. */
struct evq_set {
    uint64_t *slot;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

struct evq_seen {
    struct evq_info *slot;
    size_t cap; /* a power of two, or 0 */
    size_t count;
};

struct evq {
    struct evq_clock clk; /* first: evq_now() reads it through the header */
    struct evq_ent *heap;
    size_t n, cap;        /* heap entries, live and cancelled */
    size_t fast_max;      /* cap, or 0 with an observer: evq_at()'s one test */
    size_t stale;         /* cancelled entries still in the heap */
    uint64_t seq;         /* the next sequence to hand out */
    uint64_t unplaced;    /* sequences reserved and not yet scheduled */
    struct evq_set gone;  /* sequences cancelled since the last purge */
    struct evq_set alive; /* sequences pending at the last purge */
    uint64_t alive_below; /* ... issued before it: seq < alive_below */
    uint64_t cancelled;   /* events ever cancelled (fired is derived) */
    int stopped;
    int attn;             /* stopped || stale || obs: the firing loop's one test */
    evq_observer_fn *obs; /* NULL: nobody watches (the usual case) */
    void *obs_ctx;
    struct evq_seen seen; /* with an observer: the events it was told of */
};

/* ---- the cancelled set ---------------------------------------------------- */

static size_t evq_set_home(const struct evq_set *s, uint64_t seq)
{
    return (size_t)((seq * 0x9e3779b97f4a7c15u) >> 32) & (s->cap - 1);
}

static bool evq_set_has(const struct evq_set *s, uint64_t seq)
{
    if (s->count == 0) return false;
    for (size_t i = evq_set_home(s, seq);; i = (i + 1) & (s->cap - 1)) {
        if (s->slot[i] == seq) return true;
        if (s->slot[i] == 0) return false;
    }
}

static void evq_set_put(struct evq_set *s, uint64_t seq);

static void evq_set_grow(struct evq_set *s)
{
    struct evq_set old = *s;
    s->cap = old.cap ? old.cap * 2 : 64;
    s->slot = ms_xcalloc(s->cap, sizeof *s->slot);
    s->count = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slot[i]) evq_set_put(s, old.slot[i]);
    }
    free(old.slot);
}

/* Add seq (not yet a member). Keeps the load at or under one half. */
static void evq_set_put(struct evq_set *s, uint64_t seq)
{
    if (2 * (s->count + 1) > s->cap) evq_set_grow(s);
    size_t i = evq_set_home(s, seq);
    while (s->slot[i] != 0) i = (i + 1) & (s->cap - 1);
    s->slot[i] = seq;
    s->count++;
}

static void evq_set_clear(struct evq_set *s)
{
    if (s->count) memset(s->slot, 0, s->cap * sizeof *s->slot);
    s->count = 0;
}

/* ---- what an observer was told ------------------------------------------------- */

/* With an observer installed, each event scheduled is kept here by its
 * sequence until it runs or is cancelled, so that a cancel can report the
 * whole event in O(1) (a scan of the heap made a 100,000-message day with
 * the window's timer notes take 255 s instead of 10), and a snapshot can
 * name it: labels live only here, never in the heap (40-byte entries
 * instead of 48 made the mail day about 5% faster). Open addressing,
 * linear probing, seq 0 marking an empty slot, deletion by shifting. */
static size_t evq_seen_home(const struct evq_seen *m, uint64_t seq)
{
    return (size_t)((seq * 0x9e3779b97f4a7c15u) >> 32) & (m->cap - 1);
}

static void evq_seen_put(struct evq_seen *m, const struct evq_info *ev)
{
    if (2 * (m->count + 1) > m->cap) {
        struct evq_seen old = *m;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->slot = ms_xcalloc(m->cap, sizeof *m->slot);
        m->count = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i].seq) evq_seen_put(m, &old.slot[i]);
        free(old.slot);
    }
    size_t i = evq_seen_home(m, ev->seq);
    while (m->slot[i].seq != 0) i = (i + 1) & (m->cap - 1);
    m->slot[i] = *ev;
    m->count++;
}

/* seq's event, or NULL if it is not there. */
static const struct evq_info *evq_seen_get(const struct evq_seen *m, uint64_t seq)
{
    if (m->count == 0) return NULL;
    for (size_t i = evq_seen_home(m, seq);; i = (i + 1) & (m->cap - 1)) {
        if (m->slot[i].seq == seq) return &m->slot[i];
        if (m->slot[i].seq == 0) return NULL;
    }
}

/* Take seq's event out into *ev; false if it is not there. */
static bool evq_seen_take(struct evq_seen *m, uint64_t seq, struct evq_info *ev)
{
    if (m->count == 0) return false;
    size_t mask = m->cap - 1, i = evq_seen_home(m, seq);
    while (m->slot[i].seq != seq) {
        if (m->slot[i].seq == 0) return false;
        i = (i + 1) & mask;
    }
    if (ev) *ev = m->slot[i];
    /* Shift later members of the cluster back over the hole when their
     * home does not lie cyclically in (hole, j]. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; m->slot[j].seq != 0; j = (j + 1) & mask) {
        size_t home = evq_seen_home(m, m->slot[j].seq);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slot[hole] = m->slot[j];
            hole = j;
        }
    }
    m->slot[hole].seq = 0;
    m->count--;
    return true;
}

/* ---- the heap --------------------------------------------------------------- */

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

/* Remove the top of a heap of n + 1 entries, n > 0 remaining. Floyd's
 * bottom-up variant: walk the hole down to a leaf along the smaller
 * children (no comparison with the moved entry, which is usually large),
 * then sift the last entry up from there. Out of line: inlined, its
 * registers crowd the firing loop (measured: 8% of the chain benchmark). */
EVQ_NOINLINE void evq_reheap(struct evq_ent *h, size_t n)
{
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

/* Remove the top. */
EVQ_HOT void evq_pop_top(struct evq *q)
{
    size_t n = --q->n;
    if (n > 0) evq_reheap(q->heap, n);
}

struct evq *evq_new(void)
{
    struct evq *q = ms_xcalloc(1, sizeof *q);
    q->seq = 1;
    return q;
}

void evq_free(struct evq *q)
{
    if (!q) return;
    free(q->heap);
    free(q->gone.slot);
    free(q->alive.slot);
    free(q->seen.slot);
    free(q);
}

EVQ_COLD void evq_heap_grow(struct evq *q)
{
    size_t nc = q->cap ? q->cap * 2 : 64;
    q->heap = ms_xrealloc(q->heap, nc * sizeof *q->heap);
    q->cap = nc;
    q->fast_max = q->obs ? 0 : nc;
}

/* Schedule, the heap having room: no call, so the fast path of evq_at()
 * needs no stack frame. */
EVQ_HOT evq_handle evq_put_seq(struct evq *q, sim_us t, uint64_t seq, evq_fn *fn, void *ctx,
                               uint64_t arg)
{
    /* Sift up by fields, storing the entry's fields in place at the end:
     * building it on the stack and copying it whole stalls store
     * forwarding (measured: 70% of the chain benchmark's time). */
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
    h[pos].fn = fn;
    h[pos].ctx = ctx;
    h[pos].arg = arg;
    return (evq_handle){t, seq};
}

EVQ_HOT evq_handle evq_put(struct evq *q, sim_us t, evq_fn *fn, void *ctx, uint64_t arg)
{
    return evq_put_seq(q, t, q->seq++, fn, ctx, arg);
}

/* Everything evq_at() does not expect on every event: a bad time, growing
 * the heap, an observer. */
EVQ_COLD evq_handle evq_at_slow(struct evq *q, sim_us t, evq_fn *fn, void *ctx, uint64_t arg,
                                const char *label)
{
    assert(t >= q->clk.now && "event scheduled in the past");
    assert(fn != NULL);
    if (t < q->clk.now) t = q->clk.now;
    if (q->n == q->cap) evq_heap_grow(q);
    evq_handle hd = evq_put(q, t, fn, ctx, arg);
    if (q->obs) {
        struct evq_info ev = {fn, t, hd.seq, hd, label, ctx, arg};
        evq_seen_put(&q->seen, &ev);
        q->obs(q->obs_ctx, EVQ_OBS_SET, &ev);
    }
    return hd;
}

evq_handle evq_at(struct evq *q, sim_us t, evq_fn *fn, void *ctx, uint64_t arg, const char *label)
{
    if (t < q->clk.now || !fn || q->n >= q->fast_max) return evq_at_slow(q, t, fn, ctx, arg, label);
    (void)label; /* kept only for an observer: the slow path */
    return evq_put(q, t, fn, ctx, arg);
}

evq_handle evq_after(struct evq *q, sim_us delay_us, evq_fn *fn, void *ctx, uint64_t arg,
                     const char *label)
{
    assert(delay_us >= 0);
    if (delay_us < 0) delay_us = 0;
    sim_us t = q->clk.now > SIM_US_MAX - delay_us ? SIM_US_MAX : q->clk.now + delay_us;
    return evq_at(q, t, fn, ctx, arg, label);
}

uint64_t evq_reserve(struct evq *q, size_t n)
{
    uint64_t first = q->seq;
    q->seq += n;
    q->unplaced += n;
    return first;
}

void evq_announce(struct evq *q, sim_us t, uint64_t seq, evq_fn *fn, void *ctx, uint64_t arg,
                  const char *label)
{
    assert(seq > 0 && seq < q->seq);
    if (!q->obs || evq_seen_get(&q->seen, seq)) return;
    struct evq_info ev = {fn, t, seq, {t, seq}, label, ctx, arg};
    evq_seen_put(&q->seen, &ev);
    q->obs(q->obs_ctx, EVQ_OBS_SET, &ev);
}

evq_handle evq_at_seq(struct evq *q, sim_us t, uint64_t seq, evq_fn *fn, void *ctx, uint64_t arg,
                      const char *label)
{
    assert(seq > 0 && seq < q->seq && q->unplaced > 0 && "sequence not reserved");
    assert(t >= q->clk.now && "event scheduled in the past");
    assert(fn != NULL);
    if (t < q->clk.now) t = q->clk.now;
    if (q->n == q->cap) evq_heap_grow(q);
    evq_handle hd = evq_put_seq(q, t, seq, fn, ctx, arg);
    q->unplaced--;
    /* Issued before the last purge: it must be in the set of those pending
     * (see the file comment, point 3). */
    if (seq < q->alive_below) evq_set_put(&q->alive, seq);
    /* An observer hears of it once: now, unless evq_announce() told it. */
    evq_announce(q, t, seq, fn, ctx, arg, label);
    return hd;
}

/* True while h has neither run nor been cancelled (see the file comment). */
bool evq_pending(const struct evq *q, evq_handle h)
{
    if (h.seq == 0 || h.seq >= q->seq) return false; /* none, or never issued */
    if (h.t < q->clk.now) return false;
    if (h.t == q->clk.now && (q->n == 0 || q->heap[0].t != h.t || h.seq < q->heap[0].seq))
        return false;
    if (evq_set_has(&q->gone, h.seq)) return false;
    return h.seq >= q->alive_below || evq_set_has(&q->alive, h.seq);
}

sim_us evq_when(const struct evq *q, evq_handle h)
{
    return evq_pending(q, h) ? h.t : -1;
}

/* Rebuild the heap without cancelled entries (Floyd's heapify), note which
 * events were pending, and empty the cancelled set. */
static void evq_purge(struct evq *q)
{
    size_t w = 0;
    evq_set_clear(&q->alive);
    for (size_t r = 0; r < q->n; r++) {
        if (evq_set_has(&q->gone, q->heap[r].seq)) continue;
        evq_set_put(&q->alive, q->heap[r].seq);
        q->heap[w++] = q->heap[r];
    }
    assert(q->n - w == q->stale);
    q->n = w;
    q->stale = 0;
    q->attn = q->stopped || q->obs;
    q->alive_below = q->seq;
    evq_set_clear(&q->gone);
    if (w < 2) return;
    for (size_t i = (w - 2) / EVQ_ARITY + 1; i-- > 0;) {
        evq_sift_down(q->heap, w, i, q->heap[i]);
    }
}

bool evq_cancel(struct evq *q, evq_handle h)
{
    if (!evq_pending(q, h)) return false;
    if (q->obs) {
        struct evq_info ev;
        if (!evq_seen_take(&q->seen, h.seq, &ev)) {
            /* Scheduled before the observer came: look for it (once). */
            memset(&ev, 0, sizeof ev);
            for (size_t i = 0; i < q->n; i++) {
                const struct evq_ent *e = &q->heap[i];
                if (e->seq != h.seq) continue;
                ev = (struct evq_info){e->fn, e->t, e->seq, h, NULL, e->ctx, e->arg};
                break;
            }
        }
        q->obs(q->obs_ctx, EVQ_OBS_CANCEL, &ev);
    }
    evq_set_put(&q->gone, h.seq);
    q->stale++;
    q->attn = 1;
    q->cancelled++;
    if (q->gone.count > EVQ_PURGE_MIN && q->gone.count > evq_count(q)) evq_purge(q);
    return true;
}

size_t evq_count(const struct evq *q)
{
    return q->n - q->stale;
}

/* Drop cancelled entries from the top; true if a live one is there. */
static bool evq_settle(struct evq *q)
{
    while (q->n > 0) {
        if (q->stale == 0 || !evq_set_has(&q->gone, q->heap[0].seq)) return true;
        evq_pop_top(q);
        q->stale--;
        q->attn = q->stopped || q->stale || q->obs;
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
    const struct evq_ent *top = &q->heap[0];
    sim_us t = top->t;
    evq_fn *fn = top->fn;
    void *ctx = top->ctx;
    uint64_t arg = top->arg;
    evq_pop_top(q);
    q->clk.now = t;
    fn(ctx, arg);
}

bool evq_step(struct evq *q)
{
    if (!evq_settle(q)) return false;
    if (q->obs) evq_seen_take(&q->seen, q->heap[0].seq, NULL);
    evq_fire_top(q);
    return true;
}

/* The firing loop of evq_run() and evq_run_due(). */
EVQ_HOT uint64_t evq_loop(struct evq *q, sim_us until, bool advance)
{
    uint64_t ran = 0;
    q->stopped = 0;
    q->attn = q->stale || q->obs;
    while (q->n > 0) {
        /* One test covers a stop, cancelled entries and an observer, all
         * rare: without them the loop does nothing but fire. */
        if (q->attn) {
            if (q->stopped) break;
            if (q->stale && !evq_settle(q)) break;
            if (q->obs && q->heap[0].t <= until) evq_seen_take(&q->seen, q->heap[0].seq, NULL);
        }
        if (q->heap[0].t > until) break;
        evq_fire_top(q);
        ran++;
    }
    if (advance && !q->stopped && until != SIM_US_MAX && until > q->clk.now) {
        q->clk.now = until; /* every event due by then has run */
    }
    q->stopped = 0;
    q->attn = q->stale || q->obs;
    return ran;
}

uint64_t evq_run(struct evq *q, sim_us until)
{
    return evq_loop(q, until, true);
}

uint64_t evq_run_due(struct evq *q, sim_us until)
{
    return evq_loop(q, until, false);
}

void evq_stop(struct evq *q)
{
    q->stopped = 1;
    q->attn = 1;
}

uint64_t evq_fired(const struct evq *q)
{
    return (q->seq - 1) - q->unplaced - evq_count(q) - q->cancelled;
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
    size_t live = evq_count(q);
    struct evq_info *all = ms_xmalloc((live ? live : 1) * sizeof *all);
    size_t k = 0;
    for (size_t i = 0; i < q->n; i++) {
        const struct evq_ent *e = &q->heap[i];
        if (q->stale && evq_set_has(&q->gone, e->seq)) continue;
        all[k].fn = e->fn;
        all[k].t = e->t;
        all[k].seq = e->seq;
        all[k].handle = (evq_handle){e->t, e->seq};
        const struct evq_info *seen = evq_seen_get(&q->seen, e->seq);
        all[k].label = seen ? seen->label : NULL;
        all[k].ctx = e->ctx;
        all[k].arg = e->arg;
        k++;
    }
    assert(k == live);
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

void evq_set_observer(struct evq *q, evq_observer_fn *fn, void *ctx)
{
    q->obs = fn;
    q->obs_ctx = fn ? ctx : NULL;
    q->fast_max = fn ? 0 : q->cap;
    q->attn = q->stopped || q->stale || fn;
    if (!fn) { /* nothing more to tell */
        free(q->seen.slot);
        memset(&q->seen, 0, sizeof q->seen);
    }
}

size_t evq_memory(const struct evq *q)
{
    return sizeof *q + q->cap * sizeof *q->heap +
           (q->gone.cap + q->alive.cap) * sizeof *q->gone.slot + q->seen.cap * sizeof *q->seen.slot;
}
