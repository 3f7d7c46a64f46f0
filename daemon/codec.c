/*
 * codec.c - JSON to libanas and back. Validation happens here, at the
 * boundary, before anything reaches compute: every problem is reported
 * with the JSON pointer of the offending field.
 */
#include "config.h"

#include "codec.h"
#include "codec_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "surrogate/surrogate.h"

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53: exact in a double and in JSON */

void codec_ptr(char *out, size_t n, const char *base, const char *key)
{
    size_t len = (size_t)snprintf(out, n, "%s/", base);
    for (; *key && len + 3 < n; key++) {
        if (*key == '~' || *key == '/') {
            out[len++] = '~';
            out[len++] = *key == '~' ? '0' : '1';
        } else {
            out[len++] = *key;
        }
    }
    out[len < n ? len : n - 1] = '\0';
}

static void ptr_index(char *out, size_t n, const char *base, size_t i)
{
    snprintf(out, n, "%s/%zu", base, i);
}

int codec__bad(struct anas_error *err, int code, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", ptr);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

int codec_check_keys(json_t *obj, const char *const *allowed, const char *ptr,
                     struct anas_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        const char *const *a;
        char p[128];
        for (a = allowed; *a; a++)
            if (strcmp(*a, key) == 0)
                break;
        if (!*a) {
            codec_ptr(p, sizeof p, ptr, key);
            return codec__bad(err, ANAS_EUNKNOWN, p, "unknown field '%s'", key);
        }
    }
    return 0;
}

/* Integers compare as integers: through a double, 2^53 + 1 would pass as
 * 2^53. An integral real is accepted below 2^53 only, where a double still
 * tells neighbouring integers apart (9007199254740993.0 reads as 2^53). */
int codec__int(json_t *v, const char *ptr, long long lo, long long hi, long long *out,
                   struct anas_error *err)
{
    double d;
    if (json_is_integer(v)) {
        long long x = json_integer_value(v);
        if (x < lo || x > hi)
            return codec__bad(err, ANAS_ERANGE, ptr, "%s must be in %lld..%lld (got %lld)", ptr,
                              lo, hi, x);
        *out = x;
        return 0;
    }
    if (!json_is_real(v) || floor(json_real_value(v)) != json_real_value(v))
        return codec__bad(err, ANAS_ETYPE, ptr, "%s must be an integer", ptr);
    d = json_real_value(v);
    if (d < (double)lo || d > (double)hi)
        return codec__bad(err, ANAS_ERANGE, ptr, "%s must be in %lld..%lld (got %.17g)", ptr, lo, hi,
                   d);
    if (fabs(d) >= MAX_SAFE_INT)
        return codec__bad(err, ANAS_ERANGE, ptr,
                          "%s must be written as an integer: %.17g as a real number may be "
                          "another integer rounded",
                          ptr, d);
    *out = (long long)d;
    return 0;
}

int codec__num(json_t *v, const char *ptr, double lo, double hi, double *out,
               struct anas_error *err)
{
    double d;
    if (!json_is_number(v))
        return codec__bad(err, ANAS_ETYPE, ptr, "%s must be a number", ptr);
    d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return codec__bad(err, ANAS_ERANGE, ptr, "%s must be in %g..%g (got %.17g)", ptr, lo,
                          hi, d);
    *out = d;
    return 0;
}

int codec__str(json_t *v, const char *ptr, char *out, size_t n, struct anas_error *err)
{
    if (!json_is_string(v))
        return codec__bad(err, ANAS_ETYPE, ptr, "%s must be a string", ptr);
    if (strlen(json_string_value(v)) >= n)
        return codec__bad(err, ANAS_ERANGE, ptr, "%s is longer than %zu bytes", ptr, n - 1);
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

int codec__obj(json_t *v, const char *ptr, struct anas_error *err)
{
    return json_is_object(v) ? 0 : codec__bad(err, ANAS_ETYPE, ptr, "%s must be an object", ptr);
}

/* --- configurations, shapes, metrics --- */

int codec_config_from_json(const struct anas_space *s, json_t *obj, const char *ptr,
                           struct anas_config *out, struct anas_error *err)
{
    const char *key;
    json_t *v;
    char p[128];
    struct anas_error lerr;
    int rc, i, n = anas_space_n_hp(s);
    unsigned char seen[ANAS_SPACE_MAX_HP] = {0};

    if (codec__obj(obj, ptr, err) < 0)
        return ANAS_ETYPE;
    anas_config_init(out, s);
    json_object_foreach(obj, key, v)
    {
        int idx = anas_space_hp_index(s, key);
        codec_ptr(p, sizeof p, ptr, key);
        if (idx < 0)
            return codec__bad(err, ANAS_EUNKNOWN, p, "space %s has no hyperparameter '%s'",
                       anas_space_name(s), key);
        if (!json_is_number(v))
            return codec__bad(err, ANAS_ETYPE, p, "%s must be a number", key);
        out->v[idx] = json_number_value(v);
        seen[idx] = 1;
    }
    /* Hyperparameters of inactive groups may be left out; active ones not. */
    for (i = 0; i < n; i++) {
        if (!seen[i] && anas_space_is_active(s, out, i)) {
            codec_ptr(p, sizeof p, ptr, anas_space_hp(s, i)->name);
            return codec__bad(err, ANAS_EINVAL, p, "missing hyperparameter '%s'",
                       anas_space_hp(s, i)->name);
        }
    }
    anas_error_clear(&lerr);
    rc = anas_space_validate(s, out, &lerr);
    if (rc < 0) {
        codec_ptr(p, sizeof p, ptr, lerr.field);
        return codec__bad(err, rc, lerr.field[0] ? p : ptr, "%s", lerr.msg);
    }
    return 0;
}

json_t *codec_config_to_json(const struct anas_config *cfg)
{
    const struct anas_space *s = cfg->space;
    json_t *o = json_object();
    int i, n = anas_space_n_hp(s);
    for (i = 0; o && i < n; i++) {
        const struct anas_hp *hp = anas_space_hp(s, i);
        double v = cfg->v[i];
        /* Integral values of integer hyperparameters and the zeros of inactive
         * groups are written as JSON integers, as AnalogNAS's dicts hold them. */
        json_t *j = (hp->is_int || v == 0.0) ? json_integer((json_int_t)v) : json_real(v);
        json_object_set_new(o, hp->name, j);
    }
    return o;
}

int codec_config_from_text(const struct anas_space *s, const char *text,
                           struct anas_config *out)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = j ? codec_config_from_json(s, j, "", out, NULL) : ANAS_EFORMAT;
    json_decref(j);
    return rc;
}

