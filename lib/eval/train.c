/*
 * train.c - the training loop: mini-batch SGD/Adam over a dataset with a
 * per-epoch learning-rate schedule, evaluated on a test set every epoch.
 *
 * Everything a step needs (batch buffers, the loss gradient, the optimizer
 * state) is allocated before the first batch, so the loop itself never
 * allocates and cannot fail for memory. Randomness comes from two streams
 * derived from the spec's seed: the loader's (order and augmentation) and
 * the net's (dropout masks). With the net initialised from the same seed,
 * a run is reproducible bit for bit.
 */
#include "config.h"

#include "eval/train.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

#define MAX_BATCH 4096
#define MAX_SIDE  4096 /* of an image: bounds cutout */

/* Streams of anas_rng_seed2 for the run's generators. */
#define STREAM_NET    1
#define STREAM_LOADER 2

void anas_train_spec_init(struct anas_train_spec *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->epochs = 1;
    ts->batch_size = 128;
    ts->optim.kind = ANAS_OPTIM_SGD;
    ts->optim.lr = 0.01f;
    ts->optim.momentum = 0.9f;
    ts->optim.beta1 = 0.9f; /* unused by SGD; ready if the kind changes */
    ts->optim.beta2 = 0.999f;
    ts->optim.eps = 1e-8f;
    ts->sched.kind = ANAS_SCHED_CONSTANT;
    ts->sched.base_lr = ts->optim.lr;
    ts->sched.step_size = 1;
    ts->sched.gamma = 0.1f; /* StepLR's default */
    ts->sched.t_max = 1;
    ts->loss = ANAS_TRAIN_XENT;
    ts->seed = 1;
    ts->eval_batch = 256;
}

/* Is v finite and lo <= v < hi (hi_open) or lo <= v <= hi? */
static int within(float v, float lo, float hi, int hi_open)
{
    return isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
}

static int check_optim(const struct anas_optim_spec *o, struct anas_error *err)
{
    if (o->kind != ANAS_OPTIM_SGD && o->kind != ANAS_OPTIM_ADAM &&
        o->kind != ANAS_OPTIM_ADAMW)
        return anas_error_field(err, ANAS_EINVAL, "optimizer.kind", "unknown optimizer");
    if (!within(o->lr, 0, 10, 0) || o->lr == 0)
        return anas_error_field(err, ANAS_ERANGE, "optimizer.lr",
                                "lr must be in (0, 10]");
    if (!within(o->weight_decay, 0, 1, 1))
        return anas_error_field(err, ANAS_ERANGE, "optimizer.weight_decay",
                                "weight_decay must be in [0, 1)");
    if (o->kind == ANAS_OPTIM_SGD) {
        if (!within(o->momentum, 0, 1, 1))
            return anas_error_field(err, ANAS_ERANGE, "optimizer.momentum",
                                    "momentum must be in [0, 1)");
        if (o->nesterov && o->momentum == 0)
            return anas_error_field(err, ANAS_EINVAL, "optimizer.nesterov",
                                    "nesterov needs a momentum");
        return 0;
    }
    if (!within(o->beta1, 0, 1, 1))
        return anas_error_field(err, ANAS_ERANGE, "optimizer.beta1",
                                "beta1 must be in [0, 1)");
    if (!within(o->beta2, 0, 1, 1))
        return anas_error_field(err, ANAS_ERANGE, "optimizer.beta2",
                                "beta2 must be in [0, 1)");
    if (!within(o->eps, 0, 1, 0) || o->eps == 0)
        return anas_error_field(err, ANAS_ERANGE, "optimizer.eps",
                                "eps must be in (0, 1]");
    return 0;
}

