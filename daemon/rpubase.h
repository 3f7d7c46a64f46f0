/*
 * rpubase.h - the trained network an rpu run measures, and the datasets
 * of a run spec (shared with jobs.c).
 *
 * An rpu run names a finished train run ("model": {"run": ID}). Its spec
 * and its stored weights are read from the store on the loop thread
 * (rpu_base_fetch); the pool then builds the network, loads the weights
 * and the train run's own datasets - its test set, normalised with its
 * training set's statistics, exactly as the model saw them - into the
 * eval spec (rpu_base_load).
 */
#ifndef ANASD_RPUBASE_H
#define ANASD_RPUBASE_H

#include "codec.h"
#include "evalsetup.h"
#include "store.h"

struct rpu_base;

/* Loop thread. ANAS_ENOTFOUND (no such run, or no model: field
 * "/model/run"), ANAS_ESTATE (not a finished train run). */
int rpu_base_fetch(struct store *st, const struct conf *c, long long run,
                   struct rpu_base **out, struct anas_error *err);
/* Pool thread: fill eval->rpu, eval->test_set and eval->shape. */
int rpu_base_load(struct rpu_base *b, struct anas_eval_spec *eval, struct anas_error *err);
void rpu_base_free(struct rpu_base *b);

#endif
