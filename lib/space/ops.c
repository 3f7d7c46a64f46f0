/*
 * ops.c - what optimizers need from any space: a neighbour (mutation),
 * uniform crossover, and the grid of every configuration.
 *
 * Everything works from the hyperparameter table and the space's activity
 * and validation functions, so a new space gets every optimizer for free.
 * Activity is settled in index order: the spaces put what enables a group
 * (resnet's M, mlp's depth) before the group, so whether hyperparameter i
 * is active depends only on the ones before it. A hyperparameter that a
 * move makes active takes a fresh uniform draw, as anas_space_sample would
 * give it.
 */
#include "config.h"

#include "space/space.h"

#include <limits.h>
#include <math.h>

#include "space/space_int.h"

/* Attempts before an operator gives up and returns the parent: only a
 * space whose cross-hyperparameter checks reject most moves needs many. */
#define TRIES 64

static int can_move(const struct anas_hp *hp, double sigma)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return hp->n_choices > 1;
    case ANAS_HP_INT:
        return hp->hi > hp->lo;
    case ANAS_HP_FLOAT:
        break;
    }
    return sigma > 0 && hp->hi > hp->lo;
}

static int choice_index(const struct anas_hp *hp, double v)
{
    for (int k = 0; k < hp->n_choices; k++)
        if (hp->choices[k] == v)
            return k;
    return -1;
}

/* One step down or up, whichever exist, with equal chances. */
static int step(struct anas_rng *rng, int can_down, int can_up)
{
    if (can_down && can_up)
        return anas_rng_int(rng, 0, 2) ? 1 : -1;
    return can_up ? 1 : -1;
}

static double move(const struct anas_hp *hp, double v, double sigma, struct anas_rng *rng)
{
    int k;
    double w;

    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        k = choice_index(hp, v);
        return hp->choices[k + step(rng, k > 0, k < hp->n_choices - 1)];
    case ANAS_HP_INT:
        return v + step(rng, v - 1 >= hp->lo, v + 1 <= hp->hi);
    case ANAS_HP_FLOAT:
        break;
    }
    w = v + sigma * (hp->hi - hp->lo) * anas_rng_normal(rng);
    if (w < hp->lo)
        w = hp->lo;
    if (!(w < hp->hi))
        w = nextafter(hp->hi, hp->lo); /* the range is half-open */
    return w;
}

static void activity(const struct anas_space *s, const struct anas_config *cfg, int *act)
{
    for (int i = 0; i < s->n_hp; i++)
        act[i] = anas_space_is_active(s, cfg, i);
}

/* After a change, in index order: inactive values are zeroed, values that
 * were inactive in the parent (`was`) and are active now get a fresh draw. */
static void settle(const struct anas_space *s, struct anas_rng *rng, const int *was,
                   struct anas_config *cfg)
{
    for (int i = 0; i < s->n_hp; i++) {
        if (!anas_space_is_active(s, cfg, i))
            cfg->v[i] = 0;
        else if (!was[i])
            cfg->v[i] = anas__hp_sample(&s->hp[i], rng);
    }
}

/* A checked, canonical copy of an operator's input. */
static int parent_of(const struct anas_space *s, const struct anas_config *in,
                     struct anas_config *out)
{
    *out = *in;
    return anas_space_validate(s, out, NULL) < 0 ? ANAS_EINVAL : 0;
}

int anas_space_mutate(const struct anas_space *s, struct anas_rng *rng,
                      const struct anas_config *cfg, double sigma, struct anas_config *out)
{
    struct anas_config parent, child;
    int act[ANAS_SPACE_MAX_HP], movable[ANAS_SPACE_MAX_HP], n = 0;

    if (!s || !rng || !cfg || !out || !(sigma >= 0) || !isfinite(sigma) ||
        parent_of(s, cfg, &parent) < 0)
        return ANAS_EINVAL;
    activity(s, &parent, act);
    for (int i = 0; i < s->n_hp; i++)
        if (act[i] && can_move(&s->hp[i], sigma))
            movable[n++] = i;
    /* A FLOAT step clipped back to where it was, or a move the space
     * rejects, is not a neighbour: draw another move. */
    for (int t = 0; n > 0 && t < TRIES; t++) {
        int i = movable[anas_rng_int(rng, 0, n)];

        child = parent;
        child.v[i] = move(&s->hp[i], parent.v[i], sigma, rng);
        if (child.v[i] == parent.v[i])
            continue;
        settle(s, rng, act, &child);
        if (anas_space_validate(s, &child, NULL) == 0) {
            *out = child;
            return 0;
        }
    }
    *out = parent;
    return 0;
}

/* The value hyperparameter i of a crossover child takes when active: from
 * the chosen parent if it has it, else from the other, else a fresh draw. */
static double inherit(const struct anas_space *s, struct anas_rng *rng, int i, int from_b,
                      const struct anas_config *p[2], int *const act[2])
{
    if (act[from_b][i])
        return p[from_b]->v[i];
    if (act[!from_b][i])
        return p[!from_b]->v[i];
    return anas__hp_sample(&s->hp[i], rng);
}

