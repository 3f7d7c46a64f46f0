/*
 * evaltrain.c - the `train` evaluator: build the configuration's network,
 * train it on the spec's datasets, and report what it learned.
 *
 * Every evaluation starts from the same seed, so an architecture evaluated
 * twice with the same recipe gives the same numbers: that is what lets the
 * daemon reuse results and replay runs after a crash.
 */
#include "config.h"

#include "eval/eval.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "eval/eval_int.h"
#include "tensor/team.h"

/* The analog simulation's random stream, apart from training's. */
#define ANALOG_STREAM 0x616e616c6f67ULL

void anas_eval_analog_init(struct anas_eval_analog *a)
{
    static const struct {
        double s;
        const char *name;
    } t[] = {{1, "1s"}, {3600, "1h"}, {86400, "1d"}, {2592000, "30d"}};

    memset(a, 0, sizeof *a);
    anas_analog_preset("aihwkit-default", &a->hw);
    a->n_times = (int)(sizeof t / sizeof t[0]);
    for (int i = 0; i < a->n_times; i++) {
        a->times[i] = t[i].s;
        strcpy(a->time_names[i], t[i].name);
    }
    a->repeats = 5;
    a->curve_time = -1;
    anas_pulsed_preset("constant-step", &a->training);
}

/* Reconstruction networks (autoencoders) output an image of the input's
 * shape; they are trained and judged by MSE. */
static enum anas_train_loss loss_for(const struct anas_netdef *def,
                                     const struct anas_shape *shape)
{
    int c, h, w, out = anas_netdef_n_nodes(def) - 1;
    if (anas_netdef_shape(def, out, &c, &h, &w) == 0 && h > 1 && c == shape->c &&
        h == shape->h && w == shape->w)
        return ANAS_TRAIN_MSE;
    return ANAS_TRAIN_XENT;
}

static int report(const struct anas_train_result *res, enum anas_train_loss loss,
                  struct anas_metrics *out)
{
    int rc = loss == ANAS_TRAIN_MSE ? anas_metrics_set(out, "neg_mse@fp", res->neg_mse)
                                    : anas_metrics_set(out, "acc@fp", res->acc_fp);
    if (rc == 0)
        rc = anas_metrics_set(out, "train_loss", res->train_loss);
    if (rc == 0)
        rc = anas_metrics_set(out, "test_loss", res->test_loss);
    if (rc == 0)
        rc = anas_metrics_set(out, "train_s", res->seconds);
    if (rc == 0)
        rc = anas_metrics_set(out, "epochs", res->epochs_done);
    return rc;
}

/* Whoever watches the epochs (progress->epoch_end), and what it needs. */
struct watch {
    const struct anas_eval_spec *spec;
    struct anas_net *net;
    struct anas_anet *an;
    const struct anas_train_spec *ts;
    const atomic_int *cancel;
    struct anas_train_progress *progress;
    struct anas_metrics last; /* the latest epoch's */
    struct anas_error *err;
};

static int epoch_metrics(struct watch *w, const struct anas_train_result *res)
{
    struct anas_metrics *m = &w->last;
    int rc;

    anas_metrics_init(m);
    rc = w->ts->loss == ANAS_TRAIN_MSE ? anas_metrics_set(m, "neg_mse@fp", res->neg_mse)
                                       : anas_metrics_set(m, "acc@fp", res->acc_fp);
    if (rc == 0)
        rc = anas_metrics_set(m, "train_loss", res->train_loss);
    if (rc == 0)
        rc = anas_metrics_set(m, "test_loss", res->test_loss);
    if (rc < 0)
        return anas_error_set(w->err, rc, "too many metrics");
    if (w->an && w->spec->analog.curve_time >= 0)
        rc = anas__eval_analog_read(w->spec, w->net, w->an, w->ts->loss,
                                    w->spec->analog.curve_time, w->cancel, m, w->err);
    return rc;
}

static int epoch_end(void *ctx, int epoch, const struct anas_train_result *res)
{
    struct watch *w = ctx;
    int rc = epoch_metrics(w, res);

    if (rc == 0)
        rc = w->progress->epoch_end(w->progress->epoch_ctx, epoch, w->ts->epochs, &w->last);
    if (rc == 1)
        w->progress->stopped_at = epoch;
    else if (rc < 0 && w->err && !w->err->code)
        anas_error_set(w->err, rc, "after epoch %d: %s", epoch, anas_strerror(rc));
    return rc;
}

/* Stopped early: the figures of the last epoch trained, as they are. */
static int report_stopped(const struct watch *w, const struct anas_train_result *res,
                          struct anas_metrics *out)
{
    int rc = report(res, w->ts->loss, out);

    for (int i = 0; rc == 0 && i < w->last.n; i++)
        rc = anas_metrics_set(out, w->last.m[i].name, w->last.m[i].value);
    return rc;
}

