/*
 * surrogate-fit.c - surrogates fitted from measured results: the ranking
 * and error statistics against hand-worked values (and the O(n log n)
 * path against the pairwise definitions), a fit on a known function that
 * generalises to the noise level, k-fold cross-validation, determinism,
 * JSON round trips, every refused input with its code, out-of-memory
 * paths, and the surrogate evaluator feeding a fitted model the encoding.
 *
 * The comparison with Python's xgboost is tests/unit/surrogate-xgb-py.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "eval/eval.h"
#include "surrogate/surrogate.h"
#include "tap.h"

/* The synthetic problem: D features in [0, 1), the first four matter. */
#define D 6
#define N_TRAIN 600
#define N_TEST 400
#define NOISE 0.2

static double truth(const float *x)
{
    return 2.0 * x[0] + sin(3.0 * x[1]) + x[2] * x[3];
}

/* n rows, the targets truth + N(0, NOISE^2) */
static void make_data(float *x, float *y, int n, uint64_t seed)
{
    struct anas_rng rng;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++)
            x[i * D + j] = (float)anas_rng_uniform(&rng);
        y[i] = (float)(truth(x + i * D) + NOISE * anas_rng_normal(&rng));
    }
}

static float xtr[N_TRAIN * D], ytr[N_TRAIN], xte[N_TEST * D], yte[N_TEST];

/* m's figures on the test set; m NULL: the noise-free truth's, the best
 * any model can reach against noisy targets. */
static void quality_of(struct anas_surrogate *m, struct anas_surrogate_quality *q)
{
    float p[N_TEST];
    double pd[N_TEST], yd[N_TEST];

    if (m)
        anas_surrogate_predict(m, xte, N_TEST, D, p, NULL);
    for (int i = 0; i < N_TEST; i++) {
        pd[i] = m ? p[i] : truth(xte + i * D);
        yd[i] = yte[i];
    }
    anas_surrogate_score(pd, yd, N_TEST, q);
}

/* --- statistics --- */

static void test_score_hand(void)
{
    struct anas_surrogate_quality q;
    const double up[] = {1, 2, 3, 4, 5}, down[] = {5, 4, 3, 2, 1};

    anas_surrogate_score(up, up, 5, &q);
    ok(fabs(q.kendall_tau - 1) < 1e-15 && fabs(q.spearman_rho - 1) < 1e-15 &&
           q.rmse == 0 && q.mape == 0 && q.n == 5 && q.folds == 0,
       "identical: tau 1, rho 1, rmse 0, mape 0, n 5, folds 0");
    anas_surrogate_score(up, down, 5, &q);
    ok(fabs(q.kendall_tau + 1) < 1e-15 && fabs(q.spearman_rho + 1) < 1e-15,
       "reversed: tau -1, rho -1");

    /* Pairs of (pred, y) = (1,1) (2,3) (2,2) (3,3): 4 concordant, 0
     * discordant, one tied in pred, one in y: tau-b = 4 / sqrt(5 * 5).
     * Average ranks pred 1 2.5 2.5 4, y 1 3.5 2 3.5: rho = 3.75 / 4.5. */
    const double tp[] = {1, 2, 2, 3}, ty[] = {1, 3, 2, 3};
    anas_surrogate_score(tp, ty, 4, &q);
    is_near(q.kendall_tau, 0.8, 1e-15, "tau-b with ties in both: 0.8");
    is_near(q.spearman_rho, 3.75 / 4.5, 1e-15, "rho with average ranks: 5/6");

    /* errors 1 0 -1 -1: rmse sqrt(3/4); mape over y != 0: (0 + 1/4 + 1/5)
     * / 3 = 15 %, the row with y = 0 left out */
    const double ep[] = {1, 2, 3, 4}, ey[] = {0, 2, 4, 5};
    anas_surrogate_score(ep, ey, 4, &q);
    is_near(q.rmse, sqrt(0.75), 1e-15, "rmse sqrt(3/4)");
    is_near(q.mape, 15.0, 1e-12, "mape 15%% with the zero target skipped");
    is_near(q.kendall_tau, 1, 1e-15, "tau 1 for an increasing pair of series");

    /* (1,2) (2,1) (3,1): pairs 0-1 and 0-2 discordant, 1-2 tied in y;
     * S = -2, n0 = 3, n1 = 0, n2 = 1: tau-b = -2 / sqrt(3 * 2). */
    const double dp[] = {1, 2, 3}, dy[] = {2, 1, 1};
    anas_surrogate_score(dp, dy, 3, &q);
    is_near(q.kendall_tau, -2 / sqrt(6.0), 1e-15, "tau-b -2/sqrt(6)");
    /* ranks pred 1 2 3, y 3 1.5 1.5: rho = -1.5 / sqrt(2 * 1.5) */
    is_near(q.spearman_rho, -1.5 / sqrt(3.0), 1e-15, "rho -sqrt(3)/2");

    const double flat[] = {2, 2, 2, 2};
    anas_surrogate_score(flat, ey, 4, &q);
    ok(isnan(q.kendall_tau) && isnan(q.spearman_rho) && q.rmse > 0,
       "constant predictions: tau and rho undefined (NaN), rmse defined");
    const double zeros[] = {0, 0, 0, 0};
    anas_surrogate_score(ep, zeros, 4, &q);
    ok(isnan(q.mape) && isnan(q.kendall_tau), "all targets 0: mape NaN");
    const double bad[] = {1, NAN, 3, 4};
    anas_surrogate_score(bad, ey, 4, &q);
    ok(isnan(q.rmse) && isnan(q.mape) && isnan(q.kendall_tau) && isnan(q.spearman_rho) &&
           q.n == 4,
       "a NaN prediction: every statistic NaN");
    anas_surrogate_score(ep, ey, 1, &q);
    ok(q.rmse == 1 && isnan(q.kendall_tau), "one point: rmse, no tau");
}

