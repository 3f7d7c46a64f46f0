/*
 * analog-bias-fused.c - a layer's digital bias, which the tile's forward
 * adds to each output as it writes it (the first round's ADC, the retries'
 * scatter) when the layer has one input block and its vectors are columns,
 * gives the bits of the same forward without the bias followed by a pass
 * y += bias: on the fast ADC, the stochastic-rounding one, with bound
 * management repeating vectors, and (the separate pass) on three input
 * blocks and in the rows layout.
 */
#include "config.h"

#include "analog/analog.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

enum { D = 9, N = 40, M = 300 };

/* Y (d, M) or (M, d) of a fresh layer on W (and bias), seeded forward. */
static int run(const struct anas_analog_config *hw, const float *W, const float *bias,
               const float *X, int cols, float *Y)
{
    struct anas_error err = {0};
    struct anas_alayer *L = anas_alayer_new(D, N, hw, &err);
    struct anas_rng rng;
    int rc;

    if (!L)
        return ANAS_ENOMEM;
    anas_rng_seed(&rng, 11);
    rc = anas_alayer_set_weights(L, W, bias);
    if (rc == 0)
        rc = anas_alayer_program(L, &rng);
    if (rc == 0)
        rc = anas_alayer_drift(L, 3600.0, &rng);
    anas_rng_seed(&rng, 12);
    if (rc == 0)
        rc = anas_alayer_forward(L, ANAS_ALAYER_DRIFTED, X, M, cols, cols ? M : N, Y,
                                 cols ? M : D, &rng);
    anas_alayer_free(L);
    return rc;
}

/* wmean > 0: positive weights and inputs, whose sums clip: bound
 * management repeats the vectors (noise management scales each input
 * vector to a largest value of 1, so only correlated signs clip). */
static void check(const char *what, const struct anas_analog_config *hw, float wmean)
{
    float *W = anas_malloc(sizeof(float) * D * N), *X = anas_malloc(sizeof(float) * N * M);
    float *Yb = anas_malloc(sizeof(float) * D * M), *Y0 = anas_malloc(sizeof(float) * D * M);
    float bias[D];
    struct anas_rng rng;

    anas_rng_seed(&rng, 3);
    for (int i = 0; i < D * N; i++)
        W[i] = (float)(wmean + 0.3 * anas_rng_normal(&rng));
    for (int i = 0; i < N * M; i++) {
        double x = anas_rng_normal(&rng);

        X[i] = (float)(wmean > 0.0f ? 1.0 + 0.2 * fabs(x) : x);
    }
    for (int i = 0; i < D; i++)
        bias[i] = (float)anas_rng_normal(&rng);
    for (int cols = 0; cols < 2; cols++) {
        int rc = run(hw, W, bias, X, cols, Yb), rc0 = run(hw, W, NULL, X, cols, Y0);

        for (int i = 0; i < D; i++)
            for (int v = 0; v < M; v++)
                Y0[cols ? (size_t)i * M + v : (size_t)v * D + i] += bias[i];
        ok(rc == 0 && rc0 == 0 && memcmp(Yb, Y0, sizeof(float) * D * M) == 0,
           "%s, %s: the bias as the outputs are written = a pass after, to the bit", what,
           cols ? "columns" : "rows");
    }
    anas_free(W);
    anas_free(X);
    anas_free(Yb);
    anas_free(Y0);
}

int main(void)
{
    struct anas_analog_config hw;

    plan(10);
    anas_analog_preset("aihwkit-default", &hw);
    hw.mapping.digital_bias = 1;
    check("aihwkit-default", &hw, 0.0f);
    check("aihwkit-default, vectors repeated", &hw, 0.5f);
    hw.forward.out_sto_round = 1; /* the ADC's general path */
    check("stochastic output rounding", &hw, 0.0f);
    check("stochastic output rounding, vectors repeated", &hw, 0.5f);
    anas_analog_preset("aihwkit-default", &hw);
    hw.mapping.digital_bias = 1;
    hw.mapping.max_input_size = 16; /* three input blocks: the separate pass */
    check("three input blocks", &hw, 0.5f);
    return done();
}
