#!/bin/sh
# Early stopping through the API: a training search with a pruner, one
# objective and two. Half the candidates get a learning rate too small to
# learn anything, so there is something to prune. Every evaluation keeps
# its learning curve (one entry per epoch trained); a pruned one is stored
# as "pruned" with its last epoch's metrics, was stopped only at a rung of
# successive halving, and at that rung some other evaluation had done
# better (two objectives: dominated it). The summary counts the pruned
# ones and the epochs they saved; a budget counts a pruned training as the
# share of its epochs it trained; ?state=pruned lists them; a pruned run
# killed with -9 resumes and finishes consistent. Tile readings on the
# curve (curve_drift) and every validation error with its pointer.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=48 NTEST=32 N=6
else
    NTRAIN=256 NTEST=128 N=12
fi
mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data"

SPACE='"space": {"name": "mlp", "input": [1, 8, 8], "classes": 4}'
DATA='"dataset": {"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'}'
TRAIN='"kind": "train", "epochs": 4, "batch_size": 16,
       "optimizer": {"kind": "sgd", "lr": {"choices": [0.00001, 0.05]}}'
# search OBJECTIVES PRUNER [SEED [EXTRA]]
search() {
    post_run '{"kind": "search", '"$SPACE"', '"$DATA"', "evaluator": {'"$TRAIN"'},
     "objectives": '"$1"', "pruner": '"$2"',
     "optimizer": {"kind": "random", "evaluations": '"${EVALS:-$N}"', "batch": 2},
     "seed": '"${3:-3}${4:-}"'}'
}

# --- one objective, successive halving (rungs at epochs 1 and 2) ---
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "successive-halving", "eta": 2}'
status_is 201 "a search with a successive-halving pruner is accepted"
a=$RUN_ID
jok "the spec echoes the pruner with its defaults" \
    '.spec.pruner == {"kind": "successive-halving", "min_epochs": 1, "eta": 2}'
wait_run "$a" 300
jis .state succeeded "the search succeeded"
cp "$BODY_FILE" "$tmp/a-run.json"
all_evaluations "$a" "$tmp/a.json"
jq -e 'length == '$N "$tmp/a.json" >/dev/null
ok "$N evaluations" test $? = 0
ok "every one is complete or pruned" \
    jq -e 'all(.[]; .state == "complete" or .state == "pruned")' "$tmp/a.json"
ok "some were pruned and some completed" \
    jq -e '(map(select(.state == "pruned")) | length) > 0 and
           (map(select(.state == "complete")) | length) > 0' "$tmp/a.json"
ok "each carries its learning curve: epochs 1..n with acc@fp, train_loss and test_loss" \
    jq -e 'all(.[]; (.curve | length) == .metrics.epochs and
                    ([.curve[].epoch] == [range(1; .metrics.epochs + 1)]) and
                    all(.curve[]; (.["acc@fp"] | type) == "number" and
                                  (.train_loss | type) == "number" and
                                  (.test_loss | type) == "number"))' "$tmp/a.json"
ok "complete ones trained 4 epochs; pruned ones stopped at a rung (1 or 2)" \
    jq -e 'all(.[]; if .state == "complete" then .metrics.epochs == 4
                    else (.metrics.epochs | IN(1, 2)) end)' "$tmp/a.json"
ok "a pruned one keeps its last epoch's metrics and is not feasible" \
    jq -e 'all(.[] | select(.state == "pruned");
               .metrics["acc@fp"] == .curve[-1]["acc@fp"] and .feasible == false and
               (.metrics.params | type) == "number")' "$tmp/a.json"
ok "at its rung, some other evaluation had done better than each pruned one" \
    jq -e '. as $all | all(.[] | select(.state == "pruned");
             . as $p | ($p.metrics.epochs) as $e |
             any($all[]; .seq != $p.seq and (.curve | length) >= $e and
                         .curve[$e - 1]["acc@fp"] > $p.curve[$e - 1]["acc@fp"]))' "$tmp/a.json"
pruned=$(jq '[.[] | select(.state == "pruned")] | length' "$tmp/a.json")
saved=$(jq '[.[] | select(.state == "pruned") | 4 - .metrics.epochs] | add' "$tmp/a.json")
ok "the summary counts $pruned pruned and $saved epochs saved" \
    jq -e '.summary.pruned == '"$pruned"' and .summary.epochs_saved == '"$saved"' and
           .summary.complete == '"$((N - pruned))" "$tmp/a-run.json"
ok "the best is a complete evaluation" \
    jq -e --argjson best "$(jq .best.seq "$tmp/a-run.json")" \
    'any(.[]; .seq == $best and .state == "complete")' "$tmp/a.json"
