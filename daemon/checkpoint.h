/*
 * checkpoint.h - the write-ahead log copied into the database by a thread
 * of its own, so that the loop thread only appends to the log.
 *
 *     struct checkpointer *ck;
 *     checkpoint_start(store, &ck);   // after store_open
 *     ...
 *     if (checkpoint_try_hold(ck) == 0) { commit a batch; checkpoint_release(ck); }
 *     ...
 *     checkpoint_stop(ck);            // before store_close
 *
 * Every function accepts NULL (no checkpointer: the automatic checkpoint
 * on the loop thread instead).
 */
#ifndef ANASD_CHECKPOINT_H
#define ANASD_CHECKPOINT_H

struct store;
struct checkpointer;

/* Starts the thread for st's log. *out is NULL, and st keeps checkpointing
 * itself, when st is no file in WAL mode (":memory:") or the thread or its
 * connection cannot be had (logged): returns 0 either way, or ANAS_ENOMEM. */
int checkpoint_start(struct store *st, struct checkpointer **out);

/* Joins the thread (it finishes the checkpoint it is in) and closes its
 * connection; st's close then checkpoints the rest, as SQLite's last
 * connection does. */
void checkpoint_stop(struct checkpointer *ck);

/* Any thread: the rounds done so far, and the seconds their last copies
 * held the batches off. */
void checkpoint_stats(const struct checkpointer *ck, unsigned long long *rounds,
                      double *held_s);

/*
 * Around the loop thread's batches. While the thread copies the last
 * pages of the log, batches wait, so that the log is then all in the
 * database and the next commit starts it over from its beginning.
 * try_hold never waits: ANAS_EBUSY means try again in a millisecond (also
 * while the log is past its limit and a round is under way). A commit
 * that cannot wait (a run ending) goes ahead without the gate.
 */
int checkpoint_try_hold(struct checkpointer *ck);
void checkpoint_release(struct checkpointer *ck);

#endif
