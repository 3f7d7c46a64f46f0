/*
 * noise.c - aihwkit's inference noise models on conductances
 * (src/aihwkit/inference/: converter/conductance.py, noise/pcm.py, custom.py
 * and reram.py): the SinglePair converter, programming noise, drift and read
 * noise of PCMLikeNoiseModel, StateIndependentNoiseModel and
 * ReRamWan2022NoiseModel, and an exact model (NONE).
 *
 * Conductances are in microsiemens, gr = g / g_max. Every random draw is
 * one anas_rng_normal per device and per noise source, so a seed fixes
 * the result. Arithmetic is in double; only the stored values are float.
 *
 * Mapping of aihwkit's ReRAM parameters: its one noise_scale (used by both
 * programming and "drift") is prog_noise_scale; its fits are fixed tables
 * below, so prog_coeff, read_noise_scale, drift_scale, t_0 and t_read do
 * not apply to it.
 */
#include "config.h"

#include "analog/analog.h"

#include <math.h>

/* aihwkit fits the PCM programming polynomial at 25 uS and rescales it to
 * the model's g_max (its prog_coeff_g_max_reference). */
#define PCM_G_REF 25.0
#define ZERO_CLIP 1e-7

/* ReRamWan2022's fits at the three measured times, lowest order first. */
static const struct reram_fit {
    double t;
    float c[5];
} reram_fits[] = {
    {1.0, {0.348, 16.030, -43.853, 45.393, -16.815}},
    {86400.0, {0.701, 22.086, -50.773, 47.095, -16.458}},
    {172800.0, {0.782, 20.274, -43.507, 37.062, -11.934}},
};

#define N_RERAM_FITS ((int)(sizeof reram_fits / sizeof reram_fits[0]))

