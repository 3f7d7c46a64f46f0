#!/bin/sh
# GET /api/v1/optimizers: every optimizer with its help and parameters, and
# bounds that are what validation accepts: just outside each bound is a 422
# naming the parameter; a non-integer for an integer parameter too.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

start_anasd
req GET /api/v1/optimizers
status_is 200 "GET /api/v1/optimizers answers"
cp "$BODY_FILE" "$tmp/opts.json"
jok "random, grid, ea-analognas, ea, regularized-evolution, nsga2, each with help and typed parameters" \
    '(["ea", "ea-analognas", "grid", "nsga2", "random", "regularized-evolution"] -
      [.items[].name]) == [] and
     all(.items[]; (.help | length) > 20 and all(.parameters[];
         (.name | type) == "string" and (.help | length) > 5 and
         (.type == "integer" or .type == "number") and .min <= .max))'

# One 422 per parameter and side, at /optimizer/<name>.
jq -c '.items[] | .name as $o | .parameters[] |
       {o: $o, p: .name, v: (.min - (if .type == "integer" then 1 else (.max - .min) / 1e6 + 1e-9 end))},
       {o: $o, p: .name, v: (.max + (if .type == "integer" then 1 else (.max - .min) / 1e6 + 1e-9 end))},
       (select(.type == "integer") | {o: $o, p: .name, v: (.min + 0.5)})' \
    "$tmp/opts.json" >"$tmp/cases"
wrong=
n=0
while read -r c; do
    spec=$(jq -c -n --argjson c "$c" '{kind: "search",
        space: {name: (if $c.o == "grid" then "rpu" else "resnet" end)},
        evaluator: {kind: (if $c.o == "grid" then "rpu" else "analytic" end)},
        optimizer: {kind: $c.o, ($c.p): $c.v}} +
        (if $c.o == "grid" then {model: {run: 1}} else {} end)')
    req POST /api/v1/runs "$spec"
    n=$((n + 1))
    if [ "$STATUS" != 422 ] ||
        ! jq -e --arg p "/optimizer/$(jq -r -n --argjson c "$c" '$c.p')" '.field == $p' \
            "$BODY_FILE" >/dev/null; then
        wrong="$wrong $c=$STATUS"
    fi
done <"$tmp/cases"
is "$wrong" "" "each of $n values outside a bound (or fractional) is a 422 naming the parameter"
stop_anasd
done_testing
