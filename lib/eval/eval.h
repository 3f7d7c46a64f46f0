/*
 * eval.h - evaluate one architecture: analytic metrics always, then the
 * configured evaluator: surrogate models, or really training the network
 * (lib/eval/train.h) and measuring it.
 *
 *     struct anas_eval_spec spec;
 *     anas_eval_spec_init(&spec, ANAS_EVAL_SURROGATE, space, &shape);
 *     anas_eval_spec_add_model(&spec, "acc@1d", model);  // borrowed
 *     struct anas_metrics m;
 *     rc = anas_eval_run(&spec, &cfg, NULL, &m, &err);
 *
 * The spec borrows its surrogates: they must outlive every anas_eval_run()
 * using it. anas_eval_run() is thread-safe for a shared spec.
 */
#ifndef ANAS_EVAL_H
#define ANAS_EVAL_H

#include <stdatomic.h>

#include "analog/analog.h"
#include "analog/pulsed.h"
#include "core/err.h"
#include "core/metrics.h"
#include "data/data.h"
#include "eval/train.h"
#include "space/space.h"
#include "surrogate/surrogate.h"

#define ANAS_EVAL_MAX_MODELS 8

enum anas_eval_kind {
    ANAS_EVAL_ANALYTIC,
    ANAS_EVAL_SURROGATE,
    ANAS_EVAL_TRAIN,
    ANAS_EVAL_RPU, /* the rpu space: one trained network on varied hardware */
};

#define ANAS_EVAL_MAX_TIMES 8
#define ANAS_EVAL_TIME_NAME 12

/* The analog part of the train evaluator: after training (hardware-aware
 * when hwa), program the network onto tiles of configuration hw and
 * measure it at each drift time, `repeats` fresh read-noise draws each:
 * metrics acc@<t> and acc_std@<t> (neg_mse@<t>, neg_mse_std@<t> for
 * reconstruction), avm = 100 * (acc@<first t> - acc@<last t>) in
 * percentage points (acc@1s - acc@30d with the default times). */
struct anas_eval_analog {
    int enabled;
    int hwa;
    struct anas_analog_config hw;
    int n_times;
    double times[ANAS_EVAL_MAX_TIMES];                    /* seconds, ascending */
    char time_names[ANAS_EVAL_MAX_TIMES][ANAS_EVAL_TIME_NAME]; /* "1s", "1h", "30d" */
    int repeats;
    /* A learning curve on the tiles: after every epoch, when someone
     * watches the epochs (anas_train_progress.epoch_end), program the
     * weights and read them `repeats` times at times[curve_time] (metric
     * acc@<t> of that epoch); -1: never. */
    int curve_time;
    /* Analog training (the spec's analog_training): every conv2d and linear
     * layer trains on pulsed tiles of this configuration (lib/analog/pulsed.h)
     * instead of digitally; the trained weights are then measured as above
     * when enabled. Exclusive with hwa. */
    int pulsed;
    struct anas_analog_training training;
};

/* Defaults: disabled, hwa 0, preset aihwkit-default, times 1s 1h 1d 30d,
 * repeats 5, no curve on the tiles. */
void anas_eval_analog_init(struct anas_eval_analog *a);

/* The fixed trained network the rpu evaluator measures (borrowed): its
 * architecture and weights in the net's params/state layouts. */
struct anas_eval_rpu_base {
    const struct anas_space *space;
    struct anas_shape shape;
    struct anas_config cfg;
    const float *params, *state;
    size_t n_params, n_state;
};

/* What a surrogate is fed: AnalogNAS's models take the space's surrogate
 * feature vector (anas_space_features), models fitted from measured
 * results (anas_surrogate_fit) the numeric encoding (anas_space_encode). */
enum anas_eval_features {
    ANAS_EVAL_FEATURES_RAW, /* the default, 0 */
    ANAS_EVAL_FEATURES_ENCODED,
};

struct anas_eval_model {
    char metric[ANAS_METRIC_NAME_MAX];
    struct anas_surrogate *model; /* borrowed */
    enum anas_eval_features features;
};

