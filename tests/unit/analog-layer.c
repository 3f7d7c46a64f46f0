/*
 * analog-layer.c - layers on tiles (lib/analog/layer.c): aihwkit's split
 * (TileModuleArray, src/aihwkit/simulator/tiles/array.py), mapping scales
 * and remapping (MappingParameter, weight_remapper.cpp), digital and analog
 * bias, the hardware-aware post-step (clip, modifier), programming, drift
 * and global drift compensation (simulator/tiles/inference.py,
 * inference/compensation/drift.py), determinism, and clean failure when
 * memory runs out.
 */
#include "config.h"

#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

static struct anas_analog_config preset(const char *name)
{
    struct anas_analog_config c;

    anas_analog_preset(name, &c);
    return c;
}

/* A noise-free non-ideal configuration (quantization, NM, BM only). */
static struct anas_analog_config quiet(void)
{
    struct anas_analog_config c = preset("aihwkit-default");

    c.forward.out_noise = 0.0f;
    return c;
}

static float *randn(int n, double sd, uint64_t seed)
{
    float *x = anas_malloc((size_t)n * sizeof *x);
    struct anas_rng rng;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++)
        x[i] = (float)(anas_rng_normal(&rng) * sd);
    return x;
}

/* Y (M, d) of a layer whose vectors are rows, or columns (then transposed
 * back), so both layouts compare directly. */
static int fwd(struct anas_alayer *L, enum anas_alayer_weights which, const float *X, int M,
               int n, int d, int cols, float *Y, uint64_t seed)
{
    struct anas_rng rng;
    float *Xt = anas_malloc((size_t)M * n * sizeof *Xt), *Yt = anas_malloc((size_t)M * d * sizeof *Yt);
    int rc;

    anas_rng_seed(&rng, seed);
    for (int v = 0; v < M; v++)
        for (int j = 0; j < n; j++)
            Xt[(size_t)j * M + v] = X[(size_t)v * n + j];
    if (cols)
        rc = anas_alayer_forward(L, which, Xt, M, 1, M, Yt, M, &rng);
    else
        rc = anas_alayer_forward(L, which, X, M, 0, n, Y, d, &rng);
    if (cols)
        for (int v = 0; v < M; v++)
            for (int i = 0; i < d; i++)
                Y[(size_t)v * d + i] = Yt[(size_t)i * M + v];
    anas_free(Xt);
    anas_free(Yt);
    return rc;
}

