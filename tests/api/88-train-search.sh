#!/bin/sh
# Training hyperparameters as search dimensions: a random search over mlp
# networks whose learning rate and batch size are {"choices": [...]}.
# Every candidate carries train.lr and train.batch_size from the choices
# and is trained with them; the same draws with the learning rates listed
# the other way round train the same networks with the other rate and
# learn something else; the stored spec echoes the choices and, submitted
# again, is the same spec (and the same evaluations, answered from the
# store); the architecture endpoint knows the candidates' hashes; and the
# errors name the choice at fault.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

# Under valgrind training is some fifty times slower: less data, the same
# checks.
if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=48 NTEST=32
else
    NTRAIN=256 NTEST=128
fi
mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data"

SPACE='"space": {"name": "mlp", "input": [1, 8, 8], "classes": 4}'
DATA='"dataset": {"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'}'
# search LR_CHOICES: a random search of 4 candidates, seed 5.
search() {
    post_run '{"kind": "search", '"$SPACE"', '"$DATA"',
     "evaluator": {"kind": "train", "epochs": 1, "batch_size": {"choices": [16, 32]},
                   "optimizer": {"kind": "sgd", "lr": {"choices": '"$1"'}}},
     "optimizer": {"kind": "random", "evaluations": 4, "batch": 2}, "seed": 5}'
}

search '[0.001, 0.3]'
status_is 201 "a search with lr and batch_size choices is accepted"
a=$RUN_ID
jok "the spec echoes the choices, and the space by its own name" \
    '.spec.evaluator.optimizer.lr == {"choices": [0.001, 0.3]} and
     .spec.evaluator.batch_size == {"choices": [16, 32]} and .spec.space.name == "mlp" and
     .spec.evaluator.epochs == 1 and .spec.evaluator.optimizer.momentum == 0.9'
spec_a=$(jb -c .spec)
wait_run "$a" 300
jis .state succeeded "the search succeeded"
jok "the best's config carries train.lr and train.batch_size from the choices" \
    '(.best.config["train.lr"] | IN(0.001, 0.3)) and
     (.best.config["train.batch_size"] | IN(16, 32))'
best=$(jb -r .best.hash)
req GET "/api/v1/runs/$a/evaluations"
cp "$BODY_FILE" "$tmp/a.json"
jok "four trained evaluations, each with train.lr and train.batch_size from the choices" \
    '(.items | length) == 4 and
     all(.items[]; .state == "complete" and (.metrics["acc@fp"] | type) == "number" and
                   (.config["train.lr"] | IN(0.001, 0.3)) and
                   (.config["train.batch_size"] | IN(16, 32)))'
jok "both learning rates were drawn" \
    '[.items[].config["train.lr"]] | unique == [0.001, 0.3]'

# The same seed draws the same indices: the same networks and batch sizes,
# each with the other learning rate.
search '[0.3, 0.001]'
status_is 201 "the same search with the rates the other way round is accepted"
b=$RUN_ID
wait_run "$b" 300
jis .state succeeded "... and succeeds"
req GET "/api/v1/runs/$b/evaluations"
cp "$BODY_FILE" "$tmp/b.json"
ok "... on the same networks and batch sizes, each with the other learning rate" \
    jq -e -n --slurpfile a "$tmp/a.json" --slurpfile b "$tmp/b.json" '
      [$a[0].items, $b[0].items] | transpose |
      all(.[]; (.[0].config | del(.["train.lr"])) == (.[1].config | del(.["train.lr"])) and
               ([.[0].config["train.lr"], .[1].config["train.lr"]] | sort) == [0.001, 0.3])'
ok "... which trains them to other results (train loss, and the hash)" \
    jq -e -n --slurpfile a "$tmp/a.json" --slurpfile b "$tmp/b.json" '
      [$a[0].items, $b[0].items] | transpose |
      all(.[]; .[0].metrics.train_loss != .[1].metrics.train_loss and .[0].hash != .[1].hash)'

# The stored spec, submitted as it is, is the same spec: the same
# composite space, so the same hashes, answered from the store.
post_run "$spec_a"
status_is 201 "the stored spec is accepted again"
c=$RUN_ID
is "$(jb -c .spec)" "$spec_a" "... and echoes exactly the same spec"
wait_run "$c" 300
req GET "/api/v1/runs/$c/evaluations"
ok "... with the same candidates, every evaluation reused from the store" \
    jq -e -n --slurpfile a "$tmp/a.json" --slurpfile c "$BODY_FILE" '
      [$a[0].items[].hash] == [$c[0].items[].hash] and all($c[0].items[]; .cached)'

