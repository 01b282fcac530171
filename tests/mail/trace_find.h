/* trace_find.h -- look things up in a finished run's trace, for the mail
 * tests: the first protocol line sent that starts with a prefix, and the
 * detail text of the first record of a kind. */
#ifndef MAILSIM_TESTS_MAIL_TRACE_FIND_H
#define MAILSIM_TESTS_MAIL_TRACE_FIND_H

#include <stdint.h>
#include <string.h>

#include "trace/trace.h"

/* The first sent protocol line starting with prefix (CRLF dropped), copied
 * into buf[cap], or NULL. */
static inline const char *find_line(const struct trace *tr, const char *prefix, char *buf,
                                    size_t cap)
{
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *rec = trace_get(tr, k);
        if (rec->kind != TR_LINE_SENT) continue;
        size_t n;
        const uint8_t *d = trace_data(rec, &n);
        if (n >= strlen(prefix) && memcmp(d, prefix, strlen(prefix)) == 0) {
            size_t m = n < cap - 1 ? n : cap - 1;
            memcpy(buf, d, m);
            while (m > 0 && (buf[m - 1] == '\n' || buf[m - 1] == '\r')) m--;
            buf[m] = '\0';
            return buf;
        }
    }
    return NULL;
}

/* The detail text of the first record of kind, copied into buf[cap], or NULL. */
static inline const char *find_msg(const struct trace *tr, enum trace_kind kind, char *buf,
                                   size_t cap)
{
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *rec = trace_get(tr, k);
        if (rec->kind != (uint32_t)kind) continue;
        size_t n;
        const uint8_t *d = trace_data(rec, &n);
        size_t m = n < cap - 1 ? n : cap - 1;
        memcpy(buf, d, m);
        buf[m] = '\0';
        return buf;
    }
    return NULL;
}

/* The body of the first message record of kind, or NULL. */
static inline const struct trace_msg *find_msg_rec(const struct trace *tr, enum trace_kind kind)
{
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *rec = trace_get(tr, k);
        if (rec->kind == (uint32_t)kind) return trace_as_msg(rec);
    }
    return NULL;
}

#endif
