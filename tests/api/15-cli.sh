#!/bin/sh
# The command line and the config file: --help, --version, exit statuses,
# precedence of the command line over the file, SIGINT.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$ANASD" ] || bail "anasd not found at '$ANASD' (set ANASD)"

run_anasd --help
is "$RUN_STATUS" 0 "--help exits 0"
missing=
for o in --config --listen --db --workers --max-runs --max-queued --max-body \
    --token-file --data-root --model-root --log-level --help --version; do
    grep -q -- "$o" "$RUN_OUT" || missing="$missing $o"
done
is "$missing" "" "--help lists every option"

run_anasd --version
is "$RUN_STATUS" 0 "--version exits 0"
like "$(cat "$RUN_OUT")" '^anasd [0-9]+\.[0-9]+\.[0-9]+' "--version prints 'anasd X.Y.Z'"

# usage_error DESC ARG...: anasd exits 2 with a message on stderr and never
# listens.
usage_error() {
    _ue_desc=$1
    shift
    run_anasd --db "$tmp/usage.db" "$@"
    if [ "$RUN_STATUS" = 2 ] && [ -s "$RUN_ERR" ] && ! grep -q '^listening on' "$RUN_OUT"; then
        pass "$_ue_desc"
    else
        fail "$_ue_desc"
        diag "  exit status $RUN_STATUS (expected 2); stderr:"
        head -n 5 "$RUN_ERR" | diag_stdin
    fi
}

usage_error "an unknown option exits 2" --no-such-option
usage_error "a stray argument exits 2" --listen 127.0.0.1:0 extra
usage_error "--workers -1 exits 2 (0 is remote workers only)" --listen 127.0.0.1:0 --workers -1
usage_error "--workers abc exits 2" --listen 127.0.0.1:0 --workers abc
usage_error "--listen without a port exits 2" --listen 127.0.0.1
usage_error "--listen with port 70000 exits 2" --listen 127.0.0.1:70000
usage_error "--log-level loud exits 2" --listen 127.0.0.1:0 --log-level loud
usage_error "--model-root on a missing folder exits 2" --listen 127.0.0.1:0 \
    --model-root "$tmp/no-such-dir"
usage_error "a missing --token-file exits 2" --listen 127.0.0.1:0 \
    --token-file "$tmp/no-such-file"
usage_error "a missing --config exits 2" --config "$tmp/no-such.json" --listen 127.0.0.1:0
printf '{"listen": "127.0.0.1:0",' >"$tmp/broken.json"
usage_error "a config file that is not JSON exits 2" --config "$tmp/broken.json"
printf '{"listen": "127.0.0.1:0", "colour": "blue"}' >"$tmp/unknown.json"
usage_error "a config file with an unknown key exits 2" --config "$tmp/unknown.json"
printf '{"listen": "127.0.0.1:0", "workers": "many"}' >"$tmp/badtype.json"
usage_error "a config file with a wrong type exits 2" --config "$tmp/badtype.json"

# The config file applies, and the command line overrides it: max_body 2048
# from the file rejects a 3000-byte body, --max-body 8192 accepts it.
mkdir "$tmp/models"
cat >"$tmp/conf.json" <<EOF
{"listen": "127.0.0.1:8", "workers": 3, "max_runs": 1, "max_queued": 5,
 "max_body": 2048, "model_roots": ["$tmp/models"], "log_level": "warn"}
EOF
pad=$(printf '%03000d' 0)
big='{"n": 1, "seed": 1, "input": [3, 32, 32], "classes": 10, "x": "'$pad'"}'

start_anasd --config "$tmp/conf.json"
ok "--listen on the command line overrides the file's listen" \
    test "${URL##*:}" != 8
req GET /api/v1/health
jis .workers 2 "--workers on the command line overrides the file's workers"
req POST /api/v1/spaces/resnet/sample "$big"
problem_is 413 ANAS_ETOOBIG '' "max_body from the config file applies (413)"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"

start_anasd --config "$tmp/conf.json" --max-body 8192
req POST /api/v1/spaces/resnet/sample "$big"
ok "--max-body overrides the config file (no 413)" test "$STATUS" != 413
# SIGINT stops it as gracefully as SIGTERM.
kill -INT "$ANASD_PID"
deadline=$(($(now) + $(scaled 15)))
while alive "$ANASD_PID" && [ "$(now)" -le "$deadline" ]; do sleep 0.1; done
if alive "$ANASD_PID"; then
    fail "anasd stops on SIGINT"
    stop_anasd
else
    st=0
    wait "$ANASD_PID" || st=$?
    ANASD_PID=
    is "$st" 0 "anasd stops on SIGINT with status 0"
fi
done_testing
