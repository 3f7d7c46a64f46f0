#!/bin/sh
# POST/GET /api/v1/architectures and POST /api/v1/spaces/resnet/sample:
# AnalogNAS parameter counts, canonical configs, stable hashes.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

arch_body() { # CONFIG INPUT CLASSES
    printf '{"space": "resnet", "input": %s, "classes": %s, "config": %s}' "$2" "$3" "$1"
}

# The tutorial's best architecture on CIFAR-10 (AnalogNAS_Tutorial.ipynb); its
# counts are those of AnalogNAS's Network (71dae1f8) under torch 1.13.1.
req POST /api/v1/architectures "$(arch_body "$TUTORIAL_BEST" '[3, 32, 32]' 10)"
status_is 200 "POST /api/v1/architectures answers 200"
jis .metrics.params 741324 "tutorial best on 3x32x32/10 has 741324 parameters"
jis .metrics.nb_convs 36 "tutorial best has nb_convs 36 (AnalogNAS's get_nb_convs)"
jok "metrics has macs, tiles and tile_util" \
    '(.metrics.macs | type) == "number" and .metrics.macs > 0 and
     (.metrics.tiles | type) == "number" and .metrics.tiles > 0 and
     (.metrics.tile_util | type) == "number"'
hash1=$(jb .hash)
like "$hash1" '^[0-9a-f]{16}$' "hash is 16 lower-case hex digits"
jis .space resnet "space is echoed"
jis '.input | map(tostring) | join(",")' 3,32,32 "input is echoed"
jis .classes 10 "classes are echoed"
jis '.config | keys_unsorted | join(" ")' "$RESNET_HPS" "config is canonical: 22 keys in AnalogNAS order"
jok "config values are kept exactly" \
    --argjson c "$TUTORIAL_BEST" '.config == $c'
jok "layers are listed with shapes, params, macs and tiles" \
    '(.layers | length) > 10 and
     ([.layers[] | (.name | type) == "string" and (.kind | type) == "string" and
        (.input | length) == 3 and (.output | length) == 3 and
        (.params | type) == "number" and (.macs | type) == "number" and
        (.tiles | type) == "number"] | all)'
jok "the stem is a 7x7 conv 3->12 giving 12x28x28 (padding 1)" \
    '.layers[0] | .kind == "conv2d" and .kernel == 7 and .padding == 1 and
     .input == [3, 32, 32] and .output == [12, 28, 28] and .params == 1764'
jok "the classifier is linear 27342->10 (273430 parameters)" \
    '[.layers[] | select(.kind == "linear")] | length == 1 and .[0].params == 273430'
jok "layer parameters add up to metrics.params" \
    '([.layers[].params] | add) == .metrics.params'
jok "layer tiles add up to metrics.tiles" \
    '([.layers[].tiles] | add) == .metrics.tiles'
cp "$BODY_FILE" "$tmp/arch1.json"

req POST /api/v1/architectures "$(arch_body "$TUTORIAL_BEST" '[3, 32, 32]' 10)"
jis .hash "$hash1" "the hash is stable across two posts"

req POST /api/v1/architectures "$(arch_body "$TUTORIAL_BEST" '[3, 100, 100]' 2)"
status_is 200 "the same config on 3x100x100/2 (VWW) answers 200"
jis .metrics.params 1450100 "tutorial best on 3x100x100/2 has 1450100 parameters"
jok "its classifier is linear 491102->2" \
    '[.layers[] | select(.kind == "linear")] | .[0].params == 982206'
hash2=$(jb .hash)
ok "another input shape gives another hash" test "$hash2" != "$hash1"

# Defaults: input and classes are the space's (CIFAR-10).
req POST /api/v1/architectures "{\"space\": \"resnet\", \"config\": $TUTORIAL_BEST}"
jis .hash "$hash1" "input and classes default to 3x32x32/10"

# GET by hash.
req GET "/api/v1/architectures/$hash1"
status_is 200 "GET /api/v1/architectures/{hash} answers 200"
jok "it is the stored architecture, with an evaluations list" \
    --slurpfile a "$tmp/arch1.json" \
    '.hash == $a[0].hash and .config == $a[0].config and .metrics == $a[0].metrics and
     (.evaluations | type) == "array"'
req GET /api/v1/architectures/0123456789abcdef
problem_is 404 ANAS_ENOTFOUND '' "an unknown hash is 404"

# Inactive groups may be omitted; they come back zeroed.
partial=$(printf '%s' "$TUTORIAL_BEST" | jq -c 'del(.R5, .convblock5, .widenfact5, .B5)')
req POST /api/v1/architectures "$(arch_body "$partial" '[3, 32, 32]' 10)"
status_is 200 "a config without its inactive group 5 is accepted"
jis .hash "$hash1" "... and is the same architecture"
jok "... with group 5 zeroed" '.config.R5 == 0 and .config.convblock5 == 0 and
    .config.widenfact5 == 0 and .config.B5 == 0'
