/*
 * net.h - networks as a small graph of layers, trained in place.
 *
 * A network is described once (struct anas_netdef: nodes in topological
 * order, each reading one or two earlier nodes), then instantiated for a
 * maximum batch size (struct anas_net). Instantiation allocates everything
 * a training step needs, llm.c-style: one parameter buffer, one gradient
 * buffer with the same layout, one buffer of non-trained state (batch norm
 * running statistics), one activation arena and one gradient arena sized
 * from (network, batch), and one scratch area for im2col. Nothing is
 * allocated inside forward/backward.
 *
 *     struct anas_netdef *def = anas_netdef_new(1, 28, 28);
 *     int x = anas_netdef_conv2d(def, 0, 16, 3, 1, 1, 1, "conv1");
 *     x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
 *     x = anas_netdef_flatten(def, x, "flat");
 *     x = anas_netdef_linear(def, x, 10, 1, "fc");
 *     anas_netdef_output(def, x);
 *     struct anas_net *net = anas_net_new(def, 128, &err);
 *     anas_net_init(net, &rng);                       // PyTorch's default init
 *     const float *logits;
 *     anas_net_forward(net, images, 128, 1, &rng, &logits);
 *     anas_loss_xent_forward(&loss, dlogits, logits, labels, 128, 10);
 *     anas_net_zero_grad(net);
 *     anas_net_backward(net, dlogits);
 *     anas_optim_step(opt, anas_net_params(net, NULL), anas_net_grads(net, NULL));
 *     anas_net_free(net);
 *     anas_netdef_free(def);
 *
 * Layouts are PyTorch's: activations NCHW, conv weights (OC, C, K, K),
 * linear weights (out, in), so that weights move to and from PyTorch
 * unchanged. Builder functions return the new node's index (>= 0) or a
 * negative ANAS_E* code (bad shapes, out of memory); a failed builder call
 * poisons the netdef so that anas_net_new reports the first error. Node
 * names (at most 75 characters, unique; NULL or "" names a node by its
 * index) prefix its tensors' state_dict names.
 * A net is used by one thread at a time.
 */
#ifndef ANAS_NN_NET_H
#define ANAS_NN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/rng.h"

enum anas_op {
    ANAS_OP_INPUT,
    ANAS_OP_CONV2D,
    ANAS_OP_CONVT2D,  /* transposed convolution */
    ANAS_OP_LINEAR,   /* on a flattened (C*H*W) input */
    ANAS_OP_BATCHNORM,
    ANAS_OP_RELU,
    ANAS_OP_TANH,
    ANAS_OP_SIGMOID,
    ANAS_OP_MAXPOOL,
    ANAS_OP_AVGPOOL,  /* count_include_pad=True, as PyTorch's default */
    ANAS_OP_GAP,      /* global average pool to (C,1,1) */
    ANAS_OP_ADD,      /* two inputs of one shape */
    ANAS_OP_CONCAT,   /* two inputs, along channels */
    ANAS_OP_FLATTEN,  /* to (C*H*W,1,1) */
    ANAS_OP_DROPOUT,
    ANAS_OP_SHIFT,    /* AnalogNAS's skip path: x[:, :, 1:, 1:] padded right/bottom */
    ANAS_OP_RESHAPE,  /* the same floats as another (C,H,W), as PyTorch's view() */
};

struct anas_netdef;

struct anas_netdef *anas_netdef_new(int c, int h, int w); /* node 0 is the input */
void anas_netdef_free(struct anas_netdef *def);

int anas_netdef_conv2d(struct anas_netdef *def, int in, int out_c, int k, int stride,
                       int pad, int bias, const char *name);
int anas_netdef_convt2d(struct anas_netdef *def, int in, int out_c, int k, int stride,
                        int pad, int out_pad, int bias, const char *name);
int anas_netdef_linear(struct anas_netdef *def, int in, int out_features, int bias,
                       const char *name);
int anas_netdef_batchnorm(struct anas_netdef *def, int in, const char *name);
int anas_netdef_act(struct anas_netdef *def, int in, enum anas_op kind, const char *name);
int anas_netdef_pool(struct anas_netdef *def, int in, enum anas_op kind, int k, int stride,
                     int pad, const char *name);
int anas_netdef_gap(struct anas_netdef *def, int in, const char *name);
int anas_netdef_add(struct anas_netdef *def, int a, int b, const char *name);
int anas_netdef_concat(struct anas_netdef *def, int a, int b, const char *name);
int anas_netdef_flatten(struct anas_netdef *def, int in, const char *name);
/* View the input as (c,h,w) holding as many values (ANAS_ESHAPE if not). */
int anas_netdef_reshape(struct anas_netdef *def, int in, int c, int h, int w,
                        const char *name);
int anas_netdef_dropout(struct anas_netdef *def, int in, float p, const char *name);
int anas_netdef_shift(struct anas_netdef *def, int in, const char *name);

