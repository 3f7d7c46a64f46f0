/*
 * io.c - the IO-managed forward of one analog tile (aihwkit's CPU engine,
 * ForwardBackwardPassIOManaged in src/rpucuda/rpu_forward_backward_pass.cpp,
 * ONE_PASS), batched.
 *
 * aihwkit's CPU engine loops over the vectors of a batch and runs a gemv
 * per vector and per bound-management round. Here all M vectors of a call
 * go through one sgemm: the per-vector scales (noise management, bound
 * management) are applied elementwise to the input matrix, whichever its
 * layout, and the DAC, the noise and the ADC are elementwise passes the
 * compiler vectorises. Bound management gathers the vectors that clipped,
 * recomputes them with a halved input scale and fresh noise in one more
 * sgemm, and scatters them back, until none clips or the reduction limit
 * is reached: each vector goes through exactly the rounds it would in
 * aihwkit.
 *
 * In the rows layout (a linear layer's batch) each vector's NM, DAC, ADC
 * and output happen while its row is in cache; in the columns layout (an
 * im2col matrix) each pass covers a row of M values, and the first
 * round's ADC puts its outputs into Y in the loop that quantizes them,
 * without storing them anywhere else (the vectors bound management
 * repeats are overwritten later, which is why not when Y accumulates and
 * bound management is on). Passes work on chunks
 * of CHUNK values, so that the noise of a chunk stays in L1. Rounding is
 * round half to even (aihwkit's rintf), written so that SSE2 vectorises
 * it (fq and rnd below); quantizing divides by multiplying with 1 / step.
 */
#include "config.h"

#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tensor/blas.h"
#include "tensor/vec.h"

#define CHUNK 256

/* The elementwise kernels are also built for AVX-512 (16 lanes) and AVX2
 * (8 lanes, SSE2 has 4) and picked when the program loads, where the
 * compiler and the C library can (x86-64, GCC or clang, ifunc). The
 * arithmetic per value is the same IEEE operations either way (C11 mode
 * does not contract into FMAs), so all give the same bits. Not under ThreadSanitizer: its
 * instrumented ifunc resolvers would run before its runtime is up. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GLIBC__) && defined(__has_attribute) && \
    !defined(__SANITIZE_THREAD__)
#if __has_attribute(target_clones)
#define HOT __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef HOT
#define HOT
#endif

float anas_analog_step(float res, float bound)
{
    float r = res > 0.0f ? res : 0.0f;
    float step;

    if (r > 1.0f)
        r = 1.0f / r;
    step = r * 2.0f * bound;
    return step > 0.0f ? step : 0.0f;
}

/* ---------------------------------------------------------------------
 * Scratch memory.
 */

void anas__ws_fini(struct anas__ws *ws)
{
    anas_free(ws->p);
    ws->p = NULL;
    ws->cap = 0;
}

/* Carving: a first pass with base NULL measures, the second hands out
 * 64-byte aligned pieces. */
struct carve {
    unsigned char *base;
    size_t off;
};

static void *take(struct carve *c, size_t bytes)
{
    void *p = c->base ? c->base + c->off : NULL;

    c->off += (bytes + 63) & ~(size_t)63;
    return p;
}

static int ws_reserve(struct anas__ws *ws, size_t bytes)
{
    void *p;

    if (bytes <= ws->cap)
        return 0;
    bytes += bytes / 4; /* room for a slightly larger batch next time */
    p = anas_malloc(bytes + 64);
    if (!p)
        return ANAS_ENOMEM;
    anas_free(ws->p);
    ws->p = p;
    ws->cap = bytes;
    return 0;
}

static unsigned char *ws_base(struct anas__ws *ws)
{
    uintptr_t a = (uintptr_t)ws->p;

    return (unsigned char *)ws->p + ((64 - (a & 63)) & 63);
}

/* ---------------------------------------------------------------------
 * Elementwise passes over runs of floats.
 */

/* rintf (round half to even) that vectorises without SSE4.1: adding 2^23
 * to |x| < 2^23 leaves no fraction bits, so the FPU's round-to-nearest-
 * even does the rounding. Beyond 2^23 steps a value may move by one step
 * (a relative 1e-7, float's own resolution there), which no bounded
 * DAC or ADC reaches. */
static inline float rnd(float x)
{
    float a = fabsf(x);

    return copysignf((a + 0x1p23f) - 0x1p23f, x);
}

static void scale_run(float *restrict y, const float *restrict x, float s, size_t n)
{
    ANAS__VFOR(k, n, y[k] = x[k] * s);
}

static void scale_run_v(float *restrict y, const float *restrict x, const float *restrict s,
                        size_t n)
{
    ANAS__VFOR(k, n, y[k] = x[k] * s[k]);
}

/* v = rint(v / step + dither) * step; dither (U - 1/2 for stochastic
 * rounding) may be NULL. */
static void quant_run(float *restrict v, size_t n, float step, const float *restrict dither)
{
    if (!(step > 0.0f))
        return;
    if (dither)
        ANAS__VFOR(k, n, v[k] = rnd(v[k] / step + dither[k]) * step);
    else
        ANAS__VFOR(k, n, v[k] = rnd(v[k] / step) * step);
}

static void clip_run(float *restrict v, size_t n, float b)
{
    if (isinf(b))
        return;
    ANAS__VFOR(k, n, float a = v[k]; a = a > b ? b : a; v[k] = a < -b ? -b : a);
}

/* s += x * x */
static void add_squares(float *restrict s, const float *restrict x, size_t n)
{
    ANAS__VFOR(k, n, s[k] += x[k] * x[k]);
}

static void squares(float *restrict y, const float *restrict x, size_t n)
{
    ANAS__VFOR(k, n, y[k] = x[k] * x[k]);
}

static void abs_run(float *restrict y, const float *restrict x, size_t n)
{
    ANAS__VFOR(k, n, y[k] = fabsf(x[k]));
}

/* y (+)= (z * f) * g, per value (the two layouts multiply in the same
 * order, so that they agree to the bit). */
HOT static void out_run_fg(float *restrict y, const float *restrict z, float f,
                       const float *restrict g, size_t n, int acc)
{
    if (acc)
        ANAS__VFOR(k, n, y[k] += z[k] * f * g[k]);
    else
        ANAS__VFOR(k, n, y[k] = z[k] * f * g[k]);
}

