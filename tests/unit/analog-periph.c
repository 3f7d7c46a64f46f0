/*
 * analog-periph.c - the learned periphery (periph.c): on an ideal tile,
 * the output scale's gradient against a directional finite difference;
 * the input range's one-sided gradient against a finite difference where
 * it asks the range to grow, zero where the true one would shrink it;
 * decay, and input_min_percentage stopping it; init_from_data's running
 * average over the first batches only; the weight gradient becomes
 * aihwkit's (alpha dY) (clip(x)/r)^T and the input gradient passes the
 * clip straight through; and through a whole net (conv2d and linear):
 * the conv weight gradient is the plain one over r, alpha is folded into
 * the weights when training ends, and the periphery's fields are checked.
 */
#include "config.h"

#include "analog/analog_int.h"
#include "analog/periph.h"

#include <math.h>
#include <string.h>

#include "tap.h"

#define D 3
#define N 5
#define M 4

static float W[D * N], X[M * N], C[M * D];

static void fill(float *a, int n, struct anas_rng *rng, float s)
{
    for (int i = 0; i < n; i++)
        a[i] = (float)(anas_rng_uniform(rng) * 2.0 - 1.0) * s;
}

static struct anas_alayer *ideal_layer(struct anas_analog_config *hw)
{
    struct anas_alayer *L = anas_alayer_new(D, N, hw, NULL);

    anas_alayer_set_weights(L, W, NULL);
    return L;
}

static void config(struct anas_analog_config *hw, int columnwise)
{
    anas_analog_preset("ideal", hw);
    hw->mapping.learn_out_scaling = 1;
    hw->mapping.out_scaling_columnwise = columnwise;
    hw->pre_post.input_range.enable = 1;
    hw->pre_post.input_range.init_from_data = 0;
    hw->pre_post.input_range.decay = 0.0f;
    hw->pre_post.input_range.gradient_relative = 0;
    hw->pre_post.input_range.init_value = 0.5f;
}

/* L = sum C . y, y the periphery's forward of X. */
static double loss(struct anas__periph *p, struct anas_alayer *L, const float *x, int training)
{
    float Y[M * D];
    double s = 0.0;

    anas__periph_forward(p, L, ANAS_ALAYER_CLEAN, x, M, 0, N, Y, D, training, NULL);
    for (int k = 0; k < M * D; k++)
        s += (double)C[k] * Y[k];
    return s;
}

static const struct anas_net_layer linear_info = {.op = ANAS_OP_LINEAR, .d = D, .n = N};

static void out_scaling(void)
{
    struct anas_analog_config hw;
    struct anas_alayer *L;
    struct anas__periph *p;
    float G[D * N] = {0}, dX[M * N];
    double l0, l1, g2 = 0.0, lr = 0.01;

    config(&hw, 1);
    L = ideal_layer(&hw);
    p = anas__periph_new(D, N, &hw);
    l0 = loss(p, L, X, 1);
    is_int(anas__periph_backward(p, &linear_info, W, G, C, dX, 0, M), 0, "backward");
    for (int i = 0; i < D; i++)
        g2 += (double)anas__periph_grad_alpha(p, i) * anas__periph_grad_alpha(p, i);
    anas__periph_step(p, (float)lr);
    l1 = loss(p, L, X, 0);
    ok(fabs((l1 - l0) - (-lr * g2)) < 1e-5 * (1.0 + fabs(lr * g2)),
       "alpha's gradient: the loss moves by -lr |g|^2 along it (%.6g vs %.6g)", l1 - l0,
       -lr * g2);
    ok(anas__periph_alpha(p, 0) != anas__periph_alpha(p, 1), "columnwise: one alpha per output");
    anas__periph_free(p);
    anas_alayer_free(L);
}

/* dL/dxc at vector v, input j (alpha 1): sum_i C_vi W_ij. */
static float dxc_at(int v, int j)
{
    float s = 0.0f;

    for (int i = 0; i < D; i++)
        s += W[i * N + j] * C[v * D + i];
    return s;
}

/* Make dL/dxc at (v, j) have sign sgn, flipping C's row v. */
static void set_sign(int v, int j, int sgn)
{
    if ((dxc_at(v, j) > 0.0f) != (sgn > 0))
        for (int i = 0; i < D; i++)
            C[v * D + i] = -C[v * D + i];
}

/* The range's gradient from backward, and dL/dr by central differences,
 * for inputs x with x[0] beyond +r and x[7] beyond -r. */
