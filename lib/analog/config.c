/*
 * config.c - hardware configurations: aihwkit's defaults, the named
 * presets, and the checks aihwkit makes (or should make) before a tile is
 * built.
 *
 * Every preset starts from aihwkit's Python defaults (InferenceRPUConfig() of
 * src/aihwkit/simulator/configs/configs.py) and changes what its source
 * changes, so a field a preset does not mention has aihwkit's value, as in
 * Python.
 */
#include "config.h"

#include "analog/analog.h"

#include <math.h>
#include <string.h>

static void base(struct anas_analog_config *c)
{
    memset(c, 0, sizeof *c);
    c->forward = (struct anas_analog_io){
        .inp_bound = 1.0f,
        .inp_res = 1.0f / 126.0f, /* 7-bit DAC: 1/(2^7 - 2) */
        .out_bound = 12.0f,
        .out_res = 1.0f / 510.0f, /* 9-bit ADC: 1/(2^9 - 2) */
        .out_noise = 0.06f,
        .out_scale = 1.0f,
        .w_noise_type = ANAS_WN_NONE,
        .bound_management = ANAS_BM_ITERATIVE,
        .noise_management = ANAS_NM_ABS_MAX,
        .max_bm_factor = 1000.0f,
        .max_bm_res = 0.25f,
        .bm_test_negative_bound = 1,
        .nm_assumed_wmax = 0.6f,
        .nm_decay = 1e-3f,
    };
    c->mapping = (struct anas_analog_mapping){
        .max_input_size = 512, .max_output_size = 512, .digital_bias = 1};
    c->pre_post.input_range = (struct anas_analog_inrange){
        .learn_input_range = 1,
        .init_value = 3.0f,
        .init_from_data = 100,
        .init_std_alpha = 3.0f,
        .decay = 0.001f,
        .input_min_percentage = 0.95f,
        .output_min_percentage = 0.95f,
        .gradient_scale = 1.0f,
        .gradient_relative = 1,
    };
    c->clip = (struct anas_analog_clip){ANAS_CLIP_NONE, -1.0f, 2.5f};
    c->remap = (struct anas_analog_remap){ANAS_REMAP_NONE, 1.0f};
    c->modifier = (struct anas_analog_modifier){
        .type = ANAS_MOD_NONE,
        .dorefa_clip = 0.6f,
        .assumed_wmax = 1.0f,
        .g_max = 25.0f,
        .rel_to_actual_wmax = 1,
        .n_coeffs = 3,
        .coeffs = {0.0105392f, 0.0768f, -0.046925f},
    };
    anas_analog_noise_defaults(ANAS_NOISE_PCM, &c->noise_model);
    c->drift_compensation = ANAS_DRIFT_COMP_GLOBAL;
}

void anas_analog_noise_defaults(enum anas_noise_kind type, struct anas_analog_noise *out)
{
    *out = (struct anas_analog_noise){
        .type = type,
        .g_max = 25.0f,
        .n_prog_coeffs = 3,
        .prog_coeff = {0.26348f, 1.9650f, -1.1731f},
        .prog_noise_scale = 1.0f,
        .read_noise_scale = 1.0f,
        .drift_scale = 1.0f,
        .t_0 = 20.0f,
        .t_read = 250e-9f,
        .drift_nu_mean = 0.1f, /* StateIndependentNoiseModel's, unused by PCM */
        .drift_nu_std = 0.05f,
    };
    if (type == ANAS_NOISE_STATE_INDEPENDENT) {
        out->prog_coeff[0] = 0.2f;
        out->prog_coeff[1] = out->prog_coeff[2] = 0.0f;
    }
}

/* AnalogNAS's create_rpu_config()
 * (analognas/analogainas/search_spaces/train.py) with its defaults g_max 25,
 * tile_size 256, dac_res = adc_res = 256. */
static void analognas(struct anas_analog_config *c)
{
    base(c);
    c->clip = (struct anas_analog_clip){ANAS_CLIP_FIXED_VALUE, 1.0f, 2.5f};
    c->modifier.pdrop = 0.0f;
    c->modifier.std_dev = 5.0f; /* set, but the type stays off: no training noise */
    c->mapping.digital_bias = 1;
    c->mapping.weight_scaling_omega = 1.0f; /* 0.4, then True */
    c->mapping.max_input_size = 256;
    c->mapping.max_output_size = 255;
    /* PresetIOParameters: IOParameters with out_bound 20 and out_noise 0.1 */
    c->forward.out_bound = 20.0f;
    c->forward.out_noise = 0.1f;
    c->forward.inp_res = 1.0f / 256.0f;
    c->forward.out_res = 1.0f / 256.0f;
    c->forward.bound_management = ANAS_BM_NONE;
}

