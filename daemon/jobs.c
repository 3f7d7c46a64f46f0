/*
 * jobs.c - the run state machine.
 *
 * One run advances in rounds. A *step* (pool) observes the last batch's
 * results, then asks the optimizer for the next batch; proposals whose
 * sequence number is already in the store (a resumed run) are answered
 * from there, without evaluating, until a batch needs real work or the
 * repetition ends. Back on the loop thread each proposal needing work is
 * checked against analytic constraints (invalid ones are stored at once),
 * looked up by evaluation key (identical evaluations are reused), or sent
 * to the pool; each result is committed when it arrives. When the batch is
 * complete the next step is queued.
 *
 * The pool only touches a run's optimizer, batch slots and history; the
 * loop thread touches those only between work items (after_work), which
 * libuv orders for us. Progress that the API reads while work runs is
 * atomic.
 */
#include "config.h"

#include "jobs.h"
#include "rpubase.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "core/hash.h"
#include "core/log.h"
#include "store.h"

struct best {
    int have;
    double score;
    long long seq;
    int rep;
    char hash[ANAS_HASH_LEN + 1];
    struct anas_config cfg;
    struct anas_metrics m;
};

struct hist {
    int present;
    int rep;
    char hash[ANAS_HASH_LEN + 1];
    struct anas_search_result res;
};

struct slot {
    long long seq;
    char hash[ANAS_HASH_LEN + 1];
    char key[65];
    int need;       /* needs work from the loop thread */
    int dispatched; /* sent to the pool */
    int leader;     /* index of the slot evaluating the same key, or -1 */
    int rc;       /* evaluator's return code */
    struct anas_error err;
    double t0, t1;
    struct anas_search_result res;
    struct anas_train_progress progress; /* read by the API while training */
    void *model;       /* kind train: the trained weights (safetensors) */
    size_t model_len;
};

struct run {
    struct jobs *jobs;
    struct run *next;
    long long id;
    struct run_spec spec;
    struct anas_eval_spec eval;
    struct anas_surrogate *models[ANAS_EVAL_MAX_MODELS];
    struct anas_dataset *train_set, *test_set;
    struct rpu_base *rpu; /* evaluator rpu: the model it measures */
    char eval_id[2048]; /* evaluator identity: part of every evaluation key */
    int loaded;

    struct hist *hist; /* by seq - 1 */
    long long n_hist;

    /* Pool-side driver state. */
    int rep;
    struct anas_search *search;
    long long rep_count;
    long long next_seq;
    int rep_finished;
    int step_rc;
    struct anas_error step_err;

    struct slot *slots;
    int n_slots;
    int pending;
    int observed;

    atomic_llong done;
    long long total;
    double t0;
    atomic_int cancel;
    int canceled, interrupted, finished;
    int inflight;

    struct best best;
    struct best rep_best[RUN_MAX_RUNS];
    long long rep_evals[RUN_MAX_RUNS];
};

struct jobs {
    struct anasd *d;
    struct run *active;
    int n_active;
    int inflight;
    int shutting_down;
};

struct work {
    uv_work_t req;
    struct run *run;
    int slot;
};

static void queue_step(struct run *r);
static void finish(struct run *r, const char *state, const struct anas_error *err);

static double now_s(void)
{
    return anasd_now();
}

/* --- results and judging --- */

static void best_consider(struct best *b, const struct run_spec *s, long long seq, int rep,
                          const char *hash, const struct anas_search_result *res)
{
    double score;
    if (!res->ok || !res->feasible)
        return;
    score = anas_search_score(&s->search, &res->metrics);
    if (!isfinite(score) || (b->have && score <= b->score))
        return;
    b->have = 1;
    b->score = score;
    b->seq = seq;
    b->rep = rep;
    snprintf(b->hash, sizeof b->hash, "%s", hash);
    b->cfg = res->config;
    b->m = res->metrics;
}

static void record(struct run *r, long long seq, int rep, const char *hash,
                   const struct anas_search_result *res)
{
    if (rep < 0 || rep >= RUN_MAX_RUNS)
        return;
    best_consider(&r->best, &r->spec, seq, rep, hash, res);
    best_consider(&r->rep_best[rep], &r->spec, seq, rep, hash, res);
    r->rep_evals[rep]++;
}

static double user_score(const struct run_spec *s, double score)
{
    return s->search.objectives[0].maximize ? score : -score;
}

static json_t *best_json(const struct run_spec *s, const struct best *b)
{
    if (!b->have)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:i, s:I, s:f}", "hash", b->hash, "config",
                     codec_config_to_json(&b->cfg), "metrics", codec_metrics_to_json(&b->m),
                     "rep", b->rep, "seq", (json_int_t)b->seq, "score",
                     user_score(s, b->score));
}