HOT static void out_run_f(float *restrict y, const float *restrict z, const float *restrict f,
                      float g, size_t n, int acc)
{
    if (acc)
        ANAS__VFOR(k, n, y[k] += z[k] * f[k] * g);
    else
        ANAS__VFOR(k, n, y[k] = z[k] * f[k] * g);
}

/* The output modes of the columns layout's writes to Y: store, add, or
 * store plus a digital bias (y = z f g, then + bias: the same two
 * roundings as the layer's separate bias pass had). */
enum { OUT_SET, OUT_ACC, OUT_BIAS };

static void out_run_fb(float *y, const float *z, const float *f, float g, size_t n, int mode,
                       float bias)
{
    out_run_f(y, z, f, g, n, mode == OUT_ACC);
    if (mode == OUT_BIAS)
        ANAS__VFOR(k, n, y[k] += bias);
}

/* The fast quantizer (a step, no stochastic rounding): v in steps is
 * clamped to +-c, c = bound / step + 2 < 2^22, so that adding and
 * subtracting 1.5 * 2^23 rounds it half to even; what the clamp changes
 * rounds beyond the bound either way and is clipped. Cheaper than rnd. */
struct fastq {
    float step, inv; /* step and 1 / step */
    float b, lo;     /* clip at +-b; an ADC value below lo fails the bound test */
    float c;
};

static inline float fq(float v, float c)
{
    v = v > c ? c : v;
    v = v < -c ? -c : v;
    return (v + 0x1.8p23f) - 0x1.8p23f;
}

/* The fast DAC of a run: y = clip(rint(x k) step), with k = scale / step
 * for all or per value. */
HOT static void dac_fast(float *restrict y, const float *restrict x, float k, size_t n,
                     const struct fastq *q)
{
    float step = q->step, b = q->b, c = q->c;

    ANAS__VFOR(i, n, float v = fq(x[i] * k, c) * step; v = v > b ? b : v;
               y[i] = v < -b ? -b : v);
}

HOT static void dac_fast_v(float *restrict y, const float *restrict x, const float *restrict k,
                       size_t n, const struct fastq *q)
{
    float step = q->step, b = q->b, c = q->c;

    ANAS__VFOR(i, n, float v = fq(x[i] * k[i], c) * step; v = v > b ? b : v;
               y[i] = v < -b ? -b : v);
}

/* The fast ADC of a run, in place, with output noise s * g: v =
 * clip(rint((v + s g) / step) step); with bound management also count
 * the values beyond the bound, or flag their positions. */
HOT static void adc_fast(float *restrict v, const float *restrict g, float s, size_t n,
                     const struct fastq *q)
{
    float step = q->step, inv = q->inv, b = q->b, c = q->c;

    ANAS__VFOR(i, n, float t = fq((v[i] + s * g[i]) * inv, c) * step; t = t > b ? b : t;
               v[i] = t < -b ? -b : t);
}

HOT static int adc_fast_count(float *restrict v, const float *restrict g, float s, size_t n,
                          const struct fastq *q)
{
    float step = q->step, inv = q->inv, b = q->b, lo = q->lo, c = q->c;
    int acc[ANAS__VBLOCK] = {0}, cnt = 0;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float t = fq((v[i + j] + s * g[i + j]) * inv, c) * step;

            acc[j] += (t > b) | (t < lo);
            t = t > b ? b : t;
            v[i + j] = t < -b ? -b : t;
        }
    for (; i < n; i++) {
        float t = fq((v[i] + s * g[i]) * inv, c) * step;

        cnt += (t > b) | (t < lo);
        t = t > b ? b : t;
        v[i] = t < -b ? -b : t;
    }
    for (int j = 0; j < ANAS__VBLOCK; j++)
        cnt += acc[j];
    return cnt;
}

HOT static void adc_fast_flag(float *restrict v, const float *restrict g, float s, size_t n,
                          const struct fastq *q, int *restrict fl)
{
    float step = q->step, inv = q->inv, b = q->b, lo = q->lo, c = q->c;

    ANAS__VFOR(i, n, float t = fq((v[i] + s * g[i]) * inv, c) * step;
               fl[i] |= (t > b) | (t < lo); t = t > b ? b : t; v[i] = t < -b ? -b : t);
}

/* The fast ADC of a run whose outputs go straight to Y (the columns
 * layout's first round, fuse): y (+)= clip(rint((v + s g) / step) step) *
 * f * gain, as adc_fast (flagging with fl, when bound management is on)
 * then out_run_f would compute it, without storing v: nothing reads it
 * again (the vectors that clipped are recomputed from their inputs). */
HOT static void adc_fast_out(const float *restrict v, const float *restrict g, float s,
                             size_t n, const struct fastq *q, int *restrict fl,
                             float *restrict y, const float *restrict f, float gain, int mode,
                             float bias)
{
    float step = q->step, inv = q->inv, b = q->b, lo = q->lo, c = q->c;
    int acc = mode == OUT_ACC;

#define ANAS__ADC_T(i) float t = fq((v[i] + s * g[i]) * inv, c) * step
#define ANAS__ADC_CLIP t = t > b ? b : t; t = t < -b ? -b : t
    if (fl && mode == OUT_BIAS) /* (t f gain) rounded, then + bias: the separate pass's bits */
        ANAS__VFOR(i, n, ANAS__ADC_T(i); fl[i] |= (t > b) | (t < lo); ANAS__ADC_CLIP;
                   float u = t * f[i] * gain; y[i] = u + bias);
    else if (mode == OUT_BIAS)
        ANAS__VFOR(i, n, ANAS__ADC_T(i); ANAS__ADC_CLIP; float u = t * f[i] * gain;
                   y[i] = u + bias);
    else if (fl && acc)
        ANAS__VFOR(i, n, ANAS__ADC_T(i); fl[i] |= (t > b) | (t < lo); ANAS__ADC_CLIP;
                   y[i] += t * f[i] * gain);
    else if (fl)
        ANAS__VFOR(i, n, ANAS__ADC_T(i); fl[i] |= (t > b) | (t < lo); ANAS__ADC_CLIP;
                   y[i] = t * f[i] * gain);
    else if (acc)
        ANAS__VFOR(i, n, ANAS__ADC_T(i); ANAS__ADC_CLIP; y[i] += t * f[i] * gain);
    else
        ANAS__VFOR(i, n, ANAS__ADC_T(i); ANAS__ADC_CLIP; y[i] = t * f[i] * gain);
#undef ANAS__ADC_T
#undef ANAS__ADC_CLIP
}

