#!/bin/sh
# Patrol coverage on realistic tracks (bench/coverage_day.c): the real-district demo, then two
# patrols of 400 fixes in each of its 338 grids on one day; one grid-day and the district's
# day timed RUNS times (default 7). Figures go to docs/benchmarks.md.
#   bench/coverage_day.sh [RUNS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
make --no-print-directory build >/dev/null
cmake --build build --target bench_coverage_day >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
build/gridloop init --db "$dir/d.db" --demo --district 东城区 --demo-cases 0 \
    --demo-password bench-pass-1 >"$dir/init.log" 2>&1 || { cat "$dir/init.log"; exit 1; }
build/bench_coverage_day --db "$dir/d.db" --runs "${1:-7}"
