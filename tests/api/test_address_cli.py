"""
gridloop address import|export (src/cli/cli_address.c): the register's files from the command
line, all or nothing with every failing line printed, the export read back in, the audit entry.
"""
import json

from conftest import copy_db, drop_db, new_db, run_cli


def export_doc(db):
    """The register as GeoJSON, through the command."""
    p = run_cli("address", "export", "--db", db)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_import_export_round_trip(tmp_path, template_db):
    db = new_db(tmp_path, "cli", create=False)
    copy_db(template_db, db)
    try:
        # A road of our own inside the demo district's first grid.
        lon, lat = 120.0615, 30.176375
        road = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kind": "road", "code": "CLI-R1", "name": "命令行甲路",
                                               "type": "branch"},
             "geometry": {"type": "LineString", "coordinates": [[lon - 0.001, lat], [lon + 0.001, lat]]}}]}
        f = tmp_path / "road.geojson"
        f.write_text(json.dumps(road, ensure_ascii=False), encoding="utf-8")
        p = run_cli("address", "import", "--db", db, str(f))
        assert p.returncode == 0, p.stderr
        assert "imported 1 rows" in p.stdout and "1 roads" in p.stdout

        bad = tmp_path / "bad.csv"
        bad.write_text("address,lat,lon\n命令行甲路1号,30.176375,120.0615\n命令行乙路2号,30.176375,120.0615\n"
                       "命令行甲路3号,abc,120.0615\n", encoding="utf-8")
        p = run_cli("address", "import", "--db", db, str(bad))
        assert p.returncode == 2, p.stdout + p.stderr
        assert f"{bad}:line 3: address: no road named '命令行乙路'" in p.stderr, p.stderr
        assert f"{bad}:line 4: lat: lat must be a number" in p.stderr, p.stderr
        doc = export_doc(db)
        assert not [x for x in doc["features"] if x["properties"]["kind"] == "point"
                    and x["properties"]["address"].startswith("命令行")], "nothing half-imported"

        good = tmp_path / "good.csv"
        good.write_text("address,lat,lon\n命令行甲路1号,30.176375,120.0615\n", encoding="utf-8")
        p = run_cli("address", "import", "--db", db, str(good))
        assert p.returncode == 0, p.stderr
        out = tmp_path / "all.csv"
        p = run_cli("address", "export", "--db", db, "--format", "csv", "--out", str(out))
        assert p.returncode == 0, p.stderr
        text = out.read_bytes().decode("utf-8")
        assert text.startswith("code,address,lat,lon,type,name,grid\r\n") and "命令行甲路1号" in text
        p = run_cli("address", "import", "--db", db, str(out))
        assert p.returncode == 0, p.stderr

        p = run_cli("address", "import", "--db", db, str(tmp_path / "missing.csv"))
        assert p.returncode == 1 and "cannot open" in p.stderr
        p = run_cli("address", "export", "--db", db, "--format", "xml")
        assert p.returncode == 2 and "--format" in p.stderr
        p = run_cli("address", "frobnicate", "--db", db)
        assert p.returncode == 2 and "usage" in p.stderr
        p = run_cli("audit", "verify", "--db", db)
        assert p.returncode == 0, p.stdout + p.stderr
    finally:
        drop_db(db)