int codec_shape(const struct anas_space *s, json_t *input, json_t *classes, const char *ptr,
                struct anas_shape *out, struct anas_error *err)
{
    char p[128];
    long long v[3];
    size_t i;
    struct anas_error lerr;
    int rc;
    *out = anas_space_default_shape(s);
    if (input) {
        codec_ptr(p, sizeof p, ptr, "input");
        if (!json_is_array(input) || json_array_size(input) != 3)
            return codec__bad(err, ANAS_ETYPE, p, "input must be [channels, height, width]");
        for (i = 0; i < 3; i++) {
            char pi[160];
            ptr_index(pi, sizeof pi, p, i);
            if (codec__int(json_array_get(input, i), pi, 1, 1 << 16, &v[i], err) < 0)
                return err ? err->code : ANAS_EINVAL;
        }
        out->c = (int)v[0];
        out->h = (int)v[1];
        out->w = (int)v[2];
    }
    if (classes) {
        codec_ptr(p, sizeof p, ptr, "classes");
        if (codec__int(classes, p, 1, 1 << 20, &v[0], err) < 0)
            return err ? err->code : ANAS_EINVAL;
        out->classes = (int)v[0];
    }
    anas_error_clear(&lerr);
    rc = anas_space_check_shape(s, out, &lerr);
    if (rc < 0) {
        codec_ptr(p, sizeof p, ptr, lerr.field[0] ? lerr.field : "input");
        return codec__bad(err, rc, p, "%s", lerr.msg);
    }
    return 0;
}

json_t *codec_input_to_json(const struct anas_shape *shape)
{
    return json_pack("[i,i,i]", shape->c, shape->h, shape->w);
}

json_t *codec_metrics_to_json(const struct anas_metrics *m)
{
    json_t *o = json_object();
    int i;
    for (i = 0; o && i < m->n; i++) {
        double v = m->m[i].value;
        json_t *j;
        if (!isfinite(v))
            j = json_null(); /* JSON has no NaN; absent beats a lie */
        else if (v == floor(v) && fabs(v) < MAX_SAFE_INT && strcmp(m->m[i].name, "tile_util"))
            j = json_integer((json_int_t)v);
        else
            j = json_real(v);
        json_object_set_new(o, m->m[i].name, j);
    }
    return o;
}

int codec_metrics_from_text(const char *text, struct anas_metrics *out)
{
    json_t *j = json_loads(text, 0, NULL);
    const char *key;
    json_t *v;
    anas_metrics_init(out);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return ANAS_EFORMAT;
    }
    json_object_foreach(j, key, v)
    {
        anas_metrics_set(out, key, json_is_number(v) ? json_number_value(v) : NAN);
    }
    json_decref(j);
    return 0;
}

json_t *codec_layers_to_json(const struct anas_layer *layers, int n)
{
    json_t *a = json_array();
    int i;
    for (i = 0; a && i < n; i++) {
        const struct anas_layer *l = &layers[i];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:[i,i,i], s:[i,i,i], s:i, s:i, s:i, s:I, s:I, s:i}",
                         "name", l->name, "kind", l->kind, "input", l->in_c, l->in_h, l->in_w,
                         "output", l->out_c, l->out_h, l->out_w, "kernel", l->kernel, "stride",
                         l->stride, "padding", l->pad, "params", (json_int_t)l->params,
                         "macs", (json_int_t)l->macs, "tiles", l->tiles));
    }
    return a;
}

static const char *hp_kind_name(enum anas_hp_kind k)
{
    return k == ANAS_HP_CHOICE ? "choice" : k == ANAS_HP_INT ? "int" : "float";
}

static json_t *hp_to_json(const struct anas_hp *hp)
{
    json_t *o = json_pack("{s:s, s:s}", "name", hp->name, "type", hp_kind_name(hp->kind));
    int i;
    if (!o)
        return NULL;
    if (hp->kind == ANAS_HP_CHOICE) {
        json_t *c = json_array();
        for (i = 0; i < hp->n_choices; i++)
            json_array_append_new(c, hp->is_int ? json_integer((json_int_t)hp->choices[i])
                                                : json_real(hp->choices[i]));
        json_object_set_new(o, "choices", c);
    } else if (hp->kind == ANAS_HP_INT) {
        json_object_set_new(o, "min", json_integer((json_int_t)hp->lo));
        json_object_set_new(o, "max", json_integer((json_int_t)hp->hi));
    } else {
        json_object_set_new(o, "min", json_real(hp->lo));
        json_object_set_new(o, "max", json_real(hp->hi));
    }
    if (hp->help)
        json_object_set_new(o, "help", json_string(hp->help));
    return o;
}

json_t *codec_space_to_json(const struct anas_space *s, int detailed)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:i}", "name", anas_space_name(s), "description",
                          anas_space_description(s), "size", (json_int_t)anas_space_size(s),
                          "n_hyperparameters", anas_space_n_hp(s));
    struct anas_shape sh = anas_space_default_shape(s);
    json_t *hps;
    int i;
    if (!o || !detailed)
        return o;
    json_object_set_new(o, "default_input", codec_input_to_json(&sh));
    json_object_set_new(o, "default_classes", json_integer(sh.classes));
    hps = json_array();
    for (i = 0; i < anas_space_n_hp(s); i++)
        json_array_append_new(hps, hp_to_json(anas_space_hp(s, i)));
    json_object_set_new(o, "hyperparameters", hps);
    return o;
}

