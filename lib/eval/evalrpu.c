/*
 * evalrpu.c - the rpu evaluator: one trained network measured on the
 * hardware an rpu-space configuration describes (AnalogNAS PR #6's
 * RealtimeRPUEvaluator, analogainas/evaluators/realtime_rpu_evaluator.py,
 * on the RPUConfigSpace of search_spaces/config_spaces/rpu_config_space.py).
 *
 * Each evaluation builds its own copy of the network from the borrowed
 * weights (nets are single-threaded; evaluations run in parallel), maps it
 * onto tiles of the configured size and converters, and runs the analog
 * measurement of the train evaluator. The seed is the same for every
 * configuration, so configurations differ by their hardware only.
 */
#include "config.h"

#include "eval/eval.h"

#include <string.h>

#include "eval/eval_int.h"

#define RPU_STREAM 0x727075ULL

enum { G_MAX, TILE_SIZE, DAC, ADC };

int anas_eval_rpu_hw(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                     struct anas_analog_config *out, struct anas_error *err)
{
    *out = spec->analog.hw;
    if (!(cfg->v[G_MAX] > 0) || !(cfg->v[TILE_SIZE] >= 1) || !(cfg->v[DAC] >= 1) ||
        !(cfg->v[ADC] >= 1))
        return anas_error_set(err, ANAS_ERANGE, "not an rpu-space configuration");
    out->noise_model.g_max = (float)cfg->v[G_MAX];
    out->mapping.max_input_size = (int)cfg->v[TILE_SIZE];
    out->forward.inp_res = (float)(1.0 / cfg->v[DAC]);
    out->forward.out_res = (float)(1.0 / cfg->v[ADC]);
    return anas_analog_config_check(out, err);
}

/* A fresh net holding the trained weights. */
static struct anas_net *load(const struct anas_eval_spec *spec, int batch,
                             struct anas_netdef **def, struct anas_error *err)
{
    const struct anas_eval_rpu_base *b = &spec->rpu;
    struct anas_net *net;
    size_t np, ns;

    if (anas_space_build(b->space, &b->shape, &b->cfg, def, err) < 0)
        return NULL;
    net = anas_net_new(*def, batch, err);
    if (!net)
        return NULL;
    anas_net_params(net, &np);
    anas_net_state(net, &ns);
    if (np != b->n_params || ns != b->n_state) {
        anas_error_field(err, ANAS_ESHAPE, "model",
                         "the weights (%zu, %zu floats) do not fit the architecture "
                         "(%zu, %zu)",
                         b->n_params, b->n_state, np, ns);
        anas_net_free(net);
        return NULL;
    }
    memcpy(anas_net_params(net, NULL), b->params, np * sizeof(float));
    if (ns)
        memcpy(anas_net_state(net, NULL), b->state, ns * sizeof(float));
    return net;
}

/* Reconstruction nets (output shaped like the input) are judged by MSE. */
static enum anas_train_loss loss_of(const struct anas_netdef *def,
                                    const struct anas_shape *shape)
{
    int c, h, w;

    if (anas_netdef_shape(def, anas_netdef_n_nodes(def) - 1, &c, &h, &w) == 0 && h > 1 &&
        c == shape->c && h == shape->h && w == shape->w)
        return ANAS_TRAIN_MSE;
    return ANAS_TRAIN_XENT;
}

int anas_eval_rpu(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                  const atomic_int *cancel, struct anas_train_progress *progress,
                  struct anas_metrics *out, struct anas_error *err)
{
    struct anas_eval_spec s = *spec;
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    struct anas_anet *an = NULL;
    struct anas_rng r;
    enum anas_train_loss loss;
    int batch = spec->train.eval_batch > 0 ? spec->train.eval_batch : 256;
    double v, l;
    int rc;

    anas_metrics_init(out);
    if (progress) {
        atomic_store(&progress->batches_done, 0);
        atomic_store(&progress->batches_total, 0);
    }
    rc = anas_eval_analytic(spec, cfg, out, err);
    if (rc == 0)
        rc = anas_eval_rpu_hw(spec, cfg, &s.analog.hw, err);
    if (rc < 0)
        return rc;
    s.train.eval_batch = batch;
    net = load(spec, batch, &def, err);
    if (!net) {
        rc = err && err->code ? err->code : ANAS_ENOMEM;
        goto out;
    }
    loss = loss_of(def, &spec->rpu.shape);
    rc = anas_train_evaluate(net, spec->test_set, batch, loss, &v, &l, err);
    if (rc == 0)
        rc = anas_metrics_set(out, loss == ANAS_TRAIN_MSE ? "neg_mse@fp" : "acc@fp",
                              loss == ANAS_TRAIN_MSE ? -v : v);
    if (rc < 0)
        goto out;
    anas_rng_seed2(&r, spec->train.seed, RPU_STREAM);
    an = anas_anet_new(net, &s.analog.hw, anas_rng_u64(&r), err);
    if (!an) {
        rc = err && err->code ? err->code : ANAS_ENOMEM;
        goto out;
    }
    rc = anas__eval_analog_measure(&s, net, an, loss, cancel, progress, out, err);
out:
    anas_anet_free(an);
    anas_net_free(net);
    anas_netdef_free(def);
    return rc < 0 ? rc : 0;
}