/* v += s g per value (the rarer noise with a std per output). */
static void add_noise_v(float *restrict v, const float *restrict g, const float *restrict s,
                        size_t n)
{
    ANAS__VFOR(i, n, v[i] += s[i] * g[i]);
}

/* How many values are beyond the bound (the negative side only with neg). */
static int count_out(const float *restrict v, size_t n, float b, int neg)
{
    int acc[ANAS__VBLOCK] = {0}, c = 0;
    float lo = neg ? -b : -HUGE_VALF;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float a = v[i + j];

            acc[j] += (a > b) | (a < lo);
        }
    for (; i < n; i++)
        c += (v[i] > b) | (v[i] < lo);
    for (int j = 0; j < ANAS__VBLOCK; j++)
        c += acc[j];
    return c;
}

static void flag_out(const float *restrict v, size_t n, float b, int neg, int *restrict fl)
{
    float lo = neg ? -b : -HUGE_VALF;

    ANAS__VFOR(k, n, float a = v[k]; fl[k] |= (a > b) | (a < lo));
}

HOT static float vabsmax(const float *restrict x, size_t n)
{
    float acc[ANAS__VBLOCK] = {0}, m = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float a = fabsf(x[i + j]);

            acc[j] = a > acc[j] ? a : acc[j];
        }
    for (; i < n; i++) {
        float a = fabsf(x[i]);

        m = a > m ? a : m;
    }
    for (int j = 0; j < ANAS__VBLOCK; j++)
        m = acc[j] > m ? acc[j] : m;
    return m;
}

static float vmax(const float *restrict x, size_t n)
{
    float acc[ANAS__VBLOCK], m = -HUGE_VALF;
    size_t i = 0;

    for (int j = 0; j < ANAS__VBLOCK; j++)
        acc[j] = -HUGE_VALF;
    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float a = x[i + j];

            acc[j] = a > acc[j] ? a : acc[j];
        }
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;
    for (int j = 0; j < ANAS__VBLOCK; j++)
        m = acc[j] > m ? acc[j] : m;
    return m;
}

/* Sums of the positive and of the negative values. */
static void vsigned_sums(const float *restrict x, size_t n, float *pos, float *neg)
{
    float ap[ANAS__VBLOCK] = {0}, an[ANAS__VBLOCK] = {0}, p = 0.0f, q = 0.0f;
    size_t i = 0;

    for (; i + ANAS__VBLOCK <= n; i += ANAS__VBLOCK)
        for (int j = 0; j < ANAS__VBLOCK; j++) {
            float a = x[i + j], z = 0.0f;

            ap[j] += a > z ? a : z;
            an[j] += a < z ? a : z;
        }
    for (; i < n; i++) {
        p += x[i] > 0.0f ? x[i] : 0.0f;
        q += x[i] < 0.0f ? x[i] : 0.0f;
    }
    for (int j = 0; j < ANAS__VBLOCK; j++) {
        p += ap[j];
        q += an[j];
    }
    *pos = p;
    *neg = q;
}

/* ---------------------------------------------------------------------
 * The forward.
 */

struct fwd {
    const struct anas_analog_io *io;
    const struct anas__mvm *w;
    const struct anas__mvm_io *b;
    struct anas__gauss *g;
    struct anas__io_state *st;
    int nx;                    /* values per vector in X (w->n without the bias column) */
    float step_in, step_out;   /* 0: no quantization */
    float in_bound, out_bound; /* HUGE_VALF: unbounded */
    float inv_in;              /* 1 / step_in */
    struct fastq qin, qout;    /* the fast quantizers */
    int dac_fast, adc_fast;    /* whether they apply */
    int nm_on, bm_on;
    int fuse;           /* columns: the ADC writes Y (see adc_stage) */
    int wn_add, wn_pcm; /* weight noise kinds in effect */
    float *xq;          /* DAC outputs of the k active vectors: (k, n) or (n, k) */
    float *z;           /* ADC outputs of all vectors in tile units: (M, d) or (d, M) */
    float *za;          /* the same for the active vectors of a retry round */
    float *nm;          /* (M) noise-management scale */
    float *f;           /* (M) output factor: out_scale / input scale */
    float *fa, *sc;     /* (M) factor and input scale of the active vectors */
    float *ks;          /* (M) input scale / DAC step of the active vectors */
    float *sd;          /* (M) output noise std per active vector (additive w_noise) */
    float *x2, *wabs, *s2; /* PCM_READ w_noise: xq^2, |W|, then the std per output */
    float *gr;          /* (d) gain * row_scale */
    int *idx, *fail;    /* (M) active vectors; whether each clipped */
    const float *bias;  /* (d) digital bias the fused writes add, or NULL */
};

static float bound_or_inf(float b)
{
    return b > 0.0f ? b : HUGE_VALF;
}

/* Whether the fast quantizer applies (a step, no stochastic rounding, and
 * fewer than 2^21 steps to the bound), and its parameters. */
static int fast_quantizer(struct fastq *q, float step, float bound, int neg_test, int sto)
{
    if (!(step > 0.0f) || sto || !(bound / step < 0x1p21f))
        return 0;
    q->step = step;
    q->inv = 1.0f / step;
    q->b = bound;
    q->lo = neg_test ? -bound : -HUGE_VALF;
    q->c = bound / step + 2.0f;
    return 1;
}

int anas__io_bias_ok(const struct anas_analog_io *io, const struct anas__mvm_io *b)
{
    return b->cols && !b->accumulate && !io->is_perfect;
}

