/*
 * surrogate-threads.c - one loaded model shared by several threads gives
 * every thread the same predictions as a single-threaded run.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#include "core/rng.h"
#include "surrogate/surrogate.h"
#include "tap.h"

#define N_THREADS  4
#define N_ROWS     300
#define N_FEATURES 22

struct job {
    struct anas_surrogate *m;
    const float *x;
    const float *want;
    int mismatches;
};

static void *work(void *arg)
{
    struct job *j = arg;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N_ROWS; i++) {
            float y;
            if (anas_surrogate_predict(j->m, j->x + i * N_FEATURES, 1, N_FEATURES, &y,
                                       NULL) != 0 ||
                y != j->want[i])
                j->mismatches++;
        }
    }
    return NULL;
}

int main(void)
{
    static float x[N_ROWS * N_FEATURES], want[N_ROWS];
    const char *shared = getenv("ANAS_SHARED");
    struct job jobs[N_THREADS];
    pthread_t tid[N_THREADS];
    struct anas_surrogate *m;
    struct anas_rng rng;
    char path[4096];
    int started = 0, total = 0;

    if (!shared || !*shared)
        skip_all("ANAS_SHARED is not set");
    snprintf(path, sizeof(path), "%s/reference/analognas/weights/xgboost_avm.bst",
             shared);
    m = anas_surrogate_load(path, NULL);
    if (!m)
        skip_all("AnalogNAS weights are absent");

    plan(4);
    anas_rng_seed(&rng, 7);
    for (int i = 0; i < N_ROWS * N_FEATURES; i++)
        x[i] = (float)anas_rng_int(&rng, 0, 17);
    ok(anas_surrogate_predict(m, x, N_ROWS, N_FEATURES, want, NULL) == 0,
       "serial predictions");
    for (int t = 0; t < N_THREADS; t++) {
        jobs[t] = (struct job){.m = m, .x = x, .want = want};
        if (pthread_create(&tid[t], NULL, work, &jobs[t]) == 0)
            started++;
        else
            break;
    }
    is_int(started, N_THREADS, "started %d threads", N_THREADS);
    for (int t = 0; t < started; t++) {
        pthread_join(tid[t], NULL);
        total += jobs[t].mismatches;
    }
    is_int(total, 0, "every thread saw the serial predictions");
    ok(want[0] != want[1] || want[1] != want[2], "the inputs give different predictions");
    anas_surrogate_free(m);
    return done();
}
