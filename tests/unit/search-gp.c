/*
 * search-gp.c - the Gaussian process behind bo (lib/search/gp.c) and its
 * LAPACK wrappers (lib/tensor/blas.c): the Cholesky factor, solves and
 * triangular solves of a known matrix; the Matérn 5/2 kernel, posterior
 * mean and variance and log marginal likelihood against a two-point case
 * worked by hand; expected improvement against its formula, including the
 * sigma -> 0 limit; hyperparameter fitting raising the likelihood and
 * telling a relevant dimension from an idle one.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/err.h"
#include "core/rng.h"
#include "search/gp.h"
#include "tap.h"
#include "tensor/blas.h"

/* A = L L^T with L = [2 0 0; 1 3 0; -1 1 2]:
 * A = [4 2 -2; 2 10 2; -2 2 6]; A [1 2 3]^T = [2 28 20]^T. */
static void test_lapack(void)
{
    double A[9] = {4, 2, -2, 2, 10, 2, -2, 2, 6};
    const double L[9] = {2, 0, 0, 1, 3, 0, -1, 1, 2};
    double b[3] = {2, 28, 20}, B[6] = {2, 1, 28, 2, 20, 3};
    double bad[4] = {1, 2, 2, 1}; /* eigenvalues 3 and -1 */
    double maxerr = 0;

    is_int(anas_lapack_dpotrf(3, A, 3), 0, "dpotrf: positive definite");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j <= i; j++)
            maxerr = fmax(maxerr, fabs(A[i * 3 + j] - L[i * 3 + j]));
    ok(maxerr < 1e-14, "dpotrf: lower triangle is the known factor (max error %g)", maxerr);
    is_near(A[1], 2, 0, "dpotrf: strict upper triangle untouched");
    anas_lapack_dpotrs(3, A, 3, b);
    is_near(b[0], 1, 1e-13, "dpotrs: x0 = 1");
    is_near(b[1], 2, 1e-13, "dpotrs: x1 = 2");
    is_near(b[2], 3, 1e-13, "dpotrs: x2 = 3");
    /* L^-1 [2 28 20] with columns: L y = b: y0 = 1, y1 = (28 - 1)/3 = 9,
     * y2 = (20 + 1 - 9)/2 = 6; second column [1 2 3]: 0.5, 0.5, 1.5. */
    anas_blas_dtrsm(0, 3, 2, A, 3, B, 2);
    is_near(B[0], 1, 1e-13, "dtrsm: L^-1 b, first column");
    is_near(B[2], 9, 1e-13, "dtrsm: second row");
    is_near(B[4], 6, 1e-13, "dtrsm: third row");
    is_near(B[5], 1.5, 1e-13, "dtrsm: second column, third row");
    /* L^T z = [1 9 6]: z2 = 3, z1 = (9 - 3)/3 = 2, z0 = (1 - 2 + 3)/2 = 1. */
    anas_blas_dtrsm(1, 3, 2, A, 3, B, 2);
    ok(fabs(B[0] - 1) + fabs(B[2] - 2) + fabs(B[4] - 3) < 1e-13,
       "dtrsm transposed: back to [1 2 3]");
    is_int(anas_lapack_dpotrf(2, bad, 2), ANAS_ERANGE, "dpotrf: indefinite -> ANAS_ERANGE");
    is_int(anas_lapack_dpotrf(2, bad, 1), ANAS_EINVAL, "dpotrf: lda < n -> ANAS_EINVAL");
}

/* One dimension, length scale 0.5, sf2 1, sn2 0.01; x = {0, 0.5},
 * y = {1, 0}. Matérn 5/2 with r = |dx| / 0.5:
 *   k(r) = (1 + sqrt5 r + 5 r^2 / 3) exp(-sqrt5 r)
 *   b = k(1)   = 4.9027346 * 0.10687792 = 0.5239941088318203
 *   h = k(1/2) = 2.5346673 * 0.32692189 = 0.8286491424181253
 * K = [a b; b a] with a = 1.01, det D = a^2 - b^2,
 * K^-1 = [a -b; -b a] / D, alpha = K^-1 y = [a, -b] / D.
 * At x* = 0.25, k* = [h h]:
 *   mean = h (a - b) / D = h / (a + b)           = 0.5401905637363659
 *   var  = 1 - h^2 [1 1] K^-1 [1 1]^T
 *        = 1 - 2 h^2 / (a + b)                   = 0.10474310523499353
 * At x* = 0, k* = [1 b]:
 *   mean = (a - b^2) / D                         = 0.9864525939345474
 *   var  = 1 - (a - 2 b^2 + a b^2) / D           = 0.009864525939345503
 * log p(y) = -y^T K^-1 y / 2 - log D / 2 - log(2 pi)
 *          = -a / (2 D) - log(D) / 2 - log(2 pi) = -2.3684175342476363 */
