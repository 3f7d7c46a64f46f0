/*
 * bench-train.c - the C half of tests/bench/train-vs-torch: how fast our
 * engine trains and infers one network, how fast OpenBLAS's sgemm is on
 * this machine, and how fast our convolutions are next to it.
 *
 *     bench-train mode=net space=resnet input=1x28x28 classes=10 batch=128 \
 *                 seconds=3 hp.out_channel0=8 hp.M=2 ...
 *     bench-train mode=convs space=resnet input=... hp....
 *     bench-train mode=sgemm n=1024 seconds=2
 *
 * Every mode prints one line of key=value pairs (the script parses it):
 *
 *   net    train_ips, infer_ips (images per second), params, net_mb (what
 *          the net allocated), rss0_kb (ru_maxrss before building the net)
 *          and maxrss_kb (after everything). A training step is forward in
 *          training mode, softmax cross-entropy, zero_grad, backward and an
 *          SGD step (momentum 0.9, weight decay 5e-4), as torch_bench.py's;
 *          inference is an eval-mode forward.
 *   convs  every conv2d layer of the network (anas_space_layers), timed
 *          alone as a small net of its shape (see time_conv): fwd_gflop and
 *          train_gflop per
 *          batch, fwd_ms and train_ms per batch summed over the layers,
 *          hence fwd_gflops and train_gflops (GFLOP/s). Backward counts
 *          2 MACs-worth of FLOPs for the weight gradient and 2 for the input
 *          gradient (none for the stem).
 *   sgemm  n x n x n single-precision products through anas_blas_sgemm:
 *          gflops.
 *
 * threads=n (default 1): the net runs on n threads of its own
 * (anas_net_set_threads) with OpenBLAS single-threaded, as the engine is
 * meant to be used; mode=sgemm leaves OpenBLAS its own thread count (run
 * it with OPENBLAS_NUM_THREADS=n).
 * Timing: two warm-up iterations, one timed to size the run, then a fixed
 * number of iterations chosen to last about `seconds`, timed together.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/rng.h"
#include "data/data.h"
#include "nn/net.h"
#include "space/space.h"
#include "tensor/blas.h"

#define MAX_ARGS 64
#define WARMUP   2

struct opts {
    const char *mode;
    const char *space;
    struct anas_shape shape;
    int batch;
    int threads;
    double seconds;
    int n; /* sgemm side */
    int n_hp;
    const char *hp_name[MAX_ARGS];
    double hp_value[MAX_ARGS];
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench-train mode=net|convs|sgemm [space=NAME input=CxHxW "
                    "classes=K batch=B threads=T seconds=S n=N hp.NAME=VALUE ...]\n");
    return 2;
}

static int parse(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){.mode = "net",
                       .space = "resnet",
                       .shape = {1, 28, 28, 10},
                       .batch = 128,
                       .threads = 1,
                       .seconds = 3,
                       .n = 1024};
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        const char *v;

        if (!eq)
            return -1;
        *eq = '\0';
        v = eq + 1;
        if (!strcmp(argv[i], "mode"))
            o->mode = v;
        else if (!strcmp(argv[i], "space"))
            o->space = v;
        else if (!strcmp(argv[i], "input")) {
            if (sscanf(v, "%dx%dx%d", &o->shape.c, &o->shape.h, &o->shape.w) != 3)
                return -1;
        } else if (!strcmp(argv[i], "classes"))
            o->shape.classes = (int)strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "batch"))
            o->batch = (int)strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "threads"))
            o->threads = (int)strtol(v, NULL, 10);
        else if (!strcmp(argv[i], "seconds"))
            o->seconds = strtod(v, NULL);
        else if (!strcmp(argv[i], "n"))
            o->n = (int)strtol(v, NULL, 10);
        else if (!strncmp(argv[i], "hp.", 3) && o->n_hp < MAX_ARGS) {
            o->hp_name[o->n_hp] = argv[i] + 3;
            o->hp_value[o->n_hp++] = strtod(v, NULL);
        } else
            return -1;
    }
    return o->batch > 0 && o->threads > 0 && o->seconds > 0 && o->n > 0 ? 0 : -1;
}

