#!/bin/sh
# The lease protocol, driven with curl as a fake remote worker against an
# anasd that evaluates nothing itself (--workers 0) and lets a lease lapse
# after one second without a heartbeat: a lease hands out the evaluation's
# spec, configuration and hash; heartbeats keep it and bring a training's
# progress to the run page; a lapsed lease is handed out again at the head
# of the queue; of a late and a current result the first is accepted and
# the other answered 409, a duplicate too; a result whose hash is not the
# architecture's is refused; a released lease goes to the next worker; a
# canceled run answers its worker's heartbeat and result with 410; the
# workers are listed with what they did; a heartbeat takes back a lapsed
# lease that nobody else took. Tokens: a worker-scope token may lease and
# nothing else; read and submit tokens may not lease.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd --workers 0 --lease-timeout 1

OFFER1='{"worker": "w1", "host": "node-a", "threads": 2, "evaluators": ["analytic", "train"]}'
OFFER2='{"worker": "w2", "host": "node-b"}'

req POST /api/v1/leases "$OFFER1"
is "$STATUS" 204 "nothing to evaluate: 204"

req POST /api/v1/leases '{"host": "x"}'
problem_is 422 ANAS_ETYPE /worker "an offer names its worker"
req POST /api/v1/leases '{"worker": "w1", "evaluators": ["quantum"]}'
problem_is 422 ANAS_EINVAL /evaluators/0 "an unknown evaluator kind is named"
req POST /api/v1/leases '{"worker": "w1", "cores": 4}'
problem_is 422 ANAS_EUNKNOWN /cores "an unknown offer field is named"
req POST /api/v1/leases '{"worker": "w1", "threads": 0}'
problem_is 422 ANAS_ERANGE /threads "threads 0 is out of range"

# waiting N: until N evaluations wait for a worker (health.remote.waiting).
waiting() {
    _w_deadline=$(($(now) + $(scaled 10)))
    while req GET /api/v1/health && [ "$(jb .remote.waiting)" != "$1" ]; do
        [ "$(now)" -le "$_w_deadline" ] || return 1
        sleep 0.1
    done
}

# An analytic search of two, one at a time: the optimizer waits for each.
post_run '{"kind": "search", "space": "lenet", "evaluator": {"kind": "analytic"},
  "optimizer": {"kind": "random", "evaluations": 2, "batch": 1}, "seed": 11}'
status_is 201 "a search is accepted by an anasd without local workers"
run=$RUN_ID
waiting 1
is "$(jb .remote.waiting)" 1 "its first evaluation waits for a worker"

req POST /api/v1/leases "$OFFER2"
status_is 201 "a worker gets a lease: 201"
jok "the lease: id, run, seq 1, rep 0, hash, config, the run's spec, a timeout" \
    --argjson run "$run" \
    '(.id | type) == "number" and .run == $run and .seq == 1 and .rep == 0 and
     (.hash | test("^[0-9a-f]{16}$")) and (.config | type) == "object" and
     .spec.space.name == "lenet" and .spec.seed == 11 and .expires_in == 1 and
     .heartbeat_s > 0 and .keep_model == false'
is "$(header Location)" "/api/v1/leases/$(jb .id)" "Location names the lease"
A=$(jb .id)
HASH=$(jb .hash)
CONFIG=$(jb -c .config)

# The metrics a worker would post: the architecture's analytic ones.
req POST /api/v1/architectures '{"space": "lenet", "config": '"$CONFIG"'}'
is "$(jb .hash)" "$HASH" "the lease's hash is the architecture's"
METRICS=$(jb -c .metrics)
result() { # result HASH
    printf '{"hash": "%s", "state": "complete", "metrics": %s, "seconds": 0.01}' "$1" "$METRICS"
}

