#!/bin/sh
# Sensor readings over MQTT (issue 16's targets: >= 50,000 readings/s sustained with thresholds
# evaluated, QoS 1; a breaching reading's case within 100 ms at that rate). Starts Debian's
# mosquitto on a free loopback port (as tests/api/conftest.py's Broker does: persistence,
# max_queued_messages 0), `gridloop init --demo` in a scratch directory and `gridloop serve
# --mqtt-url`, registers DEVICES extra devices over the API (SIM-00001.., the six demo types in
# turn), then bench/mqtt_ingest.py runs RUNS streams of READINGS readings published at QoS 1 by
# build/sensor-sim as fast as the broker takes them (each device's readings one second apart, a
# buffer being emptied, so every one is stored and judged), measuring at the server
# (GET /api/v1/sensors/status) and the breach-to-case time (GET /api/v1/cases?channel=sensor);
# last, the same kind of readings over HTTP in batches of 1,000 for comparison.
# Figures: docs/benchmarks.md.
#   bench/mqtt_ingest.sh [READINGS [DEVICES [RUNS [RATE [BATCH]]]]]   default 200000 5000 3 0 1
#   GATEWAY=1 bench/mqtt_ingest.sh ...   batches of many devices on gridloop/gateways/GW-SIM/readings
#   GRIDLOOP_BIN=/path/gridloop bench/mqtt_ingest.sh ...   another server binary (a before/after
#                                         pair in one session), build/gridloop by default
# RATE: readings/s the publisher keeps to (0: as fast as the broker takes them).
# No CPU pinning: broker, server and publisher share the machine's cores.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
READINGS=${1:-200000}
DEVICES=${2:-5000}
RUNS=${3:-3}
RATE=${4:-0}
BATCH=${5:-1}        # readings per MQTT message (sensor-sim --batch)
GATEWAY=${GATEWAY:-0} # 1: the batches on a gateway's topic (sensor-sim --gateway)
PASSWORD=bench-pw
log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v mosquitto >/dev/null 2>&1 || die "mosquitto not found (apt-get install mosquitto)"

make -C "$ROOT" --no-print-directory build >/dev/null || die "build failed"
cmake --build "$ROOT/build" --target sensor-sim >/dev/null || die "sensor-sim did not build"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/gridloop-mqtt.XXXXXX")
BPID=""
SPID=""
cleanup() {
    [ -z "$SPID" ] || { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }
    [ -z "$BPID" ] || { kill "$BPID" 2>/dev/null || true; wait "$BPID" 2>/dev/null || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cp "${GRIDLOOP_BIN:-$ROOT/build/gridloop}" "$TMP/gridloop"
cp "$ROOT/build/sensor-sim" "$TMP/sensor-sim"

# ---- the broker (started as root it runs as mosquitto: its directory must be its own)
mkdir "$TMP/broker"
MPORT=$(freeport)
cat >"$TMP/broker/mosquitto.conf" <<EOF
listener $MPORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $TMP/broker/
max_queued_messages 0
log_dest stderr
log_type error
log_type warning
EOF
[ "$(id -u)" != 0 ] || chown -R mosquitto: "$TMP/broker"
mosquitto -c "$TMP/broker/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
BPID=$!
for _ in $(seq 1 100); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $MPORT), 1)" 2>/dev/null && break
    kill -0 "$BPID" 2>/dev/null || { cat "$TMP/mosquitto.log" >&2; die "mosquitto exited"; }
    sleep 0.1
done

# ---- the server
"$TMP/gridloop" init --db "$TMP/bench.db" --demo --demo-password "$PASSWORD" >"$TMP/init.log" 2>&1 ||
    { cat "$TMP/init.log" >&2; die "init failed"; }
PORT=$(freeport)
BASE=http://127.0.0.1:$PORT
"$TMP/gridloop" serve --db "$TMP/bench.db" --listen "127.0.0.1:$PORT" --access-log false \
    --log-level warn --mqtt-url "mqtt://127.0.0.1:$MPORT" --mqtt-client-id gridloop-bench \
    >"$TMP/server.log" 2>&1 &
SPID=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || { cat "$TMP/server.log" >&2; die "server exited"; }
    sleep 0.1
done
TOKEN=$(curl -fsS -H 'Content-Type: application/json' -d "{\"name\":\"admin\",\"password\":\"$PASSWORD\"}" \
    "$BASE/api/v1/auth/login" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])') ||
    die "login as admin failed"

log "machine: $(nproc) CPUs, $(uname -r); $(mosquitto -h 2>/dev/null | head -1)"
log "$READINGS readings x $RUNS runs over $DEVICES devices, publisher rate $RATE/s (0: flat out), $BATCH per message (gateway: $GATEWAY)"
/usr/bin/python3 "$ROOT/bench/mqtt_ingest.py" "$BASE" "$TOKEN" "$MPORT" "$TMP/sensor-sim" \
    "$READINGS" "$DEVICES" "$RUNS" "$SPID" "$BPID" "$RATE" "$BATCH" "$GATEWAY"
grep -E 'error|ERROR' "$TMP/server.log" | head -5 >&2 || true
