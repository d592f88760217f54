"""The demo on a real district (`gridloop init --demo --district 东城区`, docs/grid.md
section 8): 17 streets and 169 社区 under their official codes, 338 grids, everything tiling
the real boundary, the address register and cases on it, the grid worker's own grid, and
the refusals."""
import json
import re
import time

from conftest import GENEROUS, PASSWORD, Api, Server, db_open, drop_db, new_db, run_cli

REG = "/api/v1/regions"


def test_real_district_demo(tmp_path):
    db = new_db(tmp_path, "district")
    p = run_cli("init", "--db", db, "--demo", "--district", "东城区", "--demo-cases", "40",
                "--demo-password", PASSWORD)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo data: 525 regions" in p.stdout, p.stdout
    assert "demo cases: 40" in p.stdout, p.stdout
    con = db_open(db, readonly=True)
    try:
        levels = dict(con.execute("SELECT level, count(*) FROM regions GROUP BY level").fetchall())
        assert levels == {"district": 1, "street": 17, "community": 169, "grid": 338}, levels
        names = dict(con.execute("SELECT code, name FROM regions WHERE level IN "
                                 "('district', 'street') OR code = '110101001001'").fetchall())
        assert names["110101"] == "东城区" and names["110101001"] == "东华门街道"
        assert names["110101017"] == "永定门外街道" and names["110101001001"] == "多福巷社区"
        # The boundary is the real one in WGS84: 东城区 lies between the 2nd ring's corners.
        ring = json.loads(con.execute("SELECT boundary FROM regions WHERE code = '110101'")
                          .fetchone()[0])["coordinates"][0]
        lons, lats = [q[0] for q in ring], [q[1] for q in ring]
        assert 116.37 < min(lons) < 116.39 and 116.44 < max(lons) < 116.46, (min(lons), max(lons))
        assert 39.85 < min(lats) < 39.865 and 39.96 < max(lats) < 39.98, (min(lats), max(lats))
        points = con.execute("SELECT count(*), count(region_id) FROM addr_points").fetchone()
        assert points[0] > 1000 and points[0] == points[1], points
        # The 40 cases asked for, the patrols' findings, the ladder's cases and the 自行处置
        # (below).
        found = int(re.search(r"position fixes, (\d+) findings\)", p.stdout).group(1))
        assert "demo ladder: 4 cases" in p.stdout and "2 patrol findings escalated" in p.stdout, \
            p.stdout
        selfs = int(re.search(r"demo self-handled: (\d+) cases", p.stdout).group(1))
        cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
        assert found > 10 and selfs > 10 and cases == 40 + found + 4 + selfs, (found, selfs, cases)
        spot = con.execute("SELECT p.lon, p.lat, r.code FROM addr_points p "
                           "JOIN regions r ON r.id = p.region_id ORDER BY p.id LIMIT 1").fetchone()
        # A week of patrols: ended, in the last 7 days before today, each with its fixes inside
        # its own time, by full-time workers in their own grid.
        now = int(time.time())
        pat = con.execute("SELECT count(*), min(started_at), max(ended_at), count(ended_at),"
                          " count(DISTINCT user_id) FROM patrols").fetchone()
        assert pat[0] > 1000 and pat[0] == pat[3], pat
        assert now - 8 * 86400 < pat[1] and pat[2] < now, pat
        assert pat[4] >= 300, pat
        bad = con.execute("SELECT count(*) FROM patrol_fixes f JOIN patrols p ON p.id = f.patrol_id"
                          " WHERE f.at < p.started_at OR f.at > p.ended_at").fetchone()[0]
        assert bad == 0
        empty = con.execute("SELECT count(*) FROM patrols p WHERE NOT EXISTS"
                            " (SELECT 1 FROM patrol_fixes f WHERE f.patrol_id = p.id)").fetchone()[0]
        assert empty == 0
        stray = con.execute("SELECT count(*) FROM patrols p WHERE NOT EXISTS"
                            " (SELECT 1 FROM grid_worker_grids g WHERE g.user_id = p.user_id"
                            " AND g.region_id = p.region_id)").fetchone()[0]
        assert stray == 0
        assert f"demo patrols: {pat[0]} over the last 7 days" in p.stdout, p.stdout
        # Findings: grid cases by the patrol's worker, in its grid, reported during the patrol.
        fnd = con.execute("SELECT count(*), count(DISTINCT f.patrol_id), min(f.patrol_id),"
                          " sum(CASE WHEN c.channel = 'grid' AND c.region_id = p.region_id"
                          " AND c.created_at BETWEEN p.started_at AND p.ended_at"
                          " AND c.created_by = p.user_id THEN 1 ELSE 0 END)"
                          " FROM patrol_findings f JOIN patrols p ON p.id = f.patrol_id"
                          " JOIN cases c ON c.id = f.case_id").fetchone()
        assert fnd[0] == found and fnd[1] == found and fnd[3] == found, fnd
        finding_patrol = fnd[2]
        # 自行处置 on patrol: closed at once without a department by a worker of the case's
        # grid, a before and an after photo each, audited like the API's.
        sh = con.execute("SELECT count(*), count(DISTINCT c.created_by),"
                         " max(c.closed_at - c.created_at) FROM cases c WHERE c.self_handled = 1"
                         " AND c.state = 'closed' AND c.channel = 'grid' AND c.lead_department_id"
                         " IS NULL AND EXISTS (SELECT 1 FROM grid_worker_grids g WHERE"
                         " g.user_id = c.created_by AND g.region_id = c.region_id)").fetchone()
        assert sh[0] == selfs and sh[1] > 10 and sh[2] < 60, sh
        photos = con.execute("SELECT count(*) FROM case_attachments a JOIN cases c"
                             " ON c.id = a.case_id WHERE c.self_handled = 1").fetchone()[0]
        assert photos == 2 * selfs, photos
        audited = dict(con.execute("SELECT action, count(*) FROM audit_log WHERE action IN"
                                   " ('case.ladder_forward', 'case.ladder_escalate',"
                                   " 'case.self_handle') GROUP BY action").fetchall())
        assert audited == {"case.ladder_forward": 8, "case.ladder_escalate": 3,
                           "case.self_handle": selfs}, audited
        # Two findings their worker sent up to the 社区 with a reason.
        steps = con.execute("SELECT s.case_id, s.level, s.came_by, s.reason, s.handling_at"
                            " FROM case_ladder_steps s ORDER BY s.case_id, s.seq").fetchall()
        by_case = {}
        for st in steps:
            by_case.setdefault(st[0], []).append(st)
        up = {k: v for k, v in by_case.items() if v[0][1] == "grid"}
        assert len(up) == 2 and all([x[1] for x in v] == ["grid", "community"] and v[1][3]
                                    for v in up.values()), up
        # The ladder: four cases forwarded district -> street -> community by the officials,
        # one escalated back to the street with a reason, one taken on by the community.
        by_case = {k: v for k, v in by_case.items() if k not in up}
        assert len(by_case) == 4, by_case
        paths = sorted([x[1] for x in v] for v in by_case.values())
        assert paths == [["district", "street", "community"]] * 3 + \
            [["district", "street", "community", "street"]], paths
        escalated = [v for v in by_case.values() if v[-1][2] == "escalate"]
        assert len(escalated) == 1 and escalated[0][-1][3], escalated
        ladder_case = escalated[0][0][0]
        assert len([v for v in by_case.values() if v[-1][4]]) == 1
    finally:
        con.close()

    srv = Server(str(tmp_path / "srv"), None, GENEROUS, db=db).start()
    try:
        api = Api(srv)
        r = api.get("citizen", f"{REG}/locate?lat={spot[1]}&lon={spot[0]}")
        assert r.status_code == 200, r.text
        path = r.json()["path"]
        assert [x["level"] for x in path] == ["district", "street", "community", "grid"]
        assert path[-1]["code"] == spot[2] and path[0]["code"] == "110101"
        assert path[-1]["code"].startswith(path[2]["code"]) and path[2]["code"].startswith(path[1]["code"])
        # The demo accounts serve real regions.
        me = api.get("grid_worker", "/api/v1/me").json()
        assert "多福巷社区第1网格" in json.dumps(me, ensure_ascii=False), me
        # The patrol screens have a week to show: the grid worker's own patrols with tracks,
        # coverage per grid and day, statistics per worker.
        day = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600 - 2 * 86400))
        today = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600))
        mine = api.get("grid_worker", "/api/v1/patrols").json()["items"]
        assert 3 <= len(mine) <= 7, mine
        one = api.get("grid_worker", f"/api/v1/patrols/{mine[0]['id']}").json()
        assert len(one["track"]["coordinates"]) >= 2, one
        cov = api.get("supervisor", f"/api/v1/patrols/coverage?from={day}&to={today}").json()["items"]
        shares = [c["share"] for c in cov]
        assert len(shares) == 3 * 338 and len([x for x in shares if x > 0.2]) > 300, shares
        assert all(0 <= x <= 1 for x in shares)
        stats = api.get("supervisor", f"/api/v1/patrols/stats?from={day}&to={today}").json()["items"]
        assert len(stats) >= 300 and all(s["patrols"] >= 1 and s["distance_m"] > 0 for s in stats)
        # Some grid-day has a coverage above zero, and a patrol shows its finding.
        assert max(shares) > 0.5, max(shares)
        one = api.get("supervisor", f"/api/v1/patrols/{finding_patrol}").json()
        assert len(one["finding_cases"]) == 1 and len(one["track"]["coordinates"]) >= 2, one
        case = api.get("supervisor", f"/api/v1/cases/{one['finding_cases'][0]['id']}").json()
        assert case["channel"] == "grid", case
        # The escalated case's ladder as the street official sees it: it is back at the street.
        lad = api.get("street_official", f"/api/v1/cases/{ladder_case}/ladder").json()
        assert [x["came_by"] for x in lad["steps"]] == ["entry", "forward", "forward", "escalate"]
        assert lad["level"] == "street" and lad["steps"][-1]["reason"], lad
        assert lad["steps"][1]["sent_by"] and lad["steps"][3]["sent_by"], lad
        # 小事不出网格率 has the week's 自行处置 to count (closed where they arose).
        week = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600 - 7 * 86400))
        tomorrow = time.strftime("%Y-%m-%d", time.gmtime(now + 8 * 3600 + 86400))
        r = api.get("supervisor", "/api/v1/stats/ladder", params={"from": week, "to": tomorrow})
        tot = r.json()["total"]
        assert r.status_code == 200 and tot["grid_entered"] >= selfs, r.text
        assert tot["grid_kept"] >= selfs and tot["grid_rate"] > 0, tot
        stats = api.get("supervisor", f"/api/v1/patrols/stats?from={week}&to={tomorrow}").json()
        assert sum(s["findings"] for s in stats["items"]) == found, stats
    finally:
        srv.check_clean_exit()
        drop_db(db)


def test_unknown_district_is_refused(tmp_path):
    db = new_db(tmp_path, "nowhere")
    p = run_cli("init", "--db", db, "--demo", "--district", "纽约区")
    assert p.returncode != 0
    assert "纽约区" in p.stderr and "东城区" in p.stderr, p.stderr
    p = run_cli("init", "--db", new_db(tmp_path, "nodemo"), "--district", "东城区")
    assert p.returncode != 0 and "--district needs --demo" in p.stderr, p.stderr
