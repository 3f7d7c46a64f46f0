/*
 * space-encode.c - the numeric encoding (anas_space_encode/decode): exact
 * round trips on every registered space and a composite, codes in [0, 1]
 * with inactive ones 0, hand-worked codes, clamping and rounding on resnet
 * (out_channel0 in {8, 12, 16, 32, 48, 64}, M in 1..4, widenfact in
 * [0.5, 0.8)), and errors that name the field.
 */
#include "config.h"

#include "space/space.h"

#include <math.h>
#include <string.h>

#include "space/space_int.h"
#include "tap.h"

#define SAMPLES 3000

static const struct anas_space *resnet;
static int oc0, m, r1, r4, wf1, wf2, b1;

/* Does d hold c's values, each exactly or (ulps 1) within a double? */
static int same_values(const struct anas_space *s, const struct anas_config *c,
                       const struct anas_config *d, int ulps)
{
    for (int i = 0; i < anas_space_n_hp(s); i++)
        if (c->v[i] != d->v[i] &&
            !(ulps && (d->v[i] == nextafter(c->v[i], INFINITY) ||
                       d->v[i] == nextafter(c->v[i], -INFINITY))))
            return 0;
    return 1;
}

/* Samples of s: encode gives n_hp codes in [0, 1], inactive ones 0, and
 * decoding them gives the configuration back (exact: bit for bit; else
 * within an ulp, the encoding of a float not being one-to-one) with the
 * same codes. */
static void round_trip(const struct anas_space *s, uint64_t seed, int exact)
{
    struct anas_rng rng;
    int n = anas_space_n_hp(s), bad_rc = 0, bad_range = 0, bad_inactive = 0,
        bad_trip = 0;

    anas_rng_seed(&rng, seed);
    for (int k = 0; k < SAMPLES; k++) {
        struct anas_config c, d;
        double x[ANAS_SPACE_MAX_HP], y[ANAS_SPACE_MAX_HP];

        anas_space_sample(s, &rng, &c);
        if (anas_space_encode(s, &c, x) != n) {
            bad_rc++;
            continue;
        }
        for (int i = 0; i < n; i++) {
            bad_range += !(x[i] >= 0 && x[i] <= 1);
            bad_inactive += !anas_space_is_active(s, &c, i) && x[i] != 0;
        }
        if (anas_space_decode(s, x, &d, NULL) != 0 || d.space != s ||
            !same_values(s, &c, &d, !exact) || anas_space_encode(s, &d, y) != n ||
            memcmp(x, y, (size_t)n * sizeof(double)) != 0)
            bad_trip++;
    }
    ok(bad_rc == 0, "%s: encode returns %d for every sample (%d not)", anas_space_name(s),
       n, bad_rc);
    ok(bad_range == 0 && bad_inactive == 0,
       "%s: codes in [0, 1] (%d out), inactive ones 0 (%d not)", anas_space_name(s),
       bad_range, bad_inactive);
    ok(bad_trip == 0, "%s: decode(encode(c)) == c%s with the same codes, %d samples (%d not)",
       anas_space_name(s), exact ? "" : " within an ulp", SAMPLES, bad_trip);
}

/* A float whose naive inverse, lo + x * (hi - lo), misses about one value
 * in a hundred by an ulp, and whose encoding maps a few pairs of
 * neighbouring doubles to one code. */
static const struct anas_hp lr_hps[] = {
    {"lr", ANAS_HP_FLOAT, 0.001, 0.1, 0, NULL, 0, "learning rate"},
};

static const struct anas_space lr_space = {
    .name = "lr",
    .description = "one float",
    .n_hp = 1,
    .hp = lr_hps,
    .default_shape = {1, 1, 1, 1},
};

static void test_round_trips(void)
{
    static const double lrs[] = {0.001, 0.01, 0.1};
    static const double bss[] = {32, 64, 128, 256};
    const char *const names[] = {"train.lr", "train.batch_size"};
    const int n_choices[] = {3, 4};
    const double *const choices[] = {lrs, bss};
    const struct anas_space *comp;

    for (int i = 0; i < anas_space_count(); i++)
        round_trip(anas_space_at(i), 100 + (uint64_t)i, 1);
    round_trip(&lr_space, 98, 0);
    comp = anas_space_compose(resnet, 2, names, n_choices, choices, NULL);
    ok(comp != NULL, "a composite of resnet");
    if (comp)
        round_trip(comp, 99, 1);
    else
        for (int i = 0; i < 3; i++)
            ok(0, "no composite");
}

