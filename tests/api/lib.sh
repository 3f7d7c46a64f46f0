# tests/api/lib.sh - sourced by every API test (POSIX sh).
#
# A test is TAP on stdout and runs standalone:
#     ANASD=build/daemon/anasd sh tests/api/10-health.sh
#
#     . "$(dirname "$0")/lib.sh"
#     start_anasd --max-runs 1          # sets $URL
#     req GET /api/v1/health            # sets $STATUS, $BODY, $BODY_FILE, $HEADERS
#     is "$STATUS" 200 "health answers"
#     jis .status ok "status is ok"
#     done_testing                      # prints the plan (or call `plan N` first)
#
# Environment: ANASD (the daemon), ANASD_WRAPPER (a command put before it,
# e.g. valgrind; may be empty), ANAS_SRCDIR (the source tree), ANAS_SHARED
# (the project's shared/ folder), ANAS_KEEP_TMP (keep the temporary folder),
# ANAS_TIMEOUT_SCALE (multiply every wait; 10 by default under a wrapper).

# shellcheck disable=SC2034 # variables set here are read by the tests

set -eu

: "${ANAS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${ANAS_SHARED:=$ANAS_SRCDIR/../shared}"
: "${ANASD_WRAPPER:=}"
if [ -z "${ANASD:-}" ]; then
    for _c in "$ANAS_SRCDIR/daemon/anasd" "$ANAS_SRCDIR/build/daemon/anasd"; do
        if [ -x "$_c" ]; then ANASD=$_c; break; fi
    done
    : "${ANASD:=$ANAS_SRCDIR/daemon/anasd}"
fi
if [ -n "$ANASD_WRAPPER" ]; then
    : "${ANAS_TIMEOUT_SCALE:=10}"
else
    : "${ANAS_TIMEOUT_SCALE:=1}"
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

_tap_n=0
_tap_fail=0
_tap_plan=
ANASD_PID=
ANASD_STATUS=0
ANASD_OUT=
ANASD_ERR=
_anasd_starts=0
URL=
STATUS=
BODY=
AUTH_TOKEN=${AUTH_TOKEN:-}

# --- TAP -------------------------------------------------------------------

plan() {
    _tap_plan=$1
    echo "1..$1"
}

diag() {
    printf '%s\n' "$@" | sed 's/^/# /'
}

pass() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1"
}

fail() {
    _tap_n=$((_tap_n + 1))
    _tap_fail=$((_tap_fail + 1))
    echo "not ok $_tap_n - $1"
}

# ok DESC COMMAND [ARG...]: passes when the command succeeds.
ok() {
    _ok_desc=$1
    shift
    if "$@" >/dev/null; then pass "$_ok_desc"; else fail "$_ok_desc"; fi
}

# is GOT EXPECTED DESC
is() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "  got:      '$1'" "  expected: '$2'"
    fi
}

# like GOT ERE DESC: GOT matches the extended regular expression.
like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        pass "$3"
    else
        fail "$3"
        diag "  got:      '$1'" "  expected to match: $2"
    fi
}

skip() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n # SKIP $*"
}

skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

bail() {
    echo "Bail out! $*"
    exit 1
}

# The plan at the end when none was given first; exit status 1 on failures.
done_testing() {
    if [ -z "$_tap_plan" ]; then
        echo "1..$_tap_n"
    elif [ "$_tap_plan" -ne "$_tap_n" ]; then
        diag "planned $_tap_plan tests but ran $_tap_n"
        _tap_fail=$((_tap_fail + 1))
    fi
    if [ "$_tap_fail" -gt 0 ]; then
        diag "$_tap_fail of $_tap_n failed"
        exit 1
    fi
    exit 0
}

# --- the temporary folder and clean-up --------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/anasd-api.XXXXXX")
tmp=$(cd "$tmp" && pwd -P) # model roots are compared after realpath

