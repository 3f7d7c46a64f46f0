/*
 * bench-analog.c - the C half of tests/bench/analog-overhead: what
 * simulating analog tiles costs next to the digital network it simulates.
 *
 *     bench-analog space=resnet input=1x28x28 classes=10 batch=128 seconds=2 \
 *                  preset=aihwkit-default hp.out_channel0=8 ...
 *
 * Prints one line of key=value pairs:
 *   digital_ips, analog_ips  eval-mode forward, images per second, on the
 *                            digital net and on the programmed, drifted one;
 *   infer_ratio              analog time / digital time per batch;
 *   train_ips, hwa_ips       a training step (forward, loss, backward, SGD)
 *                            digital, and hardware-aware (plus post_step);
 *   train_ratio              hwa time / digital time per step;
 *   program_ms, drift_ms     programming the whole net once; one drift to
 *                            a time (fresh read noise, compensation);
 *   layers, tiles            analog layers and tiles of the net.
 * Timing: a warm-up, one timed run to size the loop, then a loop of about
 * `seconds`. Threads are OpenBLAS's: OPENBLAS_NUM_THREADS.
 *
 * Other modes (each prints its own lines instead):
 *   only=analog|digital  time that inference alone (digital_ips= or
 *                        analog_ips=), for perf record;
 *   iters=N              timed loops run exactly N times (perf stat);
 *   clock=cpu            time by the process's CPU time instead of the
 *                        wall clock: on a loaded machine, A/B comparisons
 *                        of two builds then count only this process's
 *                        work (with one OpenBLAS thread);
 *   layers=1             per analog layer: its tile forward and the sgemm
 *                        of the same product on the net's activations
 *                        (tile_ms, sgemm_ms, tile_x, ns_per_out), then
 *                        layers_total with floor_x (see lp_print);
 *   demo=1               the demo's analog evaluation against its
 *                        training (see demo()): drift_test_per_epoch and
 *                        measure_per_training should stay below 1;
 *   checksum=1           hashes (FNV-1a over the bits) of the digital
 *                        forward's output and of two analog forwards on
 *                        the programmed, drifted net, from fixed seeds: two
 *                        builds that print the same hashes computed the
 *                        same bits (speed work must not change them).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analog/analog.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/rng.h"
#include "nn/net.h"
#include "space/space.h"
#include "tensor/blas.h"

#define MAX_HP 64

/* The demo's evaluator (demo=1): see demo() */
#define DEMO_TRAIN 8000
#define DEMO_TEST 1000
#define DEMO_BATCH 64
#define DEMO_EVAL_BATCH 256
#define DEMO_READS 12 /* 4 drift times x 3 repeats */

struct opts {
    const char *space, *preset;
    const char *only; /* "analog" or "digital": time that inference only (for perf) */
    int layers;       /* profile each analog layer instead */
    long iters;       /* > 0: timed loops run exactly this often (for perf stat) */
    int demo;         /* measure the demo's analog evaluation against its training */
    int checksum;     /* print hashes of the outputs instead of timing */
    struct anas_shape shape;
    int batch;
    double seconds;
    int n_hp;
    const char *hp_name[MAX_HP];
    double hp_value[MAX_HP];
};

