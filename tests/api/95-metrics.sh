#!/bin/sh
# GET /metrics: the Prometheus text exposition format 0.0.4, read strictly
# by tests/api/prom-check.awk (and by promtool when it is installed); every
# family documented in doc/api.md; counters that follow requests and
# searches; tokens (the admin tokens and the read-only metrics token).
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

CHECK="$ANAS_SRCDIR/tests/api/prom-check.awk"
[ -r "$CHECK" ] || bail "no $CHECK"

# --- the reader itself refuses what it must ---------------------------------

# rejects DESC TEXT: prom-check.awk fails on TEXT (printf format).
rejects() {
    # shellcheck disable=SC2059 # the text is a printf format on purpose
    printf "$2" >"$tmp/bad.prom"
    if awk -f "$CHECK" "$tmp/bad.prom" >"$tmp/bad.out" 2>&1; then
        fail "the reader rejects $1"
    else
        pass "the reader rejects $1"
    fi
}
G='# HELP g A gauge.\n# TYPE g gauge\n'
H='# HELP h A histogram.\n# TYPE h histogram\n'
# shellcheck disable=SC2059 # the texts are printf formats on purpose
printf "$G"'g{a="x\\"y\\\\z\\n"} 1.5e-3\n'"$H"'h_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\n' \
    >"$tmp/good.prom"
ok "the reader accepts a valid exposition (escapes, exponent, a histogram)" \
    awk -f "$CHECK" "$tmp/good.prom"
rejects "a sample before its TYPE" 'g 1\n# HELP g x\n# TYPE g gauge\n'
rejects "a family without HELP" '# TYPE g gauge\ng 1\n'
rejects "a counter not ending in _total" '# HELP c x\n# TYPE c counter\nc 1\n'
rejects "a duplicate series (labels reordered)" "$G"'g{a="1",b="2"} 1\ng{b="2",a="1"} 1\n'
rejects "a label given twice" "$G"'g{a="1",a="2"} 1\n'
rejects "a bad escape in a label value" "$G"'g{a="\\t"} 1\n'
rejects "an unterminated label value" "$G"'g{a="1} 1\n'
rejects "a bad label name" "$G"'g{1a="1"} 1\n'
rejects "a bad value" "$G"'g one\n'
rejects "a family's samples split by another's" \
    "$G"'# HELP f x\n# TYPE f gauge\ng{a="1"} 1\nf 1\ng{a="2"} 1\n'
rejects "buckets that are not cumulative" \
    "$H"'h_bucket{le="1"} 2\nh_bucket{le="2"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'
rejects "buckets out of order" \
    "$H"'h_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'
rejects "a histogram without +Inf" "$H"'h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'
rejects "+Inf different from _count" \
    "$H"'h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 2\n'
rejects "a histogram without _sum" "$H"'h_bucket{le="+Inf"} 1\nh_count 1\n'
rejects "a negative counter" '# HELP c_total x\n# TYPE c_total counter\nc_total -1\n'

# --- the daemon, with both kinds of token ----------------------------------

printf 'admin-token-1\n' >"$tmp/tokens"
printf '# read-only scrapers\nscrape-token-9\n' >"$tmp/metrics-tokens"
chmod 600 "$tmp/tokens" "$tmp/metrics-tokens"
start_anasd --token-file "$tmp/tokens" --metrics-token-file "$tmp/metrics-tokens"

AUTH_TOKEN=
req GET /metrics
problem_is 401 ANAS_EAUTH '' "GET /metrics without a token is 401"
AUTH_TOKEN=wrong
req GET /metrics
problem_is 401 ANAS_EAUTH '' "GET /metrics with a wrong token is 401"
AUTH_TOKEN=admin-token-1
req GET /metrics
status_is 200 "GET /metrics with an admin token is 200"
AUTH_TOKEN=scrape-token-9
req GET /metrics
status_is 200 "GET /metrics with the metrics token is 200"
is "$(header Content-Type)" "text/plain; version=0.0.4; charset=utf-8" \
    "Content-Type is the text format 0.0.4"
for p in /api/v1/runs /api/v1/spaces /api/v1/openapi.json; do
    req GET "$p"
    problem_is 403 ANAS_EDENIED '' "the metrics token may not GET $p (403)"
done
req POST /api/v1/runs '{}'
problem_is 403 ANAS_EDENIED '' "the metrics token may not POST a run (403)"
req GET /api/v1/health
status_is 200 "health stays open"

# scrape FILE: GET /metrics with the metrics token into FILE, checked.
scrape() {
    _s_tok=$AUTH_TOKEN
    AUTH_TOKEN=scrape-token-9
    req GET /metrics
    AUTH_TOKEN=$_s_tok
    cp "$BODY_FILE" "$1"
    [ "$STATUS" = 200 ]
}

