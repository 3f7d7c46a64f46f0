/*
 * linear.c - small stacks of Linear layers, as aihwkit's examples 1, 2, 5,
 * 7 and 8 build them (examples/01_simple_layer.py: one AnalogLinear(4, 2);
 * 02_multiple_layer.py: AnalogLinear(4, 2), (2, 2), (2, 1) with no
 * activation between): `depth` hidden Linear layers of any width (with
 * biases), an optional activation after each, then a Linear layer to the
 * outputs (`classes`, or a regression target's size).
 *
 * Node names are the indices of aihwkit's Sequential: the Linear layers
 * and activations in order ("0", "1", ...), so that with no activation
 * example 2's layers are "0", "1", "2".
 */
#include "config.h"

#include "space/space_int.h"

#include <stdio.h>

#include "nn/net.h"

#define MAX_DEPTH 3

enum { DEPTH, WIDTH1, ACT = WIDTH1 + MAX_DEPTH };

static const double act_choices[] = {0, 1, 2, 3};

static const struct anas_hp linear_hps[] = {
    {"depth", ANAS_HP_INT, 0, MAX_DEPTH, 0, NULL, 1, "hidden layers (0: one Linear layer)"},
    {"width1", ANAS_HP_INT, 1, 1024, 0, NULL, 1, "width of hidden layer 1 (depth >= 1)"},
    {"width2", ANAS_HP_INT, 1, 1024, 0, NULL, 1, "width of hidden layer 2 (depth >= 2)"},
    {"width3", ANAS_HP_INT, 1, 1024, 0, NULL, 1, "width of hidden layer 3 (depth 3)"},
    {"activation", ANAS_HP_CHOICE, 0, 3, 4, act_choices, 1,
     "0 none, 1 relu, 2 tanh, 3 sigmoid (after each hidden layer)"},
};

#define N_HP ((int)(sizeof linear_hps / sizeof linear_hps[0]))

/* width_j is active when j <= depth; the activation when depth >= 1. */
static int linear_is_active(const struct anas_config *cfg, int i)
{
    if (i == ACT)
        return cfg->v[DEPTH] >= 1;
    if (i < WIDTH1)
        return 1;
    return i - WIDTH1 + 1 <= cfg->v[DEPTH];
}

#define MAX_INPUT (1 << 20)

static int linear_check_shape(const struct anas_shape *shape, struct anas_error *err)
{
    return anas__check_flat_shape(shape, MAX_INPUT, "classes (outputs)", err);
}

/* The activation after the hidden layers, 0 for none. */
static int act_of(const struct anas_config *cfg)
{
    return cfg->v[DEPTH] >= 1 ? (int)cfg->v[ACT] : 0;
}

static const char *act_kind(int a)
{
    static const char *const kinds[] = {NULL, "relu", "tanh", "sigmoid"};

    return kinds[a];
}

static enum anas_op act_op(int a)
{
    static const enum anas_op ops[] = {ANAS_OP_RELU, ANAS_OP_RELU, ANAS_OP_TANH,
                                       ANAS_OP_SIGMOID};

    return ops[a];
}

static int linear_layers(const struct anas_config *cfg, const struct anas_shape *shape,
                         struct anas__layers *l, struct anas_error *err)
{
    int depth = (int)cfg->v[DEPTH], a = act_of(cfg), c = shape->c, h = shape->h;
    int w = shape->w, k = 0, rc;
    char nm[16];

    (void)err;
    for (int j = 0; j < depth; j++) {
        int width = (int)cfg->v[WIDTH1 + j];

        anas__layers_name(l, nm, sizeof nm, "%d", k++);
        if ((rc = anas__layers_linear(l, nm, c, h, w, width)) < 0)
            return rc;
        anas__layers_name(l, nm, sizeof nm, "%d", k);
        if (a && (k++, rc = anas__layers_same(l, nm, act_kind(a), width, 1, 1)) < 0)
            return rc;
        c = width, h = w = 1;
    }
    anas__layers_name(l, nm, sizeof nm, "%d", k);
    return anas__layers_linear(l, nm, c, h, w, shape->classes);
}

/* Calls are chained unchecked: a failed one poisons the netdef. */
static int linear_build(const struct anas_config *cfg, const struct anas_shape *shape,
                        struct anas_netdef *def)
{
    int depth = (int)cfg->v[DEPTH], a = act_of(cfg), x = 0, k = 0;
    char nm[16];

    for (int j = 0; j < depth; j++) {
        snprintf(nm, sizeof nm, "%d", k++);
        x = anas_netdef_linear(def, x, (int)cfg->v[WIDTH1 + j], 1, nm);
        if (a) {
            snprintf(nm, sizeof nm, "%d", k++);
            x = anas_netdef_act(def, x, act_op(a), nm);
        }
    }
    snprintf(nm, sizeof nm, "%d", k);
    return anas_netdef_linear(def, x, shape->classes, 1, nm);
}

const struct anas_space anas__space_linear = {
    .name = "linear",
    .description = "stacks of Linear layers as in aihwkit's small examples (1, 2, 5, 7, 8): "
                   "0 to 3 hidden layers of any width, an optional activation",
    .n_hp = N_HP,
    .hp = linear_hps,
    .default_shape = {.c = 1, .h = 1, .w = 4, .classes = 2},
    .is_active = linear_is_active,
    .validate_extra = NULL,
    .check_shape = linear_check_shape,
    .layers = linear_layers,
    .metrics = NULL,
    .features = NULL,
    .build = linear_build,
};
