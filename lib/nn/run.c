/*
 * run.c - forward and backward passes over a net's nodes.
 *
 * Forward runs nodes in order, each reading its inputs' activations from
 * the arena. Backward seeds the output's gradient with the caller's
 * d(loss)/d(output), then runs nodes in reverse; kernels add into their
 * inputs' gradients, so that a node read by several consumers (a residual
 * block's input) ends up with the sum, except the first consumer to run
 * (gradplan.c), which writes: no gradient is ever cleared. Nothing here
 * allocates.
 *
 * Some nodes run inside others (net.c decides): an activation whose input
 * is a conv2d, linear or batch norm read by nothing else is applied by
 * that layer to its output in place, and a batch norm runs the backward
 * of such a ReLU, tanh or sigmoid along with its own; a batch norm that
 * is the last input of an add writes the add's output (adding the other
 * input as it normalises); an activation of a node that another one
 * already applies is that node (slot.alias); in an eval forward through
 * a weight-product override, a batch norm right after the conv2d it alone
 * reads runs inside that convolution (slot.bn_next, runs_bn). Such nodes'
 * own kernels are skipped here.
 *
 * With a team (anas_net_set_threads), every layer's work is split between
 * its threads: convolutions split their samples themselves; here
 * elementwise layers split their floats, batch norm its channels, pooling
 * its planes, concatenation and linear layers their samples (and a linear
 * layer's weight gradient its rows). Layers too small to be worth a fork
 * run on the calling thread, as do dropout (its masks come from one rng
 * in order) and weight-product overrides.
 */
#include "config.h"

#include "nn/net.h"

#include <string.h>

#include "nn/nn_int.h"

/* Floats below which a layer is not worth splitting. */
#define MIN_SPLIT 8192

/* The pieces a node's kernels need, resolved from its slots. */
struct view {
    const struct anas__nn_node *x;  /* the node */
    const struct anas__nn_node *in; /* its first input */
    const struct anas__net_slot *s;
    float *y, *dy;                /* output and its gradient (dy may be NULL) */
    float *a, *da;                /* first input and its gradient (da may be NULL) */
    float *b, *db;                /* second input (add, concat) */
    float *w, *dw, *bias, *dbias; /* parameters and their gradients */
    int acc_a, acc_b;             /* add into da, db (else write them) */
};

/* One node's pass, as its team's threads see it. */
struct pass {
    struct anas_net *net;
    struct view v;
    int node, B;
    size_t n; /* floats of the node's output */
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
    v->acc_a = s->zero[0] < 0;
    v->acc_b = s->zero[1] < 0;
}

/* Elements of one sample of the node's output. */
static size_t numel(const struct anas__nn_node *x)
{
    return (size_t)x->c * x->h * x->w;
}

static struct anas__nn_work work_of(struct anas_net *net)
{
    struct anas__nn_work wk = {net->team, net->scratch, net->scratch + net->n_shared,
                               net->n_part};

    return wk;
}

/* Run part(ctx, i, n) on the team, or alone when the node is small. */
static void split(struct pass *ps, void (*part)(void *, int, int))
{
    if (ps->n < MIN_SPLIT)
        part(ps, 0, 1);
    else
        anas_team_run(ps->net->team, part, ps);
}

/* Part i of n of [0, total): whole cache lines of floats when align. */
static void slice(size_t total, int i, int n, int align, size_t *lo, size_t *hi)
{
    anas_team_split(total, i, n, align ? 16 : 1, lo, hi);
}

/* --- forward --- */

