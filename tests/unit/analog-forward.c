/*
 * analog-forward.c - the IO-managed forward of one tile (lib/analog/io.c)
 * against aihwkit's CPU engine (src/rpucuda/rpu_forward_backward_pass.cpp):
 * worked vectors that engine computed (IBM/aihwkit 4545f11, 1.1.0+), a
 * float64 re-implementation of its algorithm on random noise-free cases,
 * every noise- and bound-management kind, both input layouts, the noise
 * statistics, the quantization steps of the default IOParameters, and the
 * fast normal generator.
 *
 * Statistical checks use fixed seeds and tolerances of 5 standard errors
 * of the sample size.
 */
#include "config.h"

#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

static float *table;
static struct anas__ws ws;

static struct anas_analog_io defaults(void)
{
    struct anas_analog_config c;

    anas_analog_preset("aihwkit-default", &c);
    return c.forward;
}

/* The forward of W (d, n) on M vectors X (M, n - bias_col) in layout cols;
 * Y comes back as (M, d) whatever the layout. */
static int run(const struct anas_analog_io *io, struct anas__io_state *st, const float *W,
               int d, int n, int bias_col, const float *X, int M, int cols, float *Y,
               uint64_t seed)
{
    int nx = n - bias_col, rc;
    float *Xt = anas_malloc((size_t)M * nx * sizeof *Xt);
    float *Yt = anas_malloc((size_t)M * d * sizeof *Yt);
    struct anas__mvm w = {W, d, n, bias_col};
    struct anas__mvm_io b = {cols ? Xt : X, M, cols, cols ? M : nx, cols ? Yt : Y,
                             cols ? M : d, 1.0f, NULL, 0};
    struct anas__io_state st0 = {-1.0f};
    struct anas_rng rng;
    struct anas__gauss g;

    anas_rng_seed(&rng, seed);
    anas__gauss_seed(&g, table, &rng);
    for (int v = 0; v < M; v++)
        for (int j = 0; j < nx; j++)
            Xt[(size_t)j * M + v] = X[(size_t)v * nx + j];
    rc = anas__io_forward(io, st ? st : &st0, &w, &b, &ws, &g);
    if (cols)
        for (int v = 0; v < M; v++)
            for (int i = 0; i < d; i++)
                Y[(size_t)v * d + i] = Yt[(size_t)i * M + v];
    anas_free(Xt);
    anas_free(Yt);
    return rc;
}

/* --- a float64 re-implementation of aihwkit's forward (noise-free) --- */

static double dstep(float res, float bound)
{
    double r = res > 0.0f ? res : 0.0;

    if (r > 1.0)
        r = 1.0 / r;
    return r * 2.0 * bound > 0.0 ? r * 2.0 * bound : 0.0;
}

static double dq(double v, double step)
{
    return step > 0.0 ? rint(v / step) * step : v;
}

static double np_sum(const struct anas_analog_io *io, const double *x, int n, double sin)
{
    double a = 0, p = 0, q = 0, ob = io->out_bound > 0 ? io->out_bound : 1.0, s;

    for (int j = 0; j < n; j++) {
        a = fmax(a, fabs(x[j]));
        p += x[j] > 0 ? x[j] : 0;
        q += x[j] < 0 ? x[j] : 0;
    }
    if (io->nm_thres > 0)
        a = fmin(a, io->nm_thres);
    s = fmax(p, -q) * io->nm_assumed_wmax / ob;
    if (sin > 0)
        s = fmin(a / sin * io->max_bm_res, s);
    return fmax(a, s);
}

static double nm_of(const struct anas_analog_io *io, const double *x, int n, double *avg)
{
    double a = 0, m = -HUGE_VAL;

    for (int j = 0; j < n; j++) {
        a = fmax(a, fabs(x[j]));
        m = fmax(m, x[j]);
    }
    switch (io->noise_management) {
    case ANAS_NM_NONE:
        return 1.0;
    case ANAS_NM_CONSTANT:
        return io->nm_thres > 0 ? io->nm_thres : 1.0;
    case ANAS_NM_MAX:
        return io->nm_thres > 0 ? fmin(m, io->nm_thres) : m;
    case ANAS_NM_AVERAGE_ABS_MAX:
        *avg = *avg < 0 ? a : *avg * (1 - (double)io->nm_decay) + io->nm_decay * a;
        return *avg;
    case ANAS_NM_ABS_MAX_NP_SUM:
        return np_sum(io, x, n, dstep(io->inp_res, io->inp_bound));
    default:
        return io->nm_thres > 0 ? fmin(a, io->nm_thres) : a;
    }
}

