/*
 * nn-net.c - building and instantiating nets: shapes and parameter counts,
 * state_dict tensor names and layout, PyTorch's default initialisation
 * (statistically), a training step that allocates nothing, determinism,
 * and the error paths (poisoned netdefs, bad batches, out of memory).
 */
#include "config.h"

#include "nn/net.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "tensor/team.h"

#include "tap.h"

/* A small CNN touching every layer kind with parameters or state. */
static struct anas_netdef *small_cnn(void)
{
    struct anas_netdef *def = anas_netdef_new(3, 16, 16);
    int x, y;

    x = anas_netdef_conv2d(def, 0, 16, 3, 1, 1, 0, "features.0"); /* 16x16x16 */
    x = anas_netdef_batchnorm(def, x, "features.1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "features.2");
    y = anas_netdef_conv2d(def, x, 16, 3, 1, 1, 1, "block.conv");
    x = anas_netdef_add(def, x, y, "block.add");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "pool"); /* 16x8x8 */
    y = anas_netdef_convt2d(def, x, 8, 4, 2, 1, 0, 1, "up");        /* 8x16x16 */
    y = anas_netdef_pool(def, y, ANAS_OP_AVGPOOL, 2, 2, 0, "down"); /* 8x8x8 */
    x = anas_netdef_concat(def, x, y, "cat");                       /* 24x8x8 */
    x = anas_netdef_conv2d(def, x, 32, 1, 1, 0, 1, "proj");
    x = anas_netdef_gap(def, x, "gap");
    x = anas_netdef_flatten(def, x, "flat");
    x = anas_netdef_dropout(def, x, 0.5f, "drop");
    anas_netdef_linear(def, x, 10, 1, "classifier");
    return def;
}

static void shapes_and_counts(void)
{
    struct anas_netdef *def = small_cnn();
    struct anas_error err;
    int c, h, w;
    size_t want = 16 * 3 * 9 + 2 * 16 + 16 * 16 * 9 + 16 + 16 * 8 * 16 + 8 + 24 * 32 +
                  32 + 32 * 10 + 10;

    ok(anas_netdef_error(def, &err) == 0, "small CNN builds");
    is_int(anas_netdef_n_nodes(def), 15, "15 nodes with the input");
    is_int(anas_netdef_n_params(def), want,
           "n_params counts weights and biases, not BN stats");
    anas_netdef_shape(def, 7, &c, &h, &w);
    ok(c == 8 && h == 16 && w == 16, "convt2d k4 s2 p1 doubles 8x8 (%dx%dx%d)", c, h, w);
    anas_netdef_shape(def, 9, &c, &h, &w);
    ok(c == 24 && h == 8 && w == 8, "concat adds channels");
    anas_netdef_shape(def, 12, &c, &h, &w);
    ok(c == 32 && h == 1 && w == 1, "flatten gives (C*H*W, 1, 1)");
    ok(anas_netdef_shape(def, 15, &c, &h, &w) == ANAS_EINVAL, "shape of a bad index");
    anas_netdef_free(def);
}

