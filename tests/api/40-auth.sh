#!/bin/sh
# Bearer tokens from --token-file, and the refusal to listen on a
# non-loopback address without them.
# shellcheck disable=SC2016,SC2119 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$tmp/tokens" <<'EOF'
# anasd tokens: one per line; blank lines and comments are ignored

s3cret-token-one
# not-a-token
second-token-2
EOF
chmod 600 "$tmp/tokens"

start_anasd --token-file "$tmp/tokens"

AUTH_TOKEN=
req GET /api/v1/health
status_is 200 "health needs no token"

# Every other /api/v1 path needs one.
for p in /api/v1/runs /api/v1/spaces /api/v1/spaces/resnet /api/v1/optimizers \
    /api/v1/openapi.json /api/v1/runs/1 /api/v1/architectures/0123456789abcdef; do
    AUTH_TOKEN=
    req GET "$p"
    problem_is 401 ANAS_EAUTH '' "GET $p without a token is 401 ANAS_EAUTH"
    AUTH_TOKEN=wrong-token
    req GET "$p"
    problem_is 401 ANAS_EAUTH '' "GET $p with a wrong token is 401"
done

AUTH_TOKEN=
req POST /api/v1/runs '{"kind": '
problem_is 401 ANAS_EAUTH '' "POST /api/v1/runs without a token is 401 before the body is parsed"
req DELETE /api/v1/runs/1
problem_is 401 ANAS_EAUTH '' "DELETE without a token is 401"
AUTH_TOKEN='# not-a-token'
req GET /api/v1/runs
problem_is 401 ANAS_EAUTH '' "a commented-out line is not a token"
AUTH_TOKEN=s3cret-token-one-and-more
req GET /api/v1/runs
problem_is 401 ANAS_EAUTH '' "a token with a suffix is refused"
AUTH_TOKEN=s3cret-token-on
req GET /api/v1/runs
problem_is 401 ANAS_EAUTH '' "a prefix of a token is refused"

# The right tokens.
AUTH_TOKEN=s3cret-token-one
req GET /api/v1/runs
status_is 200 "GET /api/v1/runs with the first token is 200"
req GET /api/v1/spaces/resnet
status_is 200 "GET /api/v1/spaces/resnet with the first token is 200"
req GET /api/v1/openapi.json
status_is 200 "GET /api/v1/openapi.json with a token is 200"
AUTH_TOKEN=second-token-2
req GET /api/v1/optimizers
status_is 200 "the second token works too"
req POST /api/v1/architectures "{\"space\": \"resnet\", \"config\": $TUTORIAL_BEST}"
status_is 200 "POST with a token is 200"
req GET /api/v1/runs/999999
problem_is 404 ANAS_ENOTFOUND '' "with a token, an unknown run is 404 (not 401)"

# Other schemes and a missing token after Bearer.
AUTH_TOKEN=
STATUS=$(curl -s -o "$tmp/basic.out" -w '%{http_code}' -u user:s3cret-token-one "$URL/api/v1/runs") || true
is "$STATUS" 401 "HTTP Basic with a token as password is 401"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer' "$URL/api/v1/runs") || true
is "$STATUS" 401 "'Bearer' without a token is 401"
stop_anasd
is "$ANASD_STATUS" 0 "anasd exits 0 on SIGTERM"

# A non-loopback address needs a token file.
run_anasd --listen 0.0.0.0:0 --db "$tmp/open.db"
is "$RUN_STATUS" 2 "--listen 0.0.0.0:0 without --token-file exits 2"
ok "... with a message on stderr" test -s "$RUN_ERR"
ok "... and never listens" sh -c '! grep -q "^listening on" "$1"' sh "$RUN_OUT"
ok "... and creates no database" test ! -e "$tmp/open.db"
printf '{"listen": "0.0.0.0:0", "db": "%s"}\n' "$tmp/open.db" >"$tmp/open.json"
run_anasd --config "$tmp/open.json"
is "$RUN_STATUS" 2 "a config file listening on 0.0.0.0 without tokens exits 2"
run_anasd --listen '[::]:0' --db "$tmp/open.db"
is "$RUN_STATUS" 2 "--listen [::]:0 without --token-file exits 2"
printf '# only comments\n\n' >"$tmp/empty-tokens"
run_anasd --listen 0.0.0.0:0 --token-file "$tmp/empty-tokens" --db "$tmp/open.db"
is "$RUN_STATUS" 2 "a token file without a token exits 2"
done_testing
