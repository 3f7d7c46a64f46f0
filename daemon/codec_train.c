/*
 * codec_train.c - datasets and training recipes in run specs: the JSON of
 * the `train` evaluator, validated field by field like the rest of a spec.
 */
#include "config.h"

#include "codec_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct known_dataset {
    const char *name;
    int needs_path;
    struct anas_shape shape;
};

static const struct known_dataset datasets[] = {
    {"fashion-mnist", 1, {1, 28, 28, 10}},
    {"mnist", 1, {1, 28, 28, 10}},
    {"cifar10", 1, {3, 32, 32, 10}},
    {"synthetic", 0, {0, 0, 0, 0}}, /* any shape: the space's */
};

static const struct known_dataset *find_dataset(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof datasets / sizeof datasets[0]; i++)
        if (strcmp(datasets[i].name, name) == 0)
            return &datasets[i];
    return NULL;
}

int codec__dataset_shape(const struct run_spec *s, struct anas_shape *out)
{
    const struct known_dataset *k = s->has_dataset ? find_dataset(s->dataset.name) : NULL;
    if (!k || k->shape.c == 0)
        return 0;
    *out = k->shape;
    return 1;
}

static int subset(json_t *v, const char *key, int *out, struct anas_error *err)
{
    json_t *f = json_object_get(v, key);
    char p[64];
    long long x;
    if (!f)
        return 0;
    snprintf(p, sizeof p, "/dataset/%s", key);
    if (codec__int(f, p, 1, 10000000, &x, err) < 0)
        return err->code;
    *out = (int)x;
    return 0;
}

int codec__dataset(const struct conf *c, json_t *v, struct run_spec *out,
                   struct anas_error *err)
{
    static const char *const keys[] = {"name", "path", "train_subset", "test_subset", NULL};
    struct run_dataset *d = &out->dataset;
    const struct known_dataset *k;
    json_t *f;
    if (codec__obj(v, "/dataset", err) < 0 || codec_check_keys(v, keys, "/dataset", err) < 0)
        return err->code;
    if (!(f = json_object_get(v, "name")))
        return codec__bad(err, ANAS_EINVAL, "/dataset/name", "dataset.name is required");
    if (codec__str(f, "/dataset/name", d->name, sizeof d->name, err) < 0)
        return err->code;
    if (!(k = find_dataset(d->name)))
        return codec__bad(err, ANAS_ENOTFOUND, "/dataset/name",
                          "unknown dataset '%s' (fashion-mnist, mnist, cifar10, synthetic)",
                          d->name);
    if (subset(v, "train_subset", &d->train_subset, err) < 0 ||
        subset(v, "test_subset", &d->test_subset, err) < 0)
        return err->code;
    out->has_dataset = 1;
    f = json_object_get(v, "path");
    if (!k->needs_path) {
        if (f)
            return codec__bad(err, ANAS_EINVAL, "/dataset/path",
                              "the synthetic dataset is generated; it takes no path");
        if (!d->train_subset)
            d->train_subset = 2000;
        if (!d->test_subset)
            d->test_subset = 500;
        return 0;
    }
    if (!f)
        return codec__bad(err, ANAS_EINVAL, "/dataset/path",
                          "dataset.path is required (a directory inside a --data-root)");
    if (!json_is_string(f))
        return codec__bad(err, ANAS_ETYPE, "/dataset/path", "dataset.path must be a string");
    switch (conf_path_in_roots(c->data_roots, c->n_data_roots, json_string_value(f), d->path,
                               sizeof d->path)) {
    case 0:
        return 0;
    case ANAS_ENOTFOUND:
        return codec__bad(err, ANAS_ENOTFOUND, "/dataset/path", "dataset directory %s does not exist",
                          json_string_value(f));
    default:
        return codec__bad(err, ANAS_EDENIED, "/dataset/path",
                          "dataset path %s is outside the allowed data roots%s",
                          json_string_value(f),
                          c->n_data_roots ? "" : " (anasd was started without --data-root)");
    }
}

