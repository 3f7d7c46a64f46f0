#!/bin/sh
# anas-worker against a real anasd that evaluates nothing itself
# (--workers 0): a training search evaluated by two remote threads stores
# the same evaluations, metrics bit for bit, as the same search evaluated
# by anasd's own threads on a fresh database; a train run's weights come
# back byte for byte; a worker stopped by SIGTERM mid-training releases its
# lease (the evaluation waits again at once, not after the lease timeout)
# and exits 0; anasd killed with -9 and restarted mid-search loses nothing
# and the worker carries on; bad command lines exit 2 and a dataset outside the worker's
# --data-root exits 1 naming it.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

: "${ANAS_WORKER:=$(dirname "$ANASD")/../clients/anas-worker/anas-worker}"
[ -x "$ANAS_WORKER" ] || bail "anas-worker not found at '$ANAS_WORKER' (set ANAS_WORKER)"

# worker ARG...: anas-worker in the foreground, bounded; sets W_RC, W_ERR.
worker() {
    W_ERR=$tmp/worker.err
    W_RC=0
    timeout -k 5 "$(scaled 60)" "$ANAS_WORKER" --url "$URL" "$@" >"$tmp/worker.out" \
        2>"$W_ERR" </dev/null || W_RC=$?
}

URL=http://127.0.0.1:1 worker --help
is "$W_RC" 0 "--help exits 0"
grep -q -- '--data-root DIR' "$tmp/worker.out" && pass "--help lists the options" ||
    fail "--help lists the options"
URL=http://127.0.0.1:1 worker --version
like "$(cat "$tmp/worker.out")" '^anas-worker [0-9]+\.[0-9]+\.[0-9]+$' "--version"
URL=http://127.0.0.1:1 worker --threads 0
is "$W_RC" 2 "--threads 0 exits 2"
URL=ftp://x worker
is "$W_RC" 2 "a URL that is not http(s) exits 2"
URL=http://127.0.0.1:1 worker --data-root "$tmp/none"
is "$W_RC" 2 "a missing --data-root exits 2"
URL=http://127.0.0.1:1 worker --evaluators rpu
is "$W_RC" 2 "--evaluators rpu exits 2 (rpu runs in anasd)"

mkdir -p "$tmp/data/fm" "$tmp/elsewhere"
SPACE='"space": {"name": "mlp", "input": [1, 8, 8], "classes": 4}'
DATA='"dataset": {"name": "synthetic", "train_subset": 128, "test_subset": 64}'
SEARCH='{"kind": "search", '"$SPACE"',
  "dataset": {"name": "synthetic", "train_subset": 1024, "test_subset": 64},
  "evaluator": {"kind": "train", "epochs": 2, "batch_size": 16},
  "optimizer": {"kind": "random", "evaluations": 16}, "runs": 2, "seed": 9}'
TRAIN='{"kind": "train", '"$SPACE"', '"$DATA"',
  "evaluator": {"kind": "train", "epochs": 1, "batch_size": 16},
  "architecture": {"depth": 2, "width1": 64, "width2": 32, "activation": 1}, "seed": 4}'

# results FILE: a run's evaluations without what depends on time.
results() {
    all_evaluations "$1" "$2.raw" &&
        jq -S '[.[] | {seq, rep, hash, state, feasible, cached, curve,
                       metrics: (.metrics | del(.train_s))}]' "$2.raw" >"$2"
}

# Remote: anasd coordinates only; two worker threads evaluate everything.
start_anasd --workers 0 --lease-timeout 30 --data-root "$tmp/data"
post_run "$SEARCH"
status_is 201 "a training search is accepted by anasd --workers 0"
search=$RUN_ID
post_run "$TRAIN"
train=$RUN_ID
post_run '{"kind": "search", '"$SPACE"', '"$DATA"',
  "evaluator": {"kind": "train", "epochs": 4, "batch_size": 16},
  "pruner": {"kind": "successive-halving", "eta": 3},
  "optimizer": {"kind": "random", "evaluations": 9}, "seed": 5}'
pruned=$RUN_ID
"$ANAS_WORKER" --url "$URL" --threads 2 --data-root "$tmp/data" --id wk --exit-when-idle 2 \
    2>"$tmp/wk.err" &
wpid=$!
# anasd is killed in the middle and restarted on its port: the worker goes
# on, the resumed runs queue their unfinished evaluations again.
_deadline=$(($(now) + $(scaled 20)))
until req GET "/api/v1/runs/$search" && [ "$(jb .progress.done)" -ge 1 ]; do
    [ "$(now)" -le "$_deadline" ] || break
    sleep 0.05
