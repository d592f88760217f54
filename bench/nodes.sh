#!/usr/bin/env bash
# Intake and case reads on SQLite and on PostgreSQL with 1, 2 and 3 gridloop nodes, all behind
# one HAProxy (round robin, health checks on /healthz) so every configuration pays the same
# proxy hop. Figures and method in docs/benchmarks.md ("Issue 10").
#
#   bench/nodes.sh                      # 3 reps x 10 s per target and configuration
#   BENCH_QUICK=1 bench/nodes.sh        # 1 rep x 3 s: a smoke run
#
# Targets (wrk -t1 -c64, as bench/intake.sh): case_get  GET /api/v1/cases/{id}  (bench/auth.lua)
#                                           intake    POST /api/v1/cases       (bench/intake.lua)
# PostgreSQL 15 runs from a temporary directory on a random loopback port with its defaults
# (fsync on, synchronous_commit on: a 201 is durable as on SQLite with synchronous=FULL).
# Nothing is pinned: PostgreSQL, HAProxy, the nodes and wrk share this machine's cores, and the
# summary says how many there are. Prints a table; BENCH_OUT=DIR keeps the raw outputs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BIN=${GRIDLOOP_BIN:-$ROOT/build/gridloop}
[ -x "$BIN" ] || make build >/dev/null
command -v wrk >/dev/null && command -v haproxy >/dev/null || scripts/deps.sh --bench
PGB=/usr/lib/postgresql/15/bin
DUR=${BENCH_DURATION:-10s}
REPS=${BENCH_REPS:-3}
NODES=${BENCH_NODES:-"1 2 3"}
[ "${BENCH_QUICK:-}" = 1 ] && { DUR=3s; REPS=1; }
PASSWORD=bench-pass-1

T=$(mktemp -d /tmp/gridloop-nodes.XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -d "$T/pg" ] && runuser -u postgres -- "$PGB/pg_ctl" -D "$T/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    if [ -n "${BENCH_OUT:-}" ]; then mkdir -p "$BENCH_OUT" && cp -r "$T"/raw "$T"/*.log "$BENCH_OUT"/ 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
log() { echo "nodes: $*" >&2; }
port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
mkdir -p "$T/raw" "$T/work/var"

# ---- PostgreSQL
mkdir -p "$T/pg" && chown postgres: "$T/pg"
PGPORT=$(port)
(cd "$T/pg" && runuser -u postgres -- "$PGB/initdb" -D "$T/pg/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$T/initdb.log" 2>&1)
(cd "$T/pg" && runuser -u postgres -- "$PGB/pg_ctl" -D "$T/pg/data" -l "$T/pg/postgres.log" -w -t 30 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$PGPORT -c unix_socket_directories=$T/pg -c max_connections=200" >/dev/null)
PG="postgresql://postgres@127.0.0.1:$PGPORT"

# ---- one configuration: backend db, N nodes behind HAProxy; prints "rps p99" per target
LB=$(port)
run_config() { # $1 label, $2 db, $3 nodes
    local label=$1 db=$2 n=$3 cfg="$T/haproxy-$1.cfg" ports=() node_pids=()
    (cd "$T/work" && "$BIN" init --db "$db" --demo --demo-password "$PASSWORD" >"$T/init-$label.log" 2>&1)
    for k in $(seq 1 "$n"); do
        local p; p=$(port); ports+=("$p")
        (cd "$T/work" && exec "$BIN" serve --db "$db" --listen "127.0.0.1:$p" --access-log false --log-level warn \
            >"$T/node-$label-$k.log" 2>&1) &
        node_pids+=($!); PIDS+=($!)
    done
    {
        printf 'global\n    maxconn 2000\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n'
        printf 'frontend web\n    bind 127.0.0.1:%s\n    default_backend nodes\n' "$LB"
        printf 'backend nodes\n    balance roundrobin\n    option httpchk GET /healthz\n    http-reuse always\n'
        for k in "${!ports[@]}"; do printf '    server n%s 127.0.0.1:%s check inter 1s\n' "$k" "${ports[$k]}"; done
    } >"$cfg"
    for p in "${ports[@]}"; do
        for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
    done
    haproxy -f "$cfg" -db >"$T/haproxy-$label.log" 2>&1 &
    local hpid=$!; PIDS+=($hpid)
    local base="http://127.0.0.1:$LB"
    for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done
    sleep 1.5 # every server's first health check passed
    local token; token=$(curl -fsS "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"name\":\"operator\",\"password\":\"$PASSWORD\"}" | /usr/bin/python3 -c 'import json,sys;print(json.load(sys.stdin)["token"])')
    local cid; cid=$(curl -fsS "$base/api/v1/cases" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d '{"channel":"hotline","title":"文三路路灯不亮","description":"文三路100号附近三盏路灯连续一周不亮。","citizen":{"name":"张先生","phone":"13812340000"}}' |
        /usr/bin/python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
    export GRIDLOOP_BENCH_TOKEN=$token GRIDLOOP_BENCH_CATEGORIES=""
    for target in case_get intake; do
        local rps=() p99=()
        for r in $(seq "$REPS"); do
            local out="$T/raw/$label.$target.$r.txt"
            if [ $target = intake ]; then
                wrk -t1 -c64 -d"$DUR" --latency -s bench/intake.lua "$base/api/v1/cases" >"$out" 2>&1
            else
                wrk -t1 -c64 -d"$DUR" --latency -s bench/auth.lua "$base/api/v1/cases/$cid" >"$out" 2>&1
            fi
            rps+=("$(awk '/^Requests\/sec/ {print $2}' "$out")")
            p99+=("$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' "$out")")
            if grep -q "Non-2xx" "$out"; then log "$label $target rep $r: $(grep Non-2xx "$out")"; fi
        done
        printf '%s %s %s %s\n' "$label" "$target" \
            "$(printf '%s\n' "${rps[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
            "$(printf '%s\n' "${p99[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
    done
    kill "$hpid" "${node_pids[@]}" 2>/dev/null || true
    wait "$hpid" "${node_pids[@]}" 2>/dev/null || true
}

log "$(nproc) cores; PostgreSQL on $PGPORT; $REPS rep(s) x $DUR per target"
RES="$T/results.txt"
run_config sqlite "$T/work/bench.db" 1 >>"$RES"
for n in $NODES; do
    runuser -u postgres -- psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE bench$n" >/dev/null
    run_config "pg-$n" "$PG/bench$n" "$n" >>"$RES"
done

# ---- summary: medians and ratios to SQLite in this run
awk '
{ rps[$1" "$2] = $3; p99[$1" "$2] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
END {
    print "| configuration | case GET req/s | vs SQLite | case GET p99 ms | intake cases/s | vs SQLite | intake p99 ms |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
        c = order[i]
        printf "| %s | %.0f | %.0f%% | %.1f | %.0f | %.0f%% | %.1f |\n", c, rps[c" case_get"],
            100 * rps[c" case_get"] / rps["sqlite case_get"], p99[c" case_get"], rps[c" intake"],
            100 * rps[c" intake"] / rps["sqlite intake"], p99[c" intake"]
    }
}' "$RES"
