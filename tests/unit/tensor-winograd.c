/*
 * tensor-winograd.c - the F(4x4, 3x3) transforms: a convolution through
 * them equals the direct one (within float rounding), the backward
 * transforms are the adjoints of the forward ones, and the AVX-512 path
 * gives the portable path's bits exactly.
 *
 * Grids cover whole and partial tiles and paddings 0..2; the products
 * between transforms are plain loops here, so that only the transforms are
 * under test.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "tensor/winograd.h"

#include "tap.h"

#define P36 ANAS_WINO_POS

static struct anas_rng rng;

static float *randn(size_t n)
{
    float *x = malloc((n ? n : 1) * sizeof(float));

    for (size_t i = 0; i < n; i++)
        x[i] = (float)anas_rng_normal(&rng);
    return x;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;

    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

struct geom {
    int g, C, OC, H, W, pad, K;
};

/* y = conv(x, w) through U, V and M, against the direct sum in double. */
static void conv_matches(const struct geom *q)
{
    struct anas_wino_grid gr;
    size_t T, nf = (size_t)q->OC * q->C;
    float *x, *w, *U, *V, *M, *y, *work, *bias;
    double worst = 0.0, scale = 0.0;

    anas_wino_grid_init(&gr, q->H, q->W, q->pad, q->K);
    T = (size_t)q->g * gr.nt;
    x = randn((size_t)q->g * q->C * q->H * q->W);
    w = randn(nf * q->K * q->K);
    bias = randn((size_t)q->OC);
    U = malloc(P36 * nf * sizeof(float));
    V = malloc(P36 * q->C * T * sizeof(float));
    M = calloc(P36 * q->OC * T, sizeof(float));
    y = malloc((size_t)q->g * q->OC * gr.OH * gr.OW * sizeof(float));
    work = malloc(anas_wino_work(&gr, T) * sizeof(float));
    anas_wino_weights(U, w, nf, 0, nf, q->K);
    anas_wino_input(V, T, q->C * T, x, q->g, q->C, &gr, work);
    for (int p = 0; p < P36; p++)
        for (int o = 0; o < q->OC; o++)
            for (int c = 0; c < q->C; c++)
                for (size_t t = 0; t < T; t++)
                    M[(p * q->OC + o) * T + t] +=
                        U[p * nf + (size_t)o * q->C + c] * V[(p * q->C + c) * T + t];
    anas_wino_output(y, M, T, q->OC * T, q->g, q->OC, &gr, bias, work);
    for (int j = 0; j < q->g; j++)
        for (int o = 0; o < q->OC; o++)
            for (int oh = 0; oh < gr.OH; oh++)
                for (int ow = 0; ow < gr.OW; ow++) {
                    double s = bias[o], e;

                    for (int c = 0; c < q->C; c++)
                        for (int kh = 0; kh < q->K; kh++)
                            for (int kw = 0; kw < q->K; kw++) {
                                int ih = oh - q->pad + kh, iw = ow - q->pad + kw;

                                if (ih >= 0 && ih < q->H && iw >= 0 && iw < q->W)
                                    s += (double)
                                             x[((j * q->C + c) * q->H + ih) * q->W + iw] *
                                         w[((o * q->C + c) * q->K + kh) * q->K + kw];
                            }
                    e = fabs(s - y[((j * q->OC + o) * gr.OH + oh) * gr.OW + ow]);
                    worst = e > worst ? e : worst;
                    scale = fabs(s) > scale ? fabs(s) : scale;
                }
    ok(worst <= 1e-5 * scale,
       "k%d %dx%d pad %d, %d sample(s), %d->%d channels: Winograd = direct (max error "
       "%.2g of %.3g)",
       q->K, q->H, q->W, q->pad, q->g, q->C, q->OC, worst, scale);
    free(x), free(w), free(bias), free(U), free(V), free(M), free(y), free(work);
}

/* <forward(a), b> = <a, backward(b)> for the three pairs of transforms. */
static void adjoints(const struct geom *q)
{
    struct anas_wino_grid gr;
    size_t T, nf = (size_t)q->OC * q->C, nx, ny, nv, nm;
    float *x, *dx, *V, *dV, *M, *dM, *y, *dy, *w, *dw, *U, *dU, *work;
    double l, r;

    anas_wino_grid_init(&gr, q->H, q->W, q->pad, q->K);
    T = (size_t)q->g * gr.nt;
    nx = (size_t)q->g * q->C * q->H * q->W, nv = P36 * q->C * T;
    ny = (size_t)q->g * q->OC * gr.OH * gr.OW, nm = P36 * q->OC * T;
    x = randn(nx), dV = randn(nv), V = malloc(nv * sizeof(float));
    dx = calloc(nx, sizeof(float));
    M = randn(nm), dy = randn(ny), y = malloc(ny * sizeof(float));
    dM = malloc(nm * sizeof(float));
    w = randn(nf * q->K * q->K), dU = randn(P36 * nf),
    U = malloc(P36 * nf * sizeof(float));
    dw = calloc(nf * q->K * q->K, sizeof(float));
    work = malloc(anas_wino_work(&gr, T) * sizeof(float));

    anas_wino_input(V, T, q->C * T, x, q->g, q->C, &gr, work);
    anas_wino_dinput(dx, 0, dV, T, q->C * T, q->g, q->C, &gr, work);
    l = dot(V, dV, nv), r = dot(x, dx, nx);
    ok(fabs(l - r) <= 1e-4 * (fabs(l) + 1.0), "%dx%d pad %d: dinput is input's adjoint",
       q->H, q->W, q->pad);
    anas_wino_output(y, M, T, q->OC * T, q->g, q->OC, &gr, NULL, work);
    anas_wino_dout(dM, T, q->OC * T, dy, q->g, q->OC, &gr, work);
    l = dot(y, dy, ny), r = dot(M, dM, nm);
    ok(fabs(l - r) <= 1e-4 * (fabs(l) + 1.0), "%dx%d pad %d: dout is output's adjoint",
       q->H, q->W, q->pad);
    anas_wino_weights(U, w, nf, 0, nf, q->K);
    anas_wino_dweights(dw, dU, nf, 0, nf, q->K);
    l = dot(U, dU, P36 * nf), r = dot(w, dw, nf * q->K * q->K);
    ok(fabs(l - r) <= 1e-4 * (fabs(l) + 1.0), "%d->%d: dweights is weights' adjoint",
       q->C, q->OC);
    free(x), free(dx), free(V), free(dV), free(M), free(dM), free(y), free(dy);
    free(w), free(dw), free(U), free(dU), free(work);
}

