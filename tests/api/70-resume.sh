#!/bin/sh
# kill -9 in the middle of a run, restart on the same database: the run
# resumes and ends exactly as the same spec run uninterrupted.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

PAGE=1000
start_anasd

# Use the random optimizer's batch parameter when it has one.
req GET /api/v1/optimizers
batch=$(jb '.items[] | select(.name == "random") | .parameters[] | select(.name == "batch") | .name')

spec_for() { # EVALUATIONS
    jq -n -c --argjson n "$1" --arg batch "$batch" '{
      kind: "search", name: "resume",
      space: {name: "resnet", input: [1, 28, 28], classes: 10},
      evaluator: {kind: "analytic"},
      optimizer: ({kind: "random", evaluations: $n} +
                  (if $batch == "" then {} else {batch: 8} end)),
      objectives: [{metric: "params", goal: "min"}],
      constraints: [{metric: "params", max: 300000}],
      seed: 11}'
}

# Submit and kill -9 once 0 < done < total; retry with a bigger budget when
# the run finishes before we catch it in the middle.
budget=3000
# Under valgrind every evaluation is ~30x slower: a tenth still leaves the
# kill plenty of time to land midway, and the histories stay long enough.
[ -z "$ANASD_WRAPPER" ] || budget=300
killed=
spec=
id=
post_status=
while [ -z "$killed" ] && [ "$budget" -le 200000 ]; do
    spec=$(spec_for "$budget")
    post_run "$spec"
    post_status=$STATUS
    [ "$STATUS" = 201 ] || break
    id=$RUN_ID
    deadline=$(($(now) + $(scaled 120)))
    while [ "$(now)" -le "$deadline" ]; do
        req GET "/api/v1/runs/$id"
        d=$(jb '.progress.done // 0')
        state=$(jb .state)
        case $state in succeeded | failed | canceled) break ;; esac
        if [ "$d" -gt 0 ] && [ "$d" -lt "$budget" ]; then
            kill9_anasd
            killed=$d
            break
        fi
        sleep 0.05
    done
    if [ -z "$killed" ]; then
        diag "run $id ($budget evaluations) ended '$state' before it could be killed midway"
        budget=$((budget * 4))
    fi
done
is "$post_status" 201 "the search is accepted"
ok "the daemon was killed with the run in progress ($killed of $budget done)" test -n "$killed"
[ -n "$killed" ] || done_testing

# Restart on the same database: the run resumes.
start_anasd
states=
deadline=$(($(now) + $(scaled 300)))
while :; do
    req GET "/api/v1/runs/$id"
    state=$(jb .state)
    case " $states " in *" $state "*) ;; *) states="$states $state" ;; esac
    case $state in succeeded | failed | canceled) break ;; esac
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.2
done
diag "states seen after the restart:$states"
jis .state succeeded "the resumed run succeeds"
ok "it went only through interrupted/queued/running on the way" \
    sh -c 'for s in $1; do case $s in interrupted|queued|running|succeeded) ;; *) exit 1 ;; esac; done' \
    sh "$states"
jis '"\(.progress.done)/\(.progress.total)"' "$budget/$budget" "progress is $budget/$budget"
cp "$BODY_FILE" "$tmp/resumed.json"
ok "its evaluations can be listed" all_evaluations "$id" "$tmp/resumed-evals.json"
ok "seq covers 1..$budget exactly once, without duplicates" \
    jq -e --argjson n "$budget" '[.[].seq] == [range(1; $n + 1)]' "$tmp/resumed-evals.json"
ok "every evaluation is complete or invalid" \
    jq -e 'all(.[]; .state == "complete" or .state == "invalid")' "$tmp/resumed-evals.json"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"

# The same spec, uninterrupted, on a fresh database.
ANASD_DB=$tmp/reference.db
start_anasd
post_run "$spec"
status_is 201 "the same spec is accepted on a fresh database"
ref=$RUN_ID
wait_run "$ref" 300 || true
jis .state succeeded "the uninterrupted run succeeds"
cp "$BODY_FILE" "$tmp/reference.json"
# (all but how many were reused: a finished smaller attempt answers some)
ok "the resumed run's best and summary equal the uninterrupted run's" \
    sh -c 'f="{best, summary: (.summary | del(.cached))}"
           test "$(jq -S "$f" "$1")" = "$(jq -S "$f" "$2")"' sh \
    "$tmp/resumed.json" "$tmp/reference.json"
ok "the reference evaluations can be listed" all_evaluations "$ref" "$tmp/reference-evals.json"
ok "both histories are identical (seq, hash, state, feasible, metrics)" \
    sh -c 'f="map({seq, rep, hash, state, feasible, metrics})"
           test "$(jq -S -c "$f" "$1")" = "$(jq -S -c "$f" "$2")"' sh \
    "$tmp/resumed-evals.json" "$tmp/reference-evals.json"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
done_testing
