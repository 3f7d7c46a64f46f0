/*
 * nn-forward.c - forward passes on cases small enough to work out by hand
 * (the values were also checked against PyTorch 1.13): convolution with
 * stride and padding, transposed convolution, pooling, shift, concat,
 * batch norm in both modes, dropout, linear and the losses.
 */
#include "config.h"

#include "nn/nn_int.h"

#include <string.h>

#include "core/rng.h"

#include "tap.h"

static int same(const float *got, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++)
        if (!(fabsf(got[i] - want[i]) <= tol)) {
            printf("#   [%d] got %.9g, want %.9g\n", i, got[i], want[i]);
            return 0;
        }
    return 1;
}

/* x = 1..16 as one 4x4 plane. */
static void ramp(float *x, int n)
{
    for (int i = 0; i < n; i++)
        x[i] = (float)(i + 1);
}

static void conv(void)
{
    float x[16], w[2 * 9] = {0}, bias[2] = {0.5f, -1.0f}, y[2 * 4], scratch[256];
    /* channel 0: all-ones 3x3 sums of the windows, + 0.5; channel 1: a centre
     * tap, so the strided samples x[2i][2j], - 1 */
    const float want[8] = {14.5f, 30.5f, 57.5f, 99.5f, 0.0f, 2.0f, 8.0f, 10.0f};
    struct anas__conv_plan plan;
    struct anas__nn_work wk;

    ramp(x, 16);
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    w[9 + 4] = 1.0f;
    anas__nn_conv2d_plan(&plan, ANAS__CONV_AUTO, 1, 1, 4, 4, 2, 3, 2, 1);
    ok(plan.shared + plan.part <= 256, "conv scratch fits");
    wk = (struct anas__nn_work){NULL, scratch, scratch + plan.shared, plan.part};
    anas__nn_conv2d_forward(y, x, w, bias, NULL, &wk, &plan, 1, 1, 4, 4, 2, 3, 2, 1,
                            ANAS__NN_NO_ACT, NULL);
    ok(same(y, want, 8, 1e-5f), "conv2d 3x3 stride 2 padding 1 with bias");
}

static void conv_batched(void)
{
    /* Two samples, the second a scaled first: the batched path must keep
     * samples apart and put channels back in NCHW order. */
    float x[2 * 16], w[2 * 9] = {0}, y[2 * 8], scratch[512];
    const float want[16] = {14, 30, 57, 99, 1, 3, 9, 11, 28, 60, 114, 198, 2, 6, 18, 22};
    struct anas__conv_plan plan;
    struct anas__nn_work wk;

    ramp(x, 16);
    for (int i = 0; i < 16; i++)
        x[16 + i] = 2.0f * x[i];
    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    w[9 + 4] = 1.0f;
    anas__nn_conv2d_plan(&plan, ANAS__CONV_AUTO, 2, 1, 4, 4, 2, 3, 2, 1);
    ok(plan.G == 2 && plan.shared + plan.part <= 512,
       "small planes share one sgemm (G = 2)");
    wk = (struct anas__nn_work){NULL, scratch, scratch + plan.shared, plan.part};
    anas__nn_conv2d_forward(y, x, w, NULL, NULL, &wk, &plan, 2, 1, 4, 4, 2, 3, 2, 1,
                            ANAS__NN_NO_ACT, NULL);
    ok(same(y, want, 16, 1e-5f), "batched conv2d gives each sample its own output");
}

static void convt(void)
{
    float x[4] = {1, 2, 3, 4}, w[9], y[16], scratch[128];
    const float want[16] = {1, 3, 2, 2, 4, 10, 6, 6, 3, 7, 4, 4, 3, 7, 4, 4};
    struct anas__conv_plan plan;
    struct anas__nn_work wk = {NULL, scratch, scratch, 0};
    struct anas_netdef *def = anas_netdef_new(1, 2, 2);
    int c, h, wd, n;

    for (int i = 0; i < 9; i++)
        w[i] = 1.0f;
    n = anas_netdef_convt2d(def, 0, 1, 3, 2, 1, 1, 0, "up");
    anas_netdef_shape(def, n, &c, &h, &wd);
    ok(c == 1 && h == 4 && wd == 4, "convt2d k3 s2 p1 op1 on 2x2 gives 4x4 (%dx%dx%d)", c,
       h, wd);
    anas__nn_convt2d_plan(&plan, 1, 1, 2, 2, 1, 3, 2, 1, 1);
    ok(plan.shared + plan.part <= 128, "convt scratch fits");
    anas__nn_convt2d_forward(y, x, w, NULL, &wk, &plan, 1, 1, 2, 2, 1, 3, 2, 1, 1);
    ok(same(y, want, 16, 1e-5f), "convt2d values: overlapping 3x3 blocks, cropped");
    anas_netdef_free(def);
}

