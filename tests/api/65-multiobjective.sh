#!/bin/sh
# Searches with two and three objectives: the feasible non-dominated set
# (GET /runs/{id}/pareto), its hypervolume checked against an independent
# computation, the reference point (observed or given), repetitions, and
# the validation errors of the multi-objective parts of a spec.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

spec2() { # EXTRA-JSON
    jq -n -c --argjson x "${1:-{\}}" '{
      kind: "search", space: {name: "resnet", input: [1, 28, 28], classes: 10},
      evaluator: {kind: "analytic"},
      optimizer: {kind: "random", evaluations: 200},
      objectives: [{metric: "macs", goal: "min"}, {metric: "tile_util", goal: "max"}],
      constraints: [{metric: "params", max: 400000}],
      seed: 5} + $x'
}

# The 2-D hypervolume of a front (minimised [f1, f2] points) and a reference
# point, by jq: sort by f1, sum the staircase's rectangles.
HV2='def hv2($ref): [.[] | select(.[0] < $ref[0] and .[1] < $ref[1])] | sort
     | reduce .[] as $p ({y: $ref[1], a: 0};
         if $p[1] < .y then {y: $p[1], a: (.a + ($ref[0] - $p[0]) * (.y - $p[1]))} else . end)
     | .a;'

post_run "$(spec2)"
status_is 201 "a two-objective search is accepted"
id=$RUN_ID
wait_run "$id" 120
jis .state succeeded "it succeeds"
cp "$BODY_FILE" "$tmp/run.json"
jok "the summary: objectives, pareto_size, hypervolume, the observed reference point" \
    '.summary.objectives == [{metric: "macs", goal: "min"}, {metric: "tile_util", goal: "max"}] and
     .summary.pareto_size >= 2 and .summary.hypervolume > 0 and
     .summary.reference_point_from == "worst observed" and
     (.summary.reference_point | length) == 2 and
     .summary.per_run[0].pareto_size == .summary.pareto_size'
jok "best is the best of the first objective" \
    '.best.metrics.macs == .summary.best_score'

req GET "/api/v1/runs/$id/pareto"
status_is 200 "GET /runs/{id}/pareto answers"
cp "$BODY_FILE" "$tmp/front.json"
ok "its size and hypervolume are the summary's" \
    jq -e -s '.[0].summary.pareto_size == (.[1].items | length) and
              .[0].summary.pareto_size == .[1].pareto_size and
              (.[0].summary.hypervolume - .[1].hypervolume | fabs) <= 1e-9 * .[1].hypervolume' \
    "$tmp/run.json" "$tmp/front.json"
jok "every item: seq, rep, hash, config, metrics, rank 1, crowding (null at the ends)" \
    'all(.items[]; (.seq | type) == "number" and .rep == 0 and (.hash | length) == 16 and
                   (.config | length) == 22 and .rank == 1 and
                   (.crowding == null or .crowding >= 0)) and
     ([.items[] | select(.crowding == null)] | length) >= 2'
jok "items are feasible and ordered by the first objective" \
    '[.items[].metrics.macs] == ([.items[].metrics.macs] | sort) and
     all(.items[]; .metrics.params <= 400000)'
jok "no item dominates another" \
    '[.items[] | [.metrics.macs, -.metrics.tile_util]] as $p
     | [range($p | length) as $i | range($p | length) as $j
        | select($i != $j and $p[$i][0] <= $p[$j][0] and $p[$i][1] <= $p[$j][1] and
                 ($p[$i][0] < $p[$j][0] or $p[$i][1] < $p[$j][1]))] | length == 0'
all_evaluations "$id" "$tmp/evals.json"
ok "every feasible evaluation is dominated by or equal to a front member" \
    jq -e -s '[.[1].items[] | [.metrics.macs, -.metrics.tile_util]] as $f
              | all(.[0][] | select(.state == "complete" and .feasible)
                    | [.metrics.macs, -.metrics.tile_util];
                    . as $q | any($f[]; .[0] <= $q[0] and .[1] <= $q[1]))' \
    "$tmp/evals.json" "$tmp/front.json"
ok "the hypervolume is the staircase's area under the observed worst point" \
    jq -e -s "$HV2"'
        ([.[1][] | select(.state == "complete" and .feasible)
          | [.metrics.macs, -.metrics.tile_util]]) as $all
        | [($all | map(.[0]) | max), ($all | map(.[1]) | max)] as $ref
        | ([.[0].items[] | [.metrics.macs, -.metrics.tile_util]] | hv2($ref)) as $hv
        | (.[0].reference_point == [$ref[0], -$ref[1]]) and
          (($hv - .[0].hypervolume) | fabs) <= 1e-9 * $hv' \
    "$tmp/front.json" "$tmp/evals.json"
req GET "/api/v1/runs/$id/pareto?fronts=2"
jok "?fronts=2 adds the second front, after the first" \
    '([.items[].rank] | unique) == [1, 2] and [.items[].rank] == ([.items[].rank] | sort)'
