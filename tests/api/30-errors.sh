#!/bin/sh
# Every error of doc/api.md: status, application/problem+json, code and the
# JSON pointer of the offending field. Rejected requests store nothing, and
# the daemon keeps answering.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir "$tmp/models" "$tmp/elsewhere"
: >"$tmp/models/present.bst"
# 16 bytes claiming a UBJSON key of 25.7 GB: XGBoost would allocate that
printf '{L\000\000\000\006\000\000\000\000abcdef' >"$tmp/models/hostile.bst"
: >"$tmp/elsewhere/outside.bst"
ln -s "$tmp/elsewhere/outside.bst" "$tmp/models/link.bst"

start_anasd --model-root "$tmp/models"

BASE='{"kind": "search", "name": "errors",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "optimizer": {"kind": "random", "evaluations": 20},
 "objectives": [{"metric": "params", "goal": "min"}],
 "constraints": [{"metric": "params", "max": 500000}],
 "runs": 1, "seed": 1}'
SURR='{"kind": "search",
 "space": {"name": "resnet"},
 "evaluator": {"kind": "surrogate", "models": {"acc@1d": "/x"}},
 "optimizer": {"kind": "random", "evaluations": 20},
 "objectives": [{"metric": "acc@1d", "goal": "max"}],
 "seed": 1}'

# spec_of BASE FILTER: BASE changed by a jq filter ($tb: the tutorial's best
# architecture, $tmp: the temporary folder).
spec_of() {
    printf '%s' "$1" | jq -c --argjson tb "$TUTORIAL_BEST" --arg tmp "$tmp" "$2"
}

# bad STATUS CODE FIELD DESC METHOD PATH BODY
bad() {
    if [ $# -ge 7 ]; then
        req "$5" "$6" "$7"
    else
        req "$5" "$6"
    fi
    problem_is "$1" "$2" "$3" "$4"
}

# bad_run STATUS CODE FIELD DESC FILTER: POST /api/v1/runs with BASE changed.
bad_run() {
    bad "$1" "$2" "$3" "$4" POST /api/v1/runs "$(spec_of "$BASE" "$5")"
}

bad_surr() {
    bad "$1" "$2" "$3" "$4" POST /api/v1/runs "$(spec_of "$SURR" "$5")"
}

req GET /api/v1/runs
status_is 200 "GET /api/v1/runs answers 200"
runs_before=$(jb '[.items[].id] | join(",")')
is "$runs_before" "" "a fresh database has no runs"

# --- bodies that are not JSON objects (400) ---
bad 400 ANAS_EFORMAT - "malformed JSON is 400 ANAS_EFORMAT" POST /api/v1/runs '{"kind": '
bad 400 ANAS_EFORMAT - "a JSON array body is 400" POST /api/v1/runs '[1, 2]'
bad 400 ANAS_EFORMAT - "a JSON string body is 400" POST /api/v1/runs '"search"'
bad 400 ANAS_EFORMAT - "a JSON null body is 400" POST /api/v1/runs 'null'
bad 400 ANAS_EFORMAT - "an empty body is 400" POST /api/v1/runs ''
bad 400 ANAS_EFORMAT - "trailing garbage is 400" POST /api/v1/runs '{"kind": "search"} x'
bad 400 ANAS_EFORMAT - "malformed JSON to /architectures is 400" POST /api/v1/architectures '{'
bad 400 ANAS_EFORMAT - "malformed JSON to /sample is 400" POST /api/v1/spaces/resnet/sample '{'
deep=$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "["; for (i = 0; i < 5000; i++) printf "]" }')
req POST /api/v1/runs "{\"name\": $deep}"
like "$STATUS" '^4[0-9][0-9]$' "5000-deep nesting is a 4xx, not a crash"

# --- wrong types (422 ANAS_ETYPE) ---
bad_run 422 ANAS_ETYPE /runs '"runs": "five" is ETYPE at /runs' '.runs = "five"'
bad_run 422 ANAS_ETYPE /kind '"kind": 5 is ETYPE at /kind' '.kind = 5'
bad_run 422 ANAS_ETYPE /name '"name": 5 is ETYPE at /name' '.name = 5'
bad_run 422 ANAS_ETYPE /space '"space": 5 is ETYPE at /space' '.space = 5'
bad_run 422 ANAS_ETYPE /seed '"seed": "x" is ETYPE at /seed' '.seed = "x"'
bad_run 422 ANAS_ETYPE /optimizer/evaluations '"evaluations": "many" is ETYPE' \
    '.optimizer.evaluations = "many"'