static json_t *summary_json(const struct run *r)
{
    const struct run_spec *s = &r->spec;
    double scores[RUN_MAX_RUNS], mean = NAN, sem = NAN;
    long long total = 0;
    int i, n = 0;
    json_t *per = json_array(), *o;
    for (i = 0; i < s->runs; i++) {
        const struct best *b = &r->rep_best[i];
        total += r->rep_evals[i];
        if (b->have)
            scores[n++] = user_score(s, b->score);
        json_array_append_new(per, json_pack("{s:i, s:o, s:I}", "rep", i, "best",
                                             best_json(s, b), "evaluations",
                                             (json_int_t)r->rep_evals[i]));
    }
    anas_search_mean_sem(scores, n, &mean, &sem);
    o = json_pack("{s:s, s:s, s:i, s:I, s:o}", "objective", s->search.objectives[0].metric,
                  "goal", s->search.objectives[0].maximize ? "max" : "min", "runs", s->runs,
                  "evaluations", (json_int_t)total, "per_run", per);
    json_object_set_new(o, "best_score", r->best.have ? json_real(user_score(s, r->best.score))
                                                      : json_null());
    json_object_set_new(o, "mean", isfinite(mean) ? json_real(mean) : json_null());
    json_object_set_new(o, "std_err", isfinite(sem) ? json_real(sem) : json_null());
    return o;
}

/* --- storing --- */

static int store_result(struct run *r, long long seq, int rep, const struct slot *sl,
                        const char *state, int cached)
{
    struct store *st = r->jobs->d->store;
    struct store_eval e;
    json_t *cfg = codec_config_to_json(&sl->res.config);
    json_t *met = codec_metrics_to_json(&sl->res.metrics);
    json_t *shape = json_pack("{s:o, s:i}", "input", codec_input_to_json(&r->spec.shape),
                              "classes", r->spec.shape.classes);
    char *shape_txt = codec_dump(shape), *err_txt = NULL;
    int rc;
    memset(&e, 0, sizeof e);
    e.run = r->id;
    e.seq = seq;
    e.rep = rep;
    snprintf(e.hash, sizeof e.hash, "%s", sl->hash);
    snprintf(e.state, sizeof e.state, "%s", state);
    e.feasible = sl->res.feasible;
    e.cached = cached;
    snprintf(e.eval_key, sizeof e.eval_key, "%s", sl->key);
    e.config_json = codec_dump(cfg);
    e.metrics_json = codec_dump(met);
    if (strcmp(state, "failed") == 0) {
        json_t *ej = json_pack("{s:s, s:s}", "code", anas_err_name(sl->rc), "detail",
                               sl->err.msg[0] ? sl->err.msg : anas_strerror(sl->rc));
        err_txt = codec_dump(ej);
        json_decref(ej);
        e.error_json = err_txt;
    }
    e.started_at = sl->t0;
    e.finished_at = sl->t1;
    rc = store_arch_put(st, sl->hash, anas_space_name(r->spec.space), shape_txt,
                        e.config_json, e.metrics_json, now_s());
    if (rc == 0)
        rc = store_eval_put(st, &e);
    free(e.config_json);
    free(e.metrics_json);
    free(shape_txt);
    free(err_txt);
    json_decref(cfg);
    json_decref(met);
    json_decref(shape);
    return rc;
}

/* A slot's result is final: commit it, then account for it. */
static int settle(struct run *r, int i, const char *state, int cached)
{
    struct slot *sl = &r->slots[i];
    int rc = store_result(r, sl->seq, r->rep, sl, state, cached);
    if (rc < 0)
        return rc;
    record(r, sl->seq, r->rep, sl->hash, &sl->res);
    atomic_fetch_add(&r->done, 1);
    return 0;
}

/* --- loading and history --- */

