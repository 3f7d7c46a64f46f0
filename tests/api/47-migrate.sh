#!/bin/sh
# A database of every older schema version, built from that version's own
# schema/*.sql files and holding a finished search, is migrated at start-up
# and its run is served as before: the same run object, the same
# evaluations (by seq, by commit cursor, sorted by a metric), its export;
# and new runs work on it.
# shellcheck disable=SC2016 # jq programs and SQL are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip_all "sqlite3 is not installed"
set -- "$ANAS_SRCDIR"/schema/[0-9][0-9][0-9][0-9]_*.sql
latest=$#
[ "$latest" -ge 2 ] || skip_all "only one schema version"
PAGE=1000

# The data: a finished search, written by this anasd.
ANASD_DB=$tmp/source.db
start_anasd
post_run '{"kind": "search", "name": "old",
           "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
           "evaluator": {"kind": "analytic"},
           "optimizer": {"kind": "random", "evaluations": 40},
           "objectives": [{"metric": "params", "goal": "min"}],
           "constraints": [{"metric": "params", "max": 300000}], "seed": 5}'
wait_run "$RUN_ID" 30 || true
jis .state succeeded "a search is stored"
jq -S 'del(.progress.eta_s)' "$BODY_FILE" >"$tmp/run.json"
all_evaluations 1 "$tmp/evals.json"
req GET "/api/v1/runs/1/evaluations?sort=params&limit=10"
jq -c '[.items[].seq]' "$BODY_FILE" >"$tmp/sorted.json"
req GET "/api/v1/runs/1/evaluations?since=0&limit=100"
jq -c '[.items[].seq]' "$BODY_FILE" >"$tmp/committed.json"
stop_anasd

# The schema a new database gets: its tables' columns and its indexes.
fresh_indexes=$(sqlite3 "$tmp/source.db" \
    "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name)")

# cols DB TABLE: the table's columns in DB, comma-separated.
cols() {
    sqlite3 "$1" "SELECT group_concat(name, ', ') FROM pragma_table_info('$2')"
}

v=0
for sql in "$@"; do
    v=$((v + 1))
    [ "$v" -lt "$latest" ] || break
    db=$tmp/v$v.db
    # The schema as version $v left it, then the rows it can hold.
    i=0
    for f in "$@"; do
        i=$((i + 1))
        [ "$i" -le "$v" ] || break
        sqlite3 "$db" <"$f"
    done
    for t in runs architectures evaluations; do
        c=$(cols "$db" "$t")
        sqlite3 "$db" "ATTACH '$tmp/source.db' AS src;
                       INSERT INTO main.$t ($c) SELECT $c FROM src.$t ORDER BY rowid;"
    done
    sqlite3 "$db" "PRAGMA user_version = $v"
    is "$(sqlite3 "$db" 'SELECT count(*) FROM evaluations')" 40 "version $v: a database with 40 evaluations"

    ANASD_DB=$db
    start_anasd
    is "$(grep -c 'applied migration' "$ANASD_ERR")" $((latest - v)) \
        "version $v: anasd applies the $((latest - v)) newer migrations"
    req GET /api/v1/runs/1
    ok "version $v: the run is served as before" \
        sh -c 'test "$(jq -S "del(.progress.eta_s)" "$1")" = "$(cat "$2")"' sh "$BODY_FILE" \
        "$tmp/run.json"
    ok "version $v: its evaluations are listed" all_evaluations 1 "$tmp/got.json"
    ok "version $v: the same evaluations" \
        sh -c 'f="map(del(.cursor))"; test "$(jq -S -c "$f" "$1")" = "$(jq -S -c "$f" "$2")"' \
        sh "$tmp/got.json" "$tmp/evals.json"
    req GET "/api/v1/runs/1/evaluations?since=0&limit=100"
    is "$(jq -c '[.items[].seq]' "$BODY_FILE")" "$(cat "$tmp/committed.json")" \
        "version $v: by commit cursor, in the order they were committed"
    req GET "/api/v1/runs/1/evaluations?sort=params&limit=10"
    is "$(jq -c '[.items[].seq]' "$BODY_FILE")" "$(cat "$tmp/sorted.json")" \
        "version $v: sorted by params as before"
    req GET "/api/v1/runs/1/export?format=csv"
    is "$(($(printf '%s\n' "$BODY" | wc -l) - 1))" 40 "version $v: the export has 40 rows"
    post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
               "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 10},
               "seed": 5}'
    wait_run "$RUN_ID" 30 || true
    jis .state succeeded "version $v: a new run succeeds on the migrated database"
    req GET "/api/v1/runs/$RUN_ID/evaluations?since=0&limit=100"
    jok "version $v: its evaluations follow the old ones in commit order" \
        '(.items | length) == 10 and .items[0].cursor > 40'
    stop_anasd
    is "$(sqlite3 "$db" 'PRAGMA user_version')" "$latest" "version $v: now version $latest"
    is "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "version $v: integrity_check is ok"
    # The index a sort by params made (store.c's sort_index) is the source's too.
    is "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
                         WHERE type = 'index' ORDER BY name)")" "$fresh_indexes" \
        "version $v: the same indexes as a new database (none on architectures' sizes)"
done
done_testing