done
port=${URL##*:}
kill9_anasd
start_anasd --workers 0 --lease-timeout 30 --data-root "$tmp/data" --listen "127.0.0.1:$port"
wrc=0
wait "$wpid" || wrc=$?
is "$wrc" 0 "the worker rode out anasd's kill -9 and restart, and exited 0 once idle"
grep -q 'resuming with' "$ANASD_ERR" && pass "the search was resumed mid-way" ||
    fail "the search was resumed mid-way"
wait_run "$search" 30
jis .state succeeded "the search succeeded, evaluated remotely"
results "$search" "$tmp/remote.json"
wait_run "$train" 30
jis .state succeeded "the train run succeeded, evaluated remotely"
req GET "/api/v1/runs/$train/model"
cp "$BODY_FILE" "$tmp/remote.safetensors"
wait_run "$pruned" 30
jok "a pruned search on the worker: anasd's pruner stopped some trainings at a rung" \
    '.state == "succeeded" and .summary.pruned > 0 and .summary.complete > 0'
req GET "/api/v1/runs/$pruned/evaluations?state=pruned"
jok "... each pruned one with the curve of the epochs it trained" \
    'all(.items[]; (.curve | length) < 4 and .metrics.epochs == (.curve | length))'
req GET /api/v1/health
jok "health: the worker is known to the restarted anasd; nothing waits" \
    '.remote.waiting == 0 and .remote.leased == 0 and
     (.remote.workers | map(select(.id == "wk"))[0] | .threads == 2)'

# The worker cannot read the next run's dataset: it says so and exits 1.
post_run '{"kind": "train", '"$SPACE"',
  "dataset": {"name": "fashion-mnist", "path": "'"$tmp/data/fm"'"},
  "evaluator": {"kind": "train", "epochs": 1},
  "architecture": {"depth": 1, "width1": 32, "activation": 0}}'
bad=$RUN_ID
worker --data-root "$tmp/elsewhere" --exit-when-idle 1
is "$W_RC" 1 "a dataset outside the worker's --data-root: exit 1"
grep -q 'data-root\|/dataset' "$W_ERR" && pass "... naming the dataset" ||
    { fail "... naming the dataset"; diag_stdin <"$W_ERR"; }
req GET /api/v1/health
is "$(jb .remote.waiting)" 1 "its lease was released: the evaluation waits again"
req POST "/api/v1/runs/$bad/cancel"

# SIGTERM mid-training: the lease is released, not lost.
post_run '{"kind": "train", '"$SPACE"',
  "dataset": {"name": "synthetic", "train_subset": 1000, "test_subset": 64},
  "evaluator": {"kind": "train", "epochs": 50, "batch_size": 16},
  "architecture": {"depth": 2, "width1": 512, "width2": 512, "activation": 1}}'
long=$RUN_ID
"$ANAS_WORKER" --url "$URL" --data-root "$tmp/data" --id wterm 2>"$tmp/wterm.err" &
wpid=$!
_deadline=$(($(now) + $(scaled 20)))
until req GET "/api/v1/runs/$long" && [ "$(jb '.progress.evaluating[0].worker')" = wterm ]; do
    [ "$(now)" -le "$_deadline" ] || break
    sleep 0.1
done
is "$(jb '.progress.evaluating[0].worker')" wterm "the run page shows the remote worker training"
kill -TERM "$wpid"
wrc=0
wait "$wpid" || wrc=$?
is "$wrc" 0 "on SIGTERM the worker exits 0"
grep -q 'released' "$tmp/wterm.err" && pass "... saying it released its lease" ||
    { fail "... saying it released its lease"; diag_stdin <"$tmp/wterm.err"; }
req GET /api/v1/health
is "$(jb .remote.waiting) $(jb .remote.leased)" "1 0" \
    "the evaluation waits for another worker at once (lease timeout 30 s)"
req POST "/api/v1/runs/$long/cancel"
stop_anasd

# Local: the same search and train run on a fresh database, anasd's threads.
ANASD_DB=$tmp/local.db start_anasd --workers 2 --data-root "$tmp/data"
post_run "$SEARCH"
wait_run "$RUN_ID" 30
jis .state succeeded "the same search evaluated locally succeeded"
results "$RUN_ID" "$tmp/local.json"
if cmp -s "$tmp/remote.json" "$tmp/local.json"; then
    pass "remote and local evaluations are identical (hashes, states, curves, metrics)"
else
    fail "remote and local evaluations are identical (hashes, states, curves, metrics)"
    diff "$tmp/remote.json" "$tmp/local.json" | head -n 20 | diag_stdin
fi
jq -e 'length == 32 and all(.[]; .state == "complete")' "$tmp/local.json" >/dev/null &&
    pass "... 32 of them, all trained" || fail "... 32 of them, all trained"
post_run "$TRAIN"
wait_run "$RUN_ID" 30
req GET "/api/v1/runs/$RUN_ID/model"
cmp -s "$BODY_FILE" "$tmp/remote.safetensors" && pass "the trained weights are identical" ||
    fail "the trained weights are identical"

done_testing
