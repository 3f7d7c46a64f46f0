/*
 * events.c - the event bus (events.h): a list of subscribers, the
 * publishers' entry points, and the one-second tick while anyone listens.
 */
#include "config.h"

#include "events.h"

#include <stdlib.h>

#include "core/err.h"
#include "store.h"

#define TICK_MS 250

struct event_sub {
    event_fn fn;
    void *ctx;
    struct event_sub *next;
};

struct events {
    uv_timer_t tick;
    struct event_sub *subs;
    int n;
};

static void publish(struct events *b, const struct event *e)
{
    struct event_sub *s;

    for (s = b->subs; s; s = s->next)
        s->fn(s->ctx, e);
}

static void on_tick(uv_timer_t *t)
{
    struct event e = {.type = EVENT_TICK};

    publish(t->data, &e);
}

int events_new(uv_loop_t *loop, struct events **out)
{
    struct events *b = calloc(1, sizeof *b);

    if (!b)
        return ANAS_ENOMEM;
    uv_timer_init(loop, &b->tick);
    b->tick.data = b;
    /* The tick only runs while someone listens: an idle daemon's loop
     * sleeps, and nothing keeps it from ending. */
    uv_unref((uv_handle_t *)&b->tick);
    *out = b;
    return 0;
}

void events_free(struct events *b)
{
    while (b && b->subs) {
        struct event_sub *s = b->subs;
        b->subs = s->next;
        free(s);
    }
    free(b);
}

int events_subscribe(struct events *b, event_fn fn, void *ctx, struct event_sub **out)
{
    struct event_sub *s = calloc(1, sizeof *s);

    if (!s)
        return ANAS_ENOMEM;
    s->fn = fn;
    s->ctx = ctx;
    s->next = b->subs;
    b->subs = s;
    if (b->n++ == 0 && !uv_is_closing((uv_handle_t *)&b->tick))
        uv_timer_start(&b->tick, on_tick, TICK_MS, TICK_MS);
    *out = s;
    return 0;
}

void events_unsubscribe(struct events *b, struct event_sub *s)
{
    struct event_sub **p;

    for (p = &b->subs; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            free(s);
            if (--b->n == 0 && !uv_is_closing((uv_handle_t *)&b->tick))
                uv_timer_stop(&b->tick);
            return;
        }
    }
}

int events_n_subscribers(const struct events *b)
{
    return b ? b->n : 0;
}

void events_run_state(struct events *b, struct store *st, long long run)
{
    struct store_run r;
    struct event e = {.type = EVENT_STATE, .run = run};

    if (!b || b->n == 0 || store_run_get(st, run, &r) < 0)
        return;
    e.state = r.state;
    e.kind = r.kind;
    e.name = r.name;
    publish(b, &e);
    store_run_fini(&r);
}

void events_evaluation(struct events *b, long long run)
{
    struct event e = {.type = EVENT_EVALUATION, .run = run};

    if (b && b->n > 0)
        publish(b, &e);
}
