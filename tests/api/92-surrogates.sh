#!/bin/sh
# Surrogates fitted on a run's results: an analytic resnet search, a model
# of its macs fitted on the pool (k-fold quality, XGBoost's JSON model to
# download), a second search that uses it as an evaluator ({"surrogate":
# ID}) and predicts what the model predicts (checked against Python's
# xgboost when python3-xgboost is installed), every validation error with
# its pointer, 409s while a run uses it or while it is still fitting, and
# a kill -9 during a fit leaving no row stuck in "fitting".
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd --max-runs 2

search() { # SPACE EVALUATIONS SEED [EXTRA-JSON]
    jq -n -c --arg sp "$1" --argjson n "$2" --argjson seed "$3" --argjson x "${4:-{\}}" '{
      kind: "search", space: $sp, evaluator: {kind: "analytic"},
      optimizer: {kind: "random", evaluations: $n},
      objectives: [{metric: "macs", goal: "min"}], seed: $seed} + $x'
}

# wait_surrogate ID [TIMEOUT]: poll until ready or failed.
wait_surrogate() {
    _ws_deadline=$(($(now) + $(scaled "${2:-120}")))
    while :; do
        req GET "/api/v1/surrogates/$1"
        case $(jb .state) in ready | failed) return 0 ;; esac
        if [ "$(now)" -gt "$_ws_deadline" ]; then
            diag "surrogate $1 still '$(jb .state)' after ${2:-120} s"
            return 1
        fi
        sleep 0.2
    done
}

# --- the data: 300 analytic evaluations of resnet --------------------------

post_run "$(search resnet 300 11)"
status_is 201 "an analytic resnet search of 300 evaluations is accepted"
base=$RUN_ID
[ -n "$base" ] || bail "no run to learn from"
wait_run "$base" 120
jis .state succeeded "it succeeds"
all_evaluations "$base" "$tmp/base.json"
distinct=$(jq '[.[] | select(.state == "complete") | .hash] | unique | length' "$tmp/base.json")

# --- fitting -----------------------------------------------------------------

# Under valgrind, fewer trees: XGBoost's training dominates there.
trees=300
[ -z "$ANASD_WRAPPER" ] || trees=60
FIT='{"runs": ['"$base"'], "metric": "macs", "name": "resnet macs",
      "params": {"n_estimators": '"$trees"', "max_depth": 6, "eta": 0.1, "seed": 7}}'
req POST /api/v1/surrogates "$FIT"
status_is 201 "POST /surrogates accepts a fit of macs on the run"
sid=$(jb .id)
is "$(header Location)" "/api/v1/surrogates/$sid" "Location names it"
jok "it starts fitting, with its request normalized" \
    '.state == "fitting" and .metric == "macs" and .space == "resnet" and
     .runs == ['"$base"'] and .folds == 5 and .name == "resnet macs" and
     .params.n_estimators == '"$trees"' and .params.max_depth == 6 and .params.eta == 0.1 and
     .params.seed == 7 and .params.subsample == 1 and .params.lambda == 1 and
     .quality == null and .finished_at == null and .error == null'
jis .n "$distinct" "one row per distinct architecture ($distinct)"
wait_surrogate "$sid"
jis .state ready "the fit becomes ready"
jok "k-fold quality: Kendall tau > 0.8, Spearman rho > tau, rmse and mape" \
    '.quality.kendall_tau > 0.8 and .quality.spearman_rho > .quality.kendall_tau and
     .quality.spearman_rho <= 1 and .quality.rmse > 0 and .quality.mape > 0 and
     (.finished_at | type) == "string" and .error == null'
diag "quality: $(jb -c .quality)"

req GET /api/v1/surrogates
jok "GET /surrogates lists it first" '.items[0].id == '"$sid"' and .next_after == null'
req GET "/api/v1/surrogates?limit=1&after=$sid"
jok "... with limit and after" '.items == []'

