/*
 * evaltext.h - evaluation items as JSON text made by joining the stored
 * texts of their config, metrics, error and curve (evaltext.c).
 */
#ifndef ANASD_EVALTEXT_H
#define ANASD_EVALTEXT_H

#include <stdio.h>

struct store_eval;

/* Writes e[0..n) as a JSON array of evaluation items, the same bytes as
 * api_eval_json() dumped compactly would give. 0, or ANAS_ENOMEM when the
 * stream failed. */
int evaltext_items(FILE *f, const struct store_eval *e, int n);

#endif