/* The O(n log n) path against the pairwise one (taken when the scratch
 * allocation fails), on data with many ties. */
static void test_score_paths(void)
{
    enum { N = 700 };
    static double p[N], y[N];
    struct anas_surrogate_quality fast, slow;
    struct anas_rng rng;
    int same = 1;

    anas_rng_seed(&rng, 7);
    for (int round = 0; round < 3; round++) {
        int levels = round == 0 ? 5 : round == 1 ? 40 : 1000000;
        for (int i = 0; i < N; i++) {
            p[i] = (double)anas_rng_int(&rng, 0, levels);
            y[i] = p[i] * 0.3 + (double)anas_rng_int(&rng, 0, levels);
        }
        anas_surrogate_score(p, y, N, &fast);
        anas_alloc_fail_after(0);
        anas_surrogate_score(p, y, N, &slow);
        anas_alloc_fail_after(-1);
        same = same && fabs(fast.kendall_tau - slow.kendall_tau) < 1e-12 &&
               fabs(fast.spearman_rho - slow.spearman_rho) < 1e-12 &&
               fast.rmse == slow.rmse && fast.mape == slow.mape && fast.kendall_tau > 0.05;
        if (!same)
            printf("# levels %d: tau %.17g vs %.17g, rho %.17g vs %.17g\n", levels,
                   fast.kendall_tau, slow.kendall_tau, fast.spearman_rho,
                   slow.spearman_rho);
    }
    ok(same, "Knight's tau-b and sorted ranks equal the pairwise definitions (%d points, "
             "5, 40 and 1e6 levels)",
       N);
}

/* --- fitting --- */

