/* hash.c -- 64-bit FNV-1a (see hash.h). */
#include "core/hash.h"

#define HASH_FNV1A_PRIME UINT64_C(0x100000001b3)

uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= HASH_FNV1A_PRIME;
    }
    return h;
}
