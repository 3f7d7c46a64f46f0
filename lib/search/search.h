/*
 * search.h - optimizers behind one ops table, as functions of
 * (spec, seed, history).
 *
 * The caller drives a loop: propose a batch, evaluate it, observe the
 * results in the same order, repeat until propose returns an empty batch.
 *
 *     struct anas_search *s = anas_search_new(&spec, seed, &err);
 *     for (;;) {
 *         int n;
 *         anas_search_propose(s, batch, ANAS_SEARCH_MAX_BATCH, &n, &err);
 *         if (n == 0) break;                 // finished
 *         ... evaluate batch[0..n) into results[0..n) ...
 *         anas_search_observe(s, results, n, &err);
 *     }
 *     anas_search_free(s);
 *
 * The contract: propose hands out at most `max` configurations (fewer when
 * the optimizer's batch is smaller or nearly done; a batch larger than `max`
 * comes out over several calls). observe takes the results of proposed
 * configurations in the order they were proposed, all at once or in pieces,
 * never more than were proposed (ANAS_ESTATE). propose may hand out fewer
 * than `max`, or none: *n_out = 0 while proposals are still out (not yet
 * observed) means "observe more first"; *n_out = 0 with none out means the
 * search is finished. An optimizer bounds what it keeps out (its `batch`
 * or population), so a driver may call propose after every single
 * observation and get a new configuration as soon as one can be made:
 * steady-state optimizers keep every worker busy that way. An error that
 * ends the search (ea-analognas's AVM filter giving up) is returned again
 * by every later call.
 *
 * An optimizer's state is fully determined by (spec, seed, the results
 * observed so far): replaying stored results into a fresh optimizer with
 * the same seed reproduces the same proposals, however the calls were
 * split. That is how a run resumes after a crash without repeating or
 * losing an evaluation.
 *
 * A search object is used by one thread at a time; the registry and the
 * judging helpers are thread-safe.
 *
 * Objectives and constraints are shared by every optimizer; the helpers at
 * the end (feasibility, ranking, summaries) are what the daemon uses to
 * report a run's best, so every optimizer is judged the same way.
 */
#ifndef ANAS_SEARCH_H
#define ANAS_SEARCH_H

#include <stdint.h>

#include "core/err.h"
#include "core/metrics.h"
#include "space/space.h"

#define ANAS_SEARCH_MAX_BATCH 256
#define ANAS_SEARCH_MAX_OBJECTIVES 4
#define ANAS_SEARCH_MAX_CONSTRAINTS 8
#define ANAS_SEARCH_MAX_PARAMS 16

struct anas_objective {
    char metric[ANAS_METRIC_NAME_MAX];
    int maximize; /* 1: goal "max", 0: goal "min" */
};

struct anas_constraint {
    char metric[ANAS_METRIC_NAME_MAX];
    int has_min, has_max;
    double min, max;
};

/* One optimizer parameter, as an ops table declares it. A default of NAN
 * marks an optional parameter: NAN means "unset" (the optimizer then decides,
 * e.g. ea-analognas's t_avm falls back to the avm constraint), and bounds
 * apply only to values that are set. */
struct anas_param_desc {
    const char *name;
    int is_int;
    double lo, hi; /* inclusive bounds */
    double def;
    const char *help;
};

struct anas_search_spec {
    const struct anas_space *space;
    /* The input the architectures are built for and the tiles they map
     * onto: what analytic constraints are checked with before a
     * configuration is proposed. has_shape 0: optimizers do not pre-screen
     * (the caller still rejects infeasible ones before evaluating). */
    int has_shape;
    struct anas_shape shape;
    struct anas_mapping mapping;
    int n_objectives;
    struct anas_objective objectives[ANAS_SEARCH_MAX_OBJECTIVES];
    /* The hypervolume's reference point, in the objectives' own units
     * (not negated for "max"); has_reference_point 0: the worst value
     * observed for each objective. */
    int has_reference_point;
    double reference_point[ANAS_SEARCH_MAX_OBJECTIVES];
    int n_constraints;
    struct anas_constraint constraints[ANAS_SEARCH_MAX_CONSTRAINTS];
    /* Optimizer parameters by the names its ops table declares; unset ones
     * take the declared default (anas_search_spec_init fills them). */
    const struct anas_search_ops *ops;
    double params[ANAS_SEARCH_MAX_PARAMS];
};

