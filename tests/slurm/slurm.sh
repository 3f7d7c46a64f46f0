#!/bin/sh
# A real Slurm on this machine (Debian's slurmctld, slurmd and munge),
# configured here for localhost in the temporary folder, started and
# stopped by this test: anasd evaluates nothing itself (--workers 0); a
# training search is submitted with packaging/slurm/anas-slurm-submit, which
# starts two anas-workers as a job array; one of them is killed by Slurm in
# the middle of a training (scancel --batch --signal=KILL: no SIGTERM, so
# no release, as when a node is lost); its lease expires and the evaluation
# runs again on the other worker. The run then holds every evaluation once,
# each equal (metrics bit for bit) to the same search evaluated by anasd's
# own threads. The workers end by themselves once idle.
#
# Needs root (slurmd runs jobs as their user) and the packages; skips
# without them. Enabled by configure --enable-slurm-tests.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/../api/lib.sh"

for c in slurmctld slurmd munged sbatch squeue scancel sinfo python3; do
    command -v "$c" >/dev/null || skip_all "$c is not installed (packaging/install-deps)"
done
[ "$(id -u)" = 0 ] || skip_all "slurmd must run as root"
: "${ANAS_WORKER:=$(dirname "$ANASD")/../clients/anas-worker/anas-worker}"
[ -x "$ANAS_WORKER" ] || bail "anas-worker not found at '$ANAS_WORKER' (set ANAS_WORKER)"
export ANAS_WORKER

S=$tmp/slurm
mkdir -p "$S/state" "$S/spool" "$tmp/data"
chmod 700 "$S"
SLURM_CONF=$S/slurm.conf
export SLURM_CONF
MUNGED_PID= CTLD_PID= SLURMD_PID=

slurm_stop() {
    if [ -n "$CTLD_PID" ]; then
        scancel --quiet --full --signal=KILL --user=root 2>/dev/null || true
    fi
    for p in $SLURMD_PID $CTLD_PID; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in $SLURMD_PID $CTLD_PID; do
        _d=$(($(now) + 10))
        while alive "$p" && [ "$(now)" -le "$_d" ]; do sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
    done
    [ -z "$MUNGED_PID" ] || kill -TERM "$MUNGED_PID" 2>/dev/null || true
}
trap '_rc_keep=$?; slurm_stop; (exit $_rc_keep); _cleanup' EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# munge: its own key, socket and files.
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge.key"
munged --force --key-file="$S/munge.key" --socket="$S/munge.socket" \
    --pid-file="$S/munged.pid" --log-file="$S/munged.log" --seed-file="$S/munged.seed" ||
    bail "munged did not start"
MUNGED_PID=$(cat "$S/munged.pid")

