/*
 * im2col.c - im2col and col2im for any kernel, stride and padding.
 *
 * Both walk the column matrix row by row. For one row (c, kh, kw) and one
 * output row oh, the input row is fixed and the valid output columns form
 * one interval [lo, hi); outside it the entries are padding. Computing the
 * interval once per row keeps the inner loops free of bounds tests: a
 * straight copy (or add) that the compiler vectorises when stride is 1.
 */
#include "config.h"

#include "tensor/tensor.h"

#include <stddef.h>
#include <string.h>

#include "tensor/vec.h"

/* n floats from src to dst. Rows of small planes are a few floats long,
 * where a memcpy call costs more than the copy: fixed-size memcpys compile
 * to plain vector moves. */
static inline void copy_row(float *restrict dst, const float *restrict src, int n)
{
    int i = 0;

    if (n >= 64) {
        memcpy(dst, src, (size_t)n * sizeof(*dst));
        return;
    }
    for (; i + 8 <= n; i += 8)
        memcpy(dst + i, src + i, 8 * sizeof(*dst));
    if (i + 4 <= n) {
        memcpy(dst + i, src + i, 4 * sizeof(*dst));
        i += 4;
    }
    for (; i < n; i++)
        dst[i] = src[i];
}

/* n zeros at dst, the same way: a padding row of a small plane is a few
 * dozen floats, where the call to memset costs more than the stores. */
static inline void zero_row(float *dst, size_t n)
{
    size_t i = 0;

    if (n >= 64) {
        memset(dst, 0, n * sizeof(*dst));
        return;
    }
    for (; i + 8 <= n; i += 8)
        memset(dst + i, 0, 8 * sizeof(*dst));
    if (i + 4 <= n) {
        memset(dst + i, 0, 4 * sizeof(*dst));
        i += 4;
    }
    for (; i < n; i++)
        dst[i] = 0.0f;
}

/* Valid output columns for kernel column kw: 0 <= ow*stride - pad + kw < W. */
static void valid_range(int *lo, int *hi, int W, int OW, int kw, int stride, int pad)
{
    int off = pad - kw; /* ow*stride >= off */
    int a = off <= 0 ? 0 : (off + stride - 1) / stride;
    int b = W - 1 + off < 0 ? 0 : (W - 1 + off) / stride + 1;

    *lo = a < OW ? a : OW;
    *hi = b < OW ? b : OW;
    if (*hi < *lo)
        *hi = *lo;
}

/* One row (c, kh, kw) of a "same" convolution (stride 1, OW == W): with
 * rows of equal width the valid part of the whole plane is ONE shifted
 * copy, dst[d] = src[d + off]; the few entries that wrapped around a row
 * edge are then overwritten with the padding's zeros. */
static void im2col_same_row(float *restrict dst, const float *restrict plane, int H,
                            int W, int kh, int kw, int pad)
{
    int D = kw - pad;                      /* column shift */
    int oh0 = pad - kh > 0 ? pad - kh : 0; /* rows inside the image */
    int oh1 = H + pad - kh < H ? H + pad - kh : H;
    size_t a, b;

    if (oh1 <= oh0) {
        memset(dst, 0, (size_t)H * W * sizeof(*dst));
        return;
    }
    zero_row(dst, (size_t)oh0 * W);
    zero_row(dst + (size_t)oh1 * W, (size_t)(H - oh1) * W);
    /* d in [a, b) reads plane[d + (kh - pad) * W + D], all inside the plane */
    a = (size_t)oh0 * W + (D < 0 ? -D : 0);
    b = (size_t)oh1 * W - (D > 0 ? D : 0);
    if (b > a)
        memcpy(dst + a, plane + a + (ptrdiff_t)(kh - pad) * W + D,
               (b - a) * sizeof(*dst));
    for (int oh = oh0; oh < oh1; oh++) {
        float *row = dst + (size_t)oh * W;

        for (int ow = 0; ow < -D; ow++)
            row[ow] = 0.0f;
        for (int ow = W - D; ow < W; ow++)
            row[ow] = 0.0f;
    }
}

