/*
 * nn_int.h - what the files of lib/nn share: the layout of a netdef and of
 * a net, and the layer kernels.
 *
 * Kernels are free functions in _forward/_backward pairs (llm.c): outputs
 * first, then inputs, weights, saved statistics, then dimensions. Backward
 * kernels ACCUMULATE (+=) into every gradient they are given, so that a
 * node read by two consumers receives the sum; a NULL input gradient means
 * "not needed" and is skipped. Dimension letters: B batch, C input
 * channels, H, W input height and width, OC output channels, OH, OW output
 * height and width, K kernel side, P = OH * OW (or H * W) pixels of a plane.
 * All tensors are dense NCHW floats.
 */
#ifndef ANAS_NN_INT_H
#define ANAS_NN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/net.h"

/* Node names, NUL included: the longest tensor name, "<name>.num_batches_tracked",
 * must fit anas_net_tensor.name (96). */
#define ANAS__NN_NAME_MAX  76
#define ANAS__NN_MAX_NODES 4096
#define ANAS__NN_MAX_ELEMS 0x7fffffff /* per-sample activations, weights: BLAS ints */

#define ANAS__BN_EPS      1e-5f
#define ANAS__BN_MOMENTUM 0.1f

struct anas__nn_node {
    enum anas_op op;
    int in[2];          /* input nodes, -1 when unused */
    int c, h, w;        /* output shape */
    int k, stride, pad; /* conv, convt, pool */
    int out_pad;        /* convt */
    int bias;           /* conv, convt, linear: has a bias */
    float p;            /* dropout probability */
    size_t n_weight;    /* trainable floats of the weight (batch norm: gamma) */
    size_t n_bias;      /* ... of the bias (batch norm: beta) */
    char name[ANAS__NN_NAME_MAX];
};

struct anas_netdef {
    struct anas__nn_node *nodes; /* n used of cap; nodes[0] is the input */
    int n, cap;
    int output; /* -1: the last node */
    int rc;     /* first builder error, or 0 */
    struct anas_error err;
};

/* Flatten and reshape hold no data of their own: their activation and
 * gradient are their input's. */
static inline int anas__nn_is_view(enum anas_op op)
{
    return op == ANAS_OP_FLATTEN || op == ANAS_OP_RESHAPE;
}

/* The output node of a netdef. */
int anas__nn_output_node(const struct anas_netdef *def);

/* --- kernels (conv.c) --- */

/* Work area of a convolution: how many samples share one sgemm (G) and the
 * floats of scratch it needs, laid out as [col | tmp | wflip]. */
struct anas__conv_plan {
    int G;        /* samples per sgemm */
    int flip;     /* conv2d input-gradient as a convolution of dout (stride 1) */
    size_t col;   /* the column matrix: (C*K*K, G*P), or larger for flip */
    size_t tmp;   /* the staging matrix for G > 1: (OC, G*P) or (C, G*H*W) */
    size_t wflip; /* (C, OC, K, K) flipped weights when flip, else 0 */
};

void anas__nn_conv2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                          int OC, int K, int stride, int pad);
void anas__nn_convt2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                           int OC, int K, int stride, int pad, int out_pad);

/* out (B,OC,OH,OW) = conv(inp (B,C,H,W), weight (OC,C,K,K)) + bias (OC);
 * bias may be NULL. scratch holds plan->col + plan->tmp + plan->wflip
 * floats; the plan must come from the same shape with a B at least this
 * one. */
/* A weight-product override in force for one call (net.h's anas_net_mvm). */
struct anas__nn_mvm_call {
    const struct anas_net_mvm *mvm;
    int node, training;
};

/* mc: NULL for the plain sgemm; else the override computes each product
 * and adds the bias. Returns 0 or the override's error. */
int anas__nn_conv2d_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *scratch,
                            const struct anas__conv_plan *plan, int B, int C, int H, int W,
                            int OC, int K, int stride, int pad,
                            const struct anas__nn_mvm_call *mc);
void anas__nn_conv2d_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              float *scratch, const struct anas__conv_plan *plan, int B,
                              int C, int H, int W, int OC, int K, int stride, int pad);

/* Transposed convolution: inp (B,C,H,W), weight (C,OC,K,K) as PyTorch's
 * ConvTranspose2d, out (B,OC,OH,OW) with OH = (H-1)*stride - 2*pad + K +
 * out_pad. */
void anas__nn_convt2d_forward(float *out, const float *inp, const float *weight,
                              const float *bias, float *scratch,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad, int out_pad);
void anas__nn_convt2d_backward(float *dinp, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               float *scratch, const struct anas__conv_plan *plan, int B,
                               int C, int H, int W, int OC, int K, int stride, int pad,
                               int out_pad);

/* --- linear.c: out (B,OC) = inp (B,C) weight^T (C,OC) + bias (OC) --- */
void anas__nn_linear_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int B, int C, int OC);
void anas__nn_linear_backward(float *dinp, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              int B, int C, int OC);

/* --- norm.c: batch norm over (B,C,P) --- */

/* Training: normalise with the batch's statistics, save mean and invstd
 * (C each) for backward, and update running_mean/var (C each) and
 * *num_batches (may be NULL). ANAS_ESHAPE when B*P == 1 (PyTorch refuses). */
int anas__nn_batchnorm_forward_train(float *out, float *mean, float *invstd,
                                     const float *inp, const float *gamma,
                                     const float *beta, float *running_mean,
                                     float *running_var, float *num_batches, int B, int C,
                                     int P);
