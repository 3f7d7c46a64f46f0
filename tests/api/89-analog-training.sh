#!/bin/sh
# Analog training in the train evaluator: "analog_training" trains every
# layer on pulsed tiles (aihwkit's SingleRPUConfig / UnitCellRPUConfig),
# then the run is measured as any other; its configuration is echoed whole
# and bad device, update or IO parameters are refused with their pointer.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data"

SYNTH='{"name": "synthetic", "train_subset": 256, "test_subset": 128}'
SPACE='{"name": "mlp", "input": [1, 8, 8], "classes": 4}'
ARCH='{"depth": 1, "width1": 32, "activation": 1}'
RECIPE='"epochs": 3, "batch_size": 16, "optimizer": {"kind": "sgd", "lr": 0.1}'

# --- the presets, each with its whole configuration ---
req GET /api/v1/presets
status_is 200 "GET /api/v1/presets answers 200"
jok "analog_training lists constant-step soft-bounds vector-unit-cell tiki-taka floating-point" \
    '[.analog_training[].name] == ["constant-step", "soft-bounds", "vector-unit-cell",
      "tiki-taka", "floating-point"]'
jok "... each with a doc and forward, backward, update, device, mapping" \
    '[.analog_training[] | (.doc | length) > 20 and
      (.config | keys) == ["backward", "device", "forward", "mapping", "update"]] | all'
jok "... tiki-taka: TransferCompound of two SoftBounds, fast_lr 0.1, DAC 1/62; constant-step dw_min 0.001" \
    '(.analog_training[3].config | .device.type == "TransferCompound" and
      (.device.unit_cell_devices | map(.type)) == ["SoftBounds", "SoftBounds"] and
      .device.fast_lr == 0.1 and (.forward.inp_res * 62 - 1 | fabs) < 1e-6) and
     .analog_training[0].config.device.dw_min == 0.001'
cp "$BODY_FILE" "$tmp/presets.json"

# --- a run trained on ConstantStep devices, measured at 1 s ---
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$RECIPE"', "analog_training": "constant-step",
   "drift_times": ["1s"], "repeats": 1},
 "architecture": '"$ARCH"', "seed": 5}'
status_is 201 "a train run with analog_training is accepted"
wait_run "$RUN_ID" 120
jis .state succeeded "it succeeded"
jok "it learned on the pulsed tiles (acc@fp above chance 0.25) and was measured at 1 s" \
    '.best.metrics["acc@fp"] > 0.4 and (.best.metrics["acc@1s"] | type) == "number"'
jok "the echo's configuration is the one GET /presets lists for constant-step" \
    --slurpfile p "$tmp/presets.json" \
    '.spec.evaluator.analog_training.overrides == $p[0].analog_training[0].config'
jok "the echo holds the whole configuration: ConstantStep, dw_min 0.001, BL 31, 512-input tiles" \
    '.spec.evaluator.analog_training.overrides | .device.type == "ConstantStep" and
     .device.dw_min == 0.001 and .update.desired_bl == 31 and
     .update.pulse_type == "STOCHASTIC_COMPRESSED" and .backward.out_noise == 0.06 and
     .mapping.max_input_size == 512'

# --- Tiki-Taka, overridden, without a measurement ---
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$RECIPE"',
   "analog_training": {"preset": "tiki-taka", "overrides": {"device": {"transfer_every": 1,
     "unit_cell_devices": [{"type": "SoftBounds", "w_max": 0.4, "w_min": -0.4}, {}]}}}},
 "architecture": '"$ARCH"', "seed": 5}'
status_is 201 "a Tiki-Taka run with overrides is accepted"
wait_run "$RUN_ID" 120
jis .state succeeded "it succeeded"
jok "TransferCompound of two SoftBounds, the override applied; acc@fp reported" \
    '(.spec.evaluator.analog_training.overrides.device | .type == "TransferCompound" and
      (.unit_cell_devices | map(.type)) == ["SoftBounds", "SoftBounds"] and
      .unit_cell_devices[0].w_max == 0.4 and .transfer_every == 1) and
     (.best.metrics["acc@fp"] | type) == "number"'