int anas__io_is_random(const struct anas_analog_io *io)
{
    if (io->is_perfect)
        return 0;
    return io->out_noise > 0.0f || io->inp_noise > 0.0f ||
           (io->w_noise > 0.0f && io->w_noise_type != ANAS_WN_NONE) ||
           (io->inp_sto_round && anas_analog_step(io->inp_res, io->inp_bound) > 0.0f) ||
           (io->out_sto_round && anas_analog_step(io->out_res, io->out_bound) > 0.0f);
}

/* ABS_MAX_NP_SUM's scale from a vector's abs-max and signed sums, as
 * aihwkit's. */
static float np_sum_scale(const struct fwd *F, float amax, float pos, float neg)
{
    const struct anas_analog_io *io = F->io;
    float ob = io->out_bound > 0.0f ? io->out_bound : 1.0f;
    float sum = pos > -neg ? pos : -neg, s;

    if (io->nm_thres > 0.0f && amax > io->nm_thres)
        amax = io->nm_thres;
    s = sum * io->nm_assumed_wmax / ob;
    if (F->step_in > 0.0f && amax / F->step_in * io->max_bm_res < s)
        s = amax / F->step_in * io->max_bm_res;
    return amax > s ? amax : s;
}

static float capped(float v, float thres)
{
    return thres > 0.0f && v > thres ? thres : v;
}

/* The statistics of vector v (any layout; scalar for columns, used by
 * bound management's worst case on the few vectors that clipped). */
static void vector_stats(const struct fwd *F, int v, float *amax, float *pos, float *neg)
{
    const struct anas__mvm_io *b = F->b;
    float m = F->w->bias_col ? 1.0f : 0.0f, p = m, q = 0.0f;

    if (!b->cols) {
        const float *x = b->X + (size_t)v * b->ldx;
        float a = vabsmax(x, (size_t)F->nx), pp, qq;

        vsigned_sums(x, (size_t)F->nx, &pp, &qq);
        *amax = a > m ? a : m;
        *pos = p + pp;
        *neg = qq;
        return;
    }
    for (int j = 0; j < F->nx; j++) {
        float x = b->X[(size_t)j * b->ldx + v], a = fabsf(x);

        m = a > m ? a : m;
        p += x > 0.0f ? x : 0.0f;
        q += x < 0.0f ? x : 0.0f;
    }
    *amax = m;
    *pos = p;
    *neg = q;
}

/* Per column of a (nx, M) block: abs-max (kind 0), max (1), or abs-max
 * and signed sums (2) into a, p, q. */
HOT static void column_stats(const struct fwd *F, int kind, float *restrict a,
                             float *restrict p, float *restrict q)
{
    const struct anas__mvm_io *b = F->b;
    size_t M = (size_t)b->M;
    float init = F->w->bias_col ? 1.0f : (kind == 1 ? -HUGE_VALF : 0.0f);

    for (size_t v = 0; v < M; v++) {
        a[v] = init;
        if (kind == 2) {
            p[v] = F->w->bias_col ? 1.0f : 0.0f;
            q[v] = 0.0f;
        }
    }
    for (int j = 0; j < F->nx; j++) {
        const float *restrict x = b->X + (size_t)j * b->ldx;

        if (kind == 1) {
            ANAS__VFOR(v, M, float t = x[v]; float c = a[v]; a[v] = t > c ? t : c);
            continue;
        }
        ANAS__VFOR(v, M, float t = fabsf(x[v]); float c = a[v]; a[v] = t > c ? t : c);
        if (kind == 2)
            ANAS__VFOR(v, M, float t = x[v]; float z = 0.0f; p[v] += t > z ? t : z;
                       q[v] += t < z ? t : z);
    }
}

/* The NM scale from a vector's statistics, as aihwkit's: abs-max (max for
 * MAX) a, and the sums of its positive and negative values p, q. */
static float nm_value(struct fwd *F, float a, float p, float q)
{
    const struct anas_analog_io *io = F->io;
    struct anas__io_state *st = F->st;

    switch (io->noise_management) {
    case ANAS_NM_NONE:
        return 1.0f;
    case ANAS_NM_CONSTANT:
        return io->nm_thres > 0.0f ? io->nm_thres : 1.0f;
    case ANAS_NM_AVERAGE_ABS_MAX:
        /* the CPU engine updates the running value vector by vector */
        st->nm_avg = st->nm_avg < 0.0f ? a : st->nm_avg * (1.0f - io->nm_decay) + io->nm_decay * a;
        return st->nm_avg;
    case ANAS_NM_ABS_MAX_NP_SUM:
        return np_sum_scale(F, a, p, q);
    default: /* ABS_MAX, MAX */
        return capped(a, io->nm_thres);
    }
}

static int nm_stat_kind(const struct fwd *F)
{
    enum anas_nm kind = F->io->noise_management;

    return kind == ANAS_NM_MAX ? 1 : kind == ANAS_NM_ABS_MAX_NP_SUM ? 2 : 0;
}

/* The NM scale of row vector v (rows layout). */
static float nm_row(struct fwd *F, int v)
{
    const float *x = F->b->X + (size_t)v * F->b->ldx;
    size_t nx = (size_t)F->nx;
    int stat = nm_stat_kind(F);
    float one = F->w->bias_col ? 1.0f : 0.0f, m = F->w->bias_col ? 1.0f : -HUGE_VALF;
    float a, p = 0.0f, q = 0.0f;

    if (!F->nm_on || F->io->noise_management == ANAS_NM_CONSTANT)
        return nm_value(F, 0.0f, 0.0f, 0.0f);
    a = stat == 1 ? vmax(x, nx) : vabsmax(x, nx);
    a = a > m ? a : m;
    if (stat == 2) {
        vsigned_sums(x, nx, &p, &q);
        p += one;
    }
    return nm_value(F, a, p, q);
}

/* Noise management of every column vector (columns layout). */
static void nm_columns(struct fwd *F)
{
    int M = F->b->M, stat = nm_stat_kind(F);
    float *a = F->nm, *p = F->fa, *q = F->sc; /* fa, sc are free until the rounds */

    if (!F->nm_on || F->io->noise_management == ANAS_NM_CONSTANT) {
        for (int v = 0; v < M; v++)
            a[v] = nm_value(F, 0.0f, 0.0f, 0.0f);
        return;
    }
    column_stats(F, stat, a, p, q);
    if (F->io->noise_management == ANAS_NM_ABS_MAX || F->io->noise_management == ANAS_NM_MAX) {
        float thres = F->io->nm_thres; /* nm_value's capped(), in one pass */

        if (thres > 0.0f)
            ANAS__VFOR(v, (size_t)M, a[v] = a[v] > thres ? thres : a[v]);
        return;
    }
    for (int v = 0; v < M; v++)
        a[v] = nm_value(F, a[v], p[v], q[v]);
}

