/*
 * wait.c - following a run: `wait` (a progress bar on a terminal, a plain
 * line per change otherwise, then the gates) and `evaluations --follow`
 * (the evaluations cursor, then the run's event stream, each evaluation
 * printed once).
 */
#include "config.h"

#include "anasctl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void nap(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static int is_final(const char *state)
{
    return state && (!strcmp(state, "succeeded") || !strcmp(state, "failed") ||
                     !strcmp(state, "canceled"));
}

/* "best params=81234" from the first objective, or "" before there is one. */
static void best_text(const json_t *run, char *buf, size_t len)
{
    const json_t *obj = json_array_get(json_object_get(json_object_get(run, "spec"),
                                                       "objectives"), 0);
    const char *metric = json_string_value(json_object_get(obj, "metric"));
    const json_t *v = json_object_get(
        json_object_get(json_object_get(run, "best"), "metrics"), metric ? metric : "");
    buf[0] = '\0';
    if (metric && json_is_number(v))
        snprintf(buf, len, "best %s=%.6g", metric, json_number_value(v));
}

struct view {
    long long done, total, inflight;
    double eta;
    char state[16], best[96];
};

static void view_of(const json_t *run, struct view *v)
{
    const json_t *pr = json_object_get(run, "progress");
    const json_t *eta = json_object_get(pr, "eta_s");
    v->done = json_integer_value(json_object_get(pr, "done"));
    v->total = json_integer_value(json_object_get(pr, "total"));
    v->inflight = (long long)json_array_size(json_object_get(pr, "evaluating"));
    v->eta = json_is_number(eta) ? json_number_value(eta) : -1;
    snprintf(v->state, sizeof v->state, "%s",
             json_string_value(json_object_get(run, "state")) ?: "?");
    best_text(run, v->best, sizeof v->best);
}

static void eta_text(double eta, char *buf, size_t len)
{
    if (eta < 0)
        snprintf(buf, len, "ETA -");
    else if (eta < 120)
        snprintf(buf, len, "ETA %.0fs", eta);
    else if (eta < 7200)
        snprintf(buf, len, "ETA %.0fm", eta / 60);
    else
        snprintf(buf, len, "ETA %.1fh", eta / 3600);
}

/* Redrawn in place: "\r[#####.....] 25/50 ETA 3s best params=81234 training 2". */
static void draw_bar(long id, const struct view *v)
{
    char bar[31], eta[32];
    int width = 30, fill = v->total > 0 ? (int)(width * v->done / v->total) : 0;
    if (fill > width)
        fill = width;
    memset(bar, '#', (size_t)fill);
    memset(bar + fill, '.', (size_t)(width - fill));
    bar[width] = '\0';
    eta_text(v->eta, eta, sizeof eta);
    printf("\r\033[Krun %ld %s [%s] %lld/%lld %s", id, v->state, bar, v->done, v->total, eta);
    if (v->best[0])
        printf(" %s", v->best);
    if (v->inflight)
        printf(" training %lld", v->inflight);
    fflush(stdout);
}

static void plain_line(long id, const struct view *v)
{
    char eta[32];
    eta_text(v->eta, eta, sizeof eta);
    printf("run %ld %s %lld/%lld %s", id, v->state, v->done, v->total, eta);
    if (v->best[0])
        printf(" %s", v->best);
    if (v->inflight)
        printf(" training %lld", v->inflight);
    putchar('\n');
    fflush(stdout);
}

static int changed(const struct view *a, const struct view *b)
{
    return a->done != b->done || a->total != b->total || a->inflight != b->inflight ||
           strcmp(a->state, b->state) || strcmp(a->best, b->best);
}

static int finish_run(const struct ctl *c, long id, const json_t *run, const struct wait_opts *w)
{
    const char *state = json_string_value(json_object_get(run, "state"));
    int rc = EX_PASS;
    if (c->json)
        out_json(run);
    if (strcmp(state, "succeeded")) {
        const json_t *err = json_object_get(run, "error");
        fprintf(stderr, "error: run %ld %s", id, state);
        if (json_is_object(err))
            fprintf(stderr, ": %s: %s", json_string_value(json_object_get(err, "code")) ?: "?",
                    json_string_value(json_object_get(err, "detail")) ?: "");
        fputc('\n', stderr);
        rc = EX_RUN;
    } else if (!c->quiet && !c->json) {
        char b[96];
        best_text(run, b, sizeof b);
        printf("run %ld succeeded%s%s\n", id, b[0] ? ": " : "", b);
    }
    int failed = rc == EX_PASS ? gate_check(w->gates, w->n_gates, run) : 0;
    for (int i = 0; rc == EX_PASS && i < w->n_gates; i++) {
        char msg[256];
        gate_describe(&w->gates[i], msg, sizeof msg);
        if (!w->gates[i].passed)
            fprintf(stderr, "gate failed: %s\n", msg);
        else if (!c->quiet && !c->json)
            printf("gate passed: %s\n", msg);
    }
    if (w->junit && junit_write(w->junit, id, w->gates, w->n_gates, state) < 0) {
        fprintf(stderr, "error: cannot write %s\n", w->junit);
        return EX_USAGE;
    }
    return rc != EX_PASS ? rc : failed ? EX_GATE : EX_PASS;
}

