#!/bin/sh
# Connection limits: --max-connections caps open connections (the next
# ones wait to be accepted), and
# --request-timeout cuts a client that trickles its request in (slowloris,
# headers or body) so that it holds nothing; answers, event streams
# included, are never cut.
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is not installed"
slow="python3 $ANAS_SRCDIR/tests/api/slow_clients.py"

start_anasd --max-connections 8 --request-timeout 2 --sse-heartbeat 1
port=${URL##*:}

# Eight clients trickle their headers in, a byte every half second.
$slow 127.0.0.1 "$port" 8 headers "$(scaled 12)" >"$tmp/headers.out" 2>"$tmp/headers.err" &
slow_pid=$!
until grep -q connected "$tmp/headers.err" || ! alive "$slow_pid"; do sleep 0.05; done
sleep 0.2
health=$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.8 "$URL/api/v1/health" || true)
is "$health" 000 "with 8 of 8 connections held, a ninth waits (in the kernel's accept queue)"
wait "$slow_pid" || true
is "$(grep -c '^cut' "$tmp/headers.out")" 8 "the 8 clients trickling headers are cut off"
ok "... between 2 and $(scaled 6) s after they connected" \
    awk -v hi="$(scaled 6)" '$1 == "cut" && ($2 < 1.9 || $2 > hi) { bad = 1 } END { exit bad }' \
    "$tmp/headers.out"
req GET /api/v1/health
status_is 200 "... and hold nothing: the API answers again"
curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/health" "$URL/api/v1/health" \
    "$URL/api/v1/health" "$URL/api/v1/health" "$URL/api/v1/health" "$URL/api/v1/health" \
    "$URL/api/v1/health" "$URL/api/v1/health" "$URL/api/v1/health" "$URL/api/v1/health" \
    >"$tmp/again.out" &
pids=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
    curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/health" >"$tmp/again.$i" &
    pids="$pids $!"
done
# shellcheck disable=SC2086 # a list of pids
wait $pids
cat "$tmp"/again.[0-9]* >>"$tmp/again.out"
is "$(grep -c 200 "$tmp/again.out")" 20 "... 20 requests on 11 connections at once are all answered"

$slow 127.0.0.1 "$port" 3 body "$(scaled 12)" >"$tmp/body.out" 2>/dev/null
is "$(grep -c '^cut' "$tmp/body.out")" 3 "clients trickling a body are cut off too"
req GET /api/v1/health
status_is 200 "... and the API answers"

# An answer that takes longer than the timeout is not cut: an event
# stream with a heartbeat a second, followed for 4 s.
curl -s -N --max-time 4 "$URL/api/v1/events" >"$tmp/stream.out" 2>/dev/null || true
ok "an event stream outlives --request-timeout (heartbeats after 3 s)" \
    test "$(grep -c '^:' "$tmp/stream.out")" -ge 3

# A keep-alive client that sends its requests briskly is never cut.
curl -s -o /dev/null -w '%{http_code}\n' "$URL/api/v1/health" "$URL/api/v1/health" \
    "$URL/api/v1/health" >"$tmp/keepalive.out"
is "$(grep -c 200 "$tmp/keepalive.out")" 3 "three requests on one connection are answered"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"
ok "the log says why connections were closed" \
    grep -q 'closed [0-9]* connection(s) that took over 2 s to send a request' "$ANASD_ERR"

run_anasd --max-connections 0 --db "$tmp/x.db"
is "$RUN_STATUS" 2 "--max-connections 0 exits 2"
run_anasd --request-timeout 0 --db "$tmp/x.db"
is "$RUN_STATUS" 2 "--request-timeout 0 exits 2"
done_testing
