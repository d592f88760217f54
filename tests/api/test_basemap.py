"""The basemap (GET /api/v1/basemap/{z}/{x}/{y}): layers of the address register per tile and zoom,
public, cached per tile under addr_version (ETag, 304), bad z/x/y named.

The register's rows are written straight into the server's database (and addr_version bumped
with them, as the register's writers do), in a corner of the world no demo data reaches
(100 E, 10 N), so the tests do not depend on the demo register."""
import gzip
import json
import math
import time

import pytest
import requests

from conftest import assert_error, db_open

EXTENT = 512
BUFFER = 32
LON0, LAT0 = 100.0, 10.0


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    s = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)
    return x, y


def project(lon, lat, z, x, y):
    n = 2 ** z * EXTENT
    s = math.sin(math.radians(lat))
    return ((lon + 180) / 360 * n - x * EXTENT,
            (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n - y * EXTENT)


def box(coords):
    flat = [p for ring in coords for p in ring] if isinstance(coords[0][0], list) else coords
    lons = [p[0] for p in flat]
    lats = [p[1] for p in flat]
    return min(lons), min(lats), max(lons), max(lats)


def rect(lon, lat, w, h):
    return [[[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]]


class Register:
    """Rows of migration 0035 written as the register's writers would (box and version)."""

    def __init__(self, db):
        self.db = db
        self.n = 0

    def _put(self, sql, args):
        self.n += 1
        now = int(time.time())
        with db_open(self.db) as con:
            con.execute(sql, [*args, now, now])
            con.execute("UPDATE addr_version SET version = version + 1 WHERE id = 1")

    def road(self, name, kind, line):
        geom = {"type": "LineString", "coordinates": line}
        self._put("INSERT INTO addr_roads (code, name, kind, geometry, min_lon, min_lat, max_lon, max_lat,"
                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [f"bm-r{self.n}", name, kind, json.dumps(geom), *box(line)])

    def building(self, number, poly):
        geom = {"type": "Polygon", "coordinates": poly}
        b = box(poly)
        self._put("INSERT INTO addr_buildings (code, compound, number, use, floors, footprint, lat, lon,"
                  " min_lon, min_lat, max_lon, max_lat, created_at, updated_at)"
                  " VALUES (?, ?, ?, 'residential', 6, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [f"bm-b{self.n}", "测试花园", number, json.dumps(geom), (b[1] + b[3]) / 2,
                   (b[0] + b[2]) / 2, *b])

    def area(self, kind, name, poly):
        geom = {"type": "Polygon", "coordinates": poly}
        self._put("INSERT INTO addr_areas (code, kind, name, geometry, min_lon, min_lat, max_lon, max_lat,"
                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [f"bm-a{self.n}", kind, name, json.dumps(geom), *box(poly)])

    def place(self, name, type_, lon, lat):
        self._put("INSERT INTO addr_places (code, name, type, lat, lon, created_at, updated_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?)", [f"bm-p{self.n}", name, type_, lat, lon])


@pytest.fixture(scope="module")
def city(tmp_path_factory, template_db):
    """A server of its own and a small register around (LON0, LAT0)."""
    from conftest import Api, GENEROUS, Server, drop_db
    srv = Server(str(tmp_path_factory.mktemp("basemap")), template_db, GENEROUS).start()
    reg = Register(srv.db)
    d = 0.01  # about 1.1 km: across a zoom-16 tile (600 m) either way
    reg.road("测试大道", "primary", [[LON0 - d, LAT0], [LON0 + d, LAT0]])
    reg.road("测试小路", "path", [[LON0, LAT0 - d], [LON0, LAT0 + d]])
    reg.building("3幢", rect(LON0 + 0.0005, LAT0 + 0.0005, 0.0004, 0.0003))
    reg.area("water", "测试河", rect(LON0 - 0.003, LAT0 - 0.003, 0.002, 0.001))
    reg.area("green", "测试公园", rect(LON0 + 0.001, LAT0 - 0.003, 0.001, 0.002))
    reg.place("测试街道办事处", "government", LON0 + 0.0002, LAT0 + 0.0002)
    reg.place("测试公厕", "toilet", LON0 - 0.0002, LAT0 + 0.0002)
    yield Api(srv), reg
    srv.check_clean_exit()
    drop_db(srv.db)


def tile(api, z, lon=LON0 + 0.0001, lat=LAT0 + 0.0001, headers=None):
    x, y = tile_of(lon, lat, z)
    r = requests.get(api.url(f"/api/v1/basemap/{z}/{x}/{y}"), headers=headers or {}, timeout=30)
    return r, (x, y)


def test_layers_at_street_zoom(city):
    api, _ = city
    r, (x, y) = tile(api, 16)  # anonymous: no session
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["z"], t["x"], t["y"], t["extent"], t["buffer"]) == (16, x, y, EXTENT, BUFFER)
    roads = {f["name"]: f for f in t["roads"]}
    assert set(roads) == {"测试大道", "测试小路"}
    assert roads["测试大道"]["kind"] == "primary"
    # The east-west road, clipped to the tile and its buffer, where the projection puts it.
    (line,) = roads["测试大道"]["lines"]
    ex, ey = project(LON0, LAT0, 16, x, y)
    assert line[0] == -BUFFER and line[2] == EXTENT + BUFFER, line
    assert abs(line[1] - ey) <= 1 and abs(line[3] - ey) <= 1, (line, ey)
    (vline,) = roads["测试小路"]["lines"]
    # South to north as stored: y runs down, so from the bottom edge to the top.
    assert abs(vline[0] - ex) <= 1 and vline[1] == EXTENT + BUFFER and vline[3] == -BUFFER, vline
    (b,) = t["buildings"]
    assert b["use"] == "residential" and len(b["rings"]) == 1 and len(b["rings"][0]) == 8
    bx, by = project(LON0 + 0.0005, LAT0 + 0.0005, 16, x, y)
    assert abs(b["rings"][0][0] - bx) <= 1 and abs(b["rings"][0][1] - by) <= 1
    assert [a["name"] for a in t["water"]] == ["测试河"]
    assert [a["name"] for a in t["green"]] == ["测试公园"]
    places = {p["name"]: p for p in t["places"]}
    assert set(places) == {"测试街道办事处", "测试公厕"}
    px, py = project(LON0 + 0.0002, LAT0 + 0.0002, 16, x, y)
    assert places["测试街道办事处"]["type"] == "government"
    assert abs(places["测试街道办事处"]["x"] - px) <= 1 and abs(places["测试街道办事处"]["y"] - py) <= 1


