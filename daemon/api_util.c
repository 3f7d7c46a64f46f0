/*
 * api_util.c - small helpers shared by the handlers: body parsing and
 * query parameters, each failing with a problem+json that names the field.
 */
#include "config.h"

#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "reply.h"
#include "store.h"

/* Integers beyond 64 bits, which jansson refuses outright ("too big
 * integer"), are read as reals instead, so that the field's own range check
 * rejects them with its pointer (a seed of 2^64 - 1 is a bad seed, not bad
 * JSON). Each retry turns the integer that stopped the parser, the token
 * ending at jerr->position, into a real by appending ".0"; a bounded number
 * of them. NULL (jerr kept) when the body is bad JSON for another reason. */
static json_t *load_widening(const char *body, size_t len, json_error_t *jerr)
{
    char *text = NULL;
    json_t *j;
    int tries;
    /* jansson leaves the error unset when it runs out of memory early, and
     * takes an allocation that fails inside its lexer for a syntax error:
     * only bad JSON fails twice in a row the same way. */
    memset(jerr, 0, sizeof *jerr);
    j = json_loadb(body, len, JSON_REJECT_DUPLICATES, jerr);
    if (!j && json_error_code(jerr) != json_error_numeric_overflow) {
        memset(jerr, 0, sizeof *jerr);
        j = json_loadb(body, len, JSON_REJECT_DUPLICATES, jerr);
    }
    for (tries = 0; !j && tries < 16 && json_error_code(jerr) == json_error_numeric_overflow;
         tries++) {
        size_t end = (size_t)jerr->position, start = end;
        char *grown;
        if (end > len)
            break;
        while (start > 0 && body[start - 1] >= '0' && body[start - 1] <= '9')
            start--;
        if (start > 0 && body[start - 1] == '-')
            start--;
        /* a real that overflows a double ends in digits too: "1e999" */
        if (start == end || (start > 0 && strchr("eE+.", body[start - 1])))
            break;
        if (!(grown = malloc(len + 3)))
            break;
        memcpy(grown, body, end);
        memcpy(grown + end, ".0", 2);
        memcpy(grown + end + 2, body + end, len - end);
        free(text);
        body = text = grown;
        len += 2;
        j = json_loadb(body, len, JSON_REJECT_DUPLICATES, jerr);
    }
    free(text);
    return j;
}

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
    j = load_widening(rq->body, rq->body_len, &jerr);
    if (!j && (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0])) {
        reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
        return NULL;
    }
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

const struct anas_space *api_spec_space(struct anasd *d, const char *spec_json)
{
    json_t *j = spec_json ? json_loads(spec_json, 0, NULL) : NULL;
    struct run_spec *spec = malloc(sizeof *spec);
    const struct anas_space *s = NULL;
    struct anas_error err;
    if (j && spec && codec_run_spec(&d->conf, j, spec, &err) == 0)
        s = spec->space;
    free(spec);
    json_decref(j);
    return s;
}

const struct anas_space *api_arch_space(struct anasd *d, const char *name, const char *hash)
{
    const struct anas_space *s = anas_space_find(name);
    struct store_eval *e = NULL;
    struct store_run r;
    int n = 0;
    if (s)
        return s;
    /* a composite not rebuilt since the daemon started: its run has it */
    if (store_eval_of_arch(d->store, hash, 1, &e, &n) == 0 && n > 0 &&
        store_run_get(d->store, e[0].run, &r) == 0) {
        s = api_spec_space(d, r.spec_json);
        store_run_fini(&r);
    }
    store_evals_free(e, n);
    return s && strcmp(anas_space_name(s), name) == 0 ? s : NULL;
}

json_t *api_text_json(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_null();
}

json_t *api_time_json(double t)
{
    char buf[32];
    time_t s = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&s, &tm))
        return json_null();
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}