/* Mark the output node (default: the last one added). */
int anas_netdef_output(struct anas_netdef *def, int node);

int anas_netdef_n_nodes(const struct anas_netdef *def);
/* Output shape of a node; ANAS_EINVAL for a bad index. */
int anas_netdef_shape(const struct anas_netdef *def, int node, int *c, int *h, int *w);
/* Trainable parameters (weights and biases; not batch norm statistics). */
size_t anas_netdef_n_params(const struct anas_netdef *def);
/* The first error a builder call hit, or 0. */
int anas_netdef_error(const struct anas_netdef *def, struct anas_error *err);

/* A tensor the net holds, for export (safetensors) and PyTorch exchange.
 * Names are PyTorch state_dict names: "<layer name>.weight", ".bias",
 * ".running_mean", ".running_var", ".num_batches_tracked" (the last is
 * stored as one float holding an integer). */
struct anas_net_tensor {
    char name[96];
    int trainable;  /* in the params/grads buffers, else in the state buffer */
    int ndim;
    int dims[4];
    size_t offset;  /* in floats, within the params or the state buffer */
    size_t count;
};

struct anas_net;

/* NULL on error (err filled): a poisoned netdef, or ANAS_ENOMEM. */
struct anas_net *anas_net_new(const struct anas_netdef *def, int max_batch,
                              struct anas_error *err);
void anas_net_free(struct anas_net *net);

float *anas_net_params(struct anas_net *net, size_t *n);
float *anas_net_grads(struct anas_net *net, size_t *n);
float *anas_net_state(struct anas_net *net, size_t *n);
int anas_net_n_tensors(const struct anas_net *net);
const struct anas_net_tensor *anas_net_tensor(const struct anas_net *net, int i);
const struct anas_netdef *anas_net_def(const struct anas_net *net);
/* Bytes allocated (all buffers and arenas): for the peak-memory report. */
size_t anas_net_bytes(const struct anas_net *net);

/* PyTorch's default initialisation: kaiming_uniform(a=sqrt(5)) weights and
 * uniform(+-1/sqrt(fan_in)) biases for conv and linear, batch norm weight 1,
 * bias 0, running mean 0, var 1. */
void anas_net_init(struct anas_net *net, struct anas_rng *rng);

/* Forward B <= max_batch samples of (C,H,W) floats. training: batch norm
 * uses batch statistics and updates running ones (momentum 0.1, unbiased
 * variance for the running update, as PyTorch), dropout is active (rng
 * draws its masks; it may be NULL otherwise). *out points into the net's
 * arena: valid until the next forward. The input is copied: x need not
 * outlive the call. ANAS_EINVAL (B out of 1..max_batch, dropout without
 * an rng), ANAS_ESHAPE (training batch norm on one value per channel, which
 * PyTorch refuses too). */
int anas_net_forward(struct anas_net *net, const float *x, int B, int training,
                     struct anas_rng *rng, const float **out);

/* Backward from d(loss)/d(output) (B of the last forward, times the output
 * shape) of the last training forward: adds to the gradient buffer.
 * ANAS_ESTATE when the last forward was not a training one. */
int anas_net_backward(struct anas_net *net, const float *dout);

void anas_net_zero_grad(struct anas_net *net);

/* Threads the net's forward and backward run on: the caller's plus n - 1
 * that the net starts and keeps (1..64; 1 by default). Layers split their
 * samples, channels or planes between them; results may differ in the
 * last bits from another thread count (sums are grouped differently), not
 * from run to run. The threads call OpenBLAS at the same time: it should
 * run single-threaded then (anas_blas_set_threads(1)), or its own threads
 * compete with the net's and its threaded products queue behind one
 * another. Not to be called during a forward or backward. ANAS_EINVAL, or
 * ANAS_ENOMEM when memory or threads run out (the net is left as it was). */
int anas_net_set_threads(struct anas_net *net, int n, struct anas_error *err);
int anas_net_threads(const struct anas_net *net);

struct anas_team;

/* The net's team (NULL on one thread), to lend to the products its owner
 * computes around it (anas_team_lend). */
struct anas_team *anas_net_team(const struct anas_net *net);

/* --- simulated hardware (lib/analog) hooks into a net --- */

/* An override of a conv2d or linear node's weight product: forward
 * computes Y = W X + bias for M input vectors its own way (an analog tile)
 * and adds the bias itself. cols = 0: X is (M, n) with one vector per row
 * and Y (M, d) (linear: M = batch); cols = 1: X is (n, M) with one vector
 * per column and Y (d, M) (conv2d's im2col matrix: n = C*K*K, M = samples
 * times pixels). ldx and ldy are row strides. training tells a training
 * forward from an evaluation one. Returns 0 or a negative ANAS_E* code,
 * which the net's forward returns. */
