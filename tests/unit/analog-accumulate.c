/*
 * analog-accumulate.c - a tile's outputs added into Y (the second and later
 * input tiles of a layer) against the same forward writing Y, in both
 * layouts, with noise, weight noise, bound management's retries, vectors
 * whose noise-management scale is 0, a gain and per-row scales. In the
 * columns layout the first round's ADC writes Y itself and retries
 * overwrite their vectors (io.c, adc_stage and scatter), except where Y
 * accumulates under bound management: each way, Y0 + (the written
 * outputs) must be what accumulating gives, to the bit. (A vector of
 * zeros gives 0 but with input noise, as in aihwkit's CPU engine.)
 */
#include "config.h"

#include "analog/analog_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

enum { D = 24, N = 40, M = 1500 }; /* two blocks of vectors */

static float *table;
static struct anas__ws ws;

/* The forward of W on X (already in the layout's order) into Y. */
static int run(const struct anas_analog_io *io, const float *W, const float *X, int cols,
               const float *rs, int acc, float *Y, uint64_t seed)
{
    struct anas__mvm w = {W, D, N, 0};
    struct anas__mvm_io b = {X, M, cols, cols ? M : N, Y, cols ? M : D, 0.75f, rs, acc};
    struct anas__io_state st = {-1.0f};
    struct anas_rng rng;
    struct anas__gauss g;

    anas_rng_seed(&rng, seed);
    anas__gauss_seed(&g, table, &rng);
    return anas__io_forward(io, &st, &w, &b, &ws, &g);
}

/* Inputs: most vectors small, every 7th clipping (W all positive, X all
 * 1: bound management halves its scale a few times), every 11th 0. */
static void inputs(float *X, int cols, struct anas_rng *rng)
{
    for (int v = 0; v < M; v++)
        for (int j = 0; j < N; j++) {
            float x = v % 11 == 0 ? 0.0f : v % 7 == 0 ? 1.0f : (float)anas_rng_normal(rng);

            X[cols ? (size_t)j * M + v : (size_t)v * N + j] = x;
        }
}

static void check(const char *what, struct anas_analog_io io, int cols)
{
    float *W = anas_malloc(D * N * sizeof *W), *X = anas_malloc((size_t)M * N * sizeof *X);
    float *Y0 = anas_malloc((size_t)M * D * sizeof *Y0);
    float *Yw = anas_malloc((size_t)M * D * sizeof *Yw);
    float *Ya = anas_malloc((size_t)M * D * sizeof *Ya);
    float rs[D];
    struct anas_rng rng;
    int rc, same = 1, zeros = 1;

    anas_rng_seed(&rng, 21);
    for (int i = 0; i < D * N; i++)
        W[i] = (float)anas_rng_uniform(&rng) * (i % D < D / 2 ? 1.0f : 0.2f);
    for (int i = 0; i < D; i++)
        rs[i] = 0.5f + (float)i / D;
    inputs(X, cols, &rng);
    for (size_t i = 0; i < (size_t)M * D; i++)
        Ya[i] = Y0[i] = (float)anas_rng_normal(&rng);
    rc = run(&io, W, X, cols, rs, 0, Yw, 5);
    if (rc == 0)
        rc = run(&io, W, X, cols, rs, 1, Ya, 5);
    for (int v = 0; v < M; v++)
        for (int i = 0; i < D; i++) {
            size_t k = cols ? (size_t)i * M + v : (size_t)v * D + i;

            same &= Ya[k] == Y0[k] + Yw[k];
            if (v % 11 == 0 && !(io.inp_noise > 0.0f)) /* input noise: not 0 */
                zeros &= Yw[k] == 0.0f;
        }
    ok(rc == 0 && same && zeros, "%s, %s: Y0 + written outputs = accumulated, to the bit; "
       "NM-scale-0 vectors give 0", what, cols ? "columns" : "rows");
    anas_free(W);
    anas_free(X);
    anas_free(Y0);
    anas_free(Yw);
    anas_free(Ya);
}

/* That the inputs make bound management repeat vectors, and that the
 * repeats matter: without it, the clipping vectors' outputs differ. */
static void retries_happen(struct anas_analog_io io)
{
    float *W = anas_malloc(D * N * sizeof *W), *X = anas_malloc((size_t)M * N * sizeof *X);
    float *Y1 = anas_malloc((size_t)M * D * sizeof *Y1);
    float *Y2 = anas_malloc((size_t)M * D * sizeof *Y2);
    struct anas_rng rng;
    int differ = 0;

    anas_rng_seed(&rng, 21);
    for (int i = 0; i < D * N; i++)
        W[i] = (float)anas_rng_uniform(&rng) * (i % D < D / 2 ? 1.0f : 0.2f);
    inputs(X, 1, &rng);
    io.out_noise = 0.0f;
    run(&io, W, X, 1, NULL, 0, Y1, 5);
    io.bound_management = ANAS_BM_NONE;
    run(&io, W, X, 1, NULL, 0, Y2, 5);
    for (int v = 7; v < M; v += 7 * 11)
        differ += Y1[v] != Y2[v];
    ok(differ > 0, "the test's clipping vectors go through bound management's retries");
    anas_free(W);
    anas_free(X);
    anas_free(Y1);
    anas_free(Y2);
}

int main(void)
{
    struct anas_analog_config c;
    struct anas_analog_io io;

    plan(9);
    table = anas__gauss_table_new();
    anas_analog_preset("aihwkit-default", &c);
    io = c.forward;
    io.out_bound = 4.0f; /* more clipping */
    retries_happen(io);
    for (int cols = 0; cols < 2; cols++) {
        struct anas_analog_io a = io;

        check("iterative BM, output noise", a, cols);
        a.bound_management = ANAS_BM_NONE;
        check("no BM, output noise", a, cols);
        a = io;
        a.w_noise = 0.02f;
        a.w_noise_type = ANAS_WN_PCM_READ;
        check("iterative BM, PCM read weight noise", a, cols);
        a.inp_noise = 0.01f;
        a.w_noise_type = ANAS_WN_ADDITIVE_CONSTANT;
        check("iterative BM, input and additive weight noise", a, cols);
    }
    anas_free(table);
    anas__ws_fini(&ws);
    return done();
}