/* Iterations that fill about `seconds`, from the time of one. */
static long iterations(double one, double seconds)
{
    double n = one > 0 ? ceil(seconds / one) : 1000;

    return n < 3 ? 3 : n > 100000 ? 100000 : (long)n;
}

/* --- sgemm --- */

static int bench_sgemm(const struct opts *o)
{
    size_t nn = (size_t)o->n * (size_t)o->n;
    float *a = anas_malloc(nn * sizeof(float)), *b = anas_malloc(nn * sizeof(float));
    float *c = anas_malloc(nn * sizeof(float));
    struct anas_rng rng;
    double t, one;
    long n_iter;

    if (!a || !b || !c) {
        fprintf(stderr, "bench-train: out of memory\n");
        return 1;
    }
    anas_rng_seed(&rng, 1);
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)anas_rng_normal(&rng);
        b[i] = (float)anas_rng_normal(&rng);
    }
    for (int i = 0; i < WARMUP; i++)
        anas_blas_sgemm(0, 0, o->n, o->n, o->n, 1, a, o->n, b, o->n, 0, c, o->n);
    t = now();
    anas_blas_sgemm(0, 0, o->n, o->n, o->n, 1, a, o->n, b, o->n, 0, c, o->n);
    one = now() - t;
    n_iter = iterations(one, o->seconds);
    t = now();
    for (long i = 0; i < n_iter; i++)
        anas_blas_sgemm(0, 0, o->n, o->n, o->n, 1, a, o->n, b, o->n, 0, c, o->n);
    t = now() - t;
    printf("mode=sgemm n=%d iters=%ld gflops=%.2f\n", o->n, n_iter,
           2.0 * o->n * (double)nn * (double)n_iter / t * 1e-9);
    anas_free(a);
    anas_free(b);
    anas_free(c);
    return 0;
}

/* --- a network --- */

static int make_config(const struct opts *o, const struct anas_space **s,
                       struct anas_config *cfg)
{
    struct anas_error err = {0};
    int rc;

    if (!(*s = anas_space_find(o->space))) {
        fprintf(stderr, "bench-train: no space %s\n", o->space);
        return -1;
    }
    anas_config_init(cfg, *s);
    for (int i = 0; i < o->n_hp; i++) {
        int j = anas_space_hp_index(*s, o->hp_name[i]);
        if (j < 0) {
            fprintf(stderr, "bench-train: %s has no hyperparameter %s\n", o->space,
                    o->hp_name[i]);
            return -1;
        }
        cfg->v[j] = o->hp_value[i];
    }
    if ((rc = anas_space_validate(*s, cfg, &err)) < 0) {
        fprintf(stderr, "bench-train: %s: %s\n", anas_err_name(rc), err.msg);
        return -1;
    }
    return 0;
}

struct bench_net {
    struct anas_netdef *def;
    struct anas_net *net;
    struct anas_optim *opt;
    float *dout;
};

static void bench_net_fini(struct bench_net *b)
{
    anas_free(b->dout);
    anas_optim_free(b->opt);
    anas_net_free(b->net);
    anas_netdef_free(b->def);
}

/* Instantiate def (taken) for batch B with SGD, on `threads` threads. */
static int bench_net_init(struct bench_net *b, struct anas_netdef *def, int B,
                          int threads, size_t n_out)
{
    struct anas_optim_spec sgd = {
        .kind = ANAS_OPTIM_SGD, .lr = 0.01f, .momentum = 0.9f, .weight_decay = 5e-4f};
    struct anas_error err = {0};
    struct anas_rng rng;

    memset(b, 0, sizeof(*b));
    b->def = def;
    if (!(b->net = anas_net_new(def, B, &err)) ||
        !(b->opt = anas_optim_new(&sgd, anas_netdef_n_params(def), &err)) ||
        !(b->dout = anas_calloc(n_out, sizeof(float))) ||
        anas_net_set_threads(b->net, threads, &err) < 0) {
        fprintf(stderr, "bench-train: %s\n", err.msg[0] ? err.msg : "out of memory");
        return -1;
    }
    anas_rng_seed(&rng, 1);
    anas_net_init(b->net, &rng);
    return 0;
}