static double max_abs(const float *x, int n)
{
    double m = 0;

    for (int i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

static int split_is(int size, int max, int k, int a, int b)
{
    int s[8], got = anas__split_sizes(size, max, s, 8);

    return got == k && s[0] == a && s[k - 1] == b;
}

static void splits(void)
{
    struct anas_analog_config c = preset("aihwkit-default");
    struct anas_alayer *L;
    struct anas__tile_view tv;
    int s[4];

    ok(split_is(784, 512, 2, 392, 392), "784 inputs, tiles of 512: [392, 392]");
    ok(split_is(1000, 512, 2, 500, 500), "1000 with 512: [500, 500]");
    ok(split_is(1000, 0, 1, 1000, 1000), "max 0: no split");
    ok(split_is(512, 512, 1, 512, 512), "512 with 512: one tile");
    ok(anas__split_sizes(10, 3, s, 4) == 4 && s[0] == 3 && s[1] == 3 && s[2] == 2 && s[3] == 2,
       "10 with 3: [3, 3, 2, 2], the first 10 %% 4 one larger");
    L = anas_alayer_new(1000, 784, &c, NULL);
    is_int(anas_alayer_n_tiles(L), 4, "a 1000 x 784 layer is a 2 x 2 grid of tiles");
    ok(anas__alayer_tile(L, 3, &tv) == 0 && tv.r0 == 500 && tv.c0 == 392 && tv.d == 500 &&
           tv.n == 392,
       "the last tile holds outputs 500.. and inputs 392..");
    anas_alayer_free(L);
    c.mapping.max_input_size = c.mapping.max_output_size = 0;
    L = anas_alayer_new(1000, 784, &c, NULL);
    is_int(anas_alayer_n_tiles(L), 1, "max sizes 0: one tile");
    anas_alayer_free(L);
}

/* A split ideal layer computes what the unsplit one does, in both
 * layouts, with its bias. */
static void split_equals_unsplit(void)
{
    enum { D = 130, N = 250, M = 37 };
    struct anas_analog_config c = preset("ideal");
    float *W = randn(D * N, 0.3, 1), *X = randn(M * N, 1.0, 2), *b = randn(D, 1.0, 3);
    float *Y1 = anas_malloc(M * D * sizeof *Y1), *Y2 = anas_malloc(M * D * sizeof *Y2);
    struct anas_alayer *one = anas_alayer_new(D, N, &c, NULL), *grid;
    double worst = 0, ref_err = 0;

    c.mapping.max_input_size = 100;
    c.mapping.max_output_size = 70;
    grid = anas_alayer_new(D, N, &c, NULL);
    is_int(anas_alayer_n_tiles(grid), 6, "130 x 250 with 70 x 100 tiles: 2 x 3 of them");
    anas_alayer_set_weights(one, W, b);
    anas_alayer_set_weights(grid, W, b);
    for (int cols = 0; cols < 2; cols++) {
        fwd(one, ANAS_ALAYER_CLEAN, X, M, N, D, cols, Y1, 1);
        fwd(grid, ANAS_ALAYER_CLEAN, X, M, N, D, cols, Y2, 1);
        for (int v = 0; v < M; v++)
            for (int i = 0; i < D; i++) {
                double s = b[i], mag = fabs(b[i]);

                for (int j = 0; j < N; j++) {
                    s += (double)W[i * N + j] * X[v * N + j];
                    mag += fabs((double)W[i * N + j] * X[v * N + j]);
                }
                worst = fmax(worst, fabs(Y2[v * D + i] - Y1[v * D + i]) / mag);
                ref_err = fmax(ref_err, fabs(Y2[v * D + i] - s) / mag);
            }
    }
    ok(worst < 1e-6 && ref_err < 1e-6,
       "split ideal layer = unsplit = W x + b, both layouts (rel err %.2g, %.2g)", worst,
       ref_err);
    anas_alayer_free(one);
    anas_alayer_free(grid);
    anas_free(W);
    anas_free(X);
    anas_free(b);
    anas_free(Y1);
    anas_free(Y2);
}

/* weight_scaling_omega: tile weights W / a with max |w| = omega, W back
 * from get_weights, and the forward unchanged. */
static void mapping(void)
{
    enum { D = 6, N = 9, M = 5 };
    struct anas_analog_config c = preset("ideal");
    float *W = randn(D * N, 2.0, 4), *X = randn(M * N, 1.0, 5), Wb[D * N], Y0[M * D], Y1[M * D];
    struct anas_alayer *L;
    struct anas__tile_view tv;
    int rows_ok = 1;

    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, 0, Y0, 1);
    anas_alayer_free(L);
    c.mapping.weight_scaling_omega = 0.8f;
    for (int colw = 0; colw < 2; colw++) {
        double worst = 0;

        c.mapping.weight_scaling_columnwise = colw;
        L = anas_alayer_new(D, N, &c, NULL);
        anas_alayer_set_weights(L, W, NULL);
        anas__alayer_tile(L, 0, &tv);
        if (colw)
            for (int i = 0; i < D; i++)
                rows_ok &= fabs(max_abs(tv.w + i * N, N) - 0.8) < 1e-6 &&
                           fabs(tv.scale[i] - max_abs(W + i * N, N) / 0.8) < 1e-6;
        else
            ok(fabs(max_abs(tv.w, D * N) - 0.8) < 1e-6 &&
                   fabs(tv.scale[0] - max_abs(W, D * N) / 0.8) < 1e-6,
               "omega 0.8: a = max|W| / 0.8, max |tile weight| = 0.8");
        anas_alayer_get_weights(L, ANAS_ALAYER_CLEAN, Wb);
        for (int i = 0; i < D * N; i++)
            worst = fmax(worst, fabs(Wb[i] - W[i]) / fabs(W[i]));
        fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, colw, Y1, 1);
        for (int i = 0; i < M * D; i++)
            worst = fmax(worst, fabs(Y1[i] - Y0[i]) / (1.0 + fabs(Y0[i])));
        ok(worst < 1e-6, "%s mapping: W back from the tiles and the same outputs (%.2g)",
           colw ? "columnwise" : "per-tile", worst);
        anas_alayer_free(L);
    }
    ok(rows_ok, "columnwise: a per output row, each row's max |w| = 0.8");
    anas_free(W);
    anas_free(X);
}

