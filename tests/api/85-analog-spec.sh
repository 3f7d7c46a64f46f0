#!/bin/sh
# Analog simulation in run specs: GET /api/v1/presets, a hardware
# configuration made of a preset and overrides and echoed back whole, the
# train evaluator's hwa, drift_times and repeats, the metrics they add, and
# every error of those fields naming its JSON pointer.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

# --- GET /api/v1/presets ---
req GET /api/v1/presets
status_is 200 "GET /api/v1/presets answers 200"
jis '[.items[].name] | join(" ")' "aihwkit-default analognas analognas-bench ideal" \
    "the four presets, in order"
# Every field of aihwkit's names, per group (doc/api.md).
FIELDS='{
 "forward": ["is_perfect", "inp_bound", "inp_res", "inp_noise", "inp_sto_round", "out_bound",
   "out_res", "out_noise", "out_sto_round", "out_scale", "w_noise", "w_noise_type",
   "bound_management", "noise_management", "nm_thres", "max_bm_factor", "max_bm_res",
   "bm_test_negative_bound", "nm_assumed_wmax", "nm_decay"],
 "mapping": ["max_input_size", "max_output_size", "digital_bias", "weight_scaling_omega",
   "weight_scaling_columnwise", "learn_out_scaling", "out_scaling_columnwise"],
 "pre_post": ["input_range"],
 "clip": ["type", "fixed_value", "sigma"],
 "remap": ["type", "remapped_wmax"],
 "modifier": ["type", "std_dev", "res", "pdrop", "dorefa_clip", "assumed_wmax", "g_max",
   "sto_round", "rel_to_actual_wmax", "enable_during_test", "coeffs"],
 "noise_model": ["type", "g_max", "g_min", "prog_coeff", "prog_noise_scale",
   "read_noise_scale", "drift_scale", "t_0", "t_read", "drift_nu_mean", "drift_nu_std"]}'
# complete($f): every group with exactly its fields, and drift_compensation.
COMPLETE='def complete($f): . as $cfg | (keys == ($f | keys + ["drift_compensation"] | sort)) and
    ([$f | to_entries[] | .value | sort] == [$f | to_entries[] | .key as $g | $cfg[$g] | keys])
    and (.drift_compensation | IN("NONE", "GLOBAL"));'
jok "each preset has a doc and a complete configuration" --argjson f "$FIELDS" "$COMPLETE"'
    [.items[] | (.doc | type) == "string" and (.doc | length) > 20 and (.config | complete($f))]
    | length == 4 and all'
jok "aihwkit-default: 1/126 DAC, 1/510 ADC, out_bound 12, out_noise 0.06, ITERATIVE, ABS_MAX, \
512x512 tiles, PCM g_max 25, GLOBAL" \
    '.items[0].config | .forward.inp_res > 0.0079364 and .forward.inp_res < 0.0079366 and
     .forward.out_res > 0.0019607 and .forward.out_res < 0.0019609 and
     .forward.out_bound == 12 and .forward.out_noise == 0.06 and .forward.inp_bound == 1 and
     .forward.bound_management == "ITERATIVE" and .forward.noise_management == "ABS_MAX" and
     .forward.w_noise_type == "NONE" and .forward.is_perfect == false and
     .mapping.max_input_size == 512 and .mapping.max_output_size == 512 and
     .mapping.digital_bias == true and .clip.type == "NONE" and .modifier.type == "NONE" and
     .modifier.coeffs == [0.0105392, 0.0768, -0.046925] and
     .noise_model.type == "PCM" and .noise_model.g_max == 25 and
     .noise_model.prog_coeff == [0.26348, 1.965, -1.1731] and .noise_model.t_0 == 20 and
     .drift_compensation == "GLOBAL"'
jok "analognas: 1/256 DAC and ADC, out_bound 20, out_noise 0.1, no BM, 256x255 tiles, clip 1" \
    '.items[1].config | .forward.inp_res == 0.00390625 and .forward.out_res == 0.00390625 and
     .forward.out_bound == 20 and .forward.out_noise == 0.1 and
     .forward.bound_management == "NONE" and .mapping.max_input_size == 256 and
     .mapping.max_output_size == 255 and .mapping.weight_scaling_omega == 1 and
     .clip.type == "FIXED_VALUE" and .clip.fixed_value == 1'