/* One training step on batch `x`, `y`. */
static int train_step(struct bench_net *b, const float *x, const int *y, int B, int K,
                      struct anas_rng *rng)
{
    const float *logits;
    float loss;
    int rc;

    if ((rc = anas_net_forward(b->net, x, B, 1, rng, &logits)) < 0 ||
        (rc = anas_loss_xent(&loss, b->dout, logits, y, B, K)) < 0)
        return rc;
    anas_net_zero_grad(b->net);
    if ((rc = anas_net_backward(b->net, b->dout)) < 0)
        return rc;
    return anas_net_optim_step(b->net, b->opt);
}

static int bench_network(const struct opts *o)
{
    const struct anas_space *s;
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_netdef *def = NULL;
    struct anas_dataset *d = NULL;
    struct bench_net b;
    struct anas_rng rng;
    const float *out;
    long rss0 = maxrss_kb(), n_iter;
    int B = o->batch, K = o->shape.classes, n_batches = 4, rc = 1;
    size_t per = (size_t)o->shape.c * o->shape.h * o->shape.w;
    double t, one, train_ips, infer_ips;

    memset(&b, 0, sizeof b);
    if (make_config(o, &s, &cfg) < 0)
        return 1;
    if (anas_space_build(s, &o->shape, &cfg, &def, &err) < 0) {
        fprintf(stderr, "bench-train: build: %s\n", err.msg);
        return 1;
    }
    if (bench_net_init(&b, def, B, o->threads, (size_t)B * K) < 0)
        goto out;
    /* Fashion-MNIST's shape, made up: a few batches, cycled. */
    if (!(d = anas_data_synthetic(n_batches * B, o->shape.c, o->shape.h, o->shape.w, K, 1,
                                  &err))) {
        fprintf(stderr, "bench-train: data: %s\n", err.msg);
        goto out;
    }
    anas_rng_seed(&rng, 2);

#define BATCH(i)                                                                         \
    (d->x + (size_t)((i) % n_batches) * B * per), (d->y + ((i) % n_batches) * B)
    for (int i = 0; i < WARMUP; i++)
        if (train_step(&b, BATCH(i), B, K, &rng) < 0)
            goto fail;
    t = now();
    if (train_step(&b, BATCH(0), B, K, &rng) < 0)
        goto fail;
    one = now() - t;
    n_iter = iterations(one, o->seconds);
    t = now();
    for (long i = 0; i < n_iter; i++)
        if (train_step(&b, BATCH(i), B, K, &rng) < 0)
            goto fail;
    train_ips = (double)n_iter * B / (now() - t);

    for (int i = 0; i < WARMUP; i++)
        if (anas_net_forward(b.net, d->x, B, 0, &rng, &out) < 0)
            goto fail;
    t = now();
    if (anas_net_forward(b.net, d->x, B, 0, &rng, &out) < 0)
        goto fail;
    one = now() - t;
    n_iter = iterations(one, o->seconds);
    t = now();
    for (long i = 0; i < n_iter; i++)
        if (anas_net_forward(b.net, d->x + (size_t)(i % n_batches) * B * per, B, 0, &rng,
                             &out) < 0)
            goto fail;
    infer_ips = (double)n_iter * B / (now() - t);
#undef BATCH

    printf("mode=net space=%s params=%zu train_ips=%.1f infer_ips=%.1f net_mb=%.1f "
           "rss0_kb=%ld maxrss_kb=%ld\n",
           o->space, anas_netdef_n_params(def), train_ips, infer_ips,
           (double)anas_net_bytes(b.net) / 1048576.0, rss0, maxrss_kb());
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "bench-train: a training or inference step failed\n");
out:
    anas_data_free(d);
    bench_net_fini(&b);
    return rc;
}

/* --- its convolutions alone --- */

/* Per-batch seconds of a forward, and of a forward plus backward, of the
 * net `def` (taken) on random inputs and output gradients. */
