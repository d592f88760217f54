"""tools/sensor-sim (docs/warning.md section 5) against a real mosquitto and a demo server: every
reading it sends is stored, only the device told to breach opens a case (one), and its return to
normal is noted on that case."""
import os
import subprocess
import time

import pytest

from conftest import BIN, GENEROUS, Api, Broker, Server, unique
from test_sensors import sensor_cases, wait_for

SIM = os.path.join(os.path.dirname(BIN), "sensor-sim")


@pytest.fixture(scope="module")
def sim(tmp_path_factory, template_db):
    if not os.access(SIM, os.X_OK):
        pytest.fail(f"no simulator at {SIM} (make build)")
    broker = Broker(tmp_path_factory.mktemp("broker")).start()
    srv = Server(str(tmp_path_factory.mktemp("sim")), template_db,
                 GENEROUS + ["--mqtt-url", broker.url, "--mqtt-client-id", unique("gl-sim")]).start()
    api = Api(srv)
    assert wait_for(lambda: api.get("admin", "/api/v1/sensors/status").json()["connected"])
    yield {"broker": broker, "api": api}
    srv.check_clean_exit()
    broker.stop()


def test_the_simulator_feeds_the_demo_devices_and_one_breach(sim):
    api, broker = sim["api"], sim["broker"]
    before = api.get("admin", "/api/v1/sensors/status").json()
    cases_before = {c["id"] for c in sensor_cases(api)}
    p = subprocess.run([SIM, "--url", broker.url, "--rate", "10", "--duration", "4", "--seed", "7",
                        "--breach", "DEMO-NOISE-3", "--breach-after", "1", "--breach-for", "1.5"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) >= 40, p.stdout  # 10 a second for 4 s, and the breach's own
    codes = {ln.split()[1] for ln in lines}
    assert {"DEMO-NOISE-1", "DEMO-WATER-2", "DEMO-MANHOLE-1", "DEMO-SMOKE-1", "DEMO-GAS-1",
            "DEMO-WQ-1"} <= codes
    acked = int(p.stderr.strip().splitlines()[-1].split(", ")[1].split()[0])
    assert acked == len(lines), p.stderr
    # Each reading stored or counted (several of one device within a second are duplicates),
    # none refused.
    status = wait_for(lambda: (lambda s: s if s["readings"] - before["readings"] >= len(lines) else None)(
        api.get("admin", "/api/v1/sensors/status").json()))
    assert status and status["readings"] - before["readings"] == len(lines), status
    assert status["rejected"] == before["rejected"] and status["malformed"] == before["malformed"]
    # One case, for the device told to breach; its recovery noted on it.
    new = wait_for(lambda: [c for c in sensor_cases(api) if c["id"] not in cases_before])
    assert len(new) == 1 and "噪声超标" in new[0]["title"] and "工地旁" in new[0]["title"], new
    case_id = new[0]["id"]
    got = wait_for(lambda: [e for e in api.get("admin", f"/api/v1/cases/{case_id}").json()["timeline"]
                            if e["action"] == "sensor_recover"])
    assert got and "已恢复" in got[0]["note"]
    time.sleep(0.5)
    assert len(sensor_cases(api)) == len(cases_before) + 1


@pytest.mark.parametrize("mode", [["--batch", "4"], ["--batch", "6", "--gateway"]])
def test_the_simulator_publishes_batches(sim, mode):
    """--batch N: N readings a message, on the device's topic or (--gateway) a gateway's; every
    reading stored, none refused."""
    api, broker = sim["api"], sim["broker"]
    before = api.get("admin", "/api/v1/sensors/status").json()
    p = subprocess.run([SIM, "--url", broker.url, "--rate", "0", "--count", "60", "--backfill", "600",
                        "--seed", "3", "--quiet"] + mode, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert "60 readings published" in last and f"of {60 // int(mode[1]) + (60 % int(mode[1]) > 0)} messages" in last, last
    status = wait_for(lambda: (lambda s: s if s["readings"] - before["readings"] >= 60 else None)(
        api.get("admin", "/api/v1/sensors/status").json()))
    assert status and status["readings"] - before["readings"] == 60, status
    assert status["rejected"] == before["rejected"] and status["malformed"] == before["malformed"]