bad_run 422 ANAS_ETYPE /objectives '"objectives": {} is ETYPE' '.objectives = {}'
bad_run 422 ANAS_ETYPE /constraints/0/max 'a constraint bound "big" is ETYPE' \
    '.constraints[0].max = "big"'

# --- unknown fields (422 ANAS_EUNKNOWN, field names them) ---
bad_run 422 ANAS_EUNKNOWN /colour 'an unknown top-level field is named' '.colour = "blue"'
bad_run 422 ANAS_EUNKNOWN /space/flavour 'an unknown field in space is named' '.space.flavour = 1'
bad_run 422 ANAS_EUNKNOWN /evaluator/colour 'an unknown field in evaluator is named' \
    '.evaluator.colour = 1'
bad_run 422 ANAS_EUNKNOWN /optimizer/colour 'an unknown optimizer parameter is named' \
    '.optimizer.colour = 1'
bad_run 422 ANAS_EUNKNOWN /objectives/0/weight 'an unknown field in an objective is named' \
    '.objectives[0].weight = 1'
bad_run 422 ANAS_EUNKNOWN /constraints/0/soft 'an unknown field in a constraint is named' \
    '.constraints[0].soft = true'
bad_run 422 ANAS_EUNKNOWN /a~1b~0c 'an unknown field "a/b~c" is escaped as /a~1b~0c' \
    '.["a/b~c"] = 1'

# --- unknown names (422, ANAS_EUNKNOWN or ANAS_ENOTFOUND) ---
U='ANAS_EUNKNOWN|ANAS_ENOTFOUND'
bad_run 422 "$U" /space/name 'an unknown space' '.space.name = "nope"'
bad_run 422 "$U" /optimizer/kind 'an unknown optimizer' '.optimizer.kind = "annealing"'
bad_run 422 "$U" /evaluator/kind 'an unknown evaluator kind' '.evaluator.kind = "oracle"'
bad_run 422 "$U" /objectives/0/metric 'an unknown objective metric' \
    '.objectives[0].metric = "beauty"'
bad_run 422 "$U" /constraints/0/metric 'an unknown constraint metric' \
    '.constraints[0].metric = "beauty"'
bad_run 422 - /kind 'an unknown run kind' '.kind = "bake"'

# --- values out of range or inconsistent (422) ---
bad_run 422 ANAS_ERANGE /runs '"runs": 0 is ERANGE' '.runs = 0'
bad_run 422 ANAS_ERANGE /runs '"runs": 101 is ERANGE' '.runs = 101'
bad_run 422 ANAS_ERANGE /seed '"seed": -1 is ERANGE' '.seed = -1'
bad_run 422 ANAS_ERANGE /name 'a 128-byte name is ERANGE' '.name = ("x" * 128)'
bad_run 422 ANAS_ERANGE /optimizer/population_size 'ea-analognas population_size 10 is ERANGE' \
    '.optimizer = {"kind": "ea-analognas", "population_size": 10, "iterations": 10}'
bad_run 422 ANAS_ERANGE /optimizer/evaluations '"evaluations": -1 is ERANGE' \
    '.optimizer.evaluations = -1'
bad_run 422 ANAS_ERANGE /budget/evaluations '"budget": {"evaluations": 0} is ERANGE' \
    '.budget = {"evaluations": 0}'
bad_run 422 ANAS_ERANGE /space/input 'an input too small for the network is ERANGE' \
    '.space.input = [3, 5, 5]'
bad_run 422 ANAS_ERANGE /space/classes '"classes": 0 is ERANGE' '.space.classes = 0'
bad_run 422 - /space/input 'an input of two numbers' '.space.input = [3, 32]'
bad_run 422 ANAS_ERANGE /evaluator/mapping/max_input_size 'a tile of 8 rows is ERANGE' \
    '.evaluator.mapping = {"max_input_size": 8, "max_output_size": 512}'
bad_run 422 ANAS_ERANGE /objectives 'no objectives is ERANGE' '.objectives = []'
bad_run 422 ANAS_ERANGE /objectives 'five objectives is ERANGE' \
    '.objectives = [range(5) | {"metric": "params", "goal": "min"}]'
bad_run 422 ANAS_ERANGE /constraints 'nine constraints is ERANGE' \
    '.constraints = [range(9) | {"metric": "params", "max": 1000000}]'
bad_run 422 - /objectives/0/goal 'goal "up"' '.objectives[0].goal = "up"'
bad_run 422 - /constraints/0 'a constraint without bounds' '.constraints = [{"metric": "params"}]'
bad_run 422 - /objectives/0/metric 'an objective the analytic evaluator cannot produce' \
    '.objectives[0].metric = "acc@1d"'
