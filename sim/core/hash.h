/* hash.h -- the one non-cryptographic hash: 64-bit FNV-1a (Fowler, Noll, Vo;
 * draft-eastlake-fnv). Deterministic on every machine, so it may name things
 * in a trace; never use it where an attacker picks the input and a collision
 * would matter. */
#ifndef MAILSIM_CORE_HASH_H
#define MAILSIM_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The 64-bit FNV offset basis: the h to start a new hash with. */
#define HASH_FNV1A_BASIS UINT64_C(0xcbf29ce484222325)

/* Continue the FNV-1a hash h over n bytes at p (p may be NULL when n is 0):
 * hash_fnv1a(hash_fnv1a(HASH_FNV1A_BASIS, a, na), b, nb) hashes a then b.
 * This function can't fail. */
uint64_t hash_fnv1a(uint64_t h, const void *p, size_t n);

#endif
