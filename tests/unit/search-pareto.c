/*
 * search-pareto.c - Pareto machinery: constraint-domination, the fast
 * non-dominated sort and crowding distance on hand-worked fronts
 * (infeasible points ranked by violation, duplicates sharing a rank), the
 * exact hypervolume against values worked out by hand as unions of boxes
 * for 1 to 4 objectives, its invariances (dominated points, duplicates,
 * points outside the reference, order), and a randomized cross-check
 * against inclusion-exclusion, which is exact for small sets.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "search/search.h"
#include "tap.h"

static struct anas_search_point pt(double f0, double f1, double viol)
{
    struct anas_search_point p;

    memset(&p, 0, sizeof p);
    p.f[0] = f0;
    p.f[1] = f1;
    p.viol = viol;
    return p;
}

static void test_dominates(void)
{
    struct anas_search_point a = pt(1, 5, 0), b = pt(1, 6, 0), c = pt(2, 4, 0);
    struct anas_search_point bad = pt(0, 0, 0.2), worse = pt(-5, -5, 0.5);
    struct anas_search_point failed = pt(INFINITY, INFINITY, INFINITY);

    ok(anas_pareto_dominates(&a, &b, 2), "(1,5) dominates (1,6): equal in one, better in one");
    ok(!anas_pareto_dominates(&b, &a, 2), "(1,6) does not dominate (1,5)");
    ok(!anas_pareto_dominates(&a, &a, 2), "a point does not dominate itself");
    ok(!anas_pareto_dominates(&a, &c, 2) && !anas_pareto_dominates(&c, &a, 2),
       "(1,5) and (2,4) are mutually non-dominated");
    ok(anas_pareto_dominates(&a, &c, 1), "with d = 1 only the first objective counts");
    ok(anas_pareto_dominates(&b, &bad, 2) && !anas_pareto_dominates(&bad, &b, 2),
       "a feasible point beats an infeasible one whatever the objectives");
    ok(anas_pareto_dominates(&bad, &worse, 2) && !anas_pareto_dominates(&worse, &bad, 2),
       "of two infeasible points the smaller violation wins");
    ok(!anas_pareto_dominates(&bad, &(struct anas_search_point){{9, 9}, 0.2}, 2),
       "equal violations: neither wins");
    ok(anas_pareto_dominates(&worse, &failed, 2) && !anas_pareto_dominates(&failed, &failed, 2),
       "a failed evaluation (violation INFINITY) loses to any finite violation");
}

static void test_sort(void)
{
    /* Feasible: A B C F (F = B) are the first front; D = (3,4) is dominated
     * only by B (and F); E = (5,5) by A, B, D, F, so it comes after D.
     * Infeasible: H (0.2) and I (0.2, far worse objectives) tie, G (0.5)
     * after them, the failed J last. */
    struct anas_search_point p[] = {
        pt(1, 5, 0),  /* A 0 */
        pt(2, 3, 0),  /* B 1 */
        pt(4, 1, 0),  /* C 2 */
        pt(3, 4, 0),  /* D 3 */
        pt(5, 5, 0),  /* E 4 */
        pt(2, 3, 0),  /* F 5 */
        pt(0, 0, 0.5),  /* G 6 */
        pt(0, 0, 0.2),  /* H 7 */
        pt(10, 10, 0.2), /* I 8 */
        pt(INFINITY, INFINITY, INFINITY), /* J 9 */
    };
    const int want[] = {0, 0, 0, 1, 2, 0, 4, 3, 3, 5};
    int rank[10], same = 1;

    is_int(anas_pareto_sort(p, 10, 2, rank), 6, "six fronts");
    for (int i = 0; i < 10; i++)
        same = same && rank[i] == want[i];
    ok(same, "ranks 0 0 0 1 2 0 4 3 3 5");
    if (!same)
        for (int i = 0; i < 10; i++)
            printf("#   rank[%d] = %d, want %d\n", i, rank[i], want[i]);
    is_int(anas_pareto_sort(p, 0, 2, rank), 0, "no points: no fronts");
    is_int(anas_pareto_sort(p, 5, 1, rank), 5, "d = 1 on A..E: five fronts {A} {B} {D} {C} {E}");
    ok(rank[0] == 0 && rank[1] == 1 && rank[2] == 3 && rank[3] == 2 && rank[4] == 4,
       "d = 1 ranks by the first objective alone: 0 1 3 2 4");
    is_int(anas_pareto_sort(p, 10, 0, rank), ANAS_EINVAL, "d = 0: ANAS_EINVAL");
    is_int(anas_pareto_sort(p, 10, 5, rank), ANAS_EINVAL, "d = 5: ANAS_EINVAL");
    anas_alloc_fail_after(0);
    is_int(anas_pareto_sort(p, 10, 2, rank), ANAS_ENOMEM, "no memory: ANAS_ENOMEM");
    anas_alloc_fail_after(1);
    is_int(anas_pareto_sort(p, 10, 2, rank), ANAS_ENOMEM, "second allocation fails too");
    anas_alloc_fail_after(-1);
}

