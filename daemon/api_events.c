/*
 * api_events.c - Server-Sent Events: GET /api/v1/runs/{id}/events (one
 * run: state, progress, evaluations, Pareto front) and GET /api/v1/events
 * (every run's state changes).
 *
 * Framing is the WHATWG HTML standard's event stream ("Server-sent
 * events", https://html.spec.whatwg.org/multipage/server-sent-events.html):
 * "event:", "id:" and "data:" lines, a blank line ending each event, and
 * comment lines (": keep-alive") as heartbeats. Data is one line of
 * compact JSON, which never contains a line break.
 *
 * A stream costs bounded memory however slowly its client reads: a run's
 * evaluations are not queued here but read back from the store, a page at
 * a time, after the last cursor sent, when the client has taken the page
 * before; progress and the Pareto front are coalesced to their latest
 * value; a run's state is one value.
 *
 * And bounded time on the loop thread, which also answers every request:
 * a stream is woken for evaluations on the bus's tick (four times a
 * second), not at each commit, and takes at most PAGES_PER_TICK pages
 * then, so a run committing faster is followed with a delay (nothing is
 * lost: the cursor catches up). The text of a page is made once and
 * shared (struct event_pages): many clients of one run, all at the same
 * cursor when they follow it live, cost one query and one serialisation
 * per page, and a copy each. Only the stream of every run's state
 * changes queues events, up to BACKLOG_MAX bytes: a client further behind
 * is disconnected (an EventSource reconnects by itself) rather than
 * followed. The same reading from the store makes Last-Event-ID exact: a
 * client that reconnects with the cursor of the last evaluation it got
 * is sent every evaluation committed after it, none twice.
 *
 * Everything runs on the loop thread: the bus's callbacks only note what
 * changed and wake the stream; http.c pulls the bytes when the socket can
 * take them.
 */
#include "config.h"

#include "api.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "events.h"
#include "jobs.h"
#include "reply.h"
#include "store.h"

/* Evaluations per page, pages a stream may take per tick, and pages
 * whose text is kept for other streams. */
#define PAGE 64
#define PAGES_PER_TICK 2
#define SHARED_PAGES 16
/* Queued state changes of the all-runs stream before its client is
 * dropped. */
#define BACKLOG_MAX (64 * 1024)
/* Seconds a client refused for want of a stream should wait. */
#define RETRY_AFTER "5"
/* The reconnection delay suggested to an EventSource, milliseconds. */
#define RETRY_FIELD "retry: 3000\n\n"

struct client {
    struct anasd *d;
    struct http_stream *s; /* known from the first pull */
    struct event_sub *sub;
    long long run; /* 0: the all-runs stream */

    /* Whole events not yet handed to http.c: out[pos, len). */
    char *out;
    size_t pos, len, cap;
    double last_sent; /* when bytes last went out, for heartbeats */
    int heartbeat;    /* due */
    int drop;         /* fell behind: end once out is sent */

    /* One run's stream. */
    int opened;          /* the opening events are written */
    int pages;           /* of evaluations it may still take before the next tick */
    double next_progress; /* when to look at progress and the front again */
    long long cursor;    /* of the last evaluation written */
    int evals;           /* the store may hold evaluations after cursor */
    char state[16];      /* a state change to write, "" when none */
    int progress_due;    /* compare the progress with what was sent */
    char *progress_sent; /* its JSON text */
    int pareto_dirty;    /* a result came in since the front was looked at */
    int pareto_due;      /* look at it (on the tick: it costs a sort) */
    long long pareto_size;
    double pareto_hv;
    int pareto_sent;
    int ending;          /* the run ended: evaluations, then the state, then the end */
    int ended;           /* the final state is written */
};

static int final_state(const char *state)
{
    return strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
           strcmp(state, "canceled") == 0;
}

/* --- writing events --- */

static int out_append(struct client *c, const char *text, size_t n)
{
    if (c->pos == c->len)
        c->pos = c->len = 0;
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        char *grown;
        while (cap < c->len + n)
            cap *= 2;
        grown = realloc(c->out, cap);
        if (!grown)
            return ANAS_ENOMEM;
        c->out = grown;
        c->cap = cap;
    }
    memcpy(c->out + c->len, text, n);
    c->len += n;
    return 0;
}

static void out_text(struct client *c, const char *text)
{
    if (out_append(c, text, strlen(text)) < 0)
        c->drop = 1;
}

/* One event: "event: NAME", "id: ID" when id >= 0, "data: JSON" (data is
 * taken). Without memory the stream ends: a client that reconnects with
 * its Last-Event-ID loses nothing. */
