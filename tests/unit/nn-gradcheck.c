/*
 * nn-gradcheck.c - every backward kernel against central finite
 * differences of its forward, on tiny shapes.
 *
 * The scalar checked is L = sum(out * R) for a fixed random R (so dout = R),
 * summed in double; each input and weight element is nudged by +-EPS and
 * (L+ - L-) / 2 EPS compared with the analytic gradient, within
 * ATOL + RTOL * |g|. Gradient buffers start at 0.5, not 0, and 0.5 is
 * subtracted afterwards: this also checks that backward kernels ADD. The
 * kernel checks then run again with the input gradients' acc flags off,
 * the buffers filled with garbage: the kernels must overwrite them.
 * Inputs of ReLU and max pooling are kept further than EPS from their
 * kinks. The losses are checked the same way on their scalar value. The
 * last checks run whole nets: a residual graph where one node feeds three
 * consumers, batch norm in training mode and dropout (fixed masks).
 */
#include "config.h"

#include "nn/nn_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"

#include "tap.h"

#define EPS  1e-2f
#define ATOL 2e-3
#define RTOL 1e-2
#define MAXT 4

/* 1: input gradients are added to (acc); 0: overwritten. */
static int acc_mode = 1;

/* One check: up to MAXT tensors x[k] (n[k] floats) with gradients dx[k]. */
struct gc {
    const char *what;
    int nt;
    unsigned inputs; /* bit k: x[k] is an input (acc_mode applies to dx[k]) */
    float *x[MAXT], *dx[MAXT];
    size_t n[MAXT];
    const char *label[MAXT];
    float *out, *r; /* (nout) output and the projection R */
    size_t nout;
    void (*fwd)(struct gc *);
    void (*bwd)(struct gc *); /* dout = r, adds into dx */
    void *ctx;
};

static struct anas_rng rng;

static float *randn(size_t n, float scale)
{
    float *x = malloc(n * sizeof(float));

    for (size_t i = 0; i < n; i++)
        x[i] = scale * (float)anas_rng_normal(&rng);
    return x;
}

/* Values at least 0.1 away from 0 (ReLU's kink). */
static float *away_from_zero(size_t n)
{
    float *x = malloc(n * sizeof(float));

    for (size_t i = 0; i < n; i++) {
        float u = 0.1f + (float)anas_rng_uniform(&rng);

        x[i] = anas_rng_uniform(&rng) < 0.5 ? -u : u;
    }
    return x;
}

/* A shuffled ladder of distinct values 0.05 apart (max pooling's ties). */
static float *distinct(size_t n)
{
    float *x = malloc(n * sizeof(float));

    for (size_t i = 0; i < n; i++)
        x[i] = 0.05f * (float)i - 1.0f;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)anas_rng_int(&rng, 0, (long)i + 1);
        float t = x[i];

        x[i] = x[j], x[j] = t;
    }
    return x;
}

static double objective(struct gc *g)
{
    double L = 0.0;

    g->fwd(g);
    for (size_t i = 0; i < g->nout; i++)
        L += (double)g->out[i] * g->r[i];
    return L;
}

static void run(struct gc *g)
{
    g->out = calloc(g->nout, sizeof(float));
    g->r = randn(g->nout, 1.0f);
    for (int k = 0; k < g->nt; k++) {
        g->dx[k] = malloc(g->n[k] * sizeof(float));
        for (size_t i = 0; i < g->n[k]; i++)
            g->dx[k][i] = 0.5f;
    }
    if (!acc_mode) /* garbage that an overwrite clears */
        for (int k = 0; k < g->nt; k++)
            for (size_t i = 0; g->inputs & (1u << k) && i < g->n[k]; i++)
                g->dx[k][i] = 1e30f;
    g->fwd(g);
    g->bwd(g);
    for (int k = 0; k < g->nt; k++) {
        double worst = 0.0, base = acc_mode || !(g->inputs & (1u << k)) ? 0.5 : 0.0;
        int good = 1;

        for (size_t i = 0; i < g->n[k]; i++) {
            float v = g->x[k][i];
            double lp, lm, num, ana = (double)g->dx[k][i] - base, err;

            g->x[k][i] = v + EPS;
            lp = objective(g);
            g->x[k][i] = v - EPS;
            lm = objective(g);
            g->x[k][i] = v;
            num = (lp - lm) / (2.0 * EPS);
            err = fabs(num - ana);
            if (err > ATOL + RTOL * fabs(num)) {
                if (good)
                    printf("# %s %s[%zu]: numeric %g analytic %g\n", g->what, g->label[k],
                           i, num, ana);
                good = 0;
            }
            if (err > worst)
                worst = err;
        }
        ok(good, "%s: d/d%s%s (max abs error %.2g)", g->what, g->label[k],
           acc_mode || !(g->inputs & (1u << k)) ? "" : " overwritten", worst);
    }
    for (int k = 0; k < g->nt; k++)
        free(g->dx[k]), free(g->x[k]);
    free(g->out), free(g->r);
}

/* --- convolutions --- */

