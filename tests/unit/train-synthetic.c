/*
 * train-synthetic.c - the training loop on the synthetic task: an MLP and
 * a CNN learn it (>= 95% test accuracy in a few epochs), a run is
 * reproducible bit for bit, the progress counters reach their total, a
 * cancel flag raised from another thread stops the run, an autoencoder's
 * MSE falls, mismatched data is refused, every allocation failure is clean,
 * and the spec checks name the offending field.
 */
#include "config.h"

#include "eval/train.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "core/alloc.h"
#include "tap.h"

#define CLASSES 4

static struct anas_dataset *train_set, *test_set;

/* flatten -> linear 32 -> relu -> linear 4 */
static struct anas_netdef *mlp(void)
{
    struct anas_netdef *def = anas_netdef_new(1, 8, 8);
    int x = anas_netdef_flatten(def, 0, "flat");
    x = anas_netdef_linear(def, x, 32, 1, "fc1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
    anas_netdef_linear(def, x, CLASSES, 1, "fc2");
    return def;
}

/* conv 8 3x3 -> bn -> relu -> maxpool 2 -> flatten -> linear 4 */
static struct anas_netdef *cnn(void)
{
    struct anas_netdef *def = anas_netdef_new(1, 8, 8);
    int x = anas_netdef_conv2d(def, 0, 8, 3, 1, 1, 0, "conv1");
    x = anas_netdef_batchnorm(def, x, "bn1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu1");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "pool1");
    x = anas_netdef_flatten(def, x, "flat");
    anas_netdef_linear(def, x, CLASSES, 1, "fc");
    return def;
}

/* A net from def, initialised from `seed`; the def is consumed. */
static struct anas_net *make_net(struct anas_netdef *def, uint64_t seed)
{
    struct anas_error err = {0};
    struct anas_net *net = anas_net_new(def, 256, &err);
    struct anas_rng rng;

    if (!net)
        printf("# anas_net_new: %s\n", err.msg);
    anas_rng_seed(&rng, seed);
    if (net)
        anas_net_init(net, &rng);
    anas_netdef_free(def);
    return net;
}

static struct anas_train_spec recipe(int epochs)
{
    struct anas_train_spec ts;

    anas_train_spec_init(&ts);
    ts.epochs = epochs;
    ts.batch_size = 32;
    return ts;
}

static void learns(struct anas_netdef *def, const char *what)
{
    static struct anas_train_result res;
    struct anas_train_spec ts = recipe(3);
    struct anas_train_progress progress;
    struct anas_error err = {0};
    struct anas_net *net = make_net(def, 1);
    int rc;

    rc = net ? anas_train_run(net, train_set, test_set, &ts, &progress, NULL, &res, &err)
             : ANAS_ENOMEM;
    is_int(rc, 0, "%s: trains (%s)", what, rc ? err.msg : "ok");
    ok(res.acc_fp >= 0.95, "%s: test accuracy %.4f after 3 epochs", what, res.acc_fp);
    ok(res.epochs_done == 3 && res.train_loss_curve[2] < res.train_loss_curve[0] &&
           res.test_acc_curve[2] == res.acc_fp,
       "%s: curves filled, loss %.4f -> %.4f", what, res.train_loss_curve[0],
       res.train_loss_curve[2]);
    ok(atomic_load(&progress.batches_done) == atomic_load(&progress.batches_total) &&
           atomic_load(&progress.batches_total) == 3 * ((train_set->n + 31) / 32) &&
           atomic_load(&progress.epoch) == 3,
       "%s: progress reaches %ld of %ld batches", what,
       atomic_load(&progress.batches_done), atomic_load(&progress.batches_total));
    anas_net_free(net);
}

/* Two runs from one seed: the same loss curve and weights, bit for bit. */
static void deterministic(void)
{
    static struct anas_train_result a, b, c;
    struct anas_train_spec ts = recipe(2);
    struct anas_net *n1 = make_net(cnn(), 5), *n2 = make_net(cnn(), 5),
                    *n3 = make_net(cnn(), 5);
    size_t np;
    int rc;

    ts.aug = (struct anas_augment){.crop_pad = 1, .flip = 1, .cutout = 2};
    rc = anas_train_run(n1, train_set, test_set, &ts, NULL, NULL, &a, NULL);
    rc |= anas_train_run(n2, train_set, test_set, &ts, NULL, NULL, &b, NULL);
    ts.seed = 2;
    rc |= anas_train_run(n3, train_set, test_set, &ts, NULL, NULL, &c, NULL);
    anas_net_params(n1, &np);
    ok(rc == 0 &&
           memcmp(a.train_loss_curve, b.train_loss_curve, sizeof a.train_loss_curve) ==
               0 &&
           a.acc_fp == b.acc_fp && a.test_loss == b.test_loss,
       "same seed: the same losses bit for bit (%.9g)", a.train_loss);
    ok(memcmp(anas_net_params(n1, NULL), anas_net_params(n2, NULL), np * sizeof(float)) ==
           0,
       "same seed: the same weights");
    ok(a.train_loss != c.train_loss, "another seed: another loss (%.9g)", c.train_loss);
    anas_net_free(n1);
    anas_net_free(n2);
    anas_net_free(n3);
}

