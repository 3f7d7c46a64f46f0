/*
 * space-autoencoder.c - the autoencoder space of AnalogNAS PR #6: table and
 * size, sampling (no conditional zeroing), validation naming the field,
 * the decoder hyperparameters that change nothing, parameter counts of the
 * notebook's configurations worked out by hand, output shape equal to the
 * input's (with and without fc_out), and networks against the analytic
 * count.
 */
#include "config.h"

#include "space/space.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "nn/net.h"
#include "space-check.h"
#include "tap.h"

#define N_HP 25

/* embedding_dim, then (depth, kernel_size, filters, stride) of encoder
 * blocks 1..3 and decoder blocks 1..3. */
#define BLOCK(d, k, f, s) d, k, f, s
#define DECODER           BLOCK(2, 5, 64, 2), BLOCK(4, 7, 512, 1), BLOCK(3, 3, 8, 2)

/* The PR's "optimal" configuration: emb 256; 1/5/64/1; 1/3/32/1; 1/7/16/2. */
static const double optimal[N_HP] = {256, BLOCK(1, 5, 64, 1), BLOCK(1, 3, 32, 1),
                                     BLOCK(1, 7, 16, 2), DECODER};
/* new_optimal_config: emb 2048; 1/3/256/1; 1/7/256/1; 3/3/32/2. */
static const double new_optimal[N_HP] = {2048, BLOCK(1, 3, 256, 1), BLOCK(1, 7, 256, 1),
                                         BLOCK(3, 3, 32, 2), DECODER};
/* suboptimal_config: emb 64; 3/5/16/1; 3/3/8/2; 3/7/128/1. */
static const double suboptimal[N_HP] = {64, BLOCK(3, 5, 16, 1), BLOCK(3, 3, 8, 2),
                                        BLOCK(3, 7, 128, 1), DECODER};
/* Strides 2, 2, 2 on 28 rows: 28 -> 14 -> 7 -> 4, decoded to 32: fc_out. */
static const double strided[N_HP] = {64, BLOCK(1, 3, 8, 2), BLOCK(1, 3, 8, 2),
                                     BLOCK(1, 3, 8, 2), DECODER};

static const struct anas_shape cifar = {3, 32, 32, 10}, mnist = {1, 28, 28, 10};

static void set(struct anas_config *cfg, const struct anas_space *s, const double *v)
{
    anas_config_init(cfg, s);
    memcpy(cfg->v, v, N_HP * sizeof *v);
}

static void table(const struct anas_space *s)
{
    static const char *const parts[] = {"depth", "kernel_size", "filters", "stride"};
    struct anas_shape d = anas_space_default_shape(s);
    int in_order = anas_space_n_hp(s) == N_HP &&
                   strcmp(anas_space_hp(s, 0)->name, "embedding_dim") == 0;
    char want[64];

    is_int(anas_space_n_hp(s), N_HP, "25 hyperparameters");
    for (int b = 0; b < 6 && in_order; b++)
        for (int p = 0; p < 4; p++) {
            snprintf(want, sizeof want, "%s_convblock%d_%s",
                     b < 3 ? "encoder" : "decoder", b % 3 + 1, parts[p]);
            in_order &= strcmp(anas_space_hp(s, 1 + 4 * b + p)->name, want) == 0;
        }
    ok(in_order, "embedding_dim, then encoder_convblock1..3 and decoder_convblock1..3 "
                 "depth/kernel_size/filters/stride, in AnalogNAS's order");
    ok(anas_space_size(s) == 134898444140544ULL, "size 6 * 168^6 = 134,898,444,140,544");
    ok(d.c == 3 && d.h == 32 && d.w == 32, "default input 3x32x32 (CIFAR)");
    ok(anas_space_hp(s, 1)->kind == ANAS_HP_INT && anas_space_hp(s, 1)->lo == 1 &&
           anas_space_hp(s, 1)->hi == 4,
       "depth is an int in 1..4, as AnalogNAS draws it");
    ok(anas_space_hp(s, 0)->n_choices == 6 && anas_space_hp(s, 0)->choices[5] == 2048,
       "embedding_dim is one of 64..2048");
}

