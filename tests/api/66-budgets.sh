#!/bin/sh
# Budgets end any optimizer cleanly, with the reason in the summary; runs
# whose evaluations fail say so; repetitions of a training are independent;
# progress never shows more done than total.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

ANALYTIC='"space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "objectives": [{"metric": "params", "goal": "min"}]'

# budget.evaluations falling inside one of ea-analognas's batches (5 slots):
# the repetition ends there, the next one runs.
post_run '{"kind": "search", '"$ANALYTIC"',
 "optimizer": {"kind": "ea-analognas", "population_size": 50, "iterations": 10},
 "budget": {"evaluations": 7}, "runs": 2, "seed": 1}'
status_is 201 "an ea-analognas search with budget.evaluations 7 is accepted"
wait_run "$RUN_ID" 60
jok "it succeeds: 7 evaluations in each of its 2 repetitions, stopped by the budget" \
    '.state == "succeeded" and .error == null and .progress.done == 14 and
     .progress.total == 14 and
     [.summary.per_run[] | .evaluations] == [7, 7] and
     [.summary.per_run[] | .stopped_by] == ["budget.evaluations", "budget.evaluations"] and
     .summary.stopped_by == "budget.evaluations" and .spec.budget.evaluations == 7'

# A candidate rejected on an analytic constraint costs nothing: random
# search under a tight size constraint stops after 6 real evaluations,
# however many rejected ones it drew on the way.
post_run '{"kind": "search", '"$ANALYTIC"', "constraints": [{"metric": "params", "max": 50000}],
 "optimizer": {"kind": "random", "evaluations": 100000, "batch": 1},
 "budget": {"evaluations": 6}, "seed": 4}'
status_is 201 "a constrained random search with budget.evaluations 6 is accepted"
wait_run "$RUN_ID" 60
all_evaluations "$RUN_ID" "$tmp/budget-invalid.json"
ok "6 evaluations that cost something (complete), and the invalid ones free" \
    jq -e '(map(select(.state != "invalid")) | length) == 6 and
           (map(select(.state == "invalid")) | length) > 0' "$tmp/budget-invalid.json"
req GET "/api/v1/runs/$RUN_ID"
jis .summary.stopped_by budget.evaluations "... stopped by the budget"

# budget.seconds: a search far too long for it ends after about that long.
t0=$(now)
post_run '{"kind": "search", '"$ANALYTIC"',
 "optimizer": {"kind": "random", "evaluations": 1000000},
 "budget": {"seconds": 1.5}, "seed": 2}'
status_is 201 "a search with budget.seconds is accepted"
wait_run "$RUN_ID" 60
t1=$(now)
jok "it succeeds, stopped by budget.seconds, with fewer evaluations than planned" \
    '.state == "succeeded" and .summary.stopped_by == "budget.seconds" and
     .summary.per_run[0].stopped_by == "budget.seconds" and
     .progress.done > 0 and .progress.done < 1000000 and
     .progress.done == .progress.total and .spec.budget.seconds == 1.5'
ok "it ended within seconds ($((t1 - t0)) s)" test $((t1 - t0)) -le "$(scaled 30)"

bad() { # SPEC CODE FIELD DESC
    req POST /api/v1/runs "$1"
    problem_is 422 "$2" "$3" "$4"
}
R='"kind": "search", '"$ANALYTIC"', "optimizer": {"kind": "random"}'
bad "{$R, \"budget\": {\"seconds\": 0}}" ANAS_ERANGE /budget/seconds "seconds 0: 422"
bad "{$R, \"budget\": {\"seconds\": \"1h\"}}" ANAS_ETYPE /budget/seconds "seconds as text: 422"
bad "{$R, \"budget\": {\"evaluations\": 0}}" ANAS_ERANGE /budget/evaluations \
    "evaluations 0: 422"
bad "{$R, \"budget\": {\"minutes\": 3}}" ANAS_EUNKNOWN /budget/minutes \
    "an unknown budget: 422"

