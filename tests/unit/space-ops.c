/*
 * space-ops.c - the space operators optimizers use (lib/space/ops.c): on
 * every registered space and a composite, mutations and crossovers are
 * valid and canonical, a mutation is one neighbour move, a crossover child
 * takes its values from its parents; the same seed gives the same
 * results; the grid of rpu and mlp, counted by hand, in a stable order.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "space/space.h"
#include "tap.h"

#define WALK 3000

static int n_spaces;
static const struct anas_space *spaces[16];

static int same(const struct anas_space *s, const struct anas_config *a,
                const struct anas_config *b)
{
    for (int i = 0; i < anas_space_n_hp(s); i++)
        if (a->v[i] != b->v[i])
            return 0;
    return 1;
}

/* Valid, and already canonical: validation changes nothing. */
static int canonical(const struct anas_space *s, const struct anas_config *cfg)
{
    struct anas_config copy = *cfg;

    return anas_space_validate(s, &copy, NULL) == 0 && same(s, &copy, cfg);
}

static int choice_index(const struct anas_hp *hp, double v)
{
    for (int k = 0; k < hp->n_choices; k++)
        if (hp->choices[k] == v)
            return k;
    return -1;
}

/* Is `to` one neighbour move from `from` for hyperparameter hp? */
static int is_step(const struct anas_hp *hp, double from, double to)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return abs(choice_index(hp, from) - choice_index(hp, to)) == 1;
    case ANAS_HP_INT:
        return fabs(from - to) == 1;
    case ANAS_HP_FLOAT:
        break;
    }
    return from != to && to >= hp->lo && to < hp->hi;
}

/* How many hyperparameters active in both differ; the one that does in
 * *which. */
static int moves(const struct anas_space *s, const struct anas_config *a,
                 const struct anas_config *b, int *which)
{
    int n = 0;

    for (int i = 0; i < anas_space_n_hp(s); i++) {
        int in_a = anas_space_is_active(s, a, i), in_b = anas_space_is_active(s, b, i);
        if (in_a && in_b && a->v[i] != b->v[i]) {
            n++;
            *which = i;
        }
    }
    return n;
}

static void test_mutate(const struct anas_space *s)
{
    struct anas_rng rng;
    struct anas_config cur, next;
    int bad_valid = 0, bad_one = 0, bad_step = 0, rc_bad = 0;
    int moved[ANAS_SPACE_MAX_HP] = {0}, active[ANAS_SPACE_MAX_HP] = {0}, never = 0;

    anas_rng_seed(&rng, 7);
    anas_space_sample(s, &rng, &cur);
    for (int t = 0; t < WALK; t++) {
        int which = -1;
        /* Half a random walk, half fresh samples, to see every region. */
        if (t % 2)
            anas_space_sample(s, &rng, &cur);
        rc_bad += anas_space_mutate(s, &rng, &cur, 0.1, &next) != 0;
        bad_valid += !canonical(s, &next);
        bad_one += moves(s, &cur, &next, &which) != 1;
        for (int i = 0; i < anas_space_n_hp(s); i++)
            active[i] |= anas_space_is_active(s, &cur, i);
        if (which >= 0) {
            bad_step += !is_step(anas_space_hp(s, which), cur.v[which], next.v[which]);
            moved[which]++;
        }
        cur = next;
    }
    for (int i = 0; i < anas_space_n_hp(s); i++)
        never += active[i] && moved[i] == 0;
    ok(rc_bad == 0 && bad_valid == 0, "%s: %d mutations, all valid and canonical",
       anas_space_name(s), WALK);
    is_int(bad_one, 0, "%s: each changes exactly one hyperparameter active before and after",
           anas_space_name(s));
    is_int(bad_step, 0, "%s: to an adjacent choice, an INT by +-1, a FLOAT within its range",
           anas_space_name(s));
    is_int(never, 0, "%s: every hyperparameter ever active moves sometimes", anas_space_name(s));
}