req GET "/api/v1/architectures/$best"
status_is 200 "GET /api/v1/architectures/{hash} knows a candidate's hash"
jok "... its composite space, and its recipe in the config" \
    --arg h "$best" '.hash == $h and (.space | test("^mlp\\+train\\.[0-9a-f]{8}$")) and
     (.config["train.lr"] | IN(0.001, 0.3)) and .metrics.params > 0'
composite=$(jb -r .space)

# Errors, each naming the field or the choice at fault.
bad() {
    req POST /api/v1/runs "$1"
    problem_is 422 "$2" "$3" "$4"
}
run() { # run EVALUATOR-FIELDS [KIND]
    printf '{"kind": "%s", %s, %s, "evaluator": {"kind": "train", %s}, %s}' "${2:-search}" \
        "$SPACE" "$DATA" "$1" \
        "$(if [ "${2:-search}" = search ]; then
            echo '"optimizer": {"kind": "random", "evaluations": 1}'
        else
            echo '"architecture": {"depth": 1, "width1": 32, "activation": 0}'
        fi)"
}
bad "$(run '"optimizer": {"lr": {"choices": [0.01, 0.1, 20]}}')" ANAS_ERANGE \
    /evaluator/optimizer/lr/choices/2 "an lr choice out of range is named by its index"
bad "$(run '"optimizer": {"lr": {"choices": [0.1]}}')" ANAS_ERANGE \
    /evaluator/optimizer/lr/choices "one choice is too few"
bad "$(run '"epochs": {"choices": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]}')" \
    ANAS_ERANGE /evaluator/epochs/choices "17 choices are too many"
bad "$(run '"batch_size": {"choices": 16}')" ANAS_ETYPE /evaluator/batch_size/choices \
    "choices must be an array"
bad "$(run '"batch_size": {}')" ANAS_EINVAL /evaluator/batch_size/choices \
    "an object without choices"
bad "$(run '"epochs": {"choices": [1, 2], "weights": [1, 1]}')" ANAS_EUNKNOWN \
    /evaluator/epochs/weights "an unknown key beside the choices"
bad "$(run '"epochs": {"choices": [1, 2.5]}')" ANAS_ETYPE /evaluator/epochs/choices/1 \
    "epochs choices are integers"
bad "$(run '"batch_size": {"choices": ["16", 32]}')" ANAS_ETYPE \
    /evaluator/batch_size/choices/0 "a choice that is not a number"
bad "$(run '"batch_size": {"choices": [16, 32, 16]}')" ANAS_EINVAL \
    /evaluator/batch_size/choices/2 "a repeated choice"
bad "$(run '"optimizer": {"weight_decay": {"choices": [0, 1]}}')" ANAS_ERANGE \
    /evaluator/optimizer/weight_decay/choices/1 "the library's rule (weight_decay < 1) per choice"
bad "$(run '"optimizer": {"nesterov": true, "momentum": {"choices": [0.9, 0]}}')" ANAS_EINVAL \
    /evaluator/optimizer/momentum/choices/1 "the rules across fields per choice (nesterov)"
bad "$(run '"optimizer": {"kind": "adam", "beta1": {"choices": [0.8, 0.9]}}')" ANAS_ETYPE \
    /evaluator/optimizer/beta1 "only the five recipe fields take choices"
bad "$(run '"optimizer": {"lr": {"choices": [0.01, 0.1]}}' evaluate)" ANAS_EINVAL \
    /evaluator/optimizer/lr "an evaluate run takes no choices"
jok "... saying why" '.detail | test("choices are for searches")'
bad "$(run '"epochs": {"choices": [1, 2]}' train)" ANAS_EINVAL /evaluator/epochs \
    "nor does a train run"
bad '{"kind": "search", "space": "'"$composite"'", '"$DATA"',
      "evaluator": {"kind": "train"}, "optimizer": {"kind": "random", "evaluations": 1}}' \
    ANAS_ENOTFOUND /space/name "a composite is not a space a spec may name"

stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly"

# After a restart the composite exists again through the run that used it.
start_anasd --data-root "$tmp/data"
req GET "/api/v1/architectures/$best"
status_is 200 "after a restart, GET /api/v1/architectures/{hash} still knows the candidate"
jis .space "$composite" "... in its composite space"
req GET "/api/v1/runs/$c/export?format=csv"
ok "the CSV export has the recipe's columns" \
    sh -c 'head -n 1 "$1" | grep -q "train.lr" && head -n 1 "$1" | grep -q "train.batch_size"' \
    sh "$BODY_FILE"
stop_anasd
done_testing
