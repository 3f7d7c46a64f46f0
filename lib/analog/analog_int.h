/*
 * analog_int.h - what the files of lib/analog share: the fast normal
 * deviates of the tile forward, the IO-managed forward of one tile (io.c)
 * that the layers (layer.c) run on each of their tiles, and the split.
 */
#ifndef ANAS_ANALOG_INT_H
#define ANAS_ANALOG_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analog/analog.h"
#include "core/alloc.h"
#include "core/rng.h"

/* --- fast N(0,1) deviates ---
 *
 * A forward draws one normal deviate per output (and per input with input
 * noise): as many as the sgemm does multiply-adds per input column, so a
 * deviate must cost well under a nanosecond. Box-Muller with float math
 * vectorised over SSE2 lanes costs about 3.5 ns here (log, sqrt and sincos
 * polynomials); like aihwkit's CPU engine, which looks its deviates up in
 * a table of normal values, this one looks them up (0.6 ns): the table
 * holds the 2^16 quantiles Phi^-1((k + 1/2) / 2^16), rescaled to variance
 * exactly 1 (symmetric, so mean exactly 0; tails cut at 4.3 sigma, which
 * leaves out a 1.5e-5 probability), and each random 32-bit word gives two
 * 16-bit indices. The words come from 16 xoshiro128** lanes, which the
 * compiler runs as SIMD, seeded from the caller's struct anas_rng, so a
 * seed reproduces everything. */

#define ANAS__GAUSS_BITS  16
#define ANAS__GAUSS_LANES 16
#define ANAS__GAUSS_POOL  256 /* words drawn at a time (16 lane steps) */

struct anas__gauss {
    uint32_t s[4][ANAS__GAUSS_LANES]; /* xoshiro128** state, lane-major */
    const float *table;               /* 2^ANAS__GAUSS_BITS quantiles */
    uint32_t pool[ANAS__GAUSS_POOL];  /* random 32-bit words */
    int n_pool;                       /* the last n_pool are not used yet */
};

static inline double anas__gauss_upper_tail(double x)
{
    return 0.5 * erfc(x * 0.70710678118654752440);
}

static inline double anas__gauss_density(double x)
{
    return 0.39894228040143267794 * exp(-0.5 * x * x);
}

/* The quantile table (anas_free it); NULL when out of memory. About a
 * millisecond, so its owner builds it once. The quantiles of the upper
 * half are found from the centre out: each starts from the previous one
 * moved by the first-order step dq / density, and Newton on Q(x) = q
 * (monotone from below, Q being convex for x > 0) ends in one or two
 * iterations. */
static inline float *anas__gauss_table_new(void)
{
    int half = 1 << (ANAS__GAUSS_BITS - 1), n = 2 * half;
    float *t = anas_malloc((size_t)n * sizeof *t);
    double x = 0.0, q_prev = 0.5, dens = anas__gauss_density(0.0), sum2 = 0.0, c;

    if (!t)
        return NULL;
    for (int k = 0; k < half; k++) {
        double q = ((double)(half - k) - 0.5) / n;

        x += (q_prev - q) / dens;
        for (int it = 0; it < 50; it++) {
            double dx;

            dens = anas__gauss_density(x);
            dx = (anas__gauss_upper_tail(x) - q) / dens;
            x += dx;
            if (fabs(dx) <= 1e-10 * (1.0 + x))
                break;
        }
        q_prev = q;
        t[half + k] = (float)x;
        sum2 += x * x;
    }
    /* midpoint quantiles miss the variance within the strata */
    c = 1.0 / sqrt(2.0 * sum2 / n);
    for (int k = 0; k < half; k++) {
        float v = (float)(t[half + k] * c);

        t[half + k] = v;
        t[half - 1 - k] = -v;
    }
    return t;
}

/* Seed the lanes from rng (it advances by 32 draws). */
static inline void anas__gauss_seed(struct anas__gauss *g, const float *table,
                                    struct anas_rng *rng)
{
    for (int w = 0; w < 4; w++)
        for (int l = 0; l < ANAS__GAUSS_LANES; l += 2) {
            uint64_t r = anas_rng_u64(rng);

            g->s[w][l] = (uint32_t)r;
            g->s[w][l + 1] = (uint32_t)(r >> 32);
        }
    for (int l = 0; l < ANAS__GAUSS_LANES; l++)
        if (!(g->s[0][l] | g->s[1][l] | g->s[2][l] | g->s[3][l]))
            g->s[0][l] = 1; /* the one state xoshiro never leaves */
    g->table = table;
    g->n_pool = 0;
}

