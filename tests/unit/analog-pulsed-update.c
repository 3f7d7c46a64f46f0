/*
 * analog-pulsed-update.c - the pulsed update of lib/analog/pulsed.c
 * against aihwkit's rpu_weight_updater.cpp (doc/analog-model.md): the
 * expected update E[dw] = -lr x d while not saturated, its saturation at
 * desired_bl * dw_min (the worked case lr 0.5, x (0.5, -0.2, 0.05),
 * d (0.1, -0.3), dw_min 0.001), the coincidence counts of the pulse
 * trains (binomial), the deterministic pulse types, VectorUnitCell's
 * policies, Tiki-Taka's transfer and fully hidden weights, the
 * FloatingPoint device equal to plain SGD bit for bit, and the backward.
 *
 * Devices here step exactly dw_min (no device-to-device or cycle-to-cycle
 * noise, far bounds), so a weight's change counts its coincidences.
 * Statistical tolerances are 5 standard errors; the seeds are fixed.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analog/pulsed_int.h"

#include "tap.h"

static const float X3[3] = {0.5f, -0.2f, 0.05f}, D2[2] = {0.1f, -0.3f};

/* Repetitions are divided by this under valgrind (ANAS_VALGRIND); the
 * tolerances follow the counts. */
static int shrink = 1;

static void exact_device(struct anas_pulsed_device *p)
{
    anas_pulsed_device_defaults(ANAS_DEV_CONSTANT_STEP, p);
    p->dw_min_dtod = p->dw_min_std = p->up_down_dtod = 0.0f;
    p->w_max_dtod = p->w_min_dtod = 0.0f;
    p->w_max = 1000.0f;
    p->w_min = -1000.0f;
}

static struct anas_ptile *exact_tile(int d, int n, uint64_t seed,
                                     void (*tweak)(struct anas_analog_training *))
{
    struct anas_analog_training tc;

    anas_pulsed_preset("constant-step", &tc);
    exact_device(&tc.device.unit[0]);
    if (tweak)
        tweak(&tc);
    return anas_ptile_new(d, n, &tc, seed, NULL);
}

/* R copies of the worked case's sample, at lr. */
static void repeat_sample(float *X, float *D, int R)
{
    for (int r = 0; r < R; r++) {
        memcpy(X + 3 * r, X3, sizeof X3);
        memcpy(D + 2 * r, D2, sizeof D2);
    }
}

/* Mean update per sample vs BL min(p,1) min(q,1) dw: both regimes. */
static void expected_update(float lr, const char *regime)
{
    enum { RMAX = 4000 };
    static float X[3 * RMAX], D[2 * RMAX];
    int R = RMAX / shrink;
    float W[6] = {0}, dw = 0.001f;
    double xa = 0.5, da = 0.3, k = lr * xa * da / dw;
    int BL = (int)fmin(ceil(k), 31.0);
    double dac = k > 31 ? da * 31 / k : da, A = sqrt(lr / (dw * BL)) * sqrt(xa / dac),
           B = sqrt(lr / (dw * BL)) * sqrt(dac / xa);
    struct anas_ptile *t = exact_tile(2, 3, 21, NULL);

    repeat_sample(X, D, R);
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X, D, R, lr);
    anas_ptile_get_weights(t, W);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            double pq = fmin(fabs(X3[j]) * B, 1.0) * fmin(fabs(D2[i]) * A, 1.0);
            double want = -(X3[j] > 0 ? 1 : -1) * (D2[i] > 0 ? 1 : -1) * BL * pq * dw;
            double se = sqrt(BL * pq * (1 - pq) / R) * dw;
            double ideal = -lr * X3[j] * D2[i];

            ok(fabs(W[i * 3 + j] / R - want) <= 5 * se + 1e-3 * fabs(want), /* float sums */
               "%s (lr %g, BL %d): E[dw_%d%d] = %.6f (got %.6f, ideal -lr x d = %.6f)", regime,
               lr, BL, i, j, want, W[i * 3 + j] / R, ideal);
            if (k <= 31)
                ok(fabs(want - ideal) < 1e-6, "  which is -lr x d");
        }
    anas_ptile_free(t);
}

/* The worked case: k = 75, BL = 31, the largest |x| and |d| meet in
 * every slot: exactly 31 pulses, +0.031 instead of the ideal +0.075. */
