/*
 * reply.h - building responses: JSON bodies and RFC 9457 problems.
 *
 *     return reply_json(rs, 200, json_pack("{s:s}", "status", "ok"));
 *     return reply_problem(rs, rq, 422, ANAS_ERANGE, "/runs", "runs must be 1..100");
 *     return reply_error(rs, rq, &err);   // status chosen from err.code
 *
 * Every reply_* returns 0 so handlers can `return reply_…(…)`. JSON values
 * passed in are taken (decref'd).
 */
#ifndef ANASD_REPLY_H
#define ANASD_REPLY_H

#include <jansson.h>

#include "core/err.h"
#include "http.h"

int reply_json(struct resp *rs, int status, json_t *body);
int reply_text(struct resp *rs, int status, const char *content_type, char *body,
               size_t len);
int reply_empty(struct resp *rs, int status);

/* A problem+json body. field may be NULL. Details of 5xx answers are
 * replaced by a generic text (and logged with the request id). */
int reply_problem(struct resp *rs, const struct req *rq, int status, int code,
                  const char *field, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* A problem from a struct anas_error; the status comes from the code
 * (validation codes → 422, ENOTFOUND → 404, ESTATE → 409, ...). */
int reply_error(struct resp *rs, const struct req *rq, const struct anas_error *err);

/* The status reply_error uses for a code when a body was validated. */
int reply_status_for(int code);

#endif
