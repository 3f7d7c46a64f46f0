/*
 * linear.c - fully connected layer: out (B,OC) = inp (B,C) weight^T + bias,
 * with weight (OC,C) as PyTorch's nn.Linear stores it.
 *
 * All three products are single sgemm calls: beta = 1 accumulates the
 * weight gradient for free, and beta = 0 lets the input gradient's first
 * writer overwrite it. The bias and a fused activation follow the forward
 * product in one pass. The weight gradient takes a range of rows, so that
 * threads can share it out (run.c).
 */
#include "config.h"

#include "nn/nn_int.h"

#include "tensor/blas.h"
#include "tensor/vec.h"

/* y = act(y + bias) row by row (each row in L1 for the activation). */
ANAS__SIMD
static void bias_act(float *restrict y, const float *restrict bias, int B, int OC,
                     enum anas_op act)
{
    for (int b = 0; b < B; b++) {
        float *restrict row = y + (size_t)b * OC;

        if (bias)
            ANAS__VFOR(o, (size_t)OC, row[o] += bias[o]);
        anas__nn_act_inplace(act, row, (size_t)OC);
    }
}

void anas__nn_linear_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int B, int C, int OC, enum anas_op act)
{
    anas_blas_sgemm(0, 1, B, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
    if (bias || act != ANAS__NN_NO_ACT)
        bias_act(out, bias, B, OC, act);
}

/* dbias[o0:o1] += the column sums of dout[:, o0:o1]. */
ANAS__SIMD
static void bias_grad(float *restrict dbias, const float *restrict dout, int B, int OC,
                      int o0, int o1)
{
    for (int b = 0; b < B; b++) {
        const float *restrict row = dout + (size_t)b * OC + o0;
        float *restrict d = dbias + o0;

        ANAS__VFOR(o, (size_t)(o1 - o0), d[o] += row[o]);
    }
}

void anas__nn_linear_backward_weight(float *dweight, float *dbias, const float *dout,
                                     const float *inp, int B, int C, int OC, int o0,
                                     int o1)
{
    if (o1 <= o0)
        return;
    /* dW[o0:o1] (O,C) += dout[:, o0:o1]^T (O,B) inp (B,C) */
    anas_blas_sgemm(1, 0, o1 - o0, C, B, 1.0f, dout + o0, OC, inp, C, 1.0f,
                    dweight + (size_t)o0 * C, C);
    if (dbias)
        bias_grad(dbias, dout, B, OC, o0, o1);
}

void anas__nn_linear_backward_input(float *dinp, int acc, const float *dout,
                                    const float *weight, int B, int C, int OC)
{
    /* dinp (B,C) (+)= dout (B,OC) W (OC,C) */
    anas_blas_sgemm(0, 0, B, C, OC, 1.0f, dout, OC, weight, C, acc ? 1.0f : 0.0f, dinp,
                    C);
}
