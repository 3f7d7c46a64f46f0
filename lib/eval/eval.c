/*
 * eval.c - evaluate one architecture: the analytic description of the
 * network it builds, then the configured evaluator.
 *
 * A spec is a plain value read by many threads at once; nothing here writes
 * to it after anas_eval_spec_check(), and the surrogates it borrows lock
 * themselves, so anas_eval_run() needs no lock of its own.
 */
#include "config.h"

#include "eval/eval.h"

#include <stdio.h>
#include <string.h>

#include "tensor/team.h"

/* Feature vectors are short (22 for resnet); this bounds a stack buffer. */
#define MAX_FEATURES 256

static const char *const kind_names[] = {
    [ANAS_EVAL_ANALYTIC] = "analytic",
    [ANAS_EVAL_SURROGATE] = "surrogate",
    [ANAS_EVAL_TRAIN] = "train",
    [ANAS_EVAL_RPU] = "rpu",
};
#define N_KINDS (int)(sizeof(kind_names) / sizeof(kind_names[0]))

const char *anas_eval_kind_name(enum anas_eval_kind kind)
{
    if ((int)kind < 0 || (int)kind >= N_KINDS)
        return "unknown";
    return kind_names[kind];
}

int anas_eval_kind_parse(const char *name, enum anas_eval_kind *out)
{
    for (int i = 0; name && i < N_KINDS; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum anas_eval_kind)i;
            return 0;
        }
    }
    return ANAS_EINVAL;
}

void anas_eval_spec_init(struct anas_eval_spec *spec, enum anas_eval_kind kind,
                         const struct anas_space *space, const struct anas_shape *shape)
{
    memset(spec, 0, sizeof(*spec));
    spec->kind = kind;
    spec->space = space;
    if (shape)
        spec->shape = *shape;
    else if (space)
        spec->shape = anas_space_default_shape(space);
    spec->mapping = anas_mapping_default;
    anas_eval_analog_init(&spec->analog);
}

static int add_model(struct anas_eval_spec *spec, const char *metric,
                     struct anas_surrogate *model, enum anas_eval_features features)
{
    if (!metric || !anas_metric_name_valid(metric) || !model)
        return ANAS_EINVAL;
    for (int i = 0; i < spec->n_models; i++)
        if (strcmp(spec->models[i].metric, metric) == 0)
            return ANAS_EINVAL;
    if (spec->n_models >= ANAS_EVAL_MAX_MODELS)
        return ANAS_ELIMIT;
    struct anas_eval_model *m = &spec->models[spec->n_models++];
    memset(m, 0, sizeof(*m));
    /* anas_metric_name_valid() bounded the length. */
    memcpy(m->metric, metric, strlen(metric) + 1);
    m->model = model;
    m->features = features;
    return 0;
}

int anas_eval_spec_add_model(struct anas_eval_spec *spec, const char *metric,
                             struct anas_surrogate *model)
{
    return add_model(spec, metric, model, ANAS_EVAL_FEATURES_RAW);
}

int anas_eval_spec_add_model_encoded(struct anas_eval_spec *spec, const char *metric,
                                     struct anas_surrogate *model)
{
    return add_model(spec, metric, model, ANAS_EVAL_FEATURES_ENCODED);
}

/* The space's feature count, from an all-zero configuration. */
static int space_n_features(const struct anas_space *space)
{
    struct anas_config cfg;
    float x[MAX_FEATURES];

    anas_config_init(&cfg, space);
    return anas_space_features(space, &cfg, x, MAX_FEATURES);
}

/* The width of what a model of this kind is fed, or a negative code. */
static int input_width(const struct anas_space *space, enum anas_eval_features features)
{
    if (features == ANAS_EVAL_FEATURES_ENCODED)
        return anas_space_n_hp(space);
    return space_n_features(space);
}

