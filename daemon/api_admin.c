/*
 * api_admin.c - the daemon's own settings, for tokens with the admin scope.
 */
#include "config.h"

#include "api.h"

#include "auth.h"
#include "reply.h"

/* The same reload as SIGHUP, for an operator who holds an admin token but
 * no shell on the daemon's host. The answer counts tokens, never shows one. */
int api_admin_reload(struct anasd *d, const struct req *rq, const struct route_args *a,
                     struct resp *rs)
{
    const struct auth_tokens *t = &d->conf.tokens;
    char why[512];
    (void)a;
    if (anasd_reload_tokens(d, "POST /api/v1/admin/reload", why, sizeof why) < 0)
        return reply_problem(rs, rq, 409, ANAS_ESTATE, NULL,
                             "%s; the tokens in force are unchanged", why);
    return reply_json(rs, 200,
                      json_pack("{s:i, s:{s:i, s:i, s:i, s:i, s:i}}", "tokens", t->n, "scopes",
                                "read", auth_count(t, AUTH_READ), "submit",
                                auth_count(t, AUTH_SUBMIT), "admin", auth_count(t, AUTH_ADMIN),
                                "metrics", auth_count(t, AUTH_METRICS), "worker",
                                auth_count(t, AUTH_WORKER)));
}