/* Counts worked out by hand, layer by layer (weights + biases): for the
 * optimal AE on MNIST, conv 1->64 k5 1664, 64->32 k3 18464, 32->16 k7 s2
 * 25104 (14x14 code, 3136 values), fc_mu 803072, fc_dec 805952, convt
 * 16->16 k7 12560, 16->32 k3 4640, 32->64 k5 51264, pen_conv 64->1 577. */
static void references(const struct anas_space *s)
{
    static const struct {
        const char *what;
        const double *v;
        const struct anas_shape *shape;
        long long params;
    } refs[] = {
        {"optimal AE, MNIST", optimal, &mnist, 1723297},
        {"optimal AE, CIFAR", optimal, &cifar, 2220131},
        {"new_optimal AE, CIFAR", new_optimal, &cifar, 37902019},
        {"suboptimal AE, CIFAR", suboptimal, &cifar, 8335411},
        /* 80 + 584 + 584, fc_mu 8256, fc_dec 8320, 3 x 584, pen_conv 73 and
         * fc_out 1024*784 + 784 = 803600. */
        {"strides 2,2,2 on MNIST (fc_out)", strided, &mnist, 823249},
    };

    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        struct anas_config cfg;
        const struct anas_shape *sh = refs[i].shape;
        set(&cfg, s, refs[i].v);
        is_int(analytic(s, sh, &cfg, "params"), refs[i].params, "%s: %lld params",
               refs[i].what, refs[i].params);
        ok(build_agrees(s, sh, &cfg, sh->c, sh->h, sh->w, refs[i].what),
           "%s: its network agrees and reconstructs %dx%dx%d", refs[i].what, sh->c, sh->h,
           sh->w);
    }
}

/* The layer list: AnalogNAS's module names, fc_out only when applied. */
static void layers(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_layer *l = NULL;
    const struct anas_layer *x;
    int n = 0;

    set(&cfg, s, optimal);
    anas_space_layers(s, &mnist, &cfg, NULL, &l, &n, NULL);
    x = find_layer(l, n, "encoder.2.block.0");
    ok(x && x->out_c == 16 && x->out_h == 14 && x->stride == 2 && x->pad == 3,
       "encoder.2.block.0: 16 channels, 14x14, stride 2, padding 3");
    x = find_layer(l, n, "decoder.0.block.0");
    ok(x && !strcmp(x->kind, "convt2d") && x->in_c == 16 && x->out_c == 16 &&
           x->out_h == 28,
       "decoder.0.block.0 mirrors encoder block 3: convt 16 -> 16, back to 28");
    x = find_layer(l, n, "view");
    ok(x && x->in_c == 3136 && x->out_c == 16 && x->out_h == 14,
       "fc_dec's output is viewed as 16x14x14");
    ok(find_layer(l, n, "fc_out") == NULL, "no fc_out when the sizes match");
    ok(n > 0 && !strcmp(l[n - 1].name, "pen_conv") && l[n - 1].out_c == 1 &&
           l[n - 1].out_h == 28,
       "pen_conv ends it with 1x28x28");
    anas_free(l);

    set(&cfg, s, strided);
    anas_space_layers(s, &mnist, &cfg, NULL, &l, &n, NULL);
    x = find_layer(l, n, "fc_out");
    ok(x && x->in_c == 1 && x->in_h == 32 && x->out_c == 784,
       "strides 2,2,2 on 28: fc_out maps 1x32x32 to 784");
    ok(n > 0 && l[n - 1].out_c == 1 && l[n - 1].out_h == 28 && l[n - 1].out_w == 28,
       "and the output is viewed as 1x28x28");
    anas_free(l);
}

/* The decoder_* hyperparameters are sampled but change nothing built. */
static void decoder_unused(const struct anas_space *s)
{
    struct anas_config a, b;
    char ha[ANAS_HASH_LEN + 1], hb[ANAS_HASH_LEN + 1];

    set(&a, s, optimal);
    set(&b, s, optimal);
    for (int i = 13; i < N_HP; i += 4) {
        b.v[i] = 1;       /* depth */
        b.v[i + 1] = 3;   /* kernel_size */
        b.v[i + 2] = 512; /* filters */
        b.v[i + 3] = 1;   /* stride */
    }
    ok(analytic(s, &cifar, &a, "params") == analytic(s, &cifar, &b, "params") &&
           analytic(s, &cifar, &a, "macs") == analytic(s, &cifar, &b, "macs"),
       "decoder values change neither params nor MACs");
    anas_space_hash(s, &cifar, &a, ha);
    anas_space_hash(s, &cifar, &b, hb);
    ok(strcmp(ha, hb) != 0, "but they are part of the configuration (its hash)");
}

