/*
 * pareto.c - Pareto fronts for multi-objective search: constraint-domination,
 * the fast non-dominated sort and crowding distance of NSGA-II (Deb, Pratap,
 * Agarwal and Meyarivan 2002, "A fast and elitist multiobjective genetic
 * algorithm: NSGA-II", IEEE TEC 6(2)), and the exact hypervolume used to
 * compare searches.
 *
 * Everything is minimised. The sort keeps O(n) memory instead of Deb's
 * lists of dominated points: each front is peeled by comparing its members
 * with the points not yet ranked, which is still O(M n^2) comparisons.
 *
 * Hypervolume: d = 2 is the staircase sweep, O(n log n). d = 3 sweeps the
 * last objective upwards, keeping the 2-D staircase of the points below the
 * sweep and its area up to date as each point is inserted (the idea of
 * Beume, Fonseca, Lopez-Ibanez, Paquete and Vahrenhold 2009, "On the
 * complexity of computing the hypervolume indicator", with a sorted array
 * in place of their balanced tree). d = 4 slices along the last objective
 * as in While, Hingston, Barone and Huband 2006 (HSO, "A faster algorithm
 * for calculating hypervolume") and measures each slice with the 3-D sweep.
 * Dominated points and duplicates fall out of the staircase on their own,
 * so they are never counted twice.
 */
#include "config.h"

#include "search/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* --- Domination and sorting --- */

static int feasible(double viol)
{
    return viol == 0.0;
}

int anas_pareto_dominates(const struct anas_search_point *a, const struct anas_search_point *b,
                          int d)
{
    int better = 0;

    if (feasible(a->viol) != feasible(b->viol))
        return feasible(a->viol);
    if (!feasible(a->viol))
        return a->viol < b->viol;
    for (int k = 0; k < d; k++) {
        if (a->f[k] > b->f[k])
            return 0;
        if (a->f[k] < b->f[k])
            better = 1;
    }
    return better;
}

int anas_pareto_sort(const struct anas_search_point *p, int n, int d, int *rank)
{
    int *count, *front, n_front = 0, n_ranked = 0, fronts = 0;

    if (n < 0 || d < 1 || d > ANAS_SEARCH_MAX_OBJECTIVES || (n > 0 && (!p || !rank)))
        return ANAS_EINVAL;
    if (n == 0)
        return 0;
    count = anas_calloc((size_t)n, sizeof(*count));
    front = anas_malloc((size_t)n * sizeof(*front));
    if (!count || !front) {
        anas_free(count);
        anas_free(front);
        return ANAS_ENOMEM;
    }
    /* count[i]: how many points dominate i. */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (anas_pareto_dominates(&p[i], &p[j], d))
                count[j]++;
            else if (anas_pareto_dominates(&p[j], &p[i], d))
                count[i]++;
        }
    for (int i = 0; i < n; i++) {
        rank[i] = -1;
        if (count[i] == 0)
            front[n_front++] = i;
    }
    /* front[] holds the current front, then the next one after it: a point
     * joins the next front when its last dominator is peeled. */
    while (n_front > 0) {
        int start = n_ranked, end = n_ranked + n_front;

        for (int k = start; k < end; k++)
            rank[front[k]] = fronts;
        n_ranked = end;
        n_front = 0;
        for (int k = start; k < end; k++)
            for (int q = 0; q < n; q++)
                if (rank[q] < 0 && anas_pareto_dominates(&p[front[k]], &p[q], d) &&
                    --count[q] == 0)
                    front[end + n_front++] = q;
        fronts++;
    }
    anas_free(count);
    anas_free(front);
    return fronts;
}

/* --- Crowding distance --- */

struct crowd_key {
    double v;
    int k; /* position in idx[] */
};