/* Grid coordinates make ties and duplicates likely; a third of the points
 * are infeasible, some with equal violations. */
static void random_points(struct anas_rng *rng, struct anas_search_point *p, int n, int d)
{
    for (int i = 0; i < n; i++) {
        memset(&p[i], 0, sizeof p[i]);
        for (int j = 0; j < d; j++)
            p[i].f[j] = (double)anas_rng_int(rng, 0, 5);
        p[i].viol = anas_rng_int(rng, 0, 3) == 0 ? 0.5 * (double)anas_rng_int(rng, 1, 4) : 0;
    }
}

/* What a non-dominated sort must satisfy: j dominates i => rank[j] <
 * rank[i], and every point past the first front has a dominator exactly
 * one front before it. */
static int sort_is_valid(const struct anas_search_point *p, int n, int d, const int *rank,
                         int fronts)
{
    for (int i = 0; i < n; i++) {
        int parent = rank[i] == 0;

        if (rank[i] < 0 || rank[i] >= fronts)
            return 0;
        for (int j = 0; j < n; j++) {
            if (!anas_pareto_dominates(&p[j], &p[i], d))
                continue;
            if (rank[j] >= rank[i])
                return 0;
            parent |= rank[j] == rank[i] - 1;
        }
        if (!parent)
            return 0;
    }
    return 1;
}

static void test_sort_random(void)
{
    struct anas_search_point p[60];
    int rank[60], good = 1;
    struct anas_rng rng;

    anas_rng_seed(&rng, 7);
    for (int t = 0; t < 200 && good; t++) {
        int d = 1 + t % 4, n = (int)anas_rng_int(&rng, 1, 61);
        int fronts;

        random_points(&rng, p, n, d);
        fronts = anas_pareto_sort(p, n, d, rank);
        good = fronts > 0 && sort_is_valid(p, n, d, rank, fronts);
    }
    ok(good, "200 random sets (d = 1..4, ties, infeasible): every domination goes to an "
             "earlier front, every later point has a dominator one front before");
}

static int near_all(const double *got, const double *want, int n)
{
    for (int i = 0; i < n; i++)
        if (!(got[i] == want[i] || fabs(got[i] - want[i]) < 1e-12))
            return 0;
    return 1;
}