struct canceller {
    struct anas_train_progress *progress;
    atomic_int *cancel;
};

static void *cancel_soon(void *arg)
{
    struct canceller *c = arg;

    while (atomic_load(&c->progress->batches_done) < 5)
        sched_yield();
    atomic_store(c->cancel, 1);
    return NULL;
}

static void cancels(void)
{
    static struct anas_train_result res;
    struct anas_train_spec ts = recipe(50);
    struct anas_train_progress progress = {0};
    struct anas_error err = {0};
    struct anas_net *net = make_net(mlp(), 1);
    atomic_int cancel = 1;
    struct canceller c = {&progress, &cancel};
    pthread_t th;
    int rc;

    rc = anas_train_run(net, train_set, test_set, &ts, &progress, &cancel, &res, &err);
    ok(rc == ANAS_ECANCELED && res.epochs_done == 0 &&
           atomic_load(&progress.batches_done) == 0,
       "a raised flag stops before the first batch");
    atomic_store(&cancel, 0);
    atomic_store(&progress.batches_done, 0);
    pthread_create(&th, NULL, cancel_soon, &c);
    rc = anas_train_run(net, train_set, test_set, &ts, &progress, &cancel, &res, &err);
    pthread_join(th, NULL);
    ok(rc == ANAS_ECANCELED && err.code == ANAS_ECANCELED,
       "raised from a thread: ECANCELED");
    ok(atomic_load(&progress.batches_done) >= 5 &&
           atomic_load(&progress.batches_done) < atomic_load(&progress.batches_total),
       "it stopped between batches (%ld of %ld)", atomic_load(&progress.batches_done),
       atomic_load(&progress.batches_total));
    anas_net_free(net);
}

/* conv 8 -> relu -> conv 1: reconstruct the input. */
static void autoencoder(void)
{
    static struct anas_train_result res;
    struct anas_netdef *def = anas_netdef_new(1, 8, 8);
    struct anas_train_spec ts = recipe(3);
    struct anas_error err = {0};
    struct anas_net *net;
    double before, after, loss;
    int x, rc;

    x = anas_netdef_conv2d(def, 0, 8, 3, 1, 1, 1, "enc");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "relu");
    anas_netdef_conv2d(def, x, 1, 3, 1, 1, 1, "dec");
    net = make_net(def, 3);
    ts.loss = ANAS_TRAIN_MSE;
    ts.optim.kind = ANAS_OPTIM_ADAM;
    ts.optim.lr = 0.01f;
    rc = anas_train_evaluate(net, test_set, 100, ANAS_TRAIN_MSE, &before, &loss, &err);
    rc |= anas_train_run(net, train_set, test_set, &ts, NULL, NULL, &res, &err);
    rc |= anas_train_evaluate(net, test_set, ts.eval_batch, ANAS_TRAIN_MSE, &after, &loss,
                              &err);
    ok(rc == 0 && after < 0.5 * before, "MSE: test error %.4f -> %.4f", before, after);
    ok(res.neg_mse == -after, "neg_mse is minus the test MSE (same batches, same bits)");
    ts = recipe(1);
    is_int(anas_train_run(net, train_set, test_set, &ts, NULL, NULL, &res, &err),
           ANAS_ESHAPE, "cross-entropy on an image output: ANAS_ESHAPE");
    anas_net_free(net);
}

static void mismatches(void)
{
    static struct anas_train_result res;
    struct anas_train_spec ts = recipe(1);
    struct anas_error err = {0};
    struct anas_net *net = make_net(mlp(), 1);
    struct anas_dataset *wide = anas_data_synthetic(50, 1, 8, 9, 4, 1, NULL);
    struct anas_dataset *many = anas_data_synthetic(50, 1, 8, 8, 6, 1, NULL);

    ok(anas_train_run(net, wide, test_set, &ts, NULL, NULL, &res, &err) == ANAS_ESHAPE &&
           strcmp(err.field, "dataset") == 0,
       "8x9 images into an 8x8 net: ANAS_ESHAPE on dataset");
    ok(anas_train_run(net, many, test_set, &ts, NULL, NULL, &res, &err) == ANAS_ESHAPE,
       "6 classes into 4 outputs: ANAS_ESHAPE (%s)", err.msg);
    ok(anas_train_run(net, train_set, many, &ts, NULL, NULL, &res, &err) == ANAS_ESHAPE,
       "a test set with 6 classes: ANAS_ESHAPE");
    many->classes = 4; /* a record that lies about its labels */
    ok(anas_train_run(net, many, test_set, &ts, NULL, NULL, &res, &err) == ANAS_EINVAL,
       "a label beyond the outputs: ANAS_EINVAL (%s)", err.msg);
    anas_data_free(wide);
    anas_data_free(many);
    anas_net_free(net);
}

