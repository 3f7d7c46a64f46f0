/*
 * evo.h - what the evolutionary optimizers (ea.c, regevo.c) share: a set
 * of the configurations already proposed, candidate draws that respect
 * the analytic constraints and never repeat one, and the ranking every
 * selection uses.
 */
#ifndef ANAS_SEARCH_EVO_H
#define ANAS_SEARCH_EVO_H

#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

/* Fingerprints (64 bits of the canonical values) of configurations
 * proposed: open addressing, 0 marks an empty slot. */
struct anas__seen {
    uint64_t *slot;
    size_t cap, n;
};

void anas__seen_free(struct anas__seen *seen);
int anas__seen_has(const struct anas__seen *seen, const struct anas_space *space,
                   const struct anas_config *cfg);
/* 0, or ANAS_ENOMEM. */
int anas__seen_add(struct anas__seen *seen, const struct anas_space *space,
                   const struct anas_config *cfg);

/* A new candidate, recorded in `seen`: a uniform sample, or a neighbour of
 * `parent` (mutation_sigma `sigma`), redrawn while it fails the spec's
 * analytic constraints or repeats a proposal. After a bounded number of
 * tries the last draw is taken anyway (the caller's checks then judge
 * it). 0 or a negative ANAS_E* code. */
int anas__evo_sample(struct anas_search *s, struct anas__seen *seen, struct anas_config *out);
int anas__evo_mutate(struct anas_search *s, struct anas__seen *seen,
                     const struct anas_config *parent, double sigma, struct anas_config *out);

/* Is cfg acceptable as it is (analytic constraints hold, not proposed
 * before)? */
int anas__evo_fresh(const struct anas_search_spec *spec, const struct anas__seen *seen,
                    const struct anas_config *cfg);

/* Selection standing of n points: smaller rank is better, then larger
 * crowding. One objective: rank = how many points beat this one under
 * constraint-domination (feasible first, then the smaller violation, then
 * the smaller objective), crowding 0. Several: the front index of Deb's
 * non-dominated sort under constraint-domination, and the crowding
 * distance within the front. 0 or ANAS_ENOMEM. */
int anas__evo_rank(const struct anas_search_spec *spec, const struct anas_search_point *p,
                   int n, int *rank, double *crowd);

/* Does i stand better than j (rank, then crowding)? Equal standing: no. */
static inline int anas__evo_better(const int *rank, const double *crowd, int i, int j)
{
    return rank[i] < rank[j] || (rank[i] == rank[j] && crowd[i] > crowd[j]);
}

#endif