static void saturation(void)
{
    float W[6] = {0};
    struct anas_ptile *t = exact_tile(2, 3, 22, NULL);

    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X3, D2, 1, 0.5f);
    anas_ptile_get_weights(t, W);
    is_near(W[1 * 3 + 0], 31 * 0.001f, 1e-6, "worked case: w_10 += desired_bl dw_min = 0.031");
    is_int(anas_ptile_last_counts(t)[3], 31, "  from 31 coincidences");
    anas_ptile_free(t);
}

static void no_bl_management(struct anas_analog_training *tc)
{
    tc->update.update_bl_management = 0;
}

/* Without BL management BL = 31 and the count of weight (0, 1) is
 * binomial(31, p q) with p = |x| B, q = |d| A. */
static void coincidences(void)
{
    int R = 3000 / shrink;
    struct anas_ptile *t = exact_tile(2, 3, 23, no_bl_management);
    float W[6] = {0}, lr = 0.01f, dw = 0.001f;
    double A = sqrt(lr / (dw * 31)) * sqrt(0.5 / 0.3), B = sqrt(lr / (dw * 31)) * sqrt(0.3 / 0.5);
    double pq = 0.2 * B * 0.1 * A, s = 0, s2 = 0;

    anas_ptile_set_weights(t, W);
    for (int r = 0; r < R; r++) {
        int c;

        anas_ptile_update(t, X3, D2, 1, lr);
        c = anas_ptile_last_counts(t)[1];
        s += abs(c);
        s2 += (double)c * c;
    }
    {
        double m = s / R, v = s2 / R - m * m, want_v = 31 * pq * (1 - pq);

        ok(fabs(m - 31 * pq) < 5 * sqrt(want_v / R),
           "coincidences of (0, 1): mean %.4f, binomial(31, %.4f) has %.4f", m, pq, 31 * pq);
        ok(fabs(v / want_v - 1) < 5 * sqrt(2.0 / R) * 1.5,
           "  variance %.4f, binomial has %.4f", v, want_v);
    }
    anas_ptile_free(t);
}

static void implicit(struct anas_analog_training *tc)
{
    tc->update.pulse_type = ANAS_PULSE_DETERMINISTIC_IMPLICIT;
}

static void mean_count(struct anas_analog_training *tc)
{
    tc->update.pulse_type = ANAS_PULSE_MEAN_COUNT;
}

static void deterministic_types(void)
{
    float W[6] = {0}, lr = 0.05f;
    double k = lr * 0.5 * 0.3 / 0.001; /* 7.5: BL 8 */
    double A = sqrt(lr / (0.001 * 8)) * sqrt(0.5 / 0.3), B = sqrt(lr / (0.001 * 8)) * sqrt(0.3 / 0.5);
    struct anas_ptile *t = exact_tile(2, 3, 24, implicit);
    int good = 1;

    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X3, D2, 1, lr);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            int want = (int)rint(8 * fmin(fabs(X3[j]) * B, 1) * fmin(fabs(D2[i]) * A, 1));

            good &= abs(anas_ptile_last_counts(t)[i * 3 + j]) == want;
        }
    ok(good && k < 8, "DETERMINISTIC_IMPLICIT: n_ij = rint(BL p_j q_i)");
    anas_ptile_free(t);

    t = exact_tile(2, 3, 25, mean_count);
    good = 1;
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X3, D2, 1, lr);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            double cx = rint(8 * fmin(fabs(X3[j]) * B, 1)), cd = rint(8 * fmin(fabs(D2[i]) * A, 1));

            good &= abs(anas_ptile_last_counts(t)[i * 3 + j]) == (int)rint(cx * cd / 8);
        }
    ok(good, "MEAN_COUNT: n_ij = rint(rint(BL p_j) rint(BL q_i) / BL)");
    anas_ptile_free(t);
}

static enum anas_vector_policy policy;

static void vector3(struct anas_analog_training *tc)
{
    tc->device.compound = ANAS_COMPOUND_VECTOR;
    tc->device.n_units = 3;
    tc->device.unit[1] = tc->device.unit[2] = tc->device.unit[0];
    tc->device.update_policy = policy;
    tc->device.first_update_idx = 1;
    tc->update.pulse_type = ANAS_PULSE_DETERMINISTIC_IMPLICIT;
}

