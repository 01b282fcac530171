/* trace_pack.h -- the trace's packed storage: a sequence of items (records,
 * timer notes, message headers) appended into a raw tail block; a full block is sealed, each
 * item's fields stored as differences from the item before it of the same
 * kind, then compressed with zstd. Reading an item decodes its whole block
 * into a small cache of decoded blocks (least recently used goes first).
 * Private to sim/trace/: readers see only trace.h's accessors.
 * Invariants: item numbers never change; decoding gives the appended bytes
 * back exactly; a pointer into the tail stays valid when it is sealed (the
 * tail becomes the block's cached copy). */
#ifndef MAILSIM_TRACE_TRACE_PACK_H
#define MAILSIM_TRACE_TRACE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* How a sealed block's items become small differences (and back). */
enum trace_pack_delta {
    TRACE_PACK_RECORDS, /* struct trace_rec + body + data, 8-byte aligned */
    TRACE_PACK_WORDS,   /* fixed-size items of 32-bit words */
    TRACE_PACK_BYTES    /* items of any size, each a uint32_t length, the bytes, zeros to a
                         * multiple of 8: compressed as they are */
};

struct trace_pack;

/* A new empty pack: blocks of about block_bytes raw bytes, cache_blocks
 * decoded blocks kept. Aborts only when memory is exhausted. */
struct trace_pack *trace_pack_new(enum trace_pack_delta delta, size_t block_bytes,
                                  size_t cache_blocks);
void trace_pack_free(struct trace_pack *p);
/* Room for item number trace_pack_count(p) of need bytes (a multiple of 8),
 * stamped with time t; the caller fills it before the next call. */
uint8_t *trace_pack_push(struct trace_pack *p, size_t need, sim_us t);
size_t trace_pack_count(const struct trace_pack *p);
/* The first item still held (trace_pack_forget drops blocks). */
size_t trace_pack_first(const struct trace_pack *p);
/* Item k (first <= k < count), decoding its block if needed: valid until
 * cache_blocks other blocks have been decoded after it, or the pack's end. */
const uint8_t *trace_pack_get(struct trace_pack *p, size_t k);
/* First item whose block time search needs: the number of the first item of
 * the block holding the first item with time >= t (greater when after), so
 * that searches decode one block. Returns [lo, hi): the items to search. */
void trace_pack_time_range(struct trace_pack *p, sim_us t, int strict, size_t *lo, size_t *hi);
/* Drop the oldest whole blocks while the pack holds more than keep_bytes and
 * every item in the block is before `before`. Returns the new first item. */
size_t trace_pack_forget(struct trace_pack *p, size_t before, size_t keep_bytes);
/* Bytes of memory held: compressed blocks, the tail, the cache, tables. */
size_t trace_pack_memory(const struct trace_pack *p);

#endif
