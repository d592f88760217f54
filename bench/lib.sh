# Shared by the benchmark scripts (sourced, not run): settings from BENCH_* variables, the
# dependency check, the binary, a temporary demo database, the pinned server, and a login.
# Expects ROOT; sets DUR REPS WARM CONNS SCPU CCPU ..., TMP, BIN, PORT, BASE, SPID, TOKEN.
# BENCH_NAME names the scratch directory.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    DUR=${BENCH_DURATION:-2s}; REPS=${BENCH_REPS:-1}; WARM=${BENCH_WARMUP:-1s}; IDLE_WAIT_MAX=10
else
    DUR=${BENCH_DURATION:-10s}; REPS=${BENCH_REPS:-3}; WARM=${BENCH_WARMUP:-2s}; IDLE_WAIT_MAX=60
fi
CONNS=${BENCH_CONNECTIONS:-64}
SCPU=${BENCH_SERVER_CPU:-0}
CCPU=${BENCH_CLIENT_CPU:-1}
# BENCH_LAYOUT=pinned (default): the server on CPU $SCPU with one HTTP thread, the client on
# $CCPU. BENCH_LAYOUT=spread (bench/intake.sh): server and client both free on every CPU, the
# server with BENCH_SERVER_THREADS HTTP threads (default 1), so its store writer can have a core
# of its own while the HTTP thread triages the next cases. Two HTTP threads were no faster on two
# cores (1,902 against 1,986 intakes/s, medians of 3, 2026-12-06): libmicrohttpd's pool hands most
# of wrk's connections to one of them, and the writer is the bound.
LAYOUT=${BENCH_LAYOUT:-pinned}
case $LAYOUT in
pinned) SERVER_CPUS=$SCPU; CLIENT_CPUS=$CCPU; SERVER_THREADS=1 ;;
spread) SERVER_CPUS=0-$(($(getconf _NPROCESSORS_ONLN) - 1)); CLIENT_CPUS=$SERVER_CPUS
        SERVER_THREADS=${BENCH_SERVER_THREADS:-1} ;;
*) printf 'bench: error: BENCH_LAYOUT is pinned or spread, not %s\n' "$LAYOUT" >&2; exit 1 ;;
esac
IDLE_MAX=${BENCH_IDLE_MAX:-6}
FOREIGN_MAX=${BENCH_FOREIGN_MAX:-0.2}
FORKS_MAX=${BENCH_FORKS_MAX:-10}
RETRIES=${BENCH_RETRIES:-3}
OUT=${BENCH_OUT:-}
PASSWORD=bench-pw

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- dependencies and binary
if ! command -v wrk >/dev/null 2>&1 || ! command -v taskset >/dev/null 2>&1; then
    "$ROOT/scripts/deps.sh" --bench
fi
for c in wrk taskset curl python3 awk; do
    command -v "$c" >/dev/null 2>&1 || die "'$c' not found (scripts/deps.sh --bench installs it)"
done
ncpu=$(getconf _NPROCESSORS_ONLN)
[ "$SCPU" -lt "$ncpu" ] && [ "$CCPU" -lt "$ncpu" ] ||
    die "need CPUs $SCPU and $CCPU but only $ncpu online; set BENCH_SERVER_CPU/BENCH_CLIENT_CPU"
[ "$LAYOUT" = spread ] || [ "$SCPU" != "$CCPU" ] || log "warning: server and wrk share CPU $SCPU; figures are not comparable"

if [ -n "${GRIDLOOP_BIN:-}" ]; then
    BIN=$GRIDLOOP_BIN
else
    BIN=$ROOT/build/gridloop
    blog=$(mktemp)
    if ! make -C "$ROOT" --no-print-directory build >"$blog" 2>&1; then
        cat "$blog" >&2; rm -f "$blog"; die "build failed"
    fi
    rm -f "$blog"
fi

# ---- scratch directory, database, server
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gridloop-${BENCH_NAME:-bench}.XXXXXX")
SPID=""
cleanup() {
    if [ -n "$SPID" ] && kill -0 "$SPID" 2>/dev/null; then
        kill "$SPID" 2>/dev/null || true
        wait "$SPID" 2>/dev/null || true
    fi
    if [ -n "$OUT" ]; then
        mkdir -p "$OUT" && cp -r "$TMP"/raw "$TMP"/results.tsv "$TMP"/summary.md "$TMP"/server.log "$OUT"/ 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/raw"
# Run a private copy, so a concurrent rebuild of build/gridloop cannot change it mid-run.
[ -x "$BIN" ] || die "no executable at $BIN"
cp "$BIN" "$TMP/gridloop"
BIN=$TMP/gridloop

"$BIN" init --db "$TMP/bench.db" --demo --demo-password "$PASSWORD" >"$TMP/init.log" 2>&1 ||
    { cat "$TMP/init.log" >&2; die "init failed"; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
taskset -c "$SERVER_CPUS" "$BIN" serve --db "$TMP/bench.db" --listen "127.0.0.1:$PORT" --web "$ROOT/web" \
    --threads "$SERVER_THREADS" --access-log false --log-level warn >"$TMP/server.log" 2>&1 &
SPID=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server exited"; }
    sleep 0.1
done
curl -fsS -o /dev/null "$BASE/healthz" || { cat "$TMP/server.log" >&2; die "server not answering on $BASE"; }

TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "{\"name\":\"admin\",\"password\":\"$PASSWORD\"}" \
    "$BASE/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    die "login as admin failed"
export GRIDLOOP_BENCH_TOKEN=$TOKEN
