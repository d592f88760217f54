#!/bin/bash
# Intake on a large database against intake on an empty one (issue 12: "intake rate within 20%
# of the empty-database rate" at 10,000,000 cases), alternated in the same minutes:
#
#     bench/intake_at.sh DB PASSWORD [ROUNDS=3]
#
# DB is a SQLite file or a postgresql://USER@HOST:PORT/NAME URL. For PostgreSQL the empty side is
# a new database NAME_empty_PID in the same cluster (dropped at exit), the server for DB runs in
# the current directory, where its var/NAME.* files are (gridloop store copy writes them there),
# and the server's CPU per case leaves out PostgreSQL's backends. DB is used in place (a copy of
# a 15 GB file would evict it from the page cache, and the large database's cost is its indexes
# being out of memory); PASSWORD is its admin's. Each round runs one server on a new empty demo
# database and one on DB, each: a 2 s warm-up, then BENCH_DURATION (8 s) of wrk -t1 -c64 with
# bench/intake.lua, server and wrk free on every CPU with one HTTP thread (bench/intake.sh's
# BENCH_LAYOUT=spread). Prints cases/s, p99, non-2xx, the server's CPU per case and the ratio per
# round.
#
# Every run adds its cases to DB, and bench/intake.lua cycles 8,192 bodies with one description
# and 10,000 phone numbers, so each run's repeat and duplicate lookups find the runs before it
# (on an empty database used in place three times: 2,085, 1,743, 1,262 cases/s). The empty side
# therefore keeps one database across the rounds too (BENCH_FRESH=1: a new one per round), and
# BENCH_EMPTY_PRERUNS=N gives it N unmeasured runs first, for a DB that earlier runs of this
# script already wrote to: both sides then carry the same earlier runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=${1:?usage: bench/intake_at.sh DB PASSWORD [ROUNDS]}
PW=${2:?usage: bench/intake_at.sh DB PASSWORD [ROUNDS]}
ROUNDS=${3:-3}
DUR=${BENCH_DURATION:-8}
BIN=${GRIDLOOP_BIN:-$ROOT/build/gridloop}
case $DB in
postgresql://*)
    PG_HOST=${DB#postgresql://}
    PG_HOST=${PG_HOST%%\?*}
    PG_NAME=postgres
    case $PG_HOST in */*) PG_NAME=${PG_HOST#*/} PG_HOST=${PG_HOST%%/*} ;; esac
    PG_EMPTY=postgresql://$PG_HOST/${PG_NAME}_empty_$$
    PG_ADMIN=postgresql://$PG_HOST/postgres ;;
*)
    PG_EMPTY=
    [ -f "$DB" ] || { echo "intake_at: no database $DB" >&2; exit 1; } ;;
esac
HERE=$PWD
command -v wrk >/dev/null 2>&1 || "$ROOT/scripts/deps.sh" --bench
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gridloop-intake-at.XXXXXX")
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    wait 2>/dev/null
    [ -n "$PG_EMPTY" ] && psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS ${PG_EMPTY##*/}" >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
# A private copy, as bench/lib.sh does: a rebuild of build/gridloop cannot change it mid-run.
cp "$BIN" "$TMP/gridloop"
BIN=$TMP/gridloop

# The empty database's name, and the directory its server runs in.
EMPTY=$TMP/empty/e.db
[ -n "$PG_EMPTY" ] && EMPTY=$PG_EMPTY
empty_db() {
    rm -rf "$TMP/empty"
    mkdir -p "$TMP/empty"
    if [ -n "$PG_EMPTY" ]; then
        PGOPTIONS="-c client_min_messages=warning" psql -q "$PG_ADMIN" \
            -c "DROP DATABASE IF EXISTS ${PG_EMPTY##*/}" -c "CREATE DATABASE ${PG_EMPTY##*/}" || exit 1
    fi
    (cd "$TMP/empty" && "$BIN" init --db "$EMPTY" --demo --demo-password bench-pw) >"$TMP/init.log" 2>&1 ||
        { cat "$TMP/init.log" >&2; exit 1; }
}

# run DB PASSWORD DIR: one server started in DIR, warm-up and measured run; prints
# "rps p99 non2xx cpu_us".
run() {
    local db=$1 pw=$2 dir=$3 port base token cats n rps p99 non hz a b
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    base=http://127.0.0.1:$port
    cd "$dir"
    "$BIN" serve --db "$db" --listen "127.0.0.1:$port" --web "" --threads 1 --access-log false \
        --log-level warn >"$TMP/server.log" 2>&1 &
    SPID=$!
    # Up to 10 min: a first start on a generated database builds the assessment's roll-ups.
    for _ in $(seq 3000); do
        curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
        kill -0 "$SPID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
        sleep 0.2
    done
    token=$(curl -fsS -X POST -H 'Content-Type: application/json' \
        -d "{\"name\":\"admin\",\"password\":\"$pw\"}" "$base/api/v1/auth/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    cats=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/v1/categories" | python3 -c '
import json, sys
c = json.load(sys.stdin)["items"]; parents = {x["parent_id"] for x in c}
print(",".join([str(x["id"]) for x in c if x["active"] and x["id"] not in parents][:40]))')
    export GRIDLOOP_BENCH_TOKEN=$token GRIDLOOP_BENCH_CATEGORIES=$cats
    wrk -t1 -c64 -d2s -s "$ROOT/bench/intake.lua" "$base/api/v1/cases" >/dev/null
    hz=$(getconf CLK_TCK)
    a=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
    wrk -t1 -c64 -d"${DUR}s" --latency -s "$ROOT/bench/intake.lua" "$base/api/v1/cases" >"$TMP/wrk.txt"
    b=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
    kill "$SPID"
    wait "$SPID" 2>/dev/null || true
    SPID=
    n=$(awk '/ requests in /{print $1}' "$TMP/wrk.txt")
    rps=$(awk '/^Requests\/sec:/{print $2}' "$TMP/wrk.txt")
    p99=$(awk '/^[ \t]+99%/{print $2}' "$TMP/wrk.txt")
    non=$(awk '/Non-2xx/{print $NF}' "$TMP/wrk.txt")
    echo "$rps $p99 ${non:-0} $(awk -v d=$((b - a)) -v hz="$hz" -v n="$n" 'BEGIN{printf "%.0f", d * 1e6 / hz / n}')"
}

empty_db
for _ in $(seq "${BENCH_EMPTY_PRERUNS:-0}"); do run "$EMPTY" bench-pw "$TMP/empty" >/dev/null; done
printf '%-6s %-12s %8s %10s %7s %12s\n' round database cases/s p99 non2xx "CPU µs/case"
for r in $(seq "$ROUNDS"); do
    [ "${BENCH_FRESH:-0}" = 1 ] && empty_db
    read -r e_rps e_p99 e_non e_cpu < <(run "$EMPTY" bench-pw "$TMP/empty")
    read -r l_rps l_p99 l_non l_cpu < <(run "$DB" "$PW" "$HERE")
    printf '%-6s %-12s %8.0f %10s %7s %12s\n' "$r" empty "$e_rps" "$e_p99" "$e_non" "$e_cpu"
    printf '%-6s %-12s %8.0f %10s %7s %12s   %s\n' "$r" "$(basename "${PG_NAME:-$DB}")" "$l_rps" "$l_p99" "$l_non" \
        "$l_cpu" "$(awk -v l="$l_rps" -v e="$e_rps" 'BEGIN{printf "%.0f%% of empty", 100 * l / e}')"
done