static void eval_identity(struct run *r)
{
    size_t len;
    int i;
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN || r->spec.eval_kind == ANAS_EVAL_RPU) {
        /* Everything that shapes a trained result: the normalized recipe,
         * the dataset (or the measured model) and the seed every
         * evaluation starts from. */
        json_t *spec = codec_run_spec_to_json(&r->spec);
        json_t *id = json_pack("{s:O, s:O, s:O, s:O}", "evaluator",
                               json_object_get(spec, "evaluator"), "dataset",
                               json_object_get(spec, "dataset") ? json_object_get(spec, "dataset")
                                                                : json_null(),
                               "model",
                               json_object_get(spec, "model") ? json_object_get(spec, "model")
                                                              : json_null(),
                               "seed", json_object_get(spec, "seed"));
        char *txt = id ? json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        char digest[65] = "?";
        /* hashed, not copied: a hardware configuration makes it long */
        if (txt)
            anas_sha256_hex(txt, strlen(txt), digest);
        snprintf(r->eval_id, sizeof r->eval_id, "train;%s", digest);
        free(txt);
        json_decref(id);
        json_decref(spec);
        return;
    }
    len = (size_t)snprintf(r->eval_id, sizeof r->eval_id, "%s;map=%dx%d",
                           anas_eval_kind_name(r->spec.eval_kind),
                           r->spec.mapping.max_input_size, r->spec.mapping.max_output_size);
    for (i = 0; i < r->spec.n_models && len < sizeof r->eval_id; i++) {
        struct stat sb;
        /* Size and mtime stand in for the content: a replaced model file
         * must not be answered from results of the old one. */
        if (stat(r->spec.models[i].path, &sb) != 0)
            memset(&sb, 0, sizeof sb);
        len += (size_t)snprintf(r->eval_id + len, sizeof r->eval_id - len, ";%s=%s@%lld.%lld",
                                r->spec.models[i].metric, r->spec.models[i].path,
                                (long long)sb.st_size, (long long)sb.st_mtime);
    }
}

static int load_history(struct run *r)
{
    struct store_eval *e = NULL;
    int n = 0, i, rc;
    long long max_seq = 0;
    rc = store_eval_all(r->jobs->d->store, r->id, &e, &n);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++)
        if (e[i].seq > max_seq)
            max_seq = e[i].seq;
    if (max_seq > 0) {
        r->hist = calloc((size_t)max_seq, sizeof *r->hist);
        if (!r->hist) {
            store_evals_free(e, n);
            return ANAS_ENOMEM;
        }
    }
    r->n_hist = max_seq;
    for (i = 0; i < n; i++) {
        struct hist *h = &r->hist[e[i].seq - 1];
        h->present = 1;
        h->rep = e[i].rep;
        snprintf(h->hash, sizeof h->hash, "%s", e[i].hash);
        if (codec_config_from_text(r->spec.space, e[i].config_json, &h->res.config) < 0 ||
            codec_metrics_from_text(e[i].metrics_json, &h->res.metrics) < 0) {
            h->present = 0; /* unreadable: evaluate again */
            continue;
        }
        h->res.ok = strcmp(e[i].state, "complete") == 0;
        h->res.feasible = e[i].feasible;
        record(r, e[i].seq, e[i].rep, h->hash, &h->res);
        atomic_fetch_add(&r->done, 1);
    }
    store_evals_free(e, n);
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

static int load_datasets(struct run *r, struct anas_error *err)
{
    int rc = run_load_datasets(&r->spec, &r->train_set, &r->test_set, err);
    if (rc < 0)
        return rc;
    r->eval.train_set = r->train_set;
    r->eval.test_set = r->test_set;
    r->eval.train = r->spec.train;
    r->eval.train.seed = r->spec.seed;
    r->eval.analog = r->spec.analog;
    return 0;
}

/* Pool side: models and datasets are files, so they load off the loop
 * thread. */
static int load_models(struct run *r, struct anas_error *err)
{
    int i, rc;
    anas_eval_spec_init(&r->eval, r->spec.eval_kind, r->spec.space, &r->spec.shape);
    r->eval.mapping = r->spec.mapping;
    if (r->spec.analog.enabled) {
        /* the tiles the analog evaluator simulates are the ones counted */
        const struct anas_analog_mapping *m = &r->spec.analog.hw.mapping;
        if (m->max_input_size > 0)
            r->eval.mapping.max_input_size = m->max_input_size;
        if (m->max_output_size > 0)
            r->eval.mapping.max_output_size = m->max_output_size;
    }
    if (r->spec.eval_kind == ANAS_EVAL_TRAIN && (rc = load_datasets(r, err)) < 0) {
        if (!err->field[0])
            snprintf(err->field, sizeof err->field, "/dataset");
        return rc;
    }
    if (r->spec.eval_kind == ANAS_EVAL_RPU) {
        r->eval.analog = r->spec.analog;
        r->eval.train = r->spec.train;
        r->eval.train.seed = r->spec.seed; /* the draws of the measurement */
        if ((rc = rpu_base_load(r->rpu, &r->eval, err)) < 0)
            return rc;
    }
    for (i = 0; i < r->spec.n_models; i++) {
        r->models[i] = anas_surrogate_load(r->spec.models[i].path, err);
        if (!r->models[i]) {
            snprintf(err->field, sizeof err->field, "/evaluator/models/%s",
                     r->spec.models[i].metric);
            return err->code ? err->code : ANAS_EIO;
        }
        rc = anas_eval_spec_add_model(&r->eval, r->spec.models[i].metric, r->models[i]);
        if (rc < 0)
            return anas_error_set(err, rc, "cannot use model for %s", r->spec.models[i].metric);
    }
    return anas_eval_spec_check(&r->eval, err);
}

