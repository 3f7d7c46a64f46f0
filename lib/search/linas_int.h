/*
 * linas_int.h - a window on LINAS's inner search, for tests that check its
 * warm start (each inner search starts from the previous one's final
 * population) rather than only what gets proposed.
 */
#ifndef ANAS_SEARCH_LINAS_INT_H
#define ANAS_SEARCH_LINAS_INT_H

#include "search/search.h"

/* Copy up to `max` configurations of the latest inner search's population:
 * which 0 the one it started from, 1 its final one (what the next batch is
 * chosen from). Returns the number copied: 0 before the first inner search,
 * ANAS_EINVAL for a search of another optimizer or a bad `which`. */
int anas__linas_inner(const struct anas_search *s, int which, struct anas_config *cfg,
                      int max);

#endif
