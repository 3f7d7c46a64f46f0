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

enum dataset_source { GENERATED, FILES, BUILT_IN };

struct known_dataset {
    const char *name;
    enum dataset_source source;
    struct anas_shape shape;
};

static const struct known_dataset datasets[] = {
    {"fashion-mnist", FILES, {1, 28, 28, 10}},
    {"mnist", FILES, {1, 28, 28, 10}},
    {"cifar10", FILES, {3, 32, 32, 10}},
    {"synthetic", GENERATED, {0, 0, 0, 0}}, /* any shape: the space's */
    /* aihwkit's small examples' tensors (lib/data/tiny.c): 4 inputs, and
     * as many outputs as regression targets */
    {"aihwkit-tiny-1", BUILT_IN, {1, 1, 4, 2}},
    {"aihwkit-tiny-2", BUILT_IN, {1, 1, 4, 1}},
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
                          "unknown dataset '%s' (fashion-mnist, mnist, cifar10, synthetic, "
                          "aihwkit-tiny-1, aihwkit-tiny-2)",
                          d->name);
    if (subset(v, "train_subset", &d->train_subset, err) < 0 ||
        subset(v, "test_subset", &d->test_subset, err) < 0)
        return err->code;
    out->has_dataset = 1;
    f = json_object_get(v, "path");
    if (k->source == BUILT_IN) {
        if (f)
            return codec__bad(err, ANAS_EINVAL, "/dataset/path",
                              "%s is built in; it takes no path", d->name);
        if (d->train_subset || d->test_subset)
            return codec__bad(err, ANAS_EINVAL,
                              d->train_subset ? "/dataset/train_subset" : "/dataset/test_subset",
                              "%s has two samples, trained and tested on whole", d->name);
        return 0;
    }
    if (k->source == GENERATED) {
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

/* Bounds of the recipe fields a search may also give as choices. */
#define EPOCHS_MAX 200
#define BATCH_MAX 1024
#define LR_MIN 1e-8
#define LR_MAX 10
#define MOMENTUM_MAX 0.999
#define WEIGHT_DECAY_MAX 1

static int parse_optimizer(json_t *v, struct anas_optim_spec *o, struct anas_error *err)
{
    static const char *const keys[] = {"kind",  "lr",    "momentum", "nesterov",
                                       "weight_decay", "beta1", "beta2", "eps", NULL};
    static const struct {
        const char *key;
        size_t off;
        double lo, hi;
    } nums[] = {
        {"lr", offsetof(struct anas_optim_spec, lr), LR_MIN, LR_MAX},
        {"momentum", offsetof(struct anas_optim_spec, momentum), 0, MOMENTUM_MAX},
        {"weight_decay", offsetof(struct anas_optim_spec, weight_decay), 0, WEIGHT_DECAY_MAX},
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

/* "curve_drift": "1d" reads the tiles at that drift time after every
 * epoch, for the learning curve a pruner can follow (one of drift_times,
 * so that its final value is the objective's). */
static int parse_curve_drift(json_t *f, struct anas_eval_analog *a, struct anas_error *err)
{
    char name[ANAS_EVAL_TIME_NAME + 8];
    if (codec__str(f, "/evaluator/curve_drift", name, sizeof name, err) < 0)
        return err->code;
    if (!a->enabled)
        return codec__bad(err, ANAS_EINVAL, "/evaluator/curve_drift",
                          "curve_drift reads the tiles: it needs the analog measurement "
                          "(hardware, hwa or drift_times)");
    for (int i = 0; i < a->n_times; i++)
        if (strcmp(a->time_names[i], name) == 0) {
            a->curve_time = i;
            return 0;
        }
    return codec__bad(err, ANAS_EINVAL, "/evaluator/curve_drift",
                      "curve_drift must be one of the drift_times");
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
    if ((rc = reram_times(a, json_object_get(v, "drift_times") != NULL, err)) < 0)
        return rc;
    return (f = json_object_get(v, "curve_drift")) ? parse_curve_drift(f, a, err) : 0;
}

/* --- choices: training hyperparameters as search dimensions ---
 *
 * A search may give a recipe field as {"choices": [...]}: the run's space
 * becomes a composite (anas_space_compose) of the named space and one
 * CHOICE hyperparameter per such field, so every candidate carries its own
 * recipe. The plain field keeps its default in run_spec.train; the
 * composite's table is where the choices live, and where the echo reads
 * them back. */

#define MIN_CHOICES 2
#define MAX_CHOICES 16

enum { DIM_EPOCHS, DIM_BATCH, DIM_LR, DIM_MOMENTUM, DIM_WEIGHT_DECAY, N_DIMS };

/* In the composite's order. */
static const struct recipe_dim {
    const char *hp;  /* the composite's hyperparameter */
    const char *key; /* the field, in the evaluator or in its optimizer */
    int in_optim;
    int is_int;
    double lo, hi;
} dims[N_DIMS] = {
    {"train.epochs", "epochs", 0, 1, 1, EPOCHS_MAX},
    {"train.batch_size", "batch_size", 0, 1, 1, BATCH_MAX},
    {"train.lr", "lr", 1, 0, LR_MIN, LR_MAX},
    {"train.momentum", "momentum", 1, 0, 0, MOMENTUM_MAX},
    {"train.weight_decay", "weight_decay", 1, 0, 0, WEIGHT_DECAY_MAX},
};

struct choices {
    int n[N_DIMS]; /* 0: the field is a plain number, or absent */
    double v[N_DIMS][MAX_CHOICES];
};

static json_t *dim_value(json_t *ev, int k)
{
    json_t *o = dims[k].in_optim ? json_object_get(ev, "optimizer") : ev;
    return json_is_object(o) ? json_object_get(o, dims[k].key) : NULL;
}

static void dim_ptr(char *p, size_t n, int k)
{
    snprintf(p, n, "/evaluator/%s%s", dims[k].in_optim ? "optimizer/" : "", dims[k].key);
}

/* What anas_eval_apply_recipe does for each evaluation. */
static void dim_set(struct anas_train_spec *t, int k, double v)
{
    switch (k) {
    case DIM_EPOCHS:
        t->epochs = (int)v;
        t->sched.t_max = t->epochs;
        break;
    case DIM_BATCH:
        t->batch_size = (int)v;
        break;
    case DIM_LR:
        t->optim.lr = (float)v;
        break;
    case DIM_MOMENTUM:
        t->optim.momentum = (float)v;
        break;
    default:
        t->optim.weight_decay = (float)v;
    }
}

/* One choice, checked like the plain field. */
static int parse_choice(json_t *f, const char *p, int k, double *out, struct anas_error *err)
{
    long long x;
    if (!dims[k].is_int)
        return codec__num(f, p, dims[k].lo, dims[k].hi, out, err);
    if (codec__int(f, p, (long long)dims[k].lo, (long long)dims[k].hi, &x, err) < 0)
        return err->code;
    *out = (double)x;
    return 0;
}

/* f is {"choices": [...]}: 2..16 distinct values. */
static int parse_choice_list(json_t *f, int k, struct choices *c, struct anas_error *err)
{
    static const char *const keys[] = {"choices", NULL};
    char p[64], pc[80], pi[112];
    json_t *a, *e;
    size_t i, j;
    dim_ptr(p, sizeof p, k);
    snprintf(pc, sizeof pc, "%s/choices", p);
    if (codec_check_keys(f, keys, p, err) < 0)
        return err->code;
    if (!(a = json_object_get(f, "choices")))
        return codec__bad(err, ANAS_EINVAL, pc, "%s is required", pc);
    if (!json_is_array(a))
        return codec__bad(err, ANAS_ETYPE, pc, "%s must be an array", pc);
    if (json_array_size(a) < MIN_CHOICES || json_array_size(a) > MAX_CHOICES)
        return codec__bad(err, ANAS_ERANGE, pc, "%s must hold %d..%d values", pc, MIN_CHOICES,
                          MAX_CHOICES);
    json_array_foreach(a, i, e)
    {
        snprintf(pi, sizeof pi, "%s/%zu", pc, i);
        if (parse_choice(e, pi, k, &c->v[k][i], err) < 0)
            return err->code;
        for (j = 0; j < i; j++)
            if (c->v[k][j] == c->v[k][i])
                return codec__bad(err, ANAS_EINVAL, pi, "%s repeats choice %zu", pi, j);
    }
    c->n[k] = (int)json_array_size(a);
    return 0;
}

/* The fields given as choices (objects), parsed; none is fine. */
static int parse_choices(json_t *ev, const char *kind, struct choices *c, int *any,
                         struct anas_error *err)
{
    int k;
    *any = 0;
    for (k = 0; k < N_DIMS; k++) {
        json_t *f = dim_value(ev, k);
        char p[64];
        if (!json_is_object(f))
            continue; /* a number, or the plain parser's type error */
        dim_ptr(p, sizeof p, k);
        if (strcmp(kind, "search") != 0)
            return codec__bad(err, ANAS_EINVAL, p,
                              "choices are for searches; give a number (an %s run trains "
                              "one recipe)",
                              kind);
        if (parse_choice_list(f, k, c, err) < 0)
            return err->code;
        *any = 1;
    }
    return 0;
}

/* The evaluator without the fields given as choices, for the plain
 * parsers (a shallow copy; the caller decrefs it). */
static json_t *without_choices(json_t *ev, const struct choices *c)
{
    json_t *copy = json_copy(ev), *opt = NULL;
    int k;
    for (k = 0; copy && k < N_DIMS; k++) {
        if (!c->n[k])
            continue;
        if (!dims[k].in_optim) {
            json_object_del(copy, dims[k].key);
            continue;
        }
        if (!opt && (!(opt = json_copy(json_object_get(ev, "optimizer"))) ||
                     json_object_set_new(copy, "optimizer", opt) < 0)) {
            json_decref(copy);
            return NULL;
        }
        json_object_del(opt, dims[k].key);
    }
    return copy;
}

/* Every choice makes a valid recipe with the plain fields and the other
 * dimensions' first choices (the library's cross-field rules included,
 * e.g. nesterov needs a momentum). */
static int check_choices(const struct anas_train_spec *t, const struct choices *c,
                         struct anas_error *err)
{
    struct anas_train_spec first = *t;
    int k, i;
    for (k = 0; k < N_DIMS; k++)
        if (c->n[k])
            dim_set(&first, k, c->v[k][0]);
    for (k = 0; k < N_DIMS; k++) {
        for (i = 0; i < c->n[k]; i++) {
            struct anas_train_spec one = first;
            struct anas_error lerr;
            char p[64], pi[96];
            dim_set(&one, k, c->v[k][i]);
            anas_error_clear(&lerr);
            if (anas_train_spec_check(&one, &lerr) == 0)
                continue;
            dim_ptr(p, sizeof p, k);
            snprintf(pi, sizeof pi, "%s/choices/%d", p, i);
            return codec__bad(err, lerr.code, pi, "%s", lerr.msg);
        }
    }
    return 0;
}

/* The run's space becomes the composite of its space and the choices. */
static int compose(struct run_spec *out, const struct choices *c, struct anas_error *err)
{
    const char *names[N_DIMS];
    const double *v[N_DIMS];
    int n[N_DIMS], k, m = 0;
    const struct anas_space *s;
    struct anas_error lerr;
    for (k = 0; k < N_DIMS; k++) {
        if (!c->n[k])
            continue;
        names[m] = dims[k].hp;
        n[m] = c->n[k];
        v[m++] = c->v[k];
    }
    anas_error_clear(&lerr);
    if (!(s = anas_space_compose(out->space, m, names, n, v, &lerr)))
        return codec__bad(err, lerr.code, "/evaluator", "%s", lerr.msg);
    out->space = s;
    return 0;
}

/* The chosen fields, echoed as their choices from the composite. */
static void choices_to_json(const struct anas_space *s, json_t *ev)
{
    int k, j;
    if (anas_space_base(s) == s)
        return;
    for (k = 0; k < N_DIMS; k++) {
        const struct anas_hp *hp = anas_space_hp(s, anas_space_hp_index(s, dims[k].hp));
        json_t *a, *o = dims[k].in_optim ? json_object_get(ev, "optimizer") : ev;
        if (!hp || !o || !(a = json_array()))
            continue;
        for (j = 0; j < hp->n_choices; j++) {
            double x = hp->choices[j];
            json_array_append_new(a, dims[k].is_int ? json_integer((json_int_t)x) : json_real(x));
        }
        json_object_set_new(o, dims[k].key, json_pack("{s:o}", "choices", a));
    }
}

/* The plain recipe (numbers only) and the analog measurement. */
static int parse_recipe(json_t *v, struct run_spec *out, struct anas_error *err)
{
    struct anas_train_spec *t = &out->train;
    struct anas_error lerr;
    json_t *f;
    long long x;
    anas_train_spec_init(t);
    if ((f = json_object_get(v, "epochs"))) {
        if (codec__int(f, "/evaluator/epochs", 1, EPOCHS_MAX, &x, err) < 0)
            return err->code;
        t->epochs = (int)x;
    }
    if ((f = json_object_get(v, "batch_size"))) {
        if (codec__int(f, "/evaluator/batch_size", 1, BATCH_MAX, &x, err) < 0)
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
    if (parse_analog(v, &out->analog, err) < 0)
        return err->code;
    if ((f = json_object_get(v, "analog_training"))) {
        if (codec__analog_training(f, "/evaluator/analog_training", &out->analog.training,
                                   err) < 0)
            return err->code;
        if (out->analog.hwa)
            return codec__bad(err, ANAS_EINVAL, "/evaluator/analog_training",
                              "analog_training trains on pulsed tiles: it excludes hwa");
        /* the learned periphery trains in hardware-aware training only
         * (doc/analog-model.md §3): untrained, its range would clip */
        if (out->analog.hw.mapping.learn_out_scaling ||
            out->analog.hw.pre_post.input_range.enable)
            return codec__bad(err, ANAS_EINVAL, "/evaluator/analog_training",
                              "analog_training does not learn the hardware's output scales or "
                              "input range: set hardware mapping.learn_out_scaling and "
                              "pre_post.input_range.enable to false");
        if (t->optim.kind != ANAS_OPTIM_SGD)
            return codec__bad(err, ANAS_EINVAL, "/evaluator/optimizer/kind",
                              "analog_training: the tiles update themselves by SGD (aihwkit's "
                              "AnalogSGD), so the optimizer must be sgd");
        out->analog.pulsed = 1;
    }
    return 0;
}

int codec__train(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"kind",     "epochs",  "batch_size", "optimizer",
                                       "schedule", "augment", "mapping",    "hardware",
                                       "hwa",      "drift_times", "repeats",
                                       "curve_drift", "analog_training", NULL};
    struct choices c;
    json_t *plain;
    int any, rc;
    if (codec_check_keys(v, keys, "/evaluator", err) < 0)
        return err->code;
    memset(&c, 0, sizeof c);
    if (parse_choices(v, out->kind, &c, &any, err) < 0)
        return err->code;
    plain = any ? without_choices(v, &c) : json_incref(v);
    if (!plain)
        return codec__bad(err, ANAS_ENOMEM, "/evaluator", "out of memory");
    rc = parse_recipe(plain, out, err);
    json_decref(plain);
    if (rc == 0 && any && (rc = check_choices(&out->train, &c, err)) == 0)
        rc = compose(out, &c, err);
    return rc;
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
    if (a->curve_time >= 0)
        json_object_set_new(ev, "curve_drift", json_string(a->time_names[a->curve_time]));
}

void codec__train_to_json(const struct run_spec *s, json_t *ev)
{
    const struct anas_train_spec *t = &s->train;
    const struct anas_optim_spec *o = &t->optim;
    json_t *opt = json_pack("{s:s, s:f, s:f, s:b, s:f, s:f, s:f, s:f}", "kind",
                            optim_name(o->kind), "lr", codec__short_float(o->lr), "momentum",
                            codec__short_float(o->momentum), "nesterov", o->nesterov, "weight_decay",
                            codec__short_float(o->weight_decay), "beta1", codec__short_float(o->beta1), "beta2",
                            codec__short_float(o->beta2), "eps", codec__short_float(o->eps));
    json_t *sched = json_pack("{s:s, s:i, s:f, s:f}", "kind", sched_name(t->sched.kind),
                              "step_size", t->sched.step_size, "gamma", codec__short_float(t->sched.gamma),
                              "eta_min", codec__short_float(t->sched.eta_min));
    json_t *aug = json_pack("{s:i, s:b, s:i}", "crop_pad", t->aug.crop_pad, "flip", t->aug.flip,
                            "cutout", t->aug.cutout);
    json_object_set_new(ev, "epochs", json_integer(t->epochs));
    json_object_set_new(ev, "batch_size", json_integer(t->batch_size));
    json_object_set_new(ev, "optimizer", opt);
    json_object_set_new(ev, "schedule", sched);
    json_object_set_new(ev, "augment", aug);
    choices_to_json(s->space, ev);
    if (s->analog.enabled)
        analog_to_json(&s->analog, ev);
    if (s->analog.pulsed)
        json_object_set_new(ev, "analog_training",
                            codec__analog_training_to_json(&s->analog.training));
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
