/*
 * worker.h - anas-worker: evaluations leased from anasd, computed here
 * with the same code anasd's own threads use (daemon/evalsetup.c), their
 * results posted back (doc/anas-worker.1, doc/api.md#remote-workers).
 *
 *   main.c    options, signals, the threads;
 *   loop.c    one thread's loop: lease, evaluate, report; heartbeats;
 *   runs.c    what a run's evaluations need, loaded once per run;
 *   http.c    HTTP over libcurl (the only file that includes it).
 */
#ifndef ANAS_WORKER_H
#define ANAS_WORKER_H

#include <jansson.h>
#include <stdatomic.h>

#include "codec.h"

struct worker {
    char url[1024];
    char token[512];
    struct conf conf; /* data and model roots, as anasd's codec reads them */
    int threads;
    int eval_threads; /* each evaluation's team (evalsetup_threads) */
    char id[64], host[128];
    int idle_exit;         /* seconds without work before exiting; 0: never */
    unsigned evaluators;   /* bit per enum anas_eval_kind offered */
    atomic_int stop;       /* SIGTERM or SIGINT */
    atomic_int failed;     /* a thread met an error it cannot get past */
    atomic_long done;      /* results accepted */
};

/* "anas-worker: " and the message, on stderr (loop.c). */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- http.c --- */
struct http_resp {
    long status;
    char *body;
    size_t len;
    char err[256];
};
struct http;
int http_global_init(void);
void http_global_cleanup(void);
struct http *http_new(const struct worker *w);
void http_free(struct http *h);
/* method path [JSON body]: 0 with the answer (any status) in r, -1 when no
 * answer came (r->err says why). */
int http_call(struct http *h, const char *method, const char *path, const char *body,
              struct http_resp *r);
void http_resp_free(struct http_resp *r);

/* --- runs.c --- */
struct run_setup {
    long long run;
    char *spec_text; /* the lease's spec and surrogates, to recognise the run */
    struct run_spec spec;
    struct anas_dataset *train_set, *test_set;
    struct anas_eval_spec ev; /* repetition 0's seed; a copy per evaluation */
    struct anas_surrogate *models[ANAS_EVAL_MAX_MODELS];
    void *blob[ANAS_EVAL_MAX_MODELS];
    size_t blob_len[ANAS_EVAL_MAX_MODELS];
    int refs;
    int cached; /* in the cache (else freed by its last runs_put) */
};
/* The setup of the lease's run (shared by the threads; loaded on first
 * use), or NULL with err set. */
struct run_setup *runs_get(struct worker *w, json_t *lease, struct anas_error *err);
void runs_put(struct run_setup *s);
void runs_free_all(void);

/* --- loop.c --- */
void *loop_thread(void *arg);
struct beats;
struct beats *beats_new(struct worker *w, int slots);
void beats_free(struct beats *b);
void *beats_thread(void *arg);
/* Cancel every evaluation (signals: async-signal-safe). */
void beats_cancel_all(struct beats *b);
/* End the heartbeat thread (after the loops). */
void beats_stop(struct beats *b);

struct thread_arg {
    struct worker *w;
    struct beats *beats;
    int slot;
};

#endif
