"""The demo on a real district (`gridloop init --demo --district 东城区`, docs/grid.md
section 8): 17 streets and 169 社区 under their official codes, 338 grids, everything tiling
the real boundary, the address register and cases on it, the grid worker's own grid, and
the refusals."""
import json

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
        cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
        assert cases == 40
        spot = con.execute("SELECT p.lon, p.lat, r.code FROM addr_points p "
                           "JOIN regions r ON r.id = p.region_id ORDER BY p.id LIMIT 1").fetchone()
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