struct conv {
    int B, C, H, W, OC, K, stride, pad, out_pad, G, transposed;
    enum anas__conv_algo algo;
    struct anas__conv_plan plan;
    struct anas__nn_work wk;
    float *cols; /* kept column matrices (every other check), or NULL */
};

static void conv_fwd(struct gc *g)
{
    struct conv *c = g->ctx;

    if (c->transposed)
        anas__nn_convt2d_forward(g->out, g->x[0], g->x[1], g->x[2], &c->wk, &c->plan,
                                 c->B, c->C, c->H, c->W, c->OC, c->K, c->stride, c->pad,
                                 c->out_pad);
    else
        anas__nn_conv2d_forward(g->out, g->x[0], g->x[1], g->x[2], c->cols, &c->wk,
                                &c->plan, c->B, c->C, c->H, c->W, c->OC, c->K, c->stride,
                                c->pad, ANAS__NN_NO_ACT, NULL);
}

static void conv_bwd(struct gc *g)
{
    struct conv *c = g->ctx;

    if (c->transposed)
        anas__nn_convt2d_backward(g->dx[0], acc_mode, g->dx[1], g->dx[2], g->r, g->x[0],
                                  g->x[1], &c->wk, &c->plan, c->B, c->C, c->H, c->W,
                                  c->OC, c->K, c->stride, c->pad, c->out_pad);
    else
        anas__nn_conv2d_backward(g->dx[0], acc_mode, g->dx[1], g->dx[2], g->r, g->x[0],
                                 g->x[1], c->cols, &c->wk, &c->plan, c->B, c->C, c->H,
                                 c->W, c->OC, c->K, c->stride, c->pad);
}

/* G forces the number of samples per sgemm (the batched and the direct
 * paths); 0 keeps the planner's choice. algo forces the algorithm; team
 * runs it on threads. */
static void check_conv_on(int transposed, int B, int C, int H, int W, int OC, int K,
                          int stride, int pad, int out_pad, int G,
                          enum anas__conv_algo algo, struct anas_team *team,
                          const char *what)
{
    struct conv c = {B,       C, H,          W,    OC,  K,   stride, pad,
                     out_pad, G, transposed, algo, {0}, {0}, NULL};
    static int keep_turn;
    struct gc g = {
        .what = what, .nt = 3, .inputs = 1, .fwd = conv_fwd, .bwd = conv_bwd, .ctx = &c};
    int OH, OW, n = anas_team_size(team);
    float *scratch;

    if (transposed) {
        anas__nn_convt2d_plan(&c.plan, G ? G : B, C, H, W, OC, K, stride, pad, out_pad);
        OH = (H - 1) * stride - 2 * pad + K + out_pad;
        OW = (W - 1) * stride - 2 * pad + K + out_pad;
    } else {
        anas__nn_conv2d_plan(&c.plan, algo, G ? G : B, C, H, W, OC, K, stride, pad);
        OH = anas__nn_out_side(H, K, stride, pad);
        OW = anas__nn_out_side(W, K, stride, pad);
    }
    if (strstr(what, "flipped"))
        ok(c.plan.flip, "%s: the plan takes the flipped-weights path", what);
    if (algo == ANAS__CONV_WINO)
        ok(c.plan.algo == ANAS__CONV_WINO, "%s: the plan takes Winograd's path", what);
    scratch = malloc((c.plan.shared + n * c.plan.part + 1) * sizeof(float));
    c.wk = (struct anas__nn_work){team, scratch, scratch + c.plan.shared, c.plan.part};
    /* backward reads the columns the last forward kept (or rebuilds them) */
    if (!transposed && c.plan.keep && keep_turn++ % 2)
        c.cols = malloc((size_t)B * C * K * K * OH * OW * sizeof(float));
    g.n[0] = (size_t)B * C * H * W, g.label[0] = "inp";
    g.n[1] = (size_t)C * OC * K * K, g.label[1] = "weight";
    g.n[2] = (size_t)OC, g.label[2] = "bias";
    for (int k = 0; k < 3; k++)
        g.x[k] = randn(g.n[k], 0.5f);
    g.nout = (size_t)B * OC * OH * OW;
    run(&g);
    free(scratch);
    free(c.cols);
}

static void check_conv(int transposed, int B, int C, int H, int W, int OC, int K,
                       int stride, int pad, int out_pad, int G, const char *what)
{
    check_conv_on(transposed, B, C, H, W, OC, K, stride, pad, out_pad, G, ANAS__CONV_GEMM,
                  NULL, what);
}

/* --- linear --- */

static int lin_B = 3, lin_C = 5, lin_OC = 4;

static void lin_fwd(struct gc *g)
{
    anas__nn_linear_forward(g->out, g->x[0], g->x[1], g->x[2], lin_B, lin_C, lin_OC,
                            ANAS__NN_NO_ACT);
}