static void pools(void)
{
    float x[16], y[4];
    int32_t am[4];
    const float max2[4] = {6, 8, 14, 16}, max3[4] = {6, 8, 14, 16};
    const float avg3[4] = {14.0f / 9, 30.0f / 9, 57.0f / 9, 99.0f / 9};
    const int32_t am2[4] = {5, 7, 13, 15};
    float gap[1];

    ramp(x, 16);
    anas__nn_maxpool_forward(y, am, x, 1, 4, 4, 2, 2, 0);
    ok(same(y, max2, 4, 0.0f) && memcmp(am, am2, sizeof(am)) == 0,
       "maxpool 2x2 stride 2: maxima and their argmax");
    anas__nn_maxpool_forward(y, am, x, 1, 4, 4, 3, 2, 1);
    ok(same(y, max3, 4, 0.0f), "maxpool 3x3 stride 2 padding 1 (padding never wins)");
    anas__nn_avgpool_forward(y, x, 1, 4, 4, 3, 2, 1);
    ok(same(y, avg3, 4, 1e-5f),
       "avgpool 3x3 stride 2 padding 1 divides by 9 (count_include_pad)");
    x[0] = x[1] = 20.0f;
    anas__nn_maxpool_forward(y, am, x, 1, 4, 4, 2, 2, 0);
    ok(am[0] == 0, "maxpool ties: the first maximum in scan order wins");
    ramp(x, 16);
    anas__nn_gap_forward(gap, x, 1, 16);
    ok(same(gap, (const float[]){8.5f}, 1, 1e-6f), "global average pool");
}

/* The stride-1 pooling path (separable box sums) against the plain window
 * sums, on planes wide enough for its vector blocks: the same sums in
 * another order, so equal within a few roundings. */
static void avgpool_rows(void)
{
    enum { H = 21, W = 19 };
    static const int kp[3][2] = {{8, 0}, {3, 1}, {5, 2}};
    static float x[2 * H * W], y[2 * H * W];
    struct anas_rng rng;

    anas_rng_seed(&rng, 4);
    for (int i = 0; i < 2 * H * W; i++)
        x[i] = (float)anas_rng_normal(&rng);
    for (int t = 0; t < 3; t++) {
        int K = kp[t][0], p = kp[t][1];
        int OH = anas__nn_out_side(H, K, 1, p), OW = anas__nn_out_side(W, K, 1, p);
        int good = 1;

        anas__nn_avgpool_forward(y, x, 2, H, W, K, 1, p);
        for (int c = 0; c < 2; c++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    float s = 0.0f;

                    for (int h = oh - p; h < oh - p + K; h++)
                        for (int w = ow - p; w < ow - p + K; w++)
                            if (h >= 0 && h < H && w >= 0 && w < W)
                                s += x[(c * H + h) * W + w];
                    good &= fabsf(y[(c * OH + oh) * OW + ow] - s / (float)(K * K)) <=
                            1e-6f * (1.0f + fabsf(s));
                }
        ok(good, "avgpool %dx%d stride 1 padding %d: box sums equal the window sums", K,
           K, p);
    }
}

/* tanh and the logistic function are computed without libm (so that they
 * vectorise): within a few float ulps of the exact values, NaN passes. */
