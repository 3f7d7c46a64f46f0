/*
 * api_util.c - small helpers shared by the handlers: body parsing and
 * query parameters, each failing with a problem+json that names the field.
 */
#include "config.h"

#include "api.h"

#include <errno.h>
#include <stdlib.h>

#include "reply.h"

json_t *api_body(const struct req *rq, struct resp *rs, int empty_ok)
{
    json_error_t jerr;
    json_t *j;
    if (!rq->body || rq->body_len == 0) {
        if (empty_ok)
            return json_object();
        reply_problem(rs, rq, 400, ANAS_EFORMAT, NULL, "a JSON object body is required");
        return NULL;
    }
    /* Depth is bounded by jansson itself (JSON_PARSER_MAX_DEPTH). */
    j = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        reply_problem(rs, rq, 400, ANAS_EFORMAT, NULL, "malformed JSON at line %d column %d: %s",
                      jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        reply_problem(rs, rq, 400, ANAS_EFORMAT, NULL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

int api_query_int(const struct req *rq, struct resp *rs, const char *name, long long lo,
                  long long hi, long long def, long long *out)
{
    const char *v = req_query(rq, name);
    char field[64], *end;
    long long x;
    if (!v) {
        *out = def;
        return 0;
    }
    snprintf(field, sizeof field, "?%s", name);
    errno = 0;
    x = strtoll(v, &end, 10);
    if (errno || *end || end == v || x < lo || x > hi) {
        reply_problem(rs, rq, 422, ANAS_ERANGE, field, "%s must be an integer in %lld..%lld",
                      name, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}
