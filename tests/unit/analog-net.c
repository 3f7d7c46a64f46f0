/*
 * analog-net.c - whole networks on analog tiles (anet.c) and the analog
 * evaluators (evalanalog.c, evalrpu.c): on an ideal tile the analog net
 * computes what the digital one does, split or not; real tiles perturb it
 * but keep it recognisable; going back to digital is exact; hardware-aware
 * training draws modified weights for forward and backward and clips the
 * clean ones; programming and drifting are reproducible from a seed and
 * global compensation keeps the outputs' scale; the train evaluator with
 * an analog part reports acc@t, acc_std@t and avm, reproducibly; the rpu
 * evaluator measures a fixed network on the tiles a configuration names.
 */
#include "config.h"

#include "analog/analog.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/eval.h"
#include "tap.h"

#define B       16
#define CLASSES 4

/* conv 6 3x3 (bias) -> bn -> relu -> maxpool 2 -> flatten -> linear 12 ->
 * relu -> linear 4: both kinds of analog layer, a digital one between. */
static struct anas_net *cnn_b(uint64_t seed, int bias)
{
    struct anas_netdef *def = anas_netdef_new(2, 8, 8);
    struct anas_net *net;
    struct anas_rng rng;
    int x = anas_netdef_conv2d(def, 0, 6, 3, 1, 1, bias, "conv1");

    x = anas_netdef_batchnorm(def, x, "bn1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "pool1");
    x = anas_netdef_flatten(def, x, "flat");
    x = anas_netdef_linear(def, x, 12, bias, "fc1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu2");
    anas_netdef_linear(def, x, CLASSES, bias, "fc2");
    net = anas_net_new(def, B, NULL);
    anas_netdef_free(def);
    anas_rng_seed(&rng, seed);
    if (net)
        anas_net_init(net, &rng);
    return net;
}

static struct anas_net *cnn(uint64_t seed)
{
    return cnn_b(seed, 1);
}

static float xin[B * 2 * 8 * 8];

static void forward(struct anas_net *net, int training, float *out)
{
    const float *y = NULL;
    struct anas_rng rng;

    anas_rng_seed(&rng, 3);
    if (anas_net_forward(net, xin, B, training, &rng, &y) == 0)
        memcpy(out, y, sizeof(float) * B * CLASSES);
    else
        memset(out, 0, sizeof(float) * B * CLASSES);
}

/* Pearson correlation of two output sets. */
static double corr(const float *a, const float *b, int n)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;

