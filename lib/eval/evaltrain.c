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

#include <string.h>

#include "core/alloc.h"

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
    return rc;
}

int anas_eval_train(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                    const atomic_int *cancel, struct anas_train_progress *progress,
                    struct anas_metrics *out, struct anas_net **keep,
                    struct anas_error *err)
{
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    struct anas_train_result *res = NULL;
    struct anas_train_spec ts = spec->train;
    struct anas_rng rng;
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
    ts.loss = loss_for(def, &spec->shape);
    batch = ts.batch_size > ts.eval_batch ? ts.batch_size : ts.eval_batch;
    net = anas_net_new(def, batch, err);
    res = anas_calloc(1, sizeof *res);
    if (!net || !res) {
        rc = net ? anas_error_set(err, ANAS_ENOMEM, "out of memory") : err->code;
        goto out;
    }
    anas_rng_seed(&rng, ts.seed);
    anas_net_init(net, &rng);
    rc = anas_train_run(net, spec->train_set, spec->test_set, &ts, progress, cancel, res, err);
    if (rc == 0)
        rc = report(res, ts.loss, out);
    if (rc == 0 && keep) {
        *keep = net;
        net = NULL;
    }
out:
    anas_free(res);
    anas_net_free(net);
    anas_netdef_free(def);
    return rc < 0 ? rc : 0;
}