/* The analog post_step: pulsed tiles update, HWA's learned periphery
 * steps, at the epoch's rate. */
struct pulsed_step {
    struct anas_anet *an;
    float lr;
};

static int pulsed_post_step(void *ctx)
{
    struct pulsed_step *ps = ctx;

    anas_anet_set_lr(ps->an, ps->lr);
    return anas_anet_post_step(ps->an);
}

/* Before training: the tiles, and hardware-aware training's hooks. */
static int analog_open(const struct anas_eval_spec *spec, struct anas_net *net,
                       struct anas_train_spec *ts, struct anas_anet **an,
                       struct pulsed_step *ps, struct anas_error *err)
{
    struct anas_rng r;
    int rc;

    anas_rng_seed2(&r, ts->seed, ANALOG_STREAM);
    *an = anas_anet_new(net, &spec->analog.hw, anas_rng_u64(&r), err);
    if (!*an)
        return err && err->code ? err->code : ANAS_ENOMEM;
    if (spec->analog.pulsed) {
        rc = anas_anet_set_training(*an, &spec->analog.training, err);
        if (rc == 0)
            rc = anas_anet_set_mode(*an, ANAS_ANET_PULSED);
        if (rc < 0)
            return err && err->code ? rc
                                    : anas_error_set(err, rc, "analog training: %s",
                                                     anas_strerror(rc));
        ps->an = *an;
        ps->lr = ts->optim.lr;
        ts->post_step = pulsed_post_step;
        ts->post_step_ctx = ps;
        ts->lr_now = &ps->lr;
        return 0;
    }
    if (!spec->analog.hwa)
        return 0;
    rc = anas_anet_set_mode(*an, ANAS_ANET_HWA);
    if (rc < 0)
        return anas_error_set(err, rc, "hardware-aware training: %s", anas_strerror(rc));
    /* the learned out scales and input ranges take SGD steps at the
     * epoch's rate too */
    ps->an = *an;
    ps->lr = ts->optim.lr;
    ts->post_step = pulsed_post_step;
    ts->post_step_ctx = ps;
    ts->lr_now = &ps->lr;
    return 0;
}

/* After training: the digital figures of the trained weights (the
 * training loop measured HWA nets through the tiles), then the analog
 * measurement. */
static int analog_close(const struct anas_eval_spec *spec, struct anas_net *net,
                        struct anas_anet *an, const struct anas_train_spec *ts,
                        const atomic_int *cancel, struct anas_train_progress *progress,
                        struct anas_train_result *res, struct anas_metrics *out,
                        struct anas_error *err)
{
    int rc = anas_anet_set_mode(an, ANAS_ANET_DIGITAL);
    double v, t0 = anas__eval_now();

    if (rc == 0 && (spec->analog.hwa || spec->analog.pulsed)) {
        rc = anas_train_evaluate(net, spec->test_set, ts->eval_batch, ts->loss, &v,
                                 &res->test_loss, err);
        if (rc < 0)
            return rc;
        /* a test pass like the others: counted in train_s and test_s */
        t0 = anas__eval_now() - t0;
        res->seconds += t0;
        res->test_seconds += t0;
        if (ts->loss == ANAS_TRAIN_MSE)
            res->neg_mse = -v;
        else
            res->acc_fp = v;
    }
    if (rc == 0)
        rc = report(res, ts->loss, out);
    if (rc == 0 && spec->analog.enabled)
        rc = anas__eval_analog_measure(spec, net, an, ts->loss, cancel, progress, out, err);
    return rc;
}

/* A count from a configuration (epochs, batch size): a positive int. */
static int count_of(double v, int *out)
{
    if (!(v >= 1 && v <= INT_MAX) || v != floor(v))
        return ANAS_EINVAL;
    *out = (int)v;
    return 0;
}

static int apply_one(const char *field, double v, struct anas_train_spec *ts)
{
    int rc = 0;

    if (strcmp(field, "epochs") == 0) {
        rc = count_of(v, &ts->epochs);
        ts->sched.t_max = ts->epochs; /* the cosine schedule spans the training */
    } else if (strcmp(field, "batch_size") == 0) {
        rc = count_of(v, &ts->batch_size);
    } else if (strcmp(field, "lr") == 0) {
        ts->optim.lr = (float)v;
    } else if (strcmp(field, "momentum") == 0) {
        ts->optim.momentum = (float)v;
    } else if (strcmp(field, "weight_decay") == 0) {
        ts->optim.weight_decay = (float)v;
    } else {
        rc = ANAS_EINVAL;
    }
    return rc;
}

int anas_eval_apply_recipe(const struct anas_config *cfg, struct anas_train_spec *ts)
{
    const struct anas_space *s = cfg ? cfg->space : NULL;
    int rc;

    if (!s || !ts)
        return ANAS_EINVAL;
    for (int i = 0; i < anas_space_n_hp(s); i++) {
        const char *name = anas_space_hp(s, i)->name;
        if (strncmp(name, "train.", 6) == 0 && (rc = apply_one(name + 6, cfg->v[i], ts)) < 0)
            return rc;
    }
    return 0;
}

