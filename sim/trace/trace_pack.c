/* trace_pack.c -- sealed blocks compressed with zstd, a raw tail, a cache of
 * decoded blocks. See trace_pack.h. */
#include "trace/trace_pack.h"

#include "trace/trace.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef MAILSIM_NO_ZSTD
#include <zstd.h>
#endif

/* On a busy day's records level 5 packs a quarter smaller than zstd's
 * default (3) at a third of its speed (270 MB/s here); higher levels gain
 * nothing more at this block size. That gain comes from the bytes of
 * protocol lines and segments met again within a block: a block of message
 * fates and DNS answers only (a day run without lines) packs 12% smaller at
 * level 5 than at level 1 for four times the CPU, so such blocks use level 1. */
#define TRACE_PACK_LEVEL 5
#define TRACE_PACK_LEVEL_PLAIN 1
#define TRACE_PACK_BODY_MAX 64 /* largest record body (trace_seg, trace_msg) */

struct trace_pack_block {
    uint8_t *z; /* compressed bytes */
    size_t zlen;
    size_t raw;    /* bytes when decoded */
    size_t first;  /* number of its first item */
    uint32_t n;    /* items */
    uint32_t slot; /* cache slot + 1, 0 when not decoded */
    sim_us t1;     /* time of its last item */
};

/* A decoded block: the bytes and each item's offset. The tail is one too,
 * never evicted. */
struct trace_pack_slot {
    size_t block; /* absolute block number; SIZE_MAX when empty */
    uint8_t *raw;
    uint32_t *off;
    size_t raw_cap, off_cap; /* kept when the slot is reused for a decode */
    uint64_t stamp;          /* last use */
};

struct trace_pack {
    enum trace_pack_delta delta;
    size_t block_bytes;
    struct trace_pack_block *blocks;
    size_t nblocks, blockcap;
    size_t b0;    /* blocks forgotten: block numbers are absolute */
    size_t first; /* first item held */
    /* the tail: items being appended, raw */
    uint8_t *tail;
    size_t tail_used, tail_cap;
    uint32_t *tail_off;
    size_t tail_n, tail_offcap;
    sim_us tail_t1;
    /* the cache of decoded blocks */
    struct trace_pack_slot *slots;
    size_t nslots;
    uint64_t clock;
    size_t last;                       /* block found last (absolute), for sequential reads */
    uint8_t kind_words[TR_KIND_COUNT]; /* body words of each record kind */
    /* The block read last while it stays decoded: items [hot_first,
     * hot_end) at hot_raw + hot_off[k - hot_first], so that reading on in
     * the same block costs a comparison (its slot is the most recent one,
     * so the least-recently-used order needs no new stamp). */
    size_t hot_block, hot_first, hot_end;
    const uint8_t *hot_raw;
    const uint32_t *hot_off;
    /* scratch for sealing and decoding */
    uint8_t *scratch;
    size_t scratch_cap;
    void *cctx; /* ZSTD_CCtx */
    void *dctx; /* ZSTD_DCtx */
};

/* The blocks are our own bytes in memory: zstd fails on them only when
 * memory is exhausted, which mailsim treats as fatal (ms_xmalloc). */
static _Noreturn void trace_pack_fail(const char *what)
{
    fprintf(stderr, "mailsim: trace storage: %s\n", what);
    abort();
}

struct trace_pack *trace_pack_new(enum trace_pack_delta delta, size_t block_bytes,
                                  size_t cache_blocks)
{
    struct trace_pack *p = ms_xcalloc(1, sizeof *p);
    p->delta = delta;
    p->block_bytes = block_bytes < 64 ? 64 : block_bytes;
    p->nslots = cache_blocks ? cache_blocks : 1;
    p->slots = ms_xcalloc(p->nslots, sizeof *p->slots);
    for (size_t i = 0; i < p->nslots; i++) p->slots[i].block = SIZE_MAX;
    p->last = SIZE_MAX;
    p->hot_block = SIZE_MAX;
    for (int k = 0; k < TR_KIND_COUNT; k++)
        p->kind_words[k] = (uint8_t)(trace_family_size(trace_kind_family((enum trace_kind)k)) / 4);
    return p;
}

