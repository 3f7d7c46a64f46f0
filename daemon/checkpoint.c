/*
 * checkpoint.c - the write-ahead log copied into the database off the loop
 * thread (SQLite's "application-initiated checkpoints",
 * https://www.sqlite.org/wal.html#application_initiated_checkpoints).
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the log
 * past its threshold: on the loop thread, with an fdatasync of the log and
 * one of the database, while requests wait. Here the loop's connection
 * only appends; its commit hook wakes this thread when the log holds
 * WAKE_PAGES, and this thread's own connection copies the log into the
 * database with PASSIVE checkpoints, which take no lock a commit needs.
 *
 * Copying is not enough to bound the log: SQLite starts it over from its
 * beginning only when a write transaction begins while every frame has
 * been copied. Beside a writer that commits hundreds of times a second a
 * checkpoint never sees the log's end (each commit appends more while it
 * copies), and the log grows without limit. So each round is two
 * checkpoints: the first copies the bulk while commits go on; the second,
 * while the loop's batches are held off (the gate), copies the few pages
 * committed meanwhile. The next commit then restarts the log, and it
 * stays near WAKE_PAGES (1 MB) as with the automatic checkpoint, and not
 * much past LIMIT_PAGES (see there): a small volume is not filled by the
 * log alone (tests/api/45-disk-full.sh).
 *
 * A held-off batch is not the loop waiting: commit.c tries again a
 * millisecond later and serves requests meanwhile. Writes that are not
 * batches, or cannot wait (a run's state, a submission, the results of a
 * run that ends), go ahead without the gate: one that slips in between
 * costs that round's restart, and LIMIT_PAGES bounds the log should that
 * keep happening.
 */
#include "config.h"

#include "checkpoint.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <uv.h>

#include "core/err.h"
#include "core/log.h"
#include "store.h"

/* SQLite's automatic checkpoint ran at 256 pages here (store.c). */
#define WAKE_PAGES 256
/*
 * A log this long (SQLite's default threshold, 4 MB) did not start over
 * for a while: writes that do not wait for the gate (a burst of
 * submissions) spoiled the rounds' restarts, or a round is slow (on a
 * disk busy with other work one took 100 ms). The commit then checkpoints
 * on the loop thread, as SQLite's automatic checkpoint did, which leaves
 * nothing between the copy and the next commit; if a round is under way,
 * the batches wait for its end instead.
 */
#define LIMIT_PAGES 1024

struct checkpointer {
    struct store *st;
    struct store_ckpt *conn; /* this thread's only */
    uv_thread_t thread;
    uv_mutex_t gate; /* held by a batch's commit, or by the round's last copy */
    uv_mutex_t mu;   /* want, stop */
    uv_cond_t wake;
    int want, stop;
    atomic_int over; /* past LIMIT_PAGES during a round; the round's end clears it */
    atomic_ullong rounds, held_ns; /* checkpoint_stats() */
    int failed; /* this thread's: the last round failed (logged once) */
};

/* The loop thread, after a commit: past WAKE_PAGES, a round is due. */
static void on_commit(void *arg, int frames)
{
    struct checkpointer *ck = arg;
    if (frames < WAKE_PAGES)
        return;
    if (frames >= LIMIT_PAGES) {
        if (store_checkpoint_here(ck->st) != ANAS_EBUSY)
            return;
        /* Another checkpoint is under way (a round, an operator's): the
         * batches wait for a round's end, which this one asks for. */
        atomic_store(&ck->over, 1);
    }
    uv_mutex_lock(&ck->mu); /* never held for long: see ckpt_main */
    ck->want = 1;
    uv_cond_signal(&ck->wake);
    uv_mutex_unlock(&ck->mu);
}

static void report(struct checkpointer *ck, int rc)
{
    if (rc < 0 && !ck->failed)
        anas_log(ANAS_LOG_WARN, "store: checkpoint failed (%s); retried after the next commit",
                 anas_strerror(rc));
    else if (rc == 0 && ck->failed)
        anas_log(ANAS_LOG_INFO, "store: checkpoints succeed again");
    ck->failed = rc < 0;
}