jok "analognas-bench: ADD_NORMAL 0.06, LAYER_GAUSSIAN 2, LAYERWISE_SYMMETRIC, no NM" \
    '.items[2].config | .modifier.type == "ADD_NORMAL" and .modifier.std_dev == 0.06 and
     .clip.type == "LAYER_GAUSSIAN" and .clip.sigma == 2 and
     .remap.type == "LAYERWISE_SYMMETRIC" and .forward.noise_management == "NONE" and
     .forward.out_noise == 0.04 and .forward.out_bound == 10'
jok "pre_post.input_range: aihwkit's InputRangeParameter fields; off by default, on in \
analognas-bench (decay 0.01, 50 batches, 0.995)" \
    '(.items[0].config.pre_post.input_range | (keys == (["decay", "enable", "gradient_relative",
       "gradient_scale", "init_from_data", "init_std_alpha", "init_value", "input_min_percentage",
       "learn_input_range", "manage_output_clipping", "output_min_percentage"])) and
       .enable == false and .init_value == 3 and .init_from_data == 100) and
     (.items[2].config.pre_post.input_range | .enable and .decay == 0.01 and
       .init_from_data == 50 and .input_min_percentage == 0.995)'
jok "ideal: perfect IO, no noise model, no compensation, no tile limit" \
    '.items[3].config | .forward.is_perfect == true and .noise_model.type == "NONE" and
     .drift_compensation == "NONE" and .mapping.max_input_size == 0'
jok "the evaluator's defaults: no HWA, 1s 1h 1d 30d, 5 repeats, aihwkit-default" \
    '.evaluator_defaults == {"hwa": false, "drift_times": ["1s", "1h", "1d", "30d"],
                             "repeats": 5, "preset": "aihwkit-default"}'
cp "$BODY_FILE" "$tmp/presets.json"

# --- a spec with a preset and overrides ---
ARCH='{"out_channel0": 8, "M": 1, "R1": 1, "convblock1": 1, "widenfact1": 0.7, "B1": 1}'
BASE='{"kind": "evaluate",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 32, "test_subset": 16},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 16,
   "hardware": {"preset": "analognas",
                "overrides": {"forward": {"out_noise": 0.04, "bound_management": "iterative",
                                          "w_noise_type": "Pcm_Read", "w_noise": 0.01},
                              "modifier": {"type": "add_normal", "std_dev": 0.02},
                              "noise_model": {"prog_coeff": [0.2, 1.5]},
                              "drift_compensation": "none"}},
   "hwa": true, "drift_times": ["1s", "60s", "1d"], "repeats": 3},
 "architecture": '"$ARCH"',
 "objectives": [{"metric": "acc@60s", "goal": "max"}],
 "constraints": [{"metric": "avm", "max": 50}, {"metric": "acc_std@1d", "max": 1}],
 "seed": 3}'

spec_of() {
    printf '%s' "$1" | jq -c "$2"
}

# accepted SPEC DESC: the spec is accepted (201); the run is canceled (only
# its spec matters here) and the last body is the run object.
accepted() {
    post_run "$1"
    status_is 201 "$2"
    if [ -n "$RUN_ID" ]; then
        req POST "/api/v1/runs/$RUN_ID/cancel" ''
        req GET "/api/v1/runs/$RUN_ID"
    fi
}

accepted "$BASE" \
    "a train evaluator with a preset, overrides, hwa, drift_times and repeats is accepted"
