/*
 * analog.h - analog in-memory-computing tiles as aihwkit simulates them:
 * the hardware configuration (aihwkit's names and defaults), the
 * IO-managed noisy forward of a tile, layers split over tiles, PCM/ReRAM
 * programming noise, drift and read noise, drift compensation, and the
 * weight modifier and clipping of hardware-aware (HWA) training.
 *
 *     struct anas_analog_config hw;
 *     anas_analog_preset("analognas", &hw);        // or aihwkit-default, ...
 *     hw.forward.out_noise = 0.04f;                 // overrides
 *     if (anas_analog_config_check(&hw, &err)) ...  // err.field "forward.out_noise"
 *
 *     // a trained (or to-be-trained) net, its conv2d and linear layers on tiles
 *     struct anas_anet *an = anas_anet_new(net, &hw, seed, &err);
 *     anas_anet_set_mode(an, ANAS_ANET_HWA);        // noisy forward, modifier
 *     ... train; after every optimizer step: anas_anet_post_step(an);
 *     anas_anet_program(an);                        // once
 *     for each t: anas_anet_drift(an, t); evaluate the net (forward is analog)
 *     anas_anet_free(an);                           // the net is digital again
 *
 * Units as aihwkit's: weights in "normalised conductance" units, conductances
 * in microsiemens, times in seconds after programming. Matrices are
 * row-major: a tile's weights W (d, n), d outputs (rows), n inputs (columns),
 * as a PyTorch Linear weight (out, in) or a Conv2d weight (OC, C*K*K).
 *
 * Everything random takes an explicit struct anas_rng, so a seed reproduces
 * a result. Objects are used by one thread at a time.
 */
#ifndef ANAS_ANALOG_H
#define ANAS_ANALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rng.h"
#include "nn/net.h"

/* --- the hardware configuration (aihwkit's InferenceRPUConfig) --- */

enum anas_bm { ANAS_BM_NONE, ANAS_BM_ITERATIVE, ANAS_BM_ITERATIVE_WORST_CASE };
enum anas_nm {
    ANAS_NM_NONE,
    ANAS_NM_ABS_MAX,
    ANAS_NM_ABS_MAX_NP_SUM,
    ANAS_NM_MAX,
    ANAS_NM_CONSTANT,
    ANAS_NM_AVERAGE_ABS_MAX,
};
enum anas_w_noise { ANAS_WN_NONE, ANAS_WN_ADDITIVE_CONSTANT, ANAS_WN_PCM_READ };

/* IOParameters (forward). Resolutions: a value in (0,1] is a fraction of
 * the full range 2*bound, a value > 1 a number of steps (1/res), <= 0 no
 * quantization; bounds <= 0 mean unbounded. */
struct anas_analog_io {
    int is_perfect;
    float inp_bound, inp_res, inp_noise;
    int inp_sto_round;
    float out_bound, out_res, out_noise;
    int out_sto_round;
    float out_scale;
    float w_noise;
    enum anas_w_noise w_noise_type;
    enum anas_bm bound_management;
    enum anas_nm noise_management;
    float nm_thres;
    float max_bm_factor, max_bm_res;
    int bm_test_negative_bound;
    float nm_assumed_wmax, nm_decay;
};

/* MappingParameter. weight_scaling_omega > 0: tile weights are W / a with
 * a = max|W| / omega (per tile, or per output row when columnwise), a
 * multiplied back digitally at the output. */
struct anas_analog_mapping {
    int max_input_size, max_output_size; /* 0: no split in that dimension */
    int digital_bias;                    /* else the bias is an input column of 1s */
    float weight_scaling_omega;
    int weight_scaling_columnwise;
    /* a digital per-output (columnwise) or per-layer factor alpha on the
     * output, learned by SGD with the rest; starts at 1 (the mapping
     * scales keep weight_scaling_omega's factor, as aihwkit's set_scales) */
    int learn_out_scaling, out_scaling_columnwise;
};

/* InputRangeParameter (pre_post.input_range): inputs are clipped to +-r
 * and divided by r before the DAC, the output multiplied by r; r starts
 * at init_value, follows init_std_alpha * std(x) over the first
 * init_from_data training batches, then (learn_input_range) learns by
 * SGD with aihwkit's one-sided gradient, decay pulling it down while
 * more than input_min_percentage of the inputs are inside it. */