small='{"out_channel0": 8, "M": 1, "R1": 13, "convblock1": 1, "widenfact1": 0.6908466389737407, "B1": 2}'
req POST /api/v1/architectures "$(arch_body "$small" '[3, 32, 32]' 10)"
status_is 200 "an M=1 config with only group 1 is accepted"
jis .metrics.params 107000 "oc0 8, M1, R1 13, B 2 has 107000 parameters (AnalogNAS's Network)"
jok "groups 2..5 come back zeroed" \
    '([.config | to_entries[] | select(.key | test("[2-5]$")) | .value == 0] | all) and
     (.config | length) == 22'
req POST /api/v1/architectures "$(arch_body \
    '{"out_channel0": 8, "M": 4, "R1": 1, "R2": 6, "R3": 2, "R4": 10,
      "convblock1": 2, "widenfact1": 0.7861840131898767, "B1": 3,
      "convblock2": 1, "widenfact2": 0.763737093661782, "B2": 2,
      "convblock3": 2, "widenfact3": 0.7589036313340662, "B3": 1,
      "convblock4": 2, "widenfact4": 0.5682032535401637, "B4": 3}' '[3, 32, 32]' 10)"
jis .metrics.params 629712 "oc0 8, M4, R 1,6,2,10 has 629712 parameters (AnalogNAS's Network)"
req POST /api/v1/architectures "$(arch_body \
    '{"out_channel0": 64, "M": 1, "R1": 5, "convblock1": 2, "widenfact1": 0.5788056173988683, "B1": 2}' \
    '[3, 32, 32]' 10)"
jis .metrics.params 2593226 "AnalogNAS's best_results_0.csv architecture has 2593226 parameters"

# Sampling.
req POST /api/v1/spaces/resnet/sample '{"n": 5, "seed": 7}'
status_is 200 "POST /api/v1/spaces/resnet/sample answers 200"
jis '.items | length' 5 "n=5 gives 5 configurations"
jok "each sample has a hash, a canonical config and analytic metrics" \
    '[.items[] | (.hash | test("^[0-9a-f]{16}$")) and (.config | length) == 22 and
       .metrics.params > 0 and (.metrics.macs | type) == "number"] | all'
jok "samples are in the space, groups beyond M zeroed" \
    '[.items[].config as $c |
       ($c.M >= 1 and $c.M <= 4) and
       ([range(1; $c.M + 1) | tostring as $g |
          $c["widenfact" + $g] >= 0.5 and $c["widenfact" + $g] < 0.8 and
          $c["B" + $g] >= 1 and $c["B" + $g] <= 4] | all) and
       ([range($c.M + 1; 6) | tostring as $g |
          $c["R" + $g] == 0 and $c["B" + $g] == 0 and $c["convblock" + $g] == 0 and
          $c["widenfact" + $g] == 0] | all)] | all'
cp "$BODY_FILE" "$tmp/sample7.json"
req POST /api/v1/spaces/resnet/sample '{"n": 5, "seed": 7}'
ok "the same seed gives the same samples" \
    sh -c 'test "$(jq -S . "$1")" = "$(jq -S . "$2")"' sh "$BODY_FILE" "$tmp/sample7.json"
req POST /api/v1/spaces/resnet/sample '{"n": 5, "seed": 8}'
ok "another seed gives other samples" \
    sh -c 'test "$(jq -S . "$1")" != "$(jq -S . "$2")"' sh "$BODY_FILE" "$tmp/sample7.json"
req POST /api/v1/spaces/resnet/sample ''
status_is 200 "an empty body samples one configuration"
jis '.items | length' 1 "... exactly one"
req POST /api/v1/spaces/resnet/sample '{"n": 3, "seed": 7, "input": [1, 28, 28], "classes": 10}'
status_is 200 "sampling for a 1x28x28 input answers 200"
jis '.items | length' 3 "... n=3 gives 3 configurations"

# A sample agrees with POST /api/v1/architectures.
c0=$(jq -c '.items[0].config' "$tmp/sample7.json")
req POST /api/v1/architectures "$(arch_body "$c0" '[3, 32, 32]' 10)"
jok "a sampled config posted back has the same hash and metrics" \
    --slurpfile s "$tmp/sample7.json" \
    '.hash == $s[0].items[0].hash and .metrics.params == $s[0].items[0].metrics.params and
     .metrics.macs == $s[0].items[0].metrics.macs'

req GET /api/v1/health
status_is 200 "still healthy"
done_testing
