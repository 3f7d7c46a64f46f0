#!/bin/sh
# anasctl against a real anasd: every command (tables and --json), every
# exit code, gates passing and failing, --follow seeing each evaluation
# once, the progress bar on a terminal and plain lines in a pipe, the token
# from the environment and from the config file.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

: "${ANASCTL:=$(dirname "$ANASD")/../clients/anasctl/anasctl}"
[ -x "$ANASCTL" ] || bail "anasctl not found at '$ANASCTL' (set ANASCTL)"
command -v script >/dev/null || skip_all "script (util-linux) is not installed"

# Searches long enough to be followed while they run (smaller under valgrind,
# which slows the daemon as much).
if [ -n "$ANASD_WRAPPER" ]; then NFOLLOW=800 NBAR=600; else NFOLLOW=3000 NBAR=2000; fi

TOKEN=anasctl-s3cret-token
printf '%s\n' "$TOKEN" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
start_anasd --token-file "$tmp/tokens"
AUTH_TOKEN=$TOKEN # req (lib.sh) sends it

# ctl ARG...: anasctl (under the test wrapper: valgrind too) with no config
# file; CTL_RC, CTL_OUT, CTL_ERR (files) and $OUT.
export XDG_CONFIG_HOME="$tmp/noconfig"
unset ANASD_URL ANASD_TOKEN
ctl() {
    CTL_RC=0
    CTL_OUT=$tmp/ctl.out
    CTL_ERR=$tmp/ctl.err
    # shellcheck disable=SC2086 # the wrapper is a command line
    timeout -k 5 "$(scaled 120)" $ANASD_WRAPPER "$ANASCTL" "$@" >"$CTL_OUT" 2>"$CTL_ERR" ||
        CTL_RC=$?
    OUT=$(cat "$CTL_OUT")
}
rc_is() {
    if [ "$CTL_RC" = "$1" ]; then pass "$2"; else
        fail "$2"
        diag "  exit status $CTL_RC, expected $1; stdout, stderr:"
        head -c 1500 "$CTL_OUT" | diag_stdin
        head -c 1500 "$CTL_ERR" | diag_stdin
    fi
}

# --- usage, version, help: 64 and 0 --------------------------------------
ctl --version
rc_is 0 "--version exits 0"
like "$OUT" '^anasctl [0-9]+\.[0-9]+\.[0-9]+$' "--version prints the version"
ctl --help
rc_is 0 "--help exits 0"
like "$OUT" 'Exit status: 0 done' "--help documents the exit codes"
_wrapper=$ANASD_WRAPPER
ANASD_WRAPPER= # valgrind has seen --help above
for c in submit list status wait results best pareto evaluations export model cancel delete \
    spaces presets health; do
    ctl "$c" --help
    if [ "$CTL_RC" != 0 ] || ! grep -q "^Usage: anasctl $c " "$CTL_OUT"; then break; fi
done
ANASD_WRAPPER=$_wrapper
rc_is 0 "every command has its --help (the last: $c)"
ctl
rc_is 64 "no command is a usage error (64)"
ctl frobnicate
rc_is 64 "an unknown command is 64"
like "$(cat "$CTL_ERR")" "unknown command: frobnicate" "... and says so"
ctl --url "$URL" status abc
rc_is 64 "a run id that is not a number is 64"
ctl --url "$URL" status 1 --follow
rc_is 64 "an option of another command is 64"
ctl --url "$URL" wait 1 --fail-over params
rc_is 64 "a gate without =VALUE is 64"
like "$(cat "$CTL_ERR")" "--fail-over: 'params' is not METRIC=VALUE" "... and names the gate"
ctl --url "$URL" wait 1 --timeout -3
rc_is 64 "a negative --timeout is 64"
ctl --url "$URL" submit "$tmp/no-such-spec.json"
rc_is 64 "an unreadable spec file is 64"
ctl --url "ftp://x" health
rc_is 64 "a URL that is not http(s) is 64"

# --- unreachable: 3 -------------------------------------------------------
ctl --url http://127.0.0.1:1 health
rc_is 3 "an unreachable server is exit 3"
like "$(cat "$CTL_ERR")" "^error: cannot reach anasd at http://127.0.0.1:1: " "... with a clear error"

# A server that accepts and never answers: --timeout still holds.
if command -v python3 >/dev/null; then
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/mute.port" &
    mute=$!
    until [ -s "$tmp/mute.port" ]; do sleep 0.1; done
    t0=$(now)
    ctl --url "http://127.0.0.1:$(cat "$tmp/mute.port")" wait 1 --timeout 1
    rc_is 3 "a server that never answers: --timeout gives exit 3"
    ok "... within seconds" test $(($(now) - t0)) -le "$(scaled 10)"
    kill "$mute" 2>/dev/null || true
    wait "$mute" 2>/dev/null || true
