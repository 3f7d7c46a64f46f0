#!/bin/sh
# Server-Sent Events: a run's stream (state, progress, evaluation, pareto)
# framed as the WHATWG HTML standard says, every evaluation once and as
# the evaluations endpoint lists it, Last-Event-ID resuming a stream cut
# off mid-run without a lost or doubled evaluation, the all-runs stream of
# state changes, the stream limit (503 with Retry-After) and the count in
# health, clients that vanish, and tokens.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api/sse.sh
. "$(dirname "$0")/sse.sh"

if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=48 NTEST=32 EVALS=8
else
    NTRAIN=256 NTEST=128 EVALS=16
fi
mkdir -p "$tmp/data"
# One run at a time, so that a second run waits in the queue while the
# first trains: its stream has the whole story to tell.
start_anasd --data-root "$tmp/data" --max-streams 3 --max-runs 1 --sse-heartbeat 1

req GET /api/v1/health
jok "health shows the streams: none open, at most 3" '.streams == {open: 0, max: 3}'

search() { # SEED EPOCHS
    post_run '{"kind": "search", "name": "sse-'$1'",
     "space": {"name": "mlp", "input": [1, 8, 8], "classes": 4},
     "dataset": {"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'},
     "evaluator": {"kind": "train", "epochs": '$2'},
     "optimizer": {"kind": "random", "evaluations": '$EVALS', "batch": 4}, "seed": '$1'}'
}

# --- one run's stream, from the start to the end ---------------------------

# open_streams N: wait (bounded) until health counts N open streams.
open_streams() {
    _os_deadline=$(($(now) + $(scaled 90)))
    until req GET /api/v1/health && [ "$(jb .streams.open)" = "$1" ]; do
        [ "$(now)" -le "$_os_deadline" ] || return 1
        sleep 0.1
    done
}

sse_start /api/v1/events "$tmp/all.sse"
all_pid=$SSE_PID
open_streams 1 || diag "the all-runs stream did not open"
search 4 4
b=$RUN_ID
search 3 2
a=$RUN_ID
sse_start "/api/v1/runs/$a/events?last_event_id=0" "$tmp/a.sse"
a_pid=$SSE_PID

# Meanwhile a client of the first run goes away after 16 lines (head
# closes the pipe), perhaps in the middle of an event, which then does not
# count as received; it is resumed below.
curl -sN --max-time "$(scaled 120)" "$URL/api/v1/runs/$b/events?last_event_id=0" 2>/dev/null |
    head -n 16 >"$tmp/b1.sse" || true

wait "$a_pid" && SSE_STATUS=0 || SSE_STATUS=$?
is "$SSE_STATUS" 0 "the run's stream ends by itself when the run ends"
like "$(tr -d '\r' <"$tmp/a.sse.headers" | grep -i '^content-type:')" \
    '^[Cc]ontent-[Tt]ype: text/event-stream' "it is text/event-stream"
ok "its framing: event, id, data, retry fields, comments, one blank line after each event" \
    sse_framing_ok "$tmp/a.sse"
sse_events "$tmp/a.sse" >"$tmp/a.json"
req GET "/api/v1/runs/$a/evaluations?limit=1000"
cp "$BODY_FILE" "$tmp/a-evals.json"
jok "the run stored $EVALS evaluations" --argjson n "$EVALS" '.items | length == $n'
ok "only the four event types" \
    jq -e 'all(.[]; .event | IN("state", "progress", "evaluation", "pareto"))' "$tmp/a.json"
ok "it ends with state succeeded" \
    jq -e --argjson id "$a" '.[-1] == {event: "state", id: null,
                                       data: {id: $id, state: "succeeded"}}' "$tmp/a.json"
# Whether the stream opened before the run ended depends on timing.
if jq -e '[.[] | select(.event == "state")] | length > 1' "$tmp/a.json" >/dev/null; then
    ok "... and, opened while the run was active, begins with its state" \
        jq -e --argjson id "$a" '.[0].event == "state" and .[0].data.id == $id and
            (.[0].data.state | IN("queued", "running"))' "$tmp/a.json"
else
    skip "the run had ended before its stream opened"
fi
ok "every evaluation arrives once, exactly as the evaluations endpoint lists it" \
    jq -e -n --slurpfile s "$tmp/a.json" --slurpfile e "$tmp/a-evals.json" '
      ([$s[0][] | select(.event == "evaluation") | .data] | sort_by(.seq)) == $e[0].items'
