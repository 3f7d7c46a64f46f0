/*
 * vec.h - loops the compiler vectorises at -O2 (private to lib/tensor and
 * lib/nn).
 *
 * GCC's default -O2 cost model vectorises a loop only when no scalar
 * remainder is needed, so a plain `for (i = 0; i < n; i++)` over a runtime
 * n stays scalar. ANAS__VFOR runs its statement over blocks with a constant
 * trip count (vectorised), then over the remainder:
 *
 *     ANAS__VFOR(i, n, float a = x[i]; y[i] = a > 0.0f ? a : 0.0f);
 *
 * Arrays must be restrict-qualified (no runtime alias checks at -O2), and
 * a conditional should select between values already loaded into locals,
 * as above, or it will not be if-converted.
 */
#ifndef ANAS_TENSOR_VEC_H
#define ANAS_TENSOR_VEC_H

#include <stddef.h>

#define ANAS__VBLOCK 16

/* Hot kernels compiled three times, for AVX-512, AVX2 and the baseline,
 * the best one picked when the program loads (GCC's function
 * multiversioning, through an ifunc). Elsewhere, and under ThreadSanitizer
 * (whose instrumented ifunc resolvers would run before its runtime is up):
 * the baseline alone. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                   \
    defined(__linux__) && !defined(ANAS_NO_CLONES) && !defined(__SANITIZE_THREAD__)
#define ANAS__SIMD __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ANAS__SIMD
#endif

/* Helpers of ANAS__SIMD kernels: inlined into each clone, so that they are
 * compiled for its instruction set too. */
#if defined(__GNUC__)
#define ANAS__INLINE static inline __attribute__((always_inline))
#else
#define ANAS__INLINE static inline
#endif

#define ANAS__VFOR(k, n, stmt)                                                           \
    do {                                                                                 \
        size_t k##_blk_ = 0, k##_n_ = (n);                                               \
        for (; k##_blk_ + ANAS__VBLOCK <= k##_n_; k##_blk_ += ANAS__VBLOCK)              \
            for (size_t k = k##_blk_; k < k##_blk_ + ANAS__VBLOCK; k++) {                \
                stmt;                                                                    \
            }                                                                            \
        for (size_t k = k##_blk_; k < k##_n_; k++) {                                     \
            stmt;                                                                        \
        }                                                                                \
    } while (0)

/* The same for short loops (rows of a few to a few dozen floats, where
 * most of n would be left to ANAS__VFOR's scalar remainder): blocks of 8,
 * then of 4, then the last few. */
#define ANAS__VFOR_SHORT(k, n, stmt)                                                     \
    do {                                                                                 \
        size_t k##_blk_ = 0, k##_n_ = (n);                                               \
        for (; k##_blk_ + 8 <= k##_n_; k##_blk_ += 8)                                    \
            for (size_t k = k##_blk_; k < k##_blk_ + 8; k++) {                           \
                stmt;                                                                    \
            }                                                                            \
        for (; k##_blk_ + 4 <= k##_n_; k##_blk_ += 4)                                    \
            for (size_t k = k##_blk_; k < k##_blk_ + 4; k++) {                           \
                stmt;                                                                    \
            }                                                                            \
        for (size_t k = k##_blk_; k < k##_n_; k++) {                                     \
            stmt;                                                                        \
        }                                                                                \
    } while (0)

/* sum(x[0..n)) with ANAS__VBLOCK float partial sums (vectorised, and more
 * accurate than one running sum). */
static inline float anas__vsum(const float *restrict x, size_t n)
{
    float acc[ANAS__VBLOCK] = {0}, s = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++)
            acc[j] += x[i + j];
    for (; i < n; i++)
        s += x[i];
    for (int j = 0; j < ANAS__VBLOCK; j++)
        s += acc[j];
    return s;
}

/* sum(x * y) likewise. */
static inline float anas__vdot(const float *restrict x, const float *restrict y, size_t n)
{
    float acc[ANAS__VBLOCK] = {0}, s = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++)
            acc[j] += x[i + j] * y[i + j];
    for (; i < n; i++)
        s += x[i] * y[i];
    for (int j = 0; j < ANAS__VBLOCK; j++)
        s += acc[j];
    return s;
}

/* sum(y * (x - m)). */
static inline float anas__vdot_dev(const float *restrict y, const float *restrict x,
                                   float m, size_t n)
{
    float acc[ANAS__VBLOCK] = {0}, s = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++)
            acc[j] += y[i + j] * (x[i + j] - m);
    for (; i < n; i++)
        s += y[i] * (x[i] - m);
    for (int j = 0; j < ANAS__VBLOCK; j++)
        s += acc[j];
    return s;
}

/* sum((x - m)^2). */
static inline float anas__vsqdev(const float *restrict x, float m, size_t n)
{
    float acc[ANAS__VBLOCK] = {0}, s = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float d = x[i + j] - m;

            acc[j] += d * d;
        }
    for (; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    for (int j = 0; j < ANAS__VBLOCK; j++)
        s += acc[j];
    return s;
}

#endif