static void emit(struct client *c, const char *name, long long id, json_t *data)
{
    char head[96], *text = data ? json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(17))
                                : NULL;
    int n = id >= 0 ? snprintf(head, sizeof head, "event: %s\nid: %lld\ndata: ", name, id)
                    : snprintf(head, sizeof head, "event: %s\ndata: ", name);
    json_decref(data);
    if (!text || out_append(c, head, (size_t)n) < 0 || out_append(c, text, strlen(text)) < 0 ||
        out_append(c, "\n\n", 2) < 0)
        c->drop = 1;
    free(text);
}

static json_t *state_json(long long id, const char *state, const char *kind,
                          const char *name)
{
    json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", state);
    if (kind)
        json_object_set_new(o, "kind", json_string(kind));
    if (name)
        json_object_set_new(o, "name", json_string(name));
    return o;
}

/* --- pages of evaluations, made once --- */

/* The events of the evaluations of `run` committed after cursor `from`, up
 * to cursor `to` (n of them, at most PAGE). A full page never changes; a
 * shorter one holds only while nothing was committed after it. */
struct page {
    long long run, from, to;
    int n;
    char *text;
    size_t len;
    unsigned long long used; /* for replacing the least recently used */
};

struct event_pages {
    struct page p[SHARED_PAGES];
    unsigned long long clock;
};

static void pages_free(struct event_pages *ps)
{
    for (int i = 0; ps && i < SHARED_PAGES; i++)
        free(ps->p[i].text);
    free(ps);
}

static struct page *page_find(struct anasd *d, long long run, long long from)
{
    struct event_pages *ps = d->event_pages;
    long long last;
    for (int i = 0; ps && i < SHARED_PAGES; i++) {
        struct page *p = &ps->p[i];
        if (!p->text || p->run != run || p->from != from)
            continue;
        if (p->n < PAGE &&
            (store_eval_last_cursor(d->store, run, &last) < 0 || last != p->to))
            return NULL;
        p->used = ++ps->clock;
        return p;
    }
    return NULL;
}

/* The page after `from`, read and kept; NULL without memory or on a store
 * error. */
static struct page *page_make(struct anasd *d, long long run, long long from)
{
    struct store_eval_filter f = {.limit = PAGE, .rep = -1, .feasible = -1};
    struct store_eval *e = NULL;
    struct client tmp = {0};
    struct page *p;
    int n = 0, i;
    if (!d->event_pages && !(d->event_pages = calloc(1, sizeof *d->event_pages)))
        return NULL;
    if (store_eval_since(d->store, run, from, &f, &e, &n) < 0)
        return NULL;
    for (i = 0; i < n; i++)
        emit(&tmp, "evaluation", e[i].cursor, api_eval_json(&e[i]));
    p = &d->event_pages->p[0];
    for (i = 1; i < SHARED_PAGES; i++)
        if (d->event_pages->p[i].used < p->used)
            p = &d->event_pages->p[i];
    free(p->text);
    p->run = run;
    p->from = from;
    p->to = n > 0 ? e[n - 1].cursor : from;
    p->n = n;
    p->text = tmp.out;
    p->len = tmp.len;
    p->used = ++d->event_pages->clock;
    store_evals_free(e, n);
    if (tmp.drop) {
        free(p->text);
        p->text = NULL;
        return NULL;
    }
    return p;
}

/* --- one run's stream --- */

/* The run's progress, as its run object gives it. */
static json_t *progress_now(struct client *c, const struct store_run *r)
{
    struct jobs_progress p = {r->done, r->total, 0, NAN};
    json_t *evaluating = NULL;
    int live = strcmp(r->state, "running") == 0 &&
               jobs_live(c->d->jobs, c->run, &p, NULL, NULL, &evaluating) == 0;
    return api_progress_json(&p, live, evaluating);
}