json_t *codec_optimizer_to_json(const struct anas_search_ops *ops)
{
    json_t *ps = json_array();
    int i;
    for (i = 0; i < ops->n_params; i++) {
        const struct anas_param_desc *d = &ops->params[i];
        json_t *p = json_pack("{s:s, s:s, s:f, s:f, s:s}", "name", d->name, "type",
                              d->is_int ? "integer" : "number", "min", d->lo, "max", d->hi,
                              "help", d->help ? d->help : "");
        if (d->is_int) {
            json_object_set_new(p, "min", json_integer((json_int_t)d->lo));
            json_object_set_new(p, "max", json_integer((json_int_t)d->hi));
        }
        if (isnan(d->def))
            json_object_set_new(p, "default", json_null());
        else if (d->is_int)
            json_object_set_new(p, "default", json_integer((json_int_t)d->def));
        else
            json_object_set_new(p, "default", json_real(d->def));
        json_array_append_new(ps, p);
    }
    return json_pack("{s:s, s:s, s:o}", "name", ops->name, "help", ops->help ? ops->help : "",
                     "parameters", ps);
}

char *codec_dump(json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17));
}

/* --- run specifications --- */

static int parse_space(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"name", "input", "classes", NULL};
    char name[64];
    if (json_is_string(v)) { /* "space": "resnet" shorthand */
        if (codec__str(v, "/space", name, sizeof name, err) < 0)
            return err->code;
        v = NULL;
    } else {
        if (codec__obj(v, "/space", err) < 0 || codec_check_keys(v, keys, "/space", err) < 0)
            return err->code;
        if (!json_object_get(v, "name"))
            return codec__bad(err, ANAS_EINVAL, "/space/name", "space.name is required");
        if (codec__str(json_object_get(v, "name"), "/space/name", name, sizeof name, err) < 0)
            return err->code;
    }
    out->space = anas_space_find(name);
    /* A composite is made from a base space and choices, not named. */
    if (!out->space || anas_space_base(out->space) != out->space)
        return codec__bad(err, ANAS_ENOTFOUND, "/space/name", "unknown space '%s' (see GET /api/v1/spaces)",
                   name);
    {
        json_t *input = v ? json_object_get(v, "input") : NULL;
        json_t *classes = v ? json_object_get(v, "classes") : NULL;
        json_t *own_input = NULL, *own_classes = NULL;
        struct anas_shape ds;
        int rc;
        /* Training on a known dataset: its images decide the input. */
        if (codec__dataset_shape(out, &ds)) {
            if (!input)
                input = own_input = codec_input_to_json(&ds);
            if (!classes)
                classes = own_classes = json_integer(ds.classes);
        }
        rc = codec_shape(out->space, input, classes, "/space", &out->shape, err);
        json_decref(own_input);
        json_decref(own_classes);
        return rc;
    }
}

static int parse_mapping(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"max_input_size", "max_output_size", NULL};
    long long x;
    json_t *f;
    if (codec__obj(v, "/evaluator/mapping", err) < 0 ||
        codec_check_keys(v, keys, "/evaluator/mapping", err) < 0)
        return err->code;
    if ((f = json_object_get(v, "max_input_size"))) {
        if (codec__int(f, "/evaluator/mapping/max_input_size", 16, 4096, &x, err) < 0)
            return err->code;
        out->mapping.max_input_size = (int)x;
    }
    if ((f = json_object_get(v, "max_output_size"))) {
        if (codec__int(f, "/evaluator/mapping/max_output_size", 16, 4096, &x, err) < 0)
            return err->code;
        out->mapping.max_output_size = (int)x;
    }
    return 0;
}

/* The length of the space's surrogate feature vector (resnet: AnalogNAS's
 * 22 values), or ANAS_EUNSUPPORTED for a space without one. */
static int space_n_features(const struct anas_space *s)
{
    struct anas_config cfg;
    float x[4 * ANAS_SPACE_MAX_HP];
    anas_config_init(&cfg, s);
    return anas_space_features(s, &cfg, x, (int)(sizeof x / sizeof x[0]));
}

/* A model that cannot read the space's features would fail every
 * evaluation; loading it once (a fraction of a millisecond for AnalogNAS's
 * models) tells now. ptr names the model. */
static int check_model(const char *path, const char *shown, const char *ptr,
                       const struct anas_space *s, struct anas_error *err)
{
    struct anas_error lerr;
    struct anas_surrogate *m;
    int want, have = space_n_features(s);
    anas_error_clear(&lerr);
    m = anas_surrogate_load(path, &lerr);
    if (!m)
        return codec__bad(err, lerr.code == ANAS_ENOMEM ? ANAS_ENOMEM : ANAS_EINVAL, ptr,
                          "model file %s cannot be loaded: %s", shown, lerr.msg);
    want = anas_surrogate_n_features(m);
    anas_surrogate_free(m);
    if (want != have)
        return codec__bad(err, ANAS_ESHAPE, ptr,
                          "model %s reads %d features; space %s describes an architecture "
                          "with %d",
                          shown, want, anas_space_name(s), have);
    return 0;
}

/* {"surrogate": ID}: a model fitted by POST /api/v1/surrogates. Whether it
 * exists, is ready and reads this space is the store's to say: checked at
 * submission (api_runs.c) and again when the run starts (jobs.c). */
static int parse_stored_model(json_t *v, const char *ptr, long long *id,
                              struct anas_error *err)
{
    static const char *const keys[] = {"surrogate", NULL};
    char p[200];
    json_t *f;
    if (codec_check_keys(v, keys, ptr, err) < 0)
        return err->code;
    snprintf(p, sizeof p, "%s/surrogate", ptr);
    if (!(f = json_object_get(v, "surrogate")))
        return codec__bad(err, ANAS_EINVAL, p, "surrogate (the id of a stored surrogate) is "
                                               "required");
    return codec__int(f, p, 1, (long long)MAX_SAFE_INT, id, err) < 0 ? err->code : 0;
}

/* A model file: inside the model roots, and reading the space's features. */
static int parse_model_path(const struct conf *c, json_t *path, const char *p, int k,
                            struct run_spec *out, struct anas_error *err)
{
    int rc;
    if (space_n_features(out->space) < 0)
        return codec__bad(err, ANAS_EUNSUPPORTED, "/evaluator/kind",
                          "space %s has no surrogate feature vector for a model file to "
                          "read (resnet has AnalogNAS's 22 features); a stored surrogate "
                          "({\"surrogate\": ID}) reads any space's encoding",
                          anas_space_name(out->space));
    rc = conf_path_in_roots(c->model_roots, c->n_model_roots, json_string_value(path),
                            out->models[k].path, sizeof out->models[k].path);
    if (rc == ANAS_EDENIED)
        return codec__bad(err, rc, p, "model path %s is outside the allowed model roots%s",
                          json_string_value(path),
                          c->n_model_roots ? "" : " (anasd was started without --model-root)");
    if (rc < 0)
        return codec__bad(err, rc, p, "model file %s does not exist", json_string_value(path));
    return check_model(out->models[k].path, json_string_value(path), p, out->space, err);
}