# value FILE SERIES: the sample value of SERIES (name and labels exactly
# as anasd writes them), or 0 when absent.
value() {
    awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { v = $2 } END { print v == "" ? 0 : v }' "$1"
}

# --- the exposition, strictly ------------------------------------------------

scrape "$tmp/m0.prom"
if awk -f "$CHECK" "$tmp/m0.prom" >"$tmp/check.out" 2>&1; then
    pass "the exposition passes the strict reader"
else
    fail "the exposition passes the strict reader"
    diag_stdin <"$tmp/check.out"
fi
if command -v promtool >/dev/null 2>&1; then
    # Its lint opinions aside, a parsing error is what it must not find.
    ok "promtool check metrics finds no error" sh -c \
        '! promtool check metrics <"$1" 2>&1 | grep -q -i error' sh "$tmp/m0.prom"
else
    skip "promtool is not installed"
fi

# Every documented family, with its type.
for ft in anasd_build_info:gauge anasd_runs:gauge anasd_evaluations_total:counter \
    anasd_evaluations_reused_total:counter anasd_evaluation_duration_seconds:histogram \
    anasd_pool_threads:gauge anasd_pool_busy_threads:gauge anasd_queue_depth:gauge \
    anasd_event_streams_open:gauge anasd_http_requests_total:counter \
    anasd_http_request_duration_seconds:histogram anasd_database_size_bytes:gauge \
    anasd_store_commits_total:counter anasd_store_log_pages_total:counter \
    anasd_store_checkpoints_total:counter anasd_store_checkpoint_hold_seconds_total:counter \
    process_cpu_seconds_total:counter process_resident_memory_bytes:gauge \
    process_virtual_memory_bytes:gauge process_open_fds:gauge process_max_fds:gauge \
    process_start_time_seconds:gauge; do
    f=${ft%:*}
    t=${ft#*:}
    ok "$f is a $t with HELP" sh -c 'grep -qx "# TYPE $2 $3" "$1" && grep -q "^# HELP $2 ." "$1"' \
        sh "$tmp/m0.prom" "$f" "$t"
done

version=$("$ANASD" --version | sed 's/^anasd //')
is "$(value "$tmp/m0.prom" "anasd_build_info{version=\"$version\"}")" 1 \
    "anasd_build_info{version=\"$version\"} 1"
is "$(value "$tmp/m0.prom" anasd_pool_threads)" 2 "anasd_pool_threads is --workers (2)"
is "$(value "$tmp/m0.prom" anasd_event_streams_open)" 0 "no event stream is open"
is "$(value "$tmp/m0.prom" 'anasd_runs{state="queued"}')" 0 "no run is queued"
ok "the database size is a positive number of pages" \
    sh -c 'v=$(awk "/^anasd_database_size_bytes /{print \$2}" "$1"); [ "$v" -gt 0 ] && [ $((v % 512)) -eq 0 ]' \
    sh "$tmp/m0.prom"
ok "the process's resident memory and CPU time are positive" \
    sh -c 'awk "/^process_resident_memory_bytes /{r=\$2} /^process_cpu_seconds_total /{c=\$2}
        END {exit !(r > 1048576 && c > 0)}" "$1"' sh "$tmp/m0.prom"
ok "process_start_time_seconds is a time in the past" \
    sh -c 'awk -v now="$(date +%s)" "/^process_start_time_seconds /{s=\$2}
        END {exit !(s > 1500000000 && s <= now + 1)}" "$1"' sh "$tmp/m0.prom"

# --- requests are counted by route pattern -----------------------------------

AUTH_TOKEN=admin-token-1
R404='anasd_http_requests_total{method="GET",route="/api/v1/runs/{id}",status="404"}'
H404='anasd_http_request_duration_seconds_count{route="/api/v1/runs/{id}"}'
before=$(value "$tmp/m0.prom" "$R404")
hbefore=$(value "$tmp/m0.prom" "$H404")
for i in 1 2 3; do req GET "/api/v1/runs/99999$i"; done
req GET /api/v1/no-such-thing
req DELETE /metrics
scrape "$tmp/m1.prom"
is "$(value "$tmp/m1.prom" "$R404")" $((before + 3)) \
    "three GET /api/v1/runs/<unknown> count 3 under the route's pattern"
is "$(value "$tmp/m1.prom" "$H404")" $((hbefore + 3)) \
    "... and 3 more observations of the route's duration"
ok "no raw path becomes a label value" sh -c '! grep -q "/99999\|no-such-thing" "$1"' sh "$tmp/m1.prom"
is "$(value "$tmp/m1.prom" 'anasd_http_requests_total{method="GET",route="none",status="404"}')" 1 \
    "an unknown path counts under route \"none\""
is "$(value "$tmp/m1.prom" 'anasd_http_requests_total{method="DELETE",route="/metrics",status="405"}')" 1 \
    "DELETE /metrics counts as a 405 on /metrics"
m0=$(value "$tmp/m0.prom" 'anasd_http_requests_total{method="GET",route="/metrics",status="200"}')
is "$(value "$tmp/m1.prom" 'anasd_http_requests_total{method="GET",route="/metrics",status="200"}')" \
    $((m0 + 1)) "the scrape in between is counted once"
is "$(value "$tmp/m1.prom" 'anasd_http_requests_total{method="GET",route="/metrics",status="401"}')" 2 \
    "the refused scrapes are counted as 401"
is "$(value "$tmp/m1.prom" 'anasd_http_requests_total{method="GET",route="/api/v1/runs",status="403"}')" 1 \
    "the metrics token's refusal is counted as 403"
ok "the exposition after requests still passes the strict reader" awk -f "$CHECK" "$tmp/m1.prom"

# --- a search is counted ------------------------------------------------------

SPEC='{"kind": "search",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"},
 "objectives": [{"metric": "params", "goal": "min"}],
 "constraints": [{"metric": "params", "max": 300000}],
 "optimizer": {"kind": "random", "evaluations": 40}, "seed": 7}'
post_run "$SPEC"
status_is 201 "an analytic search is accepted"
wait_run "$RUN_ID" 60
jis .state succeeded "it succeeds"
all_evaluations "$RUN_ID" "$tmp/e1.json"
n_complete=$(jq '[.[] | select(.state == "complete")] | length' "$tmp/e1.json")
n_invalid=$(jq '[.[] | select(.state == "invalid")] | length' "$tmp/e1.json")
n_reused=$(jq '[.[] | select(.cached)] | length' "$tmp/e1.json")
scrape "$tmp/m2.prom"
C='anasd_evaluations_total{evaluator="analytic",state="complete"}'
I='anasd_evaluations_total{evaluator="analytic",state="invalid"}'
D='anasd_evaluation_duration_seconds_count{evaluator="analytic"}'
U='anasd_evaluations_reused_total{evaluator="analytic"}'
is "$(value "$tmp/m2.prom" "$C")" "$n_complete" "complete evaluations counted ($n_complete)"
is "$(value "$tmp/m2.prom" "$I")" "$n_invalid" "invalid evaluations counted ($n_invalid)"
is "$(jq length "$tmp/e1.json")" 40 "the search made 40 evaluations"
is $(($(value "$tmp/m2.prom" "$C") + $(value "$tmp/m2.prom" "$I"))) 40 \
    "complete and invalid add up to them"
is "$(value "$tmp/m2.prom" "$D")" $((n_complete - n_reused)) \
    "the duration histogram observed every evaluation that ran on a worker"
is "$(value "$tmp/m2.prom" 'anasd_runs{state="succeeded"}')" 1 "anasd_runs{state=\"succeeded\"} is 1"
ok "its results were stored in 1 to 40 transactions, each of a page or more" \
    sh -c 'awk "/^anasd_store_commits_total /{c=\$2} /^anasd_store_log_pages_total /{p=\$2}
        END {exit !(c >= 1 && c <= 40 && p >= c)}" "$1"' sh "$tmp/m2.prom"
is "$(value "$tmp/m2.prom" anasd_pool_busy_threads)" 0 "no worker is busy once the run is over"
is "$(value "$tmp/m2.prom" 'anasd_queue_depth{queue="evaluations"}')" 0 \
    "no evaluation waits once the run is over"
ok "the exposition after a search passes the strict reader" awk -f "$CHECK" "$tmp/m2.prom"

# The same search again: its evaluations are answered from the store.
post_run "$SPEC"
wait_run "$RUN_ID" 60
jis .state succeeded "the same search again succeeds"
scrape "$tmp/m3.prom"
is "$(value "$tmp/m3.prom" "$U")" $(($(value "$tmp/m2.prom" "$U") + n_complete)) \
    "its $n_complete feasible evaluations count as reused"
is "$(value "$tmp/m3.prom" "$D")" "$(value "$tmp/m2.prom" "$D")" \
    "reused evaluations add no duration observation"
is "$(value "$tmp/m3.prom" 'anasd_runs{state="succeeded"}')" 2 "anasd_runs{state=\"succeeded\"} is 2"

# Without tokens /metrics is open, like the rest of the API.
stop_anasd
start_anasd
AUTH_TOKEN=
req GET /metrics
status_is 200 "without tokens GET /metrics needs none"
done_testing
