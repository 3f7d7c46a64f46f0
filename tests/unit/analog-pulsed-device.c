/*
 * analog-pulsed-device.c - the pulsed devices of lib/analog/device.c
 * against aihwkit's formulas (src/rpucuda/rpu_pulsed_device.cpp and the
 * device files; doc/analog-model.md): device-to-device statistics, one
 * pulse's mean and spread at several weights for every device type,
 * bounds never crossed, diffusion and decay.
 *
 * A single-pulse check pulses each of N weights once and standardises
 * each change by the mean and standard deviation its own drawn parameters
 * predict; the N standardised changes must have mean 0 and variance 1
 * within 5 standard errors (1/sqrt(N) and sqrt(2/N)). Seeds are fixed.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog/pulsed.h"

#include "tap.h"

/* 2000 weights per check; 500 under valgrind (ANAS_VALGRIND), the
 * tolerances following */
static int ROWS = 40, COLS = 50, N = 2000;

static float W0[2000], W1[2000];

static struct anas_ptile *tile_of(const struct anas_pulsed_device *dev, uint64_t seed)
{
    struct anas_analog_training tc;

    anas_pulsed_preset("constant-step", &tc);
    tc.device.unit[0] = *dev;
    return anas_ptile_new(ROWS, COLS, &tc, seed, NULL);
}

struct moments {
    double mean, var;
};

/* The predicted mean change of one pulse (s > 0: down) from the drawn
 * parameters, by the formulas as doc/analog-model.md writes them. */
static double predicted(const struct anas_pulsed_device *p, const struct anas_pulsed_dp *dp,
                        double w, int s)
{
    switch (p->type) {
    case ANAS_DEV_CONSTANT_STEP:
        return s > 0 ? -dp->step_down : dp->step_up;
    case ANAS_DEV_LINEAR_STEP:
        return s > 0 ? -(dp->step_down * (1.0 - p->gamma_down * w / p->w_min))
                     : dp->step_up * (1.0 - p->gamma_up * w / p->w_max);
    case ANAS_DEV_SOFT_BOUNDS:
        return s > 0 ? -dp->step_down * (1.0 - w / dp->b_min) : dp->step_up * (1.0 - w / dp->b_max);
    case ANAS_DEV_EXP_STEP: {
        double z = 2.0 * p->a * w / (dp->b_max - dp->b_min) + p->b;

        return s > 0 ? -fmax(1.0 - p->A_down * exp(-p->exp_gamma_down * z), 0.0) * dp->step_down
                     : fmax(1.0 - p->A_up * exp(p->exp_gamma_up * z), 0.0) * dp->step_up;
    }
    case ANAS_DEV_POW_STEP: {
        double range = dp->b_max - dp->b_min;

        return s > 0 ? -dp->step_down * pow((w - dp->b_min) / range, dp->slope_down)
                     : dp->step_up * pow((dp->b_max - w) / range, dp->slope_up);
    }
    default:
        return 0.0;
    }
}

static struct moments standardised(struct anas_ptile *t, const struct anas_pulsed_device *p,
                                   double w, int s)
{
    double sum = 0.0, sum2 = 0.0;

    for (int k = 0; k < N; k++)
        W0[k] = (float)w;
    anas_ptile_set_weights(t, W0);
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++)
            anas_ptile_pulse(t, 0, i, j, s);
    anas_ptile_get_weights(t, W1);
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++) {
            struct anas_pulsed_dp dp;
            double mu, z;

            anas_ptile_device_params(t, 0, i, j, &dp);
            mu = predicted(p, &dp, W0[i * COLS + j], s);
            z = ((double)W1[i * COLS + j] - W0[i * COLS + j] - mu) / (fabs(mu) * p->dw_min_std);
            sum += z;
            sum2 += z * z;
        }
    return (struct moments){sum / N, sum2 / N - (sum / N) * (sum / N)};
}

static void single_pulse(enum anas_device_type type, const char *name, float gamma)
{
    static const double ws[] = {-0.3, 0.0, 0.3};
    struct anas_pulsed_device p;
    struct anas_ptile *t;

    anas_pulsed_device_defaults(type, &p);
    /* the bounds fixed, so that every w tried is inside them */
    p.w_max_dtod = p.w_min_dtod = 0.0f;
    if (type == ANAS_DEV_LINEAR_STEP) {
        p.gamma_up = p.gamma_down = gamma;
        p.gamma_up_dtod = p.gamma_down_dtod = 0.0f;
    }
    /* one tile (one d-to-d draw) for all: set_weights starts each check */
    t = tile_of(&p, 100 + type);

    for (int a = 0; a < 3; a++)
        for (int s = -1; s <= 1; s += 2) {
            struct moments m = standardised(t, &p, ws[a], s);

            ok(fabs(m.mean) < 5.0 / sqrt(N) && fabs(m.var - 1.0) < 5.0 * sqrt(2.0 / N),
               "%s: one %s pulse at w = %+.1f has the formula's mean and spread "
               "(standardised mean %.4f, variance %.4f)",
               name, s > 0 ? "down" : "up", ws[a], m.mean, m.var);
        }
    anas_ptile_free(t);
}

