/*
 * arch.c - fuzz target: the architecture decoder, as POST
 * /api/v1/architectures uses it: {"space", "input", "classes", "config"}
 * through codec_shape and codec_config_from_json, then the space's
 * analytic metrics, layers and hash.
 *
 * An accepted configuration must read back from its canonical JSON (as
 * the store keeps it) and the text form (codec_config_from_text) to the
 * same hash.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "core/alloc.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    return 0;
}

static void check_refusal(const struct anas_error *err)
{
    FUZZ_CHECK(err->code < 0, "refused with code %d", err->code);
    FUZZ_CHECK(err->field[0] == '\0' || err->field[0] == '/', "field '%s' is no JSON pointer",
               err->field);
}

static void read_back(const struct anas_space *s, const struct anas_shape *shape,
                      const struct anas_config *cfg)
{
    char hash[ANAS_HASH_LEN + 1], hash2[ANAS_HASH_LEN + 1];
    struct anas_config again;
    struct anas_error err;
    json_t *j = codec_config_to_json(cfg);
    char *text = j ? codec_dump(j) : NULL;

    FUZZ_CHECK(text, "no canonical JSON");
    anas_space_hash(s, shape, cfg, hash);
    anas_error_clear(&err);
    FUZZ_CHECK(codec_config_from_json(s, j, "/config", &again, &err) == 0,
               "canonical config refused: %s (%s)", err.msg, text);
    anas_space_hash(s, shape, &again, hash2);
    FUZZ_CHECK(strcmp(hash, hash2) == 0, "hash changes through JSON: %s", text);
    FUZZ_CHECK(codec_config_from_text(s, text, &again) == 0, "stored text refused: %s", text);
    anas_space_hash(s, shape, &again, hash2);
    FUZZ_CHECK(strcmp(hash, hash2) == 0, "hash changes through text: %s", text);
    free(text);
    json_decref(j);
}

static void describe(const struct anas_space *s, const struct anas_shape *shape,
                     const struct anas_config *cfg)
{
    struct anas_metrics m;
    struct anas_layer *layers = NULL;
    struct anas_error err;
    int n = 0;

    anas_metrics_init(&m);
    anas_error_clear(&err);
    if (anas_space_analytic(s, shape, cfg, &anas_mapping_default, &m, &err) < 0 ||
        anas_space_layers(s, shape, cfg, &anas_mapping_default, &layers, &n, &err) < 0) {
        check_refusal(&err);
        return;
    }
    FUZZ_CHECK(n > 0, "an architecture without layers");
    anas_free(layers);
    read_back(s, shape, cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"space", "input", "classes", "config", NULL};
    json_t *body = json_loadb((const char *)data, size, 0, NULL), *f;
    const struct anas_space *s;
    struct anas_shape shape;
    struct anas_config cfg;
    struct anas_error err;

    if (!json_is_object(body))
        goto out;
    anas_error_clear(&err);
    f = json_object_get(body, "space");
    if (codec_check_keys(body, keys, "", &err) < 0 || !json_is_string(f) ||
        !(s = anas_space_find(json_string_value(f))))
        goto out;
    if (codec_shape(s, json_object_get(body, "input"), json_object_get(body, "classes"), "",
                    &shape, &err) < 0 ||
        codec_config_from_json(s, json_object_get(body, "config"), "/config", &cfg, &err) < 0) {
        check_refusal(&err);
        goto out;
    }
    describe(s, &shape, &cfg);
out:
    json_decref(body);
    return 0;
}
