#!/usr/bin/env python3
"""
The basemap's tiles (GET /api/v1/basemap/{z}/{x}/{y}) over a dense register the size of a real
district: builds a database with a street grid every 100 m (trunk, primary, secondary, branch
and paths), BUILDINGS building footprints, PLACES places of every type and water and green
areas of 400 points each, over the demo district's box (8.4 km x 6 km); starts `gridloop serve`
on it and asks every tile of the box at zooms 12 to 18 once cold (register version just bumped,
so nothing is cached), then again (the server's tile cache) and once more with the ETag (304).
Prints per zoom: tiles, bytes a tile (raw and gzip, mean and max), and the client-side latency
(p50, p99, max) of each pass. With --render, also times the browser's drawing of each zoom's
tiles (bench/basemap-render.mjs, chromium).

    python3 bench/basemap.py [--bin build/gridloop] [--buildings 40000] [--places 2000] [--render]
"""
import argparse
import gzip
import json
import math
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

import requests

BOX = (120.058, 30.173, 120.142, 30.227)  # src/demo/demo_data.c: demo_district_bbox
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPES = ["school", "kindergarten", "hospital", "clinic", "pharmacy", "market", "supermarket", "park",
         "government", "police", "community_centre", "elderly_care", "sports", "library", "bus_stop",
         "metro", "toilet", "other"]


def tile_of(lon, lat, z):
    n = 2 ** z
    s = math.sin(math.radians(lat))
    return int((lon + 180) / 360 * n), int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)


def blob(cx, cy, r, n, rnd):
    """A closed wobbly ring of n points around (cx, cy), radius r degrees."""
    pts = []
    for i in range(n):
        a = 2 * math.pi * i / n
        k = r * (1 + 0.25 * math.sin(5 * a) + 0.05 * rnd.random())
        pts.append([round(cx + k * math.cos(a), 7), round(cy + 0.8 * k * math.sin(a), 7)])
    return pts + [pts[0]]


