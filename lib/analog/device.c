/*
 * device.c - pulsed devices: the device-to-device parameters drawn once
 * per weight and the response to one pulse, as aihwkit's CPU engine has
 * them (src/rpucuda/rpu_pulsed_device.cpp populate(),
 * rpu_constantstep_device.cpp, rpu_linearstep_device.cpp,
 * rpu_expstep_device.cpp, rpu_powstep_device.cpp). doc/analog-model.md
 * lists the formulas.
 */
#include "config.h"

#include "analog/pulsed_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

#define N_ARRAYS 10

void anas__pulsed_effective(const struct anas_pulsed_device *in, struct anas_pulsed_device *out)
{
    *out = *in;
    if (in->type == ANAS_DEV_SOFT_BOUNDS_PMAX) {
        /* SoftBoundsPmaxDevice: the pulse count p_max and the step factor
         * alpha over [range_min, range_max] as SoftBounds' bounds and steps */
        double b = (in->range_max - in->range_min) / (1.0 - exp(-in->p_max * in->alpha));

        out->w_min = in->range_min;
        out->w_max = (float)(in->range_min + b);
        out->dw_min = (float)(b * in->alpha);
        out->up_down = (float)(1.0 + 2.0 * in->range_min / b);
    }
    if (in->type == ANAS_DEV_SOFT_BOUNDS || in->type == ANAS_DEV_SOFT_BOUNDS_PMAX) {
        /* SoftBoundsRPUDevice is a LinearStep with slope 1 at the device's
         * own bounds, multiplicative noise */
        out->type = ANAS_DEV_LINEAR_STEP;
        out->gamma_up = out->gamma_down = 1.0f;
        out->gamma_up_dtod = out->gamma_down_dtod = 0.0f;
        out->mean_bound_reference = 0;
        out->mult_noise = 1;
    }
}

static double gauss(struct anas_rng *rng)
{
    return anas_rng_normal(rng);
}

/* populate(): bounds, steps, up/down asymmetry, consistency. */
static void draw_basic(struct anas__punit *u, size_t k, struct anas_rng *rng)
{
    const struct anas_pulsed_device *p = &u->p;
    double bmax = p->w_max * (1.0 + p->w_max_dtod * gauss(rng));
    double bmin = p->w_min * (1.0 + p->w_min_dtod * gauss(rng));
    double z = gauss(rng);
    double gain = p->dw_min_dtod_log_normal ? exp(p->dw_min_dtod * z) : 1.0 + p->dw_min_dtod * z;
    double r = p->up_down_dtod * gauss(rng);
    double up_bias = p->up_down > 0 ? 0.0 : p->up_down;
    double down_bias = p->up_down > 0 ? -p->up_down : 0.0;
    double up = (up_bias + gain + r) * p->dw_min, down = (down_bias + gain - r) * p->dw_min;

    if (p->enforce_consistency) {
        up = fabs(up);
        down = fabs(down);
        if (bmin > bmax) {
            double t = bmin;

            bmin = bmax;
            bmax = t;
        }
        bmax = fabs(bmax);
        bmin = -fabs(bmin);
    } else if (bmin > bmax) {
        bmin = bmax = 0.5 * (bmin + bmax); /* a dead device */
    }
    u->bmax[k] = (float)bmax;
    u->bmin[k] = (float)bmin;
    u->up[k] = (float)up;
    u->down[k] = (float)down;
}

/* LinearStep's slopes, or PowStep's exponents. */
static void draw_shape(struct anas__punit *u, size_t k, struct anas_rng *rng)
{
    const struct anas_pulsed_device *p = &u->p;

    if (p->type == ANAS_DEV_LINEAR_STEP) {
        double gu = fabs(p->gamma_up + p->gamma_up_dtod * gauss(rng));
        double gd = fabs(p->gamma_down + p->gamma_down_dtod * gauss(rng));
        double ref_up = p->mean_bound_reference ? p->w_max : u->bmax[k];
        double ref_down = p->mean_bound_reference ? p->w_min : u->bmin[k];

        u->sl_up[k] = ref_up != 0.0 ? (float)(-gu * u->up[k] / ref_up) : 0.0f;
        u->sl_down[k] = ref_down != 0.0 ? (float)(-gd * u->down[k] / ref_down) : 0.0f;
    } else if (p->type == ANAS_DEV_POW_STEP) {
        double gain = 1.0 + p->pow_gamma_dtod * gauss(rng);
        double r = p->pow_up_down_dtod * gauss(rng);
        double ub = p->pow_up_down > 0 ? 0.0 : p->pow_up_down;
        double db = p->pow_up_down > 0 ? -p->pow_up_down : 0.0;
        double gu = (ub + gain + r) * p->pow_gamma, gd = (db + gain - r) * p->pow_gamma;

        u->sl_up[k] = (float)(p->enforce_consistency ? fabs(gu) : gu);
        u->sl_down[k] = (float)(p->enforce_consistency ? fabs(gd) : gd);
    }
}

/* Diffusion rate, reset bias and decay scale. */
static void draw_slow(struct anas__punit *u, size_t k, struct anas_rng *rng)
{
    const struct anas_pulsed_device *p = &u->p;
    double life = p->lifetime * (1.0 + p->lifetime_dtod * gauss(rng));

    u->diff[k] = (float)fabs(p->diffusion * (1.0 + p->diffusion_dtod * gauss(rng)));
    u->rbias[k] = (float)(p->reset + p->reset_dtod * gauss(rng));
    u->dcy[k] = p->lifetime == 0.0f ? 1.0f : life > 1.0 ? (float)(1.0 - 1.0 / life) : 0.0f;
}

