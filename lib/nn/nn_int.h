/*
 * nn_int.h - what the files of lib/nn share: the layout of a netdef and of
 * a net, and the layer kernels.
 *
 * Kernels are free functions in _forward/_backward pairs (llm.c): outputs
 * first, then inputs, weights, saved statistics, then dimensions. Backward
 * kernels ACCUMULATE (+=) into parameter gradients; into an input gradient
 * they add when its `acc` flag is set and write it otherwise, so that a
 * node read by several consumers receives the sum without its gradient
 * being cleared first (the first consumer to run writes). A NULL input
 * gradient means "not needed" and is skipped. Kernels run on the calling
 * thread unless they take a work area (convolutions): run.c splits the
 * others' ranges (samples, channels, planes) over the net's team.
 * Dimension letters: B batch, C input channels, H, W input height and
 * width, OC output channels, OH, OW output height and width, K kernel side,
 * P = OH * OW (or H * W) pixels of a plane. All tensors are dense NCHW
 * floats.
 */
#ifndef ANAS_NN_INT_H
#define ANAS_NN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/net.h"
#include "tensor/team.h"
#include "tensor/winograd.h"

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

enum anas__conv_algo {
    ANAS__CONV_AUTO, /* the planner's choice */
    ANAS__CONV_GEMM, /* im2col + sgemm */
    ANAS__CONV_WINO, /* Winograd: 3x3 or 5x5, stride 1, pad < K only */
};

/* Work area of a convolution. `shared` floats are read by every thread
 * (flipped or transformed weights); each thread has its own `part` of the
 * scratch (column matrix, staging, partial weight gradients, transformed
 * chunks). */
struct anas__conv_plan {
    enum anas__conv_algo algo;
    int G;       /* im2col: samples per sgemm */
    int flip;    /* im2col: input gradient as a convolution of dout (stride 1) */
    size_t col;  /* im2col: the column matrix (C*K*K, G*P), or larger for flip */
    size_t tmp;  /* im2col: staging for G > 1: (OC, G*P), (C, G*P) or (C, G*H*W) */
    size_t dw;   /* im2col: a thread's partial weight and bias gradients */
    size_t keep; /* im2col: floats of the batch's column matrices, kept by a
                  * training forward for backward when small enough (else 0) */
    int wino_G;  /* Winograd: samples per chunk */
    struct anas_wino_grid grid; /* Winograd: the tile grid */
    size_t shared;              /* floats shared by the threads */
    size_t part;                /* floats of each thread's part */
    size_t epi; /* im2col with a batch norm after it (anas__nn_conv2d_plan_bn):
                 * floats of the part, after col, tmp and dw, where an
                 * override's products wait for the batch norm (0: none) */
};

/* The scratch and the threads a kernel runs with: thread i's part is at
 * part + i * stride (stride >= the plan's part), for i below the team's
 * size (a NULL team is the calling thread alone). */
struct anas__nn_work {
    struct anas_team *team;
    float *shared;
    float *part;
    size_t stride;
};

float *anas__nn_work_part(const struct anas__nn_work *wk, int i);

/* Plan a convolution for batches of up to B samples; algo forces an
 * algorithm (where it applies) or leaves the choice to the planner. */
void anas__nn_conv2d_plan(struct anas__conv_plan *plan, enum anas__conv_algo algo, int B,
                          int C, int H, int W, int OC, int K, int stride, int pad);
void anas__nn_convt2d_plan(struct anas__conv_plan *plan, int B, int C, int H, int W,
                           int OC, int K, int stride, int pad, int out_pad);
/* Room in the part for a group's products (G, OC, P) when the convolution
 * runs the batch norm after it (struct anas__nn_bn_epi): they then stay in
 * cache rather than going to the convolution's output, which nothing
 * reads in an eval forward. */
void anas__nn_conv2d_plan_bn(struct anas__conv_plan *plan, int OC, int P);

