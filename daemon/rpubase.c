/*
 * rpubase.c - the trained network an rpu run measures (see rpubase.h).
 */
#include "config.h"

#include "rpubase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rpu_base {
    struct run_spec spec; /* the train run's */
    void *model;          /* its safetensors bytes */
    size_t model_len;
    float *params, *state;
    size_t n_params, n_state;
    struct anas_dataset *train, *test;
};

int rpu_base_fetch(struct store *st, const struct conf *c, long long run,
                   struct rpu_base **out, struct anas_error *err)
{
    struct store_run sr;
    struct rpu_base *b;
    char format[32];
    json_t *spec;
    int rc;

    *out = NULL;
    if (store_run_get(st, run, &sr) < 0)
        return anas_error_field(err, ANAS_ENOTFOUND, "/model/run", "no run %lld", run);
    if (strcmp(sr.kind, "train") != 0 || strcmp(sr.state, "succeeded") != 0) {
        anas_error_field(err, ANAS_ESTATE, "/model/run",
                         "run %lld is a %s run in state %s: the rpu evaluator needs a "
                         "succeeded train run",
                         run, sr.kind, sr.state);
        store_run_fini(&sr);
        return ANAS_ESTATE;
    }
    b = calloc(1, sizeof *b);
    spec = b ? json_loads(sr.spec_json, 0, NULL) : NULL;
    store_run_fini(&sr);
    rc = spec ? codec_run_spec(c, spec, &b->spec, err) : ANAS_ENOMEM;
    json_decref(spec);
    if (rc == 0 && store_model_get(st, run, format, sizeof format, &b->model,
                                   &b->model_len) < 0)
        rc = anas_error_field(err, ANAS_ENOTFOUND, "/model/run", "run %lld stored no model",
                              run);
    if (rc < 0) {
        if (err && err->code == ANAS_ENOMEM)
            anas_error_set(err, rc, "out of memory");
        rpu_base_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* The stored bytes through a temporary file, the format's one reader. */
static int load_weights(struct rpu_base *b, struct anas_net *net, struct anas_error *err)
{
    char path[] = "/tmp/anasd-rpu-XXXXXX";
    int fd = mkstemp(path), rc;
    FILE *f;

    if (fd < 0)
        return anas_error_set(err, ANAS_EIO, "cannot create a temporary file");
    f = fdopen(fd, "wb");
    rc = f && fwrite(b->model, 1, b->model_len, f) == b->model_len ? 0 : ANAS_EIO;
    if (f && fclose(f) != 0)
        rc = ANAS_EIO;
    else if (!f)
        close(fd);
    if (rc == 0)
        rc = anas_net_load_safetensors(net, path, err);
    else
        anas_error_set(err, rc, "cannot write the model to a temporary file");
    unlink(path);
    return rc;
}

/* The network with the stored weights, copied out into flat arrays. */
static int load_net(struct rpu_base *b, struct anas_error *err)
{
    struct anas_netdef *def = NULL;
    struct anas_net *net = NULL;
    size_t np = 0, ns = 0;
    int rc = anas_space_build(b->spec.space, &b->spec.shape, &b->spec.arch, &def, err);

    if (rc == 0 && !(net = anas_net_new(def, 1, err)))
        rc = err && err->code ? err->code : ANAS_ENOMEM;
    if (rc == 0)
        rc = load_weights(b, net, err);
    if (rc == 0) {
        anas_net_params(net, &np);
        anas_net_state(net, &ns);
        b->params = malloc((np ? np : 1) * sizeof(float));
        b->state = malloc((ns ? ns : 1) * sizeof(float));
        rc = b->params && b->state ? 0 : anas_error_set(err, ANAS_ENOMEM, "out of memory");
    }
    if (rc == 0) {
        memcpy(b->params, anas_net_params(net, NULL), np * sizeof(float));
        memcpy(b->state, anas_net_state(net, NULL), ns * sizeof(float));
        b->n_params = np;
        b->n_state = ns;
    }
    anas_net_free(net);
    anas_netdef_free(def);
    return rc;
}

int rpu_base_load(struct rpu_base *b, struct anas_eval_spec *eval, struct anas_error *err)
{
    int rc = load_net(b, err);

    if (rc == 0)
        rc = run_load_datasets(&b->spec, &b->train, &b->test, err);
    if (rc < 0)
        return rc;
    eval->rpu = (struct anas_eval_rpu_base){b->spec.space,  b->spec.shape, b->spec.arch,
                                            b->params,      b->state,      b->n_params,
                                            b->n_state};
    eval->test_set = b->test;
    return 0;
}

void rpu_base_free(struct rpu_base *b)
{
    if (!b)
        return;
    free(b->model);
    free(b->params);
    free(b->state);
    anas_data_free(b->train);
    anas_data_free(b->test);
    free(b);
}