void trace_pack_free(struct trace_pack *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nblocks; i++) free(p->blocks[i].z);
    free(p->blocks);
    for (size_t i = 0; i < p->nslots; i++) {
        free(p->slots[i].raw);
        free(p->slots[i].off);
    }
    free(p->slots);
    free(p->tail);
    free(p->tail_off);
    free(p->scratch);
#ifndef MAILSIM_NO_ZSTD
    ZSTD_freeCCtx(p->cctx);
    ZSTD_freeDCtx(p->dctx);
#endif
    free(p);
}

/* ---- differences ------------------------------------------------------------ */

/* Each record's time becomes the difference from the record before it, and
 * each 32-bit word of its body the difference from the same word of the
 * last record of its kind: hop records of one segment, or lines of one
 * dialogue, then differ in a few words and compress to almost nothing.
 * Fixed-size items: every word against the item before. Bytes: none. undo
 * reverses it. */
/* Word j of b: x becomes x - prev (or, undoing, x + prev); prev the value. */
static inline void trace_pack_word(uint8_t *b, uint32_t *prev, int undo)
{
    uint32_t x, v;
    memcpy(&x, b, 4);
    v = undo ? x + *prev : x;
    x = undo ? v : x - *prev;
    memcpy(b, &x, 4);
    *prev = v;
}

/* Returns how many records carry wire bytes (protocol lines, segments). */
static size_t trace_pack_diff(const struct trace_pack *p, uint8_t *b, const uint32_t *off, size_t n,
                              size_t raw, int undo)
{
    if (p->delta == TRACE_PACK_BYTES) return 0;
    if (p->delta == TRACE_PACK_WORDS) {
        size_t words = n ? (raw / n) / 4 : 0;
        uint32_t prev[64] = {0};
        if (words > 64) return 0; /* items that large are stored as they are */
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < words; j++) trace_pack_word(b + off[i] + 4 * j, &prev[j], undo);
        return 0;
    }
    size_t wire = 0;
    uint32_t prev[TR_KIND_COUNT][TRACE_PACK_BODY_MAX / 4];
    memset(prev, 0, sizeof prev);
    sim_us pt = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = b + off[i];
        struct trace_rec h;
        memcpy(&h, r, sizeof h);
        sim_us t = undo ? h.t + pt : h.t;
        h.t = undo ? t : h.t - pt;
        pt = t;
        memcpy(r, &h.t, sizeof h.t);
        if (h.kind >= TR_KIND_COUNT) continue;
        enum trace_family fam = trace_kind_family((enum trace_kind)h.kind);
        wire += fam == TRF_LINE || fam == TRF_SEG;
        size_t words = trace_family_size(fam) / 4;
        uint32_t *pw = prev[h.kind];
        for (size_t j = 0; j < words; j++) trace_pack_word(r + sizeof h + 4 * j, &pw[j], undo);
    }
    return wire;
}

_Static_assert(sizeof(struct trace_seg) <= TRACE_PACK_BODY_MAX, "trace_seg too large to pack");
_Static_assert(sizeof(struct trace_msg) <= TRACE_PACK_BODY_MAX, "trace_msg too large to pack");
_Static_assert(sizeof(struct trace_line) <= TRACE_PACK_BODY_MAX, "trace_line too large to pack");

/* ---- compression -------------------------------------------------------------- */

/* The browser build (MAILSIM_NO_ZSTD: its libraries are built from Debian
 * sources, zstd not among them) keeps the differences uncompressed. */
static size_t trace_pack_bound(size_t raw)
{
#ifndef MAILSIM_NO_ZSTD
    return ZSTD_compressBound(raw);
#else
    return raw;
#endif
}

/* src[0..raw) into dst (trace_pack_bound(raw) bytes) at zstd level `level`;
 * returns the length. */
