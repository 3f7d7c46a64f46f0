/*
 * train.h - train a network on a dataset and measure it: the digital part
 * of the `train` evaluator (analog simulation builds on it).
 *
 *     struct anas_train_spec ts;
 *     anas_train_spec_init(&ts);                 // PyTorch-like defaults
 *     ts.epochs = 2; ts.batch_size = 128;
 *     ts.optim = (struct anas_optim_spec){.kind = ANAS_OPTIM_SGD, .lr = 0.01f,
 *                                         .momentum = 0.9f};
 *     struct anas_train_result res;
 *     rc = anas_train_run(net, train, test, &ts, &progress, &cancel, &res, &err);
 *     printf("accuracy %.4f\n", res.acc_fp);
 *
 * The loop allocates before the first batch and never inside it. Progress is
 * published through atomics (read by other threads); cancellation is polled
 * between batches (ANAS_ECANCELED).
 */
#ifndef ANAS_EVAL_TRAIN_H
#define ANAS_EVAL_TRAIN_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/err.h"
#include "core/metrics.h"
#include "data/data.h"
#include "nn/net.h"

#define ANAS_TRAIN_MAX_EPOCHS 1000

enum anas_train_loss {
    ANAS_TRAIN_XENT, /* classification: softmax cross-entropy on labels */
    ANAS_TRAIN_MSE,  /* a regression set's targets (data.h), else reconstruction:
                      * the target is the input image */
};

struct anas_train_result;

struct anas_train_spec {
    int epochs;
    int batch_size;
    struct anas_optim_spec optim;
    struct anas_sched sched;  /* base_lr is taken from optim.lr */
    struct anas_augment aug;
    enum anas_train_loss loss;
    uint64_t seed;            /* shuffling, dropout, augmentation */
    int eval_batch;           /* batch size for evaluation (default 256) */
    /* Called after every optimizer step (NULL: none), e.g. hardware-aware
     * training's clipping and weight modifier; a negative return stops
     * training with that code. */
    int (*post_step)(void *ctx);
    void *post_step_ctx;
    /* Where the loop writes the learning rate of each epoch before its
     * first step (NULL: nowhere): analog training's tiles update themselves
     * at the optimizer's rate in post_step. */
    float *lr_now;
    /* Called after every epoch's test evaluation (NULL: none) with the
     * epoch (1-based) and the result so far: 1 ends training there (early
     * stopping: anas_train_run returns 0 with out->stopped set), a
     * negative code ends it with that error. */
    int (*epoch_end)(void *ctx, int epoch, const struct anas_train_result *res);
    void *epoch_end_ctx;
};

struct anas_train_progress {
    atomic_long batches_done;
    atomic_long batches_total;
    atomic_int epoch;
    /* Set by whoever runs the train evaluator, before it starts (all
     * optional): after every epoch, on the training thread, epoch_end gets
     * that epoch's metrics (train_loss, test_loss, acc@fp or neg_mse@fp,
     * and acc@<t> when the evaluator reads the tiles every epoch) and the
     * planned number of epochs; 1 stops training there (the evaluator
     * then sets stopped_at to the epoch and skips the final measurement),
     * a negative code fails the evaluation. */
    int (*epoch_end)(void *ctx, int epoch, int epochs, const struct anas_metrics *m);
    void *epoch_ctx;
    int stopped_at;
};

struct anas_train_result {
    int epochs_done;
    int stopped;              /* ended early by ts->epoch_end */
    double acc_fp;            /* test accuracy (XENT), 0..1 */
    double neg_mse;           /* -test MSE (MSE) */
    double train_loss;        /* mean loss of the last epoch */
    double test_loss;
    double seconds;           /* training and testing */
    double test_seconds;      /* of those, the test passes */
    double train_loss_curve[ANAS_TRAIN_MAX_EPOCHS];
    double test_acc_curve[ANAS_TRAIN_MAX_EPOCHS];
};

void anas_train_spec_init(struct anas_train_spec *ts);

/* Check a spec (epochs 1..ANAS_TRAIN_MAX_EPOCHS, batch 1..4096, lr > 0, ...);
 * err->field names the offending field ("epochs", "optimizer.lr", ...). */
int anas_train_spec_check(const struct anas_train_spec *ts, struct anas_error *err);

/* Train `net` (already initialised) and evaluate it on `test` after every
 * epoch. progress and cancel may be NULL; test may be NULL (no evaluation).
 * The net's max_batch must be at least the batch sizes used. The output is
 * the net's last node: logits (K,1,1) with K >= classes for XENT, the
 * input's shape for MSE (ANAS_ESHAPE otherwise). In MSE mode
 * test_acc_curve holds -MSE. On an error (ANAS_ECANCELED included) `out`
 * holds the epochs completed before it. */
int anas_train_run(struct anas_net *net, const struct anas_dataset *train,
                   const struct anas_dataset *test, const struct anas_train_spec *ts,
                   struct anas_train_progress *progress, const atomic_int *cancel,
                   struct anas_train_result *out, struct anas_error *err);

/* Evaluate in inference mode: accuracy (XENT) or mean squared error (MSE)
 * and mean loss. */
int anas_train_evaluate(struct anas_net *net, const struct anas_dataset *d, int batch,
                        enum anas_train_loss loss, double *acc_or_mse, double *mean_loss,
                        struct anas_error *err);

/* Write every tensor of the net (parameters and batch norm state) to a
 * .safetensors file (F32, little-endian, PyTorch state_dict names), and
 * read one back into a net of the same definition. */
int anas_net_save_safetensors(const struct anas_net *net, const char *path,
                              struct anas_error *err);
int anas_net_load_safetensors(struct anas_net *net, const char *path,
                              struct anas_error *err);

#endif
