/*
 * run.h - one active run, shared by the scheduler's three files:
 *
 *   jobs.c      the run state machine: start, resume, repetitions, budgets,
 *               the optimizer's steps on the pool, finishing;
 *   dispatch.c  evaluations: analytic rejection, reuse of identical stored
 *               results, the pool work and its retries, settling results;
 *   commit.c    committing settled results, many to a transaction, before
 *               they are counted and observed;
 *   results.c   judging: best so far, per-repetition bests, failure counts,
 *               the Pareto front and its hypervolume, the summary.
 *
 * Evaluations flow through a ring of slots indexed by sequence number. The
 * optimizer observes results strictly in sequence order and is asked for
 * new proposals after every single observation, so what it proposes does
 * not depend on which evaluation happened to finish first: a resumed run
 * replays the same calls from the stored results and ends identical. A
 * slow evaluation holds back what the optimizer sees, not the workers: up
 * to ANAS_SEARCH_MAX_BATCH evaluations may be out, as many as the
 * optimizer is willing to propose.
 *
 * Threads: the loop thread owns the run. A step (the optimizer's work) runs
 * on the pool with its own input and output arrays; while it runs the loop
 * thread does not touch the optimizer or the step arrays, and results that
 * arrive are committed (commit.c) but enter the ring only after the step
 * (`arrived`). Evaluation workers write only their own slot's result.
 */
#ifndef ANASD_RUN_H
#define ANASD_RUN_H

#include <stdatomic.h>

#include "codec.h"
#include "jobs.h"
#include "rpubase.h"

#define RING ANAS_SEARCH_MAX_BATCH

struct best {
    int have;
    double score;
    long long seq;
    int rep;
    char hash[ANAS_HASH_LEN + 1];
    struct anas_config cfg;
    struct anas_metrics m;
};

/* A stored evaluation, read back at start-up, by seq - 1. */
struct hist {
    int present;
    int rep;
    double t0, t1;
    char hash[ANAS_HASH_LEN + 1];
    struct anas_search_result res;
};

enum slot_state {
    SLOT_EMPTY,
    SLOT_PLANNED, /* proposed, needs work from the loop thread */
    SLOT_RUNNING, /* dispatched to the pool, or following a leader */
    SLOT_DONE,    /* committed, waiting to be observed */
};

struct slot {
    enum slot_state state;
    long long seq;
    char hash[ANAS_HASH_LEN + 1];
    char key[65];
    long long leader; /* seq of the slot evaluating the same key, or 0 */
    int dispatched;   /* sent to the pool */
    int arrived;      /* finished while a step was running */
    int rc;           /* evaluator's return code */
    struct anas_error err;
    double t0, t1;     /* wall clock: stored as the evaluation's times */
    double work_s;     /* how long it took, on the monotonic clock */
    struct anas_search_result res;
    struct anas_train_progress progress; /* read by the API while training */
    void *model;                         /* kind train: the trained weights */
    size_t model_len;
    /* A training's learning curve, one entry per epoch, written by the
     * worker (read once the evaluation is back on the loop thread). */
    struct anas_metrics *curve;
    int curve_n, curve_cap;
};

/* What a step hands back: proposals in sequence order; those the stored
 * history answers carry their result (replay). */
struct proposal {
    long long seq;
    char hash[ANAS_HASH_LEN + 1];
    int stored;
    double t0, t1;
    struct anas_search_result res;
};

/* Why a repetition ended. */
enum stop {
    STOP_NONE,
    STOP_DONE,        /* the optimizer finished */
    STOP_EVALUATIONS, /* budget.evaluations */
    STOP_SECONDS,     /* budget.seconds */
};

/* A feasible result in the objectives' space (minimised), for fronts. */
struct front_pt {
    double f[ANAS_SEARCH_MAX_OBJECTIVES];
    long long seq;
    int rep;
};