/* One vector x (n, with the bias 1 already appended if any): y (d) and
 * the factor nm * red * out_scale its ADC values were multiplied by. */
static void ref_vector(const struct anas_analog_io *io, const float *W, int d, int n,
                       const double *x, double *avg, double *y, double *fac)
{
    double sin = dstep(io->inp_res, io->inp_bound), sout = dstep(io->out_res, io->out_bound);
    double ib = io->inp_bound > 0 ? io->inp_bound : HUGE_VAL;
    double ob = io->out_bound > 0 ? io->out_bound : HUGE_VAL;
    double nm = nm_of(io, x, n, avg), red = 1.0, xq[1024];
    int nm_on = io->noise_management != ANAS_NM_NONE;
    int bm_on = io->bound_management != ANAS_BM_NONE;

    if (nm_on && nm <= 0) {
        for (int i = 0; i < d; i++)
            y[i] = 0;
        *fac = 0;
        return;
    }
    for (int round = 0;; round++) {
        double s = 1.0;
        int pass = 1;

        if (round == 1 && io->bound_management == ANAS_BM_ITERATIVE_WORST_CASE &&
            io->noise_management != ANAS_NM_ABS_MAX_NP_SUM) {
            nm = np_sum(io, x, n, sin);
            red = 1.0;
        }
        if (nm_on && nm > 0)
            s /= nm;
        if (bm_on)
            s /= red;
        for (int j = 0; j < n; j++)
            xq[j] = fmin(fmax(dq(x[j] * s, sin), -ib), ib);
        for (int i = 0; i < d; i++) {
            double v = 0;

            for (int j = 0; j < n; j++)
                v += W[(size_t)i * n + j] * xq[j];
            v = dq(v, sout);
            if (v > ob || (io->bm_test_negative_bound && v < -ob))
                pass = 0;
            y[i] = fmin(fmax(v, -ob), ob);
        }
        *fac = io->out_scale / s;
        if (!bm_on || pass || red > io->max_bm_factor || (sin > 0 && red > io->max_bm_res / sin))
            break;
        red *= 2;
    }
    for (int i = 0; i < d; i++)
        y[i] *= *fac;
}

/* --- tests --- */

static void steps(void)
{
    is_near(anas_analog_step(1.0f / 126.0f, 1.0f), 1.0 / 63.0, 1e-8,
            "DAC step 1/63 (default inp_res)");
    is_near(anas_analog_step(1.0f / 510.0f, 12.0f), 24.0 / 510.0, 1e-8,
            "ADC step 24/510 = 0.0470588 (default out_res)");
    is_near(anas_analog_step(126.0f, 1.0f), 2.0 / 126.0, 1e-8, "res > 1 counts steps");
    ok(anas_analog_step(0.0f, 1.0f) == 0.0f && anas_analog_step(-1.0f, 1.0f) == 0.0f &&
           anas_analog_step(0.1f, -1.0f) == 0.0f,
       "res <= 0 or an unbounded range: no quantization");
    is_near(255.0 * anas_analog_step(1.0f / 510.0f, 12.0f), 12.0, 1e-5,
            "255 ADC steps reach the bound 12");
}

/* The outputs of a sweep sit on the DAC/ADC grids: x' = k/63, y = l*24/510. */
static void grids(void)
{
    struct anas_analog_io io = defaults();
    float W[1] = {1.0f}, X[401], Y[401];
    int on_grid = 1;

    io.out_noise = 0.0f;
    io.noise_management = ANAS_NM_NONE;
    io.bound_management = ANAS_BM_NONE;
    for (int k = 0; k < 401; k++)
        X[k] = -1.0f + (float)k * 0.005f + 0.0001f; /* no ties */
    run(&io, NULL, W, 1, 1, 0, X, 401, 0, Y, 1);
    for (int k = 0; k < 401; k++) {
        double want = rint(rint(X[k] * 63.0) / 63.0 / (24.0 / 510.0)) * (24.0 / 510.0);
        double l = Y[k] / (24.0 / 510.0);

        if (fabs(Y[k] - want) > 1e-6 || fabs(l - rint(l)) > 1e-4) {
            printf("#   x %g: y %.9g, want %.9g\n", X[k], Y[k], want);
            on_grid = 0;
        }
    }
    ok(on_grid, "a sweep of inputs lands on the 1/63 DAC and 24/510 ADC grids");
}

