/*
 * conv.c - 2D convolution and transposed convolution as im2col + sgemm.
 *
 * A convolution of one sample is W (OC, C*K*K) times its column matrix
 * (C*K*K, P). On small planes (P = 8x8 late in a CNN) that product is too
 * thin for BLAS to run fast, so G samples share one sgemm: their column
 * matrices sit side by side (C*K*K, G*P) and the product (OC, G*P) is
 * permuted back to NCHW through a staging matrix. G is picked so that
 * G*P reaches GEMM_N; with large planes G is 1 and the product lands in
 * the output directly. A 1x1 convolution with stride 1 and no padding has
 * the sample itself as its column matrix and skips im2col.
 *
 * The input gradient of a stride-1 convolution is itself a convolution:
 * of dout, padded by K-1-pad, with the weights flipped in space and with
 * C and OC swapped. Computing it that way (im2col of dout, then one sgemm
 * that adds straight into dinp) avoids the scatter-add of col2im, which
 * costs more than the gather of im2col, unless dout's column matrix is the
 * larger one (OC > C); other strides use col2im.
 *
 * The transposed convolution is the adjoint: its forward is a convolution's
 * input-gradient (W^T times the input, then col2im), its backward a
 * convolution's forward, with the same batching.
 */
#include "config.h"

#include "nn/nn_int.h"

#include <string.h>

#include "tensor/blas.h"
#include "tensor/tensor.h"
#include "tensor/vec.h"

/* Columns per sgemm worth reaching by batching samples (measured: larger
 * groups lose more to cache misses than they gain in sgemm speed), and a
 * cap on the column matrix so that scratch stays modest on large inputs. */
#define GEMM_N         256
#define MAX_COL_FLOATS ((size_t)1 << 23)

/* How many samples of P pixels and R column rows share one sgemm. */
static int group_size(int B, int P, size_t R)
{
    int G = (GEMM_N + P - 1) / P;

    if (G > B)
        G = B;
    while (G > 1 && R * (size_t)G * P > MAX_COL_FLOATS)
        G--;
    return G < 1 ? 1 : G;
}

static int is_direct(int K, int stride, int pad)
{
    return K == 1 && stride == 1 && pad == 0;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

void anas__nn_conv2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                          int OC, int K, int stride, int pad)
{
    int P = anas__nn_out_side(H, K, stride, pad) * anas__nn_out_side(W, K, stride, pad);
    size_t R = (size_t)C * K * K, G;

    plan->G = group_size(B, P, max_size(R, (size_t)OC * K * K));
    G = (size_t)plan->G;
    /* flip when its column matrix (OC*K*K, H*W) is no larger than col2im's
     * (C*K*K, P): then the cheaper gather wins */
    plan->flip = stride == 1 && pad <= K - 1 && !is_direct(K, stride, pad) &&
                 (size_t)OC * H * W <= (size_t)C * P;
    plan->col = G == 1 && is_direct(K, stride, pad) ? 0 : R * G * P;
    plan->tmp = G > 1 ? (size_t)OC * G * P : 0;
    plan->wflip = 0;
    if (plan->flip) {
        plan->col = max_size(plan->col, (size_t)OC * K * K * G * H * W);
        plan->tmp = G > 1 ? max_size(plan->tmp, (size_t)C * G * H * W) : 0;
        plan->wflip = (size_t)C * OC * K * K;
    }
}

void anas__nn_convt2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                           int OC, int K, int stride, int pad, int out_pad)
{
    int P = H * W; /* the column matrix of the adjoint convolution has H*W columns */
    size_t R = (size_t)OC * K * K;

    (void)out_pad;
    plan->G = group_size(B, P, R);
    plan->flip = 0;
    plan->col = R * plan->G * P;
    plan->tmp = plan->G > 1 ? (size_t)C * plan->G * P : 0;
    plan->wflip = 0;
}

