/* rng.h -- seeded pseudo-random streams (xoshiro256** seeded by splitmix64).
 *
 * One scenario seed gives many independent streams, one per purpose
 * (rng_stream(seed, "tcp-isn"), rng_stream(seed, "link-loss:3"), ...), so a
 * new random draw in one place never reshuffles another. The algorithms are
 * those of Blackman and Vigna (https://prng.di.unimi.it/); the stream key is
 * hashed with 64-bit FNV-1a and mixed into the seed with splitmix64. */
#ifndef MAILSIM_CORE_RNG_H
#define MAILSIM_CORE_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* One step of splitmix64: advances *state and returns a well-mixed value.
 * Useful on its own to derive content deterministically. Can't fail. */
uint64_t rng_splitmix64(uint64_t *state);
/* Seed a generator directly from a 64-bit seed. Can't fail. */
void rng_seed(struct rng *r, uint64_t seed);
/* The stream named key of the scenario seed. Same (seed, key), same stream. */
struct rng rng_stream(uint64_t seed, const char *key);
/* Next 64 random bits. */
uint64_t rng_next(struct rng *r);
/* Uniform integer in [0, n), without modulo bias; n == 0 returns 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1) with 53 bits of precision. */
double rng_unit(struct rng *r);
/* True with probability p (p <= 0 never, p >= 1 always). */
int rng_chance(struct rng *r, double p);

#endif