static inline uint32_t anas__rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* One xoshiro128** step of every lane; the multiplications by 5 and 9 are
 * shifts and adds, which SSE2 has for 32-bit lanes. */
static inline void anas__lanes_step(uint32_t *restrict s0, uint32_t *restrict s1,
                                    uint32_t *restrict s2, uint32_t *restrict s3,
                                    uint32_t *restrict out)
{
    for (int i = 0; i < ANAS__GAUSS_LANES; i++) {
        uint32_t a = s1[i], r = anas__rotl32(a + (a << 2), 7), t = a << 9;

        out[i] = r + (r << 3);
        s2[i] ^= s0[i];
        s3[i] ^= a;
        s1[i] = a ^ s2[i];
        s0[i] ^= s3[i];
        s2[i] ^= t;
        s3[i] = anas__rotl32(s3[i], 11);
    }
}

/* The next words of the pool, at most want of them (at least one). Words
 * are used in order, so that how a count is split over calls changes
 * nothing (but for the unused half of a word ending an odd count). */
static inline const uint32_t *anas__gauss_words(struct anas__gauss *g, size_t want,
                                                size_t *got)
{
    const uint32_t *w;

    if (!g->n_pool) {
        uint32_t s[4][ANAS__GAUSS_LANES];

        memcpy(s, g->s, sizeof s); /* locals: the lanes stay in registers */
        for (int b = 0; b < ANAS__GAUSS_POOL; b += ANAS__GAUSS_LANES)
            anas__lanes_step(s[0], s[1], s[2], s[3], g->pool + b);
        memcpy(g->s, s, sizeof s);
        g->n_pool = ANAS__GAUSS_POOL;
    }
    *got = want < (size_t)g->n_pool ? want : (size_t)g->n_pool;
    w = g->pool + (ANAS__GAUSS_POOL - g->n_pool);
    g->n_pool -= (int)*got;
    return w;
}

#define ANAS__GAUSS_LO(w) (((w) & 0xffffu) >> (16 - ANAS__GAUSS_BITS))
#define ANAS__GAUSS_HI(w) ((w) >> (32 - ANAS__GAUSS_BITS))

/* n deviates z, used where they are looked up (the look-up is scalar:
 * SSE2 has no gather): mode 0 out = z, 1 out += s z, 2 out += sv[k] z. */
static inline void anas__gauss_apply(struct anas__gauss *g, float *restrict out, size_t n,
                                     int mode, float s, const float *restrict sv)
{
    const float *restrict tab = g->table;

    while (n > 0) {
        size_t m;
        const uint32_t *restrict w = anas__gauss_words(g, n / 2 ? n / 2 : 1, &m);

        if (n == 1) { /* half a word */
            float z = tab[ANAS__GAUSS_LO(w[0])];

            out[0] = mode == 0 ? z : out[0] + (mode == 1 ? s : sv[0]) * z;
            return;
        }
        if (mode == 0)
            for (size_t k = 0; k < m; k++) {
                out[2 * k] = tab[ANAS__GAUSS_LO(w[k])];
                out[2 * k + 1] = tab[ANAS__GAUSS_HI(w[k])];
            }
        else if (mode == 1)
            for (size_t k = 0; k < m; k++) {
                out[2 * k] += s * tab[ANAS__GAUSS_LO(w[k])];
                out[2 * k + 1] += s * tab[ANAS__GAUSS_HI(w[k])];
            }
        else
            for (size_t k = 0; k < m; k++) {
                out[2 * k] += sv[2 * k] * tab[ANAS__GAUSS_LO(w[k])];
                out[2 * k + 1] += sv[2 * k + 1] * tab[ANAS__GAUSS_HI(w[k])];
            }
        out += 2 * m;
        sv = sv ? sv + 2 * m : NULL;
        n -= 2 * m;
    }
}

