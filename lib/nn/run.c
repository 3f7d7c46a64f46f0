/*
 * run.c - forward and backward passes over a net's nodes.
 *
 * Forward runs nodes in order, each reading its inputs' activations from
 * the arena. Backward seeds the output's gradient with the caller's
 * d(loss)/d(output), then runs nodes in reverse; every kernel adds into
 * its inputs' gradients, so a node read by several consumers (a residual
 * block's input) ends up with the sum. A gradient block is cleared right
 * before the first kernel that adds into it (blocks are reused, see
 * gradplan.c). Nothing here allocates.
 */
#include "config.h"

#include "nn/net.h"

#include <string.h>

#include "nn/nn_int.h"

/* The pieces a node's kernels need, resolved from its slots. */
struct view {
    const struct anas__nn_node *x;  /* the node */
    const struct anas__nn_node *in; /* its first input */
    const struct anas__net_slot *s;
    float *y, *dy;                /* output and its gradient (dy may be NULL) */
    float *a, *da;                /* first input and its gradient (da may be NULL) */
    float *b, *db;                /* second input (add, concat) */
    float *w, *dw, *bias, *dbias; /* parameters and their gradients */
};

static float *at(float *base, size_t off)
{
    return off == ANAS__NN_NONE ? NULL : base + off;
}

/* backward: input gradients flow through bwd_params when set */
static void view(struct view *v, struct anas_net *net, int i, int bwd)
{
    const struct anas__nn_node *x = &net->def.nodes[i];
    const struct anas__net_slot *s = &net->slot[i];

    memset(v, 0, sizeof(*v));
    v->x = x;
    v->s = s;
    v->y = at(net->acts, s->act);
    v->dy = at(net->dacts, s->grad);
    if (x->in[0] >= 0) {
        v->in = &net->def.nodes[x->in[0]];
        v->a = at(net->acts, net->slot[x->in[0]].act);
        v->da = at(net->dacts, net->slot[x->in[0]].grad);
    }
    if (x->in[1] >= 0) {
        v->b = at(net->acts, net->slot[x->in[1]].act);
        v->db = at(net->dacts, net->slot[x->in[1]].grad);
    }
    v->w = at(bwd && net->bwd_params ? (float *)net->bwd_params : net->params, s->weight);
    v->dw = at(net->grads, s->weight);
    v->bias = at(net->params, s->bias);
    v->dbias = at(net->grads, s->bias);
}

/* Elements of one sample of the node's output. */
static size_t numel(const struct anas__nn_node *x)
{
    return (size_t)x->c * x->h * x->w;
}

static int forward_node(struct anas_net *net, int i, int B, int training,
                        struct anas_rng *rng)
{
    struct view v;
    const struct anas__nn_node *x, *in;
    size_t n;

    struct anas__nn_mvm_call mc = {&net->slot[i].mvm, i, training};

