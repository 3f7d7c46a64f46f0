/*
 * bench-aihwkit.c - aihwkit's examples 1, 2, 7 and 8 (examples/0N_*.py)
 * on lib/analog's pulsed tiles, over many seeds: the final printed loss's
 * mean, median, p10 and p90, and the mean loss curve.
 *
 *     bench-aihwkit EXAMPLE [SEEDS]      (EXAMPLE 1, 2, 7 or 8; SEEDS 200)
 *     bench-aihwkit speed [PRESET]      (the pulsed update's time per sample)
 *     bench-aihwkit update PRESET SIZE BATCH   (the update alone, SIZE x SIZE)
 *
 * The Python glue is copied: AnalogLinear layers with torch's init
 * (W, b ~ U(-1/sqrt(in), 1/sqrt(in))), digital biases stepped by SGD,
 * mse_loss (mean), AnalogSGD lr 0.1 (0.5 for example 2), one mini-batch
 * of the tiny tensors per epoch; the printed loss is the one before the
 * step, as the examples print it.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analog/pulsed.h"
#include "core/rng.h"

#define MAXL 3
#define MAXW 8

struct layer {
    struct anas_ptile *t;
    int in, out;
    float b[MAXW];
};

struct example {
    int n_layers, dims[MAXL + 1], epochs, M;
    float lr;
    const char *preset;
    const float *x, *y;
};

static const float x_ex1[] = {0.1f, 0.2f, 0.4f, 0.3f, 0.2f, 0.1f, 0.1f, 0.3f};
static const float y_ex1[] = {1.0f, 0.5f, 0.7f, 0.3f};
static const float x_ex2[] = {0.1f, 0.2f, 0.0f, 0.0f, 0.2f, 0.4f, 0.0f, 0.0f};
static const float y_ex2[] = {0.3f, 0.6f};

static int setup(int ex, struct example *e)
{
    static const struct example one = {1, {4, 2}, 100, 2, 0.1f, "constant-step", x_ex1, y_ex1};
    static const struct example two = {3, {4, 2, 2, 1}, 100, 2, 0.5f, "constant-step", x_ex2, y_ex2};

    switch (ex) {
    case 1: *e = one; return 0;
    case 2: *e = two; return 0;
    case 7: *e = one; e->preset = "vector-unit-cell"; return 0;
    case 8: *e = one; e->preset = "tiki-taka"; e->epochs = 500; return 0;
    default: return -1;
    }
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* numpy's default percentile (linear interpolation). */
static double pct(const double *s, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);

    return lo + 1 < n ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[n - 1];
}