req GET "/api/v1/runs/$a/evaluations?state=pruned"
jok "?state=pruned lists exactly those" \
    '(.items | length) == '"$pruned"' and all(.items[]; .state == "pruned")'

# --- a budget counts a pruned training as its share ---
# A seed of its own: fresh candidates, not the first run's stored results.
# More candidates than the budget can pay for even if every one is pruned
# at the first rung (a quarter each): only the budget can end this search.
EVALS=20
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "successive-halving", "eta": 2}' 5 \
    ', "budget": {"evaluations": 4}'
unset EVALS
b=$RUN_ID
wait_run "$b" 300
jis .summary.stopped_by budget.evaluations "a budget of 4 evaluations stopped the search"
all_evaluations "$b" "$tmp/b.json"
ok "the trainings cost at most 4 evaluations' worth, pruned ones by their share" \
    jq -e '(map(if .state == "pruned" then .metrics.epochs / 4 else 1 end) | add) <= 4.0001 and
           length >= 4' "$tmp/b.json"

# --- two objectives: accuracy up, parameters down, by domination ---
search '[{"metric": "acc@fp", "goal": "max"}, {"metric": "params", "goal": "min"}]' \
    '{"kind": "successive-halving", "eta": 2}' 11
status_is 201 "a two-objective search with a pruner is accepted"
c=$RUN_ID
wait_run "$c" 300
jis .state succeeded "it succeeded"
all_evaluations "$c" "$tmp/c.json"
ok "each pruned one was dominated at its rung (accuracy no lower, params no more)" \
    jq -e '. as $all | all(.[] | select(.state == "pruned");
             . as $p | ($p.metrics.epochs) as $e |
             any($all[]; .seq != $p.seq and (.curve | length) >= $e and
                         .curve[$e - 1]["acc@fp"] >= $p.curve[$e - 1]["acc@fp"] and
                         .metrics.params <= $p.metrics.params and
                         (.curve[$e - 1]["acc@fp"] > $p.curve[$e - 1]["acc@fp"] or
                          .metrics.params < $p.metrics.params)))' "$tmp/c.json"
req GET "/api/v1/runs/$c/pareto"
jok "the Pareto front holds complete evaluations only" \
    '(.items | length) > 0 and all(.items[]; (.metrics.epochs) == 4)'

# --- the median rule ---
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "median", "startup": 2}' 21
status_is 201 "a median pruner is accepted"
jok "... echoed with its defaults" \
    '.spec.pruner == {"kind": "median", "min_epochs": 1, "startup": 2, "percentile": 50}'
wait_run "$RUN_ID" 300
jis .state succeeded "the median-pruned search succeeded"
all_evaluations "$RUN_ID" "$tmp/d.json"
ok "median: no evaluation is pruned before 2 have completed" \
    jq -e 'sort_by(.seq) | (map(.state == "complete") | index(true)) as $first |
           ([.[] | select(.state == "complete")] | length) >= 2 and
           all(.[:$first + 1][]; .state == "complete")' "$tmp/d.json"

# --- tile readings on the curve (not under valgrind: the tiles are slow) ---
if [ -z "$ANASD_WRAPPER" ]; then
    post_run '{"kind": "search", '"$SPACE"', '"$DATA"',
     "evaluator": {'"$TRAIN"', "hardware": "analognas", "hwa": true,
                   "drift_times": ["1s", "1d"], "repeats": 2, "curve_drift": "1d"},
     "objectives": [{"metric": "acc@1d", "goal": "max"}],
     "pruner": {"kind": "successive-halving", "eta": 2},
     "optimizer": {"kind": "random", "evaluations": 4, "batch": 2}, "seed": 3}'
    status_is 201 "a search pruning on tile readings at 1 d is accepted"
    jis .spec.evaluator.curve_drift 1d "curve_drift is echoed"
    e=$RUN_ID
    wait_run "$e" 300
    jis .state succeeded "it succeeded"
    all_evaluations "$e" "$tmp/e.json"
    ok "every epoch of every curve has an acc@1d reading; a pruned one reports its last" \
        jq -e 'all(.[]; all(.curve[]; (.["acc@1d"] | type) == "number") and
                        (if .state == "pruned" then .metrics["acc@1d"] == .curve[-1]["acc@1d"]
                         else (.metrics["acc@1s"] | type) == "number" end))' "$tmp/e.json"
else
    skip "tile readings on the curve: not under valgrind" 4
fi

