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
 * time: max_step's rule on whole vectors (selections rather than bit
 * masks, which the compiler turns into blends). */
ANAS__INLINE void maxpool_2x2_row(float *restrict y, int32_t *restrict am,
                                  const float *restrict r0, const float *restrict r1,
                                  int OW, int32_t base, int32_t W)
{
    ANAS__VFOR_SHORT(ow, (size_t)OW, float a = r0[2 * ow]; float b = r0[2 * ow + 1];
                     float c = r1[2 * ow]; float d = r1[2 * ow + 1];
                     int32_t i = base + 2 * (int32_t)ow; int tb = (b > a) | (b != b);
                     float m = tb ? b : a; int32_t k = tb ? i + 1 : i;
                     int tc = (c > m) | (c != c); m = tc ? c : m; k = tc ? i + W : k;
                     int td = (d > m) | (d != d); m = td ? d : m; k = td ? i + W + 1 : k;
                     y[ow] = m; am[ow] = k);
}

ANAS__SIMD
static void maxpool_2x2(float *restrict y, int32_t *restrict am, const float *restrict x,
                        int H, int W)
{
    int OH = H / 2, OW = W / 2;

    for (int oh = 0; oh < OH; oh++)
        maxpool_2x2_row(y + (size_t)oh * OW, am + (size_t)oh * OW, x + (size_t)2 * oh * W,
                        x + (size_t)(2 * oh + 1) * W, OW, 2 * oh * W, W);
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

/* The 2x2 stride 2 backward: each input pixel is in one window, so the
 * gradient is written (or added) everywhere, with no scatter. */
ANAS__INLINE void maxpool_2x2_back_row(float *restrict r0, float *restrict r1, int acc,
                                       const float *restrict g, const int32_t *restrict a,
                                       int OW, int32_t base, int32_t W)
{
    if (acc)
        ANAS__VFOR_SHORT(
            ow, (size_t)OW, int32_t i = base + 2 * (int32_t)ow; float v = g[ow];
            int32_t k = a[ow]; r0[2 * ow] += k == i ? v : 0.0f;
            r0[2 * ow + 1] += k == i + 1 ? v : 0.0f; r1[2 * ow] += k == i + W ? v : 0.0f;
            r1[2 * ow + 1] += k == i + W + 1 ? v : 0.0f);
    else
        ANAS__VFOR_SHORT(
            ow, (size_t)OW, int32_t i = base + 2 * (int32_t)ow; float v = g[ow];
            int32_t k = a[ow]; r0[2 * ow] = k == i ? v : 0.0f;
            r0[2 * ow + 1] = k == i + 1 ? v : 0.0f; r1[2 * ow] = k == i + W ? v : 0.0f;
            r1[2 * ow + 1] = k == i + W + 1 ? v : 0.0f);
}

ANAS__SIMD
static void maxpool_2x2_backward(float *restrict dx, int acc, const float *restrict dy,
                                 const int32_t *restrict am, int H, int W)
{
    int OH = H / 2, OW = W / 2;

    if (!acc) { /* an odd last row or column is in no window */
        if (H % 2)
            memset(dx + (size_t)(H - 1) * W, 0, (size_t)W * sizeof(*dx));
        for (int h = 0; W % 2 && h < 2 * OH; h++)
            dx[(size_t)h * W + W - 1] = 0.0f;
    }
    for (int oh = 0; oh < OH; oh++)
        maxpool_2x2_back_row(dx + (size_t)2 * oh * W, dx + (size_t)(2 * oh + 1) * W, acc,
                             dy + (size_t)oh * OW, am + (size_t)oh * OW, OW, 2 * oh * W,
                             W);
}

void anas__nn_maxpool_backward(float *dinp, int acc, const float *dout,
                               const int32_t *argmax, int BC, int H, int W, int K,
                               int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    int P = OH * OW;

    for (int i = 0; i < BC; i++) {
        float *dx = dinp + (size_t)i * H * W;
        const float *dy = dout + (size_t)i * P;
        const int32_t *am = argmax + (size_t)i * P;

        if (K == 2 && stride == 2 && pad == 0) {
            maxpool_2x2_backward(dx, acc, dy, am, H, W);
            continue;
        }
        if (!acc)
            memset(dx, 0, (size_t)H * W * sizeof(*dx));
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

/* Stride 1 (AnalogNAS's final 8x8 pooling) on planes up to MAX_ROW wide:
 * a box filter, separable: the K rows of an output row's window are summed
 * first (vectorised along the row), then K neighbours of that row, so
 * that an output costs 2K additions rather than K*K. */
#define MAX_ROW 1024

ANAS__SIMD
static void avgpool_forward_s1(float *restrict y, const float *restrict x, int H, int W,
                               int K, int pad)
{
    int OH = anas__nn_out_side(H, K, 1, pad), OW = anas__nn_out_side(W, K, 1, pad);
    float kk = (float)(K * K), vs[MAX_ROW];

    for (int oh = 0; oh < OH; oh++) {
        float *restrict row = y + (size_t)oh * OW;
        float *restrict v = vs;
        int h0, h1;

        window(&h0, &h1, oh, H, K, 1, pad);
        ANAS__VFOR(w, (size_t)W, v[w] = 0.0f);
        for (int h = h0; h < h1; h++) {
            const float *restrict src = x + (size_t)h * W;

            ANAS__VFOR(w, (size_t)W, v[w] += src[w]);
        }
        ANAS__VFOR(ow, (size_t)OW, row[ow] = 0.0f);
        for (int kw = 0; kw < K; kw++) {
            const float *restrict src = v + kw - pad;
            int lo, hi;

            cols_inside(&lo, &hi, W, OW, kw, pad);
            ANAS__VFOR(j, (size_t)(hi - lo), row[lo + j] += src[lo + j]);
        }
        ANAS__VFOR(ow, (size_t)OW, row[ow] = row[ow] / kk);
    }
}

/* The adjoint: for each input row, the output rows whose window holds it
 * are summed, then spread back along the row. */
ANAS__SIMD
static void avgpool_backward_s1(float *restrict dx, int acc, const float *restrict dy,
                                int H, int W, int K, int pad)
{
    int OH = anas__nn_out_side(H, K, 1, pad), OW = anas__nn_out_side(W, K, 1, pad);
    float kk = (float)(K * K), vs[MAX_ROW], ds[MAX_ROW];

    for (int h = 0; h < H; h++) {
        float *restrict v = vs, *restrict d = ds;
        float *restrict row = dx + (size_t)h * W;
        /* outputs oh with oh - pad <= h < oh - pad + K */
        int oh0 = h + pad - K + 1 > 0 ? h + pad - K + 1 : 0;
        int oh1 = h + pad + 1 < OH ? h + pad + 1 : OH;

        ANAS__VFOR(ow, (size_t)OW, v[ow] = 0.0f);
        for (int oh = oh0; oh < oh1; oh++) {
            const float *restrict g = dy + (size_t)oh * OW;

            ANAS__VFOR(ow, (size_t)OW, v[ow] += g[ow]);
        }
        ANAS__VFOR(w, (size_t)W, d[w] = 0.0f);
        for (int kw = 0; kw < K; kw++) {
            float *restrict dst = d + kw - pad;
            int lo, hi;

            cols_inside(&lo, &hi, W, OW, kw, pad);
            ANAS__VFOR(j, (size_t)(hi - lo), dst[lo + j] += v[lo + j]);
        }
        if (acc)
            ANAS__VFOR(w, (size_t)W, row[w] += d[w] / kk);
        else
            ANAS__VFOR(w, (size_t)W, row[w] = d[w] / kk);
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

        if (stride == 1 && W <= MAX_ROW && OW <= MAX_ROW) {
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

void anas__nn_avgpool_backward(float *dinp, int acc, const float *dout, int BC, int H,
                               int W, int K, int stride, int pad)
{
    int OH = anas__nn_out_side(H, K, stride, pad),
        OW = anas__nn_out_side(W, K, stride, pad);
    float kk = (float)(K * K);

    for (int i = 0; i < BC; i++) {
        float *dx = dinp + (size_t)i * H * W;
        const float *dy = dout + (size_t)i * OH * OW;

        if (stride == 1 && W <= MAX_ROW && OW <= MAX_ROW) {
            avgpool_backward_s1(dx, acc, dy, H, W, K, pad);
            continue;
        }
        if (!acc)
            memset(dx, 0, (size_t)H * W * sizeof(*dx));
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

ANAS__SIMD
void anas__nn_gap_backward(float *dinp, int acc, const float *dout, int BC, int P)
{
    for (int i = 0; i < BC; i++) {
        float *restrict dx = dinp + (size_t)i * P;
        float g = dout[i] / (float)P;

        if (acc)
            ANAS__VFOR(p, (size_t)P, dx[p] += g);
        else
            ANAS__VFOR(p, (size_t)P, dx[p] = g);
    }
}
