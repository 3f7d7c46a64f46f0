/*
 * auth.h - bearer tokens and their scopes (RFC 6750).
 *
 * A token file holds one token a line, then the scopes it grants,
 * separated by spaces; blank lines and lines starting with '#' are
 * skipped:
 *
 *     s3cr3t-for-ci      read submit
 *     s3cr3t-for-worker  worker
 *     s3cr3t-legacy                  (no scope: every scope but worker)
 *
 *     struct auth_tokens t = {0};
 *     if (auth_load(&t, "/etc/anasd/tokens", 0, why, sizeof why) < 0) ...
 *     unsigned scopes;
 *     if (auth_find(&t, rq->authorization, &scopes) == 0 &&
 *         (scopes & AUTH_SUBMIT)) ...
 *     auth_fini(&t);
 *
 * A token is compared in constant time against every token held, so
 * neither which token matched nor how much of it did shows in timing.
 */
#ifndef ANASD_AUTH_H
#define ANASD_AUTH_H

#include <stddef.h>

enum {
    AUTH_READ = 1 << 0,    /* read runs, spaces, surrogates, events */
    AUTH_SUBMIT = 1 << 1,  /* submit, cancel, delete (implies read) */
    AUTH_ADMIN = 1 << 2,   /* the daemon's own settings (implies all but worker) */
    AUTH_METRICS = 1 << 3, /* GET /metrics */
    AUTH_WORKER = 1 << 4,  /* lease evaluations and report their results; nothing else */
};

/* A token line without a scope: today's meaning of a token. */
#define AUTH_DEFAULT (AUTH_READ | AUTH_SUBMIT | AUTH_ADMIN | AUTH_METRICS)

struct auth_token {
    char *secret;
    unsigned scopes; /* AUTH_* bits, implications applied */
};

struct auth_tokens {
    int n;
    struct auth_token *v;
};

/* Read path's tokens and append them to t. With only_scope nonzero, a
 * line's scopes must be that one (a missing scope means it): the
 * --metrics-token-file. On error, why names the file, line and word (never
 * the token) and t is unchanged. An empty path adds nothing. */
int auth_load(struct auth_tokens *t, const char *path, unsigned only_scope, char *why,
              size_t why_len);

void auth_fini(struct auth_tokens *t);

/* The scopes of the token in an "Authorization: Bearer ..." value: 0 and
 * *scopes set when it is held, -1 when it is missing or unknown. */
int auth_find(const struct auth_tokens *t, const char *authorization, unsigned *scopes);

/* "read", "submit", ... for one AUTH_* bit. */
const char *auth_scope_name(unsigned scope);

/* Of t's tokens, how many grant `scope`. */
int auth_count(const struct auth_tokens *t, unsigned scope);

#endif