/* --- the step (pool) --- */

static uint64_t rep_seed(const struct run *r, int rep)
{
    return r->spec.seed + (uint64_t)rep * 0x9E3779B97F4A7C15ULL;
}

static int propose(struct run *r, struct anas_config *cfgs, int *n)
{
    long long cap = r->spec.max_evals;
    int rc = 0;
    if (strcmp(r->spec.kind, "search") != 0) {
        *n = r->rep_count == 0;
        cfgs[0] = r->spec.arch;
    } else {
        rc = anas_search_propose(r->search, cfgs, ANAS_SEARCH_MAX_BATCH, n, &r->step_err);
    }
    if (rc == 0 && cap > 0 && r->rep_count + *n > cap)
        *n = (int)(cap - r->rep_count);
    return rc;
}

/* Fill slots from a proposal; answer what the history already holds.
 * Returns the number of slots that need work. */
static int assign(struct run *r, const struct anas_config *cfgs, int n)
{
    int i, need = 0;
    r->n_slots = n;
    for (i = 0; i < n; i++) {
        struct slot *sl = &r->slots[i];
        memset(sl, 0, sizeof *sl);
        sl->seq = ++r->next_seq;
        sl->leader = -1;
        sl->res.config = cfgs[i];
        anas_space_hash(r->spec.space, &r->spec.shape, &cfgs[i], sl->hash);
        if (sl->seq <= r->n_hist && r->hist[sl->seq - 1].present) {
            const struct hist *h = &r->hist[sl->seq - 1];
            if (h->rep != r->rep || strcmp(h->hash, sl->hash) != 0) {
                r->step_rc = anas_error_set(&r->step_err, ANAS_ESTATE,
                                            "replay diverged at evaluation %lld: stored %s, "
                                            "optimizer proposed %s",
                                            sl->seq, h->hash, sl->hash);
                return -1;
            }
            sl->res = h->res;
        } else {
            sl->need = 1;
            need++;
        }
    }
    r->rep_count += n;
    return need;
}

static void step_run(struct run *r)
{
    static __thread struct anas_config cfgs[ANAS_SEARCH_MAX_BATCH];
    int n;
    if (!r->loaded) {
        r->step_rc = load_models(r, &r->step_err);
        if (r->step_rc < 0)
            return;
        r->loaded = 1;
    }
    for (;;) {
        if (atomic_load(&r->cancel))
            return;
        if (r->n_slots > 0 && !r->observed) {
            int k;
            struct anas_search_result *res = malloc(sizeof *res * (size_t)r->n_slots);
            if (!res) {
                r->step_rc = anas_error_set(&r->step_err, ANAS_ENOMEM, "out of memory");
                return;
            }
            for (k = 0; k < r->n_slots; k++)
                res[k] = r->slots[k].res;
            if (r->search)
                r->step_rc = anas_search_observe(r->search, res, r->n_slots, &r->step_err);
            free(res);
            r->observed = 1;
            if (r->step_rc < 0)
                return;
        }
        if (!r->search && strcmp(r->spec.kind, "search") == 0) {
            r->search = anas_search_new(&r->spec.search, rep_seed(r, r->rep), &r->step_err);
            if (!r->search) {
                r->step_rc = r->step_err.code ? r->step_err.code : ANAS_ENOMEM;
                return;
            }
        }
        r->step_rc = propose(r, cfgs, &n);
        if (r->step_rc < 0)
            return;
        if (n <= 0) {
            r->rep_finished = 1;
            r->n_slots = 0;
            return;
        }
        r->observed = 0;
        if (assign(r, cfgs, n) != 0)
            return; /* work for the loop thread, or a replay error */
    }
}

static void step_work_cb(uv_work_t *req)
{
    struct work *w = req->data;
    step_run(w->run);
}

/* --- evaluations --- */