req GET "/api/v1/runs/$id/pareto?fronts=0"
problem_is 422 ANAS_ERANGE '?fronts' "fronts=0: 422"
req GET "/api/v1/runs/$id/pareto?rep=1"
problem_is 422 ANAS_ERANGE '?rep' "rep=1 of a one-repetition run: 422"
req GET "/api/v1/runs/999/pareto"
problem_is 404 ANAS_ENOTFOUND '' "the front of no run: 404"

# A reference point from the spec: the hypervolume is measured from it.
post_run "$(spec2 '{"reference_point": [20000000, 0]}')"
status_is 201 "a reference point is accepted"
wait_run "$RUN_ID" 120
jok "it is echoed, used and said to come from the spec" \
    '.spec.reference_point == [20000000, 0] and .summary.reference_point == [20000000, 0] and
     .summary.reference_point_from == "spec"'
req GET "/api/v1/runs/$RUN_ID/pareto"
jok "the hypervolume is the staircase's under that point" \
    "$HV2"' ([.items[] | [.metrics.macs, -.metrics.tile_util]] | hv2([20000000, 0])) as $hv
     | (($hv - .hypervolume) | fabs) <= 1e-9 * $hv and $hv > 0'

# Three objectives; the hypervolume against a slicing computation.
post_run "$(spec2 '{"objectives": [{"metric": "macs", "goal": "min"},
    {"metric": "tile_util", "goal": "max"}, {"metric": "params", "goal": "min"}],
    "optimizer": {"kind": "random", "evaluations": 150}, "runs": 2}')"
status_is 201 "a three-objective search with two repetitions is accepted"
id3=$RUN_ID
wait_run "$id3" 120
jis .state succeeded "it succeeds"
jok "each repetition has its front and hypervolume; their mean and standard error" \
    '(.summary.per_run | length) == 2 and all(.summary.per_run[]; .pareto_size >= 1 and
      .hypervolume > 0) and .summary.hypervolume_mean > 0 and
      (.summary.hypervolume_std_err | type) == "number" and
      .summary.pareto_size >= .summary.per_run[0].pareto_size'
req GET "/api/v1/runs/$id3/pareto"
cp "$BODY_FILE" "$tmp/front3.json"
req GET "/api/v1/runs/$id3/pareto?rep=1"
jok "?rep=1: only repetition 1's points" 'all(.items[]; .rep == 1) and (.items | length) >= 1'
if command -v python3 >/dev/null 2>&1; then
    ok "the 3-objective hypervolume equals an exact slicing computation" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
pts = [(i["metrics"]["macs"], -i["metrics"]["tile_util"], i["metrics"]["params"]) for i in d["items"]]
r = d["reference_point"]; ref = (r[0], -r[1], r[2])
def hv2(p, ref):
    a, y = 0.0, ref[1]
    for x, yy in sorted(q for q in p if q[0] < ref[0] and q[1] < ref[1]):
        if yy < y:
            a += (ref[0] - x) * (y - yy); y = yy
    return a
pts = [p for p in pts if all(p[k] < ref[k] for k in range(3))]
zs = sorted(set(p[2] for p in pts)) + [ref[2]]
hv = sum(hv2([p[:2] for p in pts if p[2] <= zs[i]], ref) * (zs[i + 1] - zs[i])
         for i in range(len(zs) - 1))
sys.exit(0 if abs(hv - d["hypervolume"]) <= 1e-9 * hv and hv > 0 else 1)' "$tmp/front3.json"
else
    skip "no python3 for the independent 3-D computation"
fi

# Validation of the multi-objective parts, each with its pointer.
bad() { # SPEC CODE FIELD DESC
    req POST /api/v1/runs "$1"
    problem_is 422 "$2" "$3" "$4"
}
bad "$(spec2 '{"objectives": [{"metric": "macs"}, {"metric": "macs", "goal": "min"}]}')" \
    ANAS_EINVAL /objectives/1/metric "the same metric twice: 422 at the second"
bad "$(spec2 '{"objectives": [{"metric": "macs"}, {"metric": "params"}, {"metric": "tiles"},
    {"metric": "tile_util"}, {"metric": "nb_convs"}]}')" \
    ANAS_ERANGE /objectives "five objectives: 422"
bad "$(spec2 '{"reference_point": [1]}')" ANAS_EINVAL /reference_point \
    "a reference point with one value for two objectives: 422"
bad "$(spec2 '{"reference_point": [1, "x"]}')" ANAS_ETYPE /reference_point/1 \
    "a reference point that is not numbers: 422 at the value"
bad "$(spec2 '{"reference_point": {"macs": 1}}')" ANAS_ETYPE /reference_point \
    "a reference point that is not an array: 422"
bad "$(spec2 '{"objectives": [{"metric": "macs", "goal": "up"}]}')" ANAS_EINVAL \
    /objectives/0/goal "goal up: 422"

stop_anasd
done_testing