/* AnalogNAS-Bench's gen_rpu_config() (analognasbench/training_script.py). */
static void analognas_bench(struct anas_analog_config *c)
{
    base(c);
    c->modifier.type = ANAS_MOD_ADD_NORMAL;
    c->modifier.std_dev = 0.06f;
    c->mapping.digital_bias = 1;
    c->mapping.weight_scaling_omega = 1.0f;
    c->remap = (struct anas_analog_remap){ANAS_REMAP_LAYERWISE, 1.0f};
    c->clip = (struct anas_analog_clip){ANAS_CLIP_LAYER_GAUSSIAN, -1.0f, 2.0f};
    c->forward.out_noise = 0.04f;
    c->forward.inp_bound = 1.0f;
    c->forward.inp_res = 1.0f / 254.0f;
    c->forward.out_bound = 10.0f;
    c->forward.out_res = 1.0f / 254.0f;
    c->forward.bound_management = ANAS_BM_NONE;
    c->forward.noise_management = ANAS_NM_NONE;
    c->pre_post.input_range.enable = 1;
    c->pre_post.input_range.decay = 0.01f;
    c->pre_post.input_range.init_from_data = 50;
    c->pre_post.input_range.init_std_alpha = 3.0f;
    c->pre_post.input_range.input_min_percentage = 0.995f;
    c->pre_post.input_range.manage_output_clipping = 0;
}

static void ideal(struct anas_analog_config *c)
{
    base(c);
    c->forward.is_perfect = 1;
    c->mapping.max_input_size = 0;
    c->mapping.max_output_size = 0;
    c->noise_model.type = ANAS_NOISE_NONE;
    c->drift_compensation = ANAS_DRIFT_COMP_NONE;
}

static const struct preset {
    const char *name;
    void (*make)(struct anas_analog_config *c);
    const char *doc;
} presets[] = {
    {"aihwkit-default", base,
     "aihwkit's InferenceRPUConfig() defaults: 7-bit DAC, 9-bit ADC (bound 12), output "
     "noise 0.06, iterative bound management, abs-max noise management, 512x512 tiles, "
     "PCM noise (g_max 25 uS), global drift compensation, no training noise"},
    {"analognas", analognas,
     "AnalogNAS's create_rpu_config(): 1/256 DAC and ADC, out_bound 20, output noise 0.1, "
     "no bound management, 256-input x 255-output tiles, weight scaling omega 1, clip at "
     "1.0, PCM g_max 25; its modifier type stays at aihwkit's default, so training "
     "injects no weight noise"},
    {"analognas-bench", analognas_bench,
     "AnalogNAS-Bench's gen_rpu_config(): additive weight noise 0.06 in training, "
     "layer-Gaussian clip at 2 sigma, layerwise remap, 1/254 DAC and ADC, out_bound 10, "
     "output noise 0.04, no noise or bound management, PCM g_max 25, a learned input "
     "range (decay 0.01, initialised from the first 50 batches, min percentage 0.995)"},
    {"ideal", ideal,
     "a perfect tile: exact products, no quantization, no noise, no drift, no tile "
     "size limit"},
};

#define N_PRESETS ((int)(sizeof presets / sizeof presets[0]))

int anas_analog_preset(const char *name, struct anas_analog_config *out)
{
    for (int i = 0; name && i < N_PRESETS; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            presets[i].make(out);
            return 0;
        }
    }
    return ANAS_ENOTFOUND;
}

const char *anas_analog_preset_name(int i)
{
    return i >= 0 && i < N_PRESETS ? presets[i].name : NULL;
}

const char *anas_analog_preset_doc(int i)
{
    return i >= 0 && i < N_PRESETS ? presets[i].doc : NULL;
}

/* --- checks --- */

#define MAX_TILE_SIDE (1 << 20)

static int bad(struct anas_error *err, const char *field, const char *why)
{
    return anas_error_field(err, ANAS_ERANGE, field, "%s %s", field, why);
}