/* A resnet configuration with M = 3: oc0 16, R1 15, R2 0, widenfact1 0.65,
 * B1 4; group 4 holds a stray 7 that encode must not see. */
static void test_codes(void)
{
    struct anas_config c;
    double x[ANAS_SPACE_MAX_HP];

    anas_config_init(&c, resnet);
    c.v[oc0] = 16;
    c.v[m] = 3;
    c.v[r1] = 15;
    c.v[r1 + 1] = 0;
    c.v[r1 + 2] = 5;
    for (int j = 0; j < 3; j++) {
        c.v[wf1 + 3 * j] = 0.65;
        c.v[wf1 + 3 * j - 1] = 1 + (j == 1);
        c.v[b1 + 3 * j] = 4 - j;
    }
    c.v[r4] = 7;
    is_int(anas_space_encode(resnet, &c, x), 22, "resnet encodes 22 values");
    is_near(x[oc0], 0.4, 1e-15, "out_channel0 16 is choice 2 of 0..5: 0.4");
    is_near(x[m], 2.0 / 3, 1e-15, "M 3 in 1..4: 2/3");
    ok(x[r1] == 1.0 && x[r1 + 1] == 0.0 && x[r1 + 2] == 1.0 / 3,
       "R1 15 in 1..15 is 1, R2 0 in 0..15 is 0, R3 5 is 1/3");
    is_near(x[wf1], 0.5, 1e-15, "widenfact1 0.65 in [0.5, 0.8): 0.5");
    ok(x[wf1 - 1] == 0.0 && x[wf2 - 1] == 1.0, "convblock 1 is 0, convblock 2 is 1");
    ok(x[b1] == 1.0 && x[b1 + 3] == 2.0 / 3 && x[b1 + 6] == 1.0 / 3,
       "B 4, 3, 2 in 1..4: 1, 2/3, 1/3");
    ok(x[r4] == 0.0 && x[r4 + 1] == 0.0 && x[wf1 + 9] == 0.0 && x[b1 + 12] == 0.0,
       "groups 4 and 5 are inactive: 0 (the stray R4 = 7 too)");

    c.v[oc0] = 10;
    is_int(anas_space_encode(resnet, &c, x), ANAS_EINVAL, "out_channel0 10: ANAS_EINVAL");
    c.v[oc0] = 16;
    c.v[wf1] = 0.8;
    is_int(anas_space_encode(resnet, &c, x), ANAS_EINVAL, "widenfact 0.8: ANAS_EINVAL");
    is_int(anas_space_encode(resnet, NULL, x), ANAS_EINVAL, "no configuration");
    c.space = anas_space_find("lenet");
    is_int(anas_space_encode(resnet, &c, x), ANAS_EINVAL,
           "a configuration of another space: ANAS_EINVAL");
}

static double decode_hp(int i, double xi, int mval)
{
    double x[ANAS_SPACE_MAX_HP] = {0};
    struct anas_config c;
    struct anas_error err = {0};

    x[m] = (mval - 1) / 3.0;
    x[i] = xi;
    if (anas_space_decode(resnet, x, &c, &err) != 0)
        return NAN;
    return c.v[i];
}