static size_t trace_pack_compress(struct trace_pack *p, uint8_t *dst, const uint8_t *src,
                                  size_t raw, int level)
{
#ifndef MAILSIM_NO_ZSTD
    if (!p->cctx) p->cctx = ZSTD_createCCtx();
    if (!p->cctx) trace_pack_fail("cannot make a zstd compressor");
    size_t zlen = ZSTD_compressCCtx(p->cctx, dst, ZSTD_compressBound(raw), src, raw, level);
    if (ZSTD_isError(zlen)) trace_pack_fail(ZSTD_getErrorName(zlen));
    return zlen;
#else
    (void)p;
    (void)level;
    memcpy(dst, src, raw);
    return raw;
#endif
}

/* z[0..zlen) back into dst[0..raw). */
static void trace_pack_decompress(struct trace_pack *p, uint8_t *dst, size_t raw, const uint8_t *z,
                                  size_t zlen)
{
#ifndef MAILSIM_NO_ZSTD
    if (!p->dctx) p->dctx = ZSTD_createDCtx();
    if (!p->dctx) trace_pack_fail("cannot make a zstd decompressor");
    size_t got = ZSTD_decompressDCtx(p->dctx, dst, raw, z, zlen);
    if (ZSTD_isError(got) || got != raw)
        trace_pack_fail(ZSTD_isError(got) ? ZSTD_getErrorName(got) : "a block's size changed");
#else
    (void)p;
    if (zlen != raw) trace_pack_fail("a block's size changed");
    memcpy(dst, z, raw);
#endif
}

/* ---- the cache ---------------------------------------------------------------- */

/* The slot no longer holds its block; its buffers stay. */
static void trace_pack_slot_unlink(struct trace_pack *p, struct trace_pack_slot *s)
{
    if (s->block == p->hot_block) {
        p->hot_block = SIZE_MAX;
        p->hot_first = p->hot_end = 0;
    }
    if (s->block != SIZE_MAX && s->block >= p->b0 && s->block - p->b0 < p->nblocks)
        p->blocks[s->block - p->b0].slot = 0;
    s->block = SIZE_MAX;
}

static void trace_pack_slot_clear(struct trace_pack *p, struct trace_pack_slot *s)
{
    trace_pack_slot_unlink(p, s);
    free(s->raw);
    free(s->off);
    s->raw = NULL;
    s->off = NULL;
    s->raw_cap = s->off_cap = 0;
}

/* The slot to use next: an empty one, else the least recently used. */
static struct trace_pack_slot *trace_pack_slot_lru(struct trace_pack *p)
{
    struct trace_pack_slot *best = &p->slots[0];
    for (size_t i = 0; i < p->nslots; i++) {
        struct trace_pack_slot *s = &p->slots[i];
        if (s->block == SIZE_MAX) return s;
        if (s->stamp < best->stamp) best = s;
    }
    return best;
}

/* Slot s now holds block b (absolute). */
static void trace_pack_slot_hold(struct trace_pack *p, struct trace_pack_slot *s, size_t b)
{
    s->block = b;
    s->stamp = ++p->clock;
    p->blocks[b - p->b0].slot = (uint32_t)(s - p->slots) + 1;
}

/* A slot for block b (absolute), emptied of its buffers. */
static struct trace_pack_slot *trace_pack_slot_take(struct trace_pack *p, size_t b)
{
    struct trace_pack_slot *best = trace_pack_slot_lru(p);
    trace_pack_slot_clear(p, best);
    best->block = b;
    best->stamp = ++p->clock;
    p->blocks[b - p->b0].slot = (uint32_t)(best - p->slots) + 1;
    return best;
}

static void trace_pack_scratch(struct trace_pack *p, size_t need)
{
    if (p->scratch_cap >= need) return;
    free(p->scratch);
    p->scratch = ms_xmalloc(need);
    p->scratch_cap = need;
}

/* Seal the tail into a compressed block; the tail's bytes become the
 * block's decoded copy in the cache, so pointers into it stay valid. */
