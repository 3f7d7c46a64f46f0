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

#endif
