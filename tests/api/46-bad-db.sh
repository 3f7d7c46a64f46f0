#!/bin/sh
# Databases anasd must not use, and one it must wait for: a file that is
# not a database, a corrupt one, a read-only one, one another anasd
# serves, and one another process keeps locked. Each refusal is one line
# on stderr naming the file, exit status 1, and the file is left as it was.
# A lock taken in the middle of a run interrupts it (503 for new runs
# meanwhile) until the lock goes away; then the run resumes by itself.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"

# refused FILE PATTERN DESC [RUNNER...]: anasd refuses FILE, says PATTERN.
refused() {
    _rf_file=$1
    _rf_pat=$2
    _rf_desc=$3
    shift 3
    cp "$_rf_file" "$tmp/before"
    RUN_STATUS=0
    timeout -k 5 "$(scaled 20)" "$@" $ANASD_WRAPPER "$ANASD" --listen 127.0.0.1:0 \
        --db "$_rf_file" >"$tmp/run.out" 2>"$tmp/run.err" </dev/null || RUN_STATUS=$?
    is "$RUN_STATUS" 1 "$_rf_desc: exit status 1"
    _rf_line=$(grep -v '^==' "$tmp/run.err" | grep "^anasd: " || true)
    like "$_rf_line" "^anasd: $_rf_file: .*$_rf_pat" "$_rf_desc: says so, naming the file"
    is "$(grep -c '^anasd: ' "$tmp/run.err")" 1 "$_rf_desc: in one line"
    ok "$_rf_desc: the file is left untouched" cmp -s "$_rf_file" "$tmp/before"
}

# --- not a database, corrupt ---------------------------------------------------

printf 'name,params\nresnet,741324\n' >"$tmp/text.db"
refused "$tmp/text.db" "not an SQLite database" "a CSV file"
head -c 65536 /dev/urandom >"$tmp/random.db"
refused "$tmp/random.db" "not an SQLite database" "random bytes"

# A real database with a stored run, then pages 2 to 4 overwritten.
ANASD_DB=$tmp/good.db
start_anasd
post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
           "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 20},
           "seed": 3}'
good_run=$RUN_ID
wait_run "$good_run" 30 || true
jis .state succeeded "a run is stored in a good database"
stop_anasd
cp "$tmp/good.db" "$tmp/corrupt.db"
dd if=/dev/urandom of="$tmp/corrupt.db" bs=4096 seek=1 count=3 conv=notrunc 2>/dev/null
refused "$tmp/corrupt.db" "corrupt" "a database with damaged pages"

# --- read-only -------------------------------------------------------------------

cp "$tmp/good.db" "$tmp/ro.db"
chmod 444 "$tmp/ro.db"
if [ "$(id -u)" -ne 0 ]; then
    refused "$tmp/ro.db" "read-only" "a read-only database"
elif command -v setpriv >/dev/null; then
    # root writes whatever the mode says: run as nobody instead
    chmod 755 "$tmp"
    refused "$tmp/ro.db" "read-only" "a read-only database (as nobody)" \
        setpriv --reuid=65534 --regid=65534 --clear-groups
    chmod 700 "$tmp"
else
    skip "root and no setpriv: a read-only file is writable" && skip && skip && skip
fi

# --- another anasd, another process's lock -----------------------------------------

start_anasd
refused "$tmp/good.db" "in use by another anasd" "a second anasd on the same database"
req GET "/api/v1/runs/$good_run"
jis .state succeeded "the first one keeps serving the stored run"

# The lock held at start-up: anasd waits 5 s, then says who is in the way
# (on a copy, meanwhile).
cp "$tmp/good.db" "$tmp/held.db"
(echo '.timeout 10000'
    echo 'BEGIN IMMEDIATE; UPDATE runs SET name = name WHERE id = 1;'
    sleep "$(scaled 8)"
    echo 'COMMIT;') | sqlite3 "$tmp/held.db" &
holder2=$!
sleep 0.3
(
    rc=0
    timeout -k 5 "$(scaled 20)" $ANASD_WRAPPER "$ANASD" --listen 127.0.0.1:0 \
        --db "$tmp/held.db" >/dev/null 2>"$tmp/start.err" </dev/null || rc=$?
    echo "$rc" >"$tmp/start.status"
) &
starter=$!

# Another process holds the write lock (longer than the 5 s anasd waits)
# from the middle of a run: the run is interrupted, new runs get 503.
hold=$(scaled 8)
post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
           "evaluator": {"kind": "analytic"},
           "optimizer": {"kind": "random", "evaluations": 1000000, "batch": 8}, "seed": 4}'
id=$RUN_ID
(echo '.timeout 10000'
    echo 'BEGIN IMMEDIATE; UPDATE runs SET name = name WHERE id = 1;'
    sleep "$hold"
    echo 'COMMIT;') | sqlite3 "$tmp/good.db" &
holder=$!
deadline=$(($(now) + $(scaled 20)))
while :; do
    req GET "/api/v1/runs/$id"
    case $(jb .state) in running | queued) ;; *) break ;; esac
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.2
done
jis .state interrupted "a run whose writes wait more than 5 s for the lock is interrupted"
jis .error.code ANAS_EUNAVAIL "its error says the database is unavailable"
req GET /api/v1/health
jis .storage unavailable "health says the storage is unavailable"
post_run '{"kind": "search", "space": {"name": "resnet"}, "evaluator": {"kind": "analytic"},
           "optimizer": {"kind": "random", "evaluations": 5}}'
problem_is 503 ANAS_EUNAVAIL '' "a new run gets 503"
ok "with Retry-After" test -n "$(header Retry-After)"
wait "$holder" || true
deadline=$(($(now) + $(scaled 20)))
while :; do
    req GET "/api/v1/runs/$id"
    [ "$(jb .state)" != running ] || break
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.2
done
jis .state running "the run resumes once the lock is gone"
jis .error null "without its error"
req POST "/api/v1/runs/$id/cancel"
status_is 200 "and can be canceled"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"

# (the start-up attempt of above, begun with the lock)
wait "$starter" || true
is "$(cat "$tmp/start.status")" 1 "a database locked at start-up: exit status 1"
like "$(grep '^anasd: ' "$tmp/start.err")" "locked by another process" "and says why"
wait "$holder2" || true
done_testing
