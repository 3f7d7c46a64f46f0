/*
 * codec_pulsed.c - analog-training configurations (lib/analog/pulsed.h)
 * in JSON: the train evaluator's "analog_training", a preset name or
 * {"preset", "overrides": {"forward", "backward", "update", "device",
 * "mapping"}},
 * with aihwkit's names (SingleRPUConfig / UnitCellRPUConfig fields;
 * device types by class name without "Device": "ConstantStep",
 * "VectorUnitCell", "TransferCompound"...). doc/api.md shows an example.
 */
#include "config.h"

#include "codec_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PRESET "constant-step"

enum ptype { P_FLOAT, P_INT, P_BOOL };

struct pfield {
    const char *name;
    enum ptype type;
    size_t off;
};

#define DF(n) {#n, P_FLOAT, offsetof(struct anas_pulsed_device, n)}
#define DB(n) {#n, P_BOOL, offsetof(struct anas_pulsed_device, n)}

/* PulsedDevice and its subclasses' fields (the "type" is apart). */
static const struct pfield dev_fields[] = {
    DF(dw_min),          DF(dw_min_dtod),     DF(dw_min_std),      DB(dw_min_dtod_log_normal),
    DB(enforce_consistency), DF(w_max),       DF(w_min),           DF(w_max_dtod),
    DF(w_min_dtod),      DF(up_down),         DF(up_down_dtod),    DF(reset),
    DF(reset_dtod),      DF(reset_std),       DF(lifetime),        DF(lifetime_dtod),
    DF(diffusion),       DF(diffusion_dtod),  DF(gamma_up),        DF(gamma_down),
    DF(gamma_up_dtod),   DF(gamma_down_dtod), DB(mean_bound_reference), DB(mult_noise),
    DF(p_max),           DF(alpha),           DF(range_min),       DF(range_max),
    DF(A_up),            DF(A_down),          {"gamma_up_exp", P_FLOAT, offsetof(struct anas_pulsed_device, exp_gamma_up)},
    {"gamma_down_exp", P_FLOAT, offsetof(struct anas_pulsed_device, exp_gamma_down)},
    DF(a),               DF(b),               DF(dw_min_std_add),  DF(dw_min_std_slope),
    DF(pow_gamma),       DF(pow_gamma_dtod),  DF(pow_up_down),     DF(pow_up_down_dtod),
};

#define CF(n) {#n, P_FLOAT, offsetof(struct anas_analog_device, n)}
#define CI(n) {#n, P_INT, offsetof(struct anas_analog_device, n)}
#define CB(n) {#n, P_BOOL, offsetof(struct anas_analog_device, n)}

/* VectorUnitCell's and TransferCompound's own fields. */
static const struct pfield compound_fields[] = {
    CI(first_update_idx), CF(gamma),          CF(transfer_every),   CF(fast_lr),
    CF(transfer_lr),      CF(with_reset_prob), CB(units_in_mbatch), CI(n_reads_per_transfer),
    CB(transfer_columns), CB(scale_transfer_lr), CB(scale_fast_lr),
};

#define UF(n, t) {#n, t, offsetof(struct anas_pulsed_update, n)}

static const struct pfield update_fields[] = {
    UF(desired_bl, P_INT),        UF(update_management, P_BOOL),
    UF(update_bl_management, P_BOOL), UF(um_grad_scale, P_FLOAT),
    UF(x_res_implicit, P_FLOAT),  UF(d_res_implicit, P_FLOAT),
};

#define N_OF(a) (sizeof a / sizeof a[0])

static const char *const dev_names[] = {"FloatingPoint", "ConstantStep", "LinearStep",
                                        "SoftBounds",    "SoftBoundsPmax", "ExpStep",
                                        "PowStep",       NULL};
static const char *const compound_names[] = {NULL, "VectorUnitCell", "TransferCompound", NULL};
static const char *const pulse_names[] = {"NONE", "STOCHASTIC_COMPRESSED",
                                          "DETERMINISTIC_IMPLICIT", "MEAN_COUNT", NULL};
static const char *const policy_names[] = {"ALL", "SINGLE_FIXED", "SINGLE_SEQUENTIAL",
                                           "SINGLE_RANDOM", NULL};
_Static_assert(N_OF(dev_names) == ANAS_DEV_POW_STEP + 2, "device types");
_Static_assert(N_OF(pulse_names) == ANAS_PULSE_MEAN_COUNT + 2, "pulse types");
_Static_assert(N_OF(policy_names) == ANAS_VP_SINGLE_RANDOM + 2, "update policies");

/* --- parsing --- */

