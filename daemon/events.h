/*
 * events.h - the event bus: what happens to runs, for whoever listens (the
 * Server-Sent Event streams of api_events.c).
 *
 *     struct events *b;
 *     events_new(loop, &b);
 *     events_subscribe(b, on_event, client, &sub);   a stream opens
 *     events_run_state(b, store, id);                jobs.c: a run changed state
 *     events_evaluation(b, id);                      dispatch.c: a result committed
 *     events_unsubscribe(b, sub);                    the stream ends
 *
 * Publishers call in on the loop thread after the store has the change, so
 * a listener may read what it is told about from the store. Events carry
 * no payload beyond what names them: evaluations are read back from the
 * store by their commit cursor, which is how a listener that falls behind
 * costs no memory here. While anyone listens a tick is published four
 * times a second, on which streams send what is coalesced (evaluations,
 * progress, the Pareto front) and heartbeats. Callbacks must not block, subscribe or
 * unsubscribe: they note what changed and wake their stream.
 */
#ifndef ANASD_EVENTS_H
#define ANASD_EVENTS_H

#include <uv.h>

enum event_type {
    EVENT_STATE,      /* a run's state changed (or a run was created) */
    EVENT_EVALUATION, /* an evaluation of the run was committed */
    EVENT_TICK,       /* a quarter of a second passed */
};

struct event {
    enum event_type type;
    long long run;                   /* 0 for ticks */
    const char *state, *kind, *name; /* EVENT_STATE */
};

typedef void (*event_fn)(void *ctx, const struct event *e);

struct events;
struct event_sub;
struct store;

int events_new(uv_loop_t *loop, struct events **out);
/* After the loop closed the bus's timer (main.c closes every handle). Safe
 * with NULL. */
void events_free(struct events *b);

int events_subscribe(struct events *b, event_fn fn, void *ctx, struct event_sub **out);
void events_unsubscribe(struct events *b, struct event_sub *s);
int events_n_subscribers(const struct events *b);

/* A run's state in the store changed: publish it with its kind and name
 * (read from the store only when someone listens). Safe with b NULL. */
void events_run_state(struct events *b, struct store *st, long long run);
/* An evaluation of `run` was committed. Safe with b NULL. */
void events_evaluation(struct events *b, long long run);

#endif