/* What an evaluation produced, as the optimizer observes it. */
struct anas_search_result {
    struct anas_config config;
    int ok;       /* evaluation completed (metrics valid) */
    int feasible; /* ok and every constraint holds */
    /* Why not ok, when the caller knows (optimizers may ignore it):
     * rejected on an analytic constraint before any evaluation, or a
     * training stopped early by a pruner (metrics: its last epoch's). */
    int rejected, pruned;
    struct anas_metrics metrics;
};

struct anas_search;

struct anas_search_ops {
    const char *name;
    const char *help;
    int n_params;
    const struct anas_param_desc *params;
    /* Extra checks on a filled spec (beyond parameter bounds). */
    int (*check)(const struct anas_search_spec *spec, struct anas_error *err);
    /* Evaluations the search will make, or -1 when not known in advance. */
    long (*budget)(const struct anas_search_spec *spec);
    int (*init)(struct anas_search *s, struct anas_error *err);
    int (*propose)(struct anas_search *s, struct anas_config *out, int max, int *n_out,
                   struct anas_error *err);
    int (*observe)(struct anas_search *s, const struct anas_search_result *res, int n,
                   struct anas_error *err);
    void (*fini)(struct anas_search *s);
    /* Optional: what the optimizer measured about its own work, as named
     * numbers the daemon shows in the run's summary (per repetition, under
     * "optimizer"): linas, its predictors' Kendall tau per loop. NULL:
     * nothing. */
    int (*info)(const struct anas_search *s, struct anas_metrics *out);
};

/* Registry. */
int anas_search_count(void);
const struct anas_search_ops *anas_search_at(int i);
const struct anas_search_ops *anas_search_find(const char *name); /* NULL if unknown */
int anas_search_param_index(const struct anas_search_ops *ops, const char *name);

/* Zero the spec, set space and ops, fill every parameter with its default. */
void anas_search_spec_init(struct anas_search_spec *spec, const struct anas_space *space,
                           const struct anas_search_ops *ops);

/* Set a parameter by name: ANAS_EUNKNOWN if the optimizer has no such
 * parameter, ANAS_ERANGE (field = name) when out of bounds or not integral. */
int anas_search_spec_set(struct anas_search_spec *spec, const char *name, double value,
                         struct anas_error *err);

/* The parameter's value; NAN when unknown or unset. */
double anas_search_spec_get(const struct anas_search_spec *spec, const char *name);

/* Check the whole spec: 1..4 objectives and constraints with valid metric
 * names (err->field "objectives/<i>/metric", "constraints/<i>"), each
 * constraint with a bound and min <= max, parameters within bounds (field =
 * the parameter's name), then the ops' own rules. */
int anas_search_spec_check(const struct anas_search_spec *spec, struct anas_error *err);

/* Expected number of evaluations, or -1 when unknown. */
long anas_search_budget(const struct anas_search_spec *spec);

/* The spec is checked (anas_search_spec_check) and copied. The same
 * (spec, seed) always proposes the same configurations given the same
 * observed results. propose: ANAS_EINVAL when max < 1; *n_out = 0 as the
 * contract above says. observe, for every optimizer: ANAS_ESTATE for more
 * results than pending proposals, ANAS_EINVAL for a result whose config is
 * not the one proposed in that place; nothing is observed then. */
struct anas_search *anas_search_new(const struct anas_search_spec *spec, uint64_t seed,
                                    struct anas_error *err);
void anas_search_free(struct anas_search *s);
int anas_search_propose(struct anas_search *s, struct anas_config *out, int max,
                        int *n_out, struct anas_error *err);
int anas_search_observe(struct anas_search *s, const struct anas_search_result *res,
                        int n, struct anas_error *err);

/* The optimizer's own figures (ops->info); empty when it has none. */
int anas_search_info(const struct anas_search *s, struct anas_metrics *out);

