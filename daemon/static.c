/*
 * static.c - the dashboard's files, served read-only next to the API.
 *
 * Three folders are mounted: the dashboard itself at /, Chart.js (Debian's
 * libjs-chart.js) at /vendor/chart.js/ and the example run specs at
 * /examples/, where the folder itself answers with the list of its specs so
 * that the submit page can offer them. Anything under /api/ is never a file.
 *
 * A path is percent-decoded once (RFC 3986 §2.1), and refused when a segment
 * is empty, "." or ".." or starts with a dot: a traversal spelled /../ or
 * /%2e%2e/ never reaches the file system. The resolved path must then lie
 * inside the folder's resolved path (conf_path_in_roots), so that a symlink
 * inside the folder cannot lead out of it either. Files are read whole: they
 * are small (Chart.js, the largest, is 200 kB minified).
 */
#include "config.h"

#include "static.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "anasd.h"
#include "core/log.h"
#include "reply.h"

/* Larger files are not dashboard material; refusing them bounds memory. */
#define STATIC_MAX_FILE (16L << 20)

struct mount {
    const char *prefix; /* ends with '/' */
    const char *root;
    int lists_json;     /* the folder itself answers with its *.json names */
};

struct mime {
    const char *ext;
    const char *type;
};

/* text/javascript per RFC 9239; UTF-8 spelled out so no browser guesses. */
static const struct mime mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/vnd.microsoft.icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
};

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    size_t i;

    if (dot && !strchr(dot, '/'))
        for (i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
            if (strcmp(dot, mimes[i].ext) == 0)
                return mimes[i].type;
    return "application/octet-stream";
}

static int hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX; a malformed escape or a decoded NUL or backslash refuses. */
static int decode(const char *in, char *out, size_t out_len)
{
    size_t n = 0;

    for (; *in; in++) {
        int c = (unsigned char)*in;
        if (c == '%') {
            int hi = hex(in[1]), lo = hi < 0 ? -1 : hex(in[2]);
            if (lo < 0)
                return ANAS_EINVAL;
            c = hi * 16 + lo;
            in += 2;
        }
        if (c == '\0' || c == '\\' || n + 1 >= out_len)
            return ANAS_EINVAL;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* Every segment a plain name: no "", ".", ".." or hidden file. */
static int segments_ok(const char *rel)
{
    const char *s = rel;

    while (*s) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0 || s[0] == '.')
            return 0;
        s += len + (e != NULL);
    }
    return 1;
}

static int read_whole(const char *path, char **out, size_t *len)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return ANAS_ENOTFOUND;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE) {
        close(fd);
        return ANAS_ENOTFOUND;
    }
    buf = malloc((size_t)st.st_size + 1);
    while (buf && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!buf || got != (size_t)st.st_size) {
        free(buf);
        return buf ? ANAS_EIO : ANAS_ENOMEM;
    }
    *out = buf;
    *len = got;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* {"items": ["a.json", ...]}, sorted by name. */
static int list_json(const struct req *rq, struct resp *rs, const char *root)
{
    DIR *dir = opendir(root);
    struct dirent *de;
    char *names[256];
    int n = 0, i;
    json_t *items = json_array();

    while (dir && n < 256 && (de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
            if ((names[n] = strdup(de->d_name)))
                n++;
    }
    if (dir)
        closedir(dir);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    for (i = 0; i < n; i++) {
        json_array_append_new(items, json_string(names[i]));
        free(names[i]);
    }
    if (!dir) {
        json_decref(items);
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such file: %s", rq->path);
    }
    return reply_json(rs, 200, json_pack("{s:o}", "items", items));
}

static int serve_file(const struct req *rq, struct resp *rs, const struct mount *m,
                      const char *rel)
{
    char root[CONF_PATH_MAX], path[CONF_PATH_MAX], real[CONF_PATH_MAX];
    char *roots[1] = {root}, *body = NULL;
    size_t len = 0;
    int rc;

    if (!realpath(m->root, root))
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such file: %s", rq->path);
    if (m->lists_json && rel[0] == '\0')
        return list_json(rq, rs, root);
    if (rel[0] == '\0')
        rel = "index.html";
    rc = snprintf(path, sizeof path, "%s/%s", root, rel) >= (int)sizeof path
             ? ANAS_ENOTFOUND
             : conf_path_in_roots(roots, 1, path, real, sizeof real);
    if (rc == 0)
        rc = read_whole(real, &body, &len);
    if (rc == ANAS_ENOMEM || rc == ANAS_EIO)
        return reply_problem(rs, rq, 500, ANAS_EINTERNAL, NULL, "cannot read %s", rq->path);
    if (rc < 0)
        return reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such file: %s", rq->path);
    return reply_text(rs, 200, mime_of(real), body, len);
}

int static_serve(struct anasd *d, const struct req *rq, struct resp *rs)
{
    const struct mount mounts[] = {
        {"/vendor/chart.js/", d->conf.chartjs_root, 0},
        {"/examples/", d->conf.examples_root, 1},
        {"/", d->conf.www_root, 0},
    };
    char path[CONF_PATH_MAX];
    size_t i;

    if (strncmp(rq->path, "/api/", 5) == 0 || strcmp(rq->path, "/api") == 0)
        return 0;
    if (decode(rq->path, path, sizeof path) < 0) {
        reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such file: %s", rq->path);
        return 1;
    }
    if (strcmp(path, "/examples") == 0)
        strcat(path, "/");
    for (i = 0; i < sizeof mounts / sizeof mounts[0]; i++) {
        size_t pl = strlen(mounts[i].prefix);
        const char *rel = path + pl;
        if (strncmp(path, mounts[i].prefix, pl) != 0)
            continue;
        if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
            snprintf(rs->allow, sizeof rs->allow, "GET, HEAD");
            reply_problem(rs, rq, 405, ANAS_EMETHOD, NULL,
                          "%s is not allowed on %s (allowed: GET, HEAD)", rq->method, rq->path);
        } else if (!mounts[i].root[0] || (rel[0] && !segments_ok(rel))) {
            reply_problem(rs, rq, 404, ANAS_ENOTFOUND, NULL, "no such file: %s", rq->path);
        } else {
            serve_file(rq, rs, &mounts[i], rel);
        }
        return 1;
    }
    return 0;
}