static void test_crowding(void)
{
    /* P0..P3 = (0,4) (1,2) (3,1) (4,0), both ranges 4. Objective 0 (order
     * P0 P1 P2 P3): P1 gets (3-0)/4, P2 (4-1)/4. Objective 1 (order P3 P2
     * P1 P0): P2 gets (2-0)/4, P1 (4-1)/4. So P1 = 1.5, P2 = 1.25, the ends
     * INFINITY. idx lists them as P2 P0 P3 P1. */
    struct anas_search_point p[] = {pt(0, 4, 0), pt(1, 2, 0), pt(3, 1, 0), pt(4, 0, 0)};
    const int idx[] = {2, 0, 3, 1};
    const double want[] = {1.25, INFINITY, INFINITY, 1.5};
    /* Objective 1 all 5 (range 0): only objective 0 speaks, (4-1)/3 = 1. */
    struct anas_search_point flat[] = {pt(1, 5, 0), pt(2, 5, 0), pt(4, 5, 0)};
    const int idx3[] = {0, 1, 2};
    const double want_flat[] = {INFINITY, 1, INFINITY};
    /* Duplicates (1,1) at k = 1, 2: each gets 1/2 per objective. */
    struct anas_search_point dup[] = {pt(0, 2, 0), pt(1, 1, 0), pt(1, 1, 0), pt(2, 0, 0)};
    const int idx4[] = {0, 1, 2, 3};
    const double want_dup[] = {INFINITY, 1, 1, INFINITY};
    double out[4];

    is_int(anas_pareto_crowding(p, 2, idx, 4, out), 0, "crowding of a 4-point front");
    ok(near_all(out, want, 4), "crowding: 1.25 inf inf 1.5 (out[k] belongs to idx[k])");
        anas_pareto_crowding(flat, 2, idx3, 3, out);
    ok(near_all(out, want_flat, 3), "an objective with zero range adds nothing: inf 1 inf");
    anas_pareto_crowding(dup, 2, idx4, 4, out);
    ok(near_all(out, want_dup, 4), "duplicates: inf 1 1 inf");
    anas_pareto_crowding(p, 2, idx, 1, out);
    ok(isinf(out[0]), "a front of one point: INFINITY");
    anas_pareto_crowding(p, 2, idx, 2, out);
    ok(isinf(out[0]) && isinf(out[1]), "a front of two points: both INFINITY");
    is_int(anas_pareto_crowding(p, 2, idx, 0, out), 0, "an empty front is fine");
    is_int(anas_pareto_crowding(p, 0, idx, 4, out), ANAS_EINVAL, "d = 0: ANAS_EINVAL");
    anas_alloc_fail_after(0);
    is_int(anas_pareto_crowding(p, 2, idx, 4, out), ANAS_ENOMEM, "no memory: ANAS_ENOMEM");
    anas_alloc_fail_after(-1);
}

static double hv(const double *f, int n, int d, const double *ref)
{
    double v = NAN;
    int rc = anas_pareto_hypervolume(f, n, d, ref, &v);

    return rc < 0 ? (double)rc : v;
}

