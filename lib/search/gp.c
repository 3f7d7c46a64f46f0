/*
 * gp.c - Gaussian-process regression for bo.c: Matérn 5/2 kernel with ARD
 * length scales, Cholesky fit through LAPACK, posterior mean and variance,
 * hyperparameters by marginal likelihood, expected improvement (see gp.h).
 *
 * Everything is deterministic given its inputs and the caller's generator,
 * which is what keeps bo replay-exact.
 */
#include "config.h"

#include "search/gp.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "tensor/blas.h"

#define SQRT5 2.23606797749978969641

/* Bounds of the hyperparameters, for standardised targets and inputs in
 * [0, 1]: a length scale of 30 makes a dimension all but irrelevant, one of
 * 0.03 resolves a hundredth of the range. */
#define LS_LO 0.03
#define LS_HI 30.0
#define SF2_LO 0.05
#define SF2_HI 20.0
#define SN2_LO 1e-6
#define SN2_HI 1.0

void anas__gp_free(struct anas_gp *gp)
{
    anas_free(gp->x);
    anas_free(gp->y);
    anas_free(gp->L);
    anas_free(gp->alpha);
    memset(gp, 0, sizeof *gp);
}

void anas__gp_hyper_default(struct anas_gp_hyper *h, int d)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < d && i < ANAS_GP_MAX_DIM; i++)
        h->ls[i] = 0.5;
    h->sf2 = 1.0;
    h->sn2 = 1e-3;
}

double anas__gp_kernel(const double *a, const double *b, int d, const struct anas_gp_hyper *h)
{
    double r2 = 0, r;

    for (int i = 0; i < d; i++) {
        double t = (a[i] - b[i]) / h->ls[i];
        r2 += t * t;
    }
    r = sqrt(r2);
    return h->sf2 * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * exp(-SQRT5 * r);
}

/* The kernel between inputs already divided by the length scales: what
 * the fit and prediction loops call, sparing a division per dimension. */
static double kernel_scaled(const double *a, const double *b, int d, double sf2)
{
    double r2 = 0, r;

    for (int i = 0; i < d; i++) {
        double t = a[i] - b[i];
        r2 += t * t;
    }
    r = sqrt(r2);
    return sf2 * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * exp(-SQRT5 * r);
}

/* rows[0..n) of d inputs divided by h's length scales, into out. */
static void scale_rows(const double *x, int n, int d, const struct anas_gp_hyper *h,
                       double *out)
{
    double inv[ANAS_GP_MAX_DIM];

    for (int k = 0; k < d; k++)
        inv[k] = 1.0 / h->ls[k];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++)
            out[(size_t)i * d + k] = x[(size_t)i * d + k] * inv[k];
}

static int reserve(struct anas_gp *gp, int n, int d)
{
    if (n <= gp->cap && d == gp->d)
        return 0;
    anas__gp_free(gp);
    gp->x = anas_malloc((size_t)n * (size_t)d * sizeof(double));
    gp->y = anas_malloc((size_t)n * sizeof(double));
    gp->L = anas_malloc((size_t)n * (size_t)n * sizeof(double));
    gp->alpha = anas_malloc((size_t)n * sizeof(double));
    if (!gp->x || !gp->y || !gp->L || !gp->alpha) {
        anas__gp_free(gp);
        return ANAS_ENOMEM;
    }
    gp->cap = n;
    gp->d = d;
    return 0;
}

/* K + (sn2 + jitter) I into L's lower triangle, then factorised. */
static int factor(struct anas_gp *gp, double jitter)
{
    int n = gp->n, d = gp->d, ld = gp->cap;
    double *xs = anas_malloc((size_t)n * (size_t)d * sizeof(*xs));

    if (!xs)
        return ANAS_ENOMEM;
    scale_rows(gp->x, n, d, &gp->h, xs);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            gp->L[i * ld + j] = kernel_scaled(xs + i * d, xs + j * d, d, gp->h.sf2);
        gp->L[i * ld + i] = gp->h.sf2 + gp->h.sn2 + jitter;
    }
    anas_free(xs);
    return anas_lapack_dpotrf(n, gp->L, ld);
}

int anas__gp_fit(struct anas_gp *gp, const double *x, const double *y, int n, int d,
                 const struct anas_gp_hyper *h)
{
    double quad = 0, logdet = 0, jitter = 0;
    int rc, ld;

    if (n < 1 || d < 1 || d > ANAS_GP_MAX_DIM || !x || !y || !h)
        return ANAS_EINVAL;
    if ((rc = reserve(gp, n, d)) < 0)
        return rc;
    gp->n = n;
    gp->h = *h;
    if (x != gp->x)
        memcpy(gp->x, x, (size_t)n * (size_t)d * sizeof(double));
    if (y != gp->y)
        memcpy(gp->y, y, (size_t)n * sizeof(double));
    while ((rc = factor(gp, jitter)) == ANAS_ERANGE && jitter < 1e-4 * h->sf2)
        jitter = jitter ? jitter * 10 : 1e-10 * h->sf2;
    if (rc < 0)
        return rc;
    gp->jitter = jitter;
    ld = gp->cap;
    memcpy(gp->alpha, gp->y, (size_t)n * sizeof(double));
    anas_lapack_dpotrs(n, gp->L, ld, gp->alpha);
    for (int i = 0; i < n; i++) {
        quad += gp->y[i] * gp->alpha[i];
        logdet += log(gp->L[i * ld + i]);
    }
    gp->lml = -0.5 * quad - logdet - 0.5 * n * log(2 * M_PI);
    return 0;
}

