/*
 * space-mlp.c - the mlp space: table, size, sampling with inactive widths
 * zeroed, validation, aihwkit's example-3 network counted by hand, and
 * every canonical configuration's network against the analytic count.
 */
#include "config.h"

#include "space/space.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "nn/net.h"
#include "space-check.h"
#include "tap.h"

#define N_HP 6

static const char *const names[N_HP] = {"depth",  "width1", "width2",
                                        "width3", "width4", "activation"};

/* aihwkit's example 3: 784 -> 256 -> 128 -> 10 with sigmoids. */
static const double example3[N_HP] = {2, 256, 128, 0, 0, 2};

static const struct anas_shape mnist = {1, 28, 28, 10};

static void table(const struct anas_space *s)
{
    struct anas_shape d = anas_space_default_shape(s);
    int in_order = 1;

    is_int(anas_space_n_hp(s), N_HP, "6 hyperparameters");
    for (int i = 0; i < N_HP && i < anas_space_n_hp(s); i++)
        in_order &= strcmp(anas_space_hp(s, i)->name, names[i]) == 0;
    ok(in_order, "depth, width1..width4, activation in order");
    is_int(anas_space_size(s), 4 * 5 * 5 * 5 * 5 * 3,
           "size 7500 (every value counted, as AnalogNAS counts)");
    ok(d.c == 1 && d.h == 28 && d.w == 28 && d.classes == 10, "default shape 1x28x28/10");
}

static void reference(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    const struct anas_net_tensor *t;
    static const char *const want[] = {"0.weight", "0.bias",   "2.weight",
                                       "2.bias",   "4.weight", "4.bias"};
    int all = 1;

    anas_config_init(&cfg, s);
    memcpy(cfg.v, example3, sizeof example3);
    /* 784*256 + 256, 256*128 + 128, 128*10 + 10. */
    is_int(analytic(s, &mnist, &cfg, "params"), 200960 + 32896 + 1290,
           "example 3 has 235146 params");
    is_int(analytic(s, &mnist, &cfg, "macs"), 200704 + 32768 + 1280, "and 234752 MACs");
    is_int(analytic(s, &mnist, &cfg, "tiles"), 2 + 1 + 1,
           "784 rows need 2 tiles, the others 1");
    ok(build_agrees(s, &mnist, &cfg, 10, 1, 1, "example 3"),
       "its network has 235146 params and 10 outputs");

    if (anas_space_build(s, &mnist, &cfg, &def, NULL) == 0) {
        is_int(anas_netdef_n_nodes(def), 1 + 5, "input, 3 linear, 2 activations");
        net = anas_net_new(def, 1, NULL);
    }
    ok(net != NULL, "example 3 instantiates");
    if (net) {
        is_int(anas_net_n_tensors(net), 6, "6 tensors");
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            all &= find_tensor(net, want[i]) != NULL;
        ok(all, "named 0, 2 and 4 .weight/.bias, as aihwkit's AnalogSequential");
        t = find_tensor(net, "0.weight");
        ok(t && t->ndim == 2 && t->dims[0] == 256 && t->dims[1] == 784,
           "0.weight is (256, 784)");
        anas_net_free(net);
    }
    anas_netdef_free(def);
}

static void sampling(const struct anas_space *s)
{
    struct anas_rng rng;
    int legal = 0, depths[5] = {0}, zeroed = 1;

    anas_rng_seed(&rng, 9);
    for (int i = 0; i < 2000; i++) {
        struct anas_config cfg, copy;
        anas_space_sample(s, &rng, &cfg);
        copy = cfg;
        legal += config_legal(s, &cfg) && anas_space_validate(s, &copy, NULL) == 0 &&
                 memcmp(copy.v, cfg.v, sizeof cfg.v) == 0;
        depths[(int)cfg.v[0]]++;
        for (int j = (int)cfg.v[0] + 1; j <= 4; j++)
            zeroed &= cfg.v[j] == 0;
    }
    is_int(legal, 2000, "2000 samples are legal and canonical");
    ok(depths[0] == 0 && depths[1] && depths[2] && depths[3] && depths[4],
       "depth is drawn from 1..4");
    ok(zeroed, "widths beyond depth are zeroed");
}

/* Every canonical configuration: depth d with d widths, 3 activations. */
static void every_config(const struct anas_space *s, const struct anas_shape *sh)
{
    static const double widths[] = {32, 64, 128, 256, 512};
    int good = 0, total = 0;

    for (int d = 1; d <= 4; d++) {
        int combos = 1;
        for (int j = 0; j < d; j++)
            combos *= 5;
        for (int i = 0; i < combos * 3; i++) {
            struct anas_config cfg;
            int r = i;
            char what[64];
            anas_config_init(&cfg, s);
            cfg.v[0] = d;
            for (int j = 0; j < d; j++, r /= 5)
                cfg.v[1 + j] = widths[r % 5];
            cfg.v[5] = r % 3;
            snprintf(what, sizeof what, "depth %d, config %d", d, i);
            good += build_agrees(s, sh, &cfg, sh->classes, 1, 1, what);
            total++;
        }
    }
    is_int(total, 2340, "2340 canonical configurations");
    is_int(good, total, "all at %dx%dx%d/%d: params == analytic, output (classes,1,1)",
           sh->c, sh->h, sh->w, sh->classes);
}

static void errors(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_shape huge = {64, 4096, 4096, 10};
    float f[8];
    char a[512], b[512];

    anas_config_init(&cfg, s);
    memcpy(cfg.v, example3, sizeof example3);
    cfg.v[3] = 999; /* width3 beyond depth 2: ignored, then zeroed */
    ok(anas_space_validate(s, &cfg, &err) == 0 && cfg.v[3] == 0,
       "an inactive width is not checked and becomes 0");
    cfg.v[2] = 100;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "width2 100: ERANGE");
    is_str(err.field, "width2", "the error names width2");
    cfg.v[2] = 128;
    cfg.v[0] = 0;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "depth 0: ERANGE");
    is_str(err.field, "depth", "the error names depth");
    cfg.v[0] = NAN;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_EINVAL, "depth NaN: EINVAL");
    is_str(err.field, "depth", "the error names depth");
    cfg.v[0] = 2;
    cfg.v[5] = 3;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "activation 3: ERANGE");
    is_str(err.field, "activation", "the error names activation");
    cfg.v[5] = 2;
    is_int(anas_space_check_shape(s, &huge, &err), ANAS_ERANGE,
           "a 1G-value input: ERANGE");
    is_str(err.field, "input", "the error names input");
    is_int(anas_space_features(s, &cfg, f, 8), ANAS_EUNSUPPORTED,
           "no surrogate features for mlp");

    /* Widths beyond depth do not enter the canonical text. */
    cfg.v[4] = 512;
    anas_space_canonical(s, &mnist, &cfg, a, sizeof a);
    cfg.v[4] = 0;
    anas_space_canonical(s, &mnist, &cfg, b, sizeof b);
    is_str(a, b, "inactive widths leave the canonical text alone");
    is_str(b,
           "mlp;input=1x28x28;classes=10;depth=2;width1=256;width2=128;width3=0;width4=0;"
           "activation=2",
           "canonical text");
}

int main(void)
{
    const struct anas_space *s = anas_space_find("mlp");
    static const struct anas_shape cifar100 = {3, 32, 32, 100};

    plan_later();
    ok(s != NULL, "the mlp space exists");
    if (!s)
        return done();
    table(s);
    reference(s);
    sampling(s);
    every_config(s, &mnist);
    every_config(s, &cifar100);
    errors(s);
    return done();
}