static int check_models(const struct anas_eval_spec *spec, struct anas_error *err)
{
    if (spec->n_models < 1)
        return anas_error_field(err, ANAS_EINVAL, "models",
                                "a surrogate evaluator needs at least one model");
    for (int i = 0; i < spec->n_models; i++) {
        const struct anas_eval_model *m = &spec->models[i];
        int encoded = m->features == ANAS_EVAL_FEATURES_ENCODED;
        int n_features = input_width(spec->space, m->features), want;

        if (n_features < 0)
            return anas_error_field(err, n_features, m->metric,
                                    "space %s has no surrogate feature vector",
                                    anas_space_name(spec->space));
        if (!anas_metric_name_valid(m->metric))
            return anas_error_field(err, ANAS_EINVAL, m->metric, "invalid metric name");
        if (!m->model)
            return anas_error_field(err, ANAS_EINVAL, m->metric, "no model for %s",
                                    m->metric);
        want = anas_surrogate_n_features(m->model);
        if (want != n_features)
            return anas_error_field(err, ANAS_ESHAPE, m->metric,
                                    "model for %s expects %d features, space %s gives %d%s",
                                    m->metric, want, anas_space_name(spec->space),
                                    n_features, encoded ? " (encoded)" : "");
    }
    return 0;
}

static int check_dataset(const struct anas_dataset *d, const struct anas_shape *shape,
                         const char *field, struct anas_error *err)
{
    if (!d)
        return anas_error_field(err, ANAS_EINVAL, field, "training needs a %s set", field);
    if (d->c != shape->c || d->h != shape->h || d->w != shape->w)
        return anas_error_field(err, ANAS_ESHAPE, "input",
                                "the %s set holds %dx%dx%d images, the network expects "
                                "%dx%dx%d",
                                field, d->c, d->h, d->w, shape->c, shape->h, shape->w);
    if (d->classes > shape->classes)
        return anas_error_field(err, ANAS_ESHAPE, "classes",
                                "the %s set has %d classes, the network %d", field,
                                d->classes, shape->classes);
    return 0;
}

static int check_training(const struct anas_eval_spec *spec, struct anas_error *err)
{
    int rc = check_dataset(spec->train_set, &spec->shape, "train", err);
    if (rc == 0)
        rc = check_dataset(spec->test_set, &spec->shape, "test", err);
    if (rc == 0)
        rc = anas_train_spec_check(&spec->train, err);
    return rc;
}

static int check_rpu(const struct anas_eval_spec *spec, struct anas_error *err)
{
    const struct anas_eval_rpu_base *b = &spec->rpu;
    struct anas_config base = b->cfg;
    int rc = check_dataset(spec->test_set, &b->shape, "test", err);

    if (rc < 0)
        return rc;
    if (strcmp(anas_space_name(spec->space), "rpu") != 0)
        return anas_error_field(err, ANAS_EINVAL, "space",
                                "the rpu evaluator searches the rpu space");
    if (!b->space || !b->params)
        return anas_error_field(err, ANAS_EINVAL, "model", "no trained network to measure");
    rc = anas_space_validate(b->space, &base, err);
    if (rc == 0)
        rc = anas_analog_config_check(&spec->analog.hw, err);
    return rc;
}

int anas_eval_spec_check(const struct anas_eval_spec *spec, struct anas_error *err)
{
    int rc;

    if (!spec || !spec->space)
        return anas_error_field(err, ANAS_EINVAL, "space", "no search space");
    if ((int)spec->kind < 0 || (int)spec->kind >= N_KINDS)
        return anas_error_field(err, ANAS_EINVAL, "kind", "unknown evaluator kind %d",
                                (int)spec->kind);
    if (spec->n_models < 0 || spec->n_models > ANAS_EVAL_MAX_MODELS)
        return anas_error_field(err, ANAS_ELIMIT, "models", "at most %d models",
                                ANAS_EVAL_MAX_MODELS);
    if (spec->mapping.max_input_size < 1 || spec->mapping.max_output_size < 1)
        return anas_error_field(err, ANAS_ERANGE, "mapping",
                                "tile sizes must be positive");
    if (spec->threads < 0 || spec->threads > ANAS_TEAM_MAX)
        return anas_error_field(err, ANAS_ERANGE, "threads", "threads must be 0..%d",
                                ANAS_TEAM_MAX);
    rc = anas_space_check_shape(spec->space, &spec->shape, err);
    if (rc < 0)
        return rc;
    if (spec->kind == ANAS_EVAL_SURROGATE)
        return check_models(spec, err);
    if (spec->kind == ANAS_EVAL_TRAIN)
        return check_training(spec, err);
    if (spec->kind == ANAS_EVAL_RPU)
        return check_rpu(spec, err);
    return 0;
}