# the echo reads back to the same configuration
spec=$(jb '.spec')
req POST /api/v1/runs "$spec"
status_is 201 "its echo is a valid spec"
jok "and echoes the same analog_training" --argjson s "$spec" \
    '.spec.evaluator.analog_training == $s.evaluator.analog_training'

# --- errors name their field ---
bad() { # OVERRIDE_JSON FIELD DESC
    post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
     "evaluator": {"kind": "train", '"$RECIPE"', "analog_training": '"$1"'},
     "architecture": '"$ARCH"'}'
    problem_is 422 - "$2" "$3"
}
A=/evaluator/analog_training
bad '{"overrides": {"device": {"dw_min": -1}}}' "$A/overrides/device/dw_min" \
    "a negative dw_min is refused"
bad '{"preset": "vector-unit-cell", "overrides": {"device": {"unit_cell_devices":
      [{}, {}, {"w_max_dtod": -0.1}]}}}' "$A/overrides/device/unit_cell_devices/2/w_max_dtod" \
    "a unit's bad field is named with its index"
bad '{"overrides": {"update": {"desired_bl": 0}}}' "$A/overrides/update/desired_bl" \
    "desired_bl 0 is refused"
bad '{"overrides": {"update": {"pulse_type": "STOCHASTIC_SOMETIMES"}}}' \
    "$A/overrides/update/pulse_type" "an unknown pulse type is refused"
bad '{"overrides": {"backward": {"out_noise": -1}}}' "$A/overrides/backward/out_noise" \
    "the backward IO block is checked"
bad '{"overrides": {"device": {"type": "Memristor"}}}' "$A/overrides/device/type" \
    "an unknown device type is refused"
bad '{"overrides": {"device": {"dw_mni": 0.1}}}' "$A/overrides/device/dw_mni" \
    "an unknown device field is refused"
bad '{"overrides": {"mapping": {"max_input_size": -1}}}' "$A/overrides/mapping/max_input_size" \
    "a negative tile size is refused"
bad '"no-such-preset"' "$A" "an unknown preset is refused"
bad '{"preset": "tiki-taka", "overrides": {"device": {"unit_cell_devices": [{}]}}}' \
    "$A/overrides/device/unit_cell_devices" "Tiki-Taka needs two devices"
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$RECIPE"', "hwa": true, "analog_training": "constant-step"},
 "architecture": '"$ARCH"'}'
problem_is 422 - "$A" "analog_training excludes hwa"
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$RECIPE"', "hardware": "analognas-bench",
   "analog_training": "constant-step"}, "architecture": '"$ARCH"'}'
problem_is 422 ANAS_EINVAL "$A" "analog_training with a learned input range (analognas-bench)"

post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", "epochs": 1, "optimizer": {"kind": "adam", "lr": 0.01},
   "analog_training": "constant-step"}, "architecture": '"$ARCH"'}'
problem_is 422 ANAS_EINVAL /evaluator/optimizer/kind "analog_training needs the sgd optimizer"

# --- FloatingPoint tiles train exactly as digital SGD ---
FP_RECIPE='"epochs": 2, "batch_size": 16, "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0}'
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$FP_RECIPE"', "analog_training": "floating-point"},
 "architecture": '"$ARCH"', "seed": 9}'
fp=$RUN_ID
post_run '{"kind": "train", "space": '"$SPACE"', "dataset": '"$SYNTH"',
 "evaluator": {"kind": "train", '"$FP_RECIPE"'}, "architecture": '"$ARCH"', "seed": 9}'
digital=$RUN_ID
wait_run "$fp" 120
fp_loss=$(jb '.best.metrics.train_loss')
wait_run "$digital" 120
jok "the floating-point device trains as digital SGD: the same train loss ($fp_loss, to 1e-6: sums in another order)" \
    --argjson l "$fp_loss" '(.best.metrics.train_loss - $l | fabs) < 1e-6'
diag "  digital: $(jb .best.metrics.train_loss)"

done_testing