/* For ops implementations: the copied spec, the generator, private state. */
const struct anas_search_spec *anas_search_spec_of(const struct anas_search *s);
struct anas_rng *anas_search_rng(struct anas_search *s);
void *anas_search_state(const struct anas_search *s);
void anas_search_set_state(struct anas_search *s, void *state);

/* --- Judging results (shared by all optimizers and the daemon) --- */

/* Do the metrics satisfy every constraint (bounds inclusive)? A constraint
 * on a metric that is absent or NAN is not satisfied. */
int anas_search_feasible(const struct anas_search_spec *spec,
                         const struct anas_metrics *m);

/* Does a constraint name only analytic metrics (checkable before
 * evaluation)? */
int anas_search_metric_is_analytic(const char *metric);

/* Score of the first objective, oriented so that larger is better
 * (-value for "min"); -INFINITY when the metric is absent or NAN. */
double anas_search_score(const struct anas_search_spec *spec,
                         const struct anas_metrics *m);

/* How far the metrics are from satisfying the constraints: 0 when
 * feasible, else the sum over violated constraints of the distance to the
 * bound divided by max(|bound|, 1); INFINITY when a constrained metric is
 * absent or NAN (a failed evaluation). Deb's constraint-domination ranks
 * infeasible results by this. */
double anas_search_violation(const struct anas_search_spec *spec,
                             const struct anas_metrics *m);

/* Do the analytic constraints hold for cfg (computed with the spec's
 * shape and mapping)? 1 when they do or cannot be checked here (no shape,
 * a space without layers), 0 when one fails. */
int anas_search_analytic_ok(const struct anas_search_spec *spec,
                            const struct anas_config *cfg);

/* The objective vector oriented for minimisation (-value for "max"),
 * n_objectives values. ANAS_ENOTFOUND when one is absent or NAN. */
int anas_search_objectives(const struct anas_search_spec *spec,
                           const struct anas_metrics *m, double *out);

/* A result's standing for selection, what every optimizer compares:
 * f = the objective vector (minimised), viol = anas_search_violation
 * (INFINITY for a failed or rejected evaluation). */
struct anas_search_point {
    double f[ANAS_SEARCH_MAX_OBJECTIVES];
    double viol;
};

void anas_search_point_of(const struct anas_search_spec *spec,
                          const struct anas_search_result *r, struct anas_search_point *out);

/* --- Pareto fronts (pareto.c): minimisation throughout --- */

/* Deb's constraint-domination: a feasible point (viol 0) beats an
 * infeasible one; of two infeasible ones the smaller violation wins; of two
 * feasible ones a dominates b when it is no worse in every objective and
 * better in one. */
int anas_pareto_dominates(const struct anas_search_point *a, const struct anas_search_point *b,
                          int d);

/* Fast non-dominated sort (Deb et al. 2002) under constraint-domination:
 * rank[i] = 0 for the first front, 1 for the next... Returns the number of
 * fronts, or ANAS_ENOMEM. */
int anas_pareto_sort(const struct anas_search_point *p, int n, int d, int *rank);

/* Crowding distance of the points idx[0..m) (one front): out[k] belongs to
 * idx[k]; the extremes of each objective get INFINITY; each objective's
 * gaps are divided by its range over the front. */
int anas_pareto_crowding(const struct anas_search_point *p, int d, const int *idx, int m,
                         double *out);

/* Exact hypervolume dominated by the points f (n x d, row-major, minimised)
 * and bounded by ref: the Lebesgue measure of the union of the boxes
 * [f_i, ref]. Points not strictly better than ref in every objective add
 * nothing. d = 1..4. ANAS_EINVAL, ANAS_ENOMEM. */
int anas_pareto_hypervolume(const double *f, int n, int d, const double *ref, double *out);

/* Mean and standard error of the mean (sample std, ddof=1, over sqrt(n)) as
 * AnalogNAS's Worker reports across repetitions, in double precision
 * (AnalogNAS's float32 differs in the 8th digit); *sem is NAN when n < 2,
 * *mean NAN when n < 1. */
void anas_search_mean_sem(const double *x, int n, double *mean, double *sem);