/* An eval-mode batch norm that a convolution with an override runs on
 * each group of its output as soon as the override has written it, while
 * it is in cache (run.c decides when): anas__nn_batchnorm_forward_eval
 * into out, with act and addend (may be NULL) as there. out and addend
 * are the whole batch's (B, C, P). With plan.epi the product goes to the
 * part's staging instead of the convolution's output, which is then left
 * as it was: only the batch norm reads it, and backward needs a training
 * forward. */
struct anas__nn_bn_epi {
    float *out;
    const float *gamma, *beta, *mean, *var;
    const float *addend;
    enum anas_op act;
};

/* A weight-product override in force for one call (net.h's anas_net_mvm),
 * and the batch norm to run after each product (NULL: none). */
struct anas__nn_mvm_call {
    const struct anas_net_mvm *mvm;
    int node, training;
    const struct anas__nn_bn_epi *bn;
};

/* out (B,OC,OH,OW) = conv(inp (B,C,H,W), weight (OC,C,K,K)) + bias (OC);
 * bias may be NULL. The plan must come from the same shape with a B at
 * least this one, wk must hold its shared and part floats. mc: NULL for
 * the plain sgemm; else the override computes each product of the im2col
 * path and adds the bias, in order, on the calling thread. cols: NULL, or
 * plan->keep floats where the im2col path leaves the column matrices for
 * backward. act: an activation applied to out in place (ANAS__NN_NO_ACT:
 * none), chunk by chunk while it is in cache. Returns 0 or the override's
 * error. */
int anas__nn_conv2d_forward(float *out, const float *inp, const float *weight,
                            const float *bias, float *cols,
                            const struct anas__nn_work *wk,
                            const struct anas__conv_plan *plan, int B, int C, int H,
                            int W, int OC, int K, int stride, int pad, enum anas_op act,
                            const struct anas__nn_mvm_call *mc);
/* acc: dinp += the input gradient (else dinp = it). cols: NULL, or the
 * column matrices a forward of the same batch left. */
void anas__nn_conv2d_backward(float *dinp, int acc, float *dweight, float *dbias,
                              const float *dout, const float *inp, const float *weight,
                              const float *cols, const struct anas__nn_work *wk,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad);

/* Transposed convolution: inp (B,C,H,W), weight (C,OC,K,K) as PyTorch's
 * ConvTranspose2d, out (B,OC,OH,OW) with OH = (H-1)*stride - 2*pad + K +
 * out_pad. One thread (part 0 of wk). */
void anas__nn_convt2d_forward(float *out, const float *inp, const float *weight,
                              const float *bias, const struct anas__nn_work *wk,
                              const struct anas__conv_plan *plan, int B, int C, int H,
                              int W, int OC, int K, int stride, int pad, int out_pad);
void anas__nn_convt2d_backward(float *dinp, int acc, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               const struct anas__nn_work *wk,
                               const struct anas__conv_plan *plan, int B, int C, int H,
                               int W, int OC, int K, int stride, int pad, int out_pad);

/* --- linear.c: out (B,OC) = act(inp (B,C) weight^T (C,OC) + bias (OC)) --- */
void anas__nn_linear_forward(float *out, const float *inp, const float *weight,
                             const float *bias, int B, int C, int OC, enum anas_op act);
/* Rows [o0, o1) of dweight (OC,C) and of dbias (may be NULL) += their
 * gradients from dout (B,OC) and inp (B,C). */
void anas__nn_linear_backward_weight(float *dweight, float *dbias, const float *dout,
                                     const float *inp, int B, int C, int OC, int o0,
                                     int o1);
/* dinp (B,C) (+)= dout (B,OC) weight (OC,C). */
void anas__nn_linear_backward_input(float *dinp, int acc, const float *dout,
                                    const float *weight, int B, int C, int OC);

/* --- norm.c: batch norm over (B,C,P), on the channels [c0, c1) --- */

/* Training: normalise with the batch's statistics, save mean and invstd
 * (C each) for backward, and update running_mean/var (C each). B*P must be
 * at least 2 (PyTorch refuses one value per channel). act: an activation
 * applied to out as it is written (ANAS__NN_NO_ACT: none). addend (may be
 * NULL, then act must be none): out = addend + the normalised input, a
 * residual add done in the same pass. */