/* Every active value of the child comes from a parent that has it active,
 * unless neither does. */
static int inherited(const struct anas_space *s, const struct anas_config *a,
                     const struct anas_config *b, const struct anas_config *c, int *from_a,
                     int *differ)
{
    for (int i = 0; i < anas_space_n_hp(s); i++) {
        int in_a = anas_space_is_active(s, a, i), in_b = anas_space_is_active(s, b, i);
        if (!anas_space_is_active(s, c, i) || (!in_a && !in_b))
            continue;
        if (!((in_a && c->v[i] == a->v[i]) || (in_b && c->v[i] == b->v[i])))
            return 0;
        if (in_a && in_b && a->v[i] != b->v[i]) {
            (*differ)++;
            *from_a += c->v[i] == a->v[i];
        }
    }
    return 1;
}

static void test_crossover(const struct anas_space *s)
{
    struct anas_rng rng;
    struct anas_config a, b, c;
    int bad_valid = 0, bad_from = 0, from_a = 0, differ = 0;

    anas_rng_seed(&rng, 11);
    for (int t = 0; t < WALK; t++) {
        anas_space_sample(s, &rng, &a);
        anas_space_sample(s, &rng, &b);
        if (anas_space_crossover(s, &rng, &a, &b, &c) != 0 || !canonical(s, &c))
            bad_valid++;
        bad_from += !inherited(s, &a, &b, &c, &from_a, &differ);
    }
    ok(bad_valid == 0, "%s: %d crossovers, all valid and canonical", anas_space_name(s),
       WALK);
    is_int(bad_from, 0, "%s: each active value from a parent that has it",
           anas_space_name(s));
    ok(differ > 1000 && fabs((double)from_a / differ - 0.5) < 0.05,
       "%s: where the parents differ, half the values from each (%d of %d)",
       anas_space_name(s), from_a, differ);
}

static void test_reproducible(void)
{
    const struct anas_space *s = anas_space_find("resnet");
    struct anas_rng r1, r2, r3;
    struct anas_config a1, a2, a3, b1, b2, b3;
    int same12 = 1, same13 = 1;

    anas_rng_seed(&r1, 5);
    anas_rng_seed(&r2, 5);
    anas_rng_seed(&r3, 6);
    anas_space_sample(s, &r1, &a1);
    anas_space_sample(s, &r2, &a2);
    anas_space_sample(s, &r3, &a3);
    b1 = a1, b2 = a2, b3 = a3;
    for (int t = 0; t < 200; t++) {
        anas_space_mutate(s, &r1, &a1, 0.1, &a1);
        anas_space_mutate(s, &r2, &a2, 0.1, &a2);
        anas_space_mutate(s, &r3, &a3, 0.1, &a3);
        anas_space_crossover(s, &r1, &a1, &b1, &b1);
        anas_space_crossover(s, &r2, &a2, &b2, &b2);
        anas_space_crossover(s, &r3, &a3, &b3, &b3);
        same12 &= same(s, &a1, &a2) && same(s, &b1, &b2);
        same13 &= same(s, &a1, &a3) && same(s, &b1, &b3);
    }
    ok(same12, "the same seed gives the same mutations and crossovers (out aliasing in)");
    ok(!same13, "another seed gives others");
}