req GET "/api/v1/surrogates/$sid/model"
status_is 200 "GET /surrogates/{id}/model answers"
like "$(header Content-Type)" '^application/json' "... XGBoost's JSON model"
is "$(header Content-Disposition)" "attachment; filename=\"surrogate-$sid.json\"" \
    "... as an attachment named after it"
jok "... with its learner and $trees trees" \
    '.learner.gradient_booster.model.gbtree_model_param.num_trees == "'"$trees"'"'
cp "$BODY_FILE" "$tmp/model.json"

# --- a search on the surrogate -----------------------------------------------

USE='{"kind": "search", "space": "resnet",
 "evaluator": {"kind": "surrogate", "models": {"pred_macs": {"surrogate": '"$sid"'}}},
 "optimizer": {"kind": "random", "evaluations": 40},
 "objectives": [{"metric": "pred_macs", "goal": "min"}], "seed": 21}'
post_run "$USE"
status_is 201 "a search with the stored surrogate as evaluator is accepted"
use1=$RUN_ID
jok "its spec echoes {\"surrogate\": ID}" \
    '.spec.evaluator.models == {pred_macs: {surrogate: '"$sid"'}} and .warnings == []'
wait_run "$use1" 120
jis .state succeeded "it succeeds"
all_evaluations "$use1" "$tmp/use1.json"
ok "every evaluation predicted pred_macs" \
    jq -e 'length == 40 and all(.[]; .state == "complete" and (.metrics.pred_macs | type) == "number")' \
    "$tmp/use1.json"
# macs spans orders of magnitude: the model is judged, like a search uses
# it, on how it orders architectures.
CONCORDANT='[.[] | [.metrics.pred_macs, .metrics.macs]] as $p
    | [range(0; $p | length) as $i | range($i + 1; $p | length) as $j
       | (($p[$i][0] - $p[$j][0]) * ($p[$i][1] - $p[$j][1])) | select(. != 0) | (. > 0)]
    | (map(select(.)) | length) / length'
ok "the predictions order the 40 architectures as their true macs (> 85% of pairs)" \
    jq -e "($CONCORDANT) > 0.85" "$tmp/use1.json"
diag "concordant pairs: $(jq "$CONCORDANT" "$tmp/use1.json")"

# The same architectures in a new database would be predicted again; here a
# second identical run must agree with the first, seq by seq.
post_run "$USE"
use2=$RUN_ID
wait_run "$use2" 120
all_evaluations "$use2" "$tmp/use2.json"
ok "a second identical run reports identical predictions" \
    jq -e -s '[.[0][] | [.hash, .metrics.pred_macs]] == [.[1][] | [.hash, .metrics.pred_macs]]' \
    "$tmp/use1.json" "$tmp/use2.json"

# Python's xgboost, on anas_space_encode's formula (space.h): a CHOICE as
# index / (n - 1), an INT or FLOAT as (v - lo) / (hi - lo), inactive (zeroed)
# values as 0.
# Debian's python3 (where python3-xgboost installs), not whatever python3
# comes first in PATH; ANAS_XGB_PYTHON overrides, as for surrogate-xgb-py.
PY=${ANAS_XGB_PYTHON:-/usr/bin/python3}
if "$PY" -c 'import xgboost, numpy' 2>/dev/null; then
    req GET /api/v1/spaces/resnet
    cp "$BODY_FILE" "$tmp/space.json"
    if "$PY" - "$tmp/model.json" "$tmp/space.json" "$tmp/use1.json" >"$tmp/py.out" 2>&1 <<'PY'
import json, sys
import numpy as np
import xgboost as xgb
model, space, evals = sys.argv[1:4]
hps = json.load(open(space))["hyperparameters"]
def enc(cfg):
    out = []
    for h in hps:
        v = cfg[h["name"]]
        if h["type"] == "choice":
            c = h["choices"]
            out.append(c.index(v) / (len(c) - 1) if v in c and len(c) > 1 else 0.0)
        else:
            lo, hi = h["min"], h["max"]
            out.append((v - lo) / (hi - lo) if hi > lo and v >= lo else 0.0)
    return out