/* Digital bias: added after the tiles. Analog bias (digital_bias 0, one
 * tile): an input column of 1s, so it goes through NM, DAC and ADC; a
 * split layer keeps it digital. */
static void bias(void)
{
    enum { D = 4, N = 7, M = 6 };
    struct anas_analog_config c = quiet();
    float *W = randn(D * N, 0.5, 6), *X = randn(M * N, 0.3, 7), *b = randn(D, 2.0, 8);
    float W1[D * (N + 1)], X1[M * (N + 1)], Y0[M * D], Y1[M * D], Y2[M * D];
    struct anas_alayer *L, *L1;
    int dig = 1, ana = 1, differ = 0;

    for (int i = 0; i < D; i++) {
        memcpy(W1 + i * (N + 1), W + i * N, N * sizeof *W);
        W1[i * (N + 1) + N] = b[i];
    }
    for (int v = 0; v < M; v++) {
        memcpy(X1 + v * (N + 1), X + v * N, N * sizeof *X);
        X1[v * (N + 1) + N] = 1.0f;
    }
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, 0, Y0, 1);
    anas_alayer_set_weights(L, W, b);
    fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, 0, Y1, 1);
    for (int i = 0; i < M * D; i++)
        dig &= Y1[i] == Y0[i] + b[i % D];
    ok(dig, "digital bias: the tile's output plus b, exactly");
    anas_alayer_free(L);
    c.mapping.digital_bias = 0;
    L = anas_alayer_new(D, N, &c, NULL);
    L1 = anas_alayer_new(D, N + 1, &c, NULL);
    anas_alayer_set_weights(L, W, b);
    anas_alayer_set_weights(L1, W1, NULL);
    for (int cols = 0; cols < 2; cols++) {
        fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, cols, Y1, 1);
        fwd(L1, ANAS_ALAYER_CLEAN, X1, M, N + 1, D, cols, Y2, 1);
        for (int i = 0; i < M * D; i++) {
            ana &= Y1[i] == Y2[i];
            differ += fabs(Y1[i] - (Y0[i] + b[i % D])) > 1e-3;
        }
    }
    ok(ana, "analog bias: the same outputs as a tile with a column b and inputs of 1");
    ok(differ > 0, "... which differ from the digital bias (%d outputs): NM sees the 1",
       differ);
    anas_alayer_free(L);
    anas_alayer_free(L1);
    c.mapping.max_input_size = 3;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, 0, Y0, 1);
    anas_alayer_set_weights(L, W, b);
    fwd(L, ANAS_ALAYER_CLEAN, X, M, N, D, 0, Y1, 1);
    dig = 1;
    for (int i = 0; i < M * D; i++)
        dig &= Y1[i] == Y0[i] + b[i % D];
    ok(dig, "a split layer adds the bias digitally even when digital_bias is 0");
    anas_alayer_free(L);
    anas_free(W);
    anas_free(X);
    anas_free(b);
}

/* post_step's clip: FIXED_VALUE in tile units, written back to W; the
 * rest of W bit for bit; the bias untouched. */