    view(&v, net, i, 0);
    x = v.x, in = v.in, n = B * numel(x);
    switch (x->op) {
    case ANAS_OP_CONV2D:
        return anas__nn_conv2d_forward(v.y, v.a, v.w, v.bias, net->scratch, &v.s->plan, B,
                                       in->c, in->h, in->w, x->c, x->k, x->stride, x->pad,
                                       v.s->has_mvm ? &mc : NULL);
    case ANAS_OP_CONVT2D:
        anas__nn_convt2d_forward(v.y, v.a, v.w, v.bias, net->scratch, &v.s->plan, B,
                                 in->c, in->h, in->w, x->c, x->k, x->stride, x->pad,
                                 x->out_pad);
        break;
    case ANAS_OP_LINEAR:
        if (v.s->has_mvm)
            return mc.mvm->forward(mc.mvm->ctx, i, v.a, B, 0, (int)numel(in), v.y, x->c,
                                   training);
        anas__nn_linear_forward(v.y, v.a, v.w, v.bias, B, (int)numel(in), x->c);
        break;
    case ANAS_OP_BATCHNORM: {
        float *st = net->state + v.s->state, *saved = net->aux + v.s->aux;

        if (!training) {
            anas__nn_batchnorm_forward_eval(v.y, v.a, v.w, v.bias, st, st + x->c, B, x->c,
                                            x->h * x->w);
            break;
        }
        return anas__nn_batchnorm_forward_train(v.y, saved, saved + x->c, v.a, v.w,
                                                v.bias, st, st + x->c, st + 2 * x->c, B,
                                                x->c, x->h * x->w);
    }
    case ANAS_OP_RELU:
        anas__nn_relu_forward(v.y, v.a, n);
        break;
    case ANAS_OP_TANH:
        anas__nn_tanh_forward(v.y, v.a, n);
        break;
    case ANAS_OP_SIGMOID:
        anas__nn_sigmoid_forward(v.y, v.a, n);
        break;
    case ANAS_OP_MAXPOOL:
        anas__nn_maxpool_forward(v.y, net->iaux + v.s->iaux, v.a, B * x->c, in->h, in->w,
                                 x->k, x->stride, x->pad);
        break;
    case ANAS_OP_AVGPOOL:
        anas__nn_avgpool_forward(v.y, v.a, B * x->c, in->h, in->w, x->k, x->stride,
                                 x->pad);
        break;
    case ANAS_OP_GAP:
        anas__nn_gap_forward(v.y, v.a, B * x->c, in->h * in->w);
        break;
    case ANAS_OP_ADD:
        anas__nn_add_forward(v.y, v.a, v.b, n);
        break;
    case ANAS_OP_CONCAT:
        anas__nn_concat_forward(v.y, v.a, v.b, B, in->c, x->c - in->c, x->h * x->w);
        break;
    case ANAS_OP_DROPOUT:
        if (training && x->p > 0.0f)
            anas__nn_dropout_forward(v.y, net->aux + v.s->aux, v.a, x->p, rng, n);
        else
            memcpy(v.y, v.a, n * sizeof(*v.y));
        break;
    case ANAS_OP_SHIFT:
        anas__nn_shift_forward(v.y, v.a, B * x->c, x->h, x->w);
        break;
    case ANAS_OP_FLATTEN: /* alias their input */
    case ANAS_OP_RESHAPE:
    case ANAS_OP_INPUT:
        break;
    }
    return 0;
}

/* What forward must refuse before touching any state. */
static int check_forward(const struct anas_net *net, const float *x, int B, int training,
                         const struct anas_rng *rng)
{
    if (!x || B < 1 || B > net->max_batch)
        return ANAS_EINVAL;
    if (!training)
        return 0;
    for (int i = 1; i <= net->output; i++) {
        const struct anas__nn_node *n = &net->def.nodes[i];

        /* PyTorch: "Expected more than 1 value per channel when training" */
        if (n->op == ANAS_OP_BATCHNORM && (size_t)B * n->h * n->w < 2)
            return ANAS_ESHAPE;
        if (n->op == ANAS_OP_DROPOUT && n->p > 0.0f && !rng)
            return ANAS_EINVAL;
    }
    return 0;
}

int anas_net_forward(struct anas_net *net, const float *x, int B, int training,
                     struct anas_rng *rng, const float **out)
{
    int rc;

    if (!net)
        return ANAS_EINVAL;
    rc = check_forward(net, x, B, training, rng);
    if (rc)
        return rc;
    net->fwd_batch = 0; /* no backward through a half-done forward */
    memcpy(net->acts + net->slot[0].act, x,
           (size_t)B * numel(&net->def.nodes[0]) * sizeof(*x));
    for (int i = 1; i <= net->output; i++) {
        rc = forward_node(net, i, B, training, rng);
        if (rc)
            return rc;
    }
    net->fwd_batch = B;
    net->fwd_training = !!training;
    if (out)
        *out = net->acts + net->slot[net->output].act;
    return 0;
}

static void backward_conv(struct anas_net *net, struct view *v, int B)
{
    const struct anas__nn_node *x = v->x, *in = v->in;

    if (x->op == ANAS_OP_CONV2D)
        anas__nn_conv2d_backward(v->da, v->dw, v->dbias, v->dy, v->a, v->w, net->scratch,
                                 &v->s->plan, B, in->c, in->h, in->w, x->c, x->k,
                                 x->stride, x->pad);
    else
        anas__nn_convt2d_backward(v->da, v->dw, v->dbias, v->dy, v->a, v->w, net->scratch,
                                  &v->s->plan, B, in->c, in->h, in->w, x->c, x->k,
                                  x->stride, x->pad, x->out_pad);
}

