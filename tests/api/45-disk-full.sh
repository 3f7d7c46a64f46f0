#!/bin/sh
# The disk fills up under the database in the middle of a search: the run
# is served as interrupted with the error at once, new runs get 507, and
# once there is room again the run resumes by itself and ends exactly as
# the same spec run uninterrupted.
#
# The full disk is a file size limit (RLIMIT_FSIZE) lowered on the running
# daemon with prlimit(1), and raised again later: no root, no tmpfs. Past
# the limit write(2) fails with EFBIG where a full file system says ENOSPC;
# SQLite returns the same failed write either way (SQLITE_IOERR_WRITE or
# SQLITE_FULL) and anasd treats both as a full disk. When the test may
# mount a tmpfs (root), a really full one follows.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

command -v prlimit >/dev/null || skip_all "prlimit (util-linux) is not installed"
PAGE=1000

spec_for() { # SEED EVALUATIONS
    jq -n -c --argjson seed "$1" --argjson n "$2" '{
  kind: "search", name: "disk-full",
  space: {name: "resnet", input: [1, 28, 28], classes: 10},
  evaluator: {kind: "analytic"},
  optimizer: {kind: "random", evaluations: $n, batch: 8},
  objectives: [{metric: "params", goal: "min"}],
  constraints: [{metric: "params", max: 300000}],
  seed: $seed}'
}

# A database with some data first (an earlier search), all of it in the
# database file once anasd stops.
start_anasd --max-runs 1
post_run "$(spec_for 99 600)"
wait_run "$RUN_ID" 30 || true
jis .state succeeded "an earlier search fills the database a little"
# Its log pages were copied by the checkpointer, and the log started over
# each time: without that it would hold every page written, over 10 MB.
req GET /metrics
ok "the checkpointer checkpointed the log" \
    sh -c 'awk "/^anasd_store_checkpoints_total /{k=\$2} /^anasd_store_log_pages_total /{p=\$2}
        END {exit !(k > 0 && p > 1024)}" "$1"' sh "$BODY_FILE"
wal=$(stat -c %s "$tmp/anasd.db-wal")
ok "the log stayed within 5 MB ($wal bytes)" test "$wal" -le 5242880
stop_anasd
start_anasd --max-runs 1

spec=$(spec_for 23 400)

# No file may grow beyond the database file's size now: the log has room
# for a few dozen commits, and the database none for new pages, so that
# no checkpoint can make room either.
limit=$(stat -c %s "$tmp/anasd.db")
ok "the daemon's file size limit is lowered to $limit bytes" \
    prlimit --pid "$ANASD_PID" --fsize="$limit:unlimited"

post_run "$spec"
status_is 201 "a search is accepted while there is room"
id=$RUN_ID

# The run stops on the first evaluation that cannot be stored.
deadline=$(($(now) + $(scaled 30)))
while :; do
    req GET "/api/v1/runs/$id"
    case $(jb .state) in interrupted | succeeded | failed | canceled) break ;; esac
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.1
done
jis .state interrupted "the run is served as interrupted"
jis .error.code ANAS_ENOSPC "its error says the disk is full"
jok "the detail says it resumes" '.error.detail | test("resumes once the database can be written")'
done_at=$(jb .progress.done)
ok "it stopped midway ($done_at of 400)" test "$done_at" -gt 0 -a "$done_at" -lt 400

req GET /api/v1/health
jis .storage full "health says the storage is full"
post_run "$spec"
problem_is 507 ANAS_ENOSPC '' "a new run gets 507 Insufficient Storage"
is "$(header Retry-After)" 5 "with Retry-After"
post_run '{"kind": "search", "runs": "two"}'
problem_is 422 - - "bad input still gets its own problem"
req GET "/api/v1/runs/$id/evaluations?limit=5"
status_is 200 "the stored evaluations can still be read"
stored=$(jb '.items | length')
ok "some were stored ($stored)" test "$stored" -gt 0