else
    skip "python3 is not installed: no mute server"
    skip "python3 is not installed: no mute server"
fi

# --- health, spaces, presets; tokens ------------------------------------
ctl --url "$URL" health
rc_is 0 "health needs no token"
like "$OUT" "^ok: anasd [0-9.]+ at $URL, up " "health: one line"
ctl --url "$URL" --json health
is "$(jq -r .status "$CTL_OUT")" ok "health --json is the API's object"

ctl --url "$URL" spaces
rc_is 4 "spaces without a token: exit 4 (anasd refused)"
like "$(cat "$CTL_ERR")" "^error: /api/v1/spaces: 401 ANAS_EAUTH: " "... with the problem's status and code"
ctl --url "$URL" --token wrong-token spaces
if grep -q wrong-token "$CTL_ERR" "$CTL_OUT"; then fail "a token never appears in errors"; else
    pass "a token never appears in errors"; fi

export ANASD_URL="$URL" ANASD_TOKEN="$TOKEN"
ctl spaces
rc_is 0 "ANASD_URL and ANASD_TOKEN from the environment"
req GET /api/v1/spaces
is "$(awk 'NR > 1 { print $1 }' "$CTL_OUT" | tr '\n' ' ')" \
    "$(jb '[.items[].name] | join(" ")') " "spaces: one row per space, in the API's order"
like "$(head -n 1 "$CTL_OUT")" '^NAME +SIZE +HPS +DESCRIPTION$' "spaces has a header"
like "$OUT" 'resnet +773094113280 +22 ' "spaces: resnet's size and hyperparameters"
ctl --json spaces
ok "spaces --json is the API's answer" jq -e --slurpfile a "$BODY_FILE" '. == $a[0]' "$CTL_OUT"
ctl presets
like "$OUT" '^aihwkit-default ' "presets: a row per preset"
ctl --json presets
ok "presets --json has evaluator_defaults" jq -e '.evaluator_defaults.repeats == 5' "$CTL_OUT"

unset ANASD_URL ANASD_TOKEN
mkdir -p "$tmp/xdg/anasctl"
printf '# anasctl\nurl = %s/\ntoken = %s\n' "$URL" "$TOKEN" >"$tmp/xdg/anasctl/config"
chmod 600 "$tmp/xdg/anasctl/config"
XDG_CONFIG_HOME=$tmp/xdg
ctl list
rc_is 0 "url and token from \$XDG_CONFIG_HOME/anasctl/config"
is "$(cat "$CTL_ERR")" "" "... a private config file gets no warning"
chmod 644 "$tmp/xdg/anasctl/config"
ctl list
rc_is 0 "a config file readable by others still works"
like "$(cat "$CTL_ERR")" "warning: .*config holds a token and is readable by others" "... with a warning"
printf 'colour = blue\n' >"$tmp/xdg/anasctl/config"
ctl list
rc_is 64 "an unknown line in the config file is 64"
like "$(cat "$CTL_ERR")" "config:1: expected 'url = ...' or 'token = ...'" "... naming the line"
XDG_CONFIG_HOME=$tmp/noconfig
export ANASD_URL="$URL" ANASD_TOKEN="$TOKEN"

# --- a bad spec: 4, with the field pointer -------------------------------
printf '%s' '{"kind": "search", "space": "resnet", "evaluator": {"kind": "analytic"},
 "optimizer": {"kind": "random", "evaluations": 0}}' >"$tmp/bad.json"
ctl submit "$tmp/bad.json"
rc_is 4 "a bad spec is exit 4"
like "$(cat "$CTL_ERR")" '^error: POST /api/v1/runs: 422 ANAS_ERANGE at /optimizer/evaluations: ' \
    "... showing status, code and the field pointer"
printf '{"kind": ' | ctl submit -
rc_is 4 "bad JSON on stdin is exit 4"
like "$(cat "$CTL_ERR")" '400 ANAS_EFORMAT' "... with ANAS_EFORMAT"

# --- a search, gates passing and failing ----------------------------------
spec() { # spec EVALUATIONS SEED
    printf '%s' '{"kind": "search", "name": "ctl-'"$1"'",
 "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": '"$1"'},
 "objectives": [{"metric": "params", "goal": "min"}],
 "constraints": [{"metric": "params", "max": 200000}], "seed": '"$2"'}'
}
spec 60 3 >"$tmp/s60.json"
ctl submit "$tmp/s60.json" --wait --fail-over params=200000 --fail-under params=1 \
    --junit "$tmp/pass.xml"