/* n standard normal deviates. */
static inline void anas__gauss_fill(struct anas__gauss *g, float *out, size_t n)
{
    anas__gauss_apply(g, out, n, 0, 0.0f, NULL);
}

/* n uniform deviates in [0, 1) (24 random bits each). */
static inline void anas__uniform_fill(struct anas__gauss *g, float *out, size_t n)
{
    while (n > 0) {
        size_t m;
        const uint32_t *w = anas__gauss_words(g, n, &m);

        for (size_t k = 0; k < m; k++)
            out[k] = (float)(int32_t)(w[k] >> 8) * 0x1p-24f;
        out += m;
        n -= m;
    }
}

/* --- the forward of one tile (io.c) --- */

/* A tile's weights: W (d, n) row-major. With bias_col, the last column is
 * an analog bias: every input vector (n - 1 values) gets a 1 appended. */
struct anas__mvm {
    const float *W;
    int d, n, bias_col;
};

/* M input vectors and where their outputs go, as anas_alayer_forward
 * lays them out (cols = 0: X (M, n - bias_col), Y (M, d); cols = 1: X
 * (n - bias_col, M), Y (d, M)). Each output i is multiplied by
 * gain * row_scale[i] (row_scale NULL: 1), then stored or, with
 * accumulate, added to Y. */
struct anas__mvm_io {
    const float *X;
    int M, cols, ldx;
    float *Y;
    int ldy;
    float gain;
    const float *row_scale;
    int accumulate;
};

/* What a tile's forward remembers between calls. */
struct anas__io_state {
    float nm_avg; /* AVERAGE_ABS_MAX's running abs-max, < 0 before the first vector */
};

/* Scratch memory, grown on demand and kept for the next call. */
struct anas__ws {
    void *p;
    size_t cap;
};

void anas__ws_fini(struct anas__ws *ws);

/* The IO-managed forward (aihwkit's ForwardBackwardPassIOManaged) on M
 * vectors at once: noise management, DAC, one sgemm, weight noise, output
 * noise, ADC, and bound management re-running only the vectors that clipped.
 * g may be NULL when the parameters draw no random numbers (is_perfect, or no
 * noise and no stochastic rounding). 0, ANAS_EINVAL (no generator although
 * one is needed) or ANAS_ENOMEM (workspace). */
int anas__io_forward(const struct anas_analog_io *io, struct anas__io_state *st,
                     const struct anas__mvm *w, const struct anas__mvm_io *b,
                     struct anas__ws *ws, struct anas__gauss *g);

/* The same, adding a digital bias (d) to the outputs as they are written,
 * where anas__io_bias_ok: with the bits of a separate pass that would add
 * it to Y afterwards. */
int anas__io_forward_bias(const struct anas_analog_io *io, struct anas__io_state *st,
                          const struct anas__mvm *w, const struct anas__mvm_io *b,
                          const float *bias, struct anas__ws *ws, struct anas__gauss *g);

/* Whether the forward writes every output once (columns layout, not
 * accumulated, not is_perfect's sgemm), so that a bias can join it. */
int anas__io_bias_ok(const struct anas_analog_io *io, const struct anas__mvm_io *b);

/* Whether a forward with these parameters draws random numbers. */
int anas__io_is_random(const struct anas_analog_io *io);

/* --- layers (layer.c) --- */

/* How aihwkit's TileModuleArray splits size over tiles of at most max: the
 * number of pieces k = ceil(size / max) (1 when max <= 0), their sizes as
 * even as possible, the first size % k one larger; the first cap sizes go to
 * sizes. */
int anas__split_sizes(int size, int max, int *sizes, int cap);

/* Add a digital bias (d) to Y: per row of (d, M) when cols, else per
 * column of (M, d). Layers and the net's fused paths share it. */
void anas__analog_add_bias(float *Y, int ldy, const float *bias, int d, int M, int cols);

/* A look at tile i of a layer (for tests): its place in the layer, its
 * size (nw columns: n inputs, and the analog bias), its mapping scales
 * (d) and clean weights (d, nw) in tile units. 0 or ANAS_EINVAL. */
struct anas__tile_view {
    int r0, c0, d, n, nw;
    const float *w, *scale;
};

int anas__alayer_tile(const struct anas_alayer *L, int i, struct anas__tile_view *out);

#endif
