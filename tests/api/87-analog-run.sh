#!/bin/sh
# The analog evaluators end to end: a train run measured on PCM tiles at
# four drift times (acc@t, acc_std@t, avm), hardware-aware training, and
# the rpu space searched over a stored model: its configurations are
# measured on their own tiles, the model must be a finished train run.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=64 NTEST=32 REPEATS=1 NRPU=2
else
    NTRAIN=512 NTEST=256 REPEATS=3 NRPU=4
fi
SYNTH='{"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'}'
mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data"

SPACE='{"name": "mlp", "input": [1, 8, 8], "classes": 4}'
ARCH='{"depth": 1, "width1": 128, "activation": 0}'
RECIPE='"epochs": 2, "batch_size": 32, "optimizer": {"kind": "adam", "lr": 0.003}'

# --- a train run measured on tiles ---
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$RECIPE"', "hwa": true,
   "hardware": {"preset": "analognas", "overrides": {"modifier": {"type": "ADD_NORMAL", "std_dev": 0.05}}},
   "repeats": '$REPEATS'},
 "architecture": '"$ARCH"', "seed": 3}'
status_is 201 "an HWA train run with analog measurement is accepted"
model=$RUN_ID
wait_run "$model" 240
jis .state succeeded "it succeeded"
jok "acc@fp, acc@t and acc_std@t at 1s 1h 1d 30d, avm are reported" \
    '.best.metrics as $m | ["acc@fp", "acc@1s", "acc_std@1s", "acc@1h", "acc_std@1h",
      "acc@1d", "acc_std@1d", "acc@30d", "acc_std@30d", "avm"] | all(. as $k | $m[$k] | type == "number")'
jok "accuracies are fractions, stds are small, avm = 100 (acc@1s - acc@30d)" \
    '.best.metrics as $m | ([$m["acc@1s"], $m["acc@30d"]] | all(. >= 0 and . <= 1)) and
     $m["acc_std@1d"] >= 0 and $m["acc_std@1d"] < 0.5 and
     (($m.avm - 100 * ($m["acc@1s"] - $m["acc@30d"])) | fabs) < 1e-6'
jok "the tiles counted are the preset's (256 inputs x 255 outputs): 64 -> 128 -> 4 needs 2" \
    '.best.metrics.tiles == 2'

# --- the rpu space over that model ---
RPU_EVAL='{"kind": "rpu", "hardware": "analognas", "drift_times": ["1s", "1d"], "repeats": 1}'
post_run '{"kind": "search", "space": "rpu", "model": {"run": '"$model"'},
 "evaluator": '"$RPU_EVAL"', "optimizer": {"kind": "random", "evaluations": '$NRPU'}, "seed": 5}'
status_is 201 "an rpu search over the stored model is accepted"
rpu=$RUN_ID
wait_run "$rpu" 240
jis .state succeeded "the rpu search succeeded"
jok "its default objective is the last drift time's accuracy" \
    '.spec.objectives[0].metric == "acc@1d" and .spec.model.run == '"$model"
all_evaluations "$rpu" "$tmp/rpu.json"
ok "every configuration is measured: acc@fp of the model, acc@1s, acc@1d, avm, tiles" \
    jq -e 'length == '$NRPU' and all(.[]; .state == "complete" and
           (.metrics | has("acc@fp") and has("acc@1d") and has("avm") and has("tiles")))' "$tmp/rpu.json"
ok "acc@fp is the model's, the same for every configuration" \
    jq -e '[.[].metrics["acc@fp"]] | unique | length == 1' "$tmp/rpu.json"
ok "the tile count follows tile_size (64 inputs x 255: 1 or 2 tiles for the 128-wide layer)" \
    jq -e 'all(.[]; (.config.tile_size < 128 and .metrics.tiles == 3) or
                    (.config.tile_size >= 128 and .metrics.tiles == 2))' "$tmp/rpu.json"

req GET "/api/v1/runs/$rpu/evaluations?sort=-acc@1d"
status_is 200 "evaluations sort by an analog metric"
jok "... best first" '[.items[].metrics["acc@1d"]] as $a | $a == ($a | sort | reverse)'

post_run '{"kind": "evaluate", "space": "rpu", "model": {"run": '"$model"'},
 "evaluator": '"$RPU_EVAL"',
 "architecture": {"g_max": 256, "tile_size": 64, "dac_resolution": 128, "adc_resolution": 256}, "seed": 5}'
status_is 201 "one rpu configuration (AnalogNAS's best for its CIFAR autoencoder) as an evaluate run"
wait_run "$RUN_ID" 120
jis .state succeeded "measured"

# --- errors ---
post_run '{"kind": "search", "space": "rpu", "evaluator": '"$RPU_EVAL"',
 "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /model "the rpu evaluator needs a model"
post_run '{"kind": "search", "space": "rpu", "model": {"run": 999999}, "evaluator": '"$RPU_EVAL"',
 "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_ENOTFOUND /model/run "a model run that does not exist"
post_run '{"kind": "search", "space": "rpu", "model": {"run": '"$rpu"'}, "evaluator": '"$RPU_EVAL"',
 "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 409 ANAS_ESTATE /model/run "a model run that is not a train run"
post_run '{"kind": "search", "space": "mlp", "model": {"run": '"$model"'}, "evaluator": '"$RPU_EVAL"',
 "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /evaluator/kind "the rpu evaluator on another space"
post_run '{"kind": "search", "space": "rpu", "model": {"run": '"$model"'},
 "evaluator": {"kind": "rpu", "epochs": 3}, "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EUNKNOWN /evaluator/epochs "the rpu evaluator trains nothing"
post_run '{"kind": "search", "space": "rpu", "model": {"run": '"$model"'}, "dataset": '"$SYNTH"',
 "evaluator": '"$RPU_EVAL"', "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /dataset "the rpu evaluator reads its model's dataset"

done_testing
