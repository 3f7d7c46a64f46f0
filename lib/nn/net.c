/*
 * net.c - a netdef instantiated for a maximum batch: the memory layout,
 * the state_dict-style tensor list and PyTorch's default initialisation.
 *
 * Layout (llm.c): every node gets offsets into a handful of buffers, laid
 * out in node order - one parameter buffer (weight then bias of each layer,
 * as state_dict lists them) mirrored by one gradient buffer, one state
 * buffer for batch norm statistics, an activation arena and a gradient
 * arena of max_batch samples per node, an aux arena for what backward
 * needs saved (batch norm mean/invstd, dropout masks, maxpool argmax), an
 * arena of the column matrices convolutions keep from forward to backward,
 * and one scratch for the convolutions' work areas, sized for the
 * hungriest: a part all threads share, then one part per thread
 * (anas_net_set_threads reallocates it, and starts the threads). run.c
 * then never allocates.
 *
 * Savings: flatten and reshape nodes alias their input's activation and
 * gradient (the floats are the same); nodes with nothing trainable upstream of them get
 * no gradient (the input, and whatever precedes the first layer with
 * weights), so their input-gradients are never computed; and gradients
 * share memory when their lifetimes in backward do not overlap
 * (gradplan.c).
 *
 * Fusions, decided here from how many nodes read each one (run.c runs
 * them): an activation fused into the conv2d, linear or batch norm it
 * reads alone (in place, no activation of its own), a batch norm writing
 * the add it is the last input of, and duplicate activations (the same
 * function of the same node, as a residual block's branches each apply
 * to the block's input) sharing one output and one gradient. Each saves a
 * sweep over an activation-sized array, or two. And a batch norm right
 * after a conv2d that only it reads (slot.bn_next): in an eval forward
 * through a weight-product override (the analog tiles), the convolution
 * normalises each group of samples as soon as the override has written
 * it, while it is in cache, rather than the batch norm sweeping the whole
 * batch's output again (run.c); the group's products wait in the
 * convolution's scratch (plan.epi) and never go to memory.
 */
#include "config.h"

#include "nn/net.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/nn_int.h"

#define MAX_BATCH_LIMIT (1 << 20)

/* Add n to a running offset, returning the old one. */
static size_t take(size_t *total, size_t n)
{
    size_t at = *total;

    *total += n;
    return at;
}

/* Does node i need its output gradient: has it, or anything before it,
 * trainable parameters? req is filled in node order. */
static int requires_grad(const struct anas_netdef *def, const char *req, int i)
{
    const struct anas__nn_node *x = &def->nodes[i];

    if (x->n_weight || x->n_bias)
        return 1;
    return (x->in[0] >= 0 && req[x->in[0]]) || (x->in[1] >= 0 && req[x->in[1]]);
}

/* Is node i a conv2d whose only reader, up to the output, is the batch
 * norm right after it (slot.bn_next)? */
static int bn_after(const struct anas_net *net, const int *uses, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i], *b = &net->def.nodes[i + 1];

    return x->op == ANAS_OP_CONV2D && i + 1 <= net->output && b->op == ANAS_OP_BATCHNORM &&
           b->in[0] == i && uses[i] == 1;
}

static void plan_conv(struct anas_net *net, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i];
    const struct anas__nn_node *in = &net->def.nodes[x->in[0]];
    struct anas__conv_plan *plan = &net->slot[i].plan;

    if (x->op == ANAS_OP_CONV2D)
        anas__nn_conv2d_plan(plan, ANAS__CONV_AUTO, net->max_batch, in->c, in->h, in->w,
                             x->c, x->k, x->stride, x->pad);
    else
        anas__nn_convt2d_plan(plan, net->max_batch, in->c, in->h, in->w, x->c, x->k,
                              x->stride, x->pad, x->out_pad);
    if (net->slot[i].bn_next >= 0)
        anas__nn_conv2d_plan_bn(plan, x->c, x->h * x->w);
    if (plan->shared > net->n_shared)
        net->n_shared = plan->shared;
    if (plan->part > net->n_part)
        net->n_part = plan->part;
    net->n_scratch = net->n_shared + net->n_part;
}

/* uses[i]: how many times the nodes up to the output read node i. */
static void count_uses(const struct anas_net *net, int *uses)
{
    for (int i = 0; i < net->def.n; i++)
        uses[i] = 0;
    for (int j = 1; j <= net->output; j++)
        for (int k = 0; k < 2; k++)
            if (net->def.nodes[j].in[k] >= 0)
                uses[net->def.nodes[j].in[k]]++;
}

