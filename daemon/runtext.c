/*
 * runtext.c - GET /api/v1/runs/{id} without SQLite or a JSON tree on the
 * way, for clients that poll a run's status many times a second.
 *
 * Most of a run object changes only when its row does: the spec (the
 * largest part, and its warnings), the state, the times, the error, and
 * for a run that is not live its progress, best and summary. Those are
 * kept as text per run, with the store's runs generation (store_runs_gen)
 * they were read under; any write to runs changes it, and the text is
 * read again. A live run's progress changes with every committed result
 * (and its ETA with them), so it is made anew when they change; its best
 * is kept by the seq of the evaluation it names (a best only changes to
 * another evaluation), and the last whole answer by the progress and best
 * it shows. The pieces come from the same builders as run_json() and
 * are joined where the compact dump would put them, so the answer is the
 * same bytes the long way gives.
 *
 * A small direct-mapped table by run id: a poller of many runs only costs
 * re-reads. Loop thread only, like the store.
 */
#include "config.h"

#include "runtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anasd.h"
#include "api.h"
#include "codec.h"
#include "core/err.h"
#include "faults.h"
#include "jobs.h"
#include "store.h"

#define N_TEXTS 64

struct run_text {
    long long id; /* 0: empty */
    unsigned long long gen;
    int live;       /* built for an active run */
    int running;    /* its row says running */
    char *head;     /* the head object's dump without its closing brace */
    char *tail;     /* ',' and the tail object's dump without its opening brace */
    char *whole;    /* not live: the whole answer */
    size_t head_len, tail_len, whole_len;
    long long best_seq; /* live: the best that best_text shows, 0: none yet */
    char *best_text;
    /* live: the last answer, and the progress and best it shows */
    char *last;
    size_t last_len;
    long long last_done, last_total, last_best_seq;
    double last_eta;
};

struct run_texts {
    struct run_text t[N_TEXTS];
};

json_t *runtext_head_json(const struct store_run *r, const char *state)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id,
                     "kind", r->kind, "name", r->name, "state", state, "spec",
                     api_text_json(r->spec_json), "created_at", api_time_json(r->created_at),
                     "started_at", api_time_json(r->started_at), "finished_at",
                     api_time_json(r->finished_at));
}

json_t *runtext_tail_json(const struct store_run *r, const char *fault)
{
    json_t *spec = api_text_json(r->spec_json);
    json_t *o = json_pack("{s:o, s:o}", "error", api_text_json(fault ? fault : r->error_json),
                          "warnings", codec_run_warnings(spec));
    json_decref(spec);
    return o;
}

static void text_clear(struct run_text *t)
{
    free(t->head);
    free(t->tail);
    free(t->whole);
    free(t->best_text);
    free(t->last);
    memset(t, 0, sizeof *t);
}

void runtext_free(struct run_texts *ts)
{
    if (!ts)
        return;
    for (int i = 0; i < N_TEXTS; i++)
        text_clear(&ts->t[i]);
    free(ts);
}

/* The dump of v (taken), NULL without memory. */
static char *dump(json_t *v, size_t *len)
{
    char *s = v ? codec_dump(v) : NULL;
    json_decref(v);
    if (s)
        *len = strlen(s);
    return s;
}

/* a, b and c joined, malloc'd. */
static char *join3(const char *a, size_t na, const char *b, size_t nb, const char *c,
                   size_t nc, size_t *len)
{
    char *s = malloc(na + nb + nc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc);
    s[na + nb + nc] = '\0';
    *len = na + nb + nc;
    return s;
}

/* The middle of a run that is not live, as run_json() makes it. */
static char *static_middle(const struct store_run *r, size_t *len)
{
    struct jobs_progress p = {r->done, r->total, 0, NAN};
    json_t *m = json_pack("{s:o, s:o, s:o}", "progress", api_progress_json(&p, 0, NULL),
                          "best", api_text_json(r->best_json), "summary",
                          api_text_json(r->summary_json));
    char *s = dump(m, len);
    /* "{...}" -> ",...": the braces go, the pieces join with commas */
    if (s) {
        s[0] = ',';
        s[--*len] = '\0';
    }
    return s;
}