/* (g, C, P) samples to a (C, g*P) matrix. */
static void gather(float *restrict dst, const float *restrict src, int g, int C, int P)
{
    for (int j = 0; j < g; j++)
        for (int c = 0; c < C; c++)
            memcpy(dst + ((size_t)c * g + j) * P, src + ((size_t)j * C + c) * P,
                   (size_t)P * sizeof(*dst));
}

/* A (C, g*P) matrix to (g, C, P) samples, plus bias[c] when not NULL. */
static void scatter(float *restrict dst, const float *restrict src, const float *bias,
                    int g, int C, int P)
{
    for (int j = 0; j < g; j++) {
        for (int c = 0; c < C; c++) {
            float *restrict d = dst + ((size_t)j * C + c) * P;
            const float *restrict s = src + ((size_t)c * g + j) * P;
            float b = bias ? bias[c] : 0.0f;

            ANAS__VFOR(p, (size_t)P, d[p] = s[p] + b);
        }
    }
}

/* The same, adding into dst. */
static void scatter_add(float *restrict dst, const float *restrict src, int g, int C,
                        int P)
{
    for (int j = 0; j < g; j++) {
        for (int c = 0; c < C; c++) {
            float *restrict d = dst + ((size_t)j * C + c) * P;
            const float *restrict s = src + ((size_t)c * g + j) * P;

            ANAS__VFOR(p, (size_t)P, d[p] += s[p]);
        }
    }
}

/* Add bias[c] to each of the C planes of P pixels (bias may be NULL). */
static void add_bias(float *restrict x, const float *restrict bias, int C, int P)
{
    if (!bias)
        return;
    for (int c = 0; c < C; c++) {
        float *restrict row = x + (size_t)c * P;
        float b = bias[c];

        ANAS__VFOR(p, (size_t)P, row[p] += b);
    }
}

/* dbias[c] += the sum of row c of a (C, N) matrix. */
static void bias_grad(float *restrict dbias, const float *restrict d, int C, int N)
{
    if (!dbias)
        return;
    for (int c = 0; c < C; c++)
        dbias[c] += anas__vsum(d + (size_t)c * N, (size_t)N);
}

/* The column matrix (C*K*K, g*P) of samples inp[0..g). */
static void im2col_group(float *col, const float *inp, int g, int C, int H, int W, int K,
                         int stride, int pad, int P)
{
    for (int j = 0; j < g; j++)
        anas_tensor_im2col(col + (size_t)j * P, g * P, inp + (size_t)j * C * H * W, C, H,
                           W, K, stride, pad);
}

/* Add the column matrix (C*K*K, g*P) back onto samples img[0..g). */
static void col2im_group(float *img, const float *col, int g, int C, int H, int W, int K,
                         int stride, int pad, int P)
{
    for (int j = 0; j < g; j++)
        anas_tensor_col2im(img + (size_t)j * C * H * W, col + (size_t)j * P, g * P, C, H,
                           W, K, stride, pad);
}

/* The product of one group: y (OC, g*P) = weight (OC, R) cm (R, g*P), by
 * sgemm or by the override (which also adds the bias). */
static int conv_product(float *y, const float *weight, const float *cm, int OC, int R,
                        int N, const struct anas__nn_mvm_call *mc)
{
    if (mc)
        return mc->mvm->forward(mc->mvm->ctx, mc->node, cm, N, 1, N, y, N, mc->training);
    anas_blas_sgemm(0, 0, OC, N, R, 1.0f, weight, R, cm, N, 0.0f, y, N);
    return 0;
}