static void backward_node(struct anas_net *net, int i, int B)
{
    struct view v;
    const struct anas__nn_node *x, *in;
    size_t n;

    view(&v, net, i, 1);
    x = v.x, in = v.in, n = B * numel(x);
    if (!v.dy)
        return; /* nothing trainable up to here */
    switch (x->op) {
    case ANAS_OP_CONV2D:
    case ANAS_OP_CONVT2D:
        backward_conv(net, &v, B);
        break;
    case ANAS_OP_LINEAR:
        anas__nn_linear_backward(v.da, v.dw, v.dbias, v.dy, v.a, v.w, B, (int)numel(in),
                                 x->c);
        break;
    case ANAS_OP_BATCHNORM: {
        const float *saved = net->aux + v.s->aux;

        anas__nn_batchnorm_backward(v.da, v.dw, v.dbias, v.dy, v.a, v.w, saved,
                                    saved + x->c, B, x->c, x->h * x->w);
        break;
    }
    case ANAS_OP_RELU:
        if (v.da)
            anas__nn_relu_backward(v.da, v.dy, v.y, n);
        break;
    case ANAS_OP_TANH:
        if (v.da)
            anas__nn_tanh_backward(v.da, v.dy, v.y, n);
        break;
    case ANAS_OP_SIGMOID:
        if (v.da)
            anas__nn_sigmoid_backward(v.da, v.dy, v.y, n);
        break;
    case ANAS_OP_MAXPOOL:
        if (v.da)
            anas__nn_maxpool_backward(v.da, v.dy, net->iaux + v.s->iaux, B * x->c, in->h,
                                      in->w, x->k, x->stride, x->pad);
        break;
    case ANAS_OP_AVGPOOL:
        if (v.da)
            anas__nn_avgpool_backward(v.da, v.dy, B * x->c, in->h, in->w, x->k, x->stride,
                                      x->pad);
        break;
    case ANAS_OP_GAP:
        if (v.da)
            anas__nn_gap_backward(v.da, v.dy, B * x->c, in->h * in->w);
        break;
    case ANAS_OP_ADD:
        anas__nn_add_backward(v.da, v.db, v.dy, n);
        break;
    case ANAS_OP_CONCAT:
        anas__nn_concat_backward(v.da, v.db, v.dy, B, in->c, x->c - in->c, x->h * x->w);
        break;
    case ANAS_OP_DROPOUT:
        if (v.da && x->p > 0.0f)
            anas__nn_dropout_backward(v.da, v.dy, net->aux + v.s->aux, n);
        else if (v.da)
            for (size_t k = 0; k < n; k++)
                v.da[k] += v.dy[k];
        break;
    case ANAS_OP_SHIFT:
        if (v.da)
            anas__nn_shift_backward(v.da, v.dy, B * x->c, x->h, x->w);
        break;
    case ANAS_OP_FLATTEN: /* share their input's gradient */
    case ANAS_OP_RESHAPE:
    case ANAS_OP_INPUT:
        break;
    }
}

int anas_net_backward(struct anas_net *net, const float *dout)
{
    int B, out;
    float *dy;

    if (!net || !dout)
        return ANAS_EINVAL;
    if (!net->fwd_batch || !net->fwd_training)
        return ANAS_ESTATE;
    B = net->fwd_batch, out = net->output;
    if (net->slot[out].grad == ANAS__NN_NONE)
        return 0; /* a net without parameters: nothing to learn */
    dy = net->dacts + net->slot[out].grad;
    memcpy(dy, dout, (size_t)B * numel(&net->def.nodes[out]) * sizeof(*dy));
    for (int i = out; i >= 1; i--) {
        /* kernels add into gradients: clear the ones written first here */
        for (int k = 0; k < 2; k++) {
            int z = net->slot[i].zero[k];

            if (z >= 0)
                memset(net->dacts + net->slot[z].grad, 0,
                       (size_t)B * numel(&net->def.nodes[z]) * sizeof(float));
        }
        backward_node(net, i, B);
    }
    return 0;
}
