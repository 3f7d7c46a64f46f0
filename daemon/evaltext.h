/*
 * evaltext.h - evaluation items as JSON text made by joining the stored
 * texts of their config, metrics, error and curve (evaltext.c).
 */
#ifndef ANASD_EVALTEXT_H
#define ANASD_EVALTEXT_H

#include <stdio.h>

struct anas_config;
struct anas_metrics;
struct store_eval;

/* Writes e[0..n) as a JSON array of evaluation items, the same bytes as
 * api_eval_json() dumped compactly would give. 0, or ANAS_ENOMEM when the
 * stream failed. */
int evaltext_items(FILE *f, const struct store_eval *e, int n);

/* open_memstream(3) for one answer's text, written by the loop thread
 * alone: without stdio's lock, which every fputc() of a 100-item page
 * otherwise takes and releases (a tenth of the loop thread's time). */
FILE *evaltext_open(char **buf, size_t *len);

/* The texts an evaluation's row stores of its configuration and its
 * metrics: the bytes codec_dump() gives of codec_config_to_json(cfg) and
 * of codec_metrics_to_json(m), written without a JSON tree (every result
 * of a quick search is stored on the loop thread). malloc'd; NULL without
 * memory. */
char *evaltext_config(const struct anas_config *cfg);
char *evaltext_metrics(const struct anas_metrics *m);

#endif