static int check_sched(const struct anas_sched *s, struct anas_error *err)
{
    switch (s->kind) {
    case ANAS_SCHED_CONSTANT:
        return 0;
    case ANAS_SCHED_STEP:
        if (s->step_size < 1 || s->step_size > ANAS_TRAIN_MAX_EPOCHS)
            return anas_error_field(err, ANAS_ERANGE, "schedule.step_size",
                                    "step_size must be 1..%d", ANAS_TRAIN_MAX_EPOCHS);
        if (!within(s->gamma, 0, 1, 0) || s->gamma == 0)
            return anas_error_field(err, ANAS_ERANGE, "schedule.gamma",
                                    "gamma must be in (0, 1]");
        return 0;
    case ANAS_SCHED_COSINE:
        if (s->t_max < 1 || s->t_max > ANAS_TRAIN_MAX_EPOCHS)
            return anas_error_field(err, ANAS_ERANGE, "schedule.t_max",
                                    "t_max must be 1..%d", ANAS_TRAIN_MAX_EPOCHS);
        if (!within(s->eta_min, 0, 10, 0))
            return anas_error_field(err, ANAS_ERANGE, "schedule.eta_min",
                                    "eta_min must be in [0, 10]");
        return 0;
    }
    return anas_error_field(err, ANAS_EINVAL, "schedule", "unknown schedule");
}

static int check_augment(const struct anas_augment *a, struct anas_error *err)
{
    if (a->crop_pad < 0 || a->crop_pad > 64)
        return anas_error_field(err, ANAS_ERANGE, "augment.crop_pad",
                                "crop_pad must be 0..64");
    if (a->flip != 0 && a->flip != 1)
        return anas_error_field(err, ANAS_EINVAL, "augment.flip", "flip must be 0 or 1");
    if (a->cutout < 0 || a->cutout > MAX_SIDE)
        return anas_error_field(err, ANAS_ERANGE, "augment.cutout",
                                "cutout must be 0..%d", MAX_SIDE);
    return 0;
}

int anas_train_spec_check(const struct anas_train_spec *ts, struct anas_error *err)
{
    int rc;

    if (!ts)
        return anas_error_set(err, ANAS_EINVAL, "no training spec");
    if (ts->epochs < 1 || ts->epochs > ANAS_TRAIN_MAX_EPOCHS)
        return anas_error_field(err, ANAS_ERANGE, "epochs", "epochs must be 1..%d",
                                ANAS_TRAIN_MAX_EPOCHS);
    if (ts->batch_size < 1 || ts->batch_size > MAX_BATCH)
        return anas_error_field(err, ANAS_ERANGE, "batch_size",
                                "batch_size must be 1..%d", MAX_BATCH);
    if (ts->eval_batch < 1 || ts->eval_batch > MAX_BATCH)
        return anas_error_field(err, ANAS_ERANGE, "eval_batch",
                                "eval_batch must be 1..%d", MAX_BATCH);
    if (ts->loss != ANAS_TRAIN_XENT && ts->loss != ANAS_TRAIN_MSE)
        return anas_error_field(err, ANAS_EINVAL, "loss", "unknown loss");
    rc = check_optim(&ts->optim, err);
    if (rc == 0)
        rc = check_sched(&ts->sched, err);
    if (rc == 0)
        rc = check_augment(&ts->aug, err);
    return rc;
}

/* --- shapes --- */

/* Floats per sample at the net's input and output. The output is the last
 * node, as anas_netdef_output marks by default. */
static void net_sizes(const struct anas_net *net, size_t *in, size_t *out)
{
    const struct anas_netdef *def = anas_net_def(net);
    int c = 0, h = 0, w = 0;

    anas_netdef_shape(def, 0, &c, &h, &w);
    *in = (size_t)c * h * w;
    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w);
    *out = (size_t)c * h * w;
}

/* Does dataset d fit the net for this loss? */
static int check_data(const struct anas_net *net, const struct anas_dataset *d,
                      enum anas_train_loss loss, const char *what, struct anas_error *err)
{
    const struct anas_netdef *def = anas_net_def(net);
    size_t in, out;
    int c = 0, h = 0, w = 0;