struct results {
    struct best best;
    struct best rep_best[RUN_MAX_RUNS];
    long long rep_evals[RUN_MAX_RUNS];
    enum stop rep_stop[RUN_MAX_RUNS];
    struct anas_metrics *rep_info; /* [RUN_MAX_RUNS]: the optimizer's figures */
    long long complete, failed, invalid, cached, pruned;
    double epochs_saved; /* by pruning: planned epochs not trained */
    char first_error_code[32]; /* of the first failed evaluation, "" if none */
    char first_error_detail[240];
    struct front_pt *pts; /* feasible complete results, all repetitions */
    long long n_pts, cap_pts;
    /* The front of every repetition ([0]) and of each ([rep + 1]) as last
     * computed, for n of the points: the points only grow, so their count
     * says whether an answer still holds. Every GET of the run and every
     * event stream asks, and a front costs O(points x front). */
    struct front_memo {
        int valid;
        long long n, size;
        double hv;
    } front[RUN_MAX_RUNS + 1];
    /* Results settled in this process, and those that needed real work:
     * the ETA's basis. */
    long long live, worked;
    double work_s;
};

struct run {
    struct jobs *jobs;
    struct run *next;
    long long id;
    struct run_spec spec;
    struct anas_eval_spec eval;
    struct anas_surrogate *models[ANAS_EVAL_MAX_MODELS];
    /* Stored surrogates ({"surrogate": ID}): their JSON, read from the
     * store at start, parsed on the pool. */
    void *model_blob[ANAS_EVAL_MAX_MODELS];
    size_t model_len[ANAS_EVAL_MAX_MODELS];
    struct anas_dataset *train_set, *test_set;
    struct rpu_base *rpu; /* evaluator rpu: the model it measures */
    char eval_id[2048];   /* evaluator identity: part of every evaluation key */
    int loaded;

    struct hist *hist; /* by seq - 1 */
    long long n_hist;

    /* The current repetition. */
    int rep;
    long long next_seq;  /* last seq proposed */
    long long obs_seq;   /* last seq the optimizer observed */
    long long rep_count; /* proposals in this repetition */
    long long rep_obs;   /* of them observed, */
    double rep_cost;     /* costing this much (a pruned training: its share) */
    double rep_t0, last_t1; /* first start and latest observed finish */

    /* Step (pool) state: touched by the loop thread only between steps. */
    struct anas_search *search;
    int stepping;
    int rep_started; /* the first propose of the repetition was made */
    enum stop stop;  /* set by the step when the repetition ended */
    int step_rc;
    struct anas_error step_err;
    struct anas_search_result *in; /* results to observe, in seq order */
    double *in_t0, *in_t1;
    int n_in;
    long long in_seq; /* seq of in[0] */
    int ring_after; /* outstanding slots behind the input */
    struct proposal *out;
    int n_out, n_out_observed;

    struct slot ring[RING];
    int pending; /* slots dispatched or following */

    /* Early stopping: every training's curve, shared by the workers
     * (under prune_lock) and the loop thread. NULL without a pruner. */
    struct anas_pruner *pruner;
    uv_mutex_t prune_lock;

    atomic_llong done;
    long long total;
    double t0; /* anasd_mono() when it (re)started: for elapsed and the ETA */
    atomic_int cancel;
    int canceled, interrupted, finished;
    int inflight;

    struct results res;
};

static inline struct slot *ring_slot(struct run *r, long long seq)
{
    return &r->ring[(seq - 1) % RING];
}

/* An evaluation that takes a millisecond or less: queued ahead on the
 * pool (lease.c) and committed in batches (commit.c). */
static inline int run_quick(const struct run *r)
{
    return r->spec.eval_kind == ANAS_EVAL_ANALYTIC || r->spec.eval_kind == ANAS_EVAL_SURROGATE;
}

