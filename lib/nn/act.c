/*
 * act.c - elementwise activations: ReLU, tanh, sigmoid.
 *
 * Each backward uses the forward's output (y) rather than its input, as
 * PyTorch's autograd does for these three: ReLU passes the gradient where
 * y > 0, tanh multiplies by 1 - y^2, sigmoid by y (1 - y); it adds to the
 * input gradient (acc) or writes it. Loops run through ANAS__VFOR so that
 * they vectorise at -O2.
 */
#include "config.h"

#include "nn/nn_int.h"

#include <stdint.h>
#include <string.h>

#include "tensor/vec.h"

ANAS__SIMD
void anas__nn_relu_forward(float *restrict out, const float *restrict inp, size_t n)
{
    /* x < 0 ? 0 : x lets NaN through, as torch.relu */
    ANAS__VFOR(i, n, float x = inp[i]; out[i] = x < 0.0f ? 0.0f : x);
}

ANAS__SIMD
void anas__nn_relu_backward(float *restrict dinp, int acc, const float *restrict dout,
                            const float *restrict out, size_t n)
{
    if (acc)
        ANAS__VFOR(i, n, float g = dout[i]; float y = out[i];
                   dinp[i] += y > 0.0f ? g : 0.0f);
    else
        ANAS__VFOR(i, n, float g = dout[i]; float y = out[i];
                   dinp[i] = y > 0.0f ? g : 0.0f);
}

/* --- tanh and the logistic function without libm, so that they vectorise:
 * Cephes's single-precision algorithms (within 2.5 ulp of the exact values
 * over all floats; NaN passes through). Selections are made on bit masks,
 * not with branches, for the same reason. --- */

ANAS__INLINE uint32_t fbits(float x)
{
    uint32_t b;

    memcpy(&b, &x, sizeof(b));
    return b;
}

ANAS__INLINE float bitsf(uint32_t b)
{
    float x;

    memcpy(&x, &b, sizeof(x));
    return x;
}

/* exp(x) for |x| <= 87.5: x = n ln2 + r, |r| <= ln2 / 2, exp(r) by a
 * polynomial, times 2^n built in the exponent bits. */
ANAS__INLINE float exp_core(float x)
{
    /* adding 1.5 * 2^23 rounds x / ln2 to an integer held in the low bits */
    float t = x * 1.44269504088896341f + 12582912.0f, fn = t - 12582912.0f, r, p;
    int32_t n = (int32_t)(fbits(t) - 0x4b400000u);

    r = x - fn * 0.693359375f; /* ln2 in two parts (Cody and Waite) */
    r = r + fn * 2.12194440e-4f;
    p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    return p * bitsf((uint32_t)(n + 127) << 23);
}

/* Blend: a where mask bits are set, else b. */
ANAS__INLINE uint32_t pick(uint32_t mask, uint32_t a, uint32_t b)
{
    return (a & mask) | (b & ~mask);
}

#define F_SIGN  0x80000000u
#define F_ABS   0x7fffffffu
#define F_INF   0x7f800000u
#define F_0_625 0x3f200000u /* 0.625f */
#define F_10    0x41200000u /* 10.0f: tanh rounds to 1 from there on */
#define F_87    0x42ae0000u /* 87.0f */

ANAS__INLINE float tanh1(float x)
{
    uint32_t bx = fbits(x), ab = bx & F_ABS;
    uint32_t cb = ab < F_10 ? ab : F_10;
    float a = bitsf(cb), z = a * a, small, e, big;
    uint32_t r;

    /* |x| < 0.625: an odd polynomial; else 1 - 2 / (exp(2|x|) + 1) */
    small = -5.70498872745e-3f;
    small = small * z + 2.06390887954e-2f;
    small = small * z - 5.37397155531e-2f;
    small = small * z + 1.33314422036e-1f;
    small = small * z - 3.33332819422e-1f;
    small = small * z * a + a;
    e = exp_core(2.0f * a);
    big = 1.0f - 2.0f / (e + 1.0f);
    r = pick(-(uint32_t)(cb < F_0_625), fbits(small), fbits(big)) | (bx & F_SIGN);
    return bitsf(pick(-(uint32_t)(ab > F_INF), bx, r));
}

ANAS__INLINE float sigmoid1(float x)
{
    uint32_t bx = fbits(x), ab = bx & F_ABS;
    float c = bitsf((ab < F_87 ? ab : F_87) | (bx & F_SIGN));
    float y = 1.0f / (1.0f + exp_core(-c));

    return bitsf(pick(-(uint32_t)(ab > F_INF), bx, fbits(y)));
}

ANAS__SIMD
void anas__nn_tanh_forward(float *restrict out, const float *restrict inp, size_t n)
{
    ANAS__VFOR(i, n, out[i] = tanh1(inp[i]));
}

ANAS__SIMD
void anas__nn_tanh_backward(float *restrict dinp, int acc, const float *restrict dout,
                            const float *restrict out, size_t n)
{
    if (acc)
        ANAS__VFOR(i, n, float y = out[i]; dinp[i] += dout[i] * (1.0f - y * y));
    else
        ANAS__VFOR(i, n, float y = out[i]; dinp[i] = dout[i] * (1.0f - y * y));
}

ANAS__SIMD
void anas__nn_sigmoid_forward(float *restrict out, const float *restrict inp, size_t n)
{
    ANAS__VFOR(i, n, out[i] = sigmoid1(inp[i]));
}

ANAS__SIMD
void anas__nn_sigmoid_backward(float *restrict dinp, int acc, const float *restrict dout,
                               const float *restrict out, size_t n)
{
    if (acc)
        ANAS__VFOR(i, n, float y = out[i]; dinp[i] += dout[i] * y * (1.0f - y));
    else
        ANAS__VFOR(i, n, float y = out[i]; dinp[i] = dout[i] * y * (1.0f - y));
}

/* In place, for an activation fused into the layer before it: x is the
 * only pointer, so the loops need no restrict pair. */
ANAS__SIMD
static void relu_inplace(float *restrict x, size_t n)
{
    ANAS__VFOR(i, n, float v = x[i]; x[i] = v < 0.0f ? 0.0f : v);
}

ANAS__SIMD
static void tanh_inplace(float *restrict x, size_t n)
{
    ANAS__VFOR(i, n, x[i] = tanh1(x[i]));
}

ANAS__SIMD
static void sigmoid_inplace(float *restrict x, size_t n)
{
    ANAS__VFOR(i, n, x[i] = sigmoid1(x[i]));
}

void anas__nn_act_inplace(enum anas_op act, float *x, size_t n)
{
    switch (act) {
    case ANAS_OP_RELU:
        relu_inplace(x, n);
        break;
    case ANAS_OP_TANH:
        tanh_inplace(x, n);
        break;
    case ANAS_OP_SIGMOID:
        sigmoid_inplace(x, n);
        break;
    default:
        break;
    }
}