    if (!d || d->n < 1)
        return anas_error_field(err, ANAS_EINVAL, "dataset", "no %s samples", what);
    anas_netdef_shape(def, 0, &c, &h, &w);
    if (c != d->c || h != d->h || w != d->w)
        return anas_error_field(
            err, ANAS_ESHAPE, "dataset",
            "%s images are (%d,%d,%d) but the network takes (%d,%d,%d)", what, d->c, d->h,
            d->w, c, h, w);
    net_sizes(net, &in, &out);
    if (loss == ANAS_TRAIN_MSE && d->t && out != (size_t)d->t_dim)
        return anas_error_field(err, ANAS_ESHAPE, "loss",
                                "MSE needs an output of the target's size (%d, not %zu)",
                                d->t_dim, out);
    if (loss == ANAS_TRAIN_MSE && !d->t && out != in)
        return anas_error_field(err, ANAS_ESHAPE, "loss",
                                "MSE needs an output of the input's size (%zu, not %zu)",
                                in, out);
    anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w);
    if (loss == ANAS_TRAIN_XENT && (h != 1 || w != 1))
        return anas_error_field(err, ANAS_ESHAPE, "loss",
                                "cross-entropy needs logits, not a (%d,%d,%d) image", c,
                                h, w);
    if (loss == ANAS_TRAIN_XENT && out < (size_t)d->classes)
        return anas_error_field(err, ANAS_ESHAPE, "dataset",
                                "%s has %d classes but the network %zu outputs", what,
                                d->classes, out);
    for (int i = 0; loss == ANAS_TRAIN_XENT && i < d->n; i++)
        if (d->y[i] < 0 || (size_t)d->y[i] >= out)
            return anas_error_field(err, ANAS_EINVAL, "dataset",
                                    "%s sample %d has label %d, outside 0..%zu", what, i,
                                    d->y[i], out - 1);
    return 0;
}

/* --- evaluation --- */

/* Cross-entropy of one row of logits, and whether its argmax (the first
 * maximum) is the label. */
static double xent_row(const float *x, size_t K, int label, int *right)
{
    size_t best = 0;
    double s = 1.0; /* exp(0): the maximum's own term */

    for (size_t k = 1; k < K; k++)
        best = x[k] > x[best] ? k : best;
    for (size_t k = 0; k < K; k++)
        s += k == best ? 0.0 : exp((double)x[k] - x[best]);
    *right = (int)best == label;
    return x[best] + log(s) - x[label];
}

/* Accuracy (XENT) or MSE of d in batches, and the mean loss: allocates
 * nothing, the samples are read in place. */
static int evaluate(struct anas_net *net, const struct anas_dataset *d, int batch,
                    enum anas_train_loss loss, double *metric, double *mean_loss,
                    struct anas_error *err)
{
    size_t in, K;
    double total = 0;
    long right = 0;

    net_sizes(net, &in, &K);
    for (int i = 0; i < d->n; i += batch) {
        int B = d->n - i < batch ? d->n - i : batch;
        const float *x = d->x + (size_t)i * in, *out;
        int rc = anas_net_forward(net, x, B, 0, NULL, &out); /* draws nothing */
        if (rc < 0)
            return anas_error_set(err, rc, "evaluation forward of %d samples: %s", B,
                                  anas_strerror(rc));
        for (int b = 0; b < B; b++) {
            const float *o = out + (size_t)b * K;
            int hit = 0;
            if (loss == ANAS_TRAIN_XENT) {
                total += xent_row(o, K, d->y[i + b], &hit);
                right += hit;
            } else {
                /* a regression set's targets, or the input (reconstruction) */
                const float *t = d->t ? d->t + (size_t)(i + b) * K : x + b * in;

                for (size_t k = 0; k < K; k++)
                    total += ((double)o[k] - t[k]) * ((double)o[k] - t[k]);
            }
        }
    }
    if (loss == ANAS_TRAIN_XENT) {
        *metric = (double)right / d->n;
        *mean_loss = total / d->n;
    } else {
        *metric = *mean_loss = total / ((double)d->n * K);
    }
    if (!isfinite(*mean_loss))
        return anas_error_set(err, ANAS_ENUMERIC, "evaluation loss is not finite");
    return 0;
}

int anas_train_evaluate(struct anas_net *net, const struct anas_dataset *d, int batch,
                        enum anas_train_loss loss, double *acc_or_mse, double *mean_loss,
                        struct anas_error *err)
{
    double metric, mean;
    int rc;

    if (!net || batch < 1 || (loss != ANAS_TRAIN_XENT && loss != ANAS_TRAIN_MSE))
        return anas_error_set(err, ANAS_EINVAL, "bad evaluation arguments");
    rc = check_data(net, d, loss, "test", err);
    if (rc == 0)
        rc = evaluate(net, d, batch, loss, &metric, &mean, err);
    if (rc < 0)
        return rc;
    if (acc_or_mse)
        *acc_or_mse = metric;
    if (mean_loss)
        *mean_loss = mean;
    return 0;
}

