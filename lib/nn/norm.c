/*
 * norm.c - 2D batch normalisation, exactly as PyTorch's BatchNorm2d.
 *
 * Training normalises each channel with the batch's mean and biased
 * variance over (B, H, W), and updates the running statistics with
 * momentum 0.1 using the UNBIASED variance (n / (n-1)), counting batches
 * in num_batches_tracked (run.c). Evaluation uses the running statistics.
 * eps is 1e-5.
 *
 * Kernels work on a range of channels (threads take one each) and finish
 * one channel before the next: its B planes are then still in cache when
 * the second sweep over them (normalisation, or backward's dx) comes.
 * Statistics take one sweep: each plane's mean and sum of squared
 * deviations (two passes over a plane that sits in L1), merged across
 * planes in double by Chan's formula, which is as stable as two passes
 * over the whole channel.
 *
 * Backward, with xhat = (x - mean) * invstd and N = B*P:
 *     dgamma += sum(dy * xhat), dbeta += sum(dy),
 *     dx (+)= gamma * invstd / N * (N*dy - sum(dy) - xhat * sum(dy * xhat)).
 */
#include "config.h"

#include "nn/nn_int.h"

#include <math.h>

#include "tensor/vec.h"

/* Plane (b, c) of a (B, C, P) tensor. */
#define PLANE(x, b, c) ((x) + ((size_t)(b)*C + (c)) * P)

/* One plane of affine below. The planes' pointers are parameters here:
 * GCC does not vectorise the loops on restrict pointers declared inside
 * affine's loop (it found "control flow in loop" and ran them scalar). */
ANAS__INLINE void affine_plane(float *restrict y, const float *restrict x, float scale,
                               float shift, size_t P, enum anas_op act,
                               const float *restrict z)
{
    if (z)
        ANAS__VFOR(p, P, y[p] = z[p] + (x[p] * scale + shift));
    else if (act == ANAS_OP_RELU)
        ANAS__VFOR(p, P, float v = x[p] * scale + shift; y[p] = v < 0.0f ? 0.0f : v);
    else
        ANAS__VFOR(p, P, y[p] = x[p] * scale + shift);
}

/* y = act(x * scale + shift) over channel c (ReLU in the same pass, other
 * activations on each plane while it is in L1), or y = z + x * scale +
 * shift, z the plane of addend. */
ANAS__SIMD
static void affine(float *out, const float *inp, float scale, float shift, int B, int C,
                   int P, int c, enum anas_op act, const float *addend)
{
    for (int b = 0; b < B; b++) {
        float *y = PLANE(out, b, c);

        affine_plane(y, PLANE(inp, b, c), scale, shift, (size_t)P, act,
                     addend ? PLANE(addend, b, c) : NULL);
        if (!addend && act != ANAS_OP_RELU)
            anas__nn_act_inplace(act, y, (size_t)P);
    }
}

/* Mean and sum of squared deviations of channel c (over B planes of P). */
ANAS__SIMD
static void channel_stats(double *mean, double *m2, const float *inp, int B, int C, int P,
                          int c)
{
    double n = 0.0, mu = 0.0, ss = 0.0;

    for (int b = 0; b < B; b++) {
        const float *x = PLANE(inp, b, c);
        float pm = anas__vsum(x, (size_t)P) / (float)P;
        double pss = anas__vsqdev(x, pm, (size_t)P), d = pm - mu;

        /* Chan et al.: merge (n, mu, ss) with the plane's (P, pm, pss) */
        ss += pss + d * d * n * P / (n + P);
        mu += d * P / (n + P);
        n += P;
    }
    *mean = mu;
    *m2 = ss;
}

void anas__nn_batchnorm_forward_train(float *out, float *mean, float *invstd,
                                      const float *inp, const float *gamma,
                                      const float *beta, float *running_mean,
                                      float *running_var, int B, int C, int P, int c0,
                                      int c1, enum anas_op act, const float *addend)
{
    double n = (double)B * P;

    for (int c = c0; c < c1; c++) {
        double mu, ss;
        float m, is, scale;

        channel_stats(&mu, &ss, inp, B, C, P, c);
        m = (float)mu;
        is = (float)(1.0 / sqrt(ss / n + ANAS__BN_EPS));
        mean[c] = m;
        invstd[c] = is;
        running_mean[c] =
            (1.0f - ANAS__BN_MOMENTUM) * running_mean[c] + ANAS__BN_MOMENTUM * m;
        running_var[c] = (1.0f - ANAS__BN_MOMENTUM) * running_var[c] +
                         ANAS__BN_MOMENTUM * (float)(ss / (n - 1.0));
        /* y = (x - m) * is * gamma + beta = x * scale + shift, as PyTorch */
        scale = is * gamma[c];
        affine(out, inp, scale, beta[c] - m * scale, B, C, P, c, act, addend);
    }
}

