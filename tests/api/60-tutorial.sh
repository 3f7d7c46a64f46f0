#!/bin/sh
# The AnalogNAS tutorial flow (AnalogNAS_Tutorial.ipynb) with curl: the
# published XGBoost surrogates, ea-analognas with population 20 and 10
# iterations, 5 repetitions (the Worker), AnalogNAS's best_results_{i}.csv.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

W=$ANAS_SHARED/reference/analognas/weights
REF=$ANAS_SHARED/reference/analognas/best_results_0.csv
for f in xgboost_ranker_acc.bst xgboost_avm.bst xgboost_std.bst; do
    [ -r "$W/$f" ] || skip_all "AnalogNAS surrogates not found in $W"
done
[ -r "$REF" ] || skip_all "$REF not found"
W=$(cd "$W" && pwd -P)

start_anasd --model-root "$W"

SPEC=$(jq -n -c --arg w "$W" '{
  kind: "search", name: "analognas-tutorial",
  space: {name: "resnet"},
  evaluator: {kind: "surrogate", models: {
    "acc@1d": ($w + "/xgboost_ranker_acc.bst"),
    "avm": ($w + "/xgboost_avm.bst"),
    "acc_std@1d": ($w + "/xgboost_std.bst")}},
  optimizer: {kind: "ea-analognas", population_size: 20, iterations: 10},
  objectives: [{metric: "acc@1d", goal: "max"}],
  constraints: [{metric: "avm", max: 10}],
  runs: 5, seed: 1}')

post_run "$SPEC"
status_is 201 "the tutorial search is accepted"
id=$RUN_ID
jok "the normalized spec defaults input 3x32x32 and 10 classes" \
    '.spec.space.input == [3, 32, 32] and .spec.space.classes == 10 and .spec.runs == 5'
wait_run "$id" 300 || true
jis .state succeeded "the tutorial search succeeds"
cp "$BODY_FILE" "$tmp/run.json"

ok "summary: acc@1d/max over 5 runs, per_run of 5, numeric mean and std_err" \
    jq -e '.summary | .objective == "acc@1d" and .goal == "max" and .runs == 5 and
           (.per_run | length) == 5 and ([.per_run[].rep] == [0, 1, 2, 3, 4]) and
           (.mean | type) == "number" and (.std_err | type) == "number" and
           (.best_score | type) == "number"' "$tmp/run.json"
ok "best_score is the max of the per-run scores" \
    jq -e '.summary | .best_score == ([.per_run[].best.score] | max)' "$tmp/run.json"
ok "mean is the mean of the per-run scores" \
    jq -e '.summary | ([.per_run[].best.score] | add / length) as $m |
           ((.mean - $m) | fabs) < 1e-6' "$tmp/run.json"
ok "std_err is the sample standard deviation over sqrt(5)" \
    jq -e '.summary | [.per_run[].best.score] as $s | ($s | add / length) as $m |
           ((([$s[] | (. - $m) * (. - $m)] | add) / 4 | sqrt) / (5 | sqrt)) as $se |
           ((.std_err - $se) | fabs) <= 1e-6 + 1e-4 * $se' "$tmp/run.json"
ok "best.metrics[\"acc@1d\"] equals best_score" \
    jq -e '.best.metrics["acc@1d"] == .summary.best_score and .best.score == .summary.best_score' \
    "$tmp/run.json"
ok "best has avm <= 10 and the three surrogate metrics plus analytic ones" \
    jq -e '.best.metrics | .avm <= 10 and (.["acc_std@1d"] | type) == "number" and
           .params > 0 and (.tiles | type) == "number"' "$tmp/run.json"
ok "accuracies are plausible (0.5 < acc@1d < 1)" \
    jq -e '[.summary.per_run[].best.metrics["acc@1d"] | . > 0.5 and . < 1] | all' "$tmp/run.json"

# Each repetition: the initial population (2) plus 2 children per iteration,
# more when the AVM filter resampled the initial population.
total=0
rep=0
while [ "$rep" -lt 5 ]; do
    all_evaluations "$id" "$tmp/rep$rep.json" "&rep=$rep" || fail "listing rep $rep"
    n=$(jq length "$tmp/rep$rep.json")
    total=$((total + n))
    ok "rep $rep has at least 2+2*10 evaluations ($n), as per_run says" \
        jq -e --argjson n "$n" --argjson r "$rep" \
        '$n >= 22 and .summary.per_run[$r].evaluations == $n' "$tmp/run.json"
    ok "rep $rep's best is its max acc@1d among feasible evaluations" \
        jq -e --slurpfile e "$tmp/rep$rep.json" --argjson r "$rep" \
        '.summary.per_run[$r].best.score ==
         ([$e[0][] | select(.feasible and .state == "complete") | .metrics["acc@1d"]] | max)' \
        "$tmp/run.json"
    rep=$((rep + 1))
done
ok "summary.evaluations ($total) is the sum over repetitions" \
    jq -e --argjson t "$total" '.summary.evaluations == $t and .progress.done == $t' "$tmp/run.json"