/* OH rows of n floats, src rows W apart, dst rows OW apart: the inner
 * loop of a stride-1 im2col, with the common short widths unrolled into
 * fixed-size moves. */
static void copy_rows(float *restrict dst, const float *restrict src, int rows, int n,
                      int W, int OW)
{
    switch (n) {
    case 8:
        for (int r = 0; r < rows; r++, src += W, dst += OW)
            memcpy(dst, src, 8 * sizeof(*dst));
        return;
    case 4:
        for (int r = 0; r < rows; r++, src += W, dst += OW)
            memcpy(dst, src, 4 * sizeof(*dst));
        return;
    default:
        for (int r = 0; r < rows; r++, src += W, dst += OW)
            copy_row(dst, src, n);
    }
}

/* One row (c, kh, kw) of a stride-1 convolution's column matrix: the
 * output rows whose input row is inside the plane, each a shifted copy of
 * that input row's valid part, then zeros for the padding. */
static void im2col_s1_row(float *restrict dst, const float *restrict plane, int H, int W,
                          int OH, int OW, int kh, int kw, int pad)
{
    int oh0 = pad - kh > 0 ? pad - kh : 0, oh1 = H + pad - kh < OH ? H + pad - kh : OH;
    int lo, hi;

    valid_range(&lo, &hi, W, OW, kw, 1, pad);
    if (oh1 <= oh0 || lo == hi) {
        memset(dst, 0, (size_t)OH * OW * sizeof(*dst));
        return;
    }
    zero_row(dst, (size_t)oh0 * OW);
    zero_row(dst + (size_t)oh1 * OW, (size_t)(OH - oh1) * OW);
    copy_rows(dst + (size_t)oh0 * OW + lo,
              plane + (size_t)(oh0 - pad + kh) * W + lo - pad + kw, oh1 - oh0, hi - lo, W,
              OW);
    if (lo == 0 && hi == OW)
        return;
    for (int oh = oh0; oh < oh1; oh++) {
        float *row = dst + (size_t)oh * OW;

        for (int i = 0; i < lo; i++)
            row[i] = 0.0f;
        for (int i = hi; i < OW; i++)
            row[i] = 0.0f;
    }
}

void anas_tensor_im2col(float *col, int ld, const float *img, int C, int H, int W, int K,
                        int stride, int pad)
{
    int OH = (H + 2 * pad - K) / stride + 1;
    int OW = (W + 2 * pad - K) / stride + 1;

    if (stride == 1 && OW == W && OH == H) {
        for (int c = 0; c < C; c++)
            for (int k = 0; k < K * K; k++)
                im2col_same_row(col + (size_t)(c * K * K + k) * ld,
                                img + (size_t)c * H * W, H, W, k / K, k % K, pad);
        return;
    }
    if (stride == 1 && pad == 0) {
        /* no padding: every row is OH shifted copies, without the bounds
         * and zeros of im2col_s1_row, whose set-up costs as much as the
         * copies on small planes (8x8 outputs: 8 moves of 32 bytes) */
        for (int c = 0; c < C; c++)
            for (int kh = 0; kh < K; kh++)
                for (int kw = 0; kw < K; kw++)
                    copy_rows(col + (size_t)((c * K + kh) * K + kw) * ld,
                              img + ((size_t)c * H + kh) * W + kw, OH, OW, W, OW);
        return;
    }
    if (stride == 1) {
        for (int c = 0; c < C; c++)
            for (int k = 0; k < K * K; k++)
                im2col_s1_row(col + (size_t)(c * K * K + k) * ld, img + (size_t)c * H * W,
                              H, W, OH, OW, k / K, k % K, pad);
        return;
    }
    for (int c = 0; c < C; c++) {
        for (int kh = 0; kh < K; kh++) {
            for (int kw = 0; kw < K; kw++) {
                float *row = col + (size_t)((c * K + kh) * K + kw) * ld;
                int lo, hi;

                valid_range(&lo, &hi, W, OW, kw, stride, pad);
                for (int oh = 0; oh < OH; oh++) {
                    float *restrict dst = row + (size_t)oh * OW;
                    int ih = oh * stride - pad + kh;
                    const float *restrict src;

                    if (ih < 0 || ih >= H) {
                        zero_row(dst, (size_t)OW);
                        continue;
                    }
                    /* the padding: a pixel or two, not worth a memset call */
                    for (int i = 0; i < lo; i++)
                        dst[i] = 0.0f;
                    for (int i = hi; i < OW; i++)
                        dst[i] = 0.0f;
                    if (lo == hi)
                        continue;
                    /* src: the input pixel of output column lo */
                    src = img + ((size_t)c * H + ih) * W + (lo * stride - pad + kw);
                    dst += lo;
                    if (stride == 1)
                        copy_row(dst, src, hi - lo);
                    else
                        for (int i = 0; i < hi - lo; i++)
                            dst[i] = src[i * stride];
                }
            }
        }
    }
}