/* --- training --- */

/* One run's working set, all of it allocated before the first batch. */
struct run {
    struct anas_net *net;
    const struct anas_dataset *train;
    const struct anas_train_spec *ts;
    struct anas_train_progress *progress;
    const atomic_int *cancel;
    struct anas_loader ld;
    struct anas_optim *opt;
    struct anas_rng rng;     /* the net's: dropout masks */
    struct anas_sched sched; /* the spec's, with base_lr = optim.lr */
    float *params, *grads;
    float *x;    /* (batch, C,H,W) */
    int *y;      /* (batch) */
    float *dout; /* (batch, out): d(loss)/d(output) */
    float *tgt;  /* (batch, out): a regression set's targets, or NULL */
    size_t in, out;
};

static int run_open(struct run *r, struct anas_error *err)
{
    struct anas_rng seeder;
    size_t n_params, batch = (size_t)r->ts->batch_size;
    int rc;

    r->sched = r->ts->sched;
    r->sched.base_lr = r->ts->optim.lr;
    anas_rng_seed2(&r->rng, r->ts->seed, STREAM_NET);
    anas_rng_seed2(&seeder, r->ts->seed, STREAM_LOADER);
    rc = anas_loader_init(&r->ld, r->train, r->ts->batch_size, 1, anas_rng_u64(&seeder));
    if (rc < 0)
        return anas_error_set(err, rc, "cannot make the loader: %s", anas_strerror(rc));
    r->params = anas_net_params(r->net, &n_params);
    r->grads = anas_net_grads(r->net, NULL);
    net_sizes(r->net, &r->in, &r->out);
    r->opt = anas_optim_new(&r->ts->optim, n_params, err);
    if (!r->opt)
        return err ? err->code : ANAS_ENOMEM;
    r->x = anas_malloc(batch * r->in * sizeof *r->x);
    r->y = anas_malloc(batch * sizeof *r->y);
    r->dout = anas_malloc(batch * r->out * sizeof *r->dout);
    if (r->train->t && !(r->tgt = anas_malloc(batch * r->out * sizeof *r->tgt)))
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for batch buffers");
    if (!r->x || !r->y || !r->dout)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for batch buffers");
    return 0;
}

static void run_close(struct run *r)
{
    anas_loader_fini(&r->ld);
    anas_optim_free(r->opt);
    anas_free(r->x);
    anas_free(r->y);
    anas_free(r->dout);
    anas_free(r->tgt);
}

/* A regression set's targets of the batch (the loader's y are sample
 * indices), or the input itself (an autoencoder reconstructs it). */
static const float *mse_target(struct run *r, int B)
{
    if (!r->tgt)
        return r->x;
    for (int b = 0; b < B; b++)
        memcpy(r->tgt + (size_t)b * r->out, r->train->t + (size_t)r->y[b] * r->out,
               r->out * sizeof *r->tgt);
    return r->tgt;
}

/* One optimisation step on B samples in r->x, r->y; *loss gets its mean. */
static int step(struct run *r, int B, float *loss, struct anas_error *err)
{
    const float *out;
    int rc = anas_net_forward(r->net, r->x, B, 1, &r->rng, &out);

    if (rc < 0)
        return anas_error_set(err, rc, "forward of %d samples: %s (is the net's max_batch"
                              " at least batch_size?)", B, anas_strerror(rc));
    if (r->ts->loss == ANAS_TRAIN_XENT)
        rc = anas_loss_xent(loss, r->dout, out, r->y, B, (int)r->out);
    else
        rc = anas_loss_mse(loss, r->dout, out, mse_target(r, B), (size_t)B * r->out);
    if (rc == ANAS_ENUMERIC)
        return anas_error_set(err, rc, "training diverged: the loss is not finite");
    if (rc < 0)
        return anas_error_set(err, rc, "loss: %s", anas_strerror(rc));
    anas_net_zero_grad(r->net);
    rc = anas_net_backward(r->net, r->dout);
    if (rc < 0)
        return anas_error_set(err, rc, "backward: %s", anas_strerror(rc));
    anas_optim_step(r->opt, r->params, r->grads);
    if (r->ts->post_step) {
        rc = r->ts->post_step(r->ts->post_step_ctx);
        if (rc < 0)
            return anas_error_set(err, rc, "after the optimizer step: %s",
                                  anas_strerror(rc));
    }
    return 0;
}