static void test_errors(void)
{
    const struct anas_space *s = anas_space_find("resnet");
    struct anas_rng rng;
    struct anas_config a, b, out;
    int floats = 0;

    anas_rng_seed(&rng, 3);
    anas_space_sample(s, &rng, &a);
    is_int(anas_space_mutate(s, &rng, &a, -0.1, &out), ANAS_EINVAL, "sigma < 0: ANAS_EINVAL");
    is_int(anas_space_mutate(s, &rng, &a, NAN, &out), ANAS_EINVAL, "sigma NAN: ANAS_EINVAL");
    is_int(anas_space_mutate(NULL, &rng, &a, 0.1, &out), ANAS_EINVAL, "no space: ANAS_EINVAL");
    b = a;
    b.v[1] = 9; /* M = 9 */
    is_int(anas_space_mutate(s, &rng, &b, 0.1, &out), ANAS_EINVAL,
           "an invalid parent: ANAS_EINVAL");
    is_int(anas_space_crossover(s, &rng, &a, &b, &out), ANAS_EINVAL,
           "an invalid second parent: ANAS_EINVAL");
    for (int t = 0; t < 2000; t++) {
        int which = -1;
        anas_space_sample(s, &rng, &a);
        anas_space_mutate(s, &rng, &a, 0, &out);
        moves(s, &a, &out, &which);
        floats += which >= 0 && anas_space_hp(s, which)->kind == ANAS_HP_FLOAT;
    }
    is_int(floats, 0, "sigma 0: a FLOAT never moves");
}

/* Count the grid by walking it: distinct, canonical, in order. */
static long long walk_grid(const struct anas_space *s, int steps, struct anas_config *keep,
                           int n_keep, int *all_valid, int *distinct)
{
    struct anas_config cfg, *seen = anas_calloc(4096, sizeof(*seen));
    long long pos = 0, n = 0, last = 0;

    *all_valid = 1, *distinct = 1;
    while (seen && anas_space_grid_next(s, steps, &pos, &cfg) == 1) {
        *all_valid &= canonical(s, &cfg) && pos > last;
        last = pos;
        for (long long k = 0; k < n && k < 4096; k++)
            *distinct &= !same(s, &seen[k], &cfg);
        if (n < 4096)
            seen[n] = cfg;
        if (n < n_keep)
            keep[n] = cfg;
        n++;
    }
    anas_free(seen);
    return n;
}

static int values(const struct anas_config *c, double v0, double v1, double v2, double v3)
{
    return c->v[0] == v0 && c->v[1] == v1 && c->v[2] == v2 && c->v[3] == v3;
}

static void test_grid_rpu(void)
{
    const struct anas_space *s = anas_space_find("rpu");
    static struct anas_config first[2940], again[2940];
    int valid, distinct;

    is_int(anas_space_grid_size(s, 5, 1000000), 2940, "rpu: 10*6*7*7 = 2,940 configurations");
    is_int(anas_space_grid_size(s, 5, 2940), 2940, "a limit of exactly the product passes");
    is_int(anas_space_grid_size(s, 5, 2939), ANAS_ELIMIT, "one less: ANAS_ELIMIT");
    is_int(walk_grid(s, 5, first, 2940, &valid, &distinct), 2940, "grid_next gives 2,940");
    ok(valid && distinct, "all valid, canonical and distinct");
    ok(values(&first[0], 1, 64, 32, 32) && values(&first[1], 1, 64, 32, 64) &&
           values(&first[7], 1, 64, 64, 32) && values(&first[49], 1, 128, 32, 32) &&
           values(&first[294], 2, 64, 32, 32) && values(&first[2939], 512, 2048, 2048, 2048),
       "in mixed-radix order, the last hyperparameter fastest");
    walk_grid(s, 5, again, 2940, &valid, &distinct);
    ok(memcmp(first, again, sizeof first) == 0, "the same order every time");
}

