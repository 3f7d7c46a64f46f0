#!/bin/sh
# The train evaluator end to end: a `train` run that trains one network and
# stores its weights (GET .../model, a .safetensors file), a search whose
# every candidate is trained, the training-spec errors, and, when Debian's
# Fashion-MNIST is installed, a short real training run on it.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

FMNIST=/usr/share/datasets/fashion-mnist
# Under valgrind training is some fifty times slower: the same checks run on
# less data, and only the accuracy thresholds (which need the data) are
# left out.
if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=48 NTEST=32 EPOCHS=1 MIN_ACC=-1 NSEARCH=32
else
    NTRAIN=512 NTEST=256 EPOCHS=3 MIN_ACC=0.6 NSEARCH=256
fi
SYNTH='{"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'}'
mkdir -p "$tmp/data"
if [ -d "$FMNIST" ]; then
    start_anasd --data-root "$tmp/data" --data-root "$FMNIST"
else
    start_anasd --data-root "$tmp/data"
fi

# A small resnet (one group, one block, two branches) on 1x16x16 blobs.
ARCH='{"out_channel0": 8, "M": 1, "R1": 1, "convblock1": 1, "widenfact1": 0.7, "B1": 2}'
TRAIN='{"kind": "train", "epochs": '$EPOCHS', "batch_size": 32,
        "optimizer": {"kind": "adam", "lr": 0.003}, "schedule": "constant"}'

post_run '{"kind": "train", "name": "one-net",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": '"$SYNTH"',
 "evaluator": '"$TRAIN"', "architecture": '"$ARCH"', "seed": 4}'
status_is 201 "a train run is accepted"
id=$RUN_ID
wait_run "$id" 240
jis .state succeeded "the train run succeeded"
jok "acc@fp, losses and the training time are reported; the blobs are learnt (acc > $MIN_ACC)" \
    --argjson min "$MIN_ACC" '.best.metrics["acc@fp"] > $min and .best.metrics.train_loss >= 0 and
     .best.metrics.test_loss >= 0 and .best.metrics.train_s > 0 and
     .best.metrics.params > 0'
jok "the stored spec carries the whole recipe" \
    '.spec.evaluator.optimizer.kind == "adam" and .spec.evaluator.epochs == '"$EPOCHS"' and
     .spec.dataset.name == "synthetic" and .spec.kind == "train"'
req GET "/api/v1/runs/$id/model"
status_is 200 "GET .../model answers 200"
like "$(header Content-Disposition)" 'run-[0-9]+\.safetensors' "the model is a .safetensors attachment"
# safetensors: 8-byte little-endian header length, then the JSON header.
hlen=$(od -A n -t u8 -N 8 "$BODY_FILE" | tr -d ' ')
dd if="$BODY_FILE" of="$tmp/st.json" bs=1 skip=8 count="$hlen" 2>/dev/null
ok "the header names PyTorch's state_dict tensors with their shapes" \
    jq -e '.["blocks.Conv_0.weight"].dtype == "F32" and
           (.["blocks.Conv_0.weight"].shape == [8, 1, 7, 7]) and
           (.["fc.weight"].shape | length) == 2' "$tmp/st.json"
size=$(wc -c <"$BODY_FILE")
end=$(jq '[to_entries[] | select(.key != "__metadata__") | .value.data_offsets[1]] | max' "$tmp/st.json")
is "$size" "$((8 + hlen + end))" "the file holds exactly the header and the tensors"

# Same recipe, same seed: the identical evaluation is answered from the store.
post_run '{"kind": "evaluate",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": '"$SYNTH"',
 "evaluator": '"$TRAIN"', "architecture": '"$ARCH"', "seed": 4}'
id2=$RUN_ID
wait_run "$id2" 120
req GET "/api/v1/runs/$id2/evaluations"
jok "an identical training is reused (cached) with identical metrics" \
    '.items[0].cached == true'
acc2=$(jb '.items[0].metrics["acc@fp"]')
req GET "/api/v1/runs/$id/evaluations"
is "$(jb '.items[0].metrics["acc@fp"]')" "$acc2" "... the same acc@fp"

# A second identical train run trains again (it exists for its weights)
# and, with the same seed, learns exactly the same network.
post_run '{"kind": "train",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": '"$SYNTH"',
 "evaluator": '"$TRAIN"', "architecture": '"$ARCH"', "seed": 4}'
id4=$RUN_ID
wait_run "$id4" 240
req GET "/api/v1/runs/$id4/evaluations"
jok "a repeated train run is trained, not answered from the store" '.items[0].cached == false'
is "$(jb '.items[0].metrics["acc@fp"]')" "$acc2" "... and reaches the same acc@fp (deterministic)"
req GET "/api/v1/runs/$id4/model"
status_is 200 "... and has its model"

