/* buf.h -- a growable byte buffer with a ceiling, in the manner of curl's
 * dynbuf: an append that would pass the ceiling appends nothing and says so,
 * so input never grows memory without end. The bytes are always followed by a
 * NUL that len does not count (the text can be printed), but len is the
 * truth: the bytes may hold NULs. Sizes are checked for overflow. */
#ifndef MAILSIM_CORE_BUF_H
#define MAILSIM_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/common.h"

/* Owned by its user; data is NULL until the first append. */
struct buf {
    char *data;
    size_t len; /* bytes held, without the trailing NUL */
    size_t cap; /* bytes allocated, including the NUL */
    size_t max; /* the most len may reach; 0 means SIZE_MAX - 1 */
};

/* A buffer holding at most max bytes (0: no ceiling but memory). Allocates
 * nothing. This function can't fail. */
void buf_init(struct buf *b, size_t max);

/* Append n bytes from p (p may be NULL when n is 0). Returns false, and
 * appends nothing, when len + n would pass the ceiling. Aborts only when
 * memory is exhausted. */
bool buf_add(struct buf *b, const void *p, size_t n);

/* Append the C string s; as buf_add. */
bool buf_adds(struct buf *b, const char *s);

/* Append printf-formatted text; as buf_add (false also on a format error). */
bool buf_addf(struct buf *b, const char *fmt, ...) MS_PRINTF(2, 3);
/* buf_addf with a va_list. */
bool buf_vaddf(struct buf *b, const char *fmt, va_list ap) MS_PRINTF(2, 0);

/* Remove the first n bytes (all of them when n >= len), moving the rest to
 * the front: for input an engine has consumed. This function can't fail. */
void buf_drop(struct buf *b, size_t n);

/* Forget the bytes but keep the memory and the ceiling. This function can't fail. */
void buf_reset(struct buf *b);

/* Give the bytes to the caller (free() them) and leave the buffer empty,
 * ceiling kept. Never returns NULL: an empty buffer gives an allocated "". */
char *buf_take(struct buf *b, size_t *len);

/* Release the memory; the buffer is empty again, ceiling kept. Safe on a
 * zeroed or freed buffer. */
void buf_free(struct buf *b);

#endif