/* Sum of |w| of unit k (n weights; unit_abs: the 2 x 3 tiles). */
static double unit_abs_n(const struct anas_ptile *t, int k, int n)
{
    const float *w = anas_ptile_unit_weights(t, k);
    double s = 0;

    for (int i = 0; i < n; i++)
        s += fabsf(w[i]);
    return s;
}

static double unit_abs(const struct anas_ptile *t, int k)
{
    return unit_abs_n(t, k, 6);
}

static void vector_policies(void)
{
    enum { RMAX = 3000 };
    static float X[3 * RMAX], D[2 * RMAX];
    int R = RMAX / shrink;
    float W[6] = {0}, V[6];
    struct anas_ptile *t;
    double a[3];

    repeat_sample(X, D, R);
    policy = ANAS_VP_ALL;
    t = exact_tile(2, 3, 31, vector3);
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X, D, 3, 0.05f);
    anas_ptile_get_weights(t, V);
    ok(memcmp(anas_ptile_unit_weights(t, 0), anas_ptile_unit_weights(t, 1), sizeof W) == 0 &&
           memcmp(anas_ptile_unit_weights(t, 0), anas_ptile_unit_weights(t, 2), sizeof W) == 0 &&
           unit_abs(t, 0) > 0,
       "VectorUnitCell ALL: every device gets the same pulses");
    is_near(V[3], anas_ptile_unit_weights(t, 0)[3], 1e-7, "  visible = mean of the devices");
    anas_ptile_free(t);

    policy = ANAS_VP_SINGLE_FIXED;
    t = exact_tile(2, 3, 32, vector3);
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X, D, 3, 0.05f);
    ok(unit_abs(t, 0) == 0 && unit_abs(t, 2) == 0 && unit_abs(t, 1) > 0,
       "SINGLE_FIXED (first_update_idx 1): only device 1 moves");
    anas_ptile_free(t);

    policy = ANAS_VP_SINGLE_SEQUENTIAL;
    t = exact_tile(2, 3, 33, vector3);
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X, D, 2, 0.05f);
    ok(unit_abs(t, 1) > 0 && unit_abs(t, 2) > 0 && unit_abs(t, 0) == 0,
       "SINGLE_SEQUENTIAL: samples 1, 2 go to devices 1, 2");
    anas_ptile_update(t, X, D, 1, 0.05f);
    ok(unit_abs(t, 0) == unit_abs(t, 1) && unit_abs(t, 1) == unit_abs(t, 2),
       "  and the third to device 0");
    anas_ptile_free(t);

    policy = ANAS_VP_SINGLE_RANDOM;
    t = exact_tile(2, 3, 34, vector3);
    anas_ptile_set_weights(t, W);
    anas_ptile_update(t, X, D, R, 0.05f);
    for (int k = 0; k < 3; k++)
        a[k] = unit_abs(t, k) / (unit_abs(t, 0) + unit_abs(t, 1) + unit_abs(t, 2));
    ok(fabs(a[0] - 1.0 / 3) < 5 * sqrt(2.0 / 9 / R) && fabs(a[1] - 1.0 / 3) < 5 * sqrt(2.0 / 9 / R),
       "SINGLE_RANDOM: each device gets a third of the samples (%.3f %.3f %.3f)", a[0], a[1],
       a[2]);
    anas_ptile_free(t);
}

/* Tiki-Taka with A = unit 0, C = unit 1, a perfect transfer read, a
 * transfer every sample. */
static void tiki(struct anas_analog_training *tc)
{
    struct anas_pulsed_device p = tc->device.unit[0];

    anas_pulsed_preset("tiki-taka", tc);
    tc->device.unit[0] = tc->device.unit[1] = p;
    tc->device.units_in_mbatch = 0;
    tc->device.transfer_every = 1.0f;
    tc->device.transfer_forward.is_perfect = 1;
}