static void lin_bwd(struct gc *g)
{
    /* the weight gradient in two row ranges, as two threads take it */
    anas__nn_linear_backward_weight(g->dx[1], g->dx[2], g->r, g->x[0], lin_B, lin_C,
                                    lin_OC, 0, 1);
    anas__nn_linear_backward_weight(g->dx[1], g->dx[2], g->r, g->x[0], lin_B, lin_C,
                                    lin_OC, 1, lin_OC);
    anas__nn_linear_backward_input(g->dx[0], acc_mode, g->r, g->x[1], lin_B, lin_C,
                                   lin_OC);
}

static void check_linear(void)
{
    struct gc g = {
        .what = "linear", .nt = 3, .inputs = 1, .fwd = lin_fwd, .bwd = lin_bwd};

    g.n[0] = (size_t)lin_B * lin_C, g.label[0] = "inp";
    g.n[1] = (size_t)lin_OC * lin_C, g.label[1] = "weight";
    g.n[2] = (size_t)lin_OC, g.label[2] = "bias";
    for (int k = 0; k < 3; k++)
        g.x[k] = randn(g.n[k], 0.5f);
    g.nout = (size_t)lin_B * lin_OC;
    run(&g);
}

/* --- batch norm (training) --- */

enum { BN_B = 3, BN_C = 2, BN_P = 4 };
static enum anas_op bn_act = ANAS__NN_NO_ACT; /* fused into the batch norm */

static void bn_fwd(struct gc *g)
{
    float mean[BN_C], invstd[BN_C], rm[BN_C] = {0}, rv[BN_C] = {1, 1};

    anas__nn_batchnorm_forward_train(g->out, mean, invstd, g->x[0], g->x[1], g->x[2], rm,
                                     rv, BN_B, BN_C, BN_P, 0, BN_C, bn_act, NULL);
}

static void bn_bwd(struct gc *g)
{
    float mean[BN_C], invstd[BN_C], rm[BN_C] = {0}, rv[BN_C] = {1, 1};

    /* the saved statistics come from the forward; channel by channel, as
     * threads take them */
    anas__nn_batchnorm_forward_train(g->out, mean, invstd, g->x[0], g->x[1], g->x[2], rm,
                                     rv, BN_B, BN_C, BN_P, 0, BN_C, bn_act, NULL);
    for (int c = 0; c < BN_C; c++)
        anas__nn_batchnorm_backward(g->dx[0], acc_mode, g->dx[1], g->dx[2], g->r, g->x[0],
                                    g->x[1], mean, invstd, BN_B, BN_C, BN_P, c, c + 1,
                                    bn_act, bn_act == ANAS__NN_NO_ACT ? NULL : g->out);
}

static void check_batchnorm_with(enum anas_op act, const char *what)
{
    struct gc g = {.what = what, .nt = 3, .inputs = 1, .fwd = bn_fwd, .bwd = bn_bwd};

    bn_act = act;
    g.n[0] = BN_B * BN_C * BN_P, g.label[0] = "inp";
    g.n[1] = g.n[2] = BN_C, g.label[1] = "gamma", g.label[2] = "beta";
    g.x[0] = randn(g.n[0], 1.0f);
    g.x[1] = randn(g.n[1], 1.0f);
    g.x[2] = randn(g.n[2], 1.0f);
    g.nout = g.n[0];
    run(&g);
    bn_act = ANAS__NN_NO_ACT;
}

/* The fused ReLU's backward inside batch norm's against the two kernels
 * one after the other: the same bits (ReLU's kink keeps it out of the
 * finite differences). */
static void check_batchnorm_relu(void)
{
    enum { N = BN_B * BN_C * BN_P };
    float x[N], y[N], dy[N], d1[N], d2[N], tmp[N], g[BN_C], b[BN_C];
    float mean[BN_C], invstd[BN_C], rm[BN_C] = {0}, rv[BN_C] = {1, 1};
    float dg1[BN_C] = {0}, db1[BN_C] = {0}, dg2[BN_C] = {0}, db2[BN_C] = {0};
    float *r = randn(N, 1.0f), *u = randn(N, 1.0f), *w = randn(2 * BN_C, 1.0f);

    memcpy(x, u, sizeof(x)), memcpy(dy, r, sizeof(dy));
    memcpy(g, w, sizeof(g)), memcpy(b, w + BN_C, sizeof(b));
    anas__nn_batchnorm_forward_train(y, mean, invstd, x, g, b, rm, rv, BN_B, BN_C, BN_P,
                                     0, BN_C, ANAS_OP_RELU, NULL);
    anas__nn_relu_backward(tmp, 0, dy, y, N);
    anas__nn_batchnorm_backward(d1, 0, dg1, db1, tmp, x, g, mean, invstd, BN_B, BN_C,
                                BN_P, 0, BN_C, ANAS__NN_NO_ACT, NULL);
    anas__nn_batchnorm_backward(d2, 0, dg2, db2, dy, x, g, mean, invstd, BN_B, BN_C, BN_P,
                                0, BN_C, ANAS_OP_RELU, y);
    ok(!memcmp(d1, d2, sizeof(d1)) && !memcmp(dg1, dg2, sizeof(dg1)) &&
           !memcmp(db1, db2, sizeof(db1)),
       "batchnorm + ReLU: the fused backward equals ReLU's then batch norm's");
    free(r), free(u), free(w);
}

