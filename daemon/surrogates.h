/*
 * surrogates.h - fitting surrogates on the pool, and handing stored ones to
 * the runs that name them.
 *
 * POST /api/v1/surrogates (api_surrogates.c) gathers the rows on the loop
 * thread, stores the surrogate as "fitting" and gives the rows to
 * surrogates_fit: k-fold cross-validation, then the final fit on every
 * row, both on a pool thread; back on the loop thread the model (XGBoost's
 * JSON) and its quality are stored and the surrogate is "ready", or
 * "failed" with the error.
 *
 * A fit cannot outlive the process: a stop (SIGTERM) ends every fit still
 * running as failed with the code "interrupted" (the pool work in flight
 * finishes, and its result is dropped), and a start finds the rows a crash
 * left "fitting" and ends them the same way. POSTing the same request
 * again fits again, deterministically (the seed is part of the request).
 */
#ifndef ANASD_SURROGATES_H
#define ANASD_SURROGATES_H

#include "anasd.h"
#include "codec.h"

struct surrogates;

int surrogates_new(struct anasd *d, struct surrogates **out);
void surrogates_free(struct surrogates *s);

/* End the rows a crash left fitting. */
int surrogates_start(struct surrogates *s);

/* Fit surrogate `id` on n rows of dim features x (row-major) and targets
 * y, both malloc'd and taken over (freed even on failure). */
int surrogates_fit(struct surrogates *s, long long id, float *x, float *y, int n, int dim,
                   const struct surrogate_request *req);

/* Graceful stop: fits still running end as failed "interrupted". */
void surrogates_shutdown(struct surrogates *s);

/* No fit outstanding on the pool. */
int surrogates_idle(const struct surrogates *s);

/* Model i of a run spec, when it names a stored surrogate: that it exists
 * (else ANAS_EINVAL), is ready (else ANAS_ESTATE) and reads the spec's
 * space (else ANAS_EINVAL), err->field the model's pointer
 * (/evaluator/models/<metric>/surrogate). With blob non-NULL, its bytes
 * (malloc'd). 0 for a model file. Loop thread. */
int surrogates_for_run(struct store *st, const struct run_spec *spec, int i, void **blob,
                       size_t *len, struct anas_error *err);

#endif
