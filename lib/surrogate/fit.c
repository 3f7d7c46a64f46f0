/*
 * fit.c - fitting surrogates from measured results: the parameters, their
 * checks, and k-fold cross-validation. The boosting itself is in
 * surrogate.c, the one file that talks to libxgboost.
 *
 * The defaults are XGBoost's own (xgboost's src/tree/param.h: max_depth 6,
 * subsample, colsample_bytree, min_child_weight and lambda 1), except 200
 * rounds at eta 0.1 instead of XGBRegressor's 100 at 0.3: the smaller step
 * generalises better on the few hundred rows a search measures.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "surrogate/surrogate_int.h"

/* Bounds that keep a fit's cost and XGBoost's parameter parser sane. */
#define MAX_ESTIMATORS 100000
#define MAX_DEPTH 64
#define MAX_THREADS 1024

void anas_surrogate_fit_params_init(struct anas_surrogate_fit_params *p)
{
    memset(p, 0, sizeof(*p));
    p->n_estimators = 200;
    p->max_depth = 6;
    p->eta = 0.1;
    p->subsample = 1.0;
    p->colsample_bytree = 1.0;
    p->min_child_weight = 1.0;
    p->lambda = 1.0;
    p->seed = 0;
    p->n_threads = 1;
}

/* A fraction in (0, 1]. */
static int fraction(double v)
{
    return isfinite(v) && v > 0 && v <= 1;
}

static int check_params(const struct anas_surrogate_fit_params *p, struct anas_error *err)
{
    if (p->n_estimators < 1 || p->n_estimators > MAX_ESTIMATORS)
        return anas_error_field(err, ANAS_EINVAL, "n_estimators",
                                "n_estimators must be in 1..%d", MAX_ESTIMATORS);
    if (p->max_depth < 1 || p->max_depth > MAX_DEPTH)
        return anas_error_field(err, ANAS_EINVAL, "max_depth", "max_depth must be in 1..%d",
                                MAX_DEPTH);
    if (!isfinite(p->eta) || p->eta <= 0)
        return anas_error_field(err, ANAS_EINVAL, "eta", "eta must be positive");
    if (!fraction(p->subsample))
        return anas_error_field(err, ANAS_EINVAL, "subsample", "subsample must be in (0, 1]");
    if (!fraction(p->colsample_bytree))
        return anas_error_field(err, ANAS_EINVAL, "colsample_bytree",
                                "colsample_bytree must be in (0, 1]");
    if (!isfinite(p->min_child_weight) || p->min_child_weight < 0)
        return anas_error_field(err, ANAS_EINVAL, "min_child_weight",
                                "min_child_weight must be >= 0");
    if (!isfinite(p->lambda) || p->lambda < 0)
        return anas_error_field(err, ANAS_EINVAL, "lambda", "lambda must be >= 0");
    if (p->n_threads < 1 || p->n_threads > MAX_THREADS)
        return anas_error_field(err, ANAS_EINVAL, "n_threads", "n_threads must be in 1..%d",
                                MAX_THREADS);
    return 0;
}

int anas__surrogate_fit_check(const float *x, const float *y, int n, int d,
                              const struct anas_surrogate_fit_params *p,
                              struct anas_error *err)
{
    if (!x || !y)
        return anas_error_set(err, ANAS_EINVAL, "no data to fit");
    if (n < 2)
        return anas_error_field(err, ANAS_EINVAL, "y", "a fit needs at least 2 rows, got %d",
                                n);
    if (d < 1)
        return anas_error_field(err, ANAS_EINVAL, "x", "a fit needs at least 1 feature");
    /* XGBoost would read NaN as "missing": a measured result has none */
    for (int i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return anas_error_field(err, ANAS_EINVAL, "y", "target of row %d is not finite",
                                    i);
        for (int j = 0; j < d; j++)
            if (!isfinite(x[(size_t)i * d + j]))
                return anas_error_field(err, ANAS_EINVAL, "x",
                                        "feature %d of row %d is not finite", j, i);
    }
    return check_params(p, err);
}

/* Cross-validation's buffers, one allocation each so that every failure
 * frees what came before. */
struct cv_work {
    int *fold_of;      /* [n]: the fold each row is held out in */
    int *perm;         /* [n]: the shuffled row order */
    float *x, *y;      /* the training rows of one fold, in data order */
    float *xt, *pt;    /* its held-out rows and their predictions */
    double *pred, *yd; /* [n]: pooled out-of-fold predictions, targets */
};

