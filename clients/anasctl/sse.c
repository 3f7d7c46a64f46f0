/*
 * sse.c - a parser of server-sent events, the text/event-stream format of
 * the HTML standard (https://html.spec.whatwg.org/#parsing-an-event-stream),
 * fed the bytes as they arrive, however they are cut.
 *
 * An event is dispatched on its blank line only: one cut off in the middle
 * is never seen (anasd sends it again after a reconnection).
 */
#include "config.h"

#include "anasctl.h"

#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void reset_event(struct sse_parser *s)
{
    free(s->event);
    free(s->id);
    free(s->data);
    s->event = s->id = s->data = NULL;
}

void sse_parser_free(struct sse_parser *s)
{
    reset_event(s);
    free(s->line);
    s->line = NULL;
    s->line_len = s->line_cap = 0;
}

/* data lines join with a newline */
static int add_data(struct sse_parser *s, const char *v, size_t vl)
{
    if (!s->data)
        return (s->data = dup_str(v, vl)) ? 0 : -1;
    size_t old = strlen(s->data);
    char *d = realloc(s->data, old + vl + 2);
    if (!d)
        return -1;
    d[old] = '\n';
    memcpy(d + old + 1, v, vl);
    d[old + 1 + vl] = '\0';
    s->data = d;
    return 0;
}

/* One complete line: a field, a comment, or the blank line ending an event. */
static int line(struct sse_parser *s, const char *l, size_t n)
{
    if (n == 0) {
        if (s->data) {
            struct sse_event ev = {s->event ? s->event : "message", s->id, s->data};
            if (s->fn(&ev, s->arg))
                s->stopped = 1;
        }
        reset_event(s);
        return 0;
    }
    if (l[0] == ':')
        return 0;
    const char *colon = memchr(l, ':', n);
    size_t fl = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    if (v < l + n && *v == ' ')
        v++;
    size_t vl = (size_t)(l + n - v);
    char **slot = NULL;
    if (fl == 4 && !memcmp(l, "data", 4))
        return add_data(s, v, vl);
    if (fl == 5 && !memcmp(l, "event", 5))
        slot = &s->event;
    else if (fl == 2 && !memcmp(l, "id", 2))
        slot = &s->id;
    if (!slot) /* retry and unknown fields are ignored */
        return 0;
    free(*slot);
    *slot = dup_str(v, vl);
    return *slot ? 0 : -1;
}

int sse_feed(struct sse_parser *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->stopped; i++) {
        if (p[i] == '\n') {
            size_t l = s->line_len;
            if (l && s->line[l - 1] == '\r')
                l--;
            s->line_len = 0;
            if (line(s, s->line ? s->line : "", l) < 0)
                return -1;
            continue;
        }
        if (s->line_len + 1 >= s->line_cap) {
            size_t cap = s->line_cap ? s->line_cap * 2 : 256;
            char *nl = realloc(s->line, cap);
            if (!nl)
                return -1;
            s->line = nl;
            s->line_cap = cap;
        }
        s->line[s->line_len++] = p[i];
    }
    return s->stopped;
}