static void check_batchnorm(void)
{
    check_batchnorm_with(ANAS__NN_NO_ACT, "batchnorm (train)");
    check_batchnorm_with(ANAS_OP_TANH, "batchnorm + tanh (fused)");
    check_batchnorm_with(ANAS_OP_SIGMOID, "batchnorm + sigmoid (fused)");
    check_batchnorm_relu();
}

/* --- elementwise and pooling (one input) --- */

enum { PB = 2, PC = 2, PH = 5, PW = 6 };
static int pk, ps, pp;

static void relu_fwd(struct gc *g)
{
    anas__nn_relu_forward(g->out, g->x[0], g->nout);
}
static void relu_bwd(struct gc *g)
{
    anas__nn_relu_backward(g->dx[0], acc_mode, g->r, g->out, g->nout);
}
static void tanh_fwd(struct gc *g)
{
    anas__nn_tanh_forward(g->out, g->x[0], g->nout);
}
static void tanh_bwd(struct gc *g)
{
    anas__nn_tanh_backward(g->dx[0], acc_mode, g->r, g->out, g->nout);
}
static void sig_fwd(struct gc *g)
{
    anas__nn_sigmoid_forward(g->out, g->x[0], g->nout);
}
static void sig_bwd(struct gc *g)
{
    anas__nn_sigmoid_backward(g->dx[0], acc_mode, g->r, g->out, g->nout);
}

static int32_t argmax[PB * PC * PH * PW];

static void max_fwd(struct gc *g)
{
    anas__nn_maxpool_forward(g->out, argmax, g->x[0], PB * PC, PH, PW, pk, ps, pp);
}
static void max_bwd(struct gc *g)
{
    anas__nn_maxpool_backward(g->dx[0], acc_mode, g->r, argmax, PB * PC, PH, PW, pk, ps,
                              pp);
}
static void avg_fwd(struct gc *g)
{
    anas__nn_avgpool_forward(g->out, g->x[0], PB * PC, PH, PW, pk, ps, pp);
}
static void avg_bwd(struct gc *g)
{
    anas__nn_avgpool_backward(g->dx[0], acc_mode, g->r, PB * PC, PH, PW, pk, ps, pp);
}
static void gap_fwd(struct gc *g)
{
    anas__nn_gap_forward(g->out, g->x[0], PB * PC, PH * PW);
}
static void gap_bwd(struct gc *g)
{
    anas__nn_gap_backward(g->dx[0], acc_mode, g->r, PB * PC, PH * PW);
}
static void shift_fwd(struct gc *g)
{
    anas__nn_shift_forward(g->out, g->x[0], PB * PC, PH, PW);
}
static void shift_bwd(struct gc *g)
{
    anas__nn_shift_backward(g->dx[0], acc_mode, g->r, PB * PC, PH, PW);
}

static float drop_mask[PB * PC * PH * PW];

static void drop_fwd(struct gc *g)
{
    struct anas_rng r;

    anas_rng_seed(&r, 5); /* the same mask on every call */
    anas__nn_dropout_forward(g->out, drop_mask, g->x[0], 0.4f, &r, g->nout);
}
static void drop_bwd(struct gc *g)
{
    anas__nn_dropout_backward(g->dx[0], acc_mode, g->r, drop_mask, g->nout);
}

static void unary(const char *what, void (*fwd)(struct gc *), void (*bwd)(struct gc *),
                  float *x, size_t nout)
{
    struct gc g = {.what = what, .nt = 1, .inputs = 1, .fwd = fwd, .bwd = bwd};

    g.n[0] = PB * PC * PH * PW, g.label[0] = "inp", g.x[0] = x;
    g.nout = nout;
    run(&g);
}

static void check_unary(void)
{
    size_t n = PB * PC * PH * PW;

    unary("relu", relu_fwd, relu_bwd, away_from_zero(n), n);
    unary("tanh", tanh_fwd, tanh_bwd, randn(n, 1.0f), n);
    unary("sigmoid", sig_fwd, sig_bwd, randn(n, 2.0f), n);
    unary("dropout p=0.4", drop_fwd, drop_bwd, randn(n, 1.0f), n);
    unary("shift", shift_fwd, shift_bwd, randn(n, 1.0f), n);
    unary("global avg pool", gap_fwd, gap_bwd, randn(n, 1.0f), PB * PC);
    for (int i = 0; i < 3; i++) {
        static const int kk[3][3] = {{2, 2, 0}, {3, 2, 1}, {3, 1, 1}};
        char what[64];
        size_t m;

        pk = kk[i][0], ps = kk[i][1], pp = kk[i][2];
        m = (size_t)PB * PC * anas__nn_out_side(PH, pk, ps, pp) *
            anas__nn_out_side(PW, pk, ps, pp);
        snprintf(what, sizeof(what), "maxpool k%d s%d p%d", pk, ps, pp);
        unary(what, max_fwd, max_bwd, distinct(n), m);
        snprintf(what, sizeof(what), "avgpool k%d s%d p%d", pk, ps, pp);
        unary(what, avg_fwd, avg_bwd, randn(n, 1.0f), m);
    }
}

