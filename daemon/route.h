/*
 * route.h - the route table and request dispatch: limits, authentication,
 * path matching (404 versus 405 with Allow), media type, then the handler.
 */
#ifndef ANASD_ROUTE_H
#define ANASD_ROUTE_H

#include "anasd.h"
#include "http.h"

/* The http_handler the daemon installs; ctx is the struct anasd. */
void route_dispatch(void *ctx, const struct req *rq, struct resp *rs);

#endif
