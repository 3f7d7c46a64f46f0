/*
 * conf.c - one table of options shared by the JSON config file and the
 * command line, so that a setting has one name, one type and one range.
 * The file is read first; the command line overrides it.
 */
#include "config.h"

#include "conf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/err.h"

enum opt_type { OPT_LISTEN, OPT_STR, OPT_INT, OPT_ROOTS, OPT_LEVEL };

struct opt {
    const char *cli;  /* --name */
    const char *json; /* key in the config file */
    enum opt_type type;
    size_t off;       /* offset in struct conf */
    size_t len;       /* buffer length for strings */
    long lo, hi;      /* bounds for integers */
    const char *arg;
    const char *help;
};

#define OFF(f) offsetof(struct conf, f)

static const struct opt opts[] = {
    {"listen", "listen", OPT_LISTEN, 0, 0, 0, 0, "ADDR:PORT",
     "address and port to listen on (default 127.0.0.1:8080; port 0 picks a free one)"},
    {"db", "db", OPT_STR, OFF(db), CONF_PATH_MAX, 0, 0, "PATH",
     "SQLite database (default ./anasd.db)"},
    {"workers", "workers", OPT_INT, OFF(workers), 0, 0, 256, "N",
     "evaluations at once (default: number of CPUs; 0: remote workers only), each "
     "on OPENBLAS_NUM_THREADS threads, at most CPUs / N"},
    {"lease-timeout", "lease_timeout", OPT_INT, OFF(lease_timeout), 0, 1, 86400, "SECONDS",
     "a remote worker's lease ends without a heartbeat (default 60)"},
    {"max-runs", "max_runs", OPT_INT, OFF(max_runs), 0, 1, 256, "N",
     "runs executing at once (default 2)"},
    {"max-queued", "max_queued", OPT_INT, OFF(max_queued), 0, 1, 1000000, "N",
     "queued runs accepted before answering 429 (default 100)"},
    {"max-streams", "max_streams", OPT_INT, OFF(max_streams), 0, 0, 192, "N",
     "event streams open at once before answering 503 (default 64; 0: none)"},
    {"sse-heartbeat", "sse_heartbeat", OPT_INT, OFF(sse_heartbeat), 0, 1, 3600, "SECONDS",
     "silence on an event stream before a heartbeat comment (default 15)"},
    {"max-connections", "max_connections", OPT_INT, OFF(max_connections), 0, 1, 65536, "N",
     "client connections open at once; more wait to be accepted (default 256)"},
    {"request-timeout", "request_timeout", OPT_INT, OFF(request_timeout), 0, 1, 3600,
     "SECONDS", "time a client has to send a request, and most it may stay silent\n"
     "                         (default 30)"},
    {"max-body", "max_body", OPT_INT, OFF(max_body), 0, 1024, 1L << 30, "BYTES",
     "largest request body (default 1048576)"},
    {"token-file", "token_file", OPT_STR, OFF(token_file), CONF_PATH_MAX, 0, 0, "FILE",
     "bearer tokens, one per line, each with its scopes; required to listen on a\n"
     "                         non-loopback address (see anasd(8))"},
    {"metrics-token-file", "metrics_token_file", OPT_STR, OFF(metrics_token_file),
     CONF_PATH_MAX, 0, 0, "FILE", "bearer tokens that may only read /metrics"},
    {"cors-origin", "cors_origin", OPT_STR, OFF(cors_origin), CONF_ORIGINS_MAX, 0, 0, "ORIGINS",
     "origins whose pages may call the API from a browser, separated by\n"
     "                         commas, or * (default: none, CORS is off)"},
    {"data-root", "data_roots", OPT_ROOTS, OFF(data_roots), 0, 0, 0, "DIR",
     "directory datasets may be read from (repeatable)"},
    {"model-root", "model_roots", OPT_ROOTS, OFF(model_roots), 0, 0, 0, "DIR",
     "directory surrogate models may be read from (repeatable)"},
    {"log-level", "log_level", OPT_LEVEL, OFF(log_level), 8, 0, 0, "LEVEL",
     "debug, info, warn or error (default info)"},
    {"www-root", "www_root", OPT_STR, OFF(www_root), CONF_PATH_MAX, 0, 0, "DIR",
     "the dashboard, served at / (default: the installed copy)"},
    {"chartjs-root", "chartjs_root", OPT_STR, OFF(chartjs_root), CONF_PATH_MAX, 0, 0, "DIR",
     "Chart.js, served at /vendor/chart.js/ (default\n" "                         " ANASD_CHARTJS_DIR ")"},
    {"examples-root", "examples_root", OPT_STR, OFF(examples_root), CONF_PATH_MAX, 0, 0,
     "DIR", "example run specs, served at /examples/ (default: installed)"},
};

