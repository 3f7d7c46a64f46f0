/*
 * nsga2_int.h - a window on NSGA-II's current population, for tests that
 * check selection itself (which members survive, how they rank) rather
 * than only what gets proposed.
 */
#ifndef ANAS_SEARCH_NSGA2_INT_H
#define ANAS_SEARCH_NSGA2_INT_H

#include "search/search.h"

/* Copy up to `max` members of the population of an nsga2 search: their
 * configurations, results and front ranks (0 best; any output may be NULL).
 * Returns the number copied: 0 until the initial population is observed,
 * ANAS_EINVAL for a search of another optimizer. The population is the
 * one the next child is bred from. */
int anas__nsga2_population(const struct anas_search *s, struct anas_config *cfg,
                           struct anas_search_point *pt, int *rank, int max);

#endif
