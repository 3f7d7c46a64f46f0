/*
 * anasctl-sse.c - anasctl's event-stream parser: events whole however the
 * bytes are cut, CRLF and LF, comments, several data lines, a default
 * event name, an event cut off before its blank line never dispatched,
 * and a callback that stops the stream.
 */
#include "config.h"

#include "anasctl.h"
#include "tap.h"

struct seen {
    char text[2048];
    int n, stop_after;
};

static int record(const struct sse_event *ev, void *arg)
{
    struct seen *s = arg;
    size_t used = strlen(s->text);
    snprintf(s->text + used, sizeof s->text - used, "[%s|%s|%s]", ev->event,
             ev->id ? ev->id : "-", ev->data);
    for (char *c = s->text + used; *c; c++)
        if (*c == '\n') /* shown as '/' to keep TAP lines whole */
            *c = '/';
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

/* Feeds text in pieces of `step` bytes; returns what was dispatched. */
static const char *feed(const char *text, size_t step, struct seen *s, int *rc)
{
    struct sse_parser p = {.fn = record, .arg = s};
    size_t n = strlen(text);
    *rc = 0;
    for (size_t i = 0; i < n && *rc == 0; i += step)
        *rc = sse_feed(&p, text + i, i + step <= n ? step : n - i);
    sse_parser_free(&p);
    return s->text;
}

static const char stream[] =
    "retry: 3000\n\n"
    "event: state\ndata: {\"id\":7,\"state\":\"running\"}\n\n"
    ": keep-alive\n\n"
    "event: evaluation\r\nid: 41\r\ndata: {\"seq\":1}\r\n\r\n"
    "data: a\ndata: b\n\n"
    "event: evaluation\nid: 42\ndata: {\"seq\":2, cut off";

static const char expect[] =
    "[state|-|{\"id\":7,\"state\":\"running\"}][evaluation|41|{\"seq\":1}][message|-|a/b]";

int main(void)
{
    plan_later();
    int rc;
    size_t steps[] = {1, 2, 3, 7, 64, sizeof stream};
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        struct seen s = {{0}, 0, 0};
        const char *got = feed(stream, steps[i], &s, &rc);
        ok(!strcmp(got, expect) && rc == 0, "pieces of %zu bytes: %s", steps[i], got);
    }
    struct seen s = {{0}, 0, 1};
    feed(stream, 5, &s, &rc);
    ok(rc == 1 && s.n == 1, "a callback that returns nonzero stops the stream (rc %d)", rc);
    struct seen e = {{0}, 0, 0};
    feed("event: x\nid: 3\n\n", 4, &e, &rc);
    ok(e.n == 0, "an event without data is not dispatched");
    struct seen f = {{0}, 0, 0};
    feed("data:no-space\nid\n\n", 3, &f, &rc);
    ok(!strcmp(f.text, "[message||no-space]"), "no space after the colon; a field without a "
       "value is empty: %s", f.text);
    return done();
}