struct vec37 {
    const char *what;
    int d, n;
    enum anas_nm nm;
    enum anas_bm bm;
    double y0;
};

/* aihwkit's worked vectors (its CPU engine's outputs; out_noise 0, defaults
 * otherwise), in both layouts. */
static void table37(void)
{
    static const float W1[8] = {0.5f, -0.25f, 0.125f, 1.0f, -1.0f, 0.3f, 0.7f, -0.2f};
    static const float x1[4] = {0.3f, -0.9f, 0.05f, 0.6f};
    float W[512], x[512], y[2];
    struct anas_analog_io io = defaults();

    io.out_noise = 0.0f;
    for (int cols = 0; cols < 2; cols++) {
        const char *lay = cols ? "columns" : "rows";

        run(&io, NULL, W1, 2, 4, 0, x1, 1, cols, y, 7);
        ok(fabs(y[0] - 0.9741177) < 1e-5 && fabs(y[1] + 0.6352942) < 1e-5,
           "aihwkit 2x4, NM ABS_MAX, BM ITERATIVE: [0.9741177, -0.6352942] (%s)", lay);
        if (fabs(y[0] - 0.9741177) >= 1e-5 || fabs(y[1] + 0.6352942) >= 1e-5)
            printf("#   got [%.9g, %.9g]\n", y[0], y[1]);
        io.noise_management = ANAS_NM_NONE;
        io.bound_management = ANAS_BM_NONE;
        run(&io, NULL, W1, 2, 4, 0, x1, 1, cols, y, 7);
        ok(fabs(y[0] - 0.9882354) < 1e-5 && fabs(y[1] + 0.6588236) < 1e-5,
           "aihwkit 2x4, NM NONE, BM NONE: [0.9882354, -0.6588236] (%s)", lay);
        io = defaults();
        io.out_noise = 0.0f;
        for (int i = 0; i < 128; i++)
            W[i] = 1.0f;
        for (int j = 0; j < 64; j++)
            x[j] = 0.5f;
        run(&io, NULL, W, 2, 64, 0, x, 1, cols, y, 7);
        is_near(y[0], 32.5647087, 1e-4,
                "aihwkit ones(2x64) x 0.5: 32.5647087 after 4 BM rounds (%s)", lay);
        ok(y[0] == y[1], "... both rows alike");
        for (int j = 0; j < 512; j++)
            W[j] = x[j] = 1.0f;
        run(&io, NULL, W, 1, 512, 0, x, 1, cols, y, 7);
        is_near(y[0], 192.0, 1e-4, "aihwkit ones(1x512) x ones: 192 = 12 * 16, BM limit (%s)",
                lay);
        io.bound_management = ANAS_BM_NONE;
        run(&io, NULL, W, 1, 512, 0, x, 1, cols, y, 7);
        is_near(y[0], 12.0, 1e-5, "the same with BM NONE: 12 (%s)", lay);
        /* worst case: round 1 rescales by the NP sum (15.75 here), red 1,
         * then 2 and 4: y = 173 ADC steps * 15.75 * 4 */
        io.bound_management = ANAS_BM_ITERATIVE_WORST_CASE;
        run(&io, NULL, W, 1, 512, 0, x, 1, cols, y, 7);
        is_near(y[0], 173.0 * 24.0 / 510.0 * 15.75 * 4.0, 1e-3,
                "BM ITERATIVE_WORST_CASE: 512.89 instead of 192 (%s)", lay);
        io = defaults();
        io.out_noise = 0.0f;
    }
}

