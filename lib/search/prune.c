/*
 * prune.c - early stopping of trainings from their learning curves: the
 * median (percentile) rule and asynchronous successive halving, for one
 * objective or several (search.h says what each decides).
 *
 * The state is every evaluation's curve so far. A decision scans the
 * evaluations of the same group, O(n d) per decision: a search trains
 * hundreds of networks, not millions, and each decision is made once per
 * epoch of a training that takes seconds to hours.
 */
#include "config.h"

#include "search/search.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

enum { RUNNING, COMPLETED, ENDED };

struct curve {
    long long id;
    int group;
    int state;
    int n, cap;  /* epochs reported */
    double *f;   /* n x d */
};

struct anas_pruner {
    struct anas_prune_spec spec;
    struct curve *c;
    int n, cap;
};

static const char *const kind_names[] = {"none", "median", "successive-halving"};

const char *anas_prune_kind_name(enum anas_prune_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "unknown";
}

int anas_prune_kind_parse(const char *name, enum anas_prune_kind *out)
{
    for (unsigned i = 0; name && i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum anas_prune_kind)i;
            return 0;
        }
    return ANAS_EINVAL;
}

void anas_prune_spec_init(struct anas_prune_spec *ps, enum anas_prune_kind kind, int d)
{
    memset(ps, 0, sizeof *ps);
    ps->kind = kind;
    ps->d = d;
    ps->min_epochs = 1;
    ps->startup = 5;
    ps->percentile = 50;
    ps->eta = 3;
}

int anas_prune_spec_check(const struct anas_prune_spec *ps, struct anas_error *err)
{
    if (ps->kind < ANAS_PRUNE_NONE || ps->kind > ANAS_PRUNE_HALVING)
        return anas_error_field(err, ANAS_EINVAL, "kind", "unknown pruner");
    if (ps->d < 1 || ps->d > ANAS_SEARCH_MAX_OBJECTIVES)
        return anas_error_field(err, ANAS_ERANGE, "objectives",
                                "a pruner follows 1..%d objectives", ANAS_SEARCH_MAX_OBJECTIVES);
    if (ps->min_epochs < 1 || ps->min_epochs > ANAS_PRUNE_MAX_EPOCHS)
        return anas_error_field(err, ANAS_ERANGE, "min_epochs", "min_epochs must be 1..%d",
                                ANAS_PRUNE_MAX_EPOCHS);
    if (ps->startup < 0 || ps->startup > 100000)
        return anas_error_field(err, ANAS_ERANGE, "startup", "startup must be 0..100000");
    if (!(ps->percentile >= 0 && ps->percentile <= 100))
        return anas_error_field(err, ANAS_ERANGE, "percentile", "percentile must be 0..100");
    if (ps->eta < 2 || ps->eta > 100)
        return anas_error_field(err, ANAS_ERANGE, "eta", "eta must be 2..100");
    return 0;
}

struct anas_pruner *anas_pruner_new(const struct anas_prune_spec *ps, struct anas_error *err)
{
    struct anas_pruner *p;
    if (anas_prune_spec_check(ps, err) < 0)
        return NULL;
    p = anas_calloc(1, sizeof *p);
    if (!p) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    p->spec = *ps;
    return p;
}

void anas_pruner_free(struct anas_pruner *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        anas_free(p->c[i].f);
    anas_free(p->c);
    anas_free(p);
}

static struct curve *find(const struct anas_pruner *p, long long id)
{
    for (int i = p->n - 1; i >= 0; i--) /* the newest are asked about most */
        if (p->c[i].id == id)
            return &p->c[i];
    return NULL;
}

static struct curve *add(struct anas_pruner *p, int group, long long id)
{
    struct curve *c;
    if (p->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 64;
        struct curve *nc = anas_realloc(p->c, (size_t)cap * sizeof *nc);
        if (!nc)
            return NULL;
        p->c = nc;
        p->cap = cap;
    }
    c = &p->c[p->n];
    memset(c, 0, sizeof *c);
    c->id = id;
    c->group = group;
    p->n++;
    return c;
}