static void test_rounding(void)
{
    /* out_channel0: x * 5 rounded to the nearest index, halves up. */
    ok(decode_hp(oc0, 0.0, 1) == 8 && decode_hp(oc0, 0.09, 1) == 8 &&
           decode_hp(oc0, 0.11, 1) == 12 && decode_hp(oc0, 0.49, 1) == 16 &&
           decode_hp(oc0, 0.5, 1) == 32 && decode_hp(oc0, 0.69, 1) == 32 &&
           decode_hp(oc0, 0.71, 1) == 48 && decode_hp(oc0, 1.0, 1) == 64,
       "out_channel0: 0 -> 8, .09 -> 8, .11 -> 12, .49 -> 16, .5 -> 32, .69 -> 32, "
       ".71 -> 48, 1 -> 64");
    ok(decode_hp(oc0, -3, 1) == 8 && decode_hp(oc0, 7, 1) == 64 &&
           decode_hp(oc0, -INFINITY, 1) == 8 && decode_hp(oc0, INFINITY, 1) == 64,
       "out_channel0 clamps: -3, -inf -> 8; 7, +inf -> 64");
    /* M: 1 + x * 3 rounded. */
    ok(decode_hp(m, 0.16, 1) == 1 && decode_hp(m, 0.17, 1) == 2 &&
           decode_hp(m, 0.5, 1) == 3 && decode_hp(m, 0.84, 1) == 4 &&
           decode_hp(m, 2.0, 1) == 4,
       "M: .16 -> 1, .17 -> 2, .5 -> 3 (1.5 rounds up), .84 -> 4, 2 -> 4");
    ok(decode_hp(r1, 0.5, 1) == 8 && decode_hp(r1 + 1, 0.5, 2) == 8 &&
           decode_hp(r1 + 1, 0.03, 2) == 0 && decode_hp(r1 + 1, 0.04, 2) == 1,
       "R1: .5 -> 1 + 7 = 8; R2: .5 -> 7.5 rounds to 8, .03 -> 0, .04 -> 1");
    ok(decode_hp(wf1, 0.0, 1) == 0.5 && decode_hp(wf1, -1, 1) == 0.5,
       "widenfact1: 0 and below -> 0.5");
    ok(decode_hp(wf1, 1.0, 1) == nextafter(0.8, 0) && decode_hp(wf1, 5, 1) < 0.8,
       "widenfact1: 1 and above -> the largest double below 0.8");
    is_near(decode_hp(wf1, 0.5, 1), 0.65, 1e-15, "widenfact1: 0.5 -> 0.65");
    ok(decode_hp(wf2, 0.5, 1) == 0 && decode_hp(r4, 1, 3) == 0 &&
           decode_hp(wf2, 0.5, 2) == decode_hp(wf1, 0.5, 1),
       "inactive groups decode to 0 (group 2 at M 1, R4 at M 3), active ones do not");
}

/* A space whose cross-hyperparameter check rejects a > b, naming b. */
static const struct anas_hp ab_hps[] = {
    {"a", ANAS_HP_INT, 0, 4, 0, NULL, 1, "a"},
    {"b", ANAS_HP_INT, 0, 4, 0, NULL, 1, "b"},
};

static int ab_check(const struct anas_config *cfg, struct anas_error *err)
{
    if (cfg->v[0] > cfg->v[1])
        return anas_error_field(err, ANAS_ERANGE, "b", "b must be at least a");
    return 0;
}

static const struct anas_space ab_space = {
    .name = "ab",
    .description = "a <= b",
    .n_hp = 2,
    .hp = ab_hps,
    .default_shape = {1, 1, 1, 1},
    .validate_extra = ab_check,
};

static void test_errors(void)
{
    double x[ANAS_SPACE_MAX_HP] = {0};
    struct anas_config c, before;
    struct anas_error err = {0};

    x[m] = NAN;
    memset(&before, 0x5a, sizeof before);
    c = before;
    is_int(anas_space_decode(resnet, x, &c, &err), ANAS_EINVAL, "a NaN code: ANAS_EINVAL");
    is_str(err.field, "M", "naming the field");
    ok(memcmp(&c, &before, sizeof c) == 0, "the output is untouched on error");
    x[m] = 0;
    is_int(anas_space_decode(resnet, NULL, &c, &err), ANAS_EINVAL, "no codes: ANAS_EINVAL");

    x[0] = 0.75; /* a = 3 */
    x[1] = 0.5;  /* b = 2 */
    is_int(anas_space_decode(&ab_space, x, &c, &err), ANAS_ERANGE,
           "a cross-hyperparameter failure comes back");
    is_str(err.field, "b", "naming the space's field");
    x[1] = 0.76; /* b = 3 */
    ok(anas_space_decode(&ab_space, x, &c, &err) == 0 && c.v[0] == 3 && c.v[1] == 3,
       "a = 3, b = 3 decodes");
}

int main(void)
{
    resnet = anas_space_find("resnet");
    if (!resnet) {
        printf("Bail out! no resnet space\n");
        return 1;
    }
    oc0 = anas_space_hp_index(resnet, "out_channel0");
    m = anas_space_hp_index(resnet, "M");
    r1 = anas_space_hp_index(resnet, "R1");
    r4 = anas_space_hp_index(resnet, "R4");
    wf1 = anas_space_hp_index(resnet, "widenfact1");
    wf2 = anas_space_hp_index(resnet, "widenfact2");
    b1 = anas_space_hp_index(resnet, "B1");
    plan(3 * anas_space_count() + 7 + 12 + 8 + 7);
    test_round_trips();
    test_codes();
    test_rounding();
    test_errors();
    return done();
}
