/*
 * search_int.h - what the optimizers' files share with search.c: their ops
 * tables, collected in search.c's registry.
 */
#ifndef ANAS_SEARCH_INT_H
#define ANAS_SEARCH_INT_H

#include "search/search.h"

extern const struct anas_search_ops anas__search_random_ops;
extern const struct anas_search_ops anas__search_ea_analognas_ops;
extern const struct anas_search_ops anas__search_ea_ops;
extern const struct anas_search_ops anas__search_regevo_ops;
extern const struct anas_search_ops anas__search_grid_ops;
extern const struct anas_search_ops anas__search_nsga2_ops;
extern const struct anas_search_ops anas__search_bo_ops;
extern const struct anas_search_ops anas__search_linas_ops;

#endif
