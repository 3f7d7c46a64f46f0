/*
 * analog-config.c - the hardware presets (aihwkit's defaults and the two
 * AnalogNAS configurations) and anas_analog_config_check: every preset
 * passes, spot values per preset, and each bad field is named by its
 * dotted path.
 */
#include "config.h"

#include "analog/analog.h"

#include <stddef.h>

#include "tap.h"

/* aihwkit's resolution rule (checkRes in rpu_pulsed_meta_parameter.cpp),
 * written out here so the test checks the preset fields rather than io.c. */
static double step(double res, double bound)
{
    double r = res > 0.0 ? res : 0.0;

    return (r > 1.0 ? 1.0 / r : r) * 2.0 * bound;
}

static void load(const char *name, struct anas_analog_config *c)
{
    if (anas_analog_preset(name, c) != 0)
        printf("# preset %s did not load\n", name);
}

static void every_preset(void)
{
    struct anas_analog_config c;
    struct anas_error err;
    int i;

    for (i = 0; anas_analog_preset_name(i); i++) {
        const char *name = anas_analog_preset_name(i);

        is_int(anas_analog_preset(name, &c), 0, "preset %s loads", name);
        is_int(anas_analog_config_check(&c, &err), 0, "preset %s passes the checks", name);
        ok(anas_analog_preset_doc(i) && *anas_analog_preset_doc(i), "preset %s has a doc", name);
    }
    is_int(i, 4, "four presets");
    ok(!anas_analog_preset_doc(i) && !anas_analog_preset_name(-1), "no name or doc past the ends");
    is_int(anas_analog_preset("aihwkit", &c), ANAS_ENOTFOUND, "an unknown preset is not found");
    is_int(anas_analog_preset(NULL, &c), ANAS_ENOTFOUND, "a NULL name is not found");
    is_int(anas_analog_config_check(NULL, &err), ANAS_EINVAL, "no configuration: EINVAL");
}

static void aihwkit_default(void)
{
    struct anas_analog_config c;
    const struct anas_analog_io *f = &c.forward;

    load("aihwkit-default", &c);
    is_near(step(f->inp_res, f->inp_bound), 1.0 / 63.0, 1e-7, "default: DAC step 1/63");
    is_near(step(f->out_res, f->out_bound), 24.0 / 510.0, 1e-7, "default: ADC step 24/510");
    is_near(255 * step(f->out_res, f->out_bound), 12.0, 1e-5, "default: 255 ADC steps = 12");
    ok(f->out_noise == 0.06f && f->inp_noise == 0.0f && f->w_noise == 0.0f && !f->is_perfect,
       "default: out_noise 0.06, no input or weight noise");
    ok(f->bound_management == ANAS_BM_ITERATIVE && f->noise_management == ANAS_NM_ABS_MAX &&
           f->max_bm_factor == 1000.0f && f->max_bm_res == 0.25f && f->bm_test_negative_bound,
       "default: iterative BM (factor 1000, res 0.25), abs-max NM");
    ok(c.mapping.max_input_size == 512 && c.mapping.max_output_size == 512 &&
           c.mapping.digital_bias && c.mapping.weight_scaling_omega == 0.0f,
       "default: 512x512 tiles, digital bias, no weight scaling");
    ok(c.clip.type == ANAS_CLIP_NONE && c.clip.fixed_value == -1.0f && c.clip.sigma == 2.5f &&
           c.remap.type == ANAS_REMAP_NONE && c.remap.remapped_wmax == 1.0f,
       "default: no clip (-1, sigma 2.5), no remap");
    ok(c.modifier.type == ANAS_MOD_NONE && c.modifier.dorefa_clip == 0.6f &&
           c.modifier.g_max == 25.0f && c.modifier.rel_to_actual_wmax &&
           c.modifier.n_coeffs == 3 && c.modifier.coeffs[2] == -0.046925f,
       "default: modifier NONE with aihwkit's coefficients");
    ok(c.noise_model.type == ANAS_NOISE_PCM && c.noise_model.g_max == 25.0f &&
           c.noise_model.g_min == 0.0f && c.noise_model.prog_coeff[0] == 0.26348f &&
           c.noise_model.prog_coeff[1] == 1.9650f && c.noise_model.prog_coeff[2] == -1.1731f,
       "default: PCM, g_max 25, prog_coeff [0.26348, 1.9650, -1.1731]");
    ok(c.noise_model.t_0 == 20.0f && c.noise_model.t_read == 250e-9f &&
           c.noise_model.prog_noise_scale == 1.0f && c.noise_model.read_noise_scale == 1.0f &&
           c.noise_model.drift_scale == 1.0f,
       "default: t_0 20 s, t_read 250 ns, unit scales");
    is_int(c.drift_compensation, ANAS_DRIFT_COMP_GLOBAL, "default: global drift compensation");
}