/* One pass over the training set; *mean_loss is weighted by batch size. */
static int epoch(struct run *r, int e, double *mean_loss, struct anas_error *err)
{
    double total = 0;
    float loss;
    int B, rc;

    if (e > 0)
        anas_loader_reset(&r->ld);
    anas_optim_set_lr(r->opt, anas_sched_lr(&r->sched, e));
    if (r->ts->lr_now)
        *r->ts->lr_now = anas_sched_lr(&r->sched, e);
    while ((B = anas_loader_next(&r->ld, r->x, r->y, &r->ts->aug)) > 0) {
        if (r->cancel && atomic_load(r->cancel))
            return anas_error_set(err, ANAS_ECANCELED, "training canceled in epoch %d",
                                  e + 1);
        rc = step(r, B, &loss, err);
        if (rc < 0)
            return rc;
        total += (double)loss * B;
        if (r->progress)
            atomic_fetch_add(&r->progress->batches_done, 1);
    }
    *mean_loss = total / r->train->n;
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void progress_start(struct anas_train_progress *p,
                           const struct anas_dataset *train,
                           const struct anas_train_spec *ts)
{
    long per_epoch = (train->n + ts->batch_size - 1) / ts->batch_size;

    if (!p)
        return;
    atomic_store(&p->batches_done, 0);
    atomic_store(&p->batches_total, per_epoch * ts->epochs);
    atomic_store(&p->epoch, 0);
}

/* After the epoch: the test metrics into the result and its curves. In
 * MSE mode the "accuracy" curve holds -MSE, so higher is better in both. */
static int record(struct run *r, const struct anas_dataset *test, int e,
                  double train_loss, struct anas_train_result *out,
                  struct anas_error *err)
{
    double metric = 0, loss = 0, t0 = now();
    int rc =
        test ? evaluate(r->net, test, r->ts->eval_batch, r->ts->loss, &metric, &loss, err)
             : 0;

    if (rc < 0)
        return rc;
    out->test_seconds += now() - t0;
    out->epochs_done = e + 1;
    out->train_loss = train_loss;
    out->train_loss_curve[e] = train_loss;
    out->test_loss = loss;
    if (r->ts->loss == ANAS_TRAIN_XENT) {
        out->acc_fp = metric;
        out->test_acc_curve[e] = metric;
    } else {
        out->neg_mse = -metric;
        out->test_acc_curve[e] = -metric;
    }
    return 0;
}

int anas_train_run(struct anas_net *net, const struct anas_dataset *train,
                   const struct anas_dataset *test, const struct anas_train_spec *ts,
                   struct anas_train_progress *progress, const atomic_int *cancel,
                   struct anas_train_result *out, struct anas_error *err)
{
    struct run r = {
        .net = net, .train = train, .ts = ts, .progress = progress, .cancel = cancel};
    double t0 = now(), train_loss = 0;
    int rc;

    if (!net || !out)
        return anas_error_set(err, ANAS_EINVAL, "no network or no result");
    memset(out, 0, sizeof *out);
    rc = anas_train_spec_check(ts, err);
    if (rc == 0)
        rc = check_data(net, train, ts->loss, "train", err);
    if (rc == 0 && test)
        rc = check_data(net, test, ts->loss, "test", err);
    if (rc < 0)
        return rc;
    progress_start(progress, train, ts);
    rc = run_open(&r, err);
    for (int e = 0; rc == 0 && e < ts->epochs; e++) {
        if (progress)
            atomic_store(&progress->epoch, e + 1);
        rc = epoch(&r, e, &train_loss, err);
        if (rc == 0)
            rc = record(&r, test, e, train_loss, out, err);
        if (rc == 0 && ts->epoch_end)
            rc = ts->epoch_end(ts->epoch_end_ctx, e + 1, out);
        if (rc == 1) {
            out->stopped = 1;
            rc = 0;
            break;
        }
    }
    run_close(&r);
    out->seconds = now() - t0;
    return rc;
}
