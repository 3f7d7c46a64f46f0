/*
 * modifier.c - hardware-aware training's weight clipping and weight modifier
 * on one tile's weights, as aihwkit's C++ engine does them after every
 * optimizer step (src/rpucuda/weight_clipper.cpp and weight_modifier.cpp;
 * WeightClipParameter and WeightModifierParameter in
 * src/aihwkit/simulator/parameters/inference.py).
 *
 * Departures, both for inputs aihwkit handles badly:
 * - a modifier res > 1 is read as a number of steps (1/res), the rule of
 *   the IO resolutions; aihwkit would round every weight to 0;
 * - LAYER_GAUSSIAN on fewer than two weights does not clip (aihwkit's
 *   1/(n-1) gives NaN, which does not clip either, by accident).
 * AVERAGE_CHANNEL_MAX averages the per-row (output channel) maxima.
 */
#include "config.h"

#include "analog/analog.h"

#include <math.h>
#include <string.h>

static double absmax(const float *W, size_t n)
{
    double a = 0.0;

    for (size_t i = 0; i < n; i++)
        a = fmax(a, fabs(W[i]));
    return a;
}

/* --- clipping --- */

static double layer_std(const float *W, size_t n)
{
    double mean = 0.0, ss = 0.0;

    for (size_t i = 0; i < n; i++)
        mean += W[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (W[i] - mean) * (W[i] - mean);
    return sqrt(ss / (double)(n - 1));
}

/* The mean over rows of each row's max|W|; rows * cols == n. */
static double channel_max(const float *W, size_t rows, size_t cols)
{
    double sum = 0.0;

    for (size_t r = 0; r < rows; r++)
        sum += absmax(W + r * cols, cols);
    return sum / (double)rows;
}

static double clip_value(const struct anas_analog_clip *c, const float *W, size_t rows,
                         size_t cols)
{
    size_t n = rows * cols;
    double v;

    switch (c->type) {
    case ANAS_CLIP_FIXED_VALUE:
        return c->fixed_value;
    case ANAS_CLIP_LAYER_GAUSSIAN:
        if (n < 2)
            return -1.0;
        v = c->sigma * layer_std(W, n);
        break;
    case ANAS_CLIP_AVERAGE_CHANNEL_MAX:
        v = channel_max(W, rows, cols);
        break;
    default:
        return -1.0;
    }
    return c->fixed_value > 0.0f ? fmin(v, c->fixed_value) : v;
}

void anas_analog_clip_apply(const struct anas_analog_clip *c, float *W, size_t rows,
                            size_t cols)
{
    size_t n = rows * cols;
    double v = n ? clip_value(c, W, rows, cols) : -1.0;
    float hi = (float)v;

    if (!(v > 0.0))
        return;
    for (size_t i = 0; i < n; i++)
        W[i] = W[i] > hi ? hi : W[i] < -hi ? -hi : W[i];
}

/* --- the weight modifier --- */

/* aihwkit's getDiscretizedValueRound: round half away from zero, with a
 * uniform dither in [-1/2, 1/2) for stochastic rounding. */
static double discretize(double v, double res, int sto_round, struct anas_rng *rng)
{
    if (res <= 0.0)
        return v;
    if (sto_round)
        return round(v / res + (anas_rng_uniform(rng) - 0.5)) * res;
    return round(v / res) * res;
}

/* sum_k c_k a^k over the modifier's coefficients. */
static double coeff_poly(const struct anas_analog_modifier *m, double a)
{
    double s = 0.0;

    for (int k = m->n_coeffs - 1; k >= 0; k--)
        s = s * a + m->coeffs[k];
    return s;
}

static void modify_noise(const struct anas_analog_modifier *m, float *w, size_t n, double amax,
                         struct anas_rng *rng)
{
    double sd = m->std_dev * amax;

    if (!(m->std_dev > 0.0f))
        return;
    for (size_t i = 0; i < n; i++) {
        double v = w[i];

        if (m->type == ANAS_MOD_MULT_NORMAL)
            v += v * sd * anas_rng_normal(rng);
        else if (m->type == ANAS_MOD_ADD_NORMAL)
            v += sd * anas_rng_normal(rng);
        else if (m->type == ANAS_MOD_POLY)
            v += amax * m->std_dev * coeff_poly(m, fabs(v) / amax) * anas_rng_normal(rng);
        else { /* PROG_NOISE: the sign survives, the noise reflects at 0 */
            double s = m->std_dev / m->g_max * coeff_poly(m, fabs(v) / amax);
            double r = fabs(v + amax * s * anas_rng_normal(rng));

            v = v < 0.0 ? -r : r;
        }
        w[i] = (float)v;
    }
}

static void modify_discrete(const struct anas_analog_modifier *m, float *w, size_t n,
                            double amax, struct anas_rng *rng)
{
    double res = m->res > 1.0f ? 1.0 / m->res : m->res, sd = m->std_dev * amax;
    double scale = fabs(m->dorefa_clip / tanh(amax));
    int add = m->type == ANAS_MOD_DISCRETIZE_ADD_NORMAL;

    if (!(res > 0.0) && !(add && sd > 0.0))
        return;
    for (size_t i = 0; i < n; i++) {
        double v = w[i];

        if (m->type == ANAS_MOD_DOREFA) {
            v = discretize(tanh(v) * scale, res, m->sto_round, rng);
        } else {
            v = amax * discretize(v / amax, res, m->sto_round, rng);
            if (add)
                v += sd * anas_rng_normal(rng);
        }
        w[i] = (float)v;
    }
}

static void drop_connect(float *w, size_t n, double pdrop, struct anas_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        if (anas_rng_uniform(rng) < pdrop)
            w[i] = 0.0f;
}

void anas_analog_modify(const struct anas_analog_modifier *m, float *out, const float *W,
                        size_t n, struct anas_rng *rng)
{
    double amax;

    if (out != W)
        memcpy(out, W, n * sizeof *out);
    if (m->type == ANAS_MOD_NONE)
        return;
    amax = m->rel_to_actual_wmax ? absmax(out, n) : m->assumed_wmax;
    if (!(amax > 0.0))
        amax = 1.0;
    switch (m->type) {
    case ANAS_MOD_MULT_NORMAL:
    case ANAS_MOD_ADD_NORMAL:
    case ANAS_MOD_POLY:
    case ANAS_MOD_PROG_NOISE:
        modify_noise(m, out, n, amax, rng);
        break;
    case ANAS_MOD_DISCRETIZE:
    case ANAS_MOD_DISCRETIZE_ADD_NORMAL:
    case ANAS_MOD_DOREFA:
        modify_discrete(m, out, n, amax, rng);
        break;
    default: /* DROP_CONNECT: only the drop below */
        break;
    }
    if (m->pdrop > 0.0f)
        drop_connect(out, n, m->pdrop, rng);
}
