/*
 * rng.c - xoshiro256** (Blackman and Vigna), seeded through splitmix64.
 *
 * splitmix64 spreads any 64-bit seed, zero included, over the 256-bit
 * state, so no seed leaves the generator stuck at zero. Everything below is
 * integer arithmetic on fixed-width types: a seed gives the same stream on
 * every platform.
 */
#include "config.h"

#include "core/rng.h"

#include <math.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* One splitmix64 step: advance the counter and return its mixed value. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void fill_state(struct anas_rng *rng, uint64_t sm)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&sm);
}

void anas_rng_seed(struct anas_rng *rng, uint64_t seed)
{
    fill_state(rng, seed);
}

void anas_rng_seed2(struct anas_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix each input on its own before combining them, so that nearby
     * (seed, stream) pairs such as (1, 2) and (2, 1) land far apart. */
    uint64_t a = seed, b = stream ^ UINT64_C(0x6a09e667f3bcc909);
    uint64_t ha = splitmix64(&a);
    uint64_t hb = splitmix64(&b);

    fill_state(rng, ha ^ rotl(hb, 29) ^ (hb >> 7));
}

uint64_t anas_rng_u64(struct anas_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double anas_rng_uniform(struct anas_rng *rng)
{
    return (double)(anas_rng_u64(rng) >> 11) * 0x1.0p-53;
}

long anas_rng_int(struct anas_rng *rng, long lo, long hi)
{
    uint64_t range, limit, x;

    if (hi <= lo)
        return lo;
    range = (uint64_t)hi - (uint64_t)lo;
    /* Reject the short top slice of [0, 2^64) so that x % range is exactly
     * uniform: limit = 2^64 mod range. */
    limit = (0 - range) % range;
    do
        x = anas_rng_u64(rng);
    while (x < limit);
    return (long)((uint64_t)lo + x % range);
}

double anas_rng_normal(struct anas_rng *rng)
{
    double u, v, s;

    /* Marsaglia's polar method; the second deviate is dropped because the
     * state struct has nowhere to keep it. */
    do {
        u = 2.0 * anas_rng_uniform(rng) - 1.0;
        v = 2.0 * anas_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}
