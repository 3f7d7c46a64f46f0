/*
 * analog-noise.c - the conductance converter and the noise models of
 * aihwkit's src/aihwkit/inference/ (converter/conductance.py, noise/pcm.py,
 * custom.py and reram.py) against their formulas.
 *
 * Statistical checks draw N devices at one target and compare the sample
 * mean and variance with the model's: the clamp at 0 makes programming
 * and read noise a rectified normal max(0, X) and the drift exponent a
 * folded normal |X|, whose moments are exact below; drift factors
 * E[r^-k nu] are integrated numerically. Tolerances are 5 standard errors
 * of the sample (the variance's from the sample's fourth moment), so a
 * correct model fails one of the ~150 checks by chance with probability
 * below ~1e-4; the seeds are fixed, so the outcome is deterministic.
 */
#include "config.h"

#include "analog/analog.h"

#include "tap.h"

#define N 10000
#define GMAX 25.0
#define TREAD 250e-9

static float gt[N], gprog[N], nu[N], g[N];

static const double times[] = {1.0, 3600.0, 86400.0, 2592000.0};
static const char *const tnames[] = {"1 s", "1 h", "1 d", "30 d"};
#define N_TIMES 4

/* --- reference distributions --- */

static double phi(double z)
{
    return exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
}

static double Phi(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

struct dist {
    double mean, var;
};

/* max(0, X), X ~ N(mu, sd^2) */
static struct dist rectified(double mu, double sd)
{
    double a, m1, m2;

    sd = fabs(sd);
    if (sd == 0.0)
        return (struct dist){fmax(mu, 0.0), 0.0};
    a = mu / sd;
    m1 = mu * Phi(a) + sd * phi(a);
    m2 = (mu * mu + sd * sd) * Phi(a) + mu * sd * phi(a);
    return (struct dist){m1, m2 - m1 * m1};
}

/* |X|, X ~ N(mu, sd^2) */
static struct dist folded(double mu, double sd)
{
    double m1 = sd * sqrt(2.0 / M_PI) * exp(-mu * mu / (2 * sd * sd)) +
                mu * (1.0 - 2.0 * Phi(-mu / sd));

    return (struct dist){m1, mu * mu + sd * sd - m1 * m1};
}

/* E[exp(-k L |mu + sd Z|)], Z standard normal (Simpson on [-12, 12]). */
static double drift_moment(double mu, double sd, double L, double k)
{
    const int m = 4000;
    const double h = 24.0 / m;
    double s = 0.0;

    for (int i = 0; i <= m; i++) {
        double z = -12.0 + i * h, w = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);

        s += w * phi(z) * exp(-k * L * fabs(mu + sd * z));
    }
    return s * h / 3.0;
}

/* PCM's drift-exponent parameters, written from aihwkit's noise/pcm.py. */
static void pcm_nu_params(double gr, double *mu, double *sd)
{
    double l = log(fmax(fabs(gr), 1e-7));

    *mu = fmin(fmax(-0.0155 * l + 0.0244, 0.049), 0.1);
    *sd = fmin(fmax(-0.0125 * l - 0.0059, 0.008), 0.045);
}

static double pcm_qs(double gr)
{
    return fmin(0.0088 / fmax(pow(fabs(gr), 0.65), 1e-3), 0.2);
}

static double read_factor(double t_inf, double t0)
{
    return sqrt(log((t_inf + t0 + TREAD) / (2 * TREAD)));
}

/* --- sample moments and the check --- */

static void sample_check(const float *x, size_t n, struct dist want, const char *what)
{
    double mean = 0, m2 = 0, m4 = 0, se_m, se_v;

    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;

        m2 += d * d;
        m4 += d * d * d * d;
    }
    m2 /= (double)(n - 1);
    m4 /= (double)n;
    se_m = sqrt(m2 / (double)n);
    se_v = sqrt(fmax(m4 - m2 * m2, 0.0) / (double)n);
    is_near(mean, want.mean, 5 * se_m + 1e-12, "%s: mean", what);
    is_near(m2, want.var, 5 * se_v + 1e-15, "%s: variance", what);
}

static void fill(float *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)v;
}

static struct anas_analog_noise model(const char *preset)
{
    struct anas_analog_config c;

    anas_analog_preset(preset, &c);
    return c.noise_model;
}

/* --- the converter --- */

