/*
 * pconfig.c - analog-training configurations: aihwkit's Python defaults
 * of the pulsed devices (src/aihwkit/simulator/configs/devices.py,
 * compounds.py) and of UpdateParameters (parameters/training.py), the
 * presets of aihwkit's examples 1-8, and the checks.
 */
#include "config.h"

#include "analog/pulsed.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void anas_pulsed_device_defaults(enum anas_device_type type, struct anas_pulsed_device *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    if (type == ANAS_DEV_FLOATING_POINT)
        return;
    /* PulsedDevice */
    out->dw_min = 0.001f;
    out->dw_min_dtod = 0.3f;
    out->dw_min_std = 0.3f;
    out->enforce_consistency = 1;
    out->w_max = 0.6f;
    out->w_min = -0.6f;
    out->w_max_dtod = 0.3f;
    out->w_min_dtod = 0.3f;
    out->up_down_dtod = 0.01f;
    out->reset_std = 0.01f;
    /* LinearStepDevice */
    out->gamma_up_dtod = out->gamma_down_dtod = 0.05f;
    out->mean_bound_reference = 1;
    out->mult_noise = 1;
    /* SoftBoundsPmaxDevice */
    out->p_max = 1000.0f;
    out->alpha = 0.001f / 2.0f;
    out->range_min = -1.0f;
    out->range_max = 1.0f;
    /* ExpStepDevice */
    out->A_up = 0.00081f;
    out->A_down = 0.36833f;
    out->exp_gamma_up = 12.44625f;
    out->exp_gamma_down = 12.78785f;
    out->a = 0.244f;
    out->b = 0.2425f;
    /* PowStepDevice */
    out->pow_gamma = 1.0f;
    out->pow_gamma_dtod = 0.1f;
}

void anas_pulsed_update_defaults(struct anas_pulsed_update *out)
{
    *out = (struct anas_pulsed_update){
        .pulse_type = ANAS_PULSE_STOCHASTIC_COMPRESSED,
        .desired_bl = 31,
        .update_management = 1,
        .update_bl_management = 1,
        .um_grad_scale = 1.0f,
    };
}

/* SingleRPUConfig(device=...): IOParameters() forward and backward. */
static void single(struct anas_analog_training *tc, enum anas_device_type type)
{
    struct anas_analog_config hw;

    memset(tc, 0, sizeof *tc);
    anas_analog_preset("aihwkit-default", &hw);
    tc->forward = tc->backward = hw.forward;
    anas_pulsed_update_defaults(&tc->update);
    tc->device.compound = ANAS_COMPOUND_SINGLE;
    tc->device.n_units = 1;
    anas_pulsed_device_defaults(type, &tc->device.unit[0]);
    /* TransferCompound's defaults, used when compound is switched */
    tc->device.transfer_every = 1.0f;
    tc->device.units_in_mbatch = 1;
    tc->device.n_reads_per_transfer = 1;
    tc->device.transfer_columns = 1;
    tc->device.fast_lr = 1.0f;
    tc->device.transfer_lr = 1.0f;
    tc->device.scale_transfer_lr = 1;
    tc->device.scale_fast_lr = 1;
    tc->device.transfer_forward = hw.forward;
    tc->max_input_size = tc->max_output_size = 512; /* MappingParameter() */
}

static void constant_step(struct anas_analog_training *tc)
{
    single(tc, ANAS_DEV_CONSTANT_STEP);
}

static void soft_bounds(struct anas_analog_training *tc)
{
    single(tc, ANAS_DEV_SOFT_BOUNDS);
}

/* FloatingPointRPUConfig: exact forward and backward, W -= lr d x^T. */
static void floating_point(struct anas_analog_training *tc)
{
    single(tc, ANAS_DEV_FLOATING_POINT);
    tc->forward.is_perfect = tc->backward.is_perfect = 1;
    tc->update.pulse_type = ANAS_PULSE_NONE;
}

/* examples/07_simple_layer_with_other_devices.py */
static void vector_unit_cell(struct anas_analog_training *tc)
{
    struct anas_analog_device *d = &tc->device;

    single(tc, ANAS_DEV_CONSTANT_STEP);
    d->compound = ANAS_COMPOUND_VECTOR;
    d->n_units = 3;
    for (int k = 0; k < 3; k++)
        anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, &d->unit[k]);
    d->unit[0].w_max = 0.3f;
    d->unit[1].w_max_dtod = 0.4f;
    d->unit[2].up_down_dtod = 0.1f;
    d->update_policy = ANAS_VP_SINGLE_RANDOM;
}

