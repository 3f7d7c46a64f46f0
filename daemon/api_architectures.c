/*
 * api_architectures.c - describe one architecture (canonical form, hash,
 * analytic metrics, layer by layer) and everything evaluated about it.
 */
#include "config.h"

#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "core/alloc.h"
#include "reply.h"
#include "store.h"

static json_t *describe(const struct anas_space *s, const struct anas_shape *shape,
                        const struct anas_config *cfg, struct anas_error *err)
{
    char hash[ANAS_HASH_LEN + 1];
    struct anas_metrics m;
    struct anas_layer *layers = NULL;
    int n = 0;
    json_t *o;
    anas_metrics_init(&m);
    if (anas_space_analytic(s, shape, cfg, &anas_mapping_default, &m, err) < 0 ||
        anas_space_layers(s, shape, cfg, &anas_mapping_default, &layers, &n, err) < 0)
        return NULL;
    anas_space_hash(s, shape, cfg, hash);
    o = json_pack("{s:s, s:s, s:o, s:i, s:o, s:o, s:o}", "hash", hash, "space",
                  anas_space_name(s), "input", codec_input_to_json(shape), "classes",
                  shape->classes, "config", codec_config_to_json(cfg), "metrics",
                  codec_metrics_to_json(&m), "layers", codec_layers_to_json(layers, n));
    anas_free(layers);
    return o;
}

static int store_description(struct anasd *d, json_t *o)
{
    json_t *shape = json_pack("{s:O, s:O}", "input", json_object_get(o, "input"), "classes",
                              json_object_get(o, "classes"));
    char *st = codec_dump(shape), *cfg = codec_dump(json_object_get(o, "config"));
    char *met = codec_dump(json_object_get(o, "metrics"));
    int rc = store_arch_put(d->store, json_string_value(json_object_get(o, "hash")),
                            json_string_value(json_object_get(o, "space")), st, cfg, met,
                            anasd_now());
    free(st);
    free(cfg);
    free(met);
    json_decref(shape);
    return rc;
}

int api_architectures_create(struct anasd *d, const struct req *rq,
                             const struct route_args *a, struct resp *rs)
{
    static const char *const keys[] = {"space", "input", "classes", "config", NULL};
    json_t *body = api_body(rq, rs, 0), *f, *o;
    const struct anas_space *s;
    struct anas_shape shape;
    struct anas_config cfg;
    struct anas_error err;
    if (!body)
        return 0;
    anas_error_clear(&err);
    if (codec_check_keys(body, keys, "", &err) < 0) {
        json_decref(body);
        return reply_error(rs, rq, &err);
    }
    f = json_object_get(body, "space");
    if (!json_is_string(f) || !(s = anas_space_find(json_string_value(f)))) {
        json_decref(body);
        return reply_problem(rs, rq, 422, f ? ANAS_ENOTFOUND : ANAS_EINVAL, "/space",
                             f ? "unknown space (see GET /api/v1/spaces)"
                               : "space is required");
    }
    if (codec_shape(s, json_object_get(body, "input"), json_object_get(body, "classes"), "",
                    &shape, &err) < 0 ||
        (!json_object_get(body, "config") &&
         anas_error_field(&err, ANAS_EINVAL, "/config", "config is required") < 0) ||
        codec_config_from_json(s, json_object_get(body, "config"), "/config", &cfg, &err) < 0 ||
        !(o = describe(s, &shape, &cfg, &err))) {
        json_decref(body);
        return reply_error(rs, rq, &err);
    }
    json_decref(body);
    if (store_description(d, o) < 0) {
        json_decref(o);
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot store architecture");
    }
    return reply_json(rs, 200, o);
}

static json_t *evaluations_of(struct anasd *d, const char *hash)
{
    struct store_eval *e = NULL;
    int n = 0, i;
    json_t *a = json_array();
    if (store_eval_of_arch(d->store, hash, 1000, &e, &n) < 0)
        return a;
    for (i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:I, s:I, s:i, s:s, s:o}", "run",
                                           (json_int_t)e[i].run, "seq", (json_int_t)e[i].seq,
                                           "rep", e[i].rep, "state", e[i].state, "metrics",
                                           json_loads(e[i].metrics_json, 0, NULL)));
    store_evals_free(e, n);
    return a;
}

int api_architectures_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                          struct resp *rs)
{
    struct store_arch sa;
    const struct anas_space *s;
    struct anas_shape shape;
    struct anas_config cfg;
    struct anas_error err;
    json_t *sh, *o;
    if (store_arch_get(d->store, a->hash, &sa) < 0)
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no architecture %s", a->hash);
    anas_error_clear(&err);
    s = api_arch_space(d, sa.space, a->hash);
    sh = json_loads(sa.shape_json, 0, NULL);
    o = NULL;
    if (s && sh &&
        codec_shape(s, json_object_get(sh, "input"), json_object_get(sh, "classes"), "",
                    &shape, &err) == 0 &&
        codec_config_from_text(s, sa.config_json, &cfg) == 0)
        o = describe(s, &shape, &cfg, &err);
    json_decref(sh);
    store_arch_fini(&sa);
    if (!o)
        return reply_problem(rs, rq, 500, ANAS_EINTERNAL, NULL, "stored architecture %s is unreadable",
                             a->hash);
    json_object_set_new(o, "evaluations", evaluations_of(d, a->hash));
    return reply_json(rs, 200, o);
}
