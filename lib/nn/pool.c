/*
 * pool.c - max pooling (saving the argmax), average pooling with
 * count_include_pad (PyTorch's default: every window divides by K*K, the
 * padding counting as zeros) and global average pooling.
 *
 * Planes are independent, so kernels take BC = B*C planes of (H,W). Window
 * bounds are clipped once per output row and column; the inner loops then
 * run over in-image pixels only. Averages divide by K*K, as PyTorch does
 * (rather than multiplying by its inverse).
 */
#include "config.h"

#include "nn/nn_int.h"

#include <math.h>
#include <string.h>

#include "tensor/vec.h"

/* Clip the window [o*stride - pad, + K) to [0, n). */
static void window(int *lo, int *hi, int o, int n, int K, int stride, int pad)
{
    int a = o * stride - pad, b = a + K;

    *lo = a < 0 ? 0 : a;
    *hi = b > n ? n : b;
}

/* One step of the running maximum: v at index i replaces the best so far
 * when larger, or when NaN (PyTorch's rule: NaN propagates). */
static inline void max_step(float *best, int32_t *at, float v, int32_t i)
{
    /* selected through bit masks: compilers turn ?: into branches, which
     * random data mispredicts half the time */
    uint32_t take = -(uint32_t)((v > *best) | (v != v)), vb, bb;

    memcpy(&vb, &v, sizeof(vb));
    memcpy(&bb, best, sizeof(bb));
    bb = (vb & take) | (bb & ~take);
    memcpy(best, &bb, sizeof(bb));
    *at = (int32_t)(((uint32_t)i & take) | ((uint32_t)*at & ~take));
}

/* The common 2x2 stride 2 pooling without padding, one output row at a
 * time. */
static void maxpool_2x2(float *restrict y, int32_t *restrict am, const float *restrict x,
                        int H, int W)
{
    int OH = H / 2, OW = W / 2;

    for (int oh = 0; oh < OH; oh++) {
        const float *r0 = x + (size_t)2 * oh * W, *r1 = r0 + W;
        float *yr = y + (size_t)oh * OW;
        int32_t *ar = am + (size_t)oh * OW, base = 2 * oh * W;

        for (int ow = 0; ow < OW; ow++) {
            float best = r0[2 * ow];
            int32_t at = base + 2 * ow;

            max_step(&best, &at, r0[2 * ow + 1], at + 1);
            max_step(&best, &at, r1[2 * ow], base + W + 2 * ow);
            max_step(&best, &at, r1[2 * ow + 1], base + W + 2 * ow + 1);
            yr[ow] = best;
            ar[ow] = at;
        }
    }
}

void anas__nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, int BC,
                              int H, int W, int K, int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);

    for (int i = 0; i < BC; i++) {
        const float *x = inp + (size_t)i * H * W;
        float *y = out + (size_t)i * OH * OW;
        int32_t *am = argmax + (size_t)i * OH * OW;

        if (K == 2 && stride == 2 && pad == 0) {
            maxpool_2x2(y, am, x, H, W);
            continue;
        }
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;

            window(&h0, &h1, oh, H, K, stride, pad);
            for (int ow = 0; ow < OW; ow++) {
                float best = -INFINITY;
                int32_t at;
                int w0, w1;

                window(&w0, &w1, ow, W, K, stride, pad);
                /* As PyTorch: the first maximum wins, a NaN always wins, and
                 * a window of -inf points at its first pixel. */
                at = h0 * W + w0;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++)
                        max_step(&best, &at, x[h * W + w], h * W + w);
                y[oh * OW + ow] = best;
                am[oh * OW + ow] = at;
            }
        }
    }
}

void anas__nn_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                               int BC, int H, int W, int K, int stride, int pad)
{
    int P = anas__nn_out_side(H, K, stride, pad) * anas__nn_out_side(W, K, stride, pad);

    for (int i = 0; i < BC; i++) {
        float *dx = dinp + (size_t)i * H * W;
        const float *dy = dout + (size_t)i * P;
        const int32_t *am = argmax + (size_t)i * P;

        for (int p = 0; p < P; p++)
            dx[am[p]] += dy[p];
    }
}

/* Output columns [lo, hi) whose window column kw is inside the image, for
 * stride 1: 0 <= ow - pad + kw < W. */