/* The input scale of active vector t (vector v) at reduction red. */
static void set_scale(struct fwd *F, int t, int v, float red)
{
    float s = 1.0f;

    if (F->nm_on && F->nm[v] > 0.0f)
        s /= F->nm[v];
    if (F->bm_on)
        s /= red;
    F->sc[t] = s;
    F->fa[t] = F->io->out_scale / s;
    F->ks[t] = s * F->inv_in;
}

/* set_scale of every vector (the first round), in one pass: the same
 * divisions, vectorised. */
HOT static void set_scales_full(struct fwd *F, int M, float red)
{
    const float *restrict nm = F->nm;
    float *restrict sc = F->sc, *restrict fa = F->fa, *restrict ks = F->ks;
    float os = F->io->out_scale, inv = F->inv_in, one = 1.0f;
    int nm_on = F->nm_on, bm_on = F->bm_on;

    if (!bm_on || red == 1.0f) /* s / 1 is s: one division less */
        ANAS__VFOR(t, (size_t)M, float s = nm_on && nm[t] > 0.0f ? one / nm[t] : one;
                   sc[t] = s; fa[t] = os / s; ks[t] = s * inv);
    else
        ANAS__VFOR(t, (size_t)M, float s = nm_on && nm[t] > 0.0f ? one / nm[t] : one;
                   s = s / red; sc[t] = s; fa[t] = os / s; ks[t] = s * inv);
}

/* The first round's output factors (columns, fuse): fa, or 0 for the
 * vectors that are 0 (is_zero). */
HOT static void zero_factors(struct fwd *F, int M)
{
    const float *restrict nm = F->nm, *restrict fa = F->fa;
    float *restrict f = F->f;

    if (!F->nm_on || F->io->inp_noise > 0.0f)
        memcpy(f, fa, (size_t)M * sizeof *f);
    else
        ANAS__VFOR(t, (size_t)M, f[t] = nm[t] > 0.0f ? fa[t] : 0.0f);
}

/* The DAC of one run of inputs x (s per value in sv, or one s; ks = s /
 * step likewise): scale, quantize, clip, input noise (the CPU engine's
 * order). The fast path rounds x * (s / step) rather than (x * s) / step:
 * the two differ only on exact ties, where aihwkit's own float results
 * are a matter of rounding order too. */
static void dac_run(struct fwd *F, float *y, const float *x, float s, const float *sv,
                    const float *ksv, size_t n)
{
    const struct anas_analog_io *io = F->io;
    float buf[CHUNK];

    if (F->dac_fast && sv)
        dac_fast_v(y, x, ksv, n, &F->qin);
    else if (F->dac_fast)
        dac_fast(y, x, s * F->inv_in, n, &F->qin);
    else
        for (size_t o = 0; o < n; o += CHUNK) {
            size_t c = n - o < CHUNK ? n - o : CHUNK;
            const float *dither = NULL;

            if (sv)
                scale_run_v(y + o, x + o, sv + o, c);
            else
                scale_run(y + o, x + o, s, c);
            if (io->inp_sto_round && F->step_in > 0.0f) {
                anas__uniform_fill(F->g, buf, c);
                ANAS__VFOR(k, c, buf[k] -= 0.5f);
                dither = buf;
            }
            quant_run(y + o, c, F->step_in, dither);
            clip_run(y + o, c, F->in_bound);
        }
    if (io->inp_noise > 0.0f)
        anas__gauss_apply(F->g, y, n, 1, io->inp_noise, NULL);
}

/* The DAC of the k active vectors (all M when full) into xq, at
 * reduction red. In the rows layout, the first round takes each vector's
 * NM scale on the way (the row is then in cache for the DAC). */
static void dac_stage(struct fwd *F, int k, int full, float red)
{
    const struct anas__mvm_io *b = F->b;
    size_t n = (size_t)F->w->n, nx = (size_t)F->nx, kk = (size_t)k;
    float one = 1.0f, buf[CHUNK];

    if (!b->cols) {
        for (size_t t = 0; t < kk; t++) {
            size_t v = full ? t : (size_t)F->idx[t];
            float *y = F->xq + t * n;

            if (full)
                F->nm[v] = nm_row(F, (int)v);
            set_scale(F, (int)t, (int)v, red);

            dac_run(F, y, b->X + v * b->ldx, F->sc[t], NULL, NULL, nx);
            if (F->w->bias_col)
                dac_run(F, y + nx, &one, F->sc[t], NULL, NULL, 1);
        }
        return;
    }
    if (full)
        set_scales_full(F, k, red);
    else
        for (size_t t = 0; t < kk; t++)
            set_scale(F, (int)t, F->idx[t], red);
    for (size_t j = 0; j < nx; j++) {
        const float *x = b->X + j * b->ldx;
        float *y = F->xq + j * kk;

        if (full) {
            dac_run(F, y, x, 0.0f, F->sc, F->ks, kk);
            continue;
        }
        for (size_t o = 0; o < kk; o += CHUNK) { /* gather the active vectors */
            size_t c = kk - o < CHUNK ? kk - o : CHUNK;

            for (size_t t = 0; t < c; t++)
                buf[t] = x[F->idx[o + t]];
            dac_run(F, y + o, buf, 0.0f, F->sc + o, F->ks + o, c);
        }
    }
    if (F->w->bias_col) {
        for (size_t t = 0; t < CHUNK; t++)
            buf[t] = 1.0f;
        for (size_t o = 0; o < kk; o += CHUNK) {
            size_t c = kk - o < CHUNK ? kk - o : CHUNK;

            dac_run(F, F->xq + nx * kk + o, buf, 0.0f, F->sc + o, F->ks + o, c);
        }
    }
}

