#!/bin/sh
# Token scopes: every route needs its scope (403 without it, 401 without a
# known token), scopes imply what the docs say, a bad scope stops the start
# with a message that names the line but not the token, POST
# /api/v1/admin/reload reloads, and no token ever reaches the log.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$tmp/tokens" <<'EOF2'
# token, then its scopes
tok-read-1a2b read
tok-submit-3c4d submit
tok-admin-5e6f admin
tok-worker-7a8b worker
tok-legacy-9c0d
EOF2
printf 'tok-scrape-1f2e\n' >"$tmp/metrics-tokens"
start_anasd --token-file "$tmp/tokens" --metrics-token-file "$tmp/metrics-tokens" \
    --log-level debug

# code TOKEN METHOD PATH [BODY]: the status only. Event streams never end:
# the status line is all that is read of them.
code() {
    if [ $# -ge 4 ]; then
        set -- "$1" "$2" "$3" --data-binary "$4" -H 'Content-Type: application/json'
    fi
    _c_tok=$1 _c_m=$2 _c_p=$3 _c_t=$(scaled 5)
    shift 3
    # The event stream never ends: its status is known once the headers are in.
    case $_c_p in /api/v1/events) _c_t=$(scaled 1) ;; esac
    curl -s -g -o /dev/null -w '%{http_code}' --max-time "$_c_t" -X "$_c_m" \
        -H "Authorization: Bearer $_c_tok" "$@" "$URL$_c_p" 2>/dev/null || true
}

# The table, from the contract: each operation's method, path (its
# parameters filled with ids that do not exist), a body for POSTs, and
# the scope it names in x-scope. A route the contract forgets, or whose
# scope differs from the daemon's, fails below.
AUTH_TOKEN=tok-read-1a2b
req GET /api/v1/openapi.json
status_is 200 "a read token gets the contract"
jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[]
        | select(.value | has("x-scope"))
        | [(.key | ascii_upcase), $p, (if .key == "post" then "{}" else "-" end),
           .value["x-scope"]] | @tsv' "$BODY_FILE" |
    sed -e 's/{id}/999999/g' -e 's/{name}/resnet/g' -e 's/{hash}/0123456789abcdef/g' \
        -e 's/\t/ /g' >"$tmp/routes"
is "$(wc -l <"$tmp/routes" | tr -d ' ')" "$(jq '[.paths[][] | objects | select(has("responses"))] | length - 1' "$BODY_FILE")" \
    "every operation but health names its scope"

# Which scopes each token holds, implications applied.
grants() {
    case $1 in
    tok-read-1a2b) echo 'read' ;;
    tok-submit-3c4d) echo 'read submit' ;;
    tok-admin-5e6f | tok-legacy-9c0d) echo 'read submit admin metrics' ;;
    tok-worker-7a8b) echo 'worker' ;;
    tok-scrape-1f2e) echo 'metrics' ;;
    esac
}

for tok in tok-read-1a2b tok-submit-3c4d tok-admin-5e6f tok-worker-7a8b tok-legacy-9c0d \
    tok-scrape-1f2e; do
    refused='' wrong=''
    while read -r m p body scope; do
        if [ "$body" = - ]; then got=$(code "$tok" "$m" "$p"); else got=$(code "$tok" "$m" "$p" "$body"); fi
        case " $(grants "$tok") " in
        *" $scope "*) [ "$got" != 401 ] && [ "$got" != 403 ] || wrong="$wrong $m $p=$got" ;;
        *) [ "$got" = 403 ] || wrong="$wrong $m $p=$got" ;;
        esac
        [ "$got" = 403 ] && refused=$((${refused:-0} + 1))
    done <"$tmp/routes"
    is "$wrong" '' "$tok: every route answers as its scopes say (${refused:-0} refused)"
done

AUTH_TOKEN=tok-worker-7a8b
req GET /api/v1/runs
problem_is 403 ANAS_EDENIED '' "a worker token may not list runs"
like "$(jb .detail)" "lacks the 'read' scope" "... and the problem names the scope"
AUTH_TOKEN=tok-read-1a2b
req POST /api/v1/runs '{"kind": '
problem_is 403 ANAS_EDENIED '' "a read token may not submit, whatever the body"
AUTH_TOKEN=tok-nobody
req GET /api/v1/runs
problem_is 401 ANAS_EAUTH '' "an unknown token is 401, not 403"
req PUT /api/v1/runs
problem_is 401 ANAS_EAUTH '' "an unknown token learns no allowed methods (401, not 405)"
AUTH_TOKEN=tok-worker-7a8b
req PUT /api/v1/runs
status_is 405 "a known token of any scope gets the 405"
AUTH_TOKEN=
req GET /api/v1/health
status_is 200 "health needs no token"

