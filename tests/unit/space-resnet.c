/*
 * space-resnet.c - the resnet space: registry, table, size, sampling,
 * validation, canonical text and hash, layers and analytic metrics.
 */
#include "config.h"

#include "space/space.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "tap.h"

#define N_HP      22
#define N_SAMPLES 10000

static const char *const names[N_HP] = {
    "out_channel0", "M",          "R1",         "R2", "R3",         "R4",
    "R5",           "convblock1", "widenfact1", "B1", "convblock2", "widenfact2",
    "B2",           "convblock3", "widenfact3", "B3", "convblock4", "widenfact4",
    "B4",           "convblock5", "widenfact5", "B5",
};

/* The tutorial's best architecture (AnalogNAS_Tutorial.ipynb). */
static const double tutorial[N_HP] = {12, 4, 3,
                                      2,  0, 3,
                                      0,  1, 0.6678630624951394,
                                      3,  2, 0.7645261432799274,
                                      1,  2, 0.6605427081799845,
                                      1,  1, 0.5282750895121485,
                                      2,  0, 0,
                                      0};

static const struct anas_shape cifar = {3, 32, 32, 10};

static void tutorial_cfg(const struct anas_space *s, struct anas_config *cfg)
{
    anas_config_init(cfg, s);
    memcpy(cfg->v, tutorial, sizeof tutorial);
}

/* The group (1..5) of hyperparameter i, 0 for out_channel0 and M. */
static int group_of(int i)
{
    if (i >= 2 && i <= 6)
        return i - 1;
    return i >= 7 ? (i - 7) / 3 + 1 : 0;
}

static void registry(const struct anas_space *s)
{
    int in_order = 1;

    ok(anas_space_count() >= 1, "at least one space is registered");
    ok(anas_space_at(0) != NULL && anas_space_at(anas_space_count()) == NULL,
       "anas_space_at is bounded");
    ok(anas_space_find("no-such-space") == NULL, "unknown name: NULL");
    is_str(anas_space_name(s), "resnet", "name");
    ok(strlen(anas_space_description(s)) > 20, "has a description");
    is_int(anas_space_n_hp(s), N_HP, "22 hyperparameters");
    for (int i = 0; i < N_HP; i++)
        in_order &=
            anas_space_hp(s, i) && strcmp(anas_space_hp(s, i)->name, names[i]) == 0;
    ok(in_order, "in AnalogNAS's order");
    ok(anas_space_hp(s, N_HP) == NULL && anas_space_hp(s, -1) == NULL,
       "anas_space_hp is bounded");
    is_int(anas_space_hp_index(s, "B5"), 21, "B5 is the last");
    is_int(anas_space_hp_index(s, "B6"), -1, "unknown hyperparameter: -1");
    ok(anas_space_size(s) == UINT64_C(773094113280), "size is 773,094,113,280");
}

static void shapes(const struct anas_space *s)
{
    struct anas_shape d = anas_space_default_shape(s), bad;
    struct anas_error err;

    ok(d.c == 3 && d.h == 32 && d.w == 32 && d.classes == 10,
       "default shape is CIFAR-10");
    is_int(anas_space_check_shape(s, &d, &err), 0, "the default shape is buildable");
    bad = d, bad.c = 0;
    ok(anas_space_check_shape(s, &bad, &err) == ANAS_ERANGE &&
           !strcmp(err.field, "input"),
       "0 channels: ERANGE on input");
    bad = d, bad.h = 11;
    ok(anas_space_check_shape(s, &bad, &err) == ANAS_ERANGE &&
           !strcmp(err.field, "input"),
       "height 11: ERANGE on input (%s)", err.msg);
    bad = d, bad.w = 4097;
    ok(anas_space_check_shape(s, &bad, &err) == ANAS_ERANGE, "width 4097: ERANGE");
    bad = d, bad.classes = 0;
    ok(anas_space_check_shape(s, &bad, &err) == ANAS_ERANGE &&
           !strcmp(err.field, "classes"),
       "0 classes: ERANGE on classes");
    bad = d, bad.c = 1, bad.h = 12, bad.w = 12, bad.classes = 1;
    is_int(anas_space_check_shape(s, &bad, &err), 0, "1x12x12, 1 class is the smallest");
}

