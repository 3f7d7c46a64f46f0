#!/bin/sh
# The wall clock jumps under a running anasd (libfaketime, the offset read
# from a file on every call; the monotonic clock left alone, as a real
# jump leaves it): durations are on the monotonic clock, so the uptime
# neither goes negative nor leaps, stream heartbeats keep coming after a
# jump back, and runs still run; timestamps follow the wall clock.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api/sse.sh
. "$(dirname "$0")/sse.sh"

lib=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1; do
    [ -r "$f" ] && lib=$f && break
done
[ -n "$lib" ] || skip_all "libfaketime is not installed (Debian: faketime)"
[ -z "$ANASD_WRAPPER" ] || skip_all "anasd runs under a wrapper ($ANASD_WRAPPER)"
if ldd "$ANASD" 2>/dev/null | grep -q 'libasan'; then
    skip_all "AddressSanitizer must come first among preloaded libraries"
fi

echo "+0" >"$tmp/offset"
ANASD_WRAPPER="env LD_PRELOAD=$lib FAKETIME_TIMESTAMP_FILE=$tmp/offset FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1"
start_anasd --sse-heartbeat 1
ANASD_WRAPPER=
req GET /api/v1/health
u0=$(jb .uptime_s)
ok "uptime before the jump: $u0 s" jq -e '.uptime_s >= 0 and .uptime_s < 30' "$BODY_FILE"

sse_start /api/v1/events "$tmp/stream.sse"
sleep 0.5
echo "-86400" >"$tmp/offset" # the wall clock goes back one day
sleep 3
kill "$SSE_PID" 2>/dev/null || true
wait "$SSE_PID" 2>/dev/null || true
beats=$(grep -c '^:' "$tmp/stream.sse" || true)
ok "heartbeats keep coming after the clock went back a day ($beats in 3.5 s)" \
    test "$beats" -ge 2

req GET /api/v1/health
ok "the uptime neither went negative nor leapt ($(jb .uptime_s) s)" \
    jq -e --argjson u0 "$u0" '.uptime_s >= $u0 and .uptime_s < $u0 + 30' "$BODY_FILE"
post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
           "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 30},
           "seed": 9}'
wait_run "$RUN_ID" 30 || true
jis .state succeeded "a run submitted after the jump succeeds"
is "$(jb '.created_at[0:10]')" "$(date -u -d '-1 day' +%F)" \
    "its created_at follows the wall clock (a day back)"

echo "+86400" >"$tmp/offset" # and forward two days from there
req GET /api/v1/health
ok "after a jump forward too ($(jb .uptime_s) s)" \
    jq -e --argjson u0 "$u0" '.uptime_s >= $u0 and .uptime_s < $u0 + 30' "$BODY_FILE"
done_testing