static void test_hv_hand(void)
{
    /* d = 1: the best point 1, ref 5: 4. */
    const double f1[] = {3, 1, 2, 7}, r1[] = {5};
    /* d = 2, ref (4,4): boxes [1,4]x[3,4] = 3, [2,4]x[2,4] = 4, [3,4]x[1,4]
     * = 3; pairwise overlaps 2, 1, 2; the triple 1: 10 - 5 + 1 = 6. */
    const double f2[] = {1, 3, 2, 2, 3, 1}, r2[] = {4, 4};
    /* The same plus a dominated (3,3), a duplicate (2,2), (0,5) beyond the
     * reference in y and (4,0) on its boundary in x: still 6. */
    const double f2x[] = {3, 3, 1, 3, 2, 2, 0, 5, 2, 2, 4, 0, 3, 1};
    /* d = 3, ref (2,2,2): three boxes of 2 each ([0,2]x[1,2]x[1,2]...),
     * every pair and the triple meet in [1,2]^3 = 1: 6 - 3 + 1 = 4. */
    const double f3[] = {0, 1, 1, 1, 0, 1, 1, 1, 0}, r3[] = {2, 2, 2};
    /* Adding (0,0,1), box [0,2]^2x[1,2] = 4 covering the first two: the
     * union is 4 + 2 ((1,1,0)'s box) - 1 (their overlap [1,2]^3) = 5. */
    const double f3b[] = {0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1};
    /* d = 4, ref (1,1,1,1): p1 = (0,0,0,.5) box .5, p2 = (.5,0,0,0) box .5,
     * p3 = (0,.5,.5,0) box .25; p1p2 = [.5,1]x[0,1]^2x[.5,1] = .25, p1p3 =
     * [0,1]x[.5,1]^3 = .125, p2p3 = [.5,1]^3x[0,1] = .125, p1p2p3 =
     * [.5,1]^4 = .0625: 1.25 - .5 + .0625 = .8125; p1 and p2 alone: .75. */
    const double f4[] = {0, 0, 0, .5, .5, 0, 0, 0, 0, .5, .5, 0}, r4[] = {1, 1, 1, 1};
    /* d = 4 with one slice: the 3-D set above at w = 0, ref w = 3: 4 * 3. */
    const double f4s[] = {0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0}, r4s[] = {2, 2, 2, 3};

    is_near(hv(f1, 4, 1, r1), 4, 0, "d = 1: ref - best = 4");
    is_near(hv(f2, 3, 2, r2), 6, 1e-12, "d = 2: three boxes, union 6");
    is_near(hv(f2x, 7, 2, r2), 6, 1e-12,
            "d = 2: dominated, duplicate, outside and boundary points add nothing");
    is_near(hv(f2, 1, 2, r2), 3, 1e-12, "d = 2: one box, 3");
    is_near(hv(f3, 3, 3, r3), 4, 1e-12, "d = 3: three boxes, union 4");
    is_near(hv(f3b, 4, 3, r3), 5, 1e-12, "d = 3: a fourth box covering two: 5");
    is_near(hv(f4, 3, 4, r4), .8125, 1e-12, "d = 4: three boxes, union 0.8125");
    is_near(hv(f4, 2, 4, r4), .75, 1e-12, "d = 4: two boxes, union 0.75");
    is_near(hv(f4s, 3, 4, r4s), 12, 1e-12, "d = 4: one slice of the 3-D set, 4 x 3");
    is_near(hv(f2, 0, 2, r2), 0, 0, "no points: 0");
    is_near(hv(f2, 3, 2, (const double[]){1, 1}), 0, 0, "every point beyond ref: 0");
    is_near(hv(f2, 3, 2, (const double[]){NAN, 4}), 0, 0, "a NAN reference: 0");
    is_int(hv(f2, 3, 0, r2), ANAS_EINVAL, "d = 0: ANAS_EINVAL");
    is_int(hv(f2, 3, 5, r2), ANAS_EINVAL, "d = 5: ANAS_EINVAL");
    is_int(hv(f2, -1, 2, r2), ANAS_EINVAL, "n < 0: ANAS_EINVAL");
    is_int(anas_pareto_hypervolume(f2, 3, 2, r2, NULL), ANAS_EINVAL, "no out: ANAS_EINVAL");
    for (int d = 2; d <= 4; d++) {
        int rc_all = 0;
        /* d = 2 allocates once, d = 3 three times, d = 4 four times. */
        for (int k = 0; k < (d == 2 ? 1 : d); k++) {
            anas_alloc_fail_after(k);
            rc_all |= hv(f4, 3, d, r4) != ANAS_ENOMEM;
        }
        anas_alloc_fail_after(-1);
        ok(!rc_all, "d = %d: each failed allocation gives ANAS_ENOMEM", d);
    }
}

/* Exact for small n: the union of boxes [f_i, ref] by inclusion-exclusion
 * over every non-empty subset (the intersection of boxes is the box of the
 * coordinate-wise max). Points not strictly inside ref are left out. */