/* jobs.c */
double jobs_now(void);
struct anasd *run_daemon(const struct run *r);
/* A slot's result is committed: it may be observed (loop thread). */
void run_result_in(struct run *r, struct slot *sl);
/* End the run as failed with `what` and the code (loop thread). */
void run_fail(struct run *r, int rc, const char *what);
void jobs_inflight_add(struct jobs *j, int n);
struct commits *jobs_commits(struct jobs *j);
/* Free a run once it is final and no work refers to it any more. */
void jobs_release(struct run *r);

/* dispatch.c (loop thread) */
void dispatch_identity(struct run *r);
int dispatch_plan(struct run *r, struct slot *sl);
/* A final result: committed, then accounted for and observed (commit.c). */
int dispatch_settle(struct run *r, struct slot *sl, const char *state, int cached);

/* Remote evaluation (lease.c, api_leases.c). Run seq on a local pool
 * thread (one lease.c counted busy). */
int dispatch_local(struct run *r, long long seq);
/* A leased evaluation's result, decoded into its slot (res.metrics, rc,
 * err, t0, t1, curve, model, progress.stopped_at): settle it as a local
 * one is settled. */
void dispatch_remote_done(struct run *r, struct slot *sl);
/* A leased training's epoch, for the pruner: *stop says whether to stop. */
int dispatch_epoch(struct run *r, struct slot *sl, int rep, int epoch, int epochs,
                   const struct anas_metrics *m, int *stop);
/* A curve (JSON text, as stored) into sl->curve. */
int dispatch_curve_parse(const char *txt, struct slot *sl);

/* commit.c (loop thread): results committed many to a transaction, then
 * counted, announced and observed (run_result_in) in the order settled. */
struct commits;
struct store_eval;
int commits_new(struct anasd *d, struct commits **out);
void commits_free(struct commits *c);
/* A final result (state: complete, pruned, failed or invalid) joins the
 * batch; a training's weights (sl->model) go with it. 0 or ANAS_ENOMEM. */
int commits_add(struct run *r, struct slot *sl, const char *state, int cached);
/* A complete result with eval_key waiting to be committed, as
 * store_eval_find_key() will find it: 0 (free with store_eval_fini), or
 * ANAS_ENOTFOUND. */
int commits_find_key(struct commits *c, const char *eval_key, struct store_eval *out);
/* Commit what waits now; a failed commit fails the runs it held. */
void commits_flush(struct commits *c);
/* The transactions that stored results so far (GET /metrics). */
unsigned long long commits_batches(const struct commits *c);

/* results.c */
void results_fini(struct results *x);
/* state: complete, failed or invalid; code and detail: a failure's. */
void results_record(struct run *r, long long seq, int rep, const char *state, int cached,
                    const char *hash, const struct anas_search_result *res,
                    const char *code, const char *detail);
json_t *results_best_json(const struct run_spec *s, const struct best *b);
json_t *results_summary_json(struct run *r);
/* The front of all repetitions: its size and hypervolume, as the
 * summary's pareto_size and hypervolume (0 and 0 before a feasible result). */
int results_front(struct run *r, long long *size, double *hv);

/* Pruning (dispatch.c). The epochs a configuration's training plans (the
 * run's recipe, or the configuration's own train.epochs). */
int run_planned_epochs(const struct run *r, const struct anas_config *cfg);
/* What an observed result costs the budget: 1, or for a pruned training
 * the share of its planned epochs it trained. */
double run_cost(const struct run *r, const struct anas_search_result *res);
/* A stored curve (JSON text) into the pruner as evaluation seq of rep,
 * completed or not; m: its stored metrics (the analytic ones are read).
 * Nothing without a pruner or a curve. */
void dispatch_prune_feed(struct run *r, long long seq, int rep, const char *curve_json,
                         const struct anas_metrics *m, int completed);
/* The time a remaining evaluation is expected to take, per worker-second;
 * NAN when nothing was measured yet. */
double results_eta(const struct run *r, long long remaining, int workers);

#endif
