/*
 * space-lenet.c - the lenet space: table, size, sampling, validation,
 * canonical text, the layer list and analytic metrics of aihwkit's LeNet5
 * (counted by hand), and every configuration's network against them.
 */
#include "config.h"

#include "space/space.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "nn/net.h"
#include "space-check.h"
#include "tap.h"

#define N_HP 5

static const char *const names[N_HP] = {"channels1", "channels2", "kernel", "hidden",
                                        "activation"};

/* aihwkit's examples 4 and 6: channels 16 and 32, kernel 5, 128 hidden, tanh. */
static const double aihwkit[N_HP] = {16, 32, 5, 128, 0};

static const struct anas_shape mnist = {1, 28, 28, 10};

static void table(const struct anas_space *s)
{
    struct anas_shape d = anas_space_default_shape(s);
    int in_order = 1;

    is_int(anas_space_n_hp(s), N_HP, "5 hyperparameters");
    for (int i = 0; i < N_HP && i < anas_space_n_hp(s); i++)
        in_order &= strcmp(anas_space_hp(s, i)->name, names[i]) == 0;
    ok(in_order, "channels1, channels2, kernel, hidden, activation in order");
    is_int(anas_space_size(s), 4 * 4 * 2 * 3 * 3, "size 288");
    ok(d.c == 1 && d.h == 28 && d.w == 28 && d.classes == 10, "default shape 1x28x28/10");
    ok(anas_space_find("lenet") == s, "found by name");
}

/* aihwkit's LeNet5 by hand: conv 1->16 k5 (400 + 16), conv 16->32 k5
 * (12800 + 32), fc 512->128 (65536 + 128), fc 128->10 (1280 + 10). */
static void reference(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_layer *l = NULL;
    const struct anas_layer *fc1;
    int n = 0;
    char text[256];
    static const char *const kinds[] = {"conv2d", "tanh",    "maxpool", "conv2d",
                                        "tanh",   "maxpool", "tanh",    "flatten",
                                        "linear", "tanh",    "linear"};
    int kinds_ok = 1;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, aihwkit, sizeof aihwkit);
    is_int(analytic(s, &mnist, &cfg, "params"), 416 + 12832 + 65664 + 1290,
           "aihwkit's LeNet5 has 80202 params");
    /* MACs: 16*24*24*25, 32*8*8*16*25, 512*128, 128*10. */
    is_int(analytic(s, &mnist, &cfg, "macs"), 230400 + 819200 + 65536 + 1280,
           "and 1116416 MACs");
    is_int(analytic(s, &mnist, &cfg, "tiles"), 4, "one tile per layer");
    is_near(analytic(s, &mnist, &cfg, "tile_util"), 80016.0 / (4 * 512 * 512), 1e-12,
            "tile_util counts weights only");
    ok(build_agrees(s, &mnist, &cfg, 10, 1, 1, "aihwkit"),
       "its network has 80202 params and 10 outputs");

    ok(anas_space_layers(s, &mnist, &cfg, NULL, &l, &n, NULL) == 0 && n == 11,
       "11 layers, as aihwkit's Sequential without LogSoftmax");
    for (int i = 0; i < n && i < 11; i++)
        kinds_ok &= strcmp(l[i].kind, kinds[i]) == 0;
    ok(kinds_ok, "conv tanh pool conv tanh pool tanh flatten fc tanh fc");
    fc1 = find_layer(l, n, "fc1");
    ok(fc1 && fc1->in_c == 32 && fc1->in_h == 4 && fc1->in_w == 4 && fc1->out_c == 128,
       "fc1 reads 32x4x4 = 512");
    anas_free(l);

    anas_space_canonical(s, &mnist, &cfg, text, sizeof text);
    is_str(text,
           "lenet;input=1x28x28;classes=10;channels1=16;channels2=32;kernel=5;hidden=128;"
           "activation=0",
           "canonical text");
}

/* PyTorch state_dict names: the Sequential's indices. */
static void tensor_names(const struct anas_space *s)
{
    static const char *const want[] = {"0.weight", "0.bias", "3.weight",  "3.bias",
                                       "8.weight", "8.bias", "10.weight", "10.bias"};
    struct anas_config cfg;
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    const struct anas_net_tensor *t;
    int all = 1;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, aihwkit, sizeof aihwkit);
    if (anas_space_build(s, &mnist, &cfg, &def, NULL) == 0)
        net = anas_net_new(def, 1, NULL);
    ok(net != NULL, "aihwkit's LeNet5 instantiates");
    if (!net) {
        anas_netdef_free(def);
        return;
    }
    is_int(anas_net_n_tensors(net), 8, "8 tensors");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        all &= find_tensor(net, want[i]) != NULL;
    ok(all, "named 0, 3, 8 and 10 .weight/.bias, as aihwkit's AnalogSequential");
    t = find_tensor(net, "0.weight");
    ok(t && t->ndim == 4 && t->dims[0] == 16 && t->dims[1] == 1 && t->dims[2] == 5 &&
           t->dims[3] == 5,
       "0.weight is (16, 1, 5, 5)");
    t = find_tensor(net, "8.weight");
    ok(t && t->ndim == 2 && t->dims[0] == 128 && t->dims[1] == 512,
       "8.weight is (128, 512)");
    anas_net_free(net);
    anas_netdef_free(def);
}