static void sampling(const struct anas_space *s)
{
    struct anas_rng rng;
    int legal = 0, decoder_set = 1, depth5 = 0;

    anas_rng_seed(&rng, 11);
    for (int i = 0; i < 2000; i++) {
        struct anas_config cfg, copy;
        anas_space_sample(s, &rng, &cfg);
        copy = cfg;
        legal += config_legal(s, &cfg) && anas_space_validate(s, &copy, NULL) == 0 &&
                 memcmp(copy.v, cfg.v, sizeof cfg.v) == 0;
        for (int j = 13; j < N_HP; j++)
            decoder_set &= cfg.v[j] != 0;
        for (int b = 0; b < 6; b++)
            depth5 += cfg.v[1 + 4 * b] == 5;
    }
    is_int(legal, 2000, "2000 samples are legal and canonical");
    ok(decoder_set, "nothing is zeroed: the decoder values are drawn too");
    is_int(depth5, 0, "depth 5 is never drawn");
}

static void random_networks(const struct anas_space *s, struct anas_shape sh, int n,
                            uint64_t seed)
{
    struct anas_rng rng;
    int good = 0;

    anas_rng_seed(&rng, seed);
    for (int i = 0; i < n; i++) {
        struct anas_config cfg;
        char what[64];
        anas_space_sample(s, &rng, &cfg);
        snprintf(what, sizeof what, "sample %d at %dx%dx%d", i, sh.c, sh.h, sh.w);
        good += build_agrees(s, &sh, &cfg, sh.c, sh.h, sh.w, what);
    }
    is_int(good, n, "%d random networks at %dx%dx%d: params == analytic, output == input",
           n, sh.c, sh.h, sh.w);
}

static void errors(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_netdef *def = NULL;
    struct anas_shape wide = {65, 32, 32, 10};
    float f[32];

    set(&cfg, s, optimal);
    cfg.v[1] = 5;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "depth 5: ERANGE");
    is_str(err.field, "encoder_convblock1_depth",
           "the error names encoder_convblock1_depth");
    cfg.v[1] = 1;
    cfg.v[10] = 4;
    is_int(anas_space_build(s, &cifar, &cfg, &def, &err), ANAS_ERANGE,
           "kernel 4: the build refuses it");
    is_str(err.field, "encoder_convblock3_kernel_size", "the error names it");
    cfg.v[10] = 7;
    cfg.v[24] = 3;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE,
           "decoder stride 3: ERANGE although unused");
    is_str(err.field, "decoder_convblock3_stride", "the error names it");
    cfg.v[24] = 2;
    cfg.v[0] = 100;
    is_int(anas_space_validate(s, &cfg, &err), ANAS_ERANGE, "embedding_dim 100: ERANGE");
    is_str(err.field, "embedding_dim", "the error names embedding_dim");
    cfg.v[0] = 256;
    is_int(anas_space_build(s, &wide, &cfg, &def, &err), ANAS_ERANGE,
           "65 channels: ERANGE");
    is_str(err.field, "input", "the error names input");
    ok(def == NULL, "no network after a failure");
    is_int(anas_space_features(s, &cfg, f, 32), ANAS_EUNSUPPORTED,
           "no surrogate features for the autoencoder");
}

int main(void)
{
    const struct anas_space *s = anas_space_find("autoencoder");

    plan_later();
    ok(s != NULL, "the autoencoder space exists");
    if (!s)
        return done();
    table(s);
    references(s);
    layers(s);
    decoder_unused(s);
    sampling(s);
    random_networks(s, cifar, 300, 1);
    random_networks(s, mnist, 100, 2);
    random_networks(s, (struct anas_shape){3, 30, 45, 10}, 50, 3);
    errors(s);
    return done();
}