static int parse_models(const struct conf *c, json_t *v, struct run_spec *out,
                        struct anas_error *err)
{
    const char *metric;
    json_t *m;
    if (codec__obj(v, "/evaluator/models", err) < 0)
        return err->code;
    if (json_object_size(v) < 1 || json_object_size(v) > ANAS_EVAL_MAX_MODELS)
        return codec__bad(err, ANAS_ERANGE, "/evaluator/models",
                   "evaluator.models needs 1..%d entries (metric: model path)",
                   ANAS_EVAL_MAX_MODELS);
    json_object_foreach(v, metric, m)
    {
        char p[160];
        int k = out->n_models;
        codec_ptr(p, sizeof p, "/evaluator/models", metric);
        if (!anas_metric_name_valid(metric) || strlen(metric) >= ANAS_METRIC_NAME_MAX)
            return codec__bad(err, ANAS_EINVAL, p, "'%s' is not a valid metric name", metric);
        out->models[k].path[0] = '\0';
        out->models[k].surrogate = 0;
        if (json_is_object(m)) {
            if (parse_stored_model(m, p, &out->models[k].surrogate, err) < 0)
                return err->code;
        } else if (!json_is_string(m)) {
            return codec__bad(err, ANAS_ETYPE, p,
                              "a model is a path (a string) or {\"surrogate\": ID}");
        } else if (parse_model_path(c, m, p, k, out, err) < 0) {
            return err->code;
        }
        snprintf(out->models[k].metric, sizeof out->models[k].metric, "%s", metric);
        out->n_models++;
    }
    return 0;
}

static int parse_evaluator(const struct conf *c, json_t *v, struct run_spec *out,
                           struct anas_error *err)
{
    static const char *const skeys[] = {"kind", "models", "mapping", NULL};
    static const char *const akeys[] = {"kind", "mapping", NULL};
    char kind[32];
    json_t *f;
    out->eval_kind = ANAS_EVAL_ANALYTIC;
    out->mapping = anas_mapping_default;
    if (!v)
        return 0;
    if (codec__obj(v, "/evaluator", err) < 0)
        return err->code;
    if (!(f = json_object_get(v, "kind")))
        return codec__bad(err, ANAS_EINVAL, "/evaluator/kind", "evaluator.kind is required");
    if (codec__str(f, "/evaluator/kind", kind, sizeof kind, err) < 0)
        return err->code;
    if (anas_eval_kind_parse(kind, &out->eval_kind) < 0)
        return codec__bad(err, ANAS_ENOTFOUND, "/evaluator/kind",
                   "unknown evaluator '%s' (expected analytic, surrogate, train or rpu)", kind);
    if (out->eval_kind == ANAS_EVAL_RPU)
        return codec__rpu(v, out, err);
    if (out->eval_kind == ANAS_EVAL_TRAIN) {
        if (!out->has_dataset)
            return codec__bad(err, ANAS_EINVAL, "/dataset",
                              "a train evaluator needs a dataset");
        if ((f = json_object_get(v, "mapping")) && parse_mapping(f, out, err) < 0)
            return err->code;
        return codec__train(v, out, err);
    }
    if (codec_check_keys(v, out->eval_kind == ANAS_EVAL_SURROGATE ? skeys : akeys,
                         "/evaluator", err) < 0)
        return err->code;
    if ((f = json_object_get(v, "mapping")) && parse_mapping(f, out, err) < 0)
        return err->code;
    if (out->eval_kind == ANAS_EVAL_SURROGATE) {
        if (!(f = json_object_get(v, "models")))
            return codec__bad(err, ANAS_EINVAL, "/evaluator/models",
                       "a surrogate evaluator needs models (metric: path)");
        return parse_models(c, f, out, err);
    }
    return 0;
}

static int parse_optimizer(json_t *v, struct run_spec *out, struct anas_error *err)
{
    const struct anas_search_ops *ops;
    const char *key;
    json_t *f;
    char kind[32], p[128];
    if (!v)
        return codec__bad(err, ANAS_EINVAL, "/optimizer", "a search needs an optimizer");
    if (codec__obj(v, "/optimizer", err) < 0)
        return err->code;
    if (!(f = json_object_get(v, "kind")))
        return codec__bad(err, ANAS_EINVAL, "/optimizer/kind", "optimizer.kind is required");
    if (codec__str(f, "/optimizer/kind", kind, sizeof kind, err) < 0)
        return err->code;
    ops = anas_search_find(kind);
    if (!ops)
        return codec__bad(err, ANAS_ENOTFOUND, "/optimizer/kind",
                   "unknown optimizer '%s' (see GET /api/v1/optimizers)", kind);
    anas_search_spec_init(&out->search, out->space, ops);
    json_object_foreach(v, key, f)
    {
        struct anas_error lerr;
        if (strcmp(key, "kind") == 0)
            continue;
        codec_ptr(p, sizeof p, "/optimizer", key);
        if (anas_search_param_index(ops, key) < 0)
            return codec__bad(err, ANAS_EUNKNOWN, p, "optimizer %s has no parameter '%s'", kind, key);
        if (!json_is_number(f))
            return codec__bad(err, ANAS_ETYPE, p, "%s must be a number", key);
        anas_error_clear(&lerr);
        if (anas_search_spec_set(&out->search, key, json_number_value(f), &lerr) < 0)
            return codec__bad(err, lerr.code, p, "%s", lerr.msg);
    }
    return 0;
}

/* The autoencoder reconstructs its input, and a regression set (aihwkit's
 * tiny examples) has targets: evaltrain.c measures neg_mse where
 * classifiers give acc. */
static int reconstructs(const struct run_spec *s)
{
    return strcmp(anas_space_name(anas_space_base(s->space)), "autoencoder") == 0 ||
           (s->has_dataset && anas_data_tiny_outputs(s->dataset.name) > 0);
}

/* What the analog measurement adds: <base>@<t> and <base>_std@<t> for each
 * drift time, and avm for classifiers. */
