/*
 * reply.c - one place that turns results and errors into HTTP answers, so
 * every error has the same shape and the same code-to-status mapping.
 */
#include "config.h"

#include "reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const struct {
    int code;
    int status;
} status_map[] = {
    {ANAS_EFORMAT, 400},   {ANAS_EAUTH, 401},     {ANAS_ENOTFOUND, 404},
    {ANAS_EMETHOD, 405},   {ANAS_ESTATE, 409},    {ANAS_EEXIST, 409},
    {ANAS_EBUSY, 409},     {ANAS_ECANCELED, 409}, {ANAS_ETOOBIG, 413},
    {ANAS_EMEDIA, 415},    {ANAS_EINVAL, 422},    {ANAS_ERANGE, 422},
    {ANAS_ETYPE, 422},     {ANAS_EUNKNOWN, 422},  {ANAS_EDENIED, 422},
    {ANAS_EUNSUPPORTED, 422}, {ANAS_ESHAPE, 422}, {ANAS_ELIMIT, 429},
    {ANAS_ENOMEM, 503},    {ANAS_ENOSPC, 507},    {ANAS_EUNAVAIL, 503},
};

int reply_status_for(int code)
{
    size_t i;
    for (i = 0; i < sizeof status_map / sizeof status_map[0]; i++)
        if (status_map[i].code == code)
            return status_map[i].status;
    return 500;
}

static const char *title_for(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Internal Server Error";
    }
}

int reply_text(struct resp *rs, int status, const char *content_type, char *body,
               size_t len)
{
    /* copied as snprintf("%s") would (truncated), without parsing a format
     * for every answer */
    size_t n = strnlen(content_type, sizeof rs->content_type - 1);

    free(rs->body);
    rs->status = status;
    rs->body = body;
    rs->body_len = len;
    memcpy(rs->content_type, content_type, n);
    rs->content_type[n] = '\0';
    return 0;
}

int reply_empty(struct resp *rs, int status)
{
    return reply_text(rs, status, "application/json", NULL, 0);
}

static int reply_dump(struct resp *rs, int status, const char *ctype, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"status\":503,\"title\":\"Service Unavailable\","
                                  "\"code\":\"ANAS_ENOMEM\"}";
        char *copy = strdup(oom);
        return reply_text(rs, 503, "application/problem+json", copy, copy ? strlen(copy) : 0);
    }
    return reply_text(rs, status, ctype, text, strlen(text));
}

int reply_json(struct resp *rs, int status, json_t *body)
{
    return reply_dump(rs, status, "application/json", body);
}

int reply_problem(struct resp *rs, const struct req *rq, int status, int code,
                  const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    json_t *p;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    /* A 500's detail may tell internals; 503's (no memory, no free
     * stream, the database locked) and 507's (disk full) only tell the
     * client when to come back. */
    if (status >= 500 && status != 503 && status != 507) {
        anas_log(ANAS_LOG_ERROR, "request %s: %s", rq ? rq->request_id : "-", detail);
        snprintf(detail, sizeof detail, "internal error; see the server log for request %s",
                 rq ? rq->request_id : "-");
    }
    p = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "about:blank", "title",
                  title_for(status), "status", status, "detail", detail, "code",
                  anas_err_name(code));
    if (p && field && field[0])
        json_object_set_new(p, "field", json_string(field));
    if (p && rq)
        json_object_set_new(p, "request_id", json_string(rq->request_id));
    return reply_dump(rs, status, "application/problem+json", p);
}

int reply_error(struct resp *rs, const struct req *rq, const struct anas_error *err)
{
    const char *msg = err->msg[0] ? err->msg : anas_strerror(err->code);
    int status = reply_status_for(err->code);
    /* A name inside a body that refers to nothing (space, optimizer, model
     * file) makes the body invalid; the resource itself exists. */
    if (err->field[0] == '/' && status == 404)
        status = 422;
    return reply_problem(rs, rq, status, err->code,
                         err->field[0] ? err->field : NULL, "%s", msg);
}