static int analytic_feasible(const struct run_spec *s, const struct anas_metrics *m)
{
    int i;
    for (i = 0; i < s->search.n_constraints; i++) {
        const struct anas_constraint *c = &s->search.constraints[i];
        double v;
        if (!anas_search_metric_is_analytic(c->metric) ||
            anas_metrics_get(m, c->metric, &v) < 0)
            continue;
        if ((c->has_min && v < c->min) || (c->has_max && v > c->max))
            return 0;
    }
    return 1;
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

/* Evaluations are deterministic functions of (spec, seed, architecture):
 * retrying one that failed on its inputs (a diverged training, a bad
 * model) would fail again. What can pass on a second try is a shortage of
 * memory or a failed read of a file. */
#define EVAL_RETRIES 2

static int transient(int rc)
{
    return rc == ANAS_ENOMEM || rc == ANAS_EIO;
}

static int train_slot(struct run *r, struct slot *sl)
{
    struct anas_net *net = NULL;
    int keep = strcmp(r->spec.kind, "train") == 0;
    int rc = anas_eval_train(&r->eval, &sl->res.config, &r->cancel, &sl->progress,
                             &sl->res.metrics, keep ? &net : NULL, &sl->err);
    if (rc == 0 && net)
        rc = model_bytes(net, &sl->model, &sl->model_len, &sl->err);
    anas_net_free(net);
    return rc;
}

static void eval_work_cb(uv_work_t *req)
{
    struct work *w = req->data;
    struct run *r = w->run;
    struct slot *sl = &r->slots[w->slot];
    struct timespec ts;
    anas_error_clear(&sl->err);
    clock_gettime(CLOCK_REALTIME, &ts);
    sl->t0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    for (int attempt = 1;; attempt++) {
        if (r->spec.eval_kind == ANAS_EVAL_TRAIN)
            sl->rc = train_slot(r, sl);
        else if (r->spec.eval_kind == ANAS_EVAL_RPU)
            sl->rc = anas_eval_rpu(&r->eval, &sl->res.config, &r->cancel, &sl->progress,
                                   &sl->res.metrics, &sl->err);
        else
            sl->rc = anas_eval_run(&r->eval, &sl->res.config, &r->cancel,
                                   &sl->res.metrics, &sl->err);
        if (!transient(sl->rc) || attempt > EVAL_RETRIES)
            break;
        anas_log(ANAS_LOG_WARN, "run %lld: evaluation %lld failed (%s), retry %d of %d",
                 r->id, sl->seq, sl->err.msg, attempt, EVAL_RETRIES);
        anas_error_clear(&sl->err);
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    sl->t1 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    sl->res.ok = sl->rc == 0;
    sl->res.feasible = sl->res.ok && anas_search_feasible(&r->spec.search, &sl->res.metrics);
}

static void release(struct run *r);

static void batch_progress(struct run *r)
{
    if (--r->pending == 0 && !r->canceled && !r->interrupted && !r->finished)
        queue_step(r);
}

static void eval_after_cb(uv_work_t *req, int status)
{
    struct work *w = req->data;
    struct run *r = w->run;
    int k = w->slot, i, rc = 0;
    struct slot *sl = &r->slots[k];
    free(w);
    r->inflight--;
    r->jobs->inflight--;
    if (status == UV_ECANCELED || sl->rc == ANAS_ECANCELED || r->finished) {
        release(r);
        return;
    }
    rc = settle(r, k, sl->res.ok ? "complete" : "failed", 0);
    if (rc == 0 && sl->model) {
        rc = store_model_put(r->jobs->d->store, r->id, "safetensors", sl->model,
                             sl->model_len, now_s());
        free(sl->model);
        sl->model = NULL;
    }
    for (i = k + 1; rc == 0 && i < r->n_slots; i++) {
        struct slot *f = &r->slots[i];
        if (f->leader != k)
            continue;
        f->res.ok = sl->res.ok;
        f->res.feasible = sl->res.feasible;
        f->res.metrics = sl->res.metrics;
        f->rc = sl->rc;
        f->err = sl->err;
        f->t0 = sl->t0;
        f->t1 = sl->t1;
        rc = settle(r, i, sl->res.ok ? "complete" : "failed", 1);
        r->pending--;
    }
    if (rc < 0) {
        struct anas_error e;
        anas_error_set(&e, rc, "cannot store evaluation %lld", sl->seq);
        finish(r, "failed", &e);
        release(r);
        return;
    }
    if (r->canceled || r->interrupted) {
        release(r);
        return;
    }
    batch_progress(r);
}

static int dispatch_eval(struct run *r, int i)
{
    struct work *w = calloc(1, sizeof *w);
    int rc;
    if (!w)
        return ANAS_ENOMEM;
    w->run = r;
    w->slot = i;
    w->req.data = w;
    rc = uv_queue_work(r->jobs->d->loop, &w->req, eval_work_cb, eval_after_cb);
    if (rc < 0) {
        free(w);
        return ANAS_EINTERNAL;
    }
    r->inflight++;
    r->jobs->inflight++;
    r->pending++;
    return 0;
}

/* Reuse an identical evaluation stored earlier (any run). */
static int try_cached(struct run *r, int i)
{
    struct slot *sl = &r->slots[i];
    struct store_eval e;
    struct anas_metrics m;
    if (store_eval_find_key(r->jobs->d->store, sl->key, &e) < 0)
        return 0;
    if (codec_metrics_from_text(e.metrics_json, &m) < 0) {
        store_eval_fini(&e);
        return 0;
    }
    store_eval_fini(&e);
    sl->res.metrics = m;
    sl->res.ok = 1;
    sl->res.feasible = anas_search_feasible(&r->spec.search, &m);
    sl->t0 = sl->t1 = now_s();
    return settle(r, i, "complete", 1) < 0 ? -1 : 1;
}

static int plan_slot(struct run *r, int i)
{
    struct slot *sl = &r->slots[i];
    char key_src[sizeof r->eval_id + ANAS_HASH_LEN + 2];
    int j, rc;
    struct anas_error err;
    anas_metrics_init(&sl->res.metrics);
    rc = anas_eval_analytic(&r->eval, &sl->res.config, &sl->res.metrics, &err);
    if (rc == 0 && !analytic_feasible(&r->spec, &sl->res.metrics)) {
        sl->res.ok = 0;
        sl->res.feasible = 0;
        sl->t0 = sl->t1 = now_s();
        return settle(r, i, "invalid", 0);
    }
    snprintf(key_src, sizeof key_src, "%s|%s", sl->hash, r->eval_id);
    anas_sha256_hex(key_src, strlen(key_src), sl->key);
    for (j = 0; j < i; j++) {
        if (r->slots[j].dispatched && strcmp(r->slots[j].key, sl->key) == 0) {
            sl->leader = j;
            r->pending++;
            return 0;
        }
    }
    /* A train run exists to produce weights: never answer it from a
     * stored result, which has none. */
    rc = strcmp(r->spec.kind, "train") == 0 ? 0 : try_cached(r, i);
    if (rc != 0)
        return rc < 0 ? ANAS_EDB : 0;
    sl->dispatched = 1;
    return dispatch_eval(r, i);
}

static void plan_batch(struct run *r)
{
    int i, rc = 0;
    r->pending = 1; /* held until every slot is planned */
    for (i = 0; i < r->n_slots && rc == 0; i++)
        if (r->slots[i].need)
            rc = plan_slot(r, i);
    if (rc < 0) {
        struct anas_error e;
        anas_error_set(&e, rc, "cannot schedule evaluations");
        finish(r, "failed", &e);
        release(r);
        return;
    }
    batch_progress(r);
}

/* --- stepping and finishing --- */

static void end_rep(struct run *r)
{
    anas_search_free(r->search);
    r->search = NULL;
    r->rep_finished = 0;
    r->rep_count = 0;
    r->rep++;
    if (r->rep < r->spec.runs) {
        queue_step(r);
        return;
    }
    finish(r, "succeeded", NULL);
    release(r);
}

static void step_after_cb(uv_work_t *req, int status)
{
    struct work *w = req->data;
    struct run *r = w->run;
    free(w);
    r->inflight--;
    r->jobs->inflight--;
    if (status == UV_ECANCELED || r->canceled || r->interrupted || r->finished) {
        release(r);
        return;
    }
    if (r->step_rc < 0) {
        finish(r, "failed", &r->step_err);
        release(r);
        return;
    }
    if (r->rep_finished) {
        end_rep(r);
        return;
    }
    plan_batch(r);
}

static void queue_step(struct run *r)
{
    struct work *w = calloc(1, sizeof *w);
    int rc = ANAS_ENOMEM;
    if (w) {
        w->run = r;
        w->req.data = w;
        rc = uv_queue_work(r->jobs->d->loop, &w->req, step_work_cb, step_after_cb);
    }
    if (rc < 0) {
        struct anas_error e;
        free(w);
        anas_error_set(&e, ANAS_ENOMEM, "cannot queue work");
        finish(r, "failed", &e);
        release(r);
        return;
    }
    r->inflight++;
    r->jobs->inflight++;
}

static void unlink_run(struct run *r)
{
    struct run **p;
    for (p = &r->jobs->active; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            r->jobs->n_active--;
            return;
        }
    }
}

static void finish(struct run *r, const char *state, const struct anas_error *err)
{
    struct store *st = r->jobs->d->store;
    long long done = atomic_load(&r->done);
    if (r->finished)
        return;
    r->finished = 1;
    atomic_store(&r->cancel, 1);
    if (err) {
        json_t *e = json_pack("{s:s, s:s}", "code", anas_err_name(err->code), "detail",
                              err->msg[0] ? err->msg : anas_strerror(err->code));
        char *txt;
        if (err->field[0])
            json_object_set_new(e, "field", json_string(err->field));
        txt = codec_dump(e);
        store_run_set_error(st, r->id, txt);
        free(txt);
        json_decref(e);
        anas_log(ANAS_LOG_WARN, "run %lld failed: %s", r->id, err->msg);
    }
    {
        json_t *b = best_json(&r->spec, &r->best), *s = summary_json(r);
        char *bt = json_is_null(b) ? NULL : codec_dump(b), *stxt = codec_dump(s);
        store_run_set_result(st, r->id, bt, stxt);
        free(bt);
        free(stxt);
        json_decref(b);
        json_decref(s);
    }
    store_run_set_progress(st, r->id, done, strcmp(state, "succeeded") == 0 ? done : r->total);
    store_run_set_state(st, r->id, state, now_s());
    anas_log(ANAS_LOG_INFO, "run %lld %s after %lld evaluations", r->id, state, done);
    unlink_run(r);
}

static void run_free(struct run *r)
{
    int i;
    for (i = 0; r->slots && i < ANAS_SEARCH_MAX_BATCH; i++)
        free(r->slots[i].model);
    anas_data_free(r->train_set);
    anas_data_free(r->test_set);
    rpu_base_free(r->rpu);
    anas_search_free(r->search);
    for (i = 0; i < ANAS_EVAL_MAX_MODELS; i++)
        anas_surrogate_free(r->models[i]);
    free(r->hist);
    free(r->slots);
    free(r);
}

/* Free a run once it is final and no work refers to it any more. */
static void release(struct run *r)
{
    struct jobs *j = r->jobs;
    if (r->inflight > 0 || !(r->finished || r->canceled || r->interrupted))
        return;
    if (!r->finished)
        unlink_run(r);
    run_free(r);
    if (!j->shutting_down)
        jobs_pump(j);
}

/* --- public --- */

static long long estimate_total(const struct run_spec *s)
{
    long long per;
    if (strcmp(s->kind, "search") != 0)
        return s->runs;
    per = anas_search_budget(&s->search);
    if (s->max_evals > 0 && (per < 0 || per > s->max_evals))
        per = s->max_evals;
    return per < 0 ? -1 : per * s->runs;
}

/* A run that cannot start ends as failed, with why. */
static void fail_start(struct jobs *j, struct run *r, long long id,
                       const struct anas_error *err)
{
    r->jobs = j;
    r->id = id;
    r->next = j->active;
    j->active = r;
    j->n_active++;
    finish(r, "failed", err);
    run_free(r);
}

static int start_run(struct jobs *j, long long id)
{
    struct store *st = j->d->store;
    struct store_run sr;
    struct anas_error err;
    json_t *spec;
    struct run *r;
    int rc = store_run_get(st, id, &sr);
    if (rc < 0)
        return rc;
    r = calloc(1, sizeof *r);
    if (r)
        r->slots = calloc(ANAS_SEARCH_MAX_BATCH, sizeof *r->slots);
    spec = json_loads(sr.spec_json, 0, NULL);
    anas_error_clear(&err);
    if (!r || !r->slots || !spec || codec_run_spec(&j->d->conf, spec, &r->spec, &err) < 0) {
        if (!err.code)
            anas_error_set(&err, ANAS_ENOMEM, "cannot load run");
        json_decref(spec);
        store_run_fini(&sr);
        if (r)
            fail_start(j, r, id, &err);
        return 0;
    }
    json_decref(spec);
    if (r->spec.eval_kind == ANAS_EVAL_RPU &&
        rpu_base_fetch(st, &j->d->conf, r->spec.model_run, &r->rpu, &err) < 0) {
        store_run_fini(&sr);
        fail_start(j, r, id, &err);
        return 0;
    }
    r->jobs = j;
    r->id = id;
    r->t0 = now_s();
    r->total = estimate_total(&r->spec);
    eval_identity(r);
    rc = load_history(r);
    if (rc == 0 && r->n_hist > 0)
        anas_log(ANAS_LOG_INFO, "run %lld: resuming with %lld stored evaluations", id,
                 (long long)atomic_load(&r->done));
    r->next = j->active;
    j->active = r;
    j->n_active++;
    store_run_fini(&sr);
    if (rc < 0) {
        anas_error_set(&err, rc, "cannot read stored evaluations");
        finish(r, "failed", &err);
        run_free(r);
        return 0;
    }
    store_run_set_state(st, id, "running", r->t0);
    store_run_set_progress(st, id, atomic_load(&r->done), r->total);
    queue_step(r);
    return 0;
}

static int next_waiting(struct jobs *j, long long *id)
{
    static const char *const states[] = {"interrupted", "queued"};
    int s;
    for (s = 0; s < 2; s++) {
        long long *ids = NULL;
        int n = 0;
        if (store_run_ids_in_state(j->d->store, states[s], &ids, &n) == 0 && n > 0) {
            *id = ids[0];
            free(ids);
            return 1;
        }
        free(ids);
    }
    return 0;
}

void jobs_pump(struct jobs *j)
{
    long long id;
    while (!j->shutting_down && j->n_active < j->d->conf.max_runs && next_waiting(j, &id)) {
        if (start_run(j, id) < 0) {
            store_run_set_state(j->d->store, id, "failed", now_s());
            break;
        }
    }
}

int jobs_new(struct anasd *d, struct jobs **out)
{
    struct jobs *j = calloc(1, sizeof *j);
    if (!j)
        return ANAS_ENOMEM;
    j->d = d;
    *out = j;
    return 0;
}

void jobs_free(struct jobs *j)
{
    while (j && j->active) {
        struct run *r = j->active;
        j->active = r->next;
        run_free(r);
    }
    free(j);
}

int jobs_start(struct jobs *j)
{
    long long *ids = NULL;
    int n = 0, i, rc;
    /* A run still "running" in the store was cut off by a crash. */
    rc = store_run_ids_in_state(j->d->store, "running", &ids, &n);
    if (rc < 0)
        return rc;
    for (i = 0; i < n; i++) {
        anas_log(ANAS_LOG_INFO, "run %lld was interrupted; resuming", ids[i]);
        store_run_set_state(j->d->store, ids[i], "interrupted", now_s());
    }
    free(ids);
    jobs_pump(j);
    return 0;
}

static struct run *find_active(struct jobs *j, long long id)
{
    struct run *r;
    for (r = j->active; r; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

int jobs_cancel(struct jobs *j, long long id)
{
    struct store_run sr;
    struct run *r = find_active(j, id);
    int rc;
    if (r) {
        r->canceled = 1;
        atomic_store(&r->cancel, 1);
        finish(r, "canceled", NULL);
        release(r);
        return 0;
    }
    rc = store_run_get(j->d->store, id, &sr);
    if (rc < 0)
        return rc;
    if (strcmp(sr.state, "queued") && strcmp(sr.state, "interrupted")) {
        store_run_fini(&sr);
        return ANAS_ESTATE;
    }
    store_run_fini(&sr);
    return store_run_set_state(j->d->store, id, "canceled", now_s());
}

/* Evaluations being trained right now, with their batches. */
static json_t *evaluating_json(struct run *r)
{
    json_t *a = json_array();
    int i;
    for (i = 0; (r->spec.eval_kind == ANAS_EVAL_TRAIN || r->spec.eval_kind == ANAS_EVAL_RPU) &&
                i < r->n_slots;
         i++) {
        struct slot *sl = &r->slots[i];
        long total = atomic_load(&sl->progress.batches_total);
        /* Only atomics and loop-owned fields: the pool is still writing the
         * rest of the slot. */
        if (!sl->dispatched || total <= 0 ||
            atomic_load(&sl->progress.batches_done) >= total)
            continue;
        json_array_append_new(a, json_pack("{s:I, s:s, s:i, s:I, s:I}", "seq",
                                           (json_int_t)sl->seq, "hash", sl->hash, "epoch",
                                           atomic_load(&sl->progress.epoch), "batches_done",
                                           (json_int_t)atomic_load(&sl->progress.batches_done),
                                           "batches_total", (json_int_t)total));
    }
    return a;
}

int jobs_live(struct jobs *j, long long id, long long *done, long long *total,
              double *elapsed, json_t **best, json_t **summary, json_t **evaluating)
{
    struct run *r = find_active(j, id);
    if (!r)
        return ANAS_ENOTFOUND;
    if (evaluating)
        *evaluating = evaluating_json(r);
    *done = atomic_load(&r->done);
    *total = r->total;
    if (*total >= 0 && *done > *total)
        *total = *done;
    *elapsed = now_s() - r->t0;
    if (best)
        *best = best_json(&r->spec, &r->best);
    if (summary)
        *summary = summary_json(r);
    return 0;
}

void jobs_shutdown(struct jobs *j)
{
    struct run *r, *next;
    j->shutting_down = 1;
    for (r = j->active; r; r = next) {
        next = r->next;
        r->interrupted = 1;
        atomic_store(&r->cancel, 1);
        store_run_set_progress(j->d->store, r->id, atomic_load(&r->done), r->total);
        store_run_set_state(j->d->store, r->id, "interrupted", now_s());
        unlink_run(r);
        r->finished = 1; /* nothing more is written for it */
        if (r->inflight == 0)
            run_free(r);
    }
}

int jobs_idle(const struct jobs *j)
{
    return j->inflight == 0;
}

int jobs_n_active(const struct jobs *j)
{
    return j->n_active;
}
