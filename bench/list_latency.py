#!/usr/bin/env python3
"""
Latency of GET /api/v1/cases on a loaded database (bench/load_cases.py): a set of typical
filtered lists, each asked ROUNDS times in sequence by one client; prints p50/p99 per query and
the first page's total ("10000+": capped, total_capped).

    python3 bench/list_latency.py http://127.0.0.1:8080 [ROUNDS=200] [first]

Every fifth request is a first page (which counts the total), the others follow next_cursor;
with "first" every request is a first page.
"""
import statistics
import sys
import time

import requests

PASSWORD = "demo-pass-1"


def login(base, name):
    r = requests.post(base + "/api/v1/auth/login", json={"name": name, "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + r.json()["token"]
    return s


def main():
    base = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    first_only = len(sys.argv) > 3 and sys.argv[3] == "first"
    admin, handler, grid, citizen = (login(base, n) for n in ("admin", "handler_cgj", "grid_worker", "citizen"))
    depts = {d["code"]: d["id"] for d in admin.get(base + "/api/v1/departments").json()["items"]}
    regions = {r["code"]: r["id"] for r in admin.get(base + "/api/v1/regions").json()["items"]}
    cat_items = admin.get(base + "/api/v1/categories").json()["items"]
    cats = [c["id"] for c in cat_items]
    by_code = {c["code"]: c["id"] for c in cat_items}
    queries = [
        ("admin: newest", admin, {}),
        ("admin: state=processing", admin, {"state": "processing"}),
        ("admin: state=new,dispatched", admin, {"state": "new,dispatched"}),
        ("admin: department=CGJ", admin, {"department": depts["CGJ"]}),
        ("admin: department+state", admin, {"department": depts["CGJ"], "state": "processing"}),
        ("admin: region=street", admin, {"region": regions["330179001"]}),
        ("admin: region=community", admin, {"region": regions.get("330179002001", regions["330179001"])}),
        ("admin: region=grid", admin, {"region": regions.get("33017900100101", regions["330179001"])}),
        ("admin: region=community+category", admin,
         {"region": regions.get("330179002001", regions["330179001"]), "category": cats[0]}),
        ("admin: category", admin, {"category": cats[0]}),
        # The demo's 暴露垃圾 (a leaf) and 1203 (a subtree): rare in bench_gen_cases's skew.
        ("admin: category, a rare leaf", admin, {"category": by_code.get("010101", cats[0])}),
        ("admin: category, a rare subtree", admin, {"category": by_code.get("1203", cats[0])}),
        ("admin: channel=wechat,urgency=emergency", admin, {"channel": "wechat", "urgency": "emergency"}),
        ("admin: urgency=emergency", admin, {"urgency": "emergency"}),
        ("admin: overdue", admin, {"overdue": "true"}),
        ("admin: created in one week", admin, {"from": "2026-06-01", "to": "2026-06-08"}),
        ("admin: q=3+ chars", admin, {"q": "青石路垃圾"}),
        # Five characters as bench_gen_cases writes them: in half the cases, in 5%, in ~0.05%.
        ("admin: q=5 chars, common", admin, {"q": "市民来电反"}),
        ("admin: q=5 chars, 5%", admin, {"q": "已经持续三"}),
        ("admin: q=5 chars, rare", admin, {"q": "翠竹新村3"}),
        ("admin: q=4 Han chars (or a name), common", admin, {"q": "市民来电"}),
        ("admin: q=4 Han chars, none", admin, {"q": "油烟扰民"}),
        ("admin: q=5 chars + state", admin, {"q": "已经持续三", "state": "processing"}),
        ("admin: q=2 CJK chars", admin, {"q": "积水"}),
        ("admin: q=2 chars + department", admin, {"q": "积水", "department": depts["CGJ"], "state": "processing"}),
        ("admin: sort=deadline", admin, {"sort": "deadline", "state": "processing"}),
        ("admin: sort=updated", admin, {"sort": "updated"}),
        ("handler: scope", handler, {}),
        ("handler: to_sign", handler, {"queue": "to_sign"}),
        ("handler: to_handle", handler, {"queue": "to_handle"}),
        ("handler: overdue", handler, {"queue": "overdue"}),
        ("grid worker: scope", grid, {}),
        ("admin: to_dispatch", admin, {"queue": "to_dispatch"}),
        ("admin: returned", admin, {"queue": "returned"}),
        ("admin: pending", admin, {"queue": "pending"}),
        ("citizen: mine", citizen, {"queue": "mine"}),
    ]
    # Region-bound dispatchers (their region's cases and their own), where their password is
    # the demo's: a street's, and another street's when the database has one (a user named
    # street2, as docs/benchmarks.md's storm measurements add).
    for name, label in (("street_official", "street dispatcher"), ("street2", "another street's dispatcher")):
        try:
            s = login(base, name)
        except requests.HTTPError:
            continue
        queries += [(f"{label}: scope", s, {}), (f"{label}: to_dispatch", s, {"queue": "to_dispatch"}),
                    (f"{label}: returned", s, {"queue": "returned"})]
    print(f"{'query':45} {'items':>5} {'total':>8} {'p50 ms':>8} {'p99 ms':>8}")
    worst = 0.0
    for name, s, params in queries:
        times, items, total = [], 0, ""
        cursor = None
        for i in range(rounds):
            p = dict(params)
            # Every fifth request follows the cursor one page further.
            if cursor and i % 5 and not first_only:
                p["cursor"] = cursor
            t = time.perf_counter()
            r = s.get(base + "/api/v1/cases", params=p, timeout=60)
            times.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
            body = r.json()
            items = max(items, len(body["items"]))
            if "cursor" not in p:
                total = f"{body['total']}{'+' if body.get('total_capped') else ''}"
            cursor = body["next_cursor"]
        times.sort()
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        worst = max(worst, p99)
        print(f"{name:45} {items:5d} {total:>8} {statistics.median(times):8.1f} {p99:8.1f}")
    print(f"worst p99: {worst:.1f} ms")


if __name__ == "__main__":
    main()
