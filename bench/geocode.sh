#!/bin/sh
# Geocoding, autocomplete and reverse geocoding (bench/geocode.c) on a register of ADDRESSES
# address points (default 100,000; synthetic unless DB names a register database). Figures go
# to docs/benchmarks.md ("Geocoding").
#   bench/geocode.sh          ADDRESSES=20000 QUERIES=500 bench/geocode.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
make --no-print-directory build >/dev/null
cmake --build build --target bench_geocode >/dev/null
if [ -n "${DB:-}" ]; then
    build/bench_geocode --db "$DB" --queries "${QUERIES:-2000}"
else
    build/bench_geocode --addresses "${ADDRESSES:-100000}" --queries "${QUERIES:-2000}"
fi
# HTTP=1: the same register behind `gridloop serve` (suggest per keystroke, geocode, intake).
if [ -n "${HTTP:-}" ]; then
    ADDRESSES=${ADDRESSES:-100000} QUERIES=${HTTP_QUERIES:-300} /usr/bin/python3 bench/geocode_http.py
fi
