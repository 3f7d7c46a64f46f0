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

#include "core/err.h"

struct anas_surrogate;

/* Load a model file. NULL on failure with err filled (ANAS_ENOTFOUND,
 * ANAS_EFORMAT, ANAS_ENOMEM). */
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
};

/* XGBoost's own defaults, except n_estimators 200, eta 0.1, 1 thread. */
void anas_surrogate_fit_params_init(struct anas_surrogate_fit_params *p);

/* Fit on n rows of d features (row-major) with targets y. NULL on failure
 * (ANAS_EINVAL: n < 2, d < 1, a non-finite value; ANAS_ENOMEM). The model
 * predicts with anas_surrogate_predict like a loaded one. */
struct anas_surrogate *anas_surrogate_fit(const float *x, const float *y, int n, int d,
                                          const struct anas_surrogate_fit_params *p,
                                          struct anas_error *err);

/* How well a fit generalises: k-fold cross-validation, the folds drawn by
 * a permutation seeded with p->seed; each statistic over the pooled
 * out-of-fold predictions. */
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

/* The statistics of anas_surrogate_quality for any predictions. */
void anas_surrogate_score(const double *pred, const double *y, int n,
                          struct anas_surrogate_quality *out);

/* XGBoost's JSON model (the text Python's xgboost saves with
 * save_model("m.json") and loads with load_model), malloc'd, and back. */
int anas_surrogate_save_json(const struct anas_surrogate *m, char **out, size_t *len,
                             struct anas_error *err);
struct anas_surrogate *anas_surrogate_load_buffer(const void *buf, size_t len,
                                                  struct anas_error *err);

#endif
