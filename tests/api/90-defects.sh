#!/bin/sh
# What a new user ran into, each checked where the API answers it: the
# surrogate evaluator on a space without features or with a model of the
# wrong width (rejected at submission) and off its space's default input
# (accepted with a warning); metrics the space does not produce; seeds that
# are not exact integers in 0..2^53; sorting evaluations with the feasible
# complete ones first, and the state/feasible filters.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

# tiny_model N LEFT RIGHT: an XGBoost JSON model (1.7's schema) reading N
# features, one tree: base_score 0.5 plus LEFT when feature 1 (resnet's M,
# residual groups) is below 2.5, else RIGHT. XGBoost wants its real-valued
# arrays to hold reals: every value there has a fraction.
tiny_model() {
    jq -n -c --arg n "$1" --argjson l "$2" --argjson r "$3" '{
      learner: {attributes: {}, feature_names: [], feature_types: [],
        gradient_booster: {name: "gbtree", model: {
          gbtree_model_param: {num_parallel_tree: "1", num_trees: "1", size_leaf_vector: "0"},
          tree_info: [0],
          trees: [{id: 0, tree_param: {num_deleted: "0", num_feature: $n, num_nodes: "3",
                                       size_leaf_vector: "0"},
            left_children: [1, -1, -1], right_children: [2, -1, -1],
            parents: [2147483647, 0, 0], split_indices: [1, 0, 0],
            split_conditions: [2.5, $l, $r], split_type: [0, 0, 0], default_left: [0, 0, 0],
            base_weights: [0.25, $l, $r], loss_changes: [1.5, 0.25, 0.25],
            sum_hessian: [2.5, 1.5, 1.5],
            categories: [], categories_nodes: [], categories_segments: [],
            categories_sizes: []}]}},
        learner_model_param: {base_score: "5E-1", boost_from_average: "1", num_class: "0",
                              num_feature: $n, num_target: "1"},
        objective: {name: "reg:squarederror", reg_loss_param: {scale_pos_weight: "1"}}},
      version: [1, 7, 4]}'
}

mkdir "$tmp/models"
tiny_model 22 0.5 10.5 >"$tmp/models/avm22.json" # avm 1 (M <= 2) or 11
tiny_model 21 0.5 10.5 >"$tmp/models/avm21.json"
: >"$tmp/models/empty.bst"

start_anasd --model-root "$tmp/models"

# surr SPACE MODEL [JQ-FILTER]: a surrogate search spec.
surr() {
    jq -n -c --argjson space "$1" --arg m "$tmp/models/$2" '{kind: "search", space: $space,
      evaluator: {kind: "surrogate", models: {avm: $m}},
      optimizer: {kind: "random", evaluations: 4},
      objectives: [{metric: "avm", goal: "min"}], seed: 1}' | jq -c "${3:-.}"
}

# --- 1. the surrogate evaluator ---
for sp in mlp lenet autoencoder; do
    post_run "$(surr '"'$sp'"' avm22.json)"
    problem_is 422 ANAS_EUNSUPPORTED /evaluator/kind \
        "surrogate on $sp (no feature vector) is refused at submission"
done
like "$(jb .detail)" "space autoencoder has no surrogate feature vector" \
    "... saying the space has no feature vector"
post_run "$(surr '"resnet"' avm21.json)"
problem_is 422 ANAS_ESHAPE /evaluator/models/avm "a 21-feature model on resnet (22) is refused"
like "$(jb .detail)" "reads 21 features; space resnet .* 22" "... naming both counts"
post_run "$(surr '"resnet"' empty.bst)"
problem_is 422 ANAS_EINVAL /evaluator/models/avm "a model file that does not load is refused"
req GET /api/v1/runs
is "$(jb '.items | length')" 0 "the refused runs stored nothing"

post_run "$(surr '"resnet"' avm22.json)"
status_is 201 "a 22-feature model on resnet at its default input is accepted"
jok "... with warnings present and empty" '.warnings == []'
plain=$RUN_ID
post_run "$(surr '{"name": "resnet", "input": [1, 28, 28], "classes": 10}' avm22.json)"
status_is 201 "the same on a 1x28x28 input is accepted"
jok "... with one warning naming the default input the models were fitted on" \
    '(.warnings | length) == 1 and (.warnings[0] | test("3x32x32, 10 classes")) and
     (.warnings[0] | test("1x28x28 with 10 classes"))'
