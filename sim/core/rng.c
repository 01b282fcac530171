/* rng.c -- xoshiro256** and splitmix64 (public-domain algorithms by
 * David Blackman and Sebastiano Vigna). */
#include "core/hash.h"
#include "core/rng.h"

#include <string.h>

uint64_t rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++) r->s[i] = rng_splitmix64(&st);
}

struct rng rng_stream(uint64_t seed, const char *key)
{
    uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, key, strlen(key));
    struct rng r;
    uint64_t mix = seed ^ h;
    rng_seed(&r, rng_splitmix64(&mix) ^ seed);
    return r;
}

static uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    if (n == 0) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    uint64_t x;
    do x = rng_next(r);
    while (x >= limit);
    return x % n;
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int rng_chance(struct rng *r, double p)
{
    if (!(p > 0)) return 0;
    if (p >= 1) return 1;
    return rng_unit(r) < p;
}