static void clip(void)
{
    enum { D = 8, N = 16 };
    struct anas_analog_config c = preset("ideal");
    float *W = randn(D * N, 0.5, 9), W0[D * N], b[D], X[N], Y[D];
    struct anas_alayer *L;
    struct anas_rng rng;
    int rest = 1, bias_ok = 1;

    c.clip = (struct anas_analog_clip){ANAS_CLIP_FIXED_VALUE, 0.3f, 2.5f};
    memcpy(W0, W, sizeof W0);
    for (int i = 0; i < D; i++)
        b[i] = 5.0f + (float)i;
    for (int j = 0; j < N; j++)
        X[j] = 0.0f;
    anas_rng_seed(&rng, 1);
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, b);
    anas_alayer_post_step(L, W, NULL, &rng);
    is_near(max_abs(W, D * N), 0.3, 1e-7, "clip FIXED_VALUE 0.3: max |W| = 0.3");
    for (int i = 0; i < D * N; i++)
        rest &= fabs(W0[i]) > 0.3 || W[i] == W0[i];
    ok(rest, "... weights within +-0.3 unchanged");
    anas_alayer_forward(L, ANAS_ALAYER_CLEAN, X, 1, 0, N, Y, D, &rng);
    for (int i = 0; i < D; i++)
        bias_ok &= Y[i] == b[i];
    ok(bias_ok, "... the digital bias untouched");
    anas_alayer_free(L);
    /* with mapping: the clip is in tile units, a = max|W| / omega */
    memcpy(W, W0, sizeof W0);
    c.mapping.weight_scaling_omega = 1.0f;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_post_step(L, W, NULL, &rng);
    is_near(max_abs(W, D * N), 0.3 * max_abs(W0, D * N), 1e-6,
            "with omega 1, the clip is 0.3 of max|W| in digital units");
    anas_alayer_free(L);
    /* AVERAGE_CHANNEL_MAX: the mean of the rows' abs-max */
    {
        float W2[4] = {1.0f, 0.1f, 0.2f, -0.3f};

        c = preset("ideal");
        c.clip.type = ANAS_CLIP_AVERAGE_CHANNEL_MAX;
        L = anas_alayer_new(2, 2, &c, NULL);
        anas_alayer_set_weights(L, W2, NULL);
        anas_alayer_post_step(L, W2, NULL, &rng);
        ok(fabsf(W2[0] - 0.65f) < 1e-6f && W2[1] == 0.1f && W2[3] == -0.3f,
           "AVERAGE_CHANNEL_MAX clips at the mean of the rows' max (0.65)");
        anas_alayer_free(L);
    }
    anas_free(W);
}

/* Remap (aihwkit's test values): the tile weights go back to
 * remapped_wmax, the factor into the mapping scales; W unchanged. */