/* sum_k c_k x^k, lowest order first; n is capped at the array's size. */
static double poly(const float *c, int n, double x)
{
    double s = 0.0;

    if (n > ANAS_ANALOG_MAX_PROG_COEFFS)
        n = ANAS_ANALOG_MAX_PROG_COEFFS;
    while (n-- > 0)
        s = s * x + c[n];
    return s;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static float nonneg(double g)
{
    return g > 0.0 ? (float)g : 0.0f;
}

float anas_analog_to_conductance(const struct anas_analog_noise *m, const float *W, size_t n,
                                 float *gp, float *gm)
{
    double range = (double)m->g_max - m->g_min, amax = 0.0, s;

    for (size_t i = 0; i < n; i++)
        amax = fmax(amax, fabs(W[i]));
    s = range / fmax(amax, ZERO_CLIP);
    for (size_t i = 0; i < n; i++) {
        double v = W[i] * s;

        gp[i] = (float)(clampd(v, 0.0, range) + m->g_min);
        gm[i] = (float)(clampd(-v, 0.0, range) + m->g_min);
    }
    return (float)s;
}

void anas_analog_from_conductance(float s, const float *gp, const float *gm, size_t n,
                                  float *W)
{
    for (size_t i = 0; i < n; i++)
        W[i] = (float)(((double)gp[i] - gm[i]) / s);
}

/* --- programming: g_prog and the drift parameter of one device --- */

/* PCM's drift exponent (Nandakumar et al.'s log fits of mean and spread). */
static double pcm_nu(const struct anas_analog_noise *m, double gr, struct anas_rng *rng)
{
    double l = log(fmax(fabs(gr), ZERO_CLIP));
    double mu = clampd(-0.0155 * l + 0.0244, 0.049, 0.1);
    double sd = clampd(-0.0125 * l - 0.0059, 0.008, 0.045);

    return m->drift_scale * fabs(mu + sd * anas_rng_normal(rng));
}

static void program_one(const struct anas_analog_noise *m, double gt, float *g_prog,
                        float *param, struct anas_rng *rng)
{
    double gr = gt / m->g_max, sd = 0.0, p = 0.0;

    switch (m->type) {
    case ANAS_NOISE_PCM:
        sd = poly(m->prog_coeff, m->n_prog_coeffs, gr) * (m->g_max / PCM_G_REF);
        break;
    case ANAS_NOISE_STATE_INDEPENDENT:
        sd = poly(m->prog_coeff, m->n_prog_coeffs, gr);
        break;
    case ANAS_NOISE_RERAM:
        sd = poly(reram_fits[0].c, 5, gr); /* the earliest fit */
        break;
    case ANAS_NOISE_NONE:
        *g_prog = (float)gt;
        if (param)
            *param = 0.0f;
        return;
    }
    *g_prog = nonneg(gt + m->prog_noise_scale * sd * anas_rng_normal(rng));
    if (m->type == ANAS_NOISE_PCM)
        p = pcm_nu(m, gr, rng);
    else if (m->type == ANAS_NOISE_STATE_INDEPENDENT)
        p = m->drift_scale * fabs(m->drift_nu_mean + m->drift_nu_std * anas_rng_normal(rng));
    else
        p = gt; /* ReRAM re-draws from the target at read time */
    if (param)
        *param = (float)p;
}

void anas_analog_noise_program(const struct anas_analog_noise *m, float *g_prog,
                               float *drift_param, const float *g_t, size_t n,
                               struct anas_rng *rng)
{
    /* The target is read before either output is written, so any of the
     * three arrays may alias. */
    for (size_t i = 0; i < n; i++)
        program_one(m, g_t[i], &g_prog[i], drift_param ? &drift_param[i] : NULL, rng);
}

/* --- drift and read noise --- */

/* PCM and state-independent: power-law drift after t_0, then 1/f read
 * noise accumulated since programming (present even at t_inference 0). */
static void drift_power_law(const struct anas_analog_noise *m, float *g, const float *g_prog,
                            const float *nu, size_t n, double t_inf, struct anas_rng *rng)
{
    double t = t_inf + m->t_0, L = t > m->t_0 ? log(t / m->t_0) : 0.0;
    double lnr = log((t + m->t_read) / (2.0 * m->t_read));
    double f = sqrt(fmax(lnr, 0.0)) * m->read_noise_scale;
    int pcm = m->type == ANAS_NOISE_PCM;

    for (size_t i = 0; i < n; i++) {
        double gp = g_prog[i], gd = gp * exp(-nu[i] * L), sd; /* (t/t_0)^-nu */

        if (pcm) /* Q_s is taken from g_prog, not from the drifted value */
            sd = fmin(0.0088 / fmax(pow(fabs(gp) / m->g_max, 0.65), 1e-3), 0.2) * fabs(gd);
        else
            sd = fabs(gd) / m->g_max;
        g[i] = nonneg(gd + sd * f * anas_rng_normal(rng));
    }
}

static int drift_reram(const struct anas_analog_noise *m, float *g, const float *g_t, size_t n,
                       double t_inf, struct anas_rng *rng)
{
    const struct reram_fit *fit = NULL;

    for (int k = 0; k < N_RERAM_FITS; k++)
        if (reram_fits[k].t == t_inf)
            fit = &reram_fits[k];
    if (!fit)
        return ANAS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        double gt = g_t[i], sd = poly(fit->c, 5, gt / m->g_max);

        g[i] = nonneg(gt + m->prog_noise_scale * sd * anas_rng_normal(rng));
    }
    return 0;
}

int anas_analog_noise_drift(const struct anas_analog_noise *m, float *g, const float *g_prog,
                            const float *drift_param, size_t n, double t,
                            struct anas_rng *rng)
{
    if (!(t >= 0.0) || isinf(t))
        return ANAS_EINVAL;
    switch (m->type) {
    case ANAS_NOISE_PCM:
    case ANAS_NOISE_STATE_INDEPENDENT:
        drift_power_law(m, g, g_prog, drift_param, n, t, rng);
        return 0;
    case ANAS_NOISE_RERAM:
        return drift_reram(m, g, drift_param, n, t, rng);
    case ANAS_NOISE_NONE:
        for (size_t i = 0; i < n; i++)
            g[i] = g_prog[i];
        return 0;
    }
    return ANAS_EINVAL;
}