static int time_net(const struct opts *o, struct anas_netdef *def, double *fwd_s,
                    double *train_s)
{
    int B = o->batch, c, h, w, rc = -1;
    struct bench_net b;
    struct anas_rng rng;
    const float *out;
    float *x = NULL;
    size_t n_in, n_out;
    double t, one;
    long n_iter;

    memset(&b, 0, sizeof b);
    if (anas_netdef_shape(def, 0, &c, &h, &w) < 0)
        goto out;
    n_in = (size_t)B * c * h * w;
    if (anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w) < 0)
        goto out;
    n_out = (size_t)B * c * h * w;
    rc = bench_net_init(&b, def, B, o->threads, n_out);
    def = NULL; /* b owns it now */
    if (rc < 0 || !(x = anas_malloc(n_in * sizeof(float)))) {
        rc = -1;
        goto out;
    }
    rc = -1;
    anas_rng_seed(&rng, 3);
    for (size_t i = 0; i < n_in; i++)
        x[i] = (float)anas_rng_normal(&rng);
    for (size_t i = 0; i < n_out; i++)
        b.dout[i] = (float)anas_rng_normal(&rng);

    for (int i = 0; i < WARMUP; i++)
        if (anas_net_forward(b.net, x, B, 0, &rng, &out) < 0)
            goto out;
    t = now();
    anas_net_forward(b.net, x, B, 0, &rng, &out);
    one = now() - t;
    /* A tenth of the budget per layer shape and direction. */
    n_iter = iterations(one, o->seconds / 10);
    t = now();
    for (long i = 0; i < n_iter; i++)
        anas_net_forward(b.net, x, B, 0, &rng, &out);
    *fwd_s = (now() - t) / (double)n_iter;

    for (int i = 0; i < WARMUP; i++) {
        anas_net_forward(b.net, x, B, 1, &rng, &out);
        anas_net_zero_grad(b.net);
        if (anas_net_backward(b.net, b.dout) < 0)
            goto out;
    }
    t = now();
    anas_net_forward(b.net, x, B, 1, &rng, &out);
    anas_net_zero_grad(b.net);
    anas_net_backward(b.net, b.dout);
    one = now() - t;
    n_iter = iterations(one, o->seconds / 10);
    t = now();
    for (long i = 0; i < n_iter; i++) {
        anas_net_forward(b.net, x, B, 1, &rng, &out);
        anas_net_zero_grad(b.net);
        anas_net_backward(b.net, b.dout);
    }
    *train_s = (now() - t) / (double)n_iter;
    rc = 0;
out:
    anas_netdef_free(def);
    anas_free(x);
    bench_net_fini(&b);
    return rc;
}

/* Time one conv layer of the network alone: per-batch seconds of a
 * forward, and of a forward plus backward. A net computes gradients only
 * downstream of a trainable node, so to time the input gradient that the
 * layer computes inside the network, the conv reads BN -> ReLU of the input
 * and the time of BN -> ReLU alone is taken off. The stem reads the images
 * directly and computes no input gradient, in the network as here. */
static int time_conv(const struct opts *o, const struct anas_layer *l, int first,
                     double *fwd_s, double *train_s)
{
    int bias = l->params > (long long)l->kernel * l->kernel * l->in_c * l->out_c;
    struct anas_netdef *def = anas_netdef_new(l->in_c, l->in_h, l->in_w), *pre = NULL;
    double pre_fwd = 0, pre_train = 0;
    int x = 0;

    if (!def)
        return -1;
    if (!first) {
        x = anas_netdef_batchnorm(def, x, "bn");
        x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu");
        if (!(pre = anas_netdef_new(l->in_c, l->in_h, l->in_w))) {
            anas_netdef_free(def);
            return -1;
        }
        anas_netdef_act(pre, anas_netdef_batchnorm(pre, 0, "bn"), ANAS_OP_RELU, "relu");
    }
    anas_netdef_conv2d(def, x, l->out_c, l->kernel, l->stride, l->pad, bias, "conv");
    if (time_net(o, def, fwd_s, train_s) < 0) {
        anas_netdef_free(pre);
        return -1;
    }
    if (pre && time_net(o, pre, &pre_fwd, &pre_train) < 0)
        return -1;
    *fwd_s -= pre_fwd;
    *train_s -= pre_train;
    return 0;
}

