"""
Region files (docs/grid.md §1): `gridloop region import --db FILE --geojson FILE` and
POST /api/v1/regions/import all or nothing, with the tiling report (gaps, overlaps, regions
outside their parent); micro-grids as a fifth level; export read back in; locate answering the
innermost region; roles and the audit entry.
"""
import json

from conftest import assert_error, copy_db, drop_db, new_db, run_cli

GRID = "33017900100101"  # 青石社区第1网格: lon 120.058..120.065, lat 30.173..30.17975
COMMUNITY = "330179001001"
GEOJSON = {"Content-Type": "application/geo+json"}


def poly(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feat(code, name, level, parent, geom):
    props = {"code": code, "name": name, "level": level}
    if parent:
        props["parent_code"] = parent
    return {"type": "Feature", "properties": props, "geometry": geom}


def fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def write(tmp_path, name, doc):
    f = tmp_path / name
    f.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return str(f)


def export_doc(db, *extra):
    p = run_cli("region", "export", "--db", db, *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def codes(doc):
    return {f["properties"]["code"] for f in doc["features"]}


def test_cli_import_contract(tmp_path, template_db):
    db = new_db(tmp_path, "cli", create=False)
    copy_db(template_db, db)
    try:
        # The export reads back in unchanged: every region updated, nothing new, no warnings.
        doc = export_doc(db)
        assert len(doc["features"]) == 117
        levels = [f["properties"]["level"] for f in doc["features"]]
        assert levels == sorted(levels, key=["district", "street", "community", "grid"].index)
        p = run_cli("region", "import", "--db", db, "--geojson", write(tmp_path, "all.geojson", doc))
        assert p.returncode == 0, p.stderr
        assert "imported 117 regions" in p.stdout and "0 new, 117 updated" in p.stdout, p.stdout
        assert "0 gaps, 0 overlaps, 0 outside" in p.stdout and "warning" not in p.stderr

        # A new community tiled by two grids and a micro-grid, children listed before parents.
        c = "330179001090"
        new = fc(
            feat(c + "02.1", "新社区1号楼", "micro", c + "02", poly(120.11, 30.2, 120.111, 30.201)),
            feat(c + "01", "新社区第1网格", "grid", c, poly(120.10, 30.2, 120.11, 30.21)),
            feat(c + "02", "新社区第2网格", "grid", c, poly(120.11, 30.2, 120.12, 30.21)),
            feat(c, "新社区", "community", "330179001", poly(120.10, 30.2, 120.12, 30.21)),
        )
        p = run_cli("region", "import", "--db", db, "--geojson", write(tmp_path, "new.geojson", new))
        assert p.returncode == 0, p.stderr
        assert "4 new, 0 updated" in p.stdout and "2 grids, 1 micro-grids" in p.stdout, p.stdout
        # The new community lies outside its street's boundary: reported, not refused.
        assert f"of '{c}' lie outside its parent '330179001'" in p.stderr, p.stderr
        sub = export_doc(db, "--region", c)
        assert codes(sub) == {c, c + "01", c + "02", c + "02.1"}
        micro = [f for f in sub["features"] if f["properties"]["level"] == "micro"][0]
        assert micro["properties"]["parent_code"] == c + "02"

        # Gaps and overlaps are warnings: the import goes through (exit 0) and says where.
        warn = fc(feat(c + "01", "新社区第1网格", "grid", c, poly(120.10, 30.2, 120.112, 30.209)))
        p = run_cli("region", "import", "--db", db, "--geojson", write(tmp_path, "warn.geojson", warn))
        assert p.returncode == 0, p.stderr
        assert f"'{c}01' and '{c}02' overlap by" in p.stderr, p.stderr
        assert f"gap of" in p.stderr and f"in '{c}' not covered" in p.stderr, p.stderr
        assert "1 gaps, 1 overlaps" in p.stdout, p.stdout

        # Any bad feature: exit 2, every problem printed with its feature and field, nothing written.
        bad = fc(
            feat(c + "03", "好网格", "grid", c, poly(120.10, 30.2, 120.101, 30.201)),
            feat("bad", "坏网格", "grid", c, None),
            feat(c + "04", "无父网格", "grid", "330179001099", None),
            feat(c + "05", "自交网格", "grid", c,
                 {"type": "Polygon", "coordinates": [[[120.1, 30.2], [120.101, 30.201], [120.101, 30.2],
                                                      [120.1, 30.201], [120.1, 30.2]]]}),
            feat(c + "06", "远处网格", "grid", c, poly(121.0, 31.0, 121.01, 31.01)),
            feat(c + "03", "重复", "grid", c, None),
            {"type": "Feature", "properties": {"code": c + "07", "name": "无层级"}, "geometry": None},
            feat(COMMUNITY, "搬家", "community", "330179002", None),
        )
        f = write(tmp_path, "bad.geojson", bad)
        p = run_cli("region", "import", "--db", db, "--geojson", f)
        assert p.returncode == 2, p.stdout + p.stderr
        err = p.stderr
        assert f"{f}: feature 2 'bad': code: a grid code is" in err, err
        assert f"feature 3 '{c}04': parent_code: no region coded '330179001099'" in err, err
        assert f"feature 4 '{c}05': geometry: invalid boundary: invalid polygon: Self-intersection" in err, err
        assert f"{c}06: geometry: grid '{c}06' lies wholly outside its parent '{c}'" in err, err
        assert f"feature 6 '{c}03': code: code '{c}03' appears again (first in feature 1)" in err, err
        assert f"feature 7 '{c}07': level: properties.level must be" in err, err
        assert f"feature 8 '{COMMUNITY}': parent_code: region '{COMMUNITY}' exists" in err, err
        assert "nothing was imported" in err
        assert not codes(export_doc(db)) & {c + "03", c + "06"}, "nothing half-imported"

        for args, status, text in [
            (("region", "import", "--db", db), 2, "--geojson"),
            (("region", "import", "--db", db, "--geojson", str(tmp_path / "missing.geojson")), 2, "cannot open"),
            (("region", "frobnicate", "--db", db), 2, "usage"),
            (("region", "export", "--db", db, "--region", "330179999"), 1, "no region coded"),
        ]:
            p = run_cli(*args)
            assert p.returncode == status and text in p.stderr, (args, p.returncode, p.stderr)
        for text, why in [("{", "not JSON"), ('{"type":"Feature"}', "FeatureCollection"),
                          ('{"type":"FeatureCollection","features":[]}', "no features")]:
            g = tmp_path / "x.geojson"
            g.write_text(text)
            p = run_cli("region", "import", "--db", db, "--geojson", str(g))
            assert p.returncode == 2 and why in p.stderr, p.stderr
    finally:
        drop_db(db)


def test_api_import_micro_locate_export(server_factory):
    api = server_factory()
    micro = fc(
        feat(GRID + ".A", "1号楼", "micro", GRID, poly(120.059, 30.174, 120.060, 30.175)),
        feat(GRID + ".B", "2号楼", "micro", GRID, poly(120.0595, 30.1745, 120.061, 30.176)),
    )
    body = json.dumps(micro, ensure_ascii=False).encode()
    for who in ("dispatcher", "data_officer", "grid_worker"):
        assert_error(api.post(who, "/api/v1/regions/import", data=body, headers=GEOJSON), 403)
    assert_error(api.post("admin", "/api/v1/regions/import", data=body,
                          headers={"Content-Type": "text/csv"}), 415)
    assert_error(api.post("admin", "/api/v1/regions/import", data=b"", headers=GEOJSON), 400,
                 field="file")

    r = api.post("admin", "/api/v1/regions/import", data=body, headers=GEOJSON)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["created"] == 2 and rep["levels"]["micro"] == 2 and rep["errors_total"] == 0
    # Micro-grids need not cover their grid (no gap below a grid); their overlap is reported.
    assert rep["gaps"] == 0 and rep["overlaps"] == 1 and rep["outside"] == 0, rep
    ov = rep["issues"][0]
    assert ov["kind"] == "overlap" and ov["parent_code"] == GRID
    assert {ov["code"], ov["other_code"]} == {GRID + ".A", GRID + ".B"}
    assert 100 < ov["area_m2"] < 5000 and 30.174 < ov["lat"] < 30.175, ov

    # locate: the innermost region, a micro-grid when one holds the point, else the grid.
    loc = api.get("operator", "/api/v1/regions/locate", params={"lat": 30.1742, "lon": 120.0592}).json()
    assert loc["code"] == GRID + ".A" and loc["level"] == "micro", loc
    assert [x["level"] for x in loc["path"]] == ["district", "street", "community", "grid", "micro"]
    loc = api.get("operator", "/api/v1/regions/locate", params={"lat": 30.178, "lon": 120.064}).json()
    assert loc["code"] == GRID and loc["level"] == "grid", loc

    # The grid's micro-grids are in its subtree: listed within it, visible to its worker.
    rows = api.items("admin", "/api/v1/regions", params={"level": "micro"})
    assert {x["code"] for x in rows} == {GRID + ".A", GRID + ".B"}
    mid = rows[0]["id"]
    assert api.get("grid_worker", f"/api/v1/regions/{mid}").status_code == 200

    # A bad file: 400 with every refused feature, nothing written.
    bad = fc(feat(GRID + ".C", "3号楼", "micro", GRID, poly(120.059, 30.174, 120.0591, 30.1741)),
             feat(GRID + ".D", "4号楼", "micro", GRID + "X", None),
             feat(GRID + ".E", "5号楼", "grid", COMMUNITY, None))
    r = api.post("admin", "/api/v1/regions/import", data=json.dumps(bad).encode(), headers=GEOJSON)
    assert r.status_code == 400, r.text
    out = r.json()
    assert out["error"]["field"] == "file" and out["report"]["errors_total"] == 2
    assert [(e["feature"], e["field"]) for e in out["report"]["errors"]] == [(2, "parent_code"), (3, "code")]
    assert len(api.items("admin", "/api/v1/regions", params={"level": "micro"})) == 2

    # Export: the file, the subtree of a grid, read back in.
    r = api.get("dispatcher", "/api/v1/regions/export", params={"within": GRID})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/geo+json")
    doc = r.json()
    assert codes(doc) == {GRID, GRID + ".A", GRID + ".B"}
    assert_error(api.get("dispatcher", "/api/v1/regions/export", params={"within": "nope"}), 404,
                 field="within")
    assert_error(api.get("citizen", "/api/v1/regions/export"), 403)
    r = api.post("admin", "/api/v1/regions/import", data=json.dumps(doc).encode(), headers=GEOJSON)
    assert r.status_code == 200 and r.json()["updated"] == 3, r.text

    audit = api.get("admin", "/api/v1/audit", params={"limit": 5}).json()["items"]
    imports = [e for e in audit if e["action"] == "region.import"]
    assert len(imports) == 2, audit

    # A micro-grid through the ordinary create: its code must extend its grid's.
    r = api.post("admin", "/api/v1/regions", json={"code": GRID + ".F", "name": "6号楼", "level": "micro",
                                                   "parent_id": mid and rows[0]["parent_id"]})
    assert r.status_code == 201, r.text
    assert_error(api.post("admin", "/api/v1/regions", json={"code": GRID + "9.F", "name": "x", "level": "micro",
                                                            "parent_id": rows[0]["parent_id"]}), 400, field="code")