static int set_pfield(const struct pfield *f, json_t *v, const char *p, void *base,
                      struct anas_error *err)
{
    char *at = (char *)base + f->off;
    double d;
    long long i;
    int rc;
    if (f->type == P_BOOL) {
        if (!json_is_boolean(v))
            return codec__bad(err, ANAS_ETYPE, p, "%s must be true or false", p);
        *(int *)at = json_is_true(v);
        return 0;
    }
    if (f->type == P_INT) {
        if ((rc = codec__int(v, p, -1000000000, 1000000000, &i, err)) == 0)
            *(int *)at = (int)i;
        return rc;
    }
    if ((rc = codec__num(v, p, -1e30, 1e30, &d, err)) == 0)
        *(float *)at = (float)d;
    return rc;
}

static const struct pfield *find(const struct pfield *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, key) == 0)
            return &t[i];
    return NULL;
}

/* An enum by name (case-insensitive); names[0] may be NULL (no value 0). */
static int set_name(const char *const *names, int n, json_t *v, const char *p, int *out,
                    struct anas_error *err)
{
    if (!json_is_string(v))
        return codec__bad(err, ANAS_ETYPE, p, "%s must be a string", p);
    for (int i = 0; i < n; i++)
        if (names[i] && strcasecmp(names[i], json_string_value(v)) == 0) {
            *out = i;
            return 0;
        }
    return codec__bad(err, ANAS_EINVAL, p, "%s: unknown name '%.40s'", p, json_string_value(v));
}

/* One device object: its "type" first (a new type starts from that
 * type's defaults), then its fields. */
static int parse_unit(json_t *o, const char *ptr, struct anas_pulsed_device *d,
                      struct anas_error *err)
{
    const char *key;
    json_t *v;
    char p[200];
    int rc, type;
    if ((rc = codec__obj(o, ptr, err)) < 0)
        return rc;
    if ((v = json_object_get(o, "type"))) {
        codec_ptr(p, sizeof p, ptr, "type");
        if ((rc = set_name(dev_names, (int)N_OF(dev_names) - 1, v, p, &type, err)) < 0)
            return rc;
        if (type != (int)d->type)
            anas_pulsed_device_defaults((enum anas_device_type)type, d);
    }
    json_object_foreach(o, key, v)
    {
        const struct pfield *f = find(dev_fields, N_OF(dev_fields), key);
        codec_ptr(p, sizeof p, ptr, key);
        if (strcmp(key, "type") == 0)
            continue;
        if (!f)
            return codec__bad(err, ANAS_EUNKNOWN, p, "unknown device field '%s'", key);
        if ((rc = set_pfield(f, v, p, d, err)) < 0)
            return rc;
    }
    return 0;
}

static int parse_units(json_t *a, const char *ptr, struct anas_analog_device *d,
                       struct anas_error *err)
{
    size_t i, n = json_array_size(a);
    json_t *u;
    if (!json_is_array(a) || n < 1 || n > ANAS_PULSED_MAX_UNITS)
        return codec__bad(err, ANAS_ETYPE, ptr, "%s must be an array of 1..%d devices", ptr,
                          ANAS_PULSED_MAX_UNITS);
    for (i = (size_t)d->n_units; i < n; i++) /* new units start as the last one */
        d->unit[i] = d->unit[d->n_units - 1];
    d->n_units = (int)n;
    json_array_foreach(a, i, u)
    {
        char p[232];
        int rc;
        snprintf(p, sizeof p, "%.200s/%zu", ptr, i);
        if ((rc = parse_unit(u, p, &d->unit[i], err)) < 0)
            return rc;
    }
    return 0;
}

static int parse_gamma_vec(json_t *a, const char *ptr, struct anas_analog_device *d,
                           struct anas_error *err)
{
    size_t i, n = json_array_size(a);
    json_t *x;
    if (!json_is_array(a) || n > ANAS_PULSED_MAX_UNITS)
        return codec__bad(err, ANAS_ETYPE, ptr, "%s must be an array of numbers", ptr);
    json_array_foreach(a, i, x)
    {
        char p[232];
        double v;
        snprintf(p, sizeof p, "%.200s/%zu", ptr, i);
        if (codec__num(x, p, -1e30, 1e30, &v, err) < 0)
            return err->code;
        d->gamma_vec[i] = (float)v;
    }
    d->n_gamma = (int)n;
    return 0;
}

/* A compound's field, or NULL when key is none of them. */
static int parse_compound_field(const char *key, json_t *v, const char *p,
                                struct anas_analog_device *d, struct anas_error *err)
{
    const struct pfield *f = find(compound_fields, N_OF(compound_fields), key);
    int x, rc;
    if (f)
        return set_pfield(f, v, p, d, err);
    if (strcmp(key, "unit_cell_devices") == 0)
        return parse_units(v, p, d, err);
    if (strcmp(key, "gamma_vec") == 0)
        return parse_gamma_vec(v, p, d, err);
    if (strcmp(key, "transfer_forward") == 0)
        return codec__io(v, p, &d->transfer_forward, err);
    if (strcmp(key, "update_policy") == 0) {
        if ((rc = set_name(policy_names, (int)N_OF(policy_names) - 1, v, p, &x, err)) == 0)
            d->update_policy = (enum anas_vector_policy)x;
        return rc;
    }
    return codec__bad(err, ANAS_EUNKNOWN, p, "unknown device field '%s'", key);
}