off=$RUN_ID
post_run "$(surr '{"name": "resnet", "classes": 100}' avm22.json)"
jok "another class count is warned about too" '(.warnings | length) == 1'
wait_run "$off" 60
jis .state succeeded "the warned run runs"
jok "... and keeps its warning" '(.warnings | length) == 1'
req GET "/api/v1/runs?limit=10"
jok "the runs list carries warnings too" \
    '[.items[] | select(.id == '"$plain"') | .warnings] == [[]] and
     ([.items[] | select(.id == '"$off"') | .warnings | length] == [1])'
post_run '{"space": "resnet", "optimizer": {"kind": "random", "evaluations": 1}, "seed": 1}'
jok "an analytic run has no warnings" '.warnings == []'

# --- 2. metrics the space produces ---
MLP='{"kind": "search", "space": "mlp", "optimizer": {"kind": "random", "evaluations": 3}, "seed": 1}'
post_run "$(printf '%s' "$MLP" | jq -c '.objectives = [{metric: "nb_convs", goal: "min"}]')"
problem_is 422 ANAS_EUNKNOWN /objectives/0/metric "nb_convs is no objective on mlp"
like "$(jb .detail)" "on space mlp \\(it produces params, macs, tiles, tile_util\\)" \
    "... and the error lists what mlp produces"
post_run "$(printf '%s' "$MLP" | jq -c '.constraints = [{metric: "nb_convs", max: 3}]')"
problem_is 422 ANAS_EUNKNOWN /constraints/0/metric "nor a constraint"
post_run "$(printf '%s' "$MLP" | jq -c '.objectives = [{metric: "tile_util", goal: "max"}]')"
status_is 201 "tile_util is an objective on mlp"
mlp=$RUN_ID
wait_run "$mlp" 60
req GET "/api/v1/runs/$mlp/evaluations?sort=nb_convs"
problem_is 422 ANAS_EINVAL '?sort' "an mlp run does not sort by nb_convs"
req GET "/api/v1/runs/$mlp/evaluations?sort=-tile_util"
status_is 200 "... but by tile_util"
post_run '{"space": "resnet", "optimizer": {"kind": "random", "evaluations": 3},
 "objectives": [{"metric": "nb_convs", "goal": "min"}], "seed": 1}'
status_is 201 "nb_convs is an objective on resnet"
post_run "$(surr '"resnet"' avm22.json '.constraints = [{metric: "acc@1d", min: 0.5}]')"
problem_is 422 ANAS_EUNKNOWN /constraints/0/metric "a metric no surrogate model gives"
like "$(jb .detail)" "params, macs, tiles, tile_util, nb_convs, avm\\)" \
    "... listing resnet's analytic metrics and the models'"

# --- 4. seeds ---
S='{"space": "resnet", "optimizer": {"kind": "random", "evaluations": 1}, "seed": SEED}'
for seed in 9007199254740993 1e19 18446744073709551615 3.5 -1 9007199254740993.0; do
    post_run "$(printf '%s' "$S" | sed "s/SEED/$seed/")"
    problem_is 422 'ANAS_ERANGE|ANAS_ETYPE' /seed "seed $seed is refused"
done
post_run "$(printf '%s' "$S" | sed "s/SEED/18446744073709551615/")"
like "$(jb .detail)" "0\\.\\.9007199254740992" "... a 64-bit overflow by the seed's range"
for seed in 9007199254740992 9007199254740991 0; do
    post_run "$(printf '%s' "$S" | sed "s/SEED/$seed/")"
    status_is 201 "seed $seed is accepted"
    is "$(jq -r '.spec.seed | tostring' "$BODY_FILE")" "$seed" "... and echoed exactly"
    req GET "/api/v1/runs/$RUN_ID"
    is "$(sed 's/.*"seed":\([0-9]*\).*/\1/' "$BODY_FILE")" "$seed" "... and stored exactly"
done
post_run '{"space": "resnet", "optimizer": {"kind": "random", "evaluations": 1},
 "budget": {"evaluations": 18446744073709551615}}'
problem_is 422 ANAS_ERANGE /budget/evaluations "any integer field names itself on overflow"
post_run '{"space": "resnet", "seed": 1e999}'
problem_is 400 ANAS_EFORMAT '' "a real beyond a double is still malformed JSON"

# --- 5. sorting and filtering evaluations ---
# params min, avm <= 5 (feasible iff M <= 2), macs <= 3e8 (more: invalid).
post_run "$(surr '"resnet"' avm22.json '.name = "sorted" |
  .optimizer.evaluations = 60 | .seed = 4 |
  .objectives = [{metric: "params", goal: "min"}] |
  .constraints = [{metric: "avm", max: 5}, {metric: "macs", max: 300000000}]')"
