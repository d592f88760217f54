#!/usr/bin/python3
"""Driver of bench/mqtt_ingest.sh (read its header): against a running `gridloop serve
--mqtt-url`, registers the extra devices, then per run streams READINGS readings through the
broker with build/sensor-sim, measures the ingestion rate at the server from GET
/api/v1/sensors/status, and the time from one breaching reading of DEMO-NOISE-1, published a
third of the way into the stream, to its case in GET /api/v1/cases?channel=sensor. Then the same
readings' rate over HTTP in batches of 1,000 (POST /api/v1/readings), for comparison.

The CPU time each process spent on a run (server by thread, broker, publisher; /proc, in
microseconds per reading) says where the time goes.

usage: mqtt_ingest.py BASE TOKEN MQTT_PORT SIM READINGS DEVICES RUNS SERVER_PID BROKER_PID RATE
(RATE: readings/s the publisher keeps to, 0 = as fast as the broker takes them)"""
import http.client
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse

BASE, TOKEN, MQTT_PORT, SIM = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
READINGS, DEVICES, RUNS = int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
SERVER_PID, BROKER_PID, RATE = int(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
BATCH = sys.argv[11] if len(sys.argv) > 11 else "1"
GATEWAY = len(sys.argv) > 12 and sys.argv[12] == "1"
TICK = os.sysconf("SC_CLK_TCK")
TYPES = ["noise", "water_level", "manhole", "smoke", "gas", "water_quality"]
METRICS = ["noise_db", "depth_cm", "tilt_deg", "smoke_obs", "ch4_lel", "turbidity_ntu"]
NORMAL = [55.0, 0.0, 0.6, 0.2, 1.0, 0.4]


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class Http:
    def __init__(self):
        u = urlparse(BASE)
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)

    def call(self, method, path, body=None):
        h = {"Authorization": f"Bearer {TOKEN}"}
        if body is not None:
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError(f"{method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else None


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Mqtt:
    """A bare MQTT 3.1.1 client (CONNECT, then QoS 1 PUBLISH waiting for its PUBACK): no
    process start-up inside the timed breach."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = b"bench-breach"
        var = b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(cid)) + cid
        self.s.sendall(b"\x10" + self._len(len(var)) + var)
        assert self.s.recv(4)[:2] == b"\x20\x02", "no CONNACK"
        self.mid = 0

    @staticmethod
    def _len(n):
        out = b""
        while True:
            b, n = n % 128, n // 128
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out

    def publish(self, topic, payload):
        self.mid += 1
        t = topic.encode()
        var = struct.pack(">H", len(t)) + t + struct.pack(">H", self.mid) + payload.encode()
        self.s.sendall(b"\x32" + self._len(len(var)) + var)

    def puback(self):
        return self.s.recv(4)


def threads(pid):
    """{thread name: CPU seconds} of a process, threads of one name summed."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + (int(f[11]) + int(f[12])) / TICK
    return out


def cpu_delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def cases_count(api):
    return api.call("GET", "/api/v1/cases?channel=sensor&limit=1")["total"]


def status(api):
    return api.call("GET", "/api/v1/sensors/status")


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    api = Http()
    demo = {d["code"]: d for d in api.call("GET", "/api/v1/devices?limit=200")["items"]}
    lat, lon = demo["DEMO-NOISE-1"]["lat"], demo["DEMO-NOISE-1"]["lon"]
    t0 = time.monotonic()
    for i in range(DEVICES):
        api.call("POST", "/api/v1/devices", {
            "code": f"SIM-{i + 1:05d}", "type": TYPES[i % 6], "name": f"模拟设备{i + 1}",
            "lat": lat + ((i * 37) % 200 - 100) * 1e-5, "lon": lon + ((i * 53) % 200 - 100) * 1e-5,
            "interval_s": 60})
    log("load average " + " ".join(open("/proc/loadavg").read().split()[:3]))
    log(f"registered {DEVICES} devices in {time.monotonic() - t0:.1f} s")

    per_dev = READINGS // DEVICES + 2
    mq = Mqtt(MQTT_PORT)
    # The breach on an idle server: the floor under the figure taken during the stream.
    idle = []
    for k in range(3):
        before = cases_count(api)
        t = time.monotonic()
        mq.publish("gridloop/devices/DEMO-NOISE-2/readings",
                   json.dumps({"time": iso(datetime.now(timezone.utc)), "values": {"noise_db": 95}}))
        while cases_count(api) == before and time.monotonic() - t < 30:
            time.sleep(0.002)
        idle.append((time.monotonic() - t) * 1000)
        mq.puback()
        time.sleep(1.1)
        mq.publish("gridloop/devices/DEMO-NOISE-2/readings",
                   json.dumps({"time": iso(datetime.now(timezone.utc)), "values": {"noise_db": 50}}))
        mq.puback()
        time.sleep(1.1)
    log(f"idle server: breach to case {', '.join(f'{x:.0f}' for x in idle)} ms")
    rates, latencies, totals = [], [], []
    cpu_server, cpu_broker, cpu_pub = [], [], []
    for run in range(RUNS):
        st = status(api)
        base = st["readings"] + st["rejected"]
        before_cases = cases_count(api)
        backfill = per_dev * (RUNS - run + 1) + 5
        cpu0 = (threads(SERVER_PID), threads(BROKER_PID))
        sim = subprocess.Popen([SIM, "--url", f"mqtt://127.0.0.1:{MQTT_PORT}", "--rate", RATE,
                                "--count", str(READINGS), "--extra", str(DEVICES), "--only-extra",
                                "--backfill", str(backfill), "--quiet", "--client-id",
                                f"bench-sim-{run}", "--seed", str(run + 1), "--batch", BATCH]
                               + (["--gateway"] if GATEWAY else []),
                               stderr=subprocess.PIPE, text=True)
        samples = []  # (monotonic, readings so far)
        breach_at = None
        latency = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            st = status(api)
            done = st["readings"] + st["rejected"] - base
            now = time.monotonic()
            samples.append((now, done))
            if breach_at is None and done >= READINGS // 3:
                before_cases = cases_count(api)
                breach_at = time.monotonic()
                mq.publish("gridloop/devices/DEMO-NOISE-1/readings",
                           json.dumps({"time": iso(datetime.now(timezone.utc)),
                                       "values": {"noise_db": 96.5}}))
                while cases_count(api) == before_cases and time.monotonic() - breach_at < 120:
                    time.sleep(0.002)
                latency = time.monotonic() - breach_at
                mq.puback()
                continue
            if done >= READINGS + (1 if breach_at else 0):
                break
            time.sleep(0.2)
        _, _, ru = os.wait4(sim.pid, 0)
        sim.returncode = 0
        simlog = sim.stderr.read().strip()
        srv = cpu_delta(cpu0[0], threads(SERVER_PID))
        brk = sum(cpu_delta(cpu0[1], threads(BROKER_PID)).values())
        us = lambda sec: sec * 1e6 / READINGS
        parts = ", ".join(f"{k} {us(v):.1f}" for k, v in sorted(srv.items(), key=lambda x: -x[1]) if v > 0)
        log(f"run {run + 1}: CPU µs per reading: server {us(sum(srv.values())):.1f} ({parts}); "
            f"broker {us(brk):.1f}; publisher {us(ru.ru_utime + ru.ru_stime):.1f}")
        cpu_server.append(us(sum(srv.values())))
        cpu_broker.append(us(brk))
        cpu_pub.append(us(ru.ru_utime + ru.ru_stime))
        st = status(api)
        # Sustained: from 10% to 90% of the stream, where the rate is steady.
        lo = next(s for s in samples if s[1] >= READINGS * 0.1)
        hi = next((s for s in samples if s[1] >= READINGS * 0.9), samples[-1])
        rate = (hi[1] - lo[1]) / (hi[0] - lo[0]) if hi[0] > lo[0] else float("nan")
        first = next(s for s in samples if s[1] > 0)
        total = samples[-1][1] / (samples[-1][0] - first[0]) if samples[-1][0] > first[0] else 0
        rates.append(rate)
        totals.append(total)
        if latency is not None:
            latencies.append(latency * 1000)
        log(f"run {run + 1}: {samples[-1][1]} readings, sustained {rate:,.0f}/s (10-90%), "
            f"overall {total:,.0f}/s; breach to case {latency * 1000 if latency else float('nan'):.0f} ms; "
            f"rejected {st['rejected']}, duplicates {st['duplicates']}; {simlog.splitlines()[-1]}; "
            f"load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
        # The condition recovers, so the next run's breach opens a new case.
        time.sleep(1.1)
        mq.publish("gridloop/devices/DEMO-NOISE-1/readings",
                   json.dumps({"time": iso(datetime.now(timezone.utc)), "values": {"noise_db": 50}}))
        mq.puback()
        time.sleep(1.5)

    # The same readings over HTTP, batches of 1,000 (one writer job each, all or nothing).
    # An hour back: no MQTT run stamped its readings there, so none is a duplicate.
    t_base = datetime.now(timezone.utc) - timedelta(seconds=3600)
    n = min(READINGS, 100000)
    batches, k = [], 0
    while k < n:
        batch = []
        for j in range(k, min(k + 1000, n)):
            d = j % DEVICES
            batch.append({"device": f"SIM-{d + 1:05d}", "time": iso(t_base + timedelta(seconds=j // DEVICES)),
                          "values": {METRICS[d % 6]: NORMAL[d % 6]}})
        batches.append(json.dumps({"readings": batch}).encode())
        k += 1000
    h = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    cpu0 = threads(SERVER_PID)
    dups = 0
    t0 = time.monotonic()
    for body in batches:
        api.c.request("POST", "/api/v1/readings", body=body, headers=h)
        r = api.c.getresponse()
        rep = json.loads(r.read())
        assert r.status == 200, r.status
        dups += rep["duplicates"]
    dt = time.monotonic() - t0
    srv = cpu_delta(cpu0, threads(SERVER_PID))
    parts = ", ".join(f"{k} {v * 1e6 / n:.1f}" for k, v in sorted(srv.items(), key=lambda x: -x[1]) if v > 0)
    log(f"HTTP: {n} readings in batches of 1,000 in {dt:.2f} s = {n / dt:,.0f}/s ({dups} duplicates); server CPU µs per "
        f"reading {sum(srv.values()) * 1e6 / n:.1f} ({parts})")
    print(f"mqtt_sustained_median\t{median(rates):.0f}")
    print(f"mqtt_overall_median\t{median(totals):.0f}")
    print(f"breach_to_case_ms_median\t{median(latencies):.0f}")
    print(f"breach_to_case_idle_ms_median\t{median(idle):.0f}")
    print(f"breach_to_case_ms_all\t{','.join(f'{x:.0f}' for x in latencies)}")
    print(f"http_batch_rate\t{n / dt:.0f}")
    print(f"cpu_us_per_reading_server_broker_publisher\t{median(cpu_server):.1f}\t{median(cpu_broker):.1f}\t{median(cpu_pub):.1f}")


main()