static int parse_optimizer(json_t *v, struct anas_optim_spec *o, struct anas_error *err)
{
    static const char *const keys[] = {"kind",  "lr",    "momentum", "nesterov",
                                       "weight_decay", "beta1", "beta2", "eps", NULL};
    static const struct {
        const char *key;
        size_t off;
        double lo, hi;
    } nums[] = {
        {"lr", offsetof(struct anas_optim_spec, lr), 1e-8, 10},
        {"momentum", offsetof(struct anas_optim_spec, momentum), 0, 0.999},
        {"weight_decay", offsetof(struct anas_optim_spec, weight_decay), 0, 1},
        {"beta1", offsetof(struct anas_optim_spec, beta1), 0, 0.9999},
        {"beta2", offsetof(struct anas_optim_spec, beta2), 0, 0.99999},
        {"eps", offsetof(struct anas_optim_spec, eps), 1e-12, 1},
    };
    char kind[16] = "sgd", p[64];
    json_t *f;
    size_t i;
    if (codec__obj(v, "/evaluator/optimizer", err) < 0 ||
        codec_check_keys(v, keys, "/evaluator/optimizer", err) < 0)
        return err->code;
    if ((f = json_object_get(v, "kind")) &&
        codec__str(f, "/evaluator/optimizer/kind", kind, sizeof kind, err) < 0)
        return err->code;
    if (strcmp(kind, "sgd") == 0)
        o->kind = ANAS_OPTIM_SGD;
    else if (strcmp(kind, "adam") == 0)
        o->kind = ANAS_OPTIM_ADAM;
    else if (strcmp(kind, "adamw") == 0)
        o->kind = ANAS_OPTIM_ADAMW;
    else
        return codec__bad(err, ANAS_EINVAL, "/evaluator/optimizer/kind",
                          "optimizer must be sgd, adam or adamw");
    for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        double x;
        if (!(f = json_object_get(v, nums[i].key)))
            continue;
        snprintf(p, sizeof p, "/evaluator/optimizer/%s", nums[i].key);
        if (codec__num(f, p, nums[i].lo, nums[i].hi, &x, err) < 0)
            return err->code;
        *(float *)((char *)o + nums[i].off) = (float)x;
    }
    if ((f = json_object_get(v, "nesterov"))) {
        if (!json_is_boolean(f))
            return codec__bad(err, ANAS_ETYPE, "/evaluator/optimizer/nesterov",
                              "nesterov must be true or false");
        o->nesterov = json_is_true(f);
    }
    return 0;
}

static int parse_schedule(json_t *v, struct anas_sched *s, int epochs, struct anas_error *err)
{
    static const char *const keys[] = {"kind", "step_size", "gamma", "eta_min", NULL};
    char kind[16];
    json_t *f;
    long long x;
    double g;
    json_t *obj = json_is_object(v) ? v : NULL;
    if (obj && codec_check_keys(obj, keys, "/evaluator/schedule", err) < 0)
        return err->code;
    if (codec__str(obj ? json_object_get(obj, "kind") : v,
                   obj ? "/evaluator/schedule/kind" : "/evaluator/schedule", kind, sizeof kind,
                   err) < 0)
        return err->code;
    s->t_max = epochs;
    if (strcmp(kind, "constant") == 0)
        s->kind = ANAS_SCHED_CONSTANT;
    else if (strcmp(kind, "cosine") == 0)
        s->kind = ANAS_SCHED_COSINE;
    else if (strcmp(kind, "step") == 0)
        s->kind = ANAS_SCHED_STEP;
    else
        return codec__bad(err, ANAS_EINVAL, obj ? "/evaluator/schedule/kind" : "/evaluator/schedule",
                          "schedule must be constant, step or cosine");
    if (obj && (f = json_object_get(obj, "step_size"))) {
        if (codec__int(f, "/evaluator/schedule/step_size", 1, 1000, &x, err) < 0)
            return err->code;
        s->step_size = (int)x;
    }
    if (obj && (f = json_object_get(obj, "gamma"))) {
        if (codec__num(f, "/evaluator/schedule/gamma", 0, 1, &g, err) < 0)
            return err->code;
        s->gamma = (float)g;
    }
    if (obj && (f = json_object_get(obj, "eta_min"))) {
        if (codec__num(f, "/evaluator/schedule/eta_min", 0, 10, &g, err) < 0)
            return err->code;
        s->eta_min = (float)g;
    }
    return 0;
}