int anas__punit_init(struct anas__punit *u, const struct anas_pulsed_device *p, size_t size,
                     struct anas_rng *rng)
{
    float *block;

    memset(u, 0, sizeof *u);
    anas__pulsed_effective(p, &u->p);
    u->size = size;
    block = anas_calloc(N_ARRAYS * (size ? size : 1), sizeof *block);
    if (!block)
        return ANAS_ENOMEM;
    u->w = block;
    u->bmax = block + size;
    u->bmin = block + 2 * size;
    u->up = block + 3 * size;
    u->down = block + 4 * size;
    u->sl_up = block + 5 * size;
    u->sl_down = block + 6 * size;
    u->diff = block + 7 * size;
    u->rbias = block + 8 * size;
    u->dcy = block + 9 * size;
    u->has_diffusion = u->p.diffusion != 0.0f;
    u->has_decay = u->p.lifetime != 0.0f;
    if (u->p.type == ANAS_DEV_FLOATING_POINT) {
        for (size_t k = 0; k < size; k++) {
            u->bmax[k] = INFINITY;
            u->bmin[k] = -INFINITY;
            u->dcy[k] = 1.0f;
        }
        return 0;
    }
    for (size_t k = 0; k < size; k++) {
        draw_basic(u, k, rng);
        draw_shape(u, k, rng);
        draw_slow(u, k, rng);
    }
    return 0;
}

void anas__punit_fini(struct anas__punit *u)
{
    anas_free(u->w);
    memset(u, 0, sizeof *u);
}

static float clipw(const struct anas__punit *u, size_t k, float w)
{
    return w > u->bmax[k] ? u->bmax[k] : w < u->bmin[k] ? u->bmin[k] : w;
}

void anas__punit_set(struct anas__punit *u, const float *W)
{
    for (size_t k = 0; k < u->size; k++)
        u->w[k] = clipw(u, k, W[k]);
}

/* One pulse's change of w (before the clip), xi its N(0,1) deviate. */
static float step_of(const struct anas__punit *u, size_t k, float w, int s, float xi)
{
    const struct anas_pulsed_device *p = &u->p;
    float sd = p->dw_min_std;

    switch (p->type) {
    case ANAS_DEV_CONSTANT_STEP:
        return s > 0 ? -u->down[k] * (1.0f + sd * xi) : u->up[k] * (1.0f + sd * xi);
    case ANAS_DEV_LINEAR_STEP:
        if (s > 0) {
            float dw = u->sl_down[k] * w + u->down[k];

            return p->mult_noise ? -dw * (1.0f + sd * xi) : -(dw + u->down[k] * sd * xi);
        } else {
            float dw = u->sl_up[k] * w + u->up[k];

            return p->mult_noise ? dw * (1.0f + sd * xi) : dw + u->up[k] * sd * xi;
        }
    case ANAS_DEV_EXP_STEP: {
        float range = u->bmax[k] - u->bmin[k];
        float z = range > 0.0f ? 2.0f * p->a * w / range + p->b : p->b;
        float dw = s > 0 ? fmaxf(1.0f - p->A_down * expf(-p->exp_gamma_down * z), 0.0f) * u->down[k]
                         : fmaxf(1.0f - p->A_up * expf(p->exp_gamma_up * z), 0.0f) * u->up[k];

        if (p->dw_min_std_add != 0.0f || p->dw_min_std_slope != 0.0f)
            return (s > 0 ? -dw : dw) +
                   sd * (dw + p->dw_min_std_add + p->dw_min_std_slope * fabsf(w)) * xi;
        return (s > 0 ? -dw : dw) * (1.0f + sd * xi);
    }
    case ANAS_DEV_POW_STEP: {
        float range = u->bmax[k] - u->bmin[k];

        if (range <= 0.0f)
            return 0.0f;
        if (s > 0)
            return -u->down[k] * powf((w - u->bmin[k]) / range, u->sl_down[k]) * (1.0f + sd * xi);
        return u->up[k] * powf((u->bmax[k] - w) / range, u->sl_up[k]) * (1.0f + sd * xi);
    }
    default:
        return 0.0f;
    }
}

void anas__punit_pulses(struct anas__punit *u, size_t k, int s, int c, struct anas__gauss *g)
{
    float xi[64], w = u->w[k];

    while (c > 0) {
        int m = c < 64 ? c : 64;

        if (u->p.dw_min_std != 0.0f)
            anas__gauss_fill(g, xi, (size_t)m);
        else
            memset(xi, 0, (size_t)m * sizeof *xi);
        for (int t = 0; t < m; t++)
            w = clipw(u, k, w + step_of(u, k, w, s, xi[t]));
        c -= m;
    }
    u->w[k] = w;
}

void anas__punit_post(struct anas__punit *u, struct anas__gauss *g)
{
    if (u->has_diffusion) {
        float xi[256];

        for (size_t k0 = 0; k0 < u->size; k0 += 256) {
            size_t m = u->size - k0 < 256 ? u->size - k0 : 256;

            anas__gauss_fill(g, xi, m);
            for (size_t t = 0; t < m; t++)
                u->w[k0 + t] = clipw(u, k0 + t, u->w[k0 + t] + u->diff[k0 + t] * xi[t]);
        }
    }
    if (u->has_decay)
        for (size_t k = 0; k < u->size; k++)
            u->w[k] = clipw(u, k, (u->w[k] - u->rbias[k]) * u->dcy[k] + u->rbias[k]);
}