ok "... in commit order, each with its cursor as the event id" \
    jq -e '[.[] | select(.event == "evaluation")] as $v | [$v[].data.cursor] as $c
        | all($v[]; .id == (.data.cursor | tostring)) and $c == ($c | sort) and
          ($c | unique | length) == ($c | length)' "$tmp/a.json"
ok "progress: done and total; the last one before the end is done == total" \
    jq -e --argjson n "$EVALS" '[.[] | select(.event == "progress") | .data] as $p
        | ($p | length) > 0 and all($p[]; (.done | type) == "number" and has("eta_s"))
          and $p[-1].done == $n and $p[-1].total == $n' "$tmp/a.json"
ok "no evaluation event after the final state" \
    jq -e '[.[].event] | index("state") as $i | (.[1:] | rindex("state")) as $j
        | length - 1 == $j + 1' "$tmp/a.json"

# The all-runs stream saw the run go through its states.
sse_wait_for "$tmp/all.sse" '"state":"succeeded"' 2 || diag "no succeeded state on /api/v1/events"
kill "$all_pid" 2>/dev/null || true
wait "$all_pid" 2>/dev/null || true
sse_events "$tmp/all.sse" >"$tmp/all.json"
ok "GET /api/v1/events: each run queued, running, succeeded, with its kind and name" \
    jq -e --argjson a "$a" --argjson b "$b" '
      def story($id; $name): [.[] | select(.event == "state" and .data.id == $id) | .data] ==
        [{id: $id, state: "queued", kind: "search", name: $name},
         {id: $id, state: "running", kind: "search", name: $name},
         {id: $id, state: "succeeded", kind: "search", name: $name}];
      story($a; "sse-3") and story($b; "sse-4")' "$tmp/all.json"

# --- a finished run -----------------------------------------------------------

third=$(jq '[.[] | select(.event == "evaluation")][2].data.cursor' "$tmp/a.json")
sse_get "/api/v1/runs/$a/events?last_event_id=$third" "$tmp/a3.sse"
sse_events "$tmp/a3.sse" >"$tmp/a3.json"
ok "?last_event_id=C on a finished run: the evaluations after C, then the state, then the end" \
    jq -e -n --slurpfile s "$tmp/a3.json" --slurpfile a "$tmp/a.json" '
      [$s[0][] | select(.event == "evaluation")] ==
        [$a[0][] | select(.event == "evaluation")][3:] and
      $s[0][-1].event == "state" and $s[0][-1].data.state == "succeeded"'
sse_get "/api/v1/runs/$a/events" "$tmp/a0.sse"
sse_events "$tmp/a0.sse" >"$tmp/a0.json"
ok "without Last-Event-ID a stream starts from now: a finished run's gives its final state only" \
    jq -e '[.[] | select(.event != "progress")] == [{event: "state", id: null,
        data: {id: '"$a"', state: "succeeded"}}]' "$tmp/a0.json"

# --- cut off mid-run, resumed with Last-Event-ID ------------------------------

# The client cut off above reconnects with the id of the last whole event.
sse_events "$tmp/b1.sse" >"$tmp/b1.json"
last=$(jq -r '[.[] | select(.event == "evaluation")][-1].id' "$tmp/b1.json")
diag "cut off after $(jq '[.[] | select(.event == "evaluation")] | length' "$tmp/b1.json") evaluations (last id $last)"
sse_get "/api/v1/runs/$b/events" "$tmp/b2.sse" -H "Last-Event-ID: $last"
is "$SSE_STATUS" 0 "the resumed stream ends by itself when the run ends"
sse_events "$tmp/b2.sse" >"$tmp/b2.json"
req GET "/api/v1/runs/$b/evaluations?limit=1000"
cp "$BODY_FILE" "$tmp/b-evals.json"
ok "the two streams together hold every evaluation exactly once (none lost, none doubled)" \
    jq -e -n --slurpfile x "$tmp/b1.json" --slurpfile y "$tmp/b2.json" \
    --slurpfile e "$tmp/b-evals.json" '
      [($x[0] + $y[0])[] | select(.event == "evaluation") | .data] as $v
      | ($v | sort_by(.seq)) == $e[0].items and ($v | map(.seq) | unique | length) == ($v | length)'
ok "the resumed stream ends with state succeeded" \
    jq -e '.[-1].event == "state" and .[-1].data.state == "succeeded"' "$tmp/b2.json"

# --- two objectives: the Pareto front -------------------------------------------

post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
  "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 60},
  "objectives": [{"metric": "macs", "goal": "min"}, {"metric": "tile_util", "goal": "max"}],
  "seed": 5}'