static void cols_inside(int *lo, int *hi, int W, int OW, int kw, int pad)
{
    *lo = pad - kw > 0 ? pad - kw : 0;
    *hi = W + pad - kw < OW ? W + pad - kw : OW;
    if (*hi < *lo)
        *hi = *lo;
}

/* Stride 1 (AnalogNAS's final 8x8 pooling): whole output rows at a time,
 * so that the inner loop runs along contiguous memory and vectorises. Each
 * output still sums its window row by row, left to right, as PyTorch. */
static void avgpool_forward_s1(float *restrict y, const float *restrict x, int H, int W,
                               int K, int pad)
{
    int OH = anas__nn_out_side(H, K, 1, pad), OW = anas__nn_out_side(W, K, 1, pad);
    float kk = (float)(K * K);

    for (int oh = 0; oh < OH; oh++) {
        float *restrict row = y + (size_t)oh * OW;
        int h0, h1;

        window(&h0, &h1, oh, H, K, 1, pad);
        ANAS__VFOR(ow, (size_t)OW, row[ow] = 0.0f);
        for (int h = h0; h < h1; h++)
            for (int kw = 0; kw < K; kw++) {
                const float *restrict src = x + (size_t)h * W + kw - pad;
                int lo, hi;

                cols_inside(&lo, &hi, W, OW, kw, pad);
                ANAS__VFOR(j, (size_t)(hi - lo), row[lo + j] += src[lo + j]);
            }
        ANAS__VFOR(ow, (size_t)OW, row[ow] = row[ow] / kk);
    }
}

static void avgpool_backward_s1(float *restrict dx, const float *restrict dy, int H,
                                int W, int K, int pad)
{
    int OH = anas__nn_out_side(H, K, 1, pad), OW = anas__nn_out_side(W, K, 1, pad);
    float kk = (float)(K * K);

    for (int oh = 0; oh < OH; oh++) {
        const float *restrict g = dy + (size_t)oh * OW;
        int h0, h1;

        window(&h0, &h1, oh, H, K, 1, pad);
        for (int h = h0; h < h1; h++)
            for (int kw = 0; kw < K; kw++) {
                float *restrict dst = dx + (size_t)h * W + kw - pad;
                int lo, hi;

                cols_inside(&lo, &hi, W, OW, kw, pad);
                ANAS__VFOR(j, (size_t)(hi - lo), dst[lo + j] += g[lo + j] / kk);
            }
    }
}

void anas__nn_avgpool_forward(float *out, const float *inp, int BC, int H, int W, int K,
                              int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    float kk = (float)(K * K);

    for (int i = 0; i < BC; i++) {
        const float *x = inp + (size_t)i * H * W;
        float *y = out + (size_t)i * OH * OW;

        if (stride == 1) {
            avgpool_forward_s1(y, x, H, W, K, pad);
            continue;
        }
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;

            window(&h0, &h1, oh, H, K, stride, pad);
            for (int ow = 0; ow < OW; ow++) {
                float s = 0.0f;
                int w0, w1;

                window(&w0, &w1, ow, W, K, stride, pad);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++)
                        s += x[h * W + w];
                y[oh * OW + ow] = s / kk;
            }
        }
    }
}

void anas__nn_avgpool_backward(float *dinp, const float *dout, int BC, int H, int W,
                               int K, int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    float kk = (float)(K * K);

    for (int i = 0; i < BC; i++) {
        float *dx = dinp + (size_t)i * H * W;
        const float *dy = dout + (size_t)i * OH * OW;

        if (stride == 1) {
            avgpool_backward_s1(dx, dy, H, W, K, pad);
            continue;
        }
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;

            window(&h0, &h1, oh, H, K, stride, pad);
            for (int ow = 0; ow < OW; ow++) {
                float g = dy[oh * OW + ow] / kk;
                int w0, w1;

                window(&w0, &w1, ow, W, K, stride, pad);
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++)
                        dx[h * W + w] += g;
            }
        }
    }
}

void anas__nn_gap_forward(float *out, const float *inp, int BC, int P)
{
    for (int i = 0; i < BC; i++)
        out[i] = anas__vsum(inp + (size_t)i * P, (size_t)P) / (float)P;
}

void anas__nn_gap_backward(float *dinp, const float *dout, int BC, int P)
{
    for (int i = 0; i < BC; i++) {
        float *restrict dx = dinp + (size_t)i * P;
        float g = dout[i] / (float)P;

        ANAS__VFOR(p, (size_t)P, dx[p] += g);
    }
}
