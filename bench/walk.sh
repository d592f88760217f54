#!/bin/sh
# The 15-minute service circle (bench/walk.c) on a demo register of ADDRESSES address points
# (default 100,000). Figures go to docs/benchmarks.md ("Maps").
#   bench/walk.sh                     ADDRESSES=20000 CIRCLES=1000 bench/walk.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ADDRESSES=${ADDRESSES:-100000}
CIRCLES=${CIRCLES:-500}
make --no-print-directory build >/dev/null
cmake --build build --target bench_walk >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
build/gridloop init --db "$dir/walk.db" --demo --demo-addresses "$ADDRESSES" >/dev/null
build/bench_walk --db "$dir/walk.db" --circles "$CIRCLES"