#define N_OPTS ((int)(sizeof opts / sizeof opts[0]))

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return CONF_ERROR;
}

/* Is this process the build tree's daemon/anasd? Then the dashboard and
 * the examples come from the source tree, so that a change to www/ shows
 * without `make install`; an installed anasd reads the installed copies. */
static int running_from_build_tree(void)
{
    char self[CONF_PATH_MAX], built[CONF_PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

    if (n <= 0 || !realpath(ANASD_BUILD_EXE, built))
        return 0;
    self[n] = '\0';
    return strcmp(self, built) == 0;
}

static void default_roots(struct conf *c)
{
    int dev = running_from_build_tree();

    snprintf(c->www_root, sizeof c->www_root, "%s",
             dev ? ANASD_SRCDIR "/www" : ANASD_PKGDATADIR "/www");
    snprintf(c->examples_root, sizeof c->examples_root, "%s",
             dev ? ANASD_SRCDIR "/clients/examples" : ANASD_PKGDATADIR "/examples");
    snprintf(c->chartjs_root, sizeof c->chartjs_root, "%s", ANASD_CHARTJS_DIR);
}

/* A folder named on the command line or in the file must exist: a typo
 * would otherwise show only as a dashboard answering 404. The defaults may
 * be absent (Chart.js not installed): their pages say so. */
static int check_roots(const struct conf *c, const struct conf *dflt, char *why, size_t n)
{
    const char *names[] = {"www-root", "chartjs-root", "examples-root"};
    const char *got[] = {c->www_root, c->chartjs_root, c->examples_root};
    const char *def[] = {dflt->www_root, dflt->chartjs_root, dflt->examples_root};
    struct stat st;
    int i;

    for (i = 0; i < 3; i++)
        if (strcmp(got[i], def[i]) != 0 && (stat(got[i], &st) < 0 || !S_ISDIR(st.st_mode)))
            return fail(why, n, "%s: '%s' is not a directory", names[i], got[i]);
    return CONF_OK;
}

static void defaults(struct conf *c)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    memset(c, 0, sizeof *c);
    snprintf(c->listen_addr, sizeof c->listen_addr, "127.0.0.1");
    c->port = 8080;
    snprintf(c->db, sizeof c->db, "anasd.db");
    c->workers = ncpu > 0 ? (int)(ncpu > 256 ? 256 : ncpu) : 1;
    c->max_runs = 2;
    c->lease_timeout = 60;
    c->max_queued = 100;
    c->max_streams = 64;
    c->sse_heartbeat = 15;
    c->max_connections = 256;
    c->request_timeout = 30;
    c->max_body = 1L << 20;
    snprintf(c->log_level, sizeof c->log_level, "info");
    default_roots(c);
}

static int parse_listen(struct conf *c, const char *v, char *why, size_t n)
{
    const char *colon = strrchr(v, ':');
    char *end;
    long port;
    size_t alen;
    if (!colon)
        return fail(why, n, "listen: expected ADDR:PORT, got '%s'", v);
    alen = (size_t)(colon - v);
    if (alen > 1 && v[0] == '[' && v[alen - 1] == ']') { /* [::1]:8080 */
        v++;
        alen -= 2;
    }
    if (alen == 0 || alen >= sizeof c->listen_addr)
        return fail(why, n, "listen: bad address in '%s'", v);
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return fail(why, n, "listen: port must be 0..65535, got '%s'", colon + 1);
    memcpy(c->listen_addr, v, alen);
    c->listen_addr[alen] = '\0';
    if (strcmp(c->listen_addr, "localhost") == 0)
        snprintf(c->listen_addr, sizeof c->listen_addr, "127.0.0.1");
    c->port = (int)port;
    return CONF_OK;
}

static int add_root(char **roots, int *n_roots, const char *name, const char *dir, char *why,
                    size_t n)
{
    char *real;
    if (*n_roots >= CONF_MAX_ROOTS)
        return fail(why, n, "%s: at most %d directories", name, CONF_MAX_ROOTS);
    real = realpath(dir, NULL);
    if (!real)
        return fail(why, n, "%s: cannot resolve '%s': %s", name, dir, strerror(errno));
    roots[(*n_roots)++] = real;
    return CONF_OK;
}

