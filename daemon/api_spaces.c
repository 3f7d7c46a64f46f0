/*
 * api_spaces.c - search spaces and optimizers: what can be searched, and
 * random samples from a space with their analytic metrics.
 */
#include "config.h"

#include "api.h"

#include <string.h>
#include <time.h>

#include "codec.h"
#include "reply.h"

int api_spaces_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                    struct resp *rs)
{
    json_t *items = json_array();
    int i;
    for (i = 0; i < anas_space_count(); i++)
        json_array_append_new(items, codec_space_to_json(anas_space_at(i), 0));
    return reply_json(rs, 200, json_pack("{s:o}", "items", items));
}

static const struct anas_space *space_or_404(const struct req *rq, struct resp *rs,
                                             const char *name)
{
    const struct anas_space *s = anas_space_find(name);
    if (!s)
        reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no space named '%s'", name);
    return s;
}

int api_spaces_get(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs)
{
    const struct anas_space *s = space_or_404(rq, rs, a->name);
    return s ? reply_json(rs, 200, codec_space_to_json(s, 1)) : 0;
}

/* One sampled architecture with its hash and analytic metrics. */
static json_t *sample_item(const struct anas_space *s, const struct anas_shape *shape,
                           const struct anas_config *cfg)
{
    char hash[ANAS_HASH_LEN + 1];
    struct anas_metrics m;
    anas_metrics_init(&m);
    anas_space_hash(s, shape, cfg, hash);
    anas_space_analytic(s, shape, cfg, &anas_mapping_default, &m, NULL);
    return json_pack("{s:s, s:o, s:o}", "hash", hash, "config", codec_config_to_json(cfg),
                     "metrics", codec_metrics_to_json(&m));
}

int api_spaces_sample(struct anasd *d, const struct req *rq, const struct route_args *a,
                      struct resp *rs)
{
    static const char *const keys[] = {"n", "seed", "input", "classes", NULL};
    const struct anas_space *s = space_or_404(rq, rs, a->name);
    json_t *body, *items, *v;
    struct anas_shape shape;
    struct anas_error err;
    struct anas_rng rng;
    const char *key;
    long long n = 1, seed = (long long)time(NULL) ^ (long long)clock();
    int i;
    if (!s || !(body = api_body(rq, rs, 1)))
        return 0;
    anas_error_clear(&err);
    if (codec_check_keys(body, keys, "", &err) < 0) {
        json_decref(body);
        return reply_error(rs, rq, &err);
    }
    json_object_foreach(body, key, v)
    {
        if ((strcmp(key, "n") == 0 || strcmp(key, "seed") == 0) && !json_is_integer(v)) {
            anas_error_field(&err, ANAS_ETYPE, strcmp(key, "n") ? "/seed" : "/n",
                             "%s must be an integer", key);
            json_decref(body);
            return reply_error(rs, rq, &err);
        }
    }
    if ((v = json_object_get(body, "n")))
        n = json_integer_value(v);
    if ((v = json_object_get(body, "seed")))
        seed = json_integer_value(v);
    if (n < 1 || n > 1000 || seed < 0) {
        json_decref(body);
        return reply_problem(rs, rq, 422, ANAS_ERANGE, n < 1 || n > 1000 ? "/n" : "/seed",
                             "n must be 1..1000 and seed non-negative");
    }
    if (codec_shape(s, json_object_get(body, "input"), json_object_get(body, "classes"), "",
                    &shape, &err) < 0) {
        json_decref(body);
        return reply_error(rs, rq, &err);
    }
    json_decref(body);
    anas_rng_seed(&rng, (uint64_t)seed);
    items = json_array();
    for (i = 0; i < n; i++) {
        struct anas_config cfg;
        anas_space_sample(s, &rng, &cfg);
        json_array_append_new(items, sample_item(s, &shape, &cfg));
    }
    return reply_json(rs, 200, json_pack("{s:o}", "items", items));
}

int api_optimizers_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                        struct resp *rs)
{
    json_t *items = json_array();
    int i;
    for (i = 0; i < anas_search_count(); i++)
        json_array_append_new(items, codec_optimizer_to_json(anas_search_at(i)));
    return reply_json(rs, 200, json_pack("{s:o}", "items", items));
}