rc_is 0 "submit --wait with passing gates: exit 0"
id=$(sed -n 's/^run \([0-9]*\) .*/\1/p' "$CTL_OUT" | head -n 1)
like "$id" '^[0-9]+$' "submit prints the run id"
req GET "/api/v1/runs/$id"
best=$(jb .best.metrics.params)
like "$OUT" "gate passed: params = $best \\(best\\), must be <= 200000" "a passed gate is reported"
ok "the JUnit file: 3 testcases, no failure" grep -q 'tests="3" failures="0" errors="0"' "$tmp/pass.xml"
ctl wait "$id" --fail-over "params=$((best - 1))" --fail-over failed=0 --junit "$tmp/fail.xml"
rc_is 1 "a failing gate: exit 1"
is "$(cat "$CTL_ERR")" "gate failed: params = $best (best), must be <= $((best - 1))" \
    "the failure names the metric, its value and the threshold (and only it)"
ok "the JUnit file carries the failure with value and threshold" \
    grep -q "<failure message=\"params = $best (best), must be &lt;= $((best - 1))\"/>" "$tmp/fail.xml"
ok "... and one failure of three" grep -q 'tests="3" failures="1" errors="0"' "$tmp/fail.xml"
ctl wait "$id" --fail-under hypervolume=0
rc_is 1 "a gate on a number the run does not have fails"
like "$(cat "$CTL_ERR")" "hypervolume has no value" "... saying there is no value"
ctl -q submit "$tmp/s60.json"
rc_is 0 "submit --quiet"
like "$OUT" '^[0-9]+$' "... prints only the id"

# --- every other command, tables and --json ------------------------------
ctl list
like "$(sed -n 2p "$CTL_OUT")" "^[0-9]+ +(queued|running|succeeded) +search +[0-9]+/60 " "list: rows"
ctl list --state succeeded --json
ok "list --state --json: the API's list, filtered" \
    jq -e --argjson id "$id" 'all(.items[]; .state == "succeeded") and any(.items[]; .id == $id)' \
    "$CTL_OUT"
ctl list --state bogus
rc_is 4 "list --state bogus: anasd's 422"
ctl status "$id"
like "$OUT" "state: +succeeded" "status: the state"
like "$OUT" "progress: +60/60" "status: the progress"
ctl -q status "$id"
is "$OUT" succeeded "status --quiet: the state alone"
ctl --json status "$id"
ok "status --json is the run object" jq -e --slurpfile a "$BODY_FILE" '. == $a[0]' "$CTL_OUT"
for c in results best; do
    ctl "$c" "$id"
    like "$OUT" "metrics: +params=$best " "$c: the best's metrics"
done
ctl --json results "$id"
ok "results --json is GET /best" jq -e --argjson p "$best" \
    '.best.metrics.params == $p and .summary.evaluations == 60' "$CTL_OUT"
ctl pareto "$id"
like "$(sed -n 3p "$CTL_OUT")" "^[0-9]+ +0 +[0-9a-f]{16} params=$best$" "pareto: the front's rows"
ctl --json pareto "$id"
ok "pareto --json is the API's front" jq -e '.pareto_size >= 1 and (.items | length) >= 1' "$CTL_OUT"
ctl evaluations "$id"
is "$(($(wc -l <"$CTL_OUT") - 1))" 60 "evaluations: 60 rows and a header"
ctl --json evaluations "$id"
ok "evaluations --json: one item a line, by seq" jq -s -e '[.[].seq] == [range(1; 61)]' "$CTL_OUT"

for f in csv json analognas; do
    ctl export "$id" --format "$f" -o "$tmp/ctl.$f"
    req GET "/api/v1/runs/$id/export?format=$f"
    ok "export --format $f -o FILE is the API's file" cmp -s "$BODY_FILE" "$tmp/ctl.$f"
done
ctl export "$id" --format csv
is "$(head -n 1 "$CTL_OUT" | cut -d, -f1-5)" "seq,rep,hash,state,feasible" "export to stdout"
ctl export "$id" --format xml
rc_is 64 "export --format xml is 64"
ctl model "$id"
rc_is 4 "model of a search run: exit 4"
like "$(cat "$CTL_ERR")" "404 ANAS_ENOTFOUND" "... anasd's 404"

# A train run's weights.
ARCH='{"out_channel0": 8, "M": 1, "R1": 1, "convblock1": 1, "widenfact1": 0.7, "B1": 1}'
printf '%s' '{"kind": "train", "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 32, "test_subset": 16},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 16}, "architecture": '"$ARCH"',
 "seed": 1}' >"$tmp/train.json"