int anas_space_crossover(const struct anas_space *s, struct anas_rng *rng,
                         const struct anas_config *a, const struct anas_config *b,
                         struct anas_config *out)
{
    struct anas_config pa, pb, child;
    int act_a[ANAS_SPACE_MAX_HP], act_b[ANAS_SPACE_MAX_HP];
    const struct anas_config *p[2] = {&pa, &pb};
    int *const act[2] = {act_a, act_b};

    if (!s || !rng || !a || !b || !out || parent_of(s, a, &pa) < 0 ||
        parent_of(s, b, &pb) < 0)
        return ANAS_EINVAL;
    activity(s, &pa, act_a);
    activity(s, &pb, act_b);
    for (int t = 0; t < TRIES; t++) {
        child = pa;
        for (int i = 0; i < s->n_hp; i++) {
            /* One coin per hyperparameter, used or not, so that the
             * stream does not depend on which are active. */
            int from_b = (int)anas_rng_int(rng, 0, 2);

            child.v[i] = anas_space_is_active(s, &child, i)
                             ? inherit(s, rng, i, from_b, p, act)
                             : 0;
        }
        if (anas_space_validate(s, &child, NULL) == 0) {
            *out = child;
            return 0;
        }
    }
    *out = pa;
    return 0;
}

/* --- the grid ------------------------------------------------------------ */

static long long radix(const struct anas_hp *hp, int float_steps)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return hp->n_choices;
    case ANAS_HP_INT:
        return (long long)(hp->hi - hp->lo) + 1;
    case ANAS_HP_FLOAT:
        break;
    }
    return float_steps;
}

/* stride[i]: how many raw positions one step of digit i spans (the
 * product of the radices after i); returns the raw product, or -1 when it
 * exceeds `limit`. */
static long long strides(const struct anas_space *s, int float_steps, long long limit,
                         long long *stride)
{
    long long total = 1;

    for (int i = s->n_hp - 1; i >= 0; i--) {
        long long r = radix(&s->hp[i], float_steps);

        stride[i] = total;
        if (r > 0 && total > limit / r)
            return -1;
        total *= r;
    }
    return total;
}

static double digit_value(const struct anas_hp *hp, long long d, int float_steps)
{
    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return hp->choices[d];
    case ANAS_HP_INT:
        return hp->lo + (double)d;
    case ANAS_HP_FLOAT:
        break;
    }
    return hp->lo + (hp->hi - hp->lo) * (double)d / float_steps;
}

/* The configuration at raw position pos. A configuration is enumerated at
 * the one raw position where every inactive digit is 0; *skip_to is then
 * pos + 1, else the first raw position past the block where the lowest
 * such nonzero inactive digit runs (all of which repeat earlier ones). */
static int at_position(const struct anas_space *s, int float_steps, const long long *stride,
                       long long total, long long pos, struct anas_config *cfg,
                       long long *skip_to)
{
    long long digit[ANAS_SPACE_MAX_HP], rest = pos;

    anas_config_init(cfg, s);
    for (int i = 0; i < s->n_hp; i++) {
        digit[i] = rest / stride[i];
        rest %= stride[i];
        cfg->v[i] = digit_value(&s->hp[i], digit[i], float_steps);
    }
    for (int i = 0; i < s->n_hp; i++) {
        if (digit[i] == 0 || anas_space_is_active(s, cfg, i))
            continue;
        long long block = i ? stride[i - 1] : total;
        *skip_to = (pos / block + 1) * block;
        return 0;
    }
    *skip_to = pos + 1;
    return 1;
}

int anas_space_grid_next(const struct anas_space *s, int float_steps, long long *pos,
                         struct anas_config *out)
{
    long long stride[ANAS_SPACE_MAX_HP], total, p, next;
    struct anas_config cfg;

    if (!s || !pos || !out || float_steps < 1 || *pos < 0)
        return ANAS_EINVAL;
    total = strides(s, float_steps, LLONG_MAX, stride);
    if (total < 0)
        return ANAS_ELIMIT;
    for (p = *pos; p < total; p = next) {
        if (at_position(s, float_steps, stride, total, p, &cfg, &next) &&
            anas_space_validate(s, &cfg, NULL) == 0) {
            *out = cfg;
            *pos = next;
            return 1;
        }
    }
    *pos = total;
    return 0;
}

long long anas_space_grid_size(const struct anas_space *s, int float_steps, long long limit)
{
    long long stride[ANAS_SPACE_MAX_HP], pos = 0, n = 0;
    struct anas_config cfg;
    int rc;

    if (!s || float_steps < 1 || limit < 0)
        return ANAS_EINVAL;
    if (strides(s, float_steps, limit, stride) < 0)
        return ANAS_ELIMIT;
    while ((rc = anas_space_grid_next(s, float_steps, &pos, &cfg)) == 1)
        n++;
    return rc < 0 ? rc : n;
}
