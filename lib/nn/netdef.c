/*
 * netdef.c - the network description: nodes in topological order, their
 * output shapes and parameter counts.
 *
 * Builders check everything a net will later rely on (shapes that fit the
 * kernels, sizes that fit BLAS's ints, unique names for state_dict keys),
 * so that anas_net_new only allocates. The first failure is kept in the
 * netdef and every later builder call returns it without adding a node:
 * a builder chain can be written without checking each call and the error
 * reported once, by anas_netdef_error or anas_net_new.
 */
#include "config.h"

#include "nn/net.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/nn_int.h"

/* Bound on kernel, stride and padding, so that shape arithmetic cannot
 * overflow an int (sides are below 2^31 / 2^16 once multiplied). */
#define MAX_WINDOW 4096

struct anas_netdef *anas_netdef_new(int c, int h, int w)
{
    struct anas_netdef *def = anas_calloc(1, sizeof(*def));

    if (!def)
        return NULL;
    def->cap = 16;
    def->nodes = anas_calloc((size_t)def->cap, sizeof(*def->nodes));
    if (!def->nodes) {
        anas_free(def);
        return NULL;
    }
    def->n = 1;
    def->output = -1;
    def->nodes[0] = (struct anas__nn_node){
        .op = ANAS_OP_INPUT, .in = {-1, -1}, .c = c, .h = h, .w = w};
    snprintf(def->nodes[0].name, sizeof(def->nodes[0].name), "input");
    if (c < 1 || h < 1 || w < 1 || (size_t)c * h * w > ANAS__NN_MAX_ELEMS)
        def->rc = anas_error_field(&def->err, ANAS_ESHAPE, "input",
                                   "input shape %dx%dx%d is not positive or too large", c,
                                   h, w);
    return def;
}

void anas_netdef_free(struct anas_netdef *def)
{
    if (!def)
        return;
    anas_free(def->nodes);
    anas_free(def);
}

int anas__nn_output_node(const struct anas_netdef *def)
{
    return def->output >= 0 ? def->output : def->n - 1;
}

/* Record the first error; later ones are consequences of it. */
static int poison(struct anas_netdef *def, int code, const char *name, const char *what)
{
    if (def->rc == 0)
        def->rc = anas_error_field(&def->err, code, name ? name : "", "node %d (%s): %s",
                                   def->n, name && *name ? name : "unnamed", what);
    return def->rc;
}

/* Check the call can go on: the def is healthy and `in` names a node. */
static int check_in(struct anas_netdef *def, int in, const char *name)
{
    if (def->rc)
        return def->rc;
    if (def->n >= ANAS__NN_MAX_NODES)
        return poison(def, ANAS_ELIMIT, name, "too many nodes");
    if (in < 0 || in >= def->n)
        return poison(def, ANAS_EINVAL, name, "input is not an earlier node");
    return 0;
}

/* Name a node: the caller's name, or its index as nn.Sequential does.
 * Names become state_dict prefixes, so they must be unique. */
static int set_name(struct anas_netdef *def, struct anas__nn_node *node, const char *name)
{
    if (!name || !*name) {
        snprintf(node->name, sizeof(node->name), "%d", def->n);
        name = node->name;
    } else if (strlen(name) >= sizeof(node->name)) {
        return poison(def, ANAS_EINVAL, "", "name too long");
    }
    for (int i = 0; i < def->n; i++)
        if (strcmp(def->nodes[i].name, name) == 0)
            return poison(def, ANAS_EEXIST, name, "duplicate name");
    if (name != node->name)
        snprintf(node->name, sizeof(node->name), "%s", name);
    return 0;
}

