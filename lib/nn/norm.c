/*
 * norm.c - 2D batch normalisation, exactly as PyTorch's BatchNorm2d.
 *
 * Training normalises each channel with the batch's mean and biased
 * variance over (B, H, W), and updates the running statistics with
 * momentum 0.1 using the UNBIASED variance (n / (n-1)), counting batches
 * in num_batches_tracked. Evaluation uses the running statistics. eps is
 * 1e-5. Statistics are accumulated in double, two passes (mean, then
 * squared deviations), so that large planes do not lose precision.
 *
 * Backward, with xhat = (x - mean) * invstd and N = B*P:
 *     dgamma += sum(dy * xhat), dbeta += sum(dy),
 *     dx += gamma * invstd / N * (N*dy - sum(dy) - xhat * sum(dy * xhat)).
 */
#include "config.h"

#include "nn/nn_int.h"

#include <math.h>

#include "tensor/vec.h"

/* Plane (b, c) of a (B, C, P) tensor. */
#define PLANE(x, b, c) ((x) + ((size_t)(b)*C + (c)) * P)

/* y = x * scale + shift over channel c. */
static void affine(float *out, const float *inp, float scale, float shift, int B, int C,
                   int P, int c)
{
    for (int b = 0; b < B; b++) {
        const float *restrict x = PLANE(inp, b, c);
        float *restrict y = PLANE(out, b, c);

        ANAS__VFOR(p, (size_t)P, y[p] = x[p] * scale + shift);
    }
}

int anas__nn_batchnorm_forward_train(float *out, float *mean, float *invstd,
                                     const float *inp, const float *gamma,
                                     const float *beta, float *running_mean,
                                     float *running_var, float *num_batches, int B, int C,
                                     int P)
{
    double n = (double)B * P;

    if (B * (size_t)P < 2)
        return ANAS_ESHAPE;
    for (int c = 0; c < C; c++) {
        double s = 0.0, ss = 0.0;
        float m, is, scale;

        /* float partial sums per plane, planes added in double */
        for (int b = 0; b < B; b++)
            s += anas__vsum(PLANE(inp, b, c), (size_t)P);
        m = (float)(s / n);
        for (int b = 0; b < B; b++)
            ss += anas__vsqdev(PLANE(inp, b, c), m, (size_t)P);
        is = (float)(1.0 / sqrt(ss / n + ANAS__BN_EPS));
        mean[c] = m;
        invstd[c] = is;
        running_mean[c] =
            (1.0f - ANAS__BN_MOMENTUM) * running_mean[c] + ANAS__BN_MOMENTUM * m;
        running_var[c] = (1.0f - ANAS__BN_MOMENTUM) * running_var[c] +
                         ANAS__BN_MOMENTUM * (float)(ss / (n - 1.0));
        /* y = (x - m) * is * gamma + beta = x * scale + shift, as PyTorch */
        scale = is * gamma[c];
        affine(out, inp, scale, beta[c] - m * scale, B, C, P, c);
    }
    if (num_batches)
        *num_batches += 1.0f;
    return 0;
}

void anas__nn_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                     const float *beta, const float *running_mean,
                                     const float *running_var, int B, int C, int P)
{
    for (int c = 0; c < C; c++) {
        float is = 1.0f / sqrtf(running_var[c] + ANAS__BN_EPS);
        float scale = is * gamma[c];

        affine(out, inp, scale, beta[c] - running_mean[c] * scale, B, C, P, c);
    }
}

void anas__nn_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                 const float *dout, const float *inp, const float *gamma,
                                 const float *mean, const float *invstd, int B, int C,
                                 int P)
{
    double n = (double)B * P;

    for (int c = 0; c < C; c++) {
        float m = mean[c], is = invstd[c];
        double sdy = 0.0, sdyx = 0.0, mean_dy, mean_dyxhat;
        float k, a, bb;

        /* sum(dy * xhat) = is * sum(dy * (x - m)) */
        for (int b = 0; b < B; b++) {
            const float *dy = PLANE(dout, b, c);

            sdy += anas__vsum(dy, (size_t)P);
            sdyx += anas__vdot_dev(dy, PLANE(inp, b, c), m, (size_t)P);
        }
        sdyx *= is;
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        if (!dinp)
            continue;
        /* dx = k * (dy - mean(dy) - xhat * mean(dy * xhat)) with k = gamma * is,
         * xhat = (x - m) * is: dx = dy * k + x * a + bb */
        mean_dy = sdy / n, mean_dyxhat = sdyx / n;
        k = gamma[c] * is;
        a = (float)(-k * is * mean_dyxhat);
        bb = (float)(-k * mean_dy) - a * m;
        for (int b = 0; b < B; b++) {
            const float *restrict x = PLANE(inp, b, c);
            const float *restrict dy = PLANE(dout, b, c);
            float *restrict dx = PLANE(dinp, b, c);

            ANAS__VFOR(p, (size_t)P, dx[p] += dy[p] * k + x[p] * a + bb);
        }
    }
}
