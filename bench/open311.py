#!/usr/bin/python3
"""Open311 throughput and latency on a fresh demo database (docs/benchmarks.md, section 4).

    bench/open311.py [--posts N] [--threads T] [--gets N]

Starts build/gridloop (or $GRIDLOOP_BIN) on a temporary copy of a demo database, POSTs N
requests through /open311/v2/requests.xml from T client threads (keep-alive sessions, the
demo key), then times GET requests.{xml,json} (the default window: up to 1000 requests, the
largest page the spec allows) and servicerequestupdates.xml. Prints one line per figure.
Python's requests is the client, so the POST figure is a floor, not the server's ceiling.
"""
import argparse
import concurrent.futures
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("GRIDLOOP_BIN", os.path.join(ROOT, "build", "gridloop"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--gets", type=int, default=50)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="gridloop-open311-bench.")
    db = os.path.join(tmp, "db")
    subprocess.run([BIN, "init", "--db", db, "--demo"], check=True, capture_output=True)
    # Its own client: the demo key is limited to 60 POSTs a minute.
    p = subprocess.run([BIN, "open311", "key", "add", "--db", db, "--name", "bench", "--rate-limit", "100000"],
                       check=True, capture_output=True, text=True)
    key = p.stdout.strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    srv = subprocess.Popen([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--access-log", "false"],
                           stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.log"), "w"))
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        per = args.posts // args.threads

        def poster(i):
            s = requests.Session()
            lat = []
            for k in range(per):
                form = {"api_key": key, "service_code": "020201", "lat": "30.2", "long": "120.1",
                        "description": f"井盖缺失 bench {i}-{k}", "attribute[KIND]": "lid",
                        "attribute[HAZARD][]": ["hole", "sunk"], "first_name": "Bench", "phone": "13800138000"}
                t = time.perf_counter()
                r = s.post(base + "/open311/v2/requests.xml", data=form, timeout=30)
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            return lat

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.threads) as ex:
            lats = [x for part in ex.map(poster, range(args.threads)) for x in part]
        wall = time.perf_counter() - t0
        lats.sort()
        print(f"POST requests.xml: {len(lats)} cases in {wall:.2f} s = {len(lats) / wall:.0f}/s with {args.threads} "
              f"client threads; latency p50 {lats[len(lats) // 2] * 1000:.1f} ms, "
              f"p99 {lats[int(len(lats) * 0.99)] * 1000:.1f} ms")
        s = requests.Session()
        for path in ("requests.xml", "requests.json", "servicerequestupdates.xml"):
            times, size = [], 0
            for _ in range(args.gets):
                t = time.perf_counter()
                r = s.get(base + "/open311/v2/" + path, timeout=30)
                times.append(time.perf_counter() - t)
                assert r.status_code == 200
                size = len(r.content)
            print(f"GET {path}: {size} bytes, median {statistics.median(times) * 1000:.1f} ms, "
                  f"max {max(times) * 1000:.1f} ms over {args.gets}")
    finally:
        srv.terminate()
        srv.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
