/*
 * replay.c - the main() of a fuzz target built without libFuzzer: feeds
 * each file of the target's seed corpus to LLVMFuzzerTestOneInput, one
 * TAP line per file, so `make check` replays the corpora in every
 * configuration (gcc, ASan+UBSan, valgrind, distcheck) without clang.
 *
 *     tests/fuzz/fuzz-http               # every file of $ANAS_SRCDIR/tests/fuzz/corpus/http
 *     tests/fuzz/fuzz-http FILE|DIR...   # these (e.g. a crash-* file)
 *
 * The corpus is named after the program (fuzz-NAME). A crash or a broken
 * invariant aborts, which the harness reports as a failed test.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Targets without state have no initializer. */
#pragma weak LLVMFuzzerInitialize

static int n_run;

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long len;

    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)len + 1)) &&
        fread(b, 1, (size_t)len, f) == (size_t)len) {
        *n = (size_t)len;
    } else {
        free(b);
        b = NULL;
    }
    if (f)
        fclose(f);
    return b;
}

static int replay_file(const char *path, const char *label)
{
    size_t n = 0;
    unsigned char *b = slurp(path, &n);

    if (!b) {
        printf("not ok %d - %s: cannot read\n", ++n_run, label);
        return 1;
    }
    /* A copy of exactly n bytes: ASan catches a read past the input. */
    unsigned char *exact = malloc(n ? n : 1);
    if (n)
        memcpy(exact, b, n);
    free(b);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    printf("ok %d - %s\n", ++n_run, label);
    fflush(stdout);
    return 0;
}

static int replay_dir(const char *dir)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), i, bad = 0;

    if (n < 0) {
        printf("not ok %d - %s: cannot list\n", ++n_run, dir);
        return 1;
    }
    for (i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            bad |= replay_file(path, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return bad;
}

static int replay(const char *path)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return replay_dir(path);
    return replay_file(path, path);
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/'), *src = getenv("ANAS_SRCDIR");
    char dir[4096];
    int i, bad = 0;

    base = base ? base + 1 : argv[0];
    if (strncmp(base, "fuzz-", 5) == 0)
        base += 5;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1) {
        for (i = 1; i < argc; i++)
            bad |= replay(argv[i]);
    } else {
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src ? src : FUZZ_SRCDIR, base);
        bad = replay_dir(dir);
    }
    printf("1..%d\n", n_run);
    return bad;
}
