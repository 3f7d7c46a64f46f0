/*
 * nn-bn-epilogue.c - the batch norm that a conv2d runs after each product
 * of a weight-product override in an eval forward (run.c, conv.c's
 * epilogue and staging) gives the bits the separate batch norm gives.
 *
 * The override here computes exactly what the net's own im2col path does
 * (the same sgemm call, then the bias), and the convolutions are ones the
 * net runs through im2col (not Winograd: 3 input channels, a 1x1, a
 * stride 2), so that the eval forward with the override installed, where
 * the batch norms run inside the convolutions, must equal the digital one
 * bit for bit: one sample per product (G = 1: 16x16 planes, the 3x3 and
 * the 1x1 without im2col), several per product (G > 1: 2x2 planes), a
 * ReLU and a residual add fused into the batch norm, a full and a partial
 * batch.
 */
#include "config.h"

#include "nn/net.h"

#include <string.h>

#include "core/alloc.h"
#include "tensor/blas.h"

#include "tap.h"

#define MAXB 8

struct ovr {
    struct anas_net *net;
    int calls;
};

/* Y (d, M) = W X + bias, as conv.c's own product and add_bias. */
static int product(void *ctx, int node, const float *X, int M, int cols, int ldx, float *Y,
                   int ldy, int training)
{
    struct ovr *o = ctx;
    struct anas_net_layer L;
    const float *p = anas_net_params(o->net, NULL);

    (void)training;
    if (!cols || anas_net_layer(o->net, node, &L) < 0)
        return ANAS_EINVAL;
    anas_blas_sgemm(0, 0, L.d, M, L.n, 1.0f, p + L.weight, L.n, X, ldx, 0.0f, Y, ldy);
    for (int i = 0; i < L.d; i++)
        for (int m = 0; m < M; m++)
            Y[(size_t)i * ldy + m] += p[L.bias + i];
    o->calls++;
    return 0;
}

/* conv 3x3 (3 -> 8) + bn + relu; conv 1x1 + bn + add; maxpool to 4x4;
 * conv 3x3 stride 2 (to 2x2) + bn as the output. */
static struct anas_netdef *net_def(int *convs)
{
    struct anas_netdef *def = anas_netdef_new(3, 16, 16);
    int x, y;

    convs[0] = x = anas_netdef_conv2d(def, 0, 8, 3, 1, 1, 1, "c1");
    x = anas_netdef_batchnorm(def, x, "bn1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
    convs[1] = y = anas_netdef_conv2d(def, x, 8, 1, 1, 0, 1, "c2");
    y = anas_netdef_batchnorm(def, y, "bn2");
    x = anas_netdef_add(def, x, y, "add");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 4, 4, 0, "pool");
    convs[2] = x = anas_netdef_conv2d(def, x, 6, 3, 2, 1, 1, "c3");
    x = anas_netdef_batchnorm(def, x, "bn3");
    anas_netdef_output(def, x);
    return def;
}

static void same_bits(struct anas_net *net, const int *convs, const float *x, int B)
{
    struct ovr o = {net, 0};
    struct anas_net_mvm m = {product, &o, NULL};
    size_t n = (size_t)B * 6 * 2 * 2;
    float *want = anas_malloc(n * sizeof *want);
    const float *out;
    int rc;

    rc = anas_net_forward(net, x, B, 0, NULL, &out);
    memcpy(want, out, n * sizeof *want);
    for (int k = 0; k < 3; k++)
        rc |= anas_net_set_mvm(net, convs[k], &m);
    for (int pass = 0; pass < 2; pass++) {
        int r = anas_net_forward(net, x, B, 0, NULL, &out);

        ok(rc == 0 && r == 0 && memcmp(out, want, n * sizeof *want) == 0,
           "batch %d, eval forward %d through the override: the digital bits", B, pass + 1);
    }
    ok(o.calls == 2 * (B + B + 1), "the override made every product (%d calls)", o.calls);
    for (int k = 0; k < 3; k++)
        anas_net_set_mvm(net, convs[k], NULL);
    anas_free(want);
}

int main(void)
{
    struct anas_error err = {0};
    int convs[3];
    struct anas_netdef *def = net_def(convs);
    struct anas_net *net = anas_net_new(def, MAXB, &err);
    size_t in = (size_t)MAXB * 3 * 16 * 16;
    float *x = anas_malloc(in * sizeof *x);
    struct anas_rng rng;

    plan(7);
    if (!ok(net && x, "the net builds (%s)", err.msg))
        return done();
    anas_rng_seed(&rng, 3);
    anas_net_init(net, &rng);
    for (size_t i = 0; i < in; i++)
        x[i] = (float)anas_rng_normal(&rng);
    /* running statistics other than the initial ones (mean 0, var 1) */
    for (int i = 0; i < 3; i++)
        anas_net_forward(net, x, MAXB, 1, &rng, NULL);
    same_bits(net, convs, x, MAXB);
    same_bits(net, convs, x, 5);
    anas_net_free(net);
    anas_netdef_free(def);
    anas_free(x);
    return done();
}