static void tensors(void)
{
    static const char *names[] = {"features.0.weight",
                                  "features.1.weight",
                                  "features.1.bias",
                                  "features.1.running_mean",
                                  "features.1.running_var",
                                  "features.1.num_batches_tracked",
                                  "block.conv.weight",
                                  "block.conv.bias",
                                  "up.weight",
                                  "up.bias",
                                  "proj.weight",
                                  "proj.bias",
                                  "classifier.weight",
                                  "classifier.bias"};
    struct anas_netdef *def = small_cnn();
    struct anas_net *net = anas_net_new(def, 4, NULL);
    const struct anas_net_tensor *t;
    size_t np, ns, at_p = 0, at_s = 0;
    int n = anas_net_n_tensors(net), good = 1, contiguous = 1;

    anas_net_params(net, &np);
    anas_net_state(net, &ns);
    is_int(n, 14, "14 state_dict tensors");
    for (int i = 0; i < n && i < 14; i++) {
        t = anas_net_tensor(net, i);
        if (strcmp(t->name, names[i]) != 0) {
            printf("#   tensor %d is %s, want %s\n", i, t->name, names[i]);
            good = 0;
        }
        /* each buffer is the tensors back to back, in this order */
        if (t->offset != (t->trainable ? at_p : at_s))
            contiguous = 0;
        *(t->trainable ? &at_p : &at_s) += t->count;
    }
    ok(good, "tensor names are PyTorch state_dict keys, in state_dict order");
    ok(contiguous && at_p == np && at_s == ns,
       "tensors tile the params and state buffers");
    is_int(np, anas_netdef_n_params(def), "params buffer holds n_params floats");
    is_int(ns, 2 * 16 + 1, "state buffer: running mean, var and a batch count");
    t = anas_net_tensor(net, 8);
    ok(t->ndim == 4 && t->dims[0] == 16 && t->dims[1] == 8 && t->dims[2] == 4,
       "convt2d weight is (C, OC, K, K) as ConvTranspose2d");
    t = anas_net_tensor(net, 12);
    ok(t->ndim == 2 && t->dims[0] == 10 && t->dims[1] == 32,
       "linear weight is (out, in)");
    t = anas_net_tensor(net, 5);
    ok(t->ndim == 0 && t->count == 1 && !t->trainable, "num_batches_tracked is a scalar");
    ok(anas_net_tensor(net, 14) == NULL && anas_net_def(net) != NULL, "bounds, def");
    ok(anas_net_bytes(net) > np * 2 * sizeof(float), "bytes counts the buffers");
    anas_net_free(net);
    anas_netdef_free(def);
}

/* Moments of n draws that should be uniform on [-b, b]: all inside, mean
 * ~0 and variance ~b^2/3 within 5 standard errors. */
static void uniform_ok(const float *x, size_t n, double b, const char *what)
{
    double s = 0.0, ss = 0.0, var;
    int inside = 1;

    for (size_t i = 0; i < n; i++) {
        inside &= fabs(x[i]) <= b;
        s += x[i];
        ss += (double)x[i] * x[i];
    }
    var = ss / n;
    ok(inside && fabs(s / n) < 5.0 * b / sqrt(3.0 * n) &&
           fabs(var - b * b / 3.0) < 5.0 * b * b * sqrt(4.0 / 45.0 / n),
       "%s: uniform(+-%.4g) (mean %.3g, var %.4g vs %.4g)", what, b, s / n, var,
       b * b / 3);
}

static void init(void)
{
    struct anas_netdef *def = anas_netdef_new(8, 8, 8);
    struct anas_net *net;
    struct anas_rng rng;
    float *p, *st;
    const struct anas_net_tensor *t;
    int x;

    x = anas_netdef_conv2d(def, 0, 64, 3, 1, 1, 1, "conv"); /* fan_in 72 */
    x = anas_netdef_batchnorm(def, x, "bn");
    x = anas_netdef_convt2d(def, x, 16, 3, 1, 1, 0, 1, "convt"); /* fan_in 16*9 */
    x = anas_netdef_flatten(def, x, "flat");
    anas_netdef_linear(def, x, 20, 1, "fc"); /* fan_in 1024 */
    net = anas_net_new(def, 2, NULL);
    anas_rng_seed(&rng, 7);
    anas_net_init(net, &rng);
    p = anas_net_params(net, NULL);
    st = anas_net_state(net, NULL);
    t = anas_net_tensor(net, 0);
    uniform_ok(p + t->offset, t->count, 1.0 / sqrt(72.0),
               "conv weight, kaiming a=sqrt(5)");
    t = anas_net_tensor(net, 1);
    uniform_ok(p + t->offset, t->count, 1.0 / sqrt(72.0), "conv bias, 1/sqrt(fan_in)");
    t = anas_net_tensor(net, 7);
    uniform_ok(p + t->offset, t->count, 1.0 / sqrt(144.0),
               "convt weight, fan_in from weight dim 1 (OC*K*K)");
    t = anas_net_tensor(net, 9);
    uniform_ok(p + t->offset, t->count, 1.0 / sqrt(1024.0), "linear weight");
    t = anas_net_tensor(net, 2);
    ok(p[t->offset] == 1.0f && p[t->offset + 63] == 1.0f && p[t->offset + 64] == 0.0f &&
           st[0] == 0.0f && st[64] == 1.0f && st[128] == 0.0f,
       "batch norm: weight 1, bias 0, running mean 0, var 1, no batches");
    anas_net_free(net);
    anas_netdef_free(def);
}