static int build(struct anasd *d, struct run_text *t, long long id, int live)
{
    struct store_run r;
    size_t n = 0, mid_len = 0;
    char *mid = NULL;
    int rc = store_run_get(d->store, id, &r);
    text_clear(t);
    if (rc < 0)
        return rc;
    t->head = dump(runtext_head_json(&r, r.state), &t->head_len);
    t->tail = dump(runtext_tail_json(&r, NULL), &t->tail_len);
    if (!live)
        mid = static_middle(&r, &mid_len);
    t->running = strcmp(r.state, "running") == 0;
    store_run_fini(&r);
    if (!t->head || !t->tail || (!live && !mid)) {
        free(mid);
        text_clear(t);
        return ANAS_ENOMEM;
    }
    t->head[--t->head_len] = '\0'; /* the closing brace */
    t->tail[0] = ',';              /* the opening one */
    if (!live) {
        t->whole = join3(t->head, t->head_len, mid, mid_len, t->tail, t->tail_len, &n);
        free(mid);
        if (!t->whole) {
            text_clear(t);
            return ANAS_ENOMEM;
        }
        t->whole_len = n;
    }
    t->id = id;
    t->gen = store_runs_gen(d->store);
    t->live = live;
    return 0;
}

/* The live best's text, made again only when the best changed. */
static int live_best(struct anasd *d, struct run_text *t, long long id, long long best_seq)
{
    struct jobs_progress p;
    json_t *best = NULL;
    size_t n = 0;
    if (t->best_text && t->best_seq == best_seq)
        return 0;
    free(t->best_text);
    t->best_text = NULL;
    if (jobs_live(d->jobs, id, &p, &best, NULL, NULL) < 0)
        return 1; /* gone meanwhile: the long way */
    if (json_is_null(best)) { /* none yet; a dump is of an object or an array */
        json_decref(best);
        t->best_text = strdup("null");
    } else {
        t->best_text = dump(best, &n);
    }
    t->best_seq = best_seq;
    return t->best_text ? 0 : ANAS_ENOMEM;
}

size_t runtext_real(char buf[RUNTEXT_REAL_MAX], double v)
{
    int n = snprintf(buf, RUNTEXT_REAL_MAX, "%.17g", v);
    char *e;
    if (n < 0 || n >= RUNTEXT_REAL_MAX - 2)
        return 0;
    /* Without a point or an exponent the text would read back as an integer. */
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + n, ".0", 3);
        return (size_t)n + 2;
    }
    /* "1e+21" -> "1e21", "1e-05" -> "1e-5" */
    if ((e = strchr(buf, 'e'))) {
        char *digits = e + 1 + (e[1] == '-'), *from = e + 2;
        while (*from == '0')
            from++;
        if (from != digits) {
            memmove(digits, from, strlen(from) + 1);
            n -= (int)(from - digits);
        }
    }
    return (size_t)n;
}

/* Appends n bytes at *at. */
static char *put(char *at, const char *s, size_t n)
{
    memcpy(at, s, n);
    return at + n;
}

/* No printf for a number on every request. */
char *runtext_ll(char *at, long long v)
{
    char digits[24];
    int n = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        digits[n++] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *at++ = '-';
    while (n > 0)
        *at++ = digits[--n];
    return at;
}

char *runtext_progress(const struct jobs_progress *p, json_t *evaluating, size_t *len)
{
    static const char done_key[] = "{\"done\":", total_key[] = ",\"total\":",
                      eta_key[] = ",\"eta_s\":", ev_key[] = ",\"evaluating\":";
    char eta[RUNTEXT_REAL_MAX] = "null", *ev = NULL, *s, *at;
    size_t neta = 4, nev = 2;
    if (isfinite(p->eta) && (neta = runtext_real(eta, p->eta)) == 0)
        return NULL;
    /* An empty list, what a surrogate or analytic search shows, needs no dump. */
    if (evaluating && json_array_size(evaluating) > 0) {
        if (!(ev = codec_dump(evaluating)))
            return NULL;
        nev = strlen(ev);
    }
    /* two numbers of at most 20 characters, "null" at most */
    s = malloc(sizeof done_key + sizeof total_key + sizeof eta_key + sizeof ev_key + 40 + neta +
               nev + 2);
    if (!s) {
        free(ev);
        return NULL;
    }
    at = put(s, done_key, sizeof done_key - 1);
    at = runtext_ll(at, p->done);
    at = put(at, total_key, sizeof total_key - 1);
    at = p->total < 0 ? put(at, "null", 4) : runtext_ll(at, p->total);
    at = put(at, eta_key, sizeof eta_key - 1);
    at = put(at, eta, neta);
    if (evaluating) {
        at = put(at, ev_key, sizeof ev_key - 1);
        at = put(at, ev ? ev : "[]", nev);
    }
    *at++ = '}';
    *at = '\0';
    free(ev);
    *len = (size_t)(at - s);
    return s;
}

/* A malloc'd copy of the n bytes at s, NUL terminated. */
static char *copy(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c)
        memcpy(c, s, n + 1);
    return c;
}