static int cmp_crowd(const void *a, const void *b)
{
    const struct crowd_key *x = a, *y = b;

    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

/* Deb's crowding distance without dividing by the number of objectives.
 * An objective in which every point of the front ties (or whose range is
 * not finite: failed evaluations) says nothing about spacing, so it adds
 * nothing, not even INFINITY to its "extremes" (pymoo's
 * calc_crowding_distance does the same). A front of one point is its own
 * extreme: INFINITY. */
int anas_pareto_crowding(const struct anas_search_point *p, int d, const int *idx, int m,
                         double *out)
{
    struct crowd_key *key;

    if (m < 0 || d < 1 || d > ANAS_SEARCH_MAX_OBJECTIVES || (m > 0 && (!p || !idx || !out)))
        return ANAS_EINVAL;
    if (m == 1)
        out[0] = INFINITY;
    if (m <= 1)
        return 0;
    key = anas_malloc((size_t)m * sizeof(*key));
    if (!key)
        return ANAS_ENOMEM;
    for (int k = 0; k < m; k++)
        out[k] = 0.0;
    for (int j = 0; j < d; j++) {
        double range;

        for (int k = 0; k < m; k++) {
            key[k].v = p[idx[k]].f[j];
            key[k].k = k;
        }
        qsort(key, (size_t)m, sizeof(*key), cmp_crowd);
        range = key[m - 1].v - key[0].v;
        if (!(range > 0.0) || !isfinite(range))
            continue;
        out[key[0].k] = INFINITY;
        out[key[m - 1].k] = INFINITY;
        for (int k = 1; k < m - 1; k++)
            out[key[k].k] += (key[k + 1].v - key[k - 1].v) / range;
    }
    anas_free(key);
    return 0;
}

/* --- Hypervolume --- */

struct row {
    double c[ANAS_SEARCH_MAX_OBJECTIVES];
};

/* Order by one coordinate, ties broken by the others: equal rows are then
 * identical, so the result does not depend on the input's order even in
 * the last bit. */
static int cmp_rows(const struct row *a, const struct row *b, int key)
{
    if (a->c[key] != b->c[key])
        return a->c[key] < b->c[key] ? -1 : 1;
    for (int j = 0; j < ANAS_SEARCH_MAX_OBJECTIVES; j++)
        if (a->c[j] != b->c[j])
            return a->c[j] < b->c[j] ? -1 : 1;
    return 0;
}

static int cmp_by0(const void *a, const void *b)
{
    return cmp_rows(a, b, 0);
}

static int cmp_by2(const void *a, const void *b)
{
    return cmp_rows(a, b, 2);
}

static int cmp_by3(const void *a, const void *b)
{
    return cmp_rows(a, b, 3);
}

/* d = 2: rows sorted by c[0]; each point that reaches below the lowest
 * level so far adds the horizontal slab between the two levels, as wide
 * as from its own c[0] to the reference. */
static double hv2(const struct row *r, int n, const double *ref)
{
    double level = ref[1], v = 0.0;

    for (int i = 0; i < n; i++)
        if (r[i].c[1] < level) {
            v += (ref[0] - r[i].c[0]) * (level - r[i].c[1]);
            level = r[i].c[1];
        }
    return v;
}

/* The 2-D staircase of the points inserted so far: x strictly increasing,
 * y strictly decreasing (mutually non-dominated), and the area it
 * dominates up to the reference. */
struct stair {
    double *x, *y;
    int n;
    double area;
    double rx, ry;
};

/* First index whose x is >= x. */
static int stair_find(const struct stair *s, double x)
{
    int lo = 0, hi = s->n;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->x[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Insert (x, y): nothing when the staircase dominates it (or holds it);
 * otherwise it adds the strip between y and the staircase's level over
 * each x-interval it covers, and replaces the points it dominates. */
static void stair_insert(struct stair *s, double x, double y)
{
    int i = stair_find(s, x), j;
    double top, cx = x, add = 0.0;

    if ((i > 0 && s->y[i - 1] <= y) || (i < s->n && s->x[i] == x && s->y[i] <= y))
        return;
    top = i > 0 ? s->y[i - 1] : s->ry;
    for (j = i; j < s->n && s->y[j] >= y; j++) {
        add += (s->x[j] - cx) * (top - y);
        cx = s->x[j];
        top = s->y[j];
    }
    add += ((j < s->n ? s->x[j] : s->rx) - cx) * (top - y);
    s->area += add;
    /* Points i..j-1 are dominated by (x, y): one slot replaces them. */
    memmove(s->x + i + 1, s->x + j, (size_t)(s->n - j) * sizeof(double));
    memmove(s->y + i + 1, s->y + j, (size_t)(s->n - j) * sizeof(double));
    s->x[i] = x;
    s->y[i] = y;
    s->n += 1 - (j - i);
}

/* d = 3: rows sorted by c[2]; between consecutive c[2] values the cross
 * section is the staircase of the points below. x and y have room for n. */
static double hv3(const struct row *r, int n, const double *ref, double *x, double *y)
{
    struct stair s = {x, y, 0, 0.0, ref[0], ref[1]};
    double v = 0.0;

    for (int i = 0; i < n; i++) {
        double next = i + 1 < n ? r[i + 1].c[2] : ref[2];

        stair_insert(&s, r[i].c[0], r[i].c[1]);
        v += s.area * (next - r[i].c[2]);
    }
    return v;
}

/* d = 4: rows sorted by c[3]; the slice between consecutive c[3] values is
 * the 3-D volume of the points below, kept sorted by c[2] in `by2` as they
 * arrive so that each slice needs no sort. */
static double hv4(const struct row *r, int n, const double *ref, struct row *by2, double *x,
                  double *y)
{
    double v = 0.0;

    for (int i = 0; i < n; i++) {
        double next = i + 1 < n ? r[i + 1].c[3] : ref[3];
        int k = i;

        while (k > 0 && cmp_by2(&by2[k - 1], &r[i]) > 0) {
            by2[k] = by2[k - 1];
            k--;
        }
        by2[k] = r[i];
        if (next > r[i].c[3])
            v += hv3(by2, i + 1, ref, x, y) * (next - r[i].c[3]);
    }
    return v;
}

/* The points strictly better than ref in every coordinate (a NAN
 * coordinate is not). */
static int gather(const double *f, int n, int d, const double *ref, struct row *r)
{
    int m = 0;

    for (int i = 0; i < n; i++) {
        int in = 1;

        for (int j = 0; j < d; j++)
            in = in && f[(size_t)i * (size_t)d + (size_t)j] < ref[j];
        if (!in)
            continue;
        memset(&r[m], 0, sizeof(r[m]));
        for (int j = 0; j < d; j++)
            r[m].c[j] = f[(size_t)i * (size_t)d + (size_t)j];
        m++;
    }
    return m;
}

static double hv1(const struct row *r, int n, const double *ref)
{
    double best = ref[0];

    for (int i = 0; i < n; i++)
        if (r[i].c[0] < best)
            best = r[i].c[0];
    return ref[0] - best;
}

int anas_pareto_hypervolume(const double *f, int n, int d, const double *ref, double *out)
{
    struct row *r, *by2 = NULL;
    double *x = NULL, *y = NULL;
    int m, rc = 0;

    if (!out || !ref || n < 0 || (n > 0 && !f) || d < 1 || d > ANAS_SEARCH_MAX_OBJECTIVES)
        return ANAS_EINVAL;
    *out = 0.0;
    if (n == 0)
        return 0;
    r = anas_malloc((size_t)n * sizeof(*r));
    if (!r)
        return ANAS_ENOMEM;
    m = gather(f, n, d, ref, r);
    if (m > 0 && d >= 3) {
        x = anas_malloc((size_t)m * sizeof(*x));
        y = anas_malloc((size_t)m * sizeof(*y));
        if (d == 4)
            by2 = anas_malloc((size_t)m * sizeof(*by2));
        if (!x || !y || (d == 4 && !by2))
            rc = ANAS_ENOMEM;
    }
    if (rc == 0 && m > 0) {
        if (d == 1) {
            *out = hv1(r, m, ref);
        } else if (d == 2) {
            qsort(r, (size_t)m, sizeof(*r), cmp_by0);
            *out = hv2(r, m, ref);
        } else if (d == 3) {
            qsort(r, (size_t)m, sizeof(*r), cmp_by2);
            *out = hv3(r, m, ref, x, y);
        } else {
            qsort(r, (size_t)m, sizeof(*r), cmp_by3);
            *out = hv4(r, m, ref, by2, x, y);
        }
    }
    anas_free(by2);
    anas_free(x);
    anas_free(y);
    anas_free(r);
    return rc;
}
