#!/bin/sh
# The Debian package: packaging/build-deb builds it from `make dist`'s
# tarball; its contents, maintainer scripts and lintian are checked; it is
# unpacked with dpkg -x into a throw-away root (dpkg -i would change this
# machine: a user, an enabled service) and the unpacked anasd is run on a
# free port with the packaged configuration. Run by make check only when
# configured with --enable-package-tests (packaging/test's build-test).
# shellcheck disable=SC2016 # sh -c programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/../api/lib.sh"

for tool in dpkg-buildpackage dh dpkg-deb dpkg-checkbuilddeps; do
    command -v "$tool" >/dev/null || skip_all "$tool is not installed (packaging/install-deps)"
done
dpkg-checkbuilddeps "$ANAS_SRCDIR/packaging/debian/control" 2>"$tmp/bdeps" ||
    skip_all "build dependencies missing: $(cat "$tmp/bdeps")"

# The build tree whose daemon the other tests run: make dist runs there.
builddir=$(cd "$(dirname "$ANASD")/.." && pwd)
started=$(now)
if DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
    "$ANAS_SRCDIR/packaging/build-deb" "$tmp/debs" "$builddir" >"$tmp/build-deb.out" 2>&1; then
    pass "packaging/build-deb builds the package ($(($(now) - started)) s)"
else
    fail "packaging/build-deb builds the package"
    tail -n 30 "$tmp/build-deb.out" | diag_stdin
    done_testing
fi
deb=$(ls "$tmp"/debs/anasd_*.deb)

# --- contents ------------------------------------------------------------------

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
for f in /usr/bin/anasd /usr/share/man/man8/anasd.8.gz /etc/anasd/anasd.json \
    /usr/lib/sysusers.d/anasd.conf /usr/share/anasd/www/index.html \
    /usr/share/anasd/www/js/app.js /usr/share/anasd/examples/fashion-resnet-analytic.json \
    /usr/share/doc/anasd/copyright; do
    ok "the package holds $f" grep -qx "$f" "$tmp/contents"
done
ok "the package holds the systemd unit" grep -Eqx '(/usr)?/lib/systemd/system/anasd.service' \
    "$tmp/contents"
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
ok "the configuration is a conffile" grep -qx /etc/anasd/anasd.json "$tmp/control/conffiles"
depends=$(dpkg-deb -f "$deb" Depends)
like "$depends" 'libjs-chart\.js' "it depends on libjs-chart.js (the dashboard's charts)"
like "$depends" 'libxgboost[0-9]' "... and on the shared libraries anasd links (shlibs)"
like "$depends" 'systemd-sysusers' "... and on a systemd-sysusers for its user"
# The user must exist before the service starts.
sysusers_line=$(grep -n 'systemd-sysusers' "$tmp/control/postinst" | head -n 1 | cut -d: -f1)
start_line=$(grep -n 'deb-systemd-invoke' "$tmp/control/postinst" | head -n 1 | cut -d: -f1)
ok "postinst creates the anasd user, then enables and starts the service" \
    test "${sysusers_line:-0}" -gt 0 -a "${start_line:-0}" -gt "${sysusers_line:-0}"

# The client's package, when the source has the client (packaging/build-deb
# builds it then).
if [ -f "$ANAS_SRCDIR/clients/anasctl/local.mk" ]; then
    ctl=$(ls "$tmp"/debs/anasctl_*.deb 2>/dev/null || true)
    ok "the anasctl package is built too" test -n "$ctl"
    dpkg-deb -c "$ctl" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/ctl-contents"
    ok "it holds /usr/bin/anasctl" grep -qx /usr/bin/anasctl "$tmp/ctl-contents"
    ok "it holds anasctl(1)" grep -qx /usr/share/man/man1/anasctl.1.gz "$tmp/ctl-contents"
    ok "and anas-worker with its man page" sh -c 'grep -qx /usr/bin/anas-worker "$1" &&
        grep -qx /usr/share/man/man1/anas-worker.1.gz "$1"' sh "$tmp/ctl-contents"