/* Do two ETAs show as the same text? Non-finite ones all show as null;
 * finite ones by their bits (0.0 and -0.0 differ). */
static int same_eta(double a, double b)
{
    if (!isfinite(a) || !isfinite(b))
        return !isfinite(a) && !isfinite(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Is the last live answer what p, best_seq and an empty `evaluating`
 * give? A quick search's pollers ask many times between two commits of
 * its results, which are what changes its progress. */
static int last_fits(const struct run_text *t, const struct jobs_progress *p,
                     long long best_seq, json_t *evaluating)
{
    return t->last && t->last_done == p->done && t->last_total == p->total &&
           same_eta(t->last_eta, p->eta) && t->last_best_seq == best_seq &&
           json_is_array(evaluating) && json_array_size(evaluating) == 0;
}

/* Keep s (len bytes) as the last live answer when `evaluating` is empty
 * (a training's list changes with its epochs, not with the progress). */
static void keep_last(struct run_text *t, const char *s, size_t len,
                      const struct jobs_progress *p, long long best_seq, json_t *evaluating)
{
    free(t->last);
    t->last = NULL;
    if (!json_is_array(evaluating) || json_array_size(evaluating) != 0 ||
        !(t->last = copy(s, len)))
        return;
    t->last_len = len;
    t->last_done = p->done;
    t->last_total = p->total;
    t->last_eta = p->eta;
    t->last_best_seq = best_seq;
}

/* head + progress + best + "summary": null + tail */
static int live_text(struct anasd *d, struct run_text *t, long long id,
                     const struct jobs_progress *p, long long best_seq, json_t *evaluating,
                     char **text, size_t *len)
{
    static const char progress_key[] = ",\"progress\":", best_key[] = ",\"best\":",
                      summary_null[] = ",\"summary\":null";
    size_t np = 0, nb, total;
    char *progress, *s;
    int rc = live_best(d, t, id, best_seq);
    if (rc != 0) {
        json_decref(evaluating);
        return rc;
    }
    if (last_fits(t, p, best_seq, evaluating)) {
        json_decref(evaluating);
        if (!(*text = copy(t->last, t->last_len)))
            return ANAS_ENOMEM;
        *len = t->last_len;
        return 0;
    }
    progress = runtext_progress(p, evaluating, &np);
    if (!progress) {
        json_decref(evaluating);
        return ANAS_ENOMEM;
    }
    nb = strlen(t->best_text);
    total = t->head_len + sizeof progress_key - 1 + np + sizeof best_key - 1 + nb +
            sizeof summary_null - 1 + t->tail_len;
    if (!(s = malloc(total + 1))) {
        free(progress);
        json_decref(evaluating);
        return ANAS_ENOMEM;
    }
    *len = 0;
#define PUT(p_, n_) (memcpy(s + *len, (p_), (n_)), *len += (n_))
    PUT(t->head, t->head_len);
    PUT(progress_key, sizeof progress_key - 1);
    PUT(progress, np);
    PUT(best_key, sizeof best_key - 1);
    PUT(t->best_text, nb);
    PUT(summary_null, sizeof summary_null - 1);
    PUT(t->tail, t->tail_len);
#undef PUT
    s[*len] = '\0';
    free(progress);
    keep_last(t, s, *len, p, best_seq, evaluating);
    json_decref(evaluating);
    *text = s;
    return 0;
}

int runtext_get(struct anasd *d, long long id, char **text, size_t *len)
{
    struct jobs_progress p;
    json_t *evaluating = NULL;
    struct run_text *t;
    int live, rc;
    if (id <= 0)
        return ANAS_ENOTFOUND;
    if (faults_run_error(d->faults, id))
        return 1;
    if (!d->run_texts && !(d->run_texts = calloc(1, sizeof *d->run_texts)))
        return ANAS_ENOMEM;
    t = &d->run_texts->t[id % N_TEXTS];
    memset(&p, 0, sizeof p);
    live = jobs_live(d->jobs, id, &p, NULL, NULL, &evaluating) == 0;
    if (t->id != id || t->gen != store_runs_gen(d->store) || t->live != live) {
        rc = build(d, t, id, live);
        if (rc < 0) {
            json_decref(evaluating);
            return rc;
        }
    }
    if (!live) {
        json_decref(evaluating);
        if (!(*text = copy(t->whole, t->whole_len)))
            return ANAS_ENOMEM;
        *len = t->whole_len;
        return 0;
    }
    /* Active but not running (being started or stopped): rare, and
     * run_json() knows what to show then. */
    if (!t->running) {
        json_decref(evaluating);
        return 1;
    }
    return live_text(d, t, id, &p, jobs_live_best_seq(d->jobs, id), evaluating, text, len);
}