/* Apply one option's textual value (from argv or a JSON string). */
static int apply_text(struct conf *c, const struct opt *o, const char *v, char *why, size_t n)
{
    char *base = (char *)c;
    char *end;
    long x;
    switch (o->type) {
    case OPT_LISTEN:
        return parse_listen(c, v, why, n);
    case OPT_STR:
        if (strlen(v) >= o->len)
            return fail(why, n, "%s: too long", o->cli);
        snprintf(base + o->off, o->len, "%s", v);
        return CONF_OK;
    case OPT_LEVEL:
        if (strcmp(v, "debug") && strcmp(v, "info") && strcmp(v, "warn") && strcmp(v, "error"))
            return fail(why, n, "%s: expected debug, info, warn or error, got '%s'", o->cli, v);
        snprintf(base + o->off, o->len, "%s", v);
        return CONF_OK;
    case OPT_INT:
        errno = 0;
        x = strtol(v, &end, 10);
        if (errno || *end || end == v || x < o->lo || x > o->hi)
            return fail(why, n, "%s: expected an integer in %ld..%ld, got '%s'", o->cli, o->lo,
                        o->hi, v);
        if (o->off == OFF(max_body))
            c->max_body = x;
        else
            *(int *)(base + o->off) = (int)x;
        return CONF_OK;
    case OPT_ROOTS:
        if (o->off == OFF(data_roots))
            return add_root(c->data_roots, &c->n_data_roots, o->cli, v, why, n);
        return add_root(c->model_roots, &c->n_model_roots, o->cli, v, why, n);
    }
    return fail(why, n, "internal: bad option type");
}

static int apply_json_value(struct conf *c, const struct opt *o, json_t *v, char *why, size_t n)
{
    char num[32];
    size_t i;
    json_t *e;
    if (o->type == OPT_INT) {
        if (!json_is_integer(v))
            return fail(why, n, "config: %s must be an integer", o->json);
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return apply_text(c, o, num, why, n);
    }
    if (o->type == OPT_ROOTS) {
        if (!json_is_array(v))
            return fail(why, n, "config: %s must be an array of directories", o->json);
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                return fail(why, n, "config: %s[%zu] must be a string", o->json, i);
            if (apply_text(c, o, json_string_value(e), why, n) < 0)
                return CONF_ERROR;
        }
        return CONF_OK;
    }
    if (json_is_null(v))
        return CONF_OK;
    if (!json_is_string(v))
        return fail(why, n, "config: %s must be a string", o->json);
    return apply_text(c, o, json_string_value(v), why, n);
}

static int load_file(struct conf *c, const char *path, char *why, size_t n)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    const char *key;
    json_t *v;
    int rc = CONF_OK;
    if (!root)
        return fail(why, n, "config %s:%d: %s", path, jerr.line, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(why, n, "config %s: expected a JSON object", path);
    }
    json_object_foreach(root, key, v)
    {
        int i;
        for (i = 0; i < N_OPTS; i++)
            if (strcmp(opts[i].json, key) == 0)
                break;
        if (i == N_OPTS) {
            rc = fail(why, n, "config %s: unknown setting '%s'", path, key);
            break;
        }
        if ((rc = apply_json_value(c, &opts[i], v, why, n)) < 0)
            break;
    }
    json_decref(root);
    return rc;
}

static void usage(FILE *f)
{
    int i;
    fprintf(f, "Usage: anasd [OPTION]...\n"
               "Analog-hardware-aware neural architecture search as a service.\n\n"
               "  --config FILE          JSON config file: keys as below with _ for -, and\n"
               "                         data_roots and model_roots as arrays\n");
    for (i = 0; i < N_OPTS; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s %s", opts[i].cli, opts[i].arg);
        if (strlen(left) > 22) /* the help goes on its own line */
            fprintf(f, "  %s\n  %-22s %s\n", left, "", opts[i].help);
        else
            fprintf(f, "  %-22s %s\n", left, opts[i].help);
    }
    fprintf(f, "  --help                 show this help and exit\n"
               "  --version              show the version and exit\n\n"
               "Once ready, anasd prints 'listening on http://ADDR:PORT' on stdout.\n"
               "SIGTERM or SIGINT stops it; running runs resume at the next start.\n"
               "SIGHUP reads the token files again.\n"
               "See anasd(8) and doc/api.md.\n");
}

/* An origin is what browsers send in Origin: scheme://host[:port], no
 * path (RFC 6454 §6.2); anything else could never match, so it is a typo. */
static int check_origins(const char *list, char *why, size_t why_len)
{
    const char *p = list;
    if (strcmp(list, "*") == 0)
        return CONF_OK;
    while (*p) {
        size_t n = strcspn(p, ",");
        const char *host = NULL;
        if (strncmp(p, "http://", 7) == 0)
            host = p + 7;
        else if (strncmp(p, "https://", 8) == 0)
            host = p + 8;
        if (!host || host >= p + n || n > 255 || memchr(host, '/', (size_t)(p + n - host)) ||
            memchr(p, ' ', n) || memchr(p, '*', n))
            return fail(why, why_len,
                        "cors-origin: '%.*s' is not an origin like https://host[:port] "
                        "(or give * alone)",
                        (int)(n > 200 ? 200 : n), p);
        p += n + (p[n] == ',');
    }
    return CONF_OK;
}

/* Both files are read before the tokens in force are replaced, so a reload
 * that fails half-way leaves the daemon with the tokens it had. */
