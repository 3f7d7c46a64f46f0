/*
 * faults.h - when the database cannot be written for a while.
 *
 * A write that fails with ANAS_ENOSPC (disk full, a file size limit, a
 * quota) or ANAS_EUNAVAIL (locked by another process past the busy
 * timeout, read-only, an I/O error) is a fault that passes. The run that
 * needed the write stops as "interrupted", with an error saying why, and
 * the API serves it so at once, even while its row cannot be updated;
 * new runs are refused (507, or 503 with Retry-After) instead of failing
 * later. A timer retries every second: it writes the stopped runs' rows,
 * then probes the database with a write of its own, and once that works
 * the scheduler resumes the stopped runs as it resumes them after a
 * restart: from their stored evaluations, to the same result.
 *
 * Loop thread only.
 */
#ifndef ANASD_FAULTS_H
#define ANASD_FAULTS_H

#include "anasd.h"

struct faults;

int faults_new(struct anasd *d, struct faults **out);
void faults_free(struct faults *f);

/* Is this ANAS_E* code a store fault that passes? */
int faults_is_store(int code);

/* 0 while the database can be written, else the code of the last failed
 * write (ANAS_ENOSPC, ANAS_EUNAVAIL). */
int faults_code(const struct faults *f);

/* A write failed with `code`: refuse new runs and retry until one works.
 * Codes that are no store fault are ignored. */
void faults_note(struct faults *f, int code);

/* Run `id` stopped on a store fault: remember its error (JSON text) and
 * progress until its row says "interrupted" with them. */
void faults_run_stopped(struct faults *f, long long id, long long done, long long total,
                        const char *error_json);

/* The progress a stopped run had when it stopped, while its row cannot
 * say so yet: 1 and *done, *total; 0 when its row is current. */
int faults_run_progress(const struct faults *f, long long id, long long *done,
                        long long *total);

/* The error of a stopped run whose row is not written yet, else NULL. */
const char *faults_run_error(const struct faults *f, long long id);

/* Stop retrying (a graceful stop); rows still unwritten are tried once. */
void faults_shutdown(struct faults *f);

#endif
