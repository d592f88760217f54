"""
Latency of GET /api/v1/stats/assessment on a loaded database (see docs/benchmarks.md,
"Assessment on 1,000,000 cases"): python3 bench/assess_latency.py PORT, against a server over a
database filled by bench/load_cases.py (password of the demo supervisor: demo, or
GRIDLOOP_BENCH_PASSWORD).
"""
import os, requests, time, statistics, sys
base = "http://127.0.0.1:%s" % sys.argv[1]
pw = os.environ.get("GRIDLOOP_BENCH_PASSWORD", "demo")
tok = requests.post(base + "/api/v1/auth/login", json={"name": "supervisor", "password": pw}).json()["token"]
h = {"Authorization": "Bearer " + tok}
# The web asks for Beijing days (web/app/views/assessment.js: 2026-06-01T00:00:00+08:00), whose
# whole days come from the roll-ups; a bare date is a UTC midnight, 8 hours into a Beijing day,
# so its two partial days are read from the raw facts (the "UTC" rows).
bj = lambda d: d + "T00:00:00%2B08:00"
for label, q in [("month by department", f"from={bj('2026-06-01')}&to={bj('2026-07-01')}"),
                 ("month by region", f"from={bj('2026-06-01')}&to={bj('2026-07-01')}&by=region"),
                 ("year by department", f"from={bj('2025-12-01')}&to={bj('2026-12-01')}"),
                 ("year by region", f"from={bj('2025-12-01')}&to={bj('2026-12-01')}&by=region"),
                 ("week by department", f"from={bj('2026-06-01')}&to={bj('2026-06-08')}"),
                 ("year by dept, UTC", "from=2025-12-01&to=2026-12-01"),
                 ("month by dept, UTC", "from=2026-06-01&to=2026-07-01")]:
    ts = []
    for i in range(7):
        t = time.time(); r = requests.get(base + "/api/v1/stats/assessment?" + q, headers=h); ts.append((time.time() - t) * 1000)
        assert r.status_code == 200, r.text
    print(f"{label:22s} median {statistics.median(ts):7.1f} ms  max {max(ts):7.1f} ms  rows {len(r.json().get('items', r.json().get('rows', [])))}")
