#!/bin/sh
# aihwkit's small examples as job specs (clients/examples/aihwkit/01, 02,
# 05, 07, 08): each runs through the API on the built-in two-sample
# regression sets, shortened to a few epochs; a regression run reports
# neg_mse@fp, train_loss and test_loss (no accuracy), example 5 its MSE at
# each drift time; the built-in sets refuse a path and subsets.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd
ex=$ANAS_SRCDIR/clients/examples/aihwkit

# run FILE EPOCHS: the example with fewer epochs; the body is the run.
run() {
    post_run "$(jq -c --argjson e "$2" '.evaluator.epochs = $e' "$ex/$1.json")"
    status_is 201 "$1 is accepted"
    wait_run "$RUN_ID" 60
    jis .state succeeded "$1 succeeded"
}

run 01-simple-layer 20
jok "01: a regression run: neg_mse@fp (in (-0.6, 0)), train_loss, test_loss, no acc@fp" \
    '.best.metrics | .["neg_mse@fp"] < 0 and .["neg_mse@fp"] > -0.6 and
     (has("acc@fp") | not) and (.train_loss | type) == "number" and
     (.test_loss | type) == "number"'
jok "... its objective is neg_mse@fp" '.summary.objective == "neg_mse@fp"'
jok "... the echo: space linear, depth 0, dataset aihwkit-tiny-1, 2 outputs" \
    '.spec.space.name == "linear" and .spec.space.classes == 2 and
     .spec.space.input == [1, 1, 4] and .spec.dataset.name == "aihwkit-tiny-1"'
req GET "/api/v1/runs/$RUN_ID/evaluations"
jok "... the test MSE on ConstantStep tiles fell over the 20 epochs" \
    '.items[0].curve | length == 20 and .[0].test_loss > .[19].test_loss'
run 02-multiple-layer 20
jok "02: three Linear layers 4-2-2-1, one output" \
    '.spec.space.classes == 1 and (.best.metrics["neg_mse@fp"] | type) == "number"'
run 05-simple-layer-hardware-aware 10
jok "05: HWA training, then the MSE at 1 s, 20 s, 1000 s and 100000 s after programming" \
    '.best.metrics | [.["neg_mse@1s"], .["neg_mse@20s"], .["neg_mse@1000s"],
     .["neg_mse@100000s"]] | all(type == "number" and . <= 0)'
run 07-simple-layer-other-devices 10
jok "07: VectorUnitCell of three ConstantStep devices" \
    '.spec.evaluator.analog_training.overrides.device.type == "VectorUnitCell" and
     (.best.metrics["neg_mse@fp"] | type) == "number"'
run 08-simple-layer-tiki-taka 20
jok "08: Tiki-Taka (TransferCompound of two SoftBounds)" \
    '.spec.evaluator.analog_training.overrides.device.type == "TransferCompound" and
     (.best.metrics["neg_mse@fp"] | type) == "number"'

# --- the built-in sets take no path and no subsets ---
body=$(jq -c '.dataset.path = "/x"' "$ex/01-simple-layer.json")
post_run "$body"
problem_is 422 ANAS_EINVAL /dataset/path "a built-in set with a path"
body=$(jq -c '.dataset.train_subset = 1' "$ex/01-simple-layer.json")
post_run "$body"
problem_is 422 ANAS_EINVAL /dataset/train_subset "a built-in set with a subset"
done_testing
