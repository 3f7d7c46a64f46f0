#!/bin/sh
# tests/www/run.sh - the dashboard in headless Chromium (dashboard.mjs)
# against a real anasd with real runs; TAP on stdout. Skips cleanly without
# node, the npm modules (`npm ci` in tests/www, see packaging/install-deps)
# or Chromium, and under valgrind (a browser's load is no memory test).
# Screenshots go to tests/www/screenshots/ under the current directory
# (the build directory under make check).

. "$(dirname "$0")/../api/lib.sh"

WWW_TESTS=$ANAS_SRCDIR/tests/www
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM
[ -z "$ANASD_WRAPPER" ] || skip_all "browser tests do not run under a wrapper ($ANASD_WRAPPER)"
command -v node >/dev/null || skip_all "node is not installed"
[ -d "$WWW_TESTS/node_modules/playwright-core" ] ||
    skip_all "playwright-core is not installed (npm ci in tests/www)"
[ -x "$CHROMIUM" ] || skip_all "no Chromium at $CHROMIUM"
[ -f /usr/share/javascript/chart.js/chart.min.js ] || skip_all "Chart.js (libjs-chart.js) is not installed"

SHOTS=$PWD/tests/www/screenshots
mkdir -p "$tmp/data"

# One run at a time, so that a run can be held queued behind another.
start_anasd --max-runs 1 --data-root "$tmp/data"
node "$WWW_TESTS/dashboard.mjs" main "$URL" "$SHOTS" >"$tmp/main.tap" 2>&1 || _www_failed=1
stop_anasd

printf 'dashboard-token\n' >"$tmp/tokens"
ANASD_DB=$tmp/token.db start_anasd --token-file "$tmp/tokens"
node "$WWW_TESTS/dashboard.mjs" token "$URL" dashboard-token "$SHOTS" >"$tmp/token.tap" 2>&1 ||
    _www_failed=1
stop_anasd

# The two runs' TAP as one stream: numbered again, one plan at the end.
awk '/^1\.\.[0-9]+$/ { next }
     /^(ok|not ok) [0-9]+/ { k++; sub(/ [0-9]+/, " " k) }
     { print }
     END { print "1.." k }' "$tmp/main.tap" "$tmp/token.tap"
exit "${_www_failed:-0}"
