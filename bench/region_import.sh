#!/bin/sh
# Benchmark: importing a city's region tree (issue 15): the synthetic city of bench/grids.c as
# a GeoJSON FeatureCollection (1 district, 40 streets, 1,000 communities, 25,000 grids; plain
# rectangles) through `gridloop region import` into a fresh SQLite database, then the same
# file again (every region updated). Prints wall time and peak RSS of each run.
#   bench/region_import.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
bin=${GRIDLOOP_BIN:-build/gridloop}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/region_city.py "$dir/city.geojson"
"$bin" init --db "$dir/empty.db" >/dev/null
i=1
while [ "$i" -le "$runs" ]; do
    cp "$dir/empty.db" "$dir/t.db"
    cp "$dir/empty.db.audit-key" "$dir/t.db.audit-key"
    for pass in new again; do
        /usr/bin/time -f "run $i $pass: %e s wall, %U s user, %M KB peak RSS" \
            "$bin" region import --db "$dir/t.db" --geojson "$dir/city.geojson" >/dev/null
    done
    i=$((i + 1))
done