static void analognas(void)
{
    struct anas_analog_config c;
    const struct anas_analog_io *f = &c.forward;

    load("analognas", &c);
    is_int(c.mapping.max_output_size, 255, "analognas: max_output_size 255");
    is_int(c.mapping.max_input_size, 256, "analognas: max_input_size 256 (tile_size)");
    ok(c.mapping.weight_scaling_omega == 1.0f && c.mapping.digital_bias,
       "analognas: omega 1 (0.4 then True), digital bias");
    is_near(step(f->inp_res, f->inp_bound), 2.0 / 256.0, 1e-9, "analognas: DAC 1/256 of 2");
    is_near(step(f->out_res, f->out_bound), 40.0 / 256.0, 1e-7, "analognas: ADC 1/256 of 40");
    ok(f->out_bound == 20.0f && f->out_noise == 0.1f, "analognas: PresetIO out_bound 20, noise 0.1");
    ok(f->bound_management == ANAS_BM_NONE && f->noise_management == ANAS_NM_ABS_MAX,
       "analognas: BM NONE, NM stays ABS_MAX");
    ok(c.clip.type == ANAS_CLIP_FIXED_VALUE && c.clip.fixed_value == 1.0f,
       "analognas: clip at 1.0");
    ok(c.modifier.type == ANAS_MOD_NONE && c.modifier.std_dev == 5.0f && c.modifier.pdrop == 0.0f,
       "analognas: std_dev 5 set but the modifier stays off");
    ok(c.noise_model.type == ANAS_NOISE_PCM && c.noise_model.g_max == 25.0f &&
           c.drift_compensation == ANAS_DRIFT_COMP_GLOBAL,
       "analognas: PCM g_max 25, global compensation");
}

static void analognas_bench(void)
{
    struct anas_analog_config c;
    const struct anas_analog_io *f = &c.forward;

    load("analognas-bench", &c);
    ok(c.modifier.type == ANAS_MOD_ADD_NORMAL && c.modifier.std_dev == 0.06f &&
           c.modifier.rel_to_actual_wmax,
       "bench: ADD_NORMAL 0.06 relative to max|W|");
    ok(c.clip.type == ANAS_CLIP_LAYER_GAUSSIAN && c.clip.sigma == 2.0f &&
           c.clip.fixed_value == -1.0f,
       "bench: layer-Gaussian clip at 2 sigma, no cap");
    ok(c.remap.type == ANAS_REMAP_LAYERWISE && c.remap.remapped_wmax == 1.0f,
       "bench: layerwise remap to 1");
    ok(c.mapping.weight_scaling_omega == 1.0f && !c.mapping.weight_scaling_columnwise &&
           c.mapping.max_input_size == 512 && c.mapping.max_output_size == 512,
       "bench: omega 1 layerwise, 512x512 tiles");
    is_near(step(f->inp_res, f->inp_bound), 2.0 / 254.0, 1e-9, "bench: DAC 1/254 of 2");
    is_near(step(f->out_res, f->out_bound), 20.0 / 254.0, 1e-7, "bench: ADC 1/254 of 20");
    ok(f->out_noise == 0.04f && f->out_bound == 10.0f && f->inp_bound == 1.0f &&
           f->bound_management == ANAS_BM_NONE && f->noise_management == ANAS_NM_NONE,
       "bench: out_noise 0.04, out_bound 10, no BM or NM");
}

