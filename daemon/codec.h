/*
 * codec.h - the only bridge between JSON and libanas structures.
 *
 * Parsing functions validate as they go and report the first problem in a
 * struct anas_error whose `field` is a JSON pointer into the request body
 * (e.g. "/optimizer/population_size"); unknown fields are errors. JSON
 * values returned are new references owned by the caller.
 */
#ifndef ANASD_CODEC_H
#define ANASD_CODEC_H

#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "core/err.h"
#include "core/metrics.h"
#include "analog/analog.h"
#include "eval/eval.h"
#include "search/search.h"
#include "space/space.h"

#define RUN_MAX_RUNS 100

/* A validated run specification: what POST /api/v1/runs accepted. */
/* A dataset a `train` evaluator reads (datasets live in --data-root). */
struct run_dataset {
    char name[32];            /* fashion-mnist, mnist, cifar10, synthetic */
    char path[CONF_PATH_MAX]; /* resolved directory; empty for synthetic */
    int train_subset;         /* 0: all (synthetic: the size) */
    int test_subset;
};

struct run_spec {
    char kind[16]; /* search, evaluate, train */
    char name[128];
    const struct anas_space *space;
    struct anas_shape shape;
    enum anas_eval_kind eval_kind;
    struct anas_mapping mapping;
    int n_models;
    struct {
        char metric[ANAS_METRIC_NAME_MAX];
        char path[CONF_PATH_MAX]; /* resolved, inside a model root; "" for a stored one */
        long long surrogate;      /* {"surrogate": ID}: a stored surrogate, else 0 */
    } models[ANAS_EVAL_MAX_MODELS];
    struct anas_search_spec search; /* objectives, constraints, optimizer */
    struct anas_config arch;        /* kind evaluate */
    int runs;
    int has_seed;
    uint64_t seed;
    long long max_evals; /* budget.evaluations per repetition; 0 = no cap */
    double max_seconds;  /* budget.seconds per repetition; 0 = no cap */
    int has_dataset;
    struct run_dataset dataset;    /* evaluator kind train */
    struct anas_train_spec train;  /* evaluator kind train; seed = the run's */
    struct anas_eval_analog analog; /* evaluator kind train: analog measurement */
    long long model_run; /* evaluator rpu: the train run whose model it measures */
    /* "pruner" (kind ANAS_PRUNE_NONE: none): prune.d values follow the
     * objectives prune_obj[k] through the epoch metric prune_metric[k]
     * ("" for an analytic objective, whose value is fixed). */
    struct anas_prune_spec prune;
    int prune_obj[ANAS_SEARCH_MAX_OBJECTIVES];
    char prune_metric[ANAS_SEARCH_MAX_OBJECTIVES][ANAS_METRIC_NAME_MAX];
};

int codec_run_spec(const struct conf *c, json_t *body, struct run_spec *out,
                   struct anas_error *err);
json_t *codec_run_spec_to_json(const struct run_spec *s);

/* The run object's "warnings" for a stored (normalized) spec: an array of
 * strings, empty when nothing about the spec deserves one. A surrogate run
 * on an input other than its space's default is warned that the models
 * were fitted on the default. A new reference (NULL only without memory). */
json_t *codec_run_warnings(json_t *spec);

/* Does the spec's evaluator produce this metric (what objectives,
 * constraints and sorting may name)? 1 or 0; ANAS_ENOMEM when that
 * cannot be told. */
int codec_metric_known(const struct run_spec *s, const char *metric);

int codec_config_from_json(const struct anas_space *s, json_t *obj, const char *ptr,
                           struct anas_config *out, struct anas_error *err);
json_t *codec_config_to_json(const struct anas_config *cfg);

/* input ([c,h,w]) and classes, either may be NULL (space default). */
int codec_shape(const struct anas_space *s, json_t *input, json_t *classes, const char *ptr,
                struct anas_shape *out, struct anas_error *err);
json_t *codec_input_to_json(const struct anas_shape *shape);

json_t *codec_metrics_to_json(const struct anas_metrics *m);
int codec_metrics_from_text(const char *text, struct anas_metrics *out);
int codec_config_from_text(const struct anas_space *s, const char *text,
                           struct anas_config *out);

json_t *codec_layers_to_json(const struct anas_layer *layers, int n);
json_t *codec_space_to_json(const struct anas_space *s, int detailed);
json_t *codec_optimizer_to_json(const struct anas_search_ops *ops);

/* Reject keys of obj not in `allowed` (NULL-terminated): ANAS_EUNKNOWN
 * with the pointer ptr/key. */
int codec_check_keys(json_t *obj, const char *const *allowed, const char *ptr,
                     struct anas_error *err);

/* --- surrogates fitted by the daemon (codec_surrogate.c) --- */

#define SURROGATE_MAX_RUNS 100

/* POST /api/v1/surrogates: {"runs": [ids], "metric", "name"?, "folds"?
 * (2..20, 5), "params"? (XGBoost's hyperparameters)}. */
struct surrogate_request {
    long long runs[SURROGATE_MAX_RUNS];
    int n_runs;
    char metric[ANAS_METRIC_NAME_MAX];
    char name[128];
    int folds;
    struct anas_surrogate_fit_params params;
};

/* Fields are checked as far as JSON alone tells (types, ranges, unknown
 * keys); that the runs exist and measured the metric is the caller's. */
int codec_surrogate_request(json_t *body, struct surrogate_request *out,
                            struct anas_error *err);
/* The stored spec: {"runs", "metric", "params" (every one), "folds"}. */
json_t *codec_surrogate_request_to_json(const struct surrogate_request *r);
/* {"kendall_tau", "spearman_rho", "rmse", "mape"}, null for a NaN. */
json_t *codec_surrogate_quality_to_json(const struct anas_surrogate_quality *q);

/* Text of a JSON value (compact, 17 significant digits); malloc'd. */
char *codec_dump(json_t *v);

/* Append "/key" (escaped per RFC 6901) to a pointer. */
void codec_ptr(char *out, size_t n, const char *base, const char *key);

#endif
