/*
 * evo.c - the pieces the evolutionary optimizers share (see evo.h).
 *
 * Repeats are found by a 64-bit fingerprint of the canonical values, as
 * strong as the 16-hex-digit architecture hash the daemon stores results
 * under, without keeping every configuration.
 */
#include "config.h"

#include "search/evo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Draws before a candidate is taken whatever it is: enough to get past a
 * tight analytic constraint or a nearly exhausted neighbourhood, bounded
 * so that a space with no acceptable candidate left cannot stall. */
#define TRIES 100

static uint64_t fingerprint(const struct anas_space *space, const struct anas_config *cfg)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    int n = anas_space_n_hp(space);

    for (int i = 0; i < n; i++) {
        double v = cfg->v[i] == 0 ? 0.0 : cfg->v[i]; /* -0 is 0 */
        unsigned char b[sizeof v];

        memcpy(b, &v, sizeof v);
        for (size_t k = 0; k < sizeof v; k++)
            h = (h ^ b[k]) * 0x100000001b3u;
    }
    /* splitmix64's finaliser spreads FNV's weak low bits over the table. */
    h ^= h >> 30, h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 27, h *= 0x94d049bb133111ebu;
    h ^= h >> 31;
    return h ? h : 1;
}

void anas__seen_free(struct anas__seen *seen)
{
    anas_free(seen->slot);
    memset(seen, 0, sizeof *seen);
}

static size_t find(const uint64_t *slot, size_t cap, uint64_t h)
{
    size_t i = (size_t)h & (cap - 1);

    while (slot[i] && slot[i] != h)
        i = (i + 1) & (cap - 1);
    return i;
}

int anas__seen_has(const struct anas__seen *seen, const struct anas_space *space,
                   const struct anas_config *cfg)
{
    uint64_t h = fingerprint(space, cfg);

    return seen->cap && seen->slot[find(seen->slot, seen->cap, h)] == h;
}

static int grow(struct anas__seen *seen)
{
    size_t cap = seen->cap ? 2 * seen->cap : 256;
    uint64_t *slot = anas_calloc(cap, sizeof *slot);

    if (!slot)
        return ANAS_ENOMEM;
    for (size_t i = 0; i < seen->cap; i++)
        if (seen->slot[i])
            slot[find(slot, cap, seen->slot[i])] = seen->slot[i];
    anas_free(seen->slot);
    seen->slot = slot;
    seen->cap = cap;
    return 0;
}

int anas__seen_add(struct anas__seen *seen, const struct anas_space *space,
                   const struct anas_config *cfg)
{
    uint64_t h = fingerprint(space, cfg);
    size_t i;

    if (2 * (seen->n + 1) > seen->cap && grow(seen) < 0)
        return ANAS_ENOMEM;
    i = find(seen->slot, seen->cap, h);
    if (!seen->slot[i]) {
        seen->slot[i] = h;
        seen->n++;
    }
    return 0;
}

int anas__evo_fresh(const struct anas_search_spec *spec, const struct anas__seen *seen,
                    const struct anas_config *cfg)
{
    return !anas__seen_has(seen, spec->space, cfg) && anas_search_analytic_ok(spec, cfg);
}

static int take(struct anas__seen *seen, const struct anas_space *space,
                const struct anas_config *cfg, struct anas_config *out)
{
    *out = *cfg;
    return anas__seen_add(seen, space, cfg);
}

int anas__evo_sample(struct anas_search *s, struct anas__seen *seen, struct anas_config *out)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_config cfg;

    for (int t = 0; t < TRIES; t++) {
        int rc = anas_space_sample(spec->space, anas_search_rng(s), &cfg);
        if (rc < 0)
            return rc;
        if (anas__evo_fresh(spec, seen, &cfg))
            break;
    }
    return take(seen, spec->space, &cfg, out);
}

int anas__evo_mutate(struct anas_search *s, struct anas__seen *seen,
                     const struct anas_config *parent, double sigma, struct anas_config *out)
{
    const struct anas_search_spec *spec = anas_search_spec_of(s);
    struct anas_config from = *parent, cfg;

    for (int t = 0; t < TRIES; t++) {
        int rc = anas_space_mutate(spec->space, anas_search_rng(s), &from, sigma, &cfg);
        if (rc < 0)
            return rc;
        if (anas__evo_fresh(spec, seen, &cfg))
            return take(seen, spec->space, &cfg, out);
        /* The parent's neighbours look used up: walk on from the last one. */
        if (t >= TRIES / 2)
            from = cfg;
    }
    return anas__evo_sample(s, seen, out);
}

/* --- ranking --- */

struct key {
    double viol, f;
    int i;
};

static int key_cmp(const struct key *a, const struct key *b)
{
    if (a->viol != b->viol)
        return a->viol < b->viol ? -1 : 1;
    if (a->f != b->f)
        return a->f < b->f ? -1 : 1;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    int c = key_cmp(a, b);

    /* The index breaks ties only to make the sort deterministic. */
    return c ? c : ((const struct key *)a)->i - ((const struct key *)b)->i;
}

/* One objective: sort by (violation, objective); equal keys share a rank. */
static int rank_single(const struct anas_search_point *p, int n, int *rank, double *crowd)
{
    struct key *k = anas_malloc((size_t)n * sizeof *k);

    if (!k)
        return ANAS_ENOMEM;
    for (int i = 0; i < n; i++)
        k[i] = (struct key){p[i].viol, p[i].f[0], i};
    qsort(k, (size_t)n, sizeof *k, by_key);
    for (int r = 0; r < n; r++) {
        rank[k[r].i] = r > 0 && key_cmp(&k[r], &k[r - 1]) == 0 ? rank[k[r - 1].i] : r;
        crowd[k[r].i] = 0;
    }
    anas_free(k);
    return 0;
}

static int rank_fronts(const struct anas_search_point *p, int n, int d, int *rank,
                       double *crowd)
{
    int *idx = anas_malloc((size_t)n * sizeof *idx);
    double *c = anas_malloc((size_t)n * sizeof *c);
    int fronts = idx && c ? anas_pareto_sort(p, n, d, rank) : ANAS_ENOMEM;

    for (int f = 0; f < fronts; f++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (rank[i] == f)
                idx[m++] = i;
        if (anas_pareto_crowding(p, d, idx, m, c) < 0) {
            fronts = ANAS_ENOMEM;
            break;
        }
        for (int k = 0; k < m; k++)
            crowd[idx[k]] = c[k];
    }
    anas_free(idx);
    anas_free(c);
    return fronts < 0 ? fronts : 0;
}

int anas__evo_rank(const struct anas_search_spec *spec, const struct anas_search_point *p,
                   int n, int *rank, double *crowd)
{
    if (n < 1)
        return 0;
    if (spec->n_objectives == 1)
        return rank_single(p, n, rank, crowd);
    return rank_fronts(p, n, spec->n_objectives, rank, crowd);
}