/* --- two inputs: add, concat --- */

enum { CB = 2, CA_ = 2, CB_ = 3, CP = 4 };

static void add_fwd(struct gc *g)
{
    anas__nn_add_forward(g->out, g->x[0], g->x[1], g->nout);
}
static void add_bwd(struct gc *g)
{
    anas__nn_add_backward(g->dx[0], acc_mode, g->dx[1], acc_mode, g->r, g->nout);
}
static void cat_fwd(struct gc *g)
{
    anas__nn_concat_forward(g->out, g->x[0], g->x[1], CB, CA_, CB_, CP);
}
static void cat_bwd(struct gc *g)
{
    anas__nn_concat_backward(g->dx[0], acc_mode, g->dx[1], acc_mode, g->r, CB, CA_, CB_,
                             CP);
}

static void check_binary(void)
{
    struct gc a = {.what = "add", .nt = 2, .inputs = 3, .fwd = add_fwd, .bwd = add_bwd};
    struct gc c = {
        .what = "concat", .nt = 2, .inputs = 3, .fwd = cat_fwd, .bwd = cat_bwd};

    a.n[0] = a.n[1] = a.nout = 12, a.label[0] = "a", a.label[1] = "b";
    a.x[0] = randn(12, 1.0f), a.x[1] = randn(12, 1.0f);
    run(&a);
    c.n[0] = CB * CA_ * CP, c.n[1] = CB * CB_ * CP, c.label[0] = "a", c.label[1] = "b";
    c.x[0] = randn(c.n[0], 1.0f), c.x[1] = randn(c.n[1], 1.0f);
    c.nout = c.n[0] + c.n[1];
    run(&c);
}

/* --- losses: L is the loss itself --- */

enum { LB = 3, LK = 4 };
static const int labels[LB] = {2, 0, 3};

static void check_loss(const char *what, int kind)
{
    float x[LB * LK], d[LB * LK], loss, lp, lm;
    float target[LB * LK];
    double worst = 0.0;
    int good = 1;

    for (int i = 0; i < LB * LK; i++)
        x[i] = 2.0f * (float)anas_rng_normal(&rng),
        target[i] = (float)anas_rng_normal(&rng);
    if (kind == 1) /* NLL wants log-probabilities, but is linear in any input */
        anas_log_softmax_forward(x, x, LB, LK);
#define LOSS(l, dd)                                                                      \
    (kind == 0   ? anas_loss_xent(l, dd, x, labels, LB, LK)                              \
     : kind == 1 ? anas_loss_nll(l, dd, x, labels, LB, LK)                               \
                 : anas_loss_mse(l, dd, x, target, LB * LK))
    ok(LOSS(&loss, d) == 0, "%s: returns 0", what);
    for (int i = 0; i < LB * LK; i++) {
        float v = x[i];
        double num;

        x[i] = v + EPS;
        LOSS(&lp, NULL);
        x[i] = v - EPS;
        LOSS(&lm, NULL);
        x[i] = v;
        num = ((double)lp - lm) / (2.0 * EPS);
        if (fabs(num - d[i]) > ATOL + RTOL * fabs(num))
            good = 0;
        if (fabs(num - d[i]) > worst)
            worst = fabs(num - d[i]);
    }
#undef LOSS
    ok(good, "%s: gradient of the mean loss (max abs error %.2g)", what, worst);
}

static void lsm_fwd(struct gc *g)
{
    anas_log_softmax_forward(g->out, g->x[0], LB, LK);
}
static void lsm_bwd(struct gc *g)
{
    /* log-softmax backward writes rather than adds: keep the 0.5 offset */
    float d[LB * LK];

    anas_log_softmax_backward(d, g->r, g->out, LB, LK);
    for (int i = 0; i < LB * LK; i++)
        g->dx[0][i] += d[i];
}

static void check_losses(void)
{
    struct gc g = {.what = "log_softmax", .nt = 1, .fwd = lsm_fwd, .bwd = lsm_bwd};

    check_loss("cross-entropy", 0);
    check_loss("nll", 1);
    check_loss("mse", 2);
    g.n[0] = g.nout = LB * LK, g.label[0] = "inp", g.x[0] = randn(LB * LK, 2.0f);
    run(&g);
}

/* --- whole nets: L = sum(out * R) through anas_net_forward/backward --- */

static double net_objective(struct anas_net *net, const float *x, int B, const float *r,
                            size_t nout)
{
    struct anas_rng drop;
    const float *y;
    double L = 0.0;

    anas_rng_seed(&drop, 9); /* dropout draws the same masks every time */
    if (anas_net_forward(net, x, B, 1, &drop, &y) != 0)
        return NAN;
    for (size_t i = 0; i < nout; i++)
        L += (double)y[i] * r[i];
    return L;
}

