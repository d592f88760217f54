#!/bin/sh
# Benchmark: patrol coverage per grid per day (issue 15, docs/grid.md §3) on the real-district
# demo: `gridloop init --demo --district 东城区` (338 grids, a week of patrols: about 2,000
# patrols, 130,000 fixes), then GET /api/v1/patrols/coverage for one day (338 grid-days) and
# for eight days (2,704 grid-days), RUNS times each, round-robin. Prints each wall time and
# the medians.
#   bench/coverage.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${GRIDLOOP_BIN:-build/gridloop}
port=${BENCH_PORT:-18671}
dir=$(mktemp -d)
"$bin" init --db "$dir/d.db" --demo --district 东城区 --demo-password bench-pass-1 \
    --demo-cases 0 | grep 'demo patrols'
"$bin" serve --db "$dir/d.db" --listen "127.0.0.1:$port" >"$dir/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
sleep 2
tok=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"name":"supervisor","password":"bench-pass-1"}' |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
today=$(TZ=Asia/Shanghai date +%F)
yday=$(TZ=Asia/Shanghai date -d yesterday +%F)
week=$(TZ=Asia/Shanghai date -d '7 days ago' +%F)
: >"$dir/times"
i=1
while [ "$i" -le "$runs" ]; do
    for q in "one_day from=$yday&to=$yday" "eight_days from=$week&to=$today"; do
        name=${q%% *}
        t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $tok" \
            "http://127.0.0.1:$port/api/v1/patrols/coverage?${q#* }")
        echo "run $i $name: $t s"
        echo "$name $t" >>"$dir/times"
    done
    i=$((i + 1))
done
for name in one_day eight_days; do
    grep "^$name " "$dir/times" | sort -k2 -n | awk -v n="$name" \
        '{v[NR]=$2} END {printf "%s median %.2f s (%d runs)\n", n, v[int((NR+1)/2)], NR}'
done