static void mvm(const struct fwd *F, const float *W, const float *xin, int k, float *out)
{
    int d = F->w->d, n = F->w->n;

    if (!F->b->cols)
        anas_blas_sgemm(0, 1, k, d, n, 1.0f, xin, n, W, n, 0.0f, out, d);
    else
        anas_blas_sgemm(0, 0, d, k, n, 1.0f, W, n, xin, k, 0.0f, out, k);
}

/* Weight noise (w_noise_type) joins the output noise as one Gaussian per
 * output: the two are independent, so their variances add. ADDITIVE_CONSTANT:
 * F->sd per vector; PCM_READ: F->s2 per output. */
static void wnoise_stage(struct fwd *F, int k)
{
    const struct anas_analog_io *io = F->io;
    size_t n = (size_t)F->w->n, d = (size_t)F->w->d, kk = (size_t)k;
    float o2 = io->out_noise * io->out_noise, w2 = io->w_noise * io->w_noise;

    if (F->wn_add) {
        if (!F->b->cols)
            for (size_t t = 0; t < kk; t++) {
                const float *x = F->xq + t * n;

                F->sd[t] = anas__vdot(x, x, n);
            }
        else {
            memset(F->sd, 0, kk * sizeof *F->sd);
            for (size_t j = 0; j < n; j++)
                add_squares(F->sd, F->xq + j * kk, kk);
        }
        for (size_t t = 0; t < kk; t++)
            F->sd[t] = sqrtf(o2 + w2 * F->sd[t]);
    } else if (F->wn_pcm) {
        squares(F->x2, F->xq, kk * n);
        mvm(F, F->wabs, F->x2, k, F->s2);
        for (size_t i = 0; i < kk * d; i++)
            F->s2[i] = sqrtf(o2 + w2 * F->s2[i]);
    }
}

/* Where adc_run also puts its outputs: y (+)= z * f * g, per value. */
struct adc_out {
    float *y;
    const float *f;
    float g;
    int mode; /* OUT_SET, OUT_ACC, OUT_BIAS */
    float bias;
};

/* The ADC of one run of outputs: noise (std sd, or sdv per value),
 * quantize, bound test, clip. Counts the values beyond the bound, or
 * flags them per position when fl is given. With out, each chunk goes on
 * to Y while in L1. */
HOT static int adc_run(struct fwd *F, float *z, size_t n, float sd, const float *sdv, int *fl,
                   const struct adc_out *out)
{
    static const float no_noise[CHUNK];
    const struct anas_analog_io *io = F->io;
    float buf[CHUNK];
    int nfail = 0;

    for (size_t o = 0; o < n; o += CHUNK) {
        size_t c = n - o < CHUNK ? n - o : CHUNK;
        float *p = z + o, b = F->out_bound, s = 0.0f;
        const float *g = no_noise, *dither = NULL;

        if (sdv) {
            anas__gauss_fill(F->g, buf, c);
            add_noise_v(p, buf, sdv + o, c);
        } else if (sd > 0.0f) {
            anas__gauss_fill(F->g, buf, c);
            g = buf;
            s = sd;
        }
        if (F->adc_fast && out && (fl || !F->bm_on)) {
            adc_fast_out(p, g, s, c, &F->qout, F->bm_on ? fl + o : NULL, out->y + o,
                         out->f + o, out->g, out->mode, out->bias);
            continue;
        }
        if (F->adc_fast) {
            if (!F->bm_on)
                adc_fast(p, g, s, c, &F->qout);
            else if (fl)
                adc_fast_flag(p, g, s, c, &F->qout, fl + o);
            else
                nfail += adc_fast_count(p, g, s, c, &F->qout);
            if (out)
                out_run_fb(out->y + o, p, out->f + o, out->g, c, out->mode, out->bias);
            continue;
        }
        if (g != no_noise)
            ANAS__VFOR(k, c, p[k] += s * buf[k]);
        if (io->out_sto_round && F->step_out > 0.0f) {
            anas__uniform_fill(F->g, buf, c);
            ANAS__VFOR(k, c, buf[k] -= 0.5f);
            dither = buf;
        }
        quant_run(p, c, F->step_out, dither);
        if (F->bm_on && fl)
            flag_out(p, c, b, io->bm_test_negative_bound, fl + o);
        else if (F->bm_on)
            nfail += count_out(p, c, b, io->bm_test_negative_bound);
        clip_run(p, c, b);
        if (out)
            out_run_fb(out->y + o, p, out->f + o, out->g, c, out->mode, out->bias);
    }
    return nfail;
}

/* Vectors whose output is 0 without computing (NM scale <= 0 without
 * input noise, as the CPU engine short-cuts them). */
static int is_zero(const struct fwd *F, int v)
{
    return F->nm_on && !(F->nm[v] > 0.0f) && !(F->io->inp_noise > 0.0f);
}

/* Of the flagged vectors (columns layout), those that repeat: not on the
 * last round, nor the vectors that are 0 (is_zero). The first round's
 * test, over every vector, in a loop that vectorises. */
HOT static void keep_failed(struct fwd *F, int k, int full, int last)
{
    int *restrict fail = F->fail;
    const float *restrict nm = F->nm;
    size_t kk = (size_t)k;

    if (last)
        memset(fail, 0, kk * sizeof *fail);
    else if (!F->nm_on || F->io->inp_noise > 0.0f) /* no vector is_zero */
        return;
    else if (full)
        ANAS__VFOR(t, kk, fail[t] = fail[t] & (nm[t] > 0.0f));
    else
        for (size_t t = 0; t < kk; t++)
            fail[t] = fail[t] && !is_zero(F, F->idx[t]);
}

/* The ADC of the k active vectors, F->fail[t] for those to repeat. In
 * the rows layout a vector that passes (or has no round left) goes to Y
 * at once, while its outputs are in cache. */