static int parse_augment(json_t *v, struct anas_augment *a, struct anas_error *err)
{
    static const char *const keys[] = {"crop_pad", "flip", "cutout", NULL};
    json_t *f;
    long long x;
    if (codec__obj(v, "/evaluator/augment", err) < 0 ||
        codec_check_keys(v, keys, "/evaluator/augment", err) < 0)
        return err->code;
    if ((f = json_object_get(v, "crop_pad"))) {
        if (codec__int(f, "/evaluator/augment/crop_pad", 0, 16, &x, err) < 0)
            return err->code;
        a->crop_pad = (int)x;
    }
    if ((f = json_object_get(v, "cutout"))) {
        if (codec__int(f, "/evaluator/augment/cutout", 0, 64, &x, err) < 0)
            return err->code;
        a->cutout = (int)x;
    }
    if ((f = json_object_get(v, "flip"))) {
        if (!json_is_boolean(f))
            return codec__bad(err, ANAS_ETYPE, "/evaluator/augment/flip",
                              "flip must be true or false");
        a->flip = json_is_true(f);
    }
    return 0;
}

/* --- the analog measurement: hardware, hwa, drift_times, repeats --- */

#define MAX_DRIFT_S (36500.0 * 86400.0) /* a century */

/* "<positive integer><s|m|h|d>" in seconds; -1 when malformed. */
static double duration_s(const char *t)
{
    static const struct {
        char unit;
        double s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    size_t i, digits = strspn(t, "0123456789");
    if (digits == 0 || t[0] == '0' || !t[digits] || t[digits + 1])
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (t[digits] == units[i].unit)
            return strtod(t, NULL) * units[i].s;
    return -1;
}

/* Every metric name a drift time makes must be a valid one (the length
 * limit, and the library's own duration rule). */
static int time_names_valid(const char *t)
{
    static const char *const bases[] = {"acc", "acc_std", "neg_mse", "neg_mse_std"};
    size_t i;
    for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        char m[64];
        snprintf(m, sizeof m, "%s@%s", bases[i], t);
        if (!anas_metric_name_valid(m))
            return 0;
    }
    return 1;
}

static int parse_drift_times(json_t *v, struct anas_eval_analog *a, struct anas_error *err)
{
    size_t i, n = json_array_size(v);
    json_t *t;
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, "/evaluator/drift_times",
                          "drift_times must be an array of durations such as \"1s\", \"1d\"");
    if (n < 1 || n > ANAS_EVAL_MAX_TIMES)
        return codec__bad(err, ANAS_ERANGE, "/evaluator/drift_times",
                          "drift_times must hold 1..%d durations", ANAS_EVAL_MAX_TIMES);
    json_array_foreach(v, i, t)
    {
        char p[64];
        double s;
        int rc;
        snprintf(p, sizeof p, "/evaluator/drift_times/%zu", i);
        if ((rc = codec__str(t, p, a->time_names[i], sizeof a->time_names[i], err)) < 0)
            return rc;
        s = duration_s(a->time_names[i]);
        if (s <= 0 || !time_names_valid(a->time_names[i]))
            return codec__bad(err, ANAS_EINVAL, p,
                              "'%s' is not a duration: a positive integer and s, m, h or d "
                              "(1s, 60s, 1h, 1d, 30d)",
                              a->time_names[i]);
        if (s > MAX_DRIFT_S)
            return codec__bad(err, ANAS_ERANGE, p, "drift times are at most 36500d");
        if (i > 0 && s <= a->times[i - 1])
            return codec__bad(err, ANAS_EINVAL, p,
                              "drift_times must increase: %s is not after %s", a->time_names[i],
                              a->time_names[i - 1]);
        a->times[i] = s;
    }
    a->n_times = (int)n;
    return 0;
}

/* aihwkit's ReRAM model is tabulated at three times only: refuse others
 * here rather than fail every evaluation. Default times are blamed on the
 * noise model, the only field the spec gave. */
static int reram_times(const struct anas_eval_analog *a, int times_given,
                       struct anas_error *err)
{
    int i;
    if (a->hw.noise_model.type != ANAS_NOISE_RERAM)
        return 0;
    for (i = 0; i < a->n_times; i++) {
        char p[64] = "/evaluator/hardware/overrides/noise_model/type";
        if (a->times[i] == 1 || a->times[i] == 86400 || a->times[i] == 172800)
            continue;
        if (times_given)
            snprintf(p, sizeof p, "/evaluator/drift_times/%d", i);
        return codec__bad(err, ANAS_EINVAL, p,
                          "the RERAM noise model knows only the drift times 1s, 1d and 2d "
                          "(got %s)",
                          a->time_names[i]);
    }
    return 0;
}

