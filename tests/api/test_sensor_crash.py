"""Readings acknowledged to the broker survive a crash (issue 16: "loses no acknowledged QoS 1
reading"; docs/warning.md section 5): the server acknowledges a message only after its commit, so
when it is killed with SIGKILL while a gateway streams, the broker still holds every message whose
readings were not committed and sends them again when the server is back. Every reading published
is stored, exactly once."""
import json
import signal
import subprocess
import time
from datetime import timedelta

from conftest import GENEROUS, Api, Broker, Server, unique
from test_sensors import iso, now, wait_for

GATEWAY = "gridloop/gateways/GW-CRASH/readings"
DEVICES = ["DEMO-NOISE-1", "DEMO-NOISE-2", "DEMO-NOISE-3"]
SECONDS = 8000       # readings per device, one a second
PER_MESSAGE = 50


def stored(api, t0, t1):
    total = 0
    for code in DEVICES:
        dev = next(d for d in api.items("admin", "/api/v1/devices") if d["code"] == code)
        items = api.get("admin", f"/api/v1/devices/{dev['id']}/readings",
                        params={"metric": "noise_db", "from": iso(t0), "to": iso(t1),
                                "points": 1000}).json()["items"]
        total += sum(p["n"] for p in items)
    return total


def test_a_server_killed_while_a_gateway_streams_loses_no_acknowledged_reading(
        tmp_path_factory, template_db):
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    client = f"gl-test-{unique('c')}"
    srv = Server(str(tmp_path_factory.mktemp("crash")), template_db,
                 GENEROUS + ["--mqtt-url", broker.url, "--mqtt-client-id", client]).start()
    api = Api(srv)
    try:
        status = lambda: api.get("admin", "/api/v1/sensors/status").json()
        assert wait_for(lambda: status()["connected"])
        # Quiet values (below the 85 dB threshold), each device one a second from 3 hours ago:
        # every reading has a row of its own.
        t0 = now() - timedelta(hours=3)
        readings = [{"device": code, "time": iso(t0 + timedelta(seconds=s)),
                     "values": {"noise_db": 50 + (s % 7)}}
                    for s in range(SECONDS) for code in DEVICES]
        lines = "".join(json.dumps(readings[i:i + PER_MESSAGE]) + "\n"
                        for i in range(0, len(readings), PER_MESSAGE))
        pub = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
                                "-q", "1", "-t", GATEWAY, "-l"], stdin=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        pub.stdin.write(lines)
        pub.stdin.close()
        # Killed mid-stream: some readings stored, the rest still coming.
        assert wait_for(lambda: status()["readings"] >= 2000, 60), status()
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        srv.proc = None
        assert pub.wait(timeout=120) == 0, pub.stderr.read()
        srv.start()
        assert wait_for(lambda: status()["connected"], 30)
        want = len(readings)
        t1 = t0 + timedelta(seconds=SECONDS + 1)
        assert wait_for(lambda: stored(api, t0, t1) == want, 60), (stored(api, t0, t1), want)
        # Nothing more arrives later: exactly once.
        time.sleep(1)
        assert stored(api, t0, t1) == want
    finally:
        srv.check_clean_exit()
        broker.stop()
