/*
 * bench-tile.c - what the analog forward of a layer costs next to the
 * plain sgemm of the same product (run by hand; make builds it, make
 * check does not run it).
 *
 *     tests/bench/bench-tile [preset]     (default: aihwkit-default)
 *
 * For each shape, M = 1024 vectors of n inputs through d outputs: the
 * time of anas_blas_sgemm, of anas_alayer_forward with the vectors as rows
 * (linear) and as columns (conv im2col), in ns per call, and the ratios.
 * Weights ~ N(0, 1/n), inputs ~ N(0, 1): inside the ADC range, so bound
 * management rarely repeats a vector, as in a trained net. Set
 * OPENBLAS_NUM_THREADS=1 to time one core.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analog/analog.h"
#include "core/alloc.h"
#include "core/rng.h"
#include "tensor/blas.h"

enum { M = 1024 };

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct job {
    struct anas_alayer *L;
    const float *W, *X, *Xt;
    float *Y;
    int d, n, what; /* 0 sgemm, 1 analog rows, 2 analog columns */
    struct anas_rng rng;
};

static int call(struct job *j)
{
    switch (j->what) {
    case 0:
        anas_blas_sgemm(0, 1, M, j->d, j->n, 1.0f, j->X, j->n, j->W, j->n, 0.0f, j->Y, j->d);
        return 0;
    case 1:
        return anas_alayer_forward(j->L, ANAS_ALAYER_CLEAN, j->X, M, 0, j->n, j->Y, j->d,
                                   &j->rng);
    default:
        return anas_alayer_forward(j->L, ANAS_ALAYER_CLEAN, j->Xt, M, 1, M, j->Y, M, &j->rng);
    }
}

/* The best of 5 runs of about 50 ms each, in ns per call. */
static double time_ns(struct job *j)
{
    double best = 1e30;
    int reps = 1;

    if (call(j) < 0) /* warm up (and build the noise table) */
        return -1.0;
    for (double t0 = now(); now() - t0 < 0.05; reps *= 2)
        for (int r = 0; r < reps; r++)
            call(j);
    for (int k = 0; k < 5; k++) {
        double t0 = now();

        for (int r = 0; r < reps; r++)
            call(j);
        t0 = (now() - t0) / reps;
        best = t0 < best ? t0 : best;
    }
    return best * 1e9;
}

static int bench(const struct anas_analog_config *cfg, int n, int d)
{
    struct job j = {.d = d, .n = n};
    float *W = anas_malloc((size_t)d * n * sizeof *W), *X = anas_malloc((size_t)M * n * sizeof *X);
    float *Xt = anas_malloc((size_t)M * n * sizeof *Xt), *Y = anas_malloc((size_t)M * d * sizeof *Y);
    double t[3];
    struct anas_error err;

    j.L = anas_alayer_new(d, n, cfg, &err);
    if (!W || !X || !Xt || !Y || !j.L) {
        fprintf(stderr, "bench-tile: %s\n", j.L ? "out of memory" : err.msg);
        return 1;
    }
    anas_rng_seed(&j.rng, 1);
    for (size_t i = 0; i < (size_t)d * n; i++)
        W[i] = (float)(anas_rng_normal(&j.rng) / sqrt((double)n));
    for (size_t i = 0; i < (size_t)M * n; i++)
        X[i] = (float)anas_rng_normal(&j.rng);
    for (int v = 0; v < M; v++)
        for (int k = 0; k < n; k++)
            Xt[(size_t)k * M + v] = X[(size_t)v * n + k];
    anas_alayer_set_weights(j.L, W, NULL);
    j.W = W;
    j.X = X;
    j.Xt = Xt;
    j.Y = Y;
    for (j.what = 0; j.what < 3; j.what++)
        t[j.what] = time_ns(&j);
    printf("%5d %5d %6d %12.0f %12.0f %12.0f %7.2f %7.2f\n", n, d, anas_alayer_n_tiles(j.L),
           t[0], t[1], t[2], t[1] / t[0], t[2] / t[0]);
    anas_alayer_free(j.L);
    anas_free(W);
    anas_free(X);
    anas_free(Xt);
    anas_free(Y);
    return 0;
}

int main(int argc, char **argv)
{
    static const int shapes[][2] = {
        {9, 16},    {9, 64},    {49, 16},   {49, 64},   {144, 16},  {144, 64},
        {144, 128}, {256, 256}, {512, 512}, {576, 64},  {576, 128}, {576, 256},
        {512, 16},  {256, 64},  {64, 512},  {512, 128}, {1152, 256},
    };
    const char *preset = argc > 1 ? argv[1] : "aihwkit-default";
    struct anas_analog_config cfg;

    if (anas_analog_preset(preset, &cfg) < 0) {
        fprintf(stderr, "bench-tile: no preset %s\n", preset);
        return 2;
    }
    printf("# preset %s, M = %d vectors; times in ns per call\n", preset, M);
    printf("#   n     d  tiles        sgemm  analog-rows  analog-cols  rows/s  cols/s\n");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (bench(&cfg, shapes[i][0], shapes[i][1]))
            return 1;
    return 0;
}