static void forward_part(void *ctx, int i, int n)
{
    struct pass *ps = ctx;
    const struct view *v = &ps->v;
    const struct anas__nn_node *x = v->x, *in = v->in;
    struct anas_net *net = ps->net;
    size_t lo, hi, P = (size_t)x->h * x->w, IP = (size_t)in->h * in->w;

    switch (x->op) {
    case ANAS_OP_LINEAR:
        slice((size_t)ps->B, i, n, 0, &lo, &hi);
        anas__nn_linear_forward(v->y + lo * x->c, v->a + lo * numel(in), v->w, v->bias,
                                (int)(hi - lo), (int)numel(in), x->c, v->s->fuse);
        break;
    case ANAS_OP_BATCHNORM: {
        float *st = net->state + v->s->state, *saved = net->aux + v->s->aux, *y = v->y;
        const float *z = NULL;
        int t = v->s->add_into;

        if (t >= 0) { /* write the add's output: the other input plus ours */
            const struct anas__nn_node *add = &net->def.nodes[t];
            int o = add->in[0] == ps->node ? add->in[1] : add->in[0];

            y = net->acts + net->slot[t].act;
            z = net->acts + net->slot[o].act;
        }
        slice((size_t)x->c, i, n, 0, &lo, &hi);
        if (net->fwd_training)
            anas__nn_batchnorm_forward_train(y, saved, saved + x->c, v->a, v->w, v->bias,
                                             st, st + x->c, ps->B, x->c, (int)P, (int)lo,
                                             (int)hi, v->s->fuse, z);
        else
            anas__nn_batchnorm_forward_eval(y, v->a, v->w, v->bias, st, st + x->c, ps->B,
                                            x->c, (int)P, (int)lo, (int)hi, v->s->fuse,
                                            z);
        break;
    }
    case ANAS_OP_RELU:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_relu_forward(v->y + lo, v->a + lo, hi - lo);
        break;
    case ANAS_OP_TANH:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_tanh_forward(v->y + lo, v->a + lo, hi - lo);
        break;
    case ANAS_OP_SIGMOID:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_sigmoid_forward(v->y + lo, v->a + lo, hi - lo);
        break;
    case ANAS_OP_ADD:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_add_forward(v->y + lo, v->a + lo, v->b + lo, hi - lo);
        break;
    case ANAS_OP_MAXPOOL:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_maxpool_forward(v->y + lo * P, net->iaux + v->s->iaux + lo * P,
                                 v->a + lo * IP, (int)(hi - lo), in->h, in->w, x->k,
                                 x->stride, x->pad);
        break;
    case ANAS_OP_AVGPOOL:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_avgpool_forward(v->y + lo * P, v->a + lo * IP, (int)(hi - lo), in->h,
                                 in->w, x->k, x->stride, x->pad);
        break;
    case ANAS_OP_GAP:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_gap_forward(v->y + lo, v->a + lo * IP, (int)(hi - lo), (int)IP);
        break;
    case ANAS_OP_CONCAT:
        slice((size_t)ps->B, i, n, 0, &lo, &hi);
        anas__nn_concat_forward(v->y + lo * numel(x), v->a + lo * numel(in),
                                v->b + lo * (x->c - in->c) * P, (int)(hi - lo), in->c,
                                x->c - in->c, (int)P);
        break;
    case ANAS_OP_SHIFT:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_shift_forward(v->y + lo * P, v->a + lo * P, (int)(hi - lo), x->h, x->w);
        break;
    default:
        break;
    }
}

/* Does conv2d node i run the batch norm after it (slot.bn_next) in this
 * forward: eval mode, through an override? */
static int runs_bn(const struct anas_net *net, int i, int training)
{
    return !training && net->slot[i].has_mvm && net->slot[i].bn_next >= 0;
}

/* The batch norm node j as conv2d's epilogue: what forward_part's batch
 * norm case would write, with the same arguments. */
static void bn_epi(struct anas_net *net, int j, struct anas__nn_bn_epi *e)
{
    const struct anas__net_slot *s = &net->slot[j];
    const float *st = net->state + s->state;
    int c = net->def.nodes[j].c, t = s->add_into;

    e->out = net->acts + s->act;
    e->gamma = net->params + s->weight;
    e->beta = net->params + s->bias;
    e->mean = st;
    e->var = st + c;
    e->addend = NULL;
    e->act = s->fuse;
    if (t >= 0) {
        const struct anas__nn_node *add = &net->def.nodes[t];
        int o = add->in[0] == j ? add->in[1] : add->in[0];

        e->out = net->acts + net->slot[t].act;
        e->addend = net->acts + net->slot[o].act;
    }
}