/* "device": a single device's fields, or a compound ("type"
 * VectorUnitCell or TransferCompound) with unit_cell_devices. */
static int parse_device(json_t *o, const char *ptr, struct anas_analog_device *d,
                        struct anas_error *err)
{
    json_t *v = json_object_get(o, "type");
    const char *key;
    char p[200];
    int rc, c = -1;
    if ((rc = codec__obj(o, ptr, err)) < 0)
        return rc;
    if (v && json_is_string(v)) {
        for (int i = 1; compound_names[i]; i++)
            if (strcasecmp(compound_names[i], json_string_value(v)) == 0)
                c = i;
    }
    if (c < 0 && v && json_is_string(v) && d->compound != ANAS_COMPOUND_SINGLE)
        for (int i = 0; dev_names[i]; i++)
            if (strcasecmp(dev_names[i], json_string_value(v)) == 0) {
                /* a compound preset becomes a single device */
                d->compound = ANAS_COMPOUND_SINGLE;
                d->n_units = 1;
                d->n_gamma = 0;
            }
    if (c < 0 && d->compound == ANAS_COMPOUND_SINGLE)
        return parse_unit(o, ptr, &d->unit[0], err);
    if (c < 0 && v) {
        codec_ptr(p, sizeof p, ptr, "type");
        return codec__bad(err, ANAS_EINVAL, p,
                          "%s: a compound device's type is VectorUnitCell or TransferCompound", p);
    }
    if (c >= 0 && c != (int)d->compound) {
        d->compound = (enum anas_compound)c;
        d->n_units = c == ANAS_COMPOUND_TRANSFER ? 2 : 1;
        d->unit[1] = d->unit[0];
        d->n_gamma = 0;
    }
    json_object_foreach(o, key, v)
    {
        codec_ptr(p, sizeof p, ptr, key);
        if (strcmp(key, "type") != 0 && (rc = parse_compound_field(key, v, p, d, err)) < 0)
            return rc;
    }
    return 0;
}

