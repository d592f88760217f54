#!/usr/bin/env bash
# Instructions an intake costs, counted by valgrind's callgrind: a figure that the load of a
# shared machine does not move, for changes too small to see through bench/intake.sh's
# run-to-run spread. Method and figures in docs/benchmarks.md ("Temporary B-trees SQLite built
# for every row").
#
#   bench/intake_callgrind.sh [PRE] [N] [CLIENTS]      (defaults 6000 3000 16)
#
# A fresh demo database; the server (GRIDLOOP_BIN, default build/gridloop) runs under
# callgrind with instrumentation off while PRE cases are posted, on while N more are, by
# CLIENTS concurrent keep-alive clients. The bodies are bench/intake.lua's (the same
# description, titles, places, names and phones, the first 40 active leaf categories, in the
# same order). Prints the process's instructions (every thread) divided by N, and leaves the
# profile in $BENCH_OUT (default: a temporary directory, named at the end) for
# callgrind_annotate. The server runs ~50 times slower under callgrind, so what depends on the
# clock (the text index's 100 ms chunks, the sweeper's passes) weighs more than in service.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PRE=${1:-6000}
N=${2:-3000}
CLIENTS=${3:-16}
BIN=${GRIDLOOP_BIN:-$ROOT/build/gridloop}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "no gridloop binary at $BIN (make build)" >&2; exit 1; }

OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gridloop-callgrind.XXXXXX")}
mkdir -p "$OUT"
DB=$OUT/bench.db
PORT=$((20000 + RANDOM % 20000))
"$BIN" init --db "$DB" --demo --demo-password bench-pass-1 >"$OUT/init.log" 2>&1
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out" \
    "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --web "$ROOT/web" --threads 1 \
    --access-log false --log-level warn >"$OUT/server.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true' EXIT
for _ in $(seq 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    sleep 0.5
done

post() { # $1 first body number, $2 count
    BASE="http://127.0.0.1:$PORT" LUA="$ROOT/bench/intake.lua" FIRST=$1 COUNT=$2 CLIENTS=$CLIENTS \
        python3 - <<'EOF'
import http.client, json, os, re, sys, threading, urllib.request
base, first, count, clients = os.environ["BASE"], int(os.environ["FIRST"]), int(os.environ["COUNT"]), int(os.environ["CLIENTS"])
def call(method, path, body=None, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    req = urllib.request.Request(base + path, method=method, headers=h,
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
token = call("POST", "/api/v1/auth/login", {"name": "admin", "password": "bench-pass-1"})["token"]
cats = call("GET", "/api/v1/categories", token=token)["items"]
parents = {c["parent_id"] for c in cats}
leaves = [c["id"] for c in cats if c["active"] and c["id"] not in parents][:40]
lua = open(os.environ["LUA"], encoding="utf-8").read()
desc = "".join(re.findall(r'"([^"]*)"', re.search(r"local description = (.*?)\n\s*local places", lua, re.S).group(1)))
def words(name):
    return re.findall(r'"([^"]*)"', re.search(r"local %s = \{(.*?)\}" % name, lua, re.S).group(1))
places, problems, surnames = words("places"), words("problems"), words("surnames")
def body(n):  # bench/intake.lua's request n (1..8192)
    return json.dumps({
        "channel": "hotline", "description": desc, "category": leaves[n % len(leaves)],
        "title": "%s%s（%d）" % (places[n % len(places)], problems[(n // len(places)) % len(problems)], n),
        "lat": round(30.176 + (n % 97) * 0.0005, 6), "lon": round(120.060 + (n % 89) * 0.0009, 6),
        "address": "%s%d号" % (places[n % len(places)], n % 300 + 1),
        "citizen": {"name": surnames[n % len(surnames)] + "先生", "phone": "1381234%04d" % (n % 10000)},
    }, ensure_ascii=False).encode()
lock, state = threading.Lock(), {"next": 0, "bad": 0}
def client():
    host, port = base.split("//")[1].split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=600)
    while True:
        with lock:
            if state["next"] >= count:
                return
            i = state["next"]
            state["next"] += 1
        c.request("POST", "/api/v1/cases", body((first + i) % 8192 + 1),
                  {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status != 201:
            with lock:
                state["bad"] += 1
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if state["bad"]:
    sys.exit("%d of %d requests were not answered 201" % (state["bad"], count))
EOF
}

post 0 "$PRE"
callgrind_control -i on "$VPID" >/dev/null 2>&1
post "$PRE" "$N"
callgrind_control -i off "$VPID" >/dev/null 2>&1
callgrind_control -d "$VPID" >/dev/null 2>&1
for _ in $(seq 120); do
    grep -qh '^totals:' "$OUT"/callgrind.out.* 2>/dev/null && break
    sleep 1
done
IR=$(grep -h '^totals:' "$OUT"/callgrind.out.* | awk '{s += $2} END {printf "%.0f", s}')
echo "gridloop intake under callgrind: $(date -u +%Y-%m-%dT%H:%M:%SZ), $("$BIN" --version 2>/dev/null || echo gridloop), git $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
echo "$N cases measured after $PRE, $CLIENTS clients: $((IR / N)) instructions a case (all threads)"
echo "profile: $(ls "$OUT"/callgrind.out.* | head -1) (callgrind_annotate --inclusive=yes FILE)"