/* One full training step; returns the first error. */
static int step(struct anas_net *net, struct anas_optim *opt, const float *x,
                const int *y, int B, struct anas_rng *rng, float *loss, float *dlogits)
{
    const float *logits;
    int rc = anas_net_forward(net, x, B, 1, rng, &logits);

    if (!rc)
        rc = anas_loss_xent(loss, dlogits, logits, y, B, 10);
    if (!rc) {
        anas_net_zero_grad(net);
        rc = anas_net_backward(net, dlogits);
    }
    if (!rc && anas_net_threads(net) > 1)
        rc = anas_net_optim_step(net, opt);
    else if (!rc)
        anas_optim_step(opt, anas_net_params(net, NULL), anas_net_grads(net, NULL));
    return rc;
}

struct trained {
    float loss[3];
    float *params;
    size_t n;
};

/* Three steps on a fixed batch; on `threads` threads (the last steps
 * through anas_net_optim_step then). */
static void train3_on(struct trained *out, uint64_t seed, int threads)
{
    enum { B = 6 };
    struct anas_netdef *def = small_cnn();
    struct anas_net *net = anas_net_new(def, 8, NULL);
    struct anas_optim_spec spec = {.kind = ANAS_OPTIM_SGD, .lr = 0.05f, .momentum = 0.9f};
    struct anas_optim *opt;
    struct anas_rng rng;
    static float x[B * 3 * 16 * 16];
    float dlogits[B * 10];
    int y[B], rc = 0;

    anas_rng_seed(&rng, seed);
    anas_net_set_threads(net, threads, NULL);
    anas_net_init(net, &rng);
    opt = anas_optim_new(&spec, anas_netdef_n_params(def), NULL);
    for (int i = 0; i < B * 3 * 16 * 16; i++)
        x[i] = (float)anas_rng_normal(&rng);
    for (int i = 0; i < B; i++)
        y[i] = i % 10;
    for (int s = 0; s < 3; s++) {
        if (s == 1)
            anas_alloc_fail_after(0);
        rc |= step(net, opt, x, y, B, &rng, &out->loss[s], dlogits);
        anas_alloc_fail_after(-1);
    }
    ok(rc == 0, "training steps succeed, one with every allocation failing");
    out->params = anas_net_params(net, &out->n);
    out->params =
        memcpy(malloc(out->n * sizeof(float)), out->params, out->n * sizeof(float));
    anas_optim_free(opt);
    anas_net_free(net);
    anas_netdef_free(def);
}

static void train3(struct trained *out, uint64_t seed)
{
    train3_on(out, seed, 1);
}

static void training(void)
{
    struct trained a, b, c;

    train3(&a, 1);
    train3(&b, 1);
    train3(&c, 2);
    ok(a.loss[2] < a.loss[0], "the loss goes down on a fixed batch (%.4f -> %.4f)",
       a.loss[0], a.loss[2]);
    ok(memcmp(a.loss, b.loss, sizeof(a.loss)) == 0 &&
           memcmp(a.params, b.params, a.n * sizeof(float)) == 0,
       "same seed: bit-identical losses and parameters");
    ok(memcmp(a.params, c.params, a.n * sizeof(float)) != 0, "another seed differs");
    free(a.params), free(b.params), free(c.params);
}

