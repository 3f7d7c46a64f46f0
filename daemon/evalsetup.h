/*
 * evalsetup.h - what a run's evaluations are computed from, built by one
 * piece of code for anasd's local workers (jobs.c) and for anas-worker on
 * another machine, so that both give bit-identical metrics for the same
 * evaluation key: the evaluation spec's kind, space, shape and tile
 * mapping, the training recipe and analog measurement, and the datasets.
 */
#ifndef ANASD_EVALSETUP_H
#define ANASD_EVALSETUP_H

#include "codec.h"
#include "data/data.h"

/* Kind, space, shape, mapping (the analog hardware's tiles when the spec
 * measures on tiles), recipe and analog measurement of a spec; seed is the
 * repetition's (evalsetup_rep_seed). Datasets and models are the caller's. */
void evalsetup_spec(const struct run_spec *s, uint64_t seed, struct anas_eval_spec *ev);

/* Threads per evaluation when at_once evaluations run at the same time:
 * OPENBLAS_NUM_THREADS (1 when unset), at most the CPUs' share of one
 * evaluation so that at_once teams never oversubscribe them. OpenBLAS is
 * set to one thread: each evaluation's team calls it from its threads.
 * Call once, before the first evaluation. */
int evalsetup_threads(int at_once);

/* The seed of repetition rep: its trainings' initialisation, data order
 * and noise, and its optimizer's generator. Repetition 0 uses the run's. */
uint64_t evalsetup_rep_seed(const struct run_spec *s, int rep);

/* Load the spec's surrogates into models[] (the caller frees them) and
 * attach them to ev: a stored one ({"surrogate": ID}) from its JSON in
 * blob[i] (len[i] bytes), a file from its path. */
int evalsetup_models(const struct run_spec *s, void *const *blob, const size_t *len,
                     struct anas_surrogate **models, struct anas_eval_spec *ev,
                     struct anas_error *err);

/* Evaluations are deterministic functions of (spec, seed, architecture):
 * retrying one that failed on its inputs (a diverged training, a bad
 * model) would fail again. What can pass on a second try is a shortage of
 * memory or a failed read of a file: those are retried this many times. */
#define EVALSETUP_RETRIES 2

/* One evaluation of cfg, as anasd's pool threads and anas-worker run it:
 * the evaluator of ev's kind into m (which holds the analytic metrics),
 * transient failures retried (retry, when not NULL, is told before each
 * retry). model: when not NULL, a trained network's weights as the bytes
 * of a .safetensors file (malloc'd, *model_len bytes). */
int evalsetup_evaluate(const struct anas_eval_spec *ev, const struct anas_config *cfg,
                       const atomic_int *cancel, struct anas_train_progress *progress,
                       struct anas_metrics *m, void **model, size_t *model_len,
                       void (*retry)(void *ctx, int attempt, const struct anas_error *err),
                       void *ctx, struct anas_error *err);

/* A training's learning curve, one entry per epoch: append m (growing
 * the array to the planned epochs), and the curve as stored and sent
 * ([{"epoch": 1, metrics...}, ...], NULL when empty). */
int evalsetup_curve_push(struct anas_metrics **curve, int *n, int *cap, int epochs,
                         const struct anas_metrics *m);
json_t *evalsetup_curve_json(const struct anas_metrics *curve, int n);

/* A spec's datasets: the test set normalised with the training set's
 * statistics. On failure nothing is returned (both NULL). */
int run_load_datasets(const struct run_spec *s, struct anas_dataset **train,
                      struct anas_dataset **test, struct anas_error *err);

#endif
