/*
 * pareto.c - TEMPORARY stand-in for the Pareto functions of search.h, so
 * that nsga2.c can be built and tested before the real file lands; the
 * real one replaces this file whole.
 *
 * Constraint-domination and the fast non-dominated sort follow Deb et al.
 * 2002 ("A fast and elitist multiobjective genetic algorithm: NSGA-II"),
 * recomputing dominance instead of storing the dominated sets; crowding as
 * in the same paper; hypervolume only for d = 1 and 2 (a sweep).
 */
#include "config.h"

#include "search/search.h"

#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"

int anas_pareto_dominates(const struct anas_search_point *a, const struct anas_search_point *b,
                          int d)
{
    int better = 0;

    if (a->viol > 0 || b->viol > 0) {
        if (a->viol > 0 && !(b->viol > 0))
            return 0;
        return !(a->viol > 0) || a->viol < b->viol;
    }
    for (int i = 0; i < d; i++) {
        if (a->f[i] > b->f[i])
            return 0;
        if (a->f[i] < b->f[i])
            better = 1;
    }
    return better;
}

int anas_pareto_sort(const struct anas_search_point *p, int n, int d, int *rank)
{
    int *count, *front, *next, n_front = 0, n_fronts = 0;

    if (n <= 0)
        return 0;
    count = anas_calloc((size_t)n, sizeof(*count));
    front = anas_malloc((size_t)n * sizeof(*front));
    next = anas_malloc((size_t)n * sizeof(*next));
    if (!count || !front || !next) {
        anas_free(count);
        anas_free(front);
        anas_free(next);
        return ANAS_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            count[i] += j != i && anas_pareto_dominates(&p[j], &p[i], d);
        if (count[i] == 0) {
            rank[i] = 0;
            front[n_front++] = i;
        }
    }
    while (n_front > 0) {
        int n_next = 0;
        n_fronts++;
        for (int k = 0; k < n_front; k++)
            for (int j = 0; j < n; j++)
                if (j != front[k] && anas_pareto_dominates(&p[front[k]], &p[j], d) &&
                    --count[j] == 0) {
                    rank[j] = n_fronts;
                    next[n_next++] = j;
                }
        for (int k = 0; k < n_next; k++)
            front[k] = next[k];
        n_front = n_next;
    }
    anas_free(count);
    anas_free(front);
    anas_free(next);
    return n_fronts;
}

struct keyed {
    double key;
    int pos;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos - y->pos;
}

int anas_pareto_crowding(const struct anas_search_point *p, int d, const int *idx, int m,
                         double *out)
{
    struct keyed *k;

    if (m <= 0)
        return 0;
    k = anas_malloc((size_t)m * sizeof(*k));
    if (!k)
        return ANAS_ENOMEM;
    for (int i = 0; i < m; i++)
        out[i] = 0.0;
    for (int obj = 0; obj < d; obj++) {
        double range;
        for (int i = 0; i < m; i++) {
            k[i].key = p[idx[i]].f[obj];
            k[i].pos = i;
        }
        qsort(k, (size_t)m, sizeof(*k), by_key);
        out[k[0].pos] = INFINITY;
        out[k[m - 1].pos] = INFINITY;
        range = k[m - 1].key - k[0].key;
        if (!(range > 0) || !isfinite(range))
            continue;
        for (int i = 1; i + 1 < m; i++)
            out[k[i].pos] += (k[i + 1].key - k[i - 1].key) / range;
    }
    anas_free(k);
    return 0;
}

int anas_pareto_hypervolume(const double *f, int n, int d, const double *ref, double *out)
{
    struct keyed *k;
    double best, area = 0.0;
    int m = 0;

    if (!f || !ref || !out || n < 0 || d < 1 || d > ANAS_SEARCH_MAX_OBJECTIVES)
        return ANAS_EINVAL;
    if (d > 2)
        return ANAS_EUNSUPPORTED;
    if (d == 1) {
        for (int i = 0; i < n; i++)
            if (f[i] < ref[0] && ref[0] - f[i] > area)
                area = ref[0] - f[i];
        *out = area;
        return 0;
    }
    k = anas_malloc((size_t)(n > 0 ? n : 1) * sizeof(*k));
    if (!k)
        return ANAS_ENOMEM;
    for (int i = 0; i < n; i++)
        if (f[2 * i] < ref[0] && f[2 * i + 1] < ref[1]) {
            k[m].key = f[2 * i];
            k[m++].pos = i;
        }
    qsort(k, (size_t)m, sizeof(*k), by_key);
    /* Left to right, each point adds the strip below the lowest so far. */
    best = ref[1];
    for (int i = 0; i < m; i++) {
        double y = f[2 * k[i].pos + 1];
        if (y < best) {
            area += (ref[0] - k[i].key) * (best - y);
            best = y;
        }
    }
    anas_free(k);
    *out = area;
    return 0;
}