int anas__nn_conv2d_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *scratch,
                            const struct anas__conv_plan *plan, int B, int C, int H, int W,
                            int OC, int K, int stride, int pad,
                            const struct anas__nn_mvm_call *mc)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    int P = OH * OW, R = C * K * K, rc;
    float *col = scratch;             /* (R, G*P) */
    float *tmp = scratch + plan->col; /* (OC, G*P) */

    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * H * W;
        float *y = out + (size_t)b0 * OC * P;
        const float *cm = col;

        if (g == 1 && is_direct(K, stride, pad))
            cm = x;
        else
            im2col_group(col, x, g, C, H, W, K, stride, pad, P);
        rc = conv_product(plan->G == 1 ? y : tmp, weight, cm, OC, R, g * P, mc);
        if (rc)
            return rc;
        if (plan->G == 1) {
            if (!mc)
                add_bias(y, bias, OC, P);
        } else {
            scatter(y, tmp, mc ? NULL : bias, g, OC, P);
        }
    }
    return 0;
}

/* wflip (C, OC, K, K) = weight (OC, C, K, K) with C and OC swapped and
 * the kernel turned by 180 degrees. */
static void flip_weights(float *restrict wflip, const float *restrict weight, int C,
                         int OC, int K)
{
    int KK = K * K;

    for (int oc = 0; oc < OC; oc++)
        for (int c = 0; c < C; c++)
            for (int k = 0; k < KK; k++)
                wflip[((size_t)c * OC + oc) * KK + (KK - 1 - k)] =
                    weight[((size_t)oc * C + c) * KK + k];
}

/* dinp (g, C, H, W) += the input gradient of g samples, as a convolution of
 * dy (g, OC, OH, OW) with the flipped weights (stride 1 only). */
static void dinp_by_flip(float *dinp, const float *dy, const float *wflip, float *col,
                         float *tmp, const struct anas__conv_plan *plan, int g, int C,
                         int H, int W, int OC, int K, int pad)
{
    int OH = anas__nn_out_side(H, K, 1, pad), OW = anas__nn_out_side(W, K, 1, pad);
    int HW = H * W, R = OC * K * K;

    /* pad K-1-pad brings the (OH, OW) planes back to (H, W) */
    im2col_group(col, dy, g, OC, OH, OW, K, 1, K - 1 - pad, HW);
    if (plan->G == 1) {
        anas_blas_sgemm(0, 0, C, HW, R, 1.0f, wflip, R, col, HW, 1.0f, dinp, HW);
    } else {
        anas_blas_sgemm(0, 0, C, g * HW, R, 1.0f, wflip, R, col, g * HW, 0.0f, tmp,
                        g * HW);
        scatter_add(dinp, tmp, g, C, HW);
    }
}

void anas__nn_conv2d_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              float *scratch, const struct anas__conv_plan *plan, int B,
                              int C, int H, int W, int OC, int K, int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    int P = OH * OW, R = C * K * K;
    float *col = scratch;                           /* (R, G*P) */
    float *tmp = scratch + plan->col;               /* (OC, G*P) */
    float *wflip = scratch + plan->col + plan->tmp; /* (C, OC, K, K) */

    if (dinp && plan->flip)
        flip_weights(wflip, weight, C, OC, K);
    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * H * W;
        const float *dy = dout + (size_t)b0 * OC * P; /* (OC, g*P) once gathered */
        float *dx = dinp ? dinp + (size_t)b0 * C * H * W : NULL;
        int direct = g == 1 && is_direct(K, stride, pad);

        if (plan->G > 1) {
            gather(tmp, dy, g, OC, P);
            dy = tmp;
        }
        bias_grad(dbias, dy, OC, g * P);
        /* dW (OC, R) += dy (OC, gP) col^T (gP, R) */
        if (!direct)
            im2col_group(col, x, g, C, H, W, K, stride, pad, P);
        anas_blas_sgemm(0, 1, OC, R, g * P, 1.0f, dy, g * P, direct ? x : col, g * P,
                        1.0f, dweight, R);
        if (!dx)
            continue;
        if (direct) {
            /* dx (C, P) += W^T (C, OC) dy (OC, P) */
            anas_blas_sgemm(1, 0, R, P, OC, 1.0f, weight, R, dy, P, 1.0f, dx, P);
        } else if (plan->flip) {
            dinp_by_flip(dx, dout + (size_t)b0 * OC * P, wflip, col, tmp, plan, g, C, H,
                         W, OC, K, pad);
        } else {
            /* dcol (R, gP) = W^T (R, OC) dy (OC, gP), then back onto the image */
            anas_blas_sgemm(1, 0, R, g * P, OC, 1.0f, weight, R, dy, g * P, 0.0f, col,
                            g * P);
            col2im_group(dx, col, g, C, H, W, K, stride, pad, P);
        }
    }
}