def test_zoom_rules(city):
    api, _ = city
    t = tile(api, 14)[0].json()
    assert [f["name"] for f in t["roads"]] == ["测试大道"]  # paths from 15
    assert t["buildings"] == []  # buildings from 15
    assert [p["name"] for p in t["places"]] == ["测试街道办事处"]  # toilets from 16
    t = tile(api, 15)[0].json()
    assert len(t["buildings"]) == 1 and "number" not in t["buildings"][0]
    assert {f["name"] for f in t["roads"]} == {"测试大道", "测试小路"}
    t = tile(api, 17, lon=LON0 + 0.0007, lat=LAT0 + 0.0007)[0].json()
    assert t["buildings"][0]["number"] == "3幢"
    # Below the minimum zoom a tile is empty, and a tile with nothing in it is valid.
    t = tile(api, 8)[0].json()
    assert all(t[k] == [] for k in ("roads", "buildings", "water", "green", "places"))
    t = tile(api, 16, lon=LON0 + 1, lat=LAT0 + 1)[0].json()
    assert all(t[k] == [] for k in ("roads", "buildings", "water", "green", "places"))
    # At the lowest zoom areas under a pixel are left out (the water is 0.8 x 0.4 px there).
    t = tile(api, 9)[0].json()
    assert t["water"] == [] and t["green"] == [] and t["roads"] == []
    t = tile(api, 12)[0].json()
    assert [a["name"] for a in t["water"]] == ["测试河"] and t["green"] != []


def test_cache_etag_and_invalidation(city):
    api, reg = city
    r1, (x, y) = tile(api, 16)
    etag = r1.headers["ETag"]
    assert "max-age" in r1.headers["Cache-Control"] and "public" in r1.headers["Cache-Control"]
    r2 = tile(api, 16)[0]
    assert r2.headers["ETag"] == etag and r2.content == r1.content
    r3 = tile(api, 16, headers={"If-None-Match": etag})[0]
    assert r3.status_code == 304 and r3.content == b""
    # Compressed for clients that accept it.
    raw = requests.get(api.url(f"/api/v1/basemap/16/{x}/{y}"), headers={"Accept-Encoding": "gzip"},
                       stream=True, timeout=30)
    assert raw.headers.get("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(raw.raw.read())) == r1.json()
    # A register write bumps addr_version: the cached tile is stale, the old ETag no longer 304s.
    reg.road("测试新路", "branch", [[LON0 - 0.001, LAT0 + 0.0003], [LON0 + 0.001, LAT0 + 0.0003]])
    r4 = tile(api, 16, headers={"If-None-Match": etag})[0]
    assert r4.status_code == 200 and r4.headers["ETag"] != etag
    assert "测试新路" in {f["name"] for f in r4.json()["roads"]}


def test_bad_tiles_name_the_field(city):
    api, _ = city
    for path, field in [("23/0/0", "z"), ("2/4/0", "x"), ("2/0/4", "y"), ("a/0/0", "z"),
                        ("3/-1/0", "x"), ("3/0/1.5", "y"), ("3/01/0", "x")]:
        r = requests.get(api.url(f"/api/v1/basemap/{path}"), timeout=30)
        assert_error(r, 400, "bad_request", field=field)


def test_a_register_write_through_its_api_shows_on_the_map(city):
    """The register's own writer (POST /api/v1/address-register/roads) bumps addr_version: the
    cached tile is rebuilt with the new road, on the next request and under a new ETag."""
    api, _ = city
    before = tile(api, 16)[0]
    line = {"type": "LineString", "coordinates": [[LON0 - 0.002, LAT0 - 0.0004], [LON0 + 0.002, LAT0 - 0.0004]]}
    r = api.post("admin", "/api/v1/address-register/roads",
                 json={"code": "bm-api-1", "name": "登记新路", "kind": "secondary", "geometry": line})
    assert r.status_code == 201, r.text
    after = tile(api, 16, headers={"If-None-Match": before.headers["ETag"]})[0]
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    roads = {f["name"]: f for f in after.json()["roads"]}
    assert roads["登记新路"]["kind"] == "secondary"
    assert "登记新路" not in {f["name"] for f in before.json()["roads"]}
