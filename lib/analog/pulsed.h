/*
 * pulsed.h - analog training on pulsed devices, as aihwkit's CPU engine
 * (src/rpucuda/rpu_pulsed*.cpp) simulates it: resistive devices that move
 * by one noisy step per coincidence of voltage pulses, the stochastic
 * pulse trains of the update (rpu_weight_updater.cpp,
 * sparse_bit_line_maker.cpp), compound devices (VectorUnitCell, the
 * Tiki-Taka TransferCompound) and the exact FloatingPoint device. The
 * model, its formulas and defaults are in doc/analog-model.md.
 *
 *     struct anas_analog_training tc;
 *     anas_pulsed_preset("constant-step", &tc);     // SingleRPUConfig(ConstantStepDevice())
 *     tc.device.unit[0].dw_min = 0.002f;            // overrides
 *     if (anas_pulsed_check(&tc, &err)) ...         // err.field "device.dw_min"
 *     struct anas_ptile *t = anas_ptile_new(d, n, &tc, seed, &err);
 *     anas_ptile_set_weights(t, W);                 // clipped into each device's bounds
 *     per mini-batch: anas_ptile_forward(t, X, M, 0, n, Y, d);
 *                     anas_ptile_backward(t, D, M, 0, d, DX, n);
 *                     anas_ptile_update(t, X, D, M, lr);   // the tile updates itself
 *                     anas_ptile_post_step(t);             // diffusion, decay
 *
 * Matrices are row-major: W (d, n) as a PyTorch Linear weight; X (M, n),
 * D and Y (M, d), one sample per row. Names and defaults are aihwkit's
 * Python ones (src/aihwkit/simulator/configs/devices.py, compounds.py,
 * parameters/training.py).
 */
#ifndef ANAS_ANALOG_PULSED_H
#define ANAS_ANALOG_PULSED_H

#include <stdint.h>

#include "analog/analog.h"
#include "core/err.h"

enum anas_device_type {
    ANAS_DEV_FLOATING_POINT, /* FloatingPointDevice: W -= lr d x^T, exact */
    ANAS_DEV_CONSTANT_STEP,
    ANAS_DEV_LINEAR_STEP,
    ANAS_DEV_SOFT_BOUNDS,
    ANAS_DEV_SOFT_BOUNDS_PMAX, /* SoftBounds parameterised by p_max, alpha, range */
    ANAS_DEV_EXP_STEP,
    ANAS_DEV_POW_STEP,
};

/* One pulsed device (PulsedDevice and the fields of its subclasses). */
struct anas_pulsed_device {
    enum anas_device_type type;
    float dw_min, dw_min_dtod, dw_min_std;
    int dw_min_dtod_log_normal, enforce_consistency;
    float w_max, w_min, w_max_dtod, w_min_dtod;
    float up_down, up_down_dtod;
    float reset, reset_dtod, reset_std;
    float lifetime, lifetime_dtod, diffusion, diffusion_dtod;
    /* LinearStep (SoftBounds fixes gamma 1, dtod 0, mean_bound_reference 0) */
    float gamma_up, gamma_down, gamma_up_dtod, gamma_down_dtod;
    int mean_bound_reference, mult_noise;
    /* SoftBoundsPmax */
    float p_max, alpha, range_min, range_max;
    /* ExpStep */
    float A_up, A_down, exp_gamma_up, exp_gamma_down, a, b;
    float dw_min_std_add, dw_min_std_slope;
    /* PowStep */
    float pow_gamma, pow_gamma_dtod, pow_up_down, pow_up_down_dtod;
};

enum anas_compound { ANAS_COMPOUND_SINGLE, ANAS_COMPOUND_VECTOR, ANAS_COMPOUND_TRANSFER };
enum anas_vector_policy {
    ANAS_VP_ALL,
    ANAS_VP_SINGLE_FIXED,
    ANAS_VP_SINGLE_SEQUENTIAL,
    ANAS_VP_SINGLE_RANDOM,
};
#define ANAS_PULSED_MAX_UNITS 8

/* The device of a tile: one device, a VectorUnitCell of n devices, or a
 * TransferCompound of two (fast A, slow C). */
struct anas_analog_device {
    enum anas_compound compound;
    int n_units;
    struct anas_pulsed_device unit[ANAS_PULSED_MAX_UNITS];
    /* VectorUnitCell */
    enum anas_vector_policy update_policy;
    int first_update_idx;
    int n_gamma; /* 0: gamma_k = 1/n (VectorUnitCell), [gamma, 1] (transfer) */
    float gamma_vec[ANAS_PULSED_MAX_UNITS];
    /* TransferCompound */
    float gamma, transfer_every, fast_lr, transfer_lr, with_reset_prob;
    int units_in_mbatch, n_reads_per_transfer, transfer_columns, scale_transfer_lr;
    int scale_fast_lr;
    struct anas_analog_io transfer_forward;
};