cp "$BODY_FILE" "$tmp/run1.json"
jok "the echo names the preset and carries the overrides, enums in upper case" \
    '.spec.evaluator.hardware.preset == "analognas" and
     (.spec.evaluator.hardware | keys) == ["overrides", "preset"] and
     (.spec.evaluator.hardware.overrides | .forward.out_noise == 0.04 and
      .forward.bound_management == "ITERATIVE" and .forward.w_noise_type == "PCM_READ" and
      .forward.w_noise == 0.01 and .modifier.type == "ADD_NORMAL" and
      .modifier.std_dev == 0.02 and .noise_model.prog_coeff == [0.2, 1.5] and
      .drift_compensation == "NONE")'
jok "... merged with the rest of analognas (deep merge)" --slurpfile p "$tmp/presets.json" \
    '.spec.evaluator.hardware.overrides as $o | $p[0].items[1].config as $a |
     $o.forward.out_bound == 20 and $o.forward.inp_res == $a.forward.inp_res and
     $o.mapping == $a.mapping and $o.clip == $a.clip and
     $o.modifier.coeffs == $a.modifier.coeffs and
     ($o.noise_model | del(.prog_coeff)) == ($a.noise_model | del(.prog_coeff)) and
     ($o.forward | del(.out_noise, .bound_management, .w_noise_type, .w_noise)) ==
     ($a.forward | del(.out_noise, .bound_management, .w_noise_type, .w_noise))'
jok "... complete: every field of the configuration" --argjson f "$FIELDS" \
    "$COMPLETE"'.spec.evaluator.hardware.overrides | complete($f)'
jok "... with hwa, the drift times as given and the repeats" \
    '.spec.evaluator.hwa == true and .spec.evaluator.drift_times == ["1s", "60s", "1d"] and
     .spec.evaluator.repeats == 3 and .spec.objectives[0].metric == "acc@60s"'

# Another noise model starts from its own defaults, not the preset's PCM ones.
accepted "$(spec_of "$BASE" '.evaluator.hardware = {"preset": "aihwkit-default",
    "overrides": {"noise_model": {"type": "state_independent", "drift_nu_std": 0.02}}}')" \
    "switching the noise model to STATE_INDEPENDENT is accepted"
jok "... with its own programming noise (0.2 uS flat) and the override on top" \
    '.spec.evaluator.hardware.overrides.noise_model | .type == "STATE_INDEPENDENT" and
     .prog_coeff == [0.2, 0, 0] and .drift_nu_mean == 0.1 and .drift_nu_std == 0.02'

# The echo is a spec: it parses back to itself.
accepted "$(jq -c '.spec' "$tmp/run1.json")" "the echoed spec is accepted as it is"
jok "... and echoes exactly the same spec" --slurpfile r "$tmp/run1.json" '.spec == $r[0].spec'

# Defaults: one analog field turns the measurement on with the others'
# defaults; a bare preset name is a preset without overrides.
accepted "$(spec_of "$BASE" '.evaluator |= (del(.hardware, .hwa, .drift_times) | .repeats = 2) |
    .objectives = [{"metric": "acc@30d", "goal": "max"}] | .constraints = []')" \
    "repeats alone is accepted, with acc@30d (a default drift time) as objective"
jok "... and the defaults are echoed: aihwkit-default, no hwa, 1s 1h 1d 30d" \
    --slurpfile p "$tmp/presets.json" \
    '.spec.evaluator | .hardware.preset == "aihwkit-default" and
     .hardware.overrides == $p[0].items[0].config and .hwa == false and
     .drift_times == ["1s", "1h", "1d", "30d"] and .repeats == 2'
accepted "$(spec_of "$BASE" '.evaluator.hardware = "ideal"')" \
    "a bare preset name is accepted"
jok "... and echoed as that preset, unchanged" --slurpfile p "$tmp/presets.json" \
    '.spec.evaluator.hardware == {"preset": "ideal", "overrides": $p[0].items[3].config}'
accepted "$(spec_of "$BASE" '.evaluator.hardware.overrides = {"forward": {"inp_bound": 2,
    "noise_management": "NONE"}}')" \
    "inp_bound 2 is accepted without noise management"
accepted "$(spec_of "$BASE" '.evaluator.hardware.overrides.noise_model.type = "RERAM" |
    .evaluator.drift_times = ["1s", "1d", "2d"] | .objectives = [{"metric": "acc@2d", "goal": "max"}]')" \
    "the RERAM model at 1s, 1d and 2d is accepted"