/* Nets on threads: the same training as on one (up to the order of float
 * sums), deterministic, and the thread count's errors. */
static void threads(void)
{
    struct trained a, b, c;
    struct anas_netdef *def = small_cnn();
    struct anas_net *net = anas_net_new(def, 4, NULL);
    struct anas_optim_spec spec = {.kind = ANAS_OPTIM_SGD, .lr = 0.1f};
    struct anas_optim *small = anas_optim_new(&spec, 10, NULL);
    struct anas_error err;
    double worst = 0.0;

    ok(anas_net_threads(net) == 1, "a net starts on one thread");
    ok(anas_net_set_threads(net, 0, &err) == ANAS_EINVAL &&
           anas_net_set_threads(net, ANAS_TEAM_MAX + 1, NULL) == ANAS_EINVAL,
       "thread counts out of 1..%d: ANAS_EINVAL", ANAS_TEAM_MAX);
    ok(anas_net_set_threads(net, 3, NULL) == 0 && anas_net_threads(net) == 3,
       "three threads");
    anas_alloc_fail_after(0);
    ok(anas_net_set_threads(net, 2, &err) == ANAS_ENOMEM && anas_net_threads(net) == 3,
       "out of memory: ANAS_ENOMEM, the net keeps its threads");
    anas_alloc_fail_after(-1);
    ok(anas_net_set_threads(net, 1, NULL) == 0 && anas_net_threads(net) == 1,
       "back to one thread");
    ok(anas_net_optim_step(net, small) == ANAS_EINVAL,
       "an optimizer for another parameter count: ANAS_EINVAL");
    anas_optim_free(small);
    anas_net_free(net);
    anas_netdef_free(def);

    train3_on(&a, 1, 1);
    train3_on(&b, 1, 2);
    train3_on(&c, 1, 2);
    for (size_t i = 0; i < a.n; i++)
        if (fabs((double)a.params[i] - b.params[i]) > worst)
            worst = fabs((double)a.params[i] - b.params[i]);
    ok(worst < 1e-5 && fabs(a.loss[2] - b.loss[2]) < 1e-5 * fabs(a.loss[2]),
       "2 threads train as 1 (loss %.6f vs %.6f, parameters within %.2g)", a.loss[2],
       b.loss[2], worst);
    ok(memcmp(b.params, c.params, b.n * sizeof(float)) == 0, "2 threads: deterministic");
    free(a.params), free(b.params), free(c.params);
}