/* --- Early stopping of trainings (prune.c) --- */

/* A pruner watches every training's learning curve, epoch by epoch, and
 * says after an epoch whether to stop it. Values are the objectives that
 * have a learning curve, minimised (-accuracy), d of them; with several
 * objectives "better" is Pareto domination, which for one objective is
 * plain "<", so one rule serves both (Optuna prunes single-objective
 * studies only).
 *
 *   median: Optuna's MedianPruner / PercentilePruner. After epoch e >=
 *     min_epochs, once `startup` evaluations have completed: stop when more
 *     than `percentile` % of the completed evaluations that reached epoch e
 *     dominate this one's best values so far (per objective). percentile 50
 *     is the median rule.
 *   successive-halving: asynchronous successive halving (ASHA; Li et al.
 *     2020, "A system for massively parallel hyperparameter tuning"; Optuna's
 *     SuccessiveHalvingPruner). Rungs at epochs min_epochs * eta^k; at a
 *     rung, among the n evaluations (in any state) that reached it, one
 *     goes on when fewer than max(1, floor(n / eta)) of them dominate its
 *     value there.
 *
 *     struct anas_prune_spec ps;
 *     anas_prune_spec_init(&ps, ANAS_PRUNE_MEDIAN, 1);
 *     struct anas_pruner *p = anas_pruner_new(&ps, &err);
 *     anas_pruner_report(p, rep, seq, epoch, f);   // after each epoch
 *     anas_pruner_decide(p, seq, epoch, &stop);
 *     anas_pruner_finish(p, seq, completed);       // when it ends
 *     anas_pruner_free(p);
 *
 * Evaluations are compared only with those of the same group (a run's
 * repetition). Not thread-safe: callers serialise. */
#define ANAS_PRUNE_MAX_EPOCHS 1000

enum anas_prune_kind {
    ANAS_PRUNE_NONE,
    ANAS_PRUNE_MEDIAN,
    ANAS_PRUNE_HALVING,
};

struct anas_prune_spec {
    enum anas_prune_kind kind;
    int d;             /* values per report, 1..ANAS_SEARCH_MAX_OBJECTIVES */
    int min_epochs;    /* median: first epoch decided; halving: first rung (1) */
    int startup;       /* median: completed evaluations before any stop (5) */
    double percentile; /* median: 0..100 (50) */
    int eta;           /* halving: reduction factor, >= 2 (3) */
};

/* Defaults as Optuna's (n_startup_trials 5, percentile 50, reduction
 * factor 3, min_resource 1). */
void anas_prune_spec_init(struct anas_prune_spec *ps, enum anas_prune_kind kind, int d);

/* "none", "median", "successive-halving"; parse: ANAS_EINVAL if unknown. */
const char *anas_prune_kind_name(enum anas_prune_kind kind);
int anas_prune_kind_parse(const char *name, enum anas_prune_kind *out);

/* Ranges; err->field names the field ("min_epochs", "eta", ...). */
int anas_prune_spec_check(const struct anas_prune_spec *ps, struct anas_error *err);

struct anas_pruner;

struct anas_pruner *anas_pruner_new(const struct anas_prune_spec *ps, struct anas_error *err);
void anas_pruner_free(struct anas_pruner *p);

/* Evaluation id (of group `group`) has values f[0..d) after epoch (1-based;
 * each id reports epochs 1, 2, ... in order: ANAS_EINVAL otherwise, or
 * after it finished). NAN values never dominate nor are dominated. */
int anas_pruner_report(struct anas_pruner *p, int group, long long id, int epoch,
                       const double *f);

/* Should id stop after `epoch`, its latest report? *stop = 1 or 0.
 * ANAS_ENOTFOUND for an id that did not report that epoch. */
int anas_pruner_decide(const struct anas_pruner *p, long long id, int epoch, int *stop);

/* id ended; `completed` 1 when it trained to the end (its curve then joins
 * the median's reference), 0 when pruned or failed (it still counts in the
 * rungs it reached). Unknown ids are ignored. */
int anas_pruner_finish(struct anas_pruner *p, long long id, int completed);

#endif
