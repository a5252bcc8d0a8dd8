#!/usr/bin/env bash
# agentcli's views against the jq equivalents on generated sessions: wall
# time (hyperfine), throughput and peak memory (/usr/bin/time -v), side by
# side. Prints numbers; asserts nothing.
#
#   benches/compare.sh                 10 MB, 100 MB and 1 GB sessions
#   benches/compare.sh 10 200          chosen sizes, in MB
#   RUNS=3 JQ=0 benches/compare.sh 200 fewer runs, without jq
#   LIST10K=1 benches/compare.sh 10    also list 10,000 sessions
#
# Needs: python3, hyperfine, /usr/bin/time (Debian: apt-get install -y
# hyperfine time), jq for the comparison. Inputs are generated with
# ../shared/tools/gentrace.py (or $GENTRACE) into $BENCH_DIR (default
# $TMPDIR/agentcli-bench) and reused; they are never committed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
gentrace=${GENTRACE:-$root/../shared/tools/gentrace.py}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/agentcli-bench}
runs=${RUNS:-5}
use_jq=${JQ:-1}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 100 1024)

for tool in python3 hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 2; }
done
if [ "$use_jq" = 1 ] && ! command -v jq >/dev/null; then
    echo "compare.sh: jq not found; comparing agentcli only" >&2
    use_jq=0
fi
[ -f "$gentrace" ] || { echo "compare.sh: no gentrace.py at $gentrace (set GENTRACE)" >&2; exit 2; }

(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/agentcli
mkdir -p "$dir"

# One live (unterminated) session of SIZE MB, made once.
session() {
    local mb=$1 file="$dir/s$1.trace.json"
    if [ ! -f "$file" ]; then
        python3 "$gentrace" --out "$dir" --sessions 1 --size-mb "$mb" --name "s$mb" --seed 1 >/dev/null
    fi
    echo "$file"
}

# The same session with its first entry dated a month later: out of time
# order, as files with agents running side by side can be (FORMAT.md). The
# table then sorts its rows, on disk past its memory budget.
shuffled() {
    local file=$1 out="$dir/ooo$2.trace.json"
    if [ ! -f "$out" ]; then
        python3 - "$file" "$out" <<'PY'
import shutil, sys
shutil.copyfile(sys.argv[1], sys.argv[2])
with open(sys.argv[2], "r+b") as f:
    head = f.read(4096)
    at = head.index(b'"timestamp": "') + len(b'"timestamp": "')
    month = int(head[at + 5:at + 7]) % 12 + 1
    f.seek(at + 5)
    f.write(b"%02d" % month)
PY
    fi
    echo "$out"
}

# Peak resident memory in MB of one run of a shell command.
peak_mb() {
    /usr/bin/time -v sh -c "$1" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}'
}

# Mean wall time in seconds of a shell command.
mean_s() {
    local json
    json=$(mktemp)
    hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json" "$1" >/dev/null
    python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$json"
    rm -f "$json"
}

row() { # label, size MB, command
    local s m rate
    s=$(mean_s "$3")
    m=$(peak_mb "$3")
    rate=$(python3 -c "print('%.0f' % ($2 / $s))")
    printf '%-34s %8s %8s s %8s MB/s %9s MB\n' "$1" "$2 MB" "$s" "$rate" "$m"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "agentcli $("$bin" --version | cut -d' ' -f2-), $runs runs each (hyperfine, warm cache)"
printf '%-34s %8s %10s %13s %12s\n' command input wall throughput "peak RSS"
for mb in "${sizes[@]}"; do
    f=$(session "$mb")
    bytes=$(stat -c %s "$f")
    size=$(python3 -c "print(round($bytes / 1e6))")
    row "cat (the floor)" "$size" "cat $f > /dev/null"
    row "agentcli trace (table)" "$size" "$bin trace $f --color never > /dev/null"
    row "agentcli trace (table), unsorted" "$size" "$bin trace $(shuffled "$f" "$mb") --color never > /dev/null"
    row "agentcli trace --flow-only" "$size" "$bin trace $f --flow-only --color never > /dev/null"
    row "agentcli trace --format csv" "$size" "$bin trace $f --format csv > /dev/null"
    row "agentcli trace --format jsonl" "$size" "$bin trace $f --format jsonl > /dev/null"
    row "agentcli trace --analyze" "$size" "$bin trace $f --analyze --color never > /dev/null"
    row "agentcli export (OTLP/JSON)" "$size" "$bin export $f > /dev/null"
    if [ "$use_jq" = 1 ]; then
        # jq needs a closed array: what the Go tool also required.
        closed="$dir/s$mb.closed.json"
        [ -f "$closed" ] || { cat "$f"; printf '\n]\n'; } > "$closed"
        row "jq csv (timestamp,hook,agent)" "$size" \
            "jq -r '.[] | [.timestamp,.hook,(.agent_id//\"\")] | @csv' $closed > /dev/null"
        row "jq -c '.[]'" "$size" "jq -c '.[]' $closed > /dev/null"
    fi
done

# list over many small sessions: reading every file (--no-cache), and the
# run after (summaries from the cache, which the warm-up run fills).
export XDG_CACHE_HOME="$dir/cache"
list_rows() { # count
    local many="$dir/many$1" size
    if [ ! -d "$many" ]; then
        python3 "$gentrace" --out "$many" --sessions "$1" --seed 2 >/dev/null
    fi
    size=$(du -sm "$many" | cut -f1)
    row "agentcli list ($1 sessions)" "$size" "$bin list --dir $many --no-cache --color never > /dev/null"
    row "agentcli list ($1, cached)" "$size" "$bin list --dir $many --color never > /dev/null"
    row "agentcli stats ($1 sessions)" "$size" "$bin stats --dir $many --color never > /dev/null"
    # validate exits 1 on defects; the time is what is measured.
    row "agentcli validate ($1 sessions)" "$size" "$bin validate --dir $many > /dev/null || true"
    row "agentcli export ($1 sessions)" "$size" "$bin export --dir $many > /dev/null"
}
list_rows 1000
# 10,000 sessions (about 640 MB to generate once): LIST10K=1.
if [ "${LIST10K:-0}" = 1 ]; then
    list_rows 10000
fi