accepted "$(spec_of "$BASE" '.evaluator |= del(.hardware, .hwa, .drift_times, .repeats) |
    .objectives = [{"metric": "acc@fp", "goal": "max"}] | .constraints = []')" \
    "a train evaluator without analog fields is accepted"
jok "... and its echo has no analog fields" \
    '.spec.evaluator | has("hardware") or has("hwa") or has("drift_times") or has("repeats") | not'

# The autoencoder is measured by neg_mse@<t>: no acc@<t>, no avm.
AE='{"kind": "evaluate", "space": "autoencoder",
 "dataset": {"name": "synthetic", "train_subset": 8, "test_subset": 8},
 "evaluator": {"kind": "train", "drift_times": ["1s", "1d"]},
 "architecture": {}, "seed": 1}'
req POST /api/v1/spaces/autoencoder/sample '{"n": 1, "seed": 2}'
AE=$(printf '%s' "$AE" | jq -c --argjson c "$(jb '.items[0].config')" '.architecture = $c')
accepted "$(spec_of "$AE" '.objectives = [{"metric": "neg_mse@1d", "goal": "max"}] |
    .constraints = [{"metric": "neg_mse_std@1s", "max": 1}]')" \
    "autoencoder: neg_mse@1d and neg_mse_std@1s are accepted"

# --- errors, each naming its field ---
runs_before=$(curl -s "$URL/api/v1/runs?limit=1000" | jq -c '[.items[].id]')

# bad STATUS CODE FIELD DESC FILTER: POST BASE changed by FILTER.
bad() {
    req POST /api/v1/runs "$(spec_of "${SPEC:-$BASE}" "$5")"
    problem_is "$1" "$2" "$3" "$4"
}
H=/evaluator/hardware
O=$H/overrides
U='ANAS_EUNKNOWN|ANAS_ENOTFOUND'
bad 422 ANAS_ENOTFOUND $H/preset "an unknown preset is named" '.evaluator.hardware.preset = "nope"'
jok "... and the detail lists the presets" '.detail | test("aihwkit-default") and test("ideal")'
bad 422 ANAS_ENOTFOUND $H "an unknown bare preset name" '.evaluator.hardware = "nope"'
bad 422 ANAS_ETYPE $H/preset "a preset that is not a string" '.evaluator.hardware.preset = 1'
bad 422 ANAS_ETYPE $H "hardware that is a number" '.evaluator.hardware = 3'
bad 422 ANAS_EUNKNOWN $H/config "an unknown key beside preset and overrides" \
    '.evaluator.hardware.config = {}'
bad 422 ANAS_EUNKNOWN $O/forward/colour "an unknown forward field" \
    '.evaluator.hardware.overrides.forward.colour = 1'
bad 422 ANAS_EUNKNOWN $O/backward "an unknown group" '.evaluator.hardware.overrides.backward = {}'
bad 422 ANAS_ERANGE $O/pre_post/input_range/decay "a negative input-range decay" \
    '.evaluator.hardware.overrides.pre_post = {"input_range": {"enable": true, "decay": -1}}'
bad 422 ANAS_EUNKNOWN $O/pre_post/output_range "pre_post holds input_range only" \
    '.evaluator.hardware.overrides.pre_post = {"output_range": {}}'
bad 422 ANAS_ERANGE $O/mapping/digital_bias "learned out scaling needs a digital bias" \
    '.evaluator.hardware.overrides.mapping = {"learn_out_scaling": true, "digital_bias": false}'
bad 422 ANAS_EUNKNOWN $O/modifier/pcm_t0 "a modifier field aihwkit has but we do not" \
    '.evaluator.hardware.overrides.modifier.pcm_t0 = 20'
bad 422 ANAS_EUNKNOWN $O/inp_res "a field outside its group" \
    '.evaluator.hardware.overrides.inp_res = 0.01'
bad 422 ANAS_ETYPE $O/forward "a group that is not an object" \
    '.evaluator.hardware.overrides.forward = 1'