static void activations(void)
{
    enum { N = 200001 };
    static float x[N], y[N];
    float special[4] = {NAN, INFINITY, -INFINITY, -0.0f}, ys[4];
    double worst_t = 0.0, worst_s = 0.0;

    for (int i = 0; i < N; i++)
        x[i] = -25.0f + 50.0f * (float)i / (N - 1);
    anas__nn_tanh_forward(y, x, N);
    for (int i = 0; i < N; i++) {
        double e = tanh((double)x[i]);

        if (e != 0.0 && fabs(y[i] - e) / fabs(e) > worst_t)
            worst_t = fabs(y[i] - e) / fabs(e);
    }
    anas__nn_sigmoid_forward(y, x, N);
    for (int i = 0; i < N; i++) {
        double e = 1.0 / (1.0 + exp(-(double)x[i]));

        if (fabs(y[i] - e) / e > worst_s)
            worst_s = fabs(y[i] - e) / e;
    }
    ok(worst_t < 3e-7, "tanh within 3e-7 relative of the exact value (%.2g)", worst_t);
    ok(worst_s < 3e-7, "sigmoid within 3e-7 relative of the exact value (%.2g)", worst_s);
    anas__nn_tanh_forward(ys, special, 4);
    ok(isnan(ys[0]) && ys[1] == 1.0f && ys[2] == -1.0f && ys[3] == 0.0f,
       "tanh of NaN, +-inf, -0");
    anas__nn_sigmoid_forward(ys, special, 4);
    ok(isnan(ys[0]) && ys[1] == 1.0f && ys[2] < 1e-37f && ys[3] == 0.5f,
       "sigmoid of NaN, +-inf, -0");
    x[0] = 0.3f;
    anas__nn_relu_forward(ys, special, 4);
    ok(isnan(ys[0]) && ys[1] == INFINITY && ys[2] == 0.0f, "relu lets NaN through");
}

static void shift_concat(void)
{
    float x[2 * 9], y[2 * 9], a[2 * 2], b[2 * 2 * 2] = {5, 6, 7, 8, 9, 10, 11, 12}, c[12];
    const float want[9] = {5, 6, 0, 8, 9, 0, 0, 0, 0};
    const float cat[12] = {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12};

    ramp(x, 9);
    ramp(x + 9, 9);
    anas__nn_shift_forward(y, x, 2, 3, 3);
    ok(same(y, want, 9, 0.0f) && same(y + 9, want, 9, 0.0f),
       "shift: out[i][j] = in[i+1][j+1], zero on the last row and column");
    ramp(a, 4);
    /* a: B=2 of (1 channel, 2 pixels), b: B=2 of (2 channels, 2 pixels) */
    anas__nn_concat_forward(c, a, b, 2, 1, 2, 2);
    ok(same(c, cat, 12, 0.0f), "concat along channels, per sample");
}

static void batchnorm(void)
{
    float x[4] = {1, 2, 3, 4}, y[4], mean[1], invstd[1], rm[1] = {0}, rv[1] = {1};
    float g[1] = {2}, b[1] = {0.5f}, ye[4];
    float xe[2 * 2 * 1] = {1, 2, 3, 4}, rm2[2] = {1, -1}, rv2[2] = {4, 0.25f};
    float g2[2] = {1, 3}, b2[2] = {0, 1};
    double is = 1.0 / sqrt(1.25 + 1e-5);
    int good = 1;

    /* B=4 values of one channel: mean 2.5, biased variance 1.25, unbiased 5/3 */
    anas__nn_batchnorm_forward_train(y, mean, invstd, x, g, b, rm, rv, 4, 1, 1, 0, 1,
                                     ANAS__NN_NO_ACT, NULL);
    for (int i = 0; i < 4; i++)
        good &= fabs(y[i] - ((x[i] - 2.5) * is * 2.0 + 0.5)) < 1e-5;
    ok(good, "training output uses the batch mean and BIASED variance");
    is_near(rm[0], 0.25, 1e-7, "running_mean = 0.9 * 0 + 0.1 * 2.5");
    is_near(rv[0], 0.9 + 0.1 * 5.0 / 3.0, 1e-6, "running_var uses the UNBIASED variance");
    is_near(invstd[0], is, 1e-6, "saved invstd");

    /* eval: (B=2, C=2, P=1) with running statistics */
    anas__nn_batchnorm_forward_eval(ye, xe, g2, b2, rm2, rv2, 2, 2, 1, 0, 2,
                                    ANAS__NN_NO_ACT, NULL);
    good = 1;
    for (int s = 0; s < 2; s++)
        for (int c = 0; c < 2; c++) {
            double want = (xe[s * 2 + c] - rm2[c]) / sqrt(rv2[c] + 1e-5) * g2[c] + b2[c];
            good &= fabs(ye[s * 2 + c] - want) < 1e-5;
        }
    ok(good, "eval output uses the running statistics");

    /* a residual add in the same pass: z + bn(x), as the add computes it */
    {
        float z[4] = {0.25f, -3.0f, 7.5f, 1e-3f}, y1[4], y2[4], sum[4];
        float m2[1], is2[1], rm3[1] = {0}, rv3[1] = {1}, rm4[1] = {0}, rv4[1] = {1};

        anas__nn_batchnorm_forward_train(y1, mean, invstd, x, g, b, rm3, rv3, 4, 1, 1, 0,
                                         1, ANAS__NN_NO_ACT, NULL);
        anas__nn_add_forward(sum, z, y1, 4);
        anas__nn_batchnorm_forward_train(y2, m2, is2, x, g, b, rm4, rv4, 4, 1, 1, 0, 1,
                                         ANAS__NN_NO_ACT, z);
        ok(!memcmp(sum, y2, sizeof(sum)) && rm3[0] == rm4[0] && rv3[0] == rv4[0],
           "batchnorm with an addend gives the add of its output, bit for bit");
    }
}