static void range_pair(const struct anas_analog_config *cfg, const float *x, double *g,
                       double *fd)
{
    struct anas_analog_config hw = *cfg;
    struct anas_alayer *L = ideal_layer(&hw);
    struct anas__periph *p = anas__periph_new(D, N, &hw), *pp, *pm;
    float G[D * N] = {0}, dX[M * N];
    double eps = 1e-3;

    loss(p, L, x, 1);
    anas__periph_backward(p, &linear_info, W, G, C, dX, 0, M);
    *g = anas__periph_grad_range(p);
    hw.pre_post.input_range.init_value = 0.5f + (float)eps;
    pp = anas__periph_new(D, N, &hw);
    hw.pre_post.input_range.init_value = 0.5f - (float)eps;
    pm = anas__periph_new(D, N, &hw);
    *fd = (loss(pp, L, x, 0) - loss(pm, L, x, 0)) / (2 * eps);
    anas__periph_free(p);
    anas__periph_free(pp);
    anas__periph_free(pm);
    anas_alayer_free(L);
}

static void range_gradient(void)
{
    struct anas_analog_config hw;
    float x[M * N];
    double g, fd;

    config(&hw, 0);
    hw.mapping.learn_out_scaling = 0;
    memcpy(x, X, sizeof x);
    x[0] = 2.0f;  /* vector 0, input 0: beyond +r = 0.5 */
    x[7] = -3.0f; /* vector 1, input 2: beyond -r */
    /* a larger r lowers the loss at both: the gradient is the true one */
    set_sign(0, 0, -1);
    set_sign(1, 2, +1);
    range_pair(&hw, x, &g, &fd);
    ok(fd < 0 && fabs(g - fd) < 1e-3 * (1 + fabs(fd)),
       "range gradient where a larger r helps: %.6g = finite difference %.6g", g, fd);
    /* a smaller r would lower it: aihwkit's gradient leaves r alone */
    set_sign(0, 0, +1);
    set_sign(1, 2, -1);
    range_pair(&hw, x, &g, &fd);
    ok(fd > 0 && g == 0.0, "where a smaller r helps (dL/dr %.4g), the gradient is 0", fd);
    /* gradient_relative: times r and gradient_scale */
    set_sign(0, 0, -1);
    set_sign(1, 2, +1);
    hw.pre_post.input_range.gradient_relative = 1;
    hw.pre_post.input_range.gradient_scale = 2.0f;
    range_pair(&hw, x, &g, &fd);
    ok(fabs(g - fd * 0.5 * 2.0) < 1e-3 * (1 + fabs(fd)),
       "gradient_relative: %.6g = dL/dr r gradient_scale %.6g", g, fd * 0.5 * 2.0);
}

/* decay pulls r down by lr decay r per step while more than
 * input_min_percentage of the inputs are inside; not when fewer are. */
static void decay(void)
{
    struct anas_analog_config hw;
    struct anas_alayer *L;
    struct anas__periph *p;
    float G[D * N] = {0}, dX[M * N], zero[M * D] = {0}, x[M * N];
    float r0;

    config(&hw, 0);
    hw.pre_post.input_range.decay = 0.1f;
    hw.pre_post.input_range.input_min_percentage = 0.9f;
    L = ideal_layer(&hw);
    p = anas__periph_new(D, N, &hw);
    r0 = anas__periph_range(p);
    loss(p, L, X, 1); /* |X| < 0.4: all 20 inside */
    anas__periph_backward(p, &linear_info, W, G, zero, dX, 0, M);
    anas__periph_step(p, 0.5f);
    ok(fabsf(anas__periph_range(p) - r0 * (1.0f - 0.5f * 0.1f)) < 1e-6f,
       "decay: r %.6g -> %.6g = r (1 - lr decay)", r0, anas__periph_range(p));
    memcpy(x, X, sizeof x);
    x[0] = x[1] = x[2] = 5.0f; /* 3 of 20 outside: 85% inside < 90% */
    r0 = anas__periph_range(p);
    loss(p, L, x, 1);
    anas__periph_backward(p, &linear_info, W, G, zero, dX, 0, M);
    anas__periph_step(p, 0.5f);
    ok(anas__periph_range(p) == r0, "below input_min_percentage inside, no decay (r %.6g)",
       anas__periph_range(p));
    anas__periph_free(p);
    anas_alayer_free(L);
}

static double sd(const float *x, int n)
{
    double s = 0, s2 = 0;

    for (int i = 0; i < n; i++)
        s += x[i], s2 += (double)x[i] * x[i];
    return sqrt((s2 - s * s / n) / (n - 1));
}

/* init_from_data: r = running mean of init_std_alpha std(x) over the
 * first init_from_data batches, then only SGD moves it. */