/* Random noise-free cases against the float64 reference. */
static void reference(enum anas_nm nm, enum anas_bm bm, int bias_col, int n_cases,
                      int need_pct)
{
    struct anas_analog_io io = defaults();
    struct anas_rng rng;
    int exact = 0, one = 0, other = 0, total = 0;
    double avg_ref = -1.0;
    struct anas__io_state st = {-1.0f};

    io.out_noise = 0.0f;
    io.noise_management = nm;
    io.bound_management = bm;
    if (nm == ANAS_NM_CONSTANT || nm == ANAS_NM_MAX)
        io.nm_thres = nm == ANAS_NM_CONSTANT ? 1.5f : 0.8f;
    if (nm == ANAS_NM_AVERAGE_ABS_MAX)
        io.nm_decay = 0.2f;
    anas_rng_seed(&rng, 1000 + nm * 10 + bm + bias_col * 100);
    for (int c = 0; c < n_cases; c++) {
        int d = 1 + (int)anas_rng_int(&rng, 0, 8), n = 1 + bias_col + (int)anas_rng_int(&rng, 0, 64);
        int M = 1 + (int)anas_rng_int(&rng, 0, 4), nx = n - bias_col;
        float W[8 * 65], X[4 * 65], Y[4 * 8];
        double sc = exp(anas_rng_uniform(&rng) * 4.0 - 2.0);

        for (int i = 0; i < d * n; i++)
            W[i] = (float)(anas_rng_uniform(&rng) * 2.0 - 1.0);
        for (int i = 0; i < M * nx; i++)
            X[i] = (float)((anas_rng_uniform(&rng) * 2.0 - 1.0) * sc);
        run(&io, &st, W, d, n, bias_col, X, M, c & 1, Y, 5);
        for (int v = 0; v < M; v++) {
            double x[65], y[8], fac;

            for (int j = 0; j < nx; j++)
                x[j] = X[v * nx + j];
            if (bias_col)
                x[nx] = 1.0;
            ref_vector(&io, W, d, n, x, &avg_ref, y, &fac);
            for (int i = 0; i < d; i++) {
                double diff = fabs(Y[v * d + i] - y[i]);
                double adc = dstep(io.out_res, io.out_bound) * fac;

                total++;
                if (diff <= 1e-5 * fmax(1.0, fabs(y[i])))
                    exact++;
                else if (fabs(diff - adc) <= 1e-4 * fmax(1.0, adc))
                    one++;
                else
                    other++;
            }
        }
    }
    ok(exact * 100 >= need_pct * total && other == 0,
       "NM %d, BM %d%s: %d/%d outputs equal the float64 reference, %d one ADC step off, "
       "%d other",
       nm, bm, bias_col ? ", analog bias" : "", exact, total, one, other);
}

/* Bound management is per vector: a vector that clips does not change
 * the others of its batch. */
static void bm_per_vector(void)
{
    struct anas_analog_io io = defaults();
    float W[64], X[3 * 64], Y[3], y1[1];
    int same = 1;

    io.out_noise = 0.0f;
    for (int j = 0; j < 64; j++) {
        W[j] = 1.0f;
        X[j] = 0.01f * (float)(j % 5);     /* small */
        X[64 + j] = 1.0f;                  /* clips for 3 rounds */
        X[128 + j] = j % 2 ? 0.5f : -0.5f; /* cancels out */
    }
    for (int cols = 0; cols < 2; cols++) {
        run(&io, NULL, W, 1, 64, 0, X, 3, cols, Y, 3);
        for (int v = 0; v < 3; v++) {
            run(&io, NULL, W, 1, 64, 0, X + 64 * v, 1, cols, y1, 3);
            same &= Y[v] == y1[0];
        }
    }
    ok(same, "BM re-runs only the clipping vector: batched results equal one-by-one ones");
}