/* Is v a legal value of hp? */
static int legal(const struct anas_hp *hp, double v)
{
    if (hp->kind == ANAS_HP_FLOAT)
        return v >= hp->lo && v < hp->hi;
    if (hp->kind == ANAS_HP_INT)
        return v == floor(v) && v >= hp->lo && v <= hp->hi;
    for (int k = 0; k < hp->n_choices; k++)
        if (v == hp->choices[k])
            return 1;
    return 0;
}

/* Index of v among the values an integer hyperparameter can take. */
static int value_slot(const struct anas_hp *hp, double v)
{
    if (hp->kind == ANAS_HP_INT)
        return (int)(v - hp->lo);
    for (int k = 0; k < hp->n_choices; k++)
        if (v == hp->choices[k])
            return k;
    return -1;
}

static void sampling(const struct anas_space *s)
{
    static int seen[N_HP][16];
    struct anas_rng rng;
    struct anas_config cfg, copy;
    int in_range = 1, zeroed = 1, valid = 1, all_seen = 1;

    anas_rng_seed(&rng, 2024);
    is_int(anas_space_sample(s, &rng, &cfg), 0, "sample");
    for (int n = 0; n < N_SAMPLES; n++) {
        anas_space_sample(s, &rng, &cfg);
        for (int i = 0; i < N_HP; i++) {
            const struct anas_hp *hp = anas_space_hp(s, i);
            if (group_of(i) > cfg.v[1]) {
                zeroed &= cfg.v[i] == 0;
                continue;
            }
            in_range &= legal(hp, cfg.v[i]);
            if (hp->kind != ANAS_HP_FLOAT && legal(hp, cfg.v[i]))
                seen[i][value_slot(hp, cfg.v[i])] = 1;
        }
        copy = cfg;
        valid &=
            anas_space_validate(s, &copy, NULL) == 0 && !memcmp(&copy, &cfg, sizeof cfg);
    }
    ok(cfg.space == s, "a sample belongs to its space");
    ok(in_range, "%d samples: active values within the sampled ranges", N_SAMPLES);
    ok(zeroed, "groups beyond M are zeroed (group 5 always)");
    ok(valid, "samples validate unchanged");
    for (int i = 0; i < N_HP; i++) {
        const struct anas_hp *hp = anas_space_hp(s, i);
        int k = hp->kind == ANAS_HP_INT ? (int)(hp->hi - hp->lo) + 1 : hp->n_choices;
        if (group_of(i) == 5 || hp->kind == ANAS_HP_FLOAT)
            continue;
        for (int j = 0; j < k; j++)
            if (!seen[i][j]) {
                all_seen = 0;
                printf("# %s never took its value #%d\n", hp->name, j);
            }
    }
    ok(all_seen, "every value of each choice and integer was drawn");
}

/* Validate a copy of the tutorial config with hyperparameter `name` set to v. */
static int try_value(const struct anas_space *s, const char *name, double v,
                     struct anas_error *err)
{
    struct anas_config cfg;

    tutorial_cfg(s, &cfg);
    cfg.v[anas_space_hp_index(s, name)] = v;
    anas_error_clear(err);
    return anas_space_validate(s, &cfg, err);
}

static void rejects(const struct anas_space *s, const char *name, double v, int code)
{
    struct anas_error err;
    int rc = try_value(s, name, v, &err);

    ok(rc == code && strcmp(err.field, name) == 0 && strstr(err.msg, name) == err.msg,
       "%s = %g: %s naming the field", name, v, anas_err_name(code));
    if (rc != code || strcmp(err.field, name) != 0)
        printf("#   got %s, field \"%s\", \"%s\"\n", anas_err_name(rc), err.field,
               err.msg);
}