/* What one timed loop runs. */
struct bench {
    struct anas_net *net;
    struct anas_anet *an; /* NULL: digital */
    const float *x;
    const int *y;
    float *dout;
    struct anas_optim *opt;
    struct anas_rng rng;
    int B, K;
};

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void)
{
    struct timespec ts;

    clock_gettime(clock_id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int set(struct opts *o, const char *k, const char *v)
{
    if (!strcmp(k, "space"))
        o->space = v;
    else if (!strcmp(k, "preset"))
        o->preset = v;
    else if (!strcmp(k, "only")) {
        o->only = v;
        return !strcmp(v, "analog") || !strcmp(v, "digital") ? 0 : -1;
    }
    else if (!strcmp(k, "layers"))
        o->layers = atoi(v);
    else if (!strcmp(k, "iters"))
        o->iters = atol(v);
    else if (!strcmp(k, "clock")) {
        if (strcmp(v, "cpu") != 0 && strcmp(v, "wall") != 0)
            return -1;
        clock_id = strcmp(v, "cpu") ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
    }
    else if (!strcmp(k, "demo"))
        o->demo = atoi(v);
    else if (!strcmp(k, "checksum"))
        o->checksum = atoi(v);
    else if (!strcmp(k, "input"))
        return sscanf(v, "%dx%dx%d", &o->shape.c, &o->shape.h, &o->shape.w) == 3 ? 0 : -1;
    else if (!strcmp(k, "classes"))
        o->shape.classes = atoi(v);
    else if (!strcmp(k, "batch"))
        o->batch = atoi(v);
    else if (!strcmp(k, "seconds"))
        o->seconds = strtod(v, NULL);
    else if (!strncmp(k, "hp.", 3) && o->n_hp < MAX_HP) {
        o->hp_name[o->n_hp] = k + 3;
        o->hp_value[o->n_hp++] = strtod(v, NULL);
    } else
        return -1;
    return 0;
}

static int parse(struct opts *o, int argc, char **argv)
{
    *o = (struct opts){.space = "resnet", .preset = "aihwkit-default",
                       .shape = {1, 28, 28, 10}, .batch = 128, .seconds = 2};
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');

        if (!eq)
            return -1;
        *eq = '\0';
        if (set(o, argv[i], eq + 1) < 0)
            return -1;
    }
    if (o->demo && o->batch < DEMO_EVAL_BATCH)
        o->batch = DEMO_EVAL_BATCH; /* the net's largest batch: the evaluation's */
    return o->batch > 0 && o->seconds > 0 ? 0 : -1;
}

static struct anas_netdef *build(const struct opts *o, struct anas_error *err)
{
    const struct anas_space *s = anas_space_find(o->space);
    struct anas_netdef *def = NULL;
    struct anas_config cfg;

    if (!s) {
        anas_error_set(err, ANAS_ENOTFOUND, "no space %s", o->space);
        return NULL;
    }
    anas_config_init(&cfg, s);
    for (int i = 0; i < o->n_hp; i++) {
        int j = anas_space_hp_index(s, o->hp_name[i]);

        if (j < 0) {
            anas_error_set(err, ANAS_EUNKNOWN, "no hyperparameter %s", o->hp_name[i]);
            return NULL;
        }
        cfg.v[j] = o->hp_value[i];
    }
    if (anas_space_validate(s, &cfg, err) < 0 ||
        anas_space_build(s, &o->shape, &cfg, &def, err) < 0)
        return NULL;
    return def;
}

static int infer(struct bench *b)
{
    return anas_net_forward(b->net, b->x, b->B, 0, NULL, NULL);
}

static int train_step(struct bench *b)
{
    const float *out;
    float loss;
    int rc = anas_net_forward(b->net, b->x, b->B, 1, &b->rng, &out);

    if (rc == 0)
        rc = anas_loss_xent(&loss, b->dout, out, b->y, b->B, b->K);
    if (rc < 0 && rc != ANAS_ENUMERIC)
        return rc;
    anas_net_zero_grad(b->net);
    if ((rc = anas_net_backward(b->net, b->dout)) < 0)
        return rc;
    anas_optim_step(b->opt, anas_net_params(b->net, NULL), anas_net_grads(b->net, NULL));
    return b->an ? anas_anet_post_step(b->an) : 0;
}

static long fixed_iters;

/* Seconds per call of f, over a loop of about `seconds` (or fixed_iters
 * calls). */
static double timed(int (*f)(struct bench *), struct bench *b, double seconds)
{
    double t, one;
    long n;

    if (f(b) < 0)
        return -1;
    t = now();
    if (f(b) < 0)
        return -1;
    one = now() - t;
    n = one > 0 ? (long)ceil(seconds / one) : 100;
    n = n < 3 ? 3 : n;
    n = fixed_iters > 0 ? fixed_iters : n;
    t = now();
    for (long i = 0; i < n; i++)
        if (f(b) < 0)
            return -1;
    return (now() - t) / n;
}

static int fill(struct bench *b, float *x, int *y, size_t in)
{
    anas_rng_seed(&b->rng, 7);
    for (size_t i = 0; i < (size_t)b->B * in; i++)
        x[i] = (float)anas_rng_normal(&b->rng);
    for (int i = 0; i < b->B; i++)
        y[i] = (int)anas_rng_int(&b->rng, 0, b->K);
    b->x = x;
    b->y = y;
    return 0;
}

/* layers=1: where an analog inference's time goes, layer by layer. The
 * bench's own layers (same preset, the net's weights, programmed and
 * drifted) replace the net's products through the override, so they see
 * the real activations; each call is timed, then the same product by one
 * sgemm (what the digital net's im2col path would run; its Winograd
 * convolutions do fewer multiply-adds still). */
struct lprof {
    struct anas_net *net;
    struct anas_alayer **L; /* per node, or NULL */
    double *t_tile, *t_gemm;
    long *outs;             /* outputs computed per node */
    float *scratch;
    size_t cap;
    struct anas_rng rng;
};

static int lp_forward(void *ctx, int node, const float *X, int M, int cols, int ldx, float *Y,
                      int ldy, int training)
{
    struct lprof *p = ctx;
    struct anas_net_layer li;
    double t0 = now(), t1;
    int rc = anas_alayer_forward(p->L[node], ANAS_ALAYER_DRIFTED, X, M, cols, ldx, Y, ldy,
                                 &p->rng);
    const float *W;

    (void)training;
    t1 = now();
    p->t_tile[node] += t1 - t0;
    if (rc < 0 || anas_net_layer(p->net, node, &li) < 0)
        return rc < 0 ? rc : ANAS_EINTERNAL;
    if ((size_t)li.d * M > p->cap) {
        anas_free(p->scratch);
        p->cap = (size_t)li.d * M;
        if (!(p->scratch = anas_malloc(p->cap * sizeof *p->scratch)))
            return ANAS_ENOMEM;
    }
    W = anas_net_params(p->net, NULL) + li.weight;
    t0 = now();
    if (cols)
        anas_blas_sgemm(0, 0, li.d, M, li.n, 1.0f, W, li.n, X, ldx, 0.0f, p->scratch, M);
    else
        anas_blas_sgemm(0, 1, M, li.d, li.n, 1.0f, X, ldx, W, li.n, 0.0f, p->scratch, li.d);
    p->t_gemm[node] += now() - t0;
    p->outs[node] += (long)li.d * M;
    return 0;
}

static int lp_setup(struct lprof *p, int n, const struct anas_analog_config *hw,
                    struct anas_error *err)
{
    const float *par = anas_net_params(p->net, NULL);

    for (int i = 1; i < n; i++) {
        struct anas_net_layer li;
        struct anas_net_mvm mvm = {lp_forward, p, NULL};
        int rc;

        if (anas_net_layer(p->net, i, &li) < 0 || li.d <= 0 || li.weight == (size_t)-1)
            continue;
        if (!(p->L[i] = anas_alayer_new(li.d, li.n, hw, err)))
            return ANAS_ENOMEM;
        rc = anas_alayer_set_weights(p->L[i], par + li.weight,
                                     li.bias == (size_t)-1 ? NULL : par + li.bias);
        if (rc == 0)
            rc = anas_alayer_drift(p->L[i], 86400, &p->rng);
        if (rc == 0)
            rc = anas_net_set_mvm(p->net, i, &mvm);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* fwd: seconds per forward, with the profile's tiles and sgemms; rest_ms
 * is what is neither (im2col, the digital layers, the override's calls).
 * dig: the digital forward's. floor_x = (rest + sgemms) / digital is the
 * infer_ratio that tiles costing no more than their products would give:
 * the digital net's 3x3 convolutions run as Winograd, which a tile cannot
 * (each im2col vector has its own input scale and quantisation). */
static void lp_print(struct lprof *p, int n, int reps, double fwd, double dig)
{
    double tot_tile = 0, tot_gemm = 0;

    for (int i = 1; i < n; i++) {
        struct anas_net_layer li;

        if (!p->L[i] || anas_net_layer(p->net, i, &li) < 0)
            continue;
        tot_tile += p->t_tile[i];
        tot_gemm += p->t_gemm[i];
        printf("layer=%s d=%d n=%d tiles=%d vectors=%ld tile_ms=%.3f sgemm_ms=%.3f "
               "tile_x=%.2f ns_per_out=%.2f\n",
               li.name ? li.name : "?", li.d, li.n, anas_alayer_n_tiles(p->L[i]),
               p->outs[i] / li.d / reps, p->t_tile[i] * 1e3 / reps,
               p->t_gemm[i] * 1e3 / reps, p->t_tile[i] / p->t_gemm[i],
               p->t_tile[i] * 1e9 / (double)p->outs[i]);
    }
    fwd -= (tot_tile + tot_gemm) / reps;
    printf("layers_total tile_ms=%.3f sgemm_ms=%.3f tile_x=%.2f rest_ms=%.3f digital_ms=%.3f "
           "floor_x=%.2f\n",
           tot_tile * 1e3 / reps, tot_gemm * 1e3 / reps, tot_tile / tot_gemm, fwd * 1e3,
           dig * 1e3, (fwd + tot_gemm / reps) / dig);
}

static int profile_layers(struct anas_net *net, const float *x, int B, double secs,
                          const struct anas_analog_config *hw, struct anas_error *err)
{
    int n = anas_netdef_n_nodes(anas_net_def(net)), reps, rc;
    struct lprof p = {.net = net};
    double t0, dig;

    anas_rng_seed(&p.rng, 5);
    for (int r = 0; r < 2; r++) { /* the digital forward: a warm-up, then timed */
        t0 = now();
        if ((rc = anas_net_forward(net, x, B, 0, NULL, NULL)) < 0)
            return rc;
    }
    dig = now() - t0;
    reps = (int)ceil(secs / dig);
    reps = reps < 3 ? 3 : reps;
    t0 = now();
    for (int r = 0; rc == 0 && r < reps; r++)
        rc = anas_net_forward(net, x, B, 0, NULL, NULL);
    dig = (now() - t0) / reps;
    p.L = anas_calloc((size_t)n, sizeof *p.L);
    p.t_tile = anas_calloc((size_t)n, sizeof *p.t_tile);
    p.t_gemm = anas_calloc((size_t)n, sizeof *p.t_gemm);
    p.outs = anas_calloc((size_t)n, sizeof *p.outs);
    rc = p.L && p.t_tile && p.t_gemm && p.outs ? lp_setup(&p, n, hw, err) : ANAS_ENOMEM;
    if (rc == 0)
        rc = anas_net_forward(net, x, B, 0, NULL, NULL); /* warm-up */
    if (rc == 0) {
        t0 = now();
        rc = anas_net_forward(net, x, B, 0, NULL, NULL);
        reps = (int)ceil(secs / (now() - t0));
        reps = reps < 3 ? 3 : reps;
        memset(p.t_tile, 0, (size_t)n * sizeof *p.t_tile);
        memset(p.t_gemm, 0, (size_t)n * sizeof *p.t_gemm);
        memset(p.outs, 0, (size_t)n * sizeof *p.outs);
        t0 = now();
        for (int r = 0; rc == 0 && r < reps; r++)
            rc = anas_net_forward(net, x, B, 0, NULL, NULL);
        if (rc == 0)
            lp_print(&p, n, reps, (now() - t0) / reps, dig);
    }
    for (int i = 0; i < n && p.L; i++) {
        if (p.L[i])
            anas_net_set_mvm(net, i, NULL);
        anas_alayer_free(p.L[i]);
    }
    anas_free(p.L);
    anas_free(p.t_tile);
    anas_free(p.t_gemm);
    anas_free(p.outs);
    anas_free(p.scratch);
    return rc;
}

/* demo=1: the demo's evaluator (clients/examples/fashion-analog-pareto.json:
 * HWA training at batch 64 on an 8000-image subset, the analognas preset
 * with an ADD_NORMAL 0.06 modifier; then program once and, for each of 4
 * drift times and 3 repeats, drift and test 1000 images at lib/eval's
 * evaluation batch of 256) on this net. An epoch is 125 timed steps'
 * worth (the step time from a loop of about `seconds`); drift + test is
 * timed whole, the best of 3. */

static int drift_test(struct bench *b, double t)
{
    int rc = anas_anet_drift(b->an, t);

    for (int i = 0; rc == 0 && i < DEMO_TEST; i += DEMO_EVAL_BATCH) {
        int n = DEMO_TEST - i < DEMO_EVAL_BATCH ? DEMO_TEST - i : DEMO_EVAL_BATCH;

        rc = anas_net_forward(b->net, b->x, n, 0, NULL, NULL);
    }
    return rc;
}

/* FNV-1a over the bits of a forward's output (B, K). */
static unsigned long long out_hash(struct bench *b)
{
    const float *out;
    unsigned long long h = 14695981039346656037ULL;
    const unsigned char *p;

    if (anas_net_forward(b->net, b->x, b->B, 0, NULL, &out) < 0)
        return 0;
    p = (const unsigned char *)out;
    for (size_t i = 0; i < (size_t)b->B * b->K * sizeof *out; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

/* checksum=1: the digital output, then two analog ones (the second draws
 * fresh noise, so that the noise stream's position is checked too). Two
 * training forwards first give the batch norms running statistics other
 * than PyTorch's initial ones. */
static int checksum(struct bench *b, struct anas_error *err)
{
    unsigned long long d, a1, a2;
    int rc = 0;

    for (int i = 0; rc == 0 && i < 2; i++)
        rc = anas_net_forward(b->net, b->x, b->B, 1, &b->rng, NULL);
    if (rc < 0)
        return anas_error_set(err, rc, "training forward: %s", anas_strerror(rc));
    d = out_hash(b);
    rc = anas_anet_program(b->an);

    if (rc == 0)
        rc = anas_anet_drift(b->an, 86400);
    if (rc < 0)
        return anas_error_set(err, rc, "program and drift: %s", anas_strerror(rc));
    a1 = out_hash(b);
    a2 = out_hash(b);
    printf("checksum digital=%016llx analog=%016llx analog2=%016llx\n", d, a1, a2);
    return 0;
}

static int demo(struct bench *b, struct anas_error *err)
{
    double step, prog, dt = HUGE_VAL, t0, epoch, measure;
    int rc = anas_anet_set_mode(b->an, ANAS_ANET_HWA);

    b->B = DEMO_BATCH;
    step = rc == 0 ? timed(train_step, b, 2.0) : -1;
    if (step <= 0)
        return anas_error_set(err, rc < 0 ? rc : ANAS_EINTERNAL, "a training step failed");
    epoch = step * DEMO_TRAIN / DEMO_BATCH;
    if ((rc = anas_anet_set_mode(b->an, ANAS_ANET_ANALOG)) < 0)
        return anas_error_set(err, rc, "analog mode: %s", anas_strerror(rc));
    t0 = now();
    rc = anas_anet_program(b->an);
    prog = now() - t0;
    for (int r = 0; rc == 0 && r < 3; r++) {
        t0 = now();
        rc = drift_test(b, 86400);
        dt = fmin(dt, now() - t0);
    }
    if (rc < 0)
        return anas_error_set(err, rc, "drift and test: %s", anas_strerror(rc));
    measure = prog + DEMO_READS * dt;
    printf("demo_epoch_ms=%.1f demo_drift_test_ms=%.1f drift_test_per_epoch=%.3f "
           "demo_program_ms=%.1f demo_measure_ms=%.1f measure_per_training=%.3f\n",
           epoch * 1e3, dt * 1e3, dt / epoch, prog * 1e3, measure * 1e3,
           measure / (2 * epoch));
    return 0;
}

static int run(const struct opts *o, struct anas_netdef *def, struct anas_error *err)
{
    struct anas_analog_config hw;
    struct anas_optim_spec os = {ANAS_OPTIM_SGD, 0.01f, 0.9f, 0, 5e-4f, 0.9f, 0.999f, 1e-8f};
    struct anas_optim_spec adam = {ANAS_OPTIM_ADAM, 0.002f, 0.9f, 0, 0, 0.9f, 0.999f, 1e-8f};
    struct bench b = {.B = o->batch, .K = o->shape.classes};
    size_t in = (size_t)o->shape.c * o->shape.h * o->shape.w, np;
    float *x = anas_malloc((size_t)o->batch * in * sizeof *x);
    int *y = anas_malloc((size_t)o->batch * sizeof *y);
    double dig, ana, tr = -1, hwa = -1, t0, prog, drift;
    int rc = ANAS_ENOMEM;

    b.dout = anas_malloc((size_t)o->batch * o->shape.classes * sizeof *b.dout);
    b.net = anas_net_new(def, o->batch, err);
    if (!x || !y || !b.dout || !b.net)
        goto out;
    anas_net_params(b.net, &np);
    b.opt = anas_optim_new(o->demo ? &adam : &os, np, err); /* the demo's is Adam */
    if (anas_analog_preset(o->demo ? "analognas" : o->preset, &hw) < 0) {
        rc = anas_error_set(err, ANAS_ENOTFOUND, "no preset %s", o->preset);
        goto out;
    }
    if (o->demo) {
        hw.modifier.type = ANAS_MOD_ADD_NORMAL;
        hw.modifier.std_dev = 0.06f;
    }
    fill(&b, x, y, in);
    anas_net_init(b.net, &b.rng);
    if (!b.opt || !(b.an = anas_anet_new(b.net, &hw, 11, err)))
        goto out;
    if (o->demo) {
        rc = demo(&b, err);
        goto out;
    }
    if (o->checksum) {
        rc = checksum(&b, err);
        goto out;
    }
    if (o->layers) {
        rc = profile_layers(b.net, x, o->batch, o->seconds, &hw, err);
        goto out;
    }
    if (o->only && strcmp(o->only, "analog") != 0) {
        dig = timed(infer, &b, o->seconds);
        printf("digital_ips=%.1f\n", o->batch / dig);
        rc = dig > 0 ? 0 : ANAS_EINTERNAL;
        goto out;
    }
    dig = o->only ? 1 : timed(infer, &b, o->seconds);
    t0 = now();
    rc = anas_anet_program(b.an);
    prog = now() - t0;
    t0 = now();
    if (rc == 0)
        rc = anas_anet_drift(b.an, 86400);
    drift = now() - t0;
    ana = rc == 0 ? timed(infer, &b, o->seconds) : -1;
    if (o->only && ana > 0) {
        printf("analog_ips=%.1f\n", o->batch / ana);
        goto out;
    }
    if (rc == 0 && (rc = anas_anet_set_mode(b.an, ANAS_ANET_DIGITAL)) == 0) {
        struct anas_anet *an = b.an;

        b.an = NULL;
        tr = timed(train_step, &b, o->seconds);
        b.an = an;
        rc = anas_anet_set_mode(b.an, ANAS_ANET_HWA);
        hwa = rc == 0 ? timed(train_step, &b, o->seconds) : -1;
    }
    if (rc < 0 || dig <= 0 || ana <= 0 || tr <= 0 || hwa <= 0) {
        rc = anas_error_set(err, rc < 0 ? rc : ANAS_EINTERNAL, "a timed run failed");
        goto out;
    }
    printf("preset=%s batch=%d layers=%d tiles=%d digital_ips=%.1f analog_ips=%.1f "
           "infer_ratio=%.3f train_ips=%.1f hwa_ips=%.1f train_ratio=%.3f "
           "program_ms=%.2f drift_ms=%.2f\n",
           o->preset, o->batch, anas_anet_n_layers(b.an), anas_anet_n_tiles(b.an),
           o->batch / dig, o->batch / ana, ana / dig, o->batch / tr, o->batch / hwa,
           hwa / tr, prog * 1e3, drift * 1e3);
    rc = 0;
out:
    anas_anet_free(b.an);
    anas_optim_free(b.opt);
    anas_net_free(b.net);
    anas_free(b.dout);
    anas_free(x);
    anas_free(y);
    return rc;
}

int main(int argc, char **argv)
{
    struct anas_error err = {0};
    struct anas_netdef *def;
    struct opts o;
    int rc;

    if (parse(&o, argc, argv) < 0) {
        fprintf(stderr, "usage: bench-analog [space=NAME input=CxHxW classes=K batch=B "
                        "seconds=S preset=NAME hp.NAME=VALUE ...] [only=analog|digital] "
                        "[iters=N] [layers=1] [demo=1] [checksum=1]\n");
        return 2;
    }
    fixed_iters = o.iters;
    def = build(&o, &err);
    rc = def ? run(&o, def, &err) : -1;
    anas_netdef_free(def);
    if (rc < 0) {
        fprintf(stderr, "bench-analog: %s\n", err.msg[0] ? err.msg : "failed");
        return 1;
    }
    return 0;
}
