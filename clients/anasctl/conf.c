/*
 * conf.c - where anasctl finds its server and token: --url/--token, else
 * ANASD_URL/ANASD_TOKEN, else $XDG_CONFIG_HOME/anasctl/config
 * (~/.config/anasctl/config) with `url = ...` and `token = ...` lines.
 */
#include "config.h"

#include "anasctl.h"
#include "conf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int config_path(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        return snprintf(buf, len, "%s/anasctl/config", xdg) < (int)len ? 0 : -1;
    if (home && *home)
        return snprintf(buf, len, "%s/.config/anasctl/config", home) < (int)len ? 0 : -1;
    return -1;
}

/* Reads the file when it exists; a line it does not know is an error. */
int conf_load(struct conf *cf)
{
    char path[4096], line[4096];
    if (config_path(path, sizeof path) < 0)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int lineno = 0, rc = 0, has_token = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        char *eq = strchr(l, '=');
        if (eq)
            *eq = '\0';
        char *key = trim(l), *val = eq ? trim(eq + 1) : NULL;
        char **slot = !strcmp(key, "url") ? &cf->url : !strcmp(key, "token") ? &cf->token : NULL;
        if (!slot || !val || !*val) {
            fprintf(stderr, "error: %s:%d: expected 'url = ...' or 'token = ...'\n", path, lineno);
            rc = -1;
            break;
        }
        free(*slot);
        *slot = strdup(val);
        has_token |= slot == &cf->token;
    }
    struct stat st;
    if (!rc && has_token && fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "warning: %s holds a token and is readable by others (chmod 600 it)\n",
                path);
    fclose(f);
    return rc;
}

void conf_free(struct conf *cf)
{
    if (cf->token)
        memset(cf->token, 0, strlen(cf->token));
    free(cf->url);
    free(cf->token);
    cf->url = cf->token = NULL;
}
