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
 */
#include "config.h"

#include "evaltext.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.h"
#include "core/err.h"
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