static void trace_pack_seal(struct trace_pack *p)
{
    if (p->tail_n == 0) return;
    size_t raw = p->tail_used;
    trace_pack_scratch(p, raw + trace_pack_bound(raw));
    uint8_t *diff = p->scratch, *z = p->scratch + raw;
    memcpy(diff, p->tail, raw);
    size_t wire = trace_pack_diff(p, diff, p->tail_off, p->tail_n, raw, 0);
    int level = p->delta == TRACE_PACK_RECORDS && !wire ? TRACE_PACK_LEVEL_PLAIN : TRACE_PACK_LEVEL;
    size_t zlen = trace_pack_compress(p, z, diff, raw, level);
    if (p->nblocks == p->blockcap) {
        p->blockcap = p->blockcap ? p->blockcap * 2 : 64;
        p->blocks = ms_xrealloc(p->blocks, p->blockcap * sizeof *p->blocks);
    }
    size_t first = trace_pack_count(p) - p->tail_n;
    struct trace_pack_block *bl = &p->blocks[p->nblocks++];
    memset(bl, 0, sizeof *bl);
    bl->z = ms_xmalloc(zlen);
    memcpy(bl->z, z, zlen);
    bl->zlen = zlen;
    bl->raw = raw;
    bl->first = first;
    bl->n = (uint32_t)p->tail_n;
    bl->t1 = p->tail_t1;
    struct trace_pack_slot *s = trace_pack_slot_take(p, p->b0 + p->nblocks - 1);
    s->raw = p->tail;
    s->off = p->tail_off;
    p->tail = NULL;
    p->tail_off = NULL;
    p->tail_used = p->tail_cap = 0;
    p->tail_n = p->tail_offcap = 0;
}

/* Words w[0..n) back from their differences: w[j] += prev[j], the sum
 * becoming prev[j]. Inlined with n known, it is a few vector additions. */
static inline __attribute__((always_inline)) void trace_pack_undo_words(uint8_t *w, uint32_t *prev,
                                                                        unsigned n)
{
    uint32_t x[TRACE_PACK_BODY_MAX / 4];
    memcpy(x, w, 4 * (size_t)n);
    for (unsigned j = 0; j < n; j++) x[j] += prev[j];
    memcpy(prev, x, 4 * (size_t)n);
    memcpy(w, x, 4 * (size_t)n);
}

/* A decoded block of records: each record's offset found and its
 * differences undone (trace_pack_diff's undo) in one pass, with the body
 * size of each kind from a table. */
static void trace_pack_undo_records(const struct trace_pack *p, uint8_t *b, uint32_t *off,
                                    uint32_t n)
{
    uint32_t prev[TR_KIND_COUNT][TRACE_PACK_BODY_MAX / 4];
    memset(prev, 0, sizeof prev);
    sim_us t = 0;
    size_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *r = b + o;
        off[i] = (uint32_t)o;
        struct trace_rec h;
        memcpy(&h, r, sizeof h);
        t += h.t;
        memcpy(r, &t, sizeof t);
        o += (sizeof h + h.len + 7) & ~(size_t)7;
        if (h.kind >= TR_KIND_COUNT) continue;
        uint32_t *pw = prev[h.kind];
        uint8_t *w = r + sizeof h;
        /* Each body size its own loop of known length, which the compiler
         * turns into a few vector additions. */
        switch (p->kind_words[h.kind]) {
#define TRACE_PACK_UNDO_CASE(N)                                                                    \
    case N:                                                                                        \
        trace_pack_undo_words(w, pw, N);                                                           \
        break;
            TRACE_PACK_UNDO_CASE(1)
            TRACE_PACK_UNDO_CASE(2)
            TRACE_PACK_UNDO_CASE(3)
            TRACE_PACK_UNDO_CASE(4)
            TRACE_PACK_UNDO_CASE(5)
            TRACE_PACK_UNDO_CASE(6)
            TRACE_PACK_UNDO_CASE(7)
            TRACE_PACK_UNDO_CASE(8)
            TRACE_PACK_UNDO_CASE(9)
            TRACE_PACK_UNDO_CASE(10)
            TRACE_PACK_UNDO_CASE(11)
            TRACE_PACK_UNDO_CASE(12)
            TRACE_PACK_UNDO_CASE(13)
            TRACE_PACK_UNDO_CASE(14)
            TRACE_PACK_UNDO_CASE(15)
            TRACE_PACK_UNDO_CASE(16)
#undef TRACE_PACK_UNDO_CASE
        default:
            trace_pack_undo_words(w, pw, p->kind_words[h.kind]);
            break;
        }
    }
}