static void check_net_on(struct anas_netdef *def, int threads, const char *what)
{
    struct anas_net *net = anas_net_new(def, 4, NULL);
    int B = 3, c, h, w;
    size_t np, nout, nx;
    float *x, *r, *p, *grad;
    int good = 1;
    double worst = 0.0;

    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w);
    nout = (size_t)B * c * h * w;
    anas_netdef_shape(def, 0, &c, &h, &w);
    nx = (size_t)B * c * h * w;
    x = randn(nx, 1.0f), r = randn(nout, 1.0f);
    anas_net_set_threads(net, threads, NULL);
    anas_net_init(net, &rng);
    p = anas_net_params(net, &np);
    grad = anas_net_grads(net, NULL);
    net_objective(net, x, B, r, nout);
    anas_net_zero_grad(net);
    anas_net_backward(net, r);
    for (size_t i = 0; i < np; i++) {
        float v = p[i];
        double lp, lm, num;

        p[i] = v + EPS;
        lp = net_objective(net, x, B, r, nout);
        p[i] = v - EPS;
        lm = net_objective(net, x, B, r, nout);
        p[i] = v;
        num = (lp - lm) / (2.0 * EPS);
        if (!(fabs(num - grad[i]) <= ATOL + RTOL * fabs(num)))
            good = 0;
        if (fabs(num - grad[i]) > worst)
            worst = fabs(num - grad[i]);
    }
    ok(good, "%s: d/dparams, %zu parameters (max abs error %.2g)", what, np, worst);
    anas_net_free(net);
    free(x), free(r);
}

static void check_net(struct anas_netdef *def, const char *what)
{
    check_net_on(def, 1, what);
}

/* The parameter gradients of a net on 2 threads against those on 1, on a
 * batch large enough for every layer to split (B samples). */
static void check_threads_agree(struct anas_netdef *def, int B, const char *what)
{
    struct anas_net *net[2];
    const float *g[2];
    float *x, *r;
    size_t np, nx, nout;
    int c, h, w;
    double worst = 0.0, scale = 0.0;
    struct anas_rng init;

    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w);
    nout = (size_t)B * c * h * w;
    anas_netdef_shape(def, 0, &c, &h, &w);
    nx = (size_t)B * c * h * w;
    x = randn(nx, 1.0f), r = randn(nout, 1.0f);
    for (int t = 0; t < 2; t++) {
        net[t] = anas_net_new(def, B, NULL);
        anas_net_set_threads(net[t], t + 1, NULL);
        anas_rng_seed(&init, 77);
        anas_net_init(net[t], &init);
        net_objective(net[t], x, B, r, nout);
        anas_net_zero_grad(net[t]);
        anas_net_backward(net[t], r);
        g[t] = anas_net_grads(net[t], &np);
    }
    for (size_t i = 0; i < np; i++) {
        double d = fabs((double)g[0][i] - g[1][i]);

        worst = d > worst ? d : worst;
        scale = fabs(g[0][i]) > scale ? fabs(g[0][i]) : scale;
    }
    ok(anas_net_threads(net[1]) == 2 && worst <= 1e-5 * scale,
       "%s: 2 threads give 1 thread's gradients (max difference %.2g of %.3g)", what,
       worst, scale);
    anas_net_free(net[0]);
    anas_net_free(net[1]);
    free(x), free(r);
}

/* tanh -> conv3x3 -> BN -> sigmoid -> conv3x3 -> BN plus the input
 * (ReLU's kink would spoil the finite differences): channels and planes
 * large enough for the planner to pick Winograd. */
static struct anas_netdef *winograd_block(int H, int W)
{
    struct anas_netdef *def = anas_netdef_new(4, H, W);
    int a = 0, b;

    for (int blk = 0; blk < 1; blk++) {
        b = anas_netdef_act(def, a, ANAS_OP_TANH, NULL);
        b = anas_netdef_conv2d(def, b, 4, 3, 1, 1, 0, NULL);
        b = anas_netdef_batchnorm(def, b, NULL);
        b = anas_netdef_act(def, b, ANAS_OP_SIGMOID, NULL);
        b = anas_netdef_conv2d(def, b, 4, 3, 1, 1, 1, NULL);
        b = anas_netdef_batchnorm(def, b, NULL);
        a = anas_netdef_add(def, a, b, NULL);
    }
    a = anas_netdef_pool(def, a, ANAS_OP_AVGPOOL, 3, 1, 0, NULL);
    a = anas_netdef_flatten(def, a, NULL);
    anas_netdef_linear(def, a, 3, 1, NULL);
    return def;
}

/* Two branches start with the same tanh of their input: the second is a
 * duplicate, sharing the first's output and gradient; the gradients that
 * both branches send back must add up. */