sleep 1.5
req GET "/api/v1/runs/$id"
jis .state interrupted "it stays interrupted while the disk is full"

# Room again: the run resumes on its own and finishes.
ok "the file size limit is lifted" prlimit --pid "$ANASD_PID" --fsize=unlimited:unlimited
wait_run "$id" 60 || true
jis .state succeeded "the run resumes and succeeds once there is room"
jis .error null "its error is gone"
jis '"\(.progress.done)/\(.progress.total)"' "400/400" "progress is 400/400"
cp "$BODY_FILE" "$tmp/resumed.json"
req GET /api/v1/health
jis .storage ok "health says the storage is ok again"
ok "the resumed run's evaluations can be listed" all_evaluations "$id" "$tmp/resumed-evals.json"
ok "seq covers 1..400 exactly once" \
    jq -e '[.[].seq] == [range(1; 401)]' "$tmp/resumed-evals.json"

# The same spec, uninterrupted, on a fresh database.
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
ANASD_DB=$tmp/reference.db
start_anasd
post_run "$spec"
ref=$RUN_ID
wait_run "$ref" 60 || true
jis .state succeeded "the same spec succeeds uninterrupted"
ok "the best and summary are the same" \
    sh -c 'f="{best, summary}"
           test "$(jq -S "$f" "$1")" = "$(jq -S "$f" "$2")"' sh "$tmp/resumed.json" "$BODY_FILE"
ok "the reference evaluations can be listed" all_evaluations "$ref" "$tmp/reference-evals.json"
ok "both histories are identical (seq, hash, state, feasible, metrics)" \
    sh -c 'f="map({seq, rep, hash, state, feasible, metrics})"
           test "$(jq -S -c "$f" "$1")" = "$(jq -S -c "$f" "$2")"' sh \
    "$tmp/resumed-evals.json" "$tmp/reference-evals.json"
stop_anasd

# A real full disk when we may mount one: a 3 MB tmpfs, filled but for
# 200 KB by another file, then that file removed. The write-ahead log alone
# outgrows such a disk (SQLite checkpoints it at 4 MB): anasd checkpoints
# it when the disk is full, and the run gets through in a few rounds.
small=$tmp/small
mkdir "$small"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=3m tmpfs "$small" 2>/dev/null; then
    skip "no tmpfs to fill (needs root): the file size limit above stands in" && done_testing
fi
# lib.sh's clean-up, after the unmount, sees the exit status ($?) it would
# have seen (an "|| _cleanup" keeps set -e from ending the trap first).
trap '_rc0=$?; umount "$small" 2>/dev/null || true; (exit $_rc0) || _cleanup; _cleanup' EXIT
ANASD_DB=$small/anasd.db
start_anasd --max-runs 1
avail=$(df -k --output=avail "$small" | tail -n 1)
dd if=/dev/zero of="$small/filler" bs=1k count=$((avail - 200)) 2>/dev/null || true
post_run "$spec"
id=$RUN_ID
deadline=$(($(now) + $(scaled 30)))
while :; do
    req GET "/api/v1/runs/$id"
    case $(jb .state) in interrupted | succeeded | failed | canceled) break ;; esac
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.1
done
jis .error.code ANAS_ENOSPC "a full tmpfs: the run is interrupted, ANAS_ENOSPC"
rm -f "$small/filler"
wait_run "$id" 60 || true
jis .state succeeded "it succeeds once the other file is gone"
ok "its evaluations can be listed" all_evaluations "$id" "$tmp/tmpfs-evals.json"
ok "they are the uninterrupted run's" \
    sh -c 'f="map({seq, rep, hash, state, feasible, metrics})"
           test "$(jq -S -c "$f" "$1")" = "$(jq -S -c "$f" "$2")"' sh \
    "$tmp/tmpfs-evals.json" "$tmp/reference-evals.json"
stop_anasd
umount "$small"
done_testing