struct anas_analog_inrange {
    int enable, learn_input_range;
    float init_value;
    int init_from_data;
    float init_std_alpha, decay, input_min_percentage;
    int manage_output_clipping;
    float output_min_percentage, gradient_scale;
    int gradient_relative;
};

enum anas_clip_kind {
    ANAS_CLIP_NONE,
    ANAS_CLIP_FIXED_VALUE,
    ANAS_CLIP_LAYER_GAUSSIAN,
    ANAS_CLIP_AVERAGE_CHANNEL_MAX,
};
struct anas_analog_clip {
    enum anas_clip_kind type;
    float fixed_value, sigma;
};

enum anas_remap_kind { ANAS_REMAP_NONE, ANAS_REMAP_LAYERWISE, ANAS_REMAP_CHANNELWISE };
struct anas_analog_remap {
    enum anas_remap_kind type;
    float remapped_wmax;
};

enum anas_modifier_kind {
    ANAS_MOD_NONE,
    ANAS_MOD_DISCRETIZE,
    ANAS_MOD_MULT_NORMAL,
    ANAS_MOD_ADD_NORMAL,
    ANAS_MOD_DISCRETIZE_ADD_NORMAL,
    ANAS_MOD_POLY,
    ANAS_MOD_PROG_NOISE,
    ANAS_MOD_DOREFA,
    ANAS_MOD_DROP_CONNECT,
};
#define ANAS_ANALOG_MAX_COEFFS 6
/* WeightModifierParameter (table 1.3). */
struct anas_analog_modifier {
    enum anas_modifier_kind type;
    float std_dev, res, pdrop, dorefa_clip, assumed_wmax, g_max;
    int sto_round, rel_to_actual_wmax, enable_during_test;
    int n_coeffs;
    float coeffs[ANAS_ANALOG_MAX_COEFFS]; /* POLY, PROG_NOISE: lowest order first */
};

enum anas_noise_kind {
    ANAS_NOISE_NONE,              /* programming, drift and read are exact */
    ANAS_NOISE_PCM,               /* PCMLikeNoiseModel (noise/pcm.py) */
    ANAS_NOISE_STATE_INDEPENDENT, /* StateIndependentNoiseModel (noise/custom.py) */
    ANAS_NOISE_RERAM,             /* ReRamWan2022NoiseModel (noise/reram.py) */
};
#define ANAS_ANALOG_MAX_PROG_COEFFS 5
/* The noise model and its conductance converter (SinglePair, g_min..g_max). */
struct anas_analog_noise {
    enum anas_noise_kind type;
    float g_max, g_min;
    int n_prog_coeffs;
    float prog_coeff[ANAS_ANALOG_MAX_PROG_COEFFS]; /* PCM, STATE_INDEPENDENT */
    float prog_noise_scale, read_noise_scale, drift_scale;
    float t_0, t_read;
    float drift_nu_mean, drift_nu_std; /* STATE_INDEPENDENT */
};

enum anas_drift_comp { ANAS_DRIFT_COMP_NONE, ANAS_DRIFT_COMP_GLOBAL };

struct anas_analog_config {
    struct anas_analog_io forward;
    struct anas_analog_mapping mapping;
    struct {
        struct anas_analog_inrange input_range;
    } pre_post;
    struct anas_analog_clip clip;
    struct anas_analog_remap remap;
    struct anas_analog_modifier modifier;
    struct anas_analog_noise noise_model;
    enum anas_drift_comp drift_compensation;
};

/* Presets by name: "aihwkit-default" (InferenceRPUConfig()), "analognas"
 * (AnalogNAS's create_rpu_config()), "analognas-bench" (AnalogNAS-Bench's
 * gen_rpu_config()), "ideal" (perfect IO, no noise, no drift). 0, or
 * ANAS_ENOTFOUND for another name. */
int anas_analog_preset(const char *name, struct anas_analog_config *out);
/* The i-th preset's name (0-based), NULL past the last. */
const char *anas_analog_preset_name(int i);
/* One line describing the i-th preset, NULL past the last. */
const char *anas_analog_preset_doc(int i);

