#!/bin/sh
# Seeds the fuzz corpora from the repository's fixtures, so the fuzzers
# start from real trace files in every framing. Safe to run again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mkdir -p "$here/corpus/reader" "$here/corpus/filter" "$here/corpus/resolve"
find "$root/fixtures" -name '*.trace.json' -type f | while read -r f; do
    # One flat name per fixture: fixtures/odd/x.trace.json -> odd-x.trace.json
    rel=${f#"$root/fixtures/"}
    cp "$f" "$here/corpus/reader/$(printf '%s' "$rel" | tr '/' '-')"
done
# Earlier crashes stay in the corpus.
if [ -d "$root/fixtures/fuzz-regressions" ]; then
    for f in "$root/fixtures/fuzz-regressions"/*; do
        [ -f "$f" ] || continue
        case $(basename "$f") in
            reader-*) cp "$f" "$here/corpus/reader/" ;;
            filter-*) cp "$f" "$here/corpus/filter/" ;;
            resolve-*) cp "$f" "$here/corpus/resolve/" ;;
        esac
    done
fi
# The filter grammar and session arguments, a few of each.
i=0
for expr in 'agent=planner' 'agent!=planner,writer' 'hook=AgentError' 'error' \
    'error=rate limit' 'event=req-1' 'session_id=s' 'source=a' 'target!=b' \
    'writer' ' AGENT = x , y ' '=x' 'agent=' 'colour=red'; do
    printf '%s' "$expr" > "$here/corpus/filter/seed-$i"
    i=$((i + 1))
done
i=0
for arg in - a b c d.trace.json traces/b sub/c.trace.json missing session-a \
    ./a.trace.json /nonexistent/x.trace.json sub link dangling.trace.json; do
    printf '%s' "$arg" > "$here/corpus/resolve/seed-$i"
    i=$((i + 1))
done
echo "corpus/reader: $(ls "$here/corpus/reader" | wc -l) files"
echo "corpus/filter: $(ls "$here/corpus/filter" | wc -l) files"
echo "corpus/resolve: $(ls "$here/corpus/resolve" | wc -l) files"