static double hv_ie(const double *f, int n, int d, const double *ref)
{
    double in[16 * 4], v = 0.0;
    int m = 0;

    for (int i = 0; i < n; i++) {
        int inside = 1;
        for (int j = 0; j < d; j++)
            inside = inside && f[i * d + j] < ref[j];
        if (inside)
            memcpy(&in[m++ * d], &f[i * d], (size_t)d * sizeof(double));
    }
    for (unsigned s = 1; s < (1u << m); s++) {
        double hi[4], vol = 1.0;
        int bits = 0;

        for (int j = 0; j < d; j++)
            hi[j] = -INFINITY;
        for (int i = 0; i < m; i++)
            if (s & (1u << i)) {
                bits++;
                for (int j = 0; j < d; j++)
                    hi[j] = fmax(hi[j], in[i * d + j]);
            }
        for (int j = 0; j < d; j++)
            vol *= ref[j] - hi[j];
        v += bits % 2 ? vol : -vol;
    }
    return v;
}

/* Half the sets on a 0..3 grid (ties, duplicates, dominated points, points
 * on the reference's faces), half continuous; ref 3 in every coordinate so
 * a fifth of the points or so lie outside it. */
static void random_set(struct anas_rng *rng, double *f, int n, int d, int grid)
{
    for (int i = 0; i < n * d; i++)
        f[i] = grid ? (double)anas_rng_int(rng, 0, 4) : 3.4 * anas_rng_uniform(rng);
}

static void shuffle(struct anas_rng *rng, double *f, int n, int d)
{
    for (int i = n - 1; i > 0; i--) {
        int k = (int)anas_rng_int(rng, 0, i + 1);
        double t[4];
        memcpy(t, &f[i * d], (size_t)d * sizeof(double));
        memcpy(&f[i * d], &f[k * d], (size_t)d * sizeof(double));
        memcpy(&f[k * d], t, (size_t)d * sizeof(double));
    }
}

