/*
 * linear.c - fully connected layer: out (B,OC) = inp (B,C) weight^T + bias,
 * with weight (OC,C) as PyTorch's nn.Linear stores it.
 *
 * All three products are single sgemm calls; the backward ones use
 * beta = 1 so that they accumulate into the gradients for free.
 */
#include "config.h"

#include "nn/nn_int.h"

#include "tensor/blas.h"

void anas__nn_linear_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int B, int C, int OC)
{
    if (bias) {
        for (int b = 0; b < B; b++)
            for (int o = 0; o < OC; o++)
                out[(size_t)b * OC + o] = bias[o];
    }
    anas_blas_sgemm(0, 1, B, OC, C, 1.0f, inp, C, weight, C, bias ? 1.0f : 0.0f, out, OC);
}

void anas__nn_linear_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              int B, int C, int OC)
{
    /* dW (OC,C) += dout^T (OC,B) inp (B,C) */
    anas_blas_sgemm(1, 0, OC, C, B, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    /* dinp (B,C) += dout (B,OC) W (OC,C) */
    if (dinp)
        anas_blas_sgemm(0, 0, B, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dbias)
        for (int b = 0; b < B; b++)
            for (int o = 0; o < OC; o++)
                dbias[o] += dout[(size_t)b * OC + o];
}
