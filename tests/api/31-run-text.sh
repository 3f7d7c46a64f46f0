#!/bin/sh
# GET /api/v1/runs/{id} is served from a copy of the run's text
# (daemon/runtext.c) and evaluation pages join stored texts
# (daemon/evaltext.c): both must give the bytes the JSON-tree path gives
# (the runs list, the export), follow every change of the run, and show a
# live run without a best yet.
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd --max-runs 1

SPEC='{"kind": "search", "name": "run \"text\" é",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "optimizer": {"kind": "random", "evaluations": 30, "batch": 4},
 "objectives": [{"metric": "macs", "goal": "min"}, {"metric": "params", "goal": "min"}],
 "seed": 3}'

# The run object inside a list or export answer, as raw text.
run_in_list() { sed 's/^{"items":\[//; s/\],"next_after":.*$//' "$BODY_FILE"; }
run_in_export() { sed 's/^{"run"://; s/,"evaluations":\[.*$//' "$BODY_FILE"; }

post_run "$SPEC"
queued=$RUN_ID
# a second run waits behind the first (--max-runs 1): its text changes state
post_run "$SPEC"
waiting=$RUN_ID
wait_run "$queued" 60
wait_run "$waiting" 60
for id in "$queued" "$waiting"; do
    req GET "/api/v1/runs/$id"
    fast=$BODY
    req GET "/api/v1/runs/$id/export?format=json"
    is "$(run_in_export)" "$fast" "run $id: the same bytes as the export's run object"
done
req GET "/api/v1/runs?limit=1"
is "$(run_in_list)" "$fast" "the same bytes as the runs list's"

# Pages: the spliced items parse, and say what the export says.
req GET "/api/v1/runs/$queued/evaluations?limit=7&after=2"
jok "a page of 7 after seq 2" '(.items | map(.seq)) == [3,4,5,6,7,8,9] and .next_after == 9'
page=$(jq -c '.items' "$BODY_FILE")
req GET "/api/v1/runs/$queued/export?format=json"
is "$(jq -c '.evaluations[2:9]' "$BODY_FILE")" "$page" "the page's items are the export's"

# A live run whose every candidate is infeasible has no best: null, not an error.
post_run "$(printf '%s' "$SPEC" | jq -c '.optimizer.evaluations = 100000 |
    .constraints = [{"metric": "params", "max": 1}]')"
live=$RUN_ID
deadline=$(($(now) + $(scaled 20)))
while req GET "/api/v1/runs/$live" && [ "$(jb .progress.done)" -lt 20 ] &&
    [ "$(now)" -le "$deadline" ]; do sleep 0.1; done
jok "a live run without a best: best null, progress live" \
    '.state == "running" and .best == null and .summary == null and .progress.done >= 20
     and (.progress | has("eta_s"))'
strip='del(.progress, .best)'
a=$(jq -c "$strip" "$BODY_FILE")
# The last live answer is kept while the progress is the same: polling must
# still see every change of it.
seen=$(jb .progress.done)
for _ in 1 2 3 4 5 6 7 8; do
    sleep 0.1
    req GET "/api/v1/runs/$live"
    seen="$seen $(jb .progress.done)"
done
sorted=$(printf '%s\n' $seen | sort -n | tr '\n' ' ')
distinct=$(printf '%s\n' $seen | sort -un | wc -l)
ok "polling a live run follows its progress ($seen)" \
    test "$distinct" -ge 4 -a "$sorted" = "$seen "
req GET "/api/v1/runs?limit=1"
is "$(jq -c ".items[0] | $strip" "$BODY_FILE")" "$a" "the live text matches the list's"
req POST "/api/v1/runs/$live/cancel"
req GET "/api/v1/runs/$live"
jis .state canceled "canceling shows at once (the row changed)"
req GET "/api/v1/runs/$live/export?format=json"
fast=$(curl -s "$URL/api/v1/runs/$live")
is "$(run_in_export)" "$fast" "the canceled run: the same bytes as the export's"
req GET /api/v1/runs/999
jis .code ANAS_ENOTFOUND "an unknown run is 404"
done_testing