_cleanup() {
    _rc=$?
    trap - EXIT
    if [ -n "$ANASD_PID" ]; then
        stop_anasd
        if [ "$ANASD_STATUS" -ne 0 ]; then
            echo "Bail out! anasd exited with status $ANASD_STATUS when stopped"
            _rc=1
        fi
    fi
    if [ "$_tap_fail" -gt 0 ] || [ "$_rc" -ne 0 ]; then
        anasd_log_tail
    fi
    if [ -n "${ANAS_KEEP_TMP:-}" ]; then
        diag "kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$_rc"
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- time --------------------------------------------------------------------

now() {
    date +%s
}

# scaled SECONDS: a timeout adjusted for slow wrappers (valgrind).
scaled() {
    echo $(($1 * ANAS_TIMEOUT_SCALE))
}

# --- the daemon --------------------------------------------------------------

# The daemon's log: the first sanitizer or valgrind report when there is
# one (its top is what matters), otherwise the last lines.
anasd_log_tail() {
    [ -n "$ANASD_ERR" ] && [ -s "$ANASD_ERR" ] || return 0
    _lt_first=$(grep -n -E 'ERROR: [A-Za-z]+Sanitizer|WARNING: ThreadSanitizer|runtime error:|^==[0-9]+== [A-Z]' \
        "$ANASD_ERR" | head -n 1 | cut -d: -f1)
    if [ -n "$_lt_first" ]; then
        diag "$ANASD_ERR from line $_lt_first:"
        sed -n "$_lt_first,$((_lt_first + 40))p" "$ANASD_ERR" | diag_stdin
    else
        diag "last lines of $ANASD_ERR:"
        tail -n 25 "$ANASD_ERR" | diag_stdin
    fi
}

diag_stdin() {
    sed 's/^/#   /'
}

# Is the process alive (not a zombie)?
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/stat" ]; then
        _st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
        [ "$_st" != Z ] || return 1
    fi
    return 0
}

# start_anasd [ARG...]: start anasd on a free loopback port with the database
# $ANASD_DB (default $tmp/anasd.db); sets URL and ANASD_PID.
start_anasd() {
    [ -x "$ANASD" ] || bail "anasd not found at '$ANASD' (set ANASD)"
    command -v curl >/dev/null || bail "curl is not installed"
    command -v jq >/dev/null || bail "jq is not installed"
    _anasd_starts=$((_anasd_starts + 1))
    ANASD_OUT=$tmp/anasd.$_anasd_starts.out
    ANASD_ERR=$tmp/anasd.$_anasd_starts.err
    : >"$ANASD_OUT"
    # shellcheck disable=SC2086 # the wrapper is a command line
    $ANASD_WRAPPER "$ANASD" --listen 127.0.0.1:0 --db "${ANASD_DB:-$tmp/anasd.db}" \
        --workers 2 "$@" >"$ANASD_OUT" 2>"$ANASD_ERR" &
    ANASD_PID=$!
    ANASD_STATUS=0
    _deadline=$(($(now) + $(scaled 20)))
    URL=
    while [ -z "$URL" ]; do
        URL=$(sed -n 's|^listening on \(http://[^ ]*\)$|\1|p' "$ANASD_OUT" | head -n 1)
        [ -z "$URL" ] || break
        if ! alive "$ANASD_PID"; then
            wait "$ANASD_PID" || ANASD_STATUS=$?
            ANASD_PID=
            bail "anasd exited with status $ANASD_STATUS before listening"
        fi
        [ "$(now)" -le "$_deadline" ] || bail "anasd did not print 'listening on' in time"
        sleep 0.1
    done
    _deadline=$(($(now) + $(scaled 10)))
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/health")" = 200 ]; do
        [ "$(now)" -le "$_deadline" ] || bail "GET $URL/api/v1/health did not answer 200"
        sleep 0.1
    done
}

# stop_anasd: SIGTERM, wait (bounded), then SIGKILL; sets ANASD_STATUS.
stop_anasd() {
    [ -n "$ANASD_PID" ] || return 0
    kill -TERM "$ANASD_PID" 2>/dev/null || true
    _deadline=$(($(now) + $(scaled 15)))
    while alive "$ANASD_PID"; do
        if [ "$(now)" -gt "$_deadline" ]; then
            diag "anasd did not stop within $(scaled 15) s of SIGTERM; sending SIGKILL"
            kill -KILL "$ANASD_PID" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    ANASD_STATUS=0
    wait "$ANASD_PID" || ANASD_STATUS=$?
    ANASD_PID=
}

