/*
 * pareto_tmp.c - TEMPORARY stand-in for lib/search/pareto.c (written in
 * parallel on another branch) so that this branch links: simple O(n^2)
 * versions of the three Pareto functions the evolutionary optimizers
 * call. Delete this file and its line in lib/local.mk when pareto.c lands.
 */
#include "config.h"

#include "search/search.h"

#include <math.h>

#include "core/alloc.h"

int anas_pareto_dominates(const struct anas_search_point *a, const struct anas_search_point *b,
                          int d)
{
    int better = 0;

    if (a->viol != b->viol)
        return a->viol < b->viol;
    if (a->viol > 0)
        return 0;
    for (int k = 0; k < d; k++) {
        if (a->f[k] > b->f[k])
            return 0;
        better |= a->f[k] < b->f[k];
    }
    return better;
}

int anas_pareto_sort(const struct anas_search_point *p, int n, int d, int *rank)
{
    int left = n, front = 0;

    for (int i = 0; i < n; i++)
        rank[i] = -1;
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            int dominated = 0;
            if (rank[i] != -1)
                continue;
            for (int j = 0; j < n && !dominated; j++)
                dominated = j != i && (rank[j] == -1 || rank[j] == front) &&
                            anas_pareto_dominates(&p[j], &p[i], d);
            if (!dominated)
                rank[i] = front;
        }
        for (int i = 0; i < n; i++)
            left -= rank[i] == front;
        front++;
    }
    return front;
}

int anas_pareto_crowding(const struct anas_search_point *p, int d, const int *idx, int m,
                         double *out)
{
    for (int k = 0; k < m; k++)
        out[k] = 0;
    for (int o = 0; o < d; o++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k < m; k++) {
            lo = fmin(lo, p[idx[k]].f[o]);
            hi = fmax(hi, p[idx[k]].f[o]);
        }
        for (int k = 0; k < m; k++) {
            double v = p[idx[k]].f[o], below = -INFINITY, above = INFINITY;
            for (int j = 0; j < m; j++) {
                double w = p[idx[j]].f[o];
                if (j == k)
                    continue;
                if (w <= v && (w > below || (w == v && j < k)))
                    below = w;
                if (w >= v && (w < above || (w == v && j > k)))
                    above = w;
            }
            if (isinf(below) || isinf(above))
                out[k] = INFINITY;
            else if (hi > lo)
                out[k] += (above - below) / (hi - lo);
        }
    }
    return 0;
}