ev = json.load(open(evals))
x = np.array([enc(e["config"]) for e in ev], dtype=np.float32)
b = xgb.Booster()
b.load_model(model)
p = b.predict(xgb.DMatrix(x))
bad = [(e["seq"], float(q), e["metrics"]["pred_macs"]) for e, q in zip(ev, p)
       if abs(float(q) - e["metrics"]["pred_macs"]) > 1e-6 * abs(float(q))]
print("mismatches:", bad[:5])
sys.exit(1 if bad else 0)
PY
    then
        pass "Python's xgboost predicts what the run reported, for all 40 configurations"
    else
        fail "Python's xgboost predicts what the run reported, for all 40 configurations"
        diag_stdin <"$tmp/py.out"
    fi
else
    skip "python3-xgboost is not installed"
fi

# --- validation --------------------------------------------------------------

post_run "$(search lenet 20 3)"
lenet=$RUN_ID
post_run "$(search resnet 5 4)"
tiny=$RUN_ID
wait_run "$lenet" 60
wait_run "$tiny" 60

bad_fit() { # STATUS CODE FIELD DESC BODY
    req POST /api/v1/surrogates "$5"
    problem_is "$1" "$2" "$3" "$4"
}
bad_fit 422 ANAS_EINVAL /runs "no runs" '{"metric": "macs"}'
bad_fit 422 ANAS_ETYPE /runs "runs not an array" '{"runs": 1, "metric": "macs"}'
bad_fit 422 ANAS_ERANGE /runs "an empty list of runs" '{"runs": [], "metric": "macs"}'
bad_fit 422 ANAS_EINVAL /runs/1 "an unknown run" '{"runs": ['"$base"', 999999], "metric": "macs"}'
bad_fit 422 ANAS_EINVAL /runs/1 "a run listed twice" '{"runs": ['"$base"', '"$base"'], "metric": "macs"}'
bad_fit 422 ANAS_EINVAL /runs/1 "runs of different spaces" '{"runs": ['"$base"', '"$lenet"'], "metric": "macs"}'
bad_fit 422 ANAS_EINVAL /metric "no metric" '{"runs": ['"$base"']}'
bad_fit 422 ANAS_EINVAL /metric "a metric the runs' evaluators do not produce" \
    '{"runs": ['"$base"'], "metric": "acc@1d"}'
bad_fit 422 ANAS_EINVAL /runs "fewer than 10 usable rows" '{"runs": ['"$tiny"'], "metric": "macs"}'
bad_fit 422 ANAS_ERANGE /folds "1 fold" '{"runs": ['"$base"'], "metric": "macs", "folds": 1}'
bad_fit 422 ANAS_ERANGE /folds "21 folds" '{"runs": ['"$base"'], "metric": "macs", "folds": 21}'
bad_fit 422 ANAS_ERANGE /params/eta "eta 0" '{"runs": ['"$base"'], "metric": "macs", "params": {"eta": 0}}'
bad_fit 422 ANAS_ERANGE /params/max_depth "max_depth 100" \
    '{"runs": ['"$base"'], "metric": "macs", "params": {"max_depth": 100}}'
bad_fit 422 ANAS_ETYPE /params/n_estimators "n_estimators 1.5" \
    '{"runs": ['"$base"'], "metric": "macs", "params": {"n_estimators": 1.5}}'
bad_fit 422 ANAS_ERANGE /params/subsample "subsample 1.5" \
    '{"runs": ['"$base"'], "metric": "macs", "params": {"subsample": 1.5}}'
bad_fit 422 ANAS_EUNKNOWN /params/gamma "an unknown parameter" \
    '{"runs": ['"$base"'], "metric": "macs", "params": {"gamma": 1}}'
bad_fit 422 ANAS_EUNKNOWN /color "an unknown field" '{"runs": ['"$base"'], "metric": "macs", "color": 1}'