static void init_from_data(void)
{
    struct anas_analog_config hw;
    struct anas_alayer *L;
    struct anas__periph *p;
    float x2[M * N];
    double s1 = sd(X, M * N), s2;

    for (int i = 0; i < M * N; i++)
        x2[i] = 3.0f * X[i];
    s2 = sd(x2, M * N);
    config(&hw, 0);
    hw.pre_post.input_range.init_from_data = 2;
    hw.pre_post.input_range.init_std_alpha = 3.0f;
    hw.pre_post.input_range.learn_input_range = 0;
    L = ideal_layer(&hw);
    p = anas__periph_new(D, N, &hw);
    loss(p, L, X, 1);
    ok(fabs(anas__periph_range(p) - 3 * s1) < 1e-5, "batch 1: r = 3 std(x) = %.6g (%.6g)",
       3 * s1, anas__periph_range(p));
    anas__periph_step(p, 0.1f);
    loss(p, L, x2, 1);
    ok(fabs(anas__periph_range(p) - (3 * s1 + 3 * s2) / 2) < 1e-5,
       "batch 2: the running mean (%.6g)", anas__periph_range(p));
    anas__periph_step(p, 0.1f);
    loss(p, L, X, 1);
    ok(fabs(anas__periph_range(p) - (3 * s1 + 3 * s2) / 2) < 1e-5,
       "batch 3: init_from_data 2 batches are over, r stays");
    loss(p, L, X, 0);
    anas__periph_free(p);
    anas_alayer_free(L);
}

/* The weight gradient the net would have (dY x^T) becomes (alpha dY)
 * (clip(x)/r)^T; the input gradient is W^T (alpha dY), clipped or not. */
static void weight_and_input_gradients(void)
{
    struct anas_analog_config hw;
    struct anas_alayer *L;
    struct anas__periph *p;
    float G[D * N], dX[M * N], x[M * N], a[D];
    double e = 0.0, ex = 0.0;

    config(&hw, 1);
    L = ideal_layer(&hw);
    p = anas__periph_new(D, N, &hw);
    memcpy(x, X, sizeof x);
    x[3] = 1.5f;
    /* move alpha off 1 first */
    loss(p, L, x, 1);
    anas__periph_backward(p, &linear_info, W, G, C, dX, 0, M);
    anas__periph_step(p, 0.3f);
    for (int i = 0; i < D; i++)
        a[i] = anas__periph_alpha(p, i);
    memset(G, 0, sizeof G);
    for (int v = 0; v < M; v++) /* what the net adds */
        for (int i = 0; i < D; i++)
            for (int j = 0; j < N; j++)
                G[i * N + j] += C[v * D + i] * x[v * N + j];
    loss(p, L, x, 1);
    anas__periph_backward(p, &linear_info, W, G, C, dX, 0, M);
    for (int i = 0; i < D; i++)
        for (int j = 0; j < N; j++) {
            double want = 0.0;

            for (int v = 0; v < M; v++)
                want += a[i] * C[v * D + i] * fmax(-0.5, fmin(0.5, x[v * N + j])) / 0.5;
            e = fmax(e, fabs(G[i * N + j] - want));
        }
    ok(e < 1e-5, "weight gradient (alpha dY)(clip(x)/r)^T (max error %.2g)", e);
    for (int v = 0; v < M; v++)
        for (int j = 0; j < N; j++) {
            double want = 0.0;

            for (int i = 0; i < D; i++)
                want += W[i * N + j] * a[i] * C[v * D + i];
            ex = fmax(ex, fabs(dX[v * N + j] - want));
        }
    ok(ex < 1e-5, "input gradient W^T (alpha dY), straight through the clip (%.2g)", ex);
    is_int(anas__periph_backward(p, &linear_info, W, G, C, dX, 0, M), ANAS_ESTATE,
           "a backward without its forward: ANAS_ESTATE");
    anas__periph_free(p);
    anas_alayer_free(L);
}

/* --- through a net --- */

#define NB 4

static struct anas_net *small_cnn(void)
{
    struct anas_netdef *def = anas_netdef_new(2, 6, 6);
    struct anas_net *net;
    struct anas_rng rng;
    int x = anas_netdef_conv2d(def, 0, 4, 3, 1, 1, 1, "conv1");

    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
    x = anas_netdef_flatten(def, x, "flat");
    anas_netdef_linear(def, x, 3, 1, "fc");
    net = anas_net_new(def, NB, NULL);
    anas_netdef_free(def);
    anas_rng_seed(&rng, 11);
    anas_net_init(net, &rng);
    return net;
}

static float xin[NB * 2 * 6 * 6], dout[NB * 3];

/* The conv layer's weight gradient after one training step's backward. */
static void conv_grad(struct anas_net *net, float *g, size_t n)
{
    const float *y;
    struct anas_rng rng;
    struct anas_net_layer conv;

    anas_rng_seed(&rng, 1);
    anas_net_zero_grad(net);
    anas_net_forward(net, xin, NB, 1, &rng, &y);
    anas_net_backward(net, dout);
    anas_net_layer(net, 1, &conv);
    memcpy(g, anas_net_grads(net, NULL) + conv.weight, n * sizeof *g);
}