/* The two layouts give the same outputs on a noise-free batch. */
static void layouts(void)
{
    enum { D = 40, N = 70, M = 300 };
    struct anas_analog_io io = defaults();
    float *W = anas_malloc(D * N * sizeof *W), *X = anas_malloc(M * N * sizeof *X);
    float *Y0 = anas_malloc(M * D * sizeof *Y0), *Y1 = anas_malloc(M * D * sizeof *Y1);
    struct anas_rng rng;
    int same = 0;

    io.out_noise = 0.0f;
    anas_rng_seed(&rng, 11);
    for (int i = 0; i < D * N; i++)
        W[i] = (float)(anas_rng_uniform(&rng) - 0.5);
    for (int i = 0; i < M * N; i++)
        X[i] = (float)(anas_rng_normal(&rng) * (1 + i / N % 3));
    run(&io, NULL, W, D, N, 0, X, M, 0, Y0, 1);
    run(&io, NULL, W, D, N, 0, X, M, 1, Y1, 1);
    for (int i = 0; i < M * D; i++)
        same += Y0[i] == Y1[i];
    ok(same >= M * D * 99 / 100, "rows and columns layouts agree on %d/%d outputs", same,
       M * D);
    anas_free(W);
    anas_free(X);
    anas_free(Y0);
    anas_free(Y1);
}

/* Large batches run in blocks of vectors: a batch in one call equals the
 * same batch in five calls, AVERAGE_ABS_MAX's running value included. */
static void blocks(void)
{
    enum { D = 8, N = 20, M = 2500 };
    struct anas_analog_io io = defaults();
    float W[D * N], *X = anas_malloc(M * N * sizeof *X);
    float *Y0 = anas_malloc(M * D * sizeof *Y0), *Y1 = anas_malloc(M * D * sizeof *Y1);
    struct anas_rng rng;
    int same = 1;

    io.out_noise = 0.0f;
    io.noise_management = ANAS_NM_AVERAGE_ABS_MAX;
    io.nm_decay = 0.01f;
    anas_rng_seed(&rng, 12);
    for (int i = 0; i < D * N; i++)
        W[i] = (float)(anas_rng_uniform(&rng) - 0.5);
    for (int i = 0; i < M * N; i++)
        X[i] = (float)(anas_rng_normal(&rng) * (1 + i / N % 7));
    for (int cols = 0; cols < 2; cols++) {
        struct anas__io_state s0 = {-1.0f}, s1 = {-1.0f};

        run(&io, &s0, W, D, N, 0, X, M, cols, Y0, 1);
        for (int k = 0; k < 5; k++)
            run(&io, &s1, W, D, N, 0, X + k * (M / 5) * N, M / 5, cols, Y1 + k * (M / 5) * D, 1);
        same &= memcmp(Y0, Y1, M * D * sizeof *Y0) == 0 && s0.nm_avg == s1.nm_avg;
    }
    ok(same, "2500 vectors in one call (blocks of 1024) = in five calls, both layouts");
    anas_free(X);
    anas_free(Y0);
    anas_free(Y1);
}

static void perfect(void)
{
    enum { D = 9, N = 33, M = 17 };
    struct anas_analog_io io = defaults();
    float W[D * (N + 1)], X[M * N], Y[M * D];
    struct anas_rng rng;
    double worst = 0;

    io.is_perfect = 1;
    io.out_scale = 2.5f;
    anas_rng_seed(&rng, 5);
    for (int i = 0; i < D * (N + 1); i++)
        W[i] = (float)anas_rng_normal(&rng);
    for (int i = 0; i < M * N; i++)
        X[i] = (float)(anas_rng_normal(&rng) * 30.0);
    for (int bias = 0; bias < 2; bias++)
        for (int cols = 0; cols < 2; cols++) {
            worst = 0;
            run(&io, NULL, W, D, N + bias, bias, X, M, cols, Y, 1);
            for (int v = 0; v < M; v++)
                for (int i = 0; i < D; i++) {
                    double s = bias ? W[i * (N + 1) + N] : 0.0, mag = fabs(s);

                    for (int j = 0; j < N; j++) {
                        s += (double)W[i * (N + bias) + j] * X[v * N + j];
                        mag += fabs((double)W[i * (N + bias) + j] * X[v * N + j]);
                    }
                    /* float sums: error relative to the sum of magnitudes */
                    worst = fmax(worst, fabs(Y[v * D + i] - 2.5 * s) / (2.5 * mag));
                }
            ok(worst < 1e-5, "is_perfect: the plain product times out_scale (%s%s), rel err %.2g",
               cols ? "columns" : "rows", bias ? ", analog bias" : "", worst);
        }
}