# run_anasd ARG...: run anasd in the foreground (bounded by timeout) for
# options that should make it exit; sets RUN_STATUS, RUN_OUT and RUN_ERR
# (files). No defaults are added.
run_anasd() {
    RUN_OUT=$tmp/run.out
    RUN_ERR=$tmp/run.err
    RUN_STATUS=0
    # shellcheck disable=SC2086 # the wrapper is a command line
    timeout -k 5 "$(scaled 20)" $ANASD_WRAPPER "$ANASD" "$@" >"$RUN_OUT" 2>"$RUN_ERR" </dev/null ||
        RUN_STATUS=$?
}

kill9_anasd() {
    [ -n "$ANASD_PID" ] || return 0
    kill -KILL "$ANASD_PID" 2>/dev/null || true
    wait "$ANASD_PID" || true
    ANASD_PID=
    ANASD_STATUS=0
}

# --- requests ----------------------------------------------------------------

# req METHOD PATH [BODY]: BODY is JSON text, or @FILE. Sets STATUS (000 when
# the connection failed), BODY, BODY_FILE and HEADERS. REQ_CT overrides the
# Content-Type; AUTH_TOKEN, when set, is sent as a bearer token.
req() {
    _r_method=$1
    _r_path=$2
    BODY_FILE=$tmp/resp.body
    HEADERS=$tmp/resp.headers
    : >"$BODY_FILE"
    : >"$HEADERS"
    if [ $# -ge 3 ]; then
        case $3 in
        @*) _r_data=$3 ;;
        *)
            printf '%s' "$3" >"$tmp/req.body"
            _r_data=@$tmp/req.body
            ;;
        esac
        set -- --data-binary "$_r_data" -H "Content-Type: ${REQ_CT:-application/json}"
    else
        set --
    fi
    if [ -n "$AUTH_TOKEN" ]; then
        set -- "$@" -H "Authorization: Bearer $AUTH_TOKEN"
    fi
    STATUS=$(curl -s -g -X "$_r_method" -o "$BODY_FILE" -D "$HEADERS" -w '%{http_code}' \
        --max-time "$(scaled 60)" "$@" "$URL$_r_path" 2>"$tmp/curl.err") || true
    [ -n "$STATUS" ] || STATUS=000
    BODY=$(cat "$BODY_FILE")
}

# header NAME: the value of a response header (last one wins), without CR.
header() {
    tr -d '\r' <"$HEADERS" | awk -v want="$1" '
        { i = index($0, ":")
          if (i > 1 && tolower(substr($0, 1, i - 1)) == tolower(want)) {
              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v); val = v } }
        END { print val }'
}

# jb FILTER [JQ-ARG...]: jq -r over the last response body.
jb() {
    _jb_f=$1
    shift
    jq -r "$@" "$_jb_f" "$BODY_FILE" 2>/dev/null
}

# jis FILTER EXPECTED DESC
jis() {
    is "$(jb "$1")" "$2" "$3"
}

# jok DESC [JQ-OPTION...] FILTER: jq -e FILTER is true on the last body.
jok() {
    _jok_desc=$1
    shift
    if jq -e "$@" "$BODY_FILE" >/dev/null 2>&1; then
        pass "$_jok_desc"
    else
        fail "$_jok_desc"
        _jok_f=
        eval "_jok_f=\${$#}"
        diag "  jq -e '$_jok_f' was false on ($STATUS):"
        printf '%s\n' "$BODY" | cut -c1-800 | head -n 20 | diag_stdin
    fi
}

# status_is CODE DESC
status_is() {
    if [ "$STATUS" = "$1" ]; then
        pass "$2"
    else
        fail "$2"
        diag "  status $STATUS, expected $1; body:"
        printf '%s\n' "$BODY" | cut -c1-800 | head -n 20 | diag_stdin
    fi
}

