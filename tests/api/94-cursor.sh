#!/bin/sh
# The commit-order cursor: a client polling evaluations?since=<next_since>
# while a training search with batch 4 runs on 2 workers (evaluations
# finish out of sequence order) sees every evaluation exactly once, each
# as the evaluations endpoint lists it; next_since is always a usable
# cursor; since= does not mix with after= or a sort; the cursor survives
# a restart and is never handed out again after a run is deleted.
# shellcheck disable=SC2016 # jq programs are single-quoted on purpose
# shellcheck source=tests/api/lib.sh
. "$(dirname "$0")/lib.sh"

# Under valgrind training is some fifty times slower: less data, fewer
# evaluations, the same checks.
if [ -n "$ANASD_WRAPPER" ]; then
    NTRAIN=48 NTEST=32 EVALS=8
else
    NTRAIN=256 NTEST=128 EVALS=24
fi
mkdir -p "$tmp/data"
start_anasd --data-root "$tmp/data"

search() { # SEED
    post_run '{"kind": "search",
     "space": {"name": "mlp", "input": [1, 8, 8], "classes": 4},
     "dataset": {"name": "synthetic", "train_subset": '$NTRAIN', "test_subset": '$NTEST'},
     "evaluator": {"kind": "train", "epochs": 1},
     "optimizer": {"kind": "random", "evaluations": '$EVALS', "batch": 4}, "seed": '$1'}'
}

search 7
status_is 201 "a training search with batch 4 is accepted"
id=$RUN_ID

# The poller: pages of 3 after the last cursor, until the run has ended and
# a poll after that brings nothing new.
since=0
polls=0
bad_next=
echo '[]' >"$tmp/seen.json"
deadline=$(($(now) + $(scaled 600)))
while :; do
    req GET "/api/v1/runs/$id"
    state=$(jb .state)
    req GET "/api/v1/runs/$id/evaluations?since=$since&limit=3"
    [ "$STATUS" = 200 ] || break
    polls=$((polls + 1))
    jq -s '.[0] + .[1].items' "$tmp/seen.json" "$BODY_FILE" >"$tmp/seen.new"
    mv "$tmp/seen.new" "$tmp/seen.json"
    next=$(jb .next_since)
    n=$(jb '.items | length')
    # next_since: the last item's cursor, or the cursor given.
    if [ "$n" -gt 0 ]; then
        [ "$next" = "$(jb '.items[-1].cursor')" ] || bad_next="$bad_next $since->$next"
    else
        [ "$next" = "$since" ] || bad_next="$bad_next $since->$next"
    fi
    since=$next
    case $state in
    succeeded | failed | canceled) [ "$n" -gt 0 ] || break ;;
    esac
    [ "$(now)" -le "$deadline" ] || break
    [ "$n" -gt 0 ] || sleep 0.05
done
is "$STATUS" 200 "every poll with since= answers 200"
is "$state" succeeded "the search succeeded while polled"
is "$bad_next" "" "next_since is always the last item's cursor, or the one given when nothing is new"
diag "$polls polls"

req GET "/api/v1/runs/$id/evaluations?limit=1000"
cp "$BODY_FILE" "$tmp/all.json"
jis '.items | length' "$EVALS" "the run stored $EVALS evaluations"
ok "the poller saw every evaluation exactly once" \
    jq -e -n --slurpfile s "$tmp/seen.json" --slurpfile a "$tmp/all.json" '
      ($s[0] | map(.seq) | sort) == ($a[0].items | map(.seq)) and
      ($s[0] | map(.seq) | unique | length) == ($s[0] | length)'
ok "... each exactly as the evaluations endpoint lists it" \
    jq -e -n --slurpfile s "$tmp/seen.json" --slurpfile a "$tmp/all.json" '
      ($s[0] | sort_by(.seq)) == $a[0].items'
ok "... in commit order: cursors strictly increasing, all distinct" \
    jq -e '[.[].cursor] as $c | $c == ($c | sort) and ($c | unique | length) == length and
           all($c[]; type == "number" and . > 0)' "$tmp/seen.json"
# Not asserted (it depends on timing): how often commit order differed
# from seq order, which is what a seq poller would have missed.
diag "$(jq -r '[.[].seq] as $s | [range(1; length) | select($s[.] < $s[. - 1])] | length
    | "\(.) evaluations were committed after a higher seq"' "$tmp/seen.json")"

# A finished run: next_since stays usable.
last=$(jq '[.[].cursor] | max' "$tmp/seen.json")
req GET "/api/v1/runs/$id/evaluations?since=$last"
jok "nothing after the last cursor, and next_since is that cursor again" \
    --argjson l "$last" '.items == [] and .next_since == $l and .next_after == null'
third=$(jq '.[2].cursor' "$tmp/seen.json")
req GET "/api/v1/runs/$id/evaluations?since=$third&limit=2"
ok "since=C lists what was committed after C, in commit order, a page at a time" \
    jq -e -n --slurpfile s "$tmp/seen.json" --slurpfile p "$BODY_FILE" '
      $p[0].items == $s[0][3:5] and $p[0].next_since == $s[0][4].cursor'
req GET "/api/v1/runs/$id/evaluations?since=$third&state=complete&feasible=true&rep=0&limit=1000"
ok "since= takes the state, feasible and rep filters" \
    jq -e -n --slurpfile s "$tmp/seen.json" --slurpfile p "$BODY_FILE" '
      $p[0].items == [$s[0][3:][] | select(.state == "complete" and .feasible)]'
req GET "/api/v1/runs/$id/evaluations?after=4&limit=2"
jok "after= (seq) pages as before, and has no next_since" \
    '[.items[].seq] == [5, 6] and .next_after == 6 and (has("next_since") | not)'

req GET "/api/v1/runs/$id/evaluations?since=1&after=2"
problem_is 422 ANAS_EINVAL '?since' "since and after together are refused"
req GET "/api/v1/runs/$id/evaluations?since=0&sort=-acc@fp"
problem_is 422 ANAS_EINVAL '?sort' "since with a sort is refused"
req GET "/api/v1/runs/$id/evaluations?since=-1"
problem_is 422 ANAS_ERANGE '?since' "a negative since is refused"
req GET "/api/v1/runs/$id/evaluations?since=x"
problem_is 422 ANAS_ERANGE '?since' "a since that is not an integer is refused"

# Cursors come from one counter of the database: a second run continues
# it, a deleted run's numbers are not handed out again, and a restart
# (the migration already applied) keeps them.
search 8
b=$RUN_ID
wait_run "$b" 600
req GET "/api/v1/runs/$b/evaluations?since=0&limit=1000"
jok "a second run's cursors come after the first's" --argjson l "$last" \
    'all(.items[]; .cursor > $l)'
last_b=$(jb '[.items[].cursor] | max')
req DELETE "/api/v1/runs/$b"
status_is 204 "the second run is deleted"
stop_anasd
is "$ANASD_STATUS" 0 "anasd stops cleanly"
start_anasd --data-root "$tmp/data"
req GET "/api/v1/runs/$id/evaluations?since=0&limit=1000"
ok "after a restart the first run's cursors are unchanged" \
    jq -e -n --slurpfile s "$tmp/seen.json" --slurpfile p "$BODY_FILE" '
      [$p[0].items[].cursor] == [$s[0][].cursor]'
search 9
c=$RUN_ID
wait_run "$c" 600
req GET "/api/v1/runs/$c/evaluations?since=0&limit=1000"
jok "a run after the deletion gets new cursors, not the deleted run's" \
    --argjson l "$last_b" '(.items | length) > 0 and all(.items[]; .cursor > $l)'
stop_anasd
done_testing