static void check_duplicates(void)
{
    struct anas_netdef *def = anas_netdef_new(2, 5, 5);
    int a, b, s;

    a = anas_netdef_conv2d(def, 0, 3, 3, 1, 1, 1, "stem");
    b = anas_netdef_act(def, a, ANAS_OP_TANH, "t1");
    s = anas_netdef_act(def, a, ANAS_OP_TANH, "t2");
    b = anas_netdef_conv2d(def, b, 3, 3, 1, 1, 0, "c1");
    s = anas_netdef_conv2d(def, s, 3, 1, 1, 0, 1, "c2");
    s = anas_netdef_add(def, b, s, "sum");
    s = anas_netdef_add(def, s, a, "skip");
    s = anas_netdef_gap(def, s, "gap");
    s = anas_netdef_flatten(def, s, "flat");
    anas_netdef_linear(def, s, 2, 1, "fc");
    {
        struct anas_net *net = anas_net_new(def, 4, NULL);

        ok(net && net->slot[3].alias == 2 && net->slot[3].act == net->slot[2].act,
           "the second tanh of the stem is a duplicate of the first");
        anas_net_free(net);
    }
    check_net(def, "two branches from one tanh (a duplicate)");
    anas_netdef_free(def);
}

static void check_winograd_net(void)
{
    struct anas_netdef *def = winograd_block(6, 5);

    {
        struct anas_net *net = anas_net_new(def, 4, NULL);

        ok(net && net->slot[2].plan.algo == ANAS__CONV_WINO,
           "a 4-channel 3x3 convolution on 6x5 planes is planned as Winograd");
        anas_net_free(net);
    }
    check_net_on(def, 1, "a residual block of Winograd convolutions");
    anas_netdef_free(def);
    def = winograd_block(24, 24);
    check_threads_agree(def, 8, "a residual block on 24x24 planes, 8 samples");
    anas_netdef_free(def);
}

static void check_nets(void)
{
    struct anas_netdef *def = anas_netdef_new(2, 6, 5);
    int a, b, s, u;

    /* a feeds the 1x1 conv, the add and the concat: three consumers */
    a = anas_netdef_conv2d(def, 0, 3, 3, 1, 1, 1, "c1");
    a = anas_netdef_batchnorm(def, a, "bn1");
    a = anas_netdef_act(def, a, ANAS_OP_TANH, "t1");
    b = anas_netdef_conv2d(def, a, 3, 1, 1, 0, 0, "c2");
    s = anas_netdef_add(def, a, b, "add");
    s = anas_netdef_shift(def, s, "shift");
    s = anas_netdef_concat(def, s, a, "cat");
    s = anas_netdef_dropout(def, s, 0.25f, "drop");
    u = anas_netdef_convt2d(def, s, 2, 3, 2, 1, 1, 1, "up");
    u = anas_netdef_act(def, u, ANAS_OP_SIGMOID, "sig");
    u = anas_netdef_pool(def, u, ANAS_OP_AVGPOOL, 3, 2, 1, "pool");
    u = anas_netdef_conv2d(def, u, 4, 3, 2, 0, 1, "c3");
    u = anas_netdef_batchnorm(def, u, "bn2");
    u = anas_netdef_gap(def, u, "gap");
    u = anas_netdef_flatten(def, u, "flat");
    anas_netdef_linear(def, u, 3, 1, "fc");
    ok(anas_netdef_error(def, NULL) == 0, "residual test net builds");
    check_net(def, "residual net (batch norm training, dropout)");
    anas_netdef_free(def);

    /* three residual blocks with two branches each: gradient blocks are
     * reused as soon as a block's backward is done */
    def = anas_netdef_new(2, 5, 5);
    a = anas_netdef_conv2d(def, 0, 3, 3, 1, 1, 0, "stem");
    for (int blk = 0; blk < 3; blk++) {
        char nm[32];
        int br[2];

        for (int k = 0; k < 2; k++) {
            snprintf(nm, sizeof(nm), "b%d.%d.act", blk, k);
            br[k] = anas_netdef_act(def, a, k ? ANAS_OP_SIGMOID : ANAS_OP_TANH, nm);
            snprintf(nm, sizeof(nm), "b%d.%d.conv", blk, k);
            br[k] = anas_netdef_conv2d(def, br[k], 3, 3, 1, 1, 0, nm);
            snprintf(nm, sizeof(nm), "b%d.%d.bn", blk, k);
            br[k] = anas_netdef_batchnorm(def, br[k], nm);
        }
        snprintf(nm, sizeof(nm), "b%d.sum", blk);
        b = anas_netdef_add(def, br[0], br[1], nm);
        snprintf(nm, sizeof(nm), "b%d.skip", blk);
        a = anas_netdef_add(def, b, a, nm);
    }
    a = anas_netdef_gap(def, a, "gap");
    a = anas_netdef_flatten(def, a, "flat");
    anas_netdef_linear(def, a, 2, 1, "fc");
    {
        struct anas_net *net = anas_net_new(def, 4, NULL);

        ok(net && net->n_dacts * 3 < net->n_acts,
           "gradients share blocks: gradient arena %zu floats, activations %zu",
           net ? net->n_dacts : 0, net ? net->n_acts : 0);
        anas_net_free(net);
    }
    check_net(def, "three residual blocks (shared gradient blocks)");
    anas_netdef_free(def);

    /* an autoencoder's bottleneck: linear, reshape to a plane, transposed
     * convolution back up */
    def = anas_netdef_new(1, 4, 4);
    a = anas_netdef_flatten(def, 0, "flat");
    a = anas_netdef_linear(def, a, 8, 1, "fc");
    a = anas_netdef_reshape(def, a, 2, 2, 2, "view");
    a = anas_netdef_act(def, a, ANAS_OP_TANH, "t");
    anas_netdef_convt2d(def, a, 1, 3, 2, 1, 1, 1, "up");
    check_net(def, "linear -> reshape -> convt2d");
    anas_netdef_free(def);

    /* the same node as both inputs of an add: x + x */
    def = anas_netdef_new(1, 4, 4);
    a = anas_netdef_conv2d(def, 0, 2, 3, 1, 1, 1, "c");
    a = anas_netdef_add(def, a, a, "double");
    a = anas_netdef_flatten(def, a, "flat");
    anas_netdef_linear(def, a, 2, 0, "fc");
    check_net(def, "x + x");
    anas_netdef_free(def);
}