/* One training run; curve[e] += the loss of epoch e. The final loss. */
static double run(const struct example *e, uint64_t seed, double *curve)
{
    struct anas_analog_training tc;
    struct layer L[MAXL];
    struct anas_rng rng;
    float act[MAXL + 1][2 * MAXW], grad[MAXL + 1][2 * MAXW], W[MAXW * MAXW];
    double loss = 0;
    int M = e->M, nout = e->dims[e->n_layers];

    anas_pulsed_preset(e->preset, &tc);
    anas_rng_seed(&rng, seed);
    for (int l = 0; l < e->n_layers; l++) {
        float bound = 1.0f / sqrtf((float)e->dims[l]);

        L[l].in = e->dims[l];
        L[l].out = e->dims[l + 1];
        L[l].t = anas_ptile_new(L[l].out, L[l].in, &tc, anas_rng_u64(&rng), NULL);
        for (int k = 0; k < L[l].in * L[l].out; k++)
            W[k] = bound * (float)(2 * anas_rng_uniform(&rng) - 1);
        for (int k = 0; k < L[l].out; k++)
            L[l].b[k] = bound * (float)(2 * anas_rng_uniform(&rng) - 1);
        anas_ptile_set_weights(L[l].t, W);
    }
    for (int ep = 0; ep < e->epochs; ep++) {
        memcpy(act[0], e->x, (size_t)M * e->dims[0] * sizeof(float));
        for (int l = 0; l < e->n_layers; l++) {
            anas_ptile_forward(L[l].t, act[l], M, 0, L[l].in, act[l + 1], L[l].out);
            for (int s = 0; s < M; s++)
                for (int o = 0; o < L[l].out; o++)
                    act[l + 1][s * L[l].out + o] += L[l].b[o];
        }
        loss = 0;
        for (int k = 0; k < M * nout; k++) {
            double r = act[e->n_layers][k] - e->y[k];

            loss += r * r / (M * nout);
            grad[e->n_layers][k] = (float)(2 * r / (M * nout));
        }
        curve[ep] += loss;
        for (int l = e->n_layers - 1; l >= 0; l--)
            if (l > 0)
                anas_ptile_backward(L[l].t, grad[l + 1], M, 0, L[l].out, grad[l], L[l].in);
        for (int l = 0; l < e->n_layers; l++) {
            anas_ptile_update(L[l].t, act[l], grad[l + 1], M, e->lr);
            for (int o = 0; o < L[l].out; o++) {
                float g = 0;

                for (int s = 0; s < M; s++)
                    g += grad[l + 1][s * L[l].out + o];
                L[l].b[o] -= e->lr * g;
            }
            anas_ptile_post_step(L[l].t);
        }
    }
    for (int l = 0; l < e->n_layers; l++)
        anas_ptile_free(L[l].t);
    return loss;
}

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Example 3's first layer (784 -> 256) at its batch (64) and lr (0.05):
 * x like Fashion-MNIST pixels (in [0, 1], a third of them 0), d like a
 * mean loss's output gradients (about 1e-3). Times forward, backward and
 * the update per sample, over about 2 s. */
static int speed(const char *preset)
{
    enum { D = 256, N = 784, M = 64 };
    static float X[M * N], Dg[M * D], Y[M * D], DX[M * N], W[D * N];
    struct anas_analog_training tc;
    struct anas_ptile *t;
    struct anas_rng rng;
    double t0, tf = 0, tb = 0, tu = 0;
    int reps = 0;

    if (anas_pulsed_preset(preset, &tc) < 0) {
        fprintf(stderr, "unknown preset %s\n", preset);
        return 2;
    }
    anas_rng_seed(&rng, 1);
    for (int k = 0; k < M * N; k++)
        X[k] = anas_rng_uniform(&rng) < 0.33 ? 0.0f : (float)anas_rng_uniform(&rng);
    for (int k = 0; k < M * D; k++)
        Dg[k] = (float)(1e-3 * anas_rng_normal(&rng));
    for (int k = 0; k < D * N; k++)
        W[k] = (float)(0.07 * (2 * anas_rng_uniform(&rng) - 1));
    t = anas_ptile_new(D, N, &tc, 1, NULL);
    anas_ptile_set_weights(t, W);
    while (tf + tb + tu < 2.0) {
        t0 = now();
        anas_ptile_forward(t, X, M, 0, N, Y, D);
        tf += now() - t0;
        t0 = now();
        anas_ptile_backward(t, Dg, M, 0, D, DX, N);
        tb += now() - t0;
        t0 = now();
        anas_ptile_update(t, X, Dg, M, 0.05f);
        tu += now() - t0;
        reps++;
    }
    printf("%s, 256x784 tile, batch 64, lr 0.05: per sample forward %.1f us, backward %.1f us,"
           " update %.1f us (%d batches)\n",
           preset, 1e6 * tf / (reps * M), 1e6 * tb / (reps * M), 1e6 * tu / (reps * M), reps);
    anas_ptile_free(t);
    return 0;
}

/* The pulsed update alone of a SIZE x SIZE tile at batch M (lr 0.05, the
 * data of speed()), per sample, over about 2 s: what tests/bench/
 * aihwkit-speed compares with aihwkit's engine. */