static void validation(const struct anas_space *s)
{
    struct anas_error err;
    struct anas_config cfg, before;

    is_int(try_value(s, "M", 5, &err), ANAS_ERANGE, "M = 5 is out of range");
    is_str(err.msg, "M must be an integer in 1..4 (got 5)", "... with a clear message");
    rejects(s, "M", 0, ANAS_ERANGE);
    rejects(s, "M", 2.5, ANAS_EINVAL);
    rejects(s, "M", NAN, ANAS_EINVAL);
    rejects(s, "out_channel0", 10, ANAS_ERANGE);
    rejects(s, "R1", 0, ANAS_ERANGE);
    rejects(s, "R4", 16, ANAS_ERANGE);
    rejects(s, "R2", 1.5, ANAS_EINVAL);
    rejects(s, "convblock1", 3, ANAS_ERANGE);
    rejects(s, "widenfact2", 0.8, ANAS_ERANGE);
    rejects(s, "widenfact3", 0.49, ANAS_ERANGE);
    rejects(s, "widenfact4", NAN, ANAS_EINVAL);
    rejects(s, "widenfact1", INFINITY, ANAS_EINVAL);
    rejects(s, "B4", 0, ANAS_ERANGE);
    is_int(try_value(s, "widenfact1", 0.5, &err), 0, "widenfact 0.5 is allowed");
    is_int(try_value(s, "R5", NAN, &err), 0, "anything goes in an inactive group");
    is_int(try_value(s, "R3", 0, &err), 0, "R = 0 is fine for an active group >= 2");

    try_value(s, "out_channel0", 7, &err);
    is_str(err.msg, "out_channel0 must be one of 8, 12, 16, 32, 48, 64 (got 7)",
           "choice message lists the choices");
    try_value(s, "widenfact1", 0.9, &err);
    is_str(err.msg, "widenfact1 must be a number in [0.5, 0.8) (got 0.9)",
           "float message gives the half-open range");

    tutorial_cfg(s, &cfg);
    cfg.v[1] = 2;
    cfg.v[20] = NAN;
    before = cfg;
    ok(anas_space_validate(s, &cfg, NULL) == 0, "M = 2 validates");
    ok(cfg.v[4] == 0 && cfg.v[5] == 0 && cfg.v[13] == 0 && cfg.v[14] == 0 &&
           cfg.v[18] == 0 && cfg.v[20] == 0 && cfg.v[3] == before.v[3] &&
           cfg.v[11] == before.v[11],
       "validation zeroes the groups beyond M and keeps the rest");
    ok(!anas_space_is_active(s, &cfg, 4) && anas_space_is_active(s, &cfg, 3) &&
           anas_space_is_active(s, &cfg, 1) && !anas_space_is_active(s, &cfg, 99),
       "is_active follows M");

    tutorial_cfg(s, &cfg);
    cfg.v[1] = 9;
    cfg.v[19] = 5;
    before = cfg;
    ok(anas_space_validate(s, &cfg, NULL) < 0 && !memcmp(&cfg, &before, sizeof cfg),
       "a rejected configuration is left untouched");
}

static const char *tutorial_text =
    "resnet;input=3x32x32;classes=10;out_channel0=12;M=4;R1=3;R2=2;R3=0;R4=3;R5=0;"
    "convblock1=1;widenfact1=0.6678630624951394;B1=3;"
    "convblock2=2;widenfact2=0.7645261432799274;B2=1;"
    "convblock3=2;widenfact3=0.6605427081799845;B3=1;"
    "convblock4=1;widenfact4=0.5282750895121485;B4=2;"
    "convblock5=0;widenfact5=0;B5=0";

static int hash_of(const struct anas_space *s, const struct anas_shape *shape,
                   const struct anas_config *cfg, char out[ANAS_HASH_LEN + 1])
{
    return anas_space_hash(s, shape, cfg, out);
}