static int load_tokens(struct conf *c, char *why, size_t why_len)
{
    struct auth_tokens t = {0, NULL};
    int n_api;
    if (auth_load(&t, c->token_file, 0, why, why_len) < 0)
        return CONF_ERROR;
    n_api = t.n;
    if (auth_load(&t, c->metrics_token_file, AUTH_METRICS, why, why_len) < 0) {
        auth_fini(&t);
        return CONF_ERROR;
    }
    auth_fini(&c->tokens);
    c->tokens = t;
    c->n_api_tokens = n_api;
    return CONF_OK;
}

int conf_reload_tokens(struct conf *c, char *why, size_t why_len)
{
    return load_tokens(c, why, why_len);
}

/* --config is read before anything else so the command line can override it. */
static const char *find_config_arg(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

int conf_load(struct conf *c, int argc, char **argv, char *why, size_t why_len)
{
    struct option lopts[N_OPTS + 4];
    struct conf dflt;
    const char *file;
    int i, ch;
    defaults(c);
    file = find_config_arg(argc, argv);
    if (file && load_file(c, file, why, why_len) < 0)
        return CONF_ERROR;
    for (i = 0; i < N_OPTS; i++)
        lopts[i] = (struct option){opts[i].cli, required_argument, NULL, i};
    lopts[N_OPTS] = (struct option){"config", required_argument, NULL, 'c'};
    lopts[N_OPTS + 1] = (struct option){"help", no_argument, NULL, 'h'};
    lopts[N_OPTS + 2] = (struct option){"version", no_argument, NULL, 'V'};
    lopts[N_OPTS + 3] = (struct option){NULL, 0, NULL, 0};
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            return CONF_EXIT_OK;
        }
        if (ch == 'V') {
            printf("anasd %s\n", PACKAGE_VERSION);
            return CONF_EXIT_OK;
        }
        if (ch == 'c')
            continue;
        if (ch == '?' || ch == ':')
            return fail(why, why_len, "unknown or incomplete option '%s' (see --help)",
                        argv[optind - 1]);
        if (apply_text(c, &opts[ch], optarg, why, why_len) < 0)
            return CONF_ERROR;
    }
    if (optind < argc)
        return fail(why, why_len, "unexpected argument '%s' (see --help)", argv[optind]);
    if (load_tokens(c, why, why_len) < 0)
        return CONF_ERROR;
    if (check_origins(c->cors_origin, why, why_len) < 0)
        return CONF_ERROR;
    defaults(&dflt);
    if (check_roots(c, &dflt, why, why_len) < 0)
        return CONF_ERROR;
    if (!conf_is_loopback(c->listen_addr) && c->n_api_tokens == 0)
        return fail(why, why_len,
                    "refusing to listen on non-loopback address %s without --token-file",
                    c->listen_addr);
    return CONF_OK;
}

void conf_fini(struct conf *c)
{
    int i;
    for (i = 0; i < c->n_data_roots; i++)
        free(c->data_roots[i]);
    for (i = 0; i < c->n_model_roots; i++)
        free(c->model_roots[i]);
    auth_fini(&c->tokens);
    c->n_data_roots = c->n_model_roots = c->n_api_tokens = 0;
}

int conf_cors_allows(const struct conf *c, const char *origin)
{
    const char *p = c->cors_origin;
    size_t len = strlen(origin);
    if (!origin[0] || !p[0])
        return 0;
    if (strcmp(p, "*") == 0)
        return 1;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == len && memcmp(p, origin, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

int conf_is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
           strcmp(addr, "localhost") == 0;
}

static int under_root(char *const *roots, int n_roots, const char *path)
{
    int i;
    for (i = 0; i < n_roots; i++) {
        size_t rl = strlen(roots[i]);
        if (strncmp(path, roots[i], rl) == 0 &&
            (path[rl] == '/' || path[rl] == '\0' || strcmp(roots[i], "/") == 0))
            return 1;
    }
    return 0;
}

int conf_path_in_roots(char *const *roots, int n_roots, const char *path, char *out,
                       size_t out_len)
{
    char *real;
    int inside;
    if (path[0] != '/') /* relative to what? the daemon's cwd is no contract */
        return ANAS_EDENIED;
    real = realpath(path, NULL);
    /* The resolved path decides, so symlinks and ".." cannot lead outside.
     * A path that does not resolve is "not found" only when its text lies
     * under a root: a client cannot probe which files exist elsewhere. */
    if (!real)
        return under_root(roots, n_roots, path) ? ANAS_ENOTFOUND : ANAS_EDENIED;
    inside = under_root(roots, n_roots, real);
    if (inside)
        snprintf(out, out_len, "%s", real);
    free(real);
    return inside ? 0 : ANAS_EDENIED;
}
