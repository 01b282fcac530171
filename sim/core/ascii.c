/* ascii.c -- locale-free case-insensitive compares (see ascii.h). */
#include "core/ascii.h"

int ascii_casecmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (;; x++, y++) {
        int d = ascii_lower(*x) - ascii_lower(*y);
        if (d != 0 || *x == '\0') return d;
    }
}

int ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (size_t i = 0; i < n; i++) {
        int d = ascii_lower(x[i]) - ascii_lower(y[i]);
        if (d != 0 || x[i] == '\0') return d;
    }
    return 0;
}

int ascii_memcasecmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        int d = ascii_lower(x[i]) - ascii_lower(y[i]);
        if (d != 0) return d;
    }
    return 0;
}