/* A noise model's own defaults, as aihwkit's constructors set them (PCM:
 * prog_coeff [0.26348, 1.9650, -1.1731]; STATE_INDEPENDENT: [0.2, 0, 0],
 * nu 0.1 +- 0.05; all: g_max 25, g_min 0, t_0 20 s, t_read 250 ns, scales
 * 1): what a configuration that switches models starts from. */
void anas_analog_noise_defaults(enum anas_noise_kind type, struct anas_analog_noise *out);

/* Check ranges and combinations (aihwkit's fatal cases, e.g. inp_bound != 1
 * with noise management); err->field is the dotted path of the offending
 * field ("forward.inp_res", "noise_model.g_max"). */
int anas_analog_config_check(const struct anas_analog_config *cfg, struct anas_error *err);

/* Quantization step for a resolution and bound: aihwkit's rule (checkRes
 * in src/rpucuda/rpu_pulsed_meta_parameter.cpp: r = max(res, 0); r > 1
 * means 1/r; step = r * 2 * bound); 0 = none. */
float anas_analog_step(float res, float bound);

/* --- noise models on conductances (aihwkit's src/aihwkit/inference/) --- */

/* SinglePairConductanceConverter: scale s = (g_max - g_min) / max(max|W|,
 * 1e-7) over the n weights; gp = clip(W s, 0, g_max - g_min) + g_min, gm
 * likewise from -W. Returns s. */
float anas_analog_to_conductance(const struct anas_analog_noise *m, const float *W, size_t n,
                                 float *gp, float *gm);
/* W = (gp - gm) / s. */
void anas_analog_from_conductance(float s, const float *gp, const float *gm, size_t n,
                                  float *W);

/* Programming: g_prog from the targets g_t, and each device's drift
 * parameter (nu; ReRAM keeps g_t) drawn from the target. In place is
 * allowed (g_prog == g_t is not: the drift parameter needs g_t). */
void anas_analog_noise_program(const struct anas_analog_noise *m, float *g_prog,
                               float *drift_param, const float *g_t, size_t n,
                               struct anas_rng *rng);
/* Drift and read noise t seconds after programming (t_inference; the
 * model adds its t_0): g from g_prog and the drift parameters. ReRAM
 * accepts only t in {1, 86400, 172800} (ANAS_EINVAL otherwise). */
int anas_analog_noise_drift(const struct anas_analog_noise *m, float *g, const float *g_prog,
                            const float *drift_param, size_t n, double t,
                            struct anas_rng *rng);

/* --- HWA training: clipping and the weight modifier on one tile's n
 * weights (aihwkit applies both per tile, once per mini-batch) --- */

/* W is one tile's (rows, cols) weights: AVERAGE_CHANNEL_MAX averages the
 * rows' abs-max. */
void anas_analog_clip_apply(const struct anas_analog_clip *c, float *W, size_t rows,
                            size_t cols);
/* out = modify(W) (out may equal W); amax over these n weights. */
void anas_analog_modify(const struct anas_analog_modifier *m, float *out, const float *W,
                        size_t n, struct anas_rng *rng);

/* --- a layer on tiles --- */

/* A weight matrix (d, n) mapped onto a grid of tiles of at most
 * max_output_size x max_input_size, split as evenly as aihwkit's
 * TileModuleArray, each tile with its own IO noise, mapping scale, programmed
 * weights, drift parameters and drift-compensation alpha. Outputs of the
 * input blocks are summed digitally. */
struct anas_alayer;

struct anas_alayer *anas_alayer_new(int d, int n, const struct anas_analog_config *cfg,
                                    struct anas_error *err);
void anas_alayer_free(struct anas_alayer *L);

int anas_alayer_n_tiles(const struct anas_alayer *L);

/* Load digital weights W (d, n) and bias (d, may be NULL): compute the
 * mapping scales (weight_scaling_omega) and the tile weights; forget any
 * programming. */
int anas_alayer_set_weights(struct anas_alayer *L, const float *W, const float *bias);

/* The HWA post-update step on the clean weights W (d, n), in place: per
 * tile, clip and remap (in tile units), then the modifier gives the
 * forward weights the next training forwards use; fb (d, n, may be NULL)
 * receives them in digital units (for the backward pass). */
int anas_alayer_post_step(struct anas_alayer *L, float *W, float *fb, struct anas_rng *rng);

