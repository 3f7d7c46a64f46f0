/*
 * daemon-auth.c - token files: scopes and what they imply, the lines that
 * are refused (without the token in the message), and lookup.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "tap.h"

static char dir[] = "/tmp/anas-auth-XXXXXX";

static const char *file_with(const char *name, const char *text)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

static unsigned scopes_of(const struct auth_tokens *t, const char *bearer)
{
    char h[256];
    unsigned s = 0;
    snprintf(h, sizeof h, "Bearer %s", bearer);
    return auth_find(t, h, &s) == 0 ? s : 0xdead;
}

static void test_scopes(void)
{
    struct auth_tokens t = {0, NULL};
    char why[256] = "";
    const char *p = file_with("tokens", "# comment\n\n"
                                        "legacy\n"
                                        "reader read\n"
                                        "submitter  submit\n"
                                        "admin-tok\tadmin\n"
                                        "scraper metrics\n"
                                        "worker-tok worker\n"
                                        "both read worker\r\n"
                                        "   \n");
    is_int(auth_load(&t, p, 0, why, sizeof why), 0, "a file with every scope loads");
    is_int(t.n, 7, "... 7 tokens, comments and blank lines skipped");
    is_int((int)scopes_of(&t, "legacy"), AUTH_DEFAULT, "no scope: every scope but worker");
    is_int((int)scopes_of(&t, "reader"), AUTH_READ, "read is read only");
    is_int((int)scopes_of(&t, "submitter"), AUTH_READ | AUTH_SUBMIT, "submit implies read");
    is_int((int)scopes_of(&t, "admin-tok"), AUTH_DEFAULT, "admin implies all but worker");
    is_int((int)scopes_of(&t, "scraper"), AUTH_METRICS, "metrics is metrics only");
    is_int((int)scopes_of(&t, "worker-tok"), AUTH_WORKER, "worker is worker only");
    is_int((int)scopes_of(&t, "both"), AUTH_READ | AUTH_WORKER, "scopes add up; CRLF is a line end");
    is_int((int)scopes_of(&t, "read"), 0xdead, "a scope's name is not a token");
    is_int((int)scopes_of(&t, "readex"), 0xdead, "a token of the same length that differs is refused");
    is_int((int)scopes_of(&t, "readerr"), 0xdead, "a longer token is refused");
    is_int((int)scopes_of(&t, "reader "), 0xdead, "a trailing space is part of the token");
    is_int((int)scopes_of(&t, "reade"), 0xdead, "a prefix is refused");
    is_int((int)scopes_of(&t, ""), 0xdead, "an empty token is refused");
    {
        unsigned s;
        ok(auth_find(&t, "Basic cmVhZGVy", &s) < 0, "another scheme is refused");
        ok(auth_find(&t, NULL, &s) < 0, "no header is refused");
    }
    is_int(auth_count(&t, AUTH_READ), 5, "5 tokens may read");
    is_int(auth_count(&t, AUTH_WORKER), 2, "2 tokens may lease");
    ok(strcmp(auth_scope_name(AUTH_SUBMIT), "submit") == 0, "scope names");
    auth_fini(&t);
}

static void test_refused(void)
{
    struct auth_tokens t = {0, NULL};
    char why[256] = "";
    const char *p;

    p = file_with("first", "one\n");
    is_int(auth_load(&t, p, 0, why, sizeof why), 0, "a first file loads");
    p = file_with("bad", "good-token read\nsecret-xyz read writer\n");
    is_int(auth_load(&t, p, 0, why, sizeof why), -1, "an unknown scope is refused");
    ok(strstr(why, "line 2") && strstr(why, "'writer'"), "... naming its line and word (%s)", why);
    ok(!strstr(why, "secret-xyz"), "... and never the token");
    is_int(t.n, 1, "... and nothing of that file is added");

    p = file_with("metrics", "scrape\nscrape2 metrics\n");
    is_int(auth_load(&t, p, AUTH_METRICS, why, sizeof why), 0, "a metrics file loads");
    is_int((int)scopes_of(&t, "scrape"), AUTH_METRICS, "its tokens are metrics only");
    p = file_with("metrics-bad", "scrape3 submit\n");
    is_int(auth_load(&t, p, AUTH_METRICS, why, sizeof why), -1,
           "another scope in the metrics file is refused");
    ok(strstr(why, "only the 'metrics' scope") != NULL, "... saying so (%s)", why);

    p = file_with("empty", "# nothing\n\n");
    is_int(auth_load(&t, p, 0, why, sizeof why), -1, "a file without a token is refused");
    is_int(auth_load(&t, "/nonexistent/tokens", 0, why, sizeof why), -1, "a missing file too");
    is_int(auth_load(&t, "", 0, why, sizeof why), 0, "no file adds nothing");
    is_int(t.n, 3, "3 tokens in all");
    auth_fini(&t);
    is_int(t.n, 0, "fini empties");
}

int main(void)
{
    plan_later();
    if (!mkdtemp(dir))
        return 1;
    test_scopes();
    test_refused();
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return done();
}
