#!/bin/sh
# Health, version, the OpenAPI contract, 404/405 problems, spaces and
# optimizers.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd

req GET /api/v1/health
status_is 200 "GET /api/v1/health answers 200"
like "$(header Content-Type)" '^application/json' "health is application/json"
jis .status ok "health status is ok"
jok "health has version, uptime_s, workers and run counts" \
    '(.version | type) == "string" and (.uptime_s | type) == "number" and .uptime_s >= 0
     and .workers == 2 and (.runs.queued | type) == "number"
     and (.runs.running | type) == "number"'
version=$(jb .version)
like "$version" '^[0-9]+\.[0-9]+\.[0-9]+' "version looks like x.y.z"
ok "anasd --version prints the same version" \
    sh -c '"$1" --version | grep -F -q -- "$2"' sh "$ANASD" "$version"

# The contract, served and identical to schema/openapi.json.
req GET /api/v1/openapi.json
status_is 200 "GET /api/v1/openapi.json answers 200"
jok "openapi.json is OpenAPI 3.0.x with the runs path" \
    '(.openapi | startswith("3.0")) and (.paths | has("/api/v1/runs"))
     and (.paths | has("/api/v1/runs/{id}/evaluations"))'
if [ -r "$ANAS_SRCDIR/schema/openapi.json" ]; then
    ok "served openapi.json equals schema/openapi.json" \
        sh -c 'test "$(jq -S . "$1")" = "$(jq -S . "$2")"' sh \
        "$BODY_FILE" "$ANAS_SRCDIR/schema/openapi.json"
else
    skip "schema/openapi.json not found under $ANAS_SRCDIR"
fi

# Every operation of the contract is routed, and answers one of its
# documented statuses (ids and hashes that do not exist, empty bodies).
cp "$BODY_FILE" "$tmp/openapi.json"
jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | "\(.) \($p)"' "$tmp/openapi.json" \
    >"$tmp/operations"
undocumented=
while read -r method path; do
    case $path in
    */events) continue ;; # streams that do not end by themselves: 98-events.sh
    esac
    concrete=$(printf '%s' "$path" | sed -e 's/{id}/999999/' -e 's/{name}/resnet/' \
        -e 's/{hash}/0123456789abcdef/')
    m=$(printf '%s' "$method" | tr '[:lower:]' '[:upper:]')
    case $m in
    POST) req "$m" "$concrete" '{}' ;;
    *) req "$m" "$concrete" ;;
    esac
    if ! jq -e --arg p "$path" --arg m "$method" --arg s "$STATUS" \
        '.paths[$p][$m].responses | has($s)' "$tmp/openapi.json" >/dev/null; then
        undocumented="$undocumented $m $concrete: $STATUS;"
    fi
done <"$tmp/operations"
is "$undocumented" "" "every operation in openapi.json answers a status it documents"

# Unknown paths and wrong methods.
req GET /api/v1/no-such-thing
problem_is 404 ANAS_ENOTFOUND '' "unknown path: 404 problem+json ANAS_ENOTFOUND"
jok "problem has a request_id" '(.request_id | type) == "string" and (.request_id | length) > 0'
req GET /nope/at/all
problem_is 404 ANAS_ENOTFOUND '' "unknown path outside /api: 404"
req DELETE /api/v1/health
problem_is 405 ANAS_EMETHOD '' "DELETE /api/v1/health: 405 ANAS_EMETHOD"
like "$(header Allow)" '(^|[ ,])GET([ ,]|$)' "405 carries Allow: GET"
req PUT /api/v1/runs '{}'
problem_is 405 ANAS_EMETHOD '' "PUT /api/v1/runs: 405"
allow=$(header Allow)
ok "Allow lists GET and POST for /api/v1/runs" \
    sh -c 'echo "$1" | grep -qw GET && echo "$1" | grep -qw POST' sh "$allow"

# Spaces.
req GET /api/v1/spaces
status_is 200 "GET /api/v1/spaces answers 200"
jok "resnet is listed with size 773094113280 and 22 hyperparameters" \
    '.items | map(select(.name == "resnet")) | length == 1 and
     .[0].size == 773094113280 and .[0].n_hyperparameters == 22 and
     (.[0].description | type) == "string"'

req GET /api/v1/spaces/resnet
status_is 200 "GET /api/v1/spaces/resnet answers 200"
jis '[.hyperparameters[].name] | join(" ")' "$RESNET_HPS" \
    "resnet has the 22 hyperparameters in AnalogNAS order"
jis .size 773094113280 "resnet size is 773094113280"
jis '.default_input | map(tostring) | join(",")' 3,32,32 "resnet default input is 3x32x32"
jis .default_classes 10 "resnet default classes is 10"
jok "out_channel0 is a choice of 8, 12, 16, 32, 48, 64" \
    '.hyperparameters[0] | .type == "choice" and .choices == [8, 12, 16, 32, 48, 64]'
jok "M is an int in 1..4" \
    '.hyperparameters[1] | .type == "int" and .min == 1 and .max == 4'
jok "R1 is 1..15 and R2..R5 are 0..15" \
    '(.hyperparameters[2] | .type == "int" and .min == 1 and .max == 15) and
     ([.hyperparameters[3:7][] | .type == "int" and .min == 0 and .max == 15] | all)'
jok "convblock choices 1,2; widenfact float [0.5, 0.8); B int 1..4" \
    '[.hyperparameters[7:] | _nwise(3)] | map(
        (.[0] | .type == "choice" and .choices == [1, 2]) and
        (.[1] | .type == "float" and .min == 0.5 and .max == 0.8) and
        (.[2] | .type == "int" and .min == 1 and .max == 4)) | all'
jok "every hyperparameter has a help text" '[.hyperparameters[].help | type == "string"] | all'

req GET /api/v1/spaces/no-such-space
problem_is 404 ANAS_ENOTFOUND '' "unknown space: 404"

# Optimizers.
req GET /api/v1/optimizers
status_is 200 "GET /api/v1/optimizers answers 200"
jok "random and ea-analognas are listed" \
    '[.items[].name] | index("random") != null and index("ea-analognas") != null'
jok "every optimizer has help and typed parameters with bounds and defaults" \
    '[.items[] | (.help | type) == "string" and
       ([.parameters[] | (.name | type) == "string" and (.help | type) == "string" and
          (.type == "integer" or .type == "number") and
          (.min | type) == "number" and (.max | type) == "number" and
          (.default == null or (.default | type) == "number")] | all)] | all'
jok "ea-analognas has population_size (default 50) and iterations" \
    '.items[] | select(.name == "ea-analognas") | [.parameters[].name] as $n |
     ($n | index("population_size")) != null and ($n | index("iterations")) != null and
     (.parameters[] | select(.name == "population_size") | .default == 50)'
jok "random takes an evaluations budget" \
    '.items[] | select(.name == "random") | [.parameters[].name] | index("evaluations") != null'

req GET /api/v1/health
status_is 200 "still healthy"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
done_testing
