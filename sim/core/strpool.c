/* strpool.c -- strings kept once (see strpool.h). */
#include "core/strpool.h"

#include "core/common.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>

#define STRPOOL_CHUNK ((size_t)64 << 10)

static size_t strpool_slot(const struct strpool *p, const char *s, size_t len)
{
    size_t i = (size_t)(hash_fnv1a(HASH_FNV1A_BASIS, s, len) & (p->cap - 1));
    while (p->slot[i] && strcmp(p->slot[i], s) != 0) i = (i + 1) & (p->cap - 1);
    return i;
}

static void strpool_grow(struct strpool *p)
{
    const char **old = p->slot;
    size_t oldcap = p->cap;
    p->cap = oldcap ? oldcap * 2 : 64;
    p->slot = ms_xcalloc(p->cap, sizeof *p->slot);
    for (size_t i = 0; i < oldcap; i++)
        if (old[i]) p->slot[strpool_slot(p, old[i], strlen(old[i]))] = old[i];
    free(old);
}

static const char *strpool_store(struct strpool *p, const char *s, size_t len)
{
    if (p->avail < len + 1) {
        if (p->nchunk == p->chunkcap) {
            p->chunkcap = p->chunkcap ? p->chunkcap * 2 : 16;
            p->chunk = ms_xrealloc(p->chunk, p->chunkcap * sizeof *p->chunk);
        }
        size_t cap = len + 1 > STRPOOL_CHUNK ? len + 1 : STRPOOL_CHUNK;
        p->chunk[p->nchunk++] = ms_xmalloc(cap);
        p->used = 0;
        p->avail = cap;
    }
    char *c = p->chunk[p->nchunk - 1] + p->used;
    memcpy(c, s, len + 1);
    p->used += len + 1;
    p->avail -= len + 1;
    return c;
}

const char *strpool_get(struct strpool *p, const char *s)
{
    if ((p->n + 1) * 2 > p->cap) strpool_grow(p);
    size_t len = strlen(s);
    size_t i = strpool_slot(p, s, len);
    if (!p->slot[i]) {
        p->slot[i] = strpool_store(p, s, len);
        p->n++;
    }
    return p->slot[i];
}

void strpool_free(struct strpool *p)
{
    free(p->slot);
    for (size_t i = 0; i < p->nchunk; i++) free(p->chunk[i]);
    free(p->chunk);
    memset(p, 0, sizeof *p);
}
