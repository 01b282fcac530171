/* fuzz_seqset.c -- sequence sets (RFC 3501 §9, bad-inputs I7). Oracles:
 * parse -> print -> parse gives the same text; resolving never expands a
 * range and yields sorted, disjoint ranges; membership agrees with them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 8192) return 0;
    uint32_t star;
    memcpy(&star, data, 4);
    const char *s = (const char *)data + 4;
    size_t n = size - 4;
    static struct imap_seqset a, b;
    if (!imap_seqset_parse(s, n, &a)) return 0;
    char *p1 = malloc(n * 2 + 32), *p2 = malloc(n * 2 + 32);
    size_t l1 = imap_seqset_print(&a, p1, n * 2 + 32);
    if (l1 >= n * 2 + 32) abort();
    if (!imap_seqset_parse(p1, l1, &b)) abort();
    imap_seqset_print(&b, p2, n * 2 + 32);
    if (strcmp(p1, p2) != 0) abort();
    static struct imap_range r[IMAP_SEQSET_MAX];
    size_t k = imap_seqset_resolve(&a, star, r);
    if (k > a.n) abort();
    for (size_t i = 0; i < k; i++) {
        if (r[i].lo > r[i].hi || r[i].lo == 0) abort();
        if (i && r[i].lo <= r[i - 1].hi) abort();
        if (!imap_seqset_contains(&a, r[i].lo, star) || !imap_seqset_contains(&a, r[i].hi, star))
            abort();
        if (r[i].hi < UINT32_MAX && (i + 1 == k || r[i + 1].lo != r[i].hi + 1) &&
            imap_seqset_contains(&a, r[i].hi + 1, star))
            abort();
    }
    free(p1);
    free(p2);
    return 0;
}
