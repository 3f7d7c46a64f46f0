#!/bin/sh
# SIGHUP reads the token files again: a new token works, a removed one is
# refused, a broken file keeps the tokens in force and logs a warning, and
# the connections already open (an event stream) are not dropped.
# shellcheck disable=SC2317 # hup is called through ok
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

printf 'first-token\n' >"$tmp/tokens"
printf 'scrape-one\n' >"$tmp/metrics-tokens"
chmod 600 "$tmp/tokens" "$tmp/metrics-tokens"
start_anasd --token-file "$tmp/tokens" --metrics-token-file "$tmp/metrics-tokens"

# code TOKEN PATH: the status of GET PATH with that bearer token.
code() {
    AUTH_TOKEN=$1
    req GET "$2"
    AUTH_TOKEN=
    echo "$STATUS"
}

# hup PATTERN: send SIGHUP and wait until the daemon's log has one more line
# matching PATTERN than before (the reload is done on the loop thread).
hup() {
    _h_before=$(grep -c -- "$1" "$ANASD_ERR" || true)
    kill -HUP "$ANASD_PID"
    _h_deadline=$(($(now) + $(scaled 10)))
    while [ "$(grep -c -- "$1" "$ANASD_ERR" || true)" -le "$_h_before" ]; do
        [ "$(now)" -le "$_h_deadline" ] || return 1
        sleep 0.1
    done
}

is "$(code first-token /api/v1/runs)" 200 "the first token works"
is "$(code second-token /api/v1/runs)" 401 "a token not in the file yet is refused"
is "$(code scrape-one /metrics)" 200 "the metrics token reads /metrics"

# An event stream opened before the reload must survive it.
AUTH_TOKEN=first-token
curl -s -N -H "Authorization: Bearer first-token" "$URL/api/v1/events" \
    >"$tmp/stream.out" 2>/dev/null &
STREAM_PID=$!
AUTH_TOKEN=
_deadline=$(($(now) + $(scaled 10)))
until grep -q '^retry:' "$tmp/stream.out"; do
    [ "$(now)" -le "$_deadline" ] || break
    sleep 0.1
done
ok "an event stream is open" grep -q '^retry:' "$tmp/stream.out"

printf '# rotated\nsecond-token\n' >"$tmp/tokens"
printf 'scrape-two\n' >"$tmp/metrics-tokens"
ok "SIGHUP is logged as a reload of 2 tokens, 2 of them for metrics" \
    hup 'SIGHUP: reloaded 2 token(s): 1 read, 1 submit, 1 admin, 2 metrics, 0 worker'
is "$(code second-token /api/v1/runs)" 200 "after SIGHUP the new token works"
is "$(code first-token /api/v1/runs)" 401 "after SIGHUP the removed token is refused"
is "$(code scrape-two /metrics)" 200 "after SIGHUP the new metrics token reads /metrics"
is "$(code scrape-one /metrics)" 401 "after SIGHUP the removed metrics token is refused"
is "$(code scrape-two /api/v1/runs)" 403 "a metrics token is still only for /metrics"
ok "the daemon is still running" alive "$ANASD_PID"
ok "an event stream opened before SIGHUP is still open" alive "$STREAM_PID"
kill "$STREAM_PID" 2>/dev/null || true
wait "$STREAM_PID" 2>/dev/null || true

# A file without a token, then a missing one: the tokens in force stay.
printf '# nothing here\n\n' >"$tmp/tokens"
ok "SIGHUP with an empty token file logs a warning" hup 'warn.*SIGHUP: token file .* holds no token'
is "$(code second-token /api/v1/runs)" 200 "... and the tokens loaded before still work"
is "$(code scrape-two /metrics)" 200 "... metrics tokens included"
printf 'third-token\n' >"$tmp/tokens"
rm -f "$tmp/metrics-tokens"
ok "SIGHUP with a missing metrics token file logs a warning" \
    hup 'warn.*SIGHUP: token file .*metrics-tokens: No such file'
is "$(code third-token /api/v1/runs)" 401 \
    "... and a new token in the other file is not taken either (all or nothing)"
is "$(code second-token /api/v1/runs)" 200 "... the tokens loaded before still work"

printf 'scrape-three\n' >"$tmp/metrics-tokens"
ok "once both files are good, SIGHUP reloads them" hup 'SIGHUP: reloaded 2 token'
is "$(code third-token /api/v1/runs)" 200 "the third token works"
is "$(code second-token /api/v1/runs)" 401 "the second one is refused"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM after the reloads"

# Without token files SIGHUP changes nothing and does not stop the daemon.
start_anasd
ok "SIGHUP without token files is logged" hup 'SIGHUP: no token file to reload'
req GET /api/v1/runs
status_is 200 "... and the API stays open"
done_testing
