#!/usr/bin/env python3
"""
Geocoding over HTTP (bench/geocode.sh HTTP=1): a demo database with a synthetic register of
ADDRESSES points (bench_geocode --write), one `gridloop serve`, one keep-alive client on
loopback. Measures GET /api/v1/geocode/suggest per keystroke (every prefix of random addresses
as typed), GET /api/v1/geocode, and intake (POST /api/v1/cases) of a case with an address the
register has versus one with no address (what locating adds to intake), one at a time.
"""
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "gridloop")
N = int(os.environ.get("ADDRESSES", "100000"))
Q = int(os.environ.get("QUERIES", "300"))


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


def line(what, v):
    print(f"{what:36s} n={len(v):<6d} p50 {statistics.median(v):6.2f} ms  p90 {pct(v, .9):6.2f} ms"
          f"  p99 {pct(v, .99):6.2f} ms  max {max(v):6.2f} ms")


def main():
    d = tempfile.mkdtemp(prefix="bench-geocode-")
    db = os.path.join(d, "demo.db")
    subprocess.run([BIN, "init", "--db", db, "--demo", "--demo-password", "demo"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([os.path.join(ROOT, "build", "bench_geocode"), "--db", db, "--write",
                    "--addresses", str(N)], check=True)
    con = sqlite3.connect(db)
    addrs = [r[0] for r in con.execute("SELECT address FROM addr_points WHERE code LIKE 'BENCH-%' ORDER BY id")]
    con.close()
    port = 20000 + os.getpid() % 20000
    srv = subprocess.Popen([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        s = requests.Session()
        tok = s.post(base + "/auth/login", json={"name": "operator", "password": "demo"}).json()["token"]
        s.headers["Authorization"] = "Bearer " + tok
        s.get(base + "/geocode/suggest", params={"q": "路"})  # the index is built on first use
        rnd = random.Random(14)
        ks, full = [], []
        for _ in range(Q):
            a = rnd.choice(addrs)
            for i in range(1, len(a) + 1):
                t = time.perf_counter()
                r = s.get(base + "/geocode/suggest", params={"q": a[:i]})
                ks.append((time.perf_counter() - t) * 1e3)
                assert r.status_code == 200, r.text
            t = time.perf_counter()
            r = s.get(base + "/geocode", params={"q": a})
            full.append((time.perf_counter() - t) * 1e3)
        line("suggest over HTTP, per keystroke", ks)
        line("geocode over HTTP", full)
        desc = "路边的垃圾桶已经满了好几天没人清运，周边气味很大，请尽快处理。" * 2
        with_addr, without = [], []
        for k in range(2 * min(Q, 200)):
            body = {"channel": "hotline", "title": "垃圾桶满溢", "description": desc}
            if k % 2:
                body["address"] = rnd.choice(addrs)
            t = time.perf_counter()
            r = s.post(base + "/cases", json=body)
            (with_addr if k % 2 else without).append((time.perf_counter() - t) * 1e3)
            assert r.status_code == 201, r.text
        line("intake, no address", without)
        line("intake, address located", with_addr)
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    sys.exit(main())