static int parse_update(json_t *o, const char *ptr, struct anas_pulsed_update *u,
                        struct anas_error *err)
{
    const char *key;
    json_t *v;
    int rc, x;
    if ((rc = codec__obj(o, ptr, err)) < 0)
        return rc;
    json_object_foreach(o, key, v)
    {
        const struct pfield *f = find(update_fields, N_OF(update_fields), key);
        char p[200];
        codec_ptr(p, sizeof p, ptr, key);
        if (strcmp(key, "pulse_type") == 0) {
            if ((rc = set_name(pulse_names, (int)N_OF(pulse_names) - 1, v, p, &x, err)) == 0)
                u->pulse_type = (enum anas_pulse_type)x;
        } else if (f) {
            rc = set_pfield(f, v, p, u, err);
        } else {
            rc = codec__bad(err, ANAS_EUNKNOWN, p, "unknown update field '%s'", key);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* MappingParameter's tile sizes: how a layer is split over tiles. */
static int parse_mapping(json_t *o, const char *ptr, struct anas_analog_training *tc,
                         struct anas_error *err)
{
    static const struct pfield f[] = {
        {"max_input_size", P_INT, offsetof(struct anas_analog_training, max_input_size)},
        {"max_output_size", P_INT, offsetof(struct anas_analog_training, max_output_size)},
    };
    const char *key;
    json_t *v;
    int rc;
    if ((rc = codec__obj(o, ptr, err)) < 0)
        return rc;
    json_object_foreach(o, key, v)
    {
        const struct pfield *x = find(f, N_OF(f), key);
        char p[200];
        codec_ptr(p, sizeof p, ptr, key);
        if (!x)
            return codec__bad(err, ANAS_EUNKNOWN, p, "unknown mapping field '%s'", key);
        if ((rc = set_pfield(x, v, p, tc, err)) < 0)
            return rc;
    }
    return 0;
}

static int parse_overrides(json_t *o, const char *ptr, struct anas_analog_training *tc,
                           struct anas_error *err)
{
    const char *key;
    json_t *v;
    int rc;
    if ((rc = codec__obj(o, ptr, err)) < 0)
        return rc;
    /* the device first: a new compound resets what the others may set */
    if ((v = json_object_get(o, "device"))) {
        char p[200];
        codec_ptr(p, sizeof p, ptr, "device");
        if ((rc = parse_device(v, p, &tc->device, err)) < 0)
            return rc;
    }
    json_object_foreach(o, key, v)
    {
        char p[200];
        codec_ptr(p, sizeof p, ptr, key);
        if (strcmp(key, "device") == 0)
            continue;
        if (strcmp(key, "forward") == 0)
            rc = codec__io(v, p, &tc->forward, err);
        else if (strcmp(key, "backward") == 0)
            rc = codec__io(v, p, &tc->backward, err);
        else if (strcmp(key, "update") == 0)
            rc = parse_update(v, p, &tc->update, err);
        else if (strcmp(key, "mapping") == 0)
            rc = parse_mapping(v, p, tc, err);
        else
            rc = codec__bad(err, ANAS_EUNKNOWN, p, "unknown analog_training field '%s'", key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The library's dotted field ("device.unit_cell_devices.1.w_max") as the
 * spec's pointer. */
static int check(const struct anas_analog_training *tc, const char *ptr,
                 struct anas_error *err)
{
    struct anas_error lerr;
    anas_error_clear(&lerr);
    if (anas_pulsed_check(tc, &lerr) == 0)
        return 0;
    return codec__overrides_error(&lerr, ptr, err);
}

int codec__analog_training(json_t *v, const char *ptr, struct anas_analog_training *out,
                           struct anas_error *err)
{
    struct codec_preset_ref r = {.name = DEFAULT_PRESET};
    int rc;
    if ((rc = codec__preset_ref(v, ptr, &r, err)) < 0)
        return rc;
    if (anas_pulsed_preset(r.name, out) < 0) {
        char list[200] = "";
        const char *n;
        for (int i = 0; (n = anas_pulsed_preset_name(i)); i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", n);
        return codec__bad(err, ANAS_ENOTFOUND, r.pp,
                          "unknown analog training preset '%.40s' (%s)", r.name, list);
    }
    if (r.overrides && (rc = parse_overrides(r.overrides, r.po, out, err)) < 0)
        return rc;
    return check(out, ptr, err);
}

/* --- writing --- */

static json_t *pfield_json(const struct pfield *f, const void *base)
{
    const char *at = (const char *)base + f->off;
    if (f->type == P_BOOL)
        return json_boolean(*(const int *)at);
    if (f->type == P_INT)
        return json_integer(*(const int *)at);
    return json_real(codec__short_float(*(const float *)at));
}

static json_t *fields_json(const struct pfield *t, size_t n, const void *base, json_t *o)
{
    for (size_t i = 0; o && i < n; i++)
        json_object_set_new(o, t[i].name, pfield_json(&t[i], base));
    return o;
}

static json_t *unit_json(const struct anas_pulsed_device *d)
{
    json_t *o = json_pack("{s:s}", "type", dev_names[d->type]);
    return fields_json(dev_fields, N_OF(dev_fields), d, o);
}

static json_t *device_json(const struct anas_analog_device *d)
{
    json_t *o, *units, *gv;
    if (d->compound == ANAS_COMPOUND_SINGLE)
        return unit_json(&d->unit[0]);
    o = json_pack("{s:s, s:s}", "type", compound_names[d->compound], "update_policy",
                  policy_names[d->update_policy]);
    units = json_array();
    gv = json_array();
    for (int k = 0; units && k < d->n_units; k++)
        json_array_append_new(units, unit_json(&d->unit[k]));
    for (int k = 0; gv && k < d->n_gamma; k++)
        json_array_append_new(gv, json_real(codec__short_float(d->gamma_vec[k])));
    if (o) {
        json_object_set_new(o, "unit_cell_devices", units);
        json_object_set_new(o, "gamma_vec", gv);
        json_object_set_new(o, "transfer_forward", codec__io_to_json(&d->transfer_forward));
    }
    return fields_json(compound_fields, N_OF(compound_fields), d, o);
}

json_t *codec__analog_training_to_json(const struct anas_analog_training *tc)
{
    json_t *up = json_pack("{s:s}", "pulse_type", pulse_names[tc->update.pulse_type]);
    json_t *ov = json_object();
    fields_json(update_fields, N_OF(update_fields), &tc->update, up);
    if (ov) {
        json_object_set_new(ov, "forward", codec__io_to_json(&tc->forward));
        json_object_set_new(ov, "backward", codec__io_to_json(&tc->backward));
        json_object_set_new(ov, "update", up);
        json_object_set_new(ov, "device", device_json(&tc->device));
        json_object_set_new(ov, "mapping",
                            json_pack("{s:i, s:i}", "max_input_size", tc->max_input_size,
                                      "max_output_size", tc->max_output_size));
    }
    return json_pack("{s:s, s:o}", "preset", DEFAULT_PRESET, "overrides", ov);
}