static void test_fit(void)
{
    struct anas_surrogate_fit_params p;
    struct anas_surrogate_quality q, best;
    struct anas_error err = {0};
    struct anas_surrogate *m;

    anas_surrogate_fit_params_init(&p);
    ok(p.n_estimators == 200 && p.max_depth == 6 && p.eta == 0.1 && p.subsample == 1 &&
           p.colsample_bytree == 1 && p.min_child_weight == 1 && p.lambda == 1 &&
           p.seed == 0 && p.n_threads == 1,
       "defaults: 200 rounds, depth 6, eta 0.1, XGBoost's others, 1 thread");
    p.max_depth = 3; /* a smooth function of few interactions */
    m = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, &err);
    if (!ok(m != NULL, "fit %d rows of %d features", N_TRAIN, D)) {
        printf("# %s\n", err.msg);
        return;
    }
    is_int(anas_surrogate_n_features(m), D, "the fitted model takes %d features", D);
    quality_of(m, &q);
    quality_of(NULL, &best);
    printf("# held out: tau %.4f rho %.4f rmse %.4f mape %.2f%%; the truth: tau %.4f rho "
           "%.4f rmse %.4f\n",
           q.kendall_tau, q.spearman_rho, q.rmse, q.mape, best.kendall_tau,
           best.spearman_rho, best.rmse);
    ok(q.kendall_tau > 0.95 * best.kendall_tau,
       "held-out Kendall tau %.3f > 95%% of the noise-free truth's %.3f", q.kendall_tau,
       best.kendall_tau);
    ok(q.spearman_rho > 0.98 * best.spearman_rho,
       "held-out Spearman rho %.3f > 98%% of the truth's %.3f", q.spearman_rho,
       best.spearman_rho);
    ok(q.rmse > 0.8 * NOISE && q.rmse < 1.25 * NOISE,
       "held-out RMSE %.4f within [0.8, 1.25] x the noise %.2f", q.rmse, NOISE);
    anas_surrogate_free(m);

    /* the seed matters only with sampling: check both ways */
    struct anas_surrogate *a, *b, *c;
    float pa[N_TEST], pb[N_TEST], pc[N_TEST];
    p.subsample = 0.7;
    p.colsample_bytree = 0.6;
    p.seed = 11;
    p.n_estimators = 60;
    a = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, NULL);
    b = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, NULL);
    p.seed = 12;
    c = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, NULL);
    ok(a && b && c && anas_surrogate_predict(a, xte, N_TEST, D, pa, NULL) == 0 &&
           anas_surrogate_predict(b, xte, N_TEST, D, pb, NULL) == 0 &&
           anas_surrogate_predict(c, xte, N_TEST, D, pc, NULL) == 0,
       "three sampled fits");
    ok(memcmp(pa, pb, sizeof(pa)) == 0, "same seed: bit-identical predictions");
    ok(memcmp(pa, pc, sizeof(pa)) != 0, "another seed: other predictions");
    anas_surrogate_free(a);
    anas_surrogate_free(b);
    anas_surrogate_free(c);

    struct anas_surrogate *t = NULL;
    p.n_threads = 2;
    p.seed = 11;
    t = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, NULL);
    ok(t && anas_surrogate_predict(t, xte, N_TEST, D, pc, NULL) == 0 &&
           memcmp(pa, pc, sizeof(pa)) == 0,
       "two threads: the same trees (exact split finding is order-free)");
    anas_surrogate_free(t);
}

static void test_cv(void)
{
    struct anas_surrogate_fit_params p;
    struct anas_surrogate_quality q1, q2;
    struct anas_error err = {0};
    int rc;

    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 60;
    p.eta = 0.2;
    p.max_depth = 3;
    rc = anas_surrogate_cv(xtr, ytr, 300, D, 5, &p, &q1, &err);
    is_int(rc, 0, "5-fold cross-validation on 300 rows");
    printf("# 5-fold: tau %.4f rho %.4f rmse %.4f mape %.2f%%\n", q1.kendall_tau,
           q1.spearman_rho, q1.rmse, q1.mape);
    ok(q1.n == 300 && q1.folds == 5, "n 300, folds 5");
    ok(q1.kendall_tau > 0.7 && q1.spearman_rho > 0.9 && q1.rmse < 1.5 * NOISE,
       "out-of-fold tau %.3f > 0.7, rho %.3f > 0.9, rmse %.3f < 1.5 x noise",
       q1.kendall_tau, q1.spearman_rho, q1.rmse);
    anas_surrogate_cv(xtr, ytr, 300, D, 5, &p, &q2, NULL);
    ok(memcmp(&q1, &q2, sizeof(q1)) == 0, "the same seed: the same figures");
    p.seed = 3;
    anas_surrogate_cv(xtr, ytr, 300, D, 5, &p, &q2, NULL);
    ok(q1.rmse != q2.rmse, "another seed: other folds, other figures");

    /* leave-one-out on a line: each held-out point is predicted */
    float lx[6] = {0, 1, 2, 3, 4, 5}, ly[6] = {0, 1, 2, 3, 4, 5};
    p.n_estimators = 20;
    p.min_child_weight = 0;
    is_int(anas_surrogate_cv(lx, ly, 6, 1, 6, &p, &q2, NULL), 0, "leave-one-out on 6 rows");
    ok(q2.n == 6 && q2.folds == 6 && isfinite(q2.rmse), "n 6, folds 6, finite rmse");
}

