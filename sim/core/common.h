/* common.h -- types and helpers every layer of mailsim shares.
 *
 * Simulated time is an integer count of microseconds (sim_us); the
 * simulation never reads the machine's clock. Allocation failure is the one
 * error that aborts (ms_xmalloc and friends); bad input never aborts. */
#ifndef MAILSIM_CORE_COMMON_H
#define MAILSIM_CORE_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Simulated time and durations, in microseconds. */
typedef int64_t sim_us;

#define SIM_US_PER_MS ((sim_us)1000)
#define SIM_US_PER_S ((sim_us)1000000)
#define SIM_US_PER_MIN (60 * SIM_US_PER_S)
#define SIM_US_PER_H (60 * SIM_US_PER_MIN)
#define SIM_US_PER_DAY (24 * SIM_US_PER_H)

#define MS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define MS_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define MS_NORETURN __attribute__((noreturn))
#else
#define MS_PRINTF(fmt, args)
#define MS_NORETURN
#endif

/* A failure with more to say than a code: what, where, and why. */
struct ms_error {
    int code;
    char where[64];
    char msg[192];
};

/* Fill *err, when err is not NULL: code, where (a C string, cut to fit) and
 * the printf-formatted msg (cut to fit); nothing of an earlier error is left.
 * Returns false, so a failing function can end with
 * `return ms_error_set(err, ...);`. This function can't fail. */
bool ms_error_set(struct ms_error *err, int code, const char *where, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* ms_error_set with a va_list. */
bool ms_error_vset(struct ms_error *err, int code, const char *where, const char *fmt, va_list ap)
    MS_PRINTF(4, 0);

/* Allocate or abort with a message naming the size: out of memory is the only
 * condition mailsim treats as fatal. ms_xmalloc(0) returns a unique pointer. */
void *ms_xmalloc(size_t n);
/* Zeroed allocation of n * size bytes, checked for overflow. Aborts on failure. */
void *ms_xcalloc(size_t n, size_t size);
/* realloc that aborts on failure. */
void *ms_xrealloc(void *p, size_t n);
/* strdup / strndup that abort on failure. */
char *ms_xstrdup(const char *s);
char *ms_xmemdup(const void *p, size_t n); /* adds a NUL after n bytes */
/* Print "mailsim: fatal: ..." and abort. For our own broken invariants only. */
MS_NORETURN void ms_fatal(const char *fmt, ...) MS_PRINTF(1, 2);

#endif
