/*
 * analog-modifier.c - HWA training's weight clipping and weight modifier
 * (aihwkit's src/rpucuda/weight_clipper.cpp and weight_modifier.cpp)
 * against their formulas.
 *
 * Noise checks compare sample moments with the formula's, tolerance 5
 * standard errors of the sample (the variance's from the sample's fourth
 * moment); drop fractions use the binomial's 5 standard errors. Seeds are
 * fixed, so the results are deterministic.
 */
#include "config.h"

#include "analog/analog.h"

#include "tap.h"

#define N 20000

static float W[N], out[N], d[N];

static struct anas_analog_modifier base(enum anas_modifier_kind type)
{
    struct anas_analog_config c;

    anas_analog_preset("aihwkit-default", &c);
    c.modifier.type = type;
    return c.modifier;
}

/* W: uniform in [-0.5, 0.5] with one weight at -0.8, so max|W| = 0.8. */
static void weights(struct anas_rng *rng)
{
    for (int i = 0; i < N; i++)
        W[i] = (float)(anas_rng_uniform(rng) - 0.5);
    W[N / 3] = -0.8f;
}

static void sample_check(const float *x, size_t n, double mean_w, double var_w,
                         const char *what)
{
    double mean = 0, m2 = 0, m4 = 0;

    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double e = x[i] - mean;

        m2 += e * e;
        m4 += e * e * e * e;
    }
    m2 /= (double)(n - 1);
    m4 /= (double)n;
    is_near(mean, mean_w, 5 * sqrt(m2 / (double)n) + 1e-12, "%s: mean", what);
    is_near(m2, var_w, 5 * sqrt(fmax(m4 - m2 * m2, 0) / (double)n) + 1e-15, "%s: variance",
            what);
}

static double Phi(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

static void none(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_NONE);
    struct anas_rng rng;

    anas_rng_seed(&rng, 1);
    weights(&rng);
    m.pdrop = 0.5f; /* aihwkit skips everything for NONE */
    m.std_dev = 1.0f;
    anas_analog_modify(&m, out, W, N, &rng);
    ok(memcmp(out, W, sizeof W) == 0, "NONE copies the weights unchanged (even with pdrop)");
    memcpy(d, W, sizeof W);
    anas_analog_modify(&m, d, d, N, &rng);
    ok(memcmp(d, W, sizeof W) == 0, "NONE in place leaves them unchanged");
}

static void diff(void)
{
    for (int i = 0; i < N; i++)
        d[i] = out[i] - W[i];
}

static void add_normal(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_ADD_NORMAL);
    struct anas_rng rng;

    anas_rng_seed(&rng, 2);
    weights(&rng);
    m.std_dev = 0.06f;
    anas_analog_modify(&m, out, W, N, &rng);
    diff();
    sample_check(d, N, 0.0, pow(0.06 * 0.8, 2), "ADD_NORMAL: std = std_dev * max|W|");
    m.rel_to_actual_wmax = 0;
    m.assumed_wmax = 2.0f;
    anas_analog_modify(&m, out, W, N, &rng);
    diff();
    sample_check(d, N, 0.0, pow(0.06 * 2.0, 2), "ADD_NORMAL: std = std_dev * assumed_wmax");
    m.rel_to_actual_wmax = 1;
    memset(W, 0, sizeof W);
    anas_analog_modify(&m, out, W, N, &rng);
    diff();
    sample_check(d, N, 0.0, 0.06 * 0.06, "ADD_NORMAL on zero weights: amax 1");
}

/* Two groups of weights, |w| = 0.1 and 0.4 (max|W| 0.4): the noise of
 * MULT_NORMAL is w * std_dev * amax * xi. */
