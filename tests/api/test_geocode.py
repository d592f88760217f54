"""
Geocoding against the address register (issue 14, src/geocode): GET /api/v1/geocode,
/geocode/suggest and /geocode/reverse, and intake locating a case from its address. The
register rows are written into the database before the server starts (test-only road names,
so the demo register, when there is one, does not make them ambiguous); a row written while
the server runs is picked up within the version check's few seconds.
"""
import json
import time

import pytest

from conftest import Api, Server, assert_error, db_open, drop_db

ROAD = "翠微测试路"
TWIN = "双名测试路"
NOW = 1767225600
DESCRIPTION = "路边的垃圾桶已经满了好几天没人清运，周边气味很大，请尽快处理。" * 3


def grid_box(db):
    """A demo grid and a box inside it (the grids are rectangles in the demo)."""
    con = db_open(db)
    row = con.execute("SELECT id, code, name, boundary FROM regions WHERE level = 'grid'"
                      " AND boundary IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    con.close()
    ring = json.loads(row[3])["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return row[0], row[1], row[2], (min(lons), min(lats), max(lons), max(lats))


def write_register(db):
    gid, gcode, gname, (x0, y0, x1, y1) = grid_box(db)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    con = db_open(db)
    line = json.dumps({"type": "LineString", "coordinates": [[x0, cy], [x1, cy]]})
    for rid, code, name in ((990001, "T-GC-R1", ROAD), (990002, "T-GC-R2", TWIN)):
        con.execute("INSERT INTO addr_roads(id, code, name, kind, geometry, min_lon, min_lat, max_lon,"
                    " max_lat, created_at, updated_at) VALUES (?, ?, ?, 'branch', ?, ?, ?, ?, ?, ?, ?)",
                    (rid, code, name, line, x0, cy, x1, cy, NOW, NOW))
    pts = []
    # even numbers 80..96 along the road, about 10 m apart; an empty norm is keyed by the index
    for n in range(80, 98, 2):
        pts.append((990000 + n, f"T-GC-P{n}", 990001, f"{n}号", f"{ROAD}{n}号", cy, cx + (n - 80) * 0.0001))
    # the same address at two places 1 km apart
    pts.append((990201, "T-GC-T1", 990002, "1号", f"{TWIN}1号", cy, cx - 0.004))
    pts.append((990202, "T-GC-T2", 990002, "1号", f"{TWIN}1号", cy + 0.009, cx - 0.004))
    for pid, code, road, house, addr, lat, lon in pts:
        con.execute("INSERT INTO addr_points(id, code, road_id, house_no, address, norm, lat, lon, region_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
                    (pid, code, road, house, addr, lat, lon, gid, NOW, NOW))
    con.execute("INSERT INTO addr_places(id, code, name, type, address, lat, lon, region_id, created_at,"
                " updated_at) VALUES (990301, 'T-GC-S1', '翠微测试小学', 'school', ?, ?, ?, ?, ?, ?)",
                (f"{ROAD}96号", cy, cx + 0.0016, gid, NOW, NOW))
    con.execute("UPDATE addr_version SET version = version + 1 WHERE id = 1")
    con.close()
    return {"grid_id": gid, "grid_code": gcode, "grid_name": gname, "lat": cy, "lon": cx}


@pytest.fixture(scope="module")
def reg(tmp_path_factory, template_db):
    d = tmp_path_factory.mktemp("geocode")
    srv = Server(str(d / "srv"), template_db)
    info = write_register(srv.db)
    srv.start()
    api = Api(srv)
    yield api, info, srv
    srv.stop()
    srv.check_clean_exit()
    drop_db(srv.db)


def geocode(api, q, who="operator", **kw):
    r = api.get(who, "/api/v1/geocode", params={"q": q, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_address_geocodes_to_its_point_and_grid(reg):
    api, info, _ = reg
    for q in (f"{ROAD}88号", f"杭州市西湖区{ROAD}８８号", f"{ROAD}八十八号", f" {ROAD} 88 号 "):
        r = geocode(api, q)
        assert r["status"] == "found", (q, r)
        top = r["items"][0]
        assert top["address"] == f"{ROAD}88号" and top["score"] == 1 and top["match"] == "exact", top
        assert top["grid_code"] == info["grid_code"] and top["grid_name"] == info["grid_name"]
        assert abs(top["lat"] - info["lat"]) < 1e-9 and abs(top["lon"] - (info["lon"] + 0.0008)) < 1e-9
        assert top["kind"] == "point" and top["region_id"] == info["grid_id"]
    # words around the address lower the score but still find it
    r = geocode(api, f"{ROAD}88号门口")
    assert r["status"] == "found" and r["items"][0]["address"] == f"{ROAD}88号"
    assert 0.75 <= r["items"][0]["score"] < 1 and r["items"][0]["match"] == "contains"
    # a place by its name
    r = geocode(api, "翠微测试小学")
    assert r["status"] == "found" and r["items"][0]["kind"] == "place" and r["items"][0]["name"] == "翠微测试小学"


def test_ambiguous_lists_candidates_and_none_offers_the_nearest(reg):
    api, _, _ = reg
    r = geocode(api, f"{TWIN}1号")
    assert r["status"] == "ambiguous" and len(r["items"]) == 2
    assert {round(i["lat"], 4) for i in r["items"]} and r["items"][0]["lat"] != r["items"][1]["lat"]
    r = geocode(api, f"{ROAD}89号")
    assert r["status"] == "none"
    assert r["items"] and r["items"][0]["address"] in (f"{ROAD}88号", f"{ROAD}90号")
    assert all(i["match"] == "nearby" and i["score"] < 0.75 for i in r["items"])
    r = geocode(api, "这个地址根本不存在")
    assert r == {"items": [], "status": "none"}
    assert len(geocode(api, ROAD, limit=3)["items"]) == 3


def test_suggest_as_the_operator_types(reg):
    api, _, _ = reg
    r = api.get("operator", "/api/v1/geocode/suggest", params={"q": f"{ROAD}8"})
    assert r.status_code == 200, r.text
    assert [i["address"] for i in r.json()["items"]] == [f"{ROAD}{n}号" for n in (80, 82, 84, 86, 88)]
    r = api.get("operator", "/api/v1/geocode/suggest", params={"q": f"{ROAD}八十八"}).json()
    assert r["items"][0]["address"] == f"{ROAD}88号"
    # citizens use it on the report form; nobody signed out does
    assert api.get("citizen", "/api/v1/geocode/suggest", params={"q": "翠微"}).status_code == 200
    assert_error(api.get(None, "/api/v1/geocode/suggest", params={"q": "翠微"}), 401)
    assert_error(api.get("citizen", "/api/v1/geocode", params={"q": "翠微"}), 403)


def test_reverse_geocoding_gives_the_nearest_point_and_its_grid(reg):
    api, info, _ = reg
    r = api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": info["lat"] + 0.00005,
                                                                 "lon": info["lon"] + 0.00081})
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["address"] == f"{ROAD}88号" and h["grid_code"] == info["grid_code"]
    assert 4 < h["distance_m"] < 8, h
    assert h["score"] == round(1 / (1 + h["distance_m"] / 30), 2), h
    far = api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": info["lat"] + 0.0009, "lon": info["lon"]}).json()
    assert far["distance_m"] > h["distance_m"] and far["score"] < h["score"], far
    assert_error(api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": 0, "lon": 0}),
                 400, "bad_request", "lat")
    assert_error(api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": 91, "lon": 120}),
                 400, "bad_request", "lat")
    assert_error(api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": 30, "lon": "东经"}),
                 400, "bad_request", "lon")
    assert_error(api.get("dispatcher", "/api/v1/geocode/reverse", params={"lat": 30}), 400, "bad_request", "lon")


def test_bad_queries_name_the_field(reg):
    api, _, _ = reg
    for path in ("/api/v1/geocode", "/api/v1/geocode/suggest"):
        assert_error(api.get("operator", path), 400, "bad_request", "q")
        assert_error(api.get("operator", path, params={"q": "   "}), 400, "bad_request", "q")
        assert_error(api.get("operator", path, params={"q": "路" * 100}), 400, "bad_request", "q")
        assert_error(api.get("operator", path, params={"q": "路", "limit": 0}), 400, "bad_request", "limit")
        assert_error(api.get("operator", path, params={"q": "路", "limit": "x"}), 400, "bad_request", "limit")


def create(api, address, **kw):
    body = {"channel": "hotline", "title": "垃圾桶满溢", "description": DESCRIPTION, "address": address}
    body.update(kw)
    r = api.post("operator", "/api/v1/cases", json=body)
    assert r.status_code == 201, r.text
    return api.get("operator", f"/api/v1/cases/{r.json()['id']}").json()


def locate_events(c):
    return [e for e in c["timeline"] if e["action"] == "locate"]


def test_intake_locates_an_unambiguous_address_and_says_so(reg):
    api, info, _ = reg
    c = create(api, f"{ROAD}八十八号")
    assert abs(c["lat"] - info["lat"]) < 1e-9 and abs(c["lon"] - (info["lon"] + 0.0008)) < 1e-9
    assert c["region_code"] == info["grid_code"], c
    ev = locate_events(c)
    assert len(ev) == 1 and ev[0]["role"] == "system"
    assert ev[0]["note"].startswith(f"地址自动定位：{ROAD}88号（匹配度 1.00）"), ev[0]
    assert ev[0]["payload"]["status"] == "found" and ev[0]["payload"]["point_id"] == 990088


def test_intake_leaves_ambiguous_and_unknown_addresses_unplaced(reg):
    api, _, _ = reg
    c = create(api, f"{TWIN}1号")
    assert c["lat"] is None and c["region_id"] is None
    ev = locate_events(c)
    assert len(ev) == 1 and "多处匹配" in ev[0]["note"] and ev[0]["payload"]["status"] == "ambiguous"
    c = create(api, f"{ROAD}89号")
    assert c["lat"] is None
    ev = locate_events(c)
    assert "没有匹配" in ev[0]["note"] and f"{ROAD}88号" in ev[0]["note"], ev[0]


def test_intake_with_coordinates_is_not_geocoded(reg):
    api, info, _ = reg
    r = api.post("operator", "/api/v1/cases", json={
        "channel": "hotline", "title": "垃圾桶满溢", "description": DESCRIPTION, "address": f"{TWIN}1号",
        "lat": info["lat"], "lon": info["lon"]})
    assert r.status_code == 201, r.text
    c = api.get("operator", f"/api/v1/cases/{r.json()['id']}").json()
    assert abs(c["lat"] - info["lat"]) < 1e-9 and not locate_events(c)


def test_a_register_change_reaches_the_index(reg):
    api, info, srv = reg
    assert geocode(api, f"{ROAD}98号")["status"] == "none"
    con = db_open(srv.db)
    con.execute("INSERT INTO addr_points(id, code, road_id, house_no, address, norm, lat, lon, region_id,"
                " created_at, updated_at) VALUES (990098, 'T-GC-P98', 990001, '98号', ?, '', ?, ?, ?, ?, ?)",
                (f"{ROAD}98号", info["lat"], info["lon"] + 0.0018, info["grid_id"], NOW, NOW))
    con.execute("UPDATE addr_version SET version = version + 1 WHERE id = 1")
    con.close()
    deadline = time.time() + 10
    while time.time() < deadline:
        if geocode(api, f"{ROAD}98号")["status"] == "found":
            break
        time.sleep(0.5)
    assert geocode(api, f"{ROAD}98号")["items"][0]["address"] == f"{ROAD}98号"


def test_a_register_write_through_the_api_is_found_at_once(reg):
    api, info, _ = reg
    name = "即时测试路"
    line = {"type": "LineString", "coordinates": [[info["lon"] - 0.001, info["lat"] + 0.0002],
                                                  [info["lon"] + 0.001, info["lat"] + 0.0002]]}
    geocode(api, f"{name}5号")  # the index is current before the write
    r = api.post("admin", "/api/v1/address-register/roads",
                 json={"code": "T-GC-R9", "name": name, "kind": "branch", "geometry": line})
    assert r.status_code == 201, r.text
    r = api.post("admin", "/api/v1/address-register/points",
                 json={"code": "T-GC-P9", "road_id": r.json()["id"], "house_no": "五号",
                       "lat": info["lat"] + 0.0002, "lon": info["lon"]})
    assert r.status_code == 201, r.text
    # no wait for the version check: this process wrote the register
    g = geocode(api, f"{name}5号")
    assert g["status"] == "found" and g["items"][0]["score"] == 1, g
    assert g["items"][0]["address"] in (f"{name}5号", f"{name}五号"), g
    assert g["items"][0]["grid_code"] == info["grid_code"]