ok "infeasible evaluations are those with avm > 10" \
    sh -c 'jq -s -e "add | all(.[]; select(.state == \"complete\") | .feasible == (.metrics.avm <= 10))" "$@"' \
    sh "$tmp"/rep[0-4].json

# AnalogNAS's results/best_results_0.csv.
req GET "/api/v1/runs/$id/export?format=analognas&rep=0"
status_is 200 "export format=analognas&rep=0 answers 200"
printf '%s\n' "$BODY" >"$tmp/best_results_0.csv"
is "$(wc -l <"$tmp/best_results_0.csv" | tr -d ' ')" 22 "it has 22 lines"
ok "every line is key,value" \
    awk -F, 'NF != 2 || $1 !~ /^[A-Za-z0-9_]+$/ { bad = 1 } END { exit bad }' "$tmp/best_results_0.csv"
is "$(cut -d, -f1 "$tmp/best_results_0.csv" | tr '\n' ' ')" "$(cut -d, -f1 "$REF" | tr '\n' ' ')" \
    "its keys are AnalogNAS's best_results_0.csv keys, in order"
ok "values print as Python's str(): ints bare, widenfacts as floats or 0" \
    awk -F, '$1 ~ /^widenfact/ { if ($2 !~ /^(0|0\.[0-9]+(e-?[0-9]+)?)$/) exit 1; next }
             { if ($2 !~ /^[0-9]+$/) exit 1 }' "$tmp/best_results_0.csv"
ok "its values are rep 0's best config" \
    sh -c 'jq -R -n -e --slurpfile r "$1" "
        [inputs | split(\",\") | {(.[0]): (.[1] | tonumber)}] | add ==
        \$r[0].summary.per_run[0].best.config" "$2"' sh "$tmp/run.json" "$tmp/best_results_0.csv"
like "$(header Content-Disposition)" 'attachment; *filename="best_results_0.csv"' \
    "Content-Disposition names best_results_0.csv"
req GET "/api/v1/runs/$id/export?format=analognas&rep=4"
like "$(header Content-Disposition)" 'filename="best_results_4.csv"' "rep=4 gives best_results_4.csv"
req GET "/api/v1/runs/$id/export?format=analognas&rep=5"
problem_is 422 - '?rep' "rep=5 of a 5-repetition run is 422 at ?rep"

# One architecture through the surrogates: AnalogNAS's golden predictions for
# the tutorial's best (Python xgboost 1.7.4's float32 predictions from the
# published analogainas/evaluators/weights/xgboost_*.bst).
EVAL=$(printf '%s' "$SPEC" | jq -c --argjson a "$TUTORIAL_BEST" \
    '.kind = "evaluate" | .name = "tutorial-best" | del(.optimizer) | .runs = 1 |
     .constraints = [] | .architecture = $a')
post_run "$EVAL"
status_is 201 "an evaluate run of the tutorial's best is accepted"
wait_run "$RUN_ID" 60 || true
jis .state succeeded "it succeeds"
jok "acc@1d 0.98068029, avm 7.1481132, acc_std@1d 0.050275725 as AnalogNAS predicts" \
    '.best.metrics | ((.["acc@1d"] - 0.9806802868843079) | fabs) < 1e-7 and
     ((.avm - 7.148113250732422) | fabs) < 1e-6 and
     ((.["acc_std@1d"] - 0.05027572438120842) | fabs) < 1e-7 and .params == 741324'

# Model paths are judged by where they resolve: through a symbolic link or
# "..", a path that resolves inside --model-root is allowed.
ln -s "$W" "$tmp/weights-link"
LINKED=$(printf '%s' "$EVAL" | jq -c --arg w "$tmp/weights-link" \
    '.evaluator.models |= map_values(sub("^.*/"; $w + "/"))')
post_run "$LINKED"
status_is 201 "model paths through a symlink that resolve inside --model-root are accepted"
if [ -n "$RUN_ID" ]; then wait_run "$RUN_ID" 60 || true; fi
DOTTED=$(printf '%s' "$EVAL" | jq -c --arg w "$tmp/../$(basename "$tmp")/weights-link" \
    '.evaluator.models |= map_values(sub("^.*/"; $w + "/"))')
post_run "$DOTTED"
status_is 201 "... and through '..' and a symlink"
if [ -n "$RUN_ID" ]; then wait_run "$RUN_ID" 60 || true; fi

# Determinism: the same spec again gives the same best and summary.
post_run "$SPEC"
status_is 201 "the identical spec is accepted again"
id2=$RUN_ID
wait_run "$id2" 300 || true
jis .state succeeded "the second run succeeds"
# (all but how many results were reused: the second run reuses them all)
ok "it finds the identical best and summary" \
    sh -c 'test "$(jq -S "{best, s: (.summary | del(.cached))}" "$1")" = \
                "$(jq -S "{best, s: (.summary | del(.cached))}" "$2")"' sh \
    "$tmp/run.json" "$BODY_FILE"
req GET "/api/v1/runs/$id2/evaluations?limit=5"
jok "its evaluations reuse the stored results (cached)" '[.items[].cached] | all'
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
done_testing