static void converter(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    static float W[350], gp[350], gm[350], back[350];
    struct anas_rng rng;
    int in = 1, top = 0;
    double err = 0, s;

    m.g_max = 3.123f;
    m.g_min = 0.789f;
    anas_rng_seed(&rng, 11);
    for (int i = 0; i < 350; i++)
        W[i] = (float)anas_rng_normal(&rng);
    s = anas_analog_to_conductance(&m, W, 350, gp, gm);
    for (int i = 0; i < 350; i++) {
        in &= gp[i] >= m.g_min - 1e-6f && gp[i] <= m.g_max + 1e-6f;
        in &= gm[i] >= m.g_min - 1e-6f && gm[i] <= m.g_max + 1e-6f;
        top |= gp[i] >= m.g_max - 1e-6f || gm[i] >= m.g_max - 1e-6f;
        in &= gp[i] == m.g_min || gm[i] == m.g_min; /* one device of a pair idles */
    }
    ok(in, "SinglePair (3.123, 0.789): conductances within [g_min, g_max], one idle per pair");
    ok(top, "... the largest weight reaches g_max");
    anas_analog_from_conductance((float)s, gp, gm, 350, back);
    for (int i = 0; i < 350; i++)
        err = fmax(err, fabs(back[i] - W[i]));
    ok(err < 1e-4, "round trip W -> g -> W to 1e-4 (max error %.2g)", err);

    fill(W, 350, 0.0);
    s = anas_analog_to_conductance(&m, W, 350, gp, gm);
    anas_analog_from_conductance((float)s, gp, gm, 350, back);
    ok(gp[7] == m.g_min && gm[7] == m.g_min && back[7] == 0.0f && isfinite(s),
       "all-zero weights: both devices at g_min, back to 0");
}

/* --- PCM --- */

static const double grs[] = {0.0, 0.05, 0.2, 0.5, 1.0};
#define N_GRS 5

static double pcm_sigma_prog(double gr, double g_max)
{
    return (0.26348 + 1.9650 * gr - 1.1731 * gr * gr) * g_max / 25.0;
}

static void pcm_program(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    struct anas_rng rng;
    char what[96];

    anas_rng_seed(&rng, 21);
    for (int k = 0; k < N_GRS; k++) {
        double mu, sd, t = grs[k] * GMAX;

        fill(gt, N, t);
        anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
        snprintf(what, sizeof what, "PCM programming at g_r %.2f", grs[k]);
        sample_check(gprog, N, rectified(t, pcm_sigma_prog(grs[k], GMAX)), what);
        pcm_nu_params(grs[k], &mu, &sd);
        snprintf(what, sizeof what, "PCM drift exponent at g_r %.2f", grs[k]);
        sample_check(nu, N, folded(mu, sd), what);
    }
    /* the polynomial is fitted at 25 uS and scales with g_max */
    m.g_max = 50.0f;
    fill(gt, N, 0.2 * 50.0);
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    sample_check(gprog, N, rectified(10.0, pcm_sigma_prog(0.2, 50.0)),
                 "PCM programming, g_max 50: sigma x2");
    m.g_max = 25.0f;
    m.drift_scale = 2.0f;
    m.prog_noise_scale = 0.5f;
    fill(gt, N, 0.05 * GMAX);
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    {
        double mu, sd;
        struct dist d;

        pcm_nu_params(0.05, &mu, &sd);
        d = folded(mu, sd);
        sample_check(nu, N, (struct dist){2 * d.mean, 4 * d.var}, "PCM drift_scale 2 doubles nu");
        sample_check(gprog, N, rectified(0.05 * GMAX, 0.5 * pcm_sigma_prog(0.05, GMAX)),
                     "PCM prog_noise_scale 0.5 halves sigma");
    }
}

