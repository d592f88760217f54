#!/usr/bin/env bash
# Intake while spikes are scanned (issue 16: spike evaluation in the background must not slow
# intake by more than 10%). Figures and method: docs/warning.md, "Cost of a scan".
#
# A demo database gets WARN_CASES cases over the last 31 days (build/bench_warn_scan: the density
# of the 10-million-case benchmark in the window a scan reads). The server runs as deployed (both
# CPUs, its default threads) with its sweeper every second, and wrk posts cases
# (bench/intake.lua, 64 connections) for BENCH_DURATION, in pairs, alternately, each on a server
# started for it:
#   alone     --spike-scan-interval 86400: the sweeper never scans during the run
#   scanning  --spike-scan-interval 1: the sweeper scans for spikes again as soon as the last scan
#             is done (at its lowered priority, as it does hourly), so the whole run is the worst
#             moment of an hour
# It prints each run, the medians of BENCH_REPS pairs, the ratio scanning / alone, and how many
# scans ran and how long each took under load (the sweeper's log).
#
#   bench/warn_intake.sh            (WARN_CASES=282000 BENCH_DURATION=10s BENCH_REPS=3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CASES=${WARN_CASES:-282000}
DUR=${BENCH_DURATION:-10s}
REPS=${BENCH_REPS:-3}
PASSWORD=demo-pass-1
die() { echo "warn_intake: $*" >&2; exit 1; }
for c in wrk curl python3; do command -v $c >/dev/null || die "needs $c"; done
make --no-print-directory build >/dev/null || die "build failed"
[ -x build/bench_warn_scan ] || cmake --build build --target bench_warn_scan >/dev/null

TMP=$(mktemp -d /tmp/gridloop-warn-intake.XXXXXX)
SPID=""
cleanup() {
    [ -z "$SPID" ] || { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; } || true
    rm -rf "$TMP"
}
trap cleanup EXIT
cp build/gridloop "$TMP/gridloop"
BIN=$TMP/gridloop
"$BIN" init --db "$TMP/g.db" --demo --demo-password $PASSWORD >"$TMP/init.log" 2>&1 || { cat "$TMP/init.log"; die "init"; }
echo "adding $CASES cases over 31 days, one scan timed:"
build/bench_warn_scan "$TMP/g.db" "$CASES" 31 1 | sed 's/^/  /'

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
# start INTERVAL: a server on the database whose sweeper scans every INTERVAL seconds.
start() {
    "$BIN" serve --db "$TMP/g.db" --listen "127.0.0.1:$PORT" --access-log false --log-level debug \
        --sweep-interval 1 --spike-scan-interval "$1" >"$TMP/server.log" 2>&1 &
    SPID=$!
    for _ in $(seq 1 600); do curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break; sleep 0.1; done
    curl -fsS -o /dev/null "$BASE/healthz" || { cat "$TMP/server.log"; die "server not answering"; }
}
stop() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=""; }
login() {
    curl -fsS -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"password\":\"$PASSWORD\"}" \
        "$BASE/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
start 86400
export GRIDLOOP_BENCH_TOKEN GRIDLOOP_BENCH_CATEGORIES
GRIDLOOP_BENCH_TOKEN=$(login operator)
GRIDLOOP_BENCH_CATEGORIES=$(curl -fsS -H "Authorization: Bearer $GRIDLOOP_BENCH_TOKEN" "$BASE/api/v1/categories" |
    python3 -c 'import json, sys
c = json.load(sys.stdin)["items"]; p = {x["parent_id"] for x in c}
print(",".join([str(x["id"]) for x in c if x["active"] and x["id"] not in p][:40]))')

# One wrk run: cases/s and p99 ms.
intake() {
    wrk -t1 -c64 -d"$DUR" --latency -s bench/intake.lua "$BASE/api/v1/cases" >"$TMP/wrk.txt" 2>&1
    awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} /Non-2xx/ {n=$NF} END {
        if (p ~ /ms$/) { sub(/ms$/, "", p) } else if (p ~ /us$/) { sub(/us$/, "", p); p /= 1000 } else if (p ~ /s$/) { sub(/s$/, "", p); p *= 1000 }
        printf "%.0f %.1f %d\n", r, p, n + 0 }' "$TMP/wrk.txt"
}
intake >/dev/null # warm-up
stop
: >"$TMP/results"
for rep in $(seq 1 "$REPS"); do
    start 86400
    read -r r p n < <(intake)
    stop
    echo "rep $rep alone:    $r cases/s, p99 $p ms, non-2xx $n"
    echo "alone $r $p $n" >>"$TMP/results"
    start 1
    sleep 1 # the first scan under way
    read -r r p n < <(intake)
    stop
    grep -o 'spikes scanned in [0-9.]* s' "$TMP/server.log" | awk '{print $4}' >"$TMP/scans"
    s=$(wc -l <"$TMP/scans")
    m=$(sort -n "$TMP/scans" | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : 0)}')
    echo "rep $rep scanning: $r cases/s, p99 $p ms, non-2xx $n; $s scan(s), median ${m} s each"
    echo "scanning $r $p $n" >>"$TMP/results"
done
python3 - "$TMP/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(kind, i): return statistics.median(float(r[i]) for r in rows if r[0] == kind)
a, s = med("alone", 1), med("scanning", 1)
print(f"median alone {a:.0f} cases/s (p99 {med('alone', 2):.1f} ms), scanning {s:.0f} cases/s "
      f"(p99 {med('scanning', 2):.1f} ms): scanning / alone = {s / a:.0%}")
PY