static void test_hv_random(void)
{
    const double ref[] = {3, 3, 3, 3};
    struct anas_rng rng;

    anas_rng_seed(&rng, 2024);
    for (int d = 2; d <= 4; d++) {
        double worst = 0.0;
        int perm_same = 1, dom_same = 1;

        for (int t = 0; t < 300; t++) {
            double f[14 * 4], g[14 * 4], exact, got;
            int n = (int)anas_rng_int(&rng, 1, 13);

            random_set(&rng, f, n, d, t % 2);
            got = hv(f, n, d, ref);
            exact = hv_ie(f, n, d, ref);
            worst = fmax(worst, fabs(got - exact) / fmax(1.0, exact));
            /* The same set in another order: the same bits. */
            memcpy(g, f, sizeof(double) * (size_t)(n * d));
            shuffle(&rng, g, n, d);
            perm_same = perm_same && hv(g, n, d, ref) == got;
            /* Plus a point dominated by one of them, and one outside ref. */
            int k = (int)anas_rng_int(&rng, 0, n);
            for (int j = 0; j < d; j++) {
                g[n * d + j] = f[k * d + j] + (j == 0 ? 0.0 : 0.25 * anas_rng_uniform(&rng));
                g[(n + 1) * d + j] = j == d - 1 ? 3.0 : 0.0;
            }
            memcpy(g, f, sizeof(double) * (size_t)(n * d));
            dom_same = dom_same && fabs(hv(g, n + 2, d, ref) - got) <= 1e-12 * fmax(1, got);
        }
        ok(worst < 1e-12, "d = %d: 300 random sets of 1..12 points equal inclusion-exclusion "
                          "(worst relative error %.3g)", d, worst);
        ok(perm_same, "d = %d: a permutation gives the same value, bit for bit", d);
        ok(dom_same, "d = %d: a dominated point and one on the reference's face add nothing", d);
    }
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Large fronts: points on the simplex sum f = 1 (all mutually
 * non-dominated). A 3-D set with a constant third coordinate c measures
 * its 2-D volume times (ref - c); the same for 4-D from 3-D. */
static void test_hv_large(void)
{
    enum { N2 = 4000, N3 = 1000 };
    static double f2[N2 * 2], f3[N2 * 3], g3[N3 * 3], g4[N3 * 4];
    const double ref[] = {1.5, 1.5, 1.5, 1.5};
    struct anas_rng rng;
    double a, b, t0, t1, t2;

    anas_rng_seed(&rng, 99);
    for (int i = 0; i < N2; i++) {
        double x = anas_rng_uniform(&rng);
        f2[i * 2] = x;
        f2[i * 2 + 1] = 1 - x;
        f3[i * 3] = x;
        f3[i * 3 + 1] = 1 - x;
        f3[i * 3 + 2] = 0.5;
    }
    for (int i = 0; i < N3; i++) {
        double x = anas_rng_uniform(&rng), y = anas_rng_uniform(&rng);
        if (x + y > 1) {
            x = 1 - x;
            y = 1 - y;
        }
        g3[i * 3] = g4[i * 4] = x;
        g3[i * 3 + 1] = g4[i * 4 + 1] = y;
        g3[i * 3 + 2] = g4[i * 4 + 2] = 1 - x - y;
        g4[i * 4 + 3] = 0.25;
    }
    t0 = seconds();
    a = hv(f2, N2, 2, ref);
    b = hv(f3, N2, 3, ref);
    t1 = seconds();
    is_near(b, a * 1.0, 1e-12, "4,000 points: the 3-D sweep of a flat set = 2-D x 1");
    /* The continuous front dominates [0,1.5]^2 less the triangle u + v < 1:
     * 2.25 - 0.5; the staircase of 4,000 samples loses about 1/4,000. */
    ok(a > 1.75 - 1e-2 && a < 1.75, "and the 2-D value is just below the front's 1.75");
    a = hv(g3, N3, 3, ref);
    b = hv(g4, N3, 4, ref);
    t2 = seconds();
    is_near(b, a * 1.25, 1e-12, "1,000 points on a 3-D simplex: 4-D slice = 3-D x 1.25");
    printf("# timings: 2-D + 3-D of 4,000 points %.3f s, 3-D + 4-D of 1,000 points %.3f s\n",
           t1 - t0, t2 - t1);
}

/* Sweeping along another axis must measure the same volume: the columns
 * rotated, on a front where every point counts (the positive orthant of
 * the unit sphere). */
static void rotation_check(struct anas_rng *rng, int n, int d)
{
    static double f[1000 * 4], g[1000 * 4];
    const double ref[] = {1.1, 1.1, 1.1, 1.1};
    double a, b, t0;

    for (int i = 0; i < n; i++) {
        double norm = 0.0;
        for (int j = 0; j < d; j++) {
            f[i * d + j] = fabs(anas_rng_normal(rng));
            norm += f[i * d + j] * f[i * d + j];
        }
        for (int j = 0; j < d; j++) {
            f[i * d + j] /= sqrt(norm);
            g[i * d + (j + 1) % d] = f[i * d + j];
        }
    }
    t0 = seconds();
    a = hv(f, n, d, ref);
    printf("# %d points on a %d-D sphere: %.3f s\n", n, d, seconds() - t0);
    b = hv(g, n, d, ref);
    ok(a > 0 && fabs(a - b) <= 1e-12 * a,
       "%d points in %d-D: the same volume sweeping another axis (%.15g, %.15g)", n, d, a,
       b);
}

static void test_hv_rotation(void)
{
    struct anas_rng rng;

    anas_rng_seed(&rng, 5);
    rotation_check(&rng, 1000, 3);
    rotation_check(&rng, 1000, 4);
}

int main(void)
{
    plan(9 + 9 + 1 + 9 + 19 + 9 + 3 + 2);
    test_dominates();
    test_sort();
    test_sort_random();
    test_crowding();
    test_hv_hand();
    test_hv_random();
    test_hv_large();
    test_hv_rotation();
    return done();
}
