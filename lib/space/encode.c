/*
 * encode.c - the numeric encoding of a configuration: one value in [0, 1]
 * per hyperparameter, what real-coded optimizers (NSGA-II's SBX crossover
 * and polynomial mutation, Deb et al. 2002) work on.
 *
 * A CHOICE is its index scaled into [0, 1], an INT its offset from lo, a
 * FLOAT its position in [lo, hi). Decoding rounds to the nearest choice or
 * integer, as DyNAS-T's RoundingRepair does for pymoo's real operators, and
 * keeps a FLOAT below its open upper bound. Decoding what encode produced
 * gives the configuration back: a float's scaling is undone and then
 * nudged by an ulp or two until it encodes to the same code, which makes
 * the round trip exact except where two neighbouring doubles share a code
 * (then it gives one of them).
 */
#include "config.h"

#include "space/space.h"

#include <math.h>

#include "space/space_int.h"

/* Positions a discrete hyperparameter has, minus one: the divisor of its
 * encoding (0 for a single value). */
static double last_position(const struct anas_hp *hp)
{
    if (hp->kind == ANAS_HP_CHOICE)
        return hp->n_choices - 1;
    return hp->hi - hp->lo;
}

static int choice_index(const struct anas_hp *hp, double v)
{
    for (int k = 0; k < hp->n_choices; k++)
        if (v == hp->choices[k])
            return k;
    return -1;
}

static double encode_float(const struct anas_hp *hp, double v)
{
    return hp->hi > hp->lo ? (v - hp->lo) / (hp->hi - hp->lo) : 0.0;
}

/* One active value's code, or -1 when the value is not one the
 * hyperparameter can take. */
static double encode_one(const struct anas_hp *hp, double v)
{
    double span = last_position(hp);

    switch (hp->kind) {
    case ANAS_HP_CHOICE: {
        int k = choice_index(hp, v);
        if (k < 0)
            return -1;
        return span > 0 ? k / span : 0.0;
    }
    case ANAS_HP_INT:
        if (!(v >= hp->lo && v <= hp->hi) || v != floor(v))
            return -1;
        return span > 0 ? (v - hp->lo) / span : 0.0;
    case ANAS_HP_FLOAT:
        break;
    }
    if (!(v >= hp->lo && v < hp->hi))
        return -1;
    return encode_float(hp, v);
}

int anas_space_encode(const struct anas_space *s, const struct anas_config *cfg,
                      double *out)
{
    if (!s || !cfg || !out || (cfg->space && cfg->space != s))
        return ANAS_EINVAL;
    for (int i = 0; i < s->n_hp; i++) {
        double x = 0.0;
        if (anas_space_is_active(s, cfg, i)) {
            x = encode_one(&s->hp[i], cfg->v[i]);
            if (x < 0)
                return ANAS_EINVAL;
        }
        out[i] = x;
    }
    return s->n_hp;
}

/* The float whose code is x, when there is one: lo + x * (hi - lo) may be
 * an ulp or two off, so look at its neighbours for the value that encodes
 * back to x exactly. */
static double decode_float(const struct anas_hp *hp, double x)
{
    double v = hp->lo + x * (hp->hi - hp->lo), up = v, down = v;

    for (int step = 0; step < 4; step++) {
        if (encode_float(hp, up) == x) {
            v = up;
            break;
        }
        if (encode_float(hp, down) == x) {
            v = down;
            break;
        }
        up = nextafter(up, INFINITY);
        down = nextafter(down, -INFINITY);
    }
    if (v >= hp->hi)
        v = nextafter(hp->hi, hp->lo);
    return v < hp->lo ? hp->lo : v;
}

/* Round half up: x in [0, 1] makes the position non-negative. */
static double decode_one(const struct anas_hp *hp, double x)
{
    double span = last_position(hp);

    switch (hp->kind) {
    case ANAS_HP_CHOICE:
        return hp->choices[(int)floor(x * span + 0.5)];
    case ANAS_HP_INT:
        return hp->lo + floor(x * span + 0.5);
    case ANAS_HP_FLOAT:
        break;
    }
    return decode_float(hp, x);
}

int anas_space_decode(const struct anas_space *s, const double *x, struct anas_config *out,
                      struct anas_error *err)
{
    struct anas_config cfg;
    int rc;

    if (!s || !x || !out)
        return anas_error_set(err, ANAS_EINVAL, "no space, values or output");
    anas_config_init(&cfg, s);
    for (int i = 0; i < s->n_hp; i++) {
        double xi = x[i];
        if (isnan(xi))
            return anas_error_field(err, ANAS_EINVAL, s->hp[i].name,
                                    "%s: the encoded value is NaN", s->hp[i].name);
        xi = xi < 0 ? 0 : xi > 1 ? 1 : xi;
        cfg.v[i] = decode_one(&s->hp[i], xi);
    }
    rc = anas_space_validate(s, &cfg, err);
    if (rc < 0)
        return rc;
    *out = cfg;
    return 0;
}
