/*
 * runtext.h - the run object of doc/api.md as text, kept between requests
 * (runtext.c), and the two halves of it that do not depend on the run being
 * live, which run_json() (api_runs.c) and the text share so that both give
 * the same bytes.
 */
#ifndef ANASD_RUNTEXT_H
#define ANASD_RUNTEXT_H

#include <stddef.h>

#include <jansson.h>

struct anasd;
struct store_run;
struct run_texts;

/* {"id", "kind", "name", "state", "spec", "created_at", "started_at",
 * "finished_at"}, in that order; state as given. */
json_t *runtext_head_json(const struct store_run *r, const char *state);

/* {"error", "warnings"}: what follows "summary". fault: the error a store
 * fault gave the run before its row says so, or NULL. */
json_t *runtext_tail_json(const struct store_run *r, const char *fault);

/* The run object of run `id` as GET /api/v1/runs/{id} answers, malloc'd
 * in *text: from a copy made when the run's row last changed, with only
 * the live parts (progress, best) made anew. 0; ANAS_ENOTFOUND; ANAS_EDB;
 * ANAS_ENOMEM; 1 when the caller should build it the long way (a run
 * with a store fault, one being started or stopped). */
int runtext_get(struct anasd *d, long long id, char **text, size_t *len);

void runtext_free(struct run_texts *t);

/* A finite double as codec_dump() writes it (%.17g, with ".0" when that
 * reads as an integer, the exponent without '+' or leading zeros), NUL
 * terminated in buf; its length, 0 if it does not fit. */
#define RUNTEXT_REAL_MAX 32
size_t runtext_real(char buf[RUNTEXT_REAL_MAX], double v);

/* Writes v in decimal at `at` (at most 20 bytes, no NUL), as jansson
 * writes a json_integer; returns the end. */
char *runtext_ll(char *at, long long v);

/* The dump of api_progress_json(p, 1, evaluating), malloc'd, made without
 * a JSON tree (a live run's progress is made for every request); NULL
 * without memory. evaluating is not taken. */
struct jobs_progress;
char *runtext_progress(const struct jobs_progress *p, json_t *evaluating, size_t *len);

#endif
