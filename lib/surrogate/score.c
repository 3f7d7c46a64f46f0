/*
 * score.c - how well predictions rank and fit measured values: Kendall's
 * tau-b, Spearman's rho, RMSE and MAPE (anas_surrogate_score).
 *
 * Kendall's tau-b is Knight's O(n log n) algorithm (W. R. Knight, "A
 * Computer Method for Calculating Kendall's Tau with Ungrouped Data",
 * JASA 61(314), 1966), with ties handled as scipy.stats.kendalltau does
 * (scipy/stats/_stats_py.py): sort by (pred, y), count the pairs tied in
 * pred and in both, then a merge sort by y counts the discordant pairs as
 * its swaps and leaves the pairs tied in y adjacent. Spearman's rho is
 * Pearson's correlation of the average ranks (scipy.stats.spearmanr).
 *
 * Both need 4n doubles of scratch. The function cannot fail, so when that
 * allocation does it falls back on the pairwise O(n^2) definitions, which
 * need no memory (and which the tests compare with the fast path).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "surrogate/surrogate.h"

struct pair {
    double a, b;
};

/* a before b? by_b: by b alone, else by (a, b). */
static int before(const struct pair *p, const struct pair *q, int by_b)
{
    if (by_b)
        return p->b < q->b;
    return p->a < q->a || (p->a == q->a && p->b < q->b);
}

/* Stable bottom-up merge sort of v[n] (tmp: n more); returns the number of
 * swaps an insertion sort would make, i.e. the inverted pairs. */
static double merge_sort(struct pair *v, struct pair *tmp, int n, int by_b)
{
    double swaps = 0;

    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int i = lo, j = mid, k = lo;

            while (i < mid && j < hi) {
                if (before(&v[j], &v[i], by_b)) {
                    swaps += mid - i; /* v[j] jumps every left element left */
                    tmp[k++] = v[j++];
                } else {
                    tmp[k++] = v[i++];
                }
            }
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, (size_t)n * sizeof(*v));
    }
    return swaps;
}

/* Pairs within runs of equal a (by_b 0), of equal b (1), of equal (a, b) (2)
 * in sorted v. */
static double tied_pairs(const struct pair *v, int n, int what)
{
    double t = 0;
    int run = 1;

    for (int i = 1; i <= n; i++) {
        int same = i < n && (what == 0   ? v[i].a == v[i - 1].a
                             : what == 1 ? v[i].b == v[i - 1].b
                                         : v[i].a == v[i - 1].a && v[i].b == v[i - 1].b);
        if (same) {
            run++;
        } else {
            t += (double)run * (run - 1) / 2;
            run = 1;
        }
    }
    return t;
}

static double tau_ratio(double s, double n0, double n1, double n2)
{
    if (n0 - n1 <= 0 || n0 - n2 <= 0)
        return NAN; /* one side constant: undefined, as scipy says */
    return s / sqrt(n0 - n1) / sqrt(n0 - n2);
}

static double tau_fast(const double *pred, const double *y, int n, struct pair *v,
                       struct pair *tmp)
{
    double n0 = (double)n * (n - 1) / 2, n1, n2, n3, dis;

    for (int i = 0; i < n; i++)
        v[i] = (struct pair){pred[i], y[i]};
    merge_sort(v, tmp, n, 0);
    n1 = tied_pairs(v, n, 0);
    n3 = tied_pairs(v, n, 2);
    dis = merge_sort(v, tmp, n, 1);
    n2 = tied_pairs(v, n, 1);
    return tau_ratio(n0 - n1 - n2 + n3 - 2 * dis, n0, n1, n2);
}

static int sign(double x)
{
    return (x > 0) - (x < 0);
}

static double tau_pairs(const double *pred, const double *y, int n)
{
    double n0 = (double)n * (n - 1) / 2, n1 = 0, n2 = 0, s = 0;

    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            n1 += pred[i] == pred[j];
            n2 += y[i] == y[j];
            s += sign(pred[i] - pred[j]) * sign(y[i] - y[j]);
        }
    }
    return tau_ratio(s, n0, n1, n2);
}

/* Average ranks (1-based) of a[n] into r[n]; v, tmp: n pairs of scratch. */
static void ranks(const double *a, int n, double *r, struct pair *v, struct pair *tmp)
{
    for (int i = 0; i < n; i++)
        v[i] = (struct pair){a[i], (double)i};
    merge_sort(v, tmp, n, 0);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[j + 1].a == v[i].a)
            j++;
        for (int k = i; k <= j; k++)
            r[(int)v[k].b] = (i + j) / 2.0 + 1;
        i = j + 1;
    }
}

/* Rank of a[i] among a[n], found by counting: O(n). */
static double rank_of(const double *a, int n, int i)
{
    double less = 0, equal = 0;

    for (int j = 0; j < n; j++) {
        less += a[j] < a[i];
        equal += a[j] == a[i];
    }
    return less + (equal + 1) / 2;
}

/* Pearson's correlation of ranks whose mean is (n + 1) / 2 (average ranks
 * always sum to n(n + 1) / 2); rp/ry NULL: counted afresh per element. */
static double rho_of(const double *pred, const double *y, int n, const double *rp,
                     const double *ry)
{
    double m = (n + 1) / 2.0, sxy = 0, sxx = 0, syy = 0;

    for (int i = 0; i < n; i++) {
        double u = (rp ? rp[i] : rank_of(pred, n, i)) - m;
        double w = (ry ? ry[i] : rank_of(y, n, i)) - m;
        sxy += u * w;
        sxx += u * u;
        syy += w * w;
    }
    if (sxx <= 0 || syy <= 0)
        return NAN;
    return sxy / sqrt(sxx * syy);
}

static void errors(const double *pred, const double *y, int n,
                   struct anas_surrogate_quality *out)
{
    double se = 0, ape = 0;
    int n_ape = 0;

    for (int i = 0; i < n; i++) {
        double e = pred[i] - y[i];
        se += e * e;
        if (y[i] != 0) {
            ape += fabs(e) / fabs(y[i]);
            n_ape++;
        }
    }
    out->rmse = n > 0 ? sqrt(se / n) : NAN;
    out->mape = n_ape > 0 ? 100 * ape / n_ape : NAN;
}

static int all_finite(const double *a, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(a[i]))
            return 0;
    return 1;
}

/* Undefined statistics are NaN: tau and rho with fewer than two points or
 * either side constant, MAPE when every y is 0, all four when a value is
 * not finite. folds is 0: these are not cross-validated. */
void anas_surrogate_score(const double *pred, const double *y, int n,
                          struct anas_surrogate_quality *out)
{
    struct pair *v;

    memset(out, 0, sizeof(*out));
    out->n = n;
    out->kendall_tau = out->spearman_rho = out->rmse = out->mape = NAN;
    if (n < 1 || !pred || !y || !all_finite(pred, n) || !all_finite(y, n))
        return;
    errors(pred, y, n, out);
    if (n < 2)
        return;
    v = anas_malloc((size_t)n * (2 * sizeof(struct pair) + 2 * sizeof(double)));
    if (!v) {
        out->kendall_tau = tau_pairs(pred, y, n);
        out->spearman_rho = rho_of(pred, y, n, NULL, NULL);
        return;
    }
    struct pair *tmp = v + n;
    double *rp = (double *)(tmp + n), *ry = rp + n;

    out->kendall_tau = tau_fast(pred, y, n, v, tmp);
    ranks(pred, n, rp, v, tmp);
    ranks(y, n, ry, v, tmp);
    out->spearman_rho = rho_of(pred, y, n, rp, ry);
    anas_free(v);
}
