/*
 * surrogate.h - XGBoost regression models as fast evaluators, through
 * libxgboost's C API (this module is the only user of <xgboost/c_api.h>).
 *
 *     struct anas_error err;
 *     struct anas_surrogate *m = anas_surrogate_load("xgboost_avm.bst", &err);
 *     float x[22] = {...}, y;
 *     anas_surrogate_predict(m, x, 1, 22, &y);
 *     anas_surrogate_free(m);
 *
 * Loads XGBoost's legacy binary (.bst, as AnalogNAS ships) and JSON/UBJSON
 * formats. Predictions equal Python xgboost's XGBRegressor.predict (float32).
 * A loaded model may be used from several threads at once.
 */
#ifndef ANAS_SURROGATE_H
#define ANAS_SURROGATE_H

#include <stdatomic.h>

#include "core/err.h"

struct anas_surrogate;

/* The largest model file or buffer loaded. */
#define ANAS_SURROGATE_MAX_BYTES (256 << 20)

/* Whether XGBoost may be given a model of len bytes (name: its file name,
 * whose extension XGBoost also goes by; NULL for a buffer): 0, or
 * ANAS_EFORMAT when it is larger than ANAS_SURROGATE_MAX_BYTES, nests too
 * deep, or declares a string, array or tree larger than what follows it
 * (which XGBoost would allocate before reading). check.c says how. */
int anas_surrogate_check(const void *buf, size_t len, const char *name,
                         struct anas_error *err);

/* Load a model file, checked first (anas_surrogate_check). NULL on failure
 * with err filled (ANAS_ENOTFOUND, ANAS_EFORMAT, ANAS_ENOMEM). */
struct anas_surrogate *anas_surrogate_load(const char *path, struct anas_error *err);

void anas_surrogate_free(struct anas_surrogate *m);

/* Number of input features the model expects. */
int anas_surrogate_n_features(const struct anas_surrogate *m);

/* Predict n_rows rows of n_features floats (row-major) into out[n_rows].
 * ANAS_ESHAPE when n_features differs from the model's. Thread-safe. */
int anas_surrogate_predict(struct anas_surrogate *m, const float *x, int n_rows,
                           int n_features, float *out, struct anas_error *err);

/* --- Fitting from measured results (fit.c, score.c) ---
 *
 * A gradient-boosted regressor fitted through libxgboost's C API on rows
 * of features (a space's numeric encoding, anas_space_encode) and one
 * target metric, as a user's search measured them. Deterministic for a
 * given seed and thread count. */

struct anas_surrogate_fit_params {
    int n_estimators;        /* boosting rounds (default 200) */
    int max_depth;           /* 6 */
    double eta;              /* learning rate, 0.1 */
    double subsample;        /* 1.0 */
    double colsample_bytree; /* 1.0 */
    double min_child_weight; /* 1.0 */
    double lambda;           /* L2 regularisation, 1.0 */
    unsigned long long seed; /* 0 */
    int n_threads;           /* 1: the daemon runs fits on its pool */
    /* NULL, or a flag another thread may set: the fit then ends with
     * ANAS_ECANCELED before its next boosting round (a fit of many deep
     * trees takes minutes; a stopping daemon should not wait for it). */
    const atomic_int *stop;
};

/* XGBoost's own defaults, except n_estimators 200, eta 0.1, 1 thread.
 * The fit grows trees with tree_method "exact", the method Python's
 * XGBRegressor (xgboost 1.7) picks for such data: the same data,
 * parameters and seed give bit-identical models there
 * (tests/unit/surrogate-xgb-py). */
void anas_surrogate_fit_params_init(struct anas_surrogate_fit_params *p);

/* Fit on n rows of d features (row-major) with targets y; p NULL: the
 * defaults. NULL on failure (ANAS_EINVAL: n < 2, d < 1, a non-finite
 * value, a parameter out of range, err->field naming it; ANAS_ENOMEM).
 * The model predicts with anas_surrogate_predict like a loaded one. */
struct anas_surrogate *anas_surrogate_fit(const float *x, const float *y, int n, int d,
                                          const struct anas_surrogate_fit_params *p,
                                          struct anas_error *err);

/* How well a fit generalises: k-fold cross-validation, the folds drawn by
 * a permutation seeded with p->seed; each statistic over the pooled
 * out-of-fold predictions. ANAS_EINVAL (field "folds") unless 2 <= folds
 * <= n and every fold's complement has 2 rows or more. */
struct anas_surrogate_quality {
    int n, folds;
    double kendall_tau;  /* tau-b */
    double spearman_rho; /* average ranks for ties */
    double rmse;
    double mape;         /* mean |pred - y| / |y| over y != 0, in percent */
};

int anas_surrogate_cv(const float *x, const float *y, int n, int d, int folds,
                      const struct anas_surrogate_fit_params *p,
                      struct anas_surrogate_quality *out, struct anas_error *err);

/* The statistics of anas_surrogate_quality for any predictions (folds 0).
 * Kendall's tau-b in O(n log n) (Knight's algorithm). NaN when undefined:
 * tau and rho with n < 2 or either side constant, mape when every y is 0,
 * all four when a value is not finite. */
void anas_surrogate_score(const double *pred, const double *y, int n,
                          struct anas_surrogate_quality *out);

/* XGBoost's JSON model (the text Python's xgboost saves with
 * save_model("m.json") and loads with load_model), NUL-terminated, len
 * bytes without the NUL, freed with anas_free; and back (JSON, UBJSON or
 * the legacy binary: ANAS_EINVAL for an empty buffer, ANAS_EFORMAT for
 * one XGBoost cannot read). */
int anas_surrogate_save_json(const struct anas_surrogate *m, char **out, size_t *len,
                             struct anas_error *err);
struct anas_surrogate *anas_surrogate_load_buffer(const void *buf, size_t len,
                                                  struct anas_error *err);

#endif
