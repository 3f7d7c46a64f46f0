/*
 * runs.c - what a run's evaluations need (its decoded spec, datasets and
 * surrogates), loaded once and shared by the threads. A run is recognised
 * by its id and its spec's text, so a restarted anasd with another
 * database never gets another run's datasets.
 */
#include "config.h"

#include "worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "evalsetup.h"
#include "surrogate/surrogate.h"

#define MAX_CACHED 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct run_setup *cache[MAX_CACHED];

static void setup_free(struct run_setup *s)
{
    if (!s)
        return;
    for (int i = 0; i < ANAS_EVAL_MAX_MODELS; i++) {
        anas_surrogate_free(s->models[i]);
        free(s->blob[i]);
    }
    anas_data_free(s->train_set);
    anas_data_free(s->test_set);
    free(s->spec_text);
    free(s);
}

/* Stored surrogates come with the lease, as their JSON text. */
static int take_blobs(struct run_setup *s, json_t *surrogates, struct anas_error *err)
{
    for (int i = 0; i < s->spec.n_models; i++) {
        json_t *b;
        if (s->spec.models[i].surrogate <= 0)
            continue;
        b = json_object_get(surrogates, s->spec.models[i].metric);
        if (!json_is_string(b))
            return anas_error_set(err, ANAS_EFORMAT, "the lease lacks surrogate %lld",
                                  s->spec.models[i].surrogate);
        s->blob_len[i] = json_string_length(b);
        if (!(s->blob[i] = malloc(s->blob_len[i] + 1)))
            return ANAS_ENOMEM;
        memcpy(s->blob[i], json_string_value(b), s->blob_len[i] + 1);
    }
    return 0;
}

static struct run_setup *setup_load(struct worker *w, long long run, json_t *spec,
                                    json_t *surrogates, char *text, struct anas_error *err)
{
    struct run_setup *s = calloc(1, sizeof *s);
    json_t *copy = json_deep_copy(spec);
    int rc = s && copy ? 0 : ANAS_ENOMEM;
    if (s) {
        s->run = run;
        s->spec_text = text;
    } else {
        free(text);
    }
    if (rc == 0)
        rc = codec_run_spec(&w->conf, copy, &s->spec, err);
    json_decref(copy);
    if (rc == 0 && s->spec.eval_kind == ANAS_EVAL_RPU)
        rc = anas_error_set(err, ANAS_EUNSUPPORTED, "the rpu evaluator runs in anasd only");
    if (rc == 0)
        rc = take_blobs(s, surrogates, err);
    if (rc == 0) {
        evalsetup_spec(&s->spec, evalsetup_rep_seed(&s->spec, 0), &s->ev);
        if (s->spec.eval_kind == ANAS_EVAL_TRAIN &&
            (rc = run_load_datasets(&s->spec, &s->train_set, &s->test_set, err)) == 0) {
            s->ev.train_set = s->train_set;
            s->ev.test_set = s->test_set;
        }
    }
    if (rc == 0)
        rc = evalsetup_models(&s->spec, s->blob, s->blob_len, s->models, &s->ev, err);
    if (rc == 0)
        rc = anas_eval_spec_check(&s->ev, err);
    if (rc < 0) {
        if (!err->code)
            anas_error_set(err, rc, "cannot prepare the run's evaluations");
        setup_free(s);
        return NULL;
    }
    return s;
}

/* Room in the cache: an unused entry goes. */
static int free_index(void)
{
    for (int i = 0; i < MAX_CACHED; i++)
        if (!cache[i])
            return i;
    for (int i = 0; i < MAX_CACHED; i++)
        if (cache[i]->refs == 0) {
            setup_free(cache[i]);
            cache[i] = NULL;
            return i;
        }
    return -1;
}

struct run_setup *runs_get(struct worker *w, json_t *lease, struct anas_error *err)
{
    long long run = json_integer_value(json_object_get(lease, "run"));
    json_t *spec = json_object_get(lease, "spec"), *sur = json_object_get(lease, "surrogates");
    json_t *key = json_pack("{s:O?, s:O?}", "spec", spec, "surrogates", sur);
    char *text = key ? json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct run_setup *s = NULL;
    int i;
    json_decref(key);
    if (!text || !json_is_object(spec)) {
        free(text);
        anas_error_set(err, ANAS_EFORMAT, "the lease has no run spec");
        return NULL;
    }
    pthread_mutex_lock(&lock);
    for (i = 0; i < MAX_CACHED && !s; i++)
        if (cache[i] && cache[i]->run == run && strcmp(cache[i]->spec_text, text) == 0)
            s = cache[i];
    if (s) {
        free(text);
    } else if ((s = setup_load(w, run, spec, sur, text, err)) && (i = free_index()) >= 0) {
        cache[i] = s;
        s->cached = 1;
    }
    if (s)
        s->refs++;
    pthread_mutex_unlock(&lock);
    return s;
}

void runs_put(struct run_setup *s)
{
    int last;
    pthread_mutex_lock(&lock);
    last = --s->refs == 0 && !s->cached;
    pthread_mutex_unlock(&lock);
    if (last)
        setup_free(s);
}

void runs_free_all(void)
{
    for (int i = 0; i < MAX_CACHED; i++) {
        setup_free(cache[i]);
        cache[i] = NULL;
    }
}