status_is 201 "a surrogate search with two constraints is accepted"
srt=$RUN_ID
wait_run "$srt" 120
jis .state succeeded "it succeeded"
all_evaluations "$srt" "$tmp/all.json"
ok "it has feasible, infeasible complete and invalid evaluations" \
    jq -e '(map(select(.state == "complete" and .feasible)) | length) > 0 and
           (map(select(.state == "complete" and (.feasible | not))) | length) > 0 and
           (map(select(.state == "invalid")) | length) > 0' "$tmp/all.json"
ok "... and infeasible ones with fewer params than a feasible one (the trap)" \
    jq -e '(map(select(.feasible | not) | .metrics.params) | min) <
           (map(select(.feasible) | .metrics.params) | max)' "$tmp/all.json"

# want ORDER-FILTER: the seqs jq computes from all evaluations.
want() {
    jq -c "$1" "$tmp/all.json"
}
got() {
    jq -c '[.items[].seq]' "$BODY_FILE"
}
good='map(select(.state == "complete" and .feasible))'
rest='map(select((.state == "complete" and .feasible) | not))'
req GET "/api/v1/runs/$srt/evaluations?sort=params&limit=1000"
is "$(got)" "$(want "($good | sort_by(.metrics.params, .seq)) + ($rest | sort_by(.metrics.params, .seq)) | map(.seq)")" \
    "sort=params: feasible complete first by params, then the rest by params"
req GET "/api/v1/runs/$srt/evaluations?sort=-params&limit=1000"
is "$(got)" "$(want "($good | sort_by(-.metrics.params, .seq)) + ($rest | sort_by(-.metrics.params, .seq)) | map(.seq)")" \
    "sort=-params: the same, descending"
req GET "/api/v1/runs/$srt/evaluations?sort=avm&limit=1000"
is "$(got)" "$(want "($good | sort_by(.metrics.avm, .seq)) + (map(select(.state == \"complete\" and (.feasible | not))) | sort_by(.metrics.avm, .seq)) + (map(select(.state == \"invalid\")) | sort_by(.seq)) | map(.seq)")" \
    "sort=avm: feasible, then infeasible, then the invalid ones that lack avm, by seq"
req GET "/api/v1/runs/$srt/evaluations?sort=-params&limit=3"
is "$(got)" "$(want "$good | sort_by(-.metrics.params, .seq) | .[:3] | map(.seq)")" \
    "sort with a limit starts with the best feasible ones"

req GET "/api/v1/runs/$srt/evaluations?state=invalid&limit=1000"
is "$(got)" "$(want 'map(select(.state == "invalid") | .seq)')" "state=invalid, by seq"
jis .next_after null "... on one page"
req GET "/api/v1/runs/$srt/evaluations?feasible=false&limit=1000"
is "$(got)" "$(want 'map(select(.feasible | not) | .seq)')" "feasible=false"
req GET "/api/v1/runs/$srt/evaluations?state=complete&feasible=false&limit=1000"
is "$(got)" "$(want 'map(select(.state == "complete" and (.feasible | not)) | .seq)')" \
    "state=complete&feasible=false: the infeasible complete ones"
req GET "/api/v1/runs/$srt/evaluations?state=complete&feasible=true&sort=-params&rep=0&limit=1000"
is "$(got)" "$(want "$good | sort_by(-.metrics.params, .seq) | map(.seq)")" \
    "filters combine with sort and rep"
req GET "/api/v1/runs/$srt/evaluations?state=failed"
is "$(got)" "[]" "state=failed: none"
req GET "/api/v1/runs/$srt/evaluations?rep=1&state=complete"
is "$(got)" "[]" "rep=1 (no such repetition) with a state: none"
PAGE=5 all_evaluations "$srt" "$tmp/paged.json" "&feasible=true"
ok "feasible=true pages with after/limit" \
    sh -c "test \"\$(jq -c 'map(.seq)' '$tmp/paged.json')\" = '$(want 'map(select(.feasible) | .seq)')'"
req GET "/api/v1/runs/$srt/evaluations?state=pending"
problem_is 422 ANAS_EINVAL '?state' "state=pending is refused"
req GET "/api/v1/runs/$srt/evaluations?feasible=yes"
problem_is 422 ANAS_EINVAL '?feasible' "feasible=yes is refused"
req GET "/api/v1/runs/$srt/evaluations?feasible=1"
problem_is 422 ANAS_EINVAL '?feasible' "feasible=1 is refused"

done_testing