/* Read noise alone (exact programming, nu = 0): max(0, N(g, (Q_s f g)^2)). */
static void pcm_read(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    static const double rgrs[] = {0.05, 0.2, 0.5, 1.0};
    struct anas_rng rng;
    char what[96];

    anas_rng_seed(&rng, 31);
    m.prog_noise_scale = 0.0f;
    m.drift_scale = 0.0f;
    for (int k = 0; k < 4; k++) {
        fill(gt, N, rgrs[k] * GMAX);
        anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
        for (int j = 0; j < N_TIMES; j++) {
            double sd = pcm_qs(rgrs[k]) * read_factor(times[j], 20.0) * rgrs[k] * GMAX;

            is_int(anas_analog_noise_drift(&m, g, gprog, nu, N, times[j], &rng), 0,
                   "PCM drift at %s", tnames[j]);
            snprintf(what, sizeof what, "PCM read noise at g_r %.2f, %s", rgrs[k], tnames[j]);
            sample_check(g, N, rectified(rgrs[k] * GMAX, sd), what);
        }
    }
    /* t_inference 0: no drift, but 20 s of 1/f noise (factor 4.1838) */
    fill(gprog, N, 0.2 * GMAX);
    anas_analog_noise_drift(&m, g, gprog, nu, N, 0.0, &rng);
    is_near(read_factor(0.0, 20.0), 4.1838, 1e-4, "read factor at t = 0 is 4.1838");
    sample_check(g, N, rectified(5.0, pcm_qs(0.2) * read_factor(0.0, 20.0) * 5.0),
                 "PCM read noise present at t = 0");
    m.read_noise_scale = 0.0f;
    anas_analog_noise_drift(&m, g, gprog, nu, N, 0.0, &rng);
    ok(g[0] == gprog[0] && g[N - 1] == gprog[N - 1], "read_noise_scale 0 reads exactly");
}

/* Drift alone (exact programming, no read noise): g_t (t/t_0)^-nu. */
static void pcm_drift(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    static const double dgrs[] = {0.01, 0.05, 0.2, 1.0};
    struct anas_rng rng;
    char what[96];

    anas_rng_seed(&rng, 41);
    m.prog_noise_scale = 0.0f;
    m.read_noise_scale = 0.0f;
    for (int k = 0; k < 4; k++) {
        double mu, sd, t = dgrs[k] * GMAX;

        pcm_nu_params(dgrs[k], &mu, &sd);
        fill(gt, N, t);
        anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
        for (int j = 0; j < N_TIMES; j++) {
            double L = log((times[j] + 20.0) / 20.0);
            double e1 = drift_moment(mu, sd, L, 1), e2 = drift_moment(mu, sd, L, 2);

            anas_analog_noise_drift(&m, g, gprog, nu, N, times[j], &rng);
            snprintf(what, sizeof what, "PCM drift at g_r %.2f, %s", dgrs[k], tnames[j]);
            sample_check(g, N, (struct dist){t * e1, t * t * (e2 - e1 * e1)}, what);
        }
    }
    anas_analog_noise_drift(&m, g, gprog, nu, N, 0.0, &rng);
    ok(g[0] == gprog[0] && g[N / 2] == gprog[N / 2], "no drift at t_inference 0");
    is_near(pow(5001.0, -0.049), 0.659, 1e-3, "(1e5 s + 20) / 20 at nu 0.049 gives 0.659");
}

/* Everything on: the mean is g_t E[r^-nu]; with exact programming the
 * variance is g_t^2 (E[r^-2nu] (1 + q^2) - E[r^-nu]^2), q from Q_s(g_prog). */
static void pcm_full(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    struct anas_rng rng;
    double mu, sd, L = log((2592000.0 + 20.0) / 20.0), e1, e2, q;
    float *ys = g;

    anas_rng_seed(&rng, 51);
    pcm_nu_params(0.5, &mu, &sd);
    e1 = drift_moment(mu, sd, L, 1);
    e2 = drift_moment(mu, sd, L, 2);
    fill(gt, N, 12.5);
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    anas_analog_noise_drift(&m, ys, gprog, nu, N, 2592000.0, &rng);
    {
        double mean = 0, var = 0;

        for (int i = 0; i < N; i++)
            mean += ys[i];
        mean /= N;
        for (int i = 0; i < N; i++)
            var += (ys[i] - mean) * (ys[i] - mean);
        var /= N - 1;
        is_near(mean, 12.5 * e1, 5 * sqrt(var / N), "PCM, all noise, 30 d: mean g_t E[r^-nu]");
    }
    m.prog_noise_scale = 0.0f;
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    anas_analog_noise_drift(&m, ys, gprog, nu, N, 2592000.0, &rng);
    q = pcm_qs(0.5) * read_factor(2592000.0, 20.0);
    sample_check(ys, N, (struct dist){12.5 * e1, 12.5 * 12.5 * (e2 * (1 + q * q) - e1 * e1)},
                 "PCM drift + read at 30 d (Q_s from g_prog)");
}

/* --- state-independent --- */

