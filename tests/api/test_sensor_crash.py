"""Readings acknowledged to the broker survive a crash (issue 16: "loses no acknowledged QoS 1
reading"; docs/warning.md section 5): the server acknowledges a message only after its commit, so
when it is killed with SIGKILL while a gateway streams, the broker still holds every message whose
readings were not committed and sends them again when the server is back. Every reading published
is stored, exactly once. Under PostgreSQL, the same when the database goes away while readings
arrive: a round that cannot be stored is not acknowledged, and the broker sends it again."""
import json
import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest

from conftest import GENEROUS, PASSWORD, PG, Api, Broker, Server, run_cli, unique
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


def gateway_lines(t0, seconds, first=0):
    """Quiet values (below the 85 dB threshold), each device one a second from t0: every reading
    has a row of its own. One line a message of PER_MESSAGE readings (mosquitto_pub -l)."""
    readings = [{"device": code, "time": iso(t0 + timedelta(seconds=s)),
                 "values": {"noise_db": 50 + (s % 7)}}
                for s in range(first, first + seconds) for code in DEVICES]
    lines = "".join(json.dumps(readings[i:i + PER_MESSAGE]) + "\n"
                    for i in range(0, len(readings), PER_MESSAGE))
    return lines, len(readings)


def publish_lines(broker, lines):
    pub = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
                            "-q", "1", "-t", GATEWAY, "-l"], stdin=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    pub.stdin.write(lines)
    pub.stdin.close()
    return pub


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
        t0 = now() - timedelta(hours=3)
        lines, want = gateway_lines(t0, SECONDS)
        pub = publish_lines(broker, lines)
        # Killed mid-stream: some readings stored, the rest still coming.
        assert wait_for(lambda: status()["readings"] >= 2000, 60), status()
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        srv.proc = None
        assert pub.wait(timeout=120) == 0, pub.stderr.read()
        srv.start()
        assert wait_for(lambda: status()["connected"], 30)
        t1 = t0 + timedelta(seconds=SECONDS + 1)
        assert wait_for(lambda: stored(api, t0, t1) == want, 60), (stored(api, t0, t1), want)
        # Nothing more arrives later: exactly once.
        time.sleep(1)
        assert stored(api, t0, t1) == want
    finally:
        srv.check_clean_exit()
        broker.stop()


@pytest.mark.skipif(not PG, reason="a PostgreSQL of its own: run under scripts/with-pg.sh")
def test_readings_that_arrive_while_the_database_is_away_are_stored_when_it_is_back(
        tmp_path_factory, own_pg):
    d = str(tmp_path_factory.mktemp("pg-away"))
    p = run_cli("init", "--db", own_pg.url, "--demo", "--demo-password", PASSWORD)
    assert p.returncode == 0, p.stderr
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    srv = Server(d, None, GENEROUS + ["--mqtt-url", broker.url, "--mqtt-client-id",
                                      f"gl-test-{unique('c')}"], db=own_pg.url).start()
    api = Api(srv)
    try:
        status = lambda: api.get("admin", "/api/v1/sensors/status").json()
        assert wait_for(lambda: status()["connected"])
        t0 = now() - timedelta(hours=2)
        before, n1 = gateway_lines(t0, 200)
        assert publish_lines(broker, before).wait(timeout=60) == 0
        assert wait_for(lambda: status()["readings"] >= n1, 30), status()
        own_pg.stop()
        # The broker takes these (its PUBACKs to the publisher); the server cannot store them.
        during, n2 = gateway_lines(t0, 2000, first=200)
        assert publish_lines(broker, during).wait(timeout=60) == 0
        assert wait_for(lambda: "not stored, not acknowledged" in srv.stderr(), 30), \
            srv.stderr()[-3000:]
        own_pg.start()
        t1 = t0 + timedelta(seconds=2201)
        got = lambda: stored(api, t0, t1) if requests_ok(api) else -1
        assert wait_for(lambda: got() == n1 + n2, 90), (got(), n1 + n2, srv.stderr()[-4000:])
        assert status()["rejected"] == 0, status()
    finally:
        srv.check_clean_exit()
        broker.stop()


def requests_ok(api):
    return api.get("admin", "/healthz").status_code == 200