/* Any analog field turns the measurement on; the others keep
 * anas_eval_analog_init's defaults. */
static int parse_analog(json_t *v, struct anas_eval_analog *a, struct anas_error *err)
{
    json_t *f;
    long long x;
    int rc;
    anas_eval_analog_init(a);
    if ((f = json_object_get(v, "hardware"))) {
        a->enabled = 1;
        if ((rc = codec__hardware(f, "/evaluator/hardware", &a->hw, err)) < 0)
            return rc;
    }
    if ((f = json_object_get(v, "hwa"))) {
        a->enabled = 1;
        if (!json_is_boolean(f))
            return codec__bad(err, ANAS_ETYPE, "/evaluator/hwa", "hwa must be true or false");
        a->hwa = json_is_true(f);
    }
    if ((f = json_object_get(v, "drift_times"))) {
        a->enabled = 1;
        if ((rc = parse_drift_times(f, a, err)) < 0)
            return rc;
    }
    if ((f = json_object_get(v, "repeats"))) {
        a->enabled = 1;
        if ((rc = codec__int(f, "/evaluator/repeats", 1, 100, &x, err)) < 0)
            return rc;
        a->repeats = (int)x;
    }
    return reram_times(a, json_object_get(v, "drift_times") != NULL, err);
}

int codec__train(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"kind",     "epochs",  "batch_size", "optimizer",
                                       "schedule", "augment", "mapping",    "hardware",
                                       "hwa",      "drift_times", "repeats", NULL};
    struct anas_train_spec *t = &out->train;
    struct anas_error lerr;
    json_t *f;
    long long x;
    if (codec_check_keys(v, keys, "/evaluator", err) < 0)
        return err->code;
    anas_train_spec_init(t);
    if ((f = json_object_get(v, "epochs"))) {
        if (codec__int(f, "/evaluator/epochs", 1, 200, &x, err) < 0)
            return err->code;
        t->epochs = (int)x;
    }
    if ((f = json_object_get(v, "batch_size"))) {
        if (codec__int(f, "/evaluator/batch_size", 1, 1024, &x, err) < 0)
            return err->code;
        t->batch_size = (int)x;
    }
    if ((f = json_object_get(v, "optimizer")) && parse_optimizer(f, &t->optim, err) < 0)
        return err->code;
    t->sched.step_size = 30;
    t->sched.gamma = 0.1f;
    if ((f = json_object_get(v, "schedule")) && parse_schedule(f, &t->sched, t->epochs, err) < 0)
        return err->code;
    t->sched.t_max = t->epochs;
    if ((f = json_object_get(v, "augment")) && parse_augment(f, &t->aug, err) < 0)
        return err->code;
    anas_error_clear(&lerr);
    if (anas_train_spec_check(t, &lerr) < 0) {
        char p[128], *c;
        snprintf(p, sizeof p, "/evaluator/%s", lerr.field);
        for (c = p; *c; c++) /* the library says optimizer.lr */
            if (*c == '.')
                *c = '/';
        return codec__bad(err, lerr.code, p, "%s", lerr.msg);
    }
    return parse_analog(v, &out->analog, err);
}

json_t *codec__dataset_to_json(const struct run_spec *s)
{
    json_t *o = json_pack("{s:s}", "name", s->dataset.name);
    /* 0 means "all": left out, so that the stored spec reads back. */
    if (o && s->dataset.train_subset > 0)
        json_object_set_new(o, "train_subset", json_integer(s->dataset.train_subset));
    if (o && s->dataset.test_subset > 0)
        json_object_set_new(o, "test_subset", json_integer(s->dataset.test_subset));
    if (o && s->dataset.path[0])
        json_object_set_new(o, "path", json_string(s->dataset.path));
    return o;
}

static const char *optim_name(enum anas_optim_kind k)
{
    return k == ANAS_OPTIM_ADAM ? "adam" : k == ANAS_OPTIM_ADAMW ? "adamw" : "sgd";
}

static const char *sched_name(enum anas_sched_kind k)
{
    return k == ANAS_SCHED_STEP ? "step" : k == ANAS_SCHED_COSINE ? "cosine" : "constant";
}

/* The shortest decimal that reads back as the same float: the stored spec
 * then says 0.999, not 0.99900001287460327, and re-reading it (at start-up,
 * after a crash) passes the same range checks as the submission did. */