static void chaos(void)
{
    static struct anas_train_result res;
    struct anas_train_spec ts = recipe(1);
    struct anas_net *net = make_net(cnn(), 1);
    int fails, rc = ANAS_ENOMEM, clean = 1;

    for (fails = 0; rc == ANAS_ENOMEM && fails < 100; fails++) {
        struct anas_error err = {0};
        anas_alloc_fail_after(fails);
        rc = anas_train_run(net, train_set, test_set, &ts, NULL, NULL, &res, &err);
        anas_alloc_fail_after(-1);
        clean &= rc == 0 || (rc == ANAS_ENOMEM && err.code == ANAS_ENOMEM);
    }
    ok(rc == 0 && clean && fails > 1, "run: %d allocation failures, each ANAS_ENOMEM",
       fails - 1);
    anas_net_free(net);
}

static void expect_field(struct anas_train_spec *ts, const char *field)
{
    struct anas_error err = {0};
    int rc = anas_train_spec_check(ts, &err);

    ok(rc < 0 && strcmp(err.field, field) == 0, "check names %s (%s)", field,
       rc < 0 ? err.msg : "accepted");
    anas_train_spec_init(ts);
}

static void spec(void)
{
    struct anas_train_spec ts;

    anas_train_spec_init(&ts);
    ok(ts.epochs == 1 && ts.batch_size == 128 && ts.optim.kind == ANAS_OPTIM_SGD &&
           ts.optim.lr == 0.01f && ts.optim.momentum == 0.9f &&
           ts.sched.kind == ANAS_SCHED_CONSTANT && ts.loss == ANAS_TRAIN_XENT &&
           ts.seed == 1 && ts.eval_batch == 256 && !ts.aug.crop_pad && !ts.aug.flip &&
           !ts.aug.cutout,
       "defaults: 1 epoch, batch 128, SGD 0.01 momentum 0.9, constant, XENT, seed 1");
    is_int(anas_train_spec_check(&ts, NULL), 0, "the defaults pass");
    ts.epochs = 0;
    expect_field(&ts, "epochs");
    ts.epochs = ANAS_TRAIN_MAX_EPOCHS + 1;
    expect_field(&ts, "epochs");
    ts.batch_size = 0;
    expect_field(&ts, "batch_size");
    ts.eval_batch = 5000;
    expect_field(&ts, "eval_batch");
    ts.optim.lr = 0;
    expect_field(&ts, "optimizer.lr");
    ts.optim.lr = NAN;
    expect_field(&ts, "optimizer.lr");
    ts.optim.momentum = 1;
    expect_field(&ts, "optimizer.momentum");
    ts.optim.weight_decay = -1e-4f;
    expect_field(&ts, "optimizer.weight_decay");
    ts.optim.kind = (enum anas_optim_kind)7;
    expect_field(&ts, "optimizer.kind");
    ts.optim.kind = ANAS_OPTIM_ADAMW;
    ts.optim.beta2 = 1;
    expect_field(&ts, "optimizer.beta2");
    ts.sched.kind = (enum anas_sched_kind)9;
    expect_field(&ts, "schedule");
    ts.sched.kind = ANAS_SCHED_COSINE;
    ts.sched.t_max = 0;
    expect_field(&ts, "schedule.t_max");
    ts.sched.kind = ANAS_SCHED_STEP;
    ts.sched.gamma = 0;
    expect_field(&ts, "schedule.gamma");
    ts.aug.cutout = -1;
    expect_field(&ts, "augment.cutout");
    ts.loss = (enum anas_train_loss)3;
    expect_field(&ts, "loss");
}

int main(void)
{
    struct anas_error err = {0};

    train_set = anas_data_synthetic(1200, 1, 8, 8, CLASSES, 1, &err);
    test_set = anas_data_synthetic(400, 1, 8, 8, CLASSES, 2, &err);
    if (!train_set || !test_set)
        skip_all("cannot make the synthetic sets");
    plan(39);
    learns(mlp(), "mlp");
    learns(cnn(), "cnn");
    deterministic();
    cancels();
    autoencoder();
    mismatches();
    chaos();
    spec();
    anas_data_free(train_set);
    anas_data_free(test_set);
    return done();
}