static void write_progress(struct client *c, const struct store_run *r)
{
    json_t *p = progress_now(c, r);
    char *text = json_dumps(p, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (text && (!c->progress_sent || strcmp(text, c->progress_sent) != 0)) {
        free(c->progress_sent);
        c->progress_sent = text;
        emit(c, "progress", -1, p);
        return;
    }
    free(text);
    json_decref(p);
}

/* A run's front from its stored summary (a run that ended): 0, or
 * ANAS_ENOTFOUND for a run of one objective. */
static int stored_front(const struct store_run *r, long long *size, double *hv)
{
    json_t *s = api_text_json(r->summary_json);
    json_t *n = json_object_get(s, "pareto_size"), *v = json_object_get(s, "hypervolume");
    int rc = json_is_integer(n) ? 0 : ANAS_ENOTFOUND;
    if (rc == 0) {
        *size = json_integer_value(n);
        *hv = json_is_number(v) ? json_number_value(v) : NAN;
    }
    json_decref(s);
    return rc;
}

/* The front of a run of several objectives, when it changed: live while
 * the run is active, then as its summary has it. */
static void write_pareto(struct client *c, const struct store_run *r)
{
    long long size;
    double hv;
    if (jobs_front(c->d->jobs, c->run, &size, &hv) < 0 && stored_front(r, &size, &hv) < 0)
        return;
    if (c->pareto_sent && size == c->pareto_size &&
        (hv == c->pareto_hv || (isnan(hv) && isnan(c->pareto_hv))))
        return;
    c->pareto_sent = 1;
    c->pareto_size = size;
    c->pareto_hv = hv;
    emit(c, "pareto", -1,
         json_pack("{s:I, s:o}", "size", (json_int_t)size, "hypervolume",
                   isfinite(hv) ? json_real(hv) : json_null()));
}

/* The next page of evaluations committed after the cursor; 1 when some
 * were written. */
static int write_evaluations(struct client *c)
{
    struct page *p = page_find(c->d, c->run, c->cursor);
    if (!p)
        p = page_make(c->d, c->run, c->cursor);
    if (!p || (p->len > 0 && out_append(c, p->text, p->len) < 0)) {
        c->drop = 1; /* a reconnection with Last-Event-ID loses nothing */
        return 0;
    }
    c->cursor = p->to;
    c->pages--;
    if (p->n < PAGE)
        c->evals = 0;
    return p->n > 0;
}

/* Opening: the current state, unless the run already ended (then its
 * evaluations after Last-Event-ID and the final state are all there is). */
static void write_opening(struct client *c, const struct store_run *r)
{
    c->opened = 1;
    out_text(c, RETRY_FIELD);
    if (final_state(r->state)) {
        c->ending = 1;
        return;
    }
    emit(c, "state", -1, state_json(c->run, r->state, NULL, NULL));
    c->progress_due = 1;
    c->pareto_due = 1;
}

/* Fill out with what is due, most urgent first; evaluations before the
 * final state so that it is the last event. */
static void refill_run(struct client *c)
{
    struct store_run r;
    if (store_run_get(c->d->store, c->run, &r) < 0) {
        c->drop = 1; /* deleted meanwhile */
        return;
    }
    if (!c->opened)
        write_opening(c, &r);
    if (c->state[0] && !c->ending) {
        emit(c, "state", -1, state_json(c->run, c->state, NULL, NULL));
        c->state[0] = '\0';
    }
    if (c->evals && c->pages > 0 && write_evaluations(c)) {
        store_run_fini(&r);
        return;
    }
    /* An ended run's last results may take more than this tick's pages:
     * its front and progress wait for them, so that they follow the last
     * evaluation and the final state follows them. */
    if (c->ending && c->evals) {
        store_run_fini(&r);
        return;
    }
    if (c->pareto_due || (c->ending && !c->ended)) {
        c->pareto_due = 0;
        write_pareto(c, &r);
    }
    if (c->progress_due || c->ending) {
        c->progress_due = 0;
        write_progress(c, &r);
    }
    if (c->ending && !c->evals && !c->ended) {
        emit(c, "state", -1, state_json(c->run, r.state, NULL, NULL));
        c->ended = 1;
    }
    store_run_fini(&r);
}

/* --- the bus --- */

static void wake(struct client *c)
{
    if (c->s)
        http_stream_wake(c->s);
}

static void on_run_event(struct client *c, const struct event *e)
{
    if (e->run != c->run)
        return;
    if (e->type == EVENT_EVALUATION) {
        /* Taken on the next tick, with whatever else is committed by then. */
        c->evals = 1;
        c->pareto_dirty = 1;
        return;
    }
    if (final_state(e->state)) {
        c->ending = 1;
        c->evals = 1; /* the last results may be newer than the last wake */
    } else {
        snprintf(c->state, sizeof c->state, "%s", e->state);
        c->progress_due = 1;
    }
    wake(c);
}

static void on_all_event(struct client *c, const struct event *e)
{
    if (e->type != EVENT_STATE || c->drop)
        return;
    if (c->len - c->pos > BACKLOG_MAX) {
        c->drop = 1;
    } else {
        emit(c, "state", -1, state_json(e->run, e->state, e->kind, e->name));
    }
    wake(c);
}

static void on_event(void *ctx, const struct event *e)
{
    struct client *c = ctx;
    if (e->type == EVENT_TICK) {
        double now = anasd_mono();
        /* A heartbeat after --sse-heartbeat seconds without a byte sent:
         * proxies keep the connection, and a vanished client is noticed
         * when it fails. */
        if (now - c->last_sent >= c->d->conf.sse_heartbeat)
            c->heartbeat = 1;
        c->pages = PAGES_PER_TICK;
        if (c->run && !c->ending && now >= c->next_progress) {
            c->next_progress = now + 1;
            c->progress_due = 1;
            c->pareto_due |= c->pareto_dirty;
            c->pareto_dirty = 0;
        }
        if (c->heartbeat || c->progress_due || c->evals)
            wake(c);
        return;
    }
    if (c->run)
        on_run_event(c, e);
    else
        on_all_event(c, e);
}

/* --- http.c's side --- */

static ssize_t pull(void *cls, struct http_stream *s, char *buf, size_t max)
{
    struct client *c = cls;
    size_t n;
    c->s = s;
    if (c->pos == c->len && !c->drop && !c->ended && c->run)
        refill_run(c);
    if (c->pos == c->len && c->heartbeat) {
        out_text(c, ": keep-alive\n\n");
    }
    c->heartbeat = 0;
    if (c->pos == c->len)
        return c->drop || c->ended ? -1 : 0;
    n = c->len - c->pos < max ? c->len - c->pos : max;
    memcpy(buf, c->out + c->pos, n);
    c->pos += n;
    c->last_sent = anasd_mono();
    return (ssize_t)n;
}

static void done(void *cls)
{
    struct client *c = cls;
    events_unsubscribe(c->d->events, c->sub);
    if (events_n_subscribers(c->d->events) == 0) {
        pages_free(c->d->event_pages);
        c->d->event_pages = NULL;
    }
    free(c->out);
    free(c->progress_sent);
    free(c);
}

static const struct http_stream_ops client_ops = {pull, done};

/* --- the endpoints --- */

/* Last-Event-ID (the header an EventSource sends when it reconnects, or
 * ?last_event_id=): a cursor, or -1 when absent; -2 when answered. */
static long long last_event_id(const struct req *rq, struct resp *rs)
{
    const char *q = req_query(rq, "last_event_id"), *h = req_header(rq, "Last-Event-ID");
    const char *v = q ? q : h;
    char *end;
    long long id;
    if (!v)
        return -1;
    errno = 0;
    id = strtoll(v, &end, 10);
    if (errno || end == v || *end || id < 0 || id > (1LL << 53) || v[0] == '+') {
        reply_problem(rs, rq, 422, ANAS_EINVAL, q ? "?last_event_id" : "Last-Event-ID",
                      "the last event id must be an evaluation cursor (an integer >= 0)");
        return -2;
    }
    return id;
}

/* A client and its subscription, or a 503 when every stream is taken. */
static struct client *open_client(struct anasd *d, const struct req *rq, struct resp *rs,
                                  long long run)
{
    struct client *c;
    if (events_n_subscribers(d->events) >= d->conf.max_streams) {
        snprintf(rs->retry_after, sizeof rs->retry_after, "%s", RETRY_AFTER);
        reply_problem(rs, rq, 503, ANAS_ELIMIT, NULL,
                      "%d event streams are open (the limit); try again later",
                      d->conf.max_streams);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c || events_subscribe(d->events, on_event, c, &c->sub) < 0) {
        free(c);
        reply_problem(rs, rq, 503, ANAS_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    c->d = d;
    c->run = run;
    c->last_sent = anasd_mono();
    c->pages = PAGES_PER_TICK;
    rs->status = 200;
    snprintf(rs->content_type, sizeof rs->content_type, "text/event-stream");
    rs->stream = &client_ops;
    rs->stream_cls = c;
    return c;
}

int api_events_run(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs)
{
    struct store_run r;
    struct client *c;
    long long since = last_event_id(rq, rs);
    int rc;
    if (since == -2)
        return 0;
    rc = store_run_get(d->store, a->id, &r);
    if (rc == ANAS_ENOTFOUND)
        return reply_problem(rs, rq, 404, rc, NULL, "no run %lld", a->id);
    if (rc < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read run %lld", a->id);
    store_run_fini(&r);
    /* Without Last-Event-ID the stream starts from now: a client first
     * reads what exists (evaluations?since=0) and connects with its
     * next_since. */
    if (since < 0 && store_eval_last_cursor(d->store, a->id, &since) < 0)
        return reply_problem(rs, rq, 500, ANAS_EDB, NULL, "cannot read run %lld", a->id);
    c = open_client(d, rq, rs, a->id);
    if (c) {
        c->cursor = since;
        c->evals = 1;
    }
    return 0;
}

int api_events_all(struct anasd *d, const struct req *rq, const struct route_args *a,
                   struct resp *rs)
{
    struct client *c = open_client(d, rq, rs, 0);
    if (c)
        out_text(c, RETRY_FIELD);
    return 0;
}

int anasd_streams_open(const struct anasd *d)
{
    return events_n_subscribers(d->events);
}