static int forward_node(struct anas_net *net, int i, int B, int training,
                        struct anas_rng *rng)
{
    struct pass ps = {net, {0}, i, B, 0};
    struct view *v = &ps.v;
    const struct anas__nn_node *x, *in;
    struct anas__nn_work wk = work_of(net);
    struct anas__nn_mvm_call mc = {&net->slot[i].mvm, i, training, NULL};
    struct anas__nn_bn_epi bn;

    view(v, net, i, 0);
    x = v->x, in = v->in, ps.n = B * numel(x);
    if (v->s->fused || v->s->alias >= 0 || v->s->add_by >= 0)
        return 0; /* its input's forward ran it, or an earlier node did */
    switch (x->op) {
    case ANAS_OP_CONV2D:
        if (runs_bn(net, i, training)) {
            bn_epi(net, v->s->bn_next, &bn);
            mc.bn = &bn;
        }
        return anas__nn_conv2d_forward(
            v->y, v->a, v->w, v->bias, training ? at(net->cols, v->s->cols) : NULL, &wk,
            &v->s->plan, B, in->c, in->h, in->w, x->c, x->k, x->stride, x->pad,
            v->s->fuse, v->s->has_mvm ? &mc : NULL);
    case ANAS_OP_CONVT2D:
        anas__nn_convt2d_forward(v->y, v->a, v->w, v->bias, &wk, &v->s->plan, B, in->c,
                                 in->h, in->w, x->c, x->k, x->stride, x->pad, x->out_pad);
        break;
    case ANAS_OP_LINEAR:
        if (v->s->has_mvm) {
            int rc = mc.mvm->forward(mc.mvm->ctx, i, v->a, B, 0, (int)numel(in), v->y,
                                     x->c, training);

            anas__nn_act_inplace(v->s->fuse, v->y, ps.n);
            return rc;
        }
        /* the sgemm's work, not its output, decides */
        ps.n = (size_t)B * numel(in);
        split(&ps, forward_part);
        break;
    case ANAS_OP_BATCHNORM:
        if (x->in[0] >= 0 && net->slot[x->in[0]].bn_next == i && runs_bn(net, x->in[0], training))
            break; /* the convolution before it ran it */
        split(&ps, forward_part);
        if (training)
            net->state[v->s->state + 2 * x->c] += 1.0f; /* num_batches_tracked */
        break;
    case ANAS_OP_DROPOUT:
        if (training && x->p > 0.0f)
            anas__nn_dropout_forward(v->y, net->aux + v->s->aux, v->a, x->p, rng, ps.n);
        else
            memcpy(v->y, v->a, ps.n * sizeof(*v->y));
        break;
    case ANAS_OP_FLATTEN: /* alias their input */
    case ANAS_OP_RESHAPE:
    case ANAS_OP_INPUT:
        break;
    default:
        split(&ps, forward_part);
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
    net->fwd_training = !!training;
    memcpy(net->acts + net->slot[0].act, x,
           (size_t)B * numel(&net->def.nodes[0]) * sizeof(*x));
    for (int i = 1; i <= net->output; i++) {
        rc = forward_node(net, i, B, training, rng);
        if (rc)
            return rc;
    }
    net->fwd_batch = B;
    if (out)
        *out = net->acts + net->slot[net->output].act;
    return 0;
}

/* --- backward --- */

static void backward_part(void *ctx, int i, int n)
{
    struct pass *ps = ctx;
    const struct view *v = &ps->v;
    const struct anas__nn_node *x = v->x, *in = v->in;
    struct anas_net *net = ps->net;
    size_t lo, hi, P = (size_t)x->h * x->w, IP = (size_t)in->h * in->w;

    switch (x->op) {
    case ANAS_OP_LINEAR: {
        size_t C = numel(in);

        slice((size_t)x->c, i, n, 0, &lo, &hi);
        anas__nn_linear_backward_weight(v->dw, v->dbias, v->dy, v->a, ps->B, (int)C, x->c,
                                        (int)lo, (int)hi);
        if (!v->da)
            break;
        slice((size_t)ps->B, i, n, 0, &lo, &hi);
        anas__nn_linear_backward_input(v->da + lo * C, v->acc_a, v->dy + lo * x->c, v->w,
                                       (int)(hi - lo), (int)C, x->c);
        break;
    }
    case ANAS_OP_BATCHNORM: {
        const float *saved = net->aux + v->s->aux, *dy = v->dy, *y = NULL;
        enum anas_op act = ANAS__NN_NO_ACT;
        int a = v->s->fused_by;

        if (a >= 0 && anas__nn_bwd_absorbed(net, a)) {
            /* through the activation: its gradient and output */
            dy = net->dacts + net->slot[a].grad;
            y = v->y;
            act = v->s->fuse;
        }
        slice((size_t)x->c, i, n, 0, &lo, &hi);
        anas__nn_batchnorm_backward(v->da, v->acc_a, v->dw, v->dbias, dy, v->a, v->w,
                                    saved, saved + x->c, ps->B, x->c, (int)P, (int)lo,
                                    (int)hi, act, y);
        break;
    }
    case ANAS_OP_RELU:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_relu_backward(v->da + lo, v->acc_a, v->dy + lo, v->y + lo, hi - lo);
        break;
    case ANAS_OP_TANH:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_tanh_backward(v->da + lo, v->acc_a, v->dy + lo, v->y + lo, hi - lo);
        break;
    case ANAS_OP_SIGMOID:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_sigmoid_backward(v->da + lo, v->acc_a, v->dy + lo, v->y + lo, hi - lo);
        break;
    case ANAS_OP_ADD:
        slice(ps->n, i, n, 1, &lo, &hi);
        anas__nn_add_backward(v->da ? v->da + lo : NULL, v->acc_a,
                              v->db ? v->db + lo : NULL, v->acc_b, v->dy + lo, hi - lo);
        break;
    case ANAS_OP_MAXPOOL:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_maxpool_backward(v->da + lo * IP, v->acc_a, v->dy + lo * P,
                                  net->iaux + v->s->iaux + lo * P, (int)(hi - lo), in->h,
                                  in->w, x->k, x->stride, x->pad);
        break;
    case ANAS_OP_AVGPOOL:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_avgpool_backward(v->da + lo * IP, v->acc_a, v->dy + lo * P,
                                  (int)(hi - lo), in->h, in->w, x->k, x->stride, x->pad);
        break;
    case ANAS_OP_GAP:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_gap_backward(v->da + lo * IP, v->acc_a, v->dy + lo, (int)(hi - lo),
                              (int)IP);
        break;
    case ANAS_OP_CONCAT: {
        size_t na = numel(in), nb = (size_t)(x->c - in->c) * P;

        slice((size_t)ps->B, i, n, 0, &lo, &hi);
        anas__nn_concat_backward(
            v->da ? v->da + lo * na : NULL, v->acc_a, v->db ? v->db + lo * nb : NULL,
            v->acc_b, v->dy + lo * numel(x), (int)(hi - lo), in->c, x->c - in->c, (int)P);
        break;
    }
    case ANAS_OP_SHIFT:
        slice((size_t)ps->B * x->c, i, n, 0, &lo, &hi);
        anas__nn_shift_backward(v->da + lo * P, v->acc_a, v->dy + lo * P, (int)(hi - lo),
                                x->h, x->w);
        break;
    default:
        break;
    }
}

static void backward_conv(struct anas_net *net, struct view *v, int B)
{
    const struct anas__nn_node *x = v->x, *in = v->in;
    struct anas__nn_work wk = work_of(net);

    if (x->op == ANAS_OP_CONV2D)
        anas__nn_conv2d_backward(v->da, v->acc_a, v->dw, v->dbias, v->dy, v->a, v->w,
                                 at(net->cols, v->s->cols), &wk, &v->s->plan, B, in->c,
                                 in->h, in->w, x->c, x->k, x->stride, x->pad);
    else
        anas__nn_convt2d_backward(v->da, v->acc_a, v->dw, v->dbias, v->dy, v->a, v->w,
                                  &wk, &v->s->plan, B, in->c, in->h, in->w, x->c, x->k,
                                  x->stride, x->pad, x->out_pad);
}

/* An override's backward: the net's weight and bias gradients, the
 * override's input gradient. */
static int mvm_backward(struct anas_net *net, struct view *v, int i, int B,
                        void (*conv)(struct anas_net *, struct view *, int))
{
    float *da = v->da;
    int rc;

    v->da = NULL;
    if (conv) {
        conv(net, v, B);
    } else {
        struct pass ps = {net, *v, i, B, (size_t)B * numel(v->in)};

        split(&ps, backward_part);
    }
    rc = v->s->mvm.backward(v->s->mvm.ctx, i, v->dy, da, v->acc_a, B);
    return rc;
}

static int backward_node(struct anas_net *net, int i, int B)
{
    struct pass ps = {net, {0}, i, B, 0};
    struct view *v = &ps.v;
    const struct anas__nn_node *x;

    view(v, net, i, 1);
    x = v->x, ps.n = B * numel(x);
    if (!v->dy || anas__nn_bwd_absorbed(net, i) || v->s->alias >= 0)
        return 0; /* nothing trainable up to here, or another node's backward runs it */
    switch (x->op) {
    case ANAS_OP_CONV2D:
    case ANAS_OP_CONVT2D:
        if (v->s->has_mvm && v->s->mvm.backward)
            return mvm_backward(net, v, i, B, backward_conv);
        backward_conv(net, v, B);
        break;
    case ANAS_OP_LINEAR:
        ps.n = (size_t)B * numel(v->in);
        if (v->s->has_mvm && v->s->mvm.backward)
            return mvm_backward(net, v, i, B, NULL);
        split(&ps, backward_part);
        break;
    case ANAS_OP_BATCHNORM:
    case ANAS_OP_ADD:
    case ANAS_OP_CONCAT:
        split(&ps, backward_part);
        break;
    case ANAS_OP_DROPOUT:
        if (v->da && x->p > 0.0f)
            anas__nn_dropout_backward(v->da, v->acc_a, v->dy, net->aux + v->s->aux, ps.n);
        else if (v->da)
            anas__nn_copy_backward(v->da, v->acc_a, v->dy, ps.n);
        break;
    case ANAS_OP_FLATTEN: /* share their input's gradient */
    case ANAS_OP_RESHAPE:
    case ANAS_OP_INPUT:
        break;
    default: /* one input, nothing to learn: only its gradient to pass on */
        if (v->da)
            split(&ps, backward_part);
        break;
    }
    return 0;
}

int anas_net_backward(struct anas_net *net, const float *dout)
{
    int B, out;

    if (!net || !dout)
        return ANAS_EINVAL;
    if (!net->fwd_batch || !net->fwd_training)
        return ANAS_ESTATE;
    B = net->fwd_batch, out = net->output;
    if (net->slot[out].grad == ANAS__NN_NONE)
        return 0; /* a net without parameters: nothing to learn */
    memcpy(net->dacts + net->slot[out].grad, dout,
           (size_t)B * numel(&net->def.nodes[out]) * sizeof(*dout));
    for (int i = out; i >= 1; i--) {
        int rc = backward_node(net, i, B);

        if (rc < 0)
            return rc;
    }
    return 0;
}