static void sampling(const struct anas_space *s)
{
    struct anas_rng rng;
    int legal = 0, seen_relu = 0, seen_sigmoid = 0;

    anas_rng_seed(&rng, 5);
    for (int i = 0; i < 1000; i++) {
        struct anas_config cfg, copy;
        anas_space_sample(s, &rng, &cfg);
        copy = cfg;
        legal += config_legal(s, &cfg) && anas_space_validate(s, &copy, NULL) == 0 &&
                 memcmp(copy.v, cfg.v, sizeof cfg.v) == 0;
        seen_relu |= cfg.v[4] == 1;
        seen_sigmoid |= cfg.v[4] == 2;
    }
    is_int(legal, 1000, "1000 samples are legal and canonical");
    ok(seen_relu && seen_sigmoid, "every activation is drawn");
}

/* All 288 configurations at three shapes. */
static void every_config(const struct anas_space *s)
{
    static const struct anas_shape shapes[] = {
        {1, 28, 28, 10}, {3, 32, 32, 100}, {2, 16, 19, 2}};

    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const struct anas_shape *sh = &shapes[k];
        int good = 0;
        for (int i = 0; i < 288; i++) {
            struct anas_config cfg;
            int r = i;
            char what[64];
            anas_config_init(&cfg, s);
            for (int j = 0; j < N_HP; j++) {
                const struct anas_hp *hp = anas_space_hp(s, j);
                cfg.v[j] = hp->choices[r % hp->n_choices];
                r /= hp->n_choices;
            }
            snprintf(what, sizeof what, "config %d at %dx%dx%d", i, sh->c, sh->h, sh->w);
            good += build_agrees(s, sh, &cfg, sh->classes, 1, 1, what);
        }
        is_int(good, 288,
               "all 288 networks at %dx%dx%d/%d: params == analytic, output "
               "(classes,1,1)",
               sh->c, sh->h, sh->w, sh->classes);
    }
}

static void activations(const struct anas_space *s)
{
    static const char *const kinds[] = {"tanh", "relu", "sigmoid"};

    for (int a = 0; a < 3; a++) {
        struct anas_config cfg;
        struct anas_layer *l = NULL;
        int n = 0, count = 0;
        anas_config_init(&cfg, s);
        memcpy(cfg.v, aihwkit, sizeof aihwkit);
        cfg.v[4] = a;
        anas_space_layers(s, &mnist, &cfg, NULL, &l, &n, NULL);
        for (int i = 0; i < n; i++)
            count += strcmp(l[i].kind, kinds[a]) == 0;
        is_int(count, 4, "activation %d: four %s layers", a, kinds[a]);
        anas_free(l);
    }
}

static void errors(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_shape small = {1, 15, 28, 10}, no_classes = {1, 28, 28, 0};
    struct anas_netdef *def = NULL;
    float f[8];

    anas_config_init(&cfg, s);
    memcpy(cfg.v, aihwkit, sizeof aihwkit);
    cfg.v[2] = 4;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "kernel 4: ERANGE");
    is_str(err.field, "kernel", "the error names kernel");
    cfg.v[2] = 5;
    cfg.v[4] = 3;
    is_int(anas_space_build(s, &mnist, &cfg, &def, &err), ANAS_ERANGE,
           "activation 3: the build refuses it");
    is_str(err.field, "activation", "the error names activation");
    cfg.v[4] = NAN;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_EINVAL, "activation NaN: EINVAL");
    cfg.v[4] = 0;
    is_int(anas_space_build(s, &small, &cfg, &def, &err), ANAS_ERANGE,
           "15 rows are too few for kernel 5 and two pools");
    is_str(err.field, "input", "the error names input");
    is_int(anas_space_check_shape(s, &no_classes, &err), ANAS_ERANGE,
           "0 classes: ERANGE");
    is_str(err.field, "classes", "the error names classes");
    ok(def == NULL, "no network after a failure");
    is_int(anas_space_features(s, &cfg, f, 8), ANAS_EUNSUPPORTED,
           "no surrogate features for lenet");
}

int main(void)
{
    const struct anas_space *s = anas_space_find("lenet");

    plan_later();
    ok(s != NULL, "the lenet space exists");
    if (!s)
        return done();
    table(s);
    reference(s);
    tensor_names(s);
    sampling(s);
    every_config(s);
    activations(s);
    errors(s);
    return done();
}
