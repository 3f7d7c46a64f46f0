/*
 * gp.h - Gaussian-process regression for bo.c (internal to lib/search).
 *
 * A zero-mean GP on inputs in [0, 1]^d (the space's numeric encoding) with
 * a Matérn 5/2 kernel with one length scale per dimension (automatic
 * relevance determination) and a signal variance, plus Gaussian noise:
 *
 *     k(a, b) = sf2 (1 + sqrt(5) r + 5 r^2 / 3) exp(-sqrt(5) r),
 *     r^2 = sum_i ((a_i - b_i) / ls_i)^2
 *
 * (Rasmussen and Williams 2006, "Gaussian Processes for Machine Learning",
 * eq. 4.17; Algorithm 2.1 for the fit and prediction). The caller
 * standardises its targets (mean 0, variance 1), which is what the
 * hyperparameters' bounds assume. Fitting is a Cholesky factorisation of
 * K + sn2 I through LAPACK (lib/tensor/blas.h).
 */
#ifndef ANAS_SEARCH_GP_H
#define ANAS_SEARCH_GP_H

#include "core/rng.h"
#include "space/space.h"

#define ANAS_GP_MAX_DIM ANAS_SPACE_MAX_HP

struct anas_gp_hyper {
    double ls[ANAS_GP_MAX_DIM]; /* length scale of each input dimension */
    double sf2;                 /* signal variance */
    double sn2;                 /* noise variance */
};

/* A fitted GP: inputs, the Cholesky factor of K + sn2 I and
 * alpha = (K + sn2 I)^-1 y. Zero-initialise; anas__gp_free releases. */
struct anas_gp {
    int n, d, cap;
    double *x;     /* [cap * d] inputs, row-major */
    double *y;     /* [cap] targets */
    double *L;     /* [cap * cap] lower factor, row stride cap */
    double *alpha; /* [cap] */
    struct anas_gp_hyper h;
    double jitter; /* added to the diagonal beyond sn2 to factorise */
    double lml;    /* log marginal likelihood of y under h */
};

void anas__gp_free(struct anas_gp *gp);

/* The kernel between two inputs of d values. */
double anas__gp_kernel(const double *a, const double *b, int d, const struct anas_gp_hyper *h);

/* Fit n points (x: n x d row-major, y: n targets) with hyperparameters h:
 * factor, alpha and the log marginal likelihood
 *     log p(y) = -y^T alpha / 2 - sum_i log L_ii - n log(2 pi) / 2.
 * When K + sn2 I is not numerically positive definite, jitter (1e-10 sf2,
 * times 10 up to 1e-4 sf2) is added to the diagonal. 0, ANAS_EINVAL,
 * ANAS_ENOMEM, ANAS_ERANGE (not positive definite even so). */
int anas__gp_fit(struct anas_gp *gp, const double *x, const double *y, int n, int d,
                 const struct anas_gp_hyper *h);

/* Posterior mean and variance of the latent function (noise excluded) at
 * m inputs xs (m x d): mean = k*^T alpha, var = k(x*, x*) - v^T v with
 * v = L^-1 k*, floored at 0. 0 or ANAS_ENOMEM. */
int anas__gp_predict(const struct anas_gp *gp, const double *xs, int m, double *mean,
                     double *var);

/* Hyperparameters by maximising the log marginal likelihood: a bounded
 * coordinate (pattern) search in log space, steps 1, 1/2, 1/4, from *h
 * and from `restarts` more starting points drawn from rng; the best
 * becomes *h and gp is left fitted with it. Bounds: ls in [0.03, 30], sf2
 * in [0.05, 20], sn2 in [1e-6, 1] (for standardised targets). 0 or a
 * negative ANAS_E* code. */
int anas__gp_optimize(struct anas_gp *gp, const double *x, const double *y, int n, int d,
                      struct anas_rng *rng, int restarts, struct anas_gp_hyper *h);

/* Hyperparameters to start from: every length scale 0.5 (half the
 * encoding's range), sf2 1, sn2 1e-3. */
void anas__gp_hyper_default(struct anas_gp_hyper *h, int d);

/* Standard normal cumulative distribution, via erfc. */
double anas__gp_cdf(double z);

/* Expected improvement below `best` for minimisation (Jones, Schonlau and
 * Welch 1998): with imp = best - mu - xi and z = imp / sigma,
 *     EI = imp Phi(z) + sigma phi(z),
 * and max(imp, 0) when sigma is 0 (the limit). */
double anas__gp_ei(double mu, double sigma, double best, double xi);

#endif