static void dropout(void)
{
    enum { N = 20000 };
    static float x[N], y[N], mask[N];
    struct anas_rng rng;
    int zeros = 0, good = 1;

    for (int i = 0; i < N; i++)
        x[i] = 1.0f + (float)(i % 7);
    anas_rng_seed(&rng, 3);
    anas__nn_dropout_forward(y, mask, x, 0.3f, &rng, N);
    for (int i = 0; i < N; i++) {
        if (y[i] == 0.0f)
            zeros++;
        else
            good &= fabsf(y[i] - x[i] / 0.7f) < 1e-5f;
    }
    ok(good, "dropout scales kept values by 1/(1-p)");
    /* binomial: sd = sqrt(N p (1-p)) ~ 65; 5 sd */
    ok(abs(zeros - 6000) < 325, "dropout drops about p of the values (%d of %d)", zeros,
       N);
}

static void linear_and_losses(void)
{
    float x[2 * 3] = {1, 2, 3, -1, 0, 1}, w[2 * 3] = {1, 0, -1, 0.5f, 0.5f, 0.5f};
    float b[2] = {0.25f, -0.25f}, y[4];
    const float want[4] = {-2 + 0.25f, 3 - 0.25f, -2 + 0.25f, 0 - 0.25f};
    float big[3] = {1000, 0, -5}, flat[2] = {0, 0}, d[3], loss;
    int lab1 = 1, lab0 = 0;
    float p[2] = {1, 2}, t[2] = {0, 4}, dp[2];

    anas__nn_linear_forward(y, x, w, b, 2, 3, 2, ANAS__NN_NO_ACT);
    ok(same(y, want, 4, 1e-6f), "linear: x W^T + b");
    anas_loss_xent(&loss, d, flat, &lab0, 1, 2);
    is_near(loss, log(2.0), 1e-6, "cross-entropy of equal logits is log 2");
    ok(anas_loss_xent(&loss, d, big, &lab1, 1, 3) == 0 && fabsf(loss - 1000.0f) < 1e-3f,
       "cross-entropy with a logit of 1000 does not overflow (log-sum-exp)");
    is_near(d[0], 1.0, 1e-6, "... and its gradient is softmax - onehot");
    ok(anas_loss_xent(&loss, d, big, (const int[]){3}, 1, 3) == ANAS_EINVAL,
       "a label out of range is refused");
    anas_loss_mse(&loss, dp, p, t, 2);
    is_near(loss, (1.0 + 4.0) / 2.0, 1e-6, "mse is the mean of squared errors");
    ok(same(dp, (const float[]){1.0f, -2.0f}, 2, 1e-6f), "mse gradient 2 (p - t) / n");
}

int main(void)
{
    plan_later();
    conv();
    conv_batched();
    convt();
    pools();
    avgpool_rows();
    activations();
    shift_concat();
    batchnorm();
    dropout();
    linear_and_losses();
    return done();
}
