#!/bin/sh
# run.sh - `make fuzz` and `make fuzz-merge` (tests/fuzz/fuzz.mk), from the
# build tree of a --enable-fuzzing configuration.
#
#   run.sh fuzz SECONDS SRCDIR TARGET...   each target SECONDS seconds, one
#       at a time; new inputs go to fuzz-out/TARGET/corpus, crashes to
#       fuzz-out/TARGET/ (crash-*, leak-*, timeout-*), the log to
#       fuzz-out/TARGET/log; the seed corpus is read, never written. Ends
#       with one summary line per target; exit 1 when any crashed.
#   run.sh merge 0 SRCDIR TARGET...        add the inputs of fuzz-out/ that
#       raise coverage to SRCDIR/tests/fuzz/corpus/TARGET (libFuzzer -merge=1).
set -u
mode=$1 seconds=$2 srcdir=$3
shift 3
summary=
failed=0
for t in "$@"; do
    bin=tests/fuzz/fuzz-$t
    seeds=$srcdir/tests/fuzz/corpus/$t
    out=fuzz-out/$t
    dict=
    [ -f "$srcdir/tests/fuzz/$t.dict" ] && dict=-dict=$srcdir/tests/fuzz/$t.dict
    mkdir -p "$out/corpus"
    if [ "$mode" = merge ]; then
        "$bin" -merge=1 $dict "$seeds" "$out/corpus" >"$out/merge.log" 2>&1 ||
            { echo "fuzz-$t: merge failed (see $out/merge.log)"; failed=1; }
        continue
    fi
    echo "fuzz-$t: ${seconds}s"
    # -rss_limit_mb: a run spec may legitimately ask for big buffers only
    # when it runs, and nothing runs here; 2 GB catches runaway growth.
    ANAS_SRCDIR=$srcdir OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        "$bin" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix="$out/" $dict "$out/corpus" "$seeds" \
        >"$out/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$out/log" | grep ' cov: ' | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    crashes=$(find "$out" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' \
        -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes="? (exit $rc, see $out/log)"
    [ "$rc" -ne 0 ] && failed=1
    line="fuzz-$t: execs ${execs:-?} (${speed:-?}/s) cov ${cov:-?} ft ${ft:-?} corp ${corp:-?} crashes $crashes"
    echo "$line"
    summary="$summary$line
"
done
if [ "$mode" = fuzz ]; then
    echo "--- summary (${seconds}s per target) ---"
    printf '%s' "$summary"
fi
exit $failed