/* The stop flag: set before a fit, the fit does nothing; set by another
 * thread during a fit far too long to finish (100,000 deep trees), the fit
 * ends with ANAS_ECANCELED and leaks nothing. */
static atomic_int stop_flag;

static void *stop_later(void *arg)
{
    (void)arg;
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    atomic_store(&stop_flag, 1);
    return NULL;
}

static void test_stop(void)
{
    struct anas_surrogate_fit_params p;
    struct anas_surrogate_quality q;
    struct anas_error err = {0};
    pthread_t t;

    anas_surrogate_fit_params_init(&p);
    p.stop = &stop_flag;
    atomic_store(&stop_flag, 1);
    ok(anas_surrogate_fit(xtr, ytr, 300, D, &p, &err) == NULL && err.code == ANAS_ECANCELED,
       "a fit with its stop flag set is canceled");
    is_int(anas_surrogate_cv(xtr, ytr, 300, D, 5, &p, &q, NULL), ANAS_ECANCELED,
           "and so is a cross-validation");
    atomic_store(&stop_flag, 0);
    p.n_estimators = 100000;
    p.max_depth = 12;
    p.eta = 0.01;
    anas_error_clear(&err);
    if (pthread_create(&t, NULL, stop_later, NULL) != 0) {
        ok(0, "a thread to set the flag");
        return;
    }
    ok(anas_surrogate_fit(xtr, ytr, 300, D, &p, &err) == NULL && err.code == ANAS_ECANCELED,
       "a fit of 100,000 trees stops when another thread sets the flag");
    pthread_join(t, NULL);
}

static void test_json(void)
{
    struct anas_surrogate_fit_params p;
    struct anas_error err = {0};
    struct anas_surrogate *m, *back;
    float pm[N_TEST], pb[N_TEST];
    char *text = NULL;
    size_t len = 0;

    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 50;
    m = anas_surrogate_fit(xtr, ytr, N_TRAIN, D, &p, NULL);
    is_int(anas_surrogate_save_json(m, &text, &len, &err), 0, "save_json");
    ok(text && len > 100 && text[0] == '{' && text[len] == '\0' && strlen(text) == len &&
           strstr(text, "\"num_trees\":\"50\"") != NULL,
       "XGBoost's JSON: NUL-terminated, 50 trees (%zu bytes)", len);
    back = anas_surrogate_load_buffer(text, len, &err);
    ok(back && anas_surrogate_n_features(back) == D, "load_buffer: %d features", D);
    anas_surrogate_predict(m, xte, N_TEST, D, pm, NULL);
    ok(back && anas_surrogate_predict(back, xte, N_TEST, D, pb, NULL) == 0 &&
           memcmp(pm, pb, sizeof(pm)) == 0,
       "the reloaded model predicts bit-identically");
    anas_surrogate_free(back);

    back = anas_surrogate_load_buffer(text, len / 2, &err);
    ok(!back && err.code == ANAS_EFORMAT, "half the JSON: ANAS_EFORMAT (%s)", err.msg);
    back = anas_surrogate_load_buffer("not a model", 11, &err);
    ok(!back && err.code == ANAS_EFORMAT, "garbage: ANAS_EFORMAT");
    back = anas_surrogate_load_buffer(NULL, 10, &err);
    ok(!back && err.code == ANAS_EINVAL, "NULL buffer: ANAS_EINVAL");
    back = anas_surrogate_load_buffer(text, 0, &err);
    ok(!back && err.code == ANAS_EINVAL, "empty buffer: ANAS_EINVAL");
    anas_free(text);

    anas_alloc_fail_after(0);
    text = (char *)"x";
    is_int(anas_surrogate_save_json(m, &text, &len, &err), ANAS_ENOMEM,
           "save_json out of memory: ANAS_ENOMEM");
    anas_alloc_fail_after(-1);
    ok(text == NULL && len == 0, "and no text");
    anas_surrogate_free(m);
}

/* --- refusals --- */

static void expect_fit_error(const float *x, const float *y, int n, int d,
                             const struct anas_surrogate_fit_params *p, const char *field,
                             const char *what)
{
    struct anas_error err = {0};
    struct anas_surrogate *m = anas_surrogate_fit(x, y, n, d, p, &err);

    ok(!m && err.code == ANAS_EINVAL && (!field || strcmp(err.field, field) == 0),
       "%s: ANAS_EINVAL, field '%s' (%s)", what, err.field, err.msg);
    anas_surrogate_free(m);
}

