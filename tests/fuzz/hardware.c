/*
 * hardware.c - fuzz target: the analog hardware decoder (codec__hardware:
 * a preset name, or {"preset", "overrides"} with aihwkit's field names),
 * what a train evaluator's "hardware" and the rpu evaluator read.
 *
 * A refusal names a code and a pointer under /hardware; an accepted
 * configuration, echoed whole (codec__hardware_to_json, what a run's spec
 * stores) and read back as overrides, is the same configuration.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "codec_int.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *echo = NULL;
    json_t *wrapped = NULL, *echo2 = NULL;
    struct anas_analog_config cfg, again;
    struct anas_error err;

    if (!v)
        return 0;
    anas_error_clear(&err);
    if (codec__hardware(v, "/hardware", &cfg, &err) < 0) {
        FUZZ_CHECK(err.code < 0 && strncmp(err.field, "/hardware", 9) == 0,
                   "refusal with code %d at '%s'", err.code, err.field);
        goto out;
    }
    echo = codec__hardware_to_json(&cfg);
    FUZZ_CHECK(echo, "no echo");
    wrapped = json_pack("{s:O}", "overrides", echo);
    anas_error_clear(&err);
    FUZZ_CHECK(codec__hardware(wrapped, "/hardware", &again, &err) == 0,
               "the echo is refused: %s at %s", err.msg, err.field);
    echo2 = codec__hardware_to_json(&again);
    FUZZ_CHECK(json_equal(echo, echo2), "the echo changes when read back");
out:
    json_decref(v);
    json_decref(echo);
    json_decref(echo2);
    json_decref(wrapped);
    return 0;
}
