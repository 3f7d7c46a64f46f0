/*
 * evalsetup.c - a run's evaluation spec and datasets, shared by anasd and
 * anas-worker (evalsetup.h says why).
 */
#include "config.h"

#include "evalsetup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn/net.h"
#include "tensor/blas.h"
#include "tensor/team.h"
#include "surrogate/surrogate.h"

int evalsetup_threads(int at_once)
{
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int want = env ? atoi(env) : 1;
    int share = at_once > 0 && cpus > 0 ? (int)(cpus / at_once) : 1;

    /* OpenBLAS read its variable when it was loaded; from now on its calls
     * come from the evaluations' teams, each of which owns its cores. */
    anas_blas_set_threads(1);
    if (want > share)
        want = share;
    if (want > ANAS_TEAM_MAX)
        want = ANAS_TEAM_MAX;
    return want > 1 ? want : 1;
}

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
    if (anas_data_tiny_outputs(d->name) > 0) /* its two samples for both splits */
        return anas_data_tiny(d->name, err);
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
    if ((*train)->t) /* regression sets are used as the examples give them */
        return 0;
    anas_data_normalize(*train, NULL, NULL);
    anas_data_normalize(*test, (*train)->mean, (*train)->std);
    return 0;
}

/* The weights of a trained network as the bytes of a .safetensors file. */
static int model_bytes(struct anas_net *net, void **out, size_t *len, struct anas_error *err)
{
    char path[] = "/tmp/anasd-model-XXXXXX";
    int fd = mkstemp(path), rc;
    FILE *f;
    long size;
    if (fd < 0)
        return anas_error_set(err, ANAS_EIO, "cannot create a temporary file");
    close(fd);
    rc = anas_net_save_safetensors(net, path, err);
    f = rc == 0 ? fopen(path, "rb") : NULL;
    if (rc == 0 && (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
                    fseek(f, 0, SEEK_SET) != 0 || !(*out = malloc((size_t)size + 1)) ||
                    fread(*out, 1, (size_t)size, f) != (size_t)size))
        rc = anas_error_set(err, ANAS_EIO, "cannot read back the saved model");
    else if (rc == 0)
        *len = (size_t)size;
    if (f)
        fclose(f);
    unlink(path);
    return rc;
}

static int transient(int rc)
{
    return rc == ANAS_ENOMEM || rc == ANAS_EIO;
}

static int evaluate_once(const struct anas_eval_spec *ev, const struct anas_config *cfg,
                         const atomic_int *cancel, struct anas_train_progress *progress,
                         struct anas_metrics *m, void **model, size_t *model_len,
                         struct anas_error *err)
{
    struct anas_net *net = NULL;
    int rc;
    if (ev->kind == ANAS_EVAL_RPU)
        return anas_eval_rpu(ev, cfg, cancel, progress, m, err);
    if (ev->kind != ANAS_EVAL_TRAIN)
        return anas_eval_run(ev, cfg, cancel, m, err);
    rc = anas_eval_train(ev, cfg, cancel, progress, m, model ? &net : NULL, err);
    if (rc == 0 && net)
        rc = model_bytes(net, model, model_len, err);
    anas_net_free(net);
    return rc;
}

int evalsetup_evaluate(const struct anas_eval_spec *ev, const struct anas_config *cfg,
                       const atomic_int *cancel, struct anas_train_progress *progress,
                       struct anas_metrics *m, void **model, size_t *model_len,
                       void (*retry)(void *ctx, int attempt, const struct anas_error *err),
                       void *ctx, struct anas_error *err)
{
    for (int attempt = 1;; attempt++) {
        int rc = evaluate_once(ev, cfg, cancel, progress, m, model, model_len, err);
        if (!transient(rc) || attempt > EVALSETUP_RETRIES)
            return rc;
        if (retry)
            retry(ctx, attempt, err);
        anas_error_clear(err);
    }
}

int evalsetup_curve_push(struct anas_metrics **curve, int *n, int *cap, int epochs,
                         const struct anas_metrics *m)
{
    if (*n == *cap) {
        int grown = *n + (epochs > *n ? epochs - *n : 1);
        struct anas_metrics *c = realloc(*curve, (size_t)grown * sizeof *c);
        if (!c)
            return ANAS_ENOMEM;
        *curve = c;
        *cap = grown;
    }
    (*curve)[(*n)++] = *m;
    return 0;
}

json_t *evalsetup_curve_json(const struct anas_metrics *curve, int n)
{
    json_t *a = n > 0 ? json_array() : NULL;
    for (int i = 0; a && i < n; i++) {
        json_t *o = codec_metrics_to_json(&curve[i]);
        json_object_set_new(o, "epoch", json_integer(i + 1));
        json_array_append_new(a, o);
    }
    return a;
}