int anas_pruner_report(struct anas_pruner *p, int group, long long id, int epoch,
                       const double *f)
{
    int d = p->spec.d;
    struct curve *c = find(p, id);
    if (!c && epoch == 1 && !(c = add(p, group, id)))
        return ANAS_ENOMEM;
    if (!c || c->state != RUNNING || epoch != c->n + 1 || c->group != group)
        return ANAS_EINVAL;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 8;
        double *nf = anas_realloc(c->f, (size_t)cap * (size_t)d * sizeof *nf);
        if (!nf)
            return ANAS_ENOMEM;
        c->f = nf;
        c->cap = cap;
    }
    memcpy(&c->f[(size_t)c->n * (size_t)d], f, (size_t)d * sizeof *f);
    c->n++;
    return 0;
}

int anas_pruner_finish(struct anas_pruner *p, long long id, int completed)
{
    struct curve *c = find(p, id);
    if (!c || c->state != RUNNING)
        return 0;
    c->state = completed ? COMPLETED : ENDED;
    return 0;
}

/* a dominates b (minimised): no worse everywhere, better somewhere; a NAN
 * on either side makes them incomparable. */
static int dominates(const double *a, const double *b, int d)
{
    int better = 0;
    for (int k = 0; k < d; k++) {
        if (isnan(a[k]) || isnan(b[k]) || a[k] > b[k])
            return 0;
        better |= a[k] < b[k];
    }
    return better;
}

static const double *at(const struct curve *c, int epoch, int d)
{
    return &c->f[(size_t)(epoch - 1) * (size_t)d];
}

/* The best value of each objective up to epoch (NAN when it never had
 * one). */
static void best_until(const struct curve *c, int epoch, int d, double *best)
{
    for (int k = 0; k < d; k++) {
        best[k] = NAN;
        for (int e = 1; e <= epoch; e++) {
            double v = at(c, e, d)[k];
            if (isnan(best[k]) || v < best[k])
                best[k] = isnan(v) ? best[k] : v;
        }
    }
}

static int median_stop(const struct anas_pruner *p, const struct curve *me, int epoch)
{
    double best[ANAS_SEARCH_MAX_OBJECTIVES];
    int d = p->spec.d, completed = 0, n_ref = 0, n_dom = 0;
    if (epoch < p->spec.min_epochs)
        return 0;
    best_until(me, epoch, d, best);
    for (int i = 0; i < p->n; i++) {
        const struct curve *o = &p->c[i];
        if (o->state != COMPLETED || o->group != me->group)
            continue;
        completed++;
        if (o->n < epoch)
            continue;
        n_ref++;
        n_dom += dominates(at(o, epoch, d), best, d);
    }
    if (completed < p->spec.startup)
        return 0;
    /* n_dom / n_ref > percentile / 100, without dividing. */
    return n_ref > 0 && 100.0 * n_dom > p->spec.percentile * n_ref;
}

/* Is epoch a rung: min_epochs * eta^k? */
static int is_rung(const struct anas_prune_spec *ps, int epoch)
{
    long long r = ps->min_epochs;
    while (r < epoch)
        r *= ps->eta;
    return r == epoch;
}

static int halving_stop(const struct anas_pruner *p, const struct curve *me, int epoch)
{
    int d = p->spec.d, n = 0, n_dom = 0, keep;
    const double *mine = at(me, epoch, d);
    if (!is_rung(&p->spec, epoch))
        return 0;
    for (int i = 0; i < p->n; i++) {
        const struct curve *o = &p->c[i];
        if (o->group != me->group || o->n < epoch)
            continue;
        n++;
        n_dom += o != me && dominates(at(o, epoch, d), mine, d);
    }
    keep = n / p->spec.eta > 1 ? n / p->spec.eta : 1;
    return n_dom >= keep;
}

int anas_pruner_decide(const struct anas_pruner *p, long long id, int epoch, int *stop)
{
    const struct curve *c = find(p, id);
    *stop = 0;
    if (!c || epoch < 1 || epoch > c->n)
        return ANAS_ENOTFOUND;
    if (p->spec.kind == ANAS_PRUNE_MEDIAN)
        *stop = median_stop(p, c, epoch);
    else if (p->spec.kind == ANAS_PRUNE_HALVING)
        *stop = halving_stop(p, c, epoch);
    return 0;
}