void anas__nn_batchnorm_forward_train(float *out, float *mean, float *invstd,
                                      const float *inp, const float *gamma,
                                      const float *beta, float *running_mean,
                                      float *running_var, int B, int C, int P, int c0,
                                      int c1, enum anas_op act, const float *addend);
void anas__nn_batchnorm_forward_eval(float *out, const float *inp, const float *gamma,
                                     const float *beta, const float *running_mean,
                                     const float *running_var, int B, int C, int P,
                                     int c0, int c1, enum anas_op act,
                                     const float *addend);
/* act, y: the fused activation and its output, whose gradient dout is
 * then (the activation's backward runs here); ANAS__NN_NO_ACT, NULL: dout
 * is the batch norm's output gradient. */
void anas__nn_batchnorm_backward(float *dinp, int acc, float *dgamma, float *dbeta,
                                 const float *dout, const float *inp, const float *gamma,
                                 const float *mean, const float *invstd, int B, int C,
                                 int P, int c0, int c1, enum anas_op act, const float *y);

/* --- act.c: elementwise on n floats; backward uses the forward output --- */
void anas__nn_relu_forward(float *out, const float *inp, size_t n);
void anas__nn_relu_backward(float *dinp, int acc, const float *dout, const float *out,
                            size_t n);
void anas__nn_tanh_forward(float *out, const float *inp, size_t n);
void anas__nn_tanh_backward(float *dinp, int acc, const float *dout, const float *out,
                            size_t n);
void anas__nn_sigmoid_forward(float *out, const float *inp, size_t n);
void anas__nn_sigmoid_backward(float *dinp, int acc, const float *dout, const float *out,
                               size_t n);
/* x = act(x) for act RELU, TANH or SIGMOID; ANAS__NN_NO_ACT leaves x. */
#define ANAS__NN_NO_ACT ANAS_OP_INPUT
void anas__nn_act_inplace(enum anas_op act, float *x, size_t n);

/* --- pool.c: on (B*C) planes of (H,W) to (OH,OW) --- */

/* argmax (B*C,OH,OW): the index h*W + w of each maximum in its plane, the
 * first one in scan order on ties, as PyTorch. Padding is -infinity. */
void anas__nn_maxpool_forward(float *out, int32_t *argmax, const float *inp, int BC,
                              int H, int W, int K, int stride, int pad);
void anas__nn_maxpool_backward(float *dinp, int acc, const float *dout,
                               const int32_t *argmax, int BC, int H, int W, int K,
                               int stride, int pad);
/* count_include_pad: every window divides by K*K. */
void anas__nn_avgpool_forward(float *out, const float *inp, int BC, int H, int W, int K,
                              int stride, int pad);
void anas__nn_avgpool_backward(float *dinp, int acc, const float *dout, int BC, int H,
                               int W, int K, int stride, int pad);
void anas__nn_gap_forward(float *out, const float *inp, int BC, int P);
void anas__nn_gap_backward(float *dinp, int acc, const float *dout, int BC, int P);

/* Output side of a pooling or convolution window sweep. */
static inline int anas__nn_out_side(int n, int K, int stride, int pad)
{
    return (n + 2 * pad - K) / stride + 1;
}

/* --- misc.c --- */
void anas__nn_add_forward(float *out, const float *a, const float *b, size_t n);
/* da and db may be the same buffer (x + x): da is done first. */
void anas__nn_add_backward(float *da, int acc_a, float *db, int acc_b, const float *dout,
                           size_t n);
/* a (B,CA,P) and b (B,CB,P) to out (B,CA+CB,P). */
void anas__nn_concat_forward(float *out, const float *a, const float *b, int B, int CA,
                             int CB, int P);
void anas__nn_concat_backward(float *da, int acc_a, float *db, int acc_b,
                              const float *dout, int B, int CA, int CB, int P);
