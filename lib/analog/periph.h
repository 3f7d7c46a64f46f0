/*
 * periph.h - a layer's digital periphery that training learns: aihwkit's
 * learned output scaling (MappingParameter.learn_out_scaling) and input
 * range (pre_post.input_range), around an analog layer (lib/analog/
 * layer.c), for hardware-aware training and the analog inference after
 * it. The math follows aihwkit's TileWithPeriphery (src/aihwkit/simulator/
 * tiles/periphery.py: apply_input_range, post_forward, post_backward,
 * pre_update; doc/analog-model.md):
 *
 *     y  = alpha . r L(clip(x, -r, r) / r) + bias
 *
 * with L the layer's analog product (mapping scales included), alpha per
 * output (columnwise) or one per layer, r one per layer. aihwkit keeps one
 * alpha and one r per tile: for a layer on one tile the two agree; a
 * layer split over tiles shares them here.
 *
 * The net holds the weights W without alpha (tile weights times the
 * mapping scales). Its own backward gives dY x^T for W; the backward here
 * adds what makes it aihwkit's (alpha dY)(clip(x)/r)^T, returns the input
 * gradient W_fb^T (alpha dY) (straight through the clip, as aihwkit), and
 * keeps the gradients of alpha (sum of dY . r L(...)) and r (aihwkit's
 * one-sided clip gradient, decay, output clipping) for step().
 */
#ifndef ANAS_ANALOG_PERIPH_H
#define ANAS_ANALOG_PERIPH_H

#include "analog/analog.h"
#include "nn/net.h"

struct anas__periph;

/* Whether cfg asks for either: otherwise a layer needs no periphery. */
int anas__periph_wanted(const struct anas_analog_config *cfg);

/* For a layer of d outputs and n inputs; NULL when out of memory. */
struct anas__periph *anas__periph_new(int d, int n, const struct anas_analog_config *cfg);
void anas__periph_free(struct anas__periph *p);

/* The layer's forward through the periphery, X and Y laid out as
 * anas_alayer_forward's (no bias added). training: the range follows the
 * data in the first batches, and the vectors are kept for backward. */
int anas__periph_forward(struct anas__periph *p, struct anas_alayer *L,
                         enum anas_alayer_weights which, const float *X, int M, int cols,
                         int ldx, float *Y, int ldy, int training, struct anas_rng *rng);

/* The backward of the last training forwards, B samples: dY as the net
 * gives it (linear (B, d); conv2d (B, d, P), P the vectors per sample);
 * Wfb (d, n) the weights of the input gradient; G (d, n) the net's weight
 * gradient, corrected in place; dX as the mvm backward's (NULL: none;
 * conv2d through col2im with info's shape). */
int anas__periph_backward(struct anas__periph *p, const struct anas_net_layer *info,
                          const float *Wfb, float *G, const float *dY, float *dX, int acc,
                          int B);

/* After the optimizer step: SGD on alpha and r at rate lr, gradients
 * cleared, r kept positive. */
void anas__periph_step(struct anas__periph *p, float lr);

/* Multiply alpha into W's rows (d, n) and set it to 1: the net's weights
 * become the whole product, for digital use and for inference. */
void anas__periph_fold(struct anas__periph *p, float *W);

float anas__periph_range(const struct anas__periph *p);
float anas__periph_alpha(const struct anas__periph *p, int i);
/* Pending gradients (tests): of r, and of alpha_i. */
float anas__periph_grad_range(const struct anas__periph *p);
float anas__periph_grad_alpha(const struct anas__periph *p, int i);

#endif