static void mult_normal(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_MULT_NORMAL);
    struct anas_rng rng;
    double sd = 0.1 * 0.4;

    anas_rng_seed(&rng, 3);
    for (int i = 0; i < N; i++)
        W[i] = (i % 2 ? 0.1f : -0.4f);
    m.std_dev = 0.1f;
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N / 2; i++) {
        d[i] = out[2 * i + 1] - W[2 * i + 1];
        d[N / 2 + i] = out[2 * i] - W[2 * i];
    }
    sample_check(d, N / 2, 0.0, pow(0.1 * sd, 2), "MULT_NORMAL at |w| 0.1");
    sample_check(d + N / 2, N / 2, 0.0, pow(0.4 * sd, 2), "MULT_NORMAL at |w| 0.4 (std x4)");
}

/* POLY: sigma(a) = std_dev * sum c_k a^k with a = |w| / amax, noise amax sigma xi. */
static void poly(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_POLY);
    static const float lv[3] = {0.0f, 0.25f, 1.0f};
    struct anas_rng rng;
    char what[64];

    anas_rng_seed(&rng, 4);
    m.std_dev = 0.5f;
    m.n_coeffs = 3;
    m.coeffs[0] = 0.1f, m.coeffs[1] = 0.2f, m.coeffs[2] = 0.3f;
    for (int i = 0; i < N; i++)
        W[i] = 2.0f * lv[i % 3] * (i % 2 ? 1.0f : -1.0f); /* amax 2 */
    anas_analog_modify(&m, out, W, N, &rng);
    for (int k = 0; k < 3; k++) {
        double a = lv[k], s = 0.5 * (0.1 + 0.2 * a + 0.3 * a * a) * 2.0;
        int n = 0;

        for (int i = k; i < N; i += 3)
            d[n++] = out[i] - W[i];
        snprintf(what, sizeof what, "POLY at a = %.2f", a);
        sample_check(d, (size_t)n, 0.0, s * s, what);
    }
}

/* PROG_NOISE: w' = sign(w) |w + amax sigma xi|, sigma = std_dev / g_max * poly(a). */
static void prog_noise(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_PROG_NOISE);
    struct anas_rng rng;
    int kept = 1, n = 0;
    double mu = 0.05, s = 25.0 / 25.0 * 0.1, a = mu / s, fm, fv;

    anas_rng_seed(&rng, 5);
    m.std_dev = 25.0f;
    m.g_max = 25.0f;
    m.n_coeffs = 1;
    m.coeffs[0] = 0.1f;
    for (int i = 0; i < N; i++)
        W[i] = i % 2 ? 0.05f : -0.05f;
    W[0] = -1.0f; /* amax 1 */
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N; i++) {
        kept &= W[i] < 0 ? out[i] <= 0.0f : out[i] >= 0.0f;
        if (i > 0)
            d[n++] = fabsf(out[i]);
    }
    ok(kept, "PROG_NOISE keeps every weight's sign");
    /* |N(0.05, 0.1^2)|: the noise is reflected at 0 */
    fm = s * sqrt(2 / M_PI) * exp(-a * a / 2) + mu * (1 - 2 * Phi(-a));
    fv = mu * mu + s * s - fm * fm;
    sample_check(d, (size_t)n, fm, fv, "PROG_NOISE magnitude is the folded normal");
}

static void discretize(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_DISCRETIZE);
    struct anas_rng rng;
    int on_grid = 1, nearest = 1;

    anas_rng_seed(&rng, 6);
    weights(&rng);
    m.res = 0.1f;
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N; i++) {
        double k = out[i] / (0.8 * 0.1);

        on_grid &= fabs(k - round(k)) < 1e-4;
        nearest &= fabs(out[i] - W[i]) <= 0.04 + 1e-6;
    }
    ok(on_grid, "DISCRETIZE: levels are multiples of res * amax (0.08)");
    ok(nearest, "DISCRETIZE: each weight moves to its nearest level");

    /* halves round away from zero (aihwkit's round, not rint) */
    W[0] = 1.0f, W[1] = 0.0625f, W[2] = -0.0625f, W[3] = 0.1875f;
    m.res = 0.125f;
    anas_analog_modify(&m, out, W, 4, &rng);
    ok(out[0] == 1.0f && out[1] == 0.125f && out[2] == -0.125f && out[3] == 0.25f,
       "DISCRETIZE rounds halves away from zero");
    m.res = 8.0f;
    anas_analog_modify(&m, d, W, 4, &rng);
    ok(memcmp(d, out, 4 * sizeof *d) == 0, "DISCRETIZE: res 8 means 8 steps (1/8)");
    m.res = 0.0f;
    anas_analog_modify(&m, d, W, 4, &rng);
    ok(memcmp(d, W, 4 * sizeof *d) == 0, "DISCRETIZE: res 0 is a copy");

    /* stochastic rounding is unbiased: 0.03 -> 0 or 0.125, p = 0.24 */
    m.res = 0.125f;
    m.sto_round = 1;
    for (int i = 0; i < N; i++)
        W[i] = 0.03f;
    W[0] = 1.0f;
    anas_analog_modify(&m, out, W, N, &rng);
    sample_check(out + 1, N - 1, 0.03, 0.125 * 0.125 * 0.24 * 0.76,
                 "DISCRETIZE with sto_round: unbiased, Bernoulli spread");
}