/* One round: the bulk beside the commits, the rest with them held off.
 * Whatever the batches committed before the gate is then copied: a round
 * they asked for meanwhile is this one, and the next commit restarts the
 * log. A round that failed is tried again after the next commit. */
static void round_(struct checkpointer *ck)
{
    int rc = store_ckpt_run(ck->conn);
    uint64_t t0;

    uv_mutex_lock(&ck->gate);
    t0 = uv_hrtime();
    if (rc == 0)
        rc = store_ckpt_run(ck->conn);
    uv_mutex_lock(&ck->mu);
    ck->want = 0;
    uv_mutex_unlock(&ck->mu);
    atomic_store(&ck->over, 0);
    atomic_fetch_add(&ck->held_ns, uv_hrtime() - t0);
    uv_mutex_unlock(&ck->gate);
    atomic_fetch_add(&ck->rounds, 1);
    report(ck, rc);
}

static void ckpt_main(void *arg)
{
    struct checkpointer *ck = arg;

    for (;;) {
        uv_mutex_lock(&ck->mu);
        while (!ck->want && !ck->stop)
            uv_cond_wait(&ck->wake, &ck->mu);
        if (ck->stop) {
            uv_mutex_unlock(&ck->mu);
            return;
        }
        ck->want = 0;
        uv_mutex_unlock(&ck->mu);
        round_(ck);
    }
}

int checkpoint_start(struct store *st, struct checkpointer **out)
{
    struct checkpointer *ck;

    *out = NULL;
    if (!store_wal_file(st))
        return 0;
    ck = calloc(1, sizeof *ck);
    if (!ck)
        return ANAS_ENOMEM;
    ck->st = st;
    atomic_init(&ck->over, 0);
    atomic_init(&ck->rounds, 0);
    atomic_init(&ck->held_ns, 0);
    if (store_ckpt_open(st, &ck->conn) < 0) {
        free(ck);
        return 0; /* logged; store.c's automatic checkpoint stays */
    }
    uv_mutex_init(&ck->gate);
    uv_mutex_init(&ck->mu);
    uv_cond_init(&ck->wake);
    if (uv_thread_create(&ck->thread, ckpt_main, ck) != 0) {
        anas_log(ANAS_LOG_WARN, "store: no checkpointer thread; the loop checkpoints");
        uv_cond_destroy(&ck->wake);
        uv_mutex_destroy(&ck->mu);
        uv_mutex_destroy(&ck->gate);
        store_ckpt_close(ck->conn);
        free(ck);
        return 0;
    }
    store_on_commit(st, on_commit, ck);
    *out = ck;
    return 0;
}

void checkpoint_stop(struct checkpointer *ck)
{
    if (!ck)
        return;
    store_on_commit(ck->st, NULL, NULL);
    uv_mutex_lock(&ck->mu);
    ck->stop = 1;
    uv_cond_signal(&ck->wake);
    uv_mutex_unlock(&ck->mu);
    uv_thread_join(&ck->thread);
    store_ckpt_close(ck->conn);
    uv_cond_destroy(&ck->wake);
    uv_mutex_destroy(&ck->mu);
    uv_mutex_destroy(&ck->gate);
    free(ck);
}

void checkpoint_stats(const struct checkpointer *ck, unsigned long long *rounds,
                      double *held_s)
{
    *rounds = ck ? atomic_load(&ck->rounds) : 0;
    *held_s = ck ? (double)atomic_load(&ck->held_ns) / 1e9 : 0;
}

int checkpoint_try_hold(struct checkpointer *ck)
{
    if (!ck)
        return 0;
    return !atomic_load(&ck->over) && uv_mutex_trylock(&ck->gate) == 0 ? 0 : ANAS_EBUSY;
}

void checkpoint_release(struct checkpointer *ck)
{
    if (ck)
        uv_mutex_unlock(&ck->gate);
}
