/*
 * core-rng.c - xoshiro256** and its derived draws: published vectors,
 * determinism, streams, bounds and moments.
 *
 * Statistical checks use tolerances of 5 standard errors for the sample
 * size, so a correct generator fails them with probability below 1e-6.
 */
#include "config.h"

#include "core/rng.h"

#include <limits.h>

#include "tap.h"

#define N 200000

static void published(void)
{
    static const uint64_t splitmix0[4] = {
        UINT64_C(0xe220a8397b1dcdaf), UINT64_C(0x6e789e6aa1b965f4),
        UINT64_C(0x06c45d188009454f), UINT64_C(0xf88bb8a8724c81ec)};
    static const uint64_t xoshiro1234[4] = {11520, 0, 1509978240,
                                            UINT64_C(1215971899390074240)};
    struct anas_rng rng;
    int same = 1;

    anas_rng_seed(&rng, 0);
    for (int i = 0; i < 4; i++)
        same &= rng.s[i] == splitmix0[i];
    ok(same, "seed 0 fills the state with splitmix64's published outputs");

    rng.s[0] = 1, rng.s[1] = 2, rng.s[2] = 3, rng.s[3] = 4;
    same = 1;
    for (int i = 0; i < 4; i++)
        same &= anas_rng_u64(&rng) == xoshiro1234[i];
    ok(same, "state {1,2,3,4} gives xoshiro256**'s published outputs");
}

static int same_stream(struct anas_rng *a, struct anas_rng *b, int n)
{
    int same = 1;

    for (int i = 0; i < n; i++)
        same &= anas_rng_u64(a) == anas_rng_u64(b);
    return same;
}

static void determinism(void)
{
    struct anas_rng a, b;

    anas_rng_seed(&a, 42);
    anas_rng_seed(&b, 42);
    ok(same_stream(&a, &b, 1000), "same seed, same stream");
    anas_rng_seed(&a, 42);
    anas_rng_seed(&b, 43);
    ok(!same_stream(&a, &b, 4), "different seeds, different streams");

    anas_rng_seed2(&a, 7, 3);
    anas_rng_seed2(&b, 7, 3);
    ok(same_stream(&a, &b, 1000), "seed2: same (seed, stream), same stream");
    anas_rng_seed2(&a, 7, 0);
    anas_rng_seed2(&b, 7, 1);
    ok(!same_stream(&a, &b, 4), "seed2: different streams differ");
    anas_rng_seed2(&a, 1, 2);
    anas_rng_seed2(&b, 2, 1);
    ok(!same_stream(&a, &b, 4), "seed2: (1, 2) and (2, 1) differ");
}

static void int_bounds(void)
{
    struct anas_rng rng;
    long counts[4] = {0}, v;
    int in_range = 1, balanced = 1;
    double expect = N / 4.0, sd = sqrt(N * 0.25 * 0.75);

    anas_rng_seed(&rng, 1);
    for (int i = 0; i < N; i++) {
        v = anas_rng_int(&rng, 1, 5);
        if (v < 1 || v > 4)
            in_range = 0;
        else
            counts[v - 1]++;
    }
    ok(in_range, "int(1, 5) stays in 1..4: the high end is exclusive");
    for (int k = 0; k < 4; k++)
        balanced &= fabs(counts[k] - expect) < 5 * sd;
    ok(balanced, "int(1, 5) hits 1..4 evenly (%ld %ld %ld %ld)", counts[0], counts[1],
       counts[2], counts[3]);

    in_range = 1;
    for (int i = 0; i < 10000; i++) {
        v = anas_rng_int(&rng, -3, 3);
        in_range &= v >= -3 && v < 3;
    }
    ok(in_range, "int(-3, 3) stays in -3..2");
    is_int(anas_rng_int(&rng, 5, 5), 5, "int(lo, lo) gives lo");
    is_int(anas_rng_int(&rng, 9, 2), 9, "int(hi < lo) gives lo");
    in_range = 1;
    for (int i = 0; i < 1000; i++) {
        v = anas_rng_int(&rng, LONG_MIN, LONG_MAX);
        in_range &= v != LONG_MAX;
    }
    ok(in_range, "the widest range works and still excludes hi");
}

static void uniform_moments(void)
{
    struct anas_rng rng;
    double sum = 0, u;
    int in_range = 1;

    anas_rng_seed(&rng, 2);
    for (int i = 0; i < N; i++) {
        u = anas_rng_uniform(&rng);
        in_range &= u >= 0 && u < 1;
        sum += u;
    }
    ok(in_range, "uniform stays in [0, 1)");
    is_near(sum / N, 0.5, 5 * sqrt(1.0 / 12 / N), "uniform mean is 1/2");
}

static void normal_moments(void)
{
    struct anas_rng rng;
    double sum = 0, sum2 = 0, x, mean, var;

    anas_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++) {
        x = anas_rng_normal(&rng);
        sum += x;
        sum2 += x * x;
    }
    mean = sum / N;
    var = sum2 / N - mean * mean;
    is_near(mean, 0, 5 / sqrt(N), "normal mean is 0");
    /* The sample variance of N(0,1) has standard error sqrt(2 / N). */
    is_near(var, 1, 5 * sqrt(2.0 / N), "normal variance is 1");
}

int main(void)
{
    plan(17);
    published();
    determinism();
    int_bounds();
    uniform_moments();
    normal_moments();
    return done();
}