static void tiki_taka(void)
{
    enum { RMAX = 2000 };
    static float X[2 * 2 * RMAX], D[2 * 2 * RMAX];
    int R = RMAX / shrink;
    float W[4] = {0.1f, -0.2f, 0.3f, 0.05f}, V[4], lr = 0.1f;
    struct anas_ptile *t = exact_tile(2, 2, 41, tiki);
    const float *C = anas_ptile_unit_weights(t, 1);

    anas_ptile_set_weights(t, W);
    ok(unit_abs_n(t, 0, 4) == 0 && memcmp(C, W, sizeof W) == 0, "Tiki-Taka: set_weights: A = 0, C = W");
    for (int k = 0; k < 12; k++) /* A[0][0] = 0.012, A[1][0] = -0.005 */
        anas_ptile_pulse(t, 0, 0, 0, -1);
    for (int k = 0; k < 5; k++)
        anas_ptile_pulse(t, 0, 1, 0, +1);
    anas_ptile_get_weights(t, V);
    ok(memcmp(V, W, sizeof W) == 0, "  fully hidden (gamma 0): A's pulses leave W alone");
    /* zero samples: A stays, every cycle transfers the next column */
    anas_ptile_update(t, X, D, 2 * R, lr);
    {
        float a0 = anas_ptile_unit_weights(t, 0)[0], a1 = anas_ptile_unit_weights(t, 0)[2];
        double want0 = W[0] + R * lr * a0, want1 = W[2] + R * lr * a1;
        /* counts per transfer: binomial(BL, pq) with BL pq = k_i = lr |a| / dw */
        double se = 5 * sqrt(R * 2 * 0.25) * 0.001;

        ok(fabs(C[0] - want0) < se && fabs(C[2] - want1) < se,
           "  C[:, 0] follows A[:, 0] in expectation: %.4f (want %.4f), %.4f (want %.4f)", C[0],
           want0, C[2], want1);
        ok(C[1] == W[1] && C[3] == W[3], "  A's zero column 1 moves nothing");
        anas_ptile_get_weights(t, V);
        ok(memcmp(V, C, sizeof V) == 0, "  visible W = C");
    }
    anas_ptile_free(t);
}

static void fp_equals_sgd(void)
{
    enum { M = 8, Dn = 3, Nn = 5 };
    float X[M * Nn], D[M * Dn], W[Dn * Nn], ref[Dn * Nn], got[Dn * Nn], lr = 0.037f;
    struct anas_analog_training tc;
    struct anas_ptile *t;

    for (int k = 0; k < M * Nn; k++)
        X[k] = sinf(1.3f * k);
    for (int k = 0; k < M * Dn; k++)
        D[k] = cosf(0.7f * k) * 0.3f;
    for (int k = 0; k < Dn * Nn; k++)
        W[k] = ref[k] = 0.2f * sinf(0.4f * k + 1);
    anas_pulsed_preset("floating-point", &tc);
    t = anas_ptile_new(Dn, Nn, &tc, 1, NULL);
    anas_ptile_set_weights(t, W);
    for (int it = 0; it < 3; it++) {
        anas_ptile_update(t, X, D, M, lr);
        /* plain SGD: the gradient summed over the batch, then one step */
        for (int i = 0; i < Dn; i++)
            for (int j = 0; j < Nn; j++) {
                float g = 0.0f;

                for (int s = 0; s < M; s++)
                    g += D[s * Dn + i] * X[s * Nn + j];
                ref[i * Nn + j] -= lr * g;
            }
    }
    anas_ptile_get_weights(t, got);
    ok(memcmp(got, ref, sizeof ref) == 0, "FloatingPoint: 3 updates equal plain SGD bit for bit");
    {
        float DX[M * Nn];
        double e = 0;

        anas_ptile_backward(t, D, M, 0, Dn, DX, Nn);
        for (int s = 0; s < M; s++)
            for (int j = 0; j < Nn; j++) {
                double v = 0;

                for (int i = 0; i < Dn; i++)
                    v += (double)D[s * Dn + i] * got[i * Nn + j];
                e = fmax(e, fabs(v - DX[s * Nn + j]));
            }
        ok(e < 1e-5, "  perfect backward: DX = D W (max error %.2g)", e);
    }
    anas_ptile_free(t);
}

/* A layer split over a grid of tiles (pgrid.c) computes what one tile
 * does: exact devices and IO, 3 x 5 weights on tiles of at most 2 x 2. */