/* A vector whose NM scale is 0 gives 0 (the engine's short cut), noise or
 * not; MAX of a negative vector too. */
static void zero_vectors(void)
{
    struct anas_analog_io io = defaults();
    float W[4] = {1, 1, 1, 1}, X[8] = {0, 0, 0, 0, -0.5f, -0.2f, -0.1f, -0.3f}, Y[2];

    run(&io, NULL, W, 1, 4, 0, X, 2, 0, Y, 1);
    ok(Y[0] == 0.0f, "a zero input gives exactly 0 despite out_noise");
    io.noise_management = ANAS_NM_MAX;
    run(&io, NULL, W, 1, 4, 0, X, 2, 1, Y, 1);
    ok(Y[1] == 0.0f, "NM MAX of an all-negative vector gives 0");
}

/* AVERAGE_ABS_MAX keeps its running value in the tile's state. */
static void average_abs_max(void)
{
    struct anas_analog_io io = defaults();
    struct anas__io_state st = {-1.0f};
    float W[2] = {1, 1}, X[6] = {2, 0, 0, 1, 0.5f, 0.5f}, Y[3];

    io.out_noise = 0.0f;
    io.noise_management = ANAS_NM_AVERAGE_ABS_MAX;
    io.nm_decay = 0.5f;
    run(&io, &st, W, 1, 2, 0, X, 1, 0, Y, 1);
    is_near(st.nm_avg, 2.0, 1e-6, "AVERAGE_ABS_MAX: the first vector sets the average");
    run(&io, &st, W, 1, 2, 0, X + 2, 2, 0, Y, 1);
    is_near(st.nm_avg, 0.5 * (0.5 * 2.0 + 0.5 * 1.0) + 0.5 * 0.5, 1e-6,
            "... then an EMA, vector by vector within a batch");
}

/* Output noise: a zero-weight tile's output is the noise alone, in input
 * units: std = out_noise * nm (no ADC quantization here). */
static void output_noise(void)
{
    enum { D = 64, N = 16, M = 512 };
    struct anas_analog_io io = defaults();
    float W[D * N] = {0}, *X = anas_malloc(M * N * sizeof *X), *Y = anas_malloc(M * D * sizeof *Y);
    double s1 = 0, s2 = 0, n = (double)M * D;

    io.out_res = 0.0f;
    for (int i = 0; i < M * N; i++)
        X[i] = i % N == 3 ? -2.0f : 0.25f; /* nm = 2 */
    run(&io, NULL, W, D, N, 0, X, M, 1, Y, 21);
    for (int i = 0; i < M * D; i++) {
        s1 += Y[i];
        s2 += (double)Y[i] * Y[i];
    }
    s1 /= n;
    s2 = sqrt(s2 / n - s1 * s1);
    /* 5 standard errors: of the mean sigma/sqrt(n), of the std sigma/sqrt(2n) */
    is_near(s1, 0.0, 5 * 0.12 / sqrt(n), "output noise: mean 0");
    is_near(s2, 0.12, 5 * 0.12 / sqrt(2 * n), "output noise: std out_noise * nm = 0.12 (%.5f)",
            s2);
    anas_free(X);
    anas_free(Y);
}

/* Weight noise and input noise, through a known input (no quantization,
 * no NM, no BM). */
static double out_std(const struct anas_analog_io *io, const float *W, int d, int n,
                      const float *x, double *mean, uint64_t seed)
{
    enum { M = 2048 };
    float *X = anas_malloc((size_t)M * n * sizeof *X), *Y = anas_malloc((size_t)M * d * sizeof *Y);
    double s1 = 0, s2 = 0, cnt = (double)M * d;

    for (int v = 0; v < M; v++)
        memcpy(X + (size_t)v * n, x, (size_t)n * sizeof *x);
    run(io, NULL, W, d, n, 0, X, M, (int)(seed & 1), Y, seed);
    for (int i = 0; i < M * d; i++) {
        s1 += Y[i];
        s2 += (double)Y[i] * Y[i];
    }
    anas_free(X);
    anas_free(Y);
    *mean = s1 / cnt;
    return sqrt(s2 / cnt - *mean * *mean);
}