int anas__gp_predict(const struct anas_gp *gp, const double *xs, int m, double *mean,
                     double *var)
{
    int n = gp->n, d = gp->d;
    double *kt, *sx, *ss;

    if (m <= 0)
        return 0;
    /* k*^T as n x m, the layout the triangular solve takes. */
    kt = anas_malloc((size_t)n * (size_t)m * sizeof(double));
    sx = anas_malloc((size_t)n * (size_t)d * sizeof(double));
    ss = anas_malloc((size_t)m * (size_t)d * sizeof(double));
    if (!kt || !sx || !ss) {
        anas_free(kt);
        anas_free(sx);
        anas_free(ss);
        return ANAS_ENOMEM;
    }
    scale_rows(gp->x, n, d, &gp->h, sx);
    scale_rows(xs, m, d, &gp->h, ss);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            kt[(size_t)i * m + j] = kernel_scaled(sx + i * d, ss + j * d, d, gp->h.sf2);
    anas_free(sx);
    anas_free(ss);
    for (int j = 0; j < m; j++)
        mean[j] = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            mean[j] += kt[(size_t)i * m + j] * gp->alpha[i];
    if (var) {
        anas_blas_dtrsm(0, n, m, gp->L, gp->cap, kt, m);
        for (int j = 0; j < m; j++)
            var[j] = gp->h.sf2;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                var[j] -= kt[(size_t)i * m + j] * kt[(size_t)i * m + j];
        for (int j = 0; j < m; j++)
            var[j] = var[j] > 0 ? var[j] : 0;
    }
    anas_free(kt);
    return 0;
}

/* --- Hyperparameters --- */

/* theta: log ls[0..d), log sf2, log sn2. */
static void to_theta(const struct anas_gp_hyper *h, int d, double *t)
{
    for (int i = 0; i < d; i++)
        t[i] = log(h->ls[i]);
    t[d] = log(h->sf2);
    t[d + 1] = log(h->sn2);
}

static void from_theta(const double *t, int d, struct anas_gp_hyper *h)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < d; i++)
        h->ls[i] = exp(t[i]);
    h->sf2 = exp(t[d]);
    h->sn2 = exp(t[d + 1]);
}

static void bounds(int k, int d, double *lo, double *hi)
{
    *lo = log(k < d ? LS_LO : k == d ? SF2_LO : SN2_LO);
    *hi = log(k < d ? LS_HI : k == d ? SF2_HI : SN2_HI);
}

/* The log marginal likelihood at theta; -INFINITY when it cannot be
 * factorised. gp already holds the data. */
static double lml_at(struct anas_gp *gp, const double *t)
{
    struct anas_gp_hyper h;

    from_theta(t, gp->d, &h);
    if (anas__gp_fit(gp, gp->x, gp->y, gp->n, gp->d, &h) < 0 || !isfinite(gp->lml))
        return -INFINITY;
    return gp->lml;
}

/* Pattern search from t (improved in place); returns its value. Each
 * coordinate tries +step then -step, within bounds; a step size ends after
 * a sweep without improvement or two sweeps. */
static double climb(struct anas_gp *gp, double *t)
{
    static const double steps[] = {1.0, 0.5, 0.25};
    int d = gp->d, np = d + 2;
    double best = lml_at(gp, t);

    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
        for (int sweep = 0; sweep < 2; sweep++) {
            int improved = 0;
            for (int k = 0; k < np; k++) {
                double lo, hi, keep = t[k];
                bounds(k, d, &lo, &hi);
                for (int sign = 1; sign >= -1; sign -= 2) {
                    double v = keep + sign * steps[s], f;
                    v = v < lo ? lo : v > hi ? hi : v;
                    if (v == keep)
                        continue;
                    t[k] = v;
                    f = lml_at(gp, t);
                    if (f > best + 1e-9) {
                        best = f;
                        improved = 1;
                        break;
                    }
                    t[k] = keep;
                }
            }
            if (!improved)
                break;
        }
    }
    return best;
}

int anas__gp_optimize(struct anas_gp *gp, const double *x, const double *y, int n, int d,
                      struct anas_rng *rng, int restarts, struct anas_gp_hyper *h)
{
    double t[ANAS_GP_MAX_DIM + 2], best_t[ANAS_GP_MAX_DIM + 2], best = -INFINITY;
    int rc = anas__gp_fit(gp, x, y, n, d, h);

    if (rc < 0 && rc != ANAS_ERANGE)
        return rc;
    for (int r = 0; r <= restarts; r++) {
        double f;
        if (r == 0) {
            to_theta(h, d, t);
            for (int k = 0; k < d + 2; k++) { /* a caller's start may be out of bounds */
                double lo, hi;
                bounds(k, d, &lo, &hi);
                t[k] = t[k] < lo ? lo : t[k] > hi ? hi : t[k];
            }
        } else {
            for (int k = 0; k < d + 2; k++) {
                double lo, hi;
                bounds(k, d, &lo, &hi);
                t[k] = lo + (hi - lo) * anas_rng_uniform(rng);
            }
        }
        f = climb(gp, t);
        if (f > best) {
            best = f;
            memcpy(best_t, t, sizeof t);
        }
    }
    if (!(best > -INFINITY))
        return ANAS_ERANGE;
    from_theta(best_t, d, h);
    return anas__gp_fit(gp, gp->x, gp->y, n, d, h);
}

/* --- Acquisition --- */

double anas__gp_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

double anas__gp_ei(double mu, double sigma, double best, double xi)
{
    double imp = best - mu - xi, z;

    if (!(sigma > 1e-12))
        return imp > 0 ? imp : 0;
    z = imp / sigma;
    return imp * anas__gp_cdf(z) + sigma * exp(-0.5 * z * z) / sqrt(2 * M_PI);
}