ctl -q submit "$tmp/train.json" --wait --timeout "$(scaled 120)"
rc_is 0 "a train run, submitted and waited for"
tid=$OUT
(cd "$tmp" && ctl model "$tid")
# (curl itself: req would read the binary file into a shell variable)
curl -s -H "Authorization: Bearer $TOKEN" -o "$tmp/model.api" "$URL/api/v1/runs/$tid/model"
ok "model RUN writes run-RUN.safetensors, the API's file" \
    cmp -s "$tmp/model.api" "$tmp/run-$tid.safetensors"
ctl model "$tid" -o "$tmp/m.st"
ok "model -o FILE" cmp -s "$tmp/model.api" "$tmp/m.st"

# --- cancel (a failed run: 2), timeout (3), delete -----------------------
spec 1000000 5 >"$tmp/big.json"
ctl -q submit "$tmp/big.json"
big=$OUT
ctl wait "$big" --timeout 1
rc_is 3 "wait --timeout passing: exit 3"
# (while waiting between two polls, or when a request itself outlives the
# time left: under valgrind the first one may)
like "$(cat "$CTL_ERR")" "^error: timed out (waiting for run $big|\\(--timeout passed\\))" \
    "... saying so"
ctl cancel "$big"
rc_is 0 "cancel"
is "$OUT" "run $big canceled" "cancel says so"
ctl wait "$big"
rc_is 2 "wait on a canceled run: exit 2"
like "$(cat "$CTL_ERR")" "^error: run $big canceled" "... saying so"
ctl cancel "$big"
rc_is 4 "cancel of a finished run: 409, exit 4"
like "$(cat "$CTL_ERR")" "409 ANAS_ESTATE" "... with anasd's code"
ctl delete "$big"
is "$OUT" "run $big deleted" "delete"
ctl status "$big"
rc_is 4 "a deleted run is 404, exit 4"

# --- --follow: each evaluation exactly once ------------------------------
spec "$NFOLLOW" 7 >"$tmp/follow.json"
ctl -q submit "$tmp/follow.json"
fid=$OUT
ctl --json evaluations "$fid" --follow --timeout "$(scaled 120)"
rc_is 0 "evaluations --follow ends with the run"
cp "$CTL_OUT" "$tmp/follow.jsonl"
PAGE=1000 all_evaluations "$fid" "$tmp/all.json"
ok "--follow printed every evaluation exactly once ($NFOLLOW, the API's)" \
    jq -s -e --slurpfile all "$tmp/all.json" --argjson n "$NFOLLOW" \
    '(map(.cursor) | length) == $n and (map(.cursor) | unique | length) == $n and
     (sort_by(.seq) == ($all[0] | sort_by(.seq)))' "$tmp/follow.jsonl"
ok "... in commit order" jq -s -e 'map(.cursor) == (map(.cursor) | sort)' "$tmp/follow.jsonl"
req GET /metrics
like "$(printf '%s\n' "$BODY" |
    grep 'anasd_http_requests_total{.*route="/api/v1/runs/{id}/events"' | head -n 1)" \
    'status="200"' "--follow read the run's event stream"
ctl evaluations "$fid" --follow
is "$(wc -l <"$CTL_OUT" | tr -d ' ')" "$NFOLLOW" "--follow on a finished run: its $NFOLLOW rows"

# --- progress: a bar on a terminal, lines in a pipe ----------------------
spec "$NBAR" 9 >"$tmp/bar.json"
ctl -q submit "$tmp/bar.json"
pid_run=$OUT
script -qec "$ANASD_WRAPPER $ANASCTL wait $pid_run" /dev/null >"$tmp/tty.out" </dev/null 2>&1 ||
    true
ok "on a terminal the bar is redrawn in place (CR, erase line)" \
    grep -q "$(printf '\r')$(printf '\033')\\[K" "$tmp/tty.out"
ok "... showing the bar, done/total and the ETA" \
    grep -Eq "\\[#*\\.*\\] [0-9]+/$NBAR ETA" "$tmp/tty.out"
ok "... and the best so far" \
    grep -Eq "run $pid_run succeeded \\[#{30}\\] $NBAR/$NBAR ETA - best params=[0-9]+" "$tmp/tty.out"
ctl -q submit "$tmp/bar.json"
ctl wait "$OUT"
rc_is 0 "wait in a pipe"
if grep -q "$(printf '\r')" "$CTL_OUT"; then fail "in a pipe: no carriage returns"; else
    pass "in a pipe: no carriage returns"; fi
like "$(tail -n 2 "$CTL_OUT" | head -n 1)" "^run [0-9]+ succeeded $NBAR/$NBAR ETA - best params=[0-9]+$" \
    "in a pipe: plain lines, one per change"
is "$(sort "$CTL_OUT" | uniq -d)" "" "... never the same line twice"

done_testing