/* The decoded copy of block b (absolute). */
static struct trace_pack_slot *trace_pack_decode(struct trace_pack *p, size_t b)
{
    struct trace_pack_block *bl = &p->blocks[b - p->b0];
    if (bl->slot) {
        struct trace_pack_slot *s = &p->slots[bl->slot - 1];
        s->stamp = ++p->clock;
        return s;
    }
    /* The least recently used slot, its buffers reused: decoding block
     * after block (a pass over the trace, a seek) allocates nothing. */
    struct trace_pack_slot *s = trace_pack_slot_lru(p);
    trace_pack_slot_unlink(p, s);
    trace_pack_slot_hold(p, s, b);
    if (s->raw_cap < bl->raw || !s->raw) {
        free(s->raw);
        s->raw_cap = bl->raw ? bl->raw : 1;
        s->raw = ms_xmalloc(s->raw_cap);
    }
    if (s->off_cap < bl->n || !s->off) {
        free(s->off);
        s->off_cap = bl->n ? bl->n : 1;
        s->off = ms_xmalloc(s->off_cap * sizeof *s->off);
    }
    trace_pack_decompress(p, s->raw, bl->raw, bl->z, bl->zlen);
    if (p->delta == TRACE_PACK_RECORDS) {
        trace_pack_undo_records(p, s->raw, s->off, bl->n);
        return s;
    }
    if (p->delta == TRACE_PACK_BYTES) { /* offsets from the lengths */
        size_t o = 0;
        for (uint32_t i = 0; i < bl->n; i++) {
            uint32_t len;
            s->off[i] = (uint32_t)o;
            memcpy(&len, s->raw + o, sizeof len);
            o += (sizeof len + (size_t)len + 7) & ~(size_t)7;
        }
        return s;
    }
    /* Fixed-size items: offsets by size, then the differences undone. */
    for (uint32_t i = 0; i < bl->n; i++) s->off[i] = (uint32_t)(i * (bl->raw / bl->n));
    (void)trace_pack_diff(p, s->raw, s->off, bl->n, bl->raw, 1);
    return s;
}

/* ---- appending and reading ------------------------------------------------------ */

uint8_t *trace_pack_push(struct trace_pack *p, size_t need, sim_us t)
{
    if (p->tail_n && p->tail_used + need > p->tail_cap) trace_pack_seal(p);
    if (!p->tail) {
        p->tail_cap = need > p->block_bytes ? need : p->block_bytes;
        p->tail = ms_xmalloc(p->tail_cap);
    }
    if (p->tail_n == p->tail_offcap) {
        p->tail_offcap = p->tail_offcap ? p->tail_offcap * 2 : 1024;
        p->tail_off = ms_xrealloc(p->tail_off, p->tail_offcap * sizeof *p->tail_off);
    }
    uint8_t *r = p->tail + p->tail_used;
    p->tail_off[p->tail_n++] = (uint32_t)p->tail_used;
    p->tail_used += need;
    p->tail_t1 = t;
    return r;
}

size_t trace_pack_count(const struct trace_pack *p)
{
    if (p->tail_n) {
        size_t before =
            p->nblocks ? p->blocks[p->nblocks - 1].first + p->blocks[p->nblocks - 1].n : p->first;
        return before + p->tail_n;
    }
    return p->nblocks ? p->blocks[p->nblocks - 1].first + p->blocks[p->nblocks - 1].n : p->first;
}

size_t trace_pack_first(const struct trace_pack *p)
{
    return p->first;
}

