#!/usr/bin/env python3
"""Aggregates through a data grant (issue 17, docs/benchmarks.md "Aggregates through a grant"): the
residents of bench/import.py (ROWS, default 1,000,000) imported once; 区城管局's handler requests
所属社区 and 家庭人口数 as aggregates, the data officer approves with a budget; then REPS times
(median ms) each of: a count over everything, count + sum grouped by community, and the same with
Laplace noise (epsilon 0.01 spent from the budget).

    bench/grant_aggregate.py           ROWS=100000 REPS=3 bench/grant_aggregate.py
    DB=postgresql://... bench/grant_aggregate.py   (a fresh, empty PostgreSQL database)
"""
import os
import shutil
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from importlib import import_module  # noqa: E402

imp = import_module("import")
ROWS = int(os.environ.get("ROWS", "1000000"))
REPS = int(os.environ.get("REPS", "5"))
PW = imp.PW


def main():
    tmp, db, base, srv = imp.start_server("gl-grant-")
    try:
        def login(name):
            r = requests.post(base + "/auth/login", json={"name": name, "password": PW}).json()
            return {"Authorization": "Bearer " + r["token"]}, r["user"]
        h, user = login("data_officer")
        hc, _ = login("handler_cgj")
        regions = requests.get(base + "/regions", headers=h).json()["items"]
        communities = [(x["name"], x["code"]) for x in regions if x["level"] == "community"]
        fields = [{"name": "name", "label": "姓名", "type": "name", "mask": "name", "required": True},
                  {"name": "id_no", "label": "公民身份号码", "type": "id_card", "mask": "id_card", "required": True},
                  {"name": "mobile", "label": "手机号码", "type": "mobile", "mask": "mobile"},
                  {"name": "address", "label": "居住地址", "type": "address", "mask": "address"},
                  {"name": "community", "label": "所属社区", "type": "region"},
                  {"name": "birthday", "label": "出生日期", "type": "date", "mask": "year"},
                  {"name": "household", "label": "家庭人口数", "type": "integer", "lo": 0, "hi": 12}]
        d = requests.post(base + "/datasets", headers=h, json={
            "name": "基准人口", "department_id": user["departments"][0], "grade": "important",
            "share_class": "conditional", "fields": fields}).json()
        r = requests.post(f"{base}/datasets/{d['id']}/import", params={"format": "csv", "mode": "replace"},
                          headers={**h, "Content-Type": "text/csv"}, data=imp.csv_bytes(ROWS, communities), timeout=3600)
        assert r.status_code == 200 and r.json()["row_count"] == ROWS, r.text[:500]
        q = requests.post(base + "/data-requests", headers=hc, json={
            "dataset_id": d["id"], "fields": ["community", "household", "birthday"], "mode": "aggregate",
            "purpose": "基准测试", "legal_basis": "基准测试", "period_days": 30}).json()
        g = requests.post(f"{base}/data-requests/{q['id']}/decision", headers=h,
                          json={"decision": "approve", "epsilon_total": 10}).json()["grant_id"]
        print(f"aggregate over {ROWS} rows, {'PostgreSQL' if db.startswith('postgres') else 'SQLite'}, grant {g}")
        queries = [
            ("count, no grouping", {"measures": [{"op": "count"}], "epsilon": 0.01}),
            ("count + sum by community", {"group_by": ["community"],
                                          "measures": [{"op": "count"}, {"op": "sum", "field": "household"}], "epsilon": 0.01}),
            ("count by birth year (masked) and community", {"group_by": ["birthday", "community"],
                                                            "measures": [{"op": "count"}], "epsilon": 0.01}),
        ]
        for name, body in queries:
            ms = []
            for _ in range(REPS):
                t0 = time.monotonic()
                r = requests.post(f"{base}/data-grants/{g}/aggregate", headers=hc, json=body, timeout=3600)
                ms.append((time.monotonic() - t0) * 1000)
                assert r.status_code == 200, r.text[:500]
            a = r.json()
            print(f"  {name}: median {statistics.median(ms):,.0f} ms (min {min(ms):,.0f}, max {max(ms):,.0f}),"
                  f" {len(a['cells'])} cells, {sum(c['suppressed'] for c in a['cells'])} suppressed")
    finally:
        srv.terminate()
        srv.wait()
        if not os.environ.get("DB"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
