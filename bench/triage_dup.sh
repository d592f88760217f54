#!/bin/sh
# Triage benchmarks: duplicate lookup among 100k open cases (bench/triage_dup.c) and the hot-topic
# command on messages_hot.tsv. Figures go to docs/benchmarks.md ("Triage").
#   bench/triage_dup.sh                       # 100k cases, 2,000 queries, 3 hot-topic runs
#   TEDDY_DIR=/path/to/teddy2020 CASES=200000 QUERIES=5000 bench/triage_dup.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CASES=${CASES:-100000}
QUERIES=${QUERIES:-2000}
HOT_RUNS=${HOT_RUNS:-3}
TEDDY_DIR=${TEDDY_DIR:-}
if [ -z "$TEDDY_DIR" ]; then
    for d in "$ROOT/../shared/teddy2020" "$ROOT/../../shared/teddy2020"; do
        [ -f "$d/messages_hot.tsv" ] && TEDDY_DIR=$(cd "$d" && pwd) && break
    done
fi
make --no-print-directory build >/dev/null
cmake --build build --target bench_triage_dup >/dev/null

echo "== duplicate lookup ($CASES cases, $QUERIES queries)"
build/bench_triage_dup --cases "$CASES" --queries "$QUERIES" ${TEDDY_DIR:+--data-dir "$TEDDY_DIR"}

if [ -z "$TEDDY_DIR" ]; then
    echo "== hot topics: skipped (messages_hot.tsv not found; set TEDDY_DIR)"
    exit 0
fi
echo "== hot topics on $TEDDY_DIR/messages_hot.tsv ($HOT_RUNS runs: wall s, user s)"
i=0
while [ $i -lt "$HOT_RUNS" ]; do
    /usr/bin/time -f '%e %U' build/gridloop triage hot --data "$TEDDY_DIR/messages_hot.tsv" --limit 10 \
        >/dev/null 2>/tmp/triage_hot_time.$$ || { cat /tmp/triage_hot_time.$$; exit 1; }
    tail -1 /tmp/triage_hot_time.$$
    i=$((i + 1))
done
rm -f /tmp/triage_hot_time.$$