static void test_errors(void)
{
    struct anas_surrogate_fit_params p, bad;
    struct anas_surrogate_quality q;
    struct anas_error err = {0};
    float x[8 * 2], y[8], out[8];

    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 5;
    for (int i = 0; i < 8; i++) {
        x[2 * i] = (float)i;
        x[2 * i + 1] = (float)(i % 3);
        y[i] = (float)(i * i);
    }
    expect_fit_error(x, y, 1, 2, &p, "y", "one row");
    expect_fit_error(x, y, 8, 0, &p, "x", "no feature");
    expect_fit_error(NULL, y, 8, 2, &p, NULL, "no x");
    x[5] = NAN;
    expect_fit_error(x, y, 8, 2, &p, "x", "a NaN feature");
    x[5] = 1;
    y[3] = INFINITY;
    expect_fit_error(x, y, 8, 2, &p, "y", "an infinite target");
    y[3] = 9;
    bad = p, bad.max_depth = 0;
    expect_fit_error(x, y, 8, 2, &bad, "max_depth", "max_depth 0");
    bad = p, bad.eta = 0;
    expect_fit_error(x, y, 8, 2, &bad, "eta", "eta 0");
    bad = p, bad.subsample = 1.5;
    expect_fit_error(x, y, 8, 2, &bad, "subsample", "subsample 1.5");
    bad = p, bad.colsample_bytree = 0;
    expect_fit_error(x, y, 8, 2, &bad, "colsample_bytree", "colsample_bytree 0");
    bad = p, bad.lambda = -1;
    expect_fit_error(x, y, 8, 2, &bad, "lambda", "lambda -1");
    bad = p, bad.min_child_weight = NAN;
    expect_fit_error(x, y, 8, 2, &bad, "min_child_weight", "min_child_weight NaN");
    bad = p, bad.n_estimators = 0;
    expect_fit_error(x, y, 8, 2, &bad, "n_estimators", "no rounds");
    bad = p, bad.n_threads = 0;
    expect_fit_error(x, y, 8, 2, &bad, "n_threads", "no thread");

    struct anas_surrogate *m = anas_surrogate_fit(x, y, 8, 2, NULL, &err);
    ok(m != NULL, "NULL parameters: the defaults");
    is_int(anas_surrogate_predict(m, x, 4, 3, out, &err), ANAS_ESHAPE,
           "3 features into a 2-feature fit: ANAS_ESHAPE");
    anas_surrogate_free(m);

    is_int(anas_surrogate_cv(x, y, 8, 2, 1, &p, &q, &err), ANAS_EINVAL, "1 fold: ANAS_EINVAL");
    ok(strcmp(err.field, "folds") == 0, "the field names folds");
    is_int(anas_surrogate_cv(x, y, 8, 2, 9, &p, &q, &err), ANAS_EINVAL,
           "9 folds of 8 rows: ANAS_EINVAL");
    is_int(anas_surrogate_cv(x, y, 3, 2, 2, &p, &q, &err), ANAS_EINVAL,
           "3 rows in 2 folds (a fit on 1 row): ANAS_EINVAL");
    is_int(anas_surrogate_cv(x, y, 8, 2, 2, &p, NULL, &err), ANAS_EINVAL,
           "no output: ANAS_EINVAL");
    x[0] = NAN;
    is_int(anas_surrogate_cv(x, y, 8, 2, 2, &p, &q, &err), ANAS_EINVAL,
           "cv of a NaN feature: ANAS_EINVAL");
}

/* Every allocation of fit, load_buffer and cv failing in turn. */
static void test_oom(void)
{
    struct anas_surrogate_fit_params p;
    struct anas_surrogate_quality q;
    struct anas_error err = {0};
    int all_nomem = 1, k, rc = ANAS_ENOMEM;
    struct anas_surrogate *m;

    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 5;
    anas_alloc_fail_after(0);
    m = anas_surrogate_fit(xtr, ytr, 30, D, &p, &err);
    anas_alloc_fail_after(-1);
    ok(!m && err.code == ANAS_ENOMEM, "fit out of memory: ANAS_ENOMEM");

    anas_alloc_fail_after(0);
    m = anas_surrogate_load_buffer("{}", 2, &err);
    anas_alloc_fail_after(-1);
    ok(!m && err.code == ANAS_ENOMEM, "load_buffer out of memory: ANAS_ENOMEM");

    for (k = 0; k < 100 && rc != 0; k++) {
        anas_alloc_fail_after(k);
        rc = anas_surrogate_cv(xtr, ytr, 30, D, 3, &p, &q, &err);
        anas_alloc_fail_after(-1);
        if (rc != 0 && rc != ANAS_ENOMEM)
            all_nomem = 0;
    }
    ok(rc == 0 && all_nomem && k > 8,
       "cv: each of its first %d allocations failing gives ANAS_ENOMEM, then it succeeds",
       k - 1);
}