# A failed search's progress: never more done than total. ea-analognas's
# filter on a metric the analytic evaluator does not produce resamples
# until it gives up, far beyond its planned 2 x 2 evaluations.
post_run '{"kind": "search", '"$ANALYTIC"',
 "optimizer": {"kind": "ea-analognas", "population_size": 20, "iterations": 1,
               "t_avm": 0, "init_rounds": 10}, "seed": 3}'
wait_run "$RUN_ID" 60
jok "it fails with the filter's reason, its progress is done/done" \
    '.state == "failed" and .error.code == "ANAS_ERANGE" and
     .progress.done == 22 and .progress.total == 22'

# Every evaluation failing makes the run fail, with the first error; the
# summary counts them. A training that diverges fails.
SYN='"space": {"name": "mlp", "input": [1, 8, 8], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 256, "test_subset": 64}'
WILD='"evaluator": {"kind": "train", "epochs": 3, "batch_size": 32,
               "optimizer": {"kind": "sgd", "lr": 10, "momentum": 0.99}}'
post_run '{"kind": "evaluate", '"$SYN"', '"$WILD"',
 "architecture": {"depth": 4, "width1": 128, "width2": 32, "width3": 128, "width4": 64,
                  "activation": 0}, "runs": 2, "seed": 4}'
status_is 201 "an evaluate run whose trainings diverge is accepted"
wait_run "$RUN_ID" 120
jok "it fails with the first evaluation's error; the summary counts 2 failed" \
    '.state == "failed" and (.error.detail | test("all 2 evaluations failed.*diverged")) and
     .summary.failed == 2 and .summary.complete == 0 and .best == null'
req GET "/api/v1/runs/$RUN_ID/evaluations"
jok "each evaluation is failed with its own error" \
    'all(.items[]; .state == "failed" and .error.code == "ANAS_ENUMERIC")'

# A search where some trainings diverge and others do not: it succeeds and
# says how many failed.
post_run '{"kind": "search", '"$SYN"', '"$WILD"',
 "optimizer": {"kind": "random", "evaluations": 6, "batch": 3}, "seed": 4}'
wait_run "$RUN_ID" 120
cp "$BODY_FILE" "$tmp/mixed.json"
req GET "/api/v1/runs/$RUN_ID/evaluations"
ok "the summary's counts are its evaluations' states; it fails only if none completed" \
    jq -e -s '.[0] as $r | [.[1].items[].state] as $s
              | ($s | map(select(. == "failed")) | length) == $r.summary.failed and
                ($s | map(select(. == "complete")) | length) == $r.summary.complete and
                (if $r.summary.complete > 0 then $r.state == "succeeded"
                 else $r.state == "failed" end)' "$tmp/mixed.json" "$BODY_FILE"
# A sane search: nothing failed, and the summary says so.
post_run '{"kind": "search", '"$SYN"',
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 32},
 "optimizer": {"kind": "random", "evaluations": 2, "batch": 2}, "seed": 4}'
wait_run "$RUN_ID" 120
jok "a healthy training search: 2 complete, 0 failed" \
    '.state == "succeeded" and .summary.complete == 2 and .summary.failed == 0'

# Repetitions of an evaluate run train from their own seeds: different
# results, a non-zero standard error, nothing copied between them.
post_run '{"kind": "evaluate", '"$SYN"',
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 32},
 "architecture": {"depth": 1, "width1": 32, "activation": 0}, "runs": 3, "seed": 5}'
status_is 201 "an evaluate run with 3 repetitions is accepted"
wait_run "$RUN_ID" 120
jok "3 repetitions, none cached, a positive standard error" \
    '.state == "succeeded" and .summary.cached == 0 and .summary.complete == 3 and
     .summary.std_err > 0'
req GET "/api/v1/runs/$RUN_ID/evaluations"
jok "their test losses all differ" \
    '[.items[].metrics.test_loss] | unique | length == 3'

stop_anasd
done_testing