/* Which weights forward uses. */
enum anas_alayer_weights {
    ANAS_ALAYER_CLEAN,    /* the weights set last */
    ANAS_ALAYER_MODIFIED, /* the modifier's (training); CLEAN before any post_step */
    ANAS_ALAYER_DRIFTED,  /* programmed then drifted (after program/drift) */
};

/* Y = the analog MVM of M input vectors. cols = 0: X is (M, n) row-major,
 * one vector per row, Y (M, d); cols = 1: X is (n, M), vectors are its
 * columns, Y (d, M) (im2col's layout). ldx, ldy: row strides. Per vector:
 * noise management, DAC, the MVM on the tile weights, w_noise, output
 * noise, ADC, bound management; then times out_scale, the mapping
 * scale and, for DRIFTED weights, the drift-compensation alpha; then the
 * bias (digital, or through the tile). */
int anas_alayer_forward(struct anas_alayer *L, enum anas_alayer_weights which,
                        const float *X, int M, int cols, int ldx, float *Y, int ldy,
                        struct anas_rng *rng);

/* Programming (aihwkit's program_weights): draw programming noise and
 * drift parameters once from the current tile weights; take the
 * drift-compensation baseline. */
int anas_alayer_program(struct anas_alayer *L, struct anas_rng *rng);
/* Drift to t seconds after programming with fresh read noise, and set
 * alpha = baseline / readout (global compensation). Programs first if
 * needed. */
int anas_alayer_drift(struct anas_alayer *L, double t, struct anas_rng *rng);
/* The drift-compensation alpha of tile i (1 without compensation). */
float anas_alayer_alpha(const struct anas_alayer *L, int i);
/* The effective weights (d, n) in digital units: CLEAN, MODIFIED or
 * DRIFTED as forward would use them (bias excluded). */
int anas_alayer_get_weights(const struct anas_alayer *L, enum anas_alayer_weights which,
                            float *W);

/* --- a whole network on tiles --- */

/* Every conv2d and linear node of a net becomes an analog layer (the rest
 * stays digital, as aihwkit's convert_to_analog does). */
struct anas_anet;

enum anas_anet_mode {
    ANAS_ANET_DIGITAL, /* the net's own digital forward */
    ANAS_ANET_HWA,     /* training: noisy forward with modified weights,
                        * perfect backward through them, clean update */
    ANAS_ANET_ANALOG,  /* inference: noisy forward on clean weights, or on
                        * drifted ones once programmed */
    ANAS_ANET_PULSED,  /* analog training on pulsed tiles (lib/analog/pulsed.h,
                        * after anas_anet_set_training): forward and backward
                        * through the tiles, and post_step is the tiles' own
                        * update; the net's weights follow the tiles' */
};

/* The net must outlive the anet; its weights are read when the mode
 * changes and at every post_step. Starts in DIGITAL mode. */
struct anas_anet *anas_anet_new(struct anas_net *net, const struct anas_analog_config *cfg,
                                uint64_t seed, struct anas_error *err);
void anas_anet_free(struct anas_anet *an);
int anas_anet_set_mode(struct anas_anet *an, enum anas_anet_mode mode);
/* After every optimizer step (HWA): clip the net's weights in place and
 * draw the modified weights of the next batch. */
int anas_anet_post_step(struct anas_anet *an);
/* Analog training: put every layer on pulsed tiles (split at tc's
 * max_input_size and max_output_size) of configuration tc (its struct
 * anas_analog_training, lib/analog/pulsed.h); then mode
 * ANAS_ANET_PULSED trains on them, with post_step (after every optimizer
 * step) at the learning rate set last. */
struct anas_analog_training;
int anas_anet_set_training(struct anas_anet *an, const struct anas_analog_training *tc,
                           struct anas_error *err);
void anas_anet_set_lr(struct anas_anet *an, float lr);
/* Program the net's current weights onto the tiles. */
int anas_anet_program(struct anas_anet *an);
/* Drift every tile to t seconds (fresh read noise); forward then uses
 * the drifted weights (mode ANALOG). */
int anas_anet_drift(struct anas_anet *an, double t);
int anas_anet_n_layers(const struct anas_anet *an);
int anas_anet_n_tiles(const struct anas_anet *an);

#endif
