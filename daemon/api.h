/*
 * api.h - the HTTP handlers, one file per resource (api_<resource>.c).
 *
 * Handlers run on the loop thread, translate between HTTP/JSON and the
 * scheduler/store/libanas, and never block on compute. Path parameters are
 * matched and type-checked by route.c before a handler runs.
 */
#ifndef ANASD_API_H
#define ANASD_API_H

#include <jansson.h>

#include "anasd.h"
#include "http.h"

struct route_args {
    long long id;     /* {id}: a positive integer */
    char name[64];    /* {name}: [a-z0-9_-]+ */
    char hash[17];    /* {hash}: 16 lower-case hex digits */
};

typedef int (*api_fn)(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs);

/* Parse the request body as a JSON object; on failure a 400 problem is
 * already in rs and NULL is returned. An empty body gives an empty object
 * when `empty_ok`. */
json_t *api_body(const struct req *rq, struct resp *rs, int empty_ok);

/* Parse an integer query parameter in [lo, hi]; `def` when absent. On a bad
 * value a 422 problem (field "?name") is written to rs and -1 returned. */
int api_query_int(const struct req *rq, struct resp *rs, const char *name, long long lo,
                  long long hi, long long def, long long *out);

/* The space of a stored run spec, as its run used it: a space with
 * training-recipe dimensions exists again once the spec is parsed (it is
 * named after the base in the spec's text). NULL when unreadable. */
const struct anas_space *api_spec_space(struct anasd *d, const char *spec_json);

/* The space a stored architecture belongs to, by its stored name, or
 * through a run that evaluated it (see api_spec_space). */
const struct anas_space *api_arch_space(struct anasd *d, const char *name,
                                        const char *hash);

/* An ISO 8601 UTC time, or null for t <= 0 (unset). */
json_t *api_time_json(double t);

/* Stored JSON text as a value; null when absent or unreadable. */
json_t *api_text_json(const char *text);

struct jobs_progress;
struct store_eval;
/* A run object's "progress" (live: the run is running, with p from
 * jobs_live; evaluating, taken, may be NULL) and an evaluation item, as
 * the runs endpoints and the event streams give them (api_runs.c). */
json_t *api_progress_json(const struct jobs_progress *p, int live, json_t *evaluating);
json_t *api_eval_json(const struct store_eval *e);

int api_health_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs);
int api_openapi_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_spaces_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_spaces_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs);
int api_spaces_sample(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs);
int api_presets_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs);
int api_optimizers_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                        struct resp *rs);
int api_architectures_create(struct anasd *d, const struct req *rq,
                             const struct route_args *a, struct resp *rs);
int api_architectures_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                          struct resp *rs);
int api_runs_create(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_runs_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                  struct resp *rs);
int api_runs_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                 struct resp *rs);
int api_runs_cancel(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_runs_delete(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_runs_evaluations(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs);
int api_runs_best(struct anasd *d, const struct req *rq, const struct route_args *a,
                  struct resp *rs);
int api_runs_pareto(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_runs_export(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);
int api_runs_model(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs);
int api_surrogates_create(struct anasd *d, const struct req *rq,
                          const struct route_args *a, struct resp *rs);
int api_surrogates_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                        struct resp *rs);
int api_surrogates_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                       struct resp *rs);
int api_surrogates_model(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs);
int api_surrogates_delete(struct anasd *d, const struct req *rq, const struct route_args *a,
                          struct resp *rs);
int api_events_run(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs);
int api_events_all(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs);
int api_admin_reload(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs);
int api_leases_create(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs);
int api_leases_release(struct anasd *d, const struct req *rq, const struct route_args *a,
                       struct resp *rs);
int api_leases_heartbeat(struct anasd *d, const struct req *rq, const struct route_args *a,
                         struct resp *rs);
int api_leases_result(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs);
int api_workers_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs);
int api_metrics_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs);

#endif