static void grid(void)
{
    enum { M = 4, Dn = 3, Nn = 5 };
    float W[Dn * Nn], X[M * Nn], XT[Nn * M], D[M * Dn], Y[2][M * Dn], YT[Dn * M], DX[2][M * Nn];
    float W2[2][Dn * Nn];
    struct anas_analog_training tc;
    struct anas__pgrid *g[2];
    struct anas_rng rng;
    double e_f = 0, e_t = 0, e_b = 0;

    anas_rng_seed(&rng, 5);
    for (int k = 0; k < Dn * Nn; k++)
        W[k] = 0.3f * sinf(0.9f * k);
    for (int k = 0; k < M * Nn; k++)
        X[k] = cosf(0.5f * k);
    for (int s = 0; s < M; s++)
        for (int j = 0; j < Nn; j++)
            XT[j * M + s] = X[s * Nn + j];
    for (int k = 0; k < M * Dn; k++)
        D[k] = 0.1f * sinf(1.7f * k);
    anas_pulsed_preset("floating-point", &tc);
    for (int v = 0; v < 2; v++) {
        tc.max_input_size = tc.max_output_size = v ? 2 : 0;
        g[v] = anas__pgrid_new(Dn, Nn, &tc, &rng, NULL);
        anas__pgrid_set_weights(g[v], W);
        anas__pgrid_forward(g[v], X, M, 0, Nn, Y[v], Dn);
        anas__pgrid_backward(g[v], D, M, 0, Dn, DX[v], Nn, 0);
        if (v)
            anas__pgrid_forward(g[v], XT, M, 1, M, YT, M);
        anas__pgrid_update(g[v], X, D, M, 0.1f);
        anas__pgrid_get_weights(g[v], W2[v]);
    }
    for (int k = 0; k < M * Dn; k++) {
        e_f = fmax(e_f, fabs(Y[0][k] - Y[1][k]));
        e_t = fmax(e_t, fabs(YT[(k % Dn) * M + k / Dn] - Y[0][k]));
    }
    for (int k = 0; k < M * Nn; k++)
        e_b = fmax(e_b, fabs(DX[0][k] - DX[1][k]));
    is_int(anas__pgrid_n_tiles(g[1]), 6, "a 3 x 5 layer on tiles of 2 x 2: 2 x 3 tiles");
    ok(e_f < 1e-6 && e_t < 1e-6, "  its forward sums the input blocks (%.2g; im2col layout %.2g)",
       e_f, e_t);
    ok(e_b < 1e-6, "  its backward sums the output blocks (%.2g)", e_b);
    ok(memcmp(W2[0], W2[1], sizeof W2[0]) == 0, "  each tile updates its block: as one tile");
    anas__pgrid_free(g[0]);
    anas__pgrid_free(g[1]);
}

static void checks(void)
{
    struct anas_analog_training tc;
    struct anas_error err;

    anas_pulsed_preset("constant-step", &tc);
    tc.device.unit[0].dw_min = -1.0f;
    ok(anas_pulsed_check(&tc, &err) == ANAS_ERANGE && strcmp(err.field, "device.dw_min") == 0,
       "check: device.dw_min < 0 is refused (%s)", err.field);
    anas_pulsed_preset("vector-unit-cell", &tc);
    tc.device.unit[2].w_max_dtod = -0.1f;
    ok(anas_pulsed_check(&tc, &err) < 0 &&
           strcmp(err.field, "device.unit_cell_devices.2.w_max_dtod") == 0,
       "check: the unit's dotted field (%s)", err.field);
    anas_pulsed_preset("tiki-taka", &tc);
    tc.update.desired_bl = 0;
    ok(anas_pulsed_check(&tc, &err) < 0 && strcmp(err.field, "update.desired_bl") == 0,
       "check: update.desired_bl 0 (%s)", err.field);
    anas_pulsed_preset("constant-step", &tc);
    tc.backward.out_noise = -1.0f;
    ok(anas_pulsed_check(&tc, &err) < 0 && strcmp(err.field, "backward.out_noise") == 0,
       "check: backward.out_noise (%s)", err.field);
}

int main(void)
{
    if (getenv("ANAS_VALGRIND"))
        shrink = 4;
    plan_later();
    expected_update(0.01f, "linear");
    expected_update(0.5f, "saturated");
    saturation();
    coincidences();
    deterministic_types();
    vector_policies();
    tiki_taka();
    fp_equals_sgd();
    grid();
    checks();
    return done();
}