/* Can activation node i run inside its input's forward, in place? When
 * that input is a layer that writes its output in cache-sized pieces
 * (conv2d, linear, batch norm) and nothing else reads it: backward needs
 * the activation's output, never its input. */
static int fusible(const struct anas_net *net, const int *uses, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i];
    enum anas_op in;

    if (x->op != ANAS_OP_RELU && x->op != ANAS_OP_TANH && x->op != ANAS_OP_SIGMOID)
        return 0;
    in = net->def.nodes[x->in[0]].op;
    return (in == ANAS_OP_CONV2D || in == ANAS_OP_LINEAR || in == ANAS_OP_BATCHNORM) &&
           uses[x->in[0]] == 1 && i <= net->output;
}

int anas__nn_bwd_absorbed(const struct anas_net *net, int i)
{
    return net->slot[i].fused &&
           net->def.nodes[net->def.nodes[i].in[0]].op == ANAS_OP_BATCHNORM;
}

/* The batch norm that can write add node i's output, adding the other
 * input as it normalises (-1: none): one read of the batch norm's input
 * and one write, rather than a write of the batch norm's output and a
 * second sweep to add. The batch norm must be the add's input computed
 * last and have no other reader (nothing else needs its own output). */
static int add_writer(const struct anas_net *net, const int *uses, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i];
    int a = x->in[0], b = x->in[1], last = a > b ? a : b;

    if (x->op != ANAS_OP_ADD || a == b || i > net->output)
        return -1;
    if (net->def.nodes[last].op != ANAS_OP_BATCHNORM || uses[last] != 1)
        return -1;
    return last;
}

/* An earlier node that computes what node i does: the same activation of
 * the same input (a residual block's branches each start with a ReLU of
 * the block's input), or -1. */
static int duplicate_of(const struct anas_net *net, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i];

    if (x->op != ANAS_OP_RELU && x->op != ANAS_OP_TANH && x->op != ANAS_OP_SIGMOID)
        return -1;
    for (int j = x->in[0] + 1; j < i; j++) {
        const struct anas__nn_node *y = &net->def.nodes[j];

        if (y->op == x->op && y->in[0] == x->in[0] && !net->slot[j].fused &&
            net->slot[j].alias < 0)
            return j;
    }
    return -1;
}

/* Give every node its offsets; counts the sizes of all buffers. */
static void layout(struct anas_net *net, char *req, const int *uses)
{
    const struct anas_netdef *def = &net->def;
    size_t B = (size_t)net->max_batch;

    for (int i = 0; i < def->n; i++) {
        const struct anas__nn_node *x = &def->nodes[i];
        struct anas__net_slot *s = &net->slot[i];
        size_t size = B * x->c * x->h * x->w;

        *s = (struct anas__net_slot){.act = ANAS__NN_NONE,
                                     .grad = ANAS__NN_NONE,
                                     .aux = ANAS__NN_NONE,
                                     .iaux = ANAS__NN_NONE,
                                     .weight = ANAS__NN_NONE,
                                     .bias = ANAS__NN_NONE,
                                     .state = ANAS__NN_NONE,
                                     .cols = ANAS__NN_NONE,
                                     .zero = {-1, -1},
                                     .fuse = ANAS__NN_NO_ACT,
                                     .fused_by = -1,
                                     .alias = -1,
                                     .add_into = -1,
                                     .add_by = -1,
                                     .bn_next = -1};
        req[i] = (char)requires_grad(def, req, i);
        s->fused = fusible(net, uses, i);
        if (s->fused) {
            net->slot[x->in[0]].fuse = x->op;
            net->slot[x->in[0]].fused_by = i;
        }
        if (!s->fused && i <= net->output)
            s->alias = duplicate_of(net, i);
        if (bn_after(net, uses, i))
            s->bn_next = i + 1;
        s->add_by = add_writer(net, uses, i);
        if (s->add_by >= 0)
            net->slot[s->add_by].add_into = i;
        if (anas__nn_is_view(x->op) || s->fused)
            s->act = net->slot[x->in[0]].act;
        else if (s->alias >= 0)
            s->act = net->slot[s->alias].act;
        else
            s->act = take(&net->n_acts, size);
        if (x->n_weight)
            s->weight = take(&net->n_params, x->n_weight);
        if (x->n_bias)
            s->bias = take(&net->n_params, x->n_bias);
        if (x->op == ANAS_OP_BATCHNORM) {
            s->state = take(&net->n_state, 2 * (size_t)x->c + 1);
            s->aux = take(&net->n_aux, 2 * (size_t)x->c);
        } else if (x->op == ANAS_OP_DROPOUT) {
            s->aux = take(&net->n_aux, size);
        } else if (x->op == ANAS_OP_MAXPOOL) {
            s->iaux = take(&net->n_iaux, size);
        } else if (x->op == ANAS_OP_CONV2D || x->op == ANAS_OP_CONVT2D) {
            plan_conv(net, i);
            if (s->plan.keep && req[i])
                s->cols = take(&net->n_cols, s->plan.keep);
        }
    }
}