static void dtod_stats(void)
{
    struct anas_pulsed_device p;
    struct anas_ptile *t;
    double s[4] = {0}, s2[4] = {0};

    anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, &p);
    t = tile_of(&p, 7);
    for (int i = 0; i < ROWS; i++)
        for (int j = 0; j < COLS; j++) {
            struct anas_pulsed_dp dp;
            double v[4];

            anas_ptile_device_params(t, 0, i, j, &dp);
            v[0] = dp.b_max;
            v[1] = dp.b_min;
            v[2] = dp.step_up;
            v[3] = dp.step_up - dp.step_down;
            for (int k = 0; k < 4; k++) {
                s[k] += v[k];
                s2[k] += v[k] * v[k];
            }
        }
    {
        /* b = 0.6 (1 + 0.3 xi); step = (1 + 0.3 xi + 0.01 xi') 0.001;
         * up - down = 2 * 0.01 xi' * 0.001 */
        static const double mean[4] = {0.6, -0.6, 0.001, 0.0};
        static const double sd[4] = {0.18, 0.18, 0.001 * 0.30016662, 2e-5};
        static const char *const what[4] = {"b_max", "b_min", "step_up", "step_up - step_down"};

        for (int k = 0; k < 4; k++) {
            double m = s[k] / N, v = s2[k] / N - m * m;

            ok(fabs(m - mean[k]) < 5.0 * sd[k] / sqrt(N) &&
                   fabs(sqrt(v) / sd[k] - 1.0) < 5.0 / sqrt(2.0 * N),
               "ConstantStep d-to-d %s: mean %.5g (want %.5g), sd %.5g (want %.5g)", what[k], m,
               mean[k], sqrt(v), sd[k]);
        }
    }
    anas_ptile_free(t);
}

/* Many large updates: no weight ever leaves its bounds, and the bounds
 * are reached. */
static void bounds_hold(void)
{
    struct anas_pulsed_device p;
    struct anas_ptile *t;
    float X[50], D[40];
    int crossed = 0, at_bound = 0;

    anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, &p);
    t = tile_of(&p, 9);
    memset(W0, 0, sizeof W0);
    anas_ptile_set_weights(t, W0);
    for (int j = 0; j < COLS; j++)
        X[j] = j % 2 ? 1.0f : -0.7f;
    for (int i = 0; i < ROWS; i++)
        D[i] = i % 3 ? 1.0f : -0.5f;
    for (int it = 0; it < 40; it++) {
        anas_ptile_update(t, X, D, 1, 1.0f); /* 31 pulses, the most a sample gives */
        for (int i = 0; i < ROWS; i++)
            for (int j = 0; j < COLS; j++) {
                struct anas_pulsed_dp dp;
                float w = anas_ptile_unit_weights(t, 0)[i * COLS + j];

                anas_ptile_device_params(t, 0, i, j, &dp);
                crossed += w > dp.b_max || w < dp.b_min;
                at_bound += it == 39 && (w == dp.b_max || w == dp.b_min);
            }
    }
    ok(crossed == 0, "40 x 31 pulses: no weight outside its bounds (%d)", crossed);
    ok(at_bound > N / 2, "and most weights sit at a bound (%d of %d)", at_bound, N);
    anas_ptile_free(t);
}

static void decay_and_diffusion(void)
{
    struct anas_pulsed_device p;
    struct anas_ptile *t;
    double s = 0.0, s2 = 0.0;
    int exact = 1;

    anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, &p);
    p.w_max_dtod = p.w_min_dtod = 0.0f;
    p.lifetime = 100.0f;
    t = tile_of(&p, 11);
    for (int k = 0; k < N; k++)
        W0[k] = 0.5f * sinf((float)k);
    anas_ptile_set_weights(t, W0);
    anas_ptile_post_step(t);
    anas_ptile_get_weights(t, W1);
    for (int k = 0; k < N; k++)
        exact &= fabsf(W1[k] - W0[k] * 0.99f) < 1e-6f;
    ok(exact, "lifetime 100: w = (w - reset) (1 - 1/100) + reset after one step");
    anas_ptile_free(t);

    anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, &p);
    p.diffusion = 0.01f;
    t = tile_of(&p, 12);
    memset(W0, 0, sizeof W0);
    anas_ptile_set_weights(t, W0);
    anas_ptile_post_step(t);
    anas_ptile_get_weights(t, W1);
    for (int k = 0; k < N; k++) {
        s += W1[k];
        s2 += (double)W1[k] * W1[k];
    }
    ok(fabs(s / N) < 5 * 0.01 / sqrt(N) && fabs(sqrt(s2 / N) / 0.01 - 1) < 5 / sqrt(2.0 * N),
       "diffusion 0.01: w += 0.01 xi (mean %.2g, sd %.4g)", s / N, sqrt(s2 / N));
    anas_ptile_free(t);
}

static void pmax_mapping(void)
{
    struct anas_analog_training tc;
    double b = 2.0 / (1.0 - exp(-1000.0 * 5e-4));

    anas_pulsed_preset("soft-bounds", &tc);
    anas_pulsed_device_defaults(ANAS_DEV_SOFT_BOUNDS_PMAX, &tc.device.unit[0]);
    is_near(anas_pulsed_granularity(&tc.device), b * 5e-4, 1e-7,
            "SoftBoundsPmax: dw_min = b alpha, b = range / (1 - exp(-p_max alpha))");
}

int main(void)
{
    if (getenv("ANAS_VALGRIND")) {
        ROWS = 20;
        COLS = 25;
        N = ROWS * COLS;
    }
    plan(4 + 5 * 6 + 2 + 2 + 1);
    dtod_stats();
    single_pulse(ANAS_DEV_CONSTANT_STEP, "ConstantStep", 0);
    single_pulse(ANAS_DEV_LINEAR_STEP, "LinearStep (gamma 0.5)", 0.5f);
    single_pulse(ANAS_DEV_SOFT_BOUNDS, "SoftBounds", 0);
    single_pulse(ANAS_DEV_EXP_STEP, "ExpStep", 0);
    single_pulse(ANAS_DEV_POW_STEP, "PowStep", 0);
    bounds_hold();
    decay_and_diffusion();
    pmax_mapping();
    return done();
}