static int analog_metric_of(const struct run_spec *s, const char *metric, int recon);

/* The rpu evaluator measures a model whose kind (classifier or
 * autoencoder) shows only when its run is loaded: both names pass here. */
static int analog_metric(const struct run_spec *s, const char *metric)
{
    if (s->eval_kind == ANAS_EVAL_RPU)
        return analog_metric_of(s, metric, 0) || analog_metric_of(s, metric, 1);
    return s->eval_kind == ANAS_EVAL_TRAIN && analog_metric_of(s, metric, reconstructs(s));
}

static int analog_metric_of(const struct run_spec *s, const char *metric, int recon)
{
    const char *base = recon ? "neg_mse" : "acc";
    int i;
    if (!s->analog.enabled)
        return 0;
    if (!recon && strcmp(metric, "avm") == 0)
        return 1;
    for (i = 0; i < s->analog.n_times; i++) {
        char mean[ANAS_METRIC_NAME_MAX + 16], std[ANAS_METRIC_NAME_MAX + 16];
        snprintf(mean, sizeof mean, "%s@%s", base, s->analog.time_names[i]);
        snprintf(std, sizeof std, "%s_std@%s", base, s->analog.time_names[i]);
        if (strcmp(metric, mean) == 0 || strcmp(metric, std) == 0)
            return 1;
    }
    return 0;
}

int codec_metric_known(const struct run_spec *s, const char *metric)
{
    int i;
    /* evaltrain.c: a classifier reports acc@fp, a reconstruction neg_mse@fp */
    static const char *const trained[] = {"train_loss", "test_loss", "train_s", "epochs", NULL};
    if (analog_metric(s, metric))
        return 1;
    /* The rpu evaluator reports the analytic metrics of its model, whose
     * space shows only when the model's run is loaded. */
    if (s->eval_kind == ANAS_EVAL_RPU)
        return anas_search_metric_is_analytic(metric) || strcmp(metric, "acc@fp") == 0 ||
               strcmp(metric, "neg_mse@fp") == 0;
    if ((i = anas_space_has_metric(s->space, metric)) != 0)
        return i; /* 1, or ANAS_ENOMEM */
    if (s->eval_kind == ANAS_EVAL_TRAIN &&
        strcmp(metric, reconstructs(s) ? "neg_mse@fp" : "acc@fp") == 0)
        return 1;
    for (i = 0; s->eval_kind == ANAS_EVAL_TRAIN && trained[i]; i++)
        if (strcmp(trained[i], metric) == 0)
            return 1;
    for (i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].metric, metric) == 0)
            return 1;
    return 0;
}

/* The space's analytic metrics, "params, macs, ...": their length. */
static size_t space_metrics_text(const struct anas_space *sp, char *out, size_t n)
{
    struct anas_metrics m;
    size_t len = 0;
    int i;
    out[0] = '\0';
    if (anas_space_metric_names(sp, &m) < 0)
        m.n = 0;
    for (i = 0; i < m.n && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", m.m[i].name);
    return len < n ? len : n - 1;
}

/* The metrics an evaluator produces on the spec's space, for the error
 * that names another. */
static void produced(const struct run_spec *s, char *out, size_t n)
{
    const struct anas_eval_analog *a = &s->analog;
    const char *base = reconstructs(s) ? "neg_mse" : "acc";
    size_t len;
    int i;
    if (s->eval_kind == ANAS_EVAL_RPU) {
        len = (size_t)snprintf(out, n, "the model's analytic metrics, acc@fp");
    } else {
        len = space_metrics_text(s->space, out, n);
        if (s->eval_kind == ANAS_EVAL_SURROGATE) {
            for (i = 0; i < s->n_models && len < n; i++)
                len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "",
                                        s->models[i].metric);
            return;
        }
        if (s->eval_kind == ANAS_EVAL_ANALYTIC)
            return;
        len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "",
                                reconstructs(s) ? "neg_mse@fp, train_loss, test_loss, train_s"
                                                : "acc@fp, train_loss, test_loss, train_s");
    }
    if (!a->enabled || len >= n)
        return;
    len += (size_t)snprintf(out + len, n - len, ", %s@<t> and %s_std@<t> for the drift times",
                            base, base);
    for (i = 0; i < a->n_times && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, " %s", a->time_names[i]);
    if (!reconstructs(s) && len < n)
        snprintf(out + len, n - len, ", avm");
}

static int parse_metric(json_t *v, const char *ptr, const struct run_spec *s, char *out,
                        struct anas_error *err)
{
    char list[180];
    int known;
    if (!v)
        return codec__bad(err, ANAS_EINVAL, ptr, "%s is required", ptr);
    if (codec__str(v, ptr, out, ANAS_METRIC_NAME_MAX, err) < 0)
        return err->code;
    known = codec_metric_known(s, out);
    if (known < 0)
        return anas_error_set(err, known, "out of memory checking %s", ptr);
    if (known)
        return 0;
    produced(s, list, sizeof list);
    return codec__bad(err, ANAS_EUNKNOWN, ptr,
                      "metric '%s' is not produced by this evaluator on space %s (it produces "
                      "%s)",
                      out, anas_space_name(anas_space_base(s->space)), list);
}

