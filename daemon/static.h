/*
 * static.h - the dashboard's static files (www/), Chart.js and the example
 * specs, served read-only beside the API.
 *
 *     if (static_serve(d, rq, rs))
 *         return;   // answered: a file, its 404 or 405
 *
 * Paths under /api/ are never files: static_serve leaves them (returns 0)
 * to the API's own 404.
 */
#ifndef ANASD_STATIC_H
#define ANASD_STATIC_H

#include "http.h"

struct anasd;

/* 1 when the request was answered here, 0 when it is not a static path. */
int static_serve(struct anasd *d, const struct req *rq, struct resp *rs);

#endif