static void test_grid_mlp(void)
{
    const struct anas_space *s = anas_space_find("mlp");
    static struct anas_config c[2340];
    int valid, distinct;

    /* depth d: 5^d widths x 3 activations, the inactive widths counted once. */
    is_int(anas_space_grid_size(s, 5, 1000000), 2340, "mlp: 3*(5+25+125+625) = 2,340");
    is_int(anas_space_grid_size(s, 5, 7500), 2340, "the raw product 4*5^4*3 = 7,500 passes");
    is_int(anas_space_grid_size(s, 5, 7499), ANAS_ELIMIT, "the limit is on the raw product");
    is_int(walk_grid(s, 5, c, 2340, &valid, &distinct), 2340, "grid_next gives 2,340");
    ok(valid && distinct, "all valid, canonical and distinct");
    ok(c[0].v[0] == 1 && c[0].v[1] == 32 && c[0].v[5] == 0 && c[1].v[5] == 1 &&
           c[3].v[1] == 64 && c[3].v[5] == 0 && c[14].v[1] == 512 && c[14].v[5] == 2,
       "depth 1 first: width1 slower than the activation");
    ok(c[15].v[0] == 2 && c[15].v[1] == 32 && c[15].v[2] == 32 && c[15].v[3] == 0 &&
           c[90].v[0] == 3 && c[465].v[0] == 4 && c[2339].v[4] == 512,
       "depth 2 from the 16th, 3 from the 91st, 4 from the 466th");
    is_int(anas_space_grid_size(anas_space_find("lenet"), 5, 1000000), 288,
           "lenet: 4*4*2*3*3 = 288");
    is_int(anas_space_grid_size(anas_space_find("autoencoder"), 5, 1000000), ANAS_ELIMIT,
           "autoencoder's grid is over the limit");
    is_int(anas_space_grid_size(s, 0, 1000000), ANAS_EINVAL, "float_steps 0: ANAS_EINVAL");
}

/* resnet's floats take float_steps values; with out_channel0 = 8 and M = 1
 * the first block is R1 (15) x convblock1 (2) x widenfact1 x B1 (4). */
static void test_grid_floats(void)
{
    const struct anas_space *s = anas_space_find("resnet");
    struct anas_config cfg;
    long long pos = 0;
    int n = 0, m1 = 0, wf_ok = 1;

    is_int(anas_space_grid_size(s, 5, 1000000), ANAS_ELIMIT, "resnet: over the limit");
    for (int steps = 2; steps <= 5; steps += 3) {
        pos = 0, n = 0, m1 = 0;
        while (n < 1000 && anas_space_grid_next(s, steps, &pos, &cfg) == 1) {
            if (cfg.v[1] == 1)
                m1++;
            if (n < 4 * steps) /* B1 fastest, then widenfact1 */
                wf_ok &= cfg.v[9] == n % 4 + 1 &&
                         cfg.v[8] == 0.5 + (0.8 - 0.5) * (double)(n / 4) / steps;
            n++;
            if (cfg.v[1] == 2)
                break;
        }
        is_int(m1, 120 * steps, "float_steps %d: 120*%d configurations with M = 1 first",
               steps, steps);
        ok(cfg.v[1] == 2 && cfg.v[0] == 8 && cfg.v[2] == 1 && cfg.v[3] == 0,
           "then M = 2, R1 = 1, R2 = 0");
    }
    ok(wf_ok, "widenfact1 takes 0.5 + 0.3*k/float_steps, k = 0..float_steps-1");
}

int main(void)
{
    static const char *const names[] = {"train.lr", "train.batch_size"};
    static const int n_choices[] = {3, 2};
    static const double lr[] = {0.01, 0.05, 0.1}, bs[] = {64, 128};
    static const double *const choices[] = {lr, bs};

    plan_later();
    for (int i = 0; i < anas_space_count(); i++)
        spaces[n_spaces++] = anas_space_at(i);
    spaces[n_spaces] = anas_space_compose(anas_space_find("mlp"), 2, names, n_choices,
                                          choices, NULL);
    ok(spaces[n_spaces] != NULL, "a composite space (mlp + training recipe)");
    if (spaces[n_spaces])
        n_spaces++;
    for (int i = 0; i < n_spaces; i++) {
        test_mutate(spaces[i]);
        test_crossover(spaces[i]);
    }
    test_reproducible();
    test_errors();
    test_grid_rpu();
    test_grid_mlp();
    test_grid_floats();
    return done();
}
