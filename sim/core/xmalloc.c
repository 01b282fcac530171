/* xmalloc.c -- allocation that aborts with a message on exhaustion. */
#include "core/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The release build links jemalloc (docs/dependencies.md), which reads its
 * options from this symbol; any other allocator ignores it. Freed pages are
 * kept for reuse, not returned to the system, and a freed large extent may
 * serve a much smaller request: the window frees and makes text surfaces of
 * every width as it seeks, and pages handed back would fault in again
 * (bench_ui seek: 150,000 page faults with jemalloc's defaults, 28,000 with
 * these, as with glibc's malloc). */
extern const char *malloc_conf;
const char *malloc_conf = "dirty_decay_ms:-1,lg_extent_max_active_fit:12";

void ms_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mailsim: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void *ms_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) ms_fatal("out of memory allocating %zu bytes", n);
    return p;
}

void *ms_xcalloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) ms_fatal("allocation of %zu x %zu bytes overflows", n, size);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) ms_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *ms_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) ms_fatal("out of memory reallocating to %zu bytes", n);
    return q;
}

char *ms_xstrdup(const char *s)
{
    return ms_xmemdup(s, strlen(s));
}

char *ms_xmemdup(const void *p, size_t n)
{
    if (n == SIZE_MAX) ms_fatal("allocation of SIZE_MAX bytes");
    char *q = ms_xmalloc(n + 1);
    if (n) memcpy(q, p, n);
    q[n] = '\0';
    return q;
}
