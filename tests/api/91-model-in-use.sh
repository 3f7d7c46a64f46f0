#!/bin/sh
# A train run's model stays while an rpu run still to do reads it: DELETE
# answers 409 naming those runs (queued here, behind a long search on the
# only run slot), and 204 once they have finished.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data" --max-runs 1

post_run '{"kind": "train", "space": {"name": "mlp", "input": [1, 8, 8], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 64, "test_subset": 32},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 32,
   "optimizer": {"kind": "adam", "lr": 0.003}},
 "architecture": {"depth": 1, "width1": 32, "activation": 0}, "seed": 3}'
status_is 201 "a small train run is accepted"
model=$RUN_ID
[ -n "$model" ] || bail "no train run to take a model from"
wait_run "$model" 120
jis .state succeeded "it succeeded and stored its model"

post_run '{"kind": "search", "name": "long", "space": "resnet",
 "optimizer": {"kind": "random", "evaluations": 1000000}, "seed": 1}'
status_is 201 "a long analytic search takes the only run slot"
long=$RUN_ID
[ -n "$long" ] || bail "no long search to hold the run slot"

RPU='{"kind": "search", "space": "rpu", "model": {"run": '"$model"'},
 "evaluator": {"kind": "rpu", "hardware": "analognas", "drift_times": ["1s"], "repeats": 1},
 "optimizer": {"kind": "random", "evaluations": 1}, "seed": 5}'
post_run "$RPU"
status_is 201 "an rpu search over the model is accepted"
rpu1=$RUN_ID
jis .state queued "... and waits behind the long search"
post_run "$RPU"
rpu2=$RUN_ID
jis .state queued "a second one waits too"

req DELETE "/api/v1/runs/$model"
problem_is 409 ANAS_ESTATE '' "deleting the model the queued rpu runs read is a conflict"
like "$(jb .detail)" "runs $rpu1, $rpu2 " "... naming both runs"
req GET "/api/v1/runs/$model/model"
status_is 200 "the model is still there"

req POST "/api/v1/runs/$rpu2/cancel" ''
status_is 200 "cancel the second rpu run"
req DELETE "/api/v1/runs/$model"
problem_is 409 ANAS_ESTATE '' "the first one still holds the model"
like "$(jb .detail)" "used by run $rpu1 " "... naming only it"

req POST "/api/v1/runs/$long/cancel" ''
status_is 200 "cancel the long search"
wait_run "$rpu1" 120
jis .state succeeded "the rpu run ran on the model"
req DELETE "/api/v1/runs/$model"
status_is 204 "now the model's run may go"
req GET "/api/v1/runs/$model"
status_is 404 "... and is gone"
req GET "/api/v1/runs/$rpu1"
jis .state succeeded "the rpu run keeps its results"

done_testing
