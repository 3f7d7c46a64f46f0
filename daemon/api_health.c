/*
 * api_health.c - liveness and the API contract (Prometheus metrics are in
 * api_metrics.c).
 */
#include "config.h"

#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "events.h"
#include "faults.h"
#include "jobs.h"
#include "lease.h"
#include "reply.h"
#include "store.h"

extern const char api_openapi_json[]; /* generated from schema/openapi.json */

static long long count_state(struct anasd *d, const char *state)
{
    long long n = 0;
    store_run_count_in_state(d->store, state, &n);
    return n;
}

/* Whether the database can be written (faults.h). */
static const char *storage_state(const struct anasd *d)
{
    int code = faults_code(d->faults);
    return code == ANAS_ENOSPC ? "full" : code ? "unavailable" : "ok";
}

static int may_read(const struct anasd *d, const struct req *rq)
{
    unsigned scopes;
    return d->conf.n_api_tokens == 0 ||
           (auth_find(&d->conf.tokens, rq->authorization, &scopes) == 0 &&
            (scopes & AUTH_READ));
}

int api_health_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs)
{
    json_t *o;
    int waiting, leased, workers;
    lease_counts(d->leases, &waiting, &leased, &workers);
    o = json_pack("{s:s, s:s, s:s, s:f, s:i, s:{s:I, s:I}, s:{s:i, s:i}}", "status", "ok",
                  "storage", storage_state(d), "version", PACKAGE_VERSION, "uptime_s",
                  anasd_mono() - d->started_mono, "workers", d->conf.workers,
                                "runs", "queued",
                                (json_int_t)(count_state(d, "queued") +
                                             count_state(d, "interrupted")),
                                "running", (json_int_t)jobs_n_active(d->jobs), "streams",
                                "open", events_n_subscribers(d->events), "max",
                                d->conf.max_streams);
    /* Remote workers (anas-worker) and the evaluations waiting for one.
     * Health is open (liveness probes): who the workers are and on which
     * hosts is only for those who may read, as GET /api/v1/workers is. */
    json_object_set_new(o, "remote",
                        may_read(d, rq) ? json_pack("{s:i, s:i, s:o}", "waiting", waiting,
                                                    "leased", leased, "workers",
                                                    lease_workers_json(d->leases))
                                        : json_pack("{s:i, s:i, s:i}", "waiting", waiting,
                                                    "leased", leased, "n_workers", workers));
    return reply_json(rs, 200, o);
}

int api_openapi_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    char *copy = strdup(api_openapi_json);
    if (!copy)
        return reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
    return reply_text(rs, 200, "application/json", copy, strlen(copy));
}
