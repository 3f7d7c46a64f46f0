/*
 * codec_analog.c - hardware configurations (lib/analog) in JSON, with
 * aihwkit's names and nesting (forward, mapping, pre_post.input_range, clip,
 * remap, modifier, noise_model, drift_compensation).
 *
 * One table describes every field: parsing the overrides of a spec and
 * writing a whole configuration both walk it, so the two cannot disagree
 * and a new field is one line.
 */
#include "config.h"

#include "codec_int.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PRESET "aihwkit-default"
/* JSON numbers beyond this could overflow a float; the library's checks
 * then give each field its own range. */
#define FLOAT_LIMIT 1e30

enum ftype { F_FLOAT, F_INT, F_BOOL, F_ENUM, F_ARRAY };

struct field {
    const char *group; /* NULL: a top-level field */
    const char *name;
    enum ftype type;
    size_t off;               /* in struct anas_analog_config */
    const char *const *names; /* F_ENUM: aihwkit's member names, by value */
    size_t count_off;         /* F_ARRAY: its int element count */
    int max;                  /* F_ARRAY: its capacity */
};

/* Indexed by the enum's value; NULL-terminated. */
static const char *const bm_names[] = {"NONE", "ITERATIVE", "ITERATIVE_WORST_CASE", NULL};
static const char *const nm_names[] = {"NONE",     "ABS_MAX",  "ABS_MAX_NP_SUM",  "MAX",
                                       "CONSTANT", "AVERAGE_ABS_MAX", NULL};
static const char *const wn_names[] = {"NONE", "ADDITIVE_CONSTANT", "PCM_READ", NULL};
static const char *const clip_names[] = {"NONE", "FIXED_VALUE", "LAYER_GAUSSIAN",
                                         "AVERAGE_CHANNEL_MAX", NULL};
static const char *const remap_names[] = {"NONE", "LAYERWISE_SYMMETRIC",
                                          "CHANNELWISE_SYMMETRIC", NULL};
static const char *const mod_names[] = {"NONE",        "DISCRETIZE", "MULT_NORMAL",
                                        "ADD_NORMAL",  "DISCRETIZE_ADD_NORMAL",
                                        "POLY",        "PROG_NOISE", "DOREFA",
                                        "DROP_CONNECT", NULL};
static const char *const noise_names[] = {"NONE", "PCM", "STATE_INDEPENDENT", "RERAM", NULL};
static const char *const comp_names[] = {"NONE", "GLOBAL", NULL};

#define N_NAMES(a) (sizeof a / sizeof a[0] - 1)
/* A new enum member without its name here would be emitted as null. */
_Static_assert(N_NAMES(bm_names) == ANAS_BM_ITERATIVE_WORST_CASE + 1, "bound_management");
_Static_assert(N_NAMES(nm_names) == ANAS_NM_AVERAGE_ABS_MAX + 1, "noise_management");
_Static_assert(N_NAMES(wn_names) == ANAS_WN_PCM_READ + 1, "w_noise_type");
_Static_assert(N_NAMES(clip_names) == ANAS_CLIP_AVERAGE_CHANNEL_MAX + 1, "clip.type");
_Static_assert(N_NAMES(remap_names) == ANAS_REMAP_CHANNELWISE + 1, "remap.type");
_Static_assert(N_NAMES(mod_names) == ANAS_MOD_DROP_CONNECT + 1, "modifier.type");
_Static_assert(N_NAMES(noise_names) == ANAS_NOISE_RERAM + 1, "noise_model.type");
_Static_assert(N_NAMES(comp_names) == ANAS_DRIFT_COMP_GLOBAL + 1, "drift_compensation");
/* Enums and booleans are read and written as int. */
_Static_assert(sizeof(enum anas_bm) == sizeof(int) && sizeof(enum anas_nm) == sizeof(int) &&
                   sizeof(enum anas_w_noise) == sizeof(int) &&
                   sizeof(enum anas_clip_kind) == sizeof(int) &&
                   sizeof(enum anas_remap_kind) == sizeof(int) &&
                   sizeof(enum anas_modifier_kind) == sizeof(int) &&
                   sizeof(enum anas_noise_kind) == sizeof(int) &&
                   sizeof(enum anas_drift_comp) == sizeof(int),
               "enums are int-sized");