static int parse_objectives(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"metric", "goal", NULL};
    struct anas_search_spec *ss = &out->search;
    size_t i;
    json_t *o;
    char rpu_default[ANAS_METRIC_NAME_MAX];
    /* the hardware does not change acc@fp: the latest drift time it does */
    snprintf(rpu_default, sizeof rpu_default, "acc@%s",
             out->analog.n_times ? out->analog.time_names[out->analog.n_times - 1] : "1d");
    if (!v) {
        const char *def = out->eval_kind == ANAS_EVAL_ANALYTIC ? "params"
                          : out->eval_kind == ANAS_EVAL_TRAIN
                              ? (reconstructs(out) ? "neg_mse@fp" : "acc@fp")
                          : out->eval_kind == ANAS_EVAL_RPU   ? rpu_default
                          : codec_metric_known(out, "acc@1d") > 0 ? "acc@1d"
                                                        : out->models[0].metric;
        ss->n_objectives = 1;
        snprintf(ss->objectives[0].metric, ANAS_METRIC_NAME_MAX, "%s", def);
        ss->objectives[0].maximize = out->eval_kind != ANAS_EVAL_ANALYTIC;
        return 0;
    }
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, "/objectives", "objectives must be an array");
    if (json_array_size(v) < 1 || json_array_size(v) > ANAS_SEARCH_MAX_OBJECTIVES)
        return codec__bad(err, ANAS_ERANGE, "/objectives", "objectives must hold 1..%d entries",
                   ANAS_SEARCH_MAX_OBJECTIVES);
    json_array_foreach(v, i, o)
    {
        char p[64], pm[80], goal[8] = "max";
        ptr_index(p, sizeof p, "/objectives", i);
        if (codec__obj(o, p, err) < 0 || codec_check_keys(o, keys, p, err) < 0)
            return err->code;
        codec_ptr(pm, sizeof pm, p, "metric");
        if (parse_metric(json_object_get(o, "metric"), pm, out, ss->objectives[i].metric,
                         err) < 0)
            return err->code;
        codec_ptr(pm, sizeof pm, p, "goal");
        if (json_object_get(o, "goal") &&
            codec__str(json_object_get(o, "goal"), pm, goal, sizeof goal, err) < 0)
            return err->code;
        if (strcmp(goal, "max") && strcmp(goal, "min"))
            return codec__bad(err, ANAS_EINVAL, pm, "goal must be \"max\" or \"min\"");
        ss->objectives[i].maximize = strcmp(goal, "max") == 0;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(ss->objectives[k].metric, ss->objectives[i].metric) == 0) {
                codec_ptr(pm, sizeof pm, p, "metric");
                return codec__bad(err, ANAS_EINVAL, pm,
                                  "metric '%s' is already objective %zu: each objective "
                                  "names another metric",
                                  ss->objectives[i].metric, k);
            }
        }
    }
    ss->n_objectives = (int)json_array_size(v);
    return 0;
}

static int parse_bound(json_t *o, const char *key, const char *p, int *has, double *out,
                       struct anas_error *err)
{
    json_t *v = json_object_get(o, key);
    char pm[96];
    if (!v)
        return 0;
    codec_ptr(pm, sizeof pm, p, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return codec__bad(err, ANAS_ETYPE, pm, "%s must be a finite number", key);
    *has = 1;
    *out = json_number_value(v);
    return 0;
}

static int parse_constraints(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"metric", "min", "max", NULL};
    struct anas_search_spec *ss = &out->search;
    size_t i;
    json_t *o;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, "/constraints", "constraints must be an array");
    if (json_array_size(v) > ANAS_SEARCH_MAX_CONSTRAINTS)
        return codec__bad(err, ANAS_ERANGE, "/constraints", "constraints must hold at most %d entries",
                   ANAS_SEARCH_MAX_CONSTRAINTS);
    json_array_foreach(v, i, o)
    {
        struct anas_constraint *c = &ss->constraints[i];
        char p[64], pm[80];
        ptr_index(p, sizeof p, "/constraints", i);
        if (codec__obj(o, p, err) < 0 || codec_check_keys(o, keys, p, err) < 0)
            return err->code;
        codec_ptr(pm, sizeof pm, p, "metric");
        if (parse_metric(json_object_get(o, "metric"), pm, out, c->metric, err) < 0)
            return err->code;
        if (parse_bound(o, "min", p, &c->has_min, &c->min, err) < 0 ||
            parse_bound(o, "max", p, &c->has_max, &c->max, err) < 0)
            return err->code;
        if (!c->has_min && !c->has_max)
            return codec__bad(err, ANAS_EINVAL, p, "a constraint needs min or max");
        if (c->has_min && c->has_max && c->min > c->max)
            return codec__bad(err, ANAS_ERANGE, p, "constraint min is greater than max");
    }
    ss->n_constraints = (int)json_array_size(v);
    return 0;
}

/* Both per repetition; seconds are wall-clock time from the repetition's
 * first evaluation to its latest result. */
static int parse_budget(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"evaluations", "seconds", NULL};
    json_t *f;
    if (!v)
        return 0;
    if (codec__obj(v, "/budget", err) < 0 || codec_check_keys(v, keys, "/budget", err) < 0)
        return err->code;
    if ((f = json_object_get(v, "evaluations")) &&
        codec__int(f, "/budget/evaluations", 1, 100000000, &out->max_evals, err) < 0)
        return err->code;
    if ((f = json_object_get(v, "seconds")) &&
        codec__num(f, "/budget/seconds", 0.001, 1e8, &out->max_seconds, err) < 0)
        return err->code;
    return 0;
}

/* One value per objective, in its own units: the hypervolume's corner. */
static int parse_reference_point(json_t *v, struct run_spec *out, struct anas_error *err)
{
    struct anas_search_spec *ss = &out->search;
    size_t i;
    json_t *x;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, "/reference_point",
                          "reference_point must be an array of numbers, one per objective");
    if (json_array_size(v) != (size_t)ss->n_objectives)
        return codec__bad(err, ANAS_EINVAL, "/reference_point",
                          "reference_point has %zu values for %d objectives",
                          json_array_size(v), ss->n_objectives);
    json_array_foreach(v, i, x)
    {
        char p[48];
        ptr_index(p, sizeof p, "/reference_point", i);
        if (codec__num(x, p, -1e300, 1e300, &ss->reference_point[i], err) < 0)
            return err->code;
    }
    ss->has_reference_point = 1;
    return 0;
}

