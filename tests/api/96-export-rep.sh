#!/bin/sh
# GET /runs/{id}/export?rep=i, as doc/api.md documents it: json and csv hold
# every repetition's evaluations, or only repetition i's; analognas picks
# repetition i's best (0 by default); a repetition the run does not have is
# 422 at ?rep.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

post_run '{"kind": "search",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "objectives": [{"metric": "params", "goal": "min"}],
 "optimizer": {"kind": "random", "evaluations": 6}, "runs": 3, "seed": 3}'
status_is 201 "a search of 3 repetitions of 6 evaluations is accepted"
wait_run "$RUN_ID" 60
jis .state succeeded "it succeeds"
id=$RUN_ID

req GET "/api/v1/runs/$id/export?format=json"
jok "json without rep: 18 evaluations, 6 of each repetition" \
    '(.evaluations | length) == 18 and
     ([.evaluations[].rep] | group_by(.) | map(length)) == [6, 6, 6]'
all=$(jq -c '[.evaluations[] | select(.rep == 1)]' "$BODY_FILE")
req GET "/api/v1/runs/$id/export?format=json&rep=1"
status_is 200 "json&rep=1 answers 200"
jok "json&rep=1: the run and repetition 1's 6 evaluations, as in the whole export" \
    --argjson all "$all" --argjson id "$id" '.run.id == $id and .evaluations == $all'

req GET "/api/v1/runs/$id/export?format=csv"
is "$(grep -c . "$BODY_FILE")" 19 "csv without rep: a header and 18 rows"
cut -d, -f1,2 "$BODY_FILE" | sed 1d | awk -F, '$2 == 2' >"$tmp/rep2.all"
header_all=$(head -n 1 "$BODY_FILE")
req GET "/api/v1/runs/$id/export?format=csv&rep=2"
status_is 200 "csv&rep=2 answers 200"
is "$(head -n 1 "$BODY_FILE")" "$header_all" "csv&rep=2 has the same header"
is "$(sed 1d "$BODY_FILE" | cut -d, -f1,2 | tr '\n' ' ')" "$(tr '\n' ' ' <"$tmp/rep2.all")" \
    "csv&rep=2: exactly repetition 2's rows (seq, rep), in order"
like "$(header Content-Disposition)" "filename=\"run-$id-rep2\\.csv\"" \
    "csv&rep=2 is named run-$id-rep2.csv"

req GET "/api/v1/runs/$id/export?format=analognas&rep=2"
status_is 200 "analognas&rep=2 answers 200"
like "$(header Content-Disposition)" 'best_results_2\.csv' "analognas&rep=2 is best_results_2.csv"

for f in json csv analognas; do
    req GET "/api/v1/runs/$id/export?format=$f&rep=3"
    problem_is 422 ANAS_ERANGE '?rep' "$f&rep=3 (the run has 0..2) is 422 at ?rep"
done
req GET "/api/v1/runs/$id/export?format=csv&rep=one"
problem_is 422 ANAS_ERANGE '?rep' "csv&rep=one is 422 at ?rep"
done_testing