    for (int i = 0; i < n; i++)
        ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    for (int i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
}

static double max_rel(const float *a, const float *b, int n)
{
    double m = 0, s = 0;

    for (int i = 0; i < n; i++) {
        m = fmax(m, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return s > 0 ? m / s : m;
}

static void ideal_equals_digital(void)
{
    struct anas_net *net = cnn(1);
    struct anas_analog_config hw;
    struct anas_anet *an;
    float dig[B * CLASSES], ana[B * CLASSES], back[B * CLASSES];

    anas_analog_preset("ideal", &hw);
    forward(net, 0, dig);
    an = anas_anet_new(net, &hw, 1, NULL);
    ok(an && anas_anet_n_layers(an) == 3 && anas_anet_n_tiles(an) == 3,
       "ideal: 3 analog layers on 3 tiles");
    anas_anet_set_mode(an, ANAS_ANET_ANALOG);
    forward(net, 0, ana);
    ok(max_rel(ana, dig, B * CLASSES) < 1e-5, "ideal tiles compute the digital net (%.2g)",
       max_rel(ana, dig, B * CLASSES));
    anas_anet_free(an);

    hw.mapping.max_input_size = 7; /* conv1: 18 rows -> 3 tiles; fc1: 96 -> 14 */
    hw.mapping.max_output_size = 5;
    an = anas_anet_new(net, &hw, 1, NULL);
    anas_anet_set_mode(an, ANAS_ANET_ANALOG);
    forward(net, 0, ana);
    ok(anas_anet_n_tiles(an) > 3 && max_rel(ana, dig, B * CLASSES) < 1e-5,
       "ideal split over %d tiles: the same (%.2g)", anas_anet_n_tiles(an),
       max_rel(ana, dig, B * CLASSES));
    anas_anet_program(an);
    anas_anet_drift(an, 86400);
    forward(net, 0, ana);
    ok(max_rel(ana, dig, B * CLASSES) < 1e-5, "ideal: programming and drift change nothing");
    anas_anet_set_mode(an, ANAS_ANET_DIGITAL);
    forward(net, 0, back);
    ok(memcmp(back, dig, sizeof dig) == 0, "back to digital: bit for bit");
    anas_anet_free(an);
    anas_net_free(net);
}

/* aihwkit's defaults: noisy, quantized, but the same function roughly. */
static void real_tiles(void)
{
    struct anas_net *net = cnn(1);
    struct anas_analog_config hw;
    struct anas_anet *a1, *a2;
    float dig[B * CLASSES], o1[B * CLASSES], o2[B * CLASSES], o3[B * CLASSES];
    double r;

    anas_analog_preset("aihwkit-default", &hw);
    forward(net, 0, dig);
    a1 = anas_anet_new(net, &hw, 9, NULL);
    anas_anet_set_mode(a1, ANAS_ANET_ANALOG);
    forward(net, 0, o1);
    forward(net, 0, o2);
    r = max_rel(o1, dig, B * CLASSES);
    ok(r > 1e-3 && corr(o1, dig, B * CLASSES) > 0.8,
       "default tiles: outputs perturbed (by %.3g of their range) but correlated (%.3f)", r,
       corr(o1, dig, B * CLASSES));
    ok(memcmp(o1, o2, sizeof o1) != 0, "fresh IO noise on every forward");
    anas_anet_free(a1);

    /* perfect IO: what changes between drifts is the devices' noise only */
    hw.forward.is_perfect = 1;
    a1 = anas_anet_new(net, &hw, 9, NULL);
    anas_anet_set_mode(a1, ANAS_ANET_ANALOG);
    forward(net, 0, o3);
    forward(net, 0, o3);
    anas_anet_program(a1);
    anas_anet_drift(a1, 3600);
    forward(net, 0, o1);
    anas_anet_free(a1);
    a2 = anas_anet_new(net, &hw, 9, NULL);
    anas_anet_set_mode(a2, ANAS_ANET_ANALOG);
    forward(net, 0, o3); /* the same draws as a1's first forward */
    forward(net, 0, o3);
    anas_anet_program(a2);
    anas_anet_drift(a2, 3600);
    forward(net, 0, o2);
    ok(memcmp(o1, o2, sizeof o1) == 0, "same seed, same history: the same drifted outputs");
    anas_anet_drift(a2, 3600);
    forward(net, 0, o3);
    ok(memcmp(o2, o3, sizeof o2) != 0 && corr(o3, o2, B * CLASSES) > 0.9,
       "a second drift to the same time: fresh read noise (%.3g), same programming (%.3f)",
       max_rel(o3, o2, B * CLASSES), corr(o3, o2, B * CLASSES));
    anas_anet_free(a2);
    anas_net_free(net);
}

/* Compensation keeps the outputs' scale as the conductances decay (no
 * biases: they are digital and do not drift). */
static void compensation(void)
{
    struct anas_net *net = cnn_b(2, 0);
    struct anas_analog_config hw;
    struct anas_anet *an;
    float dig[B * CLASSES], o[B * CLASSES];
    double s_dig = 0, s_none = 0, s_comp = 0;

    anas_analog_preset("aihwkit-default", &hw);
    hw.forward.out_noise = 0;
    forward(net, 0, dig);
    for (int comp = 0; comp < 2; comp++) {
        hw.drift_compensation = comp ? ANAS_DRIFT_COMP_GLOBAL : ANAS_DRIFT_COMP_NONE;
        an = anas_anet_new(net, &hw, 4, NULL);
        anas_anet_drift(an, 30 * 86400.0);
        forward(net, 0, o);
        for (int i = 0; i < B * CLASSES; i++)
            *(comp ? &s_comp : &s_none) += fabs(o[i]);
        anas_anet_free(an);
    }
    for (int i = 0; i < B * CLASSES; i++)
        s_dig += fabs(dig[i]);
    ok(s_none < 0.9 * s_dig, "30 days uncompensated: outputs shrink to %.2f of digital",
       s_none / s_dig);
    ok(fabs(s_comp / s_dig - 1) < 0.15, "30 days compensated: %.2f of digital",
       s_comp / s_dig);
    anas_net_free(net);
}

static void hwa(void)
{
    struct anas_net *net = cnn(3);
    struct anas_analog_config hw;
    struct anas_anet *an;
    float td[B * CLASSES], th[B * CLASSES], e1[B * CLASSES], ed[B * CLASSES];
    float *p = anas_net_params(net, NULL), maxw = 0;
    struct anas_net_layer conv;

    anas_analog_preset("aihwkit-default", &hw);
    hw.modifier.type = ANAS_MOD_ADD_NORMAL;
    hw.modifier.std_dev = 0.2f;
    hw.clip = (struct anas_analog_clip){ANAS_CLIP_FIXED_VALUE, 0.05f, 2.5f};
    hw.forward.is_perfect = 1; /* the modifier's effect alone */
    an = anas_anet_new(net, &hw, 5, NULL);
    is_int(anas_anet_post_step(an), ANAS_ESTATE, "post_step outside HWA mode: ANAS_ESTATE");
    is_int(anas_anet_set_mode(an, ANAS_ANET_HWA), 0, "HWA mode");
    is_int(anas_anet_post_step(an), 0, "post_step");
    anas_net_layer(net, 1, &conv);
    for (int i = 0; i < conv.d * conv.n; i++)
        maxw = fmaxf(maxw, fabsf(p[conv.weight + i]));
    ok(fabsf(maxw - 0.05f) < 1e-7f, "clip FIXED_VALUE: max|W| of conv1 = %g", maxw);
    /* batch norm's batch statistics: compare training forwards only */
    anas_anet_set_mode(an, ANAS_ANET_DIGITAL);
    forward(net, 1, td);
    anas_anet_set_mode(an, ANAS_ANET_HWA);
    anas_anet_post_step(an);
    forward(net, 1, th);
    forward(net, 0, e1); /* batch norm's running statistics stay as they are now */
    anas_anet_set_mode(an, ANAS_ANET_DIGITAL);
    forward(net, 0, ed);
    ok(max_rel(th, td, B * CLASSES) > 0.01,
       "HWA training forward runs on modified weights (%.3g off the digital one)",
       max_rel(th, td, B * CLASSES));
    ok(max_rel(e1, ed, B * CLASSES) < 1e-5,
       "HWA evaluation forward runs on the clean weights (%.2g)", max_rel(e1, ed, B * CLASSES));
    anas_anet_free(an);
    anas_net_free(net);
}

/* --- the evaluators --- */

static struct anas_dataset *train_set, *test_set;

static int eval_spec(struct anas_eval_spec *spec, int hwa_on)
{
    const struct anas_space *mlp = anas_space_find("mlp");
    struct anas_shape shape = {1, 8, 8, CLASSES};

    anas_eval_spec_init(spec, ANAS_EVAL_TRAIN, mlp, &shape);
    spec->train_set = train_set;
    spec->test_set = test_set;
    anas_train_spec_init(&spec->train);
    spec->train.epochs = 2;
    spec->train.batch_size = 32;
    spec->analog.enabled = 1;
    spec->analog.hwa = hwa_on;
    spec->analog.repeats = 3;
    spec->analog.hw.modifier.type = ANAS_MOD_ADD_NORMAL;
    spec->analog.hw.modifier.std_dev = 0.05f;
    return mlp ? 0 : -1;
}

static void mlp_config(struct anas_config *cfg, int width)
{
    const struct anas_space *mlp = anas_space_find("mlp");

    anas_config_init(cfg, mlp);
    cfg->v[anas_space_hp_index(mlp, "depth")] = 1;
    cfg->v[anas_space_hp_index(mlp, "width1")] = width;
    cfg->v[anas_space_hp_index(mlp, "activation")] = 0;
}

static void evaluator(void)
{
    static const char *const names[] = {"acc@fp", "acc@1s",     "acc_std@1s", "acc@1h",
                                        "acc@1d", "acc@30d",    "acc_std@30d", "avm",
                                        "params", "train_loss"};
    struct anas_eval_spec spec;
    struct anas_config cfg;
    struct anas_metrics m1, m2;
    struct anas_error err = {0};
    double fp = 0, a1 = 0, a30 = 0, avm = -1, std = -1;
    int rc, all = 1;

    eval_spec(&spec, 1);
    mlp_config(&cfg, 64);
    rc = anas_eval_run(&spec, &cfg, NULL, &m1, &err);
    is_int(rc, 0, "HWA train + analog evaluation runs (%s)", rc ? err.msg : "ok");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        all &= anas_metrics_get(&m1, names[i], &fp) == 0;
    ok(all, "acc@fp, acc@t and acc_std@t for 1s 1h 1d 30d, avm reported");
    anas_metrics_get(&m1, "acc@fp", &fp);
    anas_metrics_get(&m1, "acc@1s", &a1);
    anas_metrics_get(&m1, "acc@30d", &a30);
    anas_metrics_get(&m1, "avm", &avm);
    anas_metrics_get(&m1, "acc_std@30d", &std);
    ok(fp > 0.8 && a1 > 0.6 && a30 > 0.4, "it learned: acc@fp %.3f, acc@1s %.3f, acc@30d %.3f",
       fp, a1, a30);
    ok(fabs(avm - 100 * (a1 - a30)) < 1e-9 && std >= 0 && std < 0.2,
       "avm = 100 (acc@1s - acc@30d) = %.2f points; acc_std@30d %.4f", avm, std);
    rc = anas_eval_run(&spec, &cfg, NULL, &m2, &err);
    anas_metrics_set(&m1, "train_s", 0); /* wall time */
    anas_metrics_set(&m2, "train_s", 0);
    ok(rc == 0 && m1.n == m2.n && memcmp(&m1, &m2, sizeof m1) == 0,
       "the same evaluation twice: the same metrics");
}

/* The watcher of early_stop(): records the curve, stops after `stop_at`. */
struct watched {
    int stop_at, calls, epochs;
    double acc[4], acc1d[4];
};

static int watch_epoch(void *ctx, int epoch, int epochs, const struct anas_metrics *m)
{
    struct watched *w = ctx;
    w->calls++;
    w->epochs = epochs;
    if (epoch <= 4) {
        anas_metrics_get(m, "acc@fp", &w->acc[epoch - 1]);
        if (anas_metrics_get(m, "acc@1d", &w->acc1d[epoch - 1]) < 0)
            w->acc1d[epoch - 1] = -1;
    }
    return epoch == w->stop_at;
}

static void early_stop(void)
{
    struct anas_eval_spec spec;
    struct anas_config cfg;
    struct anas_metrics full, cut;
    struct anas_train_progress pr;
    struct anas_error err = {0};
    struct watched w = {.stop_at = 0};
    double v = 0, a1d = 0;
    int rc;

    eval_spec(&spec, 1);
    spec.train.epochs = 3;
    spec.analog.curve_time = 2; /* 1d */
    mlp_config(&cfg, 64);
    memset(&pr, 0, sizeof pr);
    pr.epoch_end = watch_epoch;
    pr.epoch_ctx = &w;
    rc = anas_eval_train(&spec, &cfg, NULL, &pr, &full, NULL, &err);
    is_int(rc, 0, "watched training runs (%s)", rc ? err.msg : "ok");
    ok(w.calls == 3 && w.epochs == 3 && pr.stopped_at == 0,
       "the watcher sees 3 of 3 epochs and stops none (%d calls)", w.calls);
    ok(w.acc1d[0] >= 0 && w.acc1d[2] >= 0 && w.acc1d[2] <= 1,
       "a tile reading at 1d after every epoch: %.3f %.3f %.3f", w.acc1d[0], w.acc1d[1],
       w.acc1d[2]);
    anas_metrics_get(&full, "epochs", &v);
    is_near(v, 3, 0, "epochs 3 reported");
    ok(anas_metrics_get(&full, "acc@30d", &v) == 0, "the final measurement was made");

    memset(&w, 0, sizeof w);
    w.stop_at = 1;
    memset(&pr, 0, sizeof pr);
    pr.epoch_end = watch_epoch;
    pr.epoch_ctx = &w;
    rc = anas_eval_train(&spec, &cfg, NULL, &pr, &cut, NULL, &err);
    is_int(rc, 0, "stopped training returns 0");
    is_int(pr.stopped_at, 1, "stopped_at 1");
    is_int(w.calls, 1, "no epoch after the stop");
    anas_metrics_get(&cut, "epochs", &v);
    is_near(v, 1, 0, "epochs 1 reported");
    ok(anas_metrics_get(&cut, "acc@30d", &v) < 0, "no final measurement (no acc@30d)");
    rc = anas_metrics_get(&cut, "acc@1d", &a1d);
    ok(rc == 0 && a1d == w.acc1d[0], "acc@1d is the last epoch's reading (%.3f)", a1d);
    rc = anas_metrics_get(&cut, "params", &v);
    ok(rc == 0 && v > 0, "analytic metrics kept");
    rc = anas_metrics_get(&cut, "acc@fp", &v);
    ok(rc == 0 && v == w.acc[0], "acc@fp is the last epoch's (%.3f)", v);
}

static void rpu(void)
{
    struct anas_eval_spec tspec, spec;
    struct anas_config cfg, rcfg;
    struct anas_metrics m, mr64, mr2k;
    struct anas_error err = {0};
    struct anas_net *net = NULL;
    const struct anas_space *rs = anas_space_find("rpu");
    double t64 = 0, t2k = 0, acc = 0;
    size_t np, ns;
    int rc;

    eval_spec(&tspec, 0);
    tspec.analog.enabled = 0;
    mlp_config(&cfg, 128); /* fc2 has 128 inputs: 2 tiles of 64 */
    rc = anas_eval_train(&tspec, &cfg, NULL, NULL, &m, &net, &err);
    is_int(rc, 0, "rpu: a trained base network");
    if (!net || !rs) {
        ok(0, "rpu space exists");
        anas_net_free(net);
        return;
    }
    anas_eval_spec_init(&spec, ANAS_EVAL_RPU, rs, NULL);
    spec.test_set = test_set;
    spec.analog.enabled = 1;
    spec.analog.repeats = 2;
    spec.rpu = (struct anas_eval_rpu_base){anas_space_find("mlp"), tspec.shape, cfg,
                                           anas_net_params(net, &np),
                                           anas_net_state(net, &ns), np, ns};
    is_int(anas_eval_spec_check(&spec, &err), 0, "rpu spec checks (%s)", err.msg);
    anas_config_init(&rcfg, rs);
    rcfg.v[0] = 25, rcfg.v[1] = 64, rcfg.v[2] = 256, rcfg.v[3] = 256;
    rc = anas_eval_run(&spec, &rcfg, NULL, &mr64, &err);
    rcfg.v[1] = 2048;
    rc |= anas_eval_run(&spec, &rcfg, NULL, &mr2k, &err);
    is_int(rc, 0, "rpu: two configurations measured (%s)", rc ? err.msg : "ok");
    anas_metrics_get(&mr64, "tiles", &t64);
    anas_metrics_get(&mr2k, "tiles", &t2k);
    anas_metrics_get(&mr64, "acc@1d", &acc);
    ok(t64 > t2k && acc > 0.4, "tile size 64: %g tiles, 2048: %g; acc@1d %.3f", t64, t2k,
       acc);
    anas_net_free(net);
}

int main(void)
{
    struct anas_rng rng;

    plan_later();
    anas_rng_seed(&rng, 12);
    for (size_t i = 0; i < sizeof xin / sizeof xin[0]; i++)
        xin[i] = (float)anas_rng_normal(&rng);
    ideal_equals_digital();
    real_tiles();
    compensation();
    hwa();
    train_set = anas_data_synthetic(512, 1, 8, 8, CLASSES, 1, NULL);
    test_set = anas_data_synthetic(256, 1, 8, 8, CLASSES, 2, NULL);
    evaluator();
    early_stop();
    rpu();
    anas_data_free(train_set);
    anas_data_free(test_set);
    return done();
}