static int parse_head(json_t *body, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"kind",       "name",        "space",  "evaluator",
                                       "optimizer",  "objectives",  "constraints",
                                       "budget",     "runs",        "seed",
                                       "architecture", "dataset",   "model",
                                       "reference_point", "pruner", NULL};
    json_t *f;
    long long x;
    if (!json_is_object(body))
        return codec__bad(err, ANAS_EFORMAT, "", "the body must be a JSON object");
    if (codec_check_keys(body, keys, "", err) < 0)
        return err->code;
    snprintf(out->kind, sizeof out->kind, "search");
    if ((f = json_object_get(body, "kind")) &&
        codec__str(f, "/kind", out->kind, sizeof out->kind, err) < 0)
        return err->code;
    if (strcmp(out->kind, "search") && strcmp(out->kind, "evaluate") &&
        strcmp(out->kind, "train"))
        return codec__bad(err, ANAS_EINVAL, "/kind",
                          "kind must be \"search\", \"evaluate\" or \"train\"");
    if ((f = json_object_get(body, "name")) &&
        codec__str(f, "/name", out->name, sizeof out->name, err) < 0)
        return err->code;
    out->runs = 1;
    if ((f = json_object_get(body, "runs"))) {
        if (codec__int(f, "/runs", 1, RUN_MAX_RUNS, &x, err) < 0)
            return err->code;
        out->runs = (int)x;
    }
    if ((f = json_object_get(body, "seed"))) {
        if (codec__int(f, "/seed", 0, (long long)MAX_SAFE_INT, &x, err) < 0)
            return err->code;
        out->seed = (uint64_t)x;
        out->has_seed = 1;
    }
    if (!(f = json_object_get(body, "space")))
        return codec__bad(err, ANAS_EINVAL, "/space", "space is required");
    return parse_space(f, out, err);
}

/* "model": {"run": ID} names the trained network the rpu space runs, and
 * the rpu space has nothing else to evaluate. */
static int parse_model(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const keys[] = {"run", NULL};
    int rpu_space = strcmp(anas_space_name(anas_space_base(out->space)), "rpu") == 0;
    json_t *f;
    if (rpu_space != (out->eval_kind == ANAS_EVAL_RPU))
        return codec__bad(err, ANAS_EINVAL, "/evaluator/kind",
                          "the rpu space and the rpu evaluator go together");
    if (!v && !rpu_space)
        return 0;
    if (!rpu_space)
        return codec__bad(err, ANAS_EINVAL, "/model", "only the rpu evaluator takes a model");
    if (!v)
        return codec__bad(err, ANAS_EINVAL, "/model",
                          "the rpu evaluator needs a model: {\"run\": ID of a train run}");
    if (codec__obj(v, "/model", err) < 0 || codec_check_keys(v, keys, "/model", err) < 0)
        return err->code;
    if (!(f = json_object_get(v, "run")))
        return codec__bad(err, ANAS_EINVAL, "/model/run", "model.run is required");
    return codec__int(f, "/model/run", 1, (long long)MAX_SAFE_INT, &out->model_run, err) < 0
               ? err->code
               : 0;
}

int codec_run_spec(const struct conf *c, json_t *body, struct run_spec *out,
                   struct anas_error *err)
{
    struct anas_error lerr;
    json_t *ds;
    int evaluate;
    memset(out, 0, sizeof *out);
    ds = json_is_object(body) ? json_object_get(body, "dataset") : NULL;
    if ((ds && codec__dataset(c, ds, out, err) < 0) || parse_head(body, out, err) < 0 ||
        parse_evaluator(c, json_object_get(body, "evaluator"), out, err) < 0 ||
        parse_budget(json_object_get(body, "budget"), out, err) < 0)
        return err->code;
    evaluate = strcmp(out->kind, "search") != 0;
    if (strcmp(out->kind, "train") == 0 && out->eval_kind != ANAS_EVAL_TRAIN)
        return codec__bad(err, ANAS_EINVAL, "/evaluator/kind",
                          "a train run needs the train evaluator");
    if (out->has_dataset && out->eval_kind != ANAS_EVAL_TRAIN)
        return codec__bad(err, ANAS_EINVAL, "/dataset",
                          out->eval_kind == ANAS_EVAL_RPU
                              ? "the rpu evaluator measures on its model's dataset"
                              : "only the train evaluator reads a dataset");
    if (parse_model(json_object_get(body, "model"), out, err) < 0)
        return err->code;
    if (evaluate) {
        json_t *a = json_object_get(body, "architecture");
        if (json_object_get(body, "optimizer"))
            return codec__bad(err, ANAS_EINVAL, "/optimizer",
                              "an %s run takes no optimizer", out->kind);
        if (!a)
            return codec__bad(err, ANAS_EINVAL, "/architecture", "an %s run needs an architecture",
                              out->kind);
        if (codec_config_from_json(out->space, a, "/architecture", &out->arch, err) < 0)
            return err->code;
        anas_search_spec_init(&out->search, out->space, anas_search_find("random"));
    } else {
        if (json_object_get(body, "architecture"))
            return codec__bad(err, ANAS_EINVAL, "/architecture",
                       "a search takes no architecture (use kind \"evaluate\")");
        if (parse_optimizer(json_object_get(body, "optimizer"), out, err) < 0)
            return err->code;
    }
    if (parse_objectives(json_object_get(body, "objectives"), out, err) < 0 ||
        parse_reference_point(json_object_get(body, "reference_point"), out, err) < 0 ||
        parse_constraints(json_object_get(body, "constraints"), out, err) < 0 ||
        codec__pruner(json_object_get(body, "pruner"), out, err) < 0)
        return err->code;
    /* What optimizers screen analytic constraints with before proposing:
     * the tiles counted are the simulated hardware's when there is one. */
    out->search.has_shape = 1;
    out->search.shape = out->shape;
    out->search.mapping = out->mapping;
    if (out->analog.enabled && out->analog.hw.mapping.max_input_size > 0)
        out->search.mapping.max_input_size = out->analog.hw.mapping.max_input_size;
    if (out->analog.enabled && out->analog.hw.mapping.max_output_size > 0)
        out->search.mapping.max_output_size = out->analog.hw.mapping.max_output_size;
    anas_error_clear(&lerr);
    if (anas_search_spec_check(&out->search, &lerr) < 0) {
        char p[128];
        /* The library names objectives and constraints by path, optimizer
         * parameters by name. */
        if (strncmp(lerr.field, "objectives", 10) == 0 ||
            strncmp(lerr.field, "constraints", 11) == 0)
            snprintf(p, sizeof p, "/%s", lerr.field);
        else
            codec_ptr(p, sizeof p, "/optimizer", lerr.field);
        return codec__bad(err, lerr.code, lerr.field[0] ? p : "/optimizer", "%s", lerr.msg);
    }
    return 0;
}

static json_t *objectives_to_json(const struct anas_search_spec *ss)
{
    json_t *a = json_array();
    int i;
    for (i = 0; i < ss->n_objectives; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "metric", ss->objectives[i].metric,
                                           "goal", ss->objectives[i].maximize ? "max" : "min"));
    return a;
}