static struct anas_net_tensor *add_tensor(struct anas_net *net, const char *node,
                                          const char *what, int trainable, size_t offset,
                                          size_t count)
{
    struct anas_net_tensor *t = &net->tensors[net->n_tensors++];

    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s.%s", node, what);
    t->trainable = trainable;
    t->offset = offset;
    t->count = count;
    return t;
}

static void set_dims(struct anas_net_tensor *t, int ndim, int d0, int d1, int d2, int d3)
{
    t->ndim = ndim;
    t->dims[0] = d0, t->dims[1] = d1, t->dims[2] = d2, t->dims[3] = d3;
}

/* The tensors of node i, in state_dict order. */
static void node_tensors(struct anas_net *net, int i)
{
    const struct anas__nn_node *x = &net->def.nodes[i];
    const struct anas__nn_node *in = x->in[0] >= 0 ? &net->def.nodes[x->in[0]] : x;
    const struct anas__net_slot *s = &net->slot[i];
    struct anas_net_tensor *t;

    if (x->n_weight) {
        t = add_tensor(net, x->name, "weight", 1, s->weight, x->n_weight);
        if (x->op == ANAS_OP_CONV2D)
            set_dims(t, 4, x->c, in->c, x->k, x->k);
        else if (x->op == ANAS_OP_CONVT2D)
            set_dims(t, 4, in->c, x->c, x->k, x->k);
        else if (x->op == ANAS_OP_LINEAR)
            set_dims(t, 2, x->c, in->c * in->h * in->w, 0, 0);
        else
            set_dims(t, 1, x->c, 0, 0, 0);
    }
    if (x->n_bias) {
        t = add_tensor(net, x->name, "bias", 1, s->bias, x->n_bias);
        set_dims(t, 1, x->c, 0, 0, 0);
    }
    if (x->op == ANAS_OP_BATCHNORM) {
        t = add_tensor(net, x->name, "running_mean", 0, s->state, (size_t)x->c);
        set_dims(t, 1, x->c, 0, 0, 0);
        t = add_tensor(net, x->name, "running_var", 0, s->state + x->c, (size_t)x->c);
        set_dims(t, 1, x->c, 0, 0, 0);
        t = add_tensor(net, x->name, "num_batches_tracked", 0, s->state + 2 * x->c, 1);
        set_dims(t, 0, 0, 0, 0, 0);
    }
}

/* calloc n floats (or int32s, same size) and count the bytes. */
static void *buf(struct anas_net *net, size_t n, int *failed)
{
    void *p = anas_calloc(n ? n : 1, sizeof(float));

    if (!p)
        *failed = 1;
    else
        net->bytes += (n ? n : 1) * sizeof(float);
    return p;
}

static int alloc_all(struct anas_net *net)
{
    int failed = 0, n_tensors = 0;

    for (int i = 0; i < net->def.n; i++)
        n_tensors += (net->def.nodes[i].n_weight > 0) + (net->def.nodes[i].n_bias > 0) +
                     (net->def.nodes[i].op == ANAS_OP_BATCHNORM) * 3;
    net->params = buf(net, net->n_params, &failed);
    net->grads = buf(net, net->n_params, &failed);
    net->state = buf(net, net->n_state, &failed);
    net->acts = buf(net, net->n_acts, &failed);
    net->dacts = buf(net, net->n_dacts, &failed);
    net->aux = buf(net, net->n_aux, &failed);
    net->iaux = buf(net, net->n_iaux, &failed);
    net->scratch = buf(net, net->n_scratch, &failed);
    net->cols = buf(net, net->n_cols, &failed);
    net->tensors =
        anas_calloc((size_t)(n_tensors ? n_tensors : 1), sizeof(*net->tensors));
    if (!net->tensors)
        failed = 1;
    return failed ? ANAS_ENOMEM : 0;
}

struct anas_net *anas_net_new(const struct anas_netdef *def, int max_batch,
                              struct anas_error *err)
{
    struct anas_net *net;
    char *req = NULL;
    int *uses = NULL, rc;