# Values at the edge of their range survive the stored spec being read back.
post_run '{"kind": "train",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 64, "test_subset": 32},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 32,
               "optimizer": {"kind": "sgd", "lr": 1e-8, "momentum": 0.999}},
 "architecture": '"$ARCH"', "seed": 4}'
wait_run "$RUN_ID" 120
jok "momentum 0.999 and lr 1e-8 (range edges) run to success" \
    '.state == "succeeded" and .spec.evaluator.optimizer.momentum == 0.999'

# A search whose candidates are all trained.
post_run '{"kind": "search",
 "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": '$NSEARCH', "test_subset": 32},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 64},
 "optimizer": {"kind": "random", "evaluations": 3, "batch": 3},
 "constraints": [{"metric": "params", "max": 300000}],
 "seed": 9}'
status_is 201 "a search with the train evaluator is accepted"
id3=$RUN_ID
jok "its default objective is acc@fp" '.spec.objectives[0].metric == "acc@fp"'
wait_run "$id3" 600
jis .state succeeded "the search succeeded"
req GET "/api/v1/runs/$id3/evaluations"
jok "three evaluations, each trained or rejected by the params constraint" \
    '(.items | length) == 3 and
     all(.items[]; (.state == "complete" and (.metrics["acc@fp"] | type) == "number")
                   or .state == "invalid")'
req GET "/api/v1/runs/$id/model"
req GET "/api/v1/runs/$id3/model"
problem_is 404 ANAS_ENOTFOUND '' "a search has no model: 404"

# Errors of the training spec, each naming its field.
bad() {
    req POST /api/v1/runs "$1"
    problem_is 422 "$2" "$3" "$4"
}
BASE='"space": {"name": "resnet", "input": [1, 16, 16], "classes": 4}, "architecture": '"$ARCH"
bad '{"kind": "train", '"$BASE"', "evaluator": {"kind": "train"}}' ANAS_EINVAL /dataset \
    "the train evaluator needs a dataset"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "analytic"}}' ANAS_EINVAL /evaluator/kind \
    "a train run needs the train evaluator"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "train", "epochs": 0}}' ANAS_ERANGE /evaluator/epochs \
    "epochs 0 is out of range"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "train", "optimizer": {"kind": "rmsprop"}}}' ANAS_EINVAL \
    /evaluator/optimizer/kind "an unknown training optimizer is named"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "train", "optimizer": {"lr": -1}}}' ANAS_ERANGE \
    /evaluator/optimizer/lr "a negative learning rate is out of range"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "train", "schedule": "sometimes"}}' ANAS_EINVAL \
    /evaluator/schedule "an unknown schedule is named"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "imagenet", "path": "/x"},
      "evaluator": {"kind": "train"}}' "ANAS_ENOTFOUND" /dataset/name "an unknown dataset"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "mnist", "path": "/etc"},
      "evaluator": {"kind": "train"}}' ANAS_EDENIED /dataset/path \
    "a dataset outside the data roots is denied"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "mnist", "path": "'"$tmp"'/data/nope"},
      "evaluator": {"kind": "train"}}' ANAS_ENOTFOUND /dataset/path \
    "a missing dataset directory inside a root is not found"
bad '{"kind": "train", '"$BASE"', "dataset": {"name": "synthetic"},
      "evaluator": {"kind": "train", "learning": 1}}' ANAS_EUNKNOWN /evaluator/learning \
    "an unknown training field is named"

# Real data: a short run on Debian's Fashion-MNIST, when installed.
if [ -d "$FMNIST" ] && [ -z "$ANASD_WRAPPER" ]; then
    post_run '{"kind": "train", "space": "resnet",
     "dataset": {"name": "fashion-mnist", "path": "'"$FMNIST"'",
                 "train_subset": 2000, "test_subset": 500},
     "evaluator": {"kind": "train", "epochs": 1, "batch_size": 64,
                   "optimizer": {"kind": "adam", "lr": 0.002}},
     "architecture": '"$ARCH"', "seed": 1}'
    status_is 201 "a Fashion-MNIST train run is accepted"
    jok "the input shape comes from the dataset (1x28x28, 10 classes)" \
        '.spec.space.input == [1, 28, 28] and .spec.space.classes == 10'
    wait_run "$RUN_ID" 600
    jok "it learns (acc@fp > 0.5 after one epoch on 2000 images)" \
        '.state == "succeeded" and .best.metrics["acc@fp"] > 0.5'
else
    for _ in 1 2 3; do skip "Fashion-MNIST not installed ($FMNIST), or under valgrind"; done
fi

stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly"
done_testing