static json_t *constraints_to_json(const struct anas_search_spec *ss)
{
    json_t *a = json_array();
    int i;
    for (i = 0; i < ss->n_constraints; i++) {
        const struct anas_constraint *c = &ss->constraints[i];
        json_t *o = json_pack("{s:s}", "metric", c->metric);
        if (c->has_min)
            json_object_set_new(o, "min", json_real(c->min));
        if (c->has_max)
            json_object_set_new(o, "max", json_real(c->max));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *optimizer_to_json(const struct anas_search_spec *ss)
{
    json_t *o = json_pack("{s:s}", "kind", ss->ops->name);
    int i;
    for (i = 0; i < ss->ops->n_params; i++) {
        const struct anas_param_desc *d = &ss->ops->params[i];
        double v = ss->params[i];
        if (isnan(v))
            continue;
        json_object_set_new(o, d->name, d->is_int ? json_integer((json_int_t)v) : json_real(v));
    }
    return o;
}

static json_t *evaluator_to_json(const struct run_spec *s)
{
    json_t *o = json_pack("{s:s, s:{s:i, s:i}}", "kind", anas_eval_kind_name(s->eval_kind),
                          "mapping", "max_input_size", s->mapping.max_input_size,
                          "max_output_size", s->mapping.max_output_size);
    int i;
    if (s->eval_kind == ANAS_EVAL_RPU) /* its tiles are the hardware's */
        json_object_del(o, "mapping");
    if (s->eval_kind == ANAS_EVAL_SURROGATE) {
        json_t *m = json_object();
        for (i = 0; i < s->n_models; i++)
            json_object_set_new(m, s->models[i].metric,
                                s->models[i].surrogate
                                    ? json_pack("{s:I}", "surrogate",
                                                (json_int_t)s->models[i].surrogate)
                                    : json_string(s->models[i].path));
        json_object_set_new(o, "models", m);
    }
    return o;
}

json_t *codec_run_spec_to_json(const struct run_spec *s)
{
    json_t *o = json_pack("{s:s, s:{s:s, s:o, s:i}, s:o, s:o, s:o, s:i, s:I}", "kind", s->kind,
                          "space", "name", anas_space_name(anas_space_base(s->space)), "input",
                          codec_input_to_json(&s->shape), "classes", s->shape.classes,
                          "evaluator", evaluator_to_json(s), "objectives",
                          objectives_to_json(&s->search), "constraints",
                          constraints_to_json(&s->search), "runs", s->runs, "seed",
                          (json_int_t)s->seed);
    if (!o)
        return NULL;
    if (s->name[0])
        json_object_set_new(o, "name", json_string(s->name));
    if (s->has_dataset)
        json_object_set_new(o, "dataset", codec__dataset_to_json(s));
    if (s->eval_kind == ANAS_EVAL_TRAIN)
        codec__train_to_json(s, json_object_get(o, "evaluator"));
    if (s->eval_kind == ANAS_EVAL_RPU) {
        codec__rpu_to_json(s, json_object_get(o, "evaluator"));
        json_object_set_new(o, "model", json_pack("{s:I}", "run", (json_int_t)s->model_run));
    }
    if (strcmp(s->kind, "search") != 0)
        json_object_set_new(o, "architecture", codec_config_to_json(&s->arch));
    else
        json_object_set_new(o, "optimizer", optimizer_to_json(&s->search));
    if (s->max_evals > 0 || s->max_seconds > 0) {
        json_t *b = json_object();
        if (s->max_evals > 0)
            json_object_set_new(b, "evaluations", json_integer((json_int_t)s->max_evals));
        if (s->max_seconds > 0)
            json_object_set_new(b, "seconds", json_real(s->max_seconds));
        json_object_set_new(o, "budget", b);
    }
    if (s->prune.kind != ANAS_PRUNE_NONE)
        json_object_set_new(o, "pruner", codec__pruner_to_json(s));
    if (s->search.has_reference_point) {
        json_t *a = json_array();
        for (int i = 0; i < s->search.n_objectives; i++)
            json_array_append_new(a, json_real(s->search.reference_point[i]));
        json_object_set_new(o, "reference_point", a);
    }
    return o;
}

/* AnalogNAS's surrogates read the architecture only (its feature vector has
 * no input size or class count) and were fitted for one input: CIFAR-10 for
 * resnet. Elsewhere their predictions are a guess the run should admit. */
json_t *codec_run_warnings(json_t *spec)
{
    json_t *w = json_array(), *sp = json_object_get(spec, "space");
    const char *kind = json_string_value(json_object_get(json_object_get(spec, "evaluator"),
                                                         "kind"));
    const char *name = json_string_value(json_object_get(sp, "name"));
    const struct anas_space *s = name ? anas_space_find(name) : NULL;
    json_t *input = json_object_get(sp, "input");
    struct anas_shape d;
    const char *mk;
    json_t *mv;
    int files = 0;
    if (!w || !s || !kind || strcmp(kind, "surrogate") != 0)
        return w;
    /* a stored surrogate was fitted on whatever inputs its runs had */
    json_object_foreach(json_object_get(json_object_get(spec, "evaluator"), "models"), mk, mv)
        files += json_is_string(mv);
    if (!files)
        return w;
    d = anas_space_default_shape(s);
    if (json_integer_value(json_array_get(input, 0)) == d.c &&
        json_integer_value(json_array_get(input, 1)) == d.h &&
        json_integer_value(json_array_get(input, 2)) == d.w &&
        json_integer_value(json_object_get(sp, "classes")) == d.classes)
        return w;
    json_array_append_new(
        w, json_sprintf("the surrogate models read only the architecture, not the input: they "
                        "were presumably fitted on space %s's default input (%dx%dx%d, %d "
                        "classes%s), so their predictions for %lldx%lldx%lld with %lld "
                        "classes are extrapolations",
                        name, d.c, d.h, d.w, d.classes,
                        strcmp(name, "resnet") == 0 ? ": CIFAR-10, as AnalogNAS's were" : "",
                        (long long)json_integer_value(json_array_get(input, 0)),
                        (long long)json_integer_value(json_array_get(input, 1)),
                        (long long)json_integer_value(json_array_get(input, 2)),
                        (long long)json_integer_value(json_object_get(sp, "classes"))));
    return w;
}
