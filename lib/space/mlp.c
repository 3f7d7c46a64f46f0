/*
 * mlp.c - fully connected networks in the style of aihwkit's example 3
 * (examples/03_mnist_training.py): the flattened input, `depth` hidden Linear
 * layers with biases, each followed by the activation, then a Linear layer
 * to the classes.
 *
 * Node names are the indices of aihwkit's AnalogSequential: Linear layers
 * at 0, 2, ..., 2*depth and activations at the odd indices, so that
 * state_dict names are "0.weight", "2.bias"... The final LogSoftmax is left
 * out (the network gives logits), as is the view() that flattens the
 * images outside the model: a Linear node reads its input flattened.
 * Example 3 itself is depth 2, widths 256 and 128, sigmoid: 235,146
 * parameters on 1x28x28 with 10 classes.
 */
#include "config.h"

#include "space/space_int.h"

#include <stdio.h>

#include "nn/net.h"

#define MAX_DEPTH 4

enum { DEPTH, WIDTH1, ACT = WIDTH1 + MAX_DEPTH };

static const double width_choices[] = {32, 64, 128, 256, 512};
static const double act_choices[] = {0, 1, 2};

static const struct anas_hp mlp_hps[] = {
    {"depth", ANAS_HP_INT, 1, MAX_DEPTH, 0, NULL, 1, "hidden layers"},
    {"width1", ANAS_HP_CHOICE, 32, 512, 5, width_choices, 1, "width of hidden layer 1"},
    {"width2", ANAS_HP_CHOICE, 32, 512, 5, width_choices, 1,
     "width of hidden layer 2 (depth >= 2)"},
    {"width3", ANAS_HP_CHOICE, 32, 512, 5, width_choices, 1,
     "width of hidden layer 3 (depth >= 3)"},
    {"width4", ANAS_HP_CHOICE, 32, 512, 5, width_choices, 1,
     "width of hidden layer 4 (depth 4)"},
    {"activation", ANAS_HP_CHOICE, 0, 2, 3, act_choices, 1, "0 relu, 1 tanh, 2 sigmoid"},
};

#define N_HP ((int)(sizeof mlp_hps / sizeof mlp_hps[0]))

/* width_j is active when j <= depth; compared, so a NaN depth leaves every
 * width inactive. */
static int mlp_is_active(const struct anas_config *cfg, int i)
{
    if (i < WIDTH1 || i >= ACT)
        return 1;
    return i - WIDTH1 + 1 <= cfg->v[DEPTH];
}

/* The flattened input must fit the first layer's weights. */
#define MAX_INPUT (1 << 24)

static int mlp_check_shape(const struct anas_shape *shape, struct anas_error *err)
{
    return anas__check_flat_shape(shape, MAX_INPUT, "classes", err);
}

static const char *act_kind(const struct anas_config *cfg)
{
    static const char *const kinds[] = {"relu", "tanh", "sigmoid"};

    return kinds[(int)cfg->v[ACT]];
}

static enum anas_op act_op(const struct anas_config *cfg)
{
    static const enum anas_op ops[] = {ANAS_OP_RELU, ANAS_OP_TANH, ANAS_OP_SIGMOID};

    return ops[(int)cfg->v[ACT]];
}

static int mlp_layers(const struct anas_config *cfg, const struct anas_shape *shape,
                      struct anas__layers *l, struct anas_error *err)
{
    int depth = (int)cfg->v[DEPTH], c = shape->c, h = shape->h, w = shape->w, rc;
    char fc[16], act[16];

    (void)err;
    for (int j = 1; j <= depth; j++) {
        int width = (int)cfg->v[WIDTH1 + j - 1];
        anas__layers_name(l, fc, sizeof fc, "fc%d", j);
        anas__layers_name(l, act, sizeof act, "act%d", j);
        if ((rc = anas__layers_linear(l, fc, c, h, w, width)) < 0 ||
            (rc = anas__layers_same(l, act, act_kind(cfg), width, 1, 1)) < 0)
            return rc;
        c = width, h = w = 1;
    }
    anas__layers_name(l, fc, sizeof fc, "fc%d", depth + 1);
    return anas__layers_linear(l, fc, c, h, w, shape->classes);
}

/* Calls are chained unchecked: a failed one poisons the netdef, which then
 * refuses the rest. */
static int mlp_build(const struct anas_config *cfg, const struct anas_shape *shape,
                     struct anas_netdef *def)
{
    int depth = (int)cfg->v[DEPTH], x = 0;
    char nm[16];

    for (int j = 0; j < depth; j++) {
        snprintf(nm, sizeof nm, "%d", 2 * j);
        x = anas_netdef_linear(def, x, (int)cfg->v[WIDTH1 + j], 1, nm);
        snprintf(nm, sizeof nm, "%d", 2 * j + 1);
        x = anas_netdef_act(def, x, act_op(cfg), nm);
    }
    snprintf(nm, sizeof nm, "%d", 2 * depth);
    return anas_netdef_linear(def, x, shape->classes, 1, nm);
}

const struct anas_space anas__space_mlp = {
    .name = "mlp",
    .description = "fully connected networks in the style of aihwkit's example 3: 1 to 4 "
                   "hidden layers of 32 to 512 units and one activation",
    .n_hp = N_HP,
    .hp = mlp_hps,
    .default_shape = {.c = 1, .h = 28, .w = 28, .classes = 10},
    .is_active = mlp_is_active,
    .validate_extra = NULL,
    .check_shape = mlp_check_shape,
    .layers = mlp_layers,
    .metrics = NULL,
    .features = NULL,
    .build = mlp_build,
};