bad_run 422 - /optimizer 'a search without an optimizer' 'del(.optimizer)'
bad_run 422 - /architecture 'a search with an architecture' '.architecture = $tb'
bad_run 422 - /evaluator/models 'models on the analytic evaluator' \
    '.evaluator.models = {"acc@1d": ($tmp + "/models/present.bst")}'

# evaluate runs: the architecture is checked like POST /api/v1/architectures.
bad_run 422 ANAS_ERANGE /architecture/M 'evaluate: "M": 7 is ERANGE at /architecture/M' \
    '.kind = "evaluate" | del(.optimizer) | .architecture = ($tb | .M = 7)'
bad_run 422 ANAS_EUNKNOWN /architecture/colour 'evaluate: an unknown hyperparameter is named' \
    '.kind = "evaluate" | del(.optimizer) | .architecture = ($tb | .colour = 1)'
bad_run 422 - /architecture 'evaluate without an architecture' '.kind = "evaluate" | del(.optimizer)'
bad_run 422 - /optimizer 'evaluate with an optimizer' '.kind = "evaluate" | .architecture = $tb'

# --- surrogate model paths (--model-root) ---
bad_surr 422 ANAS_EDENIED /evaluator/models/acc@1d 'a model outside the roots is EDENIED' \
    '.evaluator.models["acc@1d"] = ($tmp + "/elsewhere/outside.bst")'
bad_surr 422 ANAS_EDENIED /evaluator/models/acc@1d 'a ".." escape from the root is EDENIED' \
    '.evaluator.models["acc@1d"] = ($tmp + "/models/../elsewhere/outside.bst")'
bad_surr 422 ANAS_EDENIED /evaluator/models/acc@1d 'a symlink leaving the root is EDENIED' \
    '.evaluator.models["acc@1d"] = ($tmp + "/models/link.bst")'
bad_surr 422 ANAS_EDENIED /evaluator/models/acc@1d 'a relative model path is EDENIED' \
    '.evaluator.models["acc@1d"] = "models/present.bst"'
bad_surr 422 ANAS_EDENIED /evaluator/models/acc@1d '/etc/passwd is EDENIED' \
    '.evaluator.models["acc@1d"] = "/etc/passwd"'
bad_surr 422 ANAS_ENOTFOUND /evaluator/models/acc@1d 'a missing model inside a root is ENOTFOUND' \
    '.evaluator.models["acc@1d"] = ($tmp + "/models/missing.bst")'
bad_surr 422 ANAS_EINVAL /evaluator/models/acc@1d 'a model declaring 25.7 GB in 16 bytes is refused' \
    '.evaluator.models["acc@1d"] = ($tmp + "/models/hostile.bst")'
bad_surr 422 - /evaluator/models/acc@1y 'a model for a malformed metric name is named' \
    '.evaluator.models = {"acc@1y": ($tmp + "/models/present.bst")}'
bad_surr 422 - /evaluator/models/acc~11d 'a metric "acc/1d" is escaped as acc~11d' \
    '.evaluator.models = {"acc/1d": ($tmp + "/models/present.bst")}'
bad_surr 422 ANAS_ETYPE /evaluator/models/acc@1d 'a model path that is a number is ETYPE' \
    '.evaluator.models["acc@1d"] = 5'
bad_surr 422 - /evaluator/models 'a surrogate evaluator without models' 'del(.evaluator.models)'
bad_surr 422 - /evaluator/models 'a surrogate evaluator with no model' '.evaluator.models = {}'

# --- POST /api/v1/architectures ---
arch() {
    printf '{"space": "resnet", "config": %s}' "$(printf '%s' "$TUTORIAL_BEST" | jq -c "$1")"
}
bad 422 ANAS_ERANGE /config/M '"M": 7 is ERANGE at /config/M' POST /api/v1/architectures "$(arch '.M = 7')"
bad 422 ANAS_ERANGE /config/widenfact1 'widenfact1 0.9 is ERANGE' \
    POST /api/v1/architectures "$(arch '.widenfact1 = 0.9')"
bad 422 ANAS_ERANGE /config/B2 'B2 5 is ERANGE' POST /api/v1/architectures "$(arch '.B2 = 5')"
bad 422 ANAS_ERANGE /config/R1 'R1 0 is ERANGE' POST /api/v1/architectures "$(arch '.R1 = 0')"
bad 422 - /config/out_channel0 'out_channel0 10 is not a choice' \
    POST /api/v1/architectures "$(arch '.out_channel0 = 10')"
