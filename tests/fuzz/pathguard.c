/*
 * pathguard.c - fuzz target: the path guard that keeps surrogate model
 * files (evaluator.models, XGBoost) inside --model-root and datasets
 * inside --data-root: conf_path_in_roots().
 *
 * The roots live in a folder made for the run, next to a sibling whose
 * name extends a root's (models-evil), with symlinks that lead out of a
 * root, into it, and in a loop. An input not starting with '/' is taken
 * relative to that folder (the fuzzer cannot know its name), except
 * "./..." which stays relative (and must be refused).
 *
 * Invariants: the answer is 0, ANAS_ENOTFOUND or ANAS_EDENIED; 0 only
 * for a path that resolves inside a root, with that resolved path
 * written; a path that resolves inside a root is never refused; and
 * ANAS_ENOTFOUND only for a path that does not resolve.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "core/err.h"
#include "fuzz.h"

static char *roots[2];

static void at(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", fuzz_dir(), name);
}

static void shut(void)
{
    free(roots[0]);
    free(roots[1]);
}

static void make(void)
{
    static const char *const dirs[] = {"models", "models/sub", "models-evil", "data",
                                       "outside"};
    static const char *const files[] = {"models/m.json", "models/sub/n.json",
                                        "models-evil/x.json", "outside/secret"};
    static const char *const links[][2] = {
        {"../outside", "models/out"},      {"../outside/secret", "models/leak"},
        {"m.json", "models/alias"},        {"loop", "models/loop"},
        {"../models/m.json", "data/model"}, {"/", "models/slash"},
    };
    char p[700], t[700];
    size_t i;

    for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        at(p, sizeof p, dirs[i]);
        if (mkdir(p, 0700) < 0)
            abort();
    }
    for (i = 0; i < sizeof files / sizeof *files; i++) {
        at(p, sizeof p, files[i]);
        fuzz_write(p, "{}", 2);
    }
    for (i = 0; i < sizeof links / sizeof *links; i++) {
        at(p, sizeof p, links[i][1]);
        snprintf(t, sizeof t, "%s", links[i][0]);
        if (symlink(t, p) < 0)
            abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char p[700];

    (void)argc;
    (void)argv;
    make();
    at(p, sizeof p, "models");
    roots[0] = realpath(p, NULL);
    at(p, sizeof p, "data");
    roots[1] = realpath(p, NULL);
    if (!roots[0] || !roots[1])
        abort();
    atexit(shut);
    return 0;
}

static int inside(const char *real)
{
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(roots[i]);
        if (strncmp(real, roots[i], n) == 0 && (real[n] == '/' || real[n] == '\0'))
            return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstr(data, size), *path, *real;
    char out[CONF_PATH_MAX];
    int rc;

    if (!in || strlen(in) != size || size > CONF_PATH_MAX) {
        free(in);
        return 0;
    }
    if (in[0] == '/' || strncmp(in, "./", 2) == 0) {
        path = in;
    } else {
        path = malloc(strlen(fuzz_dir()) + size + 2);
        sprintf(path, "%s/%s", fuzz_dir(), in);
    }
    out[0] = '\0';
    rc = conf_path_in_roots(roots, 2, path, out, sizeof out);
    real = path[0] == '/' ? realpath(path, NULL) : NULL;
    FUZZ_CHECK(rc == 0 || rc == ANAS_ENOTFOUND || rc == ANAS_EDENIED, "rc %d for %s", rc,
               path);
    if (rc == 0)
        FUZZ_CHECK(real && strcmp(out, real) == 0 && inside(out),
                   "%s accepted as %s", path, out);
    if (real && inside(real))
        FUZZ_CHECK(rc == 0, "%s resolves to %s, inside a root, but is refused (%d)", path,
                   real, rc);
    if (rc == ANAS_ENOTFOUND)
        FUZZ_CHECK(!real, "%s exists (%s) but is 'not found'", path, real);
    if (path[0] != '/')
        FUZZ_CHECK(rc == ANAS_EDENIED, "relative %s not refused", path);
    free(real);
    if (path != in)
        free(path);
    free(in);
    return 0;
}