static int same(const float *a, const float *b, size_t n)
{
    return memcmp(a, b, n * sizeof(float)) == 0;
}

/* The public transforms (AVX-512 where it applies) against the portable
 * ones: the same bits. */
static void fast_equals_portable(const struct geom *q)
{
    struct anas_wino_grid gr;
    size_t T, nx, ny, nv, nm;
    float *x, *dV, *M, *dy, *bias, *a, *b, *work;
    int fast, good = 1;

    anas_wino_grid_init(&gr, q->H, q->W, q->pad, q->K);
    fast = anas__wino_fast(&gr);
    T = (size_t)q->g * gr.nt;
    nx = (size_t)q->g * q->C * q->H * q->W, nv = P36 * q->C * T;
    ny = (size_t)q->g * q->C * gr.OH * gr.OW, nm = P36 * q->C * T;
    x = randn(nx), dV = randn(nv), M = randn(nm), dy = randn(ny), bias = randn(q->C);
    a = malloc((nv > nx ? nv : nx) * sizeof(float));
    b = malloc((nv > nx ? nv : nx) * sizeof(float));
    work = malloc(anas_wino_work(&gr, T) * sizeof(float));

    anas_wino_input(a, T, q->C * T, x, q->g, q->C, &gr, work);
    anas__wino_input_portable(b, T, q->C * T, x, q->g, q->C, &gr, work);
    good &= same(a, b, nv);
    anas_wino_output(a, M, T, q->C * T, q->g, q->C, &gr, bias, work);
    anas__wino_output_portable(b, M, T, q->C * T, q->g, q->C, &gr, bias, work);
    good &= same(a, b, ny);
    anas_wino_dout(a, T, q->C * T, dy, q->g, q->C, &gr, work);
    anas__wino_dout_portable(b, T, q->C * T, dy, q->g, q->C, &gr, work);
    good &= same(a, b, nm);
    for (int acc = 0; acc < 2; acc++) {
        memcpy(a, x, nx * sizeof(float)), memcpy(b, x, nx * sizeof(float));
        anas_wino_dinput(a, acc, dV, T, q->C * T, q->g, q->C, &gr, work);
        anas__wino_dinput_portable(b, acc, dV, T, q->C * T, q->g, q->C, &gr, work);
        good &= same(a, b, nx);
    }
    ok(good, "%dx%d pad %d: the %s path gives the portable path's bits", q->H, q->W,
       q->pad, fast ? "AVX-512" : "(portable: no AVX-512 path for it here)");
    free(x), free(dV), free(M), free(dy), free(bias), free(a), free(b), free(work);
}

int main(void)
{
    static const struct geom cases[] = {
        {2, 3, 4, 8, 8, 1, 3},
        {1, 2, 3, 7, 9, 0, 3},
        {2, 3, 2, 5, 5, 2, 3},
        {3, 4, 5, 24, 24, 1, 3},
        {1, 2, 2, 28, 28, 1, 3},
        {1, 2, 2, 13, 6, 1, 3},
        /* F(2x2, 5x5): LeNet's 12x12 to 8x8, odd sizes, paddings */
        {3, 4, 5, 12, 12, 0, 5},
        {2, 2, 3, 9, 7, 2, 5},
        {1, 3, 2, 6, 11, 4, 5},
    };
    int n = (int)(sizeof(cases) / sizeof(cases[0]));

    plan(5 * n + 1);
    anas_rng_seed(&rng, 11);
    for (int i = 0; i < n; i++) {
        conv_matches(&cases[i]);
        adjoints(&cases[i]);
        fast_equals_portable(&cases[i]);
    }
    /* 40 wide: beyond the AVX-512 path's 32, the portable path alone */
    {
        struct anas_wino_grid gr;

        anas_wino_grid_init(&gr, 40, 40, 1, 3);
        ok(!anas__wino_fast(&gr), "planes wider than 32 take the portable path");
    }
    return done();
}
