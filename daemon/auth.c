/*
 * auth.c - token files and constant-time lookup. Scopes follow RFC 6750
 * §3.1: a known token without the scope a resource needs is a 403, an
 * unknown one a 401 (route.c decides which).
 */
#include "config.h"

#include "auth.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} scopes[] = {
    {"read", AUTH_READ},       {"submit", AUTH_SUBMIT}, {"admin", AUTH_ADMIN},
    {"metrics", AUTH_METRICS}, {"worker", AUTH_WORKER},
};

#define N_SCOPES ((int)(sizeof scopes / sizeof scopes[0]))

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

const char *auth_scope_name(unsigned scope)
{
    int i;
    for (i = 0; i < N_SCOPES; i++)
        if (scopes[i].bit == scope)
            return scopes[i].name;
    return "?";
}

/* submit reads what it submits; admin may do all a person may. A worker
 * token gets nothing more than leases: it runs on cluster nodes, where it
 * is the most exposed secret. */
static unsigned implied(unsigned s)
{
    if (s & AUTH_ADMIN)
        s |= AUTH_DEFAULT;
    if (s & AUTH_SUBMIT)
        s |= AUTH_READ;
    return s;
}

/* Splits line into its token and scopes. Returns 0, or -1 with why. */
static int parse_line(char *line, unsigned only_scope, char **secret, unsigned *out,
                      const char *path, int lineno, char *why, size_t n)
{
    char *save = NULL, *word;
    unsigned s = 0;
    int i;

    *secret = strtok_r(line, " \t", &save);
    while ((word = strtok_r(NULL, " \t", &save))) {
        for (i = 0; i < N_SCOPES && strcmp(word, scopes[i].name) != 0; i++)
            ;
        if (i == N_SCOPES)
            return fail(why, n,
                        "token file %s, line %d: unknown scope '%.32s' (read, submit, admin, "
                        "metrics, worker)",
                        path, lineno, word);
        if (only_scope && scopes[i].bit != only_scope)
            return fail(why, n, "token file %s, line %d: only the '%s' scope is allowed here",
                        path, lineno, auth_scope_name(only_scope));
        s |= scopes[i].bit;
    }
    if (s == 0)
        s = only_scope ? only_scope : AUTH_DEFAULT;
    *out = implied(s);
    return 0;
}

static int append(struct auth_tokens *t, const char *secret, unsigned s)
{
    struct auth_token *grown = realloc(t->v, sizeof *grown * (size_t)(t->n + 1));
    if (!grown)
        return -1;
    t->v = grown;
    if (!(grown[t->n].secret = strdup(secret)))
        return -1;
    grown[t->n++].scopes = s;
    return 0;
}

/* Moves all of from's tokens to the end of t, or none. */
static int take(struct auth_tokens *t, struct auth_tokens *from)
{
    struct auth_token *grown = realloc(t->v, sizeof *grown * (size_t)(t->n + from->n));
    if (!grown)
        return -1;
    memcpy(grown + t->n, from->v, sizeof *grown * (size_t)from->n);
    t->v = grown;
    t->n += from->n;
    from->n = 0;
    return 0;
}

int auth_load(struct auth_tokens *t, const char *path, unsigned only_scope, char *why,
              size_t why_len)
{
    struct auth_tokens add = {0, NULL};
    char line[1024];
    int lineno = 0, rc = 0;
    FILE *f;

    if (!path[0])
        return 0;
    if (!(f = fopen(path, "r")))
        return fail(why, why_len, "token file %s: %s", path, strerror(errno));
    while (rc == 0 && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        char *secret = NULL;
        unsigned s = 0;
        lineno++;
        line[len] = '\0';
        if (strspn(line, " \t") == len || line[0] == '#')
            continue;
        rc = parse_line(line, only_scope, &secret, &s, path, lineno, why, why_len);
        if (rc == 0 && append(&add, secret, s) < 0)
            rc = fail(why, why_len, "out of memory reading tokens");
    }
    fclose(f);
    if (rc == 0 && add.n == 0)
        rc = fail(why, why_len, "token file %s holds no token", path);
    if (rc == 0)
        rc = take(t, &add) < 0 ? fail(why, why_len, "out of memory reading tokens") : 0;
    auth_fini(&add);
    return rc;
}

void auth_fini(struct auth_tokens *t)
{
    int i;
    for (i = 0; i < t->n; i++)
        free(t->v[i].secret);
    free(t->v);
    t->n = 0;
    t->v = NULL;
}

/* Every token is compared whole, whatever matched before, and a match
 * selects its scopes through a mask rather than a branch. */
int auth_find(const struct auth_tokens *t, const char *authorization, unsigned *out)
{
    const char *given;
    size_t gl;
    unsigned found = 0, s = 0;
    int i;

    if (!authorization || strncmp(authorization, "Bearer ", 7) != 0)
        return -1;
    given = authorization + 7;
    gl = strlen(given);
    for (i = 0; i < t->n; i++) {
        const char *secret = t->v[i].secret;
        size_t k, n = strlen(secret);
        unsigned diff = n != gl, hit;
        for (k = 0; k < n; k++)
            diff |= (unsigned char)(secret[k] ^ (k < gl ? given[k] : 0));
        hit = 0u - (unsigned)(diff == 0);
        found |= hit & 1u;
        s |= hit & t->v[i].scopes;
    }
    if (!found)
        return -1;
    *out = s;
    return 0;
}

int auth_count(const struct auth_tokens *t, unsigned scope)
{
    int i, n = 0;
    for (i = 0; i < t->n; i++)
        n += (t->v[i].scopes & scope) != 0;
    return n;
}