/* Fill each of the C planes of P pixels of g samples with bias[c] (or 0). */
static void fill_bias(float *restrict y, const float *restrict bias, int g, int C, int P)
{
    for (int j = 0; j < g; j++)
        for (int c = 0; c < C; c++) {
            float *restrict d = y + ((size_t)j * C + c) * P;
            float b = bias ? bias[c] : 0.0f;

            ANAS__VFOR(p, (size_t)P, d[p] = b);
        }
}

void anas__nn_convt2d_forward(float *out, const float *inp, const float *weight,
                              const float *bias, float *scratch,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad, int out_pad)
{
    int OH = (H - 1) * stride - 2 * pad + K + out_pad;
    int OW = (W - 1) * stride - 2 * pad + K + out_pad;
    int P = H * W, R = OC * K * K;
    float *col = scratch;             /* (R, G*P) */
    float *tmp = scratch + plan->col; /* (C, G*P) */

    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * P; /* (C, g*P) once gathered */
        float *y = out + (size_t)b0 * OC * OH * OW;

        if (plan->G > 1) {
            gather(tmp, x, g, C, P);
            x = tmp;
        }
        /* col (R, gP) = W^T (R, C) x (C, gP) */
        anas_blas_sgemm(1, 0, R, g * P, C, 1.0f, weight, R, x, g * P, 0.0f, col, g * P);
        fill_bias(y, bias, g, OC, OH * OW);
        col2im_group(y, col, g, OC, OH, OW, K, stride, pad, P);
    }
}

void anas__nn_convt2d_backward(float *dinp, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               float *scratch, const struct anas__conv_plan *plan, int B,
                               int C, int H, int W, int OC, int K, int stride, int pad,
                               int out_pad)
{
    int OH = (H - 1) * stride - 2 * pad + K + out_pad;
    int OW = (W - 1) * stride - 2 * pad + K + out_pad;
    int P = H * W, R = OC * K * K;
    float *col = scratch;             /* (R, G*P) */
    float *tmp = scratch + plan->col; /* (C, G*P) */

    for (int b0 = 0; b0 < B; b0 += plan->G) {
        int g = B - b0 < plan->G ? B - b0 : plan->G;
        const float *x = inp + (size_t)b0 * C * P;
        const float *dy = dout + (size_t)b0 * OC * OH * OW;

        for (int j = 0; j < g; j++)
            bias_grad(dbias, dy + (size_t)j * OC * OH * OW, OC, OH * OW);
        im2col_group(col, dy, g, OC, OH, OW, K, stride, pad, P);
        if (plan->G > 1) {
            gather(tmp, x, g, C, P);
            x = tmp;
        }
        /* dW (C, R) += x (C, gP) col^T (gP, R) */
        anas_blas_sgemm(0, 1, C, R, g * P, 1.0f, x, g * P, col, g * P, 1.0f, dweight, R);
        if (!dinp)
            continue;
        /* dx (C, gP) = W (C, R) col (R, gP) */
        if (plan->G == 1) {
            anas_blas_sgemm(0, 0, C, P, R, 1.0f, weight, R, col, P, 1.0f,
                            dinp + (size_t)b0 * C * P, P);
        } else {
            anas_blas_sgemm(0, 0, C, g * P, R, 1.0f, weight, R, col, g * P, 0.0f, tmp,
                            g * P);
            scatter_add(dinp + (size_t)b0 * C * P, tmp, g, C, P);
        }
    }
}