bad 422 ANAS_ETYPE /config/M '"M": "four" is ETYPE' POST /api/v1/architectures "$(arch '.M = "four"')"
bad 422 - /config/M 'a config without M' POST /api/v1/architectures "$(arch 'del(.M)')"
bad 422 ANAS_EUNKNOWN /config/colour 'an unknown hyperparameter is named' \
    POST /api/v1/architectures "$(arch '.colour = 1')"
bad 422 "$U" /space 'an unknown space' POST /api/v1/architectures \
    "{\"space\": \"nope\", \"config\": $TUTORIAL_BEST}"
bad 422 ANAS_ERANGE /input 'an input too small' POST /api/v1/architectures \
    "{\"space\": \"resnet\", \"input\": [3, 5, 5], \"config\": $TUTORIAL_BEST}"
bad 422 ANAS_EUNKNOWN /extra 'an unknown field' POST /api/v1/architectures \
    "{\"space\": \"resnet\", \"extra\": 1, \"config\": $TUTORIAL_BEST}"

# --- POST /api/v1/spaces/{name}/sample ---
bad 422 ANAS_ERANGE /n '"n": 0 is ERANGE' POST /api/v1/spaces/resnet/sample '{"n": 0}'
bad 422 ANAS_ERANGE /n '"n": 1001 is ERANGE' POST /api/v1/spaces/resnet/sample '{"n": 1001}'
bad 422 ANAS_ETYPE /n '"n": "x" is ETYPE' POST /api/v1/spaces/resnet/sample '{"n": "x"}'
bad 422 ANAS_EUNKNOWN /colour 'an unknown field' POST /api/v1/spaces/resnet/sample '{"colour": 1}'
bad 404 ANAS_ENOTFOUND '' 'sampling an unknown space is 404' POST /api/v1/spaces/nope/sample '{}'

# --- transport-level errors ---
REQ_CT=application/xml
bad 415 ANAS_EMEDIA '' 'a body sent as application/xml is 415' POST /api/v1/runs "$BASE"
REQ_CT=
big=$tmp/big.json
awk 'BEGIN { printf "{\"name\": \""; for (i = 0; i < 1100000; i++) printf "x"; printf "\"}" }' >"$big"
bad 413 ANAS_ETOOBIG '' 'a body over 1 MiB is 413 ANAS_ETOOBIG' POST /api/v1/runs "@$big"
long=$(awk 'BEGIN { for (i = 0; i < 20000; i++) printf "a" }')
bad 414 ANAS_ELIMIT '' 'a 20000-byte URL is 414 ANAS_ELIMIT' GET "/api/v1/runs?x=$long"
# A connection's memory (conn_memory() in daemon/http.c) holds a URL just over
# the limit with 8 KB of headers: that is still our 414, not libmicrohttpd's 431.
cookie=$(awk 'BEGIN { for (i = 0; i < 8000; i++) printf "c" }')
code=$(curl -s -g -H "Cookie: $cookie" -o "$tmp/cookie.body" -w '%{http_code}' \
    "$URL/api/v1/runs?x=$(printf '%s' "$long" | cut -c1-8300)" || true)
is "$code $(jq -r .code "$tmp/cookie.body" 2>/dev/null)" "414 ANAS_ELIMIT" \
    'a URL over the limit with 8 KB of headers is 414 ANAS_ELIMIT'
bad 414 ANAS_ELIMIT '' 'a 17th query parameter is 414, not ignored' \
    GET "/api/v1/runs?$(seq -s '&' 1 16 | sed 's/[0-9]*/p&=1/g')&limit=0"

# --- query parameters ---
bad 422 ANAS_ERANGE '?limit' 'limit=0 is ERANGE at ?limit' GET '/api/v1/runs?limit=0'
bad 422 ANAS_ERANGE '?limit' 'limit=1001 is ERANGE at ?limit' GET '/api/v1/runs?limit=1001'
bad 422 - '?limit' 'limit=abc is named' GET '/api/v1/runs?limit=abc'
bad 422 - '?state' 'state=bogus is named' GET '/api/v1/runs?state=bogus'