bad 422 ANAS_ETYPE $O "overrides that are not an object" '.evaluator.hardware.overrides = []'
bad 422 ANAS_EINVAL $O/forward/noise_management "a bad enum name is named" \
    '.evaluator.hardware.overrides.forward.noise_management = "SOMETIMES"'
jok "... and the detail lists the names" '.detail | test("ABS_MAX_NP_SUM")'
bad 422 ANAS_EINVAL $O/drift_compensation "a bad drift_compensation" \
    '.evaluator.hardware.overrides.drift_compensation = "LOCAL"'
bad 422 ANAS_EINVAL $O/noise_model/type "a bad noise model" \
    '.evaluator.hardware.overrides.noise_model.type = "HERMES"'
bad 422 ANAS_ETYPE $O/forward/out_noise "a number as a string" \
    '.evaluator.hardware.overrides.forward.out_noise = "high"'
bad 422 ANAS_ETYPE $O/forward/is_perfect "a boolean as 1" \
    '.evaluator.hardware.overrides.forward.is_perfect = 1'
bad 422 ANAS_ETYPE $O/forward/bound_management "an enum as a number" \
    '.evaluator.hardware.overrides.forward.bound_management = 1'
bad 422 ANAS_ETYPE $O/mapping/max_input_size "a tile size of 1.5" \
    '.evaluator.hardware.overrides.mapping.max_input_size = 1.5'
bad 422 ANAS_ETYPE $O/modifier/coeffs/1 "a coefficient that is a string" \
    '.evaluator.hardware.overrides.modifier.coeffs = [1, "x"]'
bad 422 ANAS_ERANGE $O/modifier/coeffs "seven coefficients" \
    '.evaluator.hardware.overrides.modifier.coeffs = [1, 2, 3, 4, 5, 6, 7]'
bad 422 ANAS_ERANGE $O/noise_model/prog_coeff "no programming coefficients" \
    '.evaluator.hardware.overrides.noise_model.prog_coeff = []'
bad 422 ANAS_ERANGE $O/forward/out_noise "a negative out_noise" \
    '.evaluator.hardware.overrides.forward.out_noise = -0.1'
bad 422 ANAS_ERANGE $O/forward/inp_bound "inp_bound 2 with ABS_MAX noise management" \
    '.evaluator.hardware.overrides = {"forward": {"inp_bound": 2, "noise_management": "ABS_MAX"}}'
bad 422 ANAS_ERANGE $O/noise_model/g_min "g_min above g_max" \
    '.evaluator.hardware.overrides.noise_model.g_min = 30'
bad 422 ANAS_ERANGE $O/mapping/max_output_size "a negative tile size" \
    '.evaluator.hardware.overrides.mapping.max_output_size = -1'
bad 422 ANAS_ERANGE $O/modifier/pdrop "pdrop 1" '.evaluator.hardware.overrides.modifier.pdrop = 1'
bad 422 ANAS_ERANGE $O/forward/out_res "an out_res beyond a float" \
    '.evaluator.hardware.overrides.forward.out_res = 1e300'

D=/evaluator/drift_times
bad 422 ANAS_EINVAL $D/1 "drift_times that do not increase" '.evaluator.drift_times = ["1h", "1s"]'
bad 422 ANAS_EINVAL $D/1 "equal drift times (60m is 1h)" '.evaluator.drift_times = ["1h", "60m"]'
bad 422 ANAS_EINVAL $D/0 '"1y" is not a duration' '.evaluator.drift_times = ["1y"]'
bad 422 ANAS_EINVAL $D/0 '"0s" is not a duration' '.evaluator.drift_times = ["0s"]'
bad 422 ANAS_EINVAL $D/1 '"01s" is not a duration' '.evaluator.drift_times = ["1s", "01s"]'
bad 422 ANAS_EINVAL $D/0 '"1.5h" is not a duration' '.evaluator.drift_times = ["1.5h"]'
bad 422 ANAS_EINVAL $D/0 '"1S" is not a duration' '.evaluator.drift_times = ["1S"]'
bad 422 ANAS_EINVAL $D/0 '"s" is not a duration' '.evaluator.drift_times = ["s"]'
bad 422 ANAS_ETYPE $D/0 "a drift time that is a number" '.evaluator.drift_times = [1]'
bad 422 ANAS_ETYPE $D "drift_times that is a string" '.evaluator.drift_times = "1s"'
bad 422 ANAS_ERANGE $D "no drift times" '.evaluator.drift_times = []'
bad 422 ANAS_ERANGE $D "nine drift times" \
    '.evaluator.drift_times = [range(1; 10) | "\(.)s"]'