# problem_is STATUS CODE FIELD DESC: one test that the last response is an
# RFC 9457 problem with that status, code and field. CODE may list
# alternatives (A|B) or be '-' for any ANAS_E* code; FIELD '-': not checked,
# '': must be absent.
problem_is() {
    _pi_why=
    [ "$STATUS" = "$1" ] || _pi_why="$_pi_why status $STATUS;"
    case $(header Content-Type) in
    application/problem+json*) ;;
    *) _pi_why="$_pi_why content-type '$(header Content-Type)';" ;;
    esac
    if ! jq -e --argjson s "$1" --arg c "$2" \
        '.status == $s and (.title | type) == "string" and (.detail | type) == "string" and
         (if $c == "-" then (.code | test("^ANAS_E[A-Z]+$"))
          else (.code | IN($c | split("|")[])) end)' \
        "$BODY_FILE" >/dev/null 2>&1; then
        _pi_why="$_pi_why body status/code/title/detail;"
    fi
    case $3 in
    -) ;;
    '') jq -e 'has("field") | not' "$BODY_FILE" >/dev/null 2>&1 ||
        _pi_why="$_pi_why unexpected field;" ;;
    *) jq -e --arg f "$3" '.field == $f' "$BODY_FILE" >/dev/null 2>&1 ||
        _pi_why="$_pi_why field is not $3;" ;;
    esac
    if [ -z "$_pi_why" ]; then
        pass "$4"
    else
        fail "$4"
        diag "  expected $1 $2 ${3:-(no field)}; wrong:$_pi_why body:"
        printf '%s\n' "$BODY" | cut -c1-800 | head -n 20 | diag_stdin
    fi
}

# post_run SPEC: POST /api/v1/runs; sets RUN_ID on 201.
post_run() {
    req POST /api/v1/runs "$1"
    RUN_ID=
    if [ "$STATUS" = 201 ]; then
        RUN_ID=$(jb .id)
    fi
}

# wait_run ID [TIMEOUT]: poll until succeeded, failed or canceled; the last
# body is the run object. Returns 1 on timeout.
wait_run() {
    _wr_id=$1
    _wr_deadline=$(($(now) + $(scaled "${2:-60}")))
    while :; do
        req GET "/api/v1/runs/$_wr_id"
        if [ "$STATUS" = 200 ]; then
            case $(jb .state) in
            succeeded | failed | canceled) return 0 ;;
            esac
        fi
        if [ "$(now)" -gt "$_wr_deadline" ]; then
            diag "wait_run $_wr_id: still '$(jb .state)' (status $STATUS) after ${2:-60} s"
            return 1
        fi
        sleep 0.2
    done
}

# all_evaluations ID FILE [QUERY]: every evaluation of a run, following
# next_after in pages of $PAGE (default 97), as one JSON array in FILE.
# Returns 1 when a page fails or the pages do not advance.
all_evaluations() {
    _ae_id=$1
    _ae_out=$2
    _ae_q=${3:-}
    _ae_after=
    echo '[]' >"$_ae_out"
    while :; do
        req GET "/api/v1/runs/$_ae_id/evaluations?limit=${PAGE:-97}${_ae_after:+&after=$_ae_after}$_ae_q"
        [ "$STATUS" = 200 ] || return 1
        jq -s '.[0] + .[1].items' "$_ae_out" "$BODY_FILE" >"$_ae_out.new" || return 1
        mv "$_ae_out.new" "$_ae_out"
        _ae_next=$(jb .next_after)
        [ "$_ae_next" != null ] && [ -n "$_ae_next" ] || return 0
        [ "$_ae_next" != "$_ae_after" ] || return 1
        _ae_after=$_ae_next
    done
}

# The AnalogNAS tutorial's best architecture, as AnalogNAS_Tutorial.ipynb
# prints it ("Best architecture:").
TUTORIAL_BEST='{"out_channel0": 12, "M": 4, "R1": 3, "R2": 2, "R3": 0, "R4": 3, "R5": 0,
 "convblock1": 1, "widenfact1": 0.6678630624951394, "B1": 3,
 "convblock2": 2, "widenfact2": 0.7645261432799274, "B2": 1,
 "convblock3": 2, "widenfact3": 0.6605427081799845, "B3": 1,
 "convblock4": 1, "widenfact4": 0.5282750895121485, "B4": 2,
 "convblock5": 0, "widenfact5": 0, "B5": 0}'

RESNET_HPS='out_channel0 M R1 R2 R3 R4 R5 convblock1 widenfact1 B1 convblock2 widenfact2 B2 convblock3 widenfact3 B3 convblock4 widenfact4 B4 convblock5 widenfact5 B5'