enum anas_pulse_type {
    ANAS_PULSE_NONE, /* floating-point update of the device weights */
    ANAS_PULSE_STOCHASTIC_COMPRESSED,
    ANAS_PULSE_DETERMINISTIC_IMPLICIT,
    ANAS_PULSE_MEAN_COUNT,
};

/* UpdateParameters. */
struct anas_pulsed_update {
    enum anas_pulse_type pulse_type;
    int desired_bl, update_management, update_bl_management;
    float um_grad_scale, x_res_implicit, d_res_implicit;
};

/* SingleRPUConfig / UnitCellRPUConfig / FloatingPointRPUConfig; a layer
 * of a network is split over tiles of at most max_output_size x
 * max_input_size (MappingParameter's, default 512 x 512; 0: no split). */
struct anas_analog_training {
    struct anas_analog_io forward, backward;
    struct anas_pulsed_update update;
    struct anas_analog_device device;
    int max_input_size, max_output_size;
};

/* aihwkit's Python defaults of each device type, and of UpdateParameters. */
void anas_pulsed_device_defaults(enum anas_device_type type, struct anas_pulsed_device *out);
void anas_pulsed_update_defaults(struct anas_pulsed_update *out);

/* Presets: "constant-step" (SingleRPUConfig(ConstantStepDevice()),
 * aihwkit's examples 1-4), "vector-unit-cell" (example 7), "tiki-taka"
 * (example 8), "soft-bounds", "floating-point". 0 or ANAS_ENOTFOUND. */
int anas_pulsed_preset(const char *name, struct anas_analog_training *out);
const char *anas_pulsed_preset_name(int i);
/* One line describing the i-th preset, NULL past the last. */
const char *anas_pulsed_preset_doc(int i);

/* Ranges and combinations; err->field is the dotted path
 * ("device.dw_min", "device.unit_cell_devices.1.w_max", "update.desired_bl"). */
int anas_pulsed_check(const struct anas_analog_training *tc, struct anas_error *err);

/* The weight granularity dw of the update (the mean dw_min of the units). */
float anas_pulsed_granularity(const struct anas_analog_device *dev);

/* --- a tile of pulsed devices --- */

struct anas_ptile;

/* Draws every device-to-device parameter once, from seed. */
struct anas_ptile *anas_ptile_new(int d, int n, const struct anas_analog_training *tc,
                                  uint64_t seed, struct anas_error *err);
void anas_ptile_free(struct anas_ptile *t);

/* Every unit's weights = W clipped into its bounds (TransferCompound: A =
 * 0, C = W / gamma_C), then the visible weights. */
int anas_ptile_set_weights(struct anas_ptile *t, const float *W);
/* The visible weights W = sum_k gamma_k W_k (d, n). */
int anas_ptile_get_weights(const struct anas_ptile *t, float *W);
/* Unit k's own (hidden) weights, (d, n); NULL if k is out of range. */
const float *anas_ptile_unit_weights(const struct anas_ptile *t, int k);

/* Y = the IO-managed forward of M vectors X on the visible weights; cols
 * 0: X (M, n), Y (M, d); cols 1: X (n, M), Y (d, M) (im2col's layout);
 * ldx, ldy the row strides. */
int anas_ptile_forward(struct anas_ptile *t, const float *X, int M, int cols, int ldx,
                       float *Y, int ldy);
/* DX = the backward pass of M vectors D through W^T with the backward IO
 * parameters (bound management off); cols 0: D (M, d), DX (M, n); cols 1:
 * D (d, M), DX (n, M). */
int anas_ptile_backward(struct anas_ptile *t, const float *D, int M, int cols, int ldd,
                        float *DX, int lddx);
/* The update of M samples at learning rate lr (not divided by M): per
 * sample, update and BL management, pulse trains and their coincidences
 * applied to the devices; TransferCompound transfers on schedule. */
int anas_ptile_update(struct anas_ptile *t, const float *X, const float *D, int M, float lr);
/* Once per mini-batch: diffusion and decay. */
int anas_ptile_post_step(struct anas_ptile *t);

/* --- parts exposed for the tests --- */

/* One device's per-weight parameters after the d-to-d draw (unit k,
 * weight (i, j)). */
struct anas_pulsed_dp {
    float b_max, b_min, step_up, step_down, slope_up, slope_down;
    float diffusion_rate, reset_bias, decay_scale;
};
int anas_ptile_device_params(const struct anas_ptile *t, int k, int i, int j,
                             struct anas_pulsed_dp *out);
/* Apply one pulse (s > 0: a decrease) to weight (i, j) of unit k. */
int anas_ptile_pulse(struct anas_ptile *t, int k, int i, int j, int s);
/* Coincidence counts of the last sample of the last update (d, n), signed
 * (negative: w decreased); NULL before any update. */
const int *anas_ptile_last_counts(const struct anas_ptile *t);

#endif
