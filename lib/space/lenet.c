/*
 * lenet.c - aihwkit's LeNet5 (examples/04_lenet5_training.py and
 * 06_lenet5_hardware_aware.py) as a small space: the widths, kernel and
 * activation vary around it.
 *
 * The network is aihwkit's AnalogSequential, index for index:
 *
 *     0 Conv2d(C, channels1, kernel)   1 act   2 MaxPool2d(2)
 *     3 Conv2d(channels1, channels2, kernel)   4 act   5 MaxPool2d(2)
 *     6 act   7 Flatten   8 Linear(flat, hidden)   9 act
 *     10 Linear(hidden, classes)
 *
 * with biases everywhere (aihwkit's analog layers default to bias=True)
 * and the extra activation after the second pool that aihwkit has. Node
 * names are the indices, so that state_dict names are "0.weight",
 * "3.bias", "8.weight"... The final LogSoftmax (index 11) is left out: the
 * network gives logits, and cross-entropy on them equals NLL on their
 * log-softmax. aihwkit's own configuration is channels1 16, channels2 32,
 * kernel 5, hidden 128, tanh: 80,202 parameters on 1x28x28 with 10 classes.
 */
#include "config.h"

#include "space/space_int.h"

#include <stdio.h>

#include "nn/net.h"

enum { CH1, CH2, KERNEL, HIDDEN, ACT };

static const double ch1_choices[] = {4, 8, 16, 32};
static const double ch2_choices[] = {8, 16, 32, 64};
static const double kernel_choices[] = {3, 5};
static const double hidden_choices[] = {64, 128, 256};
static const double act_choices[] = {0, 1, 2};

static const struct anas_hp lenet_hps[] = {
    {"channels1", ANAS_HP_CHOICE, 4, 32, 4, ch1_choices, 1,
     "channels of the first convolution (aihwkit: 16)"},
    {"channels2", ANAS_HP_CHOICE, 8, 64, 4, ch2_choices, 1,
     "channels of the second convolution (aihwkit: 32)"},
    {"kernel", ANAS_HP_CHOICE, 3, 5, 2, kernel_choices, 1,
     "kernel side of both convolutions (aihwkit: 5)"},
    {"hidden", ANAS_HP_CHOICE, 64, 256, 3, hidden_choices, 1,
     "width of the hidden fully connected layer (aihwkit: 128)"},
    {"activation", ANAS_HP_CHOICE, 0, 2, 3, act_choices, 1,
     "0 tanh (aihwkit), 1 relu, 2 sigmoid"},
};

#define N_HP ((int)(sizeof lenet_hps / sizeof lenet_hps[0]))

/* The largest kernel must leave at least one pixel after the second pool:
 * ((H - 4) / 2 - 4) / 2 >= 1. */
#define MIN_SIDE 16

static int lenet_check_shape(const struct anas_shape *shape, struct anas_error *err)
{
    if (shape->c < 1 || shape->c > 64)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input channels must be 1..64 (got %d)", shape->c);
    if (shape->h < MIN_SIDE || shape->h > 4096 || shape->w < MIN_SIDE || shape->w > 4096)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input height and width must be %d..4096 (got %dx%d)",
                                MIN_SIDE, shape->h, shape->w);
    if (shape->classes < 1 || shape->classes > 100000)
        return anas_error_field(err, ANAS_ERANGE, "classes",
                                "classes must be 1..100000 (got %d)", shape->classes);
    return 0;
}

static const char *act_kind(const struct anas_config *cfg)
{
    static const char *const kinds[] = {"tanh", "relu", "sigmoid"};

    return kinds[(int)cfg->v[ACT]];
}

static enum anas_op act_op(const struct anas_config *cfg)
{
    static const enum anas_op ops[] = {ANAS_OP_TANH, ANAS_OP_RELU, ANAS_OP_SIGMOID};

    return ops[(int)cfg->v[ACT]];
}

/* Side after a valid convolution of side k then a 2x2 max pool. */
static int conv_pool_side(int n, int k)
{
    return (n - k + 1) / 2;
}

