#!/bin/sh
# The dashboard's static files: MIME types, index, examples list, Chart.js,
# no way out of the folders (/../, %2e%2e, symlinks), 404 problems, no token
# needed for them while the API still needs one; offset= on sorted pages.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/www/js" "$tmp/ex" "$tmp/chart"
printf '<!doctype html><title>t</title>\n' >"$tmp/www/index.html"
printf 'export const x = 1;\n' >"$tmp/www/js/a.js"
printf 'body{}\n' >"$tmp/www/style.css"
printf 'secret\n' >"$tmp/secret.txt"
ln -s "$tmp/secret.txt" "$tmp/www/link.txt"
printf '{"kind": "search"}\n' >"$tmp/ex/b.json"
printf '{"kind": "evaluate"}\n' >"$tmp/ex/a.json"
printf 'not a spec\n' >"$tmp/ex/README.md"
printf '/* chart */\n' >"$tmp/chart/chart.min.js"
printf 'tok\n' >"$tmp/tokens"

run_anasd --www-root "$tmp/nowhere" --db "$tmp/x.db"
is "$RUN_STATUS" 2 "a --www-root that is not a directory stops the start"
like "$(cat "$RUN_ERR")" "www-root: '$tmp/nowhere' is not a directory" "and says so"

start_anasd --www-root "$tmp/www" --examples-root "$tmp/ex" --chartjs-root "$tmp/chart" \
    --token-file "$tmp/tokens"

get_is() { # PATH STATUS CONTENT-TYPE DESC
    STATUS=$(curl -s -g --path-as-is -o "$tmp/body" -D "$tmp/h" -w '%{http_code}' "$URL$1")
    CT=$(tr -d '\r' <"$tmp/h" | sed -n 's/^[Cc]ontent-[Tt]ype: //p' | tail -n 1)
    is "$STATUS $CT" "$2 $3" "$4"
}

get_is / 200 "text/html; charset=utf-8" "/ is index.html, without a token"
is "$(cat "$tmp/body")" "<!doctype html><title>t</title>" "with its content"
get_is /index.html 200 "text/html; charset=utf-8" "/index.html"
get_is /js/a.js 200 "text/javascript; charset=utf-8" "a module is text/javascript"
get_is /style.css 200 "text/css; charset=utf-8" "a style sheet is text/css"
get_is /vendor/chart.js/chart.min.js 200 "text/javascript; charset=utf-8" "Chart.js from its folder"
is "$(cat "$tmp/body")" "/* chart */" "the --chartjs-root file"
get_is /examples/ 200 "application/json" "the examples' list"
is "$(jq -c .items "$tmp/body")" '["a.json","b.json"]' "names the JSON files, sorted"
get_is /examples/b.json 200 "application/json" "an example"
is "$(jq -r .kind "$tmp/body")" search "is the file"
get_is /missing.html 404 "application/problem+json" "a missing file is a 404 problem"
is "$(jq -r .code "$tmp/body")" ANAS_ENOTFOUND "ANAS_ENOTFOUND"
get_is /../secret.txt 404 "application/problem+json" "/../ does not leave the folder"
get_is /js/../../secret.txt 404 "application/problem+json" "nor /js/../../"
get_is /%2e%2e/secret.txt 404 "application/problem+json" "nor %2e%2e"
get_is /%2E%2E%2Fsecret.txt 404 "application/problem+json" "nor %2E%2E%2F"
get_is /vendor/chart.js/%2e%2e/www/index.html 404 "application/problem+json" \
    "nor %2e%2e out of Chart.js' folder"
get_is /examples/..%2fsecret.txt 404 "application/problem+json" "nor ..%2f out of the examples"
get_is /link.txt 404 "application/problem+json" "nor a symlink to a file outside"
get_is /.hidden 404 "application/problem+json" "hidden files are not served"
get_is /js 404 "application/problem+json" "a folder is not a file"
get_is /api/v1/runs 401 "application/problem+json" "the API keeps its token"
AUTH_TOKEN=tok
req GET /api/v1/nope
problem_is 404 ANAS_ENOTFOUND '' "an unknown API path is still the API's 404"
req GET /api/v1/health
status_is 200 "the API answers as before"
req POST /index.html '{}'
problem_is 405 ANAS_EMETHOD '' "POST on a file is 405"
is "$(header Allow)" "GET, HEAD" "Allow: GET, HEAD"
STATUS=$(curl -s -I -o /dev/null -w '%{http_code}' "$URL/style.css")
is "$STATUS" 200 "HEAD answers"

# offset= pages a sorted list.
post_run '{"kind": "search", "space": {"name": "resnet", "input": [1, 28, 28], "classes": 10},
 "evaluator": {"kind": "analytic"}, "optimizer": {"kind": "random", "evaluations": 30},
 "objectives": [{"metric": "params", "goal": "min"}], "seed": 2}'
status_is 201 "a search is accepted"
wait_run "$RUN_ID" 60
req GET "/api/v1/runs/$RUN_ID/evaluations?sort=-params&limit=30"
all=$(jb '[.items[].seq] | join(",")')
req GET "/api/v1/runs/$RUN_ID/evaluations?sort=-params&limit=10&offset=10"
is "$(jb '[.items[].seq] | join(",")')" "$(echo "$all" | cut -d, -f11-20)" \
    "offset=10&limit=10 is rows 11-20 of the sorted list"
jis .next_after null "next_after stays null when sorted"
req GET "/api/v1/runs/$RUN_ID/evaluations?offset=-1"
problem_is 422 ANAS_ERANGE '?offset' "a negative offset is refused at ?offset"

done_testing
