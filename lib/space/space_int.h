/*
 * space_int.h - what the files of lib/space share: the layout of
 * struct anas_space and the layer-list builder.
 *
 * A space is a static table: its hyperparameters plus a few functions for
 * what differs between spaces. space.c does everything generic (lookups,
 * size, sampling, range checks, canonical text, hash, analytic metrics,
 * the checks around a network build) from the table and calls these
 * functions for the rest. Adding a space is one
 * new file defining a `const struct anas_space`, one extern line below and
 * one line in space.c's registry.
 */
#ifndef ANAS_SPACE_INT_H
#define ANAS_SPACE_INT_H

#include "space/space.h"

/* The layers of one network, grown by the builders below. */
struct anas__layers {
    struct anas_layer *v; /* anas_malloc'd, n used of cap; see `unnamed` */
    int n, cap;
    struct anas_mapping map;
    /* Crossbar cells the weights of the layers so far take (what a conv2d,
     * convt2d or linear layer adds with its tiles), for tile_util. */
    long long weights;
    /* Set when only the sums are wanted (anas_space_analytic): the layers
     * then have neither name nor kind, as formatting a name per layer was
     * most of what computing a proposal's metrics cost (doc/performance.md).
     * Builders format names with anas__layers_name(), which then does
     * nothing, and read back only the layer they added last: so such a
     * list keeps only that one (v is &last, n 1), the sums of the layers
     * before it in `before`. */
    int unnamed;
    struct anas_layer last;
    struct {
        long long params, macs, tiles;
    } before;
};

/* Format a layer's name into buf (truncated to fit) when l names its
 * layers; else make buf empty, at the cost of one test. Returns buf. */
const char *anas__layers_name(const struct anas__layers *l, char *buf, size_t n,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct anas_space {
    const char *name;
    const char *description;
    int n_hp;
    const struct anas_hp *hp; /* n_hp entries, in the space's order */
    struct anas_shape default_shape;

    /* Is hyperparameter i active in cfg? cfg may be unvalidated (NaN or out
     * of range values), so compare, never index, with its values. NULL:
     * every hyperparameter is always active. */
    int (*is_active)(const struct anas_config *cfg, int i);

    /* Checks across hyperparameters, on a canonical cfg whose active values
     * are each within their ranges. NULL: none. */
    int (*validate_extra)(const struct anas_config *cfg, struct anas_error *err);

    /* Can the space build a network for this shape? ANAS_ERANGE naming
     * "input" or "classes" when not. NULL: any shape with positive sizes. */
    int (*check_shape)(const struct anas_shape *shape, struct anas_error *err);

    /* Append the network's layers, cfg valid and shape checked. Returns 0,
     * ANAS_ENOMEM or ANAS_ELIMIT. NULL: the space builds no network. */
    int (*layers)(const struct anas_config *cfg, const struct anas_shape *shape,
                  struct anas__layers *out, struct anas_error *err);

    /* Space-specific analytic metrics (resnet: nb_convs), cfg valid. NULL:
     * none. */
    int (*metrics)(const struct anas_config *cfg, struct anas_metrics *out);

    /* The surrogate feature vector; see anas_space_features(). NULL:
     * ANAS_EUNSUPPORTED. */
    int (*features)(const struct anas_space *s, const struct anas_config *cfg, float *out,
                    int max);

    /* Add the trainable network to def (node 0, the input, is there), cfg
     * valid and shape checked. Returns the output node, or a negative
     * ANAS_E* code; space.c reads the details from anas_netdef_error().
     * Node names are the reference implementation's PyTorch module paths,
     * so that state_dict names follow. NULL: ANAS_EUNSUPPORTED. */
    int (*build)(const struct anas_config *cfg, const struct anas_shape *shape,
                 struct anas_netdef *def);

    /* A composite's base space (compose.c), NULL for a registered one. A
     * composite has the base's functions and its hyperparameters first;
     * the ones after them are always active. */
    const struct anas_space *base;
};

/* Layer builders. Each appends one layer named `name` (truncated to fit),
 * working out its output size, params, MACs and tiles, and returns 0,
 * ANAS_ENOMEM or ANAS_ELIMIT (more tiles than an int holds).
 *
 * Counting rules: conv2d and convt2d have k*k*in_c*out_c weights, plus
 * out_c biases when `bias`; conv2d counts out_c*out_h*out_w*in_c*k*k MACs,
 * convt2d in_c*in_h*in_w*out_c*k*k (every input pixel meets every weight
 * once); batchnorm 2*c params (weight and bias, running statistics
 * excluded); linear in*out + out params (bias included) and in*out MACs,
 * where in = in_c*in_h*in_w is the flattened input. Everything else (relu,
 * tanh, sigmoid, shift, add, concat, pools, flatten, reshape) has no params
 * and counts no MACs: only multiply-accumulates on weights are counted.
 * Tiles: ceil(rows / max_input_size) * ceil(out_c / max_output_size), rows
 * being in_c*k*k for conv2d and convt2d (the transposed convolution mapped
 * as its equivalent direct one) and in for linear (aihwkit's mapping, bias
 * digital). Output sizes follow PyTorch: floor((h + 2p - k) / s) + 1 for
 * conv2d and pools, (h - 1) * s - 2p + k + out_pad for convt2d. */
/* The input check of the fully connected spaces (mlp, linear): positive
 * sizes whose product is at most max_input, and 1..100000 outputs; `what`
 * names the outputs in the message ("classes", "classes (outputs)"). */
int anas__check_flat_shape(const struct anas_shape *shape, int max_input, const char *what,
                           struct anas_error *err);

int anas__layers_conv2d(struct anas__layers *l, const char *name, int in_c, int h, int w,
                        int out_c, int k, int stride, int pad, int bias);
int anas__layers_convt2d(struct anas__layers *l, const char *name, int in_c, int h, int w,
                         int out_c, int k, int stride, int pad, int out_pad, int bias);
int anas__layers_batchnorm(struct anas__layers *l, const char *name, int c, int h, int w);
/* kind: "avgpool" or "maxpool"; no padding. */
int anas__layers_pool(struct anas__layers *l, const char *name, const char *kind, int c,
                      int h, int w, int k, int stride);
int anas__layers_linear(struct anas__layers *l, const char *name, int in_c, int in_h,
                        int in_w, int out_features);
/* A layer that keeps the tensor's shape (relu, tanh, sigmoid, shift, add,
 * concat). */
int anas__layers_same(struct anas__layers *l, const char *name, const char *kind, int c,
                      int h, int w);
/* A layer that only changes the shape (flatten, reshape). */
int anas__layers_reshape(struct anas__layers *l, const char *name, const char *kind,
                         int in_c, int in_h, int in_w, int out_c, int out_h, int out_w);

/* A features function for spaces whose feature vector is simply the
 * hyperparameter values in order, inactive ones as 0. */
int anas__features_values(const struct anas_space *s, const struct anas_config *cfg,
                          float *out, int max);

/* One uniform draw of a hyperparameter's value, as anas_space_sample makes
 * it (ops.c draws the ones a move activates the same way). */
double anas__hp_sample(const struct anas_hp *hp, struct anas_rng *rng);

/* The interned composite named `name`, or NULL (compose.c). */
const struct anas_space *anas__space_find_composite(const char *name);

/* The spaces, one line each. */
extern const struct anas_space anas__space_resnet;
extern const struct anas_space anas__space_lenet;
extern const struct anas_space anas__space_mlp;
extern const struct anas_space anas__space_autoencoder;
extern const struct anas_space anas__space_rpu;
extern const struct anas_space anas__space_linear;

#endif
