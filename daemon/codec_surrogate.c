/*
 * codec_surrogate.c - the body of POST /api/v1/surrogates and the stored
 * surrogate's spec, in JSON: which runs, which metric, the fit's
 * hyperparameters (XGBoost's names: n_estimators, max_depth, eta,
 * subsample, colsample_bytree, min_child_weight, lambda, seed) and the
 * number of cross-validation folds.
 */
#include "config.h"

#include "codec_int.h"

#include <math.h>
#include <string.h>

#define MAX_SAFE_INT 9007199254740992LL /* 2^53 */

/* One hyperparameter's name, range and place in the params struct. */
struct fit_param {
    const char *name;
    int is_int;
    double lo, hi;
    int lo_open; /* lo itself excluded */
};

static const struct fit_param fit_params[] = {
    {"n_estimators", 1, 1, 10000, 0}, {"max_depth", 1, 1, 20, 0},
    {"eta", 0, 0, 1, 1},              {"subsample", 0, 0, 1, 1},
    {"colsample_bytree", 0, 0, 1, 1}, {"min_child_weight", 0, 0, 1e6, 0},
    {"lambda", 0, 0, 1e6, 0},         {"seed", 1, 0, (double)MAX_SAFE_INT, 0},
};

#define N_FIT_PARAMS ((int)(sizeof fit_params / sizeof fit_params[0]))

static void param_set(struct anas_surrogate_fit_params *p, int i, double v)
{
    switch (i) {
    case 0: p->n_estimators = (int)v; break;
    case 1: p->max_depth = (int)v; break;
    case 2: p->eta = v; break;
    case 3: p->subsample = v; break;
    case 4: p->colsample_bytree = v; break;
    case 5: p->min_child_weight = v; break;
    case 6: p->lambda = v; break;
    default: p->seed = (unsigned long long)v; break;
    }
}

static double param_get(const struct anas_surrogate_fit_params *p, int i)
{
    const double v[] = {p->n_estimators, p->max_depth, p->eta, p->subsample,
                        p->colsample_bytree, p->min_child_weight, p->lambda,
                        (double)p->seed};
    return v[i];
}

static int parse_params(json_t *v, struct anas_surrogate_fit_params *p,
                        struct anas_error *err)
{
    const char *key;
    json_t *f;
    if (codec__obj(v, "/params", err) < 0)
        return err->code;
    json_object_foreach(v, key, f)
    {
        char ptr[80];
        double x = 0;
        long long xi = 0;
        int i;
        for (i = 0; i < N_FIT_PARAMS && strcmp(fit_params[i].name, key); i++)
            ;
        codec_ptr(ptr, sizeof ptr, "/params", key);
        if (i == N_FIT_PARAMS)
            return codec__bad(err, ANAS_EUNKNOWN, ptr,
                              "unknown field '%s' (expected n_estimators, max_depth, eta, "
                              "subsample, colsample_bytree, min_child_weight, lambda or seed)",
                              key);
        if (fit_params[i].is_int) {
            if (codec__int(f, ptr, (long long)fit_params[i].lo, (long long)fit_params[i].hi,
                           &xi, err) < 0)
                return err->code;
            x = (double)xi;
        } else if (codec__num(f, ptr, fit_params[i].lo, fit_params[i].hi, &x, err) < 0) {
            return err->code;
        } else if (fit_params[i].lo_open && x <= fit_params[i].lo) {
            return codec__bad(err, ANAS_ERANGE, ptr, "%s must be in (%g, %g] (got %.17g)", ptr,
                              fit_params[i].lo, fit_params[i].hi, x);
        }
        param_set(p, i, x);
    }
    return 0;
}

static int parse_runs(json_t *v, struct surrogate_request *out, struct anas_error *err)
{
    size_t i;
    json_t *r;
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, "/runs", "runs must be an array of run ids");
    if (json_array_size(v) < 1 || json_array_size(v) > SURROGATE_MAX_RUNS)
        return codec__bad(err, ANAS_ERANGE, "/runs", "runs needs 1..%d run ids",
                          SURROGATE_MAX_RUNS);
    json_array_foreach(v, i, r)
    {
        char ptr[32];
        snprintf(ptr, sizeof ptr, "/runs/%zu", i);
        if (codec__int(r, ptr, 1, MAX_SAFE_INT, &out->runs[i], err) < 0)
            return err->code;
        for (size_t k = 0; k < i; k++)
            if (out->runs[k] == out->runs[i])
                return codec__bad(err, ANAS_EINVAL, ptr, "run %lld is listed twice",
                                  out->runs[i]);
    }
    out->n_runs = (int)json_array_size(v);
    return 0;
}

int codec_surrogate_request(json_t *body, struct surrogate_request *out,
                            struct anas_error *err)
{
    static const char *const keys[] = {"runs", "metric", "name", "folds", "params", NULL};
    long long folds = 5;
    json_t *f;
    memset(out, 0, sizeof *out);
    anas_surrogate_fit_params_init(&out->params);
    if (codec_check_keys(body, keys, "", err) < 0)
        return err->code;
    if (!(f = json_object_get(body, "runs")))
        return codec__bad(err, ANAS_EINVAL, "/runs", "runs (the ids of the runs to learn "
                                                     "from) is required");
    if (parse_runs(f, out, err) < 0)
        return err->code;
    if (!(f = json_object_get(body, "metric")))
        return codec__bad(err, ANAS_EINVAL, "/metric", "metric (what to predict) is required");
    if (codec__str(f, "/metric", out->metric, sizeof out->metric, err) < 0)
        return err->code;
    if (!anas_metric_name_valid(out->metric))
        return codec__bad(err, ANAS_EINVAL, "/metric", "'%s' is not a valid metric name",
                          out->metric);
    if ((f = json_object_get(body, "name")) &&
        codec__str(f, "/name", out->name, sizeof out->name, err) < 0)
        return err->code;
    if ((f = json_object_get(body, "folds")) && codec__int(f, "/folds", 2, 20, &folds, err) < 0)
        return err->code;
    out->folds = (int)folds;
    if ((f = json_object_get(body, "params")) && parse_params(f, &out->params, err) < 0)
        return err->code;
    return 0;
}

json_t *codec_surrogate_request_to_json(const struct surrogate_request *r)
{
    json_t *runs = json_array(), *params = json_object();
    for (int i = 0; i < r->n_runs; i++)
        json_array_append_new(runs, json_integer((json_int_t)r->runs[i]));
    for (int i = 0; i < N_FIT_PARAMS; i++) {
        double v = param_get(&r->params, i);
        json_object_set_new(params, fit_params[i].name,
                            fit_params[i].is_int ? json_integer((json_int_t)v) : json_real(v));
    }
    return json_pack("{s:o, s:s, s:o, s:i}", "runs", runs, "metric", r->metric, "params",
                     params, "folds", r->folds);
}

json_t *codec_surrogate_quality_to_json(const struct anas_surrogate_quality *q)
{
    const double v[] = {q->kendall_tau, q->spearman_rho, q->rmse, q->mape};
    const char *const names[] = {"kendall_tau", "spearman_rho", "rmse", "mape"};
    json_t *o = json_object();
    /* JSON has no NaN: a statistic without a value (constant predictions
     * have no rank correlation) is null */
    for (int i = 0; i < 4; i++)
        json_object_set_new(o, names[i], isfinite(v[i]) ? json_real(v[i]) : json_null());
    return o;
}