static void ideal(void)
{
    struct anas_analog_config c;

    load("ideal", &c);
    ok(c.forward.is_perfect && c.noise_model.type == ANAS_NOISE_NONE &&
           c.drift_compensation == ANAS_DRIFT_COMP_NONE && c.modifier.type == ANAS_MOD_NONE,
       "ideal: perfect IO, exact noise model, no compensation, no modifier");
    ok(c.mapping.max_input_size == 0 && c.mapping.max_output_size == 0,
       "ideal: no tile size limit");
}

/* --- bad fields --- */

enum kind { F, I };

#define AT(member) offsetof(struct anas_analog_config, member)

static const struct bad {
    const char *preset, *field; /* the field err->field must name */
    size_t off;
    enum kind kind;
    double v;
} bads[] = {
    {"aihwkit-default", "forward.inp_bound", AT(forward.inp_bound), F, NAN},
    {"aihwkit-default", "forward.inp_res", AT(forward.inp_res), F, INFINITY},
    {"aihwkit-default", "forward.inp_noise", AT(forward.inp_noise), F, -0.1},
    {"aihwkit-default", "forward.out_bound", AT(forward.out_bound), F, NAN},
    {"aihwkit-default", "forward.out_res", AT(forward.out_res), F, -INFINITY},
    {"aihwkit-default", "forward.out_noise", AT(forward.out_noise), F, -0.01},
    {"aihwkit-default", "forward.out_scale", AT(forward.out_scale), F, 0.0},
    {"aihwkit-default", "forward.w_noise", AT(forward.w_noise), F, -1.0},
    {"aihwkit-default", "forward.w_noise_type", AT(forward.w_noise_type), I, 3},
    {"aihwkit-default", "forward.bound_management", AT(forward.bound_management), I, -1},
    {"aihwkit-default", "forward.noise_management", AT(forward.noise_management), I, 6},
    {"aihwkit-default", "forward.nm_thres", AT(forward.nm_thres), F, -1.0},
    {"aihwkit-default", "forward.max_bm_factor", AT(forward.max_bm_factor), F, 0.5},
    {"aihwkit-default", "forward.max_bm_res", AT(forward.max_bm_res), F, -0.25},
    {"aihwkit-default", "forward.nm_assumed_wmax", AT(forward.nm_assumed_wmax), F, 0.0},
    {"aihwkit-default", "forward.nm_decay", AT(forward.nm_decay), F, 1.5},
    {"aihwkit-default", "mapping.max_input_size", AT(mapping.max_input_size), I, -1},
    {"aihwkit-default", "mapping.max_output_size", AT(mapping.max_output_size), I, 1 << 21},
    {"aihwkit-default", "mapping.weight_scaling_omega", AT(mapping.weight_scaling_omega), F,
     -1.0},
    {"aihwkit-default", "clip.type", AT(clip.type), I, 4},
    {"aihwkit-default", "clip.fixed_value", AT(clip.fixed_value), F, NAN},
    {"analognas", "clip.fixed_value", AT(clip.fixed_value), F, 0.0},
    {"aihwkit-default", "clip.sigma", AT(clip.sigma), F, 0.0},
    {"aihwkit-default", "remap.type", AT(remap.type), I, 3},
    {"aihwkit-default", "remap.remapped_wmax", AT(remap.remapped_wmax), F, 0.0},
    {"aihwkit-default", "modifier.type", AT(modifier.type), I, 9},
    {"aihwkit-default", "modifier.std_dev", AT(modifier.std_dev), F, -0.1},
    {"aihwkit-default", "modifier.res", AT(modifier.res), F, -1.0},
    {"aihwkit-default", "modifier.pdrop", AT(modifier.pdrop), F, 1.0},
    {"aihwkit-default", "modifier.pdrop", AT(modifier.pdrop), F, -0.1},
    {"aihwkit-default", "modifier.dorefa_clip", AT(modifier.dorefa_clip), F, 0.0},
    {"aihwkit-default", "modifier.assumed_wmax", AT(modifier.assumed_wmax), F, -1.0},
    {"aihwkit-default", "modifier.g_max", AT(modifier.g_max), F, 0.0},
    {"aihwkit-default", "modifier.coeffs", AT(modifier.n_coeffs), I, 0},
    {"aihwkit-default", "modifier.coeffs", AT(modifier.n_coeffs), I, 7},
    {"aihwkit-default", "modifier.coeffs", AT(modifier.coeffs[1]), F, NAN},
    {"aihwkit-default", "noise_model.type", AT(noise_model.type), I, 4},
    {"aihwkit-default", "noise_model.g_max", AT(noise_model.g_max), F, 0.0},
    {"aihwkit-default", "noise_model.g_min", AT(noise_model.g_min), F, 25.0},
    {"aihwkit-default", "noise_model.g_min", AT(noise_model.g_min), F, -0.5},
    {"aihwkit-default", "noise_model.prog_coeff", AT(noise_model.n_prog_coeffs), I, 6},
    {"aihwkit-default", "noise_model.prog_coeff", AT(noise_model.prog_coeff[0]), F, INFINITY},
    {"aihwkit-default", "noise_model.prog_noise_scale", AT(noise_model.prog_noise_scale), F,
     -1.0},
    {"aihwkit-default", "noise_model.read_noise_scale", AT(noise_model.read_noise_scale), F,
     NAN},
    {"aihwkit-default", "noise_model.drift_scale", AT(noise_model.drift_scale), F, -0.5},
    {"aihwkit-default", "noise_model.t_0", AT(noise_model.t_0), F, 0.0},
    {"aihwkit-default", "noise_model.t_read", AT(noise_model.t_read), F, -250e-9},
    {"aihwkit-default", "noise_model.drift_nu_mean", AT(noise_model.drift_nu_mean), F, -0.1},
    {"aihwkit-default", "noise_model.drift_nu_std", AT(noise_model.drift_nu_std), F, 11.0},
    {"aihwkit-default", "drift_compensation", AT(drift_compensation), I, 2},
};