static int update_speed(const char *preset, int n, int m)
{
    struct anas_analog_training tc;
    struct anas_ptile *t;
    struct anas_rng rng;
    float *X, *Dg, *W;
    double t0, tu = 0;
    long reps = 0;

    if (anas_pulsed_preset(preset, &tc) < 0 || n < 1 || n > 4096 || m < 1 || m > 4096) {
        fprintf(stderr, "usage: bench-aihwkit update PRESET SIZE BATCH\n");
        return 2;
    }
    X = malloc((size_t)m * n * sizeof *X);
    Dg = malloc((size_t)m * n * sizeof *Dg);
    W = malloc((size_t)n * n * sizeof *W);
    if (!X || !Dg || !W)
        return 1;
    anas_rng_seed(&rng, 1);
    for (size_t k = 0; k < (size_t)m * n; k++)
        X[k] = anas_rng_uniform(&rng) < 0.33 ? 0.0f : (float)anas_rng_uniform(&rng);
    for (size_t k = 0; k < (size_t)m * n; k++)
        Dg[k] = (float)(1e-3 * anas_rng_normal(&rng));
    for (size_t k = 0; k < (size_t)n * n; k++)
        W[k] = (float)(0.07 * (2 * anas_rng_uniform(&rng) - 1));
    t = anas_ptile_new(n, n, &tc, 1, NULL);
    anas_ptile_set_weights(t, W);
    /* the size of one update, to tell equal work from less */
    {
        float *W0 = malloc((size_t)n * n * sizeof *W0), *W1 = malloc((size_t)n * n * sizeof *W1);
        double dw = 0;

        if (!W0 || !W1)
            return 1;
        anas_ptile_get_weights(t, W0);
        anas_ptile_update(t, X, Dg, m, 0.05f);
        anas_ptile_get_weights(t, W1);
        for (size_t k = 0; k < (size_t)n * n; k++)
            dw += fabs((double)W1[k] - W0[k]);
        printf("anasd %s %dx%d batch %d: first update mean|dW| %.3g\n", preset, n, n, m,
               dw / ((double)n * n));
        free(W0);
        free(W1);
    }
    while (tu < 2.0) {
        t0 = now();
        anas_ptile_update(t, X, Dg, m, 0.05f);
        tu += now() - t0;
        reps++;
    }
    printf("anasd %s %dx%d batch %d: update %.2f us per sample (%ld batches)\n", preset, n, n, m,
           1e6 * tu / ((double)reps * m), reps);
    anas_ptile_free(t);
    free(X);
    free(Dg);
    free(W);
    return 0;
}

int main(int argc, char **argv)
{
    struct example e;
    int ex = argc > 1 ? atoi(argv[1]) : 0, n = argc > 2 ? atoi(argv[2]) : 200;
    double *fin, *curve;

    if (argc > 4 && strcmp(argv[1], "update") == 0)
        return update_speed(argv[2], atoi(argv[3]), atoi(argv[4]));
    if (argc > 1 && strcmp(argv[1], "speed") == 0)
        return speed(argc > 2 ? argv[2] : "constant-step");
    if (setup(ex, &e) < 0 || n < 1) {
        fprintf(stderr, "usage: bench-aihwkit 1|2|7|8 [SEEDS]\n");
        return 2;
    }
    fin = calloc((size_t)n, sizeof *fin);
    curve = calloc((size_t)e.epochs, sizeof *curve);
    if (!fin || !curve)
        return 1;
    for (int s = 0; s < n; s++)
        fin[s] = run(&e, 1000 + (uint64_t)s, curve);
    qsort(fin, (size_t)n, sizeof *fin, cmp);
    {
        double m = 0;

        for (int s = 0; s < n; s++)
            m += fin[s] / n;
        printf("example %d (%s, %d epochs, n=%d): final loss mean %.4f median %.4f "
               "p10 %.4f p90 %.4f range %.4f-%.4f\n",
               ex, e.preset, e.epochs, n, m, pct(fin, n, 0.5), pct(fin, n, 0.1),
               pct(fin, n, 0.9), fin[0], fin[n - 1]);
    }
    printf("  mean curve:");
    for (int ep = 0; ep < e.epochs; ep++)
        if (ep == 0 || ep == 5 || ep == 10 || ep == 20 || ep == 50 || ep % 100 == 0 ||
            ep == e.epochs - 1)
            printf(" e%d %.4f", ep, curve[ep] / n);
    printf("\n");
    free(fin);
    free(curve);
    return 0;
}