# --- unknown resources and methods ---
bad 404 ANAS_ENOTFOUND '' 'an unknown run is 404' GET /api/v1/runs/999999
bad 404 ANAS_ENOTFOUND '' 'run id 0 is 404' GET /api/v1/runs/0
bad 404 ANAS_ENOTFOUND '' 'run id abc is 404' GET /api/v1/runs/abc
bad 404 ANAS_ENOTFOUND '' 'cancel of an unknown run is 404' POST /api/v1/runs/999999/cancel ''
bad 404 ANAS_ENOTFOUND '' 'delete of an unknown run is 404' DELETE /api/v1/runs/999999
bad 404 ANAS_ENOTFOUND '' 'evaluations of an unknown run are 404' GET /api/v1/runs/999999/evaluations
bad 404 ANAS_ENOTFOUND '' 'best of an unknown run is 404' GET /api/v1/runs/999999/best
bad 404 ANAS_ENOTFOUND '' 'export of an unknown run is 404' GET '/api/v1/runs/999999/export?format=csv'
bad 404 ANAS_ENOTFOUND '' 'an unknown architecture is 404' GET /api/v1/architectures/ffffffffffffffff
bad 405 ANAS_EMETHOD '' 'PUT on a run is 405' PUT /api/v1/runs/1 '{}'
ok "... with Allow: GET, DELETE" \
    sh -c 'echo "$1" | grep -qw GET && echo "$1" | grep -qw DELETE' sh "$(header Allow)"
bad 405 ANAS_EMETHOD '' 'GET on cancel is 405' GET /api/v1/runs/1/cancel
like "$(header Allow)" '^POST$' "... with Allow: POST"
bad 405 ANAS_EMETHOD '' 'DELETE /api/v1/architectures is 405' DELETE /api/v1/architectures
like "$(header Allow)" 'POST' "... with Allow: POST"

# Nothing above stored a run, and the daemon is fine.
req GET /api/v1/health
status_is 200 "health still answers after all the rejected requests"
req GET /api/v1/runs
jis '[.items[].id] | join(",")' "$runs_before" "rejected requests stored no run"

# --- state conflicts (409) ---
post_run "$(spec_of "$BASE" '.kind = "evaluate" | del(.optimizer) | .constraints = [] |
    .architecture = $tb')"
status_is 201 "an evaluate run is accepted"
done_id=$RUN_ID
wait_run "$done_id" 60 || true
jis .state succeeded "the evaluate run succeeds"
bad 409 ANAS_ESTATE '' 'cancel of a succeeded run is 409 ANAS_ESTATE' \
    POST "/api/v1/runs/$done_id/cancel" ''
bad 422 - '?format' 'export format=xml is named' GET "/api/v1/runs/$done_id/export?format=xml"
bad 422 ANAS_ERANGE '?limit' 'evaluations limit=0 is ERANGE' \
    GET "/api/v1/runs/$done_id/evaluations?limit=0"
bad 422 ANAS_ERANGE '?limit' 'evaluations limit=10001 is ERANGE' \
    GET "/api/v1/runs/$done_id/evaluations?limit=10001"
bad 422 - '?sort' 'evaluations sort by an unknown metric is named' \
    GET "/api/v1/runs/$done_id/evaluations?sort=beauty"

post_run "$(spec_of "$BASE" '.optimizer.evaluations = 200000 | .constraints = []')"
status_is 201 "a long search is accepted"
long_id=$RUN_ID
bad 409 ANAS_ESTATE '' 'delete of a queued or running run is 409 ANAS_ESTATE' \
    DELETE "/api/v1/runs/$long_id"
req POST "/api/v1/runs/$long_id/cancel" ''
status_is 200 "cancel of the long run answers 200"
jis .state canceled "... with the run canceled"
bad 409 ANAS_ESTATE '' 'cancel of a canceled run is 409' POST "/api/v1/runs/$long_id/cancel" ''
req DELETE "/api/v1/runs/$long_id"
status_is 204 "a canceled run can be deleted"
req GET /api/v1/runs
jis '[.items[].id] | join(",")' "$done_id" "the runs list holds only the evaluate run"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"

# --- too many queued runs (429) ---
ANASD_DB=$tmp/queue.db
start_anasd --max-runs 1 --max-queued 2
accepted=0
got429=
for _ in 1 2 3 4 5 6; do
    post_run "$(spec_of "$BASE" '.optimizer.evaluations = 200000 | .constraints = []')"
    if [ "$STATUS" = 201 ]; then
        accepted=$((accepted + 1))
    else
        got429=1
        break
    fi
done
problem_is 429 ANAS_ELIMIT '' "with --max-runs 1 --max-queued 2, a further run is 429 ANAS_ELIMIT"
is "$(header Retry-After)" 30 "... with Retry-After: 30"
ok "... after 2 to 3 accepted runs (got $accepted)" \
    sh -c '[ "$1" -ge 2 ] && [ "$1" -le 3 ]' sh "$accepted"
req GET '/api/v1/runs?limit=1000'
for id in $(jb '.items[].id'); do
    req POST "/api/v1/runs/$id/cancel" ''
done
req GET /api/v1/health
jis '.runs.queued + .runs.running' 0 "after cancelling, nothing is queued or running"
[ -n "$got429" ] || diag "no 429 after $accepted runs"
done_testing
