/*
 * pulsed_int.h - what the files of the pulsed tile share: one device
 * array's per-weight state (device.c draws and moves it, pulsed.c drives
 * it with pulse trains).
 */
#ifndef ANAS_ANALOG_PULSED_INT_H
#define ANAS_ANALOG_PULSED_INT_H

#include "analog/analog_int.h"
#include "analog/pulsed.h"

/* A (d, n) array of one device type, each weight with its own parameters
 * drawn once (aihwkit's PulsedRPUDevice::populate). */
struct anas__punit {
    struct anas_pulsed_device p; /* after SoftBounds/Pmax are mapped to LinearStep */
    size_t size;
    float *w;
    float *bmax, *bmin, *up, *down;
    float *sl_up, *sl_down; /* LinearStep slopes; PowStep exponents */
    float *diff, *rbias, *dcy;
    int has_diffusion, has_decay;
};

/* SoftBounds and SoftBoundsPmax as the LinearStep device they are in the
 * C++ engine (SoftBoundsRPUDeviceMetaParameter in rpu_linearstep_device.h;
 * SoftBoundsPmaxDevice in src/aihwkit/simulator/configs/devices.py). */
void anas__pulsed_effective(const struct anas_pulsed_device *in, struct anas_pulsed_device *out);

/* Allocate and draw a unit of size weights; 0 or ANAS_ENOMEM. */
int anas__punit_init(struct anas__punit *u, const struct anas_pulsed_device *p, size_t size,
                     struct anas_rng *rng);
void anas__punit_fini(struct anas__punit *u);
/* w = clip(W) into each weight's bounds. */
void anas__punit_set(struct anas__punit *u, const float *W);
/* c pulses of sign s (s > 0: decrease) on weight k, each with its own
 * cycle-to-cycle noise, clipped after every pulse. */
void anas__punit_pulses(struct anas__punit *u, size_t k, int s, int c, struct anas__gauss *g);
/* Diffusion then decay, each followed by the clip. */
void anas__punit_post(struct anas__punit *u, struct anas__gauss *g);

/* A layer (d, n) on a grid of pulsed tiles (pgrid.c): the calls of
 * pulsed.h's tile, on the whole layer. backward adds into DX when acc. */
struct anas__pgrid;
struct anas__pgrid *anas__pgrid_new(int d, int n, const struct anas_analog_training *tc,
                                    struct anas_rng *rng, struct anas_error *err);
void anas__pgrid_free(struct anas__pgrid *g);
int anas__pgrid_n_tiles(const struct anas__pgrid *g);
int anas__pgrid_set_weights(struct anas__pgrid *g, const float *W);
int anas__pgrid_get_weights(struct anas__pgrid *g, float *W);
int anas__pgrid_forward(struct anas__pgrid *g, const float *X, int M, int cols, int ldx,
                        float *Y, int ldy);
int anas__pgrid_backward(struct anas__pgrid *g, const float *D, int M, int cols, int ldd,
                         float *DX, int lddx, int acc);
int anas__pgrid_update(struct anas__pgrid *g, const float *X, const float *D, int M, float lr);
int anas__pgrid_post_step(struct anas__pgrid *g);

#endif