req POST "/api/v1/leases/$A/heartbeat" '{}'
status_is 200 "a heartbeat keeps the lease"
jok "... and says how long it now lasts, and not to stop" '.expires_in == 1 and .stop == false'
req GET /api/v1/workers
jok "the worker is listed with its host and current lease" --argjson a "$A" \
    '.items[] | select(.id == "w2") | .host == "node-b" and .lease.id == $a and
     .lease.seq == 1 and .evaluations == 0'

req POST "/api/v1/leases/$A/result" "$(result 0123456789abcdef)"
problem_is 422 ANAS_EINVAL /hash "a result for another architecture's hash is refused"
req POST "/api/v1/leases/$A/result" '{"hash": "'"$HASH"'", "state": "done", "seconds": 1}'
problem_is 422 ANAS_EINVAL /state "an unknown result state is named"

# w2 goes silent: its lease lapses and w1 gets the same evaluation.
sleep 2
req GET /api/v1/health
is "$(jb .remote.waiting) $(jb .remote.leased)" "1 0" "a lapsed lease puts its evaluation back"
req POST /api/v1/leases "$OFFER1"
status_is 201 "the evaluation is handed out again"
jok "... the same one, under a new lease" --argjson a "$A" '.seq == 1 and .id != $a'
B=$(jb .id)
req POST "/api/v1/leases/$A/heartbeat" '{}'
problem_is 410 ANAS_ESTATE '' "the lapsed lease's heartbeat: 410, its worker stops"

req POST "/api/v1/leases/$A/result" "$(result "$HASH")"
status_is 200 "a late result, first to arrive, is accepted"
jok "... for that evaluation" --argjson run "$run" '.accepted == true and .run == $run and .seq == 1'
req POST "/api/v1/leases/$B/result" "$(result "$HASH")"
problem_is 409 ANAS_ESTATE '' "the current lease's result, second, is answered 409"
req POST "/api/v1/leases/$A/result" "$(result "$HASH")"
problem_is 409 ANAS_ESTATE '' "a duplicate result is answered 409"
req POST "/api/v1/leases/$B/heartbeat" '{}'
problem_is 409 ANAS_ESTATE '' "a heartbeat for a settled evaluation: 409"

# The second evaluation: released by one worker, leased by the other.
waiting 1
req POST /api/v1/leases "$OFFER1"
status_is 201 "the second evaluation is leased"
C=$(jb .id)
SEQ=$(jb .seq)
req DELETE "/api/v1/leases/$C"
is "$STATUS" 204 "a worker releases its lease (shutting down): 204"
req POST /api/v1/leases "$OFFER2"
jok "the released evaluation goes to the next worker at once" --argjson s "$SEQ" '.seq == $s'
D=$(jb .id)
H2=$(jb .hash)
req POST "/api/v1/leases/$D/result" \
    '{"hash": "'"$H2"'", "state": "failed", "error": {"code": "ANAS_EINVAL", "detail": "boom"},
      "seconds": 0.5}'
status_is 200 "a failed evaluation is reported"
wait_run "$run" 20
jis .state succeeded "the search ends once both results are in"
jok "two evaluations, one complete and one failed" \
    '.progress.done == 2 and .summary.evaluations == 2 and .summary.failed == 1'
req GET "/api/v1/runs/$run/evaluations"
jok "the failed one keeps the worker's detail" \
    '.items | map(select(.state == "failed"))[0].error.detail == "boom"'
jok "the complete one has the posted metrics" --argjson m "$METRICS" \
    '.items | map(select(.state == "complete"))[0].metrics.params == $m.params'

req GET /api/v1/health
jok "health lists both workers and their evaluations" \
    '[.remote.workers[] | {id, evaluations}] | sort_by(.id) ==
     [{"id": "w1", "evaluations": 0}, {"id": "w2", "evaluations": 2}]'

req POST /api/v1/leases/99/heartbeat '{}'
problem_is 404 ANAS_ENOTFOUND '' "an unknown lease: 404"