static void test_closed_form(void)
{
    struct anas_gp gp = {0};
    struct anas_gp_hyper h;
    const double x[2] = {0, 0.5}, y[2] = {1, 0}, xs[2] = {0.25, 0};
    double one[1] = {0}, two[1] = {0.5}, mean[2], var[2];

    anas__gp_hyper_default(&h, 1);
    h.ls[0] = 0.5, h.sf2 = 1, h.sn2 = 0.01;
    is_near(anas__gp_kernel(one, two, 1, &h), 0.5239941088318203, 1e-15, "k(r = 1)");
    is_near(anas__gp_kernel(one, one, 1, &h), 1, 1e-15, "k(0) = sf2");
    is_int(anas__gp_fit(&gp, x, y, 2, 1, &h), 0, "fit two points");
    is_near(gp.jitter, 0, 0, "no jitter needed");
    is_near(gp.lml, -2.3684175342476363, 1e-12, "log marginal likelihood by hand");
    is_int(anas__gp_predict(&gp, xs, 2, mean, var), 0, "predict");
    is_near(mean[0], 0.5401905637363659, 1e-12, "mean at 0.25 = h / (a + b)");
    is_near(var[0], 0.10474310523499353, 1e-12, "var at 0.25 = 1 - 2 h^2 / (a + b)");
    is_near(mean[1], 0.9864525939345474, 1e-12, "mean at a data point, shrunk by the noise");
    is_near(var[1], 0.009864525939345503, 1e-12, "var at a data point ~ the noise");
    is_int(anas__gp_fit(&gp, x, y, 0, 1, &h), ANAS_EINVAL, "fit of no points: ANAS_EINVAL");
    anas__gp_free(&gp);
}

/* Two identical inputs and no noise: singular, fitted with jitter. */
static void test_jitter(void)
{
    struct anas_gp gp = {0};
    struct anas_gp_hyper h;
    const double x[2] = {0.3, 0.3}, y[2] = {1, 1};

    anas__gp_hyper_default(&h, 1);
    h.sn2 = 0;
    is_int(anas__gp_fit(&gp, x, y, 2, 1, &h), 0, "duplicate inputs fit");
    ok(gp.jitter > 0 && gp.jitter <= 1e-4, "with jitter %g", gp.jitter);
    anas__gp_free(&gp);
}

/* Phi(1) = 0.8413447460685429, phi(1) = 0.24197072451914337,
 * Phi(-0.75) = 0.2266273523768682, phi(0.75) = 0.30113743215480443. */
static void test_ei(void)
{
    is_near(anas__gp_cdf(0), 0.5, 1e-15, "Phi(0)");
    is_near(anas__gp_cdf(1), 0.8413447460685429, 1e-15, "Phi(1)");
    is_near(anas__gp_ei(0, 1, 0, 0), 0.3989422804014327, 1e-15, "EI at the best: phi(0)");
    is_near(anas__gp_ei(-1, 1, 0, 0), 0.8413447460685429 + 0.24197072451914337, 1e-14,
            "EI imp 1, sigma 1: Phi(1) + phi(1)");
    is_near(anas__gp_ei(1, 2, 0, 0.5), -1.5 * 0.2266273523768682 + 2 * 0.30113743215480443,
            1e-14, "EI imp -1.5, sigma 2: -1.5 Phi(-0.75) + 2 phi(0.75)");
    is_near(anas__gp_ei(-0.3, 0, 0, 0.1), 0.2, 1e-15, "sigma 0: the improvement");
    is_near(anas__gp_ei(0.3, 0, 0, 0.1), 0, 0, "sigma 0, no improvement: 0");
    is_near(anas__gp_ei(-0.3, 1e-9, 0, 0.1), 0.2, 1e-12, "sigma -> 0: the limit");
    ok(anas__gp_ei(0, 1, 0, 0) > anas__gp_ei(0, 0.5, 0, 0), "EI grows with sigma");
}

/* y = sin(6 x0) on 30 points in [0, 1]^2: x1 plays no part. */
static void test_optimize(void)
{
    struct anas_gp gp = {0};
    struct anas_gp_hyper h;
    struct anas_rng rng;
    double x[60], y[30], m = 0, sd = 0, lml0;

    anas_rng_seed(&rng, 7);
    for (int i = 0; i < 30; i++) {
        x[2 * i] = anas_rng_uniform(&rng);
        x[2 * i + 1] = anas_rng_uniform(&rng);
        y[i] = sin(6 * x[2 * i]);
        m += y[i] / 30;
    }
    for (int i = 0; i < 30; i++)
        sd += (y[i] - m) * (y[i] - m) / 29;
    for (int i = 0; i < 30; i++)
        y[i] = (y[i] - m) / sqrt(sd);
    anas__gp_hyper_default(&h, 2);
    anas__gp_fit(&gp, x, y, 30, 2, &h);
    lml0 = gp.lml;
    is_int(anas__gp_optimize(&gp, x, y, 30, 2, &rng, 2, &h), 0, "optimize");
    ok(gp.lml > lml0 + 10, "likelihood raised from %.2f to %.2f", lml0, gp.lml);
    ok(h.ls[1] > 4 * h.ls[0], "idle dimension's length scale %.3g >> relevant one's %.3g",
       h.ls[1], h.ls[0]);
    ok(h.sn2 < 1e-2, "noise-free data: noise %g small", h.sn2);
    anas__gp_free(&gp);
}

int main(void)
{
    plan_later();
    test_lapack();
    test_closed_form();
    test_jitter();
    test_ei();
    test_optimize();
    return done();
}