void anas__nn_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                     const float *beta, const float *running_mean,
                                     const float *running_var, int B, int C, int P);
void anas__nn_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                                 const float *dout, const float *inp, const float *gamma,
                                 const float *mean, const float *invstd, int B, int C,
                                 int P);

/* --- act.c: elementwise on n floats; backward uses the forward output --- */
void anas__nn_relu_forward(float *out, const float *inp, size_t n);
void anas__nn_relu_backward(float *dinp, const float *dout, const float *out, size_t n);
void anas__nn_tanh_forward(float *out, const float *inp, size_t n);
void anas__nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void anas__nn_sigmoid_forward(float *out, const float *inp, size_t n);
void anas__nn_sigmoid_backward(float *dinp, const float *dout, const float *out,
                               size_t n);

/* --- pool.c: on (B*C) planes of (H,W) to (OH,OW) --- */

/* argmax (B*C,OH,OW): the index h*W + w of each maximum in its plane, the
 * first one in scan order on ties, as PyTorch. Padding is -infinity. */
void anas__nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, int BC,
                              int H, int W, int K, int stride, int pad);
void anas__nn_maxpool_backward(float *dinp, const float *dout, const int32_t *argmax,
                               int BC, int H, int W, int K, int stride, int pad);
/* count_include_pad: every window divides by K*K. */
void anas__nn_avgpool_forward(float *out, const float *inp, int BC, int H, int W, int K,
                              int stride, int pad);
void anas__nn_avgpool_backward(float *dinp, const float *dout, int BC, int H, int W,
                               int K, int stride, int pad);
void anas__nn_gap_forward(float *out, const float *inp, int BC, int P);
void anas__nn_gap_backward(float *dinp, const float *dout, int BC, int P);

/* Output side of a pooling or convolution window sweep. */
static inline int anas__nn_out_side(int n, int K, int stride, int pad)
{
    return (n + 2 * pad - K) / stride + 1;
}

/* --- misc.c --- */
void anas__nn_add_forward(float *out, const float *a, const float *b, size_t n);
void anas__nn_add_backward(float *da, float *db, const float *dout, size_t n);
/* a (B,CA,P) and b (B,CB,P) to out (B,CA+CB,P). */
void anas__nn_concat_forward(float *out, const float *a, const float *b, int B, int CA,
                             int CB, int P);
void anas__nn_concat_backward(float *da, float *db, const float *dout, int B, int CA,
                              int CB, int P);
/* mask (n): 0 or 1/(1-p) drawn from rng; p == 0 is the identity. */
void anas__nn_dropout_forward(float *out, float *mask, const float *inp, float p,
                              struct anas_rng *rng, size_t n);
void anas__nn_dropout_backward(float *dinp, const float *dout, const float *mask,
                               size_t n);
/* out[:, :, i, j] = inp[:, :, i+1, j+1] inside, 0 on the last row/column. */
void anas__nn_shift_forward(float *out, const float *inp, int BC, int H, int W);
void anas__nn_shift_backward(float *dinp, const float *dout, int BC, int H, int W);

/* --- the net (net.c builds it, run.c runs it) --- */

#define ANAS__NN_NONE ((size_t)-1)

/* Where a node's data lives in a net (offsets in floats, or int32s for
 * iaux; ANAS__NN_NONE when absent). Activation and gradient slots hold
 * max_batch samples of the node's (c,h,w). */
struct anas__net_slot {
    size_t act;    /* activation arena: the node's output */
    size_t grad;   /* gradient arena: d(loss)/d(output), NONE when not needed;
                    * blocks are shared by gradients not alive at once */
    size_t aux;    /* aux arena: bn mean, invstd (2c); dropout mask (like act) */
    size_t iaux;   /* int arena: maxpool argmax (like act) */
    size_t weight; /* params/grads buffers */
    size_t bias;
    size_t state; /* state buffer: bn running mean (c), var (c), batches (1) */
    int zero[2];  /* nodes whose gradient this node's backward writes first:
                   * run.c zeroes them just before (-1: none) */
    struct anas__conv_plan plan;
    int has_mvm;              /* mvm below is in force */
    struct anas_net_mvm mvm;  /* conv2d, linear: an override of W x */
};

/* Give every node that needs one a gradient block (slot.grad, slot.zero)
 * and size the gradient arena (n_dacts). req[i]: node i or something
 * before it has parameters. 0 or ANAS_ENOMEM. */
int anas__nn_plan_grads(struct anas_net *net, const char *req);

struct anas_net {
    struct anas_netdef def;      /* a private copy: nodes owned by the net */
    struct anas__net_slot *slot; /* (def.n) */
    int max_batch;
    int output;
    float *params, *grads; /* (n_params) each, one layout */
    const float *bwd_params; /* borrowed: weights for input gradients, or NULL */
    float *state;          /* (n_state) */
    float *acts, *dacts;   /* activation and gradient arenas */
    float *aux;            /* saved statistics and masks */
    int32_t *iaux;         /* saved argmax */
    float *scratch;        /* (n_scratch) im2col work area */
    size_t n_params, n_state, n_acts, n_dacts, n_aux, n_iaux, n_scratch;
    struct anas_net_tensor *tensors;
    int n_tensors;
    int fwd_batch;    /* B of the last forward, 0 before any */
    int fwd_training; /* the last forward was in training mode */
    size_t bytes;
};

#endif