/* Convolution, activation and 2x2 pool of stage `i` (1 or 2). */
static int add_stage(struct anas__layers *l, const struct anas_config *cfg, int i,
                     int in_c, int h, int w, int out_c)
{
    int k = (int)cfg->v[KERNEL], oh = h - k + 1, ow = w - k + 1, rc;
    char conv[16], act[16], pool[16];

    anas__layers_name(l, conv, sizeof conv, "conv%d", i);
    anas__layers_name(l, act, sizeof act, "act%d", i);
    anas__layers_name(l, pool, sizeof pool, "pool%d", i);
    if ((rc = anas__layers_conv2d(l, conv, in_c, h, w, out_c, k, 1, 0, 1)) < 0 ||
        (rc = anas__layers_same(l, act, act_kind(cfg), out_c, oh, ow)) < 0)
        return rc;
    return anas__layers_pool(l, pool, "maxpool", out_c, oh, ow, 2, 2);
}

static int lenet_layers(const struct anas_config *cfg, const struct anas_shape *shape,
                        struct anas__layers *l, struct anas_error *err)
{
    int c1 = (int)cfg->v[CH1], c2 = (int)cfg->v[CH2], k = (int)cfg->v[KERNEL];
    int h1 = conv_pool_side(shape->h, k), w1 = conv_pool_side(shape->w, k);
    int h2 = conv_pool_side(h1, k), w2 = conv_pool_side(w1, k);
    int hidden = (int)cfg->v[HIDDEN], rc;

    (void)err;
    if ((rc = add_stage(l, cfg, 1, shape->c, shape->h, shape->w, c1)) < 0 ||
        (rc = add_stage(l, cfg, 2, c1, h1, w1, c2)) < 0 ||
        (rc = anas__layers_same(l, "act3", act_kind(cfg), c2, h2, w2)) < 0 ||
        (rc = anas__layers_reshape(l, "flatten", "flatten", c2, h2, w2, c2 * h2 * w2, 1,
                                   1)) < 0 ||
        (rc = anas__layers_linear(l, "fc1", c2, h2, w2, hidden)) < 0 ||
        (rc = anas__layers_same(l, "act4", act_kind(cfg), hidden, 1, 1)) < 0)
        return rc;
    return anas__layers_linear(l, "fc2", hidden, 1, 1, shape->classes);
}

/* aihwkit's AnalogSequential, named by index. Calls are chained unchecked:
 * a failed one poisons the netdef, which then refuses the rest. */
static int lenet_build(const struct anas_config *cfg, const struct anas_shape *shape,
                       struct anas_netdef *def)
{
    int k = (int)cfg->v[KERNEL];
    enum anas_op act = act_op(cfg);
    int x = anas_netdef_conv2d(def, 0, (int)cfg->v[CH1], k, 1, 0, 1, "0");

    x = anas_netdef_act(def, x, act, "1");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "2");
    x = anas_netdef_conv2d(def, x, (int)cfg->v[CH2], k, 1, 0, 1, "3");
    x = anas_netdef_act(def, x, act, "4");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "5");
    x = anas_netdef_act(def, x, act, "6");
    x = anas_netdef_flatten(def, x, "7");
    x = anas_netdef_linear(def, x, (int)cfg->v[HIDDEN], 1, "8");
    x = anas_netdef_act(def, x, act, "9");
    return anas_netdef_linear(def, x, shape->classes, 1, "10");
}

const struct anas_space anas__space_lenet = {
    .name = "lenet",
    .description = "aihwkit's LeNet5 (examples 4 and 6): two convolutions with max "
                   "pooling and two fully connected layers, varying widths, kernel "
                   "and activation",
    .n_hp = N_HP,
    .hp = lenet_hps,
    .default_shape = {.c = 1, .h = 28, .w = 28, .classes = 10},
    .is_active = NULL,
    .validate_extra = NULL,
    .check_shape = lenet_check_shape,
    .layers = lenet_layers,
    .metrics = NULL,
    .features = NULL,
    .build = lenet_build,
};