# Reload over HTTP: the new file takes effect; a bad one changes nothing.
printf 'tok-admin-5e6f admin\ntok-new-4d3c read\n' >"$tmp/tokens"
AUTH_TOKEN=tok-admin-5e6f
req POST /api/v1/admin/reload
status_is 200 "an admin token reloads the token files"
jis .tokens 3 "... and the answer counts 3 tokens"
jis .scopes.metrics 2 "... 2 of them for metrics"
is "$(code tok-new-4d3c GET /api/v1/runs)" 200 "the new token reads"
is "$(code tok-submit-3c4d GET /api/v1/runs)" 401 "a removed token is refused"
printf 'tok-admin-5e6f admin\ntok-x sudo\n' >"$tmp/tokens"
req POST /api/v1/admin/reload
problem_is 409 ANAS_ESTATE '' "a token file with an unknown scope is not taken"
like "$(jb .detail)" "line 2: unknown scope 'sudo'" "... the problem says where"
is "$(code tok-new-4d3c GET /api/v1/runs)" 200 "... and the tokens in force stay"

# CORS is off unless configured: no header for any origin, and a
# preflight is just an OPTIONS request (401 without a token).
hdr() { # hdr NAME: a header of the last curl -D "$tmp/h"
    tr -d '\r' <"$tmp/h" | sed -n "s/^$1: //Ip" | tail -n 1
}
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -H 'Origin: https://dash.example.org' \
    -H 'Authorization: Bearer tok-admin-5e6f' "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Origin)" '200 ' "without --cors-origin no origin is allowed"
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -X OPTIONS \
    -H 'Origin: https://dash.example.org' -H 'Access-Control-Request-Method: GET' "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Methods)" '401 ' "... and a preflight is refused"

stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
mv "$ANASD_ERR" "$tmp/first.err"
ANASD_ERR=$tmp/first.err

printf 'tok-read-1a2b read\n' >"$tmp/tokens"
start_anasd --token-file "$tmp/tokens" --cors-origin 'https://dash.example.org,http://localhost:5173'
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -X OPTIONS \
    -H 'Origin: http://localhost:5173' -H 'Access-Control-Request-Method: DELETE' \
    -H 'Access-Control-Request-Headers: authorization' "$URL/api/v1/runs/7")
is "$st" 204 "a preflight from an allowed origin is 204 without a token"
is "$(hdr Access-Control-Allow-Origin)" http://localhost:5173 "... allowing that origin"
is "$(hdr Access-Control-Allow-Methods)" 'GET, DELETE' "... with the path's methods"
like "$(hdr Access-Control-Allow-Headers)" Authorization "... and the Authorization header"
is "$(hdr Vary)" Origin "... varying by Origin"
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -H 'Origin: https://dash.example.org' \
    -H 'Authorization: Bearer tok-read-1a2b' "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Origin)" '200 https://dash.example.org' \
    "a request from an allowed origin may read the answer"
like "$(hdr Access-Control-Expose-Headers)" Retry-After "... and the headers clients need"
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -H 'Origin: https://dash.example.org' \
    "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Origin)" '401 https://dash.example.org' \
    "... a refusal too, so the page can say why"
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -H 'Origin: https://evil.example' \
    -H 'Authorization: Bearer tok-read-1a2b' "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Origin)" '200 ' "another origin gets no CORS header"
st=$(curl -s -o /dev/null -D "$tmp/h" -w '%{http_code}' -X OPTIONS \
    -H 'Origin: https://dash.example.org.evil' -H 'Access-Control-Request-Method: GET' "$URL/api/v1/runs")
is "$st $(hdr Access-Control-Allow-Methods)" '401 ' "... nor an origin that only starts like an allowed one"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
cat "$ANASD_ERR" >>"$tmp/first.err"
ANASD_ERR=$tmp/first.err

run_anasd --cors-origin 'dash.example.org' --db "$tmp/bad.db" --listen 127.0.0.1:0
is "$RUN_STATUS" 2 "--cors-origin without a scheme exits 2"
run_anasd --cors-origin 'https://dash.example.org/app' --db "$tmp/bad.db" --listen 127.0.0.1:0
is "$RUN_STATUS" 2 "--cors-origin with a path exits 2"
like "$(cat "$RUN_ERR")" "not an origin like https://host" "... saying what an origin is"

leaked=''
for tok in tok-read-1a2b tok-submit-3c4d tok-admin-5e6f tok-worker-7a8b tok-legacy-9c0d \
    tok-scrape-1f2e tok-nobody tok-new-4d3c tok-x; do
    ! grep -q -F "$tok" "$ANASD_ERR" "$ANASD_OUT" || leaked="$leaked $tok"
done
is "$leaked" '' "no token, good or bad, is in the debug log"

printf 'tok-good read\nsecret-in-line-2 read wirter\n' >"$tmp/bad-tokens"
run_anasd --token-file "$tmp/bad-tokens" --db "$tmp/bad.db" --listen 127.0.0.1:0
is "$RUN_STATUS" 2 "a token file with an unknown scope stops the start (exit 2)"
like "$(cat "$RUN_ERR")" "line 2: unknown scope 'wirter'" "... naming the line and the word"
ok "... but not the token" sh -c '! grep -q secret-in-line-2 "$1"' sh "$RUN_ERR"
printf 'tok-scrape read\n' >"$tmp/bad-metrics"
run_anasd --metrics-token-file "$tmp/bad-metrics" --db "$tmp/bad.db" --listen 127.0.0.1:0
is "$RUN_STATUS" 2 "a metrics token file granting another scope stops the start"
done_testing
