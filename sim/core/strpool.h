/* strpool.h -- a set of strings, each kept once: the bytes in 64 KiB chunks
 * (no allocation per string), found again through a hash table. For the many
 * copies of few strings a busy day makes (envelope addresses). A zeroed
 * struct strpool is an empty pool. */
#ifndef MAILSIM_CORE_STRPOOL_H
#define MAILSIM_CORE_STRPOOL_H

#include <stddef.h>

struct strpool {
    const char **slot; /* open addressing, NULL = empty */
    size_t cap, n;
    char **chunk;
    size_t nchunk, chunkcap, used, avail;
};

/* The pool's copy of s (NUL-terminated), added when new: valid until
 * strpool_free. Aborts only when memory is exhausted. */
const char *strpool_get(struct strpool *p, const char *s);
/* Free every string and the table; p is empty again. */
void strpool_free(struct strpool *p);

#endif