# --- kill -9 in the middle, and resume (more data: trainings long enough
# to be caught running) ---
DATA='"dataset": {"name": "synthetic", "train_subset": '$((NTRAIN * 8))', "test_subset": '$NTEST'}'
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "successive-halving", "eta": 2}' 31
f=$RUN_ID
killed=
_deadline=$(($(now) + $(scaled 120)))
while [ "$(now)" -le "$_deadline" ]; do
    req GET "/api/v1/runs/$f"
    case $(jb .state) in succeeded | failed | canceled) break ;; esac
    d=$(jb '.progress.done // 0')
    if [ "$d" -gt 0 ] && [ "$d" -lt "$N" ]; then
        kill9_anasd
        killed=$d
        break
    fi
    sleep 0.05
done
ok "killed with the pruned search in progress ($killed of $N done)" test -n "$killed"
[ -n "$killed" ] || stop_anasd
start_anasd --data-root "$tmp/data"
wait_run "$f" 300
jis .state succeeded "killed with -9 and restarted, the pruned search finishes"
cp "$BODY_FILE" "$tmp/f-run.json"
all_evaluations "$f" "$tmp/f.json"
ok "$N evaluations, each with its curve (a diverged training fails, with the epochs it made)" \
    jq -e 'length == '$N' and all(.[]; if .state == "failed" then .error.code == "ANAS_ENUMERIC"
                                       else (.state | IN("complete", "pruned")) and
                                            (.curve | length) == .metrics.epochs end)' "$tmp/f.json"
ok "the summary agrees with the stored evaluations" \
    jq -e --slurpfile run "$tmp/f-run.json" '
      ($run[0].summary.pruned == (map(select(.state == "pruned")) | length)) and
      ($run[0].summary.complete == (map(select(.state == "complete")) | length))' "$tmp/f.json"

# --- validation ---
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "hyperband"}'
problem_is 422 ANAS_EINVAL /pruner/kind "an unknown pruner kind: 422 /pruner/kind"
search '[{"metric": "acc@fp", "goal": "max"}]' '{"eta": 2}'
problem_is 422 ANAS_EINVAL /pruner/kind "a pruner without a kind: 422 /pruner/kind"
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "successive-halving", "eta": 1}'
problem_is 422 ANAS_ERANGE /pruner/eta "eta 1: 422 /pruner/eta"
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "median", "percentile": 101}'
problem_is 422 ANAS_ERANGE /pruner/percentile "percentile 101: 422 /pruner/percentile"
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "median", "min_epochs": 0}'
problem_is 422 ANAS_ERANGE /pruner/min_epochs "min_epochs 0: 422 /pruner/min_epochs"
search '[{"metric": "acc@fp", "goal": "max"}]' '{"kind": "median", "eta": 2}'
problem_is 422 ANAS_EUNKNOWN /pruner/eta "eta is successive halving's: 422 /pruner/eta for median"
search '[{"metric": "acc@fp", "goal": "max"}]' '"median"'
problem_is 422 ANAS_ETYPE /pruner "a pruner that is not an object: 422 /pruner"
search '[{"metric": "params", "goal": "min"}]' '{"kind": "median"}'
problem_is 422 ANAS_EINVAL /pruner "only analytic objectives have no curve: 422 /pruner"
post_run '{"kind": "search", "space": "resnet", "objectives": [{"metric": "params", "goal": "min"}],
  "pruner": {"kind": "median"}, "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /pruner "an analytic search has nothing to prune: 422 /pruner"
post_run '{"kind": "evaluate", '"$SPACE"', '"$DATA"', "evaluator": {"kind": "train", "epochs": 2},
  "architecture": {"depth": 1, "width1": 32, "activation": 0},
  "pruner": {"kind": "median"}}'
problem_is 422 ANAS_EINVAL /pruner "an evaluate run is not pruned: 422 /pruner"
post_run '{"kind": "search", '"$SPACE"', '"$DATA"',
  "evaluator": {"kind": "train", "epochs": 2, "curve_drift": "1d"},
  "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /evaluator/curve_drift "curve_drift without tiles: 422 /evaluator/curve_drift"
post_run '{"kind": "search", '"$SPACE"', '"$DATA"',
  "evaluator": {"kind": "train", "epochs": 2, "hwa": true, "drift_times": ["1s", "1d"],
                "curve_drift": "1h"},
  "optimizer": {"kind": "random", "evaluations": 2}}'
problem_is 422 ANAS_EINVAL /evaluator/curve_drift "curve_drift not among drift_times: 422 /evaluator/curve_drift"
req GET "/api/v1/runs/$a/evaluations?state=stopped"
problem_is 422 ANAS_EINVAL "?state" "?state=stopped: 422 naming ?state"

done_testing