static int same_shape(const struct anas_layer *a, const struct anas_layer *b)
{
    return a->in_c == b->in_c && a->in_h == b->in_h && a->in_w == b->in_w &&
           a->out_c == b->out_c && a->kernel == b->kernel && a->stride == b->stride &&
           a->pad == b->pad && a->params == b->params;
}

static int bench_convs(const struct opts *o)
{
    const struct anas_space *s;
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_layer *layers = NULL;
    double *fwd = NULL, *train = NULL;
    double fwd_s = 0, train_s = 0, fwd_flop = 0, train_flop = 0;
    int n = 0, n_conv = 0, first = -1, rc = 1;

    if (make_config(o, &s, &cfg) < 0)
        return 1;
    if (anas_space_layers(s, &o->shape, &cfg, &anas_mapping_default, &layers, &n, &err) <
        0) {
        fprintf(stderr, "bench-train: layers: %s\n", err.msg);
        return 1;
    }
    fwd = anas_calloc((size_t)n + 1, sizeof(double));
    train = anas_calloc((size_t)n + 1, sizeof(double));
    if (!fwd || !train)
        goto out;
    for (int i = 0; i < n; i++) {
        const struct anas_layer *l = &layers[i];
        int same = -1;
        double macs = (double)l->macs * o->batch;

        if (strcmp(l->kind, "conv2d") != 0)
            continue;
        if (first < 0)
            first = i;
        /* Repeated shapes are timed once and counted each time. */
        for (int j = first + 1; j < i && same < 0 && i != first; j++)
            if (!strcmp(layers[j].kind, "conv2d") && same_shape(&layers[j], l))
                same = j;
        if (same >= 0) {
            fwd[i] = fwd[same], train[i] = train[same];
        } else {
            if (time_conv(o, l, i == first, &fwd[i], &train[i]) < 0) {
                fprintf(stderr, "bench-train: timing %s failed\n", l->name);
                goto out;
            }
            printf("# conv %dx%dx%d -> %d k%d s%d p%d%s: fwd %.3f ms (%.2f GFLOP/s), "
                   "fwd+bwd %.3f ms (%.2f GFLOP/s)\n",
                   l->in_c, l->in_h, l->in_w, l->out_c, l->kernel, l->stride, l->pad,
                   i == first ? " (stem, no input gradient)" : "", fwd[i] * 1e3,
                   2 * macs / fwd[i] * 1e-9, train[i] * 1e3,
                   (i == first ? 4 : 6) * macs / train[i] * 1e-9);
        }
        fwd_s += fwd[i];
        train_s += train[i];
        fwd_flop += 2 * macs;
        train_flop += (i == first ? 4 : 6) * macs;
        n_conv++;
    }
    printf("mode=convs space=%s convs=%d fwd_gflop=%.4f train_gflop=%.4f fwd_ms=%.3f "
           "train_ms=%.3f fwd_gflops=%.2f train_gflops=%.2f\n",
           o->space, n_conv, fwd_flop * 1e-9, train_flop * 1e-9, fwd_s * 1e3,
           train_s * 1e3, fwd_s > 0 ? fwd_flop / fwd_s * 1e-9 : 0,
           train_s > 0 ? train_flop / train_s * 1e-9 : 0);
    rc = 0;
out:
    anas_free(fwd);
    anas_free(train);
    anas_free(layers);
    return rc;
}

int main(int argc, char **argv)
{
    struct opts o;

    if (argc > MAX_ARGS || parse(&o, argc, argv) < 0)
        return usage();
    if (!strcmp(o.mode, "sgemm"))
        return bench_sgemm(&o);
    anas_blas_set_threads(1); /* the net's threads call it */
    if (!strcmp(o.mode, "net"))
        return bench_network(&o);
    if (!strcmp(o.mode, "convs"))
        return bench_convs(&o);
    return usage();
}
