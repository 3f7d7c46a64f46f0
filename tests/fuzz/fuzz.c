/*
 * fuzz.c - the targets' shared helpers (fuzz.h).
 */
#include "config.h"

#include "fuzz.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

static char dir[512];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static void remove_dir(void)
{
    if (dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
    const char *tmp = getenv("TMPDIR");

    if (dir[0])
        return dir;
    snprintf(dir, sizeof dir, "%s/anas-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(remove_dir);
    return dir;
}

int fuzz_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return 0;
}

char *fuzz_cstr(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);

    if (s) {
        if (n)
            memcpy(s, data, n);
        s[n] = '\0';
    }
    return s;
}

char *fuzz_expand(const uint8_t *data, size_t n, size_t *n_out)
{
    static const char mark[] = "@ROOT@";
    const size_t ml = sizeof mark - 1, dl = strlen(fuzz_dir());
    size_t i, k = 0, hits = 0;
    char *s;

    for (i = 0; i + ml <= n; i++)
        if (memcmp(data + i, mark, ml) == 0)
            hits++, i += ml - 1;
    s = malloc(n + hits * dl + 1);
    if (!s)
        return NULL;
    for (i = 0; i < n;) {
        if (i + ml <= n && memcmp(data + i, mark, ml) == 0) {
            memcpy(s + k, dir, dl);
            k += dl;
            i += ml;
        } else {
            s[k++] = (char)data[i++];
        }
    }
    s[k] = '\0';
    *n_out = k;
    return s;
}

void fuzz_models(void)
{
    /* Garbage XGBoost rejects at once, and a file hostile to it: a UBJSON
     * key of 25.7 GB in 16 bytes, which it would allocate if
     * anas_surrogate_check() let it through. */
    static const char garbage[] = "binf\x01\x02not a model at all\n";
    static const char hostile[] = "{L\x00\x00\x00\x06\x00\x00\x00\x00" "abcdef";
    char p[700];

    snprintf(p, sizeof p, "%s/models/empty.bst", fuzz_dir());
    fuzz_write(p, "", 0);
    snprintf(p, sizeof p, "%s/models/garbage.bst", fuzz_dir());
    fuzz_write(p, garbage, sizeof garbage - 1);
    snprintf(p, sizeof p, "%s/models/hostile.bst", fuzz_dir());
    fuzz_write(p, hostile, sizeof hostile - 1);
    snprintf(p, sizeof p, "%s/models/notxgb.json", fuzz_dir());
    fuzz_write(p, "{\"learner\": {\"gradient_booster\": {}}, \"version\": [1, 7, 0]}", 59);
    snprintf(p, sizeof p, "%s/models/dir.bst", fuzz_dir());
    if (mkdir(p, 0700) < 0)
        abort();
}

static void drop(enum anas_log_level level, const char *msg, void *ctx)
{
    (void)level;
    (void)msg;
    (void)ctx;
}

void fuzz_quiet(void)
{
    anas_log_set_handler(drop, NULL);
}
