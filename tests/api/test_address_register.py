"""
The standard address register's admin API (issue 14, src/addr, /api/v1/address-register):
records per kind created, edited, searched and deleted (refused while referred to), each
resolved to its grid; GeoJSON and CSV import all or nothing with a report of every failing
line and field; export in both formats read back in; roles; the audit entries; the size limit.
Runs on a server of its own (the register is shared state the walking graph and the basemap
read).
"""
import json

import pytest

from conftest import Api, GENEROUS, Server, assert_error, drop_db, unique

AR = "/api/v1/address-register"
STEMS = "甲乙丙丁戊己庚辛壬癸"


def cname(prefix, suffix="路"):
    """A unique name without digits (a digit would end the road's name when an address is split)."""
    return prefix + "".join(STEMS[int(d)] for d in unique("")[-7:]) + suffix


@pytest.fixture(scope="module")
def reg(tmp_path_factory, template_db):
    srv = Server(str(tmp_path_factory.mktemp("register")), template_db, GENEROUS).start()
    yield Api(srv)
    srv.check_clean_exit()
    drop_db(srv.db)


@pytest.fixture(scope="module")
def spot(reg):
    """A point inside the grid worker's grid, the grid's code and a second point beside it."""
    users = {u["name"]: u for u in reg.items("admin", "/api/v1/users")}
    grid = users["grid_worker"]["region_id"]
    g = reg.get("admin", f"/api/v1/regions/{grid}").json()
    ring = g["boundary"]["coordinates"][0]
    lon = (ring[0][0] + ring[2][0]) / 2
    lat = (ring[0][1] + ring[2][1]) / 2
    return {"lat": lat, "lon": lon, "grid": g["code"], "grid_id": grid,
            "line": {"type": "LineString", "coordinates": [[lon - 0.001, lat], [lon + 0.001, lat]]}}


def road(reg, spot, name=None, who="admin"):
    code = unique("R")
    r = reg.post(who, f"{AR}/roads", json={"code": code, "name": name or cname("测试"), "kind": "branch",
                                           "geometry": spot["line"]})
    assert r.status_code == 201, r.text
    return r.json()