NODE=$(hostname -s)
CPUS=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -n 1)
cat >"$SLURM_CONF" <<EOF
ClusterName=anastest
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge.socket
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=2
MinJobAge=5
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=${CPUS:-1} State=UNKNOWN
PartitionName=anas Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
slurmctld -D -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
CTLD_PID=$!
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$S/slurmd.out" 2>&1 &
SLURMD_PID=$!
_deadline=$(($(now) + 20))
until [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; do
    if [ "$(now)" -gt "$_deadline" ]; then
        tail -n 5 "$S/slurmctld.log" "$S/slurmd.log" 2>&1 | diag_stdin
        bail "the Slurm node did not become idle"
    fi
    sleep 0.2
done
pass "slurmctld and slurmd run; node $NODE is idle"

# A training search: each training takes a second or two here.
cat >"$tmp/spec.json" <<'EOF'
{"kind": "search", "space": {"name": "mlp", "input": [1, 28, 28], "classes": 10},
 "dataset": {"name": "synthetic", "train_subset": 6000, "test_subset": 200},
 "evaluator": {"kind": "train", "epochs": 4, "batch_size": 32},
 "optimizer": {"kind": "random", "evaluations": 8}, "seed": 21}
EOF

start_anasd --workers 0 --lease-timeout 3 --data-root "$tmp/data"
"$ANAS_SRCDIR/packaging/slurm/anas-slurm-submit" --url "$URL" --workers 2 --threads 1 \
    --data-root "$tmp/data" --idle-exit 4 --spec "$tmp/spec.json" \
    --sbatch-script "$ANAS_SRCDIR/packaging/slurm/anas-worker.sbatch" \
    -- --output="$S/worker-%A_%a.out" >"$tmp/submit.out" 2>&1 || true
run=$(sed -n 's/^run //p' "$tmp/submit.out")
job=$(sed -n 's/^job //p' "$tmp/submit.out")
if [ -n "$run" ] && [ -n "$job" ]; then
    pass "anas-slurm-submit submitted the run ($run) and the job array ($job)"
else
    fail "anas-slurm-submit submitted the run and the job array"
    diag_stdin <"$tmp/submit.out"
    bail "no run or no job array"
fi

# A worker in the middle of a training: kill its Slurm task without a word.
victim=
_deadline=$(($(now) + 30))
while [ -z "$victim" ] && [ "$(now)" -le "$_deadline" ]; do
    req GET "/api/v1/runs/$run"
    victim=$(jb '[.progress.evaluating[]? | select(.worker and .batches_done > 0 and .batches_done * 2 < .batches_total)][0] // empty |
                 "\(.worker) \(.seq)"')
    [ -n "$victim" ] || sleep 0.1
done
vworker=${victim% *}
vseq=${victim#* }
[ -n "$victim" ] || bail "no Slurm worker trained anything in 30 s"
pass "a Slurm worker is training evaluation $vseq ($vworker)"
task=${vworker##*-}
scancel --batch --signal=KILL "${job}_$task" || bail "scancel failed"
pass "scancel --batch --signal=KILL ${job}_$task"

# Its lease outlives it until the timeout; then the other worker has it.
_deadline=$(($(now) + 30))
taken=
while [ -z "$taken" ] && [ "$(now)" -le "$_deadline" ]; do
    req GET /api/v1/workers
    taken=$(jb '.items[] | select(.id != $w and .lease.seq == $s) | .id' \
        --arg w "$vworker" --argjson s "$vseq")
    if [ -z "$taken" ]; then
        req GET "/api/v1/runs/$run/evaluations?limit=100"
        # the other worker may have finished it between two looks
        [ "$(jb '[.items[] | select(.seq == $s)] | length' --argjson s "$vseq")" = 1 ] &&
            taken=done
    fi
    [ -n "$taken" ] || sleep 0.1
done
ok "the lease expired and evaluation $vseq went to the other worker" [ -n "$taken" ]
grep -q "lease [0-9]* of evaluation $vseq expired" "$ANASD_ERR" &&
    pass "anasd logged the expiry" || fail "anasd logged the expiry"

wait_run "$run" 60
jis .state succeeded "the search succeeded on Slurm"
all_evaluations "$run" "$tmp/slurm.raw"
jq -e '[.[].seq] == [range(1; 9)] and all(.[]; .state == "complete")' "$tmp/slurm.raw" \
    >/dev/null && pass "8 evaluations, seq 1..8 once each, all complete: nothing lost or twice" ||
    fail "8 evaluations, seq 1..8 once each, all complete: nothing lost or twice"
req GET /api/v1/workers
jok "the workers' accepted results add up to 8" '[.items[].evaluations] | add == 8'

_deadline=$(($(now) + 20))
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ] && [ "$(now)" -le "$_deadline" ]; do
    sleep 0.2
done
is "$(squeue -h -j "$job" 2>/dev/null)" "" "the remaining worker ended by itself once idle"
stop_anasd

# The same search, anasd's own threads, a fresh database.
ANASD_DB=$tmp/local.db start_anasd --workers 2 --data-root "$tmp/data"
post_run @"$tmp/spec.json"
wait_run "$RUN_ID" 60
all_evaluations "$RUN_ID" "$tmp/local.raw"
strip='[.[] | {seq, hash, state, curve, metrics: (.metrics | del(.train_s))}]'
if [ "$(jq -S "$strip" "$tmp/slurm.raw")" = "$(jq -S "$strip" "$tmp/local.raw")" ]; then
    pass "the evaluations equal those of the same run evaluated locally"
else
    fail "the evaluations equal those of the same run evaluated locally"
    diff "$tmp/slurm.raw" "$tmp/local.raw" | head -n 20 | diag_stdin
fi

done_testing