int anas_eval_analytic(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                       struct anas_metrics *out, struct anas_error *err)
{
    struct anas_analog_config hw;
    struct anas_mapping map;
    int rc;

    if (spec->kind != ANAS_EVAL_RPU)
        return anas_space_analytic(spec->space, &spec->shape, cfg, &spec->mapping, out, err);
    /* the trained network's figures on this configuration's tiles */
    rc = anas_eval_rpu_hw(spec, cfg, &hw, err);
    if (rc < 0)
        return rc;
    /* a side the hardware leaves unlimited (0) counts as the spec's, as
     * the train evaluator counts it */
    map.max_input_size = hw.mapping.max_input_size;
    map.max_output_size = hw.mapping.max_output_size > 0 ? hw.mapping.max_output_size
                                                         : spec->mapping.max_output_size;
    return anas_space_analytic(spec->rpu.space, &spec->rpu.shape, &spec->rpu.cfg, &map, out,
                               err);
}

static int canceled(const atomic_int *cancel)
{
    return cancel && atomic_load(cancel) != 0;
}

/* The configuration as a model of this kind reads it, into x (MAX_FEATURES
 * floats); the width or a negative code. */
static int model_input(const struct anas_space *space, const struct anas_config *cfg,
                       enum anas_eval_features features, float *x)
{
    double v[ANAS_SPACE_MAX_HP];
    int n;

    if (features != ANAS_EVAL_FEATURES_ENCODED)
        return anas_space_features(space, cfg, x, MAX_FEATURES);
    n = anas_space_encode(space, cfg, v);
    for (int i = 0; i < n; i++)
        x[i] = (float)v[i];
    return n;
}

static int run_surrogates(const struct anas_eval_spec *spec,
                          const struct anas_config *cfg, const atomic_int *cancel,
                          struct anas_metrics *out, struct anas_error *err)
{
    float x[2][MAX_FEATURES];
    int n[2] = {0, 0}; /* per kind: 0 not computed yet */

    for (int i = 0; i < spec->n_models; i++) {
        const struct anas_eval_model *m = &spec->models[i];
        int k = m->features == ANAS_EVAL_FEATURES_ENCODED;
        float y;
        int rc;

        if (canceled(cancel))
            return anas_error_set(err, ANAS_ECANCELED, "evaluation canceled");
        if (n[k] == 0)
            n[k] = model_input(spec->space, cfg, m->features, x[k]);
        if (n[k] < 0)
            return anas_error_field(err, n[k], m->metric,
                                    "space %s has no surrogate %s",
                                    anas_space_name(spec->space),
                                    k ? "encoding" : "feature vector");
        rc = anas_surrogate_predict(m->model, x[k], 1, n[k], &y, err);
        if (rc < 0) {
            if (err)
                snprintf(err->field, sizeof(err->field), "%s", m->metric);
            return rc;
        }
        rc = anas_metrics_set(out, m->metric, (double)y);
        if (rc < 0)
            return anas_error_field(err, rc, m->metric, "cannot record metric %s",
                                    m->metric);
    }
    return 0;
}

int anas_eval_run(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                  const atomic_int *cancel, struct anas_metrics *out,
                  struct anas_error *err)
{
    int rc;

    anas_metrics_init(out);
    if (canceled(cancel))
        return anas_error_set(err, ANAS_ECANCELED, "evaluation canceled");
    if (spec->kind == ANAS_EVAL_TRAIN) /* computes the analytic metrics too */
        return anas_eval_train(spec, cfg, cancel, NULL, out, NULL, err);
    if (spec->kind == ANAS_EVAL_RPU)
        return anas_eval_rpu(spec, cfg, cancel, NULL, out, err);
    rc = anas_eval_analytic(spec, cfg, out, err);
    if (rc < 0)
        return rc;
    if (spec->kind == ANAS_EVAL_SURROGATE)
        return run_surrogates(spec, cfg, cancel, out, err);
    return 0;
}