struct anas_eval_spec {
    enum anas_eval_kind kind;
    const struct anas_space *space;
    struct anas_shape shape;
    struct anas_mapping mapping;
    int n_models;
    struct anas_eval_model models[ANAS_EVAL_MAX_MODELS];
    /* ANAS_EVAL_TRAIN: borrowed datasets (read-only, shared by threads) and
     * the training recipe; the loss follows the space (MSE for spaces whose
     * output is an image, cross-entropy otherwise). */
    const struct anas_dataset *train_set;
    const struct anas_dataset *test_set;
    struct anas_train_spec train;
    struct anas_eval_analog analog;
    /* ANAS_EVAL_RPU: the trained network; analog.hw is the base hardware
     * the rpu space's four values override; test_set measures it. */
    struct anas_eval_rpu_base rpu;
    /* Threads per evaluation (1..ANAS_TEAM_MAX; 0 counts as 1): the
     * network's team (anas_net_set_threads) while it trains and tests. Its
     * OpenBLAS calls run inside the team, so the caller keeps OpenBLAS
     * single-threaded; results differ from one thread's by float rounding
     * only. */
    int threads;
};

/* "analytic", "surrogate"; "unknown" for anything else. Parsing an unknown
 * name gives ANAS_EINVAL. */
const char *anas_eval_kind_name(enum anas_eval_kind kind);
int anas_eval_kind_parse(const char *name, enum anas_eval_kind *out);

/* Zero the spec and set kind, space, shape (NULL: the space's default) and
 * the default tile mapping. */
void anas_eval_spec_init(struct anas_eval_spec *spec, enum anas_eval_kind kind,
                         const struct anas_space *space, const struct anas_shape *shape);

/* ANAS_ELIMIT when full, ANAS_EINVAL for a bad metric name, a NULL model or
 * a metric that already has one. */
int anas_eval_spec_add_model(struct anas_eval_spec *spec, const char *metric,
                             struct anas_surrogate *model);

/* The same for a model fed the space's numeric encoding (a fitted one). */
int anas_eval_spec_add_model_encoded(struct anas_eval_spec *spec, const char *metric,
                                     struct anas_surrogate *model);

/* Check a spec before use (e.g. a surrogate's feature count matches the
 * space's feature vector, or its encoding for an encoded model);
 * err->field names the metric at fault. */
int anas_eval_spec_check(const struct anas_eval_spec *spec, struct anas_error *err);

/* Analytic metrics only (cheap: used to reject configurations before
 * evaluation). */
int anas_eval_analytic(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                       struct anas_metrics *out, struct anas_error *err);

/* Full evaluation. `cancel` (may be NULL) is polled; when it becomes non-zero
 * the call returns ANAS_ECANCELED. `out` is cleared first. */
int anas_eval_run(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                  const atomic_int *cancel, struct anas_metrics *out,
                  struct anas_error *err);

/* Train the configuration's network and measure it: acc@fp (a fraction)
 * or neg_mse@fp, train_loss, test_loss, train_s, epochs (trained). progress
 * may be NULL; its epoch_end, when set, watches every epoch and may stop
 * the training early: the evaluation then returns 0 with
 * progress->stopped_at set and the metrics of the last epoch trained (no
 * final analog measurement).
 * keep: when not NULL, receives the trained network (the caller frees it
 * with anas_net_free), e.g. to save its weights. */
int anas_eval_train(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                    const atomic_int *cancel, struct anas_train_progress *progress,
                    struct anas_metrics *out, struct anas_net **keep,
                    struct anas_error *err);

/* Set the training-recipe fields a composite space's configuration
 * chooses (anas_space_compose): train.epochs (and the cosine schedule's
 * t_max with it), train.batch_size, train.lr, train.momentum and
 * train.weight_decay set ts's epochs, batch_size and optim's lr, momentum,
 * weight_decay; the rest of ts is left as it is. ANAS_EINVAL for another
 * "train." name or a count that is not a positive integer. */
int anas_eval_apply_recipe(const struct anas_config *cfg, struct anas_train_spec *ts);

/* The hardware an rpu-space configuration means: spec->analog.hw with
 * noise_model.g_max, mapping.max_input_size, forward.inp_res = 1/dac and
 * forward.out_res = 1/adc from cfg. */
int anas_eval_rpu_hw(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                     struct anas_analog_config *out, struct anas_error *err);

/* The rpu evaluator: load the trained network, measure it digitally
 * (acc@fp) and on the configuration's hardware (the analog metrics), plus
 * the base network's analytic metrics under the configuration's tiles. */
int anas_eval_rpu(const struct anas_eval_spec *spec, const struct anas_config *cfg,
                  const atomic_int *cancel, struct anas_train_progress *progress,
                  struct anas_metrics *out, struct anas_error *err);

#endif