    if (!def || max_batch < 1 || max_batch > MAX_BATCH_LIMIT) {
        anas_error_field(err, ANAS_EINVAL, "max_batch", "no netdef or bad max_batch %d",
                         max_batch);
        return NULL;
    }
    if (def->rc) {
        anas_netdef_error(def, err);
        return NULL;
    }
    net = anas_calloc(1, sizeof(*net));
    if (!net)
        goto nomem;
    net->def = *def;
    net->def.nodes = anas_calloc((size_t)def->n, sizeof(*def->nodes));
    net->slot = anas_calloc((size_t)def->n, sizeof(*net->slot));
    req = anas_calloc((size_t)def->n, 1);
    uses = anas_calloc((size_t)def->n, sizeof(*uses));
    if (!net->def.nodes || !net->slot || !req || !uses)
        goto nomem;
    memcpy(net->def.nodes, def->nodes, (size_t)def->n * sizeof(*def->nodes));
    net->def.cap = def->n;
    net->max_batch = max_batch;
    net->output = anas__nn_output_node(def);
    net->bytes =
        sizeof(*net) + (size_t)def->n * (sizeof(*def->nodes) + sizeof(*net->slot));
    count_uses(net, uses);
    layout(net, req, uses);
    rc = anas__nn_plan_grads(net, req);
    if (!rc)
        rc = alloc_all(net);
    if (rc)
        goto nomem;
    for (int i = 0; i < def->n; i++)
        node_tensors(net, i);
    anas_free(req);
    anas_free(uses);
    return net;
nomem:
    anas_free(req);
    anas_free(uses);
    anas_net_free(net);
    anas_error_set(err, ANAS_ENOMEM, "out of memory for a net of batch %d", max_batch);
    return NULL;
}

void anas_net_free(struct anas_net *net)
{
    if (!net)
        return;
    anas_free(net->def.nodes);
    anas_free(net->slot);
    anas_free(net->params);
    anas_free(net->grads);
    anas_free(net->state);
    anas_free(net->acts);
    anas_free(net->dacts);
    anas_free(net->aux);
    anas_free(net->iaux);
    anas_free(net->scratch);
    anas_free(net->cols);
    anas_free(net->tensors);
    anas_team_free(net->team);
    anas_free(net);
}

int anas_net_set_threads(struct anas_net *net, int n, struct anas_error *err)
{
    struct anas_team *team = NULL;
    size_t n_scratch;
    float *scratch;

    if (!net || n < 1 || n > ANAS_TEAM_MAX)
        return anas_error_field(err, ANAS_EINVAL, "threads", "threads must be 1..%d",
                                ANAS_TEAM_MAX);
    if (n == anas_team_size(net->team))
        return 0;
    n_scratch = net->n_shared + (size_t)n * net->n_part;
    scratch = anas_calloc(n_scratch ? n_scratch : 1, sizeof(float));
    if (!scratch || (n > 1 && !(team = anas_team_new(n)))) {
        anas_free(scratch);
        return anas_error_set(err, ANAS_ENOMEM, "no memory or threads for %d threads", n);
    }
    net->bytes -= (net->n_scratch ? net->n_scratch : 1) * sizeof(float);
    net->bytes += (n_scratch ? n_scratch : 1) * sizeof(float);
    anas_free(net->scratch);
    anas_team_free(net->team);
    net->scratch = scratch;
    net->n_scratch = n_scratch;
    net->team = team;
    return 0;
}

int anas_net_threads(const struct anas_net *net)
{
    return net ? anas_team_size(net->team) : 1;
}

struct anas_team *anas_net_team(const struct anas_net *net)
{
    return net ? net->team : NULL;
}

float *anas_net_params(struct anas_net *net, size_t *n)
{
    if (n)
        *n = net ? net->n_params : 0;
    return net ? net->params : NULL;
}

float *anas_net_grads(struct anas_net *net, size_t *n)
{
    if (n)
        *n = net ? net->n_params : 0;
    return net ? net->grads : NULL;
}

float *anas_net_state(struct anas_net *net, size_t *n)
{
    if (n)
        *n = net ? net->n_state : 0;
    return net ? net->state : NULL;
}

int anas_net_n_tensors(const struct anas_net *net)
{
    return net ? net->n_tensors : 0;
}

const struct anas_net_tensor *anas_net_tensor(const struct anas_net *net, int i)
{
    if (!net || i < 0 || i >= net->n_tensors)
        return NULL;
    return &net->tensors[i];
}

