/* buf.c -- growable byte buffer with a ceiling (see buf.h). Capacity doubles
 * from 64 bytes, so n appends cost O(n) copies in all. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_FIRST_CAP 64

static size_t buf_ceiling(const struct buf *b)
{
    return b->max ? b->max : SIZE_MAX - 1;
}

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

bool buf_add(struct buf *b, const void *p, size_t n)
{
    size_t ceiling = buf_ceiling(b);
    if (n > ceiling || b->len > ceiling - n) return false; /* len + n would overflow or pass it */
    size_t need = b->len + n + 1;                          /* <= SIZE_MAX: ceiling < SIZE_MAX */
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : BUF_FIRST_CAP;
        while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        b->data = ms_xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

bool buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;
    va_copy(again, ap);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    bool ok = false;
    size_t ceiling = buf_ceiling(b);
    if (k >= 0 && (size_t)k < sizeof small) {
        ok = buf_add(b, small, (size_t)k);
    } else if (k >= 0 && (size_t)k <= ceiling && b->len <= ceiling - (size_t)k) {
        char *big = ms_xmalloc((size_t)k + 1);
        vsnprintf(big, (size_t)k + 1, fmt, again);
        ok = buf_add(b, big, (size_t)k);
        free(big);
    }
    va_end(again);
    return ok;
}

bool buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return ok;
}

void buf_drop(struct buf *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

char *buf_take(struct buf *b, size_t *len)
{
    char *p = b->data ? b->data : ms_xstrdup("");
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