static double short_float(float f)
{
    char buf[32];
    int prec;
    for (prec = 1; prec < 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            return strtod(buf, NULL);
    }
    return (double)f;
}

/* How many fields of b differ from a (hardware JSON, same shape). */
static int n_differ(json_t *a, json_t *b)
{
    const char *key;
    json_t *x;
    int n = 0;
    json_object_foreach(a, key, x)
    {
        json_t *y = json_object_get(b, key);
        n += json_is_object(x) && json_is_object(y) ? n_differ(x, y) : !json_equal(x, y);
    }
    return n;
}

/* The preset a configuration is nearest to (the first on a tie). The spec
 * keeps the resolved configuration, not the name it was made from; this
 * is that name unless the overrides took it closer to another preset, and
 * it depends on the configuration only, so the echo reads back to itself
 * and equal configurations share their stored results. */
static const char *nearest_preset(json_t *hw)
{
    const char *best = NULL, *name;
    int i, best_n = 0;
    for (i = 0; (name = anas_analog_preset_name(i)); i++) {
        struct anas_analog_config c;
        json_t *j;
        int n;
        anas_analog_preset(name, &c);
        j = codec__hardware_to_json(&c);
        n = j ? n_differ(j, hw) : INT_MAX;
        json_decref(j);
        if (!best || n < best_n) {
            best = name;
            best_n = n;
        }
    }
    return best;
}

/* The whole resolved configuration as overrides of its nearest preset. */
static void analog_to_json(const struct anas_eval_analog *a, json_t *ev)
{
    json_t *hw = codec__hardware_to_json(&a->hw), *times = json_array();
    int i;
    for (i = 0; times && i < a->n_times; i++)
        json_array_append_new(times, json_string(a->time_names[i]));
    json_object_set_new(ev, "hardware",
                        hw ? json_pack("{s:s, s:o}", "preset", nearest_preset(hw), "overrides", hw)
                           : NULL);
    json_object_set_new(ev, "hwa", json_boolean(a->hwa));
    json_object_set_new(ev, "drift_times", times);
    json_object_set_new(ev, "repeats", json_integer(a->repeats));
}

void codec__train_to_json(const struct run_spec *s, json_t *ev)
{
    const struct anas_train_spec *t = &s->train;
    const struct anas_optim_spec *o = &t->optim;
    json_t *opt = json_pack("{s:s, s:f, s:f, s:b, s:f, s:f, s:f, s:f}", "kind",
                            optim_name(o->kind), "lr", short_float(o->lr), "momentum",
                            short_float(o->momentum), "nesterov", o->nesterov, "weight_decay",
                            short_float(o->weight_decay), "beta1", short_float(o->beta1), "beta2",
                            short_float(o->beta2), "eps", short_float(o->eps));
    json_t *sched = json_pack("{s:s, s:i, s:f, s:f}", "kind", sched_name(t->sched.kind),
                              "step_size", t->sched.step_size, "gamma", short_float(t->sched.gamma),
                              "eta_min", short_float(t->sched.eta_min));
    json_t *aug = json_pack("{s:i, s:b, s:i}", "crop_pad", t->aug.crop_pad, "flip", t->aug.flip,
                            "cutout", t->aug.cutout);
    json_object_set_new(ev, "epochs", json_integer(t->epochs));
    json_object_set_new(ev, "batch_size", json_integer(t->batch_size));
    json_object_set_new(ev, "optimizer", opt);
    json_object_set_new(ev, "schedule", sched);
    json_object_set_new(ev, "augment", aug);
    if (s->analog.enabled)
        analog_to_json(&s->analog, ev);
}

int codec__rpu(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"kind", "hardware", "drift_times", "repeats", "hwa",
                                       NULL};
    int rc;
    if (codec_check_keys(v, keys, "/evaluator", err) < 0)
        return err->code;
    anas_train_spec_init(&out->train);
    rc = parse_analog(v, &out->analog, err);
    if (rc == 0 && out->analog.hwa) /* echoed as false; never true */
        return codec__bad(err, ANAS_EINVAL, "/evaluator/hwa",
                          "the rpu evaluator measures a trained model: it trains nothing");
    out->analog.enabled = 1; /* the whole point of the rpu evaluator */
    return rc;
}

void codec__rpu_to_json(const struct run_spec *s, json_t *ev)
{
    analog_to_json(&s->analog, ev);
}
