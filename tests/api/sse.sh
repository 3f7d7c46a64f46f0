# tests/api/sse.sh - reading Server-Sent Events in tests (sourced after
# lib.sh). The framing is the WHATWG HTML standard's event stream
# (https://html.spec.whatwg.org/multipage/server-sent-events.html).
#
#     sse_get "/api/v1/runs/$id/events" "$tmp/a.sse" [CURL-ARG...]   # until it closes
#     sse_start "/api/v1/events" "$tmp/b.sse" [CURL-ARG...]          # in the background: $SSE_PID
#     sse_events "$tmp/a.sse" >"$tmp/a.json"   # [{event, id, data}, ...] of whole events
#     sse_framing_ok "$tmp/a.sse"              # every line a field, comment or blank

# shellcheck disable=SC2034 # SSE_PID is read by the tests

# sse_get PATH FILE [CURL-ARG...]: the stream until the server closes it
# (bounded by $(scaled 120) s); sets SSE_STATUS (curl's exit status, 0 on a
# clean close) and SSE_HEADERS (file).
sse_get() {
    _sg_path=$1
    _sg_out=$2
    shift 2
    SSE_HEADERS=$_sg_out.headers
    if [ -n "$AUTH_TOKEN" ]; then
        set -- "$@" -H "Authorization: Bearer $AUTH_TOKEN"
    fi
    SSE_STATUS=0
    curl -sN -g -D "$SSE_HEADERS" --max-time "$(scaled 120)" "$@" "$URL$_sg_path" \
        >"$_sg_out" 2>/dev/null || SSE_STATUS=$?
}

# sse_start PATH FILE [CURL-ARG...]: the same in the background; SSE_PID.
sse_start() {
    _ss_path=$1
    _ss_out=$2
    shift 2
    if [ -n "$AUTH_TOKEN" ]; then
        set -- "$@" -H "Authorization: Bearer $AUTH_TOKEN"
    fi
    curl -sN -g -D "$_ss_out.headers" --max-time "$(scaled 300)" "$@" "$URL$_ss_path" \
        >"$_ss_out" 2>/dev/null &
    SSE_PID=$!
}

# sse_events FILE: the whole events in FILE (an event ends at a blank line)
# as a JSON array of {event, id, data}; id is null when the event had none,
# data is the parsed JSON. Comments and retry fields are left out; a
# partial last event (a stream cut off) too.
sse_events() {
    awk '
        { sub(/\r$/, "") }
        /^:/ { next }
        /^$/ { if (have) printf "%s\t%s\t%s\n", ev, id, data
               ev = ""; id = ""; data = ""; have = 0; next }
        /^event: / { ev = substr($0, 8); have = 1; next }
        /^id: / { id = substr($0, 5); have = 1; next }
        /^data: / { data = data substr($0, 7); have = 1; next }
    ' "$1" | jq -R -s '
        split("\n") | map(select(length > 0) | split("\t")
          | {event: .[0], id: (if .[1] == "" then null else .[1] end), data: (.[2] | fromjson)})'
}

# sse_framing_ok FILE: each line is "event: ", "id: ", "data: " or
# "retry: " with a value, a comment, or blank; events are separated by one
# blank line and the stream ends with one; every data line is one JSON
# value.
sse_framing_ok() {
    awk '
        { sub(/\r$/, "") }
        /^(event|id|retry): [^ ]/ { blank = 0; next }
        /^data: [[{]/ { blank = 0; next }
        /^: / { blank = 0; next }
        /^$/ { if (blank || NR == 1) bad = 1; blank = 1; next }
        { bad = 1 }
        END { exit (bad || !blank) }
    ' "$1"
}

# sse_wait_for FILE ERE COUNT: wait (bounded) until FILE has COUNT lines
# matching ERE; returns 1 on timeout.
sse_wait_for() {
    _sw_deadline=$(($(now) + $(scaled 120)))
    while [ "$(grep -c -E -- "$2" "$1" 2>/dev/null || true)" -lt "$3" ]; do
        [ "$(now)" -le "$_sw_deadline" ] || return 1
        sleep 0.1
    done
}