/* A different legal value for a hyperparameter now at v. */
static double other_value(const struct anas_hp *hp, double v)
{
    if (hp->kind == ANAS_HP_FLOAT)
        return nextafter(v, hp->hi);
    if (hp->kind == ANAS_HP_INT)
        return v < hp->hi ? v + 1 : v - 1;
    return v == hp->choices[0] ? hp->choices[1] : hp->choices[0];
}

static void canonical_and_hash(const struct anas_space *s)
{
    struct anas_config cfg, other;
    struct anas_shape shape = cifar;
    char text[1024], h1[ANAS_HASH_LEN + 1], h2[ANAS_HASH_LEN + 1];
    int len, all_differ = 1, hex = 1;

    tutorial_cfg(s, &cfg);
    len = anas_space_canonical(s, &cifar, &cfg, text, sizeof text);
    is_str(text, tutorial_text, "canonical text of the tutorial's best");
    is_int(len, (long long)strlen(tutorial_text), "... and its length");
    is_int(anas_space_canonical(s, &cifar, &cfg, text, 20), ANAS_ELIMIT,
           "a short buffer: ELIMIT");

    hash_of(s, &cifar, &cfg, h1);
    hash_of(s, &cifar, &cfg, h2);
    is_str(h1, h2, "the hash is stable");
    for (int i = 0; i < ANAS_HASH_LEN; i++)
        hex &= (h1[i] >= '0' && h1[i] <= '9') || (h1[i] >= 'a' && h1[i] <= 'f');
    ok(hex && strlen(h1) == ANAS_HASH_LEN, "16 lower-case hex digits (%s)", h1);

    for (int i = 0; i < N_HP; i++) {
        if (!anas_space_is_active(s, &cfg, i))
            continue;
        other = cfg;
        other.v[i] = other_value(anas_space_hp(s, i), cfg.v[i]);
        hash_of(s, &cifar, &other, h2);
        if (!strcmp(h1, h2)) {
            all_differ = 0;
            printf("# changing %s leaves the hash\n", names[i]);
        }
    }
    ok(all_differ, "changing any active value changes the hash");
    other = cfg;
    other.v[21] = 3;
    hash_of(s, &cifar, &other, h2);
    is_str(h2, h1, "an inactive value does not change the hash");

    all_differ = 1;
    for (int k = 0; k < 4; k++) {
        int *field[4] = {&shape.c, &shape.h, &shape.w, &shape.classes};
        shape = cifar;
        (*field[k])++;
        hash_of(s, &shape, &cfg, h2);
        all_differ &= strcmp(h1, h2) != 0;
    }
    ok(all_differ, "changing the shape changes the hash");
}

static const struct anas_layer *layer(const struct anas_layer *l, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(l[i].name, name))
            return &l[i];
    return NULL;
}