P=/evaluator/models/pred_macs/surrogate
with() { # SURROGATE-JSON [SPACE]
    jq -n -c --argjson s "$1" --arg sp "${2:-resnet}" '{kind: "search", space: $sp,
      evaluator: {kind: "surrogate", models: {pred_macs: $s}},
      optimizer: {kind: "random", evaluations: 5}, seed: 1}'
}
post_run "$(with '{"surrogate": 999999}')"
problem_is 422 ANAS_EINVAL "$P" "a run naming an unknown surrogate"
post_run "$(with '{"surrogate": '"$sid"'}' lenet)"
problem_is 422 ANAS_EINVAL "$P" "a run of another space than the surrogate's"
post_run "$(with '{"surrogate": "x"}')"
problem_is 422 ANAS_ETYPE "$P" "a surrogate id that is not an integer"
post_run "$(with '{"id": 1}')"
problem_is 422 ANAS_EUNKNOWN /evaluator/models/pred_macs/id "an unknown key in a stored model"

req GET /api/v1/surrogates/999999
problem_is 404 ANAS_ENOTFOUND '' "GET an unknown surrogate"
req GET /api/v1/surrogates/999999/model
problem_is 404 ANAS_ENOTFOUND '' "GET the model of an unknown surrogate"
req DELETE /api/v1/surrogates/999999
problem_is 404 ANAS_ENOTFOUND '' "DELETE an unknown surrogate"

# --- in use, and still fitting -------------------------------------------------

post_run "$(search resnet 1000000 5)"
long1=$RUN_ID
post_run "$(search resnet 1000000 6)"
long2=$RUN_ID
post_run "$USE"
status_is 201 "a run using the surrogate waits behind two long searches"
queued=$RUN_ID
jis .state queued "... queued"
req DELETE "/api/v1/surrogates/$sid"
problem_is 409 ANAS_ESTATE '' "DELETE while a queued run uses it is a conflict"
like "$(jb .detail)" "used by run $queued " "... naming the run"

# A slow fit: thousands of deep trees on 20 folds.
SLOW='{"runs": ['"$base"'], "metric": "macs", "folds": 20,
       "params": {"n_estimators": 10000, "max_depth": 12, "eta": 0.01}}'
req POST /api/v1/surrogates "$SLOW"
status_is 201 "a slow fit is accepted"
slow=$(jb .id)
req GET "/api/v1/surrogates/$slow/model"
problem_is 409 ANAS_ESTATE '' "its model while fitting is a conflict"
req DELETE "/api/v1/surrogates/$slow"
problem_is 409 ANAS_ESTATE '' "deleting it while fitting is a conflict"
post_run "$(with '{"surrogate": '"$slow"'}')"
problem_is 409 ANAS_ESTATE "$P" "a run naming it while it is fitting is a conflict"

# --- kill -9 while fitting ----------------------------------------------------

kill9_anasd
start_anasd --max-runs 2
req GET "/api/v1/surrogates/$slow"
jok "after kill -9 and a restart the cut-off fit is failed as interrupted" \
    '.state == "failed" and .error.code == "interrupted" and (.finished_at | type) == "string"'
req GET /api/v1/surrogates
jok "no surrogate is left fitting" 'all(.items[]; .state != "fitting")'

# --- SIGTERM while fitting -----------------------------------------------------

# The fit stops between two boosting rounds: anasd does not wait for the
# hours this one would take.
req POST /api/v1/surrogates "$SLOW"
slow2=$(jb .id)
stop_anasd
is "$ANASD_STATUS" 0 "SIGTERM during a long fit stops anasd cleanly, without waiting for it"
start_anasd --max-runs 2
req GET "/api/v1/surrogates/$slow2"
jok "... and the fit is failed as interrupted" \
    '.state == "failed" and .error.code == "interrupted"'

# --- deleting --------------------------------------------------------------------

for r in "$queued" "$long1" "$long2"; do
    req POST "/api/v1/runs/$r/cancel" ''
done
req DELETE "/api/v1/surrogates/$sid"
status_is 204 "DELETE once no run to do uses it"
req GET "/api/v1/surrogates/$sid"
problem_is 404 ANAS_ENOTFOUND '' "... and it is gone"
req GET "/api/v1/runs/$use1"
jis .state succeeded "the runs that used it keep their results"

done_testing