static void state_independent(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    struct anas_rng rng;

    anas_rng_seed(&rng, 61);
    m.type = ANAS_NOISE_STATE_INDEPENDENT;
    m.n_prog_coeffs = 3;
    m.prog_coeff[0] = 0.2f, m.prog_coeff[1] = 0.0f, m.prog_coeff[2] = 0.0f;
    m.g_max = 50.0f; /* no g_max/25 rescale here */
    fill(gt, N, 0.0);
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    sample_check(gprog, N, rectified(0.0, 0.2), "state-independent programming at 0");
    sample_check(nu, N, folded(0.1, 0.05), "state-independent nu = |0.1 + 0.05 xi|");
    m.prog_coeff[1] = 0.4f;
    fill(gt, N, 25.0);
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    sample_check(gprog, N, rectified(25.0, 0.2 + 0.4 * 0.5),
                 "state-independent programming, c1 0.4 at g_r 0.5");

    m.prog_noise_scale = 0.0f;
    m.drift_scale = 0.0f;
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    anas_analog_noise_drift(&m, g, gprog, nu, N, 86400.0, &rng);
    sample_check(g, N, rectified(25.0, 25.0 / 50.0 * read_factor(86400.0, 20.0)),
                 "state-independent read std |g|/g_max sqrt(ln(...)) at 1 d");

    m.drift_scale = 1.0f;
    m.read_noise_scale = 0.0f;
    anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
    anas_analog_noise_drift(&m, g, gprog, nu, N, 3600.0, &rng);
    {
        double L = log(3620.0 / 20.0), e1 = drift_moment(0.1, 0.05, L, 1),
               e2 = drift_moment(0.1, 0.05, L, 2);

        sample_check(g, N, (struct dist){25 * e1, 625 * (e2 - e1 * e1)},
                     "state-independent drift at 1 h");
    }
}

/* --- ReRAM (Wan 2022) --- */

static double reram_sd(int which, double gr)
{
    static const double c[3][5] = {
        {0.348, 16.030, -43.853, 45.393, -16.815},
        {0.701, 22.086, -50.773, 47.095, -16.458},
        {0.782, 20.274, -43.507, 37.062, -11.934},
    };
    double s = 0;

    for (int k = 4; k >= 0; k--)
        s = s * gr + c[which][k];
    return s;
}

static void reram(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    static const double rt[] = {1.0, 86400.0, 172800.0};
    struct anas_rng rng;
    char what[96];
    int same = 1;

    anas_rng_seed(&rng, 71);
    m.type = ANAS_NOISE_RERAM;
    for (int k = 0; k < 3; k++) {
        double gr = k == 0 ? 0.0 : k == 1 ? 0.3 : 0.8;

        fill(gt, N, gr * GMAX);
        anas_analog_noise_program(&m, gprog, nu, gt, N, &rng);
        snprintf(what, sizeof what, "ReRAM programming (1 s fit) at g_r %.1f", gr);
        sample_check(gprog, N, rectified(gr * GMAX, reram_sd(0, gr)), what);
    }
    for (int i = 0; i < N; i++)
        same &= nu[i] == gt[i];
    ok(same, "ReRAM's drift parameter is the target");
    fill(gprog, N, 1000.0); /* ignored: the drift re-draws from the target */
    for (int j = 0; j < 3; j++) {
        is_int(anas_analog_noise_drift(&m, g, gprog, nu, N, rt[j], &rng), 0,
               "ReRAM accepts t = %g", rt[j]);
        snprintf(what, sizeof what, "ReRAM at t = %g from the target", rt[j]);
        sample_check(g, N, rectified(0.8 * GMAX, reram_sd(j, 0.8)), what);
    }
    is_int(anas_analog_noise_drift(&m, g, gprog, nu, N, 3600.0, &rng), ANAS_EINVAL,
           "ReRAM rejects t = 3600");
    is_int(anas_analog_noise_drift(&m, g, gprog, nu, N, 0.0, &rng), ANAS_EINVAL,
           "ReRAM rejects t = 0");
    m.prog_noise_scale = 2.0f;
    anas_analog_noise_drift(&m, g, gprog, nu, N, 86400.0, &rng);
    sample_check(g, N, rectified(0.8 * GMAX, 2 * reram_sd(1, 0.8)),
                 "ReRAM noise scale 2 doubles the 1 d spread");
}

