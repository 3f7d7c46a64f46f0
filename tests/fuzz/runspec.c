/*
 * runspec.c - fuzz target: the run-spec decoder (codec_run_spec, what
 * POST /api/v1/runs validates), on any JSON value.
 *
 * The conf has a model root and a data root in the target's folder, which
 * an input names as @ROOT@/models and @ROOT@/data; the model root holds
 * files that are not models (empty, garbage, JSON that is no XGBoost model,
 * a file hostile to XGBoost).
 *
 * A refusal must name a code and a JSON pointer (or nothing); an accepted
 * spec must survive its own echo: the stored normalized JSON decodes
 * again, and echoes the same text (the daemon reloads it when a run
 * starts or resumes).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "fuzz.h"

static struct conf conf;

static char *root(const char *name)
{
    char path[600];
    char *real;

    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), name);
    if (mkdir(path, 0700) < 0 || !(real = realpath(path, NULL)))
        abort();
    return real;
}

static void shut(void)
{
    conf_fini(&conf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet();
    conf.data_roots[conf.n_data_roots++] = root("data");
    conf.model_roots[conf.n_model_roots++] = root("models");
    fuzz_models();
    atexit(shut);
    return 0;
}

static void check_refusal(const struct anas_error *err)
{
    FUZZ_CHECK(err->code < 0, "refused with code %d", err->code);
    FUZZ_CHECK(err->field[0] == '\0' || err->field[0] == '/', "field '%s' is no JSON pointer",
               err->field);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct run_spec *spec = malloc(sizeof *spec), *again = malloc(sizeof *again);
    struct anas_error err;
    size_t n = 0;
    char *text0 = fuzz_expand(data, size, &n);
    json_t *body = text0 ? json_loadb(text0, n, JSON_DECODE_ANY, NULL) : NULL;
    json_t *norm = NULL, *norm2 = NULL;
    char *text = NULL, *text2 = NULL;

    if (!spec || !again || !body)
        goto out;
    anas_error_clear(&err);
    if (codec_run_spec(&conf, body, spec, &err) < 0) {
        check_refusal(&err);
        goto out;
    }
    norm = codec_run_spec_to_json(spec);
    text = norm ? codec_dump(norm) : NULL;
    FUZZ_CHECK(text, "an accepted spec has no echo");
    anas_error_clear(&err);
    FUZZ_CHECK(codec_run_spec(&conf, norm, again, &err) == 0,
               "the echo of an accepted spec is refused: %s at %s (%s)", err.msg, err.field,
               text);
    norm2 = codec_run_spec_to_json(again);
    text2 = norm2 ? codec_dump(norm2) : NULL;
    FUZZ_CHECK(text2 && strcmp(text, text2) == 0, "the echo changes when read back:\n%s\n%s",
               text, text2 ? text2 : "(none)");
out:
    free(text);
    free(text2);
    json_decref(norm);
    json_decref(norm2);
    json_decref(body);
    free(text0);
    free(spec);
    free(again);
    return 0;
}
