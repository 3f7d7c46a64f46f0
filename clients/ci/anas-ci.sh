#!/bin/sh
# anas-ci.sh STEP - the shell steps of the CI templates (github-actions.yml,
# gitlab-ci.yml): a search as a CI job, gated on its results.
#
#   start      start anasd on a free loopback port, unless ANASD_URL names one
#   run        submit $ANAS_SPEC, wait with $ANAS_GATES; exits as anasctl wait
#              (0 passed, 1 a gate failed, 2 run failed, 3 unreachable/timeout)
#   artifacts  the run's export (JSON and CSV), its JUnit report and, for a
#              train run, its model, in $ANAS_CI_DIR
#   stop       stop the anasd that start started
#
# Environment: ANAS_SPEC (the run spec, a file), ANAS_GATES (anasctl gate
# options, e.g. "--fail-over params=100000"), ANAS_TIMEOUT (seconds,
# default 3600), ANAS_CI_DIR (state and artifacts, default anas-ci),
# ANASD_URL and ANASD_TOKEN (an anasd to use instead of starting one; the
# token is read by anasctl from the environment, never put on a command
# line), ANASD and ANASCTL (the programs, default from PATH), ANASD_ARGS
# (more anasd options for start).
set -eu

dir=${ANAS_CI_DIR:-anas-ci}
anasd=${ANASD:-anasd}
anasctl=${ANASCTL:-anasctl}
mkdir -p "$dir"

url() {
    if [ -n "${ANASD_URL:-}" ]; then
        echo "$ANASD_URL"
    elif [ -s "$dir/url" ]; then
        cat "$dir/url"
    else
        echo "anas-ci: no anasd: set ANASD_URL or run the start step first" >&2
        exit 3
    fi
}

start() {
    if [ -n "${ANASD_URL:-}" ]; then
        "$anasctl" --url "$ANASD_URL" health
        return
    fi
    # shellcheck disable=SC2086 # ANASD_ARGS is a list of options
    "$anasd" --listen 127.0.0.1:0 --db "$dir/anasd.db" ${ANASD_ARGS:-} \
        >"$dir/anasd.out" 2>"$dir/anasd.log" &
    echo $! >"$dir/anasd.pid"
    i=0
    while ! grep -q '^listening on ' "$dir/anasd.out"; do
        i=$((i + 1))
        if [ "$i" -gt 200 ] || ! kill -0 "$(cat "$dir/anasd.pid")" 2>/dev/null; then
            echo "anas-ci: anasd did not start; its log:" >&2
            cat "$dir/anasd.log" >&2
            exit 3
        fi
        sleep 0.1
    done
    sed -n 's|^listening on \(http://[^ ]*\)$|\1|p' "$dir/anasd.out" | head -n 1 >"$dir/url"
    "$anasctl" --url "$(cat "$dir/url")" health
}

run() {
    : "${ANAS_SPEC:?set ANAS_SPEC to a run spec file}"
    u=$(url)
    "$anasctl" --url "$u" --quiet submit "$ANAS_SPEC" >"$dir/run-id"
    id=$(cat "$dir/run-id")
    echo "anas-ci: run $id submitted to $u"
    # shellcheck disable=SC2086 # ANAS_GATES is a list of options
    "$anasctl" --url "$u" wait "$id" --timeout "${ANAS_TIMEOUT:-3600}" \
        --junit "$dir/junit.xml" ${ANAS_GATES:-}
}

artifacts() {
    [ -s "$dir/run-id" ] || { echo "anas-ci: no run was submitted" >&2; exit 0; }
    u=$(url)
    id=$(cat "$dir/run-id")
    "$anasctl" --url "$u" export "$id" --format json -o "$dir/run-$id.json"
    "$anasctl" --url "$u" export "$id" --format csv -o "$dir/run-$id.csv"
    kind=$("$anasctl" --url "$u" status "$id" --json | sed -n 's/^  "kind": "\(.*\)",$/\1/p')
    if [ "$kind" = train ]; then
        "$anasctl" --url "$u" model "$id" -o "$dir/run-$id.safetensors"
    fi
}

stop() {
    [ -s "$dir/anasd.pid" ] || return 0
    pid=$(cat "$dir/anasd.pid")
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 150 ]; do
        i=$((i + 1))
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "anas-ci: anasd $pid did not stop in 15 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/anasd.pid" "$dir/url"
    echo "anas-ci: anasd $pid stopped"
}

case ${1:-} in
start | run | artifacts | stop) "$1" ;;
*)
    echo "usage: anas-ci.sh start|run|artifacts|stop" >&2
    exit 64
    ;;
esac