else
    ok "without clients/anasctl, no anasctl package" \
        sh -c '! ls "$1"/debs/anasctl_*.deb' sh "$tmp" 2>/dev/null
fi

if command -v lintian >/dev/null; then
    lintian "$tmp"/debs/*.changes >"$tmp/lintian" 2>&1 || true
    grep -v 'running with root privileges' "$tmp/lintian" >"$tmp/lintian.tags" || true
    ok "lintian reports no error or warning" sh -c '! grep -q "^[EW]:" "$1"' sh "$tmp/lintian.tags"
    diag_stdin <"$tmp/lintian.tags"
else
    skip "lintian is not installed"
fi

# --- the unpacked package ---------------------------------------------------------

root=$tmp/root
dpkg -x "$deb" "$root"
ctlbin=
if [ -n "${ctl:-}" ]; then
    dpkg -x "$ctl" "$root"
    ctlbin=$root/usr/bin/anasctl
fi
ANASD=$root/usr/bin/anasd
ANASD_WRAPPER=
is "$("$ANASD" --version)" "anasd $(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')" \
    "the packaged anasd --version names the package's upstream version"
ok "every library it links is found" sh -c '! ldd "$1" | grep -q "not found"' sh "$ANASD"
ok "the packaged configuration: 127.0.0.1:8080, /var/lib/anasd/anasd.db, log level info" \
    jq -e '.listen == "127.0.0.1:8080" and .db == "/var/lib/anasd/anasd.db" and
           .data_roots == ["/usr/share/datasets"] and .log_level == "info"' \
    "$root/etc/anasd/anasd.json"

# The packaged configuration's settings, but a free port and a temporary
# database (the command line wins); the dashboard comes from the unpacked
# root, which the binary's built-in /usr/share/anasd does not name.
conf=
if [ -d /usr/share/datasets ]; then
    conf="--config $root/etc/anasd/anasd.json"
else
    diag "no /usr/share/datasets here: anasd runs without the packaged configuration"
fi
# shellcheck disable=SC2086 # $conf is two words or none
start_anasd $conf --www-root "$root/usr/share/anasd/www" \
    --examples-root "$root/usr/share/anasd/examples"
req GET /api/v1/health
status_is 200 "the packaged anasd answers GET /api/v1/health"
jis .version "$(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')" "... with its version"
req GET /
status_is 200 "it serves the dashboard at /"
ok "... the packaged index.html" cmp -s "$BODY_FILE" "$root/usr/share/anasd/www/index.html"
req GET /examples/fashion-resnet-analytic.json
status_is 200 "... and the packaged example specs"
post_run "$(cat "$root/usr/share/anasd/examples/fashion-resnet-analytic.json")"
status_is 201 "the packaged example search is accepted"
wait_run "$RUN_ID" 60 || true
jis .state succeeded "... and succeeds"
if [ -n "$ctlbin" ]; then
    ok "every library the packaged anasctl links is found" \
        sh -c '! ldd "$1" | grep -q "not found"' sh "$ctlbin"
    like "$("$ctlbin" --url "$URL" health 2>&1)" '^ok: anasd ' \
        "the packaged anasctl reaches the packaged anasd"
    "$ctlbin" --url "$URL" submit "$root/usr/share/anasd/examples/fashion-resnet-analytic.json" \
        --wait --fail-over params=500000 >"$tmp/ctl.out" 2>&1 && rc=0 || rc=$?
    is "$rc" 0 "... submits the packaged example with a gate, waits, and the gate passes"
    diag_stdin <"$tmp/ctl.out"
fi
stop_anasd
is "$ANASD_STATUS" 0 "it stops with status 0 on SIGTERM"

# --- MemoryDenyWriteExecute= -------------------------------------------------------

# The unit forbids writable and executable memory. Linux >= 6.3 applies the
# same rule to a process with prctl(PR_SET_MDWE): run BLAS training, the
# analog tiles and an XGBoost fit and prediction under it.
mdwe() {
    python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    sys.exit(3)
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
if command -v python3 >/dev/null && mdwe /bin/true 2>/dev/null; then
    ANASD_WRAPPER=mdwe
    start_anasd
    post_run '{"kind": "train", "space": {"name": "resnet", "input": [1, 16, 16], "classes": 4},
      "dataset": {"name": "synthetic", "train_subset": 128, "test_subset": 64},
      "evaluator": {"kind": "train", "epochs": 1, "batch_size": 32, "hwa": true,
                    "hardware": "analognas", "drift_times": ["1s", "1d"], "repeats": 2},
      "architecture": {"out_channel0": 8, "M": 1, "R1": 1, "convblock1": 1,
                       "widenfact1": 0.7, "B1": 2}, "seed": 4}'
    wait_run "$RUN_ID" 120 || true
    jis .state succeeded "without W+X memory: a hardware-aware training on analog tiles succeeds"
    post_run '{"kind": "search", "space": "resnet", "evaluator": {"kind": "analytic"},
      "optimizer": {"kind": "random", "evaluations": 100},
      "objectives": [{"metric": "macs", "goal": "min"}], "seed": 1}'
    wait_run "$RUN_ID" 60 || true
    req POST /api/v1/surrogates '{"runs": ['"$RUN_ID"'], "metric": "macs",
      "params": {"n_estimators": 50}}'
    sid=$(jb .id)
    _deadline=$(($(now) + 60))
    while req GET "/api/v1/surrogates/$sid" && [ "$(jb .state)" = fitting ] &&
        [ "$(now)" -le "$_deadline" ]; do sleep 0.2; done
    jis .state ready "... an XGBoost fit succeeds"
    post_run '{"kind": "search", "space": "resnet",
      "evaluator": {"kind": "surrogate", "models": {"pm": {"surrogate": '"$sid"'}}},
      "optimizer": {"kind": "random", "evaluations": 20},
      "objectives": [{"metric": "pm", "goal": "min"}], "seed": 2}'
    wait_run "$RUN_ID" 60 || true
    jis .state succeeded "... and a search predicting with it succeeds"
    stop_anasd
    ANASD_WRAPPER=
else
    skip "prctl(PR_SET_MDWE) is not available (python3 and Linux >= 6.3)"
fi

# --- the systemd unit --------------------------------------------------------------

unit=$(grep -E '/systemd/system/anasd.service$' "$tmp/contents")
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$tmp/sysroot/etc"
    systemd-sysusers --root="$tmp/sysroot" "$root/usr/lib/sysusers.d/anasd.conf" 2>/dev/null
    ok "systemd-sysusers creates the anasd user from the packaged file" \
        grep -q '^anasd:.*:/var/lib/anasd:' "$tmp/sysroot/etc/passwd"
else
    skip "systemd-sysusers is not installed"
fi
if command -v systemd-analyze >/dev/null; then
    # The unit as installed, with the unpacked root's paths in place of /usr
    # and /etc (systemd-analyze checks that the commands exist).
    mkdir "$tmp/unit"
    sed -e "s|/usr/bin/anasd|$ANASD|" -e "s|/etc/anasd/|$root/etc/anasd/|" "$root$unit" \
        >"$tmp/unit/anasd.service"
    ok "the unit runs /usr/bin/anasd --config /etc/anasd/anasd.json" \
        grep -qx 'ExecStart=/usr/bin/anasd --config /etc/anasd/anasd.json' "$root$unit"
    if systemd-analyze verify --man=no "$tmp/unit/anasd.service" >"$tmp/verify" 2>&1; then
        pass "systemd-analyze verify passes"
    else
        fail "systemd-analyze verify passes"
        diag_stdin <"$tmp/verify"
    fi
    score=$(systemd-analyze security --offline=yes "$tmp/unit/anasd.service" 2>/dev/null |
        sed -n 's/.*Overall exposure level for anasd.service: \([0-9.]*\).*/\1/p')
    ok "systemd-analyze security: exposure ${score:-?} is below 2.0 (1.x is 'OK')" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s < 2.0) }'
else
    skip "systemd-analyze is not installed"
fi
diag "package test took $(($(now) - started)) s"
done_testing
