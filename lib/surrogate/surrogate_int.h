/*
 * surrogate_int.h - what the pieces of lib/surrogate share and nobody else
 * calls: fit.c checks a fit's inputs, surrogate.c (the only file that
 * talks to libxgboost) trains on them.
 */
#ifndef ANAS_SURROGATE_INT_H
#define ANAS_SURROGATE_INT_H

#include "surrogate/surrogate.h"

/* 0 when n rows of d finite features and finite targets and the
 * parameters p (never NULL here) make a fit; else ANAS_EINVAL with err
 * saying which, err->field naming the parameter ("x", "y", "max_depth"). */
int anas__surrogate_fit_check(const float *x, const float *y, int n, int d,
                              const struct anas_surrogate_fit_params *p,
                              struct anas_error *err);

#endif
