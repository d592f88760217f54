#!/usr/bin/env python3
"""Dataset import through the API (issue 17, docs/benchmarks.md "Dataset import"): a CSV of ROWS
residents (default 1,000,000; name, a GB 11643 ID number with its check digit, mobile, address
in one of the demo's communities, community code, birth date, household size) posted to
POST /api/v1/datasets/{id}/import?mode=replace, every value validated and the rows loaded in one
transaction; REPS times (median rows/s), then one quality run over the loaded rows.

    bench/import.py                    ROWS=100000 REPS=1 bench/import.py
    DB=postgresql://... bench/import.py   (a fresh, empty PostgreSQL database)
"""
import os
import random
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
ROWS = int(os.environ.get("ROWS", "1000000"))
REPS = int(os.environ.get("REPS", "3"))
PW = "bench-pass-1"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "秀英", "建华", "志强", "海燕"]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_card(rnd, i):
    p = "330106%04d%02d%02d%03d" % (1940 + rnd.randrange(66), 1 + rnd.randrange(12), 1 + rnd.randrange(28), i % 1000)
    return p + "10X98765432"[sum(int(c) * w for c, w in zip(p, W)) % 11]


def csv_bytes(n, communities):
    rnd = random.Random(17)
    out = ["姓名,公民身份号码,手机号码,居住地址,所属社区,出生日期,家庭人口数"]
    for i in range(n):
        name, code = communities[i % len(communities)]
        out.append("%s%s,%s,1%d%08d,%s%d幢%d室,%s,19%02d-%02d-%02d,%d" % (
            SURNAMES[rnd.randrange(len(SURNAMES))], GIVEN[rnd.randrange(len(GIVEN))], id_card(rnd, i),
            rnd.choice((38, 39, 58, 86, 87)), rnd.randrange(10 ** 8), name, 1 + i % 40, 101 + i % 30, code,
            40 + rnd.randrange(60), 1 + rnd.randrange(12), 1 + rnd.randrange(28), 1 + rnd.randrange(6)))
    return ("\n".join(out) + "\n").encode()


def main():
    tmp = tempfile.mkdtemp(prefix="gl-import-")
    db = os.environ.get("DB") or os.path.join(tmp, "bench.db")
    subprocess.run([BIN, "init", "--db", db, "--demo", "--demo-password", PW], check=True, stdout=subprocess.DEVNULL)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen([BIN, "serve", "--db", db, "--listen", f"127.0.0.1:{port}", "--request-timeout", "3600",
                            "--request-deadline", "3600"], stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "err"), "w"))
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                requests.get(base.replace("/api/v1", "/healthz"), timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        r = requests.post(base + "/auth/login", json={"name": "data_officer", "password": PW}).json()
        h = {"Authorization": "Bearer " + r["token"]}
        mzj = r["user"]["departments"][0]
        regions = requests.get(base + "/regions", headers=h).json()["items"]
        communities = [(x["name"], x["code"]) for x in regions if x["level"] == "community"]
        fields = [{"name": "name", "label": "姓名", "type": "name", "required": True},
                  {"name": "id_no", "label": "公民身份号码", "type": "id_card", "required": True, "is_key": True},
                  {"name": "mobile", "label": "手机号码", "type": "mobile"},
                  {"name": "address", "label": "居住地址", "type": "address"},
                  {"name": "community", "label": "所属社区", "type": "region"},
                  {"name": "birthday", "label": "出生日期", "type": "date"},
                  {"name": "household", "label": "家庭人口数", "type": "integer"}]
        d = requests.post(base + "/datasets", headers=h, json={
            "name": "基准人口", "department_id": mzj, "grade": "important", "share_class": "conditional",
            "fields": fields}).json()
        body = csv_bytes(ROWS, communities)
        print(f"import: {ROWS} rows, {len(body) / 1e6:.1f} MB of CSV, {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}")
        rates = []
        for rep in range(REPS):
            t0 = time.monotonic()
            r = requests.post(f"{base}/datasets/{d['id']}/import", params={"format": "csv", "mode": "replace"},
                              headers={**h, "Content-Type": "text/csv"}, data=body, timeout=3600)
            dt = time.monotonic() - t0
            assert r.status_code == 200, r.text[:500]
            assert r.json()["row_count"] == ROWS
            rates.append(ROWS / dt)
            print(f"  rep {rep + 1}: {dt:.2f} s, {ROWS / dt:,.0f} rows/s")
        print(f"median {statistics.median(rates):,.0f} rows/s (min {min(rates):,.0f}, max {max(rates):,.0f})")
        t0 = time.monotonic()
        r = requests.post(f"{base}/datasets/{d['id']}/quality", headers=h, timeout=3600)
        dt = time.monotonic() - t0
        assert r.status_code == 201, r.text[:500]
        q = r.json()
        print(f"quality run: {dt:.2f} s, {q['rows_checked'] / dt:,.0f} rows/s, accuracy {q['accuracy']:.4f}")
    finally:
        srv.terminate()
        srv.wait()
        if not os.environ.get("DB"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
