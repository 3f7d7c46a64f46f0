#!/bin/sh
# A random search with the analytic evaluator, end to end: progress,
# evaluations and their pagination, best, exports; an evaluate run; cancel
# and delete.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

SPEC='{"kind": "search", "name": "fashion-small",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "optimizer": {"kind": "random", "evaluations": 50},
 "objectives": [{"metric": "params", "goal": "min"}],
 "constraints": [{"metric": "params", "max": 200000}],
 "seed": 3}'

post_run "$SPEC"
status_is 201 "POST /api/v1/runs answers 201"
id=$RUN_ID
like "$id" '^[1-9][0-9]*$' "the run has a positive integer id"
is "$(header Location)" "/api/v1/runs/$id" "Location is /api/v1/runs/{id}"
jok "the run object: kind, name, state, spec with the seed, timestamps" \
    '.kind == "search" and .name == "fashion-small" and
     (.state == "queued" or .state == "running" or .state == "succeeded") and
     .spec.seed == 3 and .spec.space.name == "resnet" and .spec.runs == 1 and
     (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]+)?Z$")) and
     .progress.total == 50 and (.progress.done | type) == "number"'

# Follow progress to the end: done never decreases, never exceeds total.
prev=0
monotone=1
deadline=$(($(now) + $(scaled 60)))
while :; do
    req GET "/api/v1/runs/$id"
    d=$(jb .progress.done)
    t=$(jb .progress.total)
    if [ "$d" -lt "$prev" ] || [ "$d" -gt "$t" ]; then monotone=; fi
    prev=$d
    case $(jb .state) in succeeded | failed | canceled) break ;; esac
    [ "$(now)" -le "$deadline" ] || break
    sleep 0.1
done
is "$monotone" 1 "progress.done never decreased nor passed total"
jis .state succeeded "the search succeeded"
jis '"\(.progress.done)/\(.progress.total)"' 50/50 "progress is 50/50"
jok "started_at and finished_at are set, error is null" \
    '(.started_at | type) == "string" and (.finished_at | type) == "string" and .error == null'
cp "$BODY_FILE" "$tmp/run.json"

# Evaluations, paged with after=.
ok "the evaluations can be paged through with after=" all_evaluations "$id" "$tmp/evals.json"
ok "seq covers 1..50 exactly once" \
    jq -e '[.[].seq] == [range(1; 51)]' "$tmp/evals.json"
ok "every evaluation has rep 0, a hash, a config, a state and metrics" \
    jq -e 'all(.[]; .rep == 0 and (.hash | test("^[0-9a-f]{16}$")) and
                    (.config | length) == 22 and (.metrics.params | type) == "number" and
                    (.state == "complete" or .state == "invalid"))' "$tmp/evals.json"
ok "invalid evaluations are exactly those over 200000 params" \
    jq -e 'all(.[]; (.state == "invalid") == (.metrics.params > 200000))' "$tmp/evals.json"
ok "feasible is true exactly for the complete ones" \
    jq -e 'all(.[]; .feasible == (.state == "complete"))' "$tmp/evals.json"
nfeas=$(jq '[.[] | select(.state == "complete")] | length' "$tmp/evals.json")
ok "some evaluations are feasible ($nfeas of 50)" test "$nfeas" -gt 0
req GET "/api/v1/runs/$id/evaluations?limit=10"
jis '[.items[].seq] | map(tostring) | join(",")' 1,2,3,4,5,6,7,8,9,10 "limit=10 gives seq 1..10"
jis .next_after 10 "... and next_after 10"
req GET "/api/v1/runs/$id/evaluations?after=45&limit=10"
jis '[.items[].seq] | map(tostring) | join(",")' 46,47,48,49,50 "after=45 gives seq 46..50"
jis .next_after null "... and next_after null on the last page"
req GET "/api/v1/runs/$id/evaluations?rep=0&limit=100"
jis '.items | length' 50 "rep=0 gives all 50"
req GET "/api/v1/runs/$id/evaluations?rep=1"
jis '.items | length' 0 "rep=1 gives none"
req GET "/api/v1/runs/$id/evaluations?sort=params&limit=100"
jok "sort=params orders by params ascending" \
    '(.items | length) == 50 and ([.items[].metrics.params] | . == sort) and .next_after == null'
req GET "/api/v1/runs/$id/evaluations?sort=-params&limit=5"
jok "sort=-params orders descending, the feasible ones first" \
    --slurpfile e "$tmp/evals.json" \
    '[.items[].metrics.params] ==
     (([$e[0][] | select(.feasible) | .metrics.params] | sort | reverse) +
      ([$e[0][] | select(.feasible | not) | .metrics.params] | sort | reverse) | .[0:5])'

# The best is the feasible minimum.
ok "best is feasible and has the minimum params among feasible evaluations" \
    jq -e --slurpfile e "$tmp/evals.json" \
    '.best.metrics.params == ([$e[0][] | select(.feasible) | .metrics.params] | min) and
     .best.metrics.params <= 200000' "$tmp/run.json"
ok "best names one of the evaluations (hash, seq, config)" \
    jq -e --slurpfile e "$tmp/evals.json" \
    '.best as $b | [$e[0][] | select(.seq == $b.seq)] | length == 1 and
     .[0].hash == $b.hash and .[0].config == $b.config' "$tmp/run.json"
ok "summary: params/min, 1 run, 50 evaluations, std_err null, per_run of 1" \
    jq -e '.summary | .objective == "params" and .goal == "min" and .runs == 1 and
           .evaluations == 50 and .std_err == null and (.per_run | length) == 1 and
           .per_run[0].rep == 0 and .per_run[0].evaluations == 50 and
           .per_run[0].best.hash != null' "$tmp/run.json"