bad 422 ANAS_ERANGE $D/0 "a drift time past a century" '.evaluator.drift_times = ["36501d"]'
bad 422 ANAS_ERANGE /evaluator/repeats "repeats 0" '.evaluator.repeats = 0'
bad 422 ANAS_ERANGE /evaluator/repeats "repeats 101" '.evaluator.repeats = 101'
bad 422 ANAS_ETYPE /evaluator/repeats "repeats 2.5" '.evaluator.repeats = 2.5'
bad 422 ANAS_ETYPE /evaluator/hwa 'hwa "yes"' '.evaluator.hwa = "yes"'
bad 422 ANAS_EINVAL $D/1 "the RERAM model at 1h (it knows 1s, 1d, 2d)" \
    '.evaluator.hardware.overrides.noise_model.type = "RERAM" | .evaluator.drift_times = ["1s", "1h"]'
bad 422 ANAS_EINVAL $O/noise_model/type "the RERAM model with the default drift times (1h, 30d)" \
    '.evaluator.hardware.overrides.noise_model.type = "reram" | del(.evaluator.drift_times) |
     .objectives = [{"metric": "acc@1d", "goal": "max"}] | .constraints = []'
bad 422 ANAS_EUNKNOWN /evaluator/hwa "analog fields on the analytic evaluator" \
    '.evaluator = {"kind": "analytic", "hwa": true} | del(.dataset) |
     .objectives = [{"metric": "params", "goal": "min"}] | .constraints = []'

M=/objectives/0/metric
bad 422 "$U" $M "an objective on acc@2h when 2h is not a drift time" \
    '.objectives = [{"metric": "acc@2h", "goal": "max"}]'
jok "... and the detail lists the drift times" '.detail | test("1s 60s 1d") and test("avm")'
bad 422 "$U" /constraints/0/metric "a constraint on acc_std@1h (not a drift time)" \
    '.constraints = [{"metric": "acc_std@1h", "max": 1}]'
bad 422 "$U" $M "neg_mse@1s for a classifier" '.objectives = [{"metric": "neg_mse@1s", "goal": "max"}]'
bad 422 "$U" $M "avm without the analog measurement" \
    '.evaluator |= del(.hardware, .hwa, .drift_times, .repeats) |
     .objectives = [{"metric": "avm", "goal": "min"}] | .constraints = []'
bad 422 "$U" /constraints/0/metric "acc@1d without the analog measurement" \
    '.evaluator |= del(.hardware, .hwa, .drift_times, .repeats) |
     .objectives = [{"metric": "acc@fp", "goal": "max"}] |
     .constraints = [{"metric": "acc@1d", "min": 0.5}]'
SPEC=$AE
bad 422 "$U" $M "autoencoder: no avm" '.objectives = [{"metric": "avm", "goal": "min"}]'
bad 422 "$U" $M "autoencoder: no acc@1d" '.objectives = [{"metric": "acc@1d", "goal": "max"}]'
bad 422 "$U" $M "autoencoder: neg_mse@1h is not a drift time" \
    '.objectives = [{"metric": "neg_mse@1h", "goal": "max"}]'
SPEC=

is "$(curl -s "$URL/api/v1/runs?limit=1000" | jq -c '[.items[].id]')" "$runs_before" \
    "rejected specs stored no run"
req GET /api/v1/health
status_is 200 "the daemon still answers"
stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly"
done_testing