static void poke(struct anas_analog_config *c, const struct bad *b)
{
    char *p = (char *)c + b->off;

    if (b->kind == F) {
        float v = (float)b->v;
        memcpy(p, &v, sizeof v);
    } else {
        int v = (int)b->v;
        memcpy(p, &v, sizeof v);
    }
}

static void bad_fields(void)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        const struct bad *b = &bads[i];
        struct anas_analog_config c;
        struct anas_error err;
        int rc;

        load(b->preset, &c);
        poke(&c, b);
        memset(&err, 0, sizeof err);
        rc = anas_analog_config_check(&c, &err);
        if (!ok(rc == ANAS_ERANGE && strcmp(err.field, b->field) == 0 && err.msg[0],
                "%s = %g is refused, naming %s", b->field, b->v, b->field))
            printf("#   rc %d, field \"%s\", msg \"%s\"\n", rc, err.field, err.msg);
    }
}

static void bound_and_nm(void)
{
    struct anas_analog_config c;
    struct anas_error err;

    load("aihwkit-default", &c);
    c.forward.inp_bound = 2.0f;
    memset(&err, 0, sizeof err);
    is_int(anas_analog_config_check(&c, &err), ANAS_ERANGE,
           "inp_bound 2 with abs-max noise management is refused");
    is_str(err.field, "forward.inp_bound", "... naming forward.inp_bound");
    c.forward.noise_management = ANAS_NM_NONE;
    is_int(anas_analog_config_check(&c, &err), 0, "inp_bound 2 without noise management passes");
    c.forward.noise_management = ANAS_NM_MAX;
    c.forward.is_perfect = 1;
    is_int(anas_analog_config_check(&c, &err), 0, "... and with a perfect forward");
    load("analognas-bench", &c);
    c.forward.inp_bound = 0.0f;
    c.forward.out_bound = -1.0f;
    is_int(anas_analog_config_check(&c, &err), 0, "bounds <= 0 (unbounded) pass without NM");
    load("aihwkit-default", &c);
    c.modifier.pdrop = 0.99f;
    c.noise_model.g_min = 24.9f;
    c.noise_model.type = ANAS_NOISE_RERAM;
    is_int(anas_analog_config_check(&c, &err), 0, "edge values inside the ranges pass");
}

int main(void)
{
    plan_later();
    every_preset();
    aihwkit_default();
    analognas();
    analognas_bench();
    ideal();
    bad_fields();
    bound_and_nm();
    return done();
}