static void remap(void)
{
    float W[6] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, W2[6] = {-0.7f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    float W0[6];
    struct anas_analog_config c = preset("ideal");
    struct anas_alayer *L;
    struct anas__tile_view tv;
    struct anas_rng rng;

    anas_rng_seed(&rng, 2);
    memcpy(W0, W, sizeof W);
    c.remap.type = ANAS_REMAP_LAYERWISE;
    L = anas_alayer_new(2, 3, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_post_step(L, W, NULL, &rng);
    anas__alayer_tile(L, 0, &tv);
    ok(fabsf(tv.scale[0] - 0.6f) < 1e-6f && fabsf(tv.scale[1] - 0.6f) < 1e-6f &&
           fabsf(tv.w[5] - 1.0f) < 1e-6f && fabsf(tv.w[0] - 0.1f / 0.6f) < 1e-6f,
       "remap LAYERWISE: scales [0.6, 0.6], tile weights W / 0.6");
    ok(memcmp(W, W0, sizeof W) == 0, "... digital weights unchanged");
    anas_alayer_free(L);
    c.remap.type = ANAS_REMAP_CHANNELWISE;
    L = anas_alayer_new(2, 3, &c, NULL);
    anas_alayer_set_weights(L, W2, NULL);
    anas_alayer_post_step(L, W2, NULL, &rng);
    anas__alayer_tile(L, 0, &tv);
    ok(fabsf(tv.scale[0] - 0.7f) < 1e-6f && fabsf(tv.scale[1] - 0.6f) < 1e-6f &&
           fabsf(tv.w[0] + 1.0f) < 1e-6f && fabsf(tv.w[5] - 1.0f) < 1e-6f,
       "remap CHANNELWISE: scales [0.7, 0.6], each row's max |w| = 1");
    anas_alayer_free(L);
}

/* The modifier: MODIFIED is CLEAN until post_step draws it; with a
 * modifier it differs (and fb receives it), without one it does not. */
static void modifier(void)
{
    enum { D = 10, N = 20 };
    struct anas_analog_config c = preset("ideal");
    float *W = randn(D * N, 0.5, 10), Wc[D * N], Wm[D * N], fb[D * N], X[N], Y0[D], Y1[D];
    struct anas_alayer *L;
    struct anas_rng rng;
    int same = 1, differ = 0, fb_ok = 1;

    for (int j = 0; j < N; j++)
        X[j] = 1.0f;
    anas_rng_seed(&rng, 3);
    c.modifier.type = ANAS_MOD_ADD_NORMAL;
    c.modifier.std_dev = 0.1f;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_get_weights(L, ANAS_ALAYER_MODIFIED, Wm);
    ok(memcmp(Wm, W, sizeof Wm) == 0, "before the first post_step, MODIFIED = CLEAN");
    anas_alayer_post_step(L, W, fb, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_CLEAN, Wc);
    anas_alayer_get_weights(L, ANAS_ALAYER_MODIFIED, Wm);
    for (int i = 0; i < D * N; i++) {
        same &= fabsf(Wc[i] - W[i]) <= 1e-6f * fabsf(W[i]);
        differ += Wm[i] != Wc[i];
        fb_ok &= fb[i] == Wm[i];
    }
    ok(same && differ == D * N, "ADD_NORMAL: MODIFIED differs from CLEAN everywhere (%d)",
       differ);
    ok(fb_ok, "... and fb receives it");
    anas_alayer_forward(L, ANAS_ALAYER_CLEAN, X, 1, 0, N, Y0, D, &rng);
    anas_alayer_forward(L, ANAS_ALAYER_MODIFIED, X, 1, 0, N, Y1, D, &rng);
    ok(memcmp(Y0, Y1, sizeof Y0) != 0, "... the MODIFIED forward differs from the CLEAN one");
    anas_alayer_free(L);
    c.modifier.type = ANAS_MOD_NONE;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_post_step(L, W, fb, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_CLEAN, Wc);
    anas_alayer_get_weights(L, ANAS_ALAYER_MODIFIED, Wm);
    ok(memcmp(Wc, Wm, sizeof Wc) == 0 && memcmp(fb, Wc, sizeof Wc) == 0,
       "no modifier: MODIFIED = CLEAN = fb");
    anas_alayer_free(L);
    anas_free(W);
}

/* Least-squares slope of y on x. */
static double slope(const float *y, const float *x, int n)
{
    double xy = 0, xx = 0;

    for (int i = 0; i < n; i++) {
        xy += (double)x[i] * y[i];
        xx += (double)x[i] * x[i];
    }
    return xy / xx;
}

/* PCM drift with GlobalDriftCompensation: the uncompensated outputs
 * decay by E[(t/t0)^-nu] (nu ~ N(0.049, 0.008) for |W| >= 0.5 max|W|),
 * the compensated ones stay within a few % of the programmed ones. */
static void drift_compensation(void)
{
    enum { D = 64, N = 128, M = 200 };
    struct anas_analog_config c = preset("aihwkit-default");
    float *W = anas_malloc(D * N * sizeof *W), *X = randn(M * N, 1.0, 12);
    float *Yp = anas_malloc(M * D * sizeof *Yp), *Yc = anas_malloc(M * D * sizeof *Yc);
    struct anas_alayer *L = anas_alayer_new(D, N, &c, NULL);
    struct anas_rng rng;
    static const double days[2] = {1, 30};

    anas_rng_seed(&rng, 13);
    for (int i = 0; i < D * N; i++) /* |W| in [0.5, 1]: one drift class */
        W[i] = (float)((0.5 + 0.5 * anas_rng_uniform(&rng)) * (anas_rng_uniform(&rng) < 0.5 ? -1 : 1));
    anas_alayer_set_weights(L, W, NULL);
    ok(anas_alayer_forward(L, ANAS_ALAYER_DRIFTED, X, M, 0, N, Yp, D, &rng) == ANAS_ESTATE,
       "DRIFTED before programming: ANAS_ESTATE");
    anas_alayer_program(L, &rng);
    fwd(L, ANAS_ALAYER_DRIFTED, X, M, N, D, 0, Yp, 20);
    for (int k = 0; k < 2; k++) {
        double t = days[k] * 86400.0, L0 = log((t + 20.0) / 20.0);
        double want = exp(-0.049 * L0 + 0.5 * pow(0.008 * L0, 2)), a, sc, su;

        anas_alayer_drift(L, t, &rng);
        a = anas_alayer_alpha(L, 0);
        fwd(L, ANAS_ALAYER_DRIFTED, X, M, N, D, 1, Yc, 21);
        sc = slope(Yc, Yp, M * D);
        su = sc / a;
        ok(fabs(su / want - 1) < 0.03,
           "%g day(s): uncompensated outputs decay by (t/t0)^-nu: %.4f (expected %.4f)",
           days[k], su, want);
        ok(fabs(sc - 1) < 0.03, "%g day(s): compensated (alpha %.3f): %.4f of the programmed",
           days[k], a, sc);
    }
    anas_alayer_free(L);
    anas_free(W);
    anas_free(X);
    anas_free(Yp);
    anas_free(Yc);
}

/* Programming happens once: drifting twice reuses its noise and drift
 * parameters (without read noise, two drifts to the same t agree), with
 * fresh read noise each time; programming again re-draws. Noise model
 * NONE: programmed = drifted = clean, alpha 1. */
static void program_once(void)
{
    enum { D = 12, N = 30 };
    struct anas_analog_config c = preset("aihwkit-default");
    float *W = randn(D * N, 0.4, 14), A[D * N], B[D * N], P[D * N], Q[D * N];
    struct anas_alayer *L;
    struct anas_rng rng;
    double dev = 0;

    anas_rng_seed(&rng, 15);
    c.noise_model.read_noise_scale = 0.0f;
    c.drift_compensation = ANAS_DRIFT_COMP_NONE; /* the readouts are noisy */
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    ok(anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, A) == ANAS_ESTATE,
       "no DRIFTED weights before programming");
    anas_alayer_drift(L, 3600.0, &rng); /* programs first */
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, A);
    anas_alayer_drift(L, 3600.0, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, B);
    ok(memcmp(A, B, sizeof A) == 0,
       "without read noise, two drifts to 1 h agree: programming noise and nu are kept");
    anas_alayer_free(L);
    c.noise_model.read_noise_scale = 1.0f;
    c.drift_compensation = ANAS_DRIFT_COMP_GLOBAL;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_program(L, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, P);
    anas_alayer_drift(L, 3600.0, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, A);
    anas_alayer_drift(L, 3600.0, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, B);
    ok(memcmp(A, B, sizeof A) != 0, "with read noise, each drift differs");
    anas_alayer_program(L, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, Q);
    for (int i = 0; i < D * N; i++)
        dev += fabs(P[i] - W[i]) / (max_abs(W, D * N) * D * N);
    /* aihwkit's test: mean |dW| below 5 % of the weight range */
    ok(memcmp(P, Q, sizeof P) != 0 && dev < 0.05,
       "programming again re-draws from the same weights (mean |dW| %.3f of max |W|)", dev);
    anas_alayer_free(L);
    c.noise_model.type = ANAS_NOISE_NONE;
    L = anas_alayer_new(D, N, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_drift(L, 1e6, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, A);
    anas_alayer_get_weights(L, ANAS_ALAYER_CLEAN, B);
    ok(memcmp(A, B, sizeof A) == 0 && anas_alayer_alpha(L, 0) == 1.0f,
       "noise model NONE: drifted = clean, alpha 1");
    anas_alayer_free(L);
    anas_free(W);
}

/* Everything through one seed: two layers fed the same calls agree. */
static void run_all(const struct anas_analog_config *c, const float *W0, const float *X,
                    float *Y, float *Wout)
{
    enum { D = 70, N = 40, M = 33 };
    struct anas_alayer *L = anas_alayer_new(D, N, c, NULL);
    struct anas_rng rng;
    float W[D * N], fb[D * N];

    memcpy(W, W0, sizeof W);
    anas_rng_seed(&rng, 77);
    anas_alayer_set_weights(L, W, NULL);
    anas_alayer_post_step(L, W, fb, &rng);
    anas_alayer_forward(L, ANAS_ALAYER_MODIFIED, X, M, 0, N, Y, D, &rng);
    anas_alayer_drift(L, 86400.0, &rng);
    anas_alayer_forward(L, ANAS_ALAYER_DRIFTED, X, M, 0, N, Y + M * D, D, &rng);
    anas_alayer_get_weights(L, ANAS_ALAYER_DRIFTED, Wout);
    anas_alayer_free(L);
}

static void determinism(void)
{
    enum { D = 70, N = 40, M = 33 };
    struct anas_analog_config c = preset("aihwkit-default");
    float *W = randn(D * N, 0.3, 16), *X = randn(M * N, 1.0, 17);
    float Y1[2 * M * D], Y2[2 * M * D], W1[D * N], W2[D * N];

    c.modifier.type = ANAS_MOD_ADD_NORMAL;
    c.modifier.std_dev = 0.05f;
    c.mapping.max_output_size = 32; /* three tiles */
    run_all(&c, W, X, Y1, W1);
    run_all(&c, W, X, Y2, W2);
    ok(memcmp(Y1, Y2, sizeof Y1) == 0 && memcmp(W1, W2, sizeof W1) == 0,
       "same seed, same calls: the same outputs and weights, bit for bit");
    anas_free(W);
    anas_free(X);
}

static void bad_calls(void)
{
    struct anas_analog_config c = preset("aihwkit-default");
    struct anas_error err;
    struct anas_alayer *L;
    float W[4] = {0}, X[2] = {0}, Y[2];

    ok(anas_alayer_new(0, 3, &c, &err) == NULL && err.code == ANAS_EINVAL,
       "a layer of 0 outputs: ANAS_EINVAL");
    c.forward.out_noise = -1.0f;
    ok(anas_alayer_new(2, 2, &c, &err) == NULL && err.code == ANAS_ERANGE &&
           strcmp(err.field, "forward.out_noise") == 0,
       "a bad configuration is refused with its field");
    c.forward.out_noise = 0.06f;
    L = anas_alayer_new(2, 2, &c, NULL);
    anas_alayer_set_weights(L, W, NULL);
    is_int(anas_alayer_forward(L, ANAS_ALAYER_CLEAN, X, 1, 0, 1, Y, 2, NULL), ANAS_EINVAL,
           "ldx below n: ANAS_EINVAL");
    is_int(anas_alayer_forward(L, ANAS_ALAYER_CLEAN, X, 1, 0, 2, Y, 2, NULL), ANAS_EINVAL,
           "a noisy forward without an rng: ANAS_EINVAL");
    ok(anas_alayer_alpha(L, 5) == 1.0f && anas_alayer_alpha(L, 0) == 1.0f,
       "alpha is 1 before any drift");
    anas_alayer_free(L);
    anas_alayer_free(NULL);
}

/* Every allocation of anas_alayer_new, and of the first program and
 * forward, failing in turn: ANAS_ENOMEM, nothing leaks (valgrind), and
 * the layer still works afterwards. */
static void out_of_memory(void)
{
    struct anas_analog_config c = preset("aihwkit-default");
    struct anas_error err;
    struct anas_alayer *L = NULL;
    struct anas_rng rng;
    float *W = randn(30 * 20, 0.3, 18), X[20 * 4] = {0}, Y[30 * 4];
    int n, clean = 1, rc = ANAS_ENOMEM;

    c.mapping.max_output_size = 16;
    for (n = 0; n < 100 && !L; n++) {
        anas_error_clear(&err);
        anas_alloc_fail_after(n);
        L = anas_alayer_new(30, 20, &c, &err);
        anas_alloc_fail_after(-1);
        if (!L)
            clean &= err.code == ANAS_ENOMEM;
    }
    ok(L && clean && n > 3, "anas_alayer_new: %d allocations, each failure ANAS_ENOMEM", n - 1);
    anas_alayer_set_weights(L, W, NULL);
    anas_rng_seed(&rng, 1);
    clean = 1;
    for (n = 0; n < 100 && rc == ANAS_ENOMEM; n++) {
        anas_alloc_fail_after(n);
        rc = anas_alayer_drift(L, 100.0, &rng);
        anas_alloc_fail_after(-1);
        clean &= rc == 0 || rc == ANAS_ENOMEM;
    }
    ok(rc == 0 && clean, "program and drift: each failure ANAS_ENOMEM, then success");
    rc = ANAS_ENOMEM;
    for (n = 0; n < 100 && rc == ANAS_ENOMEM; n++) {
        anas_alloc_fail_after(n);
        rc = anas_alayer_forward(L, ANAS_ALAYER_DRIFTED, X, 4, 0, 20, Y, 30, &rng);
        anas_alloc_fail_after(-1);
    }
    ok(rc == 0, "forward: ANAS_ENOMEM until its scratch memory can be had");
    anas_alayer_free(L);
    anas_free(W);
}

int main(void)
{
    plan_later();
    splits();
    split_equals_unsplit();
    mapping();
    bias();
    clip();
    remap();
    modifier();
    drift_compensation();
    program_once();
    determinism();
    bad_calls();
    out_of_memory();
    return done();
}