/* Append a filled-in node after checking its shape and sizes. */
static int push(struct anas_netdef *def, struct anas__nn_node *node, const char *name)
{
    int rc;

    if (node->c < 1 || node->h < 1 || node->w < 1)
        return poison(def, ANAS_ESHAPE, name, "output shape is empty");
    if ((size_t)node->c * node->h * node->w > ANAS__NN_MAX_ELEMS ||
        node->n_weight > ANAS__NN_MAX_ELEMS)
        return poison(def, ANAS_ERANGE, name, "too large");
    rc = set_name(def, node, name);
    if (rc)
        return rc;
    if (def->n == def->cap) {
        int cap = def->cap * 2;
        struct anas__nn_node *v = anas_realloc(def->nodes, (size_t)cap * sizeof(*v));

        if (!v)
            return poison(def, ANAS_ENOMEM, name, "out of memory");
        def->nodes = v;
        def->cap = cap;
    }
    def->nodes[def->n] = *node;
    return def->n++;
}

static const struct anas__nn_node *node_at(const struct anas_netdef *def, int i)
{
    return &def->nodes[i];
}

/* Shared part of conv2d and convt2d: check the geometry. */
static int check_conv(struct anas_netdef *def, int in, int out_c, int k, int stride,
                      int pad, const char *name)
{
    int rc = check_in(def, in, name);

    if (rc)
        return rc;
    if (out_c < 1 || k < 1 || stride < 1 || pad < 0)
        return poison(def, ANAS_EINVAL, name, "bad channels, kernel, stride or padding");
    if (k > MAX_WINDOW || stride > MAX_WINDOW || pad > MAX_WINDOW ||
        out_c > ANAS__NN_MAX_ELEMS / k / k)
        return poison(def, ANAS_ERANGE, name, "too large");
    return 0;
}

int anas_netdef_conv2d(struct anas_netdef *def, int in, int out_c, int k, int stride,
                       int pad, int bias, const char *name)
{
    const struct anas__nn_node *x;
    struct anas__nn_node n = {.op = ANAS_OP_CONV2D, .in = {in, -1}};
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = check_conv(def, in, out_c, k, stride, pad, name);
    if (rc)
        return rc;
    x = node_at(def, in);
    if ((long long)x->h + 2 * pad < k || (long long)x->w + 2 * pad < k)
        return poison(def, ANAS_ESHAPE, name, "kernel larger than the padded input");
    if ((long long)x->h + 2 * pad > ANAS__NN_MAX_ELEMS ||
        (long long)x->w + 2 * pad > ANAS__NN_MAX_ELEMS)
        return poison(def, ANAS_ERANGE, name, "too large");
    n.c = out_c;
    n.h = anas__nn_out_side(x->h, k, stride, pad);
    n.w = anas__nn_out_side(x->w, k, stride, pad);
    n.k = k, n.stride = stride, n.pad = pad, n.bias = !!bias;
    n.n_weight = (size_t)out_c * x->c * k * k;
    n.n_bias = bias ? (size_t)out_c : 0;
    return push(def, &n, name);
}

int anas_netdef_convt2d(struct anas_netdef *def, int in, int out_c, int k, int stride,
                        int pad, int out_pad, int bias, const char *name)
{
    const struct anas__nn_node *x;
    struct anas__nn_node n = {.op = ANAS_OP_CONVT2D, .in = {in, -1}};
    long long oh, ow;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = check_conv(def, in, out_c, k, stride, pad, name);
    if (rc)
        return rc;
    /* PyTorch: output padding must be smaller than the stride. */
    if (out_pad < 0 || out_pad >= stride)
        return poison(def, ANAS_EINVAL, name, "output padding must be in [0, stride)");
    x = node_at(def, in);
    oh = (long long)(x->h - 1) * stride - 2 * pad + k + out_pad;
    ow = (long long)(x->w - 1) * stride - 2 * pad + k + out_pad;
    if (oh > ANAS__NN_MAX_ELEMS || ow > ANAS__NN_MAX_ELEMS)
        return poison(def, ANAS_ERANGE, name, "too large");
    n.c = out_c;
    n.h = (int)oh;
    n.w = (int)ow;
    n.k = k, n.stride = stride, n.pad = pad, n.out_pad = out_pad, n.bias = !!bias;
    n.n_weight = (size_t)x->c * out_c * k * k;
    n.n_bias = bias ? (size_t)out_c : 0;
    return push(def, &n, name);
}