# A training: progress comes with heartbeats; cancel while leased.
mkdir -p "$tmp/data"
post_run '{"kind": "train", "space": {"name": "mlp", "input": [1, 8, 8], "classes": 4},
  "dataset": {"name": "synthetic", "train_subset": 64, "test_subset": 32},
  "evaluator": {"kind": "train", "epochs": 1},
  "architecture": {"depth": 1, "width1": 32, "activation": 0}, "seed": 2}'
status_is 201 "a train run is accepted"
train=$RUN_ID
waiting 1
req POST /api/v1/leases '{"worker": "w3", "evaluators": ["analytic"]}'
is "$STATUS" 204 "a worker without the train evaluator gets no training"
req POST /api/v1/leases "$OFFER1"
jok "a train run's lease asks for the weights" '.keep_model == true and .spec.kind == "train"'
E=$(jb .id)
sleep 1.6 # the lease lapses; nobody else asks for it
req POST "/api/v1/leases/$E/heartbeat" \
    '{"progress": {"epoch": 1, "batches_done": 3, "batches_total": 8}}'
status_is 200 "a heartbeat takes a lapsed lease back when nobody else took it"
req GET "/api/v1/runs/$train"
jok "the run page shows the training, its worker and its batches" \
    '.progress.evaluating == [{"seq": 1, "hash": .progress.evaluating[0].hash, "epoch": 1,
                               "batches_done": 3, "batches_total": 8, "worker": "w1"}]'
req POST "/api/v1/leases/$E/result" \
    '{"hash": "'"$(jb '.progress.evaluating[0].hash')"'", "state": "complete",
      "metrics": {"acc@fp": 0.5}, "seconds": 1}'
problem_is 422 ANAS_EINVAL /model "a train run's result without the weights is refused"
req POST "/api/v1/runs/$train/cancel"
jis .state canceled "the run is canceled while its evaluation is leased"
req POST "/api/v1/leases/$E/heartbeat" '{}'
problem_is 410 ANAS_ESTATE '' "its worker's heartbeat: 410 Gone"
req POST "/api/v1/leases/$E/result" \
    '{"hash": "0123456789abcdef", "state": "complete", "metrics": {}, "seconds": 1}'
problem_is 410 ANAS_ESTATE '' "its result is dropped: 410"
req GET /api/v1/health
is "$(jb .remote.waiting) $(jb .remote.leased)" "0 0" "nothing of it waits or stays leased"
req GET "/api/v1/runs/$train/evaluations"
jis '.items | length' 0 "and nothing was stored for it"

# Scopes (token-file lines "TOKEN SCOPE..."): a worker token leases and
# does nothing else; a read/submit token cannot lease.
stop_anasd
printf 'wtok worker\nrtok read submit\n' >"$tmp/tokens"
start_anasd --workers 0 --token-file "$tmp/tokens"
AUTH_TOKEN=wtok req POST /api/v1/leases "$OFFER1"
is "$STATUS" 204 "a worker token may ask for a lease"
AUTH_TOKEN=wtok req GET /api/v1/runs
problem_is 403 ANAS_EDENIED '' "a worker token cannot read runs: 403"
AUTH_TOKEN=wtok req POST /api/v1/runs '{}'
problem_is 403 ANAS_EDENIED '' "a worker token cannot submit: 403"
AUTH_TOKEN=rtok req POST /api/v1/leases "$OFFER1"
problem_is 403 ANAS_EDENIED '' "a read/submit token cannot lease: 403"
AUTH_TOKEN=rtok req POST /api/v1/leases/1/result '{}'
problem_is 403 ANAS_EDENIED '' "nor post results: 403"
AUTH_TOKEN= req GET /api/v1/health
jok "health without a token counts workers but does not list them" \
    '.remote.n_workers >= 0 and (.remote | has("workers") | not)'
AUTH_TOKEN=rtok req GET /api/v1/health
jok "... a read token gets the list" '.remote.workers | type == "array"'
AUTH_TOKEN=rtok req GET /api/v1/workers
status_is 200 "a read token lists the workers"
AUTH_TOKEN=

done_testing
