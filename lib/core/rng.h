/*
 * rng.h - explicit-state random numbers (xoshiro256**, seeded by splitmix64).
 *
 * There is no global generator: each run, repetition or test owns one.
 *
 *     struct anas_rng rng;
 *     anas_rng_seed(&rng, 42);
 *     double u = anas_rng_uniform(&rng);      // [0, 1)
 *     long k = anas_rng_int(&rng, 1, 5);      // 1..4, high exclusive like numpy
 *
 * The same seed gives the same stream on every platform.
 */
#ifndef ANAS_CORE_RNG_H
#define ANAS_CORE_RNG_H

#include <stdint.h>

struct anas_rng {
    uint64_t s[4];
};

void anas_rng_seed(struct anas_rng *rng, uint64_t seed);

/* Seed from (seed, stream): independent streams for repetitions or workers. */
void anas_rng_seed2(struct anas_rng *rng, uint64_t seed, uint64_t stream);

uint64_t anas_rng_u64(struct anas_rng *rng);

/* Uniform double in [0, 1) with 53 random bits. */
double anas_rng_uniform(struct anas_rng *rng);

/* Uniform integer in [lo, hi) (hi exclusive, numpy's randint); lo when hi <= lo.
 * Unbiased (rejection sampling). */
long anas_rng_int(struct anas_rng *rng, long lo, long hi);

/* Standard normal deviate. */
double anas_rng_normal(struct anas_rng *rng);

#endif