p=$RUN_ID
sse_get "/api/v1/runs/$p/events?last_event_id=0" "$tmp/p.sse"
sse_events "$tmp/p.sse" >"$tmp/p.json"
wait_run "$p" 120
cp "$BODY_FILE" "$tmp/p-run.json"
ok "pareto events carry size and hypervolume; the last one is the summary's front" \
    jq -e -n --slurpfile s "$tmp/p.json" --slurpfile r "$tmp/p-run.json" '
      [$s[0][] | select(.event == "pareto") | .data] as $f
      | ($f | length) > 0 and all($f[]; keys == ["hypervolume", "size"]) and
        $f[-1] == {size: $r[0].summary.pareto_size, hypervolume: $r[0].summary.hypervolume} and
        $r[0].summary.pareto_size >= 2'
ok "... and come before the final state" \
    jq -e '.[-1].event == "state" and .[-2].event != "evaluation"' "$tmp/p.json"

# --- errors -----------------------------------------------------------------------

req GET /api/v1/runs/999/events
problem_is 404 ANAS_ENOTFOUND '' "the stream of a run that does not exist is 404"
req GET "/api/v1/runs/$a/events?last_event_id=x"
problem_is 422 ANAS_EINVAL '?last_event_id' "a last_event_id that is not a cursor is 422"
BODY_FILE=$tmp/lei.body
HEADERS=$tmp/lei.headers
STATUS=$(curl -s -o "$BODY_FILE" -D "$HEADERS" -w '%{http_code}' -H 'Last-Event-ID: -3' \
    "$URL/api/v1/runs/$a/events")
BODY=$(cat "$BODY_FILE")
problem_is 422 ANAS_EINVAL 'Last-Event-ID' "... and so is such a Last-Event-ID header"
req POST "/api/v1/runs/$a/events"
problem_is 405 ANAS_EMETHOD '' "streams are GET only"

# --- the limit, the count in health, clients that vanish ------------------------

pids=
for i in 1 2 3; do
    sse_start /api/v1/events "$tmp/lim$i.sse"
    pids="${pids:+$pids }$SSE_PID"
done
open_streams 3 || true
jok "health counts the 3 open streams" '.streams == {open: 3, max: 3}'
req GET "/api/v1/runs/$a/events"
problem_is 503 ANAS_ELIMIT '' "a fourth stream is 503 ANAS_ELIMIT"
like "$(header Retry-After)" '^[1-9][0-9]*$' "... with Retry-After in seconds"
req GET /api/v1/runs
status_is 200 "other requests are still answered"

# Idle streams get heartbeats (each second: --sse-heartbeat 1); clients
# that vanish without a word are noticed (when a heartbeat cannot be sent)
# and their streams freed.
ok "an idle stream is sent a heartbeat comment" sse_wait_for "$tmp/lim1.sse" '^: keep-alive$' 1
ok "... and stays well framed" sse_framing_ok "$tmp/lim1.sse"
# shellcheck disable=SC2086 # a list of pids
kill $pids 2>/dev/null || true
for p_ in $pids; do wait "$p_" 2>/dev/null || true; done
open_streams 0 || true
jis .streams.open 0 "the streams of vanished clients are closed"
sse_get "/api/v1/runs/$a/events" "$tmp/again.sse"
is "$SSE_STATUS" 0 "a new stream opens and ends as before"
req GET "/api/v1/runs/$a"
status_is 200 "the daemon still answers"

stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly"

# --- tokens, and a stream open while the daemon stops ----------------------------

printf 'sse-token-1\n' >"$tmp/tokens"
chmod 600 "$tmp/tokens"
start_anasd --data-root "$tmp/data" --token-file "$tmp/tokens"
AUTH_TOKEN=
req GET /api/v1/events
problem_is 401 ANAS_EAUTH '' "GET /api/v1/events needs a token"
req GET "/api/v1/runs/$a/events"
problem_is 401 ANAS_EAUTH '' "GET /api/v1/runs/{id}/events needs a token"
AUTH_TOKEN=sse-token-1
sse_get "/api/v1/runs/$a/events" "$tmp/tok.sse"
ok "with the token the stream is served" \
    jq -e '.[-1].data.state == "succeeded"' <<EOF2
$(sse_events "$tmp/tok.sse")
EOF2
req GET /api/v1/health
jok "health (no token needed) still counts streams" '.streams == {open: 0, max: 64}'
sse_start /api/v1/events "$tmp/stop.sse"
stop_pid=$SSE_PID
open_streams 1 || true
jis .streams.open 1 "a stream is open"
stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly with a stream open"
wait "$stop_pid" && rc=0 || rc=$?
is "$rc" 0 "... and the client sees its stream end cleanly"
done_testing