/* --- the surrogate evaluator --- */

static void test_eval_encoded(void)
{
    enum { N = 200 };
    const struct anas_space *s = anas_space_find("resnet");
    struct anas_eval_spec spec;
    struct anas_metrics got;
    struct anas_config cfg;
    struct anas_rng rng;
    struct anas_error err = {0};
    static float x[N * ANAS_SPACE_MAX_HP], y[N];
    double v[ANAS_SPACE_MAX_HP], got_y;
    float xf[ANAS_SPACE_MAX_HP], want;
    int d = anas_space_n_hp(s), same = 1;
    struct anas_surrogate *m;

    /* a target any smooth function of the encoding */
    anas_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) {
        anas_space_sample(s, &rng, &cfg);
        anas_space_encode(s, &cfg, v);
        for (int j = 0; j < d; j++)
            x[i * d + j] = (float)v[j];
        y[i] = (float)(v[0] + v[1] * v[2]);
    }
    struct anas_surrogate_fit_params p;
    anas_surrogate_fit_params_init(&p);
    p.n_estimators = 40;
    m = anas_surrogate_fit(x, y, N, d, &p, &err);
    ok(m && anas_surrogate_n_features(m) == d, "a model fitted on resnet's encoding (%d)", d);
    anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, s, NULL);
    is_int(anas_eval_spec_add_model_encoded(&spec, "acc@1d", m), 0, "add it as encoded");
    ok(spec.models[0].features == ANAS_EVAL_FEATURES_ENCODED, "marked encoded");
    is_int(anas_eval_spec_check(&spec, &err), 0, "the spec checks (%s)", err.msg);
    for (int i = 0; i < 10; i++) {
        anas_space_sample(s, &rng, &cfg);
        anas_space_encode(s, &cfg, v);
        for (int j = 0; j < d; j++)
            xf[j] = (float)v[j];
        anas_surrogate_predict(m, xf, 1, d, &want, NULL);
        same = same && anas_eval_run(&spec, &cfg, NULL, &got, &err) == 0 &&
               anas_metrics_get(&got, "acc@1d", &got_y) == 0 && got_y == (double)want;
    }
    ok(same, "the evaluator feeds it the encoding: its own predictions");

    /* resnet's encoding is as wide as its 22 raw features: only the values
     * tell which one the evaluator fed */
    anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, s, NULL);
    anas_eval_spec_add_model(&spec, "acc@1d", m);
    ok(spec.models[0].features == ANAS_EVAL_FEATURES_RAW, "add_model: raw features");
    int raw = 1, differ = 0;
    for (int i = 0; i < 10; i++) {
        anas_space_sample(s, &rng, &cfg);
        anas_space_features(s, &cfg, xf, ANAS_SPACE_MAX_HP);
        anas_surrogate_predict(m, xf, 1, 22, &want, NULL);
        raw = raw && anas_eval_run(&spec, &cfg, NULL, &got, &err) == 0 &&
              anas_metrics_get(&got, "acc@1d", &got_y) == 0 && got_y == (double)want;
        anas_space_encode(s, &cfg, v);
        for (int j = 0; j < d; j++)
            xf[j] = (float)v[j];
        anas_surrogate_predict(m, xf, 1, d, &want, NULL);
        differ += got_y != (double)want;
    }
    ok(raw && differ > 0,
       "added with add_model it is fed the raw features (%d of 10 predictions differ)",
       differ);
    anas_surrogate_free(m);
}

int main(void)
{
    make_data(xtr, ytr, N_TRAIN, 1);
    make_data(xte, yte, N_TEST, 2);
    plan_later();
    test_score_hand();
    test_score_paths();
    test_fit();
    test_cv();
    test_stop();
    test_json();
    test_errors();
    test_oom();
    test_eval_encoded();
    return done();
}