/* mask (n): 0 or 1/(1-p) drawn from rng; p == 0 is the identity. */
void anas__nn_dropout_forward(float *out, float *mask, const float *inp, float p,
                              struct anas_rng *rng, size_t n);
void anas__nn_dropout_backward(float *dinp, int acc, const float *dout, const float *mask,
                               size_t n);
/* dinp (+)= dout, n floats. */
void anas__nn_copy_backward(float *dinp, int acc, const float *dout, size_t n);
/* out[:, :, i, j] = inp[:, :, i+1, j+1] inside, 0 on the last row/column. */
void anas__nn_shift_forward(float *out, const float *inp, int BC, int H, int W);
void anas__nn_shift_backward(float *dinp, int acc, const float *dout, int BC, int H,
                             int W);

/* --- optim.c: a step in pieces, for threads: the update of parameters
 * [lo, hi), then, once all are done, the step count. --- */
size_t anas__optim_n(const struct anas_optim *o);
void anas__optim_update(struct anas_optim *o, float *params, const float *grads,
                        size_t lo, size_t hi);
void anas__optim_done(struct anas_optim *o);

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
    size_t state;      /* state buffer: bn running mean (c), var (c), batches (1) */
    size_t cols;       /* column arena: conv2d's kept im2col matrices (plan.keep) */
    enum anas_op fuse; /* conv2d, linear, batch norm: the activation fused into
                        * its forward (ANAS__NN_NO_ACT: none) */
    int fused_by;      /* ... that activation's node (-1: none) */
    int alias;         /* an earlier node computing the same (an activation of
                        * the same input): this one shares its output and its
                        * gradient and runs nothing (-1: none) */
    int fused;         /* an activation run by its input's forward, in place */
    int add_into;      /* batch norm: the add whose output its forward writes,
                        * adding the add's other input (-1: none) */
    int add_by;        /* add: the batch norm that writes its output (-1) */
    int bn_next;       /* conv2d: the batch norm right after it, its only reader,
                        * which its eval forward runs when an override is in
                        * force (struct anas__nn_bn_epi; -1: none) */
    int zero[2];       /* nodes whose gradient this node's backward writes first,
                        * per input: it overwrites rather than adds (-1: none) */
    struct anas__conv_plan plan;
    int has_mvm;             /* mvm below is in force */
    struct anas_net_mvm mvm; /* conv2d, linear: an override of W x */
};

/* Is node i an activation whose backward its input's runs (a batch norm
 * it is fused into: one pass over the gradient instead of two)? */
int anas__nn_bwd_absorbed(const struct anas_net *net, int i);

/* Give every node that needs one a gradient block (slot.grad, slot.zero)
 * and size the gradient arena (n_dacts). req[i]: node i or something
 * before it has parameters. 0 or ANAS_ENOMEM. */
int anas__nn_plan_grads(struct anas_net *net, const char *req);

struct anas_net {
    struct anas_netdef def;      /* a private copy: nodes owned by the net */
    struct anas__net_slot *slot; /* (def.n) */
    int max_batch;
    int output;
    float *params, *grads;   /* (n_params) each, one layout */
    const float *bwd_params; /* borrowed: weights for input gradients, or NULL */
    float *state;            /* (n_state) */
    float *acts, *dacts;     /* activation and gradient arenas */
    float *aux;              /* saved statistics and masks */
    int32_t *iaux;           /* saved argmax */
    float *scratch;          /* (n_scratch) convolutions' work areas: n_shared
                              * floats, then n_part per thread */
    float *cols;             /* (n_cols) column matrices kept for backward */
    size_t n_params, n_state, n_acts, n_dacts, n_aux, n_iaux, n_scratch, n_cols;
    size_t n_shared, n_part;
    struct anas_team *team; /* NULL: the calling thread alone */
    struct anas_net_tensor *tensors;
    int n_tensors;
    int fwd_batch;    /* B of the last forward, 0 before any */
    int fwd_training; /* the last forward was in training mode */
    size_t bytes;
};

#endif