static void layers(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_layer *l = NULL;
    const struct anas_layer *x;
    int n = 0, rc;
    long long params = 0;

    tutorial_cfg(s, &cfg);
    rc = anas_space_layers(s, &cifar, &cfg, &anas_mapping_default, &l, &n, NULL);
    ok(rc == 0 && n > 0, "layers of the tutorial's best (%d)", n);
    if (rc < 0)
        return;
    ok(!strcmp(l[0].name, "stem.conv") && !strcmp(l[0].kind, "conv2d") &&
           l[0].kernel == 7 && l[0].out_h == 28 && l[0].out_c == 12,
       "the stem is a 7x7 conv, 32 -> 28");
    is_int(l[0].macs, 12LL * 28 * 28 * 3 * 49, "stem MACs = Cout*Hout*Wout*Cin*k*k");
    x = layer(l, n, "g1.b1.skip.conv_a");
    ok(x && x->in_c == 12 && x->out_c == 8 && x->kernel == 1, "skip conv_a: 12 -> 17/2");
    x = layer(l, n, "g1.b1.skip.conv_b");
    ok(x && x->out_c == 9, "skip conv_b: 12 -> ceil(17/2)");
    ok(layer(l, n, "g1.b2.skip.relu") == NULL && layer(l, n, "g1.b2.add") != NULL,
       "identity skip once the width is reached");
    ok(layer(l, n, "g1.b1.br3.conv2") && !layer(l, n, "g1.b1.br4.relu1"),
       "B1 = 3 parallel branches");
    ok(layer(l, n, "g3.b1.add") && !layer(l, n, "g3.b2.add"),
       "R3 = 0 still builds one block");
    x = layer(l, n, "head.fc");
    ok(x && !strcmp(x->kind, "linear") && x->params == 27342LL * 10 + 10 &&
           x->tiles == 54,
       "head.fc: 27342 -> 10, ceil(27342/512) tiles");
    x = layer(l, n, "head.pool");
    ok(x && x->kernel == 8 && x->stride == 1 && x->out_h == 21, "8x8 stride-1 pool");
    for (int i = 0; i < n; i++)
        params += l[i].params;
    is_int(params, 741324, "layer params sum to 741,324");
    anas_free(l);
}

static double metric(const struct anas_metrics *m, const char *name)
{
    double v = NAN;

    anas_metrics_get(m, name, &v);
    return v;
}

static void analytic(const struct anas_space *s)
{
    struct anas_config cfg;
    struct anas_metrics m;
    struct anas_mapping small = {64, 64}, zero = {0, 512};
    struct anas_error err;
    float f[N_HP];
    double util;
    int same = 1;

    tutorial_cfg(s, &cfg);
    anas_metrics_init(&m);
    is_int(anas_space_analytic(s, &cifar, &cfg, NULL, &m, NULL), 0, "analytic metrics");
    is_near(metric(&m, "params"), 741324, 0, "params");
    is_near(metric(&m, "nb_convs"), 3 * 3 * 2 + 2 * 1 * 3 + 0 + 3 * 2 * 2, 0,
            "nb_convs = sum R*B*(2 or 3)");
    ok(metric(&m, "macs") > metric(&m, "params"), "macs exceed params for a conv net");
    util = metric(&m, "tile_util");
    ok(util > 0 && util <= 1, "tile_util in (0, 1] (%g)", util);
    ok(metric(&m, "tiles") >= 1, "tiles counted (%g)", metric(&m, "tiles"));

    anas_metrics_init(&m);
    anas_space_analytic(s, &cifar, &cfg, &small, &m, NULL);
    ok(metric(&m, "tiles") > 54, "smaller tiles, more of them (%g)", metric(&m, "tiles"));
    ok(anas_space_analytic(s, &cifar, &cfg, &zero, &m, &err) == ANAS_ERANGE &&
           !strcmp(err.field, "mapping"),
       "tile size 0: ERANGE on mapping");
    cfg.v[1] = 7;
    ok(anas_space_analytic(s, &cifar, &cfg, NULL, &m, &err) == ANAS_ERANGE &&
           !strcmp(err.field, "M"),
       "an invalid config is refused, naming the field");

    tutorial_cfg(s, &cfg);
    is_int(anas_space_features(s, &cfg, f, N_HP), N_HP, "22 features");
    for (int i = 0; i < N_HP; i++)
        same &= f[i] == (float)tutorial[i];
    ok(same, "features are the values, in order");
    is_int(anas_space_features(s, &cfg, f, N_HP - 1), ANAS_ELIMIT, "no room: ELIMIT");
}

int main(void)
{
    const struct anas_space *s = anas_space_find("resnet");

    plan_later();
    ok(s != NULL, "resnet is registered");
    if (!s)
        return done();
    registry(s);
    shapes(s);
    sampling(s);
    validation(s);
    canonical_and_hash(s);
    layers(s);
    analytic(s);
    return done();
}