/* Winograd on shapes with partial tiles, every padding it takes, and
 * threads; im2col on threads. */
static void check_conv_paths(void)
{
    struct anas_team *team = anas_team_new(2);

    ok(team != NULL, "a team of two threads starts");
    check_conv_on(0, 2, 3, 6, 5, 2, 3, 1, 1, 0, 0, ANAS__CONV_WINO, NULL,
                  "conv k3 s1 p1, Winograd, partial tiles");
    check_conv_on(0, 3, 2, 9, 8, 3, 3, 1, 0, 0, 2, ANAS__CONV_WINO, NULL,
                  "conv k3 s1 p0, Winograd, 2 samples per chunk");
    check_conv_on(0, 2, 2, 5, 5, 2, 3, 1, 2, 0, 1, ANAS__CONV_WINO, NULL,
                  "conv k3 s1 p2, Winograd, 1 sample per chunk");
    check_conv_on(0, 2, 3, 7, 6, 2, 5, 1, 0, 0, 0, ANAS__CONV_WINO, NULL,
                  "conv k5 s1 p0, Winograd F(2x2, 5x5)");
    check_conv_on(0, 2, 2, 5, 6, 3, 5, 1, 2, 0, 1, ANAS__CONV_WINO, NULL,
                  "conv k5 s1 p2, Winograd F(2x2, 5x5), 1 sample per chunk");
    check_conv_on(0, 3, 2, 5, 4, 3, 3, 1, 1, 0, 1, ANAS__CONV_WINO, team,
                  "conv k3 s1 p1, Winograd, 2 threads");
    check_conv_on(0, 3, 2, 5, 4, 3, 3, 2, 1, 0, 1, ANAS__CONV_GEMM, team,
                  "conv k3 s2 p1, im2col, 2 threads");
    check_conv_on(0, 3, 2, 5, 4, 2, 3, 1, 1, 0, 1, ANAS__CONV_GEMM, team,
                  "conv k3 s1 p1, flipped, 2 threads");
    anas_team_free(team);
}

static void check_kernels(void)
{
    check_conv(0, 3, 2, 5, 4, 3, 3, 2, 1, 0, 1, "conv k3 s2 p1, one sample per sgemm");
    check_conv(0, 3, 2, 5, 4, 3, 3, 2, 1, 0, 2, "conv k3 s2 p1, two samples per sgemm");
    check_conv(0, 3, 2, 5, 4, 3, 3, 1, 0, 0, 3, "conv k3 s1 p0, batched");
    check_conv(0, 2, 3, 4, 4, 2, 1, 1, 0, 0, 1, "conv 1x1 direct");
    check_conv(0, 3, 3, 4, 4, 2, 1, 1, 0, 0, 2, "conv 1x1 batched");
    check_conv(0, 2, 2, 6, 6, 2, 2, 2, 0, 0, 1, "conv k2 s2");
    check_conv(0, 2, 3, 5, 4, 2, 3, 1, 1, 0, 1, "conv k3 s1 p1, dinp by flipped weights");
    check_conv(0, 3, 3, 5, 4, 2, 3, 1, 1, 0, 2, "conv k3 s1 p1, flipped, batched");
    check_conv(0, 3, 3, 5, 4, 2, 2, 1, 1, 0, 2, "conv k2 s1 p1, flipped, batched");
    check_conv(1, 3, 2, 3, 2, 3, 3, 2, 1, 1, 1, "convt k3 s2 p1 op1, one sample");
    check_conv(1, 3, 2, 3, 2, 3, 3, 2, 1, 1, 2, "convt k3 s2 p1 op1, batched");
    check_conv(1, 2, 2, 3, 3, 2, 2, 2, 0, 0, 0, "convt k2 s2");
    check_conv(1, 2, 3, 2, 3, 2, 3, 1, 1, 0, 0, "convt k3 s1 p1");
    check_linear();
    check_batchnorm();
    check_unary();
    check_binary();
    check_conv_paths();
}

int main(void)
{
    plan_later();
    anas_rng_seed(&rng, 2024);
    check_kernels();
    acc_mode = 0;
    check_kernels();
    acc_mode = 1;
    check_losses();
    check_nets();
    check_duplicates();
    check_winograd_net();
    return done();
}