static void discretize_add_normal(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_DISCRETIZE_ADD_NORMAL);
    struct anas_rng rng;

    anas_rng_seed(&rng, 7);
    weights(&rng);
    m.res = 0.1f;
    m.std_dev = 0.05f;
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N; i++)
        d[i] = (float)(out[i] - 0.08 * round(W[i] / 0.08));
    sample_check(d, N, 0.0, pow(0.05 * 0.8, 2), "DISCRETIZE_ADD_NORMAL: levels plus noise");
}

static void dorefa(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_DOREFA);
    struct anas_rng rng;
    double worst = 0, top = 0;

    anas_rng_seed(&rng, 8);
    weights(&rng);
    m.res = 0.1f;
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N; i++) {
        double v = tanh(W[i]) * 0.6 / tanh(0.8);

        worst = fmax(worst, fabs(out[i] - round(v / 0.1) * 0.1));
        top = fmax(top, fabs(out[i]));
    }
    ok(worst < 1e-6, "DOREFA: round(tanh(w) dorefa_clip / tanh(amax), res)");
    is_near(top, 0.6, 1e-6, "DOREFA: max|w'| is dorefa_clip");
}

static int zeros(const float *x, int n)
{
    int z = 0;

    for (int i = 0; i < n; i++)
        z += x[i] == 0.0f;
    return z;
}

static void drop_connect(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_DROP_CONNECT);
    struct anas_rng rng;
    double sd = 5 * sqrt(N * 0.3 * 0.7);
    int untouched = 1;

    anas_rng_seed(&rng, 9);
    weights(&rng);
    m.pdrop = 0.3f;
    anas_analog_modify(&m, out, W, N, &rng);
    for (int i = 0; i < N; i++)
        untouched &= out[i] == 0.0f || out[i] == W[i];
    is_near(zeros(out, N), N * 0.3, sd, "DROP_CONNECT: a fraction pdrop 0.3 is zero");
    ok(untouched, "DROP_CONNECT: the others are unchanged");
    m.type = ANAS_MOD_ADD_NORMAL;
    m.std_dev = 0.01f;
    m.pdrop = 0.1f;
    anas_analog_modify(&m, out, W, N, &rng);
    is_near(zeros(out, N), N * 0.1, 5 * sqrt(N * 0.1 * 0.9), "pdrop 0.1 after ADD_NORMAL");
}

static void seeds(void)
{
    struct anas_analog_modifier m = base(ANAS_MOD_ADD_NORMAL);
    struct anas_rng r1, r2;

    anas_rng_seed(&r1, 10);
    weights(&r1);
    m.std_dev = 0.1f;
    m.pdrop = 0.05f;
    anas_rng_seed(&r1, 11);
    anas_rng_seed(&r2, 11);
    anas_analog_modify(&m, out, W, N, &r1);
    memcpy(d, W, sizeof W);
    anas_analog_modify(&m, d, d, N, &r2);
    ok(memcmp(out, d, sizeof d) == 0, "same seed, same result; in place equals out of place");
    anas_rng_seed(&r2, 12);
    anas_analog_modify(&m, d, W, N, &r2);
    ok(memcmp(out, d, sizeof d) != 0, "another seed, another result");
}