/* examples/08_simple_layer_with_tiki_taka.py */
static void tiki_taka(struct anas_analog_training *tc)
{
    struct anas_analog_device *d = &tc->device;

    single(tc, ANAS_DEV_SOFT_BOUNDS);
    d->compound = ANAS_COMPOUND_TRANSFER;
    d->n_units = 2;
    anas_pulsed_device_defaults(ANAS_DEV_SOFT_BOUNDS, &d->unit[1]);
    d->unit[0].w_min = -0.3f;
    d->unit[0].w_max = 0.3f;
    d->transfer_every = 2.0f;
    d->gamma = 0.0f;
    d->fast_lr = 0.1f;
    tc->forward.inp_res = 1.0f / 62.0f; /* 6-bit DAC */
    tc->backward = tc->forward;
    d->transfer_forward = tc->forward;
}

static const struct {
    const char *name;
    void (*make)(struct anas_analog_training *);
    const char *doc;
} presets[] = {
    {"constant-step", constant_step,
     "aihwkit's SingleRPUConfig(device=ConstantStepDevice()): dw_min 0.001 (device-to-device "
     "and cycle-to-cycle spread 0.3), bounds +-0.6, stochastic compressed pulse trains of up "
     "to 31 pulses, aihwkit's default forward and backward IO; examples 1, 2, 3, 4"},
    {"soft-bounds", soft_bounds,
     "aihwkit's SingleRPUConfig(device=SoftBoundsDevice()): steps shrink as the weight "
     "nears its bound (+-0.6)"},
    {"vector-unit-cell", vector_unit_cell,
     "aihwkit's example 7: a VectorUnitCell of three ConstantStep devices (w_max 0.3; "
     "w_max_dtod 0.4; up_down_dtod 0.1), one chosen at random per update (SINGLE_RANDOM)"},
    {"tiki-taka", tiki_taka,
     "aihwkit's example 8: a TransferCompound (Tiki-Taka) of two SoftBounds devices "
     "(+-0.3 fast, +-0.6 slow), transfer every 2 mini-batch units, gamma 0, fast_lr 0.1, "
     "6-bit DAC (inp_res 1/62)"},
    {"floating-point", floating_point,
     "aihwkit's FloatingPointRPUConfig: exact forward and backward and W -= lr d x^T, "
     "digital SGD on the tiles"},
};
#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

int anas_pulsed_preset(const char *name, struct anas_analog_training *out)
{
    for (int i = 0; name && i < N_PRESETS; i++)
        if (strcmp(presets[i].name, name) == 0) {
            presets[i].make(out);
            return 0;
        }
    return ANAS_ENOTFOUND;
}

const char *anas_pulsed_preset_name(int i)
{
    return i >= 0 && i < N_PRESETS ? presets[i].name : NULL;
}

const char *anas_pulsed_preset_doc(int i)
{
    return i >= 0 && i < N_PRESETS ? presets[i].doc : NULL;
}

float anas_pulsed_granularity(const struct anas_analog_device *dev)
{
    double s = 0.0;
    int n = dev->compound == ANAS_COMPOUND_SINGLE ? 1 : dev->n_units;

    for (int k = 0; k < n; k++) {
        const struct anas_pulsed_device *p = &dev->unit[k];

        /* SoftBoundsPmax's dw_min is derived from p_max and alpha */
        s += p->type == ANAS_DEV_SOFT_BOUNDS_PMAX
                 ? (p->range_max - p->range_min) / (1.0 - exp(-p->p_max * p->alpha)) * p->alpha
                 : p->dw_min;
    }
    return n > 0 ? (float)(s / n) : 0.0f;
}

/* --- checks --- */