static void adc_stage(struct fwd *F, float *zk, int k, int full, int last)
{
    const struct anas__mvm_io *b = F->b;
    size_t d = (size_t)F->w->d, kk = (size_t)k;
    float so = F->io->out_noise;

    if (!b->cols) {
        for (size_t t = 0; t < kk; t++) {
            float *row = zk + t * d;
            const float *sdv = F->wn_pcm ? F->s2 + t * d : NULL;
            int v = full ? (int)t : F->idx[t];
            int fail = adc_run(F, row, d, F->wn_add ? F->sd[t] : so, sdv, NULL, NULL) > 0;

            F->fail[t] = fail && !last && !is_zero(F, v);
            if (!F->fail[t])
                out_run_fg(b->Y + (size_t)v * b->ldy, row, is_zero(F, v) ? 0.0f : F->fa[t],
                           F->gr, d, b->accumulate);
        }
        return;
    }
    memset(F->fail, 0, kk * sizeof *F->fail);
    if (full && F->fuse)
        zero_factors(F, k);
    for (size_t i = 0; i < d; i++) {
        const float *sdv = F->wn_pcm ? F->s2 + i * kk : F->wn_add ? F->sd : NULL;
        struct adc_out out = {b->Y + i * (size_t)b->ldy, F->f, F->gr[i],
                              b->accumulate ? OUT_ACC : F->bias ? OUT_BIAS : OUT_SET,
                              F->bias ? F->bias[i] : 0.0f};

        adc_run(F, zk + i * kk, kk, so, sdv, F->fail, full && F->fuse ? &out : NULL);
    }
    keep_failed(F, k, full, last);
}

/* Retry outputs back into place (columns layout): into z, or with fuse
 * (no accumulation then) into Y as finish would put them. */
static void scatter(struct fwd *F, int k)
{
    const struct anas__mvm_io *b = F->b;
    size_t d = (size_t)F->w->d, M = (size_t)b->M;

    if (F->fuse) {
        for (size_t i = 0; i < d; i++) {
            float *y = b->Y + i * (size_t)b->ldy, g = F->gr[i];
            const float *za = F->za + i * (size_t)k;

            for (int t = 0; t < k; t++)
                y[F->idx[t]] = za[t] * F->fa[t] * g;
            for (int t = 0; t < k && F->bias; t++)
                y[F->idx[t]] += F->bias[i];
        }
        return;
    }
    for (int t = 0; t < k; t++) {
        int v = F->idx[t];

        F->f[v] = F->fa[t];
        for (size_t i = 0; i < d; i++)
            F->z[i * M + v] = F->za[i * (size_t)k + t];
    }
}

/* The bound-management rounds (aihwkit's ITERATIVE): round 0 on every vector,
 * then on those that clipped, with the input scale halved each time. */
static void rounds(struct fwd *F, const float *W)
{
    const struct anas_analog_io *io = F->io;
    int M = F->b->M, k = M, full = 1;
    float red = 1.0f;

    for (int round = 0;; round++) {
        float *zk = full ? F->z : F->za;
        int stop, nk = 0;

        if (round == 1 && io->bound_management == ANAS_BM_ITERATIVE_WORST_CASE &&
            io->noise_management != ANAS_NM_ABS_MAX_NP_SUM) {
            for (int t = 0; t < k; t++) {
                float a, p, q;

                vector_stats(F, F->idx[t], &a, &p, &q);
                F->nm[F->idx[t]] = np_sum_scale(F, a, p, q);
            }
            red = 1.0f;
        }
        stop = !F->bm_on || red > io->max_bm_factor ||
               (F->step_in > 0.0f && red > io->max_bm_res / F->step_in);
        dac_stage(F, k, full, red);
        mvm(F, W, F->xq, k, zk);
        wnoise_stage(F, k);
        adc_stage(F, zk, k, full, stop);
        if (F->b->cols && full && !F->fuse)
            memcpy(F->f, F->fa, (size_t)M * sizeof *F->f);
        else if (F->b->cols && !full)
            scatter(F, k);
        for (int t = 0; t < k && !stop; t++)
            if (F->fail[t])
                F->idx[nk++] = full ? t : F->idx[t];
        if (nk == 0)
            break;
        k = nk;
        full = 0;
        red *= 2.0f;
    }
}

/* Y (+)= z * f[v] * gr[i]. */
static void finish(const struct fwd *F)
{
    const struct anas__mvm_io *b = F->b;
    size_t d = (size_t)F->w->d, M = (size_t)b->M;

    if (!b->cols) {
        for (size_t v = 0; v < M; v++)
            out_run_fg(b->Y + v * (size_t)b->ldy, F->z + v * d, F->f[v], F->gr, d,
                       b->accumulate);
        return;
    }
    for (size_t i = 0; i < d; i++)
        out_run_f(b->Y + i * (size_t)b->ldy, F->z + i * M, F->f, F->gr[i], M, b->accumulate);
}

static void fill_gr(float *gr, const struct anas__mvm_io *b, int d)
{
    for (int i = 0; i < d; i++)
        gr[i] = b->gain * (b->row_scale ? b->row_scale[i] : 1.0f);
}

/* is_perfect: the plain product times out_scale. */
static int perfect(const struct anas_analog_io *io, const struct anas__mvm *w,
                   const struct anas__mvm_io *b, struct anas__ws *ws)
{
    int d = w->d, n = w->n, nx = n - w->bias_col, M = b->M;
    struct carve c = {NULL, 0};
    struct fwd F = {.io = io, .w = w, .b = b};

    if (!b->row_scale && !w->bias_col) {
        float alpha = io->out_scale * b->gain, beta = b->accumulate ? 1.0f : 0.0f;

        if (!b->cols)
            anas_blas_sgemm(0, 1, M, d, nx, alpha, b->X, b->ldx, w->W, n, beta, b->Y, b->ldy);
        else
            anas_blas_sgemm(0, 0, d, M, nx, alpha, w->W, n, b->X, b->ldx, beta, b->Y, b->ldy);
        return 0;
    }
    for (int pass = 0; pass < 2; pass++) {
        F.z = take(&c, (size_t)M * d * sizeof(float));
        F.f = take(&c, (size_t)M * sizeof(float));
        F.gr = take(&c, (size_t)d * sizeof(float));
        if (pass == 0) {
            if (ws_reserve(ws, c.off) < 0)
                return ANAS_ENOMEM;
            c = (struct carve){ws_base(ws), 0};
        }
    }
    if (!b->cols)
        anas_blas_sgemm(0, 1, M, d, nx, 1.0f, b->X, b->ldx, w->W, n, 0.0f, F.z, d);
    else
        anas_blas_sgemm(0, 0, d, M, nx, 1.0f, w->W, n, b->X, b->ldx, 0.0f, F.z, M);
    if (w->bias_col)
        for (int i = 0; i < d; i++)
            for (int v = 0; v < M; v++)
                F.z[b->cols ? (size_t)i * M + v : (size_t)v * d + i] += w->W[(size_t)i * n + nx];
    for (int v = 0; v < M; v++)
        F.f[v] = io->out_scale;
    fill_gr(F.gr, b, d);
    finish(&F);
    return 0;
}