/* --- clipping --- */

static double absmax(const float *x, int n)
{
    double a = 0;

    for (int i = 0; i < n; i++)
        a = fmax(a, fabs(x[i]));
    return a;
}

static double std1(const float *x, int n)
{
    double mean = 0, ss = 0;

    for (int i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return sqrt(ss / (n - 1));
}

static void clip(void)
{
    struct anas_analog_clip c = {ANAS_CLIP_FIXED_VALUE, 0.3f, 2.5f};
    struct anas_rng rng;
    double s;
    int inside = 1;

    anas_rng_seed(&rng, 13);
    for (int i = 0; i < 1000; i++)
        W[i] = (float)anas_rng_normal(&rng) * 0.5f;
    memcpy(out, W, 1000 * sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1000);
    is_near(absmax(out, 1000), 0.3f, 0, "FIXED_VALUE 0.3: max|W| == 0.3");
    for (int i = 0; i < 1000; i++)
        inside &= fabsf(W[i]) > 0.3f ? fabsf(out[i]) == 0.3f : out[i] == W[i];
    ok(inside, "FIXED_VALUE: only the weights beyond 0.3 move, to +-0.3");

    c = (struct anas_analog_clip){ANAS_CLIP_LAYER_GAUSSIAN, -1.0f, 2.0f};
    s = std1(W, 1000);
    memcpy(out, W, 1000 * sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1000);
    ok(2.0 * s < absmax(W, 1000), "LAYER_GAUSSIAN: 2 std (%.3f) is below max|W| here", 2 * s);
    is_near(absmax(out, 1000), 2.0 * s, 1e-6, "LAYER_GAUSSIAN: max|W| == sigma std(W), 1/(n-1)");
    c.fixed_value = 0.4f;
    memcpy(out, W, 1000 * sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1000);
    is_near(absmax(out, 1000), 0.4f, 0, "LAYER_GAUSSIAN capped by fixed_value 0.4");
    memcpy(out, W, sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1);
    ok(out[0] == W[0], "LAYER_GAUSSIAN on one weight does not clip");

    c = (struct anas_analog_clip){ANAS_CLIP_AVERAGE_CHANNEL_MAX, -1.0f, 2.5f};
    memcpy(out, W, 1000 * sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1000);
    ok(memcmp(out, W, 1000 * sizeof *W) == 0, "AVERAGE_CHANNEL_MAX on one row: max|W|, no-op");
    c.fixed_value = 0.2f;
    anas_analog_clip_apply(&c, out, 1, 1000);
    is_near(absmax(out, 1000), 0.2f, 0, "AVERAGE_CHANNEL_MAX capped by fixed_value 0.2");
    {
        /* 2 rows: maxima 0.9 and 0.3 -> clip at their mean 0.6 */
        float m[6] = {0.9f, -0.2f, 0.1f, 0.3f, -0.3f, 0.05f};
        c = (struct anas_analog_clip){ANAS_CLIP_AVERAGE_CHANNEL_MAX, -1.0f, 2.5f};
        anas_analog_clip_apply(&c, m, 2, 3);
        ok(m[0] == 0.6f && m[1] == -0.2f && m[3] == 0.3f && m[4] == -0.3f,
           "AVERAGE_CHANNEL_MAX on 2 rows clips at the mean of their maxima (%g)", m[0]);
    }

    c = (struct anas_analog_clip){ANAS_CLIP_NONE, 0.1f, 2.5f};
    memcpy(out, W, 1000 * sizeof *W);
    anas_analog_clip_apply(&c, out, 1, 1000);
    ok(memcmp(out, W, 1000 * sizeof *W) == 0, "NONE does not clip");
}

int main(void)
{
    plan_later();
    none();
    add_normal();
    mult_normal();
    poly();
    prog_noise();
    discretize();
    discretize_add_normal();
    dorefa();
    drop_connect();
    seeds();
    clip();
    return done();
}