static void other_noise(void)
{
    struct anas_analog_io io = defaults();
    float W0[4 * 2] = {0}, W[4 * 4], x2[2] = {0.6f, 0.8f}, x4[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    /* relative standard error of a std: 1 / sqrt(2 n); the outputs of one
     * vector share its input noise, so only the vectors count there */
    double mean, sd, tol = 5.0 / sqrt(2.0 * 2048 * 4), tol_v = 5.0 / sqrt(2.0 * 2048);

    io.inp_res = io.out_res = 0.0f;
    io.noise_management = ANAS_NM_NONE;
    io.bound_management = ANAS_BM_NONE;
    io.out_noise = 0.0f;
    io.w_noise = 0.1f;
    io.w_noise_type = ANAS_WN_ADDITIVE_CONSTANT;
    sd = out_std(&io, W0, 4, 2, x2, &mean, 2);
    is_near(sd, 0.1, 0.1 * tol, "ADDITIVE_CONSTANT w_noise: std w_noise * |x| = 0.1 (%.5f)", sd);
    sd = out_std(&io, W0, 4, 2, x2, &mean, 3);
    is_near(sd, 0.1, 0.1 * tol, "... in the columns layout too (%.5f)", sd);
    for (int i = 0; i < 16; i++)
        W[i] = i % 2 ? -0.25f : 0.25f;
    io.w_noise_type = ANAS_WN_PCM_READ;
    sd = out_std(&io, W, 4, 4, x4, &mean, 4);
    is_near(sd, 0.05, 0.05 * tol,
            "PCM_READ w_noise: std w_noise * sqrt(sum |W| x^2) = 0.05 (%.5f)", sd);
    is_near(mean, 0.0, 5 * 0.05 / sqrt(2048 * 4), "... around the exact product");
    io.w_noise = 0.0f;
    io.inp_noise = 0.03f;
    io.out_noise = 0.04f;
    sd = out_std(&io, W, 4, 4, x4, &mean, 5);
    is_near(sd, sqrt(0.04 * 0.04 + 4 * 0.0625 * 0.03 * 0.03), 0.05 * tol_v,
            "input and output noise add up: std sqrt(0.04^2 + sum W^2 0.03^2) (%.5f)", sd);
}

/* Stochastic rounding is unbiased: ADC step 1, y = 0.3 rounds to 0 or 1. */
static void sto_round(void)
{
    struct anas_analog_io io = defaults();
    float W[1] = {1.0f}, x[1] = {0.3f};
    double mean, sd, n = 2048;

    io.noise_management = ANAS_NM_NONE;
    io.bound_management = ANAS_BM_NONE;
    io.out_noise = 0.0f;
    io.inp_res = 0.0f;
    io.out_res = 1.0f / 24.0f; /* step 1 */
    out_std(&io, W, 1, 1, x, &mean, 6);
    is_near(mean, 0.0, 1e-9, "deterministic rounding: 0.3 -> 0");
    io.out_sto_round = 1;
    sd = out_std(&io, W, 1, 1, x, &mean, 6);
    is_near(mean, 0.3, 5 * sqrt(0.21 / n), "out_sto_round: E[y] = 0.3 (%.4f)", mean);
    ok(fabs(sd - sqrt(0.21)) < 0.05, "... a Bernoulli spread (std %.3f)", sd);
    io.out_sto_round = 0;
    io.out_res = 0.0f;
    io.inp_res = 1.0f / 24.0f; /* DAC step 1/12: x = 0.3 lies 0.6 of the way from 3/12 */
    io.inp_sto_round = 1;
    out_std(&io, W, 1, 1, x, &mean, 8);
    is_near(mean, 0.3, 5 * sqrt(0.24 / n) / 12.0, "inp_sto_round: E[x'] = 0.3 (%.4f)", mean);
}

static void gauss(void)
{
    enum { N = 1 << 20 };
    float *z = anas_malloc(N * sizeof *z), *z2 = anas_malloc(1000 * sizeof *z2);
    struct anas_rng rng;
    struct anas__gauss g;
    double s1 = 0, s2 = 0, s4 = 0, lag = 0, tail = 0, t1 = 0, t2 = 0;
    int same = 1;

    for (int k = 0; k < 1 << ANAS__GAUSS_BITS; k++) {
        t1 += table[k];
        t2 += (double)table[k] * table[k];
    }
    t2 /= 1 << ANAS__GAUSS_BITS;
    ok(fabs(t1) < 1e-9 && fabs(t2 - 1.0) < 1e-6, "normal table: mean 0, variance 1 (%.9f)",
       t2);
    ok(table[0] < -4.2f && table[0] > -4.4f, "... tails to %.3f sigma", -table[0]);
    anas_rng_seed(&rng, 99);
    anas__gauss_seed(&g, table, &rng);
    anas__gauss_fill(&g, z, 7); /* odd counts too */
    anas__gauss_fill(&g, z + 7, N - 7);
    for (int i = 0; i < N; i++) {
        double v = z[i];

        s1 += v;
        s2 += v * v;
        s4 += v * v * v * v;
        tail += fabs(v) > 2.0;
        if (i)
            lag += v * z[i - 1];
    }
    s1 /= N;
    s2 /= N;
    is_near(s1, 0.0, 5 / sqrt(N), "fast normals: mean 0 (%.5f)", s1);
    is_near(s2, 1.0, 5 * sqrt(2.0 / N), "fast normals: variance 1 (%.5f)", s2);
    is_near(s4 / N, 3.0, 5 * sqrt(96.0 / N), "fast normals: 4th moment 3 (%.4f)", s4 / N);
    is_near(tail / N, 0.0455003, 5 * sqrt(0.0455 * 0.9545 / N), "P(|z| > 2) = 4.55%% (%.5f)",
            tail / N);
    is_near(lag / N, 0.0, 5 / sqrt(N), "no correlation between neighbours (%.5f)", lag / N);
    anas_rng_seed(&rng, 99);
    anas__gauss_seed(&g, table, &rng);
    anas__gauss_fill(&g, z2, 7);
    anas__gauss_fill(&g, z2 + 7, 993);
    for (int i = 0; i < 1000; i++)
        same &= z2[i] == z[i];
    ok(same, "the same seed gives the same deviates");
    anas__uniform_fill(&g, z, N);
    s1 = s2 = 0;
    same = 1;
    for (int i = 0; i < N; i++) {
        s1 += z[i];
        s2 += (z[i] - 0.5) * (z[i] - 0.5);
        same &= z[i] >= 0.0f && z[i] < 1.0f;
    }
    ok(same && fabs(s1 / N - 0.5) < 5 * sqrt(1.0 / 12 / N) &&
           fabs(s2 / N - 1.0 / 12) < 5 * sqrt(1.0 / 180 / N),
       "uniforms in [0, 1): mean 1/2, variance 1/12");
    anas_free(z);
    anas_free(z2);
}

int main(void)
{
    plan_later();
    table = anas__gauss_table_new();
    if (!table)
        return 1;
    steps();
    grids();
    table37();
    reference(ANAS_NM_ABS_MAX, ANAS_BM_ITERATIVE, 0, 300, 95);
    reference(ANAS_NM_ABS_MAX, ANAS_BM_NONE, 0, 200, 95);
    reference(ANAS_NM_ABS_MAX, ANAS_BM_ITERATIVE_WORST_CASE, 0, 200, 95);
    reference(ANAS_NM_NONE, ANAS_BM_ITERATIVE, 0, 200, 95);
    reference(ANAS_NM_MAX, ANAS_BM_ITERATIVE, 0, 200, 95);
    reference(ANAS_NM_CONSTANT, ANAS_BM_ITERATIVE, 0, 200, 95);
    reference(ANAS_NM_ABS_MAX_NP_SUM, ANAS_BM_ITERATIVE, 0, 200, 95);
    reference(ANAS_NM_AVERAGE_ABS_MAX, ANAS_BM_ITERATIVE, 0, 200, 95);
    reference(ANAS_NM_ABS_MAX, ANAS_BM_ITERATIVE, 1, 200, 95);
    bm_per_vector();
    layouts();
    blocks();
    perfect();
    zero_vectors();
    average_abs_max();
    output_noise();
    other_noise();
    sto_round();
    gauss();
    anas__ws_fini(&ws);
    anas_free(table);
    return done();
}