void anas__nn_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                     const float *beta, const float *running_mean,
                                     const float *running_var, int B, int C, int P,
                                     int c0, int c1, enum anas_op act,
                                     const float *addend)
{
    for (int c = c0; c < c1; c++) {
        float is = 1.0f / sqrtf(running_var[c] + ANAS__BN_EPS);
        float scale = is * gamma[c];

        affine(out, inp, scale, beta[c] - running_mean[c] * scale, B, C, P, c, act,
               addend);
    }
}

/* dx (+)= dy * k + x * a + bb over channel c. */
ANAS__SIMD
static void dx_channel(float *dinp, int acc, const float *dout, const float *inp, float k,
                       float a, float bb, int B, int C, int P, int c)
{
    for (int b = 0; b < B; b++) {
        const float *restrict x = PLANE(inp, b, c);
        const float *restrict dy = PLANE(dout, b, c);
        float *restrict dx = PLANE(dinp, b, c);

        if (acc)
            ANAS__VFOR(p, (size_t)P, dx[p] += dy[p] * k + x[p] * a + bb);
        else
            ANAS__VFOR(p, (size_t)P, dx[p] = dy[p] * k + x[p] * a + bb);
    }
}

/* Floats of a plane taken at a time through a fused activation's
 * backward (a stack buffer). */
#define CHUNK 1024

/* d = dy * act'(y), exactly as the activation's own backward computes it
 * (act.c): y > 0 for ReLU, 1 - y^2 for tanh, y (1 - y) for the logistic. */
ANAS__INLINE void through_act(float *restrict d, const float *restrict dy,
                              const float *restrict y, size_t n, enum anas_op act)
{
    if (act == ANAS_OP_RELU)
        ANAS__VFOR(i, n, float g = dy[i]; float v = y[i]; d[i] = v > 0.0f ? g : 0.0f);
    else if (act == ANAS_OP_TANH)
        ANAS__VFOR(i, n, float v = y[i]; d[i] = dy[i] * (1.0f - v * v));
    else
        ANAS__VFOR(i, n, float v = y[i]; d[i] = dy[i] * v * (1.0f - v));
}

/* sum(dy) and sum(dy * (x - m)) over channel c, planes added in double;
 * dy through the fused activation act (with output y) if there is one. */
ANAS__SIMD
static void grad_sums(double *sdy, double *sdyx, const float *dout, const float *inp,
                      float m, int B, int C, int P, int c, enum anas_op act,
                      const float *out)
{
    double s = 0.0, sx = 0.0;
    float d[CHUNK];

    for (int b = 0; b < B; b++) {
        const float *dy = PLANE(dout, b, c), *x = PLANE(inp, b, c);

        if (act == ANAS__NN_NO_ACT) {
            s += anas__vsum(dy, (size_t)P);
            sx += anas__vdot_dev(dy, x, m, (size_t)P);
            continue;
        }
        for (int p0 = 0; p0 < P; p0 += CHUNK) {
            size_t k = P - p0 < CHUNK ? (size_t)(P - p0) : CHUNK;

            through_act(d, dy + p0, PLANE(out, b, c) + p0, k, act);
            s += anas__vsum(d, k);
            sx += anas__vdot_dev(d, x + p0, m, k);
        }
    }
    *sdy = s;
    *sdyx = sx;
}

/* dx (+)= dy * k + x * a + bb over channel c, dy through act as above. */
ANAS__SIMD
static void dx_channel_act(float *dinp, int acc, const float *dout, const float *inp,
                           float k, float a, float bb, int B, int C, int P, int c,
                           enum anas_op act, const float *out)
{
    float d[CHUNK];

    for (int b = 0; b < B; b++)
        for (int p0 = 0; p0 < P; p0 += CHUNK) {
            size_t n = P - p0 < CHUNK ? (size_t)(P - p0) : CHUNK;
            through_act(d, PLANE(dout, b, c) + p0, PLANE(out, b, c) + p0, n, act);
            {
                const float *restrict x = PLANE(inp, b, c) + p0, *restrict g = d;
                float *restrict dx = PLANE(dinp, b, c) + p0;

                if (acc)
                    ANAS__VFOR(q, n, dx[q] += g[q] * k + x[q] * a + bb);
                else
                    ANAS__VFOR(q, n, dx[q] = g[q] * k + x[q] * a + bb);
            }
        }
}

void anas__nn_batchnorm_backward(float *dinp, int acc, float *dgamma, float *dbeta,
                                 const float *dout, const float *inp, const float *gamma,
                                 const float *mean, const float *invstd, int B, int C,
                                 int P, int c0, int c1, enum anas_op act, const float *y)
{
    double n = (double)B * P;

    for (int c = c0; c < c1; c++) {
        float m = mean[c], is = invstd[c];
        double sdy, sdyx, mean_dy, mean_dyxhat;
        float k, a, bb;

        /* sum(dy * xhat) = is * sum(dy * (x - m)) */
        grad_sums(&sdy, &sdyx, dout, inp, m, B, C, P, c, act, y);
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
        if (act == ANAS__NN_NO_ACT)
            dx_channel(dinp, acc, dout, inp, k, a, bb, B, C, P, c);
        else
            dx_channel_act(dinp, acc, dout, inp, k, a, bb, B, C, P, c, act, y);
    }
}
