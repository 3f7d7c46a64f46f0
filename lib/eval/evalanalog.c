/*
 * evalanalog.c - the analog half of the train evaluator: a trained
 * network programmed onto simulated tiles and measured as it drifts.
 *
 * As AnalogNAS-Bench does it: program once (programming noise and drift
 * exponents are drawn once per evaluation), then for every drift time and
 * repetition drift the programmed weights with fresh read noise, let
 * global drift compensation rescale the outputs, and run the test set.
 * The spread over repetitions is the read noise's (and the IO noise's)
 * effect; programming noise is common to all of them.
 */
#include "config.h"

#include "eval/eval_int.h"

#include <math.h>
#include <stdio.h>

static int set_pair(struct anas_metrics *out, const char *base, const char *t, double mean,
                    double std)
{
    char name[ANAS_METRIC_NAME_MAX];
    int rc;

    snprintf(name, sizeof name, "%s@%s", base, t);
    rc = anas_metrics_set(out, name, mean);
    if (rc == 0) {
        snprintf(name, sizeof name, "%s_std@%s", base, t);
        rc = anas_metrics_set(out, name, std);
    }
    return rc;
}

static long test_batches(const struct anas_eval_spec *spec)
{
    int b = spec->train.eval_batch > 0 ? spec->train.eval_batch : 256;

    return (spec->test_set->n + b - 1) / b;
}

/* One time point: mean and population std (numpy's default) over the
 * repeats of accuracy, or of -MSE. */
static int measure_time(const struct anas_eval_spec *spec, struct anas_net *net,
                        struct anas_anet *an, enum anas_train_loss loss, double t,
                        const atomic_int *cancel, struct anas_train_progress *progress,
                        double *mean, double *std, struct anas_error *err)
{
    const struct anas_eval_analog *a = &spec->analog;
    int batch = spec->train.eval_batch > 0 ? spec->train.eval_batch : 256;
    double sum = 0, sum2 = 0;

    for (int r = 0; r < a->repeats; r++) {
        double v, l;
        int rc;

        if (cancel && atomic_load(cancel))
            return anas_error_set(err, ANAS_ECANCELED, "analog evaluation canceled");
        rc = anas_anet_drift(an, t);
        if (rc < 0)
            return anas_error_set(err, rc, "drift to %g s: %s", t, anas_strerror(rc));
        rc = anas_train_evaluate(net, spec->test_set, batch, loss, &v, &l, err);
        if (rc < 0)
            return rc;
        if (loss == ANAS_TRAIN_MSE)
            v = -v;
        sum += v;
        sum2 += v * v;
        if (progress)
            atomic_fetch_add(&progress->batches_done, test_batches(spec));
    }
    *mean = sum / a->repeats;
    *std = sqrt(fmax(0.0, sum2 / a->repeats - *mean * *mean));
    return 0;
}

int anas__eval_analog_measure(const struct anas_eval_spec *spec, struct anas_net *net,
                              struct anas_anet *an, enum anas_train_loss loss,
                              const atomic_int *cancel, struct anas_train_progress *progress,
                              struct anas_metrics *out, struct anas_error *err)
{
    const struct anas_eval_analog *a = &spec->analog;
    const char *base = loss == ANAS_TRAIN_MSE ? "neg_mse" : "acc";
    double first = 0, last = 0;
    int rc;

    if (a->n_times < 1 || a->repeats < 1)
        return anas_error_field(err, ANAS_EINVAL, "drift_times",
                                "the analog evaluation needs drift times and repeats");
    if (progress)
        atomic_fetch_add(&progress->batches_total,
                         (long)a->n_times * a->repeats * test_batches(spec));
    rc = anas_anet_set_mode(an, ANAS_ANET_ANALOG);
    if (rc == 0)
        rc = anas_anet_program(an);
    if (rc < 0)
        return anas_error_set(err, rc, "programming the tiles: %s", anas_strerror(rc));
    for (int i = 0; i < a->n_times; i++) {
        double mean = 0, std = 0;

        rc = measure_time(spec, net, an, loss, a->times[i], cancel, progress, &mean, &std,
                          err);
        if (rc < 0)
            return rc;
        rc = set_pair(out, base, a->time_names[i], mean, std);
        if (rc < 0)
            return anas_error_set(err, rc, "too many metrics");
        if (i == 0)
            first = mean;
        last = mean;
    }
    if (loss == ANAS_TRAIN_XENT && (rc = anas_metrics_set(out, "avm", 100.0 * (first - last))))
        return anas_error_set(err, rc, "too many metrics");
    return 0;
}

int anas__eval_analog_read(const struct anas_eval_spec *spec, struct anas_net *net,
                           struct anas_anet *an, enum anas_train_loss loss, int time_index,
                           const atomic_int *cancel, struct anas_metrics *out,
                           struct anas_error *err)
{
    const struct anas_eval_analog *a = &spec->analog;
    double mean = 0, std = 0;
    int rc;

    if (time_index < 0 || time_index >= a->n_times)
        return anas_error_field(err, ANAS_EINVAL, "curve_drift", "no such drift time");
    rc = anas_anet_set_mode(an, ANAS_ANET_ANALOG);
    if (rc == 0)
        rc = anas_anet_program(an);
    if (rc < 0)
        return anas_error_set(err, rc, "programming the tiles: %s", anas_strerror(rc));
    rc = measure_time(spec, net, an, loss, a->times[time_index], cancel, NULL, &mean, &std,
                      err);
    if (rc == 0 && set_pair(out, loss == ANAS_TRAIN_MSE ? "neg_mse" : "acc",
                            a->time_names[time_index], mean, std) < 0)
        rc = anas_error_set(err, ANAS_ELIMIT, "too many metrics");
    if (rc == 0)
        rc = anas_anet_set_mode(an, a->hwa      ? ANAS_ANET_HWA
                                    : a->pulsed ? ANAS_ANET_PULSED
                                                : ANAS_ANET_DIGITAL);
    return rc;
}