int anas_netdef_linear(struct anas_netdef *def, int in, int out_features, int bias,
                       const char *name)
{
    struct anas__nn_node n = {.op = ANAS_OP_LINEAR, .in = {in, -1}, .h = 1, .w = 1};
    const struct anas__nn_node *x;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = check_in(def, in, name);
    if (rc)
        return rc;
    if (out_features < 1)
        return poison(def, ANAS_EINVAL, name, "out_features must be positive");
    x = node_at(def, in);
    n.c = out_features;
    n.bias = !!bias;
    n.n_weight = (size_t)out_features * x->c * x->h * x->w;
    n.n_bias = bias ? (size_t)out_features : 0;
    return push(def, &n, name);
}

/* A node of the input's shape: batch norm, activations, dropout, shift. */
static int same_shape(struct anas_netdef *def, int in, enum anas_op op, const char *name,
                      struct anas__nn_node *n)
{
    const struct anas__nn_node *x;
    int rc = check_in(def, in, name);

    if (rc)
        return rc;
    x = node_at(def, in);
    *n =
        (struct anas__nn_node){.op = op, .in = {in, -1}, .c = x->c, .h = x->h, .w = x->w};
    return 0;
}

int anas_netdef_batchnorm(struct anas_netdef *def, int in, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_BATCHNORM, name, &n);
    if (rc)
        return rc;
    n.n_weight = n.n_bias = (size_t)n.c;
    return push(def, &n, name);
}

int anas_netdef_act(struct anas_netdef *def, int in, enum anas_op kind, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    if (kind != ANAS_OP_RELU && kind != ANAS_OP_TANH && kind != ANAS_OP_SIGMOID)
        return poison(def, ANAS_EINVAL, name, "not an activation");
    rc = same_shape(def, in, kind, name, &n);
    return rc ? rc : push(def, &n, name);
}

int anas_netdef_pool(struct anas_netdef *def, int in, enum anas_op kind, int k,
                     int stride, int pad, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    if (kind != ANAS_OP_MAXPOOL && kind != ANAS_OP_AVGPOOL)
        return poison(def, ANAS_EINVAL, name, "not a pooling");
    rc = same_shape(def, in, kind, name, &n);
    if (rc)
        return rc;
    /* PyTorch: pad should be at most half of the kernel size. */
    if (k < 1 || stride < 1 || pad < 0 || k > MAX_WINDOW || stride > MAX_WINDOW ||
        2 * pad > k)
        return poison(def, ANAS_EINVAL, name, "bad kernel, stride or padding");
    if ((long long)n.h + 2 * pad < k || (long long)n.w + 2 * pad < k)
        return poison(def, ANAS_ESHAPE, name, "kernel larger than the padded input");
    if ((long long)n.h + 2 * pad > ANAS__NN_MAX_ELEMS ||
        (long long)n.w + 2 * pad > ANAS__NN_MAX_ELEMS)
        return poison(def, ANAS_ERANGE, name, "too large");
    n.h = anas__nn_out_side(n.h, k, stride, pad);
    n.w = anas__nn_out_side(n.w, k, stride, pad);
    n.k = k, n.stride = stride, n.pad = pad;
    return push(def, &n, name);
}

int anas_netdef_gap(struct anas_netdef *def, int in, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_GAP, name, &n);
    if (rc)
        return rc;
    n.h = n.w = 1;
    return push(def, &n, name);
}