const struct anas_netdef *anas_net_def(const struct anas_net *net)
{
    return net ? &net->def : NULL;
}

size_t anas_net_bytes(const struct anas_net *net)
{
    return net ? net->bytes : 0;
}

/* Floats below which splitting a sweep over the parameters is not worth
 * a fork. */
#define MIN_SPLIT 65536

static void zero_part(void *ctx, int i, int n)
{
    struct anas_net *net = ctx;
    size_t lo, hi;

    anas_team_split(net->n_params, i, n, 16, &lo, &hi);
    memset(net->grads + lo, 0, (hi - lo) * sizeof(*net->grads));
}

void anas_net_zero_grad(struct anas_net *net)
{
    if (!net)
        return;
    if (net->n_params < MIN_SPLIT)
        zero_part(net, 0, 1);
    else
        anas_team_run(net->team, zero_part, net);
}

struct optim_job {
    struct anas_net *net;
    struct anas_optim *o;
};

static void optim_part(void *ctx, int i, int n)
{
    struct optim_job *job = ctx;
    size_t lo, hi;

    anas_team_split(job->net->n_params, i, n, 16, &lo, &hi);
    anas__optim_update(job->o, job->net->params, job->net->grads, lo, hi);
}

int anas_net_optim_step(struct anas_net *net, struct anas_optim *o)
{
    struct optim_job job = {net, o};

    if (!net || !o || anas__optim_n(o) != net->n_params)
        return ANAS_EINVAL;
    if (net->n_params < MIN_SPLIT)
        optim_part(&job, 0, 1);
    else
        anas_team_run(net->team, optim_part, &job);
    anas__optim_done(o);
    return 0;
}

static void fill_uniform(float *x, size_t n, double bound, struct anas_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(bound * (2.0 * anas_rng_uniform(rng) - 1.0));
}

/* fan_in as torch.nn.init._calculate_fan_in_and_fan_out: weight dim 1
 * times the receptive field. For ConvTranspose2d, whose weight is
 * (C, OC, K, K), that is OC*K*K - PyTorch's choice, kept for exactness. */
static double fan_in(const struct anas_netdef *def, const struct anas__nn_node *x)
{
    const struct anas__nn_node *in = &def->nodes[x->in[0]];

    switch (x->op) {
    case ANAS_OP_CONV2D:
        return (double)in->c * x->k * x->k;
    case ANAS_OP_CONVT2D:
        return (double)x->c * x->k * x->k;
    default:
        return (double)in->c * in->h * in->w;
    }
}

void anas_net_init(struct anas_net *net, struct anas_rng *rng)
{
    if (!net || !rng)
        return;
    for (int i = 0; i < net->def.n; i++) {
        const struct anas__nn_node *x = &net->def.nodes[i];
        const struct anas__net_slot *s = &net->slot[i];

        if (x->op == ANAS_OP_BATCHNORM) {
            for (int c = 0; c < x->c; c++) {
                net->params[s->weight + c] = 1.0f;
                net->params[s->bias + c] = 0.0f;
                net->state[s->state + c] = 0.0f;
                net->state[s->state + x->c + c] = 1.0f;
            }
            net->state[s->state + 2 * x->c] = 0.0f;
        } else if (x->n_weight) {
            /* kaiming_uniform_(a = sqrt(5)): gain = sqrt(2 / (1 + a^2)),
             * bound = gain * sqrt(3 / fan_in), which is 1 / sqrt(fan_in) */
            double fan = fan_in(&net->def, x);
            double gain = sqrt(2.0 / (1.0 + 5.0));

            fill_uniform(net->params + s->weight, x->n_weight, gain * sqrt(3.0 / fan),
                         rng);
            if (x->n_bias)
                fill_uniform(net->params + s->bias, x->n_bias, 1.0 / sqrt(fan), rng);
        }
    }
    anas_net_zero_grad(net);
}

int anas_net_set_mvm(struct anas_net *net, int node, const struct anas_net_mvm *mvm)
{
    enum anas_op op;

    if (!net || node < 1 || node >= net->def.n)
        return ANAS_EINVAL;
    op = net->def.nodes[node].op;
    if (op != ANAS_OP_CONV2D && op != ANAS_OP_LINEAR)
        return ANAS_EINVAL;
    if (mvm && !mvm->forward)
        return ANAS_EINVAL;
    net->slot[node].has_mvm = mvm != NULL;
    if (mvm)
        net->slot[node].mvm = *mvm;
    return 0;
}

void anas_net_set_backward_params(struct anas_net *net, const float *p)
{
    if (net)
        net->bwd_params = p;
}