req GET "/api/v1/runs/$id/best"
status_is 200 "GET /best answers 200"
jok "GET /best equals the run's best and summary" --slurpfile r "$tmp/run.json" \
    '.best == $r[0].best and .summary == $r[0].summary'

# The architecture knows its evaluation.
req GET "/api/v1/architectures/$(jq -r .best.hash "$tmp/run.json")"
jok "GET /architectures/{best hash} lists this run's evaluation" --argjson id "$id" \
    '[.evaluations[] | select(.run == $id)] | length >= 1'

# Exports.
req GET "/api/v1/runs/$id/export?format=json"
status_is 200 "export format=json answers 200"
jok "export json has the run and its 50 evaluations" --argjson id "$id" \
    '.run.id == $id and (.evaluations | length) == 50'
req GET "/api/v1/runs/$id/export"
jok "json is the default export format" '(.evaluations | length) == 50'
req GET "/api/v1/runs/$id/export?format=csv"
status_is 200 "export format=csv answers 200"
like "$(header Content-Type)" '^text/csv' "csv is text/csv"
is "$(printf '%s\n' "$BODY" | wc -l | tr -d ' ')" 51 "csv has a header and 50 rows"
hdr=$(printf '%s\n' "$BODY" | head -n 1)
like "$hdr" "^seq,rep,hash,state,feasible,$(echo "$RESNET_HPS" | tr ' ' ','),.*params" \
    "csv header: seq,rep,hash,state,feasible, the 22 hyperparameters, then metrics"
req GET "/api/v1/runs/$id/export?format=analognas"
status_is 200 "export format=analognas answers 200"
is "$(printf '%s\n' "$BODY" | cut -d, -f1 | tr '\n' ' ' | sed 's/ $//')" "$RESNET_HPS" \
    "analognas export has the 22 keys in order"
like "$(header Content-Disposition)" 'filename="best_results_0.csv"' \
    "analognas export is named best_results_0.csv"

# An evaluate run of one architecture.
EVAL=$(printf '%s' "$SPEC" | jq -c --argjson a "$TUTORIAL_BEST" \
    '.kind = "evaluate" | .name = "one" | del(.optimizer) | .constraints = [] | .architecture = $a')
post_run "$EVAL"
status_is 201 "an evaluate run is accepted"
eid=$RUN_ID
wait_run "$eid" 60 || true
jis .state succeeded "the evaluate run succeeds"
jis '"\(.progress.done)/\(.progress.total)"' 1/1 "its progress is 1/1"
best_params=$(jb .best.metrics.params)
req POST /api/v1/architectures "{\"space\": \"resnet\", \"input\": [1, 28, 28], \"classes\": 10,
  \"config\": $TUTORIAL_BEST}"
is "$best_params" "$(jb .metrics.params)" "its best has the params of POST /architectures"
req GET "/api/v1/runs/$eid/evaluations"
jok "it has exactly one complete evaluation" \
    '(.items | length) == 1 and .items[0].seq == 1 and .items[0].state == "complete"'

# Lists: newest first, filtered by state, paginated.
req GET /api/v1/runs
jok "GET /api/v1/runs lists both runs, newest first" --argjson a "$id" --argjson b "$eid" \
    '[.items[].id] == [$b, $a]'
req GET '/api/v1/runs?limit=1'
jis '[.items[].id] | map(tostring) | join(",")' "$eid" "limit=1 gives the newest"
after=$(jb .next_after)
req GET "/api/v1/runs?limit=1&after=$after"
jis '[.items[].id] | map(tostring) | join(",")' "$id" "after=next_after gives the next one"

# Cancel a long search, then delete it.
LONG=$(printf '%s' "$SPEC" | jq -c '.name = "long" | .optimizer.evaluations = 200000 | .constraints = []')
post_run "$LONG"
status_is 201 "a 200000-evaluation search is accepted"
lid=$RUN_ID
jok "its total is 200000" '.progress.total == 200000'
sleep 1
req POST "/api/v1/runs/$lid/cancel" ''
status_is 200 "cancel answers 200"
jis .state canceled "... with state canceled"
wait_run "$lid" 30 || true
jis .state canceled "the run stays canceled"
jok "it stopped early, keeping what it finished" \
    '.progress.done < 200000 and .finished_at != null'
done_before=$(jb .progress.done)
sleep 1
req GET "/api/v1/runs/$lid"
jis .progress.done "$done_before" "no evaluation is added after cancel"
req GET "/api/v1/runs/$lid/evaluations?limit=10000"
is "$(jb '.items | length')" "$(
    if [ "$done_before" -gt 10000 ]; then echo 10000; else echo "$done_before"; fi
)" "its finished evaluations stay"
req GET '/api/v1/runs?state=canceled'
jok "state=canceled lists only it" --argjson l "$lid" '[.items[].id] == [$l]'
req GET '/api/v1/runs?state=succeeded'
jok "state=succeeded lists the other two" --argjson a "$id" --argjson b "$eid" \
    '[.items[].id] == [$b, $a]'
req DELETE "/api/v1/runs/$lid"
status_is 204 "DELETE of the canceled run answers 204"
is "$BODY" "" "... with no body"
req GET "/api/v1/runs/$lid"
problem_is 404 ANAS_ENOTFOUND '' "then GET is 404"
req GET "/api/v1/runs/$lid/evaluations"
problem_is 404 ANAS_ENOTFOUND '' "and its evaluations are gone"
req DELETE "/api/v1/runs/$lid"
problem_is 404 ANAS_ENOTFOUND '' "a second DELETE is 404"
req GET "/api/v1/runs/$id"
jis .state succeeded "the other runs are untouched"

req GET /metrics
status_is 200 "GET /metrics answers 200"
like "$(header Content-Type)" '^text/plain' "/metrics is Prometheus text"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
done_testing
