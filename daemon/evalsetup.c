/*
 * evalsetup.c - a run's evaluation spec and datasets, shared by anasd and
 * anas-worker (evalsetup.h says why).
 */
#include "config.h"

#include "evalsetup.h"

#include <stdio.h>
#include <string.h>

#include "surrogate/surrogate.h"

uint64_t evalsetup_rep_seed(const struct run_spec *s, int rep)
{
    return s->seed + (uint64_t)rep * 0x9E3779B97F4A7C15ULL;
}

void evalsetup_spec(const struct run_spec *s, uint64_t seed, struct anas_eval_spec *ev)
{
    anas_eval_spec_init(ev, s->eval_kind, s->space, &s->shape);
    ev->mapping = s->mapping;
    if (s->analog.enabled) {
        /* the tiles the analog evaluator simulates are the ones counted */
        const struct anas_analog_mapping *m = &s->analog.hw.mapping;
        if (m->max_input_size > 0)
            ev->mapping.max_input_size = m->max_input_size;
        if (m->max_output_size > 0)
            ev->mapping.max_output_size = m->max_output_size;
    }
    if (s->eval_kind == ANAS_EVAL_TRAIN || s->eval_kind == ANAS_EVAL_RPU) {
        ev->train = s->train;
        ev->analog = s->analog;
    }
    ev->train.seed = seed;
}

int evalsetup_models(const struct run_spec *s, void *const *blob, const size_t *len,
                     struct anas_surrogate **models, struct anas_eval_spec *ev,
                     struct anas_error *err)
{
    for (int i = 0; i < s->n_models; i++) {
        int stored = s->models[i].surrogate > 0, rc;
        /* a stored surrogate reads the space's encoding, a file the
         * space's feature vector */
        models[i] = stored ? anas_surrogate_load_buffer(blob[i], len[i], err)
                           : anas_surrogate_load(s->models[i].path, err);
        if (!models[i]) {
            snprintf(err->field, sizeof err->field, "/evaluator/models/%s", s->models[i].metric);
            return err->code ? err->code : ANAS_EIO;
        }
        rc = stored ? anas_eval_spec_add_model_encoded(ev, s->models[i].metric, models[i])
                    : anas_eval_spec_add_model(ev, s->models[i].metric, models[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot use model for %s", s->models[i].metric);
    }
    return 0;
}

static struct anas_dataset *load_split(const struct run_dataset *d,
                                       const struct anas_shape *shape, const char *split,
                                       uint64_t seed, struct anas_error *err)
{
    int n = strcmp(split, "train") == 0 ? d->train_subset : d->test_subset;
    struct anas_dataset *all, *sub;
    if (strcmp(d->name, "synthetic") == 0)
        return anas_data_synthetic(n, shape->c, shape->h, shape->w, shape->classes,
                                   seed + (split[1] == 'r' ? 0 : 1), err);
    all = strcmp(d->name, "cifar10") == 0 ? anas_data_load_cifar10(d->path, split, err)
                                          : anas_data_load_idx(d->path, split, err);
    if (!all || n <= 0 || n >= all->n)
        return all;
    sub = anas_data_subset(all, n, seed, err);
    anas_data_free(all);
    return sub;
}

/* Datasets are files too; the test set takes the training set's
 * normalization, as a user's pipeline would. */
int run_load_datasets(const struct run_spec *s, struct anas_dataset **train,
                      struct anas_dataset **test, struct anas_error *err)
{
    *train = load_split(&s->dataset, &s->shape, "train", s->seed, err);
    *test = *train ? load_split(&s->dataset, &s->shape, "test", s->seed, err) : NULL;
    if (!*train || !*test) {
        anas_data_free(*train);
        *train = NULL;
        return err->code ? err->code : ANAS_EIO;
    }
    anas_data_normalize(*train, NULL, NULL);
    anas_data_normalize(*test, (*train)->mean, (*train)->std);
    return 0;
}