static int in(float v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

static int bad(struct anas_error *err, const char *pre, const char *f, const char *why)
{
    char field[96];

    snprintf(field, sizeof field, "%s%s", pre, f);
    return anas_error_field(err, ANAS_ERANGE, field, "%s %s", field, why);
}

static int check_unit(const struct anas_pulsed_device *p, const char *pre, int compound,
                      struct anas_error *err)
{
    if ((unsigned)p->type > ANAS_DEV_POW_STEP)
        return bad(err, pre, "type", "is not a known device");
    if (p->type == ANAS_DEV_FLOATING_POINT)
        return compound ? bad(err, pre, "type", "FloatingPoint cannot be a unit of a compound")
                        : 0;
    if (p->type != ANAS_DEV_SOFT_BOUNDS_PMAX && !in(p->dw_min, 1e-9, 10.0))
        return bad(err, pre, "dw_min", "must be in (0, 10]");
    if (!in(p->dw_min_dtod, 0, 10) || !in(p->dw_min_std, 0, 10))
        return bad(err, pre, p->dw_min_std < 0 ? "dw_min_std" : "dw_min_dtod",
                   "must be in [0, 10]");
    if (!in(p->w_max, -1e3, 1e3) || !in(p->w_min, -1e3, 1e3))
        return bad(err, pre, in(p->w_max, -1e3, 1e3) ? "w_min" : "w_max",
                   "must be in [-1000, 1000]");
    if (!in(p->w_max_dtod, 0, 10) || !in(p->w_min_dtod, 0, 10))
        return bad(err, pre, in(p->w_max_dtod, 0, 10) ? "w_min_dtod" : "w_max_dtod",
                   "must be in [0, 10]");
    if (!in(p->up_down, -10, 10) || !in(p->up_down_dtod, 0, 10))
        return bad(err, pre, in(p->up_down, -10, 10) ? "up_down_dtod" : "up_down",
                   "is out of range");
    if (!in(p->lifetime, 0, 1e12) || !in(p->lifetime_dtod, 0, 10))
        return bad(err, pre, "lifetime", "must be >= 0");
    if (!in(p->diffusion, 0, 1e3) || !in(p->diffusion_dtod, 0, 10))
        return bad(err, pre, "diffusion", "must be >= 0");
    if (!in(p->reset, -1e3, 1e3) || !in(p->reset_dtod, 0, 1e3) || !in(p->reset_std, 0, 1e3))
        return bad(err, pre, "reset", "is out of range");
    if (!in(p->gamma_up, -1e3, 1e3) || !in(p->gamma_down, -1e3, 1e3) ||
        !in(p->gamma_up_dtod, 0, 1e3) || !in(p->gamma_down_dtod, 0, 1e3))
        return bad(err, pre, "gamma_up", "is out of range");
    if (p->type == ANAS_DEV_SOFT_BOUNDS_PMAX &&
        (!in(p->p_max, 1, 1e9) || !in(p->alpha, 1e-12, 1) ||
         !in(p->range_min, -1e3, 1e3) || !in(p->range_max, p->range_min + 1e-9, 1e3)))
        return bad(err, pre, !in(p->p_max, 1, 1e9) ? "p_max" : !in(p->alpha, 1e-12, 1) ? "alpha"
                                                                                  : "range_max",
                   "is out of range (p_max >= 1, alpha in (0, 1], range_min < range_max)");
    if (!in(p->A_up, 0, 1e3) || !in(p->A_down, 0, 1e3) || !in(p->exp_gamma_up, -1e3, 1e3) ||
        !in(p->exp_gamma_down, -1e3, 1e3) || !in(p->a, -1e3, 1e3) || !in(p->b, -1e3, 1e3) ||
        !in(p->dw_min_std_add, 0, 1e3) || !in(p->dw_min_std_slope, 0, 1e3))
        return bad(err, pre, "A_up", "ExpStep parameters out of range");
    if (!in(p->pow_gamma, 0, 1e3) || !in(p->pow_gamma_dtod, 0, 10) ||
        !in(p->pow_up_down, -10, 10) || !in(p->pow_up_down_dtod, 0, 10))
        return bad(err, pre, "pow_gamma", "PowStep parameters out of range");
    return 0;
}

/* An IO block through the inference checks, the field renamed. */
static int check_io(const struct anas_analog_io *io, const char *name, struct anas_error *err)
{
    struct anas_analog_config hw;
    int rc;

    anas_analog_preset("aihwkit-default", &hw);
    hw.forward = *io;
    rc = anas_analog_config_check(&hw, err);
    if (rc < 0 && err && strncmp(err->field, "forward.", 8) == 0) {
        char f[96];

        snprintf(f, sizeof f, "%s.%s", name, err->field + 8);
        snprintf(err->field, sizeof err->field, "%s", f);
        snprintf(err->msg, sizeof err->msg, "%s is out of range", f);
    }
    return rc;
}

static int check_compound(const struct anas_analog_device *d, struct anas_error *err)
{
    const char *pre = "device.";

    if ((unsigned)d->compound > ANAS_COMPOUND_TRANSFER)
        return bad(err, pre, "type", "is not a known device");
    if (d->compound == ANAS_COMPOUND_SINGLE)
        return d->n_units == 1 ? 0 : bad(err, pre, "type", "a single device has one unit");
    if (d->n_units < 1 || d->n_units > ANAS_PULSED_MAX_UNITS ||
        (d->compound == ANAS_COMPOUND_TRANSFER && d->n_units != 2))
        return bad(err, pre, "unit_cell_devices",
                   d->compound == ANAS_COMPOUND_TRANSFER
                       ? "TransferCompound takes two devices (fast A, slow C)"
                       : "takes 1 to 8 devices");
    if (d->n_gamma < 0 || d->n_gamma > d->n_units ||
        (d->n_gamma && d->n_gamma != d->n_units))
        return bad(err, pre, "gamma_vec", "must have one weight per device");
    for (int k = 0; k < d->n_gamma; k++)
        if (!in(d->gamma_vec[k], -1e3, 1e3))
            return bad(err, pre, "gamma_vec", "must be finite");
    if (d->compound == ANAS_COMPOUND_VECTOR) {
        if ((unsigned)d->update_policy > ANAS_VP_SINGLE_RANDOM)
            return bad(err, pre, "update_policy", "is not a known policy");
        if (d->first_update_idx < 0 || d->first_update_idx >= d->n_units)
            return bad(err, pre, "first_update_idx", "must name one of the devices");
        return 0;
    }
    if (!in(d->gamma, 0, 1e3))
        return bad(err, pre, "gamma", "must be in [0, 1000]");
    if (!in(d->transfer_every, 1e-6, 1e9))
        return bad(err, pre, "transfer_every", "must be > 0");
    if (d->n_reads_per_transfer < 1 || d->n_reads_per_transfer > 1 << 20)
        return bad(err, pre, "n_reads_per_transfer", "must be >= 1");
    if (!d->transfer_columns)
        return bad(err, pre, "transfer_columns", "only column transfer (true) is implemented");
    if (!in(d->fast_lr, -1e6, 1e6) || !in(d->transfer_lr, 0, 1e6))
        return bad(err, pre, in(d->fast_lr, -1e6, 1e6) ? "transfer_lr" : "fast_lr",
                   "is out of range");
    if (!in(d->with_reset_prob, 0, 1))
        return bad(err, pre, "with_reset_prob", "must be in [0, 1]");
    return check_io(&d->transfer_forward, "device.transfer_forward", err);
}

int anas_pulsed_check(const struct anas_analog_training *tc, struct anas_error *err)
{
    const struct anas_analog_device *d;
    int rc;

    if (!tc)
        return anas_error_set(err, ANAS_EINVAL, "no training configuration");
    d = &tc->device;
    if ((rc = check_compound(d, err)) < 0)
        return rc;
    for (int k = 0; k < d->n_units; k++) {
        char pre[64];

        if (d->compound == ANAS_COMPOUND_SINGLE)
            snprintf(pre, sizeof pre, "device.");
        else
            snprintf(pre, sizeof pre, "device.unit_cell_devices.%d.", k);
        if ((rc = check_unit(&d->unit[k], pre, d->compound != ANAS_COMPOUND_SINGLE, err)) < 0)
            return rc;
    }
    if ((unsigned)tc->update.pulse_type > ANAS_PULSE_MEAN_COUNT)
        return bad(err, "update.", "pulse_type", "is not a known pulse type");
    if (tc->update.desired_bl < 1 || tc->update.desired_bl > 1024)
        return bad(err, "update.", "desired_bl", "must be in [1, 1024]");
    if (!in(tc->update.um_grad_scale, 1e-9, 1e9))
        return bad(err, "update.", "um_grad_scale", "must be > 0");
    if (!in(tc->update.x_res_implicit, 0, 1) || !in(tc->update.d_res_implicit, 0, 1))
        return bad(err, "update.", in(tc->update.x_res_implicit, 0, 1) ? "d_res_implicit"
                                                                       : "x_res_implicit",
                   "must be in [0, 1]");
    if (tc->max_input_size < 0 || tc->max_input_size > 1 << 20)
        return bad(err, "mapping.", "max_input_size", "must be in [0, 1048576] (0: no split)");
    if (tc->max_output_size < 0 || tc->max_output_size > 1 << 20)
        return bad(err, "mapping.", "max_output_size", "must be in [0, 1048576] (0: no split)");
    if ((rc = check_io(&tc->forward, "forward", err)) < 0)
        return rc;
    return check_io(&tc->backward, "backward", err);
}