static void errors(void)
{
    struct anas_netdef *def = anas_netdef_new(1, 4, 4);
    struct anas_net *net;
    struct anas_error err;
    struct anas_rng rng;
    float x[2 * 16] = {0}, d[2 * 16] = {0};
    const float *y;
    int a;

    a = anas_netdef_conv2d(def, 0, 2, 5, 1, 0, 1, "big");
    ok(a == ANAS_ESHAPE, "a kernel larger than the input: ANAS_ESHAPE");
    ok(anas_netdef_act(def, 0, ANAS_OP_RELU, "r") == ANAS_ESHAPE,
       "a poisoned netdef returns the first error");
    ok(anas_netdef_error(def, &err) == ANAS_ESHAPE && strcmp(err.field, "big") == 0,
       "anas_netdef_error names the failing node (%s)", err.msg);
    ok(anas_net_new(def, 2, &err) == NULL && err.code == ANAS_ESHAPE,
       "anas_net_new refuses a poisoned netdef");
    anas_netdef_free(def);

    def = anas_netdef_new(1, 4, 4);
    ok(anas_netdef_conv2d(def, 3, 2, 3, 1, 1, 1, "c") == ANAS_EINVAL,
       "input not yet defined");
    anas_netdef_free(def);
    def = anas_netdef_new(1, 4, 4);
    a = anas_netdef_conv2d(def, 0, 2, 3, 1, 1, 1, "c");
    ok(anas_netdef_conv2d(def, a, 2, 3, 1, 1, 1, "c") == ANAS_EEXIST, "duplicate names");
    anas_netdef_free(def);
    def = anas_netdef_new(1, 4, 4);
    ok(anas_netdef_dropout(def, 0, 1.0f, "d") == ANAS_EINVAL, "dropout p = 1");
    anas_netdef_free(def);
    def = anas_netdef_new(2, 4, 4);
    a = anas_netdef_reshape(def, 0, 8, 2, 2, "view");
    {
        int c, h, w;

        anas_netdef_shape(def, a, &c, &h, &w);
        ok(a == 1 && c == 8 && h == 2 && w == 2, "reshape (2,4,4) to (8,2,2)");
    }
    ok(anas_netdef_reshape(def, a, 3, 2, 2, "bad") == ANAS_ESHAPE,
       "reshape to another number of values");
    anas_netdef_free(def);
    def = anas_netdef_new(1, 4, 4);
    ok(anas_netdef_convt2d(def, 0, 1, 3, 2, 1, 2, 0, "t") == ANAS_EINVAL,
       "convt output padding >= stride");
    anas_netdef_free(def);
    def = anas_netdef_new(2, 4, 4);
    a = anas_netdef_conv2d(def, 0, 3, 1, 1, 0, 1, "c");
    ok(anas_netdef_add(def, 0, a, "add") == ANAS_ESHAPE, "add of different shapes");
    anas_netdef_free(def);

    def = anas_netdef_new(1, 1, 1);
    a = anas_netdef_conv2d(def, 0, 2, 1, 1, 0, 1, "c");
    anas_netdef_batchnorm(def, a, "bn");
    net = anas_net_new(def, 2, NULL);
    anas_rng_seed(&rng, 1);
    anas_net_init(net, &rng);
    ok(anas_net_forward(net, x, 3, 1, NULL, &y) == ANAS_EINVAL, "batch above max_batch");
    ok(anas_net_backward(net, d) == ANAS_ESTATE, "backward before any forward");
    ok(anas_net_forward(net, x, 1, 1, NULL, &y) == ANAS_ESHAPE,
       "batch norm training on one value per channel");
    ok(anas_net_forward(net, x, 1, 0, NULL, &y) == 0 &&
           anas_net_backward(net, d) == ANAS_ESTATE,
       "backward after an evaluation forward: ANAS_ESTATE");
    anas_net_free(net);
    anas_netdef_free(def);
}

static void out_of_memory(void)
{
    struct anas_netdef *def = small_cnn();
    struct anas_error err;
    struct anas_net *net = NULL;
    int fails = 0, n;

    for (n = 0; n < 100 && !net; n++) {
        anas_alloc_fail_after(n);
        net = anas_net_new(def, 4, &err);
        anas_alloc_fail_after(-1);
        if (!net)
            fails += err.code == ANAS_ENOMEM;
    }
    ok(net && fails == n - 1,
       "anas_net_new: every allocation failure is ANAS_ENOMEM (%d)", fails);
    anas_net_free(net);
    anas_netdef_free(def);

    /* a builder that needs to grow the node table when allocation fails */
    def = anas_netdef_new(1, 4, 4);
    anas_alloc_fail_after(0);
    for (n = 0; n < 20; n++)
        anas_netdef_act(def, n, ANAS_OP_RELU, NULL);
    anas_alloc_fail_after(-1);
    ok(anas_netdef_error(def, NULL) == ANAS_ENOMEM,
       "a netdef that cannot grow is poisoned");
    anas_netdef_free(def);
    anas_alloc_fail_after(0);
    ok(anas_netdef_new(1, 4, 4) == NULL, "anas_netdef_new out of memory");
    anas_alloc_fail_after(-1);
}

int main(void)
{
    plan_later();
    shapes_and_counts();
    tensors();
    init();
    training();
    threads();
    errors();
    out_of_memory();
    return done();
}
