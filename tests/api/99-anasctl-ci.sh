#!/bin/sh
# The CI templates (clients/ci/github-actions.yml, gitlab-ci.yml) run as
# written: their anas-ci.sh steps, in order, against a real anasd (started
# by the steps, or reached by URL), with a gate passing and one failing;
# the export, the JUnit report and a train run's model are kept.
# shellcheck disable=SC2317,SC2119 # functions run from traps and tests
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

: "${ANASCTL:=$(dirname "$ANASD")/../clients/anasctl/anasctl}"
[ -x "$ANASCTL" ] || bail "anasctl not found at '$ANASCTL' (set ANASCTL)"
export ANASD ANASCTL
CI=$ANAS_SRCDIR/clients/ci
unset ANASD_URL ANASD_TOKEN
export XDG_CONFIG_HOME="$tmp/noconfig"

# An anasd a step started is stopped even when the test fails midway.
_ci_kill() {
    for p in "$tmp"/*/anas-ci/anasd.pid; do
        [ -s "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null
    done
    return 0
}
# shellcheck disable=SC2154 # _rc0 is set inside the trap
trap '_rc0=$?; _ci_kill; (exit $_rc0); _cleanup' EXIT

steps_of() {
    sed -n 's|^ *run: sh clients/ci/anas-ci.sh \([a-z]*\)$|\1|p' "$1"
}

# GitHub Actions: each `run: sh clients/ci/anas-ci.sh STEP` is a step of its
# own shell; the `if: always()` ones run whatever the gate said.
# CASE GATES [SPEC [URL]]: the template's variables for one case, in a subshell.
job_env() {
    export ANAS_GATES="$2" ANAS_SPEC="${3:-$tmp/search.json}"
    if [ -n "${4:-}" ]; then export ANASD_URL="$4"; fi
}

github() { # github CASE GATES [SPEC [URL]]: the gate step's status in GATE_RC
    mkdir -p "$tmp/$1"
    GATE_RC=
    # shellcheck disable=SC2013 # the steps are single words
    for step in $(steps_of "$CI/github-actions.yml"); do
        rc=0
        (job_env "$@" && cd "$tmp/$1" && sh "$CI/anas-ci.sh" "$step") >>"$tmp/$1/log" 2>&1 ||
            rc=$?
        case $step in run) GATE_RC=$rc ;; *) [ "$rc" = 0 ] || diag "$1: step $step: $rc" ;; esac
    done
}

# GitLab: the script's lines, in order, in one shell (as the runner does).
gitlab() { # gitlab CASE GATES [SPEC [URL]]: the job's status in GATE_RC
    mkdir -p "$tmp/$1"
    awk '/^  script:/ { on = 1; next } on && /^    - / { sub(/^    - /, ""); print; next }
         on { exit }' "$CI/gitlab-ci.yml" |
        sed "s|sh clients/ci/anas-ci.sh|sh '$CI/anas-ci.sh'|" >"$tmp/$1/job.sh"
    GATE_RC=0
    (job_env "$@" && cd "$tmp/$1" && sh ./job.sh) >"$tmp/$1/log" 2>&1 || GATE_RC=$?
}

ok "the templates' default spec exists" test -f \
    "$ANAS_SRCDIR/$(sed -n 's/^ *ANAS_SPEC: //p' "$CI/github-actions.yml")"
is "$(sed -n 's/^ *ANAS_SPEC: //p' "$CI/gitlab-ci.yml")" \
    "$(sed -n 's/^ *ANAS_SPEC: //p' "$CI/github-actions.yml")" "both templates default to one spec"
is "$(steps_of "$CI/github-actions.yml" | tr '\n' ' ')" \
    "start run artifacts stop " "GitHub: start, run, artifacts, stop"

printf '%s' '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 40},
 "objectives": [{"metric": "params", "goal": "min"}],
 "constraints": [{"metric": "params", "max": 200000}], "seed": 3}' >"$tmp/search.json"
printf '%s' '{"kind": "train", "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
 "dataset": {"name": "synthetic", "train_subset": 32, "test_subset": 16},
 "evaluator": {"kind": "train", "epochs": 1, "batch_size": 16},
 "architecture": {"out_channel0": 8, "M": 1, "R1": 1, "convblock1": 1, "widenfact1": 0.7, "B1": 1},
 "seed": 1}' >"$tmp/train.json"
ANAS_TIMEOUT=$(scaled 120)
export ANAS_CI_DIR=anas-ci ANAS_TIMEOUT

# GitHub, its own anasd, a passing gate.
github gh-pass "--fail-over params=200000 --fail-over failed=0"
is "$GATE_RC" 0 "GitHub, gate passing: the run step succeeds"
d=$tmp/gh-pass/anas-ci
ok "... the export is kept (JSON, 40 evaluations)" jq -e '(.evaluations | length) == 40' "$d/run-1.json"
ok "... and as CSV" grep -q '^seq,rep,hash,state,feasible,' "$d/run-1.csv"
ok "... the JUnit report: passed" grep -q 'tests="3" failures="0" errors="0"' "$d/junit.xml"
ok "... no model for a search" test ! -e "$d/run-1.safetensors"
stopped() { # stopped LOG: the anasd the stop step reported is gone
    _p=$(sed -n 's/^anas-ci: anasd \([0-9]*\) stopped$/\1/p' "$1")
    [ -n "$_p" ] && [ ! -e "$(dirname "$1")/anas-ci/anasd.pid" ] && ! alive "$_p"
}
ok "... the stop step stopped anasd" stopped "$tmp/gh-pass/log"

# GitHub, reaching an anasd by URL, a failing gate.
start_anasd
github gh-fail "--fail-over params=10" "$tmp/search.json" "$URL"
is "$GATE_RC" 1 "GitHub, anasd by URL, gate failing: the run step exits 1"
d=$tmp/gh-fail/anas-ci
like "$(cat "$tmp/gh-fail/log")" "gate failed: params = [0-9]+ \\(best\\), must be <= 10" \
    "... its log says which gate, the value and the threshold"
ok "... the results are still collected" test -s "$d/run-1.json"
ok "... the JUnit report has the failure" grep -q '<failure message="params = ' "$d/junit.xml"
ok "... the steps started no anasd" test ! -e "$d/anasd.pid"
ok "... and used the one given" alive "$ANASD_PID"

# GitLab, a train run (its model kept), gate passing.
gitlab gl-pass "--fail-over params=1000000" "$tmp/train.json"
is "$GATE_RC" 0 "GitLab, gate passing: the job succeeds"
d=$tmp/gl-pass/anas-ci
ok "... the train run's model is kept" test -s "$d/run-1.safetensors"
ok "... and its export" jq -e '.run.kind == "train"' "$d/run-1.json"
ok "... the JUnit report" grep -q 'failures="0"' "$d/junit.xml"
ok "... anasd was stopped" stopped "$tmp/gl-pass/log"

# GitLab, gate failing: the job fails, after collecting and stopping.
gitlab gl-fail "--fail-under params=100000000"
is "$GATE_RC" 1 "GitLab, gate failing: the job exits 1"
d=$tmp/gl-fail/anas-ci
like "$(cat "$tmp/gl-fail/log")" "gate failed: params = [0-9]+ \\(best\\), must be >= 100000000" \
    "... its log names the gate"
ok "... the results are collected anyway" test -s "$d/run-1.csv"
ok "... anasd was stopped anyway" stopped "$tmp/gl-fail/log"

done_testing