/* The block (relative index) holding item k, which is not in the tail. */
static size_t trace_pack_find(const struct trace_pack *p, size_t k)
{
    if (p->last != SIZE_MAX && p->last >= p->b0 && p->last - p->b0 < p->nblocks) {
        const struct trace_pack_block *bl = &p->blocks[p->last - p->b0];
        if (k >= bl->first && k < bl->first + bl->n) return p->last - p->b0;
        if (p->last - p->b0 + 1 < p->nblocks && k >= bl->first + bl->n && k < bl[1].first + bl[1].n)
            return p->last - p->b0 + 1;
    }
    size_t lo = 0, hi = p->nblocks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->blocks[mid].first <= k)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

const uint8_t *trace_pack_get(struct trace_pack *p, size_t k)
{
    if (k - p->hot_first < p->hot_end - p->hot_first)
        return p->hot_raw + p->hot_off[k - p->hot_first];
    size_t n = trace_pack_count(p);
    assert(k >= p->first && k < n);
    if (k >= n - p->tail_n) return p->tail + p->tail_off[k - (n - p->tail_n)];
    size_t b = trace_pack_find(p, k);
    p->last = p->b0 + b;
    struct trace_pack_slot *s = trace_pack_decode(p, p->b0 + b);
    p->hot_block = p->b0 + b;
    p->hot_first = p->blocks[b].first;
    p->hot_end = p->hot_first + p->blocks[b].n;
    p->hot_raw = s->raw;
    p->hot_off = s->off;
    return s->raw + s->off[k - p->blocks[b].first];
}

void trace_pack_time_range(struct trace_pack *p, sim_us t, int strict, size_t *lo, size_t *hi)
{
    size_t n = trace_pack_count(p);
    /* The first block whose last time reaches t holds the answer. */
    size_t a = 0, z = p->nblocks;
    while (a < z) {
        size_t mid = a + (z - a) / 2;
        sim_us t1 = p->blocks[mid].t1;
        if (strict ? t1 <= t : t1 < t)
            a = mid + 1;
        else
            z = mid;
    }
    if (a < p->nblocks) {
        *lo = p->blocks[a].first;
        *hi = p->blocks[a].first + p->blocks[a].n;
    } else {
        *lo = n - p->tail_n;
        *hi = n;
    }
    if (*lo < p->first) *lo = p->first;
}

size_t trace_pack_forget(struct trace_pack *p, size_t before, size_t keep_bytes)
{
    size_t held = p->tail_cap;
    for (size_t i = 0; i < p->nblocks; i++) held += p->blocks[i].zlen;
    size_t drop = 0;
    while (drop < p->nblocks && held > keep_bytes) {
        const struct trace_pack_block *bl = &p->blocks[drop];
        if (bl->first + bl->n > before) break;
        held -= bl->zlen;
        drop++;
    }
    if (drop == 0) return p->first;
    for (size_t i = 0; i < p->nslots; i++)
        if (p->slots[i].block != SIZE_MAX && p->slots[i].block < p->b0 + drop)
            trace_pack_slot_clear(p, &p->slots[i]);
    for (size_t i = 0; i < drop; i++) free(p->blocks[i].z);
    p->first = p->blocks[drop - 1].first + p->blocks[drop - 1].n;
    memmove(p->blocks, p->blocks + drop, (p->nblocks - drop) * sizeof *p->blocks);
    p->nblocks -= drop;
    p->b0 += drop;
    return p->first;
}

size_t trace_pack_memory(const struct trace_pack *p)
{
    size_t m = sizeof *p + p->blockcap * sizeof *p->blocks + p->tail_cap +
               p->tail_offcap * sizeof *p->tail_off + p->scratch_cap + p->nslots * sizeof *p->slots;
    for (size_t i = 0; i < p->nblocks; i++) m += p->blocks[i].zlen;
    for (size_t i = 0; i < p->nslots; i++) {
        const struct trace_pack_slot *s = &p->slots[i];
        if (s->raw_cap) { /* buffers kept for reuse, whether holding a block or not */
            m += s->raw_cap + s->off_cap * sizeof *s->off;
            continue;
        }
        if (s->block == SIZE_MAX || s->block < p->b0) continue;
        const struct trace_pack_block *bl = &p->blocks[s->block - p->b0];
        m += bl->raw + bl->n * sizeof *s->off;
    }
    return m;
}