static void cv_free(struct cv_work *w)
{
    anas_free(w->fold_of);
    anas_free(w->perm);
    anas_free(w->x);
    anas_free(w->y);
    anas_free(w->xt);
    anas_free(w->pt);
    anas_free(w->pred);
    anas_free(w->yd);
}

static int cv_alloc(struct cv_work *w, int n, int d)
{
    size_t rows = (size_t)n, cells = (size_t)n * (size_t)d;

    memset(w, 0, sizeof(*w));
    w->fold_of = anas_malloc(rows * sizeof(int));
    w->perm = anas_malloc(rows * sizeof(int));
    w->x = anas_malloc(cells * sizeof(float));
    w->y = anas_malloc(rows * sizeof(float));
    w->xt = anas_malloc(cells * sizeof(float));
    w->pt = anas_malloc(rows * sizeof(float));
    w->pred = anas_malloc(rows * sizeof(double));
    w->yd = anas_malloc(rows * sizeof(double));
    if (w->fold_of && w->perm && w->x && w->y && w->xt && w->pt && w->pred && w->yd)
        return 0;
    cv_free(w);
    return ANAS_ENOMEM;
}

/* Shuffle the rows with the seed (Fisher-Yates, from the last element
 * down, as numpy's permutation), then deal the shuffled order out in
 * `folds` contiguous blocks whose sizes differ by at most one, like
 * scikit-learn's KFold(shuffle=True). */
static void assign_folds(int *fold_of, int *perm, int n, int folds,
                         unsigned long long seed)
{
    struct anas_rng rng;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)anas_rng_int(&rng, 0, (long)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (int k = 0; k < n; k++)
        fold_of[perm[k]] = (int)((long long)k * folds / n);
}

/* Fit on every fold but f, predict fold f into w->pred. */
static int cv_fold(struct cv_work *w, const float *x, const float *y, int n, int d, int f,
                   const struct anas_surrogate_fit_params *p, struct anas_error *err)
{
    struct anas_surrogate *m;
    int n_tr = 0, n_te = 0, rc;

    for (int i = 0; i < n; i++) {
        const float *row = x + (size_t)i * d;
        if (w->fold_of[i] == f) {
            memcpy(w->xt + (size_t)n_te++ * d, row, (size_t)d * sizeof(float));
        } else {
            memcpy(w->x + (size_t)n_tr * d, row, (size_t)d * sizeof(float));
            w->y[n_tr++] = y[i];
        }
    }
    m = anas_surrogate_fit(w->x, w->y, n_tr, d, p, err);
    if (!m)
        return err->code;
    rc = anas_surrogate_predict(m, w->xt, n_te, d, w->pt, err);
    anas_surrogate_free(m);
    if (rc < 0)
        return rc;
    for (int i = 0, k = 0; i < n; i++)
        if (w->fold_of[i] == f)
            w->pred[i] = w->pt[k++];
    return 0;
}

int anas_surrogate_cv(const float *x, const float *y, int n, int d, int folds,
                      const struct anas_surrogate_fit_params *p,
                      struct anas_surrogate_quality *out, struct anas_error *err)
{
    struct anas_surrogate_fit_params defaults;
    struct anas_error local;
    struct cv_work w;
    int rc;

    if (!err) /* a failed fit's code is read back from it */
        err = &local;
    if (!out)
        return anas_error_set(err, ANAS_EINVAL, "no place for the quality figures");
    if (!p) {
        anas_surrogate_fit_params_init(&defaults);
        p = &defaults;
    }
    rc = anas__surrogate_fit_check(x, y, n, d, p, err);
    if (rc < 0)
        return rc;
    /* the largest fold holds ceil(n / folds) rows; the rest must make a fit */
    if (folds < 2 || folds > n || n - (n + folds - 1) / folds < 2)
        return anas_error_field(err, ANAS_EINVAL, "folds",
                                "%d rows cannot make %d folds (at least 2, each fit on "
                                "2 rows or more)",
                                n, folds);
    if (cv_alloc(&w, n, d) < 0)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for cross-validation");
    assign_folds(w.fold_of, w.perm, n, folds, p->seed);
    for (int f = 0; f < folds && rc == 0; f++)
        rc = cv_fold(&w, x, y, n, d, f, p, err);
    if (rc == 0) {
        for (int i = 0; i < n; i++)
            w.yd[i] = y[i];
        anas_surrogate_score(w.pred, w.yd, n, out);
        out->folds = folds;
    }
    cv_free(&w);
    return rc;
}
