"""The demo's address register (`gridloop init --demo`, src/demo/demo_register.c), as written
to the database through the register's writers: every point in the grid it was resolved to,
one connected road network, the addresses the demo and the browser tests name, every place
type, and communities that really lack a facility within 15 minutes' walk."""
import json

from conftest import PASSWORD, db_open, new_db, run_cli

PLACE_TYPES = {"school", "kindergarten", "hospital", "clinic", "pharmacy", "market",
               "supermarket", "park", "government", "police", "community_centre",
               "elderly_care", "sports", "library", "bus_stop", "metro", "toilet", "other"}


def _box(geojson):
    ring = json.loads(geojson)["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _inside(box, lon, lat):
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def test_every_point_lies_in_its_grid(template_db):
    con = db_open(template_db, readonly=True)
    try:
        grids = {rid: _box(b) for rid, b in con.execute(
            "SELECT id, boundary FROM regions WHERE level = 'grid'").fetchall()}
        assert len(grids) == 96
        for table in ("addr_points", "addr_places", "addr_buildings"):
            rows = con.execute(f"SELECT code, lon, lat, region_id FROM {table}").fetchall()
            assert rows, table
            for code, lon, lat, region in rows:
                assert region in grids, (table, code, region)
                assert _inside(grids[region], lon, lat), (table, code, lon, lat)
        n = con.execute("SELECT count(*) FROM addr_points").fetchone()[0]
        assert 3000 <= n <= 6000, n  # a few thousand by default: init stays fast
    finally:
        con.close()


def test_the_roads_make_one_network(template_db):
    """The walking graph joins roads only at shared vertices: every road shares one with the
    network, so every road is reachable from every other."""
    con = db_open(template_db, readonly=True)
    try:
        roads = con.execute("SELECT code, geometry FROM addr_roads").fetchall()
    finally:
        con.close()
    assert len(roads) >= 50
    up = list(range(len(roads)))

    def find(i):
        while up[i] != i:
            up[i] = up[up[i]]
            i = up[i]
        return i

    seen = {}
    for i, (_, geometry) in enumerate(roads):
        g = json.loads(geometry)
        assert g["type"] == "LineString"
        for lon, lat in g["coordinates"]:
            key = (round(lon * 1e6), round(lat * 1e6))
            if key in seen:
                up[find(i)] = find(seen[key])
            else:
                seen[key] = i
    pieces = {find(i) for i in range(len(roads))}
    assert len(pieces) == 1, [roads[i][0] for i in range(len(roads)) if find(i) != find(0)][:10]


def test_named_addresses_and_every_place_type(template_db):
    con = db_open(template_db, readonly=True)
    try:
        q = "SELECT p.house_no, r.name, p.region_id FROM addr_points p JOIN addr_roads r ON r.id = p.road_id WHERE p.address = ?"
        rows = con.execute(q, ("锦绣路88号",)).fetchall()
        assert len(rows) == 1 and rows[0][:2] == ("88号", "锦绣路"), rows
        grid = con.execute("SELECT r.name FROM regions r WHERE r.id = ?", (rows[0][2],)).fetchone()[0]
        assert grid.startswith("锦绣社区"), grid
        unit = con.execute("SELECT compound, building, unit, building_id FROM addr_points WHERE address = ?",
                           ("锦绣花园3幢2单元",)).fetchall()
        assert len(unit) == 1 and unit[0][:3] == ("锦绣花园", "3幢", "2单元") and unit[0][3], unit
        assert con.execute("SELECT count(*) FROM (SELECT address FROM addr_points GROUP BY address HAVING count(*) > 1) d").fetchone()[0] == 0
        types = {t for (t,) in con.execute("SELECT DISTINCT type FROM addr_places").fetchall()}
        assert types == PLACE_TYPES, PLACE_TYPES ^ types
        assert con.execute("SELECT count(*) FROM addr_places").fetchone()[0] >= 200
        kinds = dict(con.execute("SELECT kind, count(*) FROM addr_areas GROUP BY kind").fetchall())
        assert kinds.get("water", 0) >= 2 and kinds.get("green", 0) >= 3, kinds
        # Odd numbers on one side and even on the other: both kinds along 锦绣路.
        nums = [int(h[:-1]) for (h,) in con.execute(
            "SELECT p.house_no FROM addr_points p JOIN addr_roads r ON r.id = p.road_id WHERE r.name = '锦绣路'").fetchall()]
        assert any(n % 2 for n in nums) and any(n % 2 == 0 for n in nums)
    finally:
        con.close()


def test_some_communities_lack_a_facility_within_15_minutes(gl):
    gaps = gl.get("admin", "/api/v1/service-circle/gaps").json()
    assert gaps["communities"] == 16
    lacking = {(r["region_name"], r["type"]) for r in gaps["rows"]}
    # The deliberate gaps (demo_register.c, on_street): the rural north-east has no
    # kindergarten or clinic nearby, 南塘社区 no elderly care, 明湖社区 no market ...
    for gap in (("枫林村", "kindergarten"), ("枫林村", "clinic"), ("南塘社区", "elderly_care"),
                ("明湖社区", "market")):
        assert gap in lacking, (gap, sorted(lacking))
    # ... while a town community reaches its everyday facilities: they are spread over it.
    towns = {r["region_name"] for r in gaps["rows"] if r["region_name"].endswith("社区")}
    for town in towns:
        for kind in ("kindergarten", "clinic", "pharmacy", "supermarket", "toilet", "bus_stop"):
            assert (town, kind) not in lacking, (town, kind)
    assert ("松岭村", "kindergarten") not in lacking


def test_demo_addresses_sizes_the_register(tmp_path):
    db = new_db(tmp_path)
    p = run_cli("init", "--db", db, "--demo", "--demo-password", PASSWORD, "--demo-addresses", "8000")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "demo address register:" in p.stdout
    con = db_open(db, readonly=True)
    try:
        n = con.execute("SELECT count(*) FROM addr_points").fetchone()[0]
        assert 6400 <= n <= 10000, n
        assert con.execute("SELECT count(*) FROM addr_points WHERE address = '锦绣路88号'").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM addr_points WHERE region_id IS NULL").fetchone()[0] == 0
    finally:
        con.close()
    for bad in ("lots", "999", "200001"):
        p = run_cli("init", "--db", new_db(tmp_path, "bad" + bad), "--demo", "--demo-addresses", bad)
        assert p.returncode == 2 and "--demo-addresses" in p.stderr, p.stderr
    p = run_cli("init", "--db", new_db(tmp_path, "nodemo"), "--demo-addresses", "5000")
    assert p.returncode == 2 and "--demo" in p.stderr