def build_register(db, buildings, places):
    rnd = random.Random(14)
    con = sqlite3.connect(db)
    now = int(time.time())
    w, s, e, n = BOX
    step_lon, step_lat = 0.00104, 0.0009  # about 100 m
    roads = []

    def road(code, name, kind, line):
        lons = [p[0] for p in line]
        lats = [p[1] for p in line]
        roads.append((code, name, kind, json.dumps({"type": "LineString", "coordinates": line}),
                      min(lons), min(lats), max(lons), max(lats), now, now))

    def kind_of(i):
        return "trunk" if i % 20 == 0 else "primary" if i % 10 == 0 else "secondary" if i % 5 == 0 \
            else "branch" if i % 2 == 0 else "path"

    # Roads with a vertex every ~25 m and a slight bend, as surveyed roads have.
    for i in range(int((e - w) / step_lon) + 1):
        lon = w + i * step_lon
        line = [[round(lon + 0.00003 * math.sin(j / 7), 7), round(s + j * 0.000225, 7)]
                for j in range(int((n - s) / 0.000225) + 1)]
        road(f"ns{i}", f"南北{i}路", kind_of(i), line)
    for i in range(int((n - s) / step_lat) + 1):
        lat = s + i * step_lat
        line = [[round(w + j * 0.00026, 7), round(lat + 0.00003 * math.sin(j / 9), 7)]
                for j in range(int((e - w) / 0.00026) + 1)]
        road(f"ew{i}", f"东西{i}街", kind_of(i), line)
    con.executemany("INSERT INTO addr_roads (code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", roads)
    rows = []
    for i in range(buildings):
        cx, cy = rnd.uniform(w, e), rnd.uniform(s, n)
        bw, bh = rnd.uniform(0.00015, 0.0004), rnd.uniform(0.0001, 0.0003)
        ring = [[cx, cy], [cx + bw, cy], [cx + bw, cy + bh * 0.6], [cx + bw * 0.7, cy + bh * 0.6],
                [cx + bw * 0.7, cy + bh], [cx, cy + bh], [cx, cy]]
        ring = [[round(x, 7), round(y, 7)] for x, y in ring]
        rows.append((f"b{i}", "小区%d" % (i // 40), "%d幢" % (i % 40 + 1),
                     json.dumps({"type": "Polygon", "coordinates": [ring]}), cy + bh / 2, cx + bw / 2,
                     cx, cy, cx + bw, cy + bh, now, now))
    con.executemany("INSERT INTO addr_buildings (code, compound, number, footprint, lat, lon, min_lon, min_lat,"
                    " max_lon, max_lat, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    rows = [(f"p{i}", "地点%d号" % i, TYPES[i % len(TYPES)], rnd.uniform(s, n), rnd.uniform(w, e), now, now)
            for i in range(places)]
    con.executemany("INSERT INTO addr_places (code, name, type, lat, lon, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    rows = []
    for i in range(60):
        cx, cy, r = rnd.uniform(w, e), rnd.uniform(s, n), rnd.uniform(0.001, 0.004)
        ring = blob(cx, cy, r, 400, rnd)
        lons = [p[0] for p in ring]
        lats = [p[1] for p in ring]
        rows.append((f"a{i}", "water" if i % 3 == 0 else "green", "区域%d" % i,
                     json.dumps({"type": "Polygon", "coordinates": [ring]}),
                     min(lons), min(lats), max(lons), max(lats), now, now))
    con.executemany("INSERT INTO addr_areas (code, kind, name, geometry, min_lon, min_lat, max_lon, max_lat,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("UPDATE addr_version SET version = version + 1")
    con.commit()
    con.close()
    return len(roads)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "gridloop"))
    ap.add_argument("--buildings", type=int, default=40000)
    ap.add_argument("--places", type=int, default=2000)
    ap.add_argument("--zooms", default="12,13,14,15,16,17,18")
    ap.add_argument("--render", action="store_true")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="gl-basemap-")
    db = os.path.join(d, "db")
    subprocess.run([a.bin, "init", "--db", db], check=True, capture_output=True)
    t0 = time.time()
    nroads = build_register(db, a.buildings, a.places)
    print(f"register: {nroads} roads, {a.buildings} buildings, {a.places} places, 60 areas "
          f"({time.time() - t0:.1f} s to write)")
    port = 20000 + os.getpid() % 20000
    base = f"http://127.0.0.1:{port}"
    srv = subprocess.Popen([a.bin, "serve", "--db", db, "--listen", f"127.0.0.1:{port}",
                            "--web", os.path.join(ROOT, "build", "web")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if requests.get(base + "/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        http = requests.Session()
        print("| zoom | tiles | KiB a tile (mean / max) | gzip KiB (mean / max) | cold ms p50 / p99 / max "
              "| cached ms p50 / p99 | 304 ms p50 |")
        print("|---|---|---|---|---|---|---|")
        render_sets = {}
        for z in [int(x) for x in a.zooms.split(",")]:
            x0, y0 = tile_of(BOX[0], BOX[3], z)
            x1, y1 = tile_of(BOX[2], BOX[1], z)
            tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
            if len(tiles) > 400:  # a sample spread over the box
                tiles = random.Random(z).sample(tiles, 400)
            cold, warm, nm, sizes, gz = [], [], [], [], []
            for x, y in tiles:
                url = f"{base}/api/v1/basemap/{z}/{x}/{y}"
                t = time.perf_counter()
                r = http.get(url, headers={"Accept-Encoding": "identity"})
                cold.append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
                sizes.append(len(r.content))
                gz.append(len(gzip.compress(r.content)))
            for x, y in tiles:
                t = time.perf_counter()
                r = http.get(f"{base}/api/v1/basemap/{z}/{x}/{y}", headers={"Accept-Encoding": "identity"})
                warm.append((time.perf_counter() - t) * 1000)
                etag = r.headers["ETag"]
                t = time.perf_counter()
                r = http.get(f"{base}/api/v1/basemap/{z}/{x}/{y}", headers={"If-None-Match": etag})
                nm.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 304
            # For the render pass: the 16 tiles nearest the district's centre.
            cx, cy = tile_of((BOX[0] + BOX[2]) / 2, (BOX[1] + BOX[3]) / 2, z)
            render_sets[z] = sorted(tiles, key=lambda t: (t[0] - cx) ** 2 + (t[1] - cy) ** 2)[:16]
            print(f"| {z} | {len(tiles)} | {statistics.mean(sizes) / 1024:.1f} / {max(sizes) / 1024:.1f} "
                  f"| {statistics.mean(gz) / 1024:.1f} / {max(gz) / 1024:.1f} "
                  f"| {pct(cold, 50):.2f} / {pct(cold, 99):.2f} / {max(cold):.2f} "
                  f"| {pct(warm, 50):.2f} / {pct(warm, 99):.2f} | {pct(nm, 50):.2f} |")
        if a.render:
            spec = json.dumps({"base": base, "tiles": {str(z): t for z, t in render_sets.items()}})
            subprocess.run(["node", os.path.join(ROOT, "bench", "basemap-render.mjs"), spec], check=True)
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    sys.exit(main())
