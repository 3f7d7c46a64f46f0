/*
 * evaltext.c - pages of evaluations without a JSON tree per item.
 *
 * An evaluation's config, metrics, error and curve are stored as the text
 * codec_dump() made of them: compact, reals with 17 significant digits,
 * keys in the order they were made. Parsing such a text and dumping it
 * again with the same settings gives the same text back (a double printed
 * to 17 digits reads back as itself), so a page is made by writing the
 * stored texts as they are between the item's other fields, in
 * api_eval_json()'s order. That was 2.6 ms per 100 items of parsing and
 * dumping. A stored text that does not even start like an object or an
 * array (a database edited by hand) goes the long way, which shows it as
 * null, as before.
 *
 * The stored config and metrics texts themselves are written the same way
 * (evaltext_config, evaltext_metrics): keys in order, integers in decimal,
 * reals as runtext_real() writes jansson's; a name that would need escaping,
 * or a value jansson would drop, goes the long way.
 */
#include "config.h"

#include "evaltext.h"

#include <math.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.h"
#include "core/err.h"
#include "core/metrics.h"
#include "runtext.h"
#include "space/space.h"
#include "store.h"

/* A JSON string as jansson dumps it without JSON_ENSURE_ASCII: quote,
 * backslash and control characters escaped, the rest as is. */
static void put_string(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c >= 0x20) {
            fputc(c, f);
        } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
            fputc('\\', f);
            fputc(strchr("\bb\ff\nn\rr\tt", c)[1], f);
        } else {
            fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        }
    }
    fputc('"', f);
}

/* A stored JSON text, null when absent. */
static void put_stored(FILE *f, const char *text)
{
    json_t *j;
    char *s;
    if (!text) {
        fputs("null", f);
        return;
    }
    if (text[0] == '{' || text[0] == '[') {
        fputs(text, f);
        return;
    }
    j = json_loads(text, 0, NULL);
    s = j ? codec_dump(j) : NULL;
    fputs(s ? s : "null", f);
    free(s);
    json_decref(j);
}

static void put_item(FILE *f, const struct store_eval *e)
{
    fprintf(f, "{\"seq\":%lld,\"cursor\":%lld,\"rep\":%d,\"hash\":", e->seq, e->cursor, e->rep);
    put_string(f, e->hash);
    fputs(",\"config\":", f);
    put_stored(f, e->config_json);
    fputs(",\"state\":", f);
    put_string(f, e->state);
    fprintf(f, ",\"feasible\":%s,\"cached\":%s,\"metrics\":", e->feasible ? "true" : "false",
            e->cached ? "true" : "false");
    put_stored(f, e->metrics_json);
    fputs(",\"error\":", f);
    put_stored(f, e->error_json);
    if (e->curve_json) {
        fputs(",\"curve\":", f);
        put_stored(f, e->curve_json);
    }
    fputc('}', f);
}

int evaltext_items(FILE *f, const struct store_eval *e, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        put_item(f, &e[i]);
    }
    fputc(']', f);
    return ferror(f) ? ANAS_ENOMEM : 0;
}

/* --- the texts a row stores ---------------------------------------------- */

/* 2^53, codec.c's bound for writing an integral metric as an integer. */
#define SAFE_INT 9007199254740992.0

/* A name written between quotes as it is: printable ASCII without quote
 * or backslash. Anything else is left to jansson's escaping. */
static int plain(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

struct text {
    char *s;
    size_t n;
};

static void put_raw(struct text *t, const char *s, size_t n)
{
    memcpy(t->s + t->n, s, n);
    t->n += n;
}

/* ,"name": (the comma unless first) */
static void put_key(struct text *t, const char *name)
{
    if (t->n > 1)
        t->s[t->n++] = ',';
    t->s[t->n++] = '"';
    put_raw(t, name, strlen(name));
    put_raw(t, "\":", 2);
}

/* v in decimal, as jansson writes a json_integer. */
static void put_ll(struct text *t, long long v)
{
    t->n = (size_t)(runtext_ll(t->s + t->n, v) - t->s);
}

/* A finite v as jansson writes a json_real; 0 if it does not fit. */
static int put_real(struct text *t, double v)
{
    char buf[RUNTEXT_REAL_MAX];
    size_t n = runtext_real(buf, v);
    if (n == 0)
        return 0;
    put_raw(t, buf, n);
    return 1;
}

/* Room for an object of n names of total length `names`: quotes, colon,
 * comma and a number each, the braces and the NUL. */
static int text_open(struct text *t, int n, size_t names)
{
    t->s = malloc(names + (size_t)n * (4 + RUNTEXT_REAL_MAX) + 3);
    t->n = 0;
    if (!t->s)
        return 0;
    t->s[t->n++] = '{';
    return 1;
}

static char *text_close(struct text *t)
{
    t->s[t->n++] = '}';
    t->s[t->n] = '\0';
    return t->s;
}

static char *config_long(const struct anas_config *cfg)
{
    json_t *j = codec_config_to_json(cfg);
    char *s = j ? codec_dump(j) : NULL;
    json_decref(j);
    return s;
}

char *evaltext_config(const struct anas_config *cfg)
{
    const struct anas_space *sp = cfg->space;
    int n = anas_space_n_hp(sp);
    size_t names = 0;
    struct text t;
    for (int i = 0; i < n; i++) {
        const char *name = anas_space_hp(sp, i)->name;
        if (!plain(name) || !isfinite(cfg->v[i]))
            return config_long(cfg);
        names += strlen(name);
    }
    if (!text_open(&t, n, names))
        return NULL;
    for (int i = 0; i < n; i++) {
        const struct anas_hp *hp = anas_space_hp(sp, i);
        double v = cfg->v[i];
        put_key(&t, hp->name);
        /* codec_config_to_json(): integers for integer hyperparameters and
         * the zeros of inactive ones, reals otherwise */
        if (hp->is_int || v == 0.0)
            put_ll(&t, (long long)v);
        else if (!put_real(&t, v)) {
            free(t.s);
            return config_long(cfg);
        }
    }
    return text_close(&t);
}

static char *metrics_long(const struct anas_metrics *m)
{
    json_t *j = codec_metrics_to_json(m);
    char *s = j ? codec_dump(j) : NULL;
    json_decref(j);
    return s;
}

char *evaltext_metrics(const struct anas_metrics *m)
{
    size_t names = 0;
    struct text t;
    for (int i = 0; i < m->n; i++) {
        if (!plain(m->m[i].name))
            return metrics_long(m);
        names += strlen(m->m[i].name);
    }
    if (!text_open(&t, m->n, names))
        return NULL;
    for (int i = 0; i < m->n; i++) {
        double v = m->m[i].value;
        put_key(&t, m->m[i].name);
        /* codec_metrics_to_json(): null for NaN and infinities, integers
         * for integral values below 2^53 but tile_util, reals otherwise */
        if (!isfinite(v))
            put_raw(&t, "null", 4);
        else if (v == floor(v) && fabs(v) < SAFE_INT && strcmp(m->m[i].name, "tile_util"))
            put_ll(&t, (long long)v);
        else if (!put_real(&t, v)) {
            free(t.s);
            return metrics_long(m);
        }
    }
    return text_close(&t);
}

FILE *evaltext_open(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);

    if (f)
        __fsetlocking(f, FSETLOCKING_BYCALLER);
    return f;
}
