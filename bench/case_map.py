#!/usr/bin/env python3
"""
The maps' case queries on a loaded database (docs/benchmarks.md, "Maps: cases per grid and
nearby"): GET /api/v1/stats/grids over windows of 1 to 365 days, and the case list's place
filters (open cases within 500 m, a grid's box, with and without a window).

    build/bench_gen_cases DB 1000000 20000          # cases without points
    python3 bench/case_map.py prepare DB            # each located case gets a point in its grid
    build/gridloop serve --db DB --listen 127.0.0.1:18931 &
    python3 bench/case_map.py measure http://127.0.0.1:18931 [ROUNDS=20]
"""
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import time

import requests

PASSWORD = "demo-pass-1"
OPEN = "new,dispatched,returned,processing,hanging,reviewing,replied,rectifying"


def prepare(db):
    con = sqlite3.connect(db)
    boxes = {}
    for rid, b in con.execute("SELECT id, boundary FROM regions WHERE level = 'grid' AND boundary IS NOT NULL"):
        ring = json.loads(b)["coordinates"][0]
        lats, lons = [p[1] for p in ring], [p[0] for p in ring]
        boxes[rid] = (min(lats), max(lats), min(lons), max(lons))
    rnd = random.Random(1)
    rows = []
    for cid, rid in con.execute("SELECT id, region_id FROM cases"):
        if rid in boxes:
            a, b, c, d = boxes[rid]
            rows.append((rnd.uniform(a, b), rnd.uniform(c, d), cid))
    con.executemany("UPDATE cases SET lat = ?, lon = ? WHERE id = ?", rows)
    con.commit()
    con.execute("ANALYZE")
    con.commit()
    print(f"{len(rows)} cases located in {len(boxes)} grids")


def measure(base, rounds):
    r = requests.post(base + "/api/v1/auth/login", json={"name": "admin", "password": PASSWORD}, timeout=10)
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + r.json()["token"]

    def timed(name, path, params):
        ts = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            resp = s.get(base + path, params=params, timeout=60)
            ts.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, resp.text
        b = resp.json()
        n = b["total"] if "total" in b else sum(i["total"] for i in b["items"])
        print(f"{name:28s} p50 {statistics.median(ts):7.1f} ms  max {max(ts):7.1f} ms  ({n} cases)")

    now = dt.datetime.now(dt.timezone.utc)
    for days in (1, 14, 30, 90, 365):
        timed(f"grids, {days} d", "/api/v1/stats/grids",
              {"from": (now - dt.timedelta(days=days)).isoformat(), "to": now.isoformat()})
    grid = [g for g in s.get(base + "/api/v1/regions", params={"level": "grid"}).json()["items"]][0]
    ring = s.get(base + f"/api/v1/regions/{grid['id']}").json()["boundary"]["coordinates"][0]
    lats, lons = [p[1] for p in ring], [p[0] for p in ring]
    lat, lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    box = f"{min(lons)},{min(lats)},{max(lons)},{max(lats)}"
    from14 = (now - dt.timedelta(days=14)).isoformat()
    timed("open within 500 m", "/api/v1/cases", {"near": f"{lat},{lon}", "radius": 500, "open": "true", "limit": 21})
    timed("state=open... within 500 m", "/api/v1/cases", {"near": f"{lat},{lon}", "radius": 500, "state": OPEN, "limit": 21})
    timed("all within 500 m", "/api/v1/cases", {"near": f"{lat},{lon}", "radius": 500, "limit": 21})
    timed("a grid's box", "/api/v1/cases", {"bbox": box, "limit": 200})
    timed("a grid's box, 14 d", "/api/v1/cases", {"bbox": box, "from": from14, "limit": 200})
    timed("14 d (the dashboard's points)", "/api/v1/cases", {"from": from14, "limit": 200})


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(sys.argv[2])
    else:
        measure(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 20)