def test_records_are_resolved_edited_searched_and_deleted(reg, spot):
    rd = road(reg, spot)
    assert rd["box"] == pytest.approx([spot["lon"] - 0.001, spot["lat"], spot["lon"] + 0.001, spot["lat"]])
    assert rd["geometry"]["type"] == "LineString" and rd["record"] == "road"
    code = unique("P")
    r = reg.post("data_officer", f"{AR}/points", json={"code": code, "road_id": rd["id"], "house_no": "八十八号",
                                                         "lat": spot["lat"], "lon": spot["lon"]})
    assert r.status_code == 201, r.text
    pt = r.json()
    assert r.headers["Location"].endswith(f"{AR}/points/{pt['id']}")
    assert pt["address"] == rd["name"] + "八十八号" and pt["norm"] == rd["name"] + "88号"
    assert pt["region"]["code"] == spot["grid"] and pt["road_code"] == rd["code"]

    # Searched by the normalised form, paged with a total.
    found = reg.get("operator", f"{AR}/points", params={"q": rd["name"] + "88号"}).json()
    assert [p["code"] for p in found["items"]] == [code] and found["total"] == 1
    page = reg.get("operator", f"{AR}/roads", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["total"] >= 1
    assert "geometry" not in page["items"][0], "lists leave geometries out"

    # Edited: what is absent keeps its value; the code cannot change.
    r = reg.patch("admin", f"{AR}/points/{pt['id']}", json={"house_no": "90号"})
    assert r.status_code == 200 and r.json()["address"] == rd["name"] + "90号", r.text
    assert r.json()["lat"] == spot["lat"] and r.json()["code"] == code
    assert_error(reg.patch("admin", f"{AR}/points/{pt['id']}", json={"code": "OTHER"}), 400, "bad_request",
                 "code")

    # A place takes its point's address and position.
    r = reg.post("admin", f"{AR}/places", json={"code": unique("S"), "name": "测试小学", "type": "school",
                                                  "point_id": pt["id"]})
    assert r.status_code == 201, r.text
    pl = r.json()
    assert pl["address"] == rd["name"] + "90号" and pl["lat"] == spot["lat"] and pl["point_code"] == code

    # Deletes are refused while something refers to the row, and say what.
    e = assert_error(reg.delete("admin", f"{AR}/roads/{rd['id']}"), 409, "conflict")
    assert "1 address points" in e["message"]
    assert_error(reg.delete("admin", f"{AR}/points/{pt['id']}"), 409, "conflict")
    for kind, rid in (("places", pl["id"]), ("points", pt["id"]), ("roads", rd["id"])):
        assert reg.delete("admin", f"{AR}/{kind}/{rid}").status_code == 204
        assert_error(reg.get("admin", f"{AR}/{kind}/{rid}"), 404, "not_found")

    audit = reg.get("admin", "/api/v1/audit", params={"limit": 30}).json()["items"]
    actions = {e["action"] for e in audit}
    assert {"addr_road.create", "addr_point.create", "addr_point.update", "addr_place.create",
            "addr_place.delete", "addr_point.delete", "addr_road.delete"} <= actions, actions


def test_bad_input_names_the_field(reg, spot):
    rd = road(reg, spot)
    P = f"{AR}/points"
    cases = [
        ({"code": unique("P"), "house_no": "1号", "lat": spot["lat"], "lon": spot["lon"]}, "road_id"),
        ({"code": unique("P"), "road_id": rd["id"], "house_no": "1号", "lat": 10.0, "lon": 10.0}, "lat"),
        ({"code": unique("P"), "road_id": 99999999, "house_no": "1号", "lat": spot["lat"], "lon": spot["lon"]},
         "road_id"),
        ({"code": "坏码", "compound": "小区", "lat": spot["lat"], "lon": spot["lon"]}, "code"),
        ({"code": unique("P"), "compound": "小区", "unit": "2单元", "lat": spot["lat"], "lon": spot["lon"]},
         "building"),
        ({"code": unique("P"), "compound": "小区", "lat": 91, "lon": spot["lon"]}, "lat"),
    ]
    for body, field in cases:
        assert_error(reg.post("admin", P, json=body), 400, "bad_request", field)
    assert_error(reg.post("admin", f"{AR}/roads", json={"code": unique("R"), "name": "路", "kind": "branch",
                                                          "geometry": {"type": "Point", "coordinates": [120, 30]}}),
                 400, "bad_request", "geometry")
    assert_error(reg.post("admin", f"{AR}/roads", json={"code": unique("R"), "name": "路", "kind": "motorway",
                                                          "geometry": spot["line"]}), 400, "bad_request", "kind")
    assert_error(reg.post("admin", f"{AR}/roads", json={"code": rd["code"], "name": "路", "kind": "branch",
                                                          "geometry": spot["line"]}), 409, "conflict", "code")
    assert_error(reg.post("admin", f"{AR}/buildings", json={"code": unique("B"), "footprint": spot["line"]}), 400,
                 "bad_request", "footprint")
    assert_error(reg.get("admin", f"{AR}/castles"), 404, "not_found")
    assert_error(reg.get("admin", f"{AR}/places", params={"type": "castle"}), 400, "bad_request", "type")
    assert reg.post("operator", P, json={"code": unique("P")}).status_code == 403


def geojson(spot, road_code, name, point_code, extra=()):
    lon, lat = spot["lon"], spot["lat"]
    sq = [[lon - 0.0002, lat + 0.0002], [lon + 0.0002, lat + 0.0002], [lon + 0.0002, lat + 0.0004],
          [lon - 0.0002, lat + 0.0004], [lon - 0.0002, lat + 0.0002]]
    feats = [
        # The place first: a file may name rows it defines later.
        {"type": "Feature", "properties": {"kind": "place", "code": unique("S"), "name": "导入超市",
                                           "type": "supermarket", "point_code": point_code},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}},
        {"type": "Feature", "properties": {"kind": "point", "code": point_code, "road_code": road_code,
                                           "house_no": "6号"},
         "geometry": {"type": "Point", "coordinates": [lon, lat]}},
        {"type": "Feature", "properties": {"kind": "road", "code": road_code, "name": name, "type": "secondary"},
         "geometry": spot["line"]},
        {"type": "Feature", "properties": {"kind": "building", "code": unique("B"), "compound": "导入小区",
                                           "number": "1幢", "type": "residential", "floors": 6},
         "geometry": {"type": "Polygon", "coordinates": [sq]}},
        {"type": "Feature", "properties": {"kind": "area", "code": unique("W"), "name": "导入河", "type": "water"},
         "geometry": {"type": "Polygon", "coordinates": [sq]}},
        *extra,
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode()


def import_(reg, who, body, fmt):
    ct = "application/geo+json" if fmt == "geojson" else "text/csv; charset=utf-8"
    return reg.post(who, f"{AR}/import", data=body, headers={"Content-Type": ct})


def refused(r):
    """A refused import: the usual error, and beside it the report of every failing line."""
    assert r.status_code == 400, r.text[:500]
    body = r.json()
    assert set(body) == {"error", "report"} and body["error"]["field"] == "file", body
    assert body["error"]["code"] == "bad_request"
    return body["error"], body["report"]


def count(reg, kind):
    return reg.get("admin", f"{AR}/{kind}", params={"limit": 1}).json()["total"]


def test_import_geojson_all_or_nothing(reg, spot):
    name = cname("导入")
    before = {k: count(reg, k) for k in ("roads", "points", "places", "buildings", "areas")}
    bad = {"type": "Feature", "properties": {"kind": "point", "code": unique("P"), "road_code": "NO-SUCH-ROAD",
                                             "house_no": "1号"},
           "geometry": {"type": "Point", "coordinates": [spot["lon"], spot["lat"]]}}
    wrong = {"type": "Feature", "properties": {"kind": "castle"}, "geometry": None}
    r = import_(reg, "data_officer", geojson(spot, unique("R"), name, unique("P"), [bad, wrong]), "geojson")
    e, rep = refused(r)
    assert rep["errors_total"] == 2 and rep["rows"] == 7
    assert [(x["line"], x["field"], x["reason"]) for x in rep["errors"]] == [
        (6, "road_code", "not_found"), (7, "kind", "kind")], rep["errors"]
    assert "nothing was imported" in e["message"]
    assert {k: count(reg, k) for k in before} == before, "nothing half-imported"

    rc = unique("R")
    r = import_(reg, "data_officer", geojson(spot, rc, name, unique("P")), "geojson")
    assert r.status_code == 200, r.text
    assert r.json()["written"] == {"roads": 1, "buildings": 1, "points": 1, "places": 1, "areas": 1}
    pts = reg.get("admin", f"{AR}/points", params={"q": name}).json()["items"]
    assert len(pts) == 1 and pts[0]["address"] == name + "6号" and pts[0]["region"]["code"] == spot["grid"]
    b = reg.get("admin", f"{AR}/buildings", params={"q": "导入小区"}).json()["items"]
    assert b and b[0]["floors"] == 6 and b[0]["region"]["code"] == spot["grid"]
    audit = reg.get("admin", "/api/v1/audit", params={"limit": 5}).json()["items"]
    assert any(e["action"] == "addr.import" for e in audit)


def test_import_csv_reports_every_line_and_field(reg, spot):
    rd = road(reg, spot, name=cname("文件"))
    lat, lon = spot["lat"], spot["lon"]
    text = ("\ufeff地址,纬度,经度,名称,类型\r\n"
            f"{rd['name']}1号,{lat},{lon},,\r\n"
            f"{cname('无此')}1号,{lat},{lon},,\r\n"
            f"{rd['name']}2号,北纬,{lon},,\r\n"
            f"\"{rd['name']}3号\",{lat},{lon},某店,castle\r\n"
            f"{rd['name']}4号501室,{lat},{lon},,\r\n"
            f"{rd['name']}5号,10.0,10.0,,\r\n"
            f"{rd['name']}1号,{lat},{lon},,\r\n")
    before = count(reg, "points")
    r = import_(reg, "admin", text.encode(), "csv")
    got = [(x["line"], x["field"], x["reason"]) for x in refused(r)[1]["errors"]]
    assert got == [(3, "address", "not_found"), (4, "lat", "invalid"), (5, "type", "choice"),
                   (6, "address", "unreadable"), (7, "lat", "outside"), (8, "code", "duplicate")], got
    assert count(reg, "points") == before

    good = (f"address,lat,lon,name,type\n{rd['name']}1号,{lat},{lon},,\n"
            f"{rd['name']}1号,{lat},{lon},文件超市,supermarket\n")
    r = import_(reg, "admin", good.encode(), "csv")
    assert r.status_code == 200, r.text
    assert r.json()["written"]["points"] == 1 and r.json()["written"]["places"] == 1
    pl = reg.get("admin", f"{AR}/places", params={"q": "文件超市"}).json()["items"]
    assert len(pl) == 1 and pl[0]["point_id"] and pl[0]["address"] == rd["name"] + "1号"
    # Importing the same file again updates the same rows (codes made from the address).
    assert import_(reg, "admin", good.encode(), "csv").status_code == 200
    assert count(reg, "points") == before + 1

    assert_error(reg.post("admin", f"{AR}/import", data=b"x", headers={"Content-Type": "text/plain"}), 415,
                 "unsupported_media_type")
    r = import_(reg, "admin", b"\xff\xfe,lat\n", "csv")
    assert refused(r)[1]["errors"][0]["reason"] == "syntax"
    assert import_(reg, "operator", good.encode(), "csv").status_code == 403


def test_export_reads_back_in(reg, spot):
    road(reg, spot, name=cname("导出"))
    for fmt in ("geojson", "csv"):
        r = reg.get("operator", f"{AR}/export", params={"format": fmt})
        assert r.status_code == 200, r.text
        assert "attachment" in r.headers["Content-Disposition"]
        if fmt == "geojson":
            doc = r.json()
            kinds = {f["properties"]["kind"] for f in doc["features"]}
            assert {"road", "point"} <= kinds
        else:
            assert r.text.startswith("code,address,lat,lon,type,name,grid\r\n")
        before = reg.get("admin", AR).json()["counts"]
        back = import_(reg, "admin", r.content, fmt)
        assert back.status_code == 200, back.text[:2000]
        assert reg.get("admin", AR).json()["counts"] == before, "an export re-imported adds nothing"
    assert_error(reg.get("admin", f"{AR}/export", params={"format": "xml"}), 400, "bad_request", "format")


def test_summary_and_upload_limit(reg, server_factory, spot):
    s = reg.get("operator", AR).json()
    assert set(s["counts"]) == {"roads", "buildings", "points", "places", "areas"}
    assert "school" in s["types"]["places"] and s["version"] > 0
    small = server_factory(args=["--max-upload-bytes", "4096"])
    body = geojson(spot, unique("R"), cname("大文件"), unique("P")) + b" " * 5000
    r = small.post("admin", f"{AR}/import", data=body, headers={"Content-Type": "application/geo+json"})
    assert r.status_code == 413, r.text
