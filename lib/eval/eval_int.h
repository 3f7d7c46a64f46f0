/*
 * eval_int.h - what the files of lib/eval share.
 */
#ifndef ANAS_EVAL_INT_H
#define ANAS_EVAL_INT_H

#include "analog/analog.h"
#include "eval/eval.h"

#include <time.h>

/* Monotonic seconds, for the per-phase timings an evaluation reports. */
static inline double anas__eval_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* The analog measurement of a trained net already attached to `an`:
 * program it, then at every drift time `repeats` drifts (fresh read noise)
 * each followed by one pass over the test set. Adds acc@<t>, acc_std@<t>
 * (neg_mse@<t>, neg_mse_std@<t> for MSE) and avm (XENT only) to out. */
int anas__eval_analog_measure(const struct anas_eval_spec *spec, struct anas_net *net,
                              struct anas_anet *an, enum anas_train_loss loss,
                              const atomic_int *cancel, struct anas_train_progress *progress,
                              struct anas_metrics *out, struct anas_error *err);

/* One reading for a learning curve: program the net's current weights,
 * read them at times[time_index] `repeats` times (acc@<t>, acc_std@<t>
 * into out), and put `an` back in the mode training uses (HWA or
 * DIGITAL). */
int anas__eval_analog_read(const struct anas_eval_spec *spec, struct anas_net *net,
                           struct anas_anet *an, enum anas_train_loss loss, int time_index,
                           const atomic_int *cancel, struct anas_metrics *out,
                           struct anas_error *err);

#endif
