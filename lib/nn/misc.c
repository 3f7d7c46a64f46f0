/*
 * misc.c - the data-movement layers: residual add, channel concatenation,
 * dropout and AnalogNAS's shift.
 *
 * Flatten has no kernel: a flattened tensor is the same floats, so the net
 * aliases its buffers (see net.c).
 */
#include "config.h"

#include "nn/nn_int.h"

#include <string.h>

#include "tensor/vec.h"

ANAS__SIMD
void anas__nn_add_forward(float *restrict out, const float *restrict a,
                          const float *restrict b, size_t n)
{
    ANAS__VFOR(i, n, out[i] = a[i] + b[i]);
}

ANAS__SIMD
void anas__nn_copy_backward(float *restrict dx, int acc, const float *restrict dy,
                            size_t n)
{
    if (acc)
        ANAS__VFOR(i, n, dx[i] += dy[i]);
    else
        memcpy(dx, dy, n * sizeof(*dx));
}

/* da and db may be the same buffer (x + x): one pass at a time. */
void anas__nn_add_backward(float *da, int acc_a, float *db, int acc_b, const float *dout,
                           size_t n)
{
    if (da)
        anas__nn_copy_backward(da, acc_a, dout, n);
    if (db)
        anas__nn_copy_backward(db, acc_b, dout, n);
}

void anas__nn_concat_forward(float *out, const float *a, const float *b, int B, int CA,
                             int CB, int P)
{
    size_t na = (size_t)CA * P, nb = (size_t)CB * P;

    for (int s = 0; s < B; s++) {
        float *y = out + (size_t)s * (na + nb);

        memcpy(y, a + (size_t)s * na, na * sizeof(*y));
        memcpy(y + na, b + (size_t)s * nb, nb * sizeof(*y));
    }
}

void anas__nn_concat_backward(float *da, int acc_a, float *db, int acc_b,
                              const float *dout, int B, int CA, int CB, int P)
{
    size_t na = (size_t)CA * P, nb = (size_t)CB * P;

    for (int s = 0; s < B; s++) {
        const float *dy = dout + (size_t)s * (na + nb);

        if (da)
            anas__nn_copy_backward(da + (size_t)s * na, acc_a, dy, na);
        if (db)
            anas__nn_copy_backward(db + (size_t)s * nb, acc_b, dy + na, nb);
    }
}

/* Inverted dropout: kept values are scaled by 1/(1-p) at training time, so
 * that evaluation is the identity (torch.nn.Dropout). */
void anas__nn_dropout_forward(float *restrict out, float *restrict mask,
                              const float *restrict inp, float p, struct anas_rng *rng,
                              size_t n)
{
    float scale = 1.0f / (1.0f - p);

    for (size_t i = 0; i < n; i++)
        mask[i] = anas_rng_uniform(rng) < (double)p ? 0.0f : scale;
    ANAS__VFOR(i, n, out[i] = inp[i] * mask[i]);
}

ANAS__SIMD
void anas__nn_dropout_backward(float *restrict dinp, int acc, const float *restrict dout,
                               const float *restrict mask, size_t n)
{
    if (acc)
        ANAS__VFOR(i, n, dinp[i] += dout[i] * mask[i]);
    else
        ANAS__VFOR(i, n, dinp[i] = dout[i] * mask[i]);
}

void anas__nn_shift_forward(float *out, const float *inp, int BC, int H, int W)
{
    for (int c = 0; c < BC; c++) {
        const float *x = inp + (size_t)c * H * W;
        float *y = out + (size_t)c * H * W;

        for (int i = 0; i < H - 1; i++) {
            memcpy(y + (size_t)i * W, x + (size_t)(i + 1) * W + 1,
                   (size_t)(W - 1) * sizeof(*y));
            y[(size_t)i * W + W - 1] = 0.0f;
        }
        memset(y + (size_t)(H - 1) * W, 0, (size_t)W * sizeof(*y));
    }
}

void anas__nn_shift_backward(float *dinp, int acc, const float *dout, int BC, int H,
                             int W)
{
    for (int c = 0; c < BC; c++) {
        float *dx = dinp + (size_t)c * H * W;
        const float *dy = dout + (size_t)c * H * W;

        if (!acc) { /* row 0 and column 0 receive nothing */
            memset(dx, 0, (size_t)W * sizeof(*dx));
            for (int i = 1; i < H; i++)
                dx[(size_t)i * W] = 0.0f;
        }
        for (int i = 0; i < H - 1; i++)
            anas__nn_copy_backward(dx + (size_t)(i + 1) * W + 1, acc, dy + (size_t)i * W,
                                   (size_t)(W - 1));
    }
}
