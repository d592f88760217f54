#!/usr/bin/env python3
"""
gridloop backup while the server takes cases: serve DB, two clients POST /api/v1/cases as the
demo operator (password demo) for 5 s, `gridloop backup` runs, 5 s more; prints the backup's
time and the intake latency during it and outside it (docs/benchmarks.md, issue 10).

    python3 bench/backup_during.py DB OUT_DIR PORT      # DB from gridloop init --demo + bench/load_cases.py
"""
import os
import subprocess
import sys
import threading
import time

import requests

G = os.environ.get("GRIDLOOP_BIN", os.path.join(os.path.dirname(__file__), "..", "build", "gridloop"))
if len(sys.argv) != 4:
    sys.exit(__doc__)
db, out, port = sys.argv[1], sys.argv[2], sys.argv[3]
srv = subprocess.Popen([G, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--login-max-ip-failures", "100000"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"
for _ in range(600):
    try:
        if requests.get(base + "/healthz", timeout=1).status_code == 200: break
    except Exception: pass
    time.sleep(0.1)
tok = requests.post(base + "/api/v1/auth/login", json={"name": "operator", "password": "demo"}).json()["token"]
lat = []  # (t_start, seconds)
stop = threading.Event()
def w():
    s = requests.Session(); s.headers["Authorization"] = "Bearer " + tok
    while not stop.is_set():
        t = time.monotonic()
        r = s.post(base + "/api/v1/cases", json={"title": "备份期间", "description": "路灯不亮", "channel": "hotline"})
        assert r.status_code == 201, r.text
        lat.append((t, time.monotonic() - t))
ths = [threading.Thread(target=w) for _ in range(2)]
for t in ths: t.start()
time.sleep(5)
b0 = time.monotonic()
p = subprocess.run([G, "backup", "--db", db, "--out", out], capture_output=True, text=True)
b1 = time.monotonic()
time.sleep(5)
stop.set()
for t in ths: t.join()
srv.terminate(); srv.wait()
print(p.stdout, p.stderr)
def summ(xs):
    xs = sorted(xs); n = len(xs)
    return f"n={n} p50={xs[n//2]*1000:.1f}ms p99={xs[int(n*0.99)]*1000:.1f}ms max={xs[-1]*1000:.1f}ms"
print(f"backup wall {b1-b0:.2f} s")
print("POST /cases during backup:", summ([d for t, d in lat if b0 <= t <= b1]))
print("POST /cases outside     :", summ([d for t, d in lat if t < b0 or t > b1]))