struct anas_net_mvm {
    int (*forward)(void *ctx, int node, const float *X, int M, int cols, int ldx, float *Y,
                   int ldy, int training);
    void *ctx;
    /* Optional (NULL: the net's own): the node's input gradient from its
     * output gradient dY (B, d, OH, OW for conv2d; B, d for linear), the
     * pre-activation one, as the net computes it. dX (the node's input's
     * shape) is added to when acc, written otherwise, and NULL when the
     * input needs no gradient; the call is made even then, so that the
     * override sees every dY. Weight and bias gradients are still the
     * net's. */
    int (*backward)(void *ctx, int node, const float *dY, float *dX, int acc, int B);
};

/* Install (mvm != NULL, copied) or remove (NULL) the override of a node.
 * ANAS_EINVAL for a node that is not conv2d or linear. */
int anas_net_set_mvm(struct anas_net *net, int node, const struct anas_net_mvm *mvm);

/* A layer's place in the params buffer and the shape of its weight
 * product: d outputs by n inputs (conv2d: OC by C*K*K; linear: out by in;
 * other ops: 0 by 0). weight and bias are offsets in floats, (size_t)-1
 * when absent. */
struct anas_net_layer {
    enum anas_op op;
    const char *name;
    size_t weight, bias;
    int d, n;
    int c, h, w;            /* the input's shape */
    int k, stride, pad;     /* conv2d */
};

/* ANAS_EINVAL for a node index out of range. */
int anas_net_layer(const struct anas_net *net, int node, struct anas_net_layer *out);

/* Parameters (n_params floats, the params buffer's layout) that backward
 * uses for input gradients instead of the trained ones: a straight-through
 * estimator through perturbed weights, as aihwkit's hardware-aware
 * training does. Weight gradients are unaffected. NULL restores the
 * default; the buffer is borrowed. */
void anas_net_set_backward_params(struct anas_net *net, const float *p);

/* --- losses: forward gives the mean loss over the batch and WRITES the
 * gradient of that mean with respect to the input (the gradient pointer
 * may be NULL). They return 0, ANAS_EINVAL (a label outside 0..K-1, an
 * empty batch) or ANAS_ENUMERIC when the loss is not finite (a diverged
 * network; the outputs are still written). --- */

/* Softmax cross-entropy on logits (B,K) with integer labels. */
int anas_loss_xent(float *loss, float *dlogits, const float *logits, const int *labels,
                   int B, int K);
/* NLL on log-probabilities (B,K) (for log-softmax + NLL). */
int anas_loss_nll(float *loss, float *dlogp, const float *logp, const int *labels, int B,
                  int K);
/* Log-softmax forward/backward on (B,K); backward writes din from the
 * forward's output (in and out may be the same buffer for forward). */
void anas_log_softmax_forward(float *out, const float *in, int B, int K);
void anas_log_softmax_backward(float *din, const float *dout, const float *out, int B, int K);
/* Mean squared error over n values. */
int anas_loss_mse(float *loss, float *dpred, const float *pred, const float *target,
                  size_t n);

/* --- optimizers and learning-rate schedules --- */

enum anas_optim_kind { ANAS_OPTIM_SGD, ANAS_OPTIM_ADAM, ANAS_OPTIM_ADAMW };

struct anas_optim_spec {
    enum anas_optim_kind kind;
    float lr;
    float momentum;     /* SGD */
    int nesterov;       /* SGD */
    float weight_decay; /* SGD, Adam: L2 added to the gradient; AdamW: decoupled */
    float beta1, beta2, eps; /* Adam(W): defaults 0.9, 0.999, 1e-8 */
};

struct anas_optim;

/* Exactly PyTorch's update rules (torch.optim.SGD/Adam/AdamW). */
struct anas_optim *anas_optim_new(const struct anas_optim_spec *spec, size_t n_params,
                                  struct anas_error *err);
void anas_optim_free(struct anas_optim *o);
void anas_optim_set_lr(struct anas_optim *o, float lr);
void anas_optim_step(struct anas_optim *o, float *params, const float *grads);
/* anas_optim_step on a net's parameters and gradients, on the net's threads
 * (anas_net_set_threads). ANAS_EINVAL when o was made for another number
 * of parameters. */
int anas_net_optim_step(struct anas_net *net, struct anas_optim *o);

enum anas_sched_kind { ANAS_SCHED_CONSTANT, ANAS_SCHED_STEP, ANAS_SCHED_COSINE };

struct anas_sched {
    enum anas_sched_kind kind;
    float base_lr;
    int step_size;   /* STEP: epochs between decays */
    float gamma;     /* STEP: decay factor */
    int t_max;       /* COSINE: epochs to reach eta_min */
    float eta_min;
};

/* Learning rate for an epoch (0-based), as PyTorch's StepLR and
 * CosineAnnealingLR stepped once per epoch give it. */
float anas_sched_lr(const struct anas_sched *s, int epoch);

#endif