static void through_net(void)
{
    struct anas_net *net = small_cnn();
    struct anas_analog_config hw;
    struct anas_anet *a0, *a1;
    struct anas_net_layer conv;
    float g0[4 * 18], g1[4 * 18], yh[NB * 3], yd[NB * 3], y0[NB * 3];
    const float *y;
    struct anas_rng rng;
    double e = 0.0, ey = 0.0;

    anas_rng_seed(&rng, 5);
    fill(xin, NB * 2 * 6 * 6, &rng, 1.0f);
    fill(dout, NB * 3, &rng, 1.0f);
    anas_net_layer(net, 1, &conv);
    anas_analog_preset("ideal", &hw);
    a0 = anas_anet_new(net, &hw, 1, NULL);
    anas_anet_set_mode(a0, ANAS_ANET_HWA);
    conv_grad(net, g0, (size_t)conv.d * conv.n);
    anas_anet_free(a0);
    config(&hw, 1);
    hw.pre_post.input_range.init_value = 4.0f; /* above every input: no clip */
    a1 = anas_anet_new(net, &hw, 1, NULL);
    anas_anet_set_mode(a1, ANAS_ANET_HWA);
    conv_grad(net, g1, (size_t)conv.d * conv.n);
    for (int i = 0; i < conv.d * conv.n; i++)
        e = fmax(e, fabs(g1[i] - g0[i] / 4.0f));
    ok(e < 1e-5, "conv2d through the periphery: weight gradient = plain / r (%.2g)", e);
    anas_rng_seed(&rng, 1);
    anas_net_forward(net, xin, NB, 0, &rng, &y);
    memcpy(y0, y, sizeof y0);
    anas_anet_set_lr(a1, 0.5f);
    is_int(anas_anet_post_step(a1), 0, "post_step steps alpha");
    anas_rng_seed(&rng, 1);
    anas_net_forward(net, xin, NB, 0, &rng, &y);
    memcpy(yh, y, sizeof yh);
    ey = 0.0;
    for (int i = 0; i < NB * 3; i++)
        ey = fmax(ey, fabs(yh[i] - y0[i]));
    ok(ey > 1e-4, "the step changed alpha: the output moved by %.3g", ey);
    ey = 0.0;
    is_int(anas_anet_set_mode(a1, ANAS_ANET_DIGITAL), 0, "to digital: alpha folds");
    anas_net_forward(net, xin, NB, 0, &rng, &y);
    memcpy(yd, y, sizeof yd);
    for (int i = 0; i < NB * 3; i++)
        ey = fmax(ey, fabs(yh[i] - yd[i]));
    ok(ey < 1e-5 && ey >= 0, "the digital net with alpha folded in computes the HWA output (%.2g)",
       ey);
    anas_anet_free(a1);
    anas_net_free(net);
}

static void checks(void)
{
    struct anas_analog_config hw;
    struct anas_error err;

    anas_analog_preset("aihwkit-default", &hw);
    ok(!hw.pre_post.input_range.enable && hw.pre_post.input_range.init_value == 3.0f &&
           hw.pre_post.input_range.init_from_data == 100 &&
           hw.pre_post.input_range.decay == 0.001f && !hw.mapping.learn_out_scaling,
       "aihwkit's defaults: input range off (3.0, 100 batches, decay 0.001), no out scaling");
    anas_analog_preset("analognas-bench", &hw);
    ok(hw.pre_post.input_range.enable && hw.pre_post.input_range.decay == 0.01f &&
           hw.pre_post.input_range.init_from_data == 50 &&
           hw.pre_post.input_range.input_min_percentage == 0.995f,
       "analognas-bench: gen_rpu_config()'s input range");
    hw.pre_post.input_range.input_min_percentage = 1.5f;
    anas_error_clear(&err);
    ok(anas_analog_config_check(&hw, &err) < 0 &&
           strcmp(err.field, "pre_post.input_range.input_min_percentage") == 0,
       "a percentage above 1 is refused, with its dotted field");
    anas_analog_preset("aihwkit-default", &hw);
    hw.mapping.learn_out_scaling = 1;
    hw.mapping.digital_bias = 0;
    anas_error_clear(&err);
    ok(anas_analog_config_check(&hw, &err) < 0 && strcmp(err.field, "mapping.digital_bias") == 0,
       "learned out scaling with an analog bias is refused (%s)", err.msg);
}

int main(void)
{
    struct anas_rng rng;

    plan_later();
    anas_rng_seed(&rng, 7);
    fill(W, D * N, &rng, 0.5f);
    fill(X, M * N, &rng, 0.4f);
    fill(C, M * D, &rng, 1.0f);
    out_scaling();
    range_gradient();
    decay();
    init_from_data();
    weight_and_input_gradients();
    through_net();
    checks();
    return done();
}