#define OFF(m) offsetof(struct anas_analog_config, m)
#define FLOAT_F(g, n) {#g, #n, F_FLOAT, OFF(g.n), NULL, 0, 0}
#define INT_F(g, n) {#g, #n, F_INT, OFF(g.n), NULL, 0, 0}
#define BOOL_F(g, n) {#g, #n, F_BOOL, OFF(g.n), NULL, 0, 0}
#define ENUM_F(g, n, names) {#g, #n, F_ENUM, OFF(g.n), names, 0, 0}
#define ARRAY_F(g, n, count, max) {#g, #n, F_ARRAY, OFF(g.n), NULL, OFF(g.count), max}

static const struct field fields[] = {
    BOOL_F(forward, is_perfect),
    FLOAT_F(forward, inp_bound),
    FLOAT_F(forward, inp_res),
    FLOAT_F(forward, inp_noise),
    BOOL_F(forward, inp_sto_round),
    FLOAT_F(forward, out_bound),
    FLOAT_F(forward, out_res),
    FLOAT_F(forward, out_noise),
    BOOL_F(forward, out_sto_round),
    FLOAT_F(forward, out_scale),
    FLOAT_F(forward, w_noise),
    ENUM_F(forward, w_noise_type, wn_names),
    ENUM_F(forward, bound_management, bm_names),
    ENUM_F(forward, noise_management, nm_names),
    FLOAT_F(forward, nm_thres),
    FLOAT_F(forward, max_bm_factor),
    FLOAT_F(forward, max_bm_res),
    BOOL_F(forward, bm_test_negative_bound),
    FLOAT_F(forward, nm_assumed_wmax),
    FLOAT_F(forward, nm_decay),
    INT_F(mapping, max_input_size),
    INT_F(mapping, max_output_size),
    BOOL_F(mapping, digital_bias),
    FLOAT_F(mapping, weight_scaling_omega),
    BOOL_F(mapping, weight_scaling_columnwise),
    BOOL_F(mapping, learn_out_scaling),
    BOOL_F(mapping, out_scaling_columnwise),
    BOOL_F(pre_post.input_range, enable),
    BOOL_F(pre_post.input_range, learn_input_range),
    FLOAT_F(pre_post.input_range, init_value),
    INT_F(pre_post.input_range, init_from_data),
    FLOAT_F(pre_post.input_range, init_std_alpha),
    FLOAT_F(pre_post.input_range, decay),
    FLOAT_F(pre_post.input_range, input_min_percentage),
    BOOL_F(pre_post.input_range, manage_output_clipping),
    FLOAT_F(pre_post.input_range, output_min_percentage),
    FLOAT_F(pre_post.input_range, gradient_scale),
    BOOL_F(pre_post.input_range, gradient_relative),
    ENUM_F(clip, type, clip_names),
    FLOAT_F(clip, fixed_value),
    FLOAT_F(clip, sigma),
    ENUM_F(remap, type, remap_names),
    FLOAT_F(remap, remapped_wmax),
    ENUM_F(modifier, type, mod_names),
    FLOAT_F(modifier, std_dev),
    FLOAT_F(modifier, res),
    FLOAT_F(modifier, pdrop),
    FLOAT_F(modifier, dorefa_clip),
    FLOAT_F(modifier, assumed_wmax),
    FLOAT_F(modifier, g_max),
    BOOL_F(modifier, sto_round),
    BOOL_F(modifier, rel_to_actual_wmax),
    BOOL_F(modifier, enable_during_test),
    ARRAY_F(modifier, coeffs, n_coeffs, ANAS_ANALOG_MAX_COEFFS),
    ENUM_F(noise_model, type, noise_names),
    FLOAT_F(noise_model, g_max),
    FLOAT_F(noise_model, g_min),
    ARRAY_F(noise_model, prog_coeff, n_prog_coeffs, ANAS_ANALOG_MAX_PROG_COEFFS),
    FLOAT_F(noise_model, prog_noise_scale),
    FLOAT_F(noise_model, read_noise_scale),
    FLOAT_F(noise_model, drift_scale),
    FLOAT_F(noise_model, t_0),
    FLOAT_F(noise_model, t_read),
    FLOAT_F(noise_model, drift_nu_mean),
    FLOAT_F(noise_model, drift_nu_std),
    {NULL, "drift_compensation", F_ENUM, OFF(drift_compensation), comp_names, 0, 0},
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

static int same_group(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const struct field *find_field(const char *group, const char *name)
{
    size_t i;
    for (i = 0; i < N_FIELDS; i++)
        if (same_group(fields[i].group, group) && strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static int is_group(const char *name)
{
    size_t i;
    for (i = 0; i < N_FIELDS; i++)
        if (fields[i].group && strcmp(fields[i].group, name) == 0)
            return 1;
    return 0;
}

/* "A, B or C" from a NULL-terminated list of names. */
static void join_names(char *out, size_t n, const char *const *names)
{
    size_t len = 0;
    int i;
    out[0] = '\0';
    for (i = 0; names[i] && len < n; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";
        len += (size_t)snprintf(out + len, n - len, "%s%s", sep, names[i]);
    }
}

/* --- parsing --- */

static int set_enum(const struct field *f, json_t *v, const char *p, int *out,
                    struct anas_error *err)
{
    char list[200];
    int i;
    if (!json_is_string(v))
        return codec__bad(err, ANAS_ETYPE, p, "%s must be a string", p);
    for (i = 0; f->names[i]; i++) {
        if (strcasecmp(f->names[i], json_string_value(v)) == 0) {
            *out = i;
            return 0;
        }
    }
    join_names(list, sizeof list, f->names);
    return codec__bad(err, ANAS_EINVAL, p, "%s must be %s (got '%.40s')", f->name, list,
                      json_string_value(v));
}

/* A whole array replaces the preset's: its length is the new count. */
static int set_array(const struct field *f, json_t *v, const char *p, float *out, int *count,
                     struct anas_error *err)
{
    size_t i, n = json_array_size(v);
    json_t *x;
    if (!json_is_array(v))
        return codec__bad(err, ANAS_ETYPE, p, "%s must be an array of numbers", p);
    if (n < 1 || n > (size_t)f->max)
        return codec__bad(err, ANAS_ERANGE, p, "%s must hold 1..%d numbers", f->name, f->max);
    json_array_foreach(v, i, x)
    {
        char pi[160];
        double d;
        int rc;
        snprintf(pi, sizeof pi, "%s/%zu", p, i);
        if ((rc = codec__num(x, pi, -FLOAT_LIMIT, FLOAT_LIMIT, &d, err)) < 0)
            return rc;
        out[i] = (float)d;
    }
    *count = (int)n;
    return 0;
}

static int set_field(const struct field *f, json_t *v, const char *p,
                     struct anas_analog_config *cfg, struct anas_error *err)
{
    char *at = (char *)cfg + f->off;
    long long i;
    double d;
    int rc = 0;
    switch (f->type) {
    case F_FLOAT:
        if ((rc = codec__num(v, p, -FLOAT_LIMIT, FLOAT_LIMIT, &d, err)) == 0)
            *(float *)at = (float)d;
        return rc;
    case F_INT:
        if ((rc = codec__int(v, p, INT_MIN, INT_MAX, &i, err)) == 0)
            *(int *)at = (int)i;
        return rc;
    case F_BOOL:
        if (!json_is_boolean(v))
            return codec__bad(err, ANAS_ETYPE, p, "%s must be true or false", p);
        *(int *)at = json_is_true(v);
        return 0;
    case F_ENUM:
        return set_enum(f, v, p, (int *)at, err);
    case F_ARRAY:
        return set_array(f, v, p, (float *)at, (int *)((char *)cfg + f->count_off), err);
    }
    return rc;
}

static int parse_group(json_t *obj, const char *group, const char *ptr,
                       struct anas_analog_config *cfg, struct anas_error *err)
{
    const char *key;
    json_t *v;
    int rc;
    if ((rc = codec__obj(obj, ptr, err)) < 0)
        return rc;
    if (strcmp(group, "noise_model") == 0 && (v = json_object_get(obj, "type"))) {
        /* another model starts from its own defaults, as in aihwkit,
         * not from the preset model's coefficients */
        char p[160];
        int was = cfg->noise_model.type;
        codec_ptr(p, sizeof p, ptr, "type");
        if ((rc = set_field(find_field(group, "type"), v, p, cfg, err)) < 0)
            return rc;
        if ((int)cfg->noise_model.type != was)
            anas_analog_noise_defaults(cfg->noise_model.type, &cfg->noise_model);
    }
    json_object_foreach(obj, key, v)
    {
        const struct field *f = find_field(group, key);
        char p[160];
        codec_ptr(p, sizeof p, ptr, key);
        if (!f)
            return codec__bad(err, ANAS_EUNKNOWN, p, "unknown field '%s' in %s", key, group);
        if ((rc = set_field(f, v, p, cfg, err)) < 0)
            return rc;
    }
    return 0;
}

/* pre_post is one level deeper: {"input_range": {...}}. */
static int parse_pre_post(json_t *obj, const char *ptr, struct anas_analog_config *cfg,
                          struct anas_error *err)
{
    const char *key;
    json_t *v;
    int rc;
    if ((rc = codec__obj(obj, ptr, err)) < 0)
        return rc;
    json_object_foreach(obj, key, v)
    {
        char p[160];
        codec_ptr(p, sizeof p, ptr, key);
        if (strcmp(key, "input_range") != 0)
            return codec__bad(err, ANAS_EUNKNOWN, p, "unknown field '%s' in pre_post", key);
        if ((rc = parse_group(v, "pre_post.input_range", p, cfg, err)) < 0)
            return rc;
    }
    return 0;
}

static int parse_overrides(json_t *obj, const char *ptr, struct anas_analog_config *cfg,
                           struct anas_error *err)
{
    const char *key;
    json_t *v;
    int rc;
    if ((rc = codec__obj(obj, ptr, err)) < 0)
        return rc;
    json_object_foreach(obj, key, v)
    {
        const struct field *f = find_field(NULL, key);
        char p[160];
        codec_ptr(p, sizeof p, ptr, key);
        if (f)
            rc = set_field(f, v, p, cfg, err);
        else if (strcmp(key, "pre_post") == 0)
            rc = parse_pre_post(v, p, cfg, err);
        else if (is_group(key))
            rc = parse_group(v, key, p, cfg, err);
        else
            rc = codec__bad(err, ANAS_EUNKNOWN, p, "unknown hardware field '%s'", key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int unknown_preset(const char *p, const char *name, struct anas_error *err)
{
    const char *names[16];
    char list[200];
    int i;
    for (i = 0; i < 15 && (names[i] = anas_analog_preset_name(i)); i++)
        ;
    names[i] = NULL;
    join_names(list, sizeof list, names);
    return codec__bad(err, ANAS_ENOTFOUND, p,
                      "unknown hardware preset '%.40s' (%s; see GET /api/v1/presets)", name,
                      list);
}

/* The library names fields "forward.inp_res" (or "device.w_max"): in the
 * spec they are overrides (a preset passes its own checks). */
int codec__overrides_error(const struct anas_error *lerr, const char *ptr,
                           struct anas_error *err)
{
    char p[200], *c;
    if (!lerr->field[0])
        return codec__bad(err, lerr->code, ptr, "%s", lerr->msg);
    snprintf(p, sizeof p, "%s/overrides/%s", ptr, lerr->field);
    for (c = p + strlen(ptr); *c; c++)
        if (*c == '.')
            *c = '/';
    return codec__bad(err, lerr->code, p, "%s", lerr->msg);
}

static int check(const struct anas_analog_config *cfg, const char *ptr, struct anas_error *err)
{
    struct anas_error lerr;
    anas_error_clear(&lerr);
    if (anas_analog_config_check(cfg, &lerr) == 0)
        return 0;
    return codec__overrides_error(&lerr, ptr, err);
}

/* A preset name, or {"preset", "overrides"}: r->name (its default kept
 * when absent), the overrides, and their pointers. A bare string names a
 * preset: then the pointer is the value's own. */
int codec__preset_ref(json_t *v, const char *ptr, struct codec_preset_ref *r,
                      struct anas_error *err)
{
    static const char *const keys[] = {"preset", "overrides", NULL};
    json_t *preset = v;
    int rc;
    r->overrides = NULL;
    snprintf(r->pp, sizeof r->pp, "%s", ptr);
    r->po[0] = '\0';
    if (json_is_object(v)) {
        if ((rc = codec_check_keys(v, keys, ptr, err)) < 0)
            return rc;
        preset = json_object_get(v, "preset");
        r->overrides = json_object_get(v, "overrides");
        codec_ptr(r->pp, sizeof r->pp, ptr, "preset");
        codec_ptr(r->po, sizeof r->po, ptr, "overrides");
    } else if (!json_is_string(v)) {
        return codec__bad(err, ANAS_ETYPE, ptr,
                          "%s must be a preset name or {\"preset\", \"overrides\"}", ptr);
    }
    if (preset && (rc = codec__str(preset, r->pp, r->name, sizeof r->name, err)) < 0)
        return rc;
    return 0;
}

int codec__hardware(json_t *v, const char *ptr, struct anas_analog_config *out,
                    struct anas_error *err)
{
    struct codec_preset_ref r = {.name = DEFAULT_PRESET};
    int rc;
    if ((rc = codec__preset_ref(v, ptr, &r, err)) < 0)
        return rc;
    if (anas_analog_preset(r.name, out) < 0)
        return unknown_preset(r.pp, r.name, err);
    if (r.overrides && (rc = parse_overrides(r.overrides, r.po, out, err)) < 0)
        return rc;
    return check(out, ptr, err);
}
/* --- writing --- */

/* The shortest decimal that reads back as the same float: 0.06, not
 * 0.059999998658895493, and the echo of a spec parses to the same bits. */
double codec__short_float(float f)
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

static json_t *field_to_json(const struct field *f, const struct anas_analog_config *cfg)
{
    const char *at = (const char *)cfg + f->off;
    int i, v;
    json_t *a;
    switch (f->type) {
    case F_FLOAT:
        return json_real(codec__short_float(*(const float *)at));
    case F_INT:
        return json_integer(*(const int *)at);
    case F_BOOL:
        return json_boolean(*(const int *)at);
    case F_ENUM:
        v = *(const int *)at;
        for (i = 0; f->names[i]; i++)
            if (i == v)
                return json_string(f->names[i]);
        return json_null();
    case F_ARRAY:
        a = json_array();
        v = *(const int *)((const char *)cfg + f->count_off);
        for (i = 0; a && i < v && i < f->max; i++)
            json_array_append_new(a, json_real(codec__short_float(((const float *)at)[i])));
        return a;
    }
    return json_null();
}

/* o's object member name, made when absent. */
static json_t *subgroup(json_t *o, const char *name)
{
    json_t *g = json_object_get(o, name);
    if (!g) {
        g = json_object();
        json_object_set_new(o, name, g);
    }
    return g;
}

json_t *codec__hardware_to_json(const struct anas_analog_config *cfg)
{
    json_t *o = json_object();
    size_t i;
    for (i = 0; o && i < N_FIELDS; i++) {
        const struct field *f = &fields[i];
        json_t *g = o;
        if (f->group && strcmp(f->group, "pre_post.input_range") == 0)
            g = subgroup(subgroup(o, "pre_post"), "input_range");
        else if (f->group)
            g = subgroup(o, f->group);
        json_object_set_new(g, f->name, field_to_json(f, cfg));
    }
    return o;
}

/* --- one IOParameters block alone (analog training's forward, backward,
 * transfer_forward), through the forward group's fields --- */

int codec__io(json_t *obj, const char *ptr, struct anas_analog_io *io, struct anas_error *err)
{
    struct anas_analog_config cfg;
    int rc;
    anas_analog_preset(DEFAULT_PRESET, &cfg);
    cfg.forward = *io;
    rc = parse_group(obj, "forward", ptr, &cfg, err);
    if (rc == 0)
        *io = cfg.forward;
    return rc;
}

json_t *codec__io_to_json(const struct anas_analog_io *io)
{
    struct anas_analog_config cfg;
    json_t *all, *f;
    anas_analog_preset(DEFAULT_PRESET, &cfg);
    cfg.forward = *io;
    all = codec__hardware_to_json(&cfg);
    f = all ? json_incref(json_object_get(all, "forward")) : NULL;
    json_decref(all);
    return f;
}