/* The adjoint of im2col_s1_row: add the row back onto the plane. */
static void col2im_s1_row(float *restrict plane, const float *restrict src, int H, int W,
                          int OH, int OW, int kh, int kw, int pad)
{
    int oh0 = pad - kh > 0 ? pad - kh : 0, oh1 = H + pad - kh < OH ? H + pad - kh : OH;
    int lo, hi;
    float *restrict d;
    const float *restrict s;

    valid_range(&lo, &hi, W, OW, kw, 1, pad);
    if (oh1 <= oh0 || lo == hi)
        return;
    d = plane + (size_t)(oh0 - pad + kh) * W + lo - pad + kw;
    s = src + (size_t)oh0 * OW + lo;
    switch (hi - lo) {
    case 8:
        for (int oh = oh0; oh < oh1; oh++, d += W, s += OW)
            for (int i = 0; i < 8; i++)
                d[i] += s[i];
        return;
    case 4:
        for (int oh = oh0; oh < oh1; oh++, d += W, s += OW)
            for (int i = 0; i < 4; i++)
                d[i] += s[i];
        return;
    default:
        for (int oh = oh0; oh < oh1; oh++, d += W, s += OW)
            ANAS__VFOR(i, (size_t)(hi - lo), d[i] += s[i]);
    }
}

void anas_tensor_col2im(float *img, const float *col, int ld, int C, int H, int W, int K,
                        int stride, int pad)
{
    int OH = (H + 2 * pad - K) / stride + 1;
    int OW = (W + 2 * pad - K) / stride + 1;

    if (stride == 1) {
        for (int c = 0; c < C; c++)
            for (int k = 0; k < K * K; k++)
                col2im_s1_row(img + (size_t)c * H * W, col + (size_t)(c * K * K + k) * ld,
                              H, W, OH, OW, k / K, k % K, pad);
        return;
    }

    for (int c = 0; c < C; c++) {
        for (int kh = 0; kh < K; kh++) {
            for (int kw = 0; kw < K; kw++) {
                const float *row = col + (size_t)((c * K + kh) * K + kw) * ld;
                int lo, hi;

                valid_range(&lo, &hi, W, OW, kw, stride, pad);
                for (int oh = 0; oh < OH; oh++) {
                    const float *restrict src = row + (size_t)oh * OW;
                    int ih = oh * stride - pad + kh;
                    float *restrict dst;

                    if (ih < 0 || ih >= H || lo == hi)
                        continue;
                    dst = img + ((size_t)c * H + ih) * W + (lo * stride - pad + kw);
                    src += lo;
                    if (stride == 1)
                        ANAS__VFOR(i, (size_t)(hi - lo), dst[i] += src[i]);
                    else
                        for (int i = 0; i < hi - lo; i++)
                            dst[i * stride] += src[i];
                }
            }
        }
    }
}