/* A finite float within [lo, hi]. */
static int in(float v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

static int check_forward(const struct anas_analog_io *f, struct anas_error *err)
{
    if (!in(f->inp_bound, -1e6, 1e6))
        return bad(err, "forward.inp_bound", "must be a finite number");
    if (!in(f->inp_res, -1e9, 1e9))
        return bad(err, "forward.inp_res", "must be a finite number");
    if (!in(f->inp_noise, 0, 1e3))
        return bad(err, "forward.inp_noise", "must be in [0, 1000]");
    if (!in(f->out_bound, -1e9, 1e9))
        return bad(err, "forward.out_bound", "must be a finite number");
    if (!in(f->out_res, -1e9, 1e9))
        return bad(err, "forward.out_res", "must be a finite number");
    if (!in(f->out_noise, 0, 1e3))
        return bad(err, "forward.out_noise", "must be in [0, 1000]");
    if (!in(f->out_scale, -1e9, 1e9) || f->out_scale == 0.0f)
        return bad(err, "forward.out_scale", "must be a finite non-zero number");
    if (!in(f->w_noise, 0, 1e3))
        return bad(err, "forward.w_noise", "must be in [0, 1000]");
    if ((unsigned)f->w_noise_type > ANAS_WN_PCM_READ)
        return bad(err, "forward.w_noise_type", "is not a known weight-noise type");
    if ((unsigned)f->bound_management > ANAS_BM_ITERATIVE_WORST_CASE)
        return bad(err, "forward.bound_management", "is not a known type");
    if ((unsigned)f->noise_management > ANAS_NM_AVERAGE_ABS_MAX)
        return bad(err, "forward.noise_management", "is not a known type");
    if (!in(f->nm_thres, 0, 1e9))
        return bad(err, "forward.nm_thres", "must be >= 0");
    if (!in(f->max_bm_factor, 1, 1e9))
        return bad(err, "forward.max_bm_factor", "must be >= 1");
    if (!in(f->max_bm_res, 0, 1e9))
        return bad(err, "forward.max_bm_res", "must be >= 0");
    if (!in(f->nm_assumed_wmax, 0, 1e9) || f->nm_assumed_wmax == 0.0f)
        return bad(err, "forward.nm_assumed_wmax", "must be > 0");
    if (!in(f->nm_decay, 0, 1))
        return bad(err, "forward.nm_decay", "must be in [0, 1]");
    /* aihwkit refuses this (fatal in C++): NM rescales inputs to [-1, 1] */
    if (!f->is_perfect && f->noise_management != ANAS_NM_NONE && f->inp_bound != 1.0f)
        return bad(err, "forward.inp_bound",
                   "must be 1 when noise_management is not NONE");
    return 0;
}

static int check_mapping(const struct anas_analog_mapping *m, struct anas_error *err)
{
    if (m->max_input_size < 0 || m->max_input_size > MAX_TILE_SIDE)
        return bad(err, "mapping.max_input_size", "must be in [0, 1048576] (0: no split)");
    if (m->max_output_size < 0 || m->max_output_size > MAX_TILE_SIDE)
        return bad(err, "mapping.max_output_size", "must be in [0, 1048576] (0: no split)");
    if (!in(m->weight_scaling_omega, 0, 1e6))
        return bad(err, "mapping.weight_scaling_omega", "must be >= 0 (0: off)");
    return 0;
}

static int check_periph(const struct anas_analog_config *c, struct anas_error *err)
{
    const struct anas_analog_inrange *r = &c->pre_post.input_range;

    if (!in(r->init_value, 0, 1e6) || r->init_value == 0.0f)
        return bad(err, "pre_post.input_range.init_value", "must be > 0");
    if (r->init_from_data < 0)
        return bad(err, "pre_post.input_range.init_from_data", "must be >= 0 (batches)");
    if (!in(r->init_std_alpha, 0, 1e6) || r->init_std_alpha == 0.0f)
        return bad(err, "pre_post.input_range.init_std_alpha", "must be > 0");
    if (!in(r->decay, 0, 1e3))
        return bad(err, "pre_post.input_range.decay", "must be >= 0");
    if (!in(r->input_min_percentage, 0, 1))
        return bad(err, "pre_post.input_range.input_min_percentage", "must be in [0, 1]");
    if (!in(r->output_min_percentage, 0, 1))
        return bad(err, "pre_post.input_range.output_min_percentage", "must be in [0, 1]");
    if (!in(r->gradient_scale, 0, 1e6))
        return bad(err, "pre_post.input_range.gradient_scale", "must be >= 0");
    /* anasd applies alpha and r around the layer and adds the bias after
     * them: an analog bias would pass through both */
    if (!c->mapping.digital_bias && (c->mapping.learn_out_scaling || r->enable))
        return bad(err, "mapping.digital_bias",
                   "must be true with learn_out_scaling or pre_post.input_range.enable");
    return 0;
}

static int check_training(const struct anas_analog_config *c, struct anas_error *err)
{
    const struct anas_analog_modifier *m = &c->modifier;

    if ((unsigned)c->clip.type > ANAS_CLIP_AVERAGE_CHANNEL_MAX)
        return bad(err, "clip.type", "is not a known clip type");
    if (!in(c->clip.fixed_value, -1e9, 1e9))
        return bad(err, "clip.fixed_value", "must be a finite number");
    if (c->clip.type == ANAS_CLIP_FIXED_VALUE && c->clip.fixed_value <= 0.0f)
        return bad(err, "clip.fixed_value", "must be > 0 for FIXED_VALUE");
    if (!in(c->clip.sigma, 0, 1e6) || c->clip.sigma == 0.0f)
        return bad(err, "clip.sigma", "must be > 0");
    if ((unsigned)c->remap.type > ANAS_REMAP_CHANNELWISE)
        return bad(err, "remap.type", "is not a known remap type");
    if (!in(c->remap.remapped_wmax, 0, 1e6) || c->remap.remapped_wmax == 0.0f)
        return bad(err, "remap.remapped_wmax", "must be > 0");
    if ((unsigned)m->type > ANAS_MOD_DROP_CONNECT)
        return bad(err, "modifier.type", "is not a known modifier type");
    if (!in(m->std_dev, 0, 1e6))
        return bad(err, "modifier.std_dev", "must be >= 0");
    if (!in(m->res, 0, 1e9))
        return bad(err, "modifier.res", "must be >= 0");
    if (!in(m->pdrop, 0, 1) || m->pdrop >= 1.0f)
        return bad(err, "modifier.pdrop", "must be in [0, 1)");
    if (!in(m->dorefa_clip, 0, 1e6) || m->dorefa_clip == 0.0f)
        return bad(err, "modifier.dorefa_clip", "must be > 0");
    if (!in(m->assumed_wmax, 0, 1e6) || m->assumed_wmax == 0.0f)
        return bad(err, "modifier.assumed_wmax", "must be > 0");
    if (!in(m->g_max, 0, 1e6) || m->g_max == 0.0f)
        return bad(err, "modifier.g_max", "must be > 0");
    if (m->n_coeffs < 1 || m->n_coeffs > ANAS_ANALOG_MAX_COEFFS)
        return bad(err, "modifier.coeffs", "must hold 1 to 6 coefficients");
    for (int i = 0; i < m->n_coeffs; i++)
        if (!in(m->coeffs[i], -1e6, 1e6))
            return bad(err, "modifier.coeffs", "must be finite numbers");
    return 0;
}

static int check_noise(const struct anas_analog_noise *n, struct anas_error *err)
{
    if ((unsigned)n->type > ANAS_NOISE_RERAM)
        return bad(err, "noise_model.type", "is not a known noise model");
    if (!in(n->g_max, 0, 1e6) || n->g_max == 0.0f)
        return bad(err, "noise_model.g_max", "must be > 0 (microsiemens)");
    if (!in(n->g_min, 0, 1e6) || n->g_min >= n->g_max)
        return bad(err, "noise_model.g_min", "must be >= 0 and below g_max");
    if (n->n_prog_coeffs < 1 || n->n_prog_coeffs > ANAS_ANALOG_MAX_PROG_COEFFS)
        return bad(err, "noise_model.prog_coeff", "must hold 1 to 5 coefficients");
    for (int i = 0; i < n->n_prog_coeffs; i++)
        if (!in(n->prog_coeff[i], -1e6, 1e6))
            return bad(err, "noise_model.prog_coeff", "must be finite numbers");
    if (!in(n->prog_noise_scale, 0, 1e3))
        return bad(err, "noise_model.prog_noise_scale", "must be in [0, 1000]");
    if (!in(n->read_noise_scale, 0, 1e3))
        return bad(err, "noise_model.read_noise_scale", "must be in [0, 1000]");
    if (!in(n->drift_scale, 0, 1e3))
        return bad(err, "noise_model.drift_scale", "must be in [0, 1000]");
    if (!in(n->t_0, 0, 1e9) || n->t_0 == 0.0f)
        return bad(err, "noise_model.t_0", "must be > 0 (seconds)");
    if (!in(n->t_read, 0, 1e3) || n->t_read == 0.0f)
        return bad(err, "noise_model.t_read", "must be > 0 (seconds)");
    if (!in(n->drift_nu_mean, 0, 10))
        return bad(err, "noise_model.drift_nu_mean", "must be in [0, 10]");
    if (!in(n->drift_nu_std, 0, 10))
        return bad(err, "noise_model.drift_nu_std", "must be in [0, 10]");
    return 0;
}

int anas_analog_config_check(const struct anas_analog_config *cfg, struct anas_error *err)
{
    int rc;

    if (!cfg)
        return anas_error_set(err, ANAS_EINVAL, "no hardware configuration");
    rc = check_forward(&cfg->forward, err);
    if (rc == 0)
        rc = check_mapping(&cfg->mapping, err);
    if (rc == 0)
        rc = check_periph(cfg, err);
    if (rc == 0)
        rc = check_training(cfg, err);
    if (rc == 0)
        rc = check_noise(&cfg->noise_model, err);
    if (rc == 0 && (unsigned)cfg->drift_compensation > ANAS_DRIFT_COMP_GLOBAL)
        rc = bad(err, "drift_compensation", "is not a known compensation");
    return rc;
}