/* Lay out the scratch memory (twice: to measure, then to carve). */
static int setup(struct fwd *F, struct anas__ws *ws)
{
    size_t M = (size_t)F->b->M, n = (size_t)F->w->n, d = (size_t)F->w->d;
    struct carve c = {NULL, 0};

    for (int pass = 0; pass < 2; pass++) {
        F->xq = take(&c, M * n * sizeof(float));
        F->z = take(&c, M * d * sizeof(float));
        F->za = F->bm_on ? take(&c, M * d * sizeof(float)) : NULL;
        F->nm = take(&c, M * sizeof(float));
        F->f = take(&c, M * sizeof(float));
        F->fa = take(&c, M * sizeof(float));
        F->sc = take(&c, M * sizeof(float));
        F->ks = take(&c, M * sizeof(float));
        F->sd = take(&c, M * sizeof(float));
        F->gr = take(&c, d * sizeof(float));
        F->idx = take(&c, M * sizeof(int));
        F->fail = take(&c, M * sizeof(int));
        F->x2 = F->wn_pcm ? take(&c, M * n * sizeof(float)) : NULL;
        F->wabs = F->wn_pcm ? take(&c, d * n * sizeof(float)) : NULL;
        F->s2 = F->wn_pcm ? take(&c, M * d * sizeof(float)) : NULL;
        if (pass == 0) {
            if (ws_reserve(ws, c.off) < 0)
                return ANAS_ENOMEM;
            c = (struct carve){ws_base(ws), 0};
        }
    }
    return 0;
}

static int forward_block(const struct anas_analog_io *io, struct anas__io_state *st,
                         const struct anas__mvm *w, const struct anas__mvm_io *b,
                         const float *bias, struct anas__ws *ws, struct anas__gauss *g)
{
    struct fwd F = {.io = io, .w = w, .b = b, .g = g, .st = st, .bias = bias};
    int rc;

    if (io->is_perfect)
        return perfect(io, w, b, ws);
    F.nx = w->n - w->bias_col;
    F.step_in = anas_analog_step(io->inp_res, io->inp_bound);
    F.step_out = anas_analog_step(io->out_res, io->out_bound);
    F.in_bound = bound_or_inf(io->inp_bound);
    F.out_bound = bound_or_inf(io->out_bound);
    F.inv_in = F.step_in > 0.0f ? 1.0f / F.step_in : 0.0f;
    F.dac_fast = fast_quantizer(&F.qin, F.step_in, F.in_bound, 1, io->inp_sto_round);
    F.adc_fast = fast_quantizer(&F.qout, F.step_out, F.out_bound, io->bm_test_negative_bound,
                                io->out_sto_round);
    F.nm_on = io->noise_management != ANAS_NM_NONE;
    F.bm_on = io->bound_management != ANAS_BM_NONE;
    F.wn_add = io->w_noise > 0.0f && io->w_noise_type == ANAS_WN_ADDITIVE_CONSTANT;
    F.wn_pcm = io->w_noise > 0.0f && io->w_noise_type == ANAS_WN_PCM_READ;
    /* Columns: the first round's ADC writes Y, and retries overwrite
     * their vectors' outputs; not when they would have to be taken back
     * out of an accumulated sum. */
    F.fuse = b->cols && !(b->accumulate && F.bm_on);
    if ((rc = setup(&F, ws)) < 0)
        return rc;
    if (F.wn_pcm)
        abs_run(F.wabs, w->W, (size_t)w->d * w->n);
    fill_gr(F.gr, b, w->d);
    if (b->cols)
        nm_columns(&F);
    rounds(&F, w->W);
    if (!b->cols || F.fuse)
        return 0; /* the outputs went to Y as they passed */
    for (int v = 0; v < b->M; v++)
        if (is_zero(&F, v))
            F.f[v] = 0.0f;
    finish(&F);
    return 0;
}

/* Batches go through in blocks of BLOCK_M vectors: the scratch memory
 * stays a few MB (an im2col batch can hold 10^5 vectors) and in cache.
 * Vectors are independent, and the blocks run in order (the noise
 * stream, AVERAGE_ABS_MAX's running value), so blocking changes no
 * result. */
#define BLOCK_M 1024

int anas__io_forward_bias(const struct anas_analog_io *io, struct anas__io_state *st,
                          const struct anas__mvm *w, const struct anas__mvm_io *b,
                          const float *bias, struct anas__ws *ws, struct anas__gauss *g)
{
    if (b->M <= 0 || w->d <= 0)
        return 0;
    if (!g && anas__io_is_random(io))
        return ANAS_EINVAL;
    if (bias && !anas__io_bias_ok(io, b))
        return ANAS_EINVAL;
    for (int v0 = 0; v0 < b->M; v0 += BLOCK_M) {
        struct anas__mvm_io bb = *b;
        int rc;

        bb.M = b->M - v0 < BLOCK_M ? b->M - v0 : BLOCK_M;
        bb.X = b->X + (b->cols ? (size_t)v0 : (size_t)v0 * b->ldx);
        bb.Y = b->Y + (b->cols ? (size_t)v0 : (size_t)v0 * b->ldy);
        if ((rc = forward_block(io, st, w, &bb, bias, ws, g)) < 0)
            return rc;
    }
    return 0;
}

int anas__io_forward(const struct anas_analog_io *io, struct anas__io_state *st,
                     const struct anas__mvm *w, const struct anas__mvm_io *b,
                     struct anas__ws *ws, struct anas__gauss *g)
{
    return anas__io_forward_bias(io, st, w, b, NULL, ws, g);
}
