/*
 * api_presets.c - the hardware presets a train evaluator can start from,
 * each with its whole configuration, the analog evaluator's defaults, and
 * the analog training presets (analog_training) with theirs.
 */
#include "config.h"

#include "api.h"

#include "codec_int.h"
#include "reply.h"

static json_t *times_to_json(const struct anas_eval_analog *a)
{
    json_t *t = json_array();
    int i;
    for (i = 0; t && i < a->n_times; i++)
        json_array_append_new(t, json_string(a->time_names[i]));
    return t;
}

/* analog_training's presets: name, doc and the whole configuration. */
static json_t *training_presets(void)
{
    json_t *items = json_array();
    const char *name;
    int i;
    for (i = 0; items && (name = anas_pulsed_preset_name(i)); i++) {
        struct anas_analog_training tc;
        json_t *whole;
        anas_pulsed_preset(name, &tc);
        /* the echo's {preset, overrides}: its overrides are every field */
        whole = codec__analog_training_to_json(&tc);
        json_array_append_new(items, json_pack("{s:s, s:s, s:O}", "name", name, "doc",
                                               anas_pulsed_preset_doc(i), "config",
                                               json_object_get(whole, "overrides")));
        json_decref(whole);
    }
    return items;
}

int api_presets_list(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs)
{
    struct anas_eval_analog def;
    json_t *items = json_array(), *def_hw;
    const char *name, *def_name = NULL;
    int i;
    anas_eval_analog_init(&def);
    def_hw = codec__hardware_to_json(&def.hw);
    for (i = 0; items && (name = anas_analog_preset_name(i)); i++) {
        struct anas_analog_config cfg;
        json_t *c;
        anas_analog_preset(name, &cfg);
        c = codec__hardware_to_json(&cfg);
        /* The library's default is a configuration; its name is the
         * preset that equals it. */
        if (!def_name && c && json_equal(c, def_hw))
            def_name = name;
        json_array_append_new(items, json_pack("{s:s, s:s, s:o}", "name", name, "doc",
                                               anas_analog_preset_doc(i), "config", c));
    }
    json_decref(def_hw);
    return reply_json(rs, 200,
                      json_pack("{s:o, s:{s:b, s:o, s:i, s:s?}, s:o}", "items", items,
                                "evaluator_defaults", "hwa", def.hwa, "drift_times",
                                times_to_json(&def), "repeats", def.repeats, "preset", def_name,
                                "analog_training", training_presets()));
}