/* Shared part of add and concat: two earlier nodes with equal planes. */
static int two_inputs(struct anas_netdef *def, int a, int b, enum anas_op op,
                      const char *name, struct anas__nn_node *n)
{
    const struct anas__nn_node *x, *y;
    int rc = check_in(def, a, name);

    if (rc)
        return rc;
    rc = check_in(def, b, name);
    if (rc)
        return rc;
    x = node_at(def, a), y = node_at(def, b);
    if (x->h != y->h || x->w != y->w || (op == ANAS_OP_ADD && x->c != y->c))
        return poison(def, ANAS_ESHAPE, name, "input shapes differ");
    *n = (struct anas__nn_node){.op = op, .in = {a, b}, .c = x->c, .h = x->h, .w = x->w};
    if (op == ANAS_OP_CONCAT)
        n->c = x->c + y->c;
    return 0;
}

int anas_netdef_add(struct anas_netdef *def, int a, int b, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = two_inputs(def, a, b, ANAS_OP_ADD, name, &n);
    return rc ? rc : push(def, &n, name);
}

int anas_netdef_concat(struct anas_netdef *def, int a, int b, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = two_inputs(def, a, b, ANAS_OP_CONCAT, name, &n);
    return rc ? rc : push(def, &n, name);
}

int anas_netdef_flatten(struct anas_netdef *def, int in, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_FLATTEN, name, &n);
    if (rc)
        return rc;
    n.c = n.c * n.h * n.w; /* fits: checked when the input was added */
    n.h = n.w = 1;
    return push(def, &n, name);
}

int anas_netdef_reshape(struct anas_netdef *def, int in, int c, int h, int w,
                        const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_RESHAPE, name, &n);
    if (rc)
        return rc;
    if (c < 1 || h < 1 || w < 1 || (long long)c * h * w != (long long)n.c * n.h * n.w)
        return poison(def, ANAS_ESHAPE, name, "reshape must keep the number of values");
    n.c = c, n.h = h, n.w = w;
    return push(def, &n, name);
}

int anas_netdef_dropout(struct anas_netdef *def, int in, float p, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_DROPOUT, name, &n);
    if (rc)
        return rc;
    /* p == 1 would scale by infinity; written as "p < 1" so NaN fails too. */
    if (!(p >= 0.0f && p < 1.0f))
        return poison(def, ANAS_EINVAL, name, "dropout probability must be in [0, 1)");
    n.p = p;
    return push(def, &n, name);
}

int anas_netdef_shift(struct anas_netdef *def, int in, const char *name)
{
    struct anas__nn_node n;
    int rc;

    if (!def)
        return ANAS_EINVAL;
    rc = same_shape(def, in, ANAS_OP_SHIFT, name, &n);
    return rc ? rc : push(def, &n, name);
}

int anas_netdef_output(struct anas_netdef *def, int node)
{
    if (!def)
        return ANAS_EINVAL;
    if (def->rc)
        return def->rc;
    if (node < 0 || node >= def->n)
        return poison(def, ANAS_EINVAL, "", "output is not a node");
    def->output = node;
    return node;
}

int anas_netdef_n_nodes(const struct anas_netdef *def)
{
    return def ? def->n : 0;
}

int anas_netdef_shape(const struct anas_netdef *def, int node, int *c, int *h, int *w)
{
    const struct anas__nn_node *x;

    if (!def || node < 0 || node >= def->n)
        return ANAS_EINVAL;
    x = node_at(def, node);
    if (c)
        *c = x->c;
    if (h)
        *h = x->h;
    if (w)
        *w = x->w;
    return 0;
}

size_t anas_netdef_n_params(const struct anas_netdef *def)
{
    size_t n = 0;

    if (!def)
        return 0;
    for (int i = 0; i < def->n; i++)
        n += def->nodes[i].n_weight + def->nodes[i].n_bias;
    return n;
}

int anas_netdef_error(const struct anas_netdef *def, struct anas_error *err)
{
    if (!def)
        return anas_error_set(err, ANAS_EINVAL, "no netdef");
    if (err) {
        if (def->rc)
            *err = def->err;
        else
            anas_error_clear(err);
    }
    return def->rc;
}