int anas_eval_train(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                    const atomic_int *cancel, struct anas_train_progress *progress,
                    struct anas_metrics *out, struct anas_net **keep,
                    struct anas_error *err)
{
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    struct anas_anet *an = NULL;
    struct anas_train_result *res = NULL;
    struct anas_train_spec ts = spec->train;
    struct watch w;
    struct anas_config own;
    struct anas_rng rng;
    struct pulsed_step ps = {0};
    double analog_s = 0;
    int rc, batch;

    anas_metrics_init(out);
    if (keep)
        *keep = NULL;
    if (!spec->train_set || !spec->test_set)
        return anas_error_field(err, ANAS_EINVAL, "dataset", "training needs a dataset");
    rc = anas_eval_analytic(spec, cfg, out, err);
    if (rc < 0)
        return rc;
    rc = anas_space_build(spec->space, &spec->shape, cfg, &def, err);
    if (rc < 0)
        return rc;
    ts.loss = spec->train_set && spec->train_set->t ? ANAS_TRAIN_MSE
                                                    : loss_for(def, &spec->shape);
    /* The configuration's own recipe, if its space chooses one (the build
     * checked that cfg is of spec->space, or of no space). */
    own = *cfg;
    own.space = spec->space;
    if ((rc = anas_eval_apply_recipe(&own, &ts)) < 0) {
        rc = anas_error_set(err, rc, "the configuration's training choices are not a recipe");
        goto out;
    }
    if ((rc = anas_train_spec_check(&ts, err)) < 0)
        goto out;
    batch = ts.batch_size > ts.eval_batch ? ts.batch_size : ts.eval_batch;
    net = anas_net_new(def, batch, err);
    res = anas_calloc(1, sizeof *res);
    if (!net && err && err->code == ANAS_ENOMEM) {
        /* The net holds activations for the larger of the two batches:
         * say which the user can change. */
        rc = anas_error_set(err, ANAS_ENOMEM,
                            "out of memory for the network's activations at %d samples a "
                            "batch (the larger of batch_size %d and the evaluation batch "
                            "%d): a smaller batch_size or network needs less",
                            batch, ts.batch_size, ts.eval_batch);
        goto out;
    }
    if (!net || !res) {
        rc = net ? anas_error_set(err, ANAS_ENOMEM, "out of memory") : err->code;
        goto out;
    }
    if (spec->threads > 1 && (rc = anas_net_set_threads(net, spec->threads, err)) < 0)
        goto out;
    /* the analog tiles' products, outside the net's kernels, on its team too */
    anas_team_lend(anas_net_team(net));
    anas_rng_seed(&rng, ts.seed);
    anas_net_init(net, &rng);
    if ((spec->analog.enabled || spec->analog.pulsed) &&
        (rc = analog_open(spec, net, &ts, &an, &ps, err)) < 0)
        goto out;
    w = (struct watch){.spec = spec, .net = net, .an = an, .ts = &ts, .cancel = cancel,
                       .progress = progress, .err = err};
    if (progress && progress->epoch_end) {
        progress->stopped_at = 0;
        ts.epoch_end = epoch_end;
        ts.epoch_end_ctx = &w;
    }
    rc = anas_train_run(net, spec->train_set, spec->test_set, &ts, progress, cancel, res, err);
    if (rc == 0 && res->stopped) {
        rc = report_stopped(&w, res, out) < 0 ? anas_error_set(err, ANAS_ELIMIT, "too many metrics")
                                              : 0;
    } else if (rc == 0 && an) {
        double t0 = anas__eval_now(), trained = res->seconds;
        rc = analog_close(spec, net, an, &ts, cancel, progress, res, out, err);
        analog_s = anas__eval_now() - t0 - (res->seconds - trained);
    } else if (rc == 0) {
        rc = report(res, ts.loss, out);
    }
    /* Where an evaluation's time goes (tests/bench/eval-throughput reads
     * it); not a metric, so that identical evaluations keep identical
     * metrics but for train_s. */
    if (rc == 0)
        anas_log(ANAS_LOG_DEBUG,
                 "evaluation phases: training %.3f s, test passes %.3f s, analog "
                 "measurement %.3f s",
                 res->seconds - res->test_seconds, res->test_seconds, analog_s);
    if (rc == 0 && keep && !res->stopped) {
        *keep = net;
        net = NULL;
    }
out:
    anas_team_lend(NULL);
    anas_anet_free(an); /* before the net: it unhooks it, and a kept net is digital */
    anas_free(res);
    anas_net_free(net);
    anas_netdef_free(def);
    return rc < 0 ? rc : 0;
}
