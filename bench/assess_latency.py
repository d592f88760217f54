"""
Latency of GET /api/v1/stats/assessment on a loaded database (see docs/benchmarks.md,
"Assessment on 1,000,000 cases"): python3 bench/assess_latency.py PORT, against a server over a
database filled by bench/load_cases.py (password of the demo supervisor: demo).
"""
import requests, time, statistics, sys
base = "http://127.0.0.1:%s" % sys.argv[1]
tok = requests.post(base + "/api/v1/auth/login", json={"name": "supervisor", "password": "demo"}).json()["token"]
h = {"Authorization": "Bearer " + tok}
for label, q in [("month by department", "from=2026-06-01&to=2026-07-01"),
                 ("month by region", "from=2026-06-01&to=2026-07-01&by=region"),
                 ("year by department", "from=2025-12-01&to=2026-12-01"),
                 ("week by department", "from=2026-06-01&to=2026-06-08")]:
    ts = []
    for i in range(7):
        t = time.time(); r = requests.get(base + "/api/v1/stats/assessment?" + q, headers=h); ts.append((time.time() - t) * 1000)
        assert r.status_code == 200, r.text
    print(f"{label:22s} median {statistics.median(ts):7.1f} ms  max {max(ts):7.1f} ms  rows {len(r.json().get('items', r.json().get('rows', [])))}")