/* --- replay: the formulas draw by draw ---
 * The models draw one standard normal per device and noise source, in
 * device order (programming noise before the drift exponent), so a copy
 * of the generator replays them exactly: this pins constants that the
 * moment checks cannot resolve (t_read's factor 2, for one). */

static void replay(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    struct anas_rng rng, copy;
    double worst = 0;

    anas_rng_seed(&rng, 91);
    for (int i = 0; i < 1000; i++)
        gt[i] = (float)(GMAX * anas_rng_uniform(&rng));
    gt[0] = 0.0f;
    copy = rng;
    anas_analog_noise_program(&m, gprog, nu, gt, 1000, &rng);
    for (int i = 0; i < 1000; i++) {
        double gr = gt[i] / GMAX, mu, sd, want_g, want_nu;

        want_g = fmax(0.0, gt[i] + pcm_sigma_prog(gr, GMAX) * anas_rng_normal(&copy));
        pcm_nu_params(gr, &mu, &sd);
        want_nu = fabs(mu + sd * anas_rng_normal(&copy));
        worst = fmax(worst, fabs(gprog[i] - want_g) + fabs(nu[i] - want_nu));
    }
    ok(worst < 1e-4, "PCM programming replays the formulas (worst %.2g)", worst);

    for (int j = -1; j < N_TIMES; j++) {
        double t = j < 0 ? 0.0 : times[j], r = (t + 20.0) / 20.0;

        worst = 0;
        copy = rng;
        anas_analog_noise_drift(&m, g, gprog, nu, 1000, t, &rng);
        for (int i = 0; i < 1000; i++) {
            double gd = gprog[i] * pow(r, -(double)nu[i]);
            double q = pcm_qs(gprog[i] / GMAX) * read_factor(t, 20.0);
            double want = fmax(0.0, gd + fabs(gd) * q * anas_rng_normal(&copy));

            worst = fmax(worst, fabs(g[i] - want) / (1.0 + fabs(want)));
        }
        ok(worst < 1e-5, "PCM drift and read at t = %g replay the formulas (worst %.2g)", t,
           worst);
    }
}

/* --- exact model, determinism, aliasing, bad times --- */

static void exact_and_seeds(void)
{
    struct anas_analog_noise m = model("aihwkit-default");
    static float a[1000], b[1000], na[1000], nb[1000];
    struct anas_rng r1, r2;
    int same = 1;

    m.type = ANAS_NOISE_NONE;
    anas_rng_seed(&r1, 81);
    for (int i = 0; i < 1000; i++)
        gt[i] = (float)(25.0 * anas_rng_uniform(&r1));
    anas_analog_noise_program(&m, a, na, gt, 1000, &r1);
    anas_analog_noise_drift(&m, b, a, na, 1000, 2592000.0, &r1);
    for (int i = 0; i < 1000; i++)
        same &= a[i] == gt[i] && b[i] == gt[i];
    ok(same, "NONE: programming and 30 d drift are exact");

    m.type = ANAS_NOISE_PCM;
    anas_rng_seed(&r1, 5);
    anas_rng_seed(&r2, 5);
    anas_analog_noise_program(&m, a, na, gt, 1000, &r1);
    anas_analog_noise_program(&m, b, nb, gt, 1000, &r2);
    same = memcmp(a, b, sizeof a) == 0 && memcmp(na, nb, sizeof na) == 0;
    anas_analog_noise_drift(&m, g, a, na, 1000, 3600.0, &r1);
    anas_analog_noise_drift(&m, a, a, na, 1000, 3600.0, &r2); /* in place */
    ok(same && memcmp(g, a, 1000 * sizeof *a) == 0,
       "same seed, same draws (in-place drift included)");
    anas_rng_seed(&r2, 6);
    anas_analog_noise_program(&m, b, nb, gt, 1000, &r2);
    ok(memcmp(na, nb, sizeof na) != 0, "another seed, other draws");
    is_int(anas_analog_noise_drift(&m, g, a, na, 1000, -1.0, &r1), ANAS_EINVAL,
           "a negative time is refused");
    is_int(anas_analog_noise_drift(&m, g, a, na, 1000, NAN, &r1), ANAS_EINVAL,
           "a NaN time is refused");
}

int main(void)
{
    plan_later();
    converter();
    pcm_program();
    pcm_read();
    pcm_drift();
    pcm_full();
    state_independent();
    reram();
    replay();
    exact_and_seeds();
    return done();
}