int wait_run(const struct ctl *c, long id, const struct wait_opts *w)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/runs/%ld", id);
    int tty = isatty(STDOUT_FILENO) && !c->json && !c->quiet;
    int plain = !tty && !c->json && !c->quiet;
    struct view last = {.done = -1};
    for (;;) {
        json_t *run;
        int rc = out_get_json(c, path, &run);
        if (rc) {
            if (tty)
                putchar('\n');
            return rc;
        }
        struct view v;
        view_of(run, &v);
        if (tty)
            draw_bar(id, &v);
        else if (plain && changed(&v, &last))
            plain_line(id, &v);
        last = v;
        if (is_final(v.state)) {
            if (tty)
                putchar('\n');
            rc = finish_run(c, id, run, w);
            json_decref(run);
            return rc;
        }
        json_decref(run);
        nap(tty ? 0.25 : 0.5);
        if (c->deadline > 0 && now_s() > c->deadline) {
            if (tty)
                putchar('\n');
            fprintf(stderr, "error: timed out waiting for run %ld (still %s)\n", id, v.state);
            return EX_NET;
        }
    }
}

/* --- evaluations --follow --------------------------------------------------- */

struct follow {
    const struct ctl *c;
    long long cursor;
    char final[16];
};

static void print_eval(const struct follow *f, const json_t *ev)
{
    if (f->c->json) {
        json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        out_evaluation(stdout, ev);
    }
    fflush(stdout);
}

/* Take an evaluation unless its cursor was seen: each is printed once. */
static void take(struct follow *f, const json_t *ev)
{
    long long cur = json_integer_value(json_object_get(ev, "cursor"));
    if (cur <= f->cursor)
        return;
    f->cursor = cur;
    print_eval(f, ev);
}

/* Every evaluation committed after the cursor, a page at a time. */
static int drain(struct follow *f, long id)
{
    for (;;) {
        char path[128];
        json_t *page;
        snprintf(path, sizeof path, "/api/v1/runs/%ld/evaluations?since=%lld&limit=1000", id,
                 f->cursor);
        int rc = out_get_json(f->c, path, &page);
        if (rc)
            return rc;
        json_t *items = json_object_get(page, "items");
        size_t i, n = json_array_size(items);
        json_t *ev;
        json_array_foreach(items, i, ev)
            take(f, ev);
        json_decref(page);
        if (n == 0)
            return 0;
    }
}

static int on_event(const struct sse_event *e, void *arg)
{
    struct follow *f = arg;
    json_t *d = json_loads(e->data, 0, NULL);
    if (!strcmp(e->event, "evaluation")) {
        take(f, d);
    } else if (!strcmp(e->event, "state")) {
        const char *s = json_string_value(json_object_get(d, "state"));
        if (is_final(s))
            snprintf(f->final, sizeof f->final, "%s", s);
    }
    json_decref(d);
    return f->final[0] != '\0';
}

/* The run's state, by polling, when the stream cannot be had (503). */
static int poll_state(struct follow *f, long id)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/runs/%ld", id);
    json_t *run;
    int rc = out_get_json(f->c, path, &run);
    if (rc)
        return rc;
    const char *s = json_string_value(json_object_get(run, "state"));
    if (is_final(s))
        snprintf(f->final, sizeof f->final, "%s", s);
    json_decref(run);
    return 0;
}

int follow_evaluations(const struct ctl *c, long id)
{
    struct follow f = {.c = c};
    int rc = drain(&f, id);
    while (!rc && !f.final[0]) {
        char path[128];
        struct http_resp r;
        snprintf(path, sizeof path, "/api/v1/runs/%ld/events?last_event_id=%lld", id, f.cursor);
        int s = http_sse(c, path, on_event, &f, &r);
        if (s < 0) {
            rc = out_net_error(&r, c);
        } else if (r.status == 503) { /* every stream taken: poll instead */
            nap(1);
            rc = drain(&f, id);
            if (!rc)
                rc = poll_state(&f, id);
        } else if (r.status != 200) {
            rc = out_api_error(&r, path);
        } else if (!f.final[0]) { /* cut off (anasd stopped?): resume after a pause */
            nap(1);
        }
        http_resp_free(&r);
        if (!rc && !f.final[0] && c->deadline > 0 && now_s() > c->deadline) {
            fprintf(stderr, "error: timed out following run %ld\n", id);
            rc = EX_NET;
        }
    }
    if (!rc)
        rc = drain(&f, id); /* anything committed between the pages and the stream */
    if (!rc && strcmp(f.final, "succeeded")) {
        fprintf(stderr, "error: run %ld %s\n", id, f.final);
        rc = EX_RUN;
    }
    return rc;
}
